"""The audit of the published numbers, each check pinned to an independent computation or a hand count."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from psyalliance.audit.audit import (
    AuditError,
    change_check,
    correlation_p,
    dz_range,
    feasible_ranges,
    grim_counts,
    grim_percentages,
    multiple_testing,
    one_entry_bounds,
    p_range,
    pair_bounds,
    printed_p_interval,
    published_consistency,
    triangle_bounds,
)
from psyalliance.study.facts import load_facts


def beta_p(r, n: int):
    """Two-tailed p of r under H0 from the exact null distribution (r + 1)/2 ~ Beta(n/2 - 1, n/2 - 1),
    as scipy.stats.pearsonr computes it: independent of the t formula the module uses."""
    a = n / 2 - 1
    p = 2 * stats.beta.cdf(-np.abs(np.asarray(r, dtype=float)), a, a, loc=-1, scale=2)
    return float(p) if np.ndim(p) == 0 else p


@pytest.mark.parametrize("r, n", [(-0.65, 20), (0.49, 20), (0.52, 16), (-0.45, 23), (0.1, 5), (0.999, 30)])
def test_correlation_p_matches_the_exact_null_distribution(r, n):
    assert correlation_p(r, n) == pytest.approx(beta_p(r, n), rel=1e-9, abs=1e-15)


@pytest.mark.parametrize("r, n", [(-0.65, 20), (-0.47, 20), (0.52, 16), (-0.45, 23), (0.004, 10), (-1.0, 8)])
def test_p_range_is_the_extreme_p_over_the_rounding_interval(r, n):
    grid = np.clip(np.linspace(r - 0.005, r + 0.005, 2001), -1, 1)
    ps = beta_p(grid, n)
    lo, hi = p_range(r, n)
    assert lo == pytest.approx(min(ps), rel=1e-7, abs=1e-15)
    assert hi == pytest.approx(max(ps), rel=1e-7)


def test_printed_p_interval():
    assert printed_p_interval(0.036) == pytest.approx((0.0355, 0.0365))
    assert printed_p_interval(0.03, decimals=2) == pytest.approx((0.025, 0.035))
    assert printed_p_interval(0.001, "<") == (0.0, 0.001)


def test_holm_and_bh_on_the_benjamini_hochberg_1995_example():
    # Benjamini & Hochberg (1995), section 4.1: 15 p values; at .05 their procedure rejects the 4
    # smallest. Holm by hand: .0095 > .05/12, so the 3 smallest (.0019 <= .05/13).
    p = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240, 0.4262, 0.5719,
         0.6528, 0.7590, 1.000]
    mt = multiple_testing(p)
    assert mt["bh"].tolist() == [True] * 4 + [False] * 11
    assert mt["holm"].tolist() == [True] * 3 + [False] * 12
    # Holm's adjusted p by hand: max over i <= k of (m - i + 1) p_(i), capped at 1
    assert mt["holm_p"].iloc[3] == pytest.approx(12 * 0.0095)


def test_the_published_p_values_give_holm_5_and_bh_11():
    tab = published_consistency()
    assert len(tab) == 11
    assert int(tab["holm"].sum()) == 5
    assert int(tab["bh"].sum()) == 11
    # by hand: the sorted p are .001 (4 times), .002, .010, ...; Holm's sixth step compares .010 * 6 > .05
    kept = tab.loc[tab["holm"], "p"].sort_values().tolist()
    assert kept == [0.001, 0.001, 0.001, 0.001, 0.002]


def test_published_consistency_rows():
    tab = published_consistency()
    assert {"x", "y", "r", "p", "n", "p_min", "p_max", "consistent", "decision_error", "holm", "bh"} <= set(tab)
    # the book's n is back-solved from r and p, so every pair must be consistent at it
    assert tab["consistent"].all()
    row = tab.query("x == 'alliance_prep' and y == 'hamd_6mo'").iloc[0]
    assert row["p_min"] == pytest.approx(beta_p(-0.475, 20), rel=1e-9)
    assert row["p_max"] == pytest.approx(beta_p(-0.465, 20), rel=1e-9)
    assert not row["decision_error"]  # beta_p(-.465, 20) is below .05
    assert beta_p(-0.465, 20) < 0.05
    assert (tab["n_consistent_low"] <= tab["n"]).all() and (tab["n"] <= tab["n_consistent_high"]).all()


def test_a_made_up_inconsistent_pair_is_caught():
    facts = load_facts()
    tab = facts.tables["correlations"]
    row = tab.index[(tab.x == "alliance_prep") & (tab.y == "insight_peak")][0]
    tab.loc[row, "p"] = 0.020          # r = .52 at n = 16 gives p = .039 or so: .020 cannot be
    out = published_consistency(facts).query("x == 'alliance_prep' and y == 'insight_peak'").iloc[0]
    assert beta_p(0.525, 16) > 0.0205   # by the independent formula, even the largest r misses
    assert not out["consistent"]
    assert not out["decision_error"]     # .020 and .039 are both below .05
    tab.loc[row, "r"] = 0.45            # now p is about .08: on the other side of .05
    out = published_consistency(facts).query("x == 'alliance_prep' and y == 'insight_peak'").iloc[0]
    assert beta_p(0.455, 16) > 0.05
    assert out["decision_error"] and not out["consistent"]


def test_decision_error_near_the_threshold():
    # r = .44 at n = 20 straddles .05 over its rounding interval
    lo, hi = p_range(0.44, 20)
    assert lo < 0.05 < hi


def test_dz_range_inverts_the_paired_t_test():
    lo, hi = dz_range(0.03, 20)
    # independent: p of d_z sqrt(n) on 19 df at the ends is the ends of [.025, .035]
    assert 2 * stats.t.sf(lo * np.sqrt(20), 19) == pytest.approx(0.035)
    assert 2 * stats.t.sf(hi * np.sqrt(20), 19) == pytest.approx(0.025)


def test_change_check_rules_out_dz_and_gives_r_for_dav():
    tab = change_check().set_index("formula")
    assert not tab.loc["d_z", "consistent"]
    assert tab.loc["d_z", "d_low"] > tab.loc["d_z", "d_printed_high"]
    # with equal SDs (0.5, 0.5 assumed) d_z = d_av / sqrt(2 (1 - r)), so r = 1 - (d_av / d_z)^2 / 2 by hand
    # lowest r at the largest ratio d_av / d_z, highest at the smallest
    z_lo, z_hi = tab.loc["d_z", ["d_low", "d_high"]]
    assert tab.loc["d_av", "r_low"] == pytest.approx(1 - (0.435 / z_lo) ** 2 / 2, abs=6e-4)
    assert tab.loc["d_av", "r_high"] == pytest.approx(1 - (0.425 / z_hi) ** 2 / 2, abs=6e-4)
    assert np.isnan(tab.loc["d_z", "n_dz_possible"])  # no n up to 24 makes d_z = .43 with p = .03


def test_grim_counts_by_hand():
    assert grim_counts(71, 24) == [17]   # 17/24 = 70.8%; 16/24 = 66.7%, 18/24 = 75%
    assert grim_counts(58, 24) == [14]   # 58.3%
    assert grim_counts(54, 24) == [13]   # 54.2%
    assert grim_counts(72, 24) == []     # between 17/24 and 18/24
    assert grim_counts(50, 7) == []      # 3/7 = 42.9%, 4/7 = 57.1%
    assert grim_counts(50, 4) == [2]
    assert grim_counts(12.5, 8, decimals=1) == [1]


def test_grim_percentages_of_the_facts():
    tab = grim_percentages()
    assert set(tab["name"]) == {"response_1wk_pct", "response_4wk_pct", "remission_1wk_pct", "remission_4wk_pct"}
    assert tab["consistent"].all()
    assert tab.set_index("name").loc["response_1wk_pct", "k"] == 17


def test_pair_bounds_by_hand():
    lo, hi = pair_bounds(0.6, 0.8)   # 0.48 -/+ sqrt(0.64 * 0.36) = 0.48 -/+ 0.48
    assert (lo, hi) == pytest.approx((0.0, 0.96))


def _grid_interval(m: np.ndarray, i: int, j: int) -> tuple[float, float]:
    xs = np.linspace(-1, 1, 8001)
    ok = []
    for x in xs:
        m2 = m.copy()
        m2[i, j] = m2[j, i] = x
        ok.append(np.linalg.eigvalsh(m2).min() >= -1e-12)
    ok = np.array(ok)
    return float(xs[ok].min()), float(xs[ok].max())


def test_one_entry_bounds_against_a_grid():
    rng = np.random.default_rng(11)
    for size in (3, 5, 8):
        a = rng.normal(size=(size, size + 3))
        c = a @ a.T
        d = np.sqrt(np.diag(c))
        m = c / np.outer(d, d)
        lo, hi = one_entry_bounds(m, 0, size - 1)
        g_lo, g_hi = _grid_interval(m, 0, size - 1)
        assert lo == pytest.approx(g_lo, abs=3e-4)
        assert hi == pytest.approx(g_hi, abs=3e-4)
        assert lo < m[0, size - 1] < hi


def test_triangle_bounds_against_a_grid():
    facts = load_facts()
    lo, hi, _ = triangle_bounds(facts.correlations, "mystical_peak", "insight_peak", h=0.0)
    # both are correlated with alliance_prep and with hamd_4wk: grid over r(mystical, insight), 4 x 4 matrix
    names = ["mystical_peak", "insight_peak", "alliance_prep", "hamd_4wk"]
    pub = {frozenset((a, b)): r for a, b, r in zip(facts.correlations.x, facts.correlations.y, facts.correlations.r)}
    feasible = []
    for x in np.linspace(-1, 1, 2001):
        ok3 = []
        for k in names[2:]:
            m = np.array([[1, x, pub[frozenset((names[0], k))]], [x, 1, pub[frozenset((names[1], k))]],
                          [pub[frozenset((names[0], k))], pub[frozenset((names[1], k))], 1]])
            ok3.append(np.linalg.eigvalsh(m).min() >= -1e-12)
        if all(ok3):
            feasible.append(x)
    assert lo == pytest.approx(min(feasible), abs=1e-3)
    assert hi == pytest.approx(max(feasible), abs=1e-3)


def test_feasible_ranges_hold_the_target_population():
    tab = feasible_ranges()
    assert len(tab) == 28 - 11
    assert tab["inside"].all()
    assert (tab["one_low"] < tab["target"]).all() and (tab["target"] < tab["one_high"]).all()
    # a full PSD matrix has PSD 3 x 3 submatrices, and the target's published entries lie within rounding,
    # so the one-entry range lies within the bounds from the published correlations alone
    assert (tab["triangle_low"] <= tab["one_low"] + 1e-9).all()
    assert (tab["one_high"] <= tab["triangle_high"] + 1e-9).all()


@pytest.mark.parametrize("call, words", [
    (lambda: correlation_p(0.3, 3), "n = 3"),
    (lambda: correlation_p(1.2, 20), "from -1 to 1"),
    (lambda: p_range(-1.5, 20), "r = -1.5"),
    (lambda: printed_p_interval(0.0), "p = 0.0"),
    (lambda: printed_p_interval(1.5), "(0, 1]"),
    (lambda: multiple_testing([0.01, -0.2]), "p[1] = -0.2"),
    (lambda: grim_counts(120, 24), "0 to 100"),
    (lambda: one_entry_bounds(np.eye(3), 1, 1), "two different indices"),
])
def test_bad_input_names_the_value_and_the_range(call, words):
    with pytest.raises(AuditError) as e:
        call()
    assert words in str(e.value)


def test_the_ledger_carries_the_audit():
    from psyalliance.audit.ledger import claims_ledger

    led = claims_ledger()
    p_rows = led[led["claim"].str.startswith("p, ")]
    assert len(p_rows) == 11
    assert (p_rows["audit_consistent"] == "yes").all()
    assert (p_rows["audit_holm"] == "significant").sum() == 5     # by hand, see above
    assert (p_rows["audit_bh"] == "significant").sum() == 11
    pct = led[led["claim"].str.endswith("(%)")]
    assert len(pct) == 4 and (pct["audit_consistent"] == "yes").all()
    assert (led.loc[led["section"] == "GRID-HAMD", "audit_consistent"] == "").all()


# --------------------------------------------------------------------------- BY and a selected family (N4)


def _by_hand(p, m, alpha=0.05):
    """Benjamini-Yekutieli and Holm by hand over a family of m, the untested ones larger than every given p."""
    p = np.sort(np.asarray(p, float))
    k = len(p)
    c_m = np.sum(1 / np.arange(1, m + 1))
    by_ok = [p[i] <= (i + 1) * alpha / (m * c_m) for i in range(k)]
    last = max([i for i in range(k) if by_ok[i]], default=-1)
    by = [i <= last for i in range(k)]
    holm = []
    for i in range(k):
        if p[i] <= alpha / (m - i) and (not holm or holm[-1]):
            holm.append(True)
        else:
            holm.append(False)
    return by, holm


def test_benjamini_yekutieli_by_hand_on_the_published_p_values():
    tab = published_consistency()
    for m in (11, 28):
        mt = multiple_testing(tab["p"], family_size=m)
        order = np.argsort(tab["p"].to_numpy(), kind="stable")
        by, holm = _by_hand(tab["p"], m)
        assert mt["by"].to_numpy()[order].tolist() == by, m
        assert mt["holm"].to_numpy()[order].tolist() == holm, m
    # BY is never more lenient than BH, and equals it with one test
    mt = multiple_testing(tab["p"])
    assert (mt["by_p"] >= mt["bh_p"] - 1e-15).all()
    one = multiple_testing([0.02])
    assert one["by_p"].iloc[0] == pytest.approx(one["bh_p"].iloc[0])


def test_by_adjusted_p_on_the_benjamini_hochberg_1995_example():
    p = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240, 0.4262, 0.5719,
         0.6528, 0.7590, 1.000]
    mt = multiple_testing(p)
    c = sum(1 / j for j in range(1, 16))
    # the third smallest: min over k >= 3 of (m c / k) p_(k), capped at 1
    want = min(min(15 * c / k * p[k - 1] for k in range(3, 16)), 1.0)
    assert mt["by_p"].iloc[2] == pytest.approx(want)
    # .0019 <= 3 * .05 / (15 * 3.318) = .0030, but .0095 > 4 * .05 / (15 * 3.318) = .0040 (and so on)
    assert mt["by"].tolist() == [True] * 3 + [False] * 12


def test_a_larger_family_never_keeps_more_and_is_refused_below_the_given():
    p = published_consistency()["p"]
    kept = [int(multiple_testing(p, family_size=m)["holm"].sum()) for m in (11, 15, 28, 60)]
    assert kept == sorted(kept, reverse=True)
    with pytest.raises(AuditError, match="family_size = 5"):
        multiple_testing(p, family_size=5)


# --------------------------------------------------------------------------- what the matrix check can show (N3)


def test_a_pairwise_complete_matrix_from_one_dataset_can_be_non_positive_definite():
    """Chapter 10: a failed check would not show that the entries cannot come from one dataset."""
    import pandas as pd

    rng = np.random.default_rng(1)
    t = rng.standard_normal((3, 8))
    e = 0.3 * rng.standard_normal((6, 8))
    nan = np.full(8, np.nan)
    # three groups of one dataset, each missing one variable: x=y, y=z, x=-z within the groups that see them
    x = np.concatenate([t[0] + e[0], nan, t[2] + e[1]])
    y = np.concatenate([t[0] + e[2], t[1] + e[3], nan])
    z = np.concatenate([nan, t[1] + e[4], -t[2] + e[5]])
    r = pd.DataFrame({"x": x, "y": y, "z": z}).corr()  # pairwise-complete, as the paper's
    assert r.loc["x", "y"] > 0.8 and r.loc["y", "z"] > 0.8 and r.loc["x", "z"] < -0.8
    assert np.linalg.eigvalsh(r.to_numpy()).min() < 0


def test_three_variable_bounds_are_outer_bounds_of_the_sharp_one():
    """One unknown entry among four variables: the sharp range (every PSD completion) is strictly inside."""
    c = np.array([[1.0, np.nan, 0.5, 0.5],
                  [np.nan, 1.0, 0.5, -0.5],
                  [0.5, 0.5, 1.0, 0.3],
                  [0.5, -0.5, 0.3, 1.0]])
    lo3, hi3 = pair_bounds(0.5, 0.5)
    lo4, hi4 = pair_bounds(0.5, -0.5)
    outer = (max(lo3, lo4), min(hi3, hi4))
    c0 = np.nan_to_num(c, nan=0.0)
    sharp = one_entry_bounds(c0, 0, 1)
    # the sharp range by brute force: the x at which the smallest eigenvalue stays >= 0
    grid = np.linspace(-1, 1, 40001)
    ok = []
    for v in grid:
        m = c0.copy()
        m[0, 1] = m[1, 0] = v
        ok.append(np.linalg.eigvalsh(m).min() >= -1e-12)
    feasible = grid[np.array(ok)]
    assert sharp == pytest.approx((feasible.min(), feasible.max()), abs=1e-4)
    assert outer[0] < sharp[0] - 0.05 and sharp[1] + 0.05 < outer[1]


def test_chapter_10_does_not_say_a_failed_matrix_check_rules_out_one_dataset():
    import json
    from pathlib import Path

    nb = Path(__file__).resolve().parents[1] / "notebooks" / "10_checking_published.ipynb"
    text = " ".join(" ".join("".join(c["source"]) for c in json.loads(nb.read_text())["cells"]
                             if c["cell_type"] == "markdown").split())
    assert "not come from one dataset" not in text
    assert "pairwise-complete" in text and "outer bounds" in text


def test_holm_is_statsmodels_holm_bit_for_bit(monkeypatch):
    import gc

    from statsmodels.stats.multitest import multipletests

    from psyalliance.audit.audit import holm

    # multipletests calls gc.collect() on every call: 80 full collections of make test's one big process took
    # 22 s (0.06 s each alone); collecting garbage changes no number, so the reference runs without it here
    monkeypatch.setattr(gc, "collect", lambda *args, **kwargs: 0)

    rng = np.random.default_rng(11)
    for m in (1, 2, 7, 40):
        for _ in range(20):
            p = np.round(rng.beta(0.4, 2, size=m), 3)  # rounded: ties, as printed p values have
            rej, adj = holm(p, 0.05)
            ref_rej, ref_adj = multipletests(p, alpha=0.05, method="holm")[:2]
            assert np.array_equal(rej, ref_rej) and np.array_equal(adj, ref_adj)
