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

from psyalliance.figures import MARKERS, PALETTE

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


def bias_figure(grid: pd.DataFrame, effects: Sequence[str]):
    """Standardized bias (bias / SD of the estimates) of ``effects`` in every condition x estimator cell."""
    labels = _labels(grid)
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(labels) + 1.5))
    y = np.arange(len(labels))
    for k, eff in enumerate(effects):
        d = grid[grid["effect"] == eff]
        sd = np.sqrt(np.maximum(d["rmse"] ** 2 - d["bias"] ** 2, 1e-300))
        ax.errorbar(d["bias"] / sd, y + (k - (len(effects) - 1) / 2) * 0.18, xerr=2 * d["mcse_bias"] / sd,
                    fmt=MARKERS[k % len(MARKERS)], ms=5, color=PALETTE[k % len(PALETTE)], label=eff, capsize=2)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlabel("bias / SD of the estimates (0 = unbiased)")
    ax.set_ylabel("data condition, estimator")
    ax.set_title("M1 at n = 24, simulated: bias by condition")
    ax.legend(title="effect", fontsize=8, loc="best")
    fig.tight_layout()
    return fig


def coverage_figure(grid: pd.DataFrame, effect: str, level: float = 0.95):
    """Coverage of t/Sobel, percentile and BCa intervals of ``effect`` per cell, one panel per method."""
    d = grid[grid["effect"] == effect]
    labels = _labels(grid)
    methods = [("coverage_t", "mcse_t", "t / Sobel; FIML: Wald (observed information)"),
               ("coverage_percentile", "mcse_percentile", "percentile bootstrap"),
               ("coverage_bca", "mcse_bca", "BCa bootstrap")]
    fig, axes = plt.subplots(1, 3, figsize=(11, 0.45 * len(labels) + 1.8), sharey=True)
    y = np.arange(len(labels))
    for ax, (col, se, title) in zip(axes, methods):
        ok = d[col].notna().to_numpy()
        ax.errorbar(d[col][ok], y[ok], xerr=2 * d[se][ok], fmt="o", ms=4, capsize=2)
        for yy in y[~ok]:
            ax.text(0.62, yy, "no interval", ha="left", va="center", fontsize=7, color="grey")
        ax.axvline(level, color="black", lw=0.8, ls="--")
        ax.set_xlim(0.6, 1.0)
        ax.set_title(title, fontsize=10)
    axes[0].set_yticks(y, labels)
    axes[0].invert_yaxis()
    axes[0].set_ylabel("data condition, estimator")
    fig.supxlabel("coverage (share of intervals holding the population value)")
    fig.suptitle(f"Coverage of 95% intervals for {effect}, M1 at n = 24, simulated")
    fig.tight_layout()
    return fig


def type1_figure(table: pd.DataFrame, fwer: dict, alpha: float = 0.05):
    """Rejection rates of a true model's chi-square tests (bars grouped by data kind), and the FWER of the path tests."""
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 3.9), gridspec_kw={"width_ratios": [3, 2]})
    kinds = list(dict.fromkeys(table["data"])) if "data" in table else [None]
    tests = list(dict.fromkeys(table["test"]))
    width = 0.8 / len(kinds)
    for k, kind in enumerate(kinds):
        d = table if kind is None else table[table["data"] == kind]
        d = d.set_index("test").loc[tests]
        x = np.arange(len(tests)) + (k - (len(kinds) - 1) / 2) * width
        a1.bar(x, d["type1"], width, yerr=2 * d["mcse"], capsize=3, label=f"{kind} data" if kind else None)
    reps = table.drop_duplicates("test").set_index("test")["reps"]
    a1.axhline(alpha, color="black", ls="--", lw=0.8)
    a1.set_xticks(np.arange(len(tests)), [f"{t}\n({reps[t]:,} samples)" for t in tests], fontsize=8)
    a1.set_ylabel("type I error (share rejecting a true model)")
    a1.set_xlabel("test of model fit")
    a1.set_title(f"M2 chi-square at n = {int(table['n'].iloc[0])}, simulated", fontsize=10)
    if kinds != [None]:
        a1.legend(fontsize=8)
    vals = [fwer["fwer"], fwer["independent"], fwer["fwer_holm"]]
    a2.bar(range(3), vals, yerr=[2 * fwer["mcse"], 0, 2 * np.sqrt(alpha * (1 - alpha) / fwer["reps"])],
           capsize=3, color=["tab:red", "lightgrey", "tab:green"])
    a2.axhline(alpha, color="black", ls="--", lw=0.8)
    a2.set_xticks(range(3), ["unadjusted", "1 - (1 - alpha)^k", "Holm"], fontsize=8)
    a2.set_ylabel("family-wise error rate")
    a2.set_xlabel(f"{fwer['k']} path tests, every path zero")
    a2.set_title("Any path significant, simulated", fontsize=10)
    fig.tight_layout()
    return fig


def rho_figure(curve: pd.DataFrame, rho_zero: float, title: str):
    """The indirect effect against the mediator-outcome residual correlation rho, with its zero marked."""
    fig, ax = plt.subplots(figsize=(6.5, 4))
    ax.plot(curve["rho"], curve["indirect"], color="tab:blue")
    ax.axhline(0, color="black", lw=0.8)
    ax.axvline(0, color="grey", lw=0.8, ls=":")
    ax.axvline(rho_zero, color="tab:red", lw=1, ls="--", label="indirect effect = 0")
    ax.set_xlabel("rho: correlation of the mediator's and the outcome's residuals")
    ax.set_ylabel("indirect effect (GRID-HAMD points per alliance point)")
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def parallel_rho_figure(curve: pd.DataFrame, zeros: pd.DataFrame, labels: dict[str, str], title: str):
    """One panel per mediator: its indirect effect against its rho (the other mediator's at 0), with the band.

    ``curve`` and ``zeros`` come from :func:`psyalliance.ignorability.parallel_sensitivity`;
    ``labels`` names the mediators in words.
    """
    meds = list(dict.fromkeys(curve["mediator"]))
    fig, axes = plt.subplots(1, len(meds), figsize=(5.2 * len(meds), 4.2), sharey=True, squeeze=False)
    for ax, m in zip(axes[0], meds):
        d = curve[curve["mediator"] == m]
        z = zeros.set_index("mediator").loc[m]
        ax.fill_between(d["rho"], d["low"], d["high"], color="tab:blue", alpha=0.2, label="95% bootstrap band")
        ax.plot(d["rho"], d["indirect"], color="tab:blue", label="indirect effect")
        ax.axhline(0, color="black", lw=0.8)
        ax.axvline(0, color="grey", lw=0.8, ls=":", label="rho = 0 (usual estimate)")
        ax.axvline(z["rho_zero"], color="tab:red", lw=1.2, ls="--", label="indirect effect = 0")
        ax.set_title(f"through {labels.get(m, m)}", fontsize=10)
        ax.set_xlabel(f"rho: residual correlation of {labels.get(m, m)} and depression")
        ax.set_ylabel("indirect effect (GRID-HAMD points per alliance point)")
    axes[0][0].legend(fontsize=8, loc="upper right")
    fig.suptitle(title)
    fig.tight_layout()
    return fig
