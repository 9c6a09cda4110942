"""The path-model primer: counting moments, parameters and degrees of freedom, and reading fit indices.

Helpers of the chapter "Path models from regression", written so that a
student can check by hand what semopy and lavaan do:

* :func:`count_parameters`: sample moments, free parameters and df of an
  observed-variable path model written in lavaan-style syntax, under lavaan
  ``sem()``'s conventions (listwise: ``fixed.x = TRUE``; FIML: ``missing =
  "ml"``, ``fixed.x = FALSE``), checked against lavaan's stored df and npar;
* :func:`lavaan_fit_statistics`: the fit statistics of a model fitted with
  ``semopy.Model`` directly, under lavaan's conventions (semopy 2.3.11's
  ``calc_stats`` counts the exogenous moments as data, see
  :mod:`psyalliance.sem.fitstats`);
* :func:`load_cutoffs` and :func:`judge_fit`: the conventional cut-offs of
  Hu and Bentler (1999), kept once in ``data/fit_cutoffs.yaml``;
* :func:`rmsea_false_alarm`: how often a *correct* model would exceed an
  RMSEA cut-off, in closed form from the central chi-square.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from psyalliance.errors import InputError, ModelError
from psyalliance.sem import fitstats
from psyalliance.sem.fitstats import CUTOFFS_PATH, load_cutoffs  # noqa: F401  (re-exported for the primer)
from psyalliance.sem.syntax import ModelSyntax, read_syntax

__all__ = ["ESTIMATORS", "CUTOFFS_PATH", "ParameterCount", "count_parameters", "parameter_table",
           "lavaan_fit_statistics", "load_cutoffs", "judge_fit", "rmsea_false_alarm", "indirect_by_ols",
           "full_mediation_chisq", "REGRESSION_DIAGRAM", "MEDIATION_DIAGRAM", "DIAGRAM_NAMES", "DIAGRAM_RESIDUALS"]

ESTIMATORS = ("listwise", "fiml")
"""listwise: complete cases, exogenous moments fixed (lavaan ``fixed.x = TRUE``); fiml: every variable modelled."""

"""The conventional fit-index cut-offs with their source."""


@dataclass(frozen=True)
class ParameterCount:
    """The df count of a path model, term by term (all counts are non-negative integers except ``df``).

    ``moments``: sample variances and covariances p(p + 1)/2, plus the p means
    under FIML. ``exogenous_moments``: k(k + 1)/2 (co)variances of the k
    exogenous variables; with listwise deletion they are fixed at their sample
    values (neither data nor parameters), under FIML they are parameters.
    ``npar`` = paths + residual variances + residual covariances (+ exogenous
    (co)variances and the p means or intercepts under FIML). ``df`` = data
    moments - ``npar``; a model with df < 0 is not identified.
    """

    estimator: str
    variables: int
    exogenous: int
    endogenous: int
    moments: int
    exogenous_moments: int
    paths: int
    residual_variances: int
    residual_covariances: int
    exogenous_parameters: int
    means: int
    npar: int
    df: int

    @property
    def identified(self) -> bool:
        """The counting rule (df >= 0): necessary for identification; recursive models that pass it are identified."""
        return self.df >= 0

    def as_dict(self) -> dict[str, Any]:
        """The fields as a plain dictionary."""
        return asdict(self)


def _key(outcome: str, op: str, term: Any) -> str:
    """Equal labels share one parameter (an equality constraint); otherwise one key per statement."""
    return term.label or f"{outcome} {op} {term.var}"


def _free_covariances(spec: ModelSyntax) -> tuple[set[str], set[str]]:
    """Keys of the free residual variances written in the syntax and of the free residual covariances."""
    exo = set(spec.exogenous)
    variances, covariances = set(), set()
    for c in spec.covariances:
        if c.term.fixed is not None or {c.left, c.term.var} <= exo:
            continue  # fixed, or part of the exogenous block
        (variances if c.left == c.term.var else covariances).add(_key(c.left, "~~", c.term))
    covariances |= {f"{a} ~~ {b}" for a, b in spec.default_covariances()}
    return variances, covariances


def count_parameters(syntax: str, estimator: str = "listwise", name: str = "model") -> ParameterCount:
    """Moments, free parameters and degrees of freedom of a recursive path model, as lavaan ``sem()`` counts them.

    ``syntax``: lavaan-style (``y ~ a*x``, ``y1 ~~ y2``, ``0*x`` fixes a term);
    residual covariances of outcomes that predict nothing are free unless
    fixed (lavaan's ``auto.cov.y``). ``estimator``: ``"listwise"`` or ``"fiml"``.
    Raises :class:`~psyalliance.errors.ModelError` for an unknown
    estimator or syntax the package cannot read (the message names the line).
    """
    if estimator not in ESTIMATORS:
        raise ModelError(f"estimator {estimator!r} is not one of {', '.join(ESTIMATORS)}")
    spec = read_syntax(syntax, name)
    p, k = len(spec.observed), len(spec.exogenous)
    paths = {_key(r.outcome, "~", r.term) for r in spec.regressions if r.term.fixed is None}
    fixed_variances = {c.left for c in spec.covariances if c.left == c.term.var and c.term.fixed is not None}
    written_variances, covariances = _free_covariances(spec)
    residual_variances = len([y for y in spec.endogenous if y not in fixed_variances])
    residual_variances += len(written_variances - {f"{y} ~~ {y}" for y in spec.endogenous})
    fiml = estimator == "fiml"
    moments = p * (p + 1) // 2 + (p if fiml else 0)
    exo_moments = k * (k + 1) // 2
    exo_par = exo_moments if fiml else 0
    means = p if fiml else 0
    npar = len(paths) + residual_variances + len(covariances) + exo_par + means
    data_moments = moments if fiml else moments - exo_moments
    return ParameterCount(estimator, p, k, len(spec.endogenous), moments, exo_moments, len(paths),
                          residual_variances, len(covariances), exo_par, means, npar, data_moments - npar)


def parameter_table(models: dict[str, str], estimator: str = "listwise") -> pd.DataFrame:
    """One row per model (index = model name) with the columns of :class:`ParameterCount` and ``identified``."""
    rows = {}
    for name, syntax in models.items():
        count = count_parameters(syntax, estimator, name)
        rows[name] = {**count.as_dict(), "identified": count.identified}
    return pd.DataFrame.from_dict(rows, orient="index").drop(columns="estimator")


def lavaan_fit_statistics(model: Any, data: pd.DataFrame) -> dict[str, float]:
    """Fit statistics of a ``semopy.Model`` fitted to complete ``data``, under lavaan's listwise conventions.

    ``model``: a fitted ``semopy.Model`` (not ``ModelMeans``) of observed
    variables; ``data``: the complete rows it was fitted to (NaN refused).
    Uses the model-implied covariance matrix and semopy's free parameters;
    the exogenous (co)variances are fixed at their sample values (lavaan
    ``fixed.x = TRUE``), so they count neither as data nor as parameters.
    Returns :data:`psyalliance.sem.fitstats.FIT_KEYS` plus ``npar`` and the RMSEA
    90% interval (``rmsea_ci_lower``, ``rmsea_ci_upper``).
    """
    if type(model).__name__ != "Model" or getattr(model, "last_result", None) is None:
        raise ModelError(f"expected a fitted semopy.Model (call .fit(data) first), got {type(model).__name__}")
    observed = list(model.vars["observed"])
    absent = [v for v in observed if v not in data.columns]
    if absent:
        raise InputError(f"the data lack the model's column(s) {', '.join(absent)}")
    x = data[observed].to_numpy(dtype=float)
    if np.isnan(x).any():
        raise InputError("lavaan_fit_statistics needs the complete rows the model was fitted to; "
                         f"{int(np.isnan(x).any(axis=1).sum())} row(s) have a missing value (use data.dropna())")
    sigma = model.calc_sigma()[0]
    exo = [observed.index(v) for v in model.vars["exogenous"] if v in observed]
    npar = sum(1 for prm in model.parameters.values() if prm.active)
    m = fitstats.fit_measures_listwise(x, sigma, npar=npar, exogenous=exo)
    return {**m.as_dict(), "npar": m.npar, "rmsea_ci_lower": m.rmsea_ci_lower, "rmsea_ci_upper": m.rmsea_ci_upper}


def judge_fit(fit: dict[str, float], cutoffs: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each index of ``fit`` next to its conventional cut-off: value, cutoff, direction, ``meets`` (bool or NA).

    ``fit``: a mapping with the keys of the cut-offs (``cfi``, ``tli``,
    ``rmsea``, ``srmr``). A value that is NaN (for example the CFI of a model
    whose baseline fits perfectly) gets ``meets`` = NA, not False.
    """
    cutoffs = load_cutoffs() if cutoffs is None else cutoffs
    absent = [i for i in cutoffs["index"] if i not in fit]
    if absent:
        raise InputError(f"the fit statistics lack {', '.join(absent)}; have {', '.join(map(str, fit))}")
    out = cutoffs[["index", "cutoff", "direction"]].copy()
    out.insert(1, "value", [float(fit[i]) for i in out["index"]])
    meets = [pd.NA if np.isnan(v) else bool(v >= c if d == ">=" else v <= c)
             for v, c, d in zip(out["value"], out["cutoff"], out["direction"])]
    out["meets"] = pd.array(meets, dtype="boolean")
    return out


def rmsea_false_alarm(df: int, n: int, cutoff: float) -> float:
    """P(RMSEA > cutoff) for a correctly specified model: chi-square ~ central chi-square(df), N = ``n``.

    RMSEA = sqrt(max(chi2 - df, 0) / (N df)) exceeds ``cutoff`` when
    chi2 > df (1 + N cutoff^2), so the probability is the chi-square(df)
    survival function there (a proportion, 0-1). ``df`` >= 1, ``n`` >= 2,
    ``cutoff`` > 0.
    """
    if int(df) != df or df < 1:
        raise InputError(f"df must be a positive integer, got {df!r}")
    if int(n) != n or n < 2:
        raise InputError(f"n must be an integer of at least 2, got {n!r}")
    if not cutoff > 0:
        raise InputError(f"cutoff must be positive, got {cutoff!r}")
    return float(stats.chi2.sf(df * (1 + n * cutoff**2), df))


def indirect_by_ols(data: pd.DataFrame, x: str, mediator: str, y: str, covariates: list[str] | None = None) -> float:
    """The indirect effect a * b of ``x`` on ``y`` through ``mediator``, from two OLS regressions (numpy lstsq).

    ``a``: slope of ``x`` in ``mediator ~ x``; ``b``: slope of ``mediator`` in
    ``y ~ x + mediator + covariates``; both on the rows complete in every
    variable named. In units of ``y`` per unit of ``x`` (for the book's
    variables, GRID-HAMD points, 0-52, per alliance item-mean point, 1-5).
    """
    columns = list(dict.fromkeys([x, mediator, y, *(covariates or [])]))
    absent = [c for c in columns if c not in data.columns]
    if absent:
        raise InputError(f"the data lack column(s) {', '.join(absent)}")
    rows = data[columns].dropna().astype(float)
    if len(rows) < len(columns) + 1:
        raise InputError(f"{len(rows)} complete row(s) for {len(columns)} variables; need at least {len(columns) + 1}")

    def slope(outcome: str, predictors: list[str], of: str) -> float:
        design = np.column_stack([np.ones(len(rows)), rows[predictors].to_numpy()])
        coef = np.linalg.lstsq(design, rows[outcome].to_numpy(), rcond=None)[0]
        return float(coef[1 + predictors.index(of)])

    others = [c for c in columns if c not in (x, mediator, y)]
    return slope(mediator, [x], x) * slope(y, [x, mediator, *others], mediator)


M1_FULL_MEDIATION = """
mystical_peak ~ a1*alliance_prep
insight_peak ~ a2*alliance_prep
hamd_4wk ~ b1*mystical_peak + b2*insight_peak
mystical_peak ~~ insight_peak
"""
"""M1 without its direct path (alliance_prep -> hamd_4wk): the model of the primer's third exercise."""


def full_mediation_chisq(data: pd.DataFrame) -> float:
    """Chi-square (lavaan conventions, 1 df) of ``M1_FULL_MEDIATION`` fitted with ``semopy.Model`` to the complete rows."""
    import semopy

    model = semopy.Model(M1_FULL_MEDIATION)
    observed = list(model.vars["observed"])
    absent = [c for c in observed if c not in data.columns]
    if absent:
        raise InputError(f"the data lack column(s) {', '.join(absent)}")
    rows = data[observed].dropna()
    model.fit(rows)
    return float(lavaan_fit_statistics(model, rows)["chisq"])


REGRESSION_DIAGRAM = "hamd_4wk ~ c*alliance_prep + b*mystical_peak"
"""The primer's first diagram: one regression, depression at 4 weeks on the alliance and the mystical experience."""

MEDIATION_DIAGRAM = """
mystical_peak ~ a*alliance_prep
hamd_4wk ~ b*mystical_peak + c*alliance_prep
"""
"""The primer's mediation with a direct path (two regressions), drawn as a triangle."""

DIAGRAM_NAMES = {"c": "c′"}
"""How the primer prints the path labels of its diagrams (the direct path is c′, as in its equations)."""

DIAGRAM_RESIDUALS = {"mystical_peak": "e_m", "hamd_4wk": "e_y"}
"""The residuals of the primer's equations, by outcome."""
