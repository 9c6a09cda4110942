"""Shared fixtures: one strict build of the book per test session."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/browser.py


@dataclass(frozen=True)
class BuiltBook:
    html: Path  # <tmp>/_build/html
    reader: Path  # <tmp>/_build/reader
    returncode: int
    log: str


@pytest.fixture(scope="session")
def built_book(tmp_path_factory) -> BuiltBook:
    """The book built from scratch into a fresh folder (every notebook executes again), strictly.

    A developer re-running the slow tests can point ``PSYALLIANCE_BUILT_BOOK`` at a folder that holds a
    ``_build/`` made by ``make book``; the build test then checks that build instead of making one.
    """
    reuse = os.environ.get("PSYALLIANCE_BUILT_BOOK")
    if reuse:
        build = Path(reuse) / "_build"
        return BuiltBook(build / "html", build / "reader", 0, "build succeeded (reused, not rebuilt)")
    out = tmp_path_factory.mktemp("book")
    jb = Path(sys.executable).with_name("jupyter-book")
    result = subprocess.run(
        [str(jb), "build", str(ROOT), "-W", "-n", "--keep-going", "--path-output", str(out)],
        capture_output=True, text=True, timeout=1800,
    )
    return BuiltBook(out / "_build" / "html", out / "_build" / "reader", result.returncode, result.stdout + result.stderr)
