"""psyalliance.figures.figtext: a figure's PNG records its smallest text (pt) and dpi, for the phone-width browser test."""

import io

import matplotlib
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from PIL import Image  # noqa: E402

from psyalliance.figures.figtext import (  # noqa: E402
    DPI_KEY,
    PT_KEY,
    load_ipython_extension,
    png_with_text_sizes,
    smallest_text_pt,
)


def test_the_smallest_text_counts_ticks_legends_and_titles_but_not_hidden_or_empty_text():
    fig, ax = plt.subplots()
    ax.plot([0, 1], label="series")
    ax.set_title("title", fontsize=14)
    ax.legend(fontsize=7.5)
    ax.tick_params(labelsize=11)
    ax.text(0, 0, "hidden", fontsize=3).set_visible(False)
    ax.text(0, 0, "  ", fontsize=2)
    assert smallest_text_pt(fig) == 7.5
    ax.tick_params(labelsize=6)
    assert smallest_text_pt(fig) == 6
    plt.close(fig)


def test_a_mathtext_subscript_counts_at_its_rendered_size():
    fig, ax = plt.subplots()
    ax.set_axis_off()
    ax.text(0.5, 0.5, "$e_y$", fontsize=12)
    ax.text(0.5, 0.2, "R² = 0.25 and a $ sign", fontsize=10)  # a superscript glyph, one dollar: plain text
    assert smallest_text_pt(fig) == pytest.approx(12 * 0.7)
    ax.text(0.1, 0.1, "$x^{a_b}$", fontsize=15)
    assert smallest_text_pt(fig) == pytest.approx(15 * 0.7 * 0.7)
    plt.close(fig)


def test_the_png_carries_both_text_chunks_and_the_pixels_follow_the_dpi():
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1])
    ax.tick_params(labelsize=9)
    small, large = (Image.open(io.BytesIO(png_with_text_sizes(fig, dpi))) for dpi in (50, 100))
    assert large.info[PT_KEY] == "9" and large.info[DPI_KEY] == "100" and small.info[DPI_KEY] == "50"
    assert abs(large.size[0] / small.size[0] - 2) < 0.05  # tight bounding box, same inches
    plt.close(fig)


def test_the_extension_replaces_the_inline_png_formatter_and_keeps_it():
    from IPython.core.formatters import PNGFormatter
    from matplotlib.figure import Figure

    class Events:
        def __init__(self):
            self.hooks = {}

        def register(self, name, func):
            self.hooks.setdefault(name, []).append(func)

    class Shell:
        def __init__(self):
            self.display_formatter = type("D", (), {"formatters": {"image/png": PNGFormatter()}})()
            self.events = Events()
            self.magics = []

        def run_line_magic(self, name, line):
            self.magics.append((name, line))

    shell = Shell()
    load_ipython_extension(shell)
    png = shell.display_formatter.formatters["image/png"]
    assert shell.magics == [("matplotlib", "inline")]
    assert png.lookup_by_type(Figure) is png_with_text_sizes
    png.for_type(Figure, lambda fig: b"the inline backend's own")  # what switching the backend on does
    for hook in shell.events.hooks["pre_run_cell"] + shell.events.hooks["post_execute"]:
        hook()
    assert png.lookup_by_type(Figure) is png_with_text_sizes


def test_phone_text_px_scales_a_wide_figure_down_to_the_column_and_never_up():
    from psyalliance.figures.figtext import phone_text_px

    for width_in, expected in ((2.0, 12 * 100 / 72), (10.0, 12 * 100 / 72 * 340 / (10.2 * 100))):
        fig = plt.figure(figsize=(width_in, 1.5), dpi=100)
        fig.text(0.0, 0.5, "x", fontsize=12)
        fig.text(0.999, 0.5, "x", fontsize=14)  # the two ends fix the tight bounding box: width + 2 x 0.1 in pad
        assert phone_text_px(fig, column_px=340) == pytest.approx(expected, rel=0.02), width_in
        plt.close(fig)
