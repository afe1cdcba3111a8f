"""The OpenAI-compatible server: the app, its lifecycle and its smaller routes.

Endpoints: POST /v1/chat/completions and POST /v1/completions (serve/chat.py), GET
/v1/models, GET /health (503 until the model has loaded) and GET /metrics (Prometheus) in
serve/ops.py, POST /v1/detect (serve/detect.py), the images API (serve/images.py), the chat
page at /, and with --posts POST /v1/posts and GET /v1/posts/search. Errors use
OpenAI's shape, {"error": {"message", "type", "param", "code"}}, with the matching HTTP
status. Routes share one ServeContext (serve/context.py); new API families go in their own
APIRouter module, as serve/chat.py does.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from mynah.serve import chat, console, detect, images, ops, social, webhooks
from mynah.serve.context import (  # noqa: F401 (Limits and load_keys: the CLI's names for them)
    APIError,
    Limits,
    ModelState,
    ServeContext,
    error_body,
    invalid,
    load_keys,
)
from mynah.serve.metrics import CountRequests
from mynah.serve.protocol import PostsBatch

STATIC = Path(__file__).parent / "static"


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
    watermark_key: bytes | None = None,
    watermark_delta: float | None = None,
    detect_requires_key: bool = False,
    detect_per_minute: float = 120,
    guard=None,
    mastodon_max_characters: int | None = None,
    agents: dict | None = None,
    image_model: str | os.PathLike | None = None,
    image_signer=None,
    image_options: dict | None = None,
) -> FastAPI:
    """The app. The model loads in a background thread when the app starts (so /health can
    answer 503 meanwhile); `loader`, if given, returns (model, tokenizer) instead of
    reading `model_dir`. With `posts` (a post store), chat answers are grounded in it and
    /v1/posts takes new posts. With `watermark_key`, everything generated is watermarked
    and /v1/detect answers for it; `mynah serve` always passes one unless --no-watermark.
    `watermark_delta` overrides the bias (the detector needs only gamma, so any delta is
    detected by the same key). With `guard` (a safety.guard.Guard, loaded), every request
    and answer goes through the policy layer; `mynah serve` passes one unless --no-policy.
    With `agents` ({"config": a social.config.PlatformConfig, "state_dir", "self_url"}), the
    X webhook and the operator console are served, and the X account's events are answered
    by the agents' workers, which generate through this server's own API (`self_url`).
    With `image_model` (a diffusers pipeline folder, safetensors only: checked here, so a
    bad folder stops the server before it starts), /v1/images/generations draws with it in
    a worker process; `image_options` are ImageService's (max_queue, steps, guidance, ...)
    and ImagesState's limits (max_n, max_side, max_steps). `image_signer` (an
    images.provenance.Signer) signs every image's C2PA manifest; without one a throwaway
    self-signed certificate is made on first use."""
    from mynah.serve.metrics import Metrics

    limits = limits or Limits()
    name = model_name or Path(model_dir).resolve().name
    state = ModelState()
    metrics = Metrics()
    store = embedder = worker = None
    from mynah.posts.embed import Embedder, EmbedThread, EmbedWorker

    if guard is not None and not isinstance(guard.embedder, EmbedThread):
        guard.embedder = EmbedThread(guard.embedder)  # (mynah serve's guard has one already)
    if posts is not None:
        from mynah.posts.store import open_store

        store = open_store(posts)  # a corrupt or locked store stops the server here, not later
        # one model for the policy and the store, on the one embedding thread (EmbedThread);
        # new posts in batches of 64, so a query waits for at most one
        embedder = guard.embedder if guard is not None else EmbedThread(Embedder())
        worker = EmbedWorker(store, embedder, batch=64)
    ctx = ServeContext(
        name, limits, metrics, [k.encode() for k in api_keys or []], state, store, embedder, worker, ground_k
    )
    if watermark_key is not None:
        from mynah.serve.detect import RateLimiter

        ctx.watermark_key = watermark_key
        ctx.detect_requires_key = detect_requires_key
        ctx.detect_limiter = RateLimiter(detect_per_minute)
    metrics.watermark.set(1 if watermark_key is not None else 0)
    ctx.mastodon_max_characters = mastodon_max_characters
    if guard is not None:
        ctx.guard, guard.metrics = guard, metrics
    metrics.policy_enabled.set(1 if guard is not None else 0)
    authorize = ctx.authorize
    if image_model is not None or image_signer is not None:
        ctx.images = images.ImagesState.build(image_model, image_signer, image_options)
    if agents is not None:
        import secrets

        from mynah.social.host import build

        # the agents call this server like any client; with keys on they get one of their
        # own, made for this process and never written anywhere
        own_key = None
        if ctx.keys:
            own_key = secrets.token_urlsafe(32)
            ctx.keys.append(own_key.encode())
        ctx.agents = build(
            agents["config"], agents["state_dir"], agents["self_url"], own_key, ("x",), embedder=embedder
        )

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
            if ctx.watermark_key is not None:
                from mynah.processors.watermark import Watermarker
                from mynah.provenance.detect import Detector
                from mynah.provenance.watermark import Scheme

                scheme = Scheme(delta=watermark_delta) if watermark_delta is not None else None
                ctx.watermark = Watermarker(ctx.watermark_key, tok, scheme)
                # one set of green lists and token bytes for generating and detecting
                wm = ctx.watermark
                ctx.detector = Detector(ctx.watermark_key, tok, green=wm.green, pieces=wm.pieces)
            if ctx.watermark is not None:  # every bias row now, not on each context's first use
                import torch

                p = next(model.parameters())
                ctx.watermark.warm(p.device, torch.float32, model.cfg.vocab_size)  # processors see fp32
            state.engine = Engine(model, max_batch=max_batch, compile=compile)
            state.scheduler = Scheduler(state.engine, max_queue=max_queue)
            metrics.watch(state.scheduler)
            state.scheduler.start()
            if embedder is not None:
                embedder.model  # noqa: B018 - load the query encoder before the first request
                worker.start()
            state.ready.set()
            if ctx.agents is not None:
                ctx.agents.runner.start()
        except Exception as e:  # shown by /health and every request, instead of a dead thread
            state.load_error = f"{type(e).__name__}: {e}"

    async def lifespan(app: FastAPI):
        threading.Thread(target=load, name="mynah-load", daemon=True).start()
        if ctx.images is not None:
            ctx.images.start()  # the image model loads in its own process, beside the text model
        yield
        if ctx.images is not None:
            ctx.images.stop()
        if ctx.agents is not None:
            ctx.agents.stop()
        if state.scheduler is not None:
            state.scheduler.stop()
        if worker is not None:
            if worker.is_alive():
                worker.stop()
            store.close()

    app = FastAPI(title="mynah", version="0.1.0", lifespan=lifespan)
    app.state.mynah = state
    app.state.ctx = ctx
    app.include_router(chat.router)
    app.include_router(ops.router)
    app.include_router(detect.router)
    app.include_router(social.router)
    app.include_router(webhooks.router)
    app.include_router(console.router)
    app.include_router(images.router)

    # -- errors in OpenAI's shape -------------------------------------------------------

    @app.exception_handler(APIError)
    async def _api_error(request: Request, e: APIError):
        headers = {"Retry-After": str(e.retry_after or 1)} if e.status == 429 else None
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
    # plain ASGI, not @app.middleware("http"): Starlette's BaseHTTPMiddleware hides a client's
    # disconnect from request.is_disconnected() once the body is read, and the image routes
    # (and non-streamed chat) need to see it to cancel work nobody waits for
    app.add_middleware(CountRequests, metrics=metrics)

    # -- helpers ----------------------------------------------------------------------

    # -- routes ----------------------------------------------------------------------

    @app.get("/", include_in_schema=False)
    async def page():
        return FileResponse(STATIC / "index.html", media_type="text/html")

    @app.get("/static/{name}", include_in_schema=False)
    async def static(name: str):
        f = STATIC / name
        if "/" in name or not f.is_file():
            raise StarletteHTTPException(404, f"no such file: {name}")
        return FileResponse(f)

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
