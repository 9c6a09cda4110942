"""Nested regressions: the exact F test beside the likelihood-ratio chi-square.

A path model that leaves out one path of an equation (Murphy et al.'s full
mediation: no direct path from alliance to depression) is nested in the model
that has it. For a recursive model fitted by ML to complete cases, ML = OLS
equation by equation, so the comparison concerns one equation only and has
two tests:

* the **likelihood-ratio chi-square**, ``n * log(RSS_reduced / RSS_full)`` on q
  df (what SEM software reports as the model chi-square when the omitted paths
  are the model's only restrictions); a large-sample approximation;
* the **F test**, ``((RSS_reduced - RSS_full) / q) / (RSS_full / (n - k - 1))``
  on (q, n - k - 1) df, k predictors in the full equation: exact under
  normality, whatever n.

At n = 20 the two can differ noticeably; the F test is the one with the stated
error rate. Units: the RSS are in the outcome's units squared (GRID-HAMD points
squared for depression); F, chi-square and p are unitless.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from psyalliance.errors import InputError
from psyalliance.study.datacheck import check_data

__all__ = ["NestedTest", "nested_regression_test"]


@dataclass(frozen=True)
class NestedTest:
    """F and likelihood-ratio tests of the paths in ``full`` but not in ``reduced`` (one equation)."""

    outcome: str
    reduced: tuple[str, ...]
    full: tuple[str, ...]
    n: int
    rss_reduced: float
    rss_full: float
    f: float
    df_num: int
    df_den: int
    p_f: float
    chisq: float
    p_chisq: float

    def as_dict(self) -> dict[str, float | int]:
        """The numbers as Python scalars (for glue)."""
        return {"n": self.n, "f": self.f, "df_num": self.df_num, "df_den": self.df_den, "p_f": self.p_f,
                "chisq": self.chisq, "p_chisq": self.p_chisq}


def _rss(y: np.ndarray, x: np.ndarray) -> float:
    design = np.column_stack([np.ones(len(y)), x]) if x.size else np.ones((len(y), 1))
    beta, *_ = np.linalg.lstsq(design, y, rcond=None)
    return float(((y - design @ beta) ** 2).sum())


def nested_regression_test(data: pd.DataFrame, outcome: str, reduced: Sequence[str], full: Sequence[str],
                           rows: Sequence[str] = (), ranges=None) -> NestedTest:
    """Compare ``outcome ~ reduced`` with ``outcome ~ full`` (``reduced`` a subset of ``full``) on the same rows.

    ``rows``: further columns that must be observed (for example all of a path
    model's variables, so that the rows are the model's listwise sample). The
    data are checked like :func:`psyalliance.sem.models.fit_model`'s (numeric,
    finite, instrument ranges unless ``ranges`` says otherwise).
    """
    reduced, full = tuple(reduced), tuple(full)
    extra = [v for v in reduced if v not in full]
    if extra or len(full) <= len(reduced):
        raise InputError(f"the reduced predictors {list(reduced)} must be a proper subset of the full ones {list(full)}")
    cols = list(dict.fromkeys([outcome, *full, *rows]))
    frame = check_data(data, cols, ranges=ranges, func="nested_regression_test").dropna()
    n, k, q = len(frame), len(full), len(full) - len(reduced)
    if n - k - 1 < 1:
        raise InputError(f"{n} complete rows leave n - k - 1 = {n - k - 1} residual df for {k} predictors; need at least 1")
    y = frame[outcome].to_numpy()
    rss_r = _rss(y, frame[list(reduced)].to_numpy())
    rss_f = _rss(y, frame[list(full)].to_numpy())
    df_den = n - k - 1
    f = ((rss_r - rss_f) / q) / (rss_f / df_den)
    chisq = n * np.log(rss_r / rss_f)
    return NestedTest(outcome, reduced, full, n, rss_r, rss_f, float(f), q, df_den, float(stats.f.sf(f, q, df_den)),
                      float(chisq), float(stats.chi2.sf(chisq, q)))
