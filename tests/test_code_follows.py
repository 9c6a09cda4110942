"""The book follows the code: after a change under src/psyalliance/ or data/, the next build shows it.

book/_ext/code_follows.py empties myst-nb's execution cache and has Sphinx re-read every page when the
content hash of those folders changed. The fast tests pin the hash and the cache decision; the slow one
(`make test-cache`, which .ci/run runs; about 4 minutes on 2 cores, so not part of `make test`) builds a
copy of the repository four times, as a contributor would, and looks for the changed strings in the HTML
page and in the reader notebook.
"""

from __future__ import annotations

import html
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("code_follows", ROOT / "book" / "_ext" / "code_follows.py")
code_follows = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(code_follows)


def _tree(root: Path) -> Path:
    (root / "src" / "psyalliance" / "analysis").mkdir(parents=True)
    (root / "data" / "simulated").mkdir(parents=True)
    (root / "src" / "psyalliance" / "analysis" / "alliance.py").write_text("LABEL = 'n (complete pairs)'\n")
    (root / "data" / "facts.yaml").write_text("p: 0.03\n")
    (root / "data" / "simulated" / "x.csv").write_text("a,b\n1,2\n")
    return root


def test_the_hash_changes_with_any_byte_name_or_file_of_the_package_and_the_data(tmp_path):
    root = _tree(tmp_path)
    before = code_follows.code_hash(root)
    assert re.fullmatch(r"[0-9a-f]{64}", before) and code_follows.code_hash(root) == before
    edits = [
        lambda: (root / "src/psyalliance/analysis/alliance.py").write_text("LABEL = 'n (complete pairs!)'\n"),
        lambda: (root / "data/facts.yaml").write_text("p: 0.04\n"),
        lambda: (root / "data/simulated/x.csv").rename(root / "data/simulated/y.csv"),
        lambda: (root / "src/psyalliance/new.py").write_text(""),
    ]
    seen = {before}
    for edit in edits:
        edit()
        now = code_follows.code_hash(root)
        assert now not in seen, edit
        seen.add(now)
    # a file's bytes moved to its name (or the reverse) is still another tree
    a, b = _tree(tmp_path / "a"), _tree(tmp_path / "b")
    (a / "data/ab").write_text("c")
    (b / "data/a").write_text("bc")
    assert code_follows.code_hash(a) != code_follows.code_hash(b)


def test_the_hash_ignores_caches_and_hidden_files_and_what_is_not_watched(tmp_path):
    root = _tree(tmp_path)
    before = code_follows.code_hash(root)
    (root / "src/psyalliance/__pycache__").mkdir()
    (root / "src/psyalliance/__pycache__/alliance.cpython-311.pyc").write_bytes(b"\0\1")
    (root / "data/.ipynb_checkpoints").mkdir()
    (root / "data/.ipynb_checkpoints/facts-checkpoint.yaml").write_text("p: 9\n")
    (root / "notebooks").mkdir()
    (root / "notebooks/05.ipynb").write_text("{}")  # a chapter's own change is Sphinx's and the cache's business
    assert code_follows.code_hash(root) == before


def test_the_watched_folders_are_the_package_and_the_data():
    assert set(code_follows.WATCHED) == {"src/psyalliance", "data"}
    assert all((ROOT / folder).is_dir() for folder in code_follows.WATCHED)


def test_a_cache_made_with_other_code_is_emptied_and_one_made_with_this_code_kept(tmp_path):
    cache = tmp_path / ".jupyter_cache"
    assert code_follows.clear_stale_cache(cache, "aaa") is False  # no cache yet: nothing to empty
    (cache / "global.db").write_text("records")
    assert code_follows.clear_stale_cache(cache, "aaa") is False and (cache / "global.db").exists()
    assert code_follows.clear_stale_cache(cache, "bbb") is True and not (cache / "global.db").exists()
    assert (cache / code_follows.STAMP).read_text().strip() == "bbb"
    (cache / code_follows.STAMP).unlink()  # a cache from before this extension: its code is unknown
    (cache / "global.db").write_text("records")
    assert code_follows.clear_stale_cache(cache, "bbb") is True and not (cache / "global.db").exists()


def test_the_book_loads_the_extension():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["execute"]["execute_notebooks"] == "cache"
    assert config["sphinx"]["local_extensions"]["code_follows"] == "book/_ext"
    assert "code_follows" in config["sphinx"]["config"]["extensions"]


# --------------------------------------------------------------------------- a contributor's change, built


def _copy_repository(dest: Path) -> Path:
    """The repository's files as they are in the work tree (tracked and new, not ignored), in ``dest``."""
    names = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split("\0")
    for name in filter(None, names):
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


def _build(book: Path) -> str:
    """`jupyter-book build` of the copy (not strict: its table of contents is cut to one chapter, so links
    to the others warn), importing the copy's package. Returns the log."""
    jb = Path(sys.executable).with_name("jupyter-book")
    env = {**os.environ, "PYTHONPATH": str(book / "src")}
    result = subprocess.run([str(jb), "build", str(book)], cwd=book, env=env, capture_output=True, text=True,
                            timeout=1200)
    log = result.stdout + result.stderr
    assert result.returncode == 0 and "build succeeded" in log, log[-4000:]
    return log


def _page_text(book: Path) -> str:
    page = (book / "_build/html/notebooks/05_alliance_change.html").read_text(encoding="utf-8")
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", page)).split())


def _reader_text(book: Path) -> str:
    nb = json.loads((book / "_build/reader/05_alliance_change.ipynb").read_text(encoding="utf-8"))
    return " ".join(" ".join("".join(cell["source"]) for cell in nb["cells"]).split())


def _executed(log: str) -> bool:
    return "05_alliance_change.ipynb: Executing notebook" in log


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not once in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def _cut_discussion(path: Path, chapter: str) -> None:
    """The cut book's discussion questions all go with its one chapter (the build checks they name a
    chapter of the table of contents)."""
    questions = yaml.safe_load(path.read_text(encoding="utf-8"))
    for q in questions["questions"]:
        q["chapter"] = chapter
    path.write_text(yaml.safe_dump(questions, sort_keys=False), encoding="utf-8")


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("PSYALLIANCE_CACHE_TEST"),
                    reason="builds a copy of the book 4 times (about 4 min): `make test-cache` runs it, as .ci/run does")
def test_a_change_to_the_package_or_the_data_shows_in_the_next_build(tmp_path):
    book = _copy_repository(tmp_path / "book")
    (book / "_toc.yml").write_text("format: jb-book\nroot: book/intro\nchapters:\n  - file: notebooks/05_alliance_change\n")
    _cut_discussion(book / "book/discussion.yaml", "05_alliance_change.ipynb")
    assert _executed(_build(book))
    label, p_sentence = "n (complete pairs)", "change in alliance: p = 0.03 and"
    assert label in _page_text(book) and p_sentence in _reader_text(book) and p_sentence in _page_text(book)

    # 1. the package: a label of the change table (a code cell's output: the web page) and a reading rate
    #    (the modelled minutes of exercises, glued into the prose: the web page and the reader notebook)
    _replace(book / "src/psyalliance/analysis/alliance.py", f'("{label}",', '("n (complete pairs; edited in a copy)",')
    _replace(book / "src/psyalliance/teaching/reading.py", "per_coding_exercise: float = 20.0", "per_coding_exercise: float = 520.0")
    minutes = subprocess.run(
        [sys.executable, "-c", "from psyalliance.teaching.reading import reading_minutes; "
         f"print(reading_minutes({str(book / 'notebooks/05_alliance_change.ipynb')!r}).exercises)"],
        env={**os.environ, "PYTHONPATH": str(book / "src")}, capture_output=True, text=True, check=True).stdout.strip()
    assert int(minutes) >= 500, minutes  # the chapter has a coding exercise, now 500 minutes longer
    assert _executed(_build(book))
    page, reader = _page_text(book), _reader_text(book)
    assert "n (complete pairs; edited in a copy)" in page and f"{label} " not in page
    for text in (page, reader):
        assert f"and {minutes} minutes of exercises" in text

    # 2. nothing changed: nothing executes again (the cache still serves unchanged code)
    assert not _executed(_build(book))

    # 3. the data: the published p of the alliance change (data/levin2024_facts.yaml), glued into the prose
    _replace(book / "data/levin2024_facts.yaml", "{name: p, value: 0.03,", "{name: p, value: 0.07,")
    assert _executed(_build(book))
    for text in (_page_text(book), _reader_text(book)):
        assert "change in alliance: p = 0.07 and" in text and p_sentence not in text
