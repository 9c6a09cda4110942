"""The book follows the code: a change under ``src/psyalliance/`` or ``data/`` re-executes the chapters.

myst-nb's execution cache (jupyter-cache, ``execute_notebooks: cache`` in ``_config.yml``) matches a
notebook by its code cells only, and Sphinx re-reads a page only when the page's own file changed. So
after an edit of the package or of the data, the next ``make book`` would show what the old code
printed, without a word. Every chapter imports the package and reads the data, so every chapter
depends on both.

At each build this extension hashes the content of those folders (:func:`code_hash`) and then:

* keeps the hash in the execution cache's folder (``_build/.jupyter_cache/psyalliance-code.sha256``);
  when the cache was made with another hash, it empties the cache first (a cached output can only come
  from the code it was made with);
* keeps the hash in Sphinx's environment; when the pages were read with another hash, every page is read
  again (and so every notebook executes again). The environment is saved only after a successful read,
  so a build that fails half-way re-reads everything next time.

An unchanged package and data leave both alone: the cache works as before.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

WATCHED = ("src/psyalliance", "data")  # relative to the book's root (the repository)
STAMP = "psyalliance-code.sha256"  # in the execution cache's folder
ENV_KEY = "psyalliance_code_hash"


def _files(folder: Path) -> list[Path]:
    """Every file under ``folder`` that the code or the data consist of (not caches, not hidden files)."""
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix != ".pyc"
                  and not any(part == "__pycache__" or part.startswith(".") for part in p.relative_to(folder).parts))


def code_hash(root: Path, watched: tuple[str, ...] = WATCHED) -> str:
    """SHA-256 (hex) of the names and bytes of every file under ``root / w`` for ``w`` in ``watched``.

    A changed byte, an added, removed or renamed file changes it; ``__pycache__``, ``*.pyc`` and hidden
    files (editor and notebook checkpoints) do not. A folder that does not exist counts as empty.
    """
    digest = hashlib.sha256()
    for name in watched:
        folder = Path(root) / name
        for path in _files(folder) if folder.is_dir() else []:
            data = path.read_bytes()
            digest.update(f"{path.relative_to(root).as_posix()}\0{len(data)}\0".encode())
            digest.update(data)
    return digest.hexdigest()


def clear_stale_cache(cache: Path, current: str) -> bool:
    """Empty the execution cache at ``cache`` unless it was made with the code hash ``current``; then
    record ``current`` there. True when a cache was emptied."""
    stamp = cache / STAMP
    stale = cache.exists() and (not stamp.exists() or stamp.read_text().strip() != current)
    if stale:
        shutil.rmtree(cache)
    cache.mkdir(parents=True, exist_ok=True)
    stamp.write_text(current + "\n")
    return stale


def _builder_inited(app) -> None:
    """After myst-nb set the cache path: compute the hash and drop a cache made with other code."""
    current = app.psyalliance_code_hash = code_hash(Path(app.srcdir))
    config = app.env.mystnb_config
    if config.execution_mode == "cache" and clear_stale_cache(Path(config.execution_cache_path), current):
        print(f"code_follows: src/psyalliance or data changed; emptied the execution cache {config.execution_cache_path}")


def _outdated(app, env, added, changed, removed) -> list[str]:
    """env-get-outdated: every page, when the pages were read with other code or data."""
    current = app.psyalliance_code_hash
    if getattr(env, ENV_KEY, None) == current:
        return []
    setattr(env, ENV_KEY, current)  # saved with the environment, i.e. only once the pages were read
    return sorted(env.found_docs - set(added) - set(changed))


def setup(app):
    app.connect("builder-inited", _builder_inited, priority=900)  # after myst-nb's (500)
    app.connect("env-get-outdated", _outdated)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
