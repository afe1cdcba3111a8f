"""What a grounded answer's retrieval costs: `ground.retrieve` vs the search it wraps.

`retrieve` runs the hybrid search, puts the posts of an account the question names first,
and marks each post with the question's rare words (one capped FTS5 count per word of the
question, and a prefix count for a word no post has). The baseline is `search.search`
alone, the same hybrid query. Both run over a SQLite store of the sample network, its
posts embedded, on the held-out questions of `mynah eval grounding`; medians per query.

    python benchmarks/grounding_retrieve.py [--posts 20000] [--queries 200]
    python benchmarks/grounding_retrieve.py --db runs/demo/posts.db --sample runs/demo/sample
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from mynah.posts.embed import Embedder, embed_all
from mynah.posts.ground import retrieve
from mynah.posts.ingest import ingest_files
from mynah.posts.search import search
from mynah.posts.store import SQLiteStore
from mynah.sample import write_network
from mynah.tokenizer import train_tokenizer
from mynah.train.grounded import builder_for, eval_questions


def timed(fn, queries: list[str]) -> list[float]:
    out = []
    for q in queries:
        t = time.perf_counter()
        fn(q)
        out.append((time.perf_counter() - t) * 1000)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--posts", type=int, default=20000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--db", help="an existing store of a sample network (else one is built)")
    ap.add_argument("--sample", help="with --db: the sample folder it was made from")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sample = Path(a.sample) if a.db else tmp / "sample"
        if not a.db:
            write_network(sample, n_posts=a.posts, seed=0)
        store = SQLiteStore(a.db or tmp / "posts.db")
        if not a.db:
            ingest_files(store, [sample / "exports" / "x_v2.jsonl"], progress=False)
        embedder = Embedder()
        embed_all(store, embedder)
        tok = train_tokenizer(["the posts of the sample network"] * 10, 300)
        builder = builder_for(store, sample, tok, 512, "heldout", 1)
        qs = [q["question"] for q in eval_questions(builder, a.queries)]
        for q in qs[:10]:  # warm: the query encoder, the index, SQLite's page cache
            retrieve(store, [{"role": "user", "content": q}], 5, embedder)
        results = {}
        for rep in range(2):  # ABBA: each side runs first once
            for name in ["search", "retrieve"] if rep == 0 else ["retrieve", "search"]:
                if name == "search":
                    ms = timed(lambda q: search(store, q, 5, embedder=embedder), qs)
                else:
                    ms = timed(lambda q: retrieve(store, [{"role": "user", "content": q}], 5, embedder), qs)
                results.setdefault(name, []).extend(ms)
        base, ours = statistics.median(results["search"]), statistics.median(results["retrieve"])
        p95 = {k: sorted(v)[int(len(v) * 0.95)] for k, v in results.items()}
        print(f"{store.count()} posts, {len(qs)} held-out questions x 2 runs each")
        print(f"search.search (baseline): median {base:.2f} ms, p95 {p95['search']:.2f} ms")
        print(f"ground.retrieve (marks):  median {ours:.2f} ms, p95 {p95['retrieve']:.2f} ms")
        print(f"ratio retrieve / search: {ours / base:.2f}x (median)")
        store.close()


if __name__ == "__main__":
    main()
