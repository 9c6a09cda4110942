"""`make lab`: JupyterLab on the reader notebooks, also as root, with the URL to open printed first.

In a container, Codespaces or a cloud VM the user is often root, and Jupyter refuses to start as root
without ``--allow-root``; there is also no browser to open. So, as root, this passes ``--allow-root``
and ``--no-browser``. It chooses the access token itself, so that it can print the whole URL before the
server's own log starts (``--port-retries 0``: if the port is taken the server stops instead of moving
to another port and making the printed URL wrong).

    python -m tools.lab [FOLDER] [--port 8888] [--ip 127.0.0.1]

``make lab LAB_PORT=8890 LAB_IP=0.0.0.0`` passes them on. On a remote machine, either forward the port
(``ssh -L 8888:localhost:8888 you@host``, then open the printed URL on your own computer; Codespaces and
VS Code forward it themselves) or listen on every interface with ``LAB_IP=0.0.0.0`` and open
``http://<the machine's address>:8888/lab?token=...`` (the token keeps others out; the port must be open).
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import sys
from pathlib import Path

LOCAL = ("127.0.0.1", "localhost", "::1")


def is_root() -> bool:
    """True when the process runs as root (uid 0); False on systems without user ids."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


def lab_url(ip: str, port: int, token: str) -> str:
    """The URL that opens JupyterLab: ``localhost`` for a local-only server, else the address given."""
    host = "localhost" if ip in LOCAL else ("<this machine's address>" if ip in ("0.0.0.0", "::", "") else ip)
    return f"http://{host}:{port}/lab?token={token}"


def command(folder: Path, ip: str, port: int, token: str, root: bool, jupyter: str = "jupyter") -> list[str]:
    """The jupyter lab command line (``--allow-root --no-browser`` when ``root``)."""
    cmd = [jupyter, "lab", str(folder), f"--ServerApp.ip={ip}", f"--ServerApp.port={port}",
           "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}"]
    if root:
        cmd += ["--allow-root", "--no-browser"]
    return cmd


def _port(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 1-65535, got {value}")
    return value


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="JupyterLab on the reader notebooks (make lab).")
    parser.add_argument("folder", type=Path, nargs="?", default=Path("_build/reader"))
    parser.add_argument("--port", type=_port, default=8888, help="port (1-65535; default 8888)")
    parser.add_argument("--ip", default="127.0.0.1", help="address to listen on (default 127.0.0.1; 0.0.0.0 = all)")
    args = parser.parse_args(argv)
    if not args.folder.is_dir():
        raise SystemExit(f"no folder {args.folder}: build the book first (make book)")
    jupyter = shutil.which("jupyter", path=str(Path(sys.executable).parent)) or "jupyter"
    token = secrets.token_hex(24)
    root = is_root()
    print(f"Open JupyterLab at: {lab_url(args.ip, args.port, token)}", flush=True)
    if root:
        print("(running as root, as in a container or a cloud VM: passing --allow-root --no-browser)", flush=True)
    if args.ip in LOCAL:
        print(f"On a remote machine: forward the port first (ssh -L {args.port}:localhost:{args.port} you@host; "
              "Codespaces does it itself), or run make lab LAB_IP=0.0.0.0 and use the machine's address.", flush=True)
    print("Stop with Ctrl+C.", flush=True)
    cmd = command(args.folder, args.ip, args.port, token, root, jupyter)
    os.execvp(cmd[0], cmd)  # the server replaces this process: Ctrl+C reaches it directly


if __name__ == "__main__":
    main()
