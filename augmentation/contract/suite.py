"""Data contract: validate a frame against a Great Expectations 1.x suite.

The suite lives as JSON (``expectations/*.json``, the output of
``ExpectationSuite.to_json_dict()``) so that the contract is reviewed like code
and the library never needs a GE project directory. Real and synthetic rows
are validated against the same suite.

``great_expectations`` is imported inside functions: it takes seconds to
import and most of the library does not need it.
"""

from __future__ import annotations

import copy
import functools
import json
import logging
import os
import threading
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from augmentation.data.io import json_safe
from augmentation.errors import ConfigError, DataError

_MAX_OFFENDING = 5


@dataclass(frozen=True)
class ContractFailure:
    """One expectation a frame does not meet.

    Attributes
    ----------
    column : str or None
        The column, or None for table-level expectations.
    expectation : str
        The GE expectation type, e.g. ``expect_column_values_to_be_between``.
    offending : list
        A few (at most 5) distinct offending values, JSON-safe.
    unexpected_count : int or None
        How many rows break it, where GE counts rows.
    note : str
        Why it failed when there are no values to show (e.g. a missing column).
    """

    column: str | None
    expectation: str
    offending: list
    unexpected_count: int | None = None
    note: str = ""

    def describe(self) -> str:
        """One line: where, which expectation, what was found."""
        where = f"column '{self.column}'" if self.column is not None else "table"
        found = ", ".join(_show(v) for v in self.offending)
        if self.unexpected_count:
            rows = "row" if self.unexpected_count == 1 else "rows"
            more = " ..." if self.unexpected_count > len(self.offending) else ""
            found += f"{more} ({self.unexpected_count} {rows})"
        if self.note:
            found = f"{found} [{self.note}]" if found else self.note
        return f"{where} {self.expectation}: {found}"


@dataclass
class ContractResult:
    """The outcome of validating one frame against one suite."""

    name: str
    passed: bool
    n_expectations: int
    failures: list[ContractFailure] = field(default_factory=list)

    def to_dict(self) -> dict:
        """A JSON-safe dict (numpy scalars cast, NaN as None)."""
        return {
            "name": str(self.name),
            "passed": bool(self.passed),
            "n_expectations": int(self.n_expectations),
            "failures": [json_safe(asdict(f)) for f in self.failures],
        }

    def message(self) -> str:
        """One human message naming every broken expectation and the fix."""
        if self.passed:
            return f"{self.name} meets the data contract ({self.n_expectations} expectations)."
        return self.error().args[0]

    def error(self) -> DataError:
        """The failure as the library's error: the broken expectations, then the fix."""
        broken = "; ".join(f.describe() for f in self.failures)
        return DataError(
            f"{self.name} breaks the data contract: {broken}",
            "correct or drop the offending rows/columns, or, if these values are "
            "legitimate, widen the expectation in the suite JSON",
        )


def load_suite(path: str | Path) -> dict:
    """Read a GE 1.x expectation suite from JSON.

    Parameters
    ----------
    path : str or Path
        A file written from ``ExpectationSuite.to_json_dict()``.

    Returns
    -------
    dict
        The suite as plain JSON data (pass it to :func:`validate_frame`).

    Raises
    ------
    ConfigError
        If the file is missing, is not JSON, or is not a valid suite.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(
            f"expectation suite {str(path)!r} does not exist",
            "point to an existing suite JSON such as expectations/trauma.json",
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ConfigError(
            f"expectation suite {str(path)!r} is not readable JSON ({err})",
            "rewrite it from ExpectationSuite.to_json_dict() or fix the JSON syntax",
        ) from err
    _build_suite(data, source=str(path))  # fail now, not at the first validation
    return data


def validate_frame(df: pd.DataFrame, suite: dict, *, name: str) -> ContractResult:
    """Validate a frame against a suite.

    Parameters
    ----------
    df : pandas.DataFrame
        The rows to check (real or synthetic).
    suite : dict
        Suite JSON as returned by :func:`load_suite`.
    name : str
        What the frame is, used in the message (e.g. ``"synthetic rows"``).

    Returns
    -------
    ContractResult
        ``passed`` is True when every expectation holds.

    Raises
    ------
    DataError
        If ``df`` is not a DataFrame.
    ConfigError
        If ``suite`` is not a valid suite.
    """
    if not isinstance(df, pd.DataFrame):
        raise DataError(
            f"{name}: expected a pandas DataFrame, got {type(df).__name__}",
            "pass the rows as a pandas.DataFrame",
        )
    with _ONE_AT_A_TIME:  # the process's one context is not made for threads (a flow's thread runner)
        gx_suite = _build_suite(suite, source="the suite passed to validate_frame")
        batch = _batch_definition().get_batch(batch_parameters={"dataframe": df})
        # SUMMARY is the cheapest format that still returns partial_unexpected_list.
        outcome = batch.validate(gx_suite, result_format="SUMMARY")
    present = {str(c) for c in df.columns}
    failures: list[ContractFailure] = []
    reported_missing: set[str] = set()
    for r in outcome.results:
        if r.success:
            continue
        column = r.expectation_config.kwargs.get("column")
        if column is not None and str(column) not in present:
            # every expectation on a missing column fails; one line per column says it all
            if str(column) not in reported_missing:
                reported_missing.add(str(column))
                failures.append(
                    ContractFailure(
                        column=str(column),
                        expectation="expect_column_to_exist",
                        offending=[],
                        note="column is missing",
                    )
                )
            continue
        failures.append(_failure(r))
    return ContractResult(
        name=name,
        passed=bool(outcome.success),
        n_expectations=len(outcome.results),
        failures=failures,
    )


def _build_suite(data: Any, *, source: str):
    import great_expectations as gx

    if not isinstance(data, dict) or not isinstance(data.get("expectations"), list):
        raise ConfigError(
            f"{source} is not an expectation suite (needs a JSON object with an "
            "'expectations' list)",
            "write the suite with ExpectationSuite.to_json_dict()",
        )
    # GE logs an unknown expectation type with a traceback and drops it; the count below says so in one message.
    quiet = logging.getLogger("great_expectations.core.expectation_suite")
    level, quiet.level = quiet.level, logging.CRITICAL
    try:
        # deepcopy: GE may annotate the expectation configs it is given.
        suite = gx.ExpectationSuite(**copy.deepcopy(data))
    except Exception as err:  # GE raises many types for a malformed suite
        raise ConfigError(
            f"{source} is not a valid Great Expectations 1.x suite ({err})",
            "fix the expectation named in the error, or regenerate the suite JSON",
        ) from err
    finally:
        quiet.level = level
    if len(suite.expectations) != len(data["expectations"]):
        known = Counter(e.expectation_type for e in suite.expectations)
        asked = Counter(str(e.get("type")) if isinstance(e, dict) else repr(e) for e in data["expectations"])
        dropped = sorted((asked - known).elements())
        raise ConfigError(f"{source} names expectation type(s) Great Expectations does not know: {dropped}",
                          "fix the name (e.g. expect_column_values_to_be_between) or remove that expectation")
    return suite


_ONE_AT_A_TIME = threading.Lock()


@functools.lru_cache(maxsize=1)
def _batch_definition():
    """One ephemeral GE context per process: building it costs, reusing it is free."""
    # Analytics would try the network; respect an explicit user setting.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    # tqdm bars would spam pipeline logs once per validation.
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    asset = context.data_sources.add_pandas("contract").add_dataframe_asset("frame")
    return asset.add_batch_definition_whole_dataframe("whole")


def _failure(result) -> ContractFailure:
    config = result.expectation_config
    kwargs = dict(config.kwargs)
    details = result.result or {}
    exception = result.exception_info or {}
    note = ""
    count = details.get("unexpected_count")
    if "partial_unexpected_list" in details:
        offending = _distinct(details["partial_unexpected_list"])
    elif isinstance(details.get("details"), dict) and "mismatched" in details["details"]:
        # table column set: say which columns are missing and which are extra
        mismatched = details["details"]["mismatched"] or {}
        missing = list(mismatched.get("missing") or [])
        extra = list(mismatched.get("unexpected") or [])
        offending = [f"missing {c}" for c in missing] + [f"unexpected {c}" for c in extra]
        offending = offending[:_MAX_OFFENDING]
    elif "observed_value" in details:
        offending = [details["observed_value"]]
    else:
        offending = []
    message = _exception_message(exception)
    if message is not None:
        note = f"could not be evaluated: {message}"
    column = kwargs.get("column")
    return ContractFailure(
        column=None if column is None else str(column),
        expectation=str(config.type),
        offending=json_safe(offending),
        unexpected_count=None if count is None else int(count),
        note=note,
    )


def _exception_message(info: Any) -> str | None:
    """First line of the error GE caught, if any; GE nests it per metric sometimes."""
    if not isinstance(info, dict):
        return None
    if "raised_exception" in info:
        if not info.get("raised_exception"):
            return None
        text = str(info.get("exception_message") or "unknown error")
        return text.splitlines()[0] if text else "unknown error"
    for nested in info.values():
        found = _exception_message(nested)
        if found is not None:
            return found
    return None


def _distinct(values: list) -> list:
    out: list = []
    seen: set = set()
    for value in values:
        key = repr(json_safe(value))
        if key not in seen:
            seen.add(key)
            out.append(value)
        if len(out) == _MAX_OFFENDING:
            break
    return out


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return repr(value)
    return str(value)
