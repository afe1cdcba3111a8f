"""A fake X on 127.0.0.1: the X API v2 endpoints mynah's adapter calls, and the Account
Activity webhook's deliveries, for the tests and the demo.

v2 endpoints (each needs OAuth 1.0a user context: a well-formed `Authorization: OAuth ...`
header with the right consumer key, and, when the fake knows the access token secret, a valid
HMAC-SHA1 signature, a fresh timestamp and an unused nonce; else 401 in X's problem shape. An
app-only `Bearer` token gets 403 "Unsupported Authentication" except on the tweet lookups):

    POST /2/tweets                                          create (text, reply.in_reply_to_tweet_id, quote_tweet_id)
    GET  /2/tweets/{id}                                     lookup (tweet.fields, expansions=author_id, user.fields)
    GET  /2/users/{id}/tweets                               a user's timeline, newest first
    POST /2/dm_conversations/with/{participant_id}/messages  send a DM
    GET  /2/dm_conversations/with/{participant_id}/dm_events the 1:1 conversation's events, newest first
    POST /2/media/upload                                    simple upload: multipart `media` (raw bytes) and
                                                            `media_category` (or JSON with `media` in base64)
    POST /2/media/metadata                                  alt text: {"id", "metadata": {"alt_text": {"text"}}}

As on X: an account's tweet with the same text as one of its earlier tweets is refused (403
"duplicate content"); a reply to a tweet the fake does not have is refused (403); a reply's
text as read back begins with the replied-to author's @handle; tweet text is read back with
&, < and > escaped; a deleted or unknown tweet is a 200 with "errors" and no "data". An upload
keeps its bytes as received (`fake.media[id]["bytes"]`); a tweet may attach up to 4 of the
account's uploads (`media.media_ids`, else 400), may then have no text, and reads back with a
t.co link for them appended to its text, as X shows it.

Controls (HTTP, and the same as methods of `app.state.fake`, a `FakeX`):

    POST /_fake/webhook  {"url"}                         where deliveries go
    POST /_fake/tweet    {"text", "user_id"?, "screen_name"?, "in_reply_to"?}   a tweet, no delivery
    POST /_fake/dm       {"sender_id", "screen_name", "text"}                    a DM to the account, delivered
    POST /_fake/mention  {"user_id", "screen_name", "text", "in_reply_to"?, "quote"?}  a tweet, delivered
    POST /_fake/fail     {"status", "times"?, "retry_after"?, "path_prefix"?}   the next calls fail
    POST /_fake/crc      {"url"?}                        X's CRC GET to the webhook; is the answer right?
    GET  /_fake/sent | /_fake/requests | /_fake/deliveries

A delivery is the Account Activity payload (`for_user_id`, `direct_message_events` with
`users`, or `tweet_create_events` as v1.1 tweets with entities.user_mentions from the
@handles in the text), signed in `x-twitter-webhooks-signature` with the consumer secret and
POSTed to the webhook; the answer is {"id", "status", "error", "payload"}.
"""

from __future__ import annotations

import base64
import html
import json
import re
import secrets
import threading
import time
from datetime import datetime, timezone
from http import HTTPStatus
from pathlib import Path
from typing import Annotated

import httpx
from fastapi import Body, FastAPI, Request
from fastapi.responses import JSONResponse

from mynah.social.fakes import parse_multipart, sniff
from mynah.social.length import rule_for
from mynah.social.platforms.base import png_size
from mynah.social.platforms.x import SIGNATURE_HEADER, crc_response, sign_body

OAUTH_REQUIRED = (
    "oauth_consumer_key",
    "oauth_nonce",
    "oauth_signature",
    "oauth_signature_method",
    "oauth_timestamp",
    "oauth_token",
    "oauth_version",
)
TIMESTAMP_WINDOW = 300  # seconds either side of the fake's clock
RATE_LIMIT = 300  # x-rate-limit-limit the fake reports
MEDIA_CATEGORIES = ("tweet_image", "tweet_gif", "tweet_video", "dm_image", "dm_gif", "dm_video", "subtitles")
MAX_IMAGE_BYTES = 5 * 1024 * 1024  # X: images up to 5 MB

_HANDLE = re.compile(r"(?<![A-Za-z0-9_@])@([A-Za-z0-9_]{1,15})")
_DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


class Parts(dict):
    """A multipart/form-data body: `fakes.Part`s by name (JSON endpoints refuse it)."""


def problem(status: int, detail: str, title: str | None = None, type_: str = "about:blank", headers=None):
    """An error in X API v2's problem shape."""
    body = {"title": title or HTTPStatus(status).phrase, "detail": detail, "type": type_, "status": status}
    return JSONResponse(body, status_code=status, headers=headers)


def _v2_time(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def _v1_time(dt: datetime) -> str:
    return f"{_DAYS[dt.weekday()]} {_MONTHS[dt.month - 1]} {dt:%d %H:%M:%S} +0000 {dt.year}"


def _ms(dt: datetime) -> str:
    return str(int(dt.timestamp() * 1000))


class FakeX:
    """The fake's state and behaviour; `app.state.fake`."""

    def __init__(
        self,
        consumer_key: str,
        consumer_secret: str,
        account_id: str = "1000",
        account_handle: str = "mynah",
        webhook_url: str | None = None,
        access_token: str | None = None,
        access_token_secret: str | None = None,
        echo_own: bool = False,
        delivery_timeout: float = 10.0,
    ):
        self.consumer_key, self._consumer_secret = consumer_key, consumer_secret
        self.access_token, self._token_secret = access_token, access_token_secret
        self.account_id, self.account_handle = str(account_id), account_handle
        self.webhook_url = webhook_url
        self.echo_own, self.delivery_timeout = echo_own, delivery_timeout
        self.lock = threading.RLock()
        self.requests: list[dict] = []  # every v2 call: method, path, query, headers, json, status
        self.sent: list[dict] = []  # what the account created: {"kind": "tweet"|"dm", ...}
        self.deliveries: list[dict] = []  # webhook POSTs: url, status, error, payload
        self.tweets: dict[str, dict] = {}
        self.dms: list[dict] = []
        self.users: dict[str, dict] = {}
        # uploads by media id: {"id", "media_key", "bytes", "type", "category", "alt", "owner"}
        self.media: dict[str, dict] = {}
        self._failures: list[dict] = []
        self._nonces: set[str] = set()
        self._next_id = 1_790_000_000_000_000_000
        self.add_user(self.account_id, account_handle)

    def __repr__(self) -> str:
        return f"FakeX(account_id={self.account_id!r}, webhook_url={self.webhook_url!r})"

    # -- state --

    def new_id(self) -> str:
        with self.lock:
            self._next_id += 1 + secrets.randbelow(1000)
            return str(self._next_id)

    def add_user(self, user_id: str, screen_name: str | None = None) -> dict:
        user_id = str(user_id)
        with self.lock:
            u = self.users.get(user_id)
            if u is None:
                name = screen_name or f"user{user_id}"
                u = self.users[user_id] = {"id": user_id, "username": name, "name": name.capitalize()}
            elif screen_name:
                u["username"] = screen_name
            return u

    def _by_handle(self, handle: str) -> dict | None:
        h = handle.lower()
        return next((u for u in self.users.values() if u["username"].lower() == h), None)

    def fail(
        self, status: int, times: int = 1, retry_after: float | None = None, path_prefix: str | None = None
    ):
        """The next `times` v2 calls (whose path starts with `path_prefix`, if given) answer
        `status`: a 429 with x-rate-limit-* headers (reset `retry_after` seconds from now, else
        15 minutes) and a retry-after header when `retry_after` is given; a 5xx or other status
        in X's problem shape."""
        with self.lock:
            self._failures.append(
                {
                    "status": int(status),
                    "times": int(times),
                    "retry_after": retry_after,
                    "path_prefix": path_prefix,
                }
            )

    def _take_failure(self, path: str) -> dict | None:
        with self.lock:
            for f in self._failures:
                if f["times"] > 0 and (not f["path_prefix"] or path.startswith(f["path_prefix"])):
                    f["times"] -= 1
                    if f["times"] <= 0:
                        self._failures.remove(f)
                    return f
        return None

    def create_tweet(
        self,
        author_id: str,
        text: str,
        in_reply_to: str | None = None,
        quote: str | None = None,
        media_ids: list[str] | None = None,
    ) -> dict:
        """Store a tweet (KeyError: `in_reply_to` or `quote` is not a tweet the fake has)."""
        author_id = str(author_id)
        with self.lock:
            parent = quoted = None
            if in_reply_to:
                parent = self.tweets[str(in_reply_to)]
            if quote:
                quoted = self.tweets[str(quote)]
            display = text
            if parent and parent["author_id"] != author_id:
                handle = "@" + self.users[parent["author_id"]]["username"]
                if not text.lower().startswith(handle.lower()):
                    display = f"{handle} {text}"  # X shows a reply with the replied-to @handle first
            if media_ids:  # ... and a tweet with media with their link last
                display = f"{display} https://t.co/{secrets.token_hex(5)}".lstrip()
            t = {
                "id": self.new_id(),
                "author_id": author_id,
                "text": text,  # as submitted
                "display": display,  # as X reads it back
                "in_reply_to": parent["id"] if parent else None,
                "quote": quoted["id"] if quoted else None,
                "media": [str(m) for m in media_ids or []],
                "created": datetime.now(timezone.utc),
            }
            self.tweets[t["id"]] = t
            return t

    def create_dm(self, sender_id: str, recipient_id: str, text: str) -> dict:
        with self.lock:
            a, b = sorted([str(sender_id), str(recipient_id)], key=lambda i: (len(i), i))
            ev = {
                "id": self.new_id(),
                "sender_id": str(sender_id),
                "recipient_id": str(recipient_id),
                "text": text,
                "conversation": f"{a}-{b}",
                "created": datetime.now(timezone.utc),
            }
            self.dms.append(ev)
            return ev

    # -- views --

    def tweet_v2(self, t: dict, fields: set[str]) -> dict:
        d = {
            "id": t["id"],
            "text": html.escape(t["display"], quote=False),
            "edit_history_tweet_ids": [t["id"]],
        }
        if "author_id" in fields:
            d["author_id"] = t["author_id"]
        if "created_at" in fields:
            d["created_at"] = _v2_time(t["created"])
        if "conversation_id" in fields:
            root = t
            while root["in_reply_to"] and root["in_reply_to"] in self.tweets:
                root = self.tweets[root["in_reply_to"]]
            d["conversation_id"] = root["id"]
        if "in_reply_to_user_id" in fields and t["in_reply_to"]:
            d["in_reply_to_user_id"] = self.tweets[t["in_reply_to"]]["author_id"]
        if "attachments" in fields and t.get("media"):
            d["attachments"] = {"media_keys": [self.media[m]["media_key"] for m in t["media"]]}
        if "referenced_tweets" in fields:
            refs = []
            if t["in_reply_to"]:
                refs.append({"type": "replied_to", "id": t["in_reply_to"]})
            if t["quote"]:
                refs.append({"type": "quoted", "id": t["quote"]})
            if refs:
                d["referenced_tweets"] = refs
        return d

    def _v1_user(self, user_id: str) -> dict:
        u = self.users[user_id]
        return {
            "id": int(u["id"]),
            "id_str": u["id"],
            "name": u["name"],
            "screen_name": u["username"],
            "protected": False,
            "verified": False,
            "followers_count": 0,
            "friends_count": 0,
            "statuses_count": sum(1 for t in self.tweets.values() if t["author_id"] == u["id"]),
            "created_at": "Mon Jan 01 00:00:00 +0000 2018",
            "default_profile_image": False,
        }

    def _entities(self, text: str) -> dict:
        mentions = []
        for m in _HANDLE.finditer(text):
            u = self._by_handle(m.group(1))
            if u is not None:  # X links only existing accounts
                mentions.append(
                    {
                        "screen_name": u["username"],
                        "name": u["name"],
                        "id": int(u["id"]),
                        "id_str": u["id"],
                        "indices": [m.start(), m.end()],
                    }
                )
        return {"hashtags": [], "urls": [], "user_mentions": mentions, "symbols": []}

    def tweet_v1(self, t: dict, with_quote: bool = True) -> dict:
        """`t` as a v1.1 tweet, the shape of Account Activity's tweet_create_events."""
        full = html.escape(t["display"], quote=False)
        parent = self.tweets.get(t["in_reply_to"]) if t["in_reply_to"] else None
        long = len(t["display"]) > 140
        short = t["display"][:139] + "\u2026" if long else t["display"]
        d = {
            "created_at": _v1_time(t["created"]),
            "id": int(t["id"]),
            "id_str": t["id"],
            "text": html.escape(short, quote=False),
            "source": '<a href="https://example.invalid" rel="nofollow">fake X</a>',
            "truncated": long,
            "in_reply_to_status_id": int(parent["id"]) if parent else None,
            "in_reply_to_status_id_str": parent["id"] if parent else None,
            "in_reply_to_user_id": int(parent["author_id"]) if parent else None,
            "in_reply_to_user_id_str": parent["author_id"] if parent else None,
            "in_reply_to_screen_name": self.users[parent["author_id"]]["username"] if parent else None,
            "user": self._v1_user(t["author_id"]),
            "geo": None,
            "coordinates": None,
            "place": None,
            "contributors": None,
            "is_quote_status": bool(t["quote"]),
            "quote_count": 0,
            "reply_count": 0,
            "retweet_count": 0,
            "favorite_count": 0,
            "entities": self._entities(short),
            "favorited": False,
            "retweeted": False,
            "filter_level": "low",
            "lang": "en",
            "timestamp_ms": _ms(t["created"]),
        }
        if long:
            d["extended_tweet"] = {
                "full_text": full,
                "display_text_range": [0, len(t["display"])],
                "entities": self._entities(t["display"]),
            }
        if t["quote"] and t["quote"] in self.tweets:
            d["quoted_status_id"] = int(t["quote"])
            d["quoted_status_id_str"] = t["quote"]
            if with_quote:
                d["quoted_status"] = self.tweet_v1(self.tweets[t["quote"]], with_quote=False)
        return d

    def mention_payload(self, t: dict) -> dict:
        return {
            "for_user_id": self.account_id,
            "user_has_blocked": False,
            "tweet_create_events": [self.tweet_v1(t)],
        }

    def dm_payload(self, ev: dict) -> dict:
        users = {}
        for uid in (ev["sender_id"], ev["recipient_id"]):
            u = self._v1_user(self.add_user(uid)["id"])
            users[uid] = {
                k: u[k] for k in ("name", "screen_name", "protected", "verified", "followers_count")
            }
            users[uid].update(
                {"id": uid, "created_timestamp": "1514764800000", "friends_count": 0, "statuses_count": 0}
            )
        return {
            "for_user_id": self.account_id,
            "direct_message_events": [
                {
                    "type": "message_create",
                    "id": ev["id"],
                    "created_timestamp": _ms(ev["created"]),
                    "message_create": {
                        "target": {"recipient_id": ev["recipient_id"]},
                        "sender_id": ev["sender_id"],
                        "source_app_id": "268278",
                        "message_data": {
                            "text": ev["text"],
                            "entities": {"hashtags": [], "symbols": [], "user_mentions": [], "urls": []},
                        },
                    },
                }
            ],
            "users": users,
        }

    # -- webhook --

    def deliver(self, payload: dict, url: str | None = None) -> dict:
        """POST `payload`, signed, to the webhook: {"status", "error", "payload"}."""
        url = url or self.webhook_url
        raw = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        out = {"url": url, "status": None, "error": None, "payload": payload}
        if not url:
            out["error"] = "no webhook url: set one with POST /_fake/webhook"
        else:
            headers = {
                "content-type": "application/json; charset=utf-8",
                SIGNATURE_HEADER: sign_body(self._consumer_secret, raw),
                "user-agent": "mynah-fake-x",
            }
            try:
                out["status"] = httpx.post(
                    url, content=raw, headers=headers, timeout=self.delivery_timeout
                ).status_code
            except httpx.HTTPError as e:
                out["error"] = f"{type(e).__name__}: {e}"
        with self.lock:
            self.deliveries.append(out)
        return out

    def _echo(self, payload: dict) -> None:
        if self.echo_own and self.webhook_url:
            threading.Thread(target=self.deliver, args=(payload,), daemon=True).start()

    def post_tweet(
        self, text: str, user_id: str | None = None, screen_name: str | None = None, in_reply_to=None
    ) -> dict:
        """A tweet (by the account unless `user_id` is given) with no delivery: a post to be
        mentioned under."""
        uid = str(user_id) if user_id is not None else self.account_id
        self.add_user(uid, screen_name)
        return self.create_tweet(uid, text, in_reply_to=in_reply_to)

    def deliver_dm(self, sender_id: str, screen_name: str | None, text: str) -> dict:
        self.add_user(str(sender_id), screen_name)
        ev = self.create_dm(str(sender_id), self.account_id, text)
        return {"id": ev["id"], **self.deliver(self.dm_payload(ev))}

    def deliver_mention(
        self,
        user_id: str,
        screen_name: str | None,
        text: str,
        in_reply_to: str | None = None,
        quote: str | None = None,
    ) -> dict:
        self.add_user(str(user_id), screen_name)
        t = self.create_tweet(str(user_id), text, in_reply_to=in_reply_to, quote=quote)
        return {"id": t["id"], **self.deliver(self.mention_payload(t))}

    def crc(self, url: str | None = None) -> dict:
        """X's challenge-response check: GET the webhook with a crc_token; is the answer right?"""
        url = url or self.webhook_url
        token = secrets.token_urlsafe(24)
        expected = crc_response(self._consumer_secret, token)["response_token"]
        out = {"ok": False, "url": url, "status": None, "expected": expected, "got": None, "error": None}
        if not url:
            out["error"] = "no webhook url"
            return out
        try:
            r = httpx.get(url, params={"crc_token": token}, timeout=self.delivery_timeout)
            out["status"] = r.status_code
            out["got"] = r.json().get("response_token")
        except (httpx.HTTPError, ValueError, AttributeError) as e:
            out["error"] = f"{type(e).__name__}: {e}"
        out["ok"] = out["status"] == 200 and out["got"] == expected
        return out

    # -- auth --

    def check_auth(self, request: Request, user_context: bool) -> JSONResponse | None:
        """None when the request is authorized, else X's 401/403."""
        from oauthlib.oauth1.rfc5849 import signature, utils

        auth = request.headers.get("authorization")
        if not auth:
            return problem(401, "Unauthorized", "Unauthorized")
        if auth.lower().startswith("bearer "):
            if user_context:
                return problem(
                    403,
                    "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  "
                    "Supported authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context].",
                    "Unsupported Authentication",
                    "https://api.twitter.com/2/problems/unsupported-authentication",
                )
            return None if auth[7:].strip() else problem(401, "Unauthorized", "Unauthorized")
        if not auth.startswith("OAuth "):
            return problem(401, "Unauthorized", "Unauthorized")
        try:
            pairs = utils.parse_authorization_header(auth)
        except (ValueError, IndexError):
            return problem(401, "Malformed OAuth Authorization header", "Unauthorized")
        oauth = {k: utils.unescape(v) for k, v in pairs}
        missing = [k for k in OAUTH_REQUIRED if not oauth.get(k)]
        if missing:
            return problem(401, f"OAuth header lacks {', '.join(missing)}", "Unauthorized")
        if oauth["oauth_signature_method"] != "HMAC-SHA1" or oauth["oauth_version"] != "1.0":
            return problem(401, "OAuth header: HMAC-SHA1 and version 1.0 expected", "Unauthorized")
        if oauth["oauth_consumer_key"] != self.consumer_key:
            return problem(401, "Unknown consumer key", "Unauthorized")
        if self.access_token is not None and oauth["oauth_token"] != self.access_token:
            return problem(401, "Unknown access token", "Unauthorized")
        if not oauth["oauth_timestamp"].isdigit():
            return problem(401, "oauth_timestamp is not an integer", "Unauthorized")
        if self._token_secret is None:
            return None  # the shape is all the fake can check
        if abs(int(oauth["oauth_timestamp"]) - time.time()) > TIMESTAMP_WINDOW:
            return problem(401, "Timestamp out of bounds", "Unauthorized")
        try:
            params = signature.collect_parameters(
                uri_query=request.scope.get("query_string", b"").decode("latin-1"),
                headers={"Authorization": auth},
                exclude_oauth_signature=True,
            )
            base = signature.signature_base_string(
                request.method.upper(),
                signature.base_string_uri(str(request.url.replace(query=""))),
                signature.normalize_parameters(params),
            )
        except ValueError as e:
            return problem(401, f"Cannot build the signature base string: {e}", "Unauthorized")
        expected = signature.sign_hmac_sha1(base, self._consumer_secret, self._token_secret)
        if not signature.safe_string_equals(expected, oauth["oauth_signature"]):
            return problem(401, "Could not authenticate you (bad OAuth signature)", "Unauthorized")
        with self.lock:
            if oauth["oauth_nonce"] in self._nonces:
                return problem(401, "OAuth nonce already used", "Unauthorized")
            self._nonces.add(oauth["oauth_nonce"])
        return None

    def failure_response(self, f: dict) -> JSONResponse:
        status = f["status"]
        if status == 429:
            wait = f["retry_after"] if f["retry_after"] is not None else 900
            headers = {
                "x-rate-limit-limit": str(RATE_LIMIT),
                "x-rate-limit-remaining": "0",
                "x-rate-limit-reset": str(int(time.time() + wait)),
            }
            if f["retry_after"] is not None:
                headers["retry-after"] = str(int(f["retry_after"]))
            return problem(429, "Too Many Requests", "Too Many Requests", headers=headers)
        headers = {"retry-after": str(int(f["retry_after"]))} if f["retry_after"] is not None else None
        return problem(status, f"fake failure {status}", headers=headers)


_INTERESTING = ("authorization", "content-type", "user-agent")


def create_app(
    consumer_key: str,
    consumer_secret: str,
    account_id: str = "1000",
    account_handle: str = "mynah",
    webhook_url: str | None = None,
    access_token: str | None = None,
    access_token_secret: str | None = None,
    echo_own: bool = False,
) -> FastAPI:
    """The fake X. `access_token_secret`: verify every request's OAuth 1.0a signature (else
    only its shape); `echo_own`: deliver the account's own new tweets and DMs to the webhook
    too, as X does."""
    fake = FakeX(
        consumer_key,
        consumer_secret,
        account_id,
        account_handle,
        webhook_url,
        access_token=access_token,
        access_token_secret=access_token_secret,
        echo_own=echo_own,
    )
    app = FastAPI(title="fake X", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.fake = fake
    user_rule = rule_for("x")

    async def begin(request: Request, user_context: bool) -> tuple[dict, object, JSONResponse | None]:
        """Record the call, check its auth and any injected failure."""
        raw = await request.body()
        ctype = request.headers.get("content-type", "")
        shown = None
        if ctype.lower().startswith("multipart/form-data"):
            try:  # the parts (a dict of fakes.Part), recorded as their text or their size
                body = Parts(parse_multipart(ctype, raw))
                shown = {
                    k: (
                        f"<{len(p.data)} bytes>"
                        if p.filename or p.content_type
                        else p.data.decode("utf-8", "replace")
                    )
                    for k, p in body.items()
                }
            except ValueError as e:
                body = shown = f"malformed multipart body: {e}"
        else:
            try:
                body = shown = json.loads(raw) if raw else None
            except ValueError:
                body = shown = raw.decode("utf-8", "replace")
        rec = {
            "method": request.method,
            "path": request.url.path,
            "query": dict(request.query_params),
            "headers": {k: request.headers[k] for k in _INTERESTING if k in request.headers},
            "json": shown,
            "status": None,
            "time": time.time(),
        }
        with fake.lock:
            fake.requests.append(rec)
        refused = fake.check_auth(request, user_context)
        if refused is None:
            f = fake._take_failure(request.url.path)
            if f is not None:
                refused = fake.failure_response(f)
        if refused is not None:
            rec["status"] = refused.status_code
        return rec, body, refused

    def done(rec: dict, status: int, content: dict) -> JSONResponse:
        rec["status"] = status
        reset = str(int(time.time()) + 900)
        headers = {
            "x-rate-limit-limit": str(RATE_LIMIT),
            "x-rate-limit-remaining": str(RATE_LIMIT - 1),
            "x-rate-limit-reset": reset,
        }
        return JSONResponse(content, status_code=status, headers=headers)

    def invalid(rec: dict, message: str) -> JSONResponse:
        rec["status"] = 400
        body = {
            "errors": [{"parameters": {}, "message": message}],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.twitter.com/2/problems/invalid-request",
        }
        return JSONResponse(body, status_code=400)

    def forbidden(rec: dict, detail: str) -> JSONResponse:
        rec["status"] = 403
        return problem(403, detail, "Forbidden")

    def fields(request: Request, name: str) -> set[str]:
        return {f for f in request.query_params.get(name, "").split(",") if f}

    def max_results(request: Request, rec: dict, low: int, default: int) -> int | JSONResponse:
        v = request.query_params.get("max_results")
        if v is None:
            return default
        if not v.isdigit() or not low <= int(v) <= 100:
            return invalid(rec, f"The `max_results` query parameter value [{v}] is not between {low} and 100")
        return int(v)

    # -- X API v2 --

    @app.post("/2/tweets")
    async def create_tweet(request: Request):
        rec, body, refused = await begin(request, user_context=True)
        if refused is not None:
            return refused
        if not isinstance(body, dict) or isinstance(body, Parts):
            return invalid(rec, "The request body is not a JSON object")
        media = body.get("media")
        media_ids = None
        if media is not None:
            media_ids = media.get("media_ids") if isinstance(media, dict) else None
            if not isinstance(media_ids, list) or not 1 <= len(media_ids) <= 4:
                return invalid(rec, "$.media.media_ids: 1 to 4 media ids are required")
            media_ids = [str(m) for m in media_ids]
            with fake.lock:
                if any(fake.media.get(m, {}).get("owner") != fake.account_id for m in media_ids):
                    return invalid(rec, "Your media IDs are invalid.")
        text = body.get("text")
        if media_ids and text is None:
            text = ""
        if not isinstance(text, str) or (not text.strip() and not media_ids):
            return invalid(rec, "$.text: a non-empty string is required")
        if text and not user_rule.fits(text):
            return forbidden(rec, "Your Tweet text is too long.")
        reply = body.get("reply") or {}
        parent = reply.get("in_reply_to_tweet_id") if isinstance(reply, dict) else None
        quote = body.get("quote_tweet_id")
        with fake.lock:
            if parent is not None and str(parent) not in fake.tweets:
                return forbidden(
                    rec, "You attempted to reply to a Tweet that is deleted or not visible to you."
                )
            if quote is not None and str(quote) not in fake.tweets:
                return forbidden(rec, "You attempted to quote a Tweet that is deleted or not visible to you.")
            if text and any(
                t["author_id"] == fake.account_id and t["text"] == text for t in fake.tweets.values()
            ):
                return forbidden(rec, "You are not allowed to create a Tweet with duplicate content.")
            t = fake.create_tweet(fake.account_id, text, in_reply_to=parent, quote=quote, media_ids=media_ids)
            rec_sent = {
                "kind": "tweet",
                "id": t["id"],
                "text": text,
                "in_reply_to_tweet_id": t["in_reply_to"],
                "quote": t["quote"],
            }
            if t["media"]:
                rec_sent["media_ids"] = list(t["media"])
            fake.sent.append(rec_sent)
        fake._echo(fake.mention_payload(t))
        return done(rec, 201, {"data": {"id": t["id"], "text": text, "edit_history_tweet_ids": [t["id"]]}})

    @app.get("/2/tweets/{tweet_id}")
    async def get_tweet(tweet_id: str, request: Request):
        rec, _, refused = await begin(request, user_context=False)
        if refused is not None:
            return refused
        with fake.lock:
            t = fake.tweets.get(tweet_id)
            if t is None:
                return done(
                    rec,
                    200,
                    {
                        "errors": [
                            {
                                "value": tweet_id,
                                "detail": f"Could not find tweet with id: [{tweet_id}].",
                                "title": "Not Found Error",
                                "resource_type": "tweet",
                                "parameter": "id",
                                "resource_id": tweet_id,
                                "type": "https://api.twitter.com/2/problems/resource-not-found",
                            }
                        ]
                    },
                )
            out = {"data": fake.tweet_v2(t, fields(request, "tweet.fields"))}
            if "author_id" in fields(request, "expansions"):
                u = dict(fake.users[t["author_id"]])
                uf = fields(request, "user.fields")
                out["includes"] = {
                    "users": [{k: v for k, v in u.items() if k in {"id", "name", "username"} | uf}]
                }
        return done(rec, 200, out)

    @app.get("/2/users/{user_id}/tweets")
    async def timeline(user_id: str, request: Request):
        rec, _, refused = await begin(request, user_context=False)
        if refused is not None:
            return refused
        n = max_results(request, rec, 5, 10)
        if isinstance(n, JSONResponse):
            return n
        with fake.lock:
            mine = [t for t in fake.tweets.values() if t["author_id"] == user_id]
            mine.sort(key=lambda t: int(t["id"]), reverse=True)
            data = [fake.tweet_v2(t, fields(request, "tweet.fields")) for t in mine[:n]]
        meta = {"result_count": len(data)}
        if data:
            meta.update(newest_id=data[0]["id"], oldest_id=data[-1]["id"])
        return done(rec, 200, {"data": data, "meta": meta} if data else {"meta": meta})

    @app.post("/2/media/upload")
    async def upload_media(request: Request):
        rec, body, refused = await begin(request, user_context=True)
        if refused is not None:
            return refused
        if isinstance(body, Parts):
            part = body.get("media")
            data = part.data if part is not None else None
            category = body["media_category"].text() if "media_category" in body else None
        elif isinstance(body, dict):  # a JSON body: the media in base64
            try:
                data = base64.b64decode(body.get("media") or "", validate=True) or None
            except (ValueError, TypeError):
                return invalid(rec, "$.media: not base64")
            category = body.get("media_category")
        else:
            return invalid(rec, str(body) if body else "A multipart/form-data or JSON body is required")
        if not data:
            return invalid(rec, "$.media: the media is required")
        if category not in MEDIA_CATEGORIES:
            return invalid(rec, f"$.media_category: one of {', '.join(MEDIA_CATEGORIES)} is required")
        kind = sniff(data)
        if category.endswith("_image") and kind is None:
            return invalid(rec, "$.media: unsupported image format")
        if len(data) > MAX_IMAGE_BYTES:
            return invalid(rec, f"$.media: an image may be at most {MAX_IMAGE_BYTES} bytes")
        media_id = fake.new_id()
        m = {
            "id": media_id,
            "media_key": f"3_{media_id}",
            "bytes": data,
            "type": kind,
            "category": category,
            "alt": None,
            "owner": fake.account_id,
        }
        with fake.lock:
            fake.media[media_id] = m
        out = {"id": media_id, "media_key": m["media_key"], "size": len(data), "expires_after_secs": 86400}
        size = png_size(data)
        if size:
            out["image"] = {"image_type": kind, "w": size[0], "h": size[1]}
        return done(rec, 200, {"data": out})

    @app.post("/2/media/metadata")
    async def media_metadata(request: Request):
        rec, body, refused = await begin(request, user_context=True)
        if refused is not None:
            return refused
        if (
            not isinstance(body, dict)
            or isinstance(body, Parts)
            or not isinstance(body.get("metadata"), dict)
        ):
            return invalid(rec, "$.id and $.metadata are required")
        media_id = str(body.get("id") or "")
        alt = (body["metadata"].get("alt_text") or {}).get("text")
        if alt is not None and (not isinstance(alt, str) or len(alt) > 1000):
            return invalid(rec, "$.metadata.alt_text.text: a string of at most 1000 characters")
        with fake.lock:
            m = fake.media.get(media_id)
            if m is None or m["owner"] != fake.account_id:
                return invalid(rec, f"$.id: media {media_id} not found")
            if alt is not None:
                m["alt"] = alt
        meta = {"alt_text": {"text": m["alt"]}} if m["alt"] is not None else {}
        return done(rec, 200, {"data": {"id": media_id, "associated_metadata": meta}})

    @app.post("/2/dm_conversations/with/{participant_id}/messages")
    async def send_dm(participant_id: str, request: Request):
        rec, body, refused = await begin(request, user_context=True)
        if refused is not None:
            return refused
        if not participant_id.isdigit():
            return invalid(
                rec, f"The `participant_id` path parameter value [{participant_id}] is not a user id"
            )
        if participant_id == fake.account_id:
            return forbidden(rec, "You cannot send a direct message to yourself.")
        if not isinstance(body, dict) or isinstance(body, Parts):
            return invalid(rec, "The request body is not a JSON object")
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            return invalid(rec, "$.text: a non-empty string is required")
        if len(text) > 10000:
            return forbidden(rec, "The text of your direct message is over the max character limit.")
        with fake.lock:
            fake.add_user(participant_id)
            ev = fake.create_dm(fake.account_id, participant_id, text)
            fake.sent.append({"kind": "dm", "id": ev["id"], "participant_id": participant_id, "text": text})
        fake._echo(fake.dm_payload(ev))
        return done(rec, 201, {"data": {"dm_conversation_id": ev["conversation"], "dm_event_id": ev["id"]}})

    @app.get("/2/dm_conversations/with/{participant_id}/dm_events")
    async def dm_events(participant_id: str, request: Request):
        rec, _, refused = await begin(request, user_context=True)
        if refused is not None:
            return refused
        n = max_results(request, rec, 1, 100)
        if isinstance(n, JSONResponse):
            return n
        want = fields(request, "dm_event.fields")
        pair = {fake.account_id, participant_id}
        with fake.lock:
            evs = [e for e in fake.dms if {e["sender_id"], e["recipient_id"]} == pair]
            evs.sort(key=lambda e: int(e["id"]), reverse=True)
            data = []
            for e in evs[:n]:
                d = {"id": e["id"], "event_type": "MessageCreate", "text": e["text"]}
                if "sender_id" in want:
                    d["sender_id"] = e["sender_id"]
                if "created_at" in want:
                    d["created_at"] = _v2_time(e["created"])
                if "dm_conversation_id" in want:
                    d["dm_conversation_id"] = e["conversation"]
                data.append(d)
        meta = {"result_count": len(data)}
        return done(rec, 200, {"data": data, "meta": meta} if data else {"meta": meta})

    # -- controls --

    def _need(body: dict, *names: str) -> JSONResponse | None:
        missing = [n for n in names if not body.get(n)]
        return JSONResponse({"error": f"missing {', '.join(missing)}"}, status_code=400) if missing else None

    @app.post("/_fake/webhook")
    def set_webhook(body: Annotated[dict, Body()]):
        fake.webhook_url = body.get("url") or None
        return {"url": fake.webhook_url}

    @app.post("/_fake/tweet")
    def fake_tweet(body: Annotated[dict, Body()]):
        if (bad := _need(body, "text")) is not None:
            return bad
        try:
            t = fake.post_tweet(
                body["text"], body.get("user_id"), body.get("screen_name"), body.get("in_reply_to")
            )
        except KeyError as e:
            return JSONResponse({"error": f"no tweet {e}"}, status_code=400)
        return {"id": t["id"], "tweet": fake.tweet_v2(t, {"author_id", "created_at", "referenced_tweets"})}

    @app.post("/_fake/dm")
    def fake_dm(body: Annotated[dict, Body()]):
        if (bad := _need(body, "sender_id", "text")) is not None:
            return bad
        return fake.deliver_dm(str(body["sender_id"]), body.get("screen_name"), body["text"])

    @app.post("/_fake/mention")
    def fake_mention(body: Annotated[dict, Body()]):
        if (bad := _need(body, "user_id", "text")) is not None:
            return bad
        try:
            return fake.deliver_mention(
                str(body["user_id"]),
                body.get("screen_name"),
                body["text"],
                body.get("in_reply_to"),
                body.get("quote"),
            )
        except KeyError as e:
            return JSONResponse({"error": f"no tweet {e}"}, status_code=400)

    @app.post("/_fake/fail")
    def fake_fail(body: Annotated[dict, Body()]):
        if not isinstance(body.get("status"), int):
            return JSONResponse({"error": "status (an integer) is required"}, status_code=400)
        fake.fail(body["status"], body.get("times", 1), body.get("retry_after"), body.get("path_prefix"))
        return {"ok": True}

    @app.post("/_fake/crc")
    def fake_crc(body: Annotated[dict | None, Body()] = None):
        return fake.crc((body or {}).get("url"))

    @app.get("/_fake/sent")
    def fake_sent():
        with fake.lock:
            return {"sent": list(fake.sent)}

    @app.get("/_fake/requests")
    def fake_requests():
        with fake.lock:
            return {"requests": list(fake.requests)}

    @app.get("/_fake/deliveries")
    def fake_deliveries():
        with fake.lock:
            return {"deliveries": list(fake.deliveries)}

    return app


def _read(path: str | Path | None) -> str | None:
    return Path(path).read_text().strip() if path else None


DEMO_CONSUMER_KEY, DEMO_CONSUMER_SECRET = "fake-x-consumer-key", "fake-x-consumer-secret"


def main(
    port: int,
    consumer_key_file: str | Path | None = None,
    consumer_secret_file: str | Path | None = None,
    access_token_file: str | Path | None = None,
    access_token_secret_file: str | Path | None = None,
    account_id: str = "1000",
    account_handle: str = "mynah",
    webhook_url: str | None = None,
    echo_own: bool = False,
    **opts,
) -> None:
    """Run the fake X in the foreground on 127.0.0.1:`port`, secrets read from files (without
    the consumer files: DEMO_CONSUMER_KEY and DEMO_CONSUMER_SECRET, for the walkthrough).
    `opts`: the same settings with an `opt_` prefix, as the CLI passes them."""
    import uvicorn

    given = {k.removeprefix("opt_"): v for k, v in opts.items() if v is not None}
    unknown = set(given) - set(main.__code__.co_varnames[1 : main.__code__.co_argcount])
    if unknown:
        raise TypeError(f"fake X: unknown settings {', '.join(sorted(unknown))}")
    consumer_key_file = given.get("consumer_key_file", consumer_key_file)
    consumer_secret_file = given.get("consumer_secret_file", consumer_secret_file)
    access_token_file = given.get("access_token_file", access_token_file)
    access_token_secret_file = given.get("access_token_secret_file", access_token_secret_file)
    account_id = str(given.get("account_id", account_id))
    account_handle = given.get("account_handle", account_handle)
    webhook_url = given.get("webhook_url", webhook_url)
    echo_own = bool(given.get("echo_own", echo_own))
    demo = consumer_key_file is None or consumer_secret_file is None
    app = create_app(
        _read(consumer_key_file) or DEMO_CONSUMER_KEY,
        _read(consumer_secret_file) or DEMO_CONSUMER_SECRET,
        account_id=account_id,
        account_handle=account_handle,
        webhook_url=webhook_url,
        access_token=_read(access_token_file),
        access_token_secret=_read(access_token_secret_file),
        echo_own=echo_own,
    )
    note = " with the demo consumer key and secret" if demo else ""
    print(f"fake X on http://127.0.0.1:{port} (account @{account_handle}, id {account_id}){note}", flush=True)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    import argparse

    p = argparse.ArgumentParser(description="A fake X API on 127.0.0.1 for tests and the demo.")
    p.add_argument("--port", type=int, default=8601)
    p.add_argument("--consumer-key-file", required=True)
    p.add_argument("--consumer-secret-file", required=True)
    p.add_argument("--access-token-file")
    p.add_argument("--access-token-secret-file")
    p.add_argument("--account-id", default="1000")
    p.add_argument("--account-handle", default="mynah")
    p.add_argument("--webhook-url")
    p.add_argument("--echo-own", action="store_true")
    a = p.parse_args()
    main(
        a.port,
        a.consumer_key_file,
        a.consumer_secret_file,
        a.access_token_file,
        a.access_token_secret_file,
        a.account_id,
        a.account_handle,
        a.webhook_url,
        a.echo_own,
    )
