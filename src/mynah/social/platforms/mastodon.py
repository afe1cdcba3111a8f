"""Mastodon: what an instance says about itself, and the platform adapter (`Mastodon`)."""

from __future__ import annotations

import json
import logging
import re
import threading
import time

import httpx

from mynah.social.length import LengthRule, rule_for
from mynah.social.platforms.base import (
    Event,
    Send,
    SendError,
    Sent,
    media_bytes,
    retry_after,
    same_text,
)

MAX_IMAGES = 4
DESCRIPTION_MAX = 1500  # Mastodon's limit on a media description (alt text)


def instance_max_characters(url: str, timeout: float = 10.0) -> int:
    """The instance's post length, `configuration.statuses.max_characters` of its
    /api/v2/instance (Mastodon 4.0 and later; glitch-soc and forks may allow more than 500)."""
    endpoint = url.rstrip("/") + "/api/v2/instance"
    try:
        r = httpx.get(endpoint, timeout=timeout, follow_redirects=True)
        r.raise_for_status()
        value = r.json()["configuration"]["statuses"]["max_characters"]
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as e:
        raise ValueError(
            f"--mastodon-instance: could not read configuration.statuses.max_characters from {endpoint}: {e}"
        ) from None
    if not isinstance(value, int) or value < 1:
        raise ValueError(
            f"--mastodon-instance: {endpoint} gives max_characters {value!r}, not a positive number"
        )
    return value


def status_text(content: str) -> str:
    """A status's HTML as plain text, as the customer wrote it: paragraphs and <br> as
    newlines, h-card mentions as "@user", and each link as its full href (Mastodon shows a
    shortened "example.com/long…" with the rest in invisible spans; the corpus reader's
    `mastodon_html_to_text` keeps that display form)."""
    from html.parser import HTMLParser

    class P(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.out: list[str] = []
            self.link = 0  # depth inside a plain link (not a mention or hashtag)

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            classes = (a.get("class") or "").split()
            if tag == "br":
                self.out.append("\n")
            elif tag == "p" and self.out:
                self.out.append("\n\n")
            elif tag == "a":
                if self.link or "mention" in classes or "hashtag" in classes or not a.get("href"):
                    self.link += bool(self.link)
                else:
                    self.out.append(a["href"])
                    self.link = 1

        def handle_endtag(self, tag):
            if tag == "a" and self.link:
                self.link -= 1

        def handle_data(self, data):
            if not self.link:
                self.out.append(data)

    p = P()
    p.feed(content or "")
    p.close()
    return re.sub(r"\n{3,}", "\n\n", "".join(p.out)).strip()


# ---- the adapter ----------------------------------------------------------------------------

log = logging.getLogger(__name__)


class Mastodon:
    """Mentions and direct statuses in (notifications, or the streaming API), statuses out.

    Plain `httpx` rather than Mastodon.py: a handful of endpoints, and the outbox needs the
    raw status codes and rate-limit headers (X-RateLimit-Reset) for its retries; Mastodon.py
    also checks the instance's version when it starts. Sends carry `Idempotency-Key` (the
    Send's key), so Mastodon itself drops a repeated send of the same status.

    A DM is a `direct` status: the answer mentions the customer (prepended when the text does
    not) and replies to their status. The access token is never logged nor shown in repr.

    A reply with images (`Send.media`): each is uploaded with POST /api/v2/media (multipart
    `file` and `description`, the alt text); a 202 means the instance is still processing it,
    and GET /api/v1/media/:id is polled (206 while processing, 200 when done) a bounded number
    of times before the status is posted with `media_ids` (Mastodon refuses a status whose
    media are not processed yet).
    """

    media_polls = 10  # GET /api/v1/media/:id at most this many times per image
    media_poll_interval = 0.5  # seconds, doubled after each poll up to 2

    platform = "mastodon"

    def __init__(
        self,
        api_base: str,
        access_token: str,
        client: httpx.Client | None = None,
        timeout: float = 10,
        stream_read_timeout: float = 45.0,
    ):
        self.api_base = api_base.rstrip("/")
        self.__token = access_token
        self.timeout = timeout
        self.stream_read_timeout = stream_read_timeout  # Mastodon's heartbeat comes every 15 s
        self.client = client or httpx.Client(timeout=timeout)
        self._me: dict | None = None
        self._rule: LengthRule | None = None

    def __repr__(self) -> str:
        return f"Mastodon(api_base={self.api_base!r})"

    def close(self) -> None:
        self.client.close()

    @property
    def _auth(self) -> dict:
        return {"Authorization": f"Bearer {self.__token}"}

    def _request(self, method: str, path: str, what: str, **kw) -> httpx.Response:
        headers = {**self._auth, **kw.pop("headers", {})}
        try:
            r = self.client.request(method, self.api_base + path, headers=headers, **kw)
        except httpx.HTTPError as e:
            raise SendError(f"mastodon {what}: {type(e).__name__}: {e}") from None
        if r.status_code >= 300:
            raise _error(r, what)
        return r

    # ---- account ----
    def _account(self) -> dict:
        if self._me is None:
            self._me = self._request(
                "GET", "/api/v1/accounts/verify_credentials", "verify credentials"
            ).json()
        return self._me

    @property
    def account_id(self) -> str:
        return str(self._account()["id"])

    @property
    def acct(self) -> str:
        return self._account()["acct"]

    def rule(self) -> LengthRule:
        if self._rule is None:
            try:
                limit = instance_max_characters(self.api_base, timeout=self.timeout)
            except ValueError as e:
                log.warning("mastodon: %s; counting with the default 500", e)
                limit = None
            self._rule = rule_for("mastodon", limit)
        return self._rule

    # ---- events ----
    def event(self, n: dict) -> Event | None:
        """The Event of a notification: a mention (or a direct status) from someone else."""
        s, account = n.get("status") or {}, n.get("account") or {}
        if n.get("type") != "mention" or not s or str(account.get("id")) == self.account_id:
            return None
        direct = s.get("visibility") == "direct"
        acct = account.get("acct", "")
        return Event(
            platform="mastodon",
            id=str(n["id"]),
            kind="dm" if direct else "mention",
            sender_id=str(account.get("id")),
            sender_handle=acct,
            text=status_text(s.get("content") or ""),
            conversation=acct if direct else str(s["id"]),
            post_id=str(s["id"]),
            parent_id=str(s["in_reply_to_id"]) if s.get("in_reply_to_id") else None,
            created_at=s.get("created_at") or n.get("created_at"),
            ref={"visibility": s.get("visibility"), "status_id": str(s["id"]), "acct": acct},
        )

    def poll(self, cursor: dict | None) -> tuple[list[Event], dict | None]:
        """Mention notifications after `cursor["since_id"]`, paged forward with min_id (each
        page is the oldest `limit` after it, newest first, so there are no gaps); the first
        run (no cursor) takes the newest page."""
        since = (cursor or {}).get("since_id")
        found: dict[str, dict] = {}
        for _ in range(20):
            params = [("types[]", "mention"), ("limit", 40)]
            if since:
                params.append(("min_id", since))
            page = self._request("GET", "/api/v1/notifications", "poll notifications", params=params).json()
            for n in page:
                found[str(n["id"])] = n
            if not page or not since or len(page) < 40:
                break
            since = str(max(int(n["id"]) for n in page))
        ids = sorted(found, key=int)
        events = [e for e in (self.event(found[i]) for i in ids) if e]
        new = {**(cursor or {}), "since_id": ids[-1]} if ids else cursor
        return events, new

    def seen(self, cursor: dict | None) -> None:
        """Nothing to tell: Mastodon's notifications have no read marker that matters here."""

    def stream(self, on_event, stop: threading.Event) -> None:
        """Call `on_event(Event)` for each mention the streaming API pushes, until `stop` is
        set or the stream ends or fails (the caller then polls). Reads are bounded by
        `stream_read_timeout` (the server's heartbeats keep a quiet stream open), and `stop`
        is checked at every line, heartbeats included."""
        url = self.api_base + "/api/v1/streaming/user/notification"
        timeout = httpx.Timeout(self.timeout, read=self.stream_read_timeout)
        event_name, data = None, []
        try:
            with self.client.stream("GET", url, headers=self._auth, timeout=timeout) as r:
                if r.status_code != 200:
                    log.warning("mastodon: streaming answered HTTP %s", r.status_code)
                    return
                for line in r.iter_lines():
                    if stop.is_set():
                        return
                    if line == "":
                        if event_name == "notification" and data:
                            try:
                                e = self.event(json.loads("\n".join(data)))
                            except (ValueError, KeyError, TypeError) as err:
                                log.warning("mastodon: a streamed notification was not understood: %s", err)
                                e = None
                            if e:
                                on_event(e)
                        event_name, data = None, []
                    elif line.startswith(":"):
                        continue  # heartbeat
                    elif line.startswith("event:"):
                        event_name = line[6:].strip()
                    elif line.startswith("data:"):
                        data.append(line[5:].removeprefix(" "))
        except (httpx.HTTPError, SendError) as e:
            log.info("mastodon: stream ended: %s", e)

    # ---- sending ----
    def upload(self, data: bytes, alt: str | None) -> str:
        """Upload one image with its description; its media id once the instance has
        processed it (a retryable SendError if it has not after `media_polls` looks)."""
        form = {"description": alt.strip()[:DESCRIPTION_MAX]} if alt and alt.strip() else None
        r = self._request(
            "POST",
            "/api/v2/media",
            "upload media",
            files={"file": ("chart.png", data, "image/png")},
            data=form,
        )
        media_id = str(r.json()["id"])
        processing = r.status_code == 202  # (200: processed already)
        wait = self.media_poll_interval
        for _ in range(self.media_polls if processing else 0):
            time.sleep(wait)
            wait = min(2.0, wait * 2)
            r = self._request("GET", f"/api/v1/media/{media_id}", "media status")
            processing = r.status_code == 206
            if not processing:
                break
        if processing:
            raise SendError(
                f"mastodon upload media: {media_id} still processing after {self.media_polls} looks",
                retry_after=30,
            )
        return media_id

    def send(self, s: Send) -> Sent:
        if s.media and s.kind != "reply":
            raise SendError(f"mastodon {s.kind}: images are attached to replies only", permanent=True)
        if len(s.media) > MAX_IMAGES:
            raise SendError(
                f"mastodon reply: {len(s.media)} images, a status takes {MAX_IMAGES}", permanent=True
            )
        text = s.text
        if s.kind == "dm":
            acct = s.to.lstrip("@")
            if not re.search(r"(?<![\w/])@" + re.escape(acct) + r"(?![\w@.-]*\w)", text):
                text = f"@{acct} {text}"
            body = {"status": text, "visibility": "direct", "in_reply_to_id": s.ref.get("status_id")}
        else:
            body = {"status": text, "in_reply_to_id": s.to, "visibility": s.ref.get("visibility") or "public"}
            if s.media:
                # Uploaded on every attempt: a crash (or a failed post) after an upload leaves
                # it unattached, and Mastodon deletes unattached media; the status itself is
                # deduplicated by its Idempotency-Key and the outbox's find_sent.
                images = [media_bytes(m, "mastodon reply") for m in s.media]
                body["media_ids"] = [self.upload(b, m.get("alt")) for b, m in zip(images, s.media)]
        r = self._request(
            "POST", "/api/v1/statuses", f"post {s.kind}", json=body, headers={"Idempotency-Key": s.key}
        )
        return Sent(id=str(r.json()["id"]))

    def find_sent(self, s: Send) -> Sent | None:
        target = s.to if s.kind == "reply" else s.ref.get("status_id")
        mine = self._request(
            "GET", f"/api/v1/accounts/{self.account_id}/statuses", "list own statuses", params={"limit": 40}
        ).json()
        acct = s.to.lstrip("@")
        for st in mine:
            if str(st.get("in_reply_to_id") or "") != str(target or ""):
                continue
            text = status_text(st.get("content") or "")
            if same_text(text, s.text) or (s.kind == "dm" and same_text(text, f"@{acct} {s.text}")):
                return Sent(id=str(st["id"]))
        return None

    def thread(self, e: Event, limit: int = 8) -> list[dict]:
        ctx = self._request("GET", f"/api/v1/statuses/{e.post_id}/context", "read thread").json()
        out = []
        for st in (ctx.get("ancestors") or [])[-limit:]:
            out.append(
                {
                    "id": str(st["id"]),
                    "author": (st.get("account") or {}).get("acct", ""),
                    "text": status_text(st.get("content") or ""),
                    "created_at": st.get("created_at"),
                    "url": st.get("url") or st.get("uri"),
                }
            )
        return out


def _error(r: httpx.Response, what: str) -> SendError:
    try:
        detail = r.json().get("error") or r.text[:200]
    except (ValueError, AttributeError):
        detail = r.text[:200]
    msg = f"mastodon {what}: HTTP {r.status_code} {detail}"
    if r.status_code == 429 or r.status_code >= 500 or r.status_code in (408, 409, 425):
        return SendError(msg, retry_after=retry_after(r.headers, time.time()))
    return SendError(msg, permanent=True)
