"""Against a real `prefect server` on loopback: the deployments are served, a drift event triggers recalibration.

The test talks to the server through Prefect's own client. Under concurrent writes (the served process
registering, the scheduler inserting cron runs, the event persister) the server's SQLite refuses a write at
once and the API answers 503 "Service Unavailable"; Prefect's client retries that, a bare HTTP client took
the error body for the flow run (the old `KeyError: 'id'`). Every wait is on an object: the served
process's start message, a flow run's final state event, the trigger's run events, a page's rendered content.

Where Debian's `chromium` is installed, headless Chromium then opens the run's pages at 1440x900 as a person
would: the summary artifact in the Prefect UI and the monitor's link to the Evidently report (the screenshots
stay in the test's tmp_path).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from prefect import flow

from flows.retrain import publish_artifacts
from flows.serve import free_port, start_server
from tasks import paths
from tasks.params import load_params
from tests.browser import CHROMIUM, MISSING, chromium
from tests.test_drift import drop_batch

STARTED = b"Your deployments are being served"
FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}
WIDTH, HEIGHT = 1440, 900  # a laptop screen
# The artifact page's table once its method cells are drawn: the headers, each row's first cell, where the first
# header lies.
SUMMARY_TABLE = """(() => {
  const table = document.querySelector('table');
  const head = table ? [...table.querySelectorAll('thead th')] : [];
  const rows = table ? [...table.querySelectorAll('tbody tr')] : [];
  const methods = rows.map(r => r.cells[0].innerText.trim());
  if (!head.length || !rows.length || methods.includes('')) return null;  // text cells render later
  const box = head[0].getBoundingClientRect();
  const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
  return {headers: head.map(h => h.innerText.trim()), methods,
          left: box.left, right: box.right, bottom: box.bottom, width: innerWidth, height: innerHeight,
          uncovered: head[0].contains(hit)};
})()"""
# The drift report's text once Evidently's script has drawn its widgets below the note the monitor adds.
EVIDENTLY_PAGE = """(() => {
  const text = document.body ? document.body.innerText : '';
  return text.includes('Minority rows only') && text.includes('Data Drift Summary') ? text : null;
})()"""
NAVIGATION_STATUS = "performance.getEntriesByType('navigation')[0].responseStatus"


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


async def drift_to_recalibration(log: Path) -> str:
    """Drift in a batch, the monitor's run, the recalibration it triggers; returns the link to the drift report."""
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
        return link


@contextmanager
def flow_runs_on(api: str) -> Iterator[None]:
    """Flow runs of this process against ``api``: the API URL, and Prefect's events worker, which is one per process
    keyed without the URL (the session's test server's worker would take the runs' events, and fail on them)."""
    from prefect.events.clients import PrefectEventsClient
    from prefect.events.worker import EventsWorker
    from prefect.settings import PREFECT_API_URL, temporary_settings

    EventsWorker.set_client_override(PrefectEventsClient, api_url=api)
    try:
        with temporary_settings({PREFECT_API_URL: api}):
            yield
    finally:
        EventsWorker.set_client_override(None)


@flow(name="publish-retrain-summary")
def publish_last_run() -> None:
    """The retrain flow's own publishing step, on the site's last run: its summary table in this server's UI for a
    few seconds, where a retrain run on this server would cost the better part of a minute."""
    publish_artifacts(load_params("params.yaml"), json.loads(paths.RUN_SUMMARY.read_text()))


def seen_in_chromium(ui: str, summary_id, drift_report: str, folder: Path) -> None:
    """What a person sees at 1440x900: the summary table opens with the method column, on screen, one row per
    method; the drift report link opens Evidently's page under the monitor's note. Screenshots go to ``folder``."""
    methods = [row["method"] for row in json.loads(paths.RUN_SUMMARY.read_text())["rows"]]
    with chromium(folder / "chromium-profile", width=WIDTH, height=HEIGHT) as page:
        page.open(f"{ui}/artifacts/artifact/{summary_id}")
        table = page.wait_for(SUMMARY_TABLE)
        page.screenshot(folder / "retrain-summary.png")
        assert table["headers"][0] == "method" and table["methods"] == methods, table
        assert (table["width"], table["height"]) == (WIDTH, HEIGHT), table
        # the whole method header is inside the viewport, not scrolled off or covered by anything
        assert 0 <= table["left"] < table["right"] <= WIDTH and table["bottom"] <= HEIGHT and table["uncovered"], table

        page.open(drift_report)
        text = page.wait_for(EVIDENTLY_PAGE)
        page.screenshot(folder / "drift-report.png")
        assert page.evaluate(NAVIGATION_STATUS) == 200
        assert "Verdict: DRIFT" in text and "Dataset Drift is detected" in text, text[:3000]


def test_served_deployments_run_on_a_real_server(site, tmp_path):
    from prefect.artifacts import Artifact
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
            drift_report = asyncio.run(asyncio.wait_for(drift_to_recalibration(log), timeout=900))
        assert '"active": "v2"' in Path("models/registry/registry.json").read_text()
        if CHROMIUM is None:
            pytest.skip(f"the served run passed; its pages were not opened in a browser: {MISSING}")
        with flow_runs_on(api):
            publish_last_run()
            summary = Artifact.get("retrain-summary")
        seen_in_chromium(f"http://127.0.0.1:{port}", summary.id, drift_report, tmp_path)
    finally:
        served.terminate()
        served.wait(timeout=60)
        server.terminate()
        server.wait(timeout=60)
