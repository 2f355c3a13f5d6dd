"""Fitted generators on disk without pickle: a JSON record stamped with versions and the training-data hash.

The SMOTE family has no learned weights: a fitted generator is its configuration,
its seed and the exact training rows (named by hash), which together reproduce
its output byte for byte. Generators with weights store them beside the record.
"""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pandas as pd

from augmentation.data import io
from augmentation.errors import DataError

RECORD = "generator.json"
FORMAT = 1
_LIBRARIES = ("imbalanced-learn", "scikit-learn", "numpy", "pandas")


def library_versions() -> dict[str, str]:
    return {name: version(name) for name in _LIBRARIES}


def save(directory: str | Path, *, method: str, params: dict[str, Any], sampling_strategy: float,
         seed: int, train: pd.DataFrame) -> dict[str, Any]:
    record = {
        "format": FORMAT,
        "method": method,
        "params": params,
        "sampling_strategy": sampling_strategy,
        "seed": seed,
        "train_sha256": io.frame_hash(train),
        "train_rows": len(train),
        "columns": {str(c): str(t) for c, t in train.dtypes.items()},
        "versions": library_versions(),
    }
    io.write_json(record, Path(directory) / RECORD)
    return record


def load(directory: str | Path, train: pd.DataFrame) -> dict[str, Any]:
    """Read a saved generator and check it belongs to ``train`` and to the installed libraries."""
    path = Path(directory) / RECORD
    if not path.exists():
        raise DataError(f"no fitted generator at {path}", "run the fit stage first (oversample run, or dvc repro)")
    record = json.loads(path.read_text())
    if record.get("format") != FORMAT:
        raise DataError(f"{path} has format {record.get('format')}, this version reads {FORMAT}",
                        "re-fit the generator")
    if record["train_sha256"] != io.frame_hash(train):
        raise DataError(f"the generator at {directory} was fitted on other training data",
                        "re-fit it on the current split (oversample run, or dvc repro)")
    if record["versions"] != library_versions():
        raise DataError(f"the generator at {directory} was saved with {record['versions']}, "
                        f"installed are {library_versions()}", "re-fit it, or install the versions it names")
    return record
