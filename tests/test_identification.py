"""fit_model refuses a path model that is not identified, and fits its identified neighbour as lavaan does.

Reference: tests/lavaan/identification/reference.csv, made by
``Rscript tests/lavaan/identification/make_reference.R`` (lavaan 0.6, ``sem(model, data, missing = "ml",
fixed.x = FALSE)``) from the committed 60 simulated cases of ``data.csv``. lavaan fits all three models
and reports standard errors for the two unidentified ones (above 200, or NA with a warning); fit_model
refuses those two, naming why, and must match lavaan on the third.

Theory, independent of both engines: the counting rule (t-rule: no more free parameters than moments) and
the order condition of a structural equation (an equation whose regressor m has an error correlated with
y's needs an exogenous variable excluded from it: x2 in ``instrumented``, none in ``order``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from psyalliance.errors import ModelError
from psyalliance.sem.models import fit_model

HERE = Path(__file__).resolve().parent / "lavaan" / "identification"
MODELS = {"t_rule": "m ~ x1\ny ~ m + x1\nm ~~ y",
          "order": "m ~ x1 + x2\ny ~ m + x1 + x2\nz ~ x1\nm ~~ y",
          "instrumented": "m ~ x1 + x2\ny ~ m + x1\nz ~ x1\nm ~~ y"}
RANGES = False  # simulated standard-normal variables, not the book's scales


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return pd.read_csv(HERE / "data.csv")


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return pd.read_csv(HERE / "reference.csv", keep_default_na=False, na_values=["NA"])


def _lavaan(reference: pd.DataFrame, model: str) -> pd.DataFrame:
    return reference[reference.model == model]


def test_the_reference_shows_lavaan_accepting_both_unidentified_models(reference):
    t_rule, order = _lavaan(reference, "t_rule"), _lavaan(reference, "order")
    assert t_rule.df.iloc[0] == -1 and t_rule.npar.iloc[0] == 10  # 3 variables: 6 (co)variances + 3 means = 9
    ym = order[(order.lhs == "y") & (order.op == "~") & (order.rhs == "m")]
    assert order.df.iloc[0] >= 0 and (ym.se.isna().all() or (ym.se > 100).all())


@pytest.mark.parametrize("missing", ["fiml", "listwise"])
def test_more_parameters_than_moments_is_refused_before_fitting(data, missing):
    with pytest.raises(ModelError, match=r"not identified: \d+ free parameters but only \d+ sample moments \(df = -1"):
        fit_model("t_rule", data, missing, syntax=MODELS["t_rule"], ranges=RANGES)


def test_the_fiml_count_is_lavaans(data, reference):
    with pytest.raises(ModelError, match=r"10 free parameters but only 9 sample moments"):
        fit_model("t_rule", data, "fiml", syntax=MODELS["t_rule"], ranges=RANGES)
    assert _lavaan(reference, "t_rule").npar.iloc[0] == 10


def test_a_path_and_a_residual_covariance_with_no_instrument_are_refused(data):
    with pytest.raises(ModelError, match=r"information matrix is singular") as err:
        fit_model("order", data, "fiml", syntax=MODELS["order"], ranges=RANGES)
    message = str(err.value)
    assert "y ~ m" in message and "m ~~ y" in message and "model 'order'" in message


def test_the_instrumented_neighbour_fits_as_lavaan_does(data, reference):
    res = fit_model("instrumented", data, "fiml", syntax=MODELS["instrumented"], ranges=RANGES)
    lav = _lavaan(reference, "instrumented")
    assert res.fit["df"] == lav.df.iloc[0]
    ours = res.estimates.set_index(["lval", "op", "rval"])
    for row in lav.itertuples():
        key = (row.lhs, row.op, row.rhs if row.op != "~1" else "")
        if key not in ours.index and row.op == "~~":
            key = (row.rhs, row.op, row.lhs)
        assert ours.loc[key, "estimate"] == pytest.approx(row.est, abs=1e-3), key
        assert ours.loc[key, "se"] == pytest.approx(row.se, abs=1e-3), key
    assert np.isfinite(ours.se).all()
