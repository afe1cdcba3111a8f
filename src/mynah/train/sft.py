"""`mynah sft`: chat-tune a checkpoint on OpenAI `messages` conversations.

Only the assistant's tokens (its replies and their closing <|im_end|>) are scored; the
system prompt, the user turns and the role headers are context, not targets.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import torch

from mynah.checkpoint import load_model
from mynah.recipes import RECIPES
from mynah.tokenizer import Tokenizer
from mynah.train.data import DataError, LengthGrouped, is_validation, read_jsonl, sample_ids
from mynah.train.loop import run_lock, train_loop


def load_conversations(path: str | Path, tok: Tokenizer, seq_len: int) -> list[tuple[list[int], list[int]]]:
    """Encode each conversation to (ids, assistant mask) of at most seq_len + 1 tokens.

    One longer than the context loses its oldest turns (the system prompt stays) until its
    assistant tokens fit, with a warning naming file:line; cutting it at the context length
    instead could drop an answer's closing <|im_end|>, and the model would learn to run on.
    One whose last exchange alone does not fit is skipped."""
    out = []
    for n, obj in read_jsonl(path):
        msgs = obj.get("messages")
        if not isinstance(msgs, list) or not msgs:
            print(f"warning: {path}:{n}: skipped, no 'messages' list", file=sys.stderr)
            continue
        try:
            ids, mask = tok.encode_chat(msgs)
        except ValueError as e:
            print(f"warning: {path}:{n}: skipped, {e}", file=sys.stderr)
            continue
        if not any(mask):
            print(f"warning: {path}:{n}: skipped, no assistant message to learn from", file=sys.stderr)
            continue
        fitted = fit_to_context(msgs, ids, mask, tok, seq_len + 1)
        if fitted is None:
            print(
                f"warning: {path}:{n}: skipped, {len(ids)} tokens and its last answer does not fit "
                f"the context of {seq_len + 1}",
                file=sys.stderr,
            )
            continue
        dropped, ids, mask = fitted
        if dropped:
            print(
                f"warning: {path}:{n}: longer than the context of {seq_len + 1} tokens; "
                f"its {dropped} oldest messages were dropped",
                file=sys.stderr,
            )
        out.append((ids[: seq_len + 1], mask[: seq_len + 1]))
    if not out:
        raise DataError(
            f'{path}: no usable conversations (each line needs {{"messages": [...]}} with an assistant turn)'
        )
    return out


def fit_to_context(
    msgs: list[dict], ids: list[int], mask: list[int], tok: Tokenizer, limit: int
) -> tuple[int, list[int], list[int]] | None:
    """(messages dropped, ids, mask) with every assistant token within the first `limit`
    tokens: the oldest non-system messages go first, and a reply whose question was dropped
    goes with it. None when no assistant reply fits."""
    system = 0
    while system < len(msgs) and msgs[system].get("role") in ("system", "developer"):
        system += 1
    rest = list(msgs[system:])
    dropped = 0
    while True:
        if any(mask) and max(i for i, m in enumerate(mask) if m) < limit:
            return dropped, ids, mask
        rest.pop(0)
        dropped += 1
        while rest and rest[0].get("role") == "assistant":
            rest.pop(0)
            dropped += 1
        if not any(m.get("role") == "assistant" for m in rest):
            return None
        ids, mask = tok.encode_chat(msgs[:system] + rest)


def collate(convs: list[tuple[list[int], list[int]]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    T = max(len(ids) for ids, _ in convs) - 1
    x = torch.full((len(convs), T), pad_id, dtype=torch.long)
    y = torch.full((len(convs), T), -100, dtype=torch.long)
    for i, (ids, mask) in enumerate(convs):
        t = torch.tensor(ids)
        m = torch.tensor(mask[1:], dtype=torch.bool)
        x[i, : len(ids) - 1] = t[:-1]
        y[i, : len(ids) - 1] = torch.where(m, t[1:], -100)
    return x, y


def sft(
    model_dir: str | Path,
    data: str | Path,
    out: str | Path,
    max_steps: int | None = None,
    recipe: str | None = None,
    resume: bool = False,
    progress: bool = True,
    **overrides,
) -> dict:
    """Chat-tune `model_dir` on `data`. The recipe's sft settings apply: by default those
    of the recipe the model was pretrained with (its run.json), so that a `demo` model is
    tuned at its 512-token context."""
    model_dir, out = Path(model_dir), Path(out)
    if recipe is None:
        try:
            recipe = json.loads((model_dir / "run.json").read_text()).get("recipe") or "tiny"
        except (OSError, ValueError):
            recipe = "tiny"
    with run_lock(out, resume):
        return _sft(model_dir, data, out, max_steps, recipe, resume, progress, **overrides)


def _sft(model_dir: Path, data, out: Path, max_steps, recipe, resume, progress, **overrides) -> dict:
    model = load_model(model_dir)
    tok = Tokenizer.load(model_dir)
    cfg = replace(RECIPES[recipe]().sft if recipe in RECIPES else RECIPES["tiny"]().sft, **overrides)
    if max_steps is not None:
        cfg = replace(cfg, max_steps=max_steps)
    cfg = replace(cfg, seq_len=min(cfg.seq_len, model.cfg.max_seq_len))
    convs = load_conversations(data, tok, cfg.seq_len)
    train = [c for i, c in enumerate(convs) if not is_validation(f"conv-{i}", 0.05)] or convs
    val = [c for i, c in enumerate(convs) if is_validation(f"conv-{i}", 0.05)] or convs[-1:]
    if progress:
        print(f"sft: {len(train)} train / {len(val)} val conversations, {cfg.max_steps} steps")
    order = LengthGrouped([len(ids) for ids, _ in train], cfg.seed, cfg.micro_batch)

    def micro_batch(step, micro, rank, world):
        ids = sample_ids(step, micro, rank, world, cfg.micro_batch, cfg.grad_accum)
        return collate([train[order[g]] for g in ids], tok.pad_id)

    val_b = [collate(val[i : i + 16], tok.pad_id) for i in range(0, len(val), 16)]
    token_bytes = torch.tensor(tok.token_bytes() + [0] * (model.cfg.vocab_size - tok.vocab_size))
    info = {"recipe": recipe, "data": str(data), "stage": "sft", "base_model": str(model_dir)}
    model.train()
    return train_loop(model, cfg, out, micro_batch, val_b, token_bytes, tok, resume, info, "sft", progress)
