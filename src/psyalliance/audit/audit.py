"""Checking the published numbers against one another, without any data.

Four checks, each on the numbers of the facts file as the paper printed them:

* :func:`published_consistency`: statcheck-style. For each published
  correlation, the two-tailed p of the t test of r = 0,
  ``t = r sqrt((n - 2) / (1 - r^2))`` on n - 2 df, over the rounding interval
  of the printed r (two decimals: r +/- .005) at the book's n, against the
  rounding interval of the printed p (three decimals: p +/- .0005; "< .001":
  anything below .001). Plus Holm, Benjamini-Hochberg and Benjamini-Yekutieli
  across the eleven (:func:`multiple_testing`, also for a larger family they were selected from).
* :func:`change_check`: which effect-size formula the alliance change's
  p = .03 and d = .43 imply (d_z or d_av), and which correlation between the
  two ratings (reusing :func:`psyalliance.trust.sensitivity.change_compatible_r`).
* :func:`grim_percentages`: GRIM for percentages: which whole numbers of
  people k out of n round to each published percentage.
* :func:`feasible_ranges`: the range of each correlation the paper did not
  report that keeps the correlation matrix positive semidefinite, from the
  published correlations alone (three-variable bounds) and with the other
  entries fixed at the book's target population (the one-entry closed form).

Scales: correlations -1 to 1, p values in (0, 1], percentages 0-100, n whole
numbers of participants (at least 4).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

from psyalliance.errors import InputError, check_count, check_fraction
from psyalliance.simulation.population import target_population
from psyalliance.study.facts import Facts, load_facts
from psyalliance.trust.sensitivity import change_compatible_r

__all__ = [
    "ALPHA", "R_DECIMALS", "P_DECIMALS", "AuditError", "check_r", "check_p", "correlation_p", "p_range",
    "printed_p_interval", "published_consistency", "multiple_testing", "holm", "dz_range", "change_check",
    "grim_counts", "grim_percentages", "pair_bounds", "one_entry_bounds", "triangle_bounds", "feasible_ranges",
]

ALPHA = 0.05
"""The significance level the paper's correlations are read against."""

R_DECIMALS = 2
"""Decimals of the printed correlations (r = -.65): each stands for r +/- .005."""

P_DECIMALS = 3
"""Decimals of the printed p values of the correlations (p = .036): each stands for p +/- .0005."""

TABLE_VARIABLES = ("alliance_prep", "alliance_post2", "mystical_peak", "insight_peak",
                   "hamd_4wk", "hamd_3mo", "hamd_6mo", "hamd_12mo")
"""The eight variables of the published correlations (28 pairs, 11 published)."""


class AuditError(InputError):
    """A number given to an audit function is outside its valid range."""


def check_r(r: float, what: str = "r") -> float:
    """A correlation must be a finite number in [-1, 1]; returns it as float."""
    ok = isinstance(r, (int, float, np.integer, np.floating)) and not isinstance(r, bool) and np.isfinite(r)
    if not ok or abs(float(r)) > 1:
        raise AuditError(f"{what} = {r!r} is not allowed; a correlation is a number from -1 to 1")
    return float(r)


def check_p(p: float, what: str = "p") -> float:
    """A p value must be a number in (0, 1]; returns it as float."""
    ok = isinstance(p, (int, float, np.integer, np.floating)) and not isinstance(p, bool) and np.isfinite(p)
    if not ok or not 0 < float(p) <= 1:
        raise AuditError(f"{what} = {p!r} is not allowed; a p value is a number in (0, 1]")
    return float(p)


def _check_n(n: int, low: int = 4) -> int:
    try:
        return check_count(n, "n", low=low)
    except InputError as e:
        raise AuditError(f"{e} (the number of pairs behind a correlation)") from None


def correlation_p(r: float | np.ndarray, n: int) -> float | np.ndarray:
    """Two-tailed p of the t test of r = 0 at ``n`` pairs (n - 2 df); ``r`` in [-1, 1] (``|r| = 1`` gives 0)."""
    n = _check_n(n)
    r = np.asarray(r, dtype=float)
    if np.any(~np.isfinite(r)) or np.any(np.abs(r) > 1):
        raise AuditError(f"r = {r.tolist()!r} is not allowed; a correlation is a number from -1 to 1")
    with np.errstate(divide="ignore"):
        t = np.abs(r) * np.sqrt((n - 2) / (1 - r * r))
    p = 2 * stats.t.sf(t, n - 2)
    return float(p) if p.ndim == 0 else p


def p_range(r: float, n: int, decimals: int = R_DECIMALS) -> tuple[float, float]:
    """(smallest, largest) two-tailed p of any r that rounds to the printed ``r`` (``decimals``) at ``n``.

    p falls as ``|r|`` grows, so the ends are at the ends of the rounding interval
    (clipped to [-1, 1]); an interval that contains 0 has largest p 1.
    """
    r = check_r(r)
    h = 0.5 * 10.0 ** (-decimals)
    lo, hi = max(r - h, -1.0), min(r + h, 1.0)
    far = max(abs(lo), abs(hi))
    near = 0.0 if lo <= 0 <= hi else min(abs(lo), abs(hi))
    return float(correlation_p(far, n)), float(correlation_p(near, n))


def printed_p_interval(p: float, op: str = "=", decimals: int = P_DECIMALS) -> tuple[float, float]:
    """The p values a printed p stands for: ``=``: p +/- half a unit of ``decimals``; ``<``: (0, p)."""
    p = check_p(p)
    if op == "<":
        return 0.0, p
    if op != "=":
        raise AuditError(f"op = {op!r} is not allowed; a printed p is '= p' or '< p'")
    h = 0.5 * 10.0 ** (-decimals)
    return max(p - h, 0.0), min(p + h, 1.0)


def holm(p: Sequence[float], alpha: float = ALPHA) -> tuple[np.ndarray, np.ndarray]:
    """Holm's step-down procedure: (rejected, adjusted p), in the order of ``p`` (p values in [0, 1]).

    The p values sorted ascending are compared with alpha / m, alpha / (m - 1), ...; every one before the
    first that exceeds its bound is rejected. The adjusted p is the running maximum of p * (m - i) (i = 0, 1,
    ... in sorted order), capped at 1. The same numbers as statsmodels' ``multipletests(p, alpha,
    "holm")`` (tests/test_audit.py compares), without the ``gc.collect()`` that runs on each of its calls
    (0.2-0.5 s in a process holding semopy's modules; the answer key calls it three times a student).
    """
    ps = np.asarray(p, dtype=float)
    order = np.argsort(ps)
    sorted_p = ps[order]
    m = len(sorted_p)
    above = np.flatnonzero(sorted_p > alpha / np.arange(m, 0, -1))
    reject = np.arange(m) < (above[0] if len(above) else m)
    adjusted = np.maximum.accumulate(sorted_p * np.arange(m, 0, -1))
    adjusted[adjusted > 1] = 1
    out_reject, out_adjusted = np.empty(m, dtype=bool), np.empty(m)
    out_reject[order], out_adjusted[order] = reject, adjusted
    return out_reject, out_adjusted


def multiple_testing(p: Sequence[float], alpha: float = ALPHA, family_size: int | None = None) -> pd.DataFrame:
    """Holm, Benjamini-Hochberg and Benjamini-Yekutieli at ``alpha`` across ``p``.

    Returns columns p, holm_p, bh_p, by_p (adjusted p values), holm, bh, by
    (rejected), one row per given p. Holm controls the family-wise error under
    any dependence; BH the false discovery rate under independence or positive
    regression dependence (PRDS), which two-sided tests of correlations of
    mixed signs need not have; BY (BH with alpha divided by 1 + 1/2 + ... +
    1/m) controls it under any dependence. Both step procedures are monotone
    in each p, so a "< .001" may enter as .001: what survives with the bound
    survives with any p below it.

    ``family_size``: the number of tests the given ones were selected from
    (at least ``len(p)``; default ``len(p)``). The tests not given enter with
    p = 1, that is, as larger than every given p, which is what selecting the
    given ones for their significance implies; the result is then the
    correction the full family needs, of which the given-only one is a lower bound.
    """
    alpha = check_fraction(alpha, "alpha")
    ps = [check_p(float(v), f"p[{i}]") for i, v in enumerate(p)]
    if not ps:
        raise AuditError("p is empty; multiple testing needs at least one p value")
    m = len(ps) if family_size is None else family_size
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < len(ps):
        raise AuditError(f"family_size = {family_size!r} is not allowed; it must be a whole number of tests "
                         f"from {len(ps)} (the p values given) up")
    full = ps + [1.0] * (int(m) - len(ps))
    out = {"p": ps}
    for key, method in (("holm", "holm"), ("bh", "fdr_bh"), ("by", "fdr_by")):
        rej, adj = holm(full, alpha) if method == "holm" else multipletests(full, alpha=alpha, method=method)[:2]
        out[f"{key}_p"], out[key] = adj[: len(ps)], rej[: len(ps)]
    return pd.DataFrame(out)[["p", "holm_p", "bh_p", "by_p", "holm", "bh", "by"]]


def _consistent_n(r: float, p: float, op: str, n_max: int) -> list[int]:
    out = []
    lo, hi = printed_p_interval(p, op)
    for n in range(4, n_max + 1):
        pmin, pmax = p_range(r, n)
        if pmin <= hi and pmax >= lo and not (op == "<" and pmin >= hi):
            out.append(n)
    return out


def published_consistency(facts: Facts | None = None, alpha: float = ALPHA) -> pd.DataFrame:
    """One row per published correlation: is the printed p what the printed r gives at the book's n?

    Columns: x, y, r, p, p_op, n (the book's inferred n, facts file), p_min,
    p_max (two-tailed p over r +/- .005 at n), p_low, p_high (what the printed p
    stands for), consistent (the two intervals overlap), decision_error (some
    p in [p_min, p_max] falls on the other side of ``alpha`` from the printed
    p), n_consistent_low/high (the smallest and largest n from 4 to the
    participants analysed at which r and p are consistent), holm, bh
    (significant at ``alpha`` after Holm / Benjamini-Hochberg across all
    published p, "< .001" entered as .001), holm_p, bh_p (adjusted p).
    """
    facts = facts if facts is not None else load_facts()
    n_max = int(facts.value("design", "n_analysed"))
    rows = []
    for rec in facts.correlations.itertuples():
        n = int(rec.n)
        pmin, pmax = p_range(float(rec.r), n)
        lo, hi = printed_p_interval(float(rec.p), rec.p_op)
        consistent = pmin <= hi and pmax >= lo and not (rec.p_op == "<" and pmin >= hi)
        significant = hi < alpha if rec.p_op == "<" else rec.p < alpha
        flips = (pmax >= alpha) if significant else (pmin < alpha)
        ns = _consistent_n(float(rec.r), float(rec.p), rec.p_op, n_max)
        rows.append(dict(x=rec.x, y=rec.y, r=float(rec.r), p=float(rec.p), p_op=rec.p_op, n=n, p_min=pmin,
                         p_max=pmax, p_low=lo, p_high=hi, consistent=bool(consistent), decision_error=bool(flips),
                         n_consistent_low=min(ns) if ns else np.nan, n_consistent_high=max(ns) if ns else np.nan))
    out = pd.DataFrame(rows)
    mt = multiple_testing(out["p"], alpha)
    for col in ("holm", "bh", "by", "holm_p", "bh_p", "by_p"):
        out[col] = mt[col].to_numpy()
    return out


# --------------------------------------------------------------------------- the alliance change


def dz_range(p: float, n: int, decimals: int = 2) -> tuple[float, float]:
    """The d_z = t / sqrt(n) of a paired t test (n pairs, n - 1 df) whose two-tailed p rounds to ``p``.

    ``decimals``: of the printed p (the alliance change's p = .03 has 2).
    Returns (lowest, highest) d_z over the printed p's rounding interval.
    """
    n = _check_n(n, low=2)
    lo, hi = printed_p_interval(p, "=", decimals)
    t_hi = stats.t.isf(max(lo, 1e-300) / 2, n - 1)
    t_lo = stats.t.isf(hi / 2, n - 1)
    return float(t_lo / np.sqrt(n)), float(t_hi / np.sqrt(n))


CHANGE_R_STEP = 5e-4
"""Grid step of r for :func:`psyalliance.trust.sensitivity.change_compatible_r` in :func:`change_check`
(coarser than its default, so the chapter runs fast; r is shown to three decimals)."""


def change_check(facts: Facts | None = None) -> pd.DataFrame:
    """Which d formula the published alliance change (p, d) implies, as ranges over rounding.

    Rows: ``d_z`` (mean change / SD of the change: the d that p fixes at the
    n of complete pairs) and ``d_av`` (mean change / mean of the two SDs, with
    the book's assumed SDs). Columns: formula, n, d_low, d_high (the range p
    implies for d_z; the printed d's rounding interval for d_av),
    d_printed_low/high, consistent (d_z: does its range meet the printed d's
    interval?), r_low, r_high (for d_av, the correlation between the two
    ratings that p and d imply, :func:`psyalliance.trust.sensitivity.change_compatible_r`),
    n_dz_possible (the largest n up to the participants analysed at which d_z
    could equal the printed d; NaN if none).
    """
    facts = facts if facts is not None else load_facts()
    ch = facts.alliance_change.set_index("name")
    p_pub, d_pub = float(ch.loc["p", "value"]), float(ch.loc["d", "value"])
    n_all = int(facts.value("design", "n_analysed"))
    n = n_all - int(facts.value("missing", "alliance_prep"))
    d_lo, d_hi = d_pub - 0.005, d_pub + 0.005
    z_lo, z_hi = dz_range(p_pub, n)
    possible = [k for k in range(4, n_all + 1) if (lambda a, b: a <= d_hi and b >= d_lo)(*dz_range(p_pub, k))]
    r_lo, r_hi = change_compatible_r(facts, step=CHANGE_R_STEP)
    return pd.DataFrame([
        dict(formula="d_z", n=n, d_low=z_lo, d_high=z_hi, d_printed_low=d_lo, d_printed_high=d_hi,
             consistent=bool(z_lo <= d_hi and z_hi >= d_lo), r_low=np.nan, r_high=np.nan,
             n_dz_possible=max(possible) if possible else np.nan),
        dict(formula="d_av", n=n, d_low=d_lo, d_high=d_hi, d_printed_low=d_lo, d_printed_high=d_hi,
             consistent=True, r_low=r_lo, r_high=r_hi, n_dz_possible=np.nan),
    ])


# --------------------------------------------------------------------------- GRIM for percentages


def grim_counts(percent: float, n: int, decimals: int = 0) -> list[int]:
    """The whole numbers k of n people whose share 100 k / n rounds to ``percent`` (``decimals`` decimals).

    ``percent`` in [0, 100]; ``n`` at least 1. Rounding interval closed at both
    ends (a share exactly at .5 may have been rounded either way).
    """
    ok = isinstance(percent, (int, float, np.integer, np.floating)) and np.isfinite(percent)
    if not ok or not 0 <= percent <= 100:
        raise AuditError(f"percent = {percent!r} is not allowed; a percentage is a number from 0 to 100")
    n = check_count(n, "n", low=1)
    h = 0.5 * 10.0 ** (-decimals)
    return [k for k in range(n + 1) if percent - h - 1e-12 <= 100 * k / n <= percent + h + 1e-12]


def grim_percentages(facts: Facts | None = None, n: int | None = None) -> pd.DataFrame:
    """GRIM for every published percentage of the facts file (``outcomes`` records with unit percent).

    ``n``: the denominator (default: the participants analysed). Columns: name,
    percent, n, counts (the k that round to it, as text), k (the single k, NaN
    when none or several), consistent (at least one k).
    """
    facts = facts if facts is not None else load_facts()
    n = int(facts.value("design", "n_analysed")) if n is None else n
    rows = []
    for rec in facts.outcomes.itertuples():
        if rec.unit != "percent":
            continue
        ks = grim_counts(float(rec.value), n)
        rows.append(dict(name=rec.name, percent=float(rec.value), n=n, counts=", ".join(map(str, ks)),
                         k=ks[0] if len(ks) == 1 else np.nan, consistent=bool(ks)))
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- feasible correlations


def pair_bounds(r_ik: float, r_jk: float) -> tuple[float, float]:
    """The range of r_ij that keeps the 3 x 3 correlation matrix of i, j, k positive semidefinite:
    r_ik r_jk -/+ sqrt((1 - r_ik^2)(1 - r_jk^2))."""
    a, b = check_r(r_ik, "r_ik"), check_r(r_jk, "r_jk")
    s = np.sqrt((1 - a * a) * (1 - b * b))
    return float(a * b - s), float(a * b + s)


def _angles(r: float, h: float) -> tuple[float, float]:
    return float(np.arccos(min(r + h, 1.0))), float(np.arccos(max(r - h, -1.0)))


def _pair_bounds_rounded(r_ik: float, r_jk: float, h: float) -> tuple[float, float]:
    """:func:`pair_bounds` over the rounding boxes r +/- h: with r = cos(theta) (theta in [0, pi]) the
    bounds are cos(theta_ik + theta_jk) and cos(theta_ik - theta_jk). The sum ranges over [s0, s1]: cos
    falls on [0, pi] and rises on [pi, 2 pi], so the lowest bound is -1 if pi is inside, else the lower
    of the two ends; the highest is at the smallest gap |theta_ik - theta_jk|."""
    (a0, a1), (b0, b1) = _angles(r_ik, h), _angles(r_jk, h)
    s0, s1 = a0 + b0, a1 + b1
    low = -1.0 if s0 <= np.pi <= s1 else min(np.cos(s0), np.cos(s1))
    gap = max(a0 - b1, b0 - a1, 0.0)
    return float(low), float(np.cos(gap))


def one_entry_bounds(corr: np.ndarray, i: int, j: int) -> tuple[float, float]:
    """The interval of entry (i, j) of a correlation matrix, the others fixed, where it stays PSD.

    The determinant is a quadratic a x^2 + b x + c in the entry x (a < 0);
    when the two submatrices without row i and without row j are positive
    definite, the matrix is PSD exactly between the two roots. Raises
    :class:`AuditError` if they are not (then no value of x helps).
    """
    m = np.array(corr, dtype=float)
    if m.ndim != 2 or m.shape[0] != m.shape[1] or not np.allclose(m, m.T):
        raise AuditError(f"corr has shape {m.shape} or is not symmetric; a correlation matrix is square and symmetric")
    k = m.shape[0]
    if not (0 <= i < k and 0 <= j < k and i != j):
        raise AuditError(f"(i, j) = ({i}, {j}) is not allowed; two different indices from 0 to {k - 1}")
    for drop in (i, j):
        keep = [v for v in range(k) if v != drop]
        if np.linalg.eigvalsh(m[np.ix_(keep, keep)]).min() <= 0:
            raise AuditError(f"the matrix without variable {drop} is not positive definite, so no value of "
                             f"entry ({i}, {j}) makes the whole matrix positive semidefinite")

    def det(x: float) -> float:
        m[i, j] = m[j, i] = x
        return float(np.linalg.det(m))

    d_m, d_0, d_p = det(-1.0), det(0.0), det(1.0)
    a, b, c = (d_p + d_m) / 2 - d_0, (d_p - d_m) / 2, d_0
    disc = np.sqrt(max(b * b - 4 * a * c, 0.0))
    roots = sorted(((-b - disc) / (2 * a), (-b + disc) / (2 * a)))
    return float(max(roots[0], -1.0)), float(min(roots[1], 1.0))


def triangle_bounds(published: pd.DataFrame, x: str, y: str, h: float = 0.005) -> tuple[float, float, str]:
    """Bounds on r(x, y) from the published correlations alone: the intersection, over every third
    variable k with r(x, k) and r(y, k) both published, of the 3 x 3 bounds over the rounding boxes
    (+/- ``h``). Returns (low, high, the k that set the bounds); (-1, 1, "") if no k has both."""
    pub = {frozenset((a, b)): float(r) for a, b, r in zip(published["x"], published["y"], published["r"])}
    names = sorted({v for pair in pub for v in pair} - {x, y})
    low, high, by_low, by_high = -1.0, 1.0, "", ""
    for k in names:
        a, b = pub.get(frozenset((x, k))), pub.get(frozenset((y, k)))
        if a is None or b is None:
            continue
        lo, hi = _pair_bounds_rounded(a, b, h)
        if lo > low:
            low, by_low = lo, k
        if hi < high:
            high, by_high = hi, k
    return low, high, " / ".join(dict.fromkeys(v for v in (by_low, by_high) if v))


def feasible_ranges(facts: Facts | None = None, variables: Sequence[str] = TABLE_VARIABLES) -> pd.DataFrame:
    """The feasible range of every correlation among ``variables`` that the paper did not report.

    Columns: x, y, triangle_low/high (from the published correlations alone,
    over their rounding, :func:`triangle_bounds`), by (the third variables
    behind those bounds), target (the value in the book's target population),
    one_low/high (with every other entry fixed at the target population,
    :func:`one_entry_bounds`), inside (the target lies within both ranges).
    """
    facts = facts if facts is not None else load_facts()
    pop = target_population(facts).corr.loc[list(variables), list(variables)].to_numpy()
    done = {frozenset((a, b)) for a, b in zip(facts.correlations.x, facts.correlations.y)}
    rows = []
    for (i, x), (j, y) in combinations(enumerate(variables), 2):
        if frozenset((x, y)) in done:
            continue
        t_lo, t_hi, by = triangle_bounds(facts.correlations, x, y)
        o_lo, o_hi = one_entry_bounds(pop, i, j)
        target = float(pop[i, j])
        rows.append(dict(x=x, y=y, triangle_low=t_lo, triangle_high=t_hi, by=by, target=target,
                         one_low=o_lo, one_high=o_hi,
                         inside=bool(t_lo <= target <= t_hi and o_lo <= target <= o_hi)))
    return pd.DataFrame(rows)
