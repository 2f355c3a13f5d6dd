import json

import numpy as np
import pandas as pd
import pytest

from augmentation.errors import DataError
from augmentation.evaluation.fairness import check_fairness

SEX = pd.Series(["f", "f", "f", "f", "m", "m", "m", "m"], name="sex")
Y = np.array([1, 0, 1, 0, 1, 0, 1, 0])


def run(y_true, y_pred, sensitive=SEX):
    return check_fairness(y_true, y_pred, sensitive, method="smote", max_dp_difference=0.1, max_eo_difference=0.1)


def test_identical_predictions_across_groups_pass():
    result = run(Y, np.array([1, 0, 0, 0, 1, 0, 0, 0]))
    assert result.demographic_parity_difference == 0 and result.equalized_odds_difference == 0
    assert result.passed
    assert set(result.by_group) == {"f", "m"}
    assert result.by_group["f"] == {"selection_rate": 0.25, "tpr": 0.5, "fpr": 0.0, "count": 4}
    json.dumps(result.to_dict(), allow_nan=False)


def test_selecting_one_group_only_fails():
    result = run(Y, np.array([1, 1, 1, 1, 0, 0, 0, 0]))
    assert result.demographic_parity_difference == 1.0
    assert result.equalized_odds_difference == 1.0
    assert not result.passed
    assert "demographic parity difference 1.000 > 0.1" in result.to_dict()["reason"]


def test_group_without_positives_does_not_crash():
    y_true = np.array([1, 0, 1, 0, 0, 0, 0, 0])
    y_pred = np.array([1, 0, 1, 0, 0, 0, 0, 0])
    result = run(y_true, y_pred)
    d = result.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["by_group"]["m"]["tpr"] is None and d["by_group"]["m"]["fpr"] == 0.0
    assert any("no actual positives" in note for note in d["notes"])
    # fairlearn would count m's TPR as 0 (EO = 1); the undefined rate is left out instead.
    assert result.equalized_odds_difference == 0.0
    assert result.demographic_parity_difference == 0.5 and not result.passed


def test_numeric_group_keys_are_strings_and_lengths_checked():
    result = run(Y, Y, sensitive=pd.Series([0, 0, 0, 0, 1, 1, 1, 1], name="g"))
    assert set(result.by_group) == {"0", "1"}
    with pytest.raises(DataError, match="lengths differ"):
        run(Y[:-1], Y[:-1])
