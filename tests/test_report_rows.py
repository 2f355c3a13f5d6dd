"""What a person sees first in the Prefect UI's summary table: the method, its verdict, then the numbers."""

import json

from tasks.report import artifact_rows


def test_the_summary_artifact_opens_with_the_method_and_its_verdict():
    row = {"method": "smote", "cart_f1": 0.42, "cart_f1_std": 0.01, "cart_roc_auc": 0.86, "cart_roc_auc_std": 0.0,
           "causal": False, "fairness": True, "logreg_f1": 0.41, "logreg_f1_std": 0.0, "logreg_roc_auc": 0.89,
           "logreg_roc_auc_std": 0.0, "passed": False}
    summary = json.loads(json.dumps({"learners": ["cart", "logreg"], "rows": [row]}, sort_keys=True))
    (table,) = artifact_rows(summary)
    assert list(json.loads(json.dumps([table]))[0]) == [  # the order survives the artifact's JSON
        "method", "verdict", "cart AUC", "logreg AUC", "cart F1", "logreg F1", "causal", "fairness"]
    assert table["method"] == "smote" and table["verdict"] == "FAIL" and table["cart AUC"] == 0.86


def test_a_rejected_recalibrations_verdict_is_a_list_a_person_can_read_whole():
    from flows.drift import _verdict_markdown

    detail = ("new smote mean f1 0.512 vs active v1's recommended option (cart: threshold, logreg: threshold) 0.561; "
              "allowed loss 0.01")
    page = _verdict_markdown({"promoted": False, "active_before": "v1", "trigger": {"kind": "drift"},
                              "window_rows": 4000, "reason": "hold-out performance",
                              "gates": [{"gate": "hold-out performance", "passed": False, "detail": detail},
                                        {"gate": "causal", "passed": True, "detail": "best generator passes"}]})
    assert "# Recalibration FAILED: active version `v1` stays" in page
    assert f"- **hold-out performance: FAILED.** {detail}" in page and "|" not in page


def test_the_dvc_metrics_headline_is_a_few_numbers_not_the_whole_table():
    from tasks.report import headline

    rows = [{"method": m, "passed": passed} for m, passed in
            (("none", False), ("class_weight", True), ("threshold", None), ("random", True), ("smote", False))]
    summary = {"rows": rows, "best_generator": "random", "best_gain_over_none": -0.0097, "holdout_minority_rows": 313,
               "warnings": [], "decision": {"metric": "f1", "learners": {"cart": {
                   "chosen": "threshold", "holdout_f1": 0.65, "holdout_f1_baseline": 0.65, "sentence": "..."}}}}
    top = headline(summary)
    assert top == {"decision": {"cart": {"option": "threshold", "holdout_f1": 0.65, "holdout_f1_baseline": 0.65}},
                   "best_generator": "random", "best_gain_over_none_auc": -0.0097, "generators_passing": 1,
                   "holdout_minority_rows": 313, "warnings": []}
