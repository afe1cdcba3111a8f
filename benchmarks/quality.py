"""Quality: validation bits per byte of `mynah train --recipe tiny` vs `xz -9` on the same text.

Makes the default sample network (20,000 posts, seed 0), runs the real CLI with the tiny
recipe's defaults and times it, then compresses the validation posts (the same
conversation-level split training used) with xz -9. Target: model bpb < 0.6 x xz's bpb,
within 5 minutes on 2 cores.

    python benchmarks/quality.py
"""

from __future__ import annotations

import csv
import lzma
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mynah.sample import write_network
from mynah.train.data import is_validation, load_posts


def xz_bits_per_byte(data: bytes) -> tuple[float, str]:
    if shutil.which("xz"):
        packed = subprocess.run(["xz", "-9", "-c"], input=data, capture_output=True, check=True).stdout
        return len(packed) * 8 / len(data), "xz -9"
    return len(lzma.compress(data, preset=9)) * 8 / len(data), "python lzma preset 9 (xz not installed)"


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        write_network(work / "sample", n_posts=20000, seed=0)
        posts = load_posts(work / "sample" / "posts.jsonl")
        val = [p["text"] for p in posts if is_validation(str(p.get("conversation_id") or p.get("id")), 0.05)]
        text = "\n".join(val).encode("utf-8")
        xz_bpb, how = xz_bits_per_byte(text)
        t = time.perf_counter()
        cmd = [
            sys.executable,
            "-m",
            "mynah.cli",
            "train",
            "--recipe",
            "tiny",
            "--data",
            str(work / "sample" / "posts.jsonl"),
            "--out",
            str(work / "run"),
        ]
        with open(work / "train.log", "w") as log:  # the progress bar goes to the log, not the report
            done = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT)
        if done.returncode:
            sys.exit(f"training failed:\n{(work / 'train.log').read_text()[-3000:]}")
        wall = time.perf_counter() - t
        with open(work / "run" / "metrics.csv") as f:
            rows = [r for r in csv.DictReader(f) if r["val_bpb"]]
    model_bpb = float(rows[-1]["val_bpb"])
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores")
    print(f"validation text: {len(val)} posts, {len(text)} bytes; {how}: {xz_bpb:.3f} bits/byte")
    print(
        f"mynah tiny: {model_bpb:.3f} bits/byte after {rows[-1]['step']} steps, {wall:.0f} s wall (tokenizer + training + evals)"
    )
    print(
        f"ratio model/xz = {model_bpb / xz_bpb:.3f} (target < 0.6); time target 300 s: {'met' if wall <= 300 else 'missed'}"
    )
    for r in rows:
        print(f"  step {r['step']:>4}: val bpb {r['val_bpb']}  ({r['elapsed_s']} s)")


if __name__ == "__main__":
    main()
