"""Training tokens/s: `mynah train` vs a plain transformers model with a torch AdamW loop.

Same model config (the recipe, exported through mynah's config.json writer), same batches
(the same token windows, in order), same sequence length, fp32, same thread count, same
optimizer settings and gradient clipping. mynah's figure is the tok/s that `mynah train`
itself logs per step in metrics.csv; the baseline is timed around the same work (forward,
loss, backward, clip, step). The two alternate, and medians are reported.

    python benchmarks/train_throughput.py --recipe tiny --steps 25
"""

from __future__ import annotations

import argparse
import csv
import platform
import statistics
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from mynah.checkpoint import config_to_hf
from mynah.recipes import get_recipe
from mynah.sample import write_network
from mynah.train.data import PretrainBatches, corpus_from_posts, open_corpus
from mynah.train.pretrain import pretrain


def mynah_tok_s(recipe: str, corpus: Path, steps: int, work: Path) -> list[float]:
    out = work / f"run-{time.monotonic_ns()}"
    pretrain(recipe, corpus, out, max_steps=steps, progress=False, eval_every=10**9, save_every=10**9)
    with open(out / "metrics.csv") as f:
        return [float(r["tok_per_s"]) for r in csv.DictReader(f)][3:]  # skip warm-up steps


def hf_tok_s(recipe: str, corpus: Path, steps: int) -> list[float]:
    import transformers

    r = get_recipe(recipe)
    cfg = r.train
    hf_cfg = config_to_hf(r.model)
    cls = transformers.MixtralConfig if r.model.is_moe else transformers.LlamaConfig
    model = transformers.AutoModelForCausalLM.from_config(
        cls(**{k: v for k, v in hf_cfg.items() if k != "architectures"})
    )
    model.train()
    decay = [p for p in model.parameters() if p.dim() >= 2]
    rest = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": rest, "weight_decay": 0.0}],
        lr=cfg.lr,
        betas=cfg.betas,
    )
    _, streams = open_corpus(corpus)
    batches = PretrainBatches(streams["train"], cfg.seq_len, cfg.seed)
    out = []
    for step in range(steps):
        t = time.perf_counter()
        for micro in range(cfg.grad_accum):
            x, y = batches.micro_batch(step, micro, 0, 1, cfg.micro_batch, cfg.grad_accum)
            logits = model(input_ids=x).logits
            loss = F.cross_entropy(logits.float().flatten(0, 1), y.flatten())
            (loss / cfg.grad_accum).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()
        opt.zero_grad(set_to_none=True)
        out.append(x.numel() * cfg.grad_accum / (time.perf_counter() - t))
    return out[3:]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recipe", default="tiny")
    ap.add_argument("--steps", type=int, default=25)
    ap.add_argument("--rounds", type=int, default=2)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        write_network(work / "sample", n_posts=20000, seed=0)
        corpus = corpus_from_posts(
            work / "sample" / "posts.jsonl", work / "corpus", get_recipe(a.recipe).model.vocab_size
        )
        ours, base = [], []
        for _ in range(a.rounds):
            ours += mynah_tok_s(a.recipe, corpus, a.steps, work)
            base += hf_tok_s(a.recipe, corpus, a.steps)
    cfg = get_recipe(a.recipe).train
    m, h = statistics.median(ours), statistics.median(base)
    print(
        f"machine: {platform.machine()}, torch threads {torch.get_num_threads()}, torch {torch.__version__}; recipe {a.recipe}, "
        f"batch {cfg.micro_batch}x{cfg.grad_accum} x seq {cfg.seq_len}, fp32"
    )
    print(
        f"train tokens/s (median of {len(ours)} steps): mynah {m:.0f}, transformers+AdamW {h:.0f}, ratio {m / h:.2f}x"
    )


if __name__ == "__main__":
    main()
