"""Times to learn: a model of how long a chapter takes to read and to work through.

This is a MODEL, not a measurement. It counts what a chapter asks of a reader (words of prose,
figures, tables, code cells, exercises) and charges each a stated allowance. The word rate starts
from Brysbaert's meta-analysis of reading rates (Brysbaert, 2019, Journal of Memory and
Language 109, 104047; ``brysbaert2019`` in book/references.bib): adults read English
non-fiction silently at about 238 words per minute. Technical text with formulas and numbers to
check is read more slowly; the book assumes a rate well below that (``technical_wpm``), an
assumption of ours, as are all the per-item allowances. Change them in :class:`ReadingRates`.

What counts (from the notebook's SOURCE, so the chapter can glue its own time while it runs):

* words: the markdown cells outside exercises and solutions, with MyST syntax (roles, directive
  fences, targets, comments, table rules, math) stripped; a glued number counts as one word;
* figures: ``{glue:figure}`` and ``{figure}`` directives, and code cells with myst-nb figure metadata;
* tables: markdown tables, and code cells whose output shows a table (a final bare expression other
  than ``print(...)``, or a ``display(...)`` call);
* code cells: code cells whose input the reader sees (no ``remove-cell`` / ``remove-input`` tag),
  outside solutions;
* exercises: ``{exercise-start}`` directives; one whose solution has a code cell is a coding exercise (a cell
  that only holds the answer to a yes/no or choice question, ``assignment: {"choice": true}``, does not count).
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from psyalliance.resources import CHECKOUT
from psyalliance.teaching.chapter import glue as chapter_glue

NOTEBOOKS = CHECKOUT / "notebooks"


@dataclass(frozen=True)
class ReadingRates:
    """The allowances of the reading-time model (minutes unless the name says otherwise)."""

    nonfiction_wpm: float = 238.0  # Brysbaert (2019): silent reading of English non-fiction, words/minute
    technical_wpm: float = 150.0  # assumption: technical prose with numbers and formulas, words/minute
    per_figure: float = 1.5  # assumption: look at a figure, read its caption and axes
    per_table: float = 1.0  # assumption: read a table of results
    per_code_cell: float = 0.5  # assumption: read a visible code cell
    per_conceptual_exercise: float = 10.0  # assumption: think and write a few sentences
    per_coding_exercise: float = 20.0  # assumption: write, run and check a few lines of code

    def __post_init__(self) -> None:
        for name, value in self.__dict__.items():
            if not value > 0:
                raise ValueError(f"ReadingRates.{name} must be > 0, got {value!r}")


@dataclass(frozen=True)
class ReadingTime:
    """A chapter's counts and the model's minutes (reading includes figures, tables and code)."""

    words: int
    figures: int
    tables: int
    code_cells: int
    conceptual_exercises: int
    coding_exercises: int
    reading: int  # minutes, rounded up to the next 5
    exercises: int  # minutes, rounded up to the next 5

    @property
    def total(self) -> int:
        """Reading plus exercises, in minutes."""
        return self.reading + self.exercises


ROLE = re.compile(r"\{[\w:-]+\}`([^`]*)`")
FENCE = re.compile(r"^\s*(`{3,}|:{3,}|~{3,})\s*(\{(?P<name>[\w:-]+)\})?")
TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}")
WORD = re.compile(r"[A-Za-z0-9][\w'’.,%-]*")
HIDDEN_INPUT = {"remove-cell", "remove-input"}


def _role_text(m: re.Match) -> str:
    text = m.group(1)
    label = re.fullmatch(r"(.*?)\s*<[^<>]+>", text, flags=re.S)
    return label.group(1) if label else text.split(":")[0]


def prose_words(text: str) -> int:
    """Words a reader reads in MyST markdown: roles count as their shown text, syntax not at all."""
    text = re.sub(r"\$\$.*?\$\$", " formula ", text, flags=re.S)
    text = re.sub(r"\$[^$\n]+\$", " x ", text)
    lines = []
    for line in text.split("\n"):
        if FENCE.match(line) or TABLE_RULE.match(line) or re.match(r"^\s*(:[\w-]+:|\(.*\)=|%)", line):
            continue
        lines.append(line)
    plain = ROLE.sub(_role_text, "\n".join(lines))
    plain = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", plain)
    return len(WORD.findall(plain))


def _shows_table(source: str) -> bool:
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return False
    if "display(" in source:
        return True
    if not body or not isinstance(body[-1], ast.Expr):
        return False
    call = body[-1].value
    return not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "print")


def _markdown_counts(text: str) -> dict[str, int]:
    tables = sum(1 for line in text.split("\n") if TABLE_RULE.match(line) and "|" in line)
    figures = len(re.findall(r"\{(glue:figure|figure)\}", text))
    return {"figures": figures, "tables": tables}


@dataclass(frozen=True)
class _Cell:
    """A notebook cell as the counts read it (what an nbformat cell offers, read with ``json``)."""

    cell_type: str
    source: str
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True)
class _Notebook:
    cells: list[_Cell]


def _count(nb: Any) -> dict[str, int]:
    counts = dict(words=0, figures=0, tables=0, code_cells=0, conceptual_exercises=0, coding_exercises=0)
    zone = "text"  # "text", "exercise" or "solution"
    solution_has_code = False
    for cell in nb.cells:
        source = cell.source
        if cell.cell_type == "markdown":
            text_part = []
            for line in source.split("\n"):
                m = FENCE.match(line)
                name = m.group("name") if m else None
                if name == "exercise-start":
                    zone = "exercise"
                elif name == "solution-start":
                    zone, solution_has_code = "solution", False
                if zone == "text":
                    text_part.append(line)
                if name == "exercise-end":
                    zone = "text"
                elif name == "solution-end":
                    counts["coding_exercises" if solution_has_code else "conceptual_exercises"] += 1
                    zone = "text"
            text = "\n".join(text_part)
            counts["words"] += prose_words(text)
            for key, value in _markdown_counts(text).items():
                counts[key] += value
            continue
        if cell.cell_type != "code":
            continue
        if zone == "solution":  # the cell of a yes/no or choice answer leaves a conceptual exercise conceptual
            solution_has_code = solution_has_code or not cell.metadata.get("assignment", {}).get("choice", False)
            continue
        tags = set(cell.metadata.get("tags", []))
        if "mystnb" in cell.metadata and "figure" in cell.metadata["mystnb"]:
            counts["figures"] += 1
        if not tags & HIDDEN_INPUT:
            counts["code_cells"] += 1
        if "remove-cell" not in tags and "remove-output" not in tags and _shows_table(source):
            counts["tables"] += 1
    return counts


def _round_up(minutes: float, step: int = 5) -> int:
    return int(-(-minutes // step) * step) if minutes > 0 else 0


def _read(path: Path) -> _Notebook:
    """A v4 notebook file's cells. Plain ``json``, not nbformat: importing nbformat imports jsonschema and its
    format checkers (1.7 s), and a chapter reads its own source in its first cell, which the reader waits for."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    if raw.get("nbformat") != 4:
        raise ValueError(f"reading_minutes: {path} is nbformat {raw.get('nbformat')!r}; only version 4 notebooks are read")
    return _Notebook([_Cell(c["cell_type"], "".join(c["source"]) if isinstance(c["source"], list) else c["source"],
                            c.get("metadata", {})) for c in raw["cells"]])


def _load(notebook: Any) -> Any:
    if hasattr(notebook, "cells"):  # a notebook already read (an nbformat NotebookNode)
        return notebook
    path = Path(notebook)
    if not path.is_absolute() and not path.exists():
        path = NOTEBOOKS / path
    if not path.is_file():
        raise FileNotFoundError(f"reading_minutes: no notebook at {str(notebook)!r} (nor under {NOTEBOOKS})")
    return _read(path)


def reading_minutes(notebook: Any, rates: ReadingRates = ReadingRates()
                    ) -> ReadingTime:
    """Modelled minutes to read a chapter and to do its exercises, each rounded up to 5 minutes.

    ``notebook`` is a notebook (an nbformat ``NotebookNode``), a path, or a file name under ``notebooks/``.
    """
    c = _count(_load(notebook))
    reading = (c["words"] / rates.technical_wpm + c["figures"] * rates.per_figure
               + c["tables"] * rates.per_table + c["code_cells"] * rates.per_code_cell)
    exercises = (c["conceptual_exercises"] * rates.per_conceptual_exercise
                 + c["coding_exercises"] * rates.per_coding_exercise)
    return ReadingTime(**c, reading=_round_up(reading), exercises=_round_up(exercises))


def glue_times(notebook: str | Path, glue: Any = None) -> None:
    """Glue ``time_reading`` and ``time_exercises`` (minutes) for a chapter's Prerequisites line.

    ``glue`` defaults to :func:`psyalliance.teaching.chapter.glue` (myst-nb's protocol without importing nbformat); a
    chapter calls ``glue_times("NN_name.ipynb")`` in a remove-cell.
    """
    if glue is None:
        glue = chapter_glue
    if not NOTEBOOKS.is_dir() and not Path(notebook).is_file():
        # an installed package outside the book's repository (a downloaded reader notebook, Colab): the text
        # already holds the times computed when the book was built, and the chapter sources are not here
        print("(The reading times in the text were computed when the book was built.)")
        return
    time = reading_minutes(notebook)
    glue("time_reading", time.reading, display=False)
    glue("time_exercises", time.exercises, display=False)


__all__ = ["ReadingRates", "ReadingTime", "reading_minutes", "prose_words", "glue_times"]
