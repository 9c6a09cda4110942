"""Expected answers of the book's coding exercises, computed when asked, never typed.

One function per exercise label. Helper "assign" wires them to
:func:`psyalliance.selfcheck.check` with its ``@answer(label)`` decorator; each
docstring gives the tolerance and the hint the check should use.
"""

from __future__ import annotations

import pandas as pd

# --------------------------------------------------------------------------- chapter 09, change it, predict, check

POWER_SEED = 20240301
"""The seed of chapter 09 (``SEED`` there): the exercises' Monte Carlo runs use it."""

POWER_REPS = 2_000
"""Simulated studies per Monte Carlo run in the exercises (Monte Carlo SE at most 0.011)."""


def answer_ex_power_n(data: pd.DataFrame) -> float:
    """Exercise ``ex-power-n``: simulated power (0-1) of path a at n = 48 (twice 24), a = b = 0.4.

    X -> M -> Y with standardized paths, complete data, Sobel test, 2,000
    simulated studies with the chapter's seed
    (:func:`psyalliance.powerplots.mediation_power`). ``data`` is not used:
    the answer depends on the standardized population only. Tolerance: 0.03
    (about three Monte Carlo SEs, so another seed also passes). Hint: call
    ``powerplots.mediation_power([48], 0.4, reps=2_000, seed=SEED)`` and take
    the ``"a"`` entry (path a), not ``"a*b"``.
    """
    from psyalliance.powerplots import mediation_power

    return float(mediation_power([48], 0.4, reps=POWER_REPS, seed=POWER_SEED).iloc[0]["a"])


def answer_ex_power_effect(data: pd.DataFrame) -> float:
    """Exercise ``ex-power-effect``: simulated power (0-1) of path a at n = 24 when a = b = 0.2 (half of 0.4).

    Same set-up as :func:`answer_ex_power_n`; ``data`` is not used.
    Tolerance: 0.03. Hint: keep n = 24 and change only the effect to 0.2;
    the answer is the ``"a"`` entry of ``powerplots.mediation_power``.
    """
    from psyalliance.powerplots import mediation_power

    return float(mediation_power([24], 0.2, reps=POWER_REPS, seed=POWER_SEED).iloc[0]["a"])
