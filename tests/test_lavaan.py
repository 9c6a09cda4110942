"""fit_model against R lavaan: every reported number against lavaan's stored output (tests/lavaan/reference/).

The reference is written by `make lavaan-reference` (tests/lavaan/make_reference.R, lavaan's sem()
defaults; the calls are in meta.csv). Without R these tests use the committed reference; with R,
test_reference_has_not_drifted refits everything with lavaan into a temporary directory and compares
(or compares the reference .ci/run regenerated, PSYALLIANCE_LAVAAN_FRESH). Set PSYALLIANCE_REQUIRE_LAVAAN=1
(as .ci/run does) to fail instead of skip when R or lavaan is absent.
"""

import os
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from psyalliance import MODELS
from psyalliance.sem import lavaan as lav
from psyalliance.sem.fitstats import observed_information_se
from psyalliance.sem.syntax import read_syntax

RTOL = 1e-3
"""Relative tolerance; values smaller than lavaan.ABS_FLOOR in size are compared with RTOL * ABS_FLOOR."""

CASES = [(r.name, e) for r in lav.reference_models().itertuples() for e in r.estimators.split(";")]


@pytest.fixture(scope="module")
def ref():
    return lav.load_reference()


_FITS: dict = {}


def _fit(name, estimator):
    if (name, estimator) not in _FITS:
        _FITS[name, estimator] = lav.fit_reference_model(name, estimator)
    return _FITS[name, estimator]


def _assert_close(table, columns, what):
    for col in columns:
        bad = table[table[f"{col} rel. diff."] > RTOL]
        assert bad.empty, f"{what}: {col} differs from lavaan by more than {RTOL:g}:\n{bad.to_string()}"


def test_reference_says_how_it_was_made(ref):
    assert ref.meta["lavaan_version"].startswith("0.6")
    assert ref.meta["r_version"].startswith("R version")
    assert "make lavaan-reference" in ref.meta["command"]
    assert ref.meta["call_listwise"] == lav.LAVAAN_CALLS["listwise"]
    assert ref.meta["call_fiml"] == lav.LAVAAN_CALLS["fiml"]


def test_reference_covers_every_registered_model_under_both_estimators(ref):
    have = set(zip(ref.fit.model, ref.fit.estimator))
    assert {(m, e) for m in MODELS for e in lav.ESTIMATORS} <= have
    assert {(m, e) for m, u in lav.USER_MODELS.items() for e in u.estimators} <= have


@pytest.mark.parametrize("name, estimator", CASES)
def test_estimates_ses_and_standardized_values_are_lavaans(ref, name, estimator):
    table = lav.compare_estimates(_fit(name, estimator), ref, name)
    assert not table[["estimate", "lavaan estimate"]].isna().any().any(), \
        f"parameters only one side has:\n{table.to_string()}"
    _assert_close(table, ("estimate", "se", "std.all", "z", "p"), f"{name} ({estimator})")


@pytest.mark.parametrize("name, estimator", CASES)
def test_fit_measures_are_lavaans(ref, name, estimator):
    res = _fit(name, estimator)
    table = lav.compare_fit(res, ref, name)
    assert set(res.fit) <= set(table.measure)  # every measure fit_model reports is compared
    bad = table[table["rel. diff."] > RTOL]
    assert bad.empty, f"{name} ({estimator}):\n{bad.to_string()}"
    r2 = lav.compare_r2(res, ref, name)
    assert (r2["rel. diff."] <= RTOL).all(), r2.to_string()


def test_both_multi_outcome_spellings_give_lavaans_df_0(ref):
    """lavaan frees the residual covariances of y1, y2, y3 (auto.cov.y): df 0, not 3."""
    for name in ("multivariate_regression", "multivariate_regression_lavaan"):
        res = _fit(name, "listwise")
        assert res.fit["df"] == ref.fit_value(name, "listwise", "df") == 0
        covs = res.estimates[(res.estimates.op == "~~") & (res.estimates.lval != res.estimates.rval)]
        assert len(covs) == 3


def test_a_covariance_fixed_by_the_syntax_stays_fixed(ref):
    res = _fit("multivariate_regression_fixed", "listwise")
    assert res.fit["df"] == ref.fit_value("multivariate_regression_fixed", "listwise", "df") == 1
    pairs = {frozenset((r.lval, r.rval)) for r in res.estimates.itertuples() if r.op == "~~" and r.lval != r.rval}
    assert frozenset(("y1", "y2")) not in pairs and len(pairs) == 2


def test_semopys_own_fiml_ses_are_too_small_where_values_are_missing(ref):
    """semopy's FIML information treats every case as complete: below lavaan on every path of M1 (with missing
    values), equal to it on M3 (none missing, where observed and expected information agree on the paths)."""
    m1 = lav.semopy_se_comparison(_fit("m1_mediation", "fiml"), ref)
    assert (m1["semopy / lavaan"] < 0.95).all()
    assert np.allclose(m1["book se"], m1["lavaan se"], rtol=RTOL)
    m3_fit = _fit("m3_durability", "fiml")
    assert not m3_fit.data.isna().any().any()
    m3 = lav.semopy_se_comparison(m3_fit, ref)
    np.testing.assert_allclose(m3["semopy / lavaan"], 1.0, rtol=1e-4)


def test_semopy_calc_stats_df_is_too_large_by_the_exogenous_moments(ref):
    for name in MODELS:
        res = _fit(name, "listwise")
        table = lav.semopy_fit_comparison(res, ref)
        k = len(res.exogenous)
        assert table.loc["df", "semopy calc_stats"] - table.loc["df", "lavaan"] == k * (k + 1) // 2
        assert table.loc["df", "book"] == table.loc["df", "lavaan"]


def test_user_model_table_gives_lavaans_df_for_every_user_model(ref):
    fits = {(name, "listwise"): _fit(name, "listwise") for name in lav.USER_MODELS}
    table = lav.user_model_table(fits, ref)
    assert list(table.model) == list(lav.USER_MODELS)
    assert (table["book df"] == table["lavaan df"]).all()


def test_meta_table_names_the_versions(ref):
    table = lav.meta_table(ref).set_index("")
    assert table.loc["lavaan", "value"] == ref.meta["lavaan_version"]
    assert table.loc["FIML call", "value"] == lav.LAVAAN_CALLS["fiml"]


# --------------------------------------------------------------------------- the reader and the helpers


def test_pure_outcomes_and_default_covariances_follow_lavaans_ov_y():
    spec = read_syntax("m ~ x\ny1 ~ m\ny2 ~ m + x\ny3 ~ m\ny1 ~~ 0*y3")
    assert spec.pure_outcomes == ("y1", "y2", "y3")  # m predicts, so it is not an ov.y
    assert spec.default_covariances() == (("y1", "y2"), ("y2", "y3"))


def test_observed_information_of_a_normal_sample_is_the_closed_form():
    """N(mu, v): SE(mu) = sqrt(v / n), SE(v) = v sqrt(2 / n) at the MLE."""
    x = np.random.default_rng(3).normal(2.0, 1.5, size=40)
    mu, v = x.mean(), x.var()
    se = observed_information_se(lambda t: stats.norm(t[0], np.sqrt(t[1])).logpdf(x).sum(), np.array([mu, v]))
    np.testing.assert_allclose(se, [np.sqrt(v / 40), v * np.sqrt(2 / 40)], rtol=1e-6)


def test_relative_difference_uses_the_floor_and_treats_two_nans_as_equal():
    d = lav.relative_difference(np.array([1.001, 1e-9, np.nan, np.nan]), np.array([1.0, 0.0, np.nan, 1.0]))
    np.testing.assert_allclose(d[:3], [1e-3, 1e-9 / lav.ABS_FLOOR, 0.0], rtol=1e-9)
    assert np.isinf(d[3])


def test_r_call_shows_the_syntax_and_the_call():
    code = lav.r_call("multivariate_regression", "listwise")
    assert "y1 + y2 + y3 ~ x1 + x2 + x3" in code and "sem(model, data = d)" in code
    assert 'read.csv("data/simulated/levin2024_simulated.csv")' in lav.r_call("m1_mediation", "fiml")
    with pytest.raises(KeyError, match="unknown model 'nope'"):
        lav.r_call("nope", "listwise")
    with pytest.raises(ValueError, match="'pairwise' is not one of listwise, fiml"):
        lav.r_call("m1_mediation", "pairwise")


def test_loaded_reference_is_a_fresh_copy(ref):
    first = lav.load_reference()
    first.estimates.loc[:, "est"] = 0.0
    assert (lav.load_reference().estimates.est != 0).any()


def test_incomplete_reference_directory_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="estimates.csv, fit.csv, meta.csv absent.*make lavaan-reference"):
        lav.load_reference(tmp_path)


# --------------------------------------------------------------------------- drift of the stored reference


def _rscript_with_lavaan() -> str | None:
    rscript = shutil.which("Rscript")
    if rscript is None:
        return None
    ok = subprocess.run([rscript, "-e", "library(lavaan)"], capture_output=True).returncode == 0
    return rscript if ok else None


def _fresh_reference(tmp_path) -> lav.Reference:
    """A reference regenerated now: the one .ci/run wrote (PSYALLIANCE_LAVAAN_FRESH), or refitted here."""
    given = os.environ.get("PSYALLIANCE_LAVAAN_FRESH")
    if given:
        return lav.load_reference(given)
    rscript = _rscript_with_lavaan()
    if rscript is None:
        message = "Rscript with the R package lavaan not found (Debian: apt-get install -y r-cran-lavaan)"
        if os.environ.get("PSYALLIANCE_REQUIRE_LAVAAN") == "1":
            pytest.fail(message + "; PSYALLIANCE_REQUIRE_LAVAAN=1 requires it")
        pytest.skip(message + "; the other tests use the committed reference")
    lav.export_inputs(tmp_path / "in")
    subprocess.run([rscript, str(lav.SCRIPT), str(tmp_path / "in"), str(tmp_path / "out")], check=True,
                   capture_output=True)
    return lav.load_reference(tmp_path / "out")


def test_reference_has_not_drifted(tmp_path, ref):
    """lavaan refitted now (installed version) agrees with the committed reference within tolerance."""
    fresh = _fresh_reference(tmp_path)
    keys = ["model", "estimator", "lhs", "op", "rhs"]
    a = ref.estimates.set_index(keys).sort_index()
    b = fresh.estimates.set_index(keys).sort_index()
    assert list(a.index) == list(b.index), "the regenerated reference has other parameters"
    for col in ("est", "se", "std_all", "z", "pvalue"):
        d = lav.relative_difference(b[col].to_numpy(), a[col].to_numpy())
        assert (d <= RTOL).all(), f"{col} drifted: {a[col][d > RTOL]} -> {b[col][d > RTOL]}"
    fa = ref.fit.set_index(["model", "estimator", "measure"]).value.sort_index()
    fb = fresh.fit.set_index(["model", "estimator", "measure"]).value.sort_index()
    assert list(fa.index) == list(fb.index), "the regenerated reference has other fit measures"
    d = lav.relative_difference(fb.to_numpy(), fa.to_numpy())
    assert (d <= RTOL).all(), f"fit measures drifted:\n{pd.DataFrame({'stored': fa, 'fresh': fb})[d > RTOL]}"
