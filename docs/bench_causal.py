"""Benchmark: the causal-fidelity scorecard and the hold-out gain of every generator on SCMs with known graphs.

Run:  OMP_NUM_THREADS=1 .venv/bin/python docs/bench_causal.py [--rows 6000] [--seed 0] [--out docs/causal_bench.json]

Datasets (training rows and a separate real hold-out drawn from the same model):
- trauma: the project's simulator (augmentation.data.simulate) with configs/trauma_graph.yaml;
- collider: two independent causes of a rare label (a collider into the label), a child of one
  cause and a child of the label;
- mediator: a bounded exposure (a proportion in [0, 1]) acting on the label directly and through an
  integer, bounded mediator (a count in 0..20), plus an immutable integer age;
- sachs: the Sachs et al. (2005) flow-cytometry data (7466 cells, pooled conditions) shipped in the
  `cdt` package (installed with --no-deps by `make setup`; read as a file, cdt is not imported), log
  transformed, with cdt's consensus graph minus the edge PIP2 -> PIP3 (it closes the cycle
  PIP2 -> PIP3 -> plcg -> PIP2). The minority is Raf's rare high regime: praf above its 95th
  percentile becomes the label (parents PKC and PKA, child pmek); there is no separate hold-out, so
  the cells are split 60/40 (stratified, seeded);
- child: the CHILD Bayesian network (Spiegelhalter 1992, 20 discrete nodes, 25 edges) bundled with
  pgmpy (read from the package, nothing downloaded), sampled forward (training and hold-out with
  different seeds); the label is HypDistrib = Unequal (about 10%, parents DuctFlow and CardiacMixing,
  child LowerBodyO2); its DAG is the map. The other nodes stay categorical, except the exposure
  DuctFlow, coded by its flow direction (0 left-to-right, 1 none, 2 right-to-left) as a bounded
  integer so the backdoor effect has a per-unit scale.
Every generator's rows go through the constraint layer (repair) like in the pipeline.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from augmentation import generators
from augmentation.causal.constraints import apply_constraints
from augmentation.causal.independence import check_causal_structure
from augmentation.causal.map import CausalMap
from augmentation.causal.scorecard import (
    counterfactual_sanity,
    effect_consistency,
    mechanism_fidelity,
    structure_recovery,
)
from augmentation.data.simulate import simulate_trauma
from augmentation.data.table import TableSpec, check_table
from augmentation.evaluation.metrics import score_predictions
from augmentation.learners import make_model
from augmentation.synthesis.classification import synthesize
from tasks.params import Evaluate

METHODS = {"smote": ("smote", {}), "borderline1": ("borderline1", {}), "o2": ("o2", {}), "david": ("david", {}),
           "scm": ("scm", {"mode": "ancestral"}), "scm_cf": ("scm", {"mode": "counterfactual"})}
LEARNERS = Evaluate().learners  # the pipeline's own learners, as params.yaml ships them


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def collider(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(0, 1, n), rng.gamma(2.0, 1.0, n)
    z = np.sin(2 * x1) + 0.5 * x1 + rng.normal(0, 0.5, n)
    y = (rng.random(n) < _sigmoid(-5.0 + 1.5 * x1 ** 2 + 0.8 * x2)).astype(int)
    w = 2.0 * y + 0.5 * x2 + rng.normal(0, 1, n)
    return pd.DataFrame({"x1": x1, "x2": x2, "z": z, "w": w, "y": y})


COLLIDER = {"label": "y", "nodes": ["x1", "x2", "z", "w", "y"],
            "edges": [["x1", "z"], ["x1", "y"], ["x2", "y"], ["y", "w"], ["x2", "w"]],
            "variables": {"x2": {"bounds": [0, None]}},
            "monotone": [["x2", "y", "increasing"]], "exposure": "x2"}


def mediator(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 90, n)
    exposure = rng.beta(2 + age / 40, 5, n)  # a proportion, bounded in [0, 1]
    count = np.minimum(rng.poisson(1 + 8 * exposure ** 2), 20)  # integer mediator, bounded 0..20
    y = (rng.random(n) < _sigmoid(-6.0 + 3.0 * exposure + 0.35 * count + 0.02 * (age - 50))).astype(int)
    return pd.DataFrame({"age": age, "exposure": exposure, "count": count, "y": y})


MEDIATOR = {"label": "y", "nodes": ["age", "exposure", "count", "y"],
            "edges": [["age", "exposure"], ["exposure", "count"], ["exposure", "y"], ["count", "y"], ["age", "y"]],
            "variables": {"age": {"type": "integer", "bounds": [18, 89], "immutable": True},
                          "exposure": {"bounds": [0, 1]}, "count": {"type": "integer", "bounds": [0, 20]}},
            "monotone": [["exposure", "y", "increasing"], ["count", "y", "increasing"]], "exposure": "exposure"}


def datasets(rows: int, seed: int):
    import yaml

    trauma_spec = TableSpec(target="mortality", categorical=("sex",), integer=("age", "iss", "resp_rate", "gcs"))
    trauma_map = yaml.safe_load(Path("configs/trauma_graph.yaml").read_text())
    yield ("trauma", simulate_trauma(rows, seed=seed), simulate_trauma(rows, seed=seed + 1000), trauma_spec, trauma_map)
    yield "collider", collider(rows, seed), collider(rows, seed + 1000), TableSpec(target="y"), COLLIDER
    yield ("mediator", mediator(rows, seed), mediator(rows, seed + 1000),
           TableSpec(target="y", integer=("age", "count")), MEDIATOR)
    found = sachs(seed)
    if found is None:
        print("sachs: skipped (the cdt package is not installed: pip install --no-deps cdt==0.6.0)")
    else:
        yield found
    found = child_network(rows, seed)
    if found is None:
        print("child: skipped (pgmpy is not installed: pip install 'pgmpy>=1.1.2,<1.3')")
    else:
        yield found


def child_network(rows: int, seed: int):
    import importlib.util
    import warnings

    if importlib.util.find_spec("pgmpy") is None:
        return None
    from pgmpy.utils import get_example_model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # get_example_model's deprecation notice (removed in 1.3)
        model = get_example_model("child")
    nodes = list(model.nodes())
    flow = {state: code for code, state in enumerate(["Lt_to_Rt", "None", "Rt_to_Lt"])}

    def draw(n: int, draw_seed: int) -> pd.DataFrame:
        frame = model.simulate(n_samples=n, seed=draw_seed, show_progress=False)[nodes].astype(str)
        frame["DuctFlow"] = frame["DuctFlow"].map(flow).astype("int64")
        return frame

    categorical = tuple(n for n in nodes if n not in ("HypDistrib", "DuctFlow"))
    graph = {"label": "HypDistrib", "nodes": nodes, "edges": [list(e) for e in model.edges()],
             "variables": {"DuctFlow": {"type": "integer", "bounds": [0, 2]}}, "exposure": "DuctFlow"}
    spec = TableSpec(target="HypDistrib", positive_label="Unequal", categorical=categorical, integer=("DuctFlow",))
    return "child", draw(rows, seed), draw(rows, seed + 1000), spec, graph


def sachs(seed: int):
    import importlib.util

    from sklearn.model_selection import train_test_split

    spec = importlib.util.find_spec("cdt")
    if spec is None or not spec.submodule_search_locations:
        return None
    resources = Path(spec.submodule_search_locations[0]) / "data" / "resources"
    data = np.log(pd.read_csv(resources / "cyto_full_data.csv").clip(lower=0.01))
    edges = [tuple(e) for e in pd.read_csv(resources / "cyto_full_target.csv").itertuples(index=False)]
    edges = [e for e in edges if e != ("PIP2", "PIP3")]
    data.columns = [c.replace("/", "_") for c in data.columns]
    edges = [(a.replace("/", "_"), b.replace("/", "_")) for a, b in edges]
    data["praf"] = (data["praf"] > data["praf"].quantile(0.95)).astype(int)
    graph = {"label": "praf", "nodes": list(data.columns), "edges": [list(e) for e in edges],
             "exposure": "PKC"}
    train, test = train_test_split(data, test_size=0.4, stratify=data["praf"], random_state=seed)
    return "sachs", train.reset_index(drop=True), test.reset_index(drop=True), TableSpec(target="praf"), graph


def holdout(train: pd.DataFrame, test: pd.DataFrame, spec: TableSpec, seed: int) -> dict:
    out = {}
    for learner, params in LEARNERS.items():
        model = make_model(learner, numeric=spec.numeric(train), categorical=list(spec.categorical), params=params,
                           class_weight=None, random_state=seed)
        model.fit(train[spec.features(train)], train[spec.target])
        scores = score_predictions(test[spec.target], model.predict_proba(test[spec.features(test)])[:, 1])
        out[f"{learner}_auc"], out[f"{learner}_f1"] = round(scores["roc_auc"], 4), round(scores["f1"], 4)
    return out


def run(rows: int, seed: int) -> list[dict]:
    results = []
    for name, raw_train, raw_test, spec, map_dict in datasets(rows, seed):
        train, test = check_table(raw_train, spec), check_table(raw_test, spec)
        the_map = CausalMap.from_dict(map_dict).complete(train, spec)
        print(f"{name}: {len(train)} rows, minority {train[spec.target].mean():.1%}", flush=True)
        results.append({"dataset": name, "method": "none", **holdout(train, test, spec, seed),
                        "shd_real_vs_map": structure_recovery(train, train[train[spec.target] == 1], the_map,
                                                              seed=seed)["shd_real_vs_map"]})
        for label, (method, params) in METHODS.items():
            started = time.perf_counter()
            try:
                synthetic = synthesize(train, spec, method=method, params=params, causal_map=the_map,
                                       random_state=seed)
            except Exception as exc:  # a generator that cannot run here is reported, not hidden
                results.append({"dataset": name, "method": label, "error": str(exc).splitlines()[0]})
                continue
            seconds = time.perf_counter() - started
            synthetic, report = apply_constraints(synthetic, the_map, real=train, mode="repair", method=label)
            independence = check_causal_structure(train, synthetic, nodes=the_map.nodes, edges=the_map.edges,
                                                  label=spec.target, categorical=list(spec.categorical),
                                                  alpha=0.01, seed=seed)
            structure = structure_recovery(train, synthetic, the_map, seed=seed)
            mechanisms = mechanism_fidelity(train, synthetic, the_map, seed=seed)
            effect = effect_consistency(train, synthetic, the_map, seed=seed)
            sanity = counterfactual_sanity(train, synthetic, the_map, learners=LEARNERS,
                                           categorical=list(spec.categorical), seed=seed)
            augmented = pd.concat([train, synthetic[train.columns]], ignore_index=True)
            row = {"dataset": name, "method": label, "seconds": round(seconds, 2),
                   "independence_agreement": round(1 - independence.broken_share, 4),
                   "n_independences": independence.n_hold_real,
                   "shd_real_vs_map": structure["shd_real_vs_map"],
                   "shd_synthetic_vs_map": structure["shd_synthetic_vs_map"],
                   "mechanism_mean_ks": mechanisms["mean_ks"], "mechanism_max_ks": mechanisms["max_ks_observed"],
                   "mechanism_worst": mechanisms["worst_node"], "mechanisms_failed": mechanisms["failed"],
                   "effect_real": round(effect["real"]["estimate"], 4) if "real" in effect else None,
                   "effect_synthetic": round(effect["augmented"]["estimate"], 4) if "real" in effect else None,
                   "effect_shift_se": effect.get("shift_in_real_se"),
                   "counterfactual_failed": (f"{len(sanity['failed'])}/{len(sanity['probes'])}"
                                             if "probes" in sanity else "n/a"),
                   "counterfactual_passed": sanity.get("passed"),
                   "rows_repaired": report.n_rows_repaired, "rows_rejected": report.n_rows_rejected,
                   **holdout(augmented, test, spec, seed)}
            results.append(row)
            print(json.dumps(row), flush=True)
    return results


def table(results: list[dict]) -> str:
    head = ["dataset", "method", "indep. agree", "SHD real/synth (to map)", "mech. KS mean / max (node)",
            "effect real → synth (shift, SE)", "cf. probes failed", "repaired/rejected", "CART AUC", "LR AUC",
            "CART F1", "LR F1", "s"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['dataset']} | {r['method']} | error: {r['error']} |" + " |" * (len(head) - 3))
            continue
        if r["method"] == "none":
            cells = [r["dataset"], "none", "", f"{r['shd_real_vs_map']} / –", "", "", "", "",
                     r["cart_auc"], r["logreg_auc"], r["cart_f1"], r["logreg_f1"], ""]
        else:
            cells = [r["dataset"], r["method"], f"{r['independence_agreement']:.0%} of {r['n_independences']}",
                     f"{r['shd_real_vs_map']} / {r['shd_synthetic_vs_map']}",
                     f"{r['mechanism_mean_ks']} / {r['mechanism_max_ks']} ({r['mechanism_worst']})",
                     f"{r['effect_real']} → {r['effect_synthetic']} ({r['effect_shift_se']})",
                     r["counterfactual_failed"], f"{r['rows_repaired']}/{r['rows_rejected']}",
                     r["cart_auc"], r["logreg_auc"], r["cart_f1"], r["logreg_f1"], r["seconds"]]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=6000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="docs/causal_bench.json")
    args = parser.parse_args()
    print("registered generators:", ", ".join(generators.available()))
    results = run(args.rows, args.seed)
    Path(args.out).write_text(json.dumps(results, indent=1))
    print(table(results))


if __name__ == "__main__":
    main()
