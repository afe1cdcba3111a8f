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


def test_bias_rows_built_at_once_equal_those_built_on_first_use(trained):
    tok = Tokenizer.load(trained)
    lazy, warm = Watermarker(KEY, tok), Watermarker(KEY, tok)
    width = tok.vocab_size + 64  # a model's logits may be padded past the vocabulary
    warm.warm(torch.device("cpu"), torch.float32, width)
    like = torch.zeros(width)
    for prev in range(0, tok.vocab_size, 97):
        row = warm.bias(prev, like)
        assert torch.equal(row, lazy.bias(prev, like)) and not row[tok.vocab_size :].any()
        assert torch.equal(row[: tok.vocab_size] > 0, torch.from_numpy(lazy.green.mask(prev)))


def _green_chain(wm, start: int, n: int, rng, ok) -> list[int]:
    """n tokens after `start`, each green after the one before: watermarked text at its
    strongest, built without a model."""
    out, prev = [], start
    for _ in range(n):
        mask = wm.green.mask(prev)
        prev = int(rng.choice([t for t in np.flatnonzero(mask) if ok[t]]))
        out.append(prev)
    return out


def test_quotes_are_counted_apart_and_a_quote_mark_cannot_hide_the_watermark(trained):
    tok = Tokenizer.load(trained)
    pieces = [b"He", b" said", b' "', b"the", b" ferry", b'"', b" [", b"1", b"]", b" ok"]
    assert scored_positions(pieces) == [False, True, True, False, False, False, True, True, True, True]
    curly = ["a", " \u201c", "b", " c", "\u201d", " d"]
    assert scored_positions([p.encode() for p in curly]) == [False, True, False, False, False, True]
    wm = Watermarker(KEY, tok)
    det = Detector(KEY, tok)
    rng = np.random.default_rng(0)
    quote = tok.encode('"')[0]
    ok = [
        t not in wm.specials and b'"' not in wm.pieces[t] and not wm.pieces[t].startswith(b"\xe2")
        for t in range(tok.vocab_size)
    ]
    words = _green_chain(wm, 5, 40, rng, ok)
    (plain,) = det.score_ids([words])
    assert plain.watermarked and not plain.quotes_counted and plain.outside == plain.every
    assert plain.p_value == binom_sf(plain.green, plain.scored)  # one count: no correction
    # a stray quote mark at the start: without the quotes nothing is left; with them, all is
    (stray,) = det.score_ids([[quote, *words]])
    assert stray.outside[0] < 16 and stray.watermarked and stray.quotes_counted
    assert stray.p_value == binom_sf(stray.green, stray.scored)  # only one count long enough
    # a grounded answer: written words, then a post's words in a closed quote
    human = [int(t) for t in rng.choice([t for t in range(tok.vocab_size) if ok[t]], 60)]
    answer = [*words, quote, *human, quote]
    (grounded,) = det.score_ids([answer])
    assert grounded.outside[0] == plain.outside[0] + 1 and grounded.every[0] > 80  # + the opening quote
    assert not grounded.quotes_counted and grounded.watermarked  # the quoted post does not dilute it
    assert grounded.p_value == 2 * binom_sf(*reversed(grounded.outside))  # two counts: doubled
    # mynah detect's hand-written output line is json.dumps of the same fields
    for i, sc in enumerate([plain, stray, grounded, *det.score(["", "short one"])]):
        assert sc.json_line(i) == json.dumps({"line": i, **sc.as_dict()})
    # the processor biases inside a quote too, and counts the quoted token apart
    logits = torch.zeros(tok.vocab_size)
    proc = wm.processor()
    assert torch.equal(proc([1], logits), logits)  # the first token: its context is the prompt
    assert not torch.equal(proc([1, quote], logits), logits)  # inside the open quote: biased
    proc.settle([1, quote, words[0]])
    assert (proc.scored, proc.scored_all) == (0, 1)  # ... and counted with the quotes only


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
            assert s.outside == (proc.scored, proc.green) and s.every == (proc.scored_all, proc.green_all), (
                text
            )
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


def test_detect_rate_limit_refuses_what_could_never_pass():
    from mynah.serve.detect import RateLimiter

    lim = RateLimiter(per_minute=60)
    assert lim.burst == 64  # a minute's worth, at least 64
    assert lim.take("a", 65) == math.inf  # no wait would let 65 through: refused, not 429
    assert lim.take("a", 64) == 0
    assert 1.9 < lim.take("a", 2) <= 2.1  # empty now: two texts at one a second
    assert lim.take("b", 1) == 0  # per client
    assert RateLimiter(per_minute=1e6).take("a", 256) == 0  # a high rate takes large batches


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
        "--watermark-delta",
        "3",  # a deployment's own bias: the same key detects it
        "--state-dir",
        str(tmp / "st"),
        "--no-policy",  # (the policy layer: test_safety.py; it costs 6 s a start)
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
    assert prov["watermark"]["gamma"] == 0.25 and prov["watermark"]["delta"] == 3.0
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
    big = httpx.post(wm_server.url + "/v1/detect", json={"input": [human] * 65})  # more than a burst
    assert big.status_code == 400 and big.json()["error"]["code"] == "too_many_texts", big.text
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
    assert main(["serve", "--model", str(trained), "--watermark-delta", "0"]) == 2


@pytest.mark.slow
def test_detect_streams_a_million_lines_and_names_each_bad_one(trained, tmp_path):
    """A platform's day of posts through `mynah detect --jsonl`: every line answered in
    order, the bad ones by number, in bounded memory (it reads in batches)."""
    n = 1_000_000
    bad = {
        250_001: b'{"text": "caf\xff"}\n',
        500_001: b"{not json\n",
        999_999: b'{"body": "no text field"}\n',
    }
    human = (
        "Ferry to the island is delayed again this morning, the queue at the pier is huge and nobody "
        "knows why. Third time this week, and the timetable still says everything runs on schedule."
    )
    long_line = json.dumps({"text": human}).encode() + b"\n"
    f = tmp_path / "day.jsonl"
    with open(f, "wb") as out:
        for i in range(1, n + 1):
            out.write(bad.get(i) or (long_line if i % 1000 == 0 else b'{"text": "late %d"}\n' % i))
    keyfile = tmp_path / "k"
    keyfile.write_bytes(KEY)
    # the CLI in a process of its own that reports its own peak memory last
    # (VmHWM, not ru_maxrss: Linux keeps the forking parent's high-water mark in ru_maxrss
    # across exec, and the parent here is this test process, models loaded)
    report = "import re, sys; from mynah.cli import main; rc = main(sys.argv[1:]); "
    report += "hwm = re.search(r'VmHWM:\\s*(\\d+)', open('/proc/self/status').read()).group(1); "
    report += "print('peak', hwm, file=sys.stderr); sys.exit(rc)"
    p = subprocess.run(
        [sys.executable, "-c", report, "detect", str(f), "--jsonl", "--key-file", str(keyfile)]
        + ["--model", str(trained)],
        capture_output=True,
        timeout=600,
    )
    assert p.returncode == 1  # bad lines make the exit non-zero; the rest were still scored
    rows = p.stdout.splitlines()
    assert len(rows) == n
    for i in (1, 249_999, 250_002, 777_777, 999_998):  # in input order, each with its verdict
        r = json.loads(rows[i - 1])
        assert r["line"] == i and r["verdict"] == "too_short"
    for i in (1000, 500_000, n):
        r = json.loads(rows[i - 1])
        assert r["line"] == i and r["verdict"] == "not_watermarked" and r["tokens_scored"] >= 16
    err = p.stderr.decode()
    assert f"{f}:250001: not valid UTF-8" in err and f"{f}:500001: not JSON" in err
    assert f"{f}:999999: no string field 'text'" in err
    for i in bad:  # a bad line keeps its place in the output, with its error
        r = json.loads(rows[i - 1])
        assert r["line"] == i and r["error"].startswith(f"{f}:{i}: ") and "verdict" not in r
    assert "0 watermarked, 1000 not, 998997 too short to tell, 3 bad lines" in err
    peak = int(err.splitlines()[-1].split()[1])
    assert peak < 300_000, (
        peak
    )  # KiB (about 70 MB measured): the 20 MB file and its answers are never held whole
