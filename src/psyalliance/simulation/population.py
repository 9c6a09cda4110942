"""The target population: means, SDs and a full correlation matrix of the scale scores.

Built from the facts file only (:func:`psyalliance.study.facts.load_facts`):

* the eleven **published** correlations of Levin et al. (2024) are fixed
  entries. Each published r is printed to two decimals with a p value; the
  target is the midpoint of the interval of r that both rounds to the printed
  r and gives a two-tailed p rounding to the printed p at the back-solved n
  (:func:`published_r_interval`);
* **assumed** (and inferred) correlations come from ``correlation_assumptions``,
  means and SDs from ``scale_assumptions`` and the GRID-HAMD table;
* the per-session ratings of mystical experience (MEQ30) and insight (PIQ)
  are tied to their peak by construction: the peak is the higher of the two
  sessions (see :class:`SessionSplit`), which fixes their moments (status
  ``inferred``);
* every other entry is filled by the **maximum-determinant** positive-definite
  completion (:func:`complete_correlation`), the neutral choice: it adds no
  partial association that the fixed entries do not force (the inverse of the
  completed matrix is zero at the free entries).

Units: alliance item means 1-5, MEQ30 and PIQ item means 0-5, GRID-HAMD totals
0-52; correlations -1 to 1.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import pandas as pd
from scipy import linalg, stats

from psyalliance.study.facts import Facts, load_facts

VARIABLES: tuple[str, ...] = (
    "alliance_prep",
    "alliance_post1",
    "alliance_post2",
    "mystical_s1",
    "mystical_s2",
    "mystical_peak",
    "insight_s1",
    "insight_s2",
    "insight_peak",
    "hamd_baseline",
    "hamd_1wk",
    "hamd_4wk",
    "hamd_3mo",
    "hamd_6mo",
    "hamd_12mo",
)
"""The fifteen scale scores of the population, in the dataset's column order."""

SESSIONS: dict[str, tuple[str, str, str]] = {
    "mystical": ("mystical_s1", "mystical_s2", "mystical_peak"),
    "insight": ("insight_s1", "insight_s2", "insight_peak"),
}
"""Per instrument: (session 1, session 2, peak) variable names."""

SESSION_VARIABLES: tuple[str, ...] = tuple(v for s1, s2, _ in SESSIONS.values() for v in (s1, s2))
PRIMARY: tuple[str, ...] = tuple(v for v in VARIABLES if v not in SESSION_VARIABLES)
"""The eleven variables drawn directly; the four session ratings are derived from the peaks."""

STATUSES: tuple[str, ...] = ("published", "assumed", "inferred", "completed")


class PopulationError(ValueError):
    """An impossible target: unknown variable, value out of range, or no positive-definite matrix."""


def scale_of(variable: str) -> str:
    """The instrument of a variable: ``alliance``, ``mystical``, ``insight`` or ``hamd``."""
    _check_variable(variable)
    return variable.split("_")[0]


def _check_variable(variable: Any, what: str = "variable") -> None:
    if variable not in VARIABLES:
        raise PopulationError(f"unknown {what} {variable!r}; allowed: {', '.join(VARIABLES)}")


def scale_range(variable: str, facts: Facts | None = None) -> tuple[float, float]:
    """The possible range of a scale score: item range for item means, 0-52 for GRID-HAMD totals."""
    facts = facts or load_facts()
    m = facts.measure(scale_of(variable))
    if m["score"] == "total":
        return 0.0, float(m["item_max"])  # the facts give the total's range for GRID-HAMD
    return float(m["item_min"]), float(m["item_max"])


# --------------------------------------------------------------------------- published r


def two_tailed_p(r: float | np.ndarray, n: int) -> float | np.ndarray:
    """Two-tailed p of Pearson r with n pairs (t test with n - 2 df)."""
    r = np.asarray(r, dtype=float)
    t = np.abs(r) * np.sqrt(n - 2) / np.sqrt(np.clip(1 - r * r, 1e-300, None))
    p = 2 * stats.t.sf(t, n - 2)
    return float(p) if p.ndim == 0 else p


def p_matches(p: float, printed: float, op: str) -> bool:
    """Does a p value agree with a printed one (``=``: rounds to its 3 decimals; ``<``: below it)?"""
    if op == "<":
        return p < printed
    return round(p, 3) == round(printed, 3)


def published_r_interval(r: float, p: float, p_op: str, n: int, grid: int = 20001) -> tuple[float, float]:
    """The interval of r that rounds to the printed ``r`` (2 decimals) and, at ``n``, gives a
    two-tailed p that rounds to the printed ``p`` (3 decimals; or lies below it for ``p_op='<'``).

    Raises :class:`PopulationError` if no such r exists.
    """
    rs = np.linspace(r - 0.005, r + 0.005, grid)[1:-1]  # open ends: .xx5 would round either way
    ps = two_tailed_p(rs, n)
    ok = ps < p if p_op == "<" else np.abs(ps - p) < 0.0005
    if not ok.any():
        raise PopulationError(f"no r rounding to {r} gives p {p_op} {p} at n = {n}")
    return float(rs[ok].min()), float(rs[ok].max())


_PUBLISHED: dict[str, pd.DataFrame] = {}
"""facts content key -> published_targets (handed out as copies): every population with overrides needs it."""


def published_targets(facts: Facts | None = None) -> pd.DataFrame:
    """The eleven published correlations with the interval consistent with r and p, and the target
    (its midpoint). Columns: x, y, r, p, p_op, n, r_low, r_high, target. Computed once per facts content."""
    facts = facts or load_facts()
    key = facts.key()
    if key not in _PUBLISHED:
        _PUBLISHED.clear()
        _PUBLISHED[key] = _published_targets(facts)
    return _PUBLISHED[key].copy()


def _published_targets(facts: Facts) -> pd.DataFrame:
    rows = []
    for rec in facts.correlations.itertuples():
        lo, hi = published_r_interval(rec.r, rec.p, rec.p_op, int(rec.n))
        rows.append(dict(x=rec.x, y=rec.y, r=rec.r, p=rec.p, p_op=rec.p_op, n=int(rec.n), r_low=lo, r_high=hi,
                         target=(lo + hi) / 2, cite=rec.cite))
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- completion


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if VARIABLES.index(a) < VARIABLES.index(b) else (b, a)


def _offending_sets(fixed: np.ndarray, names: list[str]) -> list[str]:
    """Small sets of variables whose fixed entries are all given and form a non-PD matrix."""
    k = len(names)
    for size in (2, 3, 4):
        sets = np.array(list(itertools.combinations(range(k), size)), dtype=int).reshape(-1, size)
        subs = fixed[sets[:, :, None], sets[:, None, :]]  # every set's submatrix at once: one eigvalsh call
        given = ~np.isnan(subs).any(axis=(1, 2))
        if not given.any():
            continue
        low = np.full(len(sets), np.inf)
        low[given] = np.linalg.eigvalsh(subs[given])[:, 0]
        hits = np.flatnonzero(low <= 1e-10)
        if len(hits):
            idx = tuple(int(i) for i in sets[hits[0]])
            return [f"{names[i]}~{names[j]} = {fixed[i, j]:g}" for i, j in itertools.combinations(idx, 2)]
    return []


def complete_correlation(fixed: pd.DataFrame, tol: float = 1e-10) -> pd.DataFrame:
    """The maximum-determinant positive-definite completion of a partial correlation matrix.

    ``fixed``: square, symmetric DataFrame (index == columns) with the known
    correlations and NaN at the free entries (the diagonal may be NaN or 1).
    Returns the completed matrix: fixed entries unchanged, free entries chosen
    to maximise the determinant, so that the inverse is zero at every free
    entry. Solved by Newton's method on the free entries (``scipy.linalg``),
    following a path from the identity (fixed entries scaled by s = 0 ... 1)
    so that every iterate stays positive definite.

    Raises :class:`PopulationError` for a non-square or asymmetric input, an
    entry outside [-1, 1], or fixed entries that no positive-definite matrix
    can contain (naming them); never repairs them silently.
    """
    if not isinstance(fixed, pd.DataFrame) or list(fixed.index) != list(fixed.columns):
        raise PopulationError("fixed must be a square DataFrame whose index equals its columns")
    names = [str(c) for c in fixed.columns]
    a = fixed.to_numpy(dtype=float).copy()
    k = len(names)
    diag = np.diag(a)
    ok = np.isnan(diag) | np.isclose(diag, 1.0, rtol=0, atol=1e-9)
    if not ok.all():
        bad = [f"{names[i]} = {diag[i]:g}" for i in range(k) if not ok[i]]
        raise PopulationError(f"diagonal entries must be 1 (or NaN); got {', '.join(bad)}")
    np.fill_diagonal(a, 1.0)
    nan = np.isnan(a)
    if not np.array_equal(nan, nan.T) or not np.allclose(np.where(nan, 0, a), np.where(nan, 0, a).T):
        raise PopulationError("fixed must be symmetric (same value, or NaN, at [i, j] and [j, i])")
    out = np.abs(np.where(nan, 0, a)) > 1
    if out.any():
        i, j = np.argwhere(out)[0]
        raise PopulationError(f"correlation {names[i]}~{names[j]} = {a[i, j]:g} is outside the allowed range [-1, 1]")
    offending = _offending_sets(a, names)
    if offending:
        raise PopulationError(
            "the fixed correlations are not positive definite, so no completion exists; "
            f"offending entries: {'; '.join(offending)}"
        )
    free = [(i, j) for i in range(k) for j in range(i + 1, k) if nan[i, j]]
    target = np.where(nan, 0.0, a)
    if not free:
        if np.linalg.eigvalsh(target)[0] <= 0:
            raise PopulationError(_no_completion_message(target, names, free))
        return pd.DataFrame(target, index=fixed.index, columns=fixed.columns)
    fi = np.array([f[0] for f in free])
    fj = np.array([f[1] for f in free])

    def build(s: float, x: np.ndarray) -> np.ndarray:
        m = np.eye(k) + s * (target - np.eye(k))
        m[fi, fj] = x
        m[fj, fi] = x
        return m

    def chol_ok(m: np.ndarray) -> bool:
        try:
            linalg.cholesky(m, lower=True)
            return True
        except linalg.LinAlgError:
            return False

    ji, ij, jj, ii = np.ix_(fj, fi), np.ix_(fi, fj), np.ix_(fj, fj), np.ix_(fi, fi)  # once, not every step

    def newton(s: float, x: np.ndarray) -> np.ndarray:
        for _ in range(200):
            m = build(s, x)
            w = linalg.inv(m)
            g = 2 * w[fi, fj]
            h = 2 * (w[ji] * w[ij] + w[jj] * w[ii])
            step = linalg.solve(h, g, assume_a="pos")
            decrement = float(g @ step)
            if decrement < tol:
                return x
            f0 = np.linalg.slogdet(m)[1]
            t = 1.0
            while t > 1e-12:
                xn = x + t * step
                mn = build(s, xn)
                if chol_ok(mn) and np.linalg.slogdet(mn)[1] >= f0 + 0.25 * t * decrement:
                    break
                t /= 2
            else:
                return x
            x = xn
        return x

    x = np.zeros(len(free))
    s, ds = 0.0, 1.0
    while s < 1.0:
        ds = min(ds, 1.0 - s)
        while not chol_ok(build(s + ds, x)):
            ds /= 2
            if ds < 1e-9:
                raise PopulationError(_no_completion_message(target, names, free))
        s += ds
        x = newton(s, x)
        ds *= 2
    m = build(1.0, x)
    # a completion at the boundary of the PD cone is numerically singular: treat as impossible
    if np.linalg.eigvalsh(m)[0] < 1e-8:
        raise PopulationError(_no_completion_message(target, names, free))
    return pd.DataFrame(m, index=fixed.index, columns=fixed.columns)


def _no_completion_message(target: np.ndarray, names: list[str], free: list[tuple[int, int]]) -> str:
    freeset = set(free)
    k = len(names)
    fixed_pairs = [
        f"{names[i]}~{names[j]} = {target[i, j]:g}"
        for i in range(k)
        for j in range(i + 1, k)
        if (i, j) not in freeset and target[i, j] != 0
    ]
    return (
        "no positive-definite matrix contains these fixed correlations together; "
        f"fixed entries: {'; '.join(fixed_pairs)}"
    )


# --------------------------------------------------------------------------- sessions


@dataclass(frozen=True)
class SessionSplit:
    """How the two session ratings of an instrument relate to their peak (item-mean scale).

    Construction (an assumption of the book): with probability ``q`` session 1
    is the stronger one. The stronger session's rating equals the peak ``P``;
    the other is ``P * (1 - U)`` with ``U`` a Beta variable on [0, 1], drawn
    independently of everything else (``u1`` when session 1 is the weaker one,
    ``u2`` when session 2 is). So the peak is always the higher of the two, and
    E[session | P] is proportional to P. ``q`` follows from equal mean gaps,
    the Beta means from the session means, their variances from the session SDs.
    """

    q: float
    u1_mean: float
    u1_var: float
    u2_mean: float
    u2_var: float

    def beta(self, which: int) -> tuple[float, float]:
        """Beta(a, b) parameters of U for session ``which`` (1 or 2) being the weaker."""
        m, v = (self.u1_mean, self.u1_var) if which == 1 else (self.u2_mean, self.u2_var)
        if v <= 0 or m <= 0:
            return np.inf, np.inf  # degenerate: U = m
        k = m * (1 - m) / v - 1
        return m * k, (1 - m) * k


def fit_session_split(mean1: float, mean2: float, sd1: float, sd2: float, mean_p: float, sd_p: float,
                      names: tuple[str, str, str] = ("session 1", "session 2", "peak")) -> SessionSplit:
    """Solve the :class:`SessionSplit` whose sessions have the given means and SDs under the peak."""
    g1, g2 = 1 - mean1 / mean_p, 1 - mean2 / mean_p
    if g1 < 0 or g2 < 0:
        raise PopulationError(
            f"session means {names[0]} = {mean1:g} and {names[1]} = {mean2:g} must not exceed the "
            f"peak mean {names[2]} = {mean_p:g} (the peak is the higher of the two sessions)"
        )
    if g1 + g2 == 0:
        return SessionSplit(0.5, 0.0, 0.0, 0.0, 0.0)
    q = g2 / (g1 + g2)
    eu = g1 + g2  # the same mean gap fraction whichever session is the weaker
    ep2 = sd_p**2 + mean_p**2
    out = []
    for mean, sd, p_weaker, name in ((mean1, sd1, 1 - q, names[0]), (mean2, sd2, q, names[1])):
        e1mu2 = ((sd**2 + mean**2) / ep2 - (1 - p_weaker)) / p_weaker if p_weaker > 0 else (1 - eu) ** 2
        var = e1mu2 - (1 - eu) ** 2
        if not 0 <= var < eu * (1 - eu):
            lo = np.sqrt(max(ep2 * ((1 - p_weaker) + p_weaker * (1 - eu) ** 2) - mean**2, 0))
            hi = np.sqrt(max(ep2 * ((1 - p_weaker) + p_weaker * (1 - eu)) - mean**2, 0))
            raise PopulationError(
                f"SD of {name} = {sd:g} is impossible when the peak ({names[2]}: mean {mean_p:g}, SD {sd_p:g}) "
                f"is the higher session; allowed: between {lo:.3f} and {hi:.3f}"
            )
        out += [eu, var]
    return SessionSplit(q, out[0], out[1], out[2], out[3])


# --------------------------------------------------------------------------- population


@dataclass(frozen=True)
class Population:
    """Target moments of the fifteen scale scores (index/columns = :data:`VARIABLES`).

    ``means``, ``sds``: Series; ``corr``: DataFrame; ``status``: one row per
    pair (x, y, r, status, source) with status in ``STATUSES``;
    ``moment_status``: per variable, where its mean and SD come from;
    ``ranges``: per variable, the scale's (low, high); ``splits``: the
    :class:`SessionSplit` of mystical and insight; ``r_intervals``: the
    published correlations with their admissible interval.
    """

    means: pd.Series
    sds: pd.Series
    corr: pd.DataFrame
    status: pd.DataFrame
    moment_status: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    ranges: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    splits: Mapping[str, SessionSplit] = field(repr=False, default_factory=dict)
    r_intervals: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)

    @property
    def cov(self) -> pd.DataFrame:
        """Covariance matrix: SD_i * SD_j * r_ij (scale units squared)."""
        s = self.sds.to_numpy()
        return pd.DataFrame(self.corr.to_numpy() * np.outer(s, s), index=self.corr.index, columns=self.corr.columns)


_SOURCE_STATUS = {"paper": "published", "trial": "published", "assumption": "assumed", "release": "assumed",
                  "inferred": "inferred"}
_OVERRIDE_KEYS = ("corr", "mean", "sd")


def _moments(facts: Facts) -> tuple[dict, dict, dict, dict]:
    """Means, SDs and their statuses from the facts file (alliance_post2 mean inferred from d)."""
    means, sds, mstat, sstat = {}, {}, {}, {}
    for rec in facts.scale_assumptions.itertuples():
        if rec.mean is not None and not pd.isna(rec.mean):
            means[rec.name], mstat[rec.name] = float(rec.mean), _SOURCE_STATUS[rec.source]
        sds[rec.name], sstat[rec.name] = float(rec.sd), _SOURCE_STATUS[rec.source]
    for rec in facts.hamd.itertuples():
        means[rec.name], mstat[rec.name] = float(rec.mean), _SOURCE_STATUS[rec.source]
        if rec.sd is not None and not pd.isna(rec.sd):
            sds[rec.name] = float(rec.sd)
            sstat[rec.name] = "published" if rec.sd_source in ("paper", "trial") else _SOURCE_STATUS[rec.sd_source]
    return means, sds, mstat, sstat


def _check_overrides(overrides: Mapping[str, Any] | None, published_pairs: set, mstat: dict, sstat: dict) -> dict:
    if overrides is None:
        return {"corr": {}, "mean": {}, "sd": {}}
    if not isinstance(overrides, Mapping):
        raise PopulationError(f"overrides must be a dict with keys {_OVERRIDE_KEYS}, got {type(overrides).__name__}")
    unknown = [k for k in overrides if k not in _OVERRIDE_KEYS]
    if unknown:
        raise PopulationError(f"unknown override key(s) {unknown}; allowed: {', '.join(_OVERRIDE_KEYS)}")
    out: dict[str, dict] = {"corr": {}, "mean": {}, "sd": {}}
    for pair, r in dict(overrides.get("corr", {})).items():
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise PopulationError(f"a correlation override is keyed by a pair (x, y); got {pair!r}")
        x, y = pair
        _check_variable(x)
        _check_variable(y)
        if x == y:
            raise PopulationError(f"cannot override the diagonal {x}~{y}; it is 1")
        if not isinstance(r, (int, float, np.floating)) or isinstance(r, bool) or not -1 <= r <= 1:
            raise PopulationError(f"correlation {x}~{y} = {r!r} is outside the allowed range [-1, 1]")
        key = _pair(x, y)
        if key in published_pairs:
            raise PopulationError(f"{x}~{y} is a published correlation (fixed by the paper); only assumed ones can be overridden")
        if x in SESSION_VARIABLES or y in SESSION_VARIABLES:
            raise PopulationError(
                f"{x}~{y} involves a session rating, whose correlations follow from its peak "
                "(override the session means or SDs instead)"
            )
        out["corr"][key] = float(r)
    for kind, stat in (("mean", mstat), ("sd", sstat)):
        for var, value in dict(overrides.get(kind, {})).items():
            _check_variable(var)
            if not isinstance(value, (int, float, np.floating)) or isinstance(value, bool):
                raise PopulationError(f"{kind} of {var} = {value!r} is not a number")
            if stat.get(var) == "published":
                raise PopulationError(f"the {kind} of {var} is published (fixed by the trial); only assumed ones can be overridden")
            out[kind][var] = float(value)
    return out


def _check_moments(means: dict, sds: dict, facts: Facts, ranges: Mapping[str, tuple[float, float]] | None = None) -> None:
    for var in VARIABLES:
        lo, hi = ranges[var] if ranges is not None else scale_range(var, facts)
        m, s = means[var], sds[var]
        if not lo < m < hi:
            raise PopulationError(f"mean of {var} = {m:g} is outside the scale's range; allowed: strictly between {lo:g} and {hi:g}")
        smax = np.sqrt((m - lo) * (hi - m))  # the largest SD a variable bounded to [lo, hi] can have
        if not 0 < s < smax:
            raise PopulationError(
                f"SD of {var} = {s:g} is impossible; allowed: above 0 and below {smax:.3f} "
                f"(the most a score in [{lo:g}, {hi:g}] with mean {m:g} can spread)"
            )


def _build(facts: Facts, overrides: Mapping[str, Any] | None) -> Population:
    means, sds, mstat, sstat = _moments(facts)
    published = published_targets(facts)
    published_pairs = {_pair(x, y) for x, y in zip(published.x, published.y)}
    ov = _check_overrides(overrides, published_pairs, mstat, sstat)

    # alliance_post2's mean: inferred so that the prep-to-final change has the published d_av
    # (mean change / mean of the two SDs), unless the caller sets it
    change = facts.alliance_change.set_index("name")
    means.update({k: v for k, v in ov["mean"].items()})
    sds.update(ov["sd"])
    if "alliance_post2" not in ov["mean"]:
        d = float(change.loc["d", "value"])
        means["alliance_post2"] = means["alliance_prep"] + d * (sds["alliance_prep"] + sds["alliance_post2"]) / 2
        mstat["alliance_post2"] = "inferred"
    for var in ov["mean"]:
        mstat[var] = "assumed"
    for var in ov["sd"]:
        sstat[var] = "assumed"
    missing = [v for v in VARIABLES if v not in means or v not in sds]
    if missing:
        raise PopulationError(f"the facts file gives no mean or SD for {', '.join(missing)}")
    by_scale = {scale_of(v): v for v in VARIABLES}  # one look-up per instrument, not per variable
    ranges_of = {scale: scale_range(v, facts) for scale, v in by_scale.items()}
    scale_ranges = {v: ranges_of[scale_of(v)] for v in VARIABLES}
    _check_moments(means, sds, facts, scale_ranges)

    # fixed entries of the primary block
    pi = {v: i for i, v in enumerate(PRIMARY)}  # a numpy matrix, not .loc (a sensitivity sweep builds dozens)
    fx = np.full((len(PRIMARY), len(PRIMARY)), np.nan)
    np.fill_diagonal(fx, 1.0)

    def put(a: str, b: str, r: float) -> None:
        fx[pi[a], pi[b]] = fx[pi[b], pi[a]] = r

    status: dict[tuple[str, str], tuple[str, str]] = {}
    for rec in published.itertuples():
        put(rec.x, rec.y, rec.target)
        status[_pair(rec.x, rec.y)] = ("published", f"paper ({rec.cite}): r = {rec.r:.2f}, p {rec.p_op} {rec.p:.3f}, n = {rec.n}")
    for rec in facts.correlation_assumptions.itertuples():
        _check_variable(rec.x, "variable in correlation_assumptions")
        _check_variable(rec.y, "variable in correlation_assumptions")
        key = _pair(rec.x, rec.y)
        if rec.x in SESSION_VARIABLES or rec.y in SESSION_VARIABLES:
            raise PopulationError(
                f"correlation_assumptions: {rec.x}~{rec.y} involves a session rating, whose correlations "
                "follow from the peak construction; remove it from the facts file"
            )
        r = ov["corr"].get(key, float(rec.r))
        put(rec.x, rec.y, r)
        st = "assumed" if key in ov["corr"] else _SOURCE_STATUS[rec.source]
        src = "override" if key in ov["corr"] else f"{rec.source} ({rec.cite}): {rec.note}"
        status[key] = (st, src)
    for key, r in ov["corr"].items():
        if key not in status:
            put(key[0], key[1], r)
            status[key] = ("assumed", "override")
    primary = complete_correlation(pd.DataFrame(fx, index=list(PRIMARY), columns=list(PRIMARY)))

    # sessions: derived from the peaks
    splits: dict[str, SessionSplit] = {}
    cov_p = primary.to_numpy() * np.outer([sds[v] for v in PRIMARY], [sds[v] for v in PRIMARY])
    at = {v: i for i, v in enumerate(VARIABLES)}  # a numpy matrix, not .loc: a sensitivity sweep builds dozens
    cov = np.zeros((len(VARIABLES), len(VARIABLES)))
    cov[np.ix_([at[v] for v in PRIMARY], [at[v] for v in PRIMARY])] = cov_p
    # loadings: each variable is b * (its peak) + independent part; primaries load 1 on themselves
    load = {v: (v, 1.0) for v in PRIMARY}
    for inst, (s1, s2, pk) in SESSIONS.items():
        splits[inst] = fit_session_split(means[s1], means[s2], sds[s1], sds[s2], means[pk], sds[pk], (s1, s2, pk))
        load[s1] = (pk, means[s1] / means[pk])
        load[s2] = (pk, means[s2] / means[pk])
    for a, b in itertools.combinations_with_replacement(VARIABLES, 2):
        if a in PRIMARY and b in PRIMARY:
            continue
        (pa, la), (pb, lb) = load[a], load[b]
        c = la * lb * cov[at[pa], at[pb]]
        if a == b:
            c = sds[a] ** 2
        elif pa == pb and a in SESSION_VARIABLES and b in SESSION_VARIABLES:
            # two sessions of the same instrument: one is always the peak, so
            # Cov = b1 b2 Var(P) - (1 - b1)(1 - b2) E[P^2]
            c = la * lb * sds[pa] ** 2 - (1 - la) * (1 - lb) * (sds[pa] ** 2 + means[pa] ** 2)
        cov[at[a], at[b]] = cov[at[b], at[a]] = c
    sd = np.array([sds[v] for v in VARIABLES])
    corr = pd.DataFrame(cov / np.outer(sd, sd), index=list(VARIABLES), columns=list(VARIABLES))
    corr.loc[list(PRIMARY), list(PRIMARY)] = primary.to_numpy()  # exactly the fixed values, no round trip
    if np.linalg.eigvalsh(corr.to_numpy())[0] <= 1e-10:
        raise PopulationError("the session ratings and their peaks give a matrix that is not positive definite")

    rows = []
    corr_np = corr.to_numpy()
    for a, b in itertools.combinations(VARIABLES, 2):
        key = (a, b)
        if key in status:
            st, src = status[key]
        elif a in SESSION_VARIABLES or b in SESSION_VARIABLES:
            st, src = "inferred", "construction: the peak is the higher of the two sessions (SessionSplit)"
        else:
            st, src = "completed", "maximum-determinant completion"
        rows.append(dict(x=a, y=b, r=float(corr_np[at[a], at[b]]), status=st, source=src))
    moment_status = pd.DataFrame(
        {"mean": pd.Series(mstat), "sd": pd.Series(sstat)}
    ).reindex(list(VARIABLES))
    ranges = pd.DataFrame([scale_ranges[v] for v in VARIABLES], index=list(VARIABLES), columns=["low", "high"])
    return Population(
        means=pd.Series(means).reindex(list(VARIABLES)).astype(float),
        sds=pd.Series(sds).reindex(list(VARIABLES)).astype(float),
        corr=corr,
        status=pd.DataFrame(rows),
        moment_status=moment_status,
        ranges=ranges,
        splits=splits,
        r_intervals=published,
    )


_POPULATIONS: dict[str, Population] = {}
"""facts content key -> the population built from it without overrides; handed out only as copies."""


def copy_population(pop: Population) -> Population:
    """A deep copy: the caller may edit its tables without changing anyone else's population."""
    return Population(
        means=pop.means.copy(), sds=pop.sds.copy(), corr=pop.corr.copy(), status=pop.status.copy(),
        moment_status=pop.moment_status.copy(), ranges=pop.ranges.copy(), splits=dict(pop.splits),
        r_intervals=pop.r_intervals.copy(),
    )


def target_population(facts: Facts | None = None, overrides: Mapping[str, Any] | None = None) -> Population:
    """The target population of the fifteen scale scores.

    ``facts``: a :class:`~psyalliance.study.facts.Facts` (default: the project's facts file).
    ``overrides``: change ASSUMED quantities, e.g.
    ``{"corr": {("mystical_peak", "insight_peak"): 0.4}, "mean": {"alliance_prep": 3.9}, "sd": {...}}``.
    Overriding a published correlation, mean or SD is an error, as is an unknown
    variable, r outside [-1, 1], a mean outside the scale's range or an impossible
    SD. A population without overrides is computed once per facts content
    (:meth:`~psyalliance.study.facts.Facts.key`) and handed out as a copy, so a caller's edit never
    reaches the next caller, and edited facts never get a stale population.
    """
    facts = facts if facts is not None else load_facts()
    if overrides:
        return _build(facts, overrides)
    key = facts.key()
    if key not in _POPULATIONS:
        _POPULATIONS.clear()
        _POPULATIONS[key] = _build(facts, None)
    return copy_population(_POPULATIONS[key])
