"""Inference engine: token ids in, token ids out.

The engine knows nothing of text, chat templates, retrieval or watermarks; those wrap it.
It owns a preallocated KV cache with one row per sequence slot, and exposes the two steps
separately (as gpt-fast does): `prefill` runs a whole prompt into a slot, `decode` advances
every active slot by one token in a single batched forward. `generate` strings them
together and streams each new token as it is sampled, so a caller can print, stop or
cancel mid-way. Each sequence carries its own sampling parameters and RNG, so sequences
that share a batch never share randomness.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import torch

from mynah.model import KVCache, Transformer

# (token ids so far, prompt included; logits [vocab]) -> new logits. The watermark and
# constrained decoding plug in here. A processor may also have `reject(history, token)`:
# see `draw_checked`.
LogitsProcessor = Callable[[list[int], torch.Tensor], torch.Tensor]


class ContextOverflow(ValueError):
    """A prompt that does not fit the model's context."""


@dataclass
class SamplingParams:
    max_tokens: int = 128
    temperature: float = 1.0  # 0 means greedy
    top_k: int = 0  # 0 = off
    top_p: float = 1.0
    min_p: float = 0.0
    repetition_penalty: float = 1.0  # HF/CTRL style: >1 discourages tokens already in the context
    # OpenAI style, over the generated tokens only: minus presence_penalty once a token has
    # appeared, minus frequency_penalty for each time it has.
    presence_penalty: float = 0.0
    frequency_penalty: float = 0.0
    seed: int | None = None
    stop_token_ids: list[int] = field(default_factory=list)
    stop_sequences: list[list[int]] = field(default_factory=list)  # multi-token stops, as ids
    logits_processors: list[LogitsProcessor] = field(default_factory=list)

    def __post_init__(self):
        if self.max_tokens < 1:
            raise ValueError("max_tokens must be at least 1")
        if self.temperature < 0:
            raise ValueError("temperature must be >= 0")
        if not 0 < self.top_p <= 1:
            raise ValueError("top_p must be in (0, 1]")
        if not 0 <= self.min_p < 1:
            raise ValueError("min_p must be in [0, 1)")
        if self.top_k < 0:
            raise ValueError("top_k must be >= 0")
        if self.repetition_penalty <= 0:
            raise ValueError("repetition_penalty must be > 0")
        for name in ("presence_penalty", "frequency_penalty"):
            if not -2 <= getattr(self, name) <= 2:
                raise ValueError(f"{name} must be in [-2, 2]")

    @property
    def greedy_only(self) -> bool:
        return (
            self.temperature == 0
            and self.repetition_penalty == 1.0
            and not self.presence_penalty
            and not self.frequency_penalty
            and not self.logits_processors
        )


@dataclass
class Event:
    """One streamed step of one sequence: the token sampled, and why it ended if it did."""

    seq: int
    token: int | None
    finish_reason: str | None = None  # "stop", "length" or "cancelled"


def process_logits(
    logits: torch.Tensor, history: list[int], p: SamplingParams, prompt_len: int = 0
) -> torch.Tensor:
    """Apply processors, penalties, temperature, top-k, top-p and min-p to one row.
    `history[prompt_len:]` are the tokens generated so far."""
    for proc in p.logits_processors:
        logits = proc(history, logits)
    if p.repetition_penalty != 1.0 and history:
        seen = torch.tensor(sorted(set(history)), device=logits.device)
        vals = logits[seen]
        logits = logits.clone()
        logits[seen] = torch.where(vals > 0, vals / p.repetition_penalty, vals * p.repetition_penalty)
    if (p.presence_penalty or p.frequency_penalty) and len(history) > prompt_len:
        ids, counts = torch.tensor(history[prompt_len:], device=logits.device).unique(return_counts=True)
        logits = logits.clone()
        logits[ids] -= p.presence_penalty + p.frequency_penalty * counts.to(logits.dtype)
    if p.temperature == 0:
        return logits
    logits = logits / p.temperature
    if p.top_k and p.top_k < logits.numel():
        kth = torch.topk(logits, p.top_k).values[-1]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if p.top_p < 1.0:
        sorted_logits, order = torch.sort(logits, descending=True)
        cum = torch.softmax(sorted_logits, -1).cumsum(-1)
        drop = cum - torch.softmax(sorted_logits, -1) >= p.top_p  # keep the token that crosses top_p
        logits = logits.masked_fill(torch.zeros_like(drop).scatter(0, order, drop), float("-inf"))
    if p.min_p > 0:
        probs = torch.softmax(logits, -1)
        logits = logits.masked_fill(probs < p.min_p * probs.max(), float("-inf"))
    return logits


def sample(
    logits: torch.Tensor,
    history: list[int],
    p: SamplingParams,
    gen: torch.Generator | None,
    prompt_len: int = 0,
) -> int:
    return draw_checked(process_logits(logits.float(), history, p, prompt_len), history, p, gen)[0]


def draw(processed: torch.Tensor, p: SamplingParams, gen: torch.Generator | None) -> int:
    """The token from logits that `process_logits` has already shaped."""
    if p.temperature == 0:
        return int(processed.argmax())
    return int(torch.multinomial(torch.softmax(processed, -1), 1, generator=gen))


def draw_checked(
    shaped: torch.Tensor, history: list[int], p: SamplingParams, gen: torch.Generator | None
) -> tuple[int, torch.Tensor]:
    """`draw`, then the processors' `reject(history, token)`: a processor that would mask a
    whole class of tokens only now and then (the end of a draft inside a word, a '#') can
    let the token be drawn and, where it is of that class, name the class to ban; the draw
    is then made again from the same logits without it. That is the masked distribution
    exactly (the rejected mass spreads over the rest in proportion), at no cost in the
    steps where the class is not drawn, which are nearly all; a mask instead reads the whole
    row at every step. Returns the token and the logits it was drawn from (for logprobs;
    in a step where no banned class was drawn they still hold its mass, which the one
    processor with a check, the length budget of the writing tools, never reports)."""
    end = p.stop_token_ids[0] if p.stop_token_ids else None
    try:
        token = draw(shaped, p, gen)
    except RuntimeError:
        # no token left to draw: each processor leaves one, but two together can leave none
        # (a quote that must go on where the length budget allows only its end); as a
        # constraint that masks everything, that is the end (never an error for the batch)
        return (end if end is not None else int(shaped.nan_to_num(float("-inf")).argmax())), shaped
    if p.temperature == 0 and end is not None and shaped[token] == float("-inf"):
        return end, shaped  # (the argmax of an all-masked row: the same case, greedy)
    checks = [q.reject for q in p.logits_processors if hasattr(q, "reject")]
    if not checks:
        return token, shaped
    for _ in range(8):  # each round bans a class; a processor has only a few
        ban = [b for check in checks for b in (check(history, token) or ())]
        if not ban:
            return token, shaped
        shaped = shaped.index_fill(0, torch.tensor(ban, device=shaped.device), float("-inf"))
        if not bool(torch.isfinite(shaped).any()):
            break  # nothing left: as a constraint that masks everything, the end
        token = draw(shaped, p, gen)
    return (p.stop_token_ids[0] if p.stop_token_ids else token), shaped


class Generation:
    """An iterator of `Event`s for a batch of sequences; `cancel(i)` ends sequence i at the next step."""

    def __init__(self, events: Iterator[Event], cancelled: set[int]):
        self._events = events
        self._cancelled = cancelled

    def __iter__(self):
        return self._events

    def __next__(self) -> Event:
        return next(self._events)

    def cancel(self, seq: int) -> None:
        self._cancelled.add(seq)


class Engine:
    def __init__(
        self, model: Transformer, max_batch: int = 8, max_len: int | None = None, compile: bool = False
    ):
        """`compile=True` compiles the decode step with static shapes (gpt-fast's technique):
        it costs tens of seconds once, then cuts per-token overhead. It is used when every
        slot decodes together; other steps run eagerly."""
        self.model = model.eval()
        self.cfg = model.cfg
        self.max_len = min(max_len or self.cfg.max_seq_len, self.cfg.max_seq_len)
        self.max_batch = max_batch
        p = next(model.parameters())
        self.device, self.dtype = p.device, p.dtype
        self.cache = KVCache(self.cfg, max_batch, self.max_len, self.dtype, self.device)
        self._static_decode = torch.compile(self._decode_all_rows, dynamic=False) if compile else None

    def _decode_all_rows(self, x: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
        # Every row, the whole cache length: shapes never change, so one compiled graph serves
        # every step; positions past each row's end are masked out.
        return self.model(x, cache=self.cache, rows=slice(0, self.max_batch), pos=pos, attn_len=self.max_len)[
            :, -1
        ]

    def check_fits(self, ids: list[int]) -> None:
        """A prompt must leave room for at least one new token."""
        if not ids:
            raise ValueError("empty prompt")
        if len(ids) >= self.max_len:
            raise ContextOverflow(
                f"prompt of {len(ids)} tokens does not fit the context of {self.max_len} (at least one new token must fit)"
            )

    def _rows(self, slots: list[int]) -> slice | torch.Tensor:
        # A contiguous run of slots reads the cache as a view; any other set gathers a copy.
        if slots == list(range(slots[0], slots[0] + len(slots))):
            return slice(slots[0], slots[0] + len(slots))
        return torch.tensor(slots, device=self.device)

    def finish_reason(self, history: list[int], produced: int, p: SamplingParams) -> str | None:
        """Why a sequence ends after its newest token (history[-1]), or None to go on.
        Stop sequences match generated tokens only, never a tail of the prompt."""
        if history[-1] in p.stop_token_ids or any(
            s and len(s) <= produced and history[-len(s) :] == s for s in p.stop_sequences
        ):
            return "stop"
        if produced >= p.max_tokens or len(history) >= self.max_len:
            return "length"
        return None

    @torch.inference_mode()
    def prefill(self, slot: int, ids: list[int]) -> torch.Tensor:
        """Run a prompt into cache row `slot`; return the logits [vocab] for the next token."""
        self.check_fits(ids)
        x = torch.tensor([ids], device=self.device)
        pos = torch.arange(len(ids), device=self.device)[None]
        return self.model(x, cache=self.cache, rows=slice(slot, slot + 1), pos=pos, last_only=True)[0, -1]

    @torch.inference_mode()
    def prefill_batch(self, slots: list[int], prompts: list[list[int]]) -> torch.Tensor:
        """`prefill` for several slots in one forward; logits [len(slots), vocab].

        Prompts are right-padded to the longest. A pad token writes keys and values at
        positions past its row's prompt, but those are masked from every query until that
        row's own decoding overwrites them, one position at a time, before reading them."""
        if len(slots) == 1:
            return self.prefill(slots[0], prompts[0])[None]
        for ids in prompts:
            self.check_fits(ids)
        T = max(len(ids) for ids in prompts)
        x = torch.tensor([ids + [ids[-1]] * (T - len(ids)) for ids in prompts], device=self.device)
        pos = torch.arange(T, device=self.device)[None].expand(len(slots), T)
        logits = self.model(x, cache=self.cache, rows=self._rows(slots), pos=pos)
        last = torch.tensor([len(ids) - 1 for ids in prompts], device=self.device)
        return logits[torch.arange(len(slots), device=self.device), last]

    @torch.inference_mode()
    def decode(self, slots: list[int], tokens: list[int], positions: list[int]) -> torch.Tensor:
        """Advance several slots by one token each in one forward; logits [len(slots), vocab]."""
        x = torch.tensor(tokens, device=self.device)[:, None]
        pos = torch.tensor(positions, device=self.device)[:, None]
        if self._static_decode is not None and slots == list(range(self.max_batch)):
            return self._static_decode(x, pos)
        return self.model(x, cache=self.cache, rows=self._rows(slots), pos=pos)[:, -1]

    def generate(self, prompts: list[list[int]], params: SamplingParams | list[SamplingParams]) -> Generation:
        """Decode all prompts together, streaming one `Event` per sampled token."""
        if len(prompts) > self.max_batch:
            raise ValueError(f"{len(prompts)} prompts exceed the engine's max_batch of {self.max_batch}")
        plist = params if isinstance(params, list) else [params] * len(prompts)
        for ids in prompts:
            self.check_fits(ids)
        cancelled: set[int] = set()
        return Generation(self._run(prompts, plist, cancelled), cancelled)

    def _run(self, prompts, plist, cancelled) -> Iterator[Event]:
        n = len(prompts)
        gens = []
        for p in plist:
            g = torch.Generator(device=self.device)
            g.manual_seed(p.seed if p.seed is not None else int(torch.randint(0, 2**62, (1,))))
            gens.append(g)
        history = [list(ids) for ids in prompts]
        produced = [0] * n
        active = list(range(n))
        logits = torch.stack([self.prefill(i, ids) for i, ids in enumerate(prompts)])
        while active:
            next_active, tokens, positions = [], [], []
            all_greedy = all(plist[i].greedy_only for i in active)
            greedy = logits.argmax(-1).tolist() if all_greedy else None
            for row, i in enumerate(active):
                if i in cancelled:
                    yield Event(i, None, "cancelled")
                    continue
                p = plist[i]
                tok = (
                    greedy[row]
                    if all_greedy
                    else sample(logits[row], history[i], p, gens[i], len(prompts[i]))
                )
                history[i].append(tok)
                produced[i] += 1
                reason = self.finish_reason(history[i], produced[i], p)
                yield Event(i, tok, reason)
                if reason is None:
                    next_active.append(i)
                    tokens.append(tok)
                    positions.append(len(history[i]) - 1)
            active = [i for i in next_active if i not in cancelled]
            for i in next_active:
                if i in cancelled:
                    yield Event(i, None, "cancelled")
            if active:
                keep = [next_active.index(i) for i in active]
                logits = self.decode(active, [tokens[k] for k in keep], [positions[k] for k in keep])

    def generate_all(
        self, prompts: list[list[int]], params: SamplingParams | list[SamplingParams]
    ) -> list[tuple[list[int], str]]:
        """Non-streaming: each sequence's new token ids and its finish reason."""
        out: list[list[int]] = [[] for _ in prompts]
        reasons = [""] * len(prompts)
        for ev in self.generate(prompts, params):
            if ev.token is not None:
                out[ev.seq].append(ev.token)
            if ev.finish_reason:
                reasons[ev.seq] = ev.finish_reason
        return list(zip(out, reasons))
