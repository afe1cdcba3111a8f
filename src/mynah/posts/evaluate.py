"""`mynah eval grounding`: are grounded answers on topic, verbatim, attributed and honest?

Each held-out question goes down the server's own path: `ground.retrieve` (the server's
search), `ground.fit_with_answer` with the page's answer room, the chat template, the
quote processors when the constraint is on, greedy decoding. What comes back is scored
against the sample network's own labels (each post carries its topic):
- cites: on-topic questions answered with at least one [n] (and with one that is on topic);
- citation precision: cited posts that really have the asked topic or author;
- quote fidelity: quoted spans found verbatim in a post of the block;
- attribution: quotes whose marker (the next [n] or @handle after the quote, as the
  constraint reads it) names a post that contains the span; a quote with no marker counts
  against it;
- honesty: questions about what the network never posts about, answered "no posts" with
  no citation. The model sees the (irrelevant) posts the search returns: there is no
  retrieval cutoff in front of it, so this measures the model, not a threshold.

Run with and without the constraint, so that what the training taught and what the
constraint enforces are measured apart.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

from mynah.engine import SamplingParams
from mynah.posts.ground import Grounded, fit_with_answer, retrieve
from mynah.processors.quotes import PAIRS
from mynah.train.grounded import NO_POSTS, PAGE_SYSTEM

_QUOTE = re.compile(
    "|".join(
        f"{re.escape(o.decode())}([^{re.escape(c.decode())}]*){re.escape(c.decode())}"
        for o, c in PAIRS.items()
    )
)
_MARKER = re.compile(r"\[(\d+)\]|(?<![\w@])@(\w+)")
METRICS = ("cites_any", "cites_on_topic", "citation_precision", "quote_fidelity", "attribution", "honesty")


def quotes_in(text: str) -> list[tuple[str, str | None]]:
    """(span, marker) for each quote: the marker is the first [n] or @handle after the quote
    and before the next one ("[2]", "@ana"), None when there is none."""
    found = [
        (m.start(), m.end(), next(g for g in m.groups() if g is not None)) for m in _QUOTE.finditer(text)
    ]
    out = []
    for i, (_, end, span) in enumerate(found):
        stop = found[i + 1][0] if i + 1 < len(found) else len(text)
        m = _MARKER.search(text, end, stop)
        out.append((" ".join(span.split()), m.group(0) if m else None))
    return out


def cited_numbers(text: str, n_sources: int) -> set[int]:
    return {int(m) for m in re.findall(r"\[(\d+)\]", text) if 1 <= int(m) <= n_sources}


def score(question: dict, text: str, g: Grounded, labels: dict[str, dict]) -> dict:
    """One answer's facts: what it cites, whether each quote is verbatim and attributed."""
    sources = g.sources()
    cited = cited_numbers(text, len(sources))

    def on_topic(n: int) -> bool:
        post = g.hits[n - 1].post
        if question.get("author"):
            return post.author == question["author"]
        return labels.get(post.id, {}).get("topic") == question.get("topic")

    quotes = []
    for span, marker in quotes_in(text):
        holders = {s.number for s in sources if span and span in s.text}
        by = None
        if marker and marker.startswith("["):
            by = {int(marker[1:-1])}
        elif marker:
            by = {s.number for s in sources if s.author and s.author.lower() == marker[1:].lower()}
        quotes.append(
            {
                "span": span,
                "marker": marker,
                "verbatim": bool(holders),
                "attributed": bool(by and by & holders),
            }
        )
    relevant_in_block = [i for i in range(1, len(sources) + 1) if on_topic(i)]
    return {
        **question,
        "answer": text,
        "in_block": len(sources),
        "matches": [list(h.matches or ()) for h in g.hits],  # what the block marked (ground.retrieve)
        "relevant_in_block": relevant_in_block,
        "cited": sorted(cited),
        "cited_on_topic": sorted(n for n in cited if on_topic(n)),
        "quotes": quotes,
        "says_no_posts": bool(NO_POSTS.search(text)),
    }


def summarize(rows: list[dict]) -> dict:
    def share(num: int, den: int) -> float | None:
        return round(num / den, 4) if den else None

    topical = [r for r in rows if not r["expect_empty"]]
    empty = [r for r in rows if r["expect_empty"]]
    reachable = [r for r in topical if r["relevant_in_block"]]
    cited = [(r, n) for r in topical for n in r["cited"]]
    quotes = [q for r in rows for q in r["quotes"]]
    return {
        "questions": len(rows),
        "on_topic_questions": len(topical),
        "empty_questions": len(empty),
        "cites_any": share(sum(bool(r["cited"]) for r in topical), len(topical)),
        "cites_on_topic": share(sum(bool(r["cited_on_topic"]) for r in topical), len(topical)),
        # the same, over the questions whose block holds an on-topic post (the model's part)
        "cites_on_topic_when_in_block": share(
            sum(bool(r["cited_on_topic"]) for r in reachable), len(reachable)
        ),
        "citation_precision": share(sum(n in r["cited_on_topic"] for r, n in cited), len(cited)),
        "quotes": len(quotes),
        "quote_fidelity": share(sum(q["verbatim"] for q in quotes), len(quotes)),
        "attribution": share(sum(q["attributed"] for q in quotes), len(quotes)),
        "unmarked_quotes": sum(q["marker"] is None for q in quotes),
        "honesty": share(sum(r["says_no_posts"] and not r["cited"] for r in empty), len(empty)),
        "empty_questions_with_posts_in_block": sum(r["in_block"] > 0 for r in empty),
    }


def answer_all(
    gen,
    store,
    questions: list[dict],
    labels: dict[str, dict],
    constrained: bool,
    embedder=None,
    want: int = 256,
    system: str | None = PAGE_SYSTEM,
    now: float | None = None,
    batch: int = 16,
) -> list[dict]:
    """Answer every question as the server would (greedy), and score each answer."""
    tok, context = gen.tok, gen.engine.max_len
    encode = lambda m: tok.encode_chat(m, add_generation_prompt=True)[0]  # noqa: E731
    prepared = []
    for q in questions:
        msgs = ([{"role": "system", "content": system}] if system else []) + [
            {"role": "user", "content": q["question"]}
        ]
        hits = retrieve(store, msgs, 5, embedder, now)
        prepared.append((q, fit_with_answer(msgs, hits, encode, context, want)))
    rows = []
    base = SamplingParams(max_tokens=want, temperature=0.0)
    for start in range(0, len(prepared), batch):
        part = prepared[start : start + batch]
        params = []
        for _, g in part:
            room = max(1, min(want, context - len(g.ids)))
            procs = g.processors(tok, room) if constrained else []
            params.append(replace(base, max_tokens=room, logits_processors=procs))
        texts = [""] * len(part)
        for c in gen.stream([g.ids for _, g in part], params):
            texts[c.seq] += c.text
        rows += [score(q, t, g, labels) for (q, g), t in zip(part, texts)]
    return rows


def plot(results: dict[str, dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4))
    width = 0.8 / len(results)
    for i, (name, m) in enumerate(results.items()):
        vals = [m[k] if m[k] is not None else 0 for k in METRICS]
        ax.bar([x + i * width for x in range(len(METRICS))], vals, width, label=name)
    ax.set_xticks([x + width * (len(results) - 1) / 2 for x in range(len(METRICS))])
    ax.set_xticklabels([k.replace("_", "\n") for k in METRICS], fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("share")
    ax.set_title("grounded answers (mynah eval grounding)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def table(results: dict[str, dict]) -> str:
    names = list(results)
    keys = [*METRICS, "cites_on_topic_when_in_block", "quotes", "unmarked_quotes"]
    lines = [f"{'metric':30}" + "".join(f"{n:>16}" for n in names)]
    for k in keys:
        cells = []
        for n in names:
            v = results[n][k]
            cells.append(f"{'-' if v is None else (f'{v:.1%}' if isinstance(v, float) else v):>16}")
        lines.append(f"{k:30}" + "".join(cells))
    return "\n".join(lines)


def write(out: Path, results: dict[str, dict], rows: dict[str, list[dict]], meta: dict) -> None:
    from mynah.atomic import write_text

    out.mkdir(parents=True, exist_ok=True)
    write_text(out / "grounding.json", json.dumps({**meta, "results": results}, indent=2) + "\n")
    write_text(
        out / "answers.jsonl",
        "".join(
            json.dumps({"constraint": k, **r}, ensure_ascii=False) + "\n"
            for k, rs in rows.items()
            for r in rs
        ),
    )
    plot(results, out / "grounding.png")


def run(
    model: str | Path,
    posts: str | Path,
    out: str | Path,
    sample: str | Path | None = None,
    questions: str | Path | None = None,
    constraint: str = "both",
    n: int = 200,
    seed: int = 1,
    embed: bool = True,
) -> dict[str, dict]:
    """Answer the held-out set with the model (with and/or without the quote constraint),
    print the table, and write grounding.json, answers.jsonl and grounding.png to `out`."""
    from mynah.generate import TextGenerator
    from mynah.posts.store import open_store
    from mynah.train.data import read_jsonl
    from mynah.train.grounded import builder_for, eval_questions, load_labels

    sample = Path(sample) if sample else Path(posts).parent / "sample"
    if not (sample / "posts.jsonl").exists():
        raise FileNotFoundError(
            f"{sample / 'posts.jsonl'}: the sample network's labelled posts are needed to score answers; "
            "pass --sample DIR (the folder `mynah sample` wrote)"
        )
    store = open_store(str(posts))
    embedder = None
    if embed and store.count():
        from mynah.posts.embed import Embedder, embed_all

        # Hybrid search, as the server runs it once its store is embedded: embed what is not.
        embedder = Embedder()
        embed_all(store, embedder)
    gen = TextGenerator.from_dir(model, max_batch=16)
    labels = load_labels(sample)
    if questions:
        qs = []
        for line_no, row in read_jsonl(questions):
            if not isinstance(row.get("question"), str) or not ("topic" in row or "author" in row):
                raise ValueError(f'{questions}:{line_no}: needs "question" and "topic" or "author"')
            qs.append({"expect_empty": False, **row})
    else:
        qs = eval_questions(
            builder_for(store, sample, gen.tok, gen.engine.max_len, "heldout", seed, embedder), n
        )
    modes = {"both": ["constraint on", "constraint off"], "on": ["constraint on"], "off": ["constraint off"]}
    results, rows = {}, {}
    for mode in modes[constraint]:
        rows[mode] = answer_all(gen, store, qs, labels, mode == "constraint on", embedder)
        results[mode] = summarize(rows[mode])
    meta = {"model": str(model), "posts": str(posts), "questions": str(questions or f"held-out, seed {seed}")}
    write(Path(out), results, rows, meta)
    print(table(results))
    print(f"\nwrote {out}/grounding.json, answers.jsonl and grounding.png")
    return results
