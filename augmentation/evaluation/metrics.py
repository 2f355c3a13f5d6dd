"""Metrics for the real hold-out evaluation."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from augmentation.errors import ConfigError, DataError

METRICS = ("roc_auc", "f1", "g_mean", "pr_auc", "brier", "log_loss")
LOWER_IS_BETTER = ("brier", "log_loss")


def score_predictions(y_true, proba_positive, threshold: float = 0.5, calibrated=None) -> dict[str, float]:
    """Threshold-free (roc_auc, pr_auc) and thresholded (f1, g_mean) scores of ``proba_positive``, and the
    probability scores (brier, log_loss) of ``calibrated`` -- the probabilities moved back to the real class prior
    when the model was trained on a rebalanced ratio (default: ``proba_positive`` itself)."""
    from imblearn.metrics import geometric_mean_score
    from sklearn.metrics import average_precision_score, brier_score_loss, f1_score, log_loss, roc_auc_score

    yt = np.asarray(y_true).ravel()
    proba = np.asarray(proba_positive, dtype=float).ravel()
    if len(yt) != len(proba):
        raise DataError(f"y_true has {len(yt)} rows but proba_positive has {len(proba)}",
                        "score predictions for the same rows")
    if not np.isin(yt, [0, 1]).all():
        raise DataError("y_true must hold only 0/1 labels", "encode the minority class as 1 and the rest as 0")
    if len(np.unique(yt)) < 2:
        # roc_auc and pr_auc are undefined; sklearn would only warn and return nan.
        raise DataError("the hold-out has only one class",
                        "use a stratified split so the hold-out contains both classes")
    if not (np.isfinite(proba).all() and (proba >= 0).all() and (proba <= 1).all()):
        raise DataError("proba_positive must be finite probabilities in [0, 1]", "pass predict_proba(X)[:, 1]")
    yt = yt.astype(int)
    pred = (proba >= threshold).astype(int)
    calibrated = proba if calibrated is None else np.asarray(calibrated, dtype=float).ravel()
    return {
        "roc_auc": float(roc_auc_score(yt, proba)),
        "f1": float(f1_score(yt, pred, zero_division=0)),
        "g_mean": float(geometric_mean_score(yt, pred)),
        "pr_auc": float(average_precision_score(yt, proba)),
        "brier": float(brier_score_loss(yt, calibrated)),
        "log_loss": float(log_loss(yt, np.clip(calibrated, 1e-12, 1 - 1e-12), labels=[0, 1])),
    }


def summarize(runs: Sequence[dict[str, float]]) -> dict[str, dict[str, float]]:
    """{metric: {mean, std, min, max}} over repeats; std is the sample std (ddof=1), ddof=0 for a single run."""
    if not runs:
        raise ConfigError("summarize got no runs", "run the evaluation at least once")
    keys = list(runs[0])
    for k, run in enumerate(runs):
        if set(run) != set(keys):
            raise ConfigError(f"run {k} has metrics {sorted(run)}, run 0 has {sorted(keys)}",
                              "score every run with the same metrics")
    ddof = 1 if len(runs) > 1 else 0
    out: dict[str, dict[str, float]] = {}
    for key in keys:
        values = np.array([float(run[key]) for run in runs])
        out[key] = {
            "mean": float(values.mean()),
            "std": float(values.std(ddof=ddof)),
            "min": float(values.min()),
            "max": float(values.max()),
        }
    return out
