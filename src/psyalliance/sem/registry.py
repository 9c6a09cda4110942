"""The registry of the book's path models: their lavaan-style syntax and the effects each chapter reports.

Data, not code: :data:`MODELS` (model name -> syntax) and :data:`EFFECTS` (model name -> its named effects).
Every model is a *reconstruction* consistent with the published findings of Levin et al. (2024); the paper's
own models are not known. Variables are the scale scores of the simulated dataset: alliance item means (1-5),
MEQ30 and PIQ item means (0-5), GRID-HAMD totals (0-52). Fitting them is :mod:`psyalliance.sem.models`
(semopy) and :mod:`psyalliance.sem.paths` (batched OLS); this module imports nothing from the package.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["MODELS", "KINDS", "Effect", "EFFECTS"]

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


KINDS = ("direct", "indirect", "total", "specific")
"""Kinds of effect: a single path, all paths but the direct one, all paths, the paths through one mediator."""


@dataclass(frozen=True)
class Effect:
    """One effect of ``x`` on ``y``; ``via`` names the mediator of a ``specific`` effect."""

    name: str
    kind: str
    x: str
    y: str
    via: str | None = None
    label: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind = {self.kind!r} is not one of {', '.join(KINDS)}")
        if (self.kind == "specific") != (self.via is not None):
            raise ValueError("a 'specific' effect needs a mediator (via), and only it")


EFFECTS: Mapping[str, tuple[Effect, ...]] = MappingProxyType({
    "m1_mediation": (
        Effect("a1*b1", "specific", "alliance_prep", "hamd_4wk", "mystical_peak",
               "preparation alliance -> peak mystical -> depression 4 wk"),
        Effect("a2*b2", "specific", "alliance_prep", "hamd_4wk", "insight_peak",
               "preparation alliance -> peak insight -> depression 4 wk"),
        Effect("indirect", "indirect", "alliance_prep", "hamd_4wk", None, "both indirect paths together"),
        Effect("c", "direct", "alliance_prep", "hamd_4wk", None, "direct path"),
        Effect("total", "total", "alliance_prep", "hamd_4wk", None, "total effect (direct + indirect)"),
    ),
    "m2_cycle": (
        Effect("a1*b1", "specific", "alliance_prep", "alliance_post2", "mystical_peak",
               "preparation alliance -> peak mystical -> final alliance"),
        Effect("a2*b2", "specific", "alliance_prep", "alliance_post2", "insight_peak",
               "preparation alliance -> peak insight -> final alliance"),
        Effect("indirect_post2", "indirect", "alliance_prep", "alliance_post2", None,
               "preparation -> final alliance through the acute effects"),
        Effect("total_post2", "total", "alliance_prep", "alliance_post2", None,
               "preparation -> final alliance, total"),
        Effect("total_4wk", "total", "alliance_prep", "hamd_4wk", None,
               "preparation alliance -> depression 4 wk (all indirect)"),
        Effect("total_12mo", "total", "alliance_prep", "hamd_12mo", None,
               "preparation alliance -> depression 12 mo (all indirect)"),
        Effect("d1*e", "specific", "alliance_post2", "hamd_12mo", "hamd_4wk",
               "final alliance -> depression 4 wk -> depression 12 mo"),
        Effect("total_post2_12mo", "total", "alliance_post2", "hamd_12mo", None,
               "final alliance -> depression 12 mo, total"),
    ),
})
"""The effects reported for M1 and M2 (labels as in the model syntax)."""
