"""Text in, text out, streamed: the layer between people (CLI, later the server) and the engine.

It frames prompts (a post, or a chat through the template), turns the engine's token stream
back into text incrementally, and handles stop *strings*, which the engine cannot see
because it only knows ids. Text is held back while it could still be the start of a stop
string or of an unfinished UTF-8 character, so what was streamed never has to be taken back.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from mynah.checkpoint import load_model
from mynah.engine import Engine, SamplingParams
from mynah.tokenizer import Tokenizer


@dataclass
class Chunk:
    seq: int
    text: str
    finish_reason: str | None = None


class Detokenizer:
    """Incremental decode with stop strings for one sequence, in time linear in its length.

    Tokens are decoded in small runs: the ids after the last point where the text was whole
    (no multi-byte character left open) are decoded and, once they end on a whole
    character, appended; the whole sequence is never decoded again. `push` returns the
    text that is now safe to show: not the start of a possible stop string, and never text
    that a later token would change.
    """

    def __init__(self, tok: Tokenizer, stop: list[str]):
        self.tok, self.stop = tok, [s for s in stop if s]
        self.ids: list[int] = []
        self.done = 0  # ids[:done] are decoded into self.text
        self.text = ""
        self.sent = 0  # characters of self.text already emitted
        self.stopped = False

    def push(self, token: int | None, final: bool) -> str:
        if token is not None:
            self.ids.append(token)
        tail = self.tok.decode(self.ids[self.done :]) if self.done < len(self.ids) else ""
        if tail and (final or not tail.endswith("\ufffd")):  # else: a character split across tokens
            self.text += tail
            self.done, tail = len(self.ids), ""
        text = self.text
        for s in self.stop:
            at = text.find(s, max(0, self.sent - len(s) + 1))
            if at != -1:
                self.stopped = True
                out, self.sent = text[self.sent : at], at
                return out
        safe = len(text)
        if not final:
            for s in self.stop:  # hold back a tail that may grow into a stop string
                for k in range(min(len(s) - 1, len(text)), 0, -1):
                    if s.startswith(text[-k:]):
                        safe = min(safe, len(text) - k)
                        break
        out = text[self.sent : safe] if safe > self.sent else ""
        self.sent = max(self.sent, safe)
        return out


class TextGenerator:
    """With `watermark_key`, every sequence gets its own watermark processor, after any it
    already has (processors/__init__.py: constraints first), exactly as the server does."""

    def __init__(
        self,
        model,
        tokenizer: Tokenizer,
        max_batch: int = 8,
        compile: bool = False,
        watermark_key: bytes | None = None,
    ):
        self.tok = tokenizer
        self.engine = Engine(model, max_batch=max_batch, compile=compile)
        self.watermark = None
        if watermark_key is not None:
            from mynah.processors.watermark import Watermarker

            self.watermark = Watermarker(watermark_key, tokenizer)

    @classmethod
    def from_dir(
        cls, path: str | Path, max_batch: int = 8, compile: bool = False, watermark_key: bytes | None = None
    ) -> TextGenerator:
        return cls(
            load_model(path),
            Tokenizer.load(path),
            max_batch=max_batch,
            compile=compile,
            watermark_key=watermark_key,
        )

    def _params(self, params: SamplingParams) -> SamplingParams:
        p = replace(params, stop_token_ids=sorted(set(params.stop_token_ids) | set(self.tok.stop_ids)))
        if self.watermark is not None:
            p = replace(p, logits_processors=[*p.logits_processors, self.watermark.processor()])
        return p

    def stream(
        self,
        prompts: list[list[int]],
        params: SamplingParams | list[SamplingParams],
        stop: list[str] | None = None,
    ) -> Iterator[Chunk]:
        """Stream text chunks for several prompt id lists decoded together."""
        plist = params if isinstance(params, list) else [params] * len(prompts)
        plist = [self._params(p) for p in plist]
        detoks = [Detokenizer(self.tok, stop or []) for _ in prompts]
        gen = self.engine.generate(prompts, plist)
        for ev in gen:
            d = detoks[ev.seq]
            if d.stopped:
                continue
            text = d.push(ev.token, final=ev.finish_reason is not None)
            if d.stopped:
                gen.cancel(ev.seq)
                yield Chunk(ev.seq, text, "stop")
            elif text or ev.finish_reason:
                yield Chunk(ev.seq, text, ev.finish_reason)

    def complete(self, prompt: str, params: SamplingParams, stop: list[str] | None = None) -> Iterator[str]:
        """Continue a post: prints as the model writes it."""
        for c in self.stream([self.tok.encode_doc(prompt)], params, stop):
            yield c.text

    def chat(
        self, messages: list[dict], params: SamplingParams, stop: list[str] | None = None
    ) -> Iterator[str]:
        ids, _ = self.tok.encode_chat(messages, add_generation_prompt=True)
        for c in self.stream([ids], params, stop):
            yield c.text
