"""The PostgreSQL backend of the post store: for a platform that already runs PostgreSQL,
or wants several servers to share one store.

- Full text: a generated `tsvector` column (the 'simple' configuration: no stemming, since
  posts come in many languages) with a GIN index, ranked by `ts_rank_cd`. PostgreSQL has
  no BM25; cover density ranking is its closest built-in.
- Vectors: `real[]` columns. An approximate index needs the pgvector extension, which
  Debian 12's archive does not carry, so the search is brute force in SQL: a dot product
  over every embedded post that passes the filters. That costs ~120 us a post here, 1.2 s
  a query at 10k posts (docs/BENCHMARKS.md): fine for a few thousand posts, or behind
  selective filters (an author, a day); above that, use the SQLite store's HNSW index, or
  add pgvector and an HNSW index on a vector(384) column.
- The follow cursor lives in the same database and commits with the posts it covers.
"""

from __future__ import annotations

import json
import re
import threading

import numpy as np

from mynah.posts.store import (
    STOPWORDS,
    Filters,
    PostStore,
    StoredPost,
    StoreError,
    epoch,
    fold_counts,
    hashtags,
)

_WORD = re.compile(r"\w+", re.UNICODE)

SCHEMA = """
CREATE TABLE IF NOT EXISTS mynah_posts (
    rowid BIGSERIAL PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    id TEXT NOT NULL,
    platform TEXT NOT NULL,
    text TEXT NOT NULL,
    author TEXT,
    created_at TEXT,
    ts BIGINT,
    lang TEXT,
    url TEXT,
    conversation_id TEXT,
    reply_to TEXT,
    tags TEXT[] NOT NULL DEFAULT '{}',
    tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED,
    emb REAL[],
    needs_embed BOOLEAN NOT NULL DEFAULT TRUE
);
CREATE INDEX IF NOT EXISTS mynah_posts_tsv ON mynah_posts USING GIN (tsv);
CREATE INDEX IF NOT EXISTS mynah_posts_tags ON mynah_posts USING GIN (tags);
CREATE INDEX IF NOT EXISTS mynah_posts_ts ON mynah_posts (ts);
-- volume() with no words: the posts of a time range counted by hour or day and language from
-- the index alone (an index-only scan: half the time of reading the rows)
CREATE INDEX IF NOT EXISTS mynah_posts_ts_lang ON mynah_posts (ts, lang);
CREATE INDEX IF NOT EXISTS mynah_posts_author ON mynah_posts (author);
CREATE INDEX IF NOT EXISTS mynah_posts_conversation ON mynah_posts (platform, conversation_id);
CREATE INDEX IF NOT EXISTS mynah_posts_pending ON mynah_posts (rowid) WHERE needs_embed;
CREATE TABLE IF NOT EXISTS mynah_cursors (name TEXT PRIMARY KEY, value TEXT NOT NULL);
-- in double precision: a product of two small reals underflows float4, which is an error
CREATE OR REPLACE FUNCTION mynah_dot(a REAL[], b REAL[]) RETURNS DOUBLE PRECISION
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT sum(x::float8 * y::float8) FROM unnest(a, b) AS t(x, y)';
"""


def ts_query(text: str) -> str | None:
    """An OR of the question's words; \\w+ words carry none of tsquery's operators."""
    words = [w for w in _WORD.findall(text.lower()) if w not in STOPWORDS] or _WORD.findall(text.lower())
    return " | ".join(dict.fromkeys(words)) if words else None


class PostgresStore(PostStore):
    def __init__(self, url: str, timeout: float = 5.0, **_):
        import psycopg

        self.url, self._psycopg = url, psycopg
        safe = re.sub(r"//[^@/]*@", "//***@", url)  # never print a password
        self.name = safe
        # One connection, shared by the server's threads: the lock keeps one thread's
        # transaction from swallowing another's statements.
        self._lock = threading.RLock()
        try:
            self._conn = psycopg.connect(url, connect_timeout=max(1, int(timeout)), autocommit=True)
            with self._conn.transaction():
                self._conn.execute("SELECT pg_advisory_xact_lock(7317)")  # one schema creator at a time
                self._conn.execute(SCHEMA)
        except psycopg.Error as e:
            # psycopg puts hints on later lines: one line, so a log shows the whole error
            raise StoreError(
                f"{safe}: cannot use the PostgreSQL post store: {' '.join(str(e).split())}"
            ) from None

    def _error(self, e: Exception) -> StoreError:
        return StoreError(f"{self.name}: {e}".strip())

    def close(self) -> None:
        self._conn.close()

    def _q(self, sql: str, args=()) -> list[tuple]:
        try:
            with self._lock:
                return self._conn.execute(sql, args).fetchall()
        except self._psycopg.Error as e:
            raise self._error(e) from None

    # ---- writing -----------------------------------------------------------------------

    def apply(self, ops: list[tuple[str, object]], cursor: tuple[str, dict] | None = None) -> dict:
        out = {"created": 0, "updated": 0, "deleted": 0, "unchanged": 0}
        try:
            with self._lock, self._conn.transaction():
                for op, item in ops:
                    if op == "delete":
                        out["deleted"] += self._conn.execute(
                            "DELETE FROM mynah_posts WHERE key = %s", (item,)
                        ).rowcount
                        continue
                    p: StoredPost = item
                    row = self._conn.execute(
                        "INSERT INTO mynah_posts (key, id, platform, text, author, created_at, ts, lang, url,"
                        " conversation_id, reply_to, tags)"
                        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                        " ON CONFLICT (key) DO UPDATE SET id = EXCLUDED.id, platform = EXCLUDED.platform,"
                        " text = EXCLUDED.text, author = EXCLUDED.author, created_at = EXCLUDED.created_at,"
                        " ts = EXCLUDED.ts, lang = EXCLUDED.lang, url = EXCLUDED.url,"
                        " conversation_id = EXCLUDED.conversation_id, reply_to = EXCLUDED.reply_to,"
                        " tags = EXCLUDED.tags, emb = NULL, needs_embed = TRUE"
                        " WHERE mynah_posts.text IS DISTINCT FROM EXCLUDED.text"
                        " RETURNING (xmax = 0)",
                        (p.key, *p.columns(), hashtags(p.text)),
                    ).fetchone()
                    # A row back: inserted (xmax = 0) or updated; none: the same text again.
                    out["unchanged" if row is None else "created" if row[0] else "updated"] += 1
                if cursor is not None:
                    self._set_cursor(*cursor)
        except self._psycopg.Error as e:
            raise self._error(e) from None
        return out

    def _set_cursor(self, name: str, value: dict) -> None:
        self._conn.execute(
            "INSERT INTO mynah_cursors VALUES (%s, %s) ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value",
            (name, json.dumps(value)),
        )

    def cursor(self, name: str) -> dict | None:
        rows = self._q("SELECT value FROM mynah_cursors WHERE name = %s", (name,))
        return json.loads(rows[0][0]) if rows else None

    # ---- reading -----------------------------------------------------------------------

    def count(self) -> int:
        return self._q("SELECT count(*) FROM mynah_posts")[0][0]

    def get(self, keys: list[str]) -> list[StoredPost]:
        if not keys:
            return []
        rows = self._q(
            "SELECT key, id, platform, text, author, created_at, lang, url, conversation_id, reply_to"
            " FROM mynah_posts WHERE key = ANY(%s)",
            (list(keys),),
        )
        by = {r[0]: StoredPost(*r) for r in rows}
        return [by[k] for k in keys if k in by]

    def conversation(self, platform: str, conversation_id: str, limit: int = 50) -> list[StoredPost]:
        rows = self._q(
            "SELECT key, id, platform, text, author, created_at, lang, url, conversation_id, reply_to"
            " FROM mynah_posts WHERE platform = %s AND (conversation_id = %s OR id = %s)"
            " ORDER BY ts, rowid LIMIT %s",
            (platform, conversation_id, conversation_id, limit),
        )
        return [StoredPost(*r) for r in rows]

    def tag_counts(self, keys: list[str]) -> dict[str, int]:
        if not keys:
            return {}
        rows = self._q(
            "SELECT t, count(*) FROM mynah_posts, unnest(tags) AS t WHERE key = ANY(%s) GROUP BY t",
            (list(keys),),
        )
        return dict(rows)

    def _where(self, f: Filters) -> tuple[str, list]:
        cond, args = [], []
        if f.since:
            cond.append("ts >= %s")
            args.append(epoch(f.since))
        if f.until:
            cond.append("ts <= %s")
            args.append(epoch(f.until))
        if f.author:
            cond.append("author = %s")
            args.append(f.author.lstrip("@"))
        if f.lang:
            cond.append("lang = %s")
            args.append(f.lang)
        if f.hashtag:
            cond.append("tags @> ARRAY[%s]::text[]")
            args.append(f.hashtag.lstrip("#").lower())
        return (" AND " + " AND ".join(cond) if cond else ""), args

    def text_search(self, query: str, k: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        q = ts_query(query)
        if q is None:
            return []
        where, args = self._where(filters or Filters())
        rows = self._q(
            "SELECT key, ts_rank_cd(tsv, q) AS s FROM mynah_posts, to_tsquery('simple', %s) AS q"
            f" WHERE tsv @@ q{where} ORDER BY s DESC, rowid LIMIT %s",
            [q, *args, k],
        )
        return [(key, float(s)) for key, s in rows]

    def vector_search(
        self, vec: np.ndarray, k: int, filters: Filters | None = None
    ) -> list[tuple[str, float]]:
        where, args = self._where(filters or Filters())
        rows = self._q(
            "SELECT key, mynah_dot(emb, %s::real[]) AS s FROM mynah_posts"
            f" WHERE emb IS NOT NULL{where} ORDER BY s DESC, rowid LIMIT %s",
            [np.asarray(vec, np.float32).tolist(), *args, k],
        )
        return [(key, float(s)) for key, s in rows]

    def doc_freq(self, word: str, cap: int, prefix: bool = False) -> int:
        sql = "SELECT count(*) FROM (SELECT 1 FROM mynah_posts WHERE tsv @@ to_tsquery('simple', %s) LIMIT %s) t"
        return self._q(sql, (word + (":*" if prefix else ""), cap))[0][0]

    def latest(self, k: int, filters: Filters) -> list[str]:
        where, args = self._where(filters)
        rows = self._q(
            f"SELECT key FROM mynah_posts WHERE TRUE{where} ORDER BY ts DESC, rowid LIMIT %s", [*args, k]
        )
        return [r[0] for r in rows]

    def _ts_range(self) -> tuple[int, int] | None:
        row = self._q("SELECT min(ts), max(ts) FROM mynah_posts")[0]  # two index reads
        return None if row[0] is None else row

    def _volume_counts(
        self, words: list[str], tags: list[str], lo: int | None, hi: int | None, width: int
    ) -> tuple[list[tuple[int, int]], list[tuple[str | None, int]]]:
        """One GROUP BY bucket, lang (a hash aggregate) over the posts that match: every
        word through the GIN index on `tsv` (plainto_tsquery ANDs them), every tag
        through the one on `tags`; with neither, the time range from `mynah_posts_ts_lang`
        alone. (1M posts: 300 ms for 50k matches, most of it reading their rows; 200 ms
        for a month of 500k posts, 550 ms without that index.)"""
        cond, args = ["ts IS NOT NULL"], []
        if words:
            cond.append("tsv @@ plainto_tsquery('simple', %s)")
            args.append(" ".join(words))
        if tags:
            cond.append("tags @> %s::text[]")
            args.append(list(tags))
        # With words or tags, `ts + 0` keeps the planner off the time index: it would check
        # @@ on every post of the range, at twice the cost of the matches' rows (a month:
        # 600 ms, where it guessed 27k posts).
        t = "ts + 0" if words or tags else "ts"
        if lo is not None:
            cond.append(f"{t} >= %s")
            args.append(lo)
        if hi is not None:
            cond.append(f"{t} <= %s")
            args.append(hi)
        rows = self._q(
            f"SELECT ts - mod(mod(ts, {width}) + {width}, {width}) AS b, lang, count(*) FROM mynah_posts"
            f" WHERE {' AND '.join(cond)} GROUP BY 1, 2",
            args,
        )
        return fold_counts(rows)

    # ---- embeddings ------------------------------------------------------------------------

    def pending(self, limit: int) -> list[tuple[int, str]]:
        return self._q(
            "SELECT rowid, text FROM mynah_posts WHERE needs_embed ORDER BY rowid LIMIT %s", (limit,)
        )

    def pending_count(self) -> int:
        return self._q("SELECT count(*) FROM mynah_posts WHERE needs_embed")[0][0]

    def set_embeddings(self, rows: list[tuple[int, str]], vecs: np.ndarray) -> int:
        n = 0
        try:
            with self._lock, self._conn.transaction():
                for (rowid, text), v in zip(rows, np.asarray(vecs, np.float32)):
                    n += self._conn.execute(
                        "UPDATE mynah_posts SET emb = %s, needs_embed = FALSE"
                        " WHERE rowid = %s AND text = %s AND needs_embed",
                        (v.tolist(), rowid, text),
                    ).rowcount
        except self._psycopg.Error as e:
            raise self._error(e) from None
        return n

    def refresh_index(self, progress: bool = False) -> int:
        return 0  # no index outside the database

    def save_index(self) -> None:
        pass
