"""A business's knowledge base for the DM service agent: its help pages and FAQ, split into
sections, stored and searched with the post store's own machinery.

A knowledge base is a mynah post store (a SQLite file, or a postgresql:// URL) whose posts
are sections: `StoredPost(platform="kb", id="<doc>#<slug>", author=<business>,
text="<title>: <body as one paragraph>", url=<where a person reads it>, conversation_id=<doc>)`.
Writing, BM25, embeddings and the vector index are the post store's; `mynah kb ingest` only
turns files into sections and keeps each file's sections in step with the file:

- Markdown (.md, .markdown, .txt) is split at headings `#` to `####`. A section's title is
  its heading path ("Refunds › Card payments"), its slug the heading's GitHub-style anchor
  (a repeated one gets -1, -2, ...); the text before the first heading is "Overview";
  a heading without text of its own (only subsections) is no section.
- FAQ files, one section per question titled by it: .jsonl (one {"question", "answer"} a
  line, optional "id"), .json (a list of those) and .csv (columns question, answer). A bad
  line is reported as `file:line: reason` and skipped; the rest is stored.
- A missing or unreadable file, or an unknown extension, stops the ingest before anything
  is written (a ValueError naming the file).
- Ingesting a file again replaces its sections: those no longer in the file are deleted,
  unchanged ones stay as they are (idempotent by id), so it can run on every edit.

Names: the doc (a file's sections, what re-ingesting replaces) is the file's stem; with a
business `name` it is "<name>/<stem>", and the sections' author is the name (else the stem).
`search(..., doc=X)` keeps the sections whose author is X: one business, all its files.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

from mynah.posts.search import Hit, SearchConfig
from mynah.posts.search import search as hybrid_search
from mynah.posts.store import STOPWORDS, Filters, PostStore, StoredPost, open_store, post_key

PLATFORM = "kb"
MARKDOWN = (".md", ".markdown", ".txt")
FAQ = (".jsonl", ".json", ".csv")
SEP = " › "
# Cosine similarity (all-MiniLM-L6-v2) at or above which a section counts as relevant even
# without a shared word. Measured on the sample network's knowledge base (12 businesses, 185
# sections): each of the 28 customer issues of CS_ISSUES, as a DM to its business, has a
# section of that business at 0.52-0.85 (median 0.70); 12 unrelated questions ("what is the
# capital of France", "hello", "tell me a joke", "what's the weather like tomorrow?", ...)
# reach at most 0.27 with any section. 0.40 sits between, with room on both sides.
COSINE_THRESHOLD = 0.40
CANDIDATES = 50  # sections taken from BM25 and from the vector search before the relevance check

# Words that carry no subject on top of the post store's STOPWORDS: greetings and chit-chat
# ("hello", "thanks", "help", "good morning"), function words of three letters or more, and
# vague words of time and praise ("last", "next", "good"). Without these,
# "can you help?" would share a word with half of any knowledge base.
KB_STOPWORDS = STOPWORDS | frozenset(
    """hello hey hiya thanks thank thx help helps helped helping hope okay yes yeah nope not
    can could should shall must might may did done get got getting just also any all one out
    off into onto than then been being were had very still again even only some more much
    many other same want wants need needs like know let make made way yet www com http https
    per via didn don doesn isn wasn won aren couldn shouldn haven hasn wouldn cannot every
    whats hows thats its there their please sorry dear good great nice fine best better well
    really last first next today tonight tomorrow yesterday morning evening night thing things
    something everything""".split()  # noqa: SIM905
)
_WORD = re.compile(r"\w+", re.UNICODE)
_NOISE = re.compile(r"https?://\S+|www\.\S+|@\w+")  # URLs and @mentions name no subject


class KBError(ValueError):
    """A file that cannot be ingested: missing, unreadable, or of an unknown kind."""


# ---- words -------------------------------------------------------------------------------


def stem(word: str) -> str:
    """A light English stem, the same for a word's common forms: "refunds" and "refund" ->
    "refund", "charged", "charges", "charging" and "charge" -> "charg", "cancelled" ->
    "cancel", "deliveries" -> "delivery". Suffixes -ies, -ing, -ed, -es, -s go (leaving at
    least 3 letters), then a doubled final consonant and a final e."""
    w = word.lower()
    if len(w) > 4 and w.endswith("ies"):
        w = w[:-3] + "y"
    elif not w.endswith("ss"):
        for suf in ("ing", "ed", "es", "s"):
            if w.endswith(suf) and len(w) - len(suf) >= 3:
                w = w[: -len(suf)]
                break
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "aeiouy":
        w = w[:-1]
    if len(w) > 3 and w.endswith("e"):
        w = w[:-1]
    return w


def content_words(text: str) -> dict[str, str]:
    """The content words of `text`: stem -> the first form seen. A content word has at least
    3 letters, no digit, is no stopword (KB_STOPWORDS), and is not in a URL or @mention."""
    out: dict[str, str] = {}
    for w in _WORD.findall(_NOISE.sub(" ", text).lower()):
        if len(w) < 3 or any(ch.isdigit() for ch in w) or w in KB_STOPWORDS or w.startswith("_"):
            continue
        out.setdefault(stem(w), w)
    return out


def _forms(st: str) -> set[str]:
    """Spellings whose stem is `st`: the words BM25 (which does not stem) should look for."""
    last = st[-1]
    cands = {st, st + "s", st + "e", st + "es", st + "ed", st + "ing", st + "er", st + "ers"}
    cands |= {st + "d", st + "ds", st + last, st + last + "s", st + last + "es", st + last + "ed"}
    cands |= {st + last + "ing", st + last + "er", st + last + "ers"}
    if st.endswith("y"):
        cands |= {st[:-1] + "ies", st[:-1] + "ied"}
    return {c for c in cands if stem(c) == st} | {st}


# ---- files -> sections --------------------------------------------------------------------


def slugify(heading: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens."""
    s = unicodedata.normalize("NFKC", heading).strip().lower()
    s = "".join(ch for ch in s if ch.isalnum() or ch in " -_")
    return s.replace(" ", "-")


class _Slugs:
    """Deduplicates anchors as GitHub does: "refunds", "refunds-1", "refunds-2"."""

    def __init__(self):
        self.used: set[str] = set()

    def __call__(self, text: str) -> str:
        base = slugify(text) or "section"
        slug, n = base, 0
        while slug in self.used:
            n += 1
            slug = f"{base}-{n}"
        self.used.add(slug)
        return slug


_HEADING = re.compile(r"^ {0,3}(#{1,4})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$|^ {0,3}(#{1,4})[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_LIST = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")


def fold(lines: list[str]) -> str:
    """Lines of Markdown as one paragraph: list markers and fences dropped, whitespace one space."""
    parts = [_LIST.sub("", line) for line in lines if not _FENCE.match(line)]
    return " ".join(" ".join(parts).split())


def split_markdown(text: str) -> list[tuple[str, str, str]]:
    """(slug, title, body) per section, in file order."""
    slugs = _Slugs()
    out: list[tuple[str, str, str]] = []
    path: list[tuple[int, str]] = []  # (level, heading) of the open headings
    title, slug, body = "Overview", None, []
    fenced = None

    def flush():
        text = fold(body)
        if text:
            out.append((slug or slugs("Overview"), title, text))

    for line in text.splitlines():
        m = None if fenced else _HEADING.match(line)
        f = _FENCE.match(line)
        if f and fenced is None:
            fenced = f.group(1)
        elif f and f.group(1)[0] == fenced[0] and len(f.group(1)) >= len(fenced):
            fenced = None
        if m is None:
            body.append(line)
            continue
        flush()
        level = len(m.group(1) or m.group(3))
        heading = " ".join((m.group(2) or "").split())
        while path and path[-1][0] >= level:
            path.pop()
        path.append((level, heading))
        title = SEP.join(h for _, h in path if h) or "Untitled"
        slug, body = slugs(heading), []
    flush()
    return out


@dataclass
class _Rejected:
    file: str
    line: int
    reason: str

    def as_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "reason": self.reason}

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


def _qa(obj, src: str, line: int, rejected: list) -> tuple[str, str, str | None] | None:
    if not isinstance(obj, dict):
        rejected.append(
            _Rejected(src, line, f"expected an object with question and answer, got {type(obj).__name__}")
        )
        return None
    q, a = obj.get("question"), obj.get("answer")
    missing = [k for k, v in (("question", q), ("answer", a)) if not isinstance(v, str) or not v.strip()]
    if missing:
        rejected.append(_Rejected(src, line, f"missing {' and '.join(missing)}"))
        return None
    pid = obj.get("id")
    return " ".join(q.split()), " ".join(a.split()), None if pid in (None, "") else str(pid)


def _json_items(text: str, src: str) -> list[tuple[int, object]]:
    """The items of a top-level JSON list with the line each starts on."""
    dec = json.JSONDecoder()
    ws = re.compile(r"\s*")

    def skip(i):
        return ws.match(text, i).end()

    try:
        i = skip(0)
        if text[i : i + 1] != "[":
            raise KBError(f"{src}: a .json FAQ is a list of {{question, answer}} objects")
        i, items = skip(i + 1), []
        if text[i : i + 1] == "]":
            return []
        while True:
            obj, end = dec.raw_decode(text, i)
            items.append((text.count("\n", 0, i) + 1, obj))
            i = skip(end)
            if text[i : i + 1] == ",":
                i = skip(i + 1)
                continue
            if text[i : i + 1] == "]":
                return items
            raise json.JSONDecodeError("expected ',' or ']'", text, i)
    except json.JSONDecodeError as e:
        raise KBError(f"{src}:{e.lineno}: not valid JSON ({e.msg})") from None


def split_faq(text: str, suffix: str, src: str, rejected: list) -> list[tuple[str, str, str]]:
    """(slug, question, answer) per good Q/A; bad ones go to `rejected` as file:line: reason."""
    pairs: list[tuple[int, tuple[str, str, str | None]]] = []
    if suffix == ".jsonl":
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                rejected.append(_Rejected(src, n, f"not valid JSON ({e.msg})"))
                continue
            if qa := _qa(obj, src, n, rejected):
                pairs.append((n, qa))
    elif suffix == ".json":
        for n, obj in _json_items(text, src):
            if qa := _qa(obj, src, n, rejected):
                pairs.append((n, qa))
    else:  # .csv
        reader = csv.DictReader(io.StringIO(text, newline=""))
        fields = [(f or "").strip().lower() for f in reader.fieldnames or []]
        if not {"question", "answer"} <= set(fields):
            raise KBError(
                f"{src}: a .csv FAQ needs the columns question and answer (has {', '.join(fields)})"
            )
        reader.fieldnames = fields
        try:
            for row in reader:
                if qa := _qa(row, src, reader.line_num, rejected):
                    pairs.append((reader.line_num, qa))
        except csv.Error as e:
            raise KBError(f"{src}:{reader.line_num}: {e}") from None
    slugs = _Slugs()
    return [(slugs(pid or q), q, a) for _, (q, a, pid) in pairs]


def _detect_lang(text: str) -> str | None:
    if len(text) < 40:
        return None
    try:
        from mynah.corpus.clean import detect_lang

        return detect_lang(text[:5000])
    except Exception:  # noqa: BLE001 - a language is a nicety; the sections matter
        return None


def read_sections(
    path: str | Path, name: str | None = None, url_base: str | None = None
) -> tuple[str, list[StoredPost], list[_Rejected]]:
    """The doc name, the sections and the rejected FAQ lines of one file. Raises KBError
    (naming the file) when it is missing, unreadable or of an unknown kind."""
    p = Path(path)
    suffix = p.suffix.lower()
    if p.is_dir():
        raise KBError(f"{p}: is a folder; name its files (a glob like {p}/*.md does)")
    if suffix not in MARKDOWN + FAQ:
        raise KBError(
            f"{p}: unknown kind of file {suffix or '(no extension)'}; "
            f"a knowledge base reads {', '.join(MARKDOWN + FAQ)}"
        )
    try:
        raw = p.read_bytes()
        mtime = p.stat().st_mtime
    except FileNotFoundError:
        raise KBError(f"{p}: no such file") from None
    except OSError as e:
        raise KBError(f"{p}: cannot read it ({e.strerror or e})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise KBError(f"{p}: not UTF-8 text (byte {e.start})") from None
    rejected: list[_Rejected] = []
    parts = split_markdown(text) if suffix in MARKDOWN else split_faq(text, suffix, str(p), rejected)
    doc = f"{name}/{p.stem}" if name else p.stem
    author = name or p.stem
    created = datetime.fromtimestamp(mtime, timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
    base = f"{url_base.rstrip('/')}/{quote(doc, safe='/')}" if url_base else p.resolve().as_uri()
    lang = _detect_lang(" ".join(f"{t} {b}" for _, t, b in parts))
    posts = []
    for slug, title, body in parts:
        sid = f"{doc}#{slug}"
        posts.append(
            StoredPost(
                key=post_key(PLATFORM, sid),
                id=sid,
                platform=PLATFORM,
                text=f"{title}: {body}",
                author=author,
                created_at=created,
                lang=lang,
                url=f"{base}#{slug}",
                conversation_id=doc,
            )
        )
    return doc, posts, rejected


# ---- the knowledge base ---------------------------------------------------------------------


@dataclass
class Answerable:
    """What a knowledge base says about a question: its relevant sections, best first, and
    whether there is any (`confident`), with the reason in words."""

    hits: list[Hit] = field(default_factory=list)
    confident: bool = False
    reason: str = ""

    def as_dict(self) -> dict:
        return {"confident": self.confident, "reason": self.reason, "hits": [h.as_dict() for h in self.hits]}


def title_of(post: StoredPost) -> str:
    return post.text.split(": ", 1)[0]


class KnowledgeBase:
    """A business's help pages and FAQ as a searchable post store (see the module docstring)."""

    def __init__(self, store: PostStore):
        self.store = store

    @classmethod
    def open(cls, db: str | Path, **kw) -> KnowledgeBase:
        """A SQLite file (created if missing) or a postgresql:// URL."""
        return cls(open_store(db, **kw))

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def count(self) -> int:
        return self.store.count()

    def sections(self, doc: str) -> list[StoredPost]:
        """The stored sections of one doc (one file), in file order of first ingest."""
        return [
            p for p in self.store.conversation(PLATFORM, doc, limit=1_000_000) if p.conversation_id == doc
        ]

    def ingest(
        self,
        paths: list[str | Path],
        embed: bool = True,
        url_base: str | None = None,
        name: str | None = None,
        embedder=None,
        log=None,
    ) -> dict:
        """Store the sections of `paths`, each file's replacing what it had before.

        Every file is read before anything is written, so a missing, unreadable or unknown
        file (KBError) leaves the store as it was. Bad FAQ lines are skipped, printed to
        `log` (stderr) as `file:line: reason` and listed in the report. Returns {"created",
        "updated", "deleted", "unchanged": section counts, "sections": stored now for
        these files, "rejected": [{"file", "line", "reason"}], "docs": [doc names]}."""
        if not paths:
            raise KBError("no files given")
        parsed = [read_sections(p, name=name, url_base=url_base) for p in paths]
        docs = [d for d, _, _ in parsed]
        dupes = sorted(d for d, n in Counter(docs).items() if n > 1)
        if dupes:
            raise KBError(
                f"two files would be the same doc {dupes[0]!r}; ingest them separately or rename one"
            )
        ops: list[tuple[str, object]] = []
        rejected: list[_Rejected] = []
        for doc, posts, rej in parsed:
            keep = {p.key for p in posts}
            ops += [("delete", p.key) for p in self.sections(doc) if p.key not in keep]
            ops += [("upsert", p) for p in posts]
            rejected += rej
        for r in rejected:
            print(r, file=log or sys.stderr)
        counts = self.store.apply(ops) if ops else {"created": 0, "updated": 0, "deleted": 0, "unchanged": 0}
        if embed and self.store.pending_count():
            from mynah.posts.embed import Embedder, embed_pending

            embed_pending(self.store, embedder or Embedder())
            self.store.refresh_index()
            self.store.save_index()
        return {
            **counts,
            "sections": sum(len(p) for _, p, _ in parsed),
            "rejected": [r.as_dict() for r in rejected],
            "docs": docs,
        }

    def search(self, question: str, k: int = 4, doc: str | None = None, embedder=None) -> Answerable:
        """The sections that answer `question`, and whether any does.

        Ranking is the post store's hybrid search (BM25 over the question's words in their
        common forms, fused with vector search when an embedder is given), without recency.

        The confidence rule: a section is relevant when
          (a) it shares a content word with the question: a word of at least 3 letters,
              without digits, not a stopword (STOPWORDS plus KB_STOPWORDS: greetings and
              function words), not part of an @mention or URL, compared in lower case after
              a light stem (`stem`: "refunds" = "refund", "charged" = "charge"); or
          (b) an embedder is given, the section has an embedding, and its cosine similarity
              to the question is at least COSINE_THRESHOLD (0.40; see its comment for the
              figures measured on the sample knowledge base).
        `confident` is true when at least one section is relevant; `hits` holds only the
        relevant sections, best first, at most `k`, each with the shared words in `matches`.
        `doc` keeps one business's sections (their author: the ingest's name, else the
        file's stem)."""
        words = content_words(question)
        filters = Filters(author=doc) if doc else None
        qvec, cos = None, {}
        if embedder is not None and question.strip():
            qvec = embedder([question])[0]
            cos = dict(self.store.vector_search(qvec, CANDIDATES, filters))
        if not words and not cos:
            why = "the question has no content words (only stopwords, short words, numbers or @mentions)"
            return Answerable([], False, why)
        forms = sorted({f for st in words for f in _forms(st)})
        hits = hybrid_search(
            self.store,
            " ".join(forms) if forms else question,
            k=CANDIDATES,
            filters=filters,
            mode="hybrid" if forms else "vector",
            embedder=(lambda texts: qvec[None]) if qvec is not None else None,
            cfg=SearchConfig(candidates=CANDIDATES, recency_weight=0.0),
        )
        relevant = []
        for h in hits:
            shared = content_words(h.post.text).keys() & words.keys()
            h.matches = tuple(sorted(words[s] for s in shared))
            if shared or cos.get(h.post.key, -1.0) >= COSINE_THRESHOLD:
                relevant.append(h)
        relevant = relevant[:k]
        scope = f" of {doc}" if doc else ""
        if not relevant:
            why = f"no section{scope} shares a content word with the question ({', '.join(words.values()) or 'none'})"
            if cos:
                why += (
                    f", and none is within cosine {COSINE_THRESHOLD:.2f} of it (best {max(cos.values()):.2f})"
                )
            elif embedder is not None:
                why += "; no section has an embedding yet"
            return Answerable([], False, why)
        best = relevant[0]
        if best.matches:
            how = f"shares {', '.join(best.matches)}"
        else:
            how = f"has cosine {cos[best.post.key]:.2f} >= {COSINE_THRESHOLD:.2f}"
        n = len(relevant)
        why = f"{n} relevant section{'s' if n != 1 else ''}{scope}; the best, {title_of(best.post)!r}, {how}"
        return Answerable(relevant, True, why)
