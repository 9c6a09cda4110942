"""The package's one reader of lavaan-style model syntax for observed-variable path models.

Read by :func:`psyalliance.models.fit_model` (semopy fits) and
:func:`psyalliance.paths.parse_model` (batched OLS fits). Supported:

* regressions ``y ~ x1 + a*x2`` (``a`` a label; a number such as ``0*x2``
  fixes the path), an outcome may appear on several lines;
* several outcomes on one line, in both spellings: ``y1 + y2 ~ x`` (lavaan)
  and ``y1, y2 ~ x`` (semopy);
* (residual) covariances and variances ``y1 ~~ y2``, ``y1 ~~ 0*y2`` (fixed),
  ``y ~~ y``, with several variables on either side;
* comments after ``#`` or ``!``; statements separated by new lines or ``;``.

Not supported (a :class:`ModelError` names the line): latent variables
(``=~``), defined parameters (``:=``), constraints (``==``, ``<``, ``>``),
intercepts (``~ 1``), and modifiers other than one label or one number.
The reader only reads; which covariances are *free by default* (lavaan's
``auto.cov.y``) is :meth:`ModelSyntax.default_covariances`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

__all__ = ["ModelError", "Term", "Regression", "Covariance", "ModelSyntax", "read_syntax"]

_NAME = r"[A-Za-z_][A-Za-z0-9_.]*"
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_TERM = re.compile(rf"^(?:(?P<mod>{_NAME}|{_NUMBER})\s*\*\s*)?(?P<var>{_NAME})$")
_UNSUPPORTED = {"=~": "latent variables (=~)", ":=": "defined parameters (:=)", "==": "equality constraints (==)",
                "<": "inequality constraints (<)", ">": "inequality constraints (>)", "|": "thresholds (|)",
                "~*~": "scaling factors (~*~)"}


class ModelError(ValueError):
    """A model cannot be read or fitted: bad syntax, unknown name, missing columns, too little data."""


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


def _statements(syntax: str) -> list[str]:
    out = []
    for raw in syntax.splitlines():
        line = re.split(r"[#!]", raw, maxsplit=1)[0]
        out += [part.strip() for part in line.split(";") if part.strip()]
    return out


def _names(side: str, line: str) -> list[str]:
    parts = [p.strip() for p in re.split(r"[+,]", side)]
    if not all(re.fullmatch(_NAME, p) for p in parts):
        raise ModelError(f"cannot parse the left-hand side {side.strip()!r} of the model line {line!r}; expected "
                         "variable names joined by '+' (lavaan) or ',' (semopy)")
    return parts


def _term(text: str, line: str) -> Term:
    text = text.strip()
    if text == "1":
        raise ModelError(f"intercepts ('~ 1') are not supported; cannot fit the line {line!r}")
    m = _TERM.fullmatch(text)
    if not m:
        raise ModelError(f"cannot parse the term {text!r} in the model line {line!r}; expected 'x', 'label*x' or "
                         "'number*x' (one modifier)")
    mod = m["mod"]
    if mod is None:
        return Term(m["var"])
    if re.fullmatch(_NUMBER, mod):
        return Term(m["var"], fixed=float(mod))
    return Term(m["var"], label=mod)


def read_syntax(syntax: str) -> ModelSyntax:
    """Read lavaan-style syntax into a :class:`ModelSyntax`; :class:`ModelError` names any unreadable line.

    Raises for empty syntax, an unsupported operator (named), an unreadable
    variable name or term, and a model without a regression.
    """
    if not isinstance(syntax, str):
        raise ModelError(f"model syntax must be a string, got {type(syntax).__name__}")
    regs: list[Regression] = []
    covs: list[Covariance] = []
    for line in _statements(syntax):
        for op, what in _UNSUPPORTED.items():
            if op in line:
                raise ModelError(f"unsupported line {line!r}: only observed-variable path models are supported "
                                 f"({what} are not)")
        m = re.fullmatch(r"(.+?)\s*(~~|~)\s*(.+)", line)
        if not m:
            raise ModelError(f"cannot parse the model line {line!r}; expected 'y ~ x1 + x2' or 'y1 ~~ y2'")
        lhs, op, rhs = m.groups()
        left = _names(lhs, line)
        terms = [_term(t, line) for t in rhs.split("+")]
        for name in left:
            for t in terms:
                if op == "~":
                    regs.append(Regression(name, t))
                else:
                    covs.append(Covariance(name, t))
    if not regs:
        raise ModelError("the model syntax has no regression ('y ~ x'); "
                         + ("it is empty or only comments" if not covs else "only covariances were given"))
    return ModelSyntax(tuple(regs), tuple(covs))
