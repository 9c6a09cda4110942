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


def _code_cells():
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    for path in [*sorted((root / "notebooks").glob("*.ipynb")), root / "book" / "instructor_guide.ipynb"]:
        for k, cell in enumerate(json.loads(path.read_text(encoding="utf-8"))["cells"]):
            if cell["cell_type"] == "code":
                yield f"{path.name} cell {k}", set(cell["metadata"].get("tags", [])), "".join(cell["source"])


def test_chapters_glue_through_glue_all_in_hidden_cells_and_type_no_number_rule():
    """No chapter calls glue() line by line, types the no-leading-zero rule or hides a helper in a cell."""
    import re

    rule = re.compile(r"\.replace\(\"-?0\.\"|\.lstrip\(\"0\"\)")
    for where, tags, source in _code_cells():
        assert not re.search(r"(?<![\w.])glue\(", source), f"{where}: glue(...) directly; use glue_all"
        assert not rule.search(source), f"{where}: the no-leading-zero rule typed by hand; use psyalliance.fmt"
        if tags & {"remove-cell", "remove-input"}:  # visible functions (an exercise's answer, a widget) are teaching
            assert "def " not in source, f"{where}: a helper defined in a hidden cell; move it to the package"
        if "glue_all(" in source and "import glue_all" not in source.split("glue_all(")[0][-40:]:
            assert tags & {"remove-cell", "remove-input", "hide-input"}, f"{where}: glue_all in a cell the reader sees"
