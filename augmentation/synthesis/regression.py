"""Regression targets: the table check, synthesis on mixed-type frames, and metrics where rare targets matter.

Metrics on a hold-out (all errors, lower is better): ``mse``, ``rmse``, ``mape``, ``median_ae``,
``rare_rmse`` (RMSE on the rarest 10% of hold-out rows, rarity = the training KDE's weight w) and
``weighted_mse`` (MSE with each row weighted by w ∝ 1 / f̂(y)^α, f̂ fitted on the training targets).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from augmentation.data import rarity as rare
from augmentation.data.table import TableSpec
from augmentation.errors import DataError
from augmentation.generators import regression as samplers
from augmentation.synthesis.classification import _encode

log = logging.getLogger(__name__)

METRICS = ("mse", "rmse", "mape", "median_ae", "rare_rmse", "weighted_mse")
RARE_SHARE = 0.1


def check_regression_table(frame: pd.DataFrame, spec: TableSpec, *, source: str = "the data") -> pd.DataFrame:
    """Check a table with a continuous target; one DataError naming the first problem and its fix."""
    if frame.empty:
        raise DataError(f"{source} has no rows", "point the source at a table with data rows")
    if spec.target not in frame.columns:
        raise DataError(f"the target column {spec.target!r} is missing from {source} (columns: {list(frame.columns)})",
                        "pass --target with the name of the target column")
    if not pd.api.types.is_numeric_dtype(frame[spec.target]):
        raise DataError(f"the regression target {spec.target!r} in {source} is not numeric",
                        "use --task classification for a label column, or clean the target")
    rare.check_target(frame[spec.target], name=f"the target {spec.target!r} in {source}")
    for column in spec.numeric(frame):
        if not pd.api.types.is_numeric_dtype(frame[column]):
            raise DataError(f"column {column!r} in {source} should be numeric but holds text",
                            f"clean it, or list {column!r} under --categorical")
        values = frame[column].to_numpy(dtype=float)
        if not np.isfinite(values).all():
            raise DataError(f"column {column!r} in {source} has {int((~np.isfinite(values)).sum())} "
                            "missing or infinite values",
                            "impute or drop those rows before oversampling")
    for column in spec.categorical:
        if frame[column].isna().any():
            raise DataError(f"column {column!r} in {source} has {int(frame[column].isna().sum())} missing values",
                            "impute or drop those rows before oversampling")
    return frame


def synthesize_regression(train: pd.DataFrame, spec: TableSpec, *, method: str, params: dict[str, Any] | None = None,
                          random_state: int = 0) -> pd.DataFrame:
    """Only the new rows of regression generator ``method``: training columns and dtypes, values in range.

    Categorical columns are one-hot encoded (DAVID gives each a softmax head) and decoded by arg-max;
    integer columns, the target included, are rounded; every numeric column stays in the training range.
    """
    params = dict(params or {})
    features = spec.features(train)
    encoded, decode = _encode(train[features], spec, ordinal=False)
    if samplers.takes_onehot_groups(method) and spec.categorical:
        params.setdefault("onehot_groups", [[encoded.columns.get_loc(c) for c in encoded.columns
                                             if c.startswith(f"{column}\x1f")] for column in spec.categorical])
    sampler = samplers.make_sampler(method, random_state=random_state, **params)
    y = train[spec.target].to_numpy(dtype=float)
    X_res, y_res = sampler.fit_resample(encoded.to_numpy(dtype=float), y)
    out = decode(pd.DataFrame(X_res[len(train):], columns=encoded.columns))
    target = np.clip(y_res[len(train):], y.min(), y.max())
    if pd.api.types.is_integer_dtype(train[spec.target].dtype) or spec.target in spec.integer:
        target = np.round(target)
    out[spec.target] = target.astype(train[spec.target].dtype)
    log.info("%s generated %d rows", method, len(out))
    return out[train.columns]


def score_regression(y_true, y_pred, density: rare.TargetDensity) -> dict[str, float]:
    """The metrics in ``METRICS`` for one hold-out; ``density`` is the KDE of the TRAINING targets."""
    from sklearn.metrics import mean_absolute_percentage_error, mean_squared_error, median_absolute_error

    yt = np.asarray(y_true, dtype=float).ravel()
    yp = np.asarray(y_pred, dtype=float).ravel()
    if len(yt) != len(yp):
        raise DataError(f"y_true has {len(yt)} rows but y_pred has {len(yp)}", "score predictions for the same rows")
    if not (np.isfinite(yt).all() and np.isfinite(yp).all()):
        raise DataError("the targets or predictions hold NaN or infinite values", "check the model's predictions")
    w = density.weights(yt)
    rarest = rare.rare_mask(w, quantile=RARE_SHARE)
    mse = float(mean_squared_error(yt, yp))
    return {
        "mse": mse,
        "rmse": float(np.sqrt(mse)),
        "mape": float(mean_absolute_percentage_error(yt, yp)),
        "median_ae": float(median_absolute_error(yt, yp)),
        "rare_rmse": float(np.sqrt(np.mean((yt[rarest] - yp[rarest]) ** 2))),
        "weighted_mse": float(np.average((yt - yp) ** 2, weights=w)),
    }
