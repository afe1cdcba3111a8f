"""Hybrid retrieval: BM25 and vector search fused by reciprocal rank, with a recency weight.

Reciprocal rank fusion (Cormack et al. 2009) adds 1 / (60 + rank) from each list: it needs
no calibration between BM25 scores and cosine similarities, which live on different
scales, and a post found by both ranks above one found by either alone. Recency then
multiplies the fused score by 1 + weight * 2^(-age / half-life): a post from this minute
counts up to (1 + weight) times, one a few half-lives old is ranked on relevance alone.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from mynah.posts.store import Filters, PostStore, StoredPost, epoch

RRF_K = 60
MODES = ("hybrid", "bm25", "vector")


@dataclass
class Hit:
    post: StoredPost
    score: float
    bm25_rank: int | None = None
    vector_rank: int | None = None
    # the question's rare words (or named @author) this post has; None: not looked for
    matches: tuple[str, ...] | None = None

    def as_dict(self) -> dict:
        return {
            **self.post.as_dict(),
            "score": round(self.score, 6),
            "bm25_rank": self.bm25_rank,
            "vector_rank": self.vector_rank,
            "matches": None if self.matches is None else list(self.matches),
        }


@dataclass
class SearchConfig:
    candidates: int = 50  # taken from each list before fusing
    half_life_hours: float = 24.0
    recency_weight: float = 0.5


def search(
    store: PostStore,
    query: str,
    k: int = 10,
    filters: Filters | None = None,
    mode: str = "hybrid",
    embedder=None,
    now: float | None = None,
    cfg: SearchConfig | None = None,
) -> list[Hit]:
    """The top `k` posts for `query`. Without an embedder (or before any post is embedded)
    hybrid search is BM25 alone: search works while embeddings are still being computed."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    cfg = cfg or SearchConfig()
    filters = filters or Filters()
    ranks: dict[str, dict[str, int]] = {}
    if mode in ("hybrid", "bm25"):
        for r, (key, _) in enumerate(store.text_search(query, cfg.candidates, filters)):
            ranks.setdefault(key, {})["bm25"] = r
    if mode in ("hybrid", "vector") and embedder is not None and query.strip():
        vec = embedder([query])[0]
        for r, (key, _) in enumerate(store.vector_search(vec, cfg.candidates, filters)):
            ranks.setdefault(key, {})["vector"] = r
    if not ranks:
        return []
    posts = {p.key: p for p in store.get(list(ranks))}
    now = time.time() if now is None else now
    hits = []
    for key, rk in ranks.items():
        post = posts.get(key)
        if post is None:  # deleted between the search and now
            continue
        score = sum(1.0 / (RRF_K + 1 + r) for r in rk.values())
        ts = epoch(post.created_at)
        if cfg.recency_weight and ts is not None:
            age_h = max(0.0, now - ts) / 3600
            score *= 1 + cfg.recency_weight * 2 ** (-age_h / cfg.half_life_hours)
        hits.append(Hit(post, score, rk.get("bm25"), rk.get("vector")))
    hits.sort(key=lambda h: (-h.score, h.post.key))
    return hits[:k]
