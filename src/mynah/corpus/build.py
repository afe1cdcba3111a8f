"""`mynah corpus build`: exports in, a clean, deduplicated, tokenized corpus out.

Two stages, so a killed run resumes and the work spreads over cores or a cluster:
1. Per input part (a file, or a ~16 MB byte range of a large JSON Lines file), in worker
   processes or Ray tasks: read, normalize, apply the per-post filters, compute each
   survivor's keys (stable 64-bit hashes of its id, text, author and template, its time,
   its split key) and MinHash signature, and write the records (an Arrow IPC stream) plus
   the part's counts to DIR/.work/ by rename. A finished part is never read again on --resume.
2. Global, in input order, streaming over stage 1's files a record batch at a time:
   Jetstream updates/deletes, repeated ids, bot rate/template heuristics, exact and near
   duplicates, the split by conversation, then Parquet shards, and the tokenizer and token
   shards (encoded in a thread beside the dedup pass), and the report. Each check is a
   numpy operation over the batch, with the same decisions as one record at a time; the
   state it keeps stays within BuildConfig.memory_mb (mynah.corpus.state).
   Stage 2 is cheap to redo, so it always runs whole; every output lands by rename.
Because stage 2 sees the same records in the same order whoever ran stage 1, the local
and Ray engines, and any number of workers, keep exactly the same posts.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import queue
import re
import shutil
import sys
import threading
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from mynah.atomic import FolderLock, write_text
from mynah.corpus.clean import FilterConfig, NormalizeConfig, normalize, per_post_reason, template_key
from mynah.corpus.minhash import BANDS, NUM_PERM, NearDuplicates
from mynah.corpus.readers import Malformed, is_json_lines, read_file, read_json_lines_span, split_json_lines
from mynah.corpus.state import KeySet, Partitions
from mynah.train.data import DataError, TokenShards, key64

INPUT_SUFFIXES = (".jsonl", ".json", ".ndjson", ".js", ".csv")
PARQUET_ROWS = 50_000


@dataclass
class BuildConfig:
    normalize: NormalizeConfig = field(default_factory=NormalizeConfig)
    filters: FilterConfig = field(default_factory=FilterConfig)
    val_frac: float = 0.05
    vocab_size: int = 4096
    tokenizer: str | None = None  # reuse this tokenizer folder instead of training one
    text_column: str = "text"
    id_column: str | None = "id"
    author_column: str | None = "author"
    time_column: str | None = "created_at"
    samples_per_reason: int = 5
    # The BPE tokenizer learns its merges from at most this many characters of the training
    # split (its first posts, in input order): a 4,096-token vocabulary is settled long
    # before, and training on a whole large corpus would cost more than the rest of the build.
    tokenizer_train_chars: int = 10_000_000
    # A JSON Lines file larger than twice this is read in parts of about this size, in parallel.
    part_bytes: int = 16 << 20  # ~40k X v2 posts: a few seconds of one core
    # The global stage's deduplication state (seen ids, text hashes, the near-duplicate
    # index) stays within about this much memory; past it, the older part moves to disk
    # (mynah.corpus.state), so memory stays flat however large the input grows.
    memory_mb: int = 1024


def expand_inputs(inputs: list[str]) -> list[Path]:
    """Files, folders (recursively) and globs -> a sorted, de-duplicated list of files."""
    files: list[Path] = []
    for item in inputs:
        matches = [Path(m) for m in sorted(glob.glob(item, recursive=True))] or [Path(item)]
        for m in matches:
            if m.is_dir():
                files += sorted(p for p in m.rglob("*") if p.is_file() and _is_input(p))
            elif m.is_file():
                files.append(m)
            else:
                raise DataError(f"{item}: no such file, folder or glob match")
    seen, out = set(), []
    for f in files:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            out.append(f)
    if not out:
        raise DataError(f"no input files found in {' '.join(inputs)}")
    return out


def _is_input(p: Path) -> bool:
    name = p.name.lower().removesuffix(".gz").removesuffix(".zst")
    if name.endswith(".js"):  # an X archive holds dozens of .js files; only the tweets are posts
        return re.fullmatch(r"tweets?(-part\d+)?\.js", name) is not None
    return name.endswith(INPUT_SUFFIXES) and not name.startswith(".")


def _file_key(path: Path, index: int) -> str:
    st = path.stat()
    h = hashlib.sha1(f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:12]
    return f"{index:05d}-{h}"


def new_stats(path: str) -> dict:
    return {
        "file": str(path),
        "read": 0,
        "malformed": 0,
        "truncated": None,  # why a compressed file ended early, if it did
        "formats": Counter(),
        "rejected": Counter(),
        "changes": Counter(),
        "samples": defaultdict(list),
        "rejects": [],
    }


@dataclass(frozen=True)
class Part:
    """A unit of stage 1: a whole input file, or a byte range of a large JSON Lines file."""

    path: str
    key: str  # names its files in DIR/.work/
    start: int = 0
    end: int = -1  # -1: the whole file
    first_line: int = 1

    @property
    def size(self) -> int:
        return (os.path.getsize(self.path) if self.end < 0 else self.end) - self.start


def plan_parts(files: list[Path], part_bytes: int) -> list[Part]:
    """Large uncompressed JSON Lines files are cut into byte ranges at line boundaries, so
    stage 1 uses every core even on one big export; everything else is one part a file."""
    parts = []
    for i, p in enumerate(files):
        key = _file_key(p, i)
        if p.stat().st_size > 2 * part_bytes and is_json_lines(p):
            for j, (a, b, line) in enumerate(split_json_lines(p, part_bytes)):
                parts.append(Part(str(p), f"{key}-{j:04d}", a, b, line))
        else:
            parts.append(Part(str(p), key))
    return parts


# Stage 1's records, as Arrow IPC streams in DIR/.work/ (all strings; "" is not None).
WORK_COLUMNS = [
    "op",
    "id",
    "platform",
    "format",
    "author",
    "created_at",
    "lang",
    "reply_to",
    "conversation_id",
    "url",
    "source",
    "raw",
    "text",
]
WORK_BATCH = 8192


def _stage1_records(part: Part, cfg: BuildConfig, stats: dict) -> Iterator[tuple]:
    """Stage 1 for one part: its surviving records as WORK_COLUMNS tuples; counts go into `stats`."""
    if part.end >= 0:
        recs = read_json_lines_span(part.path, part.start, part.end, part.first_line)
    else:
        recs = read_file(part.path, cfg.text_column, cfg.id_column, cfg.author_column, cfg.time_column)
    for rec in recs:
        if isinstance(rec, Malformed):
            if rec.kind == "truncated":  # the file's whole lines before it were read
                stats["truncated"] = rec.reason
            else:
                stats["malformed"] += 1
            stats["rejects"].append({"source": rec.source, "reason": rec.reason, "raw": rec.raw})
            continue
        stats["read"] += 1
        stats["formats"][rec.format] += 1
        if rec.op == "delete":
            yield ("delete", rec.id, rec.platform, rec.format, *(None,) * 6, rec.source, "", "")
            continue
        raw = rec.text
        text = normalize(raw, cfg.normalize, stats["changes"])
        reason = per_post_reason(rec, raw, text, cfg.filters)
        if reason:
            stats["rejected"][reason] += 1
            if len(stats["samples"][reason]) < cfg.samples_per_reason:
                stats["samples"][reason].append(raw[:280])
            continue
        yield (
            rec.op,
            rec.id,
            rec.platform,
            rec.format,
            rec.author,
            rec.created_at,
            rec.lang,
            rec.reply_to,
            rec.conversation_id,
            rec.url,
            rec.source,
            raw,
            text,
        )


# Stage 1 also writes, for each record, the keys the global stage decides on (uint64):
# the id within its platform, the text for exact duplicates (lower-cased), the author and
# the author's template (bot heuristics; 0: no author), the time (seconds since the epoch;
# NO_TIME: none), and the split key (the conversation, as `is_validation` hashes it).
KEY_COLUMNS = ["uid_h", "text_h", "author_h", "tmpl_h", "split_h"]
NO_TIME = np.iinfo(np.int64).min


def _keys(rows: list[tuple], bots: bool) -> list:
    import pyarrow as pa
    import pyarrow.compute as pc

    uid, text_h, author, tmpl, split = [], [], [], [], []
    for r in rows:
        uid.append(key64(f"{r[2]}:{r[1]}"))
        text_h.append(key64(r[12].lower()))
        a = r[4]
        author.append(key64(a) | 1 if a else 0)
        tmpl.append(key64(template_key(r[12])) if a and bots else 0)
        split.append(key64(str(r[8] or r[1])))
    ts = pc.strptime(
        pa.array([r[5] for r in rows], pa.string()), "%Y-%m-%dT%H:%M:%SZ", "s", error_is_null=True
    )
    cols = [pa.array(c, pa.uint64()) for c in (uid, text_h, author, tmpl, split)]
    return cols + [pc.fill_null(ts.cast(pa.int64()), NO_TIME)]


def write_stage1(part: Part, cfg: BuildConfig, sink) -> dict:
    """Run stage 1 on `part`, writing its records to `sink` (a path or a pyarrow stream).

    Each record carries its keys (KEY_COLUMNS, "ts") and, with near-dup on, its MinHash
    signature (column `sig`, 128 uint32 minima as bytes): hashing is the costly half of
    near-dup, and here it runs on every core; the global stage only looks keys up."""
    import pyarrow as pa

    stats = new_stats(part.path)
    near = NearDuplicates() if cfg.filters.near_dedup else None
    fields = [(c, pa.string()) for c in WORK_COLUMNS]
    fields += [(c, pa.uint64()) for c in KEY_COLUMNS] + [("ts", pa.int64())]
    if near is not None:
        fields.append(("sig", pa.binary(4 * near.a.shape[0])))
    schema = pa.schema(fields)

    def batch(rows: list[tuple]):
        cols = [pa.array(col, pa.string()) for col in zip(*rows)]
        cols += _keys(rows, bool(cfg.filters.bot_min_posts))
        if near is not None:
            sigs = near.signatures([r[-1] for r in rows])  # the normalized text
            cols.append(
                pa.FixedSizeBinaryArray.from_buffers(
                    schema.field("sig").type, len(rows), [None, pa.py_buffer(sigs.tobytes())]
                )
            )
        return pa.record_batch(cols, schema=schema)

    with pa.ipc.new_stream(sink, schema) as w:
        rows: list[tuple] = []
        for row in _stage1_records(part, cfg, stats):
            rows.append(row)
            if len(rows) == WORK_BATCH:
                w.write_batch(batch(rows))
                rows = []
        if rows:
            w.write_batch(batch(rows))
    return stats


def save_stats(work: Path, key: str, stats: dict) -> None:
    """KEY.json, by rename, after KEY.arrow: its existence means the part is done."""
    write_text(work / f"{key}.json", json.dumps(stats, ensure_ascii=False))


def process_part(part: Part, work_dir: str, cfg: BuildConfig) -> dict:
    """Stage 1 in this process, streaming straight to DIR/.work/."""
    work = Path(work_dir)
    # A private temp name: a worker of a killed run may still be finishing this part.
    tmp = work / f"{part.key}.arrow.{os.getpid()}.tmp"
    stats = write_stage1(part, cfg, str(tmp))
    os.replace(tmp, work / f"{part.key}.arrow")
    save_stats(work, part.key, stats)
    return stats


def _die_with_parent() -> None:
    """Pool workers exit when the build process dies (SIGKILL included), so a resumed run
    never races a worker of the killed one."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the private temp names still keep outputs whole


def run_stage1_local(todo: list[Part], work: str, cfg: BuildConfig, workers: int, progress: bool) -> None:
    bar = tqdm(
        total=sum(p.size for p in todo),
        desc="reading",
        unit="B",
        unit_scale=True,
        disable=not progress,
    )
    workers = max(1, min(workers, len(todo)))
    with bar:  # closed on an error too, so the error's line is not glued to the bar's
        if workers == 1:
            for part in todo:
                process_part(part, work, cfg)
                bar.update(part.size)
            return
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor, as_completed

        with ProcessPoolExecutor(workers, mp.get_context("spawn"), initializer=_die_with_parent) as pool:
            futures = {pool.submit(process_part, part, work, cfg): part for part in todo}
            for fut in as_completed(futures):
                fut.result()
                bar.update(futures[fut].size)


def _batches(work: Path, keys: list[str]) -> Iterator:
    """Stage 1's record batches, in input order."""
    import pyarrow as pa

    for key in keys:
        with pa.OSFile(str(work / f"{key}.arrow")) as f, pa.ipc.open_stream(f) as reader:
            yield from reader


def _u64(batch, name: str) -> np.ndarray:
    return batch.column(name).to_numpy()


def _op_masks(batch) -> tuple[np.ndarray, np.ndarray]:
    import pyarrow.compute as pc

    op = batch.column("op")
    return (
        pc.equal(op, "delete").to_numpy(zero_copy_only=False),
        pc.equal(op, "update").to_numpy(zero_copy_only=False),
    )


def _pid_keys(batch) -> np.ndarray:
    """Post ids alone (Jetstream deletes and updates name no platform), hashed in this
    process only: Python's string hash is 6x cheaper than blake2b and fine within one run."""
    return np.fromiter(map(hash, batch.column("id").to_pylist()), dtype=np.int64, count=batch.num_rows).view(
        np.uint64
    )


class _Updates:
    """The latest Jetstream update of each post (text, raw, keys, signature), on disk."""

    def __init__(self, path: Path):
        import sqlite3

        path.unlink(missing_ok=True)
        self.path, self.n = path, 0
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute(
            "CREATE TABLE u (pid INTEGER PRIMARY KEY, text TEXT, raw TEXT, text_h INTEGER, sig BLOB)"
        )

    def add(self, batch, rows: np.ndarray, pids: np.ndarray) -> None:
        text, raw = batch.column("text"), batch.column("raw")
        text_h = _u64(batch, "text_h").view(np.int64)
        sig = batch.column("sig") if "sig" in batch.schema.names else None
        self.db.executemany(
            "INSERT OR REPLACE INTO u VALUES (?, ?, ?, ?, ?)",  # later lines win: the latest edit
            [
                (
                    int(pids[i].view(np.int64)),
                    text[i].as_py(),
                    raw[i].as_py(),
                    int(text_h[i]),
                    sig[i].as_py() if sig is not None else None,
                )
                for i in rows.tolist()
            ],
        )
        self.n += len(rows)

    def get(self, pids: np.ndarray) -> dict[int, tuple]:
        # One statement text for any number of ids: sqlite3 caches a prepared statement per
        # distinct text, and thousands of placeholders each would hold megabytes.
        q = "SELECT pid, text, raw, text_h, sig FROM u WHERE pid IN (SELECT value FROM json_each(?))"
        rows = self.db.execute(q, (json.dumps(pids.view(np.int64).tolist()),))
        return {row[0]: row[1:] for row in rows}

    def close(self) -> None:
        self.db.close()
        self.path.unlink(missing_ok=True)


def _bot_authors(parts, cfg: FilterConfig) -> np.ndarray:
    """The authors (as author_h) who post faster than a person can, or mostly fill in one
    template, from (author, template, time) rows, one partition of authors at a time."""
    bots = []
    for rows in parts:
        if not len(rows):
            continue
        author, tmpl, ts = rows[:, 0].view(np.uint64), rows[:, 1].view(np.uint64), rows[:, 2]
        authors, inv, n = np.unique(author, return_inverse=True, return_counts=True)
        timed = ts != NO_TIME
        first = np.full(len(authors), np.iinfo(np.int64).max)
        last = np.full(len(authors), np.iinfo(np.int64).min)
        np.minimum.at(first, inv[timed], ts[timed])
        np.maximum.at(last, inv[timed], ts[timed])
        hours = np.zeros(len(authors))
        has = last >= first
        hours[has] = (last[has] - first[has]) / 3600
        # The commonest template of each author: count (author, template) pairs.
        pairs, counts = np.unique(np.stack([inv.astype(np.uint64), tmpl], axis=1), axis=0, return_counts=True)
        top = np.zeros(len(authors), dtype=np.int64)
        np.maximum.at(top, pairs[:, 0].astype(np.int64), counts)
        rate = n / np.maximum(hours, 0.25)  # a 15-minute floor: a burst is not a rate
        bot = (n >= cfg.bot_min_posts) & ((rate > cfg.bot_max_per_hour) | (top / n >= cfg.bot_template_share))
        bots.append(authors[bot])
    return np.concatenate(bots) if bots else np.zeros(0, dtype=np.uint64)


class _ParquetShards:
    """Clean posts with their metadata as Parquet, one writer per split, landed by rename."""

    COLUMNS = [
        "id",
        "text",
        "author",
        "created_at",
        "lang",
        "reply_to",
        "conversation_id",
        "platform",
        "format",
        "url",
        "source",
    ]

    def __init__(self, out: Path):
        self.dir = out / "posts"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.tables: dict[str, list] = defaultdict(list)
        self.rows: Counter = Counter()
        self.parts: Counter = Counter()

    def add(self, split: str, table) -> None:
        """`table`: a pyarrow Table or RecordBatch with COLUMNS."""
        if not table.num_rows:
            return
        self.tables[split].append(table)
        self.rows[split] += table.num_rows
        if self.rows[split] >= PARQUET_ROWS:
            self.flush(split)

    def flush(self, split: str) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        tables = self.tables.pop(split, [])
        self.rows[split] = 0
        if not tables:
            return
        name = self.dir / f"{split}-{self.parts[split]:05d}.parquet"
        self.parts[split] += 1
        tmp = name.with_name(name.name + ".tmp")
        batches = [b for t in tables for b in (t.to_batches() if isinstance(t, pa.Table) else [t])]
        pq.write_table(pa.Table.from_batches(batches), tmp)
        os.replace(tmp, name)

    def close(self) -> None:
        for split in list(self.tables):
            self.flush(split)


def build(
    inputs: list[str],
    out: str | os.PathLike,
    cfg: BuildConfig | None = None,
    resume: bool = False,
    engine: str = "local",
    address: str | None = None,
    progress: bool = True,
    workers: int | None = None,
) -> dict:
    """Run the whole pipeline; returns the report (also written to DIR/report.json).

    `workers` processes run stage 1 on the local engine (default: one per core). One build
    at a time writes DIR (a lock held until the build ends or dies); the outputs are made
    in DIR/.work/result/ and moved into DIR at the end, report.json last, so a failed build
    leaves the previous corpus (or none) and never a half-written one."""
    cfg = cfg or BuildConfig()
    out = Path(out)
    files = expand_inputs(inputs)
    with FolderLock(out, "build"):
        try:
            report = _build_locked(files, out, cfg, resume, engine, address, progress, workers)
        except OSError as e:  # a full disk, a folder that turned read-only: a sentence, not a traceback
            where = e.filename or out
            raise DataError(
                f"{where}: {e.strerror or e}; the corpus in {out} was not changed "
                "(free space or fix the folder, then run again with --resume)"
            ) from None
    for f in report["files"]:
        if f["truncated"]:
            print(
                f"warning: {f['file']}: {f['truncated']}; kept the {f['read']} posts before it "
                f"(see {out / 'rejects.jsonl'})",
                file=sys.stderr,
            )
    if report["malformed"] and progress:
        print(
            f"warning: {report['malformed']} malformed input lines skipped; see {out / 'rejects.jsonl'}",
            file=sys.stderr,
        )
    return report


# What a finished build leaves in DIR, moved there from DIR/.work/result/ in this order.
OUTPUTS = [
    "posts",
    "tokens",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "rejects.jsonl",
    "report.md",
    "report.json",
]


def _build_locked(files, out: Path, cfg: BuildConfig, resume, engine, address, progress, workers) -> dict:
    work = out / ".work"
    if not resume and work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    parts = plan_parts(files, cfg.part_bytes)
    keys = [p.key for p in parts]
    todo = [p for p in parts if not (work / f"{p.key}.json").exists()]
    if resume and len(todo) < len(parts) and progress:
        print(
            f"resuming: {len(parts) - len(todo)} of {len(parts)} input parts already processed",
            file=sys.stderr,
        )
    if engine == "ray":
        from mynah.corpus.ray_engine import run_stage1

        run_stage1(todo, str(work), cfg, address, progress)
    else:
        run_stage1_local(todo, str(work), cfg, workers or os.cpu_count() or 1, progress)
    stats = [_load_stats(work, k) for k in keys]
    result = work / "result"
    shutil.rmtree(result, ignore_errors=True)
    result.mkdir()
    report = _global_stage(result, work, keys, stats, cfg, progress)
    if report["kept"] == 0:  # not a corpus: the previous one (if any) stays as it was
        raise DataError(
            f"nothing usable was read from {len(files)} input file(s): {report['read']} posts read, "
            f"{report['malformed']} malformed lines (see {result / 'rejects.jsonl'})"
        )
    _publish(result, out)
    return report


def _publish(result: Path, out: Path) -> None:
    """Move a finished build's outputs into `out`, replacing the previous build's. report.json
    goes first out and last in: a corpus without it is one whose build did not finish."""
    (out / "report.json").unlink(missing_ok=True)
    for name in OUTPUTS:
        src, dst = result / name, out / name
        if dst.is_dir():
            shutil.rmtree(dst)
        else:
            dst.unlink(missing_ok=True)
        if src.exists():
            os.replace(src, dst)
    shutil.rmtree(result, ignore_errors=True)


# Why the global stage rejects a record. SKIP: an update of a post already seen, applied to it.
REASONS = ["", "skip", "deleted", "duplicate_id", "bot_heuristic", "duplicate", "near_duplicate"]
KEEP, SKIP, DELETED, DUPLICATE_ID, BOT, DUPLICATE, NEAR_DUPLICATE = range(len(REASONS))


@dataclass
class _State:
    """Everything the global stage remembers across records, within cfg.memory_mb (see
    mynah.corpus.state): a sixteenth each for deleted ids, seen ids and texts, a half for
    the near-duplicate index."""

    work: Path
    cfg: BuildConfig
    records: int

    def __post_init__(self):
        for pattern in ("*.keys", "*.vals", "near-sigs.bin", "authors-*.bin"):  # a killed run's
            for p in self.work.glob(pattern):
                p.unlink()
        budget = self.cfg.memory_mb << 20
        # Of each share, three quarters for the newest keys in memory (~34 bytes a key at
        # worst, as the table doubles) and a quarter for the Bloom filter of those on disk.
        share = budget // 16
        self.deleted, self.seen, self.exact = (
            KeySet(self.work / name, share * 3 // 4 // 34, share // 4)
            for name in ("deleted", "seen", "exact")
        )
        f = self.cfg.filters
        share = budget // 2
        self.near = (
            NearDuplicates(
                threshold=f.near_threshold,
                spill_dir=self.work,
                # ~34 bytes for each of its 32 band keys, 256 for its signature
                max_kept_in_memory=share * 3 // 4 // (BANDS * 34 + 2 * NUM_PERM),
                bloom_bytes=share // 4,
            )
            if f.near_dedup
            else None
        )
        self.updates = _Updates(self.work / "updates.sqlite")
        # (author, template, time) rows, in partitions of at most a quarter of the budget
        # (np.unique sorts copies of them).
        n = -(-self.records * 24 * 8 // max(budget, 1 << 16)) if f.bot_min_posts else 1
        self.authors = Partitions(self.work, "authors", n, 3)
        self.bots = np.zeros(0, dtype=np.uint64)

    def spilled(self) -> dict:
        """How many keys went to disk: a figure to raise memory_mb by when the run was slow."""
        out = {"ids": self.seen.table.on_disk, "texts": self.exact.table.on_disk}
        if self.near is not None:
            out["near_duplicate_posts"] = self.near.sigs.n_disk
        return out

    def close(self) -> None:
        for s in (self.deleted, self.seen, self.exact, self.near, self.updates, self.authors):
            if s is not None:
                s.close()


def _prepass(work: Path, keys: list[str], st: _State) -> None:
    """One read of stage 1's keys for what the main pass must know ahead of time: Jetstream
    deletes, the latest update of each post, and the bot authors."""
    for batch in _batches(work, keys):
        is_del, is_upd = _op_masks(batch)
        if is_del.any() or is_upd.any():
            pids = _pid_keys(batch)
            st.deleted.add(pids[is_del])
            if is_upd.any():
                st.updates.add(batch, np.flatnonzero(is_upd), pids)
        if st.cfg.filters.bot_min_posts:
            author = _u64(batch, "author_h")
            live = np.flatnonzero(~is_del & (author != 0))
            rows = np.stack(
                [
                    author[live].view(np.int64),
                    _u64(batch, "tmpl_h")[live].view(np.int64),
                    batch.column("ts").to_numpy()[live],
                ],
                axis=1,
            )
            st.authors.add(rows)
    if st.cfg.filters.bot_min_posts:
        st.bots = _bot_authors(st.authors, st.cfg.filters)


def _load_stats(work: Path, key: str) -> dict:
    """A part's counts, without its malformed lines (read again, part by part, at the end)."""
    stats = json.loads((work / f"{key}.json").read_text(encoding="utf-8"))
    stats.pop("rejects", None)
    return stats


def _global_stage(
    out: Path, work: Path, keys: list[str], stats: list[dict], cfg: BuildConfig, progress: bool
) -> dict:
    """Stage 2 over stage 1's records in input order, a record batch at a time: each check
    is a numpy operation over the batch, and only the kept posts' columns are copied, as
    Arrow, into the Parquet shards. Decisions are exactly those of one record at a time."""
    import pyarrow as pa

    total = sum(s["read"] - sum(s["rejected"].values()) for s in stats)  # records stage 1 wrote
    st = _State(work, cfg, total)
    tokens = _Tokens(out, cfg)
    bar = tqdm(total=total, desc="deduplicating", unit="post", disable=not progress)
    try:
        _prepass(work, keys, st)
        rejected: Counter = Counter()
        samples: dict[str, list[str]] = defaultdict(list)
        shards = _ParquetShards(out)
        kept: Counter = Counter()
        val_below = cfg.val_frac * 2**64
        for batch in _batches(work, keys):
            reason, texts = _decide(batch, st)
            for code in np.unique(reason).tolist():
                if code in (KEEP, SKIP):
                    continue
                name = REASONS[code]
                rejected[name] += int(np.count_nonzero(reason == code))
                room = cfg.samples_per_reason - len(samples[name])
                for i in np.flatnonzero(reason == code)[: max(room, 0)].tolist():
                    raw = texts[i][1] if i in texts else batch.column("raw")[i].as_py()
                    samples[name].append(raw[:280])
            rows = np.flatnonzero(reason == KEEP)
            table = batch.select(_ParquetShards.COLUMNS).take(rows)
            if texts:
                table = _with_texts(table, rows, texts)
            is_val = _u64(batch, "split_h")[rows].astype(np.float64) < val_below
            for split, mask in (("train", ~is_val), ("val", is_val)):
                if mask.any():
                    kept[split] += int(mask.sum())
                    part = table.filter(pa.array(mask))
                    shards.add(split, part)
                    tokens.add(split, part.column("text").to_pylist())
            bar.update(batch.num_rows)
        bar.close()
        shards.close()
        spilled = st.spilled()
        counts = tokens.close()
    finally:
        bar.close()  # (again, on an error: so the error's line is not glued to the bar's)
        tokens.abort()
        st.close()
    report = _report(stats, rejected, samples, kept)
    report["memory"] = {"budget_mb": cfg.memory_mb, "spilled_to_disk": spilled}
    if counts:
        report["tokens"] = counts
    _write_outputs(out, work, keys, stats, report)
    return report


def _decide(batch, st: _State) -> tuple[np.ndarray, dict[int, tuple]]:
    """Each record's REASONS code, and the (text, raw) of the records an update replaced.

    In order, as for one record at a time: a delete is applied through st.deleted; a
    deleted post; a repeated id (an update of a post already seen is applied to it, SKIP);
    the latest update's text; a bot author; an exact duplicate; a near-duplicate."""
    n = batch.num_rows
    is_del, is_upd = _op_masks(batch)
    reason = np.full(n, SKIP, dtype=np.int8)
    rows = np.flatnonzero(~is_del)
    pids = _pid_keys(batch) if len(st.deleted) or st.updates.n else None
    if len(st.deleted):
        gone = st.deleted.contains(pids[rows])
        reason[rows[gone]] = DELETED
        rows = rows[~gone]
    again = st.seen.add(_u64(batch, "uid_h")[rows])
    reason[rows[again & ~is_upd[rows]]] = DUPLICATE_ID
    rows = rows[~again]
    text_h = _u64(batch, "text_h")
    texts: dict[int, tuple] = {}  # row -> (text, raw, signature) of its latest update
    if st.updates.n and len(rows):
        edits = st.updates.get(pids[rows])
        if edits:
            text_h = text_h.copy()
            for i in rows.tolist():
                e = edits.get(int(pids[i].view(np.int64)))
                if e is not None:
                    texts[i] = (e[0], e[1], e[3])
                    text_h[i] = np.int64(e[2]).view(np.uint64)
    if len(st.bots):
        bot = np.isin(_u64(batch, "author_h")[rows], st.bots)
        reason[rows[bot]] = BOT
        rows = rows[~bot]
    if st.cfg.filters.exact_dedup:
        dup = st.exact.add(text_h[rows])
        reason[rows[dup]] = DUPLICATE
        rows = rows[~dup]
    if st.near is not None and len(rows):
        col = batch.column("sig")
        width = col.type.byte_width
        buf = np.frombuffer(col.buffers()[1], dtype=np.uint8)[col.offset * width : (col.offset + n) * width]
        sigs = buf.view(np.uint32).reshape(n, -1)[rows]
        redo = [k for k, i in enumerate(rows.tolist()) if i in texts]
        for k in redo:
            sig = texts[int(rows[k])][2]
            sigs[k] = np.frombuffer(sig, np.uint32) if sig else st.near.signature(texts[int(rows[k])][0])
        # 1,024 posts at a time: a batch's candidate signatures are compared all at once.
        hits = [
            h for k in range(0, len(sigs), 1024) for h in st.near.check_add_signatures(sigs[k : k + 1024])
        ]
        near = np.array([h is not None for h in hits], dtype=bool)
        reason[rows[near]] = NEAR_DUPLICATE
        rows = rows[~near]
    reason[rows] = KEEP
    return reason, {i: t[:2] for i, t in texts.items()}


def _with_texts(table, rows: np.ndarray, texts: dict[int, tuple]):
    """`table` (the kept `rows` of a batch) with the texts of updated posts replaced."""
    import pyarrow as pa

    col = table.column("text").to_pylist()
    for j, i in enumerate(rows.tolist()):
        if i in texts:
            col[j] = texts[i][0]
    return table.set_column(table.schema.get_field_index("text"), "text", pa.array(col, pa.string()))


class _Tokens:
    """Tokenization while the dedup pass runs. Kept posts go, a batch at a time, to a thread
    that encodes them and writes the token shards: the Rust encoder releases the GIL, so it
    works on the core the single-threaded dedup pass leaves idle.

    Without --tokenizer, the tokenizer learns its merges from the first posts of the
    training split (cfg.tokenizer_train_chars of them), so posts are held until those have
    been seen; then it is trained and everything held goes to the encoder in order."""

    def __init__(self, out: Path, cfg: BuildConfig):
        from mynah.tokenizer import Tokenizer

        self.out, self.cfg = out, cfg
        self.tok = Tokenizer.load(cfg.tokenizer) if cfg.tokenizer else None
        self.held: list[tuple[str, list[str]]] = []
        self.train_chars = 0
        self.queue: queue.Queue = queue.Queue(maxsize=8)  # a few batches: memory stays flat
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None
        self.shards: TokenShards | None = None
        self.any = False

    def add(self, split: str, texts: list[str]) -> None:
        if not texts:
            return
        self.any = True
        if self.tok is None:
            self.held.append((split, texts))
            if split == "train":
                self.train_chars += sum(map(len, texts))
                if self.train_chars >= self.cfg.tokenizer_train_chars:
                    self._train()
        else:
            self._put((split, texts))

    def _train(self) -> None:
        from mynah.tokenizer import train_tokenizer

        train = (t for split, texts in self.held if split == "train" for t in texts)
        self.tok = train_tokenizer(
            _capped(train, self.cfg.tokenizer_train_chars), vocab_size=self.cfg.vocab_size
        )
        held, self.held = self.held, []
        for item in held:
            self._put(item)

    def _put(self, item) -> None:
        if self.thread is None:
            self.shards = TokenShards(self.out, self.tok)
            self.thread = threading.Thread(target=self._encode, name="mynah-tokenize", daemon=True)
            self.thread.start()
        while True:  # a bounded wait, so an encoder that died is noticed
            if self.error is not None:
                raise self.error
            try:
                self.queue.put(item, timeout=0.5)
                return
            except queue.Full:
                continue

    def _encode(self) -> None:
        try:
            while (item := self.queue.get()) is not None:
                split, texts = item
                self.shards.add_batch(split, self.tok.encode_batch(texts), prefix=self.tok.eot_id)
        except BaseException as e:  # handed to the main thread by _put and close
            self.error = e

    def abort(self) -> None:
        """Stop the encoder if the stage failed before close (a no-op after it)."""
        if self.thread is not None and self.thread.is_alive():
            while True:
                try:
                    self.queue.get_nowait()
                except queue.Empty:
                    break
            self.queue.put(None)
            self.thread.join()

    def close(self) -> dict | None:
        """Finish, and return the token counts per split (None if no post was kept)."""
        if not self.any:
            return None
        if self.tok is None:
            self._train()
        self._put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error
        self.shards.close(["train", "val"])
        return dict(self.shards.tokens)


def _capped(texts: Iterator[str], chars: int) -> Iterator[str]:
    for text in texts:
        if chars <= 0:
            return
        chars -= len(text)
        yield text


def _report(stats: list[dict], rejected: Counter, samples: dict, kept: Counter) -> dict:
    rej, changes, formats = Counter(), Counter(), defaultdict(lambda: {"read": 0})
    all_samples: dict[str, list[str]] = defaultdict(list)
    for s in stats:
        rej.update(s["rejected"])
        changes.update(s["changes"])
        for fmt, n in s["formats"].items():
            formats[fmt]["read"] += n
        for reason, texts in s["samples"].items():
            all_samples[reason] += texts[: 5 - len(all_samples[reason])]
    rej.update(rejected)
    for reason, texts in samples.items():
        all_samples[reason] += texts[: 5 - len(all_samples[reason])]
    return {
        "read": sum(s["read"] for s in stats),
        "kept": sum(kept.values()),
        "rejected": dict(sorted(rej.items())),
        "malformed": sum(s["malformed"] for s in stats),
        "truncated_files": [s["file"] for s in stats if s.get("truncated")],
        "formats": dict(sorted(formats.items())),
        "splits": dict(kept),
        "changes": dict(sorted(changes.items())),
        "files": _per_file(stats),
        "samples": dict(sorted(all_samples.items())),
    }


def _per_file(stats: list[dict]) -> list[dict]:
    """Read and malformed counts per input file (a large file's parts summed), in input
    order, and for a compressed file that ended early, why."""
    files: dict[str, dict] = {}
    for s in stats:
        f = files.setdefault(s["file"], {"file": s["file"], "read": 0, "malformed": 0, "truncated": None})
        f["read"] += s["read"]
        f["malformed"] += s["malformed"]
        f["truncated"] = f["truncated"] or s.get("truncated")
    return list(files.values())


def _write_outputs(out: Path, work: Path, keys: list[str], stats: list[dict], report: dict) -> None:
    tmp = out / "rejects.jsonl.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        for key in keys:  # one part's malformed lines at a time: they are not held in memory
            for r in json.loads((work / f"{key}.json").read_text(encoding="utf-8"))["rejects"]:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    os.replace(tmp, out / "rejects.jsonl")
    write_text(out / "report.md", summary(report))
    write_text(out / "report.json", json.dumps(report, indent=2, ensure_ascii=False))


def summary(report: dict) -> str:
    """The report as a person reads it."""
    lines = [
        "# Corpus report",
        "",
        f"- read: {report['read']:,} posts",
        f"- kept: {report['kept']:,} "
        f"(train {report['splits'].get('train', 0):,}, validation {report['splits'].get('val', 0):,})",
        f"- malformed input lines: {report['malformed']:,} (each in rejects.jsonl with file:line and reason)",
    ]
    for f in report.get("files", []):
        if f.get("truncated"):
            lines.append(f"- truncated: {f['file']}: {f['truncated']} (the posts before it were kept)")
    if report.get("tokens"):
        lines.append(
            f"- tokens: train {report['tokens'].get('train', 0):,}, validation {report['tokens'].get('val', 0):,}"
        )
    lines += ["", "## Read, by format", ""] + [f"- {k}: {v['read']:,}" for k, v in report["formats"].items()]
    lines += ["", "## Rejected, by reason", ""] + [f"- {k}: {v:,}" for k, v in report["rejected"].items()]
    lines += ["", "## Changes made by normalization", ""] + [
        f"- {k}: {v:,}" for k, v in report["changes"].items()
    ]
    lines += ["", "## Samples of each rejection reason", ""]
    for reason, texts in report["samples"].items():
        lines.append(f"### {reason}")
        lines += [f"- {t!r}" for t in texts] + [""]
    return "\n".join(lines) + "\n"
