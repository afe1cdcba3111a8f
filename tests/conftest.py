"""Shared fixtures: a small sample network and a tiny model trained on it, built once per session.

Everything is made here from a seed; nothing is downloaded.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# Fast settings for tests: short sequences, small batches, a handful of steps.
FAST = {"micro_batch": 4, "seq_len": 64, "eval_every": 10, "save_every": 10}


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory) -> Path:
    from mynah.sample import write_network

    out = tmp_path_factory.mktemp("sample")
    write_network(out, n_posts=800, seed=3)
    return out


@pytest.fixture(scope="session")
def trained(sample_dir, tmp_path_factory) -> Path:
    """A tiny pretrained checkpoint folder (HF layout)."""
    from mynah.train.pretrain import pretrain

    out = tmp_path_factory.mktemp("tiny")
    pretrain("tiny", sample_dir / "posts.jsonl", out, max_steps=30, progress=False, **FAST)
    return out


@pytest.fixture(scope="session")
def talker(sample_dir, tmp_path_factory) -> Path:
    """A tiny model trained long enough (~30 s) to write words under greedy decoding, for
    the server's tests; `trained` (30 steps) mostly emits end-of-text at once."""
    from mynah.train.pretrain import pretrain

    out = tmp_path_factory.mktemp("talker")
    pretrain(
        "tiny",
        sample_dir / "posts.jsonl",
        out,
        max_steps=120,
        progress=False,
        micro_batch=8,
        seq_len=128,
        eval_every=60,
        save_every=60,
    )
    return out


def run_cli(
    *args: str, timeout: float = 300, env: dict | None = None, input: str | None = None
) -> subprocess.CompletedProcess:
    """Run `mynah ...` as a user would, in a fresh process."""
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "mynah.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
        input=input,
    )
