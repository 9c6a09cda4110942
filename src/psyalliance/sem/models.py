"""Fitting the path models with semopy: :func:`fit_model`, its result, and the chapters' tables of a fit.

Each model of :data:`psyalliance.sem.registry.MODELS` is a *reconstruction* consistent with the published findings of
Levin et al. (2024); the paper's own models are not known. Variables are the
scale scores of the simulated dataset: alliance item means (1-5), MEQ30 and
PIQ item means (0-5), GRID-HAMD totals (0-52).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from psyalliance.errors import ModelError
from psyalliance.sem import fitstats, mlfit
from psyalliance.sem.mlfit import saturated_moments
from psyalliance.sem.pathlabels import covariance_name, with_path_names
from psyalliance.sem.registry import MODELS
from psyalliance.sem.syntax import ModelSyntax, ModelSyntaxError, Term, read_syntax
from psyalliance.study.datacheck import check_data, check_variation

MISSING_OPTIONS = ("listwise", "fiml")
"""How :func:`fit_model` treats missing values."""

ESTIMATE_COLUMNS = ("lval", "op", "rval", "estimate", "std_estimate", "se", "z", "p")
"""Columns of ``FitResult.estimates``."""

TOLERANCE = 1e-12
"""Convergence tolerance passed to scipy's SLSQP through semopy (its default is about 1e-4 off)."""

POLISH_OPTIONS = {"gtol": 1e-12, "xtol": 1e-14, "maxiter": 1000}
"""Options of the polishing fit (scipy ``trust-constr``) that starts where SLSQP stopped.

It runs only when SLSQP's point fails :func:`check_optimum`; if the polish fails or ends
with a worse objective, SLSQP's solution is kept."""


class ConvergenceError(ModelError):
    """The optimizer did not converge."""


class _SemopyStats:
    """The ``semopy_stats`` field of :class:`FitResult`: given, or ``semopy.calc_stats(model)`` on first read.

    ``calc_stats`` refits semopy's baseline model, which takes longer than the fit itself, so a fit
    that is never compared with semopy does not pay for it. (A data descriptor: the frozen
    dataclass's ``__init__`` stores the value through :meth:`__set__`; the default is this object.)
    """

    _slot = "_semopy_stats_value"

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self  # the dataclass default
        value = obj.__dict__.get(self._slot, self)
        if value is self:
            value = obj.__dict__[self._slot] = _semopy_stats(obj.model)
        return value

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__[self._slot] = value


@dataclass(frozen=True)
class FitResult:
    """A fitted path model.

    ``estimates``: one row per free parameter (lavaan-style ``lval op rval``;
    intercepts as ``y ~1``), unstandardized ``estimate``, ``std_estimate``
    (lavaan's std.all: both variables standardized with model-implied
    variances; residual (co)variances as residual correlations / proportions
    of unexplained variance), ``se`` (listwise: from the expected
    information with the exogenous block fixed, lavaan's default; FIML: from the observed information of the FIML
    log-likelihood, lavaan's default for ``missing = "ml"``), ``z``,
    two-sided normal ``p``. Parameters fixed by the syntax (``0*x``) are not
    listed, as in lavaan's ``parameterEstimates(remove.nonfree = TRUE)``. ``fit``: the lavaan-convention statistics of
    :data:`psyalliance.sem.fitstats.FIT_KEYS`. ``r2``: R-squared of each
    endogenous variable. ``semopy_stats``: what ``semopy.calc_stats`` reports
    for the same fit, for comparison only (computed when first read).
    """

    name: str
    syntax: str
    missing: str
    estimates: pd.DataFrame
    fit: Mapping[str, float]
    r2: pd.Series
    measures: fitstats.FitMeasures
    observed: tuple[str, ...]
    exogenous: tuple[str, ...]
    endogenous: tuple[str, ...]
    implied_cov: pd.DataFrame
    implied_mean: pd.Series | None
    data: pd.DataFrame = field(repr=False)
    model: Any = field(repr=False)
    semopy_stats: pd.Series = field(default=_SemopyStats(), repr=False)

    @property
    def n(self) -> int:
        """Number of cases used."""
        return int(self.fit["n"])

    def r2_table(self) -> pd.DataFrame:
        """R-squared and adjusted R-squared of each endogenous variable (rows), with k and n.

        Adjusted R-squared = 1 - (1 - R^2) (n - 1) / (n - k - 1) for an equation
        with k predictors on n cases (for a FIML fit, n counts every case used,
        so the adjustment is only approximate there). Both are proportions
        (0-1; the adjusted one can fall below 0).
        """
        reg = self.estimates[self.estimates.op == "~"]
        k = reg.groupby("lval")["rval"].size().reindex(list(self.r2.index)).fillna(0).astype(int)
        n = self.n
        adj = 1 - (1 - self.r2) * (n - 1) / (n - k - 1).where(n - k - 1 > 0)
        return pd.DataFrame({"R-squared": self.r2, "adjusted R-squared": adj, "k": k, "n": n})


def model_variables(syntax: str) -> tuple[list[str], list[str], list[str]]:
    """(observed, endogenous, exogenous) variable names of an observed-variable path model.

    Read by :func:`psyalliance.sem.syntax.read_syntax`, the package's one syntax
    reader; raises :class:`~psyalliance.errors.ModelError` for measurement (``=~``) or other
    operators this package does not support.
    """
    spec = read_syntax(syntax)
    return list(spec.observed), list(spec.endogenous), list(spec.exogenous)


def _term_text(term: Term) -> str:
    if term.fixed is not None:
        return f"{term.fixed!r}*{term.var}"
    return f"{term.label}*{term.var}" if term.label else term.var


def semopy_description(spec: ModelSyntax, missing: str = "listwise") -> str:
    """The model as semopy reads it, with lavaan ``sem()``'s default free parameters written out.

    One line per outcome (``y ~ a*x + z``), the covariances as written, then
    the residual covariances of the pure outcomes that lavaan frees by default
    (``auto.cov.y``) and, for ``missing="fiml"`` (``fixed.x = FALSE``), the
    (co)variances of the exogenous variables.
    """
    lines = [f"{y} ~ " + " + ".join(_term_text(r.term) for r in spec.regressions if r.outcome == y)
             for y in spec.endogenous]
    lines += [f"{c.left} ~~ {_term_text(c.term)}" for c in spec.covariances]
    lines += [f"{a} ~~ {b}" for a, b in spec.default_covariances()]
    if missing == "fiml":
        written = {c.pair for c in spec.covariances}
        exo = spec.exogenous
        lines += [f"{a} ~~ {b}" for i, a in enumerate(exo) for b in exo[i:] if frozenset((a, b)) not in written]
    return "\n".join(lines) + "\n"


def _check_fixed_values(spec: ModelSyntax, name: str) -> None:
    """Only zeros may be fixed (a path or covariance left out); other fixed values raise :class:`ModelSyntaxError`."""
    bad = [f"{r.outcome} ~ {r.term.fixed:g}*{r.term.var}" for r in spec.regressions
           if r.term.fixed is not None and r.term.fixed != 0]
    bad += [f"{c.left} ~~ {c.term.fixed:g}*{c.term.var}" for c in spec.covariances
            if c.term.fixed is not None and (c.term.fixed != 0 or c.left == c.term.var)]
    if bad:
        raise ModelSyntaxError(f"model {name!r}: only paths and covariances fixed at 0 are supported; cannot fit "
                         f"{', '.join(bad)}")


def _parameter_keys(est: pd.DataFrame, spec: ModelSyntax) -> list[str]:
    """One key per row of the estimates table: its label, or ``lval op rval``; equal labels share a parameter."""
    labels: dict[tuple[str, frozenset[str]], str] = {}
    for r in spec.regressions:
        if r.term.label:
            labels["~", frozenset((r.outcome, "~" + r.term.var))] = r.term.label
    for c in spec.covariances:
        if c.term.label:
            labels["~~", c.pair] = c.term.label
    keys = []
    for row in est.itertuples():
        where = frozenset((row.lval, "~" + row.rval)) if row.op == "~" else frozenset((row.lval, row.rval))
        keys.append(labels.get((row.op, where)) or f"{row.lval} {row.op} {row.rval}")
    return keys


def _semopy_stats(model: Any) -> pd.Series:
    import semopy

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return semopy.calc_stats(model).T["Value"]
    except Exception as exc:  # pragma: no cover - calc_stats is only shown, never used
        return pd.Series({"error": str(exc)})


def _implied_moments(est: pd.DataFrame, observed: list[str], exo: list[str], exo_cov: np.ndarray | None
                     ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """Sigma = (I - B)^-1 Psi (I - B)^-T and mu = (I - B)^-1 alpha from the estimates table."""
    idx = {v: i for i, v in enumerate(observed)}
    p = len(observed)
    b = np.zeros((p, p))
    psi = np.zeros((p, p))
    alpha = np.zeros(p)
    has_means = False
    for row in est.itertuples():
        if row.op == "~":
            b[idx[row.lval], idx[row.rval]] = row.estimate
        elif row.op == "~~":
            psi[idx[row.lval], idx[row.rval]] = psi[idx[row.rval], idx[row.lval]] = row.estimate
        elif row.op == "~1":
            alpha[idx[row.lval]] = row.estimate
            has_means = True
    if exo_cov is not None:
        e = [idx[v] for v in exo]
        psi[np.ix_(e, e)] = exo_cov
    inv = np.linalg.inv(np.eye(p) - b)
    return inv @ psi @ inv.T, (inv @ alpha if has_means else None), psi


def _std_estimates(est: pd.DataFrame, observed: list[str], sigma: np.ndarray, psi: np.ndarray) -> np.ndarray:
    idx = {v: i for i, v in enumerate(observed)}
    sd = np.sqrt(np.diag(sigma))
    out = []
    for row in est.itertuples():
        if row.op == "~":
            out.append(row.estimate * sd[idx[row.rval]] / sd[idx[row.lval]])
        elif row.op == "~~":
            i, j = idx[row.lval], idx[row.rval]
            if i == j:
                out.append(row.estimate / sigma[i, i])
            else:  # residual correlation (lavaan's cov.std = TRUE)
                out.append(row.estimate / np.sqrt(psi[i, i] * psi[j, j]))
        else:  # intercept: mean in SD units
            out.append(row.estimate / sd[idx[row.lval]])
    return np.array(out)


def _estimates_table(inspected: pd.DataFrame) -> pd.DataFrame:
    inspected = inspected[inspected["Std. Err"].astype(str) != "-"]  # fixed parameters (lavaan: not listed)
    est = pd.DataFrame({
        "lval": inspected["lval"].astype(str),
        "op": inspected["op"].astype(str),
        "rval": inspected["rval"].astype(str),
        "estimate": pd.to_numeric(inspected["Estimate"], errors="coerce"),
        "se": pd.to_numeric(inspected["Std. Err"], errors="coerce"),
        "z": pd.to_numeric(inspected["z-value"], errors="coerce"),
        "p": pd.to_numeric(inspected["p-value"], errors="coerce"),
    })
    intercept = (est["op"] == "~") & (est["rval"] == "1")
    est.loc[intercept, "op"] = "~1"
    est.loc[intercept, "rval"] = ""
    # a covariance is listed once; keep semopy's order otherwise
    return est.reset_index(drop=True)


STARTS = ("semopy's starting values", "OLS starting values")
"""The starts :func:`fit_model` tries, in order, until one reaches a maximum that passes :func:`check_optimum`.

The second is lavaan-style: each equation's OLS coefficients and the covariances of the OLS
residuals, from the sample moments (listwise) or the EM estimates of the saturated model (FIML)."""

IDENTIFICATION_TOLERANCE = 1e-7
"""Smallest eigenvalue accepted for the information matrix in correlation form (its diagonal scaled to 1).

An unidentified model has a flat ridge in its likelihood: the information is singular, and an optimizer's
rounding leaves its smallest eigenvalue near machine precision instead of 0 (about 2e-9 in two unidentified
FIML models tried, whose "standard errors" came out above 1,000), so a Cholesky factor exists and the
standard errors look finite. The book's four models fitted to the committed dataset have 1.7e-3 or more
(FIML) and 0.15 or more (listwise), so 1e-7 leaves four orders of magnitude either side."""

OPTIMUM_TOLERANCE = 1e-8
"""Largest Newton decrement g' I^-1 g accepted at a solution (g: gradient, I: information).

Each parameter is then within sqrt(1e-8) = 1e-4 standard errors of the maximum
(Cauchy-Schwarz: ``|I^-1 g|_i <= se_i sqrt(g' I^-1 g)``), and the log-likelihood within 5e-9 of it."""


def _inspect(model: Any) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.inspect(std_est=False)


def _quiet_fit(model: Any, used: pd.DataFrame, obj: str, solver: str, **kwargs: Any) -> Any:
    logger = logging.getLogger()
    level = logger.level
    logger.setLevel(logging.ERROR)  # semopy logs a warning on non-convergence; we raise instead
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return model.fit(used, obj=obj, solver=solver, **kwargs)
    finally:
        logger.setLevel(level)


def _fit_from(model: Any, used: pd.DataFrame, obj: str, start: np.ndarray | None) -> str:
    """semopy's SLSQP from ``start`` (semopy's own start when None); "" or why it stopped."""
    if start is not None:
        if not hasattr(model, "param_ranges"):  # semopy has not set up its parameter vector yet
            model.load(used)
        model.param_vals = np.array(start, dtype=float)
        model.update_matrices(model.param_vals)
    first = _quiet_fit(model, used, obj, "SLSQP", tol=TOLERANCE)
    if not (bool(first.success) and np.isfinite(first.fun) and np.all(np.isfinite(first.x))):
        return str(first.message)
    return ""


def _polish(model: Any, used: pd.DataFrame, obj: str) -> None:
    """A trust-constr polish from where SLSQP stopped (stopped on the gradient); kept only if no worse."""
    before = np.array(model.param_vals, dtype=float)
    last = model.last_result
    polished = _quiet_fit(model, used, obj, "trust-constr", options=POLISH_OPTIONS)
    slack = 1e-9 * max(1.0, abs(last.fun))
    if not (polished.success and np.isfinite(polished.fun) and polished.fun <= last.fun + slack):
        model.param_vals = before  # the polish wandered off: keep SLSQP's solution
        model.update_matrices(model.param_vals)
        model.last_result = last


def _semopy_rows(model: Any) -> list[tuple[str, str, str]]:
    """(op, lval, rval) of each free semopy parameter, in the order of ``model.param_vals``."""
    rows = []
    for prm in model.parameters.values():
        if not prm.active:
            continue
        loc = prm.locations[0]
        n = next(i for i, m in enumerate(model.matrices) if m is loc.matrix)
        kind = model.matrices_names[n]
        names_r, names_c = model.names[n]
        lval, rval = names_r[loc.indices[0]], names_c[loc.indices[1]]
        op = {"beta": "~", "lambda": "~", "psi": "~~", "theta": "~~", "gamma1": "~1", "gamma2": "~1"}.get(kind)
        if op is None:
            raise ModelError(f"unexpected semopy parameter in matrix {kind!r} ({lval}, {rval})")
        rows.append((op, lval, rval))
    return rows


def _moment_start(model: Any, x: np.ndarray, observed: list[str], missing: str) -> np.ndarray:
    """lavaan-style starting values: per-equation OLS paths, (I - B) S (I - B)' for Psi, (I - B) m for intercepts.

    ``x``: the data in the column order of ``observed``. S and m are the ML sample moments
    (listwise) or the EM estimates of the saturated model (FIML).
    """
    mean, cov = fitstats.ml_moments(x) if missing == "listwise" else fitstats.em_saturated(x)
    rows = _semopy_rows(model)
    idx = {v: i for i, v in enumerate(observed)}
    b = np.zeros((len(observed), len(observed)))
    for y in {lval for op, lval, _ in rows if op == "~"}:
        preds = [idx[r] for op, lval, r in rows if op == "~" and lval == y]
        b[idx[y], preds] = np.linalg.solve(cov[np.ix_(preds, preds)], cov[preds, idx[y]])
    resid = np.eye(len(observed)) - b
    psi = resid @ cov @ resid.T
    alpha = resid @ mean
    return np.array([b[idx[lv], idx[rv]] if op == "~" else psi[idx[lv], idx[rv]] if op == "~~" else alpha[idx[lv]]
                     for op, lv, rv in rows])


def _likelihood(est: pd.DataFrame, spec: ModelSyntax, observed: list[str], exo: list[str], x: np.ndarray,
                missing: str):
    """(log-likelihood, information, values of the free parameters, the row -> parameter index) of a fit.

    Our own likelihood of the model as written (:class:`psyalliance.sem.fitstats.MomentBuilder`), not
    semopy's: listwise, the normal log-likelihood of the complete cases with the exogenous block
    fixed at its sample moments and saturated means; FIML, the casewise log-likelihood. One
    parameter per distinct label. The information (a function of the parameters) is lavaan's for
    its standard errors: expected for listwise, observed (minus the numerical Hessian) for FIML.
    """
    keys = _parameter_keys(est, spec)
    unique = list(dict.fromkeys(keys))
    where = np.array([unique.index(k) for k in keys])
    theta = np.array([est.estimate.to_numpy()[keys.index(k)] for k in unique])
    rows = list(zip(est.op, est.lval, est.rval))
    if missing == "listwise":
        mean, s = fitstats.ml_moments(x)
        e = [observed.index(v) for v in exo]
        fixed = np.zeros_like(s)
        fixed[np.ix_(e, e)] = s[np.ix_(e, e)]
        build = fitstats.MomentBuilder(observed, rows, fixed)

        def loglik(t: np.ndarray) -> float:
            return fitstats.loglik_complete(x, mean, build(t[where])[1])

        def information(t: np.ndarray) -> np.ndarray:
            return _expected_information(lambda u: build(u[where])[1], t, len(x))
    else:
        build = fitstats.MomentBuilder(observed, rows)
        casewise = fitstats.missing_data_loglik(x)

        def loglik(t: np.ndarray) -> float:
            mu, sigma = build(t[where])
            return casewise(mu, sigma)

        def information(t: np.ndarray) -> np.ndarray:
            return -fitstats.numerical_hessian(loglik, t)

    return loglik, information, theta, where


def _expected_information(sigma_of, theta: np.ndarray, n: int) -> np.ndarray:
    """Expected information of n complete normal cases with saturated means: n/2 tr(W D_k W D_l), W = Sigma^-1.

    ``sigma_of``: the implied covariance as a function of the parameters; D_k = dSigma/dtheta_k by
    central differences (Sigma is a polynomial in the parameters of a recursive model). lavaan's
    information for listwise ML (``information = "expected"``), with the exogenous block fixed.
    """
    w = np.linalg.inv(sigma_of(theta))
    h = 1e-5 * np.maximum(np.abs(theta), 1.0)
    step = np.diag(h)
    wd = [w @ (sigma_of(theta + step[k]) - sigma_of(theta - step[k])) / (2 * h[k]) for k in range(theta.size)]
    return n / 2 * np.array([[np.sum(a * b.T) for b in wd] for a in wd])


ENGINES = ("numpy", "semopy")
"""The optimizers :func:`fit_model` can use: :mod:`psyalliance.sem.mlfit` (default) or semopy's SLSQP and polish."""

DEFAULT_ENGINE = "numpy"
"""The engine :func:`fit_model` uses unless told otherwise."""

_INSPECT_ORDER = (("beta", "~"), ("gamma1", "~"), ("gamma2", "~"), ("lambda", "~"), ("psi", "~~"), ("theta", "~~"))


def _table_rows(model: Any) -> list[tuple[str, str, str, str]]:
    """(op, lval, rval, semopy parameter name) of each row of the estimates table, in ``model.inspect()``'s order.

    One row per location of an active (free) parameter: paths (``beta``, ``lambda`` and the regressions
    in ``gamma``), then intercepts (``gamma`` rows of ``1``, as ``~1``), then (co)variances, as semopy's
    ``inspect`` lists them (:func:`_estimates_table` of the semopy engine gives the same table).
    """
    rows, means = [], []
    for kind, op in _INSPECT_ORDER:
        if kind == "psi":
            rows.extend(means)
            means = []
        if kind not in model.matrices_names:
            continue
        n = model.matrices_names.index(kind)
        mx = model.matrices[n]
        names_r, names_c = model.names[n]
        for pname, prm in model.parameters.items():
            if not prm.active:
                continue
            for loc in prm.locations:
                if loc.matrix is mx:
                    lval, rval = names_r[loc.indices[0]], names_c[loc.indices[1]]
                    if kind.startswith("gamma") and rval == "1":
                        means.append(("~1", lval, "", pname))
                    else:
                        rows.append((op, lval, rval, pname))
    return rows + means


def _fit_numpy(model: Any, spec: ModelSyntax, observed: list[str], exo: list[str], used: pd.DataFrame,
               missing: str):
    """Fit with :mod:`psyalliance.sem.mlfit`: (estimates table, loglik, information, theta, where, likelihood,
    (mean, cov) of the saturated model), or why it could not.

    The estimates table has semopy's rows (:func:`_table_rows`) with the estimates filled in and
    ``se``, ``z``, ``p`` empty; ``model`` (semopy) is loaded with the data and set to the solution,
    so that its ``inspect`` and ``calc_stats`` describe the same fit. Returns a string (the reason)
    instead when the engine cannot fit the model (:class:`psyalliance.sem.mlfit.EngineError`) or stops
    short of the maximum.
    """
    from semopy.solver import SolverResult

    table = _table_rows(model)
    est = pd.DataFrame({"lval": [r[1] for r in table], "op": [r[0] for r in table], "rval": [r[2] for r in table],
                        "estimate": np.nan, "se": np.nan, "z": np.nan, "p": np.nan})
    keys = _parameter_keys(est, spec)
    unique = list(dict.fromkeys(keys))
    where = np.array([unique.index(k) for k in keys])
    x = used.to_numpy()
    try:
        lik = mlfit.PathLikelihood(observed, [r[:3] for r in table], where, x, missing,
                                   exogenous=exo if missing == "listwise" else ())
        mean, cov = fitstats.ml_moments(x) if missing == "listwise" else mlfit.saturated_moments(x)
        theta, why = mlfit.maximise(lik, lik.start(mean, cov))
    except (mlfit.EngineError, np.linalg.LinAlgError) as exc:
        return f"cannot fit it ({exc})"
    if why:
        return f"stopped ({why})"
    est["estimate"] = theta[where]
    # semopy's model at the same point, for its inspect() and calc_stats()
    value = {r[3]: theta[w] for r, w in zip(table, where)}
    logger = logging.getLogger()
    level = logger.level
    logger.setLevel(logging.ERROR)  # semopy's load logs warnings (a sample covariance not PD) that fit_model's checks cover
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if not hasattr(model, "param_ranges"):
                model.load(used)
            name_obj = "MLW"
            if missing == "fiml":
                model.calc_fim = model.calc_fim_ml
                model.prepare_fiml()
                name_obj = "FIML"
            model.param_vals = np.array([value[k] for k, prm in model.parameters.items() if prm.active])
            model.update_matrices(model.param_vals)
            fun = float(model.get_objective(name_obj)[0](model.param_vals))
    finally:
        logger.setLevel(level)
    model.last_result = SolverResult(fun=fun, success=True, n_it=0, x=model.param_vals.copy(),
                                     message="fitted by psyalliance.sem.mlfit", name_method="psyalliance.sem.mlfit",
                                     name_obj=name_obj)
    return est, lik.loglik, lik.information, theta, where, lik, (mean, cov)


def check_optimum(loglik, theta: np.ndarray, information=None, gradient=None) -> tuple[float, np.ndarray | None]:
    """(Newton decrement g' I^-1 g, information I) of a log-likelihood at ``theta``; (inf, None) if I is not PD.

    ``g`` is ``gradient(theta)``, by default the numerical gradient
    (:func:`psyalliance.sem.fitstats.numerical_gradient`; :func:`fit_model` passes the same stencil evaluated
    in one batch, :meth:`psyalliance.sem.mlfit.PathLikelihood.numerical_gradient`, never the analytic
    gradient the optimizer used); ``information(theta)`` gives I, by default minus the numerical Hessian
    (:func:`psyalliance.sem.fitstats.numerical_hessian`). At a maximum g' I^-1 g is 0 and I
    positive definite; :data:`OPTIMUM_TOLERANCE` is the bound :func:`fit_model` accepts.
    """
    info = information(theta) if information is not None else -fitstats.numerical_hessian(loglik, theta)
    try:
        factor = np.linalg.cholesky(info)
    except np.linalg.LinAlgError:
        return float("inf"), None
    g = np.linalg.solve(factor, gradient(theta) if gradient is not None else fitstats.numerical_gradient(loglik, theta))
    return float(g @ g), info


def model_columns(syntax: str, name: str = "model") -> list[str]:
    """The observed variables of ``syntax``, in order of appearance, after :func:`psyalliance.sem.syntax.read_syntax`."""
    return list(read_syntax(syntax, name).observed)


def check_model_input(name: str, syntax: str, data: Any, missing: str,
                      ranges: Mapping[str, tuple[float, float]] | bool | None = None, func: str = "fit_model") -> None:
    """Everything :func:`psyalliance.sem.models.fit_model` checks before it fits.

    The syntax is read by :func:`psyalliance.sem.syntax.read_syntax` (empty, self-loop,
    cycle, ``a*b*x`` ... are refused); the model's columns by :func:`psyalliance.study.datacheck.check_data`
    (numeric, finite, inside the instruments' ranges unless ``ranges`` says
    otherwise); the rows the estimator will use (complete rows for
    ``"listwise"``, rows with any observed value for ``"fiml"``) by
    :func:`psyalliance.study.datacheck.check_variation` (no constant column, no collinear columns).
    """
    columns = model_columns(syntax, name)
    frame = check_data(data, columns, ranges=ranges, func=f"{func}({name!r})")
    used = frame.dropna() if missing == "listwise" else frame[~frame.isna().all(axis=1)]
    if len(used) > 1:
        check_variation(used, f"{func}({name!r}, missing={missing!r})", complete_only=missing == "listwise")


def _n_moments(observed: Sequence[str], exo: Sequence[str], missing: str) -> int:
    """The sample moments a model is fitted to, as lavaan counts them: the p(p+1)/2 (co)variances, plus the p
    means with FIML; listwise (``fixed.x``) leaves out the e(e+1)/2 (co)variances of the e exogenous variables."""
    p, e = len(observed), len(exo)
    return p * (p + 1) // 2 + p if missing == "fiml" else p * (p + 1) // 2 - e * (e + 1) // 2


def check_counting_rule(name: str, missing: str, n_free: int, n_moments: int) -> None:
    """Raise :class:`~psyalliance.errors.ModelError` when a model has more free parameters than sample moments (df < 0).

    The counting rule (t-rule) of identification: ``n_free`` free parameters (FIML: intercepts included) can be
    pinned down by ``n_moments`` moments (``_n_moments``) only if there are no more of them.
    """
    if n_free > n_moments:
        raise ModelError(
            f"model {name!r} (missing={missing!r}) is not identified: {n_free} free parameters but only {n_moments} "
            f"sample moments (df = {n_moments - n_free} < 0). Fix or drop {n_free - n_moments} parameter(s), e.g. a "
            "residual covariance (~~) between two variables that a path (~) already joins")


def check_information_rank(name: str, missing: str, info: np.ndarray, labels: Sequence[str]) -> None:
    """Raise :class:`~psyalliance.errors.ModelError` when the information matrix at the solution is singular (a parameter not identified).

    A model can pass the counting rule and still hold two parameters that only their sum or ratio pins down
    (e.g. a path and a residual covariance between the same two variables): then the information ``info``
    (q x q, one row per free parameter, named by ``labels``) has a zero eigenvalue, which rounding leaves
    near machine precision. Checked in correlation form (diagonal scaled to 1) against
    :data:`IDENTIFICATION_TOLERANCE`; the message names the parameters that move along the flat direction.
    """
    scale = 1 / np.sqrt(np.diag(info))
    values, vectors = np.linalg.eigh(info * np.outer(scale, scale))
    if values[0] < IDENTIFICATION_TOLERANCE:
        moving = [labels[i] for i in np.flatnonzero(np.abs(vectors[:, 0]) > 0.3)]
        raise ModelError(
            f"model {name!r} (missing={missing!r}) is not identified: its information matrix is singular "
            f"(smallest eigenvalue {values[0]:.1e} in correlation form, below {IDENTIFICATION_TOLERANCE:g}); "
            f"the data cannot tell these parameters apart: {', '.join(moving)}. Fix or drop one of them, e.g. a "
            "residual covariance (~~) between two variables that a path (~) already joins")


def _parameter_labels(est: pd.DataFrame, where: np.ndarray) -> list[str]:
    """One label per free parameter ("y ~ m"), the first row of the estimates table that holds it."""
    labels: dict[int, str] = {}
    for (lval, op, rval), w in zip(est[["lval", "op", "rval"]].itertuples(index=False), where):
        labels.setdefault(int(w), f"{lval} {op} {rval}".strip())
    return [labels[i] for i in range(len(labels))]


def fit_model(name: str, data: pd.DataFrame, missing: str = "listwise", *, syntax: str | None = None,
              ranges: Mapping[str, tuple[float, float]] | bool | None = None, engine: str | None = None) -> FitResult:
    """Fit a path model of :data:`~psyalliance.sem.registry.MODELS` (or your own ``syntax``) by maximum likelihood.

    semopy reads the model (its ``Model`` / ``ModelMeans`` with lavaan's defaults) and
    :mod:`psyalliance.sem.mlfit` maximises the likelihood (engine ``"numpy"``, the default,
    :data:`DEFAULT_ENGINE`): Newton steps with the analytic gradient from lavaan-style OLS
    starting values. Where that engine cannot fit the model
    (:class:`psyalliance.sem.mlfit.EngineError`) or its point fails :func:`check_optimum`, the fit falls
    back to semopy's optimizer (engine ``"semopy"``: SLSQP from each of the :data:`STARTS`, with
    a trust-constr polish), and the returned ``model`` is the one semopy fitted.

    Parameters
    ----------
    name
        A key of :data:`~psyalliance.sem.registry.MODELS` (``m1_mediation``, ``m2_cycle``, ``m3_durability``,
        ``murphy2022``), or any label when ``syntax`` is given.
    data
        One row per participant; the model's variables as numeric columns
        (alliance item means 1-5, MEQ30/PIQ item means 0-5, GRID-HAMD 0-52),
        NaN for missing values. Other columns are ignored.
    missing
        ``"listwise"``: complete cases only, exogenous variables fixed at their
        sample moments (lavaan's default, ``fixed.x = TRUE``), semopy ``Model``
        with the Wishart ML objective. ``"fiml"``: every case with at least one
        observed value, all variables modelled with means (lavaan ``missing =
        "ml"``, ``fixed.x = FALSE``), semopy ``ModelMeans`` (FIML).
    syntax
        Optional lavaan-style syntax (``~`` regressions, ``~~`` covariances,
        ``a*x`` labels, ``0*x`` fixed values; several outcomes as
        ``y1 + y2 ~ x`` or ``y1, y2 ~ x``) of an observed-variable path model,
        read by :func:`psyalliance.sem.syntax.read_syntax`. As lavaan's ``sem()``,
        the residual covariances of outcomes that predict nothing are free
        unless the syntax fixes them (``auto.cov.y``). Empty syntax, a
        self-loop, a feedback cycle or a term like ``a*b*x`` is refused.
    ranges
        The scales the data are checked against. None (default): columns named
        like the book's (``alliance_*``, ``mystical_*``, ``insight_*``,
        ``hamd_*``) must lie in their instrument's range from the facts file
        (alliance item means 1-5, MEQ30/PIQ item means 0-5, GRID-HAMD totals
        0-52). For data on other scales pass ``{column or instrument: (low,
        high)}``, e.g. ``ranges={"hamd": (0, 100)}``, or ``False`` to skip the check.
    engine
        ``"numpy"`` or ``"semopy"`` (:data:`ENGINES`); None: :data:`DEFAULT_ENGINE`. Both reach the
        same maximum (the check above); ``"semopy"`` is slower and kept as the fallback and cross-check.

    Every reported number follows lavaan 0.6's ``sem()`` (listwise:
    ``sem(model, data)``; FIML: ``sem(model, data, missing = "ml", fixed.x =
    FALSE)``); ``tests/test_lavaan.py`` checks them against lavaan's stored output.

    Raises
    ------
    ModelError
        Unknown model name (the valid names are listed), bad syntax, missing columns (named),
        too few usable rows for the number of free parameters, a model that is not identified (more free
        parameters than moments, or a singular information matrix: :func:`check_counting_rule`, :func:`check_information_rank`). Its subclass
        :class:`~psyalliance.errors.DataError`: a value that is not numeric,
        inf, or outside its scale (named with its row and the valid range), or a
        constant or perfectly collinear column in the rows the estimator uses.
    ConvergenceError
        Neither the numpy engine nor any of the :data:`STARTS` reached a maximum of the likelihood (gradient near zero,
        information positive definite: :func:`check_optimum`); the message names the model and what to try.
    """
    import semopy

    if syntax is None:
        if name not in MODELS:
            raise ModelError(f"unknown model {name!r}; valid names: {', '.join(MODELS)}")
        syntax = MODELS[name]
    if missing not in MISSING_OPTIONS:
        raise ModelError(f"missing = {missing!r} is not one of {', '.join(MISSING_OPTIONS)}")
    check_model_input(name, syntax, data, missing, ranges)
    if not isinstance(data, pd.DataFrame):
        raise ModelError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    spec = read_syntax(syntax, name)
    _check_fixed_values(spec, name)
    observed, endo, exo = list(spec.observed), list(spec.endogenous), list(spec.exogenous)
    absent = [v for v in observed if v not in data.columns]
    if absent:
        raise ModelError(f"model {name!r} needs column(s) missing from the data: {', '.join(absent)}")
    not_numeric = [v for v in observed if not pd.api.types.is_numeric_dtype(data[v])]
    if not_numeric:
        raise ModelError(f"model {name!r} needs numeric columns; not numeric: {', '.join(not_numeric)}")
    frame = data[observed].astype(float)

    description = semopy_description(spec, missing)
    if missing == "listwise":
        used = frame.dropna()
        model = semopy.Model(description, mimic_lavaan=True, cov_diag=True)
    else:
        used = frame[~frame.isna().all(axis=1)]
        model = semopy.ModelMeans(description, mimic_lavaan=True, cov_diag=True)
    n_used = len(used)
    n_free = sum(1 for prm in model.parameters.values() if prm.active)  # FIML: intercepts included
    check_counting_rule(name, missing, n_free, _n_moments(observed, exo, missing))
    # at least as many cases as free parameters, and more cases than variables (a non-singular S)
    needed = max(n_free, len(observed) + 1)
    if n_used < needed:
        raise ModelError(
            f"too few usable rows for model {name!r} with missing={missing!r}: {n_used} row(s), but the model has "
            f"{n_free} free parameters and {len(observed)} variables; at least {needed} rows are needed"
        )
    if missing == "listwise" and np.linalg.matrix_rank(used.cov().to_numpy()) < len(observed):
        raise ModelError(f"the complete cases of model {name!r} have a singular covariance matrix (a constant or "
                         "collinear column); cannot fit")

    obj = "MLW" if missing == "listwise" else "ML"
    x = used.to_numpy()
    attempts = []
    engine = DEFAULT_ENGINE if engine is None else engine
    if engine not in ENGINES:
        raise ModelError(f"engine = {engine!r} is not one of {', '.join(ENGINES)}")
    checked, h1 = False, None
    if engine == "numpy":
        out = _fit_numpy(model, spec, observed, exo, used, missing)
        if isinstance(out, str):
            attempts.append(f"the numpy engine {out}")
        else:
            est, loglik, information, theta, where, lik, h1 = out
            decrement, info = check_optimum(loglik, theta, information, gradient=lik.numerical_gradient)
            checked = decrement <= OPTIMUM_TOLERANCE
            if not checked:
                attempts.append("the numpy engine's point: " + ("the information matrix is not positive definite"
                                                             if info is None else f"not a maximum (Newton decrement "
                                                             f"{decrement:.2g} > {OPTIMUM_TOLERANCE:g})"))
        if not checked:  # fall back to semopy's optimizer, on a fresh model
            model, h1 = type(model)(description, mimic_lavaan=True, cov_diag=True), None
    for label in STARTS if not checked else ():
        start = None if label == STARTS[0] else _moment_start(model, x, observed, missing)
        stopped = _fit_from(model, used, obj, start)
        if stopped:
            attempts.append(f"from {label}: the optimizer stopped ({stopped})")
            continue
        for polish in (False, True):  # SLSQP's point, then (only if it fails the check) a polished one
            if polish:
                _polish(model, used, obj)
            est = _estimates_table(_inspect(model))
            loglik, information, theta, where = _likelihood(est, spec, observed, exo, x, missing)
            decrement, info = check_optimum(loglik, theta, information)
            if decrement <= OPTIMUM_TOLERANCE:
                break
        else:
            attempts.append(f"from {label}: " + ("the information matrix is not positive definite" if info is None
                                                 else f"not a maximum (Newton decrement {decrement:.2g} > "
                                                      f"{OPTIMUM_TOLERANCE:g})"))
            continue
        # one Newton (listwise: Fisher scoring) step from the checked point: SLSQP stops about 1e-6 short of
        # the maximum, and the step, within 1e-4 SE by the check, takes it to about 1e-12
        step = np.linalg.solve(info, fitstats.numerical_gradient(loglik, theta))
        if loglik(theta + step) >= loglik(theta):
            theta = theta + step
            est["estimate"] = theta[where]
        checked = True
        break
    if not checked:
        raise ConvergenceError(
            f"model {name!r} (missing={missing!r}) did not converge to a maximum of the likelihood: "
            f"{'; '.join(attempts)}. Check that every parameter is identified (no more free parameters than "
            "moments; a residual covariance only between variables with no path between them), put the variables "
            "on similar scales (variances within a factor of about 100 of each other), drop a parameter near its "
            "boundary (a variance near 0, a correlation near 1), or fit the model in R lavaan to compare")

    check_information_rank(name, missing, info, _parameter_labels(est, where))
    # standard errors from lavaan's information: expected (listwise), observed (FIML)
    est["se"] = np.sqrt(np.diag(np.linalg.inv(info)))[where]
    est["z"] = est["estimate"] / est["se"]
    est["p"] = 2 * stats.norm.sf(np.abs(est["z"]))
    if missing == "listwise":
        _, s = fitstats.ml_moments(x)
        e = [observed.index(v) for v in exo]
        sigma, mu, psi = _implied_moments(est, observed, exo, s[np.ix_(e, e)])
        measures = fitstats.fit_measures_listwise(x, sigma, npar=len(theta), exogenous=e)
    else:
        sigma, mu, psi = _implied_moments(est, observed, exo, None)
        measures = fitstats.fit_measures_fiml(x, mu, sigma, npar=len(theta), exogenous=[observed.index(v) for v in exo],
                                             h1=h1, saturated=saturated_moments if h1 is not None else None)
    est.insert(4, "std_estimate", _std_estimates(est, observed, sigma, psi))
    est = est[list(ESTIMATE_COLUMNS)]
    idx = {v: i for i, v in enumerate(observed)}
    r2 = pd.Series({v: 1 - psi[idx[v], idx[v]] / sigma[idx[v], idx[v]] for v in endo}, name="r2")
    return FitResult(
        name=name, syntax=syntax.strip(), missing=missing, estimates=est,
        fit=MappingProxyType(measures.as_dict()), r2=r2, measures=measures, observed=tuple(observed),
        exogenous=tuple(exo), endogenous=tuple(endo),
        implied_cov=pd.DataFrame(sigma, index=observed, columns=observed),
        implied_mean=None if mu is None else pd.Series(mu, index=observed), data=used,
        model=model,
    )


# ---------------------------------------------------------------------------
# Tables for the chapter: fit statistics, semopy's own, FIML against listwise, OLS cross-check.
# ---------------------------------------------------------------------------

SEMOPY_KEYS = {"df": "DoF", "chisq": "chi2", "pvalue": "chi2 p-value", "cfi": "CFI", "tli": "TLI",
               "rmsea": "RMSEA", "loglik": "LogLik", "aic": "AIC", "bic": "BIC"}
"""Our fit keys -> the names semopy's ``calc_stats`` gives the statistic it reports in their place."""


def fit_table(results: Mapping[str, FitResult]) -> pd.DataFrame:
    """One row per fitted model: the :data:`~psyalliance.sem.fitstats.FIT_KEYS` plus the RMSEA 90% interval and the baseline."""
    rows = {}
    for label, res in results.items():
        m = res.measures
        row = dict(res.fit)
        row.update(rmsea_ci_lower=m.rmsea_ci_lower, rmsea_ci_upper=m.rmsea_ci_upper, npar=m.npar,
                   baseline_chisq=m.baseline_chisq, baseline_df=m.baseline_df)
        rows[label] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def fit_verdicts(results: Mapping[str, FitResult]) -> pd.DataFrame:
    """One row per fitted model: df, chi-square p and :func:`psyalliance.sem.fitstats.fit_verdict` in words."""
    rows = {label: {"df": int(res.fit["df"]), "chi-square p": res.fit["pvalue"],
                    "in words": fitstats.fit_verdict(res.fit)} for label, res in results.items()}
    return pd.DataFrame.from_dict(rows, orient="index")


def compare_with_semopy(res: FitResult) -> pd.DataFrame:
    """Our lavaan-convention statistics next to what ``semopy.calc_stats`` printed for the same fit."""
    rows = []
    for key, skey in SEMOPY_KEYS.items():
        rows.append({"statistic": key, "lavaan conventions": res.fit[key],
                     "semopy calc_stats": float(res.semopy_stats.get(skey, np.nan))})
    rows.append({"statistic": "gfi (semopy: the NFI formula)", "lavaan conventions": np.nan,
                 "semopy calc_stats": float(res.semopy_stats.get("GFI", np.nan))})
    return pd.DataFrame(rows)


def compare_estimates(a: FitResult, b: FitResult, labels: tuple[str, str] = ("listwise", "fiml")) -> pd.DataFrame:
    """Regression paths of two fits of one model side by side (estimate and SE)."""
    keep = ["lval", "op", "rval", "estimate", "se", "std_estimate"]
    pa = a.estimates.loc[a.estimates.op == "~", keep]
    pb = b.estimates.loc[b.estimates.op == "~", keep]
    out = pa.merge(pb, on=["lval", "op", "rval"], suffixes=(f" {labels[0]}", f" {labels[1]}"))
    return out


def ols_crosscheck(res: FitResult) -> pd.DataFrame:
    """Each regression path of a listwise fit next to its per-equation OLS fit (statsmodels).

    For a saturated recursive model the estimates agree; the SEs differ by
    sqrt((n - k - 1) / n) for an equation with k predictors, because ML divides
    the residual sum of squares by n and OLS by n - k - 1.
    """
    import statsmodels.api as sm

    if res.missing != "listwise":
        raise ModelError("the OLS cross-check needs a listwise fit (complete cases)")
    d = res.data
    n = len(d)
    reg = res.estimates[res.estimates.op == "~"]
    rows = []
    for y, part in reg.groupby("lval", sort=False):
        xs = list(part["rval"])
        ols = sm.OLS(d[y], sm.add_constant(d[xs])).fit()
        for r in part.itertuples():
            rows.append({"path": f"{y} ~ {r.rval}", "k": len(xs), "ML estimate": r.estimate,
                         "OLS estimate": ols.params[r.rval], "ML SE": r.se, "OLS SE": ols.bse[r.rval],
                         "SE ratio": r.se / ols.bse[r.rval], "sqrt((n-k-1)/n)": np.sqrt((n - len(xs) - 1) / n)})
    out = pd.DataFrame(rows)
    out["estimate difference"] = out["ML estimate"] - out["OLS estimate"]
    out["ratio difference"] = out["SE ratio"] - out["sqrt((n-k-1)/n)"]
    return out


# ---------------------------------------------------------------------------
# Small-sample tests of the paths, display tables and glue values for the chapter.
# ---------------------------------------------------------------------------

PATH_TEST_COLUMNS = ("lval", "op", "rval", "estimate", "std_estimate", "se_ml", "se", "df", "t", "p")
"""Columns of :func:`path_tests`."""


def path_tests(res: FitResult) -> pd.DataFrame:
    """The regression paths of a listwise fit with t tests (OLS standard error, n - k - 1 df).

    semopy's ``z`` and ``p`` refer the ML standard error (residual variance
    divided by n) to the normal distribution, which is too liberal in small
    samples. Here the ML SE is rescaled to the OLS SE, ``se = se_ml *
    sqrt(n / (n - k - 1))`` for an equation with k predictors, and
    ``t = estimate / se`` is referred to Student's t with ``df = n - k - 1``:
    the exact test of the path under normality, since ML = per-equation OLS
    for these recursive models. Raises :class:`~psyalliance.errors.ModelError` for a FIML fit, for
    which no such exact reference exists.
    """
    from scipy import stats

    if res.missing != "listwise":
        raise ModelError(f"t tests need a listwise fit (complete cases); this fit has missing={res.missing!r}")
    reg = res.estimates[res.estimates.op == "~"].copy()
    k = reg.groupby("lval")["rval"].transform("size").to_numpy()
    df = res.n - k - 1
    if np.any(df < 1):
        raise ModelError(f"an equation has n - k - 1 = {int(df.min())} < 1 residual degrees of freedom")
    out = reg[["lval", "op", "rval", "estimate", "std_estimate"]].copy()
    out["se_ml"] = reg["se"].to_numpy()
    out["se"] = out["se_ml"] * np.sqrt(res.n / df)
    out["df"] = df.astype(int)
    out["t"] = out["estimate"] / out["se"]
    out["p"] = 2 * stats.t.sf(np.abs(out["t"]), df)
    return out[list(PATH_TEST_COLUMNS)].reset_index(drop=True)


def variance_table(res: FitResult) -> pd.DataFrame:
    """Residual variances and covariances: estimate, standardized value and ML SE, no z test.

    A z test of a variance against 0 asks a question nobody has (a variance
    is positive by definition) and its normal reference is poor in small
    samples, so the chapter does not show one.
    """
    cov = res.estimates[res.estimates.op == "~~"]
    return cov[["lval", "op", "rval", "estimate", "std_estimate", "se"]].reset_index(drop=True)


def df_breakdown(res: FitResult) -> dict[str, int]:
    """The degrees-of-freedom count of a listwise fit, term by term, and semopy's df.

    Keys: ``variables``, ``moments`` (p(p+1)/2), ``exogenous_moments``
    (k(k+1)/2, fixed at their sample values), ``paths``, ``residual_variances``,
    ``residual_covariances``, ``npar``, ``df`` (moments - exogenous moments -
    npar) and ``semopy_df`` (what ``calc_stats`` reports).
    """
    if res.missing != "listwise":
        raise ModelError(f"the df breakdown is for listwise fits (fixed.x = TRUE); got missing={res.missing!r}")
    p, k = len(res.observed), len(res.exogenous)
    est = res.estimates
    out = {
        "variables": p,
        "moments": p * (p + 1) // 2,
        "exogenous_moments": k * (k + 1) // 2,
        "paths": int((est.op == "~").sum()),
        "residual_variances": int(((est.op == "~~") & (est.lval == est.rval)).sum()),
        "residual_covariances": int(((est.op == "~~") & (est.lval != est.rval)).sum()),
    }
    out["npar"] = out["paths"] + out["residual_variances"] + out["residual_covariances"]
    out["df"] = out["moments"] - out["exogenous_moments"] - out["npar"]
    out["semopy_df"] = int(round(float(res.semopy_stats.get("DoF", np.nan))))
    return out


def compare_fits(a: FitResult, b: FitResult, labels: tuple[str, str]) -> pd.DataFrame:
    """Fit statistics of two fits side by side (rows = statistics), with the difference b - a.

    Raises :class:`~psyalliance.errors.ModelError` unless both fits use the same estimator, the
    same cases and the same variables: only then are their log-likelihoods,
    AIC and BIC comparable.
    """
    if a.missing != b.missing or a.n != b.n or set(a.observed) != set(b.observed):
        raise ModelError(
            f"fits are not comparable: estimator {a.missing!r} vs {b.missing!r}, n {a.n} vs {b.n}, "
            f"variables {sorted(a.observed)} vs {sorted(b.observed)}; AIC and BIC compare models of the same data only"
        )
    out = pd.DataFrame({labels[0]: pd.Series(dict(a.fit)), labels[1]: pd.Series(dict(b.fit))})
    out.loc["npar"] = [a.measures.npar, b.measures.npar]
    out["difference"] = out[labels[1]] - out[labels[0]]
    return out


def fit_glue_values(fits: Mapping[tuple[str, str], FitResult]) -> dict[str, float | int]:
    """Values to glue for every fit of ``{(name, missing): result}``: ``{name}_{missing}_{key}``.

    Keys: the :data:`~psyalliance.sem.fitstats.FIT_KEYS`, ``npar`` and ``ci_high`` (RMSEA 90% upper
    limit); ``n``, ``df`` and ``npar`` are ints, the rest Python floats.
    """
    out: dict[str, float | int] = {}
    for (name, missing), res in fits.items():
        for key, value in res.fit.items():
            out[f"{name}_{missing}_{key}"] = int(value) if key in ("n", "df") else float(value)
        out[f"{name}_{missing}_npar"] = int(res.measures.npar)
        out[f"{name}_{missing}_ci_high"] = float(res.measures.rmsea_ci_upper)
    return out


def styled(table: pd.DataFrame, caption: str, precision: int = 3, integers: tuple = (),
           scientific: tuple = (), hide_index: bool = False, integer_rows: tuple = (),
           digits: Mapping[str, int] | None = None):
    """A pandas Styler for the chapter: caption, full-width text, fixed precision, ints without decimals.

    ``integers``: columns printed as whole numbers; ``scientific``: columns in
    ``1.2e-09`` form (tiny differences); ``integer_rows``: index labels of
    rows printed as whole numbers (df in a statistics-by-row table);
    ``digits``: decimals of single columns that need more than ``precision``. NaN
    prints as an empty cell; no text is cut. The
    caption must say the data are simulated; a ValueError is raised otherwise.
    """
    if "simulated" not in caption.lower():
        raise ValueError(f"table caption {caption!r} must say that the data are simulated")
    digits = dict(digits or {})
    absent = [c for c in (*integers, *scientific, *digits) if c not in table.columns]
    if absent:
        raise ValueError(f"columns {absent} are not in the table; columns: {list(table.columns)}")
    fmt: dict = {}
    for col in table.columns:
        if col in integers:
            fmt[col] = "{:.0f}"
        elif col in scientific:
            fmt[col] = "{:.1e}"
        elif col in digits:
            fmt[col] = f"{{:.{digits[col]}f}}"
        elif pd.api.types.is_float_dtype(table[col]):
            fmt[col] = f"{{:.{precision}f}}"
    absent_rows = [r for r in integer_rows if r not in table.index]
    if absent_rows:
        raise ValueError(f"rows {absent_rows} are not in the table; rows: {list(table.index)}")
    sty = table.style.format(fmt, na_rep="").set_caption(caption)
    if integer_rows:
        sty = sty.format("{:.0f}", subset=pd.IndexSlice[list(integer_rows), :], na_rep="")
    sty = sty.set_properties(**{"white-space": "pre-wrap", "text-align": "right"})
    if hide_index:
        sty = sty.hide(axis="index")
    return sty


def estimate_tables(res: FitResult, title: str) -> tuple[Any, Any]:
    """The chapter's two tables of a listwise fit: paths with t tests, and residual (co)variances.

    Each row is named in words (:mod:`psyalliance.sem.pathlabels`, left-aligned),
    in place of the ``lval op rval`` columns of :func:`path_tests`.

    ``title`` names the model (``"M1"``); the captions say the data are
    simulated, the estimator and n, and which test the p values come from.
    """
    tests = with_path_names(path_tests(res), res.name, res.syntax).drop(columns=["lval", "op", "rval"])
    paths = styled(tests, f"{title}: regression paths, simulated data ({res.missing}, n = {res.n}). "
                   "path: label, predictor -> outcome; se_ml: ML standard error (semopy); se: OLS standard error; "
                   "t and p: t test on df = n - k - 1", integers=("df",), hide_index=True)
    var = variance_table(res)
    var.insert(0, "meaning", [covariance_name(r.lval, r.rval) for r in var.itertuples()])
    variances = styled(var.drop(columns=["lval", "op", "rval"]), f"{title}: residual variances and covariances, "
                       f"simulated data ({res.missing}, n = {res.n}); ML standard errors, no tests", hide_index=True)
    left = {"text-align": "left", "min-width": "16em"}
    return paths.set_properties(subset=["path"], **left), variances.set_properties(subset=["meaning"], **left)
