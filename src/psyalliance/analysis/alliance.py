"""Did the alliance grow? The paired test and its effect sizes, and a linear mixed model.

Alliance ratings are item means on 1-5 (WAI-SR, assumed), rated at the end of
preparation (``alliance_prep``), one week after session 1 (``alliance_post1``)
and one week after session 2 (``alliance_post2``).

Effect sizes follow Lakens (2013): d_z = mean difference / SD of the
differences (= t / sqrt(n)); d_av = mean difference / mean of the two SDs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats

from psyalliance.analysis.correlations import complete_pairs

RATINGS = ("alliance_prep", "alliance_post1", "alliance_post2")
"""The three alliance ratings, in time order."""


@dataclass(frozen=True)
class PairedChange:
    """A paired comparison of two ratings on the complete pairs (item-mean units, 1-5)."""

    pre: str
    post: str
    n: int
    mean_pre: float
    mean_post: float
    sd_pre: float
    sd_post: float
    mean_diff: float
    sd_diff: float
    r_pre_post: float
    t: float
    df: int
    p: float
    ci_low: float
    ci_high: float
    d_z: float
    d_av: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def paired_change(data: pd.DataFrame, pre: str = "alliance_prep", post: str = "alliance_post2",
                  level: float = 0.95) -> PairedChange:
    """Paired t test of ``post - pre`` on the rows where both are present, with d_z and d_av.

    Raises ``KeyError`` naming a missing column and ``ValueError`` when fewer
    than 3 complete pairs remain.
    """
    pairs = complete_pairs(data, pre, post, 3, "a paired t test")
    n = len(pairs)
    a, b = pairs[pre].to_numpy(), pairs[post].to_numpy()
    diff = b - a
    test = stats.ttest_rel(b, a)
    sd_d = diff.std(ddof=1)
    half = stats.t.ppf(0.5 + level / 2, n - 1) * sd_d / np.sqrt(n)
    sd_a, sd_b = a.std(ddof=1), b.std(ddof=1)
    return PairedChange(
        pre=pre, post=post, n=n, mean_pre=float(a.mean()), mean_post=float(b.mean()), sd_pre=float(sd_a),
        sd_post=float(sd_b), mean_diff=float(diff.mean()), sd_diff=float(sd_d),
        r_pre_post=float(np.corrcoef(a, b)[0, 1]), t=float(test.statistic), df=n - 1, p=float(test.pvalue),
        ci_low=float(diff.mean() - half), ci_high=float(diff.mean() + half), d_z=float(diff.mean() / sd_d),
        d_av=float(diff.mean() / ((sd_a + sd_b) / 2)),
    )


def long_format(data: pd.DataFrame, ratings: Sequence[str] = RATINGS, id_col: str = "id") -> pd.DataFrame:
    """One row per available rating: ``id, occasion`` (0, 1, 2 in time order), ``rating``, ``measure``."""
    missing = [c for c in (id_col, *ratings) if c not in data.columns]
    if missing:
        raise KeyError(f"column(s) not in the data: {', '.join(missing)}")
    long = data[[id_col, *ratings]].melt(id_vars=id_col, var_name="measure", value_name="rating")
    long["occasion"] = long["measure"].map({m: i for i, m in enumerate(ratings)})
    return long.dropna(subset=["rating"]).sort_values([id_col, "occasion"]).reset_index(drop=True)


@dataclass(frozen=True)
class MixedChange:
    """Random-intercept model of the alliance ratings (REML, statsmodels MixedLM).

    A random intercept implies compound symmetry: equal variances at every
    occasion and one correlation between any two occasions. ``contrast_p`` is
    statsmodels' Wald p with a normal reference; ``contrast_p_t`` refers the same
    statistic to t with ``contrast_df`` = (complete pairs of the first and last
    occasion) - 1 df, the paired test's df, a conservative choice (the model uses
    more ratings than those pairs).
    """

    n_ratings: int
    n_participants: int
    means: pd.Series  # model-estimated mean at each occasion
    contrast: float  # last occasion minus first
    contrast_se: float
    contrast_z: float  # Wald statistic, contrast / SE
    contrast_p: float  # two-tailed, normal reference (what statsmodels reports)
    contrast_df: int  # df of the t reference: complete pairs of the first and last occasion - 1
    contrast_p_t: float  # two-tailed, t reference with contrast_df df (conservative)
    between_var: float
    within_var: float
    icc: float
    result: object


def mixed_change(data: pd.DataFrame, ratings: Sequence[str] = RATINGS, id_col: str = "id") -> MixedChange:
    """Fit rating ~ C(occasion) + (1 | id) to all available ratings.

    Unlike the paired test, it keeps the participants whose first rating is
    missing (their later ratings still inform the later means and the
    between-person variance). The contrast is the last occasion minus the
    first, a Wald statistic, referred both to the normal distribution
    (``contrast_p``) and to t with (complete first/last pairs - 1) df
    (``contrast_p_t``); see :class:`MixedChange`.
    """
    import statsmodels.formula.api as smf

    long = long_format(data, ratings, id_col)
    model = smf.mixedlm("rating ~ C(occasion)", long, groups=long[id_col])
    res = model.fit(reml=True, method=["lbfgs", "powell"])
    if not res.converged:
        raise RuntimeError("the mixed model did not converge")
    k = len(ratings) - 1
    name = f"C(occasion)[T.{k}]"
    fe = res.fe_params
    means = pd.Series([fe["Intercept"]] + [fe["Intercept"] + fe[f"C(occasion)[T.{i}]"] for i in range(1, k + 1)],
                      index=list(ratings))
    between = float(res.cov_re.iloc[0, 0])
    within = float(res.scale)
    z = float(res.tvalues[name])
    df = int(data[[ratings[0], ratings[-1]]].notna().all(axis=1).sum()) - 1
    return MixedChange(
        n_ratings=len(long), n_participants=int(long[id_col].nunique()), means=means, contrast=float(fe[name]),
        contrast_se=float(res.bse_fe[name]), contrast_z=z, contrast_p=float(res.pvalues[name]),
        contrast_df=df, contrast_p_t=float(2 * stats.t.sf(abs(z), df)),
        between_var=between, within_var=within, icc=between / (between + within), result=res,
    )


CHANGE_COLUMNS = ("statistic", "recomputed (simulated data)", "published")
"""Columns of :func:`change_table`."""


def change_table(change: PairedChange, published_p: float, published_d: float) -> pd.DataFrame:
    """The recomputed paired test next to the published p and d.

    Object columns: the count ``n`` stays an ``int``, statistics are floats and a
    cell with nothing published is ``None`` (show it blank, e.g. with
    ``Styler.format(na_rep="")``). The published d is set against d_av only, the
    variant it most likely is (with n - 1 df and the published p, d_z would be
    larger; see the alliance chapter); d_z is shown for comparison.
    """
    rows = [
        ("n (complete pairs)", int(change.n), None),
        ("mean change (item-mean units, 1-5 scale)", change.mean_diff, None),
        (f"t({change.df})", change.t, None),
        ("p, two-tailed", change.p, float(published_p)),
        ("d_z (change / SD of change)", change.d_z, None),
        ("d_av (change / mean SD); the published d", change.d_av, float(published_d)),
        ("r between the two ratings", change.r_pre_post, None),
    ]
    return pd.DataFrame(rows, columns=list(CHANGE_COLUMNS), dtype=object)
