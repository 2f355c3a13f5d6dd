"""causal-oversampling's library: numpy, pandas, scikit-learn, imbalanced-learn, torch; never prefect, dvc or yaml.

One concept per subpackage, imports pointing one way (a later room may import an earlier one, never back):

    errors, seeding, learners   the core every room uses: the one error type, named child seeds, the learners
    data        reading, writing and checking tables; the trauma simulator; the German credit example; target rarity
    contract    Great Expectations data contracts: validate a frame, draft a suite
    causal      the causal map, its graph, mechanisms, constraints, independence check, scorecard, discovery
    generators  the samplers (SMOTE family, O², LoRAS, DAVID, scm), a registry by name, their stored form
    synthesis   a table in, synthetic rows out: encoding, sampling, decoding (classification and regression)
    evaluation  metrics, the hold-out protocols and fairness
    monitoring  drift of the minority rows and the generator-version registry
    reporting   the self-contained audit page
    bench       the benchmark: datasets, cells, statistics, report, speed

Importing the package first pins the numeric libraries' CPU kernels (:mod:`augmentation.kernels`), so the
same seed gives the same bytes on every machine.
"""

from augmentation import kernels as _kernels

_kernels.pin()

__all__ = ["kernels", "errors", "seeding", "learners", "data", "contract", "causal", "generators", "synthesis",
           "evaluation", "monitoring", "reporting", "bench"]
