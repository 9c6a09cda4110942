"""A dataset file (the committed one, or a student's my_dataset.csv) is checked when it is loaded.

Every kind of broken file a student could meet is refused with one message that names the column, the
row (counted from 1 under the header, with the participant's id and the file's line) and the valid range.
The ranges are the instruments' published ones (WAI-SR 1-5, MEQ30 and PIQ 0-5, GRID-HAMD 0-52) and the
trial's eligibility ages (21-75), independent of the simulator.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from psyalliance.errors import DataError
from psyalliance.simulation.simulate import DATASET_PATH, load_dataset, read_dataset_file
from psyalliance.teaching import selfcheck


@pytest.fixture
def good() -> pd.DataFrame:
    return pd.read_csv(DATASET_PATH)


def _write(tmp_path: Path, frame: pd.DataFrame) -> Path:
    path = tmp_path / "my_dataset.csv"
    frame.to_csv(path, index=False)
    return path


def test_the_committed_dataset_passes(good):
    assert read_dataset_file(DATASET_PATH).equals(good)


def _set(frame: pd.DataFrame, row: int, col: str, value) -> pd.DataFrame:
    frame = frame.astype({col: object})
    frame.loc[row, col] = value
    return frame


# (what is broken, how to break the committed frame, what the message must say)
BROKEN = [
    ("text in a number column", lambda f: _set(f, 4, "hamd_4wk", "twelve"),
     ["column hamd_4wk", "'twelve'", "row 5 (id P05, line 6 of the file)", "GRID-HAMD totals are 0-52"]),
    ("a comma decimal", lambda f: _set(f, 0, "alliance_prep", "4,5"),
     ["column alliance_prep", "'4,5'", "row 1 (id P01", "item means are 1-5"]),
    ("GRID-HAMD of 999", lambda f: _set(f, 2, "hamd_baseline", 999),
     ["column hamd_baseline", "999", "row 3 (id P03", "GRID-HAMD totals are 0-52"]),
    ("a negative score", lambda f: _set(f, 7, "mystical_peak", -1),
     ["column mystical_peak", "-1", "row 8 (id P08", "item means are 0-5"]),
    ("an item response out of range", lambda f: _set(f, 9, "alliance_prep_3", 7),
     ["column alliance_prep_3", "7", "row 10 (id P10", "1-5"]),
    ("an infinite value", lambda f: _set(f, 1, "insight_peak", "inf"),
     ["column insight_peak", "inf", "row 2 (id P02", "0-5"]),
    ("an age outside eligibility", lambda f: _set(f, 5, "age", 230),
     ["column age", "230", "row 6 (id P06", "21-75"]),
    ("a participant repeated", lambda f: _set(f, 11, "id", "P04"),
     ["column id", "P04", "row 12", "first in row 4", "appear once"]),
    ("an empty id", lambda f: _set(f, 3, "id", None),
     ["column id", "row 4 (line 5 of the file)", "needs an id"]),
    ("an unknown arm", lambda f: _set(f, 6, "arm", "placebo"),
     ["column arm", "'placebo'", "row 7 (id P07", "immediate or delayed"]),
    ("a missing scale-score column", lambda f: f.drop(columns=["hamd_12mo"]),
     ["lacks the columns hamd_12mo"]),
    ("a header and no rows", lambda f: f.iloc[:0],
     ["has a header but no rows"]),
]


@pytest.mark.parametrize("kind, breaks, says", BROKEN, ids=[b[0] for b in BROKEN])
def test_a_broken_file_is_refused_naming_column_row_and_range(tmp_path, good, kind, breaks, says):
    path = _write(tmp_path, breaks(good))
    with pytest.raises(DataError) as info:
        read_dataset_file(path)
    message = str(info.value)
    assert "\n" not in message, f"{kind}: the message is not one line: {message!r}"
    assert str(path) in message
    for part in says:
        assert part in message, f"{kind}: {part!r} missing from {message!r}"


def test_an_empty_file_and_a_non_csv_file_are_refused(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataError, match="is empty: it has no header and no rows"):
        read_dataset_file(tmp_path / "empty.csv")
    (tmp_path / "sheet.csv").write_bytes(b"PK\x03\x04\x00\xff\xfe binary spreadsheet")
    with pytest.raises(DataError, match="sheet.csv"):
        read_dataset_file(tmp_path / "sheet.csv")


def test_an_empty_cell_is_a_missing_value_not_an_error(tmp_path, good):
    path = _write(tmp_path, _set(good, 0, "hamd_12mo", None))
    assert read_dataset_file(path)["hamd_12mo"].isna().sum() == good["hamd_12mo"].isna().sum() + 1


def test_every_way_of_loading_a_student_file_checks_it(tmp_path, good, monkeypatch):
    path = _write(tmp_path, _set(good, 2, "hamd_4wk", 999))
    monkeypatch.chdir(tmp_path)  # my_dataset.csv in the working directory
    monkeypatch.delenv(selfcheck.DATASET_ENV, raising=False)
    with pytest.raises(DataError, match=re.escape("column hamd_4wk has 999 in row 3")):
        selfcheck.datasets_banner()  # the first cell of every student and instructor notebook
    with pytest.raises(DataError, match="column hamd_4wk"):
        selfcheck.my_dataset()  # the exercises' my_data
    monkeypatch.setenv(selfcheck.DATASET_ENV, str(path))  # the file named by the environment instead
    monkeypatch.chdir(tmp_path.parent)
    with pytest.raises(DataError, match="column hamd_4wk"):
        selfcheck.current_data()
    with pytest.raises(DataError, match="column hamd_4wk"):
        load_dataset(path)  # the book's loader, given the file
