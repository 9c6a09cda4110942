"""Link each glossary term at its first use in every chapter: {term}`path model`.

The terms come from ``book/glossary.md`` (Sphinx's ``glossary`` directive). An entry may list several
terms on consecutive lines (an abbreviation and its expansion, a variant); they are one *concept*, and
each chapter links a concept once, at the first place any of its terms (or a plural, term + "s")
appears in the chapter's markdown cells. A use shown differently from the term it links keeps its text:
{term}`indirect effects <indirect effect>`. Terms with a capital letter match case-sensitively, all
lower-case terms in any case ("Bootstrap" at a sentence start).

Never linked: headings, code spans and code blocks, math, roles of any kind (glue, cite, term, ...),
links, HTML tags, MyST targets and comments, directive fence lines and their ``:option:`` lines, and the
content of ``math``/``code`` directives. Running the tool twice changes nothing::

    python -m tools.link_terms                      # every notebooks/*.ipynb, rewritten in place
    python -m tools.link_terms --check              # list unlinked first uses; exit status 1 if any
    python -m tools.link_terms notebooks/02_x.ipynb # only these chapters
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT / "book" / "glossary.md"
NOTEBOOKS = ROOT / "notebooks"

FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,}|:{3,})\s*(?:\{(?P<name>[\w:-]+)\})?(?P<rest>.*)$")
VERBATIM_DIRECTIVES = {"math", "code", "code-block", "code-cell", "raw", "glossary", "eval-rst", "literalinclude"}
LINE_PROTECTED = re.compile(r"^\s{0,3}(#{1,6}\s|\(.*\)=\s*$|%)")
OPTION = re.compile(r"^\s*:[\w-]+:")
ROLE = re.compile(r"\{(?P<role>[\w:-]+)\}`(?P<text>[^`]*)`")
INLINE_PROTECTED = re.compile(
    r"\$\$.*?\$\$"  # display math on one line
    r"|(?<![\\$])\$[^$\n]+\$"  # inline math
    r"|``[^`]+``|`[^`]+`"  # code spans
    r"|!?\[[^\]]*\]\([^)]*\)"  # links and images
    r"|<[^<>\n]+>"  # HTML tags and autolinks
    r"|https?://\S+",
    flags=re.S,
)
BLOCK_MATH = re.compile(r"\$\$.*?\$\$|\\begin\{(\w+\*?)\}.*?\\end\{\1\}", flags=re.S)


class GlossaryError(ValueError):
    """The glossary page cannot be read."""


@dataclass(frozen=True)
class Concept:
    """One glossary entry: its terms (the first is the entry's name)."""

    terms: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.terms[0]

    def forms(self) -> dict[str, str]:
        """Surface form -> the glossary term a use of it links to (each term and its plural)."""
        out: dict[str, str] = {}
        for term in self.terms:
            out.setdefault(term, term)
        for term in self.terms:
            if not term.endswith("s") and term[-1].isalpha():
                out.setdefault(term + "s", term)
        return out


def read_glossary(path: Path = GLOSSARY) -> list[Concept]:
    """The concepts of the ``{glossary}`` directive in ``path``, in the page's order."""
    try:
        lines = Path(path).read_text(encoding="utf-8").split("\n")
    except OSError as err:
        raise GlossaryError(f"cannot read the glossary {path}: {err}") from err
    try:
        start = next(i for i, line in enumerate(lines) if re.match(r"^(`{3,}|:{3,})\{glossary\}", line))
    except StopIteration:
        raise GlossaryError(f"{path}: no ```{{glossary}} directive") from None
    concepts: list[Concept] = []
    group: list[str] = []
    for line in lines[start + 1:]:
        if re.match(r"^(`{3,}|:{3,})\s*$", line):
            break
        if not line.strip() or OPTION.match(line):
            group = []
            continue
        if line[0].isspace():
            if group:
                concepts.append(Concept(tuple(group)))
                group = []
            continue
        group.append(line.strip())
    if not concepts:
        raise GlossaryError(f"{path}: the glossary directive holds no terms")
    return concepts


# ----------------------------------------------------------------------------- what may be linked

def protected_mask(text: str, roles: bool = True) -> list[bool]:
    """For each character of a markdown cell: True where no term may be linked.

    With ``roles=False`` the roles themselves are left unprotected (to find the {term} roles that count).
    """
    mask = [False] * len(text)

    def protect(start: int, end: int) -> None:
        for i in range(start, end):
            mask[i] = True

    for m in BLOCK_MATH.finditer(text):
        protect(m.start(), m.end())
    stack: list[tuple[str, bool]] = []  # open fences: (fence, verbatim content)
    pos = 0
    after_fence = False
    for line in text.split("\n"):
        end = pos + len(line)
        fence = FENCE.match(line)
        verbatim = bool(stack) and stack[-1][1]
        closing = fence and stack and not fence.group("name") and not fence.group("rest").strip() \
            and fence.group("fence")[0] == stack[-1][0][0] and len(fence.group("fence")) >= len(stack[-1][0])
        if closing:
            stack.pop()
            protect(pos, end)
            after_fence = False
        elif verbatim:
            protect(pos, end)
        elif fence:
            name = fence.group("name")
            stack.append((fence.group("fence"), name is None or name in VERBATIM_DIRECTIVES))
            protect(pos, end)
            after_fence = True
        elif after_fence and OPTION.match(line):
            protect(pos, end)
        else:
            after_fence = False
            if LINE_PROTECTED.match(line):
                protect(pos, end)
            else:
                for m in ROLE.finditer(line) if roles else ():
                    protect(pos + m.start(), pos + m.end())
                for m in INLINE_PROTECTED.finditer(ROLE.sub(lambda r: "\0" * len(r.group(0)), line)):
                    protect(pos + m.start(), pos + m.end())
        pos = end + 1
    return mask


@dataclass(frozen=True)
class Use:
    """A use of a concept in a chapter: cell index, character span, shown text and whether it is linked."""

    cell: int
    start: int
    end: int
    text: str
    target: str
    linked: bool


def _pattern(forms: dict[str, str]) -> re.Pattern:
    alternatives = []
    for form in sorted(forms, key=len, reverse=True):
        body = re.escape(form)
        if form == form.lower():
            body = f"(?i:{body})"
        alternatives.append(body)
    return re.compile(r"(?<![\w-])(?:" + "|".join(alternatives) + r")(?![\w-])")


class Linker:
    """Finds and links the first use of each concept in a chapter's markdown cells."""

    def __init__(self, concepts: Sequence[Concept]):
        self.concepts = list(concepts)
        self.form_target: dict[str, str] = {}
        self.concept_of: dict[str, Concept] = {}
        for concept in self.concepts:
            for form, target in concept.forms().items():
                self.form_target.setdefault(form, target)
                self.form_target.setdefault(form.lower(), target)
            for term in concept.terms:
                self.concept_of[term.lower()] = concept
        self.pattern = _pattern({f: t for c in self.concepts for f, t in c.forms().items()})

    def target(self, shown: str) -> str:
        return self.form_target.get(shown, self.form_target.get(shown.lower(), shown))

    def uses(self, cells: Sequence[dict]) -> list[tuple[Concept, Use]]:
        """Every use of every concept, linked ({term} roles) or not, in reading order."""
        found: list[tuple[Concept, Use]] = []
        for index, cell in enumerate(cells):
            if cell.get("cell_type") != "markdown":
                continue
            text = _source(cell)
            mask, outside = protected_mask(text), protected_mask(text, roles=False)
            for m in ROLE.finditer(text):
                if m.group("role") == "term" and not outside[m.start()]:
                    shown, _, label = _split_label(m.group("text"))
                    concept = self.concept_of.get(label.lower())
                    if concept is not None:
                        found.append((concept, Use(index, m.start(), m.end(), shown, label, True)))
            for m in self.pattern.finditer(text):
                if not any(mask[m.start():m.end()]):
                    concept = self.concept_of[self.target(m.group(0)).lower()]
                    found.append((concept, Use(index, m.start(), m.end(), m.group(0),
                                               self.target(m.group(0)), False)))
        found.sort(key=lambda cu: (cu[1].cell, cu[1].start))
        return found

    def first_uses(self, cells: Sequence[dict]) -> dict[str, Use]:
        """Concept name -> its first use in the chapter."""
        first: dict[str, Use] = {}
        for concept, use in self.uses(cells):
            first.setdefault(concept.name, use)
        return first

    def link(self, cells: list[dict]) -> int:
        """Link every concept's first use in place; returns how many links were added."""
        todo = [u for u in self.first_uses(cells).values() if not u.linked]
        for use in sorted(todo, key=lambda u: (u.cell, u.start), reverse=True):
            text = _source(cells[use.cell])
            role = f"{{term}}`{use.text}`" if use.text == use.target else f"{{term}}`{use.text} <{use.target}>`"
            _set_source(cells[use.cell], text[:use.start] + role + text[use.end:])
        return len(todo)


def _split_label(text: str) -> tuple[str, str, str]:
    m = re.fullmatch(r"\s*(.*?)\s*<([^<>]+)>\s*", text, flags=re.S)
    return (m.group(1), "<>", m.group(2)) if m else (text, "", text)


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _set_source(cell: dict, text: str) -> None:
    cell["source"] = text.splitlines(keepends=True) if isinstance(cell.get("source"), list) else text


# ----------------------------------------------------------------------------- files

def link_notebook(path: Path, linker: Linker, write: bool = True) -> int:
    """Link first uses in the notebook at ``path``; returns the number of links added (or missing)."""
    text = Path(path).read_text(encoding="utf-8")
    nb = json.loads(text)
    added = linker.link(nb["cells"])
    if added and write:
        Path(path).write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return added


def unlinked_first_uses(path: Path, linker: Linker) -> list[str]:
    """Descriptions of the concepts whose first use in the notebook at ``path`` is not linked."""
    cells = json.loads(Path(path).read_text(encoding="utf-8"))["cells"]
    return [f"{Path(path).name}: cell {u.cell}: first use of {name!r} ({u.text!r}) is not linked"
            for name, u in linker.first_uses(cells).items() if not u.linked]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--check", action="store_true", help="report unlinked first uses, change nothing")
    parser.add_argument("--glossary", type=Path, default=GLOSSARY)
    args = parser.parse_args(argv)
    linker = Linker(read_glossary(args.glossary))
    paths = args.notebooks or sorted(NOTEBOOKS.glob("*.ipynb"))
    status = 0
    for path in paths:
        if args.check:
            problems = unlinked_first_uses(path, linker)
            print("\n".join(problems)) if problems else None
            status |= bool(problems)
        else:
            print(f"{path}: {link_notebook(path, linker)} links added")
    return status


if __name__ == "__main__":
    sys.exit(main())
