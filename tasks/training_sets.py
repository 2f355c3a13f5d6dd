"""The training sets the checks compare: the two baselines beside each generator's augmented rows."""

from __future__ import annotations

from typing import Iterator

import pandas as pd

from augmentation.evaluation.protocol import BASELINES
from augmentation.synthesis.classification import PROVENANCE
from tasks import paths
from tasks.params import Params


def methods(p: Params) -> list[str]:
    return [*BASELINES, *p.generators.methods]


def each(p: Params) -> Iterator[tuple[str, pd.DataFrame, str | None]]:
    """(method, training rows, class weight) for every method, reading the augmented sets the pipeline wrote."""
    train = pd.read_parquet(paths.TRAIN)
    yield "none", train, None
    yield "class_weight", train, "balanced"
    for method in p.generators.methods:
        yield method, pd.read_parquet(paths.augmented(method)).drop(columns=PROVENANCE), None
