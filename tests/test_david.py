"""DAVID: the balanced weights, the latent bootstrap, determinism, mixed types, storage and errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from augmentation.data import io
from augmentation.data import rarity as rare
from augmentation.data.table import TableSpec
from augmentation.errors import ConfigError, DataError
from augmentation.generators.david import DavidOversampler, DavidRegressionSampler
from augmentation.synthesis.classification import synthesize
from augmentation.synthesis.regression import synthesize_regression

FAST = {"epochs": 15, "patience": 5}


def skewed(rows: int = 600, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A long right tail: large targets are rare and depend on the features."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((rows, 4))
    y = np.exp(0.9 * X[:, 0] + 0.3 * rng.standard_normal(rows))
    return X, y


def test_rare_targets_weigh_more():
    from scipy.stats import gaussian_kde

    _, y = skewed()
    w = rare.TargetDensity(y, alpha=0.5).weights(y)
    assert w.mean() == pytest.approx(1.0)
    assert w[np.argmax(y)] > 5 * np.median(w)  # the largest target sits where the density is lowest
    expected = gaussian_kde(y)(y) ** -0.5  # the authors' weights, up to normalisation
    assert np.corrcoef(w, expected)[0, 1] > 0.999
    labels = np.array([0] * 90 + [1] * 10)
    cw = rare.class_weights(labels, alpha=1.0)
    assert cw[-1] / cw[0] == pytest.approx(9.0)


def test_balanced_loss_reconstructs_rare_targets_better():
    X, y = skewed(800)
    rarest = rare.rare_mask(rare.TargetDensity(y).weights(y), quantile=0.1)

    def rare_error(balanced: bool) -> float:
        sampler = DavidRegressionSampler(balanced=balanced, epochs=60, patience=60, n_samples=10, random_state=0)
        sampler.fit_resample(X, y)
        _, t_hat = sampler.vae_.decode(sampler.vae_.latent_means)
        return float(np.mean((t_hat[rarest, 0] - y[rarest]) ** 2))

    assert rare_error(True) < rare_error(False)


def test_latent_bootstrap_concentrates_on_rare_targets():
    X, y = skewed()
    _, y_res = DavidRegressionSampler(n_samples=400, random_state=1, **FAST).fit_resample(X, y)
    _, y_plain = DavidRegressionSampler(n_samples=400, bootstrap=False, random_state=1, **FAST).fit_resample(X, y)
    top_decile = np.quantile(y, 0.9)
    assert np.mean(y_res[len(y):] > top_decile) > 0.5  # vs 0.1 among the real rows
    assert np.mean(y_res[len(y):] > top_decile) > 2 * np.mean(y_plain[len(y):] > top_decile)


def test_relevance_threshold_and_row_count():
    X, y = skewed()
    sampler = DavidRegressionSampler(n_samples=123, relevance_threshold=0.8, random_state=0, **FAST)
    X_res, y_res = sampler.fit_resample(X, y)
    assert X_res.shape == (len(X) + 123, X.shape[1]) and len(y_res) == len(y) + 123
    np.testing.assert_array_equal(X_res[:len(X)], X)  # the real rows come first, untouched
    assert y_res[len(y):].min() >= y.min() and y_res[len(y):].max() <= y.max()


@pytest.fixture(scope="module")
def mixed() -> pd.DataFrame:
    rng = np.random.default_rng(2)
    n = 500
    frame = pd.DataFrame({"age": rng.integers(18, 90, n), "dose": rng.gamma(2.0, 1.5, n),
                          "site": rng.choice(["north", "south", "west"], n, p=[0.6, 0.3, 0.1])})
    frame["cost"] = (100 * np.exp(0.02 * frame["age"] + 0.4 * (frame["site"] == "west"))).round().astype("int64")
    return frame


def test_mixed_types_regression(mixed):
    spec = TableSpec(target="cost", categorical=("site",), integer=("age",))
    new = synthesize_regression(mixed, spec, method="david", params=FAST, random_state=0)
    assert list(new.columns) == list(mixed.columns) and new.dtypes.equals(mixed.dtypes)
    assert set(new["site"]) <= {"north", "south", "west"}
    for column in ("age", "dose", "cost"):
        assert new[column].between(mixed[column].min(), mixed[column].max()).all(), column


def test_onehot_heads_give_exact_one_hot_rows():
    rng = np.random.default_rng(0)
    X = np.hstack([rng.standard_normal((300, 2)), np.eye(3)[rng.integers(0, 3, 300)]])
    y = np.exp(X[:, 0])
    sampler = DavidRegressionSampler(onehot_groups=[[2, 3, 4]], n_samples=200, random_state=0, **FAST)
    X_res, _ = sampler.fit_resample(X, y)
    onehot = X_res[300:, 2:]
    assert set(np.unique(onehot)) <= {0.0, 1.0} and (onehot.sum(axis=1) == 1).all()


def test_same_seed_same_bytes(mixed):
    spec = TableSpec(target="cost", categorical=("site",), integer=("age",))
    a = synthesize_regression(mixed, spec, method="david", params=FAST, random_state=5)
    b = synthesize_regression(mixed, spec, method="david", params=FAST, random_state=5)
    c = synthesize_regression(mixed, spec, method="david", params=FAST, random_state=6)
    assert io.frame_hash(a) == io.frame_hash(b)
    assert io.frame_hash(a) != io.frame_hash(c)


def test_rare_class_rows_for_classification():
    from augmentation.data.simulate import simulate_trauma

    cohort = simulate_trauma(rows=1500, seed=4)
    spec = TableSpec(target="mortality", categorical=("sex",), integer=("age", "iss", "resp_rate", "gcs"))
    a = synthesize(cohort, spec, method="david", params=FAST, random_state=3)
    b = synthesize(cohort, spec, method="david", params=FAST, random_state=3)
    assert io.frame_hash(a) == io.frame_hash(b)
    minority, majority = cohort[cohort.mortality == 1], cohort[cohort.mortality == 0]
    # seeds are minority rows, so the new rows look like them (injury severity is far higher there)
    assert abs(a["iss"].mean() - minority["iss"].mean()) < abs(a["iss"].mean() - majority["iss"].mean())


def test_weights_saved_as_tensors_and_json(tmp_path):
    import torch

    X, y = skewed(300)
    sampler = DavidRegressionSampler(n_samples=10, random_state=0, **FAST)
    sampler.fit_resample(X, y)
    sampler.vae_.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["david.json", "david.pt"]
    torch.load(tmp_path / "david.pt", weights_only=True)  # tensors only: loads without unpickling code
    from augmentation.generators.david_torch import FittedVAE

    loaded = FittedVAE.load(tmp_path)
    Z = np.random.default_rng(0).standard_normal((50, loaded.layout.latent))
    for got, want in zip(loaded.decode(Z), sampler.vae_.decode(Z), strict=True):
        np.testing.assert_array_equal(got, want)


def test_sparse_input_gets_a_clear_error_and_float32_is_kept():
    from scipy import sparse

    X, y = np.random.default_rng(0).standard_normal((200, 3)), np.r_[np.ones(40), np.zeros(160)]
    for sampler in (DavidOversampler(**FAST), DavidRegressionSampler(**FAST)):
        target = y if isinstance(sampler, DavidOversampler) else X[:, 0] ** 2
        with pytest.raises(DataError, match="needs a dense X") as info:
            sampler.fit_resample(sparse.csr_matrix(X), target)
        assert "toarray()" in str(info.value)
    assert DavidOversampler().__sklearn_tags__().input_tags.sparse is False
    X_res, _ = DavidOversampler(**FAST, random_state=0).fit_resample(X.astype(np.float32), y)
    assert X_res.dtype == np.float32 and len(X_res) == 320


@pytest.mark.parametrize("problem, call, message", [
    ("fewer rows than the batch", lambda: DavidRegressionSampler(batch_size=64).fit_resample(*skewed(40)),
     "fewer than its batch of 64"),
    ("constant target", lambda: DavidRegressionSampler().fit_resample(np.ones((100, 2)), np.full(100, 3.0)),
     "is constant"),
    ("NaN in the target",
     lambda: DavidRegressionSampler().fit_resample(np.ones((100, 2)), np.r_[np.nan, np.arange(99.0)]),
     "missing or infinite"),
    ("NaN in the features",
     lambda: DavidRegressionSampler().fit_resample(np.r_[[[np.nan, 1]], np.ones((99, 2))], np.arange(100.0)),
     "missing or infinite feature values"),
    ("NaN, classification",
     lambda: DavidOversampler().fit_resample(np.r_[[[np.nan, 1]], np.ones((99, 2))], np.r_[np.ones(10), np.zeros(90)]),
     "missing or infinite feature values"),
    ("too few rows, classification",
     lambda: DavidOversampler(batch_size=64).fit_resample(np.ones((50, 2)), np.r_[np.ones(5), np.zeros(45)]),
     "fewer than its batch"),
])
def test_clear_errors(problem, call, message):
    with pytest.raises(DataError, match=message) as info:
        call()
    assert "fix:" in str(info.value), problem


def test_bad_parameters():
    with pytest.raises(ConfigError, match="epochs"):
        DavidRegressionSampler(epochs=0).fit_resample(*skewed(100))
    with pytest.raises(ConfigError, match="rare_quantile"):
        DavidRegressionSampler(rare_quantile=0.0, **FAST).fit_resample(*skewed(100))
