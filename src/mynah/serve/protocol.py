"""Request bodies of the OpenAI API, as mynah accepts them.

OpenAI's published specification (openapi.json) is the contract. Every model forbids extra
fields: a parameter mynah does not implement (tools, logit_bias, response_format, ...) is
answered with a 400 that names it, never silently ignored. `top_k`, `min_p`,
`repetition_penalty` and `ignore_eos` are vLLM's extras, accepted in the body.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mynah.tokenizer import scrub


def _scrub_all(v: Any) -> Any:
    if isinstance(v, str):
        return scrub(v)
    if isinstance(v, dict):
        return {_scrub_all(k): _scrub_all(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_scrub_all(x) for x in v]
    return v


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Request(_Strict):
    """A request body: its strings are cleaned once, here, for every route and every model
    nested in it."""

    @model_validator(mode="before")
    @classmethod
    def _no_lone_surrogates(cls, data: Any) -> Any:
        # JSON may escape a lone surrogate ("\\ud800"): no character, and no UTF-8 for the
        # tokenizer, SQLite or the response. It becomes U+FFFD here, once, for every route.
        return _scrub_all(data)


class StreamOptions(_Strict):
    include_usage: bool = False


class TextPart(_Strict):
    type: Literal["text"]
    text: str


class Message(_Strict):
    role: Literal["system", "developer", "user", "assistant"]
    content: str | list[TextPart] | None = None
    name: str | None = None
    refusal: str | None = None  # an assistant message sent back as history may carry it

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(p.text for p in self.content)
        return self.content or ""


class _Sampling(_Request):
    model: str
    temperature: float = Field(1.0, ge=0, le=2)
    top_p: float = Field(1.0, gt=0, le=1)
    n: int = Field(1, ge=1)
    stop: str | list[str] | None = None
    seed: int | None = None
    presence_penalty: float = Field(0.0, ge=-2, le=2)
    frequency_penalty: float = Field(0.0, ge=-2, le=2)
    stream: bool = False
    stream_options: StreamOptions | None = None
    user: str | None = None
    # vLLM extras
    top_k: int = Field(0, ge=-1)  # -1 and 0 both mean off, as in vLLM
    min_p: float = Field(0.0, ge=0, lt=1)
    repetition_penalty: float = Field(1.0, gt=0, le=2)
    ignore_eos: bool = False  # keep going past end-of-text (fixed-length output, for benchmarks)

    def stops(self) -> list[str]:
        if self.stop is None:
            return []
        return [self.stop] if isinstance(self.stop, str) else list(self.stop)


class ChatCompletionRequest(_Sampling):
    messages: list[Message] = Field(min_length=1)
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    logprobs: bool = False
    top_logprobs: int | None = Field(None, ge=0, le=20)
    # mynah: ground the answer in the live post store (default: on when the server has one)
    grounding: bool | None = None
    # mynah: the tone; both modes have the same hard limits (default: the policy file's mode)
    mode: Literal["regular", "fun"] | None = None


class CompletionRequest(_Sampling):
    prompt: str | list[str] | list[int] | list[list[int]]
    max_tokens: int | None = Field(16, ge=1)  # OpenAI's default for completions
    logprobs: int | None = Field(None, ge=0, le=5)


class PostsBatch(_Request):
    """POST /v1/posts: posts in any shape the corpus readers know (mynah, X v1.1/v2,
    Jetstream events, Mastodon statuses). Items are checked one by one, so one bad post is
    reported by position and the rest are stored."""

    posts: list[Any] = Field(min_length=1, max_length=10_000)


class DetectRequest(_Request):
    """POST /v1/detect: one text or a list of them (a platform scanning its stream)."""

    input: str | list[str] = Field(max_length=256)
    model: str | None = None  # accepted for symmetry with the other endpoints; one model is served

    def texts(self) -> list[str]:
        return [self.input] if isinstance(self.input, str) else list(self.input)
