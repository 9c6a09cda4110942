"""The package installs as a package: a wheel built from the repository carries the data it reads.

The test builds a wheel from a copy of the files a build needs (no network: no build isolation, no
index), installs it into a temporary target folder, and from a third folder imports it there: the
installed package must load the facts and the simulated dataset from the copy inside itself (not from
this checkout) and fit a model. The fit is pinned to R lavaan's stored estimates (tests/lavaan/reference,
made by `make lavaan-reference`), the files to the checkout's data/ byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from psyalliance.resources import FILES, PACKAGED

ROOT = Path(__file__).resolve().parents[1]
BUILD_FILES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "LICENSE")
RTOL = 1e-3  # as tests/test_lavaan.py

PROBE = r"""
import hashlib, json, sys
from importlib import resources
import psyalliance
from psyalliance import MODELS, fit_model, load_facts
from psyalliance.sem.fitstats import load_cutoffs
from psyalliance.resources import FILES, data_dir
from psyalliance.simulation.simulate import load_dataset

facts = load_facts()
data = load_dataset()
res = fit_model("m1_mediation", data)
base = resources.files("psyalliance") / "shipped"
from psyalliance.sem.lavaan import REFERENCE_DIR, load_reference
load_reference()
print(json.dumps({
    "module": psyalliance.__file__,
    "data_dir": str(data_dir()),
    "reference": str(REFERENCE_DIR),
    "hashes": {f: hashlib.sha256((base / f).read_bytes()).hexdigest() for f in FILES},
    "n_correlations": len(facts.correlations),
    "n_cutoffs": len(load_cutoffs()),
    "rows": len(data),
    "estimates": res.estimates[["lval", "op", "rval", "estimate"]].to_dict("records"),
}))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built from a copy of the repository's build files, src/ and data/ (no network)."""
    src = tmp_path_factory.mktemp("source")
    for name in BUILD_FILES:
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "src", src / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in FILES:
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, src / name)
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--no-index", "--wheel-dir", str(dist), str(src)], check=True, cwd=src)
    (built,) = dist.glob("psyalliance-*.whl")
    return built


def test_the_wheel_carries_exactly_the_data_files(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    packaged = sorted(n.removeprefix(f"psyalliance/{PACKAGED}/") for n in names
                      if n.startswith(f"psyalliance/{PACKAGED}/"))
    assert packaged == sorted(FILES)
    assert "psyalliance/study/facts.py" in names and "psyalliance/py.typed" in names


def test_installed_wheel_loads_facts_and_dataset_and_fits_from_another_folder(wheel, tmp_path):
    target, elsewhere = tmp_path / "target", tmp_path / "elsewhere"
    elsewhere.mkdir()
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                    "--target", str(target), str(wheel)], check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PSYALLIANCE_")}
    env["PYTHONPATH"] = str(target)  # ahead of the editable install of this checkout
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=elsewhere, env=env, check=True,
                         capture_output=True, text=True).stdout
    got = json.loads(out.strip().splitlines()[-1])

    assert Path(got["module"]).resolve().is_relative_to(target.resolve()), got["module"]
    assert Path(got["data_dir"]).resolve() == (target / "psyalliance" / PACKAGED / "data").resolve()
    assert Path(got["reference"]).resolve() == (target / "psyalliance" / PACKAGED / "tests/lavaan/reference").resolve()
    for name in FILES:  # the copy is the checkout's file, byte for byte (the repository stays the one source)
        assert got["hashes"][name] == hashlib.sha256((ROOT / name).read_bytes()).hexdigest(), name
    assert got["rows"] == 24 and got["n_correlations"] > 0 and got["n_cutoffs"] == 4

    ref = pd.read_csv(ROOT / "tests" / "lavaan" / "reference" / "estimates.csv")
    ref = ref[(ref.model == "m1_mediation") & (ref.estimator == "listwise") & (ref.op == "~")]
    ours = {(e["lval"], e["rval"]): e["estimate"] for e in got["estimates"] if e["op"] == "~"}
    assert len(ref) > 0 and len(ours) == len(ref)
    for row in ref.itertuples():
        est = ours[(row.lhs, row.rhs)]
        assert abs(est - row.est) <= RTOL * max(abs(row.est), 1e-3), (row.lhs, row.rhs, est, row.est)


def test_glue_times_outside_the_repository_says_so_instead_of_failing(wheel, tmp_path):
    """A reader notebook's first chapter cell, run with the installed package away from the chapters."""
    target = tmp_path / "target"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                    "--target", str(target), str(wheel)], check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PSYALLIANCE_")}
    env["PYTHONPATH"] = str(target)
    code = ("from psyalliance.teaching.reading import glue_times\n"
            "glue_times('05_alliance_change.ipynb', glue=lambda *a, **k: print('glued', a))")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "(The reading times in the text were computed when the book was built.)"
