"""The learners every check, protocol and benchmark fits: one factory, one name per learner.

Classification: ``cart`` (a decision tree), ``logreg`` (logistic regression, standardised features),
``hgb`` (histogram gradient boosting). Regression: ``gbm`` (histogram gradient boosting) and ``linear``
(standardised ridge regression, alpha=1).
"""

from __future__ import annotations

from collections.abc import Sequence

from augmentation.errors import ConfigError

LEARNERS = ("cart", "logreg", "hgb")
REGRESSION_LEARNERS = ("gbm", "linear")
_CLASS_WEIGHTS = (None, "balanced")
# Set by the factory's own arguments, so a params entry for them would be ambiguous.
_RESERVED = ("class_weight", "random_state")
# Trees are scale-invariant; a linear model's penalty is not.
_SCALED = {"logreg", "linear"}


def _estimator_class(learner: str):
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.tree import DecisionTreeClassifier

    return {"cart": DecisionTreeClassifier, "logreg": LogisticRegression, "hgb": HistGradientBoostingClassifier,
            "gbm": HistGradientBoostingRegressor, "linear": Ridge}[learner]


def estimator(learner: str, *, params: dict | None = None, class_weight: str | None = None, random_state: int = 0):
    """The bare scikit-learn estimator for ``learner`` with its parameters checked by name."""
    if learner not in LEARNERS + REGRESSION_LEARNERS:
        raise ConfigError(f"unknown learner {learner!r}", f"use one of {list(LEARNERS)} (regression: "
                                                          f"{list(REGRESSION_LEARNERS)})")
    if class_weight not in _CLASS_WEIGHTS:
        raise ConfigError(f"unknown class_weight {class_weight!r}", f"use one of {list(_CLASS_WEIGHTS)}")
    cls = _estimator_class(learner)
    allowed = sorted(set(cls().get_params()) - set(_RESERVED))
    params = dict(params or {})
    bad = sorted(k for k in params if k not in allowed)
    if bad:
        raise ConfigError(f"unknown parameter(s) {bad} for learner {learner!r}", f"use only {allowed}")
    if learner == "logreg":
        params = {"max_iter": 2000, **params}  # params may override the generous default
    if learner == "linear":
        model = cls(**{"alpha": 1.0, **params})
    elif learner == "gbm":
        model = cls(**params, random_state=random_state)
    else:
        model = cls(**params, class_weight=class_weight, random_state=random_state)
    return checked_params(model, f"learner {learner!r}", f"fix the parameters of {learner!r} in evaluate.learners")


def checked_params(estimator, what: str, fix: str):
    """``estimator``, its parameters' types and ranges checked now, as ``fit`` would check them later
    (scikit-learn's parameter constraints); a bad value is a ConfigError naming ``what``."""
    try:
        estimator._validate_params()
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{what}: {exc}", fix) from exc
    return estimator


def make_model(learner: str, *, numeric: Sequence[str], categorical: Sequence[str], params: dict | None = None,
               class_weight: str | None = None, random_state: int = 0):
    """A fit-ready ``Pipeline(prep -> model)``; columns not named in numeric/categorical are dropped."""
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    model = estimator(learner, params=params, class_weight=class_weight, random_state=random_state)
    if not numeric and not categorical:
        raise ConfigError("make_model got no feature columns", "pass numeric and/or categorical column names")
    transformers = []
    if numeric:
        transformers.append(("num", StandardScaler() if learner in _SCALED else "passthrough", list(numeric)))
    if categorical:
        transformers.append(("cat", OneHotEncoder(handle_unknown="ignore"), list(categorical)))
    return Pipeline([("prep", ColumnTransformer(transformers, remainder="drop")), ("model", model)])
