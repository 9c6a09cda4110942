"""A headless Chromium for the browser tests (Debian's chromium and chromium-driver, driven by selenium).

When no browser is installed the tests are skipped with a message saying so; under CI (``CI`` set) a
missing browser fails them instead, so CI cannot skip them silently.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1280,900")


def require_browser() -> None:
    """Skip (or, under CI, fail) when chromium, chromedriver or selenium is missing."""
    missing = [name for name, found in (("chromium", CHROMIUM), ("chromedriver", CHROMEDRIVER)) if not found]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium")
    if missing:
        message = (f"browser tests need {', '.join(missing)} (apt-get install chromium chromium-driver; "
                   "selenium is in requirements.txt)")
        if os.environ.get("CI"):
            pytest.fail(message + "; CI must not skip them")
        pytest.skip(message)


@contextlib.contextmanager
def chromium_driver(width: int = 1280, height: int = 900):
    """A selenium Chrome driver on a fresh profile, with the browser console log readable."""
    require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    with tempfile.TemporaryDirectory() as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={profile}")
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        driver.set_window_size(width, height)
        try:
            yield driver
        finally:
            driver.quit()
