"""Named recipes: a model config and the training settings that go with it.

A recipe is a plain function returning dataclasses (torchtitan's way); edit one, or add
one, in Python. `mynah train --recipe NAME` looks them up in `RECIPES`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mynah.model import ModelConfig


@dataclass
class TrainConfig:
    max_steps: int = 1000
    micro_batch: int = 16  # sequences per forward, per process
    grad_accum: int = 1  # micro-batches per optimizer step, per process
    seq_len: int = 256
    lr: float = 3e-3
    min_lr_frac: float = 0.1  # cosine decays to lr * min_lr_frac
    warmup_steps: int = 50
    weight_decay: float = 0.1
    betas: tuple[float, float] = (0.9, 0.95)
    grad_clip: float = 1.0
    eval_every: int = 100
    eval_tokens: int = 65536  # validation tokens scored per evaluation
    save_every: int = 200
    seed: int = 1337
    dtype: str = "auto"  # "auto": bf16 autocast on a CUDA GPU that has it, else fp32

    def global_batch(self, world: int) -> int:
        return self.micro_batch * self.grad_accum * world


@dataclass
class Recipe:
    name: str
    model: ModelConfig
    train: TrainConfig
    sft: TrainConfig = field(default_factory=TrainConfig)


def tiny() -> Recipe:
    """About 2.5M parameters; learns the sample network in a few minutes on 2 CPU cores."""
    model = ModelConfig(
        vocab_size=4096, dim=192, n_layers=4, n_heads=6, n_kv_heads=2, ffn_dim=512, max_seq_len=256
    )
    train = TrainConfig(
        max_steps=250, micro_batch=16, seq_len=256, lr=4e-3, warmup_steps=25, eval_every=50, save_every=50
    )
    sft = TrainConfig(
        max_steps=150, micro_batch=16, seq_len=256, lr=1e-3, warmup_steps=10, eval_every=50, save_every=50
    )
    return Recipe("tiny", model, train, sft)


def small() -> Recipe:
    """About 100M parameters (12 x 768, GQA 12/4, 32k vocabulary): a GPU model."""
    model = ModelConfig(
        vocab_size=32768, dim=768, n_layers=12, n_heads=12, n_kv_heads=4, ffn_dim=2048, max_seq_len=1024
    )
    train = TrainConfig(
        max_steps=5000,
        micro_batch=16,
        grad_accum=4,
        seq_len=1024,
        lr=6e-4,
        warmup_steps=200,
        eval_every=250,
        save_every=500,
    )
    sft = TrainConfig(
        max_steps=500, micro_batch=16, seq_len=1024, lr=1e-4, warmup_steps=20, eval_every=100, save_every=250
    )
    return Recipe("small", model, train, sft)


def demo() -> Recipe:
    """`tiny` with a 512-token context, for `mynah demo`: a grounded prompt needs room for
    its posts as well as the question and the answer (256 tokens held about one post).
    Same tokens per step as tiny (8 x 512 = 16 x 256), so a step costs about the same."""
    r = tiny()
    r.name = "demo"
    r.model.max_seq_len = 512
    r.train.seq_len, r.train.micro_batch = 512, 8
    r.sft.seq_len, r.sft.micro_batch = 512, 8
    # Grounded chat tuning (train/grounded.py) needs more steps than tiny's 150 to learn to
    # read the block (at 1.5e-3 or 2e-3 it learns to say "no posts" too readily: measured
    # in docs/BENCHMARKS.md). With the writing tools' four tasks beside it (train/social.py),
    # 290 steps left drafts that mixed in reply and citation habits; 500 write them as
    # posts (docs/BENCHMARKS.md, issue 15), about 2 minutes more on 2 cores.
    r.sft.max_steps, r.sft.eval_every, r.sft.save_every = 500, 100, 100
    r.train.eval_every, r.train.save_every = 125, 125  # fewer pauses: the demo's clock
    return r


def moe_tiny() -> Recipe:
    """The tiny recipe with a Mixtral/Grok-1 style FFN: 4 experts, top-2 routing."""
    r = tiny()
    r.name = "moe-tiny"
    r.model.ffn_dim, r.model.n_experts, r.model.experts_per_token = 256, 4, 2
    return r


RECIPES = {"tiny": tiny, "demo": demo, "small": small, "moe-tiny": moe_tiny}


def get_recipe(name: str) -> Recipe:
    if name not in RECIPES:
        raise ValueError(f"unknown recipe {name!r}; choose one of: {', '.join(RECIPES)}")
    return RECIPES[name]()
