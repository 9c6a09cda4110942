"""The path models of the book: a registry of lavaan-style model syntax.

Each model is a *reconstruction* consistent with the published findings of
Levin et al. (2024); the paper's own models are not known. Variables are the
scale scores of the simulated dataset: alliance item means (1-5), MEQ30 and
PIQ item means (0-5), GRID-HAMD totals (0-52).
"""

from __future__ import annotations

from types import MappingProxyType

MODELS = MappingProxyType(
    {
        # M1: preparation alliance -> peak acute effects -> depression at 4 weeks,
        # with the direct path and the mediators' residual covariance. Saturated.
        "m1_mediation": """
mystical_peak ~ a1*alliance_prep
insight_peak ~ a2*alliance_prep
hamd_4wk ~ b1*mystical_peak + b2*insight_peak + c*alliance_prep
mystical_peak ~~ insight_peak
""",
        # M2: the cycle. Preparation alliance -> acute effects -> final alliance
        # -> depression at 4 weeks and 12 months.
        "m2_cycle": """
mystical_peak ~ a1*alliance_prep
insight_peak ~ a2*alliance_prep
alliance_post2 ~ b1*mystical_peak + b2*insight_peak + c*alliance_prep
hamd_4wk ~ d1*alliance_post2
hamd_12mo ~ d2*alliance_post2 + e*hamd_4wk
mystical_peak ~~ insight_peak
""",
        # M3: durability. Final alliance -> depression at each wave, with
        # autoregressive paths from each wave to the next.
        "m3_durability": """
hamd_4wk ~ alliance_post2
hamd_3mo ~ alliance_post2 + hamd_4wk
hamd_6mo ~ alliance_post2 + hamd_3mo
hamd_12mo ~ alliance_post2 + hamd_6mo
""",
        # Murphy et al. (2022): alliance -> acute (mystical) experience -> depression,
        # full mediation, for comparison.
        "murphy2022": """
mystical_peak ~ a*alliance_prep
hamd_4wk ~ b*mystical_peak
""",
    }
)
"""Model name -> lavaan-style syntax (``~`` regression, ``~~`` covariance, ``x*`` labels)."""
