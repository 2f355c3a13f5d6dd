"""The decision: nested validation that cannot leak, a known answer, prior correction, honest intervals, bad input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split
from typer.testing import CliRunner

from augmentation.data.table import TableSpec
from augmentation.errors import ConfigError, DataError
from augmentation.evaluation.decision import (
    Objective,
    Predictions,
    TableSampler,
    candidates,
    join_folds,
    outer_folds,
    paired_bootstrap,
    prior_correct,
    recommend,
    validate_fold,
    validate_options,
)


def noise_table(n: int = 1200, seed: int = 0) -> pd.DataFrame:
    """Features that say nothing about the label: any skill a model shows on it is leakage."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(size=(n, 4)), columns=list("abcd"))
    frame["y"] = (rng.random(n) < 0.1).astype(int)
    return frame


def logistic_table(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    """A well-specified logistic model: logistic regression is already the right model, resampling cannot help."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    p = 1 / (1 + np.exp(-(-3.0 + 1.2 * X[:, 0] - 0.8 * X[:, 1] + 0.5 * X[:, 2])))
    frame = pd.DataFrame(X, columns=["x0", "x1", "x2"])
    frame["y"] = (rng.random(n) < p).astype(int)
    return frame


SPEC = TableSpec(target="y")


def test_copies_of_a_row_never_sit_on_both_sides_of_a_split():
    # A deep tree memorises rows. On pure noise it can only look skilful on validation rows whose copies it
    # was trained on, so a validated AUC near 0.5 for random oversampling proves the copies stay inside the folds.
    frame = noise_table()
    options = {o.name: o for o in candidates(SPEC, frame, learner="cart", learner_params={}, generators=["random"],
                                             objective=Objective())}
    validated = validate_options(frame, SPEC, [options["random"], options["random+threshold"]], folds=3, seed=0,
                                 real_rate=float(frame.y.mean()))
    from sklearn.metrics import roc_auc_score
    for name, pred in validated.items():
        assert roc_auc_score(frame.y, pred.proba) < 0.6, name
    # The same learner and folds with the rows oversampled BEFORE the split: the leak this test guards against.
    X, y = TableSampler(method="random", spec=SPEC, random_state=0).fit_resample(frame.drop(columns="y"), frame.y)
    leaky = pd.DataFrame(X).assign(y=y)
    leaked = validate_options(leaky, SPEC, [options["none"]], folds=3, seed=0, real_rate=float(frame.y.mean()))
    assert roc_auc_score(leaky.y, leaked["none"].proba) > 0.7


def test_folds_validated_apart_in_any_order_join_to_the_out_of_fold_predictions():
    # The flow validates each outer fold as its own task, on whichever worker, in whatever order: joined, every row's
    # prediction is the one of the model fitted on the other folds (scikit-learn's cross_val_predict, same folds).
    from sklearn.model_selection import cross_val_predict

    frame = logistic_table(1500)
    options = candidates(SPEC, frame, learner="logreg", learner_params={}, generators=["random"], objective=Objective())
    rate = float(frame.y.mean())
    parts = {k: validate_fold(frame, SPEC, options, k, folds=3, seed=0, real_rate=rate) for k in (2, 0, 1)}
    joined = join_folds(frame, SPEC, [parts[k] for k in range(3)], seed=0)
    at_once = validate_options(frame, SPEC, options, folds=3, seed=0, real_rate=rate)
    assert list(joined) == list(at_once) == [o.name for o in options]
    for name, pred in joined.items():
        assert np.array_equal(pred.proba, at_once[name].proba) and pred.thresholds == at_once[name].thresholds
        assert len(pred.thresholds) == 3
    expected = cross_val_predict(options[0].build(0), frame[["x0", "x1", "x2"]], frame.y,
                                 cv=outer_folds(frame, SPEC, folds=3, seed=0), method="predict_proba")[:, 1]
    np.testing.assert_allclose(joined["none"].proba, expected)


def test_where_oversampling_cannot_help_the_answer_is_no_oversampling():
    frame = logistic_table()
    train, test = train_test_split(frame, test_size=0.25, stratify=frame.y, random_state=0)
    decision = recommend(train.reset_index(drop=True), test.reset_index(drop=True), SPEC,
                         learners={"logreg": {}}, generators=["random", "smote"], objective=Objective(), seed=0,
                         n_bootstrap=200)["logreg"]
    assert decision["chosen"] in {"none", "threshold"}, decision["gain_over_baseline"]
    assert decision["sentence"].startswith("logreg: no oversampling")
    # every option was validated, and the hold-out holds the chosen option and its baseline only
    assert set(decision["validated"]) == {"none", "threshold", "class_weight", "random", "random+threshold",
                                          "smote", "smote+threshold"}
    assert set(decision["holdout"]) == {"chosen", "baseline", "threshold", "reliability"}
    json.dumps(decision, allow_nan=False)


def test_prior_correction_restores_the_real_base_rate():
    from imblearn.over_sampling import RandomOverSampler
    from sklearn.linear_model import LogisticRegression

    frame = logistic_table(6000, seed=1)
    train, test = train_test_split(frame, test_size=0.5, stratify=frame.y, random_state=0)
    X, y = RandomOverSampler(random_state=0).fit_resample(train[["x0", "x1", "x2"]], train.y)
    proba = LogisticRegression().fit(X, y).predict_proba(test[["x0", "x1", "x2"]])[:, 1]
    real = float(train.y.mean())
    assert proba.mean() > 2 * real  # resampling inflates every probability
    corrected = prior_correct(proba, trained_rate=float(np.mean(y)), real_rate=real)
    assert abs(corrected.mean() - test.y.mean()) < 0.015
    assert np.argsort(corrected).tolist() == np.argsort(proba).tolist()  # the ranking is untouched


def _labels(y, accuracy: float, rng) -> np.ndarray:
    wrong = rng.random(len(y)) > accuracy
    return np.where(wrong, 1 - y, y)


def test_the_interval_excludes_zero_only_when_the_gain_is_real():
    rng = np.random.default_rng(0)
    y = (rng.random(2000) < 0.2).astype(int)
    proba = rng.random(len(y))

    def pred(labels):
        return Predictions(proba, proba, labels, [0.5])

    base = _labels(y, 0.7, rng)
    better = np.where(rng.random(len(y)) < 0.3, y, base)  # fixes ~30% of the baseline's errors
    same = _labels(y, 0.7, rng)  # as good as the baseline, different errors
    objective = Objective(metric="balanced_accuracy")
    gain, low, high = paired_bootstrap(y, pred(better), pred(base), "balanced_accuracy", objective, n=300)
    assert gain > 0 and low > 0
    gain, low, high = paired_bootstrap(y, pred(same), pred(base), "balanced_accuracy", objective, n=300)
    assert low < 0 < high


def test_the_counted_metrics_are_scikit_learns_to_the_last_bit():
    # label_score and the bootstrap's AUC skip scikit-learn's input checks for speed; the numbers must not move.
    from sklearn.metrics import balanced_accuracy_score, f1_score, precision_score, recall_score, roc_auc_score

    rng = np.random.default_rng(3)
    objective = Objective(min_precision=0.3)
    for _ in range(150):
        n = int(rng.integers(1, 80))
        y, labels = (rng.random(n) < rng.random()).astype(int), (rng.random(n) < rng.random()).astype(int)
        precise = precision_score(y, labels, zero_division=0) >= 0.3
        assert objective.label_score(y, labels, "f1") == f1_score(y, labels, zero_division=0)
        assert objective.label_score(y, labels, "recall_at_precision") == \
            (recall_score(y, labels, zero_division=0) if precise else 0.0)
        if 0 < y.sum() < n:  # scikit-learn warns and averages the classes present otherwise; so does label_score
            assert objective.label_score(y, labels, "balanced_accuracy") == balanced_accuracy_score(y, labels)
    y = (rng.random(1000) < 0.1).astype(int)
    proba = np.round(rng.random(1000), 2)  # many ties
    same_scores = Predictions(proba, proba, (proba > 0.5).astype(int), [0.5])
    other = Predictions(np.zeros(1000) + 0.5, proba, (proba > 0.5).astype(int), [0.5])  # AUC exactly 0.5
    gain, low, high = paired_bootstrap(y, same_scores, other, "roc_auc", objective, n=50, seed=1)
    assert gain == roc_auc_score(y, proba) - 0.5
    rng_again = np.random.default_rng(1)
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    expected = [roc_auc_score(y[i], proba[i]) - 0.5 for i in
                (np.concatenate([rng_again.choice(pos, len(pos)), rng_again.choice(neg, len(neg))]) for _ in range(50))]
    assert (low, high) == pytest.approx(tuple(np.percentile(expected, [2.5, 97.5])), abs=1e-12)


@pytest.mark.parametrize("kwargs, message", [
    ({"metric": "accuracy"}, "unknown decision metric 'accuracy'"),
    ({"min_precision": 1.5}, "min_precision must be in (0, 1]"),
    ({"metric": "cost", "cost_false_positive": -1.0}, "non-negative costs"),
    ({"metric": "cost", "cost_false_positive": 0.0, "cost_false_negative": 0.0}, "not both zero"),
])
def test_a_bad_objective_is_one_message(kwargs, message):
    with pytest.raises(ConfigError, match="fix:") as err:
        Objective(**kwargs)
    assert message in str(err.value)


def test_too_few_minority_rows_for_the_folds_is_named():
    frame = noise_table(200)
    frame["y"] = 0
    frame.loc[:4, "y"] = 1
    with pytest.raises(DataError, match="5 minority training rows are too few for 3-fold"):
        validate_options(frame, SPEC, candidates(SPEC, frame, learner="logreg", learner_params={}, generators=[],
                                                 objective=Objective()), folds=3, seed=0, real_rate=0.025)


def test_cost_objective_moves_the_threshold_towards_the_expensive_error():
    frame = logistic_table()
    train, test = train_test_split(frame, test_size=0.25, stratify=frame.y, random_state=0)
    thresholds = {}
    for fn_cost in (1.0, 20.0):
        decision = recommend(train.reset_index(drop=True), test.reset_index(drop=True), SPEC,
                             learners={"logreg": {}}, generators=[], seed=0, n_bootstrap=100,
                             objective=Objective(metric="cost", cost_false_negative=fn_cost))["logreg"]
        thresholds[fn_cost] = np.mean(decision["thresholds"]["threshold"])
    assert thresholds[20.0] < thresholds[1.0] / 2  # a missed case 20x dearer: flag many more


def test_cli_recommend_writes_the_decision_and_refuses_bad_input(tmp_path):
    from flows.cli import app

    data = tmp_path / "cohort.csv"
    logistic_table(1500).to_csv(data, index=False)
    out = tmp_path / "decision.json"
    runner = CliRunner()
    done = runner.invoke(app, ["recommend", "--data", str(data), "--target", "y", "--methods", "random",
                               "--learners", "logreg", "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert "logreg:" in done.output and json.loads(out.read_text())["learners"]["logreg"]["chosen"]
    before = out.read_bytes()
    for args, message in ((["--metric", "accuracy"], "unknown decision metric"),
                          (["--min-precision", "0"], "min_precision must be in (0, 1]"),
                          (["--metric", "cost", "--cost-fp", "-2"], "non-negative costs"),
                          (["--learners", "svm"], "unknown learner")):
        done = runner.invoke(app, ["recommend", "--data", str(data), "--target", "y", "--out", str(out), *args])
        assert done.exit_code == 2 and message in done.output and "Traceback" not in done.output, done.output
    assert out.read_bytes() == before


def test_an_option_that_cannot_be_validated_is_excluded_with_its_reason_not_fatal():
    # A tree with one leaf predicts a constant: no threshold can be tuned on it (scikit-learn refuses).
    frame = logistic_table(1200)
    train, test = train_test_split(frame, test_size=0.25, stratify=frame.y, random_state=0)
    decision = recommend(train.reset_index(drop=True), test.reset_index(drop=True), SPEC,
                         learners={"cart": {"min_samples_leaf": 5000}}, generators=["random"], objective=Objective(),
                         seed=0, n_bootstrap=100)["cart"]
    assert "could not be validated" in decision["excluded"]["threshold"]
    assert "could not be validated" in decision["excluded"]["random+threshold"]
    assert decision["baseline"] == "none"  # the plain model stands in for the threshold that could not be tuned
    assert set(decision["validated"]) == {"none", "class_weight", "random"}
    assert decision["chosen"] in decision["validated"]


def test_generated_rows_of_the_options_pass_the_causal_maps_constraints():
    # No real patient over 43 has a score above 2 (a forbidden row of the map), but SMOTE interpolates scores
    # between patients, so the rows the decision validates must be the constrained ones the synthesize stage
    # would deploy; age is immutable: every mode keeps a real row's age.
    from augmentation.causal.map import CausalMap

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"age": rng.choice([40.0, 41.5, 43.0, 44.5], 600), "score": rng.normal(scale=5, size=600)})
    frame["y"] = (rng.random(600) < 1 / (1 + np.exp(-(-3 + frame.score / 5)))).astype(int)
    frame = frame[~((frame.age > 43) & (frame.score > 2))].reset_index(drop=True)
    the_map = CausalMap.from_dict({"label": "y", "nodes": ["age", "score", "y"],
                                   "edges": [["age", "y"], ["score", "y"]],
                                   "variables": {"age": {"immutable": True}}, "forbidden": ["age > 43 and score > 2"]})
    X, y = frame.drop(columns="y"), frame.y.to_numpy()
    ages, forbidden = {}, {}
    for mode in ("off", "repair", "reject"):
        options = {o.name: o for o in candidates(SPEC, frame, learner="logreg", learner_params={}, generators=["smote"],
                                                 objective=Objective(), causal_map=the_map, constraints=mode)}
        X_res, _ = options["smote"].build(0).named_steps["sample"].fit_resample(X, y)
        new = X_res.iloc[len(X):]
        ages[mode], forbidden[mode] = set(new.age.round(6)), int(((new.age > 43) & (new.score > 2)).sum())
        assert len(X_res) > len(X), mode
    assert forbidden["off"] > 0 and forbidden["repair"] == forbidden["reject"] == 0  # unconstrained rows are forbidden
    assert all(a <= {40.0, 41.5, 43.0, 44.5} for a in ages.values())  # immutables held, whatever the mode


def test_a_tiny_gain_is_written_as_a_person_would_read_it():
    from augmentation.evaluation.decision import _number

    assert [_number(v, "+") for v in (0.0002042, 0.00815, -0.0123)] == ["+0.0002", "+0.008", "-0.012"]
    assert _number(1234.567) == "1235"  # an error on the target's own scale keeps four significant digits
