"""The syllabus the instructor guide prints: chapters in table-of-contents order, their modelled times
(:mod:`psyalliance.teaching.reading`) and the learning objectives of their Overview sections."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pandas as pd
import yaml

from psyalliance.resources import CHECKOUT
from psyalliance.teaching.reading import reading_minutes
from psyalliance.teaching.selfcheck import labels as checked_labels

ROOT = CHECKOUT
ROLE = re.compile(r"\{([\w:-]+)\}`([^`]*)`")


def toc_chapters(toc: Path = ROOT / "_toc.yml") -> list[Path]:
    """The chapter notebooks listed in ``_toc.yml`` (files under ``notebooks/``), in order.

    A jb-book table of contents lists its chapters in ``parts`` or, without parts, at the top level.
    """
    try:
        book = yaml.safe_load(Path(toc).read_text(encoding="utf-8"))
        parts = book["parts"] if "parts" in book else [{"chapters": book["chapters"]}]
    except (OSError, KeyError, TypeError, yaml.YAMLError) as err:
        raise ValueError(f"cannot read the chapters of {toc} (a jb-book toc with parts or chapters): {err!r}") from err
    files = [c["file"] for p in parts for c in p.get("chapters", []) if c.get("file", "").startswith("notebooks/")]
    return [Path(toc).parent / f"{f}.ipynb" for f in files]


def _plain(text: str) -> str:
    """Markdown without MyST roles: a role shows its text, a citation disappears."""
    def one(m: re.Match) -> str:
        if m.group(1).startswith("cite"):
            return ""
        shown = re.fullmatch(r"(?s)(.*?)\s*<[^<>]+>", m.group(2))
        return shown.group(1) if shown else m.group(2)
    return re.sub(r"\s+([,;.)])", r"\1", re.sub(r"  +", " ", ROLE.sub(one, text))).strip()


def chapter_title(nb: nbformat.NotebookNode) -> str:
    """The chapter's ``# Title``."""
    for cell in nb.cells:
        m = re.search(r"^# (.+)$", cell.source, flags=re.M) if cell.cell_type == "markdown" else None
        if m:
            return m.group(1).strip()
    raise ValueError("notebook has no '# Title' line")


def objectives(nb: nbformat.NotebookNode) -> list[str]:
    """The list items of the chapter's ``## Overview`` section (its learning objectives)."""
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    m = re.search(r"^## Overview\s*$(.*?)(?=^## )", text, flags=re.M | re.S)
    if not m:
        return []
    items: list[str] = []
    for line in m.group(1).split("\n"):
        if re.match(r"^\s*(-|\d+\.)\s+", line):
            items.append(re.sub(r"^\s*(-|\d+\.)\s+", "", line))
        elif items and line.startswith("  ") and line.strip():
            items[-1] += " " + line.strip()
    return [_plain(i).rstrip(";.") for i in items]


def session_plan(toc: Path = ROOT / "_toc.yml") -> pd.DataFrame:
    """One row per chapter: file, title, modelled reading and exercise minutes."""
    rows = []
    for path in toc_chapters(toc):
        nb = nbformat.read(path, as_version=4)
        t = reading_minutes(nb)
        rows.append({"file": path.name, "chapter": chapter_title(nb), "reading (min)": t.reading,
                     "exercises (min)": t.exercises})
    return pd.DataFrame(rows)




# ----------------------------------------------------------------------------- a 12-week course

EXERCISE = re.compile(r"^[`:]{3,}\{exercise-start\}[^\n]*\n(?:[ \t]*:[\w-]+:[^\n]*\n)*?[ \t]*:label:\s*(\S+)", re.M)


@dataclass(frozen=True)
class CourseSettings:
    """How :func:`course_plan` lays the chapters over a term.

    ``weeks``: weeks in the term (4-52). ``appraisal_after``: the chapter file after whose week comes the
    week of the first assessment (the critical appraisal); the last week is always the second assessment
    (the re-analysis). ``step``: the weekly load is searched in steps of this many minutes (1-60). All three
    are the book's conventions (assumptions), not findings.
    """

    weeks: int = 12
    appraisal_after: str = "09_how_much_24.ipynb"
    step: int = 5

    def __post_init__(self) -> None:
        if not (isinstance(self.weeks, int) and 4 <= self.weeks <= 52):
            raise ValueError(f"CourseSettings.weeks must be an integer 4-52, got {self.weeks!r}")
        if not (isinstance(self.step, int) and 1 <= self.step <= 60):
            raise ValueError(f"CourseSettings.step must be an integer 1-60 (minutes), got {self.step!r}")


def exercise_labels(nb: nbformat.NotebookNode) -> list[str]:
    """The labels of the chapter's exercises (``{exercise-start}`` directives), in order."""
    return EXERCISE.findall("\n".join(c.source for c in nb.cells if c.cell_type == "markdown"))


def _pack(loads: list[int], budget: int) -> list[list[int]]:
    """Consecutive chapters into weeks of at most ``budget`` minutes; a longer chapter gets whole weeks of its own.

    Returns, per week, the indices of its chapters (a chapter over several weeks is repeated)."""
    weeks: list[list[int]] = []
    current: list[int] = []
    used = 0
    for i, load in enumerate(loads):
        if load > budget:
            if current:
                weeks.append(current)
                current, used = [], 0
            weeks += [[i]] * -(-load // budget)
        elif used + load <= budget:
            current.append(i)
            used += load
        else:
            weeks.append(current)
            current, used = [i], load
    if current:
        weeks.append(current)
    return weeks


def _teaching_weeks(loads: list[int], n_weeks: int, step: int) -> tuple[list[list[int]], int]:
    """The smallest weekly load (a multiple of ``step``) whose packing fits in ``n_weeks``, and that packing."""
    if len(loads) == 0:
        raise ValueError("no chapters to plan")
    budget = step
    while len(_pack(loads, budget)) > n_weeks:
        budget += step
    return _pack(loads, budget), budget


DISCUSSION = ROOT / "book" / "discussion.yaml"


def discussion_questions(path: Path = DISCUSSION, toc: Path = ROOT / "_toc.yml") -> pd.DataFrame:
    """The instructor guide's discussion questions: ``number`` (1, 2, ...), ``chapter`` (a file of ``_toc.yml``),
    ``question``, ``answer``. Raises ValueError for a question without those fields or with an unknown chapter."""
    try:
        items = yaml.safe_load(Path(path).read_text(encoding="utf-8"))["questions"]
    except (OSError, KeyError, TypeError, yaml.YAMLError) as err:
        raise ValueError(f"cannot read the discussion questions of {path}: {err}") from err
    files = {p.name for p in toc_chapters(toc)}
    rows = []
    for number, item in enumerate(items, start=1):
        lacking = [k for k in ("chapter", "question", "answer") if not str(item.get(k, "")).strip()]
        if lacking:
            raise ValueError(f"{path}: question {number} lacks {lacking}")
        if item["chapter"] not in files:
            raise ValueError(f"{path}: question {number}: chapter {item['chapter']!r} is not in {toc}; "
                             f"valid: {sorted(files)}")
        rows.append({"number": number, "chapter": item["chapter"], "question": " ".join(item["question"].split()),
                     "answer": " ".join(item["answer"].split())})
    return pd.DataFrame(rows)


def discussion_answers_markdown(path: Path = DISCUSSION, toc: Path = ROOT / "_toc.yml") -> str:
    """The instructor version's page of discussion questions with the points a good answer makes."""
    qs = discussion_questions(path, toc)
    titles = {p.name: chapter_title(nbformat.read(p, as_version=4)) for p in toc_chapters(toc)}
    parts = ["# Discussion questions: points for a good answer (instructor version)\n",
             "The questions of the instructor guide, with the chapter each goes with. Do not hand these out.\n"]
    for q in qs.itertuples():
        parts.append(f"## {q.number}. {q.question}\n\n*Chapter: {titles[q.chapter]}.*\n\n{q.answer}\n")
    return "\n".join(parts)


def course_plan(toc: Path = ROOT / "_toc.yml", settings: CourseSettings = CourseSettings(),
                discussion: Path = DISCUSSION) -> pd.DataFrame:
    """A week-by-week course from the chapters of ``_toc.yml`` (appendices left out) and their modelled minutes.

    Two weeks are assessment weeks (the critical appraisal after ``settings.appraisal_after``, the
    re-analysis last); the chapters fill the others, in order, at the smallest even weekly load that fits
    them (``_teaching_weeks``). One row per week: ``week``, ``chapters`` (titles), ``files``,
    ``exercises`` (labels, with the self-checked ones marked by a star), ``minutes`` (modelled reading plus
    exercises of the week's chapters; a chapter over several weeks is split evenly), ``activity``,
    ``assessment``.
    """
    chapters = [p for p in toc_chapters(toc) if not p.name.startswith("A")]
    books = [nbformat.read(p, as_version=4) for p in chapters]
    times = [reading_minutes(nb) for nb in books]
    files = [p.name for p in chapters]
    if settings.appraisal_after not in files:
        raise ValueError(f"CourseSettings.appraisal_after: {settings.appraisal_after!r} is not a chapter of {toc}; "
                         f"the chapters are {files}")
    packed, _budget = _teaching_weeks([t.total for t in times], settings.weeks - 2, settings.step)
    spans = {i: sum(1 for w in packed if w == [i]) for i in range(len(files))}
    checked = set(checked_labels())
    asked = discussion_questions(discussion, toc).groupby("chapter")["number"].apply(list).to_dict()
    rows, seen = [], set()
    cut = files.index(settings.appraisal_after)
    last = max(k for k, w in enumerate(packed) if cut in w)
    weeks: list[list[int] | str] = [*packed[:last + 1], "appraisal", *packed[last + 1:], "reanalysis"]
    for number, week in enumerate(weeks, start=1):
        if week == "appraisal":
            rows.append({"week": number, "chapters": "(assessment week)", "files": "", "exercises": "", "minutes": 0,
                         "activity": "Workshop: students present the claim they appraise and get feedback",
                         "assessment": "Assessment 1 due: critical appraisal of a small-n mediation claim"})
            continue
        if week == "reanalysis":
            rows.append({"week": number, "chapters": "(assessment week)", "files": "", "exercises": "", "minutes": 0,
                         "activity": "Clinic: students run their re-analysis notebooks top to bottom in class",
                         "assessment": "Assessment 2 due: re-analysis of a per-student simulated dataset"})
            continue
        first = [i for i in week if i not in seen]
        part = "(continued) " if not first else ""
        seen |= set(week)
        labels = [lab for i in first for lab in exercise_labels(books[i])]
        coding = [lab for lab in labels if lab in checked]
        minutes = sum(times[i].total // spans[i] if spans[i] > 1 else times[i].total for i in week)
        questions = [n for i in first for n in asked.get(files[i], [])]
        activity = f"Live coding: {coding[0]}" if coding else "Walk-through of the chapter's figures and tables"
        if questions:
            activity += "; discussion question" + ("s " if len(questions) > 1 else " ") + ", ".join(map(str, questions))
        if not first:
            activity = "The exercises not done last week, in pairs; questions on the chapter"
        rows.append({"week": number, "chapters": part + "; ".join(chapter_title(books[i]) for i in week),
                     "files": "; ".join(files[i] for i in week),
                     "exercises": ", ".join(f"{lab}*" if lab in checked else lab for lab in labels),
                     "minutes": int(minutes), "activity": activity,
                     "assessment": ("The chapter's remaining self-checks (formative)" if not first
                                    else f"Self-checks of {len(coding)} exercise(s) (formative)" if coding
                                    else "Conceptual answers, discussed in class (formative)")})
    return pd.DataFrame(rows)


__all__ = ["toc_chapters", "chapter_title", "objectives", "session_plan", "CourseSettings", "exercise_labels",
           "course_plan", "discussion_questions", "discussion_answers_markdown"]
