"""The operational routes: GET /health, GET /metrics, GET /v1/models.

/health and /metrics are open without an API key (load balancers and Prometheus scrape
them); both say whether the watermark is on, and /health names its key id.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from mynah.serve.context import Ctx

router = APIRouter()


@router.get("/health")
async def health(ctx: Ctx):
    state = ctx.state
    if state.load_error:
        return JSONResponse({"status": "error", "error": state.load_error}, 503)
    if not state.ready.is_set():
        return JSONResponse({"status": "loading"}, 503)
    im = ctx.images.service if ctx.images is not None else None
    if im is not None and im.load_error:
        return JSONResponse({"status": "error", "error": f"image model: {im.load_error}"}, 503)
    if im is not None and not im.ready.is_set():
        return JSONResponse({"status": "loading", "loading": "image model"}, 503)
    wm = ctx.watermark
    body = {
        "status": "ok",
        "model": ctx.name,
        "watermark": {"enabled": True, **wm.provenance()} if wm is not None else {"enabled": False},
    }
    if im is not None:
        body["images"] = {
            "model": im.model_id,
            "queued": im.pending(),
            "max_queue": im.max_queue,
            "done": im.done,
            "cancelled": im.cancelled,
        }
    if ctx.store is not None:
        store, worker = ctx.store, ctx.worker
        count, pending = await asyncio.to_thread(lambda: (store.count(), store.pending_count()))
        body["posts"] = {"count": count, "pending_embeddings": pending}
        if worker.error is not None:
            body["posts"]["embedding_error"] = f"{type(worker.error).__name__}: {worker.error}"
    return body


@router.get("/metrics")
async def prometheus(ctx: Ctx):
    body, content_type = ctx.metrics.render()
    return Response(body, media_type=content_type)


def _model_card(name: str, created: int) -> dict:
    return {"id": name, "object": "model", "created": created, "owned_by": "mynah"}


@router.get("/v1/models")
async def models(request: Request, ctx: Ctx):
    ctx.authorize(request)
    # A model that failed to load can never answer: list none rather than a dead one.
    state = ctx.state
    data = [] if state.load_error else [_model_card(ctx.name, state.created)]
    im = ctx.images.service if ctx.images is not None else None
    if im is not None and im.ready.is_set():  # the image model, as OpenAI lists its image models
        data.append(_model_card(im.model_id, state.created))
    return {"object": "list", "data": data}


@router.get("/v1/models/{model_id}")
async def model(model_id: str, request: Request, ctx: Ctx):
    ctx.authorize(request)
    ctx.check_model(model_id)
    if ctx.state.load_error:
        ctx.ready()  # 503 with the reason
    return _model_card(ctx.name, ctx.state.created)
