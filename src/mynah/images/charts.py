"""Data images: a chart of what the post store says about a topic over time.

A chart is true by construction: every number on it is a count from the store
(`PostStore.volume`), and the image prints what it was drawn from (the query, the post
count, the time range and the bucket) so that a copy cut loose from its caption still says
what it shows. Drawn with matplotlib's object API (no pyplot state), so requests can draw
in parallel threads.
"""

from __future__ import annotations

import datetime as dt
import io

from mynah.images.cards import FONT, no_math

WIDTH, HEIGHT, DPI = 1000, 560, 100
TOP_LANGS = 6  # the rest are "other"


def _utc(ts: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc)


def span(vol) -> str:
    """The time range a chart covers, as printed on it."""
    if not vol.buckets:
        return "no posts in range"
    step = 3600 if vol.by == "hour" else 86400
    first, last = _utc(vol.buckets[0]), _utc(vol.buckets[-1] + step - 1)
    fmt = "%Y-%m-%d %H:%M" if vol.by == "hour" else "%Y-%m-%d"
    return f"{first.strftime(fmt)} to {last.strftime(fmt)} UTC"


def caption(vol) -> str:
    """One line for alt text and the reply under the image."""
    what = f'posts matching "{vol.query}"' if vol.query.strip() else "all posts"
    if not vol.total:
        return f"No {what} in the post store for {span(vol)}."
    top = ", ".join(f"{k} {100 * v / vol.total:.0f}%" for k, v in list(vol.langs.items())[:3])
    peak = max(range(len(vol.counts)), key=vol.counts.__getitem__)
    fmt = "%Y-%m-%d %H:00" if vol.by == "hour" else "%Y-%m-%d"
    return (
        f"Chart: {vol.total:,} {what}, per {vol.by}, {span(vol)}; busiest "
        f"{_utc(vol.buckets[peak]).strftime(fmt)} ({vol.counts[peak]:,}); languages: {top}."
    )


COLOURS = ("#c27b2c", "#3b6ea8", "#5a9e4b", "#9c5bb5", "#c44e52", "#7f7f7f", "#b8a13a")


def _languages(fig, vol) -> None:
    """The language share: one stacked bar across the figure, each language labelled."""
    from matplotlib.patches import Rectangle

    items = list(vol.langs.items())
    shown = items[:TOP_LANGS]
    rest = sum(v for _, v in items[TOP_LANGS:])
    if rest:
        shown.append(("other", rest))
    x0, y0, width, height = 0.07, 0.79, 0.90, 0.035
    no_math(fig.text(x0, y0 + height + 0.008, "language share", fontsize=9, color="#444444", family=FONT))
    if not vol.total:
        return
    x = x0
    for i, (lang, n) in enumerate(shown):
        w = width * n / vol.total
        fig.patches.append(
            Rectangle((x, y0), w, height, transform=fig.transFigure, facecolor=COLOURS[i % len(COLOURS)])
        )
        if w > 0.04:  # a label where it fits
            label = f"{lang} {100 * n / vol.total:.0f}%"
            fig.text(x + w / 2, y0 + height / 2, label, fontsize=8.5, color="white", ha="center", va="center")
        x += w


def render_chart(vol, source: str = "mynah post store") -> bytes:
    """PNG bytes (no metadata yet: images/provenance.py stamps them)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI)
    fig.patch.set_facecolor("white")
    # one axes: the language share is a stacked bar drawn in figure coordinates, which
    # costs no second set of ticks (a second axes was a third of the drawing time)
    ax = fig.add_axes((0.07, 0.17, 0.90, 0.55))
    title = f'Posts about "{vol.query}"' if vol.query.strip() else "All posts"
    no_math(fig.text(0.07, 0.93, title, fontsize=16, weight="bold", family=FONT))
    sub = f"{vol.total:,} posts · per {vol.by} · {span(vol)}"
    no_math(fig.text(0.07, 0.875, sub, fontsize=10.5, color="#444444", family=FONT))
    if vol.buckets:
        # x is the bucket's index; one filled step artist, not a bar (a Rectangle) a bucket
        # (744 hourly bars took 600 ms to draw); ticks placed here, not by matplotlib's date
        # locator, which was a third of the drawing time
        n = len(vol.buckets)
        ax.stairs(vol.counts, range(n + 1), fill=True, color="#3b6ea8", linewidth=0)
        ax.set_xlim(0, n)
        ax.set_ylim(0, max(max(vol.counts), 1) * 1.08)
        every = max(1, -(-n // 7))
        if vol.by == "hour" and every < 24 and n > 24:
            every = 6 if n <= 72 else 24
        ticks = list(range(0, n, every))
        fmt = (
            "%H:00"
            if vol.by == "hour" and n <= 48
            else "%b %d %H:00"
            if vol.by == "hour" and every < 24
            else "%b %d"
        )
        ax.set_xticks(ticks, [_utc(vol.buckets[i]).strftime(fmt) for i in ticks])
    else:
        ax.text(0.5, 0.5, "no matching posts", ha="center", va="center", transform=ax.transAxes, color="#777")
    ax.set_ylabel(f"posts per {vol.by}")
    ax.set_xlabel("UTC")
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", alpha=0.3)
    _languages(fig, vol)

    foot = f"Source: {source} · query: {vol.query!r} · drawn by mynah from stored posts (counts, not a model)"
    no_math(fig.text(0.07, 0.03, foot, fontsize=8.5, color="#555555", family=FONT))
    buf = io.BytesIO()
    # zlib level 1: a chart is flat colour, so it costs a few kB and saves most of the encode
    fig.savefig(buf, format="png", dpi=DPI, pil_kwargs={"compress_level": 1})
    return buf.getvalue()
