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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from psyalliance.validation import SettingsError, check_data

__all__ = ["MediationParts", "mediation_parts", "indirect_at_rho", "rho_at_zero", "sensitivity_curve"]


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
    :func:`psyalliance.validation.check_data`; False for data on other scales).
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
