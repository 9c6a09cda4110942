"""psyalliance.teaching.syllabus: chapters from the table of contents, titles and Overview objectives."""

import nbformat
import pytest

from psyalliance.teaching.syllabus import ROOT, chapter_title, objectives, session_plan, toc_chapters


def test_objectives_are_the_overview_list_items_without_roles():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        "# A chapter\n\n## Overview\n\nYou will be able to:\n\n1. fit a {term}`path model <path model>`\n"
        "   by ML {cite}`levin2024`;\n- read a table.\n\n## Prerequisites\n\n- not an objective\n")])
    assert chapter_title(nb) == "A chapter"
    assert objectives(nb) == ["fit a path model by ML", "read a table"]


def test_the_plan_follows_the_toc(tmp_path):
    (tmp_path / "notebooks").mkdir()
    for name, title in (("b", "Second"), ("a", "First")):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"# {title}\n\n" + "word " * 300)])
        nbformat.write(nb, tmp_path / "notebooks" / f"{name}.ipynb")
    (tmp_path / "_toc.yml").write_text("root: intro\nparts:\n  - chapters:\n      - file: notebooks/b\n"
                                       "      - file: book/glossary\n  - chapters:\n      - file: notebooks/a\n")
    plan = session_plan(tmp_path / "_toc.yml")
    assert list(plan["chapter"]) == ["Second", "First"]
    assert list(plan["reading (min)"]) == [5, 5]  # 302 words at 150 wpm, rounded up to 5


def test_every_book_chapter_has_objectives():
    for path in toc_chapters(ROOT / "_toc.yml"):
        assert len(objectives(nbformat.read(path, as_version=4))) >= 3, path.name


def test_unreadable_toc_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="cannot read the chapters of"):
        toc_chapters(tmp_path / "missing.yml")
    (tmp_path / "neither.yml").write_text("format: jb-book\nroot: intro\n")
    with pytest.raises(ValueError, match="with parts or chapters"):
        toc_chapters(tmp_path / "neither.yml")


def test_a_toc_without_parts_lists_its_top_level_chapters(tmp_path):
    toc = tmp_path / "_toc.yml"  # as jupyter-book 1.x allows, and as tests/test_code_follows.py's cut book has
    toc.write_text("format: jb-book\nroot: book/intro\nchapters:\n  - file: notebooks/05_alliance_change\n"
                   "  - file: book/glossary\n  - file: notebooks/A1_simulating\n")
    assert toc_chapters(toc) == [tmp_path / "notebooks/05_alliance_change.ipynb",
                                 tmp_path / "notebooks/A1_simulating.ipynb"]
