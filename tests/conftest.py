"""Session fixtures shared by the slow tests: one strict book build, a browser, and static HTTP servers.

- built_book: the book built ONCE per test session, strictly (-W -n --keep-going), into a fresh folder
  (nothing cached, every notebook executes), started in the background when collection ends while the
  fast tests run first (on 2 cores they overlap). A BuiltBook(html, log, returncode); the build's own
  assertions are in tests/test_book.py. Tests needing the pages call book_pages(built_book).
- chromium: one headless Chromium WebDriver (selenium) for the session, 1280 x 900 CSS px, fresh profile,
  console recorded (helpers in tests/browser.py). Skipped with a message when no browser is installed;
  fails instead when CI is set.
- serve_directory: a function serve_directory(path) -> base URL, serving path on 127.0.0.1 (free port)
  until the end of the session.
- book_url: the built book's HTML served that way (base URL ending in "/").
- repo_state_at_start: the checkout's tracked changes (a diff against HEAD) and untracked files when the
  session started, before the book build: tests/test_assignment_runs.py compares them after every run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from browser import chromium_session, static_server

# One BLAS thread a process for what the tests start (the book build, its kernels, JupyterLab's kernels):
# they run beside pytest on 2 cores, and competing OpenBLAS threads slowed chapter 09 more than tenfold.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class BuiltBook:
    """A finished `jupyter-book build`: html is the output folder, log its stdout + stderr."""

    html: Path
    log: str
    returncode: int

    @property
    def reader(self) -> Path:
        """The reader notebooks the build wrote (book/_ext/reader_notebooks.py)."""
        return self.html.parent / "reader"


def book_pages(book: BuiltBook) -> list[Path]:
    """The built pages (relative to book.html), or fail when the build did not succeed."""
    if book.returncode != 0 or not (book.html / "index.html").exists():
        pytest.fail(f"the book did not build (exit {book.returncode}); see test_book.py; log tail:\n{book.log[-3000:]}")
    skip = ("_static", "_sources", "_images", "_panels_static")
    return sorted(p.relative_to(book.html) for p in book.html.rglob("*.html") if p.relative_to(book.html).parts[0] not in skip)


def _build_command(out: Path) -> list[str]:
    jb = Path(sys.executable).with_name("jupyter-book")
    # a fresh output folder: nothing cached, every notebook executes again
    return [str(jb), "build", str(ROOT), "-W", "-n", "--keep-going", "--path-output", str(out)]


def _build_env(out: Path) -> dict[str, str]:
    """The build's environment: its kernels load psyalliance.figures.figtext (as `make book` does), from a copy of
    book/_ipython under the output folder (kernels write their history there, never into the checkout)."""
    profile = out / "ipython" / "profile_default"
    profile.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "book" / "_ipython" / "profile_default" / "ipython_kernel_config.py", profile)
    return {**os.environ, "IPYTHONDIR": str(out / "ipython")}


_BACKGROUND: dict[str, Any] = {}  # the book build started when collection ends (see pytest_collection_finish)


def repo_state() -> tuple[str, str]:
    """The tracked files' changes against HEAD (a diff) and the untracked, not ignored, files: a snapshot."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout

    return git("diff", "--no-ext-diff", "--binary", "HEAD"), git("ls-files", "--others", "--exclude-standard")


_REPO_AT_START: dict[str, Any] = {}


def pytest_sessionstart(session: pytest.Session) -> None:
    _REPO_AT_START["state"] = repo_state() if (ROOT / ".git").exists() else None


@pytest.fixture(scope="session")
def repo_state_at_start() -> tuple[str, str]:
    if _REPO_AT_START.get("state") is None:
        pytest.skip("not a git checkout")
    return _REPO_AT_START["state"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Fast tests first, slow ones after (each group in its usual order), so that the book build can run
    on the second core while the fast tests run on the first."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is not None)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the session's book build in the background as soon as it is known that a test needs it."""
    if os.environ.get("PSYALLIANCE_BUILT_BOOK") or not any(
            "built_book" in getattr(item, "fixturenames", ()) for item in session.items):
        return
    keep = os.environ.get("PSYALLIANCE_KEEP_BOOK")  # .ci/run keeps the build for its second JupyterLab pass
    out = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="psyalliance-book-"))
    if keep:
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
    log = (out / "build.log").open("w")
    _BACKGROUND.update(out=out, keep=bool(keep), log=log, proc=subprocess.Popen(_build_command(out), stdout=log,
                                                              stderr=subprocess.STDOUT, cwd=ROOT,
                                                              env=_build_env(out)))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    proc = _BACKGROUND.get("proc")
    if proc is not None:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        _BACKGROUND["log"].close()
        if not _BACKGROUND["keep"]:
            shutil.rmtree(_BACKGROUND["out"], ignore_errors=True)


@pytest.fixture(scope="session")
def built_book(tmp_path_factory: pytest.TempPathFactory) -> BuiltBook:
    """One fresh strict build for the session (started in the background when collection ended).

    A developer re-running the slow tests can point ``PSYALLIANCE_BUILT_BOOK`` at a folder that holds a
    ``_build/`` made by ``make book``; the tests then check that build instead of making one.
    """
    reuse = os.environ.get("PSYALLIANCE_BUILT_BOOK")
    if reuse:
        return BuiltBook(html=Path(reuse) / "_build" / "html", log="build succeeded (reused, not rebuilt)", returncode=0)
    if _BACKGROUND:
        out, proc = _BACKGROUND["out"], _BACKGROUND["proc"]
        returncode = proc.wait(timeout=1800)
        _BACKGROUND["log"].flush()
        log = (out / "build.log").read_text()
    else:
        out = tmp_path_factory.mktemp("book")
        result = subprocess.run(_build_command(out), capture_output=True, text=True, timeout=1800, cwd=ROOT,
                                env=_build_env(out))
        returncode, log = result.returncode, result.stdout + result.stderr
    return BuiltBook(html=out / "_build" / "html", log=log, returncode=returncode)


@pytest.fixture(scope="session")
def serve_directory() -> Iterator[Callable[[Path], str]]:
    with ExitStack() as stack:
        yield lambda path: stack.enter_context(static_server(path))


@pytest.fixture(scope="session")
def book_url(built_book: BuiltBook, serve_directory: Callable[[Path], str]) -> str:
    book_pages(built_book)
    return serve_directory(built_book.html)


@pytest.fixture(scope="session")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with chromium_session(tmp_path_factory.mktemp("chromium-profile")) as driver:
        yield driver
