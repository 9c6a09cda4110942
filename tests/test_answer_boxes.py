"""Answer boxes on the web page (book/_ext/answer_boxes.py, book/_static/answerbox.js, psyalliance.teaching.webcheck).

Static, on the built HTML: every self-checked exercise of every page has exactly one box, and the box
holds the check that the self-check registry gives now on the book's simulated dataset. In Chromium: in
several boxes (one of each shape: a number, a dict, a list, a set, a choice, an exercise with a question of
its own) a right answer says Correct and a wrong one says Not yet with the first step of the hint (the
question's own hints for a question of its own), then the next step; the part named is the part that
psyalliance.teaching.selfcheck.compare names for the same typed value. A choice is a labelled drop-down list. Screenshots of the boxes are saved
(to $PSYALLIANCE_SCREENSHOTS if set, else the test's temp folder).
"""

from __future__ import annotations

import html
import json
import math
import os
import re
from pathlib import Path
from typing import Any

import pytest

from psyalliance.teaching.selfcheck import Choice, compare, labels
from psyalliance.teaching.webcheck import UnsupportedAnswer, box_payload, parse_number, payload_json

BOX = re.compile(r'<div class="answer-box" data-label="([^"]+)"><script type="application/json" '
                 r'class="answer-box-data">(.*?)</script>', re.S)
EXERCISE_ID = re.compile(r'<div class="exercise[^"]*"[^>]*id="(ex-[^"]+)"')


def _pages(built_book) -> dict[str, str]:
    return {str(p.relative_to(built_book.html)): p.read_text(encoding="utf-8")
            for p in sorted((built_book.html / "notebooks").glob("*.html"))}


def test_payload_shapes_and_safe_json():
    assert parse_number(" \u22120,25 ") == -0.25 and parse_number("1e-3") == 0.001
    assert parse_number("1,000.5") is None and parse_number("abc") is None and parse_number("nan") is None
    text = payload_json({"label": "x", "hints": ["a </script> <b> & c"]})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text)["hints"] == ["a </script> <b> & c"]


@pytest.fixture(scope="module")
def payloads() -> dict[str, dict]:
    """Every self-check's box, computed now from the registry on the book's dataset (some take seconds)."""
    out = {}
    for label in labels():
        try:
            out[label] = json.loads(payload_json(box_payload(label)))
        except UnsupportedAnswer as err:  # the message names the exercise
            pytest.fail(str(err))
    return out


def test_a_shape_a_box_cannot_hold_is_refused_by_name():
    import pandas as pd

    from psyalliance.teaching.webcheck import _parts

    with pytest.raises(UnsupportedAnswer, match="exercise ex-x: an answer box cannot hold a DataFrame"):
        _parts(pd.DataFrame({"a": [1.0]}), 0.005, "ex-x")
    assert _parts({"n": 3, "d": 0.5}, {"d": 0.005}, "ex-x")[1] == {
        "kind": "number", "key": "d", "where": "'d'", "integer": False, "value": 0.5, "tol": 0.005}


def test_a_choice_and_a_question_of_its_own_in_a_box():
    one = box_payload("ex-02-1")  # a yes/no, the whole answer
    assert one["parts"] == [{"kind": "choice", "key": None, "where": "the answer",
                             "label": "Does the perfect fit support mediation?", "options": ["yes", "no"],
                             "value": "no", "words": {"yes": "yes", "y": "yes", "true": "yes", "no": "no", "n": "no",
                                                      "false": "no"}}]
    assert one["tolerance"] == "exactly"
    own = box_payload("ex-02-3")  # df, chisq and p, then "does the test reject?" with its own hints
    assert [p["key"] for p in own["parts"]] == ["df", "chisq", "pvalue", "reject"]
    reject = own["parts"][-1]
    assert reject["value"] == ("yes" if own["parts"][2]["value"] < 0.05 else "no")
    assert reject["hints"] and reject["hints"] != own["hints"] and "hints" not in own["parts"][0]
    verdicts = box_payload("ex-08-1")["parts"]  # a dict of choices, one drop-down list per part
    assert [(p["kind"], p["key"], p["where"]) for p in verdicts] == [("choice", "r", "'r'"), ("choice", "p", "'p'")]


@pytest.mark.slow
def test_every_self_checked_answer_fits_a_box(payloads):
    assert all(p["parts"] and p["hints"] for p in payloads.values())


@pytest.mark.slow
def test_every_self_checked_exercise_on_the_web_has_one_box_from_the_registry(built_book, payloads):
    assert built_book.returncode == 0, built_book.log[-3000:]
    checked, seen = set(labels()), []
    for page, text in _pages(built_book).items():
        boxes = BOX.findall(text)
        exercises = [e for e in EXERCISE_ID.findall(text) if e in checked]
        assert sorted(b for b, _ in boxes) == sorted(exercises), page
        for label, data in boxes:
            assert json.loads(html.unescape(data)) == payloads[label], (page, label)
        seen += [b for b, _ in boxes]
    assert sorted(seen) == sorted(checked)  # every self-check of the book has its box, once


def _shape(payload: dict) -> str:
    parts = payload["parts"]
    if any("hints" in p for p in parts):
        return "own question"
    if parts[0]["kind"] in ("set", "choice"):
        return parts[0]["kind"]
    if parts[0]["kind"] == "set":
        return "set"
    if len(parts) == 1:
        return "number"
    return "list" if parts[0]["key"].startswith("value ") else "dict"


def _digits(tol: float) -> int:
    return 0 if tol <= 0 else max(0, math.ceil(-math.log10(tol)))


def _right(part: dict) -> str:
    if part["kind"] == "choice":
        return part["value"]
    if part["kind"] == "set":
        return "\n".join(reversed(part["items"]))  # order does not matter
    if part["integer"]:
        return str(int(part["value"]))
    return f"{part['value']:.{_digits(part['tol'])}f}"


def _wrong(part: dict) -> str:
    if part["kind"] == "choice":
        return next(o for o in part["options"] if o != part["value"])
    if part["kind"] == "set":
        return "\n".join(part["items"][1:])  # one item short
    return repr(part["value"] + 10 * part["tol"] + 1)


def _python_says(payload: dict, typed: list[str]) -> str | None:
    """What psyalliance.teaching.selfcheck.compare says about the same typed answer, part by part."""
    for part, text in zip(payload["parts"], typed):
        if part["kind"] == "choice":
            problem = compare(text, Choice(part["value"], tuple(part["options"])), 0.0, part["where"])
        elif part["kind"] == "set":
            got = [line.strip() for line in text.split("\n") if line.strip()]
            if part["nested"]:
                got = [", ".join(sorted(x.strip() for x in line.split(","))) for line in got]
            problem = compare(set(got), set(part["items"]), 0.0, part["where"])
        else:
            value = parse_number(text)
            want = int(part["value"]) if part["integer"] else part["value"]
            problem = compare(int(value) if part["integer"] and value == int(value) else value, want,
                              part["tol"], part["where"])
        if problem:
            return problem
    return None


def _type_and_check(driver: Any, box: Any, typed: list[str]) -> str:
    from selenium.webdriver.support.ui import Select

    for field, text in zip(box.find_elements("css selector", ".answer-box__input"), typed):
        if field.tag_name == "select":
            assert box.find_elements("css selector", f'label[for="{field.get_attribute("id")}"]'), "a select needs a label"
            Select(field).select_by_value(text)
            continue
        field.clear()
        field.send_keys(text)
    box.find_element("css selector", "button.answer-box__check").click()
    return box.find_element("css selector", ".answer-box__verdict").text


@pytest.mark.slow
def test_boxes_say_correct_and_not_yet_in_chromium(built_book, book_url, chromium):
    shots = Path(os.environ.get("PSYALLIANCE_SCREENSHOTS") or built_book.html.parent / "answer-box-screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    chosen: dict[str, tuple[str, str, dict]] = {}
    for page, text in _pages(built_book).items():
        for label, data in BOX.findall(text):
            payload = json.loads(html.unescape(data))
            chosen.setdefault(_shape(payload), (page, label, payload))
    assert {"number", "dict", "set", "choice", "own question"} <= set(chosen), sorted(chosen)
    for shape, (page, label, payload) in sorted(chosen.items()):
        chromium.get(book_url + page)
        box = chromium.find_element("css selector", f'div.answer-box[data-label="{label}"]')
        chromium.execute_script("arguments[0].scrollIntoView({block: 'center'});", box)
        assert box.get_attribute("data-ready") == "true", f"{page} {label}: the script did not set the box up"
        n = len(payload["hints"])

        at = next((k for k, p in enumerate(payload["parts"]) if "hints" in p), 0)  # the question of its own
        hints = payload["parts"][at].get("hints", payload["hints"])
        n = len(hints)
        wrong = [_wrong(p) if k == at else _right(p) for k, p in enumerate(payload["parts"])]
        said = _type_and_check(chromium, box, wrong)
        python = _python_says(payload, wrong)
        assert python is not None
        assert said == (f"Not yet (Exercise {payload['number']}): {python}. Hint 1 of {n}: {hints[0]}"
                        + (" (check again for the next hint)" if n > 1 else "")), (label, said)
        chromium.save_screenshot(str(shots / f"{shape}-{label}-not-yet.png"))
        if n > 1:
            assert f"Hint 2 of {n}: {hints[1]}" in _type_and_check(chromium, box, wrong)

        right = [_right(p) for p in payload["parts"]]
        assert _python_says(payload, right) is None
        said = _type_and_check(chromium, box, right)
        assert said.startswith(f"Correct: Exercise {payload['number']} ({label}) matches the answer"), (label, said)
        assert payload["tolerance"] in said
        chromium.save_screenshot(str(shots / f"{shape}-{label}-correct.png"))
