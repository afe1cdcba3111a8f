"""The OpenAI completions APIs: POST /v1/chat/completions and POST /v1/completions, over the
continuous-batching scheduler. Response bodies and stream chunks follow OpenAI's published
schemas field for field; a grounded chat answer (with --posts) is held to its posts by the
quote constraint and carries its citations.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from mynah.serve.context import APIError, Ctx, ModelState, error_body, invalid
from mynah.serve.policy import Memo, PolicyRun
from mynah.serve.protocol import ChatCompletionRequest, CompletionRequest

router = APIRouter()


@router.post("/v1/chat/completions")
async def chat(req: ChatCompletionRequest, request: Request, ctx: Ctx):
    ctx.authorize(request)
    ctx.check_model(req.model)
    st = ctx.ready()
    if len(req.messages) > ctx.limits.max_messages:
        raise invalid(
            f"{len(req.messages)} messages; this server allows at most {ctx.limits.max_messages}", "messages"
        )
    msgs = [
        {"role": "system" if m.role == "developer" else m.role, "content": m.text()} for m in req.messages
    ]
    grounded = None
    if req.grounding and ctx.store is None:
        raise invalid("grounding needs a post store: start the server with --posts DB", "grounding")
    if req.top_logprobs is not None and not req.logprobs:
        raise invalid("top_logprobs needs logprobs: true", "top_logprobs")
    # a request that cannot be served is a 400 before the policy reads it (as /v1/completions)
    asked, _ = st.tok.encode_chat(msgs, add_generation_prompt=True)
    ctx.sampling(req, req.max_completion_tokens or req.max_tokens, len(asked))
    plain = msgs  # the prompt `asked` encodes, until the policy or grounding adds to it
    rid = "chatcmpl-" + uuid.uuid4().hex
    pol, embedder = None, ctx.embedder
    if ctx.guard is not None:
        # the policy check and retrieval share one embedding of the question, computed on
        # the embedding thread (posts/embed.py: EmbedThread)
        embedder = Memo(ctx.guard.embedder)
        last = next((m["content"] for m in reversed(msgs) if m["role"] == "user"), "")
        pol = await PolicyRun.check(ctx.guard, last, rid, "chat", embedder)
        if pol.refused:
            return _refused(pol, req, rid, ctx, st, len(asked), chat=True)
        msgs = pol.messages(msgs, req.mode)
    if ctx.store is not None and req.grounding is not False:
        from mynah.posts.ground import fit_with_answer, grounding_report, retrieve

        found = await asyncio.to_thread(
            retrieve, ctx.store, msgs, ctx.ground_k, embedder if ctx.embedder is not None else None
        )
        # The posts get their room before the answer: a requested max_tokens (else a
        # quarter of the context) shrinks to a minimum rather than a post being dropped.
        want = req.max_completion_tokens or req.max_tokens or st.engine.max_len // 4
        grounded = fit_with_answer(
            msgs,
            found,
            lambda m: st.tok.encode_chat(m, add_generation_prompt=True)[0],
            st.engine.max_len,
            want,
        )
        ids = grounded.ids
    else:
        ids = asked if msgs is plain else st.tok.encode_chat(msgs, add_generation_prompt=True)[0]
    params = ctx.sampling(req, req.max_completion_tokens or req.max_tokens, len(ids))
    lp = (req.top_logprobs or 0) if req.logprobs else None

    # Grounded answers are held to their posts (processors/quotes.py), one state a choice;
    # with no post in the prompt that means no quote and no [n] at all.
    # ...then the watermark, on everything (processors/__init__.py: constraints first).
    def procs():
        own = grounded.processors(st.tok, params.max_tokens) if grounded is not None else []
        return [*own, *ctx.processors()]

    run = _Run(st, [ids] * req.n, params, req.seed, req.stops(), lp, ctx.metrics, procs)
    extra = None
    if grounded is not None:
        report = grounding_report(len(found), grounded, st.engine.max_len, params.max_tokens)
        extra = lambda texts: {"citations": grounded.citations(texts), "grounding": report}  # noqa: E731
    if pol is not None:
        pol.open(req.n, grounded.sources() if grounded is not None else None)
    return await _respond(
        run, request, req, chat=True, model=ctx.name, extra=extra, prov=ctx.provenance(), pol=pol, rid=rid
    )


def _refused(pol: PolicyRun, req, rid: str, ctx, st: ModelState, prompt_tokens: int, chat: bool):
    created = int(time.time())
    usage = {"prompt_tokens": prompt_tokens, "completion_tokens": 0, "total_tokens": prompt_tokens}
    args = (pol, rid, created, ctx.name, st.fingerprint, req.n, chat)
    if req.stream:
        include_usage = bool(req.stream_options and req.stream_options.include_usage)
        return StreamingResponse(
            refusal_stream(*args, include_usage, usage, ctx.provenance()),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    return refusal_body(*args, usage, ctx.provenance())


@router.post("/v1/completions")
async def completions(req: CompletionRequest, request: Request, ctx: Ctx):
    ctx.authorize(request)
    ctx.check_model(req.model)
    st = ctx.ready()
    prompts = _prompts(req.prompt, st.tok)
    if len(prompts) * req.n > ctx.limits.max_n:
        raise invalid(
            f"{len(prompts)} prompts x n={req.n}; this server allows at most {ctx.limits.max_n} choices", "n"
        )
    params = ctx.sampling(req, req.max_tokens, max(len(p) for p in prompts))
    rid = "cmpl-" + uuid.uuid4().hex
    pol = None
    if ctx.guard is not None:
        # each prompt is checked; the first refused one refuses the request
        for p in prompts:
            text = st.tok.decode(p)
            memo = Memo(ctx.guard.embedder)
            pol = await PolicyRun.check(ctx.guard, text, rid, "completions", memo)
            if pol.refused:
                return _refused(pol, req, rid, ctx, st, sum(len(p) for p in prompts) * req.n, chat=False)
        pol.open(len(prompts) * req.n)
    run = _Run(
        st,
        [p for p in prompts for _ in range(req.n)],
        params,
        req.seed,
        req.stops(),
        req.logprobs,
        ctx.metrics,
        ctx.processors,
    )
    return await _respond(
        run, request, req, chat=False, model=ctx.name, prov=ctx.provenance(), pol=pol, rid=rid
    )


def _prompts(prompt, tok) -> list[list[int]]:
    if isinstance(prompt, str):
        prompt = [prompt]
    if prompt and isinstance(prompt[0], int):
        prompt = [prompt]
    if not prompt:
        raise invalid("prompt is empty", "prompt")
    out = []
    for p in prompt:
        ids = tok.encode_doc(p) if isinstance(p, str) else list(p)
        if not ids or any(not 0 <= t < tok.vocab_size for t in ids):
            raise invalid("prompt token ids must be in the vocabulary", "prompt")
        out.append(ids)
    return out


class _Run:
    """The sequences of one request, their text and their events, bridged from the
    scheduler thread to the request's event loop."""

    def __init__(self, st: ModelState, prompts, params, seed, stop, logprobs, metrics, processors=None):
        from dataclasses import replace

        from mynah.generate import Detokenizer
        from mynah.serve.scheduler import Sequence

        self.st, self.metrics = st, metrics
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue = asyncio.Queue()
        self.prompt_tokens = sum(len(p) for p in prompts)
        self.detoks = [Detokenizer(st.tok, stop) for _ in prompts]
        self.completion_tokens = [0] * len(prompts)
        self.seqs = []
        for i, ids in enumerate(prompts):
            # n choices of one request differ in seed, as OpenAI's do; a fixed seed stays repeatable.
            p = replace(params, seed=None if seed is None else seed + i)
            if processors is not None:  # stateful: each sequence gets its own
                p = replace(p, logits_processors=[*p.logits_processors, *processors()])
            self.seqs.append(Sequence(ids, p, self._callback(i), logprobs=logprobs))
        self.started = time.perf_counter()
        self.left = False  # the client went away (see watched)

    def _callback(self, i: int):
        def on_step(step) -> None:
            if step.finish_reason:  # counted here: a client that left reads no more events
                # a stop string ends its sequence by a cancel (see events); it stopped
                stopped = step.finish_reason == "cancelled" and self.detoks[i].stopped
                self.metrics.finished.labels("stop" if stopped else step.finish_reason).inc()
            self.loop.call_soon_threadsafe(self.queue.put_nowait, (i, step))

        return on_step

    def submit(self) -> None:
        from mynah.engine import ContextOverflow
        from mynah.serve.scheduler import QueueFull

        try:
            self.st.scheduler.submit(self.seqs)
        except QueueFull as e:
            raise APIError(
                429, f"the server is busy ({e}); retry after a second", "rate_limit_error", code="queue_full"
            ) from None
        except ContextOverflow as e:
            raise invalid(str(e), "messages", "context_length_exceeded") from None

    def cancel(self) -> None:
        for s in self.seqs:
            s.cancel()

    async def events(self) -> AsyncIterator[tuple[int, str, str | None, object]]:
        """(choice, new text, finish reason, step) until every choice has finished."""
        open_ = set(range(len(self.seqs)))
        last = [0.0] * len(self.seqs)
        while open_:
            i, step = await self.queue.get()
            if i not in open_:
                continue
            d = self.detoks[i]
            now = time.perf_counter()
            if step.token is not None:
                self.completion_tokens[i] += 1
                if last[i] == 0.0:
                    self.metrics.ttft.observe(now - self.started)
                else:
                    self.metrics.itl.observe(now - last[i])
                last[i] = now
                self.metrics.generated.inc()
            reason = step.finish_reason
            text = d.push(
                step.token if step.token not in self.st.tok.stop_ids else None, final=reason is not None
            )
            if d.stopped and reason is None:
                self.seqs[i].cancel()  # a stop string: the scheduler frees the slot next step
                reason = "stop"
            if reason == "cancelled" and d.stopped:
                continue  # the cancel above; "stop" was already reported
            if reason == "error":
                raise APIError(500, "generation failed on the server", "server_error")
            if reason:
                open_.discard(i)
            yield i, text, reason, step

    async def watched(self, request: Request) -> AsyncIterator[tuple[int, str, str | None, object]]:
        """`events`, waking now and then to notice a client that has gone: then the run is
        cancelled (its slots freed), `left` is set and the iteration ends."""
        events = self.events()
        while True:
            nxt = asyncio.ensure_future(events.__anext__())
            while not nxt.done():
                await asyncio.wait({nxt}, timeout=0.5)
                if not nxt.done() and await request.is_disconnected():
                    nxt.cancel()
                    self.cancel()
                    self.left = True
                    return
            try:
                yield nxt.result()
            except StopAsyncIteration:
                return

    def usage(self) -> dict:
        c = sum(self.completion_tokens)
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": c,
            "total_tokens": self.prompt_tokens + c,
        }


def _token_info(tok, token: int, logprob: float, top) -> dict:
    def one(t: int, lp: float) -> dict:
        b = tok.piece_bytes(t)
        return {"token": b.decode("utf-8", errors="replace"), "logprob": lp, "bytes": list(b)}

    out = one(token, logprob)
    out["top_logprobs"] = [one(t, lp) for t, lp in top or []]
    return out


async def _respond(
    run: _Run,
    request: Request,
    req,
    chat: bool,
    model: str,
    extra: Callable[[list[str]], dict] | None = None,
    prov: dict | None = None,
    pol: PolicyRun | None = None,
    rid: str | None = None,
):
    rid = rid or ("chatcmpl-" if chat else "cmpl-") + uuid.uuid4().hex
    created = int(time.time())
    fp = run.st.fingerprint
    run.submit()
    run.metrics.prompt.inc(run.prompt_tokens)
    if req.stream:
        include_usage = bool(req.stream_options and req.stream_options.include_usage)
        return StreamingResponse(
            _stream(run, request, rid, created, model, fp, chat, include_usage, extra, prov, pol),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    texts = [""] * len(run.seqs)
    shown = [""] * len(run.seqs)  # what passed the policy's output check
    reasons: list[str | None] = [None] * len(run.seqs)
    lps: list[list] = [[] for _ in run.seqs]
    cut: dict[int, object] = {}
    try:
        async for i, text, reason, step in run.watched(request):
            if i in cut:
                continue
            texts[i] += text
            if pol is not None:
                out, d = pol.push(i, text)
                if d is None and reason:
                    more, d = pol.finish(i)
                    out += more
                shown[i] += out
                if d is not None:  # cut: stop generating this choice now
                    cut[i], reason = d, "content_filter"
                    run.seqs[i].cancel()
                    shown[i] += ("\n\n" if shown[i] else "") + d.message
            else:
                shown[i] += text
            if reason:
                reasons[i] = reason
            if step.token is not None and step.logprob is not None and step.token not in run.st.tok.stop_ids:
                lps[i].append((step.token, step.logprob, step.top_logprobs))
    finally:
        run.cancel()
    if run.left:
        return Response(status_code=499)
    choices = []
    for i, (text, reason) in enumerate(zip(shown, reasons)):
        if chat:
            refusal = cut[i].message if i in cut else None
            choices.append(
                {
                    "index": i,
                    "message": {"role": "assistant", "content": text, "refusal": refusal, "annotations": []},
                    "logprobs": None
                    if run.seqs[i].logprobs is None
                    else {
                        "content": [_token_info(run.st.tok, t, lp, top) for t, lp, top in lps[i]],
                        "refusal": None,
                    },
                    "finish_reason": reason,
                }
            )
        else:
            choices.append(
                {
                    "index": i,
                    "text": text,
                    "logprobs": None
                    if run.seqs[i].logprobs is None
                    else _completion_logprobs(run.st.tok, lps[i]),
                    "finish_reason": reason,
                }
            )
        if pol is not None and len(run.seqs) > 1:
            choices[-1]["policy"] = pol.of(i)
    body = {
        "id": rid,
        "object": "chat.completion" if chat else "text_completion",
        "created": created,
        "model": model,
        "system_fingerprint": fp,
        "choices": choices,
        "usage": run.usage(),
        **(extra(texts) if extra else {}),
        "provenance": prov,
    }
    if pol is not None:
        body["policy"] = pol.top()
    return body


def _choice(chat: bool, i: int, text: str, lp, reason, refusal: bool = False) -> dict:
    if not chat:
        return {"index": i, "text": text, "logprobs": lp, "finish_reason": reason}
    if refusal:
        delta = {"content": text, "refusal": text}
    else:
        delta = {"content": text} if text or not reason else {}
    return {"index": i, "delta": delta, "logprobs": lp, "finish_reason": reason}


def _completion_logprobs(tok, lps: list) -> dict:
    tokens, token_lps, tops, offsets, at = [], [], [], [], 0
    for t, lp, top in lps:
        s = tok.piece_bytes(t).decode("utf-8", errors="replace")
        tokens.append(s)
        token_lps.append(lp)
        tops.append({tok.piece_bytes(u).decode("utf-8", errors="replace"): v for u, v in top or []})
        offsets.append(at)
        at += len(s)
    return {"tokens": tokens, "token_logprobs": token_lps, "top_logprobs": tops, "text_offset": offsets}


async def _stream(
    run: _Run,
    request: Request,
    rid,
    created,
    model,
    fp,
    chat: bool,
    include_usage: bool,
    extra: Callable[[list[str]], dict] | None = None,
    prov: dict | None = None,
    pol: PolicyRun | None = None,
):
    """Server-sent events exactly as OpenAI sends them; the client going away cancels.
    `extra(texts)` (grounding's citations) rides on the final chunk before [DONE], and
    `prov` (provenance) and the request's `policy` on the first chunk. With a policy, text
    is sent a sentence at a time, once it has passed the output check (safety/guard.py)."""
    prov_due = [prov is not None]
    policy_due = [pol is not None]

    def chunk(choices: list, usage=None) -> dict:
        body = _chunk(rid, created, model, fp, chat, choices)
        if include_usage:
            body["usage"] = usage
        if prov_due[0]:
            body["provenance"], prov_due[0] = prov, False
        if policy_due[0]:
            body["policy"], policy_due[0] = pol.decision.public(), False
        return body

    def sse(body: dict) -> str:
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    # With `extra`, each chunk waits for the next, so the last one can carry it.
    held = None

    def put(body: dict) -> str | None:
        nonlocal held
        out, held = held, body
        if not extra:
            out, held = body, None
        return None if out is None else sse(out)

    try:
        if chat:  # the first chunk of each choice carries the role
            first = chunk(
                [
                    {
                        "index": i,
                        "delta": {"role": "assistant", "content": ""},
                        "logprobs": None,
                        "finish_reason": None,
                    }
                    for i in range(len(run.seqs))
                ]
            )
            if (out := put(first)) is not None:
                yield out
        texts = [""] * len(run.seqs)
        pending: list[list] = [[] for _ in run.seqs]  # logprobs of text the policy still holds
        cut: set[int] = set()
        async for i, text, reason, step in run.events():
            if i in cut:
                continue
            texts[i] += text
            if step.logprob is not None and step.token is not None and step.token not in run.st.tok.stop_ids:
                pending[i].append((step.token, step.logprob, step.top_logprobs))
            d = refusal = None
            if pol is not None:
                text, d = pol.push(i, text)
                if d is None and reason:
                    more, d = pol.finish(i)
                    text += more
                if d is not None:
                    cut.add(i)
                    run.seqs[i].cancel()
                    reason, refusal = "content_filter", d.message
            if not text and not reason and not refusal and (pol is not None or not pending[i]):
                continue  # held back (a sentence not yet checked, a possible stop string, a split character)
            lp = None
            if pending[i]:
                info, pending[i] = pending[i], []
                lp = (
                    {"content": [_token_info(run.st.tok, *x) for x in info], "refusal": None}
                    if chat
                    else _completion_logprobs(run.st.tok, info)
                )
            bodies = []
            if refusal is not None:
                # what passed first, then the refusal in its own chunk
                if text:
                    bodies.append(_choice(chat, i, text, lp, None))
                    lp = None
                bodies.append(_choice(chat, i, refusal, lp, reason, refusal=True))
            else:
                bodies.append(_choice(chat, i, text, lp, reason))
            if reason and pol is not None and (len(run.seqs) > 1 or d is not None):
                bodies[-1]["policy"] = pol.of(i)
            for b in bodies:
                if (out := put(chunk([b]))) is not None:
                    yield out
        if include_usage and (out := put(chunk([], run.usage()))) is not None:
            yield out
        if held is not None:
            last = {**held, **(extra(texts) if extra else {})}
            if pol is not None:
                last["policy"] = pol.top()
            yield sse(last)
        yield "data: [DONE]\n\n"
    except APIError as e:
        yield f"data: {json.dumps(error_body(e.message, e.type, e.param, e.code))}\n\n"
    finally:
        run.cancel()  # the client left (or we finished): free the slots at the next step


def _chunk(
    rid: str, created: int, model: str, fp: str, chat: bool, choices: list, stream: bool = True
) -> dict:
    """The fields every response and stream chunk starts with."""
    return {
        "id": rid,
        "object": ("chat.completion.chunk" if stream else "chat.completion") if chat else "text_completion",
        "created": created,
        "model": model,
        "system_fingerprint": fp,
        "choices": choices,
    }


# -- refusals (serve/policy.py decides; they are shaped here, as OpenAI shapes them) ------


def refusal_body(
    run: PolicyRun, rid: str, created: int, model: str, fp: str, n: int, chat: bool, usage, prov
):
    msg = run.decision.message
    choices = []
    for i in range(n):
        if chat:
            c = {
                "index": i,
                "message": {"role": "assistant", "content": msg, "refusal": msg, "annotations": []},
                "logprobs": None,
                "finish_reason": "stop",
            }
        else:
            c = {"index": i, "text": msg, "logprobs": None, "finish_reason": "content_filter"}
        if n > 1:
            c["policy"] = run.decision.public()
        choices.append(c)
    body = _chunk(rid, created, model, fp, chat, choices, stream=False)
    return {**body, "usage": usage, "provenance": prov, "policy": run.decision.public()}


def refusal_stream(run: PolicyRun, rid, created, model, fp, n, chat, include_usage, usage, prov):
    msg = run.decision.message

    def sse(choices, **more):
        body = {**_chunk(rid, created, model, fp, chat, choices), **more}
        if include_usage:
            body.setdefault("usage", None)
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    async def gen():
        if chat:
            first = [
                {
                    "index": i,
                    "delta": {"role": "assistant", "content": ""},
                    "logprobs": None,
                    "finish_reason": None,
                }
                for i in range(n)
            ]
            yield sse(first, provenance=prov, policy=run.decision.public())
            for i in range(n):
                delta = {"content": msg, "refusal": msg}
                yield sse([{"index": i, "delta": delta, "logprobs": None, "finish_reason": None}])
            for i in range(n):
                c = {"index": i, "delta": {}, "logprobs": None, "finish_reason": "stop"}
                if n > 1:
                    c["policy"] = run.decision.public()
                yield sse([c])
        else:
            for i in range(n):
                c = {"index": i, "text": msg, "logprobs": None, "finish_reason": "content_filter"}
                if n > 1:
                    c["policy"] = run.decision.public()
                more = {"provenance": prov, "policy": run.decision.public()} if i == 0 else {}
                yield sse([c], **more)
        if include_usage:
            yield sse([], usage=usage)
        yield "data: [DONE]\n\n"

    return gen()
