"""Benchmark: immutable repairs and mechanism fidelity of every generator on the built-in trauma data.

Run:  OMP_NUM_THREADS=1 .venv/bin/python docs/bench_immutables.py [--rows 20000] [--seed 0] [--methods smote,o2]

Per generator: rows made, how its rows got the immutable variables (age, sex in
configs/trauma_graph.yaml; augmentation.generators.IMMUTABLE_RULES), the share of rows whose
immutables equal those of their source real minority row, the rows whose immutables the constraint
layer had to repair, and the scorecard's mean per-node mechanism residual KS on the kept rows.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from augmentation import generators
from augmentation.causal.constraints import apply_constraints
from augmentation.causal.scorecard import mechanism_fidelity, real_reference
from augmentation.data.simulate import simulate_trauma
from augmentation.data.table import TableSpec, check_table
from augmentation.synthesis.classification import synthesize_rows
from tasks.maps import load_map

SPEC = TableSpec(target="mortality", categorical=("sex",), integer=("age", "iss", "resp_rate", "gcs"))
MAP = Path(__file__).resolve().parents[1] / "configs" / "trauma_graph.yaml"
IMMUTABLE = ["age", "sex"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--methods", default=",".join(generators.available()))
    args = parser.parse_args()
    train = check_table(simulate_trauma(args.rows, seed=args.seed), SPEC)
    the_map = load_map(MAP).complete(train, SPEC)
    reference = real_reference(train, the_map, seed=args.seed)
    results = {}
    for method in args.methods.split(","):
        start = time.perf_counter()
        made = synthesize_rows(train, SPEC, method=method, causal_map=the_map, random_state=args.seed)
        kept, report = apply_constraints(made.rows, the_map, real=train, mode="repair", method=method)
        fidelity = mechanism_fidelity(train, kept, the_map, seed=args.seed, reference=reference)
        held = (None if made.sources is None else float(
            (made.rows[IMMUTABLE].to_numpy() == train[IMMUTABLE].to_numpy()[made.sources]).all(axis=1).mean()))
        results[method] = {"rows": report.n_rows_in, "rule": generators.immutable_rule(method),
                           "held_from_source": held, "immutable_repairs": report.repaired.get("immutable", 0),
                           "mean_ks": fidelity["mean_ks"], "seconds": round(time.perf_counter() - start, 1)}
        print(method, json.dumps(results[method]), flush=True)


if __name__ == "__main__":
    main()
