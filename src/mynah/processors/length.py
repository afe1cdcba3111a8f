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
- never ends an empty draft, nor one inside a word: where the text ends in a letter and the
  model puts most of its weight on going on with that word, the end waits for it;
- never masks every token (if nothing is left, the end is).

Far from the limit (most of a draft's steps) nothing is masked: the two bans that still
apply there (a '#', an end inside a word) are checked on the drawn token instead
(`reject`, engine.draw_checked), the same distribution at a fraction of the cost.

It composes with the quote constraint (both are constraints: processors/__init__.py) and
sits before the watermark.
"""

from __future__ import annotations

import codecs
import math
import unicodedata

import torch

from mynah.social.length import X_V3, LengthRule, _weights

WORD_ROOM = 12  # units kept free when a new word starts: enough to finish it and end the sentence
STEER = 0.2  # the share of the budget over which the end is steered towards
STEER_BIAS = 6.0  # the bonus at the budget's end (logits)
URL_COST = 23  # what X and Mastodon count a URL as
EXACT_TOP = 32  # tokens that could make a URL: how many of the best are counted exactly
END_MARGIN = 4.0  # an end this far (in logits) below the best token is not worth checking
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
            if platform == "x" and any(ch in "\ufffe\ufeff\uffff" for ch in text):
                c = float("inf")  # a character X refuses in any post
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
        self.max_cost = max((x for x in cost if x != float("inf")), default=0.0)
        self._on: dict = {}
        self._allowed: dict = {}
        self.starts_word = torch.tensor(starts_word)
        self.closes = torch.tensor(closes)
        self.risky = torch.tensor(risky)
        self.hashes = torch.tensor(hashes)
        self.cont = torch.tensor(cont)
        self.glue = torch.tensor(glue)
        self.glue_set = frozenset(i for i, g in enumerate(glue) if g)
        self.hash_ids = [i for i, h in enumerate(hashes) if h]
        self.hash_set = frozenset(self.hash_ids)

    def on(self, logits: torch.Tensor, name: str) -> torch.Tensor:
        """One of the tables, on the logits' device (moved once)."""
        key = (name, logits.device)
        t = self._on.get(key)
        if t is None:
            t = self._on[key] = getattr(self, name).to(logits.device)
        return t

    def allowed(
        self, room: int, left: int, in_word: bool, done: bool, no_hashtags: bool, logits
    ) -> torch.Tensor:
        """The tokens the budget allows in this state, over the logits' width (cached: the
        states repeat across steps and sequences)."""
        key = (room, min(left, 5), in_word, done, no_hashtags, logits.shape[-1], logits.device)
        allow = self._allowed.get(key)
        if allow is not None:
            return allow
        n = min(self.n, logits.shape[-1])
        cost, starts, closes = (
            self.on(logits, "cost")[:n],
            self.on(logits, "starts_word")[:n],
            self.on(logits, "closes")[:n],
        )
        # a new word (or clause) must leave room to finish it; the current word's
        # continuation, room for the sentence's end; a sentence's end, only itself
        new_word = room - WORD_ROOM if left > 4 else -1
        other = (room - (0 if done or not in_word else 1)) if left > 1 else -1
        limit = torch.where(starts, float(new_word), float(other))
        limit = torch.where(closes, torch.full_like(limit, float(room)), limit)
        allow = torch.zeros(logits.shape[-1], dtype=torch.bool, device=logits.device)
        allow[:n] = cost <= limit
        if no_hashtags:
            allow[:n] &= ~self.on(logits, "hashes")[:n]
        if len(self._allowed) > 4096:
            self._allowed.clear()
        self._allowed[key] = allow
        return allow


_COSTS: dict[tuple[int, str], TokenCosts] = {}
_CHUNKS: dict[tuple[str, str], int] = {}


def _chunk_count(rule: LengthRule, piece: str) -> int:
    """A finished piece's count (it ends in whitespace); short ones, mostly one word and
    its space ("the "), repeat across steps and drafts, so they are remembered."""
    if len(piece) > 40:
        return rule.count(piece)
    key = (rule.platform, piece)
    n = _CHUNKS.get(key)
    if n is None:
        if len(_CHUNKS) > 200_000:
            _CHUNKS.clear()
        n = _CHUNKS[key] = rule.count(piece)
    return n


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
        # Counted in pieces: no URL, mention or emoji sequence spans whitespace, so the
        # count of what precedes the last whitespace stays put and only the word being
        # written is counted again (see `counted`). The suffix starts with a space.
        self._head_len, self._head_count = 0, 0
        self._suffix_count = 0 if not suffix else rule.count(suffix) if suffix[:1].isspace() else None
        self._pending: tuple[str, torch.Tensor] | None = None  # a far step's, for `reject`
        self._stop_t: torch.Tensor | None = None
        self._stops: list[int] | None = None
        self._words = False  # any text but spacing yet
        self._scanned = -1  # the text's length when _advance last looked
        self.span = max(STEER * self.limit, 2 * WORD_ROOM)
        if self.room() < WORD_ROOM // 2:
            raise ValueError(
                f"{rule.platform}: {self.limit} {rule.unit} leave {self.room()} for the draft"
                f" after its prefix and suffix; that is too little for any text"
            )

    def count(self, text: str) -> int:
        return self.rule.count(self.prefix + text + self.suffix)

    def _advance(self) -> None:
        """Count the words the text has finished (up to its last whitespace) once."""
        text = self.text
        if self._scanned == len(text):
            return  # nothing new since the last look
        self._scanned = len(text)
        cut = max(text.rfind(" ", self._head_len), text.rfind("\n", self._head_len)) + 1
        cut = max(cut, text.rfind("\t", self._head_len) + 1, text.rfind("\r", self._head_len) + 1)
        if cut > self._head_len:
            piece = text[self._head_len : cut]
            if not self._head_len:
                piece = self.prefix + piece
            self._head_count += _chunk_count(self.rule, piece)
            self._head_len = cut

    def counted(self, extra: str = "") -> int:
        """count(self.text + extra), in pieces: the text up to its last whitespace is
        counted once, as it grows; the word after it, at each call."""
        if self._suffix_count is None:
            return self.count(self.text + extra)
        self._advance()
        tail = self.text[self._head_len :] + extra
        if not self._head_len:
            tail = self.prefix + tail
        return self._head_count + self.rule.count(tail) + self._suffix_count

    def _upper(self) -> int:
        """A bound on the count, without counting the word being written: each of its
        characters weighs at most 2, and it may yet become a URL (23)."""
        self._advance()
        tail = len(self.text) - self._head_len + (0 if self._head_len else len(self.prefix))
        return self._head_count + 2 * tail + URL_COST + self._suffix_count

    def room(self) -> int:
        return self.limit - self.counted()

    def __call__(self, history: list[int], logits: torch.Tensor) -> torch.Tensor:
        c = self.costs
        if self.seen is None:
            self.seen = self.start = len(history)  # the prompt
        for t in history[self.seen :]:
            if t < c.n:
                piece = self.decoder.decode(c.bytes[t])
                self.text += piece
                if not self._words and not piece.isspace() and piece:
                    self._words = True
        self.seen = len(history)
        text = self.text
        # tokens left to the draft: with 4, no new word; with 1, only a sentence's end
        left = 1 << 30 if self.max_tokens is None else self.max_tokens - (len(history) - self.start)
        far = (
            self._suffix_count is not None
            and self.limit - self._upper() - c.max_cost - URL_COST > self.span + WORD_ROOM
        )
        if self._stops is None:
            self._stops = [s for s in self.stop_ids if s < logits.shape[-1]]
        stops = self._stops
        if far and left > 8:
            # far from the end: no token can reach it and nothing is steered yet, so only
            # what is always forbidden is (a '#', when the hashtags come from the store),
            # and the end of an empty draft or inside a word. Both are rarely drawn, so
            # neither is masked here: `reject` bans them if the draw is one
            # (engine.draw_checked), and this step reads none of the row.
            self._pending = (text, logits)
            return logits
        self._pending = None
        room = self.room()
        n = min(c.n, logits.shape[-1])
        last = text[-1:] if text else ""
        in_word = bool(last) and _is_word(last)
        done = ended(text)
        allow = c.allowed(room, left, in_word, done, self.no_hashtags, logits).clone()
        if in_word and (room < WORD_ROOM + 4 or left <= 4):
            # No new word fits. Is the word written so far whole? If the model puts most of
            # its weight on tokens that go on with it, no: it may go on. Otherwise it wanted
            # a new word, and gluing a continuation on would make one up ("I" + "example").
            glued = c.on(logits, "glue")[:n]
            probs = torch.softmax(logits[:n].float(), -1)
            if float(probs[glued].sum()) < 0.5:
                allow[:n] &= ~glued
        # a token that could make the last word a URL: count the best few exactly
        if self.rule.platform in ("x", "mastodon"):
            words = text.split()
            tail = words[-1] if words and not text[-1].isspace() else ""  # the word being written
            if room - c.max_cost - URL_COST >= WORD_ROOM:
                risky = None  # even a URL's 23 cannot take any allowed token over
            else:
                cost, starts = c.on(logits, "cost")[:n], c.on(logits, "starts_word")[:n]
                risky = c.on(logits, "risky")[:n].clone()
                if any(ch in ".:/" for ch in tail):
                    risky |= c.on(logits, "cont")[:n] | ~starts
                risky &= allow[:n] & (cost + URL_COST > room)
            if risky is not None and bool(risky.any()):
                ids = torch.nonzero(risky).flatten()
                best = ids[torch.topk(logits[ids].float(), min(EXACT_TOP, len(ids))).indices]
                allow[ids] = False
                for t in best.tolist():
                    piece = c.bytes[t].decode("utf-8", errors="replace")
                    after = self.limit - self.counted(piece)
                    allow[t] = after >= (WORD_ROOM if bool(starts[t]) and left > 4 else 0)
        if not text.strip():
            allow[stops] = False  # never an empty draft
        elif done and (room < WORD_ROOM or left <= 4):
            allow[:] = False  # a sentence has ended and no other fits: the end
            allow[stops] = True
        else:
            allow[stops] = True
        if in_word and bool(allow[stops].any()) and self._mid_word(text, logits, stops):
            n_glue = c.on(logits, "glue")[:n] & allow[:n]
            if bool(n_glue.any()):  # the word can still be finished: it is, before the end
                allow[stops] = False
        if not bool(allow.any()):
            allow[stops] = True
        out = logits.masked_fill(~allow, float("-inf"))
        # steer to an end over the last STEER of the budget
        span = self.span
        if room < span and text.strip():
            bonus = STEER_BIAS * (1 - room / span)
            out = out.clone()
            # (a sentence's end glued to the word, "/10.", only where the word goes on)
            out[:n] += (c.on(logits, "closes")[:n] & ~c.on(logits, "glue")[:n]).float() * bonus
            if done:
                out[stops] += bonus
        return out

    def reject(self, history: list[int], token: int) -> list[int] | None:
        """engine.draw_checked: after a step far from the end (which masks nothing), the
        drawn token is checked for what that step lets through: a '#' where the hashtags
        come from the store (all '#' tokens are then banned), or the end of an empty draft
        or of one inside a word (the ends are banned). None: the token stands."""
        if self._pending is None:
            return None
        text, logits = self._pending
        c = self.costs
        if self.no_hashtags and token in c.hash_set:
            return [t for t in c.hash_ids if t < logits.shape[-1]]
        stops = self._stops or []
        if token in stops and (not self._words or self._mid_word(text, logits, stops)):
            return stops
        self._pending = None  # the token stands: let go of the step's logits
        return None

    def _mid_word(self, text: str, logits: torch.Tensor, stops: list[int]) -> bool:
        """Would the end come inside a word? The text ends in a letter or digit, the end is
        likely enough to be drawn, and the model puts most of its weight on going on with
        the word (a fragment like "@jonas st" is no place to stop)."""
        if not stops or not text or not _is_word(text[-1]):
            return False
        c = self.costs
        n = min(c.n, logits.shape[-1])
        # over the 16 likeliest tokens (a full softmax each step would cost more than the
        # rest of the processor): the end's odds, and the continuation's share
        if self._stop_t is None or self._stop_t.device != logits.device:
            self._stop_t = torch.tensor(stops, dtype=torch.long, device=logits.device)
        if (torch.max(logits) - torch.max(logits.index_select(0, self._stop_t))).item() > END_MARGIN:
            return False  # the end is all but never drawn here: nothing to check
        vals, ids = torch.topk(logits[:n], min(16, n))
        vals, ids = vals.tolist(), ids.tolist()
        w = [math.exp(v - vals[0]) for v in vals]
        glue = sum(x for x, i in zip(w, ids) if i in c.glue_set)
        return glue >= 0.5 * sum(w)

    def settle(self, history: list[int]) -> None:
        """The last token (the scheduler calls this when the sequence ends)."""
        if self.seen is not None:
            for t in history[self.seen :]:
                if t < self.costs.n:
                    self.text += self.decoder.decode(self.costs.bytes[t])
            self.seen = len(history)
        self.text += self.decoder.decode(b"", final=True)
