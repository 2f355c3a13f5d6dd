"""Stage 5: synthetic rows from every fitted generator, held to the causal map's constraints and the data contract."""

from __future__ import annotations

import pandas as pd

from augmentation import io
from augmentation.causal_map import CausalMap
from augmentation.constraints import ConstraintReport, apply_constraints
from augmentation.generators import store
from augmentation.synthesis import augment, mark, synthesize
from augmentation.table import TableSpec
from tasks import paths, stage
from tasks.params import Params
from tasks.validate import validate


def causal_map(p: Params, train: pd.DataFrame) -> CausalMap | None:
    """The map named in data.graph, checked against the training rows (None when there is none)."""
    if p.data.graph is None:
        return None
    from tasks.causal import load_map

    return load_map(p.data.graph).complete(train, p.data.spec())


def generate(method: str, train: pd.DataFrame, spec: TableSpec, *, seed: int | None = None,
             causal_map: CausalMap | None = None) -> pd.DataFrame:
    """Synthetic rows of the saved generator ``method`` (its own seed unless one is given)."""
    record = store.load(paths.generator_dir(method), train)
    return synthesize(train, spec, method=method, params=record["params"],
                      sampling_strategy=record["sampling_strategy"],
                      random_state=record["seed"] if seed is None else seed, causal_map=causal_map)


def generate_constrained(method: str, train: pd.DataFrame, p: Params, *, seed: int | None = None,
                         causal_map: CausalMap | None = None) -> tuple[pd.DataFrame, ConstraintReport | None]:
    """``generate``, then the map's constraints (constraints.mode); the report is None without a map."""
    synthetic = generate(method, train, p.data.spec(), seed=seed, causal_map=causal_map)
    if causal_map is None:
        return synthetic, None
    return apply_constraints(synthetic, causal_map, real=train, mode=p.constraints.mode, method=method)


def run(p: Params) -> list[str]:
    """Synthesize, constrain, validate and write the synthetic and augmented training sets."""
    train = pd.read_parquet(paths.TRAIN)
    spec = p.data.spec()
    log = stage.logger(__name__)
    the_map = causal_map(p, train)
    results, frames, constraints = {}, {}, {}
    # Everything is generated and validated before anything is written, so a failure leaves the last run intact.
    for method in p.generators.methods:
        synthetic, report = generate_constrained(method, train, p, causal_map=the_map)
        if report is not None:
            constraints[method] = report.to_dict()
            log.info("%s: constraints (%s) repaired %d and rejected %d of %d rows", method, report.mode,
                     report.n_rows_repaired, report.n_rows_rejected, report.n_rows_in)
        # The contract knows the original label values, not the pipeline's 0/1 coding.
        as_raw = synthetic.assign(**{spec.target: synthetic[spec.target].map({1: p.data.positive_label})})
        results[method] = validate(as_raw, p, name=f"{method}'s synthetic rows")
        frames[method] = synthetic
        log.info("%s: %d synthetic rows meet the contract", method, len(synthetic))
    written = []
    for method, synthetic in frames.items():
        io.write_parquet(mark(synthetic, method), paths.synthetic(method))
        io.write_parquet(augment(train, synthetic, method), paths.augmented(method))
        written += [str(paths.synthetic(method)), str(paths.augmented(method))]
    io.write_json(results, paths.SYNTHETIC_VALIDATION)
    io.write_json(constraints if the_map is not None else {"skipped": "no causal map named in data.graph"},
                  paths.CONSTRAINTS)
    return written + [str(paths.SYNTHETIC_VALIDATION), str(paths.CONSTRAINTS)]


if __name__ == "__main__":
    raise SystemExit(stage.main(run))
