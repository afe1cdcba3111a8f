"""The watermark: detection rate on generated text, false positives on human posts, speed.

- TPR at the default verdict (p <= 1e-6) for generations of a model (`--model`) at
  temperature 1.0 and 0.7, scored on the decoded text (re-tokenized, as a detector sees
  it), for 16..256 new tokens; also after 10/20/30% of tokens are replaced at random and
  after a platform-style rewrite (whitespace collapsed, URLs shortened).
- False positives on the ~88,000 real tweets of CrisisLex (`--crisislex`), with how many
  were long enough to score; the detector's posts/s over them (the baseline it is set
  against: json parsing of the same lines alone, so the ratio says what scoring adds).
- Decode tokens/s with the watermark on vs off at 1 and 16 streams (engine, sampling).

    python benchmarks/watermark.py --model runs/demo/tiny --crisislex ../shared/data/crisislex
"""

from __future__ import annotations

import argparse
import csv
import glob
import json
import random
import re
import statistics
import time

import numpy as np

from mynah.engine import SamplingParams
from mynah.generate import TextGenerator
from mynah.processors.watermark import Watermarker
from mynah.provenance.detect import Detector

KEY = b"benchmark-key-0123456789abcdef"


def crisislex(root: str) -> list[str]:
    texts = []
    for f in sorted(glob.glob(f"{root}/**/*.csv", recursive=True)):
        with open(f, encoding="utf-8", errors="replace", newline="") as fh:
            r = csv.reader(fh)
            head = [h.strip().lower() for h in next(r)]
            col = next(i for i, h in enumerate(head) if h in ("tweet text", "tweet", "text"))
            texts += [row[col] for row in r if len(row) > col]
    return texts


def generate(g: TextGenerator, wm, n: int, tokens: int, temperature: float, seed0: int) -> list[list[int]]:
    tok = g.tok
    starts = ["The", "Quick thought:", "Friends,", "Rent", "Kurze Frage:", "gente,", "The match", "Coffee"]
    out = []
    for b in range(0, n, 16):
        prompts = [tok.encode_doc(starts[(b + i) % len(starts)]) for i in range(min(16, n - b))]
        ps = [
            SamplingParams(
                max_tokens=tokens,
                temperature=temperature,
                seed=seed0 + b + i,
                stop_token_ids=[],
                logits_processors=[wm.processor()] if wm else [],
            )
            for i in range(len(prompts))
        ]
        out += [ids for ids, _ in g.engine.generate_all(prompts, ps)]
    return out


def rewrite(text: str) -> str:
    text = re.sub(r"https?://\S+", "https://t.co/xxxxxxxxxx", text)
    return re.sub(r"\s+", " ", text).strip()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--crisislex", default=None)
    ap.add_argument("--n", type=int, default=64, help="generations per point")
    ap.add_argument("--only-human", action="store_true", help="only the CrisisLex false positives and speed")
    a = ap.parse_args()
    g = TextGenerator.from_dir(a.model, max_batch=16)
    tok = g.tok
    wm = Watermarker(KEY, tok)
    det = Detector(KEY, tok, green=wm.green)
    print(
        f"model {a.model}; gamma {wm.scheme.gamma}, delta {wm.scheme.delta}, context {wm.scheme.context_width}"
    )

    def no_specials(ids):
        return [t for t in ids if t not in wm.specials]

    for temp in () if a.only_human else (1.0, 0.7):
        for tokens in (16, 32, 64, 128, 200, 256):
            if tokens >= g.engine.max_len:
                continue
            gens = generate(g, wm, a.n, tokens, temp, 1000)
            # posts separated as a platform shows them: the end-of-post token becomes a newline
            texts = [
                tok.decode([t if t not in wm.specials else tok.encode("\n")[0] for t in ids]) for ids in gens
            ]
            s = det.score(texts)
            tpr = sum(x.watermarked for x in s) / len(s)
            short = sum(x.verdict == "too_short" for x in s)
            med = statistics.median(x.scored for x in s)
            line = f"T={temp} {tokens:3d} tokens: TPR {tpr:.3f} (median scored {med}, too short {short})"
            if tokens in (64, 200) and temp == 1.0:
                rng = random.Random(0)
                for frac in (0.1, 0.2, 0.3):
                    att = []
                    for ids in gens:
                        ids = list(no_specials(ids))
                        for i in rng.sample(range(len(ids)), int(frac * len(ids))):
                            ids[i] = rng.randrange(tok.vocab_size)
                        att.append(tok.decode(ids))
                    line += f"; {int(frac * 100)}% replaced {sum(x.watermarked for x in det.score(att)) / len(att):.3f}"
                rw = det.score([rewrite(t) for t in texts])
                line += f"; rewritten {sum(x.watermarked for x in rw) / len(rw):.3f}"
            print(line, flush=True)
    # decode speed, watermark on vs off
    for streams in () if a.only_human else (1, 16):
        rates = {"off": [], "on": []}
        for rep in range(3):
            for mode in ("off", "on"):
                t0 = time.perf_counter()
                gens = generate(g, wm if mode == "on" else None, streams, 128, 1.0, rep)
                rates[mode].append(sum(len(x) for x in gens) / (time.perf_counter() - t0))
        on, off = statistics.median(rates["on"]), statistics.median(rates["off"])
        print(f"decode {streams:2d} streams: on {on:.0f} tok/s, off {off:.0f} tok/s, ratio {on / off:.3f}")
    if a.crisislex:
        texts = crisislex(a.crisislex)
        lines = [json.dumps({"text": t}) for t in texts]
        t0 = time.perf_counter()
        parsed = [json.loads(x)["text"] for x in lines]
        base = time.perf_counter() - t0
        t0 = time.perf_counter()
        scores = []
        for i in range(0, len(lines), 4096):
            scores += det.score([json.loads(x)["text"] for x in lines[i : i + 4096]])
        dt = time.perf_counter() - t0
        scored = [s for s in scores if s.verdict != "too_short"]
        flagged = sum(s.watermarked for s in scores)
        print(
            f"crisislex: {len(parsed)} tweets, {len(scored)} long enough to score, {flagged} flagged; "
            f"min p {min(s.p_value for s in scored):.2e}; detector {len(lines) / dt:.0f} posts/s "
            f"(json parsing alone {len(lines) / base:.0f}/s, ratio {dt / base:.1f}x its time)"
        )
        print(f"  human green share: median {np.median([s.green / s.scored for s in scored]):.3f}")


if __name__ == "__main__":
    main()
