"""Before a retraining run writes anything: check everything it will need, with the stages' own validators.

The params file is already checked when it is loaded; here the files and values it names are checked
against each other and against the data: the source is read (and checked as ingest checks it), the
causal map is parsed and checked against the data's columns, the contract parsed, every generator built
with its parameters (types and ranges included) and its memory need at this size checked against the machine's
(augmentation.generators.sizing), and every learner with its parameters.
"""

from __future__ import annotations

import pandas as pd

from augmentation import generators
from augmentation.data.table import check_table
from augmentation.generators.sizing import check_memory
from augmentation.learners import estimator
from augmentation.synthesis.classification import new_row_count, oversampling_ratio
from tasks import stage
from tasks.ingest import load_source
from tasks.params import Params


def check(p: Params) -> pd.DataFrame:
    """Raise the first problem as an OversamplingError (with its fix); return the source's rows, checked."""
    for learner in {*p.evaluate.learners, p.fairness.learner}:
        estimator(learner, params=p.evaluate.learners.get(learner, {}))  # names and parameter names
    frame, where = load_source(p)  # readable, target present, two classes, numeric columns numeric
    coded = check_table(frame, p.data.spec(), source=where)
    the_map = None
    if p.data.graph is not None:
        from tasks.maps import load_map
        the_map = load_map(p.data.graph).complete(coded, p.data.spec())  # nodes are columns, types and bounds hold
    labels = coded[p.data.target].to_numpy()
    oversampling_ratio(labels, p.generators.sampling_strategy)
    # The fit stage counts the training rows; a stratified split keeps about this many of each class there.
    n_minority = int((labels == 1).sum())
    n_train_minority = n_minority - int(n_minority * p.split.test_size)
    n_train = len(labels) - int(len(labels) * p.split.test_size)
    n_new = new_row_count(labels, p.generators.sampling_strategy) * n_train // max(len(labels), 1)
    for method in p.generators.methods:
        params = p.generators.params.get(method, {})
        generators.make_generator(method, random_state=0, causal_map=the_map, **params)
        generators.check_minority_rows(method, params, n_train_minority)
        check_memory(method, n_train, n_new, len(p.data.spec().features(coded)))  # refused now, not killed later
    from augmentation.contract.suite import load_suite  # last: Great Expectations takes seconds to import

    load_suite(p.data.contract)  # parseable, every expectation a known type
    stage.logger(__name__).info("preflight: %s, %d rows, %d generators and %d learners ready", where, len(frame),
                                len(p.generators.methods), len(p.evaluate.learners))
    return frame
