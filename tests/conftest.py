"""Shared fixtures: a throw-away copy of the project (its own git + DVC repo) and one Prefect test server."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

# First: it pins the numeric kernels before numpy loads, as every entry point does (numpy loaded first picks the
# CPU's own, and a flow run in this process then writes other bytes than `dvc repro`).
import augmentation  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("DVC_NO_ANALYTICS", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("OMP_NUM_THREADS", "1")  # OpenMP pools (boosted trees) oversubscribe on 2 shared cores
# The flows' per-generator tasks on threads: the suite's own workers already fill the cores, and each flow run's
# process pool would import everything again. tests/test_pipeline.py runs the default process pool and Dask.
os.environ.setdefault("OVERSAMPLE_RUNNER", "threads")

# Small enough to run in seconds, large enough that every generator has minority rows to work with. The decision
# (recommend) and the scorecard run at their smallest settings: the tests that use them check that they run and
# what they write, not the numbers (tests/test_decision.py and tests/test_scorecard.py test those).
SMALL = {"simulate": {"rows": 3000}, "evaluate": {"repeats": 2},
         "generators": {"methods": ["random", "smote", "smotenc"]},
         "recommend": {"folds": 2, "bootstrap": 100}, "causal_check": {"max_rows": 1500}}


def tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if line and not line.startswith("tests/")]


def write_params(project: Path, **changes: dict) -> None:
    params = yaml.safe_load((project / "params.yaml").read_text())
    for section, values in changes.items():
        if isinstance(values, dict):
            params.setdefault(section, {}).update(values)
        else:
            params[section] = values
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


def copy_project(dest: Path) -> Path:
    """The project's code, params, contracts and dvc.yaml (no outputs, no dvc.lock) copied to ``dest``, a git repo."""
    for name in tracked_files():
        if (ROOT / name).is_file() and name != "dvc.lock" and not name.startswith("models/"):
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    subprocess.run(["git", "init", "-q"], cwd=dest, check=True)
    return dest


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A fresh copy of the project (code, params, contracts, dvc.yaml) as its own git and DVC repo, as cwd."""
    dest = copy_project(tmp_path / "project")
    monkeypatch.setenv("DVC_SITE_CACHE_DIR", str(tmp_path / "dvc-site-cache"))
    monkeypatch.chdir(dest)
    write_params(dest, **SMALL)
    return dest


# The longest files first: xdist hands a worker whole files (--dist loadfile), and by default it starts the files
# with the most tests first, which left the long one-test files (the served drift loop, flow vs dvc repro) to run
# alone on one core at the end. Measured with --durations=0 on the 2-core VM, longest first, except that the two
# files that need the `built` project start apart: the first worker builds it while the second runs the pipeline's.
LONGEST_FIRST = ("test_drift.py", "test_pipeline.py", "test_serve.py", "test_workspaces.py", "test_atomic_run.py",
                 "test_bench.py", "test_sampler_contract.py", "test_bad_input.py", "test_scorecard.py")


def pytest_collection_modifyitems(items) -> None:
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: a file's own order stays


@pytest.fixture(scope="session")
def prefect_server():
    """One temporary Prefect API for the whole session (starting one costs 10-20 s)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


# Small data; fairness gates loose enough that the small cohort can pass them (the default is 0.1).
# The drift tests are about the monitor and the registry, not the checks: on the small cohort the fairness gate
# and the scorecard's finer gates fail every method, so they are relaxed (the independence check stays on). One
# learner and one evaluation repeat: every recalibration refits, evaluates and decides again, and the learners'
# numbers are tested elsewhere (tests/test_pipeline.py runs both learners).
DRIFT_PARAMS = {**SMALL, "fairness": {"max_demographic_parity_difference": 1.0, "max_equalized_odds_difference": 1.0},
                "causal_check": {"scorecard": False}, "recalibrate": {"window_rows": 4000},
                "evaluate": {"repeats": 1, "learners": {"logreg": {"C": 1.0}}}}


# The drift loop with scm active (tests/test_drift.py from the CLI, tests/test_serve.py served): scm alone, so a
# promoted version's best generator is scm; its linear mechanisms (fitted in a second, the default boosted trees
# in ten), one learner, one repeat and a small window keep the refits cheap.
SCM_ONLY = {"generators": {"methods": ["scm"], "params": {"scm": {"learner": "linear"}}},
            "recalibrate": {"window_rows": 2000}, "evaluate": {"repeats": 1, "learners": {"logreg": {"C": 1.0}}}}


@pytest.fixture(scope="session")
def built(tmp_path_factory, worker_id, prefect_server) -> Path:
    """A project copy after one retraining run: version v1 registered, active, pushed to the DVC remote (inside the
    project: tests use copies of it). Built once per session: the first xdist worker that needs it builds it in the
    folder the workers share, the others wait on the lock and use it (each built its own: a minute of CPU each)."""
    from filelock import FileLock

    shared = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        shared = shared.parent  # this session's folder, above each worker's own
    dest, done = shared / "built" / "project", shared / "built" / "done"
    with FileLock(str(shared / "built.lock")):
        if not done.exists():
            shutil.rmtree(dest.parent, ignore_errors=True)
            dest.mkdir(parents=True)
            copy_project(dest)
            write_params(dest, **DRIFT_PARAMS)
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv("DVC_SITE_CACHE_DIR", str(dest.parent / "dvc-site-cache"))
                patch.chdir(dest)
                from flows.retrain import retrain
                summary = retrain(params_path="params.yaml")
            assert summary["version"]["active"] and summary["version"]["id"] == "v1", summary["version"]
            done.touch()
    return dest


def use_copy(source: Path, tmp_path: Path, monkeypatch) -> Path:
    """A fresh copy of a project folder made by a wider-scoped fixture, as the working directory."""
    dest = tmp_path / "project"
    shutil.copytree(source, dest, symlinks=True)
    monkeypatch.setenv("DVC_SITE_CACHE_DIR", str(tmp_path / "dvc-site-cache"))
    monkeypatch.chdir(dest)
    return dest


@pytest.fixture
def site(built, tmp_path, monkeypatch) -> Path:
    """A fresh copy of the built project as the working directory."""
    return use_copy(built, tmp_path, monkeypatch)
