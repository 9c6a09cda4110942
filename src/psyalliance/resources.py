"""Where the package finds the data it ships: the facts, the fit cut-offs and the simulated dataset.

The one source of these files is the repository's top-level ``data/`` folder. A wheel (``pip install .``,
``pip install git+<repository>``, a built wheel) carries a copy of them inside the package, as
``psyalliance/data/`` (``setup.py`` copies them when the wheel is built), read here with
:mod:`importlib.resources`. An editable install (``make venv``) has no such copy and reads ``data/`` of
its checkout directly, so ``make data`` writes where the book reads.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

PACKAGED = "data"  # the copy's folder inside the installed package
FILES = ("levin2024_facts.yaml", "fit_cutoffs.yaml", "simulated/levin2024_simulated.csv",
         "simulated/codebook.csv", "simulated/claims_ledger.csv")
"""The data files the package needs at run time, relative to ``data/`` (the wheel carries exactly these)."""

__all__ = ["PACKAGED", "FILES", "data_dir"]


def _checkout_data() -> Path:
    return Path(__file__).resolve().parents[2] / "data"


def data_dir() -> Path:
    """The folder holding the package's data: the installed copy if there is one, else the checkout's ``data/``.

    Raises FileNotFoundError naming both places when neither holds the facts file.
    """
    packaged = resources.files("psyalliance") / PACKAGED
    if packaged.is_dir() and (packaged / FILES[0]).is_file():
        return Path(str(packaged))
    checkout = _checkout_data()
    if (checkout / FILES[0]).is_file():
        return checkout
    raise FileNotFoundError(f"psyalliance's data files are missing: neither {packaged} (an installed wheel) nor "
                            f"{checkout} (a checkout of the book's repository) holds {FILES[0]}; reinstall the "
                            "package from the book's repository or a wheel built from it")
