"""Streaming readers: every platform export in, one normalized `Post` record out.

Formats are told apart per record, not per file, so a folder of mixed exports needs no
flags: a line that is a Jetstream event is read as one even in a file of X tweets.
A file that is one JSON document (an X v2 response saved whole, a Mastodon array, an X
archive `tweets.js`) is read as a whole. `.gz` and `.zst` are opened transparently.

Bad input never stops a read: a line that is not JSON, or not a shape any reader knows,
comes out as a `Malformed` record naming `file:line` and the reason.
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path


@dataclass
class Post:
    id: str
    text: str
    platform: str  # x, bluesky, mastodon, csv, mynah
    format: str  # the reader that produced it: x_v2, x_v1, x_archive, jetstream, mastodon, csv, mynah
    author: str | None = None
    created_at: str | None = None  # ISO 8601 UTC
    lang: str | None = None
    reply_to: str | None = None
    conversation_id: str | None = None
    is_repost: bool = False
    is_bot: bool | None = None  # the platform's own bot flag, where it has one
    url: str | None = None
    op: str = "create"  # Jetstream: create | update | delete
    source: str = ""  # file:line
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        # A shallow copy: dataclasses.asdict deep-copies every field and was the largest
        # single cost of a corpus build.
        return dict(self.__dict__)


@dataclass
class Malformed:
    source: str  # file:line
    reason: str
    raw: str = ""
    # "truncated": a compressed file that ends early or is corrupt, at its last whole line
    # (the lines before it were read; one such record a file)
    kind: str = "line"


class CompressedLines(io.RawIOBase):
    """The decompressed bytes of a `.gz` or `.zst` file, ending cleanly at the last whole
    line when the stream is cut short or corrupt, with the damage in `.damage`.

    Why not gzip.open / zstandard's stream_reader behind a text wrapper: the first raises
    mid-read and the wrapper loses its last buffered block of whole lines with it; the
    second returns a cut stream's data with no error at all. Here each frame (gzip member,
    zstd frame) must reach its end, checked with the decompressor's `eof`; otherwise the
    bytes after the last newline (a partly written line) are dropped and the read ends
    normally, so every reader keeps each complete line and the caller reports the rest."""

    CHUNK = 1 << 16

    def __init__(self, path: str | os.PathLike):
        super().__init__()
        self.path = str(path)
        self.zstd = self.path.endswith(".zst")
        self.fh = open(self.path, "rb")  # noqa: SIM115 (closed in close)
        self.buf = b""  # decompressed; buf[:end] ends at a newline (or anything at a clean end)
        self.pos = self.end = 0  # buf[pos:end] is still to be handed out
        self.tail = b""  # decompressed bytes after the last newline: held until it is whole
        self.lines = 0  # newlines handed out: the number of the last whole line
        self.damage: str | None = None  # why the stream ended early, if it did
        self.done = False
        self.d = self._decompressor()
        self.in_frame = False  # bytes of the current frame were fed and it has not ended

    def _decompressor(self):
        if self.zstd:
            import zstandard

            return zstandard.ZstdDecompressor().decompressobj()
        import zlib

        return zlib.decompressobj(wbits=31)  # 31: a gzip header and trailer (CRC, size) checked

    def readable(self) -> bool:
        return True

    def _decompress(self, data: bytes, out: list[bytes]) -> None:
        """Decode `data` onto `out`; what was decoded stays there if it raises midway."""
        while data:
            self.in_frame = True
            out.append(self.d.decompress(data))
            if not self.d.eof:
                break
            # The frame ended: whatever follows is the next gzip member or zstd frame
            # (concatenated files, pigz, pzstd), or zero padding some tools leave.
            data, self.in_frame = self.d.unused_data, False
            if not data.strip(b"\0"):
                break
            self.d = self._decompressor()

    def _fill(self) -> None:
        while self.pos == self.end and not self.done:
            # On an error a zlib stream is re-read in small steps from a copy, so only the
            # bad bytes' lines are lost. A zstd decompressor cannot be copied and loses the
            # output of the call that raised, so it is fed in small reads.
            data = self.fh.read(self.CHUNK // 8 if self.zstd else self.CHUNK)
            saved = None if self.zstd or not data else self.d.copy()
            parts: list[bytes] = []
            try:
                if data:
                    self._decompress(data, parts)
                else:
                    self.done = True
                    parts.append(b"" if self.zstd else self.d.flush())
                    if self.in_frame:
                        self.damage = "compressed stream ends early"
            except Exception as e:
                if not _is_codec_error(e):
                    raise
                self.done, self.damage = True, f"compressed stream is corrupt ({e})"
                if saved is not None:  # zlib: decode `data` again, up to the bad byte
                    parts = self._salvage(saved, data)
            data = self.tail + b"".join(parts)
            cut = data.rfind(b"\n") + 1
            if self.done and self.damage is None:
                cut = len(data)  # a clean end: a last line without a newline is whole
            self.buf, self.pos, self.end, self.tail = data, 0, cut, data[cut:]
        if self.done and self.damage is not None:
            self.tail = b""  # the partly written line at the cut is not kept

    def _salvage(self, saved, data: bytes) -> list[bytes]:
        """What a zlib stream decodes before the bad byte: `data` again, 64 bytes at a time."""
        self.d, out = saved, []
        try:
            for i in range(0, len(data), 64):
                self._decompress(data[i : i + 64], out)
        except Exception as e:
            if not _is_codec_error(e):
                raise
        return out

    def readinto(self, b) -> int:
        if self.pos == self.end:
            self._fill()
        n = min(len(b), self.end - self.pos)
        b[:n] = memoryview(self.buf)[self.pos : self.pos + n]
        self.lines += self.buf.count(b"\n", self.pos, self.pos + n)
        self.pos += n
        return n

    def close(self) -> None:
        self.fh.close()
        super().close()


def _is_codec_error(e: Exception) -> bool:
    import zlib

    # zstandard.ZstdError by name: gzip inputs never import zstandard
    return isinstance(e, (zlib.error, EOFError)) or type(e).__name__ == "ZstdError"


def open_text(path: str | os.PathLike) -> io.TextIOBase:
    """Open a possibly compressed text file; undecodable bytes become U+FFFD, not a crash.

    For `.gz` and `.zst`, `damage_of(f)` says afterwards whether the stream was cut short."""
    path = str(path)
    if path.endswith((".gz", ".zst")):
        raw = CompressedLines(path)
        f = io.TextIOWrapper(io.BufferedReader(raw, 1 << 18), encoding="utf-8", errors="replace")
        f._CHUNK_SIZE = 1 << 18  # each readinto is a Python call: few large ones, not many 8 KB ones
        f.compressed = raw  # type: ignore[attr-defined]
        return f
    return open(path, encoding="utf-8", errors="replace")


def damage_of(path: Path, f: io.TextIOBase) -> Malformed | None:
    """After reading `f` (from open_text) to its end: one Malformed at the last whole line
    if its compressed stream ended early or was corrupt, else None."""
    raw = getattr(f, "compressed", None)
    if raw is None or raw.damage is None:
        return None
    return Malformed(f"{path}:{max(raw.lines, 1)}", raw.damage, kind="truncated")


# UTC to the second, with optional fraction: what X v2, Jetstream and Mastodon send. Taking
# its first 19 characters is a fifth of the cost of parsing and formatting a datetime.
ISO_UTC = re.compile(
    r"\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?Z"
)


def _iso(value) -> str | None:
    """Platform timestamps (ISO 8601, X v1.1's 'Wed Oct 10 20:19:24 +0000 2018', epoch) -> ISO UTC."""
    if value in (None, ""):
        return None
    if isinstance(value, str) and value[8:10] <= "28" and ISO_UTC.fullmatch(value):
        return value[:19] + "Z"  # (days 29 to 31 take the slow path, which knows the calendar)
    try:
        if isinstance(value, (int, float)) or (isinstance(value, str) and value.isdigit()):
            v = float(value)
            v = v / 1e6 if v > 1e14 else v / 1e3 if v > 1e11 else v
            dt = datetime.fromtimestamp(v, tz=timezone.utc)
        elif re.match(r"^[A-Z][a-z]{2} [A-Z][a-z]{2} ", value):
            dt = datetime.strptime(value, "%a %b %d %H:%M:%S %z %Y")
        else:
            dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=timezone.utc)
        return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (ValueError, OverflowError, OSError):
        return None


def _str(v) -> str | None:
    return None if v is None else str(v)


# ---- X API v2 --------------------------------------------------------------------------


def _v2_text(t: dict) -> str:
    note = t.get("note_tweet") or {}
    return note.get("text") or t.get("text") or ""


def v2_lookups(includes: dict) -> tuple[dict, dict]:
    """users and tweets of an envelope's `includes`, by id (built once per envelope)."""
    return (
        {u.get("id"): u for u in includes.get("users", [])},
        {x.get("id"): x for x in includes.get("tweets", [])},
    )


def x_v2(t: dict, lookups: tuple[dict, dict], src: str) -> Post:
    users, tweets = lookups
    refs = {r.get("type"): r.get("id") for r in t.get("referenced_tweets") or []}
    text = _v2_text(t)
    is_repost = "retweeted" in refs
    if is_repost and refs["retweeted"] in tweets:
        # v2 truncates retweet text ("RT @a: first 140 chars…"); rebuild it from the original.
        orig = tweets[refs["retweeted"]]
        who = users.get(orig.get("author_id"), {}).get("username") or orig.get("author_id")
        text = f"RT @{who}: {_v2_text(orig)}"
    author = users.get(t.get("author_id"), {})
    return Post(
        id=str(t["id"]),
        text=text,
        platform="x",
        format="x_v2",
        author=author.get("username") or _str(t.get("author_id")),
        created_at=_iso(t.get("created_at")),
        lang=t.get("lang"),
        reply_to=_str(refs.get("replied_to")),
        conversation_id=_str(t.get("conversation_id")),
        is_repost=is_repost,
        source=src,
        url=f"https://x.com/{author['username']}/status/{t['id']}" if author.get("username") else None,
    )


# ---- X v1.1 and the X archive -----------------------------------------------------------


def _v1_text(t: dict) -> str:
    ext = t.get("extended_tweet") or {}
    return ext.get("full_text") or t.get("full_text") or t.get("text") or ""


def x_v1(t: dict, src: str, fmt: str = "x_v1", owner: str | None = None) -> Post:
    user = t.get("user") or {}
    rt = t.get("retweeted_status")
    text = _v1_text(t)
    if isinstance(rt, dict):  # the full original, not the truncated "RT @a: ..." of the retweet
        text = f"RT @{(rt.get('user') or {}).get('screen_name', 'user')}: {_v1_text(rt)}"
    quoted = t.get("quoted_status")
    if isinstance(quoted, dict) and _v1_text(quoted):
        text = f"{text}\n> {_v1_text(quoted)}"
    handle = user.get("screen_name") or owner
    tid = str(t.get("id_str") or t.get("id"))
    return Post(
        id=tid,
        text=html.unescape(text),
        platform="x",
        format=fmt,
        author=handle,
        created_at=_iso(t.get("created_at")),
        lang=t.get("lang"),
        reply_to=_str(t.get("in_reply_to_status_id_str") or t.get("in_reply_to_status_id")),
        is_repost=isinstance(rt, dict) or text.startswith("RT @"),
        source=src,
        url=f"https://x.com/{handle}/status/{tid}" if handle else None,
    )


ARCHIVE_PREFIX = re.compile(r"^\s*window\.YTD\.[A-Za-z0-9_]+\.part\d+\s*=\s*")


def read_archive(path: Path, f: io.TextIOBase) -> Iterator[Post | Malformed]:
    """data/tweets.js (or tweets-partN.js, older tweet.js): a JS assignment of a JSON array.

    The prefix is stripped and the rest parsed as JSON; the file is never evaluated.
    """
    raw = f.read()
    m = ARCHIVE_PREFIX.match(raw)
    if not m:
        yield Malformed(f"{path}:1", "not an X archive file (no 'window.YTD.<name>.partN = ' prefix)")
        return
    try:
        items = json.loads(raw[m.end() :])
    except ValueError as e:
        yield Malformed(
            f"{path}:{e.lineno if hasattr(e, 'lineno') else 1}", f"archive JSON does not parse: {e}"
        )
        return
    owner = _archive_owner(path)
    for i, item in enumerate(items if isinstance(items, list) else []):
        t = item.get("tweet", item) if isinstance(item, dict) else None
        if not isinstance(t, dict) or not (t.get("id_str") or t.get("id")):
            yield Malformed(f"{path}:item {i}", "archive item without a tweet id")
            continue
        yield x_v1(t, f"{path}:item {i}", "x_archive", owner)


def _archive_owner(path: Path) -> str | None:
    """The archive's own handle, from account.js beside tweets.js, where present."""
    acc = path.with_name("account.js")
    if not acc.exists():
        return None
    raw = acc.read_text(encoding="utf-8", errors="replace")
    m = ARCHIVE_PREFIX.match(raw)
    try:
        data = json.loads(raw[m.end() :]) if m else []
        return data[0]["account"]["username"]
    except (ValueError, LookupError, TypeError):
        return None


# ---- Bluesky Jetstream --------------------------------------------------------------------

POST_COLLECTION = "app.bsky.feed.post"


def jetstream(ev: dict, src: str) -> Post | None:
    """A Jetstream event -> Post (create/update/delete), or None for events that are not posts."""
    if ev.get("kind") != "commit":
        return None
    c = ev.get("commit") or {}
    if c.get("collection") != POST_COLLECTION:
        return None
    did, rkey = ev.get("did"), c.get("rkey")
    if not did or not rkey:
        raise ValueError("commit without did or rkey")
    uri = f"at://{did}/{POST_COLLECTION}/{rkey}"
    op = c.get("operation")
    if op == "delete":
        return Post(
            id=uri, text="", platform="bluesky", format="jetstream", author=did, op="delete", source=src
        )
    rec = c.get("record") or {}
    if not isinstance(rec.get("text"), str):
        raise ValueError(f"{op} of {uri} has no record.text")
    reply = rec.get("reply") or {}
    langs = rec.get("langs") or []
    return Post(
        id=uri,
        text=rec["text"],
        platform="bluesky",
        format="jetstream",
        author=did,
        created_at=_iso(rec.get("createdAt") or ev.get("time_us")),
        lang=langs[0] if langs else None,
        reply_to=(reply.get("parent") or {}).get("uri"),
        conversation_id=(reply.get("root") or {}).get("uri") or uri,
        op="update" if op == "update" else "create",
        source=src,
        url=f"https://bsky.app/profile/{did}/post/{rkey}",
        extra={"langs": langs},
    )


# ---- Mastodon --------------------------------------------------------------------------------


def mastodon_html_to_text(content: str) -> str:
    """Mastodon's status HTML -> plain text.

    Paragraphs and <br> become newlines; `invisible` spans (the hidden "https://" and URL
    tails Mastodon adds) are dropped, `ellipsis` spans get their "…"; h-card mentions
    (<span class="h-card"><a ...>@<span>user</span></a></span>) come out as "@user".
    """
    from html.parser import HTMLParser

    class P(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.out: list[str] = []
            self.skip = 0  # depth inside invisible spans
            self.stack: list[bool] = []  # for each open span: was it invisible?

        def handle_starttag(self, tag, attrs):
            classes = (dict(attrs).get("class") or "").split()
            if tag == "br":
                self.out.append("\n")
            elif tag == "p" and self.out:
                self.out.append("\n\n")
            elif tag == "span":
                inv = "invisible" in classes
                self.stack.append(inv)
                self.skip += inv

        def handle_endtag(self, tag):
            if tag == "span" and self.stack:
                self.skip -= self.stack.pop()

        def handle_data(self, data):
            if not self.skip:
                self.out.append(data)

    p = P()
    p.feed(content)
    p.close()
    text = "".join(p.out)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def mastodon(s: dict, src: str) -> Post:
    reblog = s.get("reblog")
    inner = reblog if isinstance(reblog, dict) else s
    acct = (inner.get("account") or {}).get("acct")
    text = mastodon_html_to_text(inner.get("content") or "")
    if isinstance(reblog, dict):
        text = f"RT @{acct}: {text}"
    outer_acct = (s.get("account") or {}).get("acct")
    return Post(
        id=str(s["id"]),
        text=text,
        platform="mastodon",
        format="mastodon",
        author=outer_acct,
        created_at=_iso(s.get("created_at")),
        lang=inner.get("language"),
        reply_to=_str(inner.get("in_reply_to_id")),
        is_repost=isinstance(reblog, dict),
        is_bot=(s.get("account") or {}).get("bot"),
        url=s.get("url") or s.get("uri"),
        source=src,
        extra={"spoiler_text": inner.get("spoiler_text") or "", "visibility": s.get("visibility")},
    )


# ---- mynah's own JSONL -------------------------------------------------------------------------


def mynah_post(d: dict, src: str) -> Post:
    return Post(
        id=str(d["id"]),
        text=d["text"],
        platform=d.get("platform", "mynah"),
        format="mynah",
        author=d.get("author"),
        created_at=_iso(d.get("created_at")),
        lang=d.get("lang"),
        reply_to=_str(d.get("reply_to")),
        conversation_id=_str(d.get("conversation_id")),
        is_repost=d.get("kind") == "repost" or bool(d.get("repost_of")) or d["text"].startswith("RT @"),
        is_bot=d.get("is_bot"),
        source=src,
    )


# ---- dispatch ----------------------------------------------------------------------------------


def classify(obj: dict) -> str | None:
    """Which reader a JSON object belongs to, from the fields each platform documents."""
    if "data" in obj and ("includes" in obj or "meta" in obj or isinstance(obj["data"], list)):
        return "x_v2_envelope"
    if "kind" in obj and "did" in obj:
        return "jetstream"
    if "content" in obj and "account" in obj:
        return "mastodon"
    if "id_str" in obj or "full_text" in obj or ("user" in obj and "text" in obj):
        return "x_v1"
    if "edit_history_tweet_ids" in obj or "author_id" in obj or "note_tweet" in obj:
        return "x_v2"
    if "text" in obj and "id" in obj:
        return "mynah"
    return None


def _from_obj(obj, src: str) -> Iterator[Post | Malformed]:
    if not isinstance(obj, dict):
        yield Malformed(src, "not a JSON object")
        return
    kind = classify(obj)
    try:
        if kind == "x_v2_envelope":
            data = obj["data"] if isinstance(obj["data"], list) else [obj["data"]]
            lookups = v2_lookups(obj.get("includes") or {})
            for i, t in enumerate(data):
                if not isinstance(t, dict) or "id" not in t:
                    yield Malformed(f"{src} data[{i}]", "tweet without an id")
                    continue
                yield x_v2(t, lookups, f"{src} data[{i}]")
        elif kind == "x_v2":
            yield x_v2(obj, ({}, {}), src)
        elif kind == "x_v1":
            yield x_v1(obj, src)
        elif kind == "jetstream":
            p = jetstream(obj, src)
            if p is not None:
                yield p
        elif kind == "mastodon":
            yield mastodon(obj, src)
        elif kind == "mynah":
            if not isinstance(obj["text"], str):
                raise ValueError("'text' is not a string")
            yield mynah_post(obj, src)
        else:
            yield Malformed(
                src,
                "unknown record shape (not X v1.1/v2, Jetstream, Mastodon or mynah JSONL)",
                json.dumps(obj)[:300],
            )
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        yield Malformed(src, f"{kind} record is missing or has a bad field: {e}", json.dumps(obj)[:300])


def _column(fieldnames: list[str], wanted: str | None) -> str | None:
    """The header matching one of the comma-separated names in `wanted`, ignoring case and
    surrounding spaces (exports write ' Tweet Text'); the first name present wins."""
    if not wanted:
        return None
    norm = {f.strip().casefold(): f for f in fieldnames}
    for name in wanted.split(","):
        if name.strip().casefold() in norm:
            return norm[name.strip().casefold()]
    return None


def read_csv(
    path: Path,
    f: io.TextIOBase,
    text_col: str,
    id_col: str | None,
    author_col: str | None,
    time_col: str | None,
) -> Iterator[Post | Malformed]:
    reader = csv.DictReader(f)
    names = reader.fieldnames or []
    text_key = _column(names, text_col)
    if text_key is None:
        yield Malformed(
            f"{path}:1",
            f"CSV has no column {text_col!r} (columns: {', '.join(n.strip() for n in names)}); choose one with --text-column",
        )
        return
    id_key, author_key, time_key = (
        _column(names, id_col),
        _column(names, author_col),
        _column(names, time_col),
    )
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as e:  # a field over csv's size limit, say: that row alone is lost
            yield Malformed(f"{path}:{reader.line_num}", f"CSV row does not parse: {e}")
            continue
        line = reader.line_num
        text = row.get(text_key)
        if text is None or None in row:
            yield Malformed(f"{path}:{line}", "row has the wrong number of fields")
            continue
        pid = (row.get(id_key) or "").strip().strip("'\"") if id_key else ""
        yield Post(
            id=pid or f"{path.name}:{line}",
            text=text,
            platform="csv",
            format="csv",
            is_repost=text.startswith("RT @"),
            author=row.get(author_key) if author_key else None,
            created_at=_iso(row.get(time_key)) if time_key else None,
            source=f"{path}:{line}",
        )


def read_file(
    path: str | os.PathLike,
    text_col: str = "text",
    id_col: str | None = "id",
    author_col: str | None = "author",
    time_col: str | None = "created_at",
) -> Iterator[Post | Malformed]:
    """Every record of one input file, in order; a compressed file cut short gives its whole
    lines, then one Malformed of kind "truncated"."""
    path = Path(path)
    with open_text(path) as f:
        yield from _read_open(path, f, text_col, id_col, author_col, time_col)
        damage = damage_of(path, f)
        if damage is not None:
            yield damage


def _read_open(path: Path, f: io.TextIOBase, text_col, id_col, author_col, time_col):
    name = path.name.lower()
    for ext in (".gz", ".zst"):
        name = name.removesuffix(ext)
    if re.fullmatch(r"tweets?(-part\d+)?\.js", name):
        yield from read_archive(path, f)
        return
    if name.endswith(".csv"):
        yield from read_csv(path, f, text_col, id_col, author_col, time_col)
        return
    first = f.readline()
    stripped = first.strip()
    whole = False
    if stripped.startswith("["):
        whole = True
    elif stripped.startswith("{"):
        try:
            json.loads(stripped)
        except ValueError:
            whole = True  # a pretty-printed document, not JSONL
    if whole:
        rest = first + f.read()
        try:
            doc = json.loads(rest)
        except ValueError as e:
            yield Malformed(f"{path}:{getattr(e, 'lineno', 1)}", f"not valid JSON: {e}")
            return
        for i, obj in enumerate(doc if isinstance(doc, list) else [doc]):
            yield from _from_obj(obj, f"{path}:item {i}" if isinstance(doc, list) else f"{path}:1")
        return
    if first:
        yield from _line(path, 1, first)
    for n, line in enumerate(f, 2):
        yield from _line(path, n, line)


def is_json_lines(path: str | os.PathLike) -> bool:
    """An uncompressed file of one JSON object a line (so it can be read in byte ranges)."""
    name = Path(path).name.lower()
    if name.endswith((".gz", ".zst", ".csv", ".js")):
        return False
    with open(path, "rb") as f:
        for raw in f:
            if raw.strip():
                try:
                    return isinstance(json.loads(raw), dict)
                except ValueError:
                    return False  # a pretty-printed document, or a bad first line: read whole
    return False


def split_json_lines(path: str | os.PathLike, part_bytes: int) -> list[tuple[int, int, int]]:
    """(start, end, first line number) of consecutive byte ranges of about `part_bytes`
    that begin and end at line boundaries, so each can be read on its own core."""
    size = os.path.getsize(path)
    spans, start, line = [], 0, 1
    with open(path, "rb") as f:
        while start < size:
            f.seek(start)
            block = f.read(part_bytes)
            rest = f.readline() if start + len(block) < size else b""  # finish the last line
            end = start + len(block) + len(rest)
            spans.append((start, end, line))
            line += block.count(b"\n") + rest.count(b"\n")
            start = end
    return spans


def read_json_lines_span(
    path: str | os.PathLike, start: int, end: int, first_line: int
) -> Iterator[Post | Malformed]:
    """The records of bytes [start, end) of a JSON Lines file whose line `first_line` starts
    at `start`: what `read_file` gives for those lines."""
    path = Path(path)
    with open(path, "rb") as f:
        f.seek(start)
        pos, n = start, first_line
        while pos < end:
            raw = f.readline()
            if not raw:
                break
            pos += len(raw)
            yield from _line(path, n, raw.decode("utf-8", errors="replace"))
            n += 1


def has_lone_surrogate(line: str, obj) -> bool:
    """JSON may escape a lone surrogate ("\\ud800"): valid JSON, but no character, and no
    UTF-8 for SQLite, Parquet or the tokenizer. Only a line that escapes one is checked."""
    if "\\ud" not in line and "\\uD" not in line:
        return False
    try:
        json.dumps(obj, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _line(path: Path, n: int, line: str) -> Iterator[Post | Malformed]:
    if not line.strip():
        return
    src = f"{path}:{n}"
    if "\ufffd" in line:
        yield Malformed(src, "line is not valid UTF-8", line[:300])
        return
    try:
        obj = json.loads(line)
    except ValueError as e:
        yield Malformed(src, f"invalid JSON ({e.msg} at column {e.colno})", line[:300])
        return
    if has_lone_surrogate(line, obj):
        yield Malformed(src, "line escapes a lone surrogate (\\ud800-\\udfff), which is not text", line[:300])
        return
    yield from _from_obj(obj, src)
