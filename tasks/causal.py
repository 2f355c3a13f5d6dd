"""Stage 6: the causal-fidelity scorecard -- implied independences, structure, mechanisms, effect,
counterfactual sanity."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from augmentation import generators
from augmentation.causal.independence import check_causal_structure
from augmentation.causal.map import CausalMap
from augmentation.causal.mechanisms import out_of_fold_quality
from augmentation.causal.scorecard import (
    RealReference,
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
from tasks.params import Params, read_yaml


def load_map(path: str | Path) -> CausalMap:
    """The causal map file named in data.graph, checked (acyclic, known nodes, valid per-variable entries)."""
    path = Path(path)
    raw = read_yaml(path, what="causal graph file", fix="fix data.graph in params.yaml, or set it to null")
    return CausalMap.from_dict(raw, source=str(path))


def write_map(causal_map: CausalMap, path: str | Path, *, header: str = "", extra: dict | None = None) -> None:
    """Write a map as YAML (atomically), with an optional comment header and extra top-level keys."""
    text = yaml.safe_dump({**causal_map.to_dict(), **(extra or {})}, sort_keys=False, default_flow_style=None)
    io.write_text("".join(f"# {line}\n" for line in header.splitlines()) + text, Path(path))


def run(p: Params) -> list[str]:
    """Per generator: the implied independences, then the causal-fidelity scorecard; one verdict each."""
    if p.data.graph is None:
        io.write_json({"skipped": "no causal graph named in data.graph"}, paths.CAUSAL)
        return [str(paths.CAUSAL)]
    train = pd.read_parquet(paths.TRAIN)
    causal_map = load_map(p.data.graph).complete(train, p.data.spec())
    nodes, edges = list(causal_map.nodes), list(causal_map.edges)
    log = stage.logger(__name__)
    # one real-data reference for every generator of the run (the same PC graph, the same fitted mechanisms)
    reference = (real_reference(train, causal_map, alpha=p.causal_check.alpha, max_rows=p.causal_check.max_rows,
                                seed=derive_seed(p.seed, "causal-reference")) if p.causal_check.scorecard else None)
    results = {}
    for method in p.generators.methods:
        synthetic = pd.read_parquet(paths.synthetic(method)).drop(columns=PROVENANCE)
        result = check_causal_structure(
            train, synthetic, nodes=nodes, edges=edges, label=p.data.target, categorical=p.data.categorical,
            alpha=p.causal_check.alpha, max_broken_share=p.causal_check.max_broken_share, method=method,
            seed=derive_seed(p.seed, "causal", method))
        entry = result.to_dict()
        entry["independence_passed"] = result.passed
        log.info("%s: %d of %d implied independences broken (%s)", method, len(result.broken),
                 result.n_hold_real, "pass" if result.passed else "FAIL")
        if p.causal_check.scorecard:
            entry["scorecard"] = score(train, synthetic, causal_map, p, method, reference)
            gates = [entry["scorecard"][k].get("passed") for k in SCORECARD]
            entry["passed"] = bool(result.passed and all(g is not False for g in gates))
            log.info("%s: scorecard %s", method, ", ".join(
                f"{k} {'n/a' if g is None else 'pass' if g else 'FAIL'}"
                for k, g in zip(SCORECARD, gates, strict=True)))
            if generators.needs_map(method):
                entry["mechanism_quality"] = mechanism_quality(train, causal_map, p, method)
                poor = [n for n, q in entry["mechanism_quality"].items() if not q["trusted"]]
                if poor:
                    log.warning("%s: mechanism(s) of %s fit worse out of fold than a linear model or than no "
                                "parents; do not trust %s's rows on them", method, ", ".join(poor), method)
        results[method] = entry
    io.write_json(results, paths.CAUSAL)
    return [str(paths.CAUSAL)]


SCORECARD = ("structure", "mechanisms", "effect", "counterfactual")


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
                                                seed=derive_seed(p.seed, "counterfactual", method)),
    }


if __name__ == "__main__":
    raise SystemExit(stage.main(run))
