"""Summarise Sphinx's link check of the book: fail on broken links; only report 403s, 503s and timeouts.

Sphinx 7.4 (the pinned version) already files a 503 as ``ignored`` ("service unavailable") and a 401 as
``working``, but calls a 403 ``broken`` and exits 1 on it and on any timeout. Many publishers answer a
script with 403 while the page reads fine in a browser, and a timeout or 503 says nothing about the link
itself, so these three are listed and do not fail; anything else broken (404, unknown host, ...) fails.
DOIs are never requested (``linkcheck_ignore`` in ``_config.yml``). Used by ``make linkcheck``::

    python -m tools.linkcheck_report _build/linkcheck/_build/html/output.json
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

FORBIDDEN = re.compile(r"^403 Client Error\b")
REPORTED = ("forbidden (403)", "unavailable (503)", "timeout")


def classify(entry: dict) -> str:
    """The verdict on one line of Sphinx's ``output.json``: a key of the summary (``broken`` is the only failure)."""
    status, info = entry.get("status"), str(entry.get("info") or "")
    if status == "broken":
        return "forbidden (403)" if FORBIDDEN.match(info) else "broken"
    if status == "ignored":
        return "unavailable (503)" if info == "service unavailable" else "skipped (linkcheck_ignore)"
    return str(status)  # working, redirected, timeout, local, unchecked


def read_output(path: Path) -> list[dict]:
    """The entries of a linkcheck ``output.json`` (one JSON object a line); a clear error if there is none."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist: the linkcheck build did not run or failed before checking")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def summarise(entries: Iterable[dict]) -> tuple[str, list[dict]]:
    """A plain-text report (counts, then each broken and each reported link) and the entries that fail the check."""
    entries = list(entries)
    verdicts = [classify(e) for e in entries]
    lines = [f"{verdict}: {count}" for verdict, count in sorted(Counter(verdicts).items())]
    failing = [e for e, v in zip(entries, verdicts) if v == "broken"]
    for title, wanted in (("broken (fails the check)", ("broken",)), ("reported, not failing", REPORTED)):
        listed = [(e, v) for e, v in zip(entries, verdicts) if v in wanted]
        if listed:
            lines += ["", f"{title}:"]
            lines += [f"  {e['filename']}:{e['lineno']}: {e['uri']} [{v}] {e.get('info', '')}" for e, v in listed]
    return "\n".join(lines), failing


def main(argv: Sequence[str] | None = None) -> int:
    """Print the report of the ``output.json`` named in ``argv``; exit status 1 if any link is broken."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m tools.linkcheck_report PATH/output.json", file=sys.stderr)
        return 2
    try:
        entries = read_output(Path(args[0]))
    except (FileNotFoundError, json.JSONDecodeError) as err:
        print(f"linkcheck report: {err}", file=sys.stderr)
        return 2
    report, failing = summarise(entries)
    print(report)
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
