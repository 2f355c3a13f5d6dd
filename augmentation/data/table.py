"""What the pipeline knows about a table: its label, column kinds, and the checks every input passes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, time, timedelta
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
    check_unique_columns(frame, source)
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
        if looks_like_dates(values):
            raise dates_error(values, source, fix=f"or list {column!r} under data.categorical in params.yaml")
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


def check_unique_columns(frame: pd.DataFrame, source: str) -> None:
    """Raise a DataError when two columns share a name (pandas would then hand back a table for one column)."""
    names = pd.Index(frame.columns)
    if names.has_duplicates:
        twice = sorted({str(c) for c in names[names.duplicated()]})
        raise DataError(f"{source} has columns named more than once: {twice[:5]}",
                        "rename the columns so that every header name is unique")


def looks_like_dates(values: pd.Series) -> bool:
    """Whether a column holds dates or times (as datetimes, date objects, or ISO text such as 2020-01-31)."""
    if pd.api.types.is_datetime64_any_dtype(values) or pd.api.types.is_timedelta64_dtype(values):
        return True
    if values.dtype != object:
        return False
    head = values.dropna().head(100)
    if head.empty:
        return False
    if head.map(lambda v: isinstance(v, (date, time, timedelta))).all():
        return True
    return bool(head.map(type).eq(str).all() and pd.to_numeric(head, errors="coerce").isna().all()
                and pd.to_datetime(head, errors="coerce", format="ISO8601").notna().all())


def dates_error(values: pd.Series, source: str, *, fix: str) -> DataError:
    """The message for a column of dates or times: no generator can interpolate them as they are."""
    example = values.dropna().iloc[0]
    return DataError(f"column {values.name!r} in {source} holds dates or times (such as {str(example)!r}); the "
                     "generators need numbers or categories",
                     f"drop the column, or turn it into a number (e.g. days since the first date) before "
                     f"oversampling, {fix}")


def check_mostly_numeric(frame: pd.DataFrame, columns: Sequence[str], source: str) -> None:
    """Raise a DataError for a text column whose values are numbers but for a few: most likely typos, not labels.

    Used where no contract says which columns are categorical, so that one stray "abc" in a numeric column
    does not silently turn it into a category with hundreds of levels.
    """
    for column in columns:
        values = frame[column].dropna()
        if values.dtype != object or values.empty:
            continue
        numbers = pd.to_numeric(values.astype(str), errors="coerce")
        bad = values[numbers.isna()]
        if len(bad) and numbers.notna().mean() >= 0.9:  # all numbers as text (codes such as "007"): a category
            shown = bad.astype(str).unique()[:5].tolist()
            raise DataError(f"column {column!r} in {source} holds numbers but for {len(bad)} value(s) such as "
                            f"{shown}", f"clean those values, or, if the column is a category, name it with the "
                                        f"others: --categorical {','.join(columns)}")


def check_not_identifiers(frame: pd.DataFrame, columns: Sequence[str], source: str) -> None:
    """Raise a DataError for a text column with a distinct value in most rows: an identifier or free text, whose
    one-hot encoding would add a column per row (thousands of levels took a minute and 1.6 GB for SMOTE)."""
    for column in columns:
        levels = frame[column].nunique()
        if levels > max(50, len(frame) // 2):
            raise DataError(f"column {column!r} in {source} is text with {levels} distinct values in {len(frame)} "
                            "rows, like an identifier or free text, not a category",
                            f"drop the column, or name it with the others to oversample it as a category anyway: "
                            f"--categorical {','.join(columns)}")


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
               regression: bool = False, source: str = "--data") -> TableSpec:
    """The spec of a file given without a params file: text columns are categorical unless ``categorical``
    names them, integer columns stay integer, and the positive label defaults to the rarer class.

    A column of dates is an error unless ``categorical`` names it. With nothing named categorical, so is a
    text column of numbers but for a few values (typos, not a category) or with a distinct value in most rows
    (an identifier); naming the columns in ``categorical`` accepts them.
    """
    check_unique_columns(frame, source)
    named = tuple(categorical)
    text = tuple(c for c in frame.columns if c != target and frame[c].dtype == object)
    for column in (c for c in frame.columns if c != target and c not in named):
        if looks_like_dates(frame[column]):
            levels = ",".join([*(c for c in text if c != column), column])
            raise dates_error(frame[column], source, fix=f"or pass --categorical {levels} to treat each of its "
                                                         "values as a level")
    cats = named or text
    if not named:
        check_mostly_numeric(frame, cats, source)
        check_not_identifiers(frame, cats, source)
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
