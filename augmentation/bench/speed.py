"""Speed and peak memory of every generator against imbalanced-learn SMOTE, measured in the same run."""

from __future__ import annotations

import functools
import logging
import time
import tracemalloc
from typing import Callable

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

SIZES = (100, 10_000, 100_000)


def speed_table(methods: list[str], *, sizes=SIZES, rows: int = 10_000, features: int = 20, minority: int = 1_000,
                seed: int = 0, progress: Callable[[str], None] | None = None) -> pd.DataFrame:
    """Seconds (best of 3 calls) and peak MiB (tracemalloc, one more call) per method and size, with ratios to SMOTE.

    Data: ``make_classification`` with ``rows`` × ``features`` and exactly ``minority`` minority rows.
    A method that fails at a size gets its error in the ``error`` column.
    """
    from sklearn.datasets import make_classification

    from augmentation import generators
    from augmentation.seeding import derive_seed

    X, y = make_classification(n_samples=rows, n_features=features, n_informative=features // 2,
                               weights=[1 - minority / rows], flip_y=0, random_state=derive_seed(seed, "speed-data"))
    n_min = int(y.sum())
    records = []
    for n_new in sizes:
        strategy = {1: n_min + n_new}
        # partial binds this size's strategy now; _measure calls the factory several times
        smote = _measure(functools.partial(generators.make_generator, "smote", random_state=seed,
                                           sampling_strategy=strategy), X, y)
        for method in ["smote", *[m for m in methods if m != "smote"]]:
            if progress:
                progress(f"{method} {n_new:,}")
            if method == "smote":
                seconds, peak, error = smote
            else:
                seconds, peak, error = _measure(functools.partial(generators.make_generator, method, random_state=seed,
                                                                  sampling_strategy=strategy), X, y)
            records.append({"method": method, "n_new": n_new, "seconds": seconds, "peak_mib": peak,
                            "time_vs_smote": seconds / smote[0], "memory_vs_smote": peak / smote[1], "error": error})
    return pd.DataFrame(records)


def _measure(make, X: np.ndarray, y: np.ndarray, repeats: int = 3) -> tuple[float, float, str]:
    try:
        seconds = float("inf")
        for _ in range(repeats):  # the best of a few runs: the least disturbed by other processes
            start = time.perf_counter()
            make().fit_resample(X, y)
            seconds = min(seconds, time.perf_counter() - start)  # timed without tracemalloc, which slows allocation
        tracemalloc.start()
        try:
            make().fit_resample(X, y)
            peak = tracemalloc.get_traced_memory()[1] / 2**20
        finally:
            tracemalloc.stop()
        return seconds, peak, ""
    except Exception as exc:  # a method that cannot do this size is reported, not fatal
        log.warning("speed: %s", exc)
        return float("nan"), float("nan"), f"{type(exc).__name__}: {exc}"
