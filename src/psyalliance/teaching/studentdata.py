"""A simulated dataset per student, seeded from the student's id, and an answer key for the instructor.

``make student-data ROSTER=roster.txt`` (one student id per line) writes, for each id, a dataset
simulated exactly as the committed one (:func:`psyalliance.simulation.simulate.simulate_dataset`, n = 24, the
exact construction) but with a seed derived from the id (SHA-256 of the id: the same id always gives
the same bytes, different ids different data) to ``_build/students/<id>/my_dataset.csv``, and
``_build/students/answer_key.csv`` (wide: one row per student, one column per part of each exercise with
a self-check, headed "Exercise 2.3: df") and ``answer_key_long.csv`` (student, exercise, number, chapter,
part, expected, tolerance), the expected answers computed by :mod:`psyalliance.teaching.answers` on that
student's dataset. No cell holds JSON: a set or list of items is one cell, its items joined by "; ".

The students are simulated on every core (one process per core, ``--jobs``), with one line per finished
student and the time left. Each student's dataset and answer-key rows are written to their final name only
when complete (the rows to ``<out>/.answer_key/<id>.json``, outside the folders handed to the students),
so an interrupted run started again skips the students already done.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import re
import sys
import time
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd

from psyalliance.resources import CHECKOUT
from psyalliance.simulation.simulate import load_dataset, simulate_dataset
from psyalliance.teaching import selfcheck  # its labels() through the module: a test narrows them
from psyalliance.teaching.selfcheck import CHECK_NAME, STUDENT_FILE

SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")  # usable as a folder name everywhere
NOTEBOOKS = CHECKOUT / "notebooks"

KEY_PARTS = ".answer_key"  # <out>/.answer_key/<id>.json: a finished student's answer-key rows

__all__ = ["RosterError", "read_roster", "student_seed", "student_dataset", "answer_key", "answer_parts", "wide_key",
           "write_dataset", "write_student", "write_student_data", "main"]


class RosterError(ValueError):
    """A roster file that cannot be used: empty, a duplicate id or an id unsafe as a folder name."""


def read_roster(path: Path) -> list[str]:
    """The student ids of a roster file: one per line; blank lines and lines starting with # are skipped."""
    path = Path(path)
    if not path.is_file():
        raise RosterError(f"roster file not found: {path} (one student id per line)")
    ids: list[str] = []
    first: dict[str, int] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        sid = raw.strip()
        if not sid or sid.startswith("#"):
            continue
        if not SAFE_ID.fullmatch(sid):
            raise RosterError(f"{path}, line {number}: student id {sid!r} is not usable as a folder name; use 1-64 "
                              "letters, digits, '.', '_' or '-', starting with a letter or digit")
        if sid in first:
            raise RosterError(f"{path}, line {number}: student id {sid!r} repeats line {first[sid]}")
        first[sid] = number
        ids.append(sid)
    if not ids:
        raise RosterError(f"{path} lists no student ids (one per line)")
    return ids


def student_seed(student_id: str) -> int:
    """The simulation seed of a student: the first 8 bytes of SHA-256("psyalliance-student:" + id), 0 to 2**64 - 1."""
    digest = hashlib.sha256(f"psyalliance-student:{student_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def student_dataset(student_id: str) -> pd.DataFrame:
    """The student's simulated dataset: the committed dataset's simulator (n = 24, exact) with the student's seed."""
    return simulate_dataset(n=24, seed=student_seed(student_id), method="exact")


def exercise_chapters(notebooks: Path = NOTEBOOKS) -> dict[str, str]:
    """Exercise label -> chapter notebook name, from the chapters' ``assignment`` cell metadata (read with
    ``json``: importing nbformat, with jsonschema's format checkers, costs a process 1.7 s)."""
    if not notebooks.is_dir():
        raise FileNotFoundError(f"the chapter notebooks are not at {notebooks}; run from a clone of the book")
    found: dict[str, str] = {}
    for path in sorted(notebooks.glob("*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            spec = cell.get("metadata", {}).get("assignment")
            m = re.match(rf"\s*{CHECK_NAME}\(\s*['\"]([\w-]+)['\"]", spec["check"]) if spec else None
            if m:
                found[m.group(1)] = path.stem
    return found


def _number(value: Any) -> float | int:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    return float(f"{float(value):.6g}")  # 6 significant digits: more than any exercise prints


def _leaf(value: Any) -> Any:
    if isinstance(value, (set, frozenset, list, tuple)):  # a set of claims, of pairs, a list of n: one cell
        items = [" & ".join(sorted(map(str, v))) if isinstance(v, (set, frozenset)) else str(_leaf(v)) for v in value]
        return "; ".join(sorted(items) if isinstance(value, (set, frozenset)) else items)
    if isinstance(value, (int, float, np.integer, np.floating, bool, np.bool_)):
        return _number(value)
    return str(value)


def answer_parts(value: Any) -> list[tuple[str, Any]]:
    """An expected answer as (part, value) pairs of plain numbers and strings: "" for a single value, the key
    of a dict or Series, ``column[row]`` for a DataFrame; a set or list is one part, its items joined by "; "."""
    if isinstance(value, pd.DataFrame):
        return [(f"{col}[{row}]", _leaf(value.at[row, col])) for col in value.columns for row in value.index]
    if isinstance(value, (dict, pd.Series)):
        return [(str(k), _leaf(v)) for k, v in dict(value).items()]
    return [("", _leaf(value))]


def _tolerance(tol: Any, part: str) -> float:
    return float(tol.get(part, 0.005)) if isinstance(tol, dict) else float(tol)


_FIXED_ANSWERS: dict[Any, Any] = {}
"""Exercise label -> its ExerciseSpec (psyalliance.teaching.selfcheck.spec) for the exercises whose answer does not use
the data (Monte Carlo experiments with our own seed): the same for every student, so computed once a process."""


_CHAPTERS: dict[Path, dict[str, str]] = {}
"""Notebooks folder -> :func:`exercise_chapters` of it, read once a process (:func:`prepare` fills it)."""


def prepare() -> None:
    """What every student's answer key shares, computed once in this process: the exercises' chapters and
    the answers that do not use the data. :func:`write_student_data` calls it before its workers start, so
    they inherit both (fork) instead of computing them each."""
    if NOTEBOOKS not in _CHAPTERS:
        _CHAPTERS[NOTEBOOKS] = exercise_chapters()
    free = [label for label in selfcheck.labels()
            if not selfcheck._lookup(label).uses_data and label not in _FIXED_ANSWERS]
    if free:
        data = load_dataset()  # not read by these answers; spec() wants a dataset
        for label in free:
            _FIXED_ANSWERS[label] = selfcheck.spec(label, data)


def answer_key(datasets: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The long answer key: id, exercise (label), number ("2.3"), chapter, part, expected, tolerance; one row
    per student, exercise and part of its answer, computed on that student's dataset."""
    if NOTEBOOKS not in _CHAPTERS:
        _CHAPTERS[NOTEBOOKS] = exercise_chapters()
    chapters = _CHAPTERS[NOTEBOOKS]
    fixed = _FIXED_ANSWERS  # answers that do not depend on the data: computed once a process
    rows = []
    for sid, data in datasets.items():
        for label in selfcheck.labels():
            if not selfcheck._lookup(label).uses_data and label in fixed:
                sp = fixed[label]
            else:
                sp = selfcheck.spec(label, data)
                if not selfcheck._lookup(label).uses_data:
                    fixed[label] = sp
            for part, value in answer_parts(sp.expected):
                rows.append({"id": sid, "exercise": label, "number": sp.number, "chapter": chapters.get(label, ""),
                             "part": part, "expected": value, "tolerance": _tolerance(sp.tolerance, part)})
            for name in selfcheck.parts(label):  # a question of its own (a yes/no after the computation): "name", "name: key"
                q = fixed.get((label, name)) or selfcheck.spec(label, data, name)
                if not selfcheck._lookup(label, name).uses_data:
                    fixed[label, name] = q
                for part, value in answer_parts(q.expected):
                    rows.append({"id": sid, "exercise": label, "number": q.number, "chapter": chapters.get(label, ""),
                                 "part": f"{name}: {part}" if part else name, "expected": value,
                                 "tolerance": _tolerance(q.tolerance, part)})
    return pd.DataFrame(rows, columns=["id", "exercise", "number", "chapter", "part", "expected", "tolerance"])


def wide_key(long: pd.DataFrame) -> pd.DataFrame:
    """One row per student, one column per exercise part, headed "Exercise 2.3: df" (in the book's order)."""
    heads = [f"Exercise {num}: {part}" if part else f"Exercise {num}"
             for num, part in zip(long["number"], long["part"])]
    table = long.assign(column=heads)
    order = list(dict.fromkeys(table.sort_values("exercise", kind="stable", key=_book_order)["column"]))
    wide = table.pivot(index="id", columns="column", values="expected")
    ids = list(dict.fromkeys(long["id"]))
    return wide.loc[ids, order].rename_axis(None, axis=1).reset_index()


def _book_order(labels: pd.Series) -> pd.Series:
    """ex-02-3 -> (2, 3) as a sortable string; appendices after the chapters."""
    def key(label: str) -> str:
        _, chapter, k = label.split("-")
        return f"{'1' if chapter.startswith('A') else '0'}{chapter:>3}{int(k):04d}"

    return labels.map(key)


def _write_atomic(path: Path, text: str) -> None:
    """Write text to path through a temporary name: path exists only once complete."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8", newline="")
    os.replace(tmp, path)


def _done(out_dir: Path, sid: str) -> bool:
    return (out_dir / sid / STUDENT_FILE).is_file() and (out_dir / KEY_PARTS / f"{sid}.json").is_file()


def write_dataset(student_id: str, out_dir: Path) -> Path:
    """Write the student's simulated dataset to ``<out_dir>/<id>/my_dataset.csv`` (complete or absent); its path."""
    folder = Path(out_dir) / student_id
    folder.mkdir(parents=True, exist_ok=True)
    _write_atomic(folder / STUDENT_FILE, student_dataset(student_id).to_csv(index=False, lineterminator="\n"))
    return folder / STUDENT_FILE


def write_student(sid: str, out_dir: Path) -> float:
    """Simulate one student's dataset, write it and its answer-key rows (each file complete or absent); seconds."""
    start = time.perf_counter()
    out_dir = Path(out_dir)
    path = write_dataset(sid, out_dir)
    rows = answer_key({sid: pd.read_csv(path)}).to_dict(orient="records")  # on the file the student gets
    (out_dir / KEY_PARTS).mkdir(exist_ok=True)
    _write_atomic(out_dir / KEY_PARTS / f"{sid}.json", json.dumps(rows))
    return time.perf_counter() - start


def _worker(args: tuple[str, Path]) -> tuple[str, float]:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one process per core: no BLAS threads on top
    return args[0], write_student(*args)


def _eta(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds >= 90 else f"{seconds:.0f} s"


def write_student_data(roster: Path, out_dir: Path, jobs: int | None = None, log: TextIO | None = None) -> Path:
    """Write ``<out_dir>/<id>/my_dataset.csv`` for every id of the roster, ``<out_dir>/answer_key.csv`` (wide)
    and ``<out_dir>/answer_key_long.csv``; returns the wide key's path.

    ``jobs``: processes (default: one per core; 1 runs in this process). Students already finished in
    ``out_dir`` (dataset and key rows present) are not simulated again. ``log``: where the progress goes
    (one line per student with the time left; default stderr; ``False`` for silence). A bad ``jobs``
    raises ValueError before anything is written."""
    ids = read_roster(roster)
    jobs = (os.cpu_count() or 1) if jobs is None else jobs
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs = {jobs!r} is not allowed; allowed: a whole number of processes, at least 1")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    log = sys.stderr if log is None else log
    todo = [sid for sid in ids if not _done(out_dir, sid)]
    say = (lambda text: print(text, file=log, flush=True)) if log else (lambda text: None)
    if len(todo) < len(ids):
        say(f"{len(ids) - len(todo)} of {len(ids)} students already done in {out_dir}: resuming with the other {len(todo)}")
    start = time.perf_counter()
    if todo:
        prepare()  # before the workers fork: they inherit what every student shares

    def report(k: int, sid: str, seconds: float) -> None:
        elapsed = time.perf_counter() - start
        say(f"[{k}/{len(todo)}] {sid}: {seconds:.1f} s; {_eta(elapsed / k * (len(todo) - k))} left")

    if jobs == 1 or len(todo) <= 1:
        for k, sid in enumerate(todo, start=1):
            report(k, sid, write_student(sid, out_dir))
    else:
        # fork where there is one: the workers start at once with this process's imports and settings
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        with multiprocessing.get_context(method).Pool(min(jobs, len(todo))) as pool:
            for k, (sid, seconds) in enumerate(pool.imap_unordered(_worker, [(sid, out_dir) for sid in todo]), start=1):
                report(k, sid, seconds)
    rows = [row for sid in ids for row in json.loads((out_dir / KEY_PARTS / f"{sid}.json").read_text(encoding="utf-8"))]
    long = pd.DataFrame(rows, columns=["id", "exercise", "number", "chapter", "part", "expected", "tolerance"])
    _write_atomic(out_dir / "answer_key_long.csv", long.to_csv(index=False, lineterminator="\n"))
    key_path = out_dir / "answer_key.csv"
    _write_atomic(key_path, wide_key(long).to_csv(index=False, lineterminator="\n"))
    return key_path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A simulated dataset per student and the answer key.")
    parser.add_argument("roster", type=Path, help="a text file with one student id per line")
    parser.add_argument("--out", type=Path, default=Path("_build/students"), help="output folder")
    parser.add_argument("--jobs", type=int, default=None, help="processes (default: one per core)")
    args = parser.parse_args(argv)
    try:
        key = write_student_data(args.roster, args.out, jobs=args.jobs)
    except RosterError as err:
        raise SystemExit(f"error: {err}") from None
    print(f"wrote {len(read_roster(args.roster))} simulated datasets under {args.out}/<id>/{STUDENT_FILE}, {key} "
          f"and {key.with_name('answer_key_long.csv')}")


if __name__ == "__main__":
    main()
