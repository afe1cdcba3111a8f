"""The writing tools: POST /v1/social/compose, /replies, /summarize and /explain, and
/v1/social/count (a text's length as the platform counts it, for the page's counter).

Every draft is decoded under its platform's length rule (processors/length.py), so it is
never longer than the platform allows and ends at a sentence's end; a thread is split at
sentence boundaries into numbered posts, each within the limit. Summaries and explanations
are grounded: their posts are quoted data in the prompt, and the quote constraint holds
their quotes and [n] citations to them, as in grounded chat. The prompts are built by
social/tools.py, the same code that builds the chat-tuning data (train/social.py).

Responses are OpenAI-style list objects: {"object": "list", "data": [...], "usage",
"provenance"}. A refused request is a 400 with code `content_policy_violation` (as
OpenAI's image API answers one).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import Field, field_validator, model_validator

from mynah.serve.context import APIError, Ctx, ServeContext, invalid
from mynah.serve.protocol import _Request
from mynah.social import tools
from mynah.social.length import LengthRule, rule_for

router = APIRouter()

Platform = Literal["x", "bluesky", "mastodon"]
MAX_INSTRUCTIONS = 2000  # characters
RELATED = 3  # live posts beside a reply's thread or an explained post


class _Social(_Request):
    model: str | None = None
    platform: Platform = "x"
    n: int = Field(1, ge=1)
    # a limit below the platform's (room for a link added later, a house style)
    max_length: int | None = Field(None, ge=1)
    language: str | None = None
    temperature: float = Field(0.8, ge=0, le=2)
    top_p: float = Field(0.95, gt=0, le=1)
    seed: int | None = None


class _PostOrText(_Social):
    post_id: str | None = None
    text: str | None = None

    @model_validator(mode="after")
    def _one(self):
        if (self.post_id is None) == (self.text is None):
            raise ValueError("give either post_id (a post in the store) or text, not both")
        if self.text is not None and not self.text.strip():
            raise ValueError("text is empty")
        return self


class ComposeRequest(_Social):
    instructions: str = Field(max_length=MAX_INSTRUCTIONS)
    tone: Literal["neutral", "positive", "critical"] | None = None
    hashtags: bool = True
    thread: int | None = Field(None, ge=2, le=tools.MAX_THREAD)  # at most this many posts

    @field_validator("instructions")
    @classmethod
    def _said(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("instructions are empty: say what the post should be about")
        return v


class RepliesRequest(_PostOrText):
    pass


class SummarizeRequest(_Social):
    post_id: str


class ExplainRequest(_PostOrText):
    # the user's own words when they differ from the text explained (the mention agent's
    # "is this true?" under someone's post): checked by the policy layer, not in the prompt,
    # which stays the trained "What is post [1] about?"
    question: str | None = Field(None, max_length=MAX_INSTRUCTIONS)


class Message(_Request):
    role: Literal["user", "assistant"]
    content: str = Field(max_length=MAX_INSTRUCTIONS)


class Document(_Request):
    id: str = Field(min_length=1, max_length=200)
    text: str = Field(min_length=1, max_length=4000)
    title: str | None = None
    author: str | None = None
    url: str | None = None


class SupportRequest(_Social):
    messages: list[Message] = Field(min_length=1, max_length=64)
    documents: list[Document] = Field(max_length=16)
    business: str | None = None

    @model_validator(mode="after")
    def _last(self):
        if self.messages[-1].role != "user" or not self.messages[-1].content.strip():
            raise ValueError("the last message must be the customer's (role user), not empty")
        return self


class CountRequest(_Request):
    text: str
    platform: Platform = "x"
    max_length: int | None = Field(None, ge=1)


def _rule(ctx: ServeContext, req) -> LengthRule:
    rule = rule_for(req.platform, ctx.mastodon_max_characters if req.platform == "mastodon" else None)
    if req.max_length is not None:
        if req.max_length > rule.limit:
            raise invalid(
                f"max_length is {req.max_length}; {tools.NAMES[rule.platform]} allows at most {rule.limit} {rule.unit}",
                "max_length",
            )
        rule = LengthRule(rule.platform, req.max_length, rule.unit)
    return rule


def _check(ctx: ServeContext, request: Request, req) -> None:
    ctx.authorize(request)
    if req.model is not None:
        ctx.check_model(req.model)
    if req.n > ctx.limits.max_n:
        raise invalid(f"n is {req.n}; this server allows at most {ctx.limits.max_n}", "n")
    if req.language is not None and req.language not in tools.LANGUAGES:
        raise invalid(
            f"unknown language {req.language!r}; one of {', '.join(tools.LANGUAGES)} (ISO 639-1)", "language"
        )


def _start(ctx: ServeContext, request: Request, req) -> tuple[LengthRule, object, str]:
    """What every writing tool does first: the checks, the rule, the loaded model, an id."""
    _check(ctx, request, req)
    rule = _rule(ctx, req)
    return rule, ctx.ready(), "social-" + uuid.uuid4().hex


def _post(ctx: ServeContext, post_id: str):
    if ctx.store is None:
        raise invalid("post_id needs a post store: start the server with --posts DB", "post_id")
    p = tools.find_post(ctx.store, post_id)
    if p is None:
        raise APIError(
            404, f"no post {post_id!r} in the store", "invalid_request_error", "post_id", "post_not_found"
        )
    return p


def _lang(req, text: str) -> str:
    from mynah.safety.refusals import language

    return req.language if req.language in ("en", "de", "es") else language(text)


def _text_post(text: str):
    from mynah.posts.store import StoredPost

    return StoredPost(key="request:text", id="text", platform="request", text=text)


@router.post("/v1/social/count")
async def count(req: CountRequest, request: Request, ctx: Ctx):
    ctx.authorize(request)
    rule = _rule(ctx, req)
    n = rule.count(req.text)
    return {
        "object": "social.length",
        "platform": rule.platform,
        "length": n,
        "limit": rule.limit,
        "unit": rule.unit,
        "remaining": rule.limit - n,
        "fits": rule.fits(req.text),
    }


@router.post("/v1/social/compose")
async def compose(req: ComposeRequest, request: Request, ctx: Ctx):
    rule, st, rid = _start(ctx, request, req)
    pol = await _policy(ctx, req.instructions, rid, "social.compose")
    # the hashtags the live store uses on the topic: the prompt's topic hint, and (with
    # hashtags: true) the draft's hashtags, appended after decoding
    topic: list[str] = []
    if ctx.store is not None:
        topic = await asyncio.to_thread(
            tools.suggest_hashtags, ctx.store, req.instructions, embedder=ctx.embedder
        )
    msgs = tools.compose_messages(req.instructions, rule, req.tone, req.language, topic)
    return await _generate(
        ctx, request, req, st, rid, "compose", rule, msgs, [], tags=topic if req.hashtags else [], pol=pol
    )


@router.post("/v1/social/replies")
async def replies(req: RepliesRequest, request: Request, ctx: Ctx):
    rule, st, rid = _start(ctx, request, req)
    target = _post(ctx, req.post_id) if req.post_id is not None else _text_post(req.text)
    context = []
    if ctx.store is not None:
        thread = await asyncio.to_thread(tools.thread_of, ctx.store, target) if req.post_id else []
        exclude = {target.key, *(p.key for p in thread)}
        more = await asyncio.to_thread(tools.related, ctx.store, target.text, RELATED, exclude, ctx.embedder)
        context = [*thread, target, *more]
    else:
        context = [target]
    lang = _lang(req, target.text)
    msgs, hits, k = tools.replies_messages(target, context, rule, lang)
    # Mastodon's clients start a reply with the @mention of the account replied to (it
    # counts as its local part); X and Bluesky thread a reply by reference, not by text.
    prefix = f"@{target.author} " if rule.platform == "mastodon" and target.author else ""
    return await _generate(
        ctx, request, req, st, rid, "replies", rule, msgs, hits, prefix=prefix, target=target, grounded=False
    )


@router.post("/v1/social/summarize")
async def summarize(req: SummarizeRequest, request: Request, ctx: Ctx):
    rule, st, rid = _start(ctx, request, req)
    target = _post(ctx, req.post_id)
    conv = await asyncio.to_thread(tools.conversation_of, ctx.store, target)
    msgs = tools.summarize_messages(rule, _lang(req, target.text))
    from mynah.posts.search import Hit

    hits = [Hit(p, 0.0) for p in conv]
    return await _generate(ctx, request, req, st, rid, "summarize", rule, msgs, hits, target=target)


@router.post("/v1/social/explain")
async def explain(req: ExplainRequest, request: Request, ctx: Ctx):
    rule, st, rid = _start(ctx, request, req)
    target = _post(ctx, req.post_id) if req.post_id is not None else _text_post(req.text)
    more = []
    if ctx.store is not None:
        more = await asyncio.to_thread(
            tools.related, ctx.store, target.text, RELATED, {target.key}, ctx.embedder
        )
    msgs = tools.explain_messages(rule, _lang(req, target.text))
    from mynah.posts.search import Hit

    # the asker's words when given, else the text asked about (a stored post is the
    # platform's, not a request, and is not checked)
    asked = req.question or req.text
    pol = (
        await _policy(ctx, asked, rid, "social.explain", "question" if req.question else "text")
        if asked
        else None
    )
    hits = [Hit(p, 0.0) for p in [target, *more]]
    return await _generate(ctx, request, req, st, rid, "explain", rule, msgs, hits, target=target, pol=pol)


@router.post("/v1/social/support")
async def support(req: SupportRequest, request: Request, ctx: Ctx):
    """A customer's conversation answered from the business's knowledge-base sections
    (`documents`, found by the caller's own search: social/kb.py), quoted and cited as [n]."""
    rule, st, rid = _start(ctx, request, req)
    pol = await _policy(ctx, req.messages[-1].content, rid, "social.support", "messages")
    msgs = tools.support_messages([m.model_dump() for m in req.messages], rule, req.business)
    from mynah.posts.search import Hit

    hits = [Hit(tools.section_post(d.model_dump()), 0.0) for d in req.documents]
    return await _generate(ctx, request, req, st, rid, "support", rule, msgs, hits, pol=pol)


async def _policy(ctx: ServeContext, text: str, rid: str, endpoint: str, param: str = "instructions"):
    if ctx.guard is None:
        return None
    from mynah.serve.policy import Memo, PolicyRun

    pol = await PolicyRun.check(ctx.guard, text, rid, endpoint, Memo(ctx.guard.embedder))
    if pol.refused:
        d = pol.decision
        raise APIError(400, d.message, "invalid_request_error", param, "content_policy_violation")
    return pol


async def _generate(
    ctx: ServeContext,
    request: Request,
    req,
    st,
    rid: str,
    task: str,
    rule: LengthRule,
    msgs: list[dict],
    hits: list,
    tags: list[str] = (),
    prefix: str = "",
    target=None,
    grounded: bool = True,
    pol=None,
):
    from mynah.engine import SamplingParams
    from mynah.posts.ground import fit_with_answer
    from mynah.processors.length import WORD_ROOM, LengthBudget
    from mynah.serve.chat import _Run

    tok = st.tok
    encode = lambda m: tok.encode_chat(m, add_generation_prompt=True)[0]  # noqa: E731
    thread = getattr(req, "thread", None)
    per_post = rule.limit - (len(f"{thread}/{thread} ") if thread else 0)
    # a thread's budget is its posts' room, less what packing whole sentences may waste
    limit = int(thread * per_post * 0.85) if thread else rule.limit
    tags = list(tags)
    suffix = tools.hashtag_suffix(tags)
    # the hashtags keep room for the text: the last ones go when they would not leave it
    while tags and (rule.count(prefix + suffix) > per_post - 4 * WORD_ROOM):
        tags.pop()
        suffix = tools.hashtag_suffix(tags)
    if rule.count(prefix + suffix) > min(limit, per_post) - WORD_ROOM:
        raise invalid(
            f"a limit of {rule.limit} {rule.unit} leaves no room for text"
            + (f" after {prefix.strip()!r}" if prefix else ""),
            "max_length",
            "budget_too_small",
        )
    want = tools.answer_room(limit, st.engine.max_len)
    g = None
    if hits:
        # tokenizing the prompt a few times to fit its posts is CPU work: off the event loop,
        # which meanwhile acknowledges webhooks and streams other answers
        g = await asyncio.to_thread(
            fit_with_answer, msgs, hits, encode, st.engine.max_len, want, render=tools.renderer(task)
        )
        ids = g.ids if g.hits else encode(msgs)
        if not g.hits and task in ("summarize", "explain"):
            raise invalid(
                f"the post does not fit this model's context of {st.engine.max_len} tokens with room for an answer",
                "post_id",
                "context_length_exceeded",
            )
    else:
        ids = encode(msgs)
    room = st.engine.max_len - len(ids)
    if room < 8:
        raise invalid(
            f"the prompt is {len(ids)} tokens; this model's context holds {st.engine.max_len}",
            "instructions",
            "context_length_exceeded",
        )
    max_tokens = min(room, 4 * limit + 8)
    params = SamplingParams(
        max_tokens=max_tokens,
        temperature=req.temperature,
        top_p=req.top_p,
        seed=req.seed,
        stop_token_ids=list(tok.stop_ids),
    )

    def procs():
        # constraints first (quotes and citations, then the length), the watermark last
        own = g.processors(tok, max_tokens) if (g is not None and g.hits and grounded) else []
        budget = LengthBudget(
            tok,
            rule,
            tok.stop_ids,
            limit=limit,
            prefix=prefix,
            suffix=suffix,
            no_hashtags=True,
            max_tokens=max_tokens,
        )
        return [*own, budget, *ctx.processors()]

    run = _Run(st, [ids] * req.n, params, req.seed, [], None, ctx.metrics, procs)
    run.submit()
    run.metrics.prompt.inc(run.prompt_tokens)
    texts = [""] * req.n
    reasons: list[str | None] = [None] * req.n
    try:
        async for i, text, reason, _ in run.watched(request):
            texts[i] += text
            if reason:
                reasons[i] = reason
    finally:
        run.cancel()
    if run.left:
        return Response(status_code=499)
    data = []
    for i, text in enumerate(texts):
        body = " ".join(text.split()) if not thread else text.strip()
        refusal = None
        if pol is not None:
            gate = ctx.guard.gate(None, pol.decision.lang)
            gate.push(body)
            gate.finish()
            if gate.cut is not None:
                ctx.guard.record(gate.cut, rid, f"social.{task}")
                body, refusal, reasons[i] = "", gate.cut.message, "content_filter"
        full = prefix + body + suffix
        posts = None
        if thread and full and not rule.fits(full):
            posts = tools.split_thread(full, rule, thread)
        elif full and not rule.fits(full):
            full = tools.cut_to_fit(full, rule)  # never sent over-long (the processor should not let it)
        d = tools.Draft(full, rule, tags if body else [], posts, reasons[i] or "stop").as_dict(i)
        if refusal is not None:
            d["refusal"] = refusal
        data.append(d)
    out = {
        "object": "list",
        "id": rid,
        "created": int(time.time()),
        "model": ctx.name,
        "task": task,
        "platform": rule.platform,
        "data": data,
        "usage": run.usage(),
        "provenance": ctx.provenance(),
    }
    if target is not None and target.platform != "request":
        out["post"] = {
            "id": target.id,
            "platform": target.platform,
            "author": target.author,
            "url": target.url,
        }
    if g is not None and g.hits and grounded:
        out["citations"] = g.citations([d["text"] for d in data])
    if pol is not None:
        out["policy"] = pol.decision.public()
    return out
