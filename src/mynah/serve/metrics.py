"""Prometheus metrics of one server (its own registry, so several apps can live in one process)."""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

_LATENCY = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class Metrics:
    def __init__(self):
        r = self.registry = CollectorRegistry()
        self.requests = Counter(
            "mynah_requests", "API requests by endpoint and HTTP status", ["endpoint", "status"], registry=r
        )
        self.prompt = Counter("mynah_prompt_tokens", "prompt tokens of admitted requests", registry=r)
        self.generated = Counter("mynah_generation_tokens", "tokens generated", registry=r)
        self.finished = Counter(
            "mynah_sequences_finished",
            "sequences that ended, by reason: stop, length, cancelled (the client left), error",
            ["reason"],
            registry=r,
        )
        self.watermark = Gauge(
            "mynah_watermark_enabled", "1 when everything generated carries the watermark, else 0", registry=r
        )
        self.detected = Counter(
            "mynah_detect_texts",
            "texts scored by /v1/detect, by verdict: watermarked, not_watermarked, too_short",
            ["verdict"],
            registry=r,
        )
        self.policy = Counter(
            "mynah_policy_decisions",
            "policy decisions by stage (input, output), decision (allow, refuse) and category",
            ["stage", "decision", "category"],
            registry=r,
        )
        self.policy_enabled = Gauge(
            "mynah_policy_enabled", "1 when requests and answers go through the policy layer", registry=r
        )
        self.queue = Gauge("mynah_queue_depth", "sequences waiting for a batch slot", registry=r)
        self.batch = Gauge("mynah_batch_size", "sequences in the running batch", registry=r)
        self.ttft = Histogram(
            "mynah_time_to_first_token_seconds",
            "request start to its first token",
            buckets=_LATENCY,
            registry=r,
        )
        self.itl = Histogram(
            "mynah_inter_token_latency_seconds",
            "time between two tokens of one sequence",
            buckets=_LATENCY,
            registry=r,
        )

    def request(self, endpoint: str, status: int) -> None:
        self.requests.labels(endpoint, str(status)).inc()

    def watch(self, scheduler) -> None:
        """Queue depth and batch size are read from the scheduler when scraped: always current."""
        self.queue.set_function(lambda: scheduler.queue_depth)
        self.batch.set_function(lambda: scheduler.batch_size)

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class CountRequests:
    """ASGI middleware: counts /v1/ requests by path and status for /metrics."""

    def __init__(self, app, metrics: Metrics):
        self.app, self.metrics = app, metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            return await self.app(scope, receive, send)
        status = 500  # what the client gets when the app raises before it answers

        async def counted(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, counted)
        finally:
            self.metrics.request(scope["path"], status)
