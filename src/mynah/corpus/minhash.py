"""Near-duplicate detection for short posts: MinHash signatures with LSH banding.

Parameters, and why:
- Shingles are 5-byte character windows of the lower-cased text, not word n-grams. A post
  has ~15 words, so word 3-grams give ~13 shingles and one edited word changes 3 of them;
  character 5-grams give ~80, and the same edit changes at most ~5, so the Jaccard
  estimate of "the same post with an emoji added" stays high.
- 128 permutations in 32 bands of 4 rows: a pair with Jaccard s becomes a candidate with
  probability 1 - (1 - s^4)^32: 0.9 -> 1.0, 0.8 -> 1.0, 0.7 -> 0.9999, 0.5 -> 0.87,
  0.3 -> 0.23. Recall at the 0.7 threshold is what matters (16 x 8 would find only 61% of
  pairs at exactly 0.7), and the extra low-similarity candidates are cheap to discard:
  each is confirmed by its signatures' Jaccard estimate >= the threshold.
- Hashing is numpy multiply-shift on 32-bit shingle hashes, seeded, so signatures are the
  same in every process and on every engine: the kept set does not depend on who computed it.

The first post of a near-duplicate group (in input order) is kept, the rest rejected.
"""

from __future__ import annotations

import numpy as np

NUM_PERM, BANDS, NGRAM = 128, 32, 5


class NearDuplicates:
    def __init__(
        self,
        threshold: float = 0.7,
        num_perm: int = NUM_PERM,
        bands: int = BANDS,
        ngram: int = NGRAM,
        seed: int = 1,
    ):
        if num_perm % bands:
            raise ValueError("num_perm must be a multiple of bands")
        rng = np.random.default_rng(seed)
        # Multiply-shift needs full 64-bit odd multipliers and a product that wraps mod 2^64;
        # with 32-bit multipliers (a*h) >> 32 is nearly monotonic in h, so every
        # "permutation" would pick the same minimum shingle.
        self.a = (rng.integers(0, 2**64 - 1, num_perm, dtype=np.uint64, endpoint=True) | np.uint64(1))[
            :, None
        ]
        self.c = rng.integers(0, 2**64 - 1, num_perm, dtype=np.uint64, endpoint=True)[:, None]
        self.mix = rng.integers(1, 2**63, num_perm // bands, dtype=np.uint64)
        self.threshold, self.bands, self.rows, self.ngram = threshold, bands, num_perm // bands, ngram
        self.tables: list[dict[int, int]] = [{} for _ in range(bands)]
        self._sigs: list[np.ndarray] = []

    def signature(self, text: str) -> np.ndarray:
        b = np.frombuffer(text.lower().encode("utf-8"), dtype=np.uint8).astype(np.uint64)
        n = self.ngram
        if len(b) < n:
            b = np.concatenate([b, np.zeros(n - len(b), np.uint64)])
        h = np.zeros(len(b) - n + 1, dtype=np.uint64)
        for k in range(n):  # FNV-style mix of each n-byte window, vectorized over windows
            h = (h ^ b[k : k + len(h)]) * np.uint64(1099511628211)
        h = (h ^ (h >> np.uint64(32))) & np.uint64(0xFFFFFFFF)
        # multiply-shift universal hashing: top 32 bits of (a*h + c) mod 2^64, one row per permutation
        return ((self.a * h[None, :] + self.c) >> np.uint64(32)).min(axis=1).astype(np.uint32)

    def _band_keys(self, sig: np.ndarray) -> list[int]:
        return (sig.reshape(self.bands, self.rows).astype(np.uint64) * self.mix).sum(axis=1).tolist()

    def check_add(self, text: str) -> int | None:
        """Index of an earlier kept post this one nearly duplicates, or None (and remember it)."""
        sig = self.signature(text)
        keys = self._band_keys(sig)
        seen: set[int] = set()
        for table, key in zip(self.tables, keys):
            j = table.get(key)
            if j is not None and j not in seen:
                seen.add(j)
                if float(np.mean(self._sigs[j] == sig)) >= self.threshold:
                    return j
        idx = len(self._sigs)
        self._sigs.append(sig)
        for table, key in zip(self.tables, keys):
            table.setdefault(key, idx)
        return None
