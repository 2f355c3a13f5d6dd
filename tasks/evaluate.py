"""Stage 8: the gain on the REAL hold-out, per method and learner, repeated over seeds with the spread."""

from __future__ import annotations

import pandas as pd

from augmentation.data import io
from augmentation.evaluation.protocol import BASELINES, evaluate_methods, generation_seed
from tasks import paths, stage
from tasks.params import Params
from tasks.synthesize import causal_map, generate_constrained


def run(p: Params) -> list[str]:
    """Evaluate every method with every learner on the real hold-out."""
    train, test = pd.read_parquet(paths.TRAIN), pd.read_parquet(paths.TEST)
    spec = p.data.spec()
    the_map = causal_map(p, train)

    def saved_generator_rows(method: str, repeat: int) -> pd.DataFrame:
        return generate_constrained(method, train, p, seed=generation_seed(p.seed, method, repeat),
                                    causal_map=the_map)[0]

    log = stage.logger(__name__)
    methods = len(BASELINES) + 1 + len(p.generators.methods)  # the baselines, `threshold`, the generators
    results = evaluate_methods(train, test, spec, generators=p.generators.methods,
                               synthetic_rows=saved_generator_rows, learners=p.evaluate.learners,
                               repeats=p.evaluate.repeats, threshold=p.evaluate.threshold, seed=p.seed,
                               objective=p.recommend.objective(), max_rows=p.evaluate.max_rows,
                               progress=stage.Progress("evaluate", methods, log).finished)
    io.write_json(results, paths.EVALUATION)
    return [str(paths.EVALUATION)]


if __name__ == "__main__":
    raise SystemExit(stage.main(run))
