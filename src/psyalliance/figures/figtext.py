"""The text sizes of a figure, written into the PNG a notebook shows, so a browser test can measure them.

A figure's smallest text is ``smallest_text_pt(fig)`` points; shown in a page at ``w`` CSS px wide, a
PNG of natural width ``W`` px drawn at ``dpi`` shows it at ``pt * dpi / 72 * w / W`` CSS px. The browser
test of the book (tests/test_browser_pages.py) reads ``pt`` and ``dpi`` from the PNG's text chunks
(:data:`PT_KEY`, :data:`DPI_KEY`) and ``w`` and ``W`` from the page, and requires at least 9 CSS px on a
390 px phone.

The book build loads this module as an IPython extension (``book/_ipython``, see the Makefile's book
target and tests/conftest.py): it replaces the inline backend's PNG formatter of matplotlib figures by
one that draws the same PNG (``bbox_inches="tight"``, as the inline backend does) with those two text
chunks added. Nothing else about the figure changes.
"""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure
from matplotlib.text import Text

PT_KEY = "psyalliance:smallest-text-pt"
"""PNG text chunk: the figure's smallest visible text, in points."""

DPI_KEY = "psyalliance:dpi"
"""PNG text chunk: the dots per inch the PNG was drawn at (pixels per 72 points)."""

MIN_TEXT_PX = 9.0
"""The smallest text a figure may show on a phone (CSS px), at its size in the page: never enlarged."""

PHONE_COLUMN_PX = 340
"""The narrowest a figure is shown on a 390 px wide page (CSS px): a figure of the text column (``<figure>``,
342 px measured in Chromium with the book's theme; a cell's output is 358 px). The browser test checks it."""

__all__ = ["PT_KEY", "DPI_KEY", "MIN_TEXT_PX", "PHONE_COLUMN_PX", "smallest_text_pt", "png_with_text_sizes",
           "phone_text_px", "load_ipython_extension"]


def _shown(text: Text) -> bool:
    return text.get_visible() and bool(text.get_text().strip()) and text.get_figure() is not None


SCRIPT_SHRINK = 0.7
"""How much smaller matplotlib's mathtext sets a sub- or superscript (``matplotlib._mathtext.SHRINK_FACTOR``)."""


def _script_depth(text: str) -> int:
    """How deep the sub- and superscripts of a text's mathtext (``$...$``) go: ``"$e_y$"`` 1, ``"$x^{a_b}$"`` 2."""
    import re

    depth = 0
    for math in re.findall(r"(?<!\\)\$(.+?)(?<!\\)\$", text):
        level, braces = 0, []
        for i, ch in enumerate(math):
            if ch in "_^":
                level += 1
                depth = max(depth, level)
                if i + 1 < len(math) and math[i + 1] == "{":
                    braces.append(level - 1)  # back to this level when its group closes
                else:
                    level -= 1  # a one-character script
            elif ch == "}" and braces:
                level = braces.pop()
    return depth


def _size_pt(text: Text) -> float:
    """The smallest glyphs of a text (pt): its font size, shrunk for each level of its mathtext scripts."""
    depth = _script_depth(text.get_text()) if text.get_usetex() is False else 0
    return float(text.get_fontsize()) * SCRIPT_SHRINK**depth


def smallest_text_pt(fig: Figure) -> float | None:
    """The size (pt) of the smallest visible, non-empty text of ``fig``, a mathtext sub- or superscript at
    ``SCRIPT_SHRINK`` of its font size; None if it has no text."""
    fig.canvas.draw()  # tick labels exist once drawn
    sizes = [_size_pt(t) for t in fig.findobj(Text) if _shown(t)]
    return min(sizes) if sizes else None


def png_with_text_sizes(fig: Figure, dpi: float | None = None) -> bytes:
    """The PNG of ``fig`` as the inline backend draws it (tight bounding box), with :data:`PT_KEY` and :data:`DPI_KEY`."""
    import io

    dpi = float(dpi or fig.dpi)
    pt = smallest_text_pt(fig)
    buf = io.BytesIO()
    meta = {DPI_KEY: f"{dpi:g}"} | ({PT_KEY: f"{pt:g}"} if pt is not None else {})
    fig.canvas.print_figure(buf, format="png", dpi=dpi, bbox_inches="tight", metadata=meta,
                            facecolor=fig.get_facecolor(), edgecolor=fig.get_edgecolor())
    return buf.getvalue()


def phone_text_px(fig: Figure, column_px: float = PHONE_COLUMN_PX) -> float | None:
    """The smallest text of ``fig`` in CSS px when its PNG (:func:`png_with_text_sizes`) is shown in a column
    ``column_px`` CSS px wide: at natural size if it fits, else scaled down to the column. None without text.

    Read from the PNG's own text chunks and pixel width, as the browser test reads them.
    """
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png_with_text_sizes(fig)))
    if PT_KEY not in image.info:
        return None
    pt, dpi = float(image.info[PT_KEY]), float(image.info[DPI_KEY])
    return pt * dpi / 72 * min(1.0, column_px / image.size[0])


def load_ipython_extension(ipython: Any) -> None:
    """Make the shell's PNG of every matplotlib figure carry its text sizes (``%load_ext psyalliance.figures.figtext``).

    The inline backend registers its own formatter when it is switched on, so it is switched on first
    (``%matplotlib inline``), and ours is put back before every cell and before the figures of a cell are shown.
    """
    ipython.run_line_magic("matplotlib", "inline")
    formatter = ipython.display_formatter.formatters["image/png"]

    def ours(*_: Any) -> None:
        formatter.for_type(Figure, png_with_text_sizes)

    ours()
    ipython.events.register("pre_run_cell", ours)
    ipython.events.register("post_execute", ours)
