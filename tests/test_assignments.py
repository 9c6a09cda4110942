"""Student and instructor notebooks (psyalliance.teaching.assignments) and per-student datasets (psyalliance.teaching.studentdata).

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
import pandas as pd
import pytest

from psyalliance.simulation.simulate import load_dataset
from psyalliance.teaching import assignments, course, selfcheck, studentdata

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
    """Question -> (chapter, assignment metadata); a question is an exercise's label, or ``label--part`` (as the cell ids) for a
    question of its own (a yes/no or choice checked with part=)."""
    found = {}
    for path in CHAPTERS:
        for label, cells in _solutions(path).items():
            for cell in cells:
                if "assignment" in cell["metadata"]:
                    spec = cell["metadata"]["assignment"]
                    part = assignments.PART.search(spec["check"].strip())
                    key = label if part is None else f"{label}--{part.group(1)}"
                    assert key not in found, f"{key}: two cells with assignment metadata"
                    found[key] = (path.stem, spec)
    return found


def test_every_computable_coding_exercise_has_a_scaffold_and_a_check():
    found = _assignments()
    questions = [*selfcheck.labels(), *(f"{lab}--{p}" for lab in selfcheck.labels() for p in selfcheck.parts(lab))]
    assert sorted(found) == sorted(questions), "assignment metadata and answers.py must name the same questions"
    coding = set()
    for path in CHAPTERS:
        for label, cells in _solutions(path).items():
            if any("remove-input" not in c["metadata"].get("tags", []) and "remove-cell" not in
                   c["metadata"].get("tags", []) for c in cells):
                coding.add(label)
    assert coding - set(found) == set(NO_CHECK)
    for key, (chapter, spec) in found.items():
        label, _, part = key.partition("--")
        assert "..." in spec["scaffold"] and "raise " not in spec["scaffold"], key  # runs as it is
        tail = f', part="{part}"' if part else ""
        assert re.fullmatch(rf'{assignments.CHECK_NAME}\("{re.escape(label)}", [\w(), ]+{tail}\)\n', spec["check"]), (
            key, spec["check"])
        assert studentdata.exercise_chapters()[label] == chapter
        assert bool(spec.get("choice")) == selfcheck._lookup(label, part or None).choices, key


def _chapter_key(path: Path) -> str:
    return path.stem.split("_")[0]


def test_labels_follow_their_chapter_and_number():
    """The k-th exercise of notebooks/NN_*.ipynb is labelled ex-NN-k, which the web book numbers N.k."""
    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    import exercise_numbers

    for path in CHAPTERS:
        text = "".join("".join(c["source"]) for c in json.loads(path.read_text(encoding="utf-8"))["cells"])
        found = re.findall(r":label: (ex-[\w-]+)", text)
        key = _chapter_key(path)
        assert found == [f"ex-{key}-{k}" for k in range(1, len(found) + 1)], (path.name, found)
        for label in found:
            assert selfcheck.exercise_number(label) == f"{exercise_numbers.chapter_key('notebooks/' + path.stem)}." \
                                                        f"{label.rsplit('-', 1)[1]}"
    numbers = {"notebooks/02_path_primer": {"exercise": {"ex-02-1": (3,), "ex-02-3": (5,), "ex-02-2": (4,)}},
               "notebooks/A1_simulating": {"exercise": {"ex-A1-1": (30,)}, "figure": {"fig-x": (7,)}},
               "book/intro": {"figure": {"fig-y": (1,)}}}
    exercise_numbers.renumber(numbers)
    assert numbers["notebooks/02_path_primer"]["exercise"] == {"ex-02-1": ("2", 1), "ex-02-2": ("2", 2),
                                                               "ex-02-3": ("2", 3)}
    assert numbers["notebooks/A1_simulating"] == {"exercise": {"ex-A1-1": ("A1", 1)}, "figure": {"fig-x": (7,)}}


# ----------------------------------------------------------------------------- names the assignment setup binds

def _bound_names(code: str) -> set[str]:
    """Every name a cell's code binds at its top level (assignments, imports, defs, loops, with, walrus...)."""
    import ast

    tree = ast.parse(code)
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            names |= set(node.names)
    return names


def _code_cells(path: Path) -> list[str]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    out = []
    for c in cells:
        if c["cell_type"] == "code":
            out.append("\n".join(ln for ln in "".join(c["source"]).split("\n") if not ln.lstrip().startswith(("%", "!"))))
            spec = c["metadata"].get("assignment")
            if spec:
                out += [spec["scaffold"], spec["check"]]
    return out


SOURCES = [*CHAPTERS, ROOT / "book" / "instructor_guide.ipynb"]


def test_no_chapter_rebinds_a_name_the_assignment_setup_binds():
    """The setup imports the check as CHECK_NAME and datasets_banner: no chapter cell, scaffold or solution may
    bind them (chapter 07 once rebound `check`, and 5 checks crashed). my_data is bound once per chapter, by
    `my_data = my_dataset()` in its setup cell, and never again."""
    protected = _bound_names(assignments.SETUP)
    assert protected == {assignments.CHECK_NAME, "datasets_banner"}
    for path in SOURCES:
        cells = _code_cells(path)
        for code in cells:
            clash = _bound_names(code) & protected
            assert not clash, f"{path.name}: a cell binds {sorted(clash)}, which the assignment setup imports:\n{code}"
        binding = [code for code in cells if "my_data" in _bound_names(code)]
        assert len(binding) <= 1, f"{path.name}: my_data is bound in {len(binding)} cells"
        if binding:
            assert re.search(r"^my_data = my_dataset\(\)", binding[0], re.M), path.name
        uses = any("my_data" in code for code in cells)
        assert uses == bool(binding), f"{path.name}: uses my_data without binding it (or the reverse)"


def test_the_rebinding_test_catches_every_way_of_binding():
    for code in ("check_answer = 1", "for check_answer in []: pass", "def check_answer(): pass",
                 "import x as check_answer", "from m import check_answer", "with f() as check_answer: pass",
                 "(check_answer := 3)", "a, (b, check_answer) = 1, (2, 3)", "class check_answer: pass"):
        assert "check_answer" in _bound_names(code), code
    assert "check_answer" not in _bound_names("check_answer('ex-01-2', x)")


def _run(code: str, namespace: dict) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<cell>", "exec"), namespace)
    return out.getvalue()


@pytest.mark.parametrize("key", sorted(_assignments()))
def test_an_untouched_scaffold_runs_and_its_check_says_still_open_in_one_line(key):
    spec, label = _assignments()[key][1], key.partition("--")[0]
    namespace: dict = {assignments.CHECK_NAME: selfcheck.check, "data": load_dataset(), "my_data": load_dataset()}
    assert _run(spec["scaffold"], namespace) == ""  # no exception, nothing printed
    assert _run(spec["check"], namespace) == (f"Exercise {selfcheck.exercise_number(label)} is still open: replace the "
                                              "... in the cell above with your code, run it, then run this check "
                                              "again.\n")


# What a student writes in place of each `name = ...` line (the scaffold's own lines otherwise stay).
FILLED = {
    "ex-05-2": {"early": 'early = paired_change(my_data, "alliance_prep", "alliance_post1")'},
    "ex-06-2": {"pair": 'pair = my_data.loc[my_data["alliance_post2"].notna() & my_data["hamd_4wk"].notna(), '
                          '["hamd_4wk", "alliance_post2"]]'},
    "ex-04-2": {"responded": 'responded = (my_data["hamd_baseline"] - my_data["hamd_4wk"]) >= '
                                  'facts.value("outcomes", "response_drop_fraction") * my_data["hamd_baseline"]'},
    "ex-04-3": {"piq": 'piq = subscale_scores(my_data, "insight_s2")'},
    # the scaffold's comments followed literally: the Model goes to lavaan_fit_statistics, not .fit()'s result
    "ex-02-3": {"...": "mystical_peak ~ alliance_prep\ninsight_peak ~ alliance_prep\nhamd_4wk ~ mystical_peak + "
                       "insight_peak\nmystical_peak ~~ insight_peak",
                "sem_full": "sem_full = semopy.Model(m1_full)\nsem_full.fit(rows)",
                "stats_full": "stats_full = lavaan_fit_statistics(sem_full, rows)"},
    "ex-03-2": {"r_simulated": 'r_simulated = pair["alliance_post2"].corr(pair["hamd_12mo"])'},
    "ex-01-2": {"t": "    t = abs(r) * (n - 2) ** 0.5 / (1 - r * r) ** 0.5",
                           "return": "    return 2 * stats.t.cdf(-t, n - 2)"},
    "ex-08-2": {"shifted": "shifted = my_data.assign(hamd_4wk=lambda d: d['hamd_4wk'] + 2)",
                   "other": "other = claims_ledger(shifted)"},
}


def _fill(scaffold: str, lines: dict[str, str]) -> str:
    out = []
    for line in scaffold.split("\n"):
        m = re.match(r"\s*(return|\w+)(?: = | )\.\.\.", line)
        out.append(lines[m.group(1)] if m else lines["..."] if line.strip() == "..." else line)
    return "\n".join(out)


@pytest.mark.parametrize("dataset", ["book", "student"])
@pytest.mark.parametrize("label", sorted(FILLED))
def test_a_filled_in_scaffold_makes_its_check_say_correct(label, dataset, tmp_path, monkeypatch):
    import semopy
    from scipy import stats

    from psyalliance.analysis.alliance import paired_change
    from psyalliance.audit.ledger import claims_ledger
    from psyalliance.study.facts import load_facts
    from psyalliance.study.instruments import subscale_scores
    from psyalliance.teaching.primer import lavaan_fit_statistics

    monkeypatch.delenv(selfcheck.DATASET_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    if dataset == "student":
        studentdata.student_dataset("s-filled").to_csv(tmp_path / "my_dataset.csv", index=False)
    spec = _assignments()[label][1]
    namespace = {assignments.CHECK_NAME: selfcheck.check, "data": load_dataset(), "my_data": selfcheck.my_dataset(),
                 "facts": load_facts(), "stats": stats, "paired_change": paired_change, "semopy": semopy,
                 "subscale_scores": subscale_scores, "claims_ledger": claims_ledger, "load_dataset": load_dataset,
                 "lavaan_fit_statistics": lavaan_fit_statistics}
    if dataset == "student":
        assert not namespace["my_data"].equals(namespace["data"])
    _run(_fill(spec["scaffold"], FILLED[label]), namespace)
    assert _run(spec["check"], namespace).startswith(f"Correct: Exercise {selfcheck.exercise_number(label)} ({label})")


def _choice_keys() -> list[str]:
    return sorted(k for k, (_, spec) in _assignments().items() if spec.get("choice"))


def test_every_choice_question_is_listed_and_its_scaffold_names_the_options():
    keys = _choice_keys()
    assert keys == sorted(lab if part is None else f"{lab}--{part}" for lab, part in selfcheck.choice_questions())
    assert len(keys) >= 12  # the yes/no and choice questions of chapters 02-11 and A1 (see answers.py)
    for key in keys:
        label, _, part = key.partition("--")
        want = selfcheck.expected(label, load_dataset(), part or None)
        options = {o for c in (want.values() if isinstance(want, dict) else [want]) for o in c.options}
        scaffold = _assignments()[key][1]["scaffold"]
        assert all(f'"{o}"' in scaffold for o in options), (key, options, scaffold)


def _shouted(want):
    """The expected choice as a student might type it: another case, spaces around."""
    if isinstance(want, dict):
        return {k: _shouted(v) for k, v in want.items()}
    return f"  {str(want).upper()} "


@pytest.mark.parametrize("dataset", ["book", "student"])
def test_every_choice_questions_expected_answer_passes_its_own_check(dataset, tmp_path, monkeypatch):
    """Each choice scaffold filled in with the answer computed on the dataset in use (typed in capitals, with
    spaces) says Correct through the check line of the notebook; the other option says Not yet and names the
    options; a number gets one line."""
    monkeypatch.delenv(selfcheck.DATASET_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    if dataset == "student":
        studentdata.student_dataset("s-choice").to_csv(tmp_path / "my_dataset.csv", index=False)
    my_data = selfcheck.my_dataset()
    answers_seen = set()
    for key in _choice_keys():
        label, _, part = key.partition("--")
        spec = _assignments()[key][1]
        want = selfcheck.expected(label, my_data, part or None)
        answers_seen.add((key, str(want)))
        (name,) = re.findall(r"^(\w+) = ", spec["scaffold"], re.M)
        namespace = {assignments.CHECK_NAME: selfcheck.check, name: _shouted(want)}
        said = _run(spec["check"], namespace)
        assert said.startswith(f"Correct: Exercise {selfcheck.exercise_number(label)} ({label}"), (key, said)
        if not isinstance(want, dict):
            other = next(o for o in want.options if o != want.value)
            namespace[name] = other
            said = _run(spec["check"], namespace)
            assert said.startswith(f"Not yet (Exercise {selfcheck.exercise_number(label)}): the answer is not the "
                                   f"right one of {want.named()}."), (key, said)
            namespace[name] = 1
            said = _run(spec["check"], namespace)
            assert said.count("\n") == 1 and "is a choice: write one of" in said, (key, said)


# ----------------------------------------------------------------------------- the conversion, on a small notebook

def _small_reader() -> nbformat.NotebookNode:
    scaffold = 'x = ...  # call the function\n'
    cells = [
        nbformat.v4.new_markdown_cell("# A chapter\n\n```{exercise-start}\n:label: ex-1\n```\nCompute x.\n"
                                      "```{exercise-end}\n```\n\n```{solution-start} ex-1\n:class: dropdown\n```\n"
                                      "The secret reasoning."),
        nbformat.v4.new_code_cell("x = secret_function(41) + 1",
                                  metadata={"assignment": {"scaffold": scaffold, "check": 'check_answer("ex-1", x)\n'}}),
        nbformat.v4.new_markdown_cell("Hidden conclusion.\n```{solution-end}\n```\n\nAfter."),
        nbformat.v4.new_markdown_cell("```{exercise-start}\n:label: ex-2\n```\nThink.\n```{exercise-end}\n```\n\n"
                                      "```{solution-start} ex-2\n```\nThe thought.\n```{solution-end}\n```"),
        nbformat.v4.new_code_cell("y = 2"),
    ]
    for i, c in enumerate(cells):
        c.id = f"c{i}"
    nb = nbformat.v4.new_notebook(cells=cells)
    ctx = rn.BookContext(numbers={"ex-1": ("exercise", "4.1"), "ex-2": ("exercise", "4.2")}, titles={}, glue={},
                         references={}, book_title="B", chapter="small")
    return rn.reader_notebook(nb, ctx)


def test_student_and_instructor_versions_of_a_small_notebook():
    reader = _small_reader()
    exs = assignments.exercises(reader)
    assert [(e.label, e.number, e.code) for e in exs] == [("ex-1", "4.1", ("x = secret_function(41) + 1",)),
                                                          ("ex-2", "4.2", ())]
    student = assignments.student_notebook(reader)
    text = "\n".join(c.source for c in student.cells)
    assert "secret" not in text and "Hidden conclusion" not in text and "The thought" not in text
    code = [c.source for c in student.cells if c.cell_type == "code"]
    assert code == [assignments.SETUP, 'x = ...  # call the function', 'check_answer("ex-1", x)', "y = 2"]
    assert "Your turn (Exercise 4.1, `ex-1`)" in text and "Your answer (Exercise 4.2, `ex-2`)" in text
    assert "After." in text
    instructor = assignments.instructor_notebook(reader)
    code = [c.source for c in instructor.cells if c.cell_type == "code"]
    assert code == [assignments.SETUP, "x = secret_function(41) + 1", 'check_answer("ex-1", x)', "y = 2"]
    assert any("The secret reasoning." in c.source for c in instructor.cells)
    for nb in (student, instructor):
        nbformat.validate(nb)


def _choice_reader() -> nbformat.NotebookNode:
    """A reader notebook with a yes/no exercise (ex-1) and a coding exercise with a question of its own (ex-2)."""
    yes_no = {"scaffold": 'fits = ...  # "yes" or "no"\n', "check": 'check_answer("ex-1", fits)\n', "choice": True}
    own = {"scaffold": 'bigger = ...  # "larger" or "smaller"\n', "check": 'check_answer("ex-2", bigger, part="size")\n',
           "choice": True}
    cells = [
        nbformat.v4.new_markdown_cell("# A chapter\n\n```{exercise-start}\n:label: ex-1\n```\nDoes it fit?\n"
                                      "```{exercise-end}\n```\n\n```{solution-start} ex-1\n```\nNo, because."),
        nbformat.v4.new_code_cell('fits = "no"', metadata={"assignment": yes_no}),
        nbformat.v4.new_markdown_cell("```{solution-end}\n```\n\n```{exercise-start}\n:label: ex-2\n```\nCompute x; "
                                      "larger?\n```{exercise-end}\n```\n\n```{solution-start} ex-2\n```"),
        nbformat.v4.new_code_cell("x = secret_function(41)", metadata={"assignment": {
            "scaffold": "x = ...\n", "check": 'check_answer("ex-2", x)\n'}}),
        nbformat.v4.new_code_cell('bigger = "larger" if x > 1 else "smaller"', metadata={"assignment": own}),
        nbformat.v4.new_markdown_cell("```{solution-end}\n```"),
    ]
    for i, c in enumerate(cells):
        c.id = f"c{i}"
    ctx = rn.BookContext(numbers={"ex-1": ("exercise", "4.1"), "ex-2": ("exercise", "4.2")}, titles={}, glue={},
                         references={}, book_title="B", chapter="small")
    return rn.reader_notebook(nbformat.v4.new_notebook(cells=cells), ctx)


def test_choice_questions_get_an_answer_cell_and_a_check():
    reader = _choice_reader()
    one, two = assignments.exercises(reader)
    assert one.choice and one.questions == () and not two.choice
    assert two.questions == (assignments.Question("size", 'bigger = ...  # "larger" or "smaller"\n',
                                                  'check_answer("ex-2", bigger, part="size")\n'),)
    student = assignments.student_notebook(reader)
    cells = {c.id: c for c in student.cells}
    assert "No, because" not in "\n".join(c.source for c in student.cells)
    assert "Write your reasoning here" in cells["assign-answer-ex-1"].source
    assert [cells[i].source for i in ("assign-scaffold-ex-1", "assign-check-ex-1", "assign-scaffold-ex-2--size",
                                      "assign-check-ex-2--size")] == [
        'fits = ...  # "yes" or "no"', 'check_answer("ex-1", fits)', 'bigger = ...  # "larger" or "smaller"',
        'check_answer("ex-2", bigger, part="size")']
    ids = [c.id for c in student.cells]
    assert ids.index("assign-check-ex-2") < ids.index("assign-turn-ex-2--size") < ids.index("assign-scaffold-ex-2--size")
    instructor = assignments.instructor_notebook(reader)
    code = [c.source for c in instructor.cells if c.cell_type == "code"]
    assert code[-3:] == ['bigger = "larger" if x > 1 else "smaller"', 'check_answer("ex-2", x)',
                         'check_answer("ex-2", bigger, part="size")']
    for nb in (student, instructor):
        nbformat.validate(nb)
    fold = next(c for c in reader.cells if c.metadata.get("reader", {}).get("solution") == "ex-2")
    fold.metadata["reader"]["code"][1]["metadata"]["assignment"].pop("choice")
    with pytest.raises(assignments.AssignmentError, match='ex-2: a check with part= is a choice question'):
        assignments.exercises(reader, "small")
    fold.metadata["reader"]["code"][1]["metadata"]["assignment"] = {"scaffold": "y = ...\n",
                                                                    "check": 'check_answer("ex-2", y)\n'}
    with pytest.raises(assignments.AssignmentError, match="ex-2 has 2 cells with assignment metadata without part="):
        assignments.exercises(reader, "small")


def test_bad_assignment_metadata_is_refused():
    reader = _small_reader()
    fold = next(c for c in reader.cells if "reader" in c.metadata)
    spec = fold.metadata["reader"]["code"][0]["metadata"]["assignment"]
    spec["scaffold"] = "x = ...\nraise NotImplementedError\n"
    with pytest.raises(assignments.AssignmentError, match="ex-1.*no raise"):
        assignments.student_notebook(reader, "small")
    spec["scaffold"], spec["check"] = "x = ...\n", 'check("ex-1", x)\n'
    with pytest.raises(assignments.AssignmentError, match="check_answer"):
        assignments.student_notebook(reader, "small")


def test_zips_are_deterministic(tmp_path):
    reader_dir = tmp_path / "reader"
    reader_dir.mkdir()
    nbformat.write(_small_reader(), reader_dir / "01_small.ipynb")
    first = course.write_assignments(reader_dir, tmp_path / "a")
    second = course.write_assignments(reader_dir, tmp_path / "b")
    for kind in ("student.zip", "instructor.zip"):
        assert first[kind].read_bytes() == second[kind].read_bytes()
    with zipfile.ZipFile(first["student.zip"]) as z:
        assert z.namelist() == ["student/01_small.ipynb", "student/README.md"]
        assert "my_dataset.csv" in z.read("student/README.md").decode()
    with pytest.raises(FileNotFoundError, match="make book"):
        course.write_assignments(tmp_path / "nothing", tmp_path / "c")


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
            (assignments.INSTALL_ID, "assign-setup", "assign-check"))]  # the install cell, the setup, the checks
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
            extra = [f"{kind}/{course.ANSWERS}"] if kind == "instructor" else []  # discussion answers
            assert sorted(z.namelist()) == sorted([f"{kind}/README.md"] + [f"{kind}/{n}" for n in names] + extra)
    download = built_book.html / "_downloads" / "student.zip"
    assert download.read_bytes() == (out / "student.zip").read_bytes()
    intro = (built_book.html / "book" / "intro.html").read_text(encoding="utf-8")
    assert 'href="../_downloads/student.zip"' in intro


# Executing every student and instructor notebook, on the book's dataset and on a student's: test_assignment_runs.py


@pytest.mark.slow
def test_per_student_datasets_and_the_answer_key(tmp_path, monkeypatch):
    roster = tmp_path / "roster.txt"
    roster.write_text("anna\n\nben\ncleo\n")
    cheap = ["ex-05-2", "ex-06-2", "ex-01-2", "ex-02-1", "ex-02-3"]  # 2.1: a yes/no; 2.3 asks one of its own
    monkeypatch.setattr(selfcheck, "labels", lambda: cheap)
    key_path = studentdata.write_student_data(roster, tmp_path / "out")
    anna, ben = (tmp_path / "out" / sid / "my_dataset.csv" for sid in ("anna", "ben"))
    assert anna.read_bytes() != ben.read_bytes()
    again = studentdata.student_dataset("anna").to_csv(index=False, lineterminator="\n").encode()
    assert again == anna.read_bytes()
    long = pd.read_csv(tmp_path / "out" / "answer_key_long.csv")
    assert list(long.columns) == ["id", "exercise", "number", "chapter", "part", "expected", "tolerance"]
    assert sorted(set(zip(long["id"], long["exercise"]))) == sorted((s, lab) for s in ("anna", "ben", "cleo") for lab in cheap)
    rows = long[(long["id"] == "ben") & (long["exercise"] == "ex-05-2")].set_index("part")
    assert set(rows["chapter"]) == {"05_alliance_change"} and set(rows["number"].astype(str)) == {"5.2"}
    pair = pd.read_csv(ben)[["alliance_prep", "alliance_post1"]].dropna()
    diff = pair["alliance_post1"] - pair["alliance_prep"]
    assert float(rows.loc["n", "expected"]) == len(pair) and rows.loc["n", "tolerance"] == 0.5
    assert float(rows.loc["d_z", "expected"]) == pytest.approx(diff.mean() / diff.std(ddof=1), abs=1e-5)
    assert rows.loc["d_z", "tolerance"] == 0.005
    assert long[long["exercise"] == "ex-01-2"].groupby("part")["expected"].nunique().eq(1).all()  # data-free
    assert not long["expected"].astype(str).str.contains(r"[{}\[\]]").any()  # no JSON in a cell
    wide = pd.read_csv(key_path)
    assert list(wide["id"]) == ["anna", "ben", "cleo"]
    heads = [c.split(":")[0] for c in wide.columns[1:]]
    assert heads == sorted(heads, key=lambda h: [int(x) for x in h.removeprefix("Exercise ").split(".")])  # book order
    assert set(heads) == {"Exercise 1.2", "Exercise 2.1", "Exercise 2.3", "Exercise 5.2", "Exercise 6.2"}
    assert wide.columns[1].startswith("Exercise 1.2: p_from_r(")
    by_id = wide.set_index("id")
    assert set(by_id["Exercise 2.1"]) == {"no"}  # a saturated model's fit supports no direction
    for sid in ("anna", "ben"):  # the choice follows the p in the same row: rejected at .05 or not
        assert by_id.loc[sid, "Exercise 2.3: reject"] == ("yes" if by_id.loc[sid, "Exercise 2.3: pvalue"] < 0.05 else "no")
    assert "Exercise 5.2: d_z" in wide.columns and "Exercise 6.2" in wide.columns
    assert wide.set_index("id").loc["ben", "Exercise 5.2: d_z"] == float(rows.loc["d_z", "expected"])  # a text column: choices too
    assert len(wide.columns) == 1 + long[long["id"] == "anna"].shape[0]

    # interrupted with ben unfinished: a second run simulates ben only, and gives the same files
    cleo = tmp_path / "out" / "cleo" / "my_dataset.csv"
    before_key, ben_bytes = key_path.read_bytes(), ben.read_bytes()
    others = {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in (anna, cleo)}
    ben.unlink()
    log = io.StringIO()
    assert studentdata.write_student_data(roster, tmp_path / "out", log=log) == key_path
    assert "2 of 3 students already done" in log.getvalue() and "[1/1] ben" in log.getvalue(), log.getvalue()
    assert {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in (anna, cleo)} == others  # not redone
    assert ben.read_bytes() == ben_bytes and key_path.read_bytes() == before_key
    with pytest.raises(ValueError, match="jobs = 0"):
        studentdata.write_student_data(roster, tmp_path / "out", jobs=0)
