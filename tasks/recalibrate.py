"""Recalibration: refit on the recent data window in a staging folder, then judge the new version by its gates.

The pipeline's own stage functions (validate, split, fit, synthesize, causal, fairness, evaluate,
report) run unchanged inside a staging folder, so nothing the active version uses is touched until
every gate has passed and the new version has been copied into the registry.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd

from augmentation import generators
from augmentation.data import io
from augmentation.errors import OversamplingError
from augmentation.evaluation.protocol import evaluate_methods, generation_seed
from augmentation.generators import store
from augmentation.synthesis.classification import synthesize
from tasks import batches, paths
from tasks.params import Params
from tasks.runs import inside  # noqa: F401  (the flow runs the stages inside the staging folder)
from tasks.synthesize import causal_map
from tasks.versions import registry

STAGING = Path("data/recalibration")
REPORTS = Path("reports/recalibration")


class Rejected(OversamplingError):
    """The new generators did not pass every gate; the active version stays."""


def window(p: Params) -> tuple[pd.DataFrame, list[str]]:
    """The most recent ``recalibrate.window_rows`` rows: the active version's data, then batches it has not seen."""
    active = registry(p).active()
    base = pd.read_parquet(registry(p).path(active["id"]) / "data/raw.parquet")
    seen = set(active.get("batches") or [])
    new = [path for path in batches.accepted(p) if path.stem not in seen]
    frame = pd.concat([base, *(pd.read_parquet(path) for path in new)], ignore_index=True)
    frame = frame.tail(p.recalibrate.window_rows).reset_index(drop=True)
    return frame, [*(active.get("batches") or []), *(path.stem for path in new)]


def prepare(p: Params, frame: pd.DataFrame, run_name: str) -> tuple[Path, Params]:
    """A fresh staging folder holding the window as the raw data, and params whose paths work from inside it."""
    shutil.rmtree(STAGING, ignore_errors=True)  # left by an earlier (possibly killed) recalibration
    staging = (STAGING / run_name).resolve()
    io.write_parquet(frame, staging / paths.RAW)
    io.write_json({"source": "recalibration window", "rows": len(frame), "columns": list(frame.columns),
                   "sha256": io.frame_hash(frame)}, staging / paths.RAW_META)
    absolute = lambda value: str(Path(value).resolve()) if value else value  # noqa: E731
    staged = p.model_copy(update={"data": p.data.model_copy(update={"contract": absolute(p.data.contract),
                                                                    "graph": absolute(p.data.graph)})})
    return staging, staged


def _mean_auc(results: dict, method: str) -> float:
    by_learner = results[method]
    return sum(m["roc_auc"]["mean"] for m in by_learner.values()) / len(by_learner)


def active_on_new_holdout(p: Params, staging: Path) -> dict:
    """The active version's best generator, trained as it was, scored on the new window's real hold-out."""
    reg = registry(p)
    active = reg.active()
    method = active["metrics"]["best_generator"]
    folder = reg.path(active["id"])
    train, test = pd.read_parquet(folder / "data/train.parquet"), pd.read_parquet(staging / paths.TEST)
    spec = p.data.spec()
    if method is None:
        return {"version": active["id"], "method": None, "mean_auc": None}

    the_map = causal_map(p, train) if generators.needs_map(method) else None  # scm: the map it was fitted with

    def rows(name: str, repeat: int) -> pd.DataFrame:
        record = store.load(folder / "generators" / name, train)
        return synthesize(train, spec, method=name, params=record["params"],
                          sampling_strategy=record["sampling_strategy"], causal_map=the_map,
                          random_state=record["seed"] if repeat == 0 else generation_seed(p.seed, name, repeat))

    results = evaluate_methods(train, test, spec, generators=[method], synthetic_rows=rows,
                               learners=p.evaluate.learners, repeats=p.evaluate.repeats,
                               threshold=p.evaluate.threshold, seed=p.seed)
    return {"version": active["id"], "method": method, "mean_auc": round(_mean_auc(results, method), 4)}


def gates(p: Params, staging: Path, active: dict) -> list[dict]:
    """Causal and fairness checks of the new best generator, and its hold-out AUC against the active one."""
    summary = json.loads((staging / paths.SUMMARY).read_text())
    evaluation = json.loads((staging / paths.EVALUATION).read_text())
    best = summary["best_generator"]
    out = [{"gate": "contract", "passed": True, "detail": "every generator's synthetic rows meet the data contract"}]
    if best is None:
        failing = [f"{r['method']} (causal {r['causal']}, fairness {r['fairness']})"
                   for r in summary["rows"] if r["method"] in p.generators.methods]
        out.append({"gate": "causal and fairness", "passed": False,
                    "detail": "no new generator passed both checks: " + ", ".join(failing)})
        return out
    row = next(r for r in summary["rows"] if r["method"] == best)
    out.append({"gate": "causal", "passed": row["causal"] is not False, "detail": f"{best}: {row['causal']}"})
    out.append({"gate": "fairness", "passed": row["fairness"] is not False, "detail": f"{best}: {row['fairness']}"})
    new_auc = round(_mean_auc(evaluation, best), 4)
    if active["mean_auc"] is None:
        out.append({"gate": "hold-out performance", "passed": True,
                    "detail": f"new {best} AUC {new_auc:.4f}; the active version has no generator to compare"})
    else:
        floor = active["mean_auc"] - p.recalibrate.tolerance
        out.append({"gate": "hold-out performance", "passed": new_auc >= floor,
                    "detail": f"new {best} mean AUC {new_auc:.4f} vs active {active['version']} "
                              f"{active['method']} {active['mean_auc']:.4f} on the same new hold-out "
                              f"(must be at least {floor:.4f}, tolerance {p.recalibrate.tolerance})"})
    return out


def reason(results: list[dict]) -> str:
    return "; ".join(f"{g['gate']}: {g['detail']}" for g in results if not g["passed"])
