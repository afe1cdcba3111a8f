"""A platform's length rule, kept while decoding: a draft is never longer than the platform
allows, and it ends at the end of a sentence, not in the middle of a word.

A logits processor (engine.LogitsProcessor), one per sequence. At each step it counts the
post so far exactly as the platform counts it (social/length.py: prefix + decoded text +
suffix, e.g. the reply's @mention and the hashtags to be appended), and from the room left:
- forbids every token whose text could take the post over the limit. A token's cost is an
  upper bound in the platform's units, computed once per vocabulary (X: its characters'
  weights; Bluesky and Mastodon: its characters). Where a token could turn the last word
  into a URL (which X and Mastodon count as 23 whatever its length), the best-scoring such
  tokens are counted exactly and the others are forbidden;
- keeps room to finish: a token that starts a new word (or a new clause) is allowed only
  while WORD_ROOM units would remain after it; past that point only the current word's
  continuation (when the model means to go on with the word, not to start another) and a
  sentence's end can come, and once a sentence has ended with too little room for another
  word, only the end of the draft;
- steers the draft to end sooner: over the last STEER share of the budget, the end of a
  sentence and, after one, the end of the draft get a growing bonus;
- never ends an empty draft, and never masks every token (if nothing is left, the end is).

It composes with the quote constraint (both are constraints: processors/__init__.py) and
sits before the watermark.
"""

from __future__ import annotations

import codecs
import unicodedata

import torch

from mynah.social.length import X_V3, LengthRule, _weights

WORD_ROOM = 12  # units kept free when a new word starts: enough to finish it and end the sentence
STEER = 0.2  # the share of the budget over which the end is steered towards
STEER_BIAS = 6.0  # the bonus at the budget's end (logits)
URL_COST = 23  # what X and Mastodon count a URL as
EXACT_TOP = 32  # tokens that could make a URL: how many of the best are counted exactly
SENTENCE_END = frozenset(".!?…")
CLAUSE = frozenset(',;:—–-("“„«')


def _is_word(c: str) -> bool:
    return c.isalnum() or c in "'’_"


def ended(text: str) -> bool:
    """Whether a draft could end here: after a sentence's end (closing quotes or brackets
    may follow it), or after an emoji or other symbol."""
    t = text.rstrip()
    while t and t[-1] in "\"”»“')]":
        t = t[:-1]
    if not t:
        return False
    return t[-1] in SENTENCE_END or unicodedata.category(t[-1]).startswith("S")


class TokenCosts:
    """Each token's upper-bound cost under one platform's units, and what kind of text it is."""

    def __init__(self, tok, platform: str):
        n = tok.vocab_size
        specials = {tok.eot_id, tok.im_start_id, tok.im_end_id, tok.pad_id}
        table = _weights(X_V3)
        cost, starts_word, closes, risky, hashes, cont, glue = [], [], [], [], [], [], []
        for i in range(n):
            bs = b"" if i in specials else tok.piece_bytes(i)
            text = bs.decode("utf-8", errors="ignore")
            # characters this token begins, plus one it may complete (a leading continuation byte)
            chars = sum(1 for b in bs if b & 0xC0 != 0x80) + (1 if bs[:1] and bs[0] & 0xC0 == 0x80 else 0)
            if platform == "x":
                whole = text.encode("utf-8") == bs
                if whole:
                    c = sum(table[ord(ch)] if ord(ch) < 0x2000 else X_V3["default_weight"] for ch in text)
                    c //= X_V3["scale"]
                else:
                    c = 2 * chars
            else:
                c = chars
            cost.append(float(c))
            stripped = text.lstrip()
            starts_word.append(bool(text) and (text[0].isspace() or text[0] in CLAUSE) and bool(stripped))
            cont.append(bool(text) and _is_word(text[0]))
            # glued to the word before it: no leading space, and letters or digits in it
            glue.append(bool(text) and not text[0].isspace() and any(ch.isalnum() for ch in text))
            # a sentence's end, alone or after (the rest of) one word: " derby." or "." or "s!"
            core = text.strip()
            closes.append(bool(core) and core[-1] in SENTENCE_END and not any(ch.isspace() for ch in core))
            risky.append(any(ch in ".:/" for ch in text))
            hashes.append("#" in text)
        self.n = n
        self.bytes = [b"" if i in specials else tok.piece_bytes(i) for i in range(n)]
        self.cost = torch.tensor(cost)
        self.starts_word = torch.tensor(starts_word)
        self.closes = torch.tensor(closes)
        self.risky = torch.tensor(risky)
        self.hashes = torch.tensor(hashes)
        self.cont = torch.tensor(cont)
        self.glue = torch.tensor(glue)


_COSTS: dict[tuple[int, str], TokenCosts] = {}


def token_costs(tok, platform: str) -> TokenCosts:
    key = (id(tok), platform)
    c = _COSTS.get(key)
    if c is None:
        c = _COSTS[key] = TokenCosts(tok, platform)
    return c


class LengthBudget:
    """engine.LogitsProcessor: one per sequence (it keeps that sequence's text).

    `rule`: the platform's rule; `limit`: units allowed (the rule's limit unless given, e.g.
    a thread's whole budget); `prefix` and `suffix`: text the post will have around the
    generated part, counted with it; `no_hashtags`: forbid '#' (the hashtags come from the
    store, in the suffix); `stop_ids`: the tokens that end the draft; `max_tokens`: the
    draft's token budget, when the context leaves less than the length would need (the
    draft then ends at a sentence before its tokens run out, as before its units do)."""

    def __init__(
        self,
        tok,
        rule: LengthRule,
        stop_ids: list[int],
        limit: int | None = None,
        prefix: str = "",
        suffix: str = "",
        no_hashtags: bool = False,
        max_tokens: int | None = None,
    ):
        self.rule, self.limit = rule, rule.limit if limit is None else limit
        self.prefix, self.suffix = prefix, suffix
        self.costs = token_costs(tok, rule.platform if rule.platform == "x" else "chars")
        self.stop_ids = list(stop_ids)
        self.no_hashtags = no_hashtags
        self.max_tokens, self.start = max_tokens, 0
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.text = ""
        self.seen: int | None = None
        if self.room() < WORD_ROOM // 2:
            raise ValueError(
                f"{rule.platform}: {self.limit} {rule.unit} leave {self.room()} for the draft"
                f" after its prefix and suffix; that is too little for any text"
            )

    def count(self, text: str) -> int:
        return self.rule.count(self.prefix + text + self.suffix)

    def room(self, text: str | None = None) -> int:
        return self.limit - self.count(self.text if text is None else text)

    def __call__(self, history: list[int], logits: torch.Tensor) -> torch.Tensor:
        c = self.costs
        if self.seen is None:
            self.seen = self.start = len(history)  # the prompt
        for t in history[self.seen :]:
            if t < c.n:
                self.text += self.decoder.decode(c.bytes[t])
        self.seen = len(history)
        text = self.text
        room = self.room()
        # tokens left to the draft: with 4, no new word; with 1, only a sentence's end
        left = 1 << 30 if self.max_tokens is None else self.max_tokens - (len(history) - self.start)
        cost = c.cost.to(logits.device)
        n = min(c.n, logits.shape[-1])
        last = text[-1:] if text else ""
        in_word = bool(last) and _is_word(last)
        done = ended(text)
        # what a token may cost: a new word (or clause) must leave room to finish it; the
        # current word's continuation must leave room for the sentence's end
        allow = torch.zeros(logits.shape[-1], dtype=torch.bool, device=logits.device)
        starts = c.starts_word.to(logits.device)
        closes = c.closes.to(logits.device)
        cont = c.cont.to(logits.device)
        glue = c.glue.to(logits.device)
        new_word = room - WORD_ROOM if left > 4 else -1
        other = (room - (0 if done or not in_word else 1)) if left > 1 else -1
        limit = torch.where(starts, float(new_word), float(other))
        limit = torch.where(closes, torch.full_like(limit, float(room)), limit)
        allow[:n] = cost[:n] <= limit[:n]
        if in_word and (room < WORD_ROOM + 4 or left <= 4):
            # No new word fits. Is the word written so far whole? If the model puts most of
            # its weight on tokens that go on with it, no: it may go on. Otherwise it wanted
            # a new word, and gluing a continuation on would make one up ("I" + "example").
            probs = torch.softmax(logits[:n].float(), -1)
            glued = glue[:n]
            if float(probs[glued].sum()) < 0.5:
                allow[:n] &= ~glued
        if self.no_hashtags:
            allow[:n] &= ~c.hashes.to(logits.device)[:n]
        # a token that could make the last word a URL: count the best few exactly
        if self.rule.platform in ("x", "mastodon"):
            words = text.split()
            tail = words[-1] if words and not text[-1].isspace() else ""  # the word being written
            risky = c.risky.to(logits.device)[:n].clone()
            if any(ch in ".:/" for ch in tail):
                risky |= cont[:n] | ~starts[:n]
            risky &= allow[:n] & (cost[:n] + URL_COST > room)
            if bool(risky.any()):
                ids = torch.nonzero(risky).flatten()
                best = ids[torch.topk(logits[ids].float(), min(EXACT_TOP, len(ids))).indices]
                allow[ids] = False
                for t in best.tolist():
                    after = text + c.bytes[t].decode("utf-8", errors="replace")
                    allow[t] = self.room(after) >= (WORD_ROOM if bool(starts[t]) and left > 4 else 0)
        stops = [s for s in self.stop_ids if s < logits.shape[-1]]
        if not text.strip():
            allow[stops] = False  # never an empty draft
        elif done and (room < WORD_ROOM or left <= 4):
            allow[:] = False  # a sentence has ended and no other fits: the end
            allow[stops] = True
        else:
            allow[stops] = True
        if not bool(allow.any()):
            allow[stops] = True
        out = logits.masked_fill(~allow, float("-inf"))
        # steer to an end over the last STEER of the budget
        span = max(STEER * self.limit, 2 * WORD_ROOM)
        if room < span and text.strip():
            bonus = STEER_BIAS * (1 - room / span)
            out = out.clone()
            # (a sentence's end glued to the word, "/10.", only where the word goes on)
            out[:n] += (closes[:n] & ~glue[:n]).float() * bonus
            if done:
                out[stops] += bonus
        return out

    def settle(self, history: list[int]) -> None:
        """The last token (the scheduler calls this when the sequence ends)."""
        if self.seen is not None:
            for t in history[self.seen :]:
                if t < self.costs.n:
                    self.text += self.decoder.decode(self.costs.bytes[t])
            self.seen = len(history)
        self.text += self.decoder.decode(b"", final=True)
