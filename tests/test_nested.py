"""The F test of nested regressions against statsmodels, and the LR chi-square against semopy's model fit."""

import numpy as np
import pytest
import statsmodels.formula.api as smf
from statsmodels.stats.anova import anova_lm

from psyalliance import fit_model
from psyalliance.errors import InputError
from psyalliance.sem.nested import nested_regression_test
from psyalliance.simulation.simulate import load_dataset


@pytest.fixture(scope="module")
def murphy():
    data = load_dataset()
    cc = data[["alliance_prep", "mystical_peak", "hamd_4wk"]].dropna()
    test = nested_regression_test(data, "hamd_4wk", ["mystical_peak"], ["mystical_peak", "alliance_prep"],
                                  rows=["alliance_prep", "mystical_peak", "hamd_4wk"])
    return data, cc, test


def test_f_test_matches_statsmodels(murphy):
    _, cc, t = murphy
    full = smf.ols("hamd_4wk ~ mystical_peak + alliance_prep", cc).fit()
    reduced = smf.ols("hamd_4wk ~ mystical_peak", cc).fit()
    f, p, df = full.compare_f_test(reduced)
    assert (t.f, t.p_f, t.df_num) == pytest.approx((f, p, df), rel=1e-10)
    table = anova_lm(reduced, full)
    assert t.df_den == int(table["df_resid"].iloc[1]) == len(cc) - 3
    assert t.f == pytest.approx(table["F"].iloc[1], rel=1e-10)
    assert t.rss_reduced == pytest.approx(table["ssr"].iloc[0]) and t.rss_full == pytest.approx(table["ssr"].iloc[1])


def test_lr_chisq_matches_statsmodels_and_the_sem_fit(murphy):
    data, cc, t = murphy
    full = smf.ols("hamd_4wk ~ mystical_peak + alliance_prep", cc).fit()
    reduced = smf.ols("hamd_4wk ~ mystical_peak", cc).fit()
    lr, p, df = full.compare_lr_test(reduced)
    assert (t.chisq, t.p_chisq) == pytest.approx((lr, p), rel=1e-10)
    # the Murphy model's only restriction is the omitted path, so its ML chi-square (semopy) is this LR statistic
    sem = fit_model("murphy2022", data)
    assert sem.fit["df"] == 1 and sem.n == t.n
    assert sem.fit["chisq"] == pytest.approx(t.chisq, rel=1e-6)
    assert t.p_f > t.p_chisq  # the exact test is less liberal at n = 20


def test_bad_nesting_is_refused():
    data = load_dataset()
    with pytest.raises(InputError, match="proper subset"):
        nested_regression_test(data, "hamd_4wk", ["alliance_prep"], ["mystical_peak"])
    with pytest.raises(InputError, match="proper subset"):
        nested_regression_test(data, "hamd_4wk", ["alliance_prep"], ["alliance_prep"])


def test_adjusted_r2_matches_statsmodels():
    data = load_dataset()
    res = fit_model("m1_mediation", data)
    tab = res.r2_table()
    d = res.data
    for y, xs in [("mystical_peak", ["alliance_prep"]), ("hamd_4wk", ["mystical_peak", "insight_peak", "alliance_prep"])]:
        ols = smf.ols(f"{y} ~ {' + '.join(xs)}", d).fit()
        assert tab.loc[y, "R-squared"] == pytest.approx(ols.rsquared, rel=1e-6)
        assert tab.loc[y, "adjusted R-squared"] == pytest.approx(ols.rsquared_adj, rel=1e-6)
        assert tab.loc[y, "k"] == len(xs) and tab.loc[y, "n"] == len(d)
    assert np.all(tab["adjusted R-squared"] < tab["R-squared"])
