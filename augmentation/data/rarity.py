"""Which targets are rare: inverse-density weights and the rare region, shared by the samplers and the metrics.

DAVID weighs row i by w_i ∝ 1 / f̂(y_i)^α, with f̂ a Gaussian kernel density estimate of the target
(Scott's bandwidth, as in the authors' code). The KDE is evaluated on a fine grid and interpolated,
so weighting a million rows costs milliseconds instead of an O(n²) pass. Weights are normalised to
mean 1. Relevance is w / max(w) in (0, 1]; the rare region is either the rarest ``quantile`` share of
rows (highest weight) or the rows whose relevance reaches a threshold.
"""

from __future__ import annotations

import numpy as np

from augmentation.errors import ConfigError, DataError

_GRID = 512
_BINS = 4096


def check_target(y, *, name: str = "the target") -> np.ndarray:
    """A finite, non-constant float vector, or a DataError naming the problem."""
    values = np.asarray(y, dtype=float).ravel()
    if values.size == 0:
        raise DataError(f"{name} has no rows", "pass at least a few rows")
    if not np.isfinite(values).all():
        raise DataError(f"{name} has {int((~np.isfinite(values)).sum())} missing or infinite values",
                        "impute or drop those rows before oversampling")
    if np.ptp(values) == 0:
        raise DataError(f"{name} is constant ({values[0]:g} on every row): no value is rarer than another",
                        "choose a target that varies, or do not oversample this data")
    return values


class TargetDensity:
    """f̂(y): a Gaussian KDE of the training targets (Scott's bandwidth), on a grid, interpolated.

    The targets are binned first (``_BINS`` bins), so fitting costs O(n + grid × bins), not O(n × grid).
    """

    def __init__(self, y, *, alpha: float = 0.5) -> None:
        if not alpha >= 0:
            raise ConfigError(f"alpha must be >= 0, got {alpha}", "use alpha=0.5 (the authors' value) or 1")
        values = check_target(y)
        self.alpha = float(alpha)
        n = values.size
        self.bandwidth = float(values.std(ddof=1) * n ** (-1 / 5)) if n > 1 else 1.0  # Scott, as scipy's gaussian_kde
        counts, edges = np.histogram(values, bins=_BINS, range=(values.min(), values.max()))
        centers = (edges[:-1] + edges[1:]) / 2
        self.grid = np.linspace(values.min() - 3 * self.bandwidth, values.max() + 3 * self.bandwidth, _GRID)
        kernel = np.exp(-0.5 * ((self.grid[:, None] - centers[None, counts > 0]) / self.bandwidth) ** 2)
        density = kernel @ counts[counts > 0] / (n * self.bandwidth * np.sqrt(2 * np.pi))
        self.density = np.maximum(density, 1e-12)
        # Normalise with the training rows, so the training weights have mean 1 and test rows share the scale.
        self._scale = float(np.mean(self._raw(values)))

    def _raw(self, y) -> np.ndarray:
        f = np.interp(np.asarray(y, dtype=float).ravel(), self.grid, self.density, left=self.density[0],
                      right=self.density[-1])
        return 1.0 / f ** self.alpha

    def weights(self, y) -> np.ndarray:
        """w ∝ 1 / f̂(y)^α, scaled so the training rows average 1."""
        return self._raw(y) / self._scale


def class_weights(labels, *, alpha: float = 0.5) -> np.ndarray:
    """For a class label the density is the class frequency: w ∝ 1 / p(class)^α, mean 1."""
    labels = np.asarray(labels).ravel()
    _, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    raw = 1.0 / (counts[inverse] / labels.size) ** alpha
    return raw / raw.mean()


def rare_mask(weights: np.ndarray, *, quantile: float | None = 0.1, relevance: float | None = None) -> np.ndarray:
    """Rows in the rare region: the ``quantile`` share with the highest weight, or relevance ≥ ``relevance``."""
    weights = np.asarray(weights, dtype=float)
    if relevance is not None:
        if not 0 < relevance <= 1:
            raise ConfigError(f"relevance_threshold must be in (0, 1], got {relevance}", "use e.g. 0.5")
        mask = weights / weights.max() >= relevance
    else:
        if quantile is None or not 0 < quantile <= 1:
            raise ConfigError(f"rare_quantile must be in (0, 1], got {quantile}", "use e.g. 0.1 for the rarest 10%")
        k = max(1, int(round(quantile * weights.size)))
        mask = np.zeros(weights.size, dtype=bool)
        mask[np.argsort(-weights, kind="stable")[:k]] = True
    if not mask.any():
        raise DataError("the rare region is empty", "lower relevance_threshold or raise rare_quantile")
    return mask
