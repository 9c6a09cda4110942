"""Power of the Murphy et al. (2022) mediation X -> M -> Y by n: a Monte Carlo, and its closed-form companion.

* :func:`mediation_power`: power (0-1) of path a and of the indirect effect a*b (Sobel test) at each n, from
  :func:`psyalliance.trust.montecarlo.run_montecarlo` on the standardized population of
  :func:`mediation_population`;
* :func:`approximate_mediation_power`: the same from the normal approximation (:func:`normal_power` of
  :func:`mediation_noncentrality`).

Chapter 9's figure of these numbers is :func:`psyalliance.figures.powerplots.mediation_power_figure`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from psyalliance.sem.paths import get_model
from psyalliance.trust.montecarlo import MonteCarloSettings, run_montecarlo

__all__ = ["mediation_population", "mediation_power", "normal_power", "mediation_noncentrality",
           "approximate_mediation_power"]


def mediation_population(effect: float):
    """A standardized population for the Murphy et al. (2022) model X -> M -> Y with a = b = ``effect``, no direct path.

    Variables: alliance_prep (X), mystical_peak (M), hamd_4wk (Y), all variance 1.
    """
    if not 0 <= effect < 1:
        raise ValueError(f"effect = {effect!r} must be a standardized path in [0, 1)")
    from types import SimpleNamespace

    names = list(get_model("murphy2022").variables)
    a = b = effect
    cov = np.array([[1, a, a * b], [a, 1, b], [a * b, b, 1]])
    return SimpleNamespace(cov=pd.DataFrame(cov, index=names, columns=names), means=pd.Series(0.0, index=names))


def mediation_power(ns: Sequence[int], effect: float, reps: int = 2000, seed: int = 1, alpha: float = 0.05) -> pd.DataFrame:
    """Power of path a and of the indirect effect a*b (Sobel test) by n, complete data."""
    pop = mediation_population(effect)
    rows = []
    for n in ns:
        res = run_montecarlo(
            MonteCarloSettings(n=int(n), reps=reps, seed=seed, alpha=alpha, models=("murphy2022",), missing="none", progress=False),
            pop,
            correlations=False,
        )
        s = res.summary.set_index("effect")
        rows.append({"n": int(n), "a": s.loc["a", "power"], "a*b": s.loc["a*b", "power"]})
    return pd.DataFrame(rows)


def normal_power(noncentrality: float, alpha: float = 0.05) -> float:
    """Power of a two-sided z test whose statistic is N(noncentrality, 1): Phi(lambda - z) + Phi(-lambda - z).

    ``z`` is the 1 - alpha/2 normal quantile; ``alpha`` in (0, 1). The power
    (0-1) of a test whose noncentrality grows like sqrt(n) rises along this curve.
    """
    from scipy import stats

    if not 0 < alpha < 1:
        raise ValueError(f"alpha = {alpha!r} must lie strictly between 0 and 1")
    z = stats.norm.ppf(1 - alpha / 2)
    lam = float(noncentrality)
    return float(stats.norm.cdf(lam - z) + stats.norm.cdf(-lam - z))


def mediation_noncentrality(n: int, effect: float) -> dict[str, float]:
    """Approximate noncentralities of the tests of path a and of a*b (Sobel) in X -> M -> Y with a = b = ``effect``.

    Standardized variables (:func:`mediation_population`), each equation with
    one predictor and n - 2 residual df. Path a: its t statistic is about
    a sqrt(n - 2) / sqrt(1 - a^2). Indirect effect: Sobel's z = ab / sqrt(b^2
    SE_a^2 + a^2 SE_b^2) with SE_a^2 = (1 - a^2)/(n - 2) and SE_b^2 = (1 -
    b^2)/(n - 2), which for a = b is a sqrt(n - 2) / sqrt(2 (1 - a^2)). Both
    grow with sqrt(n): four times the participants, twice the noncentrality.
    ``effect`` in (0, 1), ``n`` >= 3. The t statistic of path a is close to
    N(lambda, 1); Sobel's z is not: its estimated SE moves with the estimates,
    and for a = b its first-order SD is 1/2, so :func:`normal_power` overstates
    the power of a*b when lambda < 1.96 and understates it above.
    """
    if not 0 < effect < 1:
        raise ValueError(f"effect = {effect!r} must be a standardized path in (0, 1)")
    if int(n) != n or n < 3:
        raise ValueError(f"n = {n!r} must be a whole number >= 3 (one predictor and n - 2 residual df)")
    root = np.sqrt(n - 2) * effect / np.sqrt(1 - effect**2)
    return {"a": float(root), "a*b": float(root / np.sqrt(2))}


def approximate_mediation_power(ns: Sequence[int], effect: float, alpha: float = 0.05) -> pd.DataFrame:
    """:func:`normal_power` of path a and of a*b at each n: the closed-form companion of :func:`mediation_power`.

    Columns ``n``, ``a``, ``a*b`` (power, 0-1), like :func:`mediation_power`.
    """
    rows = []
    for n in ns:
        lam = mediation_noncentrality(int(n), effect)
        rows.append({"n": int(n), "a": normal_power(lam["a"], alpha), "a*b": normal_power(lam["a*b"], alpha)})
    return pd.DataFrame(rows)
