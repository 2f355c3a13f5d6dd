"""Benchmark: the causal gates and the hold-out gain of every generator, and of an oracle, over seeds.

Run:  OMP_NUM_THREADS=1 .venv/bin/python docs/bench_causal.py [--rows 6000] [--seeds 10] [--jobs 2]
          [--methods none,oracle,...] [--datasets trauma,...] [--out docs/causal_bench_seeds.json]

A cell is dataset x method x seed. Its result is a JSON file under --cache named by a hash of the cell
and of the code that computes it (the library, tasks/causal.py, tasks/params.py, this script, the
library versions), so a rerun or a killed run resumes and a code change recomputes.

Every cell is scored like the pipeline's causal_check stage scores a generator: tasks.causal.check_method
with the default thresholds of tasks.params.CausalCheck, against one real-data reference per
dataset x seed (tasks.causal.run_reference), each gate's verdict from tasks.causal.gate_verdicts.

Methods: ``none`` (hold-out scores only), the generators of METHODS, and ``oracle``: minority rows drawn
fresh from the true model with another seed, as many as a generator makes for the cell (the minority
raised to the majority), through the constraint layer like every generator's. The oracle's pass rate
per gate is that gate's false-fail rate on the model. Sachs has no known true model: no oracle there.

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
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import math
import os
import platform
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere: the project's packages first

from augmentation.causal import calibration  # noqa: E402
from augmentation.causal.constraints import apply_constraints  # noqa: E402
from augmentation.causal.map import CausalMap  # noqa: E402
from augmentation.causal.scorecard import shd_scale  # noqa: E402
from augmentation.data import io  # noqa: E402
from augmentation.data.simulate import simulate_trauma  # noqa: E402
from augmentation.data.table import TableSpec, check_table  # noqa: E402
from augmentation.evaluation.metrics import score_predictions  # noqa: E402
from augmentation.learners import make_model  # noqa: E402
from augmentation.seeding import derive_seed  # noqa: E402
from augmentation.synthesis.classification import synthesize  # noqa: E402
from tasks.causal import GATES, check_method, gate_verdicts, run_reference  # noqa: E402
from tasks.params import Data, Generators, Params  # noqa: E402

METHODS = {"random": ("random", {}), "smote": ("smote", {}), "borderline1": ("borderline1", {}), "o2": ("o2", {}),
           "david": ("david", {}), "scm": ("scm", {}),
           "scm_cf": ("scm", {"mode": "counterfactual"})}
ORACLE, NONE = "oracle", "none"
ALL_METHODS = (NONE, ORACLE, *METHODS)
DATASETS = ("trauma", "collider", "mediator", "sachs", "child", "mixture")
SIMULATED = tuple(d for d in DATASETS if d != "sachs")  # the models whose truth is known: the oracle's
LEARNERS = Params().evaluate.learners  # the pipeline's own learners, as params.yaml ships them
CHECK = Params().causal_check  # the pipeline's default thresholds
SAMPLING_STRATEGY = Generators().sampling_strategy  # a generator raises the minority to this share of the majority


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


def mixture(n: int, seed: int) -> pd.DataFrame:
    """Mechanisms of other kinds: a two-mode root, multiplicative noise, a step effect, a count below the label."""
    rng = np.random.default_rng(seed)
    severe = rng.random(n) < 0.35
    severity = np.where(severe, rng.normal(3.0, 0.6, n), rng.normal(0.0, 1.0, n))  # two modes
    load = np.exp(0.4 * severity + rng.normal(0, 0.5, n))  # log-normal: the spread grows with the mean
    y = (rng.random(n) < _sigmoid(-4.0 + 1.2 * (severity > 2.0) + 0.5 * np.log(load)
                                  + 0.8 * severity * (load > 3.0))).astype(int)  # a step and an interaction
    visits = np.minimum(rng.poisson(np.exp(0.5 + 1.0 * y + 0.1 * severity)), 30)  # a count caused by the label
    return pd.DataFrame({"severity": severity, "load": load, "visits": visits, "y": y})


MIXTURE = {"label": "y", "nodes": ["severity", "load", "visits", "y"],
           "edges": [["severity", "load"], ["severity", "y"], ["load", "y"], ["y", "visits"], ["severity", "visits"]],
           "variables": {"load": {"bounds": [0, None]}, "visits": {"type": "integer", "bounds": [0, 30]}},
           "monotone": [["load", "y", "increasing"]], "exposure": "load"}


@dataclass(frozen=True)
class Model:
    """One dataset: training rows, a real hold-out, the table's spec, the causal map, and the true model's sampler."""

    name: str
    train: pd.DataFrame
    test: pd.DataFrame
    spec: TableSpec
    graph: dict
    draw: Callable[[int, int], pd.DataFrame] | None  # (rows, seed) -> rows of the true model; None: truth unknown


def load(name: str, rows: int, seed: int) -> Model | None:
    """Dataset ``name`` for ``seed`` (None when its package is not installed, with a line saying so)."""
    import yaml

    if name == "sachs":
        found = sachs(seed)
        if found is None:
            print("sachs: skipped (the cdt package is not installed: pip install --no-deps cdt==0.6.0)")
            return None
        _, train, test, spec, graph = found
        return Model(name, train, test, spec, graph, draw=None)
    if name == "trauma":
        spec = TableSpec(target="mortality", categorical=("sex",), integer=("age", "iss", "resp_rate", "gcs"))
        graph = yaml.safe_load((ROOT / "configs" / "trauma_graph.yaml").read_text())
        draw = _trauma
    elif name == "collider":
        spec, graph, draw = TableSpec(target="y"), COLLIDER, collider
    elif name == "mediator":
        spec, graph, draw = TableSpec(target="y", integer=("age", "count")), MEDIATOR, mediator
    elif name == "mixture":
        spec, graph, draw = TableSpec(target="y", integer=("visits",)), MIXTURE, mixture
    elif name == "child":
        found = child_truth()
        if found is None:
            print("child: skipped (pgmpy is not installed: pip install 'pgmpy>=1.1.2,<1.3')")
            return None
        draw, spec, graph = found
    else:
        raise ValueError(f"unknown dataset {name!r}; use names from {DATASETS}")
    return Model(name, draw(rows, seed), draw(rows, seed + 1000), spec, graph, draw)


def _trauma(n: int, seed: int) -> pd.DataFrame:
    return simulate_trauma(max(n, 100), seed=seed)


def child_truth():
    """The CHILD network's forward sampler, table spec and DAG; None when pgmpy is not installed."""
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
    return draw, spec, graph


def child_network(rows: int, seed: int):
    """(name, training rows, hold-out rows, spec, DAG) of the CHILD network; None when pgmpy is not installed."""
    found = child_truth()
    if found is None:
        return None
    draw, spec, graph = found
    return "child", draw(rows, seed), draw(rows, seed + 1000), spec, graph


def n_to_make(train: pd.DataFrame, target: str) -> int:
    """How many rows a generator makes for ``train``: imbalanced-learn's count for a float sampling_strategy."""
    y = train[target].to_numpy()
    return int(int((y == 0).sum()) * SAMPLING_STRATEGY - int((y == 1).sum()))


def oracle_rows(model: Model, train: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Minority rows drawn fresh from the true model with a seed of their own, as many as a generator makes."""
    need = n_to_make(train, model.spec.target)
    rate = max(float(train[model.spec.target].mean()), 0.005)
    found, drawn, batch = [], 0, 0
    while drawn < need:
        rows = check_table(model.draw(int(math.ceil((need - drawn) / rate * 1.2)) + 200,
                                      derive_seed(seed, "oracle", batch)), model.spec, source="the oracle's rows")
        minority = rows[rows[model.spec.target] == 1]
        found.append(minority)
        drawn += len(minority)
        batch += 1
    return pd.concat(found, ignore_index=True).iloc[:need][list(train.columns)].reset_index(drop=True)


def bench_params(spec: TableSpec, seed: int) -> Params:
    """The pipeline's parameters for one cell: the defaults, this table's columns, this seed."""
    data = Data(target=spec.target, positive_label=spec.positive_label, categorical=list(spec.categorical),
                integer=list(spec.integer), sensitive=None, graph=None)
    return Params(seed=seed, data=data)


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


def gate_statistics(entry: dict) -> dict[str, float | None]:
    """Per gate, the number its threshold is compared with (the gate passes when it is at most the threshold)."""
    card = entry.get("scorecard", {})
    structure, mechanisms = card.get("structure", {}), card.get("mechanisms", {})
    effect, counterfactual = card.get("effect", {}), card.get("counterfactual", {})
    significant = [r["ks"] for r in mechanisms.get("nodes", {}).values() if r["p_value_holm"] < mechanisms["alpha"]]
    return {
        "independence": float(entry["broken_share"]),  # <= max_broken_share (Holm over the independences)
        "structure": ((structure["shd_synthetic_vs_map"] - structure["shd_real_vs_map"])  # <= max_shd_increase
                      / shd_scale(structure["n_nodes_map"]) if "passed" in structure else None),
        "mechanisms": max(significant, default=0.0) if "passed" in mechanisms else None,  # <= max_mechanism_ks
        "effect": effect.get("shift_in_se") if "passed" in effect else None,  # <= max_effect_z
        "counterfactual": (max(r["share_against"] - r["share_against_real_refits_max"]  # <= max_monotone_violation
                               for r in counterfactual["probes"].values()) if "passed" in counterfactual else None),
    }


def score_cell(model: Model, train: pd.DataFrame, test: pd.DataFrame, the_map: CausalMap, method: str, seed: int,
               reference) -> dict:
    """One cell's record: each gate's verdict and statistic, the scorecard's headline numbers, hold-out scores."""
    spec = model.spec
    if method == NONE:
        return holdout(train, test, spec, seed)
    started = time.perf_counter()
    if method == ORACLE:
        synthetic = oracle_rows(model, train, seed)
    else:
        name, params = METHODS[method]
        synthetic = synthesize(train, spec, method=name, params=params, causal_map=the_map, random_state=seed)
    seconds = time.perf_counter() - started
    synthetic, report = apply_constraints(synthetic, the_map, real=train, mode="repair", method=method)
    entry = check_method(train, synthetic, the_map, bench_params(spec, seed), method, reference)
    card = entry["scorecard"]
    augmented = pd.concat([train, synthetic[train.columns]], ignore_index=True)
    return {"gates": {**gate_verdicts(entry), "causal": entry["passed"]}, "statistics": gate_statistics(entry),
            "n_synthetic": len(synthetic), "seconds": round(seconds, 2),
            "n_independences": entry["n_hold_real"], "n_broken": len(entry["broken"]),
            "shd_real_vs_map": card["structure"]["shd_real_vs_map"],
            "shd_synthetic_vs_map": card["structure"]["shd_synthetic_vs_map"],
            "mechanism_mean_ks": card["mechanisms"]["mean_ks"],
            "mechanism_max_ks": card["mechanisms"]["max_ks_observed"],
            "mechanisms_failed": card["mechanisms"]["failed"],
            "effect_real": card["effect"].get("real", {}).get("estimate"),
            "effect_synthetic": card["effect"].get("augmented", {}).get("estimate"),
            "counterfactual_failed": card["counterfactual"].get("failed"),
            "rows_repaired": report.n_rows_repaired, "rows_rejected": report.n_rows_rejected,
            **holdout(augmented, test, spec, seed)}


def code_version() -> str:
    """A hash of what decides a cell's numbers: the library, the causal stage, the params, this script, versions."""
    digest = hashlib.sha256()
    for dist in ("numpy", "pandas", "scikit-learn", "imbalanced-learn", "statsmodels", "causal-learn", "scipy",
                 "pgmpy", "cdt", "torch"):
        try:
            digest.update(f"{dist}={importlib.metadata.version(dist)};".encode())
        except importlib.metadata.PackageNotFoundError:
            digest.update(f"{dist}=none;".encode())
    files = sorted((ROOT / "augmentation").rglob("*.py")) + [
        ROOT / "tasks" / "causal.py", ROOT / "tasks" / "params.py", Path(__file__).resolve(),
        ROOT / "configs" / "trauma_graph.yaml"]
    for path in files:
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def cell_path(cache: Path, dataset: str, method: str, seed: int, rows: int, code: str) -> Path:
    text = json.dumps({"dataset": dataset, "method": method, "seed": seed, "rows": rows,
                       "params": METHODS.get(method), "code": code}, sort_keys=True)
    return cache / f"{dataset}-{method}-{seed}-{hashlib.sha256(text.encode()).hexdigest()[:16]}.json"


def run_group(dataset: str, seed: int, methods: list[str], rows: int, cache: str, code: str) -> list[dict]:
    """The cells of one dataset x seed, each from the cache or computed now and cached (atomically)."""
    out, pending = [], {}
    for method in methods:
        path = cell_path(Path(cache), dataset, method, seed, rows, code)
        if path.exists():
            out.append({**json.loads(path.read_text()), "cached": True})
        else:
            pending[method] = path
    if not pending:
        return out
    model = load(dataset, rows, seed)
    if model is None:
        return out
    train, test = check_table(model.train, model.spec), check_table(model.test, model.spec)
    the_map = CausalMap.from_dict(model.graph).complete(train, model.spec)
    reference = run_reference(train, the_map, bench_params(model.spec, seed))
    for method, path in pending.items():
        if method == ORACLE and model.draw is None:
            continue  # no known true model (sachs)
        started = time.perf_counter()
        try:
            record = {"status": "ok", **score_cell(model, train, test, the_map, method, seed, reference)}
        except Exception as exc:  # a generator that cannot run here is reported, not hidden
            record = {"status": "error", "error": f"{type(exc).__name__}: {str(exc).splitlines()[0]}"}
        record = {"dataset": dataset, "method": method, "seed": seed, "rows": rows, **record,
                  "cell_seconds": round(time.perf_counter() - started, 2)}
        io.write_json(record, path)
        print(f"{dataset} {method} seed {seed}: {record.get('gates', record.get('error', ''))}", flush=True)
        out.append({**record, "cached": False})
    return out


def run(rows: int, seeds: int, methods: list[str], datasets: list[str], cache: Path, jobs: int,
        first_seed: int = 0) -> list[dict]:
    """Every cell, dataset x seed groups in parallel over ``jobs`` processes (one real reference per group)."""
    code = code_version()
    cache.mkdir(parents=True, exist_ok=True)
    groups = [(d, s) for s in range(first_seed, first_seed + seeds) for d in datasets]
    if jobs <= 1:
        records = [r for d, s in groups for r in run_group(d, s, methods, rows, str(cache), code)]
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(run_group, d, s, methods, rows, str(cache), code) for d, s in groups]
            records = [r for f in futures for r in f.result()]
    order = {m: k for k, m in enumerate(ALL_METHODS)}
    return sorted(records, key=lambda r: (DATASETS.index(r["dataset"]), order[r["method"]], r["seed"]))


def _mean_sd(values: list[float]) -> dict | None:
    values = [float(v) for v in values if v is not None]
    if not values:
        return None
    return {"mean": round(float(np.mean(values)), 4), "sd": round(float(np.std(values, ddof=1)) if len(values) > 1
                                                                 else 0.0, 4), "n": len(values)}


def summarise(records: list[dict]) -> list[dict]:
    """Per dataset x method over its seeds: each gate's pass rate, the mean and sd of each score."""
    out = []
    keys = sorted({(r["dataset"], r["method"]) for r in records},
                  key=lambda k: (DATASETS.index(k[0]), ALL_METHODS.index(k[1])))
    for dataset, method in keys:
        cells = [r for r in records if (r["dataset"], r["method"]) == (dataset, method)]
        ok = [r for r in cells if r["status"] == "ok"]
        row = {"dataset": dataset, "method": method, "seeds": len(cells), "errors": len(cells) - len(ok)}
        if ok and "gates" in ok[0]:
            row["pass_rate"], row["statistics"] = {}, {}
            for gate in (*GATES, "causal"):
                verdicts = [r["gates"][gate] for r in ok if r["gates"][gate] is not None]
                row["pass_rate"][gate] = (round(sum(verdicts) / len(verdicts), 4) if verdicts else None)
            for gate in GATES:
                row["statistics"][gate] = _mean_sd([r["statistics"][gate] for r in ok])
            for score in ("mechanism_mean_ks", "shd_synthetic_vs_map", "shd_real_vs_map", "n_independences"):
                row[score] = _mean_sd([r[score] for r in ok])
        for score in ("cart_auc", "logreg_auc", "cart_f1", "logreg_f1", "seconds"):
            if ok and score in ok[0]:
                row[score] = _mean_sd([r[score] for r in ok])
        out.append(row)
    return out


def thresholds_for_oracle(records: list[dict], share: float = 0.95) -> dict:
    """Per simulated model and gate: the smallest threshold at which the oracle passes in ``share`` of its seeds."""
    out = {}
    for dataset in DATASETS:
        cells = [r for r in records if r["dataset"] == dataset and r["method"] == ORACLE and r["status"] == "ok"]
        if not cells:
            continue
        out[dataset] = {}
        for gate in GATES:
            values = sorted(r["statistics"][gate] for r in cells if r["statistics"][gate] is not None)
            if values:
                out[dataset][gate] = values[math.ceil(share * len(values)) - 1]
    return out


DEFAULTS = {gate: getattr(CHECK, name) for gate, name in calibration.THRESHOLDS.items()}


def _gate_cell(row: dict, gate: str) -> str:
    rate, stat = row["pass_rate"].get(gate), row["statistics"].get(gate) if gate in GATES else None
    if rate is None:
        return "n/a"
    text = f"{rate:.0%}"
    if stat is not None:
        text += f" · {stat['mean']:.3g} ± {stat['sd']:.2g}"
    return text


def table(summary: list[dict]) -> str:
    head = ["dataset", "method", "seeds", *(f"{g} (≤ {DEFAULTS[g]})" for g in GATES), "causal gate",
            "mech. KS mean", "CART AUC", "LR AUC"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in summary:
        def ms(key: str, row=row) -> str:
            v = row.get(key)
            return f"{v['mean']:.3f} ± {v['sd']:.3f}" if v else ""

        if "pass_rate" not in row:
            cells = [row["dataset"], row["method"], row["seeds"], *([""] * (len(GATES) + 2)),
                     ms("cart_auc"), ms("logreg_auc")]
        else:
            cells = [row["dataset"], row["method"], row["seeds"], *(_gate_cell(row, g) for g in GATES),
                     _gate_cell(row, "causal"), ms("mechanism_mean_ks"), ms("cart_auc"), ms("logreg_auc")]
        if row["errors"]:
            cells[2] = f"{row['seeds']} ({row['errors']} errors)"
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines)


def machine() -> str:
    return f"{platform.node()}: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=6000)
    parser.add_argument("--seeds", type=int, default=10, help="how many seeds, from --first-seed on")
    parser.add_argument("--first-seed", type=int, default=0,
                        help="e.g. 10 to check thresholds calibrated on seeds 0-9 on seeds they were not set on")
    parser.add_argument("--methods", default=",".join(ALL_METHODS))
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--jobs", type=int, default=1, help="processes, one dataset x seed each")
    parser.add_argument("--cache", default="reports/bench_causal/cells")
    parser.add_argument("--out", default="docs/causal_bench_seeds.json")
    args = parser.parse_args()
    methods, datasets = args.methods.split(","), args.datasets.split(",")
    unknown = [m for m in methods if m not in ALL_METHODS] + [d for d in datasets if d not in DATASETS]
    if unknown:
        parser.error(f"unknown method(s) or dataset(s) {unknown}; use {list(ALL_METHODS)} and {list(DATASETS)}")
    if "sachs" in datasets and ORACLE in methods:
        print("sachs: no oracle (the true model of the Sachs cells is unknown)")
    started = time.perf_counter()
    records = run(args.rows, args.seeds, methods, datasets, Path(args.cache), args.jobs, args.first_seed)
    wall = time.perf_counter() - started
    summary = summarise(records)
    result = {"command": " ".join(["docs/bench_causal.py", *sys.argv[1:]]), "machine": machine(),
              "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "wall_seconds": round(wall, 1),
              "computed": sum(not r["cached"] for r in records), "from_cache": sum(r["cached"] for r in records),
              "thresholds": DEFAULTS, "alpha": CHECK.alpha, "oracle_thresholds_for_95": thresholds_for_oracle(records),
              "summary": summary, "cells": [{k: v for k, v in r.items() if k != "cached"} for r in records]}
    io.write_json(result, Path(args.out))
    if set(datasets) >= set(SIMULATED) and ORACLE in methods and args.seeds >= 10:
        seeds = len({r["seed"] for r in records if r["method"] == ORACLE})
        io.write_json({"command": result["command"], "date": result["date"], "rows": args.rows, "seeds": seeds,
                       "thresholds": DEFAULTS, "alpha": CHECK.alpha,
                       "false_fail": calibration.false_fail_rates(records, oracle=ORACLE, gates=GATES)},
                      calibration.PATH)
        print(f"wrote the oracle's false-fail rates to {calibration.PATH.relative_to(ROOT)}")
    print(table(summary))
    print("oracle: smallest threshold passing >= 95% of seeds:", json.dumps(result["oracle_thresholds_for_95"]))
    print(f"{len(records)} cells ({result['computed']} computed, {result['from_cache']} from cache) in {wall:.0f} s")


if __name__ == "__main__":
    main()
