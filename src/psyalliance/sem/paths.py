"""Recursive observed-variable path models: parsing and fast (batched) estimation.

For a *recursive* path model of observed variables (no feedback loops, no latent
variables) whose residual covariances link only equations with the same
predictors, the maximum-likelihood (ML) estimates of the paths are the
ordinary-least-squares (OLS) slopes of each equation, and the ML residual
variances are the OLS residual sums of squares divided by n. This module uses
that identity to fit thousands of samples at once with numpy: the data of many
samples are an array of shape ``(reps, n, variables)``; their ML covariance
matrices (divisor n) are one batched matrix product; every equation's slopes
are one batched linear solve. ``tests/test_paths.py`` checks the estimates
against semopy's ML fit and statsmodels' OLS.

Inference, stated once:

* a **path** is tested with its OLS standard error (residual variance divided
  by n - k - 1, k predictors) against Student's t with n - k - 1 degrees of
  freedom (``inference="t"``, exact under normality); or, as SEM software
  reports it, with the ML standard error against the normal distribution
  (``inference="z"``);
* an **indirect effect** (a product of paths along a chain) gets the
  first-order delta-method (Sobel) standard error. Paths of different
  equations of a recursive model are uncorrelated, so the delta variance is
  the sum over the chain of (product of the other paths)^2 * SE^2.

Used by :mod:`psyalliance.trust.montecarlo` (sampling experiments),
:mod:`psyalliance.sem.effects` (bootstrap of effects) and
:mod:`psyalliance.trust.sensitivity`. Scales of the book's variables: alliance item
means 1-5, MEQ30/PIQ item means 0-5, GRID-HAMD totals 0-52; the estimator
itself is scale-free.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from psyalliance.sem.registry import MODELS
from psyalliance.sem.syntax import ModelError, read_syntax
from psyalliance.study.datacheck import check_data

__all__ = [
    "implied_cov",
    "Equation",
    "PathModel",
    "parse_model",
    "get_model",
    "Fit",
    "fit_moments",
    "effect_estimates",
    "spd_solve",
    "weighted_ml_cov",
    "fit_batch",
    "fit_dataframe",
    "ml_cov",
    "path_matrix",
    "population_values",
]


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Equation:
    """One regression ``outcome ~ label*predictor + ...`` (labels may be None)."""

    outcome: str
    predictors: tuple[str, ...]
    labels: tuple[str | None, ...]


@dataclass(frozen=True)
class PathModel:
    """A recursive observed-variable path model parsed from lavaan-style syntax."""

    name: str
    equations: tuple[Equation, ...]
    covariances: tuple[tuple[str, str], ...] = ()

    @cached_property
    def endogenous(self) -> tuple[str, ...]:
        """Variables with an equation, in the order of the syntax."""
        return tuple(eq.outcome for eq in self.equations)

    @cached_property
    def exogenous(self) -> tuple[str, ...]:
        """Predictors that have no equation of their own, in order of appearance."""
        seen: list[str] = []
        for eq in self.equations:
            for x in eq.predictors:
                if x not in self.endogenous and x not in seen:
                    seen.append(x)
        return tuple(seen)

    @cached_property
    def variables(self) -> tuple[str, ...]:
        """All observed variables: exogenous first, then endogenous."""
        return self.exogenous + self.endogenous

    @cached_property
    def paths(self) -> tuple[tuple[str, str, str], ...]:
        """``(name, outcome, predictor)`` for every path; the name is the label or ``outcome~predictor``."""
        out = []
        for eq in self.equations:
            for x, lab in zip(eq.predictors, eq.labels):
                out.append((lab or f"{eq.outcome}~{x}", eq.outcome, x))
        return tuple(out)

    @cached_property
    def path_names(self) -> tuple[str, ...]:
        return tuple(p[0] for p in self.paths)

    @cached_property
    def chains(self) -> tuple[tuple[str, tuple[str, ...], tuple[int, ...]], ...]:
        """Indirect effects: every directed chain of two or more paths from an exogenous variable.

        Each is ``(name, variables along the chain, indices into paths)``; the name
        joins the path names with ``*`` (for example ``a1*b1``).
        """
        by_pred: dict[str, list[int]] = {}
        for i, (_, y, x) in enumerate(self.paths):
            by_pred.setdefault(x, []).append(i)
        found = []

        def walk(var: str, trail: tuple[str, ...], idx: tuple[int, ...]) -> None:
            for i in by_pred.get(var, []):
                y = self.paths[i][1]
                t, j = trail + (y,), idx + (i,)
                if len(j) >= 2:
                    found.append(("*".join(self.paths[k][0] for k in j), t, j))
                walk(y, t, j)

        for x in self.exogenous:
            walk(x, (x,), ())
        return tuple(found)

    @cached_property
    def chain_names(self) -> tuple[str, ...]:
        return tuple(c[0] for c in self.chains)

    @cached_property
    def n_params(self) -> int:
        """Free parameters: paths, residual variances and residual covariances.

        Counted as lavaan does by default (``fixed.x = TRUE``, no mean structure):
        the exogenous variables' (co)variances are their sample values, not parameters.
        """
        return len(self.paths) + len(self.endogenous) + len(self.covariances)

    def check_n(self, n: int, what: str = "n") -> None:
        """Raise ValueError if ``n`` complete rows cannot identify the model."""
        if n < self.n_params:
            raise ValueError(
                f"{what} = {n} is smaller than the {self.n_params} free parameters of model {self.name!r} "
                f"(paths, residual variances and covariances); need at least {self.n_params} complete rows"
            )


def parse_model(syntax: str, name: str = "model") -> PathModel:
    """Parse lavaan-style syntax (``y ~ a*x + z``; ``y1 ~~ y2``) into a :class:`PathModel`.

    The syntax is read by :func:`psyalliance.sem.syntax.read_syntax`, the reader
    :func:`psyalliance.sem.models.fit_model` uses too (both multi-outcome
    spellings, ``y1 + y2 ~ x`` and ``y1, y2 ~ x``). As lavaan's ``sem()``, the
    residual covariances of pure outcomes are free unless written
    (``auto.cov.y``). Only regressions and residual covariances between
    endogenous variables with the same predictors are supported (for those,
    ML = per-equation OLS), and covariances fixed at 0 (``y1 ~~ 0*y2``); anything else raises
    :class:`~psyalliance.sem.syntax.ModelError` (a ValueError) naming the problem.
    """
    spec = read_syntax(syntax, name)  # refuses empty syntax, self-loops, cycles, a*b*x, ... naming the model
    fixed = [f"{r.outcome} ~ {r.term.fixed:g}*{r.term.var}" for r in spec.regressions if r.term.fixed is not None]
    fixed += [f"{c.left} ~~ {c.term.fixed:g}*{c.term.var}" for c in spec.covariances
              if c.term.fixed is not None and not (c.term.fixed == 0 and c.left != c.term.var)]
    if fixed:
        raise ModelError(f"model {name!r}: fixed values ({', '.join(fixed)}) are not supported by the batched "
                         "estimator; fit the model with psyalliance.sem.models.fit_model")
    eqs = {y: Equation(y, tuple(r.term.var for r in spec.regressions if r.outcome == y),
                       tuple(r.term.label for r in spec.regressions if r.outcome == y)) for y in spec.endogenous}
    defaults = spec.default_covariances()
    covs = [(c.left, c.term.var) for c in spec.covariances if c.left != c.term.var and c.term.fixed is None]
    covs += list(defaults)
    model = PathModel(name=name, equations=_topological(eqs, name), covariances=tuple(covs))
    labels = [p[0] for p in model.paths]
    dup = {lab for lab in labels if labels.count(lab) > 1}
    if dup:
        raise ModelError(f"model {name!r}: labels {sorted(dup)} are used for more than one path (equality constraints are not supported)")
    for a, b in model.covariances:
        for v in (a, b):
            if v not in model.endogenous:
                raise ModelError(f"model {name!r}: covariance {a} ~~ {b} involves {v!r}, which has no equation")
        if set(eqs[a].predictors) != set(eqs[b].predictors):
            why = (" (lavaan frees the residual covariance of two outcomes that predict nothing, auto.cov.y; "
                   f"write {a} ~~ 0*{b} to fix it at 0 instead)") if (a, b) in defaults else ""
            raise ModelError(
                f"model {name!r}: residual covariance {a} ~~ {b} links equations with different predictors; "
                f"ML is then not per-equation OLS{why}; fit the model with psyalliance.sem.models.fit_model"
            )
    return model


def _topological(eqs: dict[str, Equation], name: str) -> tuple[Equation, ...]:
    """Order equations so that every outcome comes after its predictors; reject feedback loops."""
    done: list[str] = []
    pending = dict(eqs)
    while pending:
        ready = [y for y, eq in pending.items() if all(x not in pending for x in eq.predictors)]
        if not ready:
            raise ValueError(f"model {name!r} is not recursive (feedback among {sorted(pending)})")
        for y in ready:
            done.append(y)
            del pending[y]
    return tuple(eqs[y] for y in done)


def get_model(model: str | PathModel) -> PathModel:
    """The parsed model of ``MODELS[name]`` (or ``model`` itself if already parsed)."""
    if isinstance(model, PathModel):
        return model
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; valid: {', '.join(MODELS)}")
    return _parsed(model)


_CACHE: dict[str, PathModel] = {}


def _parsed(name: str) -> PathModel:
    if name not in _CACHE:
        _CACHE[name] = parse_model(MODELS[name], name)
    return _CACHE[name]


# --------------------------------------------------------------------------- estimation


@dataclass(frozen=True)
class Fit:
    """Estimates of one model on a batch of samples (leading axes = batch).

    Arrays: ``coef``, ``se_t`` (OLS SE), ``se_z`` (ML SE), ``df`` per path
    (``(..., paths)``); ``resvar`` ML residual variances per endogenous variable;
    ``indirect`` and ``se_indirect`` (delta method) per chain.
    """

    model: PathModel
    n: int
    coef: np.ndarray
    se_t: np.ndarray
    se_z: np.ndarray
    df: np.ndarray
    resvar: np.ndarray
    rescov: np.ndarray
    indirect: np.ndarray
    se_indirect_t: np.ndarray
    se_indirect_z: np.ndarray

    def se(self, inference: str = "t") -> np.ndarray:
        return self.se_t if inference == "t" else self.se_z

    def se_indirect(self, inference: str = "t") -> np.ndarray:
        return self.se_indirect_t if inference == "t" else self.se_indirect_z

    def table(self) -> pd.DataFrame:
        """One sample's estimates as a table (only for an unbatched fit)."""
        if self.coef.ndim != 1:
            raise ValueError("table() needs a single fit; this one is batched")
        m = self.model
        rows = [
            {"effect": nm, "kind": "path", "estimate": self.coef[i], "se_t": self.se_t[i], "se_z": self.se_z[i]}
            for i, nm in enumerate(m.path_names)
        ] + [
            {"effect": nm, "kind": "indirect", "estimate": self.indirect[i], "se_t": self.se_indirect_t[i], "se_z": self.se_indirect_z[i]}
            for i, nm in enumerate(m.chain_names)
        ]
        return pd.DataFrame(rows).set_index("effect")


def fit_moments(model: str | PathModel, cov: np.ndarray, n: int) -> Fit:
    """Fit ``model`` to ML covariance matrices (divisor n) of samples of size ``n``.

    ``cov`` has shape ``(..., p, p)`` with rows/columns in the order of
    ``model.variables``. Works for a single matrix (the population: pass any n
    larger than the parameters, the SEs are then meaningless) or a batch.
    """
    m = get_model(model)
    cov = np.asarray(cov, dtype=float)
    p = len(m.variables)
    if cov.shape[-2:] != (p, p):
        raise ValueError(f"cov has shape {cov.shape}; model {m.name!r} needs (..., {p}, {p}) in the order {m.variables}")
    pos = {v: i for i, v in enumerate(m.variables)}
    batch = cov.shape[:-2]
    coef = np.empty(batch + (len(m.paths),))
    se_t = np.empty_like(coef)
    se_z = np.empty_like(coef)
    dfs = np.empty(len(m.paths))
    resvar = np.empty(batch + (len(m.endogenous),))
    j = 0
    for e, eq in enumerate(m.equations):
        xi = [pos[x] for x in eq.predictors]
        yi = pos[eq.outcome]
        k = len(xi)
        sxx = cov[..., xi, :][..., :, xi]
        sxy = cov[..., xi, yi]
        inv = np.linalg.inv(sxx)
        b = np.einsum("...ij,...j->...i", inv, sxy)
        rv = cov[..., yi, yi] - np.einsum("...i,...i->...", sxy, b)
        resvar[..., e] = rv
        dinv = np.diagonal(inv, axis1=-2, axis2=-1)
        df = n - k - 1
        coef[..., j : j + k] = b
        se_z[..., j : j + k] = np.sqrt(np.maximum(rv, 0)[..., None] * dinv / n)
        se_t[..., j : j + k] = np.sqrt(np.maximum(rv, 0)[..., None] * dinv / max(df, 1))
        dfs[j : j + k] = df
        j += k
    rescov = np.empty(batch + (len(m.covariances),))
    for c, (a, bname) in enumerate(m.covariances):
        rescov[..., c] = _residual_cov(m, cov, pos, a, bname)
    ind, sit, siz = _chains(m, coef, se_t, se_z)
    return Fit(m, n, coef, se_t, se_z, dfs, resvar, rescov, ind, sit, siz)


def _residual_cov(m: PathModel, cov: np.ndarray, pos: dict[str, int], a: str, b: str) -> np.ndarray:
    """ML residual covariance of two equations with the same predictors."""
    eq = next(e for e in m.equations if e.outcome == a)
    xi = [pos[x] for x in eq.predictors]
    sxx = cov[..., xi, :][..., :, xi]
    sxa = cov[..., xi, pos[a]]
    sxb = cov[..., xi, pos[b]]
    return cov[..., pos[a], pos[b]] - np.einsum("...i,...i->...", sxa, np.linalg.solve(sxx, sxb[..., None])[..., 0])


def _chains(m: PathModel, coef: np.ndarray, se_t: np.ndarray, se_z: np.ndarray):
    batch = coef.shape[:-1]
    nc = len(m.chains)
    ind = np.empty(batch + (nc,))
    sit = np.empty_like(ind)
    siz = np.empty_like(ind)
    for c, (_, _, idx) in enumerate(m.chains):
        a = coef[..., list(idx)]
        ind[..., c] = np.prod(a, axis=-1)
        # delta method: d(prod)/d a_i = prod of the others
        others = np.stack([np.prod(np.delete(a, i, axis=-1), axis=-1) for i in range(len(idx))], axis=-1)
        sit[..., c] = np.sqrt(np.sum((others * se_t[..., list(idx)]) ** 2, axis=-1))
        siz[..., c] = np.sqrt(np.sum((others * se_z[..., list(idx)]) ** 2, axis=-1))
    return ind, sit, siz


def ml_cov(data: np.ndarray) -> np.ndarray:
    """ML covariance matrices (divisor n) of data shaped ``(..., n, p)``."""
    xc = data - data.mean(axis=-2, keepdims=True)
    return np.matmul(np.swapaxes(xc, -1, -2), xc) / data.shape[-2]


def spd_solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve ``a @ x = b`` for many small symmetric positive-definite systems at once.

    ``a``: shape ``(..., k, k)``, ``b``: ``(..., k)``; returns ``x`` of shape ``(..., k)``. A Cholesky
    factorisation written out entry by entry, each step one elementwise operation over the whole batch: for
    the few predictors of a path equation (k of 1 to 5) and a million bootstrap resamples this is many times
    faster than ``numpy.linalg.solve``, which calls LAPACK once per matrix. Systems that are not positive
    definite (a non-finite result) are solved again with ``numpy.linalg.solve``, which raises
    ``LinAlgError`` for an exactly singular one.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    k = a.shape[-1]
    if a.shape[-2:] != (k, k) or b.shape[-1] != k:
        raise ValueError(f"spd_solve: a has shape {a.shape} and b {b.shape}; need (..., k, k) and (..., k)")
    with np.errstate(invalid="ignore", divide="ignore"):
        low: dict[tuple[int, int], np.ndarray] = {}
        for j in range(k):
            d = a[..., j, j] - sum(low[j, m] ** 2 for m in range(j))
            low[j, j] = np.sqrt(d)
            for i in range(j + 1, k):
                low[i, j] = (a[..., i, j] - sum(low[i, m] * low[j, m] for m in range(j))) / low[j, j]
        y: list[np.ndarray] = []
        for i in range(k):
            y.append((b[..., i] - sum(low[i, m] * y[m] for m in range(i))) / low[i, i])
        x: list[np.ndarray] = [np.empty(0)] * k
        for i in reversed(range(k)):
            x[i] = (y[i] - sum(low[m, i] * x[m] for m in range(i + 1, k))) / low[i, i]
    out = np.stack(np.broadcast_arrays(*x), axis=-1)
    bad = ~np.isfinite(out).all(axis=-1)
    if bad.any():
        ab, bb = np.broadcast_to(a, out.shape[:-1] + (k, k)), np.broadcast_to(b, out.shape)
        out[bad] = np.linalg.solve(ab[bad], bb[bad][..., None])[..., 0]
    return out


def effect_estimates(model: str | PathModel, cov: np.ndarray) -> np.ndarray:
    """Every path and then every chain's product (the columns of ``path_names + chain_names``) from ML
    covariance matrices ``cov`` (``(..., p, p)``, ``model.variables`` order): the estimates of
    :func:`fit_moments` without standard errors or residual (co)variances, for the bootstrap's many fits.
    Equal to ``fit_moments``'s coef and indirect up to rounding (about 1e-15 relative)."""
    m = get_model(model)
    cov = np.asarray(cov, dtype=float)
    p = len(m.variables)
    if cov.shape[-2:] != (p, p):
        raise ValueError(f"cov has shape {cov.shape}; model {m.name!r} needs (..., {p}, {p}) in the order {m.variables}")
    pos = {v: i for i, v in enumerate(m.variables)}
    coef = []
    for eq in m.equations:
        xi = [pos[x] for x in eq.predictors]
        coef.append(spd_solve(cov[..., xi, :][..., :, xi], cov[..., xi, pos[eq.outcome]]))
    paths = np.concatenate(coef, axis=-1)
    chains = [np.prod(paths[..., list(idx)], axis=-1) for _, _, idx in m.chains]
    return np.concatenate([paths, np.stack(chains, axis=-1)], axis=-1) if chains else paths


def weighted_ml_cov(data: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """ML covariance matrices (divisor n) of resamples given by how often each row is drawn.

    ``data``: ``(..., n, p)``; ``counts``: ``(..., resamples, n)``, each row summing to n (a bootstrap
    resample's counts of every original row). Returns ``(..., resamples, p, p)``: the ML covariance of each
    resample, as :func:`ml_cov` of the resampled rows would give (up to rounding), from two matrix products
    per sample instead of a copy of every resample's rows."""
    x = np.asarray(data, dtype=float)
    x = x - x.mean(axis=-2, keepdims=True)  # centred first: the one-pass moments below lose no digits
    w = np.asarray(counts, dtype=float)
    n, p = x.shape[-2:]
    mean = w @ x / n  # (..., resamples, p)
    outer = (x[..., :, None] * x[..., None, :]).reshape(x.shape[:-2] + (n, p * p))
    second = (w @ outer).reshape(w.shape[:-1] + (p, p)) / n
    return second - mean[..., :, None] * mean[..., None, :]


def fit_batch(model: str | PathModel, data: np.ndarray) -> Fit:
    """Fit ``model`` to every sample of ``data`` (shape ``(reps, n, p)``, columns in ``model.variables`` order)."""
    m = get_model(model)
    data = np.asarray(data, dtype=float)
    m.check_n(data.shape[-2])
    return fit_moments(m, ml_cov(data), data.shape[-2])


def fit_dataframe(model: str | PathModel, df: pd.DataFrame) -> Fit:
    """Fit ``model`` to a DataFrame after listwise deletion on the model's variables."""
    m = get_model(model)
    missing = [v for v in m.variables if v not in df.columns]
    if missing:
        raise ValueError(f"data lack the variables {missing} of model {m.name!r}")
    x = check_data(df, list(m.variables), ranges=False, func="fit_dataframe").dropna().to_numpy(float)
    m.check_n(len(x), "n after listwise deletion")
    return fit_moments(m, ml_cov(x), len(x))


def population_values(model: str | PathModel, cov: pd.DataFrame) -> pd.Series:
    """The population value of every path and chain: the estimator applied to the population covariance."""
    m = get_model(model)
    c = cov.loc[list(m.variables), list(m.variables)].to_numpy(float)
    f = fit_moments(m, c, n=10**9)
    return pd.Series(np.concatenate([f.coef, f.indirect]), index=list(m.path_names) + list(m.chain_names), name=m.name)


def path_matrix(fit: Fit) -> np.ndarray:
    """The path matrix B of a (batched) fit: ``B[..., y, x]`` is the path x -> y.

    Rows and columns follow ``fit.model.variables``; shape ``batch + (p, p)``.
    """
    m = fit.model
    pos = {v: i for i, v in enumerate(m.variables)}
    b = np.zeros(fit.coef.shape[:-1] + (len(m.variables),) * 2)
    for j, (_, y, x) in enumerate(m.paths):
        b[..., pos[y], pos[x]] = fit.coef[..., j]
    return b


def implied_cov(model: str | PathModel, cov: np.ndarray, n: int) -> np.ndarray:
    """Model-implied covariance, Sigma = (I - B)^-1 Psi (I - B)^-T, at the ML estimates.

    ``cov``: ML sample covariance (divisor n), shape ``(..., p, p)``, in the order
    of ``model.variables``. The exogenous block of Psi is the sample's (lavaan's
    ``fixed.x = TRUE``).
    """
    m = get_model(model)
    cov = np.asarray(cov, dtype=float)
    f = fit_moments(m, cov, n)
    p = len(m.variables)
    pos = {v: i for i, v in enumerate(m.variables)}
    b = path_matrix(f)
    psi = np.zeros(cov.shape[:-2] + (p, p))
    ex = [pos[v] for v in m.exogenous]
    psi[..., ex[0] : ex[-1] + 1, ex[0] : ex[-1] + 1] = cov[..., ex[0] : ex[-1] + 1, ex[0] : ex[-1] + 1]
    for e, y in enumerate(m.endogenous):
        psi[..., pos[y], pos[y]] = f.resvar[..., e]
    for c, (y1, y2) in enumerate(m.covariances):
        psi[..., pos[y1], pos[y2]] = psi[..., pos[y2], pos[y1]] = f.rescov[..., c]
    inv = np.linalg.inv(np.eye(p) - b)
    return inv @ psi @ np.swapaxes(inv, -1, -2)
