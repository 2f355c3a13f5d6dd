"""Links a person can open from the Prefect UI: reports over HTTP while `oversample serve` serves them.

A browser does not open ``file://`` links from a web page, so the served deployments link to the
reports through a small read-only HTTP server of the ``reports/`` folder (started by ``flows/serve.py``
on 127.0.0.1); a run without it (``oversample run``) links to the file.
"""

from __future__ import annotations

import functools
import os
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

REPORTS = Path("reports")
REPORTS_URL = "OVERSAMPLE_REPORTS_URL"  # set by the serving process; inherited by the flow runs it starts


def report_link(path: str | Path) -> str:
    """The URL of a report: over HTTP when the reports are served, else its file URI."""
    path = Path(path).resolve()
    base = os.environ.get(REPORTS_URL)
    root = REPORTS.resolve()
    if base and path.is_relative_to(root):
        return f"{base.rstrip('/')}/{quote(path.relative_to(root).as_posix())}"
    return path.as_uri()


def serve_reports(port: int = 0) -> str:
    """Serve ``reports/`` read-only on 127.0.0.1 (a free port for 0) from a daemon thread; return its URL."""
    REPORTS.mkdir(exist_ok=True)
    handler = functools.partial(_QuietHandler, directory=str(REPORTS.resolve()))
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, name="reports-http", daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    os.environ[REPORTS_URL] = url
    return url


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # the serve log is for runs, not for every page view
        pass
