"""A fake Mastodon instance: the REST and streaming endpoints mynah uses, in memory.

Statuses are stored with HTML content as Mastodon renders it (`<p>`, h-card mentions, links
with their invisible "https://" part); a status that mentions our account (or replies to one
of ours) makes a `mention` notification. Every /api call needs `Authorization: Bearer
<token>` (401 otherwise). POST /api/v1/statuses honours `Idempotency-Key` (the same key gives
the same status and creates nothing), refuses a `direct` status that mentions nobody (422)
and a text over `max_characters` (422).

Media: POST /api/v2/media (multipart `file`, `description`) keeps the file's bytes as received
(`fake.media[id]["bytes"]`) and answers 200 with the attachment, or, when `media_processing`
is n > 0, 202 with `url: null`, and GET /api/v1/media/:id answers 206 the next n times before
200. A status may attach up to 4 of the account's processed, unattached uploads
(`media_ids`; 422 otherwise, as Mastodon says "Cannot attach files that have not finished
processing") and may then have no text; it shows them in `media_attachments`.

Controls, in Python on `app.state.fake` or over HTTP: `POST /_fake/status {"from", "text",
"visibility", "in_reply_to_id"}`, `POST /_fake/fail {"status", "times", "retry_after",
"path_prefix"}`, `GET /_fake/sent`, `GET /_fake/requests`.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

from mynah.social.fakes import FakeBase, parse_multipart, sniff
from mynah.social.platforms.base import png_size

_TOKEN = re.compile(
    r"(?P<url>https?://[^\s<>\"]+[^\s<>\".,;:!?)])|(?P<mention>(?<![\w/])@(?P<user>\w+)(?:@(?P<domain>[\w.-]+\w))?)"
)


class ApiError(Exception):
    def __init__(self, status: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


class FakeMastodon(FakeBase):
    def __init__(
        self,
        username: str = "mynah",
        domain: str = "social.test",
        token: str = "fake-token",
        max_characters: int | None = 500,
        heartbeat: float = 1.0,
        stream_seconds: float = 60.0,
        media_processing: int = 0,
        **_,
    ):
        super().__init__()
        self.media_processing = media_processing  # 206s a new upload's GET answers before its 200
        self.media: dict[str, dict] = {}  # id -> the attachment, with "bytes", "pending", "status_id"
        self.domain, self.token, self.max_characters = domain, token, max_characters
        self.heartbeat, self.stream_seconds = heartbeat, stream_seconds
        self.accounts: dict[str, dict] = {}  # acct -> account
        self.statuses: dict[str, dict] = {}
        self.notifications: list[dict] = []  # oldest first
        self.idempotency: dict[str, str] = {}  # key -> status id
        self._ids = 0
        self._clock = datetime.now(timezone.utc) - timedelta(hours=1)
        self.me = self.account(username)

    # ---- helpers ----
    def next_id(self) -> str:
        self._ids += 1
        return str(110_000_000_000_000_000 + self._ids)

    def now(self) -> str:
        t = max(datetime.now(timezone.utc), self._clock + timedelta(milliseconds=1))
        self._clock = t
        return t.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def account(self, acct: str) -> dict:
        acct = acct.lstrip("@")
        if acct.endswith("@" + self.domain):
            acct = acct.split("@")[0]
        if acct not in self.accounts:
            username = acct.split("@")[0]
            self.accounts[acct] = {
                "id": str(100 + len(self.accounts)),
                "username": username,
                "acct": acct,
                "display_name": username.title(),
                "url": f"https://{acct.split('@')[1] if '@' in acct else self.domain}/@{username}",
            }
        return self.accounts[acct]

    def render(self, text: str) -> tuple[str, list[dict]]:
        """Mastodon's HTML for `text` and its mentions."""
        out, mentions, at = [], [], 0
        for m in _TOKEN.finditer(text):
            out.append(html.escape(text[at : m.start()]))
            at = m.end()
            if m.group("url"):
                url = m.group("url")
                scheme, rest = url.split("://", 1)
                out.append(
                    f'<a href="{html.escape(url)}" target="_blank" rel="nofollow noopener noreferrer">'
                    f'<span class="invisible">{scheme}://</span><span class="">{html.escape(rest)}</span>'
                    f'<span class="invisible"></span></a>'
                )
            else:
                acct = m.group("user") + (f"@{m.group('domain')}" if m.group("domain") else "")
                a = self.account(acct)
                mentions.append({k: a[k] for k in ("id", "username", "acct", "url")})
                out.append(
                    f'<span class="h-card" translate="no"><a href="{a["url"]}" class="u-url mention">'
                    f"@<span>{html.escape(a['username'])}</span></a></span>"
                )
        out.append(html.escape(text[at:]))
        paragraphs = "".join(out).split("\n\n")
        return "".join("<p>" + p.replace("\n", "<br />") + "</p>" for p in paragraphs), mentions

    def create_status(
        self, account: dict, text: str, visibility: str = "public", in_reply_to_id=None
    ) -> dict:
        if visibility not in ("public", "unlisted", "private", "direct"):
            raise ApiError(422, f"Validation failed: Visibility {visibility!r} is not included in the list")
        parent = None
        if in_reply_to_id:
            parent = self.statuses.get(str(in_reply_to_id))
            if parent is None:
                raise ApiError(404, "Record not found")
        content, mentions = self.render(text)
        if visibility == "direct" and not mentions:
            raise ApiError(422, "Validation failed: Direct messages must mention someone")
        sid = self.next_id()
        s = {
            "id": sid,
            "created_at": self.now(),
            "in_reply_to_id": parent["id"] if parent else None,
            "in_reply_to_account_id": parent["account"]["id"] if parent else None,
            "visibility": visibility,
            "content": content,
            "text": text,  # (Mastodon gives the source text only on delete and edit; kept for tests)
            "url": f"https://{self.domain}/@{account['username']}/{sid}",
            "uri": f"https://{self.domain}/users/{account['username']}/statuses/{sid}",
            "account": account,
            "mentions": mentions,
            "media_attachments": [],
        }
        self.statuses[sid] = s
        if account["id"] != self.me["id"]:
            to_us = any(m["id"] == self.me["id"] for m in mentions)
            if to_us or (parent and parent["account"]["id"] == self.me["id"]):
                self.notifications.append(
                    {
                        "id": str(len(self.notifications) + 1),
                        "type": "mention",
                        "created_at": s["created_at"],
                        "account": account,
                        "status": s,
                    }
                )
        return s

    def inject_status(self, sender: str, text: str, visibility: str = "public", in_reply_to_id=None) -> dict:
        with self.lock:
            return self.create_status(self.account(sender), text, visibility or "public", in_reply_to_id)

    # ---- REST ----
    def api(self, method: str, path: str, q, body, headers) -> tuple[object, dict]:
        if (headers.get("authorization") or "") != f"Bearer {self.token}":
            raise ApiError(401, "The access token is invalid")
        if method == "GET" and path == "/api/v1/accounts/verify_credentials":
            return {**self.me, "source": {"privacy": "public"}}, {}
        if method == "GET" and path == "/api/v1/notifications":
            return self.list_notifications(q)
        if method == "POST" and path == "/api/v1/statuses":
            return self.post_status(body or {}, headers), {}
        if method == "POST" and path == "/api/v2/media":
            return self.upload_media(body or {})
        m = re.fullmatch(r"/api/v1/media/(\d+)", path)
        if method == "GET" and m:
            return self.get_media(m.group(1))
        m = re.fullmatch(r"/api/v1/statuses/(\d+)(/context)?", path)
        if method == "GET" and m:
            s = self.statuses.get(m.group(1))
            if s is None:
                raise ApiError(404, "Record not found")
            if not m.group(2):
                return s, {}
            ancestors, p = [], s
            while p.get("in_reply_to_id") and p["in_reply_to_id"] in self.statuses:
                p = self.statuses[p["in_reply_to_id"]]
                ancestors.append(p)
            descendants = [x for x in self.statuses.values() if x["in_reply_to_id"] == s["id"]]
            return {"ancestors": ancestors[::-1], "descendants": descendants}, {}
        m = re.fullmatch(r"/api/v1/accounts/(\d+)/statuses", path)
        if method == "GET" and m:
            mine = [s for s in reversed(self.statuses.values()) if s["account"]["id"] == m.group(1)]
            if q.get("max_id"):
                mine = [s for s in mine if int(s["id"]) < int(q["max_id"])]
            return mine[: min(40, int(q.get("limit", 20)))], {}
        raise ApiError(404, "Not Found")

    def list_notifications(self, q) -> tuple[list, dict]:
        types = q.getlist("types[]") if hasattr(q, "getlist") else []
        items = [n for n in self.notifications if not types or n["type"] in types]
        key = lambda n: int(n["id"])
        limit = max(1, min(80, int(q.get("limit", 40))))
        if q.get("max_id"):
            items = [n for n in items if key(n) < int(q["max_id"])]
        if q.get("since_id"):
            items = [n for n in items if key(n) > int(q["since_id"])]
        if q.get("min_id"):  # the page just after min_id
            items = [n for n in items if key(n) > int(q["min_id"])][:limit]
        page = list(reversed(items))[:limit]  # newest first
        headers = {}
        if page:
            base = "http://fake/api/v1/notifications"
            headers["link"] = (
                f'<{base}?max_id={page[-1]["id"]}>; rel="next", <{base}?min_id={page[0]["id"]}>; rel="prev"'
            )
        return page, headers

    @staticmethod
    def media_view(m: dict) -> dict:
        return {k: v for k, v in m.items() if k not in ("bytes", "pending", "status_id")}

    def upload_media(self, b: dict) -> tuple[dict, dict]:
        f = b.get("file")
        if not hasattr(f, "data") or not f.data:
            raise ApiError(422, "Validation failed: File can't be blank")
        kind = sniff(f.data)
        if kind is None:
            raise ApiError(422, "Validation failed: File content type is invalid")
        desc = b.get("description")
        desc = desc.text() if hasattr(desc, "text") else desc
        if desc is not None and len(desc) > 1500:
            raise ApiError(422, "Validation failed: Description is too long (maximum is 1500 characters)")
        mid = self.next_id()
        url = f"https://{self.domain}/system/media_attachments/files/{mid}/original/{f.filename or 'file'}"
        m = {
            "id": mid,
            "type": "image",
            "url": url,
            "preview_url": url.replace("/original/", "/small/"),
            "remote_url": None,
            "description": desc,
            "blurhash": None,
            "meta": {},
            "bytes": f.data,
            "pending": self.media_processing,
            "status_id": None,
        }
        size = png_size(f.data)
        if size:
            m["meta"] = {
                "original": {
                    "width": size[0],
                    "height": size[1],
                    "size": f"{size[0]}x{size[1]}",
                    "aspect": size[0] / size[1],
                }
            }
        self.media[mid] = m
        view = self.media_view(m)
        if m["pending"]:
            return {**view, "url": None}, {"__status__": 202}
        return view, {}

    def get_media(self, mid: str) -> tuple[dict, dict]:
        m = self.media.get(mid)
        if m is None:
            raise ApiError(404, "Record not found")
        if m["pending"] > 0:
            m["pending"] -= 1
            return {**self.media_view(m), "url": None}, {"__status__": 206}
        return self.media_view(m), {}

    def post_status(self, b: dict, headers) -> dict:
        key = headers.get("idempotency-key")
        if key and key in self.idempotency:
            return self.statuses[self.idempotency[key]]
        ids = b.get("media_ids") or b.get("media_ids[]") or []
        ids = [str(i) for i in (ids if isinstance(ids, list) else [ids])]
        if len(ids) > 4:
            raise ApiError(422, "Validation failed: You can attach at most 4 images")
        for i in ids:
            m = self.media.get(i)
            if m is None:
                raise ApiError(422, "Validation failed: Media attachment not found")
            if m["status_id"] is not None:
                raise ApiError(422, "Validation failed: Media attachment is already attached")
            if m["pending"] > 0:
                raise ApiError(
                    422, "Cannot attach files that have not finished processing. Try again in a moment!"
                )
        text = b.get("status")
        if ids and text is None:
            text = ""
        if not isinstance(text, str) or (not text.strip() and not ids):
            raise ApiError(422, "Validation failed: Text can't be blank")
        from mynah.social.length import mastodon_length

        if self.max_characters and mastodon_length(text) > self.max_characters:
            raise ApiError(422, f"Validation failed: Text character limit of {self.max_characters} exceeded")
        s = self.create_status(self.me, text, b.get("visibility") or "public", b.get("in_reply_to_id"))
        for i in ids:
            self.media[i]["status_id"] = s["id"]
            s["media_attachments"].append(self.media_view(self.media[i]))
        if key:
            self.idempotency[key] = s["id"]
        self.sent.append(s)
        return s

    def instance(self) -> dict:
        out = {"domain": self.domain, "title": "Fake Mastodon", "version": "4.3.0"}
        if self.max_characters is not None:
            out["configuration"] = {"statuses": {"max_characters": self.max_characters}}
        return out


def _error(e: ApiError) -> JSONResponse:
    return JSONResponse({"error": e.message}, status_code=e.status, headers=e.headers)


def _failure(f: dict) -> JSONResponse:
    if f["status"] == 429:
        wait = f["retry_after"] if f["retry_after"] is not None else 60
        reset = datetime.now(timezone.utc) + timedelta(seconds=wait)
        headers = {
            "x-ratelimit-limit": "300",
            "x-ratelimit-remaining": "0",
            "x-ratelimit-reset": reset.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }
        return _error(ApiError(429, "Too many requests", headers))
    return _error(ApiError(f["status"], "fake failure"))


def create_app(**opts) -> FastAPI:
    """The fake (`username`, `domain`, `token`, `max_characters` (None: the instance does not
    say), `heartbeat` and `stream_seconds` of the streaming endpoint)."""
    app = FastAPI(title="fake Mastodon")
    app.state.fake = FakeMastodon(**opts)

    @app.get("/api/v2/instance")
    async def instance(request: Request):
        return request.app.state.fake.instance()

    @app.get("/api/v1/streaming/user/notification")
    async def stream(request: Request):
        fake = request.app.state.fake
        path = request.url.path
        fake.record("GET", path, dict(request.query_params), request.headers, None)
        token = request.headers.get("authorization") or f"Bearer {request.query_params.get('access_token')}"
        if token != f"Bearer {fake.token}":
            return _error(ApiError(401, "Error: Invalid access token"))
        f = fake.take_failure(path)
        if f:
            return _failure(f)
        with fake.lock:
            start = len(fake.notifications)

        async def events():
            yield ":)\n\n"
            sent, last_beat = start, time.monotonic()
            deadline = time.monotonic() + fake.stream_seconds
            while time.monotonic() < deadline and not fake.closed.is_set():
                with fake.lock:
                    new = fake.notifications[sent:]
                    sent = len(fake.notifications)
                for n in new:
                    yield f"event: notification\ndata: {json.dumps(n)}\n\n"
                if time.monotonic() - last_beat >= fake.heartbeat:
                    last_beat = time.monotonic()
                    yield ":thump\n\n"
                await asyncio.sleep(0.05)

        return StreamingResponse(events(), media_type="text/event-stream")

    @app.api_route("/api/{rest:path}", methods=["GET", "POST"])
    async def api(rest: str, request: Request):
        fake = request.app.state.fake
        raw = await request.body()
        body = shown = None
        ctype = request.headers.get("content-type", "")
        if raw:
            if ctype.startswith("application/json"):
                try:
                    body = shown = json.loads(raw)
                except ValueError:
                    return _error(ApiError(400, "Invalid JSON"))
            elif ctype.startswith("multipart/form-data"):
                try:  # fakes.Part values; recorded as their text or their size
                    body = parse_multipart(ctype, raw)
                except ValueError as e:
                    return _error(ApiError(400, f"Invalid multipart body: {e}"))
                shown = {
                    k: f"<{len(p.data)} bytes>" if p.filename else p.data.decode("utf-8", "replace")
                    for k, p in body.items()
                }
            else:  # a form: arrays as name[] repeated
                body = {}
                for k, v in parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True):
                    if k.endswith("[]"):
                        body.setdefault(k[:-2], []).append(v)
                    else:
                        body[k] = v
                shown = body
        path = request.url.path
        fake.record(request.method, path, dict(request.query_params), request.headers, shown)
        f = fake.take_failure(path)
        if f:
            return _failure(f)
        try:
            with fake.lock:
                data, headers = fake.api(request.method, path, request.query_params, body, request.headers)
        except ApiError as e:
            return _error(e)
        status = headers.pop("__status__", 200)
        return JSONResponse(data, status_code=status, headers=headers)

    @app.post("/_fake/status")
    async def status(request: Request):
        b = await request.json()
        try:
            return request.app.state.fake.inject_status(
                b["from"], b["text"], b.get("visibility") or "public", b.get("in_reply_to_id")
            )
        except ApiError as e:
            return _error(e)

    @app.post("/_fake/fail")
    async def fail(request: Request):
        b = await request.json()
        request.app.state.fake.fail(
            b["status"], b.get("times", 1), b.get("retry_after"), b.get("path_prefix")
        )
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
