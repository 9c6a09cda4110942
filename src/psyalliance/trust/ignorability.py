"""Sensitivity of an indirect effect to a confounder of mediator and outcome (Imai, Keele and Tingley 2010).

The indirect effect a*b of a single-mediator linear model

    M = a X + e_M,    Y = c X + b M + e_Y

is causal only under *sequential ignorability*: among other things, nothing
unmeasured drives both M and Y, so that corr(e_M, e_Y) = 0. Imai et al.'s
sensitivity parameter rho is that residual correlation. Fixing it at a value
other than 0 leaves the model just identified, and the ML estimates have a
closed form. With sigma_1 the residual SD of M on X, sigma_2 the residual SD
of Y on X alone (no M), and rho~ the correlation of those two residuals:

    b(rho) = (sigma_2 / sigma_1) * (rho~ - rho * sqrt((1 - rho~^2) / (1 - rho^2)))
    indirect(rho) = a * b(rho)

(Imai, Keele and Yamamoto 2010, eq. for the linear structural equation
model). Derivation: Cov(M, Y | X) = b sigma_1^2 + rho sigma_1 sigma_Y = rho~
sigma_1 sigma_2 and Var(Y | X) = sigma_2^2 = b^2 sigma_1^2 + sigma_Y^2 + 2 b
rho sigma_1 sigma_Y give sigma_Y = sigma_2 sqrt((1 - rho~^2) / (1 - rho^2))
and the b above. The indirect effect is zero exactly at rho = rho~, and at
rho = 0 it is the usual OLS a*b. All moments are ML (divisor n).

**Two (or more) parallel mediators** (the book's M1: alliance -> mystical
experience and insight, whose residuals covary freely, -> depression):

    M_j = a_j X + e_Mj,    Y = c X + sum_j b_j M_j + e_Y,    corr(e_Mj, e_Y) = rho_j

With every rho_j fixed the model is again just identified. Let Sigma be the
residual covariance of the mediators on X, D = diag of their residual SDs,
R = D^-1 Sigma D^-1 their residual correlations, g = Sigma^-1 Cov(M, Y | X)
the OLS b and s^2 the OLS residual variance of Y. Then (derivation in
:func:`indirect_at_rhos`)

    sigma_Y^2 = s^2 / (1 - rho' R^-1 rho),    b(rho) = g - sigma_Y Sigma^-1 D rho,

and the indirect effect through M_j is a_j b_j(rho). This is the linear-SEM
form of the sensitivity analysis for several mediators (Imai and Yamamoto
2013 treat causally ordered ones; M1's are parallel): the confounder of
mediator j and the outcome is allowed while the other mediator stays in the
model. A confounder U that explains shares R2_M and R2_Y of the residual
variances of M_j and Y gives ``|rho_j| = sqrt(R2_M R2_Y)`` (Imai, Keele and
Tingley 2010), so a rho of .27 is a confounder with partial R^2 of .27 on
both links.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from psyalliance.errors import SettingsError, check_count, check_fraction, check_seed
from psyalliance.study.datacheck import check_data

__all__ = ["MediationParts", "mediation_parts", "indirect_at_rho", "rho_at_zero", "sensitivity_curve",
           "ParallelParts", "parallel_parts", "indirect_at_rhos", "rho_zero_parallel", "partial_r2",
           "parallel_sensitivity"]


@dataclass(frozen=True)
class MediationParts:
    """The moments the rho sensitivity needs (scale units of X, M, Y).

    ``a``: slope of M on X; ``sigma_m``: residual SD of M on X; ``sigma_y``:
    residual SD of Y on X; ``rho_tilde``: correlation of those residuals;
    ``n``: complete rows used.
    """

    x: str
    m: str
    y: str
    a: float
    sigma_m: float
    sigma_y: float
    rho_tilde: float
    n: int


def mediation_parts(data: pd.DataFrame, x: str, m: str, y: str, ranges=None) -> MediationParts:
    """Moments of X, M and Y from the rows of ``data`` complete on the three (ML, divisor n).

    ``ranges``: the scales the columns are checked against (see
    :func:`psyalliance.study.datacheck.check_data`; False for data on other scales).
    """
    for v in (x, m, y):
        if v not in data.columns:
            raise SettingsError(f"column {v!r} not in the data; columns: {list(data.columns)}")
    if len({x, m, y}) < 3:
        raise SettingsError(f"x, m and y must be three different columns, got {x!r}, {m!r}, {y!r}")
    d = check_data(data, [x, m, y], ranges=ranges, func="mediation_parts").dropna().to_numpy(float)
    if len(d) < 4:
        raise SettingsError(f"only {len(d)} complete rows on {x}, {m}, {y}; need at least 4")
    s = np.cov(d.T, bias=True)
    a = s[0, 1] / s[0, 0]
    g = s[0, 2] / s[0, 0]
    v_m = s[1, 1] - a * s[0, 1]
    v_y = s[2, 2] - g * s[0, 2]
    c_my = s[1, 2] - a * s[0, 2]
    return MediationParts(x, m, y, float(a), float(np.sqrt(v_m)), float(np.sqrt(v_y)),
                          float(c_my / np.sqrt(v_m * v_y)), len(d))


def indirect_at_rho(parts: MediationParts, rho: float | np.ndarray) -> np.ndarray:
    """The indirect effect a*b(rho) when corr(e_M, e_Y) is fixed at ``rho`` (strictly between -1 and 1)."""
    r = np.asarray(rho, dtype=float)
    if not np.all(np.abs(r) < 1):
        raise SettingsError(f"rho = {rho!r} must lie strictly between -1 and 1")
    rt = parts.rho_tilde
    b = parts.sigma_y / parts.sigma_m * (rt - r * np.sqrt((1 - rt**2) / (1 - r**2)))
    return parts.a * b


def rho_at_zero(parts: MediationParts) -> float:
    """The residual correlation at which the indirect effect vanishes: rho~."""
    return parts.rho_tilde


def sensitivity_curve(parts: MediationParts, rhos: np.ndarray | None = None) -> pd.DataFrame:
    """The indirect effect over a grid of rho (default -0.9 to 0.9): columns rho, indirect."""
    r = np.linspace(-0.9, 0.9, 181) if rhos is None else np.asarray(rhos, dtype=float)
    return pd.DataFrame({"rho": r, "indirect": indirect_at_rho(parts, r)})


# --------------------------------------------------------------------------- parallel mediators


@dataclass(frozen=True)
class ParallelParts:
    """Moments of X, k parallel mediators and Y that the rho sensitivity needs (ML, divisor n).

    Arrays may carry leading batch axes (bootstrap resamples): ``a`` (..., k)
    slopes of the mediators on X; ``sigma`` (..., k, k) residual covariance of
    the mediators on X; ``s_my`` (..., k) residual covariance of mediators and
    Y on X; ``s_yy`` (...) residual variance of Y on X; ``n`` complete rows.
    """

    x: str
    mediators: tuple[str, ...]
    y: str
    a: np.ndarray
    sigma: np.ndarray
    s_my: np.ndarray
    s_yy: np.ndarray
    n: int


def _parallel_moments(d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(a, sigma, s_my, s_yy) of rows ``d`` (..., n, 1 + k + 1): columns X, mediators, Y."""
    c = d - d.mean(axis=-2, keepdims=True)
    s = np.einsum("...ni,...nj->...ij", c, c) / d.shape[-2]
    beta = s[..., 1:, 0] / s[..., :1, 0]  # slopes of mediators and Y on X
    cond = s[..., 1:, 1:] - beta[..., :, None] * beta[..., None, :] * s[..., :1, :1]
    return beta[..., :-1], cond[..., :-1, :-1], cond[..., :-1, -1], cond[..., -1, -1]


def parallel_parts(data: pd.DataFrame, x: str, mediators: tuple[str, ...], y: str, ranges=None) -> ParallelParts:
    """:class:`ParallelParts` from the rows of ``data`` complete on X, the mediators and Y.

    ``ranges``: the scales the columns are checked against (see
    :func:`psyalliance.study.datacheck.check_data`; False for data on other scales).
    """
    cols = [x, *mediators, y]
    for v in cols:
        if v not in data.columns:
            raise SettingsError(f"column {v!r} not in the data; columns: {list(data.columns)}")
    if len(set(cols)) < len(cols) or not mediators:
        raise SettingsError(f"x, the mediators and y must be different columns (at least one mediator), got {cols}")
    d = check_data(data, cols, ranges=ranges, func="parallel_parts").dropna().to_numpy(float)
    if len(d) < len(cols) + 2:
        raise SettingsError(f"only {len(d)} complete rows on {cols}; need at least {len(cols) + 2}")
    a, sigma, s_my, s_yy = _parallel_moments(d)
    return ParallelParts(x, tuple(mediators), y, a, sigma, s_my, s_yy, len(d))


def indirect_at_rhos(parts: ParallelParts, rho: np.ndarray, infeasible: str = "raise") -> np.ndarray:
    """Indirect effects a_j b_j(rho) (..., k) with corr(e_Mj, e_Y) fixed at ``rho`` (..., k).

    Derivation: with delta = sigma_Y D rho, Cov(M, Y | X) = Sigma b + delta
    gives b = g - sigma_Y h, h = Sigma^-1 D rho; Var(Y | X) = b' Sigma b +
    sigma_Y^2 + 2 b' delta reduces to g' Sigma g + sigma_Y^2 (1 - h' Sigma h),
    and h' Sigma h = rho' R^-1 rho. Needs rho' R^-1 rho < 1 (else no model
    has these residual correlations): ``infeasible="raise"`` refuses such a
    rho, ``"nan"`` returns NaN for the batch members where it is impossible
    (bootstrap resamples whose mediators correlate more). ``rho`` broadcasts
    against the parts' batch axes.
    """
    if infeasible not in ("raise", "nan"):
        raise SettingsError(f"infeasible = {infeasible!r}; valid: 'raise' or 'nan'")
    rho = np.asarray(rho, dtype=float)
    k = parts.a.shape[-1]
    if rho.ndim == 0 or rho.shape[-1] != k or np.any(np.abs(rho) >= 1):
        raise SettingsError(f"rho = {rho.tolist()!r} must give one residual correlation per mediator ({k}), "
                            "each strictly between -1 and 1")
    sd = np.sqrt(np.diagonal(parts.sigma, axis1=-2, axis2=-1))
    corr = parts.sigma / (sd[..., :, None] * sd[..., None, :])
    q = np.einsum("...i,...i->...", rho, np.linalg.solve(corr, rho[..., None])[..., 0])
    bad = ~(q < 1)
    if infeasible == "raise" and np.any(bad):
        raise SettingsError(f"rho = {rho.tolist()!r} is not possible with these mediators: rho' R^-1 rho must be "
                            "below 1 (R: the mediators' residual correlations)")
    g = np.linalg.solve(parts.sigma, parts.s_my[..., None])[..., 0]
    s2 = parts.s_yy - np.einsum("...i,...i->...", g, parts.s_my)
    sigma_y = np.sqrt(s2 / np.where(bad, np.nan, 1 - q))
    h = np.linalg.solve(parts.sigma, (sd * rho)[..., None])[..., 0]
    return parts.a * (g - sigma_y[..., None] * h)


def rho_zero_parallel(parts: ParallelParts, j: int) -> np.ndarray:
    """The rho_j (others 0) at which the indirect effect through mediator ``j`` vanishes (...).

    b_j = g_j - s rho_j w / sqrt(1 - q rho_j^2) with w = (Sigma^-1)_jj sigma_j
    and q = (R^-1)_jj, so rho_j^2 = g_j^2 / (s^2 w^2 + q g_j^2), with the sign of g_j.
    """
    k = parts.a.shape[-1]
    if not 0 <= j < k:
        raise SettingsError(f"j = {j!r} is not a mediator index; valid: 0 to {k - 1}")
    inv = np.linalg.inv(parts.sigma)
    sd = np.sqrt(np.diagonal(parts.sigma, axis1=-2, axis2=-1))
    g = np.einsum("...ij,...j->...i", inv, parts.s_my)
    s2 = parts.s_yy - np.einsum("...i,...i->...", g, parts.s_my)
    w = inv[..., j, j] * sd[..., j]
    q = inv[..., j, j] * sd[..., j] ** 2
    gj = g[..., j]
    return np.sign(gj) * np.sqrt(gj**2 / (s2 * w**2 + q * gj**2))


def partial_r2(rho: float | np.ndarray) -> np.ndarray:
    """The partial R^2 (0-1) a confounder needs on each link, equal on both, to produce residual correlation ``rho``.

    ``|rho| = sqrt(R2_M R2_Y)`` (Imai, Keele and Tingley 2010), so with R2_M = R2_Y it is ``|rho|``.
    """
    r = np.asarray(rho, dtype=float)
    if np.any(np.abs(r) > 1):
        raise SettingsError(f"rho = {rho!r} must lie in [-1, 1]")
    return np.abs(r)


def parallel_sensitivity(data: pd.DataFrame, x: str, mediators: tuple[str, ...], y: str,
                         rhos: np.ndarray | None = None, n_resamples: int = 2000, seed: int = 20240311,
                         level: float = 0.95, ranges=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each mediator's indirect effect against its rho (the others at 0), with percentile bootstrap bands.

    Returns ``(curve, zeros)``. ``curve``: one row per mediator and rho (default
    grid -0.6 to 0.6), columns mediator, rho, indirect, low, high (the
    ``level`` band over ``n_resamples`` case resamples, seeded; over the
    resamples in which that rho is possible), feasible (their share). ``zeros``: one
    row per mediator, columns mediator, indirect (at rho = 0), low, high (its
    percentile interval), rho_zero (where it vanishes), rho_zero_low,
    rho_zero_high (percentile interval of rho_zero), partial_r2 (equal
    partial R^2 of a confounder producing rho_zero), n.
    """
    check_count(n_resamples, "n_resamples", low=200)
    check_seed(seed, "parallel_sensitivity seed")
    check_fraction(level, "level")
    parts = parallel_parts(data, x, mediators, y, ranges)
    d = data[[x, *mediators, y]].dropna().to_numpy(float)
    idx = np.random.default_rng(seed).integers(0, len(d), size=(n_resamples, len(d)))
    a, sigma, s_my, s_yy = _parallel_moments(d[idx])
    boot = ParallelParts(x, parts.mediators, y, a, sigma, s_my, s_yy, parts.n)
    grid = np.round(np.linspace(-0.6, 0.6, 121), 10) if rhos is None else np.asarray(rhos, dtype=float)
    alpha = (1 - level) / 2
    k = len(mediators)
    rows, zeros = [], []
    for j, m in enumerate(mediators):
        for r in grid:
            rho = np.zeros(k)
            rho[j] = r
            est = indirect_at_rhos(parts, rho)[j]
            dist = indirect_at_rhos(boot, rho, infeasible="nan")[:, j]
            lo, hi = np.nanquantile(dist, [alpha, 1 - alpha])
            rows.append(dict(mediator=m, rho=float(r), indirect=float(est), low=float(lo), high=float(hi),
                             feasible=float(np.mean(np.isfinite(dist)))))
        r0 = float(rho_zero_parallel(parts, j))
        r0_lo, r0_hi = np.quantile(rho_zero_parallel(boot, j), [alpha, 1 - alpha])
        at0 = indirect_at_rhos(boot, np.zeros(k))[:, j]
        lo0, hi0 = np.quantile(at0, [alpha, 1 - alpha])
        zeros.append(dict(mediator=m, indirect=float(indirect_at_rhos(parts, np.zeros(k))[j]), low=float(lo0),
                          high=float(hi0), rho_zero=r0, rho_zero_low=float(r0_lo), rho_zero_high=float(r0_hi),
                          partial_r2=float(partial_r2(r0)), n=parts.n))
    return pd.DataFrame(rows), pd.DataFrame(zeros)
