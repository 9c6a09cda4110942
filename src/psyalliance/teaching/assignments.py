"""Student and instructor notebooks, made from the reader notebooks of the built book.

The book's build writes one reader notebook per chapter to ``_build/reader/`` (``book/_ext/
reader_notebooks.py``); each solution there is one markdown cell, a ``<details>`` fold, whose metadata
``reader: {solution: "ex-label", code: [...]}`` names its exercise and carries the solution's code cells
(with their ``assignment: {scaffold, check}`` metadata, see the contract in CONTRIBUTING.md). From them:

* ``student/NN_*.ipynb``: every solution fold removed; for each coding exercise with a self-check, a
  code cell with its scaffold (``...`` to fill in; it runs as it is) and a code cell with its check
  (:func:`psyalliance.teaching.selfcheck.check`, imported as ``CHECK_NAME``, which prints "Exercise N.k is still
  open" until the ``...`` is replaced, so Run All reaches the end); a conceptual exercise gets a cell for
  the answer; a yes/no or choice question (``assignment: {..., "choice": true}``; of a conceptual exercise,
  or a part of its own of a coding one, checked with ``part=``) gets a cell for the choice, in quotes, and
  its check;
* ``instructor/NN_*.ipynb``: everything, each solution's code as runnable code cells after its fold,
  followed by the check;
* ``student.zip`` and ``instructor.zip``: the notebooks and a short README (deterministic bytes).

The files are written by :mod:`psyalliance.teaching.course` (``make assignments``).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass

import nbformat

from psyalliance.teaching.selfcheck import CHECK_NAME  # the name the checks are called by (tests/test_assignments.py)

SETUP = (f"from psyalliance.teaching.selfcheck import check as {CHECK_NAME}, datasets_banner\n\n"
         "datasets_banner()  # which dataset the text uses (data) and which the exercises (my_data)")
DATASETS = ("**Which data:** the chapter's text, tables and figures use the book's simulated dataset "
            "(`data`); the exercises and their checks use `my_data`, your own simulated dataset when a "
            "`my_dataset.csv` from your instructor is next to this notebook, else the book's (the first cell "
            "says which).")
INSTALL_ID = "reader-install"  # the reader notebook's install cells (book/_ext/reader_notebooks.py) come first

__all__ = ["Exercise", "Question", "exercises", "student_notebook", "instructor_notebook"]


class AssignmentError(ValueError):
    """A reader notebook whose solutions cannot be turned into assignments."""


@dataclass(frozen=True)
class Question:
    """A yes/no or choice question of an exercise: its part (None: the exercise's answer), scaffold and check."""

    part: str | None
    scaffold: str
    check: str


@dataclass(frozen=True)
class Exercise:
    """One solution fold of a reader notebook: its label, number, cell index and (if coding) scaffold and check;
    ``choice``: whether that scaffold asks for a choice; ``questions``: its choice questions of their own."""

    label: str
    number: str  # "2.3": Exercise 3 of chapter 2, as the web book numbers it
    index: int
    code: tuple[str, ...]
    scaffold: str | None
    check: str | None
    choice: bool = False
    questions: tuple[Question, ...] = ()


PART = re.compile(r",\s*part=['\"]([a-z][a-z0-9_]*)['\"]\s*\)\s*$")  # check_answer("ex-02-3", x, part="reject")


def _fold(cell: dict) -> dict | None:
    meta = cell.get("metadata", {}).get("reader", {})
    return meta if cell.get("cell_type") == "markdown" and "solution" in meta else None


def exercises(nb: nbformat.NotebookNode, name: str = "notebook") -> list[Exercise]:
    """The solutions of a reader notebook, in order, with their scaffolds and checks."""
    found = []
    for i, cell in enumerate(nb.cells):
        meta = _fold(cell)
        if meta is None:
            continue
        m = re.search(r"<summary>Solution to Exercise ([\w.]+)</summary>", cell.source)
        if m is None:
            raise AssignmentError(f"{name}: the solution of {meta['solution']} has no 'Solution to Exercise N' summary")
        specs = [c["metadata"]["assignment"] for c in meta.get("code", []) if "assignment" in c.get("metadata", {})]
        for spec in specs:
            if ("..." not in spec.get("scaffold", "") or "raise " in spec.get("scaffold", "")
                    or not spec.get("check", "").startswith(f"{CHECK_NAME}(")):
                raise AssignmentError(f"{name}: {meta['solution']}: the scaffold must hold a ... to fill in and run as "
                                      f"it is (no raise), and the check must be a call of {CHECK_NAME}(...)")
        main = [s for s in specs if not PART.search(s["check"].strip())]
        if len(main) > 1:
            raise AssignmentError(f"{name}: {meta['solution']} has {len(main)} cells with assignment metadata without "
                                  "part=; one only (a question of its own is checked with part=\"name\")")
        questions = []
        for s in specs:
            part = PART.search(s["check"].strip())
            if part is not None:
                if not s.get("choice"):
                    raise AssignmentError(f"{name}: {meta['solution']}: a check with part= is a choice question; "
                                          "give its assignment metadata \"choice\": true")
                questions.append(Question(part.group(1), s["scaffold"], s["check"]))
        spec = main[0] if main else {}
        found.append(Exercise(meta["solution"], m.group(1), i, tuple(c["source"] for c in meta.get("code", [])),
                              spec.get("scaffold"), spec.get("check"), bool(spec.get("choice")), tuple(questions)))
    return found


def _code(source: str, cell_id: str) -> dict:
    return nbformat.v4.new_code_cell(source.rstrip("\n"), id=cell_id[:64])


def _md(source: str, cell_id: str) -> dict:
    return nbformat.v4.new_markdown_cell(source, id=cell_id[:64])


def _question_cells(ex: Exercise) -> list[dict]:
    """The student's cells of each choice question of its own: what to do, the scaffold, the check."""
    cells = []
    for q in ex.questions:
        cells.append(_md(f"**Your choice (Exercise {ex.number}, `{ex.label}`, {q.part}).** Replace the `...` in the "
                         "cell below with one of the options its comment names, in quotes, run it, then run the "
                         "check after it.", f"assign-turn-{ex.label}--{q.part}"))
        cells.append(_code(q.scaffold, f"assign-scaffold-{ex.label}--{q.part}"))
        cells.append(_code(q.check, f"assign-check-{ex.label}--{q.part}"))
    return cells


def _header(kind: str, title: str) -> dict:
    if kind == "student":
        text = ("> **Student notebook.** A chapter of the book, without the solutions. At each **Your turn**, "
                "replace every `...` with your code and run the cell, then run the check below it: it says "
                "*Correct* or which part is off, with a hint (run it again for the next step of the hint). Until "
                "you do, the check says the exercise is still open, and Run All goes on to the end. "
                "**Tolerance:** an answer rounded to the decimals the exercise prints passes (half a unit of the "
                "last printed decimal); counts must be exact; Monte Carlo answers allow for your own seed. "
                f"{DATASETS} The expected answers are computed from `my_data` when you check, never stored. "
                "Every dataset here is **simulated**.")
    else:
        text = ("> **Instructor notebook.** The chapter with every solution: each solution's code runs after its "
                "fold, on `my_data`, followed by the self-check that students run (it should say *Correct*). "
                f"{DATASETS} Every dataset here is **simulated**.")
    return _md(f"{text}\n>\n> *{title}*", f"assign-header-{kind}")


def _setup_cells(kind: str) -> list[dict]:
    return [_code(SETUP, f"assign-setup-{kind}")]


def _is_install(cell: dict) -> bool:
    return str(cell.get("id", "")).startswith(INSTALL_ID)


def _base(nb: nbformat.NotebookNode, kind: str) -> tuple[nbformat.NotebookNode, list[dict]]:
    out = copy.deepcopy(nb)
    if not out.cells or out.cells[0].get("id") != "reader-header":
        raise AssignmentError("not a reader notebook: its first cell is not the reader header")
    title = next((c.source.split("\n")[0].lstrip("# ") for c in out.cells if c.cell_type == "markdown"
                  and c.source.startswith("# ")), "")
    install = [c for c in out.cells[1:] if _is_install(c)]  # stays first (the loops below skip it)
    return out, [_header(kind, title), *install, *_setup_cells(kind)]


def student_notebook(nb: nbformat.NotebookNode, name: str = "notebook") -> nbformat.NotebookNode:
    """The student version of a reader notebook: no solutions; scaffolds and checks for the coding exercises."""
    out, cells = _base(nb, "student")
    by_index = {ex.index: ex for ex in exercises(nb, name)}
    for i, cell in enumerate(out.cells[1:], start=1):
        ex = by_index.get(i)
        if _is_install(cell):
            continue
        if ex is None:
            cells.append(cell)
        elif ex.scaffold is not None and ex.choice:  # a conceptual exercise: the reasoning, then the choice
            cells.append(_md(f"**Your answer (Exercise {ex.number}, `{ex.label}`).** Write your reasoning here "
                             "(double-click to edit). Then replace the `...` in the cell below with one of the options "
                             "its comment names, in quotes, run it, then run the check after it.",
                             f"assign-answer-{ex.label}"))
            cells.append(_code(ex.scaffold, f"assign-scaffold-{ex.label}"))
            cells.append(_code(ex.check, f"assign-check-{ex.label}"))
        elif ex.scaffold is not None:
            cells.append(_md(f"**Your turn (Exercise {ex.number}, `{ex.label}`).** Replace the `...` in the cell "
                             "below with your code, run it, then run the check after it.", f"assign-turn-{ex.label}"))
            cells.append(_code(ex.scaffold, f"assign-scaffold-{ex.label}"))
            cells.append(_code(ex.check, f"assign-check-{ex.label}"))
        else:
            cells.append(_md(f"**Your answer (Exercise {ex.number}, `{ex.label}`).** Write it here (double-click "
                             "to edit).",
                             f"assign-answer-{ex.label}"))
        if ex is not None:
            cells += _question_cells(ex)
    out.cells = cells
    return out


def instructor_notebook(nb: nbformat.NotebookNode, name: str = "notebook") -> nbformat.NotebookNode:
    """The instructor version of a reader notebook: each solution fold, then its code as cells, then its check."""
    out, cells = _base(nb, "instructor")
    by_index = {ex.index: ex for ex in exercises(nb, name)}
    for i, cell in enumerate(out.cells[1:], start=1):
        if _is_install(cell):
            continue
        cells.append(cell)
        ex = by_index.get(i)
        if ex is None:
            continue
        cell.metadata.pop("reader", None)
        cells += [_code(src, f"assign-solution-{ex.label}-{k}") for k, src in enumerate(ex.code)]
        if ex.check is not None:
            cells.append(_code(ex.check, f"assign-check-{ex.label}"))
        cells += [_code(q.check, f"assign-check-{ex.label}--{q.part}") for q in ex.questions]
    out.cells = cells
    return out
