"""`mynah agents run` end to end: a fake Bluesky and a fake Mastodon on 127.0.0.1, a live
`mynah serve` that generates, and the agents as their own process. Mentions are answered
in their threads (Bluesky's root and parent refs, Mastodon's in_reply_to and visibility),
DMs in their conversations (Bluesky's chat proxy, Mastodon's direct status that mentions
the customer), and after a `kill -9` the agents resume from their cursors: new events are
answered, old ones never twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from conftest import copy_store
from mynah.social.fakes import serve_in_thread
from mynah.social.length import rule_for
from serve_helpers import LiveServer
from test_agents import _kb, _model, wait_for

pytestmark = pytest.mark.slow

BSKY_PASSWORD, MASTODON_TOKEN = "bsky-app-pass", "mast-token-1"


def _toml(tmp: Path, bsky: str, mastodon: str, kb: Path) -> Path:
    (tmp / "bsky-pass").write_text(BSKY_PASSWORD)
    (tmp / "mastodon-token").write_text(MASTODON_TOKEN)
    (tmp / "platform.toml").write_text(
        f"""[bluesky]
handle = "mynah.test"
app_password_file = "bsky-pass"
service_url = "{bsky}"

[mastodon]
api_base = "{mastodon}"
access_token_file = "mastodon-token"

[agent]
kb = "{kb}"
business = "NovaBank"
"""
    )
    return tmp / "platform.toml"


def _agents(dep, log: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "mynah.cli", "agents", "run", "--platform-config", str(dep.toml)]
    cmd += ["--server", dep.server.url, "--state-dir", str(dep.tmp / "state"), "--poll-interval", "0.3"]
    cmd += ["--no-embed"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "MYNAH_API_KEY": "sk-run"}
    with open(log, "a") as out:
        return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)


@pytest.fixture(scope="module")
def dep(talker, post_db, sample_dir, tmp_path_factory):
    from mynah.social.fakes.bluesky import create_app as bluesky
    from mynah.social.fakes.mastodon import create_app as mastodon

    tmp = tmp_path_factory.mktemp("agents-run")
    b_app = bluesky(handle="mynah.test", app_password=BSKY_PASSWORD)
    m_app = mastodon(username="mynah", token=MASTODON_TOKEN, max_characters=200, heartbeat=0.5)
    b, m = serve_in_thread(b_app), serve_in_thread(m_app)
    db = copy_store(post_db, tmp / "db")
    # (the policy layer on agents is tested in test_agents.py; here it would only slow the start)
    server = LiveServer(_model(talker, tmp), "--posts", str(db), "--no-policy", key="sk-run", tmp=tmp)
    ns = SimpleNamespace(
        bsky=b_app.state.fake, masto=m_app.state.fake, server=server, tmp=tmp, log=tmp / "agents.log"
    )
    ns.toml = _toml(tmp, b.url, m.url, _kb(sample_dir, tmp))
    ns.proc = _agents(ns, ns.log)
    yield ns
    if ns.proc.poll() is None:
        ns.proc.terminate()
        ns.proc.wait(timeout=30)
    server.stop()
    b.stop()
    m.stop()


def _bsky_replies(fake, parent_uri: str) -> list[dict]:
    return [
        s
        for s in fake.sent
        if s["kind"] == "post" and s["record"].get("reply", {}).get("parent", {}).get("uri") == parent_uri
    ]


def _masto_replies(fake, status_id: str) -> list[dict]:
    return [s for s in fake.sent if s.get("in_reply_to_id") == status_id]


def test_a_bluesky_mention_under_a_reply_is_answered_with_the_threads_root(dep):
    root = dep.bsky.inject_post("ola.test", "the zeppelin festival over the harbour is cancelled")
    mid = dep.bsky.inject_post("piet.test", "wait, really?", reply_to=root["uri"])
    m = dep.bsky.inject_post("rita.test", "@mynah.test is this true?", reply_to=mid["uri"])
    got = wait_for(lambda: _bsky_replies(dep.bsky, m["uri"]), 120)
    assert got, dep.log.read_text()[-2000:]
    rec = got[0]["record"]
    assert rec["reply"]["root"]["uri"] == root["uri"]  # the thread's root, not the parent's
    assert rec["reply"]["parent"] == {"uri": m["uri"], "cid": m["cid"]}
    assert rule_for("bluesky").fits(rec["text"])
    for f in rec.get("facets", []):  # byte offsets that point at what they say
        span = rec["text"].encode()[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode()
        feature = f["features"][0]
        assert span == feature.get("uri", span) or span.startswith("@")


def test_a_bluesky_dm_asking_for_a_person_is_handed_off_through_the_chat_proxy(dep):
    dep.bsky.inject_dm("carla.test", "can I talk to a real person please")
    got = wait_for(lambda: [s for s in dep.bsky.sent if s["kind"] == "dm"], 60)
    assert got and "person" in got[0]["text"]
    chat_calls = [r for r in dep.bsky.requests if "chat.bsky" in r["path"]]
    assert chat_calls and all(
        r["headers"].get("atproto-proxy") == "did:web:api.bsky.chat#bsky_chat" for r in chat_calls
    )


def test_a_mastodon_mention_is_answered_in_thread_with_its_visibility(dep):
    s = dep.masto.inject_status("ola", "@mynah is the ferry really late again?", visibility="unlisted")
    got = wait_for(lambda: _masto_replies(dep.masto, s["id"]), 120)
    assert got, dep.log.read_text()[-2000:]
    assert got[0]["visibility"] == "unlisted"
    from mynah.social.platforms.mastodon import status_text

    text = status_text(got[0]["content"])
    assert text.startswith("@ola ") and rule_for("mastodon", 200).fits(text)
    keys = [
        r["headers"].get("idempotency-key") for r in dep.masto.requests if r["path"] == "/api/v1/statuses"
    ]
    assert all(keys)


def test_a_mastodon_direct_message_gets_a_direct_answer_that_mentions_the_customer(dep):
    s = dep.masto.inject_status("lena", "@mynah STOP", visibility="direct")
    got = wait_for(lambda: _masto_replies(dep.masto, s["id"]), 60)
    assert got and got[0]["visibility"] == "direct"
    from mynah.social.platforms.mastodon import status_text

    text = status_text(got[0]["content"])
    assert text.startswith("@lena ") and "START" in text


def test_after_kill_9_the_agents_resume_from_their_cursors_without_answering_twice(dep):
    wait_for(lambda: False, 1.0)
    before = (len(dep.bsky.sent), len(dep.masto.sent))
    dep.proc.send_signal(signal.SIGKILL)
    dep.proc.wait(timeout=30)
    # while they are down, new events arrive
    s = dep.masto.inject_status("tom", "@mynah write me a poem")
    dep.bsky.inject_dm("zoe.test", "STOP")
    dep.proc = _agents(dep, dep.log)
    assert wait_for(lambda: _masto_replies(dep.masto, s["id"]), 60)
    assert wait_for(lambda: len([x for x in dep.bsky.sent if x["kind"] == "dm"]) == 2, 60)
    wait_for(lambda: False, 2.0)  # a few polls more: nothing old comes back
    assert (len(dep.bsky.sent), len(dep.masto.sent)) == (before[0] + 1, before[1] + 1)
