"""The two agents: what to answer to one event. They never name a platform: the adapter
gives the length rule, the thread, and where the answer goes.

- The mention agent ("@mynah is this true?"): reads the thread the mention was made in,
  asks the server's `/v1/social/explain` about the post it was tagged under (the live
  index, quoted and cited, decoded within the platform's length), and answers in the
  thread with the cited posts as links; a long answer becomes a short thread. A request
  outside its scope (write me a poem, follow me) is declined politely; one the policy
  layer refuses gets the refusal.
- The DM service agent: answers a customer from the business's knowledge base
  (social/kb.py) through `/v1/social/support`, with the sections it cites, and hands the
  conversation to a person when the knowledge base has nothing relevant, when the
  customer asks for one (English, German, Spanish), when the policy layer refuses, or
  after `handoff_after_turns` answers in a row that cite nothing. From then on it sends
  nothing until an operator releases the conversation (Rasa's pause and resume,
  Chatwoot's pending and open). STOP and the like are honoured; replies are rate-limited
  per conversation.

Everything generated goes through the server's API, so the policy layer, the watermark
and the batching apply as they do to chat. The fixed texts (handoff, opt-out, decline)
are the platform's words, not the model's.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

import httpx

from mynah.social.length import LengthRule
from mynah.social.platforms.base import Adapter, Event, Send
from mynah.social.state import AgentState, Conversation, Plan
from mynah.social.tools import cut_to_fit as fit

# -- what people write --------------------------------------------------------------------

# Asking for a person, in English, German and Spanish.
_HUMAN = re.compile(
    r"\b(human|real person|a person|someone real|live agent|an agent|representative|operator|"
    r"(talk|speak|chat) (to|with) (a |an |your )?(human|person|agent|someone|manager|staff)|"
    r"mensch(en)?|mitarbeiter(in)?|echten? person|sachbearbeiter(in)?|kundenberater(in)?|"
    r"mit (einem|einer|jemandem) (mitarbeiter|person|menschen)? ?sprechen|"
    r"humano|persona real|una persona|agente|representante|operador(a)?|hablar con alguien)\b",
    re.IGNORECASE,
)
DEFAULT_OPT_OUT = ("stop", "unsubscribe", "stopp", "abmelden", "baja", "parar", "cancelar")
OPT_IN = ("start", "unstop", "resume")

# Requests a mention agent does not take: making content, acting on accounts, money.
_OUT_OF_SCOPE = re.compile(
    r"\b((write|compose|draft|make|generate|create)\b.{0,40}\b(poem|song|essay|story|code|tweet|post|thread|"
    r"image|picture|joke|letter)s?|"
    r"(follow|unfollow|block|mute|dm|message|pay|send)\s+me\b|"
    r"(buy|sell|send|transfer|invest)\b.{0,30}\b(crypto|bitcoin|money|coins?|tokens?|shares?)|password|"
    r"schreib(e|en)?\b.{0,40}\b(gedicht|lied|aufsatz|geschichte|code|tweet|beitrag)|folge?\s+mir|"
    r"escrib(e|ir)\b.{0,40}\b(poema|canción|ensayo|historia|código|tuit)|sígueme)",
    re.IGNORECASE,
)
_HANDLE = re.compile(r"(?<![\w@])@[\w.-]+(@[\w.-]+)?")

TEXTS = {
    "handoff": {
        "en": "I'm passing this to a person on our team; they will answer you here.",
        "de": "Ich gebe das an eine Person aus unserem Team weiter; sie antwortet dir hier.",
        "es": "Paso esto a una persona de nuestro equipo; te responderá aquí.",
    },
    "opted_out": {
        "en": "You won't get automatic replies here any more. Send START to turn them back on.",
        "de": "Du bekommst hier keine automatischen Antworten mehr. Schreib START, um sie wieder einzuschalten.",
        "es": "Ya no recibirás respuestas automáticas aquí. Envía START para volver a activarlas.",
    },
    "opted_in": {
        "en": "Automatic replies are on again. How can I help?",
        "de": "Automatische Antworten sind wieder an. Wie kann ich helfen?",
        "es": "Las respuestas automáticas vuelven a estar activas. ¿En qué puedo ayudar?",
    },
    "decline": {
        "en": "Sorry, I only answer questions about posts: tag me under a post and ask what it is about or whether it holds up.",
        "de": "Sorry, ich beantworte nur Fragen zu Beiträgen: Markiere mich unter einem Beitrag und frag, worum es geht.",
        "es": "Lo siento, solo respondo preguntas sobre publicaciones: menciónadme bajo una y pregunta de qué trata.",
    },
}


def _lang(text: str) -> str:
    from mynah.safety.refusals import language

    return language(text)


def say(what: str, text: str) -> str:
    t = TEXTS[what]
    return t.get(_lang(text), t["en"])


def asks_for_human(text: str) -> bool:
    return bool(_HUMAN.search(text))


def out_of_scope(text: str) -> bool:
    return bool(_OUT_OF_SCOPE.search(_HANDLE.sub(" ", text)))


def _word(text: str) -> str:
    return re.sub(r"[^\w ]", "", text).strip().lower()


# -- the server -----------------------------------------------------------------------------


class Unavailable(Exception):
    """The generating server cannot answer now (down, loading, queue full): decide later."""

    def __init__(self, message: str, retry_after: float = 5.0):
        super().__init__(message)
        self.retry_after = retry_after


class Refused(Exception):
    """The policy layer refused the request; `message` is its refusal."""


@dataclass
class Answer:
    text: str
    citations: list[dict] = field(default_factory=list)

    def cited(self) -> list[dict]:
        return [c for c in self.citations if c.get("cited") or c.get("quoted")]


class Brain:
    """The server's writing tools over HTTP (`mynah agents run --server URL`, or `mynah
    serve` calling itself), so agents get the same policy layer, watermark and batching."""

    def __init__(self, url: str, api_key: str | None = None, timeout: float = 120.0, client=None):
        self.url = url.rstrip("/")
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = client or httpx.Client(timeout=timeout, headers=headers)

    def _post(self, path: str, body: dict) -> dict:
        try:
            r = self.client.post(self.url + path, json=body)
        except httpx.HTTPError as e:
            raise Unavailable(f"{self.url}{path}: {type(e).__name__}: {e}") from None
        if r.status_code == 429 or r.status_code >= 500:  # the server's trouble, not the event's
            ra = r.headers.get("retry-after", "")
            raise Unavailable(f"{path}: HTTP {r.status_code}", float(ra) if ra.isdigit() else 5.0)
        data = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
        if r.status_code == 400 and (data.get("error") or {}).get("code") == "content_policy_violation":
            raise Refused(data["error"]["message"])
        if r.status_code != 200:
            err = (data.get("error") or {}).get("message") or r.text[:200]
            raise RuntimeError(f"{path}: HTTP {r.status_code}: {err}")
        return data

    def explain(
        self, text: str, question: str, rule: LengthRule, max_length: int, post_id: str | None = None
    ):
        body = {"platform": rule.platform, "max_length": max_length, "question": question}
        body.update({"post_id": post_id} if post_id else {"text": text})
        d = self._post("/v1/social/explain", body)
        return Answer(d["data"][0]["text"], d.get("citations") or [])

    def support(
        self, messages: list[dict], documents: list[dict], rule: LengthRule, max_length: int
    ) -> Answer:
        body = {
            "platform": rule.platform,
            "max_length": max_length,
            "messages": messages,
            "documents": documents,
        }
        d = self._post("/v1/social/support", body)
        return Answer(d["data"][0]["text"], d.get("citations") or [])


# -- the agents -------------------------------------------------------------------------------


@dataclass
class AgentConfig:
    handoff_after_turns: int = 3  # bot answers in a row that cite no section
    opt_out_words: tuple[str, ...] = DEFAULT_OPT_OUT
    replies_per_minute: int = 6  # per conversation
    kb_k: int = 3  # sections an answer may draw on
    business: str | None = None  # the knowledge base's document to answer from (None: all)
    history: int = 6  # earlier messages of the conversation the answer sees
    links: int = 2  # source links under a mention's answer


class Agents:
    """Decides what to send for each event (a `Plan`, committed by the runner)."""

    def __init__(
        self, state: AgentState, brain: Brain, cfg: AgentConfig | None = None, kb=None, embedder=None
    ):
        self.state, self.brain, self.cfg, self.kb, self.embedder = (
            state,
            brain,
            cfg or AgentConfig(),
            kb,
            embedder,
        )

    def decide(self, e: Event, adapter: Adapter) -> Plan:
        return self.mention(e, adapter) if e.kind == "mention" else self.dm(e, adapter)

    # -- mentions ------------------------------------------------------------------------

    def mention(self, e: Event, adapter: Adapter) -> Plan:
        rule = adapter.rule()
        question = " ".join(_HANDLE.sub(" ", e.text).split())
        # Mastodon notifies the author only when the reply mentions them; on X the @handle
        # also keeps two askers' identical answers (a decline) from X's duplicate-content rule
        prefix = f"@{e.sender_handle} " if e.platform in ("mastodon", "x") and e.sender_handle else ""
        if out_of_scope(e.text):
            return self._reply(e, [fit(prefix + say("decline", question), rule)], "declined: out of scope")
        thread = adapter.thread(e) if e.parent_id else []
        subject = thread[-1]["text"] if thread else (question or e.text)
        room = rule.limit - rule.count(prefix) - 1
        try:
            a = self.brain.explain(subject, question or subject, rule, room)
        except Refused as r:
            return self._reply(e, [fit(prefix + str(r), rule)], "refused by the policy layer")
        links = [c["url"] for c in a.cited() if c.get("url")][: self.cfg.links]
        if not links:  # nothing quoted: the posts it was told about are still its sources
            links = [c["url"] for c in a.citations[1:] if c.get("url")][: self.cfg.links]
        body = prefix + a.text.strip()
        full = body + "".join(f" {u}" for u in links)
        if not a.text.strip():
            return Plan([], note="the model wrote nothing")
        if rule.fits(full):
            parts = [full]
        else:
            from mynah.social.tools import split_thread

            parts = [body] if rule.fits(body) else split_thread(body, rule, 3)
            if links:
                src = prefix + "Sources:"
                for u in links:
                    if rule.fits(f"{src} {u}"):
                        src += f" {u}"
                if src != prefix + "Sources:":
                    parts.append(src)
        return self._reply(e, parts, f"answered with {len(links)} source link(s)", a.citations)

    def _reply(self, e: Event, parts: list[str], note: str, cites=None) -> Plan:
        sends = []
        for i, text in enumerate(p for p in parts if p):
            key = f"{e.platform}:{e.id}:{i}"
            sends.append(
                Send(key, e.platform, "reply", text, e.post_id or e.conversation, dict(e.ref), e.sender_id)
            )
            if i:
                sends[-1].after = sends[-2].key
        return Plan(sends, note=note)

    # -- direct messages -----------------------------------------------------------------

    def dm(self, e: Event, adapter: Adapter) -> Plan:
        cfg = self.cfg
        rule = adapter.rule()
        conv = self.state.conversation(e.platform, e.conversation) or Conversation(
            e.platform, e.conversation, e.sender_handle, e.sender_id, replies=[]
        )
        conv.customer = e.sender_handle or conv.customer
        conv.customer_id = e.sender_id
        conv.ref = {**(conv.ref or {}), **e.ref}
        msgs: list[tuple] = [("customer", e.text, None)]
        word = _word(_HANDLE.sub(" ", e.text))  # "@mynah STOP" on Mastodon, where a DM mentions us

        # a Mastodon DM is a direct status: it reaches only the accounts it mentions
        prefix = f"@{conv.customer} " if e.platform == "mastodon" and conv.customer else ""

        def send(text: str, role: str = "bot", cites=None, note: str = "") -> Plan:
            text = fit(prefix + text if prefix and not text.startswith(prefix) else text, rule)
            s = Send(
                f"{e.platform}:{e.id}:0", e.platform, "dm", text, e.conversation, dict(conv.ref), e.sender_id
            )
            conv.replies = [t for t in (conv.replies or []) if t > time.time() - 60] + [time.time()]
            return Plan([s], conv, [*msgs, (role, text, cites)], note=note)

        def hand_off(reason: str) -> Plan:
            conv.status, conv.reason, conv.unanswered = "human", reason, 0
            return send(say("handoff", e.text), "bot", None, f"handed to a person: {reason}")

        if word in {w.lower() for w in cfg.opt_out_words}:
            conv.opted_out = True
            return send(say("opted_out", e.text), note="opted out")
        if conv.opted_out:
            if word in OPT_IN:
                conv.opted_out = False
                return send(say("opted_in", e.text), note="opted in")
            return Plan([], conv, msgs, note="opted out: no reply")
        if conv.status == "human":
            return Plan([], conv, msgs, note="waiting for a person: no bot reply")
        if conv.status == "closed":
            conv.status, conv.reason = "bot", None  # a new message reopens it, as Chatwoot does
        recent = [t for t in (conv.replies or []) if t > time.time() - 60]
        if len(recent) >= cfg.replies_per_minute:
            return Plan([], defer=60 - (time.time() - min(recent)) + 0.1, note="rate limited")
        if asks_for_human(e.text):
            return hand_off("the customer asked for a person")
        if self.kb is None:
            return hand_off("no knowledge base configured")
        found = self.kb.search(e.text, k=cfg.kb_k, embedder=self.embedder, doc=cfg.business)
        if not found.confident:
            return hand_off(f"no relevant section ({found.reason})")
        docs = support_documents(found.hits)
        history = [
            {"role": "user" if m["role"] == "customer" else "assistant", "content": m["text"]}
            for m in self.state.transcript(e.platform, e.conversation, cfg.history)
            if m["role"] in ("customer", "bot", "human")
        ] + [{"role": "user", "content": e.text}]
        sources_room = rule.count(sources_line(docs)) if docs else 0
        try:
            a = self.brain.support(
                history, docs, rule, max(32, rule.limit - sources_room - rule.count(prefix))
            )
        except Refused as r:
            conv.status, conv.reason = "human", "the policy layer refused the request"
            return send(str(r), "bot", None, "refused by the policy layer; handed to a person")
        titles = {d["id"]: d["title"] for d in docs}
        cites = [{**c, "title": titles.get(c.get("id"))} for c in a.citations]
        cited = [c for c in cites if c.get("cited") or c.get("quoted")]
        text = a.text.strip() + (sources_line(cited) if cited else "")
        conv.unanswered = 0 if cited else conv.unanswered + 1
        if not a.text.strip() or conv.unanswered >= cfg.handoff_after_turns:
            return hand_off(f"{conv.unanswered} answers in a row cited no section")
        return send(text, "bot", cites, f"answered citing {len(cited)} section(s)")


def support_documents(hits) -> list[dict]:
    """The knowledge base's sections as /v1/social/support takes them (the agent's request
    and the chat-tuning data, train/social.py, both build them here)."""
    from mynah.social.kb import title_of

    return [
        {
            "id": h.post.id,
            "title": title_of(h.post),
            "text": h.post.text,
            "author": h.post.author,  # the business: the block shows it as a post's author
            "url": h.post.url,
        }
        for h in hits
    ]


def sources_line(cites: list[dict]) -> str:
    """The sections an answer cites, by number and title, on a line of their own."""
    items = [f"[{c.get('index', i + 1)}] {c.get('title') or c.get('id')}" for i, c in enumerate(cites)]
    return "\nSources: " + "; ".join(items)
