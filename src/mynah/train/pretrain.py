"""`mynah train`: pretrain a recipe's model on posts (a posts JSONL or a corpus folder)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import torch

from mynah.model import Transformer
from mynah.recipes import get_recipe
from mynah.train.data import DataError, PretrainBatches, corpus_from_posts, open_corpus, val_batches
from mynah.train.loop import dist_env, run_lock, train_loop


def pretrain(
    recipe: str,
    data: str | Path,
    out: str | Path,
    max_steps: int | None = None,
    resume: bool = False,
    progress: bool = True,
    **overrides,
) -> dict:
    """Pretrain and write a checkpoint to `out`; returns the last metrics row.

    `overrides` replace TrainConfig fields (micro_batch, grad_accum, seq_len, lr, ...).
    """
    out, data = Path(out), Path(data)
    with run_lock(out, resume):
        return _pretrain(recipe, data, out, max_steps, resume, progress, **overrides)


def _pretrain(recipe, data: Path, out: Path, max_steps, resume, progress, **overrides) -> dict:
    r = get_recipe(recipe)
    rank, _ = dist_env()
    if resume and (out / "run.json").exists():
        saved = json.loads((out / "run.json").read_text())
        if saved.get("recipe") != recipe:
            raise DataError(
                f"{out}: --resume with recipe {recipe!r}, but the run was started with {saved.get('recipe')!r}"
            )
    cfg = replace(r.train, **overrides)
    if max_steps is not None:
        cfg = replace(cfg, max_steps=max_steps)
    if data.is_dir():
        corpus = data
    elif data.suffix in (".jsonl", ".json") or data.exists():
        # Tokenize once into the run; a resumed run must reuse the same tokenizer and ids.
        corpus = out / "corpus"
        if not (corpus / "tokens" / "index.json").exists():
            if rank == 0:
                corpus_from_posts(data, corpus, vocab_size=r.model.vocab_size)
            if torch.distributed.is_initialized():
                torch.distributed.barrier()
    else:
        raise DataError(f"{data}: not found (pass a posts .jsonl file or a corpus folder)")
    tok, streams = open_corpus(corpus)
    if "val" not in streams:
        raise DataError(f"{corpus}: no validation split")
    mcfg = r.model
    if tok.vocab_size > mcfg.vocab_size:  # a corpus may bring a larger tokenizer: grow to fit
        mcfg = replace(mcfg, vocab_size=-(-tok.vocab_size // 64) * 64)
    cfg = replace(cfg, seq_len=min(cfg.seq_len, mcfg.max_seq_len))
    torch.manual_seed(cfg.seed)
    model = Transformer(mcfg)
    model.init_weights(cfg.seed)
    batches = PretrainBatches(streams["train"], cfg.seq_len, cfg.seed)
    val = val_batches(streams["val"], cfg.seq_len, cfg.eval_tokens)
    token_bytes = torch.tensor(tok.token_bytes() + [0] * (mcfg.vocab_size - tok.vocab_size))
    if rank == 0 and progress:
        print(
            f"recipe {recipe}: {model.num_params() / 1e6:.2f}M parameters, {len(streams['train']):,} train tokens, "
            f"{len(streams['val']):,} val tokens, {cfg.max_steps} steps"
        )
    mb = lambda step, micro, rank, world: batches.micro_batch(
        step, micro, rank, world, cfg.micro_batch, cfg.grad_accum
    )
    info = {"recipe": recipe, "data": str(data), "stage": "pretrain"}
    return train_loop(
        model, cfg, out, mb, val, token_bytes, tok, resume, info, f"pretrain {recipe}", progress
    )
