"""Visual answers (issue 17): generation latency, text decoding while images are made,
charts at 1M posts, provenance on every returned image, and the pixel watermark after a
platform's re-encoding. Each part runs mynah and its baseline in the same run:

1. Generation: p50/p95 of a 64×64 image at 4 steps with the tiny pipeline through the
   server (`openai` client, policy layer on, C2PA/XMP signing) vs the same diffusers
   pipeline called in-process with the same thread count (no server, no provenance).
2. Text under image load: aggregate decode rate of concurrent chat streams (tokens/s)
   with no image work vs while a client keeps the image worker busy (512×512, 4 steps,
   back to back). Target: with/without >= 0.8.
3. Charts at 1M posts: p50/p95 of POST /v1/images/chart end to end (count, draw, sign)
   over a mix of queries, vs the same chart made in-process with a full-scan `LIKE` count
   instead of the FTS index. Target: p95 <= 300 ms.
4. Provenance: every image returned in 1-3 plus quote cards: the share with a C2PA manifest
   that c2pa-python reads and validates (failures other than the self-signed signer's
   untrusted certificate count as failures) and with the XMP DigitalSourceType. Target 100%.
5. The pixel watermark on photographs (crops of matplotlib's sample photograph) and on the
   tiny pipeline's output: detection after JPEG q75 and a 50% resize, mynah's dwtDctSvd at
   strength 60 vs SDXL's dwtDct (the library's defaults), and false positives on unmarked.

    python benchmarks/images.py --model runs/demo/tiny-chat --posts 1000000
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import httpx
import numpy as np
import openai
from PIL import Image

from mynah.images.provenance import IPTC, Signer, Stamp, read_c2pa, read_xmp, stamp

HERE = Path(__file__).resolve().parent


def pct(xs, q):
    return float(np.percentile(xs, q))


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(model: Path, tmp: Path, *args: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    cmd = [sys.executable, "-m", "mynah.cli", "serve", "--model", str(model), "--port", str(port)]
    cmd += ["--state-dir", str(tmp / f"state-{port}"), *args]
    with open(tmp / f"server-{port}.log", "w") as log:  # the child keeps its own descriptor
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(1200):
        if proc.poll() is not None:
            raise RuntimeError((tmp / f"server-{port}.log").read_text()[-2000:])
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise RuntimeError("server did not start")


# -- 1M posts ------------------------------------------------------------------------------


def build_posts(path: Path, n: int, seed: int = 1) -> list[tuple[str, float]]:
    """A synthetic store: 15-word posts from a Zipf vocabulary of 4,000 words, six
    languages, 60 days, one post in ten with a hashtag; returns (word, share of posts)."""
    from mynah.posts.store import SQLiteStore, hashtags

    rng = np.random.default_rng(seed)
    r = random.Random(seed)
    syll = ["ka", "lo", "mi", "ne", "ru", "ta", "shi", "po", "ve", "da", "gri", "ul", "an", "es", "or", "bi"]
    vocab: set[str] = set()
    while len(vocab) < 4000:
        vocab.add("".join(r.choice(syll) for _ in range(r.randint(2, 4))))
    words = sorted(vocab)
    p = 1.0 / np.arange(1, len(words) + 1)
    p /= p.sum()
    langs = ["en", "de", "es", "fr", "ja", None]
    store = SQLiteStore(path, index=False)
    c = store._w
    base, span = 1_767_225_600, 60 * 86400  # 2026-01-01, 60 days
    step = 100_000
    c.execute("BEGIN")
    for lo in range(0, n, step):
        m = min(step, n - lo)
        w = rng.choice(len(words), size=(m, 15), p=p)
        li = rng.choice(6, size=m, p=[0.45, 0.15, 0.15, 0.1, 0.1, 0.05])
        ts = base + (np.arange(lo, lo + m) * span // n) + rng.integers(-3600, 3600, size=m)
        rows, tags = [], []
        for i in range(m):
            text = " ".join(words[j] for j in w[i]) + (f" #{words[w[i][0]]}" if i % 10 == 0 else "")
            t = int(min(max(ts[i], base), base + span - 1))
            iso = datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            k = lo + i + 1
            rows.append((k, f"x:{k}", str(k), "x", text, f"u{k % 5000}", iso, t, langs[li[i]]))
            tags += [(tg, k) for tg in hashtags(text)]
        c.executemany(
            "INSERT INTO posts (rowid, key, id, platform, text, author, created_at, ts, lang, needs_embed)"
            " VALUES (?,?,?,?,?,?,?,?,?,0)",  # no embeddings: the server's worker stays idle
            rows,
        )
        c.executemany("INSERT OR IGNORE INTO hashtags VALUES (?, ?)", tags)
    c.execute("COMMIT")
    store.close()
    # each word's share of posts (15 draws a post): what the chart cases pick their words by
    return [(words[i], 1 - (1 - p[i]) ** 15) for i in np.argsort(-p)]


def like_volume(db: Path, query: str, since: str | None, until: str | None, by: str):
    """The baseline's count: every word a LIKE over every post, grouped in SQL."""
    from mynah.posts.store import Volume, epoch

    step = 3600 if by == "hour" else 86400
    cond, args = ["ts IS NOT NULL"], []
    for w in query.split():
        cond.append("text LIKE ?")
        args.append(f"%{w}%")
    if since:
        cond.append("ts >= ?")
        args.append(epoch(since))
    if until:
        cond.append("ts <= ?")
        args.append(epoch(until))
    with sqlite3.connect(db) as c:
        rows = c.execute(
            f"SELECT ts / {step} * {step} AS b, coalesce(lang, 'und'), count(*) FROM posts"
            f" WHERE {' AND '.join(cond)} GROUP BY 1, 2",
            args,
        ).fetchall()
    counts: dict[int, int] = {}
    langs: dict[str, int] = {}
    for b, lang, k in rows:
        counts[b] = counts.get(b, 0) + k
        langs[lang] = langs.get(lang, 0) + k
    buckets = list(range(min(counts), max(counts) + step, step)) if counts else []
    return Volume(
        query,
        by,
        buckets[0] if buckets else 0,
        buckets,
        [counts.get(b, 0) for b in buckets],
        dict(sorted(langs.items(), key=lambda kv: -kv[1])),
        sum(counts.values()),
    )


# -- parts ---------------------------------------------------------------------------------


def part_generation(url: str, pipeline: Path, n: int, returned: list) -> dict:
    import torch
    from diffusers import DiffusionPipeline

    c = openai.OpenAI(base_url=url + "/v1", api_key="none", max_retries=0)
    c.images.generate(prompt="warm up", size="64x64")
    server = []
    for i in range(n):
        t = time.perf_counter()
        r = c.images.generate(
            prompt=f"a small red bird number {i}", size="64x64", extra_body={"num_inference_steps": 4}
        )
        server.append((time.perf_counter() - t) * 1000)
        returned.append(("generated", base64.b64decode(r.data[0].b64_json)))
    torch.set_num_threads(1)  # as the server's worker (--image-threads 1)
    pipe = DiffusionPipeline.from_pretrained(pipeline, use_safetensors=True)
    pipe.set_progress_bar_config(disable=True)
    pipe("warm up", height=64, width=64, num_inference_steps=4, guidance_scale=0.0)
    direct = []
    for i in range(n):
        t = time.perf_counter()
        pipe(f"a small red bird number {i}", height=64, width=64, num_inference_steps=4, guidance_scale=0.0)
        direct.append((time.perf_counter() - t) * 1000)
    torch.set_num_threads(os.cpu_count() or 1)
    return {
        "n": n,
        "server_ms": {"p50": pct(server, 50), "p95": pct(server, 95)},
        "direct_ms": {"p50": pct(direct, 50), "p95": pct(direct, 95)},
        "ratio_p50": pct(server, 50) / pct(direct, 50),
    }


def decode_rate(url: str, model: str, clients: int, seconds: float) -> float:
    """Generated tokens a second over `clients` streams of 64 tokens each, back to back,
    counted from each stream's usage (the policy layer sends text a sentence at a time, so
    chunks are not tokens)."""
    tokens = [0]
    lock = threading.Lock()
    end = time.time() + seconds

    def run(seed):
        c = openai.OpenAI(base_url=url + "/v1", api_key="none", max_retries=0)
        while time.time() < end:
            s = c.chat.completions.create(
                model=model,
                messages=[{"role": "user", "content": f"Tell me about coffee {seed}"}],
                max_tokens=64,
                stream=True,
                stream_options={"include_usage": True},
                extra_body={"ignore_eos": True, "grounding": False},
                seed=seed,
            )
            for ch in s:
                if ch.usage is not None:
                    with lock:
                        tokens[0] += ch.usage.completion_tokens

    t0 = time.time()
    ths = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    return tokens[0] / (time.time() - t0)


def part_text_under_load(url: str, model: str, clients: int, seconds: float, returned: list) -> dict:
    decode_rate(url, model, clients, 5)  # warm
    alone = decode_rate(url, model, clients, seconds)
    stop = threading.Event()
    made = [0]

    def images():
        c = openai.OpenAI(base_url=url + "/v1", api_key="none", max_retries=0, timeout=600)
        while not stop.is_set():
            r = c.images.generate(
                prompt="a lighthouse at dusk", size="512x512", extra_body={"num_inference_steps": 4}
            )
            made[0] += 1
            if made[0] <= 3:
                returned.append(("generated", base64.b64decode(r.data[0].b64_json)))

    th = threading.Thread(target=images)
    th.start()
    time.sleep(2)
    loaded = decode_rate(url, model, clients, seconds)
    stop.set()
    th.join()
    return {
        "clients": clients,
        "seconds": seconds,
        "tokens_per_s_alone": alone,
        "tokens_per_s_with_images": loaded,
        "ratio": loaded / alone,
        "images_made_meanwhile": made[0],
    }


def chart_cases(vocab: list[tuple[str, float]]) -> list[dict]:
    """Topic queries as a live stream sees them (a topic word in 0.5-10% of posts), the
    empty query (all posts) over a month and a day, a hashtag, two words."""

    def word(share):  # the word whose share of posts is nearest `share`
        return min(vocab, key=lambda ws: abs(ws[1] - share))[0]

    month = {"since": "2026-01-15T00:00:00Z", "until": "2026-02-14T23:59:59Z"}
    day = {"since": "2026-02-01T00:00:00Z", "until": "2026-02-01T23:59:59Z"}
    return [
        {"query": word(0.10), "by": "day"},
        {"query": word(0.05), "by": "day"},
        {"query": word(0.05), "by": "hour", **month},
        {"query": word(0.02), "by": "day"},
        {"query": word(0.005), "by": "hour", **month},
        {"query": f"{word(0.10)} {word(0.08)}", "by": "day"},
        {"query": f"#{word(0.05)}", "by": "day"},
        {"query": "", "by": "day", **month},
        {"query": "", "by": "hour", **day},
    ]


def part_charts(url: str, db: Path, vocab: list[str], rounds: int, returned: list) -> dict:
    cases = chart_cases(vocab)
    mynah, base = [], []
    for c in cases:
        httpx.post(url + "/v1/images/chart", json=c, timeout=60)  # warm the page cache
    per: dict[int, list[float]] = {}
    # one client, kept alive, as a service calling the API would (a new httpx client costs
    # 15-25 ms of SSL context set-up alone, which is the client's, not the server's)
    http = httpx.Client(timeout=60)
    for _ in range(rounds):
        for i, c in enumerate(cases):
            t = time.perf_counter()
            r = http.post(url + "/v1/images/chart", json=c)
            mynah.append((time.perf_counter() - t) * 1000)
            per.setdefault(i, []).append(mynah[-1])
            r.raise_for_status()
            if len(returned) < 200:
                returned.append(("chart", base64.b64decode(r.json()["data"][0]["b64_json"])))
    from mynah.images.charts import caption, render_chart

    signer = Signer.ephemeral()
    for c in cases:
        t = time.perf_counter()
        vol = like_volume(db, c["query"].lstrip("#"), c.get("since"), c.get("until"), c["by"])
        stamp(render_chart(vol), Stamp("chart", "mynah-chart", title=caption(vol)), signer)
        base.append((time.perf_counter() - t) * 1000)
    return {
        "requests": len(mynah),
        "mynah_ms": {"p50": pct(mynah, 50), "p95": pct(mynah, 95), "max": max(mynah)},
        "like_scan_ms": {"p50": pct(base, 50), "p95": pct(base, 95)},
        "by_case_p50_ms": {
            f"{c['query'] or '(all)'} by {c['by']}{' (a month)' if 'since' in c else ''}": round(
                pct(per[i], 50)
            )
            for i, c in enumerate(cases)
        },
        "ratio_p95": pct(mynah, 95) / pct(base, 95),
    }


def part_cards(url: str, db: Path, n: int, returned: list) -> None:
    with sqlite3.connect(db) as c:
        keys = [k for (k,) in c.execute("SELECT key FROM posts ORDER BY random() LIMIT ?", (n,))]
    for k in keys:
        r = httpx.post(url + "/v1/images/card", json={"post_id": k}, timeout=60)
        r.raise_for_status()
        returned.append(("card", base64.b64decode(r.json()["data"][0]["b64_json"])))


def part_provenance(returned: list) -> dict:
    want = {"generated": "trainedAlgorithmicMedia", "chart": "algorithmicMedia", "card": "algorithmicMedia"}
    by: dict[str, list[int]] = {}
    bad = []
    for kind, png in returned:
        found = read_c2pa(png)
        xmp = read_xmp(Image.open(io.BytesIO(png)))
        ok_c2pa = found is not None and found.valid and found.digital_source_type == IPTC + want[kind]
        ok_xmp = xmp is not None and xmp["digital_source_type"] == IPTC + want[kind]
        t = by.setdefault(kind, [0, 0, 0])
        t[0] += 1
        t[1] += ok_c2pa
        t[2] += ok_xmp
        if not (ok_c2pa and ok_xmp):
            bad.append((kind, found.failures if found else "no manifest"))
    return {
        "images": len(returned),
        "by_kind": {k: {"n": v[0], "c2pa_valid": v[1], "xmp": v[2]} for k, v in by.items()},
        "share_c2pa_valid": sum(v[1] for v in by.values()) / max(1, len(returned)),
        "share_xmp": sum(v[2] for v in by.values()) / max(1, len(returned)),
        "failures": bad[:5],
    }


def part_watermark(pipeline: Path, n_photos: int, n_noise: int) -> dict:
    import cv2
    import matplotlib.cbook as cbook
    import torch
    from diffusers import DiffusionPipeline
    from imwatermark import WatermarkDecoder, WatermarkEncoder

    from mynah.images import watermark as wm

    with cbook.get_sample_data("grace_hopper.jpg") as f:
        photo = Image.open(f).convert("RGB")
    rng = random.Random(0)
    photos = []
    for _ in range(n_photos):
        s = rng.choice([512, 640, 768, 1024])
        big = photo.resize((s, round(s * photo.height / photo.width)), Image.BICUBIC)
        x, y = rng.randint(0, big.width - 512), rng.randint(0, big.height - 512)
        im = big.crop((x, y, x + 512, y + 512))
        if rng.random() < 0.5:
            im = im.transpose(Image.FLIP_LEFT_RIGHT)
        photos.append(im)
    pipe = DiffusionPipeline.from_pretrained(pipeline, use_safetensors=True)
    pipe.set_progress_bar_config(disable=True)
    noise = [
        pipe(
            "x",
            height=512,
            width=512,
            num_inference_steps=2,
            guidance_scale=0.0,
            generator=torch.Generator().manual_seed(i),
        ).images[0]
        for i in range(n_noise)
    ]

    def shared(im):  # what a platform does: half the size, JPEG at quality 75
        buf = io.BytesIO()
        im.resize((im.width // 2, im.height // 2), Image.BICUBIC).save(buf, "JPEG", quality=75)
        return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")

    def jpeg(im):
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=75)
        return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")

    def sdxl_mark(im):
        enc = WatermarkEncoder()
        enc.set_watermark("bits", wm.BITS)
        bgr = enc.encode(cv2.cvtColor(np.asarray(im), cv2.COLOR_RGB2BGR), "dwtDct")
        return Image.fromarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))

    def sdxl_read(im):  # read the same way as ours: at the size given and at twice it
        best = 0
        for s in (1, 2):
            x = im.resize((im.width * s, im.height * s), Image.BICUBIC) if s > 1 else im
            got = WatermarkDecoder("bits", 48).decode(
                cv2.cvtColor(np.asarray(x), cv2.COLOR_RGB2BGR), "dwtDct"
            )
            best = max(best, sum(int(a) == b for a, b in zip(got, wm.BITS)))
        return best

    out = {}
    for name, imgs in (("photographs", photos), ("tiny_pipeline_noise", noise)):
        ours = [wm.mark(im) for im in imgs]
        sdxl = [sdxl_mark(im) for im in imgs]
        psnr = [cv2.PSNR(np.asarray(a), np.asarray(b)) for a, b in zip(imgs, ours)]
        r = {
            "n": len(imgs),
            "psnr_db_median": statistics.median(psnr),
            "mynah_detected_clean": sum(wm.detect(m).found for m in ours) / len(imgs),
            "mynah_detected_jpeg75": sum(wm.detect(jpeg(m)).found for m in ours) / len(imgs),
            "mynah_detected_jpeg75_half": sum(wm.detect(shared(m)).found for m in ours) / len(imgs),
            "mynah_bits_jpeg75_half_median": statistics.median(
                wm.detect(shared(m)).bits_matched for m in ours
            ),
            "sdxl_dwtDct_detected_jpeg75": sum(sdxl_read(jpeg(m)) >= wm.THRESHOLD for m in sdxl) / len(imgs),
            "sdxl_dwtDct_detected_jpeg75_half": sum(sdxl_read(shared(m)) >= wm.THRESHOLD for m in sdxl)
            / len(imgs),
            "false_positives_unmarked": sum(wm.detect(im).found for im in imgs)
            + sum(wm.detect(shared(im)).found for im in imgs),
        }
        out[name] = r
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--model", default="runs/demo/tiny-chat", help="a chat model folder (make demo makes this one)"
    )
    ap.add_argument("--posts", type=int, default=1_000_000, help="synthetic posts for the chart part")
    ap.add_argument("--gen", type=int, default=30, help="images timed in part 1")
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--chart-rounds", type=int, default=8)
    ap.add_argument("--photos", type=int, default=40)
    ap.add_argument("--noise", type=int, default=10)
    ap.add_argument(
        "--only", nargs="*", default=None, help="parts to run: gen text charts provenance watermark"
    )
    ap.add_argument("--out", default=None, help="write the results as JSON here")
    ap.add_argument("--db", default=None, help="keep the synthetic post store here (reused when it exists)")
    a = ap.parse_args()
    only = set(a.only or ["gen", "text", "charts", "provenance", "watermark"])
    res: dict = {"machine": f"{os.cpu_count()} CPUs", "date": time.strftime("%Y-%m-%d")}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        pipeline = tmp / "tiny-sd"
        subprocess.run(
            [sys.executable, "-m", "mynah.cli", "images", "tiny-pipeline", "--out", str(pipeline)],
            check=True,
            capture_output=True,
        )
        returned: list = []
        model = Path(a.model)
        name = model.resolve().name
        if only & {"gen", "text", "charts", "provenance"}:
            db = Path(a.db) if a.db else tmp / "posts.db"
            shares = db.with_suffix(".words.json")
            if db.exists() and shares.exists():
                vocab = [tuple(w) for w in json.loads(shares.read_text())]
            else:
                t = time.time()
                vocab = build_posts(db, a.posts)
                shares.write_text(json.dumps(vocab))
                print(f"built {a.posts:,} posts in {time.time() - t:.0f} s", flush=True)
            proc, url = serve(model, tmp, "--posts", str(db), "--image-model", str(pipeline))
            try:
                if "gen" in only or "provenance" in only:
                    res["generation"] = part_generation(url, pipeline, a.gen, returned)
                    print(json.dumps(res["generation"]), flush=True)
                if "text" in only:
                    res["text_under_image_load"] = part_text_under_load(
                        url, name, a.clients, a.seconds, returned
                    )
                    print(json.dumps(res["text_under_image_load"]), flush=True)
                if "charts" in only or "provenance" in only:
                    res["charts"] = part_charts(url, db, vocab, a.chart_rounds, returned)
                    print(json.dumps(res["charts"]), flush=True)
                    part_cards(url, db, 20, returned)
                if "provenance" in only:
                    res["provenance"] = part_provenance(returned)
                    print(json.dumps(res["provenance"]), flush=True)
            finally:
                proc.terminate()
                proc.wait(30)
        if "watermark" in only:
            res["watermark"] = part_watermark(pipeline, a.photos, a.noise)
            print(json.dumps(res["watermark"]), flush=True)
    if a.out:
        Path(a.out).write_text(json.dumps(res, indent=2) + "\n")


if __name__ == "__main__":
    main()
