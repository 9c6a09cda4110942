"""Every figure of the package, read as a phone shows it: smallest text at least 9 CSS px in the 390 px page's
column without enlargement, no figure wider than WIDTH_IN, titles that say the data are simulated, and the same
PNG bytes from the same input.

The figures are drawn from the book's simulated dataset, or, where the chapter runs a long Monte Carlo
experiment, from small inputs of the same shape (the same effect, condition and assumption names, so the
same labels). The browser test (tests/test_browser_pages.py) measures the figures of the built pages.
``pytest tests/test_phone_figures.py -s`` prints each figure's size and smallest text.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from psyalliance.figures.figtext import MIN_TEXT_PX, PHONE_COLUMN_PX, phone_text_px, png_with_text_sizes  # noqa: E402

MAX_WIDTH_IN = 6.0  # inches: "about 6 in or narrower"; the package draws WIDTH_IN (5.5)


def _summary(model: str) -> pd.DataFrame:
    from psyalliance.sem.paths import get_model
    from psyalliance.trust.montecarlo import SAMPLE_SIZES

    m = get_model(model)
    rows = []
    for k, (eff, kind) in enumerate([(e, "path") for e in m.path_names] + [(e, "indirect") for e in m.chain_names]):
        for n in SAMPLE_SIZES:
            rows.append({"model": model, "effect": eff, "kind": kind, "n": n,
                         "power": float(1 - np.exp(-n / (30 + 25 * k)))})
    return pd.DataFrame(rows)


def _sensitivity() -> pd.DataFrame:
    from psyalliance.trust.sensitivity import assumptions

    rows = []
    for i, lab in enumerate(assumptions()["label"][:9]):
        for (model, eff) in [("m1_mediation", "b1"), ("m1_mediation", "a2*b2"), ("m2_cycle", "b2"), ("m2_cycle", "c"),
                             ("m2_cycle", "e")]:
            for setting, shift in (("low", -0.05 * (i + 1)), ("base", 0.0), ("high", 0.04 * (i + 1))):
                rows.append({"model": model, "effect": eff, "assumption": lab, "setting": setting,
                             "power": float(np.clip(0.5 + shift, 0, 1))})
    return pd.DataFrame(rows)


def _grid() -> pd.DataFrame:
    from psyalliance.trust.robustness import CONDITIONS, ESTIMATORS

    rows = []
    for cond in CONDITIONS:
        for est in (("complete",) if cond in ("normal", "bounded") else ESTIMATORS):
            for eff in ("c", "a1*b1", "a2*b2"):
                rows.append({"condition": cond, "estimator": est, "effect": eff, "bias": 0.01, "rmse": 0.2,
                             "mcse_bias": 0.005, "coverage_t": 0.93, "mcse_t": 0.008, "coverage_percentile": 0.9,
                             "mcse_percentile": 0.02, "coverage_bca": np.nan if est == "fiml_aux" else 0.91,
                             "mcse_bca": 0.02})
    return pd.DataFrame(rows)


def _type1() -> tuple[pd.DataFrame, dict]:
    rows = [{"test": t, "data": kind, "type1": 0.05 + 0.02 * i, "mcse": 0.004, "reps": 300 if t == "Bollen-Stine" else 4000,
             "n": 18} for kind in ("normal", "bounded") for i, t in enumerate(("ML chi-square", "Bartlett", "Swain",
                                                                               "Bollen-Stine"))]
    return pd.DataFrame(rows), {"fwer": 0.3, "mcse": 0.01, "independent": 0.34, "fwer_holm": 0.05, "reps": 2000, "k": 8}


def _figures():
    """(name, a function drawing the figure) for every figure function of the package the book calls."""
    from psyalliance import MODELS, fit_model
    from psyalliance.figures import powerplots, robustplots
    from psyalliance.figures.diagrams import draw_model, draw_path_diagram
    from psyalliance.figures.figures import correlation_matrix, score_distributions, target_vs_achieved, trajectories
    from psyalliance.figures.timeline import plot_timeline
    from psyalliance.sem.paths import get_model
    from psyalliance.simulation.population import VARIABLES, target_population
    from psyalliance.simulation.simulate import load_dataset
    from psyalliance.study.facts import load_facts
    from psyalliance.teaching.primer import DIAGRAM_NAMES, DIAGRAM_RESIDUALS, MEDIATION_DIAGRAM, REGRESSION_DIAGRAM
    from psyalliance.trust.ignorability import parallel_sensitivity

    data, pop, facts = load_dataset(), target_population(), load_facts()
    m1 = get_model("m1_mediation")
    names_m1 = list(m1.path_names) + list(m1.chain_names)
    est = np.random.default_rng(5).normal(size=(500, len(names_m1)))
    truth = pd.Series(0.2, index=names_m1)
    hamd = ["hamd_baseline", "hamd_1wk", "hamd_4wk", "hamd_3mo", "hamd_6mo", "hamd_12mo"]
    out = {
        "01 timeline": lambda: plot_timeline(facts),
        "02 regression diagram": lambda: draw_model(REGRESSION_DIAGRAM, "One regression as a path diagram",
                                                    DIAGRAM_NAMES, DIAGRAM_RESIDUALS),
        "02 mediation diagram": lambda: draw_model(MEDIATION_DIAGRAM, "Two regressions as one path model",
                                                   DIAGRAM_NAMES, DIAGRAM_RESIDUALS),
        "04 distributions": lambda: score_distributions(data, pop.ranges),
        "04 alliance": lambda: trajectories(
            data, ["alliance_prep", "alliance_post1", "alliance_post2"], [-2.0, 1.0, 5.0], "weeks since psilocybin session 1",
            "alliance item mean (1-5)", (1, 5), "Alliance ratings of each simulated participant, by arm",
            ["end of preparation", "1 wk after session 1", "1 wk after session 2"]),
        "04 hamd": lambda: trajectories(
            data, hamd, list(range(6)), "assessment (after session 2)", "GRID-HAMD total (0-52)", (0, 52),
            "GRID-HAMD depression of each simulated participant, by arm",
            ["baseline", "1 week", "4 weeks", "3 months", "6 months", "12 months"]),
        "04 correlations": lambda: correlation_matrix(data),
        "09 sampling distributions": lambda: powerplots.sampling_distributions(est, names_m1, truth, 24, "M1 estimates"),
        "09 power m1": lambda: powerplots.power_curves(_summary("m1_mediation"), "m1_mediation", reps=2000),
        "09 power m2": lambda: powerplots.power_curves(
            _summary("m2_cycle"), "m2_cycle", effects=["a1", "a2", "b1", "b2", "c", "d1", "d2", "e", "c*d1", "a2*b2*d1"],
            reps=2000),
        "09 sensitivity": lambda: powerplots.sensitivity_figure(
            _sensitivity(), [("m1_mediation", "b1"), ("m1_mediation", "a2*b2"), ("m2_cycle", "b2"), ("m2_cycle", "c"),
                             ("m2_cycle", "e")], 24),
        "09 mediation power": lambda: powerplots.mediation_power_figure(reps=40, seed=1),
        "09 mediation power, one effect": lambda: powerplots.mediation_power_figure(effects=[0.4], reps=40, mark_n=24),
        "11 bias": lambda: robustplots.bias_figure(_grid(), ["c", "a1*b1", "a2*b2"]),
        "11 coverage": lambda: robustplots.coverage_figure(_grid(), "a2*b2"),
        "11 type I error": lambda: robustplots.type1_figure(*_type1()),
        "11 rho": lambda: robustplots.parallel_rho_figure(
            *parallel_sensitivity(data, "alliance_prep", ("mystical_peak", "insight_peak"), "hamd_4wk",
                                  n_resamples=200, seed=1),
            {"mystical_peak": "mystical experience", "insight_peak": "insight"},
            "M1's indirect effects by rho, both mediators in the model, simulated data"),
        "A1 target vs achieved": lambda: target_vs_achieved(pop.corr, data[list(VARIABLES)].astype(float).corr(),
                                                            pop.status),
    }
    for name in MODELS:
        out[f"07 diagram {name}"] = (lambda n: lambda: draw_path_diagram(fit_model(n, data)))(name)
    return out


FIGURES = _figures()


def _titles(fig) -> list[str]:
    return [fig._suptitle.get_text() if fig._suptitle else ""] + [ax.get_title() for ax in fig.axes]


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_the_figure_is_readable_on_a_phone_without_enlargement(name):
    fig = FIGURES[name]()
    try:
        px = phone_text_px(fig)
        print(f"{name}: {fig.get_figwidth():.2f} x {fig.get_figheight():.2f} in, "
              f"smallest text {px:.1f} CSS px in a {PHONE_COLUMN_PX} px column")
        assert px is not None and px >= MIN_TEXT_PX, f"{name}: smallest text {px} CSS px on a phone"
        assert fig.get_figwidth() <= MAX_WIDTH_IN, f"{name} is {fig.get_figwidth()} in wide"
        if not name.startswith(("01", "02")):  # the timeline is the trial's design, the primer's are structures
            assert any("simulated" in t.lower() for t in _titles(fig)), _titles(fig)
    finally:
        plt.close(fig)


@pytest.mark.parametrize("name", ["09 power m2", "09 sampling distributions", "11 coverage", "07 diagram m1_mediation"])
def test_same_input_same_png_bytes(name):
    def png() -> bytes:
        fig = FIGURES[name]()
        try:
            return png_with_text_sizes(fig)
        finally:
            plt.close(fig)

    assert png() == png()
