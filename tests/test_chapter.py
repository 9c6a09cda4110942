"""psyalliance.chapter: the one glue call per section and the grid look-up the chapters' hidden cells use."""

import numpy as np
import pandas as pd
import pytest

from psyalliance.chapter import glue_all, one_value, plain


def test_glue_all_glues_every_name_hidden_and_as_python_numbers():
    calls = []
    glue_all({"r_ma": np.float64(-0.5), "n": np.int64(24), "p": ".020"},
             glue=lambda name, value, display: calls.append((name, value, type(value), display)))
    assert calls == [("r_ma", -0.5, float, False), ("n", 24, int, False), ("p", ".020", str, False)]


@pytest.mark.parametrize("name", ["", "two words", "a`b", "r:.2f", 3])
def test_glue_all_refuses_a_name_a_role_cannot_quote_before_glueing_anything(name):
    calls = []
    with pytest.raises(ValueError, match="glue names"):
        glue_all({"fine": 1, name: 2}, glue=lambda *a, **k: calls.append(a))
    assert calls == []


def test_plain_leaves_non_numpy_values_alone():
    assert plain("x") == "x" and plain(None) is None and type(plain(np.bool_(True))) is bool


def test_one_value_finds_the_one_matching_row():
    grid = pd.DataFrame({"condition": ["mcar", "mcar", "mar"], "effect": ["c", "a2*b2", "c"],
                         "bias": [0.1, 0.2, 0.3]})
    assert one_value(grid, "bias", condition="mcar", effect="a2*b2") == 0.2
    with pytest.raises(ValueError, match="0 rows have"):
        one_value(grid, "bias", condition="none")
    with pytest.raises(ValueError, match="2 rows have"):
        one_value(grid, "bias", condition="mcar")
    with pytest.raises(KeyError, match="no column 'nope'"):
        one_value(grid, "nope")
