"""Path diagrams of fitted models, drawn with matplotlib (boxes, arrows, standardized estimates).

Observed variables are boxes sized to their (wrapped) names; a single-headed
arrow is a regression path labelled with its standardized estimate (lavaan
std.all); a curved double-headed arrow is a residual covariance labelled with
the residual correlation; R-squared is printed inside each endogenous box,
under its name, where no arrow can cross it. A labelled path shows its label
with its value (``a1 = 0.45``), and a legend under the diagram spells every
label out (:mod:`psyalliance.sem.pathlabels`, the names the tables use). Stars mark paths with p < .05 by
the t test of :func:`psyalliance.sem.models.path_tests` (OLS SE, n - k - 1 df)
for listwise fits; for FIML fits, where no exact small-sample reference
exists, by semopy's z test, and the legend says which.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.transforms import ScaledTranslation

from psyalliance.figures.figtext import SCRIPT_SHRINK
from psyalliance.figures.figures import TEXT_PT, TITLE_PT, WIDTH_IN, book_figure
from psyalliance.sem.models import path_tests
from psyalliance.sem.pathlabels import path_key, path_name, variable_name
from psyalliance.sem.syntax import read_syntax
from psyalliance.study.instruments import LABELS

LAYOUTS: Mapping[str, Mapping[str, tuple[float, float]]] = {
    "m1_mediation": {"alliance_prep": (0.02, 0.5), "mystical_peak": (0.48, 0.86), "insight_peak": (0.48, 0.14),
                     "hamd_4wk": (0.95, 0.5)},
    "m2_cycle": {"alliance_prep": (0.0, 0.5), "mystical_peak": (0.38, 0.86), "insight_peak": (0.38, 0.14),
                 "alliance_post2": (0.66, 0.5), "hamd_4wk": (0.97, 0.86), "hamd_12mo": (0.97, 0.14)},
    "m3_durability": {"alliance_post2": (0.1, 0.5), "hamd_4wk": (0.72, 0.93), "hamd_3mo": (0.72, 0.645),
                      "hamd_6mo": (0.72, 0.355), "hamd_12mo": (0.72, 0.07)},
    "murphy2022": {"alliance_prep": (0.08, 0.5), "mystical_peak": (0.5, 0.5), "hamd_4wk": (0.92, 0.5)},
}
"""Box centres (axes fraction) of each model's variables: at most four columns, so that the boxes' 11 pt names
fit a phone-wide figure (M3's chain of depression scores runs down a column)."""

HEIGHTS = {"m3_durability": 6.2}
"""Diagram heights (inches, before the notes) other than the default 4.4: a column of four boxes needs room."""

TITLES = {
    "m1_mediation": "M1: mediation (reconstruction)",
    "m2_cycle": "M2: the cycle (reconstruction)",
    "m3_durability": "M3: durability (reconstruction)",
    "murphy2022": "The structure of Murphy et al. (2022)",
}
"""Readable diagram titles of the models of :data:`psyalliance.sem.registry.MODELS`."""

WRAP = 16
"""Characters per line of a box label."""

PAD_X, PAD_Y = 0.012, 0.02
"""Space (axes fraction) between a box's text and its border."""

LABEL_AT = 0.5
"""Where along an arrow (0 = tail, 1 = head) its coefficient sits."""

SHORT_ARROW = 0.2
"""Arrows shorter than this (axes fraction) get their coefficient beside the arrow (above it, or right of a
vertical one), not on it."""


ARC_RAD = 0.2
"""Curvature of the residual-covariance arcs (matplotlib ``arc3`` rad)."""


def box_label(var: str) -> str:
    """The text of a variable's box: its readable name, wrapped to :data:`WRAP` characters a line."""
    name = LABELS.get(var, var).replace(", ", ": ", 1) if var in LABELS else var
    head, _, tail = name.partition(": ")
    lines = [head] + (textwrap.wrap(tail, WRAP) if tail else [])
    return "\n".join(line for part in lines for line in textwrap.wrap(part, WRAP))

def _layout(result) -> dict[str, tuple[float, float]]:
    if result.name in LAYOUTS and set(LAYOUTS[result.name]) == set(result.observed):
        return dict(LAYOUTS[result.name])
    reg = result.estimates[result.estimates.op == "~"]
    return layout(result.observed, result.exogenous, [(r.lval, r.rval) for r in reg.itertuples()])


SKIPPED_Y = 0.86
"""Height (axes fraction) of a lone variable that an arrow passes by (the mediator of a triangle)."""

BASE_Y = 0.3
"""Height of the other columns' lone variables when some arrow passes a column by."""


def layout(observed, exogenous, paths) -> dict[str, tuple[float, float]]:
    """Box centres (axes fraction) of a model without a hand-made layout: columns by causal depth.

    ``paths``: (outcome, predictor) pairs. Exogenous variables stand in the left column, each outcome one
    column right of its deepest predictor. A column that an arrow passes over (the mediator of a mediation
    with a direct path) is lifted out of that arrow's way: a lone variable to :data:`SKIPPED_Y` with the
    others at :data:`BASE_Y` (a triangle), several spread to the top and bottom, clear of the middle.
    """
    depth = {v: 0 for v in exogenous}
    for _ in range(len(observed)):
        for outcome, predictor in paths:
            depth[outcome] = max(depth.get(outcome, 0), depth.get(predictor, 0) + 1)
    cols: dict[int, list[str]] = {}
    for v in observed:
        cols.setdefault(depth.get(v, 0), []).append(v)
    top = max(cols)
    skipped = {k for outcome, predictor in paths for k in range(depth.get(predictor, 0) + 1, depth[outcome])}
    lone_lifted = any(len(cols.get(k, [])) == 1 for k in skipped)
    pos = {}
    for k, vs in cols.items():
        n = len(vs)
        if k in skipped and n == 1:
            ys = [SKIPPED_Y]
        elif k in skipped:  # n + 1 slots with the middle one left free for the arrow passing by
            slots = [0.12 + 0.76 * i / n for i in range(n + 1)]
            ys = [y for i, y in enumerate(slots) if i != n // 2]
        elif lone_lifted and n == 1:
            ys = [BASE_Y]
        else:
            ys = [1 - (i + 1) / (n + 1) for i in range(n)]  # the first written on top
        for v, y in zip(vs, ys):
            pos[v] = (0.08 + 0.84 * k / max(top, 1), y)
    return pos


def _edge(p, q, half_p, half_q):
    """Start and end of an arrow between two box centres, clipped to the box borders.

    ``half_p``, ``half_q``: (half width, half height) of the two boxes.
    """
    (x0, y0), (x1, y1) = p, q
    dx, dy = x1 - x0, y1 - y0

    def clip(half):
        sx = half[0] / abs(dx) if dx else float("inf")
        sy = half[1] / abs(dy) if dy else float("inf")
        return min(sx, sy)

    s0, s1 = clip(half_p), clip(half_q)
    return (x0 + dx * s0, y0 + dy * s0), (x1 - dx * s1, y1 - dy * s1)


def _coefficient_position(a, b, clear: float = 0.05) -> tuple[float, float]:
    """Where an arrow's coefficient goes: on the arrow, or beside it (above, or right of a vertical one) if the
    arrow is short; ``clear`` (axes fraction) is how far above, enough to clear the boxes a short arrow joins."""
    (x0, y0), (x1, y1) = a, b
    dx, dy = x1 - x0, y1 - y0
    mx, my = x0 + LABEL_AT * dx, y0 + LABEL_AT * dy
    length = float(np.hypot(dx, dy))
    if length >= SHORT_ARROW or length == 0:
        return mx, my
    nx, ny = -dy / length, dx / length  # a unit normal; point it up (or right for a vertical arrow)
    if ny < 0 or (ny == 0 and nx < 0):
        nx, ny = -nx, -ny
    return mx + 0.07 * nx, my + clear * ny


def _on_arc(ax, a, b, t: float) -> tuple[float, float]:
    """The point at parameter ``t`` of matplotlib's ``arc3`` curve from ``a`` to ``b`` (data coordinates).

    ``arc3`` is a quadratic Bezier curve whose control point is the midpoint
    moved by ``rad`` times the chord, perpendicular to it, in display space.
    """
    to_display, to_data = ax.transData, ax.transData.inverted()
    (x1, y1), (x2, y2) = to_display.transform(a), to_display.transform(b)
    cx, cy = (x1 + x2) / 2 + ARC_RAD * (y2 - y1), (y1 + y2) / 2 - ARC_RAD * (x2 - x1)
    u = 1 - t
    px = u * u * x1 + 2 * u * t * cx + t * t * x2
    py = u * u * y1 + 2 * u * t * cy + t * t * y2
    x, y = to_data.transform((px, py))
    return float(x), float(y)


def _draw_boxes(ax, result, pos) -> dict[str, tuple[float, float]]:
    """Boxes sized to their text (name, and R-squared inside for outcomes); returns half sizes."""
    renderer = ax.figure.canvas.get_renderer()
    inverse = ax.transData.inverted()
    half = {}
    for v, (x, y) in pos.items():
        has_r2 = v in result.r2.index
        texts = [ax.text(x, y + (0.025 if has_r2 else 0), box_label(v), ha="center", va="center", fontsize=TEXT_PT,
                         zorder=3)]
        if has_r2:
            texts.append(ax.text(x, texts[0].get_window_extent(renderer).transformed(inverse).y0 - 0.008,
                                 f"R² = {result.r2[v]:.2f}", ha="center", va="top", fontsize=TEXT_PT, color="#444444",
                                 zorder=3))
        boxes = [t.get_window_extent(renderer).transformed(inverse) for t in texts]
        x_lo, x_hi = min(b.x0 for b in boxes), max(b.x1 for b in boxes)
        y_lo, y_hi = min(b.y0 for b in boxes), max(b.y1 for b in boxes)
        hw = max(x - x_lo, x_hi - x) + PAD_X
        hh = max(y - y_lo, y_hi - y) + PAD_Y
        half[v] = (hw, hh)
        ax.add_patch(FancyBboxPatch((x - hw, y - hh), 2 * hw, 2 * hh, boxstyle="round,pad=0.004", zorder=2,
                                    fc="#eef3f8" if v in result.exogenous else "#ffffff", ec="#333333", lw=1.2))
    return half


@book_figure
def draw_path_diagram(result, ax=None, title: str | None = None, std: bool = True):
    """Draw a fitted model (a :class:`psyalliance.sem.models.FitResult`); returns the matplotlib Figure.

    ``std``: label paths with standardized (True) or unstandardized estimates.
    The default title is the model's readable name (:data:`TITLES`), that the
    data are simulated, the estimator and n.
    """
    if ax is None:
        fig, ax = plt.subplots(figsize=(WIDTH_IN, HEIGHTS.get(result.name, 4.4)))
        fig.subplots_adjust(left=0.01, right=0.99, top=0.86, bottom=0.02)
    else:
        fig = ax.figure
    ax.set_xlim(-0.12, 1.1)
    ax.set_ylim(-0.04, 1.02)
    ax.set_axis_off()
    pos = _layout(result)
    half = _draw_boxes(ax, result, pos)
    col = "std_estimate" if std else "estimate"
    est = result.estimates
    paths = est[est.op == "~"]
    if result.missing == "listwise":
        pvals = path_tests(result)["p"].to_numpy()
        test = "t test, OLS SE, n - k - 1 df"
    else:
        pvals = paths["p"].to_numpy()
        test = "z test; FIML has no exact small-sample reference"
    spec = read_syntax(result.syntax, result.name)
    for r, pv in zip(paths.itertuples(), pvals):
        a, b = _edge(pos[r.rval], pos[r.lval], half[r.rval], half[r.lval])
        sig = pv < 0.05
        ax.add_patch(FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=12, lw=1.8 if sig else 1.0,
                                     color="#1f4e79" if sig else "#7f7f7f", shrinkA=0, shrinkB=0, zorder=1))
        clear = max(half[r.rval][1], half[r.lval][1]) + 0.05  # above the taller of the two boxes
        ax.text(*_coefficient_position(a, b, clear), arrow_text(spec, r.lval, r.rval, getattr(r, col), sig), ha="center",
                va="center", fontsize=TEXT_PT, zorder=4, bbox=dict(fc="white", ec="none", pad=0.6))
    for r in est[(est.op == "~~") & (est.lval != est.rval)].itertuples():
        top, bottom = r.lval, r.rval
        if pos[top][1] < pos[bottom][1]:
            top, bottom = bottom, top
        (x0, y0), (x1, y1) = pos[top], pos[bottom]
        a = (x0 - half[top][0], y0 + half[top][1] / 3)  # left sides, top box first, away from the arrowheads
        b = (x1 - half[bottom][0], y1 - half[bottom][1] / 3)
        ax.add_patch(FancyArrowPatch(a, b, arrowstyle="<|-|>", mutation_scale=10, lw=1.0, color="#a05a00",
                                     connectionstyle=f"arc3,rad={ARC_RAD}", shrinkA=0, shrinkB=0, zorder=1))
        lx, ly = _on_arc(ax, a, b, 0.35)  # label inside the arc, clear of the arrows into the boxes
        ax.text(lx + 0.012, ly, f"{getattr(r, col):.2f}", ha="left", va="center", fontsize=TEXT_PT,
                color="#a05a00", zorder=4, bbox=dict(fc="white", ec="none", pad=0.4))
    kind = "standardized" if std else "unstandardized"
    if title is None:
        name = TITLES.get(result.name, result.name)
        title = f"{name}, simulated data\n{kind} estimates, {result.missing}, n = {result.n}"
    ax.set_title(title, fontsize=TITLE_PT)
    notes = [f"* p < .05 ({test})", "shaded box: exogenous; arc: residual correlation;",
             "R² inside each outcome's box"]
    _draw_legend(ax, notes, path_legend(result))
    return fig


def arrow_text(spec, outcome: str, predictor: str, value: float, significant: bool) -> str:
    """The text on an arrow: ``"a1 = 0.45*"`` for a labelled path, ``"0.45*"`` for an unlabelled one."""
    number = f"{value:.2f}" + ("*" if significant else "")
    key = path_key(spec, outcome, predictor)
    return number if key == f"{outcome}~{predictor}" else f"{key} = {number}"


def path_legend(result) -> list[str]:
    """One line per labelled path of a fitted model: ``"a1: alliance, end of preparation -> peak mystical experience"``.

    From :func:`psyalliance.sem.pathlabels.path_name`, the names the tables use;
    unlabelled paths need no legend (their boxes name them).
    """
    reg = result.estimates[result.estimates.op == "~"]
    lines = [path_name(r.lval, r.rval, result.name, result.syntax) for r in reg.itertuples()]
    return [line for line in lines if ": " in line.split(" -> ")[0]]


LEGEND_WRAP = 50
"""A legend line longer than this (characters) goes on two lines, broken after its arrow."""


def _legend_lines(line: str) -> list[str]:
    if len(line) <= LEGEND_WRAP or " -> " not in line:
        return [line]
    head, _, tail = line.partition(" -> ")
    return [f"{head} ->", f"      {tail}"]


def _draw_legend(ax, notes: list[str], lines: list[str]) -> None:
    """The notes and the path legend under the diagram, one line under the other in :data:`TEXT_PT` text.

    Lines are placed a fixed number of points apart, below the axes, so they never overlap whatever the
    figure's size; the figure's tight bounding box takes them in.
    """
    step = 1.3 * TEXT_PT / 72  # inches a line
    rows: list[tuple[str, dict]] = [(n, {"color": "#444444"}) for n in notes]
    if lines:
        rows.append(("Path labels (as in the model syntax and the tables):", {"color": "#222222", "fontweight": "bold"}))
        rows += [(part, {"color": "#222222"}) for line in lines for part in _legend_lines(line)]
    for k, (text, style) in enumerate(rows):
        offset = ScaledTranslation(0, -(k + 0.3) * step, ax.figure.dpi_scale_trans)
        ax.text(0.0, 0.0, text, fontsize=TEXT_PT, va="top", ha="left", transform=ax.transAxes + offset, **style)


MODEL_FONT = TEXT_PT
"""Font size (pt) of the structure diagrams (:func:`draw_model`): at least 9 CSS px on a 390 px phone."""


def _model_spec(syntax: str):
    spec = read_syntax(syntax, "diagram")
    paths = [(r.outcome, r.term.var, r.term.label) for r in spec.regressions]
    arcs = [(a, b) for i, a in enumerate(spec.exogenous) for b in spec.exogenous[i + 1:]]
    arcs += [(c.left, c.term.var) for c in spec.covariances if c.left != c.term.var]
    return spec, paths, arcs


def describe_model(syntax: str, names: Mapping[str, str] | None = None,
                   residuals: Mapping[str, str] | None = None) -> str:
    """The alt text of :func:`draw_model`'s diagram: its boxes, arrows (with labels), arcs and residuals in words.

    ``names``: how a path label is printed (``{"c": "c′"}``); ``residuals``: the residual of each outcome
    (``{"hamd_4wk": "e_y"}``, default ``e`` + the variable's column name).
    """
    spec, paths, arcs = _model_spec(syntax)
    names, residuals = dict(names or {}), dict(residuals or {})
    pos = layout(spec.observed, spec.exogenous, [(o, p) for o, p, _ in paths])
    order = sorted(spec.observed, key=lambda v: (pos[v][0], -pos[v][1]))  # left to right, top to bottom

    def var(v: str) -> str:  # "alliance (end of preparation)": no comma inside a name of a list
        head, _, tail = variable_name(v).partition(", ")
        return f"{head} ({tail})" if tail else head

    boxes = "; ".join(var(v) for v in order[:-1]) + f"; and {var(order[-1])}"
    arrows = "; ".join(f"from {var(p)} to {var(o)}" + (f", labelled {names.get(lab, lab)}" if lab else "")
                       for o, p, lab in paths)
    text = f"Path diagram with a box for each of {boxes}. Single-headed arrows: {arrows}."
    if arcs:
        text += " A curved two-headed arrow (a covariance) joins " + "; ".join(
            f"{var(a)} and {var(b)}" for a, b in arcs) + "."
    text += " A short arrow into each outcome stands for its residual: " + "; ".join(
        f"{residuals.get(v, 'e_' + v)} into {var(v)}" for v in spec.endogenous) + "."
    return text


@book_figure
def draw_model(syntax: str, title: str, names: Mapping[str, str] | None = None,
               residuals: Mapping[str, str] | None = None):
    """Draw a model's structure from its lavaan-style syntax (no estimates); returns the matplotlib Figure.

    Boxes for the observed variables (shaded: exogenous) placed by :func:`layout`; a single-headed arrow per
    path with its label (``names`` maps a label to how it is printed); a curved two-headed arc between
    exogenous variables (their covariance, which the model takes as given) and for each residual covariance
    of the syntax; a short arrow into each outcome from its residual (``residuals``). Set in
    :data:`MODEL_FONT` pt on a 6-inch figure; :func:`describe_model` gives the alt text.
    """
    spec, paths, arcs = _model_spec(syntax)
    names, residuals = dict(names or {}), dict(residuals or {})
    fig, ax = plt.subplots(figsize=(WIDTH_IN, 3.9))
    ax.set_xlim(-0.3 if arcs else -0.08, 1.08)  # room on the left for the arcs
    ax.set_ylim(-0.08, 1.24)  # room for the residuals above the top box and below the bottom one
    ax.set_axis_off()
    pos = layout(spec.observed, spec.exogenous, [(o, p) for o, p, _ in paths])
    renderer = fig.canvas.get_renderer()
    inverse = ax.transData.inverted()
    half = {}
    for v, (x, y) in pos.items():
        t = ax.text(x, y, box_label(v), ha="center", va="center", fontsize=MODEL_FONT, zorder=3)
        b = t.get_window_extent(renderer).transformed(inverse)
        half[v] = (b.width / 2 + PAD_X, b.height / 2 + PAD_Y)
        ax.add_patch(FancyBboxPatch((x - half[v][0], y - half[v][1]), 2 * half[v][0], 2 * half[v][1],
                                    boxstyle="round,pad=0.004", zorder=2, lw=1.2, ec="#333333",
                                    fc="#eef3f8" if v in spec.exogenous else "#ffffff"))
    for outcome, predictor, label in paths:
        a, b = _edge(pos[predictor], pos[outcome], half[predictor], half[outcome])
        ax.add_patch(FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=14, lw=1.6, color="#1f4e79",
                                     shrinkA=0, shrinkB=0, zorder=1))
        if label:
            ax.text(*_coefficient_position(a, b), names.get(label, label), ha="center", va="center",
                    fontsize=MODEL_FONT + 1, style="italic", zorder=4, bbox=dict(fc="white", ec="none", pad=0.8))
    for left, right in arcs:
        top, bottom = (left, right) if pos[left][1] >= pos[right][1] else (right, left)
        (x0, y0), (x1, y1) = pos[top], pos[bottom]
        a = (x0 - half[top][0], y0)
        b = (x1 - half[bottom][0], y1)
        ax.add_patch(FancyArrowPatch(a, b, arrowstyle="<|-|>", mutation_scale=12, lw=1.3, color="#a05a00",
                                     linestyle="--", connectionstyle="arc3,rad=0.45", shrinkA=0, shrinkB=0,
                                     zorder=1))
    for v in spec.endogenous:
        x, y = pos[v]
        below = y <= 0.5  # a residual arrow from below a low box and from above a high one, outside the paths
        tip = (x, y - half[v][1]) if below else (x, y + half[v][1])
        tail = (x, tip[1] - 0.1) if below else (x, tip[1] + 0.1)
        ax.add_patch(FancyArrowPatch(tail, tip, arrowstyle="-|>", mutation_scale=12, lw=1.1, color="#555555",
                                     shrinkA=0, shrinkB=0, zorder=1))
        ax.text(tail[0], tail[1] + (-0.01 if below else 0.01), f"${residuals.get(v, 'e_' + v)}$",
                ha="center", va="top" if below else "bottom", fontsize=MODEL_FONT / SCRIPT_SHRINK, style="italic",
                color="#333333")  # its subscript at MODEL_FONT
    ax.set_title(title, fontsize=MODEL_FONT + 1)
    return fig
