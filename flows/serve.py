"""Serve the deployments of prefect.yaml (schedules and event triggers) from this process: `oversample serve`.

prefect.yaml stays the one description of the deployments; this module turns each entry into a
runner deployment, so the same file works with `prefect deploy` (a work pool) and without one.
"""

from __future__ import annotations

import importlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import yaml

PREFECT_YAML = Path("prefect.yaml")


def deployments(config: Path = PREFECT_YAML) -> list:
    """One runner deployment per entry of prefect.yaml, with its cron or interval schedules and event triggers."""
    from datetime import datetime, timedelta

    from prefect.events import DeploymentEventTrigger
    from prefect.schedules import Cron, Interval

    def schedule(s: dict):
        if "cron" in s:
            return Cron(s["cron"], timezone=s.get("timezone"))
        anchor = datetime.fromisoformat(s["anchor_date"]) if s.get("anchor_date") else None
        return Interval(timedelta(seconds=s["interval"]), anchor_date=anchor, timezone=s.get("timezone"))

    out = []
    for entry in yaml.safe_load(config.read_text())["deployments"]:
        path, name = entry["entrypoint"].split(":")
        flow = getattr(importlib.import_module(path.removesuffix(".py").replace("/", ".")), name)
        schedules = [schedule(s) for s in entry.get("schedules") or []]
        triggers = [DeploymentEventTrigger(**{k: v for k, v in t.items() if k != "type"})
                    for t in entry.get("triggers") or []]
        out.append(flow.to_deployment(name=entry["name"], description=entry.get("description"),
                                      parameters=entry.get("parameters") or {}, schedules=schedules or None,
                                      triggers=triggers or None, concurrency_limit=entry.get("concurrency_limit")))
    return out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, *, home: Path, log: Path, timeout: float = 120.0) -> subprocess.Popen:
    """``prefect server start`` on 127.0.0.1:port (its database under ``home``); returns once it is healthy."""
    env = {**os.environ, "PREFECT_HOME": str(home.resolve()), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "DO_NOT_TRACK": "1", "PREFECT_UI_API_URL": f"http://127.0.0.1:{port}/api"}
    env.pop("PREFECT_API_URL", None)
    log.parent.mkdir(parents=True, exist_ok=True)
    server = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                               "--port", str(port)], env=env, stdout=open(log, "ab"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"prefect server exited with {server.returncode}; see {log}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as reply:
                if reply.status == 200:
                    return server
        except OSError:
            time.sleep(0.5)
    server.terminate()
    raise RuntimeError(f"prefect server on port {port} not healthy after {timeout:.0f} s; see {log}")


def main() -> None:
    """Serve every deployment until interrupted (PREFECT_API_URL names the server), and the reports over HTTP."""
    from prefect import serve

    from flows.links import serve_reports

    url = serve_reports(int(os.environ.get("OVERSAMPLE_REPORTS_PORT", "0")))
    print(f"reports (audit page, drift reports) served at {url}", flush=True)
    serve(*deployments(), print_starting_message=True)


if __name__ == "__main__":
    main()
