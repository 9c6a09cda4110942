"""Fit statistics of a path model under the standard (lavaan) conventions.

Why this module exists: semopy 2.3.11's ``calc_stats`` counts the moments of
the observed exogenous variables as data but not their (co)variances as
parameters, so its degrees of freedom are too large by k(k+1)/2 for k
exogenous observed variables, and its chi-square p, CFI, TLI and RMSEA are
off with them; its GFI is the NFI formula; and its ``LogLik`` is the value of
the fitting function, so its AIC and BIC cannot be compared across models.
Here every statistic is computed from the sample and the model-implied
moments, following lavaan (Rosseel 2012):

* listwise deletion, ``fixed.x = TRUE``, no mean structure (lavaan's default
  for complete data): the exogenous (co)variances are fixed at their sample
  values and are neither parameters nor data, and the log-likelihood (so AIC
  and BIC) is conditional on the exogenous variables;
* FIML (lavaan ``missing = "ml"`` with ``fixed.x = FALSE``): every variable is
  modelled, means included; the unrestricted (H1) model is fitted by EM.

Chi-square is ``N * F_ML`` (N, not N - 1), with
``F_ML = log|Sigma| + tr(S Sigma^-1) - log|S| - p``; RMSEA and its 90%
interval use N as well. All functions take plain numpy arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import optimize, stats

from psyalliance.errors import InputError
from psyalliance.fmt import bounded
from psyalliance.resources import data_dir
from psyalliance.study.facts import read_yaml

FIT_KEYS = ("n", "df", "chisq", "pvalue", "cfi", "tli", "rmsea", "srmr", "loglik", "aic", "bic")
"""The keys of the ``.fit`` mapping of a fitted model, in order."""

_LOG2PI = np.log(2.0 * np.pi)


def ml_discrepancy(sample_cov: np.ndarray, implied_cov: np.ndarray) -> float:
    """F_ML = log|Sigma| - log|S| + tr(S Sigma^-1) - p (0 when Sigma = S)."""
    s = np.asarray(sample_cov, dtype=float)
    sigma = np.asarray(implied_cov, dtype=float)
    p = s.shape[0]
    _, logdet_sigma = np.linalg.slogdet(sigma)
    _, logdet_s = np.linalg.slogdet(s)
    return float(logdet_sigma - logdet_s + np.trace(s @ np.linalg.inv(sigma)) - p)


def ml_moments(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sample mean and ML covariance (divisor N) of complete data ``x`` (rows = cases)."""
    x = np.asarray(x, dtype=float)
    mean = x.mean(axis=0)
    dev = x - mean
    return mean, dev.T @ dev / x.shape[0]


def loglik_complete(x: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> float:
    """Log-likelihood of complete data ``x`` under N(mean, cov), summed over cases."""
    x = np.asarray(x, dtype=float)
    n, p = x.shape
    dev = x - mean
    _, logdet = np.linalg.slogdet(cov)
    quad = np.einsum("ij,jk,ik->", dev, np.linalg.inv(cov), dev)
    return float(-0.5 * (n * p * _LOG2PI + n * logdet + quad))


def loglik_missing(x: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> float:
    """Casewise (FIML) log-likelihood of ``x`` with NaN for missing values.

    Each case contributes the normal density of its observed entries, with the
    matching sub-vector of ``mean`` and sub-matrix of ``cov``. Cases with no
    observed entry contribute nothing.
    """
    return missing_data_loglik(x)(mean, cov)


def missing_data_loglik(x: np.ndarray):
    """:func:`loglik_missing` of fixed data ``x`` as a function of ``(mean, cov)``, its patterns found once.

    For the many evaluations of a numerical Hessian.
    """
    x = np.asarray(x, dtype=float)
    obs = ~np.isnan(x)
    patterns, inverse = np.unique(obs, axis=0, return_inverse=True)
    groups = [(pattern, x[inverse.ravel() == k][:, pattern]) for k, pattern in enumerate(patterns) if pattern.any()]

    def loglik(mean: np.ndarray, cov: np.ndarray) -> float:
        return float(sum(loglik_complete(rows, mean[pattern], cov[np.ix_(pattern, pattern)])
                         for pattern, rows in groups))

    return loglik


def em_saturated(x: np.ndarray, tol: float = 1e-12, max_iter: int = 100_000) -> tuple[np.ndarray, np.ndarray]:
    """ML mean and covariance of incomplete normal data by the EM algorithm (the H1 model).

    ``x``: cases in rows, NaN for missing. Converges when the largest change
    of any mean or covariance entry is below ``tol``. Raises ``RuntimeError``
    if it does not converge in ``max_iter`` iterations.
    """
    x = np.asarray(x, dtype=float)
    n, p = x.shape
    obs = ~np.isnan(x)
    mean = np.nanmean(x, axis=0)
    cov = np.diag(np.nanvar(x, axis=0))
    for _ in range(max_iter):
        sum_x = np.zeros(p)
        sum_xx = np.zeros((p, p))
        for i in range(n):
            o = obs[i]
            m = ~o
            xi = x[i].copy()
            c = np.zeros((p, p))
            if m.any():
                if o.any():
                    coef = cov[np.ix_(m, o)] @ np.linalg.inv(cov[np.ix_(o, o)])
                    xi[m] = mean[m] + coef @ (x[i, o] - mean[o])
                    c[np.ix_(m, m)] = cov[np.ix_(m, m)] - coef @ cov[np.ix_(o, m)]
                else:
                    xi[m] = mean[m]
                    c[np.ix_(m, m)] = cov[np.ix_(m, m)]
            sum_x += xi
            sum_xx += np.outer(xi, xi) + c
        new_mean = sum_x / n
        new_cov = sum_xx / n - np.outer(new_mean, new_mean)
        change = max(np.abs(new_mean - mean).max(), np.abs(new_cov - cov).max())
        mean, cov = new_mean, new_cov
        if change < tol:
            return mean, cov
    raise RuntimeError(f"EM for the saturated model did not converge in {max_iter} iterations")


def rmsea(chisq: float, df: int, n: int) -> float:
    """RMSEA = sqrt(max((chisq - df) / (N df), 0)); 0 when df = 0 (lavaan)."""
    if df <= 0:
        return 0.0
    return float(np.sqrt(max((chisq - df) / (n * df), 0.0)))


def rmsea_ci(chisq: float, df: int, n: int, level: float = 0.90) -> tuple[float, float]:
    """Confidence interval of the RMSEA from the noncentral chi-square (Browne & Cudeck 1993).

    The bounds solve P(X2 <= chisq; df, lambda) = 0.95 (lower) and 0.05
    (upper) for the noncentrality lambda, then RMSEA = sqrt(lambda / (N df)).
    """
    if df < 1:
        return 0.0, 0.0
    upper_p = 1 - (1 - level) / 2
    lower_p = (1 - level) / 2

    def cdf(lam: float) -> float:
        return float(stats.chi2.cdf(chisq, df)) if lam <= 0 else float(stats.ncx2.cdf(chisq, df, lam))

    if cdf(0.0) < upper_p:
        low = 0.0
    else:
        lam = optimize.brentq(lambda v: cdf(v) - upper_p, 0.0, max(chisq, 1e-8), xtol=1e-12)
        low = np.sqrt(lam / (n * df))
    top = max(n, 4 * chisq)
    if cdf(0.0) < lower_p or cdf(top) > lower_p:
        high = 0.0
    else:
        lam = optimize.brentq(lambda v: cdf(v) - lower_p, 0.0, top, xtol=1e-12)
        high = np.sqrt(lam / (n * df))
    return float(low), float(high)


def cfi(chisq: float, df: int, chisq_base: float, df_base: int) -> float:
    """CFI = 1 - max(X2 - df, 0) / max(X2 - df, X2_b - df_b, 0); 1 if both are 0."""
    t1 = max(chisq - df, 0.0)
    t2 = max(chisq - df, chisq_base - df_base, 0.0)
    if np.isclose(t1, 0.0) and np.isclose(t2, 0.0):
        return 1.0
    return float(1 - t1 / t2)


def tli(chisq: float, df: int, chisq_base: float, df_base: int) -> float:
    """TLI = 1 - ((X2 - df) df_b) / ((X2_b - df_b) df); 1 when df = 0 (lavaan >= 0.5-21)."""
    t1 = (chisq - df) * df_base
    t2 = (chisq_base - df_base) * df
    if df > 0 and abs(t2) > 0:
        return float(1 - t1 / t2)
    return 1.0


def srmr(sample_cov: np.ndarray, implied_cov: np.ndarray, sample_mean: np.ndarray | None = None,
         implied_mean: np.ndarray | None = None) -> float:
    """Standardized root mean square residual (Bentler; lavaan's ``srmr``).

    Covariance residuals are divided by sqrt(s_ii s_jj) of the sample matrix and
    averaged over the p(p+1)/2 non-duplicated elements; with means, the mean
    residuals divided by sqrt(s_ii) are added and the count is p(p+1)/2 + p.
    """
    s = np.asarray(sample_cov, dtype=float)
    sd = np.sqrt(np.diag(s))
    resid = (s - implied_cov) / np.outer(sd, sd)
    low = resid[np.tril_indices_from(resid)]
    total, count = float(np.sum(low**2)), low.size
    if sample_mean is not None and implied_mean is not None:
        total += float(np.sum(((np.asarray(sample_mean) - implied_mean) / sd) ** 2))
        count += s.shape[0]
    return float(np.sqrt(total / count))


@dataclass(frozen=True)
class FitMeasures:
    """Fit statistics of one model (lavaan conventions), plus the baseline and the RMSEA interval."""

    n: int
    df: int
    chisq: float
    pvalue: float
    cfi: float
    tli: float
    rmsea: float
    rmsea_ci_lower: float
    rmsea_ci_upper: float
    srmr: float
    loglik: float
    loglik_h1: float
    aic: float
    bic: float
    npar: int
    baseline_chisq: float
    baseline_df: int

    def as_dict(self) -> dict[str, float]:
        """The eleven public keys of :data:`FIT_KEYS`."""
        return {k: getattr(self, k) for k in FIT_KEYS}


def _finish(n: int, df: int, chisq: float, chisq_b: float, df_b: int, loglik: float, loglik_h1: float,
            npar: int, srmr_value: float) -> FitMeasures:
    chisq = max(chisq, 0.0)  # a saturated model can land at -1e-13
    pvalue = float(stats.chi2.sf(chisq, df)) if df > 0 else float("nan")
    low, high = rmsea_ci(chisq, df, n)
    return FitMeasures(
        n=n, df=df, chisq=float(chisq), pvalue=pvalue, cfi=cfi(chisq, df, chisq_b, df_b),
        tli=tli(chisq, df, chisq_b, df_b), rmsea=rmsea(chisq, df, n), rmsea_ci_lower=low, rmsea_ci_upper=high,
        srmr=srmr_value, loglik=float(loglik), loglik_h1=float(loglik_h1), aic=float(-2 * loglik + 2 * npar),
        bic=float(-2 * loglik + npar * np.log(n)), npar=int(npar), baseline_chisq=float(chisq_b), baseline_df=int(df_b),
    )


def fit_measures_listwise(x: np.ndarray, implied_cov: np.ndarray, npar: int, exogenous: Sequence[int]) -> FitMeasures:
    """Fit statistics for complete data with fixed exogenous variables (lavaan ``fixed.x = TRUE``).

    ``x``: complete data (cases in rows) in the column order of ``implied_cov``;
    ``npar``: free parameters, not counting the exogenous (co)variances, which
    are fixed at their sample values; ``exogenous``: column indices of the
    observed exogenous variables. Means are saturated (no mean structure).
    ``loglik`` (and AIC, BIC) is conditional on the exogenous variables, as
    lavaan's ``logl`` under ``fixed.x = TRUE``: the multivariate normal
    log-likelihood of all variables minus that of the exogenous ones.
    """
    x = np.asarray(x, dtype=float)
    if np.isnan(x).any():
        raise ValueError("fit_measures_listwise needs complete data; use fit_measures_fiml for missing values")
    n, p = x.shape
    k = len(exogenous)
    mean, s = ml_moments(x)
    chisq = n * ml_discrepancy(s, implied_cov)
    df = p * (p + 1) // 2 - k * (k + 1) // 2 - npar
    # independence baseline: endogenous variances free, exogenous block fixed at S
    exo = np.zeros(p, dtype=bool)
    exo[list(exogenous)] = True
    base = np.diag(np.diag(s))
    base[np.ix_(exo, exo)] = s[np.ix_(exo, exo)]
    chisq_b = n * ml_discrepancy(s, base)
    df_b = p * (p + 1) // 2 - k * (k + 1) // 2 - (p - k)
    # lavaan's logl under fixed.x = TRUE: conditional on the exogenous variables, i.e. the joint
    # log-likelihood minus that of the exogenous block at its (fixed) sample moments
    loglik_x = loglik_complete(x[:, exo], mean[exo], s[np.ix_(exo, exo)]) if k else 0.0
    loglik = loglik_complete(x, mean, implied_cov) - loglik_x
    loglik_h1 = loglik_complete(x, mean, s) - loglik_x
    return _finish(n, df, chisq, chisq_b, df_b, loglik, loglik_h1, npar, srmr(s, implied_cov))


def fit_measures_fiml(x: np.ndarray, implied_mean: np.ndarray, implied_cov: np.ndarray, npar: int,
                      exogenous: Sequence[int] = (), h1: tuple[np.ndarray, np.ndarray] | None = None,
                      saturated=None) -> FitMeasures:
    """Fit statistics under FIML with all variables modelled (lavaan ``missing = "ml"``, ``fixed.x = FALSE``).

    ``x``: data with NaN for missing values (cases with no observed value are
    dropped); ``npar``: all free parameters, means and exogenous (co)variances
    included. Chi-square is the likelihood ratio against the EM-fitted
    saturated model; the baseline has free means and variances and no
    covariances except among the ``exogenous`` columns (lavaan's baseline
    keeps them free, also under ``fixed.x = FALSE``). ``saturated``: the function x -> (mean, cov)
    that fits the saturated model (default :func:`em_saturated`; :func:`psyalliance.sem.mlfit.saturated_moments`
    reaches the same maximum in a few Newton steps); ``h1``: its result for ``x`` if already known.
    """
    saturated = em_saturated if saturated is None else saturated
    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x).all(axis=1)]
    n, p = x.shape
    mean_h1, cov_h1 = saturated(x) if h1 is None else h1
    loglik_h1 = loglik_missing(x, mean_h1, cov_h1)
    loglik = loglik_missing(x, implied_mean, implied_cov)
    chisq = 2 * (loglik_h1 - loglik)
    df = p * (p + 1) // 2 + p - npar
    # independence model: each variable's ML mean and variance from its observed values, the
    # exogenous block saturated (EM); the blocks are independent, so their ML estimates are separate
    mean_b = np.nanmean(x, axis=0)
    cov_b = np.diag(np.nanvar(x, axis=0))
    exo = list(exogenous)
    k = len(exo)
    if k > 1:
        block = x[:, exo]
        mean_b[exo], cov_b[np.ix_(exo, exo)] = saturated(block[~np.isnan(block).all(axis=1)])
    loglik_b = loglik_missing(x, mean_b, cov_b)
    chisq_b = 2 * (loglik_h1 - loglik_b)
    df_b = p * (p + 1) // 2 + p - 2 * p - k * (k - 1) // 2
    value = srmr(cov_h1, implied_cov, mean_h1, implied_mean)
    return _finish(n, df, chisq, chisq_b, df_b, loglik, loglik_h1, npar, value)


class MomentBuilder:
    """Model-implied mean and covariance of an observed-variable path model from its parameter values.

    ``rows``: one ``(op, lval, rval)`` per parameter value, with ``op`` one of
    ``~`` (path rval -> lval), ``~~`` ((co)variance) and ``~1`` (intercept or
    mean). Calling the builder with the values (in that order) returns
    ``(mu, sigma)`` with ``mu = (I - B)^-1 alpha`` and ``sigma = (I - B)^-1 Psi (I - B)^-T``
    in the order of ``observed``. ``fixed_psi`` (p x p, optional): entries of Psi that are
    not parameters, such as the exogenous block fixed at its sample values (``fixed.x = TRUE``).
    """

    def __init__(self, observed: Sequence[str], rows: Sequence[tuple[str, str, str]],
                 fixed_psi: np.ndarray | None = None) -> None:
        idx = {v: i for i, v in enumerate(observed)}
        self.p = len(observed)
        self.fixed_psi = np.zeros((self.p, self.p)) if fixed_psi is None else np.asarray(fixed_psi, dtype=float)
        kinds = np.array([op for op, _, _ in rows])
        self.path = np.flatnonzero(kinds == "~")
        self.cov = np.flatnonzero(kinds == "~~")
        self.mean = np.flatnonzero(kinds == "~1")
        self.b_at = ([idx[rows[i][1]] for i in self.path], [idx[rows[i][2]] for i in self.path])
        self.psi_at = ([idx[rows[i][1]] for i in self.cov], [idx[rows[i][2]] for i in self.cov])
        self.alpha_at = [idx[rows[i][1]] for i in self.mean]

    def __call__(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        values = np.asarray(values, dtype=float)
        b = np.zeros((self.p, self.p))
        b[self.b_at] = values[self.path]
        psi = self.fixed_psi.copy()
        psi[self.psi_at] = values[self.cov]
        psi[self.psi_at[::-1]] = values[self.cov]
        alpha = np.zeros(self.p)
        alpha[self.alpha_at] = values[self.mean]
        inv = np.linalg.inv(np.eye(self.p) - b)
        return inv @ alpha, inv @ psi @ inv.T


def _central_hessian(f, theta: np.ndarray, h: np.ndarray) -> np.ndarray:
    n = theta.size
    f0 = f(theta)
    hess = np.empty((n, n))
    e = np.eye(n) * h
    for i in range(n):
        hess[i, i] = (f(theta + e[i]) - 2 * f0 + f(theta - e[i])) / h[i] ** 2
        for j in range(i):
            pp = f(theta + e[i] + e[j])
            pm = f(theta + e[i] - e[j])
            mp = f(theta - e[i] + e[j])
            mm = f(theta - e[i] - e[j])
            hess[i, j] = hess[j, i] = (pp - pm - mp + mm) / (4 * h[i] * h[j])
    return hess


def numerical_hessian(f, theta: np.ndarray, rel_step: float = 2e-3) -> np.ndarray:
    """Hessian of a smooth scalar function: central differences with one Richardson extrapolation.

    Steps ``h = rel_step * max(|theta_i|, 1)`` and ``h / 2``; ``(4 H(h/2) -
    H(h)) / 3`` cancels the O(h^2) error. 4 n^2 + 2 evaluations for n
    parameters; about 1e-7 relative for a log-likelihood of a few hundred.
    """
    theta = np.asarray(theta, dtype=float)
    h = rel_step * np.maximum(np.abs(theta), 1.0)
    return (4 * _central_hessian(f, theta, h / 2) - _central_hessian(f, theta, h)) / 3


def numerical_gradient(f, theta: np.ndarray, rel_step: float = 1e-4) -> np.ndarray:
    """Gradient of a smooth scalar function: central differences with one Richardson extrapolation.

    Steps ``h = rel_step * max(|theta_i|, 1)`` and ``h / 2``; ``(4 g(h/2) - g(h)) / 3``
    cancels the O(h^2) error. 4 n evaluations for n parameters.
    """
    theta = np.asarray(theta, dtype=float)
    h = rel_step * np.maximum(np.abs(theta), 1.0)

    def central(step: np.ndarray) -> np.ndarray:
        e = np.diag(step)
        return np.array([(f(theta + e[i]) - f(theta - e[i])) / (2 * step[i]) for i in range(theta.size)])

    return (4 * central(h / 2) - central(h)) / 3


def observed_information_se(loglik, theta: np.ndarray) -> np.ndarray | None:
    """Standard errors sqrt(diag(I^-1)) from the observed information I = -Hessian of ``loglik`` at ``theta``.

    ``loglik``: the log-likelihood summed over cases (not divided by N), a
    function of the free parameters; ``theta``: the ML estimates. The Hessian
    is numerical (:func:`numerical_hessian`). Returns None when I is not
    positive definite.
    """
    info = -numerical_hessian(loglik, np.asarray(theta, dtype=float))
    try:
        np.linalg.cholesky(info)
    except np.linalg.LinAlgError:
        return None
    return np.sqrt(np.diag(np.linalg.inv(info)))


# ---------------------------------------------------------------------------
# Fit in words: the usual cut-offs, and why they are a weak guide at small n.
# ---------------------------------------------------------------------------


CUTOFFS_PATH = data_dir() / "fit_cutoffs.yaml"
"""The one file where the conventional fit cut-offs are typed (with their source)."""


@dataclass(frozen=True)
class FitCutoffs:
    """The conventional cut-offs of a "good" fit, used by :func:`fit_verdict`.

    ``cfi`` and ``tli``: good fit when the index is >= the value (indices 0-1,
    TLI can leave that range); ``rmsea`` and ``srmr``: good fit when the index
    is <= the value. These four are literature values (Hu & Bentler 1999),
    typed once in ``data/fit_cutoffs.yaml``; :func:`book_cutoffs` reads them.
    ``alpha``: the chi-square test rejects the model when p < alpha.
    ``small_n``: below this many cases (or with df at or below ``small_df``)
    the verdict adds that the RMSEA is unstable and the chi-square test has
    little power (Kenny, Kaniskan & McCoach 2015). ``alpha``, ``small_n`` and
    ``small_df`` are the book's conventions (assumptions), not published values.
    """

    cfi: float
    tli: float
    rmsea: float
    srmr: float
    alpha: float = 0.05
    small_n: int = 200
    small_df: int = 10


def load_cutoffs(path: str | Path = CUTOFFS_PATH) -> pd.DataFrame:
    """The conventional cut-offs: ``index`` (cfi, tli, rmsea, srmr), ``cutoff``, ``direction`` (">=" or "<="),
    ``meaning``, ``source``, ``cite``. A fresh DataFrame on every call."""
    raw = read_yaml(Path(path))
    records = raw.get("cutoffs") if isinstance(raw, dict) else None
    if not records:
        raise InputError(f"{path}: expected a 'cutoffs' list of records")
    table = pd.DataFrame(records)
    bad = table[~table["direction"].isin([">=", "<="])]
    if len(bad):
        raise InputError(f"{path}: direction must be '>=' or '<=', got {bad['direction'].tolist()}")
    return table


def book_cutoffs() -> FitCutoffs:
    """The cut-offs of ``data/fit_cutoffs.yaml``, as read by :func:`load_cutoffs`."""
    table = load_cutoffs().set_index("index")["cutoff"]
    return FitCutoffs(cfi=float(table["cfi"]), tli=float(table["tli"]), rmsea=float(table["rmsea"]),
                      srmr=float(table["srmr"]))


CUTOFFS = book_cutoffs()
"""The book's cut-offs (immutable), from ``data/fit_cutoffs.yaml``."""

VERDICT_KEYS = ("n", "df", "pvalue", "cfi", "tli", "rmsea", "srmr")
"""The entries :func:`fit_verdict` reads from its row."""


def _verdict_inputs(row) -> dict[str, float]:
    """The :data:`VERDICT_KEYS` of ``row`` as floats; ValueError naming a missing or impossible value."""
    missing = [k for k in VERDICT_KEYS if k not in row]
    if missing:
        raise ValueError(f"fit_verdict needs the keys {', '.join(VERDICT_KEYS)}; missing: {', '.join(missing)}")
    vals = {k: float(row[k]) for k in VERDICT_KEYS}
    if not (vals["n"] >= 1 and vals["n"] == int(vals["n"])):
        raise ValueError(f"n = {row['n']!r} must be a whole number of cases >= 1")
    if not (vals["df"] >= 0 and vals["df"] == int(vals["df"])):
        raise ValueError(f"df = {row['df']!r} must be a whole number >= 0")
    if vals["df"] > 0:
        for key, low, high in (("pvalue", 0.0, 1.0), ("cfi", 0.0, 1.0), ("rmsea", 0.0, np.inf), ("srmr", 0.0, np.inf)):
            if not low <= vals[key] <= high:
                raise ValueError(f"{key} = {row[key]!r} is outside its range {low:g}-{high:g}")
        if np.isnan(vals["tli"]):
            raise ValueError(f"tli = {row['tli']!r} must be a number")
    return vals


def fit_verdict(row, cutoffs: FitCutoffs = CUTOFFS) -> str:
    """One sentence saying whether a model fits, index by index, and why the judgement is weak at small n.

    ``row``: a mapping (a fit-table row, ``fit`` of a :class:`~psyalliance.sem.models.FitResult`)
    with ``n``, ``df``, chi-square ``pvalue`` (0-1), ``cfi`` (0-1), ``tli``,
    ``rmsea`` and ``srmr`` (>= 0). A model with df = 0 is saturated: it fits
    perfectly by construction and is not tested. Otherwise: "rejected at .05
    by the chi-square test" when p < alpha, else "not rejected"; CFI and TLI
    "at or above" / "below" their cut-off; RMSEA and SRMR "at or below" /
    "above" theirs, each index judged as printed (3 decimals). Below ``cutoffs.small_n`` cases or at ``cutoffs.small_df``
    df or fewer, a last clause says the verdict is weak: a non-rejection
    because the test has little power, a rejection because its large-sample
    reference is approximate; the cut-offs come from large samples; the RMSEA
    is unstable. Raises ValueError for a
    missing key or a value out of range.
    """
    v = _verdict_inputs(row)
    n, df = int(v["n"]), int(v["df"])
    if df == 0:
        return ("saturated (0 df): it reproduces the sample covariances exactly, so chi-square, CFI, TLI, "
                "RMSEA and SRMR cannot test it")
    a = bounded(cutoffs.alpha, 2)
    p = v["pvalue"]
    shown = f"{p:.3f}" if f"{p:.3f}" != f"{cutoffs.alpha:.3f}" else f"{p:.4f}"
    test = (f"rejected at {a} by the chi-square test (p = {shown})" if p < cutoffs.alpha
            else f"not rejected at {a} by the chi-square test (p = {shown})")
    parts = [test]
    v = {k: round(x, 3) for k, x in v.items()}  # the indices are judged as printed, to 3 decimals
    for key, cut in (("cfi", cutoffs.cfi), ("tli", cutoffs.tli)):
        side = "at or above" if v[key] >= cut else "below"
        parts.append(f"{key.upper()} = {v[key]:.3f}, {side} {cut:.2f}")
    for key, cut in (("rmsea", cutoffs.rmsea), ("srmr", cutoffs.srmr)):
        side = "at or below" if v[key] <= cut else "above"
        parts.append(f"{key.upper()} = {v[key]:.3f}, {side} {cut:.2f}")
    sentence = "; ".join(parts)
    if n < cutoffs.small_n or df <= cutoffs.small_df:
        test_caveat = ("the large-sample reference of the chi-square test is only approximate with so few cases (it rejects "
                       "too often)" if p < cutoffs.alpha else
                       "the chi-square test has little power with so few cases, so not rejecting is weak evidence "
                       "of fit")
        sentence += (f". With n = {n} and {df} df this judgement is weak: {test_caveat}; the cut-offs come from "
                     "simulations with large samples; and the RMSEA is unstable (its 90% interval is wide)")
    return sentence
