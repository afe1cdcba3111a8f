"""PostStore.volume: how many posts match a query per UTC hour or day, and their languages,
on both backends (SQLite, and a real PostgreSQL as in test_posts.py)."""

from __future__ import annotations

import random
import re
from datetime import datetime, timezone

import pytest

from mynah.posts.store import StoredPost, StoreError, Volume, hashtags, open_store

HOUR, DAY = 3600, 86400


def t(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


D1, D2, D3, D4 = (t(f"2026-03-0{d}T00:00:00Z") for d in (1, 2, 3, 4))

# (id, text, created_at, lang): posts at the very start and end of hours and days.
POSTS = [
    ("1", "Zeppelin festival over the harbour", "2026-03-01T00:00:00Z", "en"),  # a day's first second
    ("2", "zeppelin FESTIVAL tickets", "2026-03-01T00:59:59Z", "de"),  # an hour's last second
    ("3", "a zeppelin and nothing else", "2026-03-01T01:00:00Z", "en"),  # one of the two words
    ("4", "the festival without the airship", "2026-03-01T03:30:00Z", None),
    ("5", "festival zeppelin, at noon", "2026-03-01T12:00:00Z", "en"),
    # 2026-03-02: nothing with both words (a gap), an untagged airship, a tagged one
    ("6", "an airship overhead", "2026-03-02T08:00:00Z", "fr"),
    ("7", "#Airship news from the field", "2026-03-02T12:00:00Z", "en"),
    ("8", "Zeppelin festival at night", "2026-03-03T23:59:59Z", ""),  # a day's last second
    ("9", "zeppelin festival #airship", "2026-03-04T00:00:00Z", "es"),
    ("10", "zeppelin festival, but when?", None, "en"),  # no time: never counted
]


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, tmp_path):
    """A store of POSTS on each backend (PostgreSQL: $MYNAH_TEST_PG or a throwaway cluster)."""
    db = request.getfixturevalue("pg_store_url") if request.param == "postgres" else str(tmp_path / "v.db")
    s = open_store(db, index=False)
    s.upsert([StoredPost(f"x:{i}", i, "x", text, created_at=at, lang=lang) for i, text, at, lang in POSTS])
    yield s
    s.close()


def test_day_buckets_and_words_and_langs(store):
    v = store.volume("zeppelin festival", None, None)  # by day
    assert isinstance(v, Volume)
    assert (v.query, v.by, v.start) == ("zeppelin festival", "day", D1)
    # every day from the first match to the last, the empty one included
    assert v.buckets == [D1, D2, D3, D4]
    # both words, in any case and order: 1, 2, 5 on the 1st (3 has only "zeppelin", 4 only
    # "festival"), 8 at 23:59:59 on the 3rd, 9 at midnight on the 4th; 10 has no time
    assert v.counts == [3, 0, 1, 1]
    assert v.total == 5
    # largest first, ties by code; an empty language is "und" (as is none: see below)
    assert list(v.langs.items()) == [("en", 2), ("de", 1), ("es", 1), ("und", 1)]


def test_hour_buckets_at_their_boundaries(store):
    v = store.volume("zeppelin", "2026-03-01T00:00:00Z", "2026-03-01T03:59:59Z", by="hour")
    assert v.buckets == [D1, D1 + HOUR, D1 + 2 * HOUR, D1 + 3 * HOUR]
    assert v.counts == [2, 1, 0, 0]  # 00:00:00 and 00:59:59 in the first hour, 01:00:00 in the next
    both = store.volume("zeppelin festival", "2026-03-01T00:00:00Z", "2026-03-01T03:59:59Z", by="hour")
    assert both.counts == [2, 0, 0, 0] and both.total == 2
    # without bounds: from the first match's hour to the last's, zero-filled
    v = store.volume("zeppelin festival", None, None, by="hour")
    assert (v.buckets[0], v.buckets[-1], len(v.buckets)) == (D1, D4, 3 * 24 + 1)
    assert {b: n for b, n in zip(v.buckets, v.counts) if n} == {D1: 2, D1 + 12 * HOUR: 1, D4 - HOUR: 1, D4: 1}


def test_since_and_until_are_inclusive(store):
    v = store.volume("zeppelin", "2026-03-01T00:59:59Z", "2026-03-01T01:00:00Z", by="hour")
    assert (v.buckets, v.counts, v.total) == ([D1, D1 + HOUR], [1, 1], 2)  # posts 2 and 3
    assert v.langs == {"de": 1, "en": 1}
    # a bound between buckets: its bucket is the first; posts before it in that bucket are not counted
    v = store.volume("zeppelin festival", "2026-03-01T00:30:00Z", "2026-03-03T23:59:59Z")
    assert (v.buckets, v.counts) == ([D1, D2, D3], [2, 0, 1])
    # one bound: the other is the last (or first) match's
    v = store.volume("zeppelin festival", "2026-03-02T00:00:00Z", None)
    assert (v.start, v.buckets, v.counts) == (D2, [D2, D3, D4], [0, 1, 1])
    v = store.volume("zeppelin festival", None, "2026-03-03T00:00:00Z")
    assert (v.buckets, v.counts) == ([D1, D2, D3], [3, 0, 0])
    # without an offset a time is UTC, the chart's time; with one, it is converted
    assert store.volume("zeppelin", "2026-03-01T01:00:00", "2026-03-01T02:00:00+01:00", by="hour").counts == [
        1
    ]


def test_empty_query_counts_every_post_with_a_time(store):
    v = store.volume("", None, None)
    assert (v.buckets, v.counts, v.total) == ([D1, D2, D3, D4], [5, 2, 1, 1], 9)
    assert list(v.langs.items()) == [("en", 4), ("und", 2), ("de", 1), ("es", 1), ("fr", 1)]
    assert store.volume("   ", None, None) == Volume("   ", "day", D1, v.buckets, v.counts, v.langs, 9)
    v = store.volume("", "2026-03-01T00:59:59Z", "2026-03-02T08:00:00Z", by="hour")
    assert (v.buckets[0], v.buckets[-1], v.total) == (D1, D2 + 8 * HOUR, 5)  # posts 2 to 6
    assert v.counts[:5] == [1, 1, 0, 1, 0] and v.counts[-1] == 1
    assert v.langs == {"en": 2, "de": 1, "fr": 1, "und": 1}
    v = store.volume("", "2026-03-02T00:00:00Z", None)  # to the last post
    assert (v.buckets, v.counts) == ([D2, D3, D4], [2, 1, 1])
    v = store.volume("", None, "2026-02-01T00:00:00Z")  # before every post
    assert (v.buckets, v.counts, v.langs, v.total) == ([], [], {}, 0)


def test_words_stopwords_and_hashtags(store):
    assert store.volume("the zeppelin", None, None).total == 6  # "the" is a stopword: 1, 2, 3, 5, 8, 9
    assert store.volume("the", None, None).total == 3  # only stopwords: they are the words (1, 4, 7)
    # a hashtag is the posts tagged so; the word also finds the posts that only say it
    assert store.volume("#airship", None, None).counts == [1, 0, 1]  # 7 (#Airship) and 9
    assert store.volume("airship", None, None).total == 4  # and 4 and 6
    assert store.volume("zeppelin #airship", None, None).total == 1
    with pytest.raises(StoreError, match="query: '!!!' has no word"):
        store.volume("!!!", None, None)


def test_no_match(store):
    v = store.volume("submarine", None, None)
    assert (v.buckets, v.counts, v.langs, v.total) == ([], [], {}, 0)
    v = store.volume("submarine", "2026-03-01T10:00:00Z", None)
    assert (v.start, v.buckets, v.total) == (D1, [], 0)
    v = store.volume("submarine", "2026-03-01T10:00:00Z", "2026-03-03T01:00:00Z")  # both bounds: zeros
    assert (v.start, v.buckets, v.counts, v.langs, v.total) == (D1, [D1, D2, D3], [0, 0, 0], {}, 0)


def test_errors_name_the_argument(store):
    with pytest.raises(StoreError, match=r"since: '2024-13-01' is not an ISO 8601 time"):
        store.volume("zeppelin", "2024-13-01", None)
    with pytest.raises(StoreError, match=r"until: 'yesterday' is not an ISO 8601 time"):
        store.volume("zeppelin", None, "yesterday")
    with pytest.raises(StoreError, match=r"since: '2026-03-02' is after until: '2026-03-01'"):
        store.volume("zeppelin", "2026-03-02", "2026-03-01")
    with pytest.raises(StoreError, match=r"by: 'week'.*\"hour\" or \"day\""):
        store.volume("zeppelin", None, None, by="week")
    assert isinstance(StoreError("x"), ValueError)


def test_max_buckets(store):
    assert len(store.volume("", "2026-03-01", "2026-03-04", max_buckets=4).buckets) == 4
    with pytest.raises(StoreError, match=r"4 day buckets .* more than max_buckets \(3\); use a narrower"):
        store.volume("", "2026-03-01", "2026-03-04", max_buckets=3)
    with pytest.raises(
        StoreError, match=r'73 hour buckets .*max_buckets \(24\); use by: "day" or a narrower'
    ):
        store.volume("", "2026-03-01", "2026-03-04", by="hour", max_buckets=24)
    # a range from the posts themselves is held to it as well
    with pytest.raises(StoreError, match=r"73 hour buckets"):
        store.volume("zeppelin", None, None, by="hour", max_buckets=72)
    with pytest.raises(StoreError, match=r"73 hour buckets"):
        store.volume("", None, None, by="hour", max_buckets=72)
    with pytest.raises(StoreError, match=r"max_buckets: 0"):
        store.volume("", None, None, max_buckets=0)


def test_edits_and_deletes_change_the_counts(store):
    store.delete(["x:1"])
    store.upsert([StoredPost("x:3", "3", "x", "a zeppelin festival now", created_at="2026-03-01T01:00:00Z")])
    v = store.volume("zeppelin festival", None, None)
    assert v.counts == [3, 0, 1, 1]  # 1 gone, 3 now has both words
    assert list(v.langs.items()) == [("und", 2), ("de", 1), ("en", 1), ("es", 1)]
    assert store.volume("", None, None).counts == [4, 2, 1, 1]


def test_times_before_1970_floor_to_their_bucket(store):
    store.upsert([StoredPost("x:old", "old", "x", "zeppelin", created_at="1969-12-31T23:00:00Z", lang="en")])
    v = store.volume("zeppelin", None, "1970-01-01T00:00:00Z", by="hour")
    assert (v.buckets, v.counts) == ([-HOUR, 0], [1, 0])
    v = store.volume("", "1969-12-31T00:00:00Z", "1970-01-01T00:00:00Z")
    assert (v.start, v.buckets, v.counts) == (-DAY, [-DAY, 0], [1, 0])


def test_agrees_with_counting_by_hand(store):
    """300 random posts over three days: every plan (words, tags, both, none; with bounds
    or without) against a count made here, post by post."""
    rng = random.Random(5)
    vocab = ["kite", "moss", "lantern", "quay", "#kite", "#moss", "fog"]
    rows = [(text, t(at) if at else None, lang) for _, text, at, lang in POSTS]
    new = []
    for i in range(300):
        ts = D1 - DAY + rng.randrange(3 * DAY) if rng.random() > 0.05 else None
        at = datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if ts else None
        text = " ".join(rng.choice(vocab) for _ in range(rng.randint(1, 4)))
        lang = rng.choice(["en", "de", None, "", "ja"])
        new.append(StoredPost(f"r:{i}", str(i), "r", text, created_at=at, lang=lang))
        rows.append((text, ts, lang))
    store.upsert(new)

    def by_hand(query: str, lo: int | None, hi: int | None, width: int) -> tuple[dict, dict]:
        words = set(re.findall(r"\w+", re.sub(r"#\w+", " ", query).lower()))
        tags = {w.lower() for w in re.findall(r"#(\w+)", query)}
        counts, langs = {}, {}
        for text, ts, lang in rows:
            if ts is None or (lo is not None and ts < lo) or (hi is not None and ts > hi):
                continue
            if words <= set(re.findall(r"\w+", text.lower())) and tags <= set(hashtags(text)):
                counts[ts - ts % width] = counts.get(ts - ts % width, 0) + 1
                langs[lang or "und"] = langs.get(lang or "und", 0) + 1
        return counts, langs

    for q, since, until in [
        ("kite", None, None),
        ("kite moss", None, None),
        ("lantern fog quay", "2026-02-28T13:30:00Z", "2026-03-02T02:00:00Z"),
        ("#kite", None, "2026-03-01T00:00:00Z"),
        ("fog #moss", "2026-03-01T00:00:00Z", None),
        ("", None, None),
        ("", "2026-02-28T13:30:00Z", "2026-03-02T02:00:00Z"),
    ]:
        lo, hi = (t(since) if since else None), (t(until) if until else None)
        for by, width in (("hour", HOUR), ("day", DAY)):
            v = store.volume(q, since, until, by=by)
            counts, langs = by_hand(q, lo, hi, width)
            assert counts, (q, by)
            assert {b: n for b, n in zip(v.buckets, v.counts) if n} == counts, (q, by)
            assert v.langs == langs and v.total == sum(counts.values()), (q, by)
            first = lo - lo % width if lo is not None else min(counts)
            last = hi - hi % width if hi is not None else max(counts)
            assert v.buckets == list(range(first, last + 1, width)) and v.start == first, (q, by)


def test_a_store_made_before_volume_gains_its_indexes(tmp_path):
    import sqlite3

    db = tmp_path / "old.db"
    open_store(db, index=False).close()
    with sqlite3.connect(db) as c:  # as an older mynah left it
        c.execute("DROP INDEX posts_rowid_ts_lang")
        c.execute("DROP INDEX posts_lang_ts")
    s = open_store(db, index=False)
    s.upsert([StoredPost(f"x:{i}", i, "x", text, created_at=at, lang=lang) for i, text, at, lang in POSTS])
    assert s.volume("zeppelin festival", None, None).counts == [3, 0, 1, 1]
    assert s.volume("", None, None).total == 9
    s.close()
