"""Length rules, counted exactly as each platform counts.

- X: twitter-text's weighted length (configuration v3): text NFC-normalized; code points in
  the configured ranges weigh 1 and all others 2; every URL counts 23; an emoji sequence
  counts 2. Counted by twitter-text-parser, the Python port of twitter-text (vendored in
  social/twitter_text: its PyPI release no longer imports), which passes
  the three counter groups of twitter-text's own conformance cases (tests/test_social_length.py).
- Bluesky: 300 graphemes (extended grapheme clusters, as the app counts them with
  Intl.Segmenter) and at most 3,000 bytes of UTF-8 (the post record's lexicon).
- Mastodon: the instance's `configuration.statuses.max_characters` (default 500), counted
  as Mastodon's StatusLengthValidator counts: graphemes, with every http(s) URL as 23 and a
  mention of a remote account as its `@user` part only.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import regex

from mynah.social.twitter_text.config import config as TWITTER_CONFIG

# twitter-text's v3.json (X's configuration today), as the parser names its keys; v2 (no
# emoji discount) only for the conformance group written for it
X_V3 = TWITTER_CONFIG["version3"]
X_V2 = {**X_V3, "version": 2, "emoji_parsing_enabled": False}

PLATFORMS = ("x", "bluesky", "mastodon")
BLUESKY_GRAPHEMES, BLUESKY_BYTES = 300, 3000
MASTODON_DEFAULT = 500
MASTODON_URL = 23

_GRAPHEME = regex.compile(r"\X")
_X_INVALID = re.compile("[\ufffe\ufeff\uffff]")  # twitter-text's invalid_chars_group
# Mastodon's Account::MENTION_RE: @user, or @user@domain of a remote account
_MENTION = regex.compile(r"(?<![=/\w])@(\w+(?:[\w.-]+\w+)?)(?:@[\w.-]+\w+)?", regex.IGNORECASE)


def twitter_config(c: dict) -> dict:
    """A twitter-text configuration file (v2.json, v3.json) in the parser's key names."""
    return {
        "version": c["version"],
        "max_weighted_tweet_length": c["maxWeightedTweetLength"],
        "scale": c["scale"],
        "default_weight": c["defaultWeight"],
        "emoji_parsing_enabled": c.get("emojiParsingEnabled", False),
        "transformed_url_length": c["transformedURLLength"],
        "ranges": c["ranges"],
    }


def x_parse(text: str, config: dict = X_V3):
    """twitter-text's ParsedResult: weightedLength, valid, permillage, the valid range."""
    from mynah.social.twitter_text import parse_tweet

    return parse_tweet(text, options=config)


# A text with no character from U+2000 up, no (C) or (R), and no "." before a word
# character has no emoji sequence and no URL in twitter-text's reading: its weighted length
# is the sum of its characters' weights, with no regex to run (twitter-text's URL and emoji
# scans cost about 1 ms per post, and the length processor counts at every token).
_SLOW_CHARS = re.compile("[\u00a9\u00ae\u2000-\U0010ffff]")
_MAYBE_URL = re.compile(r"\.\w|://")


def x_length(text: str, config: dict = X_V3) -> int:
    text = unicodedata.normalize("NFC", text)
    if _SLOW_CHARS.search(text) or _MAYBE_URL.search(text):
        return x_parse(text, config).weightedLength
    text = text.replace("\r\n", "\n")
    table = _weights(config)
    return sum(table[ord(c)] for c in text) // config["scale"]


_TABLES: dict[int, tuple[dict, list[int]]] = {}


def _weights(config: dict) -> list[int]:
    """The weight of each code point below U+2000 under `config` (cached per configuration)."""
    hit = _TABLES.get(id(config))
    if hit is None or hit[0] is not config:
        from mynah.social.twitter_text.get_character_weight import get_character_weight

        hit = _TABLES[id(config)] = (config, [get_character_weight(chr(i), config) for i in range(0x2000)])
    return hit[1]


# Below U+0300 (where the combining marks begin) every character but a CR before an LF is
# a grapheme of its own.
_CLUSTERING = re.compile("[\u0300-\U0010ffff]|\r\n")


def graphemes(text: str) -> int:
    if not _CLUSTERING.search(text):
        return len(text)
    return len(_GRAPHEME.findall(text))


def mastodon_countable(text: str) -> str:
    """The text as Mastodon counts it: each http(s) URL as 23 characters, each remote
    mention as its local part."""
    from mynah.social.twitter_text import extract_urls_with_indices

    urls = []
    if "://" in text:  # (Mastodon links only http(s) URLs)
        found = extract_urls_with_indices(text, extract_urls_without_protocol=False)
        urls = [tuple(u["indices"]) for u in found]
    spans = [(a, b, "x" * MASTODON_URL) for a, b in urls]
    for m in _MENTION.finditer(text):
        if not any(a < m.end() and m.start() < b for a, b in urls):  # a URL's own @ is the URL's
            spans.append((m.start(), m.end(), "@" + m.group(1)))
    out, at = [], 0
    for a, b, rep in sorted(spans):
        out += [text[at:a], rep]
        at = b
    return "".join(out) + text[at:]


def mastodon_length(text: str) -> int:
    return graphemes(mastodon_countable(text))


@dataclass(frozen=True)
class LengthRule:
    """One platform's limit, in its own units."""

    platform: str
    limit: int
    unit: str

    def count(self, text: str) -> int:
        if self.platform == "x":
            return x_length(text)
        if self.platform == "bluesky":
            return graphemes(text)
        return mastodon_length(text)

    def fits(self, text: str) -> bool:
        if self.platform == "bluesky" and len(text.encode("utf-8")) > BLUESKY_BYTES:
            return False
        if self.platform == "x" and _X_INVALID.search(text):
            return False  # twitter-text's invalid characters: X refuses the post whatever its length
        return self.count(text) <= self.limit

    def remaining(self, text: str) -> int:
        return self.limit - self.count(text)


def rule_for(platform: str, max_characters: int | None = None) -> LengthRule:
    """The rule of `platform`; `max_characters`: a Mastodon instance's own limit (from its
    /api/v2/instance), else Mastodon's default."""
    if platform == "x":
        return LengthRule("x", X_V3["max_weighted_tweet_length"], "weighted characters")
    if platform == "bluesky":
        return LengthRule("bluesky", BLUESKY_GRAPHEMES, "graphemes")
    if platform == "mastodon":
        limit = MASTODON_DEFAULT if max_characters is None else max_characters
        if not isinstance(limit, int) or limit < 1:
            raise ValueError(f"max_characters must be a positive whole number, not {max_characters!r}")
        return LengthRule("mastodon", limit, "characters")
    raise ValueError(f"unknown platform {platform!r}: one of {', '.join(PLATFORMS)}")
