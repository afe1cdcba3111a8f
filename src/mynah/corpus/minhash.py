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
- Kept signatures are stored as the low 16 bits of each minimum: two different minima
  agree by chance with probability 2^-16, which moves a Jaccard estimate by < 0.0001, and
  it halves the memory per kept post. The band keys live in one numpy hash table
  (~24 bytes a key) rather than 32 dicts of Python ints (~100): about 1 KB a kept post in
  all, where it was 5. Past `max_kept_in_memory` kept posts, older keys and signatures
  move to disk (mynah.corpus.state) and the decisions stay the same.
- Hashing is numpy multiply-shift on 32-bit shingle hashes, seeded, so signatures are the
  same in every process and on every engine: the kept set does not depend on who computed it.

The first post of a near-duplicate group (in input order) is kept, the rest rejected.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mynah.corpus.state import KeyTable, RowStore

NUM_PERM, BANDS, NGRAM = 128, 32, 5


class NearDuplicates:
    def __init__(
        self,
        threshold: float = 0.7,
        num_perm: int = NUM_PERM,
        bands: int = BANDS,
        ngram: int = NGRAM,
        seed: int = 1,
        spill_dir: Path | None = None,
        max_kept_in_memory: int | None = None,
        bloom_bytes: int = 1 << 20,
    ):
        """`max_kept_in_memory` kept posts (band keys and signatures) stay in memory; older
        ones move to files in `spill_dir`, behind a Bloom filter of `bloom_bytes` (see
        `mynah.corpus.state`). None: no limit."""
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
        # Each band's key is salted with the band number so all bands share one table.
        self.salt = rng.integers(1, 2**63, bands, dtype=np.uint64)
        if max_kept_in_memory is not None and spill_dir is None:
            raise ValueError("max_kept_in_memory needs a spill_dir")
        spill = Path(spill_dir or ".")
        self.table = KeyTable(
            spill / "near-bands", max_kept_in_memory and max_kept_in_memory * bands, bloom_bytes
        )
        # Kept signatures, 16 bits of each minimum (see the module docstring).
        self.sigs = RowStore(spill / "near-sigs.bin", num_perm, np.uint16, max_kept_in_memory)

    @property
    def kept(self) -> int:
        return len(self.sigs)

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
        # Window k of the batch starts at byte k + (n - 1) * (the number of posts before its
        # own): each post's last n - 1 bytes start no window.
        lens = np.fromiter((len(p) for p in parts), dtype=np.int64, count=len(parts))
        offsets = np.arange(total, dtype=np.int64) + np.repeat(np.arange(len(parts)) * (n - 1), lens - n + 1)
        h = np.zeros(total, dtype=np.uint64)
        for k in range(n):  # FNV-style mix of each n-byte window
            h = (h ^ buf[offsets + k]) * np.uint64(1099511628211)
        h = (h ^ (h >> np.uint64(32))) & np.uint64(0xFFFFFFFF)
        # Multiply-shift universal hashing: the top 32 bits of (a*h + c) mod 2^64, one row per
        # permutation. 8 permutations at a time keep the working array in cache (all 128 at
        # once is 2.7x slower: 8 bytes x 128 x ~80k shingles goes through main memory).
        starts = np.asarray(starts)
        out = np.empty((len(texts), len(self.a)), dtype=np.uint32)
        tmp = np.empty((8, total), dtype=np.uint64)
        for p in range(0, len(self.a), 8):
            rows = tmp[: len(self.a[p : p + 8])]
            np.multiply(self.a[p : p + 8], h[None, :], out=rows)
            rows += self.c[p : p + 8]
            rows >>= np.uint64(32)
            out[:, p : p + 8] = np.minimum.reduceat(rows, starts, axis=1).T
        return out

    def signature(self, text: str) -> np.ndarray:
        return self.signatures([text])[0]

    def band_keys(self, sigs: np.ndarray) -> np.ndarray:
        """One 64-bit key per band for each signature row [n, bands]: the band's rows mixed
        into one integer, salted with the band number."""
        n = len(sigs)
        keys = (sigs.reshape(n, self.bands, self.rows).astype(np.uint64) * self.mix).sum(axis=2)
        keys = (keys ^ self.salt) * np.uint64(0x9E3779B97F4A7C15)
        return keys ^ (keys >> np.uint64(29))

    def check_add(self, text: str) -> int | None:
        """Index of an earlier kept post this one nearly duplicates, or None (and remember it)."""
        return self.check_add_batch([text])[0]

    def check_add_batch(self, texts: list[str]) -> list[int | None]:
        """`check_add` for each text in order (a later text can match an earlier one of the batch)."""
        return self.check_add_signatures(self.signatures(texts)) if texts else []

    def check_add_signatures(self, sigs: np.ndarray) -> list[int | None]:
        """The decisions for a batch of signatures, exactly as one post at a time in order.

        A post's candidates are, band by band, the first kept post with the same band key;
        the first candidate whose signature agrees on >= threshold of its minima is the
        match. The table lookups, the in-batch key collisions and the signature comparisons
        are numpy operations over the batch; only the posts that have a candidate at all (a
        few per cent of distinct posts) take a Python step.
        """
        b = len(sigs)
        if b == 0:
            return []
        sigs16 = sigs.astype(np.uint16)
        keys = self.band_keys(sigs)
        flat = keys.ravel()
        found = self.table.get(flat).reshape(b, self.bands)  # kept posts of earlier batches, or -1
        _, first, inv, counts = np.unique(flat, return_index=True, return_inverse=True, return_counts=True)
        inv = inv.reshape(b, self.bands)
        shared = (counts[inv] > 1) & (found < 0)  # a key another post of this batch also has
        later = shared & (first[inv] < np.arange(b * self.bands).reshape(b, self.bands))
        need = self.threshold * sigs.shape[1]
        # Candidates from earlier batches never change: confirm them all at once.
        ok = np.zeros((b, self.bands), dtype=bool)
        r, c = np.nonzero(found >= 0)
        if len(r):
            ok[r, c] = np.count_nonzero(self.sigs.take(found[r, c]) == sigs16[r], axis=1) >= need
        first_ok = np.where(ok.any(axis=1), ok.argmax(axis=1), -1)
        dup = first_ok >= 0
        out: list[int | None] = [
            int(found[i, k]) if k >= 0 else None for i, k in enumerate(first_ok.tolist())
        ]
        # A post with a key shared inside the batch depends on the posts before it: those
        # take a Python step, in order (a few per cent of distinct posts).
        local: dict[int, int] = {}  # shared key -> batch row of the first kept post that has it
        for i in np.flatnonzero(shared.any(axis=1)).tolist():
            if later[i].any():
                match = None
                for band in np.flatnonzero(ok[i] | later[i]).tolist():
                    if ok[i, band]:
                        match = int(found[i, band])
                        break
                    j = local.get(int(keys[i, band]), -1)
                    if j >= 0 and np.count_nonzero(sigs16[j] == sigs16[i]) >= need:
                        match = self.kept + j - int(np.count_nonzero(dup[:j]))
                        break
                out[i], dup[i] = match, match is not None
            if not dup[i]:
                for band in np.flatnonzero(shared[i]).tolist():
                    local.setdefault(int(keys[i, band]), i)
        kept_rows = ~dup
        self._store(sigs16[kept_rows], keys[kept_rows], found[kept_rows] < 0)
        return out

    def _store(self, sigs: np.ndarray, keys: np.ndarray, absent: np.ndarray) -> None:
        n = len(sigs)
        idx = np.repeat(np.arange(self.kept, self.kept + n, dtype=np.int32), self.bands).reshape(
            n, self.bands
        )
        self.sigs.append(sigs)
        self.table.add_absent(keys[absent], idx[absent])

    @property
    def nbytes(self) -> int:
        """Memory held for the kept posts (signatures and band table)."""
        return self.sigs.nbytes + self.table.nbytes

    def close(self) -> None:
        self.table.close()
        self.sigs.close()
