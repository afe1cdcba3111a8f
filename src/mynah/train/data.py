"""Training data: posts JSONL or a corpus folder in, token streams and batches out.

A corpus folder is what `mynah corpus build` writes and what training reads:

    DIR/tokenizer.json, DIR/tokenizer_config.json   the tokenizer the ids belong to
    DIR/tokens/index.json                           {"dtype", "shards": [{"file", "split", "tokens"}]}
    DIR/tokens/{split}-NNNNN.bin                    raw little-endian ids, memory-mapped

Each post is framed `<|endoftext|> text`. Training from a posts JSONL first builds such a
folder inside the run (train the tokenizer, split by conversation, tokenize), so there is
one reading path, and a resumed run reuses the exact ids of the first.

Batches are a pure function of (seed, step, rank): sample g of the run is window
perm_epoch[g mod n] of the stream. Resuming at step s therefore needs no saved data
cursor, and 2 processes see exactly the samples 1 process would at the same global batch.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mynah.atomic import write_text
from mynah.corpus.readers import has_lone_surrogate
from mynah.tokenizer import Tokenizer, train_tokenizer

if TYPE_CHECKING:
    import torch


class DataError(ValueError):
    """Unusable training data; the message names the file (and line) and what is wrong."""


def read_jsonl(path: str | os.PathLike) -> Iterator[tuple[int, dict]]:
    """Yield (line number, object) for each JSON object line; bad lines are reported and
    skipped. `.gz` and `.zst` are read too; one cut short gives its whole lines and a warning."""
    from mynah.corpus.readers import damage_of, open_text

    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: file not found")
    if not path.is_file():
        raise DataError(f"{path}: not a file")
    if path.stat().st_size == 0:
        raise DataError(f"{path}: file is empty")
    bad = 0
    with open_text(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError as e:
                bad += 1
                if bad <= 5:
                    print(f"warning: {path}:{n}: skipped, not valid JSON ({e.msg})", file=sys.stderr)
                continue
            if not isinstance(obj, dict):
                bad += 1
                if bad <= 5:
                    print(f"warning: {path}:{n}: skipped, not a JSON object", file=sys.stderr)
                continue
            if has_lone_surrogate(line, obj):
                bad += 1
                if bad <= 5:
                    print(f"warning: {path}:{n}: skipped, it escapes a lone surrogate", file=sys.stderr)
                continue
            yield n, obj
        damage = damage_of(path, f)
        if damage is not None:
            print(
                f"warning: {damage.source}: {damage.reason}; the lines before it were read", file=sys.stderr
            )
    if bad > 5:
        print(f"warning: {path}: {bad} malformed lines skipped in all", file=sys.stderr)


def load_posts(path: str | os.PathLike) -> list[dict]:
    posts = []
    for n, obj in read_jsonl(path):
        if not isinstance(obj.get("text"), str) or not obj["text"].strip():
            print(f"warning: {path}:{n}: skipped, no 'text' field", file=sys.stderr)
            continue
        posts.append(obj)
    if not posts:
        raise DataError(f"{path}: no usable posts (each line must be a JSON object with a 'text' field)")
    return posts


def key64(text: str) -> int:
    """A stable 64-bit hash: the same in every process, engine and run (`corpus build`
    computes its keys with it in parallel workers, and the split must be reproducible)."""
    return int.from_bytes(
        hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little"
    )


def is_validation(key: str, val_frac: float) -> bool:
    """Split by conversation: a stable hash keeps every post of a thread on one side."""
    return key64(key) / 2**64 < val_frac


class TokenStream:
    """A split's shards as one logical array of ids, read window by window via memmap."""

    def __init__(self, arrays: list[np.ndarray]):
        self.arrays = [a for a in arrays if len(a)]
        self.offsets = np.cumsum([0] + [len(a) for a in self.arrays])

    def __len__(self) -> int:
        return int(self.offsets[-1])

    def window(self, start: int, length: int) -> np.ndarray:
        out, pos = [], start
        while length > 0:
            i = int(np.searchsorted(self.offsets, pos, side="right")) - 1
            a = self.arrays[i]
            take = min(length, len(a) - (pos - int(self.offsets[i])))
            out.append(a[pos - int(self.offsets[i]) : pos - int(self.offsets[i]) + take])
            pos += take
            length -= take
        return np.concatenate(out).astype(np.int64)


class TokenShards:
    """Token shards of each split written as documents arrive, in any order of splits.

    Each document goes straight to its shard's temp file (memory stays flat whatever the
    shard size); a full shard lands by rename, and `close` writes the index last."""

    def __init__(self, out: str | os.PathLike, tokenizer: Tokenizer, shard_tokens: int = 1 << 24):
        self.dir = Path(out) / "tokens"
        self.dir.mkdir(parents=True, exist_ok=True)
        tokenizer.save(out)
        self.dtype = np.uint16 if tokenizer.vocab_size <= 65536 else np.uint32
        self.shard_tokens = shard_tokens
        self.open: dict[str, tuple] = {}  # split -> (part, tokens, file)
        self.parts: dict[str, int] = {}
        self.shards: list[dict] = []
        self.tokens: dict[str, int] = {}

    def add(self, split: str, ids: list[int]) -> None:
        part, n, fh = self.open.get(split) or self._start(split)
        fh.write(np.asarray(ids, dtype=self.dtype).tobytes())
        n += len(ids)
        self.tokens[split] = self.tokens.get(split, 0) + len(ids)
        self.open[split] = (part, n, fh)
        if n >= self.shard_tokens:
            self._land(split)

    def add_batch(self, split: str, docs: list[list[int]], prefix: int | None = None) -> None:
        """Many documents at once, each after `prefix` if given (one write, not one a document)."""
        if not docs:
            return
        lens = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
        flat = np.fromiter(itertools.chain.from_iterable(docs), dtype=self.dtype, count=int(lens.sum()))
        if prefix is not None:
            flat = np.insert(flat, np.cumsum(lens) - lens, prefix)
        part, n, fh = self.open.get(split) or self._start(split)
        fh.write(flat.tobytes())
        n += len(flat)
        self.tokens[split] = self.tokens.get(split, 0) + len(flat)
        self.open[split] = (part, n, fh)
        if n >= self.shard_tokens:
            self._land(split)

    def _start(self, split: str) -> tuple:
        part = self.parts.get(split, 0)
        fh = open(self.dir / f"{split}-{part:05d}.bin.tmp", "wb")  # noqa: SIM115 (closed in _land)
        return part, 0, fh

    def _land(self, split: str) -> None:
        part, n, fh = self.open.pop(split)
        fh.close()
        name = f"{split}-{part:05d}.bin"
        os.replace(self.dir / (name + ".tmp"), self.dir / name)
        self.shards.append({"file": name, "split": split, "tokens": n})
        self.parts[split] = part + 1

    def close(self, splits: Iterable[str] = ()) -> None:
        """Land the open shards (and an empty one for each of `splits` that got nothing)."""
        for split in splits:
            if split not in self.open and split not in self.parts:
                self.open[split] = self._start(split)
        for split in list(self.open):
            self._land(split)
        order = {k: i for i, k in enumerate(dict.fromkeys([*splits, *(s["split"] for s in self.shards)]))}
        self.shards.sort(key=lambda s: (order[s["split"]], s["file"]))
        index = {"dtype": np.dtype(self.dtype).name, "shards": self.shards}
        write_text(self.dir / "index.json", json.dumps(index, indent=2))


def write_corpus(
    out: str | os.PathLike,
    tokenizer: Tokenizer,
    splits: dict[str, Iterable[list[int]]],
    shard_tokens: int = 1 << 24,
) -> Path:
    """Write tokenizer + token shards; each shard and the index land by rename."""
    shards = TokenShards(out, tokenizer, shard_tokens)
    for split, docs in splits.items():
        for ids in docs:
            shards.add(split, ids)
    shards.close(splits)
    return Path(out)


def corpus_from_posts(
    posts_path: str | os.PathLike, out: str | os.PathLike, vocab_size: int, val_frac: float = 0.05
) -> Path:
    """posts.jsonl -> corpus folder: tokenizer trained on the training split only."""
    posts = load_posts(posts_path)
    train, val = [], []
    for p in posts:
        key = str(p.get("conversation_id") or p.get("id") or p["text"])
        (val if is_validation(key, val_frac) else train).append(p["text"])
    if not train:
        raise DataError(f"{posts_path}: every post fell in the validation split; add more posts")
    if not val:  # tiny inputs: still validate on something
        val = train[-1:]
    tok = train_tokenizer(train, vocab_size=vocab_size)
    enc = lambda texts: ([tok.eot_id, *ids] for ids in tok.encode_batch(texts))
    return write_corpus(out, tok, {"train": enc(train), "val": enc(val)})


def open_corpus(path: str | os.PathLike) -> tuple[Tokenizer, dict[str, TokenStream]]:
    path = Path(path)
    index_file = path / "tokens" / "index.json"
    if not index_file.exists():
        raise DataError(
            f"{path}: not a corpus folder (no tokens/index.json); pass a posts .jsonl or the output of `mynah corpus build`"
        )
    index = json.loads(index_file.read_text())
    tok = Tokenizer.load(path)
    splits: dict[str, list[np.ndarray]] = {}
    for s in index["shards"]:
        f = path / "tokens" / s["file"]
        if not f.exists():
            raise DataError(f"{f}: shard listed in {index_file} is missing")
        arr = (
            np.memmap(f, dtype=index["dtype"], mode="r") if s["tokens"] else np.zeros(0, dtype=index["dtype"])
        )
        splits.setdefault(s["split"], []).append(arr)
    streams = {k: TokenStream(v) for k, v in splits.items()}
    if len(streams.get("train", [])) < 2:
        raise DataError(f"{path}: the train split has no tokens")
    return tok, streams


class EpochOrder:
    """Sample g of a run -> item index: a fresh seeded permutation of n items per epoch."""

    def __init__(self, n: int, seed: int):
        self.n, self.seed = n, seed
        self._epoch, self._perm = -1, np.arange(0)

    def __getitem__(self, g: int) -> int:
        epoch, i = divmod(g, self.n)
        if epoch != self._epoch:
            self._perm = np.random.default_rng([self.seed, epoch]).permutation(self.n)
            self._epoch = epoch
        return int(self._perm[i])


class LengthGrouped(EpochOrder):
    """EpochOrder with batches of like lengths (transformers' `group_by_length`): each
    epoch's permutation is cut into windows of `group * 32` items, each window sorted by
    length and cut into `group`-sized batches, and the batches shuffled. A batch is padded
    to its longest item, so chat tuning on a mix of long grounded prompts and short replies
    computes ~a quarter fewer tokens a step. Every item still comes once an epoch."""

    def __init__(self, lengths: list[int], seed: int, group: int):
        super().__init__(len(lengths), seed)
        self.lengths, self.group = np.asarray(lengths), group

    def __getitem__(self, g: int) -> int:
        epoch, i = divmod(g, self.n)
        if epoch != self._epoch:
            rng = np.random.default_rng([self.seed, epoch])
            perm, window, chunks = rng.permutation(self.n), self.group * 32, []
            for a in range(0, self.n, window):
                part = perm[a : a + window]
                part = part[np.argsort(-self.lengths[part], kind="stable")]
                chunks += [part[k : k + self.group] for k in range(0, len(part), self.group)]
            order = rng.permutation(len(chunks))
            self._perm = np.concatenate([chunks[j] for j in order]) if chunks else perm
            self._epoch = epoch
        return int(self._perm[i])


def sample_ids(step: int, micro: int, rank: int, world: int, micro_bs: int, accum: int) -> range:
    """The global sample numbers one process uses for one micro-batch.

    Step s covers samples [s*G, (s+1)*G) with G = micro_bs * accum * world, dealt out in
    micro_bs blocks, so any (world, accum) with the same G splits the same samples.
    """
    base = step * micro_bs * accum * world + micro * world * micro_bs + rank * micro_bs
    return range(base, base + micro_bs)


class PretrainBatches:
    """Fixed-length windows of the train stream in a per-epoch shuffled order."""

    def __init__(self, stream: TokenStream, seq_len: int, seed: int):
        if len(stream) - 1 < seq_len:
            raise DataError(f"only {len(stream)} training tokens; need more than seq_len={seq_len}")
        self.stream, self.seq_len = stream, seq_len
        self.order = EpochOrder((len(stream) - 1) // seq_len, seed)

    def micro_batch(
        self, step: int, micro: int, rank: int, world: int, micro_bs: int, accum: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        ids = sample_ids(step, micro, rank, world, micro_bs, accum)
        rows = np.stack([self.stream.window(self.order[g] * self.seq_len, self.seq_len + 1) for g in ids])
        import torch  # imported here so corpus building never loads torch

        t = torch.from_numpy(rows)
        return t[:, :-1], t[:, 1:]


def val_batches(
    stream: TokenStream, seq_len: int, max_tokens: int, batch: int = 16
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """The first `max_tokens` of the validation stream, as fixed windows (the same every eval)."""
    n = max(1, min((len(stream) - 1) // seq_len, max_tokens // seq_len))
    length = min(seq_len, len(stream) - 1)
    rows = [stream.window(i * length, length + 1) for i in range(n)]
    import torch

    out = []
    for i in range(0, n, batch):
        t = torch.from_numpy(np.stack(rows[i : i + batch]))
        out.append((t[:, :-1], t[:, 1:]))
    return out
