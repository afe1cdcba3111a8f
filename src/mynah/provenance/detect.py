"""Scoring texts for the watermark: the key and the model's tokenizer, no model weights.

`Detector.score(texts)` re-tokenizes each text with the model's tokenizer, finds the
tokens that count (in context, outside quotes, neither token special, each (context,
token) pair once), counts the green ones, and gives the exact binomial p-value and a
verdict. It is vectorised over a whole batch of texts, which is how it scores a platform's
stream at tens of thousands of posts a second (benchmarks/watermark.py).
"""

from __future__ import annotations

import contextlib
import itertools

import numpy as np

from mynah.provenance.watermark import (
    CONTEXT,
    MIN_SCORED,
    P_THRESHOLD,
    QUOTE_CHARS,
    GreenList,
    Score,
    scored_positions,
    verdict,
)


class Detector:
    def __init__(
        self,
        key: bytes,
        tok,
        threshold: float = P_THRESHOLD,
        min_scored: int = MIN_SCORED,
        green: GreenList | None = None,
        pieces: list[bytes] | None = None,
    ):
        if not 0 < threshold < 1:
            raise ValueError("the p-value threshold must be in (0, 1)")
        if min_scored < 1:
            raise ValueError("the minimum of scored tokens must be at least 1")
        self.tok = tok
        self.green = green or GreenList(key, tok.vocab_size)
        self.scheme = self.green.scheme
        self.key_id = self.green.key_id
        self.threshold, self.min_scored = threshold, min_scored
        self._pieces = pieces  # each token's bytes, for the quote rule: built on first need
        self._special = np.zeros(tok.vocab_size, dtype=bool)
        self._special[list(tok._specials)] = True

    def pieces(self) -> list[bytes]:
        if self._pieces is None:
            self._pieces = [self.tok.piece_bytes(i) for i in range(self.tok.vocab_size)]
        return self._pieces

    def score(self, texts: list[str]) -> list[Score]:
        return self.score_ids(*self.prepare(texts))

    def prepare(self, texts: list[str]) -> tuple[list[list[int]], list[bool]]:
        """The texts' ids and whether each may hold a quote: the tokenizer's part of `score`,
        which lets go of the GIL (mynah detect runs it in a thread for the next batch)."""
        if not texts:
            return [], []
        return self.tok.encode_batch(texts), [any(q in t for q in QUOTE_CHARS) for t in texts]

    def score_ids(self, ids: list[list[int]], quoted: list[bool] | None = None) -> list[Score]:
        """Score token sequences as the detector sees them (ids of re-tokenized text).
        `quoted[i]` says text i may hold a quote (None: any may); only those get the
        second count without the quoted tokens, the rest have one count."""
        n = len(ids)
        lens = np.fromiter((len(x) for x in ids), dtype=np.int64, count=n)
        flat = np.fromiter(itertools.chain.from_iterable(ids), dtype=np.int64, count=int(lens.sum()))
        text_of = np.repeat(np.arange(n, dtype=np.int64), lens)
        starts = np.concatenate([[0], np.cumsum(lens)[:-1]]) if n else np.zeros(0, np.int64)
        pos = np.arange(len(flat), dtype=np.int64) - np.repeat(starts, lens)
        ok = pos >= CONTEXT
        if len(flat):
            prev = np.roll(flat, CONTEXT)
            ok &= ~self._special[flat] & ~self._special[prev]
        else:
            prev = flat
        every = self._count(np.flatnonzero(ok), text_of, prev, flat, n)
        if quoted is None:
            quoted = [True] * n
        parts = []
        for i in np.flatnonzero(np.asarray(quoted, dtype=bool)):
            if lens[i]:
                pieces = self.pieces()
                s, e = starts[i], starts[i] + lens[i]
                keep = ok[s:e] & np.asarray(scored_positions([pieces[t] for t in ids[i]]), dtype=bool)
                parts.append(s + np.flatnonzero(keep))
        outside = every
        if parts:  # the texts that may hold a quote, counted again without the quoted tokens
            again = self._count(np.concatenate(parts), text_of, prev, flat, n)
            outside = [again[i] if q else every[i] for i, q in enumerate(quoted)]
        g = self.scheme.gamma
        return [
            verdict(outside[i], every[i], g, self.key_id, int(lens[i]), self.threshold, self.min_scored)
            for i in range(n)
        ]

    def _count(self, sel, text_of, prev, flat, n: int) -> list[tuple[int, int]]:
        """(scored, green) per text over positions `sel`, each (context, token) pair once."""
        vocab = self.tok.vocab_size
        pair = (text_of[sel] * vocab + prev[sel]) * vocab + flat[sel]
        _, first = np.unique(pair, return_index=True)
        sel = sel[first]
        green = self.green.green(prev[sel], flat[sel])
        scored = np.bincount(text_of[sel], minlength=n)
        greens = np.bincount(text_of[sel], weights=green, minlength=n).astype(np.int64)
        return list(zip(scored.tolist(), greens.tolist()))

    def describe(self) -> dict:
        return {
            **self.scheme.as_dict(),
            "key_id": self.key_id,
            "p_threshold": self.threshold,
            "min_tokens_scored": self.min_scored,
        }


# -- many texts: a file, stdin, or a deployment's endpoint ---------------------------------


class RemoteDetector:
    """The same scoring through a deployment's POST /v1/detect: no key needed here."""

    def __init__(self, url: str, api_key: str | None = None, batch: int | None = None, timeout: float = 60):
        self.url = url.rstrip("/")
        if not self.url.endswith("/v1/detect"):
            self.url += "/v1/detect"
        # without a key a deployment takes at most 64 texts a request (its smallest burst)
        self.batch = batch or (256 if api_key else 64)
        self.api_key, self.timeout = api_key, timeout
        self.key_id = None

    def score_dicts(self, texts: list[str]) -> list[dict]:
        out = []
        for i in range(0, len(texts), self.batch):
            out += self._post(texts[i : i + self.batch])
        return out

    def _post(self, texts: list[str], tries: int = 20) -> list[dict]:
        import json
        import time
        import urllib.error
        import urllib.request

        body = json.dumps({"input": texts}).encode()
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        for _ in range(tries):
            req = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as r:
                    data = json.loads(r.read())
                self.key_id = data["watermark"]["key_id"]
                return [{k: v for k, v in d.items() if k not in ("object", "index")} for d in data["data"]]
            except urllib.error.HTTPError as e:
                detail = e.read().decode("utf-8", "replace")
                if e.code == 429:  # the deployment's rate limit: wait as it says
                    time.sleep(min(60.0, float(e.headers.get("Retry-After") or 1)))
                    continue
                with contextlib.suppress(ValueError, KeyError, TypeError):
                    detail = json.loads(detail)["error"]["message"]
                raise ValueError(f"{self.url}: HTTP {e.code}: {detail}") from None
            except urllib.error.URLError as e:
                raise ValueError(f"{self.url}: cannot reach the detector ({e.reason})") from None
        raise ValueError(f"{self.url}: still rate-limited after {tries} tries; try later or use --key-file")


def read_texts(lines, jsonl: bool, field: str, source: str):
    """(line number, text or None, error or None) for each input line of a JSON Lines
    stream (bytes lines); one bad line is reported by number and the rest go on."""
    import json

    for n, raw in enumerate(lines, 1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            yield n, None, f"{source}:{n}: not valid UTF-8 (byte {e.start})"
            continue
        if not line.strip():
            continue
        if not jsonl:
            yield n, line.rstrip("\n"), None
            continue
        try:
            obj = json.loads(line)
        except ValueError as e:
            yield n, None, f"{source}:{n}: not JSON ({e.msg})"
            continue
        text = obj.get(field) if isinstance(obj, dict) else None
        if not isinstance(text, str):
            yield n, None, f"{source}:{n}: no string field {field!r}"
            continue
        yield n, text, None
