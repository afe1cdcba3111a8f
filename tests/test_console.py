"""The operator console end to end: a fake X delivers signed DMs to `mynah serve
--platform-config`, the DM agent hands them to a person (no knowledge base), and an
operator in headless Chromium sees the conversation, answers it as a person (the fake X
receives that DM) and releases it to the bot. Customer text is shown as text, never run."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx
import pytest

from serve_helpers import LiveServer

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.slow
SHOTS = Path(__file__).resolve().parent.parent / "test-artifacts"
STATIC = Path(__file__).resolve().parent.parent / "src/mynah/serve/static"
BROWSER_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update"]

ACCOUNT = "1000"
CUSTOMER = "2001"
HANDLE = "carol_c"
OPERATOR_KEY = "op-key-7f3a9c"
ASK = "I want to talk to a human, my card was charged twice"
XSS = 'my card <img src=x onerror="window.pwned=1"> <script>window.pwned=2</script>'
REPLY = "Hi Carol, this is Sam from NovaBank: I have refunded the second charge."


@pytest.fixture(scope="module", autouse=True)
def chromium():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI needs Debian's chromium at {CHROMIUM}: .ci/run installs the package `chromium`")
        pytest.skip("needs Debian's chromium (apt-get install chromium)")
    return CHROMIUM


def wait_for(what: str, check, timeout: float = 20.0, every: float = 0.1):
    """`check()`'s first truthy value within `timeout` seconds, else the test fails."""
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(every)


@pytest.fixture
def deployment(talker, tmp_path):
    """(the fake X's FakeX, the live server) wired together by a platform.toml."""
    from mynah.social.fakes import serve_in_thread
    from mynah.social.fakes.x import create_app

    creds = {
        "consumer_key": "ck-test",
        "consumer_secret": "cs-test",
        "access_token": "at-test",
        "access_token_secret": "ats-test",
    }
    app = create_app(
        creds["consumer_key"],
        creds["consumer_secret"],
        account_id=ACCOUNT,
        access_token=creds["access_token"],
        access_token_secret=creds["access_token_secret"],  # the fake checks every OAuth signature
    )
    fake_x = serve_in_thread(app)
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    for name, value in {**creds, "operator_key": OPERATOR_KEY}.items():
        (secrets / name).write_text(value + "\n")
    toml = tmp_path / "platform.toml"
    toml.write_text(
        "[x]\n"
        f'account_id = "{ACCOUNT}"\n'
        + "".join(f'{n}_file = "secrets/{n}"\n' for n in creds)
        + f'api_base = "{fake_x.url}"\n'
        "\n[agent]\n"
        'operator_key_file = "secrets/operator_key"\n'
        "handoff_after_turns = 2\n"
    )
    server = None
    try:
        server = LiveServer(talker, "--platform-config", str(toml), "--no-policy", tmp=tmp_path)
        app.state.fake.webhook_url = server.url + "/webhooks/x"
        yield app.state.fake, server
    finally:
        if server is not None:
            server.stop()
        fake_x.stop()


def dms_to(fake, participant: str) -> list[str]:
    with fake.lock:
        return [s["text"] for s in fake.sent if s["kind"] == "dm" and s["participant_id"] == participant]


def test_console_hands_over_answers_as_a_person_and_releases(deployment):
    from playwright.sync_api import expect, sync_playwright

    fake, server = deployment
    api = server.url + "/console/api/conversations"
    auth = {"Authorization": f"Bearer {OPERATOR_KEY}"}

    # the customer asks for a person: the agent hands the conversation over and says so
    assert fake.deliver_dm(CUSTOMER, HANDLE, ASK)["status"] == 200
    handoff = wait_for("the handoff DM", lambda: dms_to(fake, CUSTOMER))[0]
    assert "person" in handoff
    # markup from the customer, while a person holds the conversation: stored, no bot reply
    assert fake.deliver_dm(CUSTOMER, HANDLE, XSS)["status"] == 200

    def both_stored():
        r = httpx.get(f"{api}/x/{CUSTOMER}", headers=auth, timeout=5)
        return r.status_code == 200 and any(m["text"] == XSS for m in r.json()["transcript"]) and r.json()

    conv = wait_for("the second DM in the transcript", both_stored)
    assert conv["status"] == "human" and conv["reason"] == "the customer asked for a person"
    assert [m["role"] for m in conv["transcript"]] == ["customer", "bot", "customer"]
    assert httpx.get(api, timeout=5).status_code == 401  # the API itself is behind the key

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(15_000)
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("dialog", lambda d: (errors.append("dialog: " + d.message), d.dismiss()))

            # a wrong key: a clear error, nothing listed
            page.goto(server.url + "/console")
            page.fill("#key", "not-the-key")
            page.click("#key-use")
            expect(page.locator("#error")).to_contain_text("wrong operator key", ignore_case=True)
            expect(page.locator("#conversations .conv")).to_have_count(0)

            # the right key: the conversation, waiting for a human, with its reason
            page.fill("#key", OPERATOR_KEY)
            page.click("#key-use")
            item = page.locator(f'#conversations .conv[data-conversation="{CUSTOMER}"]')
            expect(item).to_have_count(1)
            expect(page.locator("#error")).to_be_hidden()
            expect(item.locator(".badge")).to_have_text("waiting for a human")
            expect(item.locator(".reason")).to_have_text("the customer asked for a person")
            expect(item.locator(".customer")).to_have_text("@" + HANDLE)
            expect(item.locator(".last")).to_have_text("customer: " + XSS)  # markup shown as text
            assert page.evaluate("sessionStorage.getItem('mynah.operatorKey')") == OPERATOR_KEY

            # the filter asks the server for one status
            page.select_option("#filter", "bot")
            expect(page.locator("#empty")).to_be_visible()
            expect(item).to_have_count(0)
            page.select_option("#filter", "human")
            expect(item).to_have_count(1)

            # the transcript: customer and bot told apart, the markup as text
            item.click()
            expect(page.locator("#detail-status")).to_have_text("waiting for a human")
            expect(page.locator("#detail-reason")).to_contain_text("the customer asked for a person")
            msgs = page.locator("#transcript .msg")
            expect(msgs).to_have_count(3)
            expect(msgs.nth(0)).to_have_class("msg customer")
            expect(msgs.nth(0).locator(".text")).to_have_text(ASK)
            expect(msgs.nth(1)).to_have_class("msg bot")
            expect(msgs.nth(1).locator(".text")).to_have_text(handoff)
            expect(msgs.nth(2).locator(".text")).to_have_text(XSS)
            assert page.locator("#transcript img, #conversations img, script:not([src])").count() == 0
            expect(page.get_by_role("button", name="Take over")).to_be_disabled()

            # a person answers: the fake X receives exactly that DM, to that customer
            page.get_by_label("Reply as a person").fill(REPLY)
            page.click("#send")
            expect(page.locator("#action-note")).to_contain_text("Queued")
            wait_for("the operator's DM at the fake X", lambda: REPLY in dms_to(fake, CUSTOMER))
            assert dms_to(fake, CUSTOMER) == [handoff, REPLY]  # sent once, not watermarked or rewritten
            expect(msgs).to_have_count(4)
            expect(msgs.nth(3)).to_have_class("msg human")
            expect(msgs.nth(3).locator(".text")).to_have_text(REPLY)
            expect(page.locator("#reply")).to_have_value("")
            SHOTS.mkdir(exist_ok=True)
            page.screenshot(path=str(SHOTS / "console.png"), full_page=True)

            # released: the page and the API say bot
            page.get_by_role("button", name="Release to bot").click()
            expect(page.locator("#detail-status")).to_have_text("bot")
            expect(page.get_by_role("button", name="Release to bot")).to_be_disabled()
            page.select_option("#filter", "")
            expect(item.locator(".badge")).to_have_text("bot")
            r = httpx.get(f"{api}/x/{CUSTOMER}", headers=auth, timeout=5).json()
            assert r["status"] == "bot" and r["reason"] is None

            assert page.evaluate("typeof window.pwned") == "undefined"
            assert errors == []

            # a wrong key after a right one: the error, and the list and transcript emptied
            page.fill("#key", OPERATOR_KEY + "x")
            page.click("#key-use")
            expect(page.locator("#error")).to_contain_text("wrong operator key", ignore_case=True)
            expect(page.locator("#conversations .conv")).to_have_count(0)
            expect(page.locator("#detail")).to_be_hidden()
        finally:
            browser.close()


# -- the page alone, against a scripted API (what the live agents cannot produce on cue) --------

ODD_CONV = "a b/c?#%"  # the page must encode it in paths
CONV = {
    "platform": "mastodon",
    "conversation": ODD_CONV,
    "customer": "dave@example.social",
    "status": "bot",
    "reason": None,
    "opted_out": False,
    "updated": time.time(),
}
TRANSCRIPT = [
    {"n": 1, "role": "customer", "text": "what do transfers cost?", "citations": None, "at": time.time()},
    {
        "n": 2,
        "role": "bot",
        "text": "Transfers are free [2].\nSources: [2] Fees",
        "at": time.time(),
        "citations": [
            {"index": 1, "id": "kb:1", "title": "Evil", "url": "javascript:window.pwned=3", "author": None,
             "snippet": "<img src=x onerror=window.pwned=4>", "quoted": False, "cited": False},
            {"index": 2, "id": "kb:2", "title": "Fees <b>bold</b>", "url": "https://bank.example/fees",
             "author": "novabank", "snippet": "Transfers are free.", "quoted": True, "cited": True},
            {"index": 3, "id": "kb:3", "title": "Cards", "url": " JavaScript:alert(1)", "author": None,
             "snippet": None, "quoted": False, "cited": True},
        ],
    },
]  # fmt: skip


def test_console_page_citations_errors_and_bounded_polling():
    """The page served from its files with the API scripted by Playwright: citations (cited
    first, only http(s) links), URL-encoded ids, the 403/404 messages, and polling that
    stops after the key is refused."""
    from playwright.sync_api import expect, sync_playwright

    mode = {"api": "ok"}
    seen: list[tuple[str, str, str | None]] = []  # (method, raw path, authorization)

    def handle(route):
        req = route.request
        parts = urlsplit(req.url)
        path = parts.path
        if path == "/console":
            return route.fulfill(
                status=200, content_type="text/html", body=(STATIC / "console.html").read_text()
            )
        if path.startswith("/static/"):
            f = STATIC / path.removeprefix("/static/")
            kind = "text/css" if f.suffix == ".css" else "text/javascript"
            return route.fulfill(status=200, content_type=kind, body=f.read_text())
        if not path.startswith("/console/api/"):
            return route.abort()
        auth = req.headers.get("authorization")
        seen.append((req.method, path + ("?" + parts.query if parts.query else ""), auth))

        def reply(status, body):
            route.fulfill(status=status, content_type="application/json", body=json.dumps(body))

        if mode["api"] == "noagents":
            return reply(
                404, {"error": {"message": "this server runs no agents", "type": "invalid_request_error"}}
            )
        if mode["api"] == "nokey":
            return reply(
                403, {"error": {"message": "set operator_key_file", "type": "invalid_request_error"}}
            )
        if auth != "Bearer good":
            return reply(
                401, {"error": {"message": "missing or invalid operator key", "code": "invalid_api_key"}}
            )
        if path == "/console/api/conversations":
            return reply(200, {"object": "list", "data": [{**CONV, "last": TRANSCRIPT[-1]}]})
        segs = path.split("/")  # '', console, api, conversations, platform, conv[, action]
        if len(segs) in (6, 7) and unquote(segs[5]) == ODD_CONV:
            if len(segs) == 7:
                return reply(
                    200, {**CONV, "status": {"takeover": "human", "close": "closed"}.get(segs[6], "bot")}
                )
            return reply(200, {**CONV, "transcript": TRANSCRIPT})
        return reply(404, {"error": {"message": "no such conversation"}})

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(10_000)
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.route("**/*", handle)
            page.goto("http://console.test/console")
            page.fill("#key", "good")
            page.click("#key-use")
            item = page.locator("#conversations .conv")
            expect(item).to_have_count(1)
            expect(item.locator(".badge")).to_have_text("bot")
            expect(item.locator(".platform")).to_have_text("mastodon")
            item.click()
            bot = page.locator("#transcript .msg.bot")
            expect(bot.locator(".text")).to_have_text(TRANSCRIPT[1]["text"])
            cites = bot.locator(".citations li")
            expect(cites).to_have_count(3)
            # cited and quoted first, in their order, then the unused one
            expect(cites.nth(0)).to_contain_text("[2] Fees <b>bold</b>")
            expect(cites.nth(1)).to_contain_text("[3] Cards")
            expect(cites.nth(2)).to_contain_text("[1] Evil")
            expect(cites.nth(2)).to_have_class("unused")
            expect(cites.nth(0).locator("a")).to_have_attribute("href", "https://bank.example/fees")
            expect(cites.nth(0).locator("a")).to_have_attribute("rel", "noopener noreferrer")
            assert cites.nth(1).locator("a").count() == 0 and cites.nth(2).locator("a").count() == 0
            expect(cites.nth(2).locator(".snippet")).to_have_text("<img src=x onerror=window.pwned=4>")
            assert page.locator("#transcript img, #transcript b, a[href^='javascript' i]").count() == 0
            page.get_by_role("button", name="Take over").click()
            expect(page.locator("#detail-status")).to_have_text("waiting for a human")
            encoded = "/console/api/conversations/mastodon/a%20b%2Fc%3F%23%25"
            assert ("GET", encoded, "Bearer good") in seen
            assert ("POST", encoded + "/takeover", "Bearer good") in seen
            page.select_option("#filter", "closed")
            # (page.wait_for_timeout, not sleep: Playwright runs the route handler only while
            # it is called)
            for _ in range(200):
                if any(q.endswith("?status=closed") for _, q, _ in seen):
                    break
                page.wait_for_timeout(100)
            assert any(q.endswith("?status=closed") for _, q, _ in seen), "no filtered request in 20 s"

            # the server's refusals, said plainly; nothing listed
            mode["api"] = "noagents"
            page.click("#key-use")
            expect(page.locator("#error")).to_contain_text("runs no agents")
            expect(page.locator("#conversations .conv")).to_have_count(0)
            expect(page.locator("#detail")).to_be_hidden()
            mode["api"] = "nokey"
            page.click("#key-use")
            expect(page.locator("#error")).to_contain_text("operator_key_file")

            # a refused key stops the polling until a key is entered again
            mode["api"] = "ok"
            page.fill("#key", "bad")
            page.click("#key-use")
            expect(page.locator("#error")).to_contain_text("wrong operator key", ignore_case=True)
            n = len(seen)
            time.sleep(4)  # more than one polling interval
            assert len(seen) == n
            assert page.evaluate("typeof window.pwned") == "undefined"
            assert errors == []
        finally:
            browser.close()
