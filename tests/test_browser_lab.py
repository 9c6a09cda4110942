"""Each chapter, opened in JupyterLab where its page's Binder button points, reads as well as the web page.

A real JupyterLab server from this environment on 127.0.0.1, a real headless Chromium (Debian's
chromium and chromium-driver): open the reader notebook at the ``urlpath`` of the page's launch button,
run Run > Run All Cells through the menu, then look at what a reader sees.

Two chapters run at once (two Chromium instances, one JupyterLab server, one kernel each: CI has 2
cores), longest first, in the module fixture ``chapter_runs``; each chapter's test then checks its run.
While a chapter runs only a cheap progress probe is polled (prompt counts and the kernel's execution
indicator, every 0.2 s); what a reader sees is read once, after Run All has finished.

Hermetic: the server gets its own Jupyter config, data, runtime, settings and workspaces folders and its
own IPython folder, all under the test's temporary folder, and every chapter opens in a workspace of its
own (``/lab/workspaces/<chapter>/tree/<path>``). Without that, a server restores the machine's default
workspace (``~/.jupyter/lab/workspaces/``), starting a kernel for every notebook tab left open there by
earlier JupyterLab sessions, and the two browsers restore each other's chapters: one run held 23 kernels
and stopped chapter 09's Run All halfway.

A chapter fails fast: when its kernel is idle with cells never run (Run All stopped) for STALL seconds,
or after twice its expected time (EXPECTED_RUN_ALL, on an idle 2-core machine) stretched by the machine's
load (the load per core, or the number of chapters running at once, whichever is larger), with the JupyterLab state, any error output, the server's kernels and its log in the message.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlparse

import nbformat
import pytest

from browser import chromium_session, require_browser

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
EXPECTED_RUN_ALL = 10.0
"""Seconds a chapter's Run All is expected to take on an idle 2-core machine (the book's promise, issue 20)."""
EXPECTED_SLOWER: dict[str, float] = {}
"""Chapters not yet inside the promise: their Run All on an idle 2-core machine (seconds). None now: chapter 09
took 19 s before issue 20's speed-ups and 9.7-10.0 s after them (alone in this test, load average 0.3-1.2);
07 5.1 s, 11 8.8 s, A1 8.5 s (2026-12-03)."""
STALL = 8.0  # seconds with the kernel idle and cells unrun before Run All counts as stopped
OPEN_TIMEOUT = 120  # seconds for a notebook to open and render
PARALLEL = 2  # chapters run at once, each in its own Chromium (one JupyterLab server)
POLL = 0.2  # seconds between two progress probes
LONGEST_FIRST = ("09_how_much_24", "07_path_models", "A1_simulating", "A2_lavaan")  # the rest follow in order
CORE = ("01_the_study", "05_alliance_change", "09_how_much_24")
"""The chapters `make test` runs in JupyterLab: the plain start, a chapter whose solutions hold code
and outputs, and the widget chapter. ``PSYALLIANCE_LAB=all`` runs every chapter, ``rest`` the others (what
`.ci/run` does after `make test`, on the same build, to stay inside `make test`'s 8 minutes on 2 cores)."""
LAB = os.environ.get("PSYALLIANCE_LAB", "core")
TOKEN = "psyalliance-test"
RAW_MYST = re.compile(r"\{(glue|cite|numref|ref|term|doc|index|eval)(:[a-z]*)?\}|\{(exercise|solution)-(start|end)\}|"
                      r"^:(label|class|name|alt):", re.M)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def hermetic_env(home: Path) -> dict[str, str]:
    """Environment for a JupyterLab server whose every state folder lies under ``home`` (created here).

    Config, data, runtime, settings and workspaces folders, and IPython's: nothing read from or written to
    ~/.jupyter, ~/.local/share/jupyter or ~/.ipython (the venv's own config and kernels, under sys.prefix,
    still load)."""
    folders = {"JUPYTER_CONFIG_DIR": "config", "JUPYTER_DATA_DIR": "data", "JUPYTER_RUNTIME_DIR": "runtime",
               "JUPYTERLAB_SETTINGS_DIR": "settings", "JUPYTERLAB_WORKSPACES_DIR": "workspaces", "IPYTHONDIR": "ipython"}
    env = dict(os.environ)
    for var, name in folders.items():
        (home / name).mkdir(parents=True, exist_ok=True)
        env[var] = str(home / name)
    env.pop("JUPYTER_PATH", None)  # no extra data folders from the caller
    env["JUPYTER_PLATFORM_DIRS"] = "0"
    return env


@dataclass(frozen=True)
class Lab:
    """A running JupyterLab server: its base url, the root folder it serves and its log file."""

    url: str
    root: Path
    log: Path


@pytest.fixture(scope="module")
def lab(built_book, tmp_path_factory):
    """A JupyterLab server on a copy of the built book's reader notebooks, at the paths the build gave them
    (as Binder's root is the repository). A copy: JupyterLab autosaves the notebooks it runs, and the
    build's own files must stay as built for tests/test_reader_notebooks.py. Hermetic (hermetic_env)."""
    html = built_book.html
    root = tmp_path_factory.mktemp("lab-root")
    reader = root / built_book.reader.relative_to(html.parent.parent)
    shutil.copytree(built_book.reader, reader)
    home = tmp_path_factory.mktemp("lab-home")
    env = hermetic_env(home)
    settings = home / "settings"
    # keep every cell in the page (no virtual scrolling), so the test sees all of a chapter; no news fetches
    for plugin, values in {
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                            "checkForUpdates": False},
    }.items():
        path = settings / plugin
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    port = _free_port()
    log_path = home / "lab.log"
    log = log_path.open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
         f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={root}", "--LabApp.news_url=",
         f"--LabApp.workspaces_dir={home / 'workspaces'}", f"--LabApp.user_settings_dir={settings}",
         "--ServerApp.open_browser=False", "--LabApp.extension_manager=readonly"]
        + (["--allow-root"] if os.geteuid() == 0 else []),
        stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail(f"JupyterLab did not start: {log_path.read_text()[-3000:]}")
    yield Lab(url, root, log_path)
    proc.terminate()
    proc.wait(30)
    log.close()


def launch_path(html: Path, chapter: str) -> str:
    """The notebook path in the urlpath of the chapter page's Binder button."""
    page = (html / "notebooks" / f"{chapter}.html").read_text(encoding="utf-8")
    binder = [h for h in re.findall(r'href="([^"]+)"', page) if "mybinder.org" in h]
    assert binder, f"{chapter}: no Binder button on the page"
    urlpath = unquote(parse_qs(urlparse(binder[0].replace("&amp;", "&")).query)["urlpath"][0])
    assert urlpath.startswith("lab/tree/"), urlpath
    return urlpath[len("lab/tree/"):]


JS_PROGRESS = """
const nb = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook');
if (!nb) return null;
const cells = nb.querySelectorAll('.jp-Cell');
let busy = 0, unrun = 0, ran = 0, unrendered = 0;
for (const c of cells) {
  if (c.classList.contains('jp-CodeCell')) {
    const prompt = (c.querySelector('.jp-InputPrompt') || {}).textContent || '';
    if (prompt.includes('[*]')) busy++;
    else if (/\\[ \\]/.test(prompt)) unrun++;
    else if (/\\[\\d+\\]/.test(prompt)) ran++;
  } else if (c.classList.contains('jp-MarkdownCell') && !c.querySelector('.jp-RenderedMarkdown')) unrendered++;
}
const indicator = document.querySelector('.jp-Notebook-ExecutionIndicator');
return {n: cells.length, busy: busy, unrun: unrun, ran: ran, unrendered: unrendered,
        status: indicator ? indicator.getAttribute('data-status') : null};
"""

JS_CELLS = """
const nb = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook');
if (!nb) return null;
return [...nb.querySelectorAll('.jp-Cell')].map((c, i) => ({
  i: i, kind: c.classList.contains('jp-CodeCell') ? 'code' : 'other',
  prompt: ((c.querySelector('.jp-InputPrompt') || {}).textContent || '').trim(),
  source: ((c.querySelector('.jp-InputArea-editor') || {}).textContent || '').slice(0, 80),
  output: [...c.querySelectorAll('.jp-OutputArea-output')].map(o => o.textContent).join(' | ').slice(-600),
})).filter(c => c.kind === 'code');
"""
"""Every code cell's prompt, first characters and output text (hidden ones too): what a diagnosis shows."""

JS_STATE = """
const nb = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook');
if (!nb) return null;
const cells = [...nb.querySelectorAll('.jp-Cell')];
const visible = el => !!el && el.checkVisibility({visibilityProperty: true, opacityProperty: true});
return {
  n: cells.length,
  busy: cells.filter(c => c.classList.contains('jp-CodeCell') &&
        /\\[\\*\\]/.test((c.querySelector('.jp-InputPrompt') || {}).textContent || '')).length,
  unrun: cells.filter(c => c.classList.contains('jp-CodeCell') &&
        /\\[ \\]/.test((c.querySelector('.jp-InputPrompt') || {}).textContent || '')).length,
  status: (document.querySelector('.jp-Notebook-ExecutionIndicator') || {}).getAttribute
          ? document.querySelector('.jp-Notebook-ExecutionIndicator').getAttribute('data-status') : null,
  markdown: cells.filter(c => c.classList.contains('jp-MarkdownCell'))
                 .map(c => (c.querySelector('.jp-RenderedMarkdown') || {}).innerText || ''),
  unrendered: cells.filter(c => c.classList.contains('jp-MarkdownCell') && !c.querySelector('.jp-RenderedMarkdown')).length,
  images: [...nb.querySelectorAll('.jp-RenderedMarkdown img, .jp-RenderedImage img')]
          .filter(img => visible(img) && img.naturalWidth > 0).length,
  errors: [...nb.querySelectorAll('.jp-OutputArea-output')].map(o => o.innerText)
          .filter(t => /Traceback \\(most recent call last\\)|^\\w+Error: /m.test(t)).map(t => t.slice(0, 500)),
  details: [...nb.querySelectorAll('.jp-RenderedMarkdown details')].map(d => ({
      open: d.open, summary: (d.querySelector('summary') || {}).innerText || '',
      shown: [...d.children].filter(ch => ch.tagName !== 'SUMMARY' && visible(ch)).length})),
  collapsed: cells.map(c => c.classList.contains('jp-CodeCell') ? !!c.querySelector('.jp-InputPlaceholder') : null),
};
"""


def _menu(driver, menu: str, item: str) -> None:
    from selenium.webdriver.common.by import By

    bar = [e for e in driver.find_elements(By.CSS_SELECTOR, ".lm-MenuBar-item") if e.text.strip() == menu]
    assert bar, f"no {menu} menu in JupyterLab"
    bar[0].click()
    deadline = time.time() + 10
    entry = []
    while not entry and time.time() < deadline:  # the menu opens within a frame or two
        entry = [e for e in driver.find_elements(By.CSS_SELECTOR, ".lm-Menu-item") if e.text.strip().startswith(item)]
        if not entry:
            time.sleep(0.05)
    assert entry, f"no {item!r} in the {menu} menu"
    entry[0].click()


def _wait(driver, predicate, timeout: float, what: str, probe: str = JS_PROGRESS):
    deadline = time.time() + timeout
    state = None
    while time.time() < deadline:
        state = driver.execute_script(probe)
        if state and predicate(state):
            return state
        time.sleep(POLL)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}; last state: {str(state)[:2000]}")


_running = 0  # chapters whose Run All is under way (PARALLEL at most)
_running_lock = threading.Lock()


def load_factor() -> float:
    """How much the machine's other work stretches a run: the 1-minute load per core, or the number of
    chapters running at once, whichever is larger, and at least 1.

    EXPECTED_RUN_ALL is one chapter alone on an idle 2-core machine (its kernel on one core, Chromium and the
    server on the other). Two chapters at once share those cores (two kernels, two Chromiums, one server),
    so each takes about twice as long; the 1-minute load average lags by a minute and missed it (one CI run:
    load factor 1.07 while chapters 07 and then A2 ran beside A1, whose 21 s budget ran out with every cell
    run)."""
    with _running_lock:
        running = _running
    return max(1.0, os.getloadavg()[0] / (os.cpu_count() or 1), float(running))


def _api(url: str, path: str) -> Any:
    request = urllib.request.Request(f"{url}{path}", headers={"Authorization": f"token {TOKEN}"})
    with urllib.request.urlopen(request, timeout=30) as r:
        return json.load(r)


def diagnosis(driver, lab: Lab) -> str:
    """What a failure message needs: the notebook's state with its error outputs, the server's kernels and
    sessions, and the end of the server's log."""
    parts = []
    try:
        state = driver.execute_script(JS_STATE) or {}
        parts.append("JupyterLab state: " + json.dumps({k: state.get(k) for k in ("n", "busy", "unrun", "unrendered", "status")}))
        parts.append(f"error outputs: {state.get('errors') or 'none'}")
        cells = driver.execute_script(JS_CELLS) or []
        ran = [c for c in cells if re.search(r"\[\d+\]", c["prompt"])]
        unrun = [c for c in cells if "[ ]" in c["prompt"]]
        if ran:
            last = ran[-1]
            parts.append(f"last cell run: #{last['i']} {last['prompt']} {last['source']!r}; its output: {last['output']!r}")
        if unrun:
            parts.append("cells never run: " + "; ".join(f"#{c['i']} {c['source'][:50]!r}" for c in unrun[:8]))
    except Exception as err:  # noqa: BLE001 - a diagnosis must not hide the failure it describes
        parts.append(f"JupyterLab state unreadable: {err!r}")
    try:
        kernels = _api(lab.url, "/api/kernels")
        sessions = _api(lab.url, "/api/sessions")
        parts.append(f"server: {len(kernels)} kernels " + str([(k['id'][:8], k['execution_state']) for k in kernels])
                     + f", {len(sessions)} sessions " + str([s.get('path') for s in sessions]))
    except Exception as err:  # noqa: BLE001
        parts.append(f"server unreachable: {err!r}")
    parts.append("server log tail:\n" + lab.log.read_text(errors="replace")[-3000:])
    return "\n".join(parts)


def wait_kernel_ready(lab: Lab, path: str, timeout: float, driver) -> None:
    """Wait until the notebook's kernel has started and is idle (on a loaded machine that takes seconds)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        kernels = [s["kernel"] for s in _api(lab.url, "/api/sessions") if s.get("path") == path and s.get("kernel")]
        if kernels and kernels[0].get("execution_state") == "idle":
            state = driver.execute_script(JS_PROGRESS)
            if state and state["status"] in (None, "idle"):
                return
        time.sleep(POLL)
    pytest.fail(f"{path}: its kernel was not ready after {timeout:.0f} s\n{diagnosis(driver, lab)}")


def wait_run_all(driver, lab: Lab, chapter: str) -> float:
    """Wait for Run All to finish; seconds it took. Fails with diagnosis() as soon as Run All has stopped
    with cells unrun (kernel idle, STALL seconds), or after 2 x expected x load_factor() seconds."""
    global _running
    with _running_lock:
        _running += 1
    try:
        return _wait_run_all(driver, lab, chapter)
    finally:
        with _running_lock:
            _running -= 1


def _wait_run_all(driver, lab: Lab, chapter: str) -> float:
    expected = EXPECTED_SLOWER.get(chapter, EXPECTED_RUN_ALL)
    start = time.time()
    budget = 2 * expected * load_factor()
    stalled_since = None
    while True:
        now = time.time()
        state = driver.execute_script(JS_PROGRESS)
        if state and state["busy"] == 0 and state["unrun"] == 0 and state["status"] in (None, "idle") and now - start > 3:
            return now - start
        # stopped: some cells ran, none is running or queued, others never will (a kernel still starting has run none)
        stopped = bool(state) and state["ran"] > 0 and state["busy"] == 0 and state["unrun"] > 0 \
            and state["status"] in (None, "idle")
        stalled_since = (stalled_since or now) if stopped and now - start > 3 else None
        if stalled_since is not None and now - stalled_since > STALL:
            pytest.fail(f"{chapter}: Run All stopped after {now - start:.0f} s with {state['unrun']} cells never run "
                        f"and the kernel idle for {STALL:.0f} s\n{diagnosis(driver, lab)}")
        budget = max(budget, 2 * expected * load_factor())  # a load rising meanwhile stretches the budget
        if now - start > budget:
            pytest.fail(f"{chapter}: Run All did not finish within {budget:.0f} s (twice the expected {expected:.0f} s "
                        f"on an idle 2-core machine, times the load factor {budget / (2 * expected):.2f}: "
                        f"the machine's load per core or the chapters running at once)\n"
                        f"{diagnosis(driver, lab)}")
        time.sleep(POLL)


def _web_figures(html: Path, chapter: str) -> int:
    page = (html / "notebooks" / f"{chapter}.html").read_text(encoding="utf-8")
    return len(re.findall(r"<figure[ >]", page))


def save_screenshots(driver, chapter: str) -> None:
    """With PSYALLIANCE_SCREENSHOTS=<folder>, save the chapter screen by screen (<chapter>-NN.png)."""
    folder = os.environ.get("PSYALLIANCE_SCREENSHOTS")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    scroller = ("const s = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer');"
                "if (arguments[0] !== null) s.scrollTop = arguments[0]; return [s.scrollHeight, s.clientHeight];")
    total, step = driver.execute_script(scroller, 0)
    for k, top in enumerate(range(0, total, max(step - 40, 100))):
        driver.execute_script(scroller, top)
        time.sleep(0.4)
        driver.save_screenshot(str(Path(folder) / f"{chapter}-{k:02d}.png"))


def _shut_down_kernel(url: str, path: str) -> None:
    """Delete the notebook's session (and so its kernel) on the server: no idle kernel per finished chapter."""
    auth = {"Authorization": f"token {TOKEN}"}
    for session in _api(url, "/api/sessions"):
        if session.get("path") == path:
            request = urllib.request.Request(f"{url}/api/sessions/{quote(session['id'])}", method="DELETE", headers=auth)
            urllib.request.urlopen(request, timeout=30).close()


@dataclass(frozen=True)
class ChapterRun:
    """What one chapter's Run All took (seconds, from the menu click to the kernel's idle) and its code cells."""

    seconds: float
    n_code: int


def run_chapter(driver: Any, lab: Lab, html: Path, chapter: str) -> ChapterRun:
    """Open the chapter's reader notebook where its Binder button points, in a JupyterLab workspace of its
    own (nothing restored from another chapter or an earlier session), Run All Cells, check what shows."""
    url, root = lab.url, lab.root
    path = launch_path(html, chapter)
    assert (root / path).exists(), f"the Binder button opens {path}, which the build did not write"
    reader = nbformat.read(root / path, as_version=4)
    driver.get(f"{url}/lab/workspaces/{quote(chapter)}/tree/{path}?token={TOKEN}")
    try:
        try:
            _wait(driver, lambda s: s["n"] == len(reader.cells) and s["unrendered"] == 0, OPEN_TIMEOUT, "the notebook to open")
        except pytest.fail.Exception as err:
            pytest.fail(f"{chapter}: {err}\n{diagnosis(driver, lab)}")
        wait_kernel_ready(lab, path, OPEN_TIMEOUT, driver)
        sessions = _api(url, "/api/sessions")
        assert len(sessions) <= PARALLEL, f"{chapter}: the server holds {len(sessions)} sessions, at most " \
            f"{PARALLEL} expected (one per chapter running): {[x.get('path') for x in sessions]}"
        _menu(driver, "Run", "Run All Cells")
        seconds = wait_run_all(driver, lab, chapter)
        figures = _web_figures(html, chapter)
        try:  # the last outputs may still be decoding: give the images a moment before reading the page once
            state = _wait(driver, lambda s: s["images"] >= figures, 15, "the figures to show", probe=JS_STATE)
        except pytest.fail.Exception:
            state = driver.execute_script(JS_STATE)
        save_screenshots(driver, chapter)
        assert not state["errors"], f"{chapter}: tracebacks after Run All: {state['errors']}"
        raw = [m.group(0) for text in state["markdown"] for m in RAW_MYST.finditer(text)]
        assert not raw, f"{chapter}: raw MyST markup in rendered markdown: {raw[:5]}"
        assert state["images"] >= figures, f"{chapter}: {state['images']} images in JupyterLab, {figures} figures on the web"
        assert state["details"], f"{chapter}: no folded solution"
        opened = [d for d in state["details"] if d["open"] or d["shown"]]
        assert not opened, f"{chapter}: solutions open before the reader asks: {opened[:3]}"
        # cells the web page hides are collapsed (their output, if any, shows)
        expected = [bool(c.metadata.get("jupyter", {}).get("source_hidden")) for c in reader.cells if c.cell_type == "code"]
        assert [x for x in state["collapsed"] if x is not None] == expected
        if chapter == "09_how_much_24":
            check_widget_answers_its_slider(driver)
    finally:
        driver.get("about:blank")
        _shut_down_kernel(url, path)
    return ChapterRun(seconds=seconds, n_code=sum(c.cell_type == "code" for c in reader.cells))


@pytest.fixture(scope="module")
def chapter_runs(lab, built_book, tmp_path_factory, request) -> dict[str, Future]:
    """The selected chapters' run_chapter, PARALLEL at a time, longest first: chapter -> Future of its ChapterRun.

    Chromium instances of their own: JupyterLab's closing websockets must not reach the page tests' console.
    """
    require_browser()
    selected = {item.callspec.params["chapter"] for item in request.session.items
                if getattr(item, "originalname", None) == "test_chapter_reads_in_jupyterlab_after_run_all"
                and not item.get_closest_marker("skip")}
    order = [c for c in LONGEST_FIRST if c in selected] + [c for c in CHAPTERS if c in selected and c not in LONGEST_FIRST]
    with ExitStack() as stack:
        drivers: queue.Queue = queue.Queue()
        for k in range(PARALLEL):
            drivers.put(stack.enter_context(chromium_session(tmp_path_factory.mktemp(f"lab-chromium-{k}"))))

        def job(chapter: str) -> ChapterRun:
            driver = drivers.get()
            try:
                return run_chapter(driver, lab, built_book.html, chapter)
            finally:
                drivers.put(driver)

        pool = stack.enter_context(ThreadPoolExecutor(max_workers=PARALLEL, thread_name_prefix="lab"))
        stack.callback(lambda: [f.cancel() for f in futures.values()])  # a failed session stops early
        futures = {chapter: pool.submit(job, chapter) for chapter in order}
        yield futures


def _lab_selection() -> list:
    """CHAPTERS as parameters; those outside PSYALLIANCE_LAB's selection are skipped, saying how to run them."""
    if LAB not in ("core", "all", "rest"):
        raise ValueError(f"PSYALLIANCE_LAB must be core, all or rest, got {LAB!r}")
    chosen = {"core": set(CORE), "all": set(CHAPTERS), "rest": set(CHAPTERS) - set(CORE)}[LAB]
    skip = pytest.mark.skip(reason="not in the core JupyterLab set; `make test-lab` (and .ci/run) runs it")
    return [pytest.param(c, marks=() if c in chosen else skip) for c in CHAPTERS]


@pytest.mark.parametrize("chapter", _lab_selection())
def test_chapter_reads_in_jupyterlab_after_run_all(chapter, chapter_runs, record_property):
    run = chapter_runs[chapter].result(timeout=len(CHAPTERS) * (OPEN_TIMEOUT + 60 * EXPECTED_RUN_ALL))  # re-raises the chapter's failure
    record_property("run_all_seconds", round(run.seconds, 1))
    print(f"{chapter}: Run All took {run.seconds:.1f} s for {run.n_code} code cells ({PARALLEL} chapters at a time)")


def check_widget_answers_its_slider(driver) -> None:
    """After Run All, moving the sample-size slider of chapter 09's power explorer changes its output."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    output = "return [...document.querySelectorAll('.widget-output, .jupyter-widget-output')].map(o => o.innerText).join('|')"
    before = driver.execute_script(output)
    assert "n = 24" in before, f"the widget's first output is missing: {before[:300]!r}"
    readouts = driver.find_elements(By.CSS_SELECTOR, ".widget-readout")
    assert readouts, "no slider readout in chapter 09"
    readout = readouts[0]
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", readout)
    readout.click()
    readout.send_keys(Keys.CONTROL, "a")
    readout.send_keys("60", Keys.ENTER)
    deadline = time.time() + 120
    after = before
    while time.time() < deadline and "n = 60" not in after:
        time.sleep(1)
        after = driver.execute_script(output)
    assert "n = 60" in after and after != before, f"the output did not follow the slider: {after[:300]!r}"
