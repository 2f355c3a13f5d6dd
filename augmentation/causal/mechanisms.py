"""One fitted mechanism per node of a causal map: ``x = f(parents) + u`` or ``x ~ p(x | parents)``.

- Root nodes keep their empirical distribution (values resampled).
- Continuous and integer nodes with parents: a flexible regressor (scikit-learn's
  HistGradientBoostingRegressor, or ordinary least squares with ``learner="linear"``);
  the noise ``u`` is the empirical distribution of OUT-OF-FOLD residuals (no Gaussian
  assumption, and not shrunk by the regressor's in-sample fit), pooled by bins of the
  prediction so noise that grows with the mean (heteroscedastic) keeps doing so.
- Binary and categorical nodes with parents (the label included): a classifier; values are
  drawn from its predicted class probabilities.
- A monotone effect declared on an edge (``[parent, child, increasing]``) becomes a
  monotonic constraint of the boosted model on that parent.

Discrete values are integer codes 0..k-1 here (the caller encodes and decodes).

The same mechanisms score other generators (mechanism fidelity): a mechanism fitted on
real rows gives each synthetic row a residual, ``x - f(parents)`` for a regressor and
``1 - p(x | parents)`` for a classifier, to compare with the real residuals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_predict

from augmentation.causal.map import CausalMap
from augmentation.errors import ConfigError

LEARNERS = ("hgb", "linear")


@dataclass
class Mechanism:
    node: str
    parents: list[str]
    kind: str  # root | regressor | classifier
    model: Any = None
    residuals: np.ndarray = field(default_factory=lambda: np.empty(0))  # out-of-fold, regressors and roots
    values: np.ndarray = field(default_factory=lambda: np.empty(0))  # roots: the observed values
    classes: np.ndarray = field(default_factory=lambda: np.empty(0))
    bin_edges: np.ndarray = field(default_factory=lambda: np.empty(0))  # regressors: quantiles of the prediction
    residual_bins: np.ndarray = field(default_factory=lambda: np.empty(0, int))  # the bin of each residual

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """The regressor's mean, or the classifier's class probabilities (rows x classes)."""
        X = frame[self.parents].to_numpy(dtype=float)
        if self.kind == "regressor":
            return self.model.predict(X)
        if len(self.classes) == 1:
            return np.ones((len(frame), 1))
        return self.model.predict_proba(X)

    def sample(self, frame: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
        n = len(frame)
        if self.kind == "root":
            return self.values[rng.integers(0, len(self.values), n)]
        if self.kind == "regressor":
            mean = self.predict(frame)
            return mean + self._noise(mean, rng)
        proba = self.predict(frame)
        cumulative = np.cumsum(proba, axis=1)
        picks = (rng.random(n)[:, None] > cumulative[:, :-1]).sum(axis=1) if proba.shape[1] > 1 else np.zeros(n, int)
        return self.classes[picks]

    def _noise(self, mean: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Residuals drawn from rows whose prediction fell in the same bin (keeps heteroscedastic noise)."""
        if not len(self.bin_edges):
            return self.residuals[rng.integers(0, len(self.residuals), len(mean))]
        bins = np.digitize(mean, self.bin_edges)
        out = np.empty(len(mean))
        for b in np.unique(bins):
            pool = self.residuals[self.residual_bins == b]
            if not len(pool):
                pool = self.residuals
            where = bins == b
            out[where] = pool[rng.integers(0, len(pool), int(where.sum()))]
        return out

    def residual(self, frame: pd.DataFrame) -> np.ndarray:
        """``x - f(parents)`` (regressors), ``x - mean`` (roots), ``1 - p(x | parents)`` (classifiers)."""
        x = frame[self.node].to_numpy(dtype=float)
        if self.kind == "root":
            return x - float(np.mean(self.values))
        if self.kind == "regressor":
            return x - self.predict(frame)
        proba = self.predict(frame)
        index = np.searchsorted(self.classes, x)
        known = (index < len(self.classes)) & (self.classes[np.minimum(index, len(self.classes) - 1)] == x)
        p = np.where(known, proba[np.arange(len(x)), np.minimum(index, len(self.classes) - 1)], 0.0)
        return 1.0 - p


def fit_mechanisms(frame: pd.DataFrame, causal_map: CausalMap, *, learner: str = "hgb", max_iter: int = 100,
                   max_leaf_nodes: int = 15, min_samples_leaf: int = 20, noise_cv: int = 3, noise_bins: int = 10,
                   random_state: int = 0, nodes: list[str] | None = None) -> dict[str, Mechanism]:
    """Fit every node's mechanism on ``frame`` (numeric; discrete nodes as integer codes).

    ``noise_bins`` > 1 keeps the noise heteroscedastic: a regressor's residuals are pooled by
    quantile bin of the out-of-fold prediction and drawn from the new row's bin.
    """
    if learner not in LEARNERS:
        raise ConfigError(f"mechanism learner {learner!r} is unknown", f"use one of {list(LEARNERS)}")
    if noise_cv < 2:
        raise ConfigError(f"noise_cv={noise_cv} must be at least 2", "use e.g. 3 folds for the out-of-fold residuals")
    mechanisms = {}
    for node in nodes or causal_map.order():
        parents = causal_map.parents(node)
        variable = causal_map.variable(node)
        discrete = variable.discrete or node == causal_map.label
        x = frame[node].to_numpy(dtype=float)
        if not parents:
            mechanisms[node] = Mechanism(node, [], "root", values=x.copy(), residuals=x - x.mean())
            continue
        X = frame[parents].to_numpy(dtype=float)
        monotone = {m.cause: m.sign for m in causal_map.monotone if m.effect == node}
        categorical = [p for p in parents if causal_map.variable(p).type == "categorical"]
        if discrete:
            classes = np.unique(x)
            if len(classes) == 1:
                mechanisms[node] = Mechanism(node, parents, "classifier", classes=classes)
                continue
            model = _model(learner, "classifier", parents, monotone if len(classes) == 2 else {}, categorical,
                           max_iter, max_leaf_nodes, min_samples_leaf, random_state)
            model.fit(X, x)
            mechanisms[node] = Mechanism(node, parents, "classifier", model=model, classes=model.classes_)
            continue
        model = _model(learner, "regressor", parents, monotone, categorical, max_iter, max_leaf_nodes,
                       min_samples_leaf, random_state)
        folds = KFold(n_splits=min(noise_cv, len(x)), shuffle=True, random_state=random_state)
        out_of_fold = cross_val_predict(clone(model), X, x, cv=folds)
        model.fit(X, x)
        edges = (np.unique(np.quantile(out_of_fold, np.linspace(0, 1, noise_bins + 1)[1:-1])) if noise_bins > 1
                 else np.empty(0))
        mechanisms[node] = Mechanism(node, parents, "regressor", model=model, residuals=x - out_of_fold,
                                     bin_edges=edges, residual_bins=np.digitize(out_of_fold, edges))
    return mechanisms


def _model(learner, kind, parents, monotone, categorical, max_iter, max_leaf_nodes, min_samples_leaf, random_state):
    if learner == "linear":
        return LinearRegression() if kind == "regressor" else LogisticRegression(max_iter=1000)
    cst = [0 if p in categorical else monotone.get(p, 0) for p in parents]
    common = dict(max_iter=max_iter, max_leaf_nodes=max_leaf_nodes, min_samples_leaf=min_samples_leaf,
                  early_stopping=False,
                  random_state=random_state, monotonic_cst=cst if any(cst) else None,
                  categorical_features=[p in categorical for p in parents] if categorical else None)
    if kind == "regressor":
        return HistGradientBoostingRegressor(**common)
    return HistGradientBoostingClassifier(**common)


def out_of_fold_quality(frame: pd.DataFrame, causal_map: CausalMap, *, learner: str = "hgb", max_iter: int = 100,
                        max_leaf_nodes: int = 15, min_samples_leaf: int = 20, folds: int = 3, random_state: int = 0,
                        tolerance: float = 0.05) -> dict[str, dict]:
    """How well each node's mechanism predicts it from its parents on rows it was not fitted on.

    Per node with parents: the out-of-fold skill of the mechanism ``scm`` fits (R² for a regressor,
    log-loss skill ``1 - loss / loss of the base rates`` for a classifier) beside the same skill of a
    linear model on the same parents. ``trusted`` is False when the mechanism does worse than no parents
    at all (skill < 0) or more than ``tolerance`` worse than the linear fit: then it is mis-fitted, and
    rows ``scm`` draws for that node follow the model's error, not the data.
    """
    from sklearn.metrics import log_loss, r2_score

    out = {}
    for node in causal_map.order():
        parents = causal_map.parents(node)
        if not parents:
            continue
        discrete = causal_map.variable(node).discrete or node == causal_map.label
        x, X = frame[node].to_numpy(dtype=float), frame[parents].to_numpy(dtype=float)
        classes = np.unique(x)
        if discrete and len(classes) < 2:
            continue
        kind = "classifier" if discrete else "regressor"
        monotone = {m.cause: m.sign for m in causal_map.monotone if m.effect == node}
        categorical = [p for p in parents if causal_map.variable(p).type == "categorical"]
        split = (StratifiedKFold if discrete else KFold)(n_splits=folds, shuffle=True, random_state=random_state)
        skills = {}
        for name in (learner, "linear"):
            model = _model(name, kind, parents, monotone if len(classes) == 2 or not discrete else {}, categorical,
                           max_iter, max_leaf_nodes, min_samples_leaf, random_state)
            if discrete:
                proba = cross_val_predict(model, X, x, cv=split, method="predict_proba")
                prior = np.tile(np.bincount(np.searchsorted(classes, x)) / len(x), (len(x), 1))
                skills[name] = 1 - log_loss(x, proba, labels=classes) / log_loss(x, prior, labels=classes)
            else:
                skills[name] = r2_score(x, cross_val_predict(model, X, x, cv=split))
        skill, linear = float(skills[learner]), float(skills["linear"])
        out[node] = {"kind": kind, "parents": parents, "score": "log-loss skill" if discrete else "R²",
                     "skill": round(skill, 4), "linear_skill": round(linear, 4),
                     "trusted": bool(skill >= 0 and skill >= linear - tolerance)}
    return out
