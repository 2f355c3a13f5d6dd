"""Stage 8: the gain on the REAL hold-out, per method and learner, repeated over seeds with the spread.

One method's one repeat at a time (:func:`run_one`; the flow runs them side by side), then one file
(:func:`combine`).
"""

from __future__ import annotations

import pandas as pd

from augmentation.data import io
from augmentation.data.table import PROVENANCE
from augmentation.evaluation.protocol import evaluate_repeat, generation_seed, method_names, summarize_repeats
from tasks import paths, stage
from tasks.maps import causal_map
from tasks.params import Params
from tasks.synthesize import generate_constrained


def scored(p: Params) -> tuple[str, ...]:
    """The methods this stage scores, in report order: the baselines, `threshold`, the generators."""
    return method_names(p.generators.methods, threshold=p.recommend.objective() is not None)


def methods(p: Params) -> list[str]:
    """The evaluation's pieces, run apart (the flow runs them side by side): each method's each repeat,
    ``<method>-repeat<r>``."""
    return [_piece(method, r) for method in scored(p) for r in range(p.evaluate.repeats)]


def method_of(piece: str) -> str:
    """The method a piece of :func:`methods` evaluates."""
    return piece.rpartition("-repeat")[0]


def _piece(method: str, repeat: int) -> str:
    return f"{method}-repeat{repeat + 1}"


def run_one(p: Params, piece: str) -> dict:
    """One method's one repeat, every learner, on the real hold-out: ``{learner: {metric: score}}``."""
    method, repeat = method_of(piece), int(piece.rpartition("-repeat")[2]) - 1
    train, test = pd.read_parquet(paths.TRAIN), pd.read_parquet(paths.TEST)

    def saved_generator_rows(method: str, repeat: int) -> pd.DataFrame:
        if repeat == 0:  # the synthesize stage's rows, of the same seed: read back, not drawn a second time
            return pd.read_parquet(paths.synthetic(method)).drop(columns=PROVENANCE)
        return generate_constrained(method, train, p, seed=generation_seed(p.seed, method, repeat),
                                    causal_map=causal_map(p, train))[0]

    return evaluate_repeat(method, repeat, train, test, p.data.spec(), generators=p.generators.methods,
                           synthetic_rows=saved_generator_rows, learners=p.evaluate.learners,
                           threshold=p.evaluate.threshold, seed=p.seed, objective=p.recommend.objective(),
                           max_rows=p.evaluate.max_rows)


def combine(p: Params, results: dict[str, dict]) -> list[str]:
    """metrics/evaluation.json: each method's repeats summarized (mean, spread), the methods in report order
    whatever order the pieces finished in."""
    io.write_json({method: summarize_repeats(method, [results[_piece(method, r)] for r in range(p.evaluate.repeats)])
                   for method in scored(p)}, paths.EVALUATION)
    return [str(paths.EVALUATION)]


def run(p: Params) -> list[str]:
    """Evaluate every method with every learner on the real hold-out."""
    return combine(p, stage.each_method(p, methods(p), run_one, "evaluate"))


if __name__ == "__main__":
    raise SystemExit(stage.main(run))
