"""Synthetic minority rows from any registered generator, on mixed-type frames.

imbalanced-learn samplers want a numeric matrix. Categorical columns are one-hot
encoded for the interpolating samplers and decoded by arg-max (SMOTENC and O² get
ordinal codes plus ``categorical_features`` and handle them themselves); integer columns are rounded and every
numeric column is kept inside the training range, so synthetic rows satisfy the
same data contract as real ones.

With a causal map, each new row takes the map's immutable variables from one real minority row
(:func:`hold_immutables`): the row it was built from where the generator names it, else the nearest
one; the causal model of ``scm`` holds them itself.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from augmentation import generators
from augmentation.causal.map import CausalMap
from augmentation.data.io import json_safe
from augmentation.data.table import PROVENANCE, TableSpec, category_codes
from augmentation.errors import DataError, OversamplingError
from augmentation.generators.sizing import check_memory

log = logging.getLogger(__name__)

REAL = "real"


def synthesize(train: pd.DataFrame, spec: TableSpec, *, method: str, params: dict[str, Any] | None = None,
               sampling_strategy: float = 1.0, random_state: int = 0,
               causal_map: CausalMap | None = None) -> pd.DataFrame:
    """Fit ``method`` on ``train`` (label 0/1) and return only the new minority rows.

    The result has the training columns and dtypes; the label is 1 on every row.
    Generators that need the causal map (``scm``) get ``causal_map`` and the column names;
    they see categorical columns as integer codes.
    """
    return synthesize_with_diagnostics(train, spec, method=method, params=params, sampling_strategy=sampling_strategy,
                                       random_state=random_state, causal_map=causal_map)[0]


def synthesize_with_diagnostics(
    train: pd.DataFrame, spec: TableSpec, *, method: str, params: dict[str, Any] | None = None,
    sampling_strategy: float = 1.0, random_state: int = 0, causal_map: CausalMap | None = None,
) -> tuple[pd.DataFrame, dict[str, Any] | None]:
    """As :func:`synthesize`, plus the generator's ``diagnostics_`` (None for generators without one)."""
    made = synthesize_rows(train, spec, method=method, params=params, sampling_strategy=sampling_strategy,
                           random_state=random_state, causal_map=causal_map)
    return made.rows, made.diagnostics


@dataclass(frozen=True)
class Synthesis:
    """What :func:`synthesize_rows` made.

    rows : the new minority rows (training columns and dtypes).
    diagnostics : the generator's ``diagnostics_`` as JSON-safe values, or None.
    sources : per row, the position in the training frame of the real minority row whose immutable
        variables it carries; None without a causal map, without immutables, or for ``scm``, whose
        causal model holds or draws them itself.
    """

    rows: pd.DataFrame
    diagnostics: dict[str, Any] | None
    sources: np.ndarray | None


def fit_generator(train: pd.DataFrame, spec: TableSpec, *, method: str, params: dict[str, Any] | None = None,
                  sampling_strategy: float = 1.0, random_state: int = 0, causal_map: CausalMap | None = None) -> None:
    """Fit ``method`` on ``train`` as :func:`synthesize` would, without drawing a row: for a generator that learns
    a model and saves it (``save_to`` in ``params``: DAVID's weights, scm's mechanisms), so that every later draw
    reads that one fit."""
    sampler, X_fit, y, _ = _prepared(train, spec, method=method, params=params, sampling_strategy=sampling_strategy,
                                     random_state=random_state, causal_map=causal_map)
    with _as_data_errors(method):
        sampler.fit(X_fit, y)


def synthesize_rows(train: pd.DataFrame, spec: TableSpec, *, method: str, params: dict[str, Any] | None = None,
                    sampling_strategy: float = 1.0, random_state: int = 0,
                    causal_map: CausalMap | None = None) -> Synthesis:
    """As :func:`synthesize`, with the generator's diagnostics and each row's source row."""
    sampler, X_fit, y, (encoded, decode) = _prepared(
        train, spec, method=method, params=params, sampling_strategy=sampling_strategy, random_state=random_state,
        causal_map=causal_map)
    with _as_data_errors(method):
        X_res = np.asarray(sampler.fit_resample(X_fit, y)[0])
    new = pd.DataFrame(X_res[len(encoded):], columns=encoded.columns)
    out = decode(new)
    X = train[spec.features(train)]
    rule, sources = generators.immutable_rule(method), None
    if causal_map is not None and rule != "model":
        out, sources = hold_immutables(out, X, y, causal_map, encoded=(encoded, new),
                                       sources=sampler.source_indices_ if rule == "source" else None)
    out[spec.target] = np.ones(len(out), dtype=train[spec.target].dtype)
    log.info("%s generated %d rows", method, len(out))
    diagnostics = getattr(sampler, "diagnostics_", None)
    return Synthesis(out[train.columns], json_safe(diagnostics) if diagnostics is not None else None, sources)


@contextmanager
def _as_data_errors(method: str):
    """A sampler's ValueError or RuntimeError as a DataError naming the generator and a fix."""
    try:
        yield
    except OversamplingError:
        raise  # already names the problem and the fix
    except (ValueError, RuntimeError) as exc:
        raise DataError(f"generator {method!r} could not resample this data: {exc}",
                        "try another generator, or fewer neighbours in its params") from exc


def _prepared(train: pd.DataFrame, spec: TableSpec, *, method: str, params: dict[str, Any] | None,
              sampling_strategy: float, random_state: int, causal_map: CausalMap | None):
    """The checked generator built for ``train``, the matrix and labels it fits on, and (the encoded rows, the
    decoder back to the training columns)."""
    params = dict(params or {})
    generators.check_minority_rows(method, params, int((train[spec.target] == 1).sum()))
    if generators.needs_categorical(method) and not spec.categorical:
        raise DataError(f"generator {method!r} needs categorical columns and the data has none",
                        "use 'smote' for all-numeric data, or list categorical columns under data.categorical")
    features = spec.features(train)
    X = train[features]
    y = train[spec.target].to_numpy()
    ratio = oversampling_ratio(y, sampling_strategy)
    check_memory(method, len(train), new_row_count(y, ratio), len(features))  # before it starts, not when killed
    with_map = generators.needs_map(method)
    if with_map and causal_map is None:
        raise DataError(f"generator {method!r} needs a causal map and none was given",
                        "name the map file in data.graph in params.yaml, or remove the generator from the methods")
    native = generators.handles_categorical(method)  # takes ordinal codes + categorical_features itself
    encoded, decode = _encode(X, spec, ordinal=native or with_map)
    categorical_idx = [encoded.columns.get_loc(c) for c in spec.categorical] if native and spec.categorical else None
    extra = dict(causal_map=_coded_map(causal_map.complete(train, spec), train)) if with_map else {}
    sampler = generators.make_generator(method, random_state=random_state, sampling_strategy=ratio,
                                        categorical_features=categorical_idx, **extra, **params)
    if not generators.needs_categorical(method) and "onehot_groups" in sampler.get_params():
        # generators with softmax heads (DAVID) learn each one-hot group as one categorical column
        sampler.set_params(onehot_groups=[[encoded.columns.get_loc(c) for c in encoded.columns
                                           if c.startswith(f"{column}\x1f")] for column in spec.categorical])
    # a map's sampler reads the column names from the frame (feature_names_in_); the others get an array
    X_fit = encoded.astype(float) if with_map else encoded.to_numpy(dtype=float)
    return sampler, X_fit, y, (encoded, decode)


def hold_immutables(out: pd.DataFrame, X: pd.DataFrame, y: np.ndarray, causal_map: CausalMap, *,
                    sources: np.ndarray | None, encoded: tuple[pd.DataFrame, pd.DataFrame]
                    ) -> tuple[pd.DataFrame, np.ndarray | None]:
    """``out`` with every immutable column of the map copied from one real minority row of ``X``, and
    the positions of those rows (None when the map has no immutable feature).

    ``sources`` are the positions in ``X`` of the rows the generator built each new row from (its
    ``source_indices_``); without them each row takes the nearest real minority row, on the other
    features of the encoded matrices ``encoded`` = (real rows, new rows), each column scaled by its
    training range.
    """
    immutable = [c for c in X.columns if c in causal_map.nodes and causal_map.variable(c).immutable]
    if not immutable:
        return out, None
    if out.empty:
        return out, np.empty(0, dtype=int)
    if sources is None:
        real, new = encoded
        other = [c for c in real.columns if c.split("\x1f")[0] not in immutable]
        if not other:
            raise DataError(f"every feature is immutable in the map ({immutable}), so no new row can differ "
                            "from a real one", "mark fewer variables immutable, or use the 'random' generator")
        from sklearn.neighbors import NearestNeighbors

        minority = np.flatnonzero(y == 1)
        scale = (real[other].max() - real[other].min()).replace(0, 1.0).to_numpy()
        index = NearestNeighbors(n_neighbors=1).fit(real[other].to_numpy()[minority] / scale)
        sources = minority[index.kneighbors(new[other].to_numpy() / scale, return_distance=False)[:, 0]]
    sources = np.asarray(sources)
    if len(sources) != len(out) or not (y[sources] == 1).all():
        raise RuntimeError(f"the generator named {len(sources)} source rows for {len(out)} new rows, "
                           "or a source outside the minority class")
    held = {c: X[c].iloc[sources].set_axis(out.index) for c in immutable}
    return out.assign(**held), sources


def mark(frame: pd.DataFrame, provenance: str) -> pd.DataFrame:
    """Add the provenance column (``real`` or the generator's name)."""
    return frame.assign(**{PROVENANCE: provenance})


def augment(train: pd.DataFrame, synthetic: pd.DataFrame, method: str) -> pd.DataFrame:
    """Real training rows followed by the synthetic ones, each marked with its provenance."""
    return pd.concat([mark(train, REAL), mark(synthetic, method)], ignore_index=True)


def oversampling_ratio(y: np.ndarray, sampling_strategy: float) -> float | str:
    """``sampling_strategy`` checked against the current minority/majority ratio of the 0/1 labels ``y``."""
    if not 0 < sampling_strategy <= 1:
        raise DataError(f"sampling_strategy must be in (0, 1], got {sampling_strategy}",
                        "set generators.sampling_strategy to the wanted minority/majority ratio, e.g. 1.0")
    current = (y == 1).sum() / max((y == 0).sum(), 1)
    if current >= sampling_strategy:
        raise DataError(f"the minority/majority ratio is already {current:.3f} "
                        f">= sampling_strategy {sampling_strategy}",
                        "raise generators.sampling_strategy, or check data.positive_label names the rarer class")
    return float(sampling_strategy)


def new_row_count(y: np.ndarray, sampling_strategy: float) -> int:
    """How many rows oversampling the 0/1 labels ``y`` to ``sampling_strategy`` draws (imbalanced-learn's count)."""
    return max(int(sampling_strategy * int((y == 0).sum()) - int((y == 1).sum())), 0)


def _coded_map(causal_map: CausalMap, train: pd.DataFrame) -> CausalMap:
    """The map as the sampler sees the data: categories become the integer codes _encode gives them."""
    variables = dict(causal_map.variables)
    for node, var in variables.items():
        if var.discrete and node != causal_map.label:
            levels = sorted(train[node].astype(str).unique())
            variables[node] = replace(var, categories=tuple(range(len(levels))))
    return replace(causal_map, variables=variables)


def _encode(X: pd.DataFrame, spec: TableSpec, *, ordinal: bool):
    numeric = [c for c in X.columns if c not in spec.categorical]
    low, high = X[numeric].min(), X[numeric].max()
    dtypes = X.dtypes
    levels = {c: sorted(X[c].astype(str).unique()) for c in spec.categorical}
    parts = [X[numeric].astype(float)]
    for column, values in levels.items():
        codes = category_codes(X[column], values)
        if ordinal:
            parts.append(pd.DataFrame({column: codes.astype(float)}, index=X.index))
        else:
            onehot = np.eye(len(values))[codes]
            parts.append(pd.DataFrame(onehot, index=X.index, columns=[f"{column}\x1f{v}" for v in values]))
    encoded = pd.concat(parts, axis=1)

    def decode(new: pd.DataFrame) -> pd.DataFrame:
        out = {}  # built whole at the end: one column at a time fragments a wide frame (a warning per column)
        for column in X.columns:
            if column in levels:
                if ordinal:
                    idx = new[column].round().astype(int).clip(0, len(levels[column]) - 1)
                else:
                    idx = new[[f"{column}\x1f{v}" for v in levels[column]]].to_numpy().argmax(axis=1)
                out[column] = pd.Series(np.asarray(levels[column], dtype=object)[idx],
                                        index=new.index).astype(dtypes[column])
            else:
                values = new[column].clip(low[column], high[column])
                if column in spec.integer or pd.api.types.is_integer_dtype(dtypes[column]):
                    values = values.round()
                out[column] = values.astype(dtypes[column])
        return pd.DataFrame(out, index=new.index)

    return encoded, decode
