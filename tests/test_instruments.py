"""Item layout, scoring and item generation of the questionnaires."""

import numpy as np
import pandas as pd
import pytest

from psyalliance.study.facts import load_facts
from psyalliance.study.instruments import instrument, item_columns, items_with_totals, score_items, subscale_scores


@pytest.mark.parametrize("name", ["alliance", "mystical", "insight"])
def test_items_have_exact_totals_within_range(name):
    inst = instrument(name)
    rng = np.random.default_rng(0)
    lo, hi = inst.items * inst.item_min, inst.items * inst.item_max
    totals = np.concatenate([[lo, hi, lo + 1, hi - 1, np.nan], rng.integers(lo, hi + 1, 2000)]).astype(float)
    items = items_with_totals(totals, inst, rng)
    ok = ~np.isnan(totals)
    assert np.all(np.isnan(items[~ok]))
    assert np.array_equal(items[ok].sum(axis=1), totals[ok])
    assert items[ok].min() >= inst.item_min and items[ok].max() <= inst.item_max
    assert np.array_equal(items[ok], np.round(items[ok]))
    # items of one person hang together (they share the person's level): positive inter-item correlation
    r = np.corrcoef(items[ok][:, :2].T)[0, 1]
    assert r > 0.3


def test_subscales_match_the_facts_file():
    facts = load_facts()
    for name in ("alliance", "mystical", "insight"):
        inst = instrument(name)
        listed = sorted(i for items in facts.measure(name)["subscales"].values() for i in items)
        assert listed == list(range(1, inst.items + 1)), name  # every item in exactly one subscale


def test_score_items_and_subscales():
    inst = instrument("alliance")
    items = np.tile(np.arange(1, 13) % 5 + 1, (2, 1)).astype(float)
    items[1, 0] = np.nan
    scores = score_items(items, inst)
    assert scores[0] == pytest.approx(np.mean(np.arange(1, 13) % 5 + 1))
    assert np.isnan(scores[1])  # no prorating
    df = pd.DataFrame(items, columns=item_columns("alliance_prep"))
    subs = subscale_scores(df, "alliance_prep")
    goal = [4, 6, 8, 11]
    assert subs.loc[0, "alliance_prep_goal"] == pytest.approx(np.mean([i % 5 + 1 for i in goal]))
    assert list(subs.columns) == ["alliance_prep_goal", "alliance_prep_task", "alliance_prep_bond"]


def test_bad_items_are_clear_errors():
    inst = instrument("mystical")
    with pytest.raises(ValueError, match=r"mystical: item values must lie in 0-5; got 0-7"):
        score_items(np.full((1, 30), 7.0) * np.r_[0, np.ones(29)], inst)
    with pytest.raises(ValueError, match=r"expected 30 item columns"):
        score_items(np.zeros((1, 12)), inst)
    with pytest.raises(ValueError, match=r"totals must be whole numbers in \[0, 150\]"):
        items_with_totals(np.array([151.0]), inst, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"unknown instrument 'wai'"):
        instrument("wai")
    with pytest.raises(ValueError, match=r"unknown subscale 'awe'"):
        score_items(np.zeros((1, 30)), inst, "awe")
