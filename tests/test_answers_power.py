"""Expected answers of chapter 09's predict-and-check exercises, against the closed-form power of a slope."""

import numpy as np
from scipy import stats

from psyalliance.teaching.answers import POWER_REPS
from psyalliance.teaching.selfcheck import expected


def _exact_slope_power(n: int, r: float) -> float:
    """Power of the two-sided .05 t test of a simple-regression slope, noncentral t with n - 2 df (fixed X)."""
    df = n - 2
    nc = r * np.sqrt(n - 1) / np.sqrt(1 - r**2)
    crit = stats.t.ppf(0.975, df)
    return float(stats.nct.sf(crit, df, nc) + stats.nct.cdf(-crit, df, nc))


def test_answers_are_the_power_of_path_a_within_monte_carlo_error():
    for label, n, r in (("ex-09-5", 48, 0.4), ("ex-09-6", 24, 0.2)):
        value = expected(label)
        exact = _exact_slope_power(n, r)
        # random X makes the power a little lower than fixed-X theory; 4 Monte Carlo SEs plus 0.03
        assert abs(value - exact) < 4 * np.sqrt(exact * (1 - exact) / POWER_REPS) + 0.03, (label, value, exact)
