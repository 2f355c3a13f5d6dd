"""Regression targets: rare-region samplers, metrics, the protocol, and the command line."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from augmentation.data import rarity as rare
from augmentation.data.table import TableSpec
from augmentation.errors import ConfigError, DataError
from augmentation.evaluation.regression_protocol import evaluate_regression
from augmentation.generators import regression as samplers
from augmentation.synthesis.regression import score_regression
from flows.cli import app


def skewed(rows: int = 400, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((rows, 3))
    return X, np.exp(X[:, 0] + 0.2 * rng.standard_normal(rows))


@pytest.mark.parametrize("name", ["random", "gaussian_noise", "smoter"])
def test_baselines_draw_from_the_rare_region(name):
    X, y = skewed()
    w = rare.TargetDensity(y).weights(y)
    X_res, y_res = samplers.make_sampler(name, random_state=0, n_samples=200).fit_resample(X, y)
    assert X_res.shape == (600, 3)
    new_w = rare.TargetDensity(y).weights(y_res[400:])
    assert np.median(new_w) > np.quantile(w, 0.8)  # new rows sit where targets are rare
    assert y_res[400:].min() >= y.min() and y_res[400:].max() <= y.max()


def test_smoter_interpolates_between_rare_neighbours():
    X, y = skewed()
    region = rare.rare_mask(rare.TargetDensity(y).weights(y), quantile=0.1)
    X_res, y_res = samplers.SmoteR(n_samples=100, random_state=0).fit_resample(X, y)
    new, targets = X_res[400:], y_res[400:]
    # every new row lies inside the bounding box of the rare rows, and its target between rare targets
    assert (new >= X[region].min(axis=0) - 1e-9).all() and (new <= X[region].max(axis=0) + 1e-9).all()
    assert targets.min() >= y[region].min() - 1e-9 and targets.max() <= y[region].max() + 1e-9
    assert len(np.unique(new.round(9), axis=0)) == 100  # interpolations, not copies


def test_metrics_weigh_rare_errors():
    y = np.r_[np.zeros(90), np.linspace(5, 10, 10)]
    density = rare.TargetDensity(y)
    miss_rare = np.r_[np.zeros(90), np.zeros(10)]  # wrong only on the rare tail
    miss_common = np.r_[np.full(90, 1.0), np.linspace(5, 10, 10)]
    a, b = score_regression(y, miss_rare, density), score_regression(y, miss_common, density)
    assert set(a) == {"mse", "rmse", "mape", "median_ae", "rare_rmse", "weighted_mse"}
    assert a["median_ae"] == 0 and a["rare_rmse"] > b["rare_rmse"] == 0
    assert a["weighted_mse"] / a["mse"] > b["weighted_mse"] / b["mse"]
    with pytest.raises(DataError, match="NaN"):
        score_regression(y, np.r_[np.nan, y[1:]], density)


def test_protocol_two_views_and_spread():
    X, y = skewed(300)
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(y=y)
    results = evaluate_regression(frame, TableSpec(target="y"), methods=["smoter", "random"], seeds=2, seed=1)
    assert list(results) == ["none", "smoter", "random"]
    cell = results["smoter"]["gbm"]["rare"]["rare_rmse"]
    assert set(cell) == {"mean", "std", "min", "max"} and cell["min"] <= cell["mean"] <= cell["max"]
    assert set(results["none"]) == {"gbm", "linear"} and set(results["none"]["linear"]) == {"uniform", "rare"}
    again = evaluate_regression(frame, TableSpec(target="y"), methods=["smoter", "random"], seeds=2, seed=1)
    assert again == results


@pytest.mark.parametrize("name", samplers.available())
def test_every_sampler_is_a_scikit_learn_estimator(name):
    from sklearn.base import clone

    fast = {"epochs": 3, "patience": 1, "hidden": 8} if name.startswith("david") else {}
    sampler = samplers.make_sampler(name, random_state=4, n_samples=50, **fast)
    params = sampler.get_params()
    twin = clone(sampler)
    assert twin is not sampler and twin.get_params() == params  # the round trip keeps every parameter
    assert type(sampler)(**params).get_params() == params
    assert params["random_state"] == 4 and params["n_samples"] == 50
    if name == "david_no_balance":
        assert params["balanced"] is False
    X, y = skewed(200)
    first, again = sampler.fit_resample(X, y), twin.fit_resample(X, y)
    for a, b in zip(first, again, strict=True):  # same random_state, same rows
        np.testing.assert_array_equal(a, b)
    other = samplers.make_sampler(name, random_state=5, n_samples=50, **fast).fit_resample(X, y)
    assert not np.array_equal(first[0][200:], other[0][200:])


def test_fixed_parameters_cannot_be_overridden():
    with pytest.raises(ConfigError, match="fixes \\['balanced'\\]"):
        samplers.make_sampler("david_no_balance", random_state=0, balanced=True)


def test_unknown_sampler_and_parameter():
    with pytest.raises(ConfigError, match="unknown regression generator 'smotr'"):
        samplers.make_sampler("smotr", random_state=0)
    with pytest.raises(ConfigError, match="does not take"):
        samplers.make_sampler("smoter", random_state=0, k_neighbours=3)


@pytest.fixture
def csv(tmp_path):
    rng = np.random.default_rng(3)
    n = 300
    frame = pd.DataFrame({"age": rng.integers(18, 90, n), "site": rng.choice(["a", "b"], n), "x": rng.normal(size=n)})
    frame["cost"] = np.exp(0.03 * frame["age"] + frame["x"]).round(3)
    path = tmp_path / "claims.csv"
    frame.to_csv(path, index=False)
    return path, frame


def test_cli_resample_regression_with_david(csv, tmp_path):
    path, frame = csv
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(app, ["resample", "--data", str(path), "--target", "cost", "--method", "david",
                                      "--param", "n_samples=150", "--param", "epochs=10", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "task: regression" in result.output  # auto-detected, and said so
    written = pd.read_csv(out)
    assert (written["provenance"] == "david").sum() == 150 and (written["provenance"] == "real").sum() == len(frame)
    new = written[written["provenance"] == "david"]
    assert set(new["site"]) <= {"a", "b"} and (new["age"] == new["age"].round()).all()
    assert new["cost"].quantile(0.5) > frame["cost"].quantile(0.75)  # rare (large) costs were asked for


def test_cli_evaluate_regression(csv, tmp_path):
    path, _ = csv
    out = tmp_path / "metrics.json"
    result = CliRunner().invoke(app, ["evaluate", "--data", str(path), "--target", "cost", "--task", "regression",
                                      "--methods", "smoter,gaussian_noise", "--repeats", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    saved = json.loads(out.read_text())
    assert saved["task"] == "regression" and set(saved["results"]) == {"none", "smoter", "gaussian_noise"}
    assert "rare RMSE" in result.output


def test_cli_regression_bad_target_one_message(tmp_path):
    path = tmp_path / "flat.csv"
    pd.DataFrame({"x": np.arange(100.0), "y": np.full(100, 2.0)}).to_csv(path, index=False)
    before = b"earlier output"
    (tmp_path / "out.csv").write_bytes(before)
    result = CliRunner().invoke(app, ["resample", "--data", str(path), "--target", "y", "--task", "regression",
                                      "--out", str(tmp_path / "out.csv")])
    assert result.exit_code == 2
    assert "is constant" in result.output and "fix:" in result.output
    assert (tmp_path / "out.csv").read_bytes() == before


# -- the decision for a continuous target (augmentation/evaluation/regression_decision.py) ------------------------

def noise_target(rows: int = 800, seed: int = 1) -> pd.DataFrame:
    """A symmetric target the features say nothing about: no oversampling of its rare tails can predict them."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.normal(size=(rows, 3)), columns=["a", "b", "c"]).assign(y=rng.normal(size=rows))


def linear_target(rows: int = 800, seed: int = 0) -> pd.DataFrame:
    """y = linear + noise: the rows with extreme targets have extreme noise too, so a model fitted to all rows
    underestimates them; oversampling the rare region really lowers the rare-region error."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 3))
    return pd.DataFrame(X, columns=["a", "b", "c"]).assign(y=1.5 * X[:, 0] - X[:, 1] + 0.5 * X[:, 2]
                                                           + rng.normal(size=rows))


def _split(frame: pd.DataFrame):
    from sklearn.model_selection import train_test_split

    train, test = train_test_split(frame, test_size=0.25, random_state=0)
    return train.reset_index(drop=True), test.reset_index(drop=True)


def test_where_oversampling_cannot_help_a_regression_target_the_answer_is_no_oversampling():
    from augmentation.evaluation.regression_decision import recommend

    train, test = _split(noise_target())
    decision = recommend(train, test, TableSpec(target="y"), learners={"linear": {}},
                         generators=["random", "smoter", "gaussian_noise"], n_bootstrap=200)["linear"]
    assert decision["chosen"] == "none" and decision["baseline"] == "none", decision["gain_over_baseline"]
    assert decision["sentence"].startswith("linear: no oversampling")
    assert decision["metric"] == "rare_rmse" and decision["lower_is_better"]
    assert set(decision["validated"]) == {"none", "random", "smoter", "gaussian_noise"}
    assert set(decision["holdout"]) == {"chosen", "baseline"} and "rare_rmse" in decision["holdout"]["chosen"]
    json.dumps(decision, allow_nan=False)


def test_where_the_rare_region_is_underfit_a_generator_is_chosen_with_an_interval_above_zero():
    from augmentation.evaluation.regression_decision import recommend

    train, test = _split(linear_target())
    decision = recommend(train, test, TableSpec(target="y"), learners={"linear": {}},
                         generators=["random", "smoter"], n_bootstrap=200)["linear"]
    assert decision["chosen"] in {"random", "smoter"}, decision["gain_over_baseline"]
    assert decision["gain_over_baseline"]["ci95"][0] > 0
    assert decision["sentence"].startswith(f"linear: oversample with {decision['chosen']}")
    # the chosen option is validated better than none, and it is checked once on the hold-out
    validated = decision["validated"]
    assert validated[decision["chosen"]]["rare_rmse"] < validated["none"]["rare_rmse"]
    assert decision["holdout"]["chosen"]["rare_rmse"] < decision["holdout"]["baseline"]["rare_rmse"]


def test_cli_recommend_regression_and_its_bad_input(tmp_path):
    path = tmp_path / "noise.csv"
    noise_target(400).to_csv(path, index=False)
    out = tmp_path / "decision.json"
    runner = CliRunner()
    done = runner.invoke(app, ["recommend", "--data", str(path), "--target", "y", "--task", "regression",
                               "--methods", "random,smoter", "--learners", "linear", "--out", str(out)])
    assert done.exit_code == 0, done.output
    saved = json.loads(out.read_text())
    assert saved["task"] == "regression" and saved["learners"]["linear"]["chosen"] == "none"
    assert "linear: no oversampling" in done.output
    before = out.read_bytes()
    small = tmp_path / "small.csv"
    noise_target(40).to_csv(small, index=False)  # 30 training rows: 3 in the rarest 10%, 3 folds need 6
    for data, args, message in (
            (path, ["--metric", "f1"], "unknown regression decision metric 'f1'"),
            (path, ["--learners", "cart"], "unknown regression learner(s) ['cart']"),
            (path, ["--methods", "smote"], "unknown regression generator(s) ['smote']"),
            (small, [], "3 rare-target training rows (the rarest 10%) are too few for 3-fold validation")):
        done = runner.invoke(app, ["recommend", "--data", str(data), "--target", "y", "--task", "regression",
                                   "--out", str(out), *args])
        assert done.exit_code == 2 and message in done.output and "fix:" in done.output, done.output
        assert "Traceback" not in done.output and done.output.count("error:") == 1, done.output
    assert out.read_bytes() == before
