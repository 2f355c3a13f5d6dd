"""Generators of synthetic minority rows, by name.

Every entry builds an imbalanced-learn compatible sampler (``fit_resample``,
``sampling_strategy``, ``random_state``). Later generators register here too.
"""

from __future__ import annotations

from typing import Any, Callable

from imblearn.base import BaseSampler
from imblearn.over_sampling import ADASYN, SMOTE, SMOTENC, BorderlineSMOTE, RandomOverSampler

from pyloras import LORAS

from augmentation.errors import ConfigError, DataError
from augmentation.generators.david import DavidOversampler
from augmentation.generators.o2 import OptimizedOversampler
from augmentation.generators.scm import SCMOversampler

# name -> (factory, neighbour parameters that bound the minority size, needs categorical columns)
_Factory = Callable[..., BaseSampler]
REGISTRY: dict[str, tuple[_Factory, tuple[str, ...], bool]] = {
    "random": (RandomOverSampler, (), False),
    "smote": (SMOTE, ("k_neighbors",), False),
    "borderline1": (lambda **kw: BorderlineSMOTE(kind="borderline-1", **kw), ("k_neighbors",), False),
    "borderline2": (lambda **kw: BorderlineSMOTE(kind="borderline-2", **kw), ("k_neighbors",), False),
    "adasyn": (ADASYN, ("n_neighbors",), False),
    "smotenc": (SMOTENC, ("k_neighbors",), True),
    "o2": (lambda **kw: OptimizedOversampler(model="lr", **kw), ("k_neighbors",), False),
    "o2_svm": (lambda **kw: OptimizedOversampler(model="svm", **kw), ("k_neighbors",), False),
    "o2_cart": (lambda **kw: OptimizedOversampler(model="cart", **kw), ("k_neighbors",), False),
    "loras": (LORAS, ("n_neighbors",), False),
    "david": (DavidOversampler, (), False),  # β-VAE; torch is imported only when it fits
    "scm": (SCMOversampler, (), False),
}
# Generators that take ``categorical_features`` but also work without categorical columns (O²'s mixed-data path).
ACCEPTS_CATEGORICAL = frozenset({"o2", "o2_svm", "o2_cart"})
# Generators that need the causal map and the column names (given to make_generator by synthesis).
NEEDS_MAP = {"scm"}
DEFAULT_NEIGHBOURS = 5


def available() -> list[str]:
    return sorted(REGISTRY)


def needs_categorical(name: str) -> bool:
    return _entry(name)[2]


def handles_categorical(name: str) -> bool:
    """Whether ``name`` takes ordinal-coded categorical columns itself (``categorical_features``)."""
    return needs_categorical(name) or name in ACCEPTS_CATEGORICAL


def min_minority_rows(name: str, params: dict[str, Any]) -> int:
    """The fewest minority rows the generator can work with."""
    keys = _entry(name)[1]
    return max([int(params.get(k, DEFAULT_NEIGHBOURS)) + 1 for k in keys], default=1)


def check_minority_rows(name: str, params: dict[str, Any], n_minority: int) -> None:
    """Raise a DataError when ``n_minority`` rows are too few for the generator ``name``."""
    needed = min_minority_rows(name, params)
    if n_minority < needed:
        raise DataError(f"generator {name!r} needs at least {needed} minority training rows, there are {n_minority}",
                        f"lower its neighbour count in generators.params.{name}, remove it from generators.methods, "
                        "or add minority rows")


def needs_map(name: str) -> bool:
    _entry(name)
    return name in NEEDS_MAP


def make_generator(name: str, *, random_state: int, sampling_strategy: Any = "auto",
                   categorical_features: list[int] | None = None, causal_map: Any = None,
                   feature_names: list[str] | None = None, **params: Any) -> BaseSampler:
    """Build the sampler registered as ``name``; unknown names or parameters give a ConfigError."""
    factory, _, categorical = _entry(name)
    kwargs = dict(params, random_state=random_state, sampling_strategy=sampling_strategy)
    if categorical or name in ACCEPTS_CATEGORICAL:
        kwargs["categorical_features"] = categorical_features
    if name in NEEDS_MAP:
        kwargs.update(causal_map=causal_map, feature_names=feature_names)
    try:
        return factory(**kwargs)
    except TypeError as exc:
        raise ConfigError(f"generator {name!r} does not take these parameters: {sorted(params)} ({exc})",
                          f"fix generators.params.{name} in params.yaml") from exc


def _entry(name: str):
    if name not in REGISTRY:
        raise ConfigError(f"unknown generator {name!r}", f"use one of {available()}")
    return REGISTRY[name]
