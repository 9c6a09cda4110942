"""The book builds from scratch, strictly: any Sphinx warning or failing cell fails the build."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_book_builds_with_zero_warnings(built_book):
    # built_book (tests/conftest.py): one fresh, strict build per test session, shared with the browser tests
    log = built_book.log
    assert built_book.returncode == 0, log[-6000:]
    # Sphinx warnings look like "path:line: WARNING: ..." (the kernel's own "[IPKernelApp] WARNING |"
    # notice about TCP transport is not a build warning)
    assert not re.search(r": WARNING: |^WARNING: ", log, flags=re.M), log[-6000:]
    assert "build succeeded" in log, log[-6000:]
    html = built_book.html
    assert (html / "index.html").exists() or (html / "book" / "intro.html").exists()
    # the pages read offline: no script, image, stylesheet or font is fetched from the network
    remote = re.compile(r'<(?:script|img|iframe|source)[^>]*\ssrc="https?://|<link[^>]*rel="(?:stylesheet|preload)"[^>]*href="https?://')
    for page in html.rglob("*.html"):
        hit = remote.search(page.read_text(encoding="utf-8"))
        assert hit is None, f"{page.relative_to(html)} loads {hit.group(0)!r} from the network"
    # every page in the table of contents was written
    toc = (ROOT / "_toc.yml").read_text()
    for line in toc.splitlines():
        line = line.strip()
        if line.startswith(("- file:", "root:")):
            page = line.split(":", 1)[1].strip()
            assert (html / f"{page}.html").exists(), f"{page}.html was not built"


@pytest.mark.slow
def test_glossary_index_and_instructor_guide_pages(built_book):
    html = built_book.html
    glossary = (html / "book" / "glossary.html").read_text(encoding="utf-8")
    # Sphinx writes each glossary term as <dt id="term-...">; the chapters' {term} links point there
    terms = re.findall(r'<dt id="term-([^"]+)"', glossary)
    assert len(terms) >= 30 and "path-model" in terms and "GRID-HAMD" in terms
    chapter = (html / "notebooks" / "07_path_models.html").read_text(encoding="utf-8")
    assert re.search(r'href="\.\./book/glossary\.html#term-path-model"', chapter)
    # the index is not empty: every glossary term is an index entry linking back to the glossary
    index = (html / "genindex.html").read_text(encoding="utf-8")
    assert index.count("book/glossary.html#term-") >= len(terms)
    intro = (html / "book" / "intro.html").read_text(encoding="utf-8")
    assert 'href="../genindex.html"' in intro
    guide = (html / "book" / "instructor_guide.html").read_text(encoding="utf-8")
    assert re.search(r"<title>Instructor", guide)
    assert "Session plan" in guide and "Assessments" in guide
