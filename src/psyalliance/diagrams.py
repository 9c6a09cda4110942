"""Path diagrams of fitted models, drawn with matplotlib (boxes, arrows, standardized estimates).

Observed variables are boxes; a single-headed arrow is a regression path
labelled with its standardized estimate (lavaan std.all); a curved
double-headed arrow is a residual covariance labelled with the residual
correlation; R-squared is printed under each endogenous variable.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from psyalliance.correlations import LABELS

LAYOUTS: Mapping[str, Mapping[str, tuple[float, float]]] = {
    "m1_mediation": {"alliance_prep": (0.08, 0.5), "mystical_peak": (0.5, 0.85), "insight_peak": (0.5, 0.15),
                     "hamd_4wk": (0.92, 0.5)},
    "m2_cycle": {"alliance_prep": (0.06, 0.5), "mystical_peak": (0.32, 0.85), "insight_peak": (0.32, 0.15),
                 "alliance_post2": (0.55, 0.5), "hamd_4wk": (0.8, 0.82), "hamd_12mo": (0.93, 0.3)},
    "m3_durability": {"alliance_post2": (0.5, 0.12), "hamd_4wk": (0.08, 0.8), "hamd_3mo": (0.36, 0.8),
                      "hamd_6mo": (0.64, 0.8), "hamd_12mo": (0.92, 0.8)},
    "murphy2022": {"alliance_prep": (0.1, 0.5), "mystical_peak": (0.5, 0.5), "hamd_4wk": (0.9, 0.5)},
}
"""Box centres (axes fraction) of each model's variables."""

BOX_W, BOX_H = 0.16, 0.13

BOX_LABELS = {"mystical_peak": "peak mystical\nexperience", "insight_peak": "peak\ninsight"}
"""Box text where the general label is too long for a box."""


def _layout(result) -> dict[str, tuple[float, float]]:
    if result.name in LAYOUTS and set(LAYOUTS[result.name]) == set(result.observed):
        return dict(LAYOUTS[result.name])
    # fallback: columns by causal depth
    depth = {v: 0 for v in result.exogenous}
    reg = result.estimates[result.estimates.op == "~"]
    for _ in range(len(result.observed)):
        for r in reg.itertuples():
            depth[r.lval] = max(depth.get(r.lval, 0), depth.get(r.rval, 0) + 1)
    cols: dict[int, list[str]] = {}
    for v in result.observed:
        cols.setdefault(depth.get(v, 0), []).append(v)
    top = max(cols)
    pos = {}
    for k, vs in cols.items():
        for i, v in enumerate(vs):
            pos[v] = (0.08 + 0.84 * k / max(top, 1), (i + 1) / (len(vs) + 1))
    return pos


def _edge(p, q):
    """Start and end of an arrow between two box centres, clipped to the box borders."""
    (x0, y0), (x1, y1) = p, q
    dx, dy = x1 - x0, y1 - y0

    def clip(t_dx, t_dy):
        sx = (BOX_W / 2) / abs(t_dx) if t_dx else float("inf")
        sy = (BOX_H / 2) / abs(t_dy) if t_dy else float("inf")
        return min(sx, sy)

    s = clip(dx, dy)
    return (x0 + dx * s, y0 + dy * s), (x1 - dx * s, y1 - dy * s)


def draw_path_diagram(result, ax=None, title: str | None = None, std: bool = True):
    """Draw a fitted model (a :class:`psyalliance.models.FitResult`); returns the matplotlib Figure.

    ``std``: label paths with standardized (True) or unstandardized estimates.
    The default title names the model, the estimator and that the data are simulated.
    """
    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 4.6))
    else:
        fig = ax.figure
    pos = _layout(result)
    col = "std_estimate" if std else "estimate"
    est = result.estimates
    for v, (x, y) in pos.items():
        ax.add_patch(FancyBboxPatch((x - BOX_W / 2, y - BOX_H / 2), BOX_W, BOX_H, boxstyle="round,pad=0.005",
                                    fc="#eef3f8" if v in result.exogenous else "#ffffff", ec="#333333", lw=1.2))
        ax.text(x, y, BOX_LABELS.get(v, LABELS.get(v, v).replace(", ", "\n")), ha="center", va="center",
                fontsize=8.5)
        if v in result.r2.index:
            ax.text(x, y - BOX_H / 2 - 0.035, f"R² = {result.r2[v]:.2f}", ha="center", va="top", fontsize=8,
                    color="#444444")
    for r in est[est.op == "~"].itertuples():
        a, b = _edge(pos[r.rval], pos[r.lval])
        sig = r.p < 0.05
        ax.add_patch(FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=12, lw=1.8 if sig else 1.0,
                                     color="#1f4e79" if sig else "#7f7f7f", shrinkA=0, shrinkB=0))
        mx, my = (a[0] + b[0]) / 2, (a[1] + b[1]) / 2
        ax.text(mx, my, f"{getattr(r, col):.2f}" + ("*" if sig else ""), ha="center", va="center", fontsize=8.5,
                bbox=dict(fc="white", ec="none", pad=0.6))
    for r in est[(est.op == "~~") & (est.lval != est.rval)].itertuples():
        (x0, y0), (x1, y1) = pos[r.lval], pos[r.rval]
        if y0 < y1:
            (x0, y0), (x1, y1) = (x1, y1), (x0, y0)
        a, b = (x0 - BOX_W / 2, y0 - 0.02), (x1 - BOX_W / 2, y1 + 0.02)  # left sides, top box first
        ax.add_patch(FancyArrowPatch(a, b, arrowstyle="<|-|>", mutation_scale=10, lw=1.0, color="#a05a00",
                                     connectionstyle="arc3,rad=0.35", shrinkA=0, shrinkB=0))
        ax.text(a[0] - 0.015, a[1] + 0.06, f"{getattr(r, col):.2f}", ha="right",
                va="center", fontsize=8.5, color="#a05a00", bbox=dict(fc="white", ec="none", pad=0.4))
    ax.set_xlim(-0.05, 1.1)
    ax.set_ylim(-0.05, 1.02)
    ax.set_axis_off()
    kind = "standardized" if std else "unstandardized"
    if title is None:
        title = f"{result.name} ({result.missing}, n = {result.n}): {kind} estimates, simulated data"
    ax.set_title(title, fontsize=10)
    ax.text(0.0, -0.05, "* p < .05 (z test); shaded box: exogenous; arc: residual correlation",
            fontsize=7.5, color="#555555", transform=ax.transAxes)
    return fig
