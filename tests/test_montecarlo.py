"""The Monte Carlo experiment: settings, missing-data pattern, reproducibility, recovery, coverage.

References are independent of the code under test: populations built from
known structural coefficients, the facts file's sample sizes, and the textbook
power of a Pearson correlation test.
"""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pathdata import M1_RESCOV, M1_RESVAR, M1_TRUE, m1_population, random_data, structural_population  # noqa: F401
from psyalliance.sem.paths import get_model
from psyalliance.sem.registry import MODELS
from psyalliance.study.facts import load_facts
from psyalliance.trust.montecarlo import (
    MissingPattern,
    MonteCarloSettings,
    compare_intervals,
    facts_pattern,
    interval_table,
    min_n,
    montecarlo_ci,
    n_for_power,
    n_for_power_text,
    percentile_bootstrap,
    run_montecarlo,
)

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


def test_correlation_power_matches_the_textbook_formula(monkeypatch):
    # bivariate normal, rho = 0.5, n = 20: power of the two-sided t test of r, by Fisher's z approximation
    names = ["x", "y"]
    rho, n, reps = 0.5, 20, 20000
    pop = SimpleNamespace(cov=pd.DataFrame([[1, rho], [rho, 1]], index=names, columns=names), means=pd.Series([0.0, 0.0], index=names))
    from psyalliance.trust import montecarlo as mc

    table = pd.DataFrame({"x": ["x"], "y": ["y"], "r": [rho], "p": [0.01], "n": [n]})
    monkeypatch.setattr(mc, "published_correlations", lambda: table)
    r = run_montecarlo(MonteCarloSettings(n=n, reps=reps, seed=1, models=(), missing="none"), pop)
    zc = stats.norm.ppf(0.975)
    expected = stats.norm.sf(zc - np.arctanh(rho) * np.sqrt(n - 3))
    assert r.correlations["power"].iloc[0] == pytest.approx(expected, abs=0.02)
    assert r.all_correlations == r.correlations["power"].iloc[0]


# --------------------------------------------------------------------------- dataset pattern


def test_committed_dataset_pattern_reproduces_the_published_sample_sizes():
    from psyalliance.trust.montecarlo import DATASET_PATH

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
    from psyalliance.trust.montecarlo import run_over_n

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


# --------------------------------------------------------------------------- percentile bootstrap


def _m1_effects_by_lstsq(x):
    """M1's paths and chains of one sample (columns alliance_prep, mystical_peak, insight_peak, hamd_4wk), by numpy lstsq."""
    ones = np.ones((len(x), 1))

    def slopes(y, cols):
        return np.linalg.lstsq(np.hstack([ones, x[:, cols]]), x[:, y], rcond=None)[0][1:]

    (a1,) = slopes(1, [0])
    (a2,) = slopes(2, [0])
    b1, b2, c = slopes(3, [1, 2, 0])
    return np.array([a1, a2, b1, b2, c, a1 * b1, a2 * b2])


def test_percentile_bootstrap_equals_a_loop_of_regressions_on_the_same_resamples():
    m = get_model("m1_mediation")
    assert m.variables == ("alliance_prep", "mystical_peak", "insight_peak", "hamd_4wk")
    data = np.stack([random_data("m1_mediation", 18, seed).to_numpy() for seed in (1, 2, 3)])
    idx = np.random.default_rng(5).integers(0, 18, size=(3, 300, 18))
    lo, hi = percentile_bootstrap(m, data, idx=idx, block=2)
    for r in range(3):
        est = np.array([_m1_effects_by_lstsq(data[r][idx[r, b]]) for b in range(300)])
        np.testing.assert_allclose(lo[r], np.quantile(est, 0.025, axis=0), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(hi[r], np.quantile(est, 0.975, axis=0), rtol=1e-9, atol=1e-12)


def test_percentile_bootstrap_bad_input_is_a_clear_error():
    with pytest.raises(ValueError, match="needs \\(reps, n, 4\\)"):
        percentile_bootstrap("m1_mediation", np.zeros((2, 20, 3)), rng=np.random.default_rng(1))
    with pytest.raises(ValueError, match="pass rng"):
        percentile_bootstrap("m1_mediation", np.zeros((2, 20, 4)))
    with pytest.raises(ValueError, match="alpha = 2"):
        percentile_bootstrap("m1_mediation", np.zeros((2, 20, 4)), rng=np.random.default_rng(1), alpha=2)
    with pytest.raises(ValueError, match="boot_resamples = 10"):
        MonteCarloSettings(indirect_ci="bootstrap", boot_resamples=10)


def test_bootstrap_coverage_of_an_indirect_effect_is_near_nominal_at_moderate_n():
    # X -> M -> Y with a = b = 0.4, complete data, n = 100: the percentile interval of a*b is close to
    # its promise; at this n the paths' t intervals stay exact (they do not depend on indirect_ci)
    from psyalliance.trust.power import mediation_population

    pop = mediation_population(0.4)
    s = MonteCarloSettings(n=100, reps=400, seed=2, models=("murphy2022",), missing="none", indirect_ci="bootstrap", boot_resamples=400)
    r = run_montecarlo(s, pop, correlations=False).summary.set_index("effect")
    assert r.loc["a*b", "population"] == pytest.approx(0.16)
    assert abs(r.loc["a*b", "coverage"] - 0.95) < 4 * np.sqrt(0.95 * 0.05 / 400)
    assert r.loc["a*b", "power"] > 0.9  # a*b = 0.16 at n = 100 is found almost always
    again = run_montecarlo(s, pop, correlations=False).summary.set_index("effect")
    pd.testing.assert_frame_equal(r, again)


# --------------------------------------------------------------------------- helpers of the chapter


def test_min_n_is_the_smallest_sample_that_identifies_the_model():
    for name in ("m1_mediation", "m2_cycle"):
        m = get_model(name)
        assert min_n(m, MissingPattern.complete(m.variables)) == m.n_params
        pat = facts_pattern()
        n = min_n(m, pat)
        assert pat.n_complete(n, m.variables) >= m.n_params > pat.n_complete(n - 1, m.variables)
    # a third lack insight: 9 complete rows for M1 need 13 or 14 participants (2/3 of 13 = 8.7 rounds to 9)
    assert min_n("m1_mediation", facts_pattern()) in (13, 14)
    with pytest.raises(ValueError, match="n_max = 10"):
        min_n("m2_cycle", facts_pattern(), n_max=10)


def test_n_for_power_reads_the_grid():
    summary = pd.DataFrame({"model": "m", "effect": ["a"] * 3 + ["b"] * 3, "n": [24, 50, 100] * 2,
                            "power": [0.5, 0.79, 0.95, 0.1, 0.2, 0.3]})
    assert n_for_power(summary, "m", "a") == 100
    assert n_for_power(summary, "m", "a", target=0.5) == 24
    assert n_for_power(summary, "m", "b") is None
    assert n_for_power_text(summary, "m", "b") == "more than 100"
    assert n_for_power_text(summary, "m", "a") == "100"
    with pytest.raises(ValueError, match="no effect 'c'"):
        n_for_power(summary, "m", "c")
    with pytest.raises(ValueError, match="target = 1.5"):
        n_for_power(summary, "m", "a", target=1.5)


def test_compare_intervals_puts_methods_side_by_side(m1_population):
    s = MonteCarloSettings(n=40, reps=200, seed=1, models=("m1_mediation",), missing="none")
    sob = run_montecarlo(s, m1_population, correlations=False)
    mc = run_montecarlo(MonteCarloSettings(**{**s.__dict__, "indirect_ci": "montecarlo", "mc_draws": 200}), m1_population, correlations=False)
    t = compare_intervals({"Sobel": sob, "MC": mc}, "m1_mediation")
    assert list(t.index) == ["a1*b1", "a2*b2"]
    assert list(t.columns) == ["Sobel coverage", "Sobel coverage MCSE", "Sobel power", "MC coverage", "MC coverage MCSE", "MC power"]
    p = t.loc["a2*b2", "Sobel coverage"]
    assert t.loc["a2*b2", "Sobel coverage MCSE"] == pytest.approx(np.sqrt(p * (1 - p) / 200))
    assert t.attrs["reps"] == {"Sobel": 200, "MC": 200}
    with pytest.raises(ValueError, match="no indirect effects of model 'm2_cycle'"):
        compare_intervals({"Sobel": sob}, "m2_cycle")


def test_interval_table_sobel_limits_match_statsmodels_and_bootstrap_matches_effects():
    import statsmodels.api as sm

    from psyalliance.sem.effects import BootstrapSettings, bootstrap_effects
    from psyalliance.sem.registry import EFFECTS

    df = random_data("m1_mediation", 30, 4)
    bs = BootstrapSettings(n_resamples=1000, seed=3)
    t = interval_table("m1_mediation", df, bs, ranges=False)  # standard-normal test data, off the instruments' scales
    assert list(t.index) == ["a1*b1", "a2*b2"] and (t["n"] == 30).all()
    ols = {y: sm.OLS(df[y], sm.add_constant(df[xs])).fit() for y, xs in
           [("mystical_peak", ["alliance_prep"]), ("insight_peak", ["alliance_prep"]),
            ("hamd_4wk", ["mystical_peak", "insight_peak", "alliance_prep"])]}
    a, sa = ols["insight_peak"].params["alliance_prep"], ols["insight_peak"].bse["alliance_prep"]
    b, sb = ols["hamd_4wk"].params["insight_peak"], ols["hamd_4wk"].bse["insight_peak"]
    half = stats.norm.ppf(0.975) * np.sqrt(b**2 * sa**2 + a**2 * sb**2)
    assert t.loc["a2*b2", "estimate"] == pytest.approx(a * b)
    assert t.loc["a2*b2", "Sobel lower"] == pytest.approx(a * b - half)
    assert t.loc["a2*b2", "Sobel upper"] == pytest.approx(a * b + half)
    ref = bootstrap_effects(MODELS["m1_mediation"], df, EFFECTS["m1_mediation"], bs, ranges=False).set_index("effect")
    assert t.loc["a2*b2", "percentile lower"] == pytest.approx(ref.loc["a2*b2", "pct_low"])
    assert t.loc["a1*b1", "BCa upper"] == pytest.approx(ref.loc["a1*b1", "bca_high"])
    with pytest.raises(ValueError, match="level must be 1 - alpha"):
        interval_table("m1_mediation", df, bs, alpha=0.1, ranges=False)


def test_sorted_quantiles_are_numpys_quantiles_bit_for_bit():
    from psyalliance.trust.montecarlo import _quantiles

    x = np.random.default_rng(8).standard_normal((30, 1000, 3))
    x[2, 5, 1] = np.nan  # a slice holding NaN gives NaN, as numpy's
    for axis in (0, 1, 2):
        assert np.array_equal(_quantiles(x, [0.025, 0.975], axis), np.quantile(x, [0.025, 0.975], axis=axis), equal_nan=True)
