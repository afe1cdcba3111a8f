"""Byte-level BPE tokenizer for posts, saved in the Hugging Face layout.

Training uses the `tokenizers` library (Rust, fast) rather than hand-written BPE. The files
it writes, `tokenizer.json` and `tokenizer_config.json` with a Jinja `chat_template`, are
what `transformers.AutoTokenizer` loads, and `encode_chat` here produces exactly the ids
that `apply_chat_template` produces from that template (a test holds us to it).

Documents are framed as `<|endoftext|> text`: the boundary token doubles as BOS, so a prompt
at generation time starts the same way a post did in training.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from pathlib import Path

from tokenizers import Tokenizer as _HFTokenizer
from tokenizers import decoders, models, pre_tokenizers, trainers

from mynah.atomic import write_text

EOT = "<|endoftext|>"
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
PAD = "<|pad|>"
SPECIAL_TOKENS = [EOT, IM_START, IM_END, PAD]

# ChatML framing. Kept in one place: `encode_chat` below must mirror it token for token.
CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{%- for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{%- endif %}"
)


_SURROGATE = re.compile("[\ud800-\udfff]")


def scrub(text: str) -> str:
    """A lone surrogate (JSON allows "\\ud800"; it is not a character and has no UTF-8) as
    U+FFFD, as a UTF-8 decoder shows a bad byte; HF tokenizers refuse such a string outright."""
    return text if text.isascii() or not _SURROGATE.search(text) else _SURROGATE.sub("\ufffd", text)


class Tokenizer:
    """Thin wrapper over a `tokenizers.Tokenizer` that knows mynah's document and chat framing."""

    def __init__(self, tok: _HFTokenizer):
        self.tok = tok
        self.eot_id = self._special(EOT)
        self.im_start_id = self._special(IM_START)
        self.im_end_id = self._special(IM_END)
        self.pad_id = self._special(PAD)
        # Message content is text, never markup: "<|im_start|>system" typed by a user or
        # quoted from a post must stay those characters, not become a role switch. This
        # copy encodes special-token strings as ordinary text.
        self._plain = _HFTokenizer.from_str(tok.to_str())
        self._plain.encode_special_tokens = True

    def _special(self, token: str) -> int:
        idx = self.tok.token_to_id(token)
        if idx is None:
            raise ValueError(f"tokenizer has no special token {token!r}")
        return idx

    @property
    def vocab_size(self) -> int:
        return self.tok.get_vocab_size()

    @property
    def stop_ids(self) -> list[int]:
        """Tokens that end a generation: the end of a post or of a chat turn."""
        return [self.eot_id, self.im_end_id]

    def encode(self, text: str) -> list[int]:
        return self.tok.encode(scrub(text), add_special_tokens=False).ids

    def encode_batch(self, texts: list[str]) -> list[list[int]]:
        # _fast skips character offsets, which mynah never reads: 1.5x the speed.
        try:
            return [e.ids for e in self.tok.encode_batch_fast(texts, add_special_tokens=False)]
        except TypeError:  # a lone surrogate somewhere: only then pay for the scan
            return [
                e.ids for e in self.tok.encode_batch_fast([scrub(t) for t in texts], add_special_tokens=False)
            ]

    def encode_doc(self, text: str) -> list[int]:
        """A post or prompt as the model saw posts in pretraining."""
        return [self.eot_id, *self.encode(text)]

    def decode(self, ids: Iterable[int], skip_special: bool = True) -> str:
        return self.tok.decode(list(ids), skip_special_tokens=skip_special)

    def piece_bytes(self, token: int) -> bytes:
        """The bytes one token stands for (a special token: its name in UTF-8)."""
        piece = self.tok.id_to_token(token) or ""
        if token in self._specials:
            return piece.encode("utf-8")
        return bytes(_UNICODE_TO_BYTE.get(ch, 0) for ch in piece)

    @property
    def _specials(self) -> set[int]:
        return {self.eot_id, self.im_start_id, self.im_end_id}

    def token_bytes(self) -> list[int]:
        """UTF-8 length of each token id (0 for special tokens), for bits-per-byte."""
        # In byte-level BPE each character of a token's string stands for exactly one byte.
        # (Decoding a token alone would turn a partial UTF-8 sequence into a 3-byte U+FFFD.)
        specials = set(SPECIAL_TOKENS)
        pieces = [self.tok.id_to_token(i) for i in range(self.vocab_size)]
        return [0 if p in specials else len(p) for p in pieces]

    def encode_chat(
        self, messages: list[dict], add_generation_prompt: bool = False
    ) -> tuple[list[int], list[int]]:
        """Render a conversation to ids, and a mask that is 1 on tokens the assistant wrote.

        The mask covers the assistant's content and its closing <|im_end|> (so the model
        learns to stop), but not the role header, the system prompt or the user turns.
        """
        ids, mask = [self.eot_id], [0]
        for i, m in enumerate(messages):
            role, content = m.get("role"), m.get("content")
            if not isinstance(role, str) or not isinstance(content, str):
                raise ValueError(f"message {i} needs string 'role' and 'content' fields")
            role, content = scrub(role), scrub(content)
            header = self._plain.encode(role + "\n", add_special_tokens=False).ids
            body = self._plain.encode(role + "\n" + content, add_special_tokens=False).ids
            # The pre-tokenizer splits at "\n", so the header is a prefix of the body's ids;
            # if a future tokenizer broke that, the mask would be silently wrong.
            assert body[: len(header)] == header, "role header must tokenize as a prefix"
            learn = 1 if role == "assistant" else 0
            newline = self.encode("\n")
            ids += [self.im_start_id, *body, self.im_end_id, *newline]
            mask += [0] * (1 + len(header)) + [learn] * (len(body) - len(header) + 1) + [0] * len(newline)
        if add_generation_prompt:
            gp = [self.im_start_id, *self.encode("assistant\n")]
            ids += gp
            mask += [0] * len(gp)
        assert len(ids) == len(mask)
        return ids, mask

    def save(self, out: str | os.PathLike) -> None:
        """Write tokenizer.json + tokenizer_config.json + special_tokens_map.json (HF layout)."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        write_text(out / "tokenizer.json", self.tok.to_str())
        added = {
            str(self.tok.token_to_id(t)): {
                "content": t,
                "lstrip": False,
                "normalized": False,
                "rstrip": False,
                "single_word": False,
                "special": True,
            }
            for t in SPECIAL_TOKENS
        }
        config = {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "bos_token": EOT,
            "eos_token": EOT,
            "pad_token": PAD,
            "unk_token": None,
            "add_bos_token": False,
            "add_eos_token": False,
            "clean_up_tokenization_spaces": False,
            "model_max_length": 1_000_000,
            "added_tokens_decoder": added,
            "additional_special_tokens": [IM_START, IM_END],
            "chat_template": CHAT_TEMPLATE,
        }
        write_text(out / "tokenizer_config.json", json.dumps(config, indent=2, ensure_ascii=False))
        smap = {
            "bos_token": EOT,
            "eos_token": EOT,
            "pad_token": PAD,
            "additional_special_tokens": [IM_START, IM_END],
        }
        write_text(out / "special_tokens_map.json", json.dumps(smap, indent=2))

    @classmethod
    def load(cls, path: str | os.PathLike) -> Tokenizer:
        path = Path(path)
        f = path / "tokenizer.json" if path.is_dir() else path
        if not f.exists():
            raise FileNotFoundError(f"{f}: no tokenizer.json")
        return cls(_HFTokenizer.from_file(str(f)))


def train_tokenizer(texts: Iterable[str], vocab_size: int = 4096, min_frequency: int = 2) -> Tokenizer:
    """Train byte-level BPE on post texts. Every byte is in the base alphabet, so nothing is ever <unk>."""
    tok = _HFTokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    return Tokenizer(tok)


def _byte_level_alphabet() -> dict[str, int]:
    """GPT-2's byte-level alphabet: the printable character each byte is written as."""
    bs = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


_UNICODE_TO_BYTE = _byte_level_alphabet()
