"""Grounded chat-tuning data (train/grounded.py) and `mynah eval grounding` (posts/evaluate.py).

The conversations must be what the server would build: the same retrieval, the same block,
the same numbering; their answers must cite only the block's on-topic posts, quote them
verbatim, and say "no posts" when nothing in the block answers the question.
"""

from __future__ import annotations

import json
import re

import pytest

from conftest import run_cli
from mynah.posts.evaluate import quotes_in, score, summarize
from mynah.posts.ground import Grounded, fit_with_answer, grounded_messages, retrieve
from mynah.posts.store import SQLiteStore
from mynah.processors.quotes import analyze
from mynah.tokenizer import Tokenizer
from mynah.train.grounded import (
    ABSENT,
    ANSWERS,
    NO_POSTS,
    NONE_SHARE,
    WORDINGS,
    Builder,
    builder_for,
    eval_questions,
    grounded_conversations,
    load_labels,
    quotable,
)


@pytest.fixture(scope="module")
def store(post_db):
    s = SQLiteStore(post_db)
    yield s
    s.close()


@pytest.fixture(scope="module")
def tok(trained):
    return Tokenizer.load(trained)


@pytest.fixture(scope="module")
def labels(sample_dir):
    return load_labels(sample_dir)


@pytest.fixture(scope="module")
def convs(store, sample_dir, tok, embedder):
    b = builder_for(store, sample_dir, tok, 512, "train", seed=0, embedder=embedder)
    return b, grounded_conversations(b, 160, progress=False)


def _block(conv: dict) -> str | None:
    return next((m["content"] for m in conv["messages"] if "<posts>" in m["content"]), None)


def _block_lines(block: str) -> list[str]:
    return [ln for ln in block.splitlines() if re.match(r"\[\d+\] ", ln)]


def _users(conv: dict) -> list[str]:
    return [m["content"] for m in conv["messages"] if m["role"] == "user"]


def test_each_block_is_the_one_the_server_would_build(convs, store, tok, embedder):
    """Train as you serve: rebuild each conversation's prompt through the server's own
    retrieve + fit_with_answer + grounded_messages and find the same <posts> block."""
    _, rows = convs
    encode = lambda m: tok.encode_chat(m, add_generation_prompt=True)[0]  # noqa: E731
    checked = 0
    for conv in rows:
        block = _block(conv)
        if block is None or "has instructions" in block:  # the injected ones are checked below
            continue
        msgs = [m for m in conv["messages"][:-1] if "<posts>" not in m["content"]]
        rebuilt = set()
        for emb in (embedder, None):  # hybrid, or keyword search while a store is embedding
            hits = retrieve(store, msgs, 5, emb)
            for want in (256, 128, 64):
                g = fit_with_answer(msgs, hits, encode, 512, want)
                shown = grounded_messages(msgs, g.hits, g.max_chars) if g.hits else []
                rebuilt |= {m["content"] for m in shown if "<posts>" in m["content"]}
        assert block in rebuilt, (msgs, block)
        checked += 1
    assert checked >= 80


def test_answers_cite_only_on_topic_posts_of_their_block_and_quote_them_verbatim(convs, labels):
    _, rows = convs
    quoted = 0
    for conv in rows:
        answer = conv["messages"][-1]["content"]
        block = _block(conv)
        lines = _block_lines(block) if block else []
        numbers = {int(n) for n in re.findall(r"\[(\d+)\]", answer)}
        assert numbers <= set(range(1, len(lines) + 1)), (answer, lines)
        if NO_POSTS.search(answer):
            assert not numbers
            continue
        for span, marker in quotes_in(answer):
            n = int(marker[1:-1])
            shown = re.match(r'\[\d+\] @?[^,]*, [^,]*, \w+: "(.*)"', lines[n - 1]).group(1)
            assert span in shown, (span, lines[n - 1])  # verbatim, in the post it cites
            assert "has instructions" not in lines[n - 1]  # an injected post is never cited
            quoted += 1
    assert quoted >= 100


def test_answers_are_on_topic_and_say_no_posts_when_the_block_has_none(convs, store, labels):
    """The cited posts carry the question's topic; a question whose block has no post on
    its topic (an absent topic) is answered "no posts" although the block is not empty."""
    b, rows = convs
    by_text = {}
    for p in labels.values():
        by_text.setdefault(" ".join(p["text"].split())[:60], p)
    empty_with_posts = 0
    for conv in rows:
        answer = conv["messages"][-1]["content"]
        block = _block(conv)
        if NO_POSTS.search(answer):
            empty_with_posts += block is not None
            continue
        topics = set()
        for n in {int(x) for x in re.findall(r"\[(\d+)\]", answer)}:
            text = re.match(r'\[\d+\] [^"]*"(.*)"', _block_lines(block)[n - 1]).group(1)
            post = by_text.get(text[:60])
            if post:
                topics.add(post["topic"])
        assert len(topics) <= 2, (answer, topics)  # one topic (two in a follow-up)
    assert empty_with_posts >= 20


def test_the_data_covers_what_the_issue_names(convs):
    _, rows = convs
    users = [_users(c) for c in rows]
    answers = [c["messages"][-1]["content"] for c in rows]
    blocks = [_block(c) or "" for c in rows]
    assert sum(len(u) == 2 for u in users) >= 8  # follow-up turns
    assert sum("has instructions" in b for b in blocks) >= 8  # injection posts in the block
    contrasts = ("Views differ", "Opinions are split", "Die Meinungen", "Hay opiniones")
    assert sum(a.startswith(contrasts) and "[" in a for a in answers) >= 3  # contrasting views
    assert sum("[3]" in a or a.count("[") >= 2 for a in answers) >= 20  # several posts summarised
    assert sum(bool(re.search(r"@\w+", u[-1])) for u in users) >= 8  # questions about one author
    assert sum("keine Beiträge" in a or "Beitr" in a and "[" in a for a in answers) >= 5  # German
    assert sum("publicaciones" in a.lower() for a in answers) >= 5  # Spanish
    # the wording varies widely: many distinct question frames once the subject is taken out
    frames = {re.sub(r"\{s\}|\{h\}", "", t) for t in WORDINGS["train"]["topic"]["en"]}
    used = {f for f in frames for u in users if f.split(" ")[0].lower() in u[0].lower()}
    assert len(WORDINGS["train"]["topic"]["en"]) >= 15 and len(used) >= 10


def test_voting_and_fun_mode_conversations_carry_the_prompts_the_server_adds(
    store, sample_dir, tok, embedder
):
    """Train as you serve for the policy layer: a voting question's prompt has the election
    facts message that the server's policy_messages adds, and its answer gives those facts
    and nothing else; a fun-mode conversation starts with the fun system message."""
    from mynah.safety.guard import FUN, policy_messages
    from mynah.train.grounded import facts_answer, sample_policy

    b = builder_for(store, sample_dir, tok, 512, "train", seed=3, embedder=embedder)
    voting = [c for c in (b.conversation("voting") for _ in range(12)) if c]
    fun = [c for c in (b.conversation("fun") for _ in range(6)) if c]
    assert len(voting) >= 10 and len(fun) >= 5
    dated = 0
    for c in voting:
        facts = c["messages"][0]
        assert facts["role"] == "system" and facts["content"].startswith("Official election information")
        answer = c["messages"][-1]["content"]
        days = re.findall(r"\d{4}-\d{2}-\d{2}", facts["content"])
        assert set(re.findall(r"\d{4}-\d{2}-\d{2}", answer)) == set(days)  # the facts, only them
        url = re.search(r"see (.+?)\. Answer questions", facts["content"])
        assert url and url.group(1) in answer  # where to look, always
        assert "[" not in answer  # no post is cited for a voting date
        dated += bool(days)
    assert dated >= 5
    for c in fun:
        assert c["messages"][0] == FUN
    # the same function builds both prompts in the server (serve/policy.py: PolicyRun.messages)
    import random

    p = sample_policy(random.Random(1), "de")
    user = [{"role": "user", "content": "Wann ist die Wahl?"}]
    assert policy_messages(p, user, None, "voting_info")[0]["content"].startswith("Official election")
    assert all(d.date.isoformat() in facts_answer(p, "de") for d in p.election.dates)


def test_the_held_out_set_shares_no_wording_or_absent_topic_with_training(store, sample_dir, tok, convs):
    b, rows = convs
    for kind in ("topic", "author", "follow"):
        for lang in ("en", "de", "es"):
            assert not set(WORDINGS["train"][kind][lang]) & set(WORDINGS["heldout"][kind][lang])
    assert not {t for row in ABSENT["train"] for t in row} & {t for row in ABSENT["heldout"] for t in row}
    held = eval_questions(builder_for(store, sample_dir, tok, 512, "heldout", seed=1), 60)
    trained_questions = {u for c in rows for u in _users(c)}
    assert not {q["question"] for q in held} & trained_questions
    assert {q["lang"] for q in held} == {"en", "de", "es"}
    assert any(q["expect_empty"] for q in held) and any("author" in q for q in held)
    assert all(set(q) >= {"question", "expect_empty"} and ("topic" in q or "author" in q) for q in held)


def test_an_author_question_retrieves_that_authors_posts_first(store, labels, embedder):
    author = max(
        {p["author"] for p in labels.values()},
        key=lambda a: sum(p["author"] == a and p["kind"] == "post" for p in labels.values()),
    )
    hits = retrieve(store, [{"role": "user", "content": f"What has @{author} been posting?"}], 5, embedder)
    assert hits and all(h.post.author == author for h in hits[:3])
    # a follow-up searches with the question before it too
    msgs = [
        {"role": "user", "content": "What are people saying about zeppelin rides?"},
        {"role": "assistant", "content": "..."},
        {"role": "user", "content": "and the critical ones?"},
    ]
    assert any("zeppelin" in h.post.text.lower() for h in retrieve(store, msgs, 5, None))


def test_quotable_spans_are_clean_verbatim_clauses():
    text = "PSA: the oat latte in Berlin is amazing #coffee ☕ https://example.com/x"
    span = quotable(text, "oat latte")
    assert span == "the oat latte in Berlin is amazing" and span in text
    assert quotable('he said "no" [3] ok') is None  # never across quote marks or brackets
    assert quotable("@ana ok") is None


def _grounded(store, texts: list[tuple[str, str]]) -> Grounded:
    from mynah.posts.search import Hit
    from mynah.posts.store import StoredPost

    hits = [Hit(StoredPost(f"x:{i}", str(i), "x", t, author=a), 1.0) for i, (a, t) in enumerate(texts)]
    return Grounded([], hits)


def test_eval_scores_fabricated_misattributed_and_honest_answers(store):
    g = _grounded(
        store, [("ana", "the ferry was late again this morning"), ("bo", "coffee in Lisbon is great")]
    )
    labels = {"0": {"topic": "transit"}, "1": {"topic": "coffee"}}
    q = {"question": "ferry?", "topic": "transit", "expect_empty": False}
    good = score(q, 'One post: "the ferry was late again" [1].', g, labels)
    made_up = score(q, 'One post: "the ferry sank with everyone" [1].', g, labels)
    wrong = score(q, 'One post: "the ferry was late again" [2].', g, labels)
    by_handle = score(q, 'One post: "the ferry was late again" @ana', g, labels)
    unmarked = score(q, 'One post: "the ferry was late again".', g, labels)
    assert good["quotes"][0] == {
        "span": "the ferry was late again",
        "marker": "[1]",
        "verbatim": True,
        "attributed": True,
    }
    assert not made_up["quotes"][0]["verbatim"]
    assert wrong["quotes"][0]["verbatim"] and not wrong["quotes"][0]["attributed"]
    assert by_handle["quotes"][0]["attributed"] and not unmarked["quotes"][0]["attributed"]
    empty_q = {"question": "skiing?", "topic": None, "expect_empty": True}
    honest = score(empty_q, "I found no posts about skiing.", g, labels)
    dishonest = score(empty_q, 'Posts about skiing: "coffee in Lisbon is great" [2].', g, labels)
    m = summarize([good, made_up, wrong, by_handle, unmarked, honest, dishonest])
    # [n] is what cites (the by-handle and unmarked answers cite nothing); [2] is off topic
    assert m["cites_any"] == 3 / 5 and m["cites_on_topic"] == 2 / 5
    assert m["citation_precision"] == pytest.approx(2 / 3, abs=1e-4)
    assert m["quote_fidelity"] == pytest.approx(5 / 6, abs=1e-4) and m["attribution"] == 3 / 6
    assert m["honesty"] == 1 / 2 and m["unmarked_quotes"] == 1


def test_quotes_in_reads_every_quote_pair_and_the_marker_after_it():
    text = '„Der Zug war spät“ [2], «el tren llegó tarde» @ana y “the train was late” then [1] "x y z"'
    assert quotes_in(text) == [
        ("Der Zug war spät", "[2]"),
        ("el tren llegó tarde", "@ana"),
        ("the train was late", "[1]"),
        ("x y z", None),
    ]
    # a quote the constraint verified is read the same way by analyze
    from mynah.processors.quotes import Source

    assert analyze('"the train was late" [1]', [Source(1, "ana", "the train was late today")])[0] == {1}


@pytest.mark.slow
def test_eval_grounding_cli_writes_table_json_and_chart(greedy_quoter, post_db, sample_dir, tmp_path):
    out = tmp_path / "eval"
    r = run_cli(
        "eval", "grounding", "--model", str(greedy_quoter), "--posts", str(post_db), "--sample", str(sample_dir),
        "--n", "12", "--out", str(out),
    )  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    assert "quote_fidelity" in r.stdout and "constraint on" in r.stdout
    report = json.loads((out / "grounding.json").read_text())
    on, off = report["results"]["constraint on"], report["results"]["constraint off"]
    assert on["questions"] == off["questions"] == 12
    # the model quotes eagerly: with the constraint every quote is verbatim and every
    # marker after it names a post that holds it
    assert on["quotes"] >= 3, on
    # (a quote the token limit cut off before its marker is the only unattributed kind)
    assert on["quote_fidelity"] == 1.0
    assert on["attribution"] == pytest.approx(1.0 - on["unmarked_quotes"] / on["quotes"], abs=1e-3)
    assert (out / "grounding.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    answers = [json.loads(line) for line in (out / "answers.jsonl").read_text().splitlines()]
    assert {a["constraint"] for a in answers} == {"constraint on", "constraint off"}
    # bad input: a questions file with a broken line names it
    bad = tmp_path / "q.jsonl"
    bad.write_text('{"question": "coffee?", "topic": "coffee"}\n{"question": 3}\n')
    r = run_cli("eval", "grounding", "--model", str(greedy_quoter), "--posts", str(post_db), "--sample", str(sample_dir),
                "--questions", str(bad), "--out", str(out))  # fmt: skip
    assert r.returncode == 2 and "q.jsonl:2" in r.stderr


def test_builder_conversations_fit_the_context(convs, tok):
    b, rows = convs
    assert isinstance(b, Builder)
    for conv in rows:
        ids, mask = tok.encode_chat(conv["messages"])
        assert len(ids) <= 512 + 1 and any(mask)


def test_the_block_marks_the_posts_that_have_the_questions_rare_words(store):
    from mynah.posts.ground import posts_block, rare_words

    q = "What are people saying today about zeppelin festivals?"
    words = dict(rare_words(store, q))
    assert "zeppelin" in words and words["zeppelin"] == ""  # as it is
    assert words.get("festivals") == "festiva"  # no post has the plural: its stem
    assert "today" not in words and "people" not in words  # common words never mark a post
    hits = retrieve(store, [{"role": "user", "content": q}], 5)
    assert len(hits) == 5  # nothing is dropped: unmarked posts stay in the block
    marked = [h for h in hits if h.matches]
    assert marked and all("zeppelin" in h.post.text.lower() for h in marked if "zeppelin" in h.matches)
    assert any(set(h.matches) == {"zeppelin", "festivals"} for h in marked)
    assert "(matches: zeppelin, festivals)" in posts_block(hits)
    # a named account's posts are marked as the account's
    author = hits[0].post.author
    by = retrieve(store, [{"role": "user", "content": f"What does @{author} post?"}], 5)
    assert by[0].post.author == author and f"@{author}" in by[0].matches


def test_acronyms_and_words_with_digits_mark_posts_but_other_short_words_do_not(tmp_path):
    import json

    from mynah.posts.ground import rare_words
    from mynah.posts.ingest import ingest_files
    from mynah.posts.store import SQLiteStore

    texts = ["the new AI model is out", "AI chips again", "5G towers near the station"]
    texts += [f"es ok am Abend, post {i}" for i in range(40)]
    f = tmp_path / "posts.jsonl"
    f.write_text(
        "".join(
            json.dumps(
                {"id": str(1000 + i), "text": t, "author_id": "7", "created_at": "2026-03-01T10:00:00Z"}
            )
            + "\n"
            for i, t in enumerate(texts)
        )
    )
    store = SQLiteStore(tmp_path / "posts.db")
    ingest_files(store, [f], progress=False)
    store.refresh_index()
    words = dict(rare_words(store, "Roundup of #5G and AI posts? AI, es ok am"))
    assert words.get("5g") == "" and words.get("ai") == ""
    assert not {"es", "ok", "am"} & set(words)  # two lowercase letters say nothing
    hits = retrieve(store, [{"role": "user", "content": "What do people say about AI?"}], 5)
    assert {h.post.text for h in hits if h.matches} == {"the new AI model is out", "AI chips again"}


def test_no_language_says_no_posts_more_often_than_the_others(convs):
    # a language whose answers are mostly "no posts" teaches a small model to answer by the
    # question's language instead of by the block's marks
    _, rows = convs
    starts = {lang: tuple(t.split("{")[0] for ts in by.values() for t in ts) for lang, by in ANSWERS.items()}
    made = {lang: [0, 0] for lang in ANSWERS}
    for c in rows:
        a = c["messages"][-1]["content"]
        lang = max(
            starts, key=lambda lang: max((len(p) for p in starts[lang] if a.startswith(p)), default=-1)
        )
        made[lang][0] += 1
        made[lang][1] += NO_POSTS.search(a) is not None
    for n, none in made.values():
        assert n >= 15, made
        assert 0.15 <= none / n <= NONE_SHARE + 0.02, made
