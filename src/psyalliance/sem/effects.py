"""Direct, indirect and total effects of the recursive path models, with bootstrap intervals.

For a recursive path model whose residual covariances are free only among
variables sharing the same predictors (true of every model in
:data:`psyalliance.sem.registry.MODELS`), the maximum-likelihood path coefficients on
complete cases are the least-squares coefficients of each equation. The
batched estimator of :mod:`psyalliance.sem.paths` fits the data and thousands of
bootstrap resamples at once; this module derives the effects from the path
matrix B (B[y, x] = path x -> y):

* total effects  T = (I - B)^-1 - I (the sum over all directed paths);
* indirect effect of x on y: T[y, x] - B[y, x];
* specific indirect effect of x on y through m: T[m, x] * T[y, m] (every path
  through m splits uniquely into x ... m and m ... y).

Intervals: percentile and bias-corrected and accelerated (BCa) bootstrap, from
``scipy.stats.bootstrap`` with a seeded generator. The point effects are
tested against products of semopy's ML paths (``tests/test_effects.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from psyalliance.errors import check_count, check_fraction, check_memory, check_seed
from psyalliance.sem.paths import PathModel, fit_moments, ml_cov, parse_model, path_matrix
from psyalliance.sem.registry import Effect
from psyalliance.study.datacheck import check_data


def _fit_paths(model: PathModel, x: np.ndarray) -> np.ndarray:
    """OLS (= ML) path matrices of data ``x`` (shape (..., n, p), columns in ``model.variables`` order)."""
    return path_matrix(fit_moments(model, ml_cov(x), x.shape[-2]))


def effect_values(b: np.ndarray, effects: Sequence[Effect], variables: Sequence[str]) -> np.ndarray:
    """Values of ``effects`` from path matrices ``b`` (..., p, p): shape (len(effects), ...)."""
    idx = {v: i for i, v in enumerate(variables)}
    p = len(variables)
    total = np.linalg.inv(np.eye(p) - b) - np.eye(p)
    out = []
    for e in effects:
        x, y = idx[e.x], idx[e.y]
        if e.kind == "direct":
            out.append(b[..., y, x])
        elif e.kind == "total":
            out.append(total[..., y, x])
        elif e.kind == "indirect":
            out.append(total[..., y, x] - b[..., y, x])
        else:
            m = idx[e.via]
            out.append(total[..., m, x] * total[..., y, m])
    return np.stack(out)


def complete_cases(data: pd.DataFrame, syntax: str, ranges=None, func: str = "complete_cases") -> pd.DataFrame:
    """Rows of ``data`` complete on the model's variables (the listwise sample).

    The columns are checked first (:func:`psyalliance.study.datacheck.check_data`):
    numeric, finite, and inside their instrument's range (alliance item means
    1-5, MEQ30/PIQ item means 0-5, GRID-HAMD totals 0-52) unless ``ranges``
    gives other scales (``{column or instrument: (low, high)}``) or is False.
    """
    model = parse_model(syntax)
    if isinstance(data, pd.DataFrame):
        absent = [v for v in model.variables if v not in data.columns]
        if absent:
            raise KeyError(f"data lack the model's column(s): {', '.join(absent)}")
    rows = check_data(data, list(model.variables), ranges=ranges, func=func).dropna()
    model.check_n(len(rows), "complete rows")
    return rows


def point_effects(syntax: str, data: pd.DataFrame, effects: Sequence[Effect]) -> pd.Series:
    """The effects on the complete cases of ``data`` (OLS = ML for these models)."""
    model = parse_model(syntax)
    x = complete_cases(data, syntax, func="point_effects").to_numpy()
    return pd.Series(effect_values(_fit_paths(model, x), effects, model.variables), index=[e.name for e in effects])


@dataclass(frozen=True)
class BootstrapSettings:
    """Bootstrap settings: resamples (at least 1,000; the book uses 5,000), seed, interval level."""

    n_resamples: int = 5000
    seed: int = 20240321
    level: float = 0.95

    def __post_init__(self) -> None:
        check_count(self.n_resamples, "n_resamples", low=1000)  # BCa needs at least 1000
        check_seed(self.seed, "BootstrapSettings seed")
        check_fraction(self.level, "level")


def bootstrap_memory(n_resamples: int, n: int, p: int, effects: int) -> float:
    """Estimated peak memory (bytes) of :func:`bootstrap_effects`: scipy resamples all at once.

    Per resample: the resampled data (n x p), their centred copy, scipy's
    index array (n, 8-byte integers) and the covariance and path matrices (p x
    p, a few copies), plus the bootstrap distribution (effects per resample).
    """
    return float(8 * n_resamples * (3 * n * p + n + 6 * p * p + 2 * effects))


def bootstrap_effects(syntax: str, data: pd.DataFrame, effects: Sequence[Effect],
                      settings: BootstrapSettings = BootstrapSettings(), ranges=None) -> pd.DataFrame:
    """Effects with bootstrap SEs and percentile and BCa intervals (cases resampled, complete cases).

    Returns one row per effect: ``effect, label, estimate, boot_se,
    pct_low, pct_high, bca_low, bca_high, bca_z0, bca_accel, bca_q_low,
    bca_q_high, n, n_resamples``.
    ``bca_z0`` is BCa's bias correction (the normal quantile of the share of
    resamples below the estimate) and ``bca_accel`` its acceleration (from the
    jackknife skewness of the estimate); with few cases both are erratic, and
    large values move the BCa limits far into the tails of the bootstrap
    distribution, so read BCa beside the percentile interval, never alone.
    ``bca_q_low`` and ``bca_q_high`` are the quantiles of the bootstrap
    distribution that BCa reports (0.025 and 0.975 would be the percentile
    interval's). ``ranges``: the scales the data are checked against (see
    :func:`complete_cases`). Refuses, before starting, a number of resamples
    whose memory would not fit (:func:`bootstrap_memory`).
    """
    model = parse_model(syntax)
    x = complete_cases(data, syntax, ranges, "bootstrap_effects").to_numpy()
    check_memory(bootstrap_memory(settings.n_resamples, *x.shape, len(effects)),
                 f"bootstrap_effects ({settings.n_resamples:,} resamples of {len(x)} rows)", "Lower n_resamples.")
    columns = tuple(x.T)

    def statistic(*cols: np.ndarray, axis: int = -1) -> np.ndarray:
        arr = np.stack([np.moveaxis(c, axis, -1) for c in cols], axis=-1)  # (..., n, p)
        return effect_values(_fit_paths(model, arr), effects, model.variables)

    rng = np.random.default_rng(settings.seed)
    res = stats.bootstrap(columns, statistic, paired=True, vectorized=True, n_resamples=settings.n_resamples,
                          confidence_level=settings.level, method="BCa", rng=rng)
    dist = res.bootstrap_distribution
    alpha = (1 - settings.level) / 2
    pct = np.percentile(dist, [100 * alpha, 100 * (1 - alpha)], axis=-1)
    est = statistic(*columns)
    z0, accel = bca_constants(dist, est, jackknife_effects(syntax, data, effects, ranges))
    q_low, q_high = bca_levels(z0, accel, settings.level)
    return pd.DataFrame({
        "effect": [e.name for e in effects],
        "label": [e.label for e in effects],
        "estimate": est,
        "boot_se": dist.std(axis=-1, ddof=1),
        "pct_low": pct[0],
        "pct_high": pct[1],
        "bca_low": res.confidence_interval.low,
        "bca_high": res.confidence_interval.high,
        "bca_z0": z0,
        "bca_accel": accel,
        "bca_q_low": q_low,
        "bca_q_high": q_high,
        "n": len(x),
        "n_resamples": settings.n_resamples,
    })


def jackknife_effects(syntax: str, data: pd.DataFrame, effects: Sequence[Effect], ranges=None) -> np.ndarray:
    """Leave-one-out values of ``effects`` on the complete cases: shape (len(effects), n)."""
    model = parse_model(syntax)
    x = complete_cases(data, syntax, ranges, "jackknife_effects").to_numpy()
    n = len(x)
    keep = ~np.eye(n, dtype=bool)
    loo = np.stack([x[keep[i]] for i in range(n)])  # (n, n - 1, p)
    return effect_values(_fit_paths(model, loo), effects, model.variables)


def bca_constants(dist: np.ndarray, estimate: np.ndarray, jackknife: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """BCa's bias correction z0 and acceleration a (Efron and Tibshirani 1993, ch. 14).

    ``dist``: bootstrap values (effects, resamples); ``estimate``: the effects
    on the full sample; ``jackknife``: leave-one-out values (effects, n).
    z0 = Phi^-1(share of resamples below the estimate, ties counted half);
    a = sum(d^3) / (6 (sum d^2)^1.5) with d = mean(jackknife) - jackknife.
    """
    dist = np.asarray(dist, dtype=float)
    est = np.asarray(estimate, dtype=float)[:, None]
    share = (np.sum(dist < est, axis=-1) + 0.5 * np.sum(dist == est, axis=-1)) / dist.shape[-1]
    z0 = stats.norm.ppf(share)
    d = jackknife.mean(axis=-1, keepdims=True) - jackknife
    accel = np.sum(d**3, axis=-1) / (6 * np.sum(d**2, axis=-1) ** 1.5)
    return z0, accel


def bca_levels(z0: np.ndarray, accel: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """The quantiles of the bootstrap distribution that the BCa interval reports.

    alpha_j = Phi(z0 + (z0 + z_j) / (1 - a (z0 + z_j))) for z_j the normal
    quantiles of (1 - level) / 2 and (1 + level) / 2. With z0 = a = 0 they are
    the percentile interval's levels.
    """
    z = stats.norm.ppf([(1 - level) / 2, (1 + level) / 2])
    z0 = np.asarray(z0, dtype=float)
    accel = np.asarray(accel, dtype=float)
    out = [stats.norm.cdf(z0 + (z0 + zj) / (1 - accel * (z0 + zj))) for zj in z]
    return out[0], out[1]


def bca_parts(z0: float, accel: float, level: float = 0.95) -> dict[str, float]:
    """Which of BCa's two corrections moves its limits: the reported quantiles with both, z0 only, a only.

    Keys ``q_low``/``q_high`` (both corrections, :func:`bca_levels`),
    ``q_low_z0``/``q_high_z0`` (bias correction alone, a = 0) and
    ``q_low_a``/``q_high_a`` (acceleration alone, z0 = 0); quantiles of the
    bootstrap distribution in (0, 1), against (1 -/+ level) / 2 for the
    percentile interval.
    """
    out = {}
    for suffix, (zz, aa) in {"": (z0, accel), "_z0": (z0, 0.0), "_a": (0.0, accel)}.items():
        lo, hi = bca_levels(np.array([zz]), np.array([aa]), level)
        out[f"q_low{suffix}"], out[f"q_high{suffix}"] = float(lo[0]), float(hi[0])
    return out


def bca_seed_spread(syntax: str, data: pd.DataFrame, effects: Sequence[Effect], seeds: Sequence[int],
                    settings: BootstrapSettings = BootstrapSettings()) -> pd.DataFrame:
    """How much the percentile and BCa limits move when only the bootstrap seed changes.

    Runs :func:`bootstrap_effects` once per seed (other settings as given) and
    returns one row per effect: the smallest and largest lower and upper
    limit of each interval over the seeds (``pct_low_min, pct_low_max,
    pct_high_min, pct_high_max, bca_low_min, ...``), and ``seeds``.
    """
    if len(seeds) < 2:
        raise ValueError(f"need at least 2 seeds to show a spread, got {len(seeds)}")
    for s in seeds:
        check_seed(s, "a seed of bca_seed_spread")
    runs = [bootstrap_effects(syntax, data, effects, BootstrapSettings(settings.n_resamples, s, settings.level))
            for s in seeds]
    cols = ("pct_low", "pct_high", "bca_low", "bca_high")
    out = pd.DataFrame({"effect": runs[0]["effect"], "label": runs[0]["label"]})
    for c in cols:
        vals = np.stack([r[c].to_numpy() for r in runs])
        out[f"{c}_min"] = vals.min(axis=0)
        out[f"{c}_max"] = vals.max(axis=0)
    out["seeds"] = len(seeds)
    return out


def median_side(z0: float) -> str:
    """Where the estimate lies against the median of its bootstrap distribution, read from BCa's ``z0``.

    z0 = Phi^-1(share of resamples below the estimate), so z0 < 0 means fewer
    than half the resamples lie below the estimate: it is *below* the median;
    z0 > 0: above; z0 = 0: at. Returns "below", "above" or "at".
    """
    z0 = float(z0)
    if not np.isfinite(z0):
        raise ValueError(f"z0 = {z0!r} is not a finite number (BCa's bias correction is a normal quantile)")
    return "below" if z0 < 0 else "above" if z0 > 0 else "at"


def interpolated_tail_probability(q: float, n_resamples: int) -> float:
    """Expected tail probability of the quantile ``q`` (0-1) of ``n_resamples`` bootstrap values, linear interpolation.

    numpy's and scipy's default quantile (Hyndman-Fan type 7) of B values
    interpolates between order statistics at position h = q (B - 1) + 1; the
    j-th smallest of B draws has expected distribution-function value j / (B + 1),
    so the limit sits on average at probability (q (B - 1) + 1) / (B + 1), not
    q. For q B of order 1 (BCa's extreme quantiles with few resamples) that is
    far toward the centre: a limit biased inward, not only noisy.
    """
    check_fraction(q, "q")
    b = check_count(n_resamples, "n_resamples", low=2)
    return float((q * (b - 1) + 1) / (b + 1))


GLUE_COLUMNS = ("estimate", "boot_se", "pct_low", "pct_high", "bca_low", "bca_high", "bca_z0", "bca_accel",
                "bca_q_low", "bca_q_high")
"""Columns of :func:`bootstrap_effects` that :func:`effect_glue_values` returns."""


def effect_glue_values(table: pd.DataFrame, prefix: str) -> dict[str, float]:
    """``{prefix}_{effect}_{column}`` -> Python float for every effect of a :func:`bootstrap_effects` table.

    The effect name loses its ``*`` (``a1*b1`` -> ``a1b1``) so that it can be a glue key.
    """
    out = {}
    for row in table.itertuples(index=False):
        key = str(row.effect).replace("*", "")
        for col in GLUE_COLUMNS:
            out[f"{prefix}_{key}_{col}"] = float(getattr(row, col))
    return out
