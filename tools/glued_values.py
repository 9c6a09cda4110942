"""The glued values of a built book, as JSON: ``{chapter: {name: {mime: value}}}``.

Every output that carries myst-nb's glue metadata (``metadata.scrapbook.name``) in the executed notebooks a
build leaves under ``_build/jupyter_execute/`` is read: those still in the notebook (``glue(..., display=True)``)
and those myst-nb moved into the ``<chapter>.glue.json`` beside it (``display=False``). For each glue name the
``text/plain``, ``text/html`` and ``text/latex`` values are kept as text; a figure (``image/png``) is recorded as
the marker ``"<image/png>"``, not its bytes (a PNG's bytes change with matplotlib's version, its numbers do not).
The chapter is the notebook's path under ``jupyter_execute`` without ``.ipynb`` (``notebooks/06_correlations``).

    python -m tools.glued_values _build                 # print the JSON
    python -m tools.glued_values _build --out FILE      # write it (make glued-values writes the test fixture)

tests/test_glued_values.py compares a fresh build with tests/fixtures/glued_values.json: a refactoring of the
chapters leaves every printed number as it was. Remake the fixture only when a number is MEANT to change.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

TEXT_MIMES = ("text/plain", "text/html", "text/latex")
IMAGE_MIME = "image/png"
IMAGE_MARKER = "<image/png>"
PREFIX = "application/papermill.record/"  # myst-nb's prefix of a display=False glue's mime types


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def bundle(output: dict[str, Any]) -> dict[str, str]:
    """The comparable part of one glue output: its text values, and a marker for a PNG."""
    data = {k.removeprefix(PREFIX): v for k, v in output.get("data", {}).items()}
    kept = {mime: _text(data[mime]) for mime in TEXT_MIMES if mime in data}
    if IMAGE_MIME in data:
        kept[IMAGE_MIME] = IMAGE_MARKER
    return kept


def _glue_outputs(notebook: Path) -> list[dict[str, Any]]:
    """The glue outputs of an executed notebook and of the .glue.json beside it, in that order."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    found = [out for cell in nb.get("cells", []) for out in cell.get("outputs", [])
             if "scrapbook" in out.get("metadata", {})]
    side = notebook.with_suffix(".glue.json")
    if side.exists():
        found += list(json.loads(side.read_text(encoding="utf-8")).values())
    return found


def glued_values(build: Path) -> dict[str, dict[str, dict[str, str]]]:
    """``{chapter: {name: {mime: text}}}`` for every executed notebook under ``build/jupyter_execute``.

    ``build`` is the build's output folder (``_build``, the one holding ``html/``). Chapters without glue are
    left out. Raises FileNotFoundError when there is no ``jupyter_execute`` folder (the book was not built).
    """
    root = Path(build) / "jupyter_execute"
    if not root.is_dir():
        raise FileNotFoundError(f"no executed notebooks at {root}: build the book first (make book)")
    result: dict[str, dict[str, dict[str, str]]] = {}
    for notebook in sorted(root.rglob("*.ipynb")):
        values = {out["metadata"]["scrapbook"]["name"]: bundle(out) for out in _glue_outputs(notebook)}
        if values:
            result[notebook.relative_to(root).with_suffix("").as_posix()] = dict(sorted(values.items()))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build", type=Path, help="the build folder (_build), holding jupyter_execute/")
    parser.add_argument("--out", type=Path, help="write the JSON here instead of printing it")
    args = parser.parse_args(argv)
    text = json.dumps(glued_values(args.build), indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        n = sum(len(v) for v in json.loads(text).values())
        print(f"{args.out}: {n} glued values of {len(json.loads(text))} chapters")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
