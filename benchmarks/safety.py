"""What the policy layer costs (issue 14), each part against its named baseline in one run.

check: the request check's time on 2 cores, over the 1,120 held-out requests one at a
  time. mynah reuses the query embedding that retrieval computes (one embedding a request),
  so the check adds the cues, the rules and one matrix product; the baseline is a check
  that embeds the request itself (a second embedding). p50 and p95 of each, and the ratio.
decode: `small`-recipe streaming decode (random weights, 16 clients, `ignore_eos`, 128
  tokens each) through `mynah serve` with the policy layer (request check + the output
  check holding the stream back a sentence at a time) against the same server started
  with --no-policy; the two servers run side by side and are measured in ABBA order,
  --reps rounds; the figure is the median of the rounds' ratios. Target: with / without
  >= 0.95.

    python benchmarks/safety.py [--parts check,decode] [--reps 3] [--clients 16]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def part_check() -> dict:
    from mynah.safety.evaluate import load_rows
    from mynah.safety.guard import Guard
    from mynah.safety.policy import Policy

    rows = load_rows("heldout")
    g = Guard.load(Policy())
    shared, own = [], []
    for r in rows:
        t = time.perf_counter()
        vec = g.embedder.both([r["text"]])[0]  # what the server computes once for retrieval and the check
        t1 = time.perf_counter()
        g.check_request(r["text"], vec)
        t2 = time.perf_counter()
        shared.append(t2 - t1)
        own.append(t2 - t)  # the same check had it embedded the request itself
    out = {
        "requests": len(rows),
        "mynah_check_p50_ms": 1000 * statistics.median(shared),
        "mynah_check_p95_ms": 1000 * float(np.percentile(shared, 95)),
        "own_embedding_check_p50_ms": 1000 * statistics.median(own),
        "own_embedding_check_p95_ms": 1000 * float(np.percentile(own, 95)),
    }
    out["ratio_p95_own_over_mynah"] = out["own_embedding_check_p95_ms"] / out["mynah_check_p95_ms"]
    return out


def _round(url: str, model: str, clients: int, per_client: int, max_tokens: int) -> float:
    tokens, lock = [0], threading.Lock()

    def worker(c: int):
        with httpx.Client(timeout=600) as http:
            for j in range(per_client):
                body = {
                    "model": model,
                    "messages": [
                        {
                            "role": "user",
                            "content": f"What are people saying about the match today? ({c}.{j})",
                        }
                    ],
                    "max_tokens": max_tokens,
                    "temperature": 0,
                    "ignore_eos": True,
                    "stream": True,
                    "stream_options": {"include_usage": True},
                }
                with http.stream("POST", url + "/v1/chat/completions", json=body) as r:
                    r.raise_for_status()
                    for line in r.iter_lines():
                        if line.startswith("data: {") and '"usage": {' in line:
                            u = json.loads(line[6:])["usage"]
                            with lock:
                                tokens[0] += u["completion_tokens"]

    t = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(c,)) for c in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return tokens[0] / (time.perf_counter() - t)


def part_decode(reps: int, clients: int, max_tokens: int, aa: bool = False) -> dict:
    from serve_helpers import LiveServer
    from serve_throughput import make_checkpoint

    tmp = Path(tempfile.mkdtemp())
    ckpt = make_checkpoint("small", tmp / "small")
    # started in turn, each pair's first server alternating (an A/A run, --aa, checks that
    # the two servers' places do not decide the ratio)
    on_args = ["--no-policy"] if aa else []
    off = LiveServer(ckpt, "--max-batch", str(clients), "--no-policy", tmp=tmp)
    on = LiveServer(ckpt, "--max-batch", str(clients), *on_args, tmp=tmp)
    try:
        model = ckpt.resolve().name
        for s in (on, off):  # warm up each
            _round(s.url, model, clients, 1, 16)
        res = {"on": [], "off": []}
        for i in range(reps):
            order = ("on", "off") if i % 2 == 0 else ("off", "on")
            for k in order:
                s = on if k == "on" else off
                res[k].append(_round(s.url, model, clients, 2, max_tokens))
    finally:
        on.stop()
        off.stop()
    med = {k: statistics.median(v) for k, v in res.items()}
    # each round's two servers ran back to back: their ratio is free of the machine's drift
    # over the run (this VM's speed wanders by 20% in minutes), so its median is the figure
    pairs = [a / b for a, b in zip(res["on"], res["off"])]
    return {
        "clients": clients,
        "max_tokens": max_tokens,
        "reps": reps,
        "policy_on_tok_s": res["on"],
        "policy_off_tok_s": res["off"],
        "median_on": med["on"],
        "median_off": med["off"],
        "ratio_of_medians": med["on"] / med["off"],
        "round_ratios": pairs,
        "ratio_on_over_off": statistics.median(pairs),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parts", default="check,decode")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--max-tokens", type=int, default=128)
    ap.add_argument("--aa", action="store_true", help="both servers without the policy (an A/A check)")
    a = ap.parse_args()
    import os

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}")
    parts = a.parts.split(",")
    if "check" in parts:
        r = part_check()
        print("check:", json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()}))
    if "decode" in parts:
        r = part_decode(a.reps, a.clients, a.max_tokens, a.aa)
        print(
            "decode:",
            json.dumps(
                {
                    k: [round(x, 3 if k == "round_ratios" else 1) for x in v]
                    if isinstance(v, list)
                    else round(v, 3)
                    if isinstance(v, float)
                    else v
                    for k, v in r.items()
                }
            ),
        )


if __name__ == "__main__":
    main()
