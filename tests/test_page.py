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
