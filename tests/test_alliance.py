"""Alliance change: the paired test and its effect sizes, and the mixed model, against independent references."""

import numpy as np
import pytest
from scipy import stats

from modeldata import make_fixture_data
from psyalliance.analysis.alliance import change_table, long_format, mixed_change, paired_change
from psyalliance.analysis.correlations import pearson, published_table, unreported_table
from psyalliance.study.facts import load_facts


@pytest.fixture(scope="module")
def data():
    return make_fixture_data(seed=6, n=24)


def test_paired_change_matches_scipy_and_the_effect_size_definitions(data):
    ch = paired_change(data)
    d = data[["alliance_prep", "alliance_post2"]].dropna()
    ref = stats.ttest_rel(d.alliance_post2, d.alliance_prep)
    assert ch.n == len(d) == 20
    assert ch.t == pytest.approx(ref.statistic) and ch.p == pytest.approx(ref.pvalue)
    diff = d.alliance_post2 - d.alliance_prep
    assert ch.d_z == pytest.approx(ch.t / np.sqrt(ch.n))
    assert ch.d_av == pytest.approx(diff.mean() / ((d.alliance_prep.std() + d.alliance_post2.std()) / 2))
    lo, hi = stats.t.interval(0.95, ch.n - 1, loc=diff.mean(), scale=stats.sem(diff))
    assert (ch.ci_low, ch.ci_high) == pytest.approx((lo, hi))


def test_change_table_sets_the_published_d_against_d_av_only(data):
    facts = load_facts()
    ac = facts.alliance_change.set_index("name")["value"]
    ch = paired_change(data)
    tab = change_table(ch, ac["p"], ac["d"]).set_index("statistic")
    d_rows = tab[tab.index.str.startswith("d_")]
    assert d_rows.loc[d_rows.index.str.startswith("d_av"), "published"].tolist() == [ac["d"]]
    assert d_rows.loc[d_rows.index.str.startswith("d_z"), "published"].isna().all()
    n = tab.loc["n (complete pairs)", "recomputed (simulated data)"]
    assert isinstance(n, int) and n == ch.n == 20  # shown as 20, not 20.000
    assert tab.loc["n (complete pairs)", "published"] is None  # blank, not NaN


def test_paired_change_errors(data):
    with pytest.raises(KeyError, match="alliance_pre"):
        paired_change(data, pre="alliance_pre")
    with pytest.raises(ValueError, match="complete pair"):
        paired_change(data.head(5))


def test_long_format_keeps_every_available_rating(data):
    long = long_format(data)
    assert len(long) == data[["alliance_prep", "alliance_post1", "alliance_post2"]].notna().sum().sum()
    assert set(long.occasion) == {0, 1, 2}


def test_two_occasion_mixed_model_equals_the_paired_t_test():
    """Balanced, complete, two occasions: the REML random-intercept contrast is the paired t test."""
    d = make_fixture_data(seed=8, n=30, missing=False)
    mm = mixed_change(d, ratings=("alliance_prep", "alliance_post2"))
    ch = paired_change(d)
    assert mm.contrast == pytest.approx(ch.mean_diff, abs=1e-8)
    assert mm.contrast_z == pytest.approx(ch.t, rel=1e-4)
    assert mm.n_ratings == 60 and mm.n_participants == 30
    # the t reference with n - 1 df gives the paired test's p; the normal reference a smaller one
    assert mm.contrast_df == ch.df == 29
    assert mm.contrast_p_t == pytest.approx(ch.p, rel=1e-3)
    assert mm.contrast_p == pytest.approx(2 * stats.norm.sf(abs(ch.t)), rel=1e-3)
    assert mm.contrast_p < mm.contrast_p_t


def test_mixed_model_uses_all_ratings(data):
    mm = mixed_change(data)
    assert mm.n_ratings == 20 + 24 + 24 and mm.n_participants == 24
    assert 0 <= mm.icc <= 1
    assert mm.contrast_df == 20 - 1  # complete preparation / final pairs, minus one
    assert mm.contrast_p_t == pytest.approx(2 * stats.t.sf(abs(mm.contrast_z), 19))
    # the estimated means of fully observed occasions are their sample means (balanced given the others)
    assert mm.means.index.tolist() == ["alliance_prep", "alliance_post1", "alliance_post2"]


def test_correlation_matches_scipy_fisher_interval(data):
    c = pearson(data, "alliance_prep", "hamd_4wk")
    d = data[["alliance_prep", "hamd_4wk"]].dropna()
    ref = stats.pearsonr(d.alliance_prep, d.hamd_4wk)
    ci = ref.confidence_interval(0.95)
    assert c.n == 20
    assert (c.r, c.p, c.ci_low, c.ci_high) == pytest.approx((ref.statistic, ref.pvalue, ci.low, ci.high))


def test_published_and_unreported_tables(data):
    pub = load_facts().correlations
    tab = published_table(data, pub)
    assert len(tab) == 11
    np.testing.assert_array_equal(tab.published_r, pub.r)
    assert tab.loc[tab.published_p_op == "<", "published_p"].str.startswith("< ").all()
    other = unreported_table(data, pub)
    pairs = {frozenset(p) for p in zip(tab.x, tab.y)}
    assert not any(frozenset(p) in pairs for p in zip(other.x, other.y))
    assert len(other) == 28 - 11
    assert (other.status == "not reported in the paper").all()
    assert set(other.basis) <= {"assumed (facts file)", "inferred (facts file)", "implied by the completion"}
