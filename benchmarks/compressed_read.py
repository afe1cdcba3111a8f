"""Reading compressed exports: mynah's damage-aware reader vs the standard library's.

mynah reads `.gz` and `.zst` through `readers.CompressedLines`, which checks that every gzip
member and zstd frame really ended (so a cut file is reported, and its whole lines are
kept). The baselines are what the readers used before: `gzip.open` and zstandard's
`stream_reader` behind a text wrapper. Both sides iterate the same file line by line, as
the JSON Lines reader does; the figure is MB/s of decompressed text, median of --reps runs.
The one-line parse that follows each line costs far more (~50 us a post in stage 1), so
what matters is that this stays well above the corpus build's ~20 MB/s.

    python benchmarks/compressed_read.py [--posts 300000] [--reps 5]
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

import zstandard

from mynah.corpus.readers import open_text

WORDS = ["harbour", "ferry", "coffee", "rain", "market", "train", "festival", "music", "bridge", "storm"]


def lines_of(f) -> int:
    n = 0
    for _ in f:
        n += 1
    return n


def timed(open_fn, path: Path, reps: int) -> tuple[float, int]:
    times, n = [], 0
    for _ in range(reps):
        t = time.perf_counter()
        with open_fn(path) as f:
            n = lines_of(f)
        times.append(time.perf_counter() - t)
    return statistics.median(times), n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--posts", type=int, default=300_000)
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args()
    rng = random.Random(0)
    data = "".join(
        json.dumps({"id": str(i), "text": " ".join(rng.choice(WORDS) for _ in range(14)), "lang": "en"})
        + "\n"
        for i in range(a.posts)
    ).encode()
    mb = len(data) / 1e6
    baselines = {
        # (the text wrapper closes what it wraps, as `with` in timed() closes it)
        ".gz": lambda p: io.TextIOWrapper(gzip.open(p, "rb"), encoding="utf-8", errors="replace"),  # noqa: SIM115
        ".zst": lambda p: io.TextIOWrapper(
            zstandard.ZstdDecompressor().stream_reader(open(p, "rb")),  # noqa: SIM115
            encoding="utf-8",
            errors="replace",
        ),
    }
    with tempfile.TemporaryDirectory() as d:
        files = {".gz": Path(d) / "x.jsonl.gz", ".zst": Path(d) / "x.jsonl.zst"}
        files[".gz"].write_bytes(gzip.compress(data, 6))
        files[".zst"].write_bytes(zstandard.ZstdCompressor().compress(data))
        print(f"{a.posts:,} posts, {mb:.1f} MB of JSON Lines; median of {a.reps} reads")
        print("| format | mynah MB/s | baseline MB/s | ratio |")
        print("|---|---|---|---|")
        for ext, path in files.items():
            ours, n1 = timed(open_text, path, a.reps)
            theirs, n2 = timed(baselines[ext], path, a.reps)
            assert n1 == n2 == a.posts, (n1, n2)
            print(f"| {ext} | {mb / ours:,.0f} | {mb / theirs:,.0f} | {theirs / ours:.2f}x |")


if __name__ == "__main__":
    main()
