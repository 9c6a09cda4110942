"""Imai et al.'s rho sensitivity: closed form against OLS at rho = 0 and a direct ML fit with the residual correlation fixed."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import optimize

from psyalliance.errors import SettingsError
from psyalliance.simulation.simulate import load_dataset
from psyalliance.trust.ignorability import indirect_at_rho, mediation_parts, rho_at_zero, sensitivity_curve

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


# --------------------------------------------------------------------------- M1's two parallel mediators

from psyalliance.trust.ignorability import (  # noqa: E402
    indirect_at_rhos,
    parallel_parts,
    parallel_sensitivity,
    partial_r2,
    rho_zero_parallel,
)

MEDS = ("mystical_peak", "insight_peak")


@pytest.fixture(scope="module")
def data2():
    return load_dataset()[[X, *MEDS, Y]].dropna()


def ml_indirect_two_mediators(d: pd.DataFrame, rho: tuple[float, float]) -> np.ndarray:
    """(a1 b1, a2 b2) by maximizing the normal likelihood of (M1, M2, Y | X), corr(e_Mj, e_Y) fixed at rho_j.

    A second implementation: numerical ML over all 12 free parameters, no closed form.
    """
    x, m1, m2, y = (d[v].to_numpy(float) for v in (X, *MEDS, Y))

    def cov_of(t):
        s1, s2, sy = np.exp(t[8:11])
        r12 = np.tanh(t[11])
        sd = np.array([s1, s2, sy])
        r = np.array([[1, r12, rho[0]], [r12, 1, rho[1]], [rho[0], rho[1], 1]])
        return r * np.outer(sd, sd)

    def nll(t):
        a01, a1, a02, a2, c0, c, b1, b2 = t[:8]
        e = np.column_stack([m1 - a01 - a1 * x, m2 - a02 - a2 * x, y - c0 - c * x - b1 * m1 - b2 * m2])
        cov = cov_of(t)
        sign, logdet = np.linalg.slogdet(cov)
        if sign <= 0:
            return 1e10
        return 0.5 * len(x) * logdet + 0.5 * np.einsum("ij,jk,ik->", e, np.linalg.inv(cov), e)

    f1 = sm.OLS(m1, sm.add_constant(x)).fit()
    f2 = sm.OLS(m2, sm.add_constant(x)).fit()
    fy = sm.OLS(y, sm.add_constant(np.column_stack([x, m1, m2]))).fit()
    r12 = np.corrcoef(f1.resid, f2.resid)[0, 1]
    start = [*f1.params, *f2.params, *fy.params, np.log(f1.resid.std()), np.log(f2.resid.std()),
             np.log(fy.resid.std()), np.arctanh(r12)]
    res = optimize.minimize(nll, start, method="BFGS", options={"gtol": 1e-9, "maxiter": 20_000})
    res = optimize.minimize(nll, res.x, method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-12,
                                                                       "maxiter": 40_000})
    t = res.x
    return np.array([t[1] * t[6], t[3] * t[7]])


def test_parallel_at_rho_zero_is_the_ols_indirect_effects_of_m1(data2):
    parts = parallel_parts(data2, X, MEDS, Y)
    fy = sm.OLS(data2[Y], sm.add_constant(data2[[X, *MEDS]])).fit()
    for j, m in enumerate(MEDS):
        a = sm.OLS(data2[m], sm.add_constant(data2[X])).fit().params[X]
        assert indirect_at_rhos(parts, np.zeros(2))[j] == pytest.approx(a * fy.params[m], rel=1e-10)


@pytest.mark.parametrize("rho", [(0.3, 0.0), (0.0, -0.4), (-0.25, 0.2)])
def test_parallel_closed_form_matches_a_numerical_ml_refit(data2, rho):
    parts = parallel_parts(data2, X, MEDS, Y)
    closed = indirect_at_rhos(parts, np.array(rho))
    assert closed == pytest.approx(ml_indirect_two_mediators(data2, rho), rel=1e-4, abs=1e-4)


def test_one_mediator_reduces_to_imai_keele_tingley(data):
    one = parallel_parts(data, X, (M,), Y)
    parts = mediation_parts(data, X, M, Y)
    for r in (-0.5, 0.1, 0.6):
        assert indirect_at_rhos(one, np.array([r]))[0] == pytest.approx(indirect_at_rho(parts, r), rel=1e-10)
    assert float(rho_zero_parallel(one, 0)) == pytest.approx(rho_at_zero(parts), rel=1e-10)


def test_rho_zero_parallel_is_a_root_found_by_bisection(data2):
    parts = parallel_parts(data2, X, MEDS, Y)
    for j in range(2):
        def f(r, j=j):
            rho = np.zeros(2)
            rho[j] = r
            return indirect_at_rhos(parts, rho)[j]
        root = optimize.brentq(f, -0.85, 0.85, xtol=1e-13)
        assert float(rho_zero_parallel(parts, j)) == pytest.approx(root, abs=1e-9)


def test_the_right_rho_undoes_a_known_confounder():
    """A confounder U with partial R^2 of .27 on mediator 1 and on Y: rho = .27 recovers the true a1 b1."""
    rng = np.random.default_rng(7)
    n, r2 = 400_000, 0.27
    x = rng.standard_normal(n)
    u = rng.standard_normal(n)
    v = rng.multivariate_normal([0, 0], [[1, 0.4], [0.4, 1]], n)
    m1 = 0.5 * x + np.sqrt(r2) * u + np.sqrt(1 - r2) * v[:, 0]
    m2 = -0.4 * x + v[:, 1]
    y = 0.2 * x + 0.6 * m1 - 0.3 * m2 + np.sqrt(r2) * u + np.sqrt(1 - r2) * rng.standard_normal(n)
    d = pd.DataFrame({"x": x, "m1": m1, "m2": m2, "y": y})
    parts = parallel_parts(d, "x", ("m1", "m2"), "y", ranges=False)
    rho = float(np.sqrt(r2 * r2))
    assert float(partial_r2(rho)) == pytest.approx(r2)
    est = indirect_at_rhos(parts, np.array([rho, 0.0]))
    assert est == pytest.approx([0.5 * 0.6, 0.4 * 0.3], abs=0.01)
    assert abs(indirect_at_rhos(parts, np.zeros(2))[0] - 0.3) > 0.1  # ignoring U is badly biased


def test_parallel_sensitivity_bands_are_seeded_and_cover_the_estimate(data2):
    curve, zeros = parallel_sensitivity(data2, X, MEDS, Y, n_resamples=400, seed=3)
    again, _ = parallel_sensitivity(data2, X, MEDS, Y, n_resamples=400, seed=3)
    pd.testing.assert_frame_equal(curve, again)
    assert (curve["low"] <= curve["high"]).all()
    at0 = curve[curve["rho"] == 0].set_index("mediator")
    z = zeros.set_index("mediator")
    assert at0["indirect"].to_numpy() == pytest.approx(z["indirect"].to_numpy())
    assert ((z["rho_zero_low"] <= z["rho_zero"]) & (z["rho_zero"] <= z["rho_zero_high"])).all()


def test_parallel_bad_input_is_refused(data2):
    parts = parallel_parts(data2, X, MEDS, Y)
    with pytest.raises(SettingsError, match="one residual correlation per mediator"):
        indirect_at_rhos(parts, np.array([0.1]))
    with pytest.raises(SettingsError, match="not possible with these mediators"):
        indirect_at_rhos(parts, np.array([0.95, -0.95]))
    with pytest.raises(SettingsError, match="not a mediator index"):
        rho_zero_parallel(parts, 2)
    with pytest.raises(SettingsError, match="different columns"):
        parallel_parts(data2, X, (M, M), Y)


def test_parallel_rho_figure_has_a_panel_per_mediator_labelled_and_simulated(data2):
    import matplotlib.pyplot as plt

    from psyalliance.figures.robustplots import parallel_rho_figure

    curve, zeros = parallel_sensitivity(data2, X, MEDS, Y, n_resamples=200, seed=1)
    fig = parallel_rho_figure(curve, zeros, {"mystical_peak": "mystical experience"}, "M1, simulated data")
    assert len(fig.axes) == 2 and "simulated" in fig._suptitle.get_text()
    for ax, m, med in zip(fig.axes, ("mystical experience", "insight_peak"), MEDS):
        assert ax.get_xlabel() and ax.get_ylabel() and m in ax.get_title()
        # the dashed line sits at the rho that erases the effect
        dashed = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
        r0 = zeros.set_index("mediator").loc[med, "rho_zero"]
        assert len(dashed) == 1 and np.allclose(dashed[0].get_xdata(), r0)
    plt.close(fig)
