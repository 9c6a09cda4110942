"""Robustness Monte Carlo: properties with closed-form expectations, and FIML against the EM algorithm."""

import numpy as np
import pandas as pd
import pytest

from psyalliance.errors import SettingsError
from psyalliance.sem.fitstats import em_saturated
from psyalliance.sem.paths import fit_moments, get_model
from psyalliance.simulation.population import target_population
from psyalliance.trust.robustness import (
    RobustnessSettings,
    chisq_type1,
    draw,
    estimate_cov,
    missing_mask,
    path_fwer,
    run_condition,
)

VARS = ["alliance_prep", "mystical_peak", "insight_peak", "hamd_4wk", "alliance_post1"]
MODEL_VARS = VARS[:4]


@pytest.fixture(scope="module")
def pop():
    return target_population()


def test_fwer_of_independent_tests_is_one_minus_power_of_level():
    # murphy2022: two single-predictor equations; their t tests are independent under the null
    out = path_fwer("murphy2022", n=20, reps=40_000, seed=1)
    assert out["k"] == 2
    assert abs(out["fwer"] - (1 - 0.95**2)) < 4 * out["mcse"]


def test_fwer_of_m2_lies_between_alpha_and_sidak_and_holm_controls_it():
    out = path_fwer("m2_cycle", n=16, reps=40_000, seed=2)
    assert out["k"] == 8
    assert 0.05 < out["fwer"] < out["independent"] + 4 * out["mcse"]  # Sidak's inequality
    assert out["fwer_holm"] < 0.05 + 4 * np.sqrt(0.05 * 0.95 / out["reps"])


def test_chisq_type1_near_level_at_large_n():
    tab = chisq_type1(n=400, reps=3000, bs_reps=2, bs_resamples=50, seed=3).set_index("test")
    for test in ("ML chi-square", "Bartlett", "Swain"):
        assert abs(tab.loc[test, "type1"] - 0.05) < 4 * np.sqrt(0.05 * 0.95 / 3000)


def test_normal_large_n_intervals_cover_and_estimates_are_unbiased(pop):
    s = RobustnessSettings(n=300, reps=2000, boot_samples=120, boot_resamples=200, seed=4)
    tab = run_condition("normal", "complete", s, pop)
    assert (np.abs(tab["bias"]) < 4 * tab["mcse_bias"]).all()
    assert (np.abs(tab["coverage_t"] - 0.95) < 4 * np.sqrt(0.95 * 0.05 / s.reps)).all()
    assert (np.abs(tab["coverage_percentile"] - 0.95) < 4 * np.sqrt(0.95 * 0.05 / s.boot_samples)).all()


def test_listwise_is_unbiased_under_mcar(pop):
    s = RobustnessSettings(n=24, reps=6000, boot_samples=2, boot_resamples=50, seed=5)
    tab = run_condition("mcar", "listwise", s, pop)
    assert (np.abs(tab["bias"]) < 4 * tab["mcse_bias"]).all()
    # listwise t intervals are exact for the paths under normal MCAR data
    paths = tab[tab["kind"] == "path"]
    assert (np.abs(paths["coverage_t"] - 0.95) < 4 * np.sqrt(0.95 * 0.05 / s.reps)).all()


@pytest.mark.parametrize("estimator, columns", [("fiml", MODEL_VARS), ("fiml_aux", VARS)])
def test_fiml_closed_form_equals_the_em_algorithm(pop, estimator, columns):
    rng = np.random.default_rng(6)
    x = draw("normal", VARS, 1, 30, rng, pop)
    obs = missing_mask("mar_auxiliary", x, VARS, 9, 2.0, rng)
    cov = estimate_cov(x, obs, estimator, VARS, MODEL_VARS, "alliance_prep", "alliance_post1")[0]
    data = pd.DataFrame(x[0], columns=VARS)
    data.loc[~obs[0], "alliance_prep"] = np.nan
    _, em = em_saturated(data[columns].to_numpy(float))
    pick = [columns.index(v) for v in MODEL_VARS]
    assert np.allclose(cov, em[np.ix_(pick, pick)], atol=1e-9)
    m = get_model("m1_mediation")
    assert np.allclose(fit_moments(m, cov, 30).coef, fit_moments(m, em[np.ix_(pick, pick)], 30).coef, atol=1e-8)


def test_bounded_draws_stay_on_the_scales_and_keep_the_pearson_correlations(pop):
    x = draw("bounded", VARS, 1, 100_000, np.random.default_rng(7), pop)[0]
    for j, v in enumerate(VARS):
        lo, hi = pop.ranges.loc[v, "low"], pop.ranges.loc[v, "high"]
        assert lo <= x[:, j].min() and x[:, j].max() <= hi
    assert np.abs(np.corrcoef(x.T) - pop.corr.loc[VARS, VARS].to_numpy()).max() < 0.01  # NORTA


def test_mar_mask_removes_the_highest_scores_more_often(pop):
    rng = np.random.default_rng(8)
    x = draw("normal", VARS, 500, 24, rng, pop)
    obs = missing_mask("mar_outcome", x, VARS, 6, 2.0, rng)
    assert (obs.sum(axis=1) == 18).all()
    hamd = x[..., VARS.index("hamd_4wk")]
    assert hamd[~obs].mean() > hamd[obs].mean()


@pytest.mark.parametrize("kwargs, match", [
    ({"missing_share": 0.9}, "missing_share"), ({"boot_samples": 10, "reps": 5}, "boot_samples"),
    ({"incomplete": "hamd_12mo"}, "incomplete"), ({"auxiliary": "hamd_4wk"}, "auxiliary"),
])
def test_bad_settings_are_refused(kwargs, match):
    with pytest.raises(SettingsError, match=match):
        RobustnessSettings(**kwargs)


def test_condition_and_estimator_must_fit_together(pop):
    with pytest.raises(SettingsError, match="complete"):
        run_condition("normal", "fiml", RobustnessSettings(reps=10, boot_samples=2, boot_resamples=50), pop)
    with pytest.raises(SettingsError, match="condition"):
        run_condition("weird", "complete", RobustnessSettings(reps=10, boot_samples=2, boot_resamples=50), pop)


def test_implied_population_makes_m2_hold_exactly(pop):
    from psyalliance.sem.paths import implied_cov
    from psyalliance.trust.robustness import implied_population

    m = get_model("m2_cycle")
    mv = list(m.variables)
    ipop = implied_population("m2_cycle", pop)
    cov = ipop.cov.loc[mv, mv].to_numpy(float)
    assert np.allclose(implied_cov(m, cov, 10**9), cov, atol=1e-10)  # the model reproduces it
    assert not np.allclose(pop.cov.loc[mv, mv].to_numpy(float), cov)  # and it differs from the target's
    x = draw("bounded", mv, 1, 100_000, np.random.default_rng(9), ipop)[0]
    assert np.abs(np.corrcoef(x.T) - ipop.corr.loc[mv, mv].to_numpy()).max() < 0.01


# --------------------------------------------------------------------------- FIML Wald SEs (N8, item 4)

from pathlib import Path  # noqa: E402

from psyalliance.trust.robustness import fiml_wald  # noqa: E402

FIML_DIR = Path(__file__).resolve().parent / "lavaan" / "fiml_se"


def fiml_fixture() -> pd.DataFrame:
    """The two seeded datasets of tests/lavaan/fiml_se/data.csv (MCAR and MAR on the outcome)."""
    s = RobustnessSettings()
    v = s.variables()
    parts = []
    for cond, seed in (("mcar", 1), ("mar_outcome", 2)):
        x = draw("normal", v, 1, 24, np.random.default_rng(seed))
        obs = missing_mask(cond, x, v, s.n_missing, s.mar_strength, np.random.default_rng(seed + 10))
        df = pd.DataFrame(x[0], columns=v).round(6)
        df.loc[~obs[0], s.incomplete] = np.nan
        df.insert(0, "dataset", cond)
        parts.append(df)
    return pd.concat(parts)


def test_the_committed_fiml_fixture_is_reproduced_by_its_seed(tmp_path):
    out = tmp_path / "data.csv"
    fiml_fixture().to_csv(out, index=False)
    assert out.read_bytes() == (FIML_DIR / "data.csv").read_bytes()


@pytest.mark.parametrize("estimator", ["fiml", "fiml_aux"])
@pytest.mark.parametrize("dataset", ["mcar", "mar_outcome"])
def test_fiml_wald_se_equals_lavaan(dataset, estimator):
    """Estimates and observed-information SEs against lavaan (missing = "ml", information = "observed")."""
    s = RobustnessSettings()
    m = get_model(s.model)
    d = pd.read_csv(FIML_DIR / "data.csv")
    d = d[d["dataset"] == dataset].drop(columns="dataset")
    v = s.variables()
    obs = d[s.incomplete].notna().to_numpy()
    x = d[v].fillna(0.0).to_numpy(float)  # the missing cells are never read
    est, se = fiml_wald(m, x, obs, estimator, v, s.incomplete, s.auxiliary)
    names = list(m.path_names) + [c.replace("*", "") for c in m.chain_names]
    ref = pd.read_csv(FIML_DIR / "reference.csv")
    ref = ref[(ref["dataset"] == dataset) & (ref["estimator"] == estimator)].set_index("effect")
    for i, name in enumerate(names):
        # lavaan's optimizer stops a little short of the closed form (which the EM test above pins exactly):
        # up to 2e-5 of an SE on these data
        assert est[i] == pytest.approx(ref.loc[name, "est"], abs=1e-4 * ref.loc[name, "se"]), name
        assert se[i] == pytest.approx(ref.loc[name, "se"], rel=1e-4), name


def test_fiml_wald_is_batched_and_refuses_listwise():
    s = RobustnessSettings()
    m = get_model(s.model)
    v = s.variables()
    x = draw("normal", v, 3, 24, np.random.default_rng(4))
    obs = missing_mask("mcar", x, v, s.n_missing, s.mar_strength, np.random.default_rng(5))
    est, se = fiml_wald(m, x, obs, "fiml", v, s.incomplete, s.auxiliary)
    one = fiml_wald(m, x[1], obs[1], "fiml", v, s.incomplete, s.auxiliary)
    assert est[1] == pytest.approx(one[0]) and se[1] == pytest.approx(one[1])
    with pytest.raises(SettingsError, match="fiml_wald takes"):
        fiml_wald(m, x, obs, "listwise", v, s.incomplete, s.auxiliary)


# --------------------------------------------------------------------------- M2's chi-square at n = 16 (item 3)

from scipy import stats as _stats  # noqa: E402

from psyalliance.trust.robustness import chisq_small_n_reference  # noqa: E402

M2_ORDER = ["alliance_prep", "mystical_peak", "insight_peak", "alliance_post2", "hamd_4wk", "hamd_12mo"]
M2_EQS = {1: [0], 2: [0], 3: [1, 2, 0], 4: [3], 5: [3, 4]}  # predictors of each endogenous variable (indices)


def m2_chisq_by_hand(x: np.ndarray) -> float:
    """N F_ML of M2 by ordinary least squares per equation (a second implementation; fixed.x, one residual
    covariance between the two mediators), with the implied covariance (I - B)^-1 Psi (I - B)^-T."""
    n, p = x.shape
    xc = x - x.mean(axis=0)
    s = xc.T @ xc / n
    b = np.zeros((p, p))
    resid = np.zeros_like(xc)
    for j, pred in M2_EQS.items():
        coef = np.linalg.lstsq(xc[:, pred], xc[:, j], rcond=None)[0]
        b[j, pred] = coef
        resid[:, j] = xc[:, j] - xc[:, pred] @ coef
    psi = np.diag((resid**2).mean(axis=0))
    psi[0, 0] = s[0, 0]
    psi[1, 2] = psi[2, 1] = (resid[:, 1] * resid[:, 2]).mean()
    inv = np.linalg.inv(np.eye(p) - b)
    sigma = inv @ psi @ inv.T
    return n * (np.linalg.slogdet(sigma)[1] - np.linalg.slogdet(s)[1] + np.trace(np.linalg.solve(sigma, s)) - p)


def test_m2_chisq_by_hand_equals_lavaans_on_the_book_dataset():
    ref = pd.read_csv(Path(__file__).resolve().parent / "lavaan" / "bollen_stine" / "reference.csv").iloc[0]
    from psyalliance.simulation.simulate import load_dataset

    x = load_dataset()[M2_ORDER].dropna().to_numpy(float)
    assert m2_chisq_by_hand(x) == pytest.approx(ref["chisq"], rel=1e-6)


def test_exact_critical_value_at_n16_agrees_with_an_independent_simulation():
    """The book's 95% point of M2's chi-square at n = 16, against a plain-numpy simulation from another
    population in which M2 holds (all paths zero): the null distribution of the LR statistic of a recursive
    model does not depend on the parameter values, so both estimate the same exact critical value."""
    ref = chisq_small_n_reference(reps=20_000, bs_resamples=100)
    assert ref["n"] == 16 and ref["df"] == 6
    rng = np.random.default_rng(99)
    sims = np.array([m2_chisq_by_hand(rng.standard_normal((16, 6))) for _ in range(6_000)])
    crit = np.quantile(sims, 0.95)
    dens = np.mean(np.abs(sims - crit) < 0.5)  # density near the quantile, per unit
    se = np.sqrt(0.95 * 0.05 / len(sims)) / dens
    assert abs(crit - ref["crit_exact"]) < 4 * np.hypot(se, ref["crit_exact_mcse"])
    assert ref["crit_exact"] > ref["crit_chi2"] + 3  # far above chi-square's 12.59 at this n
    assert ref["crit_chi2"] == pytest.approx(_stats.chi2.isf(0.05, 6))
    p_exact = np.mean(sims >= ref["chisq"])
    assert abs(p_exact - ref["p_exact"]) < 4 * np.sqrt(p_exact * (1 - p_exact) * (1 / len(sims) + 1 / ref["reps"]))
    assert ref["p_ml"] < ref["p_exact"]


# --------------------------------------------------------------------------- facilitator clustering (item 5)

from psyalliance.trust.robustness import clustering_sensitivity, moulton_deff  # noqa: E402


def test_clustering_design_effect_of_a_simple_slope_is_moultons_with_many_clusters():
    """Path a2 (insight on alliance, one predictor): var ratio 1 + (m - 1) icc^2 (Moulton 1990) at 40 clusters."""
    r = clustering_sensitivity(iccs=(0.0, 0.3), cluster_sizes=(6,), n=240, reps=8000, seed=5).set_index(
        ["icc", "effect"])
    base, clustered = r.loc[(0.0, "a2"), "deff"], r.loc[(0.3, "a2"), "deff"]
    assert moulton_deff(0.3, 6) == pytest.approx(1.45)
    se = np.sqrt(2 / 8000) * 1.45 * 1.5  # MC error of a variance ratio, with room for the SE's own spread
    assert abs(clustered / base - 1.45) < 4 * se
    assert r.loc[(0.0, "a2"), "coverage"] == pytest.approx(0.95, abs=4 * np.sqrt(0.95 * 0.05 / 8000))
    assert r.loc[(0.3, "a2"), "coverage"] < 0.93


def test_clustering_without_icc_keeps_the_promise_and_bad_input_is_refused():
    r = clustering_sensitivity(iccs=(0.0,), cluster_sizes=(3,), reps=4000, seed=6)
    paths = r[r["effect"].isin(["a1", "a2", "b1", "b2", "c"])]
    assert (abs(paths["coverage"] - 0.95) < 4 * paths["mcse"] + 0.005).all()
    with pytest.raises(SettingsError, match="multiple of the cluster size"):
        clustering_sensitivity(cluster_sizes=(5,), reps=100)
    with pytest.raises(SettingsError, match="must lie in"):
        moulton_deff(1.2, 3)
