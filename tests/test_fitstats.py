"""Fit statistics under lavaan conventions, pinned to values derived independently of the package.

References used: the ML discrepancy written out with numpy; the likelihood-ratio
identity for recursive path models (chi-square = N * sum over equations of
log(RSS_model / RSS_saturated), from per-equation least squares); scipy's
multivariate normal density for the log-likelihood.
"""

import numpy as np
import pytest
from scipy import stats

from modeldata import make_fixture_data
from psyalliance.sem import fitstats
from psyalliance.sem.models import fit_model


def _rss(d, y, xs):
    x = np.column_stack([np.ones(len(d))] + [d[v].to_numpy() for v in xs])
    beta, *_ = np.linalg.lstsq(x, d[y].to_numpy(), rcond=None)
    r = d[y].to_numpy() - x @ beta
    return float(r @ r)


@pytest.fixture(scope="module")
def data():
    return make_fixture_data(seed=3, n=40, missing=True)


def test_saturated_model_has_zero_chisq_and_df(data):
    res = fit_model("m1_mediation", data)
    assert res.fit["df"] == 0
    assert res.fit["chisq"] == pytest.approx(0.0, abs=1e-8)
    assert res.fit["cfi"] == pytest.approx(1.0, abs=1e-9) and res.fit["tli"] == 1.0 and res.fit["rmsea"] == 0.0
    assert res.fit["srmr"] == pytest.approx(0.0, abs=1e-6)


def test_chisq_by_hand_from_implied_and_sample_covariance(data):
    """Murphy structure x -> m -> y: implied Sigma built from OLS by hand, F_ML written out."""
    res = fit_model("murphy2022", data)
    d = res.data
    x, m, y = d["alliance_prep"].to_numpy(), d["mystical_peak"].to_numpy(), d["hamd_4wk"].to_numpy()
    n = len(d)
    a = np.cov(x, m, bias=True)[0, 1] / np.var(x)
    b = np.cov(m, y, bias=True)[0, 1] / np.var(m)
    psi_m = np.var(m) - a**2 * np.var(x)
    psi_y = np.var(y) - b**2 * np.var(m)
    vx = np.var(x)
    vm = a**2 * vx + psi_m
    sigma = np.array([
        [vx, a * vx, a * b * vx],
        [a * vx, vm, b * vm],
        [a * b * vx, b * vm, b**2 * vm + psi_y],
    ])
    s = np.cov(np.column_stack([x, m, y]), rowvar=False, bias=True)
    f = np.log(np.linalg.det(sigma)) + np.trace(s @ np.linalg.inv(sigma)) - np.log(np.linalg.det(s)) - 3
    assert res.fit["chisq"] == pytest.approx(n * f, rel=1e-6)
    assert res.fit["df"] == 1
    assert res.fit["pvalue"] == pytest.approx(stats.chi2.sf(n * f, 1), rel=1e-5)


@pytest.mark.parametrize(
    "name, equations",
    [
        # (model equations, saturated equations in the same causal order)
        ("murphy2022", [("mystical_peak", ["alliance_prep"], ["alliance_prep"]),
                        ("hamd_4wk", ["mystical_peak"], ["mystical_peak", "alliance_prep"])]),
        ("m3_durability", [("hamd_3mo", ["alliance_post2", "hamd_4wk"], ["alliance_post2", "hamd_4wk"]),
                           ("hamd_6mo", ["alliance_post2", "hamd_3mo"], ["alliance_post2", "hamd_4wk", "hamd_3mo"]),
                           ("hamd_12mo", ["alliance_post2", "hamd_6mo"],
                            ["alliance_post2", "hamd_4wk", "hamd_3mo", "hamd_6mo"])]),
        ("m2_cycle", [("alliance_post2", ["mystical_peak", "insight_peak", "alliance_prep"],
                       ["mystical_peak", "insight_peak", "alliance_prep"]),
                      ("hamd_4wk", ["alliance_post2"], ["alliance_post2", "mystical_peak", "insight_peak", "alliance_prep"]),
                      ("hamd_12mo", ["alliance_post2", "hamd_4wk"],
                       ["alliance_post2", "hamd_4wk", "mystical_peak", "insight_peak", "alliance_prep"])]),
    ],
)
def test_chisq_equals_likelihood_ratio_of_least_squares_equations(data, name, equations):
    res = fit_model(name, data)
    d = res.data
    n = len(d)
    expected = sum(n * np.log(_rss(d, y, xs) / _rss(d, y, sat)) for y, xs, sat in equations)
    assert res.fit["chisq"] == pytest.approx(expected, rel=1e-6)
    # degrees of freedom: the paths left out of the saturated model
    assert res.fit["df"] == sum(len(sat) - len(xs) for _, xs, sat in equations)


def test_semopy_df_is_too_large_by_the_exogenous_moments(data):
    for name in ("murphy2022", "m2_cycle", "m3_durability", "m1_mediation"):
        res = fit_model(name, data)
        k = len(res.exogenous)
        assert res.semopy_stats["DoF"] - res.fit["df"] == k * (k + 1) // 2


def test_listwise_loglik_is_conditional_on_the_exogenous_variables(data):
    """lavaan's logl under fixed.x = TRUE: the joint normal density minus the exogenous variables' own."""
    res = fit_model("m3_durability", data)
    x = res.data.to_numpy()
    joint = stats.multivariate_normal(mean=x.mean(axis=0), cov=res.implied_cov.to_numpy()).logpdf(x).sum()
    e = [res.observed.index(v) for v in res.exogenous]
    xe = x[:, e]
    marginal = stats.multivariate_normal(mean=xe.mean(axis=0), cov=np.cov(xe, rowvar=False, bias=True)).logpdf(xe).sum()
    ll = joint - marginal
    assert res.fit["loglik"] == pytest.approx(ll, rel=1e-10)
    npar = len(res.estimates)
    assert res.fit["aic"] == pytest.approx(-2 * ll + 2 * npar, rel=1e-10)
    assert res.fit["bic"] == pytest.approx(-2 * ll + np.log(len(x)) * npar, rel=1e-10)


def test_fiml_loglik_sums_the_observed_parts_of_each_case(data):
    res = fit_model("m2_cycle", data, missing="fiml")
    mu, sigma = res.implied_mean.to_numpy(), res.implied_cov.to_numpy()
    total = 0.0
    for row in res.data.to_numpy():
        o = ~np.isnan(row)
        total += stats.multivariate_normal(mean=mu[o], cov=sigma[np.ix_(o, o)]).logpdf(row[o])
    assert res.fit["loglik"] == pytest.approx(total, rel=1e-10)
    assert res.fit["n"] == len(data)


def test_saturated_fiml_model_reaches_the_em_likelihood(data):
    """Two optimizers, one answer: semopy's FIML fit of a saturated model and the EM algorithm."""
    res = fit_model("m1_mediation", data, missing="fiml")
    assert res.fit["df"] == 0
    assert res.fit["chisq"] == pytest.approx(0.0, abs=1e-6)
    assert res.measures.loglik_h1 == pytest.approx(res.fit["loglik"], abs=1e-6)


def test_em_on_complete_data_returns_the_sample_moments():
    x = make_fixture_data(seed=5, n=30, missing=False)[["alliance_prep", "hamd_4wk", "mystical_peak"]].to_numpy()
    mean, cov = fitstats.em_saturated(x)
    np.testing.assert_allclose(mean, x.mean(axis=0), atol=1e-12)
    np.testing.assert_allclose(cov, np.cov(x, rowvar=False, bias=True), atol=1e-10)


def test_fiml_equals_listwise_on_complete_data():
    d = make_fixture_data(seed=11, n=50, missing=False)
    a, b = fit_model("m3_durability", d), fit_model("m3_durability", d, missing="fiml")
    assert a.fit["chisq"] == pytest.approx(b.fit["chisq"], rel=1e-6)
    assert a.fit["df"] == b.fit["df"]
    # listwise logLik is conditional on the exogenous variables (fixed.x = TRUE), FIML's is the joint one
    e = [b.observed.index(v) for v in b.exogenous]
    xe = b.data.to_numpy()[:, e]
    marginal = stats.multivariate_normal(mean=xe.mean(axis=0), cov=np.cov(xe, rowvar=False, bias=True)).logpdf(xe).sum()
    assert a.fit["loglik"] == pytest.approx(b.fit["loglik"] - marginal, rel=1e-9)
    assert a.fit["rmsea"] == pytest.approx(b.fit["rmsea"], rel=1e-5, abs=1e-9)


def test_baseline_of_fixed_x_keeps_the_exogenous_block(data):
    res = fit_model("m2_cycle", data)
    s = np.cov(res.data.to_numpy(), rowvar=False, bias=True)
    # one exogenous variable: the independence model is the diagonal of S
    expected = len(res.data) * (np.sum(np.log(np.diag(s))) - np.linalg.slogdet(s)[1])
    assert res.measures.baseline_chisq == pytest.approx(expected, rel=1e-10)
    p = s.shape[0]
    assert res.measures.baseline_df == p * (p + 1) // 2 - 1 - (p - 1)


def test_cfi_tli_rmsea_formulas():
    assert fitstats.cfi(10.0, 4, 100.0, 10) == pytest.approx(1 - 6 / 90)
    assert fitstats.tli(10.0, 4, 100.0, 10) == pytest.approx((100 / 10 - 10 / 4) / (100 / 10 - 1))
    assert fitstats.rmsea(10.0, 4, 50) == pytest.approx(np.sqrt(6 / 200))
    assert fitstats.rmsea(3.0, 4, 50) == 0.0


def test_rmsea_interval_inverts_the_noncentral_chi_square():
    chisq, df, n = 25.0, 8, 100
    low, high = fitstats.rmsea_ci(chisq, df, n)
    assert low < fitstats.rmsea(chisq, df, n) < high
    assert stats.ncx2.cdf(chisq, df, low**2 * n * df) == pytest.approx(0.95, abs=1e-8)
    assert stats.ncx2.cdf(chisq, df, high**2 * n * df) == pytest.approx(0.05, abs=1e-8)
    assert fitstats.rmsea_ci(1.0, 8, 100) == (0.0, 0.0)


def test_srmr_by_hand():
    s = np.array([[1.0, 0.5], [0.5, 2.0]])
    sigma = np.array([[1.0, 0.2], [0.2, 2.0]])
    assert fitstats.srmr(s, sigma) == pytest.approx(np.sqrt((0.3 / np.sqrt(2)) ** 2 / 3))


# --------------------------------------------------------------------------- fit in words

def _row(**over):
    """A hand-made fit row with every index on the good side of its conventional cut-off."""
    row = {"n": 500, "df": 20, "pvalue": 0.30, "cfi": 0.99, "tli": 0.99, "rmsea": 0.02, "srmr": 0.03}
    row.update(over)
    return row


def test_verdict_chisq_is_rejected_below_alpha_and_not_at_it():
    assert fitstats.fit_verdict(_row(pvalue=0.0499)).startswith("rejected at .05 by the chi-square test")
    assert fitstats.fit_verdict(_row(pvalue=0.010)).startswith("rejected at .05")
    assert fitstats.fit_verdict(_row(pvalue=0.05)).startswith("not rejected at .05")
    # a p that prints as 0.050 but is below .05 gets a fourth decimal, so the words and the number agree
    assert "p = 0.0499" in fitstats.fit_verdict(_row(pvalue=0.0499))


@pytest.mark.parametrize("key, good, bad, good_words, bad_words", [
    ("cfi", 0.95, 0.949, "CFI = 0.950, at or above 0.95", "CFI = 0.949, below 0.95"),
    ("tli", 0.95, 0.949, "TLI = 0.950, at or above 0.95", "TLI = 0.949, below 0.95"),
    ("rmsea", 0.06, 0.061, "RMSEA = 0.060, at or below 0.06", "RMSEA = 0.061, above 0.06"),
    ("srmr", 0.08, 0.081, "SRMR = 0.080, at or below 0.08", "SRMR = 0.081, above 0.08"),
])
def test_verdict_each_index_at_and_just_past_its_cutoff(key, good, bad, good_words, bad_words):
    assert good_words in fitstats.fit_verdict(_row(**{key: good}))
    assert bad_words in fitstats.fit_verdict(_row(**{key: bad}))


def test_verdict_judges_an_index_as_printed():
    """0.9496 prints as 0.950, so it must not be called 'below 0.95' next to that number."""
    assert "CFI = 0.950, at or above 0.95" in fitstats.fit_verdict(_row(cfi=0.9496))


def test_verdict_warns_at_small_n_or_small_df_only():
    weak = "this judgement is weak"
    assert weak not in fitstats.fit_verdict(_row(n=500, df=20))
    assert weak in fitstats.fit_verdict(_row(n=24, df=20))
    assert weak in fitstats.fit_verdict(_row(n=500, df=1))
    text = fitstats.fit_verdict(_row(n=24, df=2, pvalue=0.01, cfi=0.93, rmsea=0.197))
    assert text.startswith("rejected at .05") and "With n = 24 and 2 df" in text and "RMSEA is unstable" in text
    assert "rejects too often" in text and "little power" not in text
    assert "not rejecting is weak evidence" in fitstats.fit_verdict(_row(n=24, df=2, pvalue=0.2))


def test_verdict_of_a_saturated_model_says_it_cannot_be_tested():
    text = fitstats.fit_verdict(_row(df=0, pvalue=float("nan"), cfi=1.0, tli=1.0, rmsea=0.0, srmr=0.0))
    assert text.startswith("saturated (0 df)") and "cannot test it" in text


def test_verdict_of_real_fits_matches_the_chisq_test(data):
    for name in ("m2_cycle", "murphy2022"):
        fit = fit_model(name, data).fit
        words = fitstats.fit_verdict(fit)
        assert words.startswith("rejected" if fit["pvalue"] < 0.05 else "not rejected")


@pytest.mark.parametrize("over, match", [
    ({"pvalue": 1.5}, "pvalue = 1.5 is outside its range 0-1"),
    ({"cfi": -0.1}, "cfi = -0.1 is outside"),
    ({"rmsea": -0.01}, "rmsea = -0.01 is outside"),
    ({"df": 1.5}, "df = 1.5 must be a whole number"),
    ({"n": 0}, "n = 0 must be a whole number of cases"),
])
def test_verdict_refuses_impossible_values(over, match):
    with pytest.raises(ValueError, match=match):
        fitstats.fit_verdict(_row(**over))


def test_verdict_names_missing_keys():
    row = _row()
    del row["srmr"]
    with pytest.raises(ValueError, match="missing: srmr"):
        fitstats.fit_verdict(row)


def test_verdict_cutoffs_are_the_ones_typed_in_data():
    """The literature cut-offs live once, in data/fit_cutoffs.yaml; fit_verdict's defaults are read from it."""
    import yaml

    from psyalliance.sem.fitstats import CUTOFFS, CUTOFFS_PATH

    typed = {r["index"]: r["cutoff"] for r in yaml.safe_load(CUTOFFS_PATH.read_text())["cutoffs"]}
    assert typed == {"cfi": CUTOFFS.cfi, "tli": CUTOFFS.tli, "rmsea": CUTOFFS.rmsea, "srmr": CUTOFFS.srmr}
