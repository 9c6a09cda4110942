"""Every instructor notebook says Correct for every check, on the book's dataset and on a student's; every
student notebook's Run All reaches its last cell; no run changes a tracked file.

The notebooks are the ones the session's strict book build wrote (``_build/assignments/``), executed with
nbclient in fresh kernels, two at a time (2 cores), each in its own temporary folder:

* **instructor, book's dataset, then a student's**: the instructor notebook runs top to bottom in a folder
  without ``my_dataset.csv``; every check must print "Correct". Then, in the same kernel, the exercises
  switch to a dataset from ``make student-data`` (``PSYALLIANCE_DATASET``, ``my_data = my_dataset()``,
  the banner) and every solution and check of an exercise whose answer depends on the data runs again;
  every check must again print "Correct". Sharing the kernel saves a second execution of the chapter's
  narrative, which never reads the student's dataset: ``load_dataset()`` ignores it
  (tests/test_selfcheck.py) and ``my_data`` is bound only by the setup line and read only by exercises
  (tests/test_assignments.py). Answers that do not depend on the data (Monte Carlo, the audit's) are the
  same on any dataset, so their first run stands for both.
* **student, a student's dataset**: the student notebook with the student's ``my_dataset.csv`` beside it,
  untouched; no cell may raise, the last code cell must run, and every check must say the exercise is
  still open (one line, no traceback).

``PSYALLIANCE_ASSIGNMENTS`` chooses the chapters: ``core`` (default, in ``make test``: chapter 05, about
a minute), ``all`` (every chapter and the instructor guide: ``make test-assignments``, which ``.ci/run``
runs on ``make test``'s kept build; about 10 minutes on 2 cores), ``rest`` (all but core).
"""

from __future__ import annotations

import multiprocessing
import os
import re
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

import nbformat
import pytest

from conftest import repo_state
from psyalliance.teaching import selfcheck, studentdata

ROOT = Path(__file__).resolve().parents[1]
NAMES = sorted(p.name for p in [*(ROOT / "notebooks").glob("*.ipynb"), ROOT / "book" / "instructor_guide.ipynb"])
CORE = ["05_alliance_change.ipynb"]
SELECTION = os.environ.get("PSYALLIANCE_ASSIGNMENTS", "core")
CELL_TIMEOUT = 1200  # seconds: chapter 09's Monte Carlo checks under load
STILL_OPEN = re.compile(r"^Exercise [\w.]+ is still open: replace the \.\.\. in the cell above with your code, run it, "
                        r"then run this check again\.\n$")


def _chosen() -> list[str]:
    if SELECTION not in ("core", "all", "rest"):
        raise ValueError(f"PSYALLIANCE_ASSIGNMENTS must be core, all or rest, got {SELECTION!r}")
    return {"core": CORE, "all": NAMES, "rest": [n for n in NAMES if n not in CORE]}[SELECTION]


def _is(cell: dict, prefix: str) -> bool:
    return str(cell.get("id", "")).startswith(prefix)


def _uses_data(check_key: str) -> bool:
    """Whether the question of a check cell (``ex-02-3``, or ``ex-02-3--reject`` for a part) depends on the data."""
    label, _, part = check_key.partition("--")
    return selfcheck._lookup(label, part or None).uses_data


def _rerun_on(nb: nbformat.NotebookNode, dataset: Path) -> int:
    """Append: switch the exercises to ``dataset``, then every data-dependent solution and check again."""
    first = (f"import os\nos.environ[{selfcheck.DATASET_ENV!r}] = {str(dataset)!r}\n"
             "from psyalliance.teaching.selfcheck import datasets_banner as _banner, my_dataset as _my_dataset\n\n"
             "my_data = _my_dataset()\n_banner()")
    added = [nbformat.v4.new_code_cell(first, id="rerun-student-dataset")]
    data_labels = {lab for lab in selfcheck.labels() if _uses_data(lab)
                   or any(_uses_data(f"{lab}--{part}") for part in selfcheck.parts(lab))}
    for cell in nb.cells:
        check_key = str(cell.get("id", "")).removeprefix("assign-check-") if _is(cell, "assign-check-") else None
        if (check_key is not None and _uses_data(check_key)) or any(
                _is(cell, f"assign-solution-{lab}-") for lab in data_labels):
            added.append(nbformat.v4.new_code_cell(cell.source, id=f"rerun-{cell.id}"[:64]))
    nb.cells += added
    return len(added)


KERNEL_STARTS = 3
"""Tries to start a notebook's kernel. Two workers start kernels at once, each on TCP ports the OS had just
handed out as free; one CI run lost 1 kernel of 29 before it answered ("Kernel died before replying to
kernel_info"), and the rerun passed. A kernel that dies before running a cell has run nothing, so starting
another is the same run; a kernel that cannot start at all still fails, after KERNEL_STARTS tries."""


def _execute(kind: str, source: Path, workdir: Path, student_file: Path) -> dict:
    """Execute one notebook in ``workdir`` (a child process); what the test needs from its outputs."""
    from nbclient import NotebookClient

    nb = nbformat.read(source, as_version=4)
    workdir.mkdir(parents=True, exist_ok=True)
    if kind == "student":
        (workdir / "my_dataset.csv").write_bytes(student_file.read_bytes())
    else:
        _rerun_on(nb, student_file)
    os.environ.pop(selfcheck.DATASET_ENV, None)
    for attempt in range(1, KERNEL_STARTS + 1):
        try:
            NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3", allow_errors=True,
                           resources={"metadata": {"path": str(workdir)}}).execute()
            break
        except RuntimeError as err:  # the kernel never started: no cell ran, so a second start is the same run
            if "Kernel died before replying to kernel_info" not in str(err) or attempt == KERNEL_STARTS:
                raise
    cells = []
    for c in nb.cells:
        if c.cell_type != "code":
            continue
        text = "".join(o.get("text", "") for o in c.outputs if o["output_type"] == "stream")
        errors = [f"{o['ename']}: {o['evalue']}" for o in c.outputs if o["output_type"] == "error"]
        cells.append({"id": str(c.get("id", "")), "text": text, "errors": errors, "ran": c.execution_count is not None})
    return {"cells": cells}


@pytest.fixture(scope="module")
def student_file(tmp_path_factory) -> Path:
    """A dataset exactly as ``make student-data`` writes it for one student (without the answer key, whose
    Monte Carlo answers take minutes; tests/test_assignments.py checks the key)."""
    path = studentdata.write_dataset("s-runs", tmp_path_factory.mktemp("students"))
    assert path.name == "my_dataset.csv"
    return path


@pytest.fixture(scope="module")
def runs(built_book, student_file, tmp_path_factory) -> dict[tuple[str, str], Future]:
    assert built_book.returncode == 0, built_book.log[-3000:]
    out = built_book.html.parent / "assignments"
    work = tmp_path_factory.mktemp("runs")
    pool = ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("fork"))
    futures = {}
    # the slow chapters first, so that the two workers finish together
    order = sorted(_chosen(), key=lambda n: not n.startswith(("09", "11", "07", "A1")))
    for name in order:
        for kind in ("instructor", "student"):
            futures[kind, name] = pool.submit(_execute, kind, out / kind / name, work / kind / name, student_file)
    yield futures
    pool.shutdown(wait=True, cancel_futures=True)


def _params():
    chosen = set(_chosen())
    skip = pytest.mark.skip(reason="not in PSYALLIANCE_ASSIGNMENTS' selection; `make test-assignments` runs it")
    return [pytest.param(n, marks=() if n in chosen else skip) for n in NAMES]


def _setup_cell(cells: list[dict]) -> dict:
    """The assignment's setup cell: the first after the reader notebook's install cells."""
    return next(c for c in cells if c["id"].startswith("assign-setup"))


@pytest.mark.slow
@pytest.mark.parametrize("name", _params())
def test_instructor_notebook_says_correct_on_the_books_and_a_students_dataset(name, runs):
    cells = runs["instructor", name].result(timeout=3600)["cells"]
    errors = [(c["id"], c["errors"]) for c in cells if c["errors"]]
    assert not errors, f"{name}: {errors}"
    assert all(c["ran"] for c in cells), f"{name}: not every cell ran"
    setup = _setup_cell(cells)
    assert setup["id"].startswith("assign-setup") and "the same book's dataset" in setup["text"]
    first = [c for c in cells if c["id"].startswith("assign-check-")]
    again = [c for c in cells if c["id"].startswith("rerun-assign-check-")]
    for c in first + again:
        assert c["text"].startswith("Correct: Exercise"), f"{name}, {c['id']}: {c['text']}"
    labels = {c["id"].removeprefix("assign-check-") for c in first}  # ex-02-3, ex-02-3--reject (a part)
    data_labels = {lab for lab in labels if _uses_data(lab)}
    assert {c["id"].removeprefix("rerun-assign-check-") for c in again} == data_labels
    if data_labels:
        banner = next(c for c in cells if c["id"] == "rerun-student-dataset")
        assert "YOUR simulated dataset" in banner["text"]


@pytest.mark.slow
@pytest.mark.parametrize("name", _params())
def test_student_notebook_runs_all_to_its_last_cell(name, runs):
    cells = runs["student", name].result(timeout=3600)["cells"]
    errors = [(c["id"], c["errors"]) for c in cells if c["errors"]]
    assert not errors, f"{name}: Run All would stop at {errors[0]}"
    assert cells[-1]["ran"] and all(c["ran"] for c in cells)
    assert "YOUR simulated dataset" in _setup_cell(cells)["text"]
    for c in cells:
        if c["id"].startswith("assign-check-"):
            assert STILL_OPEN.match(c["text"]), f"{name}, {c['id']}: {c['text']!r}"
        if c["id"].startswith("assign-scaffold-"):
            assert c["text"] == "", f"{name}, {c['id']}: an untouched scaffold prints nothing"


@pytest.mark.slow
def test_no_run_changes_a_tracked_file(runs, repo_state_at_start):
    """After the book build (every chapter, on the book's dataset) and the runs above (both datasets), the
    checkout is as it was when the session started: no tracked file changed, no file added."""
    for future in runs.values():
        future.result(timeout=3600)
    diff, untracked = repo_state()
    assert untracked == repo_state_at_start[1], "a notebook run left a new file in the checkout"
    assert diff == repo_state_at_start[0], "a notebook run changed a tracked file: " + "; ".join(
        ln for ln in diff.splitlines() if ln.startswith("+++ "))[:1000]
