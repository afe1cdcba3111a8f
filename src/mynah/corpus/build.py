"""`mynah corpus build`: exports in, a clean, deduplicated, tokenized corpus out.

Two stages, so a killed run resumes and a cluster can share the work:
1. Per input file (local process or Ray task): read, normalize, apply the per-post
   filters, and write the survivors plus the file's counts to DIR/.work/ by rename. A
   finished file is never read again on --resume.
2. Global, in input order, streaming over stage 1's files: Jetstream updates/deletes,
   repeated ids, bot rate/template heuristics, exact and near duplicates, the split by
   conversation, then Parquet shards, the tokenizer, token shards and the report.
   Stage 2 is cheap to redo, so it always runs whole; every output lands by rename.
Because stage 2 sees the same records in the same order whoever ran stage 1, the local
and Ray engines keep exactly the same posts.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import shutil
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from tqdm import tqdm

from mynah.atomic import write_text
from mynah.corpus.clean import FilterConfig, NormalizeConfig, normalize, per_post_reason, template_key
from mynah.corpus.minhash import NearDuplicates
from mynah.corpus.readers import Malformed, read_file
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


def stage1_lines(path: str, cfg: BuildConfig, stats: dict) -> Iterator[str]:
    """Stage 1 for one file: the JSON lines of its surviving records; counts go into `stats`."""
    for rec in read_file(path, cfg.text_column, cfg.id_column, cfg.author_column, cfg.time_column):
        if isinstance(rec, Malformed):
            stats["malformed"] += 1
            stats["rejects"].append({"source": rec.source, "reason": rec.reason, "raw": rec.raw})
            continue
        stats["read"] += 1
        stats["formats"][rec.format] += 1
        if rec.op == "delete":
            yield json.dumps({"op": "delete", "id": rec.id}) + "\n"
            continue
        raw = rec.text
        text = normalize(raw, cfg.normalize, stats["changes"])
        reason = per_post_reason(rec, raw, text, cfg.filters)
        if reason:
            stats["rejected"][reason] += 1
            if len(stats["samples"][reason]) < cfg.samples_per_reason:
                stats["samples"][reason].append(raw[:280])
            continue
        d = rec.as_dict()
        d["raw"], d["text"] = raw, text
        yield json.dumps(d, ensure_ascii=False) + "\n"


def save_stage1(work: Path, key: str, lines, stats: dict) -> None:
    """KEY.jsonl then KEY.json, each by rename: KEY.json existing means the file is done."""
    tmp = work / f"{key}.jsonl.tmp"
    with open(tmp, "w", encoding="utf-8") as out:
        out.writelines(lines)
    os.replace(tmp, work / f"{key}.jsonl")
    write_text(work / f"{key}.json", json.dumps(stats, ensure_ascii=False))


def process_file(path: str, work_dir: str, key: str, cfg: BuildConfig) -> dict:
    """Stage 1 in this process, streaming straight to DIR/.work/."""
    stats = new_stats(path)
    save_stage1(Path(work_dir), key, stage1_lines(path, cfg, stats), stats)
    return stats


def _records(work: Path, keys: list[str]) -> Iterator[dict]:
    for key in keys:
        with open(work / f"{key}.jsonl", encoding="utf-8") as f:
            for line in f:
                yield json.loads(line)


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
    shapes: dict[str, Counter] = defaultdict(Counter)
    for r in _records(work, keys):
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
        shapes[a][template_key(r["text"])] += 1
    bots = set()
    for a, count in n.items():
        if count < cfg.bot_min_posts:
            continue
        rate = count / max(
            _hours(first.get(a), last.get(a)), 0.25
        )  # a 15-minute floor: a burst is not a rate
        if rate > cfg.bot_max_per_hour or shapes[a].most_common(1)[0][1] / count >= cfg.bot_template_share:
            bots.add(a)
    return deleted, updates, bots


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
        self.rows: dict[str, list[dict]] = defaultdict(list)
        self.parts: Counter = Counter()
        self.files: list[Path] = []

    def add(self, split: str, rec: dict) -> None:
        self.rows[split].append({c: rec.get(c) for c in self.COLUMNS})
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
        pq.write_table(self.pa.Table.from_pylist(rows, schema=self.schema), tmp)
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
) -> dict:
    """Run the whole pipeline; returns the report (also written to DIR/report.json)."""
    cfg = cfg or BuildConfig()
    out = Path(out)
    files = expand_inputs(inputs)
    work = out / ".work"
    if not resume and work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    keys = [_file_key(p, i) for i, p in enumerate(files)]
    todo = [(str(p), k) for p, k in zip(files, keys) if not (work / f"{k}.json").exists()]
    if resume and len(todo) < len(files) and progress:
        print(
            f"resuming: {len(files) - len(todo)} of {len(files)} input files already processed",
            file=sys.stderr,
        )
    if engine == "ray":
        from mynah.corpus.ray_engine import run_stage1

        run_stage1(todo, str(work), cfg, address, progress)
    else:
        for path, key in tqdm(todo, desc="reading", unit="file", disable=not progress):
            process_file(path, str(work), key, cfg)
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
    exact: set[int] = set()
    seen_ids: set[str] = set()
    rejected: Counter = Counter()
    samples: dict[str, list[str]] = defaultdict(list)
    shards = _ParquetShards(out)
    kept = Counter()
    total = sum(s["read"] - sum(s["rejected"].values()) for s in stats)  # records stage 1 wrote

    def first_reason(r: dict) -> tuple[str | None, dict]:
        """Every check but near-dup, in order; none of them depends on near-dup outcomes."""
        pid = r["id"]
        uid = f"{r.get('platform')}:{pid}"
        if pid in deleted:
            return "deleted", r
        if uid in seen_ids:
            return "duplicate_id", r
        seen_ids.add(uid)
        if pid in updates:
            r = {**r, "text": updates[pid]["text"], "raw": updates[pid]["raw"]}
        if r.get("author") in bots:
            return "bot_heuristic", r
        if f.exact_dedup:
            h = int.from_bytes(hashlib.blake2b(r["text"].lower().encode(), digest_size=8).digest(), "little")
            if h in exact:
                return "duplicate", r
            exact.add(h)
        return None, r

    def finish(chunk: list[tuple[str | None, dict]]) -> None:
        # Near-dup signatures are computed for the chunk at once (much cheaper per post),
        # then decided in input order, exactly as one at a time.
        todo = [i for i, (reason, _) in enumerate(chunk) if reason is None]
        if near is not None and todo:
            for i, hit in zip(todo, near.check_add_batch([chunk[i][1]["text"] for i in todo])):
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
        if op == "delete" or (op == "update" and f"{r.get('platform')}:{r['id']}" in seen_ids):
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
        tok = train_tokenizer(shards.texts("train"), vocab_size=cfg.vocab_size)
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
        "files": [{"file": s["file"], "read": s["read"], "malformed": s["malformed"]} for s in stats],
        "samples": dict(sorted(all_samples.items())),
    }


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
