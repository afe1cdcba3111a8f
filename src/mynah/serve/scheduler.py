"""Continuous batching over the engine: requests join and leave the running batch between steps.

One thread owns the engine. Each step it (1) drops cancelled sequences and frees their
slots, (2) admits waiting sequences into free slots, prefilling at most `prefills_per_step`
of them (in one batched forward) while others are decoding so that running streams keep
flowing (prefill interleaves with decode, as in vLLM), and (3) advances every running sequence by one token
in one batched forward. Every sequence keeps its own sampling parameters, RNG and
history inside the shared batch, so its output does not depend on who else is running:
under greedy decoding a request gives the same tokens alone or among 16.

Token ids only, like the engine: text, stop strings and the HTTP protocol live in the
server. Results go back through a callback, called on the scheduler thread.
"""

from __future__ import annotations

import itertools
import os
import sys
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from mynah.engine import Engine, SamplingParams, draw_checked, process_logits, sample


class QueueFull(RuntimeError):
    """More sequences are waiting than the scheduler accepts; try again later."""


@dataclass
class Step:
    """One new token of one sequence (token None: it ended without one, e.g. cancelled)."""

    token: int | None
    finish_reason: str | None = None  # "stop", "length" or "cancelled"
    logprob: float | None = None  # of the token, in the distribution it was drawn from
    top_logprobs: list[tuple[int, float]] | None = None


@dataclass
class Sequence:
    prompt: list[int]
    params: SamplingParams
    on_step: Callable[[Step], None]
    logprobs: int | None = None  # None: none; k >= 0: the token's logprob and the top k
    id: int = 0
    slot: int = -1
    history: list[int] = field(default_factory=list)
    produced: int = 0
    cancelled: bool = False
    gen: torch.Generator | None = None

    def cancel(self) -> None:
        """Ends the sequence at the scheduler's next step (callable from any thread)."""
        self.cancelled = True


class Scheduler:
    def __init__(self, engine: Engine, max_queue: int = 64, prefills_per_step: int = 4):
        self.engine = engine
        self.max_queue = max_queue
        self.prefills_per_step = prefills_per_step
        self.waiting: deque[Sequence] = deque()
        self.running: dict[int, Sequence] = {}  # slot -> sequence
        self.free = list(range(engine.max_batch))
        self._ids = itertools.count(1)
        self._cv = threading.Condition()
        self._stop = False
        self._thread: threading.Thread | None = None

    # -- any thread ------------------------------------------------------------------

    def submit(self, seqs: list[Sequence]) -> None:
        """Queue sequences (all or none). Raises QueueFull or ContextOverflow."""
        for s in seqs:
            self.engine.check_fits(s.prompt)
        with self._cv:
            if len(self.waiting) + len(seqs) > self.max_queue:
                raise QueueFull(f"{len(self.waiting)} sequences are already waiting (limit {self.max_queue})")
            for s in seqs:
                s.id = next(self._ids)
                s.history = list(s.prompt)
                s.gen = torch.Generator(device=self.engine.device)
                s.gen.manual_seed(
                    s.params.seed if s.params.seed is not None else int.from_bytes(os.urandom(7), "little")
                )
                self.waiting.append(s)
            self._cv.notify()

    @property
    def queue_depth(self) -> int:
        return len(self.waiting)

    @property
    def batch_size(self) -> int:
        return len(self.running)

    def start(self) -> Scheduler:
        self._thread = threading.Thread(target=self._loop, name="mynah-scheduler", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._cv:
            self._stop = True
            self._cv.notify()
        if self._thread:
            self._thread.join(timeout=10)

    # -- the scheduler thread --------------------------------------------------------

    def _loop(self) -> None:
        while True:
            with self._cv:
                while not self._stop and not self.waiting and not self.running:
                    self._cv.wait()
                if self._stop:
                    break
            try:
                self.step()
            except Exception as e:  # a bug must not leave clients waiting forever
                for s in list(self.running.values()) + list(self.waiting):
                    self._finish(s, Step(None, "error"))
                self.waiting.clear()
                import traceback

                print(f"mynah scheduler: a step failed, its requests get an error: {e!r}", file=sys.stderr)
                traceback.print_exc()
        for s in list(self.running.values()) + list(self.waiting):
            self._finish(s, Step(None, "cancelled"))

    @torch.inference_mode()
    def step(self) -> None:
        for s in [s for s in self.running.values() if s.cancelled]:
            self._finish(s, Step(None, "cancelled"))
        with self._cv:  # a client that left while waiting no longer holds a place in line
            gone = [s for s in self.waiting if s.cancelled]
            if gone:
                self.waiting = deque(s for s in self.waiting if not s.cancelled)
        for s in gone:
            s.on_step(Step(None, "cancelled"))
        # Admit: fill every free slot when nothing is decoding; otherwise a few a step, so
        # the running streams keep flowing. The admitted prompts prefill in one forward.
        budget = len(self.free) if not self.running else self.prefills_per_step
        admitted: list[Sequence] = []
        with self._cv:
            while len(admitted) < budget and self.free and self.waiting:
                s = self.waiting.popleft()
                s.slot = self.free.pop(0)
                self.running[s.slot] = s
                admitted.append(s)
        if admitted:
            logits = self.engine.prefill_batch([s.slot for s in admitted], [s.prompt for s in admitted])
            for row, s in enumerate(admitted):
                self._emit(s, logits[row])
        decoding = sorted(slot for slot, s in self.running.items() if s.produced and not s.cancelled)
        if decoding:
            seqs = [self.running[slot] for slot in decoding]
            logits = self.engine.decode(
                decoding, [s.history[-1] for s in seqs], [len(s.history) - 1 for s in seqs]
            )
            greedy = None
            if all(s.params.greedy_only and s.logprobs is None for s in seqs):
                greedy = logits.argmax(-1).tolist()
            for row, s in enumerate(seqs):
                self._emit(s, logits[row], None if greedy is None else greedy[row])

    def _emit(self, s: Sequence, logits: torch.Tensor, token: int | None = None) -> None:
        if s.cancelled:
            self._finish(s, Step(None, "cancelled"))
            return
        p = s.params
        if token is None and s.logprobs is None:
            token = sample(logits, s.history, p, s.gen, prompt_len=len(s.prompt))
        elif token is None:
            # logprobs are of the distribution the token was drawn from: after every
            # processor (constraints, watermark), penalty, temperature and truncation
            shaped = process_logits(logits.float(), s.history, p, len(s.prompt))
            token, shaped = draw_checked(shaped, s.history, p, s.gen)
        step = Step(token)
        if s.logprobs is not None:
            lp = torch.log_softmax(shaped, -1)
            step.logprob = _finite(float(lp[token]))
            if s.logprobs:
                top = torch.topk(lp, min(s.logprobs, lp.numel()))
                step.top_logprobs = [
                    (t, _finite(v)) for t, v in zip(top.indices.tolist(), top.values.tolist())
                ]
        s.history.append(token)
        s.produced += 1
        step.finish_reason = self.engine.finish_reason(s.history, s.produced, p)
        if step.finish_reason:
            self._finish(s, step)
        else:
            s.on_step(step)

    def _finish(self, s: Sequence, step: Step) -> None:
        for proc in s.params.logits_processors:  # the last token: no call follows it
            if hasattr(proc, "settle"):
                try:
                    proc.settle(s.history)
                except Exception as e:  # a count is not worth a client left waiting
                    print(f"mynah scheduler: a processor's settle failed: {e!r}", file=sys.stderr)
        # The callback first (it counts how the sequence ended), then the slot: whoever sees
        # the batch shrink in /metrics also sees the sequence counted as finished.
        s.on_step(step)
        if self.running.get(s.slot) is s:
            del self.running[s.slot]
            self.free.append(s.slot)
            self.free.sort()


def _finite(lp: float) -> float:
    # A token a constraint or truncation removed has probability 0; JSON has no -Infinity,
    # so it is reported as OpenAI reports a vanishing one.
    return lp if lp > -9999.0 else -9999.0
