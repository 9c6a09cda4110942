"""The facts file loads, validates, and its inferred numbers follow from the published ones."""

import copy

import numpy as np
import pytest
import yaml
from scipy import stats

from psyalliance.study.facts import FACTS_PATH, SOURCES, FactsError, load_facts, validate


@pytest.fixture()
def raw():
    with FACTS_PATH.open() as fh:
        return yaml.safe_load(fh)


def test_loads_and_every_record_has_a_known_source():
    facts = load_facts()
    for name, table in facts.tables.items():
        assert set(table["source"]) <= set(SOURCES), name
        assert table["cite"].notna().all(), name


def test_eleven_published_correlations_from_the_paper():
    corr = load_facts().correlations
    assert len(corr) == 11
    assert set(corr["source"]) == {"paper"}


def test_citation_keys_exist_in_bibliography():
    bib = (FACTS_PATH.parents[1] / "book" / "references.bib").read_text()
    facts = load_facts()
    keys = {facts.study["cite"]}
    for table in facts.tables.values():
        keys |= set(table["cite"])
    for key in keys:
        assert "{" + key + "," in bib, f"citation key {key!r} is not in book/references.bib"


def _two_tailed_p(r: float, n: int) -> float:
    t = abs(r) * np.sqrt(n - 2) / np.sqrt(1 - r * r)
    return float(2 * stats.t.sf(t, n - 2))


def _consistent(r: float, p: float, op: str, n: int) -> bool:
    """Is some r' that rounds to r (two decimals) at this n consistent with the printed p?"""
    for r_ in np.linspace(r - 0.005, r + 0.005, 201):
        p_ = _two_tailed_p(r_, n)
        if (op == "=" and abs(p_ - p) <= 0.0005) or (op == "<" and p_ < p):
            return True
    return False


@pytest.mark.parametrize("i", range(11))
def test_back_solved_n_is_consistent_with_r_and_p(i):
    row = load_facts().correlations.iloc[i]
    assert _consistent(row.r, row.p, row.p_op, int(row.n)), (row.x, row.y, row.n)
    # the bounds are tight, for "p =" and "p <" alike: one participant outside them, the printed p is
    # impossible (a "p < .001" is consistent at every n above its lowest, so its n_high is the sample)
    assert _consistent(row.r, row.p, row.p_op, int(row.n_low)), (row.x, row.y, row.n_low)
    assert not _consistent(row.r, row.p, row.p_op, int(row.n_low) - 1), (row.x, row.y, row.n_low)
    assert _consistent(row.r, row.p, row.p_op, int(row.n_high)), (row.x, row.y, row.n_high)
    if row.n_high < load_facts().value("design", "n_analysed"):  # else capped by the sample
        assert not _consistent(row.r, row.p, row.p_op, int(row.n_high) + 1)


def test_inferred_hamd_sds_follow_from_the_published_d():
    # d = (M_b - M_t) / sqrt((SD_b^2 + SD_t^2) / 2): the d values are in the notes
    hamd = load_facts().hamd.set_index("name")
    base_m, base_sd = hamd.loc["hamd_baseline", ["mean", "sd"]]
    for name, d in {"hamd_4wk": 2.3, "hamd_3mo": 2.0, "hamd_6mo": 2.6, "hamd_12mo": 2.4}.items():
        assert f"d = {d}" in hamd.loc[name, "note"]
        m, sd = hamd.loc[name, ["mean", "sd"]]
        implied_sd = np.sqrt(2 * ((base_m - m) / d) ** 2 - base_sd**2)
        assert abs(implied_sd - sd) < 0.1, (name, implied_sd, sd)


def test_sample_arms_add_up():
    facts = load_facts()
    v = lambda name: facts.value("design", name)  # noqa: E731
    assert v("n_immediate") + v("n_delayed") == v("n_analysed")


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d["correlations"][0].pop("p"), r"correlations\[0\] \(alliance_prep~hamd_4wk\): missing field 'p'"),
        (lambda d: d["correlations"][1].update(r=-1.4), r"r = -1.4 is outside the valid range \[-1.0, 1.0\]"),
        (lambda d: d["correlations"][2].update(p=1.5), r"p = 1.5 is outside the valid range \[0.0, 1.0\]"),
        (lambda d: d["hamd"][0].update(mean=60), r"hamd\[0\] \(hamd_baseline\): mean = 60 is outside the valid range \[0, 52\]"),
        (lambda d: d["design"][0].update(source="blog"), r"source = 'blog' is not one of paper, release"),
        (lambda d: d["measures"][0].update(item_min=6), r"item_min = 6 must be below item_max = 5"),
        (lambda d: d["scale_assumptions"][0].update(sd=-0.5), r"sd = -0.5 is outside the valid range"),
        (lambda d: d["correlations"][3].update(p_op="~"), r"p_op = '~' must be '=' or '<'"),
        (lambda d: d.pop("hamd"), r"lacks section\(s\): hamd"),
        (lambda d: d["correlation_assumptions"][0].update(r=0.95), r"outside its own range"),
        (lambda d: d["measures"][1]["subscales"].update(extra=[31]), r"item numbers \[31\] outside 1-30"),
    ],
)
def test_bad_entries_raise_clear_errors(raw, mutate, message):
    bad = copy.deepcopy(raw)
    mutate(bad)
    with pytest.raises(FactsError, match=message):
        validate(bad)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="facts file not found"):
        load_facts(tmp_path / "nope.yaml")


def test_facts_n_limits_equal_the_audit_chapters_recomputation():
    """Chapter 10 prints audit.published_consistency's n range; the facts file must give the same, "p <" included."""
    from psyalliance.audit.audit import published_consistency

    corr = load_facts().correlations.reset_index(drop=True)
    audit = published_consistency()
    assert list(audit["n_consistent_low"].astype(int)) == list(corr["n_low"].astype(int))
    assert list(audit["n_consistent_high"].astype(int)) == list(corr["n_high"].astype(int))


def test_the_d_z_stated_in_the_alliance_change_note_follows_from_p_and_n():
    """The note's d_z = t(1 - p/2; n - 1) / sqrt(n) at p = .03 and its rounding interval, recomputed here."""
    import re

    note = load_facts().alliance_change.set_index("name").loc["d", "note"]
    m = re.search(r"n = (\d+) and p = (\.\d+), d_z would be (\.\d+) \((\.\d+) to (\.\d+)", note)
    assert m, note
    n, p, dz, lo, hi = int(m[1]), float(m[2]), float(m[3]), float(m[4]), float(m[5])
    dz_of = lambda pp: stats.t.isf(pp / 2, n - 1) / np.sqrt(n)  # noqa: E731
    assert round(dz_of(p), 2) == dz
    assert round(dz_of(p + 0.005), 3) == lo and round(dz_of(p - 0.005), 3) == hi


def test_the_n_stated_in_a_p_below_note_gives_that_p():
    import re

    corr = load_facts().correlations
    for row in corr[corr["p_op"] == "<"].itertuples():
        m = re.search(r"at n = (\d+), r = (-?\.\d+) gives p = (\.\d+)", row.note)
        if m:
            assert int(m[1]) == row.n_low
            assert round(_two_tailed_p(float(m[2]), int(m[1])), 4) == float(m[3])
