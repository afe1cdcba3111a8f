"""The agents' durable state: the inbox, the outbox, conversations, transcripts, cursors.

One SQLite file (`STATE/agents.db`, WAL, synchronous=FULL) shared by `mynah serve` (the X
webhook, the console) and `mynah agents run` (the Bluesky and Mastodon pollers): each
process sends only for the platforms it holds adapters for, and the console sees every
conversation.

Exactly once, step by step:
1. An event is written to the inbox, keyed by (platform, event id), before the webhook
   answers 200 or the poller saves its cursor: an acknowledged event is never lost, and the
   same event twice is one row.
2. A worker claims it (`working`), decides the answer (which may take seconds of
   generation), and in one transaction writes the answer's outbox rows and marks the event
   `done`. Killed before that commit, the event is `new` again at the next start and is
   decided again: nothing was sent for it yet.
3. The sender counts an attempt and commits it *before* it calls the platform, and marks
   the row `sent` after. A row found with attempts > 0 may have been sent by a process
   that died between the two, so it is looked up on the platform first
   (`Adapter.find_sent`; Mastodon's Idempotency-Key also dedupes), and sent only if not
   found.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mynah.social.platforms.base import Event, Send, Sent

SCHEMA = """
CREATE TABLE IF NOT EXISTS inbox (
    platform TEXT NOT NULL, id TEXT NOT NULL, kind TEXT NOT NULL, event TEXT NOT NULL, conv TEXT,
    received REAL NOT NULL, status TEXT NOT NULL DEFAULT 'new', not_before REAL NOT NULL DEFAULT 0,
    note TEXT, tries INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (platform, id));
CREATE INDEX IF NOT EXISTS inbox_todo ON inbox (status, not_before);
CREATE INDEX IF NOT EXISTS inbox_conv ON inbox (platform, conv, status);
CREATE TABLE IF NOT EXISTS outbox (
    key TEXT PRIMARY KEY, platform TEXT NOT NULL, kind TEXT NOT NULL, send TEXT NOT NULL,
    event TEXT, conv TEXT, status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
    not_before REAL NOT NULL DEFAULT 0, remote_id TEXT, remote_ref TEXT, error TEXT,
    created REAL NOT NULL, sent_at REAL, seq INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS outbox_todo ON outbox (status, platform, not_before);
CREATE TABLE IF NOT EXISTS conversations (
    platform TEXT NOT NULL, conv TEXT NOT NULL, customer TEXT, customer_id TEXT,
    status TEXT NOT NULL DEFAULT 'bot', opted_out INTEGER NOT NULL DEFAULT 0,
    unanswered INTEGER NOT NULL DEFAULT 0, reason TEXT, replies TEXT NOT NULL DEFAULT '[]',
    ref TEXT NOT NULL DEFAULT '{}', updated REAL NOT NULL, PRIMARY KEY (platform, conv));
CREATE TABLE IF NOT EXISTS messages (
    n INTEGER PRIMARY KEY AUTOINCREMENT, platform TEXT NOT NULL, conv TEXT NOT NULL,
    role TEXT NOT NULL, text TEXT NOT NULL, citations TEXT, at REAL NOT NULL, ref TEXT);
CREATE INDEX IF NOT EXISTS messages_conv ON messages (platform, conv, n);
CREATE TABLE IF NOT EXISTS cursors (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

STATUSES = ("bot", "human", "closed")


@dataclass
class Conversation:
    platform: str
    conv: str
    customer: str | None = None
    customer_id: str | None = None
    status: str = "bot"  # bot | human (waiting for or with an operator) | closed
    opted_out: bool = False
    unanswered: int = 0  # consecutive bot answers that cited no section
    reason: str | None = None  # why it went to a human
    replies: list[float] | None = None  # times of the bot's recent replies (the rate limit)
    ref: dict | None = None  # what a reply needs (Event.ref, recipient id)
    updated: float = 0.0


@dataclass
class Plan:
    """What a worker decided for one event, committed in one transaction with the event."""

    sends: list[Send]
    conversation: Conversation | None = None
    messages: list[tuple[str, str, list | None]] = ()  # (role, text, citations) for the transcript
    note: str | None = None  # why nothing is sent, for the log and the inbox row
    defer: float | None = None  # seconds: decide again later (the per-conversation rate limit)


class AgentState:
    """Thread-safe: one connection per thread."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._seq = 0
        self._seq_lock = threading.Lock()
        self._write = threading.Lock()
        self._conn().executescript(SCHEMA)  # (executescript commits on its own)
        with self.tx() as c:
            # rows a killed worker was deciding are decided again (nothing was sent for them)
            c.execute("UPDATE inbox SET status = 'new' WHERE status = 'working'")
            row = c.execute("SELECT COALESCE(MAX(seq), 0) FROM outbox").fetchone()
            self._seq = row[0]

    # -- plumbing ---------------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        c = getattr(self._local, "conn", None)
        if c is None:
            c = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            c.execute("PRAGMA journal_mode=WAL")
            # FULL: a committed event survives a power cut too, not only a killed process
            c.execute("PRAGMA synchronous=FULL")
            c.execute("PRAGMA busy_timeout=30000")
            self._local.conn = c
        return c

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        # This process's writers take turns on a lock of their own: SQLite's busy handler
        # waits for a locked database by sleeping (up to 25 ms a try), which under a burst
        # made a webhook's acknowledgement wait hundreds of milliseconds behind the workers.
        # (Another process's writer is still waited for by busy_timeout.)
        with self._write:
            c = self._conn()
            c.execute("BEGIN IMMEDIATE")
            try:
                yield c
            except BaseException:
                c.execute("ROLLBACK")
                raise
            c.execute("COMMIT")

    def q(self, sql: str, args=()) -> list[tuple]:
        return self._conn().execute(sql, args).fetchall()

    def close(self) -> None:
        c = getattr(self._local, "conn", None)
        if c is not None:
            c.close()
            self._local.conn = None

    # -- the inbox ----------------------------------------------------------------------

    def accept(self, events: list[Event]) -> tuple[int, int]:
        """Store events durably; (new, duplicates). Committed when this returns."""
        now = time.time()
        new = 0
        with self.tx() as c:
            for e in events:
                cur = c.execute(
                    "INSERT OR IGNORE INTO inbox (platform, id, kind, event, conv, received) VALUES (?, ?, ?, ?, ?, ?)",
                    (e.platform, e.id, e.kind, json.dumps(e.as_dict()), e.conversation, now),
                )
                new += cur.rowcount
        return new, len(events) - new

    def claim(self, platforms: tuple[str, ...]) -> Event | None:
        """The oldest event due for a decision, marked `working`."""
        if not platforms:
            return None
        marks = ",".join("?" * len(platforms))
        # looked for without the write lock first: idle workers poll, and a write
        # transaction each time would keep the webhook's inserts waiting
        sql = (
            f"SELECT platform, id, event FROM inbox i WHERE status = 'new' AND not_before <= ? "
            f"AND platform IN ({marks}) AND NOT EXISTS (SELECT 1 FROM inbox w WHERE w.platform = i.platform "
            "AND w.conv = i.conv AND (w.status = 'working' OR (w.status = 'new' AND w.rowid < i.rowid))) "
            "ORDER BY received, rowid LIMIT 1"
        )
        if not self.q(sql, (time.time(), *platforms)):
            return None
        with self.tx() as c:
            # one event of a conversation at a time, in order: a second message of the same
            # customer waits until the first is decided, so both never read the same state
            row = c.execute(sql, (time.time(), *platforms)).fetchone()
            if row is None:
                return None
            c.execute("UPDATE inbox SET status = 'working' WHERE platform = ? AND id = ?", row[:2])
        return Event.from_dict(json.loads(row[2]))

    def release(self, e: Event, delay: float, note: str, max_tries: int = 50) -> bool:
        """Decide `e` again after `delay` seconds (the generating server or the platform was
        unavailable); after `max_tries` such delays it is skipped with `note` (an event
        that keeps failing must not hold its conversation forever). True: released."""
        with self.tx() as c:
            c.execute(
                "UPDATE inbox SET status = CASE WHEN tries + 1 >= ? THEN 'skipped' ELSE 'new' END, "
                "not_before = ?, note = ?, tries = tries + 1 WHERE platform = ? AND id = ?",
                (max_tries, time.time() + delay, note, e.platform, e.id),
            )
            row = c.execute(
                "SELECT status FROM inbox WHERE platform = ? AND id = ?", (e.platform, e.id)
            ).fetchone()
        return row is not None and row[0] == "new"

    def commit(self, e: Event, plan: Plan) -> None:
        """The decision for `e`: its sends, its conversation and transcript, the event done."""
        now = time.time()
        with self.tx() as c:
            if plan.defer is not None:
                c.execute(
                    "UPDATE inbox SET status = 'new', not_before = ?, note = ? WHERE platform = ? AND id = ?",
                    (now + plan.defer, plan.note, e.platform, e.id),
                )
                return
            sends = plan.sends
            if plan.conversation is not None:
                v = plan.conversation
                row = c.execute(
                    "SELECT status, updated FROM conversations WHERE platform = ? AND conv = ?",
                    (v.platform, v.conv),
                ).fetchone()
                if row is not None and row[1] > v.updated and row[0] != "bot" and v.status == "bot":
                    # an operator took the conversation over (or closed it) while the bot was
                    # deciding: theirs stands, and the bot's answer is not sent
                    v.status, sends = row[0], []
                    plan.note = f"not sent: the conversation became {row[0]!r} meanwhile"
            for s in sends:
                self._queue(c, s, f"{e.platform}:{e.id}", plan.conversation, now)
            if plan.conversation is not None:
                self._save_conv(c, plan.conversation, now)
                for role, text, cites in plan.messages:
                    c.execute(
                        "INSERT INTO messages (platform, conv, role, text, citations, at) VALUES (?, ?, ?, ?, ?, ?)",
                        (e.platform, plan.conversation.conv, role, text, json.dumps(cites), now),
                    )
            c.execute(
                "UPDATE inbox SET status = ?, note = ? WHERE platform = ? AND id = ?",
                ("done" if sends else "skipped", plan.note, e.platform, e.id),
            )

    def skip(self, e: Event, note: str) -> None:
        with self.tx() as c:
            c.execute(
                "UPDATE inbox SET status = 'skipped', note = ? WHERE platform = ? AND id = ?",
                (note, e.platform, e.id),
            )

    def inbox_counts(self) -> dict[str, int]:
        return dict(self.q("SELECT status, COUNT(*) FROM inbox GROUP BY status"))

    # -- the outbox ---------------------------------------------------------------------

    def _next_seq(self) -> int:
        with self._seq_lock:
            self._seq += 1
            return self._seq

    def _queue(self, c, s: Send, event: str | None, conv: Conversation | None, now: float) -> None:
        c.execute(
            "INSERT OR IGNORE INTO outbox (key, platform, kind, send, event, conv, created, seq) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                s.key,
                s.platform,
                s.kind,
                json.dumps(s.as_dict()),
                event,
                conv.conv if conv else None,
                now,
                self._next_seq(),
            ),
        )

    def queue(self, s: Send, conv: Conversation | None = None, message: tuple | None = None) -> None:
        """An operator's message: queued (and written to the transcript) in one transaction."""
        now = time.time()
        with self.tx() as c:
            self._queue(c, s, None, conv, now)
            if conv is not None:
                self._save_conv(c, conv, now)
            if message is not None and conv is not None:
                role, text, cites = message
                c.execute(
                    "INSERT INTO messages (platform, conv, role, text, citations, at) VALUES (?, ?, ?, ?, ?, ?)",
                    (conv.platform, conv.conv, role, text, json.dumps(cites), now),
                )

    def due(self, platforms: tuple[str, ...]) -> tuple[Send, int] | None:
        """The oldest pending send for `platforms` that is due, whose earlier part (a
        thread's) is sent: (the Send with its reply target filled in, attempts so far)."""
        if not platforms:
            return None
        marks = ",".join("?" * len(platforms))
        rows = self.q(
            f"SELECT key, send, attempts FROM outbox WHERE status = 'pending' AND not_before <= ? "
            f"AND platform IN ({marks}) ORDER BY seq LIMIT 32",
            (time.time(), *platforms),
        )
        for key, raw, attempts in rows:
            s = Send.from_dict(json.loads(raw))
            if s.after:
                prev = self.q("SELECT status, remote_id, remote_ref FROM outbox WHERE key = ?", (s.after,))
                if not prev or prev[0][0] == "failed":
                    self.fail(key, f"the thread's earlier part {s.after} was not sent")
                    continue
                if prev[0][0] != "sent":
                    continue
                # the next part answers the part before it
                s.to = prev[0][1]
                ref = json.loads(prev[0][2] or "{}")
                s.ref = {**s.ref, **ref, "root": s.ref.get("root", ref.get("root"))}
            return s, attempts
        return None

    def attempt(self, key: str) -> None:
        with self.tx() as c:
            c.execute("UPDATE outbox SET attempts = attempts + 1 WHERE key = ?", (key,))

    def sent(self, key: str, sent: Sent) -> None:
        with self.tx() as c:
            c.execute(
                "UPDATE outbox SET status = 'sent', remote_id = ?, remote_ref = ?, sent_at = ?, error = NULL "
                "WHERE key = ?",
                (sent.id, json.dumps(sent.ref), time.time(), key),
            )

    def retry(self, key: str, delay: float, error: str) -> None:
        with self.tx() as c:
            c.execute(
                "UPDATE outbox SET not_before = ?, error = ? WHERE key = ?", (time.time() + delay, error, key)
            )

    def fail(self, key: str, error: str) -> None:
        with self.tx() as c:
            c.execute("UPDATE outbox SET status = 'failed', error = ? WHERE key = ?", (error, key))

    def busy(self, platforms: tuple[str, ...] | None = None) -> int:
        """Events still to decide and sends still to make (for `platforms`, else all):
        0 when the agents have nothing left to do."""
        where, args = "", ()
        if platforms:
            where, args = f" AND platform IN ({','.join('?' * len(platforms))})", tuple(platforms)
        return self.q(
            f"SELECT (SELECT COUNT(*) FROM inbox WHERE status IN ('new', 'working'){where}) + "
            f"(SELECT COUNT(*) FROM outbox WHERE status = 'pending'{where})",
            args * 2,
        )[0][0]

    def outbox_rows(self, event: str | None = None) -> list[dict]:
        sql = "SELECT key, platform, kind, send, event, status, attempts, remote_id, error FROM outbox"
        rows = self.q(
            sql + (" WHERE event = ?" if event else "") + " ORDER BY seq", (event,) if event else ()
        )
        names = ("key", "platform", "kind", "send", "event", "status", "attempts", "remote_id", "error")
        out = []
        for r in rows:
            d = dict(zip(names, r))
            d["send"] = json.loads(d["send"])
            out.append(d)
        return out

    # -- conversations ------------------------------------------------------------------

    _CONV = (
        "SELECT platform, conv, customer, customer_id, status, opted_out, unanswered, reason, replies, ref, "
        "updated FROM conversations"
    )

    @staticmethod
    def _conv_of(r: tuple) -> Conversation:
        return Conversation(*r[:5], bool(r[5]), r[6], r[7], json.loads(r[8]), json.loads(r[9]), r[10])

    def conversation(self, platform: str, conv: str) -> Conversation | None:
        rows = self.q(self._CONV + " WHERE platform = ? AND conv = ?", (platform, conv))
        return self._conv_of(rows[0]) if rows else None

    def _save_conv(self, c, v: Conversation, now: float) -> None:
        c.execute(
            "INSERT INTO conversations (platform, conv, customer, customer_id, status, opted_out, unanswered, "
            "reason, replies, ref, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (platform, conv) DO UPDATE SET customer = excluded.customer, "
            "customer_id = excluded.customer_id, status = excluded.status, opted_out = excluded.opted_out, "
            "unanswered = excluded.unanswered, reason = excluded.reason, replies = excluded.replies, "
            "ref = excluded.ref, updated = excluded.updated",
            (
                v.platform,
                v.conv,
                v.customer,
                v.customer_id,
                v.status,
                int(v.opted_out),
                v.unanswered,
                v.reason,
                json.dumps(v.replies or []),
                json.dumps(v.ref or {}),
                now,
            ),
        )

    def save(self, v: Conversation) -> None:
        with self.tx() as c:
            self._save_conv(c, v, time.time())

    def conversations(self, status: str | None = None, limit: int = 200) -> list[Conversation]:
        where = " WHERE status = ?" if status else ""
        rows = self.q(
            self._CONV + where + " ORDER BY updated DESC LIMIT ?", ((status,) if status else ()) + (limit,)
        )
        return [self._conv_of(r) for r in rows]

    def transcript(self, platform: str, conv: str, limit: int = 200) -> list[dict]:
        rows = self.q(
            "SELECT n, role, text, citations, at FROM messages WHERE platform = ? AND conv = ? "
            "ORDER BY n DESC LIMIT ?",
            (platform, conv, limit),
        )
        return [
            {"n": n, "role": role, "text": text, "citations": json.loads(c) if c else None, "at": at}
            for n, role, text, c, at in rows[::-1]
        ]

    # -- cursors ------------------------------------------------------------------------

    def cursor(self, name: str) -> dict | None:
        rows = self.q("SELECT value FROM cursors WHERE name = ?", (name,))
        return json.loads(rows[0][0]) if rows else None

    def save_cursor(self, name: str, value: dict | None) -> None:
        with self.tx() as c:
            c.execute(
                "INSERT INTO cursors (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (name, json.dumps(value)),
            )
