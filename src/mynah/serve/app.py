"""The OpenAI-compatible server: FastAPI routes over the continuous-batching scheduler.

Endpoints: POST /v1/chat/completions, POST /v1/completions, GET /v1/models, GET /health
(503 until the model has loaded), GET /metrics (Prometheus), and the chat page at /.
Response bodies and stream chunks follow OpenAI's published schemas field for field,
required-but-null fields included (`refusal`, `logprobs`, `finish_reason: null`), because
clients generated from the spec reject anything less. Errors use OpenAI's shape,
{"error": {"message", "type", "param", "code"}}, with the matching HTTP status.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import os
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from mynah.serve.protocol import ChatCompletionRequest, CompletionRequest, PostsBatch

STATIC = Path(__file__).parent / "static"


@dataclass
class Limits:
    max_body_bytes: int = 1 << 20
    max_messages: int = 256
    max_tokens: int = 2048  # per request; also capped by the context
    max_n: int = 8
    max_stop: int = 4  # OpenAI allows up to 4 stop sequences


class APIError(Exception):
    def __init__(
        self, status: int, message: str, type: str, param: str | None = None, code: str | None = None
    ):
        super().__init__(message)
        self.status, self.message, self.type, self.param, self.code = status, message, type, param, code


def error_body(message: str, type: str, param: str | None = None, code: str | None = None) -> dict:
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


def invalid(message: str, param: str | None = None, code: str | None = None) -> APIError:
    return APIError(400, message, "invalid_request_error", param, code)


def load_keys(path: str | os.PathLike) -> list[str]:
    """One key a line; blank lines and # comments ignored."""
    keys = [k.strip() for k in Path(path).read_text(encoding="utf-8").splitlines()]
    keys = [k for k in keys if k and not k.startswith("#")]
    if not keys:
        raise ValueError(f"{path}: no API keys in the file (one a line)")
    return keys


class _State:
    """What the routes need once the model has loaded."""

    def __init__(self):
        self.ready = threading.Event()
        self.load_error: str | None = None
        self.tok = None
        self.engine = None
        self.scheduler = None
        self.created = int(time.time())
        self.fingerprint = "fp_mynah"


def create_app(
    model_dir: str | os.PathLike,
    model_name: str | None = None,
    api_keys: list[str] | None = None,
    max_batch: int = 16,
    max_queue: int = 64,
    limits: Limits | None = None,
    compile: bool = False,
    loader: Callable[[], tuple] | None = None,
    posts: str | os.PathLike | None = None,
    ground_k: int = 5,
) -> FastAPI:
    """The app. The model loads in a background thread when the app starts (so /health can
    answer 503 meanwhile); `loader`, if given, returns (model, tokenizer) instead of
    reading `model_dir`. With `posts` (a post store), chat answers are grounded in it and
    /v1/posts takes new posts."""
    from mynah.serve.metrics import Metrics

    limits = limits or Limits()
    name = model_name or Path(model_dir).resolve().name
    state = _State()
    metrics = Metrics()
    keys = [k.encode() for k in api_keys or []]
    store = embedder = worker = None
    if posts is not None:
        from mynah.posts.embed import Embedder, EmbedWorker
        from mynah.posts.store import open_store

        store = open_store(posts)  # a corrupt or locked store stops the server here, not later
        embedder = Embedder()
        worker = EmbedWorker(store, embedder)

    def load() -> None:
        try:
            from mynah.engine import Engine
            from mynah.serve.scheduler import Scheduler

            if loader is not None:
                model, tok = loader()
            else:
                from mynah.checkpoint import load_model
                from mynah.tokenizer import Tokenizer

                model, tok = load_model(model_dir), Tokenizer.load(model_dir)
                state.created = int(Path(model_dir, "config.json").stat().st_mtime)
            state.tok = tok
            state.engine = Engine(model, max_batch=max_batch, compile=compile)
            state.scheduler = Scheduler(state.engine, max_queue=max_queue)
            metrics.watch(state.scheduler)
            state.scheduler.start()
            if embedder is not None:
                embedder.model  # noqa: B018 - load the query encoder before the first request
                worker.start()
            state.ready.set()
        except Exception as e:  # shown by /health and every request, instead of a dead thread
            state.load_error = f"{type(e).__name__}: {e}"

    async def lifespan(app: FastAPI):
        threading.Thread(target=load, name="mynah-load", daemon=True).start()
        yield
        if state.scheduler is not None:
            state.scheduler.stop()
        if worker is not None:
            if worker.is_alive():
                worker.stop()
            store.close()

    app = FastAPI(title="mynah", version="0.1.0", lifespan=lifespan)
    app.state.mynah = state

    # -- errors in OpenAI's shape -------------------------------------------------------

    @app.exception_handler(APIError)
    async def _api_error(request: Request, e: APIError):
        headers = {"Retry-After": "1"} if e.status == 429 else None
        return JSONResponse(error_body(e.message, e.type, e.param, e.code), e.status, headers=headers)

    if store is not None:
        from mynah.posts.store import StoreError

        @app.exception_handler(StoreError)
        async def _store_error(request: Request, e: StoreError):
            # A locked or damaged post store: the client may retry. The details (a path on
            # this server) go to the server's log, not to the client.
            print(f"mynah serve: post store error: {e}", file=sys.stderr, flush=True)
            return JSONResponse(
                error_body(
                    "the post store is unavailable (locked or damaged; see the server log)",
                    "server_error",
                    code="store_unavailable",
                ),
                503,
                headers={"Retry-After": "1"},
            )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, e: RequestValidationError):
        err = e.errors()[0]
        loc = [str(x) for x in err.get("loc", ()) if x != "body"]
        param = ".".join(loc) or None
        if err.get("type") == "extra_forbidden":
            msg = f"unsupported parameter: {param!r} is not a parameter mynah accepts"
        elif err.get("type") == "json_invalid":
            msg, param = "the request body is not valid JSON", None
        else:
            msg = f"invalid value for {param!r}: {err.get('msg')}" if param else str(err.get("msg"))
        return JSONResponse(error_body(msg, "invalid_request_error", param, None), 400)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, e: StarletteHTTPException):
        kind = "not_found_error" if e.status_code == 404 else "invalid_request_error"
        return JSONResponse(error_body(str(e.detail), kind), e.status_code)

    # -- middleware: body size limit, metrics ---------------------------------------------

    app.add_middleware(_BodyLimit, max_bytes=limits.max_body_bytes)

    @app.middleware("http")
    async def _count(request: Request, call_next):
        response = await call_next(request)
        if request.url.path.startswith("/v1/"):
            metrics.request(request.url.path, response.status_code)
        return response

    # -- helpers ----------------------------------------------------------------------

    def authorize(request: Request) -> None:
        if not keys:
            return
        header = request.headers.get("authorization", "")
        given = header[7:].strip().encode() if header[:7].lower() == "bearer " else b""
        ok = False
        for k in keys:  # every key compared, each in constant time: no timing hint of which or how close
            ok |= hmac.compare_digest(k, given)
        if not ok:
            raise APIError(
                401,
                "missing or invalid API key; send it as 'Authorization: Bearer KEY'",
                "invalid_request_error",
                code="invalid_api_key",
            )

    def ready() -> _State:
        if state.load_error:
            raise APIError(
                503, f"the model failed to load: {state.load_error}", "server_error", code="model_not_loaded"
            )
        if not state.ready.is_set():
            raise APIError(
                503, "the model is still loading; try again shortly", "server_error", code="model_loading"
            )
        return state

    def check_model(requested: str) -> None:
        if requested != name:
            raise APIError(
                404,
                f"the model {requested!r} does not exist; this server serves {name!r}",
                "invalid_request_error",
                "model",
                "model_not_found",
            )

    def sampling(req, max_new: int, n_prompt: int):
        from mynah.engine import SamplingParams

        if req.n > limits.max_n:
            raise invalid(f"n is {req.n}; this server allows at most {limits.max_n}", "n")
        if len(req.stops()) > limits.max_stop:
            raise invalid(f"at most {limits.max_stop} stop sequences", "stop")
        room = state.engine.max_len - n_prompt
        if room < 1:
            raise invalid(
                f"this model's context holds {state.engine.max_len} tokens; the prompt is {n_prompt} tokens",
                "messages" if isinstance(req, ChatCompletionRequest) else "prompt",
                "context_length_exceeded",
            )
        if max_new is not None and max_new > limits.max_tokens:
            param = "max_tokens" if req.max_tokens is not None else "max_completion_tokens"
            raise invalid(f"{param} is {max_new}; this server allows at most {limits.max_tokens}", param)
        return SamplingParams(
            max_tokens=min(max_new or limits.max_tokens, room),
            temperature=req.temperature,
            top_p=req.top_p,
            top_k=max(req.top_k, 0),
            min_p=req.min_p,
            repetition_penalty=req.repetition_penalty,
            presence_penalty=req.presence_penalty,
            frequency_penalty=req.frequency_penalty,
            seed=req.seed,
            stop_token_ids=[] if req.ignore_eos else list(state.tok.stop_ids),
        )

    # -- routes ----------------------------------------------------------------------

    @app.get("/health")
    async def health():
        if state.load_error:
            return JSONResponse({"status": "error", "error": state.load_error}, 503)
        if not state.ready.is_set():
            return JSONResponse({"status": "loading"}, 503)
        body = {"status": "ok", "model": name}
        if store is not None:
            count, pending = await asyncio.to_thread(lambda: (store.count(), store.pending_count()))
            body["posts"] = {"count": count, "pending_embeddings": pending}
            if worker.error is not None:
                body["posts"]["embedding_error"] = f"{type(worker.error).__name__}: {worker.error}"
        return body

    @app.get("/metrics")
    async def prometheus():
        body, content_type = metrics.render()
        return Response(body, media_type=content_type)

    @app.get("/", include_in_schema=False)
    async def page():
        return FileResponse(STATIC / "index.html", media_type="text/html")

    @app.get("/static/{name}", include_in_schema=False)
    async def static(name: str):
        f = STATIC / name
        if "/" in name or not f.is_file():
            raise StarletteHTTPException(404, f"no such file: {name}")
        return FileResponse(f)

    @app.get("/v1/models")
    async def models(request: Request):
        authorize(request)
        # A model that failed to load can never answer: list none rather than a dead one.
        return {"object": "list", "data": [] if state.load_error else [_model_card(name, state.created)]}

    @app.get("/v1/models/{model_id}")
    async def model(model_id: str, request: Request):
        authorize(request)
        check_model(model_id)
        if state.load_error:
            ready()  # 503 with the reason
        return _model_card(name, state.created)

    @app.post("/v1/chat/completions")
    async def chat(req: ChatCompletionRequest, request: Request):
        authorize(request)
        check_model(req.model)
        st = ready()
        if len(req.messages) > limits.max_messages:
            raise invalid(
                f"{len(req.messages)} messages; this server allows at most {limits.max_messages}", "messages"
            )
        msgs = [
            {"role": "system" if m.role == "developer" else m.role, "content": m.text()} for m in req.messages
        ]
        grounded = None
        if req.grounding and store is None:
            raise invalid("grounding needs a post store: start the server with --posts DB", "grounding")
        if store is not None and req.grounding is not False:
            from mynah.posts.ground import fit_with_answer, grounding_report, query_of
            from mynah.posts.search import search

            found = await asyncio.to_thread(search, store, query_of(msgs), ground_k, embedder=embedder)
            # The posts get their room before the answer: a requested max_tokens (else a
            # quarter of the context) shrinks to a minimum rather than a post being dropped.
            want = req.max_completion_tokens or req.max_tokens or st.engine.max_len // 4
            grounded = fit_with_answer(
                msgs,
                found,
                lambda m: st.tok.encode_chat(m, add_generation_prompt=True)[0],
                st.engine.max_len,
                want,
            )
            ids = grounded.ids
        else:
            ids, _ = st.tok.encode_chat(msgs, add_generation_prompt=True)
        if req.top_logprobs is not None and not req.logprobs:
            raise invalid("top_logprobs needs logprobs: true", "top_logprobs")
        params = sampling(req, req.max_completion_tokens or req.max_tokens, len(ids))
        lp = (req.top_logprobs or 0) if req.logprobs else None
        # Grounded answers are held to their posts (processors/quotes.py), one state a choice.
        procs = (lambda: grounded.processors(st.tok)) if grounded is not None and grounded.hits else None
        run = _Run(st, [ids] * req.n, params, req.seed, req.stops(), lp, metrics, procs)
        extra = None
        if grounded is not None:
            report = grounding_report(len(found), grounded, st.engine.max_len, params.max_tokens)
            extra = lambda texts: {"citations": grounded.citations(texts), "grounding": report}  # noqa: E731
        return await _respond(run, request, req, chat=True, model=name, extra=extra)

    @app.post("/v1/completions")
    async def completions(req: CompletionRequest, request: Request):
        authorize(request)
        check_model(req.model)
        st = ready()
        prompts = _prompts(req.prompt, st.tok)
        if len(prompts) * req.n > limits.max_n:
            raise invalid(
                f"{len(prompts)} prompts x n={req.n}; this server allows at most {limits.max_n} choices", "n"
            )
        params = sampling(req, req.max_tokens, max(len(p) for p in prompts))
        run = _Run(
            st,
            [p for p in prompts for _ in range(req.n)],
            params,
            req.seed,
            req.stops(),
            req.logprobs,
            metrics,
        )
        return await _respond(run, request, req, chat=False, model=name)

    # -- the live post store ----------------------------------------------------------------

    def need_store():
        if store is None:
            raise APIError(
                404, "this server has no post store (start it with --posts DB)", "invalid_request_error"
            )
        return store

    @app.post("/v1/posts")
    async def add_posts(body: PostsBatch, request: Request):
        authorize(request)
        db = need_store()
        from mynah.posts.ingest import ops_from_objects

        ops, rejected = ops_from_objects(body.posts)
        r = await asyncio.to_thread(db.apply, ops)
        worker.wake()
        return {"object": "posts.batch", **r, "rejected": rejected}

    @app.get("/v1/posts/search")
    async def search_posts(
        request: Request,
        q: str,
        k: int = 10,
        mode: str = "hybrid",
        since: str | None = None,
        until: str | None = None,
        author: str | None = None,
        lang: str | None = None,
        hashtag: str | None = None,
    ):
        authorize(request)
        db = need_store()
        from mynah.posts.search import MODES, search
        from mynah.posts.store import Filters, epoch

        if not 1 <= k <= 100:
            raise invalid("k must be between 1 and 100", "k")
        if mode not in MODES:
            raise invalid(f"mode must be one of {', '.join(MODES)}", "mode")
        for pname, v in (("since", since), ("until", until)):
            if v is not None and epoch(v) is None:
                raise invalid(f"{pname} must be an ISO 8601 time like 2026-01-05T07:00:00Z", pname)
        f = Filters(since=since, until=until, author=author, lang=lang, hashtag=hashtag)
        hits = await asyncio.to_thread(search, db, q, k, f, mode, embedder if mode != "bm25" else None)
        return {"object": "list", "data": [h.as_dict() for h in hits]}

    return app


def _model_card(name: str, created: int) -> dict:
    return {"id": name, "object": "model", "created": created, "owned_by": "mynah"}


def _prompts(prompt, tok) -> list[list[int]]:
    if isinstance(prompt, str):
        prompt = [prompt]
    if prompt and isinstance(prompt[0], int):
        prompt = [prompt]
    if not prompt:
        raise invalid("prompt is empty", "prompt")
    out = []
    for p in prompt:
        ids = tok.encode_doc(p) if isinstance(p, str) else list(p)
        if not ids or any(not 0 <= t < tok.vocab_size for t in ids):
            raise invalid("prompt token ids must be in the vocabulary", "prompt")
        out.append(ids)
    return out


class _Run:
    """The sequences of one request, their text and their events, bridged from the
    scheduler thread to the request's event loop."""

    def __init__(self, st: _State, prompts, params, seed, stop, logprobs, metrics, processors=None):
        from dataclasses import replace

        from mynah.generate import Detokenizer
        from mynah.serve.scheduler import Sequence

        self.st, self.metrics = st, metrics
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue = asyncio.Queue()
        self.prompt_tokens = sum(len(p) for p in prompts)
        self.detoks = [Detokenizer(st.tok, stop) for _ in prompts]
        self.completion_tokens = [0] * len(prompts)
        self.seqs = []
        for i, ids in enumerate(prompts):
            # n choices of one request differ in seed, as OpenAI's do; a fixed seed stays repeatable.
            p = replace(params, seed=None if seed is None else seed + i)
            if processors is not None:  # stateful: each sequence gets its own
                p = replace(p, logits_processors=[*p.logits_processors, *processors()])
            self.seqs.append(Sequence(ids, p, self._callback(i), logprobs=logprobs))
        self.started = time.perf_counter()

    def _callback(self, i: int):
        def on_step(step) -> None:
            if step.finish_reason:  # counted here: a client that left reads no more events
                # a stop string ends its sequence by a cancel (see events); it stopped
                stopped = step.finish_reason == "cancelled" and self.detoks[i].stopped
                self.metrics.finished.labels("stop" if stopped else step.finish_reason).inc()
            self.loop.call_soon_threadsafe(self.queue.put_nowait, (i, step))

        return on_step

    def submit(self) -> None:
        from mynah.engine import ContextOverflow
        from mynah.serve.scheduler import QueueFull

        try:
            self.st.scheduler.submit(self.seqs)
        except QueueFull as e:
            raise APIError(
                429, f"the server is busy ({e}); retry after a second", "rate_limit_error", code="queue_full"
            ) from None
        except ContextOverflow as e:
            raise invalid(str(e), "messages", "context_length_exceeded") from None

    def cancel(self) -> None:
        for s in self.seqs:
            s.cancel()

    async def events(self) -> AsyncIterator[tuple[int, str, str | None, object]]:
        """(choice, new text, finish reason, step) until every choice has finished."""
        open_ = set(range(len(self.seqs)))
        last = [0.0] * len(self.seqs)
        while open_:
            i, step = await self.queue.get()
            if i not in open_:
                continue
            d = self.detoks[i]
            now = time.perf_counter()
            if step.token is not None:
                self.completion_tokens[i] += 1
                if last[i] == 0.0:
                    self.metrics.ttft.observe(now - self.started)
                else:
                    self.metrics.itl.observe(now - last[i])
                last[i] = now
                self.metrics.generated.inc()
            reason = step.finish_reason
            text = d.push(
                step.token if step.token not in self.st.tok.stop_ids else None, final=reason is not None
            )
            if d.stopped and reason is None:
                self.seqs[i].cancel()  # a stop string: the scheduler frees the slot next step
                reason = "stop"
            if reason == "cancelled" and d.stopped:
                continue  # the cancel above; "stop" was already reported
            if reason == "error":
                raise APIError(500, "generation failed on the server", "server_error")
            if reason:
                open_.discard(i)
            yield i, text, reason, step

    def usage(self) -> dict:
        c = sum(self.completion_tokens)
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": c,
            "total_tokens": self.prompt_tokens + c,
        }


def _token_info(tok, token: int, logprob: float, top) -> dict:
    def one(t: int, lp: float) -> dict:
        b = tok.piece_bytes(t)
        return {"token": b.decode("utf-8", errors="replace"), "logprob": lp, "bytes": list(b)}

    out = one(token, logprob)
    out["top_logprobs"] = [one(t, lp) for t, lp in top or []]
    return out


async def _respond(
    run: _Run, request: Request, req, chat: bool, model: str, extra: Callable[[list[str]], dict] | None = None
):
    rid = ("chatcmpl-" if chat else "cmpl-") + uuid.uuid4().hex
    created = int(time.time())
    fp = run.st.fingerprint
    run.submit()
    run.metrics.prompt.inc(run.prompt_tokens)
    if req.stream:
        include_usage = bool(req.stream_options and req.stream_options.include_usage)
        return StreamingResponse(
            _stream(run, request, rid, created, model, fp, chat, include_usage, extra),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    texts = [""] * len(run.seqs)
    reasons: list[str | None] = [None] * len(run.seqs)
    lps: list[list] = [[] for _ in run.seqs]
    events = run.events()
    try:
        while True:
            # Wake up now and then to notice a client that has gone, and free its slots.
            nxt = asyncio.ensure_future(events.__anext__())
            while not nxt.done():
                await asyncio.wait({nxt}, timeout=0.5)
                if not nxt.done() and await request.is_disconnected():
                    nxt.cancel()
                    run.cancel()
                    return Response(status_code=499)
            try:
                i, text, reason, step = nxt.result()
            except StopAsyncIteration:
                break
            texts[i] += text
            if reason:
                reasons[i] = reason
            if step.token is not None and step.logprob is not None and step.token not in run.st.tok.stop_ids:
                lps[i].append((step.token, step.logprob, step.top_logprobs))
    finally:
        run.cancel()
    choices = []
    for i, (text, reason) in enumerate(zip(texts, reasons)):
        if chat:
            choices.append(
                {
                    "index": i,
                    "message": {"role": "assistant", "content": text, "refusal": None, "annotations": []},
                    "logprobs": None
                    if run.seqs[i].logprobs is None
                    else {
                        "content": [_token_info(run.st.tok, t, lp, top) for t, lp, top in lps[i]],
                        "refusal": None,
                    },
                    "finish_reason": reason,
                }
            )
        else:
            choices.append(
                {
                    "index": i,
                    "text": text,
                    "logprobs": None
                    if run.seqs[i].logprobs is None
                    else _completion_logprobs(run.st.tok, lps[i]),
                    "finish_reason": reason,
                }
            )
    return {
        "id": rid,
        "object": "chat.completion" if chat else "text_completion",
        "created": created,
        "model": model,
        "system_fingerprint": fp,
        "choices": choices,
        "usage": run.usage(),
        **(extra(texts) if extra else {}),
    }


def _completion_logprobs(tok, lps: list) -> dict:
    tokens, token_lps, tops, offsets, at = [], [], [], [], 0
    for t, lp, top in lps:
        s = tok.piece_bytes(t).decode("utf-8", errors="replace")
        tokens.append(s)
        token_lps.append(lp)
        tops.append({tok.piece_bytes(u).decode("utf-8", errors="replace"): v for u, v in top or []})
        offsets.append(at)
        at += len(s)
    return {"tokens": tokens, "token_logprobs": token_lps, "top_logprobs": tops, "text_offset": offsets}


async def _stream(
    run: _Run,
    request: Request,
    rid,
    created,
    model,
    fp,
    chat: bool,
    include_usage: bool,
    extra: Callable[[list[str]], dict] | None = None,
):
    """Server-sent events exactly as OpenAI sends them; the client going away cancels.
    `extra(texts)` (grounding's citations) rides on the final chunk before [DONE]."""

    def chunk(choices: list, usage=None) -> dict:
        body = {
            "id": rid,
            "object": "chat.completion.chunk" if chat else "text_completion",
            "created": created,
            "model": model,
            "system_fingerprint": fp,
            "choices": choices,
        }
        if include_usage:
            body["usage"] = usage
        return body

    def sse(body: dict) -> str:
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    # With `extra`, each chunk waits for the next, so the last one can carry it.
    held = None

    def put(body: dict) -> str | None:
        nonlocal held
        out, held = held, body
        if not extra:
            out, held = body, None
        return None if out is None else sse(out)

    try:
        if chat:  # the first chunk of each choice carries the role
            first = chunk(
                [
                    {
                        "index": i,
                        "delta": {"role": "assistant", "content": ""},
                        "logprobs": None,
                        "finish_reason": None,
                    }
                    for i in range(len(run.seqs))
                ]
            )
            if (out := put(first)) is not None:
                yield out
        texts = [""] * len(run.seqs)
        async for i, text, reason, step in run.events():
            texts[i] += text
            lp = None
            if step.logprob is not None and step.token is not None and step.token not in run.st.tok.stop_ids:
                info = [(step.token, step.logprob, step.top_logprobs)]
                lp = (
                    {"content": [_token_info(run.st.tok, *x) for x in info], "refusal": None}
                    if chat
                    else _completion_logprobs(run.st.tok, info)
                )
            if not text and not reason and lp is None:
                continue  # a token still held back (a possible stop string, a split character)
            if chat:
                delta = {"content": text} if text or not reason else {}
                body = chunk([{"index": i, "delta": delta, "logprobs": lp, "finish_reason": reason}])
            else:
                body = chunk([{"index": i, "text": text, "logprobs": lp, "finish_reason": reason}])
            if (out := put(body)) is not None:
                yield out
        if include_usage and (out := put(chunk([], run.usage()))) is not None:
            yield out
        if held is not None:
            yield sse({**held, **(extra(texts) if extra else {})})
        yield "data: [DONE]\n\n"
    except APIError as e:
        yield f"data: {json.dumps(error_body(e.message, e.type, e.param, e.code))}\n\n"
    finally:
        run.cancel()  # the client left (or we finished): free the slots at the next step


class _BodyLimit:
    """413 for a body over the limit, whether it declares its length or streams chunks."""

    def __init__(self, app, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            return await _too_large(send, self.max_bytes)
        seen = 0

        async def limited():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge()
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await _too_large(send, self.max_bytes)


class _TooLarge(Exception):
    pass


async def _too_large(send, limit: int) -> None:
    body = json.dumps(
        error_body(
            f"the request body is larger than this server's limit of {limit} bytes",
            "invalid_request_error",
            code="request_too_large",
        )
    ).encode()
    await send(
        {"type": "http.response.start", "status": 413, "headers": [(b"content-type", b"application/json")]}
    )
    await send({"type": "http.response.body", "body": body})
