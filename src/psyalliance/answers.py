"""Expected answers of the computable exercises (helper "robust": chapter 11; append-only, merged by hand)."""

from __future__ import annotations

import pandas as pd

from psyalliance.selfcheck import answer


@answer("ex-ch11-2", tolerance=1e-6, hint="mediation_parts with insight_peak as the mediator, then rho_at_zero")
def _(data: pd.DataFrame) -> float:
    """The mediator-outcome residual correlation that erases the indirect effect through insight."""
    from psyalliance.ignorability import mediation_parts, rho_at_zero

    return rho_at_zero(mediation_parts(data, "alliance_prep", "insight_peak", "hamd_4wk"))
