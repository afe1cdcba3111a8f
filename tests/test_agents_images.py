"""Charts in mention replies: "@mynah chart of flood posts this week" is answered in its
thread with the server's chart attached (uploaded byte for byte: the PNG carries provenance
metadata) and its caption as the text and the alt text.

The server side is a tiny HTTP stub on 127.0.0.1 that serves `POST /v1/images/chart` with a
fixed small PNG (and `/v1/social/explain` with a fixed answer): the real endpoint
(serve/images.py) is being written in parallel, so these tests hold the agent to the
endpoint's documented contract (request body, OpenAI-shaped errors, `data[0].b64_json`,
`caption`, `post_count`) rather than to its implementation. Everything else is real: the
fake platforms over HTTP, the durable outbox, the runner's threads.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from mynah.social.agents import (
    AgentConfig,
    Agents,
    Brain,
    ChartRequest,
    Refused,
    Rejected,
    Unavailable,
    chart_request,
)
from mynah.social.fakes import png_bytes, serve_in_thread
from mynah.social.length import rule_for
from mynah.social.platforms.base import Send
from mynah.social.runner import Runner
from mynah.social.state import AgentState, Plan
from test_agents import wait_for

NOW = datetime(2025, 5, 14, 12, 0, tzinfo=timezone.utc)
PNG = png_bytes(24, 12, {"XML:com.adobe.xmp": "<x:xmpmeta><c2pa:manifest>stub</c2pa:manifest></x:xmpmeta>"})


# -- the detection ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, topic, by",
    [
        ("@mynah chart of flood posts this week", "flood", "day"),
        ("@mynah.test graph of ferry mentions in the last 30 days", "ferry", "day"),
        ("@mynah can you make a graph of the strike?", "strike", "day"),
        ("@mynah make me a chart of flood posts", "flood", "day"),
        ("@mynah show me the chart of flood posts yesterday", "flood", "hour"),
        ("@mynah how much are people posting about the bridge closure today?", "bridge closure", "hour"),
        ("@mynah how many posts mention the strike?", "strike", "day"),
        ("@mynah show me posts about floods over time", "floods", "day"),
        ("@mynah please graph ferry delays hourly", "ferry delays", "hour"),
        ("@mynah chart: #flood", "#flood", "day"),
        ("@mynah Zeig mir ein Diagramm über Hochwasser diese Woche", "Hochwasser", "day"),
        ("@mynah wie viel wird über den Streik gepostet?", "Streik", "day"),
        ("@mynah haz un gráfico de las inundaciones", "inundaciones", "day"),
        ("@mynah cuántos publican sobre la huelga hoy", "huelga", "hour"),
        ("@mynah make me a chart", "", "day"),  # a request without a topic: asked for one
    ],
)
def test_a_chart_request_is_recognised_with_its_topic_and_bucket(text, topic, by):
    got = chart_request(text, NOW)
    assert got is not None and (got.topic, got.by) == (topic, by)


@pytest.mark.parametrize(
    "text",
    [
        "@mynah what does this chart mean?",  # under someone's post that shows a chart
        "@mynah is the graph right?",
        "@mynah does this chart make sense?",
        "@mynah show me what this chart means",
        "@mynah ¿qué significa este gráfico?",
        "@mynah was zeigt dieses Diagramm?",
        "@mynah I saw a chart about floods, is it true?",
        "@mynah show me the source",
        "@mynah is this true?",
        "@mynah plot twist: the mayor resigned",
        "@mynah write me a poem",
        "@mynah how much of this post is true?",
        "@mynah how many tweets did this get?",
    ],
)
def test_what_is_not_a_chart_request(text):
    assert chart_request(text, NOW) is None


def test_the_range_follows_the_words():
    def r(text):
        got = chart_request(text, NOW)
        return got.by, got.since, got.until

    assert r("chart of floods today") == ("hour", "2025-05-13T12:00:00Z", None)
    assert r("chart of floods in the last 24 hours") == ("hour", "2025-05-13T12:00:00Z", None)
    assert r("chart of floods yesterday") == ("hour", "2025-05-13T00:00:00Z", "2025-05-14T00:00:00Z")
    assert r("chart of floods this week") == ("day", "2025-05-07T12:00:00Z", None)
    assert r("chart of floods over the last 3 days") == ("hour", "2025-05-11T12:00:00Z", None)
    assert r("chart of floods, last 2 weeks") == ("day", "2025-04-30T12:00:00Z", None)
    assert r("chart of floods this year") == ("day", "2025-01-01T00:00:00Z", None)
    assert r("chart of floods") == ("day", None, None)
    assert r("hourly chart of floods") == ("hour", None, None)


# -- the outbox keeps the images ------------------------------------------------------------


def test_media_on_a_send_survives_the_outbox_and_old_rows_still_load(tmp_path):
    from mynah.social.platforms.base import Event

    s = AgentState(tmp_path / "agents.db")
    e = Event("bluesky", "at://m/1", "mention", "did:a", "chart of floods", "at://m/1", post_id="at://m/1")
    s.accept([e])
    media = [{"png_b64": base64.b64encode(PNG).decode(), "alt": "Posts about floods"}]
    send = Send(
        "bluesky:at://m/1:0", "bluesky", "reply", "Posts about floods", "at://m/1", {"cid": "c"}, media=media
    )
    s.commit(s.claim(("bluesky",)), Plan([send]))
    got, attempts = s.due(("bluesky",))
    assert got == send and base64.b64decode(got.media[0]["png_b64"]) == PNG and attempts == 0
    # a row written before Send had media loads with none; a newer row's unknown field is ignored
    old = {k: v for k, v in send.as_dict().items() if k != "media"}
    assert Send.from_dict(old).media == []
    assert Send.from_dict({**old, "from_the_future": 1}) == Send.from_dict(old)
    assert Send.from_dict(json.loads(json.dumps(send.as_dict()))) == send


# -- the server: a stub of /v1/images/chart ---------------------------------------------------


def _error(status: int, message: str, code: str | None = None, param: str | None = "query"):
    err = {"message": message, "type": "invalid_request_error", "param": param, "code": code}
    return JSONResponse({"error": err}, status_code=status)


def chart_stub() -> FastAPI:
    """/v1/images/chart by its contract: a fixed PNG; "nothing" has no posts, "bad" is a
    400, "nostore" a 404, "forbidden" the policy layer's refusal, "busy" a 503; and a fixed
    explain answer."""
    app = FastAPI()
    app.state.requests = []

    @app.post("/v1/images/chart")
    async def chart(request: Request):
        body = await request.json()
        app.state.requests.append(
            {"path": "/v1/images/chart", "json": body, "auth": request.headers.get("authorization")}
        )
        q = body.get("query")
        if not isinstance(q, str) or not q.strip() or body.get("by") not in ("hour", "day"):
            return _error(400, "query (a non-empty string) and by (hour or day) are required.")
        if body.get("response_format") != "b64_json":
            return _error(400, "response_format must be b64_json.", param="response_format")
        if q == "bad":
            return _error(400, "The range is empty: since is after until. Try a wider range.")
        if q == "forbidden":
            return _error(400, "I can't help with that.", code="content_policy_violation")
        if q == "nostore":  # the server's own 404: not the asker's business
            return _error(404, "this server has no post store (start it with --posts DB)")
        if q == "busy":
            return JSONResponse(
                {"error": {"message": "queue full"}}, status_code=503, headers={"retry-after": "7"}
            )
        count = 0 if q == "nothing" else 42
        caption = (
            f'Chart: posts matching "{q}" per {body["by"]}, {count} posts, '
            f"{body.get('since') or 'all time'} to {body.get('until') or 'now'}."
        )
        return {
            "created": 1747224000,
            "data": [{"b64_json": base64.b64encode(PNG).decode(), "revised_prompt": None}],
            "caption": caption,
            "post_count": count,
            "provenance": {"generator": "mynah", "c2pa": True},
        }

    @app.post("/v1/social/explain")
    async def explain(request: Request):
        app.state.requests.append({"path": "/v1/social/explain", "json": await request.json()})
        return {"data": [{"text": "It is about the river's level after the storm."}], "citations": []}

    return app


@pytest.fixture(scope="module")
def stub():
    app = chart_stub()
    with serve_in_thread(app) as running:
        yield running, app


@pytest.fixture
def brain(stub):
    running, app = stub
    app.state.requests.clear()
    b = Brain(running.url, api_key="sk-test", timeout=10)
    yield b
    b.client.close()


def test_brain_chart_calls_the_endpoint_and_returns_the_png_unchanged(brain, stub):
    img = brain.chart("flood", "2025-05-07T12:00:00Z", datetime(2025, 5, 14, 12, tzinfo=timezone.utc), "hour")
    assert img.png == PNG and img.post_count == 42 and img.provenance["c2pa"] is True
    assert img.caption.startswith('Chart: posts matching "flood" per hour, 42 posts')
    (req,) = stub[1].state.requests
    assert req["json"] == {
        "query": "flood",
        "since": "2025-05-07T12:00:00Z",
        "until": "2025-05-14T12:00:00Z",
        "by": "hour",
        "response_format": "b64_json",
    }
    assert req["auth"] == "Bearer sk-test"


def test_brain_chart_errors_are_the_usual_ones(brain):
    with pytest.raises(Rejected) as err:
        brain.chart("bad")
    assert isinstance(err.value, RuntimeError) and err.value.status == 400
    assert err.value.message.startswith("The range is empty")
    with pytest.raises(Refused, match="can't help"):
        brain.chart("forbidden")
    with pytest.raises(Unavailable) as busy:
        brain.chart("busy")
    assert busy.value.retry_after == 7.0
    gone = Brain(brain.url + "/nowhere")
    with pytest.raises(Rejected) as nf:
        gone.chart("flood")
    assert nf.value.status == 404
    gone.client.close()


# -- end to end: a mention, the runner, a fake platform ----------------------------------------


def _run(tmp_path, adapter, brain):
    state = AgentState(tmp_path / "agents.db")
    runner = Runner(
        state, {adapter.platform: adapter}, Agents(state, brain, AgentConfig()), workers=1, poll_interval=0.2
    )
    return state, runner.start()


@pytest.fixture
def bsky(tmp_path, brain):
    from mynah.social.fakes.bluesky import create_app
    from mynah.social.platforms.bluesky import Bluesky

    app = create_app(handle="mynah.test", app_password="pw")
    with serve_in_thread(app) as running:
        adapter = Bluesky("mynah.test", "pw", service_url=running.url, timeout=5)
        state, runner = _run(tmp_path, adapter, brain)
        yield app.state.fake, state, runner
        runner.stop()
        adapter.close()


@pytest.fixture
def masto(tmp_path, brain):
    from mynah.social.fakes.mastodon import create_app
    from mynah.social.platforms.mastodon import Mastodon

    app = create_app(token="tok", max_characters=500)
    with serve_in_thread(app) as running:
        adapter = Mastodon(running.url, "tok", timeout=5)
        state, runner = _run(tmp_path, adapter, brain)
        yield app.state.fake, state, runner
        runner.stop()
        adapter.close()


def _bsky_reply(fake, uri):
    got = [s for s in fake.sent if s["record"].get("reply", {}).get("parent", {}).get("uri") == uri]
    return got[0] if got else None


def test_a_bluesky_chart_request_gets_the_chart_in_its_thread(bsky, stub):
    fake, state, runner = bsky
    root = fake.inject_post("ola.test", "the river is rising again")
    m = fake.inject_post("rita.test", "@mynah.test chart of flood posts this week", reply_to=root["uri"])
    reply = wait_for(lambda: _bsky_reply(fake, m["uri"]))
    assert reply, state.outbox_rows()
    rec = reply["record"]
    assert rec["reply"]["root"] == {"uri": root["uri"], "cid": root["cid"]}  # in the thread
    assert rec["text"].startswith('Chart: posts matching "flood" per day, 42 posts')
    assert rule_for("bluesky").fits(rec["text"])
    (image,) = rec["embed"]["images"]
    assert fake.blobs[image["image"]["ref"]["$link"]]["bytes"] == PNG  # byte for byte, metadata and all
    assert image["alt"] == rec["text"] and image["aspectRatio"] == {"width": 24, "height": 12}
    (req,) = [r for r in stub[1].state.requests if r["path"] == "/v1/images/chart"]
    assert req["json"]["query"] == "flood" and req["json"]["by"] == "day" and req["json"]["since"]
    assert wait_for(lambda: state.busy() == 0)
    assert "chart of 42 post(s)" in state.q("SELECT note FROM inbox")[0][0]


def test_a_mastodon_chart_request_gets_the_chart_and_a_question_about_a_chart_gets_an_answer(masto, stub):
    fake, state, runner = masto
    a = fake.inject_status("ola", "@mynah how much are people posting about the ferry strike today?")
    b = fake.inject_status("piet", "look at this chart of rents")
    c = fake.inject_status("lena", "@mynah what does this chart mean?", in_reply_to_id=b["id"])

    def reply_to(sid):
        got = [s for s in fake.sent if s["in_reply_to_id"] == sid]
        return got[0] if got else None

    chart = wait_for(lambda: reply_to(a["id"]))
    assert chart, state.outbox_rows()
    from mynah.social.platforms.mastodon import status_text

    text = status_text(chart["content"])
    assert text.startswith('@ola Chart: posts matching "ferry strike" per hour, 42 posts')
    (att,) = chart["media_attachments"]
    assert fake.media[att["id"]]["bytes"] == PNG and att["description"] == text.removeprefix("@ola ")
    # the explain path is untouched: no image, the model's answer
    answer = wait_for(lambda: reply_to(c["id"]))
    assert answer and answer["media_attachments"] == []
    assert "river's level" in status_text(answer["content"])
    assert [r["json"]["query"] for r in stub[1].state.requests if r["path"] == "/v1/images/chart"] == [
        "ferry strike"
    ]


@pytest.mark.parametrize(
    "text, says",
    [
        ("@mynah.test chart of nothing posts", 'I found no posts about "nothing" in that time'),
        (
            "@mynah.test chart of bad posts",
            'couldn\'t make a chart of "bad": The range is empty: since is after until.',
        ),
        ("@mynah.test chart of forbidden posts", "I can't help with that."),
        ("@mynah.test make me a chart", "Tell me what to chart"),
        ("@mynah.test Diagramm über nothing", 'keine Beiträge zu "nothing"'),
        (
            "@mynah.test chart of nostore posts",
            'couldn\'t make a chart of "nostore": charts are not available',
        ),
    ],
)
def test_no_chart_is_a_short_text_without_an_image(bsky, text, says):
    fake, state, runner = bsky
    m = fake.inject_post("rita.test", text)
    reply = wait_for(lambda: _bsky_reply(fake, m["uri"]))
    assert reply, state.outbox_rows()
    assert says in reply["record"]["text"] and "embed" not in reply["record"]
    assert "--posts" not in reply["record"]["text"]
    assert rule_for("bluesky").fits(reply["record"]["text"])
    assert fake.blobs == {}


def test_an_x_chart_request_through_a_failed_post_makes_one_tweet(tmp_path, brain):
    """X answers the first POST /2/tweets with a 503 after the image was uploaded, as a
    crash between the upload and the post would leave it: the retry looks first (find_sent),
    uploads again (the first upload is an orphan X expires) and tweets once."""
    from mynah.social.fakes.x import create_app
    from mynah.social.platforms.x import X, parse_events

    app = create_app("ck", "cs", access_token="at", access_token_secret="ats")
    fake = app.state.fake
    with serve_in_thread(app) as running:
        adapter = X("1000", "ck", "cs", "at", "ats", api_base=running.url, timeout=5)
        state, runner = _run(tmp_path, adapter, brain)
        try:
            fake.fail(503, path_prefix="/2/tweets")
            fake.add_user("2001", "alice")
            t = fake.create_tweet("2001", "@mynah chart of flood posts this week")
            events, _ = parse_events(fake.mention_payload(t), "1000")
            runner.accept(events)
            assert wait_for(lambda: fake.sent and state.busy() == 0), state.outbox_rows()
        finally:
            runner.stop()
            adapter.close()
    (tweet,) = fake.sent
    assert tweet["in_reply_to_tweet_id"] == t["id"]
    assert tweet["text"].startswith('@alice Chart: posts matching "flood" per day, 42 posts')
    assert rule_for("x").fits(tweet["text"])
    (media_id,) = tweet["media_ids"]
    assert fake.media[media_id]["bytes"] == PNG
    assert fake.media[media_id]["alt"] == tweet["text"].removeprefix("@alice ")
    assert len(fake.media) == 2  # the orphan of the failed attempt, and the one attached
    row = state.outbox_rows()[0]
    assert (row["status"], row["attempts"], row["remote_id"]) == ("sent", 2, tweet["id"])


def test_a_long_caption_is_cut_to_the_platform_and_kept_whole_as_alt_text(tmp_path):
    """The caption is the text within the platform's length; the alt text is all of it."""

    class LongBrain:
        def chart(self, query, since=None, until=None, by="day"):
            from mynah.social.agents import Image

            return Image(PNG, "A very long caption " * 30, 7)

    class Adapter:
        platform = "x"

        def rule(self):
            return rule_for("x")

    from mynah.social.platforms.base import Event

    e = Event("x", "9", "mention", "2001", "@mynah chart of rain", "9", "alice", post_id="9")
    plan = Agents(AgentState(tmp_path / "a.db"), LongBrain()).mention(e, Adapter())
    (s,) = plan.sends
    assert rule_for("x").fits(s.text) and s.text.startswith("@alice A very long caption")
    assert s.media[0]["alt"] == ("A very long caption " * 30).strip()
    assert base64.b64decode(s.media[0]["png_b64"]) == PNG
    assert isinstance(chart_request(e.text), ChartRequest)
