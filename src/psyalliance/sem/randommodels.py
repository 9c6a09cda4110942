"""Random recursive path models and data, to check :func:`psyalliance.sem.models.fit_model` against R lavaan.

A model here is what a reader might write: 4-7 observed variables ``v1 ... vp``
in causal order, each regressed on a random subset of the earlier ones, and
now and then a residual covariance between two endogenous variables with no
path between them (bow-free, so the model stays identified), including
covariances of mediators. The data are simulated from the model with random
coefficients (standardized scale: variances of order 1), at a sample size of
30, 60 or 150; the FIML datasets have 10% of the values missing completely at
random (never a whole row). Everything follows from the seed: same seed, same
models, same bytes.

:func:`export_random_inputs` writes the models and datasets in the layout of
``tests/lavaan/make_reference.R``, which fits them with lavaan's ``sem()``
defaults; :func:`compare_random` compares every estimate, SE, std.all and
fit measure of :func:`~psyalliance.sem.models.fit_model` with lavaan's output.
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from psyalliance.resources import CHECKOUT
from psyalliance.sem import fitstats
from psyalliance.sem import lavaan as lav
from psyalliance.sem.models import _estimates_table, _implied_moments, fit_model, semopy_description
from psyalliance.sem.syntax import read_syntax

__all__ = ["RandomModel", "N_VARIABLES", "SAMPLE_SIZES", "MISSING_SHARE", "FIXED_SEEDS", "CI_SEEDS", "FIXED_DIR", "SATURATED_SRMR",
           "random_model", "random_models", "data_csv", "model_table", "export_random_inputs", "compare_random",
           "summary", "semopy_default_comparison", "committed_counts", "parse_seeds"]

FIXED_SEEDS = range(0, 4)
"""Seeds of the small fixed set that ``make test`` compares with the committed lavaan output (both estimators)."""
CI_SEEDS = range(100, 125)
"""Seeds of the larger fresh set that ``.ci/run`` refits with lavaan (``make lavaan-random-check``; both estimators)."""
FIXED_DIR = CHECKOUT / "tests" / "lavaan" / "random"
"""Where the committed lavaan output of the fixed set lives (``make lavaan-random`` writes it)."""
RTOL = 1e-3
"""Relative tolerance of every comparison (values below ``lavaan.ABS_FLOOR`` in size: absolute 1e-6)."""
SATURATED_SRMR = 1e-5
"""A saturated FIML model's SRMR is 0 in theory; ours and lavaan's must both lie below this.

lavaan's own value there is the residual of its EM estimate of the saturated moments, of
order 1e-6, which the relative rule (absolute 1e-6 near 0) would count as a difference."""

N_VARIABLES = (4, 7)
"""Smallest and largest number of observed variables of a random model."""
SAMPLE_SIZES = (30, 60, 150)
"""Sample sizes drawn for the datasets (cases)."""
MISSING_SHARE = 0.10
"""Share of the values of a FIML dataset set missing completely at random (0-1)."""


@dataclass(frozen=True)
class RandomModel:
    """One random model: ``name``, lavaan ``syntax``, ``n`` cases, ``estimator``, the data (NaN = missing)."""

    name: str
    syntax: str
    n: int
    estimator: str
    data: pd.DataFrame
    residual_covariances: int


def _structure(rng: np.random.Generator) -> tuple[int, dict[int, list[int]], list[tuple[int, int]]]:
    """(p, predictors of each endogenous variable, residual covariance pairs) of a random recursive model."""
    p = int(rng.integers(N_VARIABLES[0], N_VARIABLES[1] + 1))
    n_exo = int(rng.integers(1, 3)) if p > 4 else 1
    preds: dict[int, list[int]] = {}
    for j in range(n_exo, p):
        k = int(rng.integers(1, min(j, 3) + 1))
        preds[j] = sorted(rng.choice(j, size=k, replace=False).tolist())
    linked = {frozenset((i, j)) for j, ps in preds.items() for i in ps}
    pure = {j for j in preds if not any(j in ps for ps in preds.values())}
    # bow-free candidates that lavaan would not already free by default (two pure outcomes)
    candidates = [(i, j) for i in preds for j in preds if i < j and frozenset((i, j)) not in linked
                  and not (i in pure and j in pure)]
    covs: list[tuple[int, int]] = []
    if candidates and rng.random() < 0.7:
        n_cov = int(rng.integers(1, min(2, len(candidates)) + 1))
        covs = [candidates[c] for c in rng.choice(len(candidates), size=n_cov, replace=False)]
    return p, preds, covs


def _syntax(preds: dict[int, list[int]], covs: list[tuple[int, int]]) -> str:
    lines = [f"v{j + 1} ~ " + " + ".join(f"v{i + 1}" for i in ps) for j, ps in preds.items()]
    lines += [f"v{i + 1} ~~ v{j + 1}" for i, j in covs]
    return "\n".join(lines)


def _simulate(rng: np.random.Generator, p: int, preds: dict[int, list[int]], covs: list[tuple[int, int]],
              n: int) -> np.ndarray:
    """n cases from the model with coefficients in +-(0.2-0.7) and residual correlations of +-(0.2-0.5)."""
    b = np.zeros((p, p))
    for j, ps in preds.items():
        b[j, ps] = rng.uniform(0.2, 0.7, size=len(ps)) * rng.choice([-1, 1], size=len(ps))
    psi = np.eye(p)
    for i, j in covs:
        psi[i, j] = psi[j, i] = rng.uniform(0.2, 0.5) * rng.choice([-1, 1])
    if np.linalg.eigvalsh(psi).min() < 0.1:  # two covariances sharing a variable can make Psi indefinite
        psi = 0.5 * psi + 0.5 * np.eye(p)
    e = rng.multivariate_normal(np.zeros(p), psi, size=n)
    means = rng.uniform(-1, 1, size=p)
    return (np.linalg.solve(np.eye(p) - b, e.T).T + means)


def random_model(seed: int, estimator: str) -> RandomModel:
    """The random model and dataset of ``seed`` (an int >= 0) for ``estimator`` (``listwise`` or ``fiml``)."""
    if estimator not in ("listwise", "fiml"):
        raise ValueError(f"estimator {estimator!r} is not one of listwise, fiml")
    if seed < 0:
        raise ValueError(f"seed = {seed} must be >= 0")
    rng = np.random.default_rng([seed, 0 if estimator == "listwise" else 1])
    p, preds, covs = _structure(rng)
    n = int(rng.choice(SAMPLE_SIZES))
    x = _simulate(rng, p, preds, covs, n)
    if estimator == "fiml":
        hole = rng.random(x.shape) < MISSING_SHARE
        hole[hole.all(axis=1), 0] = False  # never a whole row missing
        x[hole] = np.nan
    data = pd.DataFrame(x, columns=[f"v{i + 1}" for i in range(p)])
    return RandomModel(f"random_{estimator}_{seed}", _syntax(preds, covs), n, estimator, data, len(covs))


def random_models(seeds: range | list[int], estimators: tuple[str, ...] = ("listwise", "fiml")) -> list[RandomModel]:
    """:func:`random_model` of every seed and estimator."""
    return [random_model(s, e) for s in seeds for e in estimators]


def data_csv(m: RandomModel) -> str:
    """The dataset of ``m`` as the CSV text R reads (full float precision, ``NA`` for missing)."""
    return m.data.to_csv(index=False, float_format="%.17g", na_rep="NA", lineterminator="\n")


def model_table(models: list[RandomModel]) -> pd.DataFrame:
    """``models.csv`` of ``tests/lavaan/make_reference.R``: name, dataset, estimators, syntax, n, data_sha256."""
    return pd.DataFrame([{"name": m.name, "dataset": m.name, "estimators": m.estimator, "syntax": m.syntax,
                          "n": m.n, "residual_covariances": m.residual_covariances,
                          "data_sha256": hashlib.sha256(data_csv(m).encode()).hexdigest()} for m in models])


def export_random_inputs(models: list[RandomModel], directory: str | Path) -> list[Path]:
    """Write ``models.csv`` and one dataset per model for ``tests/lavaan/make_reference.R``; return the paths."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "models.csv"]
    model_table(models).to_csv(paths[0], index=False, lineterminator="\n")
    for m in models:
        paths.append(out / f"{m.name}.csv")
        paths[-1].write_text(data_csv(m))
    return paths


def compare_random(models: list[RandomModel], reference_dir: str | Path) -> pd.DataFrame:
    """Every number of :func:`~psyalliance.sem.models.fit_model` on each model against lavaan's output in ``reference_dir``.

    One row per compared number: ``model``, ``kind`` (estimate, se, std.all or
    the fit measure's name), ``what`` (the parameter or measure), ``ours``,
    ``lavaan``, ``rel_diff`` (:func:`psyalliance.sem.lavaan.relative_difference`) and
    ``rule`` and ``ok`` (``relative``: ``rel_diff <= RTOL``; ``saturated srmr``, the
    SRMR of a saturated FIML model: both below :data:`SATURATED_SRMR`). A parameter only one side has is a row with an
    infinite difference.
    """
    ref = lav.load_reference(reference_dir)
    rows = []
    for m in models:
        res = fit_model(m.name, m.data, m.estimator, syntax=m.syntax, ranges=False)
        est = lav.compare_estimates(res, ref, m.name)
        for col in ("estimate", "se", "std.all"):
            rows += [{"model": m.name, "kind": col, "what": r.parameter, "ours": r[col], "lavaan": r[f"lavaan {col}"],
                      "rel_diff": r[f"{col} rel. diff."]} for _, r in est.iterrows()]
        fit = lav.compare_fit(res, ref, m.name)
        rows += [{"model": m.name, "kind": "fit", "what": r["measure"], "ours": r["ours"], "lavaan": r["lavaan"],
                  "rel_diff": r["rel. diff."]} for _, r in fit.iterrows()]
    out = pd.DataFrame(rows)
    out["rule"] = "relative"
    out["ok"] = out["rel_diff"] <= RTOL
    saturated = {m.name for m in models if m.estimator == "fiml"
                 and ref.fit_value(m.name, m.estimator, "df") == 0}
    zero = out.model.isin(saturated) & (out.kind == "fit") & (out.what == "srmr")
    out.loc[zero, "rule"] = "saturated srmr"
    out.loc[zero, "ok"] = (out.loc[zero, ["ours", "lavaan"]].abs().max(axis=1) < SATURATED_SRMR).to_numpy()
    return out


def summary(table: pd.DataFrame) -> str:
    """One paragraph: how many models and numbers were compared, how many differ, the largest difference."""
    bad = table[~table.ok]
    kinds = table.kind.value_counts()
    text = (f"{table.model.nunique()} models, {len(table)} numbers compared with lavaan ({kinds.get('estimate', 0)} "
            f"estimates, {kinds.get('se', 0)} SEs, {kinds.get('std.all', 0)} standardized, {kinds.get('fit', 0)} fit "
            f"measures); largest relative difference {table.rel_diff[table.rule == 'relative'].max():.2g} (tolerance "
            f"{RTOL:g}; {int((table.rule != 'relative').sum())} SRMR of saturated FIML models below {SATURATED_SRMR:g} "
            f"instead); "
            f"{len(bad)} outside tolerance in {bad.model.nunique()} models")
    if len(bad):
        text += ":\n" + bad.to_string()
    return text


def semopy_default_comparison(m: RandomModel, reference_dir: str | Path = FIXED_DIR) -> pd.DataFrame:
    """Listwise chi-square and the largest estimate difference from lavaan: lavaan, fit_model, plain ``semopy.Model``.

    The last row is semopy with its default variable classification (``semopy.Model(description)``),
    which puts a pure outcome's residual covariance with an inner variable in Theta, outside the
    paths: its estimates, read as the model written, give the chi-square ``fit_model`` reported
    before it asked semopy for lavaan's classification (``mimic_lavaan=True``).
    """
    import warnings

    import semopy

    if m.estimator != "listwise":
        raise ValueError(f"model {m.name!r} is a {m.estimator} model; this comparison is for listwise ones")
    ref = lav.load_reference(reference_dir)
    spec = read_syntax(m.syntax)
    observed, exo = list(spec.observed), list(spec.exogenous)
    x = m.data[observed].to_numpy()
    plain = semopy.Model(semopy_description(spec))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain.fit(m.data[observed], obj="MLW", solver="SLSQP")
        est = _estimates_table(plain.inspect(std_est=False))
    _, s = fitstats.ml_moments(x)
    e = [observed.index(v) for v in exo]
    sigma = _implied_moments(est, observed, exo, s[np.ix_(e, e)])[0]
    res = fit_model(m.name, m.data, "listwise", syntax=m.syntax, ranges=False)
    lav_est = ref.estimates[(ref.estimates.model == m.name)]
    lav_value = {lav._key(r.op, r.lhs, r.rhs): r.est for r in lav_est.itertuples()}

    def worst(table: pd.DataFrame) -> float:
        return float(max(abs(r.estimate - lav_value[lav._key(r.op, r.lval, r.rval)]) for r in table.itertuples()))

    rows = [("R lavaan, sem(model, data = d)", ref.fit_value(m.name, "listwise", "chisq"), 0.0),
            ("fit_model", res.fit["chisq"], worst(res.estimates)),
            ("semopy.Model(description), semopy's default", len(x) * fitstats.ml_discrepancy(s, sigma), worst(est))]
    return pd.DataFrame(rows, columns=["fitted by", "chi-square", "largest |estimate - lavaan's|"])


def committed_counts(directory: str | Path = FIXED_DIR) -> dict[str, int]:
    """Models and numbers of lavaan's output in ``directory`` that the comparison covers.

    ``models``, ``listwise``, ``fiml``, ``numbers`` (estimate, SE and std.all of every free
    parameter, plus the :data:`psyalliance.sem.lavaan.FIT_MEASURES` of each model) and
    ``with_covariance`` (models with a residual covariance written in the syntax).
    """
    ref = lav.load_reference(directory)
    table = pd.read_csv(Path(directory) / "models.csv", keep_default_na=False)
    return {"models": len(table), "listwise": int((table.estimators == "listwise").sum()),
            "fiml": int((table.estimators == "fiml").sum()),
            "numbers": 3 * len(ref.estimates) + len(lav.FIT_MEASURES) * len(table),
            "with_covariance": int((table.residual_covariances > 0).sum())}


def parse_seeds(text: str) -> list[int]:
    """Seeds from ``"0-3"`` (inclusive range) or ``"1,5,9"``; ValueError naming the bad text."""
    try:
        if "-" in text:
            low, high = (int(v) for v in text.split("-", 1))
            seeds = list(range(low, high + 1))
        else:
            seeds = [int(v) for v in text.split(",")]
    except ValueError:
        raise ValueError(f"seeds {text!r}: expected a range like 0-3 or a list like 1,5,9 of ints >= 0") from None
    if not seeds or min(seeds) < 0:
        raise ValueError(f"seeds {text!r}: expected at least one seed, all >= 0")
    return seeds


def main(argv: list[str] | None = None) -> int:
    """``python -m psyalliance.sem.randommodels export DIR [SEEDS]`` or ``compare LAVAAN_DIR [SEEDS]``.

    SEEDS: ``0-3`` or ``1,5,9``; default :data:`CI_SEEDS`. ``compare`` prints :func:`summary`
    and returns 1 when any number is outside tolerance.
    """
    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (2, 3) or args[0] not in ("export", "compare"):
        raise SystemExit("usage: python -m psyalliance.sem.randommodels export DIR [SEEDS] | compare LAVAAN_DIR [SEEDS]")
    models = random_models(parse_seeds(args[2]) if len(args) == 3 else CI_SEEDS)
    if args[0] == "export":
        for path in export_random_inputs(models, args[1]):
            print("wrote", path)
        return 0
    table = compare_random(models, args[1])
    print(summary(table))
    return 0 if table.ok.all() else 1


if __name__ == "__main__":
    raise SystemExit(main())
