"""Stage 4: fit each generator named in params.yaml and save it under models/generators/<name>/.

A generator with a learned model (DAVID's network, scm's mechanisms) is fitted here, once per run; synthesis and
every evaluation repeat read that fit back. The SMOTE family has nothing to learn: its record is its settings."""

from __future__ import annotations

import pandas as pd

from augmentation import generators
from augmentation.evaluation.protocol import generation_seed
from augmentation.generators import store
from augmentation.synthesis.classification import fit_generator
from tasks import paths, stage
from tasks.maps import causal_map
from tasks.params import Params


def run_one(p: Params, method: str) -> str:
    """Fit and save one configured generator; returns its folder."""
    train = pd.read_parquet(paths.TRAIN)
    params = p.generators.params.get(method, {})
    sampler = generators.make_generator(method, random_state=0, **params)  # rejects unknown/bad parameters now
    generators.check_minority_rows(method, params, int((train[p.data.target] == 1).sum()))
    if "save_to" in sampler.get_params():  # a learned model (DAVID's weights, scm's mechanisms) is fitted once, here
        fit_generator(train, p.data.spec(), method=method, sampling_strategy=p.generators.sampling_strategy,
                      params={**params, "save_to": str(paths.generator_dir(method))},
                      random_state=generation_seed(p.seed, method),
                      causal_map=causal_map(p, train) if generators.needs_map(method) else None)
    store.save(paths.generator_dir(method), method=method, params=params,
               sampling_strategy=p.generators.sampling_strategy, seed=generation_seed(p.seed, method), train=train)
    return str(paths.generator_dir(method))


def combine(p: Params, results: dict[str, str]) -> list[str]:
    stage.logger(__name__).info("fitted %s", ", ".join(p.generators.methods))
    return [results[method] for method in p.generators.methods]


def run(p: Params) -> list[str]:
    """Fit and save every configured generator."""
    return combine(p, stage.each_method(p, p.generators.methods, run_one, "fit"))


if __name__ == "__main__":
    raise SystemExit(stage.main(run))
