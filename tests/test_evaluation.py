import numpy as np
import pandas as pd
import pytest

from augmentation.errors import ConfigError
from augmentation.evaluation.metrics import score_predictions, summarize
from augmentation.learners import LEARNERS, make_model


def test_perfect_probabilities():
    scores = score_predictions([0, 0, 1, 1], [0.0, 0.0, 1.0, 1.0])
    log_loss = scores.pop("log_loss")
    assert scores == {"roc_auc": 1.0, "f1": 1.0, "g_mean": 1.0, "pr_auc": 1.0, "brier": 0.0}
    assert 0 <= log_loss < 1e-9  # probabilities are clipped away from 0 and 1 before the log
    assert all(type(v) is float for v in scores.values())


def test_constant_predictor_has_zero_g_mean():
    scores = score_predictions([0, 0, 0, 1], [0.1, 0.1, 0.1, 0.1])
    assert scores["g_mean"] == 0.0 and scores["f1"] == 0.0 and scores["roc_auc"] == 0.5


@pytest.mark.parametrize("learner", LEARNERS)
def test_make_model_fits_mixed_frame(learner):
    rng = np.random.default_rng(0)
    n = 200
    x = pd.DataFrame({"age": rng.normal(40, 10, n), "income": rng.integers(0, 100, n),
                      "city": rng.choice(["a", "b", "c"], n)})
    y = ((x["age"] > 40) | (x["city"] == "a")).astype(int)
    model = make_model(learner, numeric=["age", "income"], categorical=["city"], params={}, class_weight="balanced",
                       random_state=0)
    model.fit(x.assign(label=y), y)  # extra columns are dropped by the ColumnTransformer
    unseen = x.head(5).assign(city="zzz")  # handle_unknown="ignore"
    proba = model.predict_proba(unseen)[:, 1]
    assert proba.shape == (5,) and ((proba >= 0) & (proba <= 1)).all()
    assert score_predictions(y, model.predict_proba(x)[:, 1])["roc_auc"] > 0.8


def test_unknown_learner_and_param():
    with pytest.raises(ConfigError, match="(?s)'xgb'.*cart"):
        make_model("xgb", numeric=["a"], categorical=[], params={}, class_weight=None, random_state=0)
    with pytest.raises(ConfigError, match="(?s)depth.*max_depth"):
        make_model("cart", numeric=["a"], categorical=[], params={"depth": 3}, class_weight=None, random_state=0)


def test_summarize():
    out = summarize([{"f1": 0.2, "brier": 0.1}, {"f1": 0.4, "brier": 0.1}])
    assert out["f1"]["mean"] == pytest.approx(0.3)
    assert out["f1"]["std"] == pytest.approx(np.std([0.2, 0.4], ddof=1))
    assert out["f1"]["min"] == 0.2 and out["f1"]["max"] == 0.4
    assert out["brier"]["std"] == 0.0
    assert summarize([{"f1": 0.5}])["f1"] == {"mean": 0.5, "std": 0.0, "min": 0.5, "max": 0.5}


def test_probability_scores_use_the_corrected_probabilities():
    raw, corrected = [0.6, 0.7, 0.8, 0.9], [0.1, 0.2, 0.8, 0.9]
    plain, moved = score_predictions([0, 0, 1, 1], raw), score_predictions([0, 0, 1, 1], raw, calibrated=corrected)
    assert moved["roc_auc"] == plain["roc_auc"] and moved["f1"] == plain["f1"]  # ranking and labels from raw
    assert moved["brier"] < plain["brier"] and moved["log_loss"] < plain["log_loss"]


def test_max_rows_trains_each_learner_on_a_stratified_sample_and_says_so_in_the_numbers():
    from augmentation.data.simulate import simulate_trauma
    from augmentation.data.table import TableSpec, check_table
    from augmentation.evaluation.protocol import capped, evaluate_methods

    spec = TableSpec(target="mortality", categorical=("sex",))
    frame = check_table(simulate_trauma(rows=4000, seed=1), spec)
    train, test = frame.iloc[:3000], frame.iloc[3000:]
    sample = capped(train, "mortality", 600, seed=0)
    assert len(sample) == 600 and sample.index.is_monotonic_increasing and set(sample.index) <= set(train.index)
    assert abs(sample["mortality"].mean() - train["mortality"].mean()) < 0.01  # the class ratio is kept
    pd.testing.assert_frame_equal(sample, capped(train, "mortality", 600, seed=0))  # seeded

    def run(max_rows):
        return evaluate_methods(train, test, spec, generators=[], synthetic_rows=None, learners={"logreg": {}},
                                repeats=1, seed=0, max_rows=max_rows)["none"]["logreg"]["roc_auc"]["mean"]
    assert run(None) == run(5000)  # a cap above the data changes nothing
    assert run(600) != run(None)  # the learner trained on fewer rows


def test_repeats_evaluated_apart_in_any_order_summarize_to_the_whole_evaluation():
    """The flow runs each repeat as its own task: the repeats, run one by one in reverse order, summarize to the
    numbers of the method evaluated in one go (every seed is the repeat's own, not the order's)."""
    from augmentation.data.simulate import simulate_trauma
    from augmentation.data.table import TableSpec, check_table
    from augmentation.evaluation.protocol import (
        evaluate_method,
        evaluate_repeat,
        fresh_synthesis,
        summarize_repeats,
    )

    spec = TableSpec(target="mortality", categorical=("sex",))
    frame = check_table(simulate_trauma(rows=3000, seed=2), spec)
    train, test = frame.iloc[:2200].reset_index(drop=True), frame.iloc[2200:].reset_index(drop=True)
    common = dict(generators=["smote"], synthetic_rows=fresh_synthesis(train, spec, seed=4),
                  learners={"cart": {"max_depth": 4}, "logreg": {}}, seed=4)
    whole = evaluate_method("smote", train, test, spec, repeats=3, **common)
    apart = {r: evaluate_repeat("smote", r, train, test, spec, **common) for r in (2, 1, 0)}
    assert summarize_repeats("smote", [apart[r] for r in range(3)]) == whole
    assert apart[0]["cart"] != apart[1]["cart"]  # the repeats differ: a new draw and a new learner seed each
