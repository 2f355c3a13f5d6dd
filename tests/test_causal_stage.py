"""The causal-check stage on a real project run: one real reference for all generators, scm's mechanism quality."""

import json

from tasks import causal, fit, ingest, paths, split, synthesize, validate
from tasks.params import load_params
from tests.conftest import write_params


def test_the_stage_measures_every_generator_against_one_reference_and_scores_scms_mechanisms(project):
    write_params(project, generators={"methods": ["random", "scm"], "params": {"scm": {"max_iter": 20}}})
    p = load_params()
    for stage in (ingest, validate, split, fit, synthesize, causal):
        stage.run(p)
    results = json.loads(paths.CAUSAL.read_text())
    cards = {m: results[m]["scorecard"] for m in ("random", "scm")}
    assert cards["random"]["structure"]["reference"] == cards["scm"]["structure"]["reference"] \
        == cards["scm"]["mechanisms"]["reference"]
    assert cards["random"]["structure"]["shd_real_vs_map"] == cards["scm"]["structure"]["shd_real_vs_map"]
    # scm fits mechanisms, so its entry says how well they predict the real rows; random fits none
    quality = results["scm"]["mechanism_quality"]
    assert "mechanism_quality" not in results["random"]
    with_parents = {"bmi", "iss", "sbp", "pulse", "resp_rate", "spo2", "gcs", "mortality"}
    assert set(quality) == with_parents
    assert all(q["trusted"] == (q["skill"] >= 0 and q["skill"] >= q["linear_skill"] - 0.05) for q in quality.values())
    assert quality["gcs"]["score"] == "R²" and quality["mortality"]["score"] == "log-loss skill"
