"""`mynah corpus build`: exports in, a clean, deduplicated, tokenized corpus out.

Two stages, so a killed run resumes and the work spreads over cores or a cluster:
1. Per input part (a file, or a ~16 MB byte range of a large JSON Lines file), in worker
   processes or Ray tasks: read, normalize, apply the per-post filters, hash each survivor's
   MinHash signature, and write the records (an Arrow IPC stream) plus the part's counts to
   DIR/.work/ by rename. A finished part is never read again on --resume.
2. Global, in input order, streaming over stage 1's files: Jetstream updates/deletes,
   repeated ids, bot rate/template heuristics, exact and near duplicates, the split by
   conversation, then Parquet shards, the tokenizer, token shards and the report.
   Stage 2 is cheap to redo, so it always runs whole; every output lands by rename.
Because stage 2 sees the same records in the same order whoever ran stage 1, the local
and Ray engines, and any number of workers, keep exactly the same posts.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import shutil
import sys
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
from tqdm import tqdm

from mynah.atomic import write_text
from mynah.corpus.clean import FilterConfig, NormalizeConfig, normalize, per_post_reason, template_key
from mynah.corpus.minhash import NUM_PERM, NearDuplicates
from mynah.corpus.readers import Malformed, is_json_lines, read_file, read_json_lines_span, split_json_lines
from mynah.train.data import DataError, is_validation, write_corpus

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


def write_stage1(part: Part, cfg: BuildConfig, sink) -> dict:
    """Run stage 1 on `part`, writing its records to `sink` (a path or a pyarrow stream).

    With near-dup on, each record also carries its MinHash signature (column `sig`, 128
    uint32 minima as bytes): hashing is the costly half of near-dup, and here it runs on
    every core; the global stage only looks signatures up."""
    import pyarrow as pa

    stats = new_stats(part.path)
    near = NearDuplicates() if cfg.filters.near_dedup else None
    fields = [(c, pa.string()) for c in WORK_COLUMNS]
    if near is not None:
        fields.append(("sig", pa.binary(4 * near.a.shape[0])))
    schema = pa.schema(fields)

    def batch(rows: list[tuple]):
        cols = [pa.array(col, pa.string()) for col in zip(*rows)]
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
    if workers == 1:
        for part in todo:
            process_part(part, work, cfg)
            bar.update(part.size)
    else:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor, as_completed

        with ProcessPoolExecutor(workers, mp.get_context("spawn"), initializer=_die_with_parent) as pool:
            futures = {pool.submit(process_part, part, work, cfg): part for part in todo}
            for fut in as_completed(futures):
                fut.result()
                bar.update(futures[fut].size)
    bar.close()


def _records(work: Path, keys: list[str], columns: list[str] | None = None) -> Iterator[dict]:
    import pyarrow as pa

    for key in keys:
        with pa.OSFile(str(work / f"{key}.arrow")) as f, pa.ipc.open_stream(f) as reader:
            for batch in reader:
                names = columns or batch.schema.names
                cols = [batch.column(c).to_pylist() for c in names]
                for row in zip(*cols):
                    yield dict(zip(names, row))


def _hours(a: str | None, b: str | None) -> float:
    if not a or not b:
        return 0.0
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    return abs((datetime.strptime(b, fmt) - datetime.strptime(a, fmt)).total_seconds()) / 3600


def _prepass(work: Path, keys: list[str], cfg: FilterConfig) -> tuple[set[str], dict[str, dict], set[str]]:
    """One read of stage 1's output for what the main pass must know ahead of time:
    Jetstream deletes, the latest update of each post, and the bot authors (those who post
    faster than a person can, or mostly fill in one template)."""
    deleted: set[str] = set()
    updates: dict[str, dict] = {}
    n: Counter = Counter()
    first: dict[str, str] = {}
    last: dict[str, str] = {}
    shapes = array("q")  # (author hash, template hash) of every post, interleaved
    for r in _records(work, keys, ["op", "id", "platform", "author", "created_at", "raw", "text"]):
        if r.get("op") == "delete":
            deleted.add(r["id"])
            continue
        if r.get("op") == "update":
            updates[r["id"]] = r
        a = r.get("author")
        if not a or not cfg.bot_min_posts:
            continue
        n[a] += 1
        t = r.get("created_at")
        if t:
            first[a] = min(first.get(a, t), t)
            last[a] = max(last.get(a, t), t)
        shapes.append(h64(a))
        shapes.append(h64(template_key(r["text"])))
    # The commonest template of each author, counted in numpy: a Counter of template strings
    # per author held ~250 bytes for every post read; these pairs hold 16.
    pairs, counts = np.unique(
        np.frombuffer(shapes, dtype=np.int64).reshape(-1, 2), axis=0, return_counts=True
    )
    starts = np.flatnonzero(np.r_[True, pairs[1:, 0] != pairs[:-1, 0]]) if len(pairs) else np.zeros(0, int)
    top = (
        dict(zip(pairs[starts, 0].tolist(), np.maximum.reduceat(counts, starts).tolist()))
        if len(pairs)
        else {}
    )
    del shapes, pairs, counts
    bots = set()
    for a, count in n.items():
        if count < cfg.bot_min_posts:
            continue
        rate = count / max(
            _hours(first.get(a), last.get(a)), 0.25
        )  # a 15-minute floor: a burst is not a rate
        if rate > cfg.bot_max_per_hour or top[h64(a)] / count >= cfg.bot_template_share:
            bots.add(a)
    return deleted, updates, bots


def h64(text: str) -> int:
    """A 64-bit hash for the in-memory sets of one global stage (which runs in one process).

    Python's own string hash: 20x cheaper than blake2b. It differs between runs, so two of
    a million ids or texts sharing a hash (~3e-8) would not even repeat."""
    return hash(text)


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
        import pyarrow as pa

        self.pa, self.dir = pa, out / "posts"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.schema = pa.schema([(c, pa.string()) for c in self.COLUMNS])
        self.rows: dict[str, list[tuple]] = defaultdict(list)
        self.parts: Counter = Counter()
        self.files: list[Path] = []

    def add(self, split: str, rec: dict) -> None:
        self.rows[split].append(tuple(map(rec.get, self.COLUMNS)))
        if len(self.rows[split]) >= PARQUET_ROWS:
            self.flush(split)

    def flush(self, split: str) -> None:
        import pyarrow.parquet as pq

        rows = self.rows.pop(split, [])
        if not rows:
            return
        name = self.dir / f"{split}-{self.parts[split]:05d}.parquet"
        self.parts[split] += 1
        tmp = name.with_name(name.name + ".tmp")
        cols = [self.pa.array(col, self.pa.string()) for col in zip(*rows)]
        pq.write_table(self.pa.Table.from_arrays(cols, schema=self.schema), tmp)
        os.replace(tmp, name)
        self.files.append(name)

    def close(self) -> None:
        for split in list(self.rows):
            self.flush(split)

    def texts(self, split: str) -> Iterator[str]:
        import pyarrow.parquet as pq

        for f in sorted(self.dir.glob(f"{split}-*.parquet")):
            yield from pq.read_table(f, columns=["text"]).column("text").to_pylist()


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

    `workers` processes run stage 1 on the local engine (default: one per core)."""
    cfg = cfg or BuildConfig()
    out = Path(out)
    files = expand_inputs(inputs)
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
    stats = [json.loads((work / f"{k}.json").read_text(encoding="utf-8")) for k in keys]
    report = _global_stage(out, work, keys, stats, cfg, progress)
    if report["kept"] == 0:
        raise DataError(
            f"nothing usable was read from {len(files)} input file(s): {report['read']} posts read, "
            f"{report['malformed']} malformed lines (see {out / 'rejects.jsonl'})"
        )
    if report["malformed"] and progress:
        print(
            f"warning: {report['malformed']} malformed input lines skipped; see {out / 'rejects.jsonl'}",
            file=sys.stderr,
        )
    return report


def _global_stage(
    out: Path, work: Path, keys: list[str], stats: list[dict], cfg: BuildConfig, progress: bool
) -> dict:
    f = cfg.filters
    # Ids are unique within a platform only (an X id may equal a Mastodon id); Jetstream ids
    # are at:// URIs, and its deletes carry no platform, so they are matched by id alone.
    deleted, updates, bots = _prepass(work, keys, f)

    near = NearDuplicates(threshold=f.near_threshold) if f.near_dedup else None
    # 64-bit hashes, not the strings: a set of ints holds half the memory, and two of a
    # million ids or texts share a hash with probability ~3e-8.
    exact: set[int] = set()
    seen_ids: set[int] = set()
    rejected: Counter = Counter()
    samples: dict[str, list[str]] = defaultdict(list)
    shards = _ParquetShards(out)
    kept = Counter()
    total = sum(s["read"] - sum(s["rejected"].values()) for s in stats)  # records stage 1 wrote

    def first_reason(r: dict) -> tuple[str | None, dict]:
        """Every check but near-dup, in order; none of them depends on near-dup outcomes."""
        pid = r["id"]
        uid = h64(f"{r.get('platform')}:{pid}")
        if pid in deleted:
            return "deleted", r
        if uid in seen_ids:
            return "duplicate_id", r
        seen_ids.add(uid)
        if pid in updates:
            u = updates[pid]
            r = {**r, "text": u["text"], "raw": u["raw"], "sig": None}  # hashed again below
        if r.get("author") in bots:
            return "bot_heuristic", r
        if f.exact_dedup:
            h = h64(r["text"].lower())
            if h in exact:
                return "duplicate", r
            exact.add(h)
        return None, r

    def finish(chunk: list[tuple[str | None, dict]]) -> None:
        # Near-dup decisions for the chunk at once, exactly as one at a time in input order.
        # Stage 1 hashed each record; an updated post's new text is hashed here.
        todo = [i for i, (reason, _) in enumerate(chunk) if reason is None]
        if near is not None and todo:
            recs = [chunk[i][1] for i in todo]
            sigs = np.frombuffer(
                b"".join(r["sig"] or bytes(4 * NUM_PERM) for r in recs), dtype=np.uint32
            ).reshape(len(recs), -1)
            again = [k for k, r in enumerate(recs) if not r["sig"]]
            if again:
                sigs = sigs.copy()
                sigs[again] = near.signatures([recs[k]["text"] for k in again])
            for i, hit in zip(todo, near.check_add_signatures(sigs)):
                if hit is not None:
                    chunk[i] = ("near_duplicate", chunk[i][1])
        for reason, r in chunk:
            if reason:
                rejected[reason] += 1
                if len(samples[reason]) < cfg.samples_per_reason:
                    samples[reason].append(r.get("raw", r["text"])[:280])
                continue
            split = (
                "val" if is_validation(str(r.get("conversation_id") or r["id"]), cfg.val_frac) else "train"
            )
            kept[split] += 1
            shards.add(split, r)

    chunk: list[tuple[str | None, dict]] = []
    for r in tqdm(_records(work, keys), total=total, desc="deduplicating", unit="post", disable=not progress):
        op = r.get("op")
        if op == "delete" or (op == "update" and h64(f"{r.get('platform')}:{r['id']}") in seen_ids):
            continue  # a delete is applied through `deleted`; an update to its create
        chunk.append(first_reason(r))
        if len(chunk) == 1024:
            finish(chunk)
            chunk = []
    finish(chunk)
    shards.close()
    report = _report(stats, rejected, samples, kept)
    if sum(kept.values()):
        report["tokens"] = _tokenize(out, shards, cfg, progress)
    _write_outputs(out, work, keys, stats, report)
    return report


def _tokenize(out: Path, shards: _ParquetShards, cfg: BuildConfig, progress: bool) -> dict:
    from mynah.tokenizer import Tokenizer, train_tokenizer

    if cfg.tokenizer:
        tok = Tokenizer.load(cfg.tokenizer)
    else:
        tok = train_tokenizer(
            _capped(shards.texts("train"), cfg.tokenizer_train_chars), vocab_size=cfg.vocab_size
        )
    counts = Counter()

    def docs(split):
        batch = []
        for text in shards.texts(split):
            batch.append(text)
            if len(batch) == 1024:
                yield from _enc(batch, split)
                batch = []
        yield from _enc(batch, split)

    def _enc(batch, split):
        for ids in tok.encode_batch(batch) if batch else []:
            counts[split] += len(ids) + 1
            yield [tok.eot_id, *ids]

    write_corpus(out, tok, {"train": docs("train"), "val": docs("val")})
    return dict(counts)


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
        "formats": dict(sorted(formats.items())),
        "splits": dict(kept),
        "changes": dict(sorted(changes.items())),
        "files": _per_file(stats),
        "samples": dict(sorted(all_samples.items())),
    }


def _per_file(stats: list[dict]) -> list[dict]:
    """Read and malformed counts per input file (a large file's parts summed), in input order."""
    files: dict[str, dict] = {}
    for s in stats:
        f = files.setdefault(s["file"], {"file": s["file"], "read": 0, "malformed": 0})
        f["read"] += s["read"]
        f["malformed"] += s["malformed"]
    return list(files.values())


def _write_outputs(out: Path, work: Path, keys: list[str], stats: list[dict], report: dict) -> None:
    tmp = out / "rejects.jsonl.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        for s in stats:
            for r in s["rejects"]:
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
