"""Every chapter notebook is committed without outputs and runs top to bottom in a fresh kernel.

Running top to bottom is tested twice elsewhere, so it is not repeated here: the strict book build
(tests/test_book.py) executes every chapter in a fresh kernel into an empty cache and fails on any
error (``nb_execution_raise_on_error``), and tests/test_browser_lab.py runs every reader notebook (the
same code cells, tests/test_reader_notebooks.py) with Run All in JupyterLab.
"""

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_chapters():
    assert NOTEBOOKS, "no notebooks under notebooks/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path):
    nb = json.loads(path.read_text())
    dirty = [
        i
        for i, cell in enumerate(nb["cells"])
        if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count"))
    ]
    assert not dirty, f"{path.name}: cells {dirty} carry outputs; clear them before committing"
    assert nb["metadata"].get("kernelspec", {}).get("name") == "python3", f"{path.name}: kernel must be python3"
