"""Before a run writes anything: the source reads and passes the table checks, the causal map is acyclic and
names columns of the data, and the contract file is a suite. Each failure is one OversamplingError naming the
problem and its fix, raised before a Prefect server starts or an output moves.

(The atomic-runs branch grows this module into the full pre-flight, generators and learners included; the
function's name and return value are the same.)
"""

from __future__ import annotations

import pandas as pd

from tasks.ingest import load_source
from tasks.params import Params


def check(p: Params) -> pd.DataFrame:
    """Raise the first problem as an OversamplingError (with its fix); return the source's rows."""
    frame, _ = load_source(p)  # readable, target present, two classes, numeric columns numeric, no dates
    if p.data.graph is not None:
        from tasks.causal import load_map
        load_map(p.data.graph).complete(frame, p.data.spec())  # acyclic, nodes are columns, types and bounds hold
    from augmentation.contract.suite import load_suite

    load_suite(p.data.contract)  # the suite file only: validating the rows is the validate stage's job
    return frame
