"""Chapter notebooks are committed without outputs and with the ``python3`` kernel.

One check, used by ``tests/test_notebooks.py`` and by the pre-commit hook of ``make lint``::

    python -m tools.notebook_hygiene notebooks/*.ipynb   # prints each problem; exit status 1 if any
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def notebook_problems(path: Path) -> list[str]:
    """Why the notebook at ``path`` cannot be committed as it is; an empty list if it can.

    Problems: code cells that carry outputs or an execution count, a kernel other than ``python3``,
    a file that is not a notebook (unreadable, not JSON, no ``cells`` list).
    """
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        return [f"{path}: not a readable notebook ({err})"]
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        return [f"{path}: not a notebook (no list of cells)"]
    problems = []
    dirty = [
        i
        for i, cell in enumerate(nb["cells"])
        if cell.get("cell_type") == "code" and (cell.get("outputs") or cell.get("execution_count"))
    ]
    if dirty:
        problems.append(f"{path}: cells {dirty} carry outputs; clear them before committing")
    kernel = (nb.get("metadata") or {}).get("kernelspec", {}).get("name")
    if kernel != "python3":
        problems.append(f"{path}: kernel must be python3, not {kernel!r}")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    """Check the notebooks named in ``argv`` (default: every ``notebooks/*.ipynb``); 1 if any has a problem."""
    paths = [Path(p) for p in (sys.argv[1:] if argv is None else argv)] or sorted(NOTEBOOKS.glob("*.ipynb"))
    problems = [problem for path in paths for problem in notebook_problems(path)]
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
