import csv
import math
import os
import signal
import subprocess
import sys
import time

import pytest
import torch
from safetensors.torch import load_file

from conftest import FAST, run_cli
from mynah.checkpoint import load_model
from mynah.tokenizer import Tokenizer
from mynah.train.loop import is_finished
from mynah.train.sft import collate, load_conversations, sft


def metrics(run):
    with open(run / "metrics.csv") as f:
        return list(csv.DictReader(f))


def fast_args(corpus, out, steps, **extra):
    args = [
        "train",
        "--recipe",
        "tiny",
        "--data",
        str(corpus),
        "--out",
        str(out),
        "--max-steps",
        str(steps),
        "--micro-batch",
        str(FAST["micro_batch"]),
        "--seq-len",
        str(FAST["seq_len"]),
        "--save-every",
        "10",
        "--eval-every",
        "10",
    ]
    for k, v in extra.items():
        args += [f"--{k.replace('_', '-')}", str(v)]
    return args


def test_pretrain_run_folder(trained):
    rows = metrics(trained)
    assert [int(r["step"]) for r in rows] == list(range(1, 31))
    assert float(rows[-1]["loss"]) < float(rows[0]["loss"]) - 1.0
    assert all(float(r["val_bpb"]) > 0 for r in rows if int(r["step"]) % 10 == 0)
    assert (trained / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert is_finished(trained)
    for name in (
        "config.json",
        "model.safetensors",
        "generation_config.json",
        "tokenizer.json",
        "tokenizer_config.json",
    ):
        assert (trained / name).exists()
    transformers = pytest.importorskip("transformers")
    hf = transformers.AutoModelForCausalLM.from_pretrained(trained).eval()
    ours = load_model(trained)
    x = torch.tensor([Tokenizer.load(trained).encode_doc("the derby was a mess")])
    with torch.no_grad():
        torch.testing.assert_close(ours(x), hf(x).logits, rtol=1e-4, atol=1e-4)


@pytest.mark.slow
def test_killed_run_resumes_exactly(trained, tmp_path):
    corpus = trained / "corpus"
    straight = tmp_path / "straight"
    assert run_cli(*fast_args(corpus, straight, 60)).returncode == 0
    killed = tmp_path / "killed"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "mynah.cli", *fast_args(corpus, killed, 60)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 120
    while not (killed / "state" / "step-000020").exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    saved = sorted(p.name for p in (killed / "state").glob("step-*"))
    assert saved and saved[-1] < "step-000060", "the run finished before it could be killed"
    resumed = run_cli(*fast_args(corpus, killed, 60), "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming from" in resumed.stdout
    a, b = load_file(straight / "model.safetensors"), load_file(killed / "model.safetensors")
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=0, atol=0)
    ra, rb = metrics(straight), metrics(killed)
    assert [r["step"] for r in rb] == [str(i) for i in range(1, 61)]  # no duplicated or missing rows
    assert [r["loss"] for r in ra] == [r["loss"] for r in rb]


@pytest.mark.slow
def test_two_gloo_processes_match_one_at_same_global_batch(trained, tmp_path):
    corpus = trained / "corpus"
    env = {"OMP_NUM_THREADS": "1"}
    one = run_cli(*fast_args(corpus, tmp_path / "one", 8, grad_accum=2), env=env)
    assert one.returncode == 0, one.stderr
    torchrun = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        "-m",
        "mynah.cli",
    ]
    two = subprocess.run(
        [*torchrun, *fast_args(corpus, tmp_path / "two", 8, grad_accum=1)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **env},
    )
    assert two.returncode == 0, two.stderr[-2000:]
    l1 = [float(r["loss"]) for r in metrics(tmp_path / "one")]
    l2 = [float(r["loss"]) for r in metrics(tmp_path / "two")]
    assert len(l1) == len(l2) == 8
    torch.testing.assert_close(torch.tensor(l2), torch.tensor(l1), rtol=1e-4, atol=1e-4)
    a, b = (
        load_file(tmp_path / "one" / "model.safetensors"),
        load_file(tmp_path / "two" / "model.safetensors"),
    )
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-3, atol=1e-4)


def test_sft_scores_only_assistant_tokens(trained, sample_dir):
    tok = Tokenizer.load(trained)
    convs = load_conversations(sample_dir / "conversations.jsonl", tok, seq_len=256)
    x, y = collate(convs[:4], tok.pad_id)
    for row, (ids, mask) in enumerate(convs[:4]):
        scored = [int(t) for t in y[row] if t >= 0]
        assert scored == [t for t, m in zip(ids[1:], mask[1:]) if m]
        assert tok.decode(scored, skip_special=False).endswith("<|im_end|>")
        assert "<|im_start|>" not in tok.decode(scored, skip_special=False)


def test_sft_run_lowers_assistant_loss(trained, sample_dir, tmp_path):
    last = sft(
        trained,
        sample_dir / "conversations.jsonl",
        tmp_path,
        max_steps=20,
        progress=False,
        micro_batch=4,
        eval_every=10,
        save_every=10,
    )
    rows = metrics(tmp_path)
    assert float(last["loss"]) < float(rows[0]["loss"])
    base, tuned = load_model(trained).eval(), load_model(tmp_path)
    assert tuned.cfg == base.cfg
    # sft tunes the --model checkpoint, not a fresh model of its shape. Step 0's loss is the
    # base model's own: a fresh one scores ~ln(vocab) (8.3 here), the 30-step base ~7.4 on
    # these conversations' assistant tokens, so step 0 sits nearer the base than uniform.
    tok = Tokenizer.load(trained)
    convs = load_conversations(sample_dir / "conversations.jsonl", tok, seq_len=256)
    x, y = collate(convs, tok.pad_id)
    with torch.no_grad():
        base_loss = float(torch.nn.functional.cross_entropy(base(x).flatten(0, 1), y.flatten()))
    uniform = math.log(base.cfg.vocab_size)
    assert base_loss < uniform - 0.5
    assert float(rows[0]["loss"]) < (base_loss + uniform) / 2, (rows[0]["loss"], base_loss, uniform)
    # ... and 20 small steps leave every weight matrix near the base's (a fresh init is
    # independent of it: a relative distance of 1 or more).
    theirs = dict(base.named_parameters())
    with torch.no_grad():
        for name, p in tuned.named_parameters():
            if p.dim() == 2:
                dist = float((p - theirs[name]).norm() / theirs[name].norm())
                assert dist < 0.6, (name, dist)


def test_moe_recipe_trains_and_exports_as_mixtral(trained, tmp_path):
    from mynah.train.pretrain import pretrain

    pretrain("moe-tiny", trained / "corpus", tmp_path, max_steps=6, progress=False, **FAST)
    transformers = pytest.importorskip("transformers")
    hf = transformers.AutoModelForCausalLM.from_pretrained(tmp_path).eval()
    assert type(hf).__name__ == "MixtralForCausalLM"
    x = torch.randint(0, 1000, (1, 16))
    with torch.no_grad():
        torch.testing.assert_close(load_model(tmp_path)(x), hf(x).logits, rtol=1e-4, atol=1e-4)


def test_sft_batches_group_like_lengths_and_still_see_every_item_once_an_epoch():
    import numpy as np

    from mynah.train.data import EpochOrder, LengthGrouped

    rng = np.random.default_rng(0)
    lengths = [int(x) for x in rng.choice([40, 60, 400, 480], size=500)]  # short replies, long blocks
    grouped, plain = LengthGrouped(lengths, seed=1, group=8), EpochOrder(len(lengths), 1)
    for epoch in (0, 1):
        assert sorted(grouped[epoch * 500 + i] for i in range(500)) == list(range(500))

    def padded(order) -> int:  # tokens computed: each batch padded to its longest
        return sum(max(lengths[order[g]] for g in range(b, b + 8)) * 8 for b in range(0, 496, 8))

    assert padded(grouped) < 0.75 * padded(plain)
    assert [grouped[i] for i in range(16)] != sorted(grouped[i] for i in range(16))  # still shuffled
