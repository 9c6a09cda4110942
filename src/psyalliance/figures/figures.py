"""The book's figures of the simulated data (seaborn / matplotlib).

Each function is self-contained: it takes data (and targets), draws one
figure and returns it, with a title that says the data are simulated and axes
labelled with units or scale ranges. Scales: alliance item means 1-5, MEQ30
and PIQ item means 0-5, GRID-HAMD totals 0-52. Nothing here is random, so the
same data give the same figure.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TypeVar

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#8C6D31", "#999999",
           "#882255")
"""Colours of the book's series: the Okabe-Ito colour-blind-safe palette (without its yellow, too pale on
white), then three dark extras. Never the only cue: every series also has its own marker and a direct label
or legend entry (:data:`MARKERS`, :data:`LINESTYLES`)."""

MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "*")
"""Markers of the book's series, in the order of :data:`PALETTE`."""

LINESTYLES = ("-", "--", "-.", ":")
"""Line styles, cycled where series of one kind need telling apart without colour."""

TEXT_PT = 11.0
"""The smallest text of every figure of the book (pt): tick labels, legends, notes.

A figure drawn at most :data:`WIDTH_IN` inches wide and shown in the text column of a 390 px phone page
(:data:`psyalliance.figures.figtext.PHONE_COLUMN_PX` CSS px) shows this text at ``TEXT_PT / 72 * column / width``
CSS px, at least :data:`psyalliance.figures.figtext.MIN_TEXT_PX` (9); tests/test_phone_figures.py checks each figure."""

TITLE_PT = 12.0
"""Titles and panel titles (pt)."""

WIDTH_IN = 5.5
"""The widest a figure of the book is drawn (inches): more panels are stacked, not shrunk."""

BOOK_RC = {
    "font.size": TEXT_PT, "axes.titlesize": TITLE_PT, "axes.labelsize": TEXT_PT, "xtick.labelsize": TEXT_PT,
    "ytick.labelsize": TEXT_PT, "legend.fontsize": TEXT_PT, "legend.title_fontsize": TEXT_PT,
    "figure.titlesize": TITLE_PT, "figure.labelsize": TEXT_PT, "figure.figsize": (WIDTH_IN, 4.0),
}
"""matplotlib settings of the book's figures (``plt.rcParams.update(BOOK_RC)`` for a figure drawn in a chapter)."""

_F = TypeVar("_F", bound=Callable)


def book_figure(func: _F) -> _F:
    """Draw ``func``'s figure with :data:`BOOK_RC`, its tick labels kept at :data:`TEXT_PT` when drawn later."""

    @functools.wraps(func)
    def draw(*args, **kwargs):
        # Only BOOK_RC's keys are set and restored: plt.rc_context would restore every rcParam, the backend
        # among them, and in a Jupyter kernel that can close the figure before it is shown (chapter 02's
        # second diagram had no output in JupyterLab).
        saved = {key: plt.rcParams[key] for key in BOOK_RC}
        plt.rcParams.update(BOOK_RC)
        try:
            fig = func(*args, **kwargs)
            for ax in fig.axes:  # ticks made at draw time would take the rcParams of that moment
                ax.tick_params(which="both", labelsize=TEXT_PT)
        finally:
            plt.rcParams.update(saved)
        return fig

    return draw  # type: ignore[return-value]


def label_ends(ax: plt.Axes, ends: Sequence[tuple[float, float, str, str]], gap: float = 1.3) -> None:
    """Direct labels right of the axes, one per series, instead of a legend.

    ``ends``: (x, y, text, colour) of each series' last point (data coordinates). The labels stand at the
    height of their series' end, moved apart to at least ``gap`` lines of :data:`TEXT_PT` text; a thin line in
    the series' colour joins each label to its end. The text is black (coloured text is too pale to read).
    """
    if not ends:
        return
    fig = ax.figure
    fig.canvas.draw()  # final limits and size
    to_px = ax.transData.transform
    box = ax.get_window_extent()
    step = gap * TEXT_PT * fig.dpi / 72
    order = sorted(range(len(ends)), key=lambda i: to_px((ends[i][0], ends[i][1]))[1])
    ys = [float(to_px((ends[i][0], ends[i][1]))[1]) for i in order]
    for k in range(1, len(ys)):  # upwards: each at least one step above the one below
        ys[k] = max(ys[k], ys[k - 1] + step)
    top = box.y1 + 0.5 * step
    if ys[-1] > top:  # then down again from the top, keeping the steps
        ys[-1] = top
        for k in range(len(ys) - 2, -1, -1):
            ys[k] = min(ys[k], ys[k + 1] - step)
    to_axes = ax.transAxes.inverted().transform
    for i, y in zip(order, ys):
        x, y_end, text, colour = ends[i]
        ax.annotate(text, xy=(x, y_end), xycoords="data", xytext=(1.03, to_axes((box.x0, y))[1]),
                    textcoords="axes fraction", va="center", ha="left", fontsize=TEXT_PT, color="black",
                    annotation_clip=False,
                    arrowprops=dict(arrowstyle="-", color=colour, lw=0.8, shrinkA=1, shrinkB=3))


ARM_COLOURS = {"immediate": PALETTE[0], "delayed": PALETTE[1]}

LABELS = {
    "alliance_prep": "Alliance, end of preparation",
    "alliance_post1": "Alliance, 1 wk after session 1",
    "alliance_post2": "Alliance, 1 wk after session 2",
    "mystical_s1": "MEQ30, session 1",
    "mystical_s2": "MEQ30, session 2",
    "mystical_peak": "MEQ30, peak",
    "insight_s1": "PIQ, session 1",
    "insight_s2": "PIQ, session 2",
    "insight_peak": "PIQ, peak",
    "hamd_baseline": "GRID-HAMD, baseline",
    "hamd_1wk": "GRID-HAMD, 1 week",
    "hamd_4wk": "GRID-HAMD, 4 weeks",
    "hamd_3mo": "GRID-HAMD, 3 months",
    "hamd_6mo": "GRID-HAMD, 6 months",
    "hamd_12mo": "GRID-HAMD, 12 months",
}
"""Short readable names of the scale scores, for axes and tick labels."""


SHORT_LABELS = {
    "alliance_prep": "Alliance, prep",
    "alliance_post1": "Alliance, after S1",
    "alliance_post2": "Alliance, after S2",
    "mystical_s1": "MEQ30, S1",
    "mystical_s2": "MEQ30, S2",
    "mystical_peak": "MEQ30, peak",
    "insight_s1": "PIQ, S1",
    "insight_s2": "PIQ, S2",
    "insight_peak": "PIQ, peak",
    "hamd_baseline": "HAMD, baseline",
    "hamd_1wk": "HAMD, 1 wk",
    "hamd_4wk": "HAMD, 4 wk",
    "hamd_3mo": "HAMD, 3 mo",
    "hamd_6mo": "HAMD, 6 mo",
    "hamd_12mo": "HAMD, 12 mo",
}
"""Shorter names for the heatmaps' tick labels (S1, S2: psilocybin sessions 1 and 2; HAMD: GRID-HAMD)."""

HEATMAP_AXIS = "scale score (S1, S2: psilocybin session 1, 2)"


def _short(names) -> list[str]:
    return [SHORT_LABELS.get(n, LABELS.get(n, n)) for n in names]


@book_figure
def correlation_heatmap(corr: pd.DataFrame, title: str, ax: plt.Axes | None = None, annotate: bool = False) -> Figure:
    """One correlation matrix as a heatmap (lower triangle, diverging colours from -1 to 1).

    ``annotate`` writes each r into its cell, in :data:`TEXT_PT` text: readable only for a few variables.
    """
    if ax is None:
        fig, ax = plt.subplots(figsize=(WIDTH_IN, 5.0), layout="constrained")
    else:
        fig = ax.figure
    mask = np.triu(np.ones(corr.shape, dtype=bool), 1)
    sns.heatmap(
        corr, mask=mask, vmin=-1, vmax=1, center=0, cmap="RdBu_r", square=True, ax=ax,
        annot=annotate, fmt=".2f", annot_kws={"size": TEXT_PT}, cbar_kws={"label": "Pearson r (-1 to 1)", "shrink": 0.8},
        xticklabels=_short(corr.columns), yticklabels=_short(corr.index),
    )
    ax.set_title(title)
    ax.set_xlabel(HEATMAP_AXIS)
    ax.set_ylabel("scale score")
    return fig


@book_figure
def target_vs_achieved(target: pd.DataFrame, achieved: pd.DataFrame, status: pd.DataFrame | None = None) -> Figure:
    """One above the other: the target correlations, those of the simulated dataset, and their difference.

    ``status`` (optional; columns x, y, status) outlines the published entries in the difference panel.
    """
    fig, axes = plt.subplots(3, 1, figsize=(WIDTH_IN, 15.5), layout="constrained")
    correlation_heatmap(target, "Target correlations (population)", ax=axes[0])
    correlation_heatmap(achieved, "Achieved correlations\n(simulated dataset, pairwise)", ax=axes[1])
    diff = achieved - target
    mask = np.triu(np.ones(diff.shape, dtype=bool), 1)
    sns.heatmap(diff, mask=mask, vmin=-0.2, vmax=0.2, center=0, cmap="PuOr_r", square=True, ax=axes[2],
                cbar_kws={"label": "achieved minus target r", "shrink": 0.8},
                xticklabels=_short(diff.columns), yticklabels=_short(diff.index))
    axes[2].set_title("Difference (simulated minus target)")
    axes[2].set_xlabel(HEATMAP_AXIS)
    axes[2].set_ylabel("scale score")
    if status is not None:
        names = list(target.columns)
        for rec in status[status["status"] == "published"].itertuples():
            i, j = sorted((names.index(rec.x), names.index(rec.y)), reverse=True)  # lower triangle: row > col
            axes[2].add_patch(plt.Rectangle((j, i), 1, 1, fill=False, edgecolor="black", lw=1.5))
    fig.suptitle("Target vs achieved correlations of the simulated data\n(black boxes: published)")
    return fig


@book_figure
def score_distributions(df: pd.DataFrame, ranges: pd.DataFrame, variables: list[str] | None = None) -> Figure:
    """Histograms of scale scores, two panels a row, with the instrument's range as the x axis limits
    (dashed lines at the ends). ``ranges``: DataFrame indexed by variable with columns low, high."""
    variables = variables or [c for c in LABELS if c in df.columns]
    ncol = min(2, len(variables))
    nrow = int(np.ceil(len(variables) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(WIDTH_IN, 2.5 * nrow + 0.6), layout="constrained", squeeze=False)
    for ax, v in zip(axes.flat, variables):
        lo, hi = ranges.loc[v, "low"], ranges.loc[v, "high"]
        x = df[v].dropna().astype(float)
        binwidth = 1.0 if v.startswith("hamd") else (hi - lo) / 20
        sns.histplot(x, ax=ax, binwidth=binwidth, binrange=(lo, hi), color=PALETTE[0])
        for edge in (lo, hi):
            ax.axvline(edge, color="grey", ls="--", lw=1)
        pad = (hi - lo) * 0.03
        ax.set_xlim(lo - pad, hi + pad)
        unit = "total" if v.startswith("hamd") else "item mean"
        ax.set_xlabel(f"{unit} ({lo:g}-{hi:g}); n = {len(x)}")
        ax.set_ylabel("participants")
        ax.set_title(SHORT_LABELS.get(v, LABELS.get(v, v)), fontsize=TEXT_PT)
    for ax in list(axes.flat)[len(variables):]:
        ax.set_visible(False)
    fig.suptitle("Distributions of the simulated scale scores,\nwithin each instrument's range")
    return fig


@book_figure
def trajectories(df: pd.DataFrame, columns: list[str], positions: list[float], xlabel: str, ylabel: str,
                 ylim: tuple[float, float], title: str, xticklabels: list[str] | None = None) -> Figure:
    """One line per participant across ``columns`` (at x = ``positions``), one panel per arm (one above
    the other), with the arm's mean as a thick black line with square markers. Missing ratings leave gaps."""
    arms = [a for a in ARM_COLOURS if a in set(df["arm"])]
    fig, axes = plt.subplots(len(arms), 1, figsize=(WIDTH_IN, 3.6 * len(arms) + 1.6), layout="constrained",
                             squeeze=False)
    axes = axes[:, 0]
    for ax, arm in zip(axes, arms):
        sub = df[df["arm"] == arm]
        colour = ARM_COLOURS[arm]
        for _, row in sub.iterrows():
            ax.plot(positions, row[columns].astype(float).to_numpy(), color=colour, alpha=0.35, lw=1, marker="o", ms=3)
        ax.plot(positions, sub[columns].astype(float).mean().to_numpy(), color="black", lw=3, marker="s", label="arm mean")
        ax.set_title(f"{arm} arm (n = {len(sub)})")
        ax.set_xticks(positions)
        ax.set_xticklabels(xticklabels or columns, rotation=25, ha="right", rotation_mode="anchor")
        ax.set_ylim(*ylim)
        ax.set_ylabel(ylabel)
        ax.set_xlabel(xlabel)
        ax.legend(loc="best")
    fig.suptitle(_wrap(title))
    return fig


def _wrap(text: str, width: int = 48) -> str:
    """A title in lines of at most ``width`` characters (a :data:`TITLE_PT` title across :data:`WIDTH_IN` inches)."""
    import textwrap

    return "\n".join(line for part in text.split("\n") for line in textwrap.wrap(part, width))


@book_figure
def correlation_matrix(df: pd.DataFrame, variables: list[str] | None = None) -> Figure:
    """The Pearson correlations (pairwise-complete) of the simulated dataset's scale scores."""
    variables = variables or [c for c in LABELS if c in df.columns]
    corr = df[variables].astype(float).corr()
    return correlation_heatmap(corr, "Correlations of the simulated scale scores\n(pairwise-complete)")


def wrap_labels(labels, width: int = 24) -> list[str]:
    """Tick labels in lines of at most ``width`` characters, so long names fit a phone-wide figure."""
    import textwrap

    return [textwrap.fill(str(label), width) for label in labels]
