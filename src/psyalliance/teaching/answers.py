"""Expected answers of the book's coding exercises, one function per exercise label.

Each function takes the dataset in use (the committed simulated dataset or a student's, see
:mod:`psyalliance.teaching.selfcheck`) and returns the expected answer, computed then, never typed. ``prepare``
turns what a student hands to ``check`` (the variable the exercise's scaffold names, often a result
object) into the shape of the expected answer. ``decimals`` is what the exercise's solution prints (one
per part of a dict answer), which sets the tolerance; ``hint`` gives the steps, first what to look at,
then the method, never the value. Labels are ``ex-NN-k``, the k-th exercise of chapter NN (Exercise N.k).
Helpers adding exercises append their functions at the end.

The decorator :func:`answer` here only records (label, options, function) in :data:`RECORDED`, in the order
of this file; :mod:`psyalliance.teaching.selfcheck`, which imports this module, registers each one with its own
``answer`` (which checks the options) when it is imported. So this module knows nothing of the checks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from psyalliance.audit.audit import grim_counts, p_range, printed_p_interval, published_consistency
from psyalliance.audit.ledger import Tolerances, claims_ledger, judge_p, judge_value
from psyalliance.sem import lavaan
from psyalliance.sem.models import fit_model
from psyalliance.sem.registry import MODELS
from psyalliance.simulation.population import target_population
from psyalliance.study.facts import load_facts
from psyalliance.study.instruments import subscale_scores
from psyalliance.teaching.primer import M1_FULL_MEDIATION, count_parameters, indirect_by_ols, lavaan_fit_statistics
from psyalliance.trust.ignorability import mediation_parts, rho_at_zero
from psyalliance.trust.montecarlo import MonteCarloSettings, run_montecarlo
from psyalliance.trust.power import approximate_mediation_power, mediation_power

YES_NO = ("yes", "no")  # the options of a yes/no question

RECORDED: list[tuple[str, dict[str, Any], Callable[[pd.DataFrame], Any]]] = []
"""(label, the options of :func:`psyalliance.teaching.selfcheck.answer`, the expected-answer function), in file order."""


def answer(label: str, **options: Any) -> Callable[[Callable[[pd.DataFrame], Any]], Callable[[pd.DataFrame], Any]]:
    """Record ``func`` as the expected answer of exercise ``label`` (``options``: those of
    :func:`psyalliance.teaching.selfcheck.answer`, e.g. ``decimals``, ``hint``, ``choices``, ``part``)."""

    def record(func: Callable[[pd.DataFrame], Any]) -> Callable[[pd.DataFrame], Any]:
        RECORDED.append((label, options, func))
        return func

    return record


def _recorded(label: str) -> Callable[[pd.DataFrame], Any]:
    """The recorded expected-answer function of exercise ``label`` itself (not of one of its parts)."""
    return next(func for lab, options, func in RECORDED if lab == label and options.get("part") is None)


MC_TOL = 0.03  # Monte Carlo answers: a student's 2,000 replications with any seed, against ours (about 4 MC SEs)
MC_SEED = 97  # our own seed for the Monte Carlo answers (any seed does, within MC_TOL)


# ----------------------------------------------------------------------------- 01 The study

def _backsolve_points() -> list[tuple[float, int]]:
    row = load_facts().correlations.query("x == 'alliance_prep' and y == 'hamd_12mo'").iloc[0]
    return [(float(row.r), n) for n in range(15, 25)] + [(0.3, 10), (-0.1, 40)]


def _call_p_from_r(func: Any, data: pd.DataFrame) -> dict[str, float]:
    if not callable(func):
        raise TypeError("pass the function p_from_r itself (no brackets)")
    out = {}
    for r, n in _backsolve_points():
        p = func(r, n)
        if p is ...:
            raise NotImplementedError("Exercise ex-01-2: p_from_r still returns ...; fill in its body")
        out[f"p_from_r({r:g}, {n})"] = float(p)
    return out


@answer("ex-01-2", decimals=4, uses_data=False, prepare=_call_p_from_r,
        hint=("look at what p_from_r returns for a negative r and for a positive one, and whether it is one tail "
              "or both",
              "t = |r| sqrt(n - 2) / sqrt(1 - r^2); the TWO-tailed p is 2 * stats.t.sf(t, n - 2) (sf gives one tail)"))
def _(data: pd.DataFrame) -> dict[str, float]:
    out = {}
    for r, n in _backsolve_points():
        t = abs(r) * np.sqrt(n - 2) / np.sqrt(1 - r**2)
        out[f"p_from_r({r:g}, {n})"] = float(2 * stats.t.sf(t, n - 2))
    return out


# ----------------------------------------------------------------------------- 04 Exploring

def _response_rate(responded: Any, data: pd.DataFrame) -> float:
    values = pd.Series(responded)
    if values.dtype != bool:
        raise TypeError("responded should be True/False for each participant (a comparison with >=)")
    return float(values.mean())


@answer("ex-04-2", prepare=_response_rate,
        hint=("a responder's drop is measured against THEIR OWN baseline, and responded holds one True/False per "
              "participant",
              "responded = (hamd_baseline - hamd_4wk) / hamd_baseline >= facts.value('outcomes', "
              "'response_drop_fraction'), both columns of my_data"))
def _(data: pd.DataFrame) -> float:
    drop = load_facts().value("outcomes", "response_drop_fraction")
    base = data["hamd_baseline"].astype(float)
    return float(((base - data["hamd_4wk"].astype(float)) / base >= drop).mean())


def _subscale_correlations(piq: Any, data: pd.DataFrame) -> pd.Series:
    if isinstance(piq, pd.DataFrame):
        return piq.corrwith(data["hamd_4wk"].astype(float))
    return pd.Series(piq)


@answer("ex-04-3", prepare=_subscale_correlations,
        hint=("piq should hold one column per PIQ subscale of the session-2 rating, one row per participant",
              "piq = subscale_scores(my_data, 'insight_s2'); then piq.corrwith(my_data['hamd_4wk'])"))
def _(data: pd.DataFrame) -> pd.Series:
    return subscale_scores(data, "insight_s2").corrwith(data["hamd_4wk"].astype(float))


# ----------------------------------------------------------------------------- 05 Did the alliance grow?

@answer("ex-05-2", decimals={"n": 0, "d_z": 2, "d_av": 2},
        hint=("look at which two ratings you compare: the preparation rating and the one after session 1 "
              "(alliance_post1, not alliance_post2)",
              "paired_change(my_data, 'alliance_prep', 'alliance_post1') uses the participants with both ratings "
              "and returns n, d_z and d_av"))
def _(data: pd.DataFrame) -> dict[str, float]:
    pair = data[["alliance_prep", "alliance_post1"]].dropna()
    diff = pair["alliance_post1"] - pair["alliance_prep"]
    sd_av = np.sqrt((pair["alliance_prep"].var(ddof=1) + pair["alliance_post1"].var(ddof=1)) / 2)
    return {"n": len(pair), "d_z": float(diff.mean() / diff.std(ddof=1)), "d_av": float(diff.mean() / sd_av)}


# ----------------------------------------------------------------------------- 06 Correlations

def _spearman_of_pair(pair: Any, data: pd.DataFrame) -> float:
    if isinstance(pair, pd.DataFrame):
        if sorted(pair.columns) != ["alliance_post2", "hamd_4wk"]:
            raise ValueError("pair should hold exactly the columns alliance_post2 and hamd_4wk")
        return float(stats.spearmanr(pair["alliance_post2"], pair["hamd_4wk"]).statistic)
    return float(getattr(pair, "statistic", pair))


@answer("ex-06-2", decimals=3, prepare=_spearman_of_pair,
        hint=("look at the rows you rank: a rank correlation needs the rows where BOTH variables are present",
              "pair = my_data[['alliance_post2', 'hamd_4wk']].dropna(), then stats.spearmanr on its two columns"))
def _(data: pd.DataFrame) -> float:
    pair = data[["alliance_post2", "hamd_4wk"]].dropna()
    return float(stats.spearmanr(pair["alliance_post2"], pair["hamd_4wk"]).statistic)


# ----------------------------------------------------------------------------- 07 Path models

def _fit_numbers(fit: Any, data: pd.DataFrame) -> dict[str, float]:
    return {"chisq": float(fit.fit["chisq"]), "df": int(fit.fit["df"]), "aic": float(fit.fit["aic"])}


@answer("ex-07-2", decimals={"chisq": 2, "df": 0, "aic": 2}, prepare=_fit_numbers,
        hint=("look at where insight_peak enters: as a predictor in the hamd_12mo equation only, and at the "
              "estimator (FIML, all participants)",
              "syntax = MODELS['m2_cycle'] with ' + insight_peak' at the end of its hamd_12mo line; then "
              "fit_model('m2_insight', my_data, missing='fiml', syntax=syntax)"))
def _(data: pd.DataFrame) -> dict[str, float]:
    syntax = MODELS["m2_cycle"].replace("hamd_12mo ~ d2*alliance_post2 + e*hamd_4wk",
                                        "hamd_12mo ~ d2*alliance_post2 + e*hamd_4wk + insight_peak")
    return _fit_numbers(fit_model("m2_insight", data, missing="fiml", syntax=syntax), data)


# ----------------------------------------------------------------------------- 08 Scorecard

def _changed_claims(other: Any, data: pd.DataFrame) -> set[str]:
    if isinstance(other, pd.DataFrame):
        before = claims_ledger(data).set_index("claim")["verdict"]
        after = other.set_index("claim")["verdict"]
        return set(before.index[before != after.reindex(before.index)])
    return set(other)


@answer("ex-08-2", prepare=_changed_claims,
        hint=("compare like with like: the ledger of my_data against the ledger of a shifted copy of my_data",
              "shifted = my_data.copy(); shifted['hamd_4wk'] += 2; other = claims_ledger(shifted), then compare "
              "its verdict column with that of claims_ledger(my_data)"))
def _(data: pd.DataFrame) -> set[str]:
    shifted = data.copy()
    shifted["hamd_4wk"] += 2
    before = claims_ledger(data).set_index("claim")["verdict"]
    after = claims_ledger(shifted).set_index("claim")["verdict"]
    return set(before.index[before != after])


# ----------------------------------------------------------------------------- 09 How much can 24 people tell us?

def _m1_path_coverage(result: Any, data: pd.DataFrame) -> dict[str, float]:
    s = result.summary
    paths = s[(s["model"] == "m1_mediation") & (s["kind"] == "path")]
    return dict(zip(paths["effect"], paths["coverage"].astype(float)))


@answer("ex-09-2", tol=MC_TOL, uses_data=False, prepare=_m1_path_coverage,
        hint=("look at the setting that chooses the test: ML standard errors with a normal reference, for M1 only",
              "MonteCarloSettings(n=24, reps=2_000, seed=SEED, models=('m1_mediation',), inference='z'); read the "
              "coverage of the rows whose kind is 'path'"))
def _(data: pd.DataFrame) -> dict[str, float]:
    settings = MonteCarloSettings(n=24, reps=2_000, seed=MC_SEED, models=("m1_mediation",), inference="z")
    return _m1_path_coverage(run_montecarlo(settings, correlations=False), data)


def _b2_mar(result: Any, data: pd.DataFrame) -> dict[str, float]:
    row = result.summary.set_index("effect").loc["b2"]
    return {"relative bias of b2": float(row["bias"] / row["population"]), "coverage of b2": float(row["coverage"])}


@answer("ex-09-4", tol=MC_TOL, uses_data=False, prepare=_b2_mar,
        hint=("look at the two missing-at-random settings: what drives the missingness and how strongly",
              "MonteCarloSettings(n=24, reps=2_000, seed=SEED, models=('m1_mediation',), mar_on='hamd_4wk', "
              "mar_strength=2.0); read the bias and coverage of the b2 row"))
def _(data: pd.DataFrame) -> dict[str, float]:
    settings = MonteCarloSettings(n=24, reps=2_000, seed=MC_SEED, models=("m1_mediation",), mar_on="hamd_4wk",
                                  mar_strength=2.0)
    return _b2_mar(run_montecarlo(settings, correlations=False), data)


# ----------------------------------------------------------------------------- A1 Simulating

def _top_changes(change: Any, data: pd.DataFrame) -> set[frozenset[str]]:
    if isinstance(change, pd.DataFrame):
        rows = change[change["status"] == "completed"] if "status" in change.columns else change
        rows = rows.reindex(rows["change"].abs().sort_values(ascending=False).index).head(3)
        return {frozenset((x, y)) for x, y in zip(rows["x"], rows["y"])}
    return {frozenset(p) for p in change}


@answer("ex-A1-3", uses_data=False, prepare=_top_changes,
        hint=("rank the pairs by the SIZE of the change (its absolute value), among the completed pairs only",
              "other = target_population(overrides={'corr': {('mystical_peak', 'insight_peak'): 0.40}}); subtract "
              "the default population's r pair by pair, keep status == 'completed', sort by the absolute change"))
def _(data: pd.DataFrame) -> set[frozenset[str]]:
    base = target_population().status.set_index(["x", "y"])
    other = target_population(overrides={"corr": {("mystical_peak", "insight_peak"): 0.40}}).status.set_index(["x", "y"])
    completed = base[base["status"] == "completed"].index
    size = (other.loc[completed, "r"] - base.loc[completed, "r"]).abs().sort_values(ascending=False)
    return {frozenset(pair) for pair in size.index[:3]}


# ----------------------------------------------------------------------------- A2 lavaan

def _chain_changes(fits: Any, data: pd.DataFrame) -> dict[str, float]:
    chain, fixed = fits
    return {"chi-square change": float(fixed.fit["chisq"] - chain.fit["chisq"]),
            "df change": int(fixed.fit["df"] - chain.fit["df"])}


@answer("ex-A2-2", uses_data=False, prepare=_chain_changes,
        hint=("look at the order of the pair you pass: (chain, fixed), the model without the constraint first",
              "fit lavaan.USER_MODELS['chain_two_outcomes'].syntax by FIML on multivariate_regression.get_data(), "
              "then the same syntax plus the line 'y2 ~~ 0*y3'"))
def _(data: pd.DataFrame) -> dict[str, float]:
    from semopy.examples import multivariate_regression

    example = multivariate_regression.get_data()
    syntax = lavaan.USER_MODELS["chain_two_outcomes"].syntax
    chain = fit_model("chain_two_outcomes", example, "fiml", syntax=syntax)
    fixed = fit_model("chain_fixed", example, "fiml", syntax=syntax + "\ny2 ~~ 0*y3")
    return _chain_changes((chain, fixed), data)


# --- chapter 02, Path models from regression (helper "primer") -------------------------------------------------

_M1_VARIABLES = ["alliance_prep", "mystical_peak", "insight_peak", "hamd_4wk"]


@answer("ex-02-2", decimals=3,
        hint=("look at the rows and the two equations: the complete cases of the four M1 variables; a2 from the "
              "insight equation, b2 from the depression equation with all three predictors",
              "a2 = slope of alliance_prep in insight_peak ~ alliance_prep; b2 = slope of insight_peak in "
              "hamd_4wk ~ mystical_peak + insight_peak + alliance_prep (smf.ols on rows); the answer is a2 * b2"))
def _(data: pd.DataFrame) -> float:
    return indirect_by_ols(data, "alliance_prep", "insight_peak", "hamd_4wk", ["mystical_peak"])


def _full_mediation_stats(stats: Any, data: pd.DataFrame) -> dict[str, float]:
    if type(stats).__name__ == "SolverResult":
        raise TypeError("pass the Model, not what .fit() returns: lavaan_fit_statistics(sem_full, rows)")
    if type(stats).__name__ == "Model":
        raise TypeError("pass lavaan_fit_statistics(sem_full, rows), the dict of fit statistics, not the Model")
    if isinstance(stats, pd.DataFrame):  # semopy.calc_stats: its own df and p, not lavaan's
        row = stats.iloc[0]
        stats = {"df": row.get("DoF"), "chisq": row.get("chi2"), "pvalue": row.get("chi2 p-value")}
    if not isinstance(stats, Mapping) or not {"df", "chisq", "pvalue"} <= set(stats):
        raise TypeError("pass the dict lavaan_fit_statistics(sem_full, rows) returns (with df, chisq and pvalue)")
    return {"df": int(stats["df"]) if float(stats["df"]).is_integer() else float(stats["df"]),
            "chisq": float(stats["chisq"]), "pvalue": float(stats["pvalue"])}


@answer("ex-02-3", decimals={"df": 0, "chisq": 2, "pvalue": 3}, prepare=_full_mediation_stats,
        hint=("look at the df: under lavaan's conventions the alliance's fixed variance is neither data nor a "
              "parameter, so semopy's calc_stats counts one df too many",
              "fit semopy.Model(m1_full) on the complete rows, then lavaan_fit_statistics(model, rows) with the "
              "Model (not what .fit() returns); pass that dict, with its df, chisq and pvalue"))
def _(data: pd.DataFrame) -> dict[str, float]:
    import semopy

    model = semopy.Model(M1_FULL_MEDIATION)
    rows = data[list(model.vars["observed"])].dropna().astype(float)
    model.fit(rows)
    return _full_mediation_stats(lavaan_fit_statistics(model, rows), data)


# --- chapter 03, Where the data come from (helper "primer") -----------------------------------------------------

@answer("ex-03-2", decimals=3,
        hint=("look at the rows: the Pearson correlation is of the rows where both alliance_post2 and hamd_12mo "
              "are present",
              "pair = my_data[['alliance_post2', 'hamd_12mo']].dropna(); pair['alliance_post2'].corr(pair['hamd_12mo'])"))
def _(data: pd.DataFrame) -> float:
    pair = data[["alliance_post2", "hamd_12mo"]].dropna().astype(float)
    return float(pair["alliance_post2"].corr(pair["hamd_12mo"]))


# --------------------------------------------------------------------------- 10_checking_published (audit)


@answer("ex-10-1", decimals=0,
        hint=("a printed p of .020 stands for any p from .0195 to .0205, and p_range gives the p of r = .375 to .385",
              "keep n in range(4, 101) when p_range(0.38, n)[0] <= .0205 and p_range(0.38, n)[1] >= .0195"))
def _(data: pd.DataFrame) -> list[int]:
    lo, hi = printed_p_interval(0.020)
    return [n for n in range(4, 101) if p_range(0.38, n)[0] <= hi and p_range(0.38, n)[1] >= lo]


@answer("ex-10-2", decimals=0,
        hint=("count percentages, not people: a whole percentage counts when SOME whole number of the 24 gives it",
              "count the pct in range(101) for which grim_counts(pct, 24) is not an empty list"))
def _(data: pd.DataFrame) -> int:
    return sum(1 for pct in range(101) if grim_counts(pct, 24))


@answer("ex-10-3", decimals=0,
        hint=("count the correlations Bonferroni rejects (its first output), not those Holm rejects",
              "multipletests(audit['p'], alpha=0.05, method='bonferroni')[0] marks the rejected tests; count the True"))
def _(data: pd.DataFrame) -> int:
    from statsmodels.stats.multitest import multipletests

    return int(multipletests(published_consistency()["p"], alpha=0.05, method="bonferroni")[0].sum())

@answer("ex-11-2", decimals=3,
        hint=("look at the mediator: insight_peak, not mystical_peak, between alliance_prep and hamd_4wk",
              "rho_at_zero(mediation_parts(my_data, 'alliance_prep', 'insight_peak', 'hamd_4wk'))"))
def _(data: pd.DataFrame) -> float:
    """The mediator-outcome residual correlation that erases the indirect effect through insight."""
    return rho_at_zero(mediation_parts(data, "alliance_prep", "insight_peak", "hamd_4wk"))


# ----------------------------------------------------------------------------- 09 change it, predict, check

POWER_SEED = 20240301
"""The seed of chapter 09 (``SEED`` there): the exercises' Monte Carlo runs use it."""

POWER_REPS = 2_000
"""Simulated studies per Monte Carlo run in the exercises (Monte Carlo SE at most 0.011)."""


@answer("ex-09-5", tol=MC_TOL, uses_data=False,
        hint=("look at which entry you take: the power of path 'a', not of 'a*b', at n = 48; power is a share 0-1",
              "powerplots.mediation_power([48], MED_EFFECT, reps=2_000, seed=SEED).iloc[0]['a']"))
def _(data: pd.DataFrame) -> float:
    """Simulated power (0-1) of path a at n = 48 (twice 24), a = b = 0.4, Sobel set-up of chapter 09."""
    return float(mediation_power([48], 0.4, reps=POWER_REPS, seed=POWER_SEED).iloc[0]["a"])


@answer("ex-09-6", tol=MC_TOL, uses_data=False,
        hint=("keep n = 24 and change only the effect, to half of MED_EFFECT; take the 'a' entry",
              "powerplots.mediation_power([24], MED_EFFECT / 2, reps=2_000, seed=SEED).iloc[0]['a']"))
def _(data: pd.DataFrame) -> float:
    """Simulated power (0-1) of path a at n = 24 when a = b = 0.2 (half of 0.4)."""
    return float(mediation_power([24], 0.2, reps=POWER_REPS, seed=POWER_SEED).iloc[0]["a"])


# ----------------------------------------------------------------------------- yes/no and choice questions
# A conceptual exercise whose answer is a yes/no or a choice among named options, and the yes/no or choice
# question of a coding exercise (a part of its own: check_answer(label, x, part=...)). An answer that depends
# on the data is computed from it; one that does not is a property of the method, stated once here.


@answer("ex-02-1", choices=YES_NO, uses_data=False, question="Does the perfect fit support mediation?",
        hint=("look at the df: how many moments are left over once every parameter is estimated",
              "ask what fit a saturated model (df = 0) gets on any data, and whether a fit that could not have "
              "been worse can count as evidence for one direction"))
def _(data: pd.DataFrame) -> str:
    saturated = count_parameters("mystical_peak ~ a*alliance_prep\nhamd_4wk ~ b*mystical_peak + c*alliance_prep").df == 0
    return "no" if saturated else "yes"  # a fit that cannot fail supports no direction


@answer("ex-02-3", part="reject", choices=YES_NO, question="Does the chi-square test reject full mediation at .05?",
        hint=("look at the p value of the chi-square test under lavaan's conventions (not semopy's df)",
              "the test rejects the model when its p is below .05: compare stats_full['pvalue'] with 0.05"))
def _(data: pd.DataFrame) -> str:
    return "yes" if _recorded("ex-02-3")(data)["pvalue"] < 0.05 else "no"


@answer("ex-03-1", choices=YES_NO, uses_data=False, question="Is the association a finding about the trial?",
        hint=("look at where the book's dataset comes from, and at what the abstract publishes for that pair",
              "check whether facts.correlations holds this pair, and what the simulation does with a pair the "
              "abstract does not publish (the table of correlation sources)"))
def _(data: pd.DataFrame) -> str:
    published = load_facts().correlations
    pairs = {frozenset(p) for p in zip(published["x"], published["y"])}
    return "yes" if frozenset(("alliance_post1", "hamd_12mo")) in pairs else "no"


@answer("ex-03-2", part="agree", choices=YES_NO, question="Do the published and simulated r agree to two decimals?",
        hint=("look at both correlations rounded to two decimals, as the paper prints r",
              "they agree when round(r_simulated, 2) equals the published r (from facts.correlations)"))
def _(data: pd.DataFrame) -> str:
    published = load_facts().correlations.set_index(["x", "y"]).loc[("alliance_post2", "hamd_12mo"), "r"]
    return "yes" if abs(round(_recorded("ex-03-2")(data), 2) - float(published)) < 0.005 else "no"


@answer("ex-04-2", part="target", choices=YES_NO, uses_data=False,
        question="Was the 4-week response rate a target of the simulation?",
        hint=("look at what the simulation was built to match at 4 weeks: means and SDs, or counts of responders",
              "read which published numbers are the simulation's targets (appendix A1: means, SDs, correlations, "
              "counts) and at which time points each is"))
def _(data: pd.DataFrame) -> str:
    return "no"


@answer("ex-08-1", choices={"r": ("reproduced", "approximated", "not reproduced"),
                            "p": ("reproduced", "approximated", "not reproduced")}, uses_data=False,
        question="The verdict of r and of p",
        hint=("look at each number rounded as the paper printed it (r to 2 decimals, p to 3), and at which side of "
              ".05 each p falls",
              "reproduced: it rounds to the printed value; approximated: it misses but lies within the tolerance "
              "(r within .10, p on the same side of .05); else not reproduced"))
def _(data: pd.DataFrame) -> dict[str, str]:
    return {"r": judge_value(-0.38, -0.384, 2, Tolerances().r, "correlation")[0],
            "p": judge_p(0.021, "=", 0.026)[0]}


@answer("ex-09-5", part="doubles", choices=YES_NO, uses_data=False, question="Does power double at n = 48?",
        hint=("look at what grows with n: the noncentrality, with the square root of n - 2",
              "power is a normal distribution function of the noncentrality, so compare the power at 48 with "
              "twice the power at 24"))
def _(data: pd.DataFrame) -> str:
    power = approximate_mediation_power([24, 48], 0.4).set_index("n")["a"]
    return "yes" if power[48] >= 2 * power[24] else "no"


@answer("ex-09-6", part="twice", choices=YES_NO, uses_data=False,
        question="Is the n that restores the noncentrality twice 24?",
        hint=("look at how the noncentrality depends on the effect: a / sqrt(1 - a^2), times sqrt(n - 2)",
              "n - 2 must grow by the ratio of a^2 / (1 - a^2) at the two effects; compare the n that gives with 48"))
def _(data: pd.DataFrame) -> str:
    big, half = 0.4, 0.2
    grow = (big**2 / (1 - big**2)) / (half**2 / (1 - half**2))
    return "yes" if int(np.ceil(2 + (24 - 2) * grow)) == 2 * 24 else "no"


@answer("ex-10-1", part="consistent", choices=YES_NO, uses_data=False,
        question="Is r = .38, p = .020 consistent at n = 30?",
        hint=("look at the p of every r that rounds to .38 at n = 30, and at every p that rounds to .020",
              "consistent when the two intervals overlap: p_range(0.38, 30) against .0195 to .0205"))
def _(data: pd.DataFrame) -> str:
    (lo, hi), (p_lo, p_hi) = p_range(0.38, 30), printed_p_interval(0.020)
    return "yes" if lo <= p_hi and hi >= p_lo else "no"


@answer("ex-10-1", part="decision_error", choices=YES_NO, uses_data=False,
        question="Is a decision error possible at n = 30?",
        hint=("look at which side of .05 the recomputed p falls, and which side the printed p does",
              "a decision error needs some p of p_range(0.38, 30) at or above .05 while the printed .020 is below"))
def _(data: pd.DataFrame) -> str:
    return "yes" if p_range(0.38, 30)[1] >= 0.05 else "no"


@answer("ex-11-2", part="insight_vs_mystical", choices=("larger", "smaller"),
        question="Is |rho| for insight larger or smaller than for mystical experience?",
        hint=("look at the absolute values of the two rhos: the one for insight and the chapter's for mystical_peak",
              "compare abs(rho_at_zero(...)) with insight_peak and with mystical_peak as the mediator"))
def _(data: pd.DataFrame) -> str:
    rho = {m: abs(rho_at_zero(mediation_parts(data, "alliance_prep", m, "hamd_4wk")))
           for m in ("insight_peak", "mystical_peak")}
    return "larger" if rho["insight_peak"] > rho["mystical_peak"] else "smaller"


@answer("ex-A1-2", choices=YES_NO, uses_data=False, question="Is the completion a claim about the real trial?",
        hint=("look at where the completed entries come from: the abstract, or a choice of the simulation",
              "ask what the maximum-determinant rule chooses among the matrices consistent with the published "
              "entries, and whether any data of the trial went into that choice"))
def _(data: pd.DataFrame) -> str:
    return "no"


@answer("ex-01-1", choices={"r": ("paper", "us"), "p": ("paper", "us"), "n": ("paper", "us")}, uses_data=False,
        question="Where the column comes from",
        hint=("look at the column headings of the table: which of them say how the number was found",
              "the facts file's source column says where r and p come from; its note says how each n was found"))
def _(data: pd.DataFrame) -> dict[str, str]:
    corr = load_facts().correlations
    published = "paper" if set(corr["source"]) == {"paper"} else "us"
    inferred = corr["note"].str.contains("n inferred").all()
    return {"r": published, "p": published, "n": "us" if inferred else "paper"}
