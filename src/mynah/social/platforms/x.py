"""X (Twitter): the Account Activity webhook's helpers and the X API v2 adapter.

Webhook (X's Account Activity API; the FastAPI route that calls these lives with the server):

- `crc_response`: the answer to X's challenge-response check, a GET with `crc_token`:
  `{"response_token": "sha256=" + base64(HMAC-SHA256(consumer secret, crc_token))}`.
- `verify_signature`: every delivery (a POST) carries `x-twitter-webhooks-signature:
  sha256=<base64 HMAC-SHA256(consumer secret, raw body)>`; compared in constant time.
- `parse_events`: a delivery's payload (`for_user_id`, `direct_message_events` with the
  `users` map, `tweet_create_events` as v1.1 tweets) to mynah's `Event`s, with a note for
  everything skipped. The account's own DMs and tweets are dropped (X delivers them too), and
  so are retweets; a tweet is kept only if it mentions or quotes the account (X's rule for
  self-serve tiers: a bot replies only when the author tagged or quoted it).

Adapter (`X`): X API v2 with OAuth 1.0a user context (oauthlib signs every request, HMAC-SHA1;
a JSON body is not part of the signature base string, query parameters are):
POST /2/tweets (a reply: `reply.in_reply_to_tweet_id`), POST
/2/dm_conversations/with/:participant_id/messages (a DM), and for reconciliation and context
GET /2/users/:id/tweets, GET /2/dm_conversations/with/:participant_id/dm_events and
GET /2/tweets/:id.

A reply with images (`Send.media`): each is uploaded with POST /2/media/upload (the simple
upload: a multipart form with the raw bytes in `media`, `media_category=tweet_image` and
`media_type=image/png`; a multipart body is not part of the OAuth 1.0a signature), its alt
text set with POST /2/media/metadata (`{"id", "metadata": {"alt_text": {"text"}}}`), and the
reply posted with `"media": {"media_ids": [...]}`. X shows such a tweet's text with the
media's t.co link appended, which reconciliation ignores.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import logging
import re
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import quote, urlencode

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

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "x-twitter-webhooks-signature"


# --- webhook -------------------------------------------------------------------------------


def _key(secret: str | bytes) -> bytes:
    return secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)


def _hmac_b64(secret: str | bytes, message: str | bytes) -> str:
    msg = message.encode("utf-8") if isinstance(message, str) else bytes(message)
    return base64.b64encode(hmac.new(_key(secret), msg, hashlib.sha256).digest()).decode("ascii")


def crc_response(consumer_secret: str | bytes, crc_token: str) -> dict:
    """The JSON body that answers X's CRC GET (`?crc_token=...`)."""
    return {"response_token": "sha256=" + _hmac_b64(consumer_secret, crc_token)}


def sign_body(consumer_secret: str | bytes, raw_body: bytes) -> str:
    """The `x-twitter-webhooks-signature` header X sends with `raw_body`."""
    return "sha256=" + _hmac_b64(consumer_secret, raw_body)


def verify_signature(consumer_secret: str | bytes, raw_body: bytes, header: str | None) -> bool:
    """Whether `header` (x-twitter-webhooks-signature) signs `raw_body` with the consumer
    secret; a missing or malformed header is False. Constant-time comparison."""
    if not isinstance(header, str) or not header.startswith("sha256="):
        return False
    given = header[len("sha256=") :].strip()
    try:
        given_bytes = base64.b64decode(given, validate=True)
    except (ValueError, TypeError):
        return False
    if len(given_bytes) != hashlib.sha256().digest_size:
        return False
    if isinstance(raw_body, str):
        raw_body = raw_body.encode("utf-8")
    expected = hmac.new(_key(consumer_secret), bytes(raw_body), hashlib.sha256).digest()
    return hmac.compare_digest(expected, given_bytes)


_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    )
}
_V1_DATE = re.compile(r"^\w{3} (\w{3}) (\d{1,2}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2}) (\d{4})$")


def _iso(dt: datetime) -> str:
    dt = dt.astimezone(timezone.utc)
    spec = "milliseconds" if dt.microsecond else "seconds"
    return dt.isoformat(timespec=spec).replace("+00:00", "Z")


def v1_time(s: str) -> str:
    """v1.1's created_at ("Wed Oct 10 20:19:24 +0000 2018") as ISO 8601 UTC; parsed by hand,
    not with strptime's locale-dependent %a/%b."""
    m = _V1_DATE.match(s.strip()) if isinstance(s, str) else None
    if not m or m.group(1) not in _MONTHS:
        raise ValueError(f"not a v1.1 created_at: {s!r}")
    mon, day, hh, mm, ss, sign, oh, om, year = m.groups()
    offset = (int(oh) * 60 + int(om)) * (1 if sign == "+" else -1)
    tz = timezone(timedelta(minutes=offset))
    return _iso(datetime(int(year), _MONTHS[mon], int(day), int(hh), int(mm), int(ss), tzinfo=tz))


def ms_time(ms) -> str:
    """An epoch-milliseconds timestamp (X's created_timestamp, a string) as ISO 8601 UTC."""
    if isinstance(ms, bool) or not isinstance(ms, (str, int)) or not str(ms).isdigit():
        raise ValueError(f"not an epoch-milliseconds timestamp: {ms!r}")
    return _iso(datetime.fromtimestamp(int(ms) / 1000, tz=timezone.utc))


class _Bad(Exception):
    """An item lacks `field` or has it with the wrong type."""

    def __init__(self, field: str):
        super().__init__(field)
        self.field = field


_MISSING = object()


def _get(d, path: str, kind=str, required: bool = True):
    """`d`'s value at the dotted `path`, of type `kind` (str: also a non-bool int, as a
    string). Missing or mistyped: _Bad(path) if required, else None."""
    cur = d
    for part in path.split("."):
        cur = cur.get(part, _MISSING) if isinstance(cur, dict) else _MISSING
        if cur is _MISSING:
            break
    if cur is _MISSING or cur is None:
        if required:
            raise _Bad(path)
        return None
    if kind is str and isinstance(cur, int) and not isinstance(cur, bool):
        return str(cur)
    if not isinstance(cur, kind) or (kind is int and isinstance(cur, bool)):
        if required:
            raise _Bad(path)
        return None
    return cur


# keys of a delivery that carry no events of their own
_AUX = {"for_user_id", "users", "apps", "user_has_blocked", "source"}


def parse_events(payload: dict, account_id: str) -> tuple[list[Event], list[str]]:
    """The events in one Account Activity delivery addressed to `account_id`, and a note for
    each thing skipped. Never raises on a dict."""
    events: list[Event] = []
    notes: list[str] = []
    if not isinstance(payload, dict):
        return events, [f"payload is not a JSON object ({type(payload).__name__})"]
    account_id = str(account_id)
    for_user = payload.get("for_user_id")
    if for_user is None or str(for_user) != account_id:
        kinds = sorted(k for k in payload if k not in _AUX)
        return events, [
            f"event for another account (for_user_id {for_user!r}, not {account_id}): skipped {', '.join(kinds) or 'nothing'}"
        ]

    users = payload.get("users") if isinstance(payload.get("users"), dict) else {}
    for key, value in payload.items():
        if key in _AUX:
            continue
        if key == "direct_message_events":
            items = value if isinstance(value, list) else None
            if items is None:
                notes.append("direct_message_events is not a list: skipped")
                continue
            for i, item in enumerate(items):
                _one(events, notes, f"direct_message_events[{i}]", lambda it=item: _dm(it, users, account_id))
        elif key == "tweet_create_events":
            items = value if isinstance(value, list) else None
            if items is None:
                notes.append("tweet_create_events is not a list: skipped")
                continue
            for i, item in enumerate(items):
                _one(events, notes, f"tweet_create_events[{i}]", lambda it=item: _tweet(it, account_id))
        else:
            n = len(value) if isinstance(value, list) else 1
            notes.append(f"ignored event type {key} ({n} item{'s' if n != 1 else ''})")
    return events, notes


def _one(events: list[Event], notes: list[str], where: str, parse) -> None:
    try:
        event, why = parse()
    except _Bad as e:
        notes.append(f"{where}: missing or invalid field {e.field}: skipped")
        return
    except Exception as e:  # an item shaped in a way nobody foresaw must not sink its neighbours
        notes.append(f"{where}: unreadable ({type(e).__name__}: {e}): skipped")
        return
    if event is None:
        notes.append(f"{where}: {why}")
    else:
        events.append(event)
        if why:
            notes.append(f"{where}: {why}")


def _dm(item, users: dict, account_id: str) -> tuple[Event | None, str | None]:
    if not isinstance(item, dict):
        raise _Bad("(item)")
    kind = item.get("type")
    if kind != "message_create":
        return None, f"ignored direct message event of type {kind!r}"
    eid = _get(item, "id")
    sender = _get(item, "message_create.sender_id")
    text = _get(item, "message_create.message_data.text")
    _get(item, "message_create.target.recipient_id", required=False)
    if sender == account_id:
        return None, f"own direct message {eid}: dropped"
    note = None
    try:
        created = ms_time(item.get("created_timestamp"))
    except ValueError:
        created, note = None, "missing or invalid field created_timestamp (kept without a time)"
    u = users.get(sender)
    handle = u.get("screen_name") if isinstance(u, dict) and isinstance(u.get("screen_name"), str) else None
    event = Event(
        platform="x",
        id=eid,
        kind="dm",
        sender_id=sender,
        text=text,
        conversation=sender,
        sender_handle=handle,
        created_at=created,
    )
    return event, note


def _tweet(item, account_id: str) -> tuple[Event | None, str | None]:
    if not isinstance(item, dict):
        raise _Bad("(item)")
    tid = _get(item, "id_str")
    sender = _get(item, "user.id_str")
    handle = _get(item, "user.screen_name", required=False)
    if sender == account_id:
        return None, f"own tweet {tid}: dropped"
    if "retweeted_status" in item and item["retweeted_status"] is not None:
        return None, f"retweet {tid}: dropped"
    text = _get(item, "extended_tweet.full_text", required=False)
    if text is None:
        text = _get(item, "full_text", required=False)
    if text is None:
        text = _get(item, "text")
    mentioned = set()
    for path in ("entities.user_mentions", "extended_tweet.entities.user_mentions"):
        ms = _get(item, path, list, required=False) or []
        for m in ms:
            if isinstance(m, dict) and m.get("id_str") is not None:
                mentioned.add(str(m["id_str"]))
            elif isinstance(m, dict) and isinstance(m.get("id"), int):
                mentioned.add(str(m["id"]))
    quoted_author = None
    if item.get("is_quote_status") is True:
        quoted_author = _get(item, "quoted_status.user.id_str", required=False)
    if account_id not in mentioned and quoted_author != account_id:
        return None, f"tweet {tid} by {handle or sender} neither mentions nor quotes the account: skipped"
    note = None
    created = None
    if item.get("created_at") is not None:
        try:
            created = v1_time(item["created_at"])
        except ValueError:
            note = "invalid field created_at (kept without a time)"
    event = Event(
        platform="x",
        id=tid,
        kind="mention",
        sender_id=sender,
        text=html.unescape(text),  # X escapes &, < and > in tweet text
        conversation=tid,
        sender_handle=handle,
        post_id=tid,
        parent_id=_get(item, "in_reply_to_status_id_str", required=False),
        created_at=created,
    )
    return event, note


# --- the adapter ---------------------------------------------------------------------------

_LEADING_MENTIONS = re.compile(r"^(?:\s*@\w{1,15})+\s*")


def _strip_leading_mentions(text: str) -> str:
    """A reply's text as X shows it begins with the replied-to handles ("@alice hi")."""
    return _LEADING_MENTIONS.sub("", text)


# X appends the attached media's link to the text of a tweet with media
_MEDIA_LINK = re.compile(r"\s*https://t\.co/\w+\s*$")
ALT_TEXT_MAX = 1000  # X's limit on an image's alt text
MAX_IMAGES = 4


def _matches(platform_text: str, sent_text: str, media: bool = False) -> bool:
    t = html.unescape(platform_text or "")
    if media:
        t = _MEDIA_LINK.sub("", t)
    return same_text(t, sent_text) or same_text(
        _strip_leading_mentions(t), _strip_leading_mentions(sent_text)
    )


def _detail(resp: httpx.Response) -> str:
    """X's error detail: v2's problem JSON ({"title", "detail", ...}) or v1.1's errors list."""
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:300] or resp.reason_phrase
    if isinstance(body, dict):
        parts = [body.get("title"), body.get("detail")]
        errors = body.get("errors")
        if isinstance(errors, list):
            for e in errors[:3]:
                if isinstance(e, dict):
                    parts.append(e.get("message") or e.get("detail") or e.get("title"))
        text = ": ".join(str(p) for p in parts if p)
        if text:
            return text
    return json.dumps(body)[:300]


_RETRYABLE_4XX = {408, 409, 425, 429}


class X:
    """The X adapter: OAuth 1.0a user context for the account `account_id` (its user id)."""

    platform = "x"

    def __init__(
        self,
        account_id: str,
        consumer_key: str,
        consumer_secret: str,
        access_token: str,
        access_token_secret: str,
        api_base: str = "https://api.x.com",
        client: httpx.Client | None = None,
        timeout: float = 10,
    ):
        from oauthlib.oauth1 import SIGNATURE_HMAC_SHA1, SIGNATURE_TYPE_AUTH_HEADER, Client

        self.account_id = str(account_id)
        self.api_base = api_base.rstrip("/")
        self._oauth = Client(
            consumer_key,
            client_secret=consumer_secret,
            resource_owner_key=access_token,
            resource_owner_secret=access_token_secret,
            signature_method=SIGNATURE_HMAC_SHA1,
            signature_type=SIGNATURE_TYPE_AUTH_HEADER,
        )
        self._http = client or httpx.Client(timeout=timeout)
        self._own_client = client is None

    def __repr__(self) -> str:  # never the keys
        return f"X(account_id={self.account_id!r}, api_base={self.api_base!r})"

    def close(self) -> None:
        if self._own_client:
            self._http.close()

    def rule(self) -> LengthRule:
        return rule_for("x")

    # -- HTTP --

    def _request(
        self,
        method: str,
        path: str,
        params: dict | None = None,
        body: dict | None = None,
        files: dict | None = None,
        form: dict | None = None,
    ) -> httpx.Response:
        """One signed request. The URL carries the query exactly as signed; a JSON or a
        multipart body is left out of the signature (OAuth 1.0a signs only form-encoded
        bodies). `files` and `form`: a multipart body (httpx sets its Content-Type)."""
        url = self.api_base + path
        if params:
            url += "?" + urlencode(params, quote_via=quote, safe="")
        uri, headers, _ = self._oauth.sign(url, http_method=method)
        if files is not None:
            return self._http.request(method, uri, headers=headers, files=files, data=form)
        content = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            content = json.dumps(body).encode("utf-8")
        return self._http.request(method, uri, headers=headers, content=content)

    def _call(
        self, what: str, method: str, path: str, params=None, body=None, files=None, form=None
    ) -> httpx.Response:
        """`_request`, with failures as SendError: 429, 5xx, 408/409/425 and transport errors
        retryable (with X's wait), other 4xx permanent."""
        try:
            resp = self._request(method, path, params, body, files, form)
        except httpx.HTTPError as e:
            raise SendError(f"X {what}: {type(e).__name__}: {e}") from None
        if resp.status_code < 400:
            return resp
        msg = f"X {what}: HTTP {resp.status_code}: {_detail(resp)}"
        if resp.status_code >= 500 or resp.status_code in _RETRYABLE_4XX:
            raise SendError(msg, retry_after=retry_after(resp.headers, time.time()))
        raise SendError(msg, permanent=True)

    @staticmethod
    def _json(resp: httpx.Response, what: str) -> dict:
        try:
            body = resp.json()
        except ValueError:
            raise SendError(f"X {what}: HTTP {resp.status_code} with a body that is not JSON") from None
        if not isinstance(body, dict):
            raise SendError(f"X {what}: unexpected response {str(body)[:200]}")
        return body

    # -- Adapter --

    def upload(self, data: bytes, alt: str | None) -> str:
        """Upload one image (and set its alt text); its media id."""
        files = {"media": ("chart.png", data, "image/png")}
        resp = self._call(
            "media upload",
            "POST",
            "/2/media/upload",
            files=files,
            form={"media_category": "tweet_image", "media_type": "image/png"},
        )
        got = self._json(resp, "media upload").get("data")
        if not isinstance(got, dict) or not got.get("id"):
            raise SendError(f"X media upload: no data.id in the response: {resp.text[:200]}")
        media_id = str(got["id"])
        if alt and alt.strip():
            body = {"id": media_id, "metadata": {"alt_text": {"text": alt.strip()[:ALT_TEXT_MAX]}}}
            self._call("media alt text", "POST", "/2/media/metadata", body=body)
        return media_id

    def send(self, s: Send) -> Sent:
        if s.media and s.kind != "reply":
            raise SendError(f"X {s.kind}: images are attached to replies only", permanent=True)
        if len(s.media) > MAX_IMAGES:
            raise SendError(f"X reply: {len(s.media)} images, X takes {MAX_IMAGES}", permanent=True)
        if s.kind == "reply":
            body = {"text": s.text, "reply": {"in_reply_to_tweet_id": str(s.to)}}
            if s.media:
                # Uploaded on every attempt: a crash (or a failed post) after an upload leaves
                # that upload unused, and X expires it; the post itself is deduplicated by
                # the outbox (find_sent), so it is never made twice.
                images = [media_bytes(m, "X reply") for m in s.media]
                ids = [self.upload(b, m.get("alt")) for b, m in zip(images, s.media)]
                body["media"] = {"media_ids": ids}
            resp = self._call("reply", "POST", "/2/tweets", body=body)
            data = self._json(resp, "reply").get("data")
            if not isinstance(data, dict) or not data.get("id"):
                raise SendError(f"X reply: no data.id in the response: {resp.text[:200]}")
            return Sent(id=str(data["id"]))
        if s.kind == "dm":
            participant = str(s.recipient_id or s.to)
            path = f"/2/dm_conversations/with/{quote(participant, safe='')}/messages"
            resp = self._call("DM", "POST", path, body={"text": s.text})
            data = self._json(resp, "DM").get("data")
            if not isinstance(data, dict) or not data.get("dm_event_id"):
                raise SendError(f"X DM: no data.dm_event_id in the response: {resp.text[:200]}")
            return Sent(id=str(data["dm_event_id"]))
        raise SendError(f"X cannot send a {s.kind!r}", permanent=True)

    def find_sent(self, s: Send) -> Sent | None:
        if s.kind == "reply":
            params = {"max_results": 100, "tweet.fields": "referenced_tweets,created_at"}
            resp = self._call("timeline", "GET", f"/2/users/{quote(self.account_id, safe='')}/tweets", params)
            for t in self._json(resp, "timeline").get("data") or []:
                if not isinstance(t, dict):
                    continue
                refs = t.get("referenced_tweets") or []
                replied = any(
                    isinstance(r, dict) and r.get("type") == "replied_to" and str(r.get("id")) == str(s.to)
                    for r in refs
                )
                if replied and isinstance(t.get("text"), str) and _matches(t["text"], s.text, bool(s.media)):
                    return Sent(id=str(t["id"]))
            return None
        if s.kind == "dm":
            participant = str(s.recipient_id or s.to)
            params = {"max_results": 100, "dm_event.fields": "sender_id,text,created_at"}
            path = f"/2/dm_conversations/with/{quote(participant, safe='')}/dm_events"
            resp = self._call("DM events", "GET", path, params)
            for ev in self._json(resp, "DM events").get("data") or []:
                if not isinstance(ev, dict) or ev.get("event_type", "MessageCreate") != "MessageCreate":
                    continue
                mine = str(ev.get("sender_id")) == self.account_id and isinstance(ev.get("text"), str)
                if mine and same_text(ev["text"], s.text):
                    return Sent(id=str(ev["id"]))
            return None
        return None

    def thread(self, e: Event, limit: int = 8) -> list[dict]:
        """The parents of mention `e`, oldest first, walked up from `e.parent_id` until a
        tweet without a parent, a deleted or invisible one, or `limit`. A failed lookup ends
        the walk with what was found (context is a help, not a must)."""
        out: list[dict] = []
        seen: set[str] = set()
        tid = e.parent_id
        params = {
            "tweet.fields": "referenced_tweets,author_id,created_at",
            "expansions": "author_id",
            "user.fields": "username",
        }
        while tid and len(out) < limit and tid not in seen:
            seen.add(tid)
            try:
                resp = self._request("GET", f"/2/tweets/{quote(str(tid), safe='')}", params)
            except httpx.HTTPError as err:
                log.warning("X thread: lookup of %s failed: %s", tid, err)
                break
            if resp.status_code == 404:
                break
            if resp.status_code >= 400:
                log.warning("X thread: lookup of %s: HTTP %s: %s", tid, resp.status_code, _detail(resp))
                break
            try:
                body = resp.json()
            except ValueError:
                break
            data = body.get("data") if isinstance(body, dict) else None
            if not isinstance(data, dict):  # X answers a deleted tweet with 200 and "errors"
                break
            users = (body.get("includes") or {}).get("users") or []
            names = {str(u.get("id")): u.get("username") for u in users if isinstance(u, dict)}
            author = names.get(str(data.get("author_id"))) or str(data.get("author_id") or "")
            pid = str(data.get("id") or tid)
            out.append(
                {
                    "id": pid,
                    "author": author,
                    "text": html.unescape(data.get("text") or ""),
                    "created_at": data.get("created_at"),
                    "url": f"https://x.com/{author or 'i'}/status/{pid}",
                }
            )
            tid = next(
                (
                    str(r["id"])
                    for r in data.get("referenced_tweets") or []
                    if isinstance(r, dict) and r.get("type") == "replied_to" and r.get("id")
                ),
                None,
            )
        out.reverse()
        return out
