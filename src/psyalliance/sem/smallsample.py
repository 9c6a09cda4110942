"""Small-sample versions of the ML chi-square test of a path model: Bartlett, Swain, Bollen-Stine.

The ML chi-square ``T = N * F_ML`` (lavaan's convention, :mod:`psyalliance.sem.fitstats`)
follows a chi-square distribution with the model's df only as N grows; at
the book's sample sizes it rejects a true model too often. Three remedies:

* **Bartlett's correction** (Bartlett 1950) multiplies T by
  ``1 - (2p + 4k + 5) / (6n)``, p observed variables, k latent factors (0 for
  the book's path models), n = N - 1.
* **Swain's correction** (Swain 1975) multiplies T by
  ``1 - (p(2p^2 + 3p - 1) - q(2q^2 + 3q - 1)) / (12 d n)`` with
  ``q = (sqrt(1 + 4p(p + 1) - 8d) - 1) / 2``, d the model's df, n = N - 1.
  Both as given by Herzog, Boomsma and Reinecke (2007), eq. 3 and 5.
* **Bollen-Stine bootstrap** (Bollen and Stine 1992): rotate the centred data
  so that their ML covariance equals the model-implied one exactly
  (``Z = (X - mean) S^(-1/2) Sigma^(1/2)``), resample rows of Z with
  replacement, refit, and report the share of bootstrap chi-squares at least
  as large as the observed one. The model is then true in the resampled
  population, whatever the marginal distributions.

Everything is batched over leading axes (many samples at once), using the
OLS = ML identity of :mod:`psyalliance.sem.paths` for recursive models.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from psyalliance.errors import SettingsError, check_count
from psyalliance.sem.paths import PathModel, get_model, implied_cov

__all__ = [
    "bartlett_factor",
    "swain_factor",
    "corrected_chisq",
    "model_df",
    "chisq_batch",
    "bollen_stine_transform",
    "bollen_stine_pvalue",
]


def _check_sizes(n: float, p: int, df: int | None = None) -> None:
    if not np.isscalar(n) or not np.isfinite(n) or n <= 0:
        raise SettingsError(f"n = {n!r} must be a positive number (N - 1, N participants)")
    if isinstance(p, bool) or not isinstance(p, (int, np.integer)) or p < 1:
        raise SettingsError(f"p = {p!r} must be a whole number of observed variables, at least 1")
    if df is not None and (isinstance(df, bool) or not isinstance(df, (int, np.integer)) or not 1 <= df <= p * (p + 1) // 2):
        raise SettingsError(f"df = {df!r} must be a whole number between 1 and p(p+1)/2 = {p * (p + 1) // 2}")


def bartlett_factor(n: float, p: int, factors: int = 0) -> float:
    """Bartlett's multiplier ``1 - (2p + 4k + 5) / (6n)`` of the ML chi-square.

    ``n``: N - 1 (N participants); ``p``: observed variables; ``factors``: latent
    factors k (0 for an observed-variable path model).
    """
    _check_sizes(n, p)
    if isinstance(factors, bool) or not isinstance(factors, (int, np.integer)) or factors < 0:
        raise SettingsError(f"factors = {factors!r} must be a whole number of latent factors, 0 or more")
    return float(1 - (2 * p + 4 * factors + 5) / (6 * n))


def swain_factor(n: float, p: int, df: int) -> float:
    """Swain's multiplier of the ML chi-square (Herzog et al. 2007, eq. 5).

    ``1 - (p(2p^2+3p-1) - q(2q^2+3q-1)) / (12 df n)``, ``q = (sqrt(1 + 4p(p+1) - 8 df) - 1) / 2``;
    ``n``: N - 1; ``p``: observed variables; ``df``: the model's degrees of freedom.
    """
    _check_sizes(n, p, df)
    q = (np.sqrt(1 + 4 * p * (p + 1) - 8 * df) - 1) / 2
    return float(1 - (p * (2 * p**2 + 3 * p - 1) - q * (2 * q**2 + 3 * q - 1)) / (12 * df * n))


def corrected_chisq(chisq, n_obs: int, p: int, df: int) -> dict[str, np.ndarray]:
    """The ML chi-square and its Bartlett and Swain versions with their p values (chi-square, df).

    ``chisq``: one or many ML chi-squares (N * F_ML); ``n_obs``: participants N
    (the corrections use n = N - 1). Returns ``{"ml": ..., "bartlett": ...,
    "swain": ...}`` statistics and ``{"p_ml": ..., ...}`` p values.
    """
    t = np.asarray(chisq, dtype=float)
    check_count(n_obs, "n_obs", low=2)
    out = {"ml": t, "bartlett": t * bartlett_factor(n_obs - 1, p), "swain": t * swain_factor(n_obs - 1, p, df)}
    out.update({f"p_{k}": stats.chi2.sf(v, df) for k, v in list(out.items())})
    return out


def model_df(model: str | PathModel) -> int:
    """Degrees of freedom of a recursive path model under lavaan's ``fixed.x = TRUE``."""
    m = get_model(model)
    p, q = len(m.variables), len(m.exogenous)
    return p * (p + 1) // 2 - q * (q + 1) // 2 - m.n_params


def _implied(m: PathModel, cov: np.ndarray) -> np.ndarray:
    return implied_cov(m, cov, n=10**9)  # n only scales the SEs, which are not used


def chisq_batch(model: str | PathModel, data: np.ndarray) -> np.ndarray:
    """ML chi-square ``N * F_ML`` of ``model`` for every sample of ``data`` (shape (..., N, p), model.variables order)."""
    m = get_model(model)
    x = np.asarray(data, dtype=float)
    s = _ml_cov(x)
    sigma = _implied(m, s)
    _, ld_sigma = np.linalg.slogdet(sigma)
    _, ld_s = np.linalg.slogdet(s)
    tr = np.trace(np.linalg.solve(sigma, s), axis1=-2, axis2=-1)
    return x.shape[-2] * (ld_sigma - ld_s + tr - s.shape[-1])


def _ml_cov(x: np.ndarray) -> np.ndarray:
    xc = x - x.mean(axis=-2, keepdims=True)
    return np.swapaxes(xc, -1, -2) @ xc / x.shape[-2]


def _sym_power(a: np.ndarray, power: float) -> np.ndarray:
    w, v = np.linalg.eigh(a)
    return (v * w[..., None, :] ** power) @ np.swapaxes(v, -1, -2)


def bollen_stine_transform(model: str | PathModel, data: np.ndarray) -> np.ndarray:
    """Bollen and Stine's (1992) rotation: centred data whose ML covariance is the model-implied one.

    ``Z = (X - mean) S^(-1/2) Sigma^(1/2)``, S the ML covariance (divisor N) of
    ``data`` and Sigma the model-implied covariance at the ML estimates
    (symmetric square roots). ``data``: (..., N, p) in ``model.variables`` order.
    """
    m = get_model(model)
    x = np.asarray(data, dtype=float)
    if x.ndim < 2 or x.shape[-1] != len(m.variables):
        raise SettingsError(f"data have shape {x.shape}; model {m.name!r} needs (..., N, {len(m.variables)}) "
                            f"in the order {m.variables}")
    if not np.all(np.isfinite(x)):
        raise SettingsError("bollen_stine_transform: data must be finite (complete rows, no NaN or inf)")
    s = _ml_cov(x)
    sigma = _implied(m, s)
    xc = x - x.mean(axis=-2, keepdims=True)
    return xc @ _sym_power(s, -0.5) @ _sym_power(sigma, 0.5)


def _exogenous_misfit(m: PathModel, xb: np.ndarray, s0: np.ndarray) -> np.ndarray:
    """N * F_ML of the exogenous block of resamples ``xb`` against the fixed block ``s0`` (q x q)."""
    q = len(m.exogenous)
    s = _ml_cov(xb[..., :q])
    _, ld_s = np.linalg.slogdet(s)
    tr = np.trace(np.linalg.solve(s0, s), axis1=-2, axis2=-1)
    return xb.shape[-2] * (np.linalg.slogdet(s0)[1] - ld_s + tr - q)


def bollen_stine_pvalue(model: str | PathModel, data: np.ndarray, resamples: int = 1000,
                        rng: np.random.Generator | None = None, idx: np.ndarray | None = None,
                        block: int = 25, exogenous: str = "resample") -> np.ndarray:
    """Bollen-Stine bootstrap p value of ``model``'s chi-square for every sample of ``data``.

    ``data``: (reps, N, p) or (N, p) complete rows in ``model.variables`` order.
    Rows of the transformed data (:func:`bollen_stine_transform`) are drawn with
    replacement ``resamples`` times (from ``rng``, or fixed by ``idx`` of shape
    (reps, resamples, N)), every resample is refitted, and p is the share of
    resampled chi-squares >= the observed one. Returns p, shape (reps,) (a
    scalar array for one sample). Monte Carlo error of p: sqrt(p(1-p)/resamples).

    ``exogenous``: how a refit treats the exogenous variables' (co)variances,
    which ``fixed.x = TRUE`` takes from the data. ``"resample"`` (default):
    from each resample, as the observed chi-square took them from the sample,
    so they never add misfit. ``"original"``: held at the original sample's
    values, so a resample's own exogenous spread adds misfit; this is what R
    lavaan 0.6-14's ``bootstrapLavaan(type = "bollen.stine")`` does (its p is
    larger; ``tests/test_smallsample.py`` compares the two).
    """
    if exogenous not in ("resample", "original"):
        raise SettingsError(f"exogenous = {exogenous!r} must be 'resample' or 'original'")
    m = get_model(model)
    x = np.asarray(data, dtype=float)
    single = x.ndim == 2
    x = x[None] if single else x
    z = bollen_stine_transform(m, x)
    reps, n, _ = x.shape
    m.check_n(n)
    if idx is None:
        if rng is None:
            raise SettingsError("pass rng (random resamples) or idx (fixed resample indices)")
        check_count(resamples, "resamples", low=2)
    elif idx.shape[0] != reps or idx.shape[-1] != n:
        raise SettingsError(f"idx has shape {idx.shape}; expected ({reps}, resamples, {n})")
    observed = chisq_batch(m, x)
    p = np.empty(reps)
    for start in range(0, reps, block):
        sl = slice(start, start + block)
        b = z[sl].shape[0]
        ii = idx[sl] if idx is not None else rng.integers(0, n, size=(b, resamples, n))
        zb = z[sl][np.arange(b)[:, None, None], ii]
        boot = chisq_batch(m, zb)  # (b, resamples)
        if exogenous == "original":
            q = len(m.exogenous)
            boot = boot + _exogenous_misfit(m, zb, _ml_cov(z[sl])[:, None, :q, :q])
        p[sl] = np.mean(boot >= observed[sl, None], axis=1)
    return p[0] if single else p
