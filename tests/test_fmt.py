"""psyalliance.fmt: the printed numbers. Every expected string is written by hand from the APA rules (7th
edition, 6.36: no leading zero for a value that cannot exceed 1; p to two or three decimals, "p < .001" below
.001) and the decisions in the module's docstring (no negative zero, ASCII minus)."""

import math

import numpy as np
import pytest

from psyalliance import fmt


@pytest.mark.parametrize("x, decimals, expected", [
    (0.3449, 2, "0.34"), (-1.2, 2, "-1.20"), (12.0, 0, "12"), (2.5, 0, "2"), (3.5, 0, "4"),  # half to even
    (0.0005, 3, "0.001"), (0.9995, 3, "1.000"), (0.0195, 3, "0.019"),  # binary 0.0005 and 0.9995 lie above
    # the half (0.000500000000000000010..., 0.999500000000000055...), binary 0.0195 below it (0.019499999...)
    (-0.0004, 3, "0.000"), (-0.004, 2, "0.00"), (-0.006, 2, "-0.01"), (np.float64(0.125), 2, "0.12"),
    (np.int64(24), 1, "24.0"),
])
def test_fixed_keeps_the_leading_zero_and_never_prints_minus_zero(x, decimals, expected):
    assert fmt.fixed(x, decimals) == expected


@pytest.mark.parametrize("x, decimals, expected", [
    (0.65, 2, ".65"), (-0.65, 2, "-.65"), (0.05, 2, ".05"), (0.05, 3, ".050"), (0.95, 2, ".95"),
    (0.9996, 3, "1.000"), (1.0, 2, "1.00"), (-1.0, 2, "-1.00"), (-0.0004, 3, ".000"), (0.0, 2, ".00"),
    (-0.38, 3, "-.380"),
])
def test_bounded_drops_the_leading_zero(x, decimals, expected):
    assert fmt.bounded(x, decimals) == expected


def test_bounded_shortest_for_set_constants():
    assert fmt.bounded(0.05, None) == ".05" and fmt.bounded(0.95, None) == ".95" and fmt.bounded(-0.5, None) == "-.5"
    assert fmt.bounded(1.0, None) == "1" and fmt.bounded(-0.0, None) == "0"


@pytest.mark.parametrize("p, expected", [
    (0.02, ".020"), (0.0205, ".021"), (0.049, ".049"), (0.001, ".001"), (0.0009996, "< .001"),
    (0.0009, "< .001"), (0.0005, "< .001"), (0.0, "< .001"), (0.9996, "1.000"), (1.0, "1.000"),
])
def test_p_value_apa(p, expected):
    assert fmt.p_value(p) == expected


def test_p_value_at_two_decimals_says_below_point_01():
    assert fmt.p_value(0.004, 2) == "< .01"
    assert fmt.p_value(0.04, 2) == ".04"


def test_published_p_keeps_its_printed_operator():
    assert fmt.p_with_op(0.001, "<") == "< .001"
    assert fmt.p_with_op(0.02, "=") == ".020"
    with pytest.raises(ValueError, match="op = '>'"):
        fmt.p_with_op(0.02, ">")


@pytest.mark.parametrize("p, expected", [(0.01874, ".0187"), (0.0001, ".0001"), (0.00009, "9.0e-05"),
                                         (3.2e-5, "3.2e-05"), (0.2, ".2000")])
def test_p_text_four_decimals_or_scientific(p, expected):
    assert fmt.p_text(p) == expected


def test_percent_ci_span_count_sci_shortest_signed():
    assert fmt.percent(0.37) == "37"
    assert fmt.percent(0.375, 1, symbol=True) == "37.5%"
    assert fmt.percent(1.2) == "120"
    assert fmt.ci(0.123, 0.567) == "[0.12, 0.57]"
    assert fmt.ci(-0.65, -0.1, leading_zero=False) == "[-.65, -.10]"
    assert fmt.span(-0.414, 0.97) == "-0.41 to 0.97"
    assert fmt.count(2000) == "2,000" and fmt.count(np.int64(1000000)) == "1,000,000" and fmt.count(24.0) == "24"
    assert fmt.sci(2.34e-8) == "2.3e-08" and fmt.sci(-0.00031, 2) == "-3.10e-04"
    assert fmt.shortest(0.5) == "0.5" and fmt.shortest(2.0) == "2" and fmt.shortest(0.00001) == "1e-05"
    assert fmt.signed(0.12) == "+0.12" and fmt.signed(-0.12) == "-0.12" and fmt.signed(-0.001) == "0.00"


def test_the_minus_is_ascii():
    assert fmt.MINUS == "-" and fmt.fixed(-1.5, 1) == "-1.5"


@pytest.mark.parametrize("call, message", [
    (lambda: fmt.fixed(0.5, -1), r"decimals = -1; give a whole number from 0 to 15"),
    (lambda: fmt.fixed(0.5, 2.0), r"decimals = 2.0"),
    (lambda: fmt.fixed(0.5, True), r"decimals = True"),
    (lambda: fmt.fixed(math.nan), r"x = nan is not a finite number"),
    (lambda: fmt.fixed(math.inf), r"x = inf is not a finite number"),
    (lambda: fmt.fixed("0.5"), r"x = '0.5' is not a number"),
    (lambda: fmt.bounded(1.2), r"x = 1.2 is outside \[-1, 1\]"),
    (lambda: fmt.p_value(1.5), r"p = 1.5 is outside \[0, 1\]"),
    (lambda: fmt.p_value(-0.01), r"p = -0.01 is outside \[0, 1\]"),
    (lambda: fmt.p_value(np.nan), r"p = nan is not a finite number"),
    (lambda: fmt.p_text(2.0), r"p = 2.0 is outside \[0, 1\]"),
    (lambda: fmt.ci(0.5, 0.1), r"low = 0.5 is above high = 0.1"),
    (lambda: fmt.span(0.5, 0.1), r"low = 0.5 is above high = 0.1"),
    (lambda: fmt.count(2.5), r"n = 2.5 is not a whole number"),
    (lambda: fmt.sci(1.0, -2), r"digits = -2"),
    (lambda: fmt.percent(math.nan), r"share = nan"),
])
def test_bad_input_is_refused_by_name(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_fmt_is_a_ground_module():
    import ast
    from pathlib import Path

    tree = ast.parse(Path(fmt.__file__).read_text(encoding="utf-8"))
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not any(name.startswith("psyalliance") or name == "" for name in imported), imported
