"""Self-checks for the exercises: ``check(label, answer)`` prints one line, "Correct" or what to look at.

Labels and numbers. Exercise ``k`` of chapter ``NN`` (the notebook ``notebooks/NN_*.ipynb``) is labelled
``ex-NN-k`` and numbered "Exercise N.k" (appendix ``A1``: ``ex-A1-k``, "Exercise A1.k"), the same in the
web book, the reader, student and instructor notebooks and the answer key (:func:`exercise_number`).

Expected answers are never typed: ``compute(data)``, registered for the label in
:mod:`psyalliance.teaching.answers` (decorator :func:`answer`), computes it when the check runs, from the
exercises' dataset (:func:`my_dataset`): a student's own simulated dataset (the file named by the
environment variable ``PSYALLIANCE_DATASET``, else ``my_dataset.csv`` in the working directory; ``make
student-data`` writes one per student), else the book's committed simulated dataset. The chapters' text,
tables and figures always use the book's dataset (``data``); the exercises use ``my_data``.

Tolerance follows what is printed. An exercise states how many decimals its answer is printed to (per
part, ``decimals``); an answer rounded to those decimals passes, because the tolerance is half a unit of
the last printed decimal (:func:`tolerance_of`). Counts and integers must be exact, sets and True/False
exactly right. Monte Carlo answers instead allow the spread between two seeds (``tol=`` given explicitly).

Choices. A yes/no question or a choice among named options (``@answer(..., choices=("larger", "smaller"))``,
or ``YES_NO``) expects one of its options, as a string: compared case-insensitively with the spaces
trimmed, and a declared synonym counts as its option ("y", "true" or True for "yes"; "n", "false" or False for
"no"). A wrong answer names the valid options (not which one is right); a number gets a one-line message.
A coding exercise may ask such a question too: it is a *part* of the exercise (``@answer("ex-02-3",
part="reject", choices=YES_NO)``), checked by ``check("ex-02-3", reject, part="reject")``.

Hints come in steps: the first wrong answer shows step 1 (what to look at), the next step 2 (the
method), and so on; a hint never holds the expected value. An untouched scaffold (a ``...`` still in
place) makes the check print "Exercise N.k is still open: ..." and return False, without an exception,
so that Run All reaches the end of a student notebook. A mistyped label raises :class:`UnknownExercise`
naming the closest label.

The public API for anything built on the checks (web answer boxes, the answer key):
:func:`spec` (expected value, tolerance, hints and number of a label on a dataset), :func:`check`,
:func:`compare`, :func:`labels`, :func:`exercise_number`, :func:`my_dataset`, :func:`datasets_banner`.
"""

from __future__ import annotations

import difflib
import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from psyalliance.simulation.simulate import (  # a student's dataset (a CSV like the committed simulated one)
    DATASET_ENV,
    load_dataset,
    read_dataset_file,
)
from psyalliance.teaching import answers
from psyalliance.teaching.answers import YES_NO  # the options of a yes/no question

STUDENT_FILE = "my_dataset.csv"  # the same, found in the working directory
CHECK_NAME = "check_answer"  # the name the checks are called by in student notebooks: no chapter binds it
DEFAULT_DECIMALS = 2  # an exercise that says nothing else prints its numbers to 2 decimals
LABEL = re.compile(r"ex-(?P<chapter>\d\d|A\d)-(?P<k>[1-9]\d*)")  # ex-02-3 is Exercise 2.3 of chapter 02

__all__ = ["Answer", "Choice", "ExerciseSpec", "UnknownExercise", "answer", "check", "spec", "expected", "labels",
           "parts", "choice_questions", "YES_NO", "SYNONYMS",
           "exercise_number", "tolerance_of", "dataset_path", "current_data", "my_dataset", "datasets_banner", "compare",
           "DATASET_ENV", "STUDENT_FILE", "CHECK_NAME", "DEFAULT_DECIMALS"]

Tolerance = float | Mapping[str, float]
SYNONYMS: Mapping[str, tuple[str, ...]] = {"yes": ("y", "true"), "no": ("n", "false")}  # declared for every choice


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class Choice:
    """The expected answer of a choice question: ``value``, one of ``options`` (strings).

    ``synonyms`` maps an option to other words that count as it (case and spaces never matter). ``str()``
    gives the value, as the answer key prints it.
    """

    value: str
    options: tuple[str, ...]
    synonyms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.options) < 2 or len({_normal(o) for o in self.options}) != len(self.options):
            raise ValueError(f"a choice needs two or more distinct options, got {self.options!r}")
        if self.read(self.value) is None:
            raise ValueError(f"the expected choice {self.value!r} is not one of the options {list(self.options)}")
        object.__setattr__(self, "value", self.read(self.value))

    def __str__(self) -> str:
        return self.value

    def words(self) -> dict[str, str]:
        """Every accepted word (normalized: lower case, single spaces) -> the option it stands for."""
        out = {}
        for option in self.options:
            for word in (option, *SYNONYMS.get(_normal(option), ()), *self.synonyms.get(option, ())):
                out.setdefault(_normal(word), option)
        return out

    def read(self, got: Any) -> str | None:
        """The option ``got`` names (a string, True/False for a yes/no, a Choice), or None."""
        if isinstance(got, Choice):
            got = got.value
        if isinstance(got, (bool, np.bool_)):
            got = "true" if got else "false"
        return self.words().get(_normal(got)) if isinstance(got, str) else None

    def named(self) -> str:
        return " or ".join(f'"{o}"' for o in self.options)


class UnknownExercise(KeyError):
    """A label with no self-check; the message names the closest label (one line, no list of all)."""

    def __str__(self) -> str:  # KeyError would print the message in quotes
        return str(self.args[0])


def exercise_number(label: str) -> str:
    """The printed number of exercise ``label``: ``"ex-02-3"`` -> ``"2.3"``, ``"ex-A1-2"`` -> ``"A1.2"``."""
    m = LABEL.fullmatch(label)
    if m is None:
        raise ValueError(f"exercise labels are ex-NN-k (chapter NN, k-th exercise there, e.g. ex-02-3), got {label!r}")
    chapter = m["chapter"]
    return f"{chapter.lstrip('0') if chapter.isdigit() else chapter}.{m['k']}"


def tolerance_of(decimals: int | Mapping[str, int]) -> Tolerance:
    """Half a unit of the last printed decimal (per part for a mapping): 2 decimals -> 0.005."""
    if isinstance(decimals, Mapping):
        return {k: tolerance_of(v) for k, v in decimals.items()}
    if not (isinstance(decimals, int) and 0 <= decimals <= 12):
        raise ValueError(f"decimals must be an integer from 0 to 12, got {decimals!r}")
    return 0.5 * 10.0 ** -decimals


@dataclass(frozen=True)
class Answer:
    """What :func:`check` needs for one exercise.

    ``compute(data)`` gives the expected answer for a dataset; ``prepare(answer, data)`` turns what a
    student may pass (a result object, a DataFrame) into the same shape; ``hints`` are the steps shown
    one per wrong attempt; ``tol`` is the absolute tolerance of numbers (one for all parts, or one per
    part), half a unit of ``decimals`` unless given (Monte Carlo answers); ``uses_data`` is False when the
    answer does not depend on the dataset.
    """

    label: str
    compute: Callable[[pd.DataFrame], Any]
    hints: tuple[str, ...]
    decimals: int | Mapping[str, int] | None = DEFAULT_DECIMALS
    tol: Tolerance = 0.005
    prepare: Callable[[Any, pd.DataFrame], Any] | None = None
    uses_data: bool = True
    part: str | None = None  # a question of its own within the exercise (check(label, x, part=...))
    question: str | None = None  # what a choice question asks, in a few words (the answer box's label)
    choices: bool = False  # whether the answer is a choice (or a dict of choices)

    @property
    def hint(self) -> str:
        """Every step of the hint, in one sentence each."""
        return " ".join(self.hints)


@dataclass(frozen=True)
class ExerciseSpec:
    """An exercise's check as data, for anything built on the self-checks (web answer boxes, answer keys).

    ``expected``: the answer on the dataset asked for (a number, dict, Series, set, ...); ``tolerance``: the
    absolute tolerance of its numbers (a float, or one per part of a dict); ``decimals``: the printed
    decimals the tolerance follows (None for a Monte Carlo tolerance); ``hints``: the steps, first what to
    look at, then the method, never the value.
    """

    label: str
    number: str
    expected: Any
    tolerance: Tolerance
    decimals: int | Mapping[str, int] | None
    hints: tuple[str, ...]
    part: str | None = None
    question: str | None = None


_REGISTRY: dict[str, Answer] = {}
_PARTS: dict[str, dict[str, Answer]] = {}  # label -> part -> the check of a question of its own in that exercise

Options = Sequence[str] | Mapping[str, Sequence[str]]


def _as_choice(value: Any, options: Options, synonyms: Mapping[str, Sequence[str]], label: str) -> Any:
    """The computed answer of a choice question as Choice (a dict of them, one per part, for a mapping)."""
    if isinstance(options, Mapping):
        if not isinstance(value, Mapping) or set(value) != set(options):
            raise ValueError(f"exercise {label}: the answer function must return a dict with the parts {list(options)}")
        return {k: _as_choice(v, options[k], synonyms, label) for k, v in value.items()}
    return Choice(str(value), tuple(options), {k: tuple(v) for k, v in synonyms.items()})


def answer(label: str, *, hint: str | Sequence[str] | None = None, decimals: int | Mapping[str, int] = DEFAULT_DECIMALS,
           tol: float | None = None, prepare: Callable[[Any, pd.DataFrame], Any] | None = None,
           uses_data: bool = True, choices: Options | None = None, synonyms: Mapping[str, Sequence[str]] | None = None,
           part: str | None = None, question: str | None = None,
           ) -> Callable[[Callable[[pd.DataFrame], Any]], Callable[[pd.DataFrame], Any]]:
    """Register the expected-answer function of exercise ``label``.

    ``hint``: the steps (a string is one step; default: the docstring); ``decimals``: what the exercise
    prints (an int, or one per part of a dict answer), which sets the tolerance; ``tol``: an explicit
    absolute tolerance instead (Monte Carlo answers, whose seed differs from ours). ``choices``: the options
    of a choice question (e.g. ``YES_NO``; a mapping gives the options of each part of a dict answer), so
    that the function returns one of them; ``synonyms``: option -> more words that count as it (besides
    ``SYNONYMS``); ``part``: the name of a question of its own within the exercise, checked by
    ``check(label, x, part=part)``; ``question``: what it asks, in a few words.
    """
    exercise_number(label)  # refuses a label that is not ex-NN-k
    if part is not None and not re.fullmatch(r"[a-z][a-z0-9_]*", str(part)):
        raise ValueError(f"part must be a short lower-case name (letters, digits, _), got {part!r}")
    if choices is not None and isinstance(choices, str):
        raise ValueError(f"choices must be a sequence of options such as ('yes', 'no'), got the string {choices!r}")
    if tol is not None and not (isinstance(tol, (int, float)) and tol >= 0):
        raise ValueError(f"tol must be a number >= 0, got {tol!r}")
    tolerance = float(tol) if tol is not None else tolerance_of(decimals)

    def register(func: Callable[[pd.DataFrame], Any]) -> Callable[[pd.DataFrame], Any]:
        if (label in _REGISTRY) if part is None else (part in _PARTS.get(label, {})):
            raise ValueError(f"exercise {label!r}{'' if part is None else f', part {part!r},'} has two answer functions")
        steps = (hint,) if isinstance(hint, str) else tuple(hint or ((func.__doc__ or "").strip(),))
        steps = tuple(" ".join(s.split()) for s in steps if s and s.strip())
        if not steps:
            raise ValueError(f"exercise {label!r}: give a hint (hint=... or a docstring)")
        compute = func
        if choices is not None:
            opts, syn = choices, dict(synonyms or {})

            def compute(data: pd.DataFrame) -> Any:
                return _as_choice(func(data), opts, syn, label)

        entry = Answer(label, compute, steps, None if tol is not None or choices is not None else decimals,
                       0.0 if choices is not None else tolerance, prepare, uses_data, part, question, choices is not None)
        if part is None:
            _REGISTRY[label] = entry
        else:
            _PARTS.setdefault(label, {})[part] = entry
        return func

    return register


for _label, _options, _func in answers.RECORDED:  # the book's expected answers, in the order of their module
    answer(_label, **_options)(_func)


def _registry() -> dict[str, Answer]:
    return _REGISTRY


def labels() -> list[str]:
    """The labels of every exercise that has a self-check, sorted."""
    return sorted(_registry())


def parts(label: str) -> list[str]:
    """The questions of their own within exercise ``label`` (``part=`` of :func:`check`), in registration order."""
    _registry()
    return list(_PARTS.get(label, {}))


def choice_questions() -> list[tuple[str, str | None]]:
    """Every choice question: (label, None) for an exercise whose answer is a choice, (label, part) for a part."""
    reg = _registry()
    found = [(lab, None) for lab in sorted(reg) if reg[lab].choices]
    return found + [(lab, p) for lab in sorted(_PARTS) for p in _PARTS[lab] if _PARTS[lab][p].choices]


def _lookup(label: str, part: str | None = None) -> Answer:
    reg = _registry()
    if part is not None and label in _PARTS:
        if part not in _PARTS[label]:
            raise UnknownExercise(f"exercise {label!r} has no part {part!r}; its parts: {list(_PARTS[label])}")
        return _PARTS[label][part]
    if part is not None and label in reg:
        raise UnknownExercise(f"exercise {label!r} has no part {part!r} (check it without part=)")
    if label not in reg:
        m = LABEL.fullmatch(str(label))
        same_chapter = [k for k in reg if m and k.startswith(f"ex-{m['chapter']}-")]
        close = difflib.get_close_matches(str(label), same_chapter or list(reg), n=1, cutoff=0.0)
        raise UnknownExercise(f"no self-check for exercise {label!r}; did you mean {close[0]}?" if close else
                              f"no self-check for exercise {label!r}")
    return reg[label]


def spec(label: str, data: pd.DataFrame | None = None, part: str | None = None) -> ExerciseSpec:
    """Everything about the check of ``label`` (its question ``part``) on ``data`` (default: the exercises'
    dataset, :func:`my_dataset`)."""
    a = _lookup(label, part)
    want = a.compute(current_data() if data is None else data.copy())
    return ExerciseSpec(label, exercise_number(label), want, a.tol, a.decimals, a.hints, part, a.question)


# ----------------------------------------------------------------------------- the data in use

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
    return read_dataset_file(path)


def current_data() -> pd.DataFrame:
    """The exercises' dataset (a fresh copy, quietly): a student's if one is set or present, else the book's."""
    path = dataset_path()
    return load_dataset() if path is None else _read_student(path)


def my_dataset() -> pd.DataFrame:
    """The exercises' dataset ``my_data``: a student's ``my_dataset.csv`` (or ``$PSYALLIANCE_DATASET``) if there
    is one, else the book's simulated dataset.

    The chapter's text, tables and figures keep the book's dataset (``data``), so every number in them
    stays true; only the exercises (``my_data = my_dataset()``) and their checks use this one.
    :func:`datasets_banner` says which is which.
    """
    return current_data()


def datasets_banner() -> Path | None:
    """Print which dataset the chapter's text uses and which the exercises use; the student's file or None."""
    path = dataset_path()
    if path is None:
        print("Text, tables and figures: the book's simulated dataset (data). Exercises and checks: my_data, here "
              f"the same book's dataset (put a {STUDENT_FILE} from your instructor next to this notebook to use yours).")
    else:
        _read_student(path)  # refuse a file without the book's columns now, not in some later cell
        print("Text, tables and figures: the book's simulated dataset (data), so their numbers are not yours. "
              f"Exercises and checks: my_data, YOUR simulated dataset {path}.")
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


def _part_tol(tol: Tolerance, key: Any) -> float:
    if isinstance(tol, Mapping):
        return float(tol.get(key, tolerance_of(DEFAULT_DECIMALS)))
    return float(tol)


def compare(got: Any, want: Any, tol: Tolerance = 0.005, where: str = "the answer") -> str | None:
    """None if ``got`` matches ``want`` up to ``tol``, else a sentence saying which part differs (no values).

    ``tol``: absolute, for numbers; a mapping gives one per key of a dict (or Series) answer. Integers
    must be equal, sets and True/False exactly right; tuples and lists compare element by element, dicts
    and Series key by key, DataFrames cell by cell; a :class:`Choice` takes one of its options (any case,
    spaces trimmed, or a synonym), and a wrong one is told the options.
    """
    if isinstance(want, Choice):
        if _is_number(got):
            return (f"{where} is a choice: write one of {want.named()} (a string, in quotes), "
                    f"not the number {got!r}")
        option = want.read(got)
        if option is None:
            return f"{where} should be one of {want.named()}, not {got!r}"[:300]
        return None if option == want.value else f"{where} is not the right one of {want.named()}"
    if isinstance(want, (bool, np.bool_)):
        return None if isinstance(got, (bool, np.bool_)) and bool(got) == bool(want) else f"{where} should be True or False"
    if _is_number(want):
        tol = _part_tol(tol, None)
        if not _is_number(got):
            return f"{where} should be a number, not {type(got).__name__}"
        if isinstance(want, (int, np.integer)) and float(got) != float(want):
            return f"{where} is not the right count"
        if math.isnan(float(want)) != math.isnan(float(got)):
            return f"{where} should {'' if math.isnan(float(want)) else 'not '}be missing (NaN)"
        if math.isnan(float(want)) or abs(float(got) - float(want)) <= tol * (1 + 1e-9) + 1e-12:
            return None
        return f"{where} has the wrong sign" if float(got) * float(want) < 0 else f"{where} is off"
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
                msg = compare(got.at[i, col], want.at[i, col], _part_tol(tol, col), f"{where}, column {col!r}, row {i!r}")
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
            msg = compare(got_map[k], v, _part_tol(tol, k), f"{k!r}" if where == "the answer" else f"{where}[{k!r}]")
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
    return x is ... or (isinstance(x, (tuple, list)) and any(v is ... for v in x)) or (
        isinstance(x, dict) and any(v is ... for v in x.values()))


def expected(label: str, data: pd.DataFrame | None = None, part: str | None = None) -> Any:
    """The expected answer of exercise ``label`` (its question ``part``) on ``data`` (default: the exercises'
    dataset, :func:`my_dataset`)."""
    return spec(label, data, part).expected


_ATTEMPTS: dict[tuple[str, str | None], int] = {}  # wrong answers so far, per question: which step of the hint to show


def _still_open(label: str) -> bool:
    print(f"Exercise {exercise_number(label)} is still open: replace the ... in the cell above with your code, "
          "run it, then run this check again.")
    return False


def _not_yet(label: str, problem: str, spec_: Answer) -> bool:
    step = _ATTEMPTS.get((label, spec_.part), 0)
    _ATTEMPTS[label, spec_.part] = step + 1
    k, n = min(step, len(spec_.hints) - 1), len(spec_.hints)
    more = " (run the check again for the next hint)" if k + 1 < n else ""
    print(f"Not yet (Exercise {exercise_number(label)}): {problem}. Hint {k + 1} of {n}: {spec_.hints[k]}{more}")
    return False


def _tolerance_words(a: Answer) -> str:
    if a.choices:
        return "exactly (case and spaces do not matter)"
    if a.decimals is None:
        return f"within {a.tol:g} (a Monte Carlo answer: your seed may differ from ours)"
    if isinstance(a.decimals, Mapping):
        return "to the printed decimals (" + ", ".join(f"{k}: {v}" for k, v in a.decimals.items()) + ")"
    return f"to {a.decimals} decimals, as printed"


def check(label: str, answer: Any, data: pd.DataFrame | None = None, *, part: str | None = None) -> bool:
    """Print one line, "Correct: ..." or "Not yet ...: <which part is off>. Hint: ...", for ``label``; True if correct.

    ``answer`` is what the exercise asks for (the variable its scaffold names). While the scaffold's
    ``...`` is still in place it prints "Exercise N.k is still open: ..." and returns False (no
    exception). An unknown label raises :class:`UnknownExercise`, naming the closest label. ``part``: a
    question of its own within the exercise (:func:`parts`), such as a yes/no after the computation.
    """
    a = _lookup(label, part)
    if _untouched(answer):
        return _still_open(label)
    data = current_data() if data is None else data.copy()
    try:
        got = a.prepare(answer, data) if a.prepare is not None else answer
    except NotImplementedError:
        return _still_open(label)
    except (TypeError, ValueError, KeyError, AttributeError) as err:
        return _not_yet(label, f"your answer has not the expected form ({err})", a)
    if _untouched(got):
        return _still_open(label)
    problem = compare(got, a.compute(data), a.tol)
    if problem is None:
        _ATTEMPTS.pop((label, part), None)
        which = label if part is None else f"{label}, {part}"
        print(f"Correct: Exercise {exercise_number(label)} ({which}) matches the answer computed from the data, "
              f"{_tolerance_words(a)}.")
        return True
    return _not_yet(label, problem, a)
