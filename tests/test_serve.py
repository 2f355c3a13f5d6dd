"""Against a real `prefect server` on loopback: the deployments are served, a drift event triggers recalibration."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from flows.serve import free_port, start_server
from tests.test_drift import drop_batch

FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def wait_for(what: str, probe, timeout: float = 240.0, every: float = 1.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


def test_served_deployments_run_on_a_real_server(site, tmp_path):
    port = free_port()
    server = start_server(port, home=tmp_path / "prefect-home", log=tmp_path / "server.log")
    api = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_API_URL": api, "PREFECT_HOME": str(tmp_path / "prefect-home"),
           "PREFECT_RUNNER_POLL_FREQUENCY": "2", "PYTHONPATH": str(site)}
    served = subprocess.Popen([sys.executable, "-m", "flows.serve"], cwd=site, env=env,
                              stdout=open(tmp_path / "serve.log", "wb"), stderr=subprocess.STDOUT)
    try:
        with httpx.Client(base_url=api, timeout=30) as client:
            def deployments() -> dict:
                rows = client.post("/deployments/filter", json={}).json()
                named = {d["name"]: d for d in rows}
                return named if {"scheduled-retrain", "drift-monitor", "recalibrate"} <= set(named) else {}

            named = wait_for("the three deployments", deployments)
            assert named["drift-monitor"]["schedules"][0]["schedule"]["cron"]
            weekly = named["scheduled-retrain"]["schedules"][0]["schedule"]  # every 7 days from a Monday 02:00 UTC
            assert weekly["interval"] == 604800 and weekly["anchor_date"].startswith("2026-01-05T02:00:00")
            # The drift trigger is an automation that runs the recalibrate deployment (created just after it).
            wait_for("the recalibrate trigger", lambda: any(
                a["actions"][0].get("deployment_id") == named["recalibrate"]["id"]
                and "oversampling.drift.detected" in a["trigger"]["expect"]
                for a in client.post("/automations/filter", json={}).json()))

            # A drifted batch, then a run of the monitor: it emits the drift event, the trigger starts recalibrate.
            drop_batch("week7.parquet", drift=1.0, seed=17)
            replies = []

            def created() -> dict | None:
                # The API can refuse a run while the served process is still upserting its deployments (the
                # SQLite database is busy); wait for the run object itself, keeping the last refusal for the message.
                reply = client.post(f"/deployments/{named['drift-monitor']['id']}/create_flow_run", json={})
                replies.append(f"{reply.status_code} {reply.text[:500]}")
                return reply.json() if reply.status_code < 300 and "id" in reply.json() else None

            try:
                run = wait_for("the monitor run to be created", created, timeout=60)
            except AssertionError as err:
                raise AssertionError(f"{err}; last reply: {replies[-1]}") from None

            def state(run_id: str) -> str | None:
                found = ((client.get(f"/flow_runs/{run_id}").json().get("state")) or {}).get("type")
                return found if found in FINAL else None

            assert wait_for("the monitor run", lambda: state(run["id"])) == "COMPLETED", \
                (tmp_path / "serve.log").read_text()[-3000:]
            triggered = wait_for("a triggered recalibrate run", lambda: client.post("/flow_runs/filter", json={
                "deployments": {"id": {"any_": [named["recalibrate"]["id"]]}}}).json())
            assert wait_for("the recalibrate run", lambda: state(triggered[0]["id"])) == "COMPLETED", \
                (tmp_path / "serve.log").read_text()[-3000:]
            assert triggered[0]["parameters"]["drift_report"] == "reports/drift/00001-week7.json"
            artifacts = client.post("/artifacts/filter", json={
                "artifacts": {"flow_run_id": {"any_": [triggered[0]["id"]]}}}).json()
            verdict = next(a for a in artifacts if a["key"] == "recalibration")
            assert "promoted version `v2`" in verdict["data"]
            assert any(a["key"] == "drift-00001-week7" for a in client.post("/artifacts/filter", json={
                "artifacts": {"flow_run_id": {"any_": [run["id"]]}}}).json())
        assert '"active": "v2"' in Path("models/registry/registry.json").read_text()
    finally:
        served.terminate()
        served.wait(timeout=60)
        server.terminate()
        server.wait(timeout=60)
