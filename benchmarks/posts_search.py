"""Live posts: ingest throughput, query latency at 100k and 1M posts, and retrieval quality.

1. Quality (`--recall-posts`, default 5,000): a sample network where every post's topic is
   known, all of it embedded for real. A labelled query set of three kinds: the topic's
   own nouns ("what are people saying about cold brew?"), paraphrases that share no word
   with the topic's posts ("caffeine drinks at cafes"), and German/Spanish nouns.
   Relevant = the posts of the query's topic. recall@10 = |top 10 that are relevant| /
   min(10, |relevant|) (every topic has more than 10 posts, so it is the share of the top
   10 on topic), for BM25 only, vector only and hybrid.
2. Ingest throughput: posts/s into the SQLite store without embeddings (at each size), and
   with them (all-MiniLM-L6-v2 on the CPU, on `--embed-posts` posts).
3. Latency at each size (default 100k and 1M): hybrid queries end to end (embedding the
   query, BM25, HNSW, fusion, fetching the posts), p50 and p95, and each part. Embedding
   1M posts on this CPU would take ~100 minutes (~170 posts/s), so at these sizes each
   post's vector is a real embedding from a pool of `--pool` embedded posts plus Gaussian
   noise (norm ~0.3), then normalised: real-looking, clustered vectors for the index,
   with no two identical. Baseline in the same run: brute-force numpy cosine over all
   vectors plus SQLite `LIKE` over all texts.

    python benchmarks/posts_search.py --sizes 100000 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from mynah.posts.embed import Embedder, embed_pending
from mynah.posts.ingest import ops_from_objects
from mynah.posts.search import SearchConfig, search
from mynah.posts.store import SQLiteStore
from mynah.sample import TOPICS, build_network

# Paraphrases that avoid the words the sample network uses for each topic.
PARAPHRASE = {
    "coffee": "caffeine drinks at cafes",
    "football": "soccer matches and players",
    "weather": "rain sun and temperatures outside",
    "elections": "voting and candidates at the polls",
    "ai": "machine learning models and chatbots",
    "gaming": "video games and consoles",
    "music": "songs albums and concerts",
    "cooking": "recipes and meals made at home",
    "travel": "holidays and trips abroad",
    "transit": "buses trains and commuting",
    "space": "rockets astronauts and planets",
    "fitness": "workouts gyms and running",
    "movies": "films at the cinema",
    "books": "novels and reading",
    "pets": "dogs and cats at home",
    "gardening": "plants flowers and vegetables in the yard",
    "crypto": "bitcoin and digital currency",
    "stocks": "shares markets and investing",
    "climate": "global warming and emissions",
    "phones": "smartphones and mobile devices",
    "programming": "writing software and code",
    "art": "paintings galleries and artists",
    "fashion": "clothes and style",
    "education": "schools teachers and students",
    "health": "doctors illness and medicine",
    "housing": "rent apartments and real estate",
    "local": "our neighbourhood and town",
    "photography": "cameras and taking pictures",
    "tennis": "rackets courts and grand slams",
    "science": "research experiments and discoveries",
    "privacy": "personal data and surveillance",
    "food_delivery": "ordering takeout to the door",
    "airlines": "flights and airports",
    "banking": "bank accounts and cards",
    "telecom": "internet providers and mobile networks",
    "festivals": "outdoor events and celebrations",
}
ASK = {
    "en": "what are people saying about {}?",
    "de": "was sagen die Leute über {}?",
    "es": "qué dice la gente sobre {}?",
}


def query_set() -> list[tuple[str, str, str]]:
    """(kind, topic, query) for every topic."""
    out = []
    for topic, (_, nouns) in TOPICS.items():
        for n in nouns["en"][:2]:
            out.append(("nouns", topic, ASK["en"].format(n)))
        out.append(("paraphrase", topic, PARAPHRASE[topic]))
        for lang in ("de", "es"):
            if nouns.get(lang):
                out.append(("other language", topic, ASK[lang].format(nouns[lang][0])))
    return out


def ops(posts: list[dict]) -> list:
    rows = [
        {k: p[k] for k in ("id", "text", "author", "created_at", "lang", "reply_to", "conversation_id")}
        for p in posts
    ]
    return ops_from_objects(rows)[0]


def pct(xs: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(xs), q))


def recall(args, embedder: Embedder, work: Path) -> dict:
    net = build_network(args.recall_posts, seed=7)
    store = SQLiteStore(work / "recall.db")
    store.apply(ops(net.posts))
    t = time.perf_counter()
    embed_pending(store, embedder)
    print(f"quality set: {store.count()} posts embedded in {time.perf_counter() - t:.0f} s")
    topic = {f"mynah:{p['id']}": p.get("topic") for p in net.posts}
    by_topic: dict[str, int] = {}
    for t_ in topic.values():
        by_topic[t_] = by_topic.get(t_, 0) + 1
    results: dict[str, dict[str, list[float]]] = {}
    now = max(p["created_at"] for p in net.posts)
    now_ts = time.mktime(time.strptime(now, "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
    for kind, t_, q in query_set():
        for mode in ("bm25", "vector", "hybrid"):
            hits = search(store, q, 10, mode=mode, embedder=embedder, now=now_ts)
            rel = sum(topic.get(h.post.key) == t_ for h in hits)
            r = rel / min(10, by_topic.get(t_, 0) or 1)
            results.setdefault(mode, {}).setdefault(kind, []).append(r)
    store.close()
    table = {
        mode: {kind: round(statistics.mean(v), 3) for kind, v in kinds.items()}
        | {"all": round(statistics.mean([x for v in kinds.values() for x in v]), 3)}
        for mode, kinds in results.items()
    }
    print("recall@10 by mode and query kind:")
    for mode, row in table.items():
        print(f"  {mode:7s} " + "  ".join(f"{k}: {v:.3f}" for k, v in row.items()))
    return {"posts": args.recall_posts, "queries": len(query_set()), "recall@10": table}


def ingest_with_embeddings(args, embedder: Embedder, work: Path) -> float:
    net = build_network(args.embed_posts, seed=11)
    store = SQLiteStore(work / "embed.db")
    t = time.perf_counter()
    store.apply(ops(net.posts))
    embed_pending(store, embedder)
    store.refresh_index()
    dt = time.perf_counter() - t
    store.close()
    rate = len(net.posts) / dt
    print(f"ingest with embeddings: {rate:,.0f} posts/s ({len(net.posts)} posts, {dt:.1f} s)")
    return rate


def build_store(n: int, pool: np.ndarray, db: Path) -> dict:
    """N sample posts ingested (timed), vectors drawn from the pool, the HNSW index built."""
    t = time.perf_counter()
    net = build_network(n, seed=1)
    print(f"network built in {time.perf_counter() - t:.0f} s")
    store = SQLiteStore(db)
    t = time.perf_counter()
    for i in range(0, n, 5000):
        store.apply(ops(net.posts[i : i + 5000]))
    ingest_s = time.perf_counter() - t
    del net
    print(f"ingest without embeddings: {n / ingest_s:,.0f} posts/s ({ingest_s:.0f} s)")
    rng = np.random.default_rng(0)
    t = time.perf_counter()
    while rows := store.pending(20_000):  # written through the store's own path
        v = pool[rng.integers(0, len(pool), len(rows))]
        v = v + rng.normal(0, 0.3 / np.sqrt(pool.shape[1]), v.shape)
        store.set_embeddings(rows, (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32))
    vec_s = time.perf_counter() - t
    t = time.perf_counter()
    store.refresh_index()
    index_s = time.perf_counter() - t
    store.save_index()
    store.close()
    print(
        f"vectors stored in {vec_s:.0f} s; HNSW index built in {index_s:.0f} s ({n / index_s:,.0f} vectors/s)"
    )
    return {"ingest_posts_per_s": round(n / ingest_s), "index_build_s": round(index_s, 1)}


def latency(args, n: int, embedder: Embedder, pool: np.ndarray, work: Path) -> dict:
    print(f"\n== {n:,} posts ==")
    db = work / f"lat-{n}.db"
    out: dict = {"posts": n}
    if args.reuse and Path(str(db) + ".faiss").exists():
        print(f"reusing {db}")
    else:
        for f in work.glob(db.name + "*"):
            f.unlink()
        out.update(build_store(n, pool, db))
    store = SQLiteStore(db)
    t = time.perf_counter()
    store.refresh_index()
    print(f"index loaded in {time.perf_counter() - t:.1f} s")
    rows = store._q("SELECT p.key, v.emb FROM posts p JOIN vectors v ON v.post = p.rowid ORDER BY p.rowid")
    keys = [r[0] for r in rows]
    all_vecs = (
        np.frombuffer(b"".join(r[1] for r in rows), np.float16).reshape(len(rows), -1).astype(np.float32)
    )
    del rows
    queries = [q for _, _, q in query_set()]
    queries = (queries * (args.queries // len(queries) + 1))[: args.queries]
    cfg = SearchConfig()
    for q in queries[:5]:
        search(store, q, 10, embedder=embedder)  # warm caches
    reps = []
    for rep in range(args.reps):
        parts: dict[str, list[float]] = {"hybrid": [], "embed": [], "bm25": [], "vector": []}
        for q in queries:
            t0 = time.perf_counter()
            search(store, q, 10, embedder=embedder)
            parts["hybrid"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            v = embedder([q])[0]
            t1 = time.perf_counter()
            store.text_search(q, cfg.candidates)
            t2 = time.perf_counter()
            store.vector_search(v, cfg.candidates)
            t3 = time.perf_counter()
            parts["embed"].append(t1 - t0)
            parts["bm25"].append(t2 - t1)
            parts["vector"].append(t3 - t2)
        # the baseline, same queries: embed, brute-force cosine over every vector, LIKE over every text
        base: dict[str, list[float]] = {"embed": [], "numpy": [], "like": []}
        ann_recall: list[float] = []
        for q in queries[: args.baseline_queries]:
            t = time.perf_counter()
            v = embedder([q])[0]
            t0 = time.perf_counter()
            sims = all_vecs @ v
            top = np.argpartition(-sims, 50)[:50]
            exact = [keys[i] for i in top[np.argsort(-sims[top])]]
            t1 = time.perf_counter()
            # how much of the exact top 10 the HNSW index finds (its recall, not timed)
            ann = {k for k, _ in store.vector_search(v, 10)}
            ann_recall.append(len(ann & set(exact[:10])) / 10)
            store.like_search(q, 50)
            t2 = time.perf_counter()
            base["embed"].append(t0 - t)
            base["numpy"].append(t1 - t0)
            base["like"].append(t2 - t1)
        row = {k: (pct(v, 50) * 1000, pct(v, 95) * 1000) for k, v in parts.items()}
        total = [e + a + c for e, a, c in zip(base["embed"], base["numpy"], base["like"])]
        row["baseline_numpy"] = (pct(base["numpy"], 50) * 1000, pct(base["numpy"], 95) * 1000)
        row["baseline_like"] = (pct(base["like"], 50) * 1000, pct(base["like"], 95) * 1000)
        row["baseline_total"] = (pct(total, 50) * 1000, pct(total, 95) * 1000)
        row["hnsw_recall_at_10"] = (statistics.mean(ann_recall), statistics.mean(ann_recall))
        reps.append(row)
        print(
            f"  run {rep + 1} (ms, p50/p95): "
            + ", ".join(f"{k} {a:.1f}/{b:.1f}" for k, (a, b) in row.items() if k != "hnsw_recall_at_10")
            + f"; HNSW recall@10 {row['hnsw_recall_at_10'][0]:.3f}"
        )
    store.close()
    for k in reps[0]:
        p50s, p95s = [r[k][0] for r in reps], [r[k][1] for r in reps]
        if k == "hnsw_recall_at_10":  # against exact search over every vector: not a time
            out[k] = round(statistics.median(p50s), 3)
            print(f"  HNSW recall@10 against exact search, median of {len(reps)}: {out[k]:.3f}")
            continue
        out[k] = {
            "p50_ms": round(statistics.median(p50s), 2),
            "p95_ms": round(statistics.median(p95s), 2),
            "p95_runs_ms": [round(x, 1) for x in p95s],
        }
        print(
            f"  {k:15s} median of {len(reps)}: p50 {out[k]['p50_ms']:8.2f} ms   p95 {out[k]['p95_ms']:8.2f} ms"
        )
    out["queries"], out["baseline_queries"] = len(queries), min(len(queries), args.baseline_queries)
    out["speedup_p50"] = round(out["baseline_total"]["p50_ms"] / out["hybrid"]["p50_ms"], 1)
    out["db_mb"] = round(db.stat().st_size / 2**20)
    out["index_mb"] = round(Path(str(db) + ".faiss").stat().st_size / 2**20)
    print(
        f"  hybrid vs baseline (p50): {out['speedup_p50']}x; peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )
    if not args.keep:
        for f in work.glob(db.name + "*"):
            f.unlink()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--queries", type=int, default=300, help="hybrid queries timed at each size")
    ap.add_argument("--baseline-queries", type=int, default=40, help="queries timed for the (slow) baseline")
    ap.add_argument("--pool", type=int, default=10_000, help="posts embedded for real to draw vectors from")
    ap.add_argument("--recall-posts", type=int, default=5000)
    ap.add_argument("--embed-posts", type=int, default=2000)
    ap.add_argument("--work", default=None, help="folder for the databases (default: a temp folder)")
    ap.add_argument("--keep", action="store_true", help="keep the databases")
    ap.add_argument(
        "--reuse", action="store_true", help="measure kept databases again instead of building them"
    )
    ap.add_argument("--reps", type=int, default=3, help="timing runs at each size (medians reported)")
    ap.add_argument("--skip-quality", action="store_true", help="latency only")
    ap.add_argument("--json", default=None, help="write the figures here")
    args = ap.parse_args()
    work = Path(args.work or tempfile.mkdtemp(prefix="mynah-posts-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"machine: {os.cpu_count()} cores; work folder {work}")
    embedder = Embedder()
    embedder.model  # noqa: B018
    figures: dict = {}
    if not args.skip_quality:
        figures["quality"] = recall(args, embedder, work)
        figures["ingest_with_embeddings_posts_per_s"] = round(ingest_with_embeddings(args, embedder, work))
    pool = np.zeros((0, 384), np.float32)
    if not (args.reuse and all(Path(work / f"lat-{n}.db.faiss").exists() for n in args.sizes)):
        t = time.perf_counter()
        pool_net = build_network(args.pool, seed=5)
        pool = embedder([p["text"] for p in pool_net.posts])
        print(f"vector pool: {len(pool)} real embeddings in {time.perf_counter() - t:.0f} s")
    figures["latency"] = [latency(args, n, embedder, pool, work) for n in args.sizes]
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
