"""The policy: the five hard limits (each an id and a one-line rule), what a refusal offers
instead, the classifier's thresholds, and a deployment's election facts, read from a TOML
file. `Policy()` is the built-in policy; `load_policy(path)` overrides parts of it.

A policy file is checked whole before the server starts: an unknown key, a threshold out of
range, a bad date or a pattern that does not compile stops `mynah serve` with the file and
line, never a server that runs on half a policy.

    version = "acme-2026-12"          # reported in every response as policy_version
    mode = "regular"                  # default mode: regular | fun (identical hard limits)
    threshold = 0.4                   # classifier threshold for every hard-limit category
    audit_text = false                # write the user's text into the audit log
    classifier = "my-classifier.safetensors"   # retrained weights (default: the shipped ones)

    [categories.astroturfing]         # per category: on or off, and its own threshold
    enabled = true
    threshold = 0.35

    [[rules]]                         # extra rules: a regular expression, checked on the
    id = "acme-1"                     # request ("input") or each sentence of an answer
    category = "impersonation"        # ("output")
    stage = "input"
    pattern = "(?i)write as our ceo"
    text = "No posts written as Acme's executives."

    [election]
    jurisdiction = "Germany"
    official_url = "https://www.bundeswahlleiterin.de"
    postal_voting_url = "https://www.bundeswahlleiterin.de/briefwahl"   # optional
    [[election.dates]]
    name = "Bundestag election"
    date = 2029-09-23                 # a TOML date or "YYYY-MM-DD"
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

POLICY_VERSION = "mynah-2026-12"
MODES = ("regular", "fun")


@dataclass(frozen=True)
class Limit:
    """A hard limit: never done, in any mode."""

    category: str
    rule_id: str
    text: str  # the one-line rule
    instead: str  # what the user can do instead ({official} is the election facts' URL)


LIMITS: dict[str, Limit] = {
    lim.category: lim
    for lim in (
        Limit(
            "election_process",
            "H1",
            "No false information about when, where, how or who can vote, no fake official election "
            "notices or results, and no messages meant to keep people from voting.",
            "For how, when and where to vote, see the official source: {official}. I can explain how "
            "voting works, or write clearly labelled fiction set in an invented country.",
        ),
        Limit(
            "fabricated_quote",
            "H2",
            "No invented quotes or statements attributed to real, named people or institutions, and no "
            "fake screenshots of their posts.",
            "I can quote what they actually posted, summarise their real positions, or write this as "
            "clearly labelled satire.",
        ),
        Limit(
            "impersonation",
            "H3",
            "No writing as a real person, account or official body, including posts written 'as @handle'.",
            "I can help you write it in your own name, or as clearly labelled parody.",
        ),
        Limit(
            "synthetic_news",
            "H4",
            "No made-up news reports about real events, people or places presented as real.",
            "I can summarise what posts actually say about it, or write clearly labelled fiction set "
            "in an invented place.",
        ),
        Limit(
            "astroturfing",
            "H5",
            "No sets of one political message written as different 'ordinary users' or for "
            "sock-puppet accounts.",
            "I can help you write one post in your own name, or lay out the arguments on each side.",
        ),
    )
}
HARD = tuple(LIMITS)
ANSWER = (
    "voting_info",
    "party_positions",
    "policy_arguments",
    "own_opinion",
    "labelled_satire",
    "fiction",
    "history",
    "quoting_posts",
    "general",
)
CATEGORIES = HARD + ANSWER
GENERIC_OFFICIAL = "your official election authority's website"


class PolicyError(ValueError):
    """A policy file that cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class Rule:
    """An extra rule from a policy file: a pattern that refuses (input) or cuts (output)."""

    id: str
    category: str
    stage: str  # "input" or "output"
    pattern: re.Pattern
    text: str


@dataclass(frozen=True)
class ElectionDate:
    name: str
    date: dt.date


@dataclass(frozen=True)
class Election:
    jurisdiction: str = ""
    official_url: str = ""
    postal_voting_url: str = ""
    dates: tuple[ElectionDate, ...] = ()

    def line(self) -> str:
        """The facts in one line, for the prompt and beside a quoted claim."""
        parts = [f"{d.name}: {d.date.isoformat()}" for d in self.dates]
        where = f" ({self.jurisdiction})" if self.jurisdiction else ""
        facts = "; ".join(parts)
        src = self.official_url or GENERIC_OFFICIAL
        return f"Official election information{where}: {facts + '; ' if facts else ''}see {src}."


@dataclass(frozen=True)
class Policy:
    version: str = POLICY_VERSION
    mode: str = "regular"
    threshold: float = 0.4  # chosen on the main set's group split (docs/BENCHMARKS.md)
    thresholds: dict = field(default_factory=dict)  # category -> threshold
    disabled: frozenset = frozenset()
    rules: tuple[Rule, ...] = ()
    election: Election = field(default_factory=Election)
    audit_text: bool = False
    classifier: str | None = None  # weights file; None: the ones shipped with mynah
    source: str = "built-in"

    def enabled(self, category: str) -> bool:
        return category not in self.disabled

    def threshold_of(self, category: str) -> float:
        return self.thresholds.get(category, self.threshold)

    def official(self) -> str:
        return self.election.official_url or GENERIC_OFFICIAL


# -- the file ------------------------------------------------------------------------------

_TOP = {"version", "mode", "threshold", "audit_text", "classifier", "categories", "rules", "election"}
_CATEGORY = {"enabled", "threshold"}
_RULE = {"id", "category", "stage", "pattern", "text"}
_ELECTION = {"jurisdiction", "official_url", "postal_voting_url", "dates"}
_DATE = {"name", "date"}


class _Lines:
    """Finds the line of a key in the file, for error messages (tomllib gives none)."""

    def __init__(self, text: str):
        self.lines = text.splitlines()

    def of(self, key: str, table: str | None = None, nth: int = 0) -> int:
        section, seen = None, -1
        pat = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*=")
        for n, line in enumerate(self.lines, 1):
            s = line.strip()
            if s.startswith("["):
                section = s.strip("[] ")
                if section == table:
                    seen += 1
                continue
            if pat.match(line) and (table is None and section is None or section == table and seen == nth):
                return n
        # the key may sit in an inline table; the first line that names it
        for n, line in enumerate(self.lines, 1):
            if re.search(rf"\b{re.escape(key)}\b", line):
                return n
        return 1


def load_policy(path: str | Path) -> Policy:
    """The policy in `path` (TOML), over the built-in defaults. Raises PolicyError naming
    the file and line of the first problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise PolicyError(f"{path}: cannot read the policy file ({e.strerror or e})") from None
    except UnicodeDecodeError:
        raise PolicyError(f"{path}: not UTF-8 text") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise PolicyError(f"{path}: not valid TOML: {e}") from None
    lines = _Lines(text)

    def fail(msg: str, key: str, table: str | None = None, nth: int = 0):
        raise PolicyError(f"{path}:{lines.of(key, table, nth)}: {msg}")

    def unknown(got: dict, allowed: set, table: str | None, nth: int = 0, what: str = ""):
        for k in got:
            if k not in allowed:
                fail(
                    f"unknown key {k!r}{what}; allowed: {', '.join(sorted(allowed))}",
                    k,
                    table,
                    nth,
                )

    def threshold(v, key: str, table: str | None) -> float:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0.0 < float(v) <= 1.0:
            fail(f"{key} must be a number above 0 and at most 1, not {v!r}", key, table)
        return float(v)

    def string(v, key: str, table: str | None, nth: int = 0) -> str:
        if not isinstance(v, str):
            fail(f"{key} must be a string, not {v!r}", key, table, nth)
        return v

    unknown(raw, _TOP, None)
    p = Policy(source=str(path))
    if "version" in raw:
        p = replace(p, version=string(raw["version"], "version", None))
    if "mode" in raw:
        if raw["mode"] not in MODES:
            fail(f"mode must be one of {', '.join(MODES)}, not {raw['mode']!r}", "mode")
        p = replace(p, mode=raw["mode"])
    if "threshold" in raw:
        p = replace(p, threshold=threshold(raw["threshold"], "threshold", None))
    if "audit_text" in raw:
        if not isinstance(raw["audit_text"], bool):
            fail("audit_text must be true or false", "audit_text")
        p = replace(p, audit_text=raw["audit_text"])

    if "classifier" in raw:
        f = Path(string(raw["classifier"], "classifier", None)).expanduser()
        p = replace(p, classifier=str(f if f.is_absolute() else path.parent / f))

    thresholds, disabled = {}, set()
    cats = raw.get("categories", {})
    if not isinstance(cats, dict):
        fail("categories must be a table: [categories.NAME]", "categories")
    for name, body in cats.items():
        table = f"categories.{name}"
        if name not in CATEGORIES:
            fail(f"unknown category {name!r}; categories: {', '.join(CATEGORIES)}", name, None)
        if not isinstance(body, dict):
            fail(f"[{table}] must be a table", name)
        unknown(body, _CATEGORY, table)
        if "threshold" in body:
            if name not in HARD:
                fail(f"{name} is a must-answer category and has no threshold", "threshold", table)
            thresholds[name] = threshold(body["threshold"], "threshold", table)
        if "enabled" in body:
            if not isinstance(body["enabled"], bool):
                fail("enabled must be true or false", "enabled", table)
            if not body["enabled"]:
                disabled.add(name)
    p = replace(p, thresholds=thresholds, disabled=frozenset(disabled))

    rules = []
    raw_rules = raw.get("rules", [])
    if not isinstance(raw_rules, list):
        fail("rules must be an array of tables: [[rules]]", "rules")
    for i, r in enumerate(raw_rules):
        if not isinstance(r, dict):
            fail("each rule must be a table: [[rules]]", "rules")
        unknown(r, _RULE, "rules", i)
        for k in ("id", "category", "pattern", "text"):
            if k not in r:
                raise PolicyError(f"{path}:{_nth_table(lines, 'rules', i)}: rule {i + 1} has no {k!r}")
            string(r[k], k, "rules", i)
        if r["category"] not in HARD:
            fail(f"a rule's category must be a hard limit: {', '.join(HARD)}", "category", "rules", i)
        stage = r.get("stage", "input")
        if stage not in ("input", "output"):
            fail(f"stage must be 'input' or 'output', not {stage!r}", "stage", "rules", i)
        try:
            pat = re.compile(r["pattern"])
        except re.error as e:
            fail(f"pattern does not compile: {e}", "pattern", "rules", i)
        rules.append(Rule(r["id"], r["category"], stage, pat, r["text"]))
    p = replace(p, rules=tuple(rules))

    el = raw.get("election")
    if el is not None:
        if not isinstance(el, dict):
            fail("election must be a table: [election]", "election")
        unknown(el, _ELECTION, "election")
        dates = []
        for i, d in enumerate(el.get("dates", [])):
            if not isinstance(d, dict):
                fail("each election date must be a table: [[election.dates]]", "dates", "election")
            unknown(d, _DATE, "election.dates", i)
            if "date" not in d:
                raise PolicyError(
                    f"{path}:{_nth_table(lines, 'election.dates', i)}: election date {i + 1} has no 'date'"
                )
            v = d["date"]
            if isinstance(v, dt.datetime):
                v = v.date()
            elif isinstance(v, str):
                try:
                    v = dt.date.fromisoformat(v)
                except ValueError:
                    fail(f"date {v!r} is not a date like 2029-09-23", "date", "election.dates", i)
            elif not isinstance(v, dt.date):
                fail(f"date must be a date like 2029-09-23, not {v!r}", "date", "election.dates", i)
            dates.append(ElectionDate(string(d.get("name", "election"), "name", "election.dates", i), v))
        p = replace(
            p,
            election=Election(
                jurisdiction=string(el.get("jurisdiction", ""), "jurisdiction", "election"),
                official_url=string(el.get("official_url", ""), "official_url", "election"),
                postal_voting_url=string(el.get("postal_voting_url", ""), "postal_voting_url", "election"),
                dates=tuple(dates),
            ),
        )
    return p


def _nth_table(lines: _Lines, table: str, nth: int) -> int:
    seen = -1
    for n, line in enumerate(lines.lines, 1):
        if line.strip().strip("[] ") == table and line.strip().startswith("[["):
            seen += 1
            if seen == nth:
                return n
    return 1
