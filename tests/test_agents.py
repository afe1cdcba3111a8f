"""The agents end to end, through real parts: `mynah serve --platform-config` with a tiny
model, a post store and a knowledge base, and a fake X on 127.0.0.1 that delivers signed
Account Activity webhooks and echoes the account's own posts and DMs back, as X does.

What a deployment relies on: the CRC answer, signatures checked on the raw body, one
answer per event (duplicates, the bot's own echoes and other accounts' events get none),
DMs answered from the knowledge base with its sections as citations, the handoff to a
person and the release, opt-out, mentions answered in their thread within X's length with
source links, retries through 429 and 500, and exactly one reply per accepted event across
a `kill -9` (placed between a send and its commit, and at random).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from conftest import copy_store
from mynah.social.fakes import serve_in_thread
from mynah.social.length import rule_for
from mynah.social.platforms.x import crc_response, sign_body
from mynah.social.state import AgentState
from serve_helpers import LiveServer, free_port

pytestmark = pytest.mark.slow

CK, CS, AT, ATS = "ck-test", "cs-test-secret", "at-test", "ats-test-secret"
POLICY = """version = "test-agents"

[[rules]]
id = "t-1"
category = "impersonation"
stage = "input"
pattern = "(?i)launch codes"
text = "No launch codes."
"""
OPERATOR = "op-key-123"


def wait_for(cond, timeout: float = 60.0, every: float = 0.1):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(every)
    return cond()


def _files(tmp: Path) -> dict[str, Path]:
    out = {}
    for name, value in {"ck": CK, "cs": CS, "at": AT, "ats": ATS, "op": OPERATOR}.items():
        (tmp / name).write_text(value + "\n")
        out[name] = tmp / name
    return out


def _toml(tmp: Path, api_base: str, kb: Path | None, turns: int = 2) -> Path:
    _files(tmp)
    body = f"""[x]
account_id = "1000"
consumer_key_file = "ck"
consumer_secret_file = "cs"
access_token_file = "at"
access_token_secret_file = "ats"
api_base = "{api_base}"

[agent]
operator_key_file = "op"
handoff_after_turns = {turns}
business = "NovaBank"
"""
    if kb is not None:
        body += f'kb = "{kb}"\n'
    (tmp / "platform.toml").write_text(body)
    return tmp / "platform.toml"


def _model(talker: Path, tmp: Path) -> Path:
    """The talker at the demo's 512-token context, so a grounded prompt has its posts."""
    model = tmp / "talker-512"
    if not model.exists():
        shutil.copytree(talker, model, ignore=shutil.ignore_patterns("state", "corpus"))
        cfg = json.loads((model / "config.json").read_text())
        cfg["max_position_embeddings"] = 512
        (model / "config.json").write_text(json.dumps(cfg))
    return model


def _kb(sample_dir: Path, tmp: Path) -> Path:
    from mynah.social.kb import KnowledgeBase

    db = tmp / "kb.db"
    with KnowledgeBase.open(db) as kb:
        kb.ingest(sorted((sample_dir / "kb").glob("NovaBank*")), embed=False, name="NovaBank")
    return db


def _fake_x(**kw):
    from mynah.social.fakes.x import create_app

    app = create_app(CK, CS, access_token=AT, access_token_secret=ATS, echo_own=True, **kw)
    return app.state.fake, serve_in_thread(app)


@pytest.fixture(scope="module")
def dep(talker, post_db, sample_dir, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("agents")
    fake, running = _fake_x()
    toml = _toml(tmp, running.url, _kb(sample_dir, tmp))
    db = copy_store(post_db, tmp / "db")
    # an operator's own input rule: a request the policy layer refuses, whatever the classifier says
    (tmp / "policy.toml").write_text(POLICY)
    server = LiveServer(
        _model(talker, tmp),
        "--posts",
        str(db),
        "--platform-config",
        str(toml),
        "--policy",
        str(tmp / "policy.toml"),
        key="sk-agents",
        tmp=tmp,
    )
    fake.webhook_url = server.url + "/webhooks/x"
    state = AgentState(server.state / "agents.db")
    yield SimpleNamespace(fake=fake, server=server, state=state, tmp=tmp)
    server.stop()
    running.stop()


def _sent_to(fake, participant: str) -> list[dict]:
    return [s for s in fake.sent if s["kind"] == "dm" and str(s.get("participant_id")) == participant]


def _settled(dep) -> bool:
    """Nothing left to decide or send."""
    return dep.state.busy() == 0


def _console(dep, method: str, path: str, body: dict | None = None, key: str = OPERATOR) -> httpx.Response:
    return httpx.request(
        method,
        dep.server.url + "/console/api" + path,
        json=body,
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )


# -- the webhook ------------------------------------------------------------------------------


def test_the_crc_challenge_is_answered_with_the_test_vector_and_the_fakes_check(dep):
    r = httpx.get(
        dep.server.url + "/webhooks/x", params={"crc_token": "9b4507b3-9040-4669-9ca3-6b94edb50553"}
    )
    assert r.status_code == 200
    assert r.json() == crc_response(CS, "9b4507b3-9040-4669-9ca3-6b94edb50553")
    assert crc_response(
        "z3ZX4v7mAAUGykl3EcmkqbartmuW8VFOOzCloLx9Q45P0hLrFu", "9b4507b3-9040-4669-9ca3-6b94edb50553"
    ) == {"response_token": "sha256=Cytd4Sq+NvEcV3MMrXxWJGJx5A+y/lXzzU2Maartkx8="}
    assert dep.fake.crc()["ok"]


def test_a_bad_or_missing_signature_is_refused_and_nothing_is_stored(dep):
    before = dep.state.q("SELECT COUNT(*) FROM inbox")[0][0]
    payload = dep.fake.dm_payload(dep.fake.create_dm("777", "1000", "hello?"))
    raw = json.dumps(payload).encode()
    url = dep.server.url + "/webhooks/x"
    for headers in (
        {},
        {"x-twitter-webhooks-signature": sign_body("wrong-secret", raw)},
        {"x-twitter-webhooks-signature": sign_body(CS, raw + b" ")},  # signed another body
        {"x-twitter-webhooks-signature": "sha256=not base64!"},
    ):
        r = httpx.post(url, content=raw, headers={"content-type": "application/json", **headers})
        assert r.status_code == 401
    assert dep.state.q("SELECT COUNT(*) FROM inbox")[0][0] == before


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b"[1, 2]",
        json.dumps({"for_user_id": "1000", "favorite_events": [{"id": "1"}]}).encode(),  # unknown type
        json.dumps(
            {"for_user_id": "1000", "direct_message_events": [{"type": "message_create", "id": "9"}]}
        ).encode(),
        json.dumps(
            {
                "for_user_id": "2000",  # another account's
                "direct_message_events": [
                    {
                        "type": "message_create",
                        "id": "91",
                        "created_timestamp": "1700000000000",
                        "message_create": {
                            "sender_id": "5",
                            "target": {"recipient_id": "2000"},
                            "message_data": {"text": "hi"},
                        },
                    }
                ],
            }
        ).encode(),
    ],
)
def test_what_cannot_be_used_is_acknowledged_and_never_answered(dep, raw):
    before = (dep.state.q("SELECT COUNT(*) FROM inbox")[0][0], len(dep.fake.sent))
    r = httpx.post(
        dep.server.url + "/webhooks/x",
        content=raw,
        headers={"x-twitter-webhooks-signature": sign_body(CS, raw), "content-type": "application/json"},
    )
    assert r.status_code == 200 and r.json()["accepted"] == 0
    assert (dep.state.q("SELECT COUNT(*) FROM inbox")[0][0], len(dep.fake.sent)) == before
    assert httpx.get(dep.server.url + "/health").status_code == 200


# -- DMs ----------------------------------------------------------------------------------------


def test_a_dm_is_answered_once_from_the_knowledge_base_with_its_sections(dep):
    d = dep.fake.deliver_dm("201", "carla", "Hi NovaBank, my card was charged twice for the same payment")
    assert d["status"] == 200
    # the same delivery again (X retries when it gets no 200 in time) is one event
    again = dep.fake.deliver(d["payload"])
    assert again["status"] == 200
    assert wait_for(lambda: _sent_to(dep.fake, "201"), 120)
    assert wait_for(lambda: _settled(dep), 60)
    time.sleep(1.0)  # the echo of our own DM comes back through the webhook: never answered
    sent = _sent_to(dep.fake, "201")
    assert len(sent) == 1
    assert sent[0]["text"] and rule_for("x").fits(sent[0]["text"])
    t = _console(dep, "GET", "/conversations/x/201").json()
    assert [m["role"] for m in t["transcript"]] == ["customer", "bot"]
    bot = t["transcript"][1]
    assert bot["text"] == sent[0]["text"]
    if t["status"] == "bot":  # answered (not handed off): it drew on NovaBank's sections
        assert bot["citations"] and all(c["id"].startswith("NovaBank") for c in bot["citations"])
    assert dep.state.q("SELECT COUNT(*) FROM inbox WHERE id = ?", (d["id"],))[0][0] == 1


def test_asking_for_a_person_hands_off_and_the_bot_stays_quiet_until_released(dep):
    dep.fake.deliver_dm("202", "dieter", "Ich möchte bitte mit einem Menschen sprechen")
    assert wait_for(lambda: _sent_to(dep.fake, "202"), 60)
    handoff = _sent_to(dep.fake, "202")[0]["text"]
    assert "Person" in handoff  # in the customer's language
    conv = _console(dep, "GET", "/conversations/x/202").json()
    assert conv["status"] == "human" and "asked for a person" in conv["reason"]
    # while a person holds it, the bot sends nothing
    d = dep.fake.deliver_dm("202", "dieter", "Hallo? Meine Karte wurde zweimal belastet")
    assert wait_for(
        lambda: dep.state.q("SELECT status FROM inbox WHERE id = ?", (d["id"],))[0][0] == "skipped", 30
    )
    assert len(_sent_to(dep.fake, "202")) == 1
    # the operator answers through the console: sent once, as written
    r = _console(dep, "POST", "/conversations/x/202/reply", {"text": "Hallo Dieter, hier ist Anna vom Team."})
    assert r.status_code == 200
    assert wait_for(lambda: len(_sent_to(dep.fake, "202")) == 2, 30)
    assert _sent_to(dep.fake, "202")[1]["text"] == "Hallo Dieter, hier ist Anna vom Team."
    # released: the bot answers again
    assert _console(dep, "POST", "/conversations/x/202/release").json()["status"] == "bot"
    dep.fake.deliver_dm("202", "dieter", "Danke! Und wie lange dauert eine Rückerstattung?")
    assert wait_for(lambda: len(_sent_to(dep.fake, "202")) == 3, 120)
    roles = [m["role"] for m in _console(dep, "GET", "/conversations/x/202").json()["transcript"]]
    assert roles == ["customer", "bot", "customer", "human", "customer", "bot"]


def test_stop_is_honoured_until_start(dep):
    dep.fake.deliver_dm("203", "sam", "STOP")
    assert wait_for(lambda: _sent_to(dep.fake, "203"), 30)
    assert "START" in _sent_to(dep.fake, "203")[0]["text"]
    d = dep.fake.deliver_dm("203", "sam", "what are your opening hours?")
    assert wait_for(
        lambda: dep.state.q("SELECT status FROM inbox WHERE id = ?", (d["id"],))[0][0] == "skipped", 30
    )
    assert len(_sent_to(dep.fake, "203")) == 1
    dep.fake.deliver_dm("203", "sam", "start")
    assert wait_for(lambda: len(_sent_to(dep.fake, "203")) == 2, 30)
    assert _console(dep, "GET", "/conversations/x/203").json()["opted_out"] is False


def test_a_question_the_knowledge_base_cannot_answer_goes_to_a_person(dep):
    dep.fake.deliver_dm("204", "lena", "what is the capital of France")
    assert wait_for(lambda: _sent_to(dep.fake, "204"), 60)
    conv = _console(dep, "GET", "/conversations/x/204").json()
    assert conv["status"] == "human" and "no relevant section" in conv["reason"]


def test_the_console_needs_the_operator_key(dep):
    assert _console(dep, "GET", "/conversations", key="wrong").status_code == 401
    assert _console(dep, "GET", "/conversations", key="sk-agents").status_code == 401  # an API key is not it
    r = _console(dep, "GET", "/conversations?status=human")
    assert r.status_code == 200 and all(c["status"] == "human" for c in r.json()["data"])
    assert _console(dep, "GET", "/conversations?status=lost").status_code == 400
    assert _console(dep, "GET", "/conversations/x/nobody").status_code == 404


# -- mentions -------------------------------------------------------------------------------------


def test_a_mention_is_answered_in_its_thread_within_the_limit_with_source_links(dep):
    post = dep.fake.post_tweet("the zeppelin festival over the harbour is cancelled", "301", "ola")
    m = dep.fake.deliver_mention("302", "piet", "@mynah is this true?", in_reply_to=post["id"])
    assert m["status"] == 200
    replies = wait_for(
        lambda: [
            s for s in dep.fake.sent if s["kind"] == "tweet" and s.get("in_reply_to_tweet_id") == m["id"]
        ],
        120,
    )
    assert replies, dep.state.q("SELECT status, note FROM inbox WHERE id = ?", (m["id"],))
    assert wait_for(lambda: _settled(dep), 60)
    chain = [s for s in dep.fake.sent if s["kind"] == "tweet"]
    ours = [s for s in chain if s.get("in_reply_to_tweet_id") == m["id"]]
    assert len(ours) == 1  # one reply under the mention (a thread continues under its own first part)
    first = ours[0]["text"]
    assert first.startswith("@piet ") and rule_for("x").fits(first)
    parts = [first] + [s["text"] for s in chain if s.get("in_reply_to_tweet_id") == ours[0]["id"]]
    assert all(rule_for("x").fits(p) for p in parts)
    assert any("https://" in p for p in parts)  # the live posts it drew on, as links


def test_a_chart_mention_gets_the_servers_signed_chart_attached(dep):
    # end to end: the agent asks this server's /v1/images/chart and uploads its PNG unchanged
    from mynah.images.provenance import IPTC, read_c2pa

    m = dep.fake.deliver_mention("304", "rosa", "@mynah chart of coffee posts")
    got = wait_for(
        lambda: [
            s for s in dep.fake.sent if s["kind"] == "tweet" and s.get("in_reply_to_tweet_id") == m["id"]
        ],
        120,
    )
    assert got and got[0]["text"].startswith("@rosa Chart: ") and '"coffee"' in got[0]["text"]
    assert rule_for("x").fits(got[0]["text"])
    (media_id,) = got[0]["media_ids"]
    upload = dep.fake.media[media_id]
    found = read_c2pa(upload["bytes"])
    assert found.valid and found.digital_source_type == IPTC + "algorithmicMedia"
    assert found.assertion["query"] == "coffee" and upload["alt"].startswith("Chart: ")


def test_a_request_outside_the_mention_agents_scope_is_declined(dep):
    m = dep.fake.deliver_mention("303", "quinn", "@mynah write me a poem about cats")
    got = wait_for(
        lambda: [
            s for s in dep.fake.sent if s["kind"] == "tweet" and s.get("in_reply_to_tweet_id") == m["id"]
        ],
        60,
    )
    assert got and got[0]["text"].startswith("@quinn Sorry, I only answer questions about posts")


def test_a_tweet_that_does_not_mention_the_account_gets_nothing(dep):
    before = len(dep.fake.sent)
    d = dep.fake.deliver_mention("304", "rita", "just talking about mynah birds today")
    assert d["status"] == 200
    time.sleep(1.0)
    assert len(dep.fake.sent) == before


def test_429_and_500_from_x_are_retried_not_lost(dep):
    dep.fake.fail(429, times=2, retry_after=1, path_prefix="/2/dm_conversations")
    dep.fake.fail(500, times=1, path_prefix="/2/dm_conversations")
    dep.fake.deliver_dm("205", "tom", "STOP")
    assert wait_for(lambda: _sent_to(dep.fake, "205"), 60)
    time.sleep(0.5)
    assert len(_sent_to(dep.fake, "205")) == 1
    # the failures hit the send and the lookups before a resend (a 500 may have posted)
    seen = [r["status"] for r in dep.fake.requests if "/2/dm_conversations/with/205/" in r["path"]]
    assert seen.count(429) == 2 and seen.count(500) == 1 and seen[-1] == 201
    assert dep.state.q("SELECT status FROM outbox WHERE key LIKE 'x:%' AND conv = '205'") == [("sent",)]


# -- kill -9 -------------------------------------------------------------------------------------


def _serve(model: Path, toml: Path, state: Path, port: int, log: Path, kill_after: int | None = None):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("MYNAH_TEST_KILL_AFTER_SENDS", None)
    if kill_after is not None:
        env["MYNAH_TEST_KILL_AFTER_SENDS"] = str(kill_after)
    cmd = [sys.executable, "-m", "mynah.cli", "serve", "--model", str(model), "--port", str(port)]
    cmd += ["--platform-config", str(toml), "--state-dir", str(state), "--no-policy"]
    with open(log, "a") as out:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"

    def up():
        if proc.poll() is not None:
            raise RuntimeError(log.read_text()[-2000:])
        try:
            return httpx.get(url + "/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    assert wait_for(up, 120)
    return proc, url


def _events(fake, n: int, base: int) -> list[str]:
    """n events whose answers need no model (handoffs, opt-outs, declines), from n people."""
    ids = []
    for i in range(n):
        uid = str(base + i)
        if i % 3 == 2:
            d = fake.deliver_mention(uid, f"u{uid}", "@mynah write me a poem please")
        else:
            d = fake.deliver_dm(uid, f"u{uid}", "STOP" if i % 3 == 0 else "I want to talk to a human")
        if d["status"] == 200:
            ids.append((uid, d["id"]))
    return ids


def _answers(fake, uid: str, event_id: str) -> int:
    return sum(
        1
        for s in fake.sent
        if (s["kind"] == "dm" and str(s.get("participant_id")) == uid)
        or (s["kind"] == "tweet" and s.get("in_reply_to_tweet_id") == event_id)
    )


def test_kill_9_then_restart_gives_every_accepted_event_exactly_one_reply(talker, tmp_path):
    """Two kills of one deployment: first between a send and its commit (the test-only
    hook), then at a random moment of a second burst; after each restart every
    acknowledged event of both bursts has exactly one reply on the fake X."""
    fake, running = _fake_x()
    toml = _toml(tmp_path, running.url, None)
    model = _model(talker, tmp_path)
    state, log, port = tmp_path / "state", tmp_path / "serve.log", free_port()
    fake.webhook_url = f"http://127.0.0.1:{port}/webhooks/x"
    st = AgentState(state / "agents.db")

    def drained():
        return st.busy() == 0

    try:
        proc, _ = _serve(model, toml, state, port, log, kill_after=3)
        accepted = _events(fake, 12, 50_000)
        assert proc.wait(timeout=60) == -signal.SIGKILL  # the hook fired after the 3rd send
        # the 3rd send reached X but its commit did not: pending, one attempt counted
        assert len(fake.sent) == 3
        assert st.q("SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND attempts = 1")[0][0] == 1
        # deliveries after the kill found no server: X's to redeliver; what was acknowledged is ours
        assert len(accepted) >= 3
        proc, _ = _serve(model, toml, state, port, log)
        accepted += _events(fake, 12, 60_000)
        time.sleep(random.uniform(0.1, 1.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        proc, _ = _serve(model, toml, state, port, log)
        assert wait_for(drained, 120)
        time.sleep(1.0)  # echoes of our own sends come back and must stay unanswered
        counts = {uid: _answers(fake, uid, eid) for uid, eid in accepted}
        assert set(counts.values()) == {1}, counts
        proc.terminate()
        proc.wait(timeout=30)
    finally:
        running.stop()


def test_a_dm_the_policy_layer_refuses_goes_to_a_person_with_the_refusal(dep):
    dep.fake.deliver_dm(
        "206", "vera", "Hi NovaBank, my card was charged twice, also give me the launch codes"
    )
    got = wait_for(lambda: _sent_to(dep.fake, "206"), 60)
    assert got and "No launch codes." in got[0]["text"]
    conv = _console(dep, "GET", "/conversations/x/206").json()
    assert conv["status"] == "human" and "policy" in conv["reason"]


def test_a_mention_the_policy_layer_refuses_gets_the_refusal_in_its_thread(dep):
    post = dep.fake.post_tweet("the zeppelin festival is on tonight", "305", "sven")
    m = dep.fake.deliver_mention("306", "tina", "@mynah what are the launch codes?", in_reply_to=post["id"])
    got = wait_for(
        lambda: [
            s for s in dep.fake.sent if s["kind"] == "tweet" and s.get("in_reply_to_tweet_id") == m["id"]
        ],
        60,
    )
    assert got and got[0]["text"].startswith("@tina ") and "No launch codes." in got[0]["text"]
    assert rule_for("x").fits(got[0]["text"])


def test_answers_that_cite_no_section_hand_off_after_handoff_after_turns(dep):
    """`handoff_after_turns = 2`: the second answer in a row that cites no section is not
    sent; the conversation goes to a person instead. Which way the tiny model goes is its
    own; the test holds the rule to what the transcript shows either way."""
    dep.fake.deliver_dm("207", "will", "Hi NovaBank, my card was charged twice")
    assert wait_for(lambda: _sent_to(dep.fake, "207"), 120)
    first = _console(dep, "GET", "/conversations/x/207").json()
    if first["status"] == "human":  # the model wrote nothing: handed over at once
        assert "cited no section" in first["reason"]
        return
    dep.fake.deliver_dm("207", "will", "and how do I block my card?")
    assert wait_for(lambda: len(_sent_to(dep.fake, "207")) == 2, 120)
    t = _console(dep, "GET", "/conversations/x/207").json()
    bots = [m for m in t["transcript"] if m["role"] == "bot"]

    def cited(m):
        return any(c.get("cited") or c.get("quoted") for c in m["citations"] or [])

    if cited(bots[0]) or (bots[1]["citations"] and cited(bots[1])):
        assert t["status"] == "bot"
    else:
        assert t["status"] == "human" and "2 answers in a row cited no section" in t["reason"]
        assert bots[1]["text"] == "I'm passing this to a person on our team; they will answer you here."
