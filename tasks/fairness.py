"""Stage 7: group metrics across the sensitive attribute, for a model trained without and with each generator."""

from __future__ import annotations

import pandas as pd

from augmentation.data import io
from augmentation.evaluation.fairness import check_fairness
from augmentation.learners import make_model
from augmentation.seeding import derive_seed
from tasks import paths, stage, training_sets
from tasks.params import Params


def run_one(p: Params, method: str) -> dict:
    """Group metrics of one method's model (trained on its rows) on the real hold-out."""
    test = pd.read_parquet(paths.TEST)
    spec = p.data.spec()
    learner = p.fairness.learner
    rows, class_weight = training_sets.rows(p, method)
    model = make_model(learner, numeric=spec.numeric(rows), categorical=spec.categorical,
                       params=p.evaluate.learners.get(learner, {}), class_weight=class_weight,
                       random_state=derive_seed(p.seed, "fairness", learner))
    model.fit(rows[spec.features(rows)], rows[spec.target])
    predicted = (model.predict_proba(test[spec.features(test)])[:, 1] >= p.evaluate.threshold).astype(int)
    result = check_fairness(test[spec.target], predicted, test[p.data.sensitive].astype(str), method=method,
                            max_dp_difference=p.fairness.max_demographic_parity_difference,
                            max_eo_difference=p.fairness.max_equalized_odds_difference)
    stage.logger(__name__).info("%s: DP diff %.3f, EO diff %.3f (%s)", method, result.demographic_parity_difference,
                                result.equalized_odds_difference, "pass" if result.passed else "FAIL")
    return result.to_dict()


def methods(p: Params) -> list[str]:
    """The methods this stage compares (none without a sensitive attribute)."""
    return training_sets.methods(p) if p.data.sensitive is not None else []


def combine(p: Params, results: dict[str, dict]) -> list[str]:
    """metrics/fairness.json, the methods in report order (a note instead without a sensitive attribute)."""
    if p.data.sensitive is None:
        io.write_json({"skipped": "no sensitive attribute named in data.sensitive"}, paths.FAIRNESS)
    else:
        io.write_json({method: results[method] for method in methods(p)}, paths.FAIRNESS)
    return [str(paths.FAIRNESS)]


def run(p: Params) -> list[str]:
    """Fairness of each method's model on the real hold-out."""
    return combine(p, stage.each_method(p, methods(p), run_one, "fairness"))


if __name__ == "__main__":
    raise SystemExit(stage.main(run))
