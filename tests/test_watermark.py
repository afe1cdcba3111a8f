"""The watermark: keyed green lists, the exact test, the processor in the batched scheduler,
the detector on decoded text, and the server's /v1/detect, provenance and key handling."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import threading
from fractions import Fraction

import httpx
import numpy as np
import pytest
import torch

from mynah.engine import Engine, SamplingParams
from mynah.processors.watermark import Watermarker
from mynah.provenance.detect import Detector
from mynah.provenance.watermark import GreenList, binom_sf, key_id, scored_positions
from mynah.tokenizer import Tokenizer

KEY = b"0123456789abcdef0123456789abcdef"


def test_the_p_value_is_the_exact_binomial_tail():
    for n, k in [(16, 10), (40, 22), (64, 33), (200, 90), (30, 0), (30, 31), (1, 1)]:
        want = sum(
            Fraction(math.comb(n, i)) * Fraction(1, 4) ** i * Fraction(3, 4) ** (n - i)
            for i in range(k, n + 1)
        )
        assert binom_sf(k, n) == pytest.approx(float(want), rel=1e-9, abs=1e-300), (n, k)
    # the normal approximation would call this 1e-6-rare; the exact tail is 30x likelier
    z = (10 - 16 * 0.25) / math.sqrt(16 * 0.25 * 0.75)
    assert z > 3.4 and binom_sf(10, 16) > 3e-4


def test_green_lists_are_keyed_and_the_same_whichever_way_they_are_computed():
    g = GreenList(KEY, 4096)
    other = GreenList(KEY[::-1], 4096)
    masks = np.stack([g.mask(p) for p in range(64)])
    assert abs(masks.mean() - 0.25) < 0.01
    assert (masks != np.stack([other.mask(p) for p in range(64)])).mean() > 0.3
    prev = np.repeat(np.arange(64), 4096)
    tok = np.tile(np.arange(4096), 64)
    assert (g.green(prev, tok).reshape(64, 4096) == masks).all()  # the detector's vectorised path
    assert all(g.mask_at(p, t) == masks[p, t] for p, t in [(0, 0), (3, 77), (63, 4095)])
    assert key_id(KEY).startswith("wm-") and KEY.decode() not in key_id(KEY)
    with pytest.raises(ValueError, match="at least 16 bytes"):
        GreenList(b"short", 4096)


def test_quoted_text_is_neither_biased_nor_scored(trained):
    tok = Tokenizer.load(trained)
    pieces = [b"He", b" said", b' "', b"the", b" ferry", b'"', b" [", b"1", b"]", b" ok"]
    assert scored_positions(pieces) == [False, True, True, False, False, False, True, True, True, True]
    curly = ["a", " “", "b", " c", "”", " d"]
    assert scored_positions([p.encode() for p in curly]) == [False, True, False, False, False, True]
    wm = Watermarker(KEY, tok)
    proc = wm.processor()
    ids = tok.encode('Posts say "the ferry')
    logits = torch.zeros(tok.vocab_size)
    assert torch.equal(proc(ids[:1], logits), logits)  # the first token: its context is the prompt
    proc = wm.processor()
    proc(ids[:1], logits)
    assert not torch.equal(proc(ids[:2], logits), logits)  # biased after a generated token
    proc = wm.processor()
    proc([], logits)
    assert torch.equal(proc(ids, logits), logits)  # inside the open quote: copied, not written


def _run_scheduler(engine, prompts, params):
    """Every prompt through the batched scheduler at once; the new ids of each."""
    from mynah.serve.scheduler import Scheduler, Sequence

    sched = Scheduler(engine).start()
    outs = [[] for _ in prompts]
    done = threading.Semaphore(0)

    def cb(i):
        def on_step(step):
            if step.token is not None:
                outs[i].append(step.token)
            if step.finish_reason:
                done.release()

        return on_step

    sched.submit([Sequence(p, q, cb(i)) for i, (p, q) in enumerate(zip(prompts, params))])
    for _ in prompts:
        assert done.acquire(timeout=120)
    sched.stop()
    return outs


@pytest.mark.slow
def test_the_green_count_while_generating_equals_the_detectors_on_the_decoded_text(talker, sample_dir):
    """One seeded request alone and among 16 concurrent ones, eager and compiled: the counts
    each sequence's processor made equal the detector's on the text, re-tokenized."""
    from mynah.checkpoint import load_model

    tok = Tokenizer.load(talker)
    model = load_model(talker)
    wm = Watermarker(KEY, tok)
    det = Detector(KEY, tok)
    posts = [json.loads(x)["text"] for x in (sample_dir / "posts.jsonl").read_text().splitlines()[:16]]
    prompts = [tok.encode_doc(" ".join(p.split()[:2])) for p in posts]

    def params(i):
        return SamplingParams(
            max_tokens=48,
            temperature=1.0,
            seed=100 + i,
            stop_token_ids=tok.stop_ids,
            logits_processors=[wm.processor()],
        )

    def check(ids, p):
        proc = p.logits_processors[0]
        text = tok.decode(ids)
        canonical = tok.encode(text) == [t for t in ids if t not in tok.stop_ids]
        s = det.score([text])[0]
        if canonical:
            assert (s.scored, s.green) == (proc.scored, proc.green), text
        return canonical, proc.scored

    eager = Engine(model, max_batch=16)
    alone_p = params(0)
    (alone,) = _run_scheduler(eager, prompts[:1], [alone_p])
    check(alone, alone_p)
    results = {}
    for name, engine in (("eager", eager), ("compiled", Engine(model, max_batch=16, compile=True))):
        ps = [params(i) for i in range(16)]
        outs = _run_scheduler(engine, prompts, ps)
        results[name] = outs
        checks = [check(o, p) for o, p in zip(outs, ps)]
        assert sum(c for c, _ in checks) >= 12, checks  # most texts re-tokenize as generated
        assert sum(n for _, n in checks) >= 200  # and they are long enough to count
    assert results["eager"][0] == alone  # its own seed, its own tokens, whoever shares the batch
    assert results["compiled"] == results["eager"]


def test_human_posts_are_not_flagged(trained, sample_dir):
    tok = Tokenizer.load(trained)
    texts = [json.loads(x)["text"] for x in (sample_dir / "posts.jsonl").read_text().splitlines()]
    scores = Detector(KEY, tok).score(texts)
    long_enough = [s for s in scores if s.verdict != "too_short"]
    assert len(long_enough) >= len(texts) // 5, len(long_enough)  # a zero that means something
    assert sum(s.watermarked for s in scores) == 0
    assert Detector(KEY, tok).score([""])[0].verdict == "too_short"


@pytest.fixture(scope="module")
def wm_server(talker, tmp_path_factory):
    from serve_helpers import LiveServer

    tmp = tmp_path_factory.mktemp("wm")
    keyfile = tmp / "wm.key"
    keyfile.write_text(KEY.decode() + "\n")
    s = LiveServer(
        talker,
        "--watermark-key-file",
        str(keyfile),
        "--detect-rate",
        "40",
        "--state-dir",
        str(tmp / "st"),
        tmp=tmp,
    )
    s.keyfile = keyfile
    yield s
    s.stop()


@pytest.mark.slow
def test_generation_to_detection_through_the_server_and_the_cli(wm_server, talker, tmp_path):
    import openai

    client = openai.OpenAI(base_url=wm_server.url + "/v1", api_key="none", max_retries=0, timeout=60)
    texts, bodies = [], []
    for i in range(4):
        r = client.completions.create(
            model=talker.name,
            prompt="The new album",
            max_tokens=240,
            temperature=1.0,
            seed=i,
            extra_body={"ignore_eos": True},
        )
        texts.append(r.choices[0].text)
        bodies.append(r.model_dump_json())
    prov = json.loads(bodies[0])["provenance"]
    assert prov["model"] == talker.name and prov["watermark"]["key_id"] == key_id(KEY)
    assert prov["watermark"]["gamma"] == 0.25 and prov["watermark"]["delta"] == 2.0
    stream = httpx.post(
        wm_server.url + "/v1/chat/completions",
        json={
            "model": talker.name,
            "messages": [{"role": "user", "content": "hi"}],
            "max_tokens": 5,
            "stream": True,
        },
        timeout=60,
    ).text
    first = json.loads(stream.split("\n\n")[0][len("data: ") :])
    assert first["provenance"]["watermark"]["key_id"] == key_id(KEY)
    human = "Ferry to the island is delayed again this morning, the queue at the pier is huge and nobody knows why"
    r = httpx.post(wm_server.url + "/v1/detect", json={"input": [*texts, human, ""]}, timeout=30).json()
    verdicts = [d["verdict"] for d in r["data"]]
    assert verdicts[:4].count("watermarked") >= 3, [(d["tokens_scored"], d["z_score"]) for d in r["data"]]
    assert verdicts[4] == "not_watermarked" and verdicts[5] == "too_short"
    assert r["watermark"]["key_id"] == key_id(KEY) and r["data"][0]["p_value"] <= 1e-6
    # the CLI: locally with the key (no weights read), and through the server; same numbers
    jl = tmp_path / "texts.jsonl"
    jl.write_bytes(
        b"".join(json.dumps({"text": t}).encode() + b"\n" for t in texts[:2])
        + b'{"text": "caf\xff"}\n{oops\n'
    )
    env = {k: v for k, v in __import__("os").environ.items() if k != "MYNAH_WATERMARK_KEY"}
    for how in (["--key-file", str(wm_server.keyfile), "--model", str(talker)], ["--server", wm_server.url]):
        p = subprocess.run(
            [sys.executable, "-m", "mynah.cli", "detect", str(jl), "--jsonl", *how],
            capture_output=True,
            text=True,
            env=env,
        )
        assert p.returncode == 1, p.stderr  # two bad lines, named; the rest scored
        lines = [json.loads(x) for x in p.stdout.splitlines()]
        assert [x["line"] for x in lines] == [1, 2, 3, 4]
        assert [x["p_value"] for x in lines[:2]] == pytest.approx([d["p_value"] for d in r["data"][:2]])
        assert f"{jl}:3: not valid UTF-8" in p.stderr and f"{jl}:4: not JSON" in p.stderr
    # health, metrics, the rate limit
    h = httpx.get(wm_server.url + "/health").json()
    assert h["watermark"]["enabled"] and h["watermark"]["key_id"] == key_id(KEY)
    assert wm_server.metric("mynah_watermark_enabled") == 1
    codes = [
        httpx.post(wm_server.url + "/v1/detect", json={"input": [human] * 10}).status_code for _ in range(8)
    ]
    assert codes.count(429) >= 1 and codes[0] == 200
    # the key never leaves the process: not in responses, the log, or the model folder
    secret = KEY.decode()
    assert all(secret not in b for b in bodies) and secret not in stream
    assert secret not in wm_server.log.read_text() and key_id(KEY) in wm_server.log.read_text()
    for f in talker.rglob("*"):
        if f.is_file() and f.stat().st_size < 5_000_000:
            assert KEY not in f.read_bytes(), f
    gen = json.loads((talker / "generation_config.json").read_text())
    assert gen["mynah"]["watermark"]["name"] == "mynah-greenlist" and "watermarking_config" not in gen


def test_key_files_and_the_state_folder(tmp_path, trained, monkeypatch):
    from mynah.cli import main
    from mynah.provenance.keys import load_or_create, state_dir

    monkeypatch.delenv("MYNAH_WATERMARK_KEY", raising=False)
    key, where, created = load_or_create(None, tmp_path / "st")
    assert created and (tmp_path / "st" / "watermark.key").stat().st_mode & 0o777 == 0o600
    assert load_or_create(None, tmp_path / "st") == (key, where, False)  # created once
    monkeypatch.setenv("MYNAH_WATERMARK_KEY", "from-the-environment-0123")
    assert load_or_create(None, tmp_path / "st")[0] == b"from-the-environment-0123"
    with pytest.raises(ValueError, match="inside the model folder"):
        state_dir(trained / "state", model=trained)
    # a named key that is missing stops the server before it binds: never silently unmarked
    code = main(["serve", "--model", str(trained), "--watermark-key-file", str(tmp_path / "nope.key")])
    assert code == 2
    code = main(["detect", "--key-file", str(tmp_path / "nope.key"), "--model", str(trained)])
    assert code == 2
