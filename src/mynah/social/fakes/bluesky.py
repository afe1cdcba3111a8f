"""A fake Bluesky PDS (with the appview's and the chat service's endpoints that mynah uses).

In memory: accounts (handle -> did:plc:<hash>), posts, our account's notifications, chat
convos with their log. XRPC under /xrpc/<nsid> (queries GET, procedures POST) with the
lexicons' shapes; authenticated calls need `Authorization: Bearer <accessJwt>` (401
otherwise, 400 ExpiredToken once `expire_tokens()` was called); chat.bsky.* calls need the
`atproto-proxy` header (400 otherwise). createRecord and sendMessage check reply refs and
facet byte ranges (400 InvalidRequest).

com.atproto.repo.uploadBlob takes the raw bytes with their Content-Type and keeps them as
received (`fake.blobs[cid]["bytes"]`), answering `{"blob": {"$type": "blob", "ref": {"$link":
cid}, "mimeType", "size"}}`. A post's `app.bsky.embed.images` (1 to 4 images) must reference
blobs uploaded by the account, with the same mimeType and size, an image type, at most
1,000,000 bytes each (the lexicon's maxSize), a string `alt`, and a positive integer
aspectRatio when it has one (400 InvalidRequest otherwise).

Controls, in Python on `app.state.fake` or over HTTP: `POST /_fake/post {"author", "text",
"reply_to", "quote"}`, `POST /_fake/dm {"from", "text"}`, `POST /_fake/fail {"status",
"times", "retry_after", "path_prefix"}`, `POST /_fake/expire`, `GET /_fake/sent`,
`GET /_fake/requests`.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import time
from datetime import datetime, timedelta, timezone

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from mynah.social.fakes import FakeBase, sniff

POST = "app.bsky.feed.post"
IMAGES = "app.bsky.embed.images"
MAX_IMAGE_BYTES = 1_000_000  # app.bsky.embed.images#image
MAX_BLOB_BYTES = 50_000_000  # what the fake's uploadBlob takes at all
MENTION = "app.bsky.richtext.facet#mention"
LINK = "app.bsky.richtext.facet#link"
PUBLIC = {
    "com.atproto.server.createSession",
    "com.atproto.server.refreshSession",
    "com.atproto.identity.resolveHandle",
}


class XrpcError(Exception):
    def __init__(self, status: int, error: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.error, self.message, self.headers = status, error, message, headers or {}


def did_for(handle: str) -> str:
    return "did:plc:" + hashlib.sha256(handle.encode()).hexdigest()[:24]


class FakeBluesky(FakeBase):
    def __init__(self, handle: str = "mynah.test", app_password: str = "app-pass-word", **_):
        super().__init__()
        self.handle, self.did, self.app_password = handle, did_for(handle), app_password
        self.handles: dict[str, str] = {}  # did -> handle
        self.account(handle)
        self.posts: dict[str, dict] = {}  # uri -> {"uri", "cid", "author", "record", "indexedAt"}
        self.notifications: list[dict] = []  # oldest first
        self.seen_at: str | None = None
        self.convos: dict[str, dict] = {}  # id -> {"id", "members": [did], "messages": [view]}
        self.log: list[dict] = []
        self.access: set[str] = set()
        self.refresh: set[str] = set()
        self.expired: set[str] = set()
        self.blobs: dict[str, dict] = {}  # cid -> {"bytes", "mimeType", "owner"}
        self._clock = datetime.now(timezone.utc) - timedelta(hours=1)
        self._n = 0

    # ---- helpers ----
    def account(self, handle: str) -> str:
        did = did_for(handle)
        self.handles[did] = handle
        return did

    def now(self) -> str:
        """A strictly increasing timestamp (ms), as the network writes them."""
        t = max(datetime.now(timezone.utc), self._clock + timedelta(milliseconds=1))
        self._clock = t
        return t.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def tid(self) -> str:
        self._n += 1
        return f"3l{self._n:011d}"

    def author_view(self, did: str) -> dict:
        return {"did": did, "handle": self.handles.get(did, "handle.invalid"), "displayName": ""}

    def post_view(self, p: dict) -> dict:
        return {
            "uri": p["uri"],
            "cid": p["cid"],
            "author": self.author_view(p["author"]),
            "record": p["record"],
            "indexedAt": p["indexedAt"],
        }

    def new_post(self, did: str, record: dict) -> dict:
        uri = f"at://{did}/{POST}/{self.tid()}"
        cid = "bafyrei" + hashlib.sha256(repr((uri, record)).encode()).hexdigest()[:52]
        p = {"uri": uri, "cid": cid, "author": did, "record": record, "indexedAt": self.now()}
        self.posts[uri] = p
        return p

    def notify(self, p: dict, reason: str, subject: str | None = None) -> None:
        self.notifications.append(
            {
                "uri": p["uri"],
                "cid": p["cid"],
                "author": self.author_view(p["author"]),
                "reason": reason,
                "reasonSubject": subject,
                "record": p["record"],
                "isRead": False,
                "indexedAt": p["indexedAt"],
                "labels": [],
            }
        )

    def reply_refs(self, parent_uri: str) -> dict:
        parent = self.posts.get(parent_uri)
        if parent is None:
            raise XrpcError(400, "InvalidRequest", f"no such post {parent_uri}")
        pref = {"uri": parent["uri"], "cid": parent["cid"]}
        root = (parent["record"].get("reply") or {}).get("root") or pref
        return {"root": root, "parent": pref}

    @staticmethod
    def check_facets(text: str, facets) -> None:
        data = text.encode("utf-8")
        for f in facets or []:
            try:
                a, b = f["index"]["byteStart"], f["index"]["byteEnd"]
                features = f["features"]
            except (KeyError, TypeError):
                raise XrpcError(400, "InvalidRequest", "facet without index or features") from None
            if not (isinstance(a, int) and isinstance(b, int) and 0 <= a < b <= len(data)):
                raise XrpcError(400, "InvalidRequest", f"facet byte range {a}..{b} outside the text")
            try:
                span = data[a:b].decode("utf-8")
            except UnicodeDecodeError:
                raise XrpcError(400, "InvalidRequest", f"facet {a}..{b} splits a character") from None
            for feat in features:
                kind = feat.get("$type")
                if kind == MENTION and (
                    not span.startswith("@") or not str(feat.get("did", "")).startswith("did:")
                ):
                    raise XrpcError(400, "InvalidRequest", f"mention facet {a}..{b} covers {span!r}")
                if kind == LINK and span != feat.get("uri"):
                    raise XrpcError(
                        400, "InvalidRequest", f"link facet {a}..{b} covers {span!r}, not {feat.get('uri')!r}"
                    )

    # ---- injection ----
    def inject_post(
        self, author: str, text: str, reply_to: str | None = None, quote: str | None = None
    ) -> dict:
        with self.lock:
            did = self.account(author)
            record = {"$type": POST, "text": text, "createdAt": self.now(), "langs": ["en"]}
            if reply_to:
                record["reply"] = self.reply_refs(reply_to)
            if quote:
                q = self.posts.get(quote)
                if q is None:
                    raise XrpcError(400, "InvalidRequest", f"no such post {quote}")
                record["embed"] = {
                    "$type": "app.bsky.embed.record",
                    "record": {"uri": q["uri"], "cid": q["cid"]},
                }
            p = self.new_post(did, record)
            if did != self.did:
                parent = self.posts.get(reply_to) if reply_to else None
                quoted = self.posts.get(quote) if quote else None
                if parent and parent["author"] == self.did:
                    self.notify(p, "reply", parent["uri"])
                elif quoted and quoted["author"] == self.did:
                    self.notify(p, "quote", quoted["uri"])
                elif re.search(r"(?<![\w.])@" + re.escape(self.handle) + r"(?![\w.-]*\w)", text):
                    self.notify(p, "mention")
            return {"uri": p["uri"], "cid": p["cid"]}

    def convo_with(self, did: str) -> dict:
        for c in self.convos.values():
            if set(c["members"]) == {self.did, did}:
                return c
        cid = "convo" + hashlib.sha256(did.encode()).hexdigest()[:10]
        c = self.convos[cid] = {"id": cid, "members": [self.did, did], "messages": [], "rev": self.tid()}
        self.log.append({"$type": "chat.bsky.convo.defs#logBeginConvo", "rev": c["rev"], "convoId": cid})
        return c

    def add_message(self, c: dict, sender: str, text: str, facets=None) -> dict:
        rev = self.tid()
        m = {
            "$type": "chat.bsky.convo.defs#messageView",
            "id": "msg" + rev,
            "rev": rev,
            "text": text,
            "sender": {"did": sender},
            "sentAt": self.now(),
        }
        if facets:
            m["facets"] = facets
        c["messages"].append(m)
        c["rev"] = rev
        self.log.append(
            {"$type": "chat.bsky.convo.defs#logCreateMessage", "rev": rev, "convoId": c["id"], "message": m}
        )
        return m

    def inject_dm(self, sender: str, text: str) -> dict:
        with self.lock:
            c = self.convo_with(self.account(sender))
            m = self.add_message(c, did_for(sender), text)
            return {"convoId": c["id"], "message": m}

    def expire_tokens(self) -> None:
        """Every access token given so far now answers 400 ExpiredToken."""
        with self.lock:
            self.expired |= self.access
            self.access = set()

    # ---- XRPC ----
    def new_session(self) -> dict:
        a, r = "acc-" + secrets.token_hex(8), "ref-" + secrets.token_hex(8)
        self.access.add(a)
        self.refresh.add(r)
        return {"accessJwt": a, "refreshJwt": r, "handle": self.handle, "did": self.did, "active": True}

    def xrpc(self, method: str, nsid: str, q: dict, body, headers, raw: bytes = b"") -> dict:
        token = (headers.get("authorization") or "").removeprefix("Bearer ").strip()
        if nsid not in PUBLIC:
            if token in self.expired:
                raise XrpcError(400, "ExpiredToken", "Token has expired")
            if token not in self.access:
                raise XrpcError(401, "AuthenticationRequired", "Authentication Required")
        if nsid.startswith("chat.bsky.") and not headers.get("atproto-proxy"):
            raise XrpcError(400, "InvalidRequest", "chat.bsky calls need the atproto-proxy header")
        handler = getattr(self, "x_" + nsid.replace(".", "_"), None)
        if handler is None:
            raise XrpcError(501, "MethodNotImplemented", f"Method Not Implemented: {nsid}")
        procedure = handler.__doc__ == "POST"
        if (method == "POST") != procedure:
            raise XrpcError(400, "InvalidRequest", f"{nsid} is a {'procedure' if procedure else 'query'}")
        if nsid == "com.atproto.repo.uploadBlob" and method == "POST":
            return self.upload_blob(raw, headers.get("content-type") or "")
        if procedure and body is None and nsid == "com.atproto.server.refreshSession":
            body = {}  # the one procedure without input
        if procedure and not isinstance(body, dict):
            raise XrpcError(400, "InvalidRequest", "A request body is expected")
        return handler(body if procedure else q, token)

    def x_com_atproto_server_createSession(self, b, _t):
        "POST"
        if b.get("identifier") not in (self.handle, self.did) or b.get("password") != self.app_password:
            raise XrpcError(401, "AuthenticationRequired", "Invalid identifier or password")
        return self.new_session()

    def x_com_atproto_server_refreshSession(self, _b, token):
        "POST"
        if token not in self.refresh:
            raise XrpcError(400, "ExpiredToken", "Token has expired")
        self.refresh.discard(token)
        return self.new_session()

    def x_com_atproto_identity_resolveHandle(self, q, _t):
        "GET"
        handle = q.get("handle", "")
        if did_for(handle) not in self.handles:
            raise XrpcError(400, "InvalidRequest", "Unable to resolve handle")
        return {"did": did_for(handle)}

    def upload_blob(self, data: bytes, mime: str) -> dict:
        """com.atproto.repo.uploadBlob: the raw body as one blob, kept byte for byte."""
        mime = mime.split(";")[0].strip().lower()
        if not data:
            raise XrpcError(400, "InvalidRequest", "A request body is expected")
        if not mime or mime == "*/*":
            raise XrpcError(400, "InvalidRequest", "The blob needs a Content-Type")
        if len(data) > MAX_BLOB_BYTES:
            raise XrpcError(400, "BlobTooLarge", f"This file is too large. It is {len(data)} bytes")
        cid = "bafkrei" + hashlib.sha256(data).hexdigest()[:52]
        self.blobs[cid] = {"bytes": data, "mimeType": mime, "owner": self.did}
        return {"blob": {"$type": "blob", "ref": {"$link": cid}, "mimeType": mime, "size": len(data)}}

    def x_com_atproto_repo_uploadBlob(self, _b, _t):
        "POST"
        raise XrpcError(400, "InvalidRequest", "uploadBlob takes a raw body")  # (see xrpc)

    def check_embed(self, embed) -> None:
        if not isinstance(embed, dict) or embed.get("$type") != IMAGES:
            return  # (record and external embeds are not checked here)
        images = embed.get("images")
        if not isinstance(images, list) or not 1 <= len(images) <= 4:
            raise XrpcError(400, "InvalidRequest", "Record/embed/images must have 1 to 4 items")
        for i, im in enumerate(images):
            where = f"Record/embed/images/{i}"
            if not isinstance(im, dict) or not isinstance(im.get("alt"), str):
                raise XrpcError(400, "InvalidRequest", f"{where} must have the property alt")
            blob = im.get("image")
            link = ((blob or {}).get("ref") or {}).get("$link") if isinstance(blob, dict) else None
            known = self.blobs.get(link or "")
            if not known or known["owner"] != self.did or blob.get("$type") != "blob":
                raise XrpcError(400, "InvalidRequest", f"{where}/image: blob {link!r} not found")
            if blob.get("mimeType") != known["mimeType"] or blob.get("size") != len(known["bytes"]):
                raise XrpcError(
                    400, "InvalidRequest", f"{where}/image: mimeType or size differs from the upload"
                )
            if not known["mimeType"].startswith("image/") or sniff(known["bytes"]) is None:
                raise XrpcError(400, "InvalidRequest", f"{where}/image: not an image")
            if len(known["bytes"]) > MAX_IMAGE_BYTES:
                raise XrpcError(
                    400,
                    "InvalidRequest",
                    f"{where}/image: file too large ({len(known['bytes'])} > {MAX_IMAGE_BYTES})",
                )
            ar = im.get("aspectRatio")
            if ar is not None and not (
                isinstance(ar, dict)
                and all(isinstance(ar.get(k), int) and ar[k] > 0 for k in ("width", "height"))
            ):
                raise XrpcError(
                    400, "InvalidRequest", f"{where}/aspectRatio: width and height, positive integers"
                )

    def x_com_atproto_repo_createRecord(self, b, _t):
        "POST"
        if b.get("repo") not in (self.did, self.handle):
            raise XrpcError(400, "InvalidRequest", "Invalid repo: not the session's")
        if b.get("collection") != POST:
            raise XrpcError(400, "InvalidRequest", f"collection {b.get('collection')!r} not supported here")
        r = b.get("record")
        if not isinstance(r, dict) or r.get("$type") != POST:
            raise XrpcError(400, "InvalidRequest", "Invalid app.bsky.feed.post record: missing $type")
        if not isinstance(r.get("text"), str) or not isinstance(r.get("createdAt"), str):
            raise XrpcError(400, "InvalidRequest", "Record must have the properties text and createdAt")
        if len(r["text"].encode("utf-8")) > 3000:
            raise XrpcError(400, "InvalidRequest", "Record/text must not be longer than 3000 bytes")
        if "reply" in r:
            reply = r["reply"]
            for part in ("root", "parent"):
                ref = reply.get(part) if isinstance(reply, dict) else None
                if not isinstance(ref, dict) or not ref.get("uri") or not ref.get("cid"):
                    raise XrpcError(
                        400, "InvalidRequest", f"Record/reply must have the property {part} (uri, cid)"
                    )
                known = self.posts.get(ref["uri"])
                if known is None or known["cid"] != ref["cid"]:
                    raise XrpcError(
                        400, "InvalidRequest", f"reply {part} {ref['uri']} not found (or cid differs)"
                    )
        self.check_facets(r["text"], r.get("facets"))
        if "embed" in r:
            self.check_embed(r["embed"])
        p = self.new_post(self.did, r)
        self.sent.append({"kind": "post", "uri": p["uri"], "cid": p["cid"], "record": r})
        return {"uri": p["uri"], "cid": p["cid"], "validationStatus": "valid"}

    def x_com_atproto_repo_listRecords(self, q, _t):
        "GET"
        did = q.get("repo")
        did = did_for(did) if did and not did.startswith("did:") else did
        mine = [p for p in self.posts.values() if p["author"] == did and q.get("collection") == POST]
        mine.reverse()  # newest first, as the PDS lists them
        if q.get("reverse") == "true":
            mine.reverse()
        limit = max(1, min(100, int(q.get("limit", 50))))
        start = int(q.get("cursor") or 0)
        page = mine[start : start + limit]
        out = {"records": [{"uri": p["uri"], "cid": p["cid"], "value": p["record"]} for p in page]}
        if start + limit < len(mine):
            out["cursor"] = str(start + limit)
        return out

    def thread_view(self, p: dict, height: int) -> dict:
        v = {"$type": "app.bsky.feed.defs#threadViewPost", "post": self.post_view(p), "replies": []}
        parent_ref = (p["record"].get("reply") or {}).get("parent")
        if parent_ref and height > 0:
            parent = self.posts.get(parent_ref["uri"])
            if parent is None:
                v["parent"] = {
                    "$type": "app.bsky.feed.defs#notFoundPost",
                    "uri": parent_ref["uri"],
                    "notFound": True,
                }
            else:
                v["parent"] = self.thread_view(parent, height - 1)
        return v

    def x_app_bsky_feed_getPostThread(self, q, _t):
        "GET"
        p = self.posts.get(q.get("uri", ""))
        if p is None:
            raise XrpcError(400, "NotFound", f"Post not found: {q.get('uri')}")
        return {"thread": self.thread_view(p, int(q.get("parentHeight", 80)))}

    def x_app_bsky_notification_listNotifications(self, q, _t):
        "GET"
        limit = max(1, min(100, int(q.get("limit", 50))))
        items = list(reversed(self.notifications))  # newest first
        if q.get("cursor"):
            items = [n for n in items if n["indexedAt"] < q["cursor"]]
        page = items[:limit]
        seen = self.seen_at
        out = {
            "notifications": [{**n, "isRead": bool(seen and n["indexedAt"] <= seen)} for n in page],
            "seenAt": seen,
        }
        if len(items) > limit:
            out["cursor"] = page[-1]["indexedAt"]
        return out

    def x_app_bsky_notification_updateSeen(self, b, _t):
        "POST"
        if not isinstance(b.get("seenAt"), str):
            raise XrpcError(400, "InvalidRequest", "Input must have the property seenAt")
        self.seen_at = b["seenAt"]
        return {}

    def x_chat_bsky_convo_getLog(self, q, _t):
        "GET"
        cursor = q.get("cursor") or ""
        logs = [e for e in self.log if e["rev"] > cursor][:100]
        return {"logs": logs, "cursor": logs[-1]["rev"] if logs else (cursor or None)}

    def convo(self, cid) -> dict:
        c = self.convos.get(cid or "")
        if c is None or self.did not in c["members"]:
            raise XrpcError(400, "InvalidRequest", "Convo not found")
        return c

    def x_chat_bsky_convo_sendMessage(self, b, _t):
        "POST"
        c = self.convo(b.get("convoId"))
        m = b.get("message")
        if not isinstance(m, dict) or not isinstance(m.get("text"), str) or not m["text"]:
            raise XrpcError(400, "InvalidRequest", "message must have the property text")
        self.check_facets(m["text"], m.get("facets"))
        view = self.add_message(c, self.did, m["text"], m.get("facets"))
        self.sent.append({"kind": "dm", "convoId": c["id"], "id": view["id"], "text": m["text"]})
        return view

    def x_chat_bsky_convo_getMessages(self, q, _t):
        "GET"
        c = self.convo(q.get("convoId"))
        limit = max(1, min(100, int(q.get("limit", 50))))
        msgs = list(reversed(c["messages"]))
        start = int(q.get("cursor") or 0)
        out = {"messages": msgs[start : start + limit]}
        if start + limit < len(msgs):
            out["cursor"] = str(start + limit)
        return out


def _error(e: XrpcError) -> JSONResponse:
    return JSONResponse({"error": e.error, "message": e.message}, status_code=e.status, headers=e.headers)


def create_app(**opts) -> FastAPI:
    """The fake (`handle`, `app_password`: our account and the app password createSession checks)."""
    app = FastAPI(title="fake Bluesky")
    app.state.fake = FakeBluesky(**opts)

    @app.api_route("/xrpc/{nsid}", methods=["GET", "POST"])
    async def xrpc(nsid: str, request: Request):
        fake = request.app.state.fake
        raw = await request.body()
        blob = nsid == "com.atproto.repo.uploadBlob"
        try:
            body = json.loads(raw) if raw and not blob else None
        except ValueError:
            body = None
        path = request.url.path
        query = dict(request.query_params)
        shown = {"bytes": len(raw), "sha256": hashlib.sha256(raw).hexdigest()} if blob else body
        fake.record(request.method, path, query, request.headers, shown)
        f = fake.take_failure(path)
        if f:
            headers = {}
            if f["status"] == 429:
                wait = f["retry_after"] if f["retry_after"] is not None else 60
                headers = {
                    "ratelimit-limit": "3000",
                    "ratelimit-remaining": "0",
                    "ratelimit-reset": str(int(time.time() + wait)),
                    "ratelimit-policy": "3000;w=300",
                }
                if f["retry_after"] is not None:
                    headers["retry-after"] = str(int(f["retry_after"]))
                return _error(XrpcError(429, "RateLimitExceeded", "Rate Limit Exceeded", headers))
            if f["status"] >= 500:
                return _error(XrpcError(f["status"], "InternalServerError", "Internal Server Error"))
            return _error(XrpcError(f["status"], "InvalidRequest", "fake failure"))
        try:
            with fake.lock:
                return fake.xrpc(request.method, nsid, query, body, request.headers, raw)
        except XrpcError as e:
            return _error(e)

    @app.post("/_fake/post")
    async def post(request: Request):
        fake = request.app.state.fake
        b = await request.json()
        try:
            return fake.inject_post(b["author"], b["text"], b.get("reply_to"), b.get("quote"))
        except XrpcError as e:
            return _error(e)

    @app.post("/_fake/dm")
    async def dm(request: Request):
        fake = request.app.state.fake
        b = await request.json()
        return fake.inject_dm(b["from"], b["text"])

    @app.post("/_fake/fail")
    async def fail(request: Request):
        fake = request.app.state.fake
        b = await request.json()
        fake.fail(b["status"], b.get("times", 1), b.get("retry_after"), b.get("path_prefix"))
        return {"ok": True}

    @app.post("/_fake/expire")
    async def expire(request: Request):
        fake = request.app.state.fake
        fake.expire_tokens()
        return {"ok": True}

    @app.get("/_fake/sent")
    async def sent(request: Request):
        fake = request.app.state.fake
        with fake.lock:
            return list(fake.sent)

    @app.get("/_fake/requests")
    async def requests(request: Request):
        fake = request.app.state.fake
        with fake.lock:
            return list(fake.requests)

    return app


def main(port: int, **opts) -> None:
    """Run the fake in the foreground on 127.0.0.1:`port`."""
    import uvicorn

    uvicorn.run(create_app(**opts), host="127.0.0.1", port=port, log_level="warning")
