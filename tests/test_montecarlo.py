"""The batched path-model estimator, the Monte Carlo experiment and the bootstrap.

References are independent of the code under test: semopy's ML fit, statsmodels'
OLS, populations built from known structural coefficients, the facts file's
sample sizes, and the textbook power of a Pearson correlation test.
"""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import semopy
import statsmodels.api as sm
from scipy import stats

from psyalliance.facts import load_facts
from psyalliance.models import MODELS
from psyalliance.montecarlo import (
    MissingPattern,
    MonteCarloSettings,
    bootstrap_indirect,
    bootstrap_reference_loop,
    facts_pattern,
    fit_batch,
    fit_dataframe,
    get_model,
    montecarlo_ci,
    parse_model,
    population_values,
    run_montecarlo,
)


def random_data(model, n, seed):
    m = get_model(model)
    rng = np.random.default_rng(seed)
    p = len(m.variables)
    a = rng.normal(size=(p, p))
    cov = a @ a.T + p * np.eye(p)
    x = rng.multivariate_normal(rng.normal(size=p) * 3, cov, size=n)
    return pd.DataFrame(x, columns=m.variables)


def structural_population(model, coef, resvar, rescov=None, extra=()):
    """Population moments of ``model`` from known path coefficients: Sigma = (I - B)^-1 Psi (I - B)^-T.

    Exogenous variables have unit variance and (if several) correlation 0.3.
    ``extra`` adds independent unit-variance variables (other columns the Monte Carlo draws).
    """
    m = get_model(model)
    names = list(m.variables) + [v for v in extra if v not in m.variables]
    pos = {v: i for i, v in enumerate(names)}
    k = len(names)
    b = np.zeros((k, k))
    for (label, y, x) in m.paths:
        b[pos[y], pos[x]] = coef[label]
    psi = np.eye(k)
    q = len(m.exogenous)
    for i in range(q):
        for j in range(q):
            if i != j:
                psi[i, j] = 0.3
    for y, v in resvar.items():
        psi[pos[y], pos[y]] = v
    for (y1, y2), v in (rescov or {}).items():
        psi[pos[y1], pos[y2]] = psi[pos[y2], pos[y1]] = v
    inv = np.linalg.inv(np.eye(k) - b)
    cov = pd.DataFrame(inv @ psi @ inv.T, index=names, columns=names)
    return SimpleNamespace(cov=cov, means=pd.Series(np.arange(k, dtype=float), index=names))


M1_TRUE = {"a1": 0.5, "a2": 0.4, "b1": -0.3, "b2": -0.5, "c": -0.2}
M1_RESVAR = {"mystical_peak": 0.75, "insight_peak": 0.84, "hamd_4wk": 0.6}
M1_RESCOV = {("mystical_peak", "insight_peak"): 0.3}


@pytest.fixture(scope="module")
def m1_population():
    return structural_population("m1_mediation", M1_TRUE, M1_RESVAR, M1_RESCOV)


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


# --------------------------------------------------------------------------- settings


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"reps": 0}, "reps = 0"),
        ({"alpha": 0.0}, "alpha = 0.0"),
        ({"alpha": 1.5}, "alpha = 1.5"),
        ({"n": 2}, "n = 2"),
        ({"n": 24.5}, "n = 24.5"),
        ({"models": ("m9",)}, "unknown model 'm9'"),
        ({"inference": "bayes"}, "inference = 'bayes'"),
        ({"missing": "mar"}, "missing = 'mar'"),
        ({"indirect_ci": "boot"}, "indirect_ci = 'boot'"),
        ({"mc_draws": 10}, "mc_draws = 10"),
        ({"mar_strength": -1.0}, "mar_strength = -1.0"),
    ],
)
def test_bad_settings_raise_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MonteCarloSettings(**kwargs)


def test_n_smaller_than_the_parameters_is_a_clear_error(m1_population):
    # 9 participants, no missing data: just enough for M1 (9 parameters)
    run_montecarlo(MonteCarloSettings(n=9, reps=5, models=("m1_mediation",), missing="none"), m1_population, correlations=False)
    with pytest.raises(ValueError, match="= 8 is smaller than the 9 free parameters of model 'm1_mediation'"):
        run_montecarlo(MonteCarloSettings(n=8, reps=5, models=("m1_mediation",), missing="none"), m1_population, correlations=False)
    # with the study's pattern a third of the rows lack insight: 12 participants leave 8 complete rows
    assert facts_pattern().n_complete(12, get_model("m1_mediation").variables) == 8
    with pytest.raises(ValueError, match=r"n after listwise deletion \(n = 12, m1_mediation\) = 8 is smaller"):
        run_montecarlo(MonteCarloSettings(n=12, reps=5, models=("m1_mediation",), missing="facts"), m1_population, correlations=False)


# --------------------------------------------------------------------------- missing-data pattern


def test_facts_pattern_reproduces_the_published_sample_sizes():
    facts = load_facts()
    pat = facts_pattern(facts)
    n = int(facts.value("design", "n_analysed"))
    for x, y, n_pub in zip(facts.correlations["x"], facts.correlations["y"], facts.correlations["n"]):
        assert pat.n_pairwise(n, x, y) == n_pub, (x, y)
    # M1 needs preparation alliance, both acute effects and 4-week depression: 24 - 8 insight missing
    assert pat.n_complete(n, get_model("m1_mediation").variables) == n - int(facts.value("missing", "insight"))


def test_pattern_scales_with_n_and_keeps_proportions():
    pat = facts_pattern()
    for n in (24, 48, 100, 500):
        rows = pat.rows(n, ["alliance_prep", "insight_peak", "hamd_4wk"])
        assert rows.shape == (n, 3)
        assert rows[:, 2].all()
        assert abs((~rows[:, 1]).mean() - 8 / 24) <= 1 / n
        assert abs((~rows[:, 0]).mean() - 4 / 24) <= 1 / n
    assert MissingPattern.complete(["a"]).rows(10, ["a", "b"]).all()


# --------------------------------------------------------------------------- Monte Carlo


def test_same_seed_same_results_different_seed_different(m1_population):
    s = MonteCarloSettings(n=30, reps=300, seed=11, models=("m1_mediation",), missing="facts")
    extra = structural_population("m1_mediation", M1_TRUE, M1_RESVAR, M1_RESCOV)
    a = run_montecarlo(s, extra, correlations=False, keep_estimates=True)
    b = run_montecarlo(s, extra, correlations=False, keep_estimates=True)
    np.testing.assert_array_equal(a.estimates["m1_mediation"], b.estimates["m1_mediation"])
    pd.testing.assert_frame_equal(a.summary, b.summary)
    c = run_montecarlo(MonteCarloSettings(**{**s.__dict__, "seed": 12}), extra, correlations=False, keep_estimates=True)
    assert not np.array_equal(a.estimates["m1_mediation"], c.estimates["m1_mediation"])
    # the chunk size (memory use) does not change the draws
    d = run_montecarlo(MonteCarloSettings(**{**s.__dict__, "chunk_cells": 1000}), extra, correlations=False, keep_estimates=True)
    np.testing.assert_array_equal(a.estimates["m1_mediation"], d.estimates["m1_mediation"])


def test_recovery_at_n_500(m1_population):
    r = run_montecarlo(MonteCarloSettings(n=500, reps=2000, seed=3, models=("m1_mediation",), missing="facts"), m1_population, correlations=False)
    s = r.summary.set_index("effect")
    for label, value in M1_TRUE.items():
        assert s.loc[label, "population"] == pytest.approx(value, abs=1e-12)
    # mean estimate within 4 Monte Carlo standard errors of the population value
    assert (s["bias"].abs() < 4 * s["mcse_mean"]).all(), s[["bias", "mcse_mean"]]
    # coverage of the 95% intervals near .95 (paths: exact t intervals; indirect: delta method, large n)
    assert (s["coverage"] - 0.95).abs().max() < 0.02, s["coverage"]
    # the SEs describe the spread of the estimates
    np.testing.assert_allclose(s["mean_se"], s["sd"], rtol=0.08)


def test_path_coverage_is_exact_even_at_small_n(m1_population):
    # the OLS t interval is exact under normality, whatever n; the ML z interval is too narrow at small n
    t = run_montecarlo(MonteCarloSettings(n=16, reps=4000, seed=8, models=("m1_mediation",), missing="none"), m1_population, correlations=False)
    z = run_montecarlo(MonteCarloSettings(n=16, reps=4000, seed=8, models=("m1_mediation",), missing="none", inference="z"), m1_population, correlations=False)
    paths_t = t.summary[t.summary["kind"] == "path"]
    paths_z = z.summary[z.summary["kind"] == "path"]
    assert ((paths_t["coverage"] - 0.95).abs() < 4 * paths_t["mcse_coverage"] + 1e-9).all()
    assert (paths_z["coverage"] < 0.94).all()


def test_correlation_power_matches_the_textbook_formula():
    # bivariate normal, rho = 0.5, n = 20: power of the two-sided t test of r, by Fisher's z approximation
    names = ["x", "y"]
    rho, n, reps = 0.5, 20, 20000
    pop = SimpleNamespace(cov=pd.DataFrame([[1, rho], [rho, 1]], index=names, columns=names), means=pd.Series([0.0, 0.0], index=names))
    from psyalliance import montecarlo as mc

    table = pd.DataFrame({"x": ["x"], "y": ["y"], "r": [rho], "p": [0.01], "n": [n]})
    orig = mc.published_correlations
    mc.published_correlations = lambda: table
    try:
        r = run_montecarlo(MonteCarloSettings(n=n, reps=reps, seed=1, models=(), missing="none"), pop)
    finally:
        mc.published_correlations = orig
    zc = stats.norm.ppf(0.975)
    expected = stats.norm.sf(zc - np.arctanh(rho) * np.sqrt(n - 3))
    assert r.correlations["power"].iloc[0] == pytest.approx(expected, abs=0.02)
    assert r.all_correlations == r.correlations["power"].iloc[0]


# --------------------------------------------------------------------------- bootstrap


def test_batched_bootstrap_equals_the_slow_loop():
    df = random_data("m1_mediation", 24, 9)
    df.loc[:5, "insight_peak"] = np.nan
    fast = bootstrap_indirect(df, resamples=150, seed=4)
    slow = bootstrap_reference_loop(df, resamples=150, seed=4)
    assert fast.n == slow.n == 18
    np.testing.assert_allclose(fast.draws, slow.draws, rtol=1e-9, atol=1e-12)
    pd.testing.assert_frame_equal(fast.ci, slow.ci, rtol=1e-9)
    other = bootstrap_indirect(df, resamples=150, seed=5)
    assert not np.array_equal(fast.draws, other.draws)


def test_bootstrap_ci_brackets_the_estimate_and_matches_delta_at_large_n(m1_population):
    rng = np.random.default_rng(2)
    cov = m1_population.cov.to_numpy()
    df = pd.DataFrame(rng.multivariate_normal(np.zeros(len(cov)), cov, size=2000), columns=m1_population.cov.index)
    boot = bootstrap_indirect(df, resamples=2000, seed=1)
    fit = fit_dataframe("m1_mediation", df)
    for i, name in enumerate(get_model("m1_mediation").chain_names):
        lo, hi = boot.ci.loc[name]
        assert lo < boot.estimate[name] < hi
        # at n = 2000 the bootstrap SD is close to the delta-method SE
        assert boot.draws[:, 5 + i].std() == pytest.approx(fit.se_indirect_z[i], rel=0.1)


def test_committed_dataset_pattern_reproduces_the_published_sample_sizes():
    from psyalliance.montecarlo import DATASET_PATH

    if not DATASET_PATH.exists():
        pytest.skip("no committed simulated dataset")
    facts = load_facts()
    pat = MissingPattern.from_dataset()
    n = int(facts.value("design", "n_analysed"))
    for x, y, n_pub in zip(facts.correlations["x"], facts.correlations["y"], facts.correlations["n"]):
        assert pat.n_pairwise(n, x, y) == n_pub, (x, y)
    for name in ("m1_mediation", "m2_cycle"):
        assert pat.n_complete(n, get_model(name).variables) == facts_pattern(facts).n_complete(n, get_model(name).variables)


def test_run_over_n_stacks_the_sample_sizes(m1_population):
    from psyalliance.montecarlo import run_over_n

    out = run_over_n((24, 48), reps=20, seed=1, population=m1_population, models=("m1_mediation",), missing="facts", progress=True)
    assert sorted(out["n"].unique()) == [24, 48]
    cc = out.groupby("n")["n_complete"].first()
    assert cc[24] == 16 and cc[48] == 32  # a third lack insight at every n
    again = run_over_n((24, 48), reps=20, seed=1, population=m1_population, models=("m1_mediation",), missing="facts", progress=False)
    pd.testing.assert_frame_equal(out, again)


def test_montecarlo_ci_reduces_to_the_normal_interval_when_one_path_is_known():
    # with se(b1) = 0 the product a1*b1 is b1 times a normal variable: its interval is b1 * (a1 -/+ 1.96 se(a1))
    m = get_model("m1_mediation")
    coef = np.array([[0.5, 0.4, 2.0, -3.0, 0.1]])
    se = np.array([[0.2, 0.1, 0.0, 0.0, 0.3]])
    z = np.random.default_rng(0).standard_normal((400_000, len(m.paths)))
    lo, hi = montecarlo_ci(m, coef, se, z=z, alpha=0.05)
    zc = stats.norm.ppf(0.975)
    i = m.chain_names.index("a1*b1")
    assert lo[0, i] == pytest.approx(2.0 * (0.5 - zc * 0.2), abs=0.005)
    assert hi[0, i] == pytest.approx(2.0 * (0.5 + zc * 0.2), abs=0.005)
    j = m.chain_names.index("a2*b2")  # negative b2 flips the interval
    assert lo[0, j] == pytest.approx(-3.0 * (0.4 + zc * 0.1), abs=0.005)
    assert hi[0, j] == pytest.approx(-3.0 * (0.4 - zc * 0.1), abs=0.005)


def test_montecarlo_ci_in_the_experiment_is_reproducible_and_covers(m1_population):
    s = MonteCarloSettings(n=60, reps=3000, seed=4, models=("m1_mediation",), missing="none", indirect_ci="montecarlo", mc_draws=500)
    a = run_montecarlo(s, m1_population, correlations=False)
    b = run_montecarlo(s, m1_population, correlations=False)
    pd.testing.assert_frame_equal(a.summary, b.summary)
    ind = a.summary[a.summary["kind"] == "indirect"]
    assert ((ind["coverage"] - 0.95).abs() < 0.02).all(), ind
    with pytest.raises(ValueError, match="exactly one"):
        montecarlo_ci("m1_mediation", np.zeros((1, 5)), np.ones((1, 5)))
    # the paths do not depend on how the indirect effects are tested
    sob = run_montecarlo(MonteCarloSettings(**{**s.__dict__, "indirect_ci": "sobel"}), m1_population, correlations=False)
    pd.testing.assert_frame_equal(a.summary[a.summary["kind"] == "path"], sob.summary[sob.summary["kind"] == "path"])


def test_missingness_on_the_outcome_biases_listwise_deletion(m1_population):
    # MAR on 4-week depression (always observed): those with higher scores lose their insight rating.
    # Listwise deletion then selects on the outcome, which biases the slopes of its equation;
    # under MCAR the same deletion is harmless.
    base = dict(n=500, reps=1500, seed=6, models=("m1_mediation",), missing="facts")
    mcar = run_montecarlo(MonteCarloSettings(**base), m1_population, correlations=False).summary.set_index("effect")
    mar = run_montecarlo(MonteCarloSettings(**base, mar_on="hamd_4wk", mar_strength=3.0), m1_population, correlations=False).summary.set_index("effect")
    assert (mcar["bias"].abs() < 4 * mcar["mcse_mean"]).all()
    assert abs(mar.loc["b2", "bias"]) > 8 * mar.loc["b2", "mcse_mean"]
    assert mar.loc["b2", "coverage"] < 0.9
    with pytest.raises(ValueError, match="mar_on = 'insight_peak' has missing values"):
        run_montecarlo(MonteCarloSettings(**{**base, "reps": 5}, mar_on="insight_peak"), m1_population, correlations=False)
