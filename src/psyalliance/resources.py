"""Where the package finds the data it ships: the facts, the fit cut-offs and the simulated dataset.

The one source of these files is the repository: its top-level ``data/`` folder, and R lavaan's stored
reference (``tests/lavaan/reference/``, which appendix A2 reads). A wheel (``pip install .``, ``pip install
git+<repository>``, a built wheel) carries a copy of them inside the package, as ``psyalliance/shipped/``
with the same relative paths (``setup.py`` copies them when the wheel is built), read here with
``importlib.resources``. An editable install (``make venv``) has no such copy and reads its checkout
directly, so ``make data`` writes where the book reads.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

PACKAGED = "shipped"  # the copy's folder inside the installed package
FILES = ("data/levin2024_facts.yaml", "data/fit_cutoffs.yaml", "data/simulated/levin2024_simulated.csv",
         "data/simulated/codebook.csv", "data/simulated/claims_ledger.csv",
         "tests/lavaan/reference/estimates.csv", "tests/lavaan/reference/fit.csv", "tests/lavaan/reference/meta.csv")
"""The files the package needs at run time, relative to the repository (the wheel carries exactly these)."""

CHECKOUT = Path(__file__).resolve().parents[2]
"""The checkout this package's source lies in (``src/psyalliance/resources.py`` -> the repository's root); in an
installed wheel, a folder without the repository's files (see :func:`shipped`)."""

__all__ = ["PACKAGED", "FILES", "CHECKOUT", "shipped", "data_dir"]


def shipped(folder: str) -> Path:
    """A folder of :data:`FILES` (``"data"``, ``"tests/lavaan/reference"``): the installed copy if there is one,
    else the checkout's. Raises FileNotFoundError naming both places when neither holds its first file."""
    first = next((f for f in FILES if f.startswith(folder.rstrip("/") + "/")), None)
    if first is None:
        raise ValueError(f"{folder!r} holds none of the shipped files; valid: {sorted({f.rsplit('/', 1)[0] for f in FILES})}")
    packaged = resources.files("psyalliance") / PACKAGED
    if (packaged / first).is_file():
        return Path(str(packaged)) / folder
    checkout = CHECKOUT
    if (checkout / first).is_file():
        return checkout / folder
    raise FileNotFoundError(f"psyalliance's files are missing: neither {packaged} (an installed wheel) nor "
                            f"{checkout} (a checkout of the book's repository) holds {first}; reinstall the "
                            "package from the book's repository or a wheel built from it")


def data_dir() -> Path:
    """The folder holding the package's data: the installed copy of ``data/`` if there is one, else the checkout's."""
    return shipped("data")
