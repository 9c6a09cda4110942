"""Real-browser helpers shared by the browser tests: Debian's chromium and chromium-driver through selenium.

The pytest fixtures built on these live in tests/conftest.py (`chromium`, `serve_directory`, `book_url`); every
Chromium of the tests is started and quit by :func:`chromium_session`.
When no browser is installed the browser tests are skipped with a message saying so, unless the
environment variable CI is set (as .ci/run does): there a missing browser fails the test instead.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

BROWSERS = ("chromium", "chromium-browser")  # Debian: apt-get install chromium chromium-driver
DRIVERS = ("chromedriver",)
INSTALL_HINT = "apt-get install -y chromium chromium-driver (and selenium from requirements.txt)"
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
DESKTOP = (1280, 900)  # CSS px
PHONE = (390, 844)  # CSS px, a common phone width


def in_ci() -> bool:
    """True when the environment variable CI is set to anything but '', '0' or 'false'."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def find_browser() -> tuple[str, str] | None:
    """Paths of (chromium, chromedriver) found on PATH, or None when either is missing."""
    browser = next((p for name in BROWSERS if (p := shutil.which(name))), None)
    driver = next((p for name in DRIVERS if (p := shutil.which(name))), None)
    return (browser, driver) if browser and driver else None


def require_browser() -> tuple[str, str]:
    """(chromium, chromedriver) paths; skip the calling test when absent, or fail it when CI is set."""
    found = find_browser()
    problem = None
    if found is None:
        problem = f"no chromium/chromedriver on PATH; install them: {INSTALL_HINT}"
    else:
        try:
            import selenium  # noqa: F401
        except ImportError:
            problem = f"selenium is not installed; install it: {INSTALL_HINT}"
    if problem is not None:
        if in_ci():
            pytest.fail(f"browser tests cannot run: {problem} (CI is set, so they may not be skipped)")
        pytest.skip(f"browser tests skipped: {problem}")
    return found


def start_chromium(user_data_dir: Path, width: int = DESKTOP[0], height: int = DESKTOP[1]) -> Any:
    """A headless Chromium WebDriver with a fresh profile in user_data_dir, recording the console.

    The console is read with browser_console(driver). The viewport is width x height CSS px.
    """
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver = require_browser()
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={user_data_dir}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    web = webdriver.Chrome(options=options, service=Service(driver))
    set_viewport(web, width, height)
    return web


@contextmanager
def chromium_session(user_data_dir: Path, width: int = DESKTOP[0], height: int = DESKTOP[1]) -> Iterator[Any]:
    """start_chromium(...) for a with-block: skips (or, with CI set, fails) without a browser; quits at the end."""
    require_browser()
    driver = start_chromium(user_data_dir, width, height)
    try:
        yield driver
    finally:
        driver.quit()


def set_viewport(driver: Any, width: int, height: int) -> None:
    """Make the page viewport exactly width x height CSS px (a phone width emulates a mobile device)."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )


def browser_console(driver: Any) -> list[dict]:
    """The console entries logged since the last call (level, message, source), oldest first."""
    return list(driver.get_log("browser"))


def severe(entries: list[dict]) -> list[str]:
    """The messages of the SEVERE (error) entries."""
    return [e["message"] for e in entries if e.get("level") == "SEVERE"]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the browser dropping a connection (a broken pipe) is not the page's fault


@contextmanager
def static_server(root: Path) -> Iterator[str]:
    """Serve the folder root over HTTP on 127.0.0.1 (a free port) in a thread; yields the base URL."""
    root = Path(root).resolve()
    if not root.is_dir():
        raise NotADirectoryError(f"cannot serve {root}: not a directory")
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# ----------------------------------------------------------------------------- axe-core (accessibility rules)

ROOT = Path(__file__).resolve().parents[1]
AXE_JS = ROOT / ".venv" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
AXE_ENV = "PSYALLIANCE_AXE"  # another axe.min.js (for a checkout whose .venv is elsewhere)
AXE_LOCK = ROOT / "tests" / "axe" / "package-lock.json"
AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")  # WCAG 2.1 levels A and AA
FAILING_IMPACTS = ("serious", "critical")


def axe_version_pinned() -> str:
    """The axe-core version of tests/axe/package-lock.json."""
    import json

    return json.loads(AXE_LOCK.read_text())["packages"]["node_modules/axe-core"]["version"]


def axe_source() -> str:
    """The text of the pinned axe.min.js (installed by `make axe`); skips, or fails with CI set, when absent."""
    path = Path(os.environ.get(AXE_ENV) or AXE_JS)
    if not path.is_file():
        problem = f"axe-core is not installed at {path}; run `make axe` (npm installs the pinned version)"
        if in_ci():
            pytest.fail(f"accessibility tests cannot run: {problem} (CI is set, so they may not be skipped)")
        pytest.skip(problem)
    text = path.read_text(encoding="utf-8")
    head = text[:200]
    pinned = axe_version_pinned()
    if f"axe v{pinned}" not in head:
        pytest.fail(f"{path} is not axe-core {pinned} (tests/axe/package-lock.json): it starts {head[:40]!r}; "
                    "run `make axe` again")
    return text


AXE_RUN = r"""
const done = arguments[arguments.length - 1];
const settled = new Promise(r => document.readyState === 'complete' ? r() : addEventListener('load', r))
  .then(() => new Promise(r => setTimeout(r, 200)));  // the theme's and Font Awesome's late changes first
settled.then(() => axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})
  .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, url: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 200),
                              summary: (n.failureSummary || '').replace(/\s+/g, ' ').slice(0, 300)}))})))))
  .catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e), url: '', nodes: []}]));
"""


def run_axe(driver: Any, source: str) -> list[dict]:
    """axe-core's WCAG 2.1 A/AA violations of the page in driver: id, impact, help, url, nodes (target, html, summary)."""
    if not driver.execute_script("return typeof axe !== 'undefined'"):
        driver.execute_script(source)
    driver.set_script_timeout(180)
    return driver.execute_async_script(AXE_RUN, list(AXE_TAGS))
