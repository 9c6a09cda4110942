"""Monte Carlo experiments: how often do samples of n people recover the population's paths?

Samples are drawn from the target population (:mod:`psyalliance.simulation.population`)
as multivariate normal data, many at once, and every sample is fitted with
the batched estimator of :mod:`psyalliance.sem.paths` (ML = per-equation OLS for
the book's recursive models). Per path and per indirect effect the experiment
reports bias, RMSE, 95% interval coverage and power; and how often all eleven
published correlations come out significant.

Inference (see :mod:`psyalliance.sem.paths`): paths with the OLS SE and Student's
t (or, ``inference="z"``, the ML SE and the normal distribution); indirect
effects with the delta-method (Sobel) SE, or optionally (``indirect_ci=
"montecarlo"``) the Monte Carlo interval: percentiles of the product of normal
draws around each path estimate, or (``indirect_ci="bootstrap"``) the
percentile bootstrap of every simulated sample (:func:`percentile_bootstrap`,
batched), which measures the bootstrap's own coverage. The bootstrap of one
dataset (percentile and BCa) lives in :mod:`psyalliance.sem.effects`.

**Missing data** follow the committed simulated dataset's pattern (the same
share of rows with each pattern at every n), blanked completely at random
(MCAR; optionally at random given an observed variable, MAR), and are handled
by listwise deletion, model by model: a model is fitted to the rows complete on
its own variables. Published correlations use pairwise deletion, as a
correlation table would.

Scales of the book's variables: alliance item means 1-5, MEQ30/PIQ item means
0-5, GRID-HAMD totals 0-52.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from threadpoolctl import ThreadpoolController

from psyalliance.errors import SettingsError, check_count, check_fraction, check_memory, check_seed, check_weights
from psyalliance.sem.effects import BootstrapSettings, bootstrap_effects
from psyalliance.sem.paths import (
    Fit,
    PathModel,
    effect_estimates,
    fit_dataframe,
    fit_moments,
    get_model,
    ml_cov,
    population_values,
    weighted_ml_cov,
)
from psyalliance.sem.registry import EFFECTS, MODELS
from psyalliance.simulation.population import target_population
from psyalliance.simulation.simulate import DATASET_PATH
from psyalliance.study.facts import load_facts

__all__ = [
    "MissingPattern",
    "MonteCarloSettings",
    "MonteCarloResult",
    "run_montecarlo",
    "run_over_n",
    "SAMPLE_SIZES",
    "facts_pattern",
    "montecarlo_ci",
    "percentile_bootstrap",
    "pattern_source",
    "min_n",
    "n_for_power",
    "n_for_power_text",
    "compare_intervals",
    "interval_table",
]

_THREADS = ThreadpoolController()
"""The BLAS libraries loaded (numpy's and scipy's, imported above), found once: threadpoolctl's
``threadpool_limits`` searches the process's libraries anew on every call (6 ms; a sensitivity sweep
runs dozens of experiments)."""

SAMPLE_SIZES = (24, 50, 100, 200, 500)
"""The sample sizes of the book's Monte Carlo experiment (participants)."""


# --------------------------------------------------------------------------- missing data




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

    def __post_init__(self) -> None:
        if not isinstance(self.patterns, pd.DataFrame) or self.patterns.empty:
            raise SettingsError(f"patterns must be a non-empty DataFrame of True/False (observed), got {self.patterns!r}")
        if not all(pd.api.types.is_bool_dtype(dtype) for dtype in self.patterns.dtypes):  # dtypes: no Series built
            raise SettingsError(f"patterns must hold True (observed) / False (missing); column dtypes: "
                                f"{dict(self.patterns.dtypes.astype(str))}")
        w = check_weights(self.weights, "MissingPattern weights")
        if len(w) != len(self.patterns):
            raise SettingsError(f"MissingPattern has {len(self.patterns)} pattern(s) but {len(w)} weight(s); "
                                "give one share per pattern")
        object.__setattr__(self, "weights", w)

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
        stat = path.stat()
        key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)  # a rewritten file is read again
        if key not in _DATASET_PATTERNS:
            _DATASET_PATTERNS.clear()
            _DATASET_PATTERNS[key] = cls.from_data(pd.read_csv(path))
        known = _DATASET_PATTERNS[key]
        return cls(known.patterns.copy(), known.weights.copy())

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
    ``indirect_ci``: ``"sobel"`` (delta-method SE, normal), ``"montecarlo"``
    (the Monte Carlo CI of an indirect effect: percentiles of the product of
    ``mc_draws`` normal draws around each path estimate) or ``"bootstrap"``
    (percentile bootstrap with ``boot_resamples`` case resamples of each
    simulated sample's complete rows); power then means the interval excludes 0. ``progress``: None shows a tqdm bar only for long runs.
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
    boot_resamples: int = 1_000
    progress: bool | None = None
    mar_on: str | None = None
    mar_strength: float = 1.0

    def __post_init__(self) -> None:
        if isinstance(self.models, str):
            object.__setattr__(self, "models", (self.models,))
        for name in self.models:
            get_model(name)
        check_count(self.n, "n", low=3)
        check_count(self.reps, "reps", low=1)
        check_seed(self.seed, "MonteCarloSettings seed")
        check_fraction(self.alpha, "alpha")
        if self.inference not in ("t", "z"):
            raise SettingsError(f"inference = {self.inference!r} must be 't' or 'z'")
        if self.missing not in ("auto", "dataset", "facts", "none"):
            raise SettingsError(f"missing = {self.missing!r} must be 'auto', 'dataset', 'facts' or 'none'")
        if self.indirect_ci not in ("sobel", "montecarlo", "bootstrap"):
            raise SettingsError(f"indirect_ci = {self.indirect_ci!r} must be 'sobel', 'montecarlo' or 'bootstrap'")
        check_count(self.boot_resamples, "boot_resamples", low=100)
        check_count(self.mc_draws, "mc_draws", low=100)
        check_fraction(self.mar_strength, "mar_strength", 0, 100, open_=False)
        check_count(self.chunk_cells, "chunk_cells", low=1)
        if self.mar_on is not None and not isinstance(self.mar_on, str):
            raise SettingsError(f"mar_on = {self.mar_on!r} must be None or the name of a variable")


def montecarlo_memory(settings: MonteCarloSettings, variables: int, widths: Sequence[int]) -> float:
    """Estimated peak memory (bytes) of :func:`run_montecarlo`.

    ``variables``: columns drawn per sample; ``widths``: paths + chains per
    model. Counts the kept results (estimate, SE and two limits per effect and
    replication, 8 bytes each), one chunk of simulated data with its copies
    (about 6 times ``chunk * n * variables``), and the largest interval
    block: Monte Carlo CIs (500 samples x ``mc_draws`` x paths, 3 copies) or
    the batched bootstrap (50 samples x ``boot_resamples`` x n x variables,
    data, indices and centred copy).
    """
    s = settings
    chunk = max(1, min(s.reps, s.chunk_cells // (s.n * variables)))
    kept = 4 * 8 * s.reps * sum(widths)
    data = 6 * 8 * chunk * s.n * variables
    block = 0
    if s.indirect_ci == "montecarlo":
        block = 3 * 8 * min(500, chunk) * s.mc_draws * max(widths)
    elif s.indirect_ci == "bootstrap":
        block = 4 * 8 * min(50, chunk) * s.boot_resamples * s.n * variables
    return float(kept + data + block)


def facts_pattern(facts=None) -> MissingPattern:
    """The missing-data pattern implied by the facts file's ``missing`` section.

    Preparation alliance missing for 4, insight (all three scores) for 8 with
    the 4 inside those 8, and the one missing mystical rating among the 4
    (the alliance-mystical pair has n = 20, not 19). The fallback when no
    simulated dataset is committed.
    """
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


_DATASET_PATTERNS: dict[tuple, MissingPattern] = {}
"""(dataset path, modification time, size) -> its MissingPattern: every Monte Carlo run asks for it."""


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
    return target_population()


def published_correlations() -> pd.DataFrame:
    """The eleven published correlations (facts ``correlations``): x, y, r, n."""
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
    variables (default: ``psyalliance.simulation.population.target_population()``).
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
    widths = [len(m.paths) + len(m.chains) for m in models]
    check_memory(montecarlo_memory(s, len(needed), widths),
                 f"run_montecarlo (n = {s.n}, reps = {s.reps:,}, indirect_ci = {s.indirect_ci!r}, "
                 f"boot_resamples = {s.boot_resamples:,}, mc_draws = {s.mc_draws:,})",
                 "Lower reps, boot_resamples, mc_draws or chunk_cells.")
    if pattern is not None and not isinstance(pattern, MissingPattern):
        raise SettingsError(f"pattern must be a MissingPattern, got {type(pattern).__name__}")
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
    with _THREADS.limit(limits=1, user_api="blas"):
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
        # one matrix product over all the rows of the chunk (a 3-D matmul makes one small product per sample)
        x = (rng_data.standard_normal((c, s.n, V)).reshape(c * s.n, V) @ chol.T).reshape(c, s.n, V) + mu
        if has_missing and mar_col is None:
            order = np.argsort(rng_miss.random((c, s.n)), axis=1)  # (c, n): the pattern's rows shuffled, MCAR
        elif has_missing:
            score = s.mar_strength * (x[..., mar_col] - mu[mar_col]) / sds[mar_col] + rng_miss.standard_normal((c, s.n))
            order = np.argsort(np.argsort(-score, axis=1), axis=1)  # 0 = highest score: it gets the incomplete rows, MAR
        for m in models:
            cols = [col[v] for v in m.variables]
            xm = x[..., cols]
            if has_missing:
                complete = obs_rows[:, cols].all(axis=1)[order]  # (c, n); n_cc[m.name] complete rows in every sample
                xm = xm[complete].reshape(c, n_cc[m.name], len(cols))  # each sample's complete rows, in order
            f = fit_moments(m, ml_cov(xm), n_cc[m.name])
            est[m.name].append(np.concatenate([f.coef, f.indirect], axis=-1))
            se[m.name].append(np.concatenate([f.se(s.inference), f.se_indirect(s.inference)], axis=-1))
            ci[m.name].append(_intervals(f, s, rng_ci, xm))
            dfs[m.name] = f.df
        if pair_idx:
            w = obs_rows[order] if has_missing else np.ones((c, s.n, V), dtype=bool)  # (c, n, V)
            sig_corr.append(_pairwise_significant(x, w, pair_idx, pair_n, corr_tab["r"].to_numpy(float), s.alpha))


def _intervals(f: Fit, s: MonteCarloSettings, rng_ci: np.random.Generator, xm: np.ndarray | None = None) -> np.ndarray:
    """(2, reps, paths + chains): lower and upper (1 - alpha) limits of every effect."""
    crit_p = stats.t.ppf(1 - s.alpha / 2, f.df) if s.inference == "t" else stats.norm.ppf(1 - s.alpha / 2)
    se_p = f.se(s.inference)
    lo_p, hi_p = f.coef - crit_p * se_p, f.coef + crit_p * se_p
    if s.indirect_ci == "montecarlo":
        lo_c, hi_c = montecarlo_ci(f.model, f.coef, se_p, rng=rng_ci, draws=s.mc_draws, alpha=s.alpha)
    elif s.indirect_ci == "bootstrap":
        lo_b, hi_b = percentile_bootstrap(f.model, xm, s.boot_resamples, rng=rng_ci, alpha=s.alpha)
        k = len(f.model.paths)
        lo_c, hi_c = lo_b[:, k:], hi_b[:, k:]
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
        redrawn: dict[int, np.ndarray] = {}  # path -> its draws (b, draws), made once for all its chains
        for c, (_, _, idx) in enumerate(m.chains):
            prod = np.ones((b, zz.shape[1]))
            for i in idx:
                if i not in redrawn:  # coef + se * z, in place: the same numbers, one array fewer
                    redrawn[i] = np.multiply(zz[..., i], se[sl, i, None])
                    redrawn[i] += coef[sl, i, None]
                prod *= redrawn[i]
            lo[sl, c], hi[sl, c] = _quantiles(prod, [alpha / 2, 1 - alpha / 2], axis=1)
    return lo, hi


def percentile_bootstrap(
    model: str | PathModel,
    data: np.ndarray,
    resamples: int = 1_000,
    rng: np.random.Generator | None = None,
    alpha: float = 0.05,
    idx: np.ndarray | None = None,
    block: int = 50,
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap intervals of every path and chain, for many samples at once.

    ``data``: complete rows, shape (reps, n, p) with columns in ``model.variables``
    order (one sample: (n, p)). Each sample's rows are resampled with
    replacement ``resamples`` times (indices from ``rng``; or pass ``idx`` of
    shape (reps, resamples, n) to fix them, for checks), every resample is
    fitted with the batched estimator (from the counts of each row in the resample:
    :func:`psyalliance.sem.paths.weighted_ml_cov`, :func:`psyalliance.sem.paths.effect_estimates`), and the limits are the alpha/2 and
    1 - alpha/2 quantiles (numpy's default, linear interpolation) of the
    resampled estimates. Returns (lower, upper), each (reps, paths + chains).
    """
    m = get_model(model)
    data = np.asarray(data, dtype=float)
    if data.ndim == 2:
        data = data[None]
    if data.ndim != 3 or data.shape[-1] != len(m.variables):
        raise ValueError(f"data have shape {data.shape}; model {m.name!r} needs (reps, n, {len(m.variables)})")
    check_fraction(alpha, "alpha")
    if not np.all(np.isfinite(data)):
        bad = np.argwhere(~np.isfinite(data))[0]
        raise SettingsError(f"percentile_bootstrap: data hold {data[tuple(bad)]} at sample {bad[0]}, row {bad[1]}, "
                            f"column {m.variables[bad[2]]}; bootstrap data must be finite (complete rows, no NaN or inf)")
    reps, n, _ = data.shape
    m.check_n(n)
    if idx is None:
        if rng is None:
            raise ValueError("pass rng (random resamples) or idx (fixed resample indices)")
        check_count(resamples, "resamples", low=2)
        check_memory(4 * 8 * min(block, reps) * resamples * n * data.shape[-1],
                     f"percentile_bootstrap ({resamples:,} resamples of {n} rows)", "Lower resamples or block.")
    elif idx.shape[0] != reps or idx.shape[-1] != n:
        raise ValueError(f"idx has shape {idx.shape}; expected ({reps}, resamples, {n})")
    width = len(m.paths) + len(m.chains)
    lo = np.empty((reps, width))
    hi = np.empty_like(lo)
    for start in range(0, reps, block):
        sl = slice(start, start + block)
        b = data[sl].shape[0]
        ii = idx[sl] if idx is not None else rng.integers(0, n, size=(b, resamples, n))
        r = ii.shape[1]
        # each resample as how often it draws every row: its covariance from two matrix products per sample
        flat = (np.arange(b * r)[:, None] * n + ii.reshape(b * r, n)).ravel()
        counts = np.bincount(flat, minlength=b * r * n).reshape(b, r, n)
        est = effect_estimates(m, weighted_ml_cov(data[sl], counts))  # (b, resamples, paths + chains)
        lo[sl], hi[sl] = _quantiles(est, [alpha / 2, 1 - alpha / 2], axis=1)
    return lo, hi


def _quantiles(x: np.ndarray, q: Sequence[float], axis: int) -> np.ndarray:
    """``numpy.quantile(x, q, axis=axis)`` (linear interpolation), the same numbers, faster: numpy's sort
    (vectorised) before its quantile, whose partition of sorted values is then quick."""
    return np.quantile(np.sort(x, axis=axis), q, axis=axis)


def min_n(model: str | PathModel, pattern: MissingPattern, n_max: int = 10_000) -> int:
    """The smallest sample size whose complete rows (listwise, ``pattern``'s shares) can identify ``model``.

    That is the smallest n with ``pattern.n_complete(n, model.variables) >=
    model.n_params``. Raises ValueError if no n up to ``n_max`` suffices.
    """
    m = get_model(model)
    for n in range(m.n_params, n_max + 1):
        if pattern.n_complete(n, m.variables) >= m.n_params:
            return n
    raise ValueError(f"no n up to n_max = {n_max} leaves {m.n_params} complete rows for model {m.name!r}")


def n_for_power(summary: pd.DataFrame, model: str, effect: str, target: float = 0.8) -> int | None:
    """The smallest n of a :func:`run_over_n` summary at which ``effect`` of ``model`` has power >= ``target``.

    None if no sample size of the grid reaches it. Raises ValueError for an
    unknown model/effect or a target outside (0, 1).
    """
    if not 0 < target < 1:
        raise ValueError(f"target = {target!r} must lie strictly between 0 and 1")
    d = summary[(summary["model"] == model) & (summary["effect"] == effect)]
    if d.empty:
        raise ValueError(f"the summary has no effect {effect!r} of model {model!r}")
    ok = d[d["power"] >= target]
    return int(ok["n"].min()) if len(ok) else None


def n_for_power_text(summary: pd.DataFrame, model: str, effect: str, target: float = 0.8) -> str:
    """:func:`n_for_power` as prose: the n, or "more than <largest n of the grid>"."""
    n = n_for_power(summary, model, effect, target)
    if n is None:
        return f"more than {int(summary['n'].max())}"
    return str(n)


def compare_intervals(results: dict[str, MonteCarloResult], model: str, kind: str = "indirect") -> pd.DataFrame:
    """Coverage and power of one model's effects under several interval methods, side by side.

    ``results``: method label -> :class:`MonteCarloResult` (for example Sobel,
    Monte Carlo and bootstrap runs). Columns: ``<label> coverage``, ``<label>
    coverage MCSE`` (the Monte Carlo standard error, sqrt(p(1-p)/reps)) and
    ``<label> power``; one row per effect of ``kind``; ``replications`` per
    method are in ``DataFrame.attrs["reps"]``.
    """
    cols, reps = {}, {}
    for label, res in results.items():
        s = res.summary
        s = s[(s["model"] == model) & (s["kind"] == kind)].set_index("effect")
        if s.empty:
            raise ValueError(f"result {label!r} has no {kind} effects of model {model!r}")
        cols[f"{label} coverage"] = s["coverage"]
        cols[f"{label} coverage MCSE"] = s["mcse_coverage"]
        cols[f"{label} power"] = s["power"]
        reps[label] = res.settings.reps
    out = pd.DataFrame(cols)
    out.attrs["reps"] = reps
    return out


def interval_table(model: str, data: pd.DataFrame, settings=None, alpha: float = 0.05, ranges=None) -> pd.DataFrame:
    """Intervals for the chains of ``model`` on one dataset: percentile bootstrap, BCa, Sobel.

    Also BCa's bias correction ``BCa z0``, acceleration ``BCa a`` and the
    quantile of the bootstrap distribution its lower limit reports.

    The bootstrap comes from :func:`psyalliance.sem.effects.bootstrap_effects`
    (``settings``: its BootstrapSettings); Sobel is estimate +- z * delta-method
    SE (OLS SEs), z the 1 - alpha/2 normal quantile. One row per chain, with the
    number of complete rows ``n``. Bootstrap level and Sobel level must agree.
    ``ranges``: the scales the data are checked against
    (:func:`psyalliance.sem.effects.complete_cases`; False for data on other scales).
    """
    settings = settings or BootstrapSettings()
    if not np.isclose(settings.level, 1 - alpha):
        raise ValueError(f"bootstrap level {settings.level} and alpha = {alpha} disagree (level must be 1 - alpha)")
    m = get_model(model)
    chains = list(m.chain_names)
    effects = [e for e in EFFECTS[model] if e.name in chains]
    boot = bootstrap_effects(MODELS[model], data, effects, settings, ranges=ranges).set_index("effect").loc[chains]
    fit = fit_dataframe(model, data)
    z = stats.norm.ppf(1 - alpha / 2)
    return pd.DataFrame(
        {
            "estimate": boot["estimate"],
            "percentile lower": boot["pct_low"],
            "percentile upper": boot["pct_high"],
            "BCa lower": boot["bca_low"],
            "BCa upper": boot["bca_high"],
            "Sobel lower": fit.indirect - z * fit.se_indirect_t,
            "Sobel upper": fit.indirect + z * fit.se_indirect_t,
            "BCa z0": boot["bca_z0"],
            "BCa a": boot["bca_accel"],
            "BCa lower quantile": boot["bca_q_low"],
            "n": boot["n"].astype(int),
        },
        index=pd.Index(chains, name="effect"),
    )


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
    check_seed(seed, "run_over_n seed")
    for n in sample_sizes:
        check_count(n, "sample size in sample_sizes", low=3)
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
