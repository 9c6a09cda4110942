"""The numpy ML engine (psyalliance.sem.mlfit) against independent references.

References: theory (FIML on complete data is listwise ML; a saturated recursive model's ML paths are the
per-equation OLS coefficients, its residual variances RSS / n); finite differences of the log-likelihood
(fitstats.numerical_gradient / numerical_hessian, which know nothing of the analytic formulas); the EM
algorithm (fitstats.em_saturated) for the saturated FIML model; lavaan's stored FIML estimates and
observed-information SEs of M1 (tests/lavaan/fiml_se/, `make lavaan-fiml-se`); semopy's optimizer (the
fallback engine) on every model of the lavaan reference.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from modeldata import make_fixture_data
from psyalliance import MODELS
from psyalliance.sem import fitstats, mlfit
from psyalliance.sem import lavaan as lav
from psyalliance.sem import models as models_module
from psyalliance.sem.models import ConvergenceError, fit_model

FIML_DIR = Path(__file__).resolve().parent / "lavaan" / "fiml_se"

M2_ROWS = [("~", "mystical_peak", "alliance_prep"), ("~", "insight_peak", "alliance_prep"),
           ("~", "alliance_post2", "mystical_peak"), ("~", "alliance_post2", "insight_peak"),
           ("~", "alliance_post2", "alliance_prep"), ("~", "hamd_4wk", "alliance_post2"),
           ("~", "hamd_12mo", "alliance_post2"), ("~", "hamd_12mo", "hamd_4wk"),
           ("~~", "mystical_peak", "insight_peak")]
M2_VARS = ["alliance_prep", "mystical_peak", "insight_peak", "alliance_post2", "hamd_4wk", "hamd_12mo"]


def _likelihood(missing, shared=False, seed=3):
    """M2 as PathLikelihood rows (variances added); ``shared``: the two a-paths share one parameter."""
    d = make_fixture_data(seed=seed, n=40, missing=missing == "fiml")
    x = d[M2_VARS].to_numpy(float)
    x = x[~np.isnan(x).all(axis=1)]
    rows = list(M2_ROWS) + [("~~", v, v) for v in M2_VARS[1:]]
    if missing == "fiml":
        rows += [("~~", "alliance_prep", "alliance_prep")] + [("~1", v, "") for v in M2_VARS]
    where = list(range(len(rows)))
    if shared:
        where = [0] + [w - 1 for w in where[1:]]
        where[1] = 0
    lik = mlfit.PathLikelihood(M2_VARS, rows, where, x, missing, exogenous=["alliance_prep"])
    mean, cov = fitstats.ml_moments(x) if missing == "listwise" else fitstats.em_saturated(x)
    return lik, lik.start(mean, cov)


@pytest.mark.parametrize("missing", ["listwise", "fiml"])
@pytest.mark.parametrize("shared", [False, True])
def test_analytic_gradient_equals_finite_differences(missing, shared):
    lik, theta = _likelihood(missing, shared)
    rng = np.random.default_rng(1)
    for _ in range(3):
        t = theta + rng.normal(scale=0.05, size=theta.size) * np.maximum(np.abs(theta), 0.1)
        fd = fitstats.numerical_gradient(lik.loglik, t)
        np.testing.assert_allclose(lik.gradient(t), fd, rtol=1e-6, atol=1e-6 * np.abs(fd).max())
        np.testing.assert_allclose(lik.gradient_batch(np.array([t, theta]))[0], lik.gradient(t), rtol=1e-12)


def test_observed_information_equals_the_finite_difference_hessian():
    lik, theta = _likelihood("fiml")
    theta, why = mlfit.maximise(lik, theta)
    assert why == ""
    fd = -fitstats.numerical_hessian(lik.loglik, theta)
    np.testing.assert_allclose(lik.observed_information(theta), fd, rtol=1e-5, atol=1e-6 * np.abs(fd).max())
    np.testing.assert_allclose(mlfit.numerical_hessian_batch(lik.loglik_batch, theta),
                               fitstats.numerical_hessian(lik.loglik, theta), rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(lik.numerical_gradient(theta), fitstats.numerical_gradient(lik.loglik, theta),
                               rtol=1e-10, atol=1e-9)


def test_expected_information_is_n_over_2_tr_w_d_w_d_with_numerical_derivatives():
    """Listwise: N/2 tr(W D_k W D_l) with D_k = dSigma/dtheta_k by central differences of the moments."""
    lik, theta = _likelihood("listwise")
    sigma = lik.moments(theta)[1]
    w = np.linalg.inv(sigma)
    h = 1e-6
    d = [(lik.moments(theta + h * e)[1] - lik.moments(theta - h * e)[1]) / (2 * h) for e in np.eye(theta.size)]
    ref = lik.n / 2 * np.array([[np.trace(w @ a @ w @ b) for b in d] for a in d])
    np.testing.assert_allclose(lik.expected_information(theta), ref, rtol=1e-7, atol=1e-9 * np.abs(ref).max())


def test_saturated_recursive_ml_is_per_equation_ols():
    """M1 is saturated: its listwise ML paths are the OLS coefficients, its residual variances RSS / n."""
    d = make_fixture_data(seed=7, n=30, missing=False)
    res = fit_model("m1_mediation", d)
    est = res.estimates.set_index(["lval", "op", "rval"])["estimate"]
    for y, xs in (("mystical_peak", ["alliance_prep"]), ("insight_peak", ["alliance_prep"]),
                  ("hamd_4wk", ["mystical_peak", "insight_peak", "alliance_prep"])):
        design = np.column_stack([np.ones(len(d))] + [d[v].to_numpy() for v in xs])
        beta, *_ = np.linalg.lstsq(design, d[y].to_numpy(), rcond=None)
        resid = d[y].to_numpy() - design @ beta
        np.testing.assert_allclose([est[y, "~", v] for v in xs], beta[1:], rtol=1e-10, atol=1e-12)
        assert est[y, "~~", y] == pytest.approx(resid @ resid / len(d), rel=1e-10)


def test_fiml_without_missing_values_is_listwise_ml():
    """With every value observed the casewise likelihood is the complete-data one: the same estimates, and
    FIML's log-likelihood is listwise's (conditional on the exogenous variable) plus the exogenous margin."""
    d = make_fixture_data(seed=11, n=50, missing=False)
    a, b = fit_model("m2_cycle", d), fit_model("m2_cycle", d, missing="fiml")
    assert b.measures.npar == a.measures.npar + 1 + 6  # + the exogenous variance and the six means
    keys = ["lval", "op", "rval"]
    both = a.estimates.merge(b.estimates, on=keys, suffixes=("_lw", "_fiml"))
    assert len(both) == len(a.estimates)
    np.testing.assert_allclose(both.estimate_fiml, both.estimate_lw, rtol=1e-8, atol=1e-10)
    x = d["alliance_prep"].to_numpy()
    margin = fitstats.loglik_complete(x[:, None], x.mean(keepdims=True), np.var(x).reshape(1, 1))
    assert b.fit["loglik"] == pytest.approx(a.fit["loglik"] + margin, rel=1e-10)
    assert b.fit["chisq"] == pytest.approx(a.fit["chisq"], rel=1e-8)


def test_saturated_moments_equal_the_em_algorithm():
    for seed in (1, 2, 3):
        d = make_fixture_data(seed=seed, n=30, missing=True)
        x = d[M2_VARS].to_numpy(float)
        x = x[~np.isnan(x).all(axis=1)]
        assert np.isnan(x).any()
        mean, cov = mlfit.saturated_moments(x)
        em_mean, em_cov = fitstats.em_saturated(x)
        np.testing.assert_allclose(mean, em_mean, atol=1e-9)
        np.testing.assert_allclose(cov, em_cov, atol=1e-9)


@pytest.mark.parametrize("dataset", ["mcar", "mar_outcome"])
def test_m1_fiml_estimates_and_ses_are_lavaans_stored_values(dataset):
    """lavaan sem(missing = "ml", fixed.x = FALSE, information = "observed"), tests/lavaan/fiml_se/reference.csv."""
    d = pd.read_csv(FIML_DIR / "data.csv")
    d = d[d["dataset"] == dataset].drop(columns="dataset")
    res = fit_model("m1_mediation", d, "fiml", ranges=False)
    ref = pd.read_csv(FIML_DIR / "reference.csv")
    ref = ref[(ref["dataset"] == dataset) & (ref["estimator"] == "fiml")].set_index("effect")
    paths = {"a1": ("mystical_peak", "alliance_prep"), "a2": ("insight_peak", "alliance_prep"),
             "b1": ("hamd_4wk", "mystical_peak"), "b2": ("hamd_4wk", "insight_peak"), "c": ("hamd_4wk", "alliance_prep")}
    est = res.estimates.set_index(["lval", "rval"])
    for label, key in paths.items():
        # lavaan's optimizer stops up to 2e-5 SE short of the maximum on these data (see test_robustness)
        assert est.loc[key, "estimate"] == pytest.approx(ref.loc[label, "est"], abs=1e-4 * ref.loc[label, "se"]), label
        assert est.loc[key, "se"] == pytest.approx(ref.loc[label, "se"], rel=1e-4), label


@pytest.mark.parametrize("name, estimator", [(r.name, e) for r in lav.reference_models().itertuples()
                                              for e in r.estimators.split(";")])
def test_numpy_and_semopy_engines_reach_the_same_fit(name, estimator):
    """semopy's optimizer, the cross-check: the same rows in the same order, the same numbers."""
    ours = lav.fit_reference_model(name, estimator)
    data = ours.data
    theirs = fit_model(name, data, estimator, syntax=ours.syntax, ranges=False, engine="semopy")
    cols = ["lval", "op", "rval"]
    assert ours.estimates[cols].equals(theirs.estimates[cols])
    for col in ("estimate", "se", "std_estimate"):
        np.testing.assert_allclose(ours.estimates[col], theirs.estimates[col], rtol=1e-5, atol=1e-7, err_msg=col)
    for key in ("chisq", "loglik", "cfi", "rmsea", "srmr"):
        assert ours.fit[key] == pytest.approx(theirs.fit[key], rel=1e-6, abs=1e-8), key


def test_the_semopy_model_of_a_numpy_fit_is_at_the_solution():
    """``model`` (semopy) is set to the numpy engine's solution: its inspect() lists those estimates, and
    calc_stats() prints what it prints after semopy's own fit."""
    d = make_fixture_data(seed=3, n=40, missing=True)
    res = fit_model("m1_mediation", d, "fiml")
    own = res.model.inspect(std_est=False)
    np.testing.assert_allclose(sorted(own["Estimate"].astype(float)), sorted(res.estimates.estimate), rtol=1e-12)
    theirs = fit_model("m1_mediation", d, "fiml", engine="semopy").semopy_stats  # calc_stats after semopy's fit
    for key in ("DoF", "chi2", "LogLik", "AIC"):
        assert res.semopy_stats[key] == pytest.approx(theirs[key], rel=1e-5, abs=1e-6), key


def test_an_engine_failure_falls_back_to_semopy_and_both_failing_is_an_error(monkeypatch):
    d = make_fixture_data(seed=3, n=40, missing=True)
    good = fit_model("m2_cycle", d, "fiml")
    monkeypatch.setattr(mlfit, "maximise", lambda lik, theta: (theta, "stalled on purpose"))
    back = fit_model("m2_cycle", d, "fiml")
    np.testing.assert_allclose(back.estimates.estimate, good.estimates.estimate, rtol=1e-6, atol=1e-8)
    assert back.model.last_result.name_method != "psyalliance.sem.mlfit"  # semopy's optimizer made this one
    from semopy.solver import SolverResult

    def no_luck(self, *args, **kwargs):
        return SolverResult(fun=np.inf, success=False, n_it=1, x=np.zeros(1), message="gave up", name_method="SLSQP")

    import semopy

    monkeypatch.setattr(semopy.Model, "fit", no_luck)
    with pytest.raises(ConvergenceError, match=r"numpy engine (stopped|cannot).*stalled on purpose.*semopy's starting values"):
        fit_model("m2_cycle", d, "fiml")


def test_a_point_short_of_the_maximum_fails_the_optimum_check_and_falls_back(monkeypatch):
    """The issue-16 check on the numpy engine's point: 0.05 off the maximum is refused, semopy refits."""
    d = make_fixture_data(seed=3, n=40, missing=False)
    good = fit_model("m3_durability", d)
    original = mlfit.maximise

    def short(lik, theta):
        out, why = original(lik, theta)
        return out + 0.05, why

    monkeypatch.setattr(mlfit, "maximise", short)
    back = fit_model("m3_durability", d)
    np.testing.assert_allclose(back.estimates.estimate, good.estimates.estimate, rtol=1e-6, atol=1e-8)
    assert back.model.last_result.name_method != "psyalliance.sem.mlfit"


def test_engine_errors_name_the_problem():
    x = np.random.default_rng(0).normal(size=(20, 2))
    with pytest.raises(mlfit.EngineError, match="feedback loop"):
        mlfit.PathLikelihood(["a", "b"], [("~", "a", "b"), ("~", "b", "a")], [0, 1], x, "listwise")
    with pytest.raises(mlfit.EngineError, match="only ~, ~~, ~1 rows"):
        mlfit.PathLikelihood(["a", "b"], [("=~", "a", "b")], [0], x, "listwise")
    with pytest.raises(mlfit.EngineError, match="not observed"):
        mlfit.PathLikelihood(["a", "b"], [("~", "a", "c")], [0], x, "listwise")
    with pytest.raises(mlfit.EngineError, match="fixes the exogenous"):
        mlfit.PathLikelihood(["a", "b"], [("~", "b", "a"), ("~~", "a", "a")], [0, 1], x, "listwise", exogenous=["a"])
    with pytest.raises(models_module.ModelError, match="engine = 'fast' is not one of numpy, semopy"):
        fit_model("m1_mediation", make_fixture_data(seed=1, n=30), engine="fast")


def test_models_registry_is_fitted_by_the_numpy_engine():
    d = make_fixture_data(seed=5, n=40, missing=True)
    for name in MODELS:
        for missing in ("listwise", "fiml"):
            assert fit_model(name, d, missing).model.last_result.name_method == "psyalliance.sem.mlfit", (name, missing)


def test_fit_result_keeps_its_fields_and_computes_semopy_stats_when_first_read(monkeypatch):
    import dataclasses

    assert [f.name for f in dataclasses.fields(models_module.FitResult)] == [
        "name", "syntax", "missing", "estimates", "fit", "r2", "measures", "observed", "exogenous", "endogenous",
        "implied_cov", "implied_mean", "data", "model", "semopy_stats"]
    calls = []
    original = models_module._semopy_stats
    monkeypatch.setattr(models_module, "_semopy_stats", lambda model: calls.append(model) or original(model))
    res = fit_model("m1_mediation", make_fixture_data(seed=2, n=30))
    assert calls == []  # the fit itself does not run calc_stats
    assert res.semopy_stats["DoF"] == res.semopy_stats["DoF"] and len(calls) == 1  # once, then kept
    given = dataclasses.replace(res, semopy_stats=pd.Series({"DoF": 7.0}))
    assert given.semopy_stats["DoF"] == 7.0 and len(calls) == 1
