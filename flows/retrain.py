"""The retraining flow: every stage as a Prefect task, in the order of dvc.yaml."""

from __future__ import annotations

import json
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from flows.links import report_link
from flows.user_errors import fails_cleanly, run_task
from tasks import (
    causal,
    evaluate,
    fairness,
    fit,
    ingest,
    paths,
    preflight,
    recommend,
    report,
    runs,
    split,
    synthesize,
    validate,
    workspace,
)
from tasks.params import DEFAULT_PARAMS

STAGES = [ingest, validate, split, fit, synthesize, causal, fairness, evaluate, recommend, report]
# Each returns a Failed state for a user error (no traceback); call them with user_errors.run_task.
STAGE_TASKS = [task(fails_cleanly(stage.run), name=stage.__name__.split(".")[-1], cache_policy=NO_CACHE)
               for stage in STAGES]


def record_with_dvc(ws: workspace.Workspace) -> str:
    """Record the outputs in dvc.lock and push them to the remote, so `dvc repro` finds the pipeline up to date.

    Only for the project's own params.yaml: dvc.yaml describes that workspace, not another params file's.
    """
    if not ws.is_default:
        return f"not recorded in dvc.lock (it describes params.yaml); this run's outputs are in {ws.where}/"
    if not Path(".dvc").is_dir():
        return "not recorded in DVC (this is not a DVC repo)"
    from tasks.versions import dvc_run
    failure = dvc_run(["commit", "--force"], ["push"])  # not --quiet: it hides the reason of a failure
    if failure:
        command, why = failure
        return f"`dvc {' '.join(command)}` failed: {why[-500:]}"
    return "recorded in dvc.lock and pushed to the DVC remote"


def register_version(p, summary: dict, trigger: str) -> dict:
    """Record this run's generators as a version; it becomes active when a generator passed every check."""
    from tasks import batches, versions
    record = versions.register(p, root=Path("."), summary=summary, trigger={"kind": trigger},
                               batches=[path.stem for path in batches.accepted(p)],
                               activate=summary["best_generator"] is not None)
    return {"id": record["id"], "active": versions.registry(p).active_id() == record["id"], "dvc": record["dvc"]}


@flow(name="retrain", log_prints=True)
@fails_cleanly
def retrain(params_path: str = str(DEFAULT_PARAMS), trigger: str = "schedule") -> dict:
    """Ingest, validate, split, fit, synthesise, check (causal, fairness), evaluate and report.

    Atomic: the stages run in a run folder and their outputs replace the previous run's only when every
    stage has finished (tasks/runs.py); one run at a time per workspace. A params file other than the
    project's params.yaml runs in its own workspace, workspaces/<name>/ (tasks/workspace.py).
    """
    log = get_run_logger()
    with workspace.entered(params_path, create=True) as ws, runs.exclusive():
        p = ws.params
        for done in runs.recover():
            log.warning(done)
        preflight.check(p)
        folder, staged = runs.start(p)
        try:
            with runs.inside(folder):
                for stage_task in STAGE_TASKS:
                    run_task(stage_task, staged)
            runs.switch(folder)
        finally:
            runs.discard(folder)
        summary = json.loads(paths.RUN_SUMMARY.read_text())
        publish_artifacts(p, summary)
        summary["dvc"] = record_with_dvc(ws)
        log.info("DVC: %s", summary["dvc"])
        summary["version"] = register_version(p, summary, trigger)
        summary["workspace"] = ws.where
    log.info("generator version: %s", summary["version"])
    return summary


def publish_artifacts(p, summary: dict) -> None:
    """The run's artifacts in the Prefect UI: the summary table (method first), the report, the scorecard, the audit."""
    create_table_artifact(key="retrain-summary", table=report.artifact_rows(summary),
                          description="Per method: AUC and F1 on the real hold-out, causal and fairness checks")
    create_markdown_artifact(key="retrain-report", markdown=paths.REPORT.read_text(),
                             description="Retraining run summary")
    if summary.get("scorecard"):
        create_table_artifact(key="retrain-scorecard", table=[{"method": r["method"], **r}  # method first
                                                              for r in summary["scorecard"]],
                              description="Per generator: causal-fidelity scorecard and constraint counts")
    if paths.AUDIT.exists() and p.data.graph is not None:
        create_link_artifact(key="retrain-audit", link=report_link(paths.AUDIT), link_text=str(paths.AUDIT),
                             description="Self-contained audit report (map, constraints, generators, scorecard)")
