"""R lavaan as the reference: the models it is run on, its stored results, and comparisons with ours.

``make lavaan-reference`` runs ``python -m psyalliance.sem.lavaan export DIR``
(this module writes the models and datasets for R into DIR) and then
``Rscript tests/lavaan/make_reference.R DIR tests/lavaan/reference``, which
fits every model with lavaan's ``sem()`` and stores estimates, standard
errors, std.all and fit measures in ``tests/lavaan/reference/`` together
with lavaan's and R's versions and the calls (``meta.csv``).

Two estimators: ``listwise`` is ``sem(model, data = d)`` (listwise deletion,
``fixed.x = TRUE``), ``fiml`` is ``sem(model, data = d, missing = "ml",
fixed.x = FALSE)``; :func:`psyalliance.sem.models.fit_model` has the same two.
Besides the book's models (:data:`psyalliance.sem.registry.MODELS`, on the committed
simulated dataset) the reference holds :data:`USER_MODELS`, models a reader
might port from lavaan, on datasets that ship with semopy.
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from psyalliance.resources import CHECKOUT, shipped
from psyalliance.sem.models import FitResult, fit_model
from psyalliance.sem.registry import MODELS
from psyalliance.simulation.simulate import DATASET_PATH
from psyalliance.simulation.simulate import load_dataset as load_simulated

__all__ = ["ESTIMATORS", "LAVAAN_CALLS", "USER_MODELS", "REFERENCE_DIR", "FIT_MEASURES", "UserModel",
           "Reference", "reference_models", "fit_reference_model", "load_dataset", "export_inputs", "load_reference",
           "compare_estimates", "compare_fit", "compare_r2", "largest_differences", "fit_reference_models",
           "meta_table", "semopy_fit_comparison", "semopy_se_comparison", "user_model_table", "relative_difference", "r_call"]

ROOT = CHECKOUT
REFERENCE_DIR = shipped("tests/lavaan/reference")  # the checkout's, or the copy in an installed wheel
"""Where the committed lavaan reference lives (``estimates.csv``, ``fit.csv``, ``meta.csv``)."""
SCRIPT = ROOT / "tests" / "lavaan" / "make_reference.R"
"""The R script that writes the reference."""

ESTIMATORS = ("listwise", "fiml")
LAVAAN_CALLS = MappingProxyType({
    "listwise": "sem(model, data = d)",
    "fiml": 'sem(model, data = d, missing = "ml", fixed.x = FALSE)',
})
"""The lavaan call behind each estimator of :func:`psyalliance.sem.models.fit_model` (``model`` = the syntax)."""

BOOK_DATASET = "levin2024_simulated"


@dataclass(frozen=True)
class UserModel:
    """A model ported from lavaan: its dataset (shipped with semopy), our syntax and lavaan's, estimators."""

    dataset: str
    syntax: str
    lavaan_syntax: str
    estimators: tuple[str, ...] = ("listwise",)
    note: str = ""


USER_MODELS = MappingProxyType({
    "multivariate_regression": UserModel(
        "multivariate_regression", "y1, y2, y3 ~ x1 + x2 + x3", "y1 + y2 + y3 ~ x1 + x2 + x3",
        note="semopy's own example, in semopy's spelling; lavaan frees the outcomes' residual covariances"),
    "multivariate_regression_lavaan": UserModel(
        "multivariate_regression", "y1 + y2 + y3 ~ x1 + x2 + x3", "y1 + y2 + y3 ~ x1 + x2 + x3",
        note="the same model in lavaan's spelling"),
    "multivariate_regression_fixed": UserModel(
        "multivariate_regression", "y1, y2, y3 ~ x1 + x2 + x3\ny1 ~~ 0*y2", "y1 + y2 + y3 ~ x1 + x2 + x3\ny1 ~~ 0*y2",
        note="one residual covariance fixed at zero by the syntax, the others free by default"),
    "chain_two_outcomes": UserModel(
        "multivariate_regression", "y1 ~ x1 + x2\ny2 ~ y1 + x3\ny3 ~ y1", "y1 ~ x1 + x2\ny2 ~ y1 + x3\ny3 ~ y1",
        estimators=ESTIMATORS,
        note="a chain with two terminal outcomes (y2, y3): their residual covariance is free by default"),
    "univariate_regression_many": UserModel(
        "univariate_regression_many", "y ~ x1 + x2 + x3", "y ~ x1 + x2 + x3",
        note="semopy's one-outcome example"),
})
"""Models a reader might bring from lavaan, fitted with lavaan's ``sem()`` defaults in the reference."""


def reference_models() -> pd.DataFrame:
    """Every model of the reference: ``name``, ``dataset``, ``estimators`` (``;``-joined), lavaan ``syntax``."""
    rows = [{"name": name, "dataset": BOOK_DATASET, "estimators": ";".join(ESTIMATORS), "syntax": syntax.strip()}
            for name, syntax in MODELS.items()]
    rows += [{"name": name, "dataset": m.dataset, "estimators": ";".join(m.estimators), "syntax": m.lavaan_syntax}
             for name, m in USER_MODELS.items()]
    return pd.DataFrame(rows)


def load_dataset(name: str) -> pd.DataFrame:
    """A dataset of the reference: the committed simulated dataset or a semopy example (by module name)."""
    if name == BOOK_DATASET:
        return load_simulated()
    from semopy import examples

    module = getattr(examples, name, None)
    if module is None or not hasattr(module, "get_data"):
        raise ValueError(f"unknown dataset {name!r}; valid: {BOOK_DATASET}, "
                         f"{', '.join(sorted({m.dataset for m in USER_MODELS.values()}))}")
    return module.get_data().reset_index(drop=True)


def export_inputs(directory: str | Path) -> list[Path]:
    """Write ``models.csv`` and one CSV per dataset into ``directory`` for the R script; return the paths.

    The committed simulated dataset is copied byte for byte; semopy's
    datasets are written with full float precision.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    models = reference_models()
    written = [out / "models.csv"]
    models.to_csv(written[0], index=False)
    for name in models["dataset"].unique():
        target = out / f"{name}.csv"
        if name == BOOK_DATASET:
            shutil.copyfile(DATASET_PATH, target)
        else:
            load_dataset(name).to_csv(target, index=False, float_format="%.17g")
        written.append(target)
    return written


@dataclass(frozen=True)
class Reference:
    """lavaan's stored results: ``estimates`` and ``fit`` tables and the ``meta`` (versions, calls)."""

    estimates: pd.DataFrame
    fit: pd.DataFrame
    meta: MappingProxyType

    def fit_value(self, model: str, estimator: str, measure: str) -> float:
        """One lavaan fit measure (lavaan's name, for example ``rmsea.ci.upper``)."""
        sel = self.fit[(self.fit.model == model) & (self.fit.estimator == estimator) & (self.fit.measure == measure)]
        if len(sel) != 1:
            raise KeyError(f"no lavaan value of {measure!r} for model {model!r} ({estimator}) in the reference")
        return float(sel.value.iloc[0])


def load_reference(directory: str | Path = REFERENCE_DIR) -> Reference:
    """Read the lavaan reference (fresh copies on every call)."""
    d = Path(directory)
    missing = [f for f in ("estimates.csv", "fit.csv", "meta.csv") if not (d / f).exists()]
    if missing:
        raise FileNotFoundError(f"lavaan reference incomplete in {d}: {', '.join(missing)} absent "
                                "(run `make lavaan-reference`, which needs R and lavaan)")
    est = pd.read_csv(d / "estimates.csv", keep_default_na=False, na_values=["NA"])
    est["rhs"] = est["rhs"].astype(str)
    est = est.rename(columns={"std.all": "std_all"})
    fit = pd.read_csv(d / "fit.csv")
    meta = pd.read_csv(d / "meta.csv")
    return Reference(est, fit, MappingProxyType(dict(zip(meta.key, meta.value))))


FIT_MEASURES = MappingProxyType({
    "npar": "npar", "n": "ntotal", "df": "df", "chisq": "chisq", "pvalue": "pvalue", "cfi": "cfi", "tli": "tli",
    "rmsea": "rmsea", "rmsea_ci_lower": "rmsea.ci.lower", "rmsea_ci_upper": "rmsea.ci.upper", "srmr": "srmr",
    "loglik": "logl", "aic": "aic", "bic": "bic",
})
"""Our name of a fit measure -> lavaan's ``fitMeasures`` name."""

ABS_FLOOR = 1e-3
"""Values whose size is below this are compared absolutely (a saturated model's chi-square, an RMSEA of 0)."""


def relative_difference(ours: np.ndarray | float, theirs: np.ndarray | float, floor: float = ABS_FLOOR) -> np.ndarray:
    """``|ours - theirs| / max(|theirs|, floor)``; 0 where both are NaN (a p value lavaan leaves undefined)."""
    a = np.asarray(ours, dtype=float)
    b = np.asarray(theirs, dtype=float)
    both_nan = np.isnan(a) & np.isnan(b)
    out = np.abs(a - b) / np.maximum(np.abs(b), floor)
    return np.where(both_nan, 0.0, np.where(np.isnan(out), np.inf, out))


def _key(op: str, lhs: str, rhs: str) -> tuple[str, str, str]:
    if op == "~~":
        lhs, rhs = sorted((lhs, rhs))
    return op, lhs, "" if op == "~1" else rhs


def compare_estimates(res: FitResult, ref: Reference, model: str | None = None) -> pd.DataFrame:
    """Every free parameter of ``res`` beside lavaan's: estimate, se, std.all, z, p and their relative differences.

    Rows follow lavaan's order; a parameter only one side has is a row with
    NaN on the other side (and an infinite difference).
    """
    model = model or res.name
    lav = ref.estimates[(ref.estimates.model == model) & (ref.estimates.estimator == res.missing)]
    if lav.empty:
        raise KeyError(f"no lavaan estimates for model {model!r} ({res.missing}) in the reference")
    ours = {_key(r.op, r.lval, r.rval): r for r in res.estimates.itertuples()}
    rows = []
    for r in lav.itertuples():
        k = _key(r.op, r.lhs, r.rhs)
        o = ours.pop(k, None)
        rows.append({"parameter": " ".join(p for p in (r.lhs, r.op, r.rhs) if p),
                     "lavaan estimate": r.est, "estimate": np.nan if o is None else o.estimate,
                     "lavaan se": r.se, "se": np.nan if o is None else o.se,
                     "lavaan std.all": r.std_all, "std.all": np.nan if o is None else o.std_estimate,
                     "lavaan z": r.z, "z": np.nan if o is None else o.z,
                     "lavaan p": r.pvalue, "p": np.nan if o is None else o.p})
    for o in ours.values():
        rows.append({"parameter": " ".join(p for p in (o.lval, o.op, o.rval) if p),
                     "lavaan estimate": np.nan, "estimate": o.estimate, "lavaan se": np.nan, "se": o.se,
                     "lavaan std.all": np.nan, "std.all": o.std_estimate, "lavaan z": np.nan, "z": o.z,
                     "lavaan p": np.nan, "p": o.p})
    out = pd.DataFrame(rows)
    for col in ("estimate", "se", "std.all", "z", "p"):
        out[f"{col} rel. diff."] = relative_difference(out[col], out[f"lavaan {col}"])
    return out


def compare_fit(res: FitResult, ref: Reference, model: str | None = None) -> pd.DataFrame:
    """Each fit measure of ``res`` (:data:`FIT_MEASURES`) beside lavaan's, with the relative difference."""
    model = model or res.name
    m = res.measures
    ours = dict(res.fit) | {"npar": m.npar, "rmsea_ci_lower": m.rmsea_ci_lower, "rmsea_ci_upper": m.rmsea_ci_upper}
    rows = [{"measure": key, "lavaan name": lav, "ours": float(ours[key]),
             "lavaan": ref.fit_value(model, res.missing, lav)} for key, lav in FIT_MEASURES.items()]
    out = pd.DataFrame(rows)
    out["rel. diff."] = relative_difference(out["ours"], out["lavaan"])
    return out


def compare_r2(res: FitResult, ref: Reference, model: str | None = None) -> pd.DataFrame:
    """R-squared of each endogenous variable of ``res`` beside lavaan's ``lavInspect(fit, "r2")``."""
    model = model or res.name
    rows = [{"variable": v, "ours": float(res.r2[v]), "lavaan": ref.fit_value(model, res.missing, f"r2:{v}")}
            for v in res.r2.index]
    out = pd.DataFrame(rows)
    out["rel. diff."] = relative_difference(out["ours"], out["lavaan"])
    return out


def largest_differences(fits: dict[tuple[str, str], FitResult], ref: Reference) -> pd.DataFrame:
    """Per (model, estimator): the largest relative difference from lavaan of estimates, SEs, std.all, each measure."""
    rows = {}
    for (model, estimator), res in fits.items():
        est = compare_estimates(res, ref, model)
        fit = compare_fit(res, ref, model).set_index("measure")["rel. diff."]
        row = {c: float(est[f"{c} rel. diff."].max()) for c in ("estimate", "se", "std.all", "z", "p")}
        row["r2"] = float(compare_r2(res, ref, model)["rel. diff."].max())
        row.update({k: float(v) for k, v in fit.items()})
        rows[model, estimator] = row
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.names = ["model", "estimator"]
    return out


def r_call(name: str, estimator: str) -> str:
    """The R code that fits model ``name`` as the reference does (syntax in lavaan's spelling)."""
    models = reference_models().set_index("name")
    if name not in models.index:
        raise KeyError(f"unknown model {name!r}; valid: {', '.join(models.index)}")
    if estimator not in ESTIMATORS:
        raise ValueError(f"estimator {estimator!r} is not one of {', '.join(ESTIMATORS)}")
    syntax = models.loc[name, "syntax"]
    dataset = models.loc[name, "dataset"]
    source = ("data/simulated/levin2024_simulated.csv" if dataset == BOOK_DATASET
              else f"{dataset}.csv")  # written by `python -m psyalliance.sem.lavaan export DIR`
    return (f"library(lavaan)\nd <- read.csv(\"{source}\")\nmodel <- '\n{syntax}\n'\n"
            f"fit <- {LAVAAN_CALLS[estimator]}\nsummary(fit, standardized = TRUE)")


def fit_reference_model(name: str, estimator: str) -> FitResult:
    """Fit a model of the reference with :func:`psyalliance.sem.models.fit_model` (our syntax, its dataset)."""
    if name in MODELS:
        return fit_model(name, load_dataset(BOOK_DATASET), estimator)
    if name not in USER_MODELS:
        raise KeyError(f"unknown model {name!r}; valid: {', '.join([*MODELS, *USER_MODELS])}")
    m = USER_MODELS[name]
    return fit_model(name, load_dataset(m.dataset), estimator, syntax=m.syntax)


def fit_reference_models() -> dict[tuple[str, str], FitResult]:
    """Every (model, estimator) of the reference fitted with :func:`~psyalliance.sem.models.fit_model` (book models first)."""
    return {(r.name, e): fit_reference_model(r.name, e)
            for r in reference_models().itertuples() for e in r.estimators.split(";")}


def meta_table(ref: Reference) -> pd.DataFrame:
    """How the reference was made: lavaan's and R's versions, the command and the two calls."""
    names = {"lavaan_version": "lavaan", "r_version": "R", "command": "command", "call_listwise": "listwise call",
             "call_fiml": "FIML call", "defaults": "defaults"}
    return pd.DataFrame({"": [names.get(k, k) for k in ref.meta], "value": list(ref.meta.values())})


SEMOPY_FIT = MappingProxyType({"df": "DoF", "chisq": "chi2", "pvalue": "chi2 p-value", "cfi": "CFI", "tli": "TLI",
                               "rmsea": "RMSEA", "loglik": "LogLik", "aic": "AIC", "bic": "BIC"})
"""Our fit key -> the ``semopy.calc_stats`` entry printed in its place."""


def semopy_fit_comparison(res: FitResult, ref: Reference, model: str | None = None) -> pd.DataFrame:
    """One row per statistic: the book's value, lavaan's and what ``semopy.calc_stats`` printed for the same fit."""
    model = model or res.name
    rows = [{"statistic": key, "book": float(res.fit[key]),
             "lavaan": ref.fit_value(model, res.missing, FIT_MEASURES[key]),
             "semopy calc_stats": float(res.semopy_stats.get(skey, np.nan))} for key, skey in SEMOPY_FIT.items()]
    return pd.DataFrame(rows).set_index("statistic")


def semopy_se_comparison(res: FitResult, ref: Reference, model: str | None = None) -> pd.DataFrame:
    """Regression paths (``model``, ``path``): semopy's own standard error, the book's, lavaan's, semopy / lavaan."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        own = res.model.inspect(std_est=False)
    own = own[(own.op == "~") & (own.rval != "1")]
    semopy_se = {(y, x): float(se) for y, x, se in zip(own.lval, own.rval, own["Std. Err"])}
    table = compare_estimates(res, ref, model)
    paths = res.estimates[res.estimates.op == "~"]
    rows = []
    for r in paths.itertuples():
        lav = table.loc[table.parameter == f"{r.lval} ~ {r.rval}", "lavaan se"].iloc[0]
        rows.append({"model": model or res.name, "path": f"{r.lval} ~ {r.rval}",
                     "semopy se": semopy_se[r.lval, r.rval], "book se": r.se,
                     "lavaan se": lav, "semopy / lavaan": semopy_se[r.lval, r.rval] / lav})
    return pd.DataFrame(rows)


def user_model_table(fits: dict[tuple[str, str], FitResult], ref: Reference) -> pd.DataFrame:
    """The :data:`USER_MODELS` under listwise deletion: syntax as given and in lavaan, df of the book, lavaan, semopy."""
    rows = []
    for name, m in USER_MODELS.items():
        res = fits[name, "listwise"]
        rows.append({"model": name, "syntax given to fit_model": m.syntax.replace("\n", "; "),
                     "lavaan syntax": m.lavaan_syntax.replace("\n", "; "), "book df": int(res.fit["df"]),
                     "lavaan df": int(ref.fit_value(name, "listwise", "df")),
                     "semopy calc_stats df": int(round(float(res.semopy_stats.get("DoF", np.nan)))), "note": m.note})
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> None:
    """``python -m psyalliance.sem.lavaan export DIR``: write the R script's inputs into DIR."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or args[0] != "export":
        raise SystemExit("usage: python -m psyalliance.sem.lavaan export DIR")
    for path in export_inputs(args[1]):
        print("wrote", path)


if __name__ == "__main__":
    main()
