"""Serving throughput: aggregate generated tokens/s with 1, 4 and 16 concurrent streaming
clients against `mynah serve`, and time to first token, vs transformers `generate()`
serving the same requests one after another (what a one-request-at-a-time server does).

The model is the recipe's architecture with seeded random weights (throughput does not
depend on what the weights learned) and a tokenizer trained on sample posts, saved as a
checkpoint; both servers load that checkpoint. Every request is greedy with the same
max_tokens; tokens are counted from each response's `usage`.

    python benchmarks/serve_throughput.py --recipe small --requests 32 --max-tokens 64
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from mynah.checkpoint import save_checkpoint  # noqa: E402
from mynah.model import Transformer  # noqa: E402
from mynah.recipes import get_recipe  # noqa: E402
from mynah.sample import build_network  # noqa: E402
from mynah.tokenizer import train_tokenizer  # noqa: E402
from serve_helpers import LiveServer  # noqa: E402


def make_checkpoint(recipe: str, out: Path) -> Path:
    cfg = get_recipe(recipe).model
    tok = train_tokenizer((p["text"] for p in build_network(4000, seed=0).posts), vocab_size=cfg.vocab_size)
    torch.manual_seed(0)
    model = Transformer(cfg)
    model.init_weights(0)
    save_checkpoint(model, out, tokenizer=tok)
    return out


def prompts(n: int) -> list[list[dict]]:
    topics = [
        "coffee",
        "the match",
        "the new album",
        "rent",
        "the storm",
        "elections",
        "the bakery",
        "trains",
    ]
    return [
        [{"role": "user", "content": f"What are people saying about {topics[i % len(topics)]} today? ({i})"}]
        for i in range(n)
    ]


def ttft_buckets(url: str) -> dict[float, float]:
    """The server's time-to-first-token histogram: upper bound -> cumulative count."""
    out = {}
    for line in httpx.get(url + "/metrics").text.splitlines():
        if line.startswith("mynah_time_to_first_token_seconds_bucket"):
            le = line.split('le="')[1].split('"')[0]
            out[float("inf") if le == "+Inf" else float(le)] = float(line.rsplit(" ", 1)[1])
    return out


def quantile(before: dict, after: dict, q: float) -> float:
    """histogram_quantile as Prometheus computes it, over the requests between two scrapes."""
    bounds = sorted(after)
    counts = [after[b] - before.get(b, 0) for b in bounds]
    rank, prev_b, prev_c = q * counts[-1], 0.0, 0.0
    for b, c in zip(bounds, counts):
        if c >= rank:
            if b == float("inf"):
                return prev_b
            return prev_b + (b - prev_b) * (rank - prev_c) / max(c - prev_c, 1e-9)
        prev_b, prev_c = b, c
    return bounds[-2]


def run_clients(url: str, model: str, reqs: list, clients: int, max_tokens: int) -> dict:
    """`clients` threads each stream requests from a shared list until it is empty."""
    todo = list(reqs)
    lock = threading.Lock()
    ttft, tokens, errors = [], [0], [0]

    def worker():
        with httpx.Client(timeout=600) as http:
            while True:
                with lock:
                    if not todo:
                        return
                    msgs = todo.pop()
                body = {
                    "model": model,
                    "messages": msgs,
                    "max_tokens": max_tokens,
                    "temperature": 0,
                    "stream": True,
                    "stream_options": {"include_usage": True},
                }
                t0 = time.perf_counter()
                first = None
                with http.stream("POST", url + "/v1/chat/completions", json=body) as r:
                    if r.status_code != 200:
                        errors[0] += 1
                        continue
                    for line in r.iter_lines():
                        if not line.startswith("data: ") or line == "data: [DONE]":
                            continue
                        chunk = json.loads(line[6:])
                        if first is None and chunk["choices"] and chunk["choices"][0]["delta"].get("content"):
                            first = time.perf_counter() - t0
                        if chunk.get("usage"):
                            with lock:
                                tokens[0] += chunk["usage"]["completion_tokens"]
                with lock:
                    ttft.append(first if first is not None else time.perf_counter() - t0)

    before = ttft_buckets(url)
    t = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - t
    after = ttft_buckets(url)
    # The server's histogram times the first token itself; a client only sees the first
    # token that decodes to text, which for random weights can be many tokens later.
    return {
        "tok_s": tokens[0] / wall,
        "tokens": tokens[0],
        "wall": wall,
        "ttft_p50": quantile(before, after, 0.5),
        "ttft_p95": quantile(before, after, 0.95),
        "first_text_p50": statistics.median(ttft),
        "errors": errors[0],
    }


def baseline(ckpt: Path, reqs: list, max_tokens: int) -> dict:
    """transformers generate(), greedy, one request after another, in this process."""
    import transformers

    from mynah.tokenizer import Tokenizer

    tok = Tokenizer.load(ckpt)
    hf = transformers.AutoModelForCausalLM.from_pretrained(ckpt, dtype=torch.float32).eval()
    tokens = 0
    t = time.perf_counter()
    for msgs in reqs:
        ids, _ = tok.encode_chat(msgs, add_generation_prompt=True)
        with torch.inference_mode():
            out = hf.generate(
                torch.tensor([ids]),
                max_new_tokens=max_tokens,
                do_sample=False,
                eos_token_id=tok.stop_ids,
                pad_token_id=tok.eot_id,
            )
        tokens += out.shape[1] - len(ids)
    wall = time.perf_counter() - t
    return {"tok_s": tokens / wall, "tokens": tokens, "wall": wall}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recipe", default="small")
    ap.add_argument("--requests", type=int, default=32)
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--clients", default="1,4,16")
    a = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores, torch {torch.__version__}, {torch.get_num_threads()} threads")
    with tempfile.TemporaryDirectory() as d:
        ckpt = make_checkpoint(a.recipe, Path(d) / a.recipe)
        reqs = prompts(a.requests)
        results = {}
        server = LiveServer(ckpt, "--max-batch", "16", "--max-queue", "256", tmp=Path(d))
        try:
            run_clients(server.url, a.recipe, reqs[:2], 1, 8)  # warm-up
            for c in [int(x) for x in a.clients.split(",")]:
                r = results[c] = run_clients(server.url, a.recipe, reqs, c, a.max_tokens)
                print(
                    f"mynah serve, {c:2d} clients: {r['tok_s']:7.1f} tok/s aggregate ({r['tokens']} tokens in {r['wall']:.1f} s), "
                    f"TTFT p50 {r['ttft_p50'] * 1000:.0f} ms, p95 {r['ttft_p95'] * 1000:.0f} ms (server histogram), "
                    f"first text p50 {r['first_text_p50'] * 1000:.0f} ms (client), errors {r['errors']}"
                )
            rss = subprocess.run(
                ["ps", "-o", "rss=", "-p", str(server.proc.pid)], capture_output=True, text=True
            ).stdout
            print(f"server RSS after the runs: {int(rss) / 1024:.0f} MiB")
        finally:
            server.stop()
        b = baseline(ckpt, reqs, a.max_tokens)
        print(
            f"transformers generate(), one request after another: {b['tok_s']:.1f} tok/s ({b['tokens']} tokens in {b['wall']:.1f} s)"
        )
        cs = sorted(results)
        if 1 in results and cs[-1] != 1:
            print(
                f"{cs[-1]} clients vs 1 client: {results[cs[-1]]['tok_s'] / results[1]['tok_s']:.2f}x (target >= 6x)"
            )
            print(
                f"{cs[-1]} clients vs transformers sequential: {results[cs[-1]]['tok_s'] / b['tok_s']:.2f}x"
            )


if __name__ == "__main__":
    main()
