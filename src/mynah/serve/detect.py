"""POST /v1/detect: "did this come from our assistant?", answered with the deployment's key.

The key never leaves the server; the endpoint is the public interface to it. It is open
without an API key by default (anyone should be able to ask) and limited per client, in
texts a minute, because an open detector is also an oracle: someone editing a text until
its score drops could learn to scrub the watermark. The limit slows that to a few dozen
tries a minute from one address, which is what it can do; the README says what it cannot.
`--detect-requires-key` closes the endpoint to key holders, who are not rate-limited.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time

from fastapi import APIRouter, Request

from mynah.serve.context import APIError, Ctx
from mynah.serve.protocol import DetectRequest

router = APIRouter()


class RateLimiter:
    """A token bucket per client: `per_minute` texts a minute, bursts up to `burst` (by
    default a minute's worth, at least 64). A request of more texts than the burst could
    never pass, however long it waited: `take` refuses it outright rather than answer
    429 with a wait that would not help."""

    def __init__(self, per_minute: float = 120, burst: int | None = None, max_clients: int = 10_000):
        if burst is None:
            burst = max(64, int(per_minute))
        if per_minute <= 0 or burst < 1:
            raise ValueError("the detect rate limit must be positive")
        self.rate, self.burst, self.max_clients = per_minute / 60.0, float(burst), max_clients
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, client: str, n: int) -> float:
        """0 if `n` texts may go now, else the seconds to wait; math.inf if they never can."""
        if n > self.burst:
            return math.inf
        now = time.monotonic()
        with self._lock:
            level, at = self._buckets.get(client, (self.burst, now))
            level = min(self.burst, level + (now - at) * self.rate)
            if n > level:
                self._buckets[client] = (level, now)
                return (n - level) / self.rate
            self._buckets[client] = (level - n, now)
            if len(self._buckets) > self.max_clients:  # forget the clients that are full again
                full = [c for c, (lv, t) in self._buckets.items() if lv + (now - t) * self.rate >= self.burst]
                for c in full:
                    del self._buckets[c]
            return 0.0


@router.post("/v1/detect")
async def detect(req: DetectRequest, request: Request, ctx: Ctx):
    keyed = False
    if ctx.keys:
        if ctx.detect_requires_key:
            ctx.authorize(request)
            keyed = True
        elif request.headers.get("authorization"):
            ctx.authorize(request)  # a key sent must be a valid one
            keyed = True
    ctx.ready()
    if ctx.detector is None:
        raise APIError(
            404,
            "this server runs without a watermark (--no-watermark), so it has nothing to detect",
            "invalid_request_error",
            code="watermark_off",
        )
    texts = req.texts()
    if not texts:
        raise APIError(
            400, "input is an empty list; send a text or a list of texts", "invalid_request_error", "input"
        )
    if not keyed and ctx.detect_limiter is not None:
        client = request.client.host if request.client else "unknown"
        wait = ctx.detect_limiter.take(client, len(texts))
        if wait == math.inf:
            raise APIError(
                400,
                f"without an API key the detector takes at most {int(ctx.detect_limiter.burst)} texts a "
                f"request (got {len(texts)}); send them in smaller batches",
                "invalid_request_error",
                "input",
                code="too_many_texts",
            )
        if wait:
            raise APIError(
                429,
                f"the detector is rate-limited to {ctx.detect_limiter.rate * 60:g} texts a minute per client; "
                f"retry in {math.ceil(wait)} s",
                "rate_limit_error",
                code="rate_limited",
                retry_after=math.ceil(wait),
            )
    scores = await asyncio.to_thread(ctx.detector.score, texts)
    for s in scores:
        ctx.metrics.detected.labels(s.verdict).inc()
    return {
        "object": "list",
        "data": [{"object": "watermark.detection", "index": i, **s.as_dict()} for i, s in enumerate(scores)],
        "model": ctx.name,
        "watermark": ctx.detector.describe(),
        "created": int(time.time()),
    }
