"""The chapter's figures say 'simulated', label their axes, and the mediation power is the textbook one."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from psyalliance import powerplots
from psyalliance.paths import population_values


def _check(fig):
    title = fig._suptitle.get_text() if fig._suptitle else fig.axes[0].get_title()
    assert "simulated" in title.lower()
    for ax in fig.axes:
        if ax.axison:
            assert ax.get_xlabel()


def test_mediation_population_has_the_requested_paths():
    pop = powerplots.mediation_population(0.3)
    v = population_values("murphy2022", pop.cov)
    assert v["a"] == pytest.approx(0.3) and v["b"] == pytest.approx(0.3) and v["a*b"] == pytest.approx(0.09)
    with pytest.raises(ValueError, match="effect = 1.2"):
        powerplots.mediation_population(1.2)


def test_mediation_power_of_path_a_matches_the_exact_regression_power():
    # path a is a simple regression slope: its t test has a noncentral t distribution given X;
    # the Fisher-z approximation for rho = 0.4, n = 40 is a close independent reference
    d = powerplots.mediation_power([40], 0.4, reps=20_000, seed=3).iloc[0]
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
