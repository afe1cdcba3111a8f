"""Decode overhead of the grounding processors (the quote and citation constraint) on
`small`, at 1 and at 16 concurrent streams: the engine with and without them, same run.

The constraint runs per sequence on each step's logits, in Python, after the model's
forward; its cost is what it adds to a token. Two workloads, each against its own baseline:
- typical: random weights write random tokens, so quotes rarely open and the processor
  mostly checks its cached outside-a-quote rule;
- quote-heavy: a bias processor lifts every token holding a quote mark or bracket by +8, so
  quotes open all the time and the in-quote rule (a byte-trie walk along the posts) runs on
  most steps; its baseline is the bias alone.
Each cell is decode tokens/s (prefill excluded), the median of --reps runs, the two sides
interleaved in ABBA order. The posts are 5 of the
sample network's (block text as the server shows it); the prompt is 300 tokens.

    python benchmarks/processors_overhead.py [--new-tokens 64] [--reps 3]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from pathlib import Path

import torch

from mynah.engine import Engine, SamplingParams
from mynah.model import Transformer
from mynah.posts.ground import shown
from mynah.processors import QuoteConstraint, Source
from mynah.recipes import get_recipe
from mynah.sample import write_network
from mynah.tokenizer import train_tokenizer
from mynah.train.data import load_posts


class Timed:
    """A processor that counts the time spent in the one it wraps."""

    spent = 0.0

    def __init__(self, proc):
        self.proc = proc

    def __call__(self, history, logits):
        t = time.perf_counter()
        out = self.proc(history, logits)
        Timed.spent += time.perf_counter() - t
        return out


class Bias:
    def __init__(self, ids: list[int], by: float):
        self.ids, self.by = ids, by

    def __call__(self, history, logits):
        logits = logits.clone()
        logits[self.ids] += self.by
        return logits


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--recipe", default="small")
    ap.add_argument("--new-tokens", type=int, default=64)
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        write_network(Path(d), n_posts=4000, seed=0)
        posts = load_posts(Path(d) / "posts.jsonl")
    cfg = get_recipe(a.recipe).model
    tok = train_tokenizer([p["text"] for p in posts], vocab_size=cfg.vocab_size)
    sources = [Source(i + 1, p.get("author"), shown(p["text"])) for i, p in enumerate(posts[:5])]
    torch.manual_seed(0)
    model = Transformer(cfg)
    model.init_weights(0)
    model.eval()
    prompt = torch.randint(0, tok.vocab_size, (300,)).tolist()
    engine = Engine(model, max_batch=16, max_len=300 + a.new_tokens + 1)
    quoteish = [i for i in range(tok.vocab_size) if any(c in tok.decode([i]) for c in '"[]“«„')]
    print(
        f"{a.recipe}: {sum(p.numel() for p in model.parameters()) / 1e6:.1f}M parameters, tokenizer "
        f"{tok.vocab_size} tokens; {a.new_tokens} new tokens after a 300-token prompt; "
        f"{torch.get_num_threads()} threads, {platform.processor() or platform.machine()}"
    )

    def params(seed: int, constrained: bool, heavy: bool) -> SamplingParams:
        # (with the answer's budget, as the server passes it: the near-the-end rules run too)
        procs = [Timed(QuoteConstraint(tok, sources, a.new_tokens))] if constrained else []
        if heavy:
            procs.append(Bias(quoteish, 8.0))  # after the constraint, as processors compose
        return SamplingParams(max_tokens=a.new_tokens, temperature=0.8, seed=seed, logits_processors=procs)

    def run(n: int, constrained: bool, heavy: bool) -> tuple[float, float]:
        """(decode tokens/s, the share of decode time spent in the constraint), timed from the
        first sampled token (after every prefill) to the end."""
        plist = [params(s, constrained, heavy) for s in range(n)]
        t0, count = None, 0
        for ev in engine.generate([prompt] * n, plist):
            if t0 is None:
                t0 = time.perf_counter()
                Timed.spent = 0.0
            elif ev.token is not None:
                count += 1
        assert count == n * a.new_tokens - 1  # no stop token: every step runs
        dt = time.perf_counter() - t0
        return count / dt, Timed.spent / (dt - Timed.spent)

    run(1, True, True)  # warm-up (and the vocabulary index, built once per tokenizer)
    # Two figures: the A/B ratio of whole runs (noisy on a shared 2-core VM), and the time
    # spent inside the constraint over the rest of the decode (what it adds, measured
    # directly, so it is robust to the machine's noise).
    print("| workload | streams | without tok/s | with tok/s | A/B overhead | time in the constraint |")
    print("|---|---|---|---|---|---|")
    for heavy in (False, True):
        for n in (1, 16):
            base, ours, share = [], [], []
            for rep in range(a.reps):  # ABBA order: neither side always runs first
                for constrained in (False, True) if rep % 2 == 0 else (True, False):
                    rate, sh = run(n, constrained, heavy)
                    (ours if constrained else base).append(rate)
                    if constrained:
                        share.append(sh)
            b, o = statistics.median(base), statistics.median(ours)
            name = "quote-heavy" if heavy else "typical"
            print(
                f"| {name} | {n} | {b:.1f} | {o:.1f} | {(b / o - 1) * 100:+.1f}% | "
                f"+{statistics.median(share) * 100:.1f}% |",
                flush=True,
            )


if __name__ == "__main__":
    main()
