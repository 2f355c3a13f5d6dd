"""The drift monitor (scheduled) and the gated recalibration it triggers."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pyarrow.parquet as pq
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.states import Completed, Failed

from augmentation.data import io
from augmentation.errors import OversamplingError
from flows.links import report_link
from flows.retrain import run_stages
from flows.user_errors import fails_cleanly
from tasks import batches, monitor, paths, versions, workspace
from tasks import recalibrate as recal
from tasks.params import DEFAULT_PARAMS

DRIFT_EVENT = "oversampling.drift.detected"
RECALIBRATE_DEPLOYMENT = "recalibrate/recalibrate"

collect_files = task(batches.from_files, name="collect-files", cache_policy=NO_CACHE)
collect_sql = task(batches.from_sql, name="collect-sql", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5)
check_drift = task(monitor.check_drift, name="check-drift", cache_policy=NO_CACHE)


def _deployment_exists(name: str) -> bool:
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    try:
        with get_client(sync_client=True) as client:
            client.read_deployment_by_name(name)
        return True
    except ObjectNotFound:
        return False


def _publish_drift(result: dict) -> None:
    key = "drift-" + "".join(ch if ch.isalnum() else "-" for ch in result["batch"].lower())[:80]
    table = [{"column": c, "test": r["test"], "p_value": r["p_value"], "drifted": r["drifted"]}
             for c, r in result["columns"].items()]
    create_table_artifact(key=key, table=table or [{"column": "-", "p_value": None, "drifted": False}],
                          description=f"Minority-row drift of batch {result['batch']} vs active version "
                                      f"{result['active_version']}: {result['reason']}")
    lines = [f"# Drift: batch `{result['batch']}`", "",
             f"**{'DRIFT' if result['drifted'] else 'no drift'}** against version `{result['active_version']}`: "
             f"{result['reason']}.", "", "| column | test | p-value | drifted |", "|---|---|---|---|"]
    lines += [f"| {r['column']} | {r['test']} | {r['p_value']:.3g} | {'yes' if r['drifted'] else 'no'} |"
              for r in table if r["p_value"] is not None]
    if result["html"]:
        html = Path(result["html"]).resolve()
        link = report_link(html)
        lines += ["", f"Evidently report: [{html.name}]({link})"]
        create_link_artifact(key=f"{key}-report", link=link, link_text=f"Evidently report {html.name}",
                             description="The Evidently data-drift report (HTML)")
    create_markdown_artifact(key="drift-latest", markdown="\n".join(lines) + "\n",
                             description="The latest drift check")


@dataclass(frozen=True)
class Outcome:
    """How one monitor run ended: the name of its Prefect state, whether that state is Failed, the exit code."""

    name: str
    failed: bool
    exit_code: int


# The one home of the monitor's outcomes; `oversample monitor --help` and the README say what each means (a test
# holds them equal). Failed makes schedulers and automations see a run that needs a person; the state name
# (event `prefect.flow-run.<name>`) says which. Quarantine wins over a refused recalibration.
OUTCOMES = {o.name: o for o in (
    Outcome("No new batch", False, 0), Outcome("No drift", False, 0), Outcome("Recalibrated", False, 0),
    Outcome("Recalibration requested", False, 0), Outcome("Drift, recalibration off", False, 0),
    Outcome("Recalibration refused", True, 3), Outcome("Quarantined", True, 4),
)}


class MonitorAlert(Exception):
    """The data of a Failed monitor run: calling the flow directly raises it; ``.outcome`` holds the details.
    An outcome, not a crash: no traceback is logged for it (flows/user_errors.py)."""

    outcome_not_a_crash = True

    def __init__(self, message: str, outcome: dict) -> None:
        super().__init__(message)
        self.outcome = outcome


def _final_state(outcome: dict):
    """The flow run's final state: Completed or Failed, named after the outcome, with a one-line message."""
    kind = OUTCOMES[outcome["status"]]
    outcome["exit_code"] = kind.exit_code
    if kind.failed:
        return Failed(name=kind.name, message=outcome["message"], data=MonitorAlert(outcome["message"], outcome))
    return Completed(name=kind.name, message=outcome["message"], data=outcome)


def _status(outcome: dict, drifted: list[dict]) -> tuple[str, str]:
    taken = len(outcome["accepted"]) + len(outcome["quarantined"])
    recalibration = outcome["recalibration"] or {}
    if outcome["quarantined"]:
        status = "Quarantined"
    elif not taken:
        status = "No new batch"
    elif not drifted:
        status = "No drift"
    elif not recalibration:
        status = "Drift, recalibration off"
    elif recalibration["mode"] == "event":
        status = "Recalibration requested"
    else:
        status = "Recalibrated" if recalibration["state"] == "COMPLETED" else "Recalibration refused"
    parts = [f"{len(outcome['accepted'])} batch(es) accepted, {len(drifted)} drifted"]
    if outcome["quarantined"]:
        parts.append(f"{len(outcome['quarantined'])} quarantined ({', '.join(outcome['quarantined'])}) in "
                     f"{outcome['quarantine_folder']}")
    if recalibration.get("message") and status != "Recalibrated":
        parts.append(recalibration["message"])
    return status, "no new batch" if status == "No new batch" else "; ".join(parts)


@flow(name="drift-monitor", log_prints=True)
@fails_cleanly
def drift_monitor(params_path: str = str(DEFAULT_PARAMS), recalibration: str = "auto"):
    """Take new batches, test their minority rows for drift, and trigger recalibration when they moved.

    ``recalibration``: ``auto`` (an event when a ``recalibrate`` deployment is served, else a subflow),
    ``event``, ``subflow`` or ``off``. The run ends in a state named after its outcome (see ``OUTCOMES``):
    Completed with the outcome dict as its result, or Failed (quarantine, refused recalibration), whose
    result is a :class:`MonitorAlert` carrying the same dict.
    """
    with workspace.entered(params_path) as ws:
        return _final_state(_monitor(ws.params, params_path, recalibration))


def _monitor(p, params_path: str, recalibration: str) -> dict:
    log = get_run_logger()
    reg = versions.registry(p)
    active = reg.active()  # no active version: one clear message before any batch moves
    columns = pq.read_schema(reg.path(active["id"]) / "data/raw.parquet").names
    taken = collect_files(p) + collect_sql(p, columns)
    quarantined = [b for b in taken if b.quarantined]
    if quarantined:
        create_table_artifact(key="drift-quarantine", table=[{"batch": b.id, "reason": b.reason,
                                                              "reason_file": str(b.quarantined)} for b in quarantined],
                              description="Batches that broke the data contract, moved to quarantine")
    results = [check_drift(p, b.path) for b in taken if b.path is not None]
    for result in results:
        _publish_drift(result)
    drifted = [r for r in results if r["drifted"]]
    outcome = {"accepted": [b.id for b in taken if b.path], "quarantined": [b.id for b in quarantined],
               "quarantine_folder": p.monitor.quarantine, "drift": results, "recalibration": None,
               "reports": [str(monitor.report_paths(r["batch"])[1]) for r in results]}
    _record_recalibration(outcome, drifted, params_path, recalibration)
    outcome["status"], outcome["message"] = _status(outcome, drifted)
    log.info("%s: %s", outcome["status"], outcome["message"])
    return outcome


def _record_recalibration(outcome: dict, drifted: list[dict], params_path: str, recalibration: str) -> None:
    log = get_run_logger()
    if not drifted or recalibration == "off":
        log.info("no recalibration: %s", "recalibration is off" if drifted else
                 "no batch drifted" if outcome["drift"] else "no new batch")
        return
    report = str(Path(monitor.report_paths(drifted[-1]["batch"])[1]))
    mode = recalibration
    if mode == "auto":
        mode = "event" if _deployment_exists(RECALIBRATE_DEPLOYMENT) else "subflow"
    if mode == "event":
        from prefect.events import emit_event
        emit_event(event=DRIFT_EVENT, resource={"prefect.resource.id": f"oversampling.drift.{drifted[-1]['batch']}",
                                                "prefect.resource.name": drifted[-1]["batch"]},
                   payload={"report": report, "params_path": params_path})
        outcome["recalibration"] = {"mode": "event", "event": DRIFT_EVENT, "report": report}
        log.info("drift in %s: emitted %s for the recalibrate deployment", drifted[-1]["batch"], DRIFT_EVENT)
    else:
        state = recalibrate(params_path=params_path, drift_report=report, return_state=True)
        outcome["recalibration"] = {"mode": "subflow", "state": state.type.value, "message": state.message,
                                    "result": state.result(raise_on_failure=False)
                                    if state.is_completed() else None}


@flow(name="recalibrate", log_prints=True)
@fails_cleanly
def recalibrate(params_path: str = str(DEFAULT_PARAMS), drift_report: str | None = None) -> dict:
    """Refit on the recent window, re-run every check, and promote the new version only if every gate passes."""
    with workspace.entered(params_path) as ws:
        return _recalibrate(ws.params, drift_report)


def _recalibrate(p, drift_report: str | None) -> dict:
    log = get_run_logger()
    reg = versions.registry(p)
    trigger = {"kind": "drift", "report": drift_report} if drift_report else {"kind": "manual"}
    frame, seen = recal.window(p)
    run_name = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    staging, staged = recal.prepare(p, frame, run_name)
    log.info("recalibrating on %d rows (%d batches) in %s", len(frame), len(seen), staging)
    try:  # a user error in the refit or in a gate is a refusal with its reason, written like any verdict
        run_stages(staged, staging, skip_ingest=True)  # the window replaces the ingested raw data
        results = recal.gates(p, staging, recal.active_on_new_holdout(p, staging))
    except OversamplingError as err:
        results = [{"gate": "pipeline", "passed": False, "detail": err.problem}]
    passed = all(g["passed"] for g in results)
    verdict = {"promoted": passed, "gates": results, "trigger": trigger, "window_rows": len(frame),
               "reason": recal.reason(results) or None, "active_before": reg.active_id()}
    if passed:
        summary = json.loads((staging / paths.RUN_SUMMARY).read_text())
        record = versions.register(p, root=staging, summary=summary, trigger=trigger, batches=seen, activate=True,
                                   extra={"gates": results})
        verdict["version"] = record["id"]
    io.write_json(verdict, recal.REPORTS / f"{run_name}.json")
    create_table_artifact(key="recalibration-gates", table=results,
                          description="Recalibration gates: " + ("all passed, new version promoted"
                                                                 if passed else "FAILED, the active version stays"))
    create_markdown_artifact(key="recalibration", markdown=_verdict_markdown(verdict),
                             description="Recalibration verdict")
    if not passed:  # a verdict, not a crash: the run's state is named like the monitor's outcome
        refused = recal.Rejected(f"the new generators were not promoted: {verdict['reason']}",
                                 f"the active version {verdict['active_before']} stays; "
                                 f"see {recal.REPORTS}/{run_name}.json")
        return Failed(name=OUTCOMES["Recalibration refused"].name, message=str(refused), data=refused)
    shutil.rmtree(staging, ignore_errors=True)
    log.info("promoted version %s", verdict["version"])
    return Completed(name=OUTCOMES["Recalibrated"].name, message=f"promoted version {verdict['version']}",
                     data=verdict)


def _verdict_markdown(verdict: dict) -> str:
    head = (f"# Recalibration: promoted version `{verdict['version']}`" if verdict["promoted"]
            else f"# Recalibration FAILED: active version `{verdict['active_before']}` stays")
    trigger = verdict["trigger"]
    why = f"drift (report {trigger['report']})" if trigger.get("report") else trigger["kind"]
    lines = [head, "", f"Trigger: {why}; window: {verdict['window_rows']} rows.", ""]
    # a list, not a table: a gate's detail is a sentence or two, and table cells in the UI cut it off
    lines += [f"- **{g['gate']}: {'passed' if g['passed'] else 'FAILED'}.** {g['detail']}" for g in verdict["gates"]]
    return "\n".join(lines) + "\n"
