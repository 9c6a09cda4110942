"""Fast estimation of recursive path models, Monte Carlo experiments and the bootstrap.

For a *recursive* path model of observed variables (no feedback loops, no latent
variables) whose residual covariances link only equations with the same
predictors, the maximum-likelihood (ML) estimates of the paths are the
ordinary-least-squares (OLS) slopes of each equation, and the ML residual
variances are the OLS residual sums of squares divided by n. This module uses
that identity to fit thousands of samples at once with numpy: the data of many
samples are an array of shape ``(reps, n, variables)``; their ML covariance
matrices (divisor n) are one batched matrix product; every equation's slopes
are one batched linear solve. ``tests/test_montecarlo.py`` checks the
estimates against semopy's ML fit.

Inference, stated once:

* a **path** is tested with its OLS standard error (residual variance divided
  by n - k - 1, k predictors) against Student's t with n - k - 1 degrees of
  freedom (``inference="t"``, exact under normality); or, as SEM software
  reports it, with the ML standard error against the normal distribution
  (``inference="z"``);
* an **indirect effect** (a product of paths along a chain) is tested with
  the first-order delta-method (Sobel) standard error and the normal
  distribution. Paths of different equations of a recursive model are
  uncorrelated, so the delta variance is the sum over the chain of
  (product of the other paths)^2 * SE^2. Optionally (``indirect_ci=
  "montecarlo"``) with the Monte Carlo interval: percentiles of the product
  of normal draws around each path estimate. The bootstrap
  (:func:`bootstrap_indirect`) gives percentile intervals on one dataset.
* **missing data** follow the committed simulated dataset's pattern (the
  same share of rows with each pattern at every n), blanked completely at
  random (MCAR; optionally at random given an observed variable, MAR), and
  are handled by listwise deletion, model by model: a model is fitted to the
  rows complete on its own variables. Published correlations use pairwise
  deletion, as a correlation table would.

Scales of the book's variables: alliance item means 1-5, MEQ30/PIQ item means
0-5, GRID-HAMD totals 0-52; the estimator itself is scale-free.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from threadpoolctl import threadpool_limits

from psyalliance.models import MODELS

__all__ = [
    "Equation",
    "PathModel",
    "parse_model",
    "get_model",
    "Fit",
    "fit_moments",
    "fit_batch",
    "fit_dataframe",
    "population_values",
    "MissingPattern",
    "MonteCarloSettings",
    "MonteCarloResult",
    "run_montecarlo",
    "run_over_n",
    "BootstrapResult",
    "bootstrap_indirect",
    "bootstrap_reference_loop",
    "SAMPLE_SIZES",
    "facts_pattern",
    "montecarlo_ci",
    "pattern_source",
]

SAMPLE_SIZES = (24, 50, 100, 200, 500)
"""The sample sizes of the book's Monte Carlo experiment (participants)."""

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_TERM = re.compile(rf"^\s*(?:(?P<label>{_NAME})\s*\*\s*)?(?P<var>{_NAME})\s*$")


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

    Only regressions and residual covariances between endogenous variables with the
    same predictors are supported (for those, ML = per-equation OLS); anything else
    raises ValueError naming the offending line.
    """
    eqs: dict[str, Equation] = {}
    covs: list[tuple[str, str]] = []
    for raw in syntax.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if "~~" in line:
            lhs, rhs = (s.strip() for s in line.split("~~", 1))
            if not re.fullmatch(_NAME, lhs) or not re.fullmatch(_NAME, rhs):
                raise ValueError(f"cannot parse covariance line {line!r}")
            if lhs != rhs:
                covs.append((lhs, rhs))
            continue
        if "=~" in line or ":=" in line or "~" not in line:
            raise ValueError(f"unsupported line {line!r}: only 'y ~ x' and 'y1 ~~ y2' are supported")
        lhs, rhs = (s.strip() for s in line.split("~", 1))
        if not re.fullmatch(_NAME, lhs):
            raise ValueError(f"cannot parse outcome {lhs!r} in {line!r}")
        preds, labels = [], []
        for term in rhs.split("+"):
            m = _TERM.match(term)
            if not m:
                raise ValueError(f"cannot parse term {term.strip()!r} in {line!r}")
            preds.append(m["var"])
            labels.append(m["label"])
        if lhs in eqs:  # lavaan allows an outcome on several lines: merge them
            old = eqs[lhs]
            eqs[lhs] = Equation(lhs, old.predictors + tuple(preds), old.labels + tuple(labels))
        else:
            eqs[lhs] = Equation(lhs, tuple(preds), tuple(labels))
    if not eqs:
        raise ValueError(f"model {name!r} has no regressions")
    model = PathModel(name=name, equations=_topological(eqs, name), covariances=tuple(covs))
    labels = [p[0] for p in model.paths]
    dup = {lab for lab in labels if labels.count(lab) > 1}
    if dup:
        raise ValueError(f"model {name!r}: labels {sorted(dup)} are used for more than one path (equality constraints are not supported)")
    for a, b in model.covariances:
        for v in (a, b):
            if v not in model.endogenous:
                raise ValueError(f"model {name!r}: covariance {a} ~~ {b} involves {v!r}, which has no equation")
        pa = set(eqs[a].predictors)
        pb = set(eqs[b].predictors)
        if pa != pb:
            raise ValueError(
                f"model {name!r}: residual covariance {a} ~~ {b} links equations with different predictors; "
                "ML is then not per-equation OLS"
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
    x = df[list(m.variables)].dropna().to_numpy(float)
    m.check_n(len(x), "n after listwise deletion")
    return fit_moments(m, ml_cov(x), len(x))


def population_values(model: str | PathModel, cov: pd.DataFrame) -> pd.Series:
    """The population value of every path and chain: the estimator applied to the population covariance."""
    m = get_model(model)
    c = cov.loc[list(m.variables), list(m.variables)].to_numpy(float)
    f = fit_moments(m, c, n=10**9)
    return pd.Series(np.concatenate([f.coef, f.indirect]), index=list(m.path_names) + list(m.chain_names), name=m.name)


# --------------------------------------------------------------------------- missing data


DATASET_PATH = Path(__file__).resolve().parents[2] / "data" / "simulated" / "levin2024_simulated.csv"


@dataclass(frozen=True)
class MissingPattern:
    """Which variables are observed, as distinct row patterns and their shares.

    ``patterns`` is a boolean table (one row per distinct pattern, True =
    observed) and ``weights`` the share of participants with each pattern.
    :meth:`rows` turns the shares into whole rows for a sample of n by
    largest-remainder rounding, so at the dataset's own n the pattern is
    reproduced exactly. In the Monte Carlo the rows are shuffled anew in every
    replication: missingness completely at random (MCAR).
    """

    patterns: pd.DataFrame
    weights: np.ndarray

    @classmethod
    def complete(cls, variables: Sequence[str]) -> MissingPattern:
        """No missing values."""
        return cls(pd.DataFrame([[True] * len(variables)], columns=list(variables)), np.array([1.0]))

    @classmethod
    def from_data(cls, df: pd.DataFrame) -> MissingPattern:
        """The pattern of a dataset (for example the committed simulated dataset)."""
        obs = df.notna()
        counts = obs.value_counts(sort=False)
        pats = pd.DataFrame(list(counts.index), columns=obs.columns)
        return cls(pats, counts.to_numpy(float) / counts.sum())

    @classmethod
    def from_dataset(cls, path: str | Path = DATASET_PATH) -> MissingPattern:
        """The pattern of the committed simulated dataset ``data/simulated/levin2024_simulated.csv``."""
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"simulated dataset not found: {path} (run `make data`)")
        return cls.from_data(pd.read_csv(path))

    def counts(self, n: int) -> np.ndarray:
        """Whole numbers of rows per pattern for a sample of n (largest remainder)."""
        raw = self.weights * n
        base = np.floor(raw).astype(int)
        short = n - base.sum()
        order = np.argsort(-(raw - base), kind="stable")
        base[order[:short]] += 1
        return base

    def rows(self, n: int, variables: Sequence[str]) -> np.ndarray:
        """A boolean (n, len(variables)) table of observed cells; variables absent from the pattern are observed."""
        pat = np.ones((len(self.patterns), len(variables)), dtype=bool)
        for j, v in enumerate(variables):
            if v in self.patterns.columns:
                pat[:, j] = self.patterns[v].to_numpy(bool)
        return np.repeat(pat, self.counts(n), axis=0)

    def n_complete(self, n: int, variables: Sequence[str]) -> int:
        """Rows complete on ``variables`` in a sample of n (listwise deletion)."""
        return int(self.rows(n, variables).all(axis=1).sum())

    def n_pairwise(self, n: int, x: str, y: str) -> int:
        """Rows observed on both x and y in a sample of n (pairwise deletion)."""
        return self.n_complete(n, [x, y])


# --------------------------------------------------------------------------- Monte Carlo


@dataclass(frozen=True)
class MonteCarloSettings:
    """One Monte Carlo experiment: ``reps`` samples of ``n`` participants.

    ``alpha``: two-sided significance level (0-1), also 1 - CI level.
    ``inference``: ``"t"`` (OLS SE, Student t; exact for paths under normality)
    or ``"z"`` (ML SE, normal; what SEM software reports).
    ``missing``: ``"dataset"`` (the committed simulated dataset's pattern, MCAR,
    listwise deletion per model), ``"facts"`` (the pattern built from the
    facts file's missing counts), ``"auto"`` (the dataset's if it is committed,
    else the facts'; the result says which) or ``"none"``.
    ``indirect_ci``: ``"sobel"`` (delta-method SE, normal) or ``"montecarlo"``
    (the Monte Carlo CI of an indirect effect: percentiles of the product of
    ``mc_draws`` normal draws around each path estimate; power then means the
    interval excludes 0). ``progress``: None shows a tqdm bar only for long runs.
    ``mar_on``: None (default) for missingness completely at random (MCAR);
    or the name of an always-observed variable on which missingness depends
    (missing at random, MAR): participants with higher values of it are more
    likely to receive the incomplete rows of the pattern, with strength
    ``mar_strength`` (0 = MCAR; 1 = a standardized score plus equal noise).
    """

    n: int = 24
    reps: int = 10_000
    seed: int = 20240301
    alpha: float = 0.05
    models: tuple[str, ...] = ("m1_mediation", "m2_cycle")
    inference: str = "t"
    missing: str = "auto"
    chunk_cells: int = 3_000_000
    indirect_ci: str = "sobel"
    mc_draws: int = 1_000
    progress: bool | None = None
    mar_on: str | None = None
    mar_strength: float = 1.0

    def __post_init__(self) -> None:
        if isinstance(self.models, str):
            object.__setattr__(self, "models", (self.models,))
        for name in self.models:
            get_model(name)
        if not isinstance(self.n, (int, np.integer)) or isinstance(self.n, bool) or self.n < 3:
            raise ValueError(f"n = {self.n!r} must be a whole number of participants >= 3")
        if not isinstance(self.reps, (int, np.integer)) or self.reps < 1:
            raise ValueError(f"reps = {self.reps!r} must be a whole number >= 1")
        if not 0 < self.alpha < 1:
            raise ValueError(f"alpha = {self.alpha!r} must lie strictly between 0 and 1")
        if self.inference not in ("t", "z"):
            raise ValueError(f"inference = {self.inference!r} must be 't' or 'z'")
        if self.missing not in ("auto", "dataset", "facts", "none"):
            raise ValueError(f"missing = {self.missing!r} must be 'auto', 'dataset', 'facts' or 'none'")
        if self.indirect_ci not in ("sobel", "montecarlo"):
            raise ValueError(f"indirect_ci = {self.indirect_ci!r} must be 'sobel' or 'montecarlo'")
        if not isinstance(self.mc_draws, (int, np.integer)) or self.mc_draws < 100:
            raise ValueError(f"mc_draws = {self.mc_draws!r} must be a whole number >= 100")
        if not 0 <= self.mar_strength <= 100:
            raise ValueError(f"mar_strength = {self.mar_strength!r} must lie in [0, 100]")
        if self.chunk_cells < 1:
            raise ValueError(f"chunk_cells = {self.chunk_cells!r} must be >= 1")


def facts_pattern(facts=None) -> MissingPattern:
    """The missing-data pattern implied by the facts file's ``missing`` section.

    Preparation alliance missing for 4, insight (all three scores) for 8 with
    the 4 inside those 8, and the one missing mystical rating among the 4
    (the alliance-mystical pair has n = 20, not 19). The fallback when no
    simulated dataset is committed.
    """
    from psyalliance.facts import load_facts

    f = facts or load_facts()
    n = int(f.value("design", "n_analysed"))
    k_prep = int(f.value("missing", "alliance_prep"))
    k_ins = int(f.value("missing", "insight"))
    k_mys = int(f.value("missing", "mystical_peak"))
    cols = ["alliance_prep", "insight_s1", "insight_s2", "insight_peak", "mystical_peak"]
    obs = np.ones((n, len(cols)), dtype=bool)
    obs[:k_ins, 1:4] = False
    obs[:k_prep, 0] = False
    obs[:k_mys, 4] = False
    return MissingPattern.from_data(pd.DataFrame(np.where(obs, 0.0, np.nan), columns=cols))


def pattern_source(missing: str) -> str:
    """Which pattern ``missing`` resolves to: "dataset", "facts" or "none"."""
    if missing == "auto":
        return "dataset" if DATASET_PATH.exists() else "facts"
    return missing


def _pattern(settings: MonteCarloSettings, variables: Sequence[str]) -> MissingPattern:
    src = pattern_source(settings.missing)
    if src == "none":
        return MissingPattern.complete(variables)
    if src == "facts":
        return facts_pattern()
    return MissingPattern.from_dataset()


def _population(population=None):
    if population is not None:
        return population
    from psyalliance.population import target_population

    return target_population()


def published_correlations() -> pd.DataFrame:
    """The eleven published correlations (facts ``correlations``): x, y, r, n."""
    from psyalliance.facts import load_facts

    return load_facts().correlations[["x", "y", "r", "p", "n"]].reset_index(drop=True)


@dataclass(frozen=True)
class MonteCarloResult:
    """Summary of one Monte Carlo experiment.

    ``summary``: one row per model and effect (path or chain) with the
    population value, mean estimate, bias, RMSE, SD of the estimates,
    coverage of the (1 - alpha) CI, power (share with p < alpha), and the
    Monte Carlo standard errors of the mean estimate and of coverage.
    ``correlations``: power of each published correlation (pairwise deletion)
    and ``all_correlations``: the share of replications in which all are
    significant in the published direction. ``estimates``: model -> array
    (reps, paths + chains) of the raw estimates, if kept.
    """

    settings: MonteCarloSettings
    summary: pd.DataFrame
    correlations: pd.DataFrame
    all_correlations: float
    n_complete: dict[str, int]
    pattern: str
    estimates: dict[str, np.ndarray] = field(repr=False, default_factory=dict)


def run_montecarlo(
    settings: MonteCarloSettings = MonteCarloSettings(),
    population=None,
    pattern: MissingPattern | None = None,
    keep_estimates: bool = False,
    correlations: bool = True,
) -> MonteCarloResult:
    """Draw ``settings.reps`` simulated samples of ``settings.n`` from ``population`` and fit the models.

    ``population`` has ``means`` (Series) and ``cov`` (DataFrame) over the
    variables (default: ``psyalliance.population.target_population()``).
    Samples are multivariate normal, drawn with
    ``numpy.random.default_rng(settings.seed)``; cells are then blanked by the
    missing-data pattern (rows shuffled per replication: MCAR) and each model
    is fitted to its complete rows (listwise deletion). The same samples serve
    every model. Raises ValueError if a model has fewer complete rows than
    free parameters.
    """
    s = settings
    pop = _population(population)
    models = [get_model(nm) for nm in s.models]
    corr_tab = published_correlations() if correlations else pd.DataFrame(columns=["x", "y", "r", "p", "n"])
    needed: list[str] = []
    for m in models:
        needed += [v for v in m.variables if v not in needed]
    for x, y in zip(corr_tab["x"], corr_tab["y"]):
        needed += [v for v in (x, y) if v not in needed]
    if s.mar_on is not None and s.mar_on not in needed:
        needed.append(s.mar_on)
    unknown = [v for v in needed if v not in pop.cov.index]
    if unknown:
        raise ValueError(f"the population lacks the variables {unknown}")
    pat = pattern or _pattern(s, needed)
    obs_rows = pat.rows(s.n, needed)  # (n, V)
    col = {v: i for i, v in enumerate(needed)}
    n_cc = {}
    for m in models:
        n_cc[m.name] = int(obs_rows[:, [col[v] for v in m.variables]].all(axis=1).sum())
        m.check_n(n_cc[m.name], f"n after listwise deletion (n = {s.n}, {m.name})")
    pair_idx = [(col[x], col[y]) for x, y in zip(corr_tab["x"], corr_tab["y"])]
    pair_n = np.array([int((obs_rows[:, i] & obs_rows[:, j]).sum()) for i, j in pair_idx], dtype=int)
    if (pair_n < 3).any():
        raise ValueError(f"n = {s.n} leaves fewer than 3 pairs for some published correlation ({pair_n.min()})")
    has_missing = not obs_rows.all()
    mar_col = None
    if s.mar_on is not None:
        mar_col = col[s.mar_on]
        if not obs_rows[:, mar_col].all():
            raise ValueError(f"mar_on = {s.mar_on!r} has missing values in the pattern; missingness can only depend on an always-observed variable")
        # incomplete rows first: under MAR they go to the highest scores
        obs_rows = obs_rows[np.argsort(obs_rows.sum(axis=1), kind="stable")]

    mu = pop.means.reindex(needed).fillna(0.0).to_numpy(float)
    sigma = pop.cov.loc[needed, needed].to_numpy(float)
    chol = np.linalg.cholesky(sigma)
    seq = np.random.SeedSequence(s.seed)
    rng_data, rng_miss, rng_ci = (np.random.default_rng(c) for c in seq.spawn(3))
    V = len(needed)
    chunk = max(1, min(s.reps, s.chunk_cells // (s.n * V)))
    starts = range(0, s.reps, chunk)
    show = s.progress if s.progress is not None else s.reps * s.n * V > 20_000_000
    if show:
        from tqdm.auto import tqdm

        starts = tqdm(starts, desc=f"Monte Carlo, n = {s.n}", unit="chunk", total=len(range(0, s.reps, chunk)))

    est = {m.name: [] for m in models}
    se = {m.name: [] for m in models}
    ci = {m.name: [] for m in models}
    dfs = {}
    sig_corr = []
    # many tiny matrix products: one BLAS thread is fastest, and spares cores shared with others
    with threadpool_limits(1, user_api="blas"):
        _simulate(s, models, starts, chunk, n_cc, obs_rows, has_missing, col, chol, mu, V, rng_data, rng_miss,
                  pair_idx, pair_n, corr_tab, est, se, ci, dfs, sig_corr, rng_ci, mar_col, np.sqrt(np.diag(sigma)))

    rows = []
    keep = {}
    for m in models:
        e = np.concatenate(est[m.name])
        sd = np.concatenate(se[m.name])
        truth = population_values(m, pop.cov)
        names = list(m.path_names) + list(m.chain_names)
        kinds = ["path"] * len(m.path_names) + ["indirect"] * len(m.chain_names)
        lo, hi = np.concatenate(ci[m.name], axis=1)
        tv = truth.to_numpy()
        cover = ((lo <= tv) & (tv <= hi)).mean(axis=0)
        power = ((lo > 0) | (hi < 0)).mean(axis=0)
        for i, nm in enumerate(names):
            rows.append({
                "model": m.name, "effect": nm, "kind": kinds[i], "n": s.n, "n_complete": n_cc[m.name],
                "population": tv[i], "mean": e[:, i].mean(), "bias": e[:, i].mean() - tv[i],
                "rmse": np.sqrt(((e[:, i] - tv[i]) ** 2).mean()), "sd": e[:, i].std(ddof=1) if s.reps > 1 else np.nan,
                "mean_se": sd[:, i].mean(), "coverage": cover[i], "power": power[i],
                "mcse_mean": e[:, i].std(ddof=1) / np.sqrt(s.reps) if s.reps > 1 else np.nan,
                "mcse_coverage": np.sqrt(cover[i] * (1 - cover[i]) / s.reps),
            })
        if keep_estimates:
            keep[m.name] = e
    summary = pd.DataFrame(rows)
    if pair_idx:
        sig = np.concatenate(sig_corr)
        ctab = corr_tab.assign(n_sim=pair_n, power=sig.mean(axis=0))
        allsig = float(sig.all(axis=1).mean())
    else:
        ctab, allsig = corr_tab, float("nan")
    return MonteCarloResult(s, summary, ctab, allsig, n_cc, "custom" if pattern is not None else pattern_source(s.missing), keep)


def _simulate(s, models, starts, chunk, n_cc, obs_rows, has_missing, col, chol, mu, V, rng_data, rng_miss,
              pair_idx, pair_n, corr_tab, est, se, ci, dfs, sig_corr, rng_ci, mar_col=None, sds=None) -> None:
    """The replication loop of :func:`run_montecarlo` (fills est, se, ci, dfs, sig_corr)."""
    for start in starts:
        c = min(chunk, s.reps - start)
        x = rng_data.standard_normal((c, s.n, V)) @ chol.T + mu
        if has_missing and mar_col is None:
            order = np.argsort(rng_miss.random((c, s.n)), axis=1)
            obs = obs_rows[order]  # (c, n, V): rows shuffled, MCAR
        elif has_missing:
            score = s.mar_strength * (x[..., mar_col] - mu[mar_col]) / sds[mar_col] + rng_miss.standard_normal((c, s.n))
            rank = np.argsort(np.argsort(-score, axis=1), axis=1)  # 0 = highest score
            obs = obs_rows[rank]  # the highest scores receive the incomplete rows: MAR
        for m in models:
            cols = [col[v] for v in m.variables]
            xm = x[..., cols]
            if has_missing:
                complete = obs[..., cols].all(axis=-1)
                take = np.argsort(~complete, axis=1, kind="stable")[:, : n_cc[m.name]]
                xm = np.take_along_axis(xm, take[..., None], axis=1)
            f = fit_moments(m, ml_cov(xm), n_cc[m.name])
            est[m.name].append(np.concatenate([f.coef, f.indirect], axis=-1))
            se[m.name].append(np.concatenate([f.se(s.inference), f.se_indirect(s.inference)], axis=-1))
            ci[m.name].append(_intervals(f, s, rng_ci))
            dfs[m.name] = f.df
        if pair_idx:
            w = obs if has_missing else np.ones((c, s.n, V), dtype=bool)
            sig_corr.append(_pairwise_significant(x, w, pair_idx, pair_n, corr_tab["r"].to_numpy(float), s.alpha))


def _intervals(f: Fit, s: MonteCarloSettings, rng_ci: np.random.Generator) -> np.ndarray:
    """(2, reps, paths + chains): lower and upper (1 - alpha) limits of every effect."""
    crit_p = stats.t.ppf(1 - s.alpha / 2, f.df) if s.inference == "t" else stats.norm.ppf(1 - s.alpha / 2)
    se_p = f.se(s.inference)
    lo_p, hi_p = f.coef - crit_p * se_p, f.coef + crit_p * se_p
    if s.indirect_ci == "montecarlo":
        lo_c, hi_c = montecarlo_ci(f.model, f.coef, se_p, rng=rng_ci, draws=s.mc_draws, alpha=s.alpha)
    else:
        crit_c = stats.norm.ppf(1 - s.alpha / 2)
        se_c = f.se_indirect(s.inference)
        lo_c, hi_c = f.indirect - crit_c * se_c, f.indirect + crit_c * se_c
    return np.stack([np.concatenate([lo_p, lo_c], axis=-1), np.concatenate([hi_p, hi_c], axis=-1)])


def montecarlo_ci(
    model: str | PathModel,
    coef: np.ndarray,
    se: np.ndarray,
    rng: np.random.Generator | None = None,
    draws: int = 1_000,
    alpha: float = 0.05,
    z: np.ndarray | None = None,
    block: int = 500,
):
    """Monte Carlo confidence intervals of a model's indirect effects.

    For every sample (rows of ``coef`` and ``se``, shape (reps, paths)) the
    paths are redrawn ``draws`` times as ``coef + se * z`` with independent
    standard normal ``z`` (fresh for every sample, from ``rng``), and the
    interval is the alpha/2 and 1 - alpha/2 percentiles of the products along
    each chain. Pass ``z`` (shape (draws, paths)) instead of ``rng`` to use the
    same draws for every sample (for checks). Returns (lower, upper), each (reps, chains).
    """
    m = get_model(model)
    coef = np.atleast_2d(coef)
    se = np.atleast_2d(se)
    if (rng is None) == (z is None):
        raise ValueError("pass exactly one of rng (fresh draws per sample) or z (shared draws)")
    reps = coef.shape[0]
    lo = np.empty((reps, len(m.chains)))
    hi = np.empty_like(lo)
    for start in range(0, reps, block):
        sl = slice(start, start + block)
        b = coef[sl].shape[0]
        zz = z[None] if z is not None else rng.standard_normal((b, draws, len(m.paths)))
        for c, (_, _, idx) in enumerate(m.chains):
            prod = np.ones((b, zz.shape[1]))
            for i in idx:
                prod *= coef[sl, i, None] + se[sl, i, None] * zz[..., i]
            lo[sl, c], hi[sl, c] = np.quantile(prod, [alpha / 2, 1 - alpha / 2], axis=1)
    return lo, hi


def _pairwise_significant(x, w, pairs, pair_n, r_pub, alpha):
    """(reps, pairs) booleans: the pairwise-complete Pearson r is significant (two-sided t test) in the published direction."""
    out = np.empty((x.shape[0], len(pairs)), dtype=bool)
    for k, (i, j) in enumerate(pairs):
        ww = (w[..., i] & w[..., j]).astype(float)
        n = pair_n[k]
        xi, xj = x[..., i] * ww, x[..., j] * ww
        mi, mj = xi.sum(1) / n, xj.sum(1) / n
        sij = (xi * x[..., j]).sum(1) / n - mi * mj
        sii = (xi * x[..., i]).sum(1) / n - mi**2
        sjj = (xj * x[..., j]).sum(1) / n - mj**2
        r = sij / np.sqrt(sii * sjj)
        t = r * np.sqrt((n - 2) / (1 - r**2))
        crit = stats.t.ppf(1 - alpha / 2, n - 2)
        out[:, k] = (np.abs(t) > crit) & (np.sign(r) == np.sign(r_pub[k]))
    return out


def run_over_n(
    sample_sizes: Sequence[int] = SAMPLE_SIZES,
    reps: int = 10_000,
    seed: int = 20240301,
    population=None,
    **kwargs,
) -> pd.DataFrame:
    """:func:`run_montecarlo` at several sample sizes (one child seed each); the summaries stacked.

    ``progress``: a tqdm bar over the sample sizes (None: only for long runs).
    Other keyword arguments go to :class:`MonteCarloSettings`.
    """
    seqs = np.random.SeedSequence(seed).spawn(len(sample_sizes))
    pop = _population(population)
    progress = kwargs.pop("progress", None)
    if progress is None:  # about 2 s of work or more on one core
        progress = reps * sum(sample_sizes) > 2_000_000
    pairs = list(zip(sample_sizes, seqs))
    if progress:
        from tqdm.auto import tqdm

        pairs = tqdm(pairs, desc="Monte Carlo over n", unit="n")
    out = []
    for n, sq in pairs:
        st = MonteCarloSettings(n=int(n), reps=reps, seed=int(sq.generate_state(1)[0]), progress=False, **kwargs)
        out.append(run_montecarlo(st, pop, correlations=False).summary)
    return pd.concat(out, ignore_index=True)


# --------------------------------------------------------------------------- bootstrap


@dataclass(frozen=True)
class BootstrapResult:
    """Bootstrap of one model's effects: the estimates on the data, the resampled
    estimates (``draws``, shape (resamples, effects)) and percentile CIs."""

    model: str
    n: int
    estimate: pd.Series
    draws: np.ndarray = field(repr=False)
    ci: pd.DataFrame = field(default=None)


def _resample_index(rng: np.random.Generator, n: int, resamples: int) -> np.ndarray:
    return rng.integers(0, n, size=(resamples, n))


def bootstrap_indirect(
    df: pd.DataFrame,
    model: str = "m1_mediation",
    resamples: int = 5_000,
    seed: int = 20240301,
    alpha: float = 0.05,
) -> BootstrapResult:
    """Nonparametric bootstrap (percentile CIs) of a model's paths and indirect effects.

    Listwise deletion first, then ``resamples`` resamples of the complete rows
    drawn with ``numpy.random.default_rng(seed)``, all fitted at once.
    """
    m = get_model(model)
    if resamples < 1:
        raise ValueError(f"resamples = {resamples!r} must be >= 1")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha = {alpha!r} must lie strictly between 0 and 1")
    x = df[list(m.variables)].dropna().to_numpy(float)
    m.check_n(len(x), "n after listwise deletion")
    names = list(m.path_names) + list(m.chain_names)
    f0 = fit_moments(m, ml_cov(x), len(x))
    est = pd.Series(np.concatenate([f0.coef, f0.indirect]), index=names)
    idx = _resample_index(np.random.default_rng(seed), len(x), resamples)
    f = fit_moments(m, ml_cov(x[idx]), len(x))
    draws = np.concatenate([f.coef, f.indirect], axis=-1)
    return BootstrapResult(m.name, len(x), est, draws, _percentile(draws, names, alpha))


def _percentile(draws: np.ndarray, names: list[str], alpha: float) -> pd.DataFrame:
    lo, hi = np.quantile(draws, [alpha / 2, 1 - alpha / 2], axis=0)
    return pd.DataFrame({"lower": lo, "upper": hi}, index=names)


def bootstrap_reference_loop(
    df: pd.DataFrame,
    model: str = "m1_mediation",
    resamples: int = 200,
    seed: int = 20240301,
    alpha: float = 0.05,
) -> BootstrapResult:
    """The same bootstrap, one resample at a time with ``numpy.linalg.lstsq`` (slow; a reference for tests)."""
    m = get_model(model)
    x = df[list(m.variables)].dropna()
    n = len(x)
    rng = np.random.default_rng(seed)
    names = list(m.path_names) + list(m.chain_names)

    def one(d: pd.DataFrame) -> np.ndarray:
        coef = {}
        for eq in m.equations:
            z = np.column_stack([np.ones(len(d)), d[list(eq.predictors)].to_numpy(float)])
            b = np.linalg.lstsq(z, d[eq.outcome].to_numpy(float), rcond=None)[0][1:]
            for xname, lab, bb in zip(eq.predictors, eq.labels, b):
                coef[lab or f"{eq.outcome}~{xname}"] = bb
        paths = [coef[p] for p in m.path_names]
        chains = [np.prod([coef[m.paths[i][0]] for i in c[2]]) for c in m.chains]
        return np.array(paths + chains)

    est = pd.Series(one(x), index=names)
    draws = np.array([one(x.iloc[rng.integers(0, n, size=n)]) for _ in range(resamples)])
    return BootstrapResult(m.name, n, est, draws, _percentile(draws, names, alpha))
