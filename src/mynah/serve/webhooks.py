"""X's Account Activity webhook: GET /webhooks/x (the CRC challenge) and POST /webhooks/x
(events), on `mynah serve --platform-config` with an [x] section.

The POST's signature (`x-twitter-webhooks-signature`, HMAC-SHA256 of the raw body with the
consumer secret) is checked over the bytes as received, in constant time, before anything
is parsed: a bad or missing one is a 401 and nothing is stored. A genuine delivery's
events are written to the durable inbox before the 200; the answer is produced after it,
by the agents' workers. What cannot be used (malformed JSON, an unknown event type, a
missing field, another account's event) is logged and acknowledged: X would only deliver
it again.
"""

from __future__ import annotations

import asyncio
import json

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from mynah.serve.context import Ctx, invalid

router = APIRouter()


def _host(ctx):
    host = getattr(ctx, "agents", None)
    if host is None or "x" not in host.adapters:
        from mynah.serve.context import APIError

        raise APIError(
            404,
            "this server has no X account (start it with --platform-config and an [x] section)",
            "invalid_request_error",
        )
    return host


@router.get("/webhooks/x", include_in_schema=False)
async def crc(ctx: Ctx, crc_token: str | None = None):
    from mynah.social.platforms.x import crc_response

    host = _host(ctx)
    if not crc_token:
        raise invalid("crc_token is missing", "crc_token")
    return crc_response(host.cfg.get("x", "consumer_secret"), crc_token)


@router.post("/webhooks/x", include_in_schema=False)
async def events(request: Request, ctx: Ctx):
    from mynah.social.platforms.x import parse_events, verify_signature
    from mynah.social.runner import log

    host = _host(ctx)
    raw = await request.body()
    secret = host.cfg.get("x", "consumer_secret")
    if not verify_signature(secret, raw, request.headers.get("x-twitter-webhooks-signature")):
        return JSONResponse({"error": "bad or missing x-twitter-webhooks-signature"}, 401)
    try:
        payload = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        log(f"x webhook: malformed JSON ({e}); acknowledged, nothing done")
        return {"accepted": 0, "duplicates": 0}
    if not isinstance(payload, dict):
        log("x webhook: the body is not a JSON object; acknowledged, nothing done")
        return {"accepted": 0, "duplicates": 0}
    evs, notes = parse_events(payload, host.adapters["x"].account_id)
    for n in notes:
        if ": own " not in n:  # X echoes every post and DM of the account: expected, not news
            log(f"x webhook: {n}")
    if not evs:
        return {"accepted": 0, "duplicates": 0}
    # the inbox's own threads: the default pool also runs the endpoints' searches and prompt
    # fitting, and an acknowledgement must not queue behind them
    loop = asyncio.get_running_loop()
    new, dup = await loop.run_in_executor(host.inbox_pool, host.runner.accept, evs)
    return {"accepted": new, "duplicates": dup}
