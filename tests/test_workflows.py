"""The GitHub Actions workflows and the pre-commit hooks do what README.md says, and nothing needs the network
that should not.

Read from the files themselves: triggers, the Pages job's permissions, the commands each job runs, the Python
version, pinned actions; the hooks of `make lint` are local and run the pinned tools of .venv.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tools.check_yaml import main as check_yaml_main
from tools.check_yaml import yaml_problems

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
README = (ROOT / "README.md").read_text()
MAKEFILE = (ROOT / "Makefile").read_text()


def _workflow(name: str) -> dict:
    wf = yaml.safe_load((WORKFLOWS / name).read_text())
    # YAML 1.1 reads the key `on` as True; GitHub reads it as "on"
    wf["on"] = wf.pop(True) if True in wf else wf["on"]
    return wf


def _runs(job: dict) -> list[str]:
    return [step["run"] for step in job.get("steps", []) if "run" in step]


def _commands(job: dict) -> list[str]:
    return [line.strip() for run in _runs(job) for line in run.splitlines() if line.strip()]


def _make_recipe(target: str) -> list[str]:
    match = re.search(rf"^{re.escape(target)}:.*\n((?:\t.*\n)+)", MAKEFILE, flags=re.M)
    assert match, f"the Makefile has no target {target}"
    return [line.strip() for line in match.group(1).splitlines()]


def _env_python() -> str:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    (python,) = [d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python=")]
    return python.split("=", 1)[1]


def _job_python(job: dict) -> str | None:
    container = job.get("container")
    image = container.get("image") if isinstance(container, dict) else container
    if image:
        match = re.fullmatch(r"python:(\d+\.\d+)(?:\.\d+)?(?:-[\w.]+)?", image)
        return match.group(1) if match else None
    for step in job.get("steps", []):
        if str(step.get("uses", "")).startswith("actions/setup-python@"):
            return str(step.get("with", {}).get("python-version"))
    return None


FIELD_RANGES = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]


def _valid_cron(expr: str) -> bool:
    """A POSIX 5-field cron expression (numbers, *, lists, ranges, steps), as GitHub's schedule accepts."""
    fields = expr.split()
    if len(fields) != 5:
        return False
    for field, (low, high) in zip(fields, FIELD_RANGES):
        for part in field.split(","):
            match = re.fullmatch(r"(\*|(\d+)(?:-(\d+))?)(?:/(\d+))?", part)
            if not match:
                return False
            if match.group(2) and not (low <= int(match.group(2)) <= high):
                return False
            if match.group(3) and not (int(match.group(2)) <= int(match.group(3)) <= high):
                return False
            if match.group(4) and int(match.group(4)) == 0:
                return False
    return True


def test_cron_validator_itself():
    assert _valid_cron("17 5 * * 1") and _valid_cron("*/15 0-6 1,15 * 1-5")
    for bad in ("17 5 * *", "60 5 * * 1", "0 24 * * *", "0 0 0 * *", "0 0 * 13 *", "0 0 * * 8", "*/0 * * * *", "a * * * *"):
        assert not _valid_cron(bad), bad


# --------------------------------------------------------------------------- ci.yml


def test_ci_triggers_on_push_to_main_and_pull_requests():
    on = _workflow("ci.yml")["on"]
    assert "main" in on["push"]["branches"]
    assert "pull_request" in on


def test_ci_lints_then_runs_the_readme_test_command():
    assert re.search(r"^make test\b", README, flags=re.M), "the README no longer names `make test`"
    test = _workflow("ci.yml")["jobs"]["test"]
    commands = _commands(test)
    assert "make lint" in commands and "make test" in commands
    assert commands.index("make lint") < commands.index("make test")


def test_pages_are_built_uploaded_and_deployed_on_push_to_main_only():
    jobs = _workflow("ci.yml")["jobs"]
    steps = jobs["test"]["steps"]
    (upload,) = [s for s in steps if str(s.get("uses", "")).startswith("actions/upload-pages-artifact@")]
    assert upload["with"]["path"] == "_build/html"
    book = [s for s in steps if s.get("run", "").strip() == "make book"]
    assert book and steps.index(book[0]) < steps.index(upload), "the book must be built before it is uploaded"
    deploy = jobs["deploy"]
    assert deploy["needs"] == "test" or "test" in deploy["needs"]
    for guarded in (upload, book[0], deploy):
        condition = guarded.get("if", "")
        assert "github.event_name == 'push'" in condition and "refs/heads/main" in condition, guarded
    assert any(str(s.get("uses", "")).startswith("actions/deploy-pages@") for s in deploy["steps"])
    assert deploy["environment"]["name"] == "github-pages"


def test_pages_job_permissions_and_concurrency():
    wf = _workflow("ci.yml")
    deploy = wf["jobs"]["deploy"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert wf["permissions"] == {"contents": "read"}, "the other jobs only read the repository"
    assert deploy["concurrency"]["cancel-in-progress"] is False


# --------------------------------------------------------------------------- weekly.yml


def test_weekly_is_scheduled_and_can_be_started_by_hand():
    on = _workflow("weekly.yml")["on"]
    crons = [entry["cron"] for entry in on["schedule"]]
    assert crons and all(_valid_cron(c) for c in crons), crons
    weekly = [c for c in crons if c.split()[0].isdigit() and c.split()[1].isdigit() and c.split()[2:4] == ["*", "*"]
              and c.split()[4].isdigit()]
    assert weekly, f"{crons}: none runs once a week (fixed minute, hour and weekday)"
    assert "workflow_dispatch" in on


def test_weekly_builds_fresh_from_the_pins_and_reports_drift_without_failing():
    jobs = _workflow("weekly.yml")["jobs"]
    assert "make test" in _commands(jobs["pinned"]) and "make lint" in _commands(jobs["pinned"])
    assert not jobs["pinned"].get("continue-on-error")
    latest = jobs["latest"]
    assert latest["continue-on-error"] is True
    script = "\n".join(_runs(latest))
    assert "sed -E 's/==.*$//'" in script and "pip install --upgrade" in script, "pins are not lifted"
    assert "make test" in _commands(latest)


def test_linkcheck_cannot_fail_on_403_or_503():
    """The job runs `make linkcheck`, whose recipe ignores Sphinx's exit status and lets the report decide
    (tools/linkcheck_report.py: 403, 503 and timeouts never fail; tests/test_linkcheck.py)."""
    jobs = _workflow("weekly.yml")["jobs"]
    (job,) = [j for j in jobs.values() if any("make linkcheck" in c for c in _commands(j))]
    recipe = _make_recipe("linkcheck")
    (build,) = [line for line in recipe if "--builder linkcheck" in line]
    assert build.startswith("-"), "make must ignore Sphinx's own exit status (it fails on a 403)"
    out = re.search(r"--path-output (\S+)", build).group(1)
    assert recipe[-1].endswith(f"-m tools.linkcheck_report {out}/_build/html/output.json")
    assert "$(LINKCHECK)" == out and "LINKCHECK := $(BUILD)/linkcheck" in MAKEFILE
    config = yaml.safe_load((ROOT / "_config.yml").read_text())["sphinx"]["config"]
    assert any(re.match(p, "https://doi.org/10.1371/journal.pone.0300501") for p in config["linkcheck_ignore"])


# --------------------------------------------------------------------------- both workflows


@pytest.mark.parametrize("name", ["ci.yml", "weekly.yml"])
def test_every_action_is_pinned_to_a_version(name):
    uses = [s["uses"] for job in _workflow(name)["jobs"].values() for s in job.get("steps", []) if "uses" in s]
    assert uses
    for ref in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+(/[\w./-]+)?@(v\d+(\.\d+){0,2}|[0-9a-f]{40})", ref), ref


@pytest.mark.parametrize("name", ["ci.yml", "weekly.yml"])
def test_test_jobs_use_the_books_python_and_install_the_system_packages(name):
    readme_python = re.search(r"Python (\d+\.\d+)", README).group(1)
    assert readme_python == _env_python()
    jobs = _workflow(name)["jobs"]
    testing = [j for j in jobs.values() if "make test" in _commands(j)]
    assert testing
    for job in testing:
        assert _job_python(job) == _env_python(), job.get("container")
        apt = [c for c in _commands(job) if c.startswith("apt-get install")]
        assert apt and {"chromium", "chromium-driver", "r-cran-lavaan"} <= set(apt[0].split())


@pytest.mark.parametrize("name", ["ci.yml", "weekly.yml"])
def test_steps_run_in_bash(name):
    """A container job's default shell is sh, which lacks pipefail and process substitution."""
    assert _workflow(name)["defaults"]["run"]["shell"] == "bash"


def test_the_repository_url_is_set_once():
    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", url), url
    owner_repo = url.removeprefix("https://github.com/")
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    hits = [f for f in tracked.split() if f != "_config.yml" and (ROOT / f).is_file()
            and owner_repo in (ROOT / f).read_text(errors="ignore")]
    assert not hits, f"{owner_repo} is typed in {hits}; only _config.yml may name it"


# --------------------------------------------------------------------------- pre-commit (make lint)


def _hooks() -> list[dict]:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    assert all(repo["repo"] == "local" for repo in config["repos"]), "a remote hook repository needs the network"
    return [hook for repo in config["repos"] for hook in repo["hooks"]]


def test_hooks_are_local_and_run_the_pinned_tools():
    for hook in _hooks():
        assert hook["language"] == "system", hook["id"]
        exe = hook["entry"].split()[0]
        assert exe.startswith(".venv/bin/"), f"{hook['id']} runs {exe}, not a tool of the pinned .venv"
        assert Path(sys.executable).with_name(Path(exe).name).exists(), f"{exe} is not installed"


def test_hooks_cover_ruff_notebooks_and_yaml():
    hooks = {hook["id"]: hook for hook in _hooks()}
    assert hooks["ruff"]["entry"].split()[1] == "check" and {"python", "jupyter"} <= set(hooks["ruff"]["types_or"])
    assert hooks["notebooks-without-outputs"]["entry"].endswith("-m tools.notebook_hygiene")
    assert re.search(hooks["notebooks-without-outputs"]["files"], "notebooks/01_the_study.ipynb")
    assert hooks["check-yaml"]["entry"].endswith("-m tools.check_yaml")
    yaml_files = ["_config.yml", "_toc.yml", "environment.yml", "data/levin2024_facts.yaml",
                  ".github/workflows/ci.yml", ".github/workflows/weekly.yml", ".pre-commit-config.yaml"]
    assert all(re.search(hooks["check-yaml"]["files"], f) for f in yaml_files)


def test_make_lint_runs_every_hook_offline_and_ci_runs_it():
    (command,) = _make_recipe("lint")
    assert "$(BIN)/pre-commit run --all-files" in command and "PRE_COMMIT_HOME=" in command
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert "make lint" in ci and ci.index("make lint") < ci.index("make test")


# --------------------------------------------------------------------------- the YAML check


def test_the_yaml_check_refuses_a_repeated_key_and_bad_syntax(tmp_path):
    (tmp_path / "dup.yml").write_text("jobs:\n  test: 1\n  test: 2\n")
    (tmp_path / "syntax.yml").write_text("key: [unclosed\n")
    (tmp_path / "good.yml").write_text("a: 1\n---\nb: {c: 2}\n")
    assert "duplicate key 'test'" in yaml_problems(tmp_path / "dup.yml")[0]
    assert str(tmp_path / "syntax.yml") in yaml_problems(tmp_path / "syntax.yml")[0]
    assert yaml_problems(tmp_path / "good.yml") == []
    assert check_yaml_main([str(tmp_path / "good.yml"), str(tmp_path / "dup.yml")]) == 1
    assert check_yaml_main([str(tmp_path / "good.yml")]) == 0


def test_every_yaml_file_of_the_repository_passes_the_check():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    files = [f for f in tracked.split() if re.search(r"\.(ya?ml|cff)$", f)]
    assert {".github/workflows/ci.yml", ".github/workflows/weekly.yml", "_config.yml"} <= set(files)
    problems = [p for f in files for p in yaml_problems(ROOT / f)]
    assert not problems, problems
