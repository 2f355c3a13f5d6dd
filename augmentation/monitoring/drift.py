"""Has the minority class moved? Evidently's data-drift tests on minority rows, plus the minority rate.

The one adapter around Evidently 0.7 (imported inside :func:`detect_drift`: it takes seconds). Every
column is tested with a test that gives a p-value (Kolmogorov-Smirnov for numbers, chi-square for
categories) whatever the row count, so the thresholds in params.yaml keep one meaning.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from augmentation.errors import DataError

NUMERIC_TEST = "ks"
CATEGORICAL_TEST = "chisquare"


def minority_rate_change(reference_rate: float, current_rate: float) -> float:
    """Relative change of the minority rate (0.5: half as large again, or half as small)."""
    return abs(current_rate - reference_rate) / reference_rate


@dataclass
class DriftResult:
    """One batch's minority rows compared with the reference minority rows."""

    columns: dict[str, dict]            # column -> {"p_value", "test", "drifted"}
    drift_share: float                  # share of columns that drifted
    reference_rows: int
    current_rows: int
    reference_minority_rate: float
    current_minority_rate: float
    max_drift_share: float
    max_minority_rate_change: float
    html: str = field(default="", repr=False)

    @property
    def drifted_columns(self) -> list[str]:
        return [c for c, r in self.columns.items() if r["drifted"]]

    @property
    def minority_rate_change(self) -> float:
        return minority_rate_change(self.reference_minority_rate, self.current_minority_rate)

    @property
    def drifted(self) -> bool:
        return (self.drift_share >= self.max_drift_share
                or self.minority_rate_change >= self.max_minority_rate_change)

    def reason(self) -> str:
        share = (f"{len(self.drifted_columns)} of {len(self.columns)} columns drifted "
                 f"({self.drift_share:.0%}, threshold {self.max_drift_share:.0%})")
        rate = (f"minority rate {self.current_minority_rate:.2%} vs {self.reference_minority_rate:.2%} "
                f"(change {self.minority_rate_change:.0%}, threshold {self.max_minority_rate_change:.0%})")
        return f"{share}; {rate}"

    def to_dict(self) -> dict:
        return {"drifted": self.drifted, "drift_share": self.drift_share, "drifted_columns": self.drifted_columns,
                "columns": self.columns, "reference_rows": self.reference_rows, "current_rows": self.current_rows,
                "reference_minority_rate": self.reference_minority_rate,
                "current_minority_rate": self.current_minority_rate,
                "minority_rate_change": self.minority_rate_change, "max_drift_share": self.max_drift_share,
                "max_minority_rate_change": self.max_minority_rate_change, "reason": self.reason()}


def detect_drift(reference: pd.DataFrame, current: pd.DataFrame, *, categorical: list[str],
                 reference_minority_rate: float, current_minority_rate: float, stattest_threshold: float = 0.05,
                 max_drift_share: float = 0.3, max_minority_rate_change: float = 0.5) -> DriftResult:
    """Test every column of ``current`` (minority rows of new data) against ``reference``.

    Parameters
    ----------
    reference, current : pandas.DataFrame
        Feature columns only (no label), the same columns in both.
    categorical : list of str
        Columns tested as categories; the rest are numbers.
    reference_minority_rate, current_minority_rate : float
        The share of minority rows in the data each frame was taken from.
    stattest_threshold : float
        A column drifted when its p-value is below this.
    max_drift_share, max_minority_rate_change : float
        :attr:`DriftResult.drifted` is True when either is reached.
    """
    if list(reference.columns) != list(current.columns):
        raise DataError(f"the new minority rows have columns {list(current.columns)}, the reference has "
                        f"{list(reference.columns)}", "send batches with the columns of the training data")
    if not 0 < reference_minority_rate:
        raise DataError("the reference data has no minority rows", "re-fit the generators on data with minority rows")
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    categorical = [c for c in reference.columns if c in set(categorical)]
    numeric = [c for c in reference.columns if c not in categorical]
    definition = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)
    report = Report([DataDriftPreset(num_method=NUMERIC_TEST, cat_method=CATEGORICAL_TEST,
                                     threshold=stattest_threshold, drift_share=max_drift_share)])
    snapshot = report.run(current_data=Dataset.from_pandas(current.reset_index(drop=True), data_definition=definition),
                          reference_data=Dataset.from_pandas(reference.reset_index(drop=True),
                                                             data_definition=definition))
    columns: dict[str, dict] = {}
    for metric in snapshot.dict()["metrics"]:
        config = metric["config"]
        if config["type"].endswith(":ValueDrift"):
            p_value = float(metric["value"])
            columns[config["column"]] = {"p_value": p_value if math.isfinite(p_value) else None,
                                         "test": config["method"], "drifted": bool(p_value < config["threshold"])}
    ordered = {c: columns[c] for c in reference.columns if c in columns}
    share = sum(r["drifted"] for r in ordered.values()) / len(ordered) if ordered else 0.0
    return DriftResult(columns=ordered, drift_share=float(share), reference_rows=len(reference),
                       current_rows=len(current), reference_minority_rate=float(reference_minority_rate),
                       current_minority_rate=float(current_minority_rate), max_drift_share=max_drift_share,
                       max_minority_rate_change=max_minority_rate_change, html=snapshot.get_html_str(as_iframe=False))


def write_html(result: DriftResult, path: str | Path, *, title: str = "") -> None:
    """Evidently's page, opened by a note saying what it compares, with the exact p-values it rounds to 0."""
    import html
    import re

    from augmentation.data import io

    def p_text(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.3g}"

    rows = "".join(f"<tr><td>{html.escape(str(c))}</td><td>{r['test']}</td><td>{p_text(r['p_value'])}</td>"
                   f"<td>{'yes' if r['drifted'] else 'no'}</td></tr>" for c, r in result.columns.items())
    note = ("<div style='font-family:sans-serif;margin:1em 2em;padding:.8em 1em;border:1px solid #ccc;"
            "background:#fafafa;font-size:14px'>"
            f"<h2 style='margin:0 0 .4em'>{html.escape(title or 'Minority-row drift')}</h2>"
            f"<p><b>Minority rows only</b>: this page compares the {result.current_rows} minority (positive-label) "
            f"rows of the new batch with the {result.reference_rows} minority rows the active generators were "
            f"fitted on; majority rows are not tested. Verdict: <b>{'DRIFT' if result.drifted else 'no drift'}</b>"
            f" ({html.escape(result.reason())}).</p><p>Evidently's widgets below round small p-values to 0; "
            "the exact values:</p><table style='border-collapse:collapse' border='1' cellpadding='3'>"
            f"<tr><th>column</th><th>test</th><th>p-value</th><th>drifted</th></tr>{rows}</table></div>")
    page, count = re.subn(r"(<body[^>]*>)", lambda m: m.group(1) + note, result.html, count=1)
    io.write_text(page if count else note + result.html, path)
