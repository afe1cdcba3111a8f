"""The CLI as a user runs it: output shapes, one-line errors, the demo."""

import json
import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from conftest import run_cli
from mynah.engine import SamplingParams
from mynah.generate import TextGenerator
from serve_helpers import free_port


def assert_one_line_error(proc, *fragments):
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "error:" in lines[0], proc.stderr
    for f in fragments:
        assert f in lines[0]


def test_bad_data_files(tmp_path):
    assert_one_line_error(
        run_cli("train", "--data", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "o")),
        "nope.jsonl",
        "not found",
    )
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    assert_one_line_error(
        run_cli("train", "--data", str(empty), "--out", str(tmp_path / "o")), "empty.jsonl", "empty"
    )
    assert_one_line_error(
        run_cli("sft", "--model", str(tmp_path), "--data", str(empty), "--out", str(tmp_path / "o"))
    )


def test_bad_checkpoints(trained, tmp_path):
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "config.json").write_text((trained / "config.json").read_text())
    assert_one_line_error(run_cli("generate", "--model", str(bare), "hello"), "no model.safetensors")
    other = tmp_path / "other"
    other.mkdir()
    cfg = json.loads((trained / "config.json").read_text())
    cfg["model_type"] = "gpt_neox"
    (other / "config.json").write_text(json.dumps(cfg))
    (other / "model.safetensors").write_bytes((trained / "model.safetensors").read_bytes())
    assert_one_line_error(run_cli("generate", "--model", str(other), "hello"), "gpt_neox", "not supported")


def test_prompt_longer_than_context(trained):
    proc = run_cli("generate", "--model", str(trained), "word " * 400)
    assert_one_line_error(proc, "does not fit the context of 256")


def test_generate_prints_only_the_continuation(trained):
    proc = run_cli(
        "generate",
        "--model",
        str(trained),
        "--temperature",
        "0",
        "--max-tokens",
        "12",
        "Honestly the new album",
    )
    assert proc.returncode == 0, proc.stderr
    expected = "".join(
        TextGenerator.from_dir(trained).complete(
            "Honestly the new album", SamplingParams(max_tokens=12, temperature=0)
        )
    )
    assert proc.stdout == expected + "\n"
    assert not proc.stdout.startswith("Honestly the new album")


def test_chat_reads_turns_from_a_pipe(trained):
    proc = run_cli(
        "chat",
        "--model",
        str(trained),
        "--max-tokens",
        "6",
        "--seed",
        "1",
        input="hello there\n/reset\nwhat about #coffee?\n",
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("mynah> ") == 2 and "(conversation cleared)" in proc.stdout


def test_sample_command(tmp_path):
    proc = run_cli("sample", "--out", str(tmp_path), "--posts", "120", "--seed", "4")
    assert proc.returncode == 0 and "wrote 120 posts" in proc.stdout
    assert len((tmp_path / "posts.jsonl").read_text().splitlines()) == 120


@pytest.mark.slow
def test_demo_runs_then_reuses_its_runs(tmp_path):
    args = ["demo", "--out", str(tmp_path), "--posts", "400", "--train-steps", "4", "--sft-steps", "2"]
    first = run_cli(*args, "--chat", input="what are people saying about coffee?\n", timeout=600)
    assert first.returncode == 0, first.stderr[-2000:]
    assert "mynah> " in first.stdout and (tmp_path / "tiny-chat" / "model.safetensors").exists()
    # the second run reuses everything and ends by serving: the page URL, a curl that works
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mynah.cli", *args, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        out = []
        deadline = time.time() + 120
        while time.time() < deadline and not any("curl " in line for line in out):
            out.append(proc.stdout.readline())
        text = "".join(out)
        assert "reusing finished pretraining run" in text and "reusing finished chat tuning run" in text
        assert f"http://127.0.0.1:{port}/" in text
        curl = next(line for line in out if "curl " in line).split("try it:", 1)[1].strip()
        for _ in range(200):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        r = subprocess.run(curl, shell=True, capture_output=True, text=True, timeout=60)
        assert json.loads(r.stdout)["object"] == "chat.completion", r.stdout + r.stderr
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
