"""Checks of data against the study's instruments: scale scores inside their ranges, a dataset file like the book's.

* :func:`check_data`: a DataFrame of scale scores (numeric, finite, each score inside its instrument's range
  from the facts file's ``measures`` section: alliance (WAI-SR) item means 1-5, MEQ30 and PIQ item means 0-5,
  GRID-HAMD totals 0-52; a user whose data use other scales passes ``ranges=``);
* :func:`check_variation`: no constant column and no exact linear dependence among the columns a model uses;
* :func:`check_dataset`: a dataset read from a CSV file like the committed simulated one.

Bad data raise :class:`psyalliance.errors.DataError` naming the column, the row and the valid range.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from psyalliance.errors import DataError
from psyalliance.study.facts import FACTS_PATH, load_facts

__all__ = ["INSTRUMENTS", "instrument_of", "scale_ranges", "check_data", "check_variation", "check_dataset", "ARMS",
           "TEXT_COLUMNS"]


INSTRUMENTS = ("alliance", "mystical", "insight", "hamd")
"""Column prefixes of the book's scale scores; the ranges come from the facts file's ``measures``."""

RANGES_HINT = ("if your data use another scale, pass ranges={{{col!r}: (low, high)}} (or ranges=False to skip "
               "the range check) to {func}")


def instrument_of(column: str) -> str | None:
    """The instrument of a column named like the book's (``hamd_4wk`` -> ``hamd``), else None."""
    head = str(column).split("_", 1)[0]
    return head if head in INSTRUMENTS and "_" in str(column) else None


_BOOK_RANGES: dict[tuple[str, int, int], dict[str, tuple[float, float, str]]] = {}
"""(facts path, mtime in ns, size) -> :func:`scale_ranges` of the book's facts file (a copy is handed out)."""


def scale_ranges(facts: Any = None) -> dict[str, tuple[float, float, str]]:
    """Instrument -> (low, high, description) from the facts file's ``measures`` section.

    Item means range over the items' response range (``item_min``-``item_max``);
    a total (GRID-HAMD) from 0 to ``item_max``, which the facts file gives as the
    total's maximum (52). The description reads like "GRID-HAMD totals".
    """
    if facts is None:
        st = FACTS_PATH.stat()
        key = (str(FACTS_PATH), st.st_mtime_ns, st.st_size)
        if key not in _BOOK_RANGES:  # the facts file changed (or first use): read and validate it again
            _BOOK_RANGES.clear()
            _BOOK_RANGES[key] = scale_ranges(load_facts())
        return dict(_BOOK_RANGES[key])
    out = {}
    for rec in facts.measures.to_dict("records"):
        inst = str(rec["instrument"])
        short = inst[inst.rfind("(") + 1: inst.rfind(")")] if inst.endswith(")") else rec["name"]
        if rec["score"] == "total":
            out[rec["name"]] = (0.0, float(rec["item_max"]), f"{short} totals")
        else:
            out[rec["name"]] = (float(rec["item_min"]), float(rec["item_max"]), f"{short} item means")
    return out


def _row_label(data: pd.DataFrame, pos: int) -> str:
    if "id" in data.columns:
        return str(data["id"].iloc[pos])
    return str(data.index[pos])


def _fmt(x: float) -> str:
    return f"{x:g}"


def check_data(data: Any, columns: Sequence[str], *, ranges: Mapping[str, tuple[float, float]] | bool | None = None,
               func: str = "fit_model", facts: Any = None) -> pd.DataFrame:
    """Check the ``columns`` of ``data`` and return them as a float DataFrame (NaN = missing).

    Raises :class:`~psyalliance.errors.DataError` if ``data`` is not a DataFrame, a column is
    absent, not numeric (booleans and text are refused), holds inf, or holds a
    value outside its scale. Scales: columns named like the book's
    (``alliance_*``, ``mystical_*``, ``insight_*``, ``hamd_*``) are checked
    against the facts file's instrument ranges (alliance item means 1-5,
    MEQ30/PIQ item means 0-5, GRID-HAMD totals 0-52). ``ranges``: None (those
    defaults), a mapping of column or instrument name -> (low, high) that
    replaces them (and adds columns of other names), or False to skip the range
    check. ``func`` names the caller in the messages.
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"{func}: data must be a pandas DataFrame (one row per participant), got {type(data).__name__}")
    absent = [c for c in columns if c not in data.columns]
    if absent:
        raise DataError(f"{func}: the data lack the column(s) {', '.join(absent)}; columns present: "
                        f"{', '.join(map(str, data.columns))}")
    bad = [c for c in columns if pd.api.types.is_bool_dtype(data[c]) or not pd.api.types.is_numeric_dtype(data[c])]
    if bad:
        kinds = ", ".join(f"{c} ({data[c].dtype})" for c in bad)
        raise DataError(f"{func}: columns must be numeric scale scores (NaN for a missing value); not numeric: {kinds}")
    frame = data[list(columns)].astype(float)
    values = frame.to_numpy()
    inf = np.isinf(values)
    if inf.any():
        i, j = map(int, np.argwhere(inf)[0])
        raise DataError(f"{func}: {columns[j]} has {values[i, j]:g} in row {_row_label(data, i)}; values must be "
                        "finite numbers (NaN marks a missing value)")
    if ranges is False:
        return frame
    if ranges is not None and not isinstance(ranges, Mapping):
        raise DataError(f"{func}: ranges = {ranges!r} must be None, False or a dict of column -> (low, high)")
    own = dict(ranges or {})
    for key, lim in own.items():
        if not (isinstance(lim, (tuple, list)) and len(lim) == 2 and all(isinstance(v, (int, float)) for v in lim)
                and lim[0] < lim[1]):
            raise DataError(f"{func}: ranges[{key!r}] = {lim!r} must be a pair (low, high) of numbers with low < high")
    book = scale_ranges(facts) if any(instrument_of(c) for c in columns) else {}
    for j, col in enumerate(columns):
        inst = instrument_of(col)
        if col in own:
            lo, hi = own[col]
            what, origin = f"the range you gave for {col} is", "ranges"
        elif inst in own:
            lo, hi = own[inst]
            what, origin = f"the range you gave for {inst} scores is", "ranges"
        elif inst in book:
            lo, hi, label = book[inst]
            what, origin = f"{label} are", "facts"
        else:
            continue
        x = values[:, j]
        out = np.flatnonzero(~np.isnan(x) & ((x < lo) | (x > hi)))
        if len(out):
            i = int(out[0])
            more = f" (and {len(out) - 1} more row(s))" if len(out) > 1 else ""
            msg = f"{func}: {col} has {_fmt(x[i])} in row {_row_label(data, i)}{more}; {what} {_fmt(lo)}-{_fmt(hi)}"
            if origin == "facts":
                msg += "; " + RANGES_HINT.format(col=col, func=func)
            raise DataError(msg)
    return frame


def _dependence(x: np.ndarray, names: Sequence[str]) -> str | None:
    """A readable exact linear dependence among the columns of complete rows ``x``, or None."""
    xc = x - x.mean(axis=0)
    scale = np.sqrt((xc**2).sum(axis=0))
    z = xc / scale
    _, sv, vt = np.linalg.svd(z, full_matrices=False)
    if sv[-1] > 1e-8 * max(sv[0], 1.0):
        return None
    v = vt[-1] / scale  # weights on the raw (centred) columns
    w = np.abs(vt[-1])
    k = int(np.argmax(w))
    terms = [f"{-v[j] / v[k]:.4g} * {names[j]}" for j in range(len(names)) if j != k and w[j] > 1e-6 * w[k]]
    const = float(x.mean(axis=0) @ (v / v[k]))
    rhs = " + ".join(terms) if terms else "a constant"
    return f"{names[k]} = {rhs}" + (f" + {const:.4g}" if terms and abs(const) > 1e-9 else "")


def check_variation(frame: pd.DataFrame, what: str, complete_only: bool) -> None:
    """Refuse a constant column or perfectly collinear columns among the rows a model will use.

    ``frame``: the model's columns, NaN = missing. ``complete_only``: the rows
    used are the complete ones (listwise); otherwise (FIML) every observed
    value counts for the constant check, and collinearity is checked on the
    complete rows (when there are more of them than columns) and on every pair
    of columns. Raises :class:`~psyalliance.errors.DataError` naming the column(s) and the rows.
    """
    values = frame.to_numpy(float)
    seen = ~np.isnan(values)
    rows = values[seen.all(axis=1)] if complete_only else values
    where = f"the {len(rows)} complete rows" if complete_only else f"the {len(rows)} rows used"
    for j, col in enumerate(frame.columns):
        x = rows[:, j]
        x = x[~np.isnan(x)]
        if len(x) and (x == x[0]).all():
            raise DataError(f"{what}: {col} is constant ({_fmt(float(x[0]))} in all {len(x)} observed values of "
                            f"{where}); a variable needs at least two different values to enter a model")
    cc = values[seen.all(axis=1)]
    names = list(frame.columns)
    if len(cc) > len(names):
        dep = _dependence(cc, names)
        if dep:
            raise DataError(f"{what}: the columns are perfectly collinear in the {len(cc)} complete rows ({dep}); "
                            "their covariance matrix is singular, so the model's paths are not identified. Drop "
                            "or combine one of them")
    if not complete_only:
        for a in range(len(names)):
            for b in range(a + 1, len(names)):
                pair = values[seen[:, a] & seen[:, b]][:, [a, b]]
                if len(pair) >= 5 and np.ptp(pair[:, 0]) > 0 and np.ptp(pair[:, 1]) > 0:
                    r = np.corrcoef(pair.T)[0, 1]
                    if abs(r) > 1 - 1e-12:
                        raise DataError(f"{what}: {names[a]} and {names[b]} are perfectly correlated (r = {r:+.0f} "
                                        f"on their {len(pair)} complete pairs); the model's paths are not identified")


# ----------------------------------------------------------------------------- a dataset file (CSV)

ARMS = ("immediate", "delayed")
"""The values of the ``arm`` column: the trial's two randomized arms."""

TEXT_COLUMNS = ("id", "arm", "sex")
"""The columns of a dataset file that hold text; every other column holds numbers (empty = missing)."""


def _where(data: pd.DataFrame, pos: int) -> str:
    """'row 5 (id P05, line 6 of the file)': the data row counted from 1 under the header."""
    ident = data["id"].iloc[pos] if "id" in data.columns else None
    who = f"id {ident}, " if isinstance(ident, str) and ident.strip() else ""
    return f"row {pos + 1} ({who}line {pos + 2} of the file)"


def _valid_range(col: str, book: Mapping[str, tuple[float, float, str]], ages: tuple[float, float]) -> str:
    """The valid range of a numeric column, in words ('GRID-HAMD totals are 0-52')."""
    inst = instrument_of(col)
    if col == "age":
        return f"ages are {_fmt(ages[0])}-{_fmt(ages[1])} (the trial's eligibility)"
    if inst in book:
        lo, hi, label = book[inst]
        return f"{label} are {_fmt(lo)}-{_fmt(hi)}"
    return "values must be numbers"


def check_dataset(data: Any, source: str, required: Sequence[str], facts: Any = None) -> pd.DataFrame:
    """Check a dataset read from a CSV file like the book's simulated one; return it unchanged if it is usable.

    ``source`` names the file in the messages; ``required`` are the columns it must have (the book's scale
    scores). Refused, with a :class:`~psyalliance.errors.DataError` naming the column, the row (counted from 1 under the
    header, with the participant's id and the line of the file) and the valid range: no rows; a missing
    required column; an empty or repeated ``id``; an ``arm`` other than immediate or delayed; text or an
    infinite value in a number column (every column but id, arm and sex; empty cells are missing values);
    a score outside its instrument's range (WAI-SR item means and items 1-5, MEQ30 and PIQ 0-5, GRID-HAMD
    totals 0-52, from the facts file); an age outside the trial's eligibility (21-75 years).
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"{source}: expected a table (pandas DataFrame), got {type(data).__name__}")
    if len(data) == 0:
        raise DataError(f"{source} has a header but no rows: it must hold one row per participant "
                        f"(columns {', '.join(map(str, data.columns[:4]))}, ...)")
    absent = [c for c in required if c not in data.columns]
    if absent:
        raise DataError(f"{source} lacks the columns {', '.join(absent)}; it must have the columns of the book's "
                        "simulated dataset (make student-data writes such files)")
    if "id" in data.columns:
        ids = data["id"].astype("string").str.strip()
        empty = np.flatnonzero(ids.isna().to_numpy() | (ids == "").fillna(True).to_numpy())
        if len(empty):
            raise DataError(f"{source}: column id is empty in {_where(data, int(empty[0]))}; every participant needs an id")
        seen: dict[str, int] = {}
        for pos, ident in enumerate(ids):
            if ident in seen:
                raise DataError(f"{source}: column id repeats participant {ident} in {_where(data, pos)} "
                                f"(first in row {seen[ident] + 1}); each participant must appear once")
            seen[ident] = pos
    if "arm" in data.columns:
        arm = data["arm"].astype("string").str.strip()
        wrong = np.flatnonzero(~arm.isin(ARMS).fillna(False).to_numpy())
        if len(wrong):
            pos = int(wrong[0])
            raise DataError(f"{source}: column arm has {data['arm'].iloc[pos]!r} in {_where(data, pos)}; "
                            f"valid values are {' or '.join(ARMS)}")
    if facts is None:
        facts = load_facts()
    book = scale_ranges(facts)
    ages = (float(facts.value("sample", "age_min")), float(facts.value("sample", "age_max")))
    for col in data.columns:
        if col in TEXT_COLUMNS:
            continue
        raw = data[col]
        if pd.api.types.is_bool_dtype(raw):
            raise DataError(f"{source}: column {col} holds true/false values; {_valid_range(col, book, ages)}")
        values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
        text = np.flatnonzero(np.isnan(values) & raw.notna().to_numpy())
        if len(text):
            pos = int(text[0])
            raise DataError(f"{source}: column {col} has the text {raw.iloc[pos]!r} in {_where(data, pos)}, not a "
                            f"number (leave the cell empty for a missing value); {_valid_range(col, book, ages)}")
        inst = instrument_of(col)
        lo, hi = ages if col == "age" else (book[inst][:2] if inst in book else (-np.inf, np.inf))
        bad = np.flatnonzero(~np.isnan(values) & ((values < lo) | (values > hi) | np.isinf(values)))
        if len(bad):
            pos = int(bad[0])
            more = f" (and {len(bad) - 1} more row(s))" if len(bad) > 1 else ""
            raise DataError(f"{source}: column {col} has {_fmt(values[pos])} in {_where(data, pos)}{more}; "
                            f"{_valid_range(col, book, ages)}")
    return data
