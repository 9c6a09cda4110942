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

from tools.cap_pins import cap
from tools.check_yaml import main as check_yaml_main
from tools.check_yaml import yaml_problems
from tools.fix_hint import main as fix_hint_main
from tools.large_files import LIMIT_KB
from tools.large_files import main as large_files_main
from tools.notebook_hygiene import repository_notebooks

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


def _ci_run() -> list[str]:
    return [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines() if line.strip()]


def _runs_ci_script(job: dict) -> bool:
    return "bash .ci/run" in _commands(job)


def test_ci_is_dot_ci_run_which_lints_then_runs_the_readme_test_command():
    assert re.search(r"^make test\b", README, flags=re.M), "the README no longer names `make test`"
    test = _workflow("ci.yml")["jobs"]["test"]
    assert _runs_ci_script(test), "ci.yml must run .ci/run, what the README calls CI"
    assert not {"make lint", "make test", "make book"} & set(_commands(test)), "ci.yml runs .ci/run, nothing beside it"
    ci = _ci_run()
    assert "make lint" in ci and "make test" in ci and ci.index("make lint") < ci.index("make test")
    assert "make test-cache" in ci, ".ci/run runs the cache test (tests/test_code_follows.py)"


def test_ci_caches_the_downloads_of_apt_and_pip():
    test = _workflow("ci.yml")["jobs"]["test"]
    caches = [s for s in test["steps"] if str(s.get("uses", "")).startswith("actions/cache@")]
    paths = {s["with"]["path"] for s in caches}
    pip_dir = test["env"]["PIP_CACHE_DIR"]
    assert pip_dir in paths and not pip_dir.startswith(("${{ github.workspace", ".")), "pip's cache, outside the clone"
    assert any(p.startswith("/var/cache/apt/archives") for p in paths)
    # Debian's image deletes the downloaded packages after each install unless told to keep them
    keep = "\n".join(_runs(test))
    assert "rm -f /etc/apt/apt.conf.d/docker-clean" in keep and "Keep-Downloaded-Packages" in keep
    order = [s.get("uses", s.get("run", "")) for s in test["steps"]]
    assert max(order.index(s["uses"]) for s in caches) < order.index("bash .ci/run"), "restore the caches first"
    for cache in caches:
        assert "hashFiles(" in cache["with"]["key"] and cache["with"]["restore-keys"]


def test_pages_deploy_the_build_that_the_tests_made_on_push_to_main_only():
    jobs = _workflow("ci.yml")["jobs"]
    test = jobs["test"]
    steps = test["steps"]
    (upload,) = [s for s in steps if str(s.get("uses", "")).startswith("actions/upload-pages-artifact@")]
    # .ci/run keeps make test's strict build in $PSYALLIANCE_KEEP_BOOK (tests/conftest.py writes it there)
    kept = test["env"]["PSYALLIANCE_KEEP_BOOK"]
    # a job's env may read github, needs, vars, secrets, inputs, matrix, strategy: not runner (GitHub refuses it)
    assert not any("runner." in str(value) for value in test["env"].values())
    assert upload["with"]["path"] == f"{kept}/_build/html"
    assert 'book_dir="${PSYALLIANCE_KEEP_BOOK:-' in (ROOT / ".ci" / "run").read_text()
    (run,) = [s for s in steps if s.get("run", "").strip() == "bash .ci/run"]
    assert steps.index(run) < steps.index(upload), "the book is tested before it is uploaded"
    assert not any("make book" in c for c in _commands(test)), "the book is built once, by make test"
    deploy = jobs["deploy"]
    assert deploy["needs"] == "test" or "test" in deploy["needs"]
    for guarded in (upload, deploy):
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


def test_weekly_builds_fresh_from_the_pins_and_within_major_versions_and_fails_visibly():
    jobs = _workflow("weekly.yml")["jobs"]
    assert _runs_ci_script(jobs["pinned"]), "the pinned job is .ci/run from scratch"
    assert not any(job.get("continue-on-error") for job in jobs.values()), "a failure must show"
    latest = jobs["latest"]
    script = "\n".join(_runs(latest))
    assert "python3 -m tools.cap_pins requirements.txt > /tmp/capped.txt" in script
    assert "pip install --upgrade -r /tmp/capped.txt" in script and "sed -E" not in script, "pins lifted, majors kept"
    assert "make test" in _commands(latest) and "make lint" in _commands(latest)
    # a failed job opens (or comments on) an issue: someone sees it
    report = jobs["report"]
    assert set(report["needs"]) == set(jobs) - {"report", "keepalive"} and report["if"] == "failure()"
    assert report["permissions"] == {"issues": "write"}
    script = "\n".join(_runs(report))
    assert "gh issue create" in script and "gh issue comment" in script
    assert report["steps"][0]["env"]["GH_REPO"] == "${{ github.repository }}", "the repository from GitHub's context"


def test_the_schedule_is_kept_alive():
    keepalive = _workflow("weekly.yml")["jobs"]["keepalive"]
    assert keepalive["permissions"] == {"actions": "write"} and "schedule" in keepalive["if"]
    (command,) = _commands(keepalive)
    assert command == 'gh api --method PUT "repos/$GH_REPO/actions/workflows/weekly.yml/enable"'
    assert "60 days" in README and "Enable workflow" in README, "the README says how to re-enable it by hand"


def test_cap_pins_keeps_each_major_version():
    assert cap("jupyter-book==1.0.4.post1") == "jupyter-book>=1.0.4.post1,<2"
    assert cap("numpy==2.3.5") == "numpy>=2.3.5,<3"
    assert cap("accessible-pygments==0.0.5") == "accessible-pygments>=0.0.5,<1"
    assert cap("uvicorn[standard]==0.30.1") == "uvicorn[standard]>=0.30.1,<1"
    assert cap("# a comment") == "# a comment" and cap("") == ""
    for bad in ("numpy>=2", "numpy", "git+https://example.org/x.git"):
        with pytest.raises(ValueError, match="not an exact pin"):
            cap(bad)
    lines = [line for line in (ROOT / "requirements.txt").read_text().splitlines() if line and not line.startswith("#")]
    capped = [cap(line) for line in lines]  # every line of the real file is an exact pin
    assert "jupyter-book>=1.0.4.post1,<2" in capped or not any(line.startswith("jupyter-book==") for line in lines)


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
    testing = [j for j in jobs.values() if "make test" in _commands(j) or _runs_ci_script(j)]
    assert testing
    for job in testing:
        assert _job_python(job) == _env_python(), job.get("container")
        commands = _ci_run() if _runs_ci_script(job) else _commands(job)
        text = " ".join(commands)
        assert "apt-get install" in text
        apt = text[text.index("apt-get install"):].split()
        assert {"chromium", "chromium-driver", "r-cran-lavaan"} <= set(apt), apt[:12]


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


def _pins() -> dict[str, str]:
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    return {name.lower(): version for name, _, version in (line.partition("==") for line in lines if "==" in line)}


def test_hooks_run_in_pre_commits_own_environment_with_the_pins():
    """Not `.venv/bin/...` nor whatever is on PATH: pre-commit's own environment (made once, from PyPI), so the
    hooks run from a git commit, a conda environment, a git worktree or pre-commit.ci alike."""
    pins = _pins()
    for hook in _hooks():
        assert hook["language"] == "python", hook["id"]
        assert hook["entry"].startswith("python -m tools."), hook["entry"]
        for requirement in hook["additional_dependencies"]:
            name, _, version = requirement.partition("==")
            assert pins.get(name.lower()) == version, f"{hook['id']}: {requirement}, requirements.txt pins {pins.get(name.lower())}"
        module = hook["entry"].split()[2]
        assert (ROOT / (module.replace(".", "/") + ".py")).is_file(), module


def test_hooks_cover_ruff_every_notebook_yaml_and_large_files():
    from identify.identify import tags_from_path

    hooks = {hook["id"]: hook for hook in _hooks()}
    assert hooks["ruff"]["entry"].split()[3:5] == ["ruff", "check"] and "tools.fix_hint" in hooks["ruff"]["entry"]
    assert {"python", "jupyter"} <= set(hooks["ruff"]["types_or"])
    outputs = hooks["notebooks-without-outputs"]
    assert outputs["entry"] == "python -m tools.notebook_hygiene"
    notebooks = [p.relative_to(ROOT).as_posix() for p in repository_notebooks()]
    assert "book/instructor_guide.ipynb" in notebooks and len(notebooks) >= 14
    for notebook in notebooks:  # every notebook of the repository, wherever it is
        assert set(outputs["types"]) <= tags_from_path(str(ROOT / notebook)), notebook
        assert re.search(outputs.get("files", ""), notebook) and not re.search(outputs.get("exclude", "^$"), notebook)
    assert hooks["check-yaml"]["entry"].endswith("-m tools.check_yaml")
    yaml_files = ["_config.yml", "_toc.yml", "environment.yml", "data/levin2024_facts.yaml", "CITATION.cff",
                  ".github/workflows/ci.yml", ".github/workflows/weekly.yml", ".pre-commit-config.yaml"]
    assert all(re.search(hooks["check-yaml"]["files"], f) for f in yaml_files)
    assert hooks["large-files"]["entry"] == "python -m tools.large_files" and "files" not in hooks["large-files"]


def test_the_hooks_say_how_to_fix_what_they_find(tmp_path, capsys):
    big = tmp_path / "big.csv"
    big.write_bytes(b"0" * (LIMIT_KB * 1024 + 1))
    assert large_files_main([str(big)]) == 1
    assert "git rm --cached" in capsys.readouterr().err
    assert large_files_main([str(ROOT / "README.md")]) == 0
    (tmp_path / "bad.py").write_text("import os\n")
    assert fix_hint_main(["ruff", "check", "--no-cache", "--isolated", str(tmp_path / "bad.py")]) == 1
    assert "make fix" in capsys.readouterr().err
    (tmp_path / "good.py").write_text("import os\n\nprint(os.sep)\n")
    assert fix_hint_main(["ruff", "check", "--no-cache", "--isolated", str(tmp_path / "good.py")]) == 0
    assert "make fix" not in capsys.readouterr().err


def test_make_lint_runs_every_hook_and_make_fix_repairs():
    (command, hint) = _make_recipe("lint")
    assert "$(BIN)/pre-commit run --all-files" in command and "PRE_COMMIT_HOME=" in command
    assert "make fix" in hint
    fix = _make_recipe("fix")
    assert "$(BIN)/ruff check --fix --force-exclude ." in fix and "$(BIN)/python -m tools.notebook_hygiene --fix" in fix
    ci = _ci_run()
    assert "make lint" in ci and ci.index("make lint") < ci.index("make test")


def test_dependabot_updates_the_actions():
    config = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text())
    assert config["version"] == 2
    (actions,) = [u for u in config["updates"] if u["package-ecosystem"] == "github-actions"]
    assert actions["directory"] == "/" and actions["schedule"]["interval"] in {"daily", "weekly", "monthly"}


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


# --------------------------------------------------------------------------- the Makefile's Python check


def _fake_python(tmp_path: Path, version: tuple[int, int]) -> Path:
    """A `python3` that reports ``version`` to the Makefile's check (and would fail at `-m venv`)."""
    fake = tmp_path / f"python{version[0]}.{version[1]}"
    real = sys.executable
    fake.write_text(f'#!/bin/sh\n[ "$1" = -c ] || exit 97\nexec {real} -c "import sys; sys.version_info = {version + (0,)}; exec(sys.argv[1])" "$2"\n')
    fake.chmod(0o755)
    return fake


def test_make_stops_with_a_clear_message_on_an_old_python(tmp_path):
    fake = _fake_python(tmp_path, (3, 10))
    result = subprocess.run(["make", "-s", "venv", f"PYTHON={fake}", f"VENV={tmp_path / 'venv'}"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert f"{fake} is Python 3.10; this book needs Python 3.11 or newer" in result.stderr + result.stdout
    assert not (tmp_path / "venv").exists(), "no environment is made with the wrong Python"
    missing = subprocess.run(["make", "-s", "venv", "PYTHON=no-such-python3", f"VENV={tmp_path / 'venv'}"], cwd=ROOT,
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode != 0 and "no no-such-python3 on PATH" in missing.stdout + missing.stderr


def test_the_check_lets_3_11_through(tmp_path):
    fake = _fake_python(tmp_path, (3, 11))
    result = subprocess.run(["make", "-s", "venv", f"PYTHON={fake}", f"VENV={tmp_path / 'venv'}"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    # past the check, `python -m venv` reaches the fake, which refuses anything but -c (exit 97)
    assert "needs Python" not in result.stdout + result.stderr and result.returncode != 0
