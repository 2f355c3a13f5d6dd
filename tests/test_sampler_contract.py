"""Every classification generator of the registry keeps imbalanced-learn's sampler contract.

imbalanced-learn's own estimator checks (clone, fit_resample on arrays, lists, frames, float32,
multi-class, a 2-D target, sampling_strategy, feature names out...) run on one instance per
registry entry. An instance is built through ``make_generator`` as the pipeline builds it, with
only what the check data need changed (named in ``CHECK_PARAMS``).
"""

from __future__ import annotations

from imblearn.utils.estimator_checks import parametrize_with_checks

from augmentation import generators

# What a checkable instance needs beyond the registry's defaults, and why.
CHECK_PARAMS = {
    # the check data (make_classification) have no categorical column: code column 0 as one; SMOTE-NC
    # then treats its values as categories, which is what it does with any ordinal-coded column
    "smotenc": {"categorical_features": [0]},
    # DAVID trains a β-VAE: a tiny one for a few epochs keeps the checks fast; the checks' smallest data
    # have 20 rows, under the default batch of 64, so a batch of 8
    "david": {"epochs": 2, "patience": 1, "hidden": 8, "batch_size": 8},
    # SCM without a map is the graph-free model (each column drawn from its class's values): the checks'
    # data come with no causal knowledge, and that model is what such data support
    "scm": {},
}

_DENSE_ONLY = ("declares input_tags.sparse=False and rejects sparse data with a DataError naming the fix; "
               "imbalanced-learn yields this check from the dataframe tag alone, so it runs anyway")
EXPECTED_FAILURES: dict[str, dict[str, str]] = {
    # the network, the causal mechanisms, LoRAS' t-SNE and imbalanced-learn's borderline-2 step are dense code
    "david": {"check_samplers_pandas_sparse": "DAVID " + _DENSE_ONLY},
    "scm": {"check_samplers_pandas_sparse": "SCM " + _DENSE_ONLY},
    "loras": {"check_samplers_pandas_sparse": "LoRAS " + _DENSE_ONLY},
    "borderline2": {"check_samplers_pandas_sparse": "Borderline-2 " + _DENSE_ONLY},
    "smotenc": {
        "check_samplers_string": "the check's data are one string column, the categorical column 0, and "
                                 "nothing else; SMOTE-NC interpolates the numerical columns and refuses data "
                                 "without one by design (smote or random oversample all-categorical data)",
    },
}

INSTANCES = {name: generators.make_generator(name, random_state=0, **CHECK_PARAMS.get(name, {}))
             for name in generators.available()}


def _entry(estimator) -> str:
    return next(name for name, instance in INSTANCES.items() if instance is estimator)


def test_every_entry_has_a_checked_instance():
    assert set(INSTANCES) == set(generators.available())
    assert set(EXPECTED_FAILURES) <= set(INSTANCES)


@parametrize_with_checks(list(INSTANCES.values()),
                         expected_failed_checks=lambda e: EXPECTED_FAILURES.get(_entry(e), {}))
def test_sampler_contract(estimator, check):
    check(estimator)
