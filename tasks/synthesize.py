"""Stage 5: synthetic rows from every fitted generator, held to the causal map's constraints and the data contract."""

from __future__ import annotations

import pandas as pd

from augmentation import generators
from augmentation.causal.constraints import ConstraintReport, apply_constraints
from augmentation.causal.map import CausalMap
from augmentation.data import io
from augmentation.data.table import TableSpec
from augmentation.generators import store
from augmentation.synthesis.classification import augment, mark, synthesize_with_diagnostics
from tasks import paths, stage
from tasks.maps import causal_map
from tasks.params import Params
from tasks.validate import validate


def generate(method: str, train: pd.DataFrame, spec: TableSpec, *, seed: int | None = None,
             causal_map: CausalMap | None = None) -> tuple[pd.DataFrame, dict | None]:
    """Synthetic rows of the saved generator ``method`` (its own seed unless one is given; a generator with a fit
    of its own, DAVID's weights or scm's mechanisms, keeps the fit of its own seed), and its ``diagnostics_`` if it
    reports any."""
    record = store.load(paths.generator_dir(method), train)
    params = dict(record["params"])
    settable = generators.make_generator(method, random_state=0, **params).get_params()
    if "pretrained" in settable:
        params["pretrained"] = str(paths.generator_dir(method))  # weights trained by the fit stage
    if "fit_random_state" in settable:  # one fit per run (scm): another generation seed draws from the same model
        params["fit_random_state"] = record["seed"]
    return synthesize_with_diagnostics(train, spec, method=method, params=params,
                                       sampling_strategy=record["sampling_strategy"],
                                       random_state=record["seed"] if seed is None else seed, causal_map=causal_map)


def generate_constrained(method: str, train: pd.DataFrame, p: Params, *, seed: int | None = None,
                         causal_map: CausalMap | None = None
                         ) -> tuple[pd.DataFrame, ConstraintReport | None, dict | None]:
    """``generate``, then the map's constraints (constraints.mode): the rows, the constraint report (None
    without a map) and the generator's diagnostics."""
    synthetic, diagnostics = generate(method, train, p.data.spec(), seed=seed, causal_map=causal_map)
    if causal_map is None:
        return synthetic, None, diagnostics
    synthetic, report = apply_constraints(synthetic, causal_map, real=train, mode=p.constraints.mode, method=method)
    return synthetic, report, diagnostics


def run_one(p: Params, method: str) -> dict:
    """One generator's rows: synthesized, constrained, validated against the contract, then written (synthetic and
    augmented sets). Returns ``{"validation", "constraints", "diagnostics"}`` for :func:`combine`."""
    train = pd.read_parquet(paths.TRAIN)
    spec = p.data.spec()
    log = stage.logger(__name__)
    synthetic, report, diagnostics = generate_constrained(method, train, p, causal_map=causal_map(p, train))
    if report is not None:
        log.info("%s: constraints (%s) repaired %d and rejected %d of %d rows", method, report.mode,
                 report.n_rows_repaired, report.n_rows_rejected, report.n_rows_in)
    # The contract knows the original label values, not the pipeline's 0/1 coding.
    as_raw = synthetic.assign(**{spec.target: synthetic[spec.target].map({1: p.data.positive_label})})
    validation = validate(as_raw, p, name=f"{method}'s synthetic rows")  # raises before anything is written
    log.info("%s: %d synthetic rows meet the contract", method, len(synthetic))
    io.write_parquet(mark(synthetic, method), paths.synthetic(method))
    io.write_parquet(augment(train, synthetic, method), paths.augmented(method))
    return {"validation": validation, "constraints": None if report is None else report.to_dict(),
            "diagnostics": diagnostics}


def combine(p: Params, results: dict[str, dict]) -> list[str]:
    """The contract's verdicts, the constraint reports and the generators' diagnostics, one file each."""
    methods = p.generators.methods
    io.write_json({m: results[m]["validation"] for m in methods}, paths.SYNTHETIC_VALIDATION)
    io.write_json({m: results[m]["constraints"] for m in methods} if p.data.graph is not None
                  else {"skipped": "no causal map named in data.graph"}, paths.CONSTRAINTS)
    io.write_json({m: results[m]["diagnostics"] for m in methods if results[m]["diagnostics"] is not None},
                  paths.GENERATOR_DIAGNOSTICS)  # per generator with a diagnostics_ attribute
    return [*(str(path) for m in methods for path in (paths.synthetic(m), paths.augmented(m))),
            str(paths.SYNTHETIC_VALIDATION), str(paths.CONSTRAINTS), str(paths.GENERATOR_DIAGNOSTICS)]


def run(p: Params) -> list[str]:
    """Synthesize, constrain, validate and write the synthetic and augmented training sets."""
    return combine(p, stage.each_method(p, p.generators.methods, run_one, "synthesize"))


if __name__ == "__main__":
    raise SystemExit(stage.main(run))
