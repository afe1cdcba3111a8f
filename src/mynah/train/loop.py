"""The training loop shared by pretraining and chat tuning.

AdamW with linear warmup then cosine decay, gradient accumulation and clipping, bf16
autocast on GPUs that have it, validation in bits per byte, a tqdm bar with tokens/s,
metrics.csv plus loss.png, and checkpoints that resume exactly.

Checkpoint layout inside the run folder OUT:
    OUT/config.json, model.safetensors, ...     the latest weights in the HF layout (loadable)
    OUT/state/step-NNNNNN/                      model + optimizer + RNG + step, for --resume
A state folder is written under a temporary name and renamed into place, so a run killed
at any moment leaves either the previous complete state or the new one, never half.
Because batches are a function of the step (see data.py), the step, the weights, the
optimizer moments and the RNG are all that an exact continuation needs.

Data parallelism: run under `torchrun`; each process takes its share of every global
batch and DDP averages the gradients, so N processes compute what one would with the
same global batch (gloo on CPU, NCCL on GPU).
"""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
import time
from collections.abc import Callable
from contextlib import contextmanager, nullcontext
from dataclasses import asdict
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn.functional as F
from safetensors.torch import load_file
from tqdm import tqdm

from mynah.atomic import FolderLock, write_text
from mynah.checkpoint import save_checkpoint, write_safetensors
from mynah.model import Transformer
from mynah.recipes import TrainConfig

Batch = tuple[torch.Tensor, torch.Tensor]
METRIC_FIELDS = ["step", "tokens", "loss", "lr", "grad_norm", "tok_per_s", "val_bpb", "elapsed_s"]


def dist_env() -> tuple[int, int]:
    """(rank, world size); starts the process group when launched by torchrun."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return (dist.get_rank(), world) if world > 1 else (0, 1)


@contextmanager
def run_lock(out: Path, resume: bool):
    """One training run at a time in a folder (rank 0 holds it for a torchrun job): two
    would overwrite each other's checkpoints and interleave metrics.csv. A new run (not
    --resume) into a folder that holds one is refused: the two runs' states would mix, and
    a later --resume would pick whichever step is higher."""
    if dist_env()[0] != 0:
        yield
        return
    with FolderLock(out, "training run"):
        state = latest_state(out)
        if not resume and state is not None:
            step = int(state.name.removeprefix("step-"))
            raise ValueError(
                f"{out} already holds a training run (saved at step {step}); "
                "pass --resume to continue it, or choose another --out"
            )
        yield


def lr_at(step: int, cfg: TrainConfig) -> float:
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    progress = (step - cfg.warmup_steps) / max(1, cfg.max_steps - cfg.warmup_steps)
    cosine = 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
    return cfg.lr * (cfg.min_lr_frac + (1 - cfg.min_lr_frac) * cosine)


def make_optimizer(model: Transformer, cfg: TrainConfig) -> torch.optim.AdamW:
    # Decay matrices only: norms' gains decaying toward 0 just fights the normalization.
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=cfg.lr, betas=cfg.betas, fused=torch.cuda.is_available() or None)


def autocast_ctx(device: torch.device, dtype: str):
    # On CPUs without bf16 matmul units (like this project's CI machine) bf16 runs hundreds
    # of times slower than fp32, so "auto" only turns autocast on for CUDA.
    use_bf16 = dtype == "bf16" or (
        dtype == "auto" and device.type == "cuda" and torch.cuda.is_bf16_supported()
    )
    return torch.autocast(device.type, dtype=torch.bfloat16) if use_bf16 else nullcontext()


@torch.no_grad()
def bits_per_byte(
    model: Transformer, batches: list[Batch], token_bytes: torch.Tensor, device, dtype: str
) -> float:
    """Sum of cross-entropy over scored tokens, in bits, divided by the bytes those tokens spell.

    Special tokens spell no bytes and are not scored, so the figure is comparable across
    tokenizers and with a compressor's bits per byte on the same text. Targets of -100
    (SFT's unscored tokens) are skipped.
    """
    was_training = model.training
    model.eval()
    nats, nbytes = 0.0, 0
    for x, y in batches:
        x, y = x.to(device), y.to(device)
        with autocast_ctx(device, dtype):
            logits = model(x)
        valid = y >= 0
        b = torch.where(valid, token_bytes[y.clamp(min=0)], 0)
        ce = F.cross_entropy(
            logits.float().flatten(0, 1), y.clamp(min=0).flatten(), reduction="none"
        ).view_as(y)
        nats += float((ce * (b > 0)).sum())
        nbytes += int(b.sum())
    model.train(was_training)
    return nats / math.log(2) / max(1, nbytes)


def _save_state(
    out: Path, step: int, model: Transformer, opt: torch.optim.Optimizer, extra: dict, keep: int = 2
) -> None:
    state_dir = out / "state"
    final = state_dir / f"step-{step:06d}"
    tmp = state_dir / f".tmp-step-{step:06d}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        sd = opt.state_dict()
        tensors = {}
        for pid, s in sd["state"].items():
            for k, v in s.items():
                tensors[f"{pid}.{k}"] = (
                    v.detach().cpu().contiguous() if torch.is_tensor(v) else torch.tensor(v)
                )
        write_safetensors(tensors, tmp / "optimizer.safetensors")
        weights = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
        if model.cfg.tie_embeddings:
            weights.pop("lm_head.weight", None)
        write_safetensors(weights, tmp / "model.safetensors")
        write_safetensors({"torch": torch.get_rng_state()}, tmp / "rng.safetensors")
        meta = {"step": step, "param_groups": sd["param_groups"], **extra}
        (tmp / "trainer.json").write_text(json.dumps(meta, indent=2))
    except BaseException:  # a full disk: no half state beside the whole ones
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)
    for old in sorted(p for p in state_dir.glob("step-*"))[:-keep]:
        shutil.rmtree(old, ignore_errors=True)


def latest_state(out: Path) -> Path | None:
    states = sorted((out / "state").glob("step-*")) if (out / "state").exists() else []
    return states[-1] if states else None


def _load_state(state: Path, model: Transformer, opt: torch.optim.Optimizer) -> dict:
    meta = json.loads((state / "trainer.json").read_text())
    weights = load_file(str(state / "model.safetensors"))
    model.load_state_dict(weights, strict=not model.cfg.tie_embeddings)
    flat = load_file(str(state / "optimizer.safetensors"))
    opt_state: dict[int, dict] = {}
    for key, v in flat.items():
        pid, name = key.split(".", 1)
        opt_state.setdefault(int(pid), {})[name] = v
    opt.load_state_dict({"state": opt_state, "param_groups": meta["param_groups"]})
    torch.set_rng_state(load_file(str(state / "rng.safetensors"))["torch"])
    return meta


def _truncate_metrics(path: Path, step: int) -> None:
    """After a resume from `step`, drop rows logged past it so the CSV has no duplicates."""
    if not path.exists():
        return
    with open(path) as f:
        rows = [r for r in csv.DictReader(f) if int(r["step"]) <= step]
    _write_metrics(path, rows)


def _write_metrics(path: Path, rows: list[dict]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, METRIC_FIELDS)
        w.writeheader()
        w.writerows(rows)
    os.replace(tmp, path)


def plot_metrics(csv_path: Path, png_path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with open(csv_path) as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return
    steps = [int(r["step"]) for r in rows]
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.8))
    a.plot(steps, [float(r["loss"]) for r in rows], lw=1)
    a.set(xlabel="step", ylabel="train loss (nats/token)", title=title)
    val = [(int(r["step"]), float(r["val_bpb"])) for r in rows if r["val_bpb"]]
    if val:
        b.plot(*zip(*val), marker="o")
    b.set(xlabel="step", ylabel="validation bits per byte", title="validation")
    for ax in (a, b):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    tmp = png_path.with_name(png_path.name + ".tmp.png")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    os.replace(tmp, png_path)


def train_loop(
    model: Transformer,
    cfg: TrainConfig,
    out: Path,
    micro_batch: Callable[[int, int, int, int], Batch],
    val: list[Batch],
    token_bytes: torch.Tensor,
    tokenizer,
    resume: bool,
    run_info: dict,
    title: str,
    progress: bool = True,
) -> dict:
    """Train `model` for cfg.max_steps optimizer steps; returns the final metrics row.

    `micro_batch(step, micro, rank, world)` gives this process's (inputs, targets).
    """
    rank, world = dist_env()
    device = torch.device(
        f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}" if torch.cuda.is_available() else "cpu"
    )
    model.to(device).train()
    token_bytes = token_bytes.to(device)
    opt = make_optimizer(model, cfg)
    out.mkdir(parents=True, exist_ok=True)
    metrics_path = out / "metrics.csv"
    start = 0
    state = latest_state(out) if resume else None
    if resume and state is None and rank == 0:
        print(f"note: --resume given but {out} has no saved state; starting from step 0")
    if state is not None:
        start = _load_state(state, model, opt)["step"]
        if rank == 0:
            print(f"resuming from {state} (step {start})")
            _truncate_metrics(metrics_path, start)
    elif rank == 0:
        _write_metrics(metrics_path, [])
        write_text(out / "run.json", json.dumps({**run_info, "train": asdict(cfg)}, indent=2))
    ddp = (
        torch.nn.parallel.DistributedDataParallel(model, find_unused_parameters=model.cfg.is_moe)
        if world > 1
        else model
    )
    tokens_per_step = cfg.micro_batch * cfg.grad_accum * world * cfg.seq_len
    last: dict = {}
    bar = tqdm(
        total=cfg.max_steps, initial=start, disable=rank != 0 or not progress, unit="step", dynamic_ncols=True
    )
    t0, elapsed = time.perf_counter(), 0.0
    rows_since_flush: list[dict] = []
    try:  # the bar is closed on an error too, so the error's line is not glued to it
        for step in range(start, cfg.max_steps):
            lr = lr_at(step, cfg)
            for g in opt.param_groups:
                g["lr"] = lr
            ts = time.perf_counter()
            loss_sum = torch.zeros((), device=device)
            ntok = 0
            for micro in range(cfg.grad_accum):
                x, y = micro_batch(step, micro, rank, world)
                x, y = x.to(device), y.to(device)
                ntok += int((y >= 0).sum())
                # DDP all-reduces on every backward unless told not to; only the last micro-step needs it.
                sync = micro == cfg.grad_accum - 1
                with (
                    ddp.no_sync() if world > 1 and not sync else nullcontext(),
                    autocast_ctx(device, cfg.dtype),
                ):
                    logits = ddp(x)
                    loss = F.cross_entropy(logits.float().flatten(0, 1), y.flatten(), ignore_index=-100)
                    # Each backward() sums gradients, so divide here to get the mean over micro-batches.
                    (loss / cfg.grad_accum + model.aux_loss() / cfg.grad_accum).backward()
                loss_sum += loss.detach()
            grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            opt.step()
            opt.zero_grad(set_to_none=True)
            loss_avg = loss_sum / cfg.grad_accum
            if world > 1:
                dist.all_reduce(loss_avg, op=dist.ReduceOp.AVG)
            dt = time.perf_counter() - ts
            elapsed += dt
            done = step + 1
            row = {
                "step": done,
                "tokens": done * tokens_per_step,
                "loss": f"{float(loss_avg):.5f}",
                "lr": f"{lr:.3e}",
                "grad_norm": f"{float(grad_norm):.4f}",
                "tok_per_s": f"{ntok * world / dt:.0f}",
                "val_bpb": "",
                "elapsed_s": f"{time.perf_counter() - t0:.1f}",
            }
            if done % cfg.eval_every == 0 or done == cfg.max_steps:
                row["val_bpb"] = f"{bits_per_byte(model, val, token_bytes, device, cfg.dtype):.4f}"
            last = row
            if rank == 0:
                bar.update(1)
                bar.set_postfix(
                    loss=row["loss"],
                    tok_s=row["tok_per_s"],
                    **({"val_bpb": row["val_bpb"]} if row["val_bpb"] else {}),
                )
                rows_since_flush.append(row)
            if done % cfg.save_every == 0 or done == cfg.max_steps:
                if rank == 0:
                    with open(metrics_path, "a", newline="") as f:
                        csv.DictWriter(f, METRIC_FIELDS).writerows(rows_since_flush)
                    rows_since_flush = []
                    save_checkpoint(model, out, tokenizer, metadata={"step": str(done)})
                    _save_state(
                        out, done, model, opt, {"finished": done == cfg.max_steps, "max_steps": cfg.max_steps}
                    )
                    plot_metrics(metrics_path, out / "loss.png", title)
                if world > 1:
                    dist.barrier()
    finally:
        bar.close()
    if world > 1:
        dist.barrier()
    return last


def is_finished(out: Path) -> bool:
    """True when a run in `out` reached its max_steps (the demo reuses such a run)."""
    state = latest_state(out)
    return state is not None and json.loads((state / "trainer.json").read_text()).get("finished", False)
