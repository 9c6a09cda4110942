"""Simulated datasets comparable to Levin et al. (2024): one row per participant, items and scores.

Two ways to draw (:func:`simulate_dataset`):

* ``method="population"``: a seeded random sample of any size from the target
  population (:func:`psyalliance.simulation.population.target_population`). Each of the
  eleven primary scores (alliance x 3, peak MEQ30, peak PIQ, GRID-HAMD x 6) has
  a bounded, skewed marginal (a Beta distribution stretched over the scale's
  range, with the target mean and SD); they are joined by a Gaussian copula
  whose latent correlations are solved so that the *Pearson* correlations of
  the scores equal the targets (the NORTA method). Session ratings follow from
  their peaks (:class:`~psyalliance.simulation.population.SessionSplit`). No missing values.
* ``method="exact"``: the committed dataset. A draw whose latent scores have
  exactly the target moments (the empirical-moments construction), made
  discrete (item sums, integer GRID-HAMD totals), given the missing ratings,
  and then corrected by a seeded search of +/-1 steps on the discrete values
  until every published statistic is reproduced (:func:`fidelity`).

Scales: alliance item means 1-5, MEQ30 and PIQ item means 0-5, GRID-HAMD totals
0-52 (baseline at least 17, the trial's eligibility threshold). All data are
simulated.

``python -m psyalliance.simulation.simulate`` writes ``data/simulated/levin2024_simulated.csv``
and ``data/simulated/codebook.csv`` from a fixed seed, byte for byte.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from scipy import linalg, optimize, special, stats

from psyalliance.errors import DataError
from psyalliance.resources import CHECKOUT
from psyalliance.simulation.population import (
    PRIMARY,
    SESSION_VARIABLES,
    SESSIONS,
    VARIABLES,
    Population,
    PopulationError,
    target_population,
)
from psyalliance.study.datacheck import check_dataset
from psyalliance.study.facts import DATA_DIR, Facts, load_facts
from psyalliance.study.instruments import RATINGS, instrument, item_columns, items_with_totals, score_dataset

SCORE_COLUMNS: tuple[str, ...] = ("id", "arm", "sex", "age") + VARIABLES
"""The dataset's leading columns, in order; item columns follow."""

SEED = 20240306
"""The seed of the committed dataset (the paper's publication date)."""

OUT_DIR = DATA_DIR / "simulated"
DATASET_PATH = OUT_DIR / "levin2024_simulated.csv"
CODEBOOK_PATH = OUT_DIR / "codebook.csv"

METHODS = ("exact", "population")
MIN_N = {"population": 2, "exact": 18}
"""Smallest n per method. Exact: the complete cases (about two thirds of n, after the
missing insight ratings) must outnumber the eleven primary scores."""

MAX_N = {"population": 10_000_000, "exact": 48}
"""Largest n per method. Exact: each sweep of the +/-1 search costs about n^2 work (every cell of
every participant, each step re-evaluating the statistics) and the sweeps needed grow with n: about
a minute at n = 24 and at n = 48 (``make bench``), but at n = 64 and n = 96 the search gave up after
400 sweeps (11 and 22 minutes on the development machine): with the published p of the alliance change
held fixed, a larger n needs ever more extreme values elsewhere. So the exact method stops at 48, the
largest n seen to finish. Population: memory (items of every participant)."""

UNITS = {v: (12 if v.startswith("alliance") else 30 if v.startswith("mystical") else 23 if v.startswith("insight") else 1)
         for v in PRIMARY}
"""Discrete steps per scale point: item sums for alliance (12 items), MEQ30 (30), PIQ (23); GRID-HAMD totals."""


class SimulationError(ValueError):
    """Bad input to the simulator (n, seed, method, population)."""


# --------------------------------------------------------------------------- marginals


@dataclass(frozen=True)
class Marginal:
    """A Beta(a, b) distribution stretched over [low, high]: bounded, skewed toward the far end."""

    low: float
    high: float
    a: float
    b: float

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Quantile function (scale units)."""
        u = np.clip(u, 1e-16, 1 - 1e-16)  # scipy's inverse fails in the far tails (beyond ~8 SD)
        return self.low + (self.high - self.low) * special.betaincinv(self.a, self.b, u)


def beta_marginal(mean: float, sd: float, low: float, high: float, name: str = "score") -> Marginal:
    """The stretched Beta on [low, high] with the given mean and SD (error if no such Beta exists)."""
    if not low < mean < high:
        raise PopulationError(f"mean of {name} = {mean:g} is outside its range; allowed: strictly between {low:g} and {high:g}")
    m = (mean - low) / (high - low)
    v = (sd / (high - low)) ** 2
    if not 0 < v < m * (1 - m):
        smax = (high - low) * np.sqrt(m * (1 - m))
        raise PopulationError(f"SD of {name} = {sd:g} is impossible on [{low:g}, {high:g}] with mean {mean:g}; allowed: above 0 and below {smax:.3f}")
    k = m * (1 - m) / v - 1
    return Marginal(low, high, m * k, (1 - m) * k)


def primary_marginals(pop: Population, facts: Facts | None = None) -> dict[str, Marginal]:
    """Marginal of each primary score; GRID-HAMD baseline starts at the eligibility threshold."""
    facts = facts or load_facts()
    out = {}
    for v in PRIMARY:
        low, high = pop.ranges.loc[v, "low"], pop.ranges.loc[v, "high"]
        if v == "hamd_baseline":
            low = float(facts.value("sample", "hamd_min_eligible"))
        out[v] = beta_marginal(pop.means[v], pop.sds[v], low, high, v)
    return out


def _hermite_coefficients(marg: Marginal, mean: float, sd: float, k: int = 40, nodes: int = 160) -> np.ndarray:
    """c_j = E[g(Z) He_j(Z)] / sqrt(j!), j = 1..k, of the standardised transform g(z) = (F^-1(Phi(z)) - mean) / sd."""
    x, w = np.polynomial.hermite_e.hermegauss(nodes)
    keep = w > 1e-300  # the outermost nodes carry no weight and overflow the polynomials
    x, w = x[keep], w[keep] / w[keep].sum()
    g = (marg.ppf(special.ndtr(x)) - mean) / sd
    h_prev, h = np.ones_like(x), x.copy()
    out = np.empty(k)
    for j in range(1, k + 1):
        out[j - 1] = np.sum(w * g * h)
        h_prev, h = h, (x * h - np.sqrt(j) * h_prev) / np.sqrt(j + 1)
    return out


def latent_correlation(pop: Population, facts: Facts | None = None) -> pd.DataFrame:
    """Latent (Gaussian-copula) correlations of the primary scores whose transformed Pearson
    correlations equal ``pop.corr`` (NORTA). Error if a target cannot be reached or the latent
    matrix is not positive definite."""
    margs = primary_marginals(pop, facts)
    coef = {v: _hermite_coefficients(margs[v], pop.means[v], pop.sds[v]) for v in PRIMARY}
    powers = np.arange(1, 41)
    k = len(PRIMARY)
    lat = np.eye(k)
    for i in range(k):
        for j in range(i + 1, k):
            c = coef[PRIMARY[i]] * coef[PRIMARY[j]]
            target = pop.corr.loc[PRIMARY[i], PRIMARY[j]]
            f = lambda rho: float(np.sum(c * rho**powers)) - target  # noqa: E731
            lo, hi = f(-0.9999), f(0.9999)
            if not lo <= 0 <= hi:
                raise PopulationError(
                    f"{PRIMARY[i]}~{PRIMARY[j]} = {target:.3f} cannot be reached with these skewed marginals; "
                    f"allowed: between {lo + target:.3f} and {hi + target:.3f}"
                )
            lat[i, j] = lat[j, i] = optimize.brentq(f, -0.9999, 0.9999, xtol=1e-12)
    if np.linalg.eigvalsh(lat)[0] <= 1e-8:
        raise PopulationError("the latent correlation matrix of the Gaussian copula is not positive definite; "
                              "some target correlations are too extreme for the skewed marginals")
    return pd.DataFrame(lat, index=list(PRIMARY), columns=list(PRIMARY))


_LATENT: dict[bytes, pd.DataFrame] = {}
"""Population content -> its copula's latent correlation (handed out as copies)."""


def _latent(pop: Population) -> pd.DataFrame:
    """The latent correlation of ``pop``, computed once per population content (means, SDs, correlations)."""
    key = b"".join(np.ascontiguousarray(a.to_numpy(float)).tobytes() for a in (pop.means, pop.sds, pop.corr))
    if key not in _LATENT:
        if len(_LATENT) > 8:
            _LATENT.clear()
        _LATENT[key] = latent_correlation(pop)
    return _LATENT[key].copy()


# --------------------------------------------------------------------------- checks


def _check_inputs(n: object, seed: object, method: object, population: object) -> None:
    if method not in METHODS:
        raise SimulationError(f"method = {method!r} is not allowed; allowed: {', '.join(map(repr, METHODS))}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise SimulationError(f"seed = {seed!r} is not allowed; allowed: a non-negative integer")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise SimulationError(f"n = {n!r} is not allowed; allowed: a whole number of participants")
    if n < MIN_N[method]:
        raise SimulationError(f"n = {n} is too small for method={method!r}; allowed: n >= {MIN_N[method]}")
    if n > MAX_N[method]:
        alt = "; for a larger simulated sample use method='population' (a random draw, no exact targets)" \
            if method == "exact" else ""
        why = ("its +/-1 search slows with n and, because the published alliance-change p is held fixed, must push "
               "the other statistics further as n grows: n = 64 and n = 96 gave up after 400 sweeps, in 11 and 22 minutes"
               if method == "exact" else "its memory grows with n")
        raise SimulationError(f"n = {n} is too large for method={method!r}: it would not finish in reasonable time "
                              f"({why}); allowed: n <= {MAX_N[method]}{alt}")
    if population is not None and not isinstance(population, Population):
        raise SimulationError(f"population must be a Population (see target_population()), got {type(population).__name__}")


# --------------------------------------------------------------------------- discrete primaries


def _to_units(x: np.ndarray, margs: dict[str, Marginal]) -> np.ndarray:
    """Continuous primary scores -> discrete units (item sums, integer totals) within range."""
    out = np.empty_like(x)
    for j, v in enumerate(PRIMARY):
        u = UNITS[v]
        lo, hi = np.ceil(margs[v].low * u), np.floor(margs[v].high * u)
        out[:, j] = np.clip(np.round(x[:, j] * u), lo, hi)
    return out


def _population_units(n: int, pop: Population, rng: np.random.Generator, facts: Facts) -> np.ndarray:
    margs = primary_marginals(pop, facts)
    chol = linalg.cholesky(_latent(pop).to_numpy(), lower=True)
    z = rng.standard_normal((n, len(PRIMARY))) @ chol.T
    u = special.ndtr(z)
    x = np.column_stack([margs[v].ppf(u[:, j]) for j, v in enumerate(PRIMARY)])
    return _to_units(x, margs)


def missing_counts(n: int, facts: Facts | None = None) -> dict[str, int]:
    """Missing ratings at sample size n: the facts' counts at their n, in proportion otherwise."""
    facts = facts or load_facts()
    n0 = int(facts.value("design", "n_analysed"))
    scale = lambda k: int(round(k * n / n0))  # noqa: E731
    return {
        "insight": scale(facts.value("missing", "insight")),
        "alliance_prep": scale(facts.value("missing", "alliance_prep")),
        "mystical": scale(facts.value("missing", "mystical_peak")),
    }


def missing_mask(n: int, rng: np.random.Generator, facts: Facts | None = None) -> dict[str, np.ndarray]:
    """Who misses which rating (True = missing), completely at random (an assumption), nested so
    that the back-solved n hold: mystical-missing within alliance_prep-missing within insight-missing."""
    c = missing_counts(n, facts)
    order = rng.permutation(n)
    out = {}
    for key in ("insight", "alliance_prep", "mystical"):
        m = np.zeros(n, dtype=bool)
        m[order[: c[key]]] = True
        out[key] = m
    return out


# --------------------------------------------------------------------------- exact search


@dataclass
class _Targets:
    corr: np.ndarray
    corr_w: np.ndarray  # 1 / scale^2, upper triangle
    mean: np.ndarray
    mean_w: np.ndarray
    sd: np.ndarray
    sd_w: np.ndarray
    r_low: np.ndarray  # admissible intervals for the published pairs (NaN elsewhere)
    r_high: np.ndarray
    mean_tol: np.ndarray  # published means: |mean - target| <= tol (NaN: none)
    sd_round: np.ndarray  # published SDs: must round (1 decimal) to this (NaN: none)
    d: float
    t_low: float
    t_high: float
    responders: int
    remitters: int
    drop: float
    remit_max: float


def _targets(n: int, pop: Population, facts: Facts) -> _Targets:
    k = len(PRIMARY)
    idx = {v: i for i, v in enumerate(PRIMARY)}
    corr = pop.corr.loc[list(PRIMARY), list(PRIMARY)].to_numpy()
    w = np.zeros((k, k))
    r_low = np.full((k, k), np.nan)
    r_high = np.full((k, k), np.nan)
    st = pop.status.set_index(["x", "y"])["status"]
    for a in range(k):
        for b in range(a + 1, k):
            key = (PRIMARY[a], PRIMARY[b])
            s = st.get(key, st.get(key[::-1]))
            w[a, b] = {"assumed": 1 / 0.04**2, "inferred": 1 / 0.04**2, "completed": 1 / 0.10**2}.get(s, 0.0)
    for rec in pop.r_intervals.itertuples():
        a, b = sorted((idx[rec.x], idx[rec.y]))
        half = (rec.r_high - rec.r_low) / 2
        w[a, b] = 1 / (half / 3) ** 2
        r_low[a, b], r_high[a, b] = rec.r_low, rec.r_high
    mean = pop.means[list(PRIMARY)].to_numpy()
    sd = pop.sds[list(PRIMARY)].to_numpy()
    ms = pop.moment_status.loc[list(PRIMARY)]
    mean_w = np.where(ms["mean"] == "published", 1 / 0.015**2, 1 / (0.08 * sd) ** 2)
    sd_w = np.where(ms["sd"] == "published", 1 / 0.012**2, 1 / (0.08 * sd) ** 2)
    mean_tol = np.where(ms["mean"] == "published", 0.05, np.nan)
    sd_round = np.where(ms["sd"] == "published", np.round(sd, 1), np.nan)
    change = facts.alliance_change.set_index("name")["value"]
    n_pairs = n - missing_counts(n, facts)["alliance_prep"]
    df = n_pairs - 1
    p = float(change["p"])
    # p rounds to the printed two decimals: p in [p - .005, p + .005)
    t_low, t_high = stats.t.isf((p + 0.005) / 2, df), stats.t.isf((p - 0.005) / 2, df)
    n0 = int(facts.value("design", "n_analysed"))
    return _Targets(
        corr=corr, corr_w=w, mean=mean, mean_w=mean_w, sd=sd, sd_w=sd_w, r_low=r_low, r_high=r_high,
        mean_tol=mean_tol, sd_round=sd_round, d=float(change["d"]), t_low=t_low, t_high=t_high,
        responders=int(round(facts.value("outcomes", "responders_12mo") * n / n0)),
        remitters=int(round(facts.value("outcomes", "remitters_12mo") * n / n0)),
        drop=float(facts.value("outcomes", "response_drop_fraction")),
        remit_max=float(facts.value("outcomes", "remission_max")),
    )


_I_PREP, _I_POST2 = PRIMARY.index("alliance_prep"), PRIMARY.index("alliance_post2")
_I_BASE, _I_12 = PRIMARY.index("hamd_baseline"), PRIMARY.index("hamd_12mo")


_BIG = np.finfo(float).max


def _nan_to_num(a: np.ndarray) -> np.ndarray:
    """``numpy.nan_to_num`` of a float array (NaN -> 0, +-inf -> +-largest float), the same numbers with less
    overhead: the search calls it thousands of times on arrays of a few dozen numbers."""
    d = np.array(a, dtype=float)
    np.copyto(d, 0.0, where=np.isnan(d))
    inf = np.isinf(d)
    if inf.any():
        np.copyto(d, np.where(d > 0, _BIG, -_BIG), where=inf)
    return d


def _mean(a: np.ndarray, axis: int | None = None) -> np.ndarray | float:
    """``a.mean(axis)``, computed as numpy does (its pairwise sum, then one division): the same bits."""
    return np.add.reduce(a, axis=axis) / (a.size if axis is None else a.shape[axis])


def _sd(a: np.ndarray, axis: int | None = None) -> np.ndarray | float:
    """``a.std(axis, ddof=1)``, computed step by step as numpy's ``_var`` does: the same bits, without its
    argument handling (the search takes thousands of SDs of two dozen numbers)."""
    count = a.size if axis is None else a.shape[axis]
    dev = a - np.add.reduce(a, axis=axis, keepdims=True) / count
    np.multiply(dev, dev, out=dev)
    return np.sqrt(np.add.reduce(dev, axis=axis) / (count - 1))


def _stats(x: np.ndarray, obs: np.ndarray, tg: _Targets) -> dict[str, np.ndarray | float]:
    """Pairwise-complete correlations, means, SDs (ddof 1), alliance change and 12-month counts."""
    m = obs.astype(float)
    x0 = np.where(obs, x, 0.0)
    nn = m.T @ m
    s = x0.T @ m
    q = (x0**2).T @ m
    p = x0.T @ x0
    mean_ij = s / nn
    var_ij = q / nn - mean_ij**2
    cov = p / nn - mean_ij * mean_ij.T
    r = cov / np.sqrt(var_ij * var_ij.T)
    cnt = np.diag(nn)
    mean = np.diag(s) / cnt
    sd = np.sqrt(np.maximum(np.diag(q) - cnt * mean**2, 0) / (cnt - 1))
    both = obs[:, _I_PREP] & obs[:, _I_POST2]
    a, b = x[both, _I_PREP], x[both, _I_POST2]
    diff = b - a
    sd_a, sd_b, sd_d = _sd(a), _sd(b), _sd(diff)
    d_av = _mean(diff) / ((sd_a + sd_b) / 2)
    t = _mean(diff) / (sd_d / np.sqrt(both.sum()))
    base, last = x[:, _I_BASE], x[:, _I_12]
    return dict(r=r, mean=mean, sd=sd, d=d_av, t=t, resp=int(np.sum(base - last >= tg.drop * base)),
                remit=int(np.sum(last <= tg.remit_max)))


def _objective(st: dict, tg: _Targets) -> float:
    r = _nan_to_num(st["r"])
    f = float(np.sum(tg.corr_w * (r - tg.corr) ** 2))
    f += float(np.sum(tg.mean_w * (st["mean"] - tg.mean) ** 2))
    f += float(np.sum(tg.sd_w * (st["sd"] - tg.sd) ** 2))
    f += ((st["d"] - tg.d) / 0.0015) ** 2
    f += ((st["t"] - (tg.t_low + tg.t_high) / 2) / ((tg.t_high - tg.t_low) / 8)) ** 2
    f += 50.0 * ((st["resp"] - tg.responders) ** 2 + (st["remit"] - tg.remitters) ** 2)
    return f


def _failures(st: dict, tg: _Targets) -> list[str]:
    """The published statistics the current data miss (empty: all reproduced)."""
    out = []
    r = st["r"]
    for a, b in np.argwhere(~np.isnan(tg.r_low)):
        if not tg.r_low[a, b] <= r[a, b] <= tg.r_high[a, b]:
            out.append(f"r({PRIMARY[a]}, {PRIMARY[b]}) = {r[a, b]:.4f} not in [{tg.r_low[a, b]:.4f}, {tg.r_high[a, b]:.4f}]")
    for j in np.flatnonzero(~np.isnan(tg.mean_tol)):
        if abs(st["mean"][j] - tg.mean[j]) > tg.mean_tol[j]:
            out.append(f"mean {PRIMARY[j]} = {st['mean'][j]:.3f}, target {tg.mean[j]:.2f}")
    for j in np.flatnonzero(~np.isnan(tg.sd_round)):
        if round(st["sd"][j], 1) != tg.sd_round[j]:
            out.append(f"SD {PRIMARY[j]} = {st['sd'][j]:.3f}, target {tg.sd_round[j]:.1f}")
    if round(st["d"], 2) != round(tg.d, 2):
        out.append(f"d_av = {st['d']:.4f}, target {tg.d:.2f}")
    if not tg.t_low < st["t"] < tg.t_high:
        out.append(f"paired t = {st['t']:.3f} not in ({tg.t_low:.3f}, {tg.t_high:.3f})")
    if st["resp"] != tg.responders or st["remit"] != tg.remitters:
        out.append(f"responders/remitters = {st['resp']}/{st['remit']}, target {tg.responders}/{tg.remitters}")
    return out


def _hard_ok(st: dict, tg: _Targets) -> bool:
    return not _failures(st, tg)


class _MoveScorer:
    """:func:`_objective` after each of many moves of the current units, all at once (see :meth:`scores`).

    A move changes one column j (one cell, or two cells of one score): only row and column j of the
    correlations, the mean and SD of j, and the alliance change or the 12-month counts when j enters them.
    Those terms are recomputed from the current cross-products and swapped into the current objective;
    every term is non-negative, so the result is exact to about 1e-15 of it (the order of the sums differs
    from :func:`_stats`', which is why :func:`_exact_units` decides near-ties one at a time)."""

    def __init__(self, per: np.ndarray, obs: np.ndarray, tg: _Targets) -> None:
        self.per, self.obs, self.tg = per, obs, tg
        self.m = obs.astype(float)
        self.nn = self.m.T @ self.m
        self.cnt = np.diag(self.nn)
        self.w = tg.corr_w + tg.corr_w.T  # the pair (j, b) is weighted once, in the upper triangle
        np.fill_diagonal(self.w, 0.0)
        self.both = obs[:, _I_PREP] & obs[:, _I_POST2]
        self.mid, self.half = (tg.t_low + tg.t_high) / 2, (tg.t_high - tg.t_low) / 8

    def set_state(self, units: np.ndarray, st: dict, best: float) -> None:
        """The current units, their :func:`_stats` and :func:`_objective`."""
        tg = self.tg
        self.u, self.st, self.best = units, st, best
        self.x = units / self.per
        self.b0 = np.where(self.obs, self.x, 0.0)
        self.s0, self.q0, self.p0 = self.b0.T @ self.m, (self.b0**2).T @ self.m, self.b0.T @ self.b0
        self.r_term = (_nan_to_num(st["r"]) - tg.corr) ** 2
        self.change_term = ((st["d"] - tg.d) / 0.0015) ** 2 + ((st["t"] - self.mid) / self.half) ** 2
        self.count_term = 50.0 * ((st["resp"] - tg.responders) ** 2 + (st["remit"] - tg.remitters) ** 2)

    def scores(self, moves: list[tuple[int, int, int, int, int]]) -> np.ndarray:
        """The objective after each move (position, row, column, step, partner row or -1)."""
        tg, u, x, per, st = self.tg, self.u, self.x, self.per, self.st
        mv = np.asarray(moves)
        c = len(mv)
        rows = np.arange(c)
        row, col, step, partner = mv[:, 1], mv[:, 2], mv[:, 3], mv[:, 4]
        d = np.zeros((c, len(u)))
        # the new value minus the old, as x = u / per computes them (one elementwise step for all the moves)
        d[rows, row] = (u[row, col] + step) / per[col] - x[row, col]
        pair = partner >= 0
        r2, c2 = partner[pair], col[pair]
        d[rows[pair], r2] = (u[r2, c2] - step[pair]) / per[c2] - x[r2, c2]
        bj = self.b0[:, col].T  # (c, n) the moved column before the move
        s_row = self.s0[col] + d @ self.m
        q_row = self.q0[col] + (2 * bj * d + d * d) @ self.m
        v = d @ self.b0
        p_row = self.p0[col] + v
        p_row[rows, col] += v[rows, col] + np.sum(d * d, axis=1)
        nn_row = self.nn[col]
        mean_jb = s_row / nn_row
        mean_bj = self.s0[:, col].T / nn_row  # s[b, j]: the other score's mean where both are observed (unchanged)
        var_jb = q_row / nn_row - mean_jb**2
        var_bj = self.q0[:, col].T / nn_row - mean_bj**2
        with np.errstate(invalid="ignore", divide="ignore"):
            r_row = _nan_to_num((p_row / nn_row - mean_jb * mean_bj) / np.sqrt(var_jb * var_bj))
        f = self.best + np.sum(self.w[col] * ((r_row - tg.corr[col]) ** 2 - self.r_term[col]), axis=1)
        cnt = self.cnt[col]
        mean = s_row[rows, col] / cnt
        sd = np.sqrt(np.maximum(q_row[rows, col] - cnt * mean**2, 0) / (cnt - 1))
        f += tg.mean_w[col] * ((mean - tg.mean[col]) ** 2 - (st["mean"][col] - tg.mean[col]) ** 2)
        f += tg.sd_w[col] * ((sd - tg.sd[col]) ** 2 - (st["sd"][col] - tg.sd[col]) ** 2)
        on_prep, on_post2 = col == _I_PREP, col == _I_POST2
        change = np.flatnonzero(on_prep | on_post2)
        if len(change):
            both, dc = self.both, d[change][:, self.both]
            a = x[both, _I_PREP] + np.where(on_prep[change, None], dc, 0.0)
            b = x[both, _I_POST2] + np.where(on_post2[change, None], dc, 0.0)
            diff = b - a
            d_av = _mean(diff, 1) / ((_sd(a, 1) + _sd(b, 1)) / 2)
            t = _mean(diff, 1) / (_sd(diff, 1) / np.sqrt(both.sum()))
            f[change] += ((d_av - tg.d) / 0.0015) ** 2 + ((t - self.mid) / self.half) ** 2 - self.change_term
        on_base, on_12 = col == _I_BASE, col == _I_12
        counts = np.flatnonzero(on_base | on_12)
        if len(counts):
            dc = d[counts]
            first = x[:, _I_BASE] + np.where(on_base[counts, None], dc, 0.0)
            last = x[:, _I_12] + np.where(on_12[counts, None], dc, 0.0)
            resp = np.sum(first - last >= tg.drop * first, axis=1)
            remit = np.sum(last <= tg.remit_max, axis=1)
            f[counts] += 50.0 * ((resp - tg.responders) ** 2 + (remit - tg.remitters) ** 2) - self.count_term
        return f


def _candidates(units: np.ndarray, cells: np.ndarray, positions: np.ndarray, order: np.ndarray,
                partners: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The moves the sweep tries, in its order, for the cells ``order`` (at sweep ``positions``) from the
    current ``units``: rows (position in the sweep, row, column, step, partner row or -1 for a single step).
    Per cell: +1, +1 with the partner's -1, -1, -1 with the partner's +1, each where the scores stay in range."""
    i, j = cells[order, 0], cells[order, 1]
    i2 = partners[positions]
    moves = np.empty((len(order), 4, 5), dtype=int)  # per cell: +1, +1 paired, -1, -1 paired
    moves[:, :, 0], moves[:, :, 1], moves[:, :, 2] = positions[:, None], i[:, None], j[:, None]
    moves[:, :, 3] = (1, 1, -1, -1)
    moves[:, :, 4] = -1
    moves[:, 1, 4] = moves[:, 3, 4] = i2
    keep = np.empty((len(order), 4), dtype=bool)
    own, other, low, high = units[i, j], units[i2, j], lo[j], hi[j]
    for k, step in ((0, 1), (2, -1)):
        keep[:, k] = (low <= own + step) & (own + step <= high)
        keep[:, k + 1] = keep[:, k] & (i2 != i) & (low <= other - step) & (other - step <= high)
    return moves.reshape(-1, 5)[keep.ravel()]


_FIRST_WIDTH = 8
"""Cells whose moves are scored in the first batch after a kept move (the batch doubles while none is kept)."""


def _moved(units: np.ndarray, move: tuple[int, int, int, int, int]) -> np.ndarray:
    """A copy of units after the move (position, row, column, step, partner row or -1)."""
    _, i, j, step, i2 = move
    out = units.copy()
    out[i, j] += step
    if i2 >= 0:
        out[i2, j] -= step
    return out


def _exact_units(n: int, pop: Population, rng: np.random.Generator, facts: Facts,
                 max_sweeps: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """Discrete primary scores (units) and the observed mask, with every published statistic hit.

    The search: sweeps over the observed cells in a seeded order; at each cell, a +1 step, the same step
    with a -1 step of a seeded partner on the same score (mean-preserving), then -1 and its partner, the
    first move that lowers the objective being kept. The moves are scored in batches (:class:`_MoveScorer`,
    the moves of the next few cells from the current data) and kept in the sweep's order, so the search
    takes exactly the moves a one-at-a-time search would: a move whose batched score lies within 1e-9 of the
    threshold (relative) is rescored one at a time, and a kept move is rescored so that the running best is the same.
    """
    margs = primary_marginals(pop, facts)
    lat = _latent(pop).to_numpy()
    k = len(PRIMARY)
    # empirical-moments construction on the latent scale: sample mean 0, sample correlation = lat
    z = rng.standard_normal((n, k))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(linalg.cholesky(np.cov(z, rowvar=False), lower=True)).T
    z = z @ linalg.cholesky(lat, lower=True).T
    x = np.column_stack([margs[v].ppf(special.ndtr(z[:, j])) for j, v in enumerate(PRIMARY)])
    units = _to_units(x, margs)
    miss = missing_mask(n, rng, facts)
    obs = np.ones((n, k), dtype=bool)
    obs[miss["alliance_prep"], _I_PREP] = False
    obs[miss["insight"], PRIMARY.index("insight_peak")] = False
    obs[miss["mystical"], PRIMARY.index("mystical_peak")] = False
    per = np.array([UNITS[v] for v in PRIMARY], dtype=float)
    lo = np.array([np.ceil(margs[v].low * UNITS[v]) for v in PRIMARY])
    hi = np.array([np.floor(margs[v].high * UNITS[v]) for v in PRIMARY])
    tg = _targets(n, pop, facts)

    def evaluate(u: np.ndarray) -> tuple[float, dict]:
        st = _stats(u / per, obs, tg)
        return _objective(st, tg), st

    best, st = evaluate(units)
    scorer = _MoveScorer(per, obs, tg)
    scorer.set_state(units, st, best)
    cells = np.argwhere(obs)
    observed_rows = [np.flatnonzero(obs[:, j]) for j in range(k)]
    n_observed = np.array([len(r) for r in observed_rows])
    observed_table = np.zeros((k, n), dtype=int)  # row j: the rows where score j is observed, then padding
    for j, r in enumerate(observed_rows):
        observed_table[j, :len(r)] = r
    for sweep in range(max_sweeps):
        improved = False
        perm = rng.permutation(len(cells))
        # the partner of each cell of the sweep, drawn in the sweep's order (the rng's only use in a sweep)
        cols = cells[perm, 1]
        picks = rng.integers(0, n_observed[cols])  # one draw per cell in turn: the stream of scalar draws
        partners = observed_table[cols, picks]
        pos, width = 0, _FIRST_WIDTH
        while pos < len(perm):
            order = perm[pos:pos + width]
            moves = _candidates(units, cells, np.arange(pos, pos + len(order)), order, partners, lo, hi)
            kept = None
            if len(moves):
                scores = scorer.scores(moves)
                threshold = best - 1e-12
                tie = 1e-9 * max(1.0, abs(threshold))  # far wider than the batched sums' rounding (~1e-15 relative)
                for c, f in enumerate(scores):
                    if abs(f - threshold) < tie:  # a near-tie: decide it exactly as one at a time
                        f = evaluate(_moved(units, moves[c]))[0]
                    if f < threshold:
                        kept = c
                        break
            if kept is None:
                pos += len(order)
                width = min(2 * width, 256)
                continue
            at = int(moves[kept][0])
            units = _moved(units, moves[kept])
            best, st = evaluate(units)
            scorer.set_state(units, st, best)
            improved = True
            pos, width = at + 1, _FIRST_WIDTH
        if not improved:
            if _hard_ok(st, tg):
                return units, obs
            # stuck short of the targets: a small seeded kick, then descend again
            for ci in rng.choice(len(cells), size=6, replace=False):
                i, j = cells[ci]
                units[i, j] = np.clip(units[i, j] + rng.choice((-1, 1)), lo[j], hi[j])
            best, st = evaluate(units)
            scorer.set_state(units, st, best)
    raise RuntimeError(
        f"the exact construction did not reach every published statistic after {max_sweeps} sweeps "
        f"({'; '.join(_failures(st, tg))}); try another seed"
    )


# --------------------------------------------------------------------------- assembly


def _pairwise_corr(x: np.ndarray) -> np.ndarray:
    """Pearson correlations on pairwise-complete rows (NaN = missing)."""
    obs = ~np.isnan(x)
    m = obs.astype(float)
    x0 = np.where(obs, x, 0.0)
    nn = m.T @ m
    mean_ij = (x0.T @ m) / nn
    var_ij = ((x0**2).T @ m) / nn - mean_ij**2
    cov = (x0.T @ x0) / nn - mean_ij * mean_ij.T
    return cov / np.sqrt(var_ij * var_ij.T)


def _draw_sessions(peaks: dict[str, np.ndarray], pop: Population, rng: np.random.Generator) -> dict[str, np.ndarray]:
    out = {}
    for inst, (s1, s2, pk) in SESSIONS.items():
        peak = peaks[pk]
        sp = pop.splits[inst]
        n = len(peak)
        first_stronger = rng.random(n) < sp.q
        u1 = rng.beta(*sp.beta(1), n) if np.isfinite(sp.beta(1)[0]) else np.full(n, sp.u1_mean)
        u2 = rng.beta(*sp.beta(2), n) if np.isfinite(sp.beta(2)[0]) else np.full(n, sp.u2_mean)
        out[s1] = np.where(first_stronger, peak, np.round(peak * (1 - u1)))
        out[s2] = np.where(first_stronger, np.round(peak * (1 - u2)), peak)
    return out


def _sessions(units: np.ndarray, obs: np.ndarray, pop: Population, rng: np.random.Generator,
              candidates: int = 1) -> dict[str, np.ndarray]:
    """Item sums of both sessions from the peak's item sum: the stronger one equals the peak.

    With ``candidates`` > 1 (the exact method), that many seeded draws are made and the one whose
    session moments and correlations lie closest to the population's is kept.
    """
    peaks = {pk: np.where(obs[:, PRIMARY.index(pk)], units[:, PRIMARY.index(pk)], np.nan) for _, _, pk in SESSIONS.values()}
    if candidates == 1:
        return _draw_sessions(peaks, pop, rng)
    # item-sum units per scale point; a session rating shares its peak's instrument
    per = np.array([UNITS[v] if v in UNITS else UNITS[SESSIONS[v.split("_")[0]][2]] for v in VARIABLES], float)
    base = {v: np.where(obs[:, j], units[:, j], np.nan) for j, v in enumerate(PRIMARY)}
    sess_idx = [VARIABLES.index(v) for v in SESSION_VARIABLES]
    target = pop.corr.to_numpy()[sess_idx]
    sess_means = pop.means[list(SESSION_VARIABLES)].to_numpy()  # looked up once: the loop is the exact method's hot spot
    sess_sds = pop.sds[list(SESSION_VARIABLES)].to_numpy()
    cands = [_draw_sessions(peaks, pop, rng) for _ in range(candidates)]  # drawn in turn: the same stream
    fixed = np.column_stack([base[v] if v in base else np.zeros(len(units)) for v in VARIABLES]) / per
    stack = np.repeat(fixed[None], candidates, axis=0)
    for v in cands[0]:
        stack[:, :, VARIABLES.index(v)] = np.array([cand[v] for cand in cands]) / per[VARIABLES.index(v)]
    costs = _session_costs(stack, sess_idx, target, sess_means, sess_sds)
    # the one-at-a-time cost decides between candidates within rounding of the smallest (first one wins a tie)
    near = np.flatnonzero(costs <= costs.min() * (1 + 1e-9) + 1e-12)
    if len(near) == 1:
        return cands[int(near[0])]
    exact = [_session_cost(stack[c], sess_idx, target, sess_means, sess_sds) for c in near]
    return cands[int(near[int(np.argmin(exact))])]


def _session_cost(x: np.ndarray, sess_idx: list[int], target: np.ndarray, means: np.ndarray, sds: np.ndarray) -> float:
    """Distance of one candidate's session ratings (x: n x variables, NaN missing) from the population's."""
    r = _pairwise_corr(x)[sess_idx]
    xs = x[:, sess_idx]
    cost = float(np.nansum((r - target) ** 2))
    cost += float(np.sum(((np.nanmean(xs, axis=0) - means) / sds) ** 2))
    cost += float(np.sum(((np.nanstd(xs, axis=0, ddof=1) - sds) / sds) ** 2))
    return cost


def _session_costs(x: np.ndarray, sess_idx: list[int], target: np.ndarray, means: np.ndarray, sds: np.ndarray) -> np.ndarray:
    """:func:`_session_cost` of a stack of candidates (c x n x variables) at once (sums in another order)."""
    obs = ~np.isnan(x)
    m = obs.astype(float)
    x0 = np.where(obs, x, 0.0)
    mt, xt = np.swapaxes(m, 1, 2), np.swapaxes(x0, 1, 2)
    nn = mt @ m
    mean_ij = (xt @ m) / nn
    var_ij = ((xt**2) @ m) / nn - mean_ij**2
    cov = (xt @ x0) / nn - mean_ij * np.swapaxes(mean_ij, 1, 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (cov / np.sqrt(var_ij * np.swapaxes(var_ij, 1, 2)))[:, sess_idx]
    cost = np.nansum((r - target) ** 2, axis=(1, 2))
    xs = x[:, :, sess_idx]
    with np.errstate(invalid="ignore"):
        cost += np.sum(((np.nanmean(xs, axis=1) - means) / sds) ** 2, axis=1)
        cost += np.sum(((np.nanstd(xs, axis=1, ddof=1) - sds) / sds) ** 2, axis=1)
    return cost


def _demographics(n: int, method: str, rng: np.random.Generator, facts: Facts) -> pd.DataFrame:
    n0 = int(facts.value("design", "n_analysed"))
    if method == "exact":
        n_imm = int(round(facts.value("design", "n_immediate") * n / n0))
        n_women = int(round(facts.value("sample", "n_women") * n / n0))
        arm = np.array(["immediate"] * n_imm + ["delayed"] * (n - n_imm))[rng.permutation(n)]
        sex = np.array(["female"] * n_women + ["male"] * (n - n_women))[rng.permutation(n)]
    else:
        arm = np.where(rng.random(n) < facts.value("design", "n_immediate") / n0, "immediate", "delayed")
        sex = np.where(rng.random(n) < facts.value("sample", "n_women") / n0, "female", "male")
    age = simulate_ages(n, rng, facts, exact=(method == "exact"))
    width = max(2, len(str(n)))
    return pd.DataFrame({"id": [f"P{i + 1:0{width}d}" for i in range(n)], "arm": arm, "sex": sex, "age": age})


def simulate_ages(n: int, rng: np.random.Generator, facts: Facts | None = None, exact: bool = True) -> np.ndarray:
    """Whole-year ages within eligibility (21-75). Exact: mean and SD round to the published 39.8 and 12.2."""
    facts = facts or load_facts()
    mean, sd = facts.value("sample", "age_mean"), facts.value("sample", "age_sd")
    lo, hi = facts.value("sample", "age_min"), facts.value("sample", "age_max")
    marg = beta_marginal(mean, sd, lo, hi, "age")
    if not exact:
        return np.clip(np.round(marg.ppf(rng.random(n))), lo, hi).astype(int)
    z = rng.standard_normal(n)
    z = (z - z.mean()) / z.std(ddof=1)
    age = np.clip(np.round(marg.ppf(special.ndtr(z))), lo, hi)

    def cost(a: np.ndarray) -> float:
        return ((a.mean() - mean) / 0.01) ** 2 + ((a.std(ddof=1) - sd) / 0.01) ** 2

    best = cost(age)
    for _ in range(200):
        if round(age.mean(), 1) == mean and round(age.std(ddof=1), 1) == sd:
            break
        moved = False
        for i in rng.permutation(n):
            for step in (1, -1):
                if lo <= age[i] + step <= hi:
                    age[i] += step
                    c = cost(age)
                    if c < best:
                        best, moved = c, True
                        break
                    age[i] -= step
        if not moved:
            break
    return age.astype(int)


def simulate_dataset(n: int = 24, seed: int = SEED, method: Literal["exact", "population"] = "exact",
                     population: Population | None = None) -> pd.DataFrame:
    """A simulated dataset: ``id, arm, sex, age``, the fifteen scale scores, then the item columns.

    ``n``: participants (exact: at least 18; population: at least 2). ``seed``: a
    non-negative integer (same seed, same data). ``method``: ``"exact"`` (the
    published statistics reproduced, missing ratings as in the paper) or
    ``"population"`` (a random sample, no missing values). ``population``: the
    target (default :func:`~psyalliance.simulation.population.target_population`).

    Scores: alliance item means 1-5; MEQ30 and PIQ item means 0-5 per session,
    the peak being the higher session; GRID-HAMD integer totals 0-52 (baseline
    17-52). Items: ``<rating>_<item number>``, integers in the item range.
    """
    _check_inputs(n, seed, method, population)
    n, seed = int(n), int(seed)
    facts = load_facts()
    pop = population if population is not None else target_population()
    seq = np.random.SeedSequence(seed)
    rng_core, rng_sess, rng_items, rng_demo = (np.random.default_rng(s) for s in seq.spawn(4))
    if method == "population":
        units = _population_units(n, pop, rng_core, facts)
        obs = np.ones_like(units, dtype=bool)
    else:
        units, obs = _exact_units(n, pop, rng_core, facts)
    sums = {v: np.where(obs[:, j], units[:, j], np.nan) for j, v in enumerate(PRIMARY)}
    sums.update(_sessions(units, obs, pop, rng_sess, candidates=1 if method == "population" else 500))
    item_frames = []
    for rating, inst_name in RATINGS.items():
        inst = instrument(inst_name, facts)
        items = items_with_totals(sums[rating], inst, rng_items)
        item_frames.append(pd.DataFrame(items, columns=item_columns(rating, facts)).astype("Int64"))
    items = pd.concat(item_frames, axis=1)
    scores = score_dataset(items, facts)
    hamd = {v: pd.array(np.where(obs[:, j], units[:, j], np.nan), dtype="Int64")
            for j, v in enumerate(PRIMARY) if v.startswith("hamd")}
    demo = _demographics(n, method, rng_demo, facts)
    df = pd.concat([demo, scores, pd.DataFrame(hamd)], axis=1)[list(SCORE_COLUMNS)]
    return pd.concat([df, items], axis=1)


# --------------------------------------------------------------------------- fidelity


def _pearson(df: pd.DataFrame, x: str, y: str) -> tuple[float, float, int]:
    d = df[[x, y]].dropna().astype(float)
    r, p = stats.pearsonr(d[x], d[y])
    return float(r), float(p), len(d)


def fidelity(df: pd.DataFrame, facts: Facts | None = None) -> pd.DataFrame:
    """Every published statistic next to the value in ``df``: columns statistic, published,
    achieved, n, criterion, ok. Pearson r on pairwise-complete rows with two-tailed p; the
    alliance change as a paired t test on complete pairs with d_av = mean change / mean of the
    two SDs (d_z = mean change / SD of the changes shown alongside)."""
    facts = facts or load_facts()
    rows = []
    for rec in facts.correlations.itertuples():
        r, p, n = _pearson(df, rec.x, rec.y)
        p_ok = p < rec.p if rec.p_op == "<" else round(p, 3) == round(rec.p, 3)
        rows.append(dict(statistic=f"r({rec.x}, {rec.y})", published=f"{rec.r:.2f}", achieved=f"{r:.4f}", n=n,
                         criterion="rounds to 2 decimals; n as back-solved", ok=round(r, 2) == round(rec.r, 2) and n == rec.n))
        rows.append(dict(statistic=f"p({rec.x}, {rec.y})", published=f"{rec.p_op} {rec.p:.3f}".replace("= ", ""),
                         achieved=f"{p:.4f}", n=n, criterion="two-tailed; rounds to 3 decimals (or below)", ok=p_ok))
    change = facts.alliance_change.set_index("name")["value"]
    d = df[["alliance_prep", "alliance_post2"]].dropna()
    diff = d["alliance_post2"] - d["alliance_prep"]
    t_res = stats.ttest_rel(d["alliance_post2"], d["alliance_prep"])
    d_av = diff.mean() / ((d["alliance_prep"].std() + d["alliance_post2"].std()) / 2)
    d_z = diff.mean() / diff.std()
    rows += [
        dict(statistic="alliance change p (paired t)", published=f"{change['p']:.2f}", achieved=f"{t_res.pvalue:.4f}",
             n=len(d), criterion="rounds to 2 decimals", ok=round(t_res.pvalue, 2) == round(change["p"], 2)),
        dict(statistic="alliance change d_av", published=f"{change['d']:.2f}", achieved=f"{d_av:.4f}", n=len(d),
             criterion="rounds to 2 decimals", ok=round(d_av, 2) == round(change["d"], 2)),
        dict(statistic="alliance change d_z (not published)", published="", achieved=f"{d_z:.4f}", n=len(d),
             criterion="shown for comparison", ok=True),
    ]
    for rec in facts.hamd.itertuples():
        m = df[rec.name].astype(float).mean()
        rows.append(dict(statistic=f"mean {rec.name}", published=f"{rec.mean:.1f}", achieved=f"{m:.3f}",
                         n=int(df[rec.name].notna().sum()), criterion="within 0.05", ok=abs(m - rec.mean) <= 0.05))
        if rec.sd_source in ("trial", "paper"):
            s = df[rec.name].astype(float).std()
            rows.append(dict(statistic=f"SD {rec.name}", published=f"{rec.sd:.1f}", achieved=f"{s:.3f}",
                             n=int(df[rec.name].notna().sum()), criterion="rounds to 1 decimal", ok=round(s, 1) == rec.sd))
    base = df["hamd_baseline"].astype(float)
    last = df["hamd_12mo"].astype(float)
    drop = facts.value("outcomes", "response_drop_fraction")
    resp = int(((base - last) / base >= drop).sum())
    remit = int((last <= facts.value("outcomes", "remission_max")).sum())
    minimum = facts.value("sample", "hamd_min_eligible")
    rows += [
        dict(statistic="min hamd_baseline", published=f">= {minimum}", achieved=f"{base.min():.0f}", n=len(df),
             criterion="eligibility", ok=base.min() >= minimum),
        dict(statistic="responders at 12 months", published=str(facts.value("outcomes", "responders_12mo")),
             achieved=str(resp), n=len(df), criterion="equal", ok=resp == facts.value("outcomes", "responders_12mo")),
        dict(statistic="remitters at 12 months", published=str(facts.value("outcomes", "remitters_12mo")),
             achieved=str(remit), n=len(df), criterion="equal", ok=remit == facts.value("outcomes", "remitters_12mo")),
        dict(statistic="mean age", published=f"{facts.value('sample', 'age_mean'):.1f}", achieved=f"{df['age'].mean():.3f}",
             n=len(df), criterion="rounds to 1 decimal", ok=round(df["age"].mean(), 1) == facts.value("sample", "age_mean")),
        dict(statistic="SD age", published=f"{facts.value('sample', 'age_sd'):.1f}", achieved=f"{df['age'].std():.3f}",
             n=len(df), criterion="rounds to 1 decimal", ok=round(df["age"].std(), 1) == facts.value("sample", "age_sd")),
        dict(statistic="women", published=str(facts.value("sample", "n_women")), achieved=str(int((df["sex"] == "female").sum())),
             n=len(df), criterion="equal", ok=int((df["sex"] == "female").sum()) == facts.value("sample", "n_women")),
        dict(statistic="immediate arm", published=str(facts.value("design", "n_immediate")),
             achieved=str(int((df["arm"] == "immediate").sum())), n=len(df), criterion="equal",
             ok=int((df["arm"] == "immediate").sum()) == facts.value("design", "n_immediate")),
    ]
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- files


def codebook(df: pd.DataFrame | None = None, pop: Population | None = None, facts: Facts | None = None) -> pd.DataFrame:
    """One row per dataset column: column, meaning, scale, range, target (published/assumed/...), note."""
    facts = facts or load_facts()
    pop = pop or target_population()
    published_vars = set(facts.correlations.x) | set(facts.correlations.y)
    mech = ("Missing completely at random (our assumption); counts inferred from the back-solved n of the "
            "published correlations, nested so that they hold together.")
    meaning = {
        "alliance_prep": "Working alliance after the final preparation meeting",
        "alliance_post1": "Working alliance 1 week after session 1",
        "alliance_post2": "Working alliance 1 week after session 2 (final rating)",
        "mystical_s1": "Mystical experience (MEQ30) of session 1",
        "mystical_s2": "Mystical experience (MEQ30) of session 2",
        "mystical_peak": "Mystical experience (MEQ30) at the stronger session: the higher of the two",
        "insight_s1": "Psychological insight (PIQ) of session 1",
        "insight_s2": "Psychological insight (PIQ) of session 2",
        "insight_peak": "Psychological insight (PIQ) at the stronger session: the higher of the two",
        "hamd_baseline": "GRID-HAMD depression severity at baseline",
        "hamd_1wk": "GRID-HAMD 1 week after session 2",
        "hamd_4wk": "GRID-HAMD 4 weeks after session 2",
        "hamd_3mo": "GRID-HAMD 3 months after session 2",
        "hamd_6mo": "GRID-HAMD 6 months after session 2",
        "hamd_12mo": "GRID-HAMD 12 months after session 2",
    }
    n = int(len(df)) if df is not None else int(facts.value("design", "n_analysed"))
    n_imm, n_del = int(facts.value("design", "n_immediate")), int(facts.value("design", "n_delayed"))
    n_women = int(facts.value("sample", "n_women"))
    age_lo, age_hi = int(facts.value("sample", "age_min")), int(facts.value("sample", "age_max"))
    rows = [
        dict(column="id", meaning="Simulated participant identifier", scale="text", range=f"P01-P{n:02d}", target="none",
             note="Simulated; not the trial's participants."),
        dict(column="arm", meaning="Randomised arm", scale="immediate / delayed", range=f"{n_imm} / {n_del}",
             target="published", note="Counts published; who is in which arm is random (simulated)."),
        dict(column="sex", meaning="Sex", scale="female / male", range=f"{n_women} / {n - n_women}", target="published",
             note="Count of women published; assignment random (simulated)."),
        dict(column="age", meaning="Age", scale="years (whole)", range=f"{age_lo}-{age_hi}", target="published",
             note=f"Mean {facts.value('sample', 'age_mean')}, SD {facts.value('sample', 'age_sd')} published; "
                  f"eligibility {age_lo}-{age_hi}."),
    ]
    miss = missing_counts(n, facts)
    n_missing = {"alliance_prep": miss["alliance_prep"], "mystical": miss["mystical"], "insight": miss["insight"]}
    for v in VARIABLES:
        lo, hi = pop.ranges.loc[v, "low"], pop.ranges.loc[v, "high"]
        if v == "hamd_baseline":
            lo = facts.value("sample", "hamd_min_eligible")
        scale = "item mean" if not v.startswith("hamd") else "total (integer)"
        if v in SESSION_VARIABLES:
            corr_status = "inferred (from its peak)"
        else:
            corr_status = "published (some)" if v in published_vars else "assumed"
        m_st, s_st = pop.moment_status.loc[v, "mean"], pop.moment_status.loc[v, "sd"]
        k_miss = n_missing.get(v, n_missing.get(v.split("_")[0], 0))
        note = ""
        if v.endswith(("_s1", "_s2")):
            note = "The stronger session equals the peak; the weaker is the peak times (1 - U), U ~ Beta (assumption)."
        if v.endswith("_peak"):
            note = "The higher of the two session scores, computed from the items."
        rows.append(dict(
            column=v, meaning=meaning[v], scale=scale, range=f"{lo:g}-{hi:g}",
            target="published" if (v in published_vars or "published" in (m_st, s_st)) else "assumed",
            mean_target=f"{pop.means[v]:.4g}", mean_source=m_st, sd_target=f"{pop.sds[v]:.4g}", sd_source=s_st,
            correlations=corr_status, missing=f"{k_miss}: {mech}" if k_miss else "0", note=note,
        ))
    for rating, inst_name in RATINGS.items():
        inst = instrument(inst_name, facts)
        sub_of = {i: s for s, items in inst.subscales.items() for i in items}
        for i, col in enumerate(item_columns(rating, facts), start=1):
            rows.append(dict(column=col, meaning=f"{inst_name} item {i} of rating {rating} (subscale {sub_of.get(i, '-')})",
                             scale="item response (integer)", range=f"{inst.item_min}-{inst.item_max}", target="assumed",
                             note="Simulated item responses whose mean is the rating's score."))
    cols = ["column", "meaning", "scale", "range", "target", "mean_target", "mean_source", "sd_target", "sd_source",
            "correlations", "missing", "note"]
    return pd.DataFrame(rows).reindex(columns=cols)


def write_files(out_dir: Path = OUT_DIR, seed: int = SEED) -> tuple[Path, Path]:
    """Write the committed dataset and its codebook (CSV, ``\\n`` line ends) to ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    df = simulate_dataset(n=24, seed=seed, method="exact")
    data_path, book_path = out_dir / DATASET_PATH.name, out_dir / CODEBOOK_PATH.name
    df.to_csv(data_path, index=False, lineterminator="\n")
    codebook(df).to_csv(book_path, index=False, lineterminator="\n")
    return data_path, book_path


DATASET_ENV = "PSYALLIANCE_DATASET"  # names a student's simulated dataset (psyalliance.teaching.selfcheck, make student-data)


def load_dataset(path: Path | None = None) -> pd.DataFrame:
    """The committed simulated dataset, one row per simulated participant, NaN for a missing rating.

    Checked when read (:func:`read_dataset_file`). Plain numpy dtypes (as ``pandas.read_csv`` gives
    them: columns with a missing value are float), so the frame goes straight into semopy,
    statsmodels or numpy. Without ``path``, always the committed one: the
    chapters' text, tables and figures are about it. A student's own simulated
    dataset (``PSYALLIANCE_DATASET`` or ``my_dataset.csv``) is the exercises'
    ``my_data``, read by ``psyalliance.teaching.selfcheck.my_dataset``, never this.
    """
    if path is None:
        path = DATASET_PATH
    if not Path(path).exists():
        raise FileNotFoundError(f"simulated dataset not found: {path} (run `make data` to write it)")
    return read_dataset_file(Path(path))


def read_dataset_file(path: Path) -> pd.DataFrame:
    """Read a dataset CSV like the committed one and check it (:func:`psyalliance.study.datacheck.check_dataset`).

    A file that is not CSV, has no rows, lacks a scale-score column, repeats a participant, or holds text
    or an out-of-range score in a number column raises :class:`psyalliance.errors.DataError` naming
    the column, the row and the valid range.
    """
    try:
        data = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise DataError(f"the dataset {path} is empty: it has no header and no rows") from None
    except (OSError, ValueError, UnicodeDecodeError) as err:
        raise DataError(f"cannot read the dataset {path} as CSV: {err}") from None
    return check_dataset(data, f"the dataset {path}", VARIABLES)


def check_root(expected: Path | None) -> None:
    """Refuse to run if this package is not the one under ``expected``/src (``make data`` passes its checkout).

    A virtual environment whose editable install points at another checkout
    would otherwise read that checkout's facts file and write its data folder.
    """
    if expected is None:
        return
    here = CHECKOUT
    if here != Path(expected).resolve():
        raise SystemExit(f"psyalliance was imported from {here}, not from the checkout {Path(expected).resolve()}; "
                         f"run with PYTHONPATH={Path(expected).resolve() / 'src'} (as `make data` does)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write the simulated dataset and its codebook (fixed seed).")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output folder (default: data/simulated)")
    parser.add_argument("--expect-root", type=Path, default=None,
                        help="refuse to run unless the package is imported from this checkout")
    args = parser.parse_args(argv)
    check_root(args.expect_root)
    start = time.perf_counter()
    data_path, book_path = write_files(args.out)
    print(f"wrote {data_path} and {book_path} in {time.perf_counter() - start:.1f} s (simulated data)")


if __name__ == "__main__":
    main()
