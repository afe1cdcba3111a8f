"""`mynah serve` as clients use it: the official `openai` package against a live server on
127.0.0.1, raw HTTP for what the client hides (SSE framing, status codes), and every body
checked against OpenAI's published schemas."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import openai
import pytest

from mynah.engine import SamplingParams
from mynah.generate import TextGenerator
from serve_helpers import SPEC, LiveServer, metric_delta, sse_events, validate

KEY = "sk-test-" + "x" * 24
WM_KEY = b"test-watermark-key-5-0123456789abcdef"  # any fixed key; its greedy texts suit the prompts below
pytestmark = pytest.mark.slow  # each module starts real servers


@pytest.fixture(scope="module")
def server(talker, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("serve")
    (tmp / "wm.key").write_text(WM_KEY.decode() + "\n")  # fixed, so greedy texts are repeatable
    # the policy layer has its own server (test_safety.py): its 6 s of loading buy nothing here
    s = LiveServer(
        talker,
        "--max-batch",
        "16",
        "--watermark-key-file",
        str(tmp / "wm.key"),
        "--no-policy",
        key=KEY,
        tmp=tmp,
    )
    yield s
    s.stop()


@pytest.fixture(scope="module")
def client(server):
    return openai.OpenAI(base_url=server.url + "/v1", api_key=KEY, max_retries=0, timeout=60)


@pytest.fixture(scope="module")
def model_id(client):
    return client.models.list().data[0].id


@pytest.fixture(scope="module")
def wm_key(server) -> bytes:
    """The server's watermark key: the watermark is on, as users run it."""
    return WM_KEY


@pytest.fixture(scope="module")
def reference(talker, wm_key):
    """The same model run directly through the engine, one request at a time, with the
    server's watermark (so greedy text matches: the bias applies before the argmax)."""
    return TextGenerator.from_dir(talker, max_batch=1, watermark_key=wm_key)


MSGS = [{"role": "user", "content": "what are people saying about coffee?"}]


def user(content: str) -> dict:
    return {"role": "user", "content": content}


def greedy_chat(reference, messages, max_tokens):
    return "".join(reference.chat(messages, SamplingParams(max_tokens=max_tokens, temperature=0)))


def test_chat_completion_matches_the_engine_and_the_spec(server, client, model_id, reference):
    r = client.chat.completions.create(model=model_id, messages=MSGS, max_tokens=12, temperature=0)
    choice = r.choices[0]
    assert choice.message.role == "assistant" and choice.message.refusal is None
    want = greedy_chat(reference, MSGS, 12)
    assert want.strip() and choice.message.content == want
    assert choice.finish_reason in ("stop", "length")
    assert (
        r.usage.completion_tokens >= 1
        and r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens
    )
    assert r.id.startswith("chatcmpl-") and r.object == "chat.completion" and r.model == model_id


def test_completion_continues_a_post_like_the_engine(client, model_id, reference):
    r = client.completions.create(model=model_id, prompt="The new album", max_tokens=10, temperature=0)
    want = "".join(reference.complete("The new album", SamplingParams(max_tokens=10, temperature=0)))
    assert want.strip() and r.choices[0].text == want and r.object == "text_completion"


def test_stream_with_usage_is_framed_exactly_as_openai_sends_it(server, model_id, reference):
    body = {
        "model": model_id,
        "messages": MSGS,
        "max_tokens": 12,
        "temperature": 0,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    with httpx.stream(
        "POST", server.url + "/v1/chat/completions", json=body, headers=server.headers(), timeout=60
    ) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        events = sse_events(r)
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    for c in chunks:
        assert c["object"] == "chat.completion.chunk" and "usage" in c
        validate(c, "CreateChatCompletionStreamResponse")
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    content = [c for c in chunks if c["choices"]]
    assert [c["choices"][0]["finish_reason"] for c in content].count(None) == len(content) - 1
    assert content[-1]["choices"][0]["finish_reason"] in ("stop", "length")
    assert all(c["usage"] is None for c in content)
    usage = chunks[-1]
    assert usage["choices"] == [] and usage["usage"]["completion_tokens"] >= 1
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in content)
    assert text == greedy_chat(reference, MSGS, 12)


def test_openai_client_streams_and_n_choices(client, model_id, reference):
    stream = client.chat.completions.create(
        model=model_id,
        messages=MSGS,
        max_tokens=12,
        temperature=0,
        stream=True,
        stream_options={"include_usage": True},
    )
    parts, usage = [], None
    for chunk in stream:
        if chunk.usage:
            usage = chunk.usage
        for c in chunk.choices:
            parts.append(c.delta.content or "")
    assert "".join(parts) == greedy_chat(reference, MSGS, 12) and usage.completion_tokens >= 1
    many = client.chat.completions.create(
        model=model_id, messages=MSGS, max_tokens=16, temperature=1.0, n=3, seed=7
    )
    assert [c.index for c in many.choices] == [0, 1, 2]
    texts = [c.message.content for c in many.choices]
    assert len(set(texts)) > 1  # each choice samples with its own seed
    again = client.chat.completions.create(
        model=model_id, messages=MSGS, max_tokens=16, temperature=1.0, n=3, seed=7
    )
    assert [c.message.content for c in again.choices] == texts  # and a seed makes them repeatable


def test_stop_sequences_end_the_text_before_them(server, client, model_id, reference):
    greedy = SamplingParams(max_tokens=24, temperature=0)
    outs = {
        p: "".join(reference.complete(p, greedy))
        for p in ("The new album", "Quick thought:", "Friends,", "Rent")
    }
    prompt, full = max(outs.items(), key=lambda kv: len(kv[1].split()))
    words = full.split()
    assert len(words) >= 3, outs
    stop = " " + words[1]
    r = client.completions.create(
        model=model_id, prompt=prompt, max_tokens=24, temperature=0, stop=[stop, "zzz"]
    )
    assert r.choices[0].finish_reason == "stop"
    assert r.choices[0].text == full[: full.index(stop)]
    # the same through a chat stream: nothing at or after the stop string is ever sent, even
    # for a stop that spans two tokens (the first one's tail is held back until the next
    # shows whether it is the stop)
    chats = {m: greedy_chat(reference, [user(m)], 24) for m in ("Quick thought:", "any news today?", "hi")}
    msg, chat = max(chats.items(), key=lambda kv: len(kv[1].split()))
    assert len(chat.split()) >= 3, chats
    tok = reference.tok
    ((ids, _),) = reference.engine.generate_all(
        [tok.encode_chat([user(msg)], add_generation_prompt=True)[0]],
        reference._params(SamplingParams(max_tokens=24, temperature=0, stop_token_ids=tok.stop_ids)),
    )
    cuts = [len(tok.decode(ids[:k])) for k in range(2, len(ids)) if chat.startswith(tok.decode(ids[:k]))]
    at = next(c for c in cuts if 2 <= c < len(chat) and chat.index(chat[c - 1 : c + 1]) == c - 1)
    stop = chat[at - 1 : at + 1]  # the last character of one token and the first of the next
    parts, reasons = [], []
    before = server.samples()
    for chunk in client.chat.completions.create(
        model=model_id, messages=[user(msg)], max_tokens=24, temperature=0, stop=stop, stream=True
    ):
        for c in chunk.choices:
            parts.append(c.delta.content or "")
            reasons.append(c.finish_reason)
    assert "".join(parts) == chat[: at - 1] and reasons[-1] == "stop"
    # the metrics count it as stopped, though the server ended it by a cancel
    deadline = time.time() + 10
    while time.time() < deadline and server.metric("mynah_batch_size") > 0:
        time.sleep(0.01)
    after = server.samples()
    assert metric_delta(before, after, "mynah_sequences_finished_total", reason="stop") == 1
    assert metric_delta(before, after, "mynah_sequences_finished_total", reason="cancelled") == 0


def test_penalties_over_http_match_the_engine(client, model_id, reference):
    """OpenAI's presence/frequency penalties and vLLM's repetition_penalty, by value: the
    server's greedy text under each equals the engine's under the same SamplingParams, and
    each changes the text (a prompt is picked where all four outputs differ, so a penalty
    dropped or two swapped on the way to the engine cannot pass)."""
    cases = [{}, {"presence_penalty": -1.0}, {"frequency_penalty": -1.0}, {"repetition_penalty": 1.5}]

    def engine(prompt):
        return [
            "".join(reference.complete(prompt, SamplingParams(max_tokens=16, temperature=0, **kw)))
            for kw in cases
        ]

    for prompt in (
        "gente,",
        "The match",
        "Friends,",
        "The new album",
        "Rent",
        "Kurze Frage:",
        "hot take:",
        "Honestly",
    ):
        want = engine(prompt)
        if len(set(want)) == len(cases):
            break
    else:
        pytest.fail(f"no prompt where the penalties give four different texts: {want}")
    for kw, text in zip(cases, want):
        openai_kw = {k: v for k, v in kw.items() if k != "repetition_penalty"}
        extra = {k: v for k, v in kw.items() if k == "repetition_penalty"} or None  # vLLM's extra
        r = client.completions.create(
            model=model_id, prompt=prompt, max_tokens=16, temperature=0, extra_body=extra, **openai_kw
        )
        assert r.choices[0].text == text, (kw, extra)


@pytest.fixture(scope="module")
def own_logprobs(talker, wm_key):
    """log-softmax of the distribution each token of `new` after `prompt` was drawn from:
    the checkpoint's own logits, from one forward without a cache, plus the watermark's
    bias (logprobs are reported after every processor); and the map from bytes to token id."""
    import torch

    from mynah.checkpoint import load_model
    from mynah.processors.watermark import Watermarker
    from mynah.tokenizer import Tokenizer

    model, tok = load_model(talker), Tokenizer.load(talker)
    wm = Watermarker(wm_key, tok)
    ids_of = {tok.piece_bytes(t): t for t in range(tok.vocab_size)}
    assert len(ids_of) == tok.vocab_size

    def logprobs(prompt: list[int], new: list[int]) -> torch.Tensor:
        with torch.no_grad():
            logits = model(torch.tensor([prompt + new]))[0, len(prompt) - 1 : len(prompt) + len(new) - 1]
        proc = wm.processor()
        rows = [proc(prompt + new[:k], logits[k].float()) for k in range(len(new))]
        return torch.log_softmax(torch.stack(rows), -1)

    return tok, ids_of, logprobs


def test_logprobs(server, client, model_id, own_logprobs):
    import torch

    tok, ids_of, logprobs = own_logprobs
    msgs = [user("Quick thought:")]
    r = client.chat.completions.create(
        model=model_id, messages=msgs, max_tokens=6, temperature=0, logprobs=True, top_logprobs=3
    )
    lp = r.choices[0].logprobs.content
    assert len(lp) >= 3
    new = [ids_of[bytes(t.bytes)] for t in lp]
    text = b"".join(bytes(t.bytes) for t in lp).decode("utf-8", errors="replace")
    assert text == r.choices[0].message.content
    want = logprobs(tok.encode_chat(msgs, add_generation_prompt=True)[0], new)
    for t, token, row in zip(lp, new, want):
        assert token == int(row.argmax())  # greedy
        assert t.logprob == pytest.approx(float(row[token]), abs=1e-4)
        top = torch.topk(row, 3)
        assert [ids_of[bytes(x.bytes)] for x in t.top_logprobs] == top.indices.tolist()
        assert [x.logprob for x in t.top_logprobs] == pytest.approx(top.values.tolist(), abs=1e-4)
    # the legacy completions shape: token strings, their logprobs, the top k as a dict
    prompt = tok.encode_doc("The new album")
    c = client.completions.create(
        model=model_id, prompt="The new album", max_tokens=6, temperature=0, logprobs=2
    ).choices[0]
    got = c.logprobs
    assert len(got.tokens) == len(got.token_logprobs) == len(got.top_logprobs) >= 3
    new = []
    for _ in got.tokens:  # the greedy continuation, recomputed from scratch
        new.append(int(logprobs(prompt, new + [0])[-1].argmax()))
    want = logprobs(prompt, new)
    piece = lambda t: tok.piece_bytes(t).decode("utf-8", errors="replace")
    assert got.tokens == [piece(t) for t in new]
    assert b"".join(tok.piece_bytes(t) for t in new).decode("utf-8", errors="replace") == c.text
    assert got.token_logprobs == pytest.approx([float(row[t]) for t, row in zip(new, want)], abs=1e-4)
    for top, row in zip(got.top_logprobs, want):
        best = torch.topk(row, 2)
        assert top == pytest.approx(
            {piece(t): v for t, v in zip(best.indices.tolist(), best.values.tolist())}, abs=1e-4
        )


def test_sixteen_parallel_streams_each_equal_their_sequential_result(server, client, model_id, reference):
    starts = [
        "The new album",
        "Quick thought:",
        "Friends,",
        "Rent",
        "Kurze Frage:",
        "gente,",
        "The match",
        "Coffee",
    ]
    prompts = [f"{starts[i % 8]} {['today', 'again', 'in Denver', 'lol'][i // 4]}" for i in range(16)]
    greedy = SamplingParams(max_tokens=20, temperature=0)
    want = ["".join(reference.complete(p, greedy)) for p in prompts]
    assert sum(bool(w.strip()) for w in want) >= 12 and len(set(want)) > 4, want

    def one(prompt):
        out = []
        for chunk in client.completions.create(
            model=model_id, prompt=prompt, max_tokens=20, temperature=0, stream=True
        ):
            out += [c.text for c in chunk.choices]
        return "".join(out)

    # The batch size as /metrics reports it, read all along: the streams must have shared
    # the batch, not merely all finished.
    sizes, done = [], threading.Event()

    def watch():
        while not done.is_set():
            sizes.append(server.metric("mynah_batch_size"))
            time.sleep(0.005)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        with ThreadPoolExecutor(16) as pool:
            got = list(pool.map(one, prompts))
    finally:
        done.set()
        watcher.join()
    assert got == want
    assert max(sizes) > 1, f"the batch never held more than one sequence: {sorted(set(sizes))}"


def test_errors_have_openai_shape_and_status(server, client, model_id):
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model=model_id, messages=MSGS, temperature=5)
    assert e.value.body["param"] == "temperature"
    with pytest.raises(openai.BadRequestError) as e:  # never silently ignored
        client.chat.completions.create(model=model_id, messages=MSGS, logit_bias={"5": 10})
    assert e.value.body["param"] == "logit_bias" and "unsupported" in e.value.body["message"]
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model=model_id, messages=[{"role": "user", "content": "word " * 2000}])
    assert e.value.body["code"] == "context_length_exceeded"
    with pytest.raises(openai.NotFoundError) as e:
        client.chat.completions.create(model="gpt-9", messages=MSGS)
    assert e.value.body["code"] == "model_not_found"
    for key in ("wrong-key", ""):
        bad = openai.OpenAI(base_url=server.url + "/v1", api_key=key or "x", max_retries=0)
        if not key:
            bad = openai.OpenAI(
                base_url=server.url + "/v1",
                api_key="unused",
                max_retries=0,
                default_headers={"Authorization": ""},
            )
        with pytest.raises(openai.AuthenticationError):
            bad.models.list()
    with pytest.raises(openai.APIStatusError) as e:
        client.chat.completions.create(
            model=model_id, messages=[{"role": "user", "content": "x" * (2 << 20)}]
        )
    assert e.value.status_code == 413 and e.value.body["code"] == "request_too_large"
    r = httpx.post(
        server.url + "/v1/chat/completions",
        content=b"{not json",
        headers={**server.headers(), "Content-Type": "application/json"},
    )
    assert r.status_code == 400 and set(r.json()["error"]) == {"message", "type", "param", "code"}
    for status_body in (r.json(),):
        validate(status_body, "ErrorResponse")
    assert httpx.get(server.url + "/health").status_code == 200  # open without a key


def test_client_disconnect_frees_its_slot(server, model_id):
    # 8 choices of 250 tokens: the batch runs for seconds even on a fast machine, so the
    # disconnect is seen long before any of them could end by length
    body = {"model": model_id, "prompt": "The", "max_tokens": 250, "ignore_eos": True, "stream": True, "n": 8}
    before = server.samples()
    with httpx.stream(
        "POST", server.url + "/v1/completions", json=body, headers=server.headers(), timeout=60
    ) as r:
        lines = r.iter_lines()
        for _ in range(3):
            next(lines)
    deadline = time.time() + 20
    while time.time() < deadline and server.metric("mynah_batch_size") > 0:
        time.sleep(0.01)
    assert server.metric("mynah_batch_size") == 0 and server.metric("mynah_queue_depth") == 0
    # freed by the disconnect, not by running to the end
    after = server.samples()
    finished = "mynah_sequences_finished_total"
    assert metric_delta(before, after, finished, reason="cancelled") == 8
    assert metric_delta(before, after, finished, reason="length") == 0


def test_models_health_and_metrics(server, client, model_id):
    before = server.samples()
    r = httpx.get(server.url + "/v1/models", headers=server.headers()).json()
    validate(r, "ListModelsResponse")
    assert r["data"][0]["owned_by"] and isinstance(r["data"][0]["created"], int)
    # known requests: two chats, one completion of two prompts, a 404 and a 401
    usages = [
        client.chat.completions.create(model=model_id, messages=MSGS, max_tokens=n, temperature=0).usage
        for n in (3, 5)
    ]
    usages.append(
        client.completions.create(
            model=model_id, prompt=["The new album", "Rent"], max_tokens=4, temperature=0
        ).usage
    )
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="gpt-9", messages=MSGS)
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=server.url + "/v1", api_key="wrong-key", max_retries=0).models.list()
    after = server.samples()
    d = lambda name, **labels: metric_delta(before, after, name, **labels)
    requests = "mynah_requests_total"
    assert d(requests, endpoint="/v1/models", status="200") == 1
    assert d(requests, endpoint="/v1/models", status="401") == 1
    assert d(requests, endpoint="/v1/chat/completions", status="200") == 2
    assert d(requests, endpoint="/v1/chat/completions", status="404") == 1
    assert d(requests, endpoint="/v1/completions", status="200") == 1
    total = lambda m: sum(v for (name, _), v in m.items() if name == requests)
    assert total(after) - total(before) == 6  # and nothing else was counted
    # tokens as the responses' usage reported them
    completion = sum(u.completion_tokens for u in usages)
    assert d("mynah_prompt_tokens_total") == sum(u.prompt_tokens for u in usages) > 0
    assert d("mynah_generation_tokens_total") == completion >= 4
    # one first token for each of the 4 sequences; every later token has an inter-token gap
    for hist, count in (
        ("mynah_time_to_first_token_seconds", 4),
        ("mynah_inter_token_latency_seconds", completion - 4),
    ):
        assert d(hist + "_count") == count
        assert d(hist + "_bucket", le="+Inf") == count
        assert d(hist + "_sum") >= 0
    # every sequence ran to its end: an end-of-text or its max_tokens, nobody cancelled
    finished = "mynah_sequences_finished_total"
    assert d(finished, reason="stop") + d(finished, reason="length") == 4
    assert d(finished, reason="cancelled") == 0 and d(finished, reason="error") == 0
    assert after[("mynah_queue_depth", ())] == 0 and after[("mynah_batch_size", ())] == 0


def test_responses_match_openai_spec(server, model_id):
    if not SPEC.exists():
        pytest.skip(f"OpenAI's spec is not at {SPEC}")
    h = server.headers()
    chat = httpx.post(
        server.url + "/v1/chat/completions",
        json={
            "model": model_id,
            "messages": MSGS,
            "max_tokens": 5,
            "logprobs": True,
            "top_logprobs": 2,
            "n": 2,
        },
        headers=h,
    ).json()
    assert validate(chat, "CreateChatCompletionResponse")
    comp = httpx.post(
        server.url + "/v1/completions",
        json={"model": model_id, "prompt": ["a", "b"], "max_tokens": 4, "logprobs": 1},
        headers=h,
    ).json()
    assert validate(comp, "CreateCompletionResponse")
    assert validate(httpx.get(server.url + "/v1/models/" + model_id, headers=h).json(), "Model")
    for bad in ({"model": "nope", "messages": MSGS}, {"model": model_id, "messages": []}):
        r = httpx.post(server.url + "/v1/chat/completions", json=bad, headers=h)
        assert r.status_code in (400, 404) and validate(r.json(), "ErrorResponse")
    body = {
        "model": model_id,
        "prompt": "The",
        "max_tokens": 4,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    with httpx.stream("POST", server.url + "/v1/completions", json=body, headers=h) as r:
        events = sse_events(r)
    # The spec gives no event-stream schema for the legacy /completions (only for chat), so
    # these chunks follow OpenAI's wire format: finish_reason null until the last.
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert all(c["object"] == "text_completion" for c in chunks) and chunks[-1]["choices"] == []
    assert chunks[-2]["choices"][0]["finish_reason"] in ("stop", "length")


def test_full_queue_answers_429_with_retry_after(talker, tmp_path):
    # One slot, room for two waiting sequences. A request for n=2 takes the slot with one
    # choice and queues the other; while it runs, another n=2 request cannot fit.
    s = LiveServer(talker, "--max-batch", "1", "--max-queue", "2", "--no-policy", tmp=tmp_path)
    try:
        body = {
            "model": talker.resolve().name,
            "prompt": "The",
            "max_tokens": 250,
            "ignore_eos": True,
            "n": 2,
        }
        with httpx.stream(
            "POST", s.url + "/v1/completions", json={**body, "stream": True}, timeout=60
        ) as first:
            lines = first.iter_lines()  # kept: a dropped iterator closes the connection
            next(lines)  # its first choice is running
            assert s.metric("mynah_queue_depth") == 1
            client = openai.OpenAI(base_url=s.url + "/v1", api_key="none", max_retries=0)
            with pytest.raises(openai.RateLimitError) as e:
                client.completions.create(
                    model=body["model"], prompt="The", max_tokens=2, n=2, extra_body={"ignore_eos": True}
                )
            assert e.value.response.headers["retry-after"] == "1"
            assert e.value.body["type"] == "rate_limit_error" and e.value.body["code"] == "queue_full"
        deadline = time.time() + 20
        while time.time() < deadline and (s.metric("mynah_queue_depth") or s.metric("mynah_batch_size")):
            time.sleep(0.02)
        assert s.metric("mynah_queue_depth") == 0 and s.metric("mynah_batch_size") == 0
        ok = httpx.post(s.url + "/v1/completions", json={**body, "max_tokens": 2}, timeout=60)
        assert ok.status_code == 200 and len(ok.json()["choices"]) == 2
    finally:
        s.stop()


def test_health_is_503_while_the_model_loads(talker):
    import asyncio

    import uvicorn

    from mynah.checkpoint import load_model
    from mynah.serve.app import create_app
    from mynah.tokenizer import Tokenizer
    from serve_helpers import free_port

    release = threading.Event()

    def slow_loader():
        release.wait(30)
        return load_model(talker), Tokenizer.load(talker)

    app = create_app(talker, loader=slow_loader)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    t = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    t.start()
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 30
        while time.time() < deadline and not server.started:
            time.sleep(0.02)
        assert httpx.get(url + "/health").status_code == 503
        client = openai.OpenAI(base_url=url + "/v1", api_key="none", max_retries=0)
        with pytest.raises(openai.InternalServerError) as e:  # the client's class for any 5xx
            client.chat.completions.create(model=talker.resolve().name, messages=MSGS)
        assert e.value.status_code == 503 and e.value.body["code"] == "model_loading"
        release.set()
        deadline = time.time() + 30
        while time.time() < deadline and httpx.get(url + "/health").status_code != 200:
            time.sleep(0.05)
        assert httpx.get(url + "/health").json()["status"] == "ok"
    finally:
        release.set()
        server.should_exit = True
        t.join(timeout=20)
