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

LABELS = {
    "alliance_prep": "alliance, end of preparation",
    "alliance_post1": "alliance, 1 wk after session 1",
    "alliance_post2": "alliance, 1 wk after session 2",
    "mystical_peak": "peak mystical experience",
    "insight_peak": "peak insight",
    "hamd_baseline": "depression, baseline",
    "hamd_1wk": "depression, 1 wk",
    "hamd_4wk": "depression, 4 wk",
    "hamd_3mo": "depression, 3 mo",
    "hamd_6mo": "depression, 6 mo",
    "hamd_12mo": "depression, 12 mo",
}
"""Readable names of the dataset's columns."""

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


def pearson(data: pd.DataFrame, x: str, y: str, level: float = 0.95) -> Correlation:
    """Pearson r, two-tailed p (t test, n - 2 df) and Fisher-z interval on the pairwise-complete rows."""
    for col in (x, y):
        if col not in data.columns:
            raise KeyError(f"column {col!r} not in the data")
    d = data[[x, y]].astype(float).dropna()
    n = len(d)
    if n < 4:
        raise ValueError(f"{x} and {y} have {n} complete pairs; a Fisher-z interval needs at least 4")
    r, p = stats.pearsonr(d[x], d[y])
    z, se = np.arctanh(r), 1 / np.sqrt(n - 3)
    q = stats.norm.ppf(0.5 + level / 2)
    return Correlation(x, y, n, float(r), float(p), float(np.tanh(z - q * se)), float(np.tanh(z + q * se)))


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
        op = "< " if rec.p_op == "<" else ""
        row.update(published_r=rec.r, published_p=f"{op}{rec.p:.3f}".replace("0.", "."),
                   published_p_value=rec.p, published_p_op=rec.p_op, published_n=rec.n)
        rows.append(row)
    return pd.DataFrame(rows)


def unreported_table(data: pd.DataFrame, published: pd.DataFrame,
                     variables: Sequence[str] = TABLE_VARIABLES) -> pd.DataFrame:
    """The pairs among ``variables`` the paper did not report, recomputed and labelled as such."""
    done = {frozenset((x, y)) for x, y in zip(published["x"], published["y"])}
    rows = []
    for x, y in combinations(variables, 2):
        if frozenset((x, y)) in done:
            continue
        row = _row(pearson(data, x, y))
        row["status"] = "not reported in the paper"
        rows.append(row)
    return pd.DataFrame(rows)
