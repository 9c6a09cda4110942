"""The glossary (book/glossary.md) and the chapters' {term} links.

In every chapter the first use of each glossary entry must be a {term} link (run
``python -m tools.link_terms`` after writing new text); every {term} used anywhere must name a
glossary term (Sphinx would only warn at build time, and the reader notebooks would link nowhere).
"""

import json
import re
from pathlib import Path

import pytest

from tools.link_terms import GLOSSARY, ROLE, Linker, read_glossary, unlinked_first_uses

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CONCEPTS = read_glossary(GLOSSARY)
LINKER = Linker(CONCEPTS)


def test_the_glossary_has_at_least_30_entries_and_no_duplicate_term():
    terms = [t.lower() for c in CONCEPTS for t in c.terms]
    assert len(CONCEPTS) >= 30
    assert len(terms) == len(set(terms)), sorted(t for t in terms if terms.count(t) > 1)


def test_every_entry_has_a_definition_of_one_to_three_sentences():
    text = GLOSSARY.read_text(encoding="utf-8")
    body = text[text.index("```{glossary}"):]
    definitions = re.findall(r"((?:\n  .+)+)", body)
    assert len(definitions) == len(CONCEPTS)
    for d in definitions:
        sentences = re.findall(r"[.!?](?:\s|\)|$)", re.sub(r"\(\[[^\]]*\]\([^)]*\)\)|e\.g\.|i\.e\.", "", d))
        assert 1 <= len(sentences) <= 4, d


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_first_use_of_each_term_is_linked(path):
    assert unlinked_first_uses(path, LINKER) == []


def _markdown_sources():
    for path in CHAPTERS:
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] == "markdown":
                yield path.name, "".join(cell["source"])
    for path in sorted((ROOT / "book").glob("*.md")):
        yield path.name, path.read_text(encoding="utf-8")


def test_every_term_role_names_a_glossary_term():
    known = {t.lower() for c in CONCEPTS for t in c.terms}
    unknown = []
    for name, text in _markdown_sources():
        for m in ROLE.finditer(text):
            if m.group("role") == "term":
                label = re.fullmatch(r"(?s).*?<([^<>]+)>\s*|(.*)", m.group("text"))
                target = (label.group(1) or label.group(2)).strip()
                if target.lower() not in known:
                    unknown.append(f"{name}: {target}")
    assert unknown == []
