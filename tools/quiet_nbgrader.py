"""Turn off nbgrader's JupyterLab and server extensions in this environment (make venv, Binder's postBuild).

nbgrader (requirements.txt) is the instructor's grading tool, run from the command line (make grade-demo,
the instructor guide). Installed, it would also add its menus and toolbars (formgrader, assignment list,
validate) to the JupyterLab that students open with `make lab` or on Binder; this keeps that JupyterLab as
it was. Instructors who want nbgrader's web interface run `jupyter labextension enable @jupyter/nbgrader`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SERVER = ("formgrader", "validate_assignment", "assignment_list", "course_list")


def main() -> None:
    jupyter = str(Path(sys.executable).parent / "jupyter")
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "check": True}
    subprocess.run([jupyter, "labextension", "disable", "--level=sys_prefix", "@jupyter/nbgrader"], **quiet)
    subprocess.run([jupyter, "server", "extension", "disable", "--sys-prefix",
                    *(f"nbgrader.server_extensions.{name}" for name in SERVER)], **quiet)


if __name__ == "__main__":
    main()
