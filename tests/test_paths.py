"""The batched path-model estimator (psyalliance.sem.paths): parser, and agreement with semopy and statsmodels.

References are independent of the code under test: semopy's ML fit with a tight
tolerance, statsmodels' OLS, the Sobel formula by hand, and populations built
from known structural coefficients.
"""

import numpy as np
import pandas as pd
import pytest
import semopy
import statsmodels.api as sm

from pathdata import M1_TRUE, m1_population, random_data  # noqa: F401  (fixture)
from psyalliance.sem.paths import fit_batch, fit_dataframe, get_model, parse_model, population_values
from psyalliance.sem.registry import MODELS

# --------------------------------------------------------------------------- parser


def test_parser_reads_labels_order_and_chains():
    m = get_model("m1_mediation")
    assert m.path_names == ("a1", "a2", "b1", "b2", "c")
    assert m.exogenous == ("alliance_prep",)
    assert m.covariances == (("mystical_peak", "insight_peak"),)
    assert set(m.chain_names) == {"a1*b1", "a2*b2"}
    m2 = get_model("m2_cycle")
    assert {"a1*b1*d1", "a2*b2*d1", "c*d1", "c*d2", "c*d1*e"} <= set(m2.chain_names)
    # unlabelled paths are named outcome~predictor
    assert "hamd_3mo~hamd_4wk" in get_model("m3_durability").path_names
    # parameter counts of the covariance structure, counted by hand
    assert m.n_params == 5 + 3 + 1
    assert m2.n_params == 8 + 5 + 1


@pytest.mark.parametrize(
    "syntax, message",
    [
        ("y ~ x\nx ~ y", "not recursive"),
        ("f =~ a + b", "unsupported"),
        ("y ~ a*x + a*z", "more than one path"),
        ("y ~ x\nz ~ w\ny ~~ z", "different predictors"),
        ("y ~ 2x", "cannot parse"),
    ],
)
def test_parser_rejects_what_it_cannot_fit(syntax, message):
    with pytest.raises(ValueError, match=message):
        parse_model(syntax, "bad")


def test_unknown_model_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown model 'nope'.*m1_mediation"):
        get_model("nope")


# --------------------------------------------------------------------------- estimator vs semopy / statsmodels


@pytest.mark.parametrize("name", list(MODELS))
def test_estimator_agrees_with_semopy_ml(name):
    m = get_model(name)
    for seed in (1, 2):
        df = random_data(name, 80, seed)
        sem = semopy.Model(MODELS[name])
        res = sem.fit(df, tol=1e-12, options={"ftol": 1e-14, "maxiter": 10_000})
        assert res.success
        ins = sem.inspect()
        fit = fit_dataframe(name, df)
        reg = ins[ins["op"] == "~"]
        for i, (label, y, x) in enumerate(m.paths):
            row = reg[(reg["lval"] == y) & (reg["rval"] == x)].iloc[0]
            assert fit.coef[i] == pytest.approx(row["Estimate"], abs=1e-6), (name, label)
            assert fit.se_z[i] == pytest.approx(float(row["Std. Err"]), rel=1e-4), (name, label)
        var = ins[ins["op"] == "~~"]
        for e, y in enumerate(m.endogenous):
            row = var[(var["lval"] == y) & (var["rval"] == y)].iloc[0]
            assert fit.resvar[e] == pytest.approx(row["Estimate"], rel=1e-6), (name, y)
        for c, (y1, y2) in enumerate(m.covariances):
            row = var[((var["lval"] == y1) & (var["rval"] == y2)) | ((var["lval"] == y2) & (var["rval"] == y1))].iloc[0]
            assert fit.rescov[c] == pytest.approx(row["Estimate"], abs=1e-6), (name, y1, y2)


@pytest.mark.parametrize("name", list(MODELS))
def test_ols_standard_errors_agree_with_statsmodels(name):
    m = get_model(name)
    df = random_data(name, 30, 7)
    fit = fit_dataframe(name, df)
    j = 0
    for eq in m.equations:
        ols = sm.OLS(df[eq.outcome], sm.add_constant(df[list(eq.predictors)])).fit()
        k = len(eq.predictors)
        np.testing.assert_allclose(fit.coef[j : j + k], ols.params.iloc[1:], rtol=1e-10)
        np.testing.assert_allclose(fit.se_t[j : j + k], ols.bse.iloc[1:], rtol=1e-10)
        assert fit.df[j] == ols.df_resid
        j += k


def test_sobel_standard_error_by_hand():
    df = random_data("murphy2022", 40, 3)
    fa = sm.OLS(df["mystical_peak"], sm.add_constant(df[["alliance_prep"]])).fit()
    fb = sm.OLS(df["hamd_4wk"], sm.add_constant(df[["mystical_peak"]])).fit()
    a, b, sa, sb = fa.params.iloc[1], fb.params.iloc[1], fa.bse.iloc[1], fb.bse.iloc[1]
    fit = fit_dataframe("murphy2022", df)
    assert fit.indirect[0] == pytest.approx(a * b, rel=1e-10)
    assert fit.se_indirect_t[0] == pytest.approx(np.sqrt(a**2 * sb**2 + b**2 * sa**2), rel=1e-10)


def test_batched_fit_equals_one_sample_at_a_time():
    name = "m2_cycle"
    m = get_model(name)
    rng = np.random.default_rng(5)
    x = rng.normal(size=(7, 25, len(m.variables))) + rng.normal(size=len(m.variables))
    batch = fit_batch(name, x)
    for r in range(7):
        one = fit_dataframe(name, pd.DataFrame(x[r], columns=m.variables))
        np.testing.assert_allclose(batch.coef[r], one.coef, rtol=1e-12)
        np.testing.assert_allclose(batch.indirect[r], one.indirect, rtol=1e-12)


def test_population_values_recover_the_structural_coefficients(m1_population):
    truth = population_values("m1_mediation", m1_population.cov)
    for label, value in M1_TRUE.items():
        assert truth[label] == pytest.approx(value, abs=1e-12)
    assert truth["a1*b1"] == pytest.approx(M1_TRUE["a1"] * M1_TRUE["b1"], abs=1e-12)
    assert truth["a2*b2"] == pytest.approx(M1_TRUE["a2"] * M1_TRUE["b2"], abs=1e-12)


def test_listwise_deletion_and_too_few_rows():
    df = random_data("m1_mediation", 30, 4)
    df.loc[:21, "insight_peak"] = np.nan  # 22 rows lost, 8 left < 9 parameters
    with pytest.raises(ValueError, match="n after listwise deletion = 8 is smaller than the 9 free parameters"):
        fit_dataframe("m1_mediation", df)


def test_both_multi_outcome_spellings_read_alike():
    """lavaan's `y1 + y2 ~ x` and semopy's `y1, y2 ~ x`: one reader, one model."""
    a, b = parse_model("y1 + y2 ~ x + z"), parse_model("y1, y2 ~ x + z")
    assert a.equations == b.equations
    assert [eq.outcome for eq in a.equations] == ["y1", "y2"]


def test_pure_outcomes_get_their_residual_covariance_as_in_lavaan():
    """auto.cov.y: two outcomes that predict nothing have a free residual covariance unless fixed at 0."""
    assert parse_model("m ~ x\ny1 ~ m\ny2 ~ m").covariances == (("y1", "y2"),)
    assert parse_model("m ~ x\ny1 ~ m\ny2 ~ m\ny1 ~~ 0*y2").covariances == ()
    with pytest.raises(ValueError, match="auto.cov.y.*y1 ~~ 0\\*y2"):
        parse_model("m ~ x\ny1 ~ m\ny2 ~ m + x")
    with pytest.raises(ValueError, match="fixed values.*fit_model"):
        parse_model("y ~ 0.5*x")


# --------------------------------------------------------------------------- the bootstrap's fast pieces


def test_spd_solve_agrees_with_lapack_and_falls_back_on_a_singular_system():
    from psyalliance.sem.paths import spd_solve

    rng = np.random.default_rng(3)
    for k in (1, 2, 3, 5):
        g = rng.standard_normal((200, k + 4, k))
        a = np.swapaxes(g, -1, -2) @ g  # positive definite
        b = rng.standard_normal((200, k))
        assert np.allclose(spd_solve(a, b), np.linalg.solve(a, b[..., None])[..., 0], rtol=1e-12, atol=1e-12)
    # an indefinite system (no Cholesky factor) is solved by LAPACK instead, an exactly singular one refused
    a = np.array([[[1.0, 2.0], [2.0, 1.0]]])
    assert np.allclose(spd_solve(a, np.array([[1.0, 0.0]])), np.linalg.solve(a[0], [1.0, 0.0]))
    with pytest.raises(np.linalg.LinAlgError):
        spd_solve(np.zeros((1, 2, 2)), np.ones((1, 2)))


def test_weighted_covariance_and_estimates_equal_a_fit_of_the_resampled_rows():
    from psyalliance.sem.paths import effect_estimates, fit_moments, ml_cov, weighted_ml_cov

    m = get_model("m2_cycle")
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 20, len(m.variables))) * 10 + 20  # scores far from 0, as the HAM-D's
    idx = rng.integers(0, 20, size=(3, 50, 20))
    counts = np.stack([[np.bincount(row, minlength=20) for row in sample] for sample in idx])
    resampled = x[np.arange(3)[:, None, None], idx]  # (3, 50, 20, p): the rows themselves
    cov = weighted_ml_cov(x, counts)
    assert np.allclose(cov, ml_cov(resampled), rtol=1e-12, atol=1e-10)
    f = fit_moments(m, ml_cov(resampled), 20)
    assert np.allclose(effect_estimates(m, cov), np.concatenate([f.coef, f.indirect], axis=-1), rtol=1e-10, atol=1e-12)
