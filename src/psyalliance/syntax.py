"""The package's one reader of lavaan-style model syntax (observed-variable path models).

:func:`read_model` turns syntax into statements and refuses, with a message
naming the line, everything the package cannot fit: empty or comment-only
syntax, measurement models (``=~``), defined parameters (``:=``),
constraints, fixed values (``0.5*x``), a term with more than one modifier (``a*b*x``), an empty side
of an operator, a self-loop (``y ~ y``) and a feedback cycle
(``y1 ~ y2`` with ``y2 ~ y1``): the book's estimators are for *recursive*
models only. Both multi-outcome spellings are read: ``y1 + y2 ~ x``
(lavaan) and ``y1, y2 ~ x`` (semopy).

Used by :func:`psyalliance.models.fit_model` (through its input check) and
:func:`psyalliance.paths.parse_model`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from psyalliance.validation import ModelError

__all__ = ["ModelSyntaxError", "Term", "Statement", "read_model", "regressions", "check_recursive"]

NAME = r"[A-Za-z_][\w.]*"
_TERM = re.compile(rf"^(?:(?P<mod>{NAME}|[-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)\s*\*\s*)?(?P<var>{NAME}|1)$")
_OPS = ("~~", "~")
_UNSUPPORTED = {"=~": "measurement models (latent variables)", ":=": "defined parameters", "~*~": "scaling factors",
                "==": "equality constraints", "<": "inequality constraints", ">": "inequality constraints",
                "|": "thresholds"}


class ModelSyntaxError(ModelError):
    """The model syntax cannot be read or describes a model the package cannot fit."""


@dataclass(frozen=True)
class Term:
    """One term of the right-hand side: ``modifier*variable`` (modifier: a label or None; fixed values are refused)."""

    variable: str
    modifier: str | None = None


@dataclass(frozen=True)
class Statement:
    """One line: ``lhs op rhs`` with op ``~`` (regression; variable ``1``: intercept) or ``~~`` (covariance)."""

    lhs: tuple[str, ...]
    op: str
    rhs: tuple[Term, ...]
    line: str
    number: int


def _side(text: str, line: str, number: int, where: str) -> list[str]:
    parts = [p.strip() for p in re.split(r"[+,]", text)]
    if not text.strip() or any(not p for p in parts):
        raise ModelSyntaxError(f"line {number} {line!r}: the {where} side of the operator has an empty term; "
                               "expected names joined by '+', e.g. 'y ~ x1 + x2'")
    return parts


def _term(text: str, line: str, number: int) -> Term:
    if text.count("*") > 1:
        raise ModelSyntaxError(f"line {number} {line!r}: the term {text!r} has {text.count('*')} '*'; a term takes at "
                               "most one modifier, a label as in 'a*x'")
    m = _TERM.match(text.replace(" ", ""))
    if not m:
        raise ModelSyntaxError(f"line {number} {line!r}: cannot parse the term {text!r}; expected a variable name "
                               "(letters, digits, '_', '.'), optionally with one label, as in 'a*x'")
    if m["mod"] is not None and not re.fullmatch(NAME, m["mod"]):
        raise ModelSyntaxError(f"line {number} {line!r}: the term {text!r} fixes a parameter at {m['mod']}; fixed "
                               "values are unsupported (every parameter of these path models is free); write a "
                               "label such as 'a*x', or leave the term out to fix the path at 0")
    return Term(m["var"], m["mod"])


def read_model(syntax: object, name: str = "model") -> tuple[Statement, ...]:
    """Read lavaan-style syntax into statements, refusing what the package cannot fit (see the module docstring).

    Raises :class:`ModelSyntaxError` (a :class:`~psyalliance.validation.ModelError`)
    naming the model, the line and what is wrong.
    """
    if not isinstance(syntax, str):
        raise ModelSyntaxError(f"model {name!r}: syntax must be a string of lavaan-style lines, got {type(syntax).__name__}")
    out = []
    for number, raw in enumerate(syntax.splitlines(), start=1):
        line = raw.split("#", 1)[0].split("!", 1)[0].strip()
        if not line:
            continue
        for stmt in re.split(r";", line):
            stmt = stmt.strip()
            if stmt:
                out.append(_statement(stmt, number, name))
    if not out:
        raise ModelSyntaxError(f"model {name!r}: the syntax is empty (or only comments); it needs at least one "
                               "regression line such as 'hamd_4wk ~ alliance_prep'")
    if not any(s.op == "~" and any(t.variable != "1" for t in s.rhs) for s in out):
        raise ModelSyntaxError(f"model {name!r}: the syntax has no regression (a line 'y ~ x'); a path model needs one")
    check_recursive(out, name)
    return tuple(out)


def _statement(line: str, number: int, name: str) -> Statement:
    for token, what in _UNSUPPORTED.items():
        if token in line:
            raise ModelSyntaxError(f"model {name!r}, line {number} {line!r}: {what} ({token!r}) are unsupported; "
                                   "only observed-variable path models ('y ~ x', 'y1 ~~ y2') can be fitted")
    op = next((o for o in _OPS if o in line), None)
    if op is None:
        raise ModelSyntaxError(f"model {name!r}, line {number} {line!r}: no operator; expected 'y ~ x1 + x2' "
                               "(regression) or 'y1 ~~ y2' (covariance)")
    lhs_text, rhs_text = line.split(op, 1)
    if "~" in rhs_text:
        raise ModelSyntaxError(f"model {name!r}, line {number} {line!r}: more than one operator on a line")
    lhs = _side(lhs_text, line, number, "left")
    for v in lhs:
        if not re.fullmatch(NAME, v):
            raise ModelSyntaxError(f"model {name!r}, line {number} {line!r}: {v!r} is not a variable name "
                                   "(letters, digits, '_', '.'; no modifier on the left of the operator)")
    rhs = tuple(_term(t, line, number) for t in _side(rhs_text, line, number, "right"))
    if op == "~~" and any(t.variable == "1" for t in rhs):
        raise ModelSyntaxError(f"model {name!r}, line {number} {line!r}: '1' is an intercept; write 'y ~ 1'")
    return Statement(tuple(lhs), op, rhs, line, number)


def regressions(statements: tuple[Statement, ...] | list[Statement]) -> list[tuple[str, str, str | None]]:
    """(outcome, predictor, modifier) of every regression path (intercepts left out), in syntax order."""
    return [(y, t.variable, t.modifier) for s in statements if s.op == "~" for y in s.lhs for t in s.rhs
            if t.variable != "1"]


def check_recursive(statements: tuple[Statement, ...] | list[Statement], name: str = "model") -> None:
    """Refuse self-loops (``y ~ y``) and feedback cycles among the regressions (the model must be recursive)."""
    edges: dict[str, set[str]] = {}
    for y, x, _ in regressions(statements):
        if x == y:
            line = next(s for s in statements if s.op == "~" and y in s.lhs and any(t.variable == y for t in s.rhs))
            raise ModelSyntaxError(f"model {name!r}, line {line.number} {line.line!r}: {y} is regressed on itself "
                                   "(a self-loop); a recursive path model has no variable among its own predictors")
        edges.setdefault(y, set()).add(x)
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(v: str) -> None:
        state[v] = 1
        stack.append(v)
        for x in sorted(edges.get(v, ())):
            if state.get(x) == 1:
                cycle = stack[stack.index(x):] + [x]
                raise ModelSyntaxError(
                    f"model {name!r} is not recursive: the regressions form the feedback cycle "
                    f"{' <- '.join(cycle)} (each variable predicted by the next); the package fits recursive "
                    "models only (no variable may depend on itself through other variables)")
            if state.get(x) is None:
                visit(x)
        stack.pop()
        state[v] = 2

    for v in sorted(edges):
        if state.get(v) is None:
            visit(v)
