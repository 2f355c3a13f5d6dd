"""Against a real `prefect server` on loopback: the deployments are served, a drift event triggers recalibration.

The test talks to the server through Prefect's own client. Under concurrent writes (the served process
registering, the scheduler inserting cron runs, the event persister) the server's SQLite refuses a write at
once and the API answers 503 "Service Unavailable"; Prefect's client retries that, a bare HTTP client took
the error body for the flow run (the old `KeyError: 'id'`). Every wait is on an object: the served
process's start message, a flow run's final state event, the trigger's run events.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import urllib.request
import uuid
from datetime import timedelta
from pathlib import Path

import yaml

from flows.serve import free_port, start_server
from tests.test_drift import drop_batch

STARTED = b"Your deployments are being served"
FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def follow(process: subprocess.Popen, log: Path) -> threading.Event:
    """Copy the served process's output into ``log`` (a full pipe would block it); the event is set once it has
    registered every deployment and trigger (it prints its start message then), or once it has exited."""
    started = threading.Event()

    def copy() -> None:
        with open(log, "wb") as out:
            for line in process.stdout:
                out.write(line)
                out.flush()
                if STARTED in line:
                    started.set()
        started.set()

    threading.Thread(target=copy, daemon=True).start()
    return started


async def drift_to_recalibration(log: Path) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        DeploymentFilter,
        DeploymentFilterId,
    )
    from prefect.events.clients import get_events_subscriber
    from prefect.events.filters import EventFilter, EventNameFilter
    from prefect.flow_runs import wait_for_flow_run

    async with get_client() as client:
        deployments = {d.name: d for d in await client.read_deployments()}
        declared = {d["name"]: d for d in yaml.safe_load(Path("prefect.yaml").read_text())["deployments"]}
        assert set(deployments) == set(declared)
        assert deployments["drift-monitor"].schedules[0].schedule.cron == "*/15 * * * *"
        weekly = deployments["scheduled-retrain"].schedules[0].schedule  # every 7 days from a Monday 02:00 UTC
        assert weekly.interval == timedelta(days=7) and weekly.anchor_date.isoformat().startswith("2026-01-05T02:00")
        assert deployments["recalibrate"].global_concurrency_limit.limit == 1
        recalibrate = deployments["recalibrate"].id
        # The drift trigger is an automation that runs the recalibrate deployment.
        assert any(a.actions[0].deployment_id == recalibrate and "oversampling.drift.detected" in a.trigger.expect
                   for a in await client.read_automations())

        # Only the test's own monitor run may take the batch: the cron schedule is switched off (the server then
        # deletes its future runs), and a scheduled run already under way is waited for.
        monitor_id = deployments["drift-monitor"].id
        for schedule in deployments["drift-monitor"].schedules:
            await client.update_deployment_schedule(monitor_id, schedule.id, active=False)
        for earlier in await client.read_flow_runs(
                deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[monitor_id]))):
            await wait_for_flow_run(earlier.id, timeout=600, client=client)

        # A drifted batch, then a run of the monitor: it emits the drift event, the trigger starts recalibrate.
        drop_batch("week7.parquet", drift=1.0, seed=17)
        # Flow-run events, subscribed to before the monitor runs so none is missed. (The server's live stream
        # does not apply a `related` filter, so the recalibrate deployment's runs are picked out here.)
        recalibrate_runs = f"prefect.deployment.{recalibrate}"
        async with get_events_subscriber(filter=EventFilter(event=EventNameFilter(prefix=["prefect.flow-run."]))) \
                as events:
            run = await client.create_flow_run_from_deployment(monitor_id)
            monitor = await wait_for_flow_run(run.id, timeout=600, client=client)
            assert monitor.state.is_completed(), (monitor.state, log.read_text()[-3000:])
            async for event in events:  # the triggered run's state events, up to its final one
                if recalibrate_runs in {r.id for r in event.related} \
                        and event.resource.get("prefect.state-type") in FINAL:
                    break
        triggered = await client.read_flow_run(uuid.UUID(event.resource.id.removeprefix("prefect.flow-run.")))
        assert triggered.state.is_completed(), (triggered.state, log.read_text()[-3000:])
        assert triggered.parameters["drift_report"] == "reports/drift/00001-week7.json"

        async def artifacts(run_id) -> dict:
            found = await client.read_artifacts(artifact_filter=ArtifactFilter(
                flow_run_id=ArtifactFilterFlowRunId(any_=[run_id])))
            return {a.key: a for a in found}

        assert "promoted version `v2`" in (await artifacts(triggered.id))["recalibration"].data
        monitor_artifacts = await artifacts(monitor.id)
        assert "drift-00001-week7" in monitor_artifacts
        # the Evidently report's link opens from the UI: the serving process serves reports/ over HTTP
        shown = monitor_artifacts["drift-00001-week7-report"].data  # a link artifact is stored as [text](url)
        link = shown[shown.index("](") + 2:].removesuffix(")")
        assert link.startswith("http://127.0.0.1:") and link.endswith("/drift/00001-week7.html"), shown
        with urllib.request.urlopen(link, timeout=30) as reply:
            assert reply.status == 200 and b"Minority rows only" in reply.read()


def test_served_deployments_run_on_a_real_server(site, tmp_path):
    from prefect.settings import PREFECT_API_URL, temporary_settings

    port = free_port()
    server = start_server(port, home=tmp_path / "prefect-home", log=tmp_path / "server.log")
    api = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_API_URL": api, "PREFECT_HOME": str(tmp_path / "prefect-home"),
           "PREFECT_RUNNER_POLL_FREQUENCY": "2", "PYTHONPATH": str(site)}
    served = subprocess.Popen([sys.executable, "-m", "flows.serve"], cwd=site, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
    log = tmp_path / "serve.log"
    try:
        assert follow(served, log).wait(timeout=300) and served.poll() is None, log.read_text()[-3000:]
        with temporary_settings({PREFECT_API_URL: api}):
            asyncio.run(asyncio.wait_for(drift_to_recalibration(log), timeout=900))
        assert '"active": "v2"' in Path("models/registry/registry.json").read_text()
    finally:
        served.terminate()
        served.wait(timeout=60)
        server.terminate()
        server.wait(timeout=60)
