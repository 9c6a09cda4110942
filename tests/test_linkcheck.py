"""The book's link check, run by Sphinx against a local server: 403 and 503 are reported without failing,
a missing page fails, and a DOI is never requested.

The verdicts come from the pinned Sphinx itself (its linkcheck builder with the ``linkcheck_*`` settings of
``_config.yml``), answering real HTTP responses; tools/linkcheck_report.py then decides what fails.
"""

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from tools.linkcheck_report import classify, main, summarise

ROOT = Path(__file__).resolve().parents[1]
ANSWERS = {"/ok": 200, "/forbidden": 403, "/unavailable": 503, "/missing": 404}
DOI = "https://doi.org/10.1371/journal.pone.0300501"


class _Handler(BaseHTTPRequestHandler):
    requested: list[str] = []

    def _answer(self, body: bool) -> None:
        self.requested.append(self.path)
        code = ANSWERS.get(self.path, 404)
        self.send_response(code)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", "13")
        self.end_headers()
        if body:
            self.wfile.write(b"<p>page</p>\n\n")

    def do_HEAD(self):  # noqa: N802 (http.server's naming)
        self._answer(body=False)

    def do_GET(self):  # noqa: N802
        self._answer(body=True)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def linkcheck_output(tmp_path_factory):
    """Sphinx's output.json for a page linking to each answer of the local server and to a DOI."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    src, out = tmp_path_factory.mktemp("src"), tmp_path_factory.mktemp("out")
    config = yaml.safe_load((ROOT / "_config.yml").read_text())["sphinx"]["config"]
    settings = {k: v for k, v in config.items() if k.startswith("linkcheck_")}
    (src / "conf.py").write_text("".join(f"{k} = {v!r}\n" for k, v in settings.items()))
    links = [f"{base}{p}" for p in ANSWERS] + [DOI]
    (src / "index.rst").write_text("Links\n=====\n\n" + "".join(f"- `{u} <{u}>`_\n" for u in links))
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}  # 127.0.0.1 directly
    run = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "linkcheck", "-q", str(src), str(out)],
        capture_output=True, text=True, timeout=300, env=env,
    )
    server.shutdown()
    entries = [json.loads(line) for line in (out / "output.json").read_text().splitlines() if line.strip()]
    return {"base": base, "settings": settings, "returncode": run.returncode, "out": out,
            "entries": {e["uri"]: e for e in entries}}


def test_the_book_configures_its_link_check(linkcheck_output):
    assert linkcheck_output["settings"].get("linkcheck_ignore"), "_config.yml sets no linkcheck_ignore"


def test_sphinx_itself_fails_on_a_403_and_a_404(linkcheck_output):
    """Why a report step is needed: the pinned Sphinx calls a 403 broken and exits non-zero."""
    entries, base = linkcheck_output["entries"], linkcheck_output["base"]
    assert entries[f"{base}/forbidden"]["status"] == "broken"
    assert entries[f"{base}/missing"]["status"] == "broken"
    assert linkcheck_output["returncode"] != 0


def test_verdicts(linkcheck_output):
    entries, base = linkcheck_output["entries"], linkcheck_output["base"]
    verdicts = {uri: classify(e) for uri, e in entries.items()}
    assert verdicts == {
        f"{base}/ok": "working",
        f"{base}/forbidden": "forbidden (403)",
        f"{base}/unavailable": "unavailable (503)",
        f"{base}/missing": "broken",
        DOI: "skipped (linkcheck_ignore)",
    }


def test_only_the_missing_page_fails(linkcheck_output):
    entries, base = linkcheck_output["entries"], linkcheck_output["base"]
    report, failing = summarise(entries.values())
    assert [e["uri"] for e in failing] == [f"{base}/missing"]
    assert f"{base}/forbidden" in report and f"{base}/unavailable" in report
    assert main([str(linkcheck_output["out"] / "output.json")]) == 1


def test_403_and_503_alone_do_not_fail(linkcheck_output, tmp_path):
    entries, base = linkcheck_output["entries"], linkcheck_output["base"]
    kept = [entries[f"{base}{p}"] for p in ("/ok", "/forbidden", "/unavailable")] + [entries[DOI]]
    (tmp_path / "output.json").write_text("".join(json.dumps(e) + "\n" for e in kept))
    assert main([str(tmp_path / "output.json")]) == 0


def test_doi_is_never_requested(linkcheck_output):
    """Ignored by pattern before any request (offline here, a request would have come back broken)."""
    entry = linkcheck_output["entries"][DOI]
    assert (entry["status"], entry["info"]) == ("ignored", "")


def test_every_answer_was_requested(linkcheck_output):
    assert set(ANSWERS) <= set(_Handler.requested)


def test_a_missing_output_is_a_clear_error(tmp_path, capsys):
    assert main([str(tmp_path / "output.json")]) == 2
    assert "did not run" in capsys.readouterr().err
