"""psyalliance.teaching.chapter: the one glue call per section and the grid look-up the chapters' hidden cells use."""

import numpy as np
import pandas as pd
import pytest

from psyalliance.teaching.chapter import glue_all, one_value, plain


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


def _published(glue_fn, name, value):
    """The display messages ``glue_fn(name, value, display=False)`` publishes in an IPython shell."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    InteractiveShell.instance()
    with capture_output() as captured:
        glue_fn(name, value, display=False)
    return [(out.data, out.metadata) for out in captured.outputs]


def test_glue_publishes_what_myst_nbs_glue_publishes():
    """psyalliance.teaching.chapter.glue against the library it stands in for (myst_nb.glue), on every kind of value
    the chapters glue: Python and numpy numbers, strings, a table and a figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from myst_nb import glue as myst_glue

    from psyalliance.teaching.chapter import GLUE_PREFIX, glue

    fig, ax = plt.subplots(figsize=(2, 1))
    ax.plot([0, 1], [1, 0])
    values = {"x": 0.5, "n": 24, "i": np.int64(3), "s": ".020", "t": pd.DataFrame({"a": [1.5, 2.0]}), "fig": fig}
    try:
        for name, value in values.items():
            ours, theirs = _published(glue, name, value), _published(myst_glue, name, value)
            assert ours == theirs, name
            assert ours and all(k.startswith(GLUE_PREFIX) for k in ours[0][0]), name
            assert ours[0][1]["scrapbook"] == {"name": name, "mime_prefix": GLUE_PREFIX}
    finally:
        plt.close(fig)


def test_a_chapter_kernel_glues_without_importing_nbformat():
    """The reason for chapter.glue: importing psyalliance.teaching.chapter and glueing leaves nbformat (and jsonschema,
    about 1.5 s of CPU) unimported."""
    import subprocess
    import sys

    code = ("import sys\nfrom psyalliance.teaching.chapter import glue_all\nglue_all({'x': 1.0})\n"
            "print('nbformat' in sys.modules, 'jsonschema' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split()[-2:] == ["False", "False"]
