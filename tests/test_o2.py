"""O² (optimized oversampling): contract, bounds, determinism, filter, cart leaves, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from imblearn.pipeline import Pipeline
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from augmentation import generators
from augmentation.errors import DataError
from augmentation.generators.o2 import OptimizedOversampler


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
    pipe = Pipeline([("o2", OptimizedOversampler(random_state=0)), ("lr", LogisticRegression())])
    assert pipe.fit(X, y).score(X, y) > 0.5


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
