"""Readable names of the path labels and effects of the book's models, for tables, figures and legends.

Model syntax gives paths short labels (``a1*alliance_prep``) and effects are
named by products of them (``a1*b1``) or by kind (``total_4wk``). This module
is the one place that turns such a name into words, from the model syntax and
the readable variable names of :data:`psyalliance.study.instruments.LABELS`:

* a path: ``"a1: alliance, end of preparation -> peak mystical experience"``;
* an unlabelled path (named ``outcome~predictor`` as in
  :attr:`psyalliance.sem.paths.PathModel.paths`): the same without a label;
* a chain of paths (``a1*b1``): the variables along it, in order;
* an effect of :data:`psyalliance.sem.registry.EFFECTS` (``indirect``,
  ``total_4wk``, ...): its variables and its kind.
"""

from __future__ import annotations

import pandas as pd

from psyalliance.sem.registry import EFFECTS, MODELS
from psyalliance.sem.syntax import ModelSyntax, read_syntax
from psyalliance.study.instruments import LABELS

ARROW = " -> "
"""What joins the variables of a path in its readable name."""

__all__ = ["ARROW", "variable_name", "path_key", "path_name", "describe", "legend", "legend_table",
           "covariance_name", "with_path_names", "meanings"]


def variable_name(var: str) -> str:
    """The readable name of a dataset column (``"hamd_4wk"`` -> ``"depression, 4 wk"``); unknown names unchanged."""
    return LABELS.get(var, var)


def _spec(model: str, syntax: str | None) -> ModelSyntax:
    if syntax is None:
        if model not in MODELS:
            raise ValueError(f"model {model!r} is not registered; registered models: {', '.join(MODELS)} "
                             "(pass syntax= for another model)")
        syntax = MODELS[model]
    return read_syntax(syntax, model)


def path_key(spec: ModelSyntax, outcome: str, predictor: str) -> str:
    """The name of the path ``predictor -> outcome``: its label, else ``outcome~predictor``."""
    for r in spec.regressions:
        if r.outcome == outcome and r.term.var == predictor:
            return r.term.label or f"{outcome}~{predictor}"
    raise ValueError(f"the model has no path {predictor} -> {outcome}")


def _paths(spec: ModelSyntax) -> dict[str, tuple[str, str]]:
    """Path name -> (predictor, outcome), in the order of the syntax."""
    return {path_key(spec, r.outcome, r.term.var): (r.term.var, r.outcome) for r in spec.regressions}


def path_name(outcome: str, predictor: str, model: str = "", syntax: str | None = None) -> str:
    """``"a1: alliance, end of preparation -> peak mystical experience"`` for the path predictor -> outcome.

    ``model``: a name of :data:`psyalliance.sem.registry.MODELS`, or any name with
    ``syntax`` given. Unlabelled paths get no ``label:`` prefix.
    """
    spec = _spec(model, syntax)
    key = path_key(spec, outcome, predictor)
    words = variable_name(predictor) + ARROW + variable_name(outcome)
    return words if key == f"{outcome}~{predictor}" else f"{key}: {words}"


def _chain(paths: dict[str, tuple[str, str]], parts: list[str]) -> list[str] | None:
    """The variables along the chain of path names ``parts``, or None if they do not form one."""
    if not all(p in paths for p in parts):
        return None
    trail = [paths[parts[0]][0]]
    for p in parts:
        x, y = paths[p]
        if x != trail[-1]:
            return None
        trail.append(y)
    return trail


def _effect_words(model: str, name: str) -> str | None:
    for e in EFFECTS.get(model, ()):
        if e.name == name:
            x, y = variable_name(e.x), variable_name(e.y)
            if e.kind == "specific":
                return f"{x}{ARROW}{variable_name(e.via)}{ARROW}{y}"
            return {"direct": f"{x}{ARROW}{y}, direct path",
                    "indirect": f"{x}{ARROW}{y}, all indirect paths together",
                    "total": f"{x}{ARROW}{y}, total effect (direct + all indirect)"}[e.kind]
    return None


def describe(name: str, model: str, syntax: str | None = None) -> str:
    """The readable name of a path, a chain of paths or an effect of ``model``, prefixed with ``name:``.

    ``name``: a path name (``"a1"``, ``"hamd_3mo~hamd_4wk"``), a chain
    (``"a2*b2*d1"``) or an effect of :data:`psyalliance.sem.registry.EFFECTS`
    (``"total_4wk"``). Raises ValueError naming the valid names otherwise.
    """
    spec = _spec(model, syntax)
    paths = _paths(spec)
    trail = [*paths[name]] if name in paths else _chain(paths, name.split("*"))
    words = ARROW.join(variable_name(v) for v in trail) if trail else _effect_words(model, name)
    if words is None:
        raise ValueError(f"{name!r} is neither a path, a chain of paths nor an effect of model {model!r}; "
                         f"its paths: {', '.join(paths)}")
    return f"{name}: {words}"


def legend(names, model: str, syntax: str | None = None) -> list[str]:
    """:func:`describe` of each name, in order, duplicates dropped."""
    return [describe(n, model, syntax) for n in dict.fromkeys(names)]


def legend_table(model: str, syntax: str | None = None) -> pd.DataFrame:
    """Every path of ``model`` (rows in the order of the syntax): ``label``, ``from``, ``to`` and ``meaning``."""
    spec = _spec(model, syntax)
    rows = [{"label": k, "from": variable_name(x), "to": variable_name(y), "meaning": describe(k, model, syntax)}
            for k, (x, y) in _paths(spec).items()]
    return pd.DataFrame(rows)


def covariance_name(left: str, right: str) -> str:
    """``"residual variance of depression, 4 wk"`` or ``"residual covariance of peak mystical experience and peak insight"``."""
    if left == right:
        return f"residual variance of {variable_name(left)}"
    return f"residual covariance of {variable_name(left)} and {variable_name(right)}"


def with_path_names(table: pd.DataFrame, model: str, syntax: str | None = None) -> pd.DataFrame:
    """A copy of ``table`` (regression rows with ``lval`` and ``rval`` columns) with a readable ``path`` column first.

    For the estimates and comparison tables of :mod:`psyalliance.sem.models`;
    raises ValueError if a row is not a path of ``model``.
    """
    missing = [c for c in ("lval", "rval") if c not in table.columns]
    if missing:
        raise ValueError(f"the table needs columns lval and rval; missing: {', '.join(missing)}")
    out = table.copy()
    out.insert(0, "path", [path_name(y, x, model, syntax) for y, x in zip(out["lval"], out["rval"])])
    return out


def meanings(names, models) -> list[str]:
    """The words of :func:`describe` without the ``name:`` prefix, one per (name, model) pair.

    ``models``: one model name per name, or a single model name for all. For a
    legend column next to an ``effect`` column (Monte Carlo and effects tables).
    """
    names = list(names)
    models = [models] * len(names) if isinstance(models, str) else list(models)
    if len(models) != len(names):
        raise ValueError(f"{len(names)} names but {len(models)} models; give one model per name or a single model")
    return [describe(n, m).split(": ", 1)[1] for n, m in zip(names, models)]
