"""Fitted mechanisms on disk without pickle, so a run fits ``scm``'s model once (the fit stage) and every later
draw (synthesize, each evaluation repeat, in whichever process) reads it back.

Two files in the generator's folder: ``mechanisms.json`` (per node: its parents, its kind, the form of its model;
and the fit's key, everything the fit depended on) and ``mechanisms.npz`` (every array: the residual pools, the
roots' values, the models' coefficients and trees; see ``io.write_arrays``, the same bytes for the same fit).

A boosted mechanism comes back as :class:`SavedTrees`, which predicts with scikit-learn's own tree predictor and
loss, so its numbers are those of the fitted model to the last bit (tests/test_scm.py checks it). Both rest on
scikit-learn internals, so only the version that wrote the files reads them: the generator's record names the
versions and refuses others (augmentation.generators.store).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from sklearn._loss import loss as sklearn_losses
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.utils._openmp_helpers import _openmp_effective_n_threads

from augmentation.causal.mechanisms import Mechanism
from augmentation.data import io
from augmentation.errors import DataError

META = "mechanisms.json"
ARRAYS = "mechanisms.npz"
FORMAT = 1
_LOSSES = ("HalfSquaredError", "HalfBinomialLoss", "HalfMultinomialLoss")
_FIELDS = ("residuals", "values", "classes", "bin_edges", "residual_bins")


class SavedTrees:
    """The prediction of a fitted HistGradientBoosting model, from its trees: ``predict`` for a regressor,
    ``predict_proba`` for a classifier, computed as the model computes them (categorical columns first coded
    0..k-1 and put first, as the model's ordinal encoder does)."""

    def __init__(self, trees: list[list[TreePredictor]], baseline: np.ndarray, known_cat_bitsets: np.ndarray,
                 f_idx_map: np.ndarray, loss_name: str, categorical: np.ndarray | None = None,
                 categories: list[np.ndarray] | None = None):
        if loss_name not in _LOSSES:
            raise DataError(f"a saved mechanism names the loss {loss_name!r}", "re-fit the generator")
        self.trees, self.baseline = trees, baseline
        self.known_cat_bitsets, self.f_idx_map = known_cat_bitsets, f_idx_map
        self.loss_name = loss_name
        loss = getattr(sklearn_losses, loss_name)
        self.loss = loss(n_classes=baseline.shape[-1]) if loss_name == "HalfMultinomialLoss" else loss()
        self.categorical, self.categories = categorical, categories or []

    @classmethod
    def of(cls, model: HistGradientBoostingRegressor | HistGradientBoostingClassifier) -> SavedTrees:
        known, f_idx_map = model._bin_mapper.make_known_categories_bitsets()
        categories = (None if model.is_categorical_ is None
                      else list(model._preprocessor.named_transformers_["encoder"].categories_))
        return cls(model._predictors, model._baseline_prediction, known, f_idx_map, type(model._loss).__name__,
                   model.is_categorical_, categories)

    def _coded(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if self.categorical is None:
            return np.ascontiguousarray(X)
        codes = []
        for column, levels in zip(X[:, self.categorical].T, self.categories, strict=True):
            where = np.minimum(np.searchsorted(levels, column), len(levels) - 1)
            codes.append(np.where(levels[where] == column, where.astype(np.float64), np.nan))  # unknown: missing
        return np.hstack([np.column_stack(codes), X[:, ~self.categorical]])

    def _raw(self, X: np.ndarray) -> np.ndarray:
        X = self._coded(X)
        raw = np.zeros((X.shape[0], self.baseline.shape[-1]), dtype=self.baseline.dtype, order="F")
        raw += self.baseline
        threads = _openmp_effective_n_threads()
        for iteration in self.trees:
            for k, tree in enumerate(iteration):
                raw[:, k] += tree.predict(X, known_cat_bitsets=self.known_cat_bitsets, f_idx_map=self.f_idx_map,
                                          n_threads=threads)
        return raw

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.loss.link.inverse(self._raw(X).ravel())

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self.loss.predict_proba(self._raw(X))


def save(mechanisms: dict[str, Mechanism], directory: str | Path, *, key: str) -> None:
    """Write ``mechanisms`` (fitted with the settings ``key`` names) to ``directory``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    arrays, nodes = {}, []
    for i, mechanism in enumerate(mechanisms.values()):
        for name in _FIELDS:
            arrays[f"{i}.{name}"] = getattr(mechanism, name)
        bins = mechanism.residual_bins  # a bin number per training row: stored in the smallest integer type
        arrays[f"{i}.residual_bins"] = bins.astype(np.min_scalar_type(int(bins.max()) if len(bins) else 0))
        entry = {"node": mechanism.node, "parents": mechanism.parents, "kind": mechanism.kind, "model": None}
        model = mechanism.model
        if isinstance(model, (HistGradientBoostingRegressor, HistGradientBoostingClassifier)):
            model = SavedTrees.of(model)
        if isinstance(model, SavedTrees):
            trees = [tree for iteration in model.trees for tree in iteration]
            entry.update(model="trees", loss=model.loss_name, per_iteration=len(model.trees[0]))
            arrays.update({f"{i}.nodes": np.concatenate([t.nodes for t in trees]),
                           f"{i}.node_counts": np.array([len(t.nodes) for t in trees]),
                           f"{i}.raw_bitsets": np.concatenate([t.raw_left_cat_bitsets for t in trees]),
                           f"{i}.binned_bitsets": np.concatenate([t.binned_left_cat_bitsets for t in trees]),
                           f"{i}.bitset_counts": np.array([len(t.raw_left_cat_bitsets) for t in trees]),
                           f"{i}.baseline": model.baseline, f"{i}.known_cat_bitsets": model.known_cat_bitsets,
                           f"{i}.f_idx_map": model.f_idx_map})
            if model.categorical is not None:
                arrays.update({f"{i}.categorical": model.categorical,
                               f"{i}.categories": np.concatenate(model.categories),
                               f"{i}.category_counts": np.array([len(c) for c in model.categories])})
        elif isinstance(model, (LinearRegression, LogisticRegression)):
            entry["model"] = "linear_regression" if isinstance(model, LinearRegression) else "logistic_regression"
            arrays.update({f"{i}.coef": model.coef_, f"{i}.intercept": np.asarray(model.intercept_)})
        elif model is not None:
            raise TypeError(f"cannot save a mechanism model of type {type(model).__name__}")
        nodes.append(entry)
    io.write_arrays(arrays, directory / ARRAYS)
    io.write_json({"format": FORMAT, "key": key, "nodes": nodes}, directory / META)


def load(directory: str | Path, *, key: str) -> dict[str, Mechanism]:
    """The mechanisms saved in ``directory``; a DataError unless they were fitted exactly as ``key`` says."""
    directory = Path(directory)
    if not (directory / META).is_file() or not (directory / ARRAYS).is_file():
        raise DataError(f"no fitted scm mechanisms in {directory}", "run the fit stage first (oversample run, or dvc "
                        "repro)")
    meta = json.loads((directory / META).read_text())
    if meta.get("format") != FORMAT or meta.get("key") != key:
        raise DataError(f"the scm mechanisms in {directory} were fitted on other rows, another map or other settings",
                        "re-fit the generator (oversample run, or dvc repro)")
    with np.load(directory / ARRAYS, allow_pickle=False) as stored:
        arrays = {name: stored[name] for name in stored.files}
    mechanisms = {}
    for i, entry in enumerate(meta["nodes"]):
        fields = {name: arrays[f"{i}.{name}"] for name in _FIELDS}
        fields["residual_bins"] = fields["residual_bins"].astype(np.intp)  # as np.digitize made them
        mechanisms[entry["node"]] = Mechanism(entry["node"], entry["parents"], entry["kind"],
                                              model=_model(entry, i, arrays), **fields)
    return mechanisms


def _model(entry: dict, i: int, arrays: dict[str, np.ndarray]):
    if entry["model"] is None:
        return None
    if entry["model"] == "trees":
        nodes = np.split(arrays[f"{i}.nodes"], np.cumsum(arrays[f"{i}.node_counts"])[:-1])
        cuts = np.cumsum(arrays[f"{i}.bitset_counts"])[:-1]
        trees = [TreePredictor(*parts) for parts in zip(nodes, np.split(arrays[f"{i}.binned_bitsets"], cuts),
                                                        np.split(arrays[f"{i}.raw_bitsets"], cuts), strict=True)]
        per, categorical, categories = entry["per_iteration"], arrays.get(f"{i}.categorical"), None
        if categorical is not None:
            categories = np.split(arrays[f"{i}.categories"], np.cumsum(arrays[f"{i}.category_counts"])[:-1])
        return SavedTrees([trees[j:j + per] for j in range(0, len(trees), per)], arrays[f"{i}.baseline"],
                          arrays[f"{i}.known_cat_bitsets"], arrays[f"{i}.f_idx_map"], entry["loss"],
                          categorical, categories)
    model = LinearRegression() if entry["model"] == "linear_regression" else LogisticRegression()
    model.coef_, model.n_features_in_ = arrays[f"{i}.coef"], len(entry["parents"])
    intercept = arrays[f"{i}.intercept"]
    model.intercept_ = float(intercept) if intercept.ndim == 0 else intercept
    if isinstance(model, LogisticRegression):
        model.classes_ = arrays[f"{i}.classes"]
    return model
