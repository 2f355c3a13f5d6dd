"""Stage 8: the gain on the REAL hold-out, per method and learner, repeated over seeds with the spread.

One method at a time (:func:`run_one`; the flow runs them side by side), then one file (:func:`combine`).
"""

from __future__ import annotations

import pandas as pd

from augmentation.data import io
from augmentation.data.table import PROVENANCE
from augmentation.evaluation.protocol import evaluate_method, generation_seed, method_names
from tasks import paths, stage
from tasks.params import Params
from tasks.synthesize import causal_map, generate_constrained


def methods(p: Params) -> tuple[str, ...]:
    """The methods this stage scores, in report order: the baselines, `threshold`, the generators."""
    return method_names(p.generators.methods, threshold=p.recommend.objective() is not None)


def run_one(p: Params, method: str) -> dict:
    """One method with every learner on the real hold-out: ``{learner: {metric: {mean, std, min, max}}}``."""
    train, test = pd.read_parquet(paths.TRAIN), pd.read_parquet(paths.TEST)
    the_map = causal_map(p, train) if method in p.generators.methods else None

    def saved_generator_rows(method: str, repeat: int) -> pd.DataFrame:
        if repeat == 0:  # the synthesize stage's rows, of the same seed: read back, not drawn a second time
            return pd.read_parquet(paths.synthetic(method)).drop(columns=PROVENANCE)
        return generate_constrained(method, train, p, seed=generation_seed(p.seed, method, repeat),
                                    causal_map=the_map)[0]

    return evaluate_method(method, train, test, p.data.spec(), generators=p.generators.methods,
                           synthetic_rows=saved_generator_rows, learners=p.evaluate.learners,
                           repeats=p.evaluate.repeats, threshold=p.evaluate.threshold, seed=p.seed,
                           objective=p.recommend.objective(), max_rows=p.evaluate.max_rows)


def combine(p: Params, results: dict[str, dict]) -> list[str]:
    """metrics/evaluation.json, the methods in report order whatever order they finished in."""
    io.write_json({method: results[method] for method in methods(p)}, paths.EVALUATION)
    return [str(paths.EVALUATION)]


def run(p: Params) -> list[str]:
    """Evaluate every method with every learner on the real hold-out."""
    return combine(p, stage.each_method(p, methods(p), run_one, "evaluate"))


if __name__ == "__main__":
    raise SystemExit(stage.main(run))
