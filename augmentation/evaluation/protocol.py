"""The evaluation protocol: every method × learner × repeat, trained on (augmented) training rows,
scored on real hold-out rows."""

from __future__ import annotations

import logging
from typing import Callable, Mapping, Sequence

import pandas as pd

from augmentation.data.table import TableSpec
from augmentation.evaluation.decision import Objective, prior_correct, tuned_threshold
from augmentation.evaluation.metrics import score_predictions, summarize
from augmentation.learners import make_model
from augmentation.seeding import derive_seed
from augmentation.synthesis.classification import synthesize

log = logging.getLogger(__name__)

BASELINES = ("none", "class_weight")
# (method, repeat) -> synthetic minority rows; repeat 0 must give the rows the pipeline saved.
SyntheticRows = Callable[[str, int], pd.DataFrame]


def generation_seed(seed: int, method: str, repeat: int = 0) -> int:
    """Repeat 0 is the pipeline's own synthesis; later repeats draw fresh rows so the spread covers the generator."""
    return derive_seed(seed, "generate", method) if repeat == 0 else derive_seed(seed, "evaluate", method, repeat)


def fresh_synthesis(train: pd.DataFrame, spec: TableSpec, *, seed: int, params: Mapping[str, dict] | None = None,
                    sampling_strategy: float = 1.0) -> SyntheticRows:
    """Synthetic rows made on demand from the registry (no saved generators needed)."""
    def rows(method: str, repeat: int) -> pd.DataFrame:
        return synthesize(train, spec, method=method, params=(params or {}).get(method, {}),
                          sampling_strategy=sampling_strategy, random_state=generation_seed(seed, method, repeat))
    return rows


def small_holdout_warning(n_minority: int, min_rows: int) -> str | None:
    """A warning when the hold-out holds fewer than ``min_rows`` minority rows: its scores rest on a handful of
    cases (one more or one fewer caught moves recall by 1/n), so small differences between methods mean nothing."""
    if n_minority >= min_rows:
        return None
    return (f"the hold-out has only {n_minority} minority row(s), fewer than evaluate.min_minority_test_rows = "
            f"{min_rows}: every score below rests on so few cases that differences between methods may be noise; "
            "use more data or a larger test share")


def capped(rows: pd.DataFrame, target: str, max_rows: int, *, seed: int) -> pd.DataFrame:
    """A stratified sample of ``max_rows`` of ``rows`` (the class ratio kept), in their original order."""
    from sklearn.model_selection import train_test_split
    kept, _ = train_test_split(rows, train_size=max_rows, stratify=rows[target], random_state=seed)
    return kept.sort_index()


def method_names(generators: Sequence[str], *, threshold: bool) -> tuple[str, ...]:
    """Every method the evaluation scores, in report order: the baselines, ``threshold`` (with an objective), the
    generators."""
    return (*BASELINES, *(["threshold"] if threshold else []), *generators)


def evaluate_methods(train: pd.DataFrame, test: pd.DataFrame, spec: TableSpec, *, generators: Sequence[str],
                     synthetic_rows: SyntheticRows, learners: Mapping[str, dict], repeats: int = 3,
                     threshold: float = 0.5, seed: int = 0, objective: Objective | None = None,
                     max_rows: int | None = None, progress: Callable[[str], None] | None = None) -> dict:
    """``{method: {learner: {metric: {mean, std, min, max}}}}`` for the baselines and each generator
    (:func:`evaluate_method` for each of :func:`method_names`)."""
    results = {}
    for method in method_names(generators, threshold=objective is not None):
        results[method] = evaluate_method(method, train, test, spec, generators=generators,
                                          synthetic_rows=synthetic_rows, learners=learners, repeats=repeats,
                                          threshold=threshold, seed=seed, objective=objective, max_rows=max_rows)
        if progress:
            progress(method)
    return results


def evaluate_method(method: str, train: pd.DataFrame, test: pd.DataFrame, spec: TableSpec, *,
                    generators: Sequence[str], synthetic_rows: SyntheticRows | None, learners: Mapping[str, dict],
                    repeats: int = 3, threshold: float = 0.5, seed: int = 0, objective: Objective | None = None,
                    max_rows: int | None = None) -> dict:
    """``{learner: {metric: {mean, std, min, max}}}`` of one method: a baseline (``none``, ``class_weight``),
    ``threshold`` or one of ``generators`` (its rows from ``synthetic_rows``), over ``repeats`` repeats
    (:func:`evaluate_repeat` for each, then :func:`summarize_repeats`)."""
    return summarize_repeats(method, [
        evaluate_repeat(method, repeat, train, test, spec, generators=generators, synthetic_rows=synthetic_rows,
                        learners=learners, threshold=threshold, seed=seed, objective=objective, max_rows=max_rows)
        for repeat in range(repeats)])


def evaluate_repeat(method: str, repeat: int, train: pd.DataFrame, test: pd.DataFrame, spec: TableSpec, *,
                    generators: Sequence[str], synthetic_rows: SyntheticRows | None, learners: Mapping[str, dict],
                    threshold: float = 0.5, seed: int = 0, objective: Objective | None = None,
                    max_rows: int | None = None) -> dict[str, dict[str, float]]:
    """``{learner: {metric: score}}`` of one method's repeat ``repeat`` on the hold-out. Every seed is derived from
    ``seed``, the method, the learner and the repeat, so one method's numbers do not depend on which others are
    evaluated, nor on which repeats run where or in what order.

    ``max_rows``: each learner trains on a stratified sample (seeded per method and repeat) of at most that many
    of its rows (the real training rows, plus the synthetic ones for a generator); the hold-out stays whole.

    ``threshold`` needs an ``objective``: no resampling, the decision threshold tuned for the objective on
    inner folds of the training part (the strongest baseline for every thresholded metric). Brier score and log
    loss of a model trained on a rebalanced ratio are computed on its probabilities corrected to the real prior.
    """
    real_rate = float(train[spec.target].mean())
    rows = train
    if method in generators:
        rows = pd.concat([train, synthetic_rows(method, repeat)], ignore_index=True)
    if max_rows is not None and len(rows) > max_rows:
        rows = capped(rows, spec.target, max_rows, seed=derive_seed(seed, "max_rows", method, repeat))
    scores = {}
    for learner, learner_params in learners.items():
        model = make_model(learner, numeric=spec.numeric(rows), categorical=list(spec.categorical),
                           params=learner_params, class_weight="balanced" if method == "class_weight" else None,
                           random_state=derive_seed(seed, "learner", learner, repeat))
        cut = threshold
        if method == "threshold":
            model = tuned_threshold(model, objective, seed=derive_seed(seed, "threshold", learner, repeat))
        model.fit(rows[spec.features(rows)], rows[spec.target])
        if method == "threshold":
            cut, model = float(model.best_threshold_), model.estimator_
        proba = model.predict_proba(test[spec.features(test)])[:, 1]
        calibrated = proba
        if method == "class_weight" or method in generators:  # trained on a rebalanced ratio
            trained_rate = 0.5 if method == "class_weight" else float(rows[spec.target].mean())
            calibrated = prior_correct(proba, trained_rate, real_rate)
        scores[learner] = score_predictions(test[spec.target], proba, threshold=cut, calibrated=calibrated)
    return scores


def summarize_repeats(method: str, repeats: Sequence[dict[str, dict[str, float]]]) -> dict:
    """``{learner: {metric: {mean, std, min, max}}}`` over one method's repeats (in repeat order)."""
    result = {learner: summarize([scores[learner] for scores in repeats]) for learner in repeats[0]}
    log.info("%s: %s", method, ", ".join(f"{name} AUC {r['roc_auc']['mean']:.3f}" for name, r in result.items()))
    return result
