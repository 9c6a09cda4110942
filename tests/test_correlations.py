"""Correlation helpers: Fisher interval, significance threshold, printed p, and the basis of unreported pairs."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from psyalliance.analysis.correlations import (
    fisher_interval,
    format_p,
    format_r,
    published_table,
    r_threshold,
    readable_published,
    readable_unreported,
    unreported_table,
)
from psyalliance.simulation.population import target_population
from psyalliance.simulation.simulate import DATASET_PATH, load_dataset
from psyalliance.study.facts import load_facts


def test_fisher_interval_matches_scipy():
    rng = np.random.default_rng(3)
    x = rng.normal(size=16)
    y = -0.7 * x + rng.normal(size=16)
    res = stats.pearsonr(x, y)
    ci = res.confidence_interval(0.95)
    assert fisher_interval(float(res.statistic), 16) == pytest.approx((ci.low, ci.high))


def test_fisher_width_on_the_z_scale_shrinks_by_the_square_root_rule():
    lo1, hi1 = fisher_interval(-0.75, 16)
    lo4, hi4 = fisher_interval(-0.75, 64)
    z_ratio = (np.arctanh(hi4) - np.arctanh(lo4)) / (np.arctanh(hi1) - np.arctanh(lo1))
    assert z_ratio == pytest.approx(np.sqrt(13 / 61))
    # on the r scale the wide interval reaches toward 0, where tanh is steeper: it shrinks a little more
    assert (hi4 - lo4) / (hi1 - lo1) < z_ratio


def test_fisher_interval_errors():
    with pytest.raises(ValueError, match="r = 1"):
        fisher_interval(1, 20)
    with pytest.raises(ValueError, match="n = 3"):
        fisher_interval(0.3, 3)


@pytest.mark.parametrize("n", [5, 16, 20, 24, 100])
def test_r_threshold_gives_p_equal_alpha(n):
    r = r_threshold(n)
    t = r * np.sqrt((n - 2) / (1 - r**2))
    assert 2 * stats.t.sf(t, n - 2) == pytest.approx(0.05)


def test_r_threshold_textbook_value():
    # critical values of r, two-tailed .05: df = 14 -> .497, df = 18 -> .444 (standard tables)
    assert round(r_threshold(16), 3) == 0.497
    assert round(r_threshold(20), 3) == 0.444


def test_format_p_and_r():
    assert format_p(0.0004) == "< .001"
    assert format_p(0.001) == ".001"
    assert format_p(0.0679) == ".068"
    assert format_r(-0.6512) == "-.65"
    with pytest.raises(ValueError, match="p = 1.5"):
        format_p(1.5)


@pytest.mark.skipif(not DATASET_PATH.exists(), reason="no committed simulated dataset")
def test_unreported_basis_follows_the_population_status():
    data, facts = load_dataset(), load_facts()
    other = unreported_table(data, facts.correlations)
    st = target_population().status
    status = {frozenset((x, y)): s for x, y, s in zip(st.x, st.y, st.status)}
    words = {"assumed": "assumed (facts file)", "inferred": "inferred (facts file)",
             "completed": "implied by the completion"}
    for x, y, basis in zip(other.x, other.y, other.basis):
        assert basis == words[status[frozenset((x, y))]]
    # the facts file fixes the assumed/inferred ones; the rest are completions
    fixed = {frozenset((x, y)) for x, y in zip(facts.correlation_assumptions.x, facts.correlation_assumptions.y)}
    completed = [frozenset((x, y)) not in fixed for x, y in zip(other.x, other.y)]
    assert completed == list(other.basis == "implied by the completion")


def test_unreported_rejects_an_unknown_status():
    data = load_dataset() if DATASET_PATH.exists() else None
    if data is None:
        pytest.skip("no committed simulated dataset")
    facts = load_facts()
    st = target_population().status.copy()
    st["status"] = "published"
    with pytest.raises(ValueError, match="population status"):
        unreported_table(data, facts.correlations, status=st)


@pytest.mark.skipif(not DATASET_PATH.exists(), reason="no committed simulated dataset")
def test_readable_tables_keep_full_labels_and_print_small_p():
    data, facts = load_dataset(), load_facts()
    tab = published_table(data, facts.correlations)
    shown = readable_published(tab)
    assert list(shown["pair"]) == list(tab["pair"])
    assert all("simulated" in c or c.startswith(("pair", "published")) for c in shown.columns)
    assert (shown.loc[tab["p"] < 0.001, "p (simulated)"] == "< .001").all()
    assert not shown["p (simulated)"].str.contains("0.000").any()
    other = readable_unreported(unreported_table(data, facts.correlations))
    assert isinstance(other, pd.DataFrame) and "value in the simulation" in other.columns


def test_pair_label_names_both_variables_by_their_table_labels():
    from psyalliance.analysis.correlations import pair_label

    assert pair_label("alliance_prep", "hamd_4wk") == "alliance, end of preparation - depression, 4 wk"
    assert pair_label("alliance_prep", "not_a_variable") == "alliance, end of preparation - not_a_variable"
