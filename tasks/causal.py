"""Stage 6: the causal-fidelity scorecard -- implied independences, structure, mechanisms, effect,
counterfactual sanity."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from augmentation import generators
from augmentation.causal.independence import check_causal_structure
from augmentation.causal.map import CausalMap
from augmentation.causal.mechanisms import out_of_fold_quality
from augmentation.causal.scorecard import (
    RealReference,
    counterfactual_reference,
    counterfactual_sanity,
    effect_consistency,
    mechanism_fidelity,
    numeric_frame,
    real_reference,
    structure_recovery,
)
from augmentation.data import io
from augmentation.seeding import derive_seed
from augmentation.synthesis.classification import PROVENANCE
from tasks import paths, stage
from tasks.maps import load_map
from tasks.params import Params


def reference(p: Params) -> RealReference | None:
    """The run's one real-data reference (:func:`run_reference`) on the training rows; None without a map."""
    if p.data.graph is None:
        return None
    train = pd.read_parquet(paths.TRAIN)
    return run_reference(train, load_map(p.data.graph).complete(train, p.data.spec()), p)


def run_one(p: Params, method: str, reference: RealReference | None) -> dict:
    """One generator's entry: the implied independences, then the causal-fidelity scorecard against the run's
    ``reference`` (the same for every generator)."""
    train = pd.read_parquet(paths.TRAIN)
    causal_map = load_map(p.data.graph).complete(train, p.data.spec())
    log = stage.logger(__name__)
    synthetic = pd.read_parquet(paths.synthetic(method)).drop(columns=PROVENANCE)
    entry = check_method(train, synthetic, causal_map, p, method, reference)
    log.info("%s: %d of %d implied independences broken (%s)", method, len(entry["broken"]),
             entry["n_hold_real"], "pass" if entry["independence_passed"] else "FAIL")
    if p.causal_check.scorecard:
        log.info("%s: scorecard %s", method, ", ".join(
            f"{k} {'n/a' if g is None else 'pass' if g else 'FAIL'}"
            for k, g in gate_verdicts(entry).items() if k in SCORECARD))
        if generators.needs_map(method):
            entry["mechanism_quality"] = mechanism_quality(train, causal_map, p, method)
            poor = [n for n, q in entry["mechanism_quality"].items() if not q["trusted"]]
            if poor:
                log.warning("%s: mechanism(s) of %s fit worse out of fold than a linear model or than no "
                            "parents; do not trust %s's rows on them", method, ", ".join(poor), method)
    return entry


def combine(p: Params, results: dict[str, dict]) -> list[str]:
    """metrics/causal.json: each generator's entry, in the configured order (a note instead without a map)."""
    if p.data.graph is None:
        io.write_json({"skipped": "no causal graph named in data.graph"}, paths.CAUSAL)
    else:
        io.write_json({method: results[method] for method in p.generators.methods}, paths.CAUSAL)
    return [str(paths.CAUSAL)]


def methods(p: Params) -> list[str]:
    """The generators this stage checks (none without a map)."""
    return list(p.generators.methods) if p.data.graph is not None else []


def run(p: Params) -> list[str]:
    """Per generator: the implied independences, then the causal-fidelity scorecard; one verdict each."""
    real = reference(p)
    return combine(p, stage.each_method(p, methods(p), lambda p, method: run_one(p, method, real), "causal check"))


SCORECARD = ("structure", "mechanisms", "effect", "counterfactual")
GATES = ("independence", *SCORECARD)


def run_reference(train: pd.DataFrame, causal_map: CausalMap, p: Params) -> RealReference | None:
    """The run's one real-data reference for every generator (the same PC graph, the same fitted mechanisms)."""
    if not p.causal_check.scorecard:
        return None
    reference = real_reference(train, causal_map, alpha=p.causal_check.alpha, max_rows=p.causal_check.max_rows,
                               seed=derive_seed(p.seed, "causal-reference"))
    yardstick = counterfactual_reference(train, causal_map, learners=p.evaluate.learners,
                                         categorical=p.data.categorical, seed=derive_seed(p.seed, "counterfactual"))
    return replace(reference, counterfactual=yardstick)


def check_method(train: pd.DataFrame, synthetic: pd.DataFrame, causal_map: CausalMap, p: Params, method: str,
                 reference: RealReference | None) -> dict:
    """One generator's entry of metrics/causal.json: the implied independences, the scorecard, the causal verdict."""
    result = check_causal_structure(
        train, synthetic, nodes=list(causal_map.nodes), edges=list(causal_map.edges), label=p.data.target,
        categorical=p.data.categorical, alpha=p.causal_check.alpha, max_broken_share=p.causal_check.max_broken_share,
        method=method, seed=derive_seed(p.seed, "causal", method))
    entry = result.to_dict()
    entry["independence_passed"] = result.passed
    if p.causal_check.scorecard:
        entry["scorecard"] = score(train, synthetic, causal_map, p, method, reference)
    entry["passed"] = all(g is not False for g in gate_verdicts(entry).values())
    return entry


def gate_verdicts(entry: dict) -> dict[str, bool | None]:
    """Each gate's verdict in a generator's entry: True, False, or None where it does not apply (or was not run)."""
    card = entry.get("scorecard", {})
    return {"independence": bool(entry["independence_passed"]),
            **{k: (card[k].get("passed") if k in card else None) for k in SCORECARD}}


def mechanism_quality(train: pd.DataFrame, causal_map: CausalMap, p: Params, method: str) -> dict:
    """Out-of-fold skill of the mechanisms ``method`` fits (its own learner settings) on the real rows."""
    sampler = generators.make_generator(method, random_state=0, **p.generators.params.get(method, {}))
    frame = numeric_frame(train, causal_map)
    if len(frame) > 4 * p.causal_check.max_rows:
        frame = frame.sample(n=4 * p.causal_check.max_rows, random_state=derive_seed(p.seed, "quality", method))
    return out_of_fold_quality(frame, causal_map, learner=sampler.learner, max_iter=sampler.max_iter,
                               max_leaf_nodes=sampler.max_leaf_nodes, random_state=derive_seed(p.seed, "quality"))


def score(train: pd.DataFrame, synthetic: pd.DataFrame, causal_map: CausalMap, p: Params, method: str,
          reference: RealReference) -> dict:
    """The four scorecard measurements for one generator's rows (thresholds from causal_check)."""
    c = p.causal_check
    return {
        "structure": structure_recovery(train, synthetic, causal_map, alpha=c.alpha,
                                        max_shd_increase=c.max_shd_increase, max_rows=c.max_rows,
                                        seed=derive_seed(p.seed, "structure", method), reference=reference),
        "mechanisms": mechanism_fidelity(train, synthetic, causal_map, max_ks=c.max_mechanism_ks, alpha=c.alpha,
                                         max_rows=c.max_rows, seed=derive_seed(p.seed, "mechanisms", method),
                                         reference=reference),
        "effect": effect_consistency(train, synthetic, causal_map, max_effect_z=c.max_effect_z,
                                     seed=derive_seed(p.seed, "effect", method)),
        "counterfactual": counterfactual_sanity(train, synthetic, causal_map, learners=p.evaluate.learners,
                                                categorical=p.data.categorical,
                                                max_violation=c.max_monotone_violation,
                                                seed=derive_seed(p.seed, "counterfactual", method),
                                                reference=reference.counterfactual),
    }


if __name__ == "__main__":
    raise SystemExit(stage.main(run))
