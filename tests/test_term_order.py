"""tools/term_order.py: glossary terms a reader meets before the book explains them, in reading order."""

from __future__ import annotations

import json

import pytest

from tools.term_order import reading_order, terms_before_explanation

GLOSSARY = """# Glossary

```{glossary}
mediator
  A variable in between.

FIML
full-information maximum likelihood
  Uses every case.
```
"""


def _chapter(path, *cells):
    nb = {"cells": [{"cell_type": "markdown", "id": f"c{i}", "metadata": {}, "source": text}
                    for i, text in enumerate(cells)], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb))
    return path


@pytest.fixture
def glossary(tmp_path):
    path = tmp_path / "glossary.md"
    path.write_text(GLOSSARY)
    return path


def test_a_use_before_the_bold_definition_is_listed_with_both_places(tmp_path, glossary):
    one = _chapter(tmp_path / "01_a.ipynb", "## Intro\n\nThe {term}`mediator` carries the effect.")
    two = _chapter(tmp_path / "02_b.ipynb", "## Paths\n\nA **mediator** is a variable in between.")
    assert terms_before_explanation([one, two], glossary) == [
        "01_a, cell 0: 'mediator' (mediator) is used before its explanation in 02_b, cell 0"]
    assert terms_before_explanation([two, one], glossary) == []  # explained first: fine


def test_italics_explain_and_an_abbreviation_is_the_same_term(tmp_path, glossary):
    one = _chapter(tmp_path / "01_a.ipynb", "## Missing data\n\nWe use FIML here.",
                   "*Full-information maximum likelihood* (FIML) keeps every case.")
    assert terms_before_explanation([one], glossary) == [
        "01_a, cell 0: 'FIML' (FIML) is used before its explanation in 01_a, cell 1"]


def test_dropdowns_exercises_overview_and_summary_do_not_count(tmp_path, glossary):
    one = _chapter(
        tmp_path / "01_a.ipynb",
        "# Title\n\n## Overview\n\nYou will meet the mediator.\n\n## Prerequisites\n\nNone.",
        "## Paths\n\n```{admonition} For the curious: FIML\n:class: dropdown\nFIML is next.\n```\n\nPlain text.",
        "```{exercise-start}\n:label: ex-1\n```\nName a mediator.\n```{exercise-end}\n```",
        "## Later\n\nA **mediator** sits between; **FIML** uses every case.",
        "## Summary\n\nThe mediator, and FIML.")
    assert terms_before_explanation([one], glossary) == []


def test_code_math_and_headings_are_not_uses(tmp_path, glossary):
    one = _chapter(tmp_path / "01_a.ipynb", "## The mediator\n\n`mediator = 1` and $FIML$.",
                   "A **mediator** at last.")
    assert terms_before_explanation([one], glossary) == []


def test_the_reading_order_is_the_table_of_contents():
    stems = [p.stem for p in reading_order()]
    assert stems[:2] == ["01_the_study", "02_path_primer"]
    assert stems.index("07_path_models") < stems.index("09_how_much_24") < stems.index("A1_simulating")


def test_the_primer_uses_no_term_before_explaining_it():
    assert terms_before_explanation(only=["02_path_primer"]) == []


def test_no_chapter_uses_a_term_before_its_explanation():
    found = terms_before_explanation()
    assert found == [], "terms used before their explanation:\n" + "\n".join(found)
