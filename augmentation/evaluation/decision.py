"""The decision: which option to deploy per learner, validated on the training part only, then proven once.

Options: ``none`` (the plain model at 0.5), ``threshold`` (the plain model with its decision threshold
tuned), ``class_weight`` and, per generator, ``<generator>`` and ``<generator>+threshold``. Every
option is a scikit-learn estimator whose resampling happens inside the folds that fit it: a generator
is an imbalanced-learn pipeline step (:class:`TableSampler`), so neither the threshold search nor the
validation ever scores rows that the generator saw (copies of a minority row never sit on both sides of
a split). A threshold is tuned by scikit-learn's ``TunedThresholdClassifierCV`` on inner folds.

Selection, per learner, on out-of-fold predictions of the training part (``folds``-fold):
1. an option is eligible unless its AUC is significantly below ``none``'s (the paired bootstrap interval
   of the AUC difference lies below zero): a better label decision must not buy a worse ranking;
2. the eligible option with the best metric wins;
3. it replaces the simpler baseline (``threshold`` for metrics of labels, ``none`` for metrics of
   probabilities) only when the paired bootstrap interval of its gain excludes zero.
Then the winner and the baseline are fitted on the whole training part and scored once on the hold-out.

Probabilities of an option trained on a rebalanced class ratio (a generator, class weights) are
corrected back to the real prior before log loss and Brier score (prior-shift correction): resampling
shifts every probability towards the minority and wrecks calibration without changing the ranking.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from augmentation.data.io import frame_hash
from augmentation.data.table import TableSpec
from augmentation.errors import ConfigError, DataError
from augmentation.learners import make_model
from augmentation.seeding import derive_seed

OBJECTIVES = ("f1", "balanced_accuracy", "recall_at_precision", "cost")
METRICS = ("roc_auc", "pr_auc", "log_loss", *OBJECTIVES)
LABEL_METRICS = frozenset(OBJECTIVES)  # depend on the decision threshold
LOWER_IS_BETTER = frozenset({"log_loss"})
TUNED = "+threshold"


@dataclass(frozen=True)
class Objective:
    """What a decision is worth: the metric a threshold is tuned for and an option is chosen by."""

    metric: str = "f1"
    min_precision: float = 0.5  # recall_at_precision: recall counts only where precision reaches this
    cost_false_positive: float = 1.0  # cost: expected cost per row of the two errors
    cost_false_negative: float = 1.0

    def __post_init__(self) -> None:
        if self.metric not in METRICS:
            raise ConfigError(f"unknown decision metric {self.metric!r}", f"use one of {list(METRICS)}")
        if not 0 < self.min_precision <= 1:
            raise ConfigError(f"min_precision must be in (0, 1], got {self.min_precision}",
                              "set recommend.min_precision to e.g. 0.5")
        if self.cost_false_positive < 0 or self.cost_false_negative < 0 or \
                self.cost_false_positive + self.cost_false_negative == 0:
            raise ConfigError("a cost matrix needs non-negative costs, not both zero "
                              f"(got false positive {self.cost_false_positive}, "
                              f"false negative {self.cost_false_negative})",
                              "set recommend.cost: {false_positive: 1, false_negative: 10} (the real trade-off)")

    @property
    def tuning_metric(self) -> str:
        """The threshold objective: the metric itself where it scores labels, F1 where it scores probabilities."""
        return self.metric if self.metric in LABEL_METRICS else "f1"

    def label_score(self, y_true, y_pred, metric: str | None = None) -> float:
        """Higher is better for every objective (cost is negated: minus the expected cost per row).

        From the confusion counts, with scikit-learn's definitions and ``zero_division=0`` (the same floats as
        ``f1_score``, ``balanced_accuracy_score``, ``precision_score`` and ``recall_score``): the threshold search
        and the bootstrap call this thousands of times, where scikit-learn's input validation cost ~10 ms a call.
        """
        metric = metric or self.tuning_metric
        y_true, y_pred = np.asarray(y_true).astype(int) == 1, np.asarray(y_pred).astype(int) == 1
        tp = int(np.count_nonzero(y_true & y_pred))
        fp = int(np.count_nonzero(y_pred)) - tp
        positives = int(np.count_nonzero(y_true))
        fn, tn = positives - tp, len(y_true) - positives - fp
        if metric == "f1":
            return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
        if metric == "balanced_accuracy":  # the mean recall of the classes present, as scikit-learn's
            recalls = [hits / n for hits, n in ((tp, positives), (tn, tn + fp)) if n]
            return float(np.mean(recalls))
        if metric == "recall_at_precision":
            precise = (tp / (tp + fp) if tp + fp else 0.0) >= self.min_precision
            return tp / positives if precise and positives else 0.0
        return -(fp * self.cost_false_positive + fn * self.cost_false_negative) / len(y_true)

    def scorer(self):
        from sklearn.metrics import make_scorer

        return make_scorer(lambda y, pred: self.label_score(y, pred))


def prior_correct(proba, trained_rate: float, real_rate: float) -> np.ndarray:
    """Probabilities of a model trained at minority rate ``trained_rate`` moved to the real rate (Bayes' rule)."""
    proba = np.clip(np.asarray(proba, dtype=float), 1e-12, 1 - 1e-12)
    odds = proba / (1 - proba) * (real_rate / (1 - real_rate)) / (trained_rate / (1 - trained_rate))
    return odds / (1 + odds)


def tuned_threshold(estimator, objective: Objective, *, seed: int, folds: int = 3):
    """``estimator`` with its decision threshold tuned for ``objective`` on ``folds`` inner folds of what it is
    fitted on (scikit-learn's TunedThresholdClassifierCV; a resampling step inside ``estimator`` stays inside)."""
    from sklearn.model_selection import StratifiedKFold, TunedThresholdClassifierCV

    return TunedThresholdClassifierCV(estimator, scoring=objective.scorer(),
                                      cv=StratifiedKFold(folds, shuffle=True, random_state=seed))


class _Shared(dict):
    """A cache that survives scikit-learn's ``clone`` (which deep-copies parameters): one per decision."""

    def __deepcopy__(self, memo):
        return self


class TableSampler(BaseEstimator):
    """An imbalanced-learn pipeline step that adds a generator's synthetic minority rows to a table.

    ``fit_resample(X, y)`` runs the project's synthesis (encoding, the registered generator, decoding) on the
    rows it is given and nothing else, so inside a pipeline it sees only the training fold. With a causal map,
    the synthetic rows then pass the map's constraints (``constraints``: repair, reject or off), as the
    pipeline's synthesize stage applies them, so a decision validates the rows that would be deployed.
    Identical rows and seed give identical synthetic rows, so fits are cached (``cache``) across learners and
    thresholds.
    """

    def __init__(self, *, method: str = "smote", spec: TableSpec | None = None, params: dict | None = None,
                 sampling_strategy: float = 1.0, random_state: int = 0, causal_map=None, constraints: str = "off",
                 cache=None):
        self.method = method
        self.spec = spec
        self.params = params
        self.sampling_strategy = sampling_strategy
        self.random_state = random_state
        self.causal_map = causal_map
        self.constraints = constraints
        self.cache = cache

    def fit_resample(self, X: pd.DataFrame, y):
        from augmentation.synthesis.classification import synthesize

        target = self.spec.target
        frame = X.assign(**{target: np.asarray(y)}).reset_index(drop=True)
        key = (self.method, self.random_state, self.constraints, frame_hash(frame))
        cache = self.cache if self.cache is not None else {}
        if key not in cache:
            the_map = self.causal_map.complete(frame, self.spec) if self.causal_map is not None else None
            from augmentation import generators
            params = generators.fit_neighbours(self.method, self.params or {}, int(frame[target].sum()))
            rows = synthesize(frame, self.spec, method=self.method, params=params,
                              sampling_strategy=self.sampling_strategy, random_state=self.random_state,
                              causal_map=the_map)
            if the_map is not None:
                from augmentation.causal.constraints import apply_constraints
                rows, _ = apply_constraints(rows, the_map, real=frame, mode=self.constraints, method=self.method)
            cache[key] = rows
        rows = pd.concat([frame, cache[key][frame.columns]], ignore_index=True)
        self.trained_rate_ = float(rows[target].mean())
        return rows.drop(columns=target), rows[target].to_numpy()


@dataclass
class Candidate:
    """One option's fitted estimator factory and how its probabilities relate to the real prior."""

    name: str
    build: Callable[[int], BaseEstimator]
    tuned: bool
    rebalanced: bool


def candidates(spec: TableSpec, frame: pd.DataFrame, *, learner: str, learner_params: dict,
               generators: Sequence[str], objective: Objective, generator_params: Mapping[str, dict] | None = None,
               causal_map=None, constraints: str = "off", cache: dict | None = None, inner_folds: int = 3,
               model_factory: Callable[[int, str | None], BaseEstimator] | None = None) -> list[Candidate]:
    """Every option for one learner: none, threshold, class_weight, and each generator with and without a threshold.

    ``model_factory(random_state, class_weight, sampler)`` replaces the pipeline's own model (the benchmark's
    grid-searched CART, for example); it must put ``sampler`` (None for the options without one) first inside
    whatever it tunes, so the generator runs inside the tuning's inner folds too, never before them."""
    from imblearn.pipeline import Pipeline

    cache = cache if cache is not None else _Shared()
    numeric, categorical = spec.numeric(frame), list(spec.categorical)

    def model(seed: int, class_weight=None, sampler=None):
        if model_factory is not None:
            return model_factory(derive_seed(seed, "learner", learner), class_weight, sampler)
        plain = make_model(learner, numeric=numeric, categorical=categorical, params=learner_params,
                           class_weight=class_weight, random_state=derive_seed(seed, "learner", learner))
        return plain if sampler is None else Pipeline([("sample", sampler), ("model", plain)])

    def sampled(method: str):
        def build(seed: int):
            sampler = TableSampler(method=method, spec=spec, params=(generator_params or {}).get(method, {}),
                                   random_state=derive_seed(seed, "generate", method), causal_map=causal_map,
                                   constraints=constraints, cache=cache)
            return model(seed, sampler=sampler)
        return build

    def tuned(build):
        def tuned_build(seed: int):
            return tuned_threshold(build(seed), objective, seed=derive_seed(seed, "threshold"), folds=inner_folds)
        return tuned_build

    out = [Candidate("none", model, False, False), Candidate("threshold", tuned(model), True, False),
           Candidate("class_weight", lambda seed: model(seed, "balanced"), False, True)]
    for method in generators:
        out += [Candidate(method, sampled(method), False, True),
                Candidate(method + TUNED, tuned(sampled(method)), True, True)]
    return out


def _proba(estimator, X) -> np.ndarray:
    inner = estimator.estimator_ if hasattr(estimator, "best_threshold_") else estimator
    return inner.predict_proba(X)[:, 1]


def _trained_rate(estimator, candidate: Candidate, y_train) -> float:
    """The minority rate the model was fitted at: 0.5 under balanced class weights, the sampler's output rate."""
    if candidate.name == "class_weight":
        return 0.5
    inner = estimator.estimator_ if hasattr(estimator, "best_threshold_") else estimator
    inner = getattr(inner, "best_estimator_", inner)  # a grid search with the sampler inside
    steps = getattr(inner, "named_steps", {})
    return steps["sample"].trained_rate_ if "sample" in steps else float(np.mean(y_train))


@dataclass
class Predictions:
    """Out-of-sample probabilities (as the model gives them and prior-corrected) and labels of one option."""

    proba: np.ndarray
    calibrated: np.ndarray
    labels: np.ndarray
    thresholds: list[float]


def fit_predict(candidate: Candidate, train: pd.DataFrame, test: pd.DataFrame, spec: TableSpec, *, seed: int,
                real_rate: float) -> tuple[Predictions, BaseEstimator]:
    """Fit an option on ``train`` (its resampling and threshold search inside), predict ``test``."""
    X, y = train[spec.features(train)], train[spec.target].to_numpy()
    estimator = candidate.build(seed).fit(X, y)
    proba = _proba(estimator, test[spec.features(test)])
    threshold = float(estimator.best_threshold_) if candidate.tuned else 0.5
    calibrated = (prior_correct(proba, _trained_rate(estimator, candidate, y), real_rate) if candidate.rebalanced
                  else proba)
    return Predictions(proba, calibrated, (proba >= threshold).astype(int), [threshold]), estimator


def scores(y, pred: Predictions, objective: Objective, index: np.ndarray | None = None,
           metrics: Sequence[str] = METRICS) -> dict[str, float]:
    """The decision metrics on rows ``index`` (all rows by default)."""
    from sklearn.metrics import average_precision_score, log_loss, roc_auc_score

    index = np.arange(len(y)) if index is None else index
    yt = np.asarray(y)[index]
    out = {}
    for metric in metrics:
        if metric == "roc_auc":
            out[metric] = float(roc_auc_score(yt, pred.proba[index]))
        elif metric == "pr_auc":
            out[metric] = float(average_precision_score(yt, pred.proba[index]))
        elif metric == "log_loss":
            out[metric] = float(log_loss(yt, np.clip(pred.calibrated[index], 1e-12, 1 - 1e-12), labels=[0, 1]))
        else:
            out[metric] = objective.label_score(yt, pred.labels[index], metric)
    return out


def bootstrap_interval(gain: Callable[[np.ndarray | None], float], groups: Sequence[np.ndarray], *, n: int = 400,
                       seed: int = 0) -> tuple[float, float, float]:
    """``gain(None)`` (on all rows) and its 95% percentile interval over ``n`` resamples of the rows (``gain(index)``),
    each group of row numbers resampled within itself, so every resample keeps each group's size (both classes; the
    rare region of a continuous target). Both options are scored on the same resampled rows: a paired interval."""
    rng = np.random.default_rng(seed)
    gains = [gain(np.concatenate([rng.choice(g, len(g)) for g in groups])) for _ in range(n)]
    low, high = np.percentile(gains, [2.5, 97.5])
    return gain(None), float(low), float(high)


def paired_bootstrap(y, a: Predictions, b: Predictions, metric: str, objective: Objective, *, n: int = 400,
                     seed: int = 0) -> tuple[float, float, float]:
    """The gain of ``a`` over ``b`` in ``metric`` (sign: better is positive) and its 95% interval, rows resampled
    in pairs, stratified by class so every resample has both classes."""
    y = np.asarray(y)
    sign = -1.0 if metric in LOWER_IS_BETTER else 1.0

    def gain(index=None) -> float:
        return sign * (_score(y, a, metric, objective, index) - _score(y, b, metric, objective, index))

    return bootstrap_interval(gain, [np.flatnonzero(y == 1), np.flatnonzero(y == 0)], n=n, seed=seed)


def _score(y, pred: Predictions, metric: str, objective: Objective, index: np.ndarray | None) -> float:
    """``metric`` on rows ``index`` of one bootstrap resample. The AUC of a resample comes from ranks (the
    Mann-Whitney statistic, which equals the ROC curve's area): ``roc_auc_score``'s input checks (and scipy's
    ``rankdata``) cost milliseconds a call, and the bootstrap makes thousands. The point estimate (``index``
    None) is scikit-learn's own."""
    if metric != "roc_auc" or index is None:
        return scores(y, pred, objective, index, [metric])[metric]
    _, where, ties = np.unique(pred.proba[index], return_inverse=True, return_counts=True)
    ranks = (np.cumsum(ties) - (ties - 1) / 2)[where]  # 1-based, ties at their mean rank (scipy's rankdata)
    positive = y[index] == 1
    n_pos = int(positive.sum())
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * (len(index) - n_pos)))


def outer_folds(train: pd.DataFrame, spec: TableSpec, *, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The validation's outer folds, ``(fit rows, validation rows)``: the same for every option and learner."""
    from sklearn.model_selection import StratifiedKFold

    y = train[spec.target].to_numpy()
    n_minority = int(y.sum())
    if n_minority < 2 * folds:
        raise DataError(f"{n_minority} minority training rows are too few for {folds}-fold validation with "
                        "inner folds", "lower recommend.folds (at least 2), or add minority rows")
    return list(StratifiedKFold(folds, shuffle=True, random_state=derive_seed(seed, "recommend")).split(train, y))


def validate_fold(train: pd.DataFrame, spec: TableSpec, options: Sequence[Candidate], fold: int, *, folds: int,
                  seed: int, real_rate: float, keep_going: bool = True,
                  progress: Callable[[str], None] | None = None) -> dict[str, Predictions | str]:
    """Every option fitted on outer fold ``fold``'s fit rows and predicting its validation rows: ``{option:
    Predictions}`` on those rows, or, with ``keep_going``, the reason an option could not be fitted there (e.g. a
    tree that predicts one constant, so no threshold can be tuned); ``none`` must always work. A fold's seeds come
    from ``seed`` and the fold alone, so the folds can run anywhere, in any order (:func:`join_folds`)."""
    fit_idx, val_idx = outer_folds(train, spec, folds=folds, seed=seed)[fold]
    out: dict[str, Predictions | str] = {}
    for option in options:
        try:
            out[option.name], _ = fit_predict(option, train.iloc[fit_idx], train.iloc[val_idx], spec,
                                              seed=derive_seed(seed, "fold", fold), real_rate=real_rate)
        except (ValueError, DataError) as exc:
            if not keep_going or option.name == "none":
                raise
            out[option.name] = f"could not be validated ({type(exc).__name__}: {exc})"
            continue
        if progress:
            progress(f"{option.name} (fold {fold + 1}/{folds})")
    return out


def join_folds(train: pd.DataFrame, spec: TableSpec, parts: Sequence[Mapping[str, Predictions | str]], *, seed: int,
               failed: dict[str, str] | None = None) -> dict[str, Predictions]:
    """The out-of-fold predictions of every option from its folds' :func:`validate_fold` (``parts``, in fold
    order); an option that failed on some fold is left out, with its first fold's reason in ``failed``."""
    splits = outer_folds(train, spec, folds=len(parts), seed=seed)
    n = len(train)
    out = {}
    for name in parts[0]:
        reasons = [part[name] for part in parts if isinstance(part[name], str)]
        if reasons:
            if failed is not None:
                failed[name] = reasons[0]
            continue
        proba, calibrated, labels = np.empty(n), np.empty(n), np.empty(n, dtype=int)
        thresholds = []
        for (_, val_idx), part in zip(splits, parts, strict=True):
            pred = part[name]
            proba[val_idx], calibrated[val_idx], labels[val_idx] = pred.proba, pred.calibrated, pred.labels
            thresholds += pred.thresholds
        out[name] = Predictions(proba, calibrated, labels, thresholds)
    return out


def validate_options(train: pd.DataFrame, spec: TableSpec, options: Sequence[Candidate], *, folds: int, seed: int,
                     real_rate: float, progress: Callable[[str], None] | None = None,
                     failed: dict[str, str] | None = None) -> dict[str, Predictions]:
    """Out-of-fold predictions of every option on the training part (the same folds for all): :func:`validate_fold`
    for each fold, then :func:`join_folds`.

    With a ``failed`` dict, an option that cannot be fitted on some fold is left out and its reason recorded there;
    without one, its error is raised; ``none`` must always work."""
    parts = [validate_fold(train, spec, options, k, folds=folds, seed=seed, real_rate=real_rate,
                           keep_going=failed is not None, progress=progress) for k in range(folds)]
    return join_folds(train, spec, parts, seed=seed, failed=failed)


def choose(y, validated: Mapping[str, Predictions], objective: Objective, *, seed: int = 0,
           n_bootstrap: int = 400, failed: Mapping[str, str] | None = None) -> dict:
    """The selection rule of the module docstring, with every option's validated scores and intervals;
    options that ``failed`` validation are listed among the excluded ones with their reason."""
    metric = objective.metric
    table = {name: scores(y, pred, objective) for name, pred in validated.items()}
    excluded = dict(failed or {})
    for name, pred in validated.items():
        if name != "none":
            gain, low, high = paired_bootstrap(y, pred, validated["none"], "roc_auc", objective, n=n_bootstrap,
                                               seed=seed)
            if high < 0:
                excluded[name] = f"AUC {gain:+.4f} vs none (95% interval {low:+.4f} to {high:+.4f})"
    eligible = [n for n in validated if n not in excluded]
    # a threshold that cannot be tuned (a constant predictor) leaves the plain model as the baseline
    baseline = "threshold" if metric in LABEL_METRICS and "threshold" in validated else "none"
    decision = keep_simpler(table, metric=metric, eligible=eligible, baseline=baseline,
                            lower_is_better=metric in LOWER_IS_BETTER,
                            interval=lambda best, base: paired_bootstrap(y, validated[best], validated[base], metric,
                                                                         objective, n=n_bootstrap, seed=seed))
    return {**decision, "excluded": excluded, "validated": table,
            "thresholds": {n: [round(t, 4) for t in p.thresholds] for n, p in validated.items()}}


def keep_simpler(table: Mapping[str, Mapping[str, float]], *, metric: str, eligible: Sequence[str], baseline: str,
                 lower_is_better: bool, interval: Callable[[str, str], tuple[float, float, float]]) -> dict:
    """The rule every decision shares: the eligible option with the best validated ``metric`` replaces the simpler
    ``baseline`` only when ``interval(best, baseline)`` (its gain and 95% interval) excludes zero; plain ``none`` is
    simpler still and is kept whenever it is the best."""
    sign = -1.0 if lower_is_better else 1.0
    best = max(eligible, key=lambda n: sign * table[n][metric])
    gain, low, high = interval(best, baseline) if best != baseline else (0.0, 0.0, 0.0)
    chosen = best if best == "none" or low > 0 else baseline
    return {"metric": metric, "lower_is_better": lower_is_better, "baseline": baseline, "best": best,
            "chosen": chosen, "gain_over_baseline": {"estimate": gain, "ci95": [low, high]}}


def sentence(learner: str, decision: dict) -> str:
    """The decision in words a clinician or a credit officer can act on."""
    chosen, metric = decision["chosen"], decision["metric"]
    held = decision.get("holdout", {})
    threshold = held.get("threshold")
    at = f" at threshold {threshold:.2f}" if threshold is not None and chosen.endswith("threshold") else ""
    if chosen == "none":
        what = "no oversampling; keep the model as it is"
    elif chosen == "threshold":
        what = f"no oversampling; keep the model and move its decision threshold to {threshold:.2f}" \
            if threshold is not None else "no oversampling; keep the model and move its decision threshold"
    elif chosen == "class_weight":
        what = "no synthetic rows; weight the classes (class_weight=balanced)"
    else:
        what = f"oversample with {chosen.removesuffix(TUNED)}{at}"
    gain = decision["gain_over_baseline"]
    low, high = (_number(v, "+") for v in gain["ci95"])
    # a gain is an improvement: for an error (log loss, RMSE) the amount it went down
    named = f"{metric} (lower is better)" if decision["lower_is_better"] else metric
    if chosen == decision["baseline"] and decision["best"] != chosen:
        why = (f"the best other option, {decision['best']}, gained {_number(gain['estimate'], '+')} {named} over "
               f"{decision['baseline']} in validation, an interval ({low} to {high}) that includes zero")
    elif chosen != decision["baseline"]:
        why = (f"validated {named} gain over {decision['baseline']} {_number(gain['estimate'], '+')} "
               f"(95% interval {low} to {high})")
    else:
        why = f"no option beat it on validated {metric}"
    line = f"{learner}: {what} ({why})"
    if held:
        line += (f"; on the real hold-out {metric} {_number(held['chosen'][metric])} vs "
                 f"{_number(held['baseline'][metric])} for {decision['baseline']}")
    return line + "."


def _number(value: float, sign: str = "") -> str:
    """Three decimals for scores in [0, 1]; four significant digits for errors on the target's own scale; two for
    a difference too small for three decimals (+0.0002, not +0.0002042)."""
    if value == 0 or 0.001 <= abs(value) < 10:
        return f"{value:{sign}.3f}"
    return f"{value:{sign}.2g}" if abs(value) < 0.001 else f"{value:{sign}.4g}"


BASELINE_GROUP = "baselines"


def option_groups(generators: Sequence[str]) -> list[str]:
    """The options validated together: the baselines (none, threshold, class_weight), then each generator (with
    and without a threshold: they share its synthetic rows, fold by fold, for every learner)."""
    return [BASELINE_GROUP, *generators]


def validate_group_fold(group: str, fold: int, train: pd.DataFrame, spec: TableSpec, *, learners: Mapping[str, dict],
                        objective: Objective, folds: int = 3, seed: int = 0,
                        generator_params: Mapping[str, dict] | None = None, causal_map=None, constraints: str = "off",
                        progress: Callable[[str], None] | None = None) -> dict[str, dict[str, Predictions | str]]:
    """One group's options on one outer fold, per learner (:func:`validate_fold`): ``{learner: {option:
    Predictions or the reason it failed}}``. Every seed comes from ``seed``, the fold, the learner and the option,
    so a group's fold does not depend on which other groups or folds are validated, or where; the learners share
    the group's synthetic rows of the fold (one cache)."""
    real_rate = float(train[spec.target].mean())
    cache = _Shared()
    out = {}
    for learner, params in learners.items():
        options = candidates(spec, train, learner=learner, learner_params=params,
                             generators=[] if group == BASELINE_GROUP else [group], objective=objective,
                             generator_params=generator_params, causal_map=causal_map, constraints=constraints,
                             cache=cache)
        if group != BASELINE_GROUP:
            options = [o for o in options if o.name in (group, group + TUNED)]
        on_step = (lambda name, learner=learner: progress(f"{learner} {name}")) if progress else None
        out[learner] = validate_fold(train, spec, options, fold, folds=folds, seed=seed, real_rate=real_rate,
                                     progress=on_step)
    return out


def join_group(train: pd.DataFrame, spec: TableSpec, parts: Sequence[Mapping[str, Mapping]], *, seed: int = 0
               ) -> dict:
    """One group's out-of-fold predictions from its folds (:func:`validate_group_fold`, in fold order), per learner:
    ``{learner: {"validated": {option: Predictions}, "failed": {option: reason}}}``."""
    out = {}
    for learner in parts[0]:
        failed: dict[str, str] = {}
        validated = join_folds(train, spec, [part[learner] for part in parts], seed=seed, failed=failed)
        out[learner] = {"validated": validated, "failed": failed}
    return out


def validate_group(group: str, train: pd.DataFrame, spec: TableSpec, *, folds: int = 3, seed: int = 0,
                   **options) -> dict:
    """One group's out-of-fold predictions on the training part, per learner: each fold, then :func:`join_group`."""
    return join_group(train, spec, [validate_group_fold(group, k, train, spec, folds=folds, seed=seed, **options)
                                    for k in range(folds)], seed=seed)


def decide(train: pd.DataFrame, test: pd.DataFrame, spec: TableSpec, validated_groups: Mapping[str, dict], *,
           learners: Mapping[str, dict], generators: Sequence[str], objective: Objective, seed: int = 0,
           generator_params: Mapping[str, dict] | None = None, causal_map=None, constraints: str = "off",
           n_bootstrap: int = 400) -> dict:
    """Per learner: choose among the validated options (:func:`validate_group` for each of :func:`option_groups`),
    then score the choice and its baseline once on the hold-out. ``test`` is touched only by that last step."""
    real_rate = float(train[spec.target].mean())
    cache = _Shared()
    out = {}
    for learner, params in learners.items():
        options = candidates(spec, train, learner=learner, learner_params=params, generators=generators,
                             objective=objective, generator_params=generator_params, causal_map=causal_map,
                             constraints=constraints, cache=cache)
        merged: dict[str, Predictions] = {}
        failed: dict[str, str] = {}
        for group in option_groups(generators):
            merged.update(validated_groups[group][learner]["validated"])
            failed.update(validated_groups[group][learner]["failed"])
        validated = {o.name: merged[o.name] for o in options if o.name in merged}  # the options' own order
        decision = choose(train[spec.target].to_numpy(), validated, objective, seed=seed, n_bootstrap=n_bootstrap,
                          failed=failed)
        by_name = {o.name: o for o in options}
        held = {}
        for role in ("chosen", "baseline"):
            pred, _ = fit_predict(by_name[decision[role]], train, test, spec, seed=seed, real_rate=real_rate)
            held[role] = scores(test[spec.target].to_numpy(), pred, objective)
            if role == "chosen":
                held["threshold"] = pred.thresholds[0]
                held["reliability"] = reliability(test[spec.target].to_numpy(), pred.calibrated)
        decision["holdout"] = held
        decision["sentence"] = sentence(learner, decision)
        out[learner] = decision
    return out


def recommend(train: pd.DataFrame, test: pd.DataFrame, spec: TableSpec, *, learners: Mapping[str, dict],
              generators: Sequence[str], objective: Objective, folds: int = 3, seed: int = 0,
              generator_params: Mapping[str, dict] | None = None, causal_map=None, constraints: str = "off",
              progress: Callable[[str], None] | None = None, n_bootstrap: int = 400) -> dict:
    """Per learner: validate every option on the training part, choose, then score the choice and its baseline once
    on the hold-out (:func:`validate_group` for each group, one after another, then :func:`decide`)."""
    shared = dict(generator_params=generator_params, causal_map=causal_map, constraints=constraints)
    groups = {group: validate_group(group, train, spec, learners=learners, objective=objective, folds=folds,
                                    seed=seed, progress=progress, **shared)
              for group in option_groups(generators)}
    return decide(train, test, spec, groups, learners=learners, generators=generators, objective=objective,
                  seed=seed, n_bootstrap=n_bootstrap, **shared)


def reliability(y, proba, bins: int = 10) -> dict:
    """A reliability diagram's points: per probability bin, the mean prediction, the observed rate and the count."""
    y, proba = np.asarray(y, dtype=float), np.asarray(proba, dtype=float)
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(proba, edges[1:-1]), 0, bins - 1)
    points = [{"mean_predicted": float(proba[which == b].mean()), "observed": float(y[which == b].mean()),
               "n": int((which == b).sum())} for b in range(bins) if (which == b).any()]
    return {"points": points, "base_rate": float(y.mean()), "mean_predicted": float(proba.mean())}

