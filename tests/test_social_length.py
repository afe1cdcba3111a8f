"""Each platform's length rule (social/length.py), as the platform counts.

X: every case of the three counter groups of twitter-text's conformance file, each with the
configuration twitter-text's own suites use (WeightedTweetsCounterTest with v2.json, the
emoji and directional-marker groups with v3.json). The file is read from ../shared when it
is there (CI has it); otherwise the few cases copied below run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mynah.social.length import (
    X_V2,
    X_V3,
    graphemes,
    mastodon_countable,
    rule_for,
    twitter_config,
    x_parse,
)


def _twitter_text() -> Path | None:
    for folder in Path(__file__).resolve().parents[1].parents:
        d = folder / "shared/specs/twitter-text"
        if (d / "validate.yml").exists():
            return d
    return None


SHARED = _twitter_text()
GROUPS = {
    "WeightedTweetsCounterTest": X_V2,
    "WeightedTweetsWithDiscountedEmojiCounterTest": X_V3,
    "UnicodeDirectionalMarkerCounterTest": X_V3,
}
# A few cases of validate.yml (Apache-2.0, twitter/twitter-text), for checkouts without ../shared.
COPIED = {  # text -> (weightedLength, valid, validRangeStart, validRangeEnd)
    "WeightedTweetsCounterTest": [
        ("Hi http://test.co", (26, True, 0, 16)),
        ("A\u0301B", (2, True, 0, 2)),
        ("H\U0001f431\u263a\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466", (16, True, 0, 14)),
    ],
    "WeightedTweetsWithDiscountedEmojiCounterTest": [
        ("H\U0001f431\u263a\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466", (7, True, 0, 14)),
        ("\U0001f64b\U0001f3fd\U0001f468\u200d\U0001f3a4", (4, True, 0, 8)),
        ("1\u20e3", (2, True, 0, 1)),
    ],
    "UnicodeDirectionalMarkerCounterTest": [("ABC\u202a\uffffABC\ufffe", (12, False, 0, 3))],
}


def _cases():
    if SHARED is None:
        for group, rows in COPIED.items():
            for text, (length, valid, start, end) in rows:
                yield (
                    group,
                    text[:20],
                    text,
                    {
                        "weightedLength": length,
                        "valid": valid,
                        "validRangeStart": start,
                        "validRangeEnd": end,
                    },
                )
        return
    import yaml

    tests = yaml.safe_load((SHARED / "validate.yml").read_text(encoding="utf-8"))["tests"]
    for group in GROUPS:
        for c in tests[group]:
            yield group, c["description"], c["text"], c["expected"]


CASES = list(_cases())


@pytest.mark.parametrize(("group", "description", "text", "expected"), CASES, ids=[c[1][:50] for c in CASES])
def test_x_weighted_length_passes_twitter_texts_conformance_cases(group, description, text, expected):
    r = x_parse(text, GROUPS[group])
    for key in ("weightedLength", "valid", "permillage", "validRangeStart", "validRangeEnd"):
        if key in expected:
            assert getattr(r, key) == expected[key], (description, key)


def test_the_conformance_run_is_whole_when_the_shared_file_is_there():
    if SHARED is None:
        pytest.skip("../shared/specs/twitter-text is not beside this checkout: the copied cases ran")
    assert len(CASES) == 44  # 20 + 22 + 2: every case of the three counter groups
    # and the configurations built into mynah are X's own files
    assert twitter_config(json.loads((SHARED / "v3.json").read_text())) == X_V3
    assert twitter_config(json.loads((SHARED / "v2.json").read_text())) == X_V2


def test_x_rule_counts_urls_as_23_and_cjk_as_two():
    x = rule_for("x")
    assert (x.limit, x.unit) == (280, "weighted characters")
    assert x.count("read https://example.com/a/very/long/path/that/goes/on?and=on") == 5 + 23
    assert x.count("\u6f22\u5b57") == 4 and x.count("ab") == 2
    assert x.fits("a" * 280) and not x.fits("a" * 281)
    assert x.remaining("a" * 270) == 10


def test_bluesky_counts_graphemes_and_bytes():
    b = rule_for("bluesky")
    family = "\U0001f469\u200d\U0001f469\u200d\U0001f467\u200d\U0001f467"
    assert graphemes(family) == 1 and graphemes("e\u0301") == 1 and graphemes("\U0001f1e9\U0001f1ea") == 1
    assert b.fits("a" * 300) and not b.fits("a" * 301)
    # 300 graphemes, but the post record holds at most 3,000 bytes of UTF-8 (25 a family)
    assert b.count(family * 300) == 300 and not b.fits(family * 300)
    assert b.fits(family * 120) and not b.fits(family * 121)


def test_mastodon_counts_urls_as_23_and_remote_mentions_by_their_local_part():
    m = rule_for("mastodon")
    assert (m.limit, m.unit) == (500, "characters")
    assert rule_for("mastodon", 5000).limit == 5000
    text = "hi @alice@social.example and @bob, see https://example.org/" + "x" * 80
    assert mastodon_countable(text) == "hi @alice and @bob, see " + "x" * 23
    assert m.count(text) == len("hi @alice and @bob, see ") + 23
    assert mastodon_countable("www.example.org") == "www.example.org"  # only URLs with a scheme
    # a profile URL's @ belongs to the URL, not to a mention
    assert mastodon_countable("https://mastodon.social/@carol") == "x" * 23
    assert m.count("caf\u00e9 \U0001f44d\U0001f3fd") == 6  # graphemes


@pytest.mark.parametrize("bad", [("tiktok", None), ("mastodon", 0), ("mastodon", "500")])
def test_unknown_platforms_and_bad_limits_are_clear_errors(bad):
    with pytest.raises(ValueError, match="platform|max_characters"):
        rule_for(*bad)


def test_the_fast_counts_equal_twitter_texts_and_the_regex_graphemes():
    """x_length and graphemes skip the regex scans on plain text (the length processor
    counts at every token); on any text they give what the full scans give."""
    import random

    from mynah.social.length import _GRAPHEME, X_V2, X_V3, graphemes, x_length, x_parse

    pieces = ["hello", " ", "world", ".", "e.g", "https://example.com/a?b=1", " t.co/x", "é", "日本", "😷",
              "👨‍👩‍👧", "1️⃣", "©", "\r\n", "\n", "\r", "#tag", "@bob@social.example", "ñ", "a\u0301", "x.com",
              "www.foo.org", "...", " ok. Then", "ᄀ", "\u1fff", "\u200d", "\u2028"]  # fmt: skip
    r = random.Random(0)
    for _ in range(1500):
        t = "".join(r.choice(pieces) for _ in range(r.randint(0, 30)))
        for cfg in (X_V3, X_V2):
            assert x_length(t, cfg) == x_parse(t, cfg).weightedLength, repr(t)
        assert graphemes(t) == len(_GRAPHEME.findall(t)), repr(t)
