"""The questionnaires: item layout, scoring, and integer item responses with a given total.

Scales (from the facts file's ``measures``): alliance, a 12-item working-alliance
form (WAI-SR, assumed), items 1-5, goal/task/bond subscales; MEQ30, 30 items
0-5, four subscales; PIQ, 23 items 0-5, two subscales. Scores are item means,
so they share the item range (alliance 1-5, MEQ30 and PIQ 0-5). GRID-HAMD is a
clinician-rated total 0-52 (no items in the dataset).

A student scores the simulated dataset with :func:`score_items` (one rating) or
:func:`score_dataset` (every scale-score column from the item columns); the
simulator uses the same functions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from psyalliance.study.facts import Facts, load_facts

LABELS = {
    "alliance_prep": "alliance, end of preparation",
    "alliance_post1": "alliance, 1 wk after session 1",
    "alliance_post2": "alliance, 1 wk after session 2",
    "mystical_peak": "peak mystical experience",
    "insight_peak": "peak insight",
    "hamd_baseline": "depression, baseline",
    "hamd_1wk": "depression, 1 wk",
    "hamd_4wk": "depression, 4 wk",
    "hamd_3mo": "depression, 3 mo",
    "hamd_6mo": "depression, 6 mo",
    "hamd_12mo": "depression, 12 mo",
}
"""Readable names of the dataset's columns."""

RATINGS: dict[str, str] = {
    "alliance_prep": "alliance",
    "alliance_post1": "alliance",
    "alliance_post2": "alliance",
    "mystical_s1": "mystical",
    "mystical_s2": "mystical",
    "insight_s1": "insight",
    "insight_s2": "insight",
}
"""The item-level ratings of the dataset and their instrument."""

PEAKS: dict[str, tuple[str, str]] = {
    "mystical_peak": ("mystical_s1", "mystical_s2"),
    "insight_peak": ("insight_s1", "insight_s2"),
}
"""Peak scores: the higher of the two session scores."""


@dataclass(frozen=True)
class Instrument:
    """An instrument's item layout: ``items`` items scored ``item_min``-``item_max``."""

    name: str
    items: int
    item_min: int
    item_max: int
    subscales: dict[str, tuple[int, ...]]


def instrument(name: str, facts: Facts | None = None) -> Instrument:
    """The :class:`Instrument` ``alliance``, ``mystical`` or ``insight`` from the facts file."""
    if name not in ("alliance", "mystical", "insight"):
        raise ValueError(f"unknown instrument {name!r}; allowed: alliance, mystical, insight")
    m = (facts or load_facts()).measure(name)
    subs = {k: tuple(int(i) for i in v) for k, v in (m["subscales"] or {}).items()}
    return Instrument(name, int(m["items"]), int(m["item_min"]), int(m["item_max"]), subs)


def item_columns(rating: str, facts: Facts | None = None) -> list[str]:
    """Item column names of a rating, e.g. ``alliance_prep_1`` ... ``alliance_prep_12``."""
    if rating not in RATINGS:
        raise ValueError(f"unknown rating {rating!r}; allowed: {', '.join(RATINGS)}")
    return [f"{rating}_{i}" for i in range(1, instrument(RATINGS[rating], facts).items + 1)]


def score_items(items: pd.DataFrame | np.ndarray, inst: Instrument, subscale: str | None = None) -> np.ndarray:
    """Item-mean score of each row (the whole scale, or one ``subscale``), in the item range.

    A row with any missing item scores NaN (no prorating). Item values outside
    the instrument's range are an error.
    """
    if isinstance(items, pd.DataFrame):
        a = items.to_numpy(dtype=float, na_value=np.nan)  # nullable integers: <NA> -> NaN
    else:
        a = np.asarray(items, dtype=float)
    if a.ndim != 2 or a.shape[1] != inst.items:
        raise ValueError(f"{inst.name}: expected {inst.items} item columns, got shape {a.shape}")
    obs = a[~np.isnan(a)]
    if obs.size and (obs.min() < inst.item_min or obs.max() > inst.item_max):
        raise ValueError(f"{inst.name}: item values must lie in {inst.item_min}-{inst.item_max}; got {obs.min():g}-{obs.max():g}")
    if subscale is not None:
        if subscale not in inst.subscales:
            raise ValueError(f"{inst.name}: unknown subscale {subscale!r}; allowed: {', '.join(inst.subscales)}")
        a = a[:, [i - 1 for i in inst.subscales[subscale]]]
    return a.mean(axis=1)  # NaN if any item is NaN


def score_dataset(df: pd.DataFrame, facts: Facts | None = None) -> pd.DataFrame:
    """Every item-based scale score of a dataset from its item columns.

    Returns a DataFrame with the seven ratings (item means) and the two peaks
    (``mystical_peak``, ``insight_peak``: the higher session score; NaN if
    either session is missing).
    """
    out = {}
    for rating, inst_name in RATINGS.items():
        out[rating] = score_items(df[item_columns(rating, facts)], instrument(inst_name, facts))
    for peak, (s1, s2) in PEAKS.items():
        out[peak] = np.fmax(out[s1], out[s2])
        out[peak][np.isnan(out[s1]) | np.isnan(out[s2])] = np.nan
    return pd.DataFrame(out, index=df.index)


def subscale_scores(df: pd.DataFrame, rating: str, facts: Facts | None = None) -> pd.DataFrame:
    """The subscale item means of one rating (e.g. goal, task, bond of ``alliance_prep``)."""
    inst = instrument(RATINGS[rating], facts) if rating in RATINGS else None
    if inst is None:
        raise ValueError(f"unknown rating {rating!r}; allowed: {', '.join(RATINGS)}")
    items = df[item_columns(rating, facts)]
    return pd.DataFrame({f"{rating}_{s}": score_items(items, inst, s) for s in inst.subscales}, index=df.index)


def items_with_totals(totals: np.ndarray, inst: Instrument, rng: np.random.Generator,
                      spread: float = 0.6, subscale_sd: float = 0.35) -> np.ndarray:
    """Integer item responses (rows x items) whose row sums equal ``totals`` exactly.

    Each person's items scatter around their item mean: a fixed item offset
    (some items are endorsed more than others), a person-by-subscale deviation
    (``subscale_sd``, so subscales correlate less than 1) and noise (``spread``),
    then are made integers within the item range with the exact total (the
    largest-remainder method after a per-row shift). ``totals`` must lie in
    [items * item_min, items * item_max]; NaN totals give NaN rows.
    """
    totals = np.asarray(totals, dtype=float)
    k, lo, hi = inst.items, inst.item_min, inst.item_max
    out = np.full((totals.size, k), np.nan)
    ok = ~np.isnan(totals)
    t = totals[ok]
    if t.size == 0:
        return out
    if np.any(t != np.round(t)) or t.min() < k * lo or t.max() > k * hi:
        raise ValueError(f"{inst.name}: totals must be whole numbers in [{k * lo}, {k * hi}]")
    m = t.size
    item_rng = np.random.default_rng(sum(map(ord, inst.name)))  # item offsets: a property of the instrument
    offset = item_rng.normal(0, 0.3, k)
    offset -= offset.mean()
    sub_of = np.zeros(k, dtype=int)
    for s, (_, items) in enumerate(inst.subscales.items()):
        sub_of[[i - 1 for i in items]] = s
    nsub = max(len(inst.subscales), 1)
    x = (t / k)[:, None] + offset[None, :] + rng.normal(0, subscale_sd, (m, nsub))[:, sub_of] + rng.normal(0, spread, (m, k))
    # shift each row so that the clipped values sum to the total (bisection on the shift)
    a = np.full(m, -float(hi - lo) - 3 * spread * 10)
    b = np.full(m, float(hi - lo) + 3 * spread * 10)
    for _ in range(60):
        c = (a + b) / 2
        s = np.clip(x + c[:, None], lo, hi).sum(axis=1)
        below = s < t
        a = np.where(below, c, a)
        b = np.where(below, b, c)
    y = np.clip(x + ((a + b) / 2)[:, None], lo, hi)
    base = np.floor(y + 1e-9)
    base = np.clip(base, lo, hi)
    need = (t - base.sum(axis=1)).astype(int)
    frac = np.where(base < hi, y - base, -np.inf)
    order = np.argsort(-frac, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(k)[None, :].repeat(m, axis=0), axis=1)
    add = rank < need[:, None]
    items = base + add
    # rare: rounding pushed the sum past the total (need < 0): take from the smallest remainders
    over = items.sum(axis=1) - t
    for r in np.flatnonzero(over != 0):
        while items[r].sum() > t[r]:
            j = np.argmax(np.where(items[r] > lo, items[r] - y[r], -np.inf))
            items[r, j] -= 1
        while items[r].sum() < t[r]:
            j = np.argmax(np.where(items[r] < hi, y[r] - items[r], -np.inf))
            items[r, j] += 1
    out[ok] = items
    return out
