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

    def signatures(self, texts: list[str]) -> np.ndarray:
        """MinHash signatures [len(texts), num_perm] (uint32), computed for the batch at once.

        Per-post numpy calls cost more in overhead than in arithmetic for posts this short,
        so all shingles of the batch are hashed together and each post's minimum is taken
        over its own segment with `np.minimum.reduceat`.
        """
        n = self.ngram
        parts, starts, total = [], [], 0
        for text in texts:
            b = text.lower().encode("utf-8")
            if len(b) < n:
                b = b + bytes(n - len(b))
            parts.append(b)
            starts.append(total)
            total += len(b) - n + 1
        buf = np.frombuffer(b"".join(parts), dtype=np.uint8).astype(np.uint64)
        # window k of post i starts at byte offset (its start in buf) + k; build that index once
        offsets = np.zeros(total, dtype=np.int64)
        pos = 0
        for part, start in zip(parts, starts):
            m = len(part) - n + 1
            offsets[start : start + m] = np.arange(pos, pos + m)
            pos += len(part)
        h = np.zeros(total, dtype=np.uint64)
        for k in range(n):  # FNV-style mix of each n-byte window
            h = (h ^ buf[offsets + k]) * np.uint64(1099511628211)
        h = (h ^ (h >> np.uint64(32))) & np.uint64(0xFFFFFFFF)
        # multiply-shift universal hashing: top 32 bits of (a*h + c) mod 2^64, one row per permutation
        hashed = (self.a * h[None, :] + self.c) >> np.uint64(32)
        return np.minimum.reduceat(hashed, np.asarray(starts), axis=1).T.astype(np.uint32)

    def signature(self, text: str) -> np.ndarray:
        return self.signatures([text])[0]

    def band_keys(self, sigs: np.ndarray) -> list[list[int]]:
        """One 64-bit key per band for each signature row (a band's rows mixed into one int)."""
        n = len(sigs)
        return (sigs.reshape(n, self.bands, self.rows).astype(np.uint64) * self.mix).sum(axis=2).tolist()

    def check_add(self, text: str) -> int | None:
        """Index of an earlier kept post this one nearly duplicates, or None (and remember it)."""
        return self.check_add_batch([text])[0]

    def check_add_batch(self, texts: list[str]) -> list[int | None]:
        """`check_add` for each text in order (a later text can match an earlier one of the batch)."""
        sigs = self.signatures(texts)
        return [self.check_add_signature(sig, keys) for sig, keys in zip(sigs, self.band_keys(sigs))]

    def check_add_signature(self, sig: np.ndarray, keys: list[int]) -> int | None:
        seen: set[int] = set()
        need = self.threshold * len(sig)
        for table, key in zip(self.tables, keys):
            j = table.get(key)
            if j is not None and j not in seen:
                seen.add(j)
                if np.count_nonzero(self._sigs[j] == sig) >= need:
                    return j
        idx = len(self._sigs)
        self._sigs.append(sig)
        for table, key in zip(self.tables, keys):
            table.setdefault(key, idx)
        return None
