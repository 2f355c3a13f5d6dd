"""DAVID's rows carry the real residual spread around each mechanism, not only the decoder's conditional mean."""

from __future__ import annotations

import numpy as np
import pytest

from augmentation.errors import ConfigError, DataError
from augmentation.generators.david import DavidOversampler

FAST = {"epochs": 15, "patience": 5}


def linear_chain(rows: int = 1200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """x2 = 2·x1 + N(0, 1) and x3 = 0.5·x2 + N(0, 1); the minority is shifted along x1."""
    rng = np.random.default_rng(seed)
    y = (rng.random(rows) < 0.15).astype(int)
    x1 = rng.normal(0, 1, rows) + 1.5 * y
    x2 = 2 * x1 + rng.normal(0, 1, rows)
    x3 = 0.5 * x2 + rng.normal(0, 1, rows)
    return np.c_[x1, x2, x3], y


def spreads(rows: np.ndarray) -> np.ndarray:
    """The residual standard deviation of each mechanism, x2 | x1 and x3 | x2."""
    return np.array([np.std(rows[:, 1] - 2 * rows[:, 0]), np.std(rows[:, 2] - 0.5 * rows[:, 1])])


def new_minority_rows(residual_noise: str) -> tuple[np.ndarray, np.ndarray]:
    X, y = linear_chain()
    X_res, _ = DavidOversampler(residual_noise=residual_noise, random_state=0, **FAST).fit_resample(X, y)
    return X_res[len(X):], X[y == 1]


def test_new_rows_carry_the_real_residual_spread():
    new, real = new_minority_rows("seed")
    assert len(new) > 500
    np.testing.assert_allclose(spreads(new), spreads(real), rtol=0.25)
    assert abs(np.mean(new[:, 1] - 2 * new[:, 0])) < 0.25  # centred on the mechanism, not shifted


def test_bare_decoded_means_are_far_narrower():
    """The cause, kept as the ``"none"`` option: the decoder's MSE shrinks each feature towards its prediction."""
    new, real = new_minority_rows("none")
    assert (spreads(new) < 0.5 * spreads(real)).all()


def test_residuals_saved_loaded_and_checked(tmp_path):
    import torch

    from augmentation.generators.david_torch import FittedVAE

    X, y = linear_chain(300)
    sampler = DavidOversampler(random_state=0, **FAST)
    sampler.fit_resample(X, y)
    sampler.vae_.save(tmp_path)
    loaded = FittedVAE.load(tmp_path)
    np.testing.assert_array_equal(loaded.residuals, sampler.vae_.residuals)
    assert loaded.residuals.shape == (len(X), X.shape[1] + 2)  # features and the one-hot class
    with_pretrained = DavidOversampler(pretrained=tmp_path, random_state=0, **FAST).fit_resample(X, y)
    np.testing.assert_array_equal(with_pretrained[0], sampler.fit_resample(X, y)[0])

    tensors = torch.load(tmp_path / "david.pt", weights_only=True)
    del tensors["residuals"]  # weights saved before the residuals were
    torch.save(tensors, tmp_path / "david.pt")
    with pytest.raises(DataError, match="no reconstruction residuals") as info:
        FittedVAE.load(tmp_path)
    assert "fix:" in str(info.value)


def test_unknown_residual_noise_is_rejected():
    with pytest.raises(ConfigError, match="residual_noise") as info:
        DavidOversampler(residual_noise="gaussian", **FAST).fit_resample(*linear_chain(300))
    assert "fix:" in str(info.value)
