"""The syllabus the instructor guide prints: chapters in table-of-contents order, their modelled times
(:mod:`psyalliance.reading`) and the learning objectives of their Overview sections."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pandas as pd
import yaml

from psyalliance.reading import reading_minutes

ROOT = Path(__file__).resolve().parents[2]
ROLE = re.compile(r"\{([\w:-]+)\}`([^`]*)`")


def toc_chapters(toc: Path = ROOT / "_toc.yml") -> list[Path]:
    """The chapter notebooks listed in ``_toc.yml`` (files under ``notebooks/``), in order."""
    try:
        parts = yaml.safe_load(Path(toc).read_text(encoding="utf-8"))["parts"]
    except (OSError, KeyError, TypeError, yaml.YAMLError) as err:
        raise ValueError(f"cannot read the chapters of {toc}: {err}") from err
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


__all__ = ["toc_chapters", "chapter_title", "objectives", "session_plan"]
