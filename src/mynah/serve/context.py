"""What the server's routes share: the model once it has loaded, the limits, the keys, the
post store, the metrics, and the checks every route makes (API key, model id, readiness,
sampling parameters). `create_app` builds one `ServeContext`; each router module
(`serve/chat.py`, ...) reaches it with `Depends(context)`.
"""

from __future__ import annotations

import hmac
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request

from mynah.serve.protocol import ChatCompletionRequest


@dataclass
class Limits:
    max_body_bytes: int = 1 << 20
    max_messages: int = 256
    max_tokens: int = 2048  # per request; also capped by the context
    max_n: int = 8
    max_stop: int = 4  # OpenAI allows up to 4 stop sequences


class APIError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        type: str,
        param: str | None = None,
        code: str | None = None,
        retry_after: int | None = None,
    ):
        super().__init__(message)
        self.status, self.message, self.type, self.param, self.code = status, message, type, param, code
        self.retry_after = retry_after


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


class ModelState:
    """What the routes need once the model has loaded."""

    def __init__(self):
        self.ready = threading.Event()
        self.load_error: str | None = None
        self.tok = None
        self.engine = None
        self.scheduler = None
        self.created = int(time.time())
        self.fingerprint = "fp_mynah"


@dataclass
class ServeContext:
    name: str  # the model id clients send
    limits: Limits
    metrics: object  # serve.metrics.Metrics
    keys: list[bytes] = field(default_factory=list)
    state: ModelState = field(default_factory=lambda: ModelState())
    store: object | None = None  # a posts.store.PostStore, with --posts
    embedder: object | None = None
    worker: object | None = None  # the background embedding thread
    ground_k: int = 5  # posts retrieved for a grounded answer
    # The watermark (processors/watermark.py): the key is read at start-up, the green
    # lists are built once the tokenizer has loaded. No key: --no-watermark.
    watermark_key: bytes | None = None
    watermark: object | None = None  # a Watermarker
    detector: object | None = None  # a provenance.detect.Detector
    detect_requires_key: bool = False
    detect_limiter: object | None = None  # serve.detect.RateLimiter
    guard: object | None = None  # a safety.guard.Guard: the policy layer (None: --no-policy)
    # a Mastodon instance's own post length (its /api/v2/instance), with --mastodon-instance
    mastodon_max_characters: int | None = None
    agents: object | None = None  # a social.host.AgentHost, with --platform-config
    images: object | None = None  # a serve.images.ImagesState (made on first use when not given)

    def processors(self) -> list:
        """The processors every generation gets (grounded answers add theirs before)."""
        return [self.watermark.processor()] if self.watermark is not None else []

    def provenance(self) -> dict:
        """Rides on every response: who wrote it, when, and how it is marked."""
        wm = self.watermark
        return {
            "model": self.name,
            "created": int(time.time()),
            "watermark": wm.provenance() if wm is not None else None,
        }

    def authorize(self, request: Request) -> None:
        if not self.keys:
            return
        given = bearer(request)
        ok = False
        for k in self.keys:  # every key compared, each in constant time: no timing hint of which or how close
            ok |= hmac.compare_digest(k, given)
        if not ok:
            raise APIError(
                401,
                "missing or invalid API key; send it as 'Authorization: Bearer KEY'",
                "invalid_request_error",
                code="invalid_api_key",
            )

    def ready(self) -> ModelState:
        if self.state.load_error:
            raise APIError(
                503,
                f"the model failed to load: {self.state.load_error}",
                "server_error",
                code="model_not_loaded",
            )
        if not self.state.ready.is_set():
            raise APIError(
                503, "the model is still loading; try again shortly", "server_error", code="model_loading"
            )
        return self.state

    def check_model(self, requested: str) -> None:
        if requested != self.name:
            raise APIError(
                404,
                f"the model {requested!r} does not exist; this server serves {self.name!r}",
                "invalid_request_error",
                "model",
                "model_not_found",
            )

    def sampling(self, req, max_new: int, n_prompt: int):
        from mynah.engine import SamplingParams

        if req.n > self.limits.max_n:
            raise invalid(f"n is {req.n}; this server allows at most {self.limits.max_n}", "n")
        if len(req.stops()) > self.limits.max_stop:
            raise invalid(f"at most {self.limits.max_stop} stop sequences", "stop")
        room = self.state.engine.max_len - n_prompt
        if room < 1:
            raise invalid(
                f"this model's context holds {self.state.engine.max_len} tokens; the prompt is {n_prompt} tokens",
                "messages" if isinstance(req, ChatCompletionRequest) else "prompt",
                "context_length_exceeded",
            )
        if max_new is not None and max_new > self.limits.max_tokens:
            param = "max_tokens" if req.max_tokens is not None else "max_completion_tokens"
            raise invalid(f"{param} is {max_new}; this server allows at most {self.limits.max_tokens}", param)
        return SamplingParams(
            max_tokens=min(max_new or self.limits.max_tokens, room),
            temperature=req.temperature,
            top_p=req.top_p,
            top_k=max(req.top_k, 0),
            min_p=req.min_p,
            repetition_penalty=req.repetition_penalty,
            presence_penalty=req.presence_penalty,
            frequency_penalty=req.frequency_penalty,
            seed=req.seed,
            stop_token_ids=[] if req.ignore_eos else list(self.state.tok.stop_ids),
        )


def bearer(request: Request) -> bytes:
    """The key of an `Authorization: Bearer KEY` header (b"" when there is none)."""
    header = request.headers.get("authorization", "")
    return header[7:].strip().encode() if header[:7].lower() == "bearer " else b""


def context(request: Request) -> ServeContext:
    return request.app.state.ctx


# A route's parameter `ctx: Ctx` is the app's ServeContext.
Ctx = Annotated[ServeContext, Depends(context)]
