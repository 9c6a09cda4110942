"""tools/link_terms.py: which uses it links, which it leaves alone, and that a second run changes nothing."""

import copy
import json

import pytest

from tools.link_terms import Concept, GlossaryError, Linker, link_notebook, protected_mask, read_glossary

GLOSSARY = """# Glossary

```{glossary}
:sorted:

path model
  A set of regressions.

FIML
full-information maximum likelihood
  Uses every case.

bootstrap
  Resampling.

maximum likelihood
  Estimation.
```
"""


@pytest.fixture
def linker(tmp_path) -> Linker:
    path = tmp_path / "glossary.md"
    path.write_text(GLOSSARY)
    return Linker(read_glossary(path))


def cells(*texts):
    return [{"cell_type": "markdown", "metadata": {}, "source": t} for t in texts]


def linked(linker, *texts):
    cs = cells(*texts)
    linker.link(cs)
    return [c["source"] for c in cs]


def test_reads_entries_with_several_terms(linker):
    assert [c.terms for c in linker.concepts] == [("path model",), ("FIML", "full-information maximum likelihood"),
                                                 ("bootstrap",), ("maximum likelihood",)]


def test_first_use_only_plural_and_case(linker):
    out = linked(linker, "Two path models. A path model.", "Bootstrap first; then bootstrap.")
    assert out == ["Two {term}`path models <path model>`. A path model.",
                   "{term}`Bootstrap <bootstrap>` first; then bootstrap."]


def test_one_link_per_entry_and_longest_form_wins(linker):
    out = linked(linker, "By full-information maximum likelihood (FIML), not maximum likelihood.")
    assert out == ["By {term}`full-information maximum likelihood` (FIML), not {term}`maximum likelihood`."]


def test_acronyms_match_case_sensitively(linker):
    assert linked(linker, "fiml is not FIML.") == ["fiml is not {term}`FIML`."]


@pytest.mark.parametrize("text", [
    "## A path model heading",
    "`path model` in code",
    "$path model$ math",
    "[path model](07_path_models.ipynb) a link",
    "{glue:text}`path model` a glue role",
    "{cite}`path model` a citation",
    "```python\npath model\n```",
    "```{exercise-start}\n:label: path model\n```",
    "```{math}\npath model\n```",
    "$$\npath model\n$$",
    "(path model)=",
    "% path model comment",
    "a path-model compound",
    "<span title='path model'>",
])
def test_protected_places_are_never_linked(linker, text):
    assert linked(linker, text) == [text]


def test_text_inside_a_directive_is_linked_but_not_its_fence_or_options(linker):
    text = "```{glue:figure} fig_a\n:name: fig-a\n\nA path model, simulated.\n```"
    assert linked(linker, text) == [text.replace("A path model", "A {term}`path model`")]


def test_an_existing_link_counts_as_the_first_use(linker):
    text = "A {term}`path models <path model>` here, and a path model later."
    assert linked(linker, text) == [text]


def test_a_link_in_a_code_block_does_not_count(linker):
    out = linked(linker, "```\n{term}`path model`\n```\nA path model.")
    assert out == ["```\n{term}`path model`\n```\nA {term}`path model`."]


def test_idempotent_on_a_notebook(linker, tmp_path):
    nb = {"cells": cells("A path model by maximum likelihood.", "FIML and the bootstrap.") +
          [{"cell_type": "code", "metadata": {}, "source": ["path model = 1\n"], "outputs": [],
            "execution_count": None}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    for c in nb["cells"][:2]:
        c["source"] = [c["source"]]
    path = tmp_path / "x.ipynb"
    path.write_text(json.dumps(nb, indent=1) + "\n")
    assert link_notebook(path, linker) == 4
    once = path.read_text()
    assert link_notebook(path, linker) == 0
    assert path.read_text() == once
    assert json.loads(once)["cells"][2]["source"] == ["path model = 1\n"]  # code cells untouched


def test_mask_covers_exactly_the_code_span():
    text = "a `b` c"
    assert protected_mask(text) == [False, False, True, True, True, False, False]


def test_a_page_without_a_glossary_is_a_clear_error(tmp_path):
    path = tmp_path / "g.md"
    path.write_text("# Nothing here\n")
    with pytest.raises(GlossaryError, match="no ```{glossary} directive"):
        read_glossary(path)
    with pytest.raises(GlossaryError, match="cannot read the glossary"):
        read_glossary(tmp_path / "missing.md")


def test_concept_forms_add_plurals_once():
    assert Concept(("equivalent models", "equivalent model")).forms() == {
        "equivalent models": "equivalent models", "equivalent model": "equivalent model"}
    assert copy.copy(Concept(("CFI",))).forms() == {"CFI": "CFI", "CFIs": "CFI"}
