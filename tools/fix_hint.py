"""Run a check and, when it fails, say which command fixes what it found (the ruff hook of ``make lint``)::

    python -m tools.fix_hint ruff check --force-exclude FILE ...

The check's own output comes first; its exit status is kept.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence

HINT = ("To fix: `make fix` (ruff check --fix, and notebook outputs cleared), then `make lint` again; "
        "what ruff cannot fix itself it names above, with the file, line (and notebook cell, from 1).")


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``argv`` (a command and its arguments; ``ruff`` runs as ``python -m ruff``); print HINT if it fails."""
    command = list(sys.argv[1:] if argv is None else argv)
    if not command:
        print("usage: python -m tools.fix_hint COMMAND [ARGS ...]", file=sys.stderr)
        return 2
    if command[0] == "ruff":  # the ruff of this environment, whatever PATH says
        command = [sys.executable, "-m", "ruff", *command[1:]]
    status = subprocess.run(command).returncode
    if status != 0:
        print(HINT, file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
