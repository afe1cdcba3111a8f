"""The Mastodon adapter against the fake instance over real HTTP on 127.0.0.1."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from mynah.social.fakes import serve_in_thread
from mynah.social.fakes.mastodon import FakeMastodon, create_app
from mynah.social.platforms.base import Send, SendError
from mynah.social.platforms.mastodon import Mastodon, instance_max_characters

TOKEN = "sekrit-token"


@pytest.fixture(scope="module")
def server():
    with serve_in_thread(create_app(token=TOKEN)) as running:
        yield running


@pytest.fixture
def env(server):
    """A fresh fake state for each test, on the module's server."""
    fake = server.server.config.app.state.fake = FakeMastodon(token=TOKEN, max_characters=600, heartbeat=0.1)
    m = Mastodon(server.url, TOKEN, timeout=5, stream_read_timeout=2)
    yield fake, m, server.url
    m.close()


def posts(fake):
    return [r for r in fake.requests if r["method"] == "POST" and r["path"] == "/api/v1/statuses"]


def test_account_rule_and_secret(env):
    fake, m, url = env
    assert m.account_id == fake.me["id"] and m.acct == "mynah"
    assert TOKEN not in repr(m)
    assert fake.requests[0]["headers"]["authorization"] == f"Bearer {TOKEN}"
    assert m.rule().limit == 600 and m.rule().platform == "mastodon"
    assert instance_max_characters(url) == 600


def test_rule_falls_back_to_500(server, env):
    server.server.config.app.state.fake = FakeMastodon(token=TOKEN, max_characters=None)
    assert Mastodon(server.url, TOKEN).rule().limit == 500


def test_mention_polled_then_nothing_new(env):
    fake, m, _ = env
    ours = fake.inject_status("mynah", "we are open today")
    fake.inject_status("carol", "not about us at all")
    a = fake.inject_status("alice", "hey @mynah where's my order? https://shop.test/o/1")
    b = fake.inject_status("bob@other.test", "@mynah thanks", in_reply_to_id=ours["id"])
    fake.inject_status("mynah", "@mynah talking to ourselves")  # ours: never an event
    events, cursor = m.poll(None)
    assert [e.post_id for e in events] == [a["id"], b["id"]]
    e = events[0]
    assert e.id == fake.notifications[0]["id"]
    assert (e.platform, e.kind, e.sender_id, e.sender_handle) == (
        "mastodon",
        "mention",
        fake.accounts["alice"]["id"],
        "alice",
    )
    assert e.text == "hey @mynah where's my order? https://shop.test/o/1"
    assert e.conversation == a["id"] and e.parent_id is None
    assert e.ref == {"visibility": "public", "status_id": a["id"], "acct": "alice"}
    assert events[1].parent_id == ours["id"] and events[1].sender_handle == "bob@other.test"
    (q,) = [r for r in fake.requests if r["path"] == "/api/v1/notifications"]
    assert q["query"]["types[]"] == "mention"
    m.seen(cursor)
    again, cursor2 = m.poll(cursor)
    assert again == [] and cursor2 == cursor
    c = fake.inject_status("dave", "@mynah one more")
    events, cursor3 = m.poll(cursor2)
    assert [e.post_id for e in events] == [c["id"]] and int(cursor3["since_id"]) > int(cursor["since_id"])


def test_poll_pages_forward_without_gaps(env):
    fake, m, _ = env
    fake.inject_status("alice", "@mynah zero")
    _, cursor = m.poll(None)
    ids = [fake.inject_status("bob", f"@mynah number {i}")["id"] for i in range(90)]
    events, _ = m.poll(cursor)
    assert [e.post_id for e in events] == ids


def test_reply_keeps_visibility_and_thread(env):
    fake, m, _ = env
    top = fake.inject_status("alice", "first")
    mid = fake.inject_status("bob", "second", in_reply_to_id=top["id"])
    mention = fake.inject_status("carol", "@mynah thoughts?", visibility="unlisted", in_reply_to_id=mid["id"])
    (e,), _ = m.poll(None)
    assert e.post_id == mention["id"] and e.parent_id == mid["id"]
    sent = m.send(
        Send(key="k1", platform="mastodon", kind="reply", text="@carol sure!", to=e.post_id, ref=e.ref)
    )
    (req,) = posts(fake)
    assert req["json"] == {
        "status": "@carol sure!",
        "in_reply_to_id": mention["id"],
        "visibility": "unlisted",
    }
    assert req["headers"]["idempotency-key"] == "k1"
    assert fake.sent[-1]["id"] == sent.id and fake.sent[-1]["in_reply_to_id"] == mention["id"]

    t = m.thread(e)
    assert [p["id"] for p in t] == [top["id"], mid["id"]]
    assert [p["author"] for p in t] == ["alice", "bob"]
    assert t[1]["text"] == "second" and t[1]["url"] == mid["url"] and t[0]["created_at"] == top["created_at"]
    assert [p["id"] for p in m.thread(e, limit=1)] == [mid["id"]]


def test_idempotency_key(env):
    fake, m, _ = env
    a = fake.inject_status("alice", "@mynah hi")
    s = Send(key="mastodon:1:0", platform="mastodon", kind="reply", text="hello", to=a["id"], ref={})
    first, second = m.send(s), m.send(s)
    assert first.id == second.id
    assert len(posts(fake)) == 2 and len(fake.sent) == 1
    assert posts(fake)[0]["json"]["visibility"] == "public"


def test_dm_in_and_out(env):
    fake, m, _ = env
    d = fake.inject_status("alice", "@mynah my parcel is late", visibility="direct")
    (e,), _ = m.poll(None)
    assert (e.kind, e.conversation, e.post_id) == ("dm", "alice", d["id"])
    assert e.ref == {"visibility": "direct", "status_id": d["id"], "acct": "alice"}
    s = Send(
        key="d1", platform="mastodon", kind="dm", text="Sorry, checking now.", to=e.conversation, ref=e.ref
    )
    sent = m.send(s)
    (req,) = posts(fake)
    assert req["json"] == {
        "status": "@alice Sorry, checking now.",
        "visibility": "direct",
        "in_reply_to_id": d["id"],
    }
    st = fake.sent[0]
    assert st["id"] == sent.id and st["visibility"] == "direct" and st["mentions"][0]["acct"] == "alice"
    # already mentioned: not twice
    m.send(Send(key="d2", platform="mastodon", kind="dm", text="@alice done!", to="alice", ref=e.ref))
    assert posts(fake)[-1]["json"]["status"] == "@alice done!"
    assert m.find_sent(s).id == sent.id
    assert (
        m.find_sent(Send(key="d3", platform="mastodon", kind="dm", text="never", to="alice", ref=e.ref))
        is None
    )


def test_direct_without_mention_is_refused(env):
    fake, m, url = env
    r = httpx.post(
        f"{url}/api/v1/statuses",
        json={"status": "nobody", "visibility": "direct"},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert r.status_code == 422
    assert httpx.get(f"{url}/api/v1/notifications").status_code == 401


def test_find_sent_reply(env):
    fake, m, _ = env
    a = fake.inject_status("alice", "@mynah hi")
    s = Send(key="k", platform="mastodon", kind="reply", text="see  https://shop.test/x", to=a["id"], ref={})
    assert m.find_sent(s) is None
    sent = m.send(s)
    assert m.find_sent(s).id == sent.id
    assert m.find_sent(Send(**{**s.as_dict(), "to": "999"})) is None
    assert m.find_sent(Send(**{**s.as_dict(), "text": "other words"})) is None


def test_errors(env):
    fake, m, _ = env
    a = fake.inject_status("alice", "@mynah hi")
    s = Send(key="k", platform="mastodon", kind="reply", text="hello", to=a["id"], ref={})
    fake.fail(429, retry_after=42, path_prefix="/api/v1/statuses")
    with pytest.raises(SendError) as err:
        m.send(s)
    assert not err.value.permanent and err.value.retry_after == pytest.approx(42, abs=2)
    fake.fail(503, path_prefix="/api/v1/statuses")
    with pytest.raises(SendError) as err:
        m.send(s)
    assert not err.value.permanent
    fake.fail(400, path_prefix="/api/v1/statuses")
    with pytest.raises(SendError) as err:
        m.send(s)
    assert err.value.permanent and "fake failure" in str(err.value)
    with pytest.raises(SendError) as err:
        m.send(Send(key="k2", platform="mastodon", kind="reply", text="x" * 601, to=a["id"], ref={}))
    assert err.value.permanent and "character limit" in str(err.value)
    assert fake.sent == []
    m.send(s)
    assert len(fake.sent) == 1


def test_connection_error_is_retryable():
    m = Mastodon("http://127.0.0.1:9", TOKEN, timeout=1)
    with pytest.raises(SendError) as err:
        m.send(Send(key="k", platform="mastodon", kind="reply", text="x", to="1", ref={}))
    assert not err.value.permanent


def test_streaming_delivers_mentions(env):
    fake, m, _ = env
    _ = m.account_id
    got, stop = [], threading.Event()
    t = threading.Thread(target=m.stream, args=(got.append, stop), daemon=True)
    t.start()
    deadline = time.monotonic() + 5
    while (
        not any(r["path"].startswith("/api/v1/streaming") for r in fake.requests)
        and time.monotonic() < deadline
    ):
        time.sleep(0.02)
    fake.inject_status("mynah", "@mynah ours")
    a = fake.inject_status("alice", "@mynah streamed!")
    while not got and time.monotonic() < deadline:
        time.sleep(0.02)
    assert [(e.kind, e.post_id, e.text) for e in got] == [("mention", a["id"], "@mynah streamed!")]
    stop.set()
    t.join(3)
    assert not t.is_alive()
    (req,) = [r for r in fake.requests if r["path"] == "/api/v1/streaming/user/notification"]
    assert req["headers"]["authorization"] == f"Bearer {TOKEN}"


def test_streaming_returns_when_the_stream_fails(env):
    fake, m, _ = env
    fake.fail(502, path_prefix="/api/v1/streaming")
    t0 = time.monotonic()
    m.stream(lambda e: None, threading.Event())
    assert time.monotonic() - t0 < 3


def test_http_controls(env):
    fake, m, url = env
    r = httpx.post(f"{url}/_fake/status", json={"from": "zed", "text": "@mynah ping"})
    sid = r.json()["id"]
    httpx.post(f"{url}/_fake/fail", json={"status": 500, "path_prefix": "/api/v1/notifications"})
    with pytest.raises(SendError):
        m.poll(None)
    (e,), _ = m.poll(None)
    assert e.post_id == sid
    m.send(Send(key="k", platform="mastodon", kind="reply", text="pong", to=sid, ref=e.ref))
    assert [s["in_reply_to_id"] for s in httpx.get(f"{url}/_fake/sent").json()] == [sid]
    assert any(r["path"] == "/api/v1/statuses" for r in httpx.get(f"{url}/_fake/requests").json())


def test_status_text_keeps_full_links():
    from mynah.social.platforms.mastodon import status_text

    content = (
        '<p>Hi <span class="h-card"><a href="https://s.test/@mynah" class="u-url mention">@<span>mynah</span></a>'
        '</span> look: <a href="https://example.com/a/very/long/path" rel="nofollow">'
        '<span class="invisible">https://</span><span class="ellipsis">example.com/a/very</span>'
        '<span class="invisible">/long/path</span></a> &amp; <a href="https://s.test/tags/x" class="mention hashtag">'
        "#<span>x</span></a></p><p>line<br />two</p>"
    )
    assert status_text(content) == "Hi @mynah look: https://example.com/a/very/long/path & #x\n\nline\ntwo"


def test_stopping_the_server_ends_an_open_stream():
    running = serve_in_thread(create_app(token=TOKEN, heartbeat=0.1))
    m = Mastodon(running.url, TOKEN, timeout=5, stream_read_timeout=2)
    t = threading.Thread(target=m.stream, args=(lambda e: None, threading.Event()), daemon=True)
    t.start()
    deadline = time.monotonic() + 5
    while not running.server.config.app.state.fake.requests and time.monotonic() < deadline:
        time.sleep(0.02)
    t0 = time.monotonic()
    running.stop()
    t.join(3)
    assert not t.is_alive() and time.monotonic() - t0 < 3


# --- images ----------------------------------------------------------------------------------


def _image_send(to: str, png: bytes, key: str = "m:img:0", alt: str = "Posts about floods per day") -> Send:
    import base64

    media = [{"png_b64": base64.b64encode(png).decode(), "alt": alt}]
    return Send(
        key=key,
        platform="mastodon",
        kind="reply",
        text="@alice floods: 42 posts",
        to=to,
        ref={"visibility": "unlisted"},
        media=media,
    )


def test_reply_with_an_image_uploads_it_unchanged_with_its_description(env):
    from mynah.social.fakes import png_bytes

    fake, m, _ = env
    s = fake.inject_status("alice", "@mynah chart of flood posts")
    png = png_bytes(10, 5, {"XML:com.adobe.xmp": "<x:xmpmeta>provenance</x:xmpmeta>"})
    sent = m.send(_image_send(s["id"], png))
    (up,) = [r for r in fake.requests if r["path"] == "/api/v2/media"]
    assert up["headers"]["content-type"].startswith("multipart/form-data")
    assert up["headers"]["authorization"] == f"Bearer {TOKEN}"
    assert up["json"] == {"file": f"<{len(png)} bytes>", "description": "Posts about floods per day"}
    (media_id,) = fake.media
    assert fake.media[media_id]["bytes"] == png  # byte for byte
    (status,) = fake.sent
    assert status["id"] == sent.id and status["in_reply_to_id"] == s["id"]
    assert status["visibility"] == "unlisted" and status["text"] == "@alice floods: 42 posts"
    (att,) = status["media_attachments"]
    assert att["id"] == media_id and att["description"] == "Posts about floods per day"
    assert att["meta"]["original"]["width"] == 10
    (post,) = posts(fake)
    assert post["json"]["media_ids"] == [media_id]
    assert post["headers"]["idempotency-key"] == "m:img:0"
    assert [r["path"] for r in fake.requests].count(f"/api/v1/media/{media_id}") == 0  # 200: no polling
    assert m.find_sent(_image_send(s["id"], png)).id == sent.id


def test_a_202_upload_is_polled_until_processed(env):
    from mynah.social.fakes import png_bytes

    fake, m, _ = env
    fake.media_processing = 2  # two 206s, then 200
    m.media_poll_interval = 0.01
    s = fake.inject_status("alice", "@mynah chart")
    m.send(_image_send(s["id"], png_bytes()))
    (media_id,) = fake.media
    polls = [r for r in fake.requests if r["path"] == f"/api/v1/media/{media_id}"]
    assert len(polls) == 3 and fake.sent[0]["media_attachments"][0]["id"] == media_id


def test_media_still_processing_after_the_bounded_polls_is_retried_later(env):
    from mynah.social.fakes import png_bytes

    fake, m, _ = env
    fake.media_processing = 100
    m.media_poll_interval, m.media_polls = 0.01, 3
    s = fake.inject_status("alice", "@mynah chart")
    with pytest.raises(SendError) as err:
        m.send(_image_send(s["id"], png_bytes()))
    assert not err.value.permanent and err.value.retry_after
    assert fake.sent == [] and len([r for r in fake.requests if r["path"].startswith("/api/v1/media/")]) == 3
    # as on Mastodon, a status with media still processing is refused
    (media_id,) = fake.media
    with pytest.raises(SendError, match="not finished processing"):
        m._request("POST", "/api/v1/statuses", "post", json={"status": "x", "media_ids": [media_id]})


def test_a_retried_send_with_an_image_posts_once(env):
    """A crash after the upload: the next attempt uploads again (the first upload stays
    unattached, and Mastodon removes those); the status is made once (Idempotency-Key)."""
    from mynah.social.fakes import png_bytes

    fake, m, _ = env
    s = fake.inject_status("alice", "@mynah chart")
    fake.fail(503, path_prefix="/api/v1/statuses")
    send = _image_send(s["id"], png_bytes())
    with pytest.raises(SendError):
        m.send(send)
    assert m.find_sent(send) is None
    first = m.send(send)
    assert m.send(send).id == first.id  # the same key again: the same status
    assert len(fake.sent) == 1 and len(fake.media) == 3


def test_images_on_a_direct_status_are_refused(env):
    from mynah.social.fakes import png_bytes

    fake, m, _ = env
    s = _image_send("alice", png_bytes())
    s.kind = "dm"
    with pytest.raises(SendError) as err:
        m.send(s)
    assert err.value.permanent and fake.requests == []
