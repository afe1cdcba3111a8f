"""The writing tools (issue 15), each part against its named baseline in one run.

limits: drafts through a real `mynah serve` of the demo model on the demo's post store, at
  temperature 1: per platform, compose (n=8), replies to stored posts (n=8) and 3-post
  threads (n=8) until --per-platform generations. Each draft (each thread part) is counted
  with social/length.py as the platform counts: the share within the limit (target 100%),
  the share that ends mid-word (its last word is not a word the store's posts use; target
  < 2%), and the share of suggested hashtags that are in the store (target 100%).
  Baseline: the same compose prompts decoded by the same model with no length processor
  and cut to fit after the fact (at the last character that fits): how many ran over, and
  how many of the cut ones end mid-word.
latency: compose at n=4 on X, one request at a time (--latency-requests): p50 and p95 in
  seconds, end to end over HTTP.
decode: the length processor's cost. (a) Real drafts: 64 compose prompts a platform at
  its limit, stop tokens on, every processor call timed: the share of the generation's
  wall time spent in the processor (target <= 5%), after one pass to warm up (as a
  server is), the median of three passes. (b) Steady state: 16 sequences of 128
  tokens (stop tokens off, a limit so far away it never binds) with and without it, in the
  same engine, ABBA order over --reps rounds; the median of the rounds' ratios.

    python benchmarks/social.py --model runs/demo/tiny-chat --posts runs/demo/posts.db \\
        [--parts limits,latency,decode] [--per-platform 1000]
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

_LAST_WORD = re.compile(r"[^\W\d_]+")
INSTRUCTIONS = [
    "Write a post about {t}.",
    "Draft a post on {t}",
    "Schreib einen Post über {t}.",
    "Escribe un post sobre {t}.",
    "a post about {t} please",
]


def store_words_and_tags(db: str) -> tuple[set[str], set[str]]:
    words: set[str] = set()
    with sqlite3.connect(db) as c:
        for (text,) in c.execute("SELECT text FROM posts"):
            words.update(w.lower() for w in _LAST_WORD.findall(text))
        tags = {r[0] for r in c.execute("SELECT DISTINCT tag FROM hashtags")}
    return words, tags


def _last_word(text: str) -> str | None:
    body = re.sub(r"(?:\s#\w+)+\s*$", "", text).rstrip()  # before its hashtags
    last = _LAST_WORD.findall(body.lower())
    return last[-1] if last and body[-1:].isalnum() else None


def mid_word(text: str, words: set[str], prefixes: set[str]) -> bool:
    """Ends inside a word: the draft's last word is not a word of the store but the start of
    one ("deri" of "derby"): cut, not finished."""
    w = _last_word(text)
    return w is not None and w not in words and w in prefixes


def garbled(text: str, words: set[str]) -> bool:
    """The last word is no word of the store at all (a small model's made-up word)."""
    w = _last_word(text)
    return w is not None and w not in words


def word_prefixes(words: set[str]) -> set[str]:
    return {w[:i] for w in words for i in range(1, len(w))}


def _topics() -> list[str]:
    from mynah.train.grounded import TOPIC_NAMES

    return [v[0] for v in TOPIC_NAMES.values()]


def part_limits(url: str, db: str, per_platform: int, concurrency: int = 4) -> dict:
    from mynah.social.length import rule_for

    words, tags = store_words_and_tags(db)
    prefixes = word_prefixes(words)
    with sqlite3.connect(db) as c:
        targets = [r[0] for r in c.execute("SELECT key FROM posts ORDER BY random() LIMIT 400")]
    topics = _topics()
    limits = {"mastodon": None}
    out = {}
    for plat in ("x", "bluesky", "mastodon"):
        rule = rule_for(plat, limits.get(plat))
        jobs = []
        k = 0
        while sum(n for _, _, n in jobs) < per_platform * 1.05:  # (a few requests are refused)
            kind = ("compose", "compose", "replies", "replies", "thread")[k % 5]
            n = 8
            if kind == "replies":
                body = {"post_id": targets[k % len(targets)], "platform": plat, "n": n, "temperature": 1.0}
            else:
                instr = INSTRUCTIONS[k % len(INSTRUCTIONS)].format(t=topics[k % len(topics)])
                body = {"instructions": instr, "platform": plat, "n": n, "temperature": 1.0}
                if kind == "thread":
                    body["thread"] = 3
            jobs.append(("replies" if kind == "replies" else "compose", body, n))
            k += 1

        def run(job):
            path, body, _ = job
            r = httpx.post(f"{url}/v1/social/{path}", json=body, timeout=600)
            if r.status_code == 400 and r.json()["error"]["code"] == "content_policy_violation":
                return path, None  # the policy layer refused the request: counted, not drafted
            r.raise_for_status()
            return path, r.json()

        t0 = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as ex:
            results = list(ex.map(run, jobs))
        gens = parts = within = mids = garbles = 0
        ratios = []
        tag_total = tag_in = 0
        examples = []
        refused = sum(body is None for _, body in results)
        for _, body in results:
            for d in (body or {}).get("data", []):
                gens += 1
                texts = [p["text"] for p in d["posts"]] if d.get("posts") else [d["text"]]
                for t in texts:
                    parts += 1
                    within += rule.fits(t) and rule.count(t) <= d["limit"]
                    ratios.append(rule.count(t) / d["limit"])
                mids += mid_word(texts[-1], words, prefixes)
                garbles += garbled(texts[-1], words)
                tag_total += len(d["hashtags"])
                tag_in += sum(t in tags for t in d["hashtags"])
                if len(examples) < 6 and not d.get("posts"):
                    examples.append(d["text"])
        out[plat] = {
            "generations": gens,
            "requests_refused_by_policy": refused,
            "posts_counted": parts,
            "within_limit_pct": 100 * within / parts,
            "mid_word_pct": 100 * mids / gens,
            "last_word_not_in_store_pct": 100 * garbles / gens,
            "hashtags_suggested": tag_total,
            "hashtags_in_store_pct": 100 * tag_in / max(tag_total, 1),
            "limit": rule.limit,
            "seconds": time.perf_counter() - t0,
            "examples": examples,
            "ratios": ratios,
        }
        print(
            json.dumps({plat: {k: v for k, v in out[plat].items() if k not in ("examples", "ratios")}}),
            flush=True,
        )
    return out


def part_baseline(model: str, db: str, n: int = 96, tight: int = 60) -> dict:
    """Compose prompts under a tight limit (`max_length` 60: the demo model's drafts mostly
    fit the platforms' own limits unaided), decoded with no length processor and cut to fit
    afterwards, against the same prompts under the length processor."""
    import torch

    from mynah.checkpoint import load_model
    from mynah.engine import Engine, SamplingParams
    from mynah.posts.store import SQLiteStore
    from mynah.processors.length import LengthBudget
    from mynah.social import tools
    from mynah.social.length import rule_for
    from mynah.tokenizer import Tokenizer

    torch.manual_seed(0)
    tok, m = Tokenizer.load(model), load_model(model)
    eng = Engine(m, max_batch=16)
    store = SQLiteStore(db)
    from mynah.social.length import LengthRule

    words, _ = store_words_and_tags(db)
    prefixes = word_prefixes(words)
    topics = _topics()
    out = {}
    for plat in ("x", "bluesky", "mastodon"):
        full = rule_for(plat)
        rule = LengthRule(plat, tight, full.unit)
        prompts = []
        for k in range(n):
            instr = INSTRUCTIONS[k % len(INSTRUCTIONS)].format(t=topics[k % len(topics)])
            # the server's compose prompt (serve/social.py), topic hashtags and all
            msgs = tools.compose_messages(instr, rule, None, None, tools.suggest_hashtags(store, instr))
            prompts.append(tok.encode_chat(msgs, add_generation_prompt=True)[0])
        res = {}
        for name, constrained in (("baseline_cut_after", False), ("mynah_length_processor", True)):
            over = mids = garbles = 0
            ratios = []
            for i in range(0, n, 16):
                batch = prompts[i : i + 16]
                params = []
                for j, p in enumerate(batch):
                    mt = min(eng.max_len - len(p), 4 * rule.limit + 8)
                    procs = [LengthBudget(tok, rule, tok.stop_ids, max_tokens=mt)] if constrained else []
                    params.append(
                        SamplingParams(
                            max_tokens=mt,
                            temperature=1.0,
                            top_p=0.95,
                            seed=i + j,
                            stop_token_ids=list(tok.stop_ids),
                            logits_processors=procs,
                        )
                    )
                for ids, _ in eng.generate_all(batch, params):
                    text = " ".join(tok.decode(ids).split())
                    ratios.append(rule.count(text) / rule.limit)
                    if not rule.fits(text):
                        over += 1
                        while text and not rule.fits(text):  # the naive fix: cut at the limit
                            text = text[:-1]
                    mids += mid_word(text, words, prefixes)
                    garbles += garbled(text, words)
            res[name] = {
                "limit": tight,
                "over_limit_pct": 100 * over / n,
                "mid_word_pct": 100 * mids / n,
                "last_word_not_in_store_pct": 100 * garbles / n,
                "ratios": ratios,
            }
        out[plat] = res
        print(
            json.dumps({plat: {k: {a: b for a, b in v.items() if a != "ratios"} for k, v in res.items()}}),
            flush=True,
        )
    store.close()
    return out


def part_latency(url: str, requests: int) -> dict:
    lat = []
    topics = _topics()
    for k in range(requests):
        body = {"instructions": f"Write a post about {topics[k % len(topics)]}.", "platform": "x", "n": 4}
        t = time.perf_counter()
        r = httpx.post(f"{url}/v1/social/compose", json=body, timeout=600)
        r.raise_for_status()
        lat.append(time.perf_counter() - t)
    return {
        "requests": requests,
        "compose_n4_p50_s": statistics.median(lat),
        "compose_n4_p95_s": float(np.percentile(lat, 95)),
    }


def part_decode(model: str, posts: str, reps: int) -> dict:
    import torch

    from mynah.checkpoint import load_model
    from mynah.engine import Engine, SamplingParams
    from mynah.processors.length import LengthBudget
    from mynah.social.length import rule_for
    from mynah.tokenizer import Tokenizer

    torch.manual_seed(0)
    tok, m = Tokenizer.load(model), load_model(model)
    eng = Engine(m, max_batch=16)
    prompt = tok.encode_chat(
        [{"role": "user", "content": "Write a post about coffee."}], add_generation_prompt=True
    )[0]
    rule = rule_for("x")

    def rate(with_proc: bool) -> float:
        params = [
            SamplingParams(
                max_tokens=128,
                temperature=1.0,
                seed=s,
                stop_token_ids=[],
                logits_processors=[LengthBudget(tok, rule, [], limit=10**6)] if with_proc else [],
            )
            for s in range(16)
        ]
        t = time.perf_counter()
        out = eng.generate_all([prompt] * 16, params)
        return sum(len(ids) for ids, _ in out) / (time.perf_counter() - t)

    # Real drafts: compose prompts on X at the platform's limit, stop tokens on, each
    # processor call timed; the share of the generation's wall time spent in them is what
    # the processor costs decode throughput (the near-the-end steps included).
    from mynah.posts.store import SQLiteStore
    from mynah.social import tools

    store = SQLiteStore(posts)
    topics = _topics()
    spent = [0.0]

    class Timed(LengthBudget):
        def __call__(self, history, logits):
            t = time.perf_counter()
            out = super().__call__(history, logits)
            spent[0] += time.perf_counter() - t
            return out

        def reject(self, history, token):  # its check of the drawn token (engine.draw_checked)
            t = time.perf_counter()
            out = super().reject(history, token)
            spent[0] += time.perf_counter() - t
            return out

    real = {}
    for plat in ("x", "bluesky", "mastodon"):
        r = rule_for(plat)
        prompts = [
            tok.encode_chat(
                tools.compose_messages(
                    INSTRUCTIONS[k % 5].format(t=topics[k % len(topics)]),
                    r,
                    None,
                    None,
                    tools.suggest_hashtags(store, topics[k % len(topics)]),
                ),
                add_generation_prompt=True,
            )[0]
            for k in range(64)
        ]
        shares = []
        for _ in range(4):  # one pass to warm up, three measured
            spent[0], wall, tokens = 0.0, 0.0, 0
            for i in range(0, 64, 16):
                batch = prompts[i : i + 16]
                params = [
                    SamplingParams(
                        max_tokens=min(eng.max_len - len(p), 4 * r.limit + 8),
                        temperature=1.0,
                        seed=i + j,
                        stop_token_ids=list(tok.stop_ids),
                        logits_processors=[
                            Timed(
                                tok,
                                r,
                                tok.stop_ids,
                                suffix=" #coffee",
                                no_hashtags=True,
                                max_tokens=eng.max_len - len(p),
                            )
                        ],
                    )
                    for j, p in enumerate(batch)
                ]
                t = time.perf_counter()
                tokens += sum(len(ids) for ids, _ in eng.generate_all(batch, params))
                wall += time.perf_counter() - t
            shares.append(spent[0] / wall)
        real[plat] = {
            "tokens": tokens,
            "processor_share_of_decode_time": statistics.median(shares[1:]),
            "passes": shares[1:],
        }
    store.close()

    rate(True), rate(False)  # warm up
    ratios, on, off = [], [], []
    for _ in range(reps):
        a1, b1, b2, a2 = rate(False), rate(True), rate(True), rate(False)
        on.append((b1 + b2) / 2)
        off.append((a1 + a2) / 2)
        ratios.append(on[-1] / off[-1])
    return {
        "rounds": reps,
        "with_processor_tok_s": statistics.median(on),
        "without_tok_s": statistics.median(off),
        "ratio_median_of_rounds": statistics.median(ratios),
        "real_drafts": real,
    }


def plot(res: dict, path: str) -> None:
    """Draft length / limit under the tight limit, per platform: the demo model's compose
    drafts with no length processor (before the baseline cuts them) and with it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4))
    bins = np.linspace(0, 3.0, 46)
    for ax, plat in zip(axes, ("x", "bluesky", "mastodon")):
        b = res["baseline"][plat]
        ax.hist(
            np.clip(b["baseline_cut_after"]["ratios"], 0, 3.0),
            bins,
            color="#bbb",
            label="no length processor",
        )
        ax.hist(b["mynah_length_processor"]["ratios"], bins, color="#1a73e8", alpha=0.8, label="mynah")
        ax.axvline(1.0, color="#a50e0e", lw=1)
        ax.set_title(f"{plat}, limit {b['mynah_length_processor']['limit']}")
        ax.set_xlabel("draft length / limit (as the platform counts)")
    axes[0].set_ylabel("drafts")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="runs/demo/tiny-chat")
    ap.add_argument("--posts", default="runs/demo/posts.db")
    ap.add_argument("--parts", default="limits,baseline,latency,decode")
    ap.add_argument("--per-platform", type=int, default=1000)
    ap.add_argument("--latency-requests", type=int, default=30)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--out", default=None, help="write the figures as JSON here")
    ap.add_argument("--plot", default=None, help="write the length histogram (PNG) here")
    a = ap.parse_args()
    parts = a.parts.split(",")
    res: dict = {"machine": platform.platform(), "model": a.model}
    server = None
    if {"limits", "latency"} & set(parts):
        from serve_helpers import LiveServer

        tmp = Path(tempfile.mkdtemp())
        server = LiveServer(Path(a.model), "--posts", a.posts, "--max-batch", "16", tmp=tmp)
    try:
        if "limits" in parts:
            res["limits"] = part_limits(server.url, a.posts, a.per_platform)
        if "latency" in parts:
            res["latency"] = part_latency(server.url, a.latency_requests)
            print(json.dumps(res["latency"]), flush=True)
    finally:
        if server is not None:
            server.stop()
    if "baseline" in parts:
        res["baseline"] = part_baseline(a.model, a.posts)
    if "decode" in parts:
        res["decode"] = part_decode(a.model, a.posts, a.reps)
        print(json.dumps(res["decode"]), flush=True)
    if a.plot and "baseline" in res:
        plot(res, a.plot)
    for part in ("limits", "baseline"):  # the raw ratios are for the plot only
        for v in res.get(part, {}).values():
            v.pop("ratios", None)
            for w in v.values():
                if isinstance(w, dict):
                    w.pop("ratios", None)
    text = json.dumps(res, indent=2, ensure_ascii=False)
    print(text)
    if a.out:
        Path(a.out).write_text(text)


if __name__ == "__main__":
    threading.excepthook = lambda args: None  # a worker's error is raised by its future
    main()
