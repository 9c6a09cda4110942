"""The primer's counting and fit-reading helpers, pinned to lavaan's stored output and to closed forms."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import semopy

from psyalliance.errors import InputError, ModelError
from psyalliance.sem.lavaan import USER_MODELS, load_reference
from psyalliance.sem.registry import MODELS
from psyalliance.simulation.simulate import load_dataset
from psyalliance.teaching.primer import (
    count_parameters,
    full_mediation_chisq,
    indirect_by_ols,
    judge_fit,
    lavaan_fit_statistics,
    load_cutoffs,
    parameter_table,
    rmsea_false_alarm,
)

REFERENCE = load_reference()
CASES = ([(name, syntax, est) for name, syntax in MODELS.items() for est in ("listwise", "fiml")]
         + [(name, m.lavaan_syntax, est) for name, m in USER_MODELS.items() for est in m.estimators])


@pytest.mark.parametrize(("name", "syntax", "estimator"), CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_df_and_npar_equal_lavaan(name, syntax, estimator):
    count = count_parameters(syntax, estimator, name)
    assert count.df == REFERENCE.fit_value(name, estimator, "df")
    assert count.npar == REFERENCE.fit_value(name, estimator, "npar")


def test_closed_forms():
    # one regression with two predictors: saturated (3 moments of y with itself and x's, 3 parameters)
    reg = count_parameters("y ~ x1 + x2")
    assert (reg.moments, reg.exogenous_moments, reg.npar, reg.df) == (6, 3, 3, 0)
    # a chain x -> m -> y leaves out x -> y: one df
    chain = count_parameters("m ~ x\ny ~ m")
    assert (chain.npar, chain.df) == (4, 1)
    # a path fixed at zero is no parameter; an equality label joins two
    assert count_parameters("m ~ x\ny ~ m + 0*x").df == 1
    assert count_parameters("y1 ~ b*x\ny2 ~ b*x\ny1 ~~ y2").df == 1
    # FIML adds p means as moments and as parameters, and the exogenous block to both: same df
    fiml = count_parameters("m ~ x\ny ~ m", "fiml")
    assert (fiml.moments, fiml.npar, fiml.df) == (9, 8, 1)


def test_three_outcomes_get_free_residual_covariances():
    count = count_parameters("y1 + y2 + y3 ~ x")
    assert count.residual_covariances == 3 and count.df == 0
    assert count_parameters("y1 + y2 + y3 ~ x\ny1 ~~ 0*y2").df == 1


def test_parameter_table_and_identified():
    table = parameter_table(dict(MODELS))
    assert list(table.index) == list(MODELS)
    assert table.loc["m1_mediation", "df"] == 0 and table["identified"].all()


def test_bad_estimator_and_syntax():
    with pytest.raises(ModelError, match="'ml'.*listwise, fiml"):
        count_parameters("y ~ x", "ml")
    with pytest.raises(ModelError, match="line 1"):
        count_parameters("y ~ y")


@pytest.mark.parametrize("name", list(MODELS))
def test_semopy_model_fit_statistics_equal_lavaan(name):
    data = load_dataset()
    model = semopy.Model(MODELS[name])
    cols = list(model.vars["observed"])
    complete = data[cols].dropna()
    model.fit(complete)
    ours = lavaan_fit_statistics(model, complete)
    for key, lav in (("df", "df"), ("chisq", "chisq"), ("srmr", "srmr"), ("rmsea", "rmsea"), ("npar", "npar")):
        expected = REFERENCE.fit_value(name, "listwise", lav)
        assert ours[key] == pytest.approx(expected, rel=1e-3, abs=1e-4), key


def test_lavaan_fit_statistics_refuses_bad_input():
    data = load_dataset()
    model = semopy.Model(MODELS["murphy2022"])
    with pytest.raises(ModelError, match="fitted semopy.Model"):
        lavaan_fit_statistics(model, data)
    model.fit(data[["alliance_prep", "mystical_peak", "hamd_4wk"]].dropna())
    with pytest.raises(InputError, match="missing value"):
        lavaan_fit_statistics(model, data)


def test_rmsea_false_alarm_closed_form():
    # chi-square with 2 df has survival exp(-x/2); RMSEA > c when chi2 > df (1 + N c^2)
    n, c = 16, 0.06
    assert rmsea_false_alarm(2, n, c) == pytest.approx(math.exp(-(1 + n * c**2)))
    # large N: a correct model almost never exceeds the cut-off
    assert rmsea_false_alarm(2, 100_000, c) < 1e-50
    with pytest.raises(InputError, match="df must be"):
        rmsea_false_alarm(0, 24, c)
    with pytest.raises(InputError, match="n must be"):
        rmsea_false_alarm(2, 1, c)


def test_cutoffs_and_judgement():
    cut = load_cutoffs()
    assert set(cut["index"]) == {"cfi", "tli", "rmsea", "srmr"}
    assert (cut["cite"] == "hu1999").all()
    at = {r.index: r.cutoff for r in cut.itertuples()}
    assert judge_fit(at)["meets"].all()  # exactly at the cut-off meets it
    worse = {r.index: r.cutoff + (-0.01 if r.direction == ">=" else 0.01) for r in cut.itertuples()}
    assert not judge_fit(worse)["meets"].any()
    with_nan = {**at, "cfi": float("nan")}
    assert pd.isna(judge_fit(with_nan).set_index("index").loc["cfi", "meets"])
    with pytest.raises(InputError, match="lack srmr"):
        judge_fit({k: v for k, v in at.items() if k != "srmr"})
    assert load_cutoffs() is not load_cutoffs() and np.isfinite(cut["cutoff"]).all()


def test_indirect_by_ols_equals_total_minus_direct():
    # the OLS identity c = c' + a b on the same rows: an independent route to a b
    data = load_dataset()
    rows = data[["alliance_prep", "mystical_peak", "hamd_4wk"]].dropna()
    x = np.column_stack([np.ones(len(rows)), rows["alliance_prep"]])
    total = np.linalg.lstsq(x, rows["hamd_4wk"], rcond=None)[0][1]
    xm = np.column_stack([x, rows["mystical_peak"]])
    direct = np.linalg.lstsq(xm, rows["hamd_4wk"], rcond=None)[0][1]
    assert indirect_by_ols(data, "alliance_prep", "mystical_peak", "hamd_4wk") == pytest.approx(total - direct)
    with pytest.raises(InputError, match="lack column"):
        indirect_by_ols(data, "alliance_prep", "nope", "hamd_4wk")


def test_full_mediation_chisq_is_nested_lr_statistic():
    # chi-square of M1 without its direct path = n log(RSS0 / RSS1) of the depression equation (saturated rest)
    data = load_dataset()
    rows = data[["alliance_prep", "mystical_peak", "insight_peak", "hamd_4wk"]].dropna()

    def rss(cols):
        design = np.column_stack([np.ones(len(rows)), rows[cols]])
        res = rows["hamd_4wk"] - design @ np.linalg.lstsq(design, rows["hamd_4wk"], rcond=None)[0]
        return float(res @ res)

    expected = len(rows) * math.log(rss(["mystical_peak", "insight_peak"])
                                    / rss(["mystical_peak", "insight_peak", "alliance_prep"]))
    assert full_mediation_chisq(data) == pytest.approx(expected, rel=1e-3)


def test_answers_module_registers_primer_exercises():
    pytest.importorskip("psyalliance.teaching.selfcheck", reason="helper 'assign' provides psyalliance.teaching.selfcheck")
    import psyalliance.teaching.answers  # noqa: F401  (registers the answers)
