"""Data images: a quote card that shows a post exactly as it was stored, with its author,
time and link.

Exactly: the text is drawn character for character (no mathtext, no trimming; lines are
only wrapped, at spaces where there are any), and the card's C2PA manifest carries the post
as stored (`org.mynah.image.post`), so a reader can check the picture against the words.
A glyph the card's fonts lack is drawn as a box, never replaced by other text.
"""

from __future__ import annotations

import io
import textwrap
import warnings

WIDTH, HEIGHT, DPI = 1200, 675, 100
# DejaVu ships with matplotlib; the others are used for what DejaVu lacks where installed
_WANTED = ("DejaVu Sans", "Noto Sans", "Noto Sans CJK JP", "Noto Color Emoji")
MAX_LINES = 14


def _fonts() -> list[str]:
    from matplotlib import font_manager

    have = {f.name for f in font_manager.fontManager.ttflist}
    return [f for f in _WANTED if f in have] or ["DejaVu Sans"]


FONT = _fonts()


def no_math(text):
    """A $ in a post is a dollar sign, not the start of mathtext."""
    text.set_parse_math(False)
    return text


def wrap(text: str, width: int) -> list[str]:
    """Lines of at most `width` characters; the post's own line breaks kept."""
    out: list[str] = []
    for para in text.split("\n"):
        out += textwrap.wrap(para, width, replace_whitespace=False, drop_whitespace=True) or [""]
    return out


def caption(post) -> str:
    who = f"@{post.author}" if post.author else "an unknown author"
    when = f" on {post.created_at}" if post.created_at else ""
    return f"Quote card of a post by {who}{when}" + (f": {post.url}" if post.url else "")


def render_card(post) -> bytes:
    """PNG bytes of a StoredPost's card (stamped later by images/provenance.py)."""
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyBboxPatch

    fig = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI)
    fig.patch.set_facecolor("#eef1f5")
    fig.patches.append(
        FancyBboxPatch(
            (0.04, 0.06),
            0.92,
            0.88,
            boxstyle="round,pad=0.0,rounding_size=0.03",
            transform=fig.transFigure,
            facecolor="white",
            edgecolor="#cfd6df",
        )
    )
    who = f"@{post.author}" if post.author else "(author unknown)"
    no_math(fig.text(0.08, 0.85, who, fontsize=20, weight="bold", family=FONT))
    meta = " · ".join(x for x in (post.platform, post.created_at) if x)
    no_math(fig.text(0.08, 0.80, meta, fontsize=12, color="#555555", family=FONT))
    lines = wrap(post.text, 60)
    more = len(lines) > MAX_LINES
    lines = lines[:MAX_LINES]
    size = 22 if len(lines) <= 6 else 17 if len(lines) <= 10 else 14
    body = "\n".join(lines) + ("\n[…] the full text is in this image's C2PA manifest" if more else "")
    no_math(fig.text(0.08, 0.73, body, fontsize=size, va="top", family=FONT, linespacing=1.35))
    link = post.url or f"{post.platform}:{post.id}"
    no_math(fig.text(0.08, 0.10, link, fontsize=11, color="#2a5db0", family=FONT))
    no_math(
        fig.text(
            0.92,
            0.10,
            "card drawn by mynah from the stored post",
            fontsize=9,
            color="#777777",
            ha="right",
            family=FONT,
        )
    )
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Glyph missing from font": drawn as a box, on purpose
        fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()
