"""The two agents: what to answer to one event. They never name a platform: the adapter
gives the length rule, the thread, and where the answer goes.

- The mention agent ("@mynah is this true?"): reads the thread the mention was made in,
  asks the server's `/v1/social/explain` about the post it was tagged under (the live
  index, quoted and cited, decoded within the platform's length), and answers in the
  thread with the cited posts as links; a long answer becomes a short thread. A request
  outside its scope (write me a poem, follow me) is declined politely; one the policy
  layer refuses gets the refusal. A request for a chart ("chart of flood posts this week",
  "how much are people posting about the strike today?", see `chart_request`) is answered
  with the server's `/v1/images/chart` of the topic's posts over time: the chart attached
  to the reply (byte for byte: it carries provenance metadata) and its caption as the text
  and the alt text; a topic without posts, or a request the server cannot chart, gets a
  short text saying so. (Charts go to mentions only, never to DMs.)
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

import base64
import binascii
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

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
    # a chart request: no topic, no posts, or one the server could not chart ({topic}, {reason})
    "chart_topic": {
        "en": 'Tell me what to chart, e.g. "chart of flood posts this week".',
        "de": 'Sag mir, wozu ich ein Diagramm machen soll, z. B. "Diagramm über Hochwasser diese Woche".',
        "es": 'Dime de qué hago el gráfico, p. ej. "gráfico de inundaciones esta semana".',
    },
    "chart_empty": {
        "en": 'I found no posts about "{topic}" in that time, so there is nothing to chart.',
        "de": 'Ich habe in dem Zeitraum keine Beiträge zu "{topic}" gefunden, also gibt es nichts zu zeigen.',
        "es": 'No encontré publicaciones sobre "{topic}" en ese periodo, así que no hay nada que mostrar.',
    },
    "chart_failed": {
        "en": 'Sorry, I couldn\'t make a chart of "{topic}": {reason}',
        "de": 'Sorry, ich konnte kein Diagramm zu "{topic}" erstellen: {reason}',
        "es": 'Lo siento, no pude hacer un gráfico de "{topic}": {reason}',
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


# -- chart requests --------------------------------------------------------------------------

_NOUN = (
    r"(?:charts?|graphs?|plots?|diagrams?|histograms?|visuali[sz]ations?|diagramme?|grafiken?|grafik|"
    r"schaubild(?:er)?|gr[aá]fic[oa]s?|diagramas?)"
)
_NOUN_RE = re.compile(r"\b" + _NOUN + r"\b", re.IGNORECASE)
# asking for one to be made: a verb of making before the chart word ("make me a chart",
# "zeig mir ein Diagramm", "haz un gráfico"), or the chart word as the verb ("can you chart
# ...", "please graph ..."); not "what does this chart mean?" or "does this graph make sense?"
_MAKE = (
    r"\b(make|draw|create|generate|build|produce|do|(show|give|send|post) (me|us)|"
    r"mach(e|en|st)?|zeichne[n]?|erstell(e|en|st)?|zeig(e|en|st)? (mir|uns)|gib (mir|uns)|"
    r"haz(me)?|hacer|haga|dame|d[eé]me|mu[eé]stra(me|nos)?|ens[eé][nñ]a(me|nos)|genera|crea|dibuja)\b"
)
_ASK = re.compile(
    _MAKE + r".{0,30}?\b" + _NOUN + r"\b|"
    r"\b((can|could|would|will) you|please|pls|bitte|puedes|podr[ií]as)\s+(please\s+)?"
    r"(chart|graph|plot|visuali[sz]e)\b",
    re.IGNORECASE,
)
# what may come before a chart word that leads the mention ("hourly chart of ...")
_LEADING = re.compile(
    r"^((a|an|one|hourly|daily|weekly|quick|simple|small|bar|line|ein(e|en)?|un|una|"
    r"st[uü]ndliche[sn]?|t[aä]gliche[sn]?)\s+)*$",
    re.IGNORECASE,
)
# what follows a chart word when it names its topic: "chart of ...", "Diagramm über ...", "graph: ..."
_NAMES = re.compile(
    r"\s*(:|-|—|\s(of|about|for|on|showing|über|zu[mr]?|von|vom|del?|sobre|acerca de|para)\s)",
    re.IGNORECASE,
)
# a chart already there: "this chart", "the graph", "dieses Diagramm", "este gráfico"
_EXISTING = re.compile(
    r"\b(this|that|these|those|the|your|his|her|their|its|dies(e[smnr]?)?|das|dem|den|der|die|"
    r"este|esta|ese|esa|el|la|aquel|aquella)\s+$",
    re.IGNORECASE,
)
# how much people post about something
_VOLUME = re.compile(
    r"\bhow (much|many|often)\b.{0,50}?\b(posting|posted|talking|talked|talk(s|ed)? about|tweeting|"
    r"tweeted|mentioning|mentioned|writing|discussing|discussed|chatter)\b|"
    r"\bhow (much|many)\b.{0,20}?\b(posts|tweets|mentions|toots|skeets)\b|"
    r"\bwie (viel|viele|oft)\b.{0,50}?\b(gepostet|poste[nt]?|geschrieben|schreiben|geredet|reden|"
    r"beitr[aä]ge|tweets|erw[aä]hnt)\b|"
    r"\bcu[aá]nt[oa]s?\b.{0,50}?\b(publica(n|ndo|ciones)?|habla(n|ndo)?|postea(n|ndo)?|"
    r"tuitea(n|ndo)?|menciones|posts|tuits)\b",
    re.IGNORECASE,
)
_OVER_TIME = re.compile(
    r"\b(show|give) me\b.{0,80}?\b(over time|per (day|hour)|by (day|hour)|daily|hourly|trend|timeline)\b|"
    r"\bzeig(e)? mir\b.{0,80}?\b(im (zeit)?verlauf|über die zeit|pro (tag|stunde)|verlauf)\b|"
    r"\bmu[eé]stra(me)?\b.{0,80}?\b(a lo largo del tiempo|en el tiempo|con el tiempo|por (d[ií]a|hora)|evoluci[oó]n)\b",
    re.IGNORECASE,
)
# where the topic starts: after "chart of/about/for ...", "posting about ...", "show me ..."
_TOPIC_AFTER = re.compile(
    _NOUN + r"\s+(?:of|about|for|on|showing|über|zu[mr]?|von|vom|de[l]?|sobre|acerca de|para)\s+|"
    r"\b(?:about|on|regarding|concerning|über|zu[mr]?|sobre|acerca de)\s+",
    re.IGNORECASE,
)
_TOPIC_BARE = re.compile(
    r"\b(?:chart|graph|plot|visuali[sz]e|(?:show|give) me|zeig(?:e)? mir|mu[eé]strame)\s+", re.IGNORECASE
)
# relative time ranges: (pattern, by, how far back, or "yesterday"/"year")
_RANGES = [
    (r"\b(yesterday|gestern|ayer)\b", "hour", "yesterday"),
    (
        r"\b(today|last 24 hours|past 24 hours|past day|last day|this morning|tonight|heute|"
        r"letzten 24 stunden|hoy|[uú]ltimas 24 horas)\b",
        "hour",
        timedelta(hours=24),
    ),
    (
        r"\b(this week|past week|last week|last 7 days|past 7 days|diese woche|letzte woche|"
        r"letzten 7 tage|esta semana|[uú]ltima semana|la semana pasada|[uú]ltimos 7 d[ií]as)\b",
        "day",
        timedelta(days=7),
    ),
    (
        r"\b(this month|past month|last month|last 30 days|past 30 days|diesen monat|letzten monat|"
        r"letzten 30 tage|este mes|[uú]ltimo mes|el mes pasado|[uú]ltimos 30 d[ií]as)\b",
        "day",
        timedelta(days=30),
    ),
    (r"\b(this year|dieses jahr|este a[nñ]o)\b", "day", "year"),
]
_LAST_N = re.compile(
    r"\b(?:last|past|letzten|vergangenen|[uú]ltim[oa]s)\s+(\d{1,3})\s+"
    r"(hours?|days?|weeks?|stunden|tagen?|wochen|horas|d[ií]as|semanas)\b",
    re.IGNORECASE,
)
_HOURLY = re.compile(
    r"\b(hourly|per hour|by hour|each hour|st[uü]ndlich|pro stunde|por hora)\b", re.IGNORECASE
)
_TIME_WORDS = re.compile(
    "|".join(p for p, _, _ in _RANGES)
    + r"|"
    + _LAST_N.pattern
    + r"|"
    + _HOURLY.pattern
    + r"|\b(over time|over the (last|past) \w+|per day|by day|daily|each day|trend|timeline|so far|recently|lately|"
    r"im (zeit)?verlauf|über die zeit|pro tag|t[aä]glich|a lo largo del tiempo|en el tiempo|con el tiempo|"
    r"por d[ií]a|al d[ií]a|evoluci[oó]n)\b",
    re.IGNORECASE,
)
_STOPWORDS = """a an the of about for on in at to by with from over this that these those it its is are was were be
    been do does did can could would will please pls me us my our you your i we people folks everyone someone
    anyone users accounts how much many often what which who post posts posting posted tweet tweets tweeting
    tweeted mention mentions mentioning mentioned talk talking talked write writing discussing discuss chatter
    volume number amount activity count chart charts graph graphs plot plots diagram histogram make draw create
    generate show give send here there now some any all and or vs versus regarding concerning
    get gets got gotten has have had
    ein eine einen einem einer der die das den dem des zu zum zur von vom über mit für im in am an auf und oder
    bitte mir uns mach mache erstelle zeig zeige gib wie viel viele oft leute beiträge beitrag diagramm grafik
    un una unos unas el la los las lo de del sobre acerca para con en y o por favor me muéstrame muestrame
    haz hazme dame cuánto cuántos cuánta cuántas gente publicaciones publican hablan gráfico grafico gráfica
    grafica diagrama gepostet geschrieben geredet gesprochen wird werden posten schreiben reden publica
    publicando habla hablando postea posteando"""
_STOP = frozenset(_STOPWORDS.split())


@dataclass
class ChartRequest:
    """What a mention asks to be charted: `topic` ("" when it names none), the bucket
    (`by`: "hour" or "day") and the range (ISO 8601, None: the server's default)."""

    topic: str
    by: str = "day"
    since: str | None = None
    until: str | None = None


def _iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _time_range(text: str, now: datetime) -> tuple[str, str | None, str | None]:
    """(by, since, until) from the request's words ("today", "last 3 days", "diese Woche")."""
    by = "hour" if _HOURLY.search(text) else "day"
    m = _LAST_N.search(text)
    if m:
        n, unit = int(m.group(1)), m.group(2).lower()
        if unit.startswith(("hour", "stunde", "hora")):
            back = timedelta(hours=n)
        elif unit.startswith(("week", "woche", "semana")):
            back = timedelta(weeks=n)
        else:
            back = timedelta(days=n)
        return ("hour" if back <= timedelta(hours=72) else by), _iso(now - back), None
    for pattern, bucket, back in _RANGES:
        if re.search(pattern, text, re.IGNORECASE):
            if back == "yesterday":
                midnight = now.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
                return bucket, _iso(midnight - timedelta(days=1)), _iso(midnight)
            if back == "year":
                start = now.astimezone(timezone.utc).replace(
                    month=1, day=1, hour=0, minute=0, second=0, microsecond=0
                )
                return bucket, _iso(start), None
            return ("hour" if bucket == "hour" else by), _iso(now - back), None
    return by, None, None


def _topic(text: str, start: int) -> str:
    rest = re.split(r"[?!.;:\n]", text[start:], maxsplit=1)[0]
    rest = _TIME_WORDS.sub(" ", _LAST_N.sub(" ", rest))
    words = [w.strip("'\"-") for w in re.findall(r"[#\w][\w'-]*", rest)]
    return " ".join([w for w in words if w and w.lower() not in _STOP][:6])


def chart_request(text: str, now: datetime | None = None) -> ChartRequest | None:
    """Whether a mention asks for a chart of how much people post about something, and of
    what: a chart word with a request to make one ("chart of flood posts this week", "can
    you make a graph of the strike?", "Zeig mir ein Diagramm über Hochwasser", "haz un
    gráfico de las inundaciones") or a chart word leading the mention; a question about
    volume ("how much are people posting about the strike today?", "wie viel wird über ...
    gepostet", "cuántos publican sobre ..."); or "show me ... over time". Not: a question
    about a chart the post shows ("what does this chart mean?", "is the graph right?"), nor
    "show me the source". None when it is not a chart request; the topic is "" when it
    names none. `now`: for "today", "this week", "last 3 days" (default: the clock)."""
    now = now or datetime.now(timezone.utc)
    body = " ".join(_HANDLE.sub(" ", re.sub(r"https?://\S+", " ", text)).split())
    if not body:
        return None
    start = named = None  # where the topic is looked for; where a chart word names it
    noun = _NOUN_RE.search(body)
    volume = _VOLUME.search(body)
    if noun and not re.match(r"plot twists?\b", body[noun.start() :], re.IGNORECASE):
        names = _NAMES.match(body, noun.end())
        existing = _EXISTING.search(body[: noun.start()])
        asked = _ASK.search(body) or (_LEADING.match(body[: noun.start()]) and names)
        if asked and (names or not existing):
            start, named = noun.start(), (names.end() if names else None)
        elif existing or not volume:
            return None  # about a chart ("what does this chart mean?"), not asking for one
    if start is None and volume:
        start = volume.start()
    if start is None:
        over_time = _OVER_TIME.search(body)
        if not over_time:
            return None
        start = over_time.start()
    # the topic: after "chart of/about ...", "posting about ...", else after the chart word,
    # the volume question or "show me"
    after = _TOPIC_AFTER.search(body, start)
    if named is not None:
        topic = _topic(body, named)
    elif after is not None:
        topic = _topic(body, after.end())
    elif volume is not None and volume.start() >= start:
        topic = _topic(body, volume.end())
    else:
        bare = _TOPIC_BARE.search(body, start)
        topic = _topic(body, bare.end()) if bare else ""
    if not topic and not (noun is not None and start == noun.start()):
        return None  # "how many tweets did this get?": a question about the post, not a chart
    by, since, until = _time_range(body, now)
    return ChartRequest(topic, by, since, until)


# -- the server -----------------------------------------------------------------------------


class Unavailable(Exception):
    """The generating server cannot answer now (down, loading, queue full): decide later."""

    def __init__(self, message: str, retry_after: float = 5.0):
        super().__init__(message)
        self.retry_after = retry_after


class Refused(Exception):
    """The policy layer refused the request; `message` is its refusal."""


class Rejected(RuntimeError):
    """The server answered the request with a 4xx (other than 429 and a policy refusal):
    the request itself is wrong (400) or names something the server does not have (404).
    `status` and `message` (the OpenAI-shaped error's), `code` if it gave one."""

    def __init__(self, path: str, status: int, message: str, code: str | None = None):
        super().__init__(f"{path}: HTTP {status}: {message}")
        self.status, self.message, self.code = status, message, code


@dataclass
class Image:
    """A chart from `/v1/images/chart`: the PNG as the server made it (with its provenance
    metadata, never re-encoded), its one-line caption (the alt text), and the posts counted."""

    png: bytes
    caption: str
    post_count: int
    provenance: dict = field(default_factory=dict)


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
            error = data.get("error") if isinstance(data.get("error"), dict) else {}
            err = error.get("message") or data.get("detail") or r.text[:200]
            if 400 <= r.status_code < 500:
                raise Rejected(path, r.status_code, str(err), error.get("code"))
            raise RuntimeError(f"{path}: HTTP {r.status_code}: {err}")
        return data

    def explain(
        self, text: str, question: str, rule: LengthRule, max_length: int, post_id: str | None = None
    ):
        body = {"platform": rule.platform, "max_length": max_length, "question": question}
        body.update({"post_id": post_id} if post_id else {"text": text})
        d = self._post("/v1/social/explain", body)
        return Answer(d["data"][0]["text"], d.get("citations") or [])

    def chart(
        self,
        query: str,
        since: str | datetime | None = None,
        until: str | datetime | None = None,
        by: str = "day",
    ) -> Image:
        """A chart of how many live posts match `query` per hour or day (`by`) in the range
        (ISO 8601 or datetimes; None: the server's default). Raises Refused, Unavailable,
        Rejected (4xx) or RuntimeError, as every call here does."""
        body = {
            "query": query,
            "since": _iso(since) if isinstance(since, datetime) else since,
            "until": _iso(until) if isinstance(until, datetime) else until,
            "by": by,
            "response_format": "b64_json",
        }
        d = self._post("/v1/images/chart", body)
        try:
            png = base64.b64decode(d["data"][0]["b64_json"], validate=True)
        except (KeyError, IndexError, TypeError, binascii.Error, ValueError):
            raise RuntimeError("/v1/images/chart: no base64 image in the response") from None
        count = d.get("post_count")
        return Image(
            png,
            " ".join(str(d.get("caption") or "").split()),
            count if isinstance(count, int) and not isinstance(count, bool) else 0,
            d.get("provenance") if isinstance(d.get("provenance"), dict) else {},
        )

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
        ask = chart_request(e.text)
        if ask is not None:  # before the decline: "make me a chart of flood posts" is in scope
            return self._chart(e, ask, rule, prefix, question)
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

    def _chart(self, e: Event, ask: ChartRequest, rule: LengthRule, prefix: str, question: str) -> Plan:
        """The answer to a chart request: the chart with its caption, or why there is none."""
        if not ask.topic:
            return self._reply(e, [fit(prefix + say("chart_topic", question), rule)], "chart: no topic named")
        try:
            img = self.brain.chart(ask.topic, ask.since, ask.until, ask.by)
        except Refused as r:
            return self._reply(e, [fit(prefix + str(r), rule)], "refused by the policy layer")
        except Rejected as x:  # the request, not the server: say so rather than retry
            text = say("chart_failed", question).format(topic=ask.topic, reason=_plain_reason(x))
            return self._reply(e, [fit(prefix + text, rule)], f"no chart: HTTP {x.status}: {x.message}")
        if img.post_count <= 0:
            text = say("chart_empty", question).format(topic=ask.topic)
            return self._reply(e, [fit(prefix + text, rule)], f"chart: no posts about {ask.topic!r}")
        caption = " ".join(img.caption.split())  # one line
        caption = caption or f'Posts about "{ask.topic}" per {ask.by}, {img.post_count} in all.'
        # the text is the caption cut to the platform's length; the alt text is all of it
        text = fit(prefix + caption, rule) or prefix.strip()
        media = [{"png_b64": base64.b64encode(img.png).decode("ascii"), "alt": caption}]
        note = f"answered with a chart of {img.post_count} post(s) about {ask.topic!r} by {ask.by}"
        return self._reply(e, [text], note, media=media)

    def _reply(self, e: Event, parts: list[str], note: str, cites=None, media=None) -> Plan:
        sends = []
        for i, text in enumerate(p for p in parts if p):
            key = f"{e.platform}:{e.id}:{i}"
            sends.append(
                Send(key, e.platform, "reply", text, e.post_id or e.conversation, dict(e.ref), e.sender_id)
            )
            if i:
                sends[-1].after = sends[-2].key
        if media and sends:
            sends[0].media = list(media)
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


def _plain_reason(x: Rejected) -> str:
    """Why the server made no chart, in a sentence for the person who asked."""
    msg = " ".join((x.message or "").split())
    if x.status in (401, 403, 404):
        # the server's setup (its key, no post store, no such endpoint): not the asker's
        # business, and no operator's hint ("start it with --posts") in a public reply
        return "charts are not available right now."
    if not msg:
        return "the request could not be charted."
    first = re.split(r"(?<=[.!?])\s", msg, maxsplit=1)[0][:160].rstrip()
    return first if first.endswith((".", "!", "?")) else first + "."


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
