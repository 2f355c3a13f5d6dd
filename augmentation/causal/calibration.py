"""How often a perfect generator fails each causal gate: measured by docs/bench_causal.py, shown by the audit page.

A perfect generator draws fresh minority rows from the true model (the benchmark's ``oracle``). On the
simulated models, where the truth is known, the share of seeds in which its rows fail a gate is that
gate's false-fail rate at the thresholds the benchmark ran with. ``calibration.json`` beside this module
holds the last full run's rates; the benchmark rewrites it.
"""

from __future__ import annotations

import json
from pathlib import Path

PATH = Path(__file__).with_name("calibration.json")
# each gate's threshold: its name in params.yaml's causal_check
THRESHOLDS = {"independence": "max_broken_share", "structure": "max_shd_increase", "mechanisms": "max_mechanism_ks",
              "effect": "max_effect_z", "counterfactual": "max_monotone_violation"}


def false_fail_rates(records: list[dict], *, oracle: str, gates: tuple[str, ...]) -> dict[str, dict]:
    """Per gate: the oracle's fail rate on each model it was scored on, and the worst of them."""
    out = {}
    for gate in (*gates, "causal"):
        per_model = {}
        for dataset in dict.fromkeys(r["dataset"] for r in records if r["method"] == oracle):
            verdicts = [r["gates"][gate] for r in records if r["dataset"] == dataset and r["method"] == oracle
                        and r.get("status") == "ok" and r["gates"][gate] is not None]
            if verdicts:
                per_model[dataset] = round(1 - sum(verdicts) / len(verdicts), 4)
        if per_model:
            out[gate] = {"worst": max(per_model.values()), "per_model": per_model}
    return out


def load() -> dict | None:
    """The last full benchmark's calibration, or None where none was written."""
    return json.loads(PATH.read_text()) if PATH.is_file() else None
