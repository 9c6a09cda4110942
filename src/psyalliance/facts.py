"""The published facts of Levin et al. (2024) and its parent trial, loaded and validated.

Every number the book takes from the literature lives once, in
``data/levin2024_facts.yaml``; this module reads it, checks it and hands it
out as tables. Nothing else in the project types those numbers again.

Scales used throughout: alliance item means 1-5 (WAI-SR, assumed), MEQ30 and
PIQ item means 0-5, GRID-HAMD totals 0-52, correlations -1 to 1, p values 0-1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

SOURCES = ("paper", "release", "trial", "inferred", "assumption")
"""Where a number comes from (see the header of the facts file)."""

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
FACTS_PATH = DATA_DIR / "levin2024_facts.yaml"

SECTIONS = (
    "design",
    "sample",
    "measures",
    "timeline",
    "correlations",
    "alliance_change",
    "hamd",
    "outcomes",
    "missing",
    "scale_assumptions",
    "correlation_assumptions",
)

# Fields every record of a section must have, beyond source, cite and note.
REQUIRED = {
    "design": ("name", "value", "unit"),
    "sample": ("name", "value", "unit"),
    "measures": ("name", "instrument", "items", "item_min", "item_max", "score", "subscales"),
    "timeline": ("name", "label", "week", "kind"),
    "correlations": ("x", "y", "r", "p", "p_op", "n", "n_low", "n_high"),
    "alliance_change": ("name", "value", "x", "y"),
    "hamd": ("name", "mean", "sd", "sd_source"),
    "outcomes": ("name", "value", "unit"),
    "missing": ("name", "value", "unit"),
    "scale_assumptions": ("name", "mean", "sd", "low_mean", "high_mean"),
    "correlation_assumptions": ("x", "y", "r", "low", "high"),
}
COMMON = ("source", "cite", "note")


class FactsError(ValueError):
    """The facts file is malformed: a missing field or an out-of-range value."""


@dataclass(frozen=True)
class Facts:
    """The validated facts file: one DataFrame per section, plus study metadata."""

    study: dict[str, Any]
    tables: dict[str, pd.DataFrame] = field(repr=False)
    records: dict[str, list[dict[str, Any]]] = field(repr=False, default_factory=dict)

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)

    def value(self, section: str, name: str) -> Any:
        """The ``value`` of record ``name`` in ``section`` (design, sample, outcomes, missing)."""
        records = self.records[section]
        for rec in records:
            if rec.get("name") == name:
                return rec["value"]  # the YAML's own type: int stays int
        valid = ", ".join(str(r.get("name")) for r in records)
        raise KeyError(f"no record {name!r} in section {section!r}; valid names: {valid}")

    def measure(self, name: str) -> dict[str, Any]:
        """The instrument record of scale ``name`` (alliance, mystical, insight, hamd)."""
        table = self.tables["measures"]
        hit = table[table["name"] == name]
        if hit.empty:
            raise KeyError(f"no measure {name!r}; valid: {', '.join(table['name'])}")
        return hit.iloc[0].to_dict()


def _where(section: str, i: int, rec: dict[str, Any]) -> str:
    key = rec.get("name") or (f"{rec.get('x')}~{rec.get('y')}" if "x" in rec else f"#{i}")
    return f"{section}[{i}] ({key})"


def _check_range(where: str, field_: str, value: Any, low: float, high: float) -> None:
    if value is None:
        return
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise FactsError(f"{where}: {field_} = {value!r} is not a number")
    if not low <= value <= high:
        raise FactsError(f"{where}: {field_} = {value!r} is outside the valid range [{low}, {high}]")


def _validate_record(section: str, i: int, rec: Any) -> None:
    if not isinstance(rec, dict):
        raise FactsError(f"{section}[{i}]: expected a mapping of fields, got {rec!r}")
    where = _where(section, i, rec)
    for f in REQUIRED[section] + COMMON:
        if f not in rec:
            raise FactsError(f"{where}: missing field {f!r} (required: {', '.join(REQUIRED[section] + COMMON)})")
    if rec["source"] not in SOURCES:
        raise FactsError(f"{where}: source = {rec['source']!r} is not one of {', '.join(SOURCES)}")
    if section in ("correlations", "correlation_assumptions"):
        for f in ("r", "low", "high"):
            if f in rec:
                _check_range(where, f, rec[f], -1.0, 1.0)
        if rec["x"] == rec["y"]:
            raise FactsError(f"{where}: x and y are the same variable {rec['x']!r}")
    if section == "correlation_assumptions" and not rec["low"] <= rec["r"] <= rec["high"]:
        raise FactsError(f"{where}: r = {rec['r']} is outside its own range [{rec['low']}, {rec['high']}]")
    if section == "correlations":
        _check_range(where, "p", rec["p"], 0.0, 1.0)
        if rec["p_op"] not in ("=", "<"):
            raise FactsError(f"{where}: p_op = {rec['p_op']!r} must be '=' or '<'")
        _check_range(where, "n", rec["n"], 3, 10_000)
        if not rec["n_low"] <= rec["n"] <= rec["n_high"]:
            raise FactsError(f"{where}: n = {rec['n']} is outside [n_low, n_high] = [{rec['n_low']}, {rec['n_high']}]")
    if section == "measures":
        _check_range(where, "items", rec["items"], 1, 1000)
        if rec["item_min"] >= rec["item_max"]:
            raise FactsError(f"{where}: item_min = {rec['item_min']} must be below item_max = {rec['item_max']}")
        for sub, items in (rec["subscales"] or {}).items():
            bad = [k for k in items if not 1 <= k <= rec["items"]]
            if bad:
                raise FactsError(f"{where}: subscale {sub!r} has item numbers {bad} outside 1-{rec['items']}")
    if section == "hamd":
        _check_range(where, "mean", rec["mean"], 0, 52)
        _check_range(where, "sd", rec["sd"], 0, 26)
    if section == "scale_assumptions":
        _check_range(where, "sd", rec["sd"], 1e-9, 26)
        for f in ("mean", "low_mean", "high_mean"):
            _check_range(where, f, rec[f], 0, 52)
    if section == "alliance_change" and rec["name"] == "p":
        _check_range(where, "value", rec["value"], 0.0, 1.0)
    if section in ("design", "sample", "outcomes", "missing"):
        _check_range(where, "value", rec["value"], 0, 1e6)


def validate(raw: dict[str, Any]) -> Facts:
    """Check a parsed facts mapping and return it as :class:`Facts`.

    Raises :class:`FactsError` naming the section, the record and the field
    for a missing section or field, an unknown source, or a value out of range
    (correlations in [-1, 1], p in [0, 1], GRID-HAMD means in [0, 52] ...).
    """
    if not isinstance(raw, dict):
        raise FactsError(f"the facts file must be a mapping of sections, got {type(raw).__name__}")
    missing = [s for s in ("study",) + SECTIONS if s not in raw]
    if missing:
        raise FactsError(f"the facts file lacks section(s): {', '.join(missing)}")
    tables = {}
    for section in SECTIONS:
        records = raw[section]
        if not isinstance(records, list) or not records:
            raise FactsError(f"section {section!r} must be a non-empty list of records")
        for i, rec in enumerate(records):
            _validate_record(section, i, rec)
        tables[section] = pd.DataFrame(records)
    records = {section: [dict(r) for r in raw[section]] for section in SECTIONS}
    return Facts(study=dict(raw["study"]), tables=tables, records=records)


@lru_cache(maxsize=4)
def load_facts(path: str | Path = FACTS_PATH) -> Facts:
    """Load and validate the facts file (default: ``data/levin2024_facts.yaml``)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"facts file not found: {path}")
    with path.open(encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    return validate(raw)
