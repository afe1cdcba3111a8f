"""The `mynah` command: one subcommand per stage.

Each subcommand's arguments are its help text (`mynah train --help`). Errors a user can fix
(a missing file, a bad checkpoint, a prompt too long) print one line and exit with status
2; a traceback means a bug in mynah.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DEMO_SYSTEM = "You are mynah, an assistant that answers from the posts on this platform and quotes them."


def _sampling_args(p: argparse.ArgumentParser, max_tokens: int = 128, temperature: float = 0.8) -> None:
    p.add_argument("--max-tokens", type=int, default=max_tokens, help="most new tokens to generate")
    p.add_argument("--temperature", type=float, default=temperature, help="0 is greedy")
    p.add_argument("--top-k", type=int, default=0, help="keep the k likeliest tokens (0: off)")
    p.add_argument("--top-p", type=float, default=0.95, help="nucleus sampling mass")
    p.add_argument("--min-p", type=float, default=0.0, help="drop tokens below min_p x the top probability")
    p.add_argument("--repetition-penalty", type=float, default=1.0, help=">1 discourages repeating tokens")
    p.add_argument("--seed", type=int, default=None, help="fix the sampling RNG for repeatable output")
    p.add_argument("--stop", action="append", default=[], help="stop before this string (repeatable)")
    p.add_argument(
        "--compile", action="store_true", help="compile the decode step: slower start, faster tokens"
    )


def _params(a):
    from mynah.engine import SamplingParams

    return SamplingParams(
        max_tokens=a.max_tokens,
        temperature=a.temperature,
        top_k=a.top_k,
        top_p=a.top_p,
        min_p=a.min_p,
        repetition_penalty=a.repetition_penalty,
        seed=a.seed,
    )


def cmd_sample(a) -> None:
    from mynah.sample import write_network

    net = write_network(a.out, n_posts=a.posts, seed=a.seed)
    print(
        f"wrote {len(net.posts)} posts, {len(net.users)} users, {len(net.dms)} DMs and "
        f"{len(net.conversations)} conversations to {a.out}/"
    )


def cmd_corpus_build(a) -> None:
    from mynah.corpus.build import BuildConfig, build, summary
    from mynah.corpus.clean import FilterConfig, NormalizeConfig

    norm = NormalizeConfig(
        url_placeholder=None if a.keep_urls else "<url>",
        mention_placeholder=None if a.keep_mentions else "@user",
        scrub_pii=not a.no_pii,
    )
    filt = FilterConfig(
        langs=tuple(a.langs.split(",")) if a.langs else None,
        min_chars=a.min_chars,
        max_chars=a.max_chars,
        drop_reposts=not a.keep_reposts,
        near_dedup=not a.no_near_dedup,
        near_threshold=a.near_threshold,
    )
    cfg = BuildConfig(
        normalize=norm,
        filters=filt,
        val_frac=a.val_frac,
        vocab_size=a.vocab_size,
        tokenizer=a.tokenizer,
        text_column=a.text_column,
        id_column=a.id_column,
        author_column=a.author_column,
        time_column=a.time_column,
        memory_mb=a.memory_mb,
    )
    report = build(
        a.inputs, a.out, cfg, resume=a.resume, engine=a.engine, address=a.address, workers=a.workers
    )
    print(summary(report).split("## Samples")[0].rstrip())
    print(
        f"\nwrote {a.out}/report.json, report.md, rejects.jsonl, posts/*.parquet, tokens/; train with: mynah train --data {a.out}"
    )


def cmd_train(a) -> None:
    from mynah.train.pretrain import pretrain

    overrides = {
        k: v
        for k, v in {
            "micro_batch": a.micro_batch,
            "grad_accum": a.grad_accum,
            "seq_len": a.seq_len,
            "lr": a.lr,
            "eval_every": a.eval_every,
            "save_every": a.save_every,
            "seed": a.seed,
            "dtype": a.dtype,
        }.items()
        if v is not None
    }
    last = pretrain(a.recipe, a.data, a.out, max_steps=a.max_steps, resume=a.resume, **overrides)
    if last:
        print(
            f"done: step {last['step']}, loss {last['loss']}, val bits/byte {last['val_bpb']}; checkpoint in {a.out}/"
        )


def cmd_sft(a) -> None:
    from mynah.train.sft import sft

    overrides = {k: v for k, v in {"micro_batch": a.micro_batch, "lr": a.lr}.items() if v is not None}
    last = sft(a.model, a.data, a.out, max_steps=a.max_steps, resume=a.resume, **overrides)
    if last:
        print(
            f"done: step {last['step']}, loss {last['loss']}, assistant-token bits/byte {last['val_bpb']}; checkpoint in {a.out}/"
        )


def cmd_generate(a) -> None:
    from mynah.generate import TextGenerator

    gen = TextGenerator.from_dir(a.model, max_batch=1, compile=a.compile)
    for text in gen.complete(a.prompt, _params(a), stop=a.stop):
        sys.stdout.write(text)
        sys.stdout.flush()
    sys.stdout.write("\n")


def chat_loop(
    model_dir: str | Path,
    params,
    system: str | None,
    stop: list[str],
    stdin=None,
    stdout=None,
    compile: bool = False,
) -> None:
    """A terminal chat through the chat template. /reset clears history, /quit (or EOF) leaves."""
    from mynah.engine import ContextOverflow
    from mynah.generate import TextGenerator

    stdin, stdout = stdin or sys.stdin, stdout or sys.stdout
    gen = TextGenerator.from_dir(model_dir, max_batch=1, compile=compile)
    interactive = stdin.isatty()
    history = [{"role": "system", "content": system}] if system else []
    if interactive:
        stdout.write(
            f"mynah chat with {model_dir}. /reset clears the conversation, /quit or Ctrl-D leaves.\n"
        )
    while True:
        if interactive:
            stdout.write("\nyou> ")
            stdout.flush()
        line = stdin.readline()
        if not line:
            break
        line = line.strip()
        if not line:
            continue
        if line == "/quit":
            break
        if line == "/reset":
            history = history[:1] if system else []
            stdout.write("(conversation cleared)\n")
            continue
        history.append({"role": "user", "content": line})
        stdout.write("mynah> ")
        reply = []
        try:
            for text in gen.chat(history, params, stop=stop):
                reply.append(text)
                stdout.write(text)
                stdout.flush()
        except ContextOverflow:
            history.pop()
            stdout.write("(the conversation no longer fits the context; /reset to start over)\n")
            continue
        stdout.write("\n")
        history.append({"role": "assistant", "content": "".join(reply)})


def cmd_chat(a) -> None:
    chat_loop(a.model, _params(a), a.system, a.stop, compile=a.compile)


def cmd_demo(a) -> None:
    """sample -> pretrain -> post store -> grounded chat tuning -> serve (or chat), reusing
    whatever a previous demo finished."""
    from mynah.engine import SamplingParams
    from mynah.posts.ingest import ingest_files
    from mynah.posts.store import SQLiteStore
    from mynah.train.loop import is_finished, latest_state
    from mynah.train.pretrain import pretrain
    from mynah.train.sft import sft

    out = Path(a.out)
    data, base, chat, db = out / "sample", out / "tiny", out / "tiny-chat", out / "posts.db"
    if not (data / "conversations.jsonl").exists():
        print(f"[1/5] sample network -> {data}")
        cmd_sample(argparse.Namespace(out=data, posts=a.posts, seed=0))
    else:
        print(f"[1/5] reusing sample network in {data}")
    if not (data / "kb").is_dir():  # a sample made before the businesses had knowledge bases
        from mynah.sample import write_knowledge_bases

        write_knowledge_bases(data / "kb")
    if not is_finished(base):
        print(f"[2/5] pretraining recipe 'demo' (tiny with a 512-token context) -> {base}")
        pretrain(
            "demo", data / "posts.jsonl", base, max_steps=a.train_steps, resume=latest_state(base) is not None
        )
    else:
        print(f"[2/5] reusing finished pretraining run in {base}")
    store = SQLiteStore(db)
    if store.count() == 0:
        print(f"[3/5] live post store -> {db} (the sample's X API v2 export)")
        ingest_files(store, [data / "exports" / "x_v2.jsonl"])
    else:
        print(f"[3/5] reusing the post store {db} ({store.count()} posts)")
    pending = store.pending_count()
    store.close()
    sft_data = out / "sft.jsonl"
    if not is_finished(chat):
        if not sft_data.exists():
            print(
                f"[4/5] grounded chat-tuning conversations (the server's own search and prompt) -> {sft_data}"
            )
            _grounded_data(data, out / "sft-posts.db", base, sft_data, a.grounded, social=a.social)
        print(f"[4/5] chat tuning -> {chat}")
        sft(base, sft_data, chat, max_steps=a.sft_steps, recipe="demo", resume=latest_state(chat) is not None)
    else:
        print(f"[4/5] reusing finished chat tuning run in {chat}")
    if a.chat:
        print(f"[5/5] chatting with {chat} (loss curves: {base}/loss.png, {chat}/loss.png)")
        chat_loop(
            chat, SamplingParams(max_tokens=160, temperature=0.7, top_p=0.9, seed=a.seed), DEMO_SYSTEM, []
        )
        return
    print(
        f"[5/5] serving {chat}, answers grounded in {db} (loss curves: {base}/loss.png, {chat}/loss.png)"
        + (f"; embedding {pending} posts in the background, keyword search meanwhile" if pending else "")
    )
    serve(chat, "127.0.0.1", a.port, posts=db)


def _grounded_data(
    sample: Path, db: Path, base: Path, out: Path, n: int, pages: int = 30, social: int = 0
) -> None:
    """The demo's grounded chat-tuning data: over a store of the newest `pages` pages of the
    sample's X export (3,000 posts: embedded in ~20 s, where all 20,000 take minutes; the
    served store embeds those in the background), searched the way the server searches."""
    from mynah.atomic import write_text
    from mynah.posts.embed import Embedder, embed_all
    from mynah.posts.ingest import ingest_files
    from mynah.posts.store import SQLiteStore
    from mynah.train.grounded import write_grounded

    lines = (sample / "exports" / "x_v2.jsonl").read_text(encoding="utf-8").splitlines()[-pages:]
    part = db.with_suffix(".jsonl")
    write_text(part, "\n".join(lines) + "\n")
    store = SQLiteStore(db)
    if store.count() == 0:
        ingest_files(store, [part], progress=False)
    embedder = Embedder()
    embed_all(store, embedder, "the chat-tuning posts")
    write_grounded(
        sample, store, base, out, n=n, embedder=embedder, extra=sample / "conversations.jsonl", social=social
    )
    store.close()


def serve(model: Path, host: str, port: int, api_key_file: str | None = None, watermark=None, **kw) -> None:
    """`watermark`: the parsed serve options (--state-dir, --watermark-key-file,
    --no-watermark); None means the defaults: a key in the default state folder."""
    import uvicorn

    from mynah.checkpoint import check_checkpoint
    from mynah.serve.app import create_app, load_keys

    check_checkpoint(model)  # a wrong path exits 2 here, before the port is bound
    keys = load_keys(api_key_file) if api_key_file else None
    wm = watermark or argparse.Namespace(no_watermark=False, state_dir=None, watermark_key_file=None)
    platform_config = getattr(wm, "platform_config", None)
    agents = None
    if platform_config:
        from mynah.provenance.keys import state_dir
        from mynah.social.config import load

        # a missing secret or knowledge base stops the server here, naming its key
        agents = {
            "config": load(platform_config),
            "state_dir": state_dir(wm.state_dir, kw.get("posts"), model),
            "self_url": f"http://{'127.0.0.1' if host in ('0.0.0.0', '::', '') else host}:{port}",
        }
    wkey = _watermark_key(wm, model, kw.get("posts"))
    guard = _guard(wm, model, kw.get("posts"))
    signer = _image_signer(wm, model, kw.get("posts"))
    app = create_app(
        model, api_keys=keys, watermark_key=wkey, guard=guard, agents=agents, image_signer=signer, **kw
    )
    if agents is not None:
        cfg = agents["config"]
        hosted = [p for p in ("x",) if cfg.has(p)]
        print(
            f"  agents:     {', '.join(hosted) or 'no X account'} answered here; state in "
            f"{agents['state_dir'] / 'agents.db'}"
            + (f"; X webhook http://{host}:{port}/webhooks/x" if "x" in hosted else "")
            + (f"; console http://{host}:{port}/console" if cfg.get("agent", "operator_key") else ""),
            flush=True,
        )
    name = Path(model).resolve().name
    auth = ' -H "Authorization: Bearer $KEY"' if keys else ""
    print(
        f"\n  chat page:  http://{host}:{port}/\n"
        f"  try it:     curl http://{host}:{port}/v1/chat/completions{auth} -H 'Content-Type: application/json' "
        f"""-d '{{"model": "{name}", "messages": [{{"role": "user", "content": "What are people saying about coffee?"}}]}}'\n"""
        f"  stop with Ctrl-C\n",
        flush=True,
    )
    uvicorn.run(app, host=host, port=port, log_level="warning")


def _image_signer(wm, model, posts):
    """The deployment's C2PA certificate: --c2pa-cert/--c2pa-key, or STATE/c2pa/ (made at
    first start, self-signed, with a warning)."""
    from mynah.images.provenance import Signer
    from mynah.provenance.keys import state_dir

    cert, key = getattr(wm, "c2pa_cert", None), getattr(wm, "c2pa_key", None)
    return Signer.for_state(state_dir(getattr(wm, "state_dir", None), posts, model), cert, key)


def cmd_serve(a) -> None:
    from mynah.serve.app import Limits

    if a.watermark_delta is not None and not 0 < a.watermark_delta <= 10:
        raise ValueError(f"--watermark-delta {a.watermark_delta:g}: must be above 0 and at most 10")
    image_options = None
    if a.image_model:
        from mynah.images.pipeline import check_folder

        check_folder(a.image_model)  # pickle weights or no pipeline: exit 2 now, before the slow parts
        image_options = {
            "max_queue": a.image_max_queue,
            "steps": a.image_steps,
            "guidance": a.image_guidance,
            "threads": a.image_threads,
            "max_n": a.image_max_n,
            "max_side": a.image_max_size,
            "device": a.image_device,
            "dtype": a.image_dtype,
        }

    serve(
        Path(a.model),
        a.host,
        a.port,
        a.api_key_file,
        model_name=a.name,
        max_batch=a.max_batch,
        max_queue=a.max_queue,
        limits=Limits(max_tokens=a.max_tokens_limit),
        compile=a.compile,
        posts=a.posts,
        watermark=a,
        watermark_delta=a.watermark_delta,
        detect_requires_key=a.detect_requires_key,
        detect_per_minute=a.detect_rate,
        mastodon_max_characters=_mastodon_limit(a.mastodon_instance),
        image_model=a.image_model,
        image_options=image_options,
    )


def _mastodon_limit(url: str | None) -> int | None:
    if not url:
        return None
    from mynah.social.platforms.mastodon import instance_max_characters

    n = instance_max_characters(url)
    print(f"mastodon: {url} allows {n} characters a post", flush=True)
    return n


def cmd_social(a) -> int:
    """A client of a running server's /v1/social/* (as `vllm complete` is of vLLM's)."""
    import json
    import os

    import httpx

    body: dict = {"platform": a.platform, "n": a.n}
    if a.task == "compose":
        body |= {"instructions": a.input, "hashtags": not a.no_hashtags}
        if a.tone:
            body["tone"] = a.tone
        if a.thread:
            body["thread"] = a.thread
    elif a.task in ("replies", "explain") and not a.post_id:
        body["text"] = a.input
    else:
        body["post_id"] = a.post_id or a.input
    for name in ("language", "max_length", "seed", "temperature"):
        if getattr(a, name) is not None:
            body[name] = getattr(a, name)
    if a.task == "summarize" and not body.get("post_id"):
        raise ValueError("summarize needs a post: mynah social summarize POST_ID")
    if a.task != "compose" and a.input and a.post_id:
        raise ValueError("give a post's text or --post-id, not both")
    headers = {}
    key = os.environ.get("MYNAH_API_KEY")
    if a.api_key_file:
        from mynah.serve.app import load_keys

        key = load_keys(a.api_key_file)[0]
    if key:
        headers["Authorization"] = f"Bearer {key}"
    try:
        r = httpx.post(
            f"{a.server.rstrip('/')}/v1/social/{a.task}", json=body, headers=headers, timeout=a.timeout
        )
    except httpx.HTTPError as e:
        raise ValueError(f"{a.server}: {e} (is `mynah serve` running there?)") from None
    out = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
    if r.status_code != 200:
        err = out.get("error", {})
        where = f" ({err['param']})" if err.get("param") else ""
        print(f"mynah social {a.task}: {r.status_code} {err.get('message', r.text)}{where}", file=sys.stderr)
        return 1
    if a.json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    for d in out["data"]:
        print(f"--- {d['index'] + 1}/{len(out['data'])}  {d['length']}/{d['limit']} {d['unit']}")
        if d.get("posts"):
            print("\n".join(p["text"] for p in d["posts"]))
        else:
            print(d["text"])
    for c in out.get("citations", []):
        if c.get("cited") or c.get("quoted"):
            print(f"[{c['index']}] @{c['author']}: {c.get('url') or c['id']}")
    return 0


def cmd_agents_run(a) -> int:
    """The Bluesky and Mastodon agents: pollers (and Mastodon's stream), generating through
    a running server. Resumes from its saved cursors and outbox after a restart."""
    import os
    import time

    from mynah.social.config import load
    from mynah.social.host import build

    cfg = load(a.platform_config)
    platforms = tuple(p for p in ("bluesky", "mastodon") if cfg.has(p))
    if not platforms:
        raise ValueError(
            f"{a.platform_config}: no [bluesky] or [mastodon] section, so nothing for `agents run` to do "
            "(the X account is answered by `mynah serve --platform-config`)"
        )
    key = os.environ.get("MYNAH_API_KEY")
    if a.api_key_file:
        from mynah.serve.context import load_keys

        key = load_keys(a.api_key_file)[0]
    embedder = None
    if cfg.get("agent", "kb") and not a.no_embed:
        from mynah.posts.embed import Embedder

        embedder = Embedder()
    sd = Path(a.state_dir or "mynah-state")
    host = build(
        cfg, sd, a.server, key, platforms, embedder, workers=a.workers, poll_interval=a.poll_interval
    )
    host.runner.start()
    print(f"mynah agents: {', '.join(platforms)} through {a.server}; state in {sd / 'agents.db'}", flush=True)
    start = time.time()
    try:
        while a.run_for is None or time.time() - start < a.run_for:
            time.sleep(0.2)
    finally:
        host.stop()
    return 0


def cmd_fake(a) -> int:
    """A fake platform on 127.0.0.1 for the walkthrough and the tests."""

    def read(path):
        return Path(path).read_text(encoding="utf-8").strip() if path else None

    if a.platform == "x":
        from mynah.social.fakes import x

        x.main(
            a.port,
            a.consumer_key_file,
            a.consumer_secret_file,
            a.access_token_file,
            a.access_token_secret_file,
            webhook_url=a.webhook_url,
            echo_own=True,  # as X does: the account's own posts and DMs come back to its webhook
        )
    elif a.platform == "bluesky":
        from mynah.social.fakes import bluesky

        bluesky.main(
            a.port, handle=a.handle or "mynah.test", app_password=read(a.secret_file) or "app-pass-word"
        )
    else:
        from mynah.social.fakes import mastodon

        mastodon.main(a.port, token=read(a.secret_file) or "fake-token")
    return 0


def _filters(a):
    from mynah.posts.store import Filters

    return Filters(since=a.since, until=a.until, author=a.author, lang=a.lang, hashtag=a.hashtag)


def _embed_after(store, a, what: str, embedder=None) -> None:
    """Embed what the command stored (unless --no-embed), with a progress bar."""
    if a.no_embed or not store.pending_count():
        return
    from mynah.posts.embed import Embedder, embed_all

    embed_all(store, embedder or Embedder(), what)


def cmd_posts_ingest(a) -> None:
    from mynah.corpus.build import expand_inputs
    from mynah.posts.ingest import ingest_files
    from mynah.posts.store import open_store

    store = open_store(a.db)
    try:
        r = ingest_files(store, expand_inputs(a.inputs), batch=a.batch)
        lines = [x for x in r["rejects"] if x["kind"] == "line"]
        for rej in lines[:20]:
            print(f"{rej['source']}: {rej['reason']}", file=sys.stderr)
        if len(lines) > 20:
            print(f"... and {len(lines) - 20} more malformed lines", file=sys.stderr)
        for rej in r["rejects"]:
            if rej["kind"] == "truncated":
                print(
                    f"warning: {rej['source']}: {rej['reason']}; the lines before it were stored",
                    file=sys.stderr,
                )
        print(
            f"{r['created']} created, {r['updated']} updated, {r['deleted']} deleted, "
            f"{r['unchanged']} unchanged, {r['malformed']} malformed"
            + (f", {r['truncated']} truncated files" if r["truncated"] else "")
            + f"; {store.count()} posts in {a.db}"
        )
        _embed_after(store, a, "posts")
    finally:
        store.close()
    if (r["malformed"] or r["truncated"]) and not (
        r["created"] or r["updated"] or r["deleted"] or r["unchanged"]
    ):
        raise ValueError(f"nothing usable was read from {', '.join(a.inputs)}")


def cmd_posts_follow(a) -> None:
    from mynah.posts.ingest import follow
    from mynah.posts.store import open_store

    store = open_store(a.db)
    worker = None
    if not a.no_embed:
        from mynah.posts.embed import Embedder, EmbedWorker

        worker = EmbedWorker(store, Embedder())
        worker.start()
    try:
        print(f"following {a.file} into {a.db} (Ctrl-C to stop)", file=sys.stderr, flush=True)
        r = follow(
            store,
            a.file,
            batch=a.batch,
            poll_s=a.poll,
            idle_exit_s=a.idle_exit,
            on_batch=worker.wake if worker else None,
        )
        print(f"{r.get('created', 0)} created, {r.get('updated', 0)} updated, {r.get('deleted', 0)} deleted")
    finally:
        if worker is not None:
            worker.stop()
        store.close()


def cmd_posts_search(a) -> None:
    import json

    from mynah.posts.search import search
    from mynah.posts.store import open_store

    store = open_store(a.db)
    try:
        embedder = None
        if a.mode != "bm25":
            from mynah.posts.embed import Embedder

            embedder = Embedder()
        hits = search(store, a.query, k=a.k, filters=_filters(a), mode=a.mode, embedder=embedder)
    finally:
        store.close()
    if a.json:
        print(json.dumps([h.as_dict() for h in hits], ensure_ascii=False, indent=2))
        return
    for i, h in enumerate(hits, 1):
        who = f"@{h.post.author}" if h.post.author else "?"
        print(f"[{i}] {who} {h.post.created_at or ''}  {h.post.url or h.post.key}")
        print("    " + " ".join(h.post.text.split())[:200])
    if not hits:
        print("no posts found", file=sys.stderr)


def cmd_kb_ingest(a) -> None:
    from mynah.social.kb import KnowledgeBase

    with KnowledgeBase.open(a.db) as kb:
        r = kb.ingest(a.files, embed=not a.no_embed, url_base=a.url_base, name=a.name)
        print(
            f"{r['sections']} sections from {len(a.files)} files: {r['created']} created, {r['updated']} updated, "
            f"{r['deleted']} deleted, {r['unchanged']} unchanged, {len(r['rejected'])} rejected lines; "
            f"{kb.count()} sections in {a.db}"
        )


def cmd_kb_search(a) -> None:
    import json

    from mynah.social.kb import KnowledgeBase, title_of

    with KnowledgeBase.open(a.db) as kb:
        embedder = None
        if not a.no_embed and kb.store.count() and kb.store.pending_count() < kb.store.count():
            from mynah.posts.embed import Embedder

            embedder = Embedder()
        ans = kb.search(a.question, k=a.k, doc=a.doc, embedder=embedder)
    if a.json:
        print(json.dumps(ans.as_dict(), ensure_ascii=False, indent=2))
    else:
        for i, h in enumerate(ans.hits, 1):
            print(f"[{i}] {h.post.author}: {title_of(h.post)}  {h.post.url or h.post.key}")
            print("    " + h.post.text.split(": ", 1)[-1][:300])
        print(f"{'confident' if ans.confident else 'not confident'}: {ans.reason}")


def cmd_sft_data(a) -> None:
    from mynah.posts.store import open_store
    from mynah.train.grounded import write_grounded

    store = open_store(a.posts)
    embedder = None
    if not a.no_embed and store.count():
        from mynah.posts.embed import Embedder

        embedder = Embedder()
        _embed_after(store, a, "the posts", embedder)
    extra = Path(a.sample) / "conversations.jsonl"
    n = write_grounded(
        a.sample,
        store,
        a.tokenizer,
        a.out,
        n=a.n,
        seed=a.seed,
        embedder=embedder,
        extra=extra if extra.exists() else None,
        social=a.social,
    )
    print(
        f"wrote {n} conversations ({a.n} grounded, {a.social} writing-tool) to {a.out};"
        f" chat-tune with: mynah sft --data {a.out}"
    )


def cmd_eval_grounding(a) -> None:
    from mynah.posts.evaluate import run

    run(a.model, a.posts, a.out, a.sample, a.questions, a.constraint, a.n, a.seed, embed=not a.no_embed)


def cmd_eval_safety(a) -> int:
    from mynah.safety.evaluate import markdown, run

    key = None
    if a.api_key_file:
        from mynah.serve.context import load_keys

        key = load_keys(a.api_key_file)[0]
    rep = run(a.out, a.policy, a.server, a.data, key, max_tokens=a.max_tokens)
    print(markdown(rep))
    print(f"wrote {a.out}/safety.json, safety.md, safety.png")
    return 0


def _watermark_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--state-dir",
        default=None,
        help="the deployment's own folder: watermark key, policy audit log, the agents' inbox and outbox "
        "(default: mynah-state/ beside the post store, or in the working directory)",
    )
    p.add_argument(
        "--watermark-key-file",
        default=None,
        help="the watermark key (else $MYNAH_WATERMARK_KEY, else STATE/watermark.key)",
    )
    p.add_argument(
        "--no-watermark", action="store_true", help="generate without the watermark (not recommended)"
    )
    p.add_argument(
        "--watermark-delta",
        type=float,
        default=None,
        help="the bias added to green tokens (default 2.5): larger is easier to detect in short "
        "posts and moves the model's choices more (docs/BENCHMARKS.md measures both)",
    )
    p.add_argument(
        "--detect-requires-key", action="store_true", help="close POST /v1/detect to API key holders"
    )
    p.add_argument(
        "--detect-rate",
        type=float,
        default=120,
        help="texts a minute /v1/detect scores per client without a key",
    )


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="mynah", description="A self-hostable assistant for social networks.")
    sub = ap.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("sample", help="write a deterministic synthetic social network")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--posts", type=int, default=20000, help="number of posts")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(fn=cmd_sample)

    corpus = sub.add_parser("corpus", help="build a training corpus from platform exports").add_subparsers(
        dest="corpus_cmd", required=True
    )
    p = corpus.add_parser(
        "build", help="X v2/v1.1/archive, Bluesky Jetstream, Mastodon, CSV or mynah JSONL -> corpus folder"
    )
    p.add_argument("inputs", nargs="+", help="files, folders or globs (.gz and .zst are read directly)")
    p.add_argument("--out", required=True, help="corpus folder")
    p.add_argument("--resume", action="store_true", help="skip the input parts a killed run already finished")
    p.add_argument("--engine", choices=["local", "ray"], default="local")
    p.add_argument(
        "--workers", type=int, default=None, help="local engine: reading processes (default: one per core)"
    )
    p.add_argument("--address", default=None, help="Ray cluster address (default: start a local Ray)")
    p.add_argument(
        "--langs", default=None, help="comma-separated language allow-list, e.g. en,de,es (default: all)"
    )
    p.add_argument("--min-chars", type=int, default=10)
    p.add_argument("--max-chars", type=int, default=5000)
    p.add_argument("--keep-reposts", action="store_true")
    p.add_argument(
        "--keep-mentions", action="store_true", help="keep @handles (e.g. to train an account's own voice)"
    )
    p.add_argument("--keep-urls", action="store_true")
    p.add_argument(
        "--no-pii", action="store_true", help="do not scrub emails, phone numbers and IP addresses"
    )
    p.add_argument("--no-near-dedup", action="store_true")
    p.add_argument(
        "--memory-mb",
        type=int,
        default=1024,
        help="memory for the deduplication state; past it, the older part moves to disk in DIR/.work",
    )
    p.add_argument(
        "--near-threshold",
        type=float,
        default=0.7,
        help="MinHash Jaccard above which posts are near-duplicates",
    )
    p.add_argument(
        "--val-frac", type=float, default=0.05, help="share of conversations held out for validation"
    )
    p.add_argument(
        "--vocab-size", type=int, default=4096, help="size of the BPE tokenizer trained on the kept posts"
    )
    p.add_argument("--tokenizer", default=None, help="reuse this tokenizer folder instead of training one")
    p.add_argument(
        "--text-column",
        default="text",
        help="CSV: the text column; comma-separated names try each (case and spaces ignored)",
    )
    p.add_argument("--id-column", default="id")
    p.add_argument("--author-column", default="author")
    p.add_argument("--time-column", default="created_at")
    p.set_defaults(fn=cmd_corpus_build)

    p = sub.add_parser("train", help="pretrain a recipe on posts (run under torchrun for data parallelism)")
    p.add_argument("--recipe", default="tiny", help="tiny, demo, small or moe-tiny")
    p.add_argument("--data", required=True, help="a posts .jsonl file or a corpus folder")
    p.add_argument("--out", required=True, help="run folder: checkpoint, metrics.csv, loss.png")
    p.add_argument("--max-steps", type=int, default=None, help="optimizer steps (default: the recipe's)")
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint in --out")
    p.add_argument("--micro-batch", type=int, default=None, help="sequences per forward, per process")
    p.add_argument("--grad-accum", type=int, default=None, help="micro-batches per optimizer step")
    p.add_argument("--seq-len", type=int, default=None)
    p.add_argument("--lr", type=float, default=None, help="peak learning rate")
    p.add_argument("--eval-every", type=int, default=None)
    p.add_argument("--save-every", type=int, default=None)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument(
        "--dtype",
        choices=["auto", "fp32", "bf16"],
        default=None,
        help="auto: bf16 autocast on CUDA with bf16",
    )
    p.set_defaults(fn=cmd_train)

    p = sub.add_parser("sft", help="chat-tune a checkpoint on OpenAI messages JSONL")
    p.add_argument("--model", required=True, help="checkpoint folder to start from")
    p.add_argument("--data", required=True, help='conversations .jsonl ({"messages": [...]} per line)')
    p.add_argument("--out", required=True)
    p.add_argument("--max-steps", type=int, default=None)
    p.add_argument("--resume", action="store_true")
    p.add_argument("--micro-batch", type=int, default=None)
    p.add_argument("--lr", type=float, default=None)
    p.set_defaults(fn=cmd_sft)

    p = sub.add_parser("generate", help="continue a post; prints only the continuation")
    p.add_argument("--model", required=True)
    _sampling_args(p)
    p.add_argument("prompt")
    p.set_defaults(fn=cmd_generate)

    p = sub.add_parser("chat", help="chat in the terminal through the model's chat template")
    p.add_argument("--model", required=True)
    p.add_argument("--system", default=DEMO_SYSTEM, help="system prompt ('' for none)")
    _sampling_args(p, max_tokens=256, temperature=0.7)
    p.set_defaults(fn=cmd_chat)

    p = sub.add_parser("demo", help="sample -> train tiny -> sft -> serve, reusing finished stages")
    p.add_argument("--out", default="runs/demo")
    p.add_argument("--posts", type=int, default=20000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--train-steps", type=int, default=None, help="pretraining steps (default: the demo recipe's)"
    )
    p.add_argument(
        "--sft-steps", type=int, default=None, help="chat-tuning steps (default: the demo recipe's)"
    )
    p.add_argument("--grounded", type=int, default=1500, help="grounded chat-tuning conversations")
    p.add_argument(
        "--social",
        type=int,
        default=1000,
        help="writing-tool conversations (compose, replies, summarize, explain)",
    )
    p.add_argument("--port", type=int, default=8000, help="port of the chat page and API")
    p.add_argument("--chat", action="store_true", help="chat in the terminal instead of serving")
    p.set_defaults(fn=cmd_demo)

    p = sub.add_parser("serve", help="OpenAI-compatible API (continuous batching) and a web chat page")
    p.add_argument("--model", required=True, help="model folder (Hugging Face layout)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--api-key-file", default=None, help="file of API keys, one a line (default: no keys)")
    p.add_argument("--name", default=None, help="model id clients send (default: the folder name)")
    p.add_argument("--max-batch", type=int, default=16, help="sequences decoded together")
    p.add_argument("--max-queue", type=int, default=64, help="sequences waiting before 429")
    p.add_argument("--max-tokens-limit", type=int, default=2048, help="largest max_tokens a request may ask")
    p.add_argument("--compile", action="store_true", help="compile the decode step (slower start)")
    p.add_argument(
        "--posts", default=None, help="ground chat answers in this post store (file or postgresql:// URL)"
    )
    _watermark_args(p)
    p.add_argument(
        "--policy", default=None, help="policy file (TOML): categories, thresholds, rules, election facts"
    )
    p.add_argument(
        "--no-policy", action="store_true", help="serve without the policy layer (not recommended)"
    )
    p.add_argument(
        "--mastodon-instance",
        default=None,
        help="a Mastodon instance's URL: its /api/v2/instance sets the length limit of Mastodon drafts",
    )
    p.add_argument(
        "--platform-config",
        default=None,
        help="platform.toml: answer the X account's webhook events here, and host the operator console",
    )
    g = p.add_argument_group("images")
    g.add_argument(
        "--image-model",
        default=None,
        help="a diffusers pipeline folder (safetensors only) for /v1/images/generations",
    )
    g.add_argument("--image-max-queue", type=int, default=4, help="image requests waiting before 429")
    g.add_argument("--image-steps", type=int, default=4, help="denoising steps when a request gives none")
    g.add_argument(
        "--image-guidance",
        type=float,
        default=0.0,
        help="guidance scale when a request gives none (0: SD-Turbo-class; about 7.5 for Stable Diffusion 1.5)",
    )
    g.add_argument("--image-threads", type=int, default=1, help="CPU threads of the image worker process")
    g.add_argument("--image-device", default="cpu", help="where the pipeline runs: cpu, cuda, cuda:1, mps")
    g.add_argument(
        "--image-dtype",
        default="float32",
        help="float32 (CPU), or float16 / bfloat16 on a GPU (half the memory)",
    )
    g.add_argument("--image-max-n", type=int, default=4, help="images one request may ask for")
    g.add_argument("--image-max-size", type=int, default=1024, help="largest side in pixels")
    g.add_argument(
        "--c2pa-cert", default=None, help="PEM chain that signs images' C2PA manifests (CA-issued)"
    )
    g.add_argument("--c2pa-key", default=None, help="its private key (PEM)")
    p.set_defaults(fn=cmd_serve)

    p = sub.add_parser("images", help="image pipelines for tests").add_subparsers(
        dest="images_cmd", required=True
    )
    q = p.add_parser(
        "tiny-pipeline", help="a Stable Diffusion-format pipeline with random weights (tests, CI)"
    )
    q.add_argument("--out", required=True, help="the pipeline folder to write")
    q.add_argument("--seed", type=int, default=0)
    q.set_defaults(fn=cmd_images_tiny)

    p = sub.add_parser(
        "detect-image", help="does this image say it is AI-made? C2PA manifest, XMP and pixel watermark"
    )
    p.add_argument("file", help="a PNG or JPEG")
    p.add_argument("--trust", default=None, help="PEM trust anchors (a deployment's STATE/c2pa/ca.pem)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(fn=cmd_detect_image)

    p = sub.add_parser("agents", help="the Bluesky and Mastodon agents (X is answered by `mynah serve`)")
    asub = p.add_subparsers(dest="agents_cmd", required=True)
    q = asub.add_parser(
        "run", help="poll the platforms, answer through a running server; resumes after a restart"
    )
    q.add_argument("--platform-config", required=True, help="platform.toml ([bluesky], [mastodon], [agent])")
    q.add_argument("--server", default="http://127.0.0.1:8000", help="the mynah server that generates")
    q.add_argument("--api-key-file", default=None, help="the server's API key (else $MYNAH_API_KEY)")
    q.add_argument("--state-dir", default=None, help="inbox, outbox, cursors (default: mynah-state/)")
    q.add_argument("--poll-interval", type=float, default=5.0, help="seconds between polls")
    q.add_argument("--workers", type=int, default=None, help="events decided at once (default 8)")
    q.add_argument("--no-embed", action="store_true", help="knowledge-base search by keywords only")
    q.add_argument(
        "--run-for", type=float, default=None, help="stop after this many seconds (default: until Ctrl-C)"
    )
    q.set_defaults(fn=cmd_agents_run)

    p = sub.add_parser("fake", help="a fake X, Bluesky or Mastodon on 127.0.0.1 (walkthrough and tests)")
    p.add_argument("platform", choices=["x", "bluesky", "mastodon"])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--webhook-url", default=None, help="x: where it delivers Account Activity events")
    for name in ("consumer-key", "consumer-secret", "access-token", "access-token-secret"):
        p.add_argument(f"--{name}-file", default=None, help=f"x: the app's {name.replace('-', ' ')}")
    p.add_argument("--handle", default=None, help="bluesky: the assistant's handle (default mynah.test)")
    p.add_argument(
        "--secret-file", default=None, help="bluesky: the app password; mastodon: the access token"
    )
    p.set_defaults(fn=cmd_fake)

    p = sub.add_parser(
        "social",
        help="writing tools through a running server: compose, replies, summarize, explain",
    )
    p.add_argument("task", choices=["compose", "replies", "summarize", "explain"])
    p.add_argument(
        "input", nargs="?", default=None, help="compose: the instructions; replies/explain: a post's text"
    )
    p.add_argument("--post-id", default=None, help="a post in the server's store (its id or key)")
    p.add_argument("--platform", default="x", choices=["x", "bluesky", "mastodon"])
    p.add_argument("--n", type=int, default=1, help="suggestions to make")
    p.add_argument("--tone", default=None, choices=["neutral", "positive", "critical"])
    p.add_argument("--language", default=None, help="ISO 639-1 code (en, de, es, ...)")
    p.add_argument("--thread", type=int, default=None, help="compose: a thread of at most this many posts")
    p.add_argument("--max-length", type=int, default=None, help="a limit below the platform's")
    p.add_argument("--no-hashtags", action="store_true", help="compose: no hashtags from the store")
    p.add_argument("--temperature", type=float, default=None)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--server", default="http://127.0.0.1:8000", help="the server (`mynah serve`)")
    p.add_argument("--api-key-file", default=None, help="an API key for the server (or $MYNAH_API_KEY)")
    p.add_argument("--timeout", type=float, default=120.0)
    p.add_argument("--json", action="store_true", help="print the whole response")
    p.set_defaults(fn=cmd_social)

    p = sub.add_parser(
        "detect",
        help="is this text mynah's? the watermark test, locally with the key or through a server",
    )
    p.add_argument(
        "file", nargs="?", default="-", help="a text file, or JSON Lines with --jsonl ('-': stdin)"
    )
    p.add_argument("--jsonl", action="store_true", help="one JSON object a line; score each one's --field")
    p.add_argument("--field", default="text", help="the field that holds the text (--jsonl)")
    p.add_argument(
        "--key-file", default=None, help="the deployment's watermark key (or $MYNAH_WATERMARK_KEY)"
    )
    p.add_argument("--state-dir", default=None, help="read the key from this deployment's state folder")
    p.add_argument("--model", default=None, help="model folder: only its tokenizer is read, no weights")
    p.add_argument("--server", default=None, help="score through this deployment's /v1/detect instead")
    p.add_argument("--api-key-file", default=None, help="with --server: an API key for a closed detector")
    p.add_argument("--threshold", type=float, default=1e-6, help="watermarked when p <= this")
    p.add_argument("--min-tokens", type=int, default=16, help="fewer scored tokens: too short to tell")
    p.set_defaults(fn=cmd_detect)

    p = sub.add_parser(
        "sft-data",
        help="grounded chat-tuning conversations, built by the server's own retrieval and prompt code",
    )
    p.add_argument(
        "--sample", required=True, help="the folder `mynah sample` wrote (its posts carry their topic)"
    )
    p.add_argument("--posts", required=True, help="a post store of that network (`mynah posts ingest`)")
    p.add_argument(
        "--tokenizer", required=True, help="the model folder whose tokenizer and context to fit to"
    )
    p.add_argument(
        "--out", required=True, help="JSONL to write (with the sample's reply and support conversations)"
    )
    p.add_argument("--n", type=int, default=1500, help="grounded conversations")
    p.add_argument(
        "--social",
        type=int,
        default=1000,
        help="writing-tool conversations (compose, replies, summarize, explain)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-embed", action="store_true", help="keyword search only (the server embeds)")
    p.set_defaults(fn=cmd_sft_data)

    ev = sub.add_parser("eval", help="measure a model").add_subparsers(dest="eval_cmd", required=True)
    p = ev.add_parser("grounding", help="cites, citation precision, quote fidelity, attribution, honesty")
    p.add_argument("--model", required=True)
    p.add_argument("--posts", required=True, help="the post store the answers are grounded in")
    p.add_argument(
        "--sample", help="the sample folder whose posts.jsonl labels the store (default: DB's ../sample)"
    )
    p.add_argument(
        "--questions",
        help='JSONL of {"question", "topic" | "author", "expect_empty"} (default: held-out set)',
    )
    p.add_argument("--constraint", choices=["both", "on", "off"], default="both", help="the quote processors")
    p.add_argument(
        "--n", type=int, default=200, help="held-out questions to make when --questions is not given"
    )
    p.add_argument("--seed", type=int, default=1, help="held-out set seed (training data uses 0)")
    p.add_argument(
        "--out", default="eval-grounding", help="folder for grounding.json, answers.jsonl, grounding.png"
    )
    p.add_argument("--no-embed", action="store_true", help="keyword search only")
    p.set_defaults(fn=cmd_eval_grounding)

    p = ev.add_parser(
        "safety", help="refusal on hard limits, over-refusal, symmetry, languages (classifier or live server)"
    )
    p.add_argument(
        "--policy", default=None, help="policy file (TOML) to measure (default: the built-in policy)"
    )
    p.add_argument("--server", default=None, help="measure a live server end to end (its URL)")
    p.add_argument("--api-key-file", default=None, help="the server's API key (first key in the file)")
    p.add_argument(
        "--data",
        default="heldout",
        help="heldout (default: the hand-written set figures are reported on), main-split, or a JSONL file",
    )
    p.add_argument("--max-tokens", type=int, default=48, help="answer length per request with --server")
    p.add_argument("--out", default="eval-safety", help="folder for safety.json, safety.md, safety.png")
    p.set_defaults(fn=cmd_eval_safety)

    posts = sub.add_parser("posts", help="the live post store: ingest, follow, search").add_subparsers(
        dest="posts_cmd", required=True
    )
    db_help = "post store: a SQLite file (created if missing) or a postgresql:// URL"
    p = posts.add_parser("ingest", help="store posts from files in any format `corpus build` reads")
    p.add_argument("inputs", nargs="+", help="files, folders or globs")
    p.add_argument("--db", required=True, help=db_help)
    p.add_argument("--batch", type=int, default=1000, help="posts a transaction")
    p.add_argument("--no-embed", action="store_true", help="store only; embed later (serve or ingest)")
    p.set_defaults(fn=cmd_posts_ingest)
    p = posts.add_parser("follow", help="tail a growing JSONL or Jetstream file; resumes after a restart")
    p.add_argument("file")
    p.add_argument("--db", required=True, help=db_help)
    p.add_argument("--batch", type=int, default=500, help="lines a transaction")
    p.add_argument("--poll", type=float, default=0.5, help="seconds between looks at the file")
    p.add_argument(
        "--idle-exit", type=float, default=None, help="exit after this many seconds without growth"
    )
    p.add_argument("--no-embed", action="store_true", help="store only; embed later")
    p.set_defaults(fn=cmd_posts_follow)
    p = posts.add_parser("search", help="hybrid (BM25 + vector) search with a recency weight")
    p.add_argument("query")
    p.add_argument("--db", required=True, help=db_help)
    p.add_argument("-k", "--k", type=int, default=10, help="results")
    p.add_argument("--mode", choices=["hybrid", "bm25", "vector"], default="hybrid")
    p.add_argument("--since", help="ISO 8601 time, inclusive")
    p.add_argument("--until", help="ISO 8601 time, inclusive")
    p.add_argument("--author")
    p.add_argument("--lang")
    p.add_argument("--hashtag")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(fn=cmd_posts_search)

    kb = sub.add_parser("kb", help="a business's knowledge base for the DM agent").add_subparsers(
        dest="kb_cmd", required=True
    )
    kb_db = "knowledge base: a SQLite file (created if missing) or a postgresql:// URL"
    p = kb.add_parser("ingest", help="store help pages (.md, .txt) and FAQs (.jsonl, .json, .csv)")
    p.add_argument("files", nargs="+", help="files; each one's sections replace what it had before")
    p.add_argument("--db", required=True, help=kb_db)
    p.add_argument("--name", help="the business the files belong to (default: each file's stem)")
    p.add_argument("--url-base", help="section URLs become URL/<doc>#<slug> (default: file:// URIs)")
    p.add_argument("--no-embed", action="store_true", help="store only; embed later")
    p.set_defaults(fn=cmd_kb_ingest)
    p = kb.add_parser("search", help="the sections that answer a question, and whether any does")
    p.add_argument("question")
    p.add_argument("--db", required=True, help=kb_db)
    p.add_argument("--doc", help="only this business's sections (its --name, else the file's stem)")
    p.add_argument("-k", "--k", type=int, default=4, help="sections at most")
    p.add_argument("--no-embed", action="store_true", help="words only: no embedding model")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(fn=cmd_kb_search)
    return ap


def _guard(a, model: Path, posts=None):
    """The policy layer, loaded before the port opens: a server whose classifier cannot load
    does not start (unless --no-policy says so explicitly)."""
    if getattr(a, "no_policy", False):
        print("  policy:     OFF (--no-policy): requests and answers are not checked")
        return None
    from mynah.posts.embed import Embedder, EmbedThread
    from mynah.provenance.keys import state_dir
    from mynah.safety.audit import AuditLog
    from mynah.safety.classifier import ClassifierError
    from mynah.safety.guard import Guard
    from mynah.safety.policy import Policy, load_policy

    policy = load_policy(a.policy) if getattr(a, "policy", None) else Policy()
    sd = state_dir(a.state_dir, posts, model)
    try:
        # the embedder on the server's embedding thread from the start: the warm-up below
        # must not bring the main thread a team of OpenMP workers (posts/embed.py: EmbedThread)
        guard = Guard.load(policy, embedder=EmbedThread(Embedder()), audit=AuditLog(sd / "audit.jsonl"))
    except (ClassifierError, ImportError, OSError) as e:
        raise ValueError(
            f"the policy classifier could not load ({e}); the server will not run unguarded. "
            "Fix it, or start with --no-policy to serve without the policy layer"
        ) from None
    print(f"  policy:     {policy.version} ({policy.source}), audit log {sd / 'audit.jsonl'}")
    return guard


def _watermark_key(a, model: Path, posts=None) -> bytes | None:
    """The server's watermark key (None with --no-watermark), its source and key id printed."""
    from mynah.provenance.keys import load_or_create, state_dir
    from mynah.provenance.watermark import key_id

    if a.no_watermark:
        print("  watermark:  OFF (--no-watermark): nothing this server writes can be told from human text")
        return None
    sd = state_dir(a.state_dir, posts, model)
    key, where, created = load_or_create(a.watermark_key_file, sd)
    print(f"  watermark:  on, key id {key_id(key)} ({'created ' if created else 'from '}{where})")
    return key


def cmd_detect(a) -> int:
    import json

    from mynah.provenance.detect import Detector, RemoteDetector, read_texts

    if a.server:
        api_key = None
        if a.api_key_file:
            from mynah.serve.context import load_keys

            api_key = load_keys(a.api_key_file)[0]
        remote = RemoteDetector(a.server, api_key)
        prepare, finish = remote.score_dicts, lambda scores: scores
    else:
        from mynah.provenance.keys import ENV, find_key
        from mynah.tokenizer import Tokenizer

        found = find_key(a.key_file, Path(a.state_dir) if a.state_dir else None)
        if found is None:
            raise ValueError(f"give the key (--key-file F, ${ENV} or --state-dir DIR), or --server URL")
        key = found[0]
        if not a.model:
            raise ValueError("--model DIR: the model folder whose tokenizer the text was written with")
        if not Path(a.model, "tokenizer.json").is_file():
            raise ValueError(
                f"{a.model}: no tokenizer.json (a model folder from `mynah train` or `mynah sft`)"
            )
        det = Detector(key, Tokenizer.load(a.model), threshold=a.threshold, min_scored=a.min_tokens)
        prepare = det.prepare
        finish = lambda prepared: det.score_ids(*prepared)  # noqa: E731 (Scores: written fast below)
    source = "<stdin>" if a.file == "-" else a.file
    f = sys.stdin.buffer if a.file == "-" else open(a.file, "rb")  # noqa: SIM115
    try:
        if not a.jsonl:  # the whole input is one text
            raw = f.read()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                line = raw[: e.start].count(b"\n") + 1
                raise ValueError(f"{source}:{line}: not valid UTF-8 (byte {e.start})") from None
            r = finish(prepare([text]))[0]
            print(json.dumps(r if isinstance(r, dict) else r.as_dict(), indent=2))
            return 0
        counts = {"watermarked": 0, "not_watermarked": 0, "too_short": 0, "bad": 0}
        out = sys.stdout

        def batches():
            batch = []
            for item in read_texts(f, True, a.field, source):
                if item[2]:
                    counts["bad"] += 1
                    print(f"mynah detect: {item[2]}", file=sys.stderr)
                batch.append(item)
                if len(batch) >= 4096:
                    yield batch
                    batch = []
            if batch:
                yield batch

        def write(batch, scores) -> None:  # in input order, bad lines in their place
            scores = iter(scores)
            for n, _, err in batch:
                if err:
                    out.write(json.dumps({"line": n, "error": err}) + "\n")
                    continue
                r = next(scores)
                if isinstance(r, dict):  # from a server
                    counts[r["verdict"]] += 1
                    out.write(json.dumps({"line": n, **r}) + "\n")
                else:
                    counts[r.verdict] += 1
                    out.write(r.json_line(n) + "\n")

        # The next batch is tokenized (or sent to the server) in a thread while this one is
        # scored and written: the tokenizer lets go of the GIL, so two cores both work.
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(1) as pool:
            pending = None
            for batch in batches():
                fut = pool.submit(prepare, [t for _, t, e in batch if e is None])
                if pending is not None:
                    write(pending[0], finish(pending[1].result()))
                pending = (batch, fut)
            if pending is not None:
                write(pending[0], finish(pending[1].result()))
    finally:
        if f is not sys.stdin.buffer:
            f.close()
    print(
        f"mynah detect: {counts['watermarked']} watermarked, {counts['not_watermarked']} not, "
        f"{counts['too_short']} too short to tell, {counts['bad']} bad lines ({source})",
        file=sys.stderr,
    )
    return 1 if counts["bad"] else 0


def cmd_images_tiny(a) -> int:
    from mynah.images.tiny import build_tiny_pipeline

    out = build_tiny_pipeline(a.out, a.seed)
    print(
        f"wrote a tiny image pipeline (random weights) to {out}; serve it with: mynah serve ... --image-model {out}"
    )
    return 0


def cmd_detect_image(a) -> int:
    """0: at least one provenance signal found; 1: none; 2: the file cannot be read."""
    import json

    from mynah.images.detect import inspect_file, render

    rep = inspect_file(a.file, Path(a.trust).read_bytes() if a.trust else None)
    print(json.dumps(rep, indent=2, ensure_ascii=False) if a.json else render(rep))
    return 0 if rep["ai_made"] else 1


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        rc = args.fn(args)
    # DataError, CheckpointError and ContextOverflow are ValueErrors, as are bad option values
    # (sampling ranges, an unknown recipe). Not importing them here keeps torch out of
    # commands that never touch a model (`mynah corpus build` starts 4 s sooner).
    except (ValueError, FileNotFoundError) as e:
        print(f"mynah {args.cmd}: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:  # a full disk, a read-only folder: the path and the reason, one line
        where = f"{e.filename}: " if e.filename else ""
        print(f"mynah {args.cmd}: error: {where}{e.strerror or e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    return rc if isinstance(rc, int) else 0


if __name__ == "__main__":
    sys.exit(main())
