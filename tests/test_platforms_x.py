"""X: the Account Activity webhook helpers, and the adapter against the fake X over real HTTP
on 127.0.0.1."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from mynah.social.fakes import serve_in_thread
from mynah.social.fakes.x import create_app
from mynah.social.platforms.base import Event, Send, SendError
from mynah.social.platforms.x import X, crc_response, parse_events, sign_body, verify_signature

CK, CS, AT, ATS = "ck-test", "cs-test-secret", "1000-at", "ats-test-secret"
ACCOUNT = "1000"


# --- webhook helpers -----------------------------------------------------------------------


def test_crc_vector():
    secret = "z3ZX4v7mAAUGykl3EcmkqbartmuW8VFOOzCloLx9Q45P0hLrFu"
    token = "9b4507b3-9040-4669-9ca3-6b94edb50553"
    want = {"response_token": "sha256=Cytd4Sq+NvEcV3MMrXxWJGJx5A+y/lXzzU2Maartkx8="}
    assert crc_response(secret, token) == want
    assert crc_response(secret.encode(), token) == want


def test_signature_accepted_and_rejected():
    body = b'{"for_user_id":"1000","direct_message_events":[]}'
    header = sign_body(CS, body)
    expected = "sha256=" + base64.b64encode(hmac.new(CS.encode(), body, hashlib.sha256).digest()).decode()
    assert header == expected
    assert verify_signature(CS, body, header)
    assert verify_signature(CS.encode(), body, header)
    assert not verify_signature(CS, body + b" ", header)  # tampered body
    assert not verify_signature(CS, body.replace(b"1000", b"1001"), header)
    assert not verify_signature("another secret", body, header)
    assert not verify_signature(CS, body, None)
    assert not verify_signature(CS, body, "")
    for bad in (
        "sha256=",
        "sha256=!!!not base64!!!",
        header[len("sha256=") :],
        "sha1=" + header[7:],
        "sha256=" + base64.b64encode(b"short").decode(),
        12345,
    ):
        assert not verify_signature(CS, body, bad), bad


# --- parse_events --------------------------------------------------------------------------


def dm_item(eid="1500", sender="2001", text="hello there", ts="1516403560557"):
    return {
        "type": "message_create",
        "id": eid,
        "created_timestamp": ts,
        "message_create": {
            "target": {"recipient_id": ACCOUNT if sender != ACCOUNT else "2001"},
            "sender_id": sender,
            "source_app_id": "1",
            "message_data": {"text": text, "entities": {}},
        },
    }


def tweet_item(
    tid="3001", user="2002", handle="alice", text="@mynah what is this?", mentions=(ACCOUNT,), **kw
):
    d = {
        "created_at": "Wed Oct 10 20:19:24 +0000 2018",
        "id": int(tid),
        "id_str": tid,
        "text": text,
        "user": {"id": int(user), "id_str": user, "screen_name": handle},
        "in_reply_to_status_id_str": kw.pop("parent", None),
        "is_quote_status": False,
        "entities": {
            "user_mentions": [{"id_str": m, "screen_name": "x", "indices": [0, 6]} for m in mentions]
        },
    }
    d.update(kw)
    return d


def test_parse_dm():
    payload = {
        "for_user_id": ACCOUNT,
        "direct_message_events": [dm_item()],
        "users": {
            "2001": {"id": "2001", "screen_name": "bob"},
            ACCOUNT: {"id": ACCOUNT, "screen_name": "mynah"},
        },
    }
    events, notes = parse_events(payload, ACCOUNT)
    assert notes == []
    assert events == [
        Event(
            platform="x",
            id="1500",
            kind="dm",
            sender_id="2001",
            text="hello there",
            conversation="2001",
            sender_handle="bob",
            created_at="2018-01-19T23:12:40.557Z",
        )
    ]


def test_parse_mention_reply_and_extended_text():
    long = "@mynah " + "word " * 40
    item = tweet_item(text=long[:139] + "…", parent="2999", truncated=True)
    item["extended_tweet"] = {"full_text": long + "&amp; more", "entities": {"user_mentions": []}}
    events, notes = parse_events({"for_user_id": ACCOUNT, "tweet_create_events": [item]}, ACCOUNT)
    assert notes == []
    (e,) = events
    assert (e.kind, e.id, e.conversation, e.post_id, e.parent_id) == (
        "mention",
        "3001",
        "3001",
        "3001",
        "2999",
    )
    assert (e.sender_id, e.sender_handle) == ("2002", "alice")
    assert e.text == long + "& more"  # the full text, HTML entities unescaped
    assert e.created_at == "2018-10-10T20:19:24Z"


def test_parse_quote_without_mention_is_kept():
    item = tweet_item(text="look at this", mentions=(), is_quote_status=True)
    item["quoted_status"] = tweet_item(tid="2500", user=ACCOUNT, handle="mynah", text="our post", mentions=())
    events, notes = parse_events({"for_user_id": ACCOUNT, "tweet_create_events": [item]}, ACCOUNT)
    assert [e.id for e in events] == ["3001"] and notes == []
    assert events[0].parent_id is None


def test_parse_drops_own_retweets_and_unaddressed():
    payload = {
        "for_user_id": ACCOUNT,
        "direct_message_events": [dm_item("1501", sender=ACCOUNT), dm_item("1502")],
        "tweet_create_events": [
            tweet_item("3002", user=ACCOUNT, handle="mynah"),  # our own reply
            tweet_item("3003", retweeted_status={"id_str": "1"}),
            tweet_item("3004", text="just chatting about @someone", mentions=("2005",)),
            tweet_item(
                "3005",
                text="quoting someone else",
                mentions=(),
                is_quote_status=True,
                quoted_status=tweet_item("9", user="2009", mentions=()),
            ),
            tweet_item("3006"),
        ],
        "users": {},
    }
    events, notes = parse_events(payload, ACCOUNT)
    assert [e.id for e in events] == ["1502", "3006"]
    assert events[0].sender_handle is None  # no users entry
    joined = "\n".join(notes)
    assert "own direct message 1501" in joined
    assert "own tweet 3002" in joined
    assert "retweet 3003" in joined
    assert "tweet 3004" in joined and "neither mentions nor quotes" in joined
    assert "tweet 3005" in joined
    assert len(notes) == 5


def test_parse_other_account_and_unknown_types():
    payload = {
        "for_user_id": "999",
        "direct_message_events": [dm_item()],
        "tweet_create_events": [tweet_item()],
    }
    events, notes = parse_events(payload, ACCOUNT)
    assert events == [] and len(notes) == 1 and "another account" in notes[0]
    events, notes = parse_events({"direct_message_events": [dm_item()]}, ACCOUNT)  # no for_user_id
    assert events == [] and "another account" in notes[0]

    payload = {
        "for_user_id": int(ACCOUNT),  # X sends a string; an integer is the same account
        "favorite_events": [{}],
        "follow_events": [{}, {}],
        "tweet_delete_events": [{}],
        "direct_message_indicate_typing_events": [{}],
        "user_has_blocked": False,
    }
    events, notes = parse_events(payload, ACCOUNT)
    assert events == []
    for kind in (
        "favorite_events",
        "follow_events",
        "tweet_delete_events",
        "direct_message_indicate_typing_events",
    ):
        assert any(n.startswith(f"ignored event type {kind}") for n in notes), kind
    assert len(notes) == 4


def test_parse_broken_item_skipped_neighbour_kept():
    no_text = dm_item("1601")
    del no_text["message_create"]["message_data"]["text"]
    bad_sender = dm_item("1602")
    bad_sender["message_create"]["sender_id"] = ["2001"]
    no_user = tweet_item("3101")
    del no_user["user"]
    payload = {
        "for_user_id": ACCOUNT,
        "direct_message_events": [no_text, bad_sender, None, {"type": "message_delete"}, dm_item("1603")],
        "tweet_create_events": [no_user, "junk", tweet_item("3102")],
    }
    events, notes = parse_events(payload, ACCOUNT)
    assert [e.id for e in events] == ["1603", "3102"]
    joined = "\n".join(notes)
    assert "direct_message_events[0]" in joined and "message_create.message_data.text" in joined
    assert "direct_message_events[1]" in joined and "message_create.sender_id" in joined
    assert "direct_message_events[2]" in joined
    assert "message_delete" in joined
    assert "tweet_create_events[0]" in joined and "user.id_str" in joined
    assert "tweet_create_events[1]" in joined


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"for_user_id": ACCOUNT, "direct_message_events": "nope", "tweet_create_events": {"a": 1}},
        {"for_user_id": ACCOUNT, "direct_message_events": [{"type": "message_create", "message_create": 5}]},
        {
            "for_user_id": ACCOUNT,
            "tweet_create_events": [{"id_str": "1", "user": {"id_str": "2"}, "entities": 7, "text": None}],
        },
        {
            "for_user_id": ACCOUNT,
            "tweet_create_events": [
                {
                    "id_str": "1",
                    "user": {"id_str": "2"},
                    "text": "x",
                    "entities": {"user_mentions": [None, 1]},
                }
            ],
        },
        {"for_user_id": ACCOUNT, "direct_message_events": [dm_item(ts="yesterday")], "users": []},
    ],
)
def test_parse_never_raises(payload):
    events, notes = parse_events(payload, ACCOUNT)
    assert isinstance(events, list) and isinstance(notes, list)


def test_parse_bad_timestamp_keeps_event():
    events, notes = parse_events(
        {"for_user_id": ACCOUNT, "direct_message_events": [dm_item(ts="yesterday")]}, ACCOUNT
    )
    assert [e.id for e in events] == ["1500"] and events[0].created_at is None
    assert any("created_timestamp" in n for n in notes)


# --- the adapter against the fake ----------------------------------------------------------


@pytest.fixture
def fx():
    app = create_app(
        CK, CS, account_id=ACCOUNT, account_handle="mynah", access_token=AT, access_token_secret=ATS
    )
    with serve_in_thread(app) as running:
        adapter = X(ACCOUNT, CK, CS, AT, ATS, api_base=running.url, timeout=5)
        try:
            yield running, app.state.fake, adapter
        finally:
            adapter.close()


def reply(to: str, text: str, key="x:1:0") -> Send:
    return Send(key=key, platform="x", kind="reply", text=text, to=to)


def dm(to: str, text: str, recipient_id=None) -> Send:
    return Send(key="x:2:0", platform="x", kind="dm", text=text, to=to, recipient_id=recipient_id)


def oauth_params(header: str) -> dict:
    from oauthlib.oauth1.rfc5849 import utils

    assert header.startswith("OAuth ")
    return {k: utils.unescape(v) for k, v in utils.parse_authorization_header(header)}


def test_reply(fx):
    _, fake, x = fx
    post = fake.post_tweet("a post to answer", user_id="2001", screen_name="alice")
    sent = x.send(reply(post["id"], "here is the answer"))
    assert fake.sent == [
        {
            "kind": "tweet",
            "id": sent.id,
            "text": "here is the answer",
            "in_reply_to_tweet_id": post["id"],
            "quote": None,
        }
    ]
    (req,) = fake.requests
    assert (req["method"], req["path"], req["status"]) == ("POST", "/2/tweets", 201)
    assert req["json"] == {"text": "here is the answer", "reply": {"in_reply_to_tweet_id": post["id"]}}
    assert req["headers"]["content-type"] == "application/json"


def test_dm(fx):
    _, fake, x = fx
    sent = x.send(dm("2001", "a private answer"))
    (req,) = fake.requests
    assert (req["method"], req["path"], req["status"]) == (
        "POST",
        "/2/dm_conversations/with/2001/messages",
        201,
    )
    assert req["json"] == {"text": "a private answer"}
    assert fake.sent == [{"kind": "dm", "id": sent.id, "participant_id": "2001", "text": "a private answer"}]
    assert fake.dms[-1]["conversation"] == "1000-2001"
    # recipient_id, when given, is the participant
    x.send(dm("whatever", "second", recipient_id="2002"))
    assert fake.requests[-1]["path"] == "/2/dm_conversations/with/2002/messages"


def test_oauth_header_is_user_context_and_verified(fx):
    running, fake, x = fx
    post = fake.post_tweet("p", user_id="2001", screen_name="alice")
    x.send(reply(post["id"], "signed"))
    assert x.find_sent(reply(post["id"], "signed")) is not None  # a GET with query parameters verifies too
    assert [r["status"] for r in fake.requests] == [201, 200]
    for r in fake.requests:
        p = oauth_params(r["headers"]["authorization"])
        assert p["oauth_consumer_key"] == CK and p["oauth_token"] == AT
        assert p["oauth_signature_method"] == "HMAC-SHA1" and p["oauth_version"] == "1.0"
        assert p["oauth_timestamp"].isdigit() and abs(int(p["oauth_timestamp"]) - time.time()) < 60
        assert p["oauth_nonce"] and p["oauth_signature"]
        assert CS not in r["headers"]["authorization"] and ATS not in r["headers"]["authorization"]
    nonces = {oauth_params(r["headers"]["authorization"])["oauth_nonce"] for r in fake.requests}
    assert len(nonces) == 2

    # the signature is checked: a wrong consumer secret, or token secret, is refused
    for wrong in (
        X(ACCOUNT, CK, "wrong", AT, ATS, api_base=running.url),
        X(ACCOUNT, CK, CS, AT, "wrong", api_base=running.url),
    ):
        with pytest.raises(SendError) as err:
            wrong.send(reply(post["id"], "forged"))
        assert "401" in str(err.value) and err.value.permanent
        wrong.close()
    assert fake.requests[-1]["status"] == 401 and len(fake.sent) == 1

    # a replayed request (same nonce and signature) is refused
    first = fake.requests[0]
    r = httpx.post(
        running.url + "/2/tweets",
        headers={"authorization": first["headers"]["authorization"], "content-type": "application/json"},
        content=json.dumps({"text": "replayed", "reply": {"in_reply_to_tweet_id": post["id"]}}),
    )
    assert r.status_code == 401
    # no header, a malformed one, and app-only auth on a user-context endpoint
    assert httpx.post(running.url + "/2/tweets", json={"text": "t"}).status_code == 401
    r = httpx.post(
        running.url + "/2/tweets",
        json={"text": "t"},
        headers={"authorization": 'OAuth oauth_consumer_key="ck-test"'},
    )
    assert r.status_code == 401 and "oauth_nonce" in r.json()["detail"]
    r = httpx.post(running.url + "/2/tweets", json={"text": "t"}, headers={"authorization": "Bearer AAAA"})
    assert r.status_code == 403 and r.json()["title"] == "Unsupported Authentication"
    assert len(fake.sent) == 1


def test_secrets_not_in_repr(fx):
    _, _, x = fx
    assert CS not in repr(x) and ATS not in repr(x) and AT not in repr(x)
    assert CS not in repr(x.__dict__.get("_oauth"))


def test_find_sent(fx):
    _, fake, x = fx
    post = fake.post_tweet("what about <tags> & things?", user_id="2001", screen_name="alice")
    other = fake.post_tweet("another post", user_id="2001", screen_name="alice")
    text = "Fish & chips <3, see https://example.com/menu"
    sent = x.send(reply(post["id"], text))
    # X reads the reply back as "@alice Fish &amp; chips &lt;3, ..." and the fake does too
    assert fake.tweets[sent.id]["display"].startswith("@alice ")
    assert x.find_sent(reply(post["id"], text)).id == sent.id
    assert x.find_sent(reply(post["id"], "Fish & chips <3, see https://t.co/abc123")).id == sent.id  # t.co
    assert x.find_sent(reply(other["id"], text)) is None  # same text, another target
    assert x.find_sent(reply(post["id"], "never sent")) is None
    timeline = fake.requests[-1]
    assert timeline["path"] == f"/2/users/{ACCOUNT}/tweets"
    assert timeline["query"] == {"max_results": "100", "tweet.fields": "referenced_tweets,created_at"}

    fake.deliver_dm("2003", "carol", "hi")  # the customer's own message does not count
    d = x.send(dm("2003", "hi"))
    assert x.find_sent(dm("2003", "hi")).id == d.id
    assert x.find_sent(dm("2003", "hi  ")).id == d.id  # whitespace folded
    assert x.find_sent(dm("2003", "not sent")) is None
    assert x.find_sent(dm("2004", "hi")) is None
    events = fake.requests[-1]
    assert events["path"] == "/2/dm_conversations/with/2004/dm_events"
    assert events["query"] == {"max_results": "100", "dm_event.fields": "sender_id,text,created_at"}


def test_rate_limited(fx):
    _, fake, x = fx
    post = fake.post_tweet("p", user_id="2001", screen_name="alice")
    fake.fail(429, retry_after=30)
    with pytest.raises(SendError) as err:
        x.send(reply(post["id"], "one"))
    assert not err.value.permanent and "429" in str(err.value)
    assert 28 <= err.value.retry_after <= 30
    # without retry-after, X's x-rate-limit-reset (15 minutes here) decides
    fake.fail(429, path_prefix="/2/dm_conversations")
    with pytest.raises(SendError) as err:
        x.send(dm("2001", "two"))
    assert not err.value.permanent and 890 <= err.value.retry_after <= 900
    assert fake.sent == []
    assert x.send(reply(post["id"], "one"))  # the failures were used up
    assert [r["status"] for r in fake.requests] == [429, 429, 201]


def test_server_errors_are_retryable(fx):
    running, fake, x = fx
    post = fake.post_tweet("p", user_id="2001", screen_name="alice")
    httpx.post(running.url + "/_fake/fail", json={"status": 500, "times": 2})
    for _ in range(2):
        with pytest.raises(SendError) as err:
            x.send(reply(post["id"], "answer"))
        assert not err.value.permanent and err.value.retry_after is None and "500" in str(err.value)
    assert x.send(reply(post["id"], "answer")).id == fake.sent[0]["id"]
    # a connection refused is retryable too
    dead = X(ACCOUNT, CK, CS, AT, ATS, api_base="http://127.0.0.1:9", timeout=2)
    with pytest.raises(SendError) as err:
        dead.send(reply(post["id"], "x"))
    assert not err.value.permanent
    dead.close()


def test_client_errors_are_permanent(fx):
    _, fake, x = fx
    post = fake.post_tweet("p", user_id="2001", screen_name="alice")
    other = fake.post_tweet("q", user_id="2001", screen_name="alice")
    x.send(reply(post["id"], "same words"))
    with pytest.raises(SendError) as err:  # X refuses duplicate content
        x.send(reply(other["id"], "same words"))
    assert err.value.permanent and "403" in str(err.value) and "duplicate content" in str(err.value)
    with pytest.raises(SendError) as err:  # a deleted or unknown tweet
        x.send(reply("123", "to nowhere"))
    assert err.value.permanent and "403" in str(err.value)
    fake.fail(400)
    with pytest.raises(SendError) as err:
        x.send(dm("2001", "hello"))
    assert err.value.permanent and "400" in str(err.value)
    assert [s["text"] for s in fake.sent] == ["same words"]


def test_thread_walks_parents_oldest_first(fx):
    _, fake, x = fx
    root = fake.post_tweet("the original post", user_id="2001", screen_name="alice")
    middle = fake.post_tweet("a reply to it", user_id="2002", screen_name="bob", in_reply_to=root["id"])
    got = fake.deliver_mention("2003", "carol", "@mynah is bob right?", in_reply_to=middle["id"])
    assert got["status"] is None  # no webhook: the payload is still built
    (e,), notes = parse_events(got["payload"], ACCOUNT)
    assert notes == [] and e.parent_id == middle["id"]
    parents = x.thread(e)
    assert [p["id"] for p in parents] == [root["id"], middle["id"]]
    assert parents[0] == {
        "id": root["id"],
        "author": "alice",
        "text": "the original post",
        "created_at": parents[0]["created_at"],
        "url": f"https://x.com/alice/status/{root['id']}",
    }
    assert parents[1]["author"] == "bob" and parents[1]["text"] == "@alice a reply to it"
    assert parents[0]["created_at"].endswith("Z")
    lookups = [r for r in fake.requests if r["path"].startswith("/2/tweets/")]
    assert [r["path"] for r in lookups] == [f"/2/tweets/{middle['id']}", f"/2/tweets/{root['id']}"]
    assert lookups[0]["query"] == {
        "tweet.fields": "referenced_tweets,author_id,created_at",
        "expansions": "author_id",
        "user.fields": "username",
    }
    assert [p["id"] for p in x.thread(e, limit=1)] == [middle["id"]]
    # a missing parent (deleted: X answers 200 with "errors") ends the walk
    del fake.tweets[root["id"]]
    assert [p["id"] for p in x.thread(e)] == [middle["id"]]
    e.parent_id = "42"
    assert x.thread(e) == []
    e.parent_id = None
    assert x.thread(e) == []


# --- the fake's webhook deliveries ---------------------------------------------------------


def receiver(secret: str) -> FastAPI:
    """A tiny webhook: answers the CRC, records each delivery and whether it verified."""
    app = FastAPI()
    app.state.got = []

    @app.get("/webhook")
    def crc(crc_token: str):
        return crc_response(secret, crc_token)

    @app.post("/webhook")
    async def hook(request: Request):
        raw = await request.body()
        sig = request.headers.get("x-twitter-webhooks-signature")
        ok = verify_signature(secret, raw, sig)
        app.state.got.append({"raw": raw, "signature": sig, "ok": ok})
        return JSONResponse({}, status_code=200 if ok else 403)

    return app


def test_delivery_is_signed_and_parses(fx):
    running, fake, x = fx
    hook = receiver(CS)
    with serve_in_thread(hook) as r:
        url = r.url + "/webhook"
        assert httpx.post(running.url + "/_fake/webhook", json={"url": url}).json() == {"url": url}
        crc = httpx.post(running.url + "/_fake/crc").json()
        assert crc["ok"] and crc["status"] == 200 and crc["got"] == crc["expected"]

        d = httpx.post(
            running.url + "/_fake/dm", json={"sender_id": "2001", "screen_name": "bob", "text": "hi & bye"}
        ).json()
        assert d["status"] == 200
        post = httpx.post(running.url + "/_fake/tweet", json={"text": "our post"}).json()
        assert fake.tweets[post["id"]]["author_id"] == ACCOUNT
        m = httpx.post(
            running.url + "/_fake/mention",
            json={
                "user_id": "2002",
                "screen_name": "alice",
                "text": "@Mynah and @bob, look",
                "in_reply_to": post["id"],
                "quote": None,
            },
        ).json()
        assert m["status"] == 200
        q = fake.deliver_mention("2003", "carol", "quoting you", quote=post["id"])
        assert q["status"] == 200
        plain = fake.deliver_mention("2004", "dave", "not about the bot at all")
        assert plain["status"] == 200

        got = hook.state.got
        assert len(got) == 4 and all(g["ok"] for g in got)
        assert all(g["signature"] == sign_body(CS, g["raw"]) for g in got)
        events, notes = [], []
        for g in got:
            ev, nt = parse_events(json.loads(g["raw"]), ACCOUNT)
            events += ev
            notes += nt
        assert [(e.kind, e.id) for e in events] == [
            ("dm", d["id"]),
            ("mention", m["id"]),
            ("mention", q["id"]),
        ]
        assert (
            events[0].sender_handle == "bob"
            and events[0].text == "hi & bye"
            and events[0].conversation == "2001"
        )
        assert events[1].parent_id == post["id"] and events[1].sender_handle == "alice"
        assert events[1].text == "@Mynah and @bob, look"
        mentions = json.loads(got[1]["raw"])["tweet_create_events"][0]["entities"]["user_mentions"]
        assert [u["id_str"] for u in mentions] == [ACCOUNT, "2001"]
        assert len(notes) == 1 and "neither mentions nor quotes" in notes[0]

        # an answer to the DM goes to the sender's 1:1 conversation
        x.send(dm(events[0].conversation, "answer"))
        assert fake.sent[-1]["participant_id"] == "2001"

    # a webhook holding the wrong secret refuses the delivery and fails the CRC
    wrong = receiver("not the secret")
    with serve_in_thread(wrong) as r:
        fake.webhook_url = r.url + "/webhook"
        assert fake.deliver_dm("2001", "bob", "again")["status"] == 403
        assert not fake.crc()["ok"]
    assert [dd["status"] for dd in fake.deliveries][-1] == 403


def test_echo_own_activity_is_dropped():
    app = create_app(CK, CS, account_id=ACCOUNT, access_token_secret=ATS, access_token=AT, echo_own=True)
    hook = receiver(CS)
    with serve_in_thread(app) as running, serve_in_thread(hook) as r:
        fake = app.state.fake
        fake.webhook_url = r.url + "/webhook"
        x = X(ACCOUNT, CK, CS, AT, ATS, api_base=running.url)
        post = fake.post_tweet("p", user_id="2001", screen_name="alice")
        x.send(reply(post["id"], "our reply"))
        x.send(dm("2001", "our dm"))
        deadline = time.monotonic() + 5
        while len(hook.state.got) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        x.close()
    assert len(hook.state.got) == 2
    for g in hook.state.got:
        events, notes = parse_events(json.loads(g["raw"]), ACCOUNT)
        assert events == [] and len(notes) == 1 and "own" in notes[0]


def test_fake_runs_from_the_command_line(tmp_path):
    import socket
    import subprocess
    import sys

    (tmp_path / "ck").write_text(CK + "\n")
    (tmp_path / "cs").write_text(CS + "\n")
    (tmp_path / "ats").write_text(ATS + "\n")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cmd = [
        sys.executable,
        "-m",
        "mynah.social.fakes.x",
        "--port",
        str(port),
        "--consumer-key-file",
        str(tmp_path / "ck"),
    ]
    cmd += [
        "--consumer-secret-file",
        str(tmp_path / "cs"),
        "--access-token-secret-file",
        str(tmp_path / "ats"),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                r = httpx.post(url + "/2/tweets", json={"text": "t"}, timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, "the fake did not start"
                time.sleep(0.1)
        assert r.status_code == 401
        x = X(ACCOUNT, CK, CS, "any-token", ATS, api_base=url)
        post = httpx.post(
            url + "/_fake/tweet", json={"text": "p", "user_id": "2001", "screen_name": "alice"}
        ).json()
        assert x.send(reply(post["id"], "from the CLI fake")).id
        assert httpx.get(url + "/_fake/sent").json()["sent"][0]["text"] == "from the CLI fake"
        x.close()
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


# --- images: upload, alt text, the reply with media ----------------------------------------


def chart_png() -> bytes:
    from mynah.social.fakes import png_bytes

    # provenance metadata rides in the PNG: the upload must keep every byte of it
    return png_bytes(12, 8, {"XML:com.adobe.xmp": "<x:xmpmeta>c2pa manifest ref</x:xmpmeta>"})


def with_image(to: str, text: str, png: bytes, alt: str = "Posts about floods per day", key="x:9:0") -> Send:
    media = [{"png_b64": base64.b64encode(png).decode(), "alt": alt}]
    return Send(key=key, platform="x", kind="reply", text=text, to=to, media=media)


def test_reply_with_an_image_uploads_it_unchanged_sets_its_alt_text_and_attaches_it(fx):
    _, fake, x = fx
    post = fake.post_tweet("how bad are the floods?", user_id="2001", screen_name="alice")
    png = chart_png()
    sent = x.send(with_image(post["id"], "@alice Posts about floods: 42 in 7 days", png))
    upload, meta, tweet = fake.requests
    # the simple upload: multipart with the raw bytes and the category, signed with OAuth 1.0a
    assert (upload["path"], upload["status"]) == ("/2/media/upload", 200)
    assert upload["headers"]["content-type"].startswith("multipart/form-data; boundary=")
    assert upload["json"] == {
        "media": f"<{len(png)} bytes>",
        "media_category": "tweet_image",
        "media_type": "image/png",
    }
    assert oauth_params(upload["headers"]["authorization"])["oauth_consumer_key"] == CK
    (media_id,) = fake.media
    assert fake.media[media_id]["bytes"] == png  # byte for byte
    assert (meta["path"], meta["status"]) == ("/2/media/metadata", 200)
    assert meta["json"] == {"id": media_id, "metadata": {"alt_text": {"text": "Posts about floods per day"}}}
    assert fake.media[media_id]["alt"] == "Posts about floods per day"
    assert tweet["json"]["media"] == {"media_ids": [media_id]}
    assert fake.sent == [
        {
            "kind": "tweet",
            "id": sent.id,
            "text": "@alice Posts about floods: 42 in 7 days",
            "in_reply_to_tweet_id": post["id"],
            "quote": None,
            "media_ids": [media_id],
        }
    ]
    # X reads it back with the media's t.co link last; reconciliation still finds it
    assert fake.tweets[sent.id]["display"].split()[-1].startswith("https://t.co/")
    s = with_image(post["id"], "@alice Posts about floods: 42 in 7 days", png)
    assert x.find_sent(s).id == sent.id
    r = httpx.get(
        f"{fx[0].url}/2/tweets/{sent.id}",
        params={"tweet.fields": "attachments"},
        headers={"authorization": "Bearer app-only"},
    )
    assert r.json()["data"]["attachments"] == {"media_keys": [f"3_{media_id}"]}


def test_a_failed_post_after_the_upload_uploads_again_and_posts_once(fx):
    """What a crash between the upload and the post leaves: an unused upload (X expires it),
    and the next attempt uploads again; the tweet is made once."""
    _, fake, x = fx
    post = fake.post_tweet("p", user_id="2001", screen_name="alice")
    s = with_image(post["id"], "@alice a chart", chart_png())
    fake.fail(503, path_prefix="/2/tweets")
    with pytest.raises(SendError) as err:
        x.send(s)
    assert not err.value.permanent and len(fake.media) == 1 and fake.sent == []
    assert x.find_sent(s) is None  # the outbox looks before it sends again
    x.send(s)
    assert len(fake.media) == 2 and len(fake.sent) == 1
    assert fake.sent[0]["media_ids"] == [max(fake.media, key=int)]


def test_images_on_a_dm_too_many_or_not_base64_are_permanent_errors(fx):
    _, fake, x = fx
    post = fake.post_tweet("p", user_id="2001", screen_name="alice")
    item = {"png_b64": base64.b64encode(chart_png()).decode(), "alt": "a"}
    cases = [
        Send("k1", "x", "dm", "hi", "2001", media=[item]),
        Send("k2", "x", "reply", "hi", post["id"], media=[item] * 5),
        Send("k3", "x", "reply", "hi", post["id"], media=[{"png_b64": "not base64!", "alt": "a"}]),
    ]
    for s in cases:
        with pytest.raises(SendError) as err:
            x.send(s)
        assert err.value.permanent
    assert fake.requests == [] and fake.media == {}


def test_the_fakes_media_endpoints_check_what_x_checks(fx):
    running, fake, x = fx
    post = fake.post_tweet("p", user_id="2001", screen_name="alice")
    # not an image, no category, an unknown media id, and another account's
    with pytest.raises(SendError, match="unsupported image format"):
        x.upload(b"GIF? no, plain text", "alt")
    r = x._request("POST", "/2/media/upload", files={"media": ("a.png", chart_png(), "image/png")})
    assert r.status_code == 400 and "media_category" in r.text
    with pytest.raises(SendError, match="media IDs are invalid"):
        x._call("reply", "POST", "/2/tweets", body={"text": "t", "media": {"media_ids": ["123"]}})
    with pytest.raises(SendError, match="not found"):
        x._call(
            "alt", "POST", "/2/media/metadata", body={"id": "123", "metadata": {"alt_text": {"text": "a"}}}
        )
    # a JSON upload (the media in base64) works too, and a tweet may be the image alone
    r = x._request(
        "POST",
        "/2/media/upload",
        body={"media": base64.b64encode(chart_png()).decode(), "media_category": "tweet_image"},
    )
    assert r.status_code == 200 and r.json()["data"]["image"] == {"image_type": "image/png", "w": 12, "h": 8}
    mid = r.json()["data"]["id"]
    r = x._request(
        "POST",
        "/2/tweets",
        body={"media": {"media_ids": [mid]}, "reply": {"in_reply_to_tweet_id": post["id"]}},
    )
    assert r.status_code == 201 and fake.sent[-1]["media_ids"] == [mid]
    # without OAuth 1.0a user context an upload is refused like any post
    r = httpx.post(running.url + "/2/media/upload", files={"media": ("a.png", chart_png(), "image/png")})
    assert r.status_code == 401
