"""The post store: what every backend keeps, and the embedded default (SQLite + FAISS).

A post is keyed by `platform:id` (an X id may equal a Mastodon id). Writing is idempotent
by that key: the same post again changes nothing, an edit replaces the text (and drops the
old embedding, so it is computed again), a delete removes the post and its vector.

Embedded default, and why this layout: this Python's `sqlite3` cannot load extensions, so
`sqlite-vec` would need `pysqlite3` or `apsw` as a second SQLite, and it searches by brute
force: 1M x 384 float32 is 1.5 GB read per query, far above a 50 ms budget on two cores.
So the posts, their full text index (FTS5, BM25) and their embeddings (float16 blobs, the
source of truth) live in one SQLite file in WAL mode, and the approximate index is a FAISS
HNSW graph beside it (`DB.faiss`), rebuilt from the database whenever it is missing, stale
or unreadable. The graph holds vector row ids; a search joins them back to the posts, so a
vector whose post was edited or deleted since is simply not found (and a graph with too
many such leftovers is rebuilt).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

DIM = 384  # all-MiniLM-L6-v2
EF_SEARCH = 128  # HNSW candidates a vector query explores (see _new_index)
SCHEMA_VERSION = 1
HASHTAG = re.compile(r"(?<![\w&])#(\w+)")


class StoreError(ValueError):
    """A post database that cannot be used: corrupt, locked, or not a mynah store."""


@dataclass
class Filters:
    """Narrow a search: ISO 8601 bounds (inclusive), an author, a language, a hashtag."""

    since: str | None = None
    until: str | None = None
    author: str | None = None
    lang: str | None = None
    hashtag: str | None = None

    def any(self) -> bool:
        return any(v is not None for v in (self.since, self.until, self.author, self.lang, self.hashtag))


@dataclass
class StoredPost:
    key: str
    id: str
    platform: str
    text: str
    author: str | None = None
    created_at: str | None = None
    lang: str | None = None
    url: str | None = None
    conversation_id: str | None = None
    reply_to: str | None = None
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "extra"}

    def columns(self) -> tuple:
        """The stored columns after the key, in both backends' order: id, platform, text,
        author, created_at, ts, lang, url, conversation_id, reply_to."""
        return (
            self.id,
            self.platform,
            self.text,
            self.author,
            self.created_at,
            epoch(self.created_at),
            self.lang,
            post_url(self.platform, self.id, self.author, self.url),
            self.conversation_id,
            self.reply_to,
        )


@dataclass
class Volume:
    """How many posts match a query over time (`PostStore.volume`), for a chart.

    buckets: the start (epoch seconds, UTC) of every hour or day from the first to the
    last, contiguous; counts: the matching posts in each (zero where none); langs: the
    matching posts by language code over all buckets ("und" where a post has none),
    largest first."""

    query: str
    by: str
    start: int
    buckets: list[int]
    counts: list[int]
    langs: dict[str, int]
    total: int


BUCKETS = {"hour": 3600, "day": 86400}


def open_store(db: str | os.PathLike, **kw) -> PostStore:
    """A SQLite file path, or a PostgreSQL URL (postgresql://...)."""
    if str(db).startswith(("postgresql://", "postgres://")):
        from mynah.posts.pg import PostgresStore

        return PostgresStore(str(db), **kw)
    return SQLiteStore(db, **kw)


def post_key(platform: str, pid: str) -> str:
    return f"{platform}:{pid}"


def epoch(iso: str | None) -> int | None:
    if not iso:
        return None
    try:
        return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return None


def post_url(platform: str, pid: str, author: str | None, url: str | None) -> str | None:
    """Where a person can read the post: the export's own URL, or the platform's permalink."""
    if url:
        return url
    if platform == "x" and pid.isdigit():
        # x.com/i/status/ID opens a post without knowing its author's handle.
        handle = author if author and not author.isdigit() else "i"  # an author_id is no handle
        return f"https://x.com/{handle}/status/{pid}"
    return None


def hashtags(text: str) -> list[str]:
    return sorted({t.lower() for t in HASHTAG.findall(text)})


def _instant(name: str, value: str | None) -> int | None:
    """An ISO 8601 bound as epoch seconds; a time without an offset is UTC (the chart's)."""
    if not value:
        return None
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (AttributeError, TypeError, ValueError):
        raise StoreError(f"{name}: {value!r} is not an ISO 8601 time") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    return int(t.timestamp())


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class PostStore:
    """What grounding and the CLI need of a backend. Implementations: SQLiteStore, PostgresStore.

    apply: a batch of ("upsert", StoredPost) and ("delete", key) in order, one transaction,
    with an optional follow cursor saved in it. text_search / vector_search: (key, score),
    best first. pending / set_embeddings: the posts still to embed, and their vectors."""

    def apply(self, ops: list[tuple[str, object]], cursor: tuple[str, dict] | None = None) -> dict:
        raise NotImplementedError

    def upsert(self, posts: list[StoredPost], cursor: tuple[str, dict] | None = None) -> dict:
        """Insert or update posts by key, in one transaction."""
        return self.apply([("upsert", p) for p in posts], cursor)

    def delete(self, keys: list[str], cursor: tuple[str, dict] | None = None) -> int:
        return self.apply([("delete", k) for k in keys], cursor)["deleted"]

    def get(self, keys: list[str]) -> list[StoredPost]:
        raise NotImplementedError

    def count(self) -> int:
        raise NotImplementedError

    def cursor(self, name: str) -> dict | None:
        raise NotImplementedError

    def text_search(self, query: str, k: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        raise NotImplementedError

    def conversation(self, platform: str, conversation_id: str, limit: int = 50) -> list[StoredPost]:
        """The posts of one conversation (its root, thread and replies), oldest first."""
        raise NotImplementedError

    def tag_counts(self, keys: list[str]) -> dict[str, int]:
        """How many of the posts `keys` use each hashtag (lower case, no '#')."""
        raise NotImplementedError

    def vector_search(
        self, vec: np.ndarray, k: int, filters: Filters | None = None
    ) -> list[tuple[str, float]]:
        raise NotImplementedError

    def doc_freq(self, word: str, cap: int, prefix: bool = False) -> int:
        """How many posts have `word` (a lowercase \\w+ word; with `prefix`, a word that
        starts with it), counted up to `cap`."""
        raise NotImplementedError

    def latest(self, k: int, filters: Filters) -> list[str]:
        """The keys of the newest `k` posts that pass `filters`, whatever their words (an
        author's posts, when a question names the author)."""
        raise NotImplementedError

    def volume(
        self, query: str, since: str | None, until: str | None, by: str = "day", max_buckets: int = 2000
    ) -> Volume:
        """How many posts match `query` in each UTC hour or day (`by`), and their languages.

        A post matches when it has every word of the query (AND, where `text_search` ORs):
        the words of `fts_query` (lower case, less STOPWORDS unless all are stopwords), as
        whole words of the full text index; a `#tag` matches the posts tagged so (its
        `hashtags`), not the bare word. A blank query matches every post. `since`/`until`:
        ISO 8601, inclusive (a time without an offset is UTC); the buckets run from the one
        holding `since` (else the earliest match) to the one holding `until` (else the
        latest match), zero-filled. No match: no buckets, unless both bounds are given (then
        the zero-filled range); `start` is then the bucket of `since` (else of `until`,
        else 0). Posts without a time are not counted. The counting is done in the
        database, never post by post here.

        StoreError (a ValueError) names the argument: a bound that is not ISO 8601, `since`
        after `until`, `by` not "hour" or "day", more than `max_buckets` buckets, or a
        query with no word to search for ("!!!")."""
        width = BUCKETS.get(by)
        if width is None:
            raise StoreError(f'by: {by!r} is not a bucket size; use "hour" or "day"')
        if max_buckets < 1:
            raise StoreError(f"max_buckets: {max_buckets!r} must be at least 1")
        lo, hi = _instant("since", since), _instant("until", until)
        if lo is not None and hi is not None and lo > hi:
            raise StoreError(f"since: {since!r} is after until: {until!r}")
        words, tags = volume_terms(query or "")
        if (query or "").strip() and not words and not tags:
            raise StoreError(f"query: {query!r} has no word to search for")
        floor = lambda t: t - t % width  # noqa: E731 - UTC hours and days: epoch multiples

        def empty() -> Volume:
            start = floor(lo) if lo is not None else floor(hi) if hi is not None else 0
            return Volume(query, by, start, [], [], {}, 0)

        def span(first: int, last: int) -> list[int]:
            n = (last - first) // width + 1
            if n > max_buckets:
                hint = 'by: "day" or ' if by == "hour" else ""
                raise StoreError(
                    f"{n} {by} buckets from {_iso(first)} to {_iso(last)}, more than max_buckets"
                    f" ({max_buckets}); use {hint}a narrower since/until"
                )
            return list(range(first, last + 1, width))

        a, b = lo, hi
        if not words and not tags and (a is None or b is None):
            # Every post matches: its bounds are the first and last post's (two index reads).
            first_last = self._ts_range()
            if first_last is None:
                return empty()
            a = first_last[0] if a is None else a
            b = first_last[1] if b is None else b
            if a > b:
                return empty()
        if a is not None and b is not None:
            span(floor(a), floor(b))  # before counting: a range too long costs no query
        per_bucket, per_lang = self._volume_counts(words, tags, a, b, width)
        per_bucket = {k: n for k, n in per_bucket if n}
        if not per_bucket and (lo is None or hi is None):
            return empty()
        buckets = span(
            floor(lo) if lo is not None else min(per_bucket), floor(hi) if hi is not None else max(per_bucket)
        )
        counts = [per_bucket.get(k, 0) for k in buckets]
        langs: dict[str, int] = {}
        for lang, n in per_lang:
            if n:
                langs[lang or "und"] = langs.get(lang or "und", 0) + n
        langs = dict(sorted(langs.items(), key=lambda kv: (-kv[1], kv[0])))
        return Volume(query, by, buckets[0], buckets, counts, langs, sum(counts))

    def _ts_range(self) -> tuple[int, int] | None:
        """The earliest and latest post time (posts without one aside); None: no such post."""
        raise NotImplementedError

    def _volume_counts(
        self, words: list[str], tags: list[str], lo: int | None, hi: int | None, width: int
    ) -> tuple[list[tuple[int, int]], list[tuple[str | None, int]]]:
        """For the posts with every word, every tag (none: every post) and a time in
        [lo, hi] (None: open; both given when there are no words and no tags): how many
        in each bucket, as (bucket start, posts), where a bucket is the time floored to a
        multiple of `width` seconds; and how many of each language, as (lang, posts)."""
        raise NotImplementedError

    def pending(self, limit: int) -> list[tuple[int, str]]:
        raise NotImplementedError

    def pending_count(self) -> int:
        raise NotImplementedError

    def set_embeddings(self, rows: list[tuple[int, str]], vecs: np.ndarray) -> int:
        raise NotImplementedError

    def close(self) -> None:
        pass


# FTS5 needs its query syntax escaped: every word is quoted, so a post or a question with
# "NEAR(" or "-" or a stray quote is searched for, never parsed.
_WORD = re.compile(r"\w+", re.UNICODE)
STOPWORDS = frozenset(
    """a an and are as at be but by do does for from has have how i in is it its me my of on or
    our so that the their them there these they this to was we what when where which who why
    will with would you your about people saying think der die das und ist nicht ein eine
    zu mit den von im es el la los las y en de que un una por con para del se lo was wie sagen leute
    über qué dice gente sobre cómo here there now right new anyone anything someone talking ich du er
    sie wir ihr mir mich dich uns jemand gibt auch noch schon hoy alguien habla algo nuevo nueva
    muy más yo tú él ella hat haben habe hast wird werden sind war bei auf für zum zur dem des einen
    einem kannst kann bitte gern hätte welche wer al hay me te mi su sus alguna alguno está son
    post posts please tell show give""".split()  # noqa: SIM905
)


def fts_query(text: str) -> str | None:
    words = [w for w in _WORD.findall(text.lower()) if w not in STOPWORDS]
    if not words:
        words = _WORD.findall(text.lower())
    if not words:
        return None
    return " OR ".join(f'"{w}"' for w in dict.fromkeys(words))


def fold_counts(rows: Iterable[tuple[int, str | None, int]]) -> tuple[list, list]:
    """(bucket, lang, posts) rows as posts by bucket and posts by lang."""
    per_bucket: dict[int, int] = {}
    per_lang: dict[str | None, int] = {}
    for bucket, lang, n in rows:
        per_bucket[bucket] = per_bucket.get(bucket, 0) + n
        per_lang[lang] = per_lang.get(lang, 0) + n
    return list(per_bucket.items()), list(per_lang.items())


def volume_terms(query: str) -> tuple[list[str], list[str]]:
    """The words and hashtags that `volume` requires every matching post to have.

    Hashtags (`#word`, as in a post) match the post's hashtags; the other words are
    `fts_query`'s: lower-case \\w+ words less STOPWORDS (all of them, if every word is one
    and there is no hashtag)."""
    tags = list(dict.fromkeys(t.lower() for t in HASHTAG.findall(query)))
    # "_" alone is a \w+ word that neither full text index holds
    every = [w for w in _WORD.findall(HASHTAG.sub(" ", query).lower()) if w.strip("_")]
    words = [w for w in every if w not in STOPWORDS] or ([] if tags else every)
    return list(dict.fromkeys(words)), tags


class SQLiteStore(PostStore):
    """One SQLite file (WAL, FTS5) + a FAISS HNSW index beside it. Safe to share between
    threads: one writer connection under a lock, one reader connection per thread."""

    def __init__(
        self, path: str | os.PathLike, timeout: float = 5.0, index: bool = True, bm25_window: int = 5_000
    ):
        self.path = Path(path)
        if self.path.is_dir():  # sqlite3 would only say "unable to open database file"
            raise StoreError(f"{self.path}: is a folder; --db names a database file (created if missing)")
        if not self.path.parent.is_dir():
            raise StoreError(f"{self.path}: the folder {self.path.parent} does not exist")
        self.bm25_window = bm25_window
        self.timeout = timeout
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self._index_lock = threading.Lock()
        self._conns: list[sqlite3.Connection] = []
        self._w = self._connect()
        self._init_schema()
        self._use_index = index
        self._index = None  # faiss index of vector row ids, loaded on first vector search
        self._indexed_upto = 0  # highest vector row id in the index
        self._saved_upto = 0

    # ---- connections -----------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        try:
            c = sqlite3.connect(
                self.path, timeout=self.timeout, check_same_thread=False, isolation_level=None
            )
            c.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            c.execute("PRAGMA journal_mode = WAL")
            c.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error as e:
            raise self._error(e) from None
        self._conns.append(c)
        return c

    def _error(self, e: sqlite3.Error) -> StoreError:
        msg = str(e)
        if "locked" in msg or "busy" in msg:
            return StoreError(
                f"{self.path}: the database is locked by another process (waited {self.timeout:g} s); "
                "stop the other writer or try again"
            )
        if "not a database" in msg or "malformed" in msg or "corrupt" in msg:
            return StoreError(
                f"{self.path}: not a mynah post database, or it is corrupt ({msg}); "
                "restore it from a backup or ingest again into a new file"
            )
        return StoreError(f"{self.path}: {msg}")

    @property
    def _r(self) -> sqlite3.Connection:
        c = getattr(self._local, "conn", None)
        if c is None:
            c = self._local.conn = self._connect()
        return c

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._write_lock:
            try:
                self._w.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as e:
                raise self._error(e) from None
            try:
                yield self._w
                self._w.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    self._w.execute("ROLLBACK")
                raise

    def _q(self, sql: str, args: Iterable = ()) -> list[tuple]:
        try:
            return self._r.execute(sql, tuple(args)).fetchall()
        except sqlite3.Error as e:
            raise self._error(e) from None

    def _init_schema(self) -> None:
        try:
            with self._write_lock:
                self._w.executescript(f"BEGIN IMMEDIATE;\n{_SCHEMA};\nCOMMIT;")
            row = self._q("SELECT value FROM meta WHERE key = 'schema'")
            if not row:
                with self._tx() as c:
                    c.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
            elif int(row[0][0]) != SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path}: schema version {row[0][0]}; this mynah reads {SCHEMA_VERSION}"
                )
        except sqlite3.Error as e:
            raise self._error(e) from None

    def close(self) -> None:
        if self._index is not None and self._indexed_upto > self._saved_upto:
            self.save_index()
        for c in self._conns:
            with contextlib.suppress(sqlite3.Error):
                c.close()
        self._conns.clear()

    # ---- writing -----------------------------------------------------------------------

    def apply(self, ops: list[tuple[str, object]], cursor: tuple[str, dict] | None = None) -> dict:
        """A mixed batch in order, ("upsert", StoredPost) and ("delete", key), as one
        transaction together with the follow cursor, if given: a restart never sees the
        posts without the cursor, or the cursor without the posts."""
        out = {"created": 0, "updated": 0, "deleted": 0, "unchanged": 0}
        try:
            with self._tx() as c:
                for op, item in ops:
                    if op == "delete":
                        out["deleted"] += c.execute("DELETE FROM posts WHERE key = ?", (item,)).rowcount
                    else:
                        out[self._upsert_one(c, item)] += 1
                if cursor is not None:
                    self._set_cursor(c, *cursor)
        except sqlite3.Error as e:
            raise self._error(e) from None
        return out

    def _upsert_one(self, c: sqlite3.Connection, p: StoredPost) -> str:
        row = c.execute("SELECT rowid, text FROM posts WHERE key = ?", (p.key,)).fetchone()
        vals = p.columns()
        if row is None:
            rowid = c.execute(
                "INSERT INTO posts (key, id, platform, text, author, created_at, ts, lang, url,"
                " conversation_id, reply_to) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (p.key, *vals),
            ).lastrowid
            result = "created"
        else:
            rowid, old_text = row
            if old_text == p.text:
                return "unchanged"  # the same post again
            # An edit: the trigger drops the old vector; needs_embed queues the new text.
            c.execute(
                "UPDATE posts SET id=?, platform=?, text=?, author=?, created_at=?, ts=?, lang=?,"
                " url=?, conversation_id=?, reply_to=?, needs_embed=1 WHERE rowid = ?",
                (*vals, rowid),
            )
            c.execute("DELETE FROM hashtags WHERE post = ?", (rowid,))
            result = "updated"
        c.executemany("INSERT OR IGNORE INTO hashtags VALUES (?, ?)", [(t, rowid) for t in hashtags(p.text)])
        return result

    # ---- cursors (for `posts follow`) ----------------------------------------------------

    def _set_cursor(self, c: sqlite3.Connection, name: str, value: dict) -> None:
        c.execute("INSERT OR REPLACE INTO cursors VALUES (?, ?)", (name, json.dumps(value)))

    def cursor(self, name: str) -> dict | None:
        rows = self._q("SELECT value FROM cursors WHERE name = ?", (name,))
        return json.loads(rows[0][0]) if rows else None

    # ---- reading -----------------------------------------------------------------------

    def count(self) -> int:
        return self._q("SELECT count(*) FROM posts")[0][0]

    def get(self, keys: list[str]) -> list[StoredPost]:
        if not keys:
            return []
        rows = self._q(
            f"SELECT key, id, platform, text, author, created_at, lang, url, conversation_id, reply_to"
            f" FROM posts WHERE key IN ({','.join('?' * len(keys))})",
            keys,
        )
        by = {r[0]: StoredPost(*r) for r in rows}
        return [by[k] for k in keys if k in by]

    def conversation(self, platform: str, conversation_id: str, limit: int = 50) -> list[StoredPost]:
        rows = self._q(
            "SELECT key, id, platform, text, author, created_at, lang, url, conversation_id, reply_to"
            " FROM posts WHERE platform = ? AND (conversation_id = ? OR id = ?) ORDER BY ts, rowid LIMIT ?",
            (platform, conversation_id, conversation_id, limit),
        )
        return [StoredPost(*r) for r in rows]

    def tag_counts(self, keys: list[str]) -> dict[str, int]:
        if not keys:
            return {}
        rows = self._q(
            "SELECT h.tag, count(*) FROM hashtags h JOIN posts p ON p.rowid = h.post"
            f" WHERE p.key IN ({','.join('?' * len(keys))}) GROUP BY h.tag",
            keys,
        )
        return dict(rows)

    def _where(self, f: Filters, alias: str = "p") -> tuple[str, list]:
        cond, args = [], []
        if f.since:
            cond.append(f"{alias}.ts >= ?")
            args.append(epoch(f.since))
        if f.until:
            cond.append(f"{alias}.ts <= ?")
            args.append(epoch(f.until))
        if f.author:
            cond.append(f"{alias}.author = ?")
            args.append(f.author.lstrip("@"))
        if f.lang:
            cond.append(f"{alias}.lang = ?")
            args.append(f.lang)
        if f.hashtag:
            cond.append(f"{alias}.rowid IN (SELECT post FROM hashtags WHERE tag = ?)")
            args.append(f.hashtag.lstrip("#").lower())
        return (" AND " + " AND ".join(cond) if cond else ""), args

    def text_search(self, query: str, k: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        """BM25 over FTS5: (key, score), best first (score: higher is better).

        FTS5 computes bm25() for every post that matches before it can sort, so a query
        with a common word costs time in proportion to the stream (60-90 ms p95 at 1M posts).
        Without filters, the ranking is over the newest `bm25_window` matches (by arrival;
        the IDF statistics stay global): a live-posts assistant weights recency anyway,
        and older posts remain reachable by meaning (vector search) and by time filters.
        With filters every match is ranked."""
        q = fts_query(query)
        if q is None:
            return []
        filters = filters or Filters()
        where, args = self._where(filters)
        if filters.any():
            rows = self._q(
                "SELECT p.key, -bm25(posts_fts) FROM posts_fts JOIN posts p ON p.rowid = posts_fts.rowid"
                f" WHERE posts_fts MATCH ?{where} ORDER BY bm25(posts_fts) LIMIT ?",
                [q, *args, k],
            )
            return [(key, float(s)) for key, s in rows]
        floor = 0
        if self.bm25_window:
            row = self._q(
                "SELECT rowid FROM posts_fts WHERE posts_fts MATCH ? ORDER BY rowid DESC LIMIT 1 OFFSET ?",
                (q, self.bm25_window),
            )
            floor = row[0][0] if row else 0
        # Rank on the FTS table alone, then look up the keys of the top k: a join would
        # fetch a posts row for every match (half the time at 1M posts).
        top = self._q(
            "SELECT rowid, -bm25(posts_fts) FROM posts_fts WHERE posts_fts MATCH ? AND rowid > ?"
            " ORDER BY bm25(posts_fts) LIMIT ?",
            (q, floor, k),
        )
        if not top:
            return []
        keys = dict(
            self._q(
                f"SELECT rowid, key FROM posts WHERE rowid IN ({','.join('?' * len(top))})",
                [r for r, _ in top],
            )
        )
        return [(keys[r], float(s)) for r, s in top if r in keys]

    def doc_freq(self, word: str, cap: int, prefix: bool = False) -> int:
        q = f'"{word}"' + ("*" if prefix else "")
        return self._q(
            "SELECT count(*) FROM (SELECT 1 FROM posts_fts WHERE posts_fts MATCH ? LIMIT ?)", (q, cap)
        )[0][0]

    def latest(self, k: int, filters: Filters) -> list[str]:
        where, args = self._where(filters)
        return [
            r[0]
            for r in self._q(
                f"SELECT p.key FROM posts p WHERE 1{where} ORDER BY p.ts DESC LIMIT ?", [*args, k]
            )
        ]

    def _ts_range(self) -> tuple[int, int] | None:
        row = self._q("SELECT (SELECT min(ts) FROM posts), (SELECT max(ts) FROM posts)")[0]
        return None if row[0] is None else row

    def _volume_counts(
        self, words: list[str], tags: list[str], lo: int | None, hi: int | None, width: int
    ) -> tuple[list[tuple[int, int]], list[tuple[str | None, int]]]:
        """Two plans (times: a synthetic store of 1M posts over 60 days, two cores):

        - every post (no words, no tags): no post is read and nothing is sorted. A bucket's
          count is a range count on `posts_ts`, a language's one on `posts_lang_ts`, the
          languages found by skipping from one to the next in that index: 70 ms for a
          month of 500k posts, where GROUP BY bucket, lang sorts them all (450 ms; 300 ms
          with an index on (ts, lang)).
        - words and tags: FTS5 (and `hashtags`) give the matching rowids; their ts and lang
          come from the narrow `posts_rowid_ts_lang` rather than the wide posts rows (70 ms
          rather than 115 ms for 50k matches), then GROUP BY bucket, lang."""
        if not words and not tags:
            assert lo is not None and hi is not None
            first = lo - lo % width
            buckets = self._q(
                "WITH RECURSIVE k(s) AS (SELECT ?1 UNION ALL SELECT s + ?4 FROM k WHERE s + ?4 <= ?3)"
                " SELECT s, (SELECT count(*) FROM posts WHERE ts >= max(s, ?2) AND ts <= min(s + ?4 - 1, ?3))"
                " FROM k",
                (first, lo, hi, width),
            )
            langs = self._q(
                "WITH RECURSIVE l(lang) AS (SELECT (SELECT min(lang) FROM posts)"
                " UNION ALL SELECT (SELECT min(lang) FROM posts WHERE lang > l.lang) FROM l"
                " WHERE l.lang IS NOT NULL)"
                " SELECT lang, (SELECT count(*) FROM posts WHERE lang = l.lang AND ts BETWEEN ?1 AND ?2)"
                " FROM l WHERE lang IS NOT NULL"
                " UNION ALL SELECT NULL, (SELECT count(*) FROM posts WHERE lang IS NULL AND ts BETWEEN ?1 AND ?2)",
                (lo, hi),
            )
            return buckets, langs
        cond, args, source = ["p.ts IS NOT NULL"], [], "posts p INDEXED BY posts_rowid_ts_lang"
        if words:
            # FTS drives, posts joined by rowid: a fifth faster than `rowid IN (subquery)`
            # for a common word (114 vs 147 ms at 100k matches)
            source = "posts_fts f JOIN posts p INDEXED BY posts_rowid_ts_lang ON p.rowid = f.rowid"
            cond.append("posts_fts MATCH ?")
            args.append(" AND ".join(f'"{w}"' for w in words))
        for tag in tags:
            cond.append("p.rowid IN (SELECT post FROM hashtags WHERE tag = ?)")
            args.append(tag)
        if lo is not None:
            cond.append("p.ts >= ?")
            args.append(lo)
        if hi is not None:
            cond.append("p.ts <= ?")
            args.append(hi)
        rows = self._q(
            f"SELECT p.ts - (p.ts % {width} + {width}) % {width} AS b, p.lang, count(*)"
            f" FROM {source} WHERE {' AND '.join(cond)} GROUP BY b, p.lang",
            args,
        )
        return fold_counts(rows)

    def like_search(self, query: str, k: int) -> list[tuple[str, float]]:
        """The baseline the benchmark compares with: every word as a LIKE, no index."""
        words = [w for w in _WORD.findall(query.lower()) if w not in STOPWORDS][:8]
        if not words:
            return []
        score = " + ".join("(text LIKE ?)" for _ in words)
        rows = self._q(
            f"SELECT key, {score} AS s FROM posts WHERE s > 0 ORDER BY s DESC, ts DESC LIMIT ?",
            [*(f"%{w}%" for w in words), k],
        )
        return [(key, float(s)) for key, s in rows]

    # ---- embeddings ------------------------------------------------------------------------

    def pending(self, limit: int) -> list[tuple[int, str]]:
        """Posts without an embedding yet: (rowid, text), oldest first."""
        return self._q("SELECT rowid, text FROM posts WHERE needs_embed = 1 ORDER BY rowid LIMIT ?", (limit,))

    def pending_count(self) -> int:
        return self._q("SELECT count(*) FROM posts WHERE needs_embed = 1")[0][0]

    def set_embeddings(self, rows: list[tuple[int, str]], vecs: np.ndarray) -> int:
        """Store embeddings for (rowid, text) pairs from `pending`; a post edited or deleted
        meanwhile (its text no longer matches) is skipped, and picked up again as pending."""
        blobs = vecs.astype(np.float16)
        n = 0
        with self._tx() as c:
            for (rowid, text), v in zip(rows, blobs):
                cur = c.execute(
                    "UPDATE posts SET needs_embed = 0 WHERE rowid = ? AND text = ? AND needs_embed = 1",
                    (rowid, text),
                )
                if cur.rowcount:
                    c.execute(
                        "INSERT OR REPLACE INTO vectors (post, emb) VALUES (?, ?)", (rowid, v.tobytes())
                    )
                    n += 1
        return n

    def _vectors_since(self, vid: int, limit: int = 50_000) -> tuple[np.ndarray, np.ndarray]:
        rows = self._q("SELECT vid, emb FROM vectors WHERE vid > ? ORDER BY vid LIMIT ?", (vid, limit))
        if not rows:
            return np.zeros(0, np.int64), np.zeros((0, DIM), np.float32)
        ids = np.fromiter((r[0] for r in rows), np.int64, len(rows))
        vecs = (
            np.frombuffer(b"".join(r[1] for r in rows), np.float16).reshape(len(rows), -1).astype(np.float32)
        )
        return ids, vecs

    @property
    def index_path(self) -> Path:
        return self.path.with_name(self.path.name + ".faiss")

    def _new_index(self):
        import faiss

        # M=16 links a node (half the build time of 32). A query explores EF_SEARCH = 128
        # candidates: 2 ms at 1M vectors. On the benchmark's 1M vectors, 100 noisy copies
        # of each of 10k real embeddings (near-ties everywhere: the hardest case for a
        # graph), it finds 0.57 of the exact top 10 (256: 0.71 for 2x the time, 64: 0.46);
        # docs/BENCHMARKS.md has the figures.
        hnsw = faiss.IndexHNSWFlat(DIM, 16, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = 40
        return faiss.IndexIDMap2(hnsw)

    def _load_index(self) -> None:
        """The saved index, if it belongs to this database; else an empty one (filled from
        the stored vectors by `refresh_index`). The file is one JSON line, which names the
        database and the last vector it holds, then FAISS's own serialization: one file,
        so a crash can never pair an index with another's metadata."""
        import faiss

        if self.index_path.exists():
            try:
                with open(self.index_path, "rb") as f:
                    meta = json.loads(f.readline())
                    if meta.get("db_id") == self._db_id():
                        self._index = faiss.read_index(faiss.PyCallbackIOReader(f.read))
                        self._indexed_upto = self._saved_upto = int(meta["upto"])
                        return
            except (RuntimeError, ValueError, KeyError, OSError):
                pass  # unreadable or from another database: rebuilt from the vectors
        self._index, self._indexed_upto, self._saved_upto = self._new_index(), 0, 0

    def _db_id(self) -> str:
        rows = self._q("SELECT value FROM meta WHERE key = 'db_id'")
        if rows:
            return rows[0][0]
        value = f"{time.time_ns():x}-{os.getpid()}"
        with self._tx() as c:
            c.execute("INSERT OR IGNORE INTO meta VALUES ('db_id', ?)", (value,))
        return self._q("SELECT value FROM meta WHERE key = 'db_id'")[0][0]

    def refresh_index(self, progress: bool = False) -> int:
        """Add the vectors stored since the index last looked (by this or another process)."""
        added = 0
        with self._index_lock:
            if self._index is None:
                self._load_index()
            upto = self._q("SELECT coalesce(max(vid), 0) FROM vectors")[0][0]  # O(log n): every query
            if upto == self._indexed_upto:
                return 0
            # A database rolled back under the index, or a graph that is mostly leftovers of
            # edited and deleted posts, is rebuilt.
            if (
                upto < self._indexed_upto
                or self._index.ntotal > 2 * self._q("SELECT count(*) FROM vectors")[0][0] + 1000
            ):
                self._index, self._indexed_upto = self._new_index(), 0
            while True:
                ids, vecs = self._vectors_since(self._indexed_upto)
                if not len(ids):
                    break
                self._index.add_with_ids(vecs, ids)
                self._indexed_upto = int(ids[-1])
                added += len(ids)
                if progress:
                    print(f"\rvector index: {self._index.ntotal:,} vectors", end="", flush=True)
            if progress and added:
                print()
        return added

    def save_index(self) -> None:
        import faiss

        with self._index_lock:
            if self._index is None:
                return
            tmp = self.index_path.with_name(f"{self.index_path.name}.{os.getpid()}.tmp")
            with open(tmp, "wb") as f:
                f.write(json.dumps({"db_id": self._db_id(), "upto": self._indexed_upto}).encode() + b"\n")
                faiss.write_index(self._index, faiss.PyCallbackIOWriter(f.write))
            os.replace(tmp, self.index_path)
            self._saved_upto = self._indexed_upto

    def vector_search(
        self, vec: np.ndarray, k: int, filters: Filters | None = None
    ) -> list[tuple[str, float]]:
        """Cosine similarity (embeddings are unit length): (key, score), best first."""
        filters = filters or Filters()
        vec = np.asarray(vec, np.float32).reshape(1, -1)
        if filters.any():
            where, args = self._where(filters)
            n = self._q(f"SELECT count(*) FROM posts p WHERE 1{where}", args)[0][0]
            if n <= 20_000:  # few enough to compare exactly, and the graph may miss them
                rows = self._q(
                    f"SELECT p.key, v.emb FROM posts p JOIN vectors v ON v.post = p.rowid WHERE 1{where}",
                    args,
                )
                if not rows:
                    return []
                m = np.frombuffer(b"".join(r[1] for r in rows), np.float16).reshape(len(rows), -1)
                sims = m.astype(np.float32) @ vec[0]
                top = np.argsort(-sims)[:k]
                return [(rows[i][0], float(sims[i])) for i in top]
        if not self._use_index:
            return []
        import faiss

        self.refresh_index()
        want = k * (10 if filters.any() else 2)
        with self._index_lock:
            if self._index.ntotal == 0:
                return []
            params = faiss.SearchParametersHNSW(efSearch=max(EF_SEARCH, want))
            sims, ids = self._index.search(vec, min(want, self._index.ntotal), params=params)
        hits = [(int(i), float(s)) for i, s in zip(ids[0], sims[0]) if i >= 0]
        if not hits:
            return []
        where, args = self._where(filters)
        rows = self._q(
            f"SELECT v.vid, p.key FROM vectors v JOIN posts p ON p.rowid = v.post"
            f" WHERE v.vid IN ({','.join('?' * len(hits))}){where}",
            [h[0] for h in hits] + args,
        )
        key = dict(rows)
        return [(key[i], s) for i, s in hits if i in key][:k]


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS posts (
    rowid INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    id TEXT NOT NULL,
    platform TEXT NOT NULL,
    text TEXT NOT NULL,
    author TEXT,
    created_at TEXT,
    ts INTEGER,
    lang TEXT,
    url TEXT,
    conversation_id TEXT,
    reply_to TEXT,
    needs_embed INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS posts_pending ON posts (rowid) WHERE needs_embed = 1;
CREATE INDEX IF NOT EXISTS posts_ts ON posts (ts);
-- for volume(): a post's time and language without reading its (wide) row, and the posts
-- of a language in a time range
CREATE INDEX IF NOT EXISTS posts_rowid_ts_lang ON posts (rowid, ts, lang);
CREATE INDEX IF NOT EXISTS posts_lang_ts ON posts (lang, ts);
CREATE INDEX IF NOT EXISTS posts_author ON posts (author);
CREATE INDEX IF NOT EXISTS posts_conversation ON posts (platform, conversation_id);
CREATE TABLE IF NOT EXISTS hashtags (tag TEXT NOT NULL, post INTEGER NOT NULL, PRIMARY KEY (tag, post)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS vectors (vid INTEGER PRIMARY KEY AUTOINCREMENT, post INTEGER NOT NULL UNIQUE, emb BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS cursors (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS posts_fts USING fts5 (
    text, content = 'posts', content_rowid = 'rowid', tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS posts_ai AFTER INSERT ON posts BEGIN
    INSERT INTO posts_fts (rowid, text) VALUES (new.rowid, new.text);
END;
CREATE TRIGGER IF NOT EXISTS posts_ad AFTER DELETE ON posts BEGIN
    INSERT INTO posts_fts (posts_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
    DELETE FROM vectors WHERE post = old.rowid;
    DELETE FROM hashtags WHERE post = old.rowid;
END;
CREATE TRIGGER IF NOT EXISTS posts_au AFTER UPDATE OF text ON posts BEGIN
    INSERT INTO posts_fts (posts_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
    INSERT INTO posts_fts (rowid, text) VALUES (new.rowid, new.text);
    DELETE FROM vectors WHERE post = old.rowid;
END
"""
