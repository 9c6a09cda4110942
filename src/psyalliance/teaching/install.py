"""The first cells of a notebook that leaves the repository: how to install the book's package and data.

A chapter's reader notebook (the web page's download, Binder, Colab) and the student and instructor
notebooks start with a markdown cell that gives the exact command, and a code cell that does nothing
where ``psyalliance`` is importable, runs that command on Colab, and elsewhere stops with the command
to run (instead of ``ModuleNotFoundError: psyalliance``). The command installs the package from the
book's repository at the book's version (git tag ``v<version>``; a wheel built from it carries the
data, see ``setup.py``) together with its run-time dependencies at the exact versions of
``requirements.txt``. The repository address comes from ``_config.yml`` (its one place), the version
from the package's metadata (``pyproject.toml``); the book's build fills them in.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

__all__ = ["runtime_pins", "git_requirement", "pip_command", "install_cells"]

CELL_ID = "reader-install"


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_pins(pyproject: Path, requirements: Path) -> list[str]:
    """``name==version`` of each run-time dependency of ``pyproject.toml``, pinned as in ``requirements.txt``.

    Raises ValueError naming a dependency that ``requirements.txt`` does not pin exactly.
    """
    deps = tomllib.loads(Path(pyproject).read_text(encoding="utf-8"))["project"].get("dependencies", [])
    pins = {}
    for line in Path(requirements).read_text(encoding="utf-8").splitlines():
        name, sep, version = line.split("#")[0].strip().partition("==")
        if sep:
            pins[_norm(name)] = f"{name.strip()}=={version.strip()}"
    names = [re.split(r"[<>=!~;\[ ]", d, maxsplit=1)[0] for d in deps]
    missing = [n for n in names if _norm(n) not in pins]
    if missing:
        raise ValueError(f"run-time dependencies of {pyproject} without an exact pin in {requirements}: {missing}")
    return [pins[_norm(n)] for n in names]


def git_requirement(repo_url: str, version: str) -> str:
    """The pip requirement of the package at the book's version: ``psyalliance @ git+<repo>@v<version>``."""
    if not re.fullmatch(r"https://[\w.-]+/[\w.-]+/[\w.-]+", repo_url.rstrip("/")):
        raise ValueError(f"repository URL must look like https://host/owner/name, got {repo_url!r}")
    if not re.fullmatch(r"\d+(\.\d+)*([a-z]+\d*)?", version):
        raise ValueError(f"version must look like 1.2.3, got {version!r}")
    return f"psyalliance @ git+{repo_url.rstrip('/')}@v{version}"


def pip_command(repo_url: str, version: str, pins: list[str]) -> list[str]:
    """The arguments after ``python -m pip install``: the package at the book's version and the pinned dependencies."""
    return [git_requirement(repo_url, version), *pins]


def _shell(args: list[str]) -> str:
    return "python -m pip install " + " ".join(f'"{a}"' if " " in a else a for a in args)


def install_cells(repo_url: str, version: str, pins: list[str]) -> tuple[str, str]:
    """The markdown and the code of the install cells (the code is plain Python: nothing is installed yet)."""
    args = pip_command(repo_url, version, pins)
    markdown = (f"> **Running this notebook outside the book.** It needs the book's package `psyalliance` (version "
                f"{version}) and its data. In a clone of the book's repository, `make lab` has them. Anywhere else "
                "(a downloaded notebook, your own Python 3.11+), install them once, in a terminal:\n>\n"
                f"> ```\n> {_shell(args)}\n> ```\n>\n"
                "> On Colab, the next cell does that for you. Where the package is installed already, it does "
                "nothing.")
    code = ("# The book's package and data at the book's version (see the cell above). Nothing to do where it is\n"
            "# installed; on Colab this installs it; elsewhere it stops and says what to run.\n"
            "import importlib.util, subprocess, sys\n\n"
            f"PSYALLIANCE = {args!r}\n"
            "if importlib.util.find_spec(\"psyalliance\") is None:\n"
            "    if \"google.colab\" in sys.modules:\n"
            "        subprocess.run([sys.executable, \"-m\", \"pip\", \"install\", \"--quiet\", *PSYALLIANCE], check=True)\n"
            "        print(\"Installed psyalliance. If Colab asks to restart the session, do so, then run from the top.\")\n"
            "    else:\n"
            "        raise ModuleNotFoundError(\"psyalliance is not installed; in a terminal, run:\\n  python -m pip install \"\n"
            "                                  + \" \".join(f'\"{a}\"' for a in PSYALLIANCE))")
    return markdown, code
