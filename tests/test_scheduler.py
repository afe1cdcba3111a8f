"""The continuous-batching scheduler at the token level: requests joining a running batch
get exactly what they would get alone, each with its own sampling, and cancelling frees slots."""

from __future__ import annotations

import threading
import time

import pytest

from mynah.checkpoint import load_model
from mynah.engine import ContextOverflow, Engine, SamplingParams
from mynah.serve.scheduler import QueueFull, Scheduler, Sequence
from mynah.tokenizer import Tokenizer


class Collector:
    def __init__(self, sched: Scheduler | None = None, log: list | None = None):
        self.tokens: list[int] = []
        self.reason = None
        self.done = threading.Event()
        self.sched, self.log = sched, log

    def __call__(self, step):
        if self.log is not None:  # (who, the running batch's size, finished?) in step order
            self.log.append((self, self.sched.batch_size, step.finish_reason is not None))
        if step.token is not None:
            self.tokens.append(step.token)
        if step.finish_reason:
            self.reason = step.finish_reason
            self.done.set()


@pytest.fixture(scope="module")
def setup(talker):
    tok = Tokenizer.load(talker)
    solo = Engine(load_model(talker), max_batch=1)
    sched = Scheduler(Engine(load_model(talker), max_batch=3), max_queue=8).start()
    yield tok, solo, sched
    sched.stop()


def test_joining_a_running_batch_changes_nobody_s_tokens(setup):
    tok, solo, sched = setup
    prompts = [
        tok.encode_doc(p) for p in ["The new album", "Rent", "Quick thought:", "Friends,", "Coffee", "gente,"]
    ]
    params = [
        SamplingParams(max_tokens=30, temperature=0, stop_token_ids=[]),
        SamplingParams(max_tokens=12, temperature=0.9, seed=5, stop_token_ids=[]),
        SamplingParams(max_tokens=25, temperature=0, repetition_penalty=1.3, stop_token_ids=[]),
        SamplingParams(max_tokens=8, temperature=1.0, top_k=20, seed=1, stop_token_ids=[]),
        SamplingParams(
            max_tokens=20, temperature=0, presence_penalty=1.0, frequency_penalty=0.5, stop_token_ids=[]
        ),
        SamplingParams(max_tokens=16, temperature=0.7, top_p=0.8, seed=9, stop_token_ids=[]),
    ]
    want = [solo.generate_all([p], q)[0][0] for p, q in zip(prompts, params)]
    got = []
    log: list = []
    for i, (p, q) in enumerate(zip(prompts, params)):
        c = Collector(sched, log)
        got.append(c)
        sched.submit([Sequence(p, q, c)])
        if i % 2:
            time.sleep(0.02)  # later ones arrive while earlier ones decode
    for c in got:
        assert c.done.wait(60)
    assert [c.tokens for c in got] == want
    assert [c.reason for c in got] == ["length"] * 6
    # and they did share the batch: it held several sequences at once, and one joined while
    # another was decoding (had made two tokens already and was still going)
    assert max(n for _, n, _ in log) > 1, sorted({n for _, n, _ in log})
    steps = {c: [i for i, e in enumerate(log) if e[0] is c] for c in got}
    assert any(a is not b and steps[a][1] < steps[b][0] < steps[a][-1] for a in got for b in got), (
        "no sequence joined a running batch"
    )
    assert sched.batch_size == 0 and sched.queue_depth == 0


def test_cancel_frees_the_slot_and_limits_hold(setup):
    tok, _, sched = setup
    long = SamplingParams(max_tokens=200, temperature=1.0, seed=3, stop_token_ids=[])
    c = Collector()
    s = Sequence(tok.encode_doc("The"), long, c)
    sched.submit([s])
    deadline = time.time() + 30
    while time.time() < deadline and len(c.tokens) < 3:
        time.sleep(0.005)
    s.cancel()
    assert c.done.wait(30) and c.reason == "cancelled" and len(c.tokens) < 200
    assert sched.batch_size == 0
    with pytest.raises(ContextOverflow):
        sched.submit([Sequence(list(range(5, 5 + sched.engine.max_len)), long, Collector())])
    with pytest.raises(QueueFull):
        sched.submit([Sequence([1, 2], long, Collector()) for _ in range(9)])
    assert sched.queue_depth == 0  # all or nothing


def test_stop_token_sequences_end_a_sequence(setup):
    tok, solo, sched = setup
    prompt = tok.encode_doc("The new album")
    free = SamplingParams(max_tokens=20, temperature=0, stop_token_ids=[])
    full = solo.generate_all([prompt], free)[0][0]
    stop = full[4:6]
    c = Collector()
    sched.submit(
        [
            Sequence(
                prompt,
                SamplingParams(max_tokens=20, temperature=0, stop_token_ids=[], stop_sequences=[stop]),
                c,
            )
        ]
    )
    assert c.done.wait(60) and c.reason == "stop"
    first = next(i for i in range(len(full) - 1) if full[i : i + 2] == stop)
    assert c.tokens == full[: first + 2]
