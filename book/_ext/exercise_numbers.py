"""Exercises numbered per chapter: the k-th exercise of ``notebooks/NN_*.ipynb`` is "Exercise N.k".

Sphinx numbers sphinx-exercise's exercises through the whole book (``env.toc_fignumbers``, as it
numbers figures when the table of contents is not numbered), so the primer's first exercise was
"Exercise 3". After Sphinx assigns its numbers (``env-get-updated``), this extension renumbers the
exercises of each chapter from 1, prefixed by the chapter's number, taken from its file name
(``02_path_primer`` -> 2, ``A1_simulating`` -> A1). sphinx-exercise's titles, its "Solution to
Exercise" titles, ``{numref}`` and the reader notebooks (``reader_notebooks.py``) all read these
numbers, so the web book, the reader, student and instructor notebooks show the same number. The
labels follow the same scheme (``ex-02-3`` is Exercise 2.3; ``tests/test_assignments.py`` checks).
"""

from __future__ import annotations

import re

CHAPTER = re.compile(r"(?:^|/)(?P<key>\d\d|A\d)_[^/]+$")


def chapter_key(docname: str) -> str | None:
    """``notebooks/02_path_primer`` -> ``"2"``, ``notebooks/A1_simulating`` -> ``"A1"``, else None."""
    m = CHAPTER.search(docname)
    if m is None:
        return None
    key = m["key"]
    return key.lstrip("0") if key.isdigit() else key


def renumber(toc_fignumbers: dict) -> None:
    """Number each chapter's exercises (chapter, 1), (chapter, 2), ... in the order Sphinx found them."""
    for docname, kinds in toc_fignumbers.items():
        found = kinds.get("exercise")
        key = chapter_key(docname)
        if not found or key is None:
            continue
        order = sorted(found, key=lambda label: tuple(found[label]))
        kinds["exercise"] = {label: (key, k) for k, label in enumerate(order, start=1)}


def _renumber(app, env) -> list[str]:
    renumber(env.toc_fignumbers)
    return []


def setup(app):
    app.connect("env-get-updated", _renumber, priority=900)  # after Sphinx's own numbering (priority 500)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
