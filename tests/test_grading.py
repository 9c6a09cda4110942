"""Grading at scale with nbgrader (psyalliance.teaching.grading): release -> collect -> autograde -> a gradebook CSV.

The pipeline test runs nbgrader's own commands, as the instructor guide gives them, on a chapter of the
built book and two made-up students: alice answers every self-checked exercise right (the chapter's own
solutions), bob answers one wrong and leaves the other as released. The points expected are set by that
construction (all of an exercise's points for a right answer, none for a wrong or missing one), not read
from our code's output.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from psyalliance.teaching import grading
from psyalliance.teaching.assignments import AssignmentError

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = "04_exploring"  # two self-checked exercises, runs in seconds
NBGRADER = str(Path(sys.executable).parent / "nbgrader")
SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)\n### END SOLUTION", re.S)


def _reader(scaffold: str = "x = ...  # 41 + 1", check: str = 'check_answer("ex-1", x)'):
    meta = {"reader": {"solution": "ex-1", "code": [
        {"source": "x = 41 + 1", "metadata": {"assignment": {"scaffold": scaffold, "check": check}}}]}}
    cells = [nbformat.v4.new_markdown_cell("> header", id="reader-header"),
             nbformat.v4.new_markdown_cell("# T\n\n**Exercise 1.** Compute x.", id="a"),
             nbformat.v4.new_markdown_cell("<details>\n<summary>Solution to Exercise 1</summary>\n\nx = 41 + 1\n\n"
                                           "</details>", id="reader-solution-1", metadata=meta),
             nbformat.v4.new_code_cell("y = 2", id="b")]
    return nbformat.v4.new_notebook(cells=cells)


def test_a_self_checked_exercise_becomes_a_solution_and_an_autograded_test_cell():
    nb = grading.nbgrader_notebook(_reader())
    cells = {c.id: c for c in nb.cells}
    sol, test = cells["assign-scaffold-ex-1"], cells["assign-check-ex-1"]
    assert SOLUTION.search(sol.source).group(1) == "x = 41 + 1"
    assert "# x = ..." in sol.source  # the scaffold, shown to the student as a comment
    assert sol.metadata["nbgrader"] == {"grade": False, "grade_id": "ex-1-solution", "locked": False,
                                        "schema_version": 3, "solution": True}
    assert test.source.startswith('assert check_answer("ex-1", x), ')
    assert test.metadata["nbgrader"]["grade"] and test.metadata["nbgrader"]["points"] == grading.exercise_points("ex-1")
    assert test.metadata["nbgrader"]["locked"] and not test.metadata["nbgrader"]["solution"]
    assert "Solution to Exercise" not in "".join(c.source for c in nb.cells)  # the fold is gone


def test_points_follow_the_reading_model():
    from psyalliance.teaching.reading import ReadingRates

    assert grading.exercise_points("ex-1") == round(ReadingRates().per_coding_exercise / 10) == 2
    assert grading.exercise_points("ex-02-1") == round(ReadingRates().per_conceptual_exercise / 10) == 1  # a yes/no


def test_bad_check_is_refused_and_a_notebook_without_checks_is_skipped(tmp_path):
    with pytest.raises(AssignmentError, match="must be a call of check_answer"):
        grading.nbgrader_notebook(_reader(check="print(x)"))
    with pytest.raises(AssignmentError, match="must be one call of check_answer"):
        grading.nbgrader_notebook(_reader(check='check_answer("ex-1", x); print(x)'))
    plain = _reader()
    plain.cells[2].metadata["reader"]["code"][0]["metadata"] = {}
    assert grading.nbgrader_notebook(plain) is None
    with pytest.raises(FileNotFoundError, match="run nbgrader autograde first"):
        grading.gradebook(tmp_path / "gradebook.db")


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout + done.stderr


def _answer(path: Path, source: nbformat.NotebookNode, how: dict[str, str]) -> None:
    """Fill the released notebook at ``path``: per solution cell, "right" (the solution), "wrong" (the
    solution, then the answer variable moved off by a whole unit) or "missing" (left as released)."""
    nb = nbformat.read(path, as_version=4)
    solutions = {c.id: SOLUTION.search(c.source).group(1) for c in source.cells if SOLUTION.search(c.source)}
    checks = {c.id: c.source for c in source.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade")}
    for cell in nb.cells:
        label = cell.id.removeprefix("assign-scaffold-")
        if cell.id not in solutions or how[label] == "missing":
            continue
        code = solutions[cell.id]
        if how[label] == "wrong":
            var = re.search(r'check\w*\("[^"]+",\s*(\w+)', checks[f"assign-check-{label}"]).group(1)
            code += f"\n{var} = {var} + 1  # a wrong answer"
        cell.source = re.sub(r"# YOUR CODE HERE.*?raise NotImplementedError\(\)", lambda _: code, cell.source, flags=re.S)
    nbformat.write(nb, path)


@pytest.mark.slow
def test_release_collect_autograde_gradebook(built_book, tmp_path):
    """The whole pipeline on two made-up submissions, with nbgrader's commands as the instructor guide gives them."""
    assert built_book.returncode == 0, built_book.log[-3000:]
    course, exchange = tmp_path / "course", tmp_path / "exchange"
    exchange.mkdir()
    names = grading.write_course(built_book.reader, course)
    assert CHAPTER in names
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PSYALLIANCE_", "JUPYTER"))}
    env.update(PSYALLIANCE_EXCHANGE=str(exchange), OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
               PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]))  # an activated venv
    student_opts = [f"--Exchange.root={exchange}", "--Exchange.path_includes_course=True", "--course", "psyalliance"]

    _run([NBGRADER, "generate_assignment", CHAPTER], course, env)
    released = course / "release" / CHAPTER / f"{CHAPTER}.ipynb"
    source = nbformat.read(course / "source" / CHAPTER / f"{CHAPTER}.ipynb", as_version=4)
    labels = [c.metadata["nbgrader"]["grade_id"] for c in source.cells
              if c.get("metadata", {}).get("nbgrader", {}).get("grade")]
    assert len(labels) >= 2
    assert "### BEGIN SOLUTION" not in released.read_text()
    _run([NBGRADER, "release_assignment", CHAPTER], course, env)

    plans = {"alice": {label: "right" for label in labels},
             "bob": {labels[0]: "wrong", **{label: "missing" for label in labels[1:]}}}
    for student, how in plans.items():
        home = tmp_path / student
        home.mkdir()
        _run([NBGRADER, "fetch_assignment", CHAPTER, *student_opts], home, env)
        fetched = next(home.rglob(f"{CHAPTER}.ipynb"))
        _answer(fetched, source, how)
        _run([NBGRADER, "submit", CHAPTER, *student_opts, f"--student={student}"], home, env)

    _run([NBGRADER, "collect", CHAPTER], course, env)
    assert {p.name for p in (course / "submitted").iterdir()} == {"alice", "bob"}
    _run([NBGRADER, "autograde", CHAPTER, "--create"], course, env)
    out = tmp_path / "grades.csv"
    _run([sys.executable, "-m", "psyalliance.teaching.grading", str(course / "gradebook.db"), str(out)], course, env)

    grades = pd.read_csv(out).set_index("student")
    print(out.read_text())  # shown in the closing note of the issue
    points = grading.exercise_points(labels[0])
    columns = [f"{CHAPTER}: {label} (max {points})" for label in labels]
    assert list(grades.columns) == [*columns, "total", "max"]
    assert list(grades.index) == ["alice", "bob"]
    assert (grades.loc["alice", columns] == points).all()
    assert (grades.loc["bob", columns] == 0).all()
    assert grades.loc["alice", "total"] == grades.loc["alice", "max"] == points * len(labels)
    assert grades.loc["bob", "total"] == 0
