"""The evaluation protocol for a continuous target: methods × learners × seeds, two test views.

Per seed: a fresh split; each method adds its rows to the training part only; each learner (not the
generator) is fitted and scored on real hold-out rows in two views: ``uniform`` (the whole hold-out)
and ``rare`` (half of the hold-out drawn without replacement with probability ∝ w, as the authors
draw their test set ∝ w). Rarity comes from a KDE of the training targets only.
"""

from __future__ import annotations

import logging
from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from augmentation.data import rarity as rare
from augmentation.data.table import TableSpec
from augmentation.errors import ConfigError
from augmentation.evaluation.metrics import summarize
from augmentation.learners import REGRESSION_LEARNERS, make_model
from augmentation.seeding import derive_seed
from augmentation.synthesis.regression import score_regression, synthesize_regression

log = logging.getLogger(__name__)

VIEWS = ("uniform", "rare")


def evaluate_regression(frame: pd.DataFrame, spec: TableSpec, *, methods: Sequence[str],
                        params: Mapping[str, dict] | None = None, learners: Sequence[str] = REGRESSION_LEARNERS,
                        seeds: int = 5, test_size: float = 0.4, seed: int = 0, alpha: float = 0.5,
                        progress: Callable[[str], None] | None = None) -> dict:
    """``{method: {learner: {view: {metric: {mean, std, min, max}}}}}``; ``none`` (no augmentation) comes first."""
    from sklearn.model_selection import train_test_split

    if not 0 < test_size < 1:
        raise ConfigError(f"test_size must be between 0 and 1, got {test_size}", "use e.g. 0.4")
    if seeds < 1:
        raise ConfigError(f"seeds must be at least 1, got {seeds}", "use e.g. 5")
    names = ["none", *[m for m in methods if m != "none"]]
    runs = {m: {learner: {v: [] for v in VIEWS} for learner in learners} for m in names}
    for s in range(seeds):
        train, test = train_test_split(frame, test_size=test_size, random_state=derive_seed(seed, "split", s))
        train, test = train.reset_index(drop=True), test.reset_index(drop=True)
        density = rare.TargetDensity(train[spec.target], alpha=alpha)
        w = density.weights(test[spec.target])
        rng = np.random.default_rng(derive_seed(seed, "rare_view", s))
        rare_rows = rng.choice(len(test), size=len(test) // 2, replace=False, p=w / w.sum())
        views = {"uniform": test, "rare": test.iloc[rare_rows]}
        for method in names:
            rows = train
            if method != "none":
                new = synthesize_regression(train, spec, method=method, params=(params or {}).get(method, {}),
                                            random_state=derive_seed(seed, "generate", method, s))
                rows = pd.concat([train, new], ignore_index=True)
            for learner in learners:
                model = make_model(learner, numeric=spec.numeric(rows), categorical=list(spec.categorical),
                                       random_state=derive_seed(seed, "learner", learner, s))
                model.fit(rows[spec.features(rows)], rows[spec.target].to_numpy(dtype=float))
                for view, part in views.items():
                    pred = model.predict(part[spec.features(part)])
                    runs[method][learner][view].append(score_regression(part[spec.target], pred, density))
            if progress:
                progress(method)
    return {m: {learner: {v: summarize(r) for v, r in by_view.items()} for learner, by_view in by_learner.items()}
            for m, by_learner in runs.items()}
