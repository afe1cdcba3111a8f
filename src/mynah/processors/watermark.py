"""The watermark as a logits processor: one `WatermarkProcessor` per sequence, sharing a
`Watermarker` (the key's green lists and a cache of bias rows) across the batch.

It adds DELTA to the green tokens' logits before sampling, greedy decoding included (so
greedy output changes with the watermark on). It runs after the constraints (see
processors/__init__.py): adding a bias to a forbidden token's -inf leaves it forbidden.
Tokens are neither biased nor counted where the detector would not score them: the first
generated token (its context is the prompt, which the detector never sees) and every
token that begins inside a quote pair (copied from a post, not written).

Each processor also counts, as it goes, the tokens it made scoreable and how many of them
came out green, with repeated (context, token) pairs once: the detector's count on the
decoded text must equal it (tests/test_watermark.py).
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import torch

from mynah.provenance.watermark import CONTEXT, GreenList, QuoteScanner, Scheme


class Watermarker:
    """One key, one vocabulary: the green lists, the token bytes the quote rule reads, and
    the bias rows already built (a row per context token; bounded, least recently used)."""

    def __init__(self, key: bytes, tok, scheme: Scheme | None = None, cache_bytes: int = 64 << 20):
        self.green = GreenList(key, tok.vocab_size, scheme)
        self.scheme = self.green.scheme
        self.key_id = self.green.key_id
        self.pieces = [tok.piece_bytes(i) for i in range(tok.vocab_size)]
        self.specials = frozenset(tok._specials)
        self._rows: OrderedDict = OrderedDict()
        self._max_rows = max(16, cache_bytes // (4 * tok.vocab_size))

    def bias(self, prev: int, like: torch.Tensor) -> torch.Tensor:
        key = (prev, like.device, like.dtype, like.shape[-1])
        row = self._rows.get(key)
        if row is None:
            # the model's logits may be padded past the tokenizer's vocabulary: no bias there
            m = np.zeros(like.shape[-1], dtype=np.float32)
            n = min(len(m), self.green.vocab_size)
            m[:n] = self.green.mask(prev)[:n] * self.scheme.delta
            row = torch.from_numpy(m).to(device=like.device, dtype=like.dtype)
            self._rows[key] = row
            if len(self._rows) > self._max_rows:
                self._rows.popitem(last=False)
        else:
            self._rows.move_to_end(key)
        return row

    def processor(self) -> WatermarkProcessor:
        return WatermarkProcessor(self)

    def provenance(self) -> dict:
        return {**self.scheme.as_dict(), "key_id": self.key_id}


class WatermarkProcessor:
    """engine.LogitsProcessor for one sequence."""

    def __init__(self, wm: Watermarker):
        self.wm = wm
        self.start: int | None = None  # where generation began in the history
        self.fed = 0  # generated tokens already read
        self.scanner = QuoteScanner()
        self.pending: int | None = None  # the context of the token being chosen, if it counts
        self.seen: set[tuple[int, int]] = set()
        self.scored = 0
        self.green = 0

    def _read(self, history: list[int]) -> None:
        gen = history[self.start :]
        v = self.wm.green.vocab_size
        for t in gen[self.fed :]:
            if t >= v:  # a padded logit row past the tokenizer's vocabulary: no text, no score
                self.pending = None
                self.fed += 1
                continue
            if self.pending is not None and t not in self.wm.specials:
                pair = (self.pending, t)
                if pair not in self.seen:
                    self.seen.add(pair)
                    self.scored += 1
                    self.green += int(self.wm.green.mask_at(self.pending, t))
            self.pending = None
            self.scanner.feed(self.wm.pieces[t])
            self.fed += 1

    def __call__(self, history: list[int], logits: torch.Tensor) -> torch.Tensor:
        if self.start is None:
            self.start = len(history)
        self._read(history)
        gen_len = len(history) - self.start
        if gen_len < CONTEXT or self.scanner.inside:
            return logits
        prev = history[-1]
        if prev in self.wm.specials or prev >= self.wm.green.vocab_size:
            return logits
        self.pending = prev
        return logits + self.wm.bias(self.pending, logits)

    def settle(self, history: list[int]) -> tuple[int, int]:
        """Count the last token too (no call follows it); (scored, green)."""
        if self.start is not None:
            self._read(history)
        return self.scored, self.green
