"""Reader notebooks: each chapter as it reads on the web, for JupyterLab and Binder.

The chapters under ``notebooks/`` are written in MyST for the HTML book: numbers
are ``{glue:text}`` roles, figures ``{glue:figure}`` directives, exercises and
solutions sphinx-exercise's gated directives, citations ``{cite}`` roles. Plain
JupyterLab renders none of that. At the end of every HTML build this extension
writes one *reader notebook* per chapter to ``_build/reader/``:

* every ``{glue:text}`` role replaced by its formatted value (myst-nb's own
  formatting, from the ``.glue.json`` myst-nb writes beside the executed copy);
* every ``{glue:figure}`` as an image attached to its markdown cell, with
  "**Figure N.** caption" (N as the HTML numbers it, from Sphinx's environment);
  a figure drawn by a code cell (``mystnb.figure`` metadata) gets its caption in
  a markdown cell after it;
* ``{numref}`` / ``{ref}`` resolved to the numbers and titles the HTML uses,
  ``{cite}`` as author-year text, with a reference list at the end;
* admonitions as block quotes, exercises as "**Exercise N.**", each solution one
  ``<details>`` fold (JupyterLab folds it) holding its text, its code and what that
  code printed in the build, as the web page's dropdown does: a collapsed code cell
  would not do, since JupyterLab unfolds a cell's output when Run All executes it;
* ``remove-*`` / ``hide-*`` tags mapped to JupyterLab's collapsed input/output; a code cell's
  ``reader: {collapse: [...]}`` metadata overrides that (chapter 08's widget: no output on the
  offline web page, a live slider in JupyterLab).

The HTML page's launch (Binder) button opens the reader notebook, and the page's
download button serves it. Anything MyST-specific left over raises
:class:`ReaderError`, so a new role or directive cannot slip through unconverted.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

READER_DIR = "reader"  # under the build folder (_build/reader)
INSTALL_ID = "reader-install"  # the id of the install cell (and, + "-text", of its explanation)
ADMONITIONS = ("note", "important", "warning", "tip", "caution", "attention", "danger", "error", "hint", "seealso",
               "admonition")
ROLE = re.compile(r"\{([a-zA-Z][\w:-]*)\}`([^`]*)`")
ROLE_OR_CODE = re.compile(ROLE.pattern + r"|``[^`]+``|`[^`]+`")  # roles first; code spans stay literal
FENCE_OPEN = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|:{3,})\{(?P<name>[\w:-]+)\}(?P<arg>.*)$")
PLAIN_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
TARGET = re.compile(r"^\s*\(([\w:.-]+)\)=\s*$")
COLLAPSE = {  # cell tag -> JupyterLab's collapsed parts
    "remove-cell": ("source_hidden", "outputs_hidden"),
    "remove-input": ("source_hidden",),
    "hide-input": ("source_hidden",),
    "remove-output": ("outputs_hidden",),
    "hide-output": ("outputs_hidden",),
    "hide-cell": ("source_hidden", "outputs_hidden"),
}


class ReaderError(ValueError):
    """A chapter uses MyST that the reader notebooks cannot render."""


@dataclass
class BookContext:
    """What the HTML build resolved: numbers, titles, glue values and references."""

    numbers: dict[str, tuple[str, int | str]]  # label -> ("figure", 14) | ("exercise", "2.3")
    titles: dict[str, str]  # label -> section title or figure caption
    glue: dict[str, dict[str, Any]]  # key -> mime bundle
    references: dict[str, dict[str, Any]]  # bibtex key -> {"label": "Levin et al., 2024", "author": ..., "year": ...}
    full_references: dict[str, str] = field(default_factory=dict)  # bibtex key -> formatted entry (markdown)
    book_title: str = ""
    chapter: str = ""
    glossary_url: str = ""  # the glossary's web page (from html_baseurl); "" when the book has no web address


@dataclass
class _State:
    solution: int | None = None  # exercise number of the open solution
    solution_labels: dict[int | str, str] = field(default_factory=dict)  # exercise number -> its label
    exercise: int | None = None
    cited: list[str] = field(default_factory=list)
    attachments: dict[str, dict[str, str]] = field(default_factory=dict)


# ----------------------------------------------------------------------------- inline roles

def _escape(text: str) -> str:
    """Glued text is literal on the web: keep markdown from reading * or _ in it."""
    return re.sub(r"([*_`\[\]\\])", r"\\\1", text)


def glue_text(ctx: BookContext, spec: str) -> str:
    """The value of ``{glue:text}`key:fmt``` as myst-nb formats it."""
    from myst_nb.core.variables import format_plain_text

    parts = spec.rsplit(":", 1)  # as myst-nb reads key:format_spec
    key, fmt = (parts[0], parts[1]) if len(parts) == 2 else (parts[0], "s")
    if key not in ctx.glue:
        raise ReaderError(f"{ctx.chapter}: glue key {key!r} has no value in the build")
    return format_plain_text(ctx.glue[key]["text/plain"], fmt)


def _label(text: str) -> tuple[str | None, str]:
    """``title <label>`` or ``label``."""
    m = re.fullmatch(r"\s*(.*?)\s*<([^<>]+)>\s*", text, flags=re.S)
    return (m.group(1), m.group(2)) if m else (None, text.strip())


def _numref(ctx: BookContext, text: str) -> str:
    title, label = _label(text)
    if label not in ctx.numbers:
        raise ReaderError(f"{ctx.chapter}: {{numref}} target {label!r} has no number in the build")
    kind, num = ctx.numbers[label]
    if title:
        return title.replace("%s", str(num)).replace("{number}", str(num))
    return f"{kind.capitalize()} {num}"


def _ref(ctx: BookContext, text: str) -> str:
    title, label = _label(text)
    if title:
        return title
    if label not in ctx.titles:
        raise ReaderError(f"{ctx.chapter}: {{ref}} target {label!r} is unknown")
    return ctx.titles[label]


def term_anchor(term: str) -> str:
    """The HTML id Sphinx gives a glossary term: ``term-`` + the term, case kept, other characters as ``-``.

    Sphinx's own rule (``sphinx.util.nodes._make_id``, as the std domain's glossary calls it).
    """
    from sphinx.util.nodes import _make_id

    return _make_id(f"term-{term}")


def _term(ctx: BookContext, text: str) -> str:
    """``{term}`shown <term>``` as a link to the glossary's web page, or as *italic* text without one."""
    title, label = _label(text)
    shown = title or label
    if not ctx.glossary_url:
        return f"*{shown}*"
    return f"[{shown}]({ctx.glossary_url}#{term_anchor(label)})"


def _cite(ctx: BookContext, role: str, text: str, state: _State) -> str:
    keys = [k.strip() for k in text.split(",") if k.strip()]
    for key in keys:
        if key not in ctx.references:
            raise ReaderError(f"{ctx.chapter}: citation {key!r} is not in the bibliography")
        if key not in state.cited:
            state.cited.append(key)
    refs = [ctx.references[k] for k in keys]
    if role == "cite:t":
        return "; ".join(f"{r['author']} ({r['year']})" for r in refs)
    inner = "; ".join(r["label"] for r in refs)
    return inner if role == "cite:ps" else f"({inner})"


def inline(text: str, ctx: BookContext, state: _State) -> str:
    """Resolve the inline roles of markdown text (outside code blocks and code spans)."""

    def one(m: re.Match) -> str:
        role, content = m.group(1), m.group(2)
        if role is None:
            return m.group(0)  # a code span
        if role in ("glue:text", "glue", "glue:"):
            return _escape(glue_text(ctx, content))
        if role in ("cite", "cite:p", "cite:t", "cite:ps"):
            return _cite(ctx, role, content, state)
        if role == "numref":
            return _numref(ctx, content)
        if role in ("ref", "doc"):
            return _ref(ctx, content)
        if role == "term":
            return _term(ctx, content)
        if role == "index":
            title, label = _label(content)
            return title or label
        if role == "math":
            return f"${content}$"
        raise ReaderError(f"{ctx.chapter}: role {{{role}}} has no reader rendering")

    out, fenced = [], False
    for line in text.split("\n"):
        if PLAIN_FENCE.match(line):
            fenced = not fenced
        if fenced or PLAIN_FENCE.match(line):
            out.append(line)
            continue
        out.append(ROLE_OR_CODE.sub(one, line))
    return "\n".join(out)


# ----------------------------------------------------------------------------- directives

def _split_options(body: list[str]) -> tuple[dict[str, str], list[str]]:
    opts: dict[str, str] = {}
    i = 0
    while i < len(body) and re.match(r"^\s*:[\w-]+:", body[i]):
        key, _, value = body[i].strip()[1:].partition(":")
        opts[key] = value.strip()
        i += 1
    return opts, body[i:]


def _blocks(lines: list[str], ctx: BookContext) -> list[tuple[str, Any]]:
    """Split markdown lines into ("text", line) and ("directive", (name, arg, options, content)) items."""
    items: list[tuple[str, Any]] = []
    i = 0
    while i < len(lines):
        m = FENCE_OPEN.match(lines[i])
        if not m:
            if TARGET.match(lines[i]) or lines[i].lstrip().startswith("% "):
                i += 1  # MyST targets and comments do not show on the web either
                continue
            items.append(("text", lines[i]))
            i += 1
            continue
        fence = m.group("fence")
        close = re.compile(rf"^\s*{re.escape(fence[0])}{{{len(fence)},}}\s*$")
        j = i + 1
        while j < len(lines) and not close.match(lines[j]):
            j += 1
        if j == len(lines):
            raise ReaderError(f"{ctx.chapter}: directive {{{m.group('name')}}} is not closed")
        opts, content = _split_options(lines[i + 1:j])
        items.append(("directive", (m.group("name"), m.group("arg").strip(), opts, content)))
        i = j + 1
    return items


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.strip("\n").split("\n"))


def _figure(arg: str, opts: dict[str, str], content: list[str], ctx: BookContext, state: _State) -> str:
    key = arg.strip()
    if key not in ctx.glue or "image/png" not in ctx.glue[key]:
        raise ReaderError(f"{ctx.chapter}: glued figure {key!r} has no PNG in the build")
    name = f"{key}.png"
    state.attachments[name] = {"image/png": ctx.glue[key]["image/png"]}
    label = opts.get("name")
    caption = "\n".join(content).strip()
    if label:
        if label not in ctx.numbers:
            raise ReaderError(f"{ctx.chapter}: figure {label!r} has no number in the build")
        caption = f"**Figure {ctx.numbers[label][1]}.** {caption}"
    alt = opts.get("alt", "").replace("]", ")").replace("[", "(")
    return f"![{alt}](attachment:{name})\n\n{caption}\n"


def _directive(item: tuple, ctx: BookContext, state: _State) -> str:
    name, arg, opts, content = item
    body = "\n".join(content)
    if name == "glue:figure":
        return _figure(arg, opts, content, ctx, state)
    if name in ADMONITIONS:
        title = arg if name == "admonition" else (arg or name.capitalize())
        inner = "\n\n".join(seg.text for seg in render_markdown(body, ctx, state))
        return _quote(f"**{title}**\n\n{inner}") + "\n"
    if name in ("math",):
        return f"$$\n{body}\n$$\n"
    if name in ("code-block", "code", "code-cell"):
        return f"```{arg}\n{body}\n```\n"
    raise ReaderError(f"{ctx.chapter}: directive {{{name}}} has no reader rendering")


def _exercise_number(ctx: BookContext, label: str) -> int | str:
    if label not in ctx.numbers or ctx.numbers[label][0] != "exercise":
        raise ReaderError(f"{ctx.chapter}: exercise {label!r} has no number in the build")
    return ctx.numbers[label][1]


@dataclass
class Segment:
    """A run of reader markdown: plain text, or (solution set) part of a solution's fold."""

    text: str
    solution: int | None = None
    attachments: dict[str, dict[str, str]] = field(default_factory=dict)


def render_markdown(text: str, ctx: BookContext, state: _State) -> list[Segment]:
    """A markdown cell's MyST as plain Jupyter markdown, split where solutions start and end."""
    segments: list[Segment] = []
    out: list[str] = []

    def cut() -> None:
        md = re.sub(r"\*\*Exercise ([\w.]+)\.\*\* \n+", r"**Exercise \1.** ", "".join(out))
        md = inline(re.sub(r"\n{3,}", "\n\n", md), ctx, state).strip("\n")
        if md.strip():
            segments.append(Segment(md, state.solution, dict(state.attachments)))
        out.clear()
        state.attachments = {}

    for kind, item in _blocks(text.split("\n"), ctx):
        if kind == "text":
            out.append(item + "\n")
            continue
        name, arg, opts = item[0], item[1], item[2]
        if name == "exercise-start":
            state.exercise = _exercise_number(ctx, opts.get("label", ""))
            out.append(f"**Exercise {state.exercise}.** ")
        elif name == "exercise-end":
            state.exercise = None
            out.append("\n")
        elif name == "solution-start":
            cut()
            state.solution = _exercise_number(ctx, arg)
            state.solution_labels[state.solution] = arg
        elif name == "solution-end":
            cut()
            state.solution = None
        else:
            out.append(_directive(item, ctx, state))
    cut()
    return segments


def _render_block(source: str) -> str:
    return f"```python\n{source.strip()}\n```"


def _outputs_markdown(outputs: list, attachments: dict, key: str) -> str:
    """The build's outputs of a solution's code cell, as markdown (tables as HTML, images attached)."""
    parts: list[str] = []
    for k, out in enumerate(outputs or []):
        if out.get("output_type") == "stream" and out.get("name") == "stdout":
            parts.append(f"```text\n{out['text'].rstrip()}\n```")
        data = out.get("data", {})
        if "image/png" in data:
            name = f"{key}-{k}.png"
            attachments[name] = {"image/png": data["image/png"]}
            parts.append(f"![output of the solution](attachment:{name})")
        elif "text/html" in data:
            html = data["text/html"]
            parts.append(re.sub(r"<style[^>]*>.*?</style>", "", "".join(html) if isinstance(html, list) else html,
                                flags=re.S).strip())
        elif "text/plain" in data:
            parts.append(f"```text\n{data['text/plain'].rstrip()}\n```")
    return "\n\n".join(parts)


def _solution_code(cell: dict, executed: dict | None, segment_key: str) -> Segment | None:
    """A code cell of a solution, as the web shows it in the fold: its code, then what it printed."""
    tags = set(cell.get("metadata", {}).get("tags", []))
    if "remove-cell" in tags:
        return None  # glue for the web page's text: nothing for the reader
    attachments: dict[str, dict[str, str]] = {}
    parts = [] if "remove-input" in tags else [_render_block("".join(cell["source"]))]
    if executed is not None and "remove-output" not in tags:
        parts.append(_outputs_markdown(executed.get("outputs", []), attachments, segment_key))
    text = "\n\n".join(p for p in parts if p)
    return Segment(text, None, attachments) if text else None


# ----------------------------------------------------------------------------- cells and notebooks

def _collapse(cell: dict, parts: tuple[str, ...]) -> None:
    jupyter = cell.setdefault("metadata", {}).setdefault("jupyter", {})
    for part in parts:
        jupyter[part] = True


def _code_cell(cell: dict) -> dict:
    cell = copy.deepcopy(cell)
    override = cell.get("metadata", {}).pop("reader", {}).get("collapse")  # e.g. a widget the web cannot show
    if override is not None:
        _collapse(cell, tuple(override))
    else:
        for tag in cell.get("metadata", {}).get("tags", []):
            if tag in COLLAPSE:
                _collapse(cell, COLLAPSE[tag])
    return cell


def _figure_caption_cell(cell: dict, ctx: BookContext, state: _State, index: int) -> dict | None:
    fig = cell.get("metadata", {}).get("mystnb", {}).get("figure")
    if not fig:
        return None
    label = fig.get("name")
    caption = inline(fig.get("caption", ""), ctx, state)
    if label:
        if label not in ctx.numbers:
            raise ReaderError(f"{ctx.chapter}: figure {label!r} has no number in the build")
        caption = f"**Figure {ctx.numbers[label][1]}.** {caption}"
    return nbformat.v4.new_markdown_cell(caption, id=f"reader-caption-{index}")


def _header(ctx: BookContext, web_url: str | None) -> dict:
    where = f" ([the same chapter on the web]({web_url}))" if web_url else ""
    text = (f"> **Reader's notebook.** A chapter of *{ctx.book_title}*{where}. The numbers and figures in the text "
            "were computed when the book was built; **Run > Run All Cells** recomputes every table and output "
            "below from the same fixed seeds. Solutions are folded: click *Solution to Exercise N* to open one "
            "(its code, to copy into a cell of your own, and what it printed when the book was built). "
            "Every dataset here is **simulated**; the trial's data are not public.")
    return nbformat.v4.new_markdown_cell(text, id="reader-header")


def _references_cell(ctx: BookContext, state: _State) -> dict | None:
    if not state.cited:
        return None
    keys = sorted(state.cited, key=lambda k: (ctx.references[k]["author"], ctx.references[k]["year"]))
    items = "\n".join(f"- {ctx.full_references.get(k, ctx.references[k]['label'])}" for k in keys)
    return nbformat.v4.new_markdown_cell(f"## References\n\n{items}", id="reader-references")


def _markdown_cell(text: str, attachments: dict, cell_id: str) -> dict:
    cell = nbformat.v4.new_markdown_cell(text, id=cell_id)
    if attachments:
        cell.attachments = attachments
    return cell


def reader_notebook(nb: nbformat.NotebookNode, ctx: BookContext, web_url: str | None = None,
                    executed: nbformat.NotebookNode | None = None,
                    install: tuple[str, str] | None = None) -> nbformat.NotebookNode:
    """The reader version of one chapter notebook (the input is not changed).

    ``executed`` is the same notebook with the build's outputs (myst-nb's ``jupyter_execute`` copy): a
    solution's code cells are folded into the solution with what they printed, since JupyterLab would
    unfold a collapsed output as soon as Run All executes it. ``install``: the markdown and code of the cells
    that install the book's package outside the repository (:func:`psyalliance.teaching.install.install_cells`), put
    right after the header.
    """
    state = _State()
    cells = [_header(ctx, web_url)]
    if install is not None:
        cells += [nbformat.v4.new_markdown_cell(install[0], id=f"{INSTALL_ID}-text"),
                  nbformat.v4.new_code_cell(install[1], id=INSTALL_ID)]
    fold: list[Segment] = []  # the parts of the open solution
    fold_number: list[int | str] = []
    fold_code: list[dict] = []  # the solution's code cells (sources and metadata), for psyalliance.teaching.assignments

    def close_fold(index: int) -> None:
        if fold or fold_code:
            body = "\n\n".join(seg.text for seg in fold)
            attachments = {k: v for seg in fold for k, v in seg.attachments.items()}
            text = f"<details>\n<summary>Solution to Exercise {fold_number[0]}</summary>\n\n{body}\n\n</details>"
            cell = _markdown_cell(text, attachments, f"reader-solution-{str(fold_number[0]).replace('.', '-')}")
            cell.metadata["reader"] = {"solution": state.solution_labels[fold_number[0]], "code": list(fold_code)}
            cells.append(cell)
        fold.clear()
        fold_number.clear()
        fold_code.clear()

    executed_cells = executed.cells if executed is not None else None
    if executed_cells is not None and [c.source for c in executed_cells] != [c.source for c in nb.cells]:
        raise ReaderError(f"{ctx.chapter}: the executed copy does not match the chapter notebook")
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            for k, seg in enumerate(render_markdown("".join(cell.source), ctx, state)):
                if seg.solution is None:
                    close_fold(i)
                    cells.append(_markdown_cell(seg.text, seg.attachments, f"{cell.get('id', 'md')}-{k}"[:64]
                                                if k else cell.get("id", f"reader-md-{i}")))
                else:
                    if fold_number and fold_number[0] != seg.solution:
                        close_fold(i)
                    fold_number[:1] = [seg.solution]
                    fold.append(seg)
            if state.solution is None:
                close_fold(i)
        elif cell.cell_type == "code" and state.solution is not None:
            seg = _solution_code(cell, executed_cells[i] if executed_cells is not None else None, f"solution-{i}")
            fold_number[:1] = [state.solution]
            fold_code.append({"source": "".join(cell.source), "metadata": copy.deepcopy(dict(cell.get("metadata", {})))})
            if seg is not None:
                fold.append(seg)
        elif cell.cell_type == "code":
            close_fold(i)
            cells.append(_code_cell(cell))
            caption = _figure_caption_cell(cell, ctx, state, i)
            if caption is not None:
                cells.append(caption)
        else:
            close_fold(i)
            cells.append(copy.deepcopy(cell))
    if state.solution is not None or state.exercise is not None:
        raise ReaderError(f"{ctx.chapter}: an exercise or solution is not closed")
    close_fold(len(nb.cells))
    refs = _references_cell(ctx, state)
    if refs is not None:
        cells.append(refs)
    out = nbformat.v4.new_notebook(cells=cells, metadata=copy.deepcopy(dict(nb.metadata)))
    out.metadata.pop("jupytext", None)
    out.nbformat, out.nbformat_minor = 4, max(5, nb.get("nbformat_minor", 5))
    leftover = myst_leftovers(out)
    if leftover:
        raise ReaderError(f"{ctx.chapter}: MyST left in the reader notebook: {leftover[:3]}")
    return out


def solution_code_cells(nb: nbformat.NotebookNode) -> set[int]:
    """Indexes of the code cells that sit inside a gated solution (they are folded into it)."""
    inside, found = False, set()
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            for line in cell.source.split("\n"):
                m = FENCE_OPEN.match(line)
                if m and m.group("name") == "solution-start":
                    inside = True
                elif m and m.group("name") == "solution-end":
                    inside = False
        elif cell.cell_type == "code" and inside:
            found.add(i)
    return found


def myst_leftovers(nb: nbformat.NotebookNode) -> list[str]:
    """Roles, directives and targets that a plain Jupyter renderer would show raw (code blocks aside)."""
    found: list[str] = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        fenced = False
        for line in cell.source.split("\n"):
            if FENCE_OPEN.match(line):
                found.append(line.strip())
                continue
            if PLAIN_FENCE.match(line):
                fenced = not fenced
                continue
            if fenced:
                continue
            found += [m.group(0) for m in ROLE_OR_CODE.finditer(line) if m.group(1)]
            if TARGET.match(line) or re.match(r"^\s*:(label|class|name|alt):", line):
                found.append(line.strip())
    return found


# ----------------------------------------------------------------------------- references

def _last_names(persons) -> list[str]:
    return [" ".join(p.last_names) for p in persons]


def bibliography(bibfiles: list[Path]) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Author-year labels (as sphinxcontrib-bibtex's author_year style prints them) and formatted entries."""
    from pybtex.database import parse_file
    from pybtex.plugin import find_plugin

    labels: dict[str, dict[str, Any]] = {}
    full: dict[str, str] = {}
    style = find_plugin("pybtex.style.formatting", "plain")()
    for path in bibfiles:
        data = parse_file(str(path))
        for key, entry in data.entries.items():
            names = _last_names(entry.persons.get("author", entry.persons.get("editor", [])))
            if not names:
                author = entry.fields.get("organization", entry.fields.get("institution", key))
            elif len(names) == 1:
                author = names[0]
            elif len(names) == 2:
                author = f"{names[0]} and {names[1]}"
            else:
                author = f"{names[0]} et al."
            author = author.replace("{", "").replace("}", "")
            year = entry.fields.get("year", "n.d.")
            labels[key] = {"label": f"{author}, {year}", "author": author, "year": year}
        for formatted in style.format_entries(data.entries.values()):
            full[formatted.key] = " ".join(formatted.text.render_as("markdown").replace("\\", "").split())
    return labels, full


# ----------------------------------------------------------------------------- the Sphinx extension

def _context(app, docname: str) -> BookContext:
    env = app.env
    numbers: dict[str, tuple[str, int]] = {}
    for kind, labels in env.toc_fignumbers.get(docname, {}).items():
        for label, num in labels.items():
            # an exercise's number is "2.3" (book/_ext/exercise_numbers.py), a figure's its last part
            numbers[label] = (kind, ".".join(map(str, num)) if kind == "exercise" else int(num[-1]))
    titles = {label: title for label, (doc, _id, title) in env.domaindata["std"]["labels"].items() if title}
    glue_path = Path(app.outdir).parent / "jupyter_execute" / f"{docname}.glue.json"
    glue = {k: v.get("data", {}) for k, v in json.loads(glue_path.read_text()).items()} if glue_path.exists() else {}
    bibfiles = [Path(app.srcdir) / f for f in app.config.bibtex_bibfiles]
    refs, full = bibliography(bibfiles)
    base = (app.config.html_baseurl or "").rstrip("/")
    glossary = next((d for d in env.found_docs if Path(d).name == "glossary"), None)
    return BookContext(numbers=numbers, titles=titles, glue=glue, references=refs, full_references=full,
                       book_title=app.config.html_title or app.config.project, chapter=docname,
                       glossary_url=f"{base}/{glossary}.html" if base and glossary else "")


def notebook_docs(app) -> list[str]:
    """The documents of the book that are notebooks, in table-of-contents order."""
    return [d for d in app.env.found_docs if str(app.env.doc2path(d)).endswith(".ipynb")]


def reader_path(docname: str) -> str:
    """Where a chapter's reader notebook sits, relative to the repository (= book) root."""
    return f"_build/{READER_DIR}/{Path(docname).name}.ipynb"


def _install_cells(app) -> tuple[str, str]:
    """The install cells: the repository of _config.yml, the package's version, the pins of requirements.txt."""
    from importlib.metadata import version

    from psyalliance.teaching.install import install_cells, runtime_pins

    root = Path(app.srcdir)
    repo = app.config.html_theme_options.get("repository_url", "")
    return install_cells(repo, version("psyalliance"), runtime_pins(root / "pyproject.toml", root / "requirements.txt"))


def write_reader_notebooks(app, exception: Exception | None) -> None:
    """build-finished: write _build/reader/*.ipynb and serve them as the pages' .ipynb downloads."""
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    target = outdir.parent / READER_DIR
    target.mkdir(parents=True, exist_ok=True)
    base = (app.config.html_baseurl or "").rstrip("/")
    install = _install_cells(app)
    for docname in sorted(notebook_docs(app)):
        nb = nbformat.read(app.env.doc2path(docname), as_version=4)
        web = f"{base}/{docname}.html" if base else None
        executed_path = outdir.parent / "jupyter_execute" / f"{docname}.ipynb"
        executed = nbformat.read(executed_path, as_version=4) if executed_path.exists() else None
        reader = reader_notebook(nb, _context(app, docname), web, executed, install)
        text = nbformat.writes(reader) + "\n"
        (target / f"{Path(docname).name}.ipynb").write_text(text, encoding="utf-8")
        download = outdir / "_sources" / f"{docname}.ipynb"
        if download.parent.exists():
            download.write_text(text, encoding="utf-8")


def point_launch_buttons(app, pagename: str, templatename: str, context: dict, doctree) -> None:
    """html-page-context, after the theme's: Binder opens the reader notebook, not the MyST source."""
    if pagename not in app.env.found_docs or not str(app.env.doc2path(pagename)).endswith(".ipynb"):
        return
    source = f"lab/tree/{pagename}.ipynb"
    reader = f"lab/tree/{reader_path(pagename)}"

    def walk(buttons: list) -> None:
        for button in buttons:
            if isinstance(button, dict):
                if isinstance(button.get("url"), str) and source in button["url"]:
                    button["url"] = button["url"].replace(source, reader)
                walk(button.get("buttons", []))

    walk(context.get("header_buttons", []))


ASSIGNMENTS_DIR = "assignments"  # under the build folder (_build/assignments)
STUDENT_ZIP = "_downloads/student.zip"  # in the HTML output: the introduction links it


def write_assignments(app, exception: Exception | None) -> None:
    """build-finished, after the reader notebooks: the student and instructor notebooks and zips
    (psyalliance.teaching.assignments), and the student zip in the HTML output for download."""
    if exception is not None or app.builder.format != "html":
        return
    import shutil

    from psyalliance.teaching.course import write_assignments as write

    outdir = Path(app.outdir)
    written = write(outdir.parent / READER_DIR, outdir.parent / ASSIGNMENTS_DIR)  # as `make assignments` does
    target = outdir / STUDENT_ZIP
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(written["student.zip"], target)


def setup(app):
    app.connect("html-page-context", point_launch_buttons, priority=900)
    app.connect("build-finished", write_reader_notebooks)
    app.connect("build-finished", write_assignments, priority=600)  # after write_reader_notebooks (500)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


__all__ = ["BookContext", "ReaderError", "reader_notebook", "myst_leftovers", "bibliography", "glue_text",
           "reader_path", "write_reader_notebooks"]
