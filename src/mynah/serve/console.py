"""The operator console: GET /console (the page) and its API under /console/api/, behind
the operator key (`[agent] operator_key_file`), sent as `Authorization: Bearer KEY` and
compared in constant time.

- GET  /console/api/conversations[?status=bot|human|closed]
- GET  /console/api/conversations/{platform}/{conv}        the conversation and its transcript
- POST /console/api/conversations/{platform}/{conv}/reply  {"text"}: sent as the business, by a person
- POST /console/api/conversations/{platform}/{conv}/release  back to the bot
- POST /console/api/conversations/{platform}/{conv}/takeover a person answers from now on
- POST /console/api/conversations/{platform}/{conv}/close

A person's reply goes through the same outbox as the bot's (sent once, retried, by the
process that holds the platform's adapter), and never through the model, so it is not
watermarked: it is the operator's own text.
"""

from __future__ import annotations

import asyncio
import hmac
import uuid

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse
from pydantic import Field

from mynah.serve.context import APIError, Ctx, bearer, invalid
from mynah.serve.protocol import _Request

router = APIRouter()


class Reply(_Request):
    text: str = Field(min_length=1, max_length=10_000)


def _host(ctx, request: Request):
    host = getattr(ctx, "agents", None)
    if host is None:
        raise APIError(
            404, "this server runs no agents (start it with --platform-config)", "invalid_request_error"
        )
    key = host.operator_key
    if not key:
        raise APIError(
            403, "the console needs an operator key: set [agent] operator_key_file", "invalid_request_error"
        )
    if not hmac.compare_digest(key.encode(), bearer(request)):
        raise APIError(
            401, "missing or invalid operator key", "invalid_request_error", code="invalid_api_key"
        )
    return host


def _conv(host, platform: str, conv: str):
    v = host.state.conversation(platform, conv)
    if v is None:
        raise APIError(404, f"no conversation {platform}/{conv}", "invalid_request_error", code="not_found")
    return v


@router.get("/console", include_in_schema=False)
async def page():
    from mynah.serve.app import STATIC

    return FileResponse(STATIC / "console.html", media_type="text/html")


@router.get("/console/api/conversations")
async def conversations(request: Request, ctx: Ctx, status: str | None = None):
    host = _host(ctx, request)
    from mynah.social.state import STATUSES

    if status is not None and status not in STATUSES:
        raise invalid(f"status must be one of {', '.join(STATUSES)}", "status")

    def read():
        out = []
        for v in host.state.conversations(status):
            last = host.state.transcript(v.platform, v.conv, 1)
            out.append({**_public(v), "last": last[0] if last else None})
        return out

    return {"object": "list", "data": await asyncio.to_thread(read)}


def _public(v) -> dict:
    return {
        "platform": v.platform,
        "conversation": v.conv,
        "customer": v.customer,
        "status": v.status,
        "reason": v.reason,
        "opted_out": bool(v.opted_out),
        "updated": v.updated,
    }


@router.get("/console/api/conversations/{platform}/{conv}")
async def conversation(platform: str, conv: str, request: Request, ctx: Ctx):
    host = _host(ctx, request)
    v = await asyncio.to_thread(_conv, host, platform, conv)
    return {**_public(v), "transcript": await asyncio.to_thread(host.state.transcript, platform, conv)}


@router.post("/console/api/conversations/{platform}/{conv}/reply")
async def reply(platform: str, conv: str, body: Reply, request: Request, ctx: Ctx):
    from mynah.social.platforms.base import Send

    host = _host(ctx, request)
    v = await asyncio.to_thread(_conv, host, platform, conv)
    text = body.text.strip()
    if not text:
        raise invalid("the reply is empty", "text")
    s = Send(f"human:{uuid.uuid4().hex}", platform, "dm", text, conv, dict(v.ref or {}), v.customer_id)
    v.status = "human"  # a person answering holds the conversation until they release it
    await asyncio.to_thread(host.state.queue, s, v, ("human", text, None))
    host.runner.wake()
    return {"queued": s.key, **_public(v)}


async def _set(platform: str, conv: str, request: Request, ctx, status: str):
    host = _host(ctx, request)
    v = await asyncio.to_thread(_conv, host, platform, conv)
    v.status = status
    if status == "bot":
        v.reason, v.unanswered = None, 0
    await asyncio.to_thread(host.state.save, v)
    return _public(v)


@router.post("/console/api/conversations/{platform}/{conv}/release")
async def release(platform: str, conv: str, request: Request, ctx: Ctx):
    return await _set(platform, conv, request, ctx, "bot")


@router.post("/console/api/conversations/{platform}/{conv}/takeover")
async def takeover(platform: str, conv: str, request: Request, ctx: Ctx):
    return await _set(platform, conv, request, ctx, "human")


@router.post("/console/api/conversations/{platform}/{conv}/close")
async def close(platform: str, conv: str, request: Request, ctx: Ctx):
    return await _set(platform, conv, request, ctx, "closed")
