"""Readable names of path labels and effects: one mapping covers every model and effect of the book."""

import re

import pytest

from psyalliance.sem.pathlabels import covariance_name, describe, legend, legend_table, path_name
from psyalliance.sem.paths import get_model
from psyalliance.sem.registry import EFFECTS, MODELS
from psyalliance.study.instruments import LABELS


@pytest.mark.parametrize("model", list(MODELS))
def test_every_path_and_chain_of_every_model_has_a_readable_name(model):
    m = get_model(model)
    for name, y, x in m.paths:
        text = describe(name, model)
        assert text.startswith(f"{name}: ") and text.endswith(f"{LABELS[x]} -> {LABELS[y]}")
    for name, trail, _ in m.chains:
        assert describe(name, model) == f"{name}: " + " -> ".join(LABELS[v] for v in trail)
    names = [describe(n, model) for n in m.path_names + m.chain_names]
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("model", list(EFFECTS))
def test_every_effect_has_a_readable_name_with_its_end_points(model):
    for e in EFFECTS[model]:
        text = describe(e.name, model)
        assert text.startswith(f"{e.name}: {LABELS[e.x]} -> ")
        assert LABELS[e.y] in text
        assert not re.search(r"\b(alliance_prep|hamd_\w+|mystical_peak|insight_peak)\b", text)
        if e.via:
            assert LABELS[e.via] in text


def test_names_read_from_the_syntax():
    """Pinned to the registry's syntax: a1*alliance_prep on mystical_peak, d1*e from final alliance to 12 mo."""
    assert describe("a1", "m1_mediation") == "a1: alliance, end of preparation -> peak mystical experience"
    assert describe("d1*e", "m2_cycle") == ("d1*e: alliance, 1 wk after session 2 -> depression, 4 wk -> "
                                            "depression, 12 mo")
    assert describe("total_4wk", "m2_cycle") == ("total_4wk: alliance, end of preparation -> depression, 4 wk, "
                                                 "total effect (direct + all indirect)")
    assert path_name("hamd_3mo", "hamd_4wk", "m3_durability") == "depression, 4 wk -> depression, 3 mo"
    assert covariance_name("mystical_peak", "insight_peak") == ("residual covariance of peak mystical experience "
                                                                "and peak insight")
    assert covariance_name("hamd_4wk", "hamd_4wk") == "residual variance of depression, 4 wk"


def test_a_user_model_is_named_from_its_own_syntax():
    syntax = "insight_peak ~ q*alliance_prep\nhamd_12mo ~ r*insight_peak"
    assert describe("q*r", "mine", syntax) == ("q*r: alliance, end of preparation -> peak insight -> "
                                               "depression, 12 mo")
    table = legend_table("mine", syntax)
    assert list(table["label"]) == ["q", "r"] and list(table["to"]) == ["peak insight", "depression, 12 mo"]


def test_legend_keeps_order_and_drops_duplicates():
    assert legend(["b1", "a1", "b1"], "m1_mediation") == [describe("b1", "m1_mediation"), describe("a1", "m1_mediation")]


def test_unknown_names_and_models_are_refused_with_the_valid_ones():
    with pytest.raises(ValueError, match="'zz' is neither.*its paths: a1, a2, b1, b2, c"):
        describe("zz", "m1_mediation")
    with pytest.raises(ValueError, match="'b1\\*a1' is neither"):
        describe("b1*a1", "m1_mediation")  # not a chain: b1 does not end where a1 starts
    with pytest.raises(ValueError, match="model 'nope' is not registered; registered models: m1_mediation"):
        describe("a1", "nope")
    with pytest.raises(ValueError, match="no path insight_peak -> alliance_prep"):
        path_name("alliance_prep", "insight_peak", "m1_mediation")


def test_with_path_names_adds_a_first_column_and_keeps_the_input():
    import pandas as pd

    from psyalliance.sem.pathlabels import with_path_names

    t = pd.DataFrame({"lval": ["hamd_4wk"], "op": ["~"], "rval": ["insight_peak"], "estimate": [1.0]})
    out = with_path_names(t, "m1_mediation")
    assert list(out.columns) == ["path", "lval", "op", "rval", "estimate"] and "path" not in t
    assert out["path"][0] == "b2: peak insight -> depression, 4 wk"
    with pytest.raises(ValueError, match="missing: rval"):
        with_path_names(t.drop(columns="rval"), "m1_mediation")


def test_meanings_drop_the_prefix_and_pair_names_with_models():
    from psyalliance.sem.pathlabels import meanings

    assert meanings(["a", "d1"], ["murphy2022", "m2_cycle"]) == [
        "alliance, end of preparation -> peak mystical experience", "alliance, 1 wk after session 2 -> depression, 4 wk"]
    assert meanings(["a*b"], "murphy2022") == ["alliance, end of preparation -> peak mystical experience -> depression, 4 wk"]
    with pytest.raises(ValueError, match="2 names but 1 models"):
        meanings(["a", "b"], ["murphy2022"])
