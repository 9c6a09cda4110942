"""A simulated dataset per student, seeded from the student's id, and an answer key for the instructor.

``make student-data ROSTER=roster.txt`` (one student id per line) writes, for each id, a dataset
simulated exactly as the committed one (:func:`psyalliance.simulate.simulate_dataset`, n = 24, the
exact construction) but with a seed derived from the id (SHA-256 of the id: the same id always gives
the same bytes, different ids different data) to ``_build/students/<id>/my_dataset.csv``, and
``_build/students/answer_key.csv`` (wide: one row per student, one column per part of each exercise with
a self-check, headed "Exercise 2.3: df") and ``answer_key_long.csv`` (student, exercise, number, chapter,
part, expected, tolerance), the expected answers computed by :mod:`psyalliance.answers` on that
student's dataset. No cell holds JSON: a set or list of items is one cell, its items joined by "; ".
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from psyalliance.selfcheck import STUDENT_FILE

SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")  # usable as a folder name everywhere
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"

__all__ = ["RosterError", "read_roster", "student_seed", "student_dataset", "answer_key", "answer_parts", "wide_key", "write_dataset",
           "write_student_data", "main"]


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
    from psyalliance.simulate import simulate_dataset

    return simulate_dataset(n=24, seed=student_seed(student_id), method="exact")


def exercise_chapters(notebooks: Path = NOTEBOOKS) -> dict[str, str]:
    """Exercise label -> chapter notebook name, from the chapters' ``assignment`` cell metadata."""
    from psyalliance.assignments import CHECK_NAME

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


def answer_key(datasets: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The long answer key: id, exercise (label), number ("2.3"), chapter, part, expected, tolerance; one row
    per student, exercise and part of its answer, computed on that student's dataset."""
    from psyalliance.selfcheck import _lookup, labels, spec

    chapters = exercise_chapters()
    fixed: dict[str, Any] = {}  # answers that do not depend on the data: computed once
    rows = []
    for sid, data in datasets.items():
        for label in labels():
            if not _lookup(label).uses_data and label in fixed:
                sp = fixed[label]
            else:
                sp = spec(label, data)
                if not _lookup(label).uses_data:
                    fixed[label] = sp
            for part, value in answer_parts(sp.expected):
                rows.append({"id": sid, "exercise": label, "number": sp.number, "chapter": chapters.get(label, ""),
                             "part": part, "expected": value, "tolerance": _tolerance(sp.tolerance, part)})
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


def write_dataset(student_id: str, out_dir: Path) -> Path:
    """Write the student's simulated dataset to ``<out_dir>/<id>/my_dataset.csv`` (``\\n`` line ends); its path."""
    folder = Path(out_dir) / student_id
    folder.mkdir(parents=True, exist_ok=True)
    student_dataset(student_id).to_csv(folder / STUDENT_FILE, index=False, lineterminator="\n")
    return folder / STUDENT_FILE


def write_student_data(roster: Path, out_dir: Path) -> Path:
    """Write ``<out_dir>/<id>/my_dataset.csv`` for every id of the roster, ``<out_dir>/answer_key.csv`` (wide:
    one row per student, one column per exercise part) and ``<out_dir>/answer_key_long.csv`` (one row per
    student, exercise and part). Returns the wide key's path."""
    ids = read_roster(roster)
    out_dir = Path(out_dir)
    datasets = {}
    for sid in ids:
        datasets[sid] = pd.read_csv(write_dataset(sid, out_dir))  # the key is computed on the file the student gets
    long = answer_key(datasets)
    long.to_csv(out_dir / "answer_key_long.csv", index=False, lineterminator="\n")
    key_path = out_dir / "answer_key.csv"
    wide_key(long).to_csv(key_path, index=False, lineterminator="\n")
    return key_path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A simulated dataset per student and the answer key.")
    parser.add_argument("roster", type=Path, help="a text file with one student id per line")
    parser.add_argument("--out", type=Path, default=Path("_build/students"), help="output folder")
    args = parser.parse_args(argv)
    try:
        key = write_student_data(args.roster, args.out)
    except RosterError as err:
        raise SystemExit(f"error: {err}") from None
    print(f"wrote {len(read_roster(args.roster))} simulated datasets under {args.out}/<id>/{STUDENT_FILE}, {key} "
          f"and {key.with_name('answer_key_long.csv')}")


if __name__ == "__main__":
    main()
