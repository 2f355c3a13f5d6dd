"""A first data contract drafted from a table, for a person to review before it guards the pipeline.

Ranges are the observed ones, so a drafted contract is as strict as the data it saw: widen the
bounds to what the domain allows (e.g. SpO2 up to 100) before trusting it with new data.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Sequence

import pandas as pd

_TYPES = {"i": ["int64", "int32", "int"], "u": ["uint64", "uint32", "int64"], "f": ["float64", "float32", "float"],
          "b": ["bool"], "O": ["object", "str", "string", "StringDtype"]}


def _expect(kind: str, **kwargs) -> dict:
    return {"type": f"expect_{kind}", "kwargs": kwargs, "meta": {}, "severity": "critical"}


def draft_suite(frame: pd.DataFrame, *, name: str, categorical: Sequence[str] = (), max_categories: int = 50) -> dict:
    """A GE 1.x suite (as JSON data): exact column set, no nulls, types, observed ranges and categories."""
    suite = [_expect("table_columns_to_match_set", column_set=[str(c) for c in frame.columns])]
    for column in frame.columns:
        values = frame[column]
        suite.append(_expect("column_values_to_not_be_null", column=column))
        suite.append(_expect("column_values_to_be_in_type_list", column=column,
                             type_list=_TYPES.get(values.dtype.kind, [str(values.dtype)])))
        distinct = values.dropna().unique()
        if column in categorical or values.dtype.kind in "ObU" or (values.dtype.kind in "iu" and len(distinct) <= 2):
            if len(distinct) <= max_categories:
                suite.append(_expect("column_values_to_be_in_set", column=column,
                                     value_set=sorted(v.item() if hasattr(v, "item") else v for v in distinct)))
        else:
            suite.append(_expect("column_values_to_be_between", column=column,
                                 min_value=float(values.min()), max_value=float(values.max())))
    return {"name": name, "id": None, "expectations": suite, "notes": None,
            "meta": {"notes": "Drafted from data by `oversample contract`: review the ranges and categories.",
                     "great_expectations_version": version("great_expectations")}}
