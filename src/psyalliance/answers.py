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
