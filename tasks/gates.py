"""Each method's gate verdicts from the checks' outputs: causal structure and fairness."""

from __future__ import annotations

import json
from pathlib import Path

from tasks import paths, training_sets
from tasks.params import Params


def read(path: Path) -> dict:
    return json.loads(path.read_text())


def gate(results: dict, method: str) -> bool | None:
    """A check's verdict for ``method``: None where it does not apply (baselines, or the check was skipped)."""
    if "skipped" in results or method not in results:
        return None
    return bool(results[method]["passed"])


def verdicts(p: Params) -> dict[str, dict[str, bool | None]]:
    """``{method: {causal, fairness, passed}}``; a method passes unless a check that applies to it failed."""
    causal, fairness = read(paths.CAUSAL), read(paths.FAIRNESS)
    out = {}
    for method in training_sets.methods(p):
        row = {"causal": gate(causal, method), "fairness": gate(fairness, method)}
        row["passed"] = row["causal"] is not False and row["fairness"] is not False
        out[method] = row
    return out
