"""Oversamplers for a continuous target: new rows in the rare-target region, by name.

All share DAVID's definition of rarity (``augmentation.data.rarity``): w ∝ 1 / f̂(y)^α, and the region is
the rarest ``rare_quantile`` share of rows or the rows with relevance ≥ ``relevance_threshold``.
Each has ``fit_resample(X, y)`` returning the real rows followed by ``n_samples`` new ones.

* ``random``: copies of rare rows (random oversampling of the rare region).
* ``gaussian_noise``: rare rows plus Gaussian noise of ``perturbation`` × each column's std (target too).
* ``smoter``: SmoteR (Torgo et al. 2013), written here (the packaged versions are GPL): the rare region is
  split at the median target into a low and a high part; a new row interpolates a rare row and one of
  its ``k_neighbors`` nearest rare neighbours of the same part (standardised features), and its target
  is the two targets averaged with weights inverse to their distance from the new row.
* ``david``, ``david_no_balance``, ``david_no_bootstrap``: DAVID and its two ablations.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.neighbors import NearestNeighbors
from sklearn.utils import check_random_state

from augmentation.data import rarity as rare
from augmentation.errors import ConfigError, DataError
from augmentation.generators.david import DavidRegressionSampler, _as_float_matrix, n_new_rows
from augmentation.generators.dense import reject_sparse


class _RareRegionSampler(BaseEstimator):
    """Shared fit_resample; each subclass's ``__init__`` lists its parameters (scikit-learn's get_params reads them)."""

    def __init__(self, *, n_samples=0.5, rare_quantile=0.1, relevance_threshold=None, alpha=0.5, random_state=None):
        self.n_samples = n_samples
        self.rare_quantile = rare_quantile
        self.relevance_threshold = relevance_threshold
        self.alpha = alpha
        self.random_state = random_state

    def fit_resample(self, X, y):
        reject_sparse(type(self).__name__, X)
        X = _as_float_matrix(X)
        y = rare.check_target(y)
        if not np.isfinite(X).all():
            raise DataError(f"{type(self).__name__} got {int((~np.isfinite(X)).sum())} "
                            "missing or infinite feature values",
                            "impute or drop those rows before oversampling")
        if len(X) != len(y):
            raise DataError(f"X has {len(X)} rows but y has {len(y)}", "pass the same rows to both")
        n = n_new_rows(self.n_samples, len(X))
        weights = rare.TargetDensity(y, alpha=self.alpha).weights(y)
        region = rare.rare_mask(weights, quantile=self.rare_quantile, relevance=self.relevance_threshold)
        rng = np.random.default_rng(int(check_random_state(self.random_state).randint(2**31 - 1)))
        X_new, y_new = self._generate(X, y, region, n, rng)
        return np.vstack([X, X_new]), np.concatenate([y, y_new])

    def _generate(self, X, y, region, n, rng):
        raise NotImplementedError


class RandomRareOversampler(_RareRegionSampler):
    """Copies of rows drawn uniformly from the rare region."""

    def _generate(self, X, y, region, n, rng):
        picks = rng.choice(np.flatnonzero(region), size=n)
        return X[picks], y[picks]


class GaussianNoiseOversampler(_RareRegionSampler):
    """Rare rows plus N(0, (perturbation · std)²) noise on every column and the target, kept in range."""

    def __init__(self, *, perturbation=0.05, n_samples=0.5, rare_quantile=0.1, relevance_threshold=None, alpha=0.5,
                 random_state=None):
        super().__init__(n_samples=n_samples, rare_quantile=rare_quantile, relevance_threshold=relevance_threshold,
                         alpha=alpha, random_state=random_state)
        self.perturbation = perturbation

    def _generate(self, X, y, region, n, rng):
        if not self.perturbation > 0:
            raise ConfigError(f"perturbation must be > 0, got {self.perturbation}", "use e.g. 0.05")
        picks = rng.choice(np.flatnonzero(region), size=n)
        X_new = X[picks] + rng.standard_normal((n, X.shape[1])) * self.perturbation * X.std(axis=0)
        y_new = y[picks] + rng.standard_normal(n) * self.perturbation * y.std()
        return np.clip(X_new, X.min(axis=0), X.max(axis=0)), np.clip(y_new, y.min(), y.max())


class SmoteR(_RareRegionSampler):
    """SmoteR: interpolation between rare rows of the same tail, target by inverse-distance weighting."""

    def __init__(self, *, k_neighbors=5, n_samples=0.5, rare_quantile=0.1, relevance_threshold=None, alpha=0.5,
                 random_state=None):
        super().__init__(n_samples=n_samples, rare_quantile=rare_quantile, relevance_threshold=relevance_threshold,
                         alpha=alpha, random_state=random_state)
        self.k_neighbors = k_neighbors

    def _generate(self, X, y, region, n, rng):
        if not isinstance(self.k_neighbors, int) or self.k_neighbors < 1:
            raise ConfigError(f"k_neighbors must be a positive integer, got {self.k_neighbors!r}", "use e.g. 5")
        scale = np.where(X.std(axis=0) > 0, X.std(axis=0), 1.0)
        Xs = X / scale
        median = np.median(y)
        rows = np.flatnonzero(region)
        parts = [p for p in (rows[y[rows] < median], rows[y[rows] >= median]) if len(p)]
        counts = rng.multinomial(n, [len(p) / len(rows) for p in parts])
        X_out, y_out = [], []
        for part, count in zip(parts, counts, strict=True):
            if count == 0:
                continue
            if len(part) == 1:  # no neighbour to interpolate with: a copy
                X_out.append(np.repeat(X[part], count, axis=0))
                y_out.append(np.repeat(y[part], count))
                continue
            k = min(self.k_neighbors, len(part) - 1)
            _, nn = NearestNeighbors(n_neighbors=k + 1).fit(Xs[part]).kneighbors(Xs[part])
            seeds = rng.integers(0, len(part), size=count)
            mates = nn[seeds, rng.integers(1, k + 1, size=count)]
            a, b = part[seeds], part[mates]
            gap = rng.random((count, 1))
            new = X[a] + gap * (X[b] - X[a])
            d_a = np.linalg.norm((new - X[a]) / scale, axis=1)
            d_b = np.linalg.norm((new - X[b]) / scale, axis=1)
            total = d_a + d_b
            y_new = np.where(total > 0, (d_b * y[a] + d_a * y[b]) / np.where(total > 0, total, 1.0), (y[a] + y[b]) / 2)
            X_out.append(new)
            y_out.append(y_new)
        return np.vstack(X_out), np.concatenate(y_out)


# name -> (class, the keyword arguments the entry always passes it)
REGISTRY: dict[str, tuple[type, dict[str, Any]]] = {
    "random": (RandomRareOversampler, {}),
    "gaussian_noise": (GaussianNoiseOversampler, {}),
    "smoter": (SmoteR, {}),
    "david": (DavidRegressionSampler, {}),
    "david_no_balance": (DavidRegressionSampler, {"balanced": False}),
    "david_no_bootstrap": (DavidRegressionSampler, {"bootstrap": False}),
}


def available() -> list[str]:
    return sorted(REGISTRY)


def takes_onehot_groups(name: str) -> bool:
    return name.startswith("david")


def make_sampler(name: str, *, random_state: int, **params: Any):
    """Build the regression oversampler ``name``; unknown names or parameters give a ConfigError."""
    if name not in REGISTRY:
        raise ConfigError(f"unknown regression generator {name!r}", f"use one of {available()}")
    sampler, fixed = REGISTRY[name]
    if set(params) & set(fixed):
        raise ConfigError(f"regression generator {name!r} fixes {sorted(set(params) & set(fixed))} itself",
                          "remove that --param, or use the generator with the value you want")
    try:
        return sampler(**fixed, random_state=random_state, **params)
    except TypeError as exc:
        raise ConfigError(f"regression generator {name!r} does not take these parameters: {sorted(params)} ({exc})",
                          "check the --param names") from exc
