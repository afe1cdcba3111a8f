"""Normalization and filters, each step switchable, every change and rejection counted.

Per-post steps (normalize, language, length, repost, spam, platform bot flag) need only
the post itself, so they run wherever the post is read (a local process or a Ray worker).
Steps that need the whole corpus (exact and near duplicates, bot rate/template heuristics)
live in `build.py` and run once, in input order, so every engine keeps the same posts.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

URL_RE = re.compile(r"https?://\S+|www\.\S+\.\S+")
MENTION_RE = re.compile(
    r"(?<![\w@])@[A-Za-z0-9_][A-Za-z0-9_.-]*(?:@[A-Za-z0-9.-]+)?"
)  # @user, Mastodon @user@host
HASHTAG_RE = re.compile(r"(?<!\w)#\w+")
RT_RE = re.compile(r"^RT @[\w.@-]+: ")
EMAIL_RE = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
IPV4_RE = re.compile(r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b")
IPV6_RE = re.compile(
    r"\b(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}\b|\b(?:[0-9A-Fa-f]{1,4}:){1,6}:(?:[0-9A-Fa-f]{1,4}:?){0,6}[0-9A-Fa-f]{1,4}\b"
)
MANY_DIGITS = re.compile(r"(?:\d[\s().-]*){7,}")  # a cheap gate before the (slow) phone matcher
WS_RE = re.compile(r"[ \t\u00a0\u2000-\u200b\u3000]+")


@dataclass
class NormalizeConfig:
    html_unescape: bool = True
    nfc: bool = True
    whitespace: bool = True
    strip_rt_prefix: bool = True
    url_placeholder: str | None = "<url>"  # None keeps URLs
    mention_placeholder: str | None = "@user"  # None keeps handles (training an account's own voice)
    scrub_pii: bool = True
    phone_region: str = "US"  # how numbers without a +country prefix are read


@dataclass
class FilterConfig:
    langs: tuple[str, ...] | None = None  # allow-list; None keeps every language
    min_chars: int = 10
    max_chars: int = 5000
    drop_reposts: bool = True
    drop_platform_bots: bool = True
    max_url_ratio: float = 0.5  # URLs per word
    max_hashtags: int = 6
    max_hashtag_ratio: float = 0.3  # hashtags per word, judged once a post has 4 or more
    max_mentions: int = 6
    exact_dedup: bool = True
    near_dedup: bool = True
    near_threshold: float = 0.7
    bot_min_posts: int = 20  # an author needs this many posts before the heuristics judge it
    bot_max_per_hour: float = 60.0  # sustained over at least bot_min_posts: more than one a minute
    bot_template_share: float = 0.5  # share of an author's posts that fit one template


def _phones(text: str, region: str) -> list[tuple[int, int]]:
    import phonenumbers

    return [(m.start, m.end) for m in phonenumbers.PhoneNumberMatcher(text, region)]


def _digits(text: str) -> int:
    return sum(map(text.count, "0123456789"))  # ten C-level scans: far cheaper than a regex


def normalize(text: str, cfg: NormalizeConfig, counts: Counter) -> str:
    """Apply the configured steps; `counts` gains one entry per replacement made.

    Each regex runs only when a cheap test (a character it needs) says it could match:
    most posts have no email, phone number or IP address, and these gates halve the cost.
    """
    if cfg.html_unescape and "&" in text:
        text = html.unescape(text)
    if cfg.nfc and not text.isascii():
        text = unicodedata.normalize("NFC", text)
    if cfg.strip_rt_prefix and text.startswith("RT @"):
        text = RT_RE.sub("", text, count=1)
    if cfg.scrub_pii:
        if "@" in text:
            text, n = EMAIL_RE.subn("<email>", text)
            counts["pii_email"] += n
        digits = _digits(text)
        if digits >= 7 and MANY_DIGITS.search(text):
            spans = _phones(text, cfg.phone_region)
            for a, b in reversed(spans):
                text = text[:a] + "<phone>" + text[b:]
            counts["pii_phone"] += len(spans)
        if digits >= 4 and "." in text:
            text, n = IPV4_RE.subn("<ip>", text)
            counts["pii_ip"] += n
        if "::" in text or text.count(":") >= 7:  # compressed or full IPv6; not every URL's "https:"
            text, n = IPV6_RE.subn("<ip>", text)
            counts["pii_ip"] += n
    if cfg.url_placeholder is not None and ("http" in text or "www." in text):
        text, n = URL_RE.subn(cfg.url_placeholder, text)
        counts["urls"] += n
    if cfg.mention_placeholder is not None and "@" in text:
        text, n = MENTION_RE.subn(cfg.mention_placeholder, text)
        counts["mentions"] += n
    if cfg.whitespace:
        if "\n" in text:
            text = "\n".join(WS_RE.sub(" ", line).strip() for line in text.split("\n"))
            text = re.sub(r"\n{3,}", "\n\n", text).strip()
        else:
            text = WS_RE.sub(" ", text).strip()
    return text


def detect_lang(text: str) -> str:
    """py3langid's best guess, offline. Its module-level identifier is loaded once per
    process (the model takes ~0.3 s); `classify` is the API every py3langid version has
    (0.4 renamed the loader `from_pickled_model` to `from_model_file`)."""
    from py3langid.langid import classify

    return classify(text)[0]


def per_post_reason(post, raw_text: str, text: str, cfg: FilterConfig) -> str | None:
    """Why this post is rejected on its own merits, or None to keep it (for now)."""
    if post.is_repost and cfg.drop_reposts:
        return "repost"
    if cfg.drop_platform_bots and post.is_bot:
        return "bot_flag"
    if len(text) < cfg.min_chars:
        return "too_short"
    if len(text) > cfg.max_chars:
        return "too_long"
    words = max(1, len(raw_text.split()))
    urls = len(URL_RE.findall(raw_text)) if "http" in raw_text or "www." in raw_text else 0
    tags = len(HASHTAG_RE.findall(raw_text)) if "#" in raw_text else 0
    if urls / words > cfg.max_url_ratio:
        return "spam_urls"
    if tags > cfg.max_hashtags or (tags >= 4 and tags / words >= cfg.max_hashtag_ratio):
        return "spam_hashtags"
    if raw_text.count("@") > cfg.max_mentions and len(MENTION_RE.findall(raw_text)) > cfg.max_mentions:
        return "spam_mentions"
    if cfg.langs is not None:
        # Trust the platform's tag where it gave one; it saw more context than we do.
        lang = post.lang if post.lang and post.lang not in ("und", "zxx", "qme", "qht") else detect_lang(text)
        post.lang = lang
        if lang not in cfg.langs:
            return "language"
    return None


TEMPLATE_RE = re.compile(r"<url>|<phone>|<email>|@user|\d+|#\w+")


def template_key(text: str) -> str:
    """The shape of a post with its variable parts blanked: bots repeat one shape."""
    return TEMPLATE_RE.sub("_", text.lower())[:200]
