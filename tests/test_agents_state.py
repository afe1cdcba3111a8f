"""The agents' durable state and their config file, on their own: the inbox deduplicates,
a decision and its sends commit together, a thread's parts wait for each other, a killed
worker's event is decided again, and credentials are never inline and never printed."""

from __future__ import annotations

import sqlite3
import time

import pytest

from mynah.social.config import ConfigError, load
from mynah.social.platforms.base import Event, Send, Sent, retry_after, same_text
from mynah.social.state import AgentState, Conversation, Plan


def _dm(i: int, text: str = "hi", conv: str = "42") -> Event:
    return Event("x", f"e{i}", "dm", conv, text, conv, "alice")


def test_the_inbox_keeps_one_row_an_event_and_survives_a_new_process(tmp_path):
    s = AgentState(tmp_path / "agents.db")
    assert s.accept([_dm(1), _dm(2), _dm(1)]) == (2, 1)
    assert s.accept([_dm(2)]) == (0, 1)
    # another process (a restart) sees what was acknowledged
    s2 = AgentState(tmp_path / "agents.db")
    assert s2.inbox_counts() == {"new": 2}


def test_a_claimed_event_not_committed_is_decided_again_after_a_restart(tmp_path):
    s = AgentState(tmp_path / "agents.db")
    s.accept([_dm(1)])
    e = s.claim(("x",))
    assert e.id == "e1" and s.claim(("x",)) is None  # claimed once
    # the process dies here: nothing was sent for it, so a new start decides it again
    s2 = AgentState(tmp_path / "agents.db")
    assert s2.claim(("x",)).id == "e1"
    assert s2.claim(("bluesky",)) is None  # another platform's worker does not take it


def test_a_decision_and_its_sends_commit_together(tmp_path):
    s = AgentState(tmp_path / "agents.db")
    s.accept([_dm(1)])
    e = s.claim(("x",))
    conv = Conversation("x", "42", "alice", "42", replies=[])
    send = Send("x:e1:0", "x", "dm", "hello", "42", {}, "42")
    s.commit(e, Plan([send], conv, [("customer", "hi", None), ("bot", "hello", [{"index": 1}])]))
    assert s.inbox_counts() == {"done": 1}
    assert [r["key"] for r in s.outbox_rows()] == ["x:e1:0"]
    assert [m["role"] for m in s.transcript("x", "42")] == ["customer", "bot"]
    assert s.transcript("x", "42")[1]["citations"] == [{"index": 1}]
    # the same key again (a decision repeated after a crash) is one outbox row
    s.accept([_dm(2)])
    s.commit(s.claim(("x",)), Plan([send], conv))
    assert len(s.outbox_rows()) == 1


def test_a_threads_later_part_waits_for_the_earlier_and_answers_it(tmp_path):
    s = AgentState(tmp_path / "agents.db")
    s.accept([_dm(1)])
    e = s.claim(("x",))
    a = Send("x:e1:0", "x", "reply", "part one", "100", {"root": {"uri": "r"}})
    b = Send("x:e1:1", "x", "reply", "part two", "100", {"root": {"uri": "r"}}, after="x:e1:0")
    s.commit(e, Plan([a, b]))
    first, attempts = s.due(("x",))
    assert first.key == "x:e1:0" and attempts == 0
    s.attempt(first.key)
    assert s.due(("x",))[0].key == "x:e1:0"  # b is not due while a is pending
    s.sent(first.key, Sent("555", {"uri": "at://555", "cid": "c5"}))
    second, _ = s.due(("x",))
    assert second.key == "x:e1:1" and second.to == "555"
    assert second.ref["cid"] == "c5" and second.ref["root"] == {"uri": "r"}  # the root stays the thread's


def test_a_deferred_event_waits_and_a_failed_part_fails_the_rest(tmp_path):
    s = AgentState(tmp_path / "agents.db")
    s.accept([_dm(1)])
    s.commit(s.claim(("x",)), Plan([], defer=30, note="rate limited"))
    assert s.claim(("x",)) is None and s.inbox_counts() == {"new": 1}
    s.accept([_dm(2)])
    assert s.claim(("x",)) is None  # the same conversation's later message waits its turn
    s.accept([_dm(3, conv="43")])
    e = s.claim(("x",))
    assert e.id == "e3"
    s.commit(e, Plan([Send("k0", "x", "reply", "a", "1"), Send("k1", "x", "reply", "b", "1", after="k0")]))
    s.fail("k0", "403 duplicate content")
    assert s.due(("x",)) is None
    assert {r["key"]: r["status"] for r in s.outbox_rows()} == {"k0": "failed", "k1": "failed"}


def test_an_event_that_keeps_failing_is_given_up_after_its_tries(tmp_path):
    s = AgentState(tmp_path / "agents.db")
    s.accept([_dm(1)])
    e = s.claim(("x",))
    assert s.release(e, 0, "server down", max_tries=3) and s.release(
        s.claim(("x",)), 0, "server down", max_tries=3
    )
    assert not s.release(s.claim(("x",)), 0, "server down", max_tries=3)
    assert s.inbox_counts() == {"skipped": 1} and s.claim(("x",)) is None


def test_same_text_ignores_rewritten_links_and_spacing():
    assert same_text("see https://example.com/a  now", "see https://t.co/xYz now")
    assert not same_text("see https://example.com/a now", "see https://t.co/xYz later")


def test_retry_after_reads_each_platforms_header():
    now = 1_000_000.0
    assert retry_after({"retry-after": "7"}, now) == 7
    assert retry_after({"x-rate-limit-reset": str(int(now) + 30)}, now) == 30  # X
    assert retry_after({"ratelimit-reset": str(int(now) + 5)}, now) == 5  # Bluesky
    assert retry_after({"x-ratelimit-reset": "1970-01-12T13:47:00Z"}, now) == 1_000_020 - now  # Mastodon
    assert retry_after({}, now) is None


# -- the config file ---------------------------------------------------------------------------


def _config(tmp_path, body: str, secrets: dict[str, str] | None = None):
    for name, value in (secrets or {}).items():
        (tmp_path / name).write_text(value + "\n")
    p = tmp_path / "platform.toml"
    p.write_text(body)
    return p


X = """[x]
account_id = "1000"
consumer_key_file = "ck"
consumer_secret_file = "cs"
access_token_file = "at"
access_token_secret_file = "ats"
api_base = "http://127.0.0.1:9"
"""
SECRETS = {"ck": "key-1", "cs": "secret-2", "at": "token-3", "ats": "tsecret-4"}


def test_credentials_come_from_files_or_the_environment_and_never_show(tmp_path, monkeypatch):
    monkeypatch.setenv("MYNAH_TEST_TOKEN", "mast-5")
    p = _config(
        tmp_path,
        X + '[mastodon]\napi_base = "http://127.0.0.1:9"\naccess_token_env = "MYNAH_TEST_TOKEN"\n',
        SECRETS,
    )
    cfg = load(p)
    assert cfg.get("x", "consumer_secret") == "secret-2"  # stripped of the file's newline
    assert cfg.get("mastodon", "access_token") == "mast-5"
    shown = repr(cfg) + str(cfg)
    assert not any(v in shown for v in ["secret-2", "key-1", "token-3", "mast-5"])


@pytest.mark.parametrize(
    "body,secrets,message",
    [
        (X, {k: v for k, v in SECRETS.items() if k != "cs"}, "[x] consumer_secret_file: cannot read"),
        (X.replace('consumer_secret_file = "cs"\n', ""), SECRETS, "[x] consumer_secret_file is missing"),
        (
            X.replace('consumer_secret_file = "cs"', 'consumer_secret = "inline"'),
            SECRETS,
            "not written inline",
        ),
        (X + "[x2]\n", SECRETS, "unknown section [x2]"),
        (X.replace("[x]", "[x]\ncolour = 1"), SECRETS, "unknown key 'colour'"),
        (
            '[mastodon]\napi_base = "u"\naccess_token_env = "MYNAH_NOT_SET_123"\n',
            {},
            "MYNAH_NOT_SET_123 is not set",
        ),
        ('[agent]\nkb = "nowhere.db"\n', {}, "[agent] kb:"),
        ("[agent]\nhandoff_after_turns = 0\n", {}, "handoff_after_turns"),
        ("[x\n", {}, "not valid TOML"),
    ],
)
def test_a_bad_config_is_refused_naming_the_key(tmp_path, body, secrets, message):
    with pytest.raises(ConfigError) as e:
        load(_config(tmp_path, body, secrets))
    assert message in str(e.value)
    assert "secret-2" not in str(e.value)


def test_the_server_refuses_to_start_without_the_webhook_secret(tmp_path, talker):
    """`mynah serve --platform-config` with the consumer secret unreadable: exit 2, the key
    named, before the port is bound."""
    import subprocess
    import sys

    p = _config(tmp_path, X, {k: v for k, v in SECRETS.items() if k != "cs"})
    r = subprocess.run(
        [sys.executable, "-m", "mynah.cli", "serve", "--model", str(talker), "--platform-config", str(p)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2
    assert "[x] consumer_secret_file" in r.stderr


def test_one_event_of_a_conversation_is_decided_at_a_time_in_order(tmp_path):
    s = AgentState(tmp_path / "agents.db")
    s.accept([_dm(1), _dm(2), _dm(3, conv="43")])
    a, b = s.claim(("x",)), s.claim(("x",))
    assert (a.id, b.id) == ("e1", "e3") and s.claim(("x",)) is None  # e2 waits for e1
    s.commit(a, Plan([]))
    assert s.claim(("x",)).id == "e2"


def test_an_operators_takeover_during_a_decision_stands_and_the_bot_sends_nothing(tmp_path):
    s = AgentState(tmp_path / "agents.db")
    s.save(Conversation("x", "42", "alice", "42", replies=[]))
    s.accept([_dm(1)])
    e = s.claim(("x",))
    seen = s.conversation("x", "42")  # what the worker read before generating
    time.sleep(0.01)
    op = s.conversation("x", "42")
    op.status = "human"
    s.save(op)  # the operator clicks "Take over" meanwhile
    s.commit(e, Plan([Send("x:e1:0", "x", "dm", "bot text", "42")], seen, [("customer", "hi", None)]))
    assert s.conversation("x", "42").status == "human"
    assert s.outbox_rows() == [] and s.inbox_counts() == {"skipped": 1}


def test_the_state_file_is_sqlite_in_wal_mode(tmp_path):
    AgentState(tmp_path / "agents.db").accept([_dm(1)])
    with sqlite3.connect(tmp_path / "agents.db") as c:
        assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
