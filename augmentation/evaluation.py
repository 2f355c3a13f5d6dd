"""Models and metrics for the real hold-out evaluation."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from augmentation.errors import ConfigError, DataError

LEARNERS = ("cart", "logreg")
METRICS = ("roc_auc", "f1", "g_mean", "pr_auc", "brier")
_CLASS_WEIGHTS = (None, "balanced")
# Set by make_model's own arguments, so a params entry for them would be ambiguous.
_RESERVED = ("class_weight", "random_state")


def _estimator(learner: str):
    from sklearn.linear_model import LogisticRegression
    from sklearn.tree import DecisionTreeClassifier

    return {"cart": DecisionTreeClassifier, "logreg": LogisticRegression}[learner]


def make_model(
    learner: str,
    *,
    numeric: Sequence[str],
    categorical: Sequence[str],
    params: dict,
    class_weight: str | None,
    random_state: int,
):
    """A fit-ready ``Pipeline(prep -> model)``; columns not named in numeric/categorical are dropped."""
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    if learner not in LEARNERS:
        raise ConfigError(f"unknown learner {learner!r}", f"use one of {list(LEARNERS)}")
    if class_weight not in _CLASS_WEIGHTS:
        raise ConfigError(f"unknown class_weight {class_weight!r}", f"use one of {list(_CLASS_WEIGHTS)}")
    estimator = _estimator(learner)
    allowed = sorted(set(estimator().get_params()) - set(_RESERVED))
    params = dict(params or {})
    bad = sorted(k for k in params if k not in allowed)
    if bad:
        raise ConfigError(f"unknown parameter(s) {bad} for learner {learner!r}", f"use only {allowed}")
    if not numeric and not categorical:
        raise ConfigError("make_model got no feature columns", "pass numeric and/or categorical column names")

    transformers = []
    if numeric:
        # Trees are scale-invariant; logistic regression's penalty is not.
        transformers.append(("num", StandardScaler() if learner == "logreg" else "passthrough", list(numeric)))
    if categorical:
        transformers.append(("cat", OneHotEncoder(handle_unknown="ignore"), list(categorical)))
    prep = ColumnTransformer(transformers, remainder="drop")

    if learner == "cart":
        model = estimator(**params, class_weight=class_weight, random_state=random_state)
    else:
        # params may override the generous max_iter default.
        model = estimator(**{"max_iter": 2000, **params}, class_weight=class_weight, random_state=random_state)
    return Pipeline([("prep", prep), ("model", model)])


def score_predictions(y_true, proba_positive, threshold: float = 0.5) -> dict[str, float]:
    """Threshold-free (roc_auc, pr_auc, brier) and thresholded (f1, g_mean) scores, as floats."""
    from imblearn.metrics import geometric_mean_score
    from sklearn.metrics import average_precision_score, brier_score_loss, f1_score, roc_auc_score

    yt = np.asarray(y_true).ravel()
    proba = np.asarray(proba_positive, dtype=float).ravel()
    if len(yt) != len(proba):
        raise DataError(f"y_true has {len(yt)} rows but proba_positive has {len(proba)}", "score predictions for the same rows")
    if not np.isin(yt, [0, 1]).all():
        raise DataError("y_true must hold only 0/1 labels", "encode the minority class as 1 and the rest as 0")
    if len(np.unique(yt)) < 2:
        # roc_auc and pr_auc are undefined; sklearn would only warn and return nan.
        raise DataError("the hold-out has only one class", "use a stratified split so the hold-out contains both classes")
    if not (np.isfinite(proba).all() and (proba >= 0).all() and (proba <= 1).all()):
        raise DataError("proba_positive must be finite probabilities in [0, 1]", "pass predict_proba(X)[:, 1]")
    yt = yt.astype(int)
    pred = (proba >= threshold).astype(int)
    return {
        "roc_auc": float(roc_auc_score(yt, proba)),
        "f1": float(f1_score(yt, pred, zero_division=0)),
        "g_mean": float(geometric_mean_score(yt, pred)),
        "pr_auc": float(average_precision_score(yt, proba)),
        "brier": float(brier_score_loss(yt, proba)),
    }


def summarize(runs: Sequence[dict[str, float]]) -> dict[str, dict[str, float]]:
    """{metric: {mean, std, min, max}} over repeats; std is the sample std (ddof=1), ddof=0 for a single run."""
    if not runs:
        raise ConfigError("summarize got no runs", "run the evaluation at least once")
    keys = list(runs[0])
    for k, run in enumerate(runs):
        if set(run) != set(keys):
            raise ConfigError(f"run {k} has metrics {sorted(run)}, run 0 has {sorted(keys)}", "score every run with the same metrics")
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
