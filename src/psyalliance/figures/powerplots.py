"""Figures and tables of the chapter "How much can 24 people tell us?": power, sampling distributions, sensitivity.

Every figure is of **simulated** data and says so in its title; every table
made with :func:`simulated_table` says so in its caption. Figure functions
return a matplotlib Figure and never show it; the chapter glues them.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator, NullLocator

from psyalliance.figures.figures import MARKERS, PALETTE, SHORT_LABELS, TEXT_PT, WIDTH_IN, book_figure, label_ends
from psyalliance.trust.power import mediation_power

__all__ = [
    "power_curves",
    "sampling_distributions",
    "sensitivity_figure",
    "mediation_power_figure",
    "simulated_table",
]

_COLORS = PALETTE  # colour-blind safe, and never alone: each series has its marker and a direct label
_MARKERS = MARKERS


def simulated_table(df: pd.DataFrame, caption: str, digits: int = 3, formats: dict[str, str] | None = None, index: bool = True):
    """A pandas Styler of ``df`` with one fixed-point format and a caption that says the data are simulated.

    Every float column is shown with ``digits`` decimals (never scientific
    notation) unless ``formats`` (column -> format string such as ``"{:.1e}"``)
    says otherwise; integer columns as integers. The caption starts with a
    capital and gets the prefix "Simulated data: " unless it already mentions
    simulation. A ``meaning`` column (path labels in words) is left-aligned and
    at least 16em wide.
    """
    if not isinstance(digits, (int, np.integer)) or not 0 <= digits <= 10:
        raise ValueError(f"digits = {digits!r} must be a whole number in 0-10")
    unknown = sorted(set(formats or {}) - set(df.columns))
    if unknown:
        raise ValueError(f"formats name columns {unknown} that the table does not have")
    fmt = {c: f"{{:.{digits}f}}" for c in df.columns if pd.api.types.is_float_dtype(df[c])}
    fmt.update(formats or {})
    cap = caption[:1].upper() + caption[1:]
    cap = cap if "simulat" in cap.lower() else f"Simulated data: {caption}"
    sty = df.style.format(fmt, na_rep="n/a").set_caption(cap)
    if "meaning" in df.columns:  # the words of a path label (psyalliance.sem.pathlabels): left-aligned, room to read
        sty = sty.set_properties(subset=["meaning"], **{"text-align": "left", "min-width": "16em"})
    return sty if index else sty.hide(axis="index")


def _log_n_axis(ax, ns: Sequence[int]) -> None:
    ax.set_xscale("log")
    ax.set_xticks(list(ns), [str(n) for n in ns])
    ax.xaxis.set_minor_locator(NullLocator())


@book_figure
def power_curves(summary: pd.DataFrame, model: str, effects: Sequence[str] | None = None, reps: int | None = None, alpha: float = 0.05):
    """Power (share of significant estimates, 0-1) against n: one small panel per effect of ``model``.

    Each panel draws its effect in black (solid: a path; dashed: an indirect effect) over the other effects
    in light grey, so no colour is needed to tell them apart. ``summary``: the stacked output of
    :func:`psyalliance.trust.montecarlo.run_over_n`.
    """
    s = summary[summary["model"] == model]
    effects = list(effects) if effects is not None else list(dict.fromkeys(s["effect"]))
    curves = {}
    for eff in effects:
        d = s[s["effect"] == eff].sort_values("n")
        if d.empty:
            raise ValueError(f"the summary has no effect {eff!r} of model {model!r}")
        curves[eff] = d
    ncols = 2 if len(effects) > 1 else 1
    nrows = -(-len(effects) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(WIDTH_IN, 1.9 * nrows + 1.5), sharex=True, sharey=True,
                             squeeze=False, layout="constrained")
    ns = sorted(s["n"].unique())
    for ax, eff in zip(axes.flat, effects):
        for other, d in curves.items():
            if other != eff:
                ax.plot(d["n"], d["power"], color="0.82", lw=1, zorder=1)
        d = curves[eff]
        path = d["kind"].iloc[0] == "path"
        ax.plot(d["n"], d["power"], "-" if path else "--", marker="o" if path else "s", ms=4.5, color="black",
                lw=1.8, zorder=3)
        ax.axhline(0.8, color="grey", lw=0.8, ls=":")
        ax.axvline(24, color="grey", lw=0.8)
        ax.set_title(f"{eff} ({'path' if path else 'indirect'})", fontsize=TEXT_PT)
        _log_n_axis(ax, ns)
        ax.set_ylim(0, 1.05)
        ax.set_yticks([0, 0.5, 1], ["0", "0.5", "1"])
    for ax in axes.flat[len(effects):]:
        ax.set_visible(False)
    fig.supxlabel("participants n (before listwise deletion; log scale)")
    fig.supylabel(f"power (share with p < {alpha:g}, 0-1)")
    what = f"{reps:,} replications per n" if reps else "Monte Carlo"
    fig.suptitle(f"Simulated data: power of {model} paths (solid)\nand indirect effects (dashed), {what};\n"
                 "grey: the other effects; dotted: 0.8; vertical: n = 24")
    return fig


@book_figure
def sampling_distributions(estimates: np.ndarray, names: Sequence[str], truth: pd.Series, n: int, title: str, ncols: int = 2):
    """Histograms of the estimates of each effect over the replications, population value marked.

    ``estimates``: (reps, effects) array, columns in the order of ``names``; ``ncols`` panels a row.
    """
    k = len(names)
    nrows = int(np.ceil(k / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(WIDTH_IN * min(ncols, 2) / 2, 2.2 * nrows + 1.3), squeeze=False,
                             layout="constrained")
    for i, name in enumerate(names):
        ax = axes.flat[i]
        e = estimates[:, i]
        lo, hi = np.quantile(e, [0.005, 0.995])
        ax.hist(e[(e >= lo) & (e <= hi)], bins=40, color="#8fb3d9")
        ax.axvline(truth[name], color="black", lw=1.8, label="population value")
        ax.axvline(0, color="#D55E00", lw=1.4, ls="--", label="zero")
        ax.set_title(name, fontsize=TEXT_PT)
        ax.xaxis.set_major_locator(MaxNLocator(4))
        ax.yaxis.set_major_locator(MaxNLocator(3))
        if i % ncols == 0:
            ax.set_ylabel("studies")
        if i + ncols >= k:  # no panel below this one
            ax.set_xlabel("estimate (raw units)")
    for ax in axes.flat[k:]:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    reps = estimates.shape[0]
    fig.suptitle(f"Simulated data: {title},\nn = {n}, {reps:,} replications")
    if k < nrows * ncols:  # the key in the first empty cell
        fig.legend(handles, labels, loc="center", bbox_to_anchor=(0.5, 0.5), bbox_transform=axes.flat[k].transAxes,
                   frameon=False)
    else:
        fig.legend(handles, labels, loc="outside lower center", ncol=2, frameon=False)
    return fig


def _short_assumption(label: str) -> str:
    """``"r(mystical_peak, insight_peak)"`` as ``"r(MEQ30 peak, PIQ peak)"``: the short names of the heatmaps;
    a label longer than 24 characters on two lines, one name a line."""
    head, _, rest = label.partition("(")
    names = [v.strip() for v in rest.rstrip(")").split(",")]
    text = f"{head}(" + ", ".join(SHORT_LABELS.get(v, v).replace(", ", " ") for v in names) + ")"
    return text.replace(", ", ",\n", 1) if len(text) > 24 else text  # two lines, broken between the names


@book_figure
def sensitivity_figure(table: pd.DataFrame, effects: Sequence[tuple[str, str]], n: int):
    """Power at n of some effects with each assumed correlation at its low, base and high value.

    ``table``: output of :func:`psyalliance.trust.sensitivity.sensitivity_table`;
    ``effects``: (model, effect) pairs, one panel each, two a row. Assumptions that move
    the power of no panel by more than 0.01 are left out.
    """
    keys = [f"{m.split('_')[0].upper()} {e}" for m, e in effects]
    parts = []
    for (model, eff), key in zip(effects, keys):
        d = table[(table["model"] == model) & (table["effect"] == eff)]
        parts.append(d.assign(panel=key))
    t = pd.concat(parts)
    piv = t.pivot_table(index=["assumption", "panel"], columns="setting", values="power", dropna=False)
    for col in ("low", "base", "high"):
        if col not in piv:
            piv[col] = np.nan
    change = (piv[["low", "high"]].sub(piv["base"], axis=0)).abs().max(axis=1).fillna(0).groupby(level="assumption").max()
    labels = list(change[change > 0.01].sort_values().index)
    ncols = 2 if len(effects) > 1 else 1
    nrows = -(-(len(effects) + 1) // ncols)  # one cell more, for the key
    fig, axes = plt.subplots(nrows, ncols, figsize=(WIDTH_IN, (0.5 * max(len(labels), 2) + 0.8) * nrows + 1.0),
                             sharey=True, sharex=True, squeeze=False, layout="constrained")
    for j, key in enumerate(keys):
        ax = axes.flat[j]
        for i, lab in enumerate(labels):
            row = piv.loc[(lab, key)] if (lab, key) in piv.index else pd.Series({"low": np.nan, "base": np.nan, "high": np.nan})
            ax.plot([row["low"], row["high"]], [i, i], color="grey", lw=1)
            ax.plot(row["low"], i, "<", ms=7, color=_COLORS[0], label="low end" if i == 0 else None)
            ax.plot(row["high"], i, ">", ms=7, color=_COLORS[1], label="high end" if i == 0 else None)
            ax.plot(row["base"], i, "o", color="black", label="book's value" if i == 0 else None)
        ax.set_xlim(-0.05, 1.05)
        ax.set_xticks([0, 0.5, 1], ["0", "0.5", "1"])
        ax.set_title(key, fontsize=TEXT_PT)
        ax.xaxis.set_tick_params(labelbottom=True)
    axes.flat[0].set_yticks(range(len(labels)), [_short_assumption(lab) for lab in labels])
    handles, names = axes.flat[0].get_legend_handles_labels()
    key_ax = axes.flat[len(effects)]
    key_ax.axis("off")
    key_ax.legend(handles, names, loc="center", frameon=False, title="assumption at its")
    for ax in axes.flat[len(effects) + 1:]:
        ax.set_visible(False)
    fig.supxlabel(f"power at n = {n} (0-1)")
    fig.supylabel("assumed correlation or mean moved (S1, S2: psilocybin sessions)")
    fig.suptitle("Simulated data: power of M1 and M2 effects\nas each assumed correlation moves over its range")
    return fig


# --------------------------------------------------------------------------- interactive power


@book_figure
def mediation_power_figure(effects: Sequence[float] = (0.2, 0.3, 0.4, 0.5), ns: Sequence[int] = (10, 16, 24, 36, 50, 75, 100, 150, 200, 300), reps: int = 2000, mark_n: int | None = 24, seed: int = 1):
    """Power of path a (upper panel, solid) and of the indirect effect a*b (lower panel, dashed) of X -> M -> Y
    by n, one curve per standardized effect, each with its own colour and marker and labelled at its end."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(WIDTH_IN, 7.2), sharex=True, layout="constrained")
    ends: dict = {top: [], bottom: []}
    for i, eff in enumerate(effects):
        d = mediation_power(ns, eff, reps=reps, seed=seed)
        for ax, col, ls, fill in ((top, "a", "-", None), (bottom, "a*b", "--", "white")):
            ax.plot(d["n"], d[col], ls, color=_COLORS[i], marker=_MARKERS[i], ms=5.5, mfc=fill or _COLORS[i], lw=1.6)
            ends[ax].append((float(d["n"].iloc[-1]), float(d[col].iloc[-1]), f"a = b = {eff:.2f}", _COLORS[i]))
    for ax, what in ((top, "path a (solid)"), (bottom, "indirect effect a*b, Sobel (dashed)")):
        if mark_n:
            ax.axvline(mark_n, color="grey", lw=0.8)
        ax.axhline(0.8, color="grey", lw=0.8, ls=":")
        _log_n_axis(ax, ns)
        ax.set_xticks([n for n in ns if n in (10, 24, 50, 100, 300)] or list(ns),
                      [str(n) for n in ns if n in (10, 24, 50, 100, 300)] or [str(n) for n in ns])
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("power (p < .05, 0-1)")
        ax.set_title(what, fontsize=TEXT_PT)
    bottom.set_xlabel("participants n (complete data; log scale)")
    marks = f"vertical line: n = {mark_n}; dotted: 0.8" if mark_n else "dotted: 0.8"
    fig.suptitle(f"Simulated data: power in X -> M -> Y by n and\nstandardized effect, {reps:,} replications per point;\n{marks}")
    for ax in (top, bottom):
        label_ends(ax, ends[ax])
    return fig
