"""Answer boxes on the web page: a self-check as data for the page's script (``book/_static/answerbox.js``).

The book's build (``book/_ext/answer_boxes.py``) puts a box under every exercise that has a self-check.
What the box needs is taken from the self-check's registry (:mod:`psyalliance.teaching.selfcheck`), never
copied: the expected answer computed then from the book's simulated dataset, the tolerance of each part
(the same as the notebook's check), the hints in their steps and the exercise's number. The script
compares in the browser, offline, as :func:`psyalliance.teaching.selfcheck.compare` does for the shapes a box
can hold:

* a number (an integer must be exact, a float within its tolerance), or a dict, Series, list or tuple of
  numbers (one field per part, compared in order, the first part that is off named as the notebook names
  it);
* a set of names, or of sets of names (one per line; inside a line, names separated by commas);
* True or False;
* a choice among named options (:class:`psyalliance.teaching.selfcheck.Choice`, a yes/no say), alone or as the parts
  of a dict: a drop-down list with a label (keyboard operable), compared like the notebook's check (case
  and spaces ignored, declared synonyms accepted);
* and, after the exercise's own parts, each question of its own (``part=`` of the check, a yes/no after a
  computation, say), with its own hints.

Anything else raises :class:`UnsupportedAnswer` at build time, naming the exercise, so that no
self-checked exercise silently goes without a box. The page holds the expected values (as any offline
check must); the instructor's per-student datasets make copying them useless for graded work.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from psyalliance.simulation.simulate import load_dataset
from psyalliance.teaching import selfcheck
from psyalliance.teaching.selfcheck import Choice

__all__ = ["UnsupportedAnswer", "box_payload", "payload_json", "parse_number"]


class UnsupportedAnswer(TypeError):
    """An expected answer whose shape an answer box cannot hold."""


def _choice_part(want: Any, where: str, key: Any, question: str | None) -> dict[str, Any]:
    """A choice as a box part: the options in their order, the expected one, and every word that counts."""
    label = question if key is None else (f"{question}: {key}" if question else str(key))
    return {"kind": "choice", "key": None if key is None else str(key), "where": where, "label": label,
            "options": list(want.options), "value": want.value, "words": want.words()}


def _spec(label: str, data: pd.DataFrame) -> tuple[str, Any, Any, Any, tuple[str, ...]]:
    """(number, expected, tolerance, decimals, hints) of ``label`` on ``data``, from the self-check registry."""
    if hasattr(selfcheck, "spec"):
        s = selfcheck.spec(label, data)
        return s.number, s.expected, s.tolerance, s.decimals, tuple(s.hints)
    a = selfcheck._lookup(label)  # the registry before per-chapter numbers (one tolerance, one hint)
    return label, a.compute(data.copy()), a.tol, None, (a.hint,)


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, (bool, np.bool_))


def _part_tol(tol: Any, key: Any) -> float:
    if isinstance(tol, Mapping):
        return float(tol.get(key, 0.005))
    return float(tol)


def _number_part(value: Any, tol: float, where: str, key: Any) -> dict[str, Any]:
    integer = isinstance(value, (int, np.integer))
    v = float(value)
    return {"kind": "number", "key": None if key is None else str(key), "where": where, "integer": bool(integer),
            "value": None if math.isnan(v) else v, "tol": 0.0 if integer else float(tol)}


def _set_item(item: Any, label: str) -> str:
    if isinstance(item, str):
        return item.strip()
    if isinstance(item, (set, frozenset, tuple)) and all(isinstance(i, str) for i in item):
        return ", ".join(sorted(i.strip() for i in item))
    raise UnsupportedAnswer(f"exercise {label}: a set answer holds {type(item).__name__} items; an answer box "
                            "takes names, or sets of names")


def _parts(want: Any, tol: Any, label: str, question: str | None = None) -> list[dict[str, Any]]:
    if isinstance(want, Choice):
        return [_choice_part(want, "the answer", None, question)]
    if isinstance(want, (bool, np.bool_)):
        return [{"kind": "bool", "key": None, "where": "the answer", "value": bool(want)}]
    if _is_number(want):
        return [_number_part(want, _part_tol(tol, None), "the answer", None)]
    if isinstance(want, (set, frozenset)):
        items = sorted(_set_item(i, label) for i in want)
        nested = any(not isinstance(i, str) for i in want)
        return [{"kind": "set", "key": None, "where": "the answer", "items": items, "nested": nested}]
    if isinstance(want, (Mapping, pd.Series)) and not isinstance(want, pd.DataFrame):
        items = want.to_dict() if isinstance(want, pd.Series) else dict(want)
        if not all(_is_number(v) or isinstance(v, Choice) for v in items.values()):
            raise UnsupportedAnswer(f"exercise {label}: an answer box holds dicts of numbers or choices; {label}'s "
                                    f"parts are {sorted({type(v).__name__ for v in items.values()})}")
        return [_choice_part(v, repr(k), k, question) if isinstance(v, Choice) else
                _number_part(v, _part_tol(tol, k), repr(k), k) for k, v in items.items()]
    if isinstance(want, (list, tuple)):
        if not all(_is_number(v) for v in want):
            raise UnsupportedAnswer(f"exercise {label}: an answer box holds lists of numbers only")
        return [_number_part(v, _part_tol(tol, None), f"value {k + 1} of the answer", f"value {k + 1}")
                for k, v in enumerate(want)]
    raise UnsupportedAnswer(f"exercise {label}: an answer box cannot hold a {type(want).__name__} answer; "
                            "valid: a number, True/False, a choice, a dict, Series, list or tuple of numbers (a dict "
                            "of choices too), a set of names")


def _tolerance_words(decimals: Any, tol: Any) -> str:
    if decimals is None:
        if isinstance(tol, Mapping):
            return "within the tolerance of each part"
        return f"within {float(tol):g}" + (" (a Monte Carlo answer: your seed may differ from ours)" if tol >= 0.01
                                            else "")
    if isinstance(decimals, Mapping):
        return "to the printed decimals (" + ", ".join(f"{k}: {v}" for k, v in decimals.items()) + ")"
    return f"to {decimals} decimals, as printed"


def box_payload(label: str, data: pd.DataFrame | None = None) -> dict[str, Any]:
    """What the answer box of exercise ``label`` needs, JSON-ready, computed on ``data`` (default: the book's
    committed simulated dataset). Raises :class:`UnsupportedAnswer` for an answer a box cannot hold."""
    if data is None:
        data = load_dataset()
    number, want, tol, decimals, hints = _spec(label, data)
    parts = _parts(want, tol, label, selfcheck._lookup(label).question)
    for name in selfcheck.parts(label):  # the exercise's questions of their own, each with its hints
        q = selfcheck.spec(label, data, name)
        for part in _parts(q.expected, q.tolerance, label, q.question):
            part.update(key=name if part["key"] is None else f"{name}: {part['key']}", hints=list(q.hints),
                        where=f'the answer to "{q.question or name}"')
            parts.append(part)
    exact = all(p["kind"] in ("set", "bool", "choice") or p["integer"] for p in parts)
    return {"label": label, "number": number, "parts": parts, "hints": list(hints),
            "tolerance": "exactly" if exact else _tolerance_words(decimals, tol)}


def payload_json(payload: dict[str, Any]) -> str:
    """The payload as JSON that is safe inside an HTML ``<script>`` element (no ``<``, ``>`` or ``&``)."""
    text = json.dumps(payload, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")  # what a box takes as a number (answerbox.js too)


def parse_number(text: str) -> float | None:
    """How a box reads a typed number (the script does the same): spaces trimmed, a Unicode minus or a decimal
    comma accepted (one comma and no point: "0,25"), else a plain decimal or e-notation number; anything else None."""
    t = text.strip().replace("\u2212", "-")
    if t.count(",") == 1 and "." not in t:
        t = t.replace(",", ".")
    return float(t) if NUMBER.fullmatch(t) else None
