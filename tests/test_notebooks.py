"""Every chapter notebook is committed without outputs and runs top to bottom in a fresh kernel.

Running top to bottom is tested twice elsewhere, so it is not repeated here: the strict book build
(tests/test_book.py) executes every chapter in a fresh kernel into an empty cache and fails on any
error (``nb_execution_raise_on_error``), and tests/test_browser_lab.py runs every reader notebook (the
chapter's code cells, solutions aside: tests/test_reader_notebooks.py) with Run All in JupyterLab.
"""

from pathlib import Path

import nbformat
import pytest

from tools.notebook_hygiene import main as hygiene_main
from tools.notebook_hygiene import notebook_problems

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_chapters():
    assert NOTEBOOKS, "no notebooks under notebooks/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
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
    assert len(problems) == 2 and "cells [1] carry outputs" in problems[0] and "'ir'" in problems[1]
    assert hygiene_main([str(path)]) == 1
    cell.outputs, cell.execution_count, nb.metadata.kernelspec.name = [], None, "python3"
    nbformat.write(nb, path)
    assert notebook_problems(path) == [] and hygiene_main([str(path)]) == 0
    path.write_text("{not json")
    assert "not a readable notebook" in notebook_problems(path)[0]
