"""Shared fixtures: a throwaway dataset with the simulated dataset's columns and missing pattern.

The fixture data are drawn here, with their own seed, from a random correlation
matrix; they are not the book's simulated dataset and carry no study meaning.
They exist so that the model, effect and ledger code can be tested without
depending on the simulation. (A helper module, not ``conftest.py``, so that it
cannot collide with other branches' fixtures; test files import it.)
"""

import numpy as np
import pandas as pd

SCORE_COLUMNS = [
    "alliance_prep", "alliance_post1", "alliance_post2",
    "mystical_s1", "mystical_s2", "mystical_peak",
    "insight_s1", "insight_s2", "insight_peak",
    "hamd_baseline", "hamd_1wk", "hamd_4wk", "hamd_3mo", "hamd_6mo", "hamd_12mo",
]


def make_fixture_data(seed: int = 1, n: int = 24, missing: bool = True) -> pd.DataFrame:
    """Multivariate-normal scores on the dataset's scales; NaN where the study had gaps."""
    rng = np.random.default_rng(seed)
    k = len(SCORE_COLUMNS)
    a = rng.normal(size=(k, k)) * 0.4
    c = a @ a.T + np.eye(k)
    d = np.sqrt(np.diag(c))
    x = rng.multivariate_normal(np.zeros(k), c / np.outer(d, d), size=n)
    df = pd.DataFrame(x, columns=SCORE_COLUMNS)
    # the three alliance ratings share a person-level component (r about .6 among them)
    common = rng.normal(size=n)
    for col in ("alliance_prep", "alliance_post1", "alliance_post2"):
        df[col] = 0.8 * common + 0.6 * df[col]
    df["alliance_post2"] += 0.3
    for col in SCORE_COLUMNS:
        if col.startswith("alliance"):
            df[col] = 4 + 0.5 * df[col]
        elif col.startswith("hamd"):
            df[col] = 9 + 7 * df[col]
        else:
            df[col] = 3 + df[col]
    df["hamd_baseline"] += 14
    # inside the instruments' ranges (fit_model and the ledger refuse values outside them)
    for col in SCORE_COLUMNS:
        lo, hi = (1, 5) if col.startswith("alliance") else (0, 52) if col.startswith("hamd") else (0, 5)
        df[col] = df[col].clip(lo, hi)
    df.insert(0, "id", np.arange(1, n + 1))
    df.insert(1, "arm", np.where(np.arange(n) < 13, "immediate", "delayed"))
    if missing:
        df.loc[:3, "alliance_prep"] = np.nan
        df.loc[:7, ["insight_s1", "insight_s2", "insight_peak"]] = np.nan
        df.loc[10, ["mystical_s1", "mystical_s2", "mystical_peak"]] = np.nan
    return df
