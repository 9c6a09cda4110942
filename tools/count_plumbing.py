"""Count the chapters' plumbing in their code cells (notebooks/*.ipynb and book/instructor_guide.ipynb).

    python -m tools.count_plumbing              # the working tree
    python -m tools.count_plumbing main         # any git revision

Printed, one ``name: value`` a line:

* ``glue_lines``: lines calling myst-nb's ``glue(`` or a chapter's own ``glue_value(`` helper (one a value);
* ``glue_all_calls``: calls of ``psyalliance.teaching.chapter.glue_all`` (one a hidden cell, for all its values);
* ``rule_by_hand``: the printed-number rule typed by hand: ``.replace("0.", ...)``, ``.lstrip("0")`` or a
  ``< .001`` literal (one is left, in a figure legend's words);
* ``format_specs``: other hand-typed number formats: ``:.2f}``-style specs in f-strings, ``"{:.3f}".format``,
  ``.format(`` (pandas Styler formats included), ``:g}``, ``:,}``.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GLUE = re.compile(r"(?<![\w.])(glue|glue_value)\(")
GLUE_ALL = re.compile(r"^\s*glue_all\(")
RULE = re.compile(r"\.replace\(\"-?0\.\"|\.lstrip\(\"0\"\)|< \.001")
SPEC = re.compile(r":[+ ]?,?\.\d+[fgeF%]\}|\"\{:[^}\"]*\}\"\.format|\.format\(|:g\}|:,\}")


def _notebooks(rev: str | None) -> list[dict]:
    paths = subprocess.run(["git", "ls-files", "notebooks/*.ipynb", "book/instructor_guide.ipynb"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    if rev is None:
        return [json.loads((ROOT / p).read_text(encoding="utf-8")) for p in paths]
    return [json.loads(subprocess.run(["git", "show", f"{rev}:{p}"], cwd=ROOT, capture_output=True, text=True,
                                      check=True).stdout) for p in paths]


def counts(rev: str | None = None) -> dict[str, int]:
    """The four counts over every code line of the chapters at ``rev`` (None: the working tree)."""
    lines = [line for nb in _notebooks(rev) for cell in nb["cells"] if cell["cell_type"] == "code"
             for line in "".join(cell["source"]).splitlines()]
    return {"glue_lines": sum(bool(GLUE.search(x)) and "def " not in x for x in lines),
            "glue_all_calls": sum(bool(GLUE_ALL.match(x)) for x in lines),
            "rule_by_hand": sum(bool(RULE.search(x)) for x in lines),
            "format_specs": sum(bool(SPEC.search(x)) and not RULE.search(x) for x in lines)}


if __name__ == "__main__":
    for key, value in counts(sys.argv[1] if len(sys.argv) > 1 else None).items():
        print(f"{key}: {value}")
