"""Indirect and total effects: point values against semopy and regression identities; bootstrap intervals."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from modeldata import make_fixture_data
from psyalliance import MODELS, fit_model
from psyalliance.sem.effects import BootstrapSettings, bootstrap_effects, point_effects
from psyalliance.sem.registry import EFFECTS, Effect


@pytest.fixture(scope="module")
def data():
    return make_fixture_data(seed=4, n=30)


def _paths(res):
    est = res.estimates[res.estimates.op == "~"]
    return {(r.lval, r.rval): r.estimate for r in est.itertuples()}


def test_m1_effects_equal_products_of_semopy_paths(data):
    b = _paths(fit_model("m1_mediation", data))
    got = point_effects(MODELS["m1_mediation"], data, EFFECTS["m1_mediation"])
    a1b1 = b[("mystical_peak", "alliance_prep")] * b[("hamd_4wk", "mystical_peak")]
    a2b2 = b[("insight_peak", "alliance_prep")] * b[("hamd_4wk", "insight_peak")]
    c = b[("hamd_4wk", "alliance_prep")]
    assert got["a1*b1"] == pytest.approx(a1b1, abs=1e-6)
    assert got["a2*b2"] == pytest.approx(a2b2, abs=1e-6)
    assert got["indirect"] == pytest.approx(a1b1 + a2b2, abs=1e-6)
    assert got["c"] == pytest.approx(c, abs=1e-6)
    assert got["total"] == pytest.approx(c + a1b1 + a2b2, abs=1e-6)


def test_m2_effects_equal_products_of_semopy_paths(data):
    b = _paths(fit_model("m2_cycle", data))
    got = point_effects(MODELS["m2_cycle"], data, EFFECTS["m2_cycle"])
    to_post2 = (b[("alliance_post2", "alliance_prep")]
                + b[("mystical_peak", "alliance_prep")] * b[("alliance_post2", "mystical_peak")]
                + b[("insight_peak", "alliance_prep")] * b[("alliance_post2", "insight_peak")])
    d1, d2, e = b[("hamd_4wk", "alliance_post2")], b[("hamd_12mo", "alliance_post2")], b[("hamd_12mo", "hamd_4wk")]
    assert got["total_post2"] == pytest.approx(to_post2, abs=1e-6)
    assert got["total_4wk"] == pytest.approx(to_post2 * d1, abs=1e-6)
    assert got["total_12mo"] == pytest.approx(to_post2 * (d2 + d1 * e), abs=1e-6)
    assert got["d1*e"] == pytest.approx(d1 * e, abs=1e-6)
    assert got["total_post2_12mo"] == pytest.approx(d2 + d1 * e, abs=1e-6)


def test_total_effect_of_a_saturated_model_is_the_simple_regression_slope(data):
    d = data[["alliance_prep", "mystical_peak", "insight_peak", "hamd_4wk"]].dropna()
    slope = stats.linregress(d["alliance_prep"], d["hamd_4wk"]).slope
    got = point_effects(MODELS["m1_mediation"], data, EFFECTS["m1_mediation"])
    assert got["total"] == pytest.approx(slope, abs=1e-10)


@pytest.fixture(scope="module")
def boot(data):
    return bootstrap_effects(MODELS["m1_mediation"], data, EFFECTS["m1_mediation"])


def test_bootstrap_defaults_and_shape(boot, data):
    assert (boot.n_resamples == 5000).all()
    assert (boot.n == len(data[["alliance_prep", "mystical_peak", "insight_peak", "hamd_4wk"]].dropna())).all()
    assert (boot.pct_low < boot.pct_high).all() and (boot.bca_low < boot.bca_high).all()
    assert (boot.boot_se > 0).all()


def test_same_seed_same_intervals(boot, data):
    again = bootstrap_effects(MODELS["m1_mediation"], data, EFFECTS["m1_mediation"])
    np.testing.assert_array_equal(boot[["pct_low", "bca_low"]].to_numpy(), again[["pct_low", "bca_low"]].to_numpy())
    other = bootstrap_effects(MODELS["m1_mediation"], data, EFFECTS["m1_mediation"], BootstrapSettings(seed=1))
    assert not np.allclose(boot.pct_low, other.pct_low)


def test_percentile_interval_matches_scipy_percentile_method(data):
    """The same resamples through scipy's own percentile method give the same interval."""
    d = data[["alliance_prep", "mystical_peak"]].dropna()
    eff = (Effect("a", "direct", "alliance_prep", "mystical_peak"),)
    mine = bootstrap_effects("mystical_peak ~ alliance_prep", data, eff, BootstrapSettings(n_resamples=2000, seed=9))

    def slope(x, y, axis=-1):
        xc = x - x.mean(axis=axis, keepdims=True)
        return (xc * (y - y.mean(axis=axis, keepdims=True))).sum(axis=axis) / (xc**2).sum(axis=axis)

    ref = stats.bootstrap((d.alliance_prep.to_numpy(), d.mystical_peak.to_numpy()), slope, paired=True,
                          vectorized=True, n_resamples=2000, method="percentile", rng=np.random.default_rng(9))
    assert mine.pct_low.iloc[0] == pytest.approx(ref.confidence_interval.low, rel=1e-9)
    assert mine.pct_high.iloc[0] == pytest.approx(ref.confidence_interval.high, rel=1e-9)
    ref_bca = stats.bootstrap((d.alliance_prep.to_numpy(), d.mystical_peak.to_numpy()), slope, paired=True,
                              vectorized=True, n_resamples=2000, method="BCa", rng=np.random.default_rng(9))
    assert mine.bca_low.iloc[0] == pytest.approx(ref_bca.confidence_interval.low, rel=1e-9)
    # our z0 and acceleration name the quantiles of scipy's resamples that its BCa limits are
    dist = ref_bca.bootstrap_distribution
    assert np.percentile(dist, 100 * mine.bca_q_low.iloc[0]) == pytest.approx(ref_bca.confidence_interval.low, rel=1e-6)
    assert np.percentile(dist, 100 * mine.bca_q_high.iloc[0]) == pytest.approx(ref_bca.confidence_interval.high, rel=1e-6)


def test_bad_settings_and_effects():
    with pytest.raises(ValueError, match="n_resamples = 100 .*>= 1000"):
        BootstrapSettings(n_resamples=100)
    with pytest.raises(ValueError, match="kind"):
        Effect("x", "sideways", "a", "b")
    with pytest.raises(ValueError, match="mediator"):
        Effect("x", "specific", "a", "b")


def test_bootstrap_se_matches_the_delta_method_at_large_n():
    """At n = 2,000 the bootstrap SD of an indirect effect is close to its delta-method (Sobel) SE."""
    from psyalliance.sem.paths import fit_dataframe, get_model

    rng = np.random.default_rng(2)
    m = get_model("m1_mediation")
    p = len(m.variables)
    a = rng.normal(size=(p, p))
    big = pd.DataFrame(rng.multivariate_normal(np.zeros(p), a @ a.T + p * np.eye(p), size=2000), columns=m.variables)
    boot = bootstrap_effects(MODELS["m1_mediation"], big, EFFECTS["m1_mediation"],
                             BootstrapSettings(n_resamples=2000, seed=1), ranges=False).set_index("effect")
    fit = fit_dataframe("m1_mediation", big)
    for i, name in enumerate(m.chain_names):
        assert boot.loc[name, "pct_low"] < boot.loc[name, "estimate"] < boot.loc[name, "pct_high"]
        assert boot.loc[name, "boot_se"] == pytest.approx(fit.se_indirect_z[i], rel=0.1)



def test_bca_constants_reproduce_scipys_bca_limits(boot, data):
    """The reported z0 and acceleration, put through Efron's formula, give the quantiles scipy's BCa uses."""
    from psyalliance.sem.effects import bca_levels

    x = data[["alliance_prep", "mystical_peak", "insight_peak", "hamd_4wk"]].dropna()
    assert len(x) == boot.n.iloc[0]
    # the quantile levels follow from z0 and a alone; with z0 = a = 0 they are the percentile levels
    low0, high0 = bca_levels(np.zeros(1), np.zeros(1), 0.95)
    assert low0[0] == pytest.approx(0.025) and high0[0] == pytest.approx(0.975)
    low, high = bca_levels(boot.bca_z0.to_numpy(), boot.bca_accel.to_numpy(), 0.95)
    np.testing.assert_allclose(low, boot.bca_q_low)
    np.testing.assert_allclose(high, boot.bca_q_high)
    # the BCa limits lie between the bootstrap quantiles they name: inside the percentile
    # interval exactly when the levels are inside (0.025, 0.975)
    inside_low = boot.bca_q_low > 0.025
    assert ((boot.bca_low > boot.pct_low) == inside_low).all()


def test_jackknife_acceleration_by_hand_for_a_mean():
    """For the mean, the acceleration is skewness / (6 sqrt(n)) with the biased (1/n) moments."""
    from psyalliance.sem.effects import bca_constants

    x = np.array([1.0, 2.0, 2.5, 4.0, 9.0])
    n = len(x)
    loo = np.array([np.delete(x, i).mean() for i in range(n)])
    dev = x - x.mean()
    skew = np.mean(dev**3) / np.mean(dev**2) ** 1.5
    z0, a = bca_constants(np.array([[0.0, 1.0, 2.0, 3.0]]), np.array([1.5]), loo[None, :])
    assert a[0] == pytest.approx(skew / (6 * np.sqrt(n)))
    assert z0[0] == pytest.approx(0.0)  # two of four resamples below 1.5


def test_jackknife_effects_leave_each_case_out(data):
    from psyalliance.sem.effects import jackknife_effects

    eff = (Effect("a", "direct", "alliance_prep", "mystical_peak"),)
    d = data[["alliance_prep", "mystical_peak"]].dropna()
    jk = jackknife_effects("mystical_peak ~ alliance_prep", data, eff)
    assert jk.shape == (1, len(d))
    first = d.iloc[1:]
    assert jk[0, 0] == pytest.approx(np.polyfit(first.alliance_prep, first.mystical_peak, 1)[0])


def test_seed_spread_brackets_each_run(data):
    from psyalliance.sem.effects import bca_seed_spread

    eff = EFFECTS["m1_mediation"][:1]
    spread = bca_seed_spread(MODELS["m1_mediation"], data, eff, [3, 4], BootstrapSettings(n_resamples=1000))
    one = bootstrap_effects(MODELS["m1_mediation"], data, eff, BootstrapSettings(n_resamples=1000, seed=4))
    for c in ("pct_low", "bca_high"):
        assert spread[f"{c}_min"].iloc[0] <= one[c].iloc[0] <= spread[f"{c}_max"].iloc[0]
    with pytest.raises(ValueError, match="at least 2 seeds"):
        bca_seed_spread(MODELS["m1_mediation"], data, eff, [3])


def test_effect_glue_values_are_floats_named_by_effect(boot):
    from psyalliance.sem.effects import GLUE_COLUMNS, effect_glue_values

    vals = effect_glue_values(boot, "m1")
    assert len(vals) == len(boot) * len(GLUE_COLUMNS)
    assert vals["m1_a2b2_pct_low"] == boot.set_index("effect").loc["a2*b2", "pct_low"]
    assert all(type(v) is float for v in vals.values())


def test_bca_parts_match_the_closed_forms():
    """With a = 0 the BCa level is Phi(2 z0 + z_alpha); with z0 = 0 it is Phi(z_alpha / (1 - a z_alpha))."""
    from scipy import stats

    from psyalliance.sem.effects import bca_parts

    z0, a = -0.52, -0.06
    out = bca_parts(z0, a, 0.95)
    zl, zh = stats.norm.ppf([0.025, 0.975])
    assert out["q_low_z0"] == pytest.approx(stats.norm.cdf(2 * z0 + zl))
    assert out["q_high_z0"] == pytest.approx(stats.norm.cdf(2 * z0 + zh))
    assert out["q_low_a"] == pytest.approx(stats.norm.cdf(zl / (1 - a * zl)))
    assert out["q_low"] == pytest.approx(stats.norm.cdf(z0 + (z0 + zl) / (1 - a * (z0 + zl))))
    # at these values the bias correction moves the lower level (on the normal scale) far more than the acceleration
    shift = {k: abs(stats.norm.ppf(out[k]) - zl) for k in ("q_low_z0", "q_low_a")}
    assert shift["q_low_z0"] > 3 * shift["q_low_a"]


# --------------------------------------------------------------------------- where the estimate lies (N1)

import json  # noqa: E402
import re  # noqa: E402
from pathlib import Path  # noqa: E402

from psyalliance.sem.effects import interpolated_tail_probability, median_side  # noqa: E402
from psyalliance.simulation.simulate import load_dataset  # noqa: E402

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def _numpy_bootstrap_a2b2(d: np.ndarray, reps: int, seed: int) -> np.ndarray:
    """a2*b2 of M1 on resampled rows by plain least squares (columns x, m1, m2, y): a second implementation."""
    idx = np.random.default_rng(seed).integers(0, len(d), size=(reps, len(d)))
    out = np.empty(reps)
    for k, rows in enumerate(idx):
        x, m1, m2, y = d[rows].T
        a2 = np.polyfit(x, m2, 1)[0]
        b = np.linalg.lstsq(np.column_stack([np.ones_like(x), m1, m2, x]), y, rcond=None)[0]
        out[k] = a2 * b[2]
    return out


def test_the_median_side_read_from_z0_agrees_with_an_independent_bootstrap():
    """The book's BCa sentence says where the estimate lies against the bootstrap median; check it on the book's data."""
    cols = ["alliance_prep", "mystical_peak", "insight_peak", "hamd_4wk"]
    d = load_dataset()[cols].dropna().to_numpy(float)
    eff = [e for e in EFFECTS["m1_mediation"] if e.name == "a2*b2"]
    row = bootstrap_effects(MODELS["m1_mediation"], load_dataset(), eff, BootstrapSettings()).iloc[0]
    dist = _numpy_bootstrap_a2b2(d, 4000, seed=11)
    est = row["estimate"]
    share = np.mean(dist < est)
    assert stats.norm.cdf(row["bca_z0"]) == pytest.approx(share, abs=0.03)
    independent = "below" if est < np.median(dist) else "above"
    assert median_side(row["bca_z0"]) == independent


def test_median_side_signs():
    assert median_side(-0.5) == "below" and median_side(0.2) == "above" and median_side(0.0) == "at"
    with pytest.raises(ValueError, match="not a finite number"):
        median_side(float("nan"))


@pytest.mark.parametrize("name", ["07_path_models.ipynb", "09_how_much_24.ipynb"])
def test_chapters_never_type_the_side_of_the_median(name):
    """'above/below the median' of a bootstrap distribution is glued from z0 (median_side), never typed."""
    cells = json.loads((NOTEBOOKS / name).read_text())["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    assert not re.search(r"\b(above|below)\s+the\s+median", text), name
    assert re.search(r"\{glue:text\}`\w+_side`\s+the\s+median", text), name


@pytest.mark.parametrize("q, b", [(0.0003, 5000), (0.0003, 40000), (0.02, 300), (0.5, 101)])
def test_interpolated_tail_probability_matches_a_simulation_of_uniforms(q, b):
    """Linear-interpolation quantile of B uniforms: its mean is the expected tail probability."""
    rng = np.random.default_rng(5)
    reps = 4000 if b <= 5000 else 600
    got = np.mean([np.quantile(rng.random(b), q) for _ in range(reps)])
    want = interpolated_tail_probability(q, b)
    sd = np.sqrt(want * (1 - want) / (b + 2) / reps)
    assert abs(got - want) < 5 * sd + 1e-12
    if q * b < 5:
        assert want > 1.3 * q  # inward: the few-resample limit is biased toward the centre


@pytest.mark.parametrize("name", ["07_path_models.ipynb", "09_how_much_24.ipynb"])
def test_bca_acceleration_has_its_own_symbol(name):
    """Issue 18: BCa's acceleration is written a-hat, never with the letter of path a."""
    cells = json.loads((NOTEBOOKS / name).read_text())["cells"]
    text = " ".join(" ".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown").split())
    assert not re.search(r"acceleration,?\s+\$a\$", text), name
    assert not re.search(r"\(\$a\$ = 0\)", text), name
    assert "acceleration" not in text or r"$\hat a$" in text, name
