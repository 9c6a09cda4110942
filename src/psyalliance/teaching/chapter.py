"""The book machinery a chapter calls from its hidden cells, so that its visible cells show only analysis.

A chapter computes its numbers in the open (pandas, semopy, statsmodels, psyalliance), then a hidden cell
(tag ``remove-cell``) hands the numbers its prose prints to ``glue_all`` in one call per section, by name::

    glue_all({"r_ma": r_ma, "p_ma": fmt.p_value(p_ma), "n_pairs": len(pairs)})

and the markdown quotes them (``{glue:text}`r_ma:.2f```). Formatting rules live in ``psyalliance.fmt``.

This module may import only ``psyalliance.fmt`` and third-party packages (IPython, numpy, pandas): it sits
at the top of the package, beside the chapters, and no other module imports it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from IPython.core.formatters import format_display_data
from IPython.display import display as ipy_display

GLUE_PREFIX = "application/papermill.record/"
"""The mime-type prefix of a hidden glued output, as myst-nb 1.x writes and reads it."""


def glue(name: str, value: Any, display: bool = False) -> None:
    """Record ``value`` under ``name`` for the prose, as ``myst_nb.glue`` does (the same output, byte for byte).

    myst-nb's ``glue`` imports its glue extension, which imports nbformat and jsonschema: about 1.5 s of CPU
    in every chapter's kernel, before the chapter computes anything (measured on this project's 2-core
    machine). This is its five lines, with IPython only; ``tests/test_chapter.py`` checks that both publish
    the same display message for numbers, strings, tables and figures.
    """
    bundle, metadata = format_display_data(value)
    prefix = "" if display else GLUE_PREFIX
    metadata["scrapbook"] = dict(name=name, mime_prefix=prefix)
    ipy_display({prefix + k: v for k, v in bundle.items()}, raw=True, metadata=metadata)


def plain(value: Any) -> Any:
    """A numpy scalar as the Python number it holds (``np.float64(0.5)`` -> ``0.5``); anything else as is.

    myst-nb formats glued Python numbers with a format spec (``{glue:text}`r:.2f```), not numpy scalars.
    """
    return value.item() if isinstance(value, np.generic) else value


def glue_all(values: Mapping[str, Any], glue: Callable[..., Any] | None = None) -> None:
    """Glue every named value for the prose (``{glue:text}`name```, ``{glue:figure}`name```), none shown.

    ``values`` maps glue names to values: numbers (numpy scalars become Python numbers), strings (already
    formatted with ``psyalliance.fmt``) or figures. ``glue`` defaults to :func:`glue` (myst-nb's protocol; a
    test passes its own). Raises ValueError for a name that is not a non-empty string without spaces or backticks, which
    a ``{glue:text}`` role could not quote, before anything is glued.
    """
    bad = [name for name in values if not isinstance(name, str) or not name or any(c in name for c in " `:")]
    if bad:
        raise ValueError(f"glue names {bad!r}: each must be a non-empty string without spaces, ':' or backticks")
    record = _glue if glue is None else glue
    for name, value in values.items():
        record(name, plain(value), display=False)


def one_value(table: pd.DataFrame, column: str, **where: Any) -> Any:
    """The value of ``column`` in the one row of ``table`` whose columns equal ``where``
    (``one_value(grid, "bias", condition="mcar", estimator="fiml", effect="c")``).

    Raises KeyError naming a missing column and ValueError when no row or several rows match.
    """
    for name in (column, *where):
        if name not in table.columns:
            raise KeyError(f"no column {name!r} in the table (columns: {', '.join(map(str, table.columns))})")
    mask = np.ones(len(table), dtype=bool)
    for name, wanted in where.items():
        mask &= (table[name] == wanted).to_numpy()
    rows = table.loc[mask, column]
    if len(rows) != 1:
        raise ValueError(f"{len(rows)} rows have {where}; one_value needs exactly one")
    return rows.iloc[0]


_glue = glue  # glue_all's parameter of the same name hides the function

__all__ = ["GLUE_PREFIX", "glue", "glue_all", "one_value", "plain"]
