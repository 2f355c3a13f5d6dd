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
    assert set(results) == {"none", "class_weight", "smote", "david"}
    assert 0.5 < results["david"]["cart"]["roc_auc"]["mean"] <= 1
