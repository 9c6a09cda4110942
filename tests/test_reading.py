"""psyalliance.teaching.reading: the reading-time model, on a tiny notebook whose counts are known by hand."""

from pathlib import Path

import nbformat
import pytest

from psyalliance.teaching.reading import ReadingRates, prose_words, reading_minutes

ROOT = Path(__file__).resolve().parents[1]


def tiny() -> nbformat.NotebookNode:
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    cells = [
        # 10 words: heading 2; "The alliance grew by" 4, the glued value 1, "points", "see", the numref 1
        md("# The alliance\n\nThe alliance grew by {glue:text}`d:.2f` points; see {numref}`fig-a`."),
        md("| a | b |\n| --- | --- |\n| 1 | 2 |"),  # one table, 4 words (a, b, 1, 2)
        code("import pandas as pd\ndf = pd.DataFrame({'a': [1]})\ndf"),  # visible code cell, shows a table
        code("glue('d', 1.0, display=False)", metadata={"tags": ["remove-cell"]}),  # hidden: nothing
        code("print('hello')"),  # visible code, no table
        md("```{glue:figure} fig_a\n:name: fig-a\n\nA caption of five words\n```"),  # one figure, 5 words
        md("```{exercise-start}\n:label: ex-1\n```\nWhy is the sky blue today?\n```{exercise-end}\n```"),
        md("```{solution-start} ex-1\n:class: dropdown\n```\nBecause of scattering.\n```{solution-end}\n```"),
        md("```{exercise-start}\n:label: ex-2\n```\nCompute it.\n```{exercise-end}\n```"),
        md("```{solution-start} ex-2\n:class: dropdown\n```"),
        code("x = 1"),  # inside a solution: makes ex-2 a coding exercise, not a visible code cell
        md("```{solution-end}\n```"),
    ]
    return nbformat.v4.new_notebook(cells=cells)


def test_counts_of_a_tiny_notebook():
    t = reading_minutes(tiny())
    assert (t.words, t.figures, t.tables, t.code_cells) == (10 + 4 + 5, 1, 2, 2)
    assert (t.conceptual_exercises, t.coding_exercises) == (1, 1)


def test_minutes_follow_the_rates_and_round_up_to_five():
    rates = ReadingRates(technical_wpm=19.0, per_figure=2.0, per_table=3.0, per_code_cell=4.0,
                         per_conceptual_exercise=7.0, per_coding_exercise=9.0)
    t = reading_minutes(tiny(), rates)
    # 19 words / 19 wpm = 1, + 1 figure * 2 + 2 tables * 3 + 2 code cells * 4 = 17 -> 20
    assert t.reading == 20
    assert t.exercises == 20  # 7 + 9 = 16 -> 20
    assert t.total == 40


def test_prose_words_strip_syntax():
    assert prose_words("(sec-a)=\n## Two words") == 2
    assert prose_words("{term}`indirect effects <indirect effect>` here") == 3
    assert prose_words("a [link text](https://x.org) $x^2 + y$ and\n\n$$\na = b\n$$") == 6


def test_bad_input_names_the_value():
    with pytest.raises(ValueError, match="technical_wpm must be > 0, got 0"):
        ReadingRates(technical_wpm=0)
    with pytest.raises(FileNotFoundError, match="no_such_chapter"):
        reading_minutes("no_such_chapter.ipynb")


def test_every_chapter_gets_a_time():
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        t = reading_minutes(path)
        assert t.words > 300 and t.reading >= 5 and t.exercises >= 10, path.name


def test_a_file_counts_as_the_same_notebook_read_with_nbformat():
    # reading_minutes reads a file with json (nbformat's import costs a chapter's first cell 1.7 s)
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert reading_minutes(path) == reading_minutes(nbformat.read(path, as_version=4)), path.name


def test_the_chapters_first_cell_does_not_import_nbformat():
    import subprocess
    import sys

    code = ("import sys; from psyalliance.teaching.reading import glue_times; glue_times('01_the_study.ipynb', glue=lambda *a, **k: None); "
            "print(sorted(m for m in ('nbformat', 'jsonschema') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
