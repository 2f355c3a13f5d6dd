"""Against a real `prefect server` on loopback: the deployments are served, a drift event triggers recalibration.

The drift loop runs twice there with scm the only generator: drift → recalibrate → promote (v2, scm best) → drift →
recalibrate, whose run ends in a verdict (promoted, or refused with its reason), not a crash.

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
from tests.conftest import SCM_ONLY, write_params
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
# scm alone, so a promoted version's best generator is scm; its linear mechanisms, one learner, one repeat and a
# small window keep the refits cheap (the CLI's two-turn loop in tests/test_drift.py runs on the same settings).
TURNS = ("turn1.parquet", "turn2.parquet")  # one batch per turn of the loop
TURN_ROWS = 2000


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


async def served_deployments(client) -> dict:
    """The served deployments, as prefect.yaml declares them, with the monitor's cron schedule switched off."""
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
    from prefect.flow_runs import wait_for_flow_run

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

    # Only the test's own monitor runs may take the batches: the cron schedule is switched off (the server then
    # deletes its future runs), and a scheduled run already under way is waited for.
    monitor_id = deployments["drift-monitor"].id
    for schedule in deployments["drift-monitor"].schedules:
        await client.update_deployment_schedule(monitor_id, schedule.id, active=False)
    for earlier in await client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[monitor_id]))):
        await wait_for_flow_run(earlier.id, timeout=600, client=client)
    return deployments


async def drift_turn(client, deployments: dict, batch: str, *, drift: float, seed: int, log: Path):
    """One turn of the loop: a drifted batch, a run of the monitor, the recalibrate run its drift event triggers,
    followed to its final state. Returns the monitor's run and the triggered run."""
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
    from prefect.events.clients import get_events_subscriber
    from prefect.events.filters import EventFilter, EventNameFilter
    from prefect.flow_runs import wait_for_flow_run

    recalibrate = deployments["recalibrate"].id
    # the earlier turns' recalibrate runs: the subscriber replays their events first
    earlier = {f"prefect.flow-run.{r.id}" for r in await client.read_flow_runs(
        deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[recalibrate])))}
    drop_batch(batch, drift=drift, seed=seed, rows=TURN_ROWS)
    # Flow-run events, subscribed to before the monitor runs so none is missed. (The server's live stream
    # does not apply a `related` filter, so the recalibrate deployment's runs are picked out here.)
    recalibrate_runs = f"prefect.deployment.{recalibrate}"
    async with get_events_subscriber(filter=EventFilter(event=EventNameFilter(prefix=["prefect.flow-run."]))) \
            as events:
        run = await client.create_flow_run_from_deployment(deployments["drift-monitor"].id)
        monitor = await wait_for_flow_run(run.id, timeout=600, client=client)
        assert monitor.state.is_completed(), (monitor.state, log.read_text()[-3000:])
        assert monitor.state.name == "Recalibration requested", (monitor.state, log.read_text()[-3000:])
        async for event in events:  # the triggered run's state events, up to its final one
            if recalibrate_runs in {r.id for r in event.related} and event.resource.id not in earlier \
                    and event.resource.get("prefect.state-type") in FINAL:
                break
    triggered = await client.read_flow_run(uuid.UUID(event.resource.id.removeprefix("prefect.flow-run.")))
    assert triggered.parameters["drift_report"] == f"reports/drift/{monitor_report(batch)}.json", triggered.parameters
    return monitor, triggered


def monitor_report(batch: str) -> str:
    """The monitor's name for a batch's report: the batch's turn, then its name (the turns drop one batch each)."""
    return f"{TURNS.index(batch) + 1:05d}-{Path(batch).stem}"


def registry_index() -> dict:
    return json.loads(Path("models/registry/registry.json").read_text())


async def drift_loop_twice(log: Path) -> str:
    """drift → recalibrate → promote (scm best) → drift → recalibrate, through the served deployments; returns the
    link to the first turn's drift report."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    async with get_client() as client:
        async def artifacts(run_id) -> dict:
            found = await client.read_artifacts(artifact_filter=ArtifactFilter(
                flow_run_id=ArtifactFilterFlowRunId(any_=[run_id])))
            return {a.key: a for a in found}

        deployments = await served_deployments(client)

        # Turn 1: a drifted batch; the triggered recalibration promotes v2, whose best generator is scm.
        monitor, triggered = await drift_turn(client, deployments, TURNS[0], drift=1.0, seed=31, log=log)
        assert triggered.state.is_completed(), (triggered.state, log.read_text()[-3000:])
        assert "promoted version `v2`" in (await artifacts(triggered.id))["recalibration"].data
        v2 = next(r for r in registry_index()["versions"] if r["id"] == "v2")
        assert registry_index()["active"] == "v2" and v2["metrics"]["best_generator"] == "scm", v2["metrics"]
        first = monitor_report(TURNS[0])
        monitor_artifacts = await artifacts(monitor.id)
        assert f"drift-{first}" in monitor_artifacts
        # the Evidently report's link opens from the UI: the serving process serves reports/ over HTTP
        shown = monitor_artifacts[f"drift-{first}-report"].data  # a link artifact is stored as [text](url)
        link = shown[shown.index("](") + 2:].removesuffix(")")
        assert link.startswith("http://127.0.0.1:") and link.endswith(f"/drift/{first}.html"), shown
        with urllib.request.urlopen(link, timeout=30) as reply:
            assert reply.status == 200 and b"Minority rows only" in reply.read()

        # Turn 2: the drift goes on; against scm-active v2 the triggered recalibration ends in a verdict, promoted
        # (Completed) or refused (Failed with the reason), never Crashed; its verdict is on the run and on disk.
        _, triggered = await drift_turn(client, deployments, TURNS[1], drift=2.0, seed=32, log=log)
        state = triggered.state
        assert state.type.value in ("COMPLETED", "FAILED") and "Traceback" not in (state.message or ""), state
        verdicts = sorted(Path("reports/recalibration").glob("*.json"))
        assert len(verdicts) == 2, verdicts  # one per turn
        verdict = json.loads(verdicts[-1].read_text())
        assert verdict["active_before"] == "v2" and verdict["trigger"] == {
            "kind": "drift", "report": f"reports/drift/{monitor_report(TURNS[1])}.json"}, verdict
        (performance,) = [g for g in verdict["gates"] if g["gate"] == "hold-out performance"]
        assert performance["compared_with"]["version"] == "v2"  # scm-active v2's recommended option, refitted
        shown = (await artifacts(triggered.id))["recalibration"].data
        if state.is_completed():
            assert verdict["promoted"] and verdict["version"] == "v3" and registry_index()["active"] == "v3"
            assert "promoted version `v3`" in shown, shown
        else:
            assert not verdict["promoted"] and registry_index()["active"] == "v2", verdict
            assert state.message.startswith("the new generators were not promoted: "), state.message
            assert f"see {verdicts[-1]}" in state.message and "active version `v2` stays" in shown, (state, shown)
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
    """The served deployments run the drift loop twice with scm active; then the pages a person opens."""
    from prefect.artifacts import Artifact
    from prefect.settings import PREFECT_API_URL, temporary_settings

    write_params(site, **SCM_ONLY)  # before the served process starts: its runs read params.yaml
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
            drift_report = asyncio.run(asyncio.wait_for(drift_loop_twice(log), timeout=1500))
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
