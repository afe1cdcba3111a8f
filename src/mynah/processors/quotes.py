"""Quotes that cannot be fabricated or misattributed, and citation numbers that exist.

A logits processor (engine.LogitsProcessor) for grounded answers. It runs a state machine
over the bytes the answer has decoded so far, not over tokens: byte-level BPE merges `."`
and ` "`, and `“` is three bytes that can split across tokens. Its rules:
- quote pairs are "…", “…”, „…“ and «…»; a quote cannot open when no posts were given;
- inside a quote, only tokens whose bytes continue a verbatim span of one of the posts (its
  text as the block shows it), begun at a word boundary, are allowed;
- a quote closes only at a word boundary after at least 3 words, or where the post's text
  ends, and not where it would repeat a quote the answer already made; at the end of every
  candidate span only the close is allowed;
- after a quote closes, the next citation marker `[n]` or `@handle` must name a post that
  contains the quoted span; while decoding, that marker comes next (only spacing and
  punctuation before it: no words, no new quote, not the end of the answer), so that no
  quote is left unattributed; any other `[n]` must name a post that exists;
- it never masks every token: if the rules leave nothing inside a quote, the quote closes,
  and otherwise nothing is masked;
- given the answer's token budget (`max_tokens`), a quote that could not be closed and
  marked before the budget ends does not open, an open one closes where it can, and a due
  marker's `[` comes at once: an answer cut at its length limit leaves no quote unmarked.

Each candidate token is checked by running its bytes through the machine, but only the
tokens that can change anything are checked: outside a quote, those holding a quote
character, `[` or (when an attribution is due) `@`; inside one, those a byte trie of the
vocabulary finds along the posts' text. Results that depend on the state alone are cached.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

# opening bytes -> closing bytes
PAIRS = {
    b'"': b'"',
    "“".encode(): "”".encode(),
    "„".encode(): "“".encode(),
    "«".encode(): "»".encode(),
}
_OPEN_PREFIXES = {o[:i] for o in PAIRS for i in range(1, len(o))}  # b"\xe2", b"\xe2\x80", b"\xc2"
TRIGGERS = frozenset(b'"[@') | {o[0] for o in PAIRS}
MIN_WORDS = 3
# Tokens an answer needs from opening a quote to its marker's "]" (3 short words, the
# close, "[", the number, "]"), and from where a quote must close to that "]".
OPEN_RESERVE = 12
CLOSE_RESERVE = 5
OUT, IN, MARK, HANDLE = range(4)
_GAP = b" \t\n,.;:!?)-\xe2\x80\x94"  # spacing and punctuation (and the bytes of an em dash)
_HANDLE_CHARS = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")


def _is_word(b: int) -> bool:
    return b >= 0x80 or chr(b).isalnum()


@dataclass(frozen=True)
class Source:
    """One post of the block: its number, its author's handle and its text as shown."""

    number: int
    author: str | None
    text: str


@dataclass
class State:
    mode: int = OUT
    pending: bytes = b""  # OUT: the start of a multi-byte opening quote
    close: bytes = b""  # IN: the bytes that close this quote
    closing: bytes = b""  # IN: the part of `close` written so far
    close_who: frozenset = frozenset()  # IN: the posts a close begun here would attribute to
    q: bytes = b""  # IN: the quoted bytes so far
    occ: tuple = ()  # IN: (post index, end offset) of each place q matches
    due: frozenset | None = None  # post indexes that must be named next (after a quote)
    digits: bytes = b""  # MARK
    handle: bytes = b""  # HANDLE
    spans: frozenset = frozenset()  # the quotes closed so far (an answer quotes each once)
    used: frozenset = frozenset()  # (post index, start offset) of each quote closed so far
    quoted: set = field(default_factory=set)  # post indexes quoted so far
    cited: set = field(default_factory=set)  # post indexes cited by [n] or @handle so far

    def copy(self) -> State:
        s = State(**self.__dict__)
        s.quoted, s.cited = set(self.quoted), set(self.cited)
        return s

    def key(self):
        """What the allowed set depends on (None: not cacheable)."""
        if self.mode == OUT:
            return (OUT, self.pending, self.due, self.spans, self.used)
        if self.mode == MARK:
            return (MARK, self.digits, self.due)
        if self.mode == IN and not self.q and not self.closing:
            return (IN, self.close, self.used)
        return None


class QuoteMachine:
    """The rules over bytes, for one block of posts."""

    def __init__(self, sources: list[Source]):
        self.sources = sources
        self.texts = [s.text.encode("utf-8") for s in sources]
        self.numbers = {s.number: i for i, s in enumerate(sources)}
        self.handles = {(s.author or "").encode("utf-8"): i for i, s in enumerate(sources) if s.author}
        # Where a quote may begin: at a word boundary of a post, never inside a character or
        # a word ("bour ferr" is a substring of "harbour ferry", not a quote of it).
        self._starts = tuple(
            (i, e)
            for i, t in enumerate(self.texts)
            for e in range(len(t))
            if not 0x80 <= t[e] < 0xC0 and (e == 0 or not _is_word(t[e - 1]) or not _is_word(t[e]))
        )

    # -- one byte -------------------------------------------------------------------------

    def feed(self, st: State, data: bytes, forced: bool = False) -> State | None:
        """The state after `data`, or None if the rules forbid it. `st` is not changed."""
        st = st.copy()
        for b in data:
            if not self._byte(st, b, forced):
                return None
        return st

    def _byte(self, st: State, b: int, forced: bool = False) -> bool:
        if st.mode == IN:
            return self._in_quote(st, b, forced)
        if st.mode == MARK:
            if 0x30 <= b <= 0x39:
                st.digits += bytes([b])
                return self._number_prefix_ok(st)
            if b == 0x5D and st.digits:  # "]": a marker [n]
                i = self.numbers.get(int(st.digits))
                if i is None or (st.due is not None and i not in st.due):
                    return False
                st.cited.add(i)
                st.mode, st.digits, st.due = OUT, b"", None
                return True
            if st.digits:  # "[12 ..." is no marker: finish it first
                return False
            st.mode = OUT  # "[" followed by text: plain text
            return self._byte(st, b)
        if st.mode == HANDLE:
            if b in _HANDLE_CHARS:
                st.handle += bytes([b])
                return any(h.startswith(st.handle) for h in self._due_handles(st))
            name, st.mode, st.handle = st.handle, OUT, b""
            if name:
                i = self.handles.get(name)
                if i is None or i not in st.due:
                    return False
                st.cited.add(i)
                st.due = None
            return self._byte(st, b)
        # OUT
        if st.pending:
            cand = st.pending + bytes([b])
            if cand in PAIRS:
                st.pending = b""
                return self._open(st, cand)
            if cand in _OPEN_PREFIXES:
                st.pending = cand
                return True
            st.pending = b""  # not a quote after all: plain bytes; look at b afresh
        if b == 0x22:
            return self._open(st, b'"')
        if bytes([b]) in _OPEN_PREFIXES:
            st.pending = bytes([b])
            return True
        if b == 0x5B:  # "["
            st.mode, st.digits = MARK, b""
            return True
        if b == 0x40 and st.due is not None:  # "@" right after a quote names its author
            if not self._due_handles(st):  # (a post with no author is cited by number)
                return False
            st.mode, st.handle = HANDLE, b""
            return True
        return True

    def _due_handles(self, st: State) -> list[bytes]:
        return [h for h, i in self.handles.items() if i in st.due]

    def _number_prefix_ok(self, st: State) -> bool:
        if st.digits.startswith(b"0"):
            return False
        allowed = self.numbers if st.due is None else {n for n, i in self.numbers.items() if i in st.due}
        return any(str(n).encode().startswith(st.digits) for n in allowed)

    def _open(self, st: State, opener: bytes) -> bool:
        if not self.texts:
            return False  # nothing to quote from
        if st.due:
            return False  # the last quote's marker comes first
        st.mode, st.close, st.closing, st.q = IN, PAIRS[opener], b"", b""
        # not where an earlier quote began: a post's last words are no second quote either
        st.occ = tuple(x for x in self._starts if x not in st.used) if st.used else self._starts
        return True

    def can_close(self, st: State, forced: bool = False) -> frozenset:
        """The posts whose span ends at a place where this quote may close."""
        ok = set()
        if st.q in st.spans and not forced:
            return frozenset()  # the same words again: say something else, or go on
        words = len(st.q.split())
        for i, e in st.occ:
            t = self.texts[i]
            if (
                forced
                and st.q
                or e == len(t)
                and st.q
                or words >= MIN_WORDS
                and (not _is_word(t[e]) or not _is_word(t[e - 1]))
            ):
                ok.add(i)
        return frozenset(ok)

    def _in_quote(self, st: State, b: int, forced: bool) -> bool:
        # Two readings of each byte, kept side by side: the close being written, and the
        # span going on (“ and ’ share their first two bytes, so either may be meant).
        closing, who = b"", st.close_who
        if st.closing:
            if st.close.startswith(st.closing + bytes([b])):
                closing = st.closing + bytes([b])
        elif b == st.close[0]:
            who = self.can_close(st, forced)
            if who:
                closing = bytes([b])
        occ = tuple((i, e + 1) for i, e in st.occ if e < len(self.texts[i]) and self.texts[i][e] == b)
        if closing == st.close:
            st.quoted |= who
            st.spans = st.spans | {st.q}
            st.used = st.used | {(i, e - len(st.q)) for i, e in st.occ if i in who}
            st.mode, st.q, st.occ, st.closing, st.close_who, st.due = OUT, b"", (), b"", frozenset(), who
            return True
        if not closing and not occ:
            return False
        st.closing, st.close_who = closing, who if closing else frozenset()
        if occ:
            st.q += bytes([b])
        st.occ = occ
        return True


class VocabIndex:
    """The vocabulary as bytes: a trie, first-byte groups and the tokens that can change
    the machine's state outside a quote. Built once per tokenizer."""

    def __init__(self, tok):
        n = tok.vocab_size
        specials = {tok.eot_id, tok.im_start_id, tok.im_end_id, tok.pad_id}
        self.bytes = [b"" if i in specials else tok.piece_bytes(i) for i in range(n)]
        self.specials = sorted(specials)
        self.trie: dict = {}
        for i, bs in enumerate(self.bytes):
            if not bs:
                continue
            node = self.trie
            for b in bs:
                node = node.setdefault(b, {})
            node.setdefault(None, []).append(i)
        self.triggers = [i for i, bs in enumerate(self.bytes) if any(b in TRIGGERS for b in bs)]
        # what may follow a closed quote until its marker: spacing and punctuation, then `[` or `@`
        self.after_quote = [
            i for i, bs in enumerate(self.bytes) if bs and bs.lstrip(_GAP)[:1] in (b"", b"[", b"@")
        ]
        self.by_first: dict[int, list[int]] = {}
        for i, bs in enumerate(self.bytes):
            if bs:
                self.by_first.setdefault(bs[0], []).append(i)

    def first_in(self, byte_values) -> list[int]:
        return [i for b in byte_values for i in self.by_first.get(b, [])]


_INDEXES: dict[int, VocabIndex] = {}


def vocab_index(tok) -> VocabIndex:
    idx = _INDEXES.get(id(tok))
    if idx is None:
        idx = _INDEXES[id(tok)] = VocabIndex(tok)
    return idx


class QuoteConstraint:
    """engine.LogitsProcessor: one per sequence (it keeps that sequence's state)."""

    def __init__(self, tok, sources: list[Source], max_tokens: int | None = None):
        self.vocab = vocab_index(tok)
        self.machine = QuoteMachine(sources)
        self.state = State()
        self.seen: int | None = None  # tokens of the history already fed
        self.start = 0  # the prompt's length
        self.max_tokens = max_tokens  # the answer's budget, when the caller knows it
        self.cache: dict = {}

    @property
    def quoted(self) -> set[int]:
        return self.state.quoted

    @property
    def cited(self) -> set[int]:
        return self.state.cited

    def __call__(self, history: list[int], logits: torch.Tensor) -> torch.Tensor:
        if self.seen is None:
            self.seen = self.start = len(history)  # the prompt
        for t in history[self.seen :]:
            # (a model's vocabulary may be padded past the tokenizer's: such ids are no text)
            piece = self.vocab.bytes[t] if t < len(self.vocab.bytes) else b""
            nxt = self.machine.feed(self.state, piece)
            if nxt is None:  # a forced close (see _compute)
                nxt = self.machine.feed(self.state, piece, forced=True)
            if nxt is None:  # a token sampled where nothing was masked: carry on outside
                nxt = State(
                    spans=self.state.spans,
                    used=self.state.used,
                    quoted=self.state.quoted,
                    cited=self.state.cited,
                )
            self.state = nxt
        self.seen = len(history)
        allowed, banned = self._rule(self.state)
        if self.max_tokens is not None:
            left = self.max_tokens - (len(history) - self.start)  # this token included
            if left <= OPEN_RESERVE:
                allowed, banned = self._near_end(self.state, left, allowed, banned)
        if allowed is not None:
            mask = torch.full_like(logits, float("-inf"))
            mask[allowed] = 0
            return logits + mask
        if banned:
            logits = logits.clone()
            logits[banned] = float("-inf")
        return logits

    def _rule(self, st: State) -> tuple[list[int] | None, list[int]]:
        """(allowed ids, or None for all but `banned`; banned ids)."""
        key = st.key()
        if key is not None and key in self.cache:
            return self.cache[key]
        rule = self._compute(st)
        if key is not None:
            self.cache[key] = rule
        return rule

    def _near_end(self, st: State, left: int, allowed, banned):
        """The rule with `left` tokens to go: narrowed only where something remains."""
        v, feed = self.vocab, self.machine.feed

        def narrow(keep) -> list[int]:
            # (in these states the rule is an allowed list; None there means nothing fits)
            return [i for i in allowed or () if v.bytes[i] and keep(feed(st, v.bytes[i]))]

        if st.mode != IN and st.due is None:
            # no quote opens that could not be closed and marked in time
            cands = set(v.triggers) | (set(v.first_in(range(0x80, 0xC0))) if st.pending else set())
            if allowed is not None:
                cands &= set(allowed)
            opens = [
                i
                for i in cands
                if (n := feed(st, v.bytes[i])) is not None
                and (n.mode == IN or n.pending or n.due is not None)
            ]
            if allowed is not None:
                shut = set(opens)
                kept = [i for i in allowed if i not in shut]
                return (kept, []) if kept else (allowed, banned)
            return None, [*banned, *opens]
        if st.mode == IN and left <= CLOSE_RESERVE:
            kept = narrow(lambda n: n is not None and n.mode != IN)  # close the quote where it can
            if not kept and left <= 4:  # or anywhere (still verbatim): the close and "[n]" need 4
                ids = v.first_in([(st.close[len(st.closing) :] or st.close)[0]])
                kept = [i for i in ids if (n := feed(st, v.bytes[i], True)) is not None and n.mode != IN]
        elif st.mode == OUT and st.due is not None:
            kept = narrow(lambda n: n is not None and n.mode == MARK)  # the marker, now, as [n]
        elif st.mode == MARK and st.digits and left <= 1:
            kept = narrow(lambda n: n is not None and n.mode == OUT)  # its "]"
        else:
            return allowed, banned
        return (kept, []) if kept else (allowed, banned)

    def _ok(self, st: State, ids, forced: bool = False) -> list[int]:
        return [i for i in ids if self.vocab.bytes[i] and self.machine.feed(st, self.vocab.bytes[i], forced)]

    def _compute(self, st: State) -> tuple[list[int] | None, list[int]]:
        v = self.vocab
        if st.mode == IN:
            verbatim, closing = self._walk(st)
            allowed = sorted(verbatim | set(self._ok(st, closing - verbatim)))
            if not allowed:  # nothing continues the quote: it closes, whatever the rules say
                allowed = self._ok(
                    st, v.first_in([(st.close[len(st.closing) :] or st.close)[0]]), forced=True
                )
            return (allowed, []) if allowed else (None, [])
        if st.mode == MARK and (st.digits or st.due):  # a due marker's `[` is its number next
            allowed = self._ok(st, v.first_in(b"0123456789]" if st.digits else b"0123456789"))
            return (allowed, []) if allowed else (None, [])
        if st.mode == HANDLE:
            starts = v.first_in(_HANDLE_CHARS)
            cont = self._ok(st, starts)  # the handle goes on (a bare "@" must start one)
            i = self.machine.handles.get(st.handle) if st.handle else None
            if i is None or i not in st.due:  # not yet a due author's whole handle: go on
                return (cont, []) if cont else (None, [])
            # a whole due handle: any other token ends it, unless its own bytes break a rule
            ok = set(cont)
            banned = [t for t in starts if t not in ok]
            banned += [t for t in v.triggers if v.bytes[t][0] not in _HANDLE_CHARS and not self._ok(st, [t])]
            return None, banned
        if st.mode == OUT and st.due and not st.pending:
            # a closed quote's marker comes next: nothing but spacing, punctuation and the
            # marker's start until it is written (no words, no new quote, not the end)
            allowed = self._ok(st, v.after_quote)
            return (allowed, []) if allowed else (None, [])
        # OUT (or a MARK/HANDLE just opened): only the tokens that can matter are checked
        cands = set(v.triggers)
        if st.pending:
            cands |= set(v.first_in(range(0x80, 0xC0)))
        if st.mode == MARK:
            cands |= set(v.first_in(b"0123456789]"))
        if st.mode == HANDLE:
            cands |= set(v.first_in(_HANDLE_CHARS))
        banned = [i for i in cands if v.bytes[i] and self.machine.feed(st, v.bytes[i]) is None]
        return None, banned

    def _walk(self, st: State) -> tuple[set[int], set[int]]:
        """(tokens whose bytes follow a post's text from a place q ends: valid as they are;
        tokens that would close the quote on the way: to be checked by the caller)."""
        verbatim: set[int] = set()
        closing: set[int] = set()
        close = st.close[len(st.closing) :]
        ends = {}
        for i, e in st.occ:
            ends.setdefault(self.machine.texts[i][e:], None)
        for rest in ends:
            node = self.vocab.trie
            for d in range(len(rest) + 1):
                # a close may start here: every token through the close bytes is a candidate
                c = node
                for b in close:
                    c = c.get(b)
                    if c is None:
                        break
                else:
                    stack = [c]
                    while stack:
                        n = stack.pop()
                        closing.update(n.get(None, ()))
                        stack.extend(x for k, x in n.items() if k is not None)
                if d == len(rest):
                    break
                node = node.get(rest[d])
                if node is None:
                    break
                verbatim.update(node.get(None, ()))
        # A verbatim token holding the close's first byte may close the quote inside it (a
        # post that itself quotes), and what follows is then outside: check those too.
        first = st.close[0]
        maybe = {t for t in verbatim if first in self.vocab.bytes[t]} if not st.closing else set(verbatim)
        return verbatim - maybe, closing | maybe


def analyze(text: str, sources: list[Source]) -> tuple[set[int], set[int]]:
    """The post numbers an answer quotes and cites, read by the same rules (lenient where
    the text breaks them: a bad byte ends the quote or marker there)."""
    m = QuoteMachine(sources)
    st = State()
    for b in text.encode("utf-8"):
        nxt = m.feed(st, bytes([b]))
        # a byte the rules forbid ends the quote or marker there; what was read stays
        st = nxt if nxt is not None else State(spans=st.spans, used=st.used, quoted=st.quoted, cited=st.cited)
    return {sources[i].number for i in st.quoted}, {sources[i].number for i in st.cited}
