"""Student and instructor notebooks (psyalliance.assignments) and per-student datasets (psyalliance.studentdata).

Fast tests: the chapters' ``assignment`` metadata (every coding exercise with a computable answer has a
scaffold and a check, in its own solution), scaffolds that stop with NotImplementedError, scaffolds
filled in as a student would (the code written here) whose checks say Correct, the conversion of a
small reader notebook, and roster errors. Slow tests use the session's book build: no solution text in
any student notebook, the instructor notebooks' code equal to the chapters' code, the zips and the
download, one cheap chapter executed as a student and as an instructor, and the per-student datasets.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import sys
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from psyalliance import assignments, selfcheck, studentdata
from psyalliance.simulate import load_dataset

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))

import reader_notebooks as rn  # noqa: E402

CHAPTERS = sorted((ROOT / "notebooks").glob("*.ipynb"))
FENCE = re.compile(r"^\s*(`{3,}|:{3,})\{(solution-start|solution-end)\}\s*(\S*)")

# Coding exercises (a visible code cell in the solution) WITHOUT a self-check, and why.
NO_CHECK = {
    "ex-A1-1": "its solution prints two numbers but binds no variable a check could read",
    "ex-09-3": "a power search over five sample sizes of 2,000 simulated studies each: too slow to check on call",
    "ex-11-3": "a type I error experiment of 2,000 simulated studies at two sample sizes: too slow to check on call",
}


def _solutions(path: Path) -> dict[str, list[dict]]:
    """Solution label -> the code cells inside it, from the chapter source."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    out: dict[str, list[dict]] = {}
    label = None
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).split("\n"):
                m = FENCE.match(line)
                if m:
                    label = m.group(3) if m.group(2) == "solution-start" else None
                    if label:
                        out.setdefault(label, [])
        elif label is not None:
            out[label].append(cell)
    return out


def _assignments() -> dict[str, tuple[str, dict]]:
    found = {}
    for path in CHAPTERS:
        for label, cells in _solutions(path).items():
            for cell in cells:
                if "assignment" in cell["metadata"]:
                    assert label not in found, f"{label}: two cells with assignment metadata"
                    found[label] = (path.stem, cell["metadata"]["assignment"])
    return found


def test_every_computable_coding_exercise_has_a_scaffold_and_a_check():
    found = _assignments()
    assert sorted(found) == selfcheck.labels(), "assignment metadata and answers.py must name the same exercises"
    coding = set()
    for path in CHAPTERS:
        for label, cells in _solutions(path).items():
            if any("remove-input" not in c["metadata"].get("tags", []) and "remove-cell" not in
                   c["metadata"].get("tags", []) for c in cells):
                coding.add(label)
    assert coding - set(found) == set(NO_CHECK)
    for label, (chapter, spec) in found.items():
        assert "raise NotImplementedError" in spec["scaffold"], label
        assert re.fullmatch(rf'check\("{re.escape(label)}", [\w(), ]+\)\n', spec["check"]), (label, spec["check"])
        assert studentdata.exercise_chapters()[label] == chapter


def _run(code: str, namespace: dict) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<cell>", "exec"), namespace)
    return out.getvalue()


@pytest.mark.parametrize("label", sorted(_assignments()))
def test_an_untouched_scaffold_and_its_check_stop_with_not_implemented(label):
    spec = _assignments()[label][1]
    namespace: dict = {"check": selfcheck.check, "data": load_dataset()}  # every chapter defines data
    with pytest.raises(NotImplementedError):
        _run(spec["scaffold"], namespace)
    with pytest.raises(NotImplementedError):
        _run(spec["check"], namespace)


# What a student writes in place of each `name = ...` line (the scaffold's own lines otherwise stay).
FILLED = {
    "ex-05-2": {"early": 'early = paired_change(data, "alliance_prep", "alliance_post1")'},
    "ex-06-2": {"pair": 'pair = data.loc[data["alliance_post2"].notna() & data["hamd_4wk"].notna(), '
                          '["hamd_4wk", "alliance_post2"]]'},
    "ex-04-2": {"responded": 'responded = (data["hamd_baseline"] - data["hamd_4wk"]) >= '
                                  'facts.value("outcomes", "response_drop_fraction") * data["hamd_baseline"]'},
    "ex-04-3": {"piq": 'piq = subscale_scores(data, "insight_s2")'},
    "ex-01-2": {"t": "    t = abs(r) * (n - 2) ** 0.5 / (1 - r * r) ** 0.5",
                           "return": "    return 2 * stats.t.cdf(-t, n - 2)"},
    "ex-08-2": {"shifted": "shifted = load_dataset().assign(hamd_4wk=lambda d: d['hamd_4wk'] + 2)",
                   "other": "other = claims_ledger(shifted)"},
}


def _fill(scaffold: str, lines: dict[str, str]) -> str:
    out = []
    for line in scaffold.split("\n"):
        if line.startswith("raise NotImplementedError"):
            continue
        m = re.match(r"\s*(return|\w+)(?: = | )\.\.\.", line)
        out.append(lines[m.group(1)] if m else line)
    return "\n".join(out)


@pytest.mark.parametrize("label", sorted(FILLED))
def test_a_filled_in_scaffold_makes_its_check_say_correct(label):
    from scipy import stats

    from psyalliance.alliance import paired_change
    from psyalliance.facts import load_facts
    from psyalliance.instruments import subscale_scores
    from psyalliance.ledger import claims_ledger

    spec = _assignments()[label][1]
    namespace = {"check": selfcheck.check, "data": load_dataset(), "facts": load_facts(), "stats": stats,
                 "paired_change": paired_change, "subscale_scores": subscale_scores, "claims_ledger": claims_ledger,
                 "load_dataset": load_dataset}
    if label == "ex-08-2":
        namespace["ledger"] = claims_ledger()
    _run(_fill(spec["scaffold"], FILLED[label]), namespace)
    assert _run(spec["check"], namespace).startswith(f"Correct: {label}")


# ----------------------------------------------------------------------------- the conversion, on a small notebook

def _small_reader() -> nbformat.NotebookNode:
    scaffold = 'x = ...  # call the function\nraise NotImplementedError("fill in")\n'
    cells = [
        nbformat.v4.new_markdown_cell("# A chapter\n\n```{exercise-start}\n:label: ex-1\n```\nCompute x.\n"
                                      "```{exercise-end}\n```\n\n```{solution-start} ex-1\n:class: dropdown\n```\n"
                                      "The secret reasoning."),
        nbformat.v4.new_code_cell("x = secret_function(41) + 1",
                                  metadata={"assignment": {"scaffold": scaffold, "check": 'check("ex-1", x)\n'}}),
        nbformat.v4.new_markdown_cell("Hidden conclusion.\n```{solution-end}\n```\n\nAfter."),
        nbformat.v4.new_markdown_cell("```{exercise-start}\n:label: ex-2\n```\nThink.\n```{exercise-end}\n```\n\n"
                                      "```{solution-start} ex-2\n```\nThe thought.\n```{solution-end}\n```"),
        nbformat.v4.new_code_cell("y = 2"),
    ]
    for i, c in enumerate(cells):
        c.id = f"c{i}"
    nb = nbformat.v4.new_notebook(cells=cells)
    ctx = rn.BookContext(numbers={"ex-1": ("exercise", 1), "ex-2": ("exercise", 2)}, titles={}, glue={},
                         references={}, book_title="B", chapter="small")
    return rn.reader_notebook(nb, ctx)


def test_student_and_instructor_versions_of_a_small_notebook():
    reader = _small_reader()
    exs = assignments.exercises(reader)
    assert [(e.label, e.number, e.code) for e in exs] == [("ex-1", 1, ("x = secret_function(41) + 1",)),
                                                          ("ex-2", 2, ())]
    student = assignments.student_notebook(reader)
    text = "\n".join(c.source for c in student.cells)
    assert "secret" not in text and "Hidden conclusion" not in text and "The thought" not in text
    code = [c.source for c in student.cells if c.cell_type == "code"]
    assert code == [assignments.SETUP, 'x = ...  # call the function\nraise NotImplementedError("fill in")',
                    'check("ex-1", x)', "y = 2"]
    assert "Your answer (Exercise 2)" in text and "After." in text
    instructor = assignments.instructor_notebook(reader)
    code = [c.source for c in instructor.cells if c.cell_type == "code"]
    assert code == [assignments.SETUP, "x = secret_function(41) + 1", 'check("ex-1", x)', "y = 2"]
    assert any("The secret reasoning." in c.source for c in instructor.cells)
    for nb in (student, instructor):
        nbformat.validate(nb)


def test_bad_assignment_metadata_is_refused():
    reader = _small_reader()
    fold = next(c for c in reader.cells if "reader" in c.metadata)
    fold.metadata["reader"]["code"][0]["metadata"]["assignment"]["scaffold"] = "x = ...\n"
    with pytest.raises(assignments.AssignmentError, match="ex-1.*NotImplementedError"):
        assignments.student_notebook(reader, "small")


def test_zips_are_deterministic(tmp_path):
    reader_dir = tmp_path / "reader"
    reader_dir.mkdir()
    nbformat.write(_small_reader(), reader_dir / "01_small.ipynb")
    first = assignments.write_assignments(reader_dir, tmp_path / "a")
    second = assignments.write_assignments(reader_dir, tmp_path / "b")
    for kind in ("student.zip", "instructor.zip"):
        assert first[kind].read_bytes() == second[kind].read_bytes()
    with zipfile.ZipFile(first["student.zip"]) as z:
        assert z.namelist() == ["student/01_small.ipynb", "student/README.md"]
        assert "my_dataset.csv" in z.read("student/README.md").decode()
    with pytest.raises(FileNotFoundError, match="make book"):
        assignments.write_assignments(tmp_path / "nothing", tmp_path / "c")


# ----------------------------------------------------------------------------- rosters

@pytest.mark.parametrize("text, message", [
    ("", "lists no student ids"),
    ("# only a comment\n\n", "lists no student ids"),
    ("s1\ns2\ns1\n", "line 3: student id 's1' repeats line 1"),
    ("s1\n../evil\n", "line 2: student id '../evil' is not usable as a folder name"),
    ("s1\nwith space\n", "line 2: student id 'with space'"),
])
def test_bad_rosters_name_the_line(tmp_path, text, message):
    path = tmp_path / "roster.txt"
    path.write_text(text)
    with pytest.raises(studentdata.RosterError, match=re.escape(message)):
        studentdata.read_roster(path)


def test_roster_and_seeds():
    import hashlib

    path = ROOT / "tests" / "_roster_unused.txt"
    assert not path.exists()
    with pytest.raises(studentdata.RosterError, match="not found"):
        studentdata.read_roster(path)
    digest = hashlib.sha256(b"psyalliance-student:s001").hexdigest()
    assert studentdata.student_seed("s001") == int(digest[:16], 16)
    assert studentdata.student_seed("s001") != studentdata.student_seed("s002")


# ----------------------------------------------------------------------------- against the built book

def _built(built_book) -> Path:
    assert built_book.returncode == 0, built_book.log[-3000:]
    return built_book.html.parent / "assignments"


def _solution_lines(reader: nbformat.NotebookNode) -> set[str]:
    """Lines of the solution folds (text and code) that appear nowhere else in the reader notebook."""
    folds = [c for c in reader.cells if "reader" in c.metadata and "solution" in c.metadata["reader"]]
    other = {ln.strip() for c in reader.cells if c not in folds for ln in c.source.split("\n")}
    lines = set()
    for fold in folds:
        body = re.sub(r"</?(details|summary)>|Solution to Exercise \d+", "", fold.source)
        lines |= {ln.strip() for ln in body.split("\n") if len(ln.strip()) > 15 and not ln.strip().startswith("```")}
        lines |= {ln.strip() for code in fold.metadata["reader"]["code"] for ln in code["source"].split("\n")
                  if len(ln.strip()) > 15 and not ln.strip().startswith(("from ", "import ", "def "))}  # a
    # def line is the signature the exercise asks for, which its scaffold gives
    elsewhere = "\n".join(c.source for c in reader.cells if c not in folds)  # e.g. code quoted in the exercise
    scaffolds = "\n".join(spec["scaffold"] for _, spec in _assignments().values())  # lines a scaffold gives
    return {ln for ln in lines - other if not ln.startswith(("from ", "import ", "def "))
            and ln not in elsewhere and ln not in scaffolds}


@pytest.mark.slow
def test_built_student_notebooks_hold_no_solution_and_every_scaffold(built_book):
    out = _built(built_book)
    found = _assignments()
    seen = set()
    for src in sorted(built_book.reader.glob("*.ipynb")):
        reader = nbformat.read(src, as_version=4)
        student = nbformat.read(out / "student" / src.name, as_version=4)
        text = "\n".join(c.source for c in student.cells)
        leaked = [ln for ln in _solution_lines(reader) if ln in text]
        assert not leaked, f"{src.name}: solution text in the student notebook: {leaked[:3]}"
        assert not any("reader" in c.metadata for c in student.cells)
        ids = [c.get("id") for c in student.cells]
        for label, (chapter, spec) in found.items():
            if chapter == src.stem:
                seen.add(label)
                k = ids.index(f"assign-scaffold-{label}")
                assert student.cells[k].source == spec["scaffold"].rstrip("\n")
                assert student.cells[k + 1].source == spec["check"].rstrip("\n")
        # the instructor notebook: the chapter's code cells in order, with the setup and the checks added
        instructor = nbformat.read(out / "instructor" / src.name, as_version=4)
        origin = next(d / src.name for d in (ROOT / "notebooks", ROOT / "book") if (d / src.name).exists())
        chapter = nbformat.read(origin, as_version=4)  # a chapter, or the instructor guide (book/)
        added = [c for c in instructor.cells if c.cell_type == "code" and str(c.get("id", "")).startswith(
            ("assign-setup", "assign-check"))]
        assert [c.source for c in instructor.cells if c.cell_type == "code" and c not in added] == [
            c.source for c in chapter.cells if c.cell_type == "code"]
    assert seen == set(found)


@pytest.mark.slow
def test_built_zips_and_the_download(built_book):
    out = _built(built_book)
    names = sorted(p.name for p in (out / "student").glob("*.ipynb"))
    assert names == sorted(p.name for p in built_book.reader.glob("*.ipynb")) and names
    for kind in ("student", "instructor"):
        with zipfile.ZipFile(out / f"{kind}.zip") as z:
            assert sorted(z.namelist()) == sorted([f"{kind}/README.md"] + [f"{kind}/{n}" for n in names])
    download = built_book.html / "_downloads" / "student.zip"
    assert download.read_bytes() == (out / "student.zip").read_bytes()
    intro = (built_book.html / "book" / "intro.html").read_text(encoding="utf-8")
    assert 'href="../_downloads/student.zip"' in intro


def _execute(path: Path, cwd: Path) -> nbformat.NotebookNode:
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(cwd)}}).execute()
    return nb


def _errors(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    return [(c.get("id", ""), o["ename"]) for c in nb.cells if c.cell_type == "code"
            for o in c.get("outputs", []) if o["output_type"] == "error"]


CHEAP = "05_alliance_change.ipynb"  # a chapter that runs in seconds


@pytest.mark.slow
def test_a_student_notebook_stops_only_at_its_scaffolds(built_book, tmp_path):
    nb = _execute(_built(built_book) / "student" / CHEAP, tmp_path)
    errors = _errors(nb)
    assert errors, "the untouched scaffolds should stop with NotImplementedError"
    assert all(name == "NotImplementedError" and cid.startswith(("assign-scaffold-", "assign-check-"))
               for cid, name in errors), errors


@pytest.mark.slow
def test_an_instructor_notebook_runs_clean_on_a_students_dataset(built_book, tmp_path):
    data = load_dataset()
    data["alliance_post1"] = (data["alliance_post1"] + np.where(data.index % 2, 0.1, -0.1)).clip(1, 5)
    data.to_csv(tmp_path / "my_dataset.csv", index=False)
    nb = _execute(_built(built_book) / "instructor" / CHEAP, tmp_path)
    assert _errors(nb) == []
    printed = ["".join(o.get("text", "") for o in c.outputs) for c in nb.cells if c.cell_type == "code"]
    assert "Using your simulated dataset" in printed[0]
    checks = [p for c, p in zip([c for c in nb.cells if c.cell_type == "code"], printed)
              if str(c.get("id")).startswith("assign-check-")]
    assert checks and all(p.startswith("Correct:") for p in checks), checks


@pytest.mark.slow
def test_per_student_datasets_and_the_answer_key(tmp_path, monkeypatch):
    roster = tmp_path / "roster.txt"
    roster.write_text("anna\n\nben\n")
    cheap = ["ex-05-2", "ex-06-2", "ex-01-2"]
    monkeypatch.setattr(selfcheck, "labels", lambda: cheap)
    key_path = studentdata.write_student_data(roster, tmp_path / "out")
    anna, ben = (tmp_path / "out" / sid / "my_dataset.csv" for sid in ("anna", "ben"))
    assert anna.read_bytes() != ben.read_bytes()
    again = studentdata.student_dataset("anna").to_csv(index=False, lineterminator="\n").encode()
    assert again == anna.read_bytes()
    key = pd.read_csv(key_path)
    assert list(key.columns) == ["id", "exercise", "chapter", "expected"]
    assert sorted(zip(key["id"], key["exercise"])) == sorted((s, lab) for s in ("anna", "ben") for lab in cheap)
    row = key[(key["id"] == "ben") & (key["exercise"] == "ex-05-2")].iloc[0]
    assert row["chapter"] == "05_alliance_change"
    pair = pd.read_csv(ben)[["alliance_prep", "alliance_post1"]].dropna()
    diff = pair["alliance_post1"] - pair["alliance_prep"]
    assert json.loads(row["expected"])["n"] == len(pair)
    assert json.loads(row["expected"])["d_z"] == pytest.approx(diff.mean() / diff.std(ddof=1), abs=1e-5)
    backsolve = key[key["exercise"] == "ex-01-2"]["expected"]
    assert backsolve.nunique() == 1  # does not depend on the data
