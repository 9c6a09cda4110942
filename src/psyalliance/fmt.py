"""Printed numbers: the one place where the book's number formats are written (APA style, 7th edition).

A ground module: it imports nothing from psyalliance, so any module and any chapter may use it.

The rules, each a function:

* ``bounded(x, decimals)``: a statistic that cannot exceed 1 in size (r, a standardized coefficient, a
  proportion, a power, a coverage, alpha) without the leading zero: ``-.65``, ``.05``;
* ``p_value(p)``: a p value, three decimals without the leading zero, ``< .001`` below .001;
  ``p_with_op(p, op)`` a published p with its printed operator (``< .001``, ``.020``); ``p_text(p)`` a p at
  four decimals (``.0187``), in scientific notation below .0001 (``3.2e-05``);
* ``fixed(x, decimals)``: an estimate, SE, chi-square or mean with its leading zero: ``0.34``, ``-1.20``;
* ``percent(share, decimals)``: a share 0-1 as a percentage number (``37``), the % sign optional;
* ``ci(low, high, decimals)``: a confidence interval ``[0.12, 0.56]``; ``span(low, high, decimals)``: a
  range in words, ``-0.41 to 0.97``;
* ``count(n)``: a whole number with thousands separators, ``2,000``; ``sci(x, digits)``: ``2.3e-08``;
  ``shortest(x)``: Python's shortest general form (``0.5``, ``2``); ``signed(x, decimals)``: ``+0.12``.

Decisions (tests/test_fmt.py):

* rounding is Python's: exact on the binary value, a true half to even (``fixed(0.125, 2)`` is ``0.12``;
  ``fixed(0.0195, 3)`` is ``0.019`` because binary 0.0195 is 0.019499...), as the f-strings the chapters
  used before; nothing here rounds differently from ``f"{x:.{d}f}"``;
* no negative zero: a value that rounds to zero prints without a sign (``fixed(-0.0004, 3)`` is ``0.000``,
  ``bounded(-0.0004, 3)`` is ``.000``), so a tiny negative estimate never shows as ``-0.000``;
* the minus sign is the ASCII hyphen-minus ``-``, as everywhere in the book so far (a typographic minus
  U+2212 would change every glued value and the text a reader copies into Python);
* ``bounded`` refuses a value above 1 in size (it would print ``1.20`` as ``1.20`` but the rule is wrong
  for it); a value that ROUNDS to 1 prints ``1.000`` (r = .9995 at three decimals);
* ``p_value(0.0005)`` and ``p_value(0.0009996)`` are ``< .001``: the bound is on the p itself, not on its
  rounded text (which would be ``.001``); ``p_value(0.001)`` is ``.001``; a p that rounds to 1 prints ``1.000``;
* NaN and infinity are refused with a ValueError naming the value, as are negative or non-integer decimals.
"""

from __future__ import annotations

import math
from numbers import Real

MINUS = "-"  # the book's minus sign (ASCII): see the module docstring
MAX_DECIMALS = 15


def _number(x: object, what: str = "x") -> float:
    """``x`` as a finite float, or ValueError naming it."""
    if isinstance(x, bool) or not isinstance(x, Real):
        raise ValueError(f"{what} = {x!r} is not a number")
    value = float(x)
    if not math.isfinite(value):
        raise ValueError(f"{what} = {value} is not a finite number")
    return value


def _decimals(decimals: object, name: str = "decimals") -> int:
    if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= MAX_DECIMALS:
        raise ValueError(f"{name} = {decimals!r}; give a whole number from 0 to {MAX_DECIMALS}")
    return decimals


def fixed(x: float, decimals: int = 2) -> str:
    """``x`` with ``decimals`` digits after the point and its leading zero (``0.34``, ``-1.20``, ``12``).

    For estimates, standard errors, chi-squares, means: anything that can exceed 1. No negative zero.
    """
    value, d = _number(x), _decimals(decimals)
    text = f"{value:.{d}f}"
    if text.startswith("-") and float(text) == 0:
        text = text[1:]
    return MINUS + text[1:] if text.startswith("-") else text


def bounded(x: float, decimals: int | None = 2) -> str:
    """A statistic no larger than 1 in size, without the leading zero (APA): ``-.65``, ``.050``, ``1.000``.

    ``x`` in [-1, 1]: r, standardized coefficients, proportions, powers, coverages, alpha. ``decimals=None``
    prints the shortest form (``shortest``): a set constant such as alpha = 0.05 as ``.05``. Raises ValueError
    for a value outside [-1, 1].
    """
    value = _number(x)
    if abs(value) > 1:
        raise ValueError(f"x = {value} is outside [-1, 1]; print it with fixed(), which keeps the leading zero")
    text = shortest(value) if decimals is None else fixed(value, decimals)
    if text == MINUS + "0":
        text = "0"
    sign, digits = (MINUS, text[len(MINUS):]) if text.startswith(MINUS) else ("", text)
    return sign + (digits[1:] if digits.startswith("0.") else digits)


def p_value(p: float, decimals: int = 3) -> str:
    """A p value as APA prints it: ``.020``; ``< .001`` below .001 (below ``10 ** -decimals``).

    ``p`` in [0, 1]; ValueError otherwise (and for NaN).
    """
    value, d = _number(p, "p"), _decimals(decimals)
    if not 0 <= value <= 1:
        raise ValueError(f"p = {value} is outside [0, 1]")
    floor = 10.0 ** -d
    return f"< {bounded(floor, d)}" if value < floor else bounded(value, d)


def p_with_op(p: float, op: str, decimals: int = 3) -> str:
    """A published p with the operator it was printed with: ``op`` ``"="`` gives ``.020``, ``"<"`` gives
    ``< .001`` (the printed bound, not recomputed). ValueError for another operator."""
    if op not in ("=", "<"):
        raise ValueError(f"op = {op!r}; a printed p has '=' or '<'")
    value = _number(p, "p")
    if not 0 <= value <= 1:
        raise ValueError(f"p = {value} is outside [0, 1]")
    return ("< " if op == "<" else "") + bounded(value, decimals)


def p_text(p: float) -> str:
    """A p at four decimals without the leading zero (``.0187``), or in scientific notation below .0001
    (``3.2e-05``), where four decimals would print zero: for the ranges of recomputed p values."""
    value = _number(p, "p")
    if not 0 <= value <= 1:
        raise ValueError(f"p = {value} is outside [0, 1]")
    return bounded(value, 4) if value >= 0.0001 else sci(value, 1)


def percent(share: float, decimals: int = 0, *, symbol: bool = False) -> str:
    """A share (0.37 for 37 %) as a percentage: ``37``, or ``37%`` with ``symbol``. Shares outside 0-1
    (a 120 % change) are allowed; NaN is not."""
    return fixed(100 * _number(share, "share"), decimals) + ("%" if symbol else "")


def ci(low: float, high: float, decimals: int = 2, *, leading_zero: bool = True) -> str:
    """A confidence interval ``[0.12, 0.56]`` (``leading_zero=False``: ``[.12, .56]`` for bounded
    statistics such as r). ValueError when low > high."""
    lo, hi = _number(low, "low"), _number(high, "high")
    if lo > hi:
        raise ValueError(f"low = {lo} is above high = {hi}")
    one = fixed if leading_zero else bounded
    return f"[{one(lo, decimals)}, {one(hi, decimals)}]"


def span(low: float, high: float, decimals: int = 2) -> str:
    """A range in words, ``-0.41 to 0.97`` (the leading zero kept). ValueError when low > high."""
    lo, hi = _number(low, "low"), _number(high, "high")
    if lo > hi:
        raise ValueError(f"low = {lo} is above high = {hi}")
    return f"{fixed(lo, decimals)} to {fixed(hi, decimals)}"


def count(n: int) -> str:
    """A whole number with thousands separators: ``2,000``. ValueError for a fraction."""
    value = _number(n, "n")
    if value != int(value):
        raise ValueError(f"n = {n!r} is not a whole number")
    return f"{int(value):,}"


def sci(x: float, digits: int = 1) -> str:
    """``x`` in scientific notation with ``digits`` decimals of the mantissa: ``2.3e-08``."""
    value, d = _number(x), _decimals(digits, "digits")
    text = f"{value:.{d}e}"
    return MINUS + text[1:] if text.startswith("-") else text


def shortest(x: float) -> str:
    """Python's shortest general form of ``x`` (``format(x, "g")``: ``0.5``, ``2``, ``1e-05``)."""
    text = f"{_number(x):g}"
    return MINUS + text[1:] if text.startswith("-") else text


def signed(x: float, decimals: int = 2) -> str:
    """``x`` with an explicit sign, ``+0.12`` or ``-0.12``; zero prints unsigned (``0.00``)."""
    text = fixed(x, decimals)
    return text if text.startswith(MINUS) or float(text) == 0 else "+" + text


__all__ = ["MINUS", "bounded", "ci", "count", "fixed", "p_text", "p_value", "p_with_op", "percent", "sci",
           "shortest", "signed", "span"]
