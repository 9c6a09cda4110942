"""The correlation table: Pearson r with pairwise-complete n, p and a Fisher-z interval.

Scales: alliance item means 1-5, MEQ30/PIQ item means 0-5, GRID-HAMD 0-52;
r in [-1, 1], p in [0, 1].
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats

from psyalliance.fmt import bounded, p_value, p_with_op, span
from psyalliance.simulation.population import target_population
from psyalliance.study.instruments import LABELS

TABLE_VARIABLES = ("alliance_prep", "alliance_post2", "mystical_peak", "insight_peak",
                   "hamd_4wk", "hamd_3mo", "hamd_6mo", "hamd_12mo")
"""The variables of the published correlations (plus 3-month depression, unreported for the first alliance)."""


@dataclass(frozen=True)
class Correlation:
    """Pearson r of two columns on their pairwise-complete rows."""

    x: str
    y: str
    n: int
    r: float
    p: float
    ci_low: float
    ci_high: float


def fisher_interval(r: float, n: int, level: float = 0.95) -> tuple[float, float]:
    """Fisher-z interval of a correlation ``r`` (in (-1, 1)) from ``n`` (at least 4) pairs:
    ``tanh(artanh r -/+ q / sqrt(n - 3))`` with q the normal quantile of ``level``."""
    if not -1 < r < 1:
        raise ValueError(f"r = {r} is outside the open interval (-1, 1)")
    if n < 4:
        raise ValueError(f"n = {n}; a Fisher-z interval needs at least 4 pairs")
    if not 0 < level < 1:
        raise ValueError(f"level = {level} is outside (0, 1)")
    z, se = np.arctanh(r), 1 / np.sqrt(n - 3)
    q = stats.norm.ppf(0.5 + level / 2)
    return float(np.tanh(z - q * se)), float(np.tanh(z + q * se))


def r_threshold(n: int, alpha: float = 0.05) -> float:
    """The smallest ``|r|`` with a two-tailed p below ``alpha`` at ``n`` pairs (t test of r = 0, n - 2 df)."""
    if n < 3:
        raise ValueError(f"n = {n}; the t test of a correlation needs at least 3 pairs")
    t = stats.t.isf(alpha / 2, n - 2)
    return float(t / np.sqrt(n - 2 + t**2))


def format_p(p: float) -> str:
    """A p value as printed in APA style: ``< .001`` below .001, else three decimals without the leading 0."""
    return p_value(p)


def format_r(r: float) -> str:
    """A correlation with two decimals and no leading 0 (``-.65``)."""
    return bounded(r, 2)


def pair_label(x: str, y: str) -> str:
    """The two variables of a pair by their table labels, ``"alliance, end of preparation - insight (peak)"``
    (a name without a label prints as itself)."""
    return f"{LABELS.get(x, x)} - {LABELS.get(y, y)}"


def complete_pairs(data: pd.DataFrame, x: str, y: str, minimum: int, purpose: str) -> pd.DataFrame:
    """The rows where both ``x`` and ``y`` are present, as floats.

    Raises ``KeyError`` naming a missing column, and ``ValueError`` when fewer
    than ``minimum`` complete pairs remain (``purpose`` says what needs them).
    """
    for col in (x, y):
        if col not in data.columns:
            raise KeyError(f"column {col!r} not in the data; available: {', '.join(map(str, data.columns))}")
    pairs = data[[x, y]].astype(float).dropna()
    if len(pairs) < minimum:
        raise ValueError(f"only {len(pairs)} complete pair(s) of {x} and {y}; {purpose} needs at least {minimum}")
    return pairs


def pearson(data: pd.DataFrame, x: str, y: str, level: float = 0.95) -> Correlation:
    """Pearson r, two-tailed p (t test, n - 2 df) and Fisher-z interval on the pairwise-complete rows."""
    d = complete_pairs(data, x, y, 4, "a Fisher-z interval")
    n = len(d)
    r, p = stats.pearsonr(d[x], d[y])
    low, high = fisher_interval(float(r), n, level)
    return Correlation(x, y, n, float(r), float(p), low, high)


def _row(c: Correlation) -> dict:
    return {"x": c.x, "y": c.y, "pair": f"{LABELS.get(c.x, c.x)} - {LABELS.get(c.y, c.y)}", "n": c.n,
            "r": c.r, "p": c.p, "ci_low": c.ci_low, "ci_high": c.ci_high}


def published_table(data: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    """Every published pair recomputed, next to the published r and p.

    ``published``: the ``correlations`` table of the facts file (columns x, y,
    r, p, p_op, n). Output columns: x, y, pair, n, r, p, ci_low, ci_high,
    published_r, published_p (as printed, e.g. "< .001"), published_n (inferred).
    """
    rows = []
    for rec in published.itertuples():
        row = _row(pearson(data, rec.x, rec.y))
        row.update(published_r=rec.r, published_p=p_with_op(rec.p, rec.p_op),
                   published_p_value=rec.p, published_p_op=rec.p_op, published_n=rec.n)
        rows.append(row)
    return pd.DataFrame(rows)


BASIS = {"assumed": "assumed (facts file)", "inferred": "inferred (facts file)",
         "completed": "implied by the completion"}
"""How the simulation's target population got an unreported pair: the population's ``status`` in words."""


def unreported_table(data: pd.DataFrame, published: pd.DataFrame,
                     variables: Sequence[str] = TABLE_VARIABLES, status: pd.DataFrame | None = None) -> pd.DataFrame:
    """The pairs among ``variables`` the paper did not report, recomputed and labelled as such.

    ``status``: the target population's pair table (columns x, y, status; default
    ``target_population().status``). Its status gives the column ``basis``: where the
    simulation's value of the pair comes from, ``assumed (facts file)``, ``inferred
    (facts file)`` or ``implied by the completion`` (the maximum-determinant completion
    of the other entries, see :mod:`psyalliance.simulation.population`).
    """
    if status is None:
        status = target_population().status
    st = {frozenset((x, y)): s for x, y, s in zip(status["x"], status["y"], status["status"])}
    done = {frozenset((x, y)) for x, y in zip(published["x"], published["y"])}
    rows = []
    for x, y in combinations(variables, 2):
        if frozenset((x, y)) in done:
            continue
        row = _row(pearson(data, x, y))
        row["status"] = "not reported in the paper"
        key = st.get(frozenset((x, y)))
        if key not in BASIS:
            raise ValueError(f"{x} ~ {y}: population status {key!r}, expected one of {', '.join(BASIS)}")
        row["basis"] = BASIS[key]
        rows.append(row)
    return pd.DataFrame(rows)


def _ci(low: float, high: float) -> str:
    return span(low, high, 2)


def readable_published(tab: pd.DataFrame) -> pd.DataFrame:
    """:func:`published_table` for display: full pair labels, r and p as printed, readable headers."""
    return pd.DataFrame({
        "pair": tab["pair"],
        "published r": [format_r(r) for r in tab["published_r"]],
        "published p": tab["published_p"],
        "published n (inferred)": tab["published_n"].astype(int),
        "r (simulated)": [format_r(r) for r in tab["r"]],
        "p (simulated)": [format_p(p) for p in tab["p"]],
        "n (simulated)": tab["n"].astype(int),
        "95% CI (simulated)": [_ci(lo, hi) for lo, hi in zip(tab["ci_low"], tab["ci_high"])],
    })


def readable_unreported(tab: pd.DataFrame) -> pd.DataFrame:
    """:func:`unreported_table` for display: full pair labels, basis, r and p as printed, readable headers."""
    return pd.DataFrame({
        "pair": tab["pair"],
        "value in the simulation": tab["basis"],
        "r (simulated)": [format_r(r) for r in tab["r"]],
        "p (simulated)": [format_p(p) for p in tab["p"]],
        "n (simulated)": tab["n"].astype(int),
        "95% CI (simulated)": [_ci(lo, hi) for lo, hi in zip(tab["ci_low"], tab["ci_high"])],
    })
