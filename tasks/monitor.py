"""Drift of one accepted batch's minority rows against the minority rows the active generators were fitted on."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from augmentation.data import io
from augmentation.data.table import check_table
from tasks import stage
from tasks.params import Params
from tasks.versions import registry

REPORTS = Path("reports/drift")


def report_paths(batch_id: str) -> tuple[Path, Path]:
    return REPORTS / f"{batch_id}.html", REPORTS / f"{batch_id}.json"


def check_drift(p: Params, batch_path: Path) -> dict:
    """Compare a batch with the active version; write ``reports/drift/<batch>.html|.json`` and return the numbers."""
    from augmentation.monitoring.drift import detect_drift, minority_rate_change, write_html

    reg = registry(p)
    active = reg.active()
    spec = p.data.spec()
    reference = pd.read_parquet(reg.path(active["id"]) / "data/train.parquet")  # already coded 0/1
    current = check_table(pd.read_parquet(batch_path), spec, source=str(batch_path), batch=True)
    target = spec.target
    ref_minority = reference[reference[target] == 1].drop(columns=target)
    cur_minority = current[current[target] == 1].drop(columns=target)
    html, numbers = report_paths(batch_path.stem)
    common = {"batch": batch_path.stem, "active_version": active["id"], "html": str(html),
              "min_minority_rows": p.monitor.min_minority_rows}
    if len(cur_minority) < p.monitor.min_minority_rows:
        # Too few rows for a distribution test; the minority rate is still a signal.
        ref_rate, cur_rate = float(reference[target].mean()), float(current[target].mean())
        change = minority_rate_change(ref_rate, cur_rate)
        result = {**common, "html": None, "drifted": change >= p.monitor.max_minority_rate_change,
                  "columns": {}, "drifted_columns": [], "drift_share": None, "current_rows": len(cur_minority),
                  "reference_rows": len(ref_minority), "reference_minority_rate": ref_rate,
                  "current_minority_rate": cur_rate, "minority_rate_change": change,
                  "reason": f"only {len(cur_minority)} minority rows (fewer than monitor.min_minority_rows = "
                            f"{p.monitor.min_minority_rows}): columns not tested; minority rate {cur_rate:.2%} vs "
                            f"{ref_rate:.2%}"}
        io.write_json(result, numbers)
        return result
    drift = detect_drift(ref_minority, cur_minority, categorical=list(spec.categorical),
                         reference_minority_rate=float(reference[target].mean()),
                         current_minority_rate=float(current[target].mean()),
                         stattest_threshold=p.monitor.stattest_threshold, max_drift_share=p.monitor.max_drift_share,
                         max_minority_rate_change=p.monitor.max_minority_rate_change)
    write_html(drift, html, title=f"Drift of batch {batch_path.stem} against version {active['id']}")
    result = {**common, **drift.to_dict()}
    io.write_json(result, numbers)
    stage.logger(__name__).info("batch %s: %s -> %s", batch_path.stem, drift.reason(),
                                "DRIFT" if drift.drifted else "no drift")
    return result
