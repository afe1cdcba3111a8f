"""The Bluesky adapter against the fake PDS over real HTTP on 127.0.0.1."""

from __future__ import annotations

import httpx
import pytest

from mynah.social.fakes import serve_in_thread
from mynah.social.fakes.bluesky import FakeBluesky, create_app, did_for
from mynah.social.platforms.base import Send, SendError
from mynah.social.platforms.bluesky import Bluesky, link_spans, mention_spans

ME = "mynah.test"
PASSWORD = "abcd-efgh-ijkl-mnop"


@pytest.fixture(scope="module")
def server():
    with serve_in_thread(create_app(handle="placeholder.test")) as running:
        yield running


@pytest.fixture
def env(server):
    """A fresh fake state for each test, on the module's server."""
    app = server.server.config.app
    app.state.fake = fake = FakeBluesky(handle=ME, app_password=PASSWORD)
    bs = Bluesky(ME, PASSWORD, service_url=server.url, timeout=5)
    yield fake, bs, server.url
    bs.close()


def calls(fake, nsid):
    return [r for r in fake.requests if r["path"] == f"/xrpc/{nsid}"]


def test_login_is_lazy_and_secret(env):
    fake, bs, _ = env
    assert fake.requests == []
    assert PASSWORD not in repr(bs)
    assert bs.account_id == did_for(ME)
    (login,) = calls(fake, "com.atproto.server.createSession")
    assert login["json"] == {"identifier": ME, "password": PASSWORD}
    assert bs.rule().platform == "bluesky" and bs.rule().limit == 300


def test_wrong_password_is_permanent(server, env):
    bad = Bluesky(ME, "wrong", service_url=server.url, timeout=5)
    with pytest.raises(SendError) as e:
        _ = bad.account_id
    assert e.value.permanent and "wrong" not in str(e.value)


def test_mention_polled_then_nothing_new(env):
    fake, bs, _ = env
    ours = fake.inject_post(ME, "hello from the shop")
    fake.inject_post("carol.test", "talking about @other.test, not us")
    m = fake.inject_post("alice.test", "hey @mynah.test where is my order?")
    r = fake.inject_post("bob.test", "replying to you", reply_to=ours["uri"])
    fake.inject_post(ME, "our own post mentioning @mynah.test")  # ours: never an event
    events, cursor = bs.poll(None)
    assert [e.id for e in events] == [m["uri"], r["uri"]]
    e = events[0]
    assert (e.platform, e.kind, e.sender_id, e.sender_handle) == (
        "bluesky",
        "mention",
        did_for("alice.test"),
        "alice.test",
    )
    assert e.text == "hey @mynah.test where is my order?"
    assert e.conversation == e.post_id == m["uri"] and e.parent_id is None
    assert e.ref == {"uri": m["uri"], "cid": m["cid"], "root": {"uri": m["uri"], "cid": m["cid"]}}
    assert e.created_at
    reply = events[1]
    assert reply.parent_id == ours["uri"]
    assert reply.ref["root"] == {"uri": ours["uri"], "cid": ours["cid"]}
    assert cursor["notifications"] == fake.notifications[-1]["indexedAt"]

    bs.seen(cursor)
    (seen,) = calls(fake, "app.bsky.notification.updateSeen")
    assert seen["json"] == {"seenAt": cursor["notifications"]}
    again, cursor2 = bs.poll(cursor)
    assert again == [] and cursor2["notifications"] == cursor["notifications"]

    new = fake.inject_post("dave.test", "@mynah.test one more")
    events, _ = bs.poll(cursor2)
    assert [e.id for e in events] == [new["uri"]]


def test_first_run_skips_read_and_paginates_later(env):
    fake, bs, _ = env
    fake.inject_post("alice.test", "@mynah.test old one")
    _, cursor = bs.poll(None)
    fake.seen_at = fake.notifications[-1]["indexedAt"]
    assert bs.poll(None)[0] == []  # already read in the app
    uris = [fake.inject_post("bob.test", f"@mynah.test number {i}")["uri"] for i in range(60)]
    events, _ = bs.poll(cursor)
    assert [e.id for e in events] == uris  # two pages, oldest first
    pages = calls(fake, "app.bsky.notification.listNotifications")[-2:]
    assert pages[0]["query"]["limit"] == "50" and "cursor" in pages[1]["query"]


def test_reply_refs_and_facets_in_bytes(env):
    fake, bs, _ = env
    fake.account("bob.test")
    top = fake.inject_post("alice.test", "@mynah.test first")
    mid = fake.inject_post("alice.test", "@mynah.test still there?", reply_to=top["uri"])
    events, _ = bs.poll(None)
    e = [x for x in events if x.id == mid["uri"]][0]
    assert e.ref["root"] == {"uri": top["uri"], "cid": top["cid"]}
    text = "Héllo 👋🏽 café — @bob.test see https://example.com/a?b=1 and @nobody.test."
    sent = bs.send(Send(key="k1", platform="bluesky", kind="reply", text=text, to=e.post_id, ref=e.ref))
    (post,) = fake.sent
    record = post["record"]
    assert record["reply"] == {
        "root": {"uri": top["uri"], "cid": top["cid"]},
        "parent": {"uri": mid["uri"], "cid": mid["cid"]},
    }
    assert sent.id == post["uri"] and sent.ref == {
        "uri": post["uri"],
        "cid": post["cid"],
        "root": record["reply"]["root"],
    }
    data = text.encode("utf-8")
    mention, link = record["facets"]  # @nobody.test does not resolve: no facet
    a, b = mention["index"]["byteStart"], mention["index"]["byteEnd"]
    assert data[a:b] == b"@bob.test" and a != text.index("@bob.test")  # bytes, not characters
    assert mention["features"] == [{"$type": "app.bsky.richtext.facet#mention", "did": did_for("bob.test")}]
    a, b = link["index"]["byteStart"], link["index"]["byteEnd"]
    assert data[a:b] == b"https://example.com/a?b=1"
    assert link["features"] == [{"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/a?b=1"}]

    # a thread's next part: under the part just sent, same root
    nxt = bs.send(Send(key="k2", platform="bluesky", kind="reply", text="part 2", to=sent.id, ref=sent.ref))
    assert fake.sent[-1]["record"]["reply"] == {
        "root": {"uri": top["uri"], "cid": top["cid"]},
        "parent": {"uri": sent.id, "cid": sent.ref["cid"]},
    }
    assert nxt.ref["root"]["uri"] == top["uri"]


def test_reply_to_a_top_level_post_is_its_own_root(env):
    fake, bs, _ = env
    m = fake.inject_post("alice.test", "@mynah.test hi")
    (e,), _ = bs.poll(None)
    bs.send(Send(key="k", platform="bluesky", kind="reply", text="hello!", to=e.post_id, ref=e.ref))
    ref = {"uri": m["uri"], "cid": m["cid"]}
    assert fake.sent[0]["record"]["reply"] == {"root": ref, "parent": ref}
    assert "facets" not in fake.sent[0]["record"]


def test_spans():
    assert mention_spans("é @a.test.") == [(3, 10, "a.test")]
    assert link_spans("👋 https://x.org/p.") == [(5, 20, "https://x.org/p")]
    assert mention_spans("mail bob@a.test") == []


def test_dm_in_and_out(env):
    fake, bs, _ = env
    got = fake.inject_dm("alice.test", "my parcel is late")
    events, cursor = bs.poll(None)
    (e,) = events
    assert (e.kind, e.id, e.conversation, e.sender_id, e.text) == (
        "dm",
        got["message"]["id"],
        got["convoId"],
        did_for("alice.test"),
        "my parcel is late",
    )
    assert e.created_at == got["message"]["sentAt"]
    assert cursor["chat"]
    chat = [r for r in fake.requests if r["path"].startswith("/xrpc/chat.bsky.")]
    assert chat and all(r["headers"]["atproto-proxy"] == "did:web:api.bsky.chat#bsky_chat" for r in chat)

    s = Send(
        key="d1", platform="bluesky", kind="dm", text="Sorry! See https://shop.test/track", to=e.conversation
    )
    sent = bs.send(s)
    assert fake.sent[-1] == {"kind": "dm", "convoId": got["convoId"], "id": sent.id, "text": s.text}
    (send_call,) = calls(fake, "chat.bsky.convo.sendMessage")
    assert send_call["headers"]["atproto-proxy"]
    assert send_call["json"]["message"]["facets"][0]["features"][0]["uri"] == "https://shop.test/track"

    # our own message is in the log too: not an event; nothing new
    assert bs.poll(cursor)[0] == []
    assert bs.find_sent(s).id == sent.id
    assert (
        bs.find_sent(Send(key="d2", platform="bluesky", kind="dm", text="never sent", to=e.conversation))
        is None
    )


def test_chat_needs_the_proxy_header(env):
    fake, bs, url = env
    token = fake.new_session()["accessJwt"]
    r = httpx.get(f"{url}/xrpc/chat.bsky.convo.getLog", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 400
    r = httpx.get(f"{url}/xrpc/app.bsky.notification.listNotifications")
    assert r.status_code == 401


def test_find_sent_reply(env):
    fake, bs, _ = env
    m = fake.inject_post("alice.test", "@mynah.test hi")
    (e,), _ = bs.poll(None)
    s = Send(key="k", platform="bluesky", kind="reply", text="see  https://a.test/x", to=e.post_id, ref=e.ref)
    assert bs.find_sent(s) is None
    sent = bs.send(s)
    found = bs.find_sent(Send(**{**s.as_dict(), "text": "see https://a.test/other"}))
    assert found.id == sent.id and found.ref["cid"] == sent.ref["cid"]
    assert found.ref["root"] == {"uri": m["uri"], "cid": m["cid"]}
    assert bs.find_sent(Send(**{**s.as_dict(), "text": "something else"})) is None


def test_errors(env):
    fake, bs, _ = env
    fake.inject_post("alice.test", "@mynah.test hi")
    (e,), _ = bs.poll(None)
    s = Send(key="k", platform="bluesky", kind="reply", text="hi", to=e.post_id, ref=e.ref)
    fake.fail(429, retry_after=37, path_prefix="/xrpc/com.atproto.repo.createRecord")
    with pytest.raises(SendError) as err:
        bs.send(s)
    assert not err.value.permanent and err.value.retry_after == pytest.approx(37, abs=1)
    fake.fail(500, path_prefix="/xrpc/com.atproto.repo.createRecord")
    with pytest.raises(SendError) as err:
        bs.send(s)
    assert not err.value.permanent
    fake.fail(400, path_prefix="/xrpc/com.atproto.repo.createRecord")
    with pytest.raises(SendError) as err:
        bs.send(s)
    assert err.value.permanent and "fake failure" in str(err.value)
    assert fake.sent == []
    bad = Send(
        key="k", platform="bluesky", kind="reply", text="hi", to=e.post_id, ref={**e.ref, "cid": "bafywrong"}
    )
    with pytest.raises(SendError) as err:
        bs.send(bad)
    assert err.value.permanent and "InvalidRequest" in str(err.value)
    bs.send(s)
    assert len(fake.sent) == 1


def test_connection_error_is_retryable():
    bs = Bluesky(ME, PASSWORD, service_url="http://127.0.0.1:9", timeout=1)
    with pytest.raises(SendError) as err:
        bs.send(Send(key="k", platform="bluesky", kind="dm", text="x", to="c"))
    assert not err.value.permanent


def test_expired_token_refreshes_once(env):
    fake, bs, _ = env
    _ = bs.account_id
    fake.expire_tokens()
    fake.inject_post("alice.test", "@mynah.test hi")
    events, _ = bs.poll(None)
    assert len(events) == 1
    assert len(calls(fake, "com.atproto.server.refreshSession")) == 1
    assert len(calls(fake, "com.atproto.server.createSession")) == 1


def test_thread_of_a_reply_to_a_reply(env):
    fake, bs, _ = env
    a = fake.inject_post("alice.test", "first post")
    b = fake.inject_post("bob.test", "a reply", reply_to=a["uri"])
    c = fake.inject_post("carol.test", "@mynah.test what do you think?", reply_to=b["uri"])
    (e,), _ = bs.poll(None)
    assert e.id == c["uri"]
    t = bs.thread(e)
    assert [p["id"] for p in t] == [a["uri"], b["uri"]]
    assert [p["author"] for p in t] == ["alice.test", "bob.test"]
    assert t[0]["text"] == "first post" and t[0]["created_at"]
    assert t[1]["url"] == f"https://bsky.app/profile/bob.test/post/{b['uri'].rsplit('/', 1)[-1]}"
    assert [p["id"] for p in bs.thread(e, limit=1)] == [b["uri"]]
    (q,) = calls(fake, "app.bsky.feed.getPostThread")[:1]
    assert q["query"] == {"uri": c["uri"], "depth": "0", "parentHeight": "8"}


def test_http_controls(server, env):
    fake, bs, url = env
    r = httpx.post(f"{url}/_fake/post", json={"author": "zed.test", "text": "@mynah.test ping"})
    uri = r.json()["uri"]
    httpx.post(f"{url}/_fake/dm", json={"from": "zed.test", "text": "dm ping"})
    httpx.post(f"{url}/_fake/fail", json={"status": 500, "times": 1, "path_prefix": "/xrpc/chat.bsky"})
    with pytest.raises(SendError):
        bs.poll(None)
    events, _ = bs.poll(None)
    assert {(e.kind, e.text) for e in events} == {("mention", "@mynah.test ping"), ("dm", "dm ping")}
    bs.send(Send(key="k", platform="bluesky", kind="reply", text="pong", to=uri, ref=events[0].ref))
    assert [p["record"]["text"] for p in httpx.get(f"{url}/_fake/sent").json()] == ["pong"]
    assert any(r["path"].endswith("createRecord") for r in httpx.get(f"{url}/_fake/requests").json())


def test_quote_is_a_mention_event(env):
    fake, bs, _ = env
    ours = fake.inject_post(ME, "our announcement")
    q = fake.inject_post("alice.test", "look at this", quote=ours["uri"])
    (e,), _ = bs.poll(None)
    assert (e.id, e.kind, e.parent_id) == (q["uri"], "mention", None)
    assert fake.notifications[-1]["reason"] == "quote"
    assert e.ref["root"] == {"uri": q["uri"], "cid": q["cid"]}


# --- images ----------------------------------------------------------------------------------


def _image_send(
    e, png: bytes, alt: str = "Posts about floods per day", text: str = "Posts about floods"
) -> Send:
    import base64

    media = [{"png_b64": base64.b64encode(png).decode(), "alt": alt}]
    return Send(
        key="k-img", platform="bluesky", kind="reply", text=text, to=e.post_id, ref=e.ref, media=media
    )


def test_reply_with_an_image_uploads_the_blob_unchanged_and_embeds_it(env):
    from mynah.social.fakes import png_bytes

    fake, bs, _ = env
    m = fake.inject_post("alice.test", "@mynah.test chart of flood posts")
    (e,), _ = bs.poll(None)
    png = png_bytes(16, 9, {"XML:com.adobe.xmp": "<x:xmpmeta>provenance</x:xmpmeta>"})
    sent = bs.send(_image_send(e, png))
    (up,) = calls(fake, "com.atproto.repo.uploadBlob")
    assert up["headers"]["content-type"] == "image/png"
    assert up["headers"]["authorization"].startswith("Bearer acc-")
    (post,) = fake.sent
    embed = post["record"]["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    (image,) = embed["images"]
    assert image["alt"] == "Posts about floods per day"
    assert image["aspectRatio"] == {"width": 16, "height": 9}
    blob = image["image"]
    assert blob["mimeType"] == "image/png" and blob["size"] == len(png)
    assert fake.blobs[blob["ref"]["$link"]]["bytes"] == png  # byte for byte
    assert post["record"]["text"] == "Posts about floods"
    assert post["record"]["reply"]["parent"] == {"uri": m["uri"], "cid": m["cid"]}
    assert sent.id == post["uri"]
    assert bs.find_sent(_image_send(e, png)).id == sent.id


def test_an_image_over_bluesky_s_limit_is_refused_before_any_upload(env):
    from mynah.social.fakes import png_bytes

    fake, bs, _ = env
    fake.inject_post("alice.test", "@mynah.test chart please")
    (e,), _ = bs.poll(None)
    big = png_bytes(8, 8, pad=1_000_001)
    with pytest.raises(SendError) as err:
        bs.send(_image_send(e, big))
    assert err.value.permanent and "1,000,000 bytes" in str(err.value)
    assert calls(fake, "com.atproto.repo.uploadBlob") == [] and fake.sent == []
    # and the fake PDS refuses such an embed as the lexicon does
    blob = bs._call("POST", "com.atproto.repo.uploadBlob", content=big, mime="image/png")["blob"]
    record = {
        "$type": "app.bsky.feed.post",
        "text": "x",
        "createdAt": "2025-01-01T00:00:00.000Z",
        "embed": {"$type": "app.bsky.embed.images", "images": [{"alt": "", "image": blob}]},
    }
    with pytest.raises(SendError, match="too large"):
        bs._call(
            "POST",
            "com.atproto.repo.createRecord",
            json={"repo": bs.account_id, "collection": "app.bsky.feed.post", "record": record},
        )


def test_the_fake_refuses_an_embed_of_a_blob_it_does_not_have(env):
    fake, bs, _ = env
    blob = {"$type": "blob", "ref": {"$link": "bafkreinothere"}, "mimeType": "image/png", "size": 10}
    record = {
        "$type": "app.bsky.feed.post",
        "text": "x",
        "createdAt": "2025-01-01T00:00:00.000Z",
        "embed": {"$type": "app.bsky.embed.images", "images": [{"alt": "a", "image": blob}]},
    }
    with pytest.raises(SendError, match="not found") as err:
        bs._call(
            "POST",
            "com.atproto.repo.createRecord",
            json={"repo": bs.account_id, "collection": "app.bsky.feed.post", "record": record},
        )
    assert err.value.permanent
    # an upload needs the session like every other call
    r = httpx.post(
        f"{bs.service_url}/xrpc/com.atproto.repo.uploadBlob",
        content=b"\x89PNG",
        headers={"content-type": "image/png"},
    )
    assert r.status_code == 401


def test_an_upload_with_an_expired_token_refreshes_and_uploads_once(env):
    from mynah.social.fakes import png_bytes

    fake, bs, _ = env
    fake.inject_post("alice.test", "@mynah.test chart")
    (e,), _ = bs.poll(None)
    fake.expire_tokens()
    png = png_bytes()
    bs.send(_image_send(e, png))
    ok = [r for r in calls(fake, "com.atproto.repo.uploadBlob")]
    assert len(ok) == 2 and len(fake.blobs) == 1  # the expired try stored nothing
    assert fake.blobs[fake.sent[0]["record"]["embed"]["images"][0]["image"]["ref"]["$link"]]["bytes"] == png
