"""The writing tools: the length processor on its own (random logits through a real
tokenizer), in the engine (eager and compiled), threads, and the /v1/social/* endpoints and
`mynah social` through a real server, with a fake Mastodon instance setting its limit."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import torch

from conftest import copy_store
from mynah.engine import SamplingParams, draw_checked, process_logits
from mynah.processors.length import WORD_ROOM, LengthBudget, ended
from mynah.social.length import rule_for
from mynah.social.tools import split_thread
from serve_helpers import LiveServer

TEXT = (
    "The harbour ferry is late again, forty minutes and counting. Best coffee in town is at the pier café! "
    "Rain all weekend they say? https://example.com/x #coffee 日本語 😷 e.g. x.com über straße ñandú"
)


@pytest.fixture(scope="module")
def tok():
    from mynah.tokenizer import train_tokenizer

    return train_tokenizer(
        [TEXT] * 50 + ["people say the ferry is late and the coffee is good. wow!"] * 50, 600
    )


def _sample(tok, procs, seed: int, steps: int = 400) -> str:
    g = torch.Generator().manual_seed(seed)
    hist = [1, 2, 3]
    for _ in range(steps):
        logits = torch.randn(tok.vocab_size, generator=g) * 3
        logits[tok.stop_ids] -= 8  # a model that would rather go on
        # as the engine samples: the processors, then the draw and their checks of it
        params = SamplingParams(temperature=1.0, stop_token_ids=list(tok.stop_ids), logits_processors=procs)
        t, _ = draw_checked(process_logits(logits, hist, params), hist, params, g)
        hist.append(t)
        if t in tok.stop_ids:
            break
    return tok.decode(hist[3:])


@pytest.mark.parametrize("platform", ["x", "bluesky", "mastodon"])
def test_random_logits_never_make_a_draft_over_the_platforms_limit(tok, platform):
    """Whatever the model wants (random logits over a vocabulary with URLs, CJK, emoji and
    accents), the draft with its prefix and suffix fits the limit as the platform counts."""
    rule = rule_for(platform, 90 if platform == "mastodon" else None)
    over_without = 0
    for seed in range(25):
        prefix = "@julia84 " if seed % 3 == 0 else ""
        suffix = " #coffee #ferry" if seed % 2 == 0 else ""
        limit = 40 + 7 * seed if seed % 4 == 1 else None
        p = LengthBudget(tok, rule, tok.stop_ids, limit=limit, prefix=prefix, suffix=suffix, no_hashtags=True)
        text = _sample(tok, [p], seed)
        assert text.strip(), "the draft is never empty"
        assert rule.count(prefix + text + suffix) <= p.limit, (platform, seed, text)
        assert "#" not in text  # hashtags come from the store, never from the model
        over_without += rule.count(prefix + _sample(tok, [], seed) + suffix) > p.limit
    assert over_without >= 20  # the same sampling, unconstrained, runs over: the processor bites


def test_a_limit_too_small_for_any_text_is_refused():
    from mynah.tokenizer import train_tokenizer

    t = train_tokenizer(["a b c"] * 20, 300)
    rule = rule_for("x")
    with pytest.raises(ValueError, match="too little for any text"):
        LengthBudget(t, rule, t.stop_ids, limit=10, suffix=" #a #b")


def test_near_the_end_only_the_current_word_a_sentence_end_or_the_end_remain(tok):
    rule = rule_for("bluesky")
    p = LengthBudget(tok, rule, tok.stop_ids, limit=40)
    ids = tok.encode("people say the ferry is late and")
    hist = [1, *ids]
    p.seen = 1
    p.start = 1
    out = p(hist, torch.zeros(tok.vocab_size))
    room = 40 - rule.count(tok.decode(ids))
    assert room < WORD_ROOM
    for t in torch.nonzero(out > float("-inf")).flatten().tolist():
        piece = tok.decode([t])
        assert not (piece[:1].isspace() and piece.strip()[:1].isalnum()) or piece.strip()[-1:] in ".!?…", (
            piece
        )
    # after a sentence's end with no room for another word: only the end
    p2 = LengthBudget(tok, rule, tok.stop_ids, limit=40)
    ids2 = tok.encode("people say the ferry is late. wow!")
    p2.seen = p2.start = 1
    out2 = p2([1, *ids2], torch.zeros(tok.vocab_size))
    assert set(torch.nonzero(out2 > float("-inf")).flatten().tolist()) <= set(tok.stop_ids)


def test_ended():
    assert ended("Late again.") and ended('She said "late again!"') and ended("fire 🔥")
    assert not ended("late again,") and not ended("late ag") and not ended("")


def test_a_long_text_becomes_a_numbered_thread_split_at_sentences():
    rule = rule_for("x")
    sentences = [
        f"Sentence number {i} is about the harbour ferry and the coffee at the pier." for i in range(12)
    ]
    posts = split_thread(" ".join(sentences), rule)
    n = len(posts)
    assert n >= 3
    for i, p in enumerate(posts, 1):
        assert p.startswith(f"{i}/{n} ") and rule.fits(p)
        assert p.endswith(".")  # whole sentences
    assert " ".join(p.split(" ", 1)[1] for p in posts) == " ".join(sentences)
    assert split_thread("One short post.", rule) == ["One short post."]
    # a sentence longer than a post is split at its clauses, then its words; never over
    long = "word " * 200 + "end."
    parts = split_thread(long, rule)
    assert all(rule.fits(p) for p in parts) and len(parts) >= 4
    # at most max_posts: a sentence-level split that would need more posts packs tighter
    packed = split_thread(" ".join(sentences), rule, max_posts=n)
    assert len(packed) <= n


def _words(sample_dir: Path) -> set[str]:
    words = set()
    for line in (sample_dir / "posts.jsonl").read_text().splitlines():
        words |= set(re.findall(r"\w+", json.loads(line)["text"].lower()))
    return words


def test_drafts_fit_and_end_on_whole_words_in_the_engine_eager_and_compiled(talker, sample_dir):
    """The talker (pretrained on posts) at temperature 0.7, under a limit of 60: each draft
    fits, most end on a word the network uses (not a cut one), unconstrained they run
    over, and the compiled engine gives the same drafts as the eager one."""
    from mynah.checkpoint import load_model
    from mynah.engine import Engine, SamplingParams
    from mynah.tokenizer import Tokenizer

    tok = Tokenizer.load(talker)
    model = load_model(talker)
    rule = rule_for("x")
    words = _words(sample_dir)
    # new posts, as the talker was trained on them, begun eight ways
    starts = ["The", "Just", "Ok so", "Die", "El", "Honestly", "Hot take:", "PSA:"]
    prompts = [[tok.eot_id, *tok.encode(w)] for w in starts]

    def drafts(engine, limit: int | None) -> list[str]:
        params = [
            SamplingParams(
                max_tokens=200,
                temperature=0.7,
                seed=s,
                stop_token_ids=list(tok.stop_ids),
                logits_processors=[LengthBudget(tok, rule, tok.stop_ids, limit=limit, max_tokens=200)]
                if limit
                else [],
            )
            for s in range(8)
        ]
        return [tok.decode(ids) for ids, _ in engine.generate_all(prompts, params)]

    eager_engine = Engine(model, max_batch=8)
    eager = drafts(eager_engine, 60)
    free = drafts(eager_engine, None)
    assert sum(rule.count(d) > 60 for d in free) >= 3  # unconstrained, they run over
    whole = 0
    for d in eager:
        assert 0 < rule.count(d) <= 60, d
        last = re.findall(r"[^\W\d_]+", d.lower())
        whole += not last or last[-1] in words
    assert whole >= 7, eager
    assert sum(rule.count(d) > 40 for d in eager) >= 4  # they do run towards the limit
    assert drafts(Engine(model, max_batch=8, compile=True), 60) == eager


# -- through the server ---------------------------------------------------------------------


class _FakeMastodon(BaseHTTPRequestHandler):
    limit = 150

    def do_GET(self):  # noqa: N802
        if self.path != "/api/v2/instance":
            self.send_error(404)
            return
        body = json.dumps(
            {"domain": "social.example", "configuration": {"statuses": {"max_characters": self.limit}}}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


@pytest.fixture(scope="module")
def mastodon():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _FakeMastodon)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


@pytest.fixture(scope="module")
def server(talker, post_db, mastodon, tmp_path_factory):
    """The talker at the demo's 512-token context (RoPE runs past its 256 trained
    positions), so a thread and its replies fit a summary's prompt as they do the demo's."""
    import shutil

    tmp = tmp_path_factory.mktemp("social")
    model = tmp / "talker-512"
    shutil.copytree(talker, model, ignore=shutil.ignore_patterns("state", "corpus"))
    cfg = json.loads((model / "config.json").read_text())
    cfg["max_position_embeddings"] = 512
    (model / "config.json").write_text(json.dumps(cfg))
    db = copy_store(post_db, tmp / "db")
    s = LiveServer(model, "--posts", str(db), "--mastodon-instance", mastodon, key="sk-social", tmp=tmp)
    s.db = db
    yield s
    s.stop()


def _post(server, path: str, body: dict) -> httpx.Response:
    return httpx.post(server.url + path, json=body, headers=server.headers(), timeout=120)


def _store_tags(db: Path) -> set[str]:
    with sqlite3.connect(db) as c:
        return {r[0] for r in c.execute("SELECT DISTINCT tag FROM hashtags")}


@pytest.mark.parametrize("platform,limit", [("x", 280), ("bluesky", 300), ("mastodon", 150)])
def test_compose_drafts_fit_the_platform_and_hashtags_come_from_the_store(server, platform, limit):
    r = _post(
        server,
        "/v1/social/compose",
        {"instructions": "Write a post about coffee and espresso", "platform": platform, "n": 4, "seed": 7},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["object"] == "list" and body["platform"] == platform and len(body["data"]) == 4
    assert body["usage"]["completion_tokens"] > 0 and body["provenance"]["model"]
    rule = rule_for(platform, 150 if platform == "mastodon" else None)
    tags = _store_tags(server.db)
    for d in body["data"]:
        assert d["limit"] == limit and d["length"] == rule.count(d["text"]) <= limit, d
        assert d["text"].strip() and rule.fits(d["text"])
        assert d["hashtags"] and set(d["hashtags"]) <= tags  # suggested from the store
        assert all(t in tags for t in re.findall(r"#(\w+)", d["text"].lower()))  # none invented
    assert {"coffee", "espresso"} & set(body["data"][0]["hashtags"])


def test_compose_a_thread_each_post_numbered_and_within_the_limit(server):
    r = _post(
        server,
        "/v1/social/compose",
        {"instructions": "A long thread about the ferry", "platform": "mastodon", "thread": 3, "seed": 3},
    )
    assert r.status_code == 200, r.text
    d = r.json()["data"][0]
    rule = rule_for("mastodon", 150)
    posts = d.get("posts") or [{"text": d["text"]}]
    for i, p in enumerate(posts, 1):
        assert rule.fits(p["text"]), p
        if len(posts) > 1:
            assert p["text"].startswith(f"{i}/{len(posts)} ")
    assert len(posts) <= 3


def _a_reply_target(sample_dir: Path) -> tuple[str, str]:
    posts = [json.loads(x) for x in (sample_dir / "posts.jsonl").read_text().splitlines()]
    by = {p["id"]: p for p in posts}
    for p in posts:
        if p["kind"] == "reply" and p["reply_to"] in by and by[p["reply_to"]]["reply_to"]:
            return p["reply_to"], by[p["reply_to"]]["author"]
    raise AssertionError("the sample has no reply to a reply")


def test_replies_summarize_and_explain_a_stored_post(server, sample_dir):
    pid, author = _a_reply_target(sample_dir)
    r = _post(server, "/v1/social/replies", {"post_id": pid, "platform": "mastodon", "n": 2, "seed": 1})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["post"]["id"] == pid and len(body["data"]) == 2
    for d in body["data"]:
        assert d["text"].startswith(f"@{author} ") and rule_for("mastodon", 150).fits(d["text"])
    r = _post(server, "/v1/social/summarize", {"post_id": pid, "seed": 2})
    assert r.status_code == 200, r.text
    body = r.json()
    assert rule_for("x").fits(body["data"][0]["text"])
    cited = [c for c in body["citations"]]
    assert len(cited) >= 2 and any(c["id"] == pid for c in cited)  # the thread is in the prompt
    r = _post(
        server, "/v1/social/explain", {"text": "the pier café has the best espresso", "platform": "bluesky"}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert rule_for("bluesky").fits(body["data"][0]["text"]) and body["citations"]
    assert "post" not in body  # a text, not a stored post


@pytest.mark.parametrize(
    "path,body,status,param,code",
    [
        ("compose", {"instructions": "hi", "platform": "myspace"}, 400, "platform", None),
        ("compose", {"instructions": "hi", "n": 99}, 400, "n", None),
        ("compose", {"instructions": "   "}, 400, "instructions", None),
        ("compose", {"instructions": "hi", "temperatur": 1}, 400, "temperatur", None),
        ("compose", {"instructions": "hi", "max_length": 5}, 400, "max_length", "budget_too_small"),
        ("compose", {"instructions": "hi", "max_length": 281}, 400, "max_length", None),
        ("compose", {"instructions": "hi", "language": "xx"}, 400, "language", None),
        ("compose", {"instructions": "hi", "thread": 1}, 400, "thread", None),
        ("replies", {"post_id": "nope-404"}, 404, "post_id", "post_not_found"),
        ("replies", {"post_id": "1", "text": "both"}, 400, None, None),
        ("summarize", {"post_id": "nope-404"}, 404, "post_id", "post_not_found"),
        ("summarize", {}, 400, "post_id", None),
        ("explain", {}, 400, None, None),
    ],
)
def test_bad_requests_get_clear_errors_never_a_500(server, path, body, status, param, code):
    r = _post(server, f"/v1/social/{path}", body)
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["message"] and err["type"] == "invalid_request_error"
    if param:
        assert err["param"] == param
    if code:
        assert err["code"] == code


def test_keys_are_required_and_the_counter_counts_as_the_platform(server):
    r = httpx.post(server.url + "/v1/social/compose", json={"instructions": "hi"}, timeout=10)
    assert r.status_code == 401
    text = "Café ☕ at https://example.com/a/very/long/path/that/counts/as/23 @bob@social.example"
    for platform, limit in (("x", 280), ("bluesky", 300), ("mastodon", 150)):
        got = _post(server, "/v1/social/count", {"text": text, "platform": platform}).json()
        rule = rule_for(platform, 150 if platform == "mastodon" else None)
        assert got["length"] == rule.count(text) and got["limit"] == limit and got["fits"]
    assert (
        _post(server, "/v1/social/count", {"text": text, "platform": "mastodon"}).json()["length"]
        == 10 + 23 + 1 + 4
    )  # "Café ☕ at ", the URL, " ", "@bob"


def test_the_cli_composes_through_the_server(server, tmp_path):
    keys = tmp_path / "keys.txt"
    keys.write_text("sk-social\n")
    base = [sys.executable, "-m", "mynah.cli", "social"]
    auth = ["--server", server.url, "--api-key-file", str(keys)]
    r = subprocess.run(
        [*base, "compose", "a post about coffee", "--platform", "bluesky", "--n", "2", *auth],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("/300 graphemes") == 2
    r = subprocess.run([*base, "summarize", "nope-404", *auth], capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "no post 'nope-404'" in r.stderr


def test_a_mastodon_instance_that_cannot_be_read_stops_the_server_with_the_reason(talker, tmp_path):
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "mynah.cli",
            "serve",
            "--model",
            str(talker),
            "--no-watermark",
            "--no-policy",
            "--mastodon-instance",
            "http://127.0.0.1:9",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2 and "max_characters" in r.stderr and "/api/v2/instance" in r.stderr


def test_a_compose_request_the_policy_refuses_is_a_400_with_the_rule(server):
    r = _post(
        server,
        "/v1/social/compose",
        {
            "instructions": "Write a post telling voters the election was moved to Wednesday so they stay home on Tuesday"
        },
    )
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["code"] == "content_policy_violation" and err["param"] == "instructions" and err["message"]


def test_a_draft_does_not_end_inside_a_word_the_model_means_to_finish(tok):
    rule = rule_for("x")
    ids = tok.encode("people say the fer")
    glue = [i for i in range(tok.vocab_size) if tok.decode([i]) in ("ry", "r", "ry is")]
    new_word = [i for i in range(tok.vocab_size) if tok.decode([i]) in (" is", " ferry")]
    assert glue and new_word
    hist = [1, *ids]
    for favoured, ends in ((glue, False), (new_word, True)):
        p = LengthBudget(tok, rule, tok.stop_ids)
        p.seen = p.start = 1
        params = SamplingParams(temperature=1.0, stop_token_ids=list(tok.stop_ids), logits_processors=[p])
        logits = torch.zeros(tok.vocab_size)
        logits[favoured] = 8.0
        logits[tok.stop_ids] = 6.0  # the end is likely too: about one draw in twenty
        g = torch.Generator().manual_seed(0)
        drawn = [draw_checked(process_logits(logits, hist, params), hist, params, g)[0] for _ in range(300)]
        n_ends = sum(t in tok.stop_ids for t in drawn)
        assert (n_ends > 0) == ends, n_ends


def test_twitter_texts_conformance_cases_count_the_same_through_the_server(server):
    """X as the server counts it (/v1/social/count, configuration v3): every case of the
    v3 counter groups of twitter-text's validate.yml (or the copied few), length and
    validity, through a real HTTP request."""
    from test_social_length import CASES

    v3 = [c for c in CASES if c[0] != "WeightedTweetsCounterTest"]
    assert v3
    for _, description, text, expected in v3:
        got = _post(server, "/v1/social/count", {"text": text, "platform": "x"}).json()
        assert got["length"] == expected["weightedLength"], description
        if "valid" in expected:
            assert got["fits"] == expected["valid"], description
