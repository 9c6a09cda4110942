"""The figures of the simulated data: titled as simulated, axes labelled, deterministic."""

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from psyalliance.figures.figures import (  # noqa: E402
    correlation_matrix,
    score_distributions,
    target_vs_achieved,
    trajectories,
)
from psyalliance.simulation.population import VARIABLES, target_population  # noqa: E402
from psyalliance.simulation.simulate import load_dataset  # noqa: E402


@pytest.fixture(scope="module")
def data():
    return load_dataset()


def _figures(data):
    pop = target_population()
    yield target_vs_achieved(pop.corr, data[list(VARIABLES)].astype(float).corr(), pop.status)
    yield score_distributions(data, pop.ranges)
    yield trajectories(data, ["alliance_prep", "alliance_post1", "alliance_post2"], [0, 1, 2], "rating",
                       "alliance item mean (1-5)", (1, 5), "Alliance of each simulated participant")
    yield correlation_matrix(data)


def test_every_figure_says_simulated_and_labels_its_axes(data):
    for fig in _figures(data):
        titles = [fig._suptitle.get_text() if fig._suptitle else ""] + [ax.get_title() for ax in fig.axes]
        assert any("simulated" in t.lower() for t in titles), titles
        for ax in fig.axes:
            if ax.get_visible() and ax.get_label() != "<colorbar>" and ax.has_data():
                assert ax.get_xlabel() and ax.get_ylabel(), (titles[0], ax.get_title())
        plt.close(fig)


def test_same_data_same_figure(data):
    def png():
        fig = correlation_matrix(data)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", metadata={"Software": None})
        plt.close(fig)
        return buf.getvalue()

    assert png() == png()


def test_distribution_panels_span_the_instrument_range(data):
    pop = target_population()
    fig = score_distributions(data, pop.ranges, ["alliance_prep", "hamd_12mo"])
    lo, hi = fig.axes[0].get_xlim()
    assert lo < 1 and hi > 5
    lo, hi = fig.axes[1].get_xlim()
    assert lo < 0 and hi > 52
    plt.close(fig)
