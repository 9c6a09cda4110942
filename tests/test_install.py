"""The install cells of a notebook outside the repository (psyalliance.teaching.install) and the run-time dependencies."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
import types
from importlib.metadata import packages_distributions, version
from pathlib import Path

import nbformat
import pytest
import yaml

from psyalliance.teaching.install import git_requirement, install_cells, pip_command, runtime_pins

ROOT = Path(__file__).resolve().parents[1]
REPO = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
PINS = runtime_pins(ROOT / "pyproject.toml", ROOT / "requirements.txt")


def _imported_top_modules() -> set[str]:
    found = set()
    for path in (ROOT / "src" / "psyalliance").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"psyalliance"}


def test_every_third_party_import_of_the_package_is_a_declared_dependency():
    """A wheel installed elsewhere gets what the package imports: each module's distribution is a dependency
    (nbgrader, for the instructor's psyalliance.teaching.grading only, an optional one)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = [*project["dependencies"], *(d for ds in project.get("optional-dependencies", {}).values() for d in ds)]
    declared = {d.lower().replace("_", "-") for d in names}
    dists = packages_distributions()
    lacking = {m: dists.get(m) for m in _imported_top_modules()
               if not {d.lower().replace("_", "-") for d in dists.get(m, [m])} & declared}
    assert not lacking, f"imported by src/psyalliance but not in pyproject's dependencies: {lacking}"


def test_each_dependency_is_pinned_as_requirements_txt_pins_it():
    req = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, _, ver = line.partition("==")
            req[name.lower().replace("_", "-")] = ver
    assert PINS and all(req[p.split("==")[0].lower().replace("_", "-")] == p.split("==")[1] for p in PINS)
    assert [p.split("==")[1] for p in PINS if p.startswith("numpy==")] == [version("numpy")]


def test_an_unpinned_dependency_and_bad_inputs_are_refused(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\ndependencies = ["numpy", "nonesuch"]\n')
    (tmp_path / "requirements.txt").write_text("numpy==2.0.0\n")
    with pytest.raises(ValueError, match=r"without an exact pin .*\['nonesuch'\]"):
        runtime_pins(tmp_path / "pyproject.toml", tmp_path / "requirements.txt")
    with pytest.raises(ValueError, match="repository URL"):
        git_requirement("github.com/a/b", "0.1.0")
    with pytest.raises(ValueError, match="version must look like"):
        git_requirement(REPO, "main")


def _run_cell(code: str, colab: bool, monkeypatch, installed: bool) -> list[list[str]]:
    calls: list[list[str]] = []
    monkeypatch.setattr(subprocess, "run", lambda args, check: calls.append(list(args)))
    if colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    if not installed:
        import importlib.util

        real = importlib.util.find_spec
        monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "psyalliance" else real(name, *a))
    exec(compile(code, "install-cell", "exec"), {})
    return calls


def test_the_cell_installs_the_books_version_on_colab(monkeypatch):
    markdown, code = install_cells(REPO, version("psyalliance"), PINS)
    calls = _run_cell(code, colab=True, monkeypatch=monkeypatch, installed=False)
    want = f"psyalliance @ git+{REPO}@v{version('psyalliance')}"
    assert calls == [[sys.executable, "-m", "pip", "install", "--quiet", want, *PINS]]
    assert f'"{want}"' in markdown and all(p in markdown for p in PINS)


def test_the_cell_stops_with_the_command_elsewhere_and_does_nothing_where_installed(monkeypatch, capsys):
    _, code = install_cells(REPO, version("psyalliance"), PINS)
    assert _run_cell(code, colab=True, monkeypatch=monkeypatch, installed=True) == []
    monkeypatch.delitem(sys.modules, "google.colab")
    assert capsys.readouterr().out == ""
    with pytest.raises(ModuleNotFoundError) as err:
        _run_cell(code, colab=False, monkeypatch=monkeypatch, installed=False)
    shown = str(err.value)
    assert "python -m pip install " in shown and all(f'"{a}"' in shown for a in pip_command(REPO, version("psyalliance"), PINS))


def test_the_cell_is_plain_python_that_runs_without_the_package(tmp_path):
    """No site-packages (python -S): the cell must not import anything of ours and must say what to run."""
    _, code = install_cells(REPO, "0.1.0", PINS)
    (tmp_path / "cell.py").write_text(code)
    out = subprocess.run([sys.executable, "-S", str(tmp_path / "cell.py")], cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 1 and "ModuleNotFoundError: psyalliance is not installed" in out.stderr
    assert f"git+{REPO}@v0.1.0" in out.stderr


def test_reader_student_and_instructor_notebooks_start_with_the_install_cells():
    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    import reader_notebooks as rn

    from psyalliance.teaching import assignments

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Title\n\nText.", id="a"),
                                         nbformat.v4.new_code_cell("x = 1", id="b")])
    ctx = rn.BookContext(numbers={}, titles={}, glue={}, references={}, book_title="B", chapter="c")
    cells = install_cells(REPO, "0.1.0", PINS)
    reader = rn.reader_notebook(nb, ctx, install=cells)
    assert [c.id for c in reader.cells[:3]] == ["reader-header", "reader-install-text", "reader-install"]
    assert reader.cells[2].source == cells[1] and reader.cells[1].source == cells[0]
    for make, kind in ((assignments.student_notebook, "student"), (assignments.instructor_notebook, "instructor")):
        out = make(reader)
        ids = [c.id for c in out.cells]
        assert ids[:4] == [f"assign-header-{kind}", "reader-install-text", "reader-install", f"assign-setup-{kind}"]
        assert ids.count("reader-install") == 1
        assert [c.source for c in out.cells if c.cell_type == "code"][-1] == "x = 1"
