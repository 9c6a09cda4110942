"""The trial's timeline as a table and a figure, drawn from the facts file.

Weeks are relative to psilocybin session 1 (negative = before it). The
follow-ups are defined relative to session 2 in the trial; the facts file
places them on the session-1 axis for the figure.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from psyalliance.figures.figures import PALETTE, WIDTH_IN, book_figure
from psyalliance.study.facts import Facts, load_facts

KIND_STYLE = {
    # kind: (row on the figure, marker, colour, legend label)
    "therapy": (3, "s", "#7f7f7f", "Preparation meetings"),
    "session": (2, "*", PALETTE[3], "Psilocybin session"),
    "alliance": (1, "D", PALETTE[0], "Alliance rating"),
    "assessment": (0, "o", PALETTE[2], "GRID-HAMD assessment"),
}


def timeline_table(facts: Facts | None = None) -> pd.DataFrame:
    """Events in time order: name, label, week (relative to session 1), kind, source."""
    facts = facts or load_facts()
    table = facts.timeline[["name", "label", "week", "kind", "source", "cite"]]
    unknown = set(table["kind"]) - set(KIND_STYLE)
    if unknown:
        raise ValueError(f"timeline kinds {sorted(unknown)} unknown; valid: {sorted(KIND_STYLE)}")
    return table.sort_values("week", kind="stable").reset_index(drop=True)


def _weeks_to_x(weeks: np.ndarray, break_at: float = 8.0, squeeze: float = 0.15) -> np.ndarray:
    """Compress the long follow-up: linear to ``break_at`` weeks, then ``squeeze`` x per week."""
    weeks = np.asarray(weeks, dtype=float)
    return np.where(weeks <= break_at, weeks, break_at + (weeks - break_at) * squeeze)


@book_figure
def plot_timeline(facts: Facts | None = None) -> Figure:
    """Draw the study timeline: preparation, two sessions, three alliance ratings, follow-ups.

    One row per event, in time order. The x axis is weeks since session 1,
    to scale up to week 8 and compressed after it (tick labels give true weeks).
    """
    table = timeline_table(facts)
    fig, ax = plt.subplots(figsize=(WIDTH_IN, 0.42 * len(table) + 2.6), layout="constrained")
    y = np.arange(len(table))[::-1]
    x = _weeks_to_x(table["week"].to_numpy())
    seen: set[str] = set()
    for xi, yi, (_, ev) in zip(x, y, table.iterrows(), strict=True):
        _, marker, colour, legend = KIND_STYLE[ev["kind"]]
        ax.scatter([xi], [yi], marker=marker, s=150 if marker == "*" else 60, color=colour, zorder=3,
                   label=None if legend in seen else legend)
        seen.add(legend)
        ax.annotate(ev["label"], (xi, yi), xytext=(8, 0), textcoords="offset points", va="center")
    ax.axvline(_weeks_to_x(np.array([8.0]))[0], color="0.8", linestyle=":", zorder=1)
    weeks = table["week"].to_numpy()
    ticks = np.concatenate([np.arange(np.floor(weeks.min()), 8.0 - 1e-9, 4.0), np.unique(weeks[weeks > 8.0])])
    ax.set_xticks(_weeks_to_x(ticks), [f"{t:.0f}" for t in ticks])
    ax.set_xlim(x.min() - 0.6, x.max() + 7.5)
    ax.set_yticks([])
    ax.set_ylim(-0.8, len(table) - 0.2)
    ax.set_xlabel("Weeks since psilocybin session 1\n(to scale up to week 8, compressed after it)")
    ax.set_title("Study timeline (the trial's design; no data)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=2, frameon=False, handletextpad=0.3)
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    return fig
