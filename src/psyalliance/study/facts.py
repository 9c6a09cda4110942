"""The published facts of Levin et al. (2024) and its parent trial, loaded and validated.

Every number the book takes from the literature lives once, in
``data/levin2024_facts.yaml``; this module reads it, checks it and hands it
out as tables. Nothing else in the project types those numbers again.

Scales used throughout: alliance item means 1-5 (WAI-SR, assumed), MEQ30 and
PIQ item means 0-5, GRID-HAMD totals 0-52, correlations -1 to 1, p values 0-1.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from psyalliance.errors import InputError
from psyalliance.resources import data_dir

SOURCES = ("paper", "release", "trial", "inferred", "assumption")
"""Where a number comes from (see the header of the facts file)."""

DATA_DIR = data_dir()  # data/ of the checkout, or the copy inside an installed wheel (psyalliance.resources)
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


class FactsError(InputError):
    """The facts file is malformed: a YAML error, a duplicated key or record, a missing field or an out-of-range value."""


@dataclass(frozen=True)
class Facts:
    """The validated facts file: one DataFrame per section, plus study metadata."""

    study: dict[str, Any]
    tables: dict[str, pd.DataFrame] = field(repr=False)
    records: dict[str, list[dict[str, Any]]] = field(repr=False, default_factory=dict)
    source: str = field(default="", repr=False)
    """The file the facts were read from ("" if built from a mapping)."""

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)

    def key(self) -> str:
        """A fingerprint of the content (every table and the study block): equal content, equal key.

        Caches built on facts (the target population) are keyed by it, so an
        edited :class:`Facts` never gets a result computed from other numbers.
        """
        h = hashlib.sha256(repr(sorted(self.study.items())).encode())
        for name in sorted(self.tables):
            h.update(name.encode())
            h.update(self.tables[name].to_csv(index=False).encode())
        return h.hexdigest()

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
        unit = str(rec.get("unit", ""))
        if unit == "percent":
            _check_range(where, "value (percent)", rec["value"], 0, 100)
        elif unit.startswith("fraction"):
            _check_range(where, "value (fraction)", rec["value"], 0, 1)


def _record_key(section: str, rec: dict[str, Any]) -> Any:
    """What identifies a record: its name, or the unordered pair (x, y) of a correlation record."""
    if section in ("correlations", "correlation_assumptions"):
        return frozenset((rec["x"], rec["y"]))
    return rec.get("name")


def _check_counts(raw: dict[str, Any]) -> None:
    """A count of participants cannot exceed the participants randomized (design: n_randomized)."""
    total = next((r["value"] for r in raw["design"] if r.get("name") == "n_randomized"), None)
    if total is None:
        return
    for section in ("design", "sample", "outcomes", "missing"):
        for i, rec in enumerate(raw[section]):
            if rec.get("unit") == "participants" and rec["value"] > total:
                raise FactsError(f"{_where(section, i, rec)}: value = {rec['value']} participants is more than the "
                                 f"{total} randomized (design: n_randomized); valid: 0-{total}")


def _check_duplicates(raw: dict[str, Any]) -> None:
    """Refuse a record given twice in a section, and a correlation both published and assumed."""
    seen_pairs: dict[frozenset, str] = {}
    for section in SECTIONS:
        seen: dict[Any, int] = {}
        for i, rec in enumerate(raw[section]):
            key = _record_key(section, rec)
            if key in seen:
                raise FactsError(f"{_where(section, i, rec)}: duplicates {_where(section, seen[key], raw[section][seen[key]])}; "
                                 "each record may appear once (remove one of them)")
            seen[key] = i
            if section in ("correlations", "correlation_assumptions"):
                if key in seen_pairs and not seen_pairs[key].startswith(section + "["):
                    raise FactsError(f"{_where(section, i, rec)}: the pair is also {seen_pairs[key]}; a correlation "
                                     "is either published or assumed, not both")
                seen_pairs[key] = _where(section, i, rec)


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
    _check_duplicates(raw)
    _check_counts(raw)
    for section in SECTIONS:
        tables[section] = pd.DataFrame(raw[section])
    records = {section: [dict(r) for r in raw[section]] for section in SECTIONS}
    return Facts(study=dict(raw["study"]), tables=tables, records=records)


class _UniqueKeyLoader(yaml.SafeLoader):
    """yaml's safe loader, but a mapping with a key given twice is an error, not a silent replacement."""


def _construct_unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    seen: dict[Any, Any] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"the key {key!r} appears twice in one mapping (first on line {seen[key].line + 1}); "
                "YAML would keep only the last one", key_node.start_mark)
        seen[key] = key_node.start_mark
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping)


def read_yaml(path: Path) -> Any:
    """Parse a YAML file with ``_UniqueKeyLoader``; a syntax error or a duplicated key (a section,
    a field) raises :class:`FactsError` naming the file, the line and the column."""
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.load(fh, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f", line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context", None)
        raise FactsError(f"{path}{at}: {problem}" + (f" ({context})" if context else "")) from None
    except UnicodeDecodeError as exc:
        raise FactsError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


_CACHE: dict[tuple[str, int, int], dict[str, Any]] = {}
"""(resolved path, mtime in ns, size in bytes) -> the validated raw mapping; never handed out itself."""


def load_facts(path: str | Path = FACTS_PATH) -> Facts:
    """Load and validate the facts file (default: ``data/levin2024_facts.yaml``).

    Every call returns a new :class:`Facts` (its tables are the caller's own,
    so editing them changes nothing for the next caller). The parsed file is
    cached under its path, modification time and size, so a file changed on
    disk is read and validated again. Raises :class:`FactsError` for a YAML
    syntax error, a key given twice, a duplicated record, a missing field or a
    value out of range, naming the file, the line or the record.
    """
    path = Path(path).resolve()
    if not path.exists():
        raise FileNotFoundError(f"facts file not found: {path}")
    if not path.is_file():
        raise FactsError(f"{path} is not a file; pass the path of a facts YAML file")
    st = path.stat()
    key = (str(path), st.st_mtime_ns, st.st_size)
    if key not in _CACHE:
        raw = read_yaml(path)
        validate(raw)  # raises on bad content; only valid files are cached
        for old in [k for k in _CACHE if k[0] == key[0]]:
            del _CACHE[old]
        _CACHE[key] = raw
    facts = validate(copy.deepcopy(_CACHE[key]))
    object.__setattr__(facts, "source", str(path))
    return facts
