"""The chapter's figures say 'simulated', label their axes, and the mediation power is the textbook one."""

import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Text
from scipy import stats

from psyalliance.figures import powerplots
from psyalliance.sem.paths import population_values
from psyalliance.trust import power


def _check(fig):
    title = fig._suptitle.get_text() if fig._suptitle else fig.axes[0].get_title()
    assert "simulated" in title.lower()
    shared = fig._supxlabel is not None and fig._supxlabel.get_text()  # one x label for all panels
    xlabels = [ax.get_xlabel() for ax in fig.axes if ax.axison]
    assert shared or (xlabels and xlabels[-1])  # the bottom panel's names the shared x axis
    for ax in fig.axes:
        if ax.axison and not shared:
            assert ax.get_xlabel() or ax.get_shared_x_axes().get_siblings(ax) != [ax], ax.get_title()


def test_mediation_population_has_the_requested_paths():
    pop = power.mediation_population(0.3)
    v = population_values("murphy2022", pop.cov)
    assert v["a"] == pytest.approx(0.3) and v["b"] == pytest.approx(0.3) and v["a*b"] == pytest.approx(0.09)
    with pytest.raises(ValueError, match="effect = 1.2"):
        power.mediation_population(1.2)


def test_mediation_power_of_path_a_matches_the_exact_regression_power():
    # path a is a simple regression slope: its t test has a noncentral t distribution given X;
    # the Fisher-z approximation for rho = 0.4, n = 40 is a close independent reference
    d = power.mediation_power([40], 0.4, reps=20_000, seed=3).iloc[0]
    expected = stats.norm.sf(stats.norm.ppf(0.975) - np.arctanh(0.4) * np.sqrt(37))
    assert d["a"] == pytest.approx(expected, abs=0.02)
    assert d["a*b"] < d["a"]


def test_figures_are_labelled_as_simulated():
    fig = powerplots.mediation_power_figure(effects=[0.3], ns=(20, 40), reps=50)
    _check(fig)
    summary = pd.DataFrame(
        {"model": "m", "effect": ["a", "a", "a*b", "a*b"], "kind": ["path", "path", "indirect", "indirect"], "n": [24, 50, 24, 50], "power": [0.3, 0.6, 0.1, 0.3]}
    )
    _check(powerplots.power_curves(summary, "m", reps=10))
    est = np.random.default_rng(1).normal(size=(100, 2))
    _check(powerplots.sampling_distributions(est, ["a", "b"], pd.Series({"a": 0.0, "b": 0.1}), 24, "test"))


def test_simulated_table_uses_one_fixed_format_and_says_simulated():
    df = pd.DataFrame({"bias": [2.5e-4, -0.0312], "rmse": [0.428, 1.92], "n": [16, 16]}, index=["a1", "b1"])
    html = powerplots.simulated_table(df, "test table").to_html()
    assert "Simulated data: test table" in html
    assert "0.000" in html and "-0.031" in html and "e-04" not in html  # no scientific notation
    assert ">16<" in html  # integers stay integers
    html2 = powerplots.simulated_table(df, "a simulated study", digits=2, formats={"bias": "{:.1e}"}).to_html()
    assert "Simulated data:" not in html2 and "A simulated study" in html2 and "2.5e-04" in html2 and "0.43" in html2
    with pytest.raises(ValueError, match="columns \\['x'\\]"):
        powerplots.simulated_table(df, "t", formats={"x": "{:.1f}"})
    with pytest.raises(ValueError, match="digits = 11"):
        powerplots.simulated_table(df, "t", digits=11)


def _inside(inner, outer):
    return inner.x0 >= outer.x0 - 1 and inner.x1 <= outer.x1 + 1 and inner.y0 >= outer.y0 - 1 and inner.y1 <= outer.y1 + 1


def test_legends_do_not_cover_the_data():
    summary = pd.DataFrame({"model": "m", "effect": ["a", "a", "b", "b"], "kind": ["path", "path", "indirect", "indirect"],
                            "n": [24, 500, 24, 500], "power": [0.1, 0.99, 0.05, 0.1]})
    fig = powerplots.power_curves(summary, "m", reps=10)  # small multiples: one effect a panel, no legend
    assert [ax.get_title() for ax in fig.axes] == ["a (path)", "b (indirect)"]
    assert all(ax.get_legend() is None for ax in fig.axes) and not fig.legends
    fig = powerplots.mediation_power_figure(effects=[0.2, 0.5], ns=(20, 40), reps=30)
    fig.canvas.draw()
    for ax in fig.axes:  # a direct label per curve, right of the plotting area, none on top of another
        assert ax.get_legend() is None
        labels = [t for t in ax.texts if t.get_text().startswith("a = b = ")]
        boxes = [Text.get_window_extent(t) for t in labels]  # the text alone, without its leader line
        assert len(labels) == 2 and all(b.x0 >= ax.get_window_extent().x1 for b in boxes)
        assert not boxes[0].overlaps(boxes[1])
        assert all(_inside(b, fig.bbox) for b in boxes)
    est = np.random.default_rng(1).normal(size=(100, 2))
    fig = powerplots.sampling_distributions(est, ["a", "b"], pd.Series({"a": 0.0, "b": 0.1}), 24, "test", ncols=2)
    fig.canvas.draw()
    assert fig.axes[0].get_legend() is None and len(fig.legends) == 1
    leg = fig.legends[0].get_window_extent()
    assert all(leg.y1 <= ax.get_window_extent().y0 for ax in fig.axes if ax.axison)  # below every panel
    assert fig.axes[0].get_ylabel()


def test_sensitivity_figure_has_readable_labels():
    rows = []
    for setting, p in zip(("low", "base", "high"), (0.1, 0.3, 0.6)):
        rows.append({"model": "m1_mediation", "effect": "b1", "assumption": "r(mystical_peak, insight_peak)", "setting": setting, "power": p})
    fig = powerplots.sensitivity_figure(pd.DataFrame(rows), [("m1_mediation", "b1")], 24)
    _check(fig)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["r(MEQ30 peak, PIQ peak)"]  # the heatmaps' short names (figures.SHORT_LABELS)


def test_normal_power_is_alpha_at_zero_and_80_percent_at_z_plus_z80():
    z, z80 = stats.norm.ppf(0.975), stats.norm.ppf(0.80)
    assert power.normal_power(0.0) == pytest.approx(0.05, abs=1e-12)
    assert power.normal_power(z + z80) == pytest.approx(0.80 + stats.norm.cdf(-2 * z - z80), abs=1e-12)
    with pytest.raises(ValueError, match="alpha = 1.5"):
        power.normal_power(1.0, alpha=1.5)


def test_noncentrality_doubles_with_four_times_the_residual_df():
    one, four = power.mediation_noncentrality(24, 0.4), power.mediation_noncentrality(4 * 22 + 2, 0.4)
    assert four["a"] == pytest.approx(2 * one["a"]) and four["a*b"] == pytest.approx(2 * one["a*b"])
    # path a: the noncentral-t parameter of a slope with standardized X, beta sqrt(n - 2) / sigma
    assert one["a"] == pytest.approx(0.4 * np.sqrt(22) / np.sqrt(1 - 0.16))
    with pytest.raises(ValueError, match="effect = 0"):
        power.mediation_noncentrality(24, 0.0)
    with pytest.raises(ValueError, match="n = 2"):
        power.mediation_noncentrality(2, 0.3)


@pytest.mark.parametrize("n, effect", [(24, 0.4), (100, 0.3), (200, 0.2)])
def test_closed_form_power_of_path_a_agrees_with_the_simulation(n, effect):
    """Normal approximation of a slope's t test: within 4 Monte Carlo SEs plus 0.03 (t against z quantile)."""
    reps = 4_000
    sim = power.mediation_power([n], effect, reps=reps, seed=11).iloc[0]["a"]
    approx = power.approximate_mediation_power([n], effect).iloc[0]["a"]
    assert abs(sim - approx) < 4 * np.sqrt(sim * (1 - sim) / reps) + 0.03


def test_sobel_statistic_is_not_unit_normal_so_its_closed_form_misses():
    """For a = b the Sobel z has first-order SD 1/2, not 1: below 1.96 power is lower than N(lambda, 1) says."""
    reps = 4_000
    sim = power.mediation_power([24], 0.4, reps=reps, seed=11).iloc[0]["a*b"]
    lam = power.mediation_noncentrality(24, 0.4)["a*b"]
    assert lam < stats.norm.ppf(0.975)
    assert sim < power.normal_power(lam) - 4 * np.sqrt(sim * (1 - sim) / reps)


def test_simulated_table_gives_a_meaning_column_room():
    t = pd.DataFrame({"effect": ["a"], "meaning": ["alliance -> mystical"], "power": [0.5]})
    html = powerplots.simulated_table(t, "simulated").to_html()
    assert "min-width: 16em" in html and "text-align: left" in html
