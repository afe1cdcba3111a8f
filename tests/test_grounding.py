"""Grounded chat through a live `mynah serve --posts DB`, with the official openai client."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import httpx
import openai
import pytest

from conftest import GROUNDING_POSTS, INJECTION_PAYLOAD, copy_store
from serve_helpers import LiveServer, sse_events, validate

pytestmark = pytest.mark.slow
KEY = "sk-grounding-test"


@pytest.fixture(scope="module")
def server(talker, post_db, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("grounding")
    db = copy_store(post_db, tmp / "db")
    s = LiveServer(talker, "--posts", str(db), "--max-batch", "4", key=KEY, tmp=tmp)
    s.db = db
    yield s
    s.stop()


@pytest.fixture(scope="module")
def client(server):
    return openai.OpenAI(base_url=server.url + "/v1", api_key=KEY, max_retries=0, timeout=60)


@pytest.fixture(scope="module")
def model_id(client):
    return client.models.list().data[0].id


def _ids(citations: list[dict]) -> list[str]:
    return [c["id"] for c in citations]


def test_chat_answer_carries_citations_of_the_posts_it_used(server, client, model_id):
    raw = client.chat.completions.with_raw_response.create(
        model=model_id,
        messages=[{"role": "user", "content": "What is happening with the zeppelin festival?"}],
        max_tokens=12,
        temperature=0,
    )
    validate(raw.http_response.json(), "CreateChatCompletionResponse")  # extra fields are allowed
    r = raw.parse()
    cites = r.model_extra["citations"]
    assert 1 <= len(cites) <= 5
    assert [c["index"] for c in cites] == list(range(1, len(cites) + 1))
    first = cites[0]
    assert set(first) >= {"id", "author", "created_at", "url", "snippet", "platform"}
    assert "zeppelin" in " ".join(c["snippet"] for c in cites).lower()
    festival = next(c for c in cites if c["id"] == GROUNDING_POSTS[0]["id"])
    assert festival["url"] == f"https://x.com/i/status/{GROUNDING_POSTS[0]['id']}"
    assert festival["created_at"] == "2026-03-01T10:00:00Z"
    # the grounding system message and the quoted posts are in the prompt the model saw
    ungrounded = client.chat.completions.create(
        model=model_id,
        messages=[{"role": "user", "content": "What is happening with the zeppelin festival?"}],
        max_tokens=12,
        temperature=0,
        extra_body={"grounding": False},
    )
    assert "citations" not in (ungrounded.model_extra or {})
    assert r.usage.prompt_tokens > ungrounded.usage.prompt_tokens + 60


def test_stream_carries_citations_on_its_final_chunk_only(server, model_id):
    req = {
        "model": model_id,
        "messages": [{"role": "user", "content": "zeppelin rides at the pier?"}],
        "max_tokens": 8,
        "temperature": 0,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    with httpx.stream(
        "POST", server.url + "/v1/chat/completions", json=req, headers=server.headers(), timeout=60
    ) as resp:
        assert resp.status_code == 200
        events = sse_events(resp)
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert all("citations" not in c for c in chunks[:-1])
    last = chunks[-1]
    assert last["choices"] == [] and last["usage"]["completion_tokens"] >= 1  # the usage chunk
    assert GROUNDING_POSTS[1]["id"] in _ids(last["citations"])
    for c in chunks:
        validate({k: v for k, v in c.items() if k != "citations"}, "CreateChatCompletionStreamResponse")
    # without include_usage, the last content chunk (with finish_reason) carries them
    req["stream_options"] = None
    with httpx.stream(
        "POST", server.url + "/v1/chat/completions", json=req, headers=server.headers(), timeout=60
    ) as resp:
        chunks = [json.loads(e) for e in sse_events(resp)[:-1]]
    assert chunks[-1]["choices"][0]["finish_reason"] in ("stop", "length")
    assert GROUNDING_POSTS[1]["id"] in _ids(chunks[-1]["citations"])


def test_an_injected_post_is_cited_as_data_and_not_obeyed(client, model_id):
    r = client.chat.completions.create(
        model=model_id,
        messages=[
            {"role": "system", "content": "You are mynah."},
            {"role": "user", "content": "zeppelin update: is the festival cancelled?"},
        ],
        max_tokens=8,  # the tiny test model's context is 256 tokens: leave room for the post
        temperature=0,
    )
    cites = r.model_extra["citations"]
    assert GROUNDING_POSTS[2]["id"] in _ids(cites), "the hostile post was retrieved and quoted"
    assert INJECTION_PAYLOAD not in r.choices[0].message.content
    assert r.choices[0].finish_reason in ("stop", "length")


def test_post_batches_search_and_auth(server, model_id):
    url, h = server.url, server.headers()
    batch = {
        "posts": [
            {
                "id": "7001",
                "text": "hovercraft race on the river this sunday #hovercraft",
                "lang": "en",
                "author": "rita",
                "created_at": "2026-04-01T09:00:00Z",
            },
            {"id": "7002"},  # no text
            [1, 2],  # not an object
            {
                "did": "did:plc:zz",
                "time_us": 1,
                "kind": "commit",
                "commit": {
                    "operation": "create",
                    "collection": "app.bsky.feed.post",
                    "rkey": "h1",
                    "record": {
                        "text": "hovercraft crash, nobody hurt",
                        "createdAt": "2026-04-01T10:00:00Z",
                        "langs": ["en"],
                    },
                },
            },
        ]
    }
    assert httpx.post(url + "/v1/posts", json=batch, timeout=30).status_code == 401
    r = httpx.post(url + "/v1/posts", json=batch, headers=h, timeout=30)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["created"], [x["index"] for x in body["rejected"]]) == (2, [1, 2])
    again = httpx.post(url + "/v1/posts", json=batch, headers=h, timeout=30).json()
    assert (again["created"], again["unchanged"]) == (0, 2), "posting the same batch twice is harmless"
    found = httpx.get(
        url + "/v1/posts/search", params={"q": "hovercraft", "mode": "bm25"}, headers=h, timeout=30
    )
    assert found.status_code == 200
    assert {p["id"] for p in found.json()["data"]} == {"7001", "at://did:plc:zz/app.bsky.feed.post/h1"}
    only = httpx.get(
        url + "/v1/posts/search",
        params={"q": "hovercraft", "author": "rita", "hashtag": "hovercraft"},
        headers=h,
        timeout=30,
    ).json()["data"]
    assert [p["id"] for p in only] == ["7001"]
    bad = httpx.get(url + "/v1/posts/search", params={"q": "x", "since": "yesterday"}, headers=h, timeout=30)
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "since"
    assert httpx.get(url + "/v1/posts/search", params={"q": "x"}, timeout=30).status_code == 401
    health = httpx.get(url + "/health", timeout=30).json()["posts"]
    assert health["count"] >= 800 and "pending_embeddings" in health
    # a new post is embedded in the background and then found by meaning as well
    deadline = time.time() + 60
    while time.time() < deadline:
        hits = httpx.get(
            url + "/v1/posts/search",
            params={"q": "a boat gliding on air", "mode": "vector", "k": 20},
            headers=h,
            timeout=30,
        ).json()["data"]
        if "7001" in [p["id"] for p in hits]:
            break
        time.sleep(0.5)
    else:
        pytest.fail("the posted post never became searchable by vector")


def test_grounding_on_a_server_without_posts_is_a_clear_400(talker, tmp_path):
    s = LiveServer(talker, "--no-policy", tmp=tmp_path)  # (the policy layer: test_safety.py)
    try:
        c = openai.OpenAI(base_url=s.url + "/v1", api_key="none", max_retries=0)
        mid = c.models.list().data[0].id
        with pytest.raises(openai.BadRequestError, match="--posts"):
            c.chat.completions.create(
                model=mid,
                messages=[{"role": "user", "content": "hi"}],
                max_tokens=2,
                extra_body={"grounding": True},
            )
        plain = c.chat.completions.create(
            model=mid, messages=[{"role": "user", "content": "hi"}], max_tokens=2
        )
        assert "citations" not in (plain.model_extra or {})
        r = httpx.post(s.url + "/v1/posts", json={"posts": [{"id": "1", "text": "x"}]}, timeout=10)
        assert r.status_code == 404 and "--posts" in r.json()["error"]["message"]
    finally:
        s.stop()


def test_a_locked_post_store_is_a_503_and_recovers(server):
    import sqlite3

    holder = sqlite3.connect(server.db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process holding the write lock
    try:
        r = httpx.post(
            server.url + "/v1/posts",
            json={"posts": [{"id": "lock1", "text": "written while locked"}]},
            headers=server.headers(),
            timeout=60,
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert r.status_code == 503 and r.headers["retry-after"] == "1"
    assert r.json()["error"]["code"] == "store_unavailable"
    assert str(server.db) not in r.text, "no server paths in client errors"
    ok = httpx.post(
        server.url + "/v1/posts",
        json={"posts": [{"id": "lock1", "text": "written while locked"}]},
        headers=server.headers(),
        timeout=60,
    )
    assert ok.status_code == 200 and ok.json()["created"] == 1


def test_shutdown_saves_the_vector_index_beside_the_store(talker, post_db, tmp_path):
    db = copy_store(post_db, tmp_path / "db")
    Path(str(db) + ".faiss").unlink()
    s = LiveServer(talker, "--posts", str(db), "--no-policy", tmp=tmp_path)
    try:
        r = httpx.get(s.url + "/v1/posts/search", params={"q": "zeppelin", "mode": "vector"}, timeout=60)
        assert r.status_code == 200 and r.json()["data"]
    finally:
        s.stop()
    # uvicorn shuts down gracefully, then re-raises SIGTERM: -15 is a clean exit
    assert s.proc.returncode in (0, -15), s.log.read_text()[-2000:]
    assert "shutdown failed" not in s.log.read_text()
    assert Path(str(db) + ".faiss").stat().st_size > 0, "the rebuilt index was saved on shutdown"


# ---- the quote and citation constraint, through the server ---------------------------------


@pytest.fixture(scope="module")
def quoting_server(quoter, post_db, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("quoting")
    # a fixed watermark key: the bias shapes what a sampled answer says, and with a fresh
    # key each run an answer set without any quote came up (the "did quote" checks below)
    (tmp / "wm.key").write_text("test-watermark-key-5-0123456789abcdef\n")
    s = LiveServer(
        quoter,
        "--posts",
        str(copy_store(post_db, tmp / "db")),
        "--max-batch",
        "4",
        "--watermark-key-file",
        str(tmp / "wm.key"),
        tmp=tmp,
    )
    yield s
    s.stop()


def quote_spans(answer: str) -> list[str]:
    """Every quoted span, the last one too if the answer ended inside it."""
    parts = answer.split('"')
    return [sp for sp in parts[1::2] if sp]


OPENED_MARKER = re.compile(r"\[(\d+)")  # "[9" even unclosed


def outside_quotes(answer: str) -> str:
    """The answer without its quoted spans: a post that says "[9]" may be quoted saying
    it, and that is its text, not a citation number."""
    return "".join(answer.split('"')[0::2])


def _ask(server, grounding: bool, seed: int) -> dict:
    r = httpx.post(
        server.url + "/v1/chat/completions",
        json={
            "model": "quoter",
            "messages": [{"role": "user", "content": "What is happening with the zeppelin festival?"}],
            "max_tokens": 48,
            "temperature": 1.0,
            "seed": seed,
            "grounding": grounding,
        },
        timeout=120,
    )
    assert r.status_code == 200, r.text
    return r.json()


def _post_texts(db: Path) -> list[str]:
    import sqlite3

    with sqlite3.connect(db) as c:
        return [" ".join(t.split()) for (t,) in c.execute("SELECT text FROM posts")]


def test_grounded_answers_quote_verbatim_and_cite_only_numbers_that_exist(quoting_server, post_db):
    texts = _post_texts(post_db)
    quotes = 0
    for seed in range(10):
        body = _ask(quoting_server, True, seed)
        answer = body["choices"][0]["message"]["content"]
        cites = body["citations"]
        for digits in OPENED_MARKER.findall(
            outside_quotes(answer)
        ):  # no [9] with fewer posts, not even begun
            assert 1 <= int(digits) <= len(cites), (answer, len(cites))
        spans = quote_spans(answer)
        for span in spans:
            quotes += 1
            assert any(span in t for t in texts), (span, answer)
        # the flags say what the answer did with each post
        for c in cites:
            assert c["cited"] == (f"[{c['index']}]" in answer), (c, answer)
            post = next(t for t in texts if t.startswith(c["snippet"].rstrip("…")[:150]))
            assert c["quoted"] == any(span in post for span in spans), (c, answer)
    assert quotes >= 1  # the model did quote: the assertions above were not vacuous


def test_without_grounding_the_same_model_writes_what_the_constraint_forbids(quoting_server, post_db):
    # "grounding": false turns the processors off, and the same model then misquotes.
    texts = _post_texts(post_db)
    made_up = 0
    for seed in range(6):
        answer = _ask(quoting_server, False, seed)["choices"][0]["message"]["content"]
        made_up += sum(1 for sp in quote_spans(answer) if not any(sp in t for t in texts))
    assert made_up >= 1


# ---- room for the posts ------------------------------------------------------------------------


def test_posts_get_room_before_the_answer_and_the_response_says_what_fit(client, model_id):
    # The page's defaults: max_tokens 256 on a model whose whole context is 256 tokens. The
    # answer's room shrinks so that posts still reach the prompt.
    q = [{"role": "user", "content": "What is happening with the zeppelin festival?"}]
    r = client.chat.completions.create(model=model_id, messages=q, max_tokens=256, temperature=0)
    report, cites = r.model_extra["grounding"], r.model_extra["citations"]
    assert report["retrieved"] == 5 and report["in_prompt"] == len(cites) >= 1
    assert report["answer_tokens"] >= 64  # the stated minimum, or more
    assert r.usage.prompt_tokens + report["answer_tokens"] <= 256
    assert r.usage.completion_tokens <= report["answer_tokens"]
    if report["in_prompt"] < 5:
        assert "did not fit the context of 256 tokens" in report["warning"]
    # A smaller answer leaves room for at least as many posts.
    small = client.chat.completions.create(model=model_id, messages=q, max_tokens=16, temperature=0)
    assert small.model_extra["grounding"]["in_prompt"] >= report["in_prompt"]


def test_no_room_at_all_is_said_never_silent(talker, post_db, tmp_path):
    from mynah.posts.ground import fit_with_answer, grounding_report
    from mynah.posts.search import search
    from mynah.posts.store import SQLiteStore
    from mynah.tokenizer import Tokenizer

    tok = Tokenizer.load(talker)
    store = SQLiteStore(copy_store(post_db, tmp_path / "db"))
    hits = search(store, "zeppelin festival", 5, mode="bm25")
    store.close()
    msgs = [{"role": "system", "content": "be brief " * 40}, {"role": "user", "content": "zeppelin?"}]
    encode = lambda m: tok.encode_chat(m, add_generation_prompt=True)[0]  # noqa: E731
    g = fit_with_answer(msgs, hits, encode, 160, 64)
    assert g.hits == []
    report = grounding_report(len(hits), g, 160, 64)
    assert report["in_prompt"] == 0 and "this answer is not grounded" in report["warning"]
    # with the room, the same posts come back, the best first
    roomy = fit_with_answer(msgs, hits, encode, 1024, 64)
    assert [h.post.id for h in roomy.hits] == [h.post.id for h in hits]
    assert "warning" not in grounding_report(len(hits), roomy, 1024, 64)


@pytest.mark.slow
def test_the_quote_constraint_holds_per_sequence_with_a_compiled_engine(greedy_quoter, post_db):
    """--compile: the processors run on the logits of the compiled forward, one state per
    sequence in a batch; compiled and eager decode the same tokens, and every quote is a
    verbatim span of its own sequence's posts."""
    from dataclasses import replace

    from mynah.engine import SamplingParams
    from mynah.generate import TextGenerator
    from mynah.posts.ground import fit_with_answer, retrieve
    from mynah.posts.store import SQLiteStore

    store = SQLiteStore(post_db)
    eager = TextGenerator.from_dir(greedy_quoter, max_batch=2)
    compiled = TextGenerator.from_dir(greedy_quoter, max_batch=2, compile=True)
    tok = eager.tok
    encode = lambda m: tok.encode_chat(m, add_generation_prompt=True)[0]  # noqa: E731
    grounded = []
    for q in ("What is happening with the zeppelin festival?", "What are people saying about coffee?"):
        msgs = [{"role": "user", "content": q}]
        grounded.append(fit_with_answer(msgs, retrieve(store, msgs, 5), encode, eager.engine.max_len, 48))
    store.close()
    base = SamplingParams(max_tokens=48, temperature=0.0)

    def answers(gen):
        params = [replace(base, logits_processors=g.processors(tok)) for g in grounded]
        texts = ["", ""]
        for c in gen.stream([g.ids for g in grounded], params):
            texts[c.seq] += c.text
        return texts

    want = answers(eager)
    assert answers(compiled) == want
    quoted = 0
    for g, text in zip(grounded, want):
        shown = [s.text for s in g.sources()]
        for span in quote_spans(text):
            assert any(span in t for t in shown), (span, shown)
            quoted += 1
        for digits in OPENED_MARKER.findall(outside_quotes(text)):
            assert 1 <= int(digits) <= len(shown), text
    assert quoted >= 1, want


def test_with_grounding_on_and_no_post_in_the_prompt_nothing_can_be_quoted_or_cited(quoting_server, quoter):
    # A system prompt that leaves no room for any post: the answer is not grounded (the
    # response says so), and the constraint still holds it: no quote opens, no [n] exists.
    from mynah.tokenizer import Tokenizer

    tok = Tokenizer.load(quoter)
    question = {"role": "user", "content": "What is happening with the zeppelin festival?"}
    n = 120
    while (
        len(tok.encode_chat([{"role": "system", "content": "Be brief. " * n}, question], True)[0])
        > 256 - 24 - 12
    ):
        n -= 1
    made = 0
    for seed in range(4):
        r = httpx.post(
            quoting_server.url + "/v1/chat/completions",
            json={
                "model": "quoter",
                "messages": [
                    {"role": "system", "content": "Be brief. " * n},
                    question,
                ],
                "max_tokens": 24,
                "temperature": 1.0,
                "seed": seed,
            },
            timeout=120,
        ).json()
        assert r["grounding"]["in_prompt"] == 0 and "not grounded" in r["grounding"]["warning"]
        answer = r["choices"][0]["message"]["content"]
        assert not OPENED_MARKER.search(answer) and '"' not in answer, answer
        made += len(answer)
    assert made  # it wrote something


def test_lone_surrogates_anywhere_are_answered_never_a_server_error(server, model_id):
    """JSON may carry "\\ud800", which is no character and has no UTF-8. Each endpoint that
    reads text answers it like any other text (U+FFFD in its place), never a 500."""
    url, h = server.url, server.headers()

    def post(path: str, obj: dict) -> httpx.Response:  # json.dumps escapes surrogates as JSON allows
        r = httpx.post(
            url + path,
            content=json.dumps(obj).encode(),
            headers={**h, "Content-Type": "application/json"},
            timeout=60,
        )
        assert r.status_code == 200, (path, r.text)
        return r

    bad = "what about the \ud800 hovercraft \udfff race?"
    msgs = [{"role": "user", "content": bad}]
    assert post("/v1/chat/completions", {"model": model_id, "messages": msgs, "max_tokens": 8}).json()[
        "grounding"
    ]
    streamed = post(
        "/v1/chat/completions", {"model": model_id, "messages": msgs, "max_tokens": 8, "stream": True}
    )
    assert streamed.text.rstrip().endswith("data: [DONE]")
    post("/v1/completions", {"model": model_id, "prompt": bad, "max_tokens": 8})
    human = "Ferry to the island is delayed again this morning \ud800, the queue at the pier is huge and nobody knows why"
    verdicts = [d["verdict"] for d in post("/v1/detect", {"input": [bad, human]}).json()["data"]]
    assert verdicts[1] == "not_watermarked" and "watermarked" not in verdicts  # the human text is scored
    r = httpx.get(f"{url}/v1/posts/search?q=hovercraft%20%ED%A0%80", headers=h, timeout=60)  # not UTF-8
    assert r.status_code == 200, r.text
    post(
        "/v1/posts",
        {
            "posts": [
                {
                    "id": "surr-1",
                    "text": "ferry \ud800 late",
                    "author": "x",
                    "created_at": "2026-04-01T09:00:00Z",
                }
            ]
        },
    )
    assert httpx.get(f"{url}/health").status_code == 200
