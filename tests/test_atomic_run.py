"""Atomic runs: a failed or killed `oversample run` leaves the previous complete run in place, one run at a time.

Real parts: `python -m flows.cli run` subprocesses against the session's Prefect server, SIGKILL at a
stage boundary and in the middle of a stage, the run lock, the preflight, the switch journal.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tasks import paths, runs
from tests.conftest import ROOT, SMALL, tracked_files, write_params

# As small as a run gets: two generators, one learner, no scorecard, the fewest folds and resamples.
CHEAP = {**SMALL, "simulate": {"rows": 1500}, "generators": {"methods": ["random", "smote"]},
         "causal_check": {"scorecard": False}, "evaluate": {"repeats": 1, "learners": {"logreg": {"C": 1.0}}},
         "recommend": {"folds": 2, "bootstrap": 100}}
WAIT = 240  # seconds: an upper bound for a busy machine, never a reason for a test to pass


def output_hashes(root: Path) -> dict[str, str]:
    """sha256 of every file under every run output (a folder output: each file in it)."""
    out = {}
    for rel in paths.OUTPUTS:
        path = root / rel
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        out.update({str(f.relative_to(root)): hashlib.sha256(f.read_bytes()).hexdigest() for f in files})
    return out


@pytest.fixture(scope="module")
def finished(tmp_path_factory, prefect_server) -> Path:
    """A project copy after one complete run of the stages (no DVC repo: recording is not what these tests test)."""
    dest = tmp_path_factory.mktemp("atomic") / "project"
    for name in tracked_files():
        if (ROOT / name).is_file() and name != "dvc.lock" and not name.startswith((".dvc/", "models/")):
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    write_params(dest, **CHEAP)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(dest)
        from flows.retrain import STAGES
        from tasks.params import load_params
        p = load_params()
        for stage in STAGES:
            stage.run(p)
    return dest


@pytest.fixture
def workspace(finished, tmp_path, monkeypatch) -> Path:
    dest = tmp_path / "project"
    shutil.copytree(finished, dest, symlinks=True)
    monkeypatch.chdir(dest)
    return dest


def start_run(workspace: Path) -> subprocess.Popen:
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "PYTHONPATH": str(workspace)}
    return subprocess.Popen([sys.executable, "-m", "flows.cli", "run"], cwd=workspace, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)


def cli_run(workspace: Path) -> tuple[int, str]:
    child = start_run(workspace)
    output, _ = child.communicate(timeout=WAIT)
    return child.returncode, output


def wait_for(child: subprocess.Popen, found) -> None:
    deadline = time.monotonic() + WAIT
    while not found():
        assert child.poll() is None, f"the run ended (rc {child.returncode}) before the point to kill it"
        assert time.monotonic() < deadline, "the run never reached the point to kill it"
        time.sleep(0.02)


def staged(name: str):
    """The file ``name`` exists in a run folder (a stage that writes it has finished)."""
    return lambda: any(Path(".runs").glob(f"*/{name}"))


def task_running(name: str):
    """Prefect reports a task run ``name``-* Running (the stage is under way)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        TaskRunFilter,
        TaskRunFilterName,
        TaskRunFilterState,
        TaskRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    running = TaskRunFilter(name=TaskRunFilterName(like_=f"{name}-"),
                            state=TaskRunFilterState(type=TaskRunFilterStateType(any_=[StateType.RUNNING])))

    def found() -> bool:
        with get_client(sync_client=True) as client:
            return bool(client.read_task_runs(task_run_filter=running))
    return found


def run_folders() -> list[Path]:
    return [p for p in Path(".runs").iterdir() if p.is_dir()]


def kill(child: subprocess.Popen) -> None:
    assert child.poll() is None, "the run had already ended"
    os.killpg(child.pid, signal.SIGKILL)
    child.communicate()


def test_outputs_are_exactly_the_dvc_pipelines_outs_and_metrics():
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    declared = [next(iter(o)) if isinstance(o, dict) else o
                for s in stages.values() for o in [*s.get("outs", []), *s.get("metrics", [])]]
    assert sorted(declared) == sorted(map(str, paths.OUTPUTS))


def test_a_run_killed_at_a_stage_boundary_or_mid_stage_leaves_the_previous_run_and_blocks_no_one(workspace):
    before = output_hashes(workspace)
    assert len(before) >= len(paths.OUTPUTS)
    # The killed runs use another seed: had any of their outputs reached the workspace, its bytes would differ.
    write_params(workspace, seed=43)

    first = start_run(workspace)
    wait_for(first, staged("data/split/test.parquet"))  # the split stage has finished, fit is next
    kill(first)
    assert output_hashes(workspace) == before
    (left,) = run_folders()

    second = start_run(workspace)  # the killed run's lock did not outlive it
    # In the middle of a stage, the last and longest here (the audit page's figures: about 4 s). The contract check
    # was used before: on an idle machine it can finish before the API shows it Running, and the run ended unkilled.
    wait_for(second, task_running("report"))
    kill(second)
    assert output_hashes(workspace) == before
    # The second run removed the first's unfinished folder when it started; its own waits for the next run.
    assert run_folders() and left not in run_folders()

    # While a run holds the workspace, another is refused at once, naming the owner's pid.
    runs.acquire()
    try:
        rc, output = cli_run(workspace)
    finally:
        runs.release()
    assert rc == 2, output
    assert f"process {os.getpid()}" in output and "another retraining run is in progress" in output, output
    assert "Traceback" not in output
    assert output_hashes(workspace) == before

    # A user error the params file cannot catch (a value of the wrong type) fails in the preflight, before the
    # flow starts: one message, exit 2, no traceback, the outputs untouched, the killed runs' folders cleaned up.
    write_params(workspace, generators={"params": {"smote": {"k_neighbors": "abc"}}})
    rc, output = cli_run(workspace)
    assert rc == 2, output
    assert output.count("error: ") == 1 and "k_neighbors" in output and "fix:" in output, output
    assert "Traceback" not in output and "NoneType: None" not in output, output
    assert output_hashes(workspace) == before
    assert not run_folders()
    # Started another way (a deployment, Python), the flow runs the same preflight: its run ends Failed with the
    # message, and the caller gets the user error once.
    from augmentation.errors import ConfigError
    from flows.retrain import retrain
    with pytest.raises(ConfigError, match="k_neighbors"):
        retrain(params_path="params.yaml")
    assert_flow_run_failed_with("k_neighbors")
    assert output_hashes(workspace) == before


def test_a_size_the_machine_cannot_hold_is_refused_before_anything_is_written(workspace, monkeypatch):
    """The preflight estimates each generator's memory at this size (augmentation.generators.sizing) and refuses
    one the machine cannot hold, here under a budget of 0 MB: one message with the knobs, exit 2, outputs intact."""
    from augmentation.generators.sizing import BUDGET

    before = output_hashes(workspace)
    monkeypatch.setenv(BUDGET, "0")
    rc, output = cli_run(workspace)
    assert rc == 2, output
    assert output.count("error: ") == 1 and "generator 'random' would need about" in output, output
    assert "generators.sampling_strategy" in output and BUDGET in output and "Traceback" not in output, output
    assert output_hashes(workspace) == before


def assert_flow_run_failed_with(text: str) -> None:
    """The Prefect API holds a retrain flow run, Failed, whose state message is the user error."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowFilter,
        FlowFilterName,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    with get_client(sync_client=True) as client:
        failed = client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=["retrain"])),
                                       flow_run_filter=FlowRunFilter(
                                           state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.FAILED]))))
    assert any(text in (run.state.message or "") and "fix:" in run.state.message for run in failed), \
        [run.state.message for run in failed]


def cohort_without_target(workspace: Path) -> dict:
    from augmentation.data.simulate import simulate_trauma
    simulate_trauma(rows=200, seed=1).drop(columns="mortality").to_csv(workspace / "cohort.csv", index=False)
    return {"data": {"source": "file", "path": "cohort.csv"}}


def bad_contract(workspace: Path) -> dict:
    (workspace / "expectations/broken.json").write_text("{")
    return {"data": {"contract": "expectations/broken.json"}}


@pytest.mark.parametrize(("change", "phrase"), [
    (lambda w: {"evaluate": {"learners": {"logreg": {"C": "strong"}}}}, "'C' parameter of LogisticRegression"),
    (lambda w: {"generators": {"sampling_strategy": 0.01}}, "ratio is already"),
    (lambda w: {"data": {"graph": "configs/nowhere.yaml"}}, "configs/nowhere.yaml does not exist"),
    (cohort_without_target, "target column 'mortality' is missing"),
    (bad_contract, "is not readable JSON"),
], ids=["learner-parameter", "sampling-strategy", "graph", "source", "contract"])
def test_the_preflight_finds_what_the_params_file_cannot_show(workspace, change, phrase):
    from augmentation.errors import OversamplingError
    from tasks import preflight
    from tasks.params import load_params

    write_params(workspace, **change(workspace))
    with pytest.raises(OversamplingError) as caught:
        preflight.check(load_params())
    assert phrase in str(caught.value) and "fix:" in str(caught.value), str(caught.value)


@pytest.mark.parametrize("moved", [0, 3, len(paths.OUTPUTS)])
def test_a_switch_killed_part_way_is_completed_by_the_next_run(workspace, moved):
    """The on-disk protocol of runs.switch, stopped after ``moved`` outputs (as a kill would stop it)."""
    folder = Path(".runs/20260101T000000000000")
    for rel in paths.OUTPUTS:  # a finished run whose outputs differ from the ones in place
        new = folder / rel
        if rel.is_dir():
            shutil.copytree(rel, new)
            (new / "marker.txt").write_text("new run\n")
        else:
            new.parent.mkdir(parents=True, exist_ok=True)
            new.write_bytes(rel.read_bytes() + b"\n")
    expected = output_hashes(folder)
    (folder / runs.JOURNAL).write_text(json.dumps({"outputs": [str(rel) for rel in paths.OUTPUTS]}))
    for rel in paths.OUTPUTS[:moved]:  # each step: the old output aside, the new one in
        (folder / runs.PREVIOUS / rel).parent.mkdir(parents=True, exist_ok=True)
        os.replace(rel, folder / runs.PREVIOUS / rel)
        os.replace(folder / rel, rel)
    with runs.exclusive():
        done = runs.recover()
    assert done == [f"completed the switch of the killed run {folder.name}"]
    assert output_hashes(workspace) == expected
    assert not folder.exists()


def test_an_unfinished_run_folder_is_removed_and_the_outputs_stay(workspace):
    before = output_hashes(workspace)
    folder = Path(".runs/20260101T000000000000")
    (folder / paths.RAW).parent.mkdir(parents=True)
    (folder / paths.RAW).write_bytes(b"half a run")
    with runs.exclusive():
        assert runs.recover()[0].startswith("removed the unfinished run")
    assert not folder.exists() and output_hashes(workspace) == before


def test_a_run_folder_sees_the_inputs_named_relative_to_the_project(workspace, tmp_path):
    from augmentation.data.simulate import simulate_trauma
    from tasks.ingest import load_source
    from tasks.maps import load_map
    from tasks.params import load_params

    outside = tmp_path / "elsewhere" / "cohort.csv"
    outside.parent.mkdir()
    simulate_trauma(rows=300, seed=1).to_csv(outside, index=False)
    write_params(workspace, data={"source": "file", "path": os.path.relpath(outside, workspace)})
    p = load_params()
    folder, staged = runs.start(p)
    assert staged.data.contract == p.data.contract and staged.data.graph == p.data.graph  # as written
    assert staged.data.path == str(outside.resolve())  # outside the project: absolute
    with runs.inside(folder):
        assert load_source(staged)[0].shape == (300, len(simulate_trauma(rows=300, seed=1).columns))
        assert load_map(staged.data.graph).nodes
        assert Path(staged.data.contract).is_file()
    runs.discard(folder)
    assert not folder.exists() and outside.is_file() and Path(p.data.contract).is_file()
