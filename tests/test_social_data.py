"""The writing tools' chat-tuning data (train/social.py): built by the endpoints' own prompt
code, in three languages and on three platforms, each answer within its platform's rule,
and summaries and explanations quoting their block verbatim under numbers that exist."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from mynah.posts.ground import GROUND_SYSTEM
from mynah.posts.store import SQLiteStore
from mynah.processors.quotes import OUT, QuoteMachine, Source, State, analyze
from mynah.social import tools
from mynah.social.length import rule_for
from mynah.tokenizer import Tokenizer
from mynah.train.grounded import load_labels
from mynah.train.social import SocialBuilder, social_conversations

_LINE = re.compile(
    r"^(Write one post|Write one reply|Summarize|Explain) for (X|Bluesky|Mastodon), at most (\d+) "
)
_POST = re.compile(r'^\[(\d+)\] (@[^,\s]+|unknown author), .*?, \w+: "(.*)"', re.MULTILINE)


@pytest.fixture(scope="module")
def convs(post_db, sample_dir, trained, embedder):
    store = SQLiteStore(post_db)
    tok = Tokenizer.load(trained)
    enc = lambda m: tok.encode_chat(m, add_generation_prompt=True)[0]  # noqa: E731
    b = SocialBuilder(store, load_labels(sample_dir), enc, 512, seed=0, embedder=embedder)
    out = social_conversations(b, 120, progress=False)
    yield b, out, enc
    store.close()


def _task(conv) -> str:
    return {
        "Write one post": "compose",
        "Write one reply": "replies",
        "Summarize": "summarize",
        "Explain": "explain",
    }[_LINE.match(conv["messages"][0]["content"]).group(1)]


def test_prompts_are_the_endpoints_own(convs):
    b, out, enc = convs
    assert len(out) == 120
    tasks = Counter(_task(c) for c in out)
    assert set(tasks) == {"compose", "replies", "summarize", "explain"}
    for c in out:
        msgs = c["messages"]
        task = _task(c)
        m = _LINE.match(msgs[0]["content"])
        platform = {"X": "x", "Bluesky": "bluesky", "Mastodon": "mastodon"}[m.group(2)]
        rule = rule_for(platform)
        # the system line is social/tools.limit_line's, as the server writes it
        assert msgs[0]["content"].startswith(tools.limit_line(task, rule).rstrip("."))
        block = next((x["content"] for x in msgs if "<posts>" in x["content"]), None)
        if task in ("summarize", "explain", "replies"):
            assert block is not None
        if block is not None:
            head = tools.HEADERS.get(task, GROUND_SYSTEM)
            assert block.startswith(head + "\n<posts>\n")
        answer = msgs[-1]["content"]
        assert msgs[-1]["role"] == "assistant" and answer.strip()
        assert rule.fits(answer), (platform, answer)
        assert len(enc(msgs[:-1])) + len(enc([msgs[-1]])) <= 512 + 8
        if task == "compose":
            assert "#" not in answer and "http" not in answer  # the server adds the store's hashtags
        if task == "replies":
            assert not answer.startswith("@")


def test_summaries_and_explanations_quote_their_block_verbatim(convs):
    _, out, _ = convs
    checked = 0
    for c in out:
        if _task(c) not in ("summarize", "explain"):
            continue
        block = next(x["content"] for x in c["messages"] if "<posts>" in x["content"])
        sources = [
            Source(int(n), None if who == "unknown author" else who[1:], text)
            for n, who, text in _POST.findall(block)
        ]
        answer = c["messages"][-1]["content"]
        # by the quote constraint's own rules, strictly: every quote verbatim and marked
        # with a number of a post that has it, every number one of the block's
        st = QuoteMachine(sources).feed(State(), answer.encode())
        assert st is not None and st.due is None and st.mode == OUT, (answer, block)
        quoted, cited = analyze(answer, sources)
        assert quoted and cited <= {s.number for s in sources}
        checked += 1
    assert checked >= 10


def test_three_languages(convs):
    _, out, _ = convs
    users = " ".join(c["messages"][-2]["content"] for c in out)
    assert "Write a post" in users or "Post something" in users or "Tweet about" in users
    assert re.search(r"Schreib|Entwirf|Fasse|Worum|Schlag", users)
    assert re.search(r"Escribe|Redacta|Resume|De qué|Sugiere", users)


def test_support_conversations_are_the_dm_agents_prompt_over_its_own_search(
    post_db, sample_dir, trained, tmp_path
):
    """The DM agent's task is trained on what the agent sends /v1/social/support: the
    customer's message under social/tools.support_messages, the sections its knowledge-base
    search finds (support_documents) as the block, and an answer that quotes the best of
    them verbatim under its number."""
    from mynah.posts.search import Hit
    from mynah.social.agents import support_documents
    from mynah.train.grounded import _support_material

    store = SQLiteStore(post_db)
    tok = Tokenizer.load(trained)
    enc = lambda m: tok.encode_chat(m, add_generation_prompt=True)[0]  # noqa: E731
    kb, dms = _support_material(sample_dir, tmp_path / "sft.jsonl")
    b = SocialBuilder(store, load_labels(sample_dir), enc, 512, seed=1, kb=kb, dms=dms)
    got = [c for c in (b.conversation("support") for _ in range(30)) if c]
    assert len(got) >= 20
    by_text = {m["text"]: m for m in b.dms}
    for c in got:
        msgs = c["messages"]
        customer = msgs[-2]["content"]
        dm = by_text[customer]
        rule = rule_for(
            {"X": "x", "Bluesky": "bluesky", "Mastodon": "mastodon"}[
                msgs[0]["content"].split(" for ")[1].split(",")[0]
            ]
        )
        found = kb.search(customer, k=3, doc=dm["recipient"])
        docs = support_documents(found.hits)
        block = next(x["content"] for x in msgs if "<posts>" in x["content"])
        want = tools.with_posts(
            tools.support_messages([{"role": "user", "content": customer}], rule),
            [Hit(tools.section_post(d), 0.0) for d in docs],
            400,
            "support",
        )
        assert (
            block in [x["content"] for x in want] or block.split("\n")[0] == want[1]["content"].split("\n")[0]
        )
        assert all(
            f"@{dm['recipient']}," in line for line in block.splitlines()[2:-1] if line.startswith("[")
        )
        answer = msgs[-1]["content"]
        sources = [Source(int(n), a, t) for n, a, t in _POST.findall(block)]
        assert 1 in analyze(answer, sources)[0]  # a verbatim quote of section [1], marked
        assert rule.fits(answer)
    kb.close()
    store.close()
