"""fit_model: its contract, its errors, and the statsmodels cross-check of ML path estimates."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from modeldata import make_fixture_data
from psyalliance import MODELS, fit_model
from psyalliance.sem.fitstats import FIT_KEYS
from psyalliance.sem.models import ConvergenceError, ModelError, model_variables

M1_EQUATIONS = [
    ("mystical_peak", ["alliance_prep"]),
    ("insight_peak", ["alliance_prep"]),
    ("hamd_4wk", ["mystical_peak", "insight_peak", "alliance_prep"]),
]


@pytest.fixture(scope="module")
def data():
    return make_fixture_data(seed=2, n=30)


@pytest.fixture(scope="module")
def m1(data):
    return fit_model("m1_mediation", data)


def test_registry_has_the_four_models():
    assert set(MODELS) == {"m1_mediation", "m2_cycle", "m3_durability", "murphy2022"}


@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.parametrize("missing", ["listwise", "fiml"])
def test_result_contract(data, name, missing):
    res = fit_model(name, data, missing=missing)
    assert list(res.estimates.columns) == ["lval", "op", "rval", "estimate", "std_estimate", "se", "z", "p"]
    assert tuple(res.fit) == FIT_KEYS
    assert res.syntax == MODELS[name].strip()
    _, endo, _ = model_variables(MODELS[name])
    assert list(res.r2.index) == endo
    assert ((res.r2 >= 0) & (res.r2 <= 1)).all()
    complete = data[list(res.observed)].dropna()
    assert res.fit["n"] == (len(complete) if missing == "listwise" else len(data))
    reg = res.estimates[res.estimates.op == "~"]
    np.testing.assert_allclose(reg.z, reg.estimate / reg.se, rtol=1e-6)


def test_ml_paths_equal_ols_and_ses_differ_by_the_known_factor(m1):
    """Saturated recursive model: ML = OLS per equation; SE_ML / SE_OLS = sqrt((n - k - 1) / n)."""
    d = m1.data
    n = len(d)
    for y, xs in M1_EQUATIONS:
        ols = sm.OLS(d[y], sm.add_constant(d[xs])).fit()
        k = len(xs)
        for x in xs:
            row = m1.estimates.query("lval == @y and op == '~' and rval == @x").iloc[0]
            assert row.estimate == pytest.approx(ols.params[x], abs=1e-6)
            assert row.se / ols.bse[x] == pytest.approx(np.sqrt((n - k - 1) / n), abs=1e-6)
        assert m1.r2[y] == pytest.approx(ols.rsquared, abs=1e-6)
        # the residual variance is RSS / n (ML), not RSS / (n - k - 1)
        var = m1.estimates.query("lval == @y and op == '~~' and rval == @y").estimate.iloc[0]
        assert var == pytest.approx(ols.ssr / n, rel=1e-6)


def test_residual_covariance_of_the_mediators_is_the_ols_residual_covariance(m1):
    d = m1.data
    r1 = sm.OLS(d["mystical_peak"], sm.add_constant(d[["alliance_prep"]])).fit().resid
    r2 = sm.OLS(d["insight_peak"], sm.add_constant(d[["alliance_prep"]])).fit().resid
    row = m1.estimates.query("lval == 'mystical_peak' and op == '~~' and rval == 'insight_peak'").iloc[0]
    assert row.estimate == pytest.approx(np.mean(r1 * r2), abs=1e-6)
    assert row.std_estimate == pytest.approx(np.corrcoef(r1, r2)[0, 1], abs=1e-6)


def test_standardized_simple_regression_is_the_correlation(m1):
    d = m1.data
    row = m1.estimates.query("lval == 'mystical_peak' and op == '~'").iloc[0]
    assert row.std_estimate == pytest.approx(np.corrcoef(d["alliance_prep"], d["mystical_peak"])[0, 1], abs=1e-6)
    resid = m1.estimates.query("lval == 'hamd_4wk' and op == '~~'").iloc[0]
    assert resid.std_estimate == pytest.approx(1 - m1.r2["hamd_4wk"], abs=1e-9)


def test_fiml_uses_every_case_and_has_means(data):
    res = fit_model("m1_mediation", data, missing="fiml")
    assert res.fit["n"] == len(data)
    assert (res.estimates.op == "~1").sum() == 4
    # a saturated model's means are the EM means
    assert res.fit["chisq"] == pytest.approx(0.0, abs=1e-6)


def test_unknown_model_lists_the_valid_names(data):
    with pytest.raises(ModelError, match="unknown model 'm9'.*m1_mediation, m2_cycle, m3_durability, murphy2022"):
        fit_model("m9", data)


def test_missing_columns_are_named(data):
    with pytest.raises(ModelError, match="insight_peak"):
        fit_model("m1_mediation", data.drop(columns=["insight_peak"]))


def test_bad_missing_option(data):
    with pytest.raises(ModelError, match="missing = 'pairwise'"):
        fit_model("m1_mediation", data, missing="pairwise")


def test_too_few_complete_rows(data):
    small = data.dropna(subset=["alliance_prep", "insight_peak", "mystical_peak"]).head(6)
    with pytest.raises(ModelError, match="too few usable rows.*6 row"):
        fit_model("m2_cycle", small)


def test_non_convergence_is_an_error(data, monkeypatch):
    import semopy
    from semopy.solver import SolverResult

    def no_luck(self, *args, **kwargs):
        return SolverResult(fun=np.inf, success=False, n_it=1, x=np.zeros(1), message="gave up", name_method="SLSQP")

    from psyalliance.sem import models

    monkeypatch.setattr(semopy.Model, "fit", no_luck)
    monkeypatch.setattr(models, "DEFAULT_ENGINE", "semopy")  # the numpy engine does not call semopy's fit
    with pytest.raises(ConvergenceError, match="did not converge"):
        fit_model("murphy2022", data)


def test_custom_syntax_and_latent_variables(data):
    res = fit_model("mine", data, syntax="hamd_12mo ~ alliance_post2")
    assert res.fit["df"] == 0
    with pytest.raises(ModelError, match="observed-variable"):
        fit_model("cfa", data, syntax="f =~ hamd_4wk + hamd_3mo + hamd_6mo")


def test_data_must_be_a_dataframe():
    with pytest.raises(ModelError, match="DataFrame"):
        fit_model("m1_mediation", np.zeros((5, 5)))


def test_chapter_tables(m1, data):
    from psyalliance.sem.models import compare_estimates, compare_with_semopy, fit_table, ols_crosscheck

    tab = ols_crosscheck(m1)
    np.testing.assert_allclose(tab["SE ratio"], tab["sqrt((n-k-1)/n)"], atol=1e-6)
    np.testing.assert_allclose(tab["ML estimate"], tab["OLS estimate"], atol=1e-6)
    cmp = compare_with_semopy(m1).set_index("statistic")
    assert cmp.loc["df", "semopy calc_stats"] - cmp.loc["df", "lavaan conventions"] == 1
    fiml = fit_model("m1_mediation", data, missing="fiml")
    both = compare_estimates(m1, fiml)
    assert len(both) == 5
    ft = fit_table({"listwise": m1, "fiml": fiml})
    assert list(ft.index) == ["listwise", "fiml"] and ft.loc["fiml", "npar"] == len(fiml.estimates)
    with pytest.raises(ModelError, match="listwise"):
        ols_crosscheck(fiml)


def test_non_numeric_column_is_an_error(data):
    bad = data.copy()
    bad["hamd_4wk"] = bad["hamd_4wk"].astype(str)
    with pytest.raises(ModelError, match="not numeric: hamd_4wk"):
        fit_model("murphy2022", bad)


def test_a_failed_polish_keeps_the_slsqp_solution(m1, monkeypatch):
    """If the trust-constr polish (run when SLSQP's point fails the optimum check) fails, SLSQP's point is kept."""
    import semopy
    from semopy.solver import SolverResult

    from psyalliance.sem import models
    from psyalliance.sem.syntax import read_syntax

    model = semopy.Model(models.semopy_description(read_syntax(MODELS["m1_mediation"])), mimic_lavaan=True,
                         cov_diag=True)
    assert models._fit_from(model, m1.data, "MLW", None) == ""
    slsqp = np.array(model.param_vals, dtype=float)
    original = semopy.Model.fit

    def flaky(self, *args, solver="SLSQP", **kwargs):
        res = original(self, *args, solver=solver, **kwargs)
        self.param_vals = self.param_vals + 1.0  # wander off
        self.update_matrices(self.param_vals)
        return SolverResult(fun=res.fun + 1, success=False, n_it=1, x=self.param_vals, message="lost",
                            name_method=solver)

    monkeypatch.setattr(semopy.Model, "fit", flaky)
    models._polish(model, m1.data, "MLW")
    np.testing.assert_array_equal(model.param_vals, slsqp)
    np.testing.assert_allclose(sorted(slsqp), sorted(m1.estimates.estimate), rtol=1e-4, atol=1e-4)


def test_path_t_tests_equal_statsmodels_ols(m1):
    """t tests of the paths are the per-equation OLS t tests (statsmodels), not semopy's z tests."""
    import statsmodels.api as sm

    from psyalliance.sem.models import path_tests

    tab = path_tests(m1)
    assert len(tab) == int((m1.estimates.op == "~").sum())
    d = m1.data
    for r in tab.itertuples():
        xs = list(tab.loc[tab.lval == r.lval, "rval"])
        ols = sm.OLS(d[r.lval], sm.add_constant(d[xs])).fit()
        assert r.df == ols.df_resid
        assert r.se == pytest.approx(ols.bse[r.rval], rel=1e-6)
        assert r.p == pytest.approx(ols.pvalues[r.rval], rel=1e-5)
    # the normal reference is more liberal: every z-test p is smaller than its t-test p
    z = m1.estimates[m1.estimates.op == "~"]["p"].to_numpy()
    assert (z < tab["p"].to_numpy()).all()


def test_path_tests_and_df_breakdown_need_listwise(data):
    from psyalliance.sem.models import df_breakdown, path_tests

    fiml = fit_model("murphy2022", data, missing="fiml")
    with pytest.raises(ModelError, match="listwise"):
        path_tests(fiml)
    with pytest.raises(ModelError, match="listwise"):
        df_breakdown(fiml)


def test_df_breakdown_of_m2_by_hand(data):
    """Six variables, one exogenous: 21 moments, 1 fixed, 8 paths + 5 variances + 1 covariance = 14."""
    from psyalliance.sem.models import df_breakdown

    res = fit_model("m2_cycle", data)
    got = df_breakdown(res)
    assert (got["moments"], got["exogenous_moments"], got["npar"], got["df"]) == (21, 1, 14, 6)
    assert got["df"] == res.fit["df"] and got["semopy_df"] == 7


def test_variance_table_has_no_tests(m1):
    from psyalliance.sem.models import variance_table

    tab = variance_table(m1)
    assert set(tab.op) == {"~~"} and "z" not in tab.columns and "p" not in tab.columns
    assert len(tab) == 4  # three residual variances, one residual covariance


def test_compare_fits_only_for_the_same_data(data):
    from psyalliance.sem.models import compare_fits

    a = fit_model("murphy2022", data)
    b = fit_model("murphy2022_direct", data, syntax=MODELS["murphy2022"] + "hamd_4wk ~ alliance_prep\n")
    tab = compare_fits(a, b, ("without", "with"))
    assert tab.loc["df", "difference"] == -1 and tab.loc["npar", "difference"] == 1
    # nested models: the chi-square difference is twice the log-likelihood gain
    assert -tab.loc["chisq", "difference"] == pytest.approx(2 * tab.loc["loglik", "difference"], rel=1e-6)
    with pytest.raises(ModelError, match="not comparable"):
        compare_fits(a, fit_model("murphy2022", data, missing="fiml"), ("listwise", "fiml"))


def test_glue_values_are_plain_python_numbers(m1):
    from psyalliance.sem.models import fit_glue_values

    vals = fit_glue_values({("m1_mediation", "listwise"): m1})
    assert vals["m1_mediation_listwise_df"] == 0 and type(vals["m1_mediation_listwise_df"]) is int
    assert type(vals["m1_mediation_listwise_aic"]) is float
    assert vals["m1_mediation_listwise_npar"] == len(m1.estimates)


def test_styled_tables_say_simulated_and_print_whole_numbers():
    from psyalliance.sem.models import styled

    t = pd.DataFrame({"df": [1.0, 6.0], "x": [0.123456, 2.0], "tiny": [1e-12, 3e-10]})
    html = styled(t, "Simulated data", integers=("df",), scientific=("tiny",)).to_html()
    assert ">6<" in html and "0.123" in html and "3.0e-10" in html and "1.000" not in html
    assert "0.12346" in styled(t, "simulated", digits={"x": 5}).to_html()
    with pytest.raises(ValueError, match="simulated"):
        styled(t, "Data")
    with pytest.raises(ValueError, match="not in the table"):
        styled(t, "simulated", integers=("nope",))


def test_estimate_tables_and_integer_rows(m1):
    from psyalliance.sem.models import estimate_tables, styled

    paths, variances = estimate_tables(m1, "M1")
    html = paths.to_html()
    assert "simulated" in html and "t test" in html
    assert "simulated" in variances.to_html() and ">z<" not in variances.to_html()
    t = pd.DataFrame({"a": [1.0, 0.5]}, index=["df", "cfi"])
    html = styled(t, "simulated", integer_rows=("df",)).to_html()
    assert ">1<" in html and "0.500" in html
    with pytest.raises(ValueError, match="rows"):
        styled(t, "simulated", integer_rows=("nope",))


def test_one_reader_for_fit_model_and_the_batched_estimator():
    """models.model_variables and paths.parse_model read the same syntax the same way."""
    from psyalliance.sem.paths import parse_model

    syntax = "m ~ x\ny1, y2 ~ m + x\ny3 ~ m"
    observed, endo, exo = model_variables(syntax)
    parsed = parse_model(syntax.replace("y3 ~ m", "y3 ~ m + x"))
    assert endo == ["m", "y1", "y2", "y3"] and exo == ["x"]
    assert set(parsed.endogenous) == set(endo) and parsed.exogenous == ("x",)
    with pytest.raises(ModelError, match="intercepts"):
        model_variables("y ~ 1 + x")


def test_fixed_zero_is_read_and_other_fixed_values_are_refused(data):
    res = fit_model("m1_zero", data, syntax=MODELS["m1_mediation"].replace("mystical_peak ~~ insight_peak",
                                                                           "mystical_peak ~~ 0*insight_peak"))
    assert res.fit["df"] == 1
    assert not ((res.estimates.op == "~~") & (res.estimates.lval != res.estimates.rval)).any()
    with pytest.raises(ModelError, match="only paths and covariances fixed at 0.*hamd_4wk ~ 0.5\\*alliance_prep"):
        fit_model("m", data, syntax="hamd_4wk ~ 0.5*alliance_prep + mystical_peak")


def test_fit_verdicts_say_saturated_for_m1_and_follow_the_chisq_for_the_rest(m1, data):
    from psyalliance.sem.models import fit_verdicts

    murphy = fit_model("murphy2022", data)
    table = fit_verdicts({"M1": m1, "Murphy": murphy})
    assert table.loc["M1", "in words"].startswith("saturated (0 df)") and table.loc["M1", "df"] == 0
    expected = "rejected" if murphy.fit["pvalue"] < 0.05 else "not rejected"
    assert table.loc["Murphy", "in words"].startswith(expected)
