"""Chat-tuning data for the writing tools, built by the endpoints' own prompt code.

Train as you serve: each conversation is made by social/tools.py's functions, the ones
serve/social.py calls: the same system line (platform, limit, tone, language), the same
thread and related posts from the store (`thread_of`, `conversation_of`, `related`), fitted
to the context by posts/ground.py as the server fits them. The answers come from the
sample network, whose posts carry their topic and kind:
- compose: a post of the network on the asked topic, in the asked language and tone, its
  hashtags and links taken out (the server appends the store's hashtags itself), for a
  prompt that names the topic's hashtags as the store uses them;
- replies: a reply the network really has to that post, without its leading @mention;
- summarize: the conversation's posts quoted verbatim, each marked with its number;
- explain: the post's topic, then verbatim quotes of it and of a related post on the
  same topic, marked;
- support: a customer's first DM to a business of the network, with the sections that the
  DM agent's own knowledge-base search finds for it (social/kb.py, social/agents.py:
  support_documents), answered by quoting the best section verbatim under its number. A
  DM the search is not confident about is not trained: the agent hands those to a person.
In English, German and Spanish, on all three platforms, each answer within the platform's
length rule.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

from mynah.posts.ground import Grounded, fit_with_answer
from mynah.posts.search import Hit
from mynah.posts.store import post_key
from mynah.processors.quotes import analyze
from mynah.safety.refusals import language
from mynah.sample import TOPICS
from mynah.social import tools
from mynah.social.length import PLATFORMS, rule_for
from mynah.train.grounded import LANG_INDEX, TOPIC_NAMES, _subject, mood, quotable

INSTRUCTIONS = {
    "en": [
        "Write a post about {s}.",
        "Draft a post on {s}",
        "a post about {s} please",
        "Post something about {s}.",
        "Write something short about {s}",
        "Tweet about {s}.",
    ],
    "de": [
        "Schreib einen Post über {s}.",
        "Entwirf einen Beitrag zu {s}",
        "Ein Post über {s}, bitte.",
        "Schreib etwas Kurzes über {s}.",
    ],
    "es": [
        "Escribe un post sobre {s}.",
        "Redacta una publicación sobre {s}",
        "Un post sobre {s}, por favor.",
        "Escribe algo corto sobre {s}.",
    ],
}
TONE_OF_MOOD = {"+": "positive", "-": "critical", "0": "neutral"}
SUMMARY = {
    "en": {"first": '@{a} writes "{q}" [{n}].', "more": ' @{a} replies "{q}" [{n}].'},
    "de": {"first": '@{a} schreibt "{q}" [{n}].', "more": ' @{a} antwortet "{q}" [{n}].'},
    "es": {"first": '@{a} escribe "{q}" [{n}].', "more": ' @{a} responde "{q}" [{n}].'},
}
EXPLAIN = {
    "en": {
        "about": "It is about {t}: ",
        "one": '@{a} writes "{q}" [{n}].',
        "also": ' @{a} adds "{q}" [{n}].',
    },
    "de": {
        "about": "Es geht um {t}: ",
        "one": '@{a} schreibt "{q}" [{n}].',
        "also": ' @{a} ergänzt "{q}" [{n}].',
    },
    "es": {"about": "Trata de {t}: ", "one": '@{a} escribe "{q}" [{n}].', "also": ' @{a} añade "{q}" [{n}].'},
}
TASKS = ["compose", "compose", "compose", "replies", "replies", "summarize", "explain"]
SUPPORT = [
    'Sorry about that. Our help page says: "{q}" [{n}].',
    'Thanks for reaching out. "{q}" [{n}].',
    'I am sorry for the trouble. "{q}" [{n}].',
    'Thanks for your message. Here is what applies: "{q}" [{n}].',
]
_URL = re.compile(r"\s*https?://\S+")
_NUMBERED = re.compile(r"^\d+/\d+\s+")
_MENTION = re.compile(r"^(?:@\w+\s+)+")


class SocialBuilder:
    """Makes writing-tool conversations over one post store of the sample network."""

    def __init__(
        self,
        store,
        labels: dict[str, dict],
        encode: Callable[[list[dict]], list[int]],
        context: int,
        seed: int = 0,
        embedder=None,
        kb=None,
        dms: list[dict] = (),
    ):
        self.store, self.labels, self.encode, self.context = store, labels, encode, context
        # the DM agent's task: a knowledge base of the network's businesses and the
        # customers' first messages to them
        self.kb = kb
        firsts: dict[str, dict] = {}
        for m in dms:
            firsts.setdefault(m["conversation_id"], m)
        self.dms = [m for m in firsts.values() if kb is not None]
        self.r = random.Random(seed)
        self.embedder = embedder
        # the network's posts that made it into the store, and their keys there (a sample
        # ingested from its X export is under x:, from its own JSONL under mynah:)
        self.keys: dict[str, str] = {}
        for plat in tools.STORE_PLATFORMS:
            for p in store.get([post_key(plat, pid) for pid in labels if pid not in self.keys]):
                self.keys.setdefault(p.id, p.key)
        have = set(self.keys)
        self.posts = [p for pid, p in labels.items() if pid in have]
        self.originals = [p for p in self.posts if p["kind"] in ("post", "thread") and p.get("topic")]
        self.replies = [p for p in self.posts if p["kind"] == "reply" and p.get("reply_to") in have]
        self.in_threads = [
            p for p in self.posts if p["kind"] in ("reply", "thread") and p.get("reply_to") in have
        ]

    def _rule(self):
        return rule_for(self.r.choice(PLATFORMS))

    def _fits(self, msgs: list[dict], answer: str) -> bool:
        room = self.context - len(self.encode(msgs)) - 1
        return len(self.encode([{"role": "assistant", "content": answer}])) <= room

    def _fit(self, task: str, msgs: list[dict], hits: list[Hit], rule) -> Grounded:
        """The block as the server fits it for `task` (serve/social.py: _generate)."""
        want = tools.answer_room(rule.limit, self.context)
        return fit_with_answer(msgs, hits, self.encode, self.context, want, render=tools.renderer(task))

    def _shown(self, task: str, msgs: list[dict], g: Grounded, answer: str) -> dict | None:
        """The conversation with its block as the model is served it, if the answer fits."""
        shown = tools.with_posts(msgs, g.hits, g.max_chars, task)
        if not self._fits(shown, answer):
            return None
        return {"messages": [*shown, {"role": "assistant", "content": answer}]}

    def conversation(self, task: str) -> dict | None:
        return getattr(self, "_" + task)()

    def tasks(self) -> list[str]:
        return TASKS + (["support", "support"] if self.dms else [])

    def _support(self) -> dict | None:
        from mynah.social.agents import support_documents
        from mynah.social.kb import title_of

        r = self.r
        dm = r.choice(self.dms)
        found = self.kb.search(dm["text"], k=3, doc=dm["recipient"])  # as the agent searches
        if not found.confident:
            return None
        rule = self._rule()
        msgs = tools.support_messages([{"role": "user", "content": dm["text"]}], rule)
        docs = support_documents(found.hits)
        g = self._fit("support", msgs, [Hit(tools.section_post(d), 0.0) for d in docs], rule)
        if not g.hits:
            return None
        sources = g.sources()
        # the section the search ranks first, quoted where it has the DM's words
        q = quotable(sources[0].text, prefer=dm["text"])
        if not q or q == title_of(g.hits[0].post):
            q = quotable(sources[0].text.split(": ", 1)[-1], prefer=dm["text"])
        if not q:
            return None
        answer = r.choice(SUPPORT).format(q=q, n=1)
        if not rule.fits(answer) or not _strict_ok(answer, sources):
            return None
        return self._shown("support", msgs, g, answer)

    def _compose(self) -> dict | None:
        r = self.r
        p = r.choice(self.originals)
        lang = p["lang"] if p["lang"] in LANG_INDEX else "en"
        answer = _NUMBERED.sub("", _URL.sub("", tools.strip_hashtags(p["text"]))).strip()
        if len(answer.split()) < 4:
            return None
        rule = self._rule()
        if not rule.fits(answer):
            return None
        if p["topic"] not in TOPIC_NAMES:
            return None
        subject = _subject(r, p["topic"], lang)  # by name, by what people post about, or by hashtag
        instructions = r.choice(INSTRUCTIONS[lang]).format(s=subject)
        m = mood(p["text"])
        tone = TONE_OF_MOOD[m] if m in TONE_OF_MOOD and r.random() < 0.5 else None
        lang_opt = lang if r.random() < 0.5 else None
        # as the server does: the store's hashtags on the instructions' topic in the prompt;
        # a draft is trained only where they are its topic's (what the hint is for)
        topic = tools.suggest_hashtags(self.store, instructions, embedder=self.embedder)
        if not set(topic) & set(TOPICS.get(p["topic"], ([],))[0]):
            return None
        msgs = tools.compose_messages(instructions, rule, tone, lang_opt, topic)
        if not self._fits(msgs, answer):
            return None
        return {"messages": [*msgs, {"role": "assistant", "content": answer}]}

    def _replies(self) -> dict | None:
        r = self.r
        reply = r.choice(self.replies)
        target = self.store.get([self.keys[reply["reply_to"]]])
        if not target:
            return None
        target = target[0]
        answer = _MENTION.sub("", reply["text"]).strip()
        rule = self._rule()
        if len(answer.split()) < 2 or not rule.fits(answer):
            return None
        # as the server gathers them: the thread above the post, the post, related live posts
        thread = tools.thread_of(self.store, target)
        exclude = {target.key, *(p.key for p in thread)}
        more = tools.related(self.store, target.text, 3, exclude, self.embedder)
        msgs, hits, k = tools.replies_messages(target, [*thread, target, *more], rule, language(target.text))
        g = self._fit("replies", msgs, hits, rule)
        if len(g.hits) < k:
            return None
        return self._shown("replies", msgs, g, answer)

    def _summarize(self) -> dict | None:
        r = self.r
        p = r.choice(self.in_threads)
        target = self.store.get([self.keys[p["id"]]])[0]
        conv = tools.conversation_of(self.store, target)
        if len(conv) < 2:
            return None
        rule = self._rule()
        lang = language(target.text)
        msgs = tools.summarize_messages(rule, lang)
        g = self._fit("summarize", msgs, [Hit(x, 0.0) for x in conv], rule)
        if len(g.hits) < 2:
            return None
        sources = g.sources()
        forms = SUMMARY[lang]
        parts, authors, used = [], set(), set()
        for src in sources:
            if len(parts) >= 3 or src.author in authors and len(parts) >= 1:
                continue
            q = quotable(src.text)
            if not q or q in used or src.number not in analyze(f'"{q}" [{src.number}]', sources)[0]:
                continue
            used.add(q)
            form = forms["first"] if not parts else forms["more"]
            cand = "".join(parts) + form.format(a=src.author, q=q, n=src.number)
            if not rule.fits(cand):
                break
            parts.append(form.format(a=src.author, q=q, n=src.number))
            authors.add(src.author)
        if not parts:
            return None
        answer = "".join(parts)
        if not _strict_ok(answer, sources):
            return None
        return self._shown("summarize", msgs, g, answer)

    def _explain(self) -> dict | None:
        r = self.r
        p = r.choice(self.originals)
        target = self.store.get([self.keys[p["id"]]])[0]
        more = tools.related(self.store, target.text, 3, {target.key}, self.embedder)
        rule = self._rule()
        lang = language(target.text)
        msgs = tools.explain_messages(rule, lang)
        hits = [Hit(x, 0.0) for x in [target, *more]]
        g = self._fit("explain", msgs, hits, rule)
        if not g.hits:
            return None
        sources = g.sources()
        forms = EXPLAIN[lang]
        topic = TOPIC_NAMES.get(p["topic"], (p["topic"],) * 3)[LANG_INDEX[lang]]
        q = quotable(sources[0].text)
        if not q or 1 not in analyze(f'"{q}" [1]', sources)[0]:
            return None
        answer = forms["about"].format(t=topic) + forms["one"].format(a=sources[0].author, q=q, n=1)
        for src, h in zip(sources[1:], g.hits[1:]):
            lab = self.labels.get(h.post.id)
            q2 = quotable(src.text)
            if (
                lab
                and lab.get("topic") == p["topic"]
                and q2
                and src.number in analyze(f'"{q2}" [{src.number}]', sources)[0]
            ):
                cand = answer + forms["also"].format(a=src.author, q=q2, n=src.number)
                if rule.fits(cand):
                    answer = cand
                break
        if not rule.fits(answer) or not _strict_ok(answer, sources):
            return None
        return self._shown("explain", msgs, g, answer)


def _strict_ok(answer: str, sources) -> bool:
    """The answer passes the quote constraint's own rules (processors/quotes.py): each quote
    verbatim, quoted once, and marked with the number of a post that has it."""
    from mynah.processors.quotes import OUT, QuoteMachine, State

    st = QuoteMachine(sources).feed(State(), answer.encode("utf-8"))
    return st is not None and st.due is None and st.mode == OUT


def social_conversations(builder: SocialBuilder, n: int, progress: bool = True) -> list[dict]:
    from tqdm import tqdm

    out = []
    bar = tqdm(total=n, desc="writing-tool conversations", unit="conv", disable=not progress)
    tries = 0
    while len(out) < n and tries < 6 * n:
        tries += 1
        conv = builder.conversation(builder.r.choice(builder.tasks()))
        if conv is not None:
            out.append(conv)
            bar.update(1)
    bar.close()
    return out
