"""Self-checks for the exercises: ``check(label, answer)`` says "Correct" or what to look at.

The expected answer of an exercise is never typed: it is computed when ``check`` is called, by the
function registered for the exercise's label in :mod:`psyalliance.answers` (decorator :func:`answer`),
from the data the notebook uses. That is the committed simulated dataset
(:func:`psyalliance.simulate.load_dataset`), or a student's own simulated dataset: the file named by
the environment variable ``PSYALLIANCE_DATASET``, or else a file ``my_dataset.csv`` in the working
directory (``make student-data`` writes one per student). Which one is in use is said once.

Comparison allows for rounding: numbers within the exercise's tolerance (absolute, by default half a
unit of the second decimal), integers exactly, tuples and lists element by element, dicts and Series
key by key, DataFrames cell by cell, sets exactly. A hint never reveals the expected value.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from psyalliance.simulate import DATASET_ENV  # a student's dataset (a CSV like the committed simulated one)

STUDENT_FILE = "my_dataset.csv"  # the same, found in the working directory
DEFAULT_TOL = 0.005  # half a unit of the second decimal: an answer rounded to 2 decimals passes

__all__ = ["Answer", "answer", "check", "expected", "labels", "dataset_path", "current_data",
           "use_student_dataset", "compare", "DATASET_ENV", "STUDENT_FILE"]


@dataclass(frozen=True)
class Answer:
    """What :func:`check` needs for one exercise.

    ``compute(data)`` gives the expected answer for a dataset; ``prepare(answer, data)`` turns what a
    student may pass (a result object, a DataFrame) into the same shape; ``tol`` is the absolute
    tolerance for numbers; ``uses_data`` is False when the answer does not depend on the dataset.
    """

    label: str
    compute: Callable[[pd.DataFrame], Any]
    hint: str
    tol: float = DEFAULT_TOL
    prepare: Callable[[Any, pd.DataFrame], Any] | None = None
    uses_data: bool = True


_REGISTRY: dict[str, Answer] = {}


def answer(label: str, *, hint: str | None = None, tol: float = DEFAULT_TOL,
           prepare: Callable[[Any, pd.DataFrame], Any] | None = None,
           uses_data: bool = True) -> Callable[[Callable[[pd.DataFrame], Any]], Callable[[pd.DataFrame], Any]]:
    """Register the expected-answer function of exercise ``label`` (``hint`` defaults to its docstring)."""
    if not isinstance(label, str) or not label.startswith("ex-"):
        raise ValueError(f"exercise labels start with 'ex-' (as in the chapters), got {label!r}")
    if not (isinstance(tol, (int, float)) and tol >= 0):
        raise ValueError(f"tol must be a number >= 0, got {tol!r}")

    def register(func: Callable[[pd.DataFrame], Any]) -> Callable[[pd.DataFrame], Any]:
        if label in _REGISTRY:
            raise ValueError(f"exercise {label!r} has two answer functions")
        text = hint or (func.__doc__ or "").strip()
        if not text:
            raise ValueError(f"exercise {label!r}: give a hint (hint=... or a docstring)")
        _REGISTRY[label] = Answer(label, func, " ".join(text.split()), float(tol), prepare, uses_data)
        return func

    return register


def _registry() -> dict[str, Answer]:
    import psyalliance.answers  # noqa: F401  (registers the answers)

    return _REGISTRY


def labels() -> list[str]:
    """The labels of every exercise that has a self-check, sorted."""
    return sorted(_registry())


def _lookup(label: str) -> Answer:
    reg = _registry()
    if label not in reg:
        raise KeyError(f"no self-check for exercise {label!r}; the exercises with one are: {', '.join(sorted(reg))}")
    return reg[label]


# ----------------------------------------------------------------------------- the data in use

_ANNOUNCED: set[str] = set()


def dataset_path() -> Path | None:
    """A student's dataset: ``$PSYALLIANCE_DATASET``, else ``./my_dataset.csv``, else None (the committed one)."""
    env = os.environ.get(DATASET_ENV)
    if env:
        path = Path(env).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"{DATASET_ENV}={env!r} names no file; unset it to use the book's simulated dataset")
        return path.resolve()
    local = Path.cwd() / STUDENT_FILE
    return local.resolve() if local.is_file() else None


def _read_student(path: Path) -> pd.DataFrame:
    """A student's dataset, read and checked like the committed one (one-line error naming column, row, range)."""
    from psyalliance.simulate import read_dataset_file

    return read_dataset_file(path)


def current_data() -> pd.DataFrame:
    """The dataset the self-checks use (a fresh copy): a student's if one is set or present, else the committed one."""
    from psyalliance.simulate import load_dataset

    path = dataset_path()
    if path is None:
        return load_dataset()
    if str(path) not in _ANNOUNCED:
        _ANNOUNCED.add(str(path))
        print(f"(self-checks use your simulated dataset {path})")
    return _read_student(path)


def use_student_dataset() -> Path | None:
    """If ``my_dataset.csv`` is in the working directory (or ``$PSYALLIANCE_DATASET`` is set), make the
    chapter's ``load_dataset()`` return it, and say so. Returns its path, or None (the book's dataset)."""
    path = dataset_path()
    if path is None:
        print("Using the book's simulated dataset (put a my_dataset.csv from your instructor here to use yours).")
        return None
    _read_student(path)  # refuse a file without the book's columns now, not in some later cell
    os.environ[DATASET_ENV] = str(path)
    _ANNOUNCED.add(str(path))
    print(f"Using your simulated dataset {path} in this notebook and in its self-checks.")
    return path


# ----------------------------------------------------------------------------- comparison

def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, (bool, np.bool_))


def _as_mapping(x: Any, keys: list) -> Mapping | None:
    if isinstance(x, pd.Series):
        return x.to_dict()
    if isinstance(x, Mapping):
        return x
    if all(isinstance(k, str) and hasattr(x, k) for k in keys):
        return {k: getattr(x, k) for k in keys}
    return None


def compare(got: Any, want: Any, tol: float = DEFAULT_TOL, where: str = "the answer") -> str | None:
    """None if ``got`` matches ``want`` up to rounding, else a sentence saying which part differs (no values)."""
    if isinstance(want, (bool, np.bool_)):
        return None if isinstance(got, (bool, np.bool_)) and bool(got) == bool(want) else f"{where} should be True or False"
    if _is_number(want):
        if not _is_number(got):
            return f"{where} should be a number, not {type(got).__name__}"
        if isinstance(want, (int, np.integer)) and float(got) != float(want):
            return f"{where} is not the right count"
        if math.isnan(float(want)) != math.isnan(float(got)):
            return f"{where} should {'' if math.isnan(float(want)) else 'not '}be missing (NaN)"
        return None if math.isnan(float(want)) or abs(float(got) - float(want)) <= tol + 1e-12 else f"{where} is off"
    if isinstance(want, (set, frozenset)):
        if not isinstance(got, (set, frozenset, list, tuple, pd.Series, pd.Index)):
            return f"{where} should be a collection, not {type(got).__name__}"
        got_set = set(got)
        if got_set == want:
            return None
        return f"{where} has {len(got_set)} items, {'the right number but not the right ones' if len(got_set) == len(want) else 'not the right number'}"
    if isinstance(want, pd.DataFrame):
        if not isinstance(got, pd.DataFrame):
            return f"{where} should be a DataFrame, not {type(got).__name__}"
        if set(got.columns) != set(want.columns):
            return f"{where} should have the columns {list(want.columns)}"
        if len(got) != len(want):
            return f"{where} should have {len(want)} rows"
        got = got[list(want.columns)]
        if not got.index.equals(want.index):
            got = got.reset_index(drop=True)
            want = want.reset_index(drop=True)
        for col in want.columns:
            for i in want.index:
                msg = compare(got.at[i, col], want.at[i, col], tol, f"{where}, column {col!r}, row {i!r}")
                if msg:
                    return msg
        return None
    if isinstance(want, (Mapping, pd.Series)):
        want_map = want.to_dict() if isinstance(want, pd.Series) else want
        got_map = _as_mapping(got, list(want_map))
        if got_map is None:
            return f"{where} should have the parts {list(want_map)}"
        lost = [k for k in want_map if k not in got_map]
        if lost:
            return f"{where} lacks {lost}"
        for k, v in want_map.items():
            msg = compare(got_map[k], v, tol, f"{k!r}" if where == "the answer" else f"{where}[{k!r}]")
            if msg:
                return msg
        return None
    if isinstance(want, (tuple, list)):
        if not isinstance(got, (tuple, list, np.ndarray, pd.Series)):
            return f"{where} should be a sequence of {len(want)} values, not {type(got).__name__}"
        got = list(got)
        if len(got) != len(want):
            return f"{where} should have {len(want)} values, not {len(got)}"
        for k, (g, w) in enumerate(zip(got, want)):
            msg = compare(g, w, tol, f"value {k + 1} of {where}")
            if msg:
                return msg
        return None
    return None if got == want else f"{where} is not right"


def _untouched(x: Any) -> bool:
    return x is ... or (isinstance(x, (tuple, list)) and any(v is ... for v in x))


def expected(label: str, data: pd.DataFrame | None = None) -> Any:
    """The expected answer of exercise ``label`` on ``data`` (default: the dataset in use, see :func:`current_data`)."""
    spec = _lookup(label)
    return spec.compute(current_data() if data is None else data.copy())


def check(label: str, answer: Any, data: pd.DataFrame | None = None) -> bool:
    """Print "Correct: ..." or "Not yet: <what to look at>" for exercise ``label``; True if correct.

    ``answer`` is what the exercise asks for (the variable its scaffold names). Raises
    NotImplementedError while the scaffold's ``...`` is still in place, and KeyError (listing the
    labels that have a check) for an unknown label.
    """
    spec = _lookup(label)
    if _untouched(answer):
        raise NotImplementedError(f"Exercise {label}: replace the ... in the cell above with your code, then run "
                                  "this check again")
    data = current_data() if data is None else data.copy()
    want = spec.compute(data)
    try:
        got = spec.prepare(answer, data) if spec.prepare is not None else answer
    except (TypeError, ValueError, KeyError, AttributeError) as err:
        print(f"Not yet: {label}: your answer has not the expected form ({err}). {spec.hint}")
        return False
    problem = compare(got, want, spec.tol)
    if problem is None:
        print(f"Correct: {label} matches the answer computed from the data (tolerance {spec.tol:g}).")
        return True
    print(f"Not yet: {label}: {problem}. {spec.hint}")
    return False
