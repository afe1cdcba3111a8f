"""The watermark as a logits processor: one `WatermarkProcessor` per sequence, sharing a
`Watermarker` (the key's green lists and a cache of bias rows) across the batch.

It adds DELTA to the green tokens' logits before sampling, greedy decoding included (so
greedy output changes with the watermark on). It runs after the constraints (see
processors/__init__.py): adding a bias to a forbidden token's -inf leaves it forbidden.
The first generated token is neither biased nor counted (its context is the prompt, which
the detector never sees); every later one is biased, inside quotes too (there the quote
constraint fixes a grounded answer's copied words; see provenance/watermark.py for why a
quote mark must not switch the watermark off).

Each processor also makes, as it goes, the detector's two counts (scored tokens and green
ones, repeated (context, token) pairs once): without the tokens that begin inside a quote,
and with every token. The detector's counts on the decoded text must equal them
(tests/test_watermark.py).
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import torch

from mynah.provenance.watermark import _PAIRS, CONTEXT, GreenList, QuoteScanner, Scheme

_QUOTE_BYTES = {b for pair in _PAIRS.items() for mark in pair for b in mark}


class Watermarker:
    """One key, one vocabulary: the green lists, the token bytes the quote rule reads, and
    the bias rows already built (a row per context token; bounded, least recently used)."""

    def __init__(self, key: bytes, tok, scheme: Scheme | None = None, cache_bytes: int = 64 << 20):
        self.green = GreenList(key, tok.vocab_size, scheme)
        self.scheme = self.green.scheme
        self.key_id = self.green.key_id
        self.pieces = [tok.piece_bytes(i) for i in range(tok.vocab_size)]
        # tokens none of whose bytes can take part in a quote mark: the scanner can skip them
        self.plain = [not (_QUOTE_BYTES & set(p)) for p in self.pieces]
        self.specials = frozenset(tok._specials)
        self._rows: OrderedDict = OrderedDict()
        self._max_rows = max(16, cache_bytes // (4 * tok.vocab_size))
        # When every context's row fits the budget (a 4k vocabulary: 64 MB), rows live in a
        # plain list by context, for the first kind of logits seen: no key, no LRU upkeep on
        # the per-token path. Larger vocabularies (or a second kind) use the LRU.
        self._dense: list | None = [None] * tok.vocab_size if tok.vocab_size <= self._max_rows else None
        self._dense_kind: tuple | None = None

    def bias(self, prev: int, like: torch.Tensor, kind: tuple | None = None) -> torch.Tensor:
        """The row to add after context `prev`, for logits like `like`. `kind` is
        (device, dtype, width) of those logits: a processor computes it once, because
        reading a tensor's device and dtype on every token costs more than the lookup."""
        kind = kind or (like.device, like.dtype, like.shape[-1])
        if self._dense is not None:
            if self._dense_kind is None:
                self._dense_kind = kind
            if kind == self._dense_kind:
                row = self._dense[prev]
                if row is None:
                    row = self._dense[prev] = self._build(prev, kind)
                return row
        key = (prev, kind)
        row = self._rows.get(key)
        if row is None:
            row = self._rows[key] = self._build(prev, kind)
            if len(self._rows) > self._max_rows:
                self._rows.popitem(last=False)
        else:
            self._rows.move_to_end(key)
        return row

    def warm(self, device, dtype, width: int) -> None:
        """Build every context's row now, for logits of this kind, where they all fit (the
        dense case): a fresh server then pays nothing the first time it meets a context.
        About 0.3 s and 64 MB for a 4k vocabulary; larger ones stay lazy (the LRU)."""
        if self._dense is None:
            return
        self._dense_kind = (torch.device(device), dtype, width)
        self._dense = list(self.rows(range(self.green.vocab_size), self._dense_kind))

    def rows(self, prevs, kind: tuple) -> torch.Tensor:
        """[len(prevs), width]: DELTA where a token is green after each context; zero past
        the tokenizer's vocabulary (a model's logits may be padded), built 256 at a time."""
        device, dtype, width = kind
        prevs = np.asarray(prevs, dtype=np.int64)
        n = min(width, self.green.vocab_size)
        out = torch.zeros(len(prevs), width, dtype=torch.float32)
        for lo in range(0, len(prevs), 256):
            mask = self.green.masks(prevs[lo : lo + 256])[:, :n]
            out[lo : lo + 256, :n] = torch.from_numpy(mask.astype(np.float32) * self.scheme.delta)
        return out.to(device=device, dtype=dtype)

    def _build(self, prev: int, kind: tuple) -> torch.Tensor:
        return self.rows([prev], kind)[0]

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
        self.pending: int | None = None  # the context of the token being chosen
        self.pending_outside = False  # ... and whether that token begins outside any quote
        self.kind: tuple | None = None  # (device, dtype, width) of this sequence's logits
        self.seen: set[tuple[int, int]] = set()
        self.seen_all: set[tuple[int, int]] = set()
        self.scored = self.green = 0  # without the quoted tokens
        self.scored_all = self.green_all = 0  # with every token

    def _read(self, history: list[int]) -> None:
        v = self.wm.green.vocab_size
        for i in range(self.start + self.fed, len(history)):  # the tokens new since the last call
            t = history[i]
            if t >= v:  # a padded logit row past the tokenizer's vocabulary: no text, no score
                self.pending = None
                self.fed += 1
                continue
            if self.pending is not None and t not in self.wm.specials:
                pair = (self.pending, t)
                if pair not in self.seen_all:  # a pair new to every count is new to the other
                    g = int(self.wm.green.mask_at(self.pending, t))
                    self.seen_all.add(pair)
                    self.scored_all += 1
                    self.green_all += g
                    if self.pending_outside:
                        self.seen.add(pair)
                        self.scored += 1
                        self.green += g
                elif self.pending_outside and pair not in self.seen:
                    self.seen.add(pair)
                    self.scored += 1
                    self.green += int(self.wm.green.mask_at(self.pending, t))
            self.pending = None
            if self.wm.plain[t]:  # what feeding its bytes would do, without the byte loop
                self.scanner.pending = self.scanner.closing = b""
            else:
                self.scanner.feed(self.wm.pieces[t])
            self.fed += 1

    def __call__(self, history: list[int], logits: torch.Tensor) -> torch.Tensor:
        if self.start is None:
            self.start = len(history)
        self._read(history)
        if len(history) - self.start < CONTEXT:
            return logits
        prev = history[-1]
        if prev in self.wm.specials or prev >= self.wm.green.vocab_size:
            return logits
        self.pending, self.pending_outside = prev, not self.scanner.inside
        if self.kind is None:
            self.kind = (logits.device, logits.dtype, logits.shape[-1])
        return logits + self.wm.bias(prev, logits, self.kind)

    def settle(self, history: list[int]) -> tuple[tuple[int, int], tuple[int, int]]:
        """Count the last token too (no call follows it); ((scored, green) without the quoted
        tokens, (scored, green) with every token): the detector's two counts."""
        if self.start is not None:
            self._read(history)
        return (self.scored, self.green), (self.scored_all, self.green_all)
