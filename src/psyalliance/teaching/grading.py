"""Grading at scale with nbgrader: the chapters as nbgrader assignments, and a gradebook with points per exercise.

``make assignments`` also writes ``_build/assignments/nbgrader/``, an nbgrader course folder:
``nbgrader_config.py`` and ``source/<chapter>/<chapter>.ipynb`` for every chapter with a self-checked
exercise. Each is the student notebook (:func:`psyalliance.teaching.assignments.student_notebook`) with, for each
self-checked exercise, its solution as an nbgrader *solution* cell (``### BEGIN SOLUTION`` ... ``### END
SOLUTION``; the student sees the scaffold as a comment and nbgrader's stub) and its self-check as an
*autograded test* cell, ``assert check(...)``, worth :func:`exercise_points` points. The expected
answers are the self-checks' own (:mod:`psyalliance.teaching.answers`), computed when nbgrader runs the notebook,
from the student's ``my_dataset.csv`` if it was submitted with the notebook, else from the book's
simulated dataset.

The instructor's commands (the instructor guide lists them; ``tests/test_grading.py`` runs them on two
made-up submissions)::

    source .venv/bin/activate                        # nbgrader calls its `alembic` from PATH
    cd _build/assignments/nbgrader
    nbgrader generate_assignment 04_exploring        # source/ -> release/ (solutions stripped)
    nbgrader release_assignment 04_exploring         # release/ -> the exchange folder
    #   students: nbgrader fetch_assignment 04_exploring --course psyalliance; ...; nbgrader submit ...
    nbgrader collect 04_exploring                    # the exchange's submissions -> submitted/
    nbgrader autograde 04_exploring --create         # runs them -> autograded/, scores in gradebook.db
    python -m psyalliance.teaching.grading gradebook.db grades.csv   # points per exercise and student (CSV)
"""

from __future__ import annotations

import argparse
import ast
import copy
import os
import shutil
import sys
from pathlib import Path

import nbformat
import pandas as pd

from psyalliance.teaching.assignments import CHECK_NAME, AssignmentError, exercises, student_notebook
from psyalliance.teaching.reading import ReadingRates
from psyalliance.teaching.selfcheck import UnknownExercise, _lookup, labels
from psyalliance.teaching.syllabus import chapter_title, exercise_labels, toc_chapters

COURSE_ID = "psyalliance"
CONFIG = '''# nbgrader configuration of the book's course (written by make assignments; psyalliance.teaching.grading).
import os

c = get_config()  # noqa: F821  (nbgrader's config loader defines it)
here = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "{course}"
c.CourseDirectory.root = here
c.Exchange.root = os.environ.get("PSYALLIANCE_EXCHANGE", os.path.join(here, "exchange"))  # a shared folder on a hub
c.Exchange.path_includes_course = True
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE (the scaffold above shows what to fill in)\\nraise NotImplementedError()"}}
c.ExecutePreprocessor.timeout = 600  # seconds per cell
c.Execute.timeout = 600
'''

__all__ = ["COURSE_ID", "exercise_points", "points_table", "nbgrader_notebook", "write_course", "gradebook", "main"]


def exercise_points(label: str) -> int:
    """Points of a self-checked coding exercise: 2, one per 10 of the 20 minutes the reading model gives it
    (:class:`psyalliance.teaching.reading.ReadingRates`, ``per_coding_exercise``); of a conceptual exercise whose answer
    is a yes/no or a choice: 1 (its 10 minutes, ``per_conceptual_exercise``). A convention of the book."""
    rates = ReadingRates()
    try:
        choice = _lookup(label).choices
    except UnknownExercise:  # a notebook's own exercise (a test's, a course's): a coding exercise
        choice = False
    minutes = rates.per_conceptual_exercise if choice else rates.per_coding_exercise
    return max(1, round(minutes / 10))


def _meta(grade_id: str, *, solution: bool, grade: bool, points: int | None = None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": not solution, "schema_version": 3, "solution": solution}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def _one_check_call(source: str) -> bool:
    """Whether ``source`` is a single expression calling the self-check by its notebook name."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return False
    return (len(body) == 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Call)
            and isinstance(body[0].value.func, ast.Name) and body[0].value.func.id == CHECK_NAME)


def _commented(text: str) -> str:
    return "\n".join(f"# {line}" if line.strip() else "#" for line in text.rstrip().split("\n"))


def nbgrader_notebook(reader: nbformat.NotebookNode, name: str = "notebook") -> nbformat.NotebookNode | None:
    """The nbgrader source version of a reader notebook, or None when it has no self-checked exercise."""
    graded = [ex for ex in exercises(reader, name) if ex.scaffold is not None and ex.check is not None]
    if not graded:
        return None
    out = student_notebook(reader, name)
    by_id = {c.get("id"): c for c in out.cells}
    for ex in graded:
        scaffold, check = by_id.get(f"assign-scaffold-{ex.label}"), by_id.get(f"assign-check-{ex.label}")
        if scaffold is None or check is None:
            raise AssignmentError(f"{name}: {ex.label} has no scaffold or check cell in the student notebook")
        solution = "\n\n".join(code.rstrip() for code in ex.code)
        scaffold.source = (f"# The scaffold of the student notebook:\n{_commented(ex.scaffold)}\n"
                           f"### BEGIN SOLUTION\n{solution}\n### END SOLUTION")
        scaffold.metadata.update(_meta(f"{ex.label}-solution", solution=True, grade=False))
        call = ex.check.strip()
        if not _one_check_call(call):
            raise AssignmentError(f"{name}: {ex.label}: the check must be one call of {CHECK_NAME}(...), got {call!r}")
        check.source = f"assert {call}, \"not correct yet: see the line printed above\""
        check.metadata.update(_meta(ex.label, solution=False, grade=True, points=exercise_points(ex.label)))
    out.metadata = copy.deepcopy(out.metadata)
    return out


def points_table() -> pd.DataFrame:
    """Per chapter of ``_toc.yml`` with self-checked exercises: their labels and their points in the nbgrader
    versions (:func:`exercise_points`), in table-of-contents order."""
    checked = set(labels())
    rows = []
    for path in toc_chapters():
        nb = nbformat.read(path, as_version=4)
        found = [x for x in exercise_labels(nb) if x in checked]
        if found:
            rows.append({"chapter": chapter_title(nb), "autograded exercises": ", ".join(found),
                         "points": sum(exercise_points(x) for x in found)})
    return pd.DataFrame(rows)


def write_course(reader_dir: Path, out_dir: Path) -> list[str]:
    """Write ``nbgrader_config.py`` and ``source/<chapter>/<chapter>.ipynb`` for each reader notebook with a
    self-checked exercise; returns the assignment names (the chapters' file stems) written."""
    reader_dir, out_dir = Path(reader_dir), Path(out_dir)
    names = []
    for src in sorted(reader_dir.glob("*.ipynb")):
        nb = nbgrader_notebook(nbformat.read(src, as_version=4), src.name)
        if nb is None:
            continue
        folder = out_dir / "source" / src.stem
        folder.mkdir(parents=True, exist_ok=True)
        (folder / src.name).write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
        names.append(src.stem)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "nbgrader_config.py").write_text(CONFIG.format(course=COURSE_ID), encoding="utf-8")
    return names


def gradebook(db: Path) -> pd.DataFrame:
    """Points per exercise and student from nbgrader's ``gradebook.db``: one row per student, a column per
    autograded exercise (``<assignment>: <label> (max P)``), then ``total`` and ``max``. A notebook not
    submitted scores 0."""
    from nbgrader.api import Gradebook, MissingEntry

    if shutil.which("alembic") is None:  # nbgrader runs the `alembic` command; it sits beside this Python
        os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    db = Path(db)
    if not db.is_file():
        raise FileNotFoundError(f"no nbgrader gradebook at {db} (run nbgrader autograde first)")
    rows = []
    with Gradebook(f"sqlite:///{db.resolve()}") as gb:
        cells = [(a.name, nb.name, cell.name, cell.max_score) for a in gb.assignments for nb in a.notebooks
                 for cell in nb.grade_cells]
        for student in sorted(gb.students, key=lambda s: s.id):
            row: dict[str, object] = {"student": student.id}
            for assignment, notebook, cell, most in cells:
                try:
                    score = gb.find_grade(cell, notebook, assignment, student.id).score
                except MissingEntry:
                    score = 0.0
                row[f"{assignment}: {cell} (max {most:g})"] = float(score or 0.0)
            row["total"] = float(sum(v for k, v in row.items() if k != "student"))
            row["max"] = float(sum(c[3] for c in cells))
            rows.append(row)
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="nbgrader's gradebook.db as a CSV of points per exercise and student.")
    parser.add_argument("db", type=Path, help="the course's gradebook.db (after nbgrader autograde)")
    parser.add_argument("out", type=Path, help="the CSV to write")
    args = parser.parse_args(argv)
    table = gradebook(args.db)
    table.to_csv(args.out, index=False, lineterminator="\n")
    print(f"wrote {args.out}: {len(table)} students, {len(table.columns) - 3} exercises")


if __name__ == "__main__":
    main()
