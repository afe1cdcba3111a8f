"""The policy layer on one request (safety/guard.py decides; this applies it to a response):
the input decision, one output gate a choice, and the `policy` objects of a response. What
the client sees when a request is refused or an answer is cut is shaped in serve/chat.py:

Refusals are OpenAI-shaped. In chat, `message.refusal` holds the refusal and `content`
holds the same text, because many clients show only `content` (OpenAI itself sends
`content: null` beside a refusal). Streams send it as `delta.refusal` (and `delta.content`).
A refused request ends with finish_reason "stop"; an answer cut by the output check with
"content_filter". /v1/completions has no refusal field: the refusal is the text, with
finish_reason "content_filter".
"""

from __future__ import annotations

import asyncio

from mynah.safety.guard import MAX_TEXT, Decision, Guard, OutputGate, policy_messages


class Memo:
    """An embedder that remembers: the policy check and retrieval embed the same question
    once between them (the check reads `both`, retrieval the sentence embedding of it)."""

    def __init__(self, embedder):
        self.embedder, self.seen = embedder, {}

    def both(self, texts: list[str]):
        import numpy as np

        missing = [t for t in texts if t not in self.seen]
        if missing:
            for t, v in zip(missing, self.embedder.both(missing)):
                self.seen[t] = v
        return np.stack([self.seen[t] for t in texts]) if texts else self.embedder.both([])

    def __call__(self, texts: list[str]):
        v = self.both(texts)
        return v[:, : v.shape[1] // 2]


class PolicyRun:
    def __init__(self, guard: Guard, decision: Decision, rid: str, endpoint: str):
        self.guard, self.decision, self.rid, self.endpoint = guard, decision, rid, endpoint
        self.gates: list[OutputGate] = []
        self.notes: list[str] = []  # appended to every answer that is not cut

    @classmethod
    async def check(cls, guard: Guard, text: str, rid: str, endpoint: str, memo: Memo | None = None):
        vec = None
        if memo is not None and text.strip():
            vec = (await asyncio.to_thread(memo.both, [text[:MAX_TEXT]]))[0]
        d = await asyncio.to_thread(guard.check_request, text, vec)
        guard.record(d, rid, endpoint, text)
        return cls(guard, d, rid, endpoint)

    @property
    def refused(self) -> bool:
        return self.decision.refused

    def messages(self, msgs: list[dict], mode: str | None) -> list[dict]:
        """The conversation the model sees: fun mode's tone, and for a voting question the
        deployment's election facts (or where to find them)."""
        if self.decision.category == "voting_info":
            self.notes.append("\n\n" + self.guard.facts_note())
        return policy_messages(self.guard.policy, msgs, mode, self.decision.category)

    def open(self, n: int, sources: list | None = None) -> None:
        self.gates = [self.guard.gate(sources, self.decision.lang) for _ in range(n)]

    def push(self, i: int, text: str) -> tuple[str, Decision | None]:
        g = self.gates[i]
        out = g.push(text)
        return out, self._cut(g)

    def finish(self, i: int) -> tuple[str, Decision | None]:
        g = self.gates[i]
        out = g.finish()
        if g.cut is None:
            out += g.claims_note() + "".join(self.notes)
        return out, self._cut(g)

    def _cut(self, g: OutputGate) -> Decision | None:
        if g.cut is not None and not g.recorded:
            g.recorded = True
            self.guard.record(g.cut, self.rid, self.endpoint)
        return g.cut

    def of(self, i: int) -> dict:
        g = self.gates[i] if i < len(self.gates) else None
        return (g.cut if g is not None and g.cut is not None else self.decision).public()

    def top(self) -> dict:
        """The response's policy: the request's, or the cut of a lone answer."""
        if len(self.gates) == 1:
            return self.of(0)
        return self.decision.public()
