"""The timeline table and figure follow the facts file."""

import copy

import matplotlib

matplotlib.use("Agg")
import pytest
import yaml

from psyalliance.figures.timeline import plot_timeline, timeline_table
from psyalliance.study.facts import FACTS_PATH, load_facts, validate


def test_alliance_ratings_bracket_the_sessions():
    t = timeline_table().set_index("name")["week"]
    assert t["alliance_prep"] < t["session1"] < t["alliance_post1"] < t["session2"] < t["alliance_post2"]
    # one week after each session, as the release says
    assert t["alliance_post1"] - t["session1"] == pytest.approx(1.0)
    assert t["alliance_post2"] - t["session2"] == pytest.approx(1.0)


def test_session_gap_within_published_range():
    facts = load_facts()
    t = timeline_table(facts).set_index("name")["week"]
    gap = t["session2"] - t["session1"]
    assert facts.value("design", "session_gap_min") <= gap <= facts.value("design", "session_gap_max")


def test_every_hamd_wave_is_on_the_timeline():
    names = set(timeline_table()["name"])
    assert set(load_facts().hamd["name"]) - {"hamd_baseline"} <= names


def test_table_is_in_time_order():
    weeks = timeline_table()["week"].to_numpy()
    assert (weeks[1:] >= weeks[:-1]).all()


def test_unknown_kind_is_a_clear_error():
    raw = yaml.safe_load(FACTS_PATH.read_text())
    bad = copy.deepcopy(raw)
    bad["timeline"][0]["kind"] = "party"
    with pytest.raises(ValueError, match=r"timeline kinds \['party'\] unknown"):
        timeline_table(validate(bad))


def test_figure_has_title_and_labelled_axis():
    fig = plot_timeline()
    ax = fig.axes[0]
    assert "timeline" in ax.get_title().lower()
    assert "weeks" in ax.get_xlabel().lower()
    assert len(ax.collections) == len(timeline_table())
