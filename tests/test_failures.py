"""What real deployments feed mynah: cut or corrupt compressed exports, two builds into one
folder, a wrong model path, an --out that is a file, a full or read-only disk, an
over-long chat-tuning conversation. Each gets a sentence and a non-zero exit, or a warning
and every whole line kept; never a traceback, and never a half-written output.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

import pytest
import zstandard

from conftest import run_cli
from mynah.corpus.readers import Malformed, read_file

WORDS = [
    "harbour",
    "ferry",
    "coffee",
    "rain",
    "market",
    "train",
    "festival",
    "music",
    "bridge",
    "storm",
    "council",
    "school",
    "park",
    "river",
]


def jsonl_lines(n: int, seed: int = 0, prefix: str = "p") -> list[bytes]:
    """n distinct mynah-JSONL posts (random words, so no two are near-duplicates)."""
    rng = random.Random(seed)
    return [
        (
            json.dumps(
                {
                    "id": f"{prefix}{i}",
                    "text": " ".join(rng.choice(WORDS) for _ in range(14)) + f" {prefix}{i}",
                }
            )
            + "\n"
        ).encode()
        for i in range(n)
    ]


def gzip_cut_after(lines: list[bytes], k: int) -> bytes:
    """A real gzip stream of `lines`, cut a few bytes after the point where exactly the first
    k lines can be decoded: those k lines are flushed to a byte boundary (Z_FULL_FLUSH), and
    3 bytes of the next deflate block's header cannot produce another whole line."""
    c = zlib.compressobj(6, zlib.DEFLATED, 31)
    head = c.compress(b"".join(lines[:k])) + c.flush(zlib.Z_FULL_FLUSH)
    rest = c.compress(b"".join(lines[k:])) + c.flush()
    return head + rest[:3]


def zstd_cut_after(lines: list[bytes], k: int) -> bytes:
    """A real one-frame zstd stream of `lines`, cut 3 bytes into the block after the first k
    lines (zstd emits whole blocks, so exactly k lines can be decoded)."""
    c = zstandard.ZstdCompressor().compressobj()
    head = c.compress(b"".join(lines[:k])) + c.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK)
    rest = c.compress(b"".join(lines[k:])) + c.flush()
    return head + rest[:3]


def whole_gzip(data: bytes) -> bytes:
    c = zlib.compressobj(6, zlib.DEFLATED, 31)
    return c.compress(data) + c.flush()


def split(recs) -> tuple[list, list]:
    recs = list(recs)
    posts = [r for r in recs if not isinstance(r, Malformed)]
    return posts, [r for r in recs if isinstance(r, Malformed)]


# ---- truncated and corrupt compressed exports: the readers -----------------------------


@pytest.mark.parametrize("kind", ["gz", "zst"])
def test_a_cut_compressed_export_keeps_every_whole_line_before_the_cut(tmp_path, kind):
    lines = jsonl_lines(3000)
    k = 1234
    path = tmp_path / f"export.jsonl.{kind}"
    path.write_bytes(gzip_cut_after(lines, k) if kind == "gz" else zstd_cut_after(lines, k))
    posts, bad = split(read_file(path))
    assert [p.id for p in posts] == [f"p{i}" for i in range(k)]
    assert [(b.source, b.reason, b.kind) for b in bad] == [
        (f"{path}:{k}", "compressed stream ends early", "truncated")
    ]


def test_whole_multi_member_and_multi_frame_files_read_whole(tmp_path):
    # pigz/pzstd and `cat a.gz b.gz` make several members or frames: all of them are data.
    a, b = jsonl_lines(700, 1, "a"), jsonl_lines(500, 2, "b")
    (tmp_path / "x.jsonl.gz").write_bytes(whole_gzip(b"".join(a)) + whole_gzip(b"".join(b)))
    z = zstandard.ZstdCompressor()
    (tmp_path / "x.jsonl.zst").write_bytes(z.compress(b"".join(a)) + z.compress(b"".join(b)))
    for name in ("x.jsonl.gz", "x.jsonl.zst"):
        posts, bad = split(read_file(tmp_path / name))
        assert len(posts) == 1200 and not bad, name
    # A last line without a newline is whole when the stream ends properly.
    (tmp_path / "y.jsonl.gz").write_bytes(whole_gzip(b"".join(a).rstrip(b"\n")))
    posts, bad = split(read_file(tmp_path / "y.jsonl.gz"))
    assert len(posts) == 700 and not bad


def test_a_gzip_missing_only_its_trailer_keeps_all_lines_but_is_reported(tmp_path):
    lines = jsonl_lines(400)
    path = tmp_path / "t.jsonl.gz"
    path.write_bytes(whole_gzip(b"".join(lines))[:-4])  # CRC kept, size field lost
    posts, bad = split(read_file(path))
    assert len(posts) == 400
    assert [(b.source, b.reason) for b in bad] == [(f"{path}:400", "compressed stream ends early")]


def test_corrupt_gzip_header_and_bad_zstd_frame_are_one_reject_each(tmp_path):
    lines = b"".join(jsonl_lines(50))
    (tmp_path / "h.jsonl.gz").write_bytes(b"PK\x03\x04 not gzip at all" + lines)
    frame = bytearray(zstandard.ZstdCompressor().compress(lines))
    frame[0] ^= 0xFF  # the magic number
    (tmp_path / "f.jsonl.zst").write_bytes(bytes(frame))
    for name in ("h.jsonl.gz", "f.jsonl.zst"):
        posts, bad = split(read_file(tmp_path / name))
        assert posts == [], name
        assert len(bad) == 1 and bad[0].kind == "truncated", name
        assert bad[0].source == f"{tmp_path / name}:1"
        assert bad[0].reason.startswith("compressed stream is corrupt"), bad[0].reason


@pytest.mark.parametrize("kind", ["gz", "zst"])
def test_a_bad_frame_after_a_good_one_keeps_the_good_frames_lines(tmp_path, kind):
    # Both frames (gzip members) fall in one read, so the good one's end must survive the
    # bad one's error.
    pack = whole_gzip if kind == "gz" else zstandard.ZstdCompressor().compress
    good, later = jsonl_lines(8000, 1, "g"), jsonl_lines(3000, 2, "l")
    bad = bytearray(pack(b"".join(later)))
    bad[0 if kind == "zst" else 2] ^= 0xFF  # zstd's magic number; gzip's method byte
    path = tmp_path / f"two.jsonl.{kind}"
    path.write_bytes(pack(b"".join(good)) + bytes(bad))
    posts, rejects = split(read_file(path))
    assert [p.id for p in posts] == [f"g{i}" for i in range(8000)]
    assert [(r.source, r.kind) for r in rejects] == [(f"{path}:8000", "truncated")]
    assert rejects[0].reason.startswith("compressed stream is corrupt")


def test_a_cut_compressed_csv_keeps_its_whole_rows(tmp_path):
    rows = [b"id,text\n"] + [f"{i},post number {i} about the ferry\n".encode() for i in range(500)]
    path = tmp_path / "t.csv.gz"
    path.write_bytes(gzip_cut_after(rows, 301))  # the header and 300 rows
    posts, bad = split(read_file(path))
    assert [p.id for p in posts] == [str(i) for i in range(300)]
    assert [b.source for b in bad] == [f"{path}:301"]


# ---- truncated exports through the commands ------------------------------------------------


def test_corpus_build_goes_on_past_a_cut_export_and_reports_it(tmp_path):
    cut, good = tmp_path / "in" / "cut.jsonl.gz", tmp_path / "in" / "good.jsonl.zst"
    cut.parent.mkdir()
    k = 777
    cut.write_bytes(gzip_cut_after(jsonl_lines(2000, 1, "c"), k))
    good.write_bytes(zstandard.ZstdCompressor().compress(b"".join(jsonl_lines(900, 2, "g"))))
    (tmp_path / "in" / "bad.jsonl.gz").write_bytes(b"\x1f\x8b\x07" + b"not deflate" * 9)  # bad method byte
    out = tmp_path / "corpus"
    r = run_cli("corpus", "build", str(tmp_path / "in"), "--out", str(out), "--no-near-dedup")
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    assert f"warning: {cut}: compressed stream ends early; kept the {k} posts before it" in r.stderr
    assert f"{tmp_path / 'in' / 'bad.jsonl.gz'}: compressed stream is corrupt" in r.stderr
    report = json.loads((out / "report.json").read_text())
    files = {Path(f["file"]).name: f for f in report["files"]}
    assert files["cut.jsonl.gz"]["read"] == k
    assert files["cut.jsonl.gz"]["truncated"] == "compressed stream ends early"
    assert files["good.jsonl.zst"] == {"file": str(good), "read": 900, "malformed": 0, "truncated": None}
    assert files["bad.jsonl.gz"]["read"] == 0 and files["bad.jsonl.gz"]["truncated"]
    assert sorted(Path(f).name for f in report["truncated_files"]) == ["bad.jsonl.gz", "cut.jsonl.gz"]
    assert report["read"] == k + 900 and report["malformed"] == 0
    rejects = [json.loads(line) for line in (out / "rejects.jsonl").read_text().splitlines()]
    assert {"source": f"{cut}:{k}", "reason": "compressed stream ends early", "raw": ""} in rejects
    assert len(rejects) == 2
    assert "truncated:" in (out / "report.md").read_text()


def test_posts_ingest_stores_every_whole_line_of_a_cut_export(tmp_path):
    k = 321
    cut = tmp_path / "cut.jsonl.zst"
    cut.write_bytes(zstd_cut_after(jsonl_lines(1000), k))
    db = tmp_path / "posts.db"
    r = run_cli("posts", "ingest", str(cut), "--db", str(db), "--no-embed")
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    assert f"warning: {cut}:{k}: compressed stream ends early" in r.stderr
    assert f"{k} created" in r.stdout and "1 truncated files" in r.stdout
    import sqlite3

    with contextlib.closing(sqlite3.connect(db)) as c:
        assert c.execute("SELECT count(*) FROM posts").fetchone()[0] == k
    # Only damage and nothing else: nothing usable is an error, exit 2.
    bad = tmp_path / "bad.jsonl.gz"
    bad.write_bytes(b"not gzip")
    r = run_cli("posts", "ingest", str(bad), "--db", str(tmp_path / "other.db"), "--no-embed")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "nothing usable was read" in r.stderr


def test_a_lone_surrogate_in_a_json_line_is_one_malformed_line(tmp_path):
    """ "\\ud800" is valid JSON but no character (SQLite and Parquet cannot store it): that
    line is named and skipped, the rest are stored; an escaped emoji pair is text."""
    f = tmp_path / "posts.jsonl"
    f.write_text(
        '{"id": "1", "author": "a", "created_at": "2026-01-01T00:00:00Z", "text": "ferry \\ud800 late"}\n'
        '{"id": "2", "author": "a", "created_at": "2026-01-01T00:00:00Z", "text": "ferry \\ud83d\\ude00 on time"}\n'
    )
    db = tmp_path / "posts.db"
    r = run_cli("posts", "ingest", str(f), "--db", str(db), "--no-embed")
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert f"{f}:1: line escapes a lone surrogate" in r.stderr
    assert "1 created" in r.stdout and "1 malformed" in r.stdout
    import sqlite3

    with contextlib.closing(sqlite3.connect(db)) as c:
        assert c.execute("SELECT text FROM posts").fetchall() == [("ferry \U0001f600 on time",)]


# ---- one build per folder --------------------------------------------------------------------


def _wait_for_lock(out: Path, pid: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lock = out / ".lock"
        if lock.exists() and lock.read_text().strip() == str(pid):
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    raise AssertionError(f"{out}/.lock never named pid {pid}")


def _build_cmd(inputs: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "mynah.cli", "corpus", "build", str(inputs), "--out", str(out), *extra]


@pytest.mark.slow
def test_a_second_build_into_the_same_folder_is_refused_and_the_first_finishes(tmp_path):
    src = tmp_path / "posts.jsonl"
    src.write_bytes(b"".join(jsonl_lines(6000)))
    out = tmp_path / "corpus"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    first = subprocess.Popen(
        _build_cmd(src, out, "--no-near-dedup"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        _wait_for_lock(out, first.pid, first)
        # Freeze the first build while it holds the lock, so the race is certain, not timing.
        os.kill(first.pid, signal.SIGSTOP)
        second = run_cli("corpus", "build", str(src), "--out", str(out), "--no-near-dedup", timeout=120)
        assert second.returncode == 2
        assert second.stderr.strip() == (
            f"mynah corpus: error: another build (pid {first.pid}) is writing {out}; "
            "wait for it or choose another --out"
        )
        os.kill(first.pid, signal.SIGCONT)
        _, err = first.communicate(timeout=300)
    finally:
        if first.poll() is None:
            os.kill(first.pid, signal.SIGCONT)
            first.kill()
            first.wait()
    assert first.returncode == 0, err
    report = json.loads((out / "report.json").read_text())
    assert report["read"] == 6000 and report["kept"] == 6000

    # A build killed while it holds the lock leaves no stale lock: --resume starts at once.
    killed = subprocess.Popen(_build_cmd(src, out, "--no-near-dedup"), stderr=subprocess.PIPE, env=env)
    _wait_for_lock(out, killed.pid, killed)
    killed.kill()
    killed.wait()
    # Killed before it published anything: the first build's corpus is still there, whole.
    assert json.loads((out / "report.json").read_text()) == report
    r = run_cli("corpus", "build", str(src), "--out", str(out), "--no-near-dedup", "--resume", timeout=300)
    assert r.returncode == 0, r.stderr
    assert json.loads((out / "report.json").read_text())["kept"] == 6000


# ---- paths: a file, a read-only folder, a full disk -------------------------------------------


def test_out_that_is_a_file_is_one_line_for_every_writer(tmp_path, sample_dir):
    target = tmp_path / "outfile"
    target.write_text("keep me\n")
    for args in (
        ["corpus", "build", str(sample_dir / "posts.jsonl"), "--out", str(target)],
        ["train", "--data", str(sample_dir / "posts.jsonl"), "--out", str(target), "--max-steps", "1"],
    ):
        r = run_cli(*args)
        assert r.returncode == 2, (args, r.stderr)
        assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr, r.stderr
        assert f"{target}: exists and is not a folder" in r.stderr
    assert target.read_text() == "keep me\n"


@contextlib.contextmanager
def tmpfs(size: str, readonly: bool = False):
    """A real small filesystem (root only: `mount -t tmpfs`), for full and read-only disks."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs as root)")
    where = Path(tempfile.mkdtemp(prefix="mynah-tmpfs-"))
    opts = f"size={size}" + (",ro" if readonly else "")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(where)], capture_output=True)
    if r.returncode != 0:
        if os.environ.get("CI"):
            pytest.fail(f"CI runs as root and must be able to mount a tmpfs: {r.stderr.decode()}")
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)
        with contextlib.suppress(OSError):
            where.rmdir()


def test_a_read_only_folder_is_one_line(tmp_path, sample_dir):
    with tmpfs("1m", readonly=True) as ro:
        r = run_cli("corpus", "build", str(sample_dir / "posts.jsonl"), "--out", str(ro / "corpus"))
        assert r.returncode == 2 and "Traceback" not in r.stderr
        assert (
            r.stderr.strip()
            == f"mynah corpus: error: {ro / 'corpus'}: cannot write here (Read-only file system)"
        )


@pytest.mark.slow
def test_a_full_disk_fails_with_the_path_and_leaves_the_previous_corpus_whole(tmp_path):
    small, big = tmp_path / "small.jsonl", tmp_path / "big.jsonl"
    small.write_bytes(b"".join(jsonl_lines(300, 1, "s")))
    big.write_bytes(b"".join(jsonl_lines(40000, 2, "b")))  # ~6 MB of text: its work files do not fit
    with tmpfs("3m") as disk:
        out = disk / "corpus"
        r = run_cli(
            "corpus", "build", str(small), "--out", str(out), "--no-near-dedup", "--vocab-size", "300"
        )
        assert r.returncode == 0, r.stderr
        before = {
            p.relative_to(out): p.read_bytes()
            for p in out.rglob("*")
            if p.is_file() and p.name != ".lock" and ".work" not in p.parts
        }
        assert Path("report.json") in before
        r = run_cli("corpus", "build", str(big), "--out", str(out), "--no-near-dedup", "--vocab-size", "300")
        assert r.returncode == 2
        assert "Traceback" not in r.stderr
        errors = [line for line in r.stderr.splitlines() if "error:" in line]
        assert len(errors) == 1, r.stderr
        last = errors[0]
        assert last.startswith("mynah corpus: error: ") and "No space left on device" in last, r.stderr
        assert str(out) in last
        after = {
            p.relative_to(out): p.read_bytes()
            for p in out.rglob("*")
            if p.is_file() and p.name != ".lock" and ".work" not in p.parts
        }
        assert after == before  # the previous corpus, byte for byte; nothing half-written beside it


# ---- serve: a wrong model path exits before binding; a load that fails later says so -------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_with_a_bad_model_path_exits_2_before_binding(tmp_path, trained, capsys):
    broken = tmp_path / "wrong-arch"
    broken.mkdir()
    (broken / "config.json").write_text(json.dumps({"model_type": "gpt2", "n_embd": 64}))
    pickled = tmp_path / "pickled"
    pickled.mkdir()
    (pickled / "config.json").write_text((trained / "config.json").read_text())
    (pickled / "pytorch_model.bin").write_bytes(b"\x80\x02 a pickle")
    cut = tmp_path / "cut-weights"
    cut.mkdir()
    for f in trained.iterdir():
        if f.is_file():
            (cut / f.name).write_bytes(f.read_bytes())
    (cut / "model.safetensors").write_bytes((trained / "model.safetensors").read_bytes()[:5])
    cases = {
        "/nonexistent": "/nonexistent: checkpoint folder not found",
        str(trained / "config.json"): f"{trained / 'config.json'}: is a file, not a checkpoint folder",
        str(tmp_path): f"{tmp_path / 'config.json'}: missing",
        str(broken): f"{broken / 'config.json'}: model_type 'gpt2' is not supported",
        str(pickled): f"{pickled}: only pickle weights",
        str(cut): f"{cut / 'model.safetensors'}: not a valid safetensors file",
    }
    from mynah.cli import main

    for i, (path, message) in enumerate(cases.items()):
        port = _free_port()
        if i < 2:  # as a user runs it: a real process, which must exit before binding its port
            r = run_cli("serve", "--model", path, "--port", str(port), timeout=60)
            code, out, err = r.returncode, r.stdout, r.stderr
        else:  # the same check in this process (a subprocess costs a torch import)
            code = main(["serve", "--model", path, "--port", str(port)])
            out, err = capsys.readouterr()
        assert code == 2, (path, out, err)
        assert err.startswith(f"mynah serve: error: {message}"), (path, err)
        assert err.count("\n") == 1 and "Traceback" not in err
        assert "chat page" not in out  # no URL printed for a server that never runs
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0  # the port was never bound


@pytest.mark.slow
def test_weights_that_fail_to_load_leave_health_503_and_no_model_listed(tmp_path, trained):
    import httpx

    bad = tmp_path / "bad-shapes"
    bad.mkdir()
    for f in trained.iterdir():
        if f.is_file():
            (bad / f.name).write_bytes(f.read_bytes())
    cfg = json.loads((trained / "config.json").read_text())
    cfg["intermediate_size"] += 64  # headers parse, shapes do not match: found only by loading
    (bad / "config.json").write_text(json.dumps(cfg))
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mynah.cli",
            "serve",
            "--model",
            str(bad),
            "--port",
            str(port),
            "--state-dir",
            str(tmp_path / "state"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        body = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert proc.poll() is None, proc.communicate()
            try:
                h = httpx.get(f"http://127.0.0.1:{port}/health", timeout=5)
            except httpx.TransportError:
                time.sleep(0.2)
                continue
            assert h.status_code == 503
            body = h.json()
            if body["status"] == "error":
                break
            time.sleep(0.2)
        assert body is not None and body["status"] == "error", body
        assert "weight shapes do not match config.json" in body["error"]
        models = httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=5)
        assert models.status_code == 200 and models.json() == {"object": "list", "data": []}
        one = httpx.get(f"http://127.0.0.1:{port}/v1/models/bad-shapes", timeout=5)
        assert one.status_code == 503 and one.json()["error"]["code"] == "model_not_loaded"
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


# ---- training runs: one per folder, a new run never mixes into an old one ------------------------


def test_a_second_training_run_into_a_folder_is_refused(tmp_path, sample_dir):
    from mynah.atomic import FolderLock

    out = tmp_path / "run"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from mynah.atomic import FolderLock\n"
            f"with FolderLock({str(out)!r}, 'training run'):\n    print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        r = run_cli("train", "--data", str(sample_dir / "posts.jsonl"), "--out", str(out), "--max-steps", "1")
        assert r.returncode == 2
        assert f"another training run (pid {holder.pid}) is writing {out}" in r.stderr
    finally:
        holder.kill()
        holder.wait()
    with FolderLock(out, "training run"):  # the lock died with its holder
        pass


def test_a_new_run_into_a_folder_holding_one_is_refused_without_resume(tmp_path, trained):
    import shutil

    from mynah.train.sft import sft

    out = tmp_path / "chat"
    shutil.copytree(trained, out)  # a finished pretraining run: config, weights, state/step-*
    conv = tmp_path / "c.jsonl"
    msgs = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello there"}]
    conv.write_text(json.dumps({"messages": msgs}) + "\n")
    with pytest.raises(ValueError, match=r"already holds a training run \(saved at step 30\); pass --resume"):
        sft(trained, conv, out, max_steps=1, progress=False)


# ---- sft: an over-long conversation loses its oldest turns, never its answer's end ---------------


def test_sft_drops_the_oldest_turns_of_a_conversation_longer_than_the_context(tmp_path, trained, capsys):
    from mynah.tokenizer import Tokenizer
    from mynah.train.sft import load_conversations

    tok = Tokenizer.load(trained)
    seq_len = 200  # two of the six exchanges below fit (one is ~80 tokens)
    turn = "the ferry to the harbour is late again today and the market is busy"
    long_conv = [{"role": "system", "content": "be brief"}]
    for i in range(6):
        long_conv += [
            {"role": "user", "content": f"{turn} {i}"},
            {"role": "assistant", "content": f"answer {i}: {turn}"},
        ]
    too_long_answer = [
        {"role": "user", "content": "tell me everything"},
        {"role": "assistant", "content": " ".join([turn] * 20)},
    ]
    short = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    data = tmp_path / "c.jsonl"
    data.write_text("".join(json.dumps({"messages": m}) + "\n" for m in (short, long_conv, too_long_answer)))
    assert len(tok.encode_chat(long_conv)[0]) > seq_len + 1
    convs = load_conversations(data, tok, seq_len)
    err = capsys.readouterr().err
    assert len(convs) == 2  # the third is skipped: its one answer cannot fit
    assert f"warning: {data}:2: longer than the context of {seq_len + 1} tokens; its" in err
    assert f"warning: {data}:3: skipped" in err
    assert f"{data}:1" not in err
    ids, mask = convs[1]
    assert len(ids) <= seq_len + 1
    # What is left is the system prompt plus the newest whole exchanges, ending on the last
    # answer's closing <|im_end|> (learned), so the model still learns to stop.
    last_learned = max(i for i, m in enumerate(mask) if m)
    assert ids[last_learned] == tok.im_end_id
    text = tok.decode(ids)
    assert "be brief" in text and "answer 5:" in text and "answer 0:" not in text
    assert "answer 4:" in text  # as many of the newest exchanges as fit, not just the last
    kept = tok.decode([t for t, m in zip(ids, mask) if m])
    assert kept.count("answer") == text.count("answer")  # every kept answer is whole and learned


def test_training_data_reads_a_cut_gzip_up_to_its_last_whole_line(tmp_path, capsys):
    from mynah.train.data import read_jsonl

    k = 555
    path = tmp_path / "posts.jsonl.gz"
    path.write_bytes(gzip_cut_after(jsonl_lines(900), k))
    rows = list(read_jsonl(path))
    assert [n for n, _ in rows] == list(range(1, k + 1))
    assert [obj["id"] for _, obj in rows] == [f"p{i}" for i in range(k)]
    assert f"warning: {path}:{k}: compressed stream ends early" in capsys.readouterr().err


def test_follow_refuses_what_it_cannot_tail(tmp_path):
    from mynah.posts.ingest import follow
    from mynah.posts.store import SQLiteStore

    store = SQLiteStore(tmp_path / "p.db")
    try:
        (tmp_path / "feed.jsonl.gz").write_bytes(whole_gzip(b"".join(jsonl_lines(3))))
        with pytest.raises(
            ValueError, match="a compressed file cannot be followed; store it with `mynah posts ingest`"
        ):
            follow(store, tmp_path / "feed.jsonl.gz", idle_exit_s=0)
        with pytest.raises(ValueError, match="is a folder"):
            follow(store, tmp_path, idle_exit_s=0)
    finally:
        store.close()


@pytest.mark.slow
def test_a_training_run_on_a_full_disk_fails_in_one_line_and_leaves_no_partial_files(sample_dir):
    with tmpfs("600k") as disk:  # room for the run's corpus, not for its weights
        out = disk / "run"
        r = run_cli(
            "train",
            "--data",
            str(sample_dir / "posts.jsonl"),
            "--out",
            str(out),
            "--max-steps",
            "2",
            "--seq-len",
            "32",
        )
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
        errors = [line for line in r.stderr.splitlines() if "error:" in line]
        assert errors == [f"mynah train: error: {out / 'model.safetensors.tmp'}: No space left on device"], (
            r.stderr
        )
        assert not list(out.rglob("*.tmp")) and not (out / "state").exists()
        assert not (out / "model.safetensors").exists()
