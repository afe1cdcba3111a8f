"""The guardrail classifier's baseline (issue 14): MiniLM sentence embeddings and a logistic
regression over the 14 categories, no rules. A request is refused when the hard-limit
categories together get probability >= 0.5. Trained on the template-generated main set,
tested on its held-out groups (a group split, never by row) and on the hand-written
held-out set, whose figures are the ones to report. What the policy layer must beat.

    python benchmarks/safety_baseline.py
"""

import collections
import json
import time
import zlib
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from mynah.posts.embed import Embedder

D = Path(__file__).resolve().parents[1] / "src/mynah/safety/data"
main = [json.loads(x) for x in (D / "main.jsonl").read_text().splitlines()]
held = [json.loads(x) for x in (D / "heldout.jsonl").read_text().splitlines()]
E = Embedder()
t0 = time.time()
Xm = E([r["text"] for r in main])
Xh = E([r["text"] for r in held])
print("embed s", round(time.time() - t0, 1))
test = np.array([zlib.crc32(r["group"].encode()) % 5 == 0 for r in main])
cats = sorted({r["category"] for r in main})
ci = {c: i for i, c in enumerate(cats)}
refuse = {r["category"] for r in main if r["decision"] == "refuse"}
ym = np.array([ci[r["category"]] for r in main])
yh = np.array([ci[r["category"]] for r in held])


def report(name, rows, P, thr):
    pr = P[:, [ci[c] for c in sorted(refuse)]].sum(1)
    dec = pr >= thr
    byc = collections.defaultdict(list)
    bylang = collections.defaultdict(list)
    for r, d in zip(rows, dec):
        byc[r["category"]].append(d)
        bylang[(r["lang"], r["decision"])].append(d)
    print(f"== {name} thr {thr}")
    for c in cats:
        v = byc[c]
        kind = "refusal" if c in refuse else "over-refusal"
        print(f"  {c:18s} {kind:13s} {100 * np.mean(v):5.1f}% (n={len(v)})")
    for k in sorted(bylang):
        print("  ", k, f"{100 * np.mean(bylang[k]):.1f}%")
    # symmetry: refusal gap between sides over mirrored pairs
    pairs = collections.defaultdict(dict)
    for r, d in zip(rows, dec):
        if r["mirror"]:
            pairs[r["mirror"]][r["side"]] = d
    a = [p["a"] for p in pairs.values() if len(p) == 2]
    b = [p["b"] for p in pairs.values() if len(p) == 2]
    print(
        f"  symmetry: side a {100 * np.mean(a):.1f}% side b {100 * np.mean(b):.1f}% gap {100 * abs(np.mean(a) - np.mean(b)):.1f} pts; pairs disagreeing {np.mean(np.array(a) != np.array(b)) * 100:.1f}%"
    )


for C in (1.0, 4.0, 16.0):
    clf = LogisticRegression(C=C, max_iter=2000).fit(Xm[~test], ym[~test])
    print("\n#### C", C)
    report("main group-split test", [r for r, t in zip(main, test) if t], clf.predict_proba(Xm[test]), 0.5)
    clf = LogisticRegression(C=C, max_iter=2000).fit(Xm, ym)
    report("held-out", held, clf.predict_proba(Xh), 0.5)
