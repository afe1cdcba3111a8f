"""The policy layer: a check of each request before generation, and of each answer as it
streams, a sentence at a time. It wraps the engine and never enters it: the engine sees
token ids and the processors; what is refused or cut is decided here, on text.

Input: the request's last user message goes through the operator's input rules, then the
classifier (embedding + cues). Output: every finished sentence of an answer goes through
the output rules (false voting dates against the deployment's election facts, voting by
text message, "the election is postponed", "your vote won't count", and the operator's
own). A quote that the grounding processors verified as verbatim from a post is that
post's claim: it is never cut, and the answer is labelled with it instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from mynah.safety.cues import NAMES, cues
from mynah.safety.policy import HARD, LIMITS, Policy
from mynah.safety.refusals import language, refusal_text

# -- what the output check looks for in a generated sentence --------------------------------

_ELECTION = re.compile(
    r"\b(vot\w*|ballot\w*|polls?|polling|election\w*|wahl\w*|w[aä]hl\w*|briefwahl|stimmabgabe|"
    r"elecci\w*|votaci\w*|votar|urnas?|comicios)\b",
    re.IGNORECASE,
)
_OUTPUT_RULES: list[tuple[str, re.Pattern]] = [
    (
        "H1-method",  # voting by text message, phone, app or social post does not exist anywhere
        re.compile(
            r"\b(vote|voting|cast (your|a) (vote|ballot))\b[^.!?\n]{0,30}\b(by|via|through|over)\s+"
            r"(text|sms|texting|phone|telephone|app|tweet|twitter|x|facebook|whatsapp|e-?mail)\b|"
            r"\btext\s+\w+\s+to\s+\d{3,}\b[^.!?\n]{0,40}\bvote|"
            r"\b(per|über|via)\s+(sms|whatsapp|telefon|app|e-?mail)\s+(w[aä]hlen|abstimmen)|"
            r"\bvotar\s+(por|v[ií]a|con un)\s+(sms|whatsapp|tel[eé]fono|mensaje|app|correo electr[oó]nico)",
            re.IGNORECASE,
        ),
    ),
    (
        "H1-deter",  # the classic suppression claims
        re.compile(
            r"\b(election|vote|voting|polls?)\b[^.!?\n]{0,40}\b(has been|have been|is|are|was|were)\s+"
            r"(postponed|cancell?ed|called off|suspended|moved to)\b|"
            r"\byour (vote|ballot) (won'?t|will not|doesn'?t|does not) (count|matter)|"
            r"\b(no need|don'?t bother|not worth it) to vote\b|\bstay home on (election|voting) day\b|"
            r"\b(wahl|abstimmung)\w*\s+(wurde|ist|wird)\s+(verschoben|abgesagt|ausgesetzt)|"
            r"\b(deine|ihre|eure) stimme (z[aä]hlt|wird) (nicht|nichts)\b|"
            r"\b(elecci[oó]n|elecciones|votaci[oó]n)\s+(ha sido|han sido|fue|fueron|se ha|se han)\s+"
            r"(aplazad|suspendid|cancelad|pospuest|trasladad)\w*|"
            r"\btu voto (no cuenta|no vale|no sirve)",
            re.IGNORECASE,
        ),
    ),
]
_MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("january", "jan", "januar", "jänner", "enero"),
            ("february", "feb", "februar", "febrero"),
            ("march", "mar", "märz", "marzo"),
            ("april", "apr", "abril"),
            ("may", "mai", "mayo"),
            ("june", "jun", "juni", "junio"),
            ("july", "jul", "juli", "julio"),
            ("august", "aug", "agosto"),
            ("september", "sep", "sept", "septiembre", "setiembre"),
            ("october", "oct", "oktober", "okt", "octubre"),
            ("november", "nov", "noviembre"),
            ("december", "dec", "dezember", "dez", "diciembre"),
        ],
        1,
    )
    for m in names
}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATE = re.compile(
    rf"\b(?P<iso>(?P<y>\d{{4}})-(?P<m>\d{{1,2}})-(?P<d>\d{{1,2}}))\b|"
    rf"\b(?P<d2>\d{{1,2}})(?:st|nd|rd|th|\.)?\s+(?:de\s+)?(?P<m2>{_MONTH})\b|"
    rf"\b(?P<m3>{_MONTH})\.?\s+(?P<d3>\d{{1,2}})(?:st|nd|rd|th)?\b",
    re.IGNORECASE,
)
_QUOTED = re.compile(r"[\"“„«]([^\"“”„«»]{8,})[\"”“»]")
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"”»)\]]*\s+|\n+")
MAX_TEXT = 4000  # of a request read by the check: the embedding reads 256 tokens, cues and rules need no more
MAX_HOLD = 400  # characters held back without a sentence end before they are checked anyway


def dates_in(text: str) -> list[tuple[int | None, int, int]]:
    """(year or None, month, day) of every date written in the text."""
    out = []
    for m in _DATE.finditer(text):
        try:
            if m["iso"]:
                out.append((int(m["y"]), int(m["m"]), int(m["d"])))
            elif m["d2"]:
                out.append((None, _MONTHS[m["m2"].lower()], int(m["d2"])))
            else:
                out.append((None, _MONTHS[m["m3"].lower()], int(m["d3"])))
        except (KeyError, ValueError):
            continue
    return [d for d in out if 1 <= d[1] <= 12 and 1 <= d[2] <= 31]


# A request that only reads (what posts say, whether a claim is true) is must-answer, with
# the misinformation in it: quoting a post fakes nothing. It stays a request to read only
# while no cue of writing something as, or for, someone else is in it.
_READS = {"store_posts", "verbatim", "verify"}
_WRITES = {
    "invent",
    "fake",
    "pose",
    "be_named",
    "n_invented",
    "many_voices",
    "as_other",
    "screenshot",
    "official",
    "wire",
    "urgent",
    "deter",
}


def reads_only(found: set[str]) -> bool:
    return bool(found & _READS) and not found & _WRITES


@dataclass
class Decision:
    decision: str  # "allow" or "refuse"
    category: str | None = None
    rule_id: str | None = None
    stage: str = "input"  # "input" or "output"
    message: str | None = None  # the refusal, shown to the user
    score: float | None = None
    version: str = ""
    lang: str = "en"  # of the request: the language its refusal, or a cut's note, is written in

    @property
    def refused(self) -> bool:
        return self.decision == "refuse"

    def public(self) -> dict:
        """The `policy` object of a response."""
        return {
            "decision": self.decision,
            "category": self.category,
            "rule_id": self.rule_id,
            "policy_version": self.version,
            "stage": self.stage,
        }


@dataclass
class Claim:
    """A quote verified as verbatim from post [index] that the output rules would have cut."""

    index: int
    quote: str
    rule_id: str


class Guard:
    """One per server: the policy, the classifier and the embedder it shares with retrieval."""

    def __init__(self, policy: Policy, classifier=None, embedder=None, audit=None, metrics=None):
        self.policy, self.classifier, self.embedder = policy, classifier, embedder
        self.audit, self.metrics = audit, metrics

    @classmethod
    def load(cls, policy: Policy, embedder=None, audit=None) -> Guard:
        """The classifier and its embedder, loaded now: a server must not start without them."""
        from mynah.safety.classifier import Classifier

        clf = Classifier.load(policy.classifier) if policy.classifier else Classifier.load()
        if embedder is None:
            from mynah.posts.embed import Embedder

            embedder = Embedder()
        g = cls(policy, clf, embedder, audit)
        g.check_request("warm up: what time do the polls open?")
        return g

    # -- input ---------------------------------------------------------------------------

    def check_request(self, text: str, vec: np.ndarray | None = None) -> Decision:
        """The decision on a request's text; `vec`: its Embedder.both, when made already (the
        server makes it once for the check and retrieval)."""
        p = self.policy
        text = text[:MAX_TEXT]
        lang = language(text)  # the words of a refusal, and of a cut later in the answer
        for r in p.rules:
            if r.stage == "input" and p.enabled(r.category) and r.pattern.search(text):
                return self._refuse(r.category, r.id, "input", text=r.text, lang=lang)
        if not text.strip():
            return Decision("allow", "general", None, version=p.version, lang=lang)
        if vec is None:
            vec = self.embedder.both([text])[0]
        found = cues(text)  # once, for the classifier and the reading rule
        score, hard, top = self.classifier.score(vec, text, found)
        if reads_only(
            {NAMES[i] for i, x in enumerate(found) if x}
        ):  # asking what posts say, or whether a claim is true, fakes nothing
            category = top if top not in HARD else "quoting_posts"
            return Decision("allow", category, None, score=score, version=p.version, lang=lang)
        if p.enabled(hard) and score >= p.threshold_of(hard):
            d = self._refuse(hard, LIMITS[hard].rule_id, "input", lang=lang)
            d.score = score
            return d
        category = top if top not in HARD else "general"
        return Decision("allow", category, None, score=score, version=p.version, lang=lang)

    def check_image_prompt(self, text: str, vec: np.ndarray | None = None) -> Decision:
        """The decision on an image generation prompt: the operator's input rules and the image
        rules (H1-image, H4-image, H2-image), then the text check for any prompt but a plain
        scene with no words in it; a refusal is worded for pictures (safety/images.py)."""
        from mynah.safety.images import check_image_prompt

        return check_image_prompt(self, text, vec)

    def _refuse(
        self, category: str, rule_id: str, stage: str, text: str | None = None, lang: str = "en"
    ) -> Decision:
        msg = refusal_text(category, rule_id, stage, lang, self.policy.election.official_url, text)
        return Decision("refuse", category, rule_id, stage, msg, version=self.policy.version, lang=lang)

    # -- output --------------------------------------------------------------------------

    def check_sentence(
        self, sentence: str, sources: list | None = None, lang: str = "en"
    ) -> tuple[Decision | None, list[Claim]]:
        """A refusal when the sentence breaks an output rule outside verified quotes; the
        quotes that would have broken one are returned as claims."""
        claims: list[Claim] = []
        own = sentence
        for m in _QUOTED.finditer(sentence):
            q = m.group(1).strip()
            idx = next((s.number for s in sources or [] if q in s.text), None)
            if idx is None:
                continue
            own = own.replace(m.group(0), " ")
            hit = self._output_rule(q)
            if hit:
                claims.append(Claim(idx, q, hit[1]))
        hit = self._output_rule(own)
        if hit:
            category, rule_id, text = hit
            return self._refuse(category, rule_id, "output", text, lang), claims
        return None, claims

    def _output_rule(self, text: str) -> tuple[str, str, str | None] | None:
        p = self.policy
        for r in p.rules:
            if r.stage == "output" and p.enabled(r.category) and r.pattern.search(text):
                return r.category, r.id, r.text
        if not p.enabled("election_process") or not _ELECTION.search(text):
            return None
        for rule_id, pat in _OUTPUT_RULES:
            if pat.search(text):
                return "election_process", rule_id, None
        known = [d.date for d in p.election.dates]
        if known:
            for y, m, d in dates_in(text):
                if not any(k.month == m and k.day == d and (y is None or k.year == y) for k in known):
                    return "election_process", "H1-date", None
        return None

    def gate(self, sources: list | None = None, lang: str = "en") -> OutputGate:
        return OutputGate(self, sources, lang)

    # -- records -------------------------------------------------------------------------

    def record(self, d: Decision, request_id: str, endpoint: str, text: str | None = None) -> None:
        if self.metrics is not None:
            self.metrics.policy.labels(d.stage, d.decision, d.category or "none").inc()
        if self.audit is not None:
            self.audit.write(d, request_id, endpoint, text if self.policy.audit_text else None)

    def facts_note(self) -> str:
        return self.policy.election.line()


@dataclass
class OutputGate:
    """Holds a streamed answer back a sentence at a time: `push` returns the text that has
    passed (whole sentences), `finish` the rest. After a cut nothing more passes."""

    guard: Guard
    sources: list | None = None
    lang: str = "en"  # the request's: a cut's note is written in it
    held: str = ""
    cut: Decision | None = None
    claims: list[Claim] = field(default_factory=list)
    recorded: bool = False  # the cut is in the audit log and /metrics

    def push(self, text: str) -> str:
        if self.cut is not None:
            return ""
        self.held += text
        out = []
        while True:
            # only within the first MAX_HOLD characters, so that where a piece ends does not
            # depend on how the text arrived (token by token, or whole)
            m = _SENTENCE_END.search(self.held, 0, MAX_HOLD)
            if m is None:
                if len(self.held) <= MAX_HOLD:
                    break
                end = self.held.rfind(" ", 0, MAX_HOLD) + 1 or MAX_HOLD
            else:
                end = m.end()
            piece, self.held = self.held[:end], self.held[end:]
            if not self._pass(piece):
                return "".join(out)
            out.append(piece)
        return "".join(out)

    def finish(self) -> str:
        if self.cut is not None or not self.held:
            return ""
        piece, self.held = self.held, ""
        return piece if self._pass(piece) else ""

    def _pass(self, piece: str) -> bool:
        d, claims = self.guard.check_sentence(piece, self.sources, self.lang)
        self.claims += claims
        if d is not None:
            self.cut, self.held = d, ""
            return False
        return True

    def claims_note(self) -> str:
        """The label a quoted claim gets, with the official facts beside it."""
        if not self.claims:
            return ""
        idx = ", ".join(f"[{i}]" for i in sorted({c.index for c in self.claims}))
        return (
            f"\n\nNote: the quoted words from post {idx} are that post's claim, not established fact. "
            + self.guard.facts_note()
        )


FUN = {
    "role": "system",
    "content": "Mode: fun. Be witty, playful and a little irreverent, and keep it friendly. "
    "The same rules apply as always.",
}


def policy_messages(policy: Policy, msgs: list[dict], mode: str | None, category: str | None) -> list[dict]:
    """The conversation the model sees under the policy: fun mode's tone, and for a voting
    question the deployment's election facts (or where to find them). The server builds every
    allowed request's prompt with this, and the chat-tuning data (train/grounded.py) builds its
    voting and fun-mode conversations with it: train as you serve."""
    extra = []
    if (mode or policy.mode) == "fun":
        extra.append(FUN)
    if category == "voting_info":
        extra.append(election_facts_message(policy))
    return [*extra, *msgs] if extra else msgs


def election_facts_message(policy: Policy) -> dict:
    """The system message a voting question gets: the deployment's facts, or where to look."""
    return {
        "role": "system",
        "content": policy.election.line() + " Answer questions about voting from these facts only.",
    }
