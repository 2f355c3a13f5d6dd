"""O² (optimized oversampling): contract, bounds, determinism, mixed data, filter, cart leaves, imblearn checks,
errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from imblearn.pipeline import Pipeline
from imblearn.utils.estimator_checks import parametrize_with_checks
from scipy import sparse
from sklearn.datasets import make_classification
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score, recall_score
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.tree import DecisionTreeClassifier

from augmentation import generators
from augmentation.errors import ConfigError, DataError
from augmentation.generators.o2 import OptimizedOversampler
from tests.conftest import write_params


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(n_samples=600, n_features=6, n_informative=4, weights=[0.85],
                               class_sep=0.8, random_state=1)
    return pd.DataFrame(X, columns=[f"f{i}" for i in range(6)]), pd.Series(y, name="y")


@pytest.mark.parametrize("model", ["lr", "svm", "cart"])
def test_dataframe_in_dataframe_out_and_strategy(data, model):
    X, y = data
    Xr, yr = OptimizedOversampler(model=model, sampling_strategy=0.5, random_state=0).fit_resample(X, y)
    assert isinstance(Xr, pd.DataFrame) and list(Xr.columns) == list(X.columns)
    counts = yr.value_counts()
    assert counts[1] == int(0.5 * counts[0])
    pd.testing.assert_frame_equal(Xr.iloc[:len(X)], X)


def test_inside_imblearn_pipeline(data):
    X, y = data
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
    # The step after the sampler is fitted on balanced classes (the 85/15 split seen as 50/50) ...
    prior = Pipeline([("o2", OptimizedOversampler(random_state=0)), ("clf", DummyClassifier(strategy="prior"))])
    np.testing.assert_allclose(prior.fit(X_train, y_train)[-1].class_prior_, [0.5, 0.5])
    assert prior[0].diagnostics_["objective_finite"]
    # ... and it pays off on held-out rows, which are predicted as they are (no resampling at predict time).
    sampled = Pipeline([("o2", OptimizedOversampler(random_state=0)),
                        ("lr", LogisticRegression())]).fit(X_train, y_train)
    plain = Pipeline([("lr", LogisticRegression())]).fit(X_train, y_train)
    with_o2, without = sampled.predict(X_test), plain.predict(X_test)
    assert len(with_o2) == len(X_test)
    assert recall_score(y_test, with_o2) > recall_score(y_test, without) + 0.05  # 0.43 vs 0.29 when written
    assert balanced_accuracy_score(y_test, with_o2) > balanced_accuracy_score(y_test, without)


@pytest.mark.parametrize("warm_start", ["minority", "smote", "loras"])
def test_objective_finite_and_points_in_range(data, warm_start):
    X, y = data
    sampler = OptimizedOversampler(warm_start=warm_start, trust_radius=3.0, random_state=0)
    Xr, _ = sampler.fit_resample(X, y)
    new = Xr.iloc[len(X):]
    assert sampler.diagnostics_["objective_finite"]
    assert ((new >= X.min()) & (new <= X.max())).all().all()
    assert set(sampler.diagnostics_) >= {"share_on_bound", "mean_g", "mean_nn_distance", "objective_finite"}


def test_same_seed_same_bytes(data):
    X, y = data
    a = OptimizedOversampler(filter="hgb", random_state=3).fit_resample(X, y)[0]
    b = OptimizedOversampler(filter="hgb", random_state=3).fit_resample(X, y)[0]
    c = OptimizedOversampler(filter="hgb", random_state=4).fit_resample(X, y)[0]
    assert a.to_numpy().tobytes() == b.to_numpy().tobytes()
    assert a.to_numpy().tobytes() != c.to_numpy().tobytes()


def test_filter_keeps_only_minority_labelled_points(data):
    X, y = data
    sampler = OptimizedOversampler(filter="hgb", random_state=0)
    Xr, yr = sampler.fit_resample(X, y)
    assert sampler.diagnostics_["filter_shortfall"] == 0
    from sklearn.ensemble import HistGradientBoostingClassifier
    # an independent HGB on the scaled data labels more filtered than unfiltered points minority
    lo, hi = X.min().to_numpy(), X.max().to_numpy()
    hgb = HistGradientBoostingClassifier(random_state=0).fit((X - lo) / (hi - lo), y)
    unfiltered = OptimizedOversampler(random_state=0).fit_resample(X, y)[0].iloc[len(X):]
    filtered = Xr.iloc[len(X):]
    share = lambda Z: hgb.predict((Z - lo) / (hi - lo)).mean()  # noqa: E731
    assert share(filtered) >= share(unfiltered)


def test_cart_points_lie_in_minority_leaves(data):
    X, y = data
    sampler = OptimizedOversampler(model="cart", random_state=0)
    Xr, _ = sampler.fit_resample(X, y)
    lo, hi = X.min().to_numpy(), X.max().to_numpy()
    scaled = (Xr.iloc[len(X):].to_numpy() - lo) / (hi - lo)
    assert (sampler.estimator_.predict_proba(scaled)[:, 1] >= 0.5).mean() > 0.99


def test_registered_and_errors(data):
    X, y = data
    for name in ("o2", "o2_svm", "o2_cart"):
        assert name in generators.available()
        generators.make_generator(name, random_state=0, k_neighbors=3).fit_resample(X, y)
    with pytest.raises(DataError, match="at least 2"):
        OptimizedOversampler(random_state=0).fit_resample(X.iloc[:20], pd.Series([1] + [0] * 19))
    with pytest.raises(DataError, match="constant"):
        OptimizedOversampler(random_state=0).fit_resample(X.assign(c=1.0), y)
    bad = X.copy()
    bad.iloc[0, 0] = np.nan
    with pytest.raises(DataError, match="NaN"):
        OptimizedOversampler(random_state=0).fit_resample(bad, y)


def test_boundary_objective_moves_mean_g_towards_half(data):
    X, y = data
    gap = {}
    for objective in ("paper", "boundary"):
        sampler = OptimizedOversampler(objective=objective, trust_radius=3.0, random_state=0)
        sampler.fit_resample(X, y)
        gap[objective] = (abs(sampler.diagnostics_["mean_g"] - 0.5), sampler.diagnostics_["mean_abs_g_gap"])
    assert gap["boundary"][0] < gap["paper"][0]
    assert gap["boundary"][1] < gap["paper"][1]


@pytest.mark.parametrize("objective", ["paper", "boundary"])
def test_lbfgsb_solver_option_and_determinism(data, objective):
    X, y = data
    a = OptimizedOversampler(solver="lbfgsb", objective=objective, random_state=2)
    b = OptimizedOversampler(solver="lbfgsb", objective=objective, random_state=2)
    Xa, Xb = a.fit_resample(X, y)[0], b.fit_resample(X, y)[0]
    assert a.diagnostics_["objective_finite"]
    assert Xa.to_numpy().tobytes() == Xb.to_numpy().tobytes()
    assert ((Xa >= X.min()) & (Xa <= X.max())).all().all()


def test_unknown_solver_and_objective_are_config_errors(data):
    from augmentation.errors import ConfigError
    X, y = data
    with pytest.raises(ConfigError, match="solver"):
        OptimizedOversampler(solver="adam").fit_resample(X, y)
    with pytest.raises(ConfigError, match="objective"):
        OptimizedOversampler(objective="uncertainty").fit_resample(X, y)


@parametrize_with_checks([OptimizedOversampler(model=m, random_state=0) for m in ("lr", "svm", "cart")])
def test_imblearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize("model", ["lr", "svm", "cart"])
@pytest.mark.parametrize("objective", ["paper", "boundary"])
def test_every_model_finite_and_inside_the_training_range(data, model, objective):
    X, y = data
    sampler = OptimizedOversampler(model=model, objective=objective, random_state=0)
    new = sampler.fit_resample(X, y)[0].iloc[len(X):]
    assert sampler.diagnostics_["objective_finite"]
    assert np.isfinite(new.to_numpy()).all()
    assert ((new >= X.min()) & (new <= X.max())).all().all()


@pytest.fixture(scope="module")
def mixed(data):
    """Numeric features plus a string column the minority's f0 decides, a pandas categorical and a bool."""
    X, y = data
    rng = np.random.default_rng(0)
    frame = X.assign(colour=np.where(X["f0"] > X["f0"].median(), "red", "blue"),
                     grade=pd.Categorical(rng.choice(["a", "b", "c"], size=len(X))),
                     flag=rng.random(len(X)) < 0.3)
    return frame, y


def test_mixed_data_fills_categorical_columns_from_the_numerical_ones(mixed):
    X, y = mixed
    sampler = OptimizedOversampler(categorical_features=["colour", "grade", "flag"], random_state=0)
    Xr, yr = sampler.fit_resample(X, y)
    new = Xr.iloc[len(X):]
    assert list(Xr.columns) == list(X.columns) and Xr.dtypes.equals(X.dtypes)
    assert list(sampler.categorical_features_) == [6, 7, 8]
    assert set(new["colour"]) <= {"red", "blue"} and set(new["grade"]) <= {"a", "b", "c"}
    numeric = [f"f{i}" for i in range(6)]
    assert ((new[numeric] >= X[numeric].min()) & (new[numeric] <= X[numeric].max())).all().all()
    # The fill model learned the rule colour = red iff f0 is above the median from the real rows.
    rule = np.where(new["f0"] > X["f0"].median(), "red", "blue")
    assert (new["colour"].to_numpy() == rule).mean() > 0.9
    # "auto" (non-numeric dtypes of a DataFrame) and column indices pick the same columns: same bytes.
    auto = OptimizedOversampler(categorical_features="auto", random_state=0).fit_resample(X, y)[0]
    by_index = OptimizedOversampler(categorical_features=[6, 7, 8], random_state=0).fit_resample(X, y)[0]
    pd.testing.assert_frame_equal(auto, Xr)
    pd.testing.assert_frame_equal(by_index, Xr)


def test_mixed_data_is_deterministic_and_fill_modes_differ(mixed):
    X, y = mixed
    make = lambda seed, fill="sample": OptimizedOversampler(  # noqa: E731
        categorical_features="auto", categorical_fill=fill, random_state=seed).fit_resample(X, y)[0]
    a, b, c = make(5), make(5), make(6)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)
    predicted, sampled = make(5, "predict").iloc[len(X):], a.iloc[len(X):]
    # "flag" is a 30% coin independent of everything: sampling from the predicted probabilities keeps
    # its share, "predict" (the most probable level) mostly says False.
    assert abs(sampled["flag"].mean() - X["flag"].mean()) < 0.1
    assert predicted["flag"].mean() < sampled["flag"].mean() - 0.1
    custom = OptimizedOversampler(categorical_features="auto", categorical_model=DecisionTreeClassifier(max_depth=4),
                                  random_state=5).fit_resample(X, y)[0]
    assert set(custom["colour"]) <= {"red", "blue"}


def test_categorical_columns_without_the_option_are_a_clear_error(mixed):
    X, y = mixed
    with pytest.raises(DataError, match=r"non-numeric columns \['colour', 'grade', 'flag'\].*\n.*categorical_features"):
        OptimizedOversampler(random_state=0).fit_resample(X, y)
    with pytest.raises(DataError, match="non-numeric columns"):
        OptimizedOversampler(random_state=0).fit_resample(X.drop(columns=["grade", "flag"]).to_numpy(), y)
    with pytest.raises(ConfigError, match="does not name columns"):
        OptimizedOversampler(categorical_features=["nope"], random_state=0).fit_resample(X, y)


@pytest.mark.parametrize("case, match", [
    ("sparse", "sparse matrix"),
    ("categorical nan", "categorical column 'colour'"),
    ("all categorical", "at least one numerical column"),
    ("inf", "infinite"),
])
def test_more_bad_input_is_a_clear_error(mixed, case, match):
    X, y = mixed
    kwargs = {"categorical_features": "auto"}
    if case == "sparse":
        X, kwargs = sparse.csr_matrix(X[[f"f{i}" for i in range(6)]].to_numpy()), {}
    elif case == "categorical nan":
        X = X.assign(colour=X["colour"].where(X.index != 3, None))
    elif case == "all categorical":
        X = X[["colour", "grade", "flag"]]
    else:
        X, kwargs = X[[f"f{i}" for i in range(6)]].assign(f0=lambda f: f["f0"].where(f.index != 3, np.inf)), {}
    with pytest.raises(DataError, match=match):
        OptimizedOversampler(random_state=0, **kwargs).fit_resample(X, y)


def test_filter_takes_any_sklearn_classifier(data):
    X, y = data
    sampler = OptimizedOversampler(filter=KNeighborsClassifier(n_neighbors=5), random_state=0)
    new = sampler.fit_resample(X, y)[0].iloc[len(X):]
    assert sampler.diagnostics_["filter_shortfall"] == 0
    lo, hi = X.min(), X.max()
    knn = KNeighborsClassifier(n_neighbors=5).fit((X - lo) / (hi - lo), y)
    assert knn.predict((new - lo) / (hi - lo)).mean() > 0.99  # every kept point is one the filter labels minority
    unfiltered = OptimizedOversampler(random_state=0).fit_resample(X, y)[0].iloc[len(X):]
    assert knn.predict((unfiltered - lo) / (hi - lo)).mean() < 0.99  # so the filter did reject some
    with pytest.raises(ConfigError, match="filter"):
        OptimizedOversampler(filter="tabnet").fit_resample(X, y)
    with pytest.raises(ConfigError, match="filter"):
        OptimizedOversampler(filter=object()).fit_resample(X, y)


def test_loras_warm_start_uses_pyloras_and_is_deterministic(data):
    X, y = data
    a = OptimizedOversampler(warm_start="loras", random_state=1)
    b = OptimizedOversampler(warm_start="loras", random_state=1)
    Xa, Xb = a.fit_resample(X, y)[0], b.fit_resample(X, y)[0]
    assert Xa.to_numpy().tobytes() == Xb.to_numpy().tobytes()
    assert "loras" in generators.available()  # the same package is the `loras` baseline generator
    Xl, yl = generators.make_generator("loras", random_state=0).fit_resample(X, y)
    assert (yl == 1).sum() == (yl == 0).sum()


def test_pipeline_writes_o2_diagnostics_into_the_report(project):
    from tasks import causal, evaluate, fairness, fit, ingest, recommend, report, split, synthesize, validate
    from tasks.params import load_params

    write_params(project, generators={"methods": ["smote", "o2"]}, evaluate={"repeats": 1})
    p = load_params("params.yaml")
    for stage in (ingest, validate, split, fit, synthesize):
        stage.run(p)
    diagnostics = json.loads(Path("metrics/generator_diagnostics.json").read_text())
    assert set(diagnostics) == {"o2"}  # smote has no diagnostics_
    assert {"share_on_bound", "mean_g", "mean_nn_distance", "objective_finite"} <= set(diagnostics["o2"])
    assert 0 <= diagnostics["o2"]["share_on_bound"] <= 1 and diagnostics["o2"]["objective_finite"] is True
    assert diagnostics["o2"]["filter_shortfall"] is None  # no filter configured
    synthetic = pd.read_parquet("data/synthetic/o2.parquet")
    assert set(synthetic["sex"]) <= {"F", "M"}  # the mixed-data path filled the categorical column
    for stage in (causal, fairness, evaluate, recommend, report):
        stage.run(p)
    summary = Path("reports/summary.md").read_text()
    assert "Generator diagnostics" in summary and "| o2 |" in summary and "share_on_bound" in summary
