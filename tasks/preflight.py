"""The checks a run can make before any stage writes: the source reads and passes the table checks, the contract
file is a suite, and the causal map is acyclic and names columns of the data. Each failure is one
OversamplingError naming the problem and its fix, raised before a Prefect server starts or an output moves."""

from __future__ import annotations

from augmentation.contract.suite import load_suite
from tasks.causal import load_map
from tasks.ingest import load_source
from tasks.params import Params


def check_inputs(p: Params) -> None:
    """Raise the first problem with the configured inputs; return quietly when a run can start."""
    frame, _ = load_source(p)  # reads the source and runs check_table on it
    load_suite(p.data.contract)  # the suite file only: validating the rows is the validate stage's job
    if p.data.graph is not None:
        load_map(p.data.graph).complete(frame, p.data.spec())
