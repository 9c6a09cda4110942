"""Accessible markup at the source, for what the book's extensions write into every page body.

Checked by axe-core in tests/test_browser_pages.py (WCAG 2.1 A/AA):

* docutils writes each reference of the bibliography as ``role="doc-biblioentry"`` inside a
  ``role="list"``: the role is deprecated (DPUB-ARIA 1.1) and a list needs list items
  (``aria-required-children``), so the entries become ``role="listitem"``;
* myst-nb's folded code cells are ``<summary aria-label="Toggle hidden content">`` whose visible text is
  "Show code cell source": a name that does not contain the visible label (WCAG 2.5.3, label in name), so
  the aria-label goes and the summary is named by what it shows.

The theme's own buttons (search, colour mode) are fixed in book/_static/psyalliance.js, which does not
touch the theme's templates, so a theme update keeps both.
"""

from __future__ import annotations

from typing import Any

REPLACEMENTS = (
    ('role="doc-biblioentry"', 'role="listitem"'),
    ('<summary aria-label="Toggle hidden content">', "<summary>"),
)


def fix_body(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """Rewrite the page body of ``context`` (Sphinx's html-page-context event)."""
    body = context.get("body")
    if isinstance(body, str):
        for old, new in REPLACEMENTS:
            body = body.replace(old, new)
        context["body"] = body


def setup(app: Any) -> dict[str, Any]:
    app.connect("html-page-context", fix_body)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
