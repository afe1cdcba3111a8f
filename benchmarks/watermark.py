"""The watermark, measured the way a deployment meets it.

For each `--model` (a base model folder from `mynah train`):
- Detection: a real `mynah serve` with a key file; generations through the official
  `openai` client (`/v1/completions`, prompts are the first words of the model's held-out
  posts, `ignore_eos` so each has exactly the asked length) at temperature 1.0 and 0.7, for
  16..256 new tokens; each decoded text is scored through `POST /v1/detect`, never from
  the generation's token ids. TPR at the default verdict (p <= 1e-6).
- Robustness: the 64- and 200-token texts at T=1.0 after 10/20/30% of their tokens are
  replaced at random, and after a platform-style rewrite (URLs shortened, whitespace
  collapsed, HTML entities escaped), again through `/v1/detect`.
- Entropy: the mean entropy (nats) of the model's next-token distribution over its own
  unwatermarked T=1.0 text: what the watermark has to work with. Detection power is set by
  it more than by anything in the scheme.
- Quality: validation bits per byte on the model's held-out split with the watermark's
  bias on (the distribution the server samples from) against off.
- False positives on the ~88,000 real CrisisLex tweets (`--crisislex`, benchmark only):
  scored by `mynah detect --jsonl` over a JSON Lines file, with how many were long enough
  to score; the CLI's posts/s against transformers' `WatermarkDetector` (the reference
  implementation, same gamma and context, repeated n-grams ignored) on the same tokens.
- `--sweep`: TPR at 64/200 tokens and the bits-per-byte cost for other deltas (engine
  path, local detector on the decoded text), to show what choosing delta trades.
- Decode tokens/s with the watermark on vs off at 1 and 16 streams (engine).

    python benchmarks/watermark.py --model runs/crisislex --model runs/demo/tiny \\
        --crisislex ../shared/data/crisislex --n 128 [--sweep 2,2.5,3,4] [--parts detect,bpb,decode,human]

`runs/crisislex` is a model of real tweets, made with mynah's own pipeline:

    mynah corpus build ../shared/data/crisislex/CrisisLexT6 --text-column tweet \\
        --id-column "tweet id" --out runs/crisislex-corpus
    mynah train --recipe demo --data runs/crisislex-corpus --out runs/crisislex --max-steps 500
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import csv
import glob
import html
import json
import math
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
import torch

from mynah.checkpoint import load_model
from mynah.engine import SamplingParams
from mynah.generate import TextGenerator
from mynah.processors.watermark import Watermarker
from mynah.provenance.detect import Detector
from mynah.provenance.watermark import QuoteScanner, Scheme
from mynah.tokenizer import Tokenizer
from mynah.train.data import open_corpus

KEY = b"benchmark-key-0123456789abcdef"
LENGTHS = (16, 32, 64, 128, 200, 256)
MYNAH = str(Path(sys.executable).with_name("mynah"))


def crisislex(root: str) -> list[str]:
    texts = []
    for f in sorted(glob.glob(f"{root}/**/*.csv", recursive=True)):
        with open(f, encoding="utf-8", errors="replace", newline="") as fh:
            r = csv.reader(fh)
            head = [h.strip().lower() for h in next(r)]
            col = next(i for i, h in enumerate(head) if h in ("tweet text", "tweet", "text"))
            texts += [row[col] for row in r if len(row) > col]
    return texts


def corpus_of(model: str) -> str:
    """The corpus folder a `mynah train` run read: its own (posts JSONL) or the one named."""
    data = json.loads(Path(model, "run.json").read_text()).get("data", "")
    return data if Path(data, "tokens", "index.json").exists() else str(Path(model, "corpus"))


def held_out_docs(model: str) -> list[np.ndarray]:
    tok, streams = open_corpus(corpus_of(model))
    val = streams["val"].window(0, len(streams["val"]))
    cuts = np.flatnonzero(np.isin(val, sorted(tok._specials)))
    return [d for d in np.split(val, cuts + 1) if len(d) > 1]


def prompts_for(model: str, tok: Tokenizer, n: int, words: int = 4) -> list[str]:
    out = []
    for d in held_out_docs(model):
        text = tok.decode([int(t) for t in d])
        w = text.split()
        if len(w) > words + 4:
            out.append(" ".join(w[:words]))
        if len(out) == n:
            break
    return out


# -- a real server -------------------------------------------------------------------------


class Server:
    def __init__(self, model: str, key_file: str, state: str):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [MYNAH, "serve", "--model", model, "--port", str(self.port), "--watermark-key-file", key_file]
        cmd += ["--state-dir", state, "--detect-rate", "1000000", "--max-queue", "1024", "--max-batch", "16"]
        self.log = open(Path(state) / "serve.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(600):
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if self.proc.poll() is not None:
                raise SystemExit(f"mynah serve exited: see {self.log.name}")
            time.sleep(0.5)
        else:
            raise SystemExit("mynah serve did not become healthy in 300 s")
        from openai import OpenAI

        self.client = OpenAI(base_url=self.url + "/v1", api_key="none", max_retries=0, timeout=600)
        self.model = self.client.models.list().data[0].id

    def complete(self, prompts: list[str], tokens: int, temperature: float, seed0: int) -> list[str]:
        def one(i):
            r = self.client.completions.create(
                model=self.model,
                prompt=prompts[i],
                max_tokens=tokens,
                temperature=temperature,
                seed=seed0 + i,
                extra_body={"ignore_eos": True},
            )
            assert r.usage.completion_tokens == tokens, r.usage
            return r.choices[0].text

        with cf.ThreadPoolExecutor(16) as ex:
            return list(ex.map(one, range(len(prompts))))

    def detect(self, texts: list[str]) -> list[dict]:
        out = []
        for i in range(0, len(texts), 256):
            body = json.dumps({"input": texts[i : i + 256]}).encode()
            req = urllib.request.Request(
                self.url + "/v1/detect", data=body, headers={"Content-Type": "application/json"}
            )
            with urllib.request.urlopen(req, timeout=120) as r:
                out += json.loads(r.read())["data"]
        return out

    def close(self):
        self.proc.terminate()
        self.proc.wait(30)
        self.log.close()


def tpr(scores: list[dict]) -> float:
    return sum(s["watermarked"] for s in scores) / len(scores)


# -- attacks and rewrites ------------------------------------------------------------------


def replace_tokens(tok: Tokenizer, texts: list[str], frac: float, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    normal = [i for i in range(tok.vocab_size) if i not in tok._specials]
    out = []
    for t in texts:
        ids = tok.encode(t)
        for i in rng.sample(range(len(ids)), int(frac * len(ids))):
            ids[i] = rng.choice(normal)
        out.append(tok.decode(ids))
    return out


def rewrite(text: str) -> str:
    """What a platform does to a post on the way in: link shortening, whitespace folded,
    entities escaped (as the X API returns text)."""
    text = re.sub(r"https?://\S+|<url>", "https://t.co/xxxxxxxxxx", text)
    text = re.sub(r"\s+", " ", text).strip()
    return html.escape(text, quote=False)


# -- the model's side: entropy and bits per byte ---------------------------------------------


def bias_matrix(wm: Watermarker, vocab: int) -> torch.Tensor:
    """[tokenizer vocab, model vocab] float: DELTA where token (column) is green after
    context (row); special contexts get no bias, as in the processor."""
    rows = wm.rows(range(wm.green.vocab_size), (torch.device("cpu"), torch.float32, vocab))
    rows[sorted(wm.specials)] = 0
    return rows


@torch.no_grad()
def bits_per_byte(
    model, tok: Tokenizer, docs: list[np.ndarray], bias: torch.Tensor | None, seq: int
) -> float:
    """Held-out bits per byte, under the distribution the server samples from when `bias`
    is given: the watermark's bias wherever the processor would add it (context not
    special, not inside a quote)."""
    stream = np.concatenate(docs)[: 64 * seq + 1]
    pieces = [tok.piece_bytes(i) for i in range(tok.vocab_size)]
    token_bytes = torch.tensor([len(p) if i not in tok._specials else 0 for i, p in enumerate(pieces)])
    nats, nbytes = 0.0, 0
    for s in range(0, len(stream) - 1, seq):
        w = torch.from_numpy(stream[s : s + seq + 1].astype(np.int64))
        x, y = w[:-1], w[1:]
        logits = model(x[None])[0].float()
        if bias is not None:
            sc, inside = QuoteScanner(), []
            for t in x.tolist():
                sc.feed(pieces[t])
                inside.append(sc.inside)
            logits = logits + bias[x] * (~torch.tensor(inside))[:, None]
        ce = torch.nn.functional.cross_entropy(logits, y, reduction="none")
        b = token_bytes[y]
        nats += float((ce * (b > 0)).sum())
        nbytes += int(b.sum())
    return nats / math.log(2) / nbytes


@torch.no_grad()
def mean_entropy(model, tok: Tokenizer, prompts: list[str], texts: list[str]) -> float:
    hs = []
    for p, t in zip(prompts, texts):
        pi, ti = tok.encode_doc(p), tok.encode(t)
        x = torch.tensor(pi + ti)[None]
        lp = torch.log_softmax(model(x)[0, len(pi) - 1 : -1].float(), -1)
        hs.append(float(-(lp.exp() * lp).sum(-1).mean()))
    return statistics.mean(hs)


# -- the engine path, for the delta sweep and the decode cost -------------------------------


def engine_generate(g: TextGenerator, tok, wm, prompts, tokens, temperature, seed0) -> list[str]:
    out = []
    for b in range(0, len(prompts), 16):
        ps = [tok.encode_doc(p) for p in prompts[b : b + 16]]
        params = [
            SamplingParams(
                max_tokens=tokens,
                temperature=temperature,
                seed=seed0 + b + i,
                logits_processors=[wm.processor()] if wm else [],
            )
            for i in range(len(ps))
        ]
        out += [tok.decode(ids) for ids, _ in g.engine.generate_all(ps, params)]
    return out


def bench_model(model: str, a, tmp: Path, key_file: str) -> None:
    tok = Tokenizer.load(model)
    net = load_model(model).eval()
    wm = Watermarker(KEY, tok)
    prompts = prompts_for(model, tok, a.n)
    g = TextGenerator(net, tok, max_batch=16)
    print(f"\n## {model}: {sum(p.numel() for p in net.parameters()) / 1e6:.2f}M parameters")
    print(f"scheme: gamma {wm.scheme.gamma}, delta {wm.scheme.delta}, context {wm.scheme.context_width}")
    if "detect" in a.parts:
        state = tmp / Path(model).name
        state.mkdir(parents=True, exist_ok=True)
        srv = Server(model, key_file, str(state))
        try:
            detection(srv, net, tok, prompts)
        finally:
            srv.close()
        # the model's own entropy, on unwatermarked text at T=1.0 (engine, no processor)
        plain = engine_generate(g, tok, None, prompts[:32], 64, 1.0, 7)
        h = mean_entropy(net, tok, prompts[:32], plain)
        print(f"\nmean next-token entropy of the model's own T=1.0 text: {h:.2f} nats")
    docs = held_out_docs(model)
    seq = min(512, net.cfg.max_seq_len)
    if "bpb" in a.parts or a.sweep:
        off = bits_per_byte(net, tok, docs, None, seq)
        on = bits_per_byte(net, tok, docs, bias_matrix(wm, net.cfg.vocab_size), seq)
        print(
            f"validation bits per byte: off {off:.4f}, on {on:.4f} (+{on - off:.4f}, {100 * (on / off - 1):+.1f}%)"
        )
    if a.sweep:
        print("\ndelta sweep (engine, local detector on the decoded text, T=1.0):")
        print("| delta | TPR 64 | TPR 200 | bpb on | bpb cost |")
        print("|---|---|---|---|---|")
        for d in [float(x) for x in a.sweep.split(",")]:
            w = Watermarker(KEY, tok, Scheme(delta=d))
            dd = Detector(KEY, tok, green=w.green)
            t64 = [s.watermarked for s in dd.score(engine_generate(g, tok, w, prompts, 64, 1.0, 2000))]
            t200 = [s.watermarked for s in dd.score(engine_generate(g, tok, w, prompts, 200, 1.0, 3000))]
            b = bits_per_byte(net, tok, docs, bias_matrix(w, net.cfg.vocab_size), seq)
            print(
                f"| {d:g} | {np.mean(t64):.3f} | {np.mean(t200):.3f} | {b:.4f} | {100 * (b / off - 1):+.1f}% |",
                flush=True,
            )
    if "decode" in a.parts:
        for streams in (1, 16):
            decode_ab(g, tok, prompts[:streams])
    if "human" in a.parts and a.crisislex:
        human(model, tok, a.crisislex, tmp, key_file)


class Timed:
    """A Watermarker whose processors add the time spent inside them to `spent`: the cost
    itself, which this VM's noise hides in a whole-run A/B."""

    def __init__(self, wm: Watermarker):
        self.wm, self.spent = wm, 0.0

    def processor(self):
        inner = self.wm.processor()

        def call(history, logits):
            t0 = time.perf_counter()
            out = inner(history, logits)
            self.spent += time.perf_counter() - t0
            return out

        return call


def decode_ab(
    g: TextGenerator, tok: Tokenizer, prompts: list[str], reps: int = 11, tokens: int = 192
) -> None:
    """Decode tokens/s with the watermark on against off, in pairs run back to back (order
    alternating), so this VM's drift hits both sides of a pair alike: the median of the
    pairs' ratios. The first pair is cold (a fresh Watermarker: each context's bias row is
    built the first time it is seen, as for a vocabulary too large to build whole); then
    the rows are built at once, as `mynah serve` does when it loads a 4k-vocabulary model."""
    wm = Timed(Watermarker(KEY, tok))
    engine_generate(g, tok, None, prompts, 32, 1.0, 0)  # the engine's own warm-up, uncounted
    rates: dict[str, list[float]] = {"off": [], "on": []}
    ratios, inside = [], []
    for rep in range(reps + 1):
        r = {}
        for mode in ("off", "on") if rep % 2 else ("on", "off"):
            wm.spent = 0.0
            t0 = time.perf_counter()
            engine_generate(g, tok, wm if mode == "on" else None, prompts, tokens, 1.0, rep)
            dt = time.perf_counter() - t0
            r[mode] = len(prompts) * tokens / dt
            if mode == "on" and rep:
                inside.append(wm.spent / (dt - wm.spent))
        if rep == 0:
            cold = r["on"] / r["off"]
            wm.wm.warm(torch.device("cpu"), torch.float32, g.engine.cfg.vocab_size)  # as the server does
            continue
        ratios.append(r["on"] / r["off"])
        for k, v in r.items():
            rates[k].append(v)
    print(
        f"decode {len(prompts):2d} streams: on {statistics.median(rates['on']):.0f} tok/s, off "
        f"{statistics.median(rates['off']):.0f} tok/s; ratio median {statistics.median(ratios):.3f} "
        f"(pairs {min(ratios):.3f}..{max(ratios):.3f}; cold first pair {cold:.3f}); "
        f"time inside the watermark processors: +{100 * statistics.median(inside):.1f}% of the rest",
        flush=True,
    )


def detection(srv: Server, net, tok: Tokenizer, prompts: list[str]) -> None:
    kept = {}
    print("| new tokens | TPR T=1.0 | TPR T=0.7 | median scored | median green share T=1.0 |")
    print("|---|---|---|---|---|")
    for n in LENGTHS:
        if n + 16 >= net.cfg.max_seq_len:
            continue
        row = {}
        for temp in (1.0, 0.7):
            texts = srv.complete(prompts, n, temp, 1000)
            row[temp] = srv.detect(texts)
            if temp == 1.0:
                kept[n] = texts
        s1 = row[1.0]
        med = statistics.median(s["tokens_scored"] for s in s1)
        share = statistics.median(s["green_tokens"] / max(1, s["tokens_scored"]) for s in s1)
        short = sum(s["verdict"] == "too_short" for s in s1)
        note = f" ({short} too short)" if short else ""
        print(f"| {n} | {tpr(s1):.3f}{note} | {tpr(row[0.7]):.3f} | {med:g} | {share:.3f} |", flush=True)
    print("\nrobustness at T=1.0 (through /v1/detect):")
    for n in (64, 200):
        if n not in kept:
            continue
        cells = [
            f"{int(f * 100)}% replaced {tpr(srv.detect(replace_tokens(tok, kept[n], f))):.3f}"
            for f in (0.1, 0.2, 0.3)
        ]
        cells.append(f"platform rewrite {tpr(srv.detect([rewrite(t) for t in kept[n]])):.3f}")
        print(f"  {n} tokens: " + "; ".join(cells), flush=True)
    print(f"  example (T=1.0, 64 tokens): {prompts[0]!r} -> {kept[64][0][:160]!r}")


def human(model: str, tok: Tokenizer, root: str, tmp: Path, key_file: str) -> None:
    texts = crisislex(root)
    f = tmp / "crisislex.jsonl"
    with open(f, "w") as out:
        for t in texts:
            out.write(json.dumps({"text": t}) + "\n")
    cmd = [MYNAH, "detect", str(f), "--jsonl", "--field", "text", "--key-file", key_file, "--model", model]
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(r.stderr)
    rows = [json.loads(x) for x in r.stdout.splitlines()]
    scored = [x for x in rows if x.get("verdict") in ("watermarked", "not_watermarked")]
    flagged = sum(x["watermarked"] for x in scored)
    print(
        f"\nfalse positives (mynah detect --jsonl over {len(texts):,} CrisisLex tweets): {flagged} flagged; "
        f"{len(scored):,} long enough to score (median {statistics.median(x['tokens_scored'] for x in scored):g} "
        f"tokens scored); smallest p {min(x['p_value'] for x in scored):.2e}; "
        f"human green share median {statistics.median(x['green_tokens'] / x['tokens_scored'] for x in scored):.3f}"
    )
    # the baseline: transformers' detector, same gamma/context, repeated n-grams once
    from transformers import PretrainedConfig
    from transformers.generation import WatermarkDetector, WatermarkingConfig

    cfg = PretrainedConfig(vocab_size=tok.vocab_size, bos_token_id=-1)  # the texts carry no BOS
    hf = WatermarkDetector(
        cfg,
        "cpu",
        WatermarkingConfig(greenlist_ratio=0.25, bias=2.5, context_width=1, seeding_scheme="lefthash"),
        ignore_repeated_ngrams=True,
    )
    sample = [ids for ids in tok.encode_batch(texts[:2000]) if len(ids) >= 2]
    t1 = time.perf_counter()
    for ids in sample:
        hf(torch.tensor([ids]), z_threshold=4.0)
    hf_rate = len(sample) / (time.perf_counter() - t1)
    rate = len(texts) / dt
    print(
        f"detector speed: mynah detect {rate:,.0f} posts/s over the file (process start included); "
        f"transformers WatermarkDetector {hf_rate:,.0f} posts/s on the same tokens; ratio {rate / hf_rate:.0f}x"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", action="append", required=True, help="a base model folder (repeatable)")
    ap.add_argument("--crisislex", default=None)
    ap.add_argument("--n", type=int, default=64, help="generations per point")
    ap.add_argument(
        "--sweep",
        default="",
        help="comma-separated deltas: TPR at 64/200 tokens and bpb cost for each (engine)",
    )
    ap.add_argument(
        "--parts",
        default="detect,bpb,decode,human",
        help="which measurements: detect (TPR through a server), bpb, decode, human (CrisisLex)",
    )
    a = ap.parse_args()
    a.parts = set(a.parts.split(","))
    torch.set_num_threads(os.cpu_count() or 1)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        key_file = tmp / "wm.key"
        key_file.write_bytes(KEY)
        key_file.chmod(0o600)
        for m in a.model:
            bench_model(m, a, tmp, str(key_file))


if __name__ == "__main__":
    main()
