"""The pip pins (requirements.txt) and Binder's environment.yml must list the same packages."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _pins_from_requirements() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, version = line.partition("==")
        assert sep, f"requirements.txt: {line!r} is not an exact pin (name==version)"
        pins[name.lower()] = version
    return pins


def _pins_from_environment() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_lists = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(pip_lists) == 1, "environment.yml must have exactly one pip: section"
    pins = {}
    for line in pip_lists[0]:
        name, sep, version = line.partition("==")
        assert sep, f"environment.yml: {line!r} is not an exact pin (name==version)"
        pins[name.lower()] = version
    return pins


def test_environment_yml_matches_requirements():
    req, env = _pins_from_requirements(), _pins_from_environment()
    only_req = sorted(set(req) - set(env))
    only_env = sorted(set(env) - set(req))
    differ = sorted(k for k in set(req) & set(env) if req[k] != env[k])
    assert not (only_req or only_env or differ), (
        f"pins disagree: only in requirements.txt {only_req}; only in environment.yml {only_env}; "
        f"different versions {[(k, req[k], env[k]) for k in differ]}"
    )


def test_environment_yml_is_python_311_from_conda_forge():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "conda-forge" in env["channels"]
    assert "python=3.11" in env["dependencies"]


def test_user_fixed_packages_are_pinned():
    req = _pins_from_requirements()
    for name in ("jupyter-book", "jupyterlab", "pandas", "seaborn", "statsmodels", "semopy"):
        assert name in req, f"{name} is not pinned in requirements.txt"
    assert req["jupyter-book"].startswith("1."), "the book is built with jupyter-book 1.x"
    major, minor = (int(x) for x in req["numpy"].split(".")[:2])
    assert (major, minor) < (2, 4), "numpy 2.4 breaks parts of semopy; pin numpy < 2.4"
