"""The global stage's deduplication state, held within a memory budget.

Deduplication must remember every id and text it has kept, so its state grows with the
input. Here it grows in memory only up to a budget (`BuildConfig.memory_mb`); past it, the
older part moves to files in DIR/.work/ and memory stays where it was:
- `KeyTable`: uint64 key -> value (the near-duplicate index's band keys -> the kept post
  that first had them; first value wins). The newest keys sit in a numpy hash table (~24
  bytes a key); when it is full they are written out as a sorted run (a file of keys and
  one of values), and a Bloom filter of fixed size says which keys may be on disk, so
  nearly every absent key is answered without reading a run. This is how LSM stores
  (LevelDB, RocksDB) keep writes cheap: a spill is one sort and one sequential write.
- `KeySet`: the same without values (seen ids, exact-duplicate text hashes).
- `RowStore`: fixed-size rows by index, the newest in memory, the rest in a file (the
  kept posts' MinHash signatures).
- `Partitions`: rows of int64 spilled to files by a key's hash, so statistics per author
  are computed one partition at a time (the bot heuristics).
Files on disk are read through memory maps whose pages are dropped from this process after
each read (the page cache keeps them), so its peak RSS stays flat however large the input
grows; the price is a slower lookup for keys past the budget. Everything here is rebuilt by
every run of the global stage, so nothing is fsynced.
"""

from __future__ import annotations

import mmap
import os
from pathlib import Path

import numpy as np

NO_LIMIT = 1 << 62
MIN_ROWS = 64  # the least kept in memory, whatever the budget
READ_CHUNK = 2048  # lookups per binary search over a run on disk
# Signature rows per read from disk. On each fault the kernel also maps ~16 neighbouring
# pages (fault-around), so scattered rows hold ~64 KB each until released: 64 rows ~4 MB.
ROW_CHUNK = 64
FAULT_AROUND = 64 << 10


def _map(path: Path, dtype, shape) -> np.memmap:
    return np.memmap(path, dtype=dtype, mode="r", shape=shape)


def _release(m: np.memmap, start: int = 0, end: int | None = None) -> None:
    """Drop a map's pages (of bytes [start, end), widened by the fault-around) from this
    process; the page cache keeps them, so reads from disk never add to its RSS."""
    size = len(m._mmap)
    end = size if end is None else min(size, end + FAULT_AROUND)
    start = max(0, start - FAULT_AROUND) // mmap.PAGESIZE * mmap.PAGESIZE
    if end > start:
        m._mmap.madvise(mmap.MADV_DONTNEED, start, end - start)


class _Bloom:
    """A Bloom filter of fixed size over 64-bit keys that are already well-mixed hashes:
    each probe is a different multiply-shift of the key. Full past its size it answers
    "maybe" more often, which costs time, never a wrong answer."""

    MULTIPLIERS = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9)

    def __init__(self, nbytes: int):
        bits = max(6, int(nbytes * 8).bit_length() - 1)  # a power of two, at most nbytes
        self.shift = np.uint64(64 - bits)
        self.bits = np.zeros(1 << (bits - 3), dtype=np.uint8)

    def _probes(self, keys: np.ndarray):
        for m in self.MULTIPLIERS:
            p = (keys * np.uint64(m)) >> self.shift
            yield p >> np.uint64(3), (np.uint8(1) << (p & np.uint64(7)).astype(np.uint8))

    def add(self, keys: np.ndarray) -> None:
        for byte, bit in self._probes(keys):
            np.bitwise_or.at(self.bits, byte, bit)

    def may_contain(self, keys: np.ndarray) -> np.ndarray:
        out = np.ones(len(keys), dtype=bool)
        for byte, bit in self._probes(keys):
            out &= (self.bits[byte] & bit) != 0
        return out


class KeyTable:
    """uint64 key -> int32 value (first value wins), at most `max_keys` of them in memory;
    past that, sorted runs on disk named `path`.N.keys / .vals, behind a Bloom filter of
    `bloom_bytes`."""

    def __init__(self, path: Path, max_keys: int | None = None, bloom_bytes: int = 1 << 20):
        self.path = Path(path)
        self.max_keys = NO_LIMIT if max_keys is None else max(MIN_ROWS, int(max_keys))
        self.bloom_bytes = bloom_bytes
        self.mem = _Table()
        self.bloom: _Bloom | None = None
        self.runs: list[tuple[np.memmap, np.memmap]] = []
        self.on_disk = 0

    def __len__(self) -> int:
        return self.mem.size + self.on_disk

    @property
    def nbytes(self) -> int:
        return self.mem.nbytes + (self.bloom.bits.nbytes if self.bloom is not None else 0)

    def get(self, keys: np.ndarray) -> np.ndarray:
        """The value of each key, or -1."""
        keys = keys.astype(np.uint64, copy=False)
        out = self.mem.get(keys)
        if self.on_disk:
            miss = np.flatnonzero(out < 0)
            if len(miss):
                out[miss] = self._disk_get(keys[miss])
        return out

    def add_absent(self, keys: np.ndarray, vals: np.ndarray) -> None:
        """Insert keys that `get` just reported absent; a key given twice keeps its first value."""
        if not len(keys):
            return
        keys, first = np.unique(keys.astype(np.uint64, copy=False), return_index=True)
        if self.mem.size + len(keys) > self.max_keys:
            self._spill()
        self.mem.add_absent(keys, np.asarray(vals)[first])

    def _run_paths(self, i: int) -> tuple[Path, Path]:
        return self.path.with_name(f"{self.path.name}.{i}.keys"), self.path.with_name(
            f"{self.path.name}.{i}.vals"
        )

    def _spill(self) -> None:
        used = self.mem.vals != _Table.EMPTY
        k, v = self.mem.keys[used], self.mem.vals[used]
        self.mem = _Table()
        if not len(k):
            return
        order = np.argsort(k)
        kp, vp = self._run_paths(len(self.runs))
        k[order].tofile(kp)
        v[order].tofile(vp)
        if self.bloom is None:
            self.bloom = _Bloom(self.bloom_bytes)
        self.bloom.add(k)
        self.runs.append((_map(kp, np.uint64, (len(k),)), _map(vp, np.int32, (len(k),))))
        self.on_disk += len(k)

    def _disk_get(self, keys: np.ndarray) -> np.ndarray:
        out = np.full(len(keys), -1, dtype=np.int64)
        maybe = np.flatnonzero(self.bloom.may_contain(keys))
        if not len(maybe):
            return out
        order = np.argsort(keys[maybe])  # sorted queries walk each run from left to right
        maybe = maybe[order]
        q = keys[maybe]
        for run_keys, run_vals in self.runs:
            for i in range(0, len(q), READ_CHUNK):  # each chunk's pages are dropped before the next
                qi = q[i : i + READ_CHUNK]
                pos = np.minimum(np.searchsorted(run_keys, qi), len(run_keys) - 1)
                hit = np.asarray(run_keys[pos]) == qi
                if hit.any():
                    out[maybe[i : i + READ_CHUNK][hit]] = run_vals[pos[hit]]
                    _release(run_vals)
                _release(run_keys)
        return out

    def close(self) -> None:
        n, self.runs = len(self.runs), []
        for i in range(n):
            for p in self._run_paths(i):
                p.unlink(missing_ok=True)


class KeySet:
    """A set of 64-bit keys, at most `max_keys` of them in memory (see `KeyTable`)."""

    def __init__(self, path: Path, max_keys: int | None = None, bloom_bytes: int = 1 << 20):
        self.table = KeyTable(path, max_keys, bloom_bytes)

    def __len__(self) -> int:
        return len(self.table)

    def contains(self, keys: np.ndarray) -> np.ndarray:
        return self.table.get(keys) >= 0

    def add(self, keys: np.ndarray) -> np.ndarray:
        """Add `keys` in order; True where a key was already there (from an earlier call, or
        earlier in `keys`), as `x in s` then `s.add(x)` one key at a time would say."""
        keys = keys.astype(np.uint64, copy=False)
        if not len(keys):
            return np.zeros(0, dtype=bool)
        uniq, first, inv = np.unique(keys, return_index=True, return_inverse=True)
        had = self.contains(uniq)
        self.table.add_absent(uniq[~had], np.zeros(int((~had).sum()), dtype=np.int32))
        return had[inv] | (first[inv] != np.arange(len(keys)))

    def close(self) -> None:
        self.table.close()


class RowStore:
    """Fixed-size rows appended in order and read back by index; at most `max_rows` in
    memory, older rows in a file, read through a mapping whose pages are dropped after each read."""

    def __init__(self, path: Path, width: int, dtype, max_rows: int | None = None):
        self.path, self.width, self.dtype = Path(path), width, np.dtype(dtype)
        self.max_rows = NO_LIMIT if max_rows is None else max(MIN_ROWS, int(max_rows))
        self.mem = np.zeros((1024, width), dtype=self.dtype)
        self.n_mem = 0
        self.n_disk = 0
        self.fd: int | None = None
        self.map: np.memmap | None = None

    def __len__(self) -> int:
        return self.n_disk + self.n_mem

    @property
    def nbytes(self) -> int:
        return self.mem.nbytes

    def append(self, rows: np.ndarray) -> None:
        if self.n_mem + len(rows) > self.max_rows:
            self._spill()
        need = self.n_mem + len(rows)
        if need > len(self.mem):
            grown = np.zeros(
                (min(max(2 * len(self.mem), need), max(self.max_rows, need)), self.width), self.dtype
            )
            grown[: self.n_mem] = self.mem[: self.n_mem]
            self.mem = grown
        self.mem[self.n_mem : need] = rows
        self.n_mem = need

    def _spill(self) -> None:
        if self.fd is None:
            self.path.unlink(missing_ok=True)
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        os.write(self.fd, self.mem[: self.n_mem].tobytes())
        self.n_disk += self.n_mem
        self.n_mem = 0

    def take(self, idx: np.ndarray) -> np.ndarray:
        idx = np.asarray(idx, dtype=np.int64)
        out = np.empty((len(idx), self.width), dtype=self.dtype)
        mem = idx >= self.n_disk
        out[mem] = self.mem[idx[mem] - self.n_disk]
        if not mem.all():
            if self.map is None or len(self.map) < self.n_disk:
                self.map = _map(self.path, self.dtype, (self.n_disk, self.width))
            # Each row once, in file order, a chunk at a time: at most a chunk's pages are
            # mapped in at once, however large the file.
            rows, inv = np.unique(idx[~mem], return_inverse=True)
            got = np.empty((len(rows), self.width), dtype=self.dtype)
            row_bytes = self.width * self.dtype.itemsize
            for i in range(0, len(rows), ROW_CHUNK):
                chunk = rows[i : i + ROW_CHUNK]
                got[i : i + ROW_CHUNK] = self.map[chunk]
                _release(self.map, int(chunk[0]) * row_bytes, (int(chunk[-1]) + 1) * row_bytes)
            out[~mem] = got[inv]
        return out

    def close(self) -> None:
        self.map = None
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        self.path.unlink(missing_ok=True)


class Partitions:
    """Rows of `width` int64 values, spilled to `n` files by the hash of their first value,
    so that all rows with one key land in one file and each file fits the memory budget."""

    def __init__(self, folder: Path, name: str, n: int, width: int):
        self.n, self.width = max(1, n), width
        self.paths = [Path(folder) / f"{name}-{i:04d}.bin" for i in range(self.n)]
        # Open for the whole pass: rows arrive in batches, each touching many partitions.
        self.files = [open(p, "wb", buffering=1 << 16) for p in self.paths]  # noqa: SIM115

    def add(self, rows: np.ndarray) -> None:
        if not len(rows):
            return
        if self.n == 1:
            self.files[0].write(np.ascontiguousarray(rows, dtype=np.int64).tobytes())
            return
        part = (rows[:, 0].view(np.uint64) * np.uint64(0x9E3779B97F4A7C15) >> np.uint64(40)) % np.uint64(
            self.n
        )
        order = np.argsort(part, kind="stable")
        rows, part = rows[order], part[order]
        bounds = np.searchsorted(part, np.arange(self.n + 1, dtype=np.uint64))
        for i in np.flatnonzero(np.diff(bounds)).tolist():
            self.files[i].write(
                np.ascontiguousarray(rows[bounds[i] : bounds[i + 1]], dtype=np.int64).tobytes()
            )

    def __iter__(self):
        """Each partition's rows [m, width], one partition at a time."""
        for f in self.files:
            f.close()
        for p in self.paths:
            yield np.fromfile(p, dtype=np.int64).reshape(-1, self.width)

    def close(self) -> None:
        for f, p in zip(self.files, self.paths):
            f.close()
            p.unlink(missing_ok=True)


class _Table:
    """uint64 key -> int64 value, open addressing with linear probing, every operation on a
    whole array of keys at once. A key keeps the first value it was given (`add_new`), as
    `dict.setdefault` would. 12 bytes a slot at a load of 0.35 to 0.7: ~17 to 34 bytes a key,
    where a dict of Python ints takes ~100. Values are int32: 2^31 kept posts is plenty.
    """

    EMPTY = -1

    def __init__(self, capacity: int = 1 << 16):
        self.keys = np.zeros(capacity, dtype=np.uint64)
        self.vals = np.full(capacity, self.EMPTY, dtype=np.int32)
        self.size = 0

    @property
    def nbytes(self) -> int:
        return self.keys.nbytes + self.vals.nbytes

    def _slots(self, keys: np.ndarray) -> np.ndarray:
        # Fibonacci hashing: the top bits of key * golden ratio, so similar keys spread out.
        shift = np.uint64(64 - (len(self.keys).bit_length() - 1))
        return ((keys * np.uint64(0x9E3779B97F4A7C15)) >> shift).astype(np.int64)

    def get(self, keys: np.ndarray) -> np.ndarray:
        out = np.full(len(keys), self.EMPTY, dtype=np.int64)
        slot = self._slots(keys)
        active = np.arange(len(keys))
        mask = len(self.keys) - 1
        while len(active):
            s = slot[active]
            v = self.vals[s]
            hit = (v != self.EMPTY) & (self.keys[s] == keys[active])
            out[active[hit]] = v[hit]
            go = (v != self.EMPTY) & ~hit
            slot[active[go]] = (s[go] + 1) & mask
            active = active[go]
        return out

    def add_absent(self, keys: np.ndarray, vals: np.ndarray) -> None:
        """Insert keys known to be absent; a key given twice keeps its first value."""
        if not len(keys):
            return
        keys, first = np.unique(keys, return_index=True)
        vals = vals[first]
        if 10 * (self.size + len(keys)) > 7 * len(self.keys):  # keep the load at most 0.7
            used = self.vals != self.EMPTY
            old_k, old_v = self.keys[used], self.vals[used]
            cap = len(self.keys)
            while 10 * (self.size + len(keys)) > 7 * cap:
                cap *= 2
            self.keys = np.zeros(cap, dtype=np.uint64)
            self.vals = np.full(cap, self.EMPTY, dtype=np.int32)
            self.size = 0
            self._place(old_k, old_v)
        self._place(keys, vals)

    def _place(self, keys: np.ndarray, vals: np.ndarray) -> None:
        """Put distinct, absent keys into empty slots. Keys that race for one free slot all
        write it; the one whose write stuck has it, the others probe on."""
        slot = self._slots(keys)
        mask = len(self.keys) - 1
        active = np.arange(len(keys))
        while len(active):
            s = slot[active]
            free = self.vals[s] == self.EMPTY
            self.keys[s[free]] = keys[active[free]]
            won = free & (self.keys[s] == keys[active])
            self.vals[s[won]] = vals[active[won]]
            rest = ~won
            slot[active[rest]] = np.where(free[rest], s[rest], (s[rest] + 1) & mask)
            active = active[rest]
        self.size += len(keys)
