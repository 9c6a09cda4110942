"""Expected answers of the book's computable exercises, one function per exercise label.

Each is computed when a self-check is called, never typed (see psyalliance.selfcheck).
Helpers append their own functions at the end of this file.
"""

from __future__ import annotations

import pandas as pd

from psyalliance.selfcheck import answer

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
