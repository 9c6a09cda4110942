"""Path diagrams: one labelled arrow per path, the title says the data are simulated."""

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from modeldata import make_fixture_data  # noqa: E402
from psyalliance import MODELS, fit_model  # noqa: E402
from psyalliance.figures.diagrams import draw_path_diagram  # noqa: E402


@pytest.mark.parametrize("name", list(MODELS))
def test_diagram_draws_every_path_with_its_standardized_estimate(name):
    res = fit_model(name, make_fixture_data())
    fig = draw_path_diagram(res)
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    paths = res.estimates[res.estimates.op == "~"]
    for r in paths.itertuples():
        assert any(t.split(" = ")[-1].rstrip("*") == f"{r.std_estimate:.2f}" for t in texts)
    n_cov = int(((res.estimates.op == "~~") & (res.estimates.lval != res.estimates.rval)).sum())
    assert len(ax.patches) == len(res.observed) + len(paths) + n_cov
    assert "simulated" in ax.get_title()
    assert sum(t.startswith("R² = ") for t in texts) == len(res.r2)
    matplotlib.pyplot.close(fig)


def test_stars_follow_the_t_test_and_titles_are_readable():
    from psyalliance.figures.diagrams import TITLES, box_label
    from psyalliance.sem.models import path_tests

    res = fit_model("m3_durability", make_fixture_data())
    fig = draw_path_diagram(res)
    ax = fig.axes[0]
    assert ax.get_title().startswith(TITLES["m3_durability"]) and "m3_durability" not in ax.get_title()
    texts = [t.get_text() for t in ax.texts]
    for r in path_tests(res).itertuples():
        label = f"{r.std_estimate:.2f}" + ("*" if r.p < 0.05 else "")
        assert label in texts
    assert any("t test" in t for t in texts)
    matplotlib.pyplot.close(fig)
    assert box_label("alliance_prep") == "alliance\nend of\npreparation"
    assert all(len(line) <= 16 for line in box_label("alliance_post2").splitlines())


def test_boxes_contain_their_text():
    """Every text drawn inside a box (name, R²) lies within that box's border."""
    res = fit_model("m2_cycle", make_fixture_data())
    fig = draw_path_diagram(res)
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    boxes = [p.get_window_extent(renderer) for p in ax.patches if type(p).__name__ == "FancyBboxPatch"]
    assert len(boxes) == len(res.observed)
    inside = 0
    for t in ax.texts:
        e = t.get_window_extent(renderer)
        cx, cy = (e.x0 + e.x1) / 2, (e.y0 + e.y1) / 2
        for b in boxes:
            if b.contains(cx, cy):
                assert b.x0 <= e.x0 and e.x1 <= b.x1 and b.y0 <= e.y0 and e.y1 <= b.y1, t.get_text()
                inside += 1
    assert inside == len(res.observed) + len(res.r2)
    matplotlib.pyplot.close(fig)


@pytest.mark.parametrize("name", list(MODELS))
def test_every_labelled_arrow_shows_its_label_and_the_legend_spells_it_out(name):
    from psyalliance.sem.pathlabels import describe
    from psyalliance.sem.paths import get_model

    res = fit_model(name, make_fixture_data())
    fig = draw_path_diagram(res)
    texts = [t.get_text() for t in fig.axes[0].texts]
    labelled = [p for p, y, x in get_model(name).paths if p != f"{y}~{x}"]
    for label in labelled:
        assert any(t.startswith(f"{label} = ") for t in texts), label
        assert describe(label, name) in " ".join(" ".join(texts).split())  # long lines broken after the arrow
    assert any(t.startswith("Path labels") for t in texts) == bool(labelled)
    matplotlib.pyplot.close(fig)


# ----------------------------------------------------------------------------- layout without a hand-made one

def _crosses(p, q, box_centre, half) -> bool:
    """Whether the segment p-q passes through the box (centre, half sizes), sampled finely."""
    import numpy as np

    (x0, y0), (x1, y1) = p, q
    for t in np.linspace(0.05, 0.95, 200):
        x, y = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
        if abs(x - box_centre[0]) < half[0] and abs(y - box_centre[1]) < half[1]:
            return True
    return False


def test_a_mediation_with_a_direct_path_is_a_triangle():
    from psyalliance.figures.diagrams import layout

    pos = layout(["m", "x", "y"], ["x"], [("m", "x"), ("y", "m"), ("y", "x")])
    (xx, xy), (mx, my), (yx, yy) = pos["x"], pos["m"], pos["y"]
    assert xx < mx < yx  # x, then the mediator, then y, left to right
    assert xy == yy and my > xy + 0.3  # the mediator above the base: three corners, not a row
    assert not _crosses(pos["x"], pos["y"], pos["m"], (0.1, 0.08)), "the direct arrow crosses the mediator's box"


def test_two_mediators_leave_the_middle_free_for_the_direct_path():
    from psyalliance.figures.diagrams import layout

    pos = layout(["x", "m1", "m2", "y"], ["x"], [("m1", "x"), ("m2", "x"), ("y", "m1"), ("y", "m2"), ("y", "x")])
    for m in ("m1", "m2"):
        assert not _crosses(pos["x"], pos["y"], pos[m], (0.1, 0.08))


def test_the_fallback_of_a_fitted_model_is_the_triangle():
    import pandas as pd

    from psyalliance.figures.diagrams import _layout

    class Fit:
        name, observed, exogenous = "unregistered", ["m", "x", "y"], ["x"]
        estimates = pd.DataFrame({"lval": ["m", "y", "y"], "op": ["~"] * 3, "rval": ["x", "m", "x"]})

    pos = _layout(Fit())
    assert pos["m"][1] > pos["x"][1] == pos["y"][1]


def test_the_structure_diagram_draws_every_arrow_arc_and_residual():
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch

    from psyalliance.figures.diagrams import draw_model
    from psyalliance.teaching.primer import DIAGRAM_NAMES, DIAGRAM_RESIDUALS, MEDIATION_DIAGRAM, REGRESSION_DIAGRAM

    for syntax, arcs, paths, residuals in ((REGRESSION_DIAGRAM, 1, 2, 1), (MEDIATION_DIAGRAM, 0, 3, 2)):
        fig = draw_model(syntax, "t", DIAGRAM_NAMES, DIAGRAM_RESIDUALS)
        patches = [p for p in fig.axes[0].patches if isinstance(p, FancyArrowPatch)]
        dashed = [p for p in patches if p.get_linestyle() in ("--", "dashed")]  # the covariance arcs
        assert len(dashed) == arcs
        assert len(patches) == arcs + paths + residuals
        texts = {t.get_text() for t in fig.axes[0].texts}
        assert {"a", "b", "c′"} & texts == ({"a", "b", "c′"} if paths == 3 else {"b", "c′"})
        plt.close(fig)


def test_the_primer_diagrams_alt_text_reads_the_model_out():
    import json
    from pathlib import Path

    from psyalliance.figures.diagrams import describe_model
    from psyalliance.teaching.primer import DIAGRAM_NAMES, DIAGRAM_RESIDUALS, MEDIATION_DIAGRAM, REGRESSION_DIAGRAM

    alt = describe_model(MEDIATION_DIAGRAM, DIAGRAM_NAMES, DIAGRAM_RESIDUALS)
    for words in ("alliance (end of preparation) to peak mystical experience, labelled a",
                  "peak mystical experience to depression (4 wk), labelled b",
                  "alliance (end of preparation) to depression (4 wk), labelled c′",
                  "e_m into peak mystical experience", "e_y into depression (4 wk)"):
        assert words in alt
    assert "covariance" in describe_model(REGRESSION_DIAGRAM, DIAGRAM_NAMES, DIAGRAM_RESIDUALS)
    primer = json.loads((Path(__file__).resolve().parents[1] / "notebooks" / "02_path_primer.ipynb").read_text())
    cells = {c["id"]: c for c in primer["cells"]}
    for cid, syntax in (("primer-diagram-regression", REGRESSION_DIAGRAM), ("primer-diagram-mediation", MEDIATION_DIAGRAM)):
        assert cells[cid]["metadata"]["mystnb"]["image"]["alt"] == describe_model(syntax, DIAGRAM_NAMES, DIAGRAM_RESIDUALS)
    assert not any("```text" in "".join(c["source"]) for c in primer["cells"]), "ASCII art left in the primer"
