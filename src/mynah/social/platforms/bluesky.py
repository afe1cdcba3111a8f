"""Bluesky: mentions (listNotifications) and chat DMs (chat.bsky.convo.getLog) in, posts
(createRecord) and chat messages (sendMessage) out, over XRPC with an app password.

Plain `httpx` rather than the `atproto` SDK: mynah calls a handful of endpoints, and the
outbox needs the raw status codes and rate-limit headers (429's Retry-After, ratelimit-reset)
to schedule its retries; the SDK pulls in a large generated model layer for all of the
lexicons and wraps the responses that the retries need.

- Login is lazy (com.atproto.server.createSession); a 400/401 `ExpiredToken` refreshes the
  session once (refreshSession, else a new createSession) and retries the call.
- chat.bsky.* calls go to the PDS with the `atproto-proxy` header naming the chat service.
- Facets (mentions, links) are computed in UTF-8 byte offsets, as the richtext lexicon says.
- Errors: 429, 5xx and connection errors are `SendError`s to retry (with `retry_after` from the
  headers); other 4xx are permanent, with the platform's message.
- A reply with images (`Send.media`): each is uploaded with com.atproto.repo.uploadBlob (the
  raw bytes, Content-Type image/png) and the post record embeds the returned blobs as
  `app.bsky.embed.images` with their alt text and aspect ratio. An image over the images
  embed's 1,000,000 bytes is refused before anything is uploaded (permanent).

The password and the tokens are never logged nor shown in repr.
"""

from __future__ import annotations

import logging
import re
import time
from datetime import datetime, timezone

import httpx

from mynah.social.length import LengthRule, rule_for
from mynah.social.platforms.base import (
    Event,
    Send,
    SendError,
    Sent,
    media_bytes,
    png_size,
    retry_after,
    same_text,
)

log = logging.getLogger(__name__)

POST = "app.bsky.feed.post"
REASONS = ("mention", "reply", "quote")
MAX_PAGES = 20
IMAGES = "app.bsky.embed.images"
MAX_IMAGE_BYTES = 1_000_000  # app.bsky.embed.images#image: the blob's maxSize
MAX_IMAGES = 4

# after the AT Protocol docs' examples ("Links, mentions, and rich text"), on UTF-8 bytes
_MENTION = re.compile(
    rb"(?:^|[^\w@.])(@(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)"
)
_URL = re.compile(
    rb"(?:^|[^\w/])(https?://(?:www\.)?[-a-zA-Z0-9@:%._+~#=]{1,256}\.[a-zA-Z0-9()]{1,6}\b"
    rb"(?:[-a-zA-Z0-9()@:%_+.~#?&/=]*[-a-zA-Z0-9@%_+~#/=])?)"
)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def mention_spans(text: str) -> list[tuple[int, int, str]]:
    """(byteStart, byteEnd, handle) of each @handle in `text`."""
    data = text.encode("utf-8")
    return [(m.start(1), m.end(1), m.group(1)[1:].decode()) for m in _MENTION.finditer(data)]


def link_spans(text: str) -> list[tuple[int, int, str]]:
    """(byteStart, byteEnd, url) of each http(s) URL in `text`."""
    data = text.encode("utf-8")
    return [(m.start(1), m.end(1), m.group(1).decode()) for m in _URL.finditer(data)]


def post_url(handle: str, uri: str) -> str:
    return f"https://bsky.app/profile/{handle}/post/{uri.rsplit('/', 1)[-1]}"


class Bluesky:
    platform = "bluesky"

    def __init__(
        self,
        handle: str,
        app_password: str,
        service_url: str = "https://bsky.social",
        chat_proxy: str = "did:web:api.bsky.chat#bsky_chat",
        client: httpx.Client | None = None,
        timeout: float = 10,
    ):
        self.handle = handle.lstrip("@")
        self.__password = app_password
        self.service_url = service_url.rstrip("/")
        self.chat_proxy = chat_proxy
        self.client = client or httpx.Client(timeout=timeout)
        self._session: dict | None = None
        self._dids: dict[str, str | None] = {}
        self._chat = True  # off once the account's app password turns out to lack chat access

    def __repr__(self) -> str:
        return f"Bluesky(handle={self.handle!r}, service_url={self.service_url!r})"

    def close(self) -> None:
        self.client.close()

    # ---- session ----
    @property
    def account_id(self) -> str:
        return self._login()["did"]

    def rule(self) -> LengthRule:
        return rule_for("bluesky")

    def _login(self) -> dict:
        if self._session is None:
            r = self._raw(
                "POST",
                "com.atproto.server.createSession",
                json={"identifier": self.handle, "password": self.__password},
            )
            if r.status_code != 200:
                raise _error(r, f"login as {self.handle}")
            self._session = r.json()
        return self._session

    def _refresh(self) -> None:
        old = self._session or {}
        self._session = None
        if old.get("refreshJwt"):
            r = self._raw("POST", "com.atproto.server.refreshSession", token=old["refreshJwt"])
            if r.status_code == 200:
                self._session = r.json()
                return
        self._login()

    def _raw(
        self, method, nsid, params=None, json=None, token=None, proxy=False, content=None, mime=None
    ) -> httpx.Response:
        headers = {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if proxy:
            headers["atproto-proxy"] = self.chat_proxy
        if mime:
            headers["Content-Type"] = mime
        try:
            return self.client.request(
                method,
                f"{self.service_url}/xrpc/{nsid}",
                params=params,
                json=json,
                content=content,
                headers=headers,
            )
        except httpx.HTTPError as e:  # connection refused, timeouts: try again later
            raise SendError(f"bluesky {nsid}: {type(e).__name__}: {e}") from None

    def _call(
        self,
        method: str,
        nsid: str,
        params=None,
        json=None,
        what: str | None = None,
        content: bytes | None = None,
        mime: str | None = None,
    ) -> dict:
        """An authenticated XRPC call; the response's JSON, or a `SendError`. `content` and
        `mime`: a raw body (uploadBlob's) instead of JSON."""
        proxy = nsid.startswith("chat.bsky.")
        r = self._raw(method, nsid, params, json, self._login()["accessJwt"], proxy, content, mime)
        if r.status_code in (400, 401) and _error_name(r) == "ExpiredToken":
            self._refresh()
            r = self._raw(method, nsid, params, json, self._login()["accessJwt"], proxy, content, mime)
        if r.status_code != 200:
            raise _error(r, what or nsid)
        return r.json() if r.content else {}

    # ---- events ----
    def poll(self, cursor: dict | None) -> tuple[list[Event], dict | None]:
        cursor = dict(cursor or {})
        events, newest = self._mentions(cursor.get("notifications"))
        if newest:
            cursor["notifications"] = newest
        if self._chat:
            try:
                dms, chat = self._dms(cursor.get("chat"))
            except SendError as e:
                if not e.permanent:
                    raise
                log.warning("bluesky: chat is not available to this app password (%s); mentions only", e)
                self._chat = False
            else:
                events += dms
                if chat:
                    cursor["chat"] = chat
        return events, (cursor or None)

    def _mentions(self, since: str | None) -> tuple[list[Event], str | None]:
        me = self.account_id
        found, newest, page_cursor = [], since, None
        for _ in range(MAX_PAGES):
            params = {"limit": 50}
            if page_cursor:
                params["cursor"] = page_cursor
            page = self._call("GET", "app.bsky.notification.listNotifications", params)
            notes = page.get("notifications") or []
            done = False
            for n in notes:
                at = n.get("indexedAt") or ""
                if since and at <= since:
                    done = True
                    break
                if newest is None or at > newest:
                    newest = at
                if since is None and n.get("isRead"):
                    continue  # first run: what was read in the app is not answered now
                record = n.get("record") or {}
                author = n.get("author") or {}
                if n.get("reason") not in REASONS or record.get("$type") != POST or author.get("did") == me:
                    continue
                found.append(self._event(n, record, author))
            page_cursor = page.get("cursor")
            # first run: only the newest page (an account's whole history is not a backlog)
            if done or not notes or not page_cursor or since is None:
                break
        found.sort(key=lambda e: (e.created_at or "", e.id))
        return found, newest

    @staticmethod
    def _event(n: dict, record: dict, author: dict) -> Event:
        reply = record.get("reply") or {}
        me = {"uri": n["uri"], "cid": n["cid"]}
        return Event(
            platform="bluesky",
            id=n["uri"],
            kind="mention",
            sender_id=author.get("did", ""),
            sender_handle=author.get("handle"),
            text=record.get("text", ""),
            conversation=n["uri"],
            post_id=n["uri"],
            parent_id=(reply.get("parent") or {}).get("uri"),
            created_at=record.get("createdAt") or n.get("indexedAt"),
            ref={"uri": n["uri"], "cid": n["cid"], "root": reply.get("root") or me},
        )

    def _dms(self, since: str | None) -> tuple[list[Event], str | None]:
        me = self.account_id
        found, cursor = [], since
        for _ in range(MAX_PAGES):
            params = {"cursor": cursor} if cursor else {}
            page = self._call("GET", "chat.bsky.convo.getLog", params)
            logs = page.get("logs") or []
            for entry in logs:
                if entry.get("$type") != "chat.bsky.convo.defs#logCreateMessage":
                    continue
                m = entry.get("message") or {}
                sender = (m.get("sender") or {}).get("did")
                if not sender or sender == me or "text" not in m:
                    continue  # ours, or a deleted message
                found.append(
                    Event(
                        platform="bluesky",
                        id=m["id"],
                        kind="dm",
                        sender_id=sender,
                        text=m.get("text", ""),
                        conversation=entry.get("convoId", ""),
                        created_at=m.get("sentAt"),
                    )
                )
            nxt = page.get("cursor")
            if not logs or not nxt or nxt == cursor:
                break
            cursor = nxt
        return found, cursor

    def seen(self, cursor: dict | None) -> None:
        if cursor and cursor.get("notifications"):
            self._call("POST", "app.bsky.notification.updateSeen", json={"seenAt": cursor["notifications"]})

    # ---- sending ----
    def _did(self, handle: str) -> str | None:
        if handle not in self._dids:
            try:
                did = self._call("GET", "com.atproto.identity.resolveHandle", {"handle": handle}).get("did")
            except SendError as e:
                if not e.permanent:
                    raise
                did = None
            self._dids[handle] = did
        return self._dids[handle]

    def facets(self, text: str) -> list[dict]:
        """The text's mention facets (handles that resolve) and link facets, in byte offsets."""
        out, links = [], link_spans(text)
        for a, b, handle in mention_spans(text):
            if any(la < b and a < lb for la, lb, _ in links):
                continue  # an @ inside a URL is the URL's
            did = self._did(handle)
            if did:
                out.append(
                    {
                        "index": {"byteStart": a, "byteEnd": b},
                        "features": [{"$type": "app.bsky.richtext.facet#mention", "did": did}],
                    }
                )
        for a, b, url in links:
            out.append(
                {
                    "index": {"byteStart": a, "byteEnd": b},
                    "features": [{"$type": "app.bsky.richtext.facet#link", "uri": url}],
                }
            )
        return sorted(out, key=lambda f: f["index"]["byteStart"])

    def images_embed(self, media: list[dict]) -> dict:
        """Upload `media` (uploadBlob, the bytes as they are) and return the post's
        app.bsky.embed.images. Every image is checked before the first upload."""
        if len(media) > MAX_IMAGES:
            raise SendError(f"bluesky reply: {len(media)} images, a post takes {MAX_IMAGES}", permanent=True)
        images = [media_bytes(m, "bluesky reply") for m in media]
        for data in images:
            if len(data) > MAX_IMAGE_BYTES:
                raise SendError(
                    f"bluesky reply: the image is {len(data):,} bytes; Bluesky takes images of at "
                    f"most {MAX_IMAGE_BYTES:,} bytes",
                    permanent=True,
                )
        out = []
        for data, m in zip(images, media):
            r = self._call(
                "POST", "com.atproto.repo.uploadBlob", content=data, mime="image/png", what="upload image"
            )
            blob = r.get("blob")
            if not isinstance(blob, dict):
                raise SendError(f"bluesky upload image: no blob in the response: {str(r)[:200]}")
            image = {"alt": (m.get("alt") or "").strip(), "image": blob}
            size = png_size(data)
            if size:
                image["aspectRatio"] = {"width": size[0], "height": size[1]}
            out.append(image)
        return {"$type": IMAGES, "images": out}

    def send(self, s: Send) -> Sent:
        if s.media and s.kind != "reply":
            raise SendError(f"bluesky {s.kind}: images are attached to replies only", permanent=True)
        facets = self.facets(s.text)
        if s.kind == "dm":
            message = {"text": s.text}
            if facets:
                message["facets"] = facets
            r = self._call(
                "POST",
                "chat.bsky.convo.sendMessage",
                json={"convoId": s.to, "message": message},
                what="send DM",
            )
            return Sent(id=r["id"])
        if "cid" not in s.ref:
            raise SendError(f"bluesky reply to {s.to}: no cid in its ref", permanent=True)
        parent = {"uri": s.to, "cid": s.ref["cid"]}
        root = s.ref.get("root") or parent
        record = {
            "$type": POST,
            "text": s.text,
            "createdAt": _now(),
            "reply": {"root": {"uri": root["uri"], "cid": root["cid"]}, "parent": parent},
        }
        if facets:
            record["facets"] = facets
        if s.media:
            # uploaded on every attempt: a crash (or a failed createRecord) after the upload
            # leaves an unreferenced blob, which the PDS drops; the post is deduplicated by
            # the outbox (find_sent), so it is never made twice
            record["embed"] = self.images_embed(s.media)
        body = {"repo": self.account_id, "collection": POST, "record": record}
        r = self._call("POST", "com.atproto.repo.createRecord", json=body, what="post reply")
        return Sent(id=r["uri"], ref={"uri": r["uri"], "cid": r["cid"], "root": record["reply"]["root"]})

    def find_sent(self, s: Send) -> Sent | None:
        me = self.account_id
        if s.kind == "dm":
            r = self._call("GET", "chat.bsky.convo.getMessages", {"convoId": s.to, "limit": 50})
            for m in r.get("messages") or []:
                if (m.get("sender") or {}).get("did") == me and same_text(m.get("text", ""), s.text):
                    return Sent(id=m["id"])
            return None
        r = self._call("GET", "com.atproto.repo.listRecords", {"repo": me, "collection": POST, "limit": 50})
        for rec in r.get("records") or []:
            value = rec.get("value") or {}
            reply = value.get("reply") or {}
            if (reply.get("parent") or {}).get("uri") == s.to and same_text(value.get("text", ""), s.text):
                return Sent(
                    id=rec["uri"], ref={"uri": rec["uri"], "cid": rec["cid"], "root": reply.get("root")}
                )
        return None

    def thread(self, e: Event, limit: int = 8) -> list[dict]:
        uri = e.post_id or e.id
        r = self._call("GET", "app.bsky.feed.getPostThread", {"uri": uri, "depth": 0, "parentHeight": limit})
        out = []
        node = (r.get("thread") or {}).get("parent")
        while node and "post" in node and len(out) < limit:
            p = node["post"]
            handle = (p.get("author") or {}).get("handle", "")
            record = p.get("record") or {}
            out.append(
                {
                    "id": p["uri"],
                    "author": handle,
                    "text": record.get("text", ""),
                    "created_at": record.get("createdAt") or p.get("indexedAt"),
                    "url": post_url(handle, p["uri"]),
                }
            )
            node = node.get("parent")
        out.reverse()
        return out


def _error_name(r: httpx.Response) -> str | None:
    try:
        return r.json().get("error")
    except (ValueError, AttributeError):
        return None


def _error(r: httpx.Response, what: str) -> SendError:
    try:
        body = r.json()
        detail = f"{body.get('error')}: {body.get('message')}"
    except (ValueError, AttributeError):
        detail = r.text[:200]
    msg = f"bluesky {what}: HTTP {r.status_code} {detail}"
    if r.status_code == 429 or r.status_code >= 500 or r.status_code in (408, 409, 425):
        return SendError(msg, retry_after=retry_after(r.headers, time.time()))
    return SendError(msg, permanent=True)
