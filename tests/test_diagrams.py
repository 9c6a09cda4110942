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
        assert any(t.rstrip("*") == f"{r.std_estimate:.2f}" for t in texts)
    n_cov = int(((res.estimates.op == "~~") & (res.estimates.lval != res.estimates.rval)).sum())
    assert len(ax.patches) == len(res.observed) + len(paths) + n_cov
    assert "simulated" in ax.get_title()
    assert sum(t.startswith("R² = ") for t in texts) == len(res.r2)
    matplotlib.pyplot.close(fig)
