"""Reader notebooks (book/_ext/reader_notebooks.py): MyST chapters as plain Jupyter markdown.

The unit tests feed small notebooks with each MyST construct the chapters use and check the plain
markdown that JupyterLab would render. Expected values are written out by hand from the rules the
HTML follows (myst-nb's format specs, sphinx-exercise's numbering, author-year citations).
"""

import copy
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))

import reader_notebooks as rn  # noqa: E402

PNG = "iVBORw0KGgo="  # any base64 text: the converter only moves it


def context(**glue) -> rn.BookContext:
    bundles = {k: ({"text/plain": v} if isinstance(v, str) else v) for k, v in glue.items()}
    return rn.BookContext(
        numbers={"fig-a": ("figure", 3), "fig-b": ("figure", 4), "ex-1": ("exercise", 7), "ex-2": ("exercise", 8)},
        titles={"sec-fit": "How well does it fit?"},
        glue=bundles,
        references={
            "levin2024": {"label": "Levin et al., 2024", "author": "Levin et al.", "year": "2024"},
            "two2020": {"label": "Smith and Jones, 2020", "author": "Smith and Jones", "year": "2020"},
        },
        full_references={"levin2024": "Levin A, et al. PLOS ONE 2024.", "two2020": "Smith and Jones. 2020."},
        book_title="A book",
        chapter="test",
    )


def notebook(*cells) -> nbformat.NotebookNode:
    made = []
    for i, (kind, text, *meta) in enumerate(cells):
        cell = nbformat.v4.new_markdown_cell(text) if kind == "md" else nbformat.v4.new_code_cell(text)
        cell.id = f"c{i}"
        if meta:
            cell.metadata = meta[0]
        made.append(cell)
    nb = nbformat.v4.new_notebook(cells=made)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def md(nb, i):
    return nb.cells[i].source


def test_glue_text_follows_the_format_spec():
    ctx = context(r="0.5123", n="27", reps="'10,000'", name="'a1*b1'")
    out = rn.reader_notebook(notebook(("md", "r = {glue:text}`r:.2f`, n = {glue:text}`n:d`, "
                                              "{glue:text}`reps` runs, {glue:text}`r`, {glue:text}`name`.")), ctx)
    # header cell first, then the chapter's cell
    assert md(out, 1) == r"r = 0.51, n = 27, 10,000 runs, 0.5123, a1\*b1."


def test_a_missing_glue_key_is_named():
    with pytest.raises(rn.ReaderError, match="'nope'"):
        rn.reader_notebook(notebook(("md", "{glue:text}`nope:.2f`")), context())


def test_citations_are_author_year_and_listed_at_the_end():
    out = rn.reader_notebook(notebook(("md", "As shown {cite}`levin2024`; {cite:t}`two2020` and {cite}`two2020,levin2024`.")),
                             context())
    assert md(out, 1) == ("As shown (Levin et al., 2024); Smith and Jones (2020) and "
                          "(Smith and Jones, 2020; Levin et al., 2024).")
    assert md(out, -1) == "## References\n\n- Levin A, et al. PLOS ONE 2024.\n- Smith and Jones. 2020."


def test_unknown_citation_is_an_error():
    with pytest.raises(rn.ReaderError, match="nobody1999"):
        rn.reader_notebook(notebook(("md", "{cite}`nobody1999`")), context())


def test_cross_references_take_the_numbers_of_the_build():
    out = rn.reader_notebook(notebook(("md", "See {numref}`fig-b`, {numref}`Fig. %s <fig-a>`, {ref}`sec-fit` and "
                                              "{ref}`that section <sec-fit>`.")), context())
    assert md(out, 1) == "See Figure 4, Fig. 3, How well does it fit? and that section."


def test_glued_figure_becomes_an_attached_image_with_number_and_caption():
    text = ("Before.\n\n```{glue:figure} fig_key\n:name: fig-a\n:alt: A line chart.\n\n"
            "The caption, {glue:text}`n:d` simulated people.\n```\n\nAfter.")
    out = rn.reader_notebook(notebook(("md", text)), context(n="24", fig_key={"text/plain": "<Figure>", "image/png": PNG}))
    assert md(out, 1) == ("Before.\n\n![A line chart.](attachment:fig_key.png)\n\n"
                          "**Figure 3.** The caption, 24 simulated people.\n\nAfter.")
    assert out.cells[1].attachments == {"fig_key.png": {"image/png": PNG}}


def test_figure_drawn_by_a_code_cell_gets_its_caption_below():
    meta = {"mystnb": {"figure": {"name": "fig-b", "caption": "Trajectories, simulated."}}, "tags": ["hide-input"]}
    out = rn.reader_notebook(notebook(("code", "plot()", meta)), context())
    assert out.cells[1].metadata["jupyter"] == {"source_hidden": True}
    assert md(out, 2) == "**Figure 4.** Trajectories, simulated."


def test_admonition_becomes_a_quote():
    out = rn.reader_notebook(notebook(("md", "```{important}\nThe data are **simulated**.\n\nTwo paragraphs.\n```")),
                             context())
    assert md(out, 1) == "> **Important**\n>\n> The data are **simulated**.\n>\n> Two paragraphs."


def test_a_solution_over_several_cells_is_one_fold_with_its_code_and_output():
    nb = notebook(
        ("md", "## Exercises\n\n```{exercise-start}\n:label: ex-2\n```\nCompute it.\n```{exercise-end}\n```\n\n"
               "```{solution-start} ex-2\n:class: dropdown\n```\nFirst part."),
        ("code", "answer = 42\nanswer"),
        ("code", "glue('x', 1)", {"tags": ["remove-cell"]}),
        ("md", "Second part.\n```{solution-end}\n```\n\nAfter the solution."),
        ("code", "after = 1"),
    )
    executed = copy.deepcopy(nb)
    executed.cells[1].outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "42"}, execution_count=1)]
    out = rn.reader_notebook(nb, context(), executed=executed)
    assert [c.cell_type for c in out.cells] == ["markdown", "markdown", "markdown", "markdown", "code"]
    assert md(out, 1) == "## Exercises\n\n**Exercise 8.** Compute it."
    assert md(out, 2) == ("<details>\n<summary>Solution to Exercise 8</summary>\n\nFirst part.\n\n"
                          "```python\nanswer = 42\nanswer\n```\n\n```text\n42\n```\n\nSecond part.\n\n</details>")
    assert md(out, 3) == "After the solution."
    assert "jupyter" not in out.cells[4].metadata and out.cells[4].source == "after = 1"
    assert rn.solution_code_cells(nb) == {1, 2}


def test_solution_images_are_attached():
    nb = notebook(("md", "```{solution-start} ex-1\n```"), ("code", "plot()"), ("md", "```{solution-end}\n```"))
    executed = copy.deepcopy(nb)
    executed.cells[1].outputs = [nbformat.v4.new_output("display_data", {"image/png": PNG, "text/plain": "<Figure>"})]
    out = rn.reader_notebook(nb, context(), executed=executed)
    assert len(out.cells) == 2
    assert md(out, 1) == ("<details>\n<summary>Solution to Exercise 7</summary>\n\n```python\nplot()\n```\n\n"
                          "![output of the solution](attachment:solution-1-0.png)\n\n</details>")
    assert out.cells[1].attachments == {"solution-1-0.png": {"image/png": PNG}}


def test_executed_copy_must_match():
    nb = notebook(("code", "a = 1"))
    other = notebook(("code", "a = 2"))
    with pytest.raises(rn.ReaderError, match="does not match"):
        rn.reader_notebook(nb, context(), executed=other)


def test_tags_map_to_collapsed_parts():
    nb = notebook(("code", "a", {"tags": ["remove-cell"]}), ("code", "b", {"tags": ["remove-input"]}),
                  ("code", "c", {"tags": ["remove-output"]}), ("code", "d", {}))
    out = rn.reader_notebook(nb, context())
    assert out.cells[1].metadata["jupyter"] == {"source_hidden": True, "outputs_hidden": True}
    assert out.cells[2].metadata["jupyter"] == {"source_hidden": True}
    assert out.cells[3].metadata["jupyter"] == {"outputs_hidden": True}
    assert "jupyter" not in out.cells[4].metadata
    assert [c.source for c in out.cells if c.cell_type == "code"] == ["a", "b", "c", "d"]


def test_reader_metadata_overrides_the_tags():
    nb = notebook(("code", "widgets.interact(f)", {"tags": ["remove-output"], "reader": {"collapse": []}}))
    out = rn.reader_notebook(nb, context())
    assert out.cells[1].metadata.get("jupyter", {}) == {} and "reader" not in out.cells[1].metadata
    assert out.cells[1].metadata["tags"] == ["remove-output"]


def test_targets_and_comments_are_dropped_and_code_stays_literal():
    text = "(sec-fit)=\n## Fit\n% a MyST comment\nWrite ``{glue:text}`key` `` in a chapter.\n\n```python\nx = {cite}`a`\n```"
    out = rn.reader_notebook(notebook(("md", text)), context())
    assert md(out, 1) == "## Fit\nWrite ``{glue:text}`key` `` in a chapter.\n\n```python\nx = {cite}`a`\n```"


def test_unknown_role_or_directive_or_open_fence_is_an_error():
    with pytest.raises(rn.ReaderError, match="role {abbr}"):
        rn.reader_notebook(notebook(("md", "{abbr}`SEM (structural equation model)`")), context())
    with pytest.raises(rn.ReaderError, match="directive {list-table}"):
        rn.reader_notebook(notebook(("md", "```{list-table}\n* - a\n```")), context())
    with pytest.raises(rn.ReaderError, match="not closed"):
        rn.reader_notebook(notebook(("md", "```{note}\nopen")), context())
    with pytest.raises(rn.ReaderError, match="not closed"):
        rn.reader_notebook(notebook(("md", "```{solution-start} ex-1\n```\ntext")), context())


def test_leftover_markup_is_found():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("a {glue:text}`x` b"),
        nbformat.v4.new_markdown_cell(":label: ex-1"),
        nbformat.v4.new_markdown_cell("```{note}\nx\n```"),
        nbformat.v4.new_markdown_cell("`{cite}` in code is fine\n```\n{numref}`x`\n```"),
    ])
    assert rn.myst_leftovers(nb) == ["{glue:text}`x`", ":label: ex-1", "```{note}"]


def test_bibliography_labels(tmp_path):
    bib = tmp_path / "refs.bib"
    bib.write_text(
        "@article{one, author={Levin, Adam W.}, title={T}, journal={J}, year={2024}}\n"
        "@article{two, author={Smith, A. and Jones, B.}, title={T}, journal={J}, year={2020}}\n"
        "@article{three, author={Davis, Alan K. and Barrett, F. and May, D.}, title={T}, journal={J}, year={2021}}\n"
    )
    labels, full = rn.bibliography([bib])
    assert [labels[k]["label"] for k in ("one", "two", "three")] == ["Levin, 2024", "Smith and Jones, 2020",
                                                                      "Davis et al., 2021"]
    assert full["three"].startswith("Alan K. Davis, F. Barrett, and D. May.")


# ----------------------------------------------------------------------------- against the built book

CHAPTERS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))


def _page(built_book, chapter: str) -> str:
    return (built_book.html / "notebooks" / f"{chapter}.html").read_text(encoding="utf-8")


def _text(html: str) -> str:
    import html as htmllib
    import re

    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", "", html)).split())


@pytest.mark.slow
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_built_reader_notebook_says_what_the_page_says(built_book, chapter):
    import re

    assert built_book.returncode == 0, built_book.log[-3000:]
    path = built_book.reader / f"{chapter}.ipynb"
    assert path.exists(), f"the build wrote no reader notebook for {chapter}"
    reader = nbformat.read(path, as_version=4)
    nbformat.validate(reader)
    assert rn.myst_leftovers(reader) == []
    page = _page(built_book, chapter)
    prose = " ".join(" ".join(c.source.replace("\\", "").split()) for c in reader.cells if c.cell_type == "markdown")
    # the code is the chapter's code, cell for cell
    source = nbformat.read(ROOT / "notebooks" / f"{chapter}.ipynb", as_version=4)
    folded = rn.solution_code_cells(source)
    assert [c.source for c in reader.cells if c.cell_type == "code" and c.id != rn.INSTALL_ID] == [
        c.source for i, c in enumerate(source.cells) if c.cell_type == "code" and i not in folded]
    # every glued number of the page, in the reader's text
    pasted = [_text(m) for m in re.findall(r'<span class="pasted-text">(.*?)</span>', page, flags=re.S)]
    assert pasted, f"{chapter}: no glued text on the page"
    missing = [p for p in pasted if p not in prose]
    assert not missing, f"{chapter}: glued values of the page missing from the reader notebook: {missing[:5]}"
    # the same figure numbers, and an image for each figure of the page
    web_numbers = re.findall(r'<span class="caption-number">Figure (\d+) </span>', page)
    reader_numbers = re.findall(r"\*\*Figure (\d+)\.\*\*", prose)
    assert sorted(web_numbers, key=int) == sorted(reader_numbers, key=int)
    images = sum(len([k for k in c.get("attachments", {}) if not k.startswith("solution-")])
                 for c in reader.cells if c.cell_type == "markdown")
    drawn = sum(bool(c.metadata.get("mystnb", {}).get("figure")) for c in reader.cells if c.cell_type == "code")
    assert images + drawn == len(re.findall(r"<figure[ >]", page))
    # the same exercise numbers, and one folded solution per solution on the page
    assert re.findall(r'caption-number">Exercise ([\w.]+) <', page) == re.findall(r"\*\*Exercise ([\w.]+)\.\*\*", prose)
    assert len(re.findall(r"<summary>Solution to Exercise [\w.]+</summary>", prose)) == page.count('class="solution')
    # the same citation labels
    cites = {_text(m) for m in re.findall(r'<a class="reference internal" href="../book/references.html#[^"]*"'
                                          r'[^>]*>(.*?)</a>', page)}
    assert all(c in prose for c in cites), f"{chapter}: citations {cites}"


@pytest.mark.slow
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_page_buttons_open_and_download_the_reader_notebook(built_book, chapter):
    page = _page(built_book, chapter)
    assert f"urlpath=lab/tree/{rn.reader_path('notebooks/' + chapter)}" in page
    assert f"lab/tree/notebooks/{chapter}.ipynb" not in page
    assert f'href="../_sources/notebooks/{chapter}.ipynb"' in page
    download = built_book.html / "_sources" / "notebooks" / f"{chapter}.ipynb"
    assert download.read_bytes() == (built_book.reader / f"{chapter}.ipynb").read_bytes()


def test_term_links_to_the_glossary_page_or_is_italic_without_a_web_address():
    cell = ("md", "A {term}`path model`, {term}`indirect effects <indirect effect>` and {term}`GRID-HAMD`.")
    offline = rn.reader_notebook(notebook(cell), context())
    assert md(offline, 1) == "A *path model*, *indirect effects* and *GRID-HAMD*."
    ctx = context()
    ctx.glossary_url = "https://example.org/book/glossary.html"
    online = rn.reader_notebook(notebook(cell), ctx)
    # Sphinx's ids for glossary terms: "term-" + the term with spaces as hyphens, case kept
    assert md(online, 1) == ("A [path model](https://example.org/book/glossary.html#term-path-model), "
                             "[indirect effects](https://example.org/book/glossary.html#term-indirect-effect) and "
                             "[GRID-HAMD](https://example.org/book/glossary.html#term-GRID-HAMD).")
