"""What every platform adapter is, so that the agents never name a platform.

Rasa's channel connectors put each messaging platform behind two methods (receive a
message, send a response); mynah's adapters add what exactly-once delivery needs on
platforms without idempotency keys: `find_sent`, a lookup of the account's own recent posts
or messages for a send that may or may not have happened before a crash.

- An `Event` is something addressed to the assistant's account: a mention (a post that
  tags it, or replies to or quotes it) or a direct message. `Event.id` is the platform's own
  id for it, and (platform, id) is the inbox's key: the same event delivered twice is
  processed once.
- A `Send` is one outgoing post or message, written to the outbox before it is sent.
  `Send.key` is its idempotency key. A thread's later parts name the part before them in
  `after`; the outbox fills `reply_to` and `ref` from that part's `Sent` once it is sent.
- `send` returns a `Sent` (the platform's id of the new post or message, and the reference
  a later reply needs), or raises `SendError`.
- `Send.media`: images to attach to a reply (a chart), each `{"png_b64", "alt"}`: the PNG's
  bytes in base64, uploaded byte for byte (they carry provenance metadata), and its alt text.
  An adapter uploads them first and then posts with them. A crash between the upload and the
  post leaves an orphan upload on the platform (they expire unused) and nothing posted: the
  outbox's find_sent/resend covers the post, so it is never posted twice.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
from dataclasses import asdict, dataclass, field, fields
from typing import Literal, Protocol

from mynah.social.length import LengthRule


@dataclass
class Event:
    platform: str  # "x" | "bluesky" | "mastodon"
    id: str  # the platform's id of the event (X: the DM event id or tweet id; Bluesky: the notification's record uri; Mastodon: the notification id)
    kind: Literal["dm", "mention"]
    sender_id: str  # X: user id; Bluesky: did; Mastodon: account id
    text: str
    # DM: where the answer goes (X: the sender's user id, a 1:1 conversation; Bluesky: the
    # convo id; Mastodon: the sender's acct). Mention: the id of the post that mentions us.
    conversation: str
    sender_handle: str | None = None  # X: screen_name; Bluesky: handle; Mastodon: acct
    post_id: str | None = None  # mention: the post to reply under (Bluesky: its at:// uri)
    parent_id: str | None = None  # mention: the post it replies to, if any
    created_at: str | None = None  # ISO 8601
    # what the platform needs to answer in the right place: Bluesky {"uri", "cid", "root":
    # {"uri", "cid"}}; Mastodon {"visibility", "status_id"}
    ref: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> Event:
        return cls(**d)


@dataclass
class Send:
    key: str  # idempotency key: "<platform>:<event id>:<part>" for answers, "human:<uuid>" for an operator's
    platform: str
    kind: Literal["reply", "dm"]
    text: str
    # reply: the id of the post answered (Bluesky: its uri). dm: Event.conversation.
    to: str
    ref: dict = field(
        default_factory=dict
    )  # Event.ref of what is answered (Bluesky's refs, Mastodon's visibility)
    recipient_id: str | None = None  # dm: the customer's user id (X's participant_id)
    after: str | None = None  # a thread's earlier part, by key: reply under that one once it is sent
    # reply only: images to attach, each {"png_b64": base64 of the PNG, "alt": its alt text}
    media: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> Send:
        # an outbox row written before a field existed loads with its default; one written
        # by a newer version loads without the fields this one does not know
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


@dataclass
class Sent:
    id: str  # the platform's id of what was created (Bluesky: at:// uri; X DM: dm_event_id)
    ref: dict = field(default_factory=dict)  # Bluesky: {"uri", "cid"}; others empty


class SendError(Exception):
    """A send that did not happen. `retry_after`: seconds the platform asked to wait (429's
    Retry-After or its rate-limit reset header); `permanent`: retrying will not help (a 4xx
    other than 408/409/425/429), so the outbox stops and records it."""

    def __init__(self, message: str, retry_after: float | None = None, permanent: bool = False):
        super().__init__(message)
        self.retry_after, self.permanent = retry_after, permanent


class Adapter(Protocol):
    platform: str
    account_id: str  # our own account (X user id, Bluesky did, Mastodon account id): its events are dropped

    def rule(self) -> LengthRule:
        """The length rule of a post on this platform."""
        ...

    def send(self, s: Send) -> Sent: ...

    def find_sent(self, s: Send) -> Sent | None:
        """Reconciliation after a crash: the post or message `s` if the platform already has
        it (matched by its target and its text, see `same_text`), else None."""
        ...

    def thread(self, e: Event, limit: int = 8) -> list[dict]:
        """The post a mention was made under and its parents, oldest first, as
        {"id", "author", "text", "created_at", "url"} dicts (without the mention itself)."""
        ...


class Poller(Protocol):
    """An adapter whose events are fetched rather than pushed (Bluesky, Mastodon)."""

    def poll(self, cursor: dict | None) -> tuple[list[Event], dict | None]:
        """New events since `cursor` (None: the first run) and the cursor after them. The
        caller stores the events durably before it saves the cursor and calls `seen`."""
        ...

    def seen(self, cursor: dict | None) -> None:
        """Tell the platform the events up to `cursor` were read (Bluesky's updateSeen)."""
        ...


_URL = re.compile(r"https?://\S+")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def media_bytes(m: dict, where: str) -> bytes:
    """The image bytes of one `Send.media` item (a permanent `SendError` when they are
    missing or not base64: retrying would not help)."""
    raw = m.get("png_b64") if isinstance(m, dict) else None
    if not isinstance(raw, str) or not raw:
        raise SendError(f"{where}: a media item without png_b64", permanent=True)
    try:
        data = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise SendError(f"{where}: a media item whose png_b64 is not base64", permanent=True) from None
    if not data:
        raise SendError(f"{where}: an empty image", permanent=True)
    return data


def png_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG's IHDR chunk, or None if `data` is not a PNG."""
    if len(data) < 24 or not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        return None
    w, h = struct.unpack(">II", data[16:24])
    return (w, h) if w and h else None


def same_text(a: str, b: str) -> bool:
    """Whether a post the platform returns is the one we sent: the text compared with every
    URL as one placeholder (X rewrites links to t.co) and whitespace folded."""

    def norm(t: str) -> str:
        return " ".join(_URL.sub("<url>", t).split())

    return norm(a) == norm(b)


def retry_after(headers, now: float) -> float | None:
    """Seconds to wait from a 429 (or 503) response's headers: Retry-After (seconds or an
    HTTP date), else the platforms' reset headers: X's x-rate-limit-reset and Bluesky's
    ratelimit-reset (epoch seconds), Mastodon's X-RateLimit-Reset (ISO 8601)."""
    from datetime import datetime
    from email.utils import parsedate_to_datetime

    v = headers.get("retry-after")
    if v:
        v = v.strip()
        if v.isdigit():
            return float(v)
        try:
            return max(0.0, parsedate_to_datetime(v).timestamp() - now)
        except (TypeError, ValueError):
            pass
    for name in ("x-rate-limit-reset", "ratelimit-reset", "x-ratelimit-reset"):
        v = headers.get(name)
        if not v:
            continue
        v = v.strip()
        try:
            if v.isdigit():
                return max(0.0, float(v) - now)
            return max(0.0, datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp() - now)
        except ValueError:
            continue
    return None
