"""Corpus pipeline throughput, memory, and near-duplicate quality against datasketch.

1. Near-dup stage vs datasketch MinHashLSH, same permutations (128), threshold (0.7) and
   shingles (5-byte), on distinct base posts plus planted near-duplicates (small edits):
   posts/s, recall and precision for each.
2. End to end (`mynah corpus build` in a fresh process) on N sample posts written as X API
   v2 JSONL, with and without near-dup: posts/s and peak RSS, at N/4 and N (or --sizes) to
   show whether memory stays flat as input grows, within --memory-mb.
3. Optionally the real CrisisLex tweets (../shared/data/crisislex): the report's figures.

    python benchmarks/corpus_throughput.py --posts 1000000 --crisislex ../shared/data/crisislex
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mynah.corpus.minhash import NearDuplicates
from mynah.sample import ADJ, CITIES, TOPICS, build_network, write_platform_exports


def planted_set(n_base: int, n_dup: int, seed: int = 0) -> tuple[list[str], set[int]]:
    """Distinct posts (random word sequences) then edited copies of some; returns texts and dup indices."""
    r = random.Random(seed)
    vocab = sorted(
        {w for _, by in TOPICS.values() for ns in by.values() for n in ns for w in n.split()}
        | {w for by in ADJ.values() for ws in by.values() for a in ws for w in a.split()}
        | set(CITIES)
    )
    base = [" ".join(r.choice(vocab) for _ in range(r.randint(10, 22))) for _ in range(n_base)]
    edits = [
        lambda t: t + r.choice(["!", "!!", " 🔥", " 👀", " +1", " lol"]),
        lambda t: t.lower(),
        lambda t: t.upper()[:1] + t[1:],
        lambda t: "via @" + r.choice(["ana", "ben", "kim"]) + ": " + t,
        lambda t: t.replace(" ", "  ", 1),
        lambda t: t.rsplit(" ", 1)[0] + " " + r.choice(vocab),
    ]
    dups = []
    for _ in range(n_dup):
        t = r.choice(base)
        for e in r.sample(edits, 2):
            t = e(t)
        dups.append(t)
    return base + dups, set(range(n_base, n_base + n_dup))


def score(flags: list[bool], dups: set[int]) -> tuple[float, float]:
    hits = {i for i, f in enumerate(flags) if f}
    return len(hits & dups) / len(dups), len(hits & dups) / max(1, len(hits))


def bench_near_dup(n_base: int, n_dup: int) -> None:
    from datasketch import MinHash, MinHashLSH

    texts, dups = planted_set(n_base, n_dup)
    t = time.perf_counter()
    nd = NearDuplicates(threshold=0.7)
    ours = [
        hit is not None for i in range(0, len(texts), 1024) for hit in nd.check_add_batch(texts[i : i + 1024])
    ]
    t_ours = time.perf_counter() - t

    t = time.perf_counter()
    lsh = MinHashLSH(threshold=0.7, num_perm=128)
    theirs = []
    for i, text in enumerate(texts):
        b = text.lower().encode()
        m = MinHash(num_perm=128)
        m.update_batch([b[k : k + 5] for k in range(max(1, len(b) - 4))])
        hit = bool(lsh.query(m))
        theirs.append(hit)
        if not hit:
            lsh.insert(str(i), m)
    t_theirs = time.perf_counter() - t
    ro, po = score(ours, dups)
    rt, pt = score(theirs, dups)
    print(
        f"near-dup on {len(texts):,} posts ({n_dup:,} planted): mynah {len(texts) / t_ours:,.0f} posts/s (recall {ro:.3f}, "
        f"precision {po:.3f}); datasketch MinHashLSH {len(texts) / t_theirs:,.0f} posts/s (recall {rt:.3f}, precision {pt:.3f}); "
        f"ratio {t_theirs / t_ours:.1f}x"
    )


def run_build(args: list[str]) -> tuple[float, tuple[float, float], dict]:
    """Wall seconds, peak RSS (MiB) of the build and of its largest worker, and the report of
    one `mynah corpus build` in a fresh process."""
    # VmHWM, not getrusage's ru_maxrss: on Linux ru_maxrss survives exec, so a child would
    # report the parent's high-water mark at fork time.
    # The reading workers are separate processes: RUSAGE_CHILDREN's ru_maxrss is the largest
    # of them (an upper bound, for the reason above, though they start while the parent is small).
    code = (
        "import sys, json, resource; from mynah.cli import main; rc = main(sys.argv[1:]); "
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]; "
        "w = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss; "
        "print(json.dumps({'rss': int(hwm), 'worker': w}), file=sys.stderr); sys.exit(rc)"
    )
    t = time.perf_counter()
    p = subprocess.run(
        [sys.executable, "-c", code, "corpus", "build", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "TQDM_DISABLE": "1"},
    )
    wall = time.perf_counter() - t
    if p.returncode:
        sys.exit(f"build failed: {p.stderr[-2000:]}")
    mem = json.loads(p.stderr.strip().splitlines()[-1])
    out = args[args.index("--out") + 1]
    return wall, (mem["rss"] / 1024, mem["worker"] / 1024), json.loads(Path(out, "report.json").read_text())


def bench_end_to_end(sizes: list[int], work: Path, memory_mb: int | None, near: list[bool]) -> None:
    for size in sizes:
        src = work / f"v2-{size}"
        if not (src / "x_v2.jsonl").exists():
            t = time.perf_counter()
            net = build_network(size, seed=0)
            write_platform_exports(net, src)
            del net  # the builds below run in their own processes; keep this one small
            print(f"(generated {size:,} posts in every format in {time.perf_counter() - t:.0f} s)")
        data = str(src / "x_v2.jsonl")
        mem = ["--memory-mb", str(memory_mb)] if memory_mb is not None else []
        for with_near in near:
            extra = [] if with_near else ["--no-near-dedup"]
            label = "with near-dup" if with_near else "without near-dup"
            wall, rss, rep = run_build([data, "--out", str(work / f"out-{size}-{len(extra)}"), *extra, *mem])
            print(
                f"end to end, {size:,} v2 posts, {label}, memory budget {rep['memory']['budget_mb']} MB: "
                f"{size / wall:,.0f} posts/s ({wall:.1f} s), "
                f"peak RSS {rss[0]:,.0f} MiB (largest reading worker {rss[1]:,.0f} MiB), "
                f"kept {rep['kept']:,}, rejected {sum(rep['rejected'].values()):,}, "
                f"spilled to disk {rep['memory']['spilled_to_disk']}"
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--posts", type=int, default=1_000_000)
    ap.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=None,
        help="end-to-end input sizes (default: posts/4 and posts)",
    )
    ap.add_argument("--memory-mb", type=int, default=None, help="corpus build --memory-mb (default: its own)")
    ap.add_argument(
        "--near", choices=["both", "on", "off"], default="both", help="builds with near-dup on/off"
    )
    ap.add_argument("--skip-near-dup-bench", action="store_true", help="only the end-to-end builds")
    ap.add_argument("--near-dup-base", type=int, default=20_000)
    ap.add_argument("--near-dup-planted", type=int, default=2_000)
    ap.add_argument("--crisislex", default=None, help="path to ../shared/data/crisislex, if present")
    ap.add_argument("--keep", default=None, help="keep the generated exports in this folder and reuse them")
    a = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}")
    if not a.skip_near_dup_bench:
        bench_near_dup(a.near_dup_base, a.near_dup_planted)
    with tempfile.TemporaryDirectory() as d:
        if a.keep:
            Path(a.keep).mkdir(parents=True, exist_ok=True)
        near = {"both": [False, True], "on": [True], "off": [False]}[a.near]
        bench_end_to_end(a.sizes or [a.posts // 4, a.posts], Path(a.keep or d), a.memory_mb, near)
        if a.crisislex and Path(a.crisislex).exists():
            wall, rss, rep = run_build(
                [
                    a.crisislex,
                    "--out",
                    str(Path(d) / "crisislex"),
                    "--text-column",
                    "tweet text,tweet",
                    "--id-column",
                    "tweet id",
                ]
            )
            print(
                f"crisislex: read {rep['read']:,}, kept {rep['kept']:,}, malformed {rep['malformed']}, rejected {rep['rejected']}, "
                f"changes {rep['changes']}, tokens {rep.get('tokens')}; {rep['read'] / wall:,.0f} posts/s, peak RSS {rss[0]:,.0f} MiB "
                f"(largest reading worker {rss[1]:,.0f} MiB)"
            )


if __name__ == "__main__":
    main()
