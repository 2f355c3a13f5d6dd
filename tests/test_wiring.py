"""Every entry point a user or a runner calls exists and agrees: dvc.yaml, prefect.yaml, the CLI, params.yaml."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import yaml
from typer.testing import CliRunner

from tests.conftest import ROOT


def test_dvc_stages_and_flow_tasks_are_the_same_functions():
    from flows.retrain import STAGES

    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    modules = [spec["cmd"].split()[-1] for spec in stages.values()]
    assert modules == [stage.__name__ for stage in STAGES]
    for spec in stages.values():
        for dep in spec["deps"]:
            produced = any(dep == out or dep.startswith(out.rstrip("/") + "/")
                           for other in stages.values() for item in other.get("outs", []) + other.get("metrics", [])
                           for out in ([item] if isinstance(item, str) else list(item)))
            assert produced or (ROOT / dep).exists(), f"dvc.yaml dep {dep} does not exist"


def test_prefect_deployment_entrypoints_import():
    config = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    for deployment in config["deployments"]:
        path, name = deployment["entrypoint"].split(":")
        module = path.removesuffix(".py").replace("/", ".")
        assert hasattr(importlib.import_module(module), name)
        assert deployment.get("triggers") or deployment["schedules"][0]["cron"]


def test_shipped_params_files_parse():
    from tasks.params import load_params

    for path in [ROOT / "params.yaml", *sorted((ROOT / "configs").glob("*.params.yaml"))]:
        load_params(path)


def test_library_never_imports_the_runners():
    code = ("import sys, augmentation.synthesis.classification, augmentation.evaluation.protocol, augmentation.causal.independence, "
            "augmentation.evaluation.fairness, augmentation.contract.suite, augmentation.data.simulate, augmentation.monitoring.drift, augmentation.monitoring.versions;"
            "print(sorted(m for m in ('prefect', 'dvc', 'yaml') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


def test_cli_simulate_resample_evaluate(tmp_path):
    from flows.cli import app

    runner = CliRunner()
    data = tmp_path / "cohort.parquet"
    assert runner.invoke(app, ["simulate", "--rows", "1500", "--seed", "2", "--out", str(data)]).exit_code == 0
    out = tmp_path / "augmented.csv"
    result = runner.invoke(app, ["resample", "--data", str(data), "--target", "mortality", "--method", "smote",
                                 "--param", "k_neighbors=3", "--seed", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    import pandas as pd
    augmented = pd.read_csv(out)
    assert set(augmented["provenance"]) == {"real", "smote"}
    assert (augmented["mortality"] == 1).sum() == (augmented["mortality"] == 0).sum()
    metrics = tmp_path / "metrics.json"
    result = runner.invoke(app, ["evaluate", "--data", str(data), "--target", "mortality", "--methods", "smote",
                                 "--repeats", "2", "--out", str(metrics)])
    assert result.exit_code == 0, result.output
    import json
    results = json.loads(metrics.read_text())["results"]
    assert set(results) == {"none", "class_weight", "smote"}
    assert 0.5 < results["smote"]["logreg"]["roc_auc"]["mean"] <= 1


def test_cli_contract_drafts_a_suite_that_guards_the_data(tmp_path):
    import json

    import pandas as pd
    from augmentation.contract.suite import load_suite, validate_frame
    from flows.cli import app

    data = tmp_path / "cohort.csv"
    CliRunner().invoke(app, ["simulate", "--rows", "500", "--out", str(data)])
    out = tmp_path / "suite.json"
    result = CliRunner().invoke(app, ["contract", "--data", str(data), "--out", str(out)])
    assert result.exit_code == 0, result.output
    suite = load_suite(out)
    frame = pd.read_csv(data)
    assert validate_frame(frame, suite, name="data").passed
    bad = frame.assign(sex=frame["sex"].where(frame.index > 0, "X"))
    failed = validate_frame(bad, suite, name="bad")
    assert not failed.passed and "'sex'" in failed.message() and "'X'" in failed.message()
    assert json.loads(out.read_text())["name"] == "cohort"
