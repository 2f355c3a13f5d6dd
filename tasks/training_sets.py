"""The training sets the checks compare: the two baselines beside each generator's augmented rows."""

from __future__ import annotations

import pandas as pd

from augmentation.evaluation.protocol import BASELINES
from augmentation.synthesis.classification import PROVENANCE
from tasks import paths
from tasks.params import Params


def methods(p: Params) -> list[str]:
    return [*BASELINES, *p.generators.methods]


def rows(p: Params, method: str) -> tuple[pd.DataFrame, str | None]:
    """(training rows, class weight) of one method, reading the augmented set the pipeline wrote for a generator."""
    if method in BASELINES:
        return pd.read_parquet(paths.TRAIN), "balanced" if method == "class_weight" else None
    return pd.read_parquet(paths.augmented(method)).drop(columns=PROVENANCE), None
