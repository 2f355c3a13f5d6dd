"""Generators of synthetic minority rows, by name.

Every entry builds an imbalanced-learn compatible sampler (``fit_resample``, ``sampling_strategy``,
``random_state``) and is described by one :class:`GeneratorSpec` record: what to build, and what the
synthesis needs to know about it (neighbour counts, categorical columns, the causal map). Later
generators register here too. Regression samplers (continuous targets) are in
``augmentation.generators.regression``.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from typing import Any

from imblearn.base import BaseSampler

from augmentation.errors import ConfigError, DataError
from augmentation.generators.david import DavidOversampler
from augmentation.generators.dense import LoRAS
from augmentation.generators.o2 import OptimizedOversampler
from augmentation.generators.scm import SCMOversampler
from augmentation.generators.sources import (
    SourcedADASYN,
    SourcedBorderlineSMOTE,
    SourcedDenseBorderlineSMOTE,
    SourcedRandomOverSampler,
    SourcedSMOTE,
    SourcedSMOTENC,
)
from augmentation.learners import checked_params

# The neighbour count a generator uses when its params do not set one (imbalanced-learn's default);
# min_minority_rows and the benchmark's small-minority cap read it from here.
DEFAULT_NEIGHBOURS = 5

# How a generator's rows get the causal map's immutable variables (age, sex: who the patient is):
IMMUTABLE_RULES = {
    # the sampler names the real row each new row was built from (``source_indices_``); synthesis copies them
    "source": "copied from the source row (the real minority row the new row was built from)",
    # no single source row: synthesis copies them from the nearest real minority row in the other features
    "nearest": "copied from the nearest real minority row (in the other features)",
    # the generator's own model holds or draws them (scm); the constraint layer checks what it made
    "model": "drawn or held by the generator's causal model",
}


@dataclass(frozen=True)
class GeneratorSpec:
    """One registry entry.

    sampler, fixed : the class to build and the keyword arguments the entry always passes it
        (pairs, so the record stays immutable).
    neighbours : parameters that bound the minority size (each needs that many rows + 1).
    needs_categorical : the sampler only works with categorical columns (SMOTE-NC).
    accepts_categorical : the sampler takes ordinal codes and ``categorical_features`` itself.
    needs_map : the sampler models the user's causal map (synthesis passes it, and X as a DataFrame).
    tasks : the target kinds it oversamples.
    immutables : a key of IMMUTABLE_RULES, how the rows get the map's immutable variables.
    """

    name: str
    sampler: type[BaseSampler]
    fixed: tuple[tuple[str, Any], ...] = ()
    neighbours: tuple[str, ...] = ()
    needs_categorical: bool = False
    accepts_categorical: bool = False
    needs_map: bool = False
    tasks: tuple[str, ...] = ("binary", "multiclass")
    immutables: str = "source"

    def __post_init__(self):
        if self.immutables not in IMMUTABLE_RULES:
            raise ValueError(f"generator {self.name!r}: immutables must be one of {sorted(IMMUTABLE_RULES)}")
        if self.needs_categorical and not self.accepts_categorical:
            raise ValueError(f"generator {self.name!r} needs categorical columns, so it must accept them")


_SPECS = (
    GeneratorSpec("random", SourcedRandomOverSampler),
    GeneratorSpec("smote", SourcedSMOTE, neighbours=("k_neighbors",)),
    GeneratorSpec("borderline1", SourcedBorderlineSMOTE, (("kind", "borderline-1"),), neighbours=("k_neighbors",)),
    GeneratorSpec("borderline2", SourcedDenseBorderlineSMOTE, (("kind", "borderline-2"),),
                  neighbours=("k_neighbors",)),
    GeneratorSpec("adasyn", SourcedADASYN, neighbours=("n_neighbors",)),
    GeneratorSpec("smotenc", SourcedSMOTENC, neighbours=("k_neighbors",), needs_categorical=True,
                  accepts_categorical=True),
    # O²'s mixed-data path takes categorical_features, and it works without categorical columns too.
    GeneratorSpec("o2", OptimizedOversampler, (("model", "lr"),), neighbours=("k_neighbors",),
                  accepts_categorical=True),
    GeneratorSpec("o2_svm", OptimizedOversampler, (("model", "svm"),), neighbours=("k_neighbors",),
                  accepts_categorical=True),
    GeneratorSpec("o2_cart", OptimizedOversampler, (("model", "cart"),), neighbours=("k_neighbors",),
                  accepts_categorical=True),
    # a LoRAS row is a convex combination of noisy copies of several neighbours: no single source row
    GeneratorSpec("loras", LoRAS, neighbours=("n_neighbors",), immutables="nearest"),
    GeneratorSpec("david", DavidOversampler, immutables="nearest"),  # β-VAE; torch is imported only when it fits
    # the map's label is binary; without a map the model is graph-free and any number of classes works
    GeneratorSpec("scm", SCMOversampler, needs_map=True, tasks=("binary",), immutables="model"),
)
REGISTRY: dict[str, GeneratorSpec] = {spec.name: spec for spec in _SPECS}


def available() -> list[str]:
    return sorted(REGISTRY)


def spec(name: str) -> GeneratorSpec:
    """The registry record of ``name``; an unknown name gives a ConfigError."""
    if name not in REGISTRY:
        raise ConfigError(f"unknown generator {name!r}", f"use one of {available()}")
    return REGISTRY[name]


def needs_categorical(name: str) -> bool:
    return spec(name).needs_categorical


def handles_categorical(name: str) -> bool:
    """Whether ``name`` takes ordinal-coded categorical columns itself (``categorical_features``)."""
    return spec(name).accepts_categorical


def min_minority_rows(name: str, params: dict[str, Any]) -> int:
    """The fewest minority rows the generator can work with."""
    return max([_count(name, k, params.get(k, DEFAULT_NEIGHBOURS)) + 1 for k in spec(name).neighbours], default=1)


def _count(name: str, key: str, value: Any) -> int:
    """A neighbour count as an int; a ConfigError for text, fractions, booleans and counts below 1."""
    try:
        count = operator.index(value) if not isinstance(value, bool) else 0
    except TypeError:
        count = 0
    if count < 1:
        raise ConfigError(f"generator {name!r}: {key} must be a whole number of at least 1, got {value!r}",
                          f"give {key} a whole number, e.g. {key}={DEFAULT_NEIGHBOURS} (in --param or "
                          f"generators.params.{name})")
    return count


def fit_neighbours(name: str, params: dict[str, Any], n_minority: int) -> dict[str, Any]:
    """``params`` with each neighbour count the user did not set lowered to what ``n_minority`` rows allow."""
    fitted = {k: min(DEFAULT_NEIGHBOURS, max(1, n_minority - 1)) for k in spec(name).neighbours}
    return {**fitted, **params}


def fold_minority(n_minority: int, folds: int) -> int:
    """The fewest minority rows a training part of a stratified ``folds``-fold split of ``n_minority`` rows holds:
    the count to fit neighbours to when a sampler runs inside such folds (a grid search, a threshold search)."""
    return n_minority - math.ceil(n_minority / folds)


def check_minority_rows(name: str, params: dict[str, Any], n_minority: int) -> None:
    """Raise a DataError when ``n_minority`` rows are too few for the generator ``name``."""
    needed = min_minority_rows(name, params)
    if n_minority < needed:
        raise DataError(f"generator {name!r} needs at least {needed} minority training rows, there are {n_minority}",
                        f"lower its neighbour count in generators.params.{name}, remove it from generators.methods, "
                        "or add minority rows")


def needs_map(name: str) -> bool:
    return spec(name).needs_map


def immutable_rule(name: str) -> str:
    """How ``name``'s rows get the map's immutable variables: a key of IMMUTABLE_RULES."""
    return spec(name).immutables


def make_generator(name: str, *, random_state: Any, sampling_strategy: Any = "auto",
                   categorical_features: list[int] | str | None = None, causal_map: Any = None,
                   **params: Any) -> BaseSampler:
    """Build the sampler registered as ``name``; unknown names or parameters give a ConfigError.

    ``categorical_features`` reaches only generators that accept it; for SMOTE-NC ``None`` means
    imbalanced-learn's ``"auto"`` (the pandas ``category`` columns of a DataFrame). ``causal_map``
    reaches only generators that need it; they take the column names from the DataFrame they fit on.
    """
    entry = spec(name)
    kwargs = dict(entry.fixed)
    if set(params) & set(kwargs):
        raise ConfigError(f"generator {name!r} fixes {sorted(set(params) & set(kwargs))} itself",
                          f"remove it from generators.params.{name}, or use the generator with the value you want")
    kwargs.update(params, random_state=random_state, sampling_strategy=sampling_strategy)
    if entry.accepts_categorical:
        kwargs["categorical_features"] = ("auto" if entry.needs_categorical and categorical_features is None
                                          else categorical_features)
    if entry.needs_map:
        kwargs["causal_map"] = causal_map
    try:
        sampler = entry.sampler(**kwargs)
    except TypeError as exc:
        raise ConfigError(f"generator {name!r} does not take these parameters: {sorted(params)} ({exc})",
                          f"fix generators.params.{name} in params.yaml") from exc
    return checked_params(sampler, f"generator {name!r}", f"fix generators.params.{name} in params.yaml")
