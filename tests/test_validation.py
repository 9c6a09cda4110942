"""Bad input gets a clear error from the package: the error type, the bad value and the valid range.

One test per class of bad input; the messages are matched on what a user needs
to read in them (the value, the column or line, the valid range or the option
that lifts the check). The valid ranges come from the facts file (alliance
item means 1-5, MEQ30/PIQ item means 0-5, GRID-HAMD totals 0-52).
"""

import re
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from psyalliance import FactsError, claims_ledger, fit_model, load_facts
from psyalliance.errors import DataError, ResourceError, SettingsError, check_memory, check_seed, check_weights
from psyalliance.sem.models import ModelError
from psyalliance.sem.registry import MODELS
from psyalliance.sem.syntax import ModelSyntaxError, read_syntax, regressions
from psyalliance.simulation.simulate import load_dataset
from psyalliance.study.datacheck import scale_ranges
from psyalliance.study.facts import FACTS_PATH

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def data():
    return load_dataset()


def _with(data, col, row, value):
    d = data.copy()
    d[col] = d[col].astype(float)
    d.loc[row, col] = value
    return d


# --------------------------------------------------------------------------- model syntax

@pytest.mark.parametrize("syntax, message", [
    ("hamd_4wk ~ hamd_4wk + alliance_post2", r"line 1 .*hamd_4wk is regressed on itself \(a self-loop\)"),
    ("hamd_4wk ~ b*hamd_4wk", r"hamd_4wk is regressed on itself"),
    ("hamd_4wk ~ alliance_post2\nalliance_post2 ~ hamd_4wk", r"not recursive.*feedback cycle (alliance_post2 <- hamd_4wk <- alliance_post2|hamd_4wk <- alliance_post2 <- hamd_4wk)"),
    ("hamd_4wk ~ alliance_post2\nalliance_post2 ~ hamd_12mo\nhamd_12mo ~ hamd_4wk", r"not recursive.*cycle"),
    ("", r"the syntax is empty \(or only comments\)"),
    ("# nothing\n   # here\n", r"the syntax is empty \(or only comments\)"),
    ("hamd_4wk ~ a*b*alliance_post2", r"the term 'a\*b\*alliance_post2' has 2 '\*'; a term takes at most one modifier"),
    ("hamd_4wk ~~ alliance_post2", r"no regression"),
    ("hamd_4wk ~ alliance_post2 +", r"line 1 .*empty term"),
    ("f =~ hamd_4wk + hamd_12mo", r"line 1 .*latent variables \(=~\) are unsupported"),
    ("hamd_4wk alliance_post2", r"line 1 .*no operator"),
    ("hamd_4wk ~ 0.5*alliance_post2", r"only paths and covariances fixed at 0 are supported; cannot fit hamd_4wk ~ 0.5\*alliance_post2"),
    ("hamd_4wk ~ alliance_post2\na == b", r"line 2 'a == b': equality constraints \(==\) are unsupported"),
])
def test_fit_model_refuses_bad_syntax(data, syntax, message):
    with pytest.raises(ModelSyntaxError, match=message):
        fit_model("mine", data, syntax=syntax)
    assert issubclass(ModelSyntaxError, ModelError)


def test_syntax_must_be_a_string(data):
    with pytest.raises(ModelSyntaxError, match="syntax must be a string.*got int"):
        fit_model("mine", data, syntax=123)


@pytest.mark.parametrize("syntax", ["y ~ y + x", "y ~ a*b*x", "  # only a comment"])
def test_the_batched_estimator_reads_syntax_with_the_same_reader(syntax):
    from psyalliance.sem.paths import parse_model

    with pytest.raises(ModelSyntaxError):
        parse_model(syntax)


def test_reader_accepts_both_multi_outcome_spellings_and_the_registry():
    for spelling in ("y1 + y2 ~ a*x1 + x2", "y1, y2 ~ a*x1 + x2"):
        st = read_syntax(spelling)
        assert st.endogenous == ("y1", "y2")
        assert regressions(st) == [("y1", "x1", "a"), ("y1", "x2", None), ("y2", "x1", "a"), ("y2", "x2", None)]
    for name, syntax in MODELS.items():
        assert read_syntax(syntax, name).regressions


# --------------------------------------------------------------------------- data

def test_values_outside_an_instruments_range_name_value_row_and_range(data):
    row = int(np.flatnonzero(data["id"] == "P07")[0])
    with pytest.raises(DataError, match=r"hamd_4wk has -10 in row P07; GRID-HAMD totals are 0-52.*ranges=\{'hamd_4wk'"):
        fit_model("m1_mediation", _with(data, "hamd_4wk", row, -10.0))
    ok = int(np.flatnonzero(data["alliance_prep"].notna())[0])
    with pytest.raises(DataError, match=r"alliance_prep has 7 in row P\d\d; WAI-SR item means are 1-5"):
        fit_model("m1_mediation", _with(data, "alliance_prep", ok, 7.0))
    with pytest.raises(DataError, match=r"mystical_peak has 6.5 .*MEQ30 item means are 0-5"):
        fit_model("m1_mediation", _with(data, "mystical_peak", ok, 6.5), missing="fiml")


def test_the_ranges_come_from_the_facts_file():
    facts = load_facts()
    got = scale_ranges(facts)
    for rec in facts.measures.itertuples():
        low = 0.0 if rec.score == "total" else float(rec.item_min)
        assert got[rec.name][:2] == (low, float(rec.item_max))
    assert got["hamd"][:2] == (0.0, 52.0) and got["alliance"][:2] == (1.0, 5.0)


def test_a_user_with_other_scales_passes_ranges(data):
    d = data.copy()
    d["hamd_4wk"] = d["hamd_4wk"] * 100  # GRID-HAMD x 100
    with pytest.raises(DataError, match=r"hamd_4wk has \d+ in row P\d\d .*GRID-HAMD totals are 0-52"):
        fit_model("m1_mediation", d)
    scaled = fit_model("m1_mediation", d, ranges={"hamd_4wk": (0, 5200)})
    plain = fit_model("m1_mediation", data)
    assert scaled.fit["chisq"] == pytest.approx(plain.fit["chisq"], abs=1e-6)  # scale-free
    assert fit_model("m1_mediation", d, ranges=False).n == plain.n
    with pytest.raises(DataError, match=r"the range you gave for hamd scores is 0-10"):
        fit_model("m1_mediation", data, ranges={"hamd": (0, 10)})
    with pytest.raises(DataError, match=r"ranges\['hamd'\] = \(5, 1\) must be a pair"):
        fit_model("m1_mediation", data, ranges={"hamd": (5, 1)})


@pytest.mark.parametrize("missing", ["listwise", "fiml"])
def test_inf_is_refused_under_either_estimator(data, missing):
    with pytest.raises(DataError, match=r"hamd_4wk has inf in row P07; values must be finite numbers"):
        fit_model("m3_durability", _with(data, "hamd_4wk", 6, np.inf), missing=missing)


@pytest.mark.parametrize("missing", ["listwise", "fiml"])
def test_collinear_predictors_are_refused_under_either_estimator(data, missing):
    d = data.copy()
    d["x2"] = 2 * d["alliance_post2"] + 1
    with pytest.raises(DataError, match=r"perfectly (collinear|correlated).*x2.*alliance_post2|alliance_post2.*x2"):
        fit_model("mine", d, missing=missing, syntax="hamd_4wk ~ alliance_post2 + x2")


def test_a_three_way_dependence_is_named(data):
    d = data.copy()
    d["x3"] = d["alliance_post2"] - 0.5 * d["mystical_peak"]
    with pytest.raises(DataError, match=r"perfectly collinear in the \d+ complete rows \(.*x3.*\)"):
        fit_model("mine", d, syntax="hamd_4wk ~ alliance_post2 + mystical_peak + x3")


@pytest.mark.parametrize("missing", ["listwise", "fiml"])
def test_a_constant_column_is_refused_under_either_estimator(data, missing):
    d = data.copy()
    d["c"] = 3.0
    with pytest.raises(DataError, match=r"c is constant \(3 in all 24 observed values"):
        fit_model("mine", d, missing=missing, syntax="hamd_4wk ~ alliance_post2 + c")


def test_non_numeric_and_boolean_columns(data):
    d = data.copy()
    d["alliance_prep"] = d["alliance_prep"] > 4
    with pytest.raises(DataError, match=r"not numeric: alliance_prep \(bool\)"):
        fit_model("m1_mediation", d)
    with pytest.raises(DataError, match="must be a pandas DataFrame"):
        fit_model("m1_mediation", data.to_numpy())


def test_claims_ledger_checks_the_data(data):
    with pytest.raises(DataError, match=r"claims_ledger: hamd_4wk has -10 in row P07; GRID-HAMD totals are 0-52"):
        claims_ledger(_with(data, "hamd_4wk", 6, -10.0))
    with pytest.raises(DataError, match=r"claims_ledger: alliance_prep has 7 .*WAI-SR item means are 1-5"):
        claims_ledger(_with(data, "alliance_prep", 6, 7.0))
    with pytest.raises(DataError, match=r"claims_ledger: hamd_4wk has inf"):
        claims_ledger(_with(data, "hamd_4wk", 6, np.inf))
    with pytest.raises(DataError, match=r"claims_ledger: the data lack the column\(s\) hamd_4wk"):
        claims_ledger(data.drop(columns=["hamd_4wk"]))


def test_bootstrap_and_batched_fits_refuse_inf(data):
    from psyalliance.sem.effects import BootstrapSettings, bootstrap_effects
    from psyalliance.sem.paths import fit_dataframe
    from psyalliance.sem.registry import EFFECTS
    from psyalliance.trust.montecarlo import percentile_bootstrap

    bad = _with(data, "hamd_4wk", 6, np.inf)
    with pytest.raises(DataError, match=r"bootstrap_effects: hamd_4wk has inf in row P07"):
        bootstrap_effects(MODELS["m1_mediation"], bad, EFFECTS["m1_mediation"], BootstrapSettings(n_resamples=1000))
    with pytest.raises(DataError, match=r"fit_dataframe: hamd_4wk has inf in row P07"):
        fit_dataframe("murphy2022", bad)
    x = np.random.default_rng(1).normal(size=(20, 3))
    x[5, 2] = np.inf
    with pytest.raises(SettingsError, match=r"data hold inf at sample 0, row 5, column hamd_4wk.*must be finite"):
        percentile_bootstrap("murphy2022", x, 200, rng=np.random.default_rng(1))


# --------------------------------------------------------------------------- facts file

def _facts_file(tmp_path, text, name="facts.yaml"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


TEXT = FACTS_PATH.read_text(encoding="utf-8")


@pytest.mark.parametrize("old, new, message", [
    ("correlations:\n", "correlations:\n  - {x: hamd_4wk, y: alliance_prep, r: -0.1, p: 0.002, p_op: \"=\", n: 20, "
     "n_low: 19, n_high: 21, source: paper, cite: levin2024, note: dup}\n",
     r"correlations\[\d+\] \(alliance_prep~hamd_4wk\): duplicates correlations\[0\] \(hamd_4wk~alliance_prep\)"),
    ("correlation_assumptions:\n", "correlation_assumptions:\n  - {x: hamd_4wk, y: alliance_prep, r: -0.1, low: -0.2, "
     "high: 0.0, source: assumption, cite: levin2024, note: dup}\n",
     r"correlation_assumptions\[0\] \(hamd_4wk~alliance_prep\): the pair is also correlations\[0\].*published or assumed, not both"),
    ("design:\n", "design:\n  - {name: n_analysed, value: 30, unit: participants, source: paper, cite: levin2024, note: dup}\n",
     r"design\[\d+\] \(n_analysed\): duplicates design\[0\] \(n_analysed\)"),
    ("{name: response_1wk_pct, value: 71,", "{name: response_1wk_pct, value: 710,",
     r"outcomes\[0\] \(response_1wk_pct\): value \(percent\) = 710 is outside the valid range \[0, 100\]"),
    ("{name: response_drop_fraction, value: 0.5,", "{name: response_drop_fraction, value: 50,",
     r"value \(fraction\) = 50 is outside the valid range \[0, 1\]"),
])
def test_facts_file_duplicates_and_percentages(tmp_path, old, new, message):
    assert old in TEXT
    with pytest.raises(FactsError, match=message):
        load_facts(_facts_file(tmp_path, TEXT.replace(old, new, 1)))


def test_a_count_above_the_randomized_and_a_folder_are_refused(tmp_path):
    more = TEXT.replace("{name: n_women, value: 16,", "{name: n_women, value: 30,")
    with pytest.raises(FactsError, match=r"sample\[\d\] \(n_women\): value = 30 participants is more than the 27 randomized"):
        load_facts(_facts_file(tmp_path, more))
    with pytest.raises(FactsError, match="is not a file"):
        load_facts(tmp_path)


def test_a_section_or_key_given_twice_is_a_yaml_error_with_its_line(tmp_path):
    twice = TEXT + "\nhamd:\n  - {name: hamd_4wk, mean: 30, sd: 7.6, sd_source: trial, source: trial, cite: x, note: y}\n"
    path = _facts_file(tmp_path, twice)
    line = len(TEXT.splitlines()) + 2
    with pytest.raises(FactsError, match=rf"{re.escape(str(path))}, line {line}, column 1: the key 'hamd' appears twice"):
        load_facts(path)
    field = TEXT.replace("{name: n_analysed, value: 24,", "{name: n_analysed, value: 24, value: 25,")
    with pytest.raises(FactsError, match=r"line \d+, column \d+: the key 'value' appears twice in one mapping"):
        load_facts(_facts_file(tmp_path, field, "field.yaml"))


def test_a_yaml_syntax_error_is_a_facts_error_with_file_and_line(tmp_path):
    broken = TEXT.replace("design:\n", "design:\n  - {name: [unclosed\n", 1)
    path = _facts_file(tmp_path, broken)
    line = TEXT.splitlines().index("design:") + 3  # the line after the broken one, where the parser gives up
    with pytest.raises(FactsError, match=rf"{re.escape(str(path))}, line {line}, column \d+: expected ',' or ']'"):
        load_facts(path)


def test_an_edited_file_is_read_again_and_callers_get_their_own_copy(tmp_path):
    path = _facts_file(tmp_path, TEXT)
    first = load_facts(path)
    assert first.value("design", "n_analysed") == 24
    path.write_text(TEXT.replace("{name: n_analysed, value: 24,", "{name: n_analysed, value: 23,"), encoding="utf-8")
    assert load_facts(path).value("design", "n_analysed") == 23  # not the stale cached 24
    a = load_facts()
    a.correlations.loc[0, "r"] = 0.99
    a.records["design"][0]["value"] = 1
    b = load_facts()
    assert b is not a and b.correlations.loc[0, "r"] == -0.65 and b.value("design", "n_randomized") == 27


# --------------------------------------------------------------------------- settings

@pytest.mark.parametrize("seed", [-1, 1.5, "7", True, None])
def test_seeds_must_be_non_negative_whole_numbers(seed):
    from psyalliance.sem.effects import BootstrapSettings
    from psyalliance.trust.montecarlo import MonteCarloSettings

    for make in (lambda: MonteCarloSettings(seed=seed), lambda: BootstrapSettings(seed=seed),
                 lambda: check_seed(seed)):
        with pytest.raises(SettingsError, match=rf"seed = {re.escape(repr(seed))} is not allowed; a seed is a whole number >= 0"):
            make()


def test_other_entry_points_check_their_seeds():
    from psyalliance.trust.montecarlo import run_over_n
    from psyalliance.trust.sensitivity import sensitivity_table

    with pytest.raises(SettingsError, match=r"sensitivity_table seed = -3 is not allowed"):
        sensitivity_table(reps=10, seed=-3)
    with pytest.raises(SettingsError, match=r"run_over_n seed = 2.5 is not allowed"):
        run_over_n((24,), reps=10, seed=2.5)


@pytest.mark.parametrize("kwargs, message", [
    ({"reps": 10.0}, r"reps = 10.0 is not allowed; it must be a whole number >= 1"),
    ({"chunk_cells": 0.5}, r"chunk_cells = 0.5 is not allowed; it must be a whole number >= 1"),
    ({"alpha": float("nan")}, r"alpha = nan is not allowed; it must be a number strictly between 0 and 1"),
    ({"boot_resamples": 99}, r"boot_resamples = 99 is not allowed; it must be a whole number >= 100"),
])
def test_montecarlo_settings(kwargs, message):
    from psyalliance.trust.montecarlo import MonteCarloSettings

    with pytest.raises(SettingsError, match=message):
        MonteCarloSettings(**kwargs)


def test_bootstrap_settings():
    from psyalliance.sem.effects import BootstrapSettings

    with pytest.raises(SettingsError, match=r"n_resamples = 1500.5 is not allowed; it must be a whole number >= 1000"):
        BootstrapSettings(n_resamples=1500.5)
    with pytest.raises(SettingsError, match=r"level = 95 is not allowed; it must be a number strictly between 0 and 1"):
        BootstrapSettings(level=95)


@pytest.mark.parametrize("weights, message", [
    ([0.25, 0.25], r"MissingPattern weights sum to 0.5; shares must sum to 1"),
    ([1.5, -0.5], r"MissingPattern weights = \[1.5, -0.5\] must be finite shares >= 0"),
    ([1.0], r"2 pattern\(s\) but 1 weight\(s\)"),
])
def test_missing_pattern_weights(weights, message):
    from psyalliance.trust.montecarlo import MissingPattern

    with pytest.raises(SettingsError, match=message):
        MissingPattern(pd.DataFrame({"alliance_prep": [True, False]}), np.array(weights))


def test_check_weights_accepts_shares():
    assert check_weights([0.5, 0.25, 0.25]).tolist() == [0.5, 0.25, 0.25]


# --------------------------------------------------------------------------- memory and time

def test_memory_check_refuses_and_gives_the_numbers():
    with pytest.raises(ResourceError, match=r"job X would need about 5 GB of memory at once; 2 GB are available"):
        check_memory(5e9, "job X", "Lower it.", available=2 * 10**9)
    check_memory(1e9, "job X", "Lower it.", available=2 * 10**9)  # fits: no error


def test_long_jobs_estimate_their_memory_before_starting(data):
    from psyalliance.sem.effects import BootstrapSettings, bootstrap_effects, bootstrap_memory
    from psyalliance.sem.registry import EFFECTS
    from psyalliance.trust.montecarlo import MonteCarloSettings, montecarlo_memory, run_montecarlo

    settings = BootstrapSettings(n_resamples=10**11)
    # 10^11 resamples of 20 rows x 4 columns: at least 10^11 * 20 * 4 * 8 bytes = 64 TB of resampled data alone
    assert bootstrap_memory(10**11, 20, 4, 5) >= 10**11 * 20 * 4 * 8
    with pytest.raises(ResourceError, match=r"bootstrap_effects \(100,000,000,000 resamples of 16 rows\) would need "
                                            r"about [\d,]+ GB of memory at once; [\d.]+ GB are available.*Lower n_resamples"):
        bootstrap_effects(MODELS["m1_mediation"], data, EFFECTS["m1_mediation"], settings)
    mc = MonteCarloSettings(reps=10, boot_resamples=10**10, indirect_ci="bootstrap", models=("murphy2022",))
    assert montecarlo_memory(mc, 3, [3]) >= 10 * 10**10 * 24 * 3 * 8
    with pytest.raises(ResourceError, match=r"run_montecarlo .*boot_resamples = 10,000,000,000.* GB"):
        run_montecarlo(mc, correlations=False)
    big = MonteCarloSettings(reps=10**12, models=("murphy2022",))
    with pytest.raises(ResourceError, match=r"reps = 1,000,000,000,000"):
        run_montecarlo(big, correlations=False)


def test_the_exact_simulator_refuses_an_n_it_cannot_finish():
    from psyalliance.simulation.simulate import MAX_N, SimulationError, simulate_dataset

    with pytest.raises(SimulationError, match=rf"n = 100000 is too large for method='exact'.*n <= {MAX_N['exact']}"
                                              r".*method='population'"):
        simulate_dataset(n=100_000, method="exact")


# --------------------------------------------------------------------------- make data

def test_make_data_writes_into_the_checkout_it_is_run_from(tmp_path):
    """`make -n data` run in another folder spells every path from that folder and imports its src/."""
    for name in ("Makefile", "requirements.txt", "pyproject.toml"):
        (tmp_path / name).write_text((ROOT / name).read_text())
    out = subprocess.run(["make", "-n", "-C", str(tmp_path), "data"], capture_output=True, text=True, check=True).stdout
    lines = [ln for ln in out.replace("\\\n", " ").splitlines() if "psyalliance" in ln]
    assert len(lines) == 2
    for ln in lines:
        assert f"PYTHONPATH={tmp_path}/src" in ln and f"--expect-root {tmp_path}" in ln
        outs = re.findall(r"--out (\S+)", ln)
        assert outs and all(o.startswith(f"{tmp_path}/data/simulated") for o in outs)


def test_the_writers_refuse_a_package_from_another_checkout(tmp_path):
    from psyalliance.simulation.simulate import check_root

    check_root(ROOT)  # this checkout: fine
    with pytest.raises(SystemExit, match=rf"imported from {re.escape(str(ROOT))}, not from the checkout"):
        check_root(tmp_path)
