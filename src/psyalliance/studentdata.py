"""A simulated dataset per student, seeded from the student's id, and an answer key for the instructor.

``make student-data ROSTER=roster.txt`` (one student id per line) writes, for each id, a dataset
simulated exactly as the committed one (:func:`psyalliance.simulate.simulate_dataset`, n = 24, the
exact construction) but with a seed derived from the id (SHA-256 of the id: the same id always gives
the same bytes, different ids different data) to ``_build/students/<id>/my_dataset.csv``, and
``_build/students/answer_key.csv``: one row per student and exercise with a self-check, the expected
answer computed by :mod:`psyalliance.answers` on that student's dataset.
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

__all__ = ["RosterError", "read_roster", "student_seed", "student_dataset", "answer_key", "write_student_data", "main"]


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
    if not notebooks.is_dir():
        raise FileNotFoundError(f"the chapter notebooks are not at {notebooks}; run from a clone of the book")
    found: dict[str, str] = {}
    for path in sorted(notebooks.glob("*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            spec = cell.get("metadata", {}).get("assignment")
            m = re.match(r"\s*check\(\s*['\"]([\w-]+)['\"]", spec["check"]) if spec else None
            if m:
                found[m.group(1)] = path.stem
    return found


def _plain(value: Any) -> Any:
    """An expected answer as JSON-ready values (numbers rounded to 6 significant digits)."""
    if isinstance(value, (set, frozenset)):
        return sorted((_plain(v) for v in value), key=str)
    if isinstance(value, pd.DataFrame):
        return {str(k): _plain(v) for k, v in value.to_dict(orient="list").items()}
    if isinstance(value, (dict, pd.Series)):
        return {str(k): _plain(v) for k, v in dict(value).items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(f"{float(value):.6g}")
    return str(value)


def answer_key(datasets: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """id, exercise, chapter, expected (JSON) for every student and every exercise with a self-check."""
    from psyalliance.selfcheck import _lookup, expected, labels

    chapters = exercise_chapters()
    fixed: dict[str, str] = {}  # answers that do not depend on the data: computed once
    rows = []
    for sid, data in datasets.items():
        for label in labels():
            if not _lookup(label).uses_data and label in fixed:
                value = fixed[label]
            else:
                value = json.dumps(_plain(expected(label, data)), sort_keys=True)
                if not _lookup(label).uses_data:
                    fixed[label] = value
            rows.append({"id": sid, "exercise": label, "chapter": chapters.get(label, ""), "expected": value})
    return pd.DataFrame(rows, columns=["id", "exercise", "chapter", "expected"])


def write_student_data(roster: Path, out_dir: Path) -> Path:
    """Write ``<out_dir>/<id>/my_dataset.csv`` for every id of the roster and ``<out_dir>/answer_key.csv``."""
    ids = read_roster(roster)
    out_dir = Path(out_dir)
    datasets = {}
    for sid in ids:
        data = student_dataset(sid)
        folder = out_dir / sid
        folder.mkdir(parents=True, exist_ok=True)
        data.to_csv(folder / STUDENT_FILE, index=False, lineterminator="\n")
        datasets[sid] = pd.read_csv(folder / STUDENT_FILE)  # the key is computed on the file the student gets
    key_path = out_dir / "answer_key.csv"
    answer_key(datasets).to_csv(key_path, index=False, lineterminator="\n")
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
    print(f"wrote {len(read_roster(args.roster))} simulated datasets under {args.out}/<id>/{STUDENT_FILE} and {key}")


if __name__ == "__main__":
    main()
