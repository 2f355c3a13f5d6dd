"""The benchmark: methods × datasets × learners × seeds under the paper's and the cross-validation protocol.

The plain functions here are what the Prefect flow (flows/bench.py) and the command ``oversample bench``
call; this package never imports prefect.
"""

from __future__ import annotations

import json
from typing import Any

from augmentation.bench.cells import AUTO, BASELINES, LEARNERS, PROTOCOLS, THRESHOLD, Cell
from augmentation.errors import ConfigError


def method_names(methods: str = "all") -> list[str]:
    """``all``: the baselines (``threshold`` included) and every registered generator that works on numeric data;
    else a list, which may also name ``auto`` (the whole decision per outer split: costly, so never in ``all``)."""
    from augmentation import generators
    numeric = [m for m in generators.available() if not generators.needs_categorical(m) and not generators.needs_map(m)]
    if methods == "all":
        return [*BASELINES, THRESHOLD, *numeric]
    names = [m.strip() for m in methods.split(",") if m.strip()]
    known = [*BASELINES, THRESHOLD, AUTO, *generators.available()]
    bad = [m for m in names if m not in known]
    if bad or not names:
        raise ConfigError(f"unknown method(s) {bad or methods!r}", f"use 'all' or a list from {known}")
    return names


def split_list(value: str, allowed: tuple[str, ...], option: str) -> list[str]:
    names = [v.strip() for v in value.split(",") if v.strip()]
    bad = [v for v in names if v not in allowed]
    if bad or not names:
        raise ConfigError(f"{option} {value!r} has unknown entries {bad}",
                          f"use a comma-separated list from {list(allowed)}")
    return names


def plan_cells(datasets: list[str], methods: list[str], learners: list[str], protocols: list[str], seeds: int,
               *, copies: int = 3, params: dict[str, dict[str, Any]] | None = None, seed: int = 0) -> list[Cell]:
    """Every (dataset, method, learner, seed, protocol) cell; seeds are ``seed, seed+1, …``."""
    if seeds < 1:
        raise ConfigError(f"--seeds must be at least 1, got {seeds}", "pass --seeds 1 or more")
    split_list(",".join(learners), LEARNERS, "--learners")
    split_list(",".join(protocols), PROTOCOLS, "--protocol")
    params = params or {}
    return [Cell(dataset=d, method=m, learner=learner, seed=seed + s, protocol=p, copies=copies,
                 params=json.dumps(params.get(m, {}), sort_keys=True))
            # dataset-major: a run stopped early still has complete datasets for the rank statistics
            for p in protocols for d in datasets for m in methods for learner in learners for s in range(seeds)]
