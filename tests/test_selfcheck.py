"""Self-checks (psyalliance.selfcheck, psyalliance.answers): "Correct" for the right answer, the hint for a
wrong one, NotImplementedError for an untouched scaffold, the data in use chosen as documented.

Right answers are computed here independently of answers.py: from the CSV file with the csv module, by
scipy routes other than the one answers.py takes (ranks then Pearson; ttest_rel's t), and from the
published numbers of data/levin2024_facts.yaml.
"""

from __future__ import annotations

import csv
import math
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from psyalliance import selfcheck
from psyalliance.facts import load_facts
from psyalliance.selfcheck import check, compare, expected
from psyalliance.simulate import DATASET_PATH, load_dataset


@pytest.fixture(autouse=True)
def _book_dataset(monkeypatch, tmp_path):
    """Every test starts with the book's dataset: no PSYALLIANCE_DATASET, no my_dataset.csv in the cwd."""
    monkeypatch.setenv(selfcheck.DATASET_ENV, "")  # recorded, so teardown restores it even after
    monkeypatch.delenv(selfcheck.DATASET_ENV)       # use_student_dataset() sets os.environ itself
    monkeypatch.chdir(tmp_path)
    selfcheck._ANNOUNCED.clear()


def _column_pairs(x: str, y: str) -> tuple[np.ndarray, np.ndarray]:
    """The complete pairs of two columns, read from the committed CSV with the csv module."""
    with open(DATASET_PATH, newline="") as f:
        rows = [(r[x], r[y]) for r in csv.DictReader(f) if r[x] != "" and r[y] != ""]
    return np.array([float(a) for a, _ in rows]), np.array([float(b) for _, b in rows])


def test_alliance_change_right_and_wrong(capsys):
    pre, post = _column_pairs("alliance_prep", "alliance_post1")
    t = stats.ttest_rel(post, pre).statistic  # d_z = t / sqrt(n)
    d_av = (post - pre).mean() / math.sqrt((pre.var(ddof=1) + post.var(ddof=1)) / 2)
    right = {"n": len(pre), "d_z": round(t / math.sqrt(len(pre)), 2), "d_av": round(d_av, 2)}
    assert check("ex-05-2", right) is True
    assert capsys.readouterr().out.startswith("Correct: ex-05-2")
    pre2, post2 = _column_pairs("alliance_prep", "alliance_post2")  # the chapter's pair, not the exercise's
    wrong = {"n": len(pre2), "d_z": stats.ttest_rel(post2, pre2).statistic / math.sqrt(len(pre2)), "d_av": 0.0}
    assert check("ex-05-2", wrong) is False
    out = capsys.readouterr().out
    assert out.startswith("Not yet: ex-05-2") and "alliance_post1" in out
    assert f"{right['d_z']:.2f}" not in out and str(right["n"]) not in out.split(".")[0]  # no expected value shown


def test_a_result_object_with_the_attributes_is_accepted(capsys):
    from psyalliance.alliance import paired_change

    assert check("ex-05-2", paired_change(load_dataset(), "alliance_prep", "alliance_post1")) is True
    assert check("ex-05-2", paired_change(load_dataset(), "alliance_prep", "alliance_post2")) is False


def test_spearman_pinned_to_ranks_then_pearson(capsys):
    a, h = _column_pairs("alliance_post2", "hamd_4wk")
    rho = np.corrcoef(stats.rankdata(a), stats.rankdata(h))[0, 1]
    assert check("ex-06-2", round(rho, 3)) is True
    pair = load_dataset()[["alliance_post2", "hamd_4wk"]].dropna()
    assert check("ex-06-2", pair) is True
    # without dropping the incomplete rows first, pandas ranks each column on its own rows: not the answer
    both = load_dataset()[["alliance_post2", "hamd_4wk"]]
    ranks_of_all = both.rank().corr().iloc[0, 1]
    if abs(ranks_of_all - rho) > 0.005:
        assert check("ex-06-2", ranks_of_all) is False
        assert "dropna" in capsys.readouterr().out


def test_p_from_r_against_pearsonr_and_the_published_n(capsys):
    def p_from_r(r: float, n: int) -> float:
        """pearsonr on data built to have exactly correlation r (an independent route to the p value)."""
        x = np.linspace(-1, 1, n)
        x = (x - x.mean()) / x.std()
        z = np.sin(np.arange(n) * 1.7)
        z = z - z.mean() - (z @ x) / (x @ x) * x
        z = z / z.std()
        y = r * x + math.sqrt(1 - r * r) * z
        return stats.pearsonr(x, y).pvalue

    assert check("ex-01-2", p_from_r) is True
    assert check("ex-01-2", lambda r, n: p_from_r(r, n) / 2) is False  # one tail
    assert "TWO-tailed" in capsys.readouterr().out
    row = load_facts().correlations.query("x == 'alliance_prep' and y == 'hamd_12mo'").iloc[0]
    assert round(p_from_r(row.r, int(row.n)), 3) == row.p  # the facts' back-solved n fits the printed p


def test_an_unfinished_function_raises_not_implemented():
    def p_from_r(r, n):
        return ...

    with pytest.raises(NotImplementedError, match="ex-01-2"):
        check("ex-01-2", p_from_r)


def test_response_rate_from_the_csv(capsys):
    drop = load_facts().value("outcomes", "response_drop_fraction")
    base, wk4 = _column_pairs("hamd_baseline", "hamd_4wk")
    rate = float(np.mean((base - wk4) / base >= drop))
    assert check("ex-04-2", pd.Series((base - wk4) / base >= drop)) is True
    assert check("ex-04-2", pd.Series((base - wk4) >= drop)) is (rate == float(np.mean(base - wk4 >= drop)))
    assert check("ex-04-2", rate * 100) is False  # a number, but not the rate (the check wants True/False)


def test_untouched_scaffolds_raise_not_implemented():
    with pytest.raises(NotImplementedError, match="ex-06-2"):
        check("ex-06-2", ...)
    with pytest.raises(NotImplementedError):
        check("ex-A2-2", (..., ...))


def test_unknown_label_lists_the_valid_ones():
    with pytest.raises(KeyError, match=r"ex-nope.*ex-05-2.*ex-06-2"):
        check("ex-nope", 1.0)
    assert "ex-05-2" in selfcheck.labels()


def test_expected_answers_follow_the_data():
    data = load_dataset()
    moved = data.copy()
    moved["alliance_post1"] = moved["alliance_post1"] + np.linspace(0, 0.5, len(moved))
    assert expected("ex-05-2", moved)["d_z"] != expected("ex-05-2", data)["d_z"]
    assert check("ex-05-2", expected("ex-05-2", moved), data=moved) is True


def test_compare_allows_rounding_only():
    assert compare(0.2204, 0.22) is None and compare(0.2249, 0.22) is None
    assert compare(0.23, 0.2204) == "the answer is off"
    assert compare(20, 20) is None and compare(20.4, 20) == "the answer is not the right count"
    assert compare("0.22", 0.22).startswith("the answer should be a number")
    assert compare((1, 0.5), (1, 0.504)) is None and "2 values" in compare((1,), (1, 0.5))
    assert compare({"a": 1.0}, {"a": 1.0, "b": 2.0}) == "the answer lacks ['b']"
    assert compare(pd.Series({"a": 0.501}), {"a": 0.5}) is None
    frame = pd.DataFrame({"x": [1.0, 2.0]})
    assert compare(frame.round(2) + 0.004, frame) is None and "column 'x'" in compare(frame + 0.01, frame)
    assert compare({"a", "b"}, {"a", "b"}) is None and "not the right ones" in compare({"a", "c"}, {"a", "b"})
    assert compare(float("nan"), 1.0) == "the answer should not be missing (NaN)"


def test_a_students_dataset_from_the_environment_is_used_and_announced(tmp_path, monkeypatch, capsys):
    data = load_dataset()
    data["alliance_post1"] = data["alliance_post1"].clip(upper=4.9) + 0.05 * (data.index % 3)
    path = tmp_path / "mine.csv"
    data.to_csv(path, index=False)
    monkeypatch.setenv(selfcheck.DATASET_ENV, str(path))
    assert check("ex-05-2", expected("ex-05-2", pd.read_csv(path))) is True
    assert check("ex-05-2", expected("ex-05-2", pd.read_csv(path))) is True
    out = capsys.readouterr().out
    assert out.count(str(path)) == 1  # said once
    assert load_dataset().equals(pd.read_csv(path))  # the chapters' load_dataset() reads it too


def test_my_dataset_csv_in_the_working_directory(tmp_path, capsys):
    load_dataset().head(20).to_csv(tmp_path / "my_dataset.csv", index=False)
    assert selfcheck.use_student_dataset() == (tmp_path / "my_dataset.csv").resolve()
    assert len(load_dataset()) == 20
    assert "my_dataset.csv" in capsys.readouterr().out


def test_bad_student_datasets_are_named(tmp_path, monkeypatch):
    monkeypatch.setenv(selfcheck.DATASET_ENV, str(tmp_path / "absent.csv"))
    with pytest.raises(FileNotFoundError, match="absent.csv"):
        check("ex-06-2", 0.5)
    (tmp_path / "thin.csv").write_text("alliance_prep,hamd_4wk\n4,10\n")
    monkeypatch.setenv(selfcheck.DATASET_ENV, str(tmp_path / "thin.csv"))
    with pytest.raises(ValueError, match=re.escape("lacks the columns") + ".*alliance_post2"):
        check("ex-06-2", 0.5)


def test_the_registry_refuses_bad_entries():
    with pytest.raises(ValueError, match="start with 'ex-'"):
        selfcheck.answer("alliance-2", hint="x")
    with pytest.raises(ValueError, match="two answer functions"):
        selfcheck.answer("ex-05-2", hint="x")(lambda data: 1)
    with pytest.raises(ValueError, match="give a hint"):
        selfcheck.answer("ex-brand-new")(lambda data: 1)
    assert "ex-brand-new" not in selfcheck._REGISTRY
