"""Glossary terms used before they are explained, in the book's reading order.

A reader meets the chapters in the order of ``_toc.yml``. A glossary term (``book/glossary.md``) is
*explained* where the text defines it, which the book marks by setting the term in bold or italics
(``**mediator**``, ``*{term}`missing at random`*``, a definition following). A *use* is any other occurrence
of the term in a chapter's markdown (linked with ``{term}`` or not) outside code, math and headings, and
outside what a reader may skip or meets as a promise: dropdowns (``:class: dropdown``: "For the curious",
solutions), exercises, and the Overview, Prerequisites and Summary sections. A use earlier in reading
order than the term's first explanation is listed: the reader meets the word before the book says what it
means. (A term that is never emphasized is taken as explained at its first use, through its glossary link.)

    python -m tools.term_order                  # list them; exit status 1 if any
    python -m tools.term_order 02_path_primer   # only the uses in these chapters
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tools.link_terms import FENCE, GLOSSARY, OPTION, Linker, _source, read_glossary

ROOT = Path(__file__).resolve().parents[1]
TOC = ROOT / "_toc.yml"

EMPHASIS = re.compile(r"\*\*(?P<bold>[^*\n]+?)\*\*|(?<![*\w])\*(?P<italic>[^*\n]+?)\*(?![*\w])")
UNCHECKED_SECTIONS = ("overview", "prerequisites", "summary", "exercises", "learning objectives")
SKIPPED_DIRECTIVES = {"exercise", "solution", "exercise-start", "solution-start"}


@dataclass(frozen=True)
class Place:
    """Where a term occurs in reading order: chapter (its position in the book and file stem) and cell."""

    order: int
    chapter: str
    cell: int
    start: int

    def __str__(self) -> str:
        return f"{self.chapter}, cell {self.cell}"


def reading_order(toc: Path = TOC) -> list[Path]:
    """The chapter notebooks in the order of the table of contents."""
    files = re.findall(r"^\s*-?\s*file:\s*(\S+)\s*$", toc.read_text(encoding="utf-8"), flags=re.M)
    paths = [toc.parent / f"{f}.ipynb" for f in files]
    return [p for p in paths if p.exists()]


def skipped_mask(text: str) -> list[bool]:
    """True for every character inside a dropdown or an exercise/solution (which the main line does not need)."""
    mask = [False] * len(text)
    stack: list[tuple[str, bool]] = []
    pos, pending = 0, None  # pending: the opening fence whose options are being read
    gated = False  # between a {solution-start}/{exercise-start} fence and its {..-end}
    for line in text.split("\n"):
        end = pos + len(line)
        fence = FENCE.match(line)
        if pending is not None and OPTION.match(line):
            if re.match(r"^\s*:class:.*\bdropdown\b", line):
                stack[-1] = (stack[-1][0], True)
        else:
            pending = None
        if fence and fence.group("name") in ("exercise-start", "solution-start"):
            gated = True
        if fence and stack and not fence.group("name") and not fence.group("rest").strip() \
                and fence.group("fence")[0] == stack[-1][0][0]:
            closing_skipped = stack.pop()[1]
            if closing_skipped or any(s for _, s in stack):
                for i in range(pos, end):
                    mask[i] = True
        elif fence and fence.group("name"):
            name = fence.group("name")
            stack.append((fence.group("fence"), name in SKIPPED_DIRECTIVES or name == "dropdown"))
            pending = len(stack) - 1
        if gated or any(s for _, s in stack):
            for i in range(pos, min(end + 1, len(text))):
                mask[i] = True
        if fence and fence.group("name") in ("exercise-end", "solution-end"):
            gated = False
        pos = end + 1
    return mask


def emphasis_spans(text: str) -> list[tuple[int, int]]:
    """The character spans of the bold and italic runs of a markdown cell."""
    return [(m.start(), m.end()) for m in EMPHASIS.finditer(text)]


def _section_mask(cells: Sequence[dict]) -> list[bool]:
    """For each cell: True if it lies in an Overview, Prerequisites, Summary or Exercises section."""
    out, current = [], False
    for cell in cells:
        text = _source(cell)
        cut = current
        if cell.get("cell_type") == "markdown":
            for m in re.finditer(r"^#{1,3}\s+(.+)$", text, flags=re.M):
                cut = m.group(1).strip().lower().startswith(UNCHECKED_SECTIONS)
        out.append(current if not re.search(r"^#{1,3}\s", text, flags=re.M) else _starts_unchecked(text, current))
        current = cut
    return out


def _starts_unchecked(text: str, before: bool) -> bool:
    """Whether a cell with headings starts inside an unchecked section (its first heading decides)."""
    m = re.search(r"^(?P<text>.*?)^#{1,3}\s+(?P<head>.+)$", text, flags=re.M | re.S)
    if m and not m.group("text").strip():
        return m.group("head").strip().lower().startswith(UNCHECKED_SECTIONS)
    return before


def _unchecked_chars(text: str, starts_unchecked: bool) -> list[bool]:
    """Per character of a cell: inside an Overview, Prerequisites, Summary or Exercises section."""
    mask, state, pos = [], starts_unchecked, 0
    for line in text.split("\n"):
        m = re.match(r"^#{1,3}\s+(.+)$", line)
        if m:
            state = m.group(1).strip().lower().startswith(UNCHECKED_SECTIONS)
        mask.extend([state] * (len(line) + 1))
        pos += len(line) + 1
    return mask


def terms_before_explanation(chapters: Sequence[Path] | None = None, glossary: Path = GLOSSARY,
                             only: Sequence[str] | None = None) -> list[str]:
    """One line per glossary term used (in the main line) before its explanation, in reading order.

    ``only``: chapter file stems whose uses are checked (all when None); explanations count from every
    chapter. A term that is never explained is listed at its first use.
    """
    linker = Linker(read_glossary(glossary))
    chapters = list(chapters) if chapters is not None else reading_order()
    explained: dict[str, Place] = {}  # the first emphasized use, anywhere in reading order
    used: dict[str, tuple[Place, str]] = {}  # the first plain use in the main line of a checked chapter
    for order, path in enumerate(chapters):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        sections = _section_mask(cells)
        for concept, use in linker.uses(cells):
            text = _source(cells[use.cell])
            place = Place(order, path.stem, use.cell, use.start)
            if any(s <= use.start and use.end <= e for s, e in emphasis_spans(text)):
                explained.setdefault(concept.name, place)
            elif (not skipped_mask(text)[use.start] and not _unchecked_chars(text, sections[use.cell])[use.start]
                  and (only is None or path.stem in only)):
                used.setdefault(concept.name, (place, use.text))
    problems = []
    for name, (place, shown) in sorted(used.items(), key=lambda kv: (kv[1][0].order, kv[1][0].cell, kv[1][0].start)):
        where = explained.get(name)
        if where is not None and (where.order, where.cell, where.start) > (place.order, place.cell, place.start):
            problems.append(f"{place}: {shown!r} ({name}) is used before its explanation in {where}")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("chapters", nargs="*", help="file stems of the chapters whose uses are checked")
    args = parser.parse_args(argv)
    problems = terms_before_explanation(only=args.chapters or None)
    print("\n".join(problems) if problems else "every glossary term is explained before it is used")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
