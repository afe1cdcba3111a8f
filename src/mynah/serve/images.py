"""The images API: POST /v1/images/generations (OpenAI's, backed by a local diffusers
pipeline: `mynah serve --image-model DIR`), and two data images drawn from the post store,
POST /v1/images/chart and POST /v1/images/card. GET /v1/images/files/{name} serves the
images of `response_format: "url"` for an hour.

Every image leaves through `_finish`: it is stamped there (images/provenance.py: C2PA
manifest, XMP, and for generated images the pixel mark the worker wrote), so no route can
return an unmarked image. A refused prompt is a 400 with code `content_policy_violation`,
as OpenAI's image API answers one and as the writing tools do.

Generation follows the text scheduler's discipline: a bounded queue (429 with Retry-After
when it is full), one image job at a time in a worker process (images/pipeline.py), and a
request whose client disconnects is dropped from the queue or interrupted mid-loop.
"""

from __future__ import annotations

import asyncio
import base64
import re
import secrets
import threading
import time
import uuid
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import Field

from mynah.serve.context import APIError, Ctx, ServeContext, invalid
from mynah.serve.protocol import _Request

router = APIRouter()

URL_TTL = 3600  # seconds a `url` image stays fetchable, as OpenAI's do
# Charts and cards are drawn on one thread: matplotlib keeps its fonts per thread (FreeType
# faces are not thread-safe), so on asyncio's pool each new thread loaded them cold and a
# chart took 2-3 times as long; one thread also keeps matplotlib itself single-threaded.
_DRAW = ThreadPoolExecutor(1, thread_name_prefix="mynah-draw")
URL_KEEP = 256  # images kept for URLs at most (the oldest go first)
MAX_PROMPT = 4000


@dataclass
class ImagesState:
    """What the image routes share: the worker (None without --image-model), the
    deployment's signer, the limits and the images waiting to be fetched by URL."""

    signer: object  # images.provenance.Signer
    service: object | None = None  # images.pipeline.ImageService
    max_n: int = 4
    max_side: int = 1024
    max_steps: int = 50
    files: OrderedDict = field(default_factory=OrderedDict)  # name -> (png, expires)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def build(cls, model=None, signer=None, options: dict | None = None) -> ImagesState:
        """`options`: ImageService's (max_queue, steps, guidance, ...) and the limits here
        (max_n, max_side, max_steps). The model folder is checked now (safetensors only)."""
        from mynah.images.pipeline import ImageService
        from mynah.images.provenance import Signer

        opts = dict(options or {})
        limits = {k: opts.pop(k) for k in ("max_n", "max_side", "max_steps") if k in opts}
        service = ImageService(model, **opts) if model is not None else None
        return cls(signer or Signer.ephemeral(), service, **limits)

    def start(self) -> None:
        if self.service is not None:
            self.service.start()

    def stop(self) -> None:
        if self.service is not None:
            self.service.stop()

    def keep(self, png: bytes) -> str:
        name = secrets.token_urlsafe(24) + ".png"  # the URL is the capability: unguessable
        now = time.time()
        with self.lock:
            self.files[name] = (png, now + URL_TTL)
            while len(self.files) > URL_KEEP or (self.files and next(iter(self.files.values()))[1] < now):
                self.files.popitem(last=False)
        return name

    def fetch(self, name: str) -> bytes | None:
        with self.lock:
            got = self.files.get(name)
        return got[0] if got and got[1] >= time.time() else None


def _state(ctx: ServeContext) -> ImagesState:
    if ctx.images is None:  # create_app always makes one; an embedder's own app may not
        from mynah.images.provenance import Signer

        ctx.images = ImagesState(Signer.ephemeral())
    return ctx.images


# -- requests ---------------------------------------------------------------------------


class ImageGenerationRequest(_Request):
    prompt: str = Field(max_length=MAX_PROMPT)
    model: str | None = None
    n: int = Field(1, ge=1)
    size: str | None = "auto"
    response_format: Literal["b64_json", "url"] | None = "b64_json"
    output_format: Literal["png"] | None = "png"  # the only format that carries the XMP chunk we write
    quality: Literal["auto", "low", "medium", "high", "standard", "hd"] | None = None  # steps decide
    background: Literal["auto", "opaque"] | None = None
    moderation: Literal["auto", "low"] | None = None  # the deployment's policy applies either way
    user: str | None = None
    seed: int | None = None
    # diffusers' own, as extras
    num_inference_steps: int | None = Field(None, ge=1)
    guidance_scale: float | None = Field(None, ge=0, le=30)
    negative_prompt: str | None = Field(None, max_length=MAX_PROMPT)


class ChartRequest(_Request):
    query: str = Field("", max_length=500)
    since: str | None = None
    until: str | None = None
    by: Literal["hour", "day"] = "day"
    response_format: Literal["b64_json", "url"] | None = "b64_json"


class CardRequest(_Request):
    post_id: str = Field(min_length=1, max_length=500)
    response_format: Literal["b64_json", "url"] | None = "b64_json"


_SIZE = re.compile(r"^(\d{1,5})x(\d{1,5})$")


def _size(req: ImageGenerationRequest, st: ImagesState) -> tuple[int, int]:
    if req.size in (None, "auto"):
        side = st.service.info.get("default_size", 512)
        return side, side
    m = _SIZE.match(req.size)
    w, h = (int(m[1]), int(m[2])) if m else (0, 0)
    if not (m and 64 <= w <= st.max_side and 64 <= h <= st.max_side and w % 64 == 0 and h % 64 == 0):
        raise invalid(
            f"size {req.size!r}: give 'auto' or WIDTHxHEIGHT, each side a multiple of 64 from 64 to "
            f"{st.max_side} (e.g. '512x512')",
            "size",
        )
    return w, h


# -- the routes ---------------------------------------------------------------------------


@router.post("/v1/images/generations")
async def generations(req: ImageGenerationRequest, request: Request, ctx: Ctx):
    from mynah.images.pipeline import Busy, Cancelled, Job

    ctx.authorize(request)
    st = _state(ctx)
    svc = st.service
    if svc is None:
        raise APIError(
            404,
            "no image model configured: start the server with --image-model DIR (a diffusers pipeline "
            "folder); charts and cards (/v1/images/chart, /v1/images/card) work without one",
            "invalid_request_error",
            "model",
            "model_not_found",
        )
    if req.model is not None and req.model != svc.model_id:
        raise APIError(
            404,
            f"the image model {req.model!r} does not exist; this server draws with {svc.model_id!r}",
            "invalid_request_error",
            "model",
            "model_not_found",
        )
    if not req.prompt.strip():
        raise invalid("prompt is empty: say what the image should show", "prompt")
    if req.n > st.max_n:
        raise invalid(f"n is {req.n}; this server makes at most {st.max_n} images a request", "n")
    if req.num_inference_steps is not None and req.num_inference_steps > st.max_steps:
        raise invalid(
            f"num_inference_steps is {req.num_inference_steps}; this server allows at most {st.max_steps}",
            "num_inference_steps",
        )
    rid = "img-" + uuid.uuid4().hex
    policy = None
    if ctx.guard is not None:
        d = await asyncio.to_thread(ctx.guard.check_image_prompt, req.prompt)
        ctx.guard.record(d, rid, "/v1/images/generations", req.prompt)
        if d.refused:
            raise APIError(400, d.message, "invalid_request_error", "prompt", "content_policy_violation")
        policy = d.public()
    if svc.load_error:
        raise APIError(
            503, f"the image model failed to load: {svc.load_error}", "server_error", code="model_not_loaded"
        )
    if not svc.ready.is_set():
        raise APIError(
            503, "the image model is still loading; try again shortly", "server_error", code="model_loading"
        )
    w, h = _size(req, st)
    job = Job(
        prompt=req.prompt,
        n=req.n,
        width=w,
        height=h,
        steps=req.num_inference_steps,
        guidance_scale=req.guidance_scale,
        negative_prompt=req.negative_prompt,
        seed=req.seed,
    )
    try:
        fut = svc.submit(job)
    except Busy:
        raise APIError(
            429,
            f"the image queue is full ({svc.max_queue} requests); try again shortly",
            "rate_limit_error",
            code="queue_full",
            retry_after=2,
        ) from None
    wrapped = asyncio.wrap_future(fut)
    while True:
        done, _ = await asyncio.wait({wrapped}, timeout=0.1)
        if done:
            break
        if await request.is_disconnected():
            svc.cancel(fut)
            return Response(status_code=499)
    try:
        images = wrapped.result()
    except Cancelled:
        return Response(status_code=499)
    except RuntimeError as e:
        raise APIError(500, f"image generation failed: {e}", "server_error") from None
    from mynah.images.provenance import Stamp

    out = []
    for png, marked in images:
        item = await _finish(st, png, Stamp("generated", svc.model_id), req.response_format, request)
        item["data"]["revised_prompt"] = req.prompt  # mynah does not rewrite prompts
        item["provenance"]["pixel_watermark"] = marked
        out.append(item)
    return {
        "created": int(time.time()),
        "data": [i["data"] for i in out],
        "output_format": "png",
        "size": f"{w}x{h}",
        "provenance": [i["provenance"] for i in out],
        "policy": policy,
    }


@router.post("/v1/images/chart")
async def chart(req: ChartRequest, request: Request, ctx: Ctx):
    from mynah.images.charts import caption, render_chart, span
    from mynah.images.provenance import Stamp

    ctx.authorize(request)
    st = _state(ctx)
    store = _store(ctx, "query")
    vol = await asyncio.to_thread(_volume, store, req)
    png = await _draw(render_chart, vol)
    cap = caption(vol)
    extra = {"query": req.query, "by": req.by, "post_count": vol.total, "range": span(vol)}
    item = await _finish(
        st, png, Stamp("chart", "mynah-chart", title=cap, extra=extra), req.response_format, request
    )
    item["data"]["revised_prompt"] = cap
    return {
        "created": int(time.time()),
        "data": [item["data"]],
        "output_format": "png",
        "caption": cap,
        "post_count": vol.total,
        "series": {"by": vol.by, "buckets": vol.buckets, "counts": vol.counts, "languages": vol.langs},
        "provenance": item["provenance"],
    }


@router.post("/v1/images/card")
async def card(req: CardRequest, request: Request, ctx: Ctx):
    from mynah.images.cards import caption, render_card
    from mynah.images.provenance import Stamp
    from mynah.social import tools

    ctx.authorize(request)
    st = _state(ctx)
    store = _store(ctx, "post_id")
    post = await asyncio.to_thread(tools.find_post, store, req.post_id)
    if post is None:
        raise APIError(
            404, f"no post {req.post_id!r} in the store", "invalid_request_error", "post_id", "post_not_found"
        )
    png = await _draw(render_card, post)
    cap = caption(post)
    s = Stamp("card", "mynah-card", title=cap, post=post.as_dict())
    item = await _finish(st, png, s, req.response_format, request)
    item["data"]["revised_prompt"] = cap
    return {
        "created": int(time.time()),
        "data": [item["data"]],
        "output_format": "png",
        "caption": cap,
        "post": post.as_dict(),
        "provenance": item["provenance"],
    }


@router.get("/v1/images/files/{name}", include_in_schema=False)
async def files(name: str, ctx: Ctx):
    png = _state(ctx).fetch(name)
    if png is None:
        raise APIError(
            404, "no such image (image URLs last an hour)", "invalid_request_error", code="not_found"
        )
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})


# -- helpers ------------------------------------------------------------------------------


async def _draw(fn, *args) -> bytes:
    return await asyncio.get_running_loop().run_in_executor(_DRAW, fn, *args)


def _store(ctx: ServeContext, param: str):
    if ctx.store is None:
        raise APIError(
            404,
            "this server has no post store (start it with --posts DB); charts and cards are drawn from it",
            "invalid_request_error",
            param,
        )
    return ctx.store


def _volume(store, req: ChartRequest):
    from mynah.posts.store import StoreError

    try:
        return store.volume(req.query, req.since, req.until, req.by)
    except StoreError as e:
        msg = str(e)
        field_ = next((f for f in ("since", "until", "by", "query") if msg.startswith(f)), None)
        if field_ is None and "bucket" not in msg:
            raise  # a locked or damaged store: the app's 503
        raise invalid(msg, field_ or "by") from None


async def _finish(st: ImagesState, png: bytes, s, fmt: str | None, request: Request) -> dict:
    """Stamp one image and shape its `data` item: the one way out for every image."""
    from mynah.images.provenance import stamp

    signed, prov = await asyncio.to_thread(stamp, png, s, st.signer)
    if fmt == "url":
        name = st.keep(signed)
        data = {"url": str(request.base_url).rstrip("/") + f"/v1/images/files/{name}"}
    else:
        data = {"b64_json": base64.b64encode(signed).decode()}
    return {"data": data, "provenance": prov}
