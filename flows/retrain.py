"""The retraining flow: every stage as a Prefect task, in the order of dvc.yaml."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Optional

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed

from flows.links import report_link
from flows.runners import DEFAULT_RUNNER, task_runner
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
from tasks.stage import Progress

# dvc.yaml's stages in order. The per-generator ones run one task per method (and one per baseline; the evaluation:
# one per method and repeat; the decision: one per option group and outer fold), side by side on the "generators"
# subflow's task runner (flows/runners.py); each stage's combine then writes its files, as its run() does under
# `dvc repro`.
BEFORE = [ingest, validate, split]
PER_METHOD = [fit, synthesize, causal, fairness, evaluate, recommend]
AFTER = [report]
STAGES = [*BEFORE, *PER_METHOD, *AFTER]


def _stage_task(fn, name: str, **options):
    # A user error ends the task Failed with its message, no traceback; call it with user_errors.run_task.
    return task(fails_cleanly(fn), name=name, cache_policy=NO_CACHE, **options)


def _in_run_folder(run_one):
    # A worker (another process, another machine) starts in its own working directory: go to the run's folder,
    # where the stage functions read and write. Threads of this process are already there.
    def run(folder: str, p, method: str, inputs: tuple = ()):
        if os.getcwd() != folder:
            os.chdir(folder)
        return run_one(p, method, *inputs)
    return run


def _reference(p, method: str):
    return causal.reference(p)  # one per run, for every generator (``method`` is unused)


def _name(stage) -> str:
    return stage.__name__.split(".")[-1]


BEFORE_TASKS = [_stage_task(stage.run, _name(stage)) for stage in BEFORE]
AFTER_TASKS = [_stage_task(stage.run, _name(stage)) for stage in AFTER]
PER_METHOD_TASKS = {_name(stage): _stage_task(_in_run_folder(stage.run_one), _name(stage),
                                              task_run_name=f"{_name(stage)}-{{method}}")
                    for stage in PER_METHOD}
REFERENCE_TASK = _stage_task(_in_run_folder(_reference), "causal-reference")


@flow(name="generators")
@fails_cleanly
def per_generator(p, folder: str) -> None:
    """Fit, synthesize, check (causal, fairness) and evaluate, one task per method, side by side; each task starts
    when the ones it needs have finished (a generator's checks wait for its rows, not for the other generators').
    Each stage's combine then writes its files. Then the decision's validation, one task per option group and outer
    fold (it needs every generator's verdict), and its combine."""
    t, gens = PER_METHOD_TASKS, list(p.generators.methods)
    reference = REFERENCE_TASK.submit(folder, p, "")
    futures = {"fit": {m: t["fit"].submit(folder, p, m) for m in gens}}
    futures["synthesize"] = {m: t["synthesize"].submit(folder, p, m, wait_for=[futures["fit"][m]]) for m in gens}
    rows = futures["synthesize"]  # a baseline waits for nothing
    futures["fairness"] = {m: t["fairness"].submit(folder, p, m, wait_for=[rows[m]] if m in rows else [])
                           for m in fairness.methods(p)}
    futures["evaluate"] = {piece: t["evaluate"].submit(folder, p, piece, wait_for=[rows[m]] if m in rows else [])
                           for piece in evaluate.methods(p) for m in [evaluate.method_of(piece)]}
    futures["causal"] = {m: t["causal"].submit(folder, p, m, (reference,), wait_for=[rows[m]])
                         for m in causal.methods(p)}
    _finish(futures, extra={reference: "causal reference"})
    if causal.methods(p):
        reference.result()  # a failed reference: its own error, not the causal tasks'
    # The first failure in stage order: a failed generator's own error, not its dependents'.
    for stage in (fit, synthesize, causal, fairness, evaluate):
        _combine(stage, p, futures[_name(stage)])
    futures = {"recommend": {g: t["recommend"].submit(folder, p, g) for g in recommend.methods(p)}}
    _finish(futures)
    _combine(recommend, p, futures["recommend"])


def _finish(futures: dict, extra: dict | None = None) -> None:
    """Wait for every task, logging each one's end with the count and the time left."""
    labels = {f: f"{name} {m}" for name, level in futures.items() for m, f in level.items()}
    labels.update(extra or {})
    tracker = Progress("generators", len(labels))
    for done in as_completed(list(labels)):
        tracker.finished(labels[done])


def _combine(stage, p, futures: dict) -> None:
    stage.combine(p, {m: f.result() for m, f in futures.items()})


def run_stages(p, folder: Path, *, skip_ingest: bool = False, runner: str = DEFAULT_RUNNER,
               workers: Optional[int] = None, address: Optional[str] = None) -> None:
    """Every stage of dvc.yaml in the run folder (``skip_ingest``: a recalibration's window is the raw data)."""
    with runs.inside(folder):
        for stage_task in BEFORE_TASKS[1 if skip_ingest else 0:]:
            run_task(stage_task, p)
        per_generator.with_options(task_runner=task_runner(runner, workers, address))(p, str(folder.resolve()))
        for stage_task in AFTER_TASKS:
            run_task(stage_task, p)


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
def retrain(params_path: str = str(DEFAULT_PARAMS), trigger: str = "schedule", runner: str = DEFAULT_RUNNER,
            workers: Optional[int] = None, address: Optional[str] = None) -> dict:
    """Ingest, validate, split, fit, synthesise, check (causal, fairness), evaluate and report.

    Atomic: the stages run in a run folder and their outputs replace the previous run's only when every
    stage has finished (tasks/runs.py); one run at a time per workspace. A params file other than the
    project's params.yaml runs in its own workspace, workspaces/<name>/ (tasks/workspace.py). The per-generator
    work runs side by side on ``runner`` (flows/runners.py: processes, threads, or a Dask cluster at ``address``).
    """
    log = get_run_logger()
    with workspace.entered(params_path, create=True) as ws, runs.exclusive():
        p = ws.params
        for done in runs.recover():
            log.warning(done)
        preflight.check(p)
        folder, staged = runs.start(p)
        try:
            run_stages(staged, folder, runner=runner, workers=workers, address=address)
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
