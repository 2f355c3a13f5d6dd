"""DAVID in the pipeline: trained once by the fit stage (tensors + JSON), then reused by synthesis and evaluation."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from tests.conftest import write_params


def test_david_in_the_pipeline_stages(project):
    from tasks import evaluate, fit, ingest, split, synthesize, validate
    from tasks.params import load_params

    write_params(project, generators={"methods": ["smote", "david"],
                                      "params": {"david": {"epochs": 4, "batch_size": 128}}},
                 evaluate={"repeats": 2})
    p = load_params()
    for stage in (ingest, validate, split, fit):
        stage.run(p)
    weights = Path("models/generators/david")
    assert sorted(f.name for f in weights.iterdir()) == ["david.json", "david.pt", "generator.json"]
    trained = (weights / "david.pt").read_bytes()

    synthesize.run(p)  # validates the synthetic rows against the data contract, or fails
    rows = pd.read_parquet("data/synthetic/david.parquet")
    train = pd.read_parquet("data/split/train.parquet")
    assert (rows["provenance"] == "david").all() and (rows["mortality"] == 1).all()
    assert (train["mortality"] == 1).sum() + len(rows) == (train["mortality"] == 0).sum()
    first = Path("data/synthetic/david.parquet").read_bytes()
    synthesize.run(p)
    assert Path("data/synthetic/david.parquet").read_bytes() == first  # same seed, same bytes
    assert (weights / "david.pt").read_bytes() == trained  # synthesis reused the weights, no retraining

    evaluate.run(p)
    results = json.loads(Path("metrics/evaluation.json").read_text())
    assert set(results) == {"none", "class_weight", "threshold", "smote", "david"}
    assert 0.5 < results["david"]["cart"]["roc_auc"]["mean"] <= 1


def test_resample_cli_with_david_for_a_rare_class(tmp_path):
    from typer.testing import CliRunner

    from augmentation.data.simulate import simulate_trauma
    from flows.cli import app

    cohort = simulate_trauma(rows=800, seed=1)
    cohort.to_csv(tmp_path / "cohort.csv", index=False)
    out = tmp_path / "out.parquet"
    result = CliRunner().invoke(app, ["resample", "--data", str(tmp_path / "cohort.csv"), "--target", "mortality",
                                      "--method", "david", "--param", "epochs=3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "task: regression" not in result.output  # a 0/1 label stays classification
    written = pd.read_parquet(out)
    new = written[written["provenance"] == "david"]
    assert len(new) > 0 and (new["mortality"] == 1).all() and set(new["sex"]) <= {"F", "M"}


def test_help_does_not_import_torch():
    import subprocess
    import sys

    code = "import sys, flows.cli; from augmentation import generators; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
