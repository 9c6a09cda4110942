"""Every chapter glues the same values as before: tests/fixtures/glued_values.json, made from a build of the
untouched book (tools/glued_values.py; `make glued-values` remakes it only when a number is MEANT to change).

A refactoring of the chapters (formatters, one glue call per section, helpers moved into the package) must
leave each printed number byte for byte as it was: same chapters, same glue names, same text. One allowance:
a value glued at full float precision (``0.6202494237960481``, the repr of a Python float) may move in its last
digits between machines and BLAS builds (two builds of the same commit differed at 1e-15), so such floats are
compared to 1e-9 relative; every value the prose prints has at most six significant digits. NOISE lists the
glued values that measure a numerical disagreement near an optimiser's tolerance, whose digits are rounding
noise by design (compared as floats below their stated bound).

It reads the session's built book (the ``built_book`` fixture: the one strict build that `make test` makes, or
``PSYALLIANCE_BUILT_BOOK`` pointing at a folder holding ``_build/``), never a build of its own.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from tools.glued_values import glued_values

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "glued_values.json"

# (chapter, glue name) -> upper bound: a disagreement between two optimisers, printed as "2.3e-08"
NOISE = {("notebooks/09_how_much_24", "max_semopy_diff"): 1e-5}


def _float(text: str) -> float | None:
    """The float a text/plain value spells at full precision, or None (strings, ints, short decimals)."""
    try:
        value = float(text.strip("'\""))
    except ValueError:
        return None
    digits = sum(ch.isdigit() for ch in text.split("e")[0])
    return value if digits >= 10 and text[0] not in "'\"" else None


def same_bundle(chapter: str, name: str, before: dict[str, str], after: dict[str, str]) -> bool:
    """True when two glue bundles print the same (see the module docstring for the float allowance)."""
    if (chapter, name) in NOISE:
        bound = NOISE[chapter, name]
        values = [float(b["text/plain"].strip("'\"")) for b in (before, after)]
        return all(abs(v) < bound for v in values)
    if before.keys() != after.keys():
        return False
    for mime, old in before.items():
        new = after[mime]
        if old == new:
            continue
        a, b = _float(old), _float(new)
        if mime != "text/plain" or a is None or b is None or not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-15):
            return False
    return True


def differences(before: dict, after: dict) -> list[str]:
    """One line per chapter or glue name that was added, removed or changed."""
    lines = [f"{ch}: chapter {'removed' if ch in before else 'added'}" for ch in sorted(before.keys() ^ after.keys())]
    for chapter in sorted(before.keys() & after.keys()):
        old, new = before[chapter], after[chapter]
        lines += [f"{chapter}: {name!r} no longer glued (was {old[name]})" for name in sorted(old.keys() - new.keys())]
        lines += [f"{chapter}: {name!r} newly glued ({new[name]})" for name in sorted(new.keys() - old.keys())]
        lines += [f"{chapter}: {name!r} before {old[name]} after {new[name]}"
                  for name in sorted(old.keys() & new.keys()) if not same_bundle(chapter, name, old[name], new[name])]
    return lines


def test_the_comparison_names_chapter_name_before_and_after():
    before = {"notebooks/x": {"r": {"text/plain": "'.65'"}, "n": {"text/plain": "24"}}}
    after = {"notebooks/x": {"r": {"text/plain": "'.66'"}, "k": {"text/plain": "3"}}}
    assert differences(before, after) == [
        "notebooks/x: 'n' no longer glued (was {'text/plain': '24'})",
        "notebooks/x: 'k' newly glued ({'text/plain': '3'})",
        "notebooks/x: 'r' before {'text/plain': \"'.65'\"} after {'text/plain': \"'.66'\"}",
    ]


def test_only_full_precision_floats_move_in_their_last_digits():
    ch = "notebooks/x"
    assert same_bundle(ch, "v", {"text/plain": "0.6202494237960481"}, {"text/plain": "0.6202494237960476"})
    assert not same_bundle(ch, "v", {"text/plain": "0.6202494237960481"}, {"text/plain": "0.6202594237960481"})
    assert not same_bundle(ch, "v", {"text/plain": "'0.62'"}, {"text/plain": "'.62'"})
    assert not same_bundle(ch, "v", {"text/plain": "0.5"}, {"text/plain": "0.5000000001"})
    assert not same_bundle(ch, "v", {"text/plain": "24"}, {"text/plain": "24.0"})


def test_the_fixture_is_small_and_has_every_glueing_chapter():
    assert FIXTURE.stat().st_size < 500 * 1024
    chapters = json.loads(FIXTURE.read_text(encoding="utf-8"))
    assert len(chapters) == 14 and "book/instructor_guide" in chapters


@pytest.mark.slow
def test_every_chapter_glues_the_values_of_the_fixture(built_book):
    assert built_book.returncode == 0, built_book.log[-3000:]
    before = json.loads(FIXTURE.read_text(encoding="utf-8"))
    after = glued_values(built_book.html.parent)
    diff = differences(before, after)
    assert not diff, ("glued values changed (make glued-values remakes the fixture, only when a number is "
                      "meant to change):\n" + "\n".join(diff))
