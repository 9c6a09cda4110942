"""Expected answers of the computable exercises, one function per exercise label.

Each function takes the dataset the notebook uses (the book's simulated
dataset, or a student's own simulated dataset) and returns the expected
answer, computed when the check is called, never typed.
:func:`psyalliance.selfcheck.check` compares a student's answer with it.
"""

from __future__ import annotations

import pandas as pd

from psyalliance.selfcheck import answer

# --- chapter 02, Path models from regression (helper "primer") -------------------------------------------------

_M1_VARIABLES = ["alliance_prep", "mystical_peak", "insight_peak", "hamd_4wk"]


@answer("ex-primer-2", tolerance=1e-6,
        hint="use the complete cases of the four M1 variables; a2 is the slope of alliance_prep in insight_peak ~ "
             "alliance_prep, b2 the slope of insight_peak in hamd_4wk ~ mystical_peak + insight_peak + "
             "alliance_prep; the answer is their product (GRID-HAMD points per alliance point)")
def _(data: pd.DataFrame) -> float:
    from psyalliance.primer import indirect_by_ols

    return indirect_by_ols(data, "alliance_prep", "insight_peak", "hamd_4wk", ["mystical_peak"])


@answer("ex-primer-3", tolerance=1e-3,
        hint="fit M1 without the direct path alliance_prep -> hamd_4wk (keep mystical_peak ~~ insight_peak) with "
             "semopy.Model on the complete cases of its four variables, then take lavaan_fit_statistics(model, "
             "rows)['chisq'] (1 df), not semopy.calc_stats")
def _(data: pd.DataFrame) -> float:
    from psyalliance.primer import full_mediation_chisq

    return full_mediation_chisq(data)


# --- chapter 03, Where the data come from (helper "primer") -----------------------------------------------------

@answer("ex-data-2", tolerance=1e-6,
        hint="the Pearson correlation of alliance_post2 and hamd_12mo on the rows where both are present "
             "(data[[...]].dropna()), a number between -1 and 1; it should be negative")
def _(data: pd.DataFrame) -> float:
    pair = data[["alliance_post2", "hamd_12mo"]].dropna().astype(float)
    return float(pair["alliance_post2"].corr(pair["hamd_12mo"]))


# --------------------------------------------------------------------------- 10_checking_published (audit)


@answer("ex-audit-1", tolerance=0,
        hint="loop n over range(4, 101); keep n when p_range(0.38, n)[0] <= .0205 and p_range(0.38, n)[1] >= .0195")
def _(data: pd.DataFrame) -> list[int]:
    from psyalliance.audit import p_range, printed_p_interval

    lo, hi = printed_p_interval(0.020)
    return [n for n in range(4, 101) if p_range(0.38, n)[0] <= hi and p_range(0.38, n)[1] >= lo]


@answer("ex-audit-2", tolerance=0,
        hint="count the whole percentages pct in range(101) for which grim_counts(pct, 24) is not an empty list")
def _(data: pd.DataFrame) -> int:
    from psyalliance.audit import grim_counts

    return sum(1 for pct in range(101) if grim_counts(pct, 24))


@answer("ex-audit-3", tolerance=0,
        hint="multipletests(p, alpha=0.05, method='bonferroni')[0] marks the rejected tests; count the True")
def _(data: pd.DataFrame) -> int:
    from statsmodels.stats.multitest import multipletests

    from psyalliance.audit import published_consistency

    return int(multipletests(published_consistency()["p"], alpha=0.05, method="bonferroni")[0].sum())

@answer("ex-ch11-2", tolerance=1e-6, hint="mediation_parts with insight_peak as the mediator, then rho_at_zero")
def _(data: pd.DataFrame) -> float:
    """The mediator-outcome residual correlation that erases the indirect effect through insight."""
    from psyalliance.ignorability import mediation_parts, rho_at_zero

    return rho_at_zero(mediation_parts(data, "alliance_prep", "insight_peak", "hamd_4wk"))
