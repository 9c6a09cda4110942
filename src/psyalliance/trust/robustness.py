"""Robustness of the path analyses when the textbook assumptions bend (Monte Carlo, simulated data).

Four data conditions, all drawn from the book's target population
(:func:`psyalliance.simulation.population.target_population`):

* ``normal``: multivariate normal, complete;
* ``bounded``: the bounded, skewed (ceiling-bound) Beta marginals of
  :mod:`psyalliance.simulation.simulate`, joined by its Gaussian copula (NORTA: the
  Pearson correlations, hence the population paths, are the normal case's);
* ``mcar``: normal, the preparation alliance rating missing completely at random;
* ``mar_outcome`` / ``mar_auxiliary``: normal, the preparation alliance rating
  missing at random given an always-observed variable: 4-week depression (in
  the model) or the alliance after session 1 (not in the model).

Missing data are handled by listwise deletion, by FIML, and by FIML with the
auxiliary variable as a saturated correlate (Graham 2003). With one
incomplete variable the FIML estimates of a saturated model have a closed form
(the factored likelihood, Anderson 1957): the always-observed block from all
rows, the regression of the incomplete variable on it from the complete rows.
So FIML is batched here as fast as OLS, and exact for the saturated M1.

Reported per condition, estimator and effect: bias, RMSE and the coverage of
t (OLS SE; paths) or Sobel (indirect) intervals where they exist (complete
data and listwise deletion), of percentile and of BCa bootstrap intervals;
each with its Monte Carlo standard error. Also: the type I error of a
chi-square test at a small n with its corrections (:mod:`psyalliance.sem.smallsample`)
and the family-wise error rate of a model's path tests when every path is zero.

Scales: alliance item means 1-5, MEQ30/PIQ item means 0-5, GRID-HAMD totals 0-52.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special, stats
from threadpoolctl import threadpool_limits

from psyalliance.errors import SettingsError, check_count, check_fraction, check_seed
from psyalliance.sem.effects import bca_constants, bca_levels
from psyalliance.sem.paths import PathModel, fit_moments, get_model, implied_cov, population_values
from psyalliance.sem.smallsample import bollen_stine_pvalue, chisq_batch, corrected_chisq, model_df
from psyalliance.simulation.population import PRIMARY, copy_population, target_population
from psyalliance.simulation.simulate import _latent, load_dataset, primary_marginals

__all__ = [
    "CONDITIONS",
    "ESTIMATORS",
    "RobustnessSettings",
    "draw",
    "missing_mask",
    "estimate_cov",
    "fiml_wald",
    "run_condition",
    "run_grid",
    "chisq_type1",
    "chisq_small_n_reference",
    "clustering_sensitivity",
    "moulton_deff",
    "implied_population",
    "path_fwer",
    "complete_n",
]

CONDITIONS = {
    "normal": "multivariate normal, complete",
    "bounded": "bounded ceiling-bound marginals (copula), complete",
    "mcar": "preparation alliance missing completely at random",
    "mar_outcome": "preparation alliance missing more often at high 4-week depression (MAR)",
    "mar_auxiliary": "preparation alliance missing more often at high alliance after session 1 (MAR)",
}
"""Data conditions of the robustness experiment (name -> description)."""

ESTIMATORS = ("listwise", "fiml", "fiml_aux")
"""Missing-data estimators: listwise deletion, FIML, FIML with the auxiliary variable."""

_MAR_ON = {"mar_outcome": "hamd_4wk", "mar_auxiliary": "alliance_post1"}


@dataclass(frozen=True)
class RobustnessSettings:
    """One cell of the experiment.

    ``n``: participants per simulated sample; ``reps``: samples for bias and
    t/Sobel coverage; ``boot_samples`` of them also get ``boot_resamples``
    bootstrap resamples (percentile and BCa coverage); ``missing_share``: share
    of rows (0-1) whose ``incomplete`` variable is missing; ``mar_strength``:
    weight of the standardized variable against unit normal noise in the
    missingness score (the highest scores lose their rating); ``alpha``:
    1 - interval level.
    """

    n: int = 24
    reps: int = 2000
    boot_samples: int = 200
    boot_resamples: int = 500
    missing_share: float = 0.25
    mar_strength: float = 2.0
    alpha: float = 0.05
    seed: int = 20240311
    model: str = "m1_mediation"
    incomplete: str = "alliance_prep"
    auxiliary: str = "alliance_post1"

    def __post_init__(self) -> None:
        check_count(self.n, "n", low=8)
        check_count(self.reps, "reps", low=2)
        check_count(self.boot_samples, "boot_samples", low=2)
        if self.boot_samples > self.reps:
            raise SettingsError(f"boot_samples = {self.boot_samples} must not exceed reps = {self.reps}")
        check_count(self.boot_resamples, "boot_resamples", low=50)
        check_fraction(self.missing_share, "missing_share", 0, 0.6)
        check_fraction(self.mar_strength, "mar_strength", 0, 100, open_=False)
        check_fraction(self.alpha, "alpha")
        check_seed(self.seed, "RobustnessSettings seed")
        m = get_model(self.model)
        if self.incomplete not in m.variables:
            raise SettingsError(f"incomplete = {self.incomplete!r} is not a variable of {self.model!r}: {m.variables}")
        if self.auxiliary in m.variables:
            raise SettingsError(f"auxiliary = {self.auxiliary!r} must lie outside the model {m.variables}")
        n_c = self.n - self.n_missing
        if n_c < m.n_params:
            raise SettingsError(f"n = {self.n} with missing_share = {self.missing_share} leaves {n_c} complete rows, "
                                f"fewer than the {m.n_params} free parameters of {self.model!r}")

    @property
    def n_missing(self) -> int:
        """Rows whose incomplete variable is missing in every sample: round(missing_share * n)."""
        return int(round(self.missing_share * self.n))

    def variables(self) -> list[str]:
        """The drawn columns: the model's variables, then the auxiliary."""
        return list(get_model(self.model).variables) + [self.auxiliary]


def _population(population=None):
    if population is not None:
        return population
    return target_population()


def draw(kind: str, variables: list[str], reps: int, n: int, rng: np.random.Generator, population=None) -> np.ndarray:
    """Simulated samples, shape (reps, n, len(variables)), scale units.

    ``kind``: ``"normal"`` (multivariate normal with the population's means and
    covariance) or ``"bounded"`` (each variable's stretched-Beta marginal of
    :func:`psyalliance.simulation.simulate.primary_marginals`, joined by the copula of
    :func:`psyalliance.simulation.simulate.latent_correlation`; values stay within the scales).
    """
    pop = _population(population)
    if kind == "normal":
        sigma = pop.cov.loc[variables, variables].to_numpy(float)
        chol = np.linalg.cholesky(sigma)
        return rng.standard_normal((reps, n, len(variables))) @ chol.T + pop.means[variables].to_numpy(float)
    if kind == "bounded":
        bad = [v for v in variables if v not in PRIMARY]
        if bad:
            raise SettingsError(f"bounded draws exist for the primary scores {PRIMARY} only; not for {bad}")
        lat = _latent(pop).loc[variables, variables].to_numpy(float)
        margs = primary_marginals(pop)
        u = special.ndtr(rng.standard_normal((reps, n, len(variables))) @ np.linalg.cholesky(lat).T)
        return np.stack([margs[v].ppf(u[..., j]) for j, v in enumerate(variables)], axis=-1)
    raise SettingsError(f"kind = {kind!r} must be 'normal' or 'bounded'")


def missing_mask(condition: str, x: np.ndarray, variables: list[str], k: int, strength: float,
                 rng: np.random.Generator) -> np.ndarray:
    """(reps, n) booleans, True = the incomplete variable is observed; k rows per sample lose it.

    ``mcar``: k rows at random. ``mar_outcome``/``mar_auxiliary``: the k rows
    with the highest score ``strength * z + e`` (z the standardized value of
    the always-observed variable ``_MAR_ON``, e standard normal noise).
    Complete conditions: all True.
    """
    reps, n = x.shape[:2]
    if condition in ("normal", "bounded") or k == 0:
        return np.ones((reps, n), dtype=bool)
    if condition == "mcar":
        score = rng.random((reps, n))
    elif condition in _MAR_ON:
        v = x[..., variables.index(_MAR_ON[condition])]
        score = strength * (v - v.mean(axis=1, keepdims=True)) / v.std(axis=1, keepdims=True) + rng.standard_normal((reps, n))
    else:
        raise SettingsError(f"condition = {condition!r}; valid: {', '.join(CONDITIONS)}")
    rank = np.argsort(np.argsort(-score, axis=1), axis=1)
    return rank >= k


def _wcov(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted ML covariance (divisor sum of weights) of x (..., n, p) with row weights w (..., n)."""
    sw = w.sum(axis=-1)[..., None]
    mu = (w[..., None] * x).sum(axis=-2) / sw
    xc = (x - mu[..., None, :]) * np.sqrt(w)[..., None]
    return np.swapaxes(xc, -1, -2) @ xc / sw[..., None]


def estimate_cov(x: np.ndarray, observed: np.ndarray, estimator: str, variables: list[str], model_vars: list[str],
                 incomplete: str, auxiliary: str) -> np.ndarray:
    """ML covariance of the model's variables (..., p, p) under one missing-data estimator.

    ``x``: (..., n, V) with every value drawn; ``observed``: (..., n), whether
    ``incomplete`` is observed in the row (the value in x is ignored where not).
    ``listwise``: the complete rows' covariance. ``fiml`` / ``fiml_aux``: the
    factored likelihood (ML under MAR) without / with ``auxiliary`` among the
    always-observed variables.
    """
    w = observed.astype(float)
    idx = [variables.index(v) for v in model_vars]
    if estimator == "listwise":
        return _wcov(x[..., idx], w)
    if estimator not in ("fiml", "fiml_aux"):
        raise SettingsError(f"estimator = {estimator!r}; valid: {', '.join(ESTIMATORS)}")
    others = [v for v in model_vars if v != incomplete] + ([auxiliary] if estimator == "fiml_aux" else [])
    o = [variables.index(v) for v in others]
    j = variables.index(incomplete)
    s_oo = _wcov(x[..., o], np.ones_like(w))
    c = _wcov(x[..., o + [j]], w)  # complete rows
    k = len(o)
    beta = np.linalg.solve(c[..., :k, :k], c[..., :k, k:])  # (..., k, 1)
    resid = c[..., k, k] - (c[..., k:, :k] @ beta)[..., 0, 0]
    order = others + [incomplete]
    return _assemble(s_oo, beta, resid, [order.index(v) for v in model_vars])


def _assemble(s_oo: np.ndarray, beta: np.ndarray, resid: np.ndarray, pick: list[int]) -> np.ndarray:
    """The full covariance from the factored parameters: observed block, regression of the incomplete one."""
    s_op = s_oo @ beta
    s_pp = resid + (np.swapaxes(beta, -1, -2) @ s_op)[..., 0, 0]
    full = np.concatenate([np.concatenate([s_oo, s_op], axis=-1),
                           np.concatenate([np.swapaxes(s_op, -1, -2), s_pp[..., None, None]], axis=-1)], axis=-2)
    return full[..., pick, :][..., :, pick]


def fiml_wald(m: PathModel, x: np.ndarray, observed: np.ndarray, estimator: str, variables: list[str],
              incomplete: str, auxiliary: str, step: float = 1e-6) -> tuple[np.ndarray, np.ndarray]:
    """FIML estimates and Wald SEs from the observed information, for one incomplete variable (batched).

    Returns (estimates, SEs), each (..., paths + chains), in the order of
    :func:`psyalliance.sem.paths.fit_moments` (coefficients, then indirect effects).
    The factored likelihood splits into the always-observed block W (all n
    rows: ML covariance S, whose observed information at the ML estimate gives
    Cov(s_ij, s_kl) = (s_ik s_jl + s_il s_jk) / n) and the regression of the
    incomplete variable on W (the n_c complete rows: Cov(beta) = sigma^2
    C_WW^-1 / n_c, Var(sigma^2) = 2 sigma^4 / n_c, uncorrelated with beta at the
    estimate). The two parts have separate parameters, so the information is
    block diagonal; an effect's SE is the delta method through them (central
    differences of relative ``step``). SEs of functions of a saturated model do
    not depend on its parametrization, so these equal lavaan's FIML standard
    errors with ``information = "observed"`` (``tests/lavaan/fiml_se/``).
    Means do not enter: the paths are functions of the covariance alone.
    """
    if estimator not in ("fiml", "fiml_aux"):
        raise SettingsError(f"estimator = {estimator!r}; fiml_wald takes 'fiml' or 'fiml_aux'")
    mv = list(m.variables)
    others = [v for v in mv if v != incomplete] + ([auxiliary] if estimator == "fiml_aux" else [])
    o = [variables.index(v) for v in others]
    j = variables.index(incomplete)
    w = observed.astype(float)
    n, n_c = x.shape[-2], w.sum(axis=-1)
    s_oo = _wcov(x[..., o], np.ones_like(w))
    c = _wcov(x[..., o + [j]], w)
    k = len(o)
    c_ww = c[..., :k, :k]
    beta = np.linalg.solve(c_ww, c[..., :k, k:])
    resid = c[..., k, k] - (c[..., k:, :k] @ beta)[..., 0, 0]
    order = others + [incomplete]
    pick = [order.index(v) for v in mv]

    iu = np.triu_indices(k)
    n_s = len(iu[0])

    def effects(theta: np.ndarray) -> np.ndarray:
        s = np.zeros(theta.shape[:-1] + (k, k))
        s[..., iu[0], iu[1]] = theta[..., :n_s]
        s[..., iu[1], iu[0]] = theta[..., :n_s]
        b = theta[..., n_s:n_s + k, None]
        f = fit_moments(m, _assemble(s, b, theta[..., -1], pick), n)
        return np.concatenate([f.coef, f.indirect], axis=-1)

    theta = np.concatenate([s_oo[..., iu[0], iu[1]], beta[..., 0], resid[..., None]], axis=-1)
    est = effects(theta)
    p_all = theta.shape[-1]
    # the block-diagonal covariance of theta
    v = np.zeros(theta.shape[:-1] + (p_all, p_all))
    a, b_ = iu
    v[..., :n_s, :n_s] = (s_oo[..., a[:, None], a[None, :]] * s_oo[..., b_[:, None], b_[None, :]]
                          + s_oo[..., a[:, None], b_[None, :]] * s_oo[..., b_[:, None], a[None, :]]) / n
    v[..., n_s:n_s + k, n_s:n_s + k] = resid[..., None, None] * np.linalg.inv(c_ww) / n_c[..., None, None]
    v[..., -1, -1] = 2 * resid**2 / n_c
    jac = np.empty(est.shape + (p_all,))
    for i in range(p_all):
        h = step * np.maximum(np.abs(theta[..., i]), 1e-3)
        up, dn = theta.copy(), theta.copy()
        up[..., i] += h
        dn[..., i] -= h
        jac[..., i] = (effects(up) - effects(dn)) / (2 * h[..., None])
    var = np.einsum("...ei,...ij,...ej->...e", jac, v, jac)
    return est, np.sqrt(var)


def _effects(m: PathModel, cov: np.ndarray, n: int):
    f = fit_moments(m, cov, n)
    return f, np.concatenate([f.coef, f.indirect], axis=-1)


def _coverage(lo: np.ndarray, hi: np.ndarray, truth: np.ndarray) -> np.ndarray:
    return np.mean((lo <= truth) & (truth <= hi), axis=0)


def _row_quantiles(dist: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Quantile q[i] of row i of ``dist`` (NaN rows ignored), numpy's default linear interpolation."""
    srt = np.sort(dist, axis=1)  # NaN last
    k = np.sum(~np.isnan(dist), axis=1)
    pos = np.clip(np.nan_to_num(q, nan=0.5), 0, 1) * (k - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, k - 1)
    rows = np.arange(len(dist))
    out = srt[rows, lo] + (pos - lo) * (srt[rows, hi] - srt[rows, lo])
    return np.where(np.isnan(q), np.nan, out)


def _bootstrap(m, x, obs, s, estimator, variables, rng, block=20):
    """Percentile and BCa limits (2 methods, 2 limits, boot_samples, effects) of every effect.

    Also the quantile of the bootstrap distribution each BCa lower limit reports (boot_samples, effects).
    """
    mv = list(m.variables)
    b_all, n = x.shape[:2]
    out = np.empty((2, 2, b_all, len(m.paths) + len(m.chains)))
    q_low = np.empty((b_all, len(m.paths) + len(m.chains)))
    keep = ~np.eye(n, dtype=bool)
    for start in range(0, b_all, block):
        sl = slice(start, start + block)
        xb, ob = x[sl], obs[sl]
        b = xb.shape[0]
        ii = rng.integers(0, n, size=(b, s.boot_resamples, n))
        ar = np.arange(b)[:, None, None]
        cov = estimate_cov(xb[ar, ii], ob[ar, ii], estimator, variables, mv, s.incomplete, s.auxiliary)
        with np.errstate(all="ignore"):
            est = _effects(m, cov, n)[1]  # (b, B, e)
        point = _effects(m, estimate_cov(xb, ob, estimator, variables, mv, s.incomplete, s.auxiliary), n)[1]
        lo, hi = np.nanquantile(est, [s.alpha / 2, 1 - s.alpha / 2], axis=1)
        out[0, 0, sl], out[0, 1, sl] = lo, hi
        jk_idx = np.stack([np.arange(n)[keep[i]] for i in range(n)])  # (n, n-1)
        jk = _effects(m, estimate_cov(xb[:, jk_idx], ob[:, jk_idx], estimator, variables, mv, s.incomplete,
                                      s.auxiliary), n - 1)[1]  # (b, n, e)
        e = est.shape[-1]
        dist = np.moveaxis(est, 1, -1).reshape(b * e, -1)
        z0, acc = bca_constants(dist, point.reshape(b * e), np.moveaxis(jk, 1, -1).reshape(b * e, n))
        ql, qh = bca_levels(z0, acc, 1 - s.alpha)
        lo_b, hi_b = _row_quantiles(dist, ql).reshape(b, e), _row_quantiles(dist, qh).reshape(b, e)
        out[1, 0, sl], out[1, 1, sl] = lo_b, hi_b
        q_low[sl] = ql.reshape(b, e)
    return out, q_low


def run_condition(condition: str, estimator: str, settings: RobustnessSettings = RobustnessSettings(),
                  population=None) -> pd.DataFrame:
    """One condition x estimator: a row per effect with bias, RMSE and interval coverage (with MCSEs).

    Complete conditions (``normal``, ``bounded``) take ``estimator="complete"``.
    Column ``coverage_t``: t (paths, OLS SE, df of the complete rows) and
    Sobel (indirect) intervals for complete data and listwise deletion; for
    FIML, Wald intervals (estimate +/- z SE) with SEs from the observed
    information (:func:`fiml_wald`), paths and indirect effects alike.
    ``bca_q_low_median``: the median over the bootstrapped studies of the
    quantile of the bootstrap distribution that BCa's lower limit reports
    (times ``boot_resamples``: how many resamples lie beyond it).
    """
    s = settings
    if condition not in CONDITIONS:
        raise SettingsError(f"condition = {condition!r}; valid: {', '.join(CONDITIONS)}")
    complete = condition in ("normal", "bounded")
    if complete != (estimator == "complete"):
        raise SettingsError(f"estimator = {estimator!r} with condition {condition!r}: complete conditions take "
                            f"'complete', missing-data conditions one of {', '.join(ESTIMATORS)}")
    pop = _population(population)
    m = get_model(s.model)
    variables = s.variables()
    mv = list(m.variables)
    key = list(CONDITIONS).index(condition)
    rng_x, rng_m, rng_b = (np.random.default_rng(c) for c in np.random.SeedSequence([s.seed, key]).spawn(3))
    truth = population_values(m, pop.cov).to_numpy()
    with threadpool_limits(1, user_api="blas"):
        x = draw("bounded" if condition == "bounded" else "normal", variables, s.reps, s.n, rng_x, pop)
        obs = missing_mask(condition, x, variables, s.n_missing, s.mar_strength, rng_m)
        est_name = "listwise" if complete else estimator
        n_eff = s.n if complete else (s.n - s.n_missing if estimator == "listwise" else s.n)
        f, est = _effects(m, estimate_cov(x, obs, est_name, variables, mv, s.incomplete, s.auxiliary), n_eff)
        boot, bca_q = _bootstrap(m, x[: s.boot_samples], obs[: s.boot_samples], s, est_name, variables, rng_b)
    if est_name == "listwise":
        crit = stats.t.ppf(1 - s.alpha / 2, f.df)
        z = stats.norm.ppf(1 - s.alpha / 2)
        lo = np.concatenate([f.coef - crit * f.se_t, f.indirect - z * f.se_indirect_t], axis=-1)
        hi = np.concatenate([f.coef + crit * f.se_t, f.indirect + z * f.se_indirect_t], axis=-1)
        cov_w = _coverage(lo, hi, truth)
    else:  # FIML: Wald intervals from the observed information, normal critical value
        with np.errstate(all="ignore"):
            est_w, se_w = fiml_wald(m, x, obs, est_name, variables, s.incomplete, s.auxiliary)
        z = stats.norm.ppf(1 - s.alpha / 2)
        cov_w = _coverage(est_w - z * se_w, est_w + z * se_w, truth)
    cov_p = _coverage(boot[0, 0], boot[0, 1], truth)
    cov_b = _coverage(boot[1, 0], boot[1, 1], truth)
    names = list(m.path_names) + list(m.chain_names)
    kinds = ["path"] * len(m.path_names) + ["indirect"] * len(m.chain_names)
    rows = []
    for i, nm in enumerate(names):
        e = est[:, i]
        rows.append({
            "condition": condition, "estimator": estimator, "effect": nm, "kind": kinds[i], "n": s.n,
            "population": truth[i], "mean": e.mean(), "bias": e.mean() - truth[i],
            "mcse_bias": e.std(ddof=1) / np.sqrt(s.reps), "rmse": np.sqrt(np.mean((e - truth[i]) ** 2)),
            "coverage_t": cov_w[i], "mcse_t": np.sqrt(cov_w[i] * (1 - cov_w[i]) / s.reps),
            "coverage_percentile": cov_p[i], "coverage_bca": cov_b[i],
            "mcse_percentile": np.sqrt(cov_p[i] * (1 - cov_p[i]) / s.boot_samples),
            "mcse_bca": np.sqrt(cov_b[i] * (1 - cov_b[i]) / s.boot_samples),
            "bca_q_low_median": float(np.nanmedian(bca_q[:, i])),
            "reps": s.reps, "boot_samples": s.boot_samples, "boot_resamples": s.boot_resamples,
        })
    return pd.DataFrame(rows)


def run_grid(settings: RobustnessSettings = RobustnessSettings(), population=None) -> pd.DataFrame:
    """Every condition with its estimators (complete: one; missing: listwise, FIML, FIML + auxiliary), stacked."""
    pop = _population(population)
    parts = []
    for cond in CONDITIONS:
        for est in (("complete",) if cond in ("normal", "bounded") else ESTIMATORS):
            parts.append(run_condition(cond, est, settings, pop))
    return pd.concat(parts, ignore_index=True)


def complete_n(model: str, data: pd.DataFrame | None = None) -> int:
    """Rows of the committed simulated dataset (or ``data``) complete on ``model``'s variables."""
    d = load_dataset() if data is None else data
    return int(d[list(get_model(model).variables)].notna().all(axis=1).sum())


def implied_population(model: str, population=None):
    """A copy of the population whose correlations among ``model``'s variables are the model-implied ones.

    The model then holds exactly in it (means, SDs and all other correlations
    unchanged), for normal and for bounded (copula) draws alike.
    """
    from dataclasses import replace

    pop = copy_population(_population(population))
    mv = list(get_model(model).variables)
    sigma = implied_cov(get_model(model), pop.cov.loc[mv, mv].to_numpy(float), 10**9)
    sd = np.sqrt(np.diag(sigma))
    corr = pop.corr.copy()
    corr.loc[mv, mv] = sigma / np.outer(sd, sd)
    sds = pop.sds.copy()
    sds[mv] = sd
    return replace(pop, corr=corr, sds=sds)


def chisq_type1(model: str = "m2_cycle", n: int | None = None, reps: int = 4000, bs_reps: int = 200,
                bs_resamples: int = 200, alpha: float = 0.05, seed: int = 20240312, population=None,
                kind: str = "normal") -> pd.DataFrame:
    """Type I error of ``model``'s chi-square test at n when the model is true (simulated data).

    Data are drawn (``kind``: ``"normal"`` or ``"bounded"``, see :func:`draw`)
    from :func:`implied_population`, in which the model holds exactly. Tests: the ML chi-square, its Bartlett and
    Swain corrections (``reps`` samples) and the Bollen-Stine bootstrap (the
    first ``bs_reps`` samples, ``bs_resamples`` resamples each). ``n``: default
    the complete rows of the committed simulated dataset. One row per test:
    rejection rate at ``alpha`` and its Monte Carlo standard error.
    """
    m = get_model(model)
    n = complete_n(model) if n is None else check_count(n, "n", low=m.n_params + 1)
    check_count(bs_reps, "bs_reps", low=2, high=reps)
    pop = implied_population(model, population)
    mv = list(m.variables)
    rng_x, rng_b = (np.random.default_rng(c) for c in np.random.SeedSequence(seed).spawn(2))
    with threadpool_limits(1, user_api="blas"):
        x = draw(kind, mv, reps, n, rng_x, pop)
        t = chisq_batch(m, x)
        c = corrected_chisq(t, n, len(mv), model_df(m))
        p_bs = bollen_stine_pvalue(m, x[:bs_reps], bs_resamples, rng=rng_b)
    rows = []
    for label, key, k in (("ML chi-square", "p_ml", reps), ("Bartlett", "p_bartlett", reps),
                          ("Swain", "p_swain", reps), ("Bollen-Stine", None, bs_reps)):
        p = p_bs if key is None else c[key]
        rate = float(np.mean(p < alpha)) if key else float(np.mean(p <= alpha))
        rows.append({"test": label, "data": kind, "type1": rate, "mcse": np.sqrt(rate * (1 - rate) / k), "reps": k,
                     "n": n, "df": model_df(m), "alpha": alpha})
    return pd.DataFrame(rows)


def chisq_small_n_reference(model: str = "m2_cycle", data: pd.DataFrame | None = None, reps: int = 20_000,
                            bs_resamples: int = 5_000, alpha: float = 0.05, seed: int = 20240314,
                            population=None) -> dict[str, float]:
    """What a referee puts beside the ML chi-square test of ``model`` on ``data``'s complete rows (n of them).

    Keys: ``n``, ``df``, ``chisq`` (ML, N F_ML), ``p_ml`` (against chi-square on
    df), ``crit_chi2`` (its 1 - ``alpha`` critical value), ``crit_exact`` (the
    1 - ``alpha`` quantile of the chisq of ``reps`` simulated normal samples of
    n from :func:`implied_population`, where the model holds: the exact
    small-sample critical value), ``crit_exact_mcse`` (its Monte Carlo SE, from
    the order-statistic interval), ``p_exact`` (share of simulated chisq >=
    the observed), ``p_bs_fixed`` and ``p_bs_refit`` (Bollen-Stine p with
    ``bs_resamples`` resamples, the exogenous (co)variances held at the
    sample's, as lavaan, or re-estimated in each resample; see
    :func:`psyalliance.sem.smallsample.bollen_stine_pvalue`), ``reps``, ``bs_resamples``.
    """
    m = get_model(model)
    check_count(reps, "reps", low=100)
    check_count(bs_resamples, "bs_resamples", low=100)
    alpha = check_fraction(alpha, "alpha")
    data = load_dataset() if data is None else data
    x = data[list(m.variables)].dropna().to_numpy(float)
    n, df = len(x), model_df(m)
    m.check_n(n)
    rng_x, rng_b, rng_c = (np.random.default_rng(c) for c in np.random.SeedSequence(seed).spawn(3))
    with threadpool_limits(1, user_api="blas"):
        t = float(chisq_batch(m, x))
        sim = chisq_batch(m, draw("normal", list(m.variables), reps, n, rng_x, implied_population(model, population)))
        p_fixed = float(bollen_stine_pvalue(m, x, bs_resamples, rng=rng_b, exogenous="original"))
        p_refit = float(bollen_stine_pvalue(m, x, bs_resamples, rng=rng_c, exogenous="resample"))
    srt = np.sort(sim)
    k = stats.binom.ppf([0.16, 0.84], reps, 1 - alpha).astype(int)  # a +/- 1 SE band of the order statistic
    return {"n": n, "df": df, "chisq": t, "p_ml": float(stats.chi2.sf(t, df)),
            "crit_chi2": float(stats.chi2.isf(alpha, df)), "crit_exact": float(np.quantile(sim, 1 - alpha)),
            "crit_exact_mcse": float((srt[min(k[1], reps - 1)] - srt[k[0]]) / 2),
            "p_exact": float(np.mean(sim >= t)), "p_bs_fixed": p_fixed, "p_bs_refit": p_refit,
            "reps": reps, "bs_resamples": bs_resamples}


def moulton_deff(icc: float | np.ndarray, cluster_size: int) -> np.ndarray:
    """Moulton's design effect on a slope's variance, 1 + (m - 1) icc_x icc_e, with icc_x = icc_e = ``icc`` (0-1).

    Large-sample approximation for many clusters of ``cluster_size`` m when the
    predictor and the residual share the same intraclass correlation.
    """
    r = np.asarray(icc, dtype=float)
    if np.any((r < 0) | (r >= 1)):
        raise SettingsError(f"icc = {icc!r} must lie in [0, 1)")
    check_count(cluster_size, "cluster_size", low=1)
    return 1 + (cluster_size - 1) * r**2


def clustering_sensitivity(iccs=(0.0, 0.1, 0.2, 0.3), cluster_sizes=(3, 6), n: int = 24, reps: int = 4000,
                           alpha: float = 0.05, seed: int = 20240315, population=None,
                           model: str = "m1_mediation") -> pd.DataFrame:
    """What clustering of participants (facilitator pairs) does to ``model``'s SEs and interval coverage.

    Complete normal samples of ``n`` in clusters of each size m (n must be a
    multiple): every variable is sqrt(icc) x a cluster effect + sqrt(1 - icc) x
    an individual one, both with the population covariance, so the total
    covariance, and with it every population path, is the population's, and
    every variable has intraclass correlation ``icc``. Fitted ignoring the
    clusters (OLS t intervals for paths, Sobel for chains), as the study was.
    One row per icc, m and effect: population, coverage, mcse, se_ratio (SD of
    the estimates over the mean reported SE), deff (se_ratio^2, the design
    effect on the variance) and moulton (:func:`moulton_deff`).
    """
    m = get_model(model)
    check_count(n, "n", low=m.n_params + 1)
    check_count(reps, "reps", low=100)
    alpha = check_fraction(alpha, "alpha")
    pop = _population(population)
    mv = list(m.variables)
    cov = pop.cov.loc[mv, mv].to_numpy(float)
    chol = np.linalg.cholesky(cov)
    truth = population_values(m, pop.cov).to_numpy()
    rows = []
    for size in cluster_sizes:
        check_count(size, "cluster size", low=1)
        if n % size:
            raise SettingsError(f"n = {n} is not a multiple of the cluster size {size}")
        for k, icc in enumerate(iccs):
            moulton = float(moulton_deff(icc, size))
            rng = np.random.default_rng(np.random.SeedSequence([seed, size, k]))
            between = rng.standard_normal((reps, n // size, len(mv))) @ chol.T
            within = rng.standard_normal((reps, n, len(mv))) @ chol.T
            x = np.sqrt(icc) * np.repeat(between, size, axis=1) + np.sqrt(1 - icc) * within
            with threadpool_limits(1, user_api="blas"):
                f = fit_moments(m, _wcov(x, np.ones(x.shape[:2])), n)
            est = np.concatenate([f.coef, f.indirect], axis=-1)
            se = np.concatenate([f.se_t, f.se_indirect_t], axis=-1)
            crit = np.concatenate([np.broadcast_to(stats.t.ppf(1 - alpha / 2, f.df), f.coef.shape),
                                   np.full(f.indirect.shape, stats.norm.ppf(1 - alpha / 2))], axis=-1)
            cover = _coverage(est - crit * se, est + crit * se, truth)
            ratio = est.std(axis=0, ddof=1) / se.mean(axis=0)
            for i, name in enumerate(list(m.path_names) + list(m.chain_names)):
                rows.append({"icc": float(icc), "cluster_size": int(size), "effect": name, "population": truth[i],
                             "coverage": cover[i], "mcse": np.sqrt(cover[i] * (1 - cover[i]) / reps),
                             "se_ratio": ratio[i], "deff": ratio[i] ** 2, "moulton": moulton, "reps": reps, "n": n})
    return pd.DataFrame(rows)


def path_fwer(model: str = "m2_cycle", n: int | None = None, reps: int = 20_000, alpha: float = 0.05,
              seed: int = 20240313) -> dict[str, float]:
    """Family-wise error rate of ``model``'s path t tests when every path (and residual covariance) is zero.

    Simulated standard normal, independent variables (every path zero), n rows
    (default: the committed dataset's complete rows for the model). Returns the
    number of tests ``k``, the FWER of unadjusted tests at ``alpha`` with its
    MCSE, the independent-tests value 1 - (1 - alpha)^k, the Bonferroni bound
    k * alpha, and the FWER after Holm's adjustment (the same event as after
    Bonferroni's: Holm rejects something exactly when its first step, p_min < alpha / k, does).
    """
    m = get_model(model)
    n = complete_n(model) if n is None else check_count(n, "n", low=m.n_params + 1)
    check_count(reps, "reps", low=2)
    check_fraction(alpha, "alpha")
    rng = np.random.default_rng(check_seed(seed, "path_fwer seed"))
    p_var = len(m.variables)
    rejections = np.empty((reps, len(m.paths)), dtype=bool)
    holm = np.empty(reps, dtype=bool)
    block = 5000
    with threadpool_limits(1, user_api="blas"):
        for start in range(0, reps, block):
            b = min(block, reps - start)
            x = rng.standard_normal((b, n, p_var))
            xc = x - x.mean(axis=1, keepdims=True)
            f = fit_moments(m, np.swapaxes(xc, 1, 2) @ xc / n, n)
            p = 2 * stats.t.sf(np.abs(f.coef / f.se_t), f.df)
            rejections[start : start + b] = p < alpha
            ps = np.sort(p, axis=1)
            k = p.shape[1]
            holm[start : start + b] = ps[:, 0] < alpha / k  # Holm rejects something iff its first step does
    k = len(m.paths)
    fwer = float(rejections.any(axis=1).mean())
    return {"k": k, "n": n, "reps": reps, "fwer": fwer, "mcse": float(np.sqrt(fwer * (1 - fwer) / reps)),
            "independent": 1 - (1 - alpha) ** k, "bonferroni_bound": k * alpha,
            "fwer_holm": float(holm.mean()), "alpha": alpha}
