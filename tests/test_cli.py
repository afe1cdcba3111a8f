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


def test_generate_prints_only_the_continuation(talker):
    proc = run_cli(
        "generate",
        "--model",
        str(talker),
        "--temperature",
        "0",
        "--max-tokens",
        "12",
        "Honestly the new album",
    )
    assert proc.returncode == 0, proc.stderr
    gen = TextGenerator.from_dir(talker)
    expected = "".join(gen.complete("Honestly the new album", SamplingParams(max_tokens=12, temperature=0)))
    assert expected.strip() and proc.stdout == expected + "\n"
    assert not proc.stdout.startswith("Honestly the new album")


def test_chat_reads_turns_from_a_pipe(talker):
    turns = ["any news today?", "/reset", "Quick thought:", "hi"]
    proc = run_cli(
        "chat",
        "--model",
        str(talker),
        "--system",
        "",
        "--temperature",
        "0",
        "--max-tokens",
        "12",
        input="\n".join(turns) + "\n",
    )
    assert proc.returncode == 0, proc.stderr
    gen = TextGenerator.from_dir(talker, max_batch=1)
    greedy = SamplingParams(max_tokens=12, temperature=0)

    def reply(*history: tuple[str, str]) -> str:
        return "".join(gen.chat([{"role": r, "content": c} for r, c in history], greedy))

    first = reply(("user", turns[0]))
    second = reply(("user", turns[2]))  # /reset forgot the first exchange
    third = reply(("user", turns[2]), ("assistant", second), ("user", turns[3]))  # remembers the second
    assert first.strip() and second.strip()
    assert proc.stdout == f"mynah> {first}\n(conversation cleared)\nmynah> {second}\nmynah> {third}\n"
    # Each reply differs from what the other history would give: the output above shows that
    # /reset dropped the first exchange and that without it the chat kept the history.
    assert second != reply(("user", turns[0]), ("assistant", first), ("user", turns[2]))
    assert third != reply(("user", turns[3]))


def test_generate_sampling_flags(talker, capsys):
    """The README's sampling options of `mynah generate`, each against the engine. The CLI
    runs in this process (its `main`, as the `mynah` script calls it) except one seeded run
    in a fresh process, to show a seed repeats across processes."""
    from mynah.cli import main

    prompt = "The new album"
    gen = TextGenerator.from_dir(talker, max_batch=1)
    ((greedy_ids, _),) = gen.engine.generate_all(
        [gen.tok.encode_doc(prompt)],
        SamplingParams(max_tokens=24, temperature=0, stop_token_ids=gen.tok.stop_ids),
    )
    greedy = gen.tok.decode(greedy_ids)
    words = greedy.split()
    assert len(greedy_ids) > 6 and len(words) >= 3, greedy
    stop = " " + words[1]

    def sampled(seed: int) -> str:  # what the CLI samples with: the flags given, its default top-p
        params = SamplingParams(max_tokens=24, temperature=1.0, top_p=0.95, seed=seed)
        return "".join(gen.complete(prompt, params))

    def cli(*flags: str) -> str:
        assert main(["generate", "--model", str(talker), "--max-tokens", "24", *flags, prompt]) == 0
        out = capsys.readouterr().out
        assert out.endswith("\n")
        return out[:-1]

    assert cli("--temperature", "0") == greedy  # 0 is the engine's greedy
    seeded = cli("--temperature", "1.0", "--seed", "5")
    assert seeded == cli("--temperature", "1.0", "--seed", "5") == sampled(5)
    assert cli("--temperature", "1.0", "--seed", "6") == sampled(6) != seeded
    fresh = run_cli(
        "generate",
        "--model",
        str(talker),
        "--max-tokens",
        "24",
        "--temperature",
        "1.0",
        "--seed",
        "5",
        prompt,
    )
    assert fresh.returncode == 0 and fresh.stdout == seeded + "\n", fresh.stderr
    assert cli("--temperature", "1.0", "--top-k", "1") == greedy  # one candidate: greedy
    cut = cli("--temperature", "0", "--stop", stop)
    assert cut == greedy[: greedy.index(stop)] and stop not in cut
    short = cli("--temperature", "0", "--max-tokens", "4")  # the last --max-tokens wins
    assert short == gen.tok.decode(greedy_ids[:4]) and len(short) < len(greedy)


def test_sample_command(tmp_path):
    proc = run_cli("sample", "--out", str(tmp_path), "--posts", "120", "--seed", "4")
    assert proc.returncode == 0 and "wrote 120 posts" in proc.stdout
    assert len((tmp_path / "posts.jsonl").read_text().splitlines()) == 120


@pytest.mark.slow
def test_demo_runs_then_reuses_its_runs(tmp_path):
    args = ["demo", "--out", str(tmp_path), "--posts", "400", "--train-steps", "4", "--sft-steps", "2"]
    args += ["--grounded", "40", "--social", "100"]  # (the default 1,000 writing-tool ones take 16 s)
    first = run_cli(*args, "--chat", input="what are people saying about coffee?\n", timeout=600)
    assert first.returncode == 0, first.stderr[-2000:]
    assert "mynah> " in first.stdout and (tmp_path / "tiny-chat" / "model.safetensors").exists()
    # chat tuning saw grounded conversations, built over a store of the sample's posts
    convs = [json.loads(line) for line in (tmp_path / "sft.jsonl").read_text().splitlines()]
    grounded = [c for c in convs if any("<posts>" in m["content"] for m in c["messages"])]
    assert len(grounded) >= 20 and len(convs) > len(grounded)  # and the reply/support ones
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
