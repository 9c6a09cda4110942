"""Equivalent models fit identically; fit statistics agree with semopy and scipy; sensitivity to assumptions."""

import numpy as np
import pandas as pd
import pytest
import semopy
from scipy import stats

from psyalliance.sem.paths import get_model, implied_cov
from psyalliance.sem.registry import MODELS
from psyalliance.trust.sensitivity import (
    EQUIVALENT_MODELS,
    assumptions,
    equivalence_table,
    fit_statistics,
    model_variant,
)

ALL_VARS = ["alliance_prep", "mystical_peak", "insight_peak", "alliance_post2", "hamd_4wk", "hamd_12mo"]


def random_frame(n, seed):
    rng = np.random.default_rng(seed)
    p = len(ALL_VARS)
    a = rng.normal(size=(p, p))
    return pd.DataFrame(rng.multivariate_normal(np.zeros(p), a @ a.T + np.eye(p), size=n), columns=ALL_VARS)


def ml_cov(df, variables):
    x = df[list(variables)].to_numpy(float)
    xc = x - x.mean(0)
    return xc.T @ xc / len(x)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_reversed_arrow_with_the_same_predictors_is_exactly_equivalent(seed):
    df = random_frame(40, seed)
    a, b = model_variant("m2_open"), model_variant("m2_open_reversed")
    order = list(a.variables)
    sa = implied_cov(a, ml_cov(df, order), 40)
    sb = implied_cov(b, ml_cov(df, b.variables), 40)
    # same implied covariance matrix, once both are in the same variable order
    idx = [list(b.variables).index(v) for v in order]
    np.testing.assert_allclose(sb[np.ix_(idx, idx)], sa, rtol=1e-10, atol=1e-12)
    fa, fb = fit_statistics(a, df), fit_statistics(b, df)
    assert fa.df == fb.df == 3
    assert fa.chisq == pytest.approx(fb.chisq, rel=1e-9)
    assert fa.loglik == pytest.approx(fb.loglik, rel=1e-12)
    assert fa.chisq > 0  # equivalent, not saturated


def test_reversing_the_arrow_alone_changes_the_fit():
    df = random_frame(40, 1)
    t = equivalence_table(df)
    assert t.loc["m2_cycle", "chisq"] != pytest.approx(t.loc["m2_reversed", "chisq"], rel=1e-3)
    assert t.loc["m2_cycle", "df"] == 6  # 21 moments - 1 exogenous variance - 14 parameters
    assert t.loc["m2_reversed", "df"] == 5  # 4-week depression becomes exogenous


@pytest.mark.parametrize("name", ["m2_cycle", *EQUIVALENT_MODELS])
def test_chisquare_agrees_with_semopy(name):
    df = random_frame(50, 4)
    syntax = MODELS.get(name) or EQUIVALENT_MODELS[name]
    sem = semopy.Model(syntax)
    sem.fit(df, tol=1e-12, options={"ftol": 1e-14, "maxiter": 10_000})
    chi2 = float(semopy.calc_stats(sem)["chi2"].iloc[0])
    assert fit_statistics(name, df).chisq == pytest.approx(chi2, rel=1e-5, abs=1e-6)


def test_loglik_is_the_normal_density_at_the_implied_covariance():
    df = random_frame(30, 5)
    m = get_model("m2_cycle")
    x = df[list(m.variables)].to_numpy(float)
    sigma = implied_cov(m, ml_cov(df, m.variables), len(x))
    ref = stats.multivariate_normal(x.mean(0), sigma).logpdf(x).sum()
    assert fit_statistics(m, df).loglik == pytest.approx(ref, rel=1e-12)


def test_saturated_model_fits_perfectly():
    df = random_frame(30, 6)
    st = fit_statistics("m1_mediation", df)
    assert st.df == 0
    assert st.chisq == pytest.approx(0, abs=1e-9)


def test_fit_statistics_needs_n_with_a_matrix():
    with pytest.raises(ValueError, match="pass n"):
        fit_statistics("m1_mediation", np.eye(4))


def test_assumption_table_covers_the_facts_ranges():
    from psyalliance.study.facts import load_facts

    f = load_facts()
    t = assumptions(f)
    assert (t["kind"] == "corr").sum() == len(f.correlation_assumptions)
    assert (t["low"] <= t["base"]).all() and (t["base"] <= t["high"]).all()


# --------------------------------------------------------------------------- with the target population


def _population():
    pytest.importorskip("psyalliance.simulation.population")
    from psyalliance.simulation.population import target_population

    return target_population


def test_assumed_means_move_no_path():
    target_population = _population()
    from psyalliance.sem.paths import population_values

    base = target_population()
    a = assumptions()
    row = a[(a["kind"] == "mean") & (a["key"] == "alliance_prep")].iloc[0]
    for value in (row["low"], row["high"]):
        moved = target_population(overrides={"mean": {"alliance_prep": float(value)}})
        assert moved.means["alliance_prep"] == pytest.approx(value)
        for model in ("m1_mediation", "m2_cycle"):
            pd.testing.assert_series_equal(population_values(model, moved.cov), population_values(model, base.cov), rtol=1e-12)


def test_assumed_correlation_moves_the_paths_as_the_regression_algebra_says():
    target_population = _population()
    from psyalliance.sem.paths import population_values

    pop = target_population(overrides={"corr": {("mystical_peak", "insight_peak"): 0.4}})
    assert pop.corr.loc["mystical_peak", "insight_peak"] == pytest.approx(0.4)
    v = population_values("m1_mediation", pop.cov)
    # b1, b2, c: the population regression of 4-week depression on the three predictors, by lstsq on the moments
    xs = ["mystical_peak", "insight_peak", "alliance_prep"]
    beta = np.linalg.lstsq(pop.cov.loc[xs, xs].to_numpy(), pop.cov.loc[xs, "hamd_4wk"].to_numpy(), rcond=None)[0]
    np.testing.assert_allclose(v[["b1", "b2", "c"]].to_numpy(), beta, rtol=1e-10)
    base = population_values("m1_mediation", target_population().cov)
    assert v["a1"] == pytest.approx(base["a1"])  # a1 involves neither mediator correlation
    assert abs(v["b1"] - base["b1"]) > 0.1


def test_sensitivity_table_structure():
    _population()
    from psyalliance.trust.sensitivity import sensitivity_table

    label = "r(mystical_peak, insight_peak)"
    t = sensitivity_table(models=("m1_mediation",), reps=200, missing="facts", only=[label])
    assert set(t["setting"]) == {"low", "base", "high"}
    assert (t["assumption"] == label).all()
    b = t[t["setting"] == "base"].set_index("effect")
    lo = t[t["setting"] == "low"].set_index("effect")
    assert b.loc["a1", "power"] == lo.loc["a1", "power"]  # same seed, same a1: common random numbers
    assert lo.loc["b1", "population"] != pytest.approx(b.loc["b1", "population"])
    with pytest.raises(ValueError, match="unknown assumption"):
        sensitivity_table(models=("m1_mediation",), reps=10, only=["r(a, b)"])


# --------------------------------------------------------------------------- chapter helpers


def _fake_sensitivity_table():
    rows = []
    for assumption, powers, ok_low in [("r(mystical_peak, insight_peak)", (0.1, 0.3, 0.9), True),
                                       ("r(insight_peak, alliance_post2)", (np.nan, 0.3, 0.35), False),
                                       ("r(hamd_4wk, hamd_3mo)", (0.3, 0.3, 0.3), True)]:
        for setting, power, value in zip(("low", "base", "high"), powers, (0.2, 0.5, 0.8)):
            rows.append({"assumption": assumption, "setting": setting, "value": value, "ok": ok_low or setting != "low",
                         "model": "m1_mediation", "effect": "b1", "kind": "path", "population": power, "power": power})
    return pd.DataFrame(rows)


def test_power_moves_orders_low_base_high_and_sorts_by_spread():
    from psyalliance.trust.sensitivity import power_moves

    t = power_moves(_fake_sensitivity_table(), top=None)
    assert list(t.columns) == ["low", "base", "high", "spread"]
    assert t["spread"].tolist() == pytest.approx([0.8, 0.0, 0.0])  # a missing end is ignored, not a spread of NaN
    assert t.index[0][2] == "r(mystical_peak, insight_peak)"
    assert len(power_moves(_fake_sensitivity_table(), top=1)) == 1
    with pytest.raises(ValueError, match="lacks the columns"):
        power_moves(pd.DataFrame({"model": []}))


def test_infeasible_settings_are_named_readably():
    from psyalliance.trust.sensitivity import (
        describe_assumption,
        infeasible_phrase,
        infeasible_settings,
        setting_values,
    )

    t = _fake_sensitivity_table()
    bad = infeasible_settings(t)
    assert bad[["assumption", "setting"]].values.tolist() == [["r(insight_peak, alliance_post2)", "low"]]
    assert infeasible_phrase(t) == ("one setting produces", "r(peak insight, alliance, 1 wk after session 2) at its low end")
    assert infeasible_phrase(t.assign(ok=True)) == ("no setting produces", "none")
    assert infeasible_phrase(t.assign(ok=False))[0] == "9 settings produce"
    assert describe_assumption("r(mystical_peak, hamd_4wk)") == "r(peak mystical experience, depression, 4 wk)"
    assert describe_assumption("something else") == "something else"
    v = setting_values(t, "m1_mediation", "b1", "r(mystical_peak, insight_peak)")
    assert list(v.index) == ["low", "base", "high"] and v["value"].tolist() == [0.2, 0.5, 0.8]
    with pytest.raises(ValueError, match="no rows for model"):
        setting_values(t, "m2_cycle", "b1", "r(mystical_peak, insight_peak)")


def test_reversed_m2_makes_4_week_depression_exogenous_and_frees_one_degree_of_freedom():
    # the df difference of M2 and its reversal: m2_cycle omits 6 paths (3 into hamd_4wk, 3 into hamd_12mo);
    # m2_reversed omits 5 (hamd_4wk -> both acute effects, 3 into hamd_12mo), its exogenous covariance being free
    assert model_variant("m2_reversed").exogenous == ("alliance_prep", "hamd_4wk")
    t = equivalence_table(random_frame(300, 9))
    assert t.loc["m2_cycle", "df"] == 6 and t.loc["m2_reversed", "df"] == 5


def test_assumptions_within_a_model():
    from psyalliance.trust.sensitivity import assumptions_within

    # M1 has four variables; the facts file assumes only the correlation of the two acute effects among them
    labels = assumptions_within("m1_mediation")
    assert labels == ["r(mystical_peak, insight_peak)"]
    m2 = set(get_model("m2_cycle").variables)
    for lab in assumptions_within("m2_cycle"):
        x, y = lab[2:-1].split(", ")
        assert {x, y} <= m2


def test_change_compatible_r_matches_the_closed_form():
    """r(alliance_prep, alliance_post2) compatible with the published p and d, against the inverted t formula.

    With d_av = mean change / mean SD, the paired t is md / sqrt(s1^2 + s2^2 - 2 r s1 s2) * sqrt(n), so
    r = (s1^2 + s2^2 - md^2 n / t^2) / (2 s1 s2); the lowest r pairs the largest d that rounds to the
    printed d with the smallest t whose p rounds to the printed p, and the highest the reverse.
    """
    from scipy import stats

    from psyalliance.study.facts import load_facts
    from psyalliance.trust.sensitivity import assumptions, change_compatible_r

    f = load_facts()
    ch = f.alliance_change.set_index("name")["value"]
    n = f.value("design", "n_analysed") - f.value("missing", "alliance_prep")
    sd = f.scale_assumptions.set_index("name")["sd"]
    s1, s2 = sd["alliance_prep"], sd["alliance_post2"]

    def r_of(d, p):
        md = d * (s1 + s2) / 2
        t = stats.t.isf(p / 2, n - 1)
        return (s1**2 + s2**2 - md**2 * n / t**2) / (2 * s1 * s2)

    low, high = r_of(ch["d"] + 0.005, ch["p"] + 0.005), r_of(ch["d"] - 0.005, ch["p"] - 0.005)
    got = change_compatible_r(f)
    assert got == pytest.approx((low, high), abs=2e-4)
    assert 0.62 < low < 0.64 and 0.69 < high < 0.70  # the "about .63-.70"
    row = assumptions(f).set_index("label").loc["r(alliance_prep, alliance_post2)"]
    assert row["restricted"] and (row["low"], row["high"]) == pytest.approx(got)
    assert row["plausible_low"] < row["low"] <= row["base"] <= row["high"] < row["plausible_high"]
