"""The green-list watermark (Kirchenbauer et al. 2023), its keyed hash, and its scoring.

The scheme. Before each generated token, a keyed hash of (key, previous token, candidate)
splits the vocabulary into a green fraction GAMMA and the rest; DELTA is added to the
logits of the green tokens, so a watermarked text holds more green tokens than chance.
A detector that has the key re-tokenizes a text, counts its green tokens, and asks how
likely that many would be by chance: a one-sided binomial test with success rate GAMMA,
computed exactly (`binom_sf`), not with the normal approximation, because posts are short.

The choices, and why:
- GAMMA = 0.25: the paper's recommendation; a smaller green list makes each green token
  stronger evidence, and at 0.5 the low-entropy demo model was detected less, not more.
- DELTA = 2.5, above the paper's 2.0: its 2.0 was chosen for 200-token passages at z = 4,
  and mynah's verdict asks p <= 1e-6 (z of about 5) of a post's 64 tokens. There, on a
  model trained on real tweets, 2.0 flags 84-89% of T=1.0 generations and 2.5 all of them,
  for 11.9% more validation bits per byte instead of 7.6% (docs/BENCHMARKS.md, "watermark";
  `mynah serve --watermark-delta` trades it per deployment). Where the model is unsure,
  green gets e^2.5/(e^2.5*0.25 + 0.75) = 3.2x its share; where it is sure, the bias
  barely moves it. The detector needs only GAMMA, so any delta is detected by the key.
- A context of one token (the paper's LeftHash, and transformers' default): posts are
  short and platforms rewrite them, and a replaced token breaks the scores of itself and
  the CONTEXT tokens after it. With one, 30% replaced tokens still leave 49% of the scored
  pairs intact (34% with two, 24% with four). The cost: there are only as many green lists
  as tokens, which someone with a great deal of watermarked text could estimate; the
  public detector is rate-limited for the same reason (README, "Detecting mynah's text").
- Membership is a keyed hash, computed in numpy integer arithmetic on the CPU, never
  torch's RNG: the same (key, context, token) is green on every device, in every batch,
  compiled or eager, and the detector needs no model and no GPU.
- Quoted text (between the quote pairs of processors/quotes.py) in a grounded answer is a
  post's words, copied verbatim: the quote constraint fixes those tokens, so the bias
  changes no copied word, and the detector does not count them. The rule is over the
  text's bytes, because the detector sees only text. But a quote mark is also something
  anyone can type: one stray `"` (or a whole text wrapped in quotes) would otherwise hide
  everything after it. So the bias applies inside quotes too, and the detector makes two
  counts, one without the quoted tokens and one with every token, and takes the stronger,
  its p-value doubled (Bonferroni) when the two differ: a quoted post cannot dilute a
  grounded answer's score, and a quote mark cannot switch the watermark off. A text with
  no quote has one count and no correction.
- A (context, token) pair that repeats is scored once: repeated phrases are not
  independent draws, and counting them would inflate the score of human text too.
- A verdict needs MIN_SCORED scored tokens and p <= P_THRESHOLD; shorter texts are
  "too_short", never "human". With GAMMA = 0.25 no text under 10 scored tokens can reach
  p <= 1e-6 even if every token is green.

The hash. A key expands (SHAKE-256) into two tables of 64-bit words, one per token id for
contexts and one for candidates. The seed of a context is mix(S0 ^ C[prev]); a candidate t
is green when mix(seed ^ T[t]) < GAMMA * 2^64, with `mix` the splitmix64 finalizer. All of
it is uint64 arithmetic, identical everywhere.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import asdict, dataclass, field
from functools import lru_cache

import numpy as np

SCHEME = "mynah-greenlist"
VERSION = 2  # 2: the bias applies inside quotes; the detector's second count
GAMMA = 0.25
DELTA = 2.5
CONTEXT = 1
MIN_SCORED = 16  # fewer scored tokens: "too_short"
P_THRESHOLD = 1e-6

_S0 = 0x9E3779B97F4A7C15
_M1, _M2 = 0xBF58476D1CE4E5B9, 0x94D049BB133111EB
_MASK = (1 << 64) - 1


@dataclass(frozen=True)
class Scheme:
    """What a deployment's watermark is, apart from its key: recorded in responses and in
    checkpoints (generation_config.json, under "mynah")."""

    name: str = SCHEME
    version: int = VERSION
    gamma: float = GAMMA
    delta: float = DELTA
    context_width: int = CONTEXT

    def as_dict(self) -> dict:
        return asdict(self)


def key_id(key: bytes) -> str:
    """A short public name of a key: the only thing about it that leaves the process."""
    return "wm-" + hashlib.sha256(b"mynah-watermark-key-id\0" + key).hexdigest()[:12]


def _mix_py(z: int) -> int:
    z ^= z >> 30
    z = (z * _M1) & _MASK
    z ^= z >> 27
    z = (z * _M2) & _MASK
    return z ^ (z >> 31)


def _mix_np(z: np.ndarray) -> np.ndarray:
    # uint64 arithmetic wraps modulo 2^64 in numpy, as the Python version masks it
    z = z ^ (z >> np.uint64(30))
    z = z * np.uint64(_M1)
    z = z ^ (z >> np.uint64(27))
    z = z * np.uint64(_M2)
    return z ^ (z >> np.uint64(31))


class GreenList:
    """The keyed green/red split for one key and one vocabulary."""

    def __init__(self, key: bytes, vocab_size: int, scheme: Scheme | None = None):
        if len(key) < 16:
            raise ValueError("a watermark key must be at least 16 bytes")
        self.scheme = scheme or Scheme()
        if self.scheme.context_width != 1:
            raise ValueError("this version of the watermark uses a context of one token")
        self.vocab_size = vocab_size
        self.key_id = key_id(key)
        words = np.frombuffer(
            hashlib.shake_256(b"mynah-watermark/v1\0" + key).digest(16 * vocab_size), dtype="<u8"
        )
        self._ctx = words[:vocab_size].astype(np.uint64)
        self._tok = words[vocab_size:].astype(np.uint64)
        self._cut = np.uint64(min(int(self.scheme.gamma * 2.0**64), _MASK))
        self._seed_np = _mix_np(np.uint64(_S0) ^ self._ctx)  # the seed of each context token
        # the same as Python ints, for the one-pair test the processor makes per token
        self._seed_py, self._tok_py = self._seed_np.tolist(), self._tok.tolist()
        self._cut_py = int(self._cut)

    def mask(self, prev: int) -> np.ndarray:
        """Bool [vocab]: which tokens are green after `prev`."""
        return self.masks(np.array([prev]))[0]

    def masks(self, prevs: np.ndarray) -> np.ndarray:
        """Bool [len(prevs), vocab]: `mask` for many contexts at once."""
        return _mix_np(self._seed_np[prevs][:, None] ^ self._tok[None, :]) < self._cut

    def mask_at(self, prev: int, tok: int) -> bool:
        return _mix_py(self._seed_py[prev] ^ self._tok_py[tok]) < self._cut_py

    def green(self, prev: np.ndarray, tok: np.ndarray) -> np.ndarray:
        """Bool per (prev, tok) pair, vectorised: the detector's side of `mask`."""
        return _mix_np(self._seed_np[prev] ^ self._tok[tok]) < self._cut


# -- the textual quote rule ------------------------------------------------------------

_PAIRS = {b'"': b'"', "“".encode(): "”".encode(), "„".encode(): "“".encode(), "«".encode(): "»".encode()}
_PREFIXES = {o[:i] for o in _PAIRS for i in range(1, len(o))}
QUOTE_CHARS = ('"', "“", "”", "„", "«", "»")


class QuoteScanner:
    """Whether the bytes so far leave us inside a quote pair: the same pairs as the quote
    constraint. An unclosed quote stays open to the end. Fed token by token."""

    __slots__ = ("close", "pending", "closing")

    def __init__(self):
        self.close = b""  # inside a quote: the bytes that close it
        self.pending = b""  # outside: the start of a multi-byte opener
        self.closing = b""  # inside: the part of the closer seen so far

    @property
    def inside(self) -> bool:
        return bool(self.close)

    def feed(self, data: bytes) -> None:
        for b in data:
            if self.close:
                cand = self.closing + bytes([b])
                if cand == self.close:
                    self.close = self.closing = b""
                elif self.close.startswith(cand):
                    self.closing = cand
                else:
                    self.closing = bytes([b]) if self.close.startswith(bytes([b])) else b""
                continue
            cand = self.pending + bytes([b])
            if cand in _PAIRS:
                self.close, self.pending = _PAIRS[cand], b""
            elif cand in _PREFIXES:
                self.pending = cand
            else:
                self.pending = b""
                one = bytes([b])
                if one in _PAIRS:
                    self.close = _PAIRS[one]
                elif one in _PREFIXES:
                    self.pending = one


def scored_positions(pieces: list[bytes]) -> list[bool]:
    """For each token (by its bytes): does it count without the quotes? The first has no
    context in the text; a token that begins inside a quote may be a post's words. (The
    second count takes every token but the first.)"""
    out, sc = [], QuoteScanner()
    for i, b in enumerate(pieces):
        out.append(i >= CONTEXT and not sc.inside)
        sc.feed(b)
    return out


# -- the test --------------------------------------------------------------------------


@lru_cache(maxsize=65536)
def binom_sf(k: int, n: int, p: float = GAMMA) -> float:
    """P(X >= k) for X ~ Binomial(n, p), exactly: the sum of the upper tail's terms, each in
    log space (math.lgamma), so long texts neither overflow nor lose the tail."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    lp, lq = math.log(p), math.log1p(-p)
    logs = [
        math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * lp + (n - i) * lq
        for i in range(k, n + 1)
    ]
    top = max(logs)
    return min(1.0, math.exp(top) * math.fsum(math.exp(x - top) for x in logs))


@dataclass
class Score:
    tokens: int  # tokens of the text
    scored: int  # tokens that count: in context, outside quotes, each (context, token) once
    green: int
    z: float | None
    p_value: float | None
    verdict: str  # "watermarked", "not_watermarked" or "too_short"
    key_id: str
    quotes_counted: bool = False  # the count above includes the tokens inside quotes
    # both counts, (scored, green): without the quoted tokens, and with every token
    outside: tuple[int, int] = field(default=(0, 0), repr=False)
    every: tuple[int, int] = field(default=(0, 0), repr=False)

    @property
    def watermarked(self) -> bool:
        return self.verdict == "watermarked"

    def as_dict(self) -> dict:
        return {
            "tokens": self.tokens,
            "tokens_scored": self.scored,
            "green_tokens": self.green,
            "z_score": self.z,
            "p_value": self.p_value,
            "watermarked": self.watermarked,
            "verdict": self.verdict,
            "quotes_counted": self.quotes_counted,
            "key_id": self.key_id,
        }

    def json_line(self, line: int) -> str:
        """json.dumps({"line": line, **self.as_dict()}), written out by hand: `mynah detect`
        writes one per input line, and json.dumps was a fifth of its time."""
        null = lambda v: "null" if v is None else repr(v)  # noqa: E731 (finite floats, ints)
        return (
            f'{{"line": {line}, "tokens": {self.tokens}, "tokens_scored": {self.scored}, '
            f'"green_tokens": {self.green}, "z_score": {null(self.z)}, "p_value": {null(self.p_value)}, '
            f'"watermarked": {"true" if self.watermarked else "false"}, "verdict": "{self.verdict}", '
            f'"quotes_counted": {"true" if self.quotes_counted else "false"}, "key_id": "{self.key_id}"}}'
        )


def verdict(
    outside: tuple[int, int],
    every: tuple[int, int],
    gamma: float,
    key: str,
    tokens: int,
    threshold: float,
    min_scored: int,
) -> Score:
    """The verdict from the two (scored, green) counts: without the quoted tokens, and with
    every token. Each count long enough is a test; with two, the smaller p-value is doubled
    (Bonferroni), so the chance that a human text is flagged stays at most `threshold`."""
    n, g = outside
    ok_out, ok_all = n >= min_scored, every != outside and every[0] >= min_scored
    if not (ok_out or ok_all):
        return Score(tokens, n, g, None, None, "too_short", key, False, outside, every)
    p, quoted = binom_sf(g, n, gamma) if ok_out else 1.0, False
    if ok_all:
        p_all = binom_sf(every[1], every[0], gamma)
        if not ok_out or p_all < p:
            p, quoted, (n, g) = p_all, True, every
        if ok_out:
            p = min(1.0, 2 * p)  # two tests
    z = (g - gamma * n) / math.sqrt(n * gamma * (1 - gamma))
    v = "watermarked" if p <= threshold else "not_watermarked"
    return Score(tokens, n, g, round(z, 4), p, v, key, quoted, outside, every)
