"""The weekly "latest" job's requirements: every exact pin of requirements.txt lifted to the newest release
of the same major version (``jupyter-book==1.0.4.post1`` becomes ``jupyter-book>=1.0.4.post1,<2``).

Lifting the pins altogether pulls releases that are other tools under the same name (jupyter-book 2 cannot
build a Jupyter Book 1 book) and would fail every week for a reason nobody can act on; a new major release
is a decision (CONTRIBUTING.md, "You changed a dependency"), and dependabot or a person proposes it::

    python -m tools.cap_pins requirements.txt > /tmp/capped.txt
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import Path

PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?P<extras>\[[^\]]*\])?==(?P<version>\d+)(?P<rest>[^\s;#]*)\s*$")


def cap(line: str) -> str:
    """One requirements line with its exact pin turned into ``>=pin,<next major``; comments and blank lines
    unchanged. Anything else (a range, a URL, an environment marker) is refused, naming the line."""
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return line
    match = PIN.match(stripped)
    if not match:
        raise ValueError(f"not an exact pin 'name==version': {line!r}")
    name, extras, major = match["name"], match["extras"] or "", int(match["version"])
    return f"{name}{extras}>={match['version']}{match['rest']},<{major + 1}"


def main(argv: Sequence[str] | None = None) -> int:
    """Print the capped form of the requirements file named in ``argv``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m tools.cap_pins requirements.txt", file=sys.stderr)
        return 2
    for line in Path(args[0]).read_text(encoding="utf-8").splitlines():
        print(cap(line))
    return 0


if __name__ == "__main__":
    sys.exit(main())
