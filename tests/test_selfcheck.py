"""Self-checks (psyalliance.teaching.selfcheck, psyalliance.teaching.answers): "Correct" for the right answer, the hint (in
steps) for a wrong one, one line "still open" for an untouched scaffold, the closest label for a mistyped
one, the tolerance of the printed decimals, the data in use chosen as documented.

Right answers are computed here independently of answers.py: from the CSV file with the csv module, by
scipy routes other than the one answers.py takes (ranks then Pearson; ttest_rel's t), and from the
published numbers of data/levin2024_facts.yaml.
"""

from __future__ import annotations

import csv
import io
import math
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from psyalliance.simulation.simulate import DATASET_PATH, load_dataset
from psyalliance.study.facts import load_facts
from psyalliance.teaching import selfcheck
from psyalliance.teaching.selfcheck import check, compare, expected


@pytest.fixture(autouse=True)
def _book_dataset(monkeypatch, tmp_path):
    """Every test starts with the book's dataset: no PSYALLIANCE_DATASET, no my_dataset.csv in the cwd."""
    monkeypatch.delenv(selfcheck.DATASET_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    selfcheck._ATTEMPTS.clear()


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
    assert capsys.readouterr().out.startswith("Correct: Exercise 5.2 (ex-05-2)")
    pre2, post2 = _column_pairs("alliance_prep", "alliance_post2")  # the chapter's pair, not the exercise's
    wrong = {"n": len(pre2), "d_z": stats.ttest_rel(post2, pre2).statistic / math.sqrt(len(pre2)), "d_av": 0.0}
    assert check("ex-05-2", wrong) is False
    out = capsys.readouterr().out
    assert out.startswith("Not yet (Exercise 5.2): 'd_z' is off") and "alliance_post1" in out
    assert f"{right['d_z']:.2f}" not in out and str(right["n"]) not in out.split(".")[0]  # no expected value shown


def test_a_result_object_with_the_attributes_is_accepted(capsys):
    from psyalliance.analysis.alliance import paired_change

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
    assert "one tail or both" in capsys.readouterr().out
    row = load_facts().correlations.query("x == 'alliance_prep' and y == 'hamd_12mo'").iloc[0]
    assert round(p_from_r(row.r, int(row.n)), 3) == row.p  # the facts' back-solved n fits the printed p


def test_an_unfinished_function_is_still_open(capsys):
    def p_from_r(r, n):
        return ...

    assert check("ex-01-2", p_from_r) is False
    assert capsys.readouterr().out == ("Exercise 1.2 is still open: replace the ... in the cell above with your code, "
                                       "run it, then run this check again.\n")


def test_untouched_scaffolds_are_still_open_in_one_line_without_an_exception(capsys):
    assert check("ex-06-2", ...) is False
    assert check("ex-A2-2", (..., ...)) is False
    out = capsys.readouterr().out.splitlines()
    assert out == [f"Exercise {n} is still open: replace the ... in the cell above with your code, run it, then run "
                   "this check again." for n in ("6.2", "A2.2")]


def test_a_mistyped_label_names_the_closest_one_only():
    with pytest.raises(selfcheck.UnknownExercise) as err:
        check("ex-05-3", 1.0)
    assert str(err.value) == "no self-check for exercise 'ex-05-3'; did you mean ex-05-2?"
    assert isinstance(err.value, KeyError)
    with pytest.raises(KeyError, match=r"did you mean ex-02-2\?$"):
        check("ex-02-02", 1.0)
    assert "ex-05-2" in selfcheck.labels()


def test_numbers_follow_the_labels():
    assert selfcheck.exercise_number("ex-02-3") == "2.3"
    assert selfcheck.exercise_number("ex-11-2") == "11.2"
    assert selfcheck.exercise_number("ex-A1-3") == "A1.3"
    with pytest.raises(ValueError, match="ex-NN-k"):
        selfcheck.exercise_number("ex-primer-3")


def test_hints_come_in_steps_and_never_hold_the_value(capsys):
    for k in (1, 2, 3):
        assert check("ex-05-2", {"n": 0, "d_z": 0.0, "d_av": 0.0}) is False
    lines = capsys.readouterr().out.splitlines()
    hints = selfcheck._lookup("ex-05-2").hints
    assert len(hints) >= 2
    assert "Hint 1 of 2: " + hints[0] in lines[0] and "next hint" in lines[0]
    assert lines[1].endswith("Hint 2 of 2: " + hints[1]) and lines[2] == lines[1]
    for label in selfcheck.labels():
        a = selfcheck._lookup(label)
        assert len(a.hints) >= 2, f"{label}: first what to look at, then the method"
        if a.uses_data:
            want = selfcheck.expected(label, load_dataset())
            values = want.values() if isinstance(want, dict) else [want] if isinstance(want, float) else []
            for v in values:
                if isinstance(v, float):
                    assert f"{v:.2f}" not in " ".join(a.hints), (label, v)


def test_primer_3_checks_df_chisq_and_p_under_lavaan_conventions(capsys):
    """Against the closed form: full mediation drops one path from the saturated M1 (df 1), and in this
    recursive model its ML chi-square is the likelihood ratio of that path in the hamd_4wk equation,
    n log(RSS without / RSS with), of two OLS fits; p from the chi-square distribution with 1 df."""
    import semopy

    from psyalliance.teaching.primer import M1_FULL_MEDIATION, lavaan_fit_statistics

    rows = load_dataset()[["alliance_prep", "mystical_peak", "insight_peak", "hamd_4wk"]].dropna()
    model = semopy.Model(M1_FULL_MEDIATION)
    result = model.fit(rows)
    assert check("ex-02-3", result) is False
    assert "pass the Model, not what .fit() returns" in capsys.readouterr().out
    assert check("ex-02-3", semopy.calc_stats(model)) is False  # semopy's df counts the exogenous moments
    assert "'df' is not the right count" in capsys.readouterr().out
    fit = lavaan_fit_statistics(model, rows)
    assert fit["df"] == 1
    import statsmodels.formula.api as smf

    full = smf.ols("hamd_4wk ~ mystical_peak + insight_peak + alliance_prep", rows).fit()
    restricted = smf.ols("hamd_4wk ~ mystical_peak + insight_peak", rows).fit()
    lr = len(rows) * math.log(restricted.ssr / full.ssr)
    assert fit["chisq"] == pytest.approx(lr, abs=1e-3)
    answer = {"df": 1, "chisq": round(lr, 2), "pvalue": round(float(stats.chi2.sf(lr, 1)), 3)}
    assert check("ex-02-3", answer) is True
    assert check("ex-02-3", {**answer, "pvalue": round(float(stats.chi2.sf(lr, 2)), 3)}) is False
    assert "'pvalue' is off" in capsys.readouterr().out.splitlines()[-1]


def test_expected_answers_follow_the_data():
    data = load_dataset()
    moved = data.copy()
    moved["alliance_post1"] = moved["alliance_post1"] + np.linspace(0, 0.5, len(moved))
    assert expected("ex-05-2", moved)["d_z"] != expected("ex-05-2", data)["d_z"]
    assert check("ex-05-2", expected("ex-05-2", moved), data=moved) is True


def test_compare_allows_rounding_only():
    assert compare(0.2204, 0.22) is None and compare(0.2249, 0.22) is None
    assert compare(0.23, 0.2204) == "the answer is off" and compare(-0.22, 0.2204) == "the answer has the wrong sign"
    assert compare({"n": 20, "d": 0.224}, {"n": 20, "d": 0.22}, {"n": 0.5, "d": 0.005}) is None
    assert compare({"n": 20, "d": 0.2204}, {"n": 20, "d": 0.22}, {"n": 0.5, "d": 0.0001}) == "'d' is off"
    assert compare(20, 20) is None and compare(20.4, 20) == "the answer is not the right count"
    assert compare("0.22", 0.22).startswith("the answer should be a number")
    assert compare((1, 0.5), (1, 0.504)) is None and "2 values" in compare((1,), (1, 0.5))
    assert compare({"a": 1.0}, {"a": 1.0, "b": 2.0}) == "the answer lacks ['b']"
    assert compare(pd.Series({"a": 0.501}), {"a": 0.5}) is None
    frame = pd.DataFrame({"x": [1.0, 2.0]})
    assert compare(frame.round(2) + 0.004, frame) is None and "column 'x'" in compare(frame + 0.01, frame)
    assert compare({"a", "b"}, {"a", "b"}) is None and "not the right ones" in compare({"a", "c"}, {"a", "b"})
    assert compare(float("nan"), 1.0) == "the answer should not be missing (NaN)"


def test_a_students_dataset_from_the_environment_is_the_exercises_not_the_chapters(tmp_path, monkeypatch, capsys):
    data = load_dataset()
    data["alliance_post1"] = data["alliance_post1"].clip(upper=4.9) + 0.05 * (data.index % 3)
    path = tmp_path / "mine.csv"
    data.to_csv(path, index=False)
    monkeypatch.setenv(selfcheck.DATASET_ENV, str(path))
    assert check("ex-05-2", expected("ex-05-2", pd.read_csv(path))) is True
    assert check("ex-05-2", expected("ex-05-2", load_dataset())) is False  # the book's answer is not theirs
    assert selfcheck.my_dataset().equals(pd.read_csv(path))
    assert load_dataset().equals(pd.read_csv(DATASET_PATH))  # the chapters' text stays on the book's dataset
    assert selfcheck.datasets_banner() == path.resolve()
    out = capsys.readouterr().out
    assert "YOUR simulated dataset" in out and str(path.resolve()) in out and "book's simulated dataset (data)" in out


def test_my_dataset_csv_in_the_working_directory(tmp_path, capsys):
    assert selfcheck.datasets_banner() is None
    assert "the same book's dataset" in capsys.readouterr().out
    load_dataset().head(20).to_csv(tmp_path / "my_dataset.csv", index=False)
    assert selfcheck.datasets_banner() == (tmp_path / "my_dataset.csv").resolve()
    assert len(selfcheck.my_dataset()) == 20 and len(load_dataset()) == 24
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
    with pytest.raises(ValueError, match="ex-NN-k"):
        selfcheck.answer("alliance-2", hint="x")
    with pytest.raises(ValueError, match="decimals must be an integer"):
        selfcheck.answer("ex-99-1", hint="x", decimals=-1)
    with pytest.raises(ValueError, match="two answer functions"):
        selfcheck.answer("ex-05-2", hint="x")(lambda data: 1)
    with pytest.raises(ValueError, match="give a hint"):
        selfcheck.answer("ex-99-9")(lambda data: 1)
    assert "ex-99-9" not in selfcheck._REGISTRY


# ----------------------------------------------------------------------------- tolerance follows the printed decimals

def _leaves(value, path=()):
    """(path, number) for every number of an expected answer (dict, Series, list, tuple; sets hold none)."""
    if isinstance(value, (dict, pd.Series)):
        for k, v in dict(value).items():
            yield from _leaves(v, (*path, k))
    elif isinstance(value, (list, tuple)):
        for k, v in enumerate(value):
            yield from _leaves(v, (*path, k))
    elif isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)):
        yield path, value


def _replace(value, path, new):
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, (dict, pd.Series)):
        out = dict(value)
        out[head] = _replace(out[head], rest, new)
        return pd.Series(out) if isinstance(value, pd.Series) else out
    out = list(value)
    out[head] = _replace(out[head], rest, new)
    return type(value)(out)


def _decimals(a: selfcheck.Answer, path: tuple) -> int:
    return a.decimals.get(path[0], selfcheck.DEFAULT_DECIMALS) if isinstance(a.decimals, dict) else a.decimals


def _printed_labels() -> list[str]:
    """Every exercise whose tolerance follows printed decimals (the Monte Carlo ones have tol= instead)."""
    return [lab for lab in selfcheck.labels() if selfcheck._lookup(lab).decimals is not None]


def test_monte_carlo_tolerances_cover_the_printed_rounding():
    mc = [lab for lab in selfcheck.labels() if lab not in _printed_labels() and not selfcheck._lookup(lab).choices]
    assert mc == ["ex-09-2", "ex-09-4", "ex-09-5", "ex-09-6"]
    for lab in mc:  # chapter 09 prints shares to 2 decimals: rounding moves them by 0.005 at most
        assert selfcheck._lookup(lab).tol >= 0.005


@pytest.mark.parametrize("dataset", ["book", "student"])
@pytest.mark.parametrize("label", _printed_labels())
def test_answers_rounded_to_the_printed_decimals_pass_and_clearly_wrong_ones_fail(label, dataset):
    from psyalliance.teaching.studentdata import student_dataset

    a = selfcheck._lookup(label)
    if dataset == "student" and not a.uses_data:
        pytest.skip("the answer does not depend on the data")
    # a student's dataset as the student gets it: the CSV file make student-data writes
    data = load_dataset() if dataset == "book" else pd.read_csv(io.StringIO(student_dataset("s-rounding").to_csv(index=False)))
    want = selfcheck.expected(label, data)
    leaves = list(_leaves(want))
    assert leaves or isinstance(want, (set, frozenset)), f"{label}: an answer with no number should be a set"
    rounded = want
    for path, v in leaves:  # every number to its printed decimals: the answer passes
        d = _decimals(a, path)
        rounded = _replace(rounded, path, int(v) if isinstance(v, (int, np.integer)) else round(float(v), d))
    assert compare(rounded, want, a.tol) is None, label
    for path, v in leaves:
        d = _decimals(a, path)
        if isinstance(v, (int, np.integer)):  # counts are exact
            assert compare(_replace(want, path, int(v) + 1), want, a.tol) is not None, (label, path)
            continue
        v = float(v)
        if dataset == "book":  # the printed decimals give every part of the book's answers two significant digits
            assert abs(v) >= 10.0 ** (1 - d), f"{label} {path}: {d} decimals are too few for {v:.6f}"
        if abs(v) >= 10.0 ** (1 - d):  # then 10% off is at least one printed unit off: it fails
            problem = compare(_replace(want, path, v * 1.1), want, a.tol)
            assert problem is not None and "off" in problem, (label, path, problem)
            if path:
                assert repr(path[-1]) in problem, (label, path, problem)  # says which part is off
            problem = compare(_replace(want, path, -v), want, a.tol)
            assert problem is not None and "wrong sign" in problem, (label, path, problem)


# ----------------------------------------------------------------------------- choice questions

@pytest.fixture
def choice_exercises():
    """Two throw-away exercises (chapter 99 does not exist): a yes/no answer, and a part with named options."""
    from psyalliance.teaching.selfcheck import YES_NO, answer

    selfcheck._registry()
    answer("ex-99-1", choices=YES_NO, uses_data=False,
           hint=("look at whether the fit is earned", "count the df: a saturated model fits any data"))(lambda d: "No")
    answer("ex-99-2", part="size", choices=("larger", "smaller"), synonyms={"larger": ("bigger",)},
           hint=("look at absolute values", "compare abs() of the two rhos"))(
        lambda d: "smaller" if d["hamd_4wk"].mean() > 0 else "larger")
    yield
    selfcheck._REGISTRY.pop("ex-99-1")
    selfcheck._PARTS.pop("ex-99-2")


@pytest.mark.parametrize("typed", ["no", "No", "  NO ", "n", "False", "false", False])
def test_a_choice_passes_in_any_case_and_as_a_synonym(typed, choice_exercises, capsys):
    assert check("ex-99-1", typed) is True
    assert capsys.readouterr().out.startswith("Correct: Exercise 99.1 (ex-99-1)")


def test_a_part_of_its_own_is_checked_by_name(choice_exercises, capsys):
    assert selfcheck.parts("ex-99-2") == ["size"]
    assert ("ex-99-2", "size") in selfcheck.choice_questions() and ("ex-99-1", None) in selfcheck.choice_questions()
    assert check("ex-99-2", " Smaller", part="size") is True
    assert capsys.readouterr().out.startswith("Correct: Exercise 99.2 (ex-99-2, size)")
    assert check("ex-99-2", "bigger", part="size") is False  # a declared synonym of the wrong option
    assert capsys.readouterr().out.startswith('Not yet (Exercise 99.2): the answer is not the right one of "larger" '
                                              'or "smaller". Hint 1 of 2: look at absolute values')
    with pytest.raises(selfcheck.UnknownExercise, match=r"no part 'sise'; its parts: \['size'\]"):
        check("ex-99-2", "smaller", part="sise")


def test_a_wrong_choice_names_the_options_and_the_hints_come_in_steps(choice_exercises, capsys):
    assert check("ex-99-1", "yes") is False
    first = capsys.readouterr().out
    assert first == ('Not yet (Exercise 99.1): the answer is not the right one of "yes" or "no". Hint 1 of 2: look '
                     "at whether the fit is earned (run the check again for the next hint)\n")
    assert check("ex-99-1", "maybe") is False
    second = capsys.readouterr().out
    assert second.startswith('Not yet (Exercise 99.1): the answer should be one of "yes" or "no", not \'maybe\'. '
                             "Hint 2 of 2: count the df")
    assert check("ex-99-1", ...) is False and "still open" in capsys.readouterr().out


@pytest.mark.parametrize("number", [0, 1, 0.5, np.float64(2.0)])
def test_a_number_for_a_choice_gets_one_clear_line(number, choice_exercises, capsys):
    assert check("ex-99-1", number) is False
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and 'is a choice: write one of "yes" or "no" (a string, in quotes), not the number' in out


def test_choice_values_and_bad_declarations():
    from psyalliance.teaching.selfcheck import Choice

    c = Choice("Larger", ("larger", "smaller"), {"smaller": ("less",)})
    assert str(c) == "larger" and c.read(" LESS ") == "smaller" and c.read(True) is None and c.read(3) is None
    assert compare("yes", Choice("yes", ("yes", "no"))) is None and compare(True, Choice("yes", ("yes", "no"))) is None
    assert compare("true", Choice("no", ("yes", "no"))) == 'the answer is not the right one of "yes" or "no"'
    with pytest.raises(ValueError, match=r"'perhaps' is not one of the options \['yes', 'no'\]"):
        Choice("perhaps", ("yes", "no"))
    with pytest.raises(ValueError, match="two or more distinct options"):
        Choice("yes", ("yes", "YES"))
    with pytest.raises(ValueError, match="choices must be a sequence of options"):
        selfcheck.answer("ex-98-1", choices="yes")


def _residual_corr(d: pd.DataFrame, x: str, m: str, y: str) -> float:
    """The partial correlation of m and y given x (residuals of two least-squares fits, numpy only)."""
    rows = d[[x, m, y]].dropna().astype(float).to_numpy()
    design = np.column_stack([np.ones(len(rows)), rows[:, 0]])
    res = [rows[:, k] - design @ np.linalg.lstsq(design, rows[:, k], rcond=None)[0] for k in (1, 2)]
    return float(np.corrcoef(res[0], res[1])[0, 1])


@pytest.mark.parametrize("dataset", ["book", "student"])
def test_data_dependent_choices_against_independent_routes(dataset):
    """The yes/no and choice answers that depend on the data, recomputed by other routes: the chi-square of full
    mediation as the likelihood ratio of two OLS fits (p from scipy's chi-square), the correlation with numpy,
    rho~ as the partial correlation of mediator and outcome given the alliance (Imai et al.'s rho at which the
    indirect effect vanishes)."""
    import statsmodels.formula.api as smf

    from psyalliance.teaching.studentdata import student_dataset

    d = load_dataset() if dataset == "book" else student_dataset("s-independent")
    rows = d[["alliance_prep", "mystical_peak", "insight_peak", "hamd_4wk"]].dropna()
    full = smf.ols("hamd_4wk ~ mystical_peak + insight_peak + alliance_prep", rows).fit()
    restricted = smf.ols("hamd_4wk ~ mystical_peak + insight_peak", rows).fit()
    p = float(stats.chi2.sf(len(rows) * math.log(restricted.ssr / full.ssr), 1))
    assert str(expected("ex-02-3", d, "reject")) == ("yes" if p < 0.05 else "no")
    pair = d[["alliance_post2", "hamd_12mo"]].dropna().astype(float).to_numpy()
    r = np.corrcoef(pair[:, 0], pair[:, 1])[0, 1]
    published = load_facts().correlations.query("x == 'alliance_post2' and y == 'hamd_12mo'")["r"].item()
    assert str(expected("ex-03-2", d, "agree")) == ("yes" if f"{r:.2f}" == f"{published:.2f}" else "no")
    rho = {m: abs(_residual_corr(d, "alliance_prep", m, "hamd_4wk")) for m in ("insight_peak", "mystical_peak")}
    assert str(expected("ex-11-2", d, "insight_vs_mystical")) == (
        "larger" if rho["insight_peak"] > rho["mystical_peak"] else "smaller")


def test_data_free_choices_against_the_published_numbers():
    """The audit's yes/no at n = 30 from the t distribution directly: p of r = .375 and .385 with 28 df."""
    p_of = [float(2 * stats.t.sf(abs(r) * math.sqrt(28) / math.sqrt(1 - r * r), 28)) for r in (0.375, 0.385)]
    lo, hi = min(p_of), max(p_of)
    assert str(expected("ex-10-1", part="consistent")) == ("yes" if lo <= 0.0205 and hi >= 0.0195 else "no")
    assert str(expected("ex-10-1", part="decision_error")) == ("yes" if hi >= 0.05 else "no")
    n_same = math.ceil(2 + 22 * (0.4**2 / 0.84) / (0.2**2 / 0.96))  # lambda_a = a sqrt(n - 2) / sqrt(1 - a^2)
    assert str(expected("ex-09-6", part="twice")) == ("yes" if n_same == 48 else "no") == "no"
    assert {k: str(v) for k, v in expected("ex-08-1").items()} == {"r": "reproduced", "p": "approximated"}  # -.384
    # rounds to -.38; .026 does not round to .021 but is on the same side of .05 (the ledger's rule)
