"""The learners every check and protocol fits: one factory, one name per learner."""

from __future__ import annotations

from collections.abc import Sequence

from augmentation.errors import ConfigError

LEARNERS = ("cart", "logreg")
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
