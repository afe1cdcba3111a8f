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


def render_chart(vol, source: str = "mynah post store") -> bytes:
    """PNG bytes (no metadata yet: images/provenance.py stamps them)."""
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI)
    fig.patch.set_facecolor("white")
    gs = fig.add_gridspec(
        1, 2, width_ratios=(3.2, 1), left=0.07, right=0.97, top=0.80, bottom=0.17, wspace=0.3
    )
    ax = fig.add_subplot(gs[0])
    title = f'Posts about "{vol.query}"' if vol.query.strip() else "All posts"
    no_math(fig.text(0.07, 0.93, title, fontsize=16, weight="bold", family=FONT))
    sub = f"{vol.total:,} posts · per {vol.by} · {span(vol)}"
    no_math(fig.text(0.07, 0.875, sub, fontsize=10.5, color="#444444", family=FONT))
    when = [_utc(b) for b in vol.buckets]
    if when:
        width = (1 / 24 if vol.by == "hour" else 1.0) * 0.9
        ax.bar(when, vol.counts, width=width, align="edge", color="#3b6ea8")
        loc = AutoDateLocator(minticks=3, maxticks=8)
        ax.xaxis.set_major_locator(loc)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(loc))
    else:
        ax.text(0.5, 0.5, "no matching posts", ha="center", va="center", transform=ax.transAxes, color="#777")
    ax.set_ylabel(f"posts per {vol.by}")
    ax.set_xlabel("time (UTC)")
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", alpha=0.3)

    lx = fig.add_subplot(gs[1])
    items = list(vol.langs.items())
    shown = items[:TOP_LANGS]
    rest = sum(v for _, v in items[TOP_LANGS:])
    if rest:
        shown.append(("other", rest))
    if shown and vol.total:
        names = [k for k, _ in shown][::-1]
        shares = [100 * v / vol.total for _, v in shown][::-1]
        lx.barh(names, shares, color="#c27b2c")
        for i, s in enumerate(shares):
            lx.text(s, i, f" {s:.0f}%", va="center", fontsize=9)
        lx.set_xlim(0, max(shares) * 1.35)
    lx.set_title("language share", fontsize=10)
    lx.set_xticks([])
    lx.spines[["top", "right", "bottom"]].set_visible(False)

    foot = f"Source: {source} · query: {vol.query!r} · drawn by mynah from stored posts (counts, not a model)"
    no_math(fig.text(0.07, 0.03, foot, fontsize=8.5, color="#555555", family=FONT))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()
