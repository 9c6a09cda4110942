"""Imai et al.'s rho sensitivity: closed form against OLS at rho = 0 and a direct ML fit with the residual correlation fixed."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import optimize

from psyalliance.ignorability import indirect_at_rho, mediation_parts, rho_at_zero, sensitivity_curve
from psyalliance.simulate import load_dataset
from psyalliance.validation import SettingsError

X, M, Y = "alliance_prep", "mystical_peak", "hamd_4wk"


@pytest.fixture(scope="module")
def data():
    return load_dataset()[[X, M, Y]].dropna()


def ml_indirect_fixed_rho(d: pd.DataFrame, rho: float) -> float:
    """a*b by maximizing the normal likelihood of (M, Y | X) with corr(e_M, e_Y) fixed at rho."""
    x, m, y = (d[v].to_numpy(float) for v in (X, M, Y))

    def nll(t):
        a0, a, c0, c, b, ls_m, ls_y = t
        em, ey = m - a0 - a * x, y - c0 - c * x - b * m
        sm_, sy = np.exp(ls_m), np.exp(ls_y)
        cov = np.array([[sm_**2, rho * sm_ * sy], [rho * sm_ * sy, sy**2]])
        e = np.column_stack([em, ey])
        inv = np.linalg.inv(cov)
        return 0.5 * len(x) * np.linalg.slogdet(cov)[1] + 0.5 * np.einsum("ij,jk,ik->", e, inv, e)

    ols_m = sm.OLS(m, sm.add_constant(x)).fit()
    ols_y = sm.OLS(y, sm.add_constant(np.column_stack([x, m]))).fit()
    start = [*ols_m.params, ols_y.params[0], ols_y.params[1], ols_y.params[2],
             np.log(ols_m.resid.std()), np.log(ols_y.resid.std())]
    res = optimize.minimize(nll, start, method="BFGS", options={"gtol": 1e-10, "maxiter": 10_000})
    assert res.success or np.linalg.norm(res.jac) < 1e-4  # gradient by finite differences
    return res.x[1] * res.x[4]


def test_rho_zero_is_the_ols_indirect_effect(data):
    parts = mediation_parts(data, X, M, Y)
    a = sm.OLS(data[M], sm.add_constant(data[X])).fit().params[X]
    b = sm.OLS(data[Y], sm.add_constant(data[[X, M]])).fit().params[M]
    assert indirect_at_rho(parts, 0.0) == pytest.approx(a * b, rel=1e-10)


@pytest.mark.parametrize("rho", [-0.6, -0.2, 0.3, 0.7])
def test_closed_form_matches_ml_refit_with_fixed_residual_correlation(data, rho):
    parts = mediation_parts(data, X, M, Y)
    assert indirect_at_rho(parts, rho) == pytest.approx(ml_indirect_fixed_rho(data, rho), rel=1e-5, abs=1e-7)


def test_indirect_vanishes_at_rho_tilde(data):
    parts = mediation_parts(data, X, M, Y)
    r0 = rho_at_zero(parts)
    assert abs(indirect_at_rho(parts, r0)) < 1e-12
    assert abs(ml_indirect_fixed_rho(data, r0)) < 1e-5
    curve = sensitivity_curve(parts)
    # monotone in rho: the sign changes exactly once, at rho~
    s = np.sign(curve["indirect"].to_numpy())
    assert np.count_nonzero(np.diff(s)) == 1


def test_bad_rho_and_columns_are_refused(data):
    parts = mediation_parts(data, X, M, Y)
    with pytest.raises(SettingsError, match="strictly between -1 and 1"):
        indirect_at_rho(parts, 1.0)
    with pytest.raises(SettingsError, match="not in the data"):
        mediation_parts(data, X, "nope", Y)
    with pytest.raises(SettingsError, match="three different"):
        mediation_parts(data, X, X, Y)
