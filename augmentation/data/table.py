"""What the pipeline knows about a table: its label, column kinds, and the checks every input passes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from augmentation.errors import ConfigError, DataError

PROVENANCE = "provenance"  # the column of every augmented output: "real" or the generator's name


@dataclass(frozen=True)
class TableSpec:
    """The roles of a table's columns."""

    target: str
    positive_label: int | str = 1
    categorical: tuple[str, ...] = ()
    integer: tuple[str, ...] = ()
    sensitive: tuple[str, ...] = field(default=())

    def features(self, frame: pd.DataFrame) -> list[str]:
        return [c for c in frame.columns if c != self.target]

    def numeric(self, frame: pd.DataFrame) -> list[str]:
        return [c for c in self.features(frame) if c not in self.categorical]


def check_table(frame: pd.DataFrame, spec: TableSpec, *, source: str = "the data", batch: bool = False) -> pd.DataFrame:
    """Check a table is usable and return it with a 0/1 label (1 = minority of interest).

    Raises one DataError naming the first problem found and its fix. A ``batch`` of new rows may hold one class
    only (a week without a single minority case is news, not an error).
    """
    if frame.empty:
        raise DataError(f"{source} has no rows", "point the source at a table with data rows")
    if PROVENANCE in frame.columns:
        raise DataError(f"{source} has a column named {PROVENANCE!r}, the name the product gives the column that "
                        "marks each output row real or synthetic", f"rename your {PROVENANCE!r} column")
    if spec.target not in frame.columns:
        raise DataError(f"the target column {spec.target!r} is missing from {source} (columns: {list(frame.columns)})",
                        "set data.target in params.yaml to the label column's name")
    missing = [c for c in (*spec.categorical, *spec.integer, *spec.sensitive) if c not in frame.columns]
    if missing:
        raise DataError(f"columns named in params.yaml are missing from {source}: {missing}",
                        "fix data.categorical / data.integer / data.sensitive in params.yaml")
    for column in spec.numeric(frame):
        values = frame[column]
        if not pd.api.types.is_numeric_dtype(values):
            coerced = pd.to_numeric(values, errors="coerce")
            bad = values[coerced.isna() & values.notna()].astype(str).unique()[:5].tolist()
            raise DataError(f"column {column!r} in {source} should be numeric but holds text such as {bad}",
                            f"clean the column, or list {column!r} under data.categorical in params.yaml")
        array = values.to_numpy(dtype=float)
        if not np.isfinite(array).all():
            n_nan, n_inf = int(np.isnan(array).sum()), int(np.isinf(array).sum())
            raise DataError(f"column {column!r} in {source} has {n_nan} NaN and {n_inf} infinite values",
                            "impute or drop those rows before oversampling")
    for column in (*spec.categorical, spec.target):
        if frame[column].isna().any():
            raise DataError(f"column {column!r} in {source} has {int(frame[column].isna().sum())} missing values",
                            "impute or drop those rows before oversampling")
    labels = frame[spec.target]
    classes = sorted(labels.astype(str).unique())
    if batch and len(classes) == 1:
        pass  # a batch without minority rows (or without majority rows) still moves the minority rate
    elif len(classes) != 2:
        raise DataError(f"the target {spec.target!r} in {source} has {len(classes)} class(es) {classes[:5]}; "
                        "oversampling needs exactly two", "choose a binary label column, or recode the label")
    elif str(spec.positive_label) not in classes:
        raise DataError(f"the positive label {spec.positive_label!r} does not occur in {spec.target!r} "
                        f"(values {classes})",
                        "set data.positive_label in params.yaml to one of the label values")
    out = frame.copy()
    out[spec.target] = (labels.astype(str) == str(spec.positive_label)).astype("int64")
    return out


def category_codes(values: pd.Series, categories: Iterable[Any] | None = None) -> np.ndarray:
    """Integer codes of a categorical column, by sorted text value; -1 for a value outside ``categories``.

    ``categories`` defaults to the column's own values; pass the union over several frames so that one
    value gets the same code in each.
    """
    text = values.astype(str)
    levels = sorted({str(c) for c in (text.unique() if categories is None else categories)})
    return pd.Categorical(text, categories=levels).codes


TASKS = ("auto", "classification", "regression")


def infer_spec(frame: pd.DataFrame, target: str, *, positive: Any = None, categorical: Sequence[str] = (),
               regression: bool = False) -> TableSpec:
    """The spec of a file given without a params file: text columns are categorical unless ``categorical``
    names them, integer columns stay integer, and the positive label defaults to the rarer class."""
    cats = tuple(categorical) or tuple(c for c in frame.columns if c != target and frame[c].dtype == object)
    integer = tuple(c for c in frame.columns if c not in cats and frame[c].dtype.kind in "iu")
    if regression:  # an integer target (a count) stays integer too
        return TableSpec(target=target, categorical=cats, integer=integer)
    integer = tuple(c for c in integer if c != target)
    if positive is None and target in frame.columns:
        positive = frame[target].astype(str).value_counts().index[-1]
    return TableSpec(target=target, positive_label=positive if positive is not None else 1,
                     categorical=cats, integer=integer)


def detect_task(frame: pd.DataFrame, target: str, task: str = "auto") -> tuple[str, str | None]:
    """The task asked for, or the one the target implies, with a note saying why when it was guessed."""
    if task not in TASKS:
        raise ConfigError(f"unknown --task {task!r}", "use classification, regression or auto")
    if task != "auto":
        return task, None
    values = frame[target] if target in frame.columns else None
    if (values is not None and pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
            and values.nunique() > 2):
        return "regression", (f"task: regression (the target {target!r} is numeric with {values.nunique()} values; "
                              "pass --task classification to override)")
    return "classification", None
