"""The book's figures of the simulated data (seaborn / matplotlib).

Each function is self-contained: it takes data (and targets), draws one
figure and returns it, with a title that says the data are simulated and axes
labelled with units or scale ranges. Scales: alliance item means 1-5, MEQ30
and PIQ item means 0-5, GRID-HAMD totals 0-52. Nothing here is random, so the
same data give the same figure.
"""

from __future__ import annotations

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


def _short(names) -> list[str]:
    return [LABELS.get(n, n) for n in names]


def correlation_heatmap(corr: pd.DataFrame, title: str, ax: plt.Axes | None = None, annotate: bool = True) -> Figure:
    """One correlation matrix as a heatmap (lower triangle, diverging colours from -1 to 1)."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(8.5, 7))
    else:
        fig = ax.figure
    mask = np.triu(np.ones(corr.shape, dtype=bool), 1)
    sns.heatmap(
        corr, mask=mask, vmin=-1, vmax=1, center=0, cmap="RdBu_r", square=True, ax=ax,
        annot=annotate, fmt=".2f", annot_kws={"size": 6}, cbar_kws={"label": "Pearson r (-1 to 1)", "shrink": 0.7},
        xticklabels=_short(corr.columns), yticklabels=_short(corr.index),
    )
    ax.set_title(title)
    ax.set_xlabel("scale score")
    ax.set_ylabel("scale score")
    ax.tick_params(labelsize=7)
    return fig


def target_vs_achieved(target: pd.DataFrame, achieved: pd.DataFrame, status: pd.DataFrame | None = None) -> Figure:
    """Side by side: the target correlations, those of the simulated dataset, and their difference.

    ``status`` (optional; columns x, y, status) outlines the published entries in the difference panel.
    """
    fig, axes = plt.subplots(1, 3, figsize=(21, 7), constrained_layout=True)
    correlation_heatmap(target, "Target correlations (population)", ax=axes[0], annotate=False)
    correlation_heatmap(achieved, "Achieved correlations (simulated dataset, pairwise)", ax=axes[1], annotate=False)
    diff = achieved - target
    mask = np.triu(np.ones(diff.shape, dtype=bool), 1)
    sns.heatmap(diff, mask=mask, vmin=-0.2, vmax=0.2, center=0, cmap="PuOr_r", square=True, ax=axes[2],
                annot=True, fmt=".2f", annot_kws={"size": 6},
                cbar_kws={"label": "achieved minus target r", "shrink": 0.7},
                xticklabels=_short(diff.columns), yticklabels=_short(diff.index))
    axes[2].set_title("Difference (simulated minus target)")
    axes[2].tick_params(labelsize=7)
    axes[2].set_xlabel("scale score")
    axes[2].set_ylabel("scale score")
    if status is not None:
        names = list(target.columns)
        for rec in status[status["status"] == "published"].itertuples():
            i, j = sorted((names.index(rec.x), names.index(rec.y)), reverse=True)  # lower triangle: row > col
            axes[2].add_patch(plt.Rectangle((j, i), 1, 1, fill=False, edgecolor="black", lw=1.5))
    fig.suptitle("Target vs achieved correlations of the simulated data (black boxes: published)", fontsize=14)
    return fig


def score_distributions(df: pd.DataFrame, ranges: pd.DataFrame, variables: list[str] | None = None) -> Figure:
    """Histograms of scale scores, one panel each, with the instrument's range as the x axis limits
    (dashed lines at the ends). ``ranges``: DataFrame indexed by variable with columns low, high."""
    variables = variables or [c for c in LABELS if c in df.columns]
    ncol = 3
    nrow = int(np.ceil(len(variables) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(12, 2.6 * nrow), constrained_layout=True)
    for ax, v in zip(axes.flat, variables):
        lo, hi = ranges.loc[v, "low"], ranges.loc[v, "high"]
        x = df[v].dropna().astype(float)
        binwidth = 1.0 if v.startswith("hamd") else (hi - lo) / 20
        sns.histplot(x, ax=ax, binwidth=binwidth, binrange=(lo, hi), color="#4c72b0")
        for edge in (lo, hi):
            ax.axvline(edge, color="grey", ls="--", lw=1)
        pad = (hi - lo) * 0.03
        ax.set_xlim(lo - pad, hi + pad)
        unit = "total" if v.startswith("hamd") else "item mean"
        ax.set_xlabel(f"{unit} ({lo:g}-{hi:g}); n = {len(x)}")
        ax.set_ylabel("participants")
        ax.set_title(LABELS.get(v, v), fontsize=10)
    for ax in list(axes.flat)[len(variables):]:
        ax.set_visible(False)
    fig.suptitle("Distributions of the simulated scale scores, within each instrument's range", fontsize=13)
    return fig


def trajectories(df: pd.DataFrame, columns: list[str], positions: list[float], xlabel: str, ylabel: str,
                 ylim: tuple[float, float], title: str, xticklabels: list[str] | None = None) -> Figure:
    """One line per participant across ``columns`` (at x = ``positions``), one panel per arm,
    with the arm's mean as a thick line. Missing ratings leave gaps."""
    arms = [a for a in ARM_COLOURS if a in set(df["arm"])]
    fig, axes = plt.subplots(1, len(arms), figsize=(6 * len(arms), 4.2), sharey=True, constrained_layout=True)
    axes = np.atleast_1d(axes)
    for ax, arm in zip(axes, arms):
        sub = df[df["arm"] == arm]
        colour = ARM_COLOURS[arm]
        for _, row in sub.iterrows():
            ax.plot(positions, row[columns].astype(float).to_numpy(), color=colour, alpha=0.35, lw=1, marker="o", ms=3)
        ax.plot(positions, sub[columns].astype(float).mean().to_numpy(), color="black", lw=3, marker="s", label="arm mean")
        ax.set_title(f"{arm} arm (n = {len(sub)})")
        ax.set_xlabel(xlabel)
        ax.set_xticks(positions)
        ax.set_xticklabels(xticklabels or columns, rotation=20)
        ax.set_ylim(*ylim)
        ax.set_ylabel(ylabel)
        ax.legend(loc="best", fontsize=8)
    fig.suptitle(title, fontsize=13)
    return fig


def correlation_matrix(df: pd.DataFrame, variables: list[str] | None = None) -> Figure:
    """The Pearson correlations (pairwise-complete) of the simulated dataset's scale scores."""
    variables = variables or [c for c in LABELS if c in df.columns]
    corr = df[variables].astype(float).corr()
    return correlation_heatmap(corr, "Correlations of the simulated scale scores (pairwise-complete)")
