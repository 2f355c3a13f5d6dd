"""Generator versions: what goes into one, how it is registered, tracked with DVC and pushed to the remote."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from augmentation.errors import DataError
from augmentation.monitoring.versions import INDEX, Registry
from tasks import paths, stage
from tasks.params import Params
from tasks.workspace import project_folder

# Where each pipeline output lives inside a version folder.
DATA_FILES = {"data/raw.parquet": paths.RAW, "data/train.parquet": paths.TRAIN, "data/test.parquet": paths.TEST}
METRIC_FILES = {"metrics/evaluation.json": paths.EVALUATION, "metrics/causal.json": paths.CAUSAL,
                "metrics/fairness.json": paths.FAIRNESS, "metrics/decision.json": paths.DECISION,
                "metrics/summary.json": paths.SUMMARY, "reports/summary.json": paths.RUN_SUMMARY,
                "reports/summary.md": paths.REPORT}


def registry(p: Params) -> Registry:
    return Registry(p.recalibrate.registry)


MAP_FILE = "causal_map.yaml"  # the map the version was fitted and checked with (data.graph, copied)


def version_files(p: Params, root: Path = Path(".")) -> dict[str, Path]:
    """The pipeline outputs under ``root`` that make one version: fitted generators, data, metrics, and the causal
    map it was fitted with (a later edit of the map file does not change how the version is judged)."""
    files = {f"generators/{m}/generator.json": root / paths.generator_dir(m) / "generator.json"
             for m in p.generators.methods}
    files.update({rel: root / source for rel, source in {**DATA_FILES, **METRIC_FILES}.items()})
    if p.data.graph is not None:
        files[MAP_FILE] = Path(p.data.graph)
    missing = [str(source) for source in files.values() if not source.is_file()]
    if missing:
        raise DataError(f"cannot record a generator version: {missing[:3]} missing",
                        "run the whole pipeline first (oversample run)")
    return files


# DVC's own command line, several commands in one child process (a start costs about a second of CPU): each runs
# as `dvc <command>` would; the first that fails stops the rest and names itself by the exit code.
_DVC_COMMANDS = """import json, sys
from dvc.cli import main
for i, command in enumerate(json.loads(sys.argv[1])):
    if main(command) != 0:
        sys.exit(100 + i)
"""


def dvc_run(*commands: list[str]) -> tuple[list[str], str] | None:
    """Run ``dvc`` commands in order, in one process; None when all succeed, else (the failed command, why)."""
    import json

    done = subprocess.run([sys.executable, "-c", _DVC_COMMANDS, json.dumps(commands)], capture_output=True, text=True)
    if done.returncode == 0:
        return None
    failed = commands[done.returncode - 100] if 100 <= done.returncode < 100 + len(commands) else commands[0]
    return failed, (done.stderr or done.stdout).strip()


def track(reg: Registry, *names: str) -> str:
    """``dvc add`` then ``dvc push`` the named entries of the registry (a version folder, the index)."""
    if not (project_folder() / ".dvc").is_dir():
        return "not tracked: this folder is not a DVC repository"
    targets = [str(reg.root / name) for name in names]
    failure = dvc_run(["add", *targets], ["push", *[t + ".dvc" for t in targets]])  # not --quiet: it hides errors
    if failure:
        command, why = failure
        hint = " (un-ignore the registry folder in .gitignore)" if "git-ignored" in why else ""
        return f"`dvc {command[0]}` failed: {why[-400:]}{hint}"
    return "tracked by DVC and pushed to the remote"


def summary_metrics(summary: dict) -> dict:
    """The numbers a version is judged by: per method AUC/F1 and gates, the best method and its gain."""
    return {"best_generator": summary["best_generator"], "best_gain_over_none": summary["best_gain_over_none"],
            "rows": summary["rows"]}


def register(p: Params, *, root: Path, summary: dict, trigger: dict, batches: list[str], activate: bool,
             extra: dict | None = None) -> dict:
    """Copy the outputs under ``root`` into a new version, push it, then name it in the index (atomically)."""
    import json

    reg = registry(p)
    raw_sha = json.loads((root / paths.RAW_META).read_text())["sha256"] if (root / paths.RAW_META).exists() else None
    with reg.lock():
        reg.clean_unfinished()
        record = reg.add(version_files(p, root), parent=reg.active_id(), trigger=trigger, raw_sha256=raw_sha,
                         train_sha256=_train_hash(root), params=p.model_dump(), batches=batches,
                         metrics=summary_metrics(summary), **(extra or {}))
        record["dvc"] = track(reg, record["id"])
        reg.commit(record, activate=activate)
        record["dvc_index"] = track(reg, INDEX)
    stage.logger(__name__).info("generator version %s recorded (%s)%s", record["id"], record["dvc"],
                                ", now active" if activate else "")
    return record


def _train_hash(root: Path) -> str:
    import pandas as pd

    from augmentation.data import io
    return io.frame_hash(pd.read_parquet(root / paths.TRAIN))


def restore(p: Params, version_id: str) -> list[str]:
    """Bring a version's files back to their recorded bytes (from the DVC cache, else the remote)."""
    reg = registry(p)
    bad = reg.verify(version_id)
    if not bad:
        return []
    target = str(reg.path(version_id)) + ".dvc"
    if not Path(target).is_file():
        raise DataError(f"version {version_id} differs from its record ({bad[:3]}) and has no {target}",
                        "restore the folder by hand, or roll back to another version")
    for command in (["checkout", "--force", "--quiet", target], ["pull", "--force", "--quiet", target]):
        dvc_run(command)
        if not reg.verify(version_id):
            return bad
    raise DataError(f"version {version_id} could not be restored: {reg.verify(version_id)[:3]} still differ",
                    "check the DVC remote (`dvc remote list`) holds it: `dvc push` from the machine that made it")
