"""Every notebook of the repository is committed without outputs and with the ``python3`` kernel.

One check, used by ``tests/test_notebooks.py``, by the pre-commit hook of ``make lint`` and by ``make fix``::

    python -m tools.notebook_hygiene                 # every tracked notebook; prints each problem; exit 1 if any
    python -m tools.notebook_hygiene a.ipynb ...     # the notebooks named
    python -m tools.notebook_hygiene --fix [...]     # clear outputs and execution counts in place

Cells are numbered from 1, as ruff numbers them (``notebooks/x.ipynb:cell 3:...``). ``--fix`` rewrites
only the notebooks that carry outputs, in the files' own layout (one-space indent, UTF-8, a final newline),
so the diff is the outputs alone.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIX = "make fix"  # what a contributor runs (it calls `python -m tools.notebook_hygiene --fix`)


def repository_notebooks(root: Path = ROOT) -> list[Path]:
    """Every ``.ipynb`` the repository tracks (git), wherever it is; without git, every one outside
    ``_build/``, ``.venv/`` and hidden folders."""
    try:
        out = subprocess.run(["git", "ls-files", "-z", "--", "*.ipynb"], cwd=root, capture_output=True,
                             text=True, check=True).stdout
        return sorted(root / name for name in out.split("\0") if name and (root / name).is_file())
    except (OSError, subprocess.CalledProcessError):
        skip = {"_build", ".venv"}
        return sorted(p for p in root.rglob("*.ipynb")
                      if not any(part in skip or part.startswith(".") for part in p.relative_to(root).parts))


def _read(path: Path) -> tuple[dict | None, str | None]:
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        return None, f"{path}: not a readable notebook ({err})"
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        return None, f"{path}: not a notebook (no list of cells)"
    return nb, None


def dirty_cells(nb: dict) -> list[int]:
    """The code cells (numbered from 1, as ruff does) that carry outputs or an execution count."""
    return [i for i, cell in enumerate(nb["cells"], start=1)
            if cell.get("cell_type") == "code" and (cell.get("outputs") or cell.get("execution_count"))]


def notebook_problems(path: Path) -> list[str]:
    """Why the notebook at ``path`` cannot be committed as it is, each with its fix; empty if it can.

    Problems: code cells that carry outputs or an execution count, a kernel other than ``python3``,
    a file that is not a notebook (unreadable, not JSON, no ``cells`` list).
    """
    nb, error = _read(path)
    if error:
        return [error]
    problems = []
    dirty = dirty_cells(nb)
    if dirty:
        problems.append(f"{path}: cells {dirty} (counted from 1) carry outputs; clear them with `{FIX}`")
    kernel = (nb.get("metadata") or {}).get("kernelspec", {}).get("name")
    if kernel != "python3":
        problems.append(f"{path}: kernel must be python3, not {kernel!r}; set metadata.kernelspec.name to "
                        '"python3" (e.g. `jupytext --set-kernel python3 FILE`)')
    return problems


def clear_outputs(path: Path) -> bool:
    """Remove the outputs and execution counts of the notebook at ``path`` in place; True if it changed."""
    nb, error = _read(path)
    if error:
        raise ValueError(error)
    if not dirty_cells(nb):
        return False
    for cell in nb["cells"]:
        if cell.get("cell_type") == "code":
            cell["outputs"], cell["execution_count"] = [], None
    Path(path).write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return True


def main(argv: Sequence[str] | None = None) -> int:
    """Check (or with ``--fix`` clean) the notebooks named in ``argv``, by default every tracked notebook;
    1 if a problem remains."""
    args = list(sys.argv[1:] if argv is None else argv)
    fix = "--fix" in args
    paths = [Path(a) for a in args if a != "--fix"] or repository_notebooks()
    if fix:
        for path in paths:
            if _read(path)[1] is None and clear_outputs(path):
                print(f"{path}: outputs cleared")
    problems = [problem for path in paths for problem in notebook_problems(path)]
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
