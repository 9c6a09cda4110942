"""The package's one reader of lavaan-style model syntax for observed-variable path models.

Read by :func:`psyalliance.sem.models.fit_model` (semopy fits) and
:func:`psyalliance.sem.paths.parse_model` (batched OLS fits). Supported:

* regressions ``y ~ x1 + a*x2`` (``a`` a label; a number such as ``0*x2``
  fixes the path), an outcome may appear on several lines;
* several outcomes on one line, in both spellings: ``y1 + y2 ~ x`` (lavaan)
  and ``y1, y2 ~ x`` (semopy);
* (residual) covariances and variances ``y1 ~~ y2``, ``y1 ~~ 0*y2`` (fixed),
  ``y ~~ y``, with several variables on either side;
* comments after ``#`` or ``!``; statements separated by new lines or ``;``.

Refused (a :class:`ModelSyntaxError`, a :class:`~psyalliance.errors.ModelError`,
names the model and the line): empty or comment-only syntax, a model without a
regression, latent variables (``=~``), defined parameters (``:=``), constraints
(``==``, ``<``, ``>``), intercepts (``~ 1``), an empty term (``y ~ x +``), more
than one modifier (``a*b*x``), a self-loop (``y ~ y``) and a feedback cycle
(``y1 ~ y2`` with ``y2 ~ y1``): the book's estimators are for *recursive* models.
The reader only reads; which covariances are *free by default* (lavaan's
``auto.cov.y``) is :meth:`ModelSyntax.default_covariances`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from psyalliance.errors import ModelError

__all__ = ["ModelError", "ModelSyntaxError", "Term", "Regression", "Covariance", "ModelSyntax", "read_syntax",
           "regressions", "check_recursive"]

_NAME = r"[A-Za-z_][A-Za-z0-9_.]*"
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_TERM = re.compile(rf"^(?:(?P<mod>{_NAME}|{_NUMBER})\s*\*\s*)?(?P<var>{_NAME})$")
_UNSUPPORTED = {"=~": "latent variables (=~)", ":=": "defined parameters (:=)", "==": "equality constraints (==)",
                "<": "inequality constraints (<)", ">": "inequality constraints (>)", "|": "thresholds (|)",
                "~*~": "scaling factors (~*~)"}


class ModelSyntaxError(ModelError):
    """The model syntax cannot be read or describes a model the package cannot fit."""


@dataclass(frozen=True)
class Term:
    """One right-hand-side term: a variable with an optional label or fixed value."""

    var: str
    label: str | None = None
    fixed: float | None = None


@dataclass(frozen=True)
class Regression:
    """A path ``outcome ~ term``."""

    outcome: str
    term: Term


@dataclass(frozen=True)
class Covariance:
    """A (residual) covariance or variance ``left ~~ term`` (``left == term.var``: a variance)."""

    left: str
    term: Term

    @property
    def pair(self) -> frozenset[str]:
        return frozenset((self.left, self.term.var))


@dataclass(frozen=True)
class ModelSyntax:
    """The statements of a model, in the order written (one per outcome-predictor or variable pair)."""

    regressions: tuple[Regression, ...]
    covariances: tuple[Covariance, ...]

    @cached_property
    def endogenous(self) -> tuple[str, ...]:
        """Variables with a regression, in order of first appearance."""
        return tuple(dict.fromkeys(r.outcome for r in self.regressions))

    @cached_property
    def observed(self) -> tuple[str, ...]:
        """Every variable named, in order of first appearance."""
        names: list[str] = []
        for r in self.regressions:
            names += [r.outcome, r.term.var]
        for c in self.covariances:
            names += [c.left, c.term.var]
        return tuple(dict.fromkeys(names))

    @cached_property
    def exogenous(self) -> tuple[str, ...]:
        """Variables without a regression of their own, in order of first appearance."""
        return tuple(v for v in self.observed if v not in self.endogenous)

    @cached_property
    def pure_outcomes(self) -> tuple[str, ...]:
        """Endogenous variables that predict nothing (lavaan's ``ov.y``)."""
        predictors = {r.term.var for r in self.regressions}
        return tuple(v for v in self.endogenous if v not in predictors)

    def predictors(self, outcome: str) -> tuple[str, ...]:
        """The predictors of ``outcome`` in the order written."""
        return tuple(r.term.var for r in self.regressions if r.outcome == outcome)

    def default_covariances(self) -> tuple[tuple[str, str], ...]:
        """Residual covariances lavaan's ``sem()`` frees without being asked (``auto.cov.y = TRUE``).

        Every pair of pure outcomes (:attr:`pure_outcomes`) whose covariance the
        syntax does not mention; a pair written with a fixed value (``y1 ~~ 0*y2``)
        stays as written.
        """
        written = {c.pair for c in self.covariances}
        pure = self.pure_outcomes
        return tuple((a, b) for i, a in enumerate(pure) for b in pure[i + 1:] if frozenset((a, b)) not in written)


def _statements(syntax: str) -> list[tuple[int, str]]:
    """(line number, statement) for every statement, comments and blank lines dropped."""
    out = []
    for number, raw in enumerate(syntax.splitlines(), start=1):
        line = re.split(r"[#!]", raw, maxsplit=1)[0]
        out += [(number, part.strip()) for part in line.split(";") if part.strip()]
    return out


def _statement(line: str) -> tuple[list[Regression], list[Covariance]]:
    for op, what in _UNSUPPORTED.items():
        if op in line:
            raise ModelSyntaxError(f"{what} are unsupported; only observed-variable path models "
                                   "('y ~ x', 'y1 ~~ y2') can be fitted")
    m = re.fullmatch(r"(.+?)\s*(~~|~)\s*(.+)", line)
    if not m:
        raise ModelSyntaxError("no operator, or nothing on one side of it; expected 'y ~ x1 + x2' (regression) "
                               "or 'y1 ~~ y2' (covariance)")
    lhs, op, rhs = m.groups()
    left = _names(lhs, line)
    terms = [_term(t, line) for t in rhs.split("+")]
    regs: list[Regression] = []
    covs: list[Covariance] = []
    for outcome in left:
        for t in terms:
            if op == "~" and t.var == outcome:
                raise ModelSyntaxError(f"{outcome} is regressed on itself (a self-loop); a recursive path model "
                                       "has no variable among its own predictors")
            (regs if op == "~" else covs).append(Regression(outcome, t) if op == "~" else Covariance(outcome, t))
    return regs, covs


def _names(side: str, line: str) -> list[str]:
    parts = [p.strip() for p in re.split(r"[+,]", side)]
    if any(not p for p in parts):
        raise ModelSyntaxError("an empty term on the left of the operator; expected "
                               "names joined by '+', e.g. 'y1 + y2 ~ x'")
    if not all(re.fullmatch(_NAME, p) for p in parts):
        raise ModelSyntaxError(f"cannot parse the left-hand side {side.strip()!r} of the model line {line!r}; expected "
                         "variable names joined by '+' (lavaan) or ',' (semopy)")
    return parts


def _term(text: str, line: str) -> Term:
    text = text.strip()
    if not text:
        raise ModelSyntaxError("an empty term on the right of the operator; expected "
                               "names joined by '+', e.g. 'y ~ x1 + x2'")
    if text.count("*") > 1:
        raise ModelSyntaxError(f"the term {text!r} has {text.count('*')} '*'; a term takes "
                               "at most one modifier, a label as in 'a*x' or a fixed value as in '0*x'")
    if text == "1":
        raise ModelSyntaxError(f"intercepts ('~ 1') are not supported; cannot fit the line {line!r}")
    m = _TERM.fullmatch(text)
    if not m:
        raise ModelSyntaxError(f"cannot parse the term {text!r} in the model line {line!r}; expected 'x', 'label*x' or "
                         "'number*x' (one modifier)")
    mod = m["mod"]
    if mod is None:
        return Term(m["var"])
    if re.fullmatch(_NUMBER, mod):
        return Term(m["var"], fixed=float(mod))
    return Term(m["var"], label=mod)


def read_syntax(syntax: str, name: str = "model") -> ModelSyntax:
    """Read lavaan-style syntax into a :class:`ModelSyntax`; :class:`ModelError` names any unreadable line.

    Raises for empty syntax, an unsupported operator (named), an unreadable
    variable name or term, and a model without a regression.
    """
    if not isinstance(syntax, str):
        raise ModelSyntaxError(f"model {name!r}: syntax must be a string of lavaan-style lines, got "
                               f"{type(syntax).__name__}")
    regs: list[Regression] = []
    covs: list[Covariance] = []
    for number, line in _statements(syntax):
        try:
            r, c = _statement(line)
        except ModelSyntaxError as exc:
            raise ModelSyntaxError(f"model {name!r}, line {number} {line!r}: {exc}") from None
        regs += r
        covs += c
    if not regs and not covs:
        raise ModelSyntaxError(f"model {name!r}: the syntax is empty (or only comments); it needs at least one "
                               "regression line such as 'hamd_4wk ~ alliance_prep'")
    if not regs:
        raise ModelSyntaxError(f"model {name!r}: the syntax has no regression (a line 'y ~ x'), only covariances; "
                               "a path model needs one")
    spec = ModelSyntax(tuple(regs), tuple(covs))
    check_recursive(spec, name)
    return spec


def regressions(spec: ModelSyntax) -> list[tuple[str, str, str | None]]:
    """(outcome, predictor, label) of every regression path, in syntax order."""
    return [(r.outcome, r.term.var, r.term.label) for r in spec.regressions]


def check_recursive(spec: ModelSyntax, name: str = "model") -> None:
    """Refuse self-loops (``y ~ y``) and feedback cycles among the regressions (the model must be recursive)."""
    edges: dict[str, set[str]] = {}
    for r in spec.regressions:
        if r.term.var == r.outcome:
            raise ModelSyntaxError(f"model {name!r}: {r.outcome} is regressed on itself ('{r.outcome} ~ "
                                   f"{r.outcome}', a self-loop); a recursive path model has no variable among its "
                                   "own predictors")
        edges.setdefault(r.outcome, set()).add(r.term.var)
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
