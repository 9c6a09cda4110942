"""Figures of the chapter "When the assumptions bend" (simulated data; matplotlib figures, not shown).

Each function returns a titled figure with labelled axes; error bars are
two Monte Carlo standard errors. Coverage and rates are shares (0-1); bias is
in units of the estimates' standard deviation over the simulated samples.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from psyalliance.figures.figures import MARKERS, PALETTE, TEXT_PT, TITLE_PT, WIDTH_IN, book_figure

__all__ = ["cell_label", "bias_figure", "coverage_figure", "type1_figure", "rho_figure", "parallel_rho_figure"]

_EST = {"complete": "", "listwise": "listwise", "fiml": "FIML", "fiml_aux": "FIML + auxiliary"}


def cell_label(condition: str, estimator: str) -> str:
    """A short label such as "MAR (auxiliary), FIML" for a condition and estimator."""
    cond = {"normal": "normal", "bounded": "bounded", "mcar": "MCAR", "mar_outcome": "MAR (outcome)",
            "mar_auxiliary": "MAR (auxiliary)"}.get(condition, condition)
    return cond if estimator == "complete" else f"{cond}, {_EST.get(estimator, estimator)}"


def _labels(grid: pd.DataFrame) -> list[str]:
    cells = grid[["condition", "estimator"]].drop_duplicates()
    return [cell_label(c, e) for c, e in zip(cells["condition"], cells["estimator"])]


@book_figure
def bias_figure(grid: pd.DataFrame, effects: Sequence[str]):
    """Standardized bias (bias / SD of the estimates) of ``effects`` in every condition x estimator cell.

    Each effect has its own marker and colour, named in a key above the plot.
    """
    labels = _labels(grid)
    fig, ax = plt.subplots(figsize=(WIDTH_IN, 0.6 * len(labels) + 2.2), layout="constrained")
    y = np.arange(len(labels))
    for k, eff in enumerate(effects):
        d = grid[grid["effect"] == eff]
        sd = np.sqrt(np.maximum(d["rmse"] ** 2 - d["bias"] ** 2, 1e-300))
        ax.errorbar(d["bias"] / sd, y + (k - (len(effects) - 1) / 2) * 0.22, xerr=2 * d["mcse_bias"] / sd,
                    fmt=MARKERS[k % len(MARKERS)], ms=6, color=PALETTE[k % len(PALETTE)], label=eff, capsize=2)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(y, [lab.replace(", ", ",\n") for lab in labels])
    ax.invert_yaxis()
    ax.set_xlabel("bias / SD of the estimates (0 = unbiased)")
    ax.set_ylabel("data condition, estimator")
    ax.set_title("M1 at n = 24, simulated: bias by condition")
    ax.legend(title="effect", loc="lower center", bbox_to_anchor=(0.5, 1.06), ncols=len(effects), frameon=False,
              handletextpad=0.3, columnspacing=1.2)
    return fig


@book_figure
def coverage_figure(grid: pd.DataFrame, effect: str, level: float = 0.95):
    """Coverage of t/Sobel, percentile and BCa intervals of ``effect`` per cell, one panel per method, one
    above the other."""
    d = grid[grid["effect"] == effect]
    labels = _labels(grid)
    methods = [("coverage_t", "mcse_t", "t / Sobel; FIML: Wald (observed information)"),
               ("coverage_percentile", "mcse_percentile", "percentile bootstrap"),
               ("coverage_bca", "mcse_bca", "BCa bootstrap")]
    fig, axes = plt.subplots(3, 1, figsize=(WIDTH_IN, 3 * (0.45 * len(labels) + 0.8) + 1.3), sharex=True,
                             layout="constrained")
    y = np.arange(len(labels))
    for ax, (col, se, title) in zip(axes, methods):
        ok = d[col].notna().to_numpy()
        ax.errorbar(d[col][ok], y[ok], xerr=2 * d[se][ok], fmt="o", ms=5, capsize=2, color=PALETTE[0])
        for yy in y[~ok]:
            ax.text(0.62, yy, "no interval", ha="left", va="center", color="0.35")
        ax.axvline(level, color="black", lw=0.8, ls="--")
        ax.set_xlim(0.6, 1.0)
        ax.set_xticks([0.6, 0.7, 0.8, 0.9, 1.0])
        ax.set_title(title, fontsize=TEXT_PT)
        ax.set_yticks(y, [lab.replace(", ", ",\n") for lab in labels])
        ax.set_ylim(len(labels) - 0.4, -0.6)  # the first cell on top, room for the last one's note
    axes[1].set_ylabel("data condition, estimator")
    axes[-1].set_xlabel("coverage (share of intervals holding\nthe population value); dashed: 0.95")
    fig.suptitle(f"Coverage of 95% intervals for {effect},\nM1 at n = 24, simulated")
    return fig


@book_figure
def type1_figure(table: pd.DataFrame, fwer: dict, alpha: float = 0.05):
    """Rejection rates of a true model's chi-square tests (bars grouped by data kind, told apart by hatching
    too), and below them the FWER of the path tests."""
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(WIDTH_IN, 7.6), layout="constrained", height_ratios=[3, 2])
    kinds = list(dict.fromkeys(table["data"])) if "data" in table else [None]
    tests = list(dict.fromkeys(table["test"]))
    width = 0.8 / len(kinds)
    for k, kind in enumerate(kinds):
        d = table if kind is None else table[table["data"] == kind]
        d = d.set_index("test").loc[tests]
        x = np.arange(len(tests)) + (k - (len(kinds) - 1) / 2) * width
        a1.bar(x, d["type1"], width, yerr=2 * d["mcse"], capsize=3, color=PALETTE[k % len(PALETTE)],
               hatch=("", "//", "..", "xx")[k % 4], edgecolor="white", label=f"{kind} data" if kind else None)
    reps = table.drop_duplicates("test").set_index("test")["reps"]
    a1.axhline(alpha, color="black", ls="--", lw=0.8)
    a1.set_xticks(np.arange(len(tests)), [f"{t}\n({reps[t]:,})".replace("ML chi-square", "ML\nchi-square")
                                          for t in tests])
    a1.set_ylabel("type I error (share\nrejecting a true model)")
    a1.set_xlabel("test of model fit (samples); dashed: alpha")
    a1.set_title(f"M2 chi-square at n = {int(table['n'].iloc[0])}, simulated", fontsize=TITLE_PT)
    if kinds != [None]:
        a1.legend()
    vals = [fwer["fwer"], fwer["independent"], fwer["fwer_holm"]]
    a2.bar(range(3), vals, yerr=[2 * fwer["mcse"], 0, 2 * np.sqrt(alpha * (1 - alpha) / fwer["reps"])],
           capsize=3, color=[PALETTE[3], "lightgrey", PALETTE[2]])
    a2.axhline(alpha, color="black", ls="--", lw=0.8)
    a2.set_xticks(range(3), ["unadjusted", "1 - (1 - alpha)^k", "Holm"])
    a2.set_ylabel("family-wise\nerror rate")
    a2.set_xlabel(f"{fwer['k']} path tests, every path zero")
    a2.set_title("Any path significant, simulated", fontsize=TITLE_PT)
    return fig


@book_figure
def rho_figure(curve: pd.DataFrame, rho_zero: float, title: str):
    """The indirect effect against the mediator-outcome residual correlation rho, with its zero marked."""
    fig, ax = plt.subplots(figsize=(WIDTH_IN, 4.2), layout="constrained")
    ax.plot(curve["rho"], curve["indirect"], color=PALETTE[0], lw=1.8)
    ax.axhline(0, color="black", lw=0.8)
    ax.axvline(0, color="grey", lw=0.8, ls=":")
    ax.axvline(rho_zero, color=PALETTE[3], lw=1.2, ls="--")
    ax.annotate(f"indirect effect = 0\nat rho = {rho_zero:.2f}", (rho_zero, 1.0), xycoords=("data", "axes fraction"),
                xytext=(4, -4), textcoords="offset points", va="top", ha="left")
    ax.set_xlabel("rho: correlation of the mediator's\nand the outcome's residuals")
    ax.set_ylabel("indirect effect (GRID-HAMD points\nper alliance point)")
    ax.set_title(_wrap(title))
    return fig


@book_figure
def parallel_rho_figure(curve: pd.DataFrame, zeros: pd.DataFrame, labels: dict[str, str], title: str):
    """One panel per mediator, one above the other: its indirect effect against its rho (the other
    mediator's at 0), with the 95% bootstrap band; the lines are labelled where they are drawn.

    ``curve`` and ``zeros`` come from :func:`psyalliance.trust.ignorability.parallel_sensitivity`;
    ``labels`` names the mediators in words.
    """
    meds = list(dict.fromkeys(curve["mediator"]))
    fig, axes = plt.subplots(len(meds), 1, figsize=(WIDTH_IN, 3.6 * len(meds) + 1.0), sharey=True, squeeze=False,
                             layout="constrained")
    for ax, m in zip(axes[:, 0], meds):
        d = curve[curve["mediator"] == m]
        z = zeros.set_index("mediator").loc[m]
        ax.fill_between(d["rho"], d["low"], d["high"], color=PALETTE[0], alpha=0.2, lw=0)
        ax.plot(d["rho"], d["indirect"], color=PALETTE[0], lw=1.8)
        ax.axhline(0, color="black", lw=0.8)
        ax.axvline(0, color="grey", lw=0.8, ls=":")
        ax.axvline(z["rho_zero"], color=PALETTE[3], lw=1.2, ls="--")
        ax.annotate(f"effect = 0 at\nrho = {z['rho_zero']:.2f}", (z["rho_zero"], 0.02), xycoords=("data", "axes fraction"),
                    xytext=(4, 0), textcoords="offset points", va="bottom", ha="left", color="black")
        ax.annotate("rho = 0\n(usual estimate)", (0, 0.98), xycoords=("data", "axes fraction"), xytext=(-4, 0),
                    textcoords="offset points", va="top", ha="right", color="0.3")
        first = d.iloc[0]
        ax.annotate("95% band", (first["rho"], first["high"]), xytext=(2, 4), textcoords="offset points",
                    va="bottom", ha="left", color=PALETTE[0])
        ax.set_title(f"through {labels.get(m, m)}", fontsize=TEXT_PT)
        ax.set_xlabel(f"rho: residual correlation of {labels.get(m, m)}\nand depression")
        ax.set_ylabel("indirect effect (GRID-HAMD\npoints per alliance point)")
    fig.suptitle(_wrap(title))
    return fig


def _wrap(text: str, width: int = 48) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))
