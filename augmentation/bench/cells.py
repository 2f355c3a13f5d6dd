"""One benchmark cell: a (dataset, method, learner, seed, protocol, params) combination, scored and cached.

A cell's result is a JSON file named by a content hash of the cell, the dataset's bytes and the code
that computes it, so a killed run resumes where it stopped and a changed input is recomputed. A cell
that raises is recorded with its error; the others go on.

Protocols
---------
``paper`` (the O² paper's): a stratified 70/30 split; ``copies`` resampled copies of the training part
per setting; every copy trains the learner and is scored on the real held-out 30%. The *fixed default*
(sampling_strategy "auto": classes balanced) is the number a user gets; the *grid-best* is the best
mean over the ratio grid, chosen on the held-out part as the paper does, so it is optimistic and
labelled as such.
``cv`` (the 2019 large oversampler study's): repeated stratified 5-fold × 3, fixed default only, one
resampled copy per fold.
"""

from __future__ import annotations

import hashlib
import json
import time
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

from augmentation.data import io
from augmentation.errors import ConfigError
from augmentation.evaluation.metrics import LOWER_IS_BETTER, METRICS
from augmentation.evaluation.protocol import BASELINES
from augmentation.learners import LEARNERS, estimator
from augmentation.seeding import derive_seed

PROTOCOLS = ("paper", "cv")
RATIO_GRID = (0.25, 0.5, 0.75, 1.0)  # minority / majority after resampling; 1.0 is the fixed default
THRESHOLD, AUTO = "threshold", "auto"  # methods of the benchmark beside the registry's generators
AUTO_GENERATORS = ("random", "smote")  # what `auto` may choose besides none, threshold and class_weight
CART_GRID = {"criterion": ["gini", "entropy"], "max_depth": [3, 5, 10, 20, 50, 100]}  # the paper's 3…100
INNER_FOLDS = 3  # CART's grid search and every threshold search


@dataclass(frozen=True)
class Cell:
    dataset: str
    method: str
    learner: str
    seed: int
    protocol: str
    copies: int = 3
    params: str = "{}"  # the method's parameters as sorted JSON

    def __post_init__(self) -> None:
        if self.protocol not in PROTOCOLS:
            raise ConfigError(f"unknown protocol {self.protocol!r}", f"use one of {list(PROTOCOLS)}")
        if self.learner not in LEARNERS:
            raise ConfigError(f"unknown learner {self.learner!r}", f"use one of {list(LEARNERS)}")
        if self.copies < 1:
            raise ConfigError(f"copies must be at least 1, got {self.copies}", "pass --copies 1 or more")


def code_version() -> str:
    """A hash of the code that decides a cell's numbers: this module, the generators, library versions."""
    import imblearn
    import sklearn

    import augmentation.generators as generators

    digest = hashlib.sha256(f"{sklearn.__version__}/{imblearn.__version__}/{np.__version__}".encode())
    files = [Path(__file__)] + sorted(Path(generators.__file__).parent.glob("*.py"))
    library = Path(__file__).parents[1]
    decision = [library / "evaluation" / name for name in ("metrics.py", "decision.py", "protocol.py")]
    for path in files + decision + [library / "learners.py", library / "synthesis" / "classification.py"]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def file_hash(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def cell_key(cell: Cell, data_hash: str, code: str) -> str:
    text = json.dumps({"cell": asdict(cell), "data": data_hash, "code": code}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def cached_cell(cell: Cell, data_path: str | Path, cache_dir: str | Path, *, code: str | None = None,
                retry_errors: bool = False) -> dict[str, Any]:
    """The cell's result from the cache, or computed now and cached; ``cached`` says which."""
    key = cell_key(cell, file_hash(data_path), code or code_version())
    path = Path(cache_dir) / "cells" / f"{key}.json"
    if path.exists():
        record = json.loads(path.read_text())
        if not (retry_errors and record["status"] == "error"):
            return {**record, "cached": True}
    start = time.perf_counter()
    try:
        scores = run_cell(cell, data_path)
        record = {"status": "ok", "error": "", **scores}
    except Exception as exc:  # any failure is the cell's result, the run goes on
        last = traceback.extract_tb(exc.__traceback__)[-1]
        record = {"status": "error",
                  "error": f"{type(exc).__name__}: {exc} (at {Path(last.filename).name}:{last.lineno})"}
    record = {**asdict(cell), "key": key, **record, "seconds": round(time.perf_counter() - start, 3)}
    io.write_json(record, path)
    return {**record, "cached": False}


def run_cells(cells: Iterable[Cell], data_paths: dict[str, Path], cache_dir: str | Path, *,
              progress: Callable[[dict], None] | None = None, retry_errors: bool = False) -> list[dict]:
    """Every cell in order (the local runner)."""
    code = code_version()
    out = []
    for cell in cells:
        out.append(cached_cell(cell, data_paths[cell.dataset], cache_dir, code=code, retry_errors=retry_errors))
        if progress:
            progress(out[-1])
    return out


def run_cell(cell: Cell, data_path: str | Path) -> dict[str, Any]:
    """Scores of one cell: the fixed default per metric, and for ``paper`` the grid-best per metric.

    Every resampling runs inside the folds of whatever is tuned on the training part: the generator is a step of
    the pipeline that CART's grid search (and a threshold search) refits per inner fold, so copies of one minority
    row never sit on both sides of an inner split. ``threshold`` is the plain learner with its decision threshold
    tuned for F1 on inner folds; ``auto`` runs the whole decision (augmentation/evaluation/decision.py) on the
    training part of every outer split and scores the option and threshold it chose.
    """
    from augmentation.bench.datasets import read_dataset
    from augmentation.evaluation.decision import Objective, prior_correct, tuned_threshold
    from augmentation.evaluation.metrics import score_predictions

    X, y = read_dataset(data_path)
    params = json.loads(cell.params)
    base = cell.method in (*BASELINES, THRESHOLD, AUTO)
    by_ratio: dict[float, list[dict]] = {}
    grid_errors: dict[str, str] = {}
    choices: list[str] = []
    for split_no, (train, test) in enumerate(_splits(cell, y)):
        keep = np.ptp(X[train], axis=0) > 0  # constant on the training part: no information, breaks some samplers
        Xtr, ytr, Xte, yte = X[train][:, keep], y[train], X[test][:, keep], y[test]
        n_min, n_maj = int(ytr.sum()), int(len(ytr) - ytr.sum())
        ratios = (1.0,) if base or cell.protocol == "cv" else tuple(r for r in RATIO_GRID if r > n_min / n_maj + 1e-9)
        copies = 1 if base or cell.protocol == "cv" else cell.copies
        for ratio in ratios or (1.0,):
            try:
                for copy in range(copies):
                    rs = derive_seed(cell.seed, cell.dataset, cell.method, cell.learner, cell.protocol,
                                     split_no, ratio, copy)
                    if cell.method == AUTO:
                        scores, choice = _auto(cell.learner, params, Xtr, ytr, Xte, yte, rs)
                        choices.append(choice)
                        by_ratio.setdefault(ratio, []).append(scores)
                        continue
                    # CART's grid search fits the sampler on its inner folds, which hold fewer minority rows
                    sampler = None if base else _resample(cell.method, params, ratio, rs, n_min,
                                                          inner_folds=INNER_FOLDS if cell.learner == "cart" else None)
                    model = _learner(cell.learner, "balanced" if cell.method == "class_weight" else None, rs, sampler)
                    cut = 0.5
                    if cell.method == THRESHOLD:
                        model = tuned_threshold(model, Objective(), seed=rs, folds=INNER_FOLDS)
                    model.fit(np.asarray(Xtr, dtype=float), np.asarray(ytr))
                    if cell.method == THRESHOLD:
                        cut, model = float(model.best_threshold_), model.estimator_
                    proba = model.predict_proba(Xte)[:, 1]
                    calibrated = proba
                    if not base or cell.method == "class_weight":  # trained on a rebalanced ratio
                        calibrated = prior_correct(proba, ratio / (1 + ratio), n_min / len(ytr))
                    by_ratio.setdefault(ratio, []).append(score_predictions(yte, proba, threshold=cut,
                                                                            calibrated=calibrated))
            except Exception as exc:
                if ratio == 1.0:
                    raise  # the fixed default failed: the cell failed
                # a grid ratio the method cannot reach (e.g. ADASYN generating nothing) leaves the grid only
                grid_errors[str(ratio)] = f"{type(exc).__name__}: {exc}"
                by_ratio.pop(ratio, None)
    means = {r: {m: float(np.mean([s[m] for s in runs])) for m in METRICS} for r, runs in by_ratio.items()}
    out: dict[str, Any] = {"n": int(len(y)), "n_minority": int(y.sum()), "n_features": int(X.shape[1]),
                           "grid_errors": grid_errors}
    if choices:
        out["choices"] = sorted(choices)
    out.update(means[1.0])
    if cell.protocol == "paper":
        for m in METRICS:
            pick = min if m in LOWER_IS_BETTER else max
            out[f"{m}_grid_best"] = pick(v[m] for v in means.values())
        out["best_ratio"] = max(means, key=lambda r: means[r]["roc_auc"])
    return out


def _auto(learner: str, params: dict, Xtr, ytr, Xte, yte, random_state: int) -> tuple[dict, str]:
    """The decision on the training part (generators from ``params['generators']``), scored on the test part."""
    import pandas as pd

    from augmentation.data.table import TableSpec
    from augmentation.evaluation.decision import Objective, candidates, choose, fit_predict, validate_options
    from augmentation.evaluation.metrics import score_predictions

    columns = [f"x{j}" for j in range(Xtr.shape[1])]
    train = pd.DataFrame(Xtr, columns=columns).assign(y=ytr)
    test = pd.DataFrame(Xte, columns=columns).assign(y=yte)
    spec, objective, real_rate = TableSpec(target="y"), Objective(), float(np.mean(ytr))
    options = candidates(spec, train, learner=learner, learner_params={}, objective=objective,
                         generators=params.get("generators", AUTO_GENERATORS),
                         model_factory=lambda seed, weight, sampler: _learner(learner, weight, seed, sampler))
    failed: dict[str, str] = {}
    validated = validate_options(train, spec, options, folds=3, seed=random_state, real_rate=real_rate, failed=failed)
    decision = choose(ytr, validated, objective, seed=random_state, n_bootstrap=200, failed=failed)
    chosen = next(o for o in options if o.name == decision["chosen"])
    pred, _ = fit_predict(chosen, train, test, spec, seed=random_state, real_rate=real_rate)
    return score_predictions(yte, pred.proba, threshold=pred.thresholds[0], calibrated=pred.calibrated), chosen.name


def _splits(cell: Cell, y: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    from sklearn.model_selection import RepeatedStratifiedKFold, train_test_split

    rs = derive_seed(cell.seed, cell.dataset, "split", cell.protocol)
    index = np.arange(len(y))
    if cell.protocol == "paper":
        train, test = train_test_split(index, test_size=0.3, stratify=y, random_state=rs)
        return [(train, test)]
    cv = RepeatedStratifiedKFold(n_splits=5, n_repeats=3, random_state=rs)
    return list(cv.split(index, y))


def _resample(method: str, params: dict, ratio: float, random_state: int, n_minority: int,
              inner_folds: int | None = None):
    """The sampler, its neighbour counts fitted to ``n_minority`` rows, or to the fewest an inner training fold holds
    when it runs inside ``inner_folds`` folds."""
    from augmentation import generators
    strategy = "auto" if ratio == 1.0 else ratio
    if inner_folds is not None:
        n_minority = generators.fold_minority(n_minority, inner_folds)
    return generators.make_generator(method, random_state=random_state, sampling_strategy=strategy,
                                     **generators.fit_neighbours(method, params, n_minority))


def _learner(learner: str, class_weight: str | None, random_state: int, sampler=None):
    """The benchmark's form of each learner: CART as the O² paper's grid search, logreg on standardised features;
    a ``sampler`` runs as the first step of the pipeline, so inside every fold the grid search fits."""
    from imblearn.pipeline import Pipeline
    from sklearn.model_selection import GridSearchCV, StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = estimator(learner, class_weight=class_weight, random_state=random_state)
    if learner == "logreg":
        model = make_pipeline(StandardScaler(), model)
    if sampler is not None:
        model = Pipeline([("sample", sampler), ("model", model)])
    if learner == "cart":
        prefix = "model__" if sampler is not None else ""
        return GridSearchCV(model, {prefix + k: v for k, v in CART_GRID.items()}, scoring="roc_auc",
                            cv=StratifiedKFold(INNER_FOLDS, shuffle=True, random_state=random_state))
    return model
