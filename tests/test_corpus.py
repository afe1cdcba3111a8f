"""Corpus readers on hand-made fixtures that follow each platform's documented fields, and the build."""

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import run_cli
from mynah.corpus.build import BuildConfig, build
from mynah.corpus.clean import FilterConfig, NormalizeConfig, normalize
from mynah.corpus.readers import Malformed, Post, mastodon_html_to_text, read_file

FIX = Path(__file__).parent / "fixtures" / "corpus"


def posts(path):
    return [r for r in read_file(path) if isinstance(r, Post)]


def test_x_v2_envelope_prefers_note_tweet_and_rebuilds_retweets():
    ps = {p.id: p for p in posts(FIX / "x_v2_envelope.json")}
    assert all(isinstance(i, str) for i in ps)
    long = ps["1800000000000000001"]
    assert long.text.endswith("the dining car and the breakfast menu.") and long.author == "alex_g"
    rt = ps["1800000000000000002"]
    assert rt.is_repost and rt.text == (
        "RT @maria_lopez: The farmers market moved to the old station square this weekend. "
        "Bring cash, half the stalls still do not take cards and the bakery stand sells out by ten."
    )
    reply = ps["1800000000000000003"]
    assert reply.reply_to == "1800000000000000001" and reply.conversation_id == "1800000000000000001"
    assert reply.created_at == "2026-03-01T09:05:00Z"


def test_x_v1_text_preference_entities_and_retweets():
    ps = posts(FIX / "x_v1.jsonl")
    assert ps[0].text.startswith("Storm warning for the coast tonight & tomorrow, stay safe <3")
    assert ps[0].created_at == "2018-10-10T20:19:24Z" and ps[0].author == "coastwatch"
    assert ps[1].text.endswith("tickets stay valid.")  # extended_tweet.full_text over truncated text
    assert (
        ps[2].is_repost
        and ps[2].text.startswith("RT @coastwatch: Storm warning")
        and "stay safe" in ps[2].text
    )
    assert ps[3].reply_to == "1050118621198921728" and ps[3].lang == "es"


def test_x_archive_strips_the_js_prefix_and_reads_string_numbers():
    ps = posts(FIX / "archive" / "data" / "tweets.js")
    assert [p.id for p in ps] == ["1600000000000000001", "1600000000000000002"]
    assert ps[0].text == "My first post of the year: new sketchbook, new habits & fewer screens"
    assert ps[0].author == "sketch_daily"  # from account.js beside it
    assert ps[1].reply_to == "1599999999999999999" and ps[0].format == "x_archive"


def test_archive_is_parsed_never_evaluated(tmp_path):
    evil = tmp_path / "tweets.js"
    evil.write_text('window.YTD.tweets.part0 = (function(){ require("fs").writeFileSync("pwned", "x") })()')
    recs = list(read_file(evil))
    assert len(recs) == 1 and isinstance(recs[0], Malformed) and "does not parse" in recs[0].reason


def test_jetstream_creates_updates_deletes_and_threads():
    recs = posts(FIX / "jetstream.jsonl")
    ops = [(p.op, p.id.rsplit("/", 1)[1]) for p in recs]
    assert ops == [
        ("create", "3l3qo2vutsw2b"),
        ("create", "3l3qo2vutsw2c"),
        ("create", "3l3qo2vutsw2e"),
        ("delete", "3l3qo2vutsw2e"),
        ("update", "3l3qo2vutsw2b"),
    ]  # likes and identity events skipped
    reply = recs[1]
    assert reply.lang == "de" and reply.reply_to == "at://did:plc:abc123/app.bsky.feed.post/3l3qo2vutsw2b"
    assert reply.conversation_id == reply.reply_to


def test_mastodon_html_mentions_invisible_spans_reblogs():
    ps = posts(FIX / "mastodon.json")
    assert (
        ps[0].text
        == "Thanks @anna for the seedlings! Guide here: blog.example.net/tomato-guide\n\nSecond paragraph & more."
    )
    assert ps[0].extra == {"spoiler_text": "", "visibility": "public"}
    assert (
        ps[1].is_repost
        and ps[1].text == "RT @soil@other.example: Compost tip: balance greens and browns\nand keep it moist."
    )
    assert ps[1].is_bot and ps[1].extra["spoiler_text"] == "gardening"
    assert (
        ps[2].reply_to == "113000000000000001"
        and ps[2].extra["visibility"] == "unlisted"
        and ps[2].lang == "de"
    )
    assert mastodon_html_to_text("<p>a<br/>b</p><p>c</p>") == "a\nb\n\nc"


def test_csv_with_chosen_columns():
    ps = [
        r
        for r in read_file(
            FIX / "posts.csv", text_col="body", id_col="post_id", author_col="user", time_col="time"
        )
    ]
    assert [p.id for p in ps] == ["c1", "c2"] and ps[1].author == "ben"
    loose = list(read_file(FIX / "posts.csv", text_col="message, BODY ", id_col="POST_ID"))
    assert [p.text for p in loose] == [p.text for p in ps] and loose[0].id == "c1"
    bad = list(read_file(FIX / "posts.csv", text_col="message"))
    assert isinstance(bad[0], Malformed) and "no column 'message'" in bad[0].reason


def test_gz_and_zst_inputs_read_the_same(tmp_path):
    zstandard = pytest.importorskip("zstandard")
    raw = (FIX / "x_v1.jsonl").read_bytes()
    (tmp_path / "a.jsonl.gz").write_bytes(gzip.compress(raw))
    (tmp_path / "a.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(raw))
    plain = [p.text for p in posts(FIX / "x_v1.jsonl")]
    assert (
        [p.text for p in posts(tmp_path / "a.jsonl.gz")]
        == plain
        == [p.text for p in posts(tmp_path / "a.jsonl.zst")]
    )


def test_malformed_lines_name_file_and_line():
    recs = list(read_file(FIX / "bad.jsonl"))
    bad = [r for r in recs if isinstance(r, Malformed)]
    assert [r.source.rsplit(":", 1)[1] for r in bad] == ["2", "3", "4", "5"]
    assert "invalid JSON" in bad[0].reason and "not a JSON object" in bad[1].reason
    assert "unknown record shape" in bad[2].reason and "UTF-8" in bad[3].reason
    assert [p.id for p in recs if isinstance(p, Post)] == ["m1"]


def test_normalization_counts_every_replacement():
    from collections import Counter

    c = Counter()
    text = "RT @ana: Mail ben.rivera@example.com or call +1 202 555 0143 &amp; see https://x.co/a from 10.0.0.12 @bob  ok"
    out = normalize(text, NormalizeConfig(), c)
    assert out == "Mail <email> or call <phone> & see <url> from <ip> @user ok"
    assert (c["pii_email"], c["pii_phone"], c["pii_ip"], c["urls"], c["mentions"]) == (1, 1, 1, 1, 1)
    kept = normalize("hi @bob", NormalizeConfig(mention_placeholder=None), Counter())
    assert kept == "hi @bob"


def test_build_mixed_fixtures_report_and_rejects(tmp_path):
    cfg = BuildConfig(
        filters=FilterConfig(min_chars=5),
        vocab_size=300,
        text_column="body",
        id_column="post_id",
        author_column="user",
        time_column="time",
    )
    report = build([str(FIX)], tmp_path / "c", cfg, progress=False)
    out = tmp_path / "c"
    saved = json.loads((out / "report.json").read_text())
    assert saved["read"] == report["read"] and saved["kept"] == report["kept"] > 0
    assert set(saved["formats"]) >= {"x_v2", "x_v1", "x_archive", "jetstream", "mastodon", "csv", "mynah"}
    assert saved["malformed"] == 4 and saved["rejected"]["deleted"] == 1 and saved["rejected"]["repost"] >= 3
    rejects = [json.loads(line) for line in (out / "rejects.jsonl").read_text().splitlines()]
    assert {r["source"].rsplit(":", 1)[1] for r in rejects} == {"2", "3", "4", "5"}
    import pyarrow.parquet as pq

    texts = [
        t
        for f in sorted((out / "posts").glob("*.parquet"))
        for t in pq.read_table(f).column("text").to_pylist()
    ]
    assert any("(edited)" in t for t in texts)  # the Jetstream update replaced the create's text
    assert not any("wrong photo" in t for t in texts)  # the deleted post is gone
    assert any("<email>" in t and "<phone>" in t for t in texts)
    assert (out / "report.md").read_text().startswith("# Corpus report")


def test_build_from_nothing_usable_fails_and_bad_lines_only_warn(tmp_path):
    only_bad = tmp_path / "bad.jsonl"
    only_bad.write_text('not json\n{"foo": 1}\n')
    proc = run_cli("corpus", "build", str(only_bad), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and "nothing usable" in proc.stderr and "Traceback" not in proc.stderr
    proc = run_cli(
        "corpus",
        "build",
        str(FIX / "bad.jsonl"),
        str(FIX / "x_v1.jsonl"),
        "--out",
        str(tmp_path / "p"),
        "--min-chars",
        "5",
        "--vocab-size",
        "300",
    )
    assert proc.returncode == 0, proc.stderr
    assert "warning: 4 malformed input lines" in proc.stderr


# (id, the platform's language tag or None, text): for the --langs allow-list.
LANG_POSTS = [
    ("l1", "en", "The ferry to the island leaves every hour from the old harbour pier"),
    ("l2", None, "My neighbour finally fixed the broken fence between our two gardens today"),
    ("l3", "und", "Coffee at the corner bakery is the best way to start a rainy morning"),
    ("l4", "de", "Der Zug nach Hamburg hat heute wieder eine Stunde Verspätung gehabt"),
    ("l5", None, "Morgen gehen wir mit den Kindern in den großen Stadtpark zum Picknick"),
    ("l6", "fr", "Le marché du samedi matin est le meilleur endroit pour acheter du fromage"),
    ("l7", "es", "La biblioteca municipal abre sus puertas los domingos por la mañana"),
    ("l8", None, "Nous avons visité le musée d'art moderne pendant tout l'après-midi hier"),
]


def test_langs_keeps_only_the_allowed_languages_and_counts_the_rest(tmp_path):
    src = tmp_path / "mixed.jsonl"
    src.write_text(
        "".join(
            json.dumps(
                {"id": i, "author": f"user{i}", "created_at": "2026-01-02T10:00:00Z", "text": text}
                | ({"lang": lang} if lang else {}),
                ensure_ascii=False,
            )
            + "\n"
            for i, lang, text in LANG_POSTS
        ),
        encoding="utf-8",
    )
    out = tmp_path / "c"
    proc = run_cli("corpus", "build", str(src), "--out", str(out), "--langs", "en,de", "--vocab-size", "300")
    assert proc.returncode == 0, proc.stderr
    import pyarrow.parquet as pq

    kept = [r for f in sorted((out / "posts").glob("*.parquet")) for r in pq.read_table(f).to_pylist()]
    # tagged posts by their tag; untagged (or "und") ones by the detected language
    assert sorted(r["id"] for r in kept) == ["l1", "l2", "l3", "l4", "l5"]
    assert {r["id"]: r["lang"] for r in kept} == {"l1": "en", "l2": "en", "l3": "en", "l4": "de", "l5": "de"}
    report = json.loads((out / "report.json").read_text())
    assert report["read"] == 8 and report["kept"] == 5
    assert report["rejected"] == {"language": 3}
    # without the allow-list every language stays
    proc = run_cli("corpus", "build", str(src), "--out", str(tmp_path / "all"), "--vocab-size", "300")
    assert proc.returncode == 0, proc.stderr
    report = json.loads((tmp_path / "all" / "report.json").read_text())
    assert report["kept"] == 8 and "language" not in report["rejected"]


def test_dedup_near_dup_and_split_by_conversation(sample_dir, tmp_path):
    report = build(
        [str(sample_dir / "posts.jsonl")], tmp_path / "c", BuildConfig(vocab_size=512), progress=False
    )
    assert report["rejected"]["near_duplicate"] > 0 and report["rejected"]["repost"] > 0
    assert report["rejected"].get("spam_hashtags", 0) + report["rejected"].get("spam_urls", 0) > 0
    import pyarrow.parquet as pq

    splits = {}
    for f in (tmp_path / "c" / "posts").glob("*.parquet"):
        for conv in pq.read_table(f).column("conversation_id").to_pylist():
            splits.setdefault(conv, set()).add(f.name.split("-")[0])
    assert splits and all(len(s) == 1 for s in splits.values())  # no thread on both sides


@pytest.mark.slow
def _near_dup_reference(nd, texts):
    """Near-dup decisions one post at a time with one dict per band: the semantics the
    batched numpy index must reproduce exactly."""
    tables = [{} for _ in range(nd.bands)]
    kept, out = [], []
    sigs = nd.signatures(texts)
    for sig, keys in zip(sigs.astype("uint16"), nd.band_keys(sigs).tolist()):
        match, seen = None, set()
        for table, key in zip(tables, keys):
            j = table.get(key)
            if j is not None and j not in seen:
                seen.add(j)
                if (kept[j] == sig).sum() >= nd.threshold * len(sig):
                    match = j
                    break
        out.append(match)
        if match is None:
            for table, key in zip(tables, keys):
                table.setdefault(key, len(kept))
            kept.append(sig)
    return out


def test_near_dup_batches_decide_exactly_as_one_post_at_a_time(tmp_path):
    import random

    from mynah.corpus.minhash import NearDuplicates

    r = random.Random(0)
    words = [f"w{i}" for i in range(60)]  # a small vocabulary: many chance band collisions
    base = [" ".join(r.choice(words) for _ in range(r.randint(6, 14))) for _ in range(3000)]
    dups = []
    for _ in range(900):
        t = r.choice(base + dups)  # copies of copies too
        dups.append(r.choice([t + " !", t.upper(), "via @x: " + t, t.rsplit(" ", 1)[0]]))
    texts = base + dups
    r.shuffle(texts)  # duplicates land in the same batch as their original and in later ones
    nd = NearDuplicates()
    got = [hit for i in range(0, len(texts), 256) for hit in nd.check_add_batch(texts[i : i + 256])]
    assert got == _near_dup_reference(NearDuplicates(), texts)
    assert 500 < sum(h is not None for h in got) < 1500
    # the index's table grew several times over and still finds every kept post's keys
    assert nd.kept == got.count(None) and len(nd.table) > 16 * nd.kept
    assert nd.check_add(texts[0]) == 0 and nd.check_add(texts[0].upper() + " !!") == 0
    # Within a memory budget of 1,024 kept posts, older band keys and signatures move to
    # disk, and the decisions stay exactly the same.
    small = NearDuplicates(spill_dir=tmp_path, max_kept_in_memory=1024)
    spilled = [hit for i in range(0, len(texts), 256) for hit in small.check_add_batch(texts[i : i + 256])]
    assert spilled == got
    assert small.table.on_disk > 0 and small.sigs.n_disk >= 1024 and small.sigs.n_mem <= 1024
    assert len(small.table.runs) >= 2 and (tmp_path / "near-bands.0.keys").exists()
    small.close()
    assert not list(tmp_path.iterdir())


def test_large_json_lines_file_read_in_parallel_parts_gives_the_same_corpus(sample_dir, tmp_path):
    # one record a line: Jetstream (with its updates and deletes) then X v1.1
    src = [
        line
        for name in ("jetstream.jsonl", "x_v1.jsonl")
        for line in (sample_dir / "exports" / name).read_text().splitlines()
    ]
    bad_at = [5, len(src) // 2, len(src) - 3]  # 1-based line numbers of the malformed lines
    for n in bad_at:
        src.insert(n - 1, '{"data": [{"id": "9", "text": "cut off')
    big = tmp_path / "x_v2.jsonl"
    big.write_text("\n".join(src) + "\n")
    whole = build([str(big)], tmp_path / "a", BuildConfig(vocab_size=400), progress=False, workers=1)
    cfg = BuildConfig(vocab_size=400, part_bytes=big.stat().st_size // 7)
    parts = build([str(big)], tmp_path / "b", cfg, progress=False, workers=2)
    assert len(list((tmp_path / "b" / ".work").glob("*.arrow"))) >= 7
    for k in ("read", "kept", "rejected", "malformed", "splits", "tokens", "changes"):
        assert whole[k] == parts[k], k
    assert parts["files"] == [{"file": str(big), "read": whole["read"], "malformed": 3, "truncated": None}]
    rejects = [json.loads(x) for x in (tmp_path / "b" / "rejects.jsonl").read_text().splitlines()]
    assert [r["source"] for r in rejects] == [f"{big}:{n}" for n in bad_at]
    import pyarrow.parquet as pq

    ids = lambda d: [
        i
        for f in sorted((tmp_path / d / "posts").glob("*.parquet"))
        for i in pq.read_table(f).column("id").to_pylist()
    ]
    assert ids("a") == ids("b")


def test_killed_build_resumes_without_duplicates_and_trains(sample_dir, tmp_path):
    from mynah.sample import write_network

    inputs = tmp_path / "in"
    for i in range(6):
        write_network(inputs / f"part{i}", n_posts=400, seed=10 + i)
    straight = run_cli("corpus", "build", str(inputs), "--out", str(tmp_path / "a"), "--vocab-size", "400")
    assert straight.returncode == 0, straight.stderr
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    args = [
        sys.executable,
        "-m",
        "mynah.cli",
        "corpus",
        "build",
        str(inputs),
        "--out",
        str(tmp_path / "b"),
        "--vocab-size",
        "400",
    ]
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    work = tmp_path / "b" / ".work"
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None and len(list(work.glob("*.json"))) < 2:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    # Its pool workers die with it (PR_SET_PDEATHSIG), but on a busy machine one may still
    # land the part it was renaming into place: wait until the finished parts stop changing.
    seen, still = None, 0
    for _ in range(100):
        now = sorted(f.name for f in work.glob("*.json"))
        still = still + 1 if now == seen else 0
        if still >= 5:
            break
        seen = now
        time.sleep(0.1)
    stamp = lambda p: (p.stat().st_ino, p.stat().st_mtime_ns)  # noqa: E731
    # A part is finished when KEY.json exists (after KEY.arrow); remember those files exactly.
    done = {f.name: stamp(f) for f in work.glob("*.json")}
    done |= {f.with_suffix(".arrow").name: stamp(f.with_suffix(".arrow")) for f in work.glob("*.json")}
    resumed = run_cli(
        "corpus", "build", str(inputs), "--out", str(tmp_path / "b"), "--vocab-size", "400", "--resume"
    )
    assert resumed.returncode == 0, resumed.stderr
    n_parts = len(list(work.glob("*.json")))
    n_done = len(done) // 2
    assert 0 < n_done < n_parts, f"the kill should land mid-build: {n_done} of {n_parts} parts finished"
    assert f"resuming: {n_done} of {n_parts} input parts already processed" in resumed.stderr
    # the finished parts were skipped, not read again: their work files are the killed run's
    assert {name: stamp(work / name) for name in done} == done
    a, b = (json.loads((tmp_path / d / "report.json").read_text()) for d in ("a", "b"))
    for k in ("read", "kept", "rejected", "malformed", "formats", "splits", "tokens"):
        assert a[k] == b[k], k
    import pyarrow.parquet as pq

    ids = lambda d: sorted(
        i
        for f in (tmp_path / d / "posts").glob("*.parquet")
        for i in pq.read_table(f).column("id").to_pylist()
    )
    assert ids("a") == ids("b") and len(set(ids("b"))) == len(ids("b"))
    train = run_cli(
        "train",
        "--recipe",
        "tiny",
        "--data",
        str(tmp_path / "b"),
        "--out",
        str(tmp_path / "run"),
        "--max-steps",
        "3",
        "--micro-batch",
        "2",
        "--seq-len",
        "32",
    )
    assert train.returncode == 0, train.stderr


@pytest.mark.slow
def test_ray_engine_with_two_workers_keeps_exactly_the_local_set(tmp_path):
    ray = pytest.importorskip("ray")
    from mynah.sample import write_network

    for i in range(4):
        write_network(tmp_path / "in" / f"p{i}", n_posts=300, seed=30 + i)
    (tmp_path / "in" / "fixtures").mkdir()
    for name in ("x_v1.jsonl", "jetstream.jsonl", "mastodon.json", "bad.jsonl"):
        (tmp_path / "in" / "fixtures" / name).write_bytes((FIX / name).read_bytes())
    cfg = BuildConfig(vocab_size=400)
    local = build([str(tmp_path / "in")], tmp_path / "local", cfg, progress=False)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        assert ray.available_resources().get("CPU") == 2
        distributed = build([str(tmp_path / "in")], tmp_path / "ray", cfg, engine="ray", progress=False)
    finally:
        ray.shutdown()
    import pyarrow.parquet as pq

    kept = lambda d: sorted(
        i
        for f in (tmp_path / d / "posts").glob("*.parquet")
        for i in pq.read_table(f).column("id").to_pylist()
    )
    assert kept("local") == kept("ray") and len(kept("ray")) == local["kept"]
    for k in ("read", "kept", "rejected", "malformed", "formats", "splits"):
        assert local[k] == distributed[k], k


@pytest.mark.parametrize("memory_mb", [1024, 0])  # 0: the dedup state on disk
def test_bot_heuristics_rate_and_template(tmp_path, memory_mb):
    from mynah.sample import CITIES, TOPICS

    nouns = [n for _, by_lang in TOPICS.values() for n in by_lang["en"]]
    rows = []
    for i in range(25):  # 25 different posts in 12 minutes: faster than a person posts
        rows.append(
            {
                "id": f"r{i}",
                "author": "fastposter",
                "created_at": f"2026-01-01T10:{i // 2:02d}:{(i % 2) * 30:02d}Z",
                "text": f"thinking about {nouns[i]} while walking around {CITIES[i % len(CITIES)]} this week, number {i}",
            }
        )
    for i in range(25):  # one template over 25 days
        rows.append(
            {
                "id": f"t{i}",
                "author": "orderbot",
                "created_at": f"2026-01-{i + 1:02d}T09:00:00Z",
                "text": f"Order {1000 + i * 7} shipped to customer {5000 + i * 13} today",
            }
        )
    for i in range(25):  # a person: varied posts over 25 days
        rows.append(
            {
                "id": f"h{i}",
                "author": "human",
                "created_at": f"2026-01-{i + 1:02d}T20:00:00Z",
                "text": f"Day {i}: {nouns[-1 - i]} in {CITIES[-1 - i % len(CITIES)]} was something else, {nouns[i * 3 % len(nouns)]} too",
            }
        )
    src = tmp_path / "posts.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    report = build(
        [str(src)],
        tmp_path / "c",
        BuildConfig(vocab_size=300, filters=FilterConfig(near_dedup=False), memory_mb=memory_mb),
        progress=False,
    )
    assert report["rejected"]["bot_heuristic"] == 50
    assert report["kept"] == 25


def test_every_reader_round_trips_the_sample_exports(sample_dir):
    originals = {p["id"]: p for p in map(json.loads, (sample_dir / "posts.jsonl").read_text().splitlines())}
    ex = sample_dir / "exports"

    def check(recs, want_text=lambda p: p["text"], key=lambda r: r.id):
        got = [r for r in recs if isinstance(r, Post)]
        assert got and not [r for r in recs if isinstance(r, Malformed)]
        for r in got:
            p = originals[key(r)]
            assert r.text == want_text(p), (r.source, r.text, p["text"])
        return got

    for fmt in ("x_v2.jsonl", "x_v1.jsonl"):
        got = check(list(read_file(ex / fmt)))
        assert len(got) == len(originals)
        assert {r.id for r in got if r.is_repost} == {
            i for i, p in originals.items() if p["kind"] == "repost"
        }
        assert all(r.reply_to == originals[r.id]["reply_to"] for r in got)
    archive = check(list(read_file(ex / "x_archive" / "data" / "tweets.js")))
    assert {r.author for r in archive} == {originals[archive[0].id]["author"]}
    creates = [r for r in read_file(ex / "jetstream.jsonl") if r.op == "create"]
    check(creates, key=lambda r: r.id.rsplit("/", 1)[1])
    assert all(r.lang == originals[r.id.rsplit("/", 1)[1]]["lang"] for r in creates)
    edits = [r for r in read_file(ex / "jetstream.jsonl") if r.op != "create"]
    assert {r.op for r in edits} == {"update", "delete"}
    check(list(read_file(ex / "mastodon.jsonl")), want_text=lambda p: p["text"].replace("https://", ""))
    check(list(read_file(ex / "posts.csv")))


def test_build_over_all_sample_formats(sample_dir, tmp_path):
    report = build([str(sample_dir / "exports")], tmp_path / "c", BuildConfig(vocab_size=400), progress=False)
    assert set(report["formats"]) == {"x_v2", "x_v1", "x_archive", "jetstream", "mastodon", "csv"}
    assert report["malformed"] == 0 and report["rejected"]["deleted"] > 0
    # the same posts in six formats: X v2 and v1.1 share ids (the archive holds one user), the rest are caught by text
    r = report["rejected"]
    assert (
        r["duplicate_id"] > report["kept"]
        and r["duplicate"] + r.get("near_duplicate", 0) > 2 * report["kept"]
    )


def test_dedup_state_spilled_to_disk_keeps_exactly_the_same_posts(sample_dir, tmp_path):
    """Past its memory budget the dedup state moves to disk; the corpus must not change.
    memory_mb=0 keeps only 64 keys and 64 kept posts in memory: nearly everything spills."""
    import pyarrow.parquet as pq

    def run(name, mb):
        cfg = BuildConfig(vocab_size=400, memory_mb=mb)
        report = build([str(sample_dir / "exports")], tmp_path / name, cfg, progress=False)
        rows = [pq.read_table(f).to_pylist() for f in sorted((tmp_path / name / "posts").glob("*.parquet"))]
        return report, rows

    big, big_rows = run("memory", 1024)
    small, small_rows = run("disk", 0)
    assert big["memory"]["spilled_to_disk"] == {"ids": 0, "texts": 0, "near_duplicate_posts": 0}
    spilled = small["memory"]["spilled_to_disk"]
    assert spilled["ids"] > 1000 and spilled["texts"] > 500 and spilled["near_duplicate_posts"] > 300
    # deletes, updates, repeated ids, exact and near duplicates: all decided the same way
    assert small["rejected"] == big["rejected"] and small["rejected"]["deleted"] > 0
    assert small["splits"] == big["splits"] and small["tokens"] == big["tokens"]
    assert small_rows == big_rows and sum(map(len, big_rows)) == big["kept"]
    leftovers = [
        p.name for p in (tmp_path / "disk" / ".work").iterdir() if not p.name.endswith((".arrow", ".json"))
    ]
    assert leftovers == []  # the spilled state is cleaned up


def test_author_statistics_are_the_same_in_any_number_of_partitions(tmp_path):
    """Bot heuristics per author, one on-disk partition at a time: every row of an author
    lands in one partition, so the bots found do not depend on how many there are."""
    import numpy as np

    from mynah.corpus.build import NO_TIME, _bot_authors
    from mynah.corpus.state import Partitions

    rng = np.random.default_rng(0)
    n = 20_000
    authors = rng.integers(1, 400, n).astype(np.int64) * 7919  # ~50 posts each
    tmpl = np.where(authors % 3 == 0, 5, rng.integers(0, 1 << 40, n))  # a third fill one template
    fast = authors % 7 == 0  # a seventh post within minutes; the rest over weeks
    ts = np.where(
        fast, 1_700_000_000 + rng.integers(0, 600, n), 1_700_000_000 + rng.integers(0, 3_000_000, n)
    )
    ts[rng.random(n) < 0.1] = NO_TIME
    rows = np.stack([authors, tmpl, ts], axis=1)
    cfg = FilterConfig()
    found = []
    for parts in (1, 7):
        p = Partitions(tmp_path, f"authors{parts}", parts, 3)
        for i in range(0, n, 1000):
            p.add(rows[i : i + 1000])
        found.append(set(_bot_authors(p, cfg).tolist()))
        sizes = [len(r) for r in p]
        assert sum(sizes) == n and (parts == 1 or max(sizes) < n / 2)
        p.close()
    assert found[0] == found[1]
    expect = {int(a) for a in np.unique(authors) if a % 3 == 0 or a % 7 == 0}
    assert found[0] == expect


@pytest.mark.parametrize("bloom_bytes", [1 << 16, 1])  # 1: a saturated filter, "maybe" for all
def test_spilled_key_table_answers_like_a_dict(tmp_path, bloom_bytes):
    """Keys past the in-memory limit go to sorted runs on disk behind a Bloom filter; a
    lookup must still give each key's first value, and -1 for keys never added."""
    import numpy as np

    from mynah.corpus.state import KeySet, KeyTable

    rng = np.random.default_rng(1)
    table, ref = KeyTable(tmp_path / "t", max_keys=100, bloom_bytes=bloom_bytes), {}
    for step in range(60):
        keys = rng.integers(0, 3000, 80).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        got = table.get(keys)
        assert got.tolist() == [ref.get(int(k), -1) for k in keys]
        absent = keys[got < 0]
        vals = np.arange(len(absent), dtype=np.int32) + 1000 * step
        table.add_absent(absent, vals)
        for k, v in zip(absent.tolist(), vals.tolist()):
            ref.setdefault(k, v)
    assert len(table.runs) > 5 and len(table) == len(ref)
    table.close()
    assert not list(tmp_path.iterdir())
    s = KeySet(tmp_path / "s", max_keys=64, bloom_bytes=bloom_bytes)
    first = s.add(np.array([5, 6, 5] + list(range(100, 300)), dtype=np.uint64))
    assert first[:3].tolist() == [False, False, True] and not first[3:].any()
    assert s.add(np.array([6, 7, 299], dtype=np.uint64)).tolist() == [True, False, True]
    s.close()
