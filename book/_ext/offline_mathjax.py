"""Serve MathJax from the built book itself, so math renders with no network.

The MathJax 3 files come from the pinned PyPI package django-static-mathjax
(it has no dependencies; only its static files are used). At the end of an
HTML build the combined component ``tex-mml-chtml.js`` and its web fonts are
copied to ``_static/mathjax/``; ``mathjax_path`` in ``_config.yml`` points there.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sphinx.application import Sphinx

FILES = ("tex-mml-chtml.js", "output/chtml/fonts/woff-v2")


def _es5_dir() -> Path:
    import mathjax  # the django-static-mathjax package

    es5 = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    if not (es5 / FILES[0]).exists():
        raise FileNotFoundError(f"MathJax not found at {es5}; is django-static-mathjax installed (requirements.txt)?")
    return es5


def _copy(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    es5, target = _es5_dir(), Path(app.outdir) / "_static" / "mathjax"
    for rel in FILES:
        src, dst = es5 / rel, target / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dst)


def setup(app: Sphinx) -> dict:
    _es5_dir()  # fail early, with a clear message, if the package is missing
    app.connect("build-finished", _copy)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
