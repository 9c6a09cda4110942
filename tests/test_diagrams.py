"""Path diagrams: one labelled arrow per path, the title says the data are simulated."""

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from modeldata import make_fixture_data  # noqa: E402
from psyalliance import MODELS, fit_model  # noqa: E402
from psyalliance.diagrams import draw_path_diagram  # noqa: E402


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
    from psyalliance.diagrams import TITLES, box_label
    from psyalliance.models import path_tests

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
    from psyalliance.pathlabels import describe
    from psyalliance.paths import get_model

    res = fit_model(name, make_fixture_data())
    fig = draw_path_diagram(res)
    texts = [t.get_text() for t in fig.axes[0].texts]
    labelled = [p for p, y, x in get_model(name).paths if p != f"{y}~{x}"]
    for label in labelled:
        assert any(t.startswith(f"{label} = ") for t in texts), label
        assert describe(label, name) in texts
    assert any(t.startswith("Path labels") for t in texts) == bool(labelled)
    matplotlib.pyplot.close(fig)
