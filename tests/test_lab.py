"""`make lab` (tools/lab.py): starts JupyterLab as root too and prints a URL that opens it."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from tools.lab import command, is_root, lab_url, main

ROOT = Path(__file__).resolve().parents[1]


def test_root_gets_allow_root_and_no_browser():
    as_root = command(Path("r"), "127.0.0.1", 8888, "t", root=True)
    as_user = command(Path("r"), "127.0.0.1", 8888, "t", root=False)
    assert "--allow-root" in as_root and "--no-browser" in as_root
    assert "--allow-root" not in as_user
    assert "--ServerApp.port_retries=0" in as_user  # the printed port is the port served


def test_url_names_the_host_to_open():
    assert lab_url("127.0.0.1", 8890, "abc") == "http://localhost:8890/lab?token=abc"
    assert lab_url("10.1.2.3", 8888, "abc") == "http://10.1.2.3:8888/lab?token=abc"
    assert "<this machine's address>" in lab_url("0.0.0.0", 8888, "abc")


def test_bad_port_and_missing_folder_are_refused(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main([str(tmp_path), "--port", "70000"])
    assert "port must be 1-65535, got 70000" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="build the book first"):
        main([str(tmp_path / "nothing")])


def test_makefile_lab_runs_this_tool():
    text = (ROOT / "Makefile").read_text()
    assert re.search(r"^lab: book.*\n\t\$\(BIN\)/python -m tools\.lab \$\(BUILD\)/reader", text, flags=re.M)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_lab_starts_and_the_printed_url_answers(tmp_path):
    """Start the real server the way `make lab` does (as root on a root machine) and open the printed URL."""
    folder = tmp_path / "reader"
    folder.mkdir()
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")]), folder / "x.ipynb")
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"), JUPYTER_CONFIG_DIR=str(tmp_path / "config"))
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "tools.lab", str(folder), "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        first = proc.stdout.readline()
        m = re.match(r"Open JupyterLab at: (http://localhost:(\d+)/lab\?token=(\w+))$", first.strip())
        assert m, first
        assert int(m.group(2)) == port
        if is_root():
            assert "--allow-root" in proc.stdout.readline()
        status = f"http://127.0.0.1:{port}/api/status?token={m.group(3)}"
        deadline, answer = time.monotonic() + 90, None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(status, timeout=5) as r:
                    answer = r.status
                    break
            except OSError:
                time.sleep(0.5)
        assert proc.poll() is None, "jupyter lab stopped (as root without --allow-root it would)"
        assert answer == 200
        with urllib.request.urlopen(m.group(1).replace("localhost", "127.0.0.1"), timeout=10) as r:
            assert r.status == 200 and b"JupyterLab" in r.read()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
