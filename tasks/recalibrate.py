"""Recalibration: refit on the recent data window in a staging folder, then judge the new version by its gates.

The pipeline's own stage functions (validate, split, fit, synthesize, causal, fairness, evaluate,
recommend, report) run unchanged inside a staging folder, so nothing the active version uses is touched until
every gate has passed and the new version has been copied into the registry. The performance gate holds the
new best generator against what the active version recommends deploying (its stored decision), not a fixed
method: both are fitted as the recommend stage fits options and scored on the same new hold-out.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd

from augmentation import generators
from augmentation.data import io
from augmentation.errors import OversamplingError
from augmentation.evaluation.decision import LABEL_METRICS, LOWER_IS_BETTER, TUNED, candidates, fit_predict, scores
from tasks import batches, paths
from tasks.params import Params
from tasks.versions import MAP_FILE, registry
from tasks.workspace import with_absolute_inputs

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
    return staging, with_absolute_inputs(p, Path.cwd())


def _option_scores(p: Params, options: dict[str, str], train: pd.DataFrame, test: pd.DataFrame, *,
                   learners: dict[str, dict], generator_params: dict[str, dict],
                   map_file: str | Path | None) -> dict[str, float]:
    """Per learner, its decision option (``options[learner]``: ``threshold``, ``smote+threshold``, ...) fitted on
    ``train`` as the recommend stage fits it (resampling, the constraints of the map in ``map_file`` and the
    threshold search inside), scored once on ``test`` by the decision's metric."""
    objective, spec = p.recommend.objective(), p.data.spec()
    the_map = None
    if map_file is not None and any(o.removesuffix(TUNED) in generators.REGISTRY for o in options.values()):
        from tasks.maps import load_map
        the_map = load_map(map_file)
    out = {}
    for learner, option in options.items():
        generator = option.removesuffix(TUNED)
        built = candidates(spec, train, learner=learner, learner_params=learners[learner],
                           generators=[generator] if generator in generators.REGISTRY else [], objective=objective,
                           generator_params=generator_params, causal_map=the_map, constraints=p.constraints.mode)
        chosen = next(o for o in built if o.name == option)
        pred, _ = fit_predict(chosen, train, test, spec, seed=p.seed, real_rate=float(train[spec.target].mean()))
        out[learner] = scores(test[spec.target].to_numpy(), pred, objective, metrics=[objective.metric])[
            objective.metric]
    return out


def active_on_new_holdout(p: Params, staging: Path) -> dict:
    """The active version's recommended option per learner (the decision stored with it), trained on that version's
    training rows, scored on the new window's real hold-out by the decision's metric."""
    reg = registry(p)
    active = reg.active()
    folder = reg.path(active["id"])
    train, test = pd.read_parquet(folder / "data/train.parquet"), pd.read_parquet(staging / paths.TEST)
    learners = {name: params for name, params in active["params"]["evaluate"]["learners"].items()
                if name in p.evaluate.learners}
    stored = folder / "metrics/decision.json"
    if stored.is_file():
        decided = json.loads(stored.read_text())["learners"]
        options = {learner: decided[learner]["chosen"] for learner in learners if learner in decided}
        source = "recommended"
    else:  # a version recorded before decisions were stored: the decision's own default, its simpler baseline
        baseline = "threshold" if p.recommend.metric in LABEL_METRICS else "none"
        options, source = {learner: baseline for learner in learners}, "baseline (no decision recorded)"
    kept = folder / MAP_FILE  # the map that version was fitted with, not today's file
    per_learner = _option_scores(p, options, train, test, learners=learners,
                                 generator_params=active["params"]["generators"]["params"],
                                 map_file=kept if kept.is_file() else p.data.graph)
    return {"version": active["id"], "source": source, "options": options, "metric": p.recommend.metric,
            "per_learner": {k: round(v, 4) for k, v in per_learner.items()},
            "mean": round(sum(per_learner.values()) / len(per_learner), 4)}


def new_option(p: Params, best: str) -> str:
    """The new best generator as the decision compares generators: at its own tuned threshold for a label metric."""
    return best + TUNED if p.recommend.metric in LABEL_METRICS else best


def gates(p: Params, staging: Path, active: dict) -> list[dict]:
    """Causal and fairness checks of the new best generator, and its hold-out score against the active version's
    recommended option (per learner, the decision's metric, the same new hold-out)."""
    summary = json.loads((staging / paths.RUN_SUMMARY).read_text())
    best = summary["best_generator"]
    out = [{"gate": "contract", "passed": True, "detail": "every generator's synthetic rows meet the data contract"}]
    if best is None:
        failing = [f"{r['method']} (causal {r['causal']}, fairness {r['fairness']})"
                   for r in summary["rows"] if r["method"] in p.generators.methods]
        out.append({"gate": "causal and fairness", "passed": False,
                    "detail": "no new generator passed both checks: " + ", ".join(failing)})
        return out
    row = next(r for r in summary["rows"] if r["method"] == best)
    out.append({"gate": "causal", "passed": row["causal"] is not False, "detail": _causal_detail(staging, best)})
    out.append({"gate": "fairness", "passed": row["fairness"] is not False, "detail": _fairness_detail(staging, best)})
    option = new_option(p, best)
    new = _option_scores(p, {learner: option for learner in active["options"]}, pd.read_parquet(staging / paths.TRAIN),
                         pd.read_parquet(staging / paths.TEST), learners=dict(p.evaluate.learners),
                         generator_params=p.generators.params, map_file=p.data.graph)
    new = {learner: round(value, 4) for learner, value in new.items()}
    new_mean = round(sum(new.values()) / len(new), 4)
    metric, tolerance = active["metric"], p.recalibrate.tolerance
    lower = metric in LOWER_IS_BETTER
    bound = active["mean"] + tolerance if lower else active["mean"] - tolerance
    against = ", ".join(f"{learner}: {o}" for learner, o in active["options"].items())
    out.append({"gate": "hold-out performance", "passed": new_mean <= bound if lower else new_mean >= bound,
                "metric": metric, "new": {"option": option, "mean": new_mean, "per_learner": new},
                "compared_with": {"version": active["version"], "options": active["options"],
                                  "source": active["source"], "mean": active["mean"],
                                  "per_learner": active["per_learner"]},
                "detail": f"new {option} mean {metric} {new_mean:.4f} vs active {active['version']}'s "
                          f"{active['source']} option ({against}) {active['mean']:.4f} on the same new hold-out "
                          f"(must be at {'most' if lower else 'least'} {bound:.4f}, tolerance {tolerance})"})
    return out


def _causal_detail(staging: Path, method: str) -> str:
    """The new best generator's causal gates in words, e.g. ``scm: independence pass, structure pass, ...``."""
    from tasks.causal import gate_verdicts
    causal = json.loads((staging / paths.CAUSAL).read_text())
    if method not in causal:
        return f"{method}: no causal check (no causal map)"
    verdicts = gate_verdicts(causal[method])
    return f"{method}: " + ", ".join(f"{gate} {'pass' if ok else 'FAIL'}" for gate, ok in verdicts.items()
                                     if ok is not None)


def _fairness_detail(staging: Path, method: str) -> str:
    """The new best generator's fairness in numbers against its limits."""
    fairness = json.loads((staging / paths.FAIRNESS).read_text()).get(method)
    if not fairness or "demographic_parity_difference" not in fairness:
        return f"{method}: no fairness check (no sensitive attribute)"
    return (f"{method}: demographic-parity difference {fairness['demographic_parity_difference']:.3f} "
            f"(max {fairness['max_dp']}), equalized-odds difference {fairness['equalized_odds_difference']:.3f} "
            f"(max {fairness['max_eo']})")


def reason(results: list[dict]) -> str:
    return "; ".join(f"{g['gate']}: {g['detail']}" for g in results if not g["passed"])
