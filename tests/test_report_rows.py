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
