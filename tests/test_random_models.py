"""fit_model on random recursive path models against R lavaan's committed output (tests/lavaan/random/).

The models and datasets come from psyalliance.sem.randommodels by seed (FIXED_SEEDS, both estimators);
lavaan's output was written by `make lavaan-random` (the command is in tests/lavaan/random/meta.csv).
A larger fresh set is refitted with lavaan and compared in .ci/run (`make lavaan-random-check`).
Before the fix, 6 of these 8 models reached another point than lavaan's, without a word: semopy's
default classification put the covariance of a pure outcome with a mediator outside the paths.
"""

import functools
import hashlib
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from psyalliance.sem import models as models_module
from psyalliance.sem import randommodels as rm
from psyalliance.sem.models import ConvergenceError, check_optimum, fit_model
from psyalliance.sem.syntax import read_syntax

FIXED = rm.random_models(rm.FIXED_SEEDS)
BY_NAME = {m.name: m for m in FIXED}


def test_committed_models_are_what_the_seeds_make():
    """Same seed, same syntax and the same dataset bytes as the ones lavaan was given."""
    committed = pd.read_csv(rm.FIXED_DIR / "models.csv", keep_default_na=False)
    fresh = rm.model_table(FIXED)
    assert list(committed.name) == list(fresh.name)
    assert list(committed.syntax) == list(fresh.syntax)
    assert list(committed.data_sha256) == list(fresh.data_sha256)


def test_fixed_set_has_covariances_of_a_mediator_with_a_pure_outcome():
    """The case semopy got wrong: a residual covariance between a variable that predicts another and one that does not."""
    for estimator in ("listwise", "fiml"):
        hits = 0
        for m in (m for m in FIXED if m.estimator == estimator):
            spec = read_syntax(m.syntax)
            pure = set(spec.pure_outcomes)
            hits += any((c.left in pure) != (c.term.var in pure) for c in spec.covariances)
        assert hits >= 2, estimator


ROOT = Path(__file__).resolve().parents[1]


@functools.cache
def _compared(name):
    return rm.compare_random([BY_NAME[name]], rm.FIXED_DIR)


@pytest.mark.parametrize("name", list(BY_NAME))
def test_every_number_equals_lavaans(name):
    table = _compared(name)
    assert set(table.kind) == {"estimate", "se", "std.all", "fit"}
    assert not table.lavaan.isna().all()
    bad = table[~table.ok]
    assert bad.empty, f"{name}: {len(bad)} numbers differ from lavaan:\n{bad.to_string()}"


def test_the_counts_the_book_quotes_are_the_numbers_compared():
    counts = rm.committed_counts()
    assert counts["models"] == len(FIXED)
    assert counts["numbers"] == sum(len(_compared(m.name)) for m in FIXED)
    assert counts["listwise"] == counts["fiml"] == len(rm.FIXED_SEEDS)


def test_ci_refits_the_fresh_set_the_book_names():
    makefile = (ROOT / "Makefile").read_text()
    seeds = re.search(r"^RANDOM_SEEDS \?= (\S+?)(#|\s|$)", makefile, re.M).group(1)
    assert rm.parse_seeds(seeds) == list(rm.CI_SEEDS)
    assert rm.parse_seeds(re.search(r"^RANDOM_FIXED_SEEDS := (\S+)", makefile, re.M).group(1)) == list(rm.FIXED_SEEDS)
    assert re.search(r"^make lavaan-random-check$", (ROOT / ".ci" / "run").read_text(), re.M)
    assert set(rm.CI_SEEDS).isdisjoint(rm.FIXED_SEEDS)


def test_plain_semopy_misses_lavaans_optimum_where_fit_model_reaches_it():
    """The chapter's example: semopy's default classification, read as the model written, fits worse."""
    table = rm.semopy_default_comparison(BY_NAME["random_listwise_0"]).set_index("fitted by")
    lavaan_chisq, ours, plain = table["chi-square"]
    assert ours == pytest.approx(lavaan_chisq, rel=1e-3)
    assert plain > lavaan_chisq + 1  # a worse point of the same likelihood
    assert table["largest |estimate - lavaan's|"].iloc[1] < 1e-4 < 0.1 < table["largest |estimate - lavaan's|"].iloc[2]
    with pytest.raises(ValueError, match="is a fiml model"):
        rm.semopy_default_comparison(BY_NAME["random_fiml_0"])


def test_semopys_default_classification_is_caught_not_reported(monkeypatch):
    """semopy without mimic_lavaan fits another model (the pure outcome's covariance outside the paths): the
    optimum check of our own likelihood refuses it from both starts."""
    import semopy

    original = semopy.Model.__init__

    def default_semopy(self, description, mimic_lavaan=False, **kwargs):
        original(self, description, mimic_lavaan=False, **kwargs)

    monkeypatch.setattr(semopy.Model, "__init__", default_semopy)
    monkeypatch.setattr(models_module, "DEFAULT_ENGINE", "semopy")  # semopy's optimizer reads its own matrices
    m = BY_NAME["random_listwise_0"]
    with pytest.raises(ConvergenceError, match=r"model 'random_listwise_0' \(missing='listwise'\) did not converge"
                                               r".*not a maximum.*OLS starting values.*R lavaan"):
        fit_model(m.name, m.data, m.estimator, syntax=m.syntax, ranges=False)


def _stall(monkeypatch, when, polish=False):
    """Make _fit_from stop short of the maximum (parameters moved by 0.05) when ``when(start)`` is true; without
    ``polish`` the trust-constr polish does nothing. Returns the list of starts tried (None: semopy's).
    The fits use the semopy engine (the numpy engine's fallback), whose starts these tests are about."""
    monkeypatch.setattr(models_module, "DEFAULT_ENGINE", "semopy")
    original = models_module._fit_from
    starts = []

    def stalled(model, used, obj, start):
        starts.append(start)
        out = original(model, used, obj, start)
        if when(start):
            model.param_vals = model.param_vals + 0.05
            model.update_matrices(model.param_vals)
        return out

    monkeypatch.setattr(models_module, "_fit_from", stalled)
    if not polish:
        monkeypatch.setattr(models_module, "_polish", lambda model, used, obj: None)
    return starts


@pytest.mark.parametrize("name", ["random_listwise_0", "random_fiml_2"])
def test_a_second_start_reaches_lavaans_optimum_when_the_first_stalls(monkeypatch, name):
    starts = _stall(monkeypatch, lambda start: start is None)
    table = rm.compare_random([BY_NAME[name]], rm.FIXED_DIR)
    assert table.ok.all(), table[~table.ok].to_string()
    assert len(starts) == 2 and starts[0] is None and starts[1] is not None


def test_the_polish_rescues_a_stalled_first_start(monkeypatch):
    starts = _stall(monkeypatch, lambda start: start is None, polish=True)
    table = rm.compare_random([BY_NAME["random_listwise_0"]], rm.FIXED_DIR)
    assert table.ok.all(), table[~table.ok].to_string()
    assert starts == [None]


def test_no_start_reaching_the_maximum_is_an_error_naming_the_model_and_what_to_try(monkeypatch):
    _stall(monkeypatch, lambda start: True)
    m = BY_NAME["random_fiml_2"]
    with pytest.raises(ConvergenceError) as info:
        fit_model("my_model", m.data, m.estimator, syntax=m.syntax, ranges=False)
    text = str(info.value)
    for part in ("'my_model'", "missing='fiml'", "semopy's starting values", "OLS starting values",
                 "identified", "scales", "lavaan"):
        assert part in text


def test_newton_decrement_of_a_normal_mean_is_the_closed_form():
    """loglik of N(mu, 1) in mu: g' I^-1 g = n (xbar - mu)^2, 0 at the MLE."""
    x = np.random.default_rng(5).normal(1.0, 1.0, size=50)

    def loglik(t):
        return float(stats.norm(t[0], 1.0).logpdf(x).sum())

    assert check_optimum(loglik, np.array([x.mean()]))[0] < 1e-12
    dec, info = check_optimum(loglik, np.array([x.mean() + 0.1]))
    assert dec == pytest.approx(50 * 0.1**2, rel=1e-6)
    np.testing.assert_allclose(info, [[50.0]], rtol=1e-6)
    assert check_optimum(lambda t: float(-loglik(t)), np.array([x.mean()]))[1] is None  # a minimum: not PD


# --------------------------------------------------------------------------- the generator


def test_same_seed_same_model_and_bytes():
    a, b = rm.random_model(7, "fiml"), rm.random_model(7, "fiml")
    assert a.syntax == b.syntax
    assert hashlib.sha256(rm.data_csv(a).encode()).digest() == hashlib.sha256(rm.data_csv(b).encode()).digest()
    assert rm.random_model(8, "fiml").syntax != a.syntax or rm.data_csv(rm.random_model(8, "fiml")) != rm.data_csv(a)


def test_generated_models_are_recursive_bow_free_and_sized_as_documented():
    for m in rm.random_models(range(30)):
        spec = read_syntax(m.syntax)
        assert 4 <= len(m.data.columns) <= 7 and m.n in rm.SAMPLE_SIZES and len(m.data) == m.n
        for r in spec.regressions:
            assert int(r.term.var[1:]) < int(r.outcome[1:])  # causal order v1 -> vp: no cycle
        paths = {frozenset((r.outcome, r.term.var)) for r in spec.regressions}
        assert not any(c.pair in paths for c in spec.covariances)  # bow-free
        if m.estimator == "fiml":
            assert not m.data.isna().all(axis=1).any()
        else:
            assert not m.data.isna().any().any()
    share = np.mean([m.data.isna().to_numpy().mean() for m in rm.random_models(range(30), ("fiml",))])
    assert share == pytest.approx(rm.MISSING_SHARE, abs=0.02)


def test_bad_generator_input_is_a_clear_error():
    with pytest.raises(ValueError, match="'pairwise' is not one of listwise, fiml"):
        rm.random_model(0, "pairwise")
    with pytest.raises(ValueError, match="seed = -1 must be >= 0"):
        rm.random_model(-1, "fiml")
    assert rm.parse_seeds("3-5") == [3, 4, 5] and rm.parse_seeds("1,9") == [1, 9]
    with pytest.raises(ValueError, match="seeds 'a-b'"):
        rm.parse_seeds("a-b")
