"""Bartlett and Swain corrections against their published formulas; Bollen-Stine against its definition and semopy."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import semopy
from scipy import stats

from psyalliance.errors import SettingsError
from psyalliance.sem.models import fit_model
from psyalliance.sem.paths import get_model, implied_cov
from psyalliance.sem.registry import MODELS
from psyalliance.sem.smallsample import (
    bartlett_factor,
    bollen_stine_pvalue,
    bollen_stine_transform,
    chisq_batch,
    corrected_chisq,
    model_df,
    swain_factor,
)
from psyalliance.simulation.simulate import load_dataset


def test_bartlett_by_hand():
    # N = 16 (n = 15), p = 6, k = 0: 1 - (2*6 + 5) / (6*15) = 1 - 17/90
    assert bartlett_factor(15, 6) == pytest.approx(73 / 90, abs=1e-15)
    # with k = 2 factors: 1 - (12 + 8 + 5) / 90
    assert bartlett_factor(15, 6, factors=2) == pytest.approx(65 / 90, abs=1e-15)


def test_swain_by_hand_integer_q():
    # p = 6, d = 6: t = 21 - 6 = 15 parameters, q(q+1)/2 = 15 -> q = 5
    # p(2p^2+3p-1) = 6*89 = 534, q(2q^2+3q-1) = 5*64 = 320; 1 - 214 / (12*6*15)
    assert swain_factor(15, 6, 6) == pytest.approx(1 - 214 / 1080, abs=1e-15)


def test_swain_q_solves_parameter_count():
    # p = 4, d = 2: t = 10 - 2 = 8; q is the positive root of q^2 + q - 16 = 0
    q = np.roots([1, 1, -16]).max()
    n = 23
    expected = 1 - (4 * (2 * 16 + 12 - 1) - q * (2 * q**2 + 3 * q - 1)) / (12 * 2 * n)
    assert swain_factor(n, 4, 2) == pytest.approx(expected, rel=1e-13)


def test_swain_tends_to_one_as_n_grows_and_corrections_shrink_t():
    assert swain_factor(10**9, 6, 6) == pytest.approx(1, abs=1e-8)
    out = corrected_chisq(12.0, 16, 6, 6)
    assert out["bartlett"] == pytest.approx(12.0 * 73 / 90)
    assert out["swain"] == pytest.approx(12.0 * (1 - 214 / 1080))
    assert out["p_swain"] == pytest.approx(stats.chi2.sf(12.0 * (1 - 214 / 1080), 6))
    assert out["p_ml"] == pytest.approx(stats.chi2.sf(12.0, 6))


@pytest.mark.parametrize("call", [
    lambda: bartlett_factor(0, 6), lambda: bartlett_factor(15, 0), lambda: bartlett_factor(15, 6, factors=-1),
    lambda: swain_factor(15, 6, 0), lambda: swain_factor(15, 6, 22), lambda: swain_factor(np.nan, 6, 6),
])
def test_bad_sizes_are_refused(call):
    with pytest.raises(SettingsError, match="must be"):
        call()


@pytest.fixture(scope="module")
def m2_rows():
    m = get_model("m2_cycle")
    d = load_dataset()
    return m, d, d[list(m.variables)].dropna().to_numpy(float)


def test_chisq_and_df_match_semopy_fit(m2_rows):
    m, d, x = m2_rows
    res = fit_model("m2_cycle", d)  # semopy ML fit, lavaan conventions
    assert model_df(m) == res.fit["df"]
    assert chisq_batch(m, x) == pytest.approx(res.fit["chisq"], rel=1e-6)


def test_bollen_stine_transform_reproduces_implied_covariance(m2_rows):
    m, _, x = m2_rows
    z = bollen_stine_transform(m, x)
    s = np.cov(x.T, bias=True)
    target = implied_cov(m, s, len(x))
    assert np.abs(np.cov(z.T, bias=True) - target).max() < 1e-10
    assert np.abs(z.mean(axis=0)).max() < 1e-10
    assert abs(chisq_batch(m, z)) < 1e-9  # the model fits the transformed data exactly


def semopy_chisq(x: np.ndarray, variables) -> float:
    """N * F_ML at semopy's own ML optimum (Wishart objective, tight SLSQP): an independent fit."""
    df = pd.DataFrame(x, columns=variables)
    mod = semopy.Model(MODELS["m2_cycle"])
    mod.fit(df, obj="MLW", solver="SLSQP", tol=1e-12)
    sigma, names = mod.calc_sigma()[0], mod.vars["observed"]
    s = np.cov(df[names].to_numpy(float).T, bias=True)
    f = np.linalg.slogdet(sigma)[1] - np.linalg.slogdet(s)[1] + np.trace(s @ np.linalg.inv(sigma)) - len(names)
    return len(df) * f


def test_bollen_stine_pvalue_matches_a_semopy_loop(m2_rows):
    m, _, x = m2_rows
    rng = np.random.default_rng(7)
    b = 12
    idx = rng.integers(0, len(x), size=(1, b, len(x)))
    p = bollen_stine_pvalue(m, x[None], idx=idx)[0]
    z = bollen_stine_transform(m, x)
    observed = semopy_chisq(x, m.variables)
    boot = np.array([semopy_chisq(z[i], m.variables) for i in idx[0]])
    assert np.allclose(chisq_batch(m, z[idx[0]]), boot, rtol=1e-6, atol=1e-8)
    assert np.min(np.abs(boot - observed)) > 1e-4  # no near-tie, so the share is well defined
    assert p == np.mean(boot >= observed)
    assert 0 < p < 1


def test_bollen_stine_needs_rng_or_idx(m2_rows):
    m, _, x = m2_rows
    with pytest.raises(SettingsError, match="rng"):
        bollen_stine_pvalue(m, x)
    with pytest.raises(SettingsError, match="finite"):
        bollen_stine_transform(m, np.where(np.arange(x.size).reshape(x.shape) == 3, np.nan, x))


def test_bollen_stine_against_lavaan_reference(m2_rows):
    """R lavaan's bootstrapLavaan(type = "bollen.stine") p, stored with its command (tests/lavaan/bollen_stine/)."""
    m, _, x = m2_rows
    ref = pd.read_csv(Path(__file__).parent / "lavaan" / "bollen_stine" / "reference.csv").iloc[0]
    assert ref["n"] == len(x)
    assert chisq_batch(m, x) == pytest.approx(ref["chisq"], rel=1e-6)
    b = 20_000
    p_lav = ref["p_bollen_stine"]
    ours = bollen_stine_pvalue(m, x, b, rng=np.random.default_rng(11), exogenous="original")
    se = np.sqrt(p_lav * (1 - p_lav) * (1 / ref["resamples"] + 1 / b))
    assert abs(ours - p_lav) < 4 * se
    # refitting the exogenous variance from each resample (the default) gives a smaller p on these data
    assert bollen_stine_pvalue(m, x, b, rng=np.random.default_rng(11)) < ours


def test_bollen_stine_reference_used_the_current_m2():
    stored = (Path(__file__).parent / "lavaan" / "bollen_stine" / "m2_cycle.txt").read_text()
    assert stored == MODELS["m2_cycle"], "M2 changed: rerun `make lavaan-bollen-stine`"
