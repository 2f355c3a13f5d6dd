"""The decision for a continuous target: oversample the rare-target region or not, validated on the training part only.

Options: ``none`` (the learner on the real rows) and each regression generator (``random``, ``smoter``,
``gaussian_noise``, ``david``; augmentation/generators/regression.py). A generator synthesises from the rows an
option is fitted on and nothing else, so a validation row is never scored by a model whose generator saw it.

Metric (every one an error, lower is better; augmentation/synthesis/regression.py computes them): ``rare_rmse``
(RMSE on the rarest 10% of rows, rarity from the training targets' density), ``weighted_mse`` (each squared error
weighted by w ∝ 1 / f̂(y)^α: the user's weighting, ``alpha`` from near 0, plain MSE, to 1, full inverse
density), or ``rmse``, ``mse``, ``mape``, ``median_ae``.

Selection, per learner, on out-of-fold predictions of ``repeats`` × ``folds``-fold cross-validation of the
training part (folds stratified by the rare region, so each holds rare rows): the option with the lowest mean
error replaces ``none`` only when the paired bootstrap interval of its gain excludes zero (the rule and the
interval the classification decision uses, augmentation/evaluation/decision.py). Then the winner and ``none`` are
fitted on the whole training part and scored once on the hold-out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from augmentation.data import rarity as rare
from augmentation.data.io import frame_hash
from augmentation.data.table import TableSpec
from augmentation.errors import ConfigError, DataError
from augmentation.evaluation.decision import bootstrap_interval, keep_simpler, sentence
from augmentation.generators import regression as samplers
from augmentation.learners import REGRESSION_LEARNERS, make_model
from augmentation.seeding import derive_seed
from augmentation.synthesis.regression import METRICS, RARE_SHARE, score_regression, synthesize_regression

DEFAULT_GENERATORS = ("random", "smoter", "gaussian_noise", "david")


@dataclass(frozen=True)
class RegressionObjective:
    """The error a regression option is chosen by, and the weighting that says which targets matter."""

    metric: str = "rare_rmse"
    alpha: float = 0.5  # w ∝ 1 / f̂(y)^α: the rare region and weighted_mse's weights

    def __post_init__(self) -> None:
        if self.metric not in METRICS:
            raise ConfigError(f"unknown regression decision metric {self.metric!r}",
                              f"use one of {list(METRICS)} with --task regression")
        if not 0 < self.alpha <= 2:
            raise ConfigError(f"alpha must be in (0, 2], got {self.alpha}",
                              "use 0.5 (DAVID's value) or 1 (full inverse density); rmse is the unweighted loss")

    def score(self, y, pred, density: rare.TargetDensity, index: np.ndarray | None = None) -> float:
        index = np.arange(len(y)) if index is None else index
        return score_regression(np.asarray(y)[index], np.asarray(pred)[index], density)[self.metric]


def _check(learners: Mapping[str, dict], generators: Sequence[str]) -> None:
    unknown = [name for name in learners if name not in REGRESSION_LEARNERS]
    if unknown:
        raise ConfigError(f"unknown regression learner(s) {unknown}", f"use names from {list(REGRESSION_LEARNERS)}")
    unknown = [name for name in generators if name not in samplers.REGISTRY]
    if unknown:
        raise ConfigError(f"unknown regression generator(s) {unknown}", f"use names from {samplers.available()}")


def fit_predict(method: str, train: pd.DataFrame, test: pd.DataFrame, spec: TableSpec, *, learner: str,
                learner_params: dict, generator_params: Mapping[str, dict] | None, seed: int,
                cache: dict | None = None) -> np.ndarray:
    """Fit ``learner`` on ``train`` (plus ``method``'s rows synthesised from ``train`` alone), predict ``test``."""
    rows = train
    if method != "none":
        key = (method, seed, frame_hash(train))
        cache = cache if cache is not None else {}
        if key not in cache:  # the same fold's rows for every learner
            cache[key] = synthesize_regression(train, spec, method=method, params=(generator_params or {}).get(method),
                                               random_state=derive_seed(seed, "generate", method))
        rows = pd.concat([train, cache[key]], ignore_index=True)
    model = make_model(learner, numeric=spec.numeric(rows), categorical=list(spec.categorical), params=learner_params,
                       random_state=derive_seed(seed, "learner", learner))
    model.fit(rows[spec.features(rows)], rows[spec.target].to_numpy(dtype=float))
    return model.predict(test[spec.features(test)])


def rare_region(y, objective: RegressionObjective) -> tuple[rare.TargetDensity, np.ndarray]:
    """The density of the training targets and the mask of their rarest ``RARE_SHARE``."""
    density = rare.TargetDensity(y, alpha=objective.alpha)
    return density, rare.rare_mask(density.weights(y), quantile=RARE_SHARE)


def validate_options(train: pd.DataFrame, spec: TableSpec, methods: Sequence[str], *, learner: str,
                     learner_params: dict, objective: RegressionObjective, folds: int = 3, repeats: int = 2,
                     seed: int = 0, generator_params: Mapping[str, dict] | None = None, cache: dict | None = None,
                     progress: Callable[[str], None] | None = None,
                     failed: dict[str, str] | None = None) -> dict[str, np.ndarray]:
    """``{option: out-of-fold predictions, one row per repeat}`` on the training part (the same folds for all).

    An option that cannot be fitted on some fold is left out, its reason in ``failed``; ``none`` must work."""
    from sklearn.model_selection import RepeatedStratifiedKFold

    y = train[spec.target].to_numpy(dtype=float)
    _, region = rare_region(y, objective)
    if region.sum() < 2 * folds:
        raise DataError(f"{int(region.sum())} rare-target training rows (the rarest {RARE_SHARE:.0%}) are too few for "
                        f"{folds}-fold validation", f"lower --folds (at least 2), or add rows: the rarest "
                        f"{RARE_SHARE:.0%} of the training part must hold at least 2 rows per fold")
    splits = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=derive_seed(seed, "recommend"))
    splits = list(splits.split(train, region))
    out = {}
    for method in ["none", *methods]:
        pred = np.empty((repeats, len(y)))
        try:
            for k, (fit_idx, val_idx) in enumerate(splits):
                pred[k // folds, val_idx] = fit_predict(method, train.iloc[fit_idx], train.iloc[val_idx], spec,
                                                        learner=learner, learner_params=learner_params,
                                                        generator_params=generator_params,
                                                        seed=derive_seed(seed, "fold", k), cache=cache)
        except (ValueError, DataError) as exc:
            if failed is None or method == "none":
                raise
            failed[method] = f"could not be validated ({type(exc).__name__}: {exc})"
            continue
        out[method] = pred
        if progress:
            progress(method)
    return out


def choose(y, validated: Mapping[str, np.ndarray], objective: RegressionObjective, *, seed: int = 0,
           n_bootstrap: int = 400, failed: Mapping[str, str] | None = None) -> dict:
    """The shared keep-the-simpler rule with ``none`` as the baseline; every error is the mean over repeats, and the
    bootstrap resamples the rare region and the other rows each within itself, the same rows for both options."""
    y = np.asarray(y, dtype=float)
    density, region = rare_region(y, objective)

    def mean_error(pred: np.ndarray, index=None) -> float:
        return float(np.mean([objective.score(y, p, density, index) for p in pred]))

    table = {}
    for name, pred in validated.items():
        per_repeat = [score_regression(y, p, density) for p in pred]
        table[name] = {m: float(np.mean([s[m] for s in per_repeat])) for m in METRICS}

    def interval(best: str, baseline: str) -> tuple[float, float, float]:
        def gain(index=None) -> float:  # an error that went down is a gain
            return mean_error(validated[baseline], index) - mean_error(validated[best], index)
        return bootstrap_interval(gain, [np.flatnonzero(region), np.flatnonzero(~region)], n=n_bootstrap, seed=seed)

    decision = keep_simpler(table, metric=objective.metric, eligible=list(validated), baseline="none",
                            lower_is_better=True, interval=interval)
    return {**decision, "excluded": dict(failed or {}), "validated": table}


def recommend(train: pd.DataFrame, test: pd.DataFrame, spec: TableSpec, *, learners: Mapping[str, dict],
              generators: Sequence[str] = DEFAULT_GENERATORS, objective: RegressionObjective | None = None,
              folds: int = 3, repeats: int = 2, seed: int = 0, generator_params: Mapping[str, dict] | None = None,
              progress: Callable[[str], None] | None = None, n_bootstrap: int = 400) -> dict:
    """Per learner: validate ``none`` and every generator on the training part, choose, then score the choice and
    ``none`` once on the hold-out (``test`` is touched only by that last step)."""
    objective = objective or RegressionObjective()
    methods = [m for m in generators if m != "none"]
    _check(learners, methods)
    if folds < 2 or repeats < 1:
        raise ConfigError(f"validation needs at least 2 folds and 1 repeat, got {folds} and {repeats}",
                          "pass --folds 3 (and --repeats 2)")
    y = train[spec.target].to_numpy(dtype=float)
    density, _ = rare_region(y, objective)
    cache: dict = {}
    out = {}
    for learner, params in learners.items():
        on_step = (lambda name, learner=learner: progress(f"{learner} {name}")) if progress else None
        failed: dict[str, str] = {}
        validated = validate_options(train, spec, methods, learner=learner, learner_params=params,
                                     objective=objective, folds=folds, repeats=repeats, seed=seed,
                                     generator_params=generator_params, cache=cache, progress=on_step, failed=failed)
        decision = choose(y, validated, objective, seed=seed, n_bootstrap=n_bootstrap, failed=failed)
        held = {}
        for role in ("chosen", "baseline"):
            pred = fit_predict(decision[role], train, test, spec, learner=learner, learner_params=params,
                               generator_params=generator_params, seed=seed, cache=cache)
            held[role] = score_regression(test[spec.target], pred, density)
        decision["holdout"] = held
        decision["sentence"] = sentence(learner, decision)
        out[learner] = decision
    return out
