"""No large file enters the repository by accident (the large-file hook of ``make lint``).

A built book, an executed notebook, a dataset per student or a figure rendered at print size would make
every clone slower for good. Files above ``LIMIT_KB`` fail, unless listed in ``ALLOWED`` with the reason::

    python -m tools.large_files FILE ...   # pre-commit passes the files being committed (all with --all-files)
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

LIMIT_KB = 500  # as pre-commit-hooks' check-added-large-files; the largest tracked file is a chapter (~60 KB)
ALLOWED: dict[str, str] = {}  # path -> why it must be committed although large


def large_files(paths: Sequence[Path], limit_kb: int = LIMIT_KB) -> list[str]:
    """A message for every file of ``paths`` larger than ``limit_kb`` KiB and not in ``ALLOWED``."""
    problems = []
    for path in paths:
        path = Path(path)
        if not path.is_file() or path.as_posix() in ALLOWED:
            continue
        size_kb = path.stat().st_size / 1024
        if size_kb > limit_kb:
            problems.append(f"{path}: {size_kb:.0f} KiB, above the {limit_kb} KiB limit. If it was added by "
                            f"mistake: `git rm --cached {path}` (and list it in .gitignore); if it must be "
                            "committed, add it to ALLOWED in tools/large_files.py with the reason")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    """Check the files named in ``argv``; 1 if any is too large."""
    problems = large_files([Path(p) for p in (sys.argv[1:] if argv is None else argv)])
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
