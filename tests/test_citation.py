"""CITATION.cff is valid CFF 1.2.0 and ready for Zenodo; the licences and the version are where they say.

References: the CFF 1.2.0 JSON Schema as cffconvert 2.0.0 ships it (tests/citation/, checked by its sha256),
the author list of Levin et al. (2024) as the paper prints it, and the CC BY 4.0 legal code as the pinned
`identify` package vendors it (from GitHub's licence list).
"""

import hashlib
import json
import re
import tomllib
from pathlib import Path

import jsonschema
import pytest
import yaml

import psyalliance

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "tests" / "citation" / "cff-1.2.0.schema.json"
SCHEMA_SHA256 = "0b8d22140da702d766df318dcff3a91af2f39521298dcf36d76315fd99cc169b"
# PLOS ONE 19(3): e0300501, the byline in order (Vancouver style, as PubMed lists it)
LEVIN2024 = ["Levin AW", "Lancelotta R", "Sepeda ND", "Gukasyan N", "Nayak S", "Wagener TL", "Barrett FS",
             "Griffiths RR", "Davis AK"]


def _citation() -> dict:
    return yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))


def _validator() -> jsonschema.protocols.Validator:
    assert hashlib.sha256(SCHEMA.read_bytes()).hexdigest() == SCHEMA_SHA256, "the vendored schema was changed"
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def test_citation_is_valid_cff_1_2_0():
    errors = [f"{'/'.join(map(str, e.path))}: {e.message}" for e in _validator().iter_errors(_citation())]
    assert not errors, errors


def test_the_schema_check_can_fail():
    validator = _validator()
    for broken in ({"cff-version": "1.2.0"},  # no title, authors, message
                   {**_citation(), "license": "MIT License"},  # not an SPDX identifier
                   {**_citation(), "doi": "not-a-doi"}):
        assert list(validator.iter_errors(broken)), broken


def test_ready_for_zenodo():
    cff = _citation()
    assert isinstance(cff["license"], str), "Zenodo takes one licence identifier, not a list"
    assert cff["authors"] and cff["title"] and re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(cff["date-released"]))
    # the version is typed once (the package); CITATION.cff repeats none, Zenodo takes the release tag
    assert "version" not in cff


def _initials(person: dict) -> str:
    given = re.findall(r"[A-Z]", person["given-names"])
    return f"{person['family-names']} {''.join(given)}"


def test_the_study_is_cited_with_all_nine_authors_in_order():
    (levin,) = [r for r in _citation()["references"] if r.get("doi") == "10.1371/journal.pone.0300501"]
    assert [_initials(a) for a in levin["authors"]] == LEVIN2024
    # the same people, in the same order, as the book's bibliography
    bib = (ROOT / "book" / "references.bib").read_text(encoding="utf-8")
    authors = re.search(r"@article\{levin2024,\s*author\s*=\s*\{(.*?)\},\n", bib, flags=re.S).group(1)
    family = [name.split(",")[0].strip() for name in authors.split(" and ")]
    assert family == [a["family-names"] for a in levin["authors"]]


def test_one_place_for_the_version():
    version = psyalliance.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "psyalliance.__version__"}
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## \[{re.escape(version)}\]", changelog, flags=re.M), f"CHANGELOG.md has no section {version}"


def test_the_installed_metadata_has_that_version():
    from importlib.metadata import version
    assert version("psyalliance") == psyalliance.__version__


def test_cc_by_4_0_text_beside_the_mit_licence():
    identify_licenses = pytest.importorskip("identify.vendor.licenses")
    text = (ROOT / "LICENSE-CC-BY-4.0").read_text(encoding="utf-8")
    assert text.strip() == dict(identify_licenses.LICENSES)["CC-BY-4.0"].strip()
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "MIT License" in licence and "LICENSE-CC-BY-4.0" in licence


def test_gitignore_keeps_builds_and_rosters_out():
    ignored = (ROOT / ".gitignore").read_text().split()
    for pattern in ("_build/", "build/", "dist/", "roster*.txt", ".venv/"):
        assert pattern in ignored, pattern
