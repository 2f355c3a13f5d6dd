"""Stage 9: the decision -- per learner, which option to deploy, validated on the training part, proven once.

Options: no oversampling at 0.5 (`none`), the same model with a tuned threshold (`threshold`), class weights, and
every generator that passed its gates, with and without a tuned threshold (augmentation/evaluation/decision.py).
With a causal map (data.graph) the generators' rows pass its constraints (constraints.mode) inside every fold.
The pipeline's target is a label (classification); a continuous target's decision is `oversample recommend
--task regression` (augmentation/evaluation/regression_decision.py).
"""

from __future__ import annotations

import pandas as pd

from augmentation import generators
from augmentation.data import io
from augmentation.evaluation.decision import decide, join_group, option_groups, validate_group_fold
from tasks import gates, paths, stage
from tasks.params import Params


def _options(p: Params) -> tuple[list[str], dict, object]:
    """The generators that passed every gate, why the others were left out, and the map their rows are held to."""
    verdicts = gates.verdicts(p)
    eligible = [m for m in p.generators.methods if verdicts[m]["passed"]]
    left_out = {m: {k: v for k, v in verdicts[m].items() if k != "passed"} for m in p.generators.methods
                if m not in eligible}
    # With a causal map, the options' synthetic rows pass its constraints (constraints.mode) as the synthesize
    # stage's do, so the decision validates the rows that would be deployed; scm needs the map in any case.
    the_map = None
    if p.data.graph is not None and eligible and (p.constraints.mode != "off"
                                                  or any(generators.needs_map(m) for m in eligible)):
        from tasks.maps import load_map
        the_map = load_map(p.data.graph)
    return eligible, left_out, the_map


def _shared(p: Params, the_map) -> dict:
    return dict(learners=p.evaluate.learners, objective=p.recommend.objective(), seed=p.seed,
                generator_params=p.generators.params, causal_map=the_map, constraints=p.constraints.mode)


def methods(p: Params) -> list[str]:
    """The validation's pieces, run apart (the flow runs them side by side): each option group (the baselines, each
    eligible generator) on each outer fold, ``<group>-fold<k>``."""
    return [_piece(group, k) for group in option_groups(_options(p)[0]) for k in range(p.recommend.folds)]


def _piece(group: str, fold: int) -> str:
    return f"{group}-fold{fold + 1}"


def run_one(p: Params, piece: str) -> dict:
    """One option group's predictions on one outer fold's validation rows, per learner."""
    group, _, fold = piece.rpartition("-fold")
    log = stage.logger(__name__)
    return validate_group_fold(group, int(fold) - 1, pd.read_parquet(paths.TRAIN), p.data.spec(),
                               folds=p.recommend.folds, progress=lambda what: log.info("validated %s", what),
                               **_shared(p, _options(p)[2]))


def combine(p: Params, validated: dict[str, dict]) -> list[str]:
    """Join each group's folds, choose per learner among the validated options, prove the choice once on the
    hold-out, write the decision."""
    train, test = pd.read_parquet(paths.TRAIN), pd.read_parquet(paths.TEST)
    eligible, left_out, the_map = _options(p)
    groups = {group: join_group(train, p.data.spec(), [validated[_piece(group, k)] for k in range(p.recommend.folds)],
                                seed=p.seed)
              for group in option_groups(eligible)}
    decisions = decide(train, test, p.data.spec(), groups, generators=eligible, n_bootstrap=p.recommend.bootstrap,
                       **_shared(p, the_map))
    best = max(decisions, key=lambda learner: _signed(decisions[learner], p.recommend.metric))
    result = {"metric": p.recommend.metric, "objective": p.recommend.model_dump(), "folds": p.recommend.folds,
              "constraints": p.constraints.mode if the_map is not None else "no causal map",
              "generators_considered": eligible, "generators_left_out": left_out, "learners": decisions,
              "best_learner": best,
              "headline": headline(best, decisions, p.recommend.metric)}
    io.write_json(result, paths.DECISION)
    stage.logger(__name__).info("decision: %s", result["headline"])
    return [str(paths.DECISION)]


def run(p: Params) -> list[str]:
    """Choose per learner among none, threshold, class_weight and the generators that passed every gate."""
    return combine(p, stage.each_method(p, methods(p), run_one, "recommend"))


def headline(best: str, decisions: dict, metric: str) -> str:
    """One sentence to act on: the learner with the best validated metric, and what to do with it."""
    what = decisions[best]["sentence"].removeprefix(f"{best}: ")
    others = f" (best validated {metric} of {', '.join(decisions)})" if len(decisions) > 1 else ""
    return f"use {best}{others}: {what}"


def _signed(decision: dict, metric: str) -> float:
    value = decision["validated"][decision["chosen"]][metric]
    return -value if decision["lower_is_better"] else value


if __name__ == "__main__":
    raise SystemExit(stage.main(run))
