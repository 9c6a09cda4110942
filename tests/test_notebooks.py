"""Every notebook of the repository is committed without outputs; every chapter runs top to bottom in a fresh kernel.

Running top to bottom is tested twice elsewhere, so it is not repeated here: the strict book build
(tests/test_book.py) executes every chapter in a fresh kernel into an empty cache and fails on any
error (``nb_execution_raise_on_error``), and tests/test_browser_lab.py runs every reader notebook (the
chapter's code cells, solutions aside: tests/test_reader_notebooks.py) with Run All in JupyterLab.
"""

import json
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from tools.notebook_hygiene import clear_outputs, notebook_problems, repository_notebooks
from tools.notebook_hygiene import main as hygiene_main

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
EVERY_NOTEBOOK = repository_notebooks()  # the chapters, book/instructor_guide.ipynb and any other tracked one


def test_there_are_chapters():
    assert NOTEBOOKS, "no notebooks under notebooks/"


def test_every_notebook_is_checked_wherever_it_is():
    assert set(NOTEBOOKS) <= set(EVERY_NOTEBOOK) and ROOT / "book" / "instructor_guide.ipynb" in EVERY_NOTEBOOK
    tracked = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True, text=True, check=True)
    assert {ROOT / name for name in tracked.stdout.split()} == set(EVERY_NOTEBOOK)


@pytest.mark.parametrize("path", EVERY_NOTEBOOK, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_committed_without_outputs(path):
    problems = notebook_problems(path)  # the same check as the pre-commit hook of `make lint`
    assert not problems, "; ".join(problems)


def test_the_check_finds_outputs_and_a_wrong_kernel(tmp_path):
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "ir", "display_name": "R"}})
    cell = nbformat.v4.new_code_cell("1 + 1", execution_count=1)
    cell.outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=1)]
    nb.cells = [nbformat.v4.new_markdown_cell("# Title"), cell, nbformat.v4.new_code_cell("x = 1")]
    path = tmp_path / "dirty.ipynb"
    nbformat.write(nb, path)
    problems = notebook_problems(path)
    # cells counted from 1, as ruff counts them; each problem names its fix
    assert len(problems) == 2 and "cells [2] (counted from 1) carry outputs" in problems[0] and "'ir'" in problems[1]
    assert "`make fix`" in problems[0] and "python3" in problems[1]
    assert hygiene_main([str(path)]) == 1
    cell.outputs, cell.execution_count, nb.metadata.kernelspec.name = [], None, "python3"
    nbformat.write(nb, path)
    assert notebook_problems(path) == [] and hygiene_main([str(path)]) == 0
    path.write_text("{not json")
    assert "not a readable notebook" in notebook_problems(path)[0]


def test_the_fix_clears_outputs_and_changes_nothing_else(tmp_path):
    """`make fix` on a chapter run in JupyterLab gives back the committed file, byte for byte."""
    original = ROOT / "book" / "instructor_guide.ipynb"
    path = tmp_path / original.name
    nb = json.loads(original.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code
    for n, cell in enumerate(code, start=1):
        cell["execution_count"] = n
        cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["ünïcode output\n"]}]
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    assert hygiene_main([str(path)]) == 1
    assert clear_outputs(path) is True and clear_outputs(path) is False
    assert path.read_bytes() == original.read_bytes()
    shutil.copyfile(original, path)
    assert hygiene_main(["--fix", str(path)]) == 0 and path.read_bytes() == original.read_bytes()
