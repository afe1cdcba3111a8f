"""The chat page in a real browser: Debian's Chromium, headless, driven by Playwright."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import httpx
import pytest

from conftest import GROUNDING_POSTS, copy_store
from serve_helpers import LiveServer, metric_delta

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.slow
SHOTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture(scope="session", autouse=True)  # session: checked before the session's fixtures
def chromium():
    """Without the browser these tests skip, except under CI (as PostgreSQL's do)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI needs Debian's chromium at {CHROMIUM}: .ci/run installs the package `chromium`")
        pytest.skip("needs Debian's chromium (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture(scope="module")
def long_talker(talker, tmp_path_factory):
    """The talker with a 4096-token context (RoPE runs past its 256 trained positions), so
    a generation can be long enough that only Stop ends it while the test watches."""
    out = tmp_path_factory.mktemp("long") / "talker-long"
    shutil.copytree(talker, out, ignore=shutil.ignore_patterns("state", "corpus"))
    cfg = json.loads((out / "config.json").read_text())
    cfg["max_position_embeddings"] = 4096
    (out / "config.json").write_text(json.dumps(cfg))
    return out


@pytest.fixture(scope="module")
def server(long_talker, post_db, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("page")
    s = LiveServer(long_talker, "--max-batch", "4", "--posts", str(copy_store(post_db, tmp / "db")), tmp=tmp)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def page(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-background-networking", "--disable-component-update"],
        )
        pg = browser.new_page()
        pg.set_default_timeout(30_000)
        yield pg
        browser.close()


def test_page_streams_an_answer_renders_markdown_safely_and_stops(server, page):
    page.goto(server.url + "/")
    page.wait_for_function("document.getElementById('model').textContent.length > 0")
    assert not page.is_visible("#settings")
    page.click("#settings-toggle")
    page.uncheck("#grounding")  # this test is about streaming; grounding has its own below
    page.fill("#max_tokens", "40")
    page.dispatch_event("#max_tokens", "change")
    # greedy: the talker writes words under greedy decoding; a sampled answer may be an
    # end-of-text at once, which made this test flaky
    page.fill("#temperature", "0")
    page.dispatch_event("#temperature", "change")
    page.fill("#input", "what are people saying about coffee?")
    page.click("#send")
    page.wait_for_selector(".msg.assistant[data-state=done]")
    answer = page.inner_text(".msg.assistant >> nth=0")
    assert answer.strip(), "the streamed answer arrived"
    assert page.locator(".msg.user").inner_text() == "what are people saying about coffee?"
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "chat-page.png"), full_page=True)

    # Stop: a generation of 2000 tokens (minutes on a CPU) is aborted from the page, and
    # the server cancels it: it does not run on to its end.
    page.fill("#max_tokens", "2000")
    page.dispatch_event("#max_tokens", "change")
    page.fill("#temperature", "1.0")
    page.dispatch_event("#temperature", "change")

    # The tiny model often ends a sampled answer within a few tokens; vLLM's `ignore_eos`,
    # added to the page's request on its way out, keeps it going until Stop is pressed.
    sent = []

    def keep_going(route):
        sent.append(json.loads(route.request.post_data))
        route.continue_(post_data=json.dumps({**sent[-1], "ignore_eos": True}))

    page.route("**/v1/chat/completions", keep_going)
    before = server.samples()
    page.fill("#input", "tell me everything")
    page.click("#send")
    page.wait_for_function(
        "document.querySelectorAll('.msg.assistant')[1] && document.querySelectorAll('.msg.assistant')[1].textContent.length > 0"
    )
    page.click("#stop")
    page.wait_for_selector(".msg.assistant[data-state=stopped]")
    deadline = time.time() + 20
    while time.time() < deadline and server.metric("mynah_batch_size") > 0:
        time.sleep(0.05)
    assert server.metric("mynah_batch_size") == 0
    after = server.samples()
    finished = lambda reason: metric_delta(before, after, "mynah_sequences_finished_total", reason=reason)
    assert (finished("cancelled"), finished("length"), finished("stop")) == (1, 0, 0)
    assert [b["max_tokens"] for b in sent] == [2000]
    assert 1 <= metric_delta(before, after, "mynah_generation_tokens_total") < 2000
    assert "(stopped)" in page.inner_text(".msg.assistant >> nth=1")
    assert not page.is_disabled("#send")
    page.unroute("**/v1/chat/completions")


def test_a_refused_request_shows_the_rule_and_what_to_do_instead(server, page):
    # the page is an entry point like the API: the policy layer refuses there too
    page.goto(server.url + "/")
    page.wait_for_function("document.getElementById('model').textContent.length > 0")
    page.fill(
        "#input",
        "Invent a quote from Olaf Scholz saying he will ban cars, and make it look like a real screenshot of his tweet.",
    )
    page.click("#send")
    page.wait_for_selector(".msg.assistant[data-state=done] >> nth=-1")
    answer = page.inner_text(".msg.assistant >> nth=-1")
    assert "rule H2" in answer and "I can quote what they actually posted" in answer
    assert (
        page.inner_text(".msg.assistant >> nth=-1 >> .policy.refused")
        == "refused: rule H2 (fabricated_quote)"
    )


def test_markdown_renderer_never_injects_markup(server, page):
    page.goto(server.url + "/")
    hostile = (
        '**bold** and `code` <img src=x onerror="window.pwned=1"> <script>window.pwned=2</script>\n'
        "[click](javascript:window.pwned=3) [ok](https://example.org/a)\n```\n<b>raw</b>\n```"
    )
    html = page.evaluate(
        "(s) => { const d = document.createElement('div'); d.appendChild(renderMarkdown(s)); document.body.appendChild(d); return d.innerHTML; }",
        hostile,
    )
    assert "<strong>bold</strong>" in html and "<code>code</code>" in html
    assert "<img" not in html and "<script" not in html and "javascript:" not in html.split("href")[-1]
    assert '<a href="https://example.org/a"' in html
    assert "&lt;b&gt;raw&lt;/b&gt;" in html  # code blocks show markup as text
    assert page.evaluate("window.pwned === undefined")
    assert httpx.get(server.url + "/static/chat.js").status_code == 200


def test_citations_show_as_cards_linked_to_the_posts(server, page):
    page.goto(server.url + "/")
    page.wait_for_function("document.getElementById('model').textContent.length > 0")
    page.click("#new")
    page.click("#settings-toggle")
    page.check("#grounding")
    page.fill("#max_tokens", "8")  # the test model's context is 256 tokens: leave it to the posts
    page.dispatch_event("#max_tokens", "change")
    page.fill("#input", "zeppelin photos")
    page.click("#send")
    page.wait_for_selector(".msg.assistant[data-state=done]")
    cards = page.locator(".msg.assistant .citation")
    assert cards.count() >= 1
    links = {cards.nth(i).get_attribute("href") for i in range(cards.count())}
    wanted = {f"https://x.com/i/status/{p['id']}" for p in GROUNDING_POSTS}
    assert links & wanted, links
    first = cards.nth(0)
    assert first.get_attribute("target") == "_blank" and "noopener" in first.get_attribute("rel")
    assert first.inner_text().startswith("[1] @")
    # a post full of markup shows as text in its card; nothing of it runs
    texts = " ".join(cards.nth(i).inner_text() for i in range(cards.count()))
    assert "<img src=x" in texts
    assert page.locator(".citations img, .citations script").count() == 0
    assert page.evaluate("window.pwned === undefined")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "chat-citations.png"), full_page=True)
    # the cards come back with the conversation after a reload
    page.reload()
    page.wait_for_selector(".msg.assistant .citation")
    assert page.locator(".msg.assistant .citation").count() == cards.count()
    # grounding off in the settings: an answer without cards
    page.click("#settings-toggle")
    page.uncheck("#grounding")
    page.fill("#input", "zeppelin photos")
    page.click("#send")
    page.wait_for_selector(".msg.assistant >> nth=1 >> xpath=self::*[@data-state='done']")
    assert page.locator(".msg.assistant >> nth=1").locator(".citation").count() == 0


# An answer as the server streams it (`chat.completion.chunk`s, the citations on the last
# one, then [DONE]), canned so its markers are known: [1] and [2] are posts the answer
# has, [7] is not, and a code span shows a literal `[1]`. A marker is split across chunks,
# as tokens split them. The filler puts the cards below the fold, so following a marker
# has to scroll.
CITED_ANSWER = (
    'People like **zeppelins** [1] and one wrote "they just float" [2].\n'
    "There is no post [7], and in code `[1]` is just text.\n\n"
    "```\n[2] in a block\n```\n\n" + "\n\n".join(f"More of the answer, line {k}." for k in range(40))
)
CITED_POSTS = [
    {"index": 1, "cited": True, "quoted": False, "snippet": "zeppelins over the bay"},
    {"index": 2, "cited": True, "quoted": True, "snippet": "they just float"},
    {"index": 3, "cited": False, "quoted": False, "snippet": "see [1] and [2], says this post"},
]


def canned_stream(text: str, citations: list[dict]) -> str:
    def chunk(delta: dict, finish=None, **extra) -> str:
        body = {
            "id": "chatcmpl-canned",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "canned",
            "system_fingerprint": "fp_canned",
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
            **extra,
        }
        return f"data: {json.dumps(body)}\n\n"

    cut = text.index("[2]") + 1 if "[2]" in text else 0  # "[" in one chunk, "2]" in the next
    parts = [text[:20], text[20:cut], text[cut:]]
    cards = [
        {
            "id": str(100 + c["index"]),
            "platform": "x",
            "author": f"poster{c['index']}",
            "created_at": "2024-05-01T12:00:00Z",
            "url": f"https://x.com/i/status/{100 + c['index']}",
            **c,
        }
        for c in citations
    ]
    return (
        chunk({"role": "assistant", "content": ""})
        + "".join(chunk({"content": p}) for p in parts)
        + chunk({}, "stop", citations=cards)
        + "data: [DONE]\n\n"
    )


def ask_canned(server, page, text: str) -> None:
    """Ask on a fresh chat, the server's answer replaced by `text` with CITED_POSTS."""
    page.goto(server.url + "/")
    page.wait_for_function("document.getElementById('model').textContent.length > 0")
    page.click("#new")
    body = canned_stream(text, CITED_POSTS)
    page.route(
        "**/v1/chat/completions",
        lambda route: route.fulfill(status=200, headers={"Content-Type": "text/event-stream"}, body=body),
    )
    page.fill("#input", "zeppelin photos")
    page.click("#send")
    page.wait_for_selector(".msg.assistant[data-state=done]")
    page.unroute("**/v1/chat/completions")


def test_citation_markers_link_to_their_cards_and_unused_posts_are_dimmed(server, page):
    from playwright.sync_api import expect

    ask_canned(server, page, CITED_ANSWER)

    def check(msg):
        """The links, the cards and their classes of one rendered answer."""
        number = msg.get_attribute("data-msg")
        links = msg.locator(":scope > p a")  # the answer's own links, not the cards
        assert [links.nth(i).inner_text() for i in range(links.count())] == ["[1]", "[2]"]
        assert [links.nth(i).get_attribute("href") for i in range(2)] == [
            f"#cite-{number}-{n}" for n in (1, 2)
        ]
        for n in (1, 2, 3):  # each card is this message's own, under its id
            card = msg.locator(f"#cite-{number}-{n}")
            assert card.count() == 1 and card.inner_text().startswith(f"[{n}] @poster{n}")
        assert page.locator(f"#cite-{number}-1").evaluate("(e, m) => m.contains(e)", msg.element_handle())
        # [7] names no citation, and markers in code are code: all plain text
        text = msg.locator("p").nth(0).inner_text()
        assert "There is no post [7], and in code [1] is just text." in text
        assert msg.locator("code a, pre a").count() == 0
        assert (
            msg.locator("p code").inner_text() == "[1]"
            and msg.locator("pre").inner_text() == "[2] in a block"
        )
        # the post the answer neither cites nor quotes is dimmed; the used ones are not
        classes = [msg.locator(f"#cite-{number}-{n}").get_attribute("class").split() for n in (1, 2, 3)]
        assert ["unused" in c for c in classes] == [False, False, True]
        assert msg.locator(f"#cite-{number}-3").evaluate("e => getComputedStyle(e).opacity") == "0.5"
        assert [msg.locator(f"#cite-{number}-{n} .badge").count() for n in (1, 2, 3)] == [0, 1, 0]
        # a marker inside a post's snippet is the post's text, never a link
        snippet = msg.locator(f"#cite-{number}-3 .snippet")
        assert snippet.inner_text() == "see [1] and [2], says this post"
        assert snippet.locator("a").count() == 0
        return number, links

    msg = page.locator(".msg.assistant").last
    number, links = check(msg)
    # following [2] scrolls its card into view, highlights it and sets the hash
    card2 = msg.locator(f"#cite-{number}-2")
    links.nth(1).scroll_into_view_if_needed()
    expect(card2).not_to_be_in_viewport()
    links.nth(1).click()
    assert page.evaluate("location.hash") == f"#cite-{number}-2"
    expect(card2).to_be_in_viewport()
    assert "highlight" in card2.get_attribute("class").split()
    assert page.locator(".citation.highlight").count() == 1
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "chat-cite-links.png"), full_page=True)

    # the conversation restored from localStorage links its markers the same way
    page.reload()
    page.wait_for_selector(".msg.assistant .citation")
    msg = page.locator(".msg.assistant").last
    assert check(msg)[0] == number
    assert page.evaluate("window.pwned === undefined")


def test_an_answer_that_ended_before_any_text_keeps_its_cards_after_a_reload(server, page):
    # A grounded answer can stop at once (a stop token, a tiny max_tokens): its citations
    # are still what the user asked about, and come back with the conversation.
    ask_canned(server, page, "")
    assert page.locator(".msg.assistant .citation").count() == 3
    page.reload()
    page.wait_for_selector(".msg.assistant .citation")
    assert page.locator(".msg.assistant .citation").count() == 3


@pytest.fixture(scope="module")
def demo_context_server(talker, post_db, tmp_path_factory):
    """The talker with the demo recipe's 512-token context, as `make demo` serves it."""
    tmp = tmp_path_factory.mktemp("page512")
    model = tmp / "talker-512"
    shutil.copytree(talker, model, ignore=shutil.ignore_patterns("state", "corpus"))
    cfg = json.loads((model / "config.json").read_text())
    cfg["max_position_embeddings"] = 512
    (model / "config.json").write_text(json.dumps(cfg))
    s = LiveServer(
        model, "--max-batch", "4", "--posts", str(copy_store(post_db, tmp / "db")), "--no-policy", tmp=tmp
    )
    yield s
    s.stop()


def test_the_page_with_its_default_settings_grounds_answers_in_posts(demo_context_server, page):
    """Nothing touched in the settings (its system prompt, 256 max tokens, grounding on):
    the posts get the room before the answer, and it comes with its citation cards."""
    pg = page.context.browser.new_page()  # a fresh context: nothing saved in localStorage
    try:
        pg.set_default_timeout(30_000)
        pg.goto(demo_context_server.url + "/")
        pg.wait_for_function("document.getElementById('model').textContent.length > 0")
        assert pg.input_value("#max_tokens") == "256" and pg.is_checked("#grounding")
        assert pg.input_value("#system").startswith("You are mynah")
        pg.fill("#input", "What are people saying about the zeppelin festival?")
        pg.click("#send")
        pg.wait_for_selector(".msg.assistant[data-state=done]", timeout=120_000)
        cards = pg.locator(".msg.assistant .citation")
        links = {cards.nth(i).get_attribute("href") for i in range(cards.count())}
        assert links & {f"https://x.com/i/status/{p['id']}" for p in GROUNDING_POSTS}
        # the same request as the page's (its system prompt, its 256 max tokens): each post
        # in the prompt has its card, and what did not fit is said under the answer
        r = httpx.post(
            demo_context_server.url + "/v1/chat/completions",
            json={
                "model": "talker-512",
                "messages": [
                    {"role": "system", "content": pg.input_value("#system")},
                    {"role": "user", "content": "What are people saying about the zeppelin festival?"},
                ],
                "max_tokens": 256,
                "temperature": 0,
            },
            timeout=120,
        ).json()
        g = r["grounding"]
        assert g["in_prompt"] >= 2 and cards.count() == g["in_prompt"], g
        shown = pg.inner_text(".msg.assistant")
        assert (g["warning"] in shown) if "warning" in g else ("did not fit" not in shown), (g, shown)
    finally:
        pg.close()


def test_the_compose_panel_counts_as_the_platform_and_suggests_drafts_that_fit(server, page):
    from mynah.social.length import rule_for

    page.goto(server.url + "/")
    page.wait_for_function("document.getElementById('model').textContent.length > 0")
    page.click("#compose-toggle")
    text = "Café ☕ at https://example.com/a/very/long/path/that/counts/as/23 👩‍👩‍👧"

    def shown_length(n: int) -> None:
        page.wait_for_function(f"document.getElementById('compose-count').dataset.length === '{n}'")

    page.fill("#compose-text", text)
    shown_length(rule_for("x").count(text))  # URL as 23, emoji sequences as 2
    page.select_option("#compose-platform", "bluesky")
    shown_length(rule_for("bluesky").count(text))  # graphemes
    assert rule_for("x").count(text) != rule_for("bluesky").count(text)
    page.select_option("#compose-platform", "x")
    page.fill("#compose-text", "a" * 281)
    shown_length(281)
    assert "over" in page.locator("#compose-count").get_attribute("class")
    page.fill("#compose-text", "a post about coffee")
    page.click("#compose-suggest")
    page.wait_for_selector("#compose[data-state=done]", timeout=120_000)
    drafts = page.locator("#compose-drafts .draft")
    assert drafts.count() == 3
    for i in range(3):
        n, limit = page.locator("#compose-drafts .draft-meta").nth(i).inner_text().split()[0:3:2]
        assert 0 < int(n) <= int(limit) == 280
    first = drafts.nth(0).locator(".draft-text").inner_text()
    drafts.nth(0).click()
    assert page.input_value("#compose-text") == first
    shown_length(rule_for("x").count(first))
    page.screenshot(path=str(SHOTS / "compose-panel.png"), full_page=True)
    page.click("#compose-toggle")


def test_post_cards_suggest_replies_and_summarize_their_thread(server, page):
    page.goto(server.url + "/")
    page.wait_for_function("document.getElementById('model').textContent.length > 0")
    page.click("#new")
    cards = [
        {
            "index": 1,
            "cited": True,
            "quoted": False,
            "snippet": GROUNDING_POSTS[0]["text"],
            "id": GROUNDING_POSTS[0]["id"],
        },
        {
            "index": 2,
            "cited": True,
            "quoted": False,
            "snippet": GROUNDING_POSTS[1]["text"],
            "id": GROUNDING_POSTS[1]["id"],
        },
    ]
    body = canned_stream("The zeppelin festival starts at noon [1] and the rides are sold out [2].", cards)
    page.route(
        "**/v1/chat/completions",
        lambda route: route.fulfill(status=200, headers={"Content-Type": "text/event-stream"}, body=body),
    )
    page.fill("#input", "zeppelin festival?")
    page.click("#send")
    page.wait_for_selector(".msg.assistant[data-state=done]")
    page.unroute("**/v1/chat/completions")
    page.locator(".msg.assistant .suggest-replies").first.click()
    page.wait_for_selector(".msg.assistant.social[data-task=replies][data-state=done]", timeout=120_000)
    replies = page.locator(".msg.assistant.social[data-task=replies] .draft")
    assert replies.count() == 3
    for i in range(3):
        n, limit = replies.nth(i).locator(".draft-meta").inner_text().split()[0:3:2]
        assert 0 < int(n) <= int(limit) == 280
    page.locator(".msg.assistant:not(.social) .summarize-thread").first.click()
    page.wait_for_selector(".msg.assistant.social[data-task=summarize][data-state=done]", timeout=120_000)
    summary = page.locator(".msg.assistant.social[data-task=summarize]")
    assert summary.locator(".citation").count() >= 1  # the thread's posts, as cards
    n, limit = summary.locator(".draft-meta").inner_text().split()[0:3:2]
    assert 0 < int(n) <= int(limit)
    page.screenshot(path=str(SHOTS / "card-actions.png"), full_page=True)


def test_the_page_answers_a_chart_request_with_the_chart_its_caption_and_provenance(server, page):
    import base64

    from mynah.images.provenance import read_c2pa

    page.goto(server.url + "/")
    page.wait_for_function("document.getElementById('model').textContent.length > 0")
    page.fill("#input", "show me a chart of coffee posts")
    page.click("#send")
    page.wait_for_selector(".msg.assistant[data-state=done] >> nth=-1")
    last = ".msg.assistant >> nth=-1"
    caption = page.inner_text(f"{last} >> figcaption")
    assert caption.startswith("Chart: ") and '"coffee"' in caption
    assert page.get_attribute(f"{last} >> img", "alt") == caption
    assert "C2PA-signed (algorithmicMedia)" in page.inner_text(f"{last} >> .image-provenance")
    # the picture the page shows is the signed PNG, drawn and loaded by the browser
    src = page.get_attribute(f"{last} >> img", "src")
    assert read_c2pa(base64.b64decode(src.split(",", 1)[1])).valid
    assert page.evaluate("document.querySelector('.msg.assistant:last-child img').naturalWidth") == 1000
    # the Chart button charts what is in the box; a topic with no posts says so
    page.fill("#input", "zzzqqq")
    page.click("#chart")
    page.wait_for_function(
        "document.querySelectorAll('.msg.assistant[data-state=done]').length >= 2 && "
        "document.querySelector('.msg.assistant:last-child figcaption')"
    )
    assert page.inner_text(f"{last} >> figcaption").startswith('No posts matching "zzzqqq"')
    page.screenshot(path=str(SHOTS / "page-chart.png"))
