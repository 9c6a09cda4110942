"""How much the reconstructed path models depend on what the book assumed, and on arrow direction.

Two questions:

* **Sensitivity.** The population behind the simulated data fills gaps in
  the published record with assumptions (``scale_assumptions`` and
  ``correlation_assumptions`` of the facts file, each with a plausible
  low-high range). :func:`sensitivity_table` moves one assumption at a time to
  its low and its high value (``target_population(overrides=...)``) and
  reports the population value of every path and indirect effect of the
  models, and its power at the study's n (Monte Carlo).
* **Equivalent models.** Two path models that imply the same covariance
  matrix for every data set fit every data set equally well: the data cannot
  tell their arrows apart. :func:`fit_statistics` computes the ML chi-square
  (lavaan convention: N * F_ML) and log-likelihood of a recursive model from
  its OLS (= ML) estimates, so the claim can be checked numerically.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from psyalliance.errors import check_seed
from psyalliance.sem.fitstats import ml_discrepancy
from psyalliance.sem.paths import PathModel, get_model, implied_cov, parse_model
from psyalliance.simulation.population import target_population
from psyalliance.study.facts import load_facts
from psyalliance.study.instruments import LABELS
from psyalliance.trust.montecarlo import MonteCarloSettings, run_montecarlo

__all__ = [
    "EQUIVALENT_MODELS",
    "FitStatistics",
    "model_variant",
    "fit_statistics",
    "equivalence_table",
    "assumptions",
    "sensitivity_table",
    "describe_assumption",
    "power_moves",
    "infeasible_settings",
    "infeasible_phrase",
    "setting_values",
    "assumptions_within",
    "change_compatible_r",
]

SETTINGS = ("low", "base", "high")
"""The settings of an assumption in :func:`sensitivity_table`, in reading order."""

# Variants of the registry's M2 (psyalliance.sem.registry.MODELS["m2_cycle"]), for the
# equivalent-model demonstration. They live here, not in the registry, because the
# book does not fit them as substantive models.
EQUIVALENT_MODELS = {
    # M2 with the last arrow reversed and nothing else changed: improvement at 4
    # weeks -> final alliance. Not equivalent to M2 (different constraints).
    "m2_reversed": """
mystical_peak ~ a1*alliance_prep
insight_peak ~ a2*alliance_prep
alliance_post2 ~ b1*mystical_peak + b2*insight_peak + c*alliance_prep + r*hamd_4wk
hamd_12mo ~ d2*alliance_post2 + e*hamd_4wk
mystical_peak ~~ insight_peak
""",
    # M2 with 4-week depression given the same other predictors as the final
    # alliance (preparation alliance, peak mystical experience and insight):
    # final alliance -> 4-week depression.
    "m2_open": """
mystical_peak ~ a1*alliance_prep
insight_peak ~ a2*alliance_prep
alliance_post2 ~ b1*mystical_peak + b2*insight_peak + c*alliance_prep
hamd_4wk ~ d1*alliance_post2 + f1*mystical_peak + f2*insight_peak + f3*alliance_prep
hamd_12mo ~ d2*alliance_post2 + e*hamd_4wk
mystical_peak ~~ insight_peak
""",
    # The same with the arrow between them reversed: 4-week depression -> final
    # alliance. By the replacing rule (the two share all other predictors) this
    # model is equivalent to m2_open.
    "m2_open_reversed": """
mystical_peak ~ a1*alliance_prep
insight_peak ~ a2*alliance_prep
hamd_4wk ~ f1*mystical_peak + f2*insight_peak + f3*alliance_prep
alliance_post2 ~ r*hamd_4wk + b1*mystical_peak + b2*insight_peak + c*alliance_prep
hamd_12mo ~ d2*alliance_post2 + e*hamd_4wk
mystical_peak ~~ insight_peak
""",
}


def model_variant(model: str | PathModel) -> PathModel:
    """A model of the registry or of ``EQUIVALENT_MODELS``, parsed."""
    if isinstance(model, PathModel):
        return model
    if model in EQUIVALENT_MODELS:
        return parse_model(EQUIVALENT_MODELS[model], model)
    return get_model(model)


@dataclass(frozen=True)
class FitStatistics:
    """ML fit of a model: chi-square (N * F_ML), its df, and the log-likelihood (means saturated)."""

    model: str
    n: int
    chisq: float
    df: int
    loglik: float


def fit_statistics(model: str | PathModel, data: pd.DataFrame | np.ndarray, n: int | None = None) -> FitStatistics:
    """Chi-square, df and log-likelihood of ``model`` on a DataFrame (listwise) or an ML covariance matrix.

    With a DataFrame the covariance is taken over the model's variables after
    listwise deletion; with an array (ordered as ``model.variables``) pass ``n``.
    """
    m = model_variant(model)
    if isinstance(data, pd.DataFrame):
        x = data[list(m.variables)].dropna().to_numpy(float)
        n = len(x)
        xc = x - x.mean(0)
        s = xc.T @ xc / n
    else:
        if n is None:
            raise ValueError("pass n (the sample size) with a covariance matrix")
        s = np.asarray(data, dtype=float)
    m.check_n(n)
    p = len(m.variables)
    f_ml = ml_discrepancy(s, implied_cov(m, s, n))
    q = len(m.exogenous)
    df = p * (p + 1) // 2 - q * (q + 1) // 2 - m.n_params  # lavaan, fixed.x = TRUE
    _, ld_s = np.linalg.slogdet(s)
    loglik_saturated = -0.5 * n * (p * np.log(2 * np.pi) + ld_s + p)
    loglik = loglik_saturated - 0.5 * n * f_ml
    return FitStatistics(m.name, int(n), float(n * f_ml), int(df), float(loglik))


def equivalence_table(data: pd.DataFrame | np.ndarray, n: int | None = None, names: Sequence[str] = ("m2_cycle", "m2_reversed", "m2_open", "m2_open_reversed")) -> pd.DataFrame:
    """Chi-square, df and log-likelihood of M2 and its variants on the same data."""
    rows = []
    for name in names:
        m = model_variant(name)
        if isinstance(data, pd.DataFrame):
            st = fit_statistics(m, data)
        else:
            st = fit_statistics(m, data.loc[list(m.variables), list(m.variables)].to_numpy(float), n)
        rows.append({"model": name, "n": st.n, "chisq": st.chisq, "df": st.df, "loglik": st.loglik})
    return pd.DataFrame(rows).set_index("model")


# --------------------------------------------------------------------------- sensitivity


def assumptions(facts=None) -> pd.DataFrame:
    """The assumed quantities and their plausible ranges, one row each.

    Columns: ``kind`` ("corr" or "mean"), ``key`` (a variable pair or a
    variable), ``label``, ``base``, ``low``, ``high``, ``source``, and
    ``plausible_low``, ``plausible_high`` and ``restricted``: the facts file's
    range, and whether ``low``-``high`` is narrower because published numbers
    rule part of it out (r(alliance_prep, alliance_post2) must be compatible
    with the published change's p and d: :func:`change_compatible_r`). Only
    assumptions with a range are listed.
    """
    f = facts or load_facts()
    rows = []
    for rec in f.correlation_assumptions.to_dict("records"):
        low, high, restricted = rec["low"], rec["high"], False
        if {rec["x"], rec["y"]} == set(CHANGE_PAIR):
            c_low, c_high = change_compatible_r(f)
            low, high = max(low, c_low), min(high, c_high)
            restricted = (low, high) != (rec["low"], rec["high"])
        rows.append({"kind": "corr", "key": (rec["x"], rec["y"]), "label": f"r({rec['x']}, {rec['y']})",
                     "base": rec["r"], "low": low, "high": high, "source": rec["source"],
                     "plausible_low": rec["low"], "plausible_high": rec["high"], "restricted": restricted})
    for rec in f.scale_assumptions.to_dict("records"):
        if rec["low_mean"] is None or pd.isna(rec["low_mean"]):
            continue
        rows.append({"kind": "mean", "key": rec["name"], "label": f"mean({rec['name']})",
                     "base": rec["mean"], "low": rec["low_mean"], "high": rec["high_mean"], "source": rec["source"],
                     "plausible_low": rec["low_mean"], "plausible_high": rec["high_mean"], "restricted": False})
    return pd.DataFrame(rows)


CHANGE_PAIR = ("alliance_prep", "alliance_post2")
"""The assumed correlation that the published alliance-change test (p and d) constrains."""


def _printed_half_unit(value: float) -> float:
    """Half a unit of the last printed decimal of a number as the facts file types it (0.03 -> 0.005)."""
    text = repr(float(value))
    decimals = len(text.split(".")[1]) if "." in text and "e" not in text else 3
    return 0.5 * 10.0 ** (-decimals)


def change_compatible_r(facts=None, step: float = 1e-4, d_points: int = 201) -> tuple[float, float]:
    """The values of r(alliance_prep, alliance_post2) compatible with the published alliance change.

    The book reads the change as a paired t test on the complete pairs (n =
    participants analysed minus missing preparation ratings, from the facts
    file) with d_av = mean change / mean of the two SDs, and assumes the two
    SDs of ``scale_assumptions``. For a given r, the change's t is
    ``d_av * (s1 + s2) / 2 / sqrt(s1^2 + s2^2 - 2 r s1 s2) * sqrt(n)`` on n - 1
    df. r is compatible when some d_av that rounds to the printed d gives a
    two-tailed p that rounds to the printed p. Found on a grid of r (``step``)
    and of d over its rounding interval (``d_points``); returns (lowest,
    highest) compatible r. Raises ValueError if none is.
    """
    f = facts or load_facts()
    key = (f.key(), float(step), int(d_points))
    if key not in _COMPATIBLE_R:
        _COMPATIBLE_R.clear()
        _COMPATIBLE_R[key] = _change_compatible_r(f, step, d_points)
    return _COMPATIBLE_R[key]


_COMPATIBLE_R: dict[tuple, tuple[float, float]] = {}
"""(facts content, step, d_points) -> change_compatible_r's answer: the chapter asks for it several times."""


def _change_compatible_r(f, step: float, d_points: int) -> tuple[float, float]:
    """change_compatible_r on a grid of about 4 million (r, d): p = 2 sf(t) falls as t grows, so a point
    is compatible when its t lies between the two t that give p_pub +/- half a unit; the t distribution's
    sf is evaluated only for the points within 1e-6 (relative) of those two t, where rounding could decide."""
    from scipy import stats

    ch = f.alliance_change.set_index("name")
    p_pub, d_pub = float(ch.loc["p", "value"]), float(ch.loc["d", "value"])
    n = int(f.value("design", "n_analysed")) - int(f.value("missing", "alliance_prep"))
    sa = f.scale_assumptions.set_index("name")["sd"]
    s1, s2 = float(sa[CHANGE_PAIR[0]]), float(sa[CHANGE_PAIR[1]])
    hp, hd = _printed_half_unit(p_pub), _printed_half_unit(d_pub)
    r = np.round(np.arange(-1 + step, 1, step), 10)[:, None]
    d = np.linspace(d_pub - hd, d_pub + hd, d_points)[1:-1][None, :]  # open ends: .xx5 rounds either way
    t = d * (s1 + s2) / 2 / np.sqrt(s1**2 + s2**2 - 2 * r * s1 * s2) * np.sqrt(n)
    # |p - p_pub| < hp  <=>  t_low < t < t_high (p strictly decreasing in t > 0)
    t_low, t_high = stats.t.isf((p_pub + hp) / 2, n - 1), stats.t.isf(max(p_pub - hp, 0) / 2, n - 1)
    ok_t = (t > t_low) & (t < t_high)
    near = (np.abs(t - t_low) <= 1e-6 * abs(t_low)) | (np.abs(t - t_high) <= 1e-6 * abs(t_high))
    if near.any():  # decide the boundary points exactly as p itself would
        ok_t[near] = np.abs(2 * stats.t.sf(t[near], n - 1) - p_pub) < hp
    ok = ok_t.any(axis=1)
    if not ok.any():
        raise ValueError(f"no r gives p = {p_pub} with d = {d_pub} at n = {n} pairs (SDs {s1}, {s2})")
    return float(r[ok, 0].min()), float(r[ok, 0].max())


def _override(kind: str, key, value: float) -> dict:
    return {"corr": {tuple(key): float(value)}} if kind == "corr" else {"mean": {key: float(value)}}


def sensitivity_table(
    models: Sequence[str] = ("m1_mediation", "m2_cycle"),
    n: int = 24,
    reps: int = 2_000,
    seed: int = 20240301,
    alpha: float = 0.05,
    missing: str = "auto",
    kinds: Sequence[str] = ("corr",),
    only: Sequence[str] | None = None,
    facts=None,
    progress: bool = False,
) -> pd.DataFrame:
    """Population value and power at n of every effect, with each assumption at its low, base and high value.

    ``kinds``: which assumptions to vary, ``"corr"`` (assumed correlations) and/or
    ``"mean"`` (assumed means; these move intercepts only, never a path).
    ``only``: labels of :func:`assumptions` to restrict the sweep to.

    One row per assumption, setting (``low``/``base``/``high``), model and
    effect. Each setting's Monte Carlo uses ``reps`` replications with the same
    seed (common random numbers, so differences are not noise from new draws).
    Settings whose correlation matrix is not positive definite are reported
    with ``ok = False`` and NaN values.
    """
    check_seed(seed, "sensitivity_table seed")
    facts = facts or load_facts()  # read once: every setting builds a population from it
    table = assumptions(facts)
    table = table[table["kind"].isin(kinds)]
    if only is not None:
        unknown = sorted(set(only) - set(table["label"]))
        if unknown:
            raise ValueError(f"unknown assumption(s) {unknown}; valid: {', '.join(table['label'])}")
        table = table[table["label"].isin(only)]
    used = set()
    for name in models:
        used |= set(get_model(name).variables)
    base_pop = target_population(facts)
    settings = MonteCarloSettings(n=n, reps=reps, seed=seed, alpha=alpha, models=tuple(models), missing=missing, progress=False)

    def run(pop) -> pd.DataFrame:
        res = run_montecarlo(settings, pop, correlations=False)
        return res.summary[["model", "effect", "kind", "population", "power", "mean"]]

    base = run(base_pop)
    rows = []
    it = table.itertuples()
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(list(it), desc="assumptions")
    for a in it:
        for setting in ("low", "base", "high"):
            value = getattr(a, setting)
            if setting == "base":
                out, ok = base, True
            else:
                try:
                    pop = target_population(facts, overrides=_override(a.kind, a.key, value))
                    out, ok = run(pop), True
                except (ValueError, np.linalg.LinAlgError):
                    out, ok = base.assign(population=np.nan, power=np.nan, mean=np.nan), False
            rows.append(out.assign(assumption=a.label, kind_of_assumption=a.kind, setting=setting, value=value, ok=ok,
                                   touches_model=(set(a.key) if a.kind == "corr" else {a.key}) & used != set()))
    cols = ["assumption", "kind_of_assumption", "setting", "value", "ok", "touches_model", "model", "effect", "kind", "population", "power", "mean"]
    return pd.concat(rows, ignore_index=True)[cols]


_ASSUMPTION = re.compile(r"^(r|mean)\((.+)\)$")


def describe_assumption(label: str) -> str:
    """A readable form of an assumption label: ``r(mystical_peak, insight_peak)`` -> ``r(peak mystical experience, peak insight)``.

    Variable names are replaced by :data:`psyalliance.study.instruments.LABELS`;
    labels of another form are returned unchanged.
    """
    m = _ASSUMPTION.match(label)
    if not m:
        return label
    names = [LABELS.get(v.strip(), v.strip()) for v in m.group(2).split(",")]
    return f"{m.group(1)}({', '.join(names)})"


def power_moves(table: pd.DataFrame, top: int | None = 8, kind: str = "path") -> pd.DataFrame:
    """The largest movements of power: one row per model, effect and assumption, columns low, base, high, spread.

    ``table``: output of :func:`sensitivity_table`. ``spread`` is the largest
    minus the smallest of the low and high power (NaN ends, settings without a
    valid population, are ignored). Sorted by spread, largest first; ``top``
    rows (None: all).
    """
    missing = {"model", "effect", "assumption", "setting", "power", "kind"} - set(table.columns)
    if missing:
        raise ValueError(f"table lacks the columns {sorted(missing)} of a sensitivity_table")
    piv = table[table["kind"] == kind].pivot_table(index=["model", "effect", "assumption"], columns="setting", values="power", dropna=False)
    piv = piv.reindex(columns=list(SETTINGS))
    piv["spread"] = piv[["low", "high"]].max(axis=1) - piv[["low", "high"]].min(axis=1)
    piv.columns.name = None
    out = piv.sort_values("spread", ascending=False, kind="stable")
    return out if top is None else out.head(top)


def infeasible_settings(table: pd.DataFrame) -> pd.DataFrame:
    """The assumption settings with no valid (positive-definite) population: columns assumption, setting, value."""
    s = table.drop_duplicates(["assumption", "setting"])
    return s.loc[~s["ok"].astype(bool), ["assumption", "setting", "value"]].reset_index(drop=True)


def infeasible_phrase(table: pd.DataFrame) -> tuple[str, str]:
    """Prose for the infeasible settings: ("no setting produces" | "one setting produces" | "k settings produce", list).

    The list reads "r(x, y) at its low end; ..." (readable labels) or "none".
    """
    bad = infeasible_settings(table)
    k = len(bad)
    phrase = "no setting produces" if k == 0 else ("one setting produces" if k == 1 else f"{k} settings produce")
    listing = "; ".join(f"{describe_assumption(a)} at its {st} end" for a, st in zip(bad["assumption"], bad["setting"]))
    return phrase, listing or "none"


def setting_values(table: pd.DataFrame, model: str, effect: str, assumption: str) -> pd.DataFrame:
    """Population value, power and assumed value of one effect at the low, base and high setting of one assumption.

    Rows ``low``, ``base``, ``high``; columns ``value`` (the assumed number),
    ``population`` and ``power``. Raises ValueError if the combination is absent.
    """
    d = table[(table["model"] == model) & (table["effect"] == effect) & (table["assumption"] == assumption)]
    if d.empty:
        raise ValueError(f"no rows for model {model!r}, effect {effect!r}, assumption {assumption!r}")
    return d.set_index("setting").reindex(list(SETTINGS))[["value", "population", "power"]]


def assumptions_within(model: str, facts=None) -> list[str]:
    """Labels of the assumed correlations whose two variables both belong to ``model``."""
    v = set(get_model(model).variables)
    a = assumptions(facts)
    return [lab for kind, key, lab in zip(a["kind"], a["key"], a["label"]) if kind == "corr" and set(key) <= v]
