"""The whole pipeline on real parts: a Prefect flow run, a DVC repo, Great Expectations, the real checks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import SMALL, copy_project, use_copy, write_params

METRICS = ["metrics/evaluation.json", "metrics/causal.json", "metrics/fairness.json", "metrics/decision.json",
           "metrics/summary.json", "reports/summary.json"]
FLOW_OUTPUTS = METRICS + ["data/split/train.parquet", "data/synthetic/smote.parquet", "reports/summary.md",
                          "reports/audit.html"]


def dvc(*args: str) -> subprocess.CompletedProcess:
    # dvc.yaml's commands call `python`: the environment's, as after `source .venv/bin/activate`.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run([sys.executable, "-m", "dvc", *args], capture_output=True, text=True, env=env)


def read_all(paths: list[str]) -> dict[str, bytes]:
    return {p: Path(p).read_bytes() for p in paths}


@pytest.fixture(scope="module")
def retrained(tmp_path_factory, prefect_server) -> dict:
    """One retraining flow run on a project copy, shared by the tests below (each reads it or works on a copy):
    the folder, the flow's summary and the artifacts that run created, by key."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    from flows.retrain import retrain

    dest = copy_project(tmp_path_factory.mktemp("retrained") / "project")
    write_params(dest, **SMALL)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DVC_SITE_CACHE_DIR", str(dest.parent / "dvc-site-cache"))
        patch.chdir(dest)
        state = retrain(params_path="params.yaml", runner="processes", return_state=True)  # the default's pool
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[state.state_details.flow_run_id])))
    return {"folder": dest, "summary": state.result(), "artifacts": {a.key: a for a in artifacts}}


@pytest.fixture
def run_copy(retrained, tmp_path, monkeypatch) -> Path:
    """A fresh copy of the retrained project as the working directory."""
    return use_copy(retrained["folder"], tmp_path, monkeypatch)


def test_flow_and_dvc_repro_write_the_same_outputs(retrained, run_copy):
    summary = retrained["summary"]
    assert summary["dvc"].startswith("recorded"), summary["dvc"]
    methods = [row["method"] for row in summary["rows"]]
    assert methods == ["none", "class_weight", "threshold", "random", "smote", "smotenc"]
    flow_outputs = read_all(FLOW_OUTPUTS)

    # After the flow, DVC knows the outputs: nothing to re-run, and the remote holds them.
    status = dvc("status", "--json")
    assert json.loads(status.stdout) == {}, status.stdout
    assert any(p.is_file() for p in Path("dvc-remote").rglob("*"))

    # dvc repro from scratch writes byte-identical metrics and data.
    forced = dvc("repro", "--force")
    assert forced.returncode == 0, forced.stderr
    assert read_all(list(flow_outputs)) == flow_outputs

    # `dvc metrics show` prints the headline only: the decision per learner and the best generator, not the table.
    shown = json.loads(dvc("metrics", "show", "--json").stdout)
    (declared,) = [w["data"] for w in shown.values()]
    assert set(declared) == {"metrics/summary.json"}
    headline = declared["metrics/summary.json"]["data"]
    assert set(headline["decision"]) == {"cart", "logreg"} and "rows" not in headline

    # A change in one stage's params re-runs only that stage and what reads its outputs.
    write_params(run_copy, causal_check={"alpha": 0.001})
    changed = json.loads(dvc("status", "--json").stdout)
    assert set(changed) == {"causal_check"}, changed


def per_generator_outputs() -> list[Path]:
    """Every file the generators subflow writes: the outputs of dvc.yaml's per-generator stages."""
    import yaml

    stages = yaml.safe_load(Path("dvc.yaml").read_text())["stages"]
    outs = [next(iter(o)) if isinstance(o, dict) else o
            for name in ("fit", "synthesize", "causal_check", "fairness", "evaluate", "recommend")
            for o in stages[name]["outs"]]
    return sorted(f for out in map(Path, outs) for f in ([out] if out.is_file() else out.rglob("*")) if f.is_file())


def test_a_two_worker_dask_cluster_writes_the_same_bytes_as_the_process_pool(run_copy):
    """The generators subflow (the per-generator tasks and the decision's) on a local Dask cluster of two worker
    processes, taking them in whatever order: every file it writes comes back byte-identical to the process pool's
    run (and so to `dvc repro`'s, tested above) after they were all removed."""
    from flows.retrain import per_generator
    from flows.runners import task_runner
    from tasks.params import load_params

    files = per_generator_outputs()
    assert len(files) > 10 and Path("metrics/decision.json") in files and Path("data/synthetic/smote.parquet") in files
    before = {f: f.read_bytes() for f in files}
    for f in files:
        f.unlink()
    per_generator.with_options(task_runner=task_runner("dask", 2, None))(load_params("params.yaml"), str(run_copy))
    assert {f: f.read_bytes() for f in files} == before
    ran = json.loads(dvc("status", "--json").stdout)
    assert ran == {}, ran  # dvc.lock's outputs, as recorded by the process pool's run


def test_synthetic_rows_are_marked_and_never_in_the_test_set(retrained, monkeypatch):
    monkeypatch.chdir(retrained["folder"])  # read only
    train, test = pd.read_parquet("data/split/train.parquet"), pd.read_parquet("data/split/test.parquet")
    augmented = pd.read_parquet("data/augmented/smote.parquet")
    assert set(augmented["provenance"]) == {"real", "smote"}
    real_part = augmented[augmented["provenance"] == "real"].drop(columns="provenance").reset_index(drop=True)
    pd.testing.assert_frame_equal(real_part, train)
    synthetic = pd.read_parquet("data/synthetic/smote.parquet")
    assert (synthetic["mortality"] == 1).all()
    # Balanced after oversampling, as sampling_strategy 1.0 asks.
    assert (augmented["mortality"] == 1).sum() == (augmented["mortality"] == 0).sum()
    # The hold-out holds only real rows: none of them equals a synthetic row.
    keys = synthetic.drop(columns="provenance").astype(str).agg("|".join, axis=1)
    assert not set(test.astype(str).agg("|".join, axis=1)) & set(keys) - set(train.astype(str).agg("|".join, axis=1))
    # Synthetic rows keep the data's domains: GCS an integer in 3..15, SpO2 at most 100, sex F/M.
    assert synthetic["gcs"].between(3, 15).all() and synthetic["gcs"].dtype == "int64"
    assert synthetic["spo2"].le(100).all() and set(synthetic["sex"]) <= {"F", "M"}
    report = Path("reports/summary.md").read_text()
    assert "| smote |" in report and "real hold-out" in report

    # The Prefect UI shows the run's results: keyed artifacts of this flow run, readable through the API.
    artifacts = retrained["artifacts"]
    assert {"retrain-summary", "retrain-report", "retrain-scorecard", "retrain-audit"} <= set(artifacts)
    table = artifacts["retrain-summary"]
    assert table.type == "table" and "smote" in str(table.data)
    assert list(json.loads(table.data)[0])[:2] == ["method", "verdict"]  # the method first, not alphabetical
    assert str(artifacts["retrain-report"].data) == report  # the report artifact is the summary file
    # The causal-fidelity scorecard and the audit report, in the summary and among the artifacts.
    assert "## Causal-fidelity scorecard" in report and "mechanism KS" in report
    assert "smote" in str(artifacts["retrain-scorecard"].data)
    assert "audit.html" in str(artifacts["retrain-audit"].data)
    page = Path("reports/audit.html").read_text()
    assert "id='scorecard'" in page and "id='constraints'" in page and "http://" not in page
