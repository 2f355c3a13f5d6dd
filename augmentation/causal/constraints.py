"""The causal map's constraints applied to the output of ANY generator, by repair or by rejection.

Per row, in this order (a repaired row is counted under every constraint it was repaired for; a
rejected row under the first constraint that rejected it):

- ``missing``: a mapped value is missing -> rejected (nothing to repair from).
- ``category``: a binary/categorical node outside its categories -> rejected.
- ``integer``: an integer node with a fractional value -> rounded (repair) or rejected.
- ``bounds``: a continuous/integer node outside the map's bounds -> clipped (repair) or rejected.
- ``immutable``: an immutable node with a value no real row has (a generator may not invent a new
  sex or an unseen age at admission) -> snapped to the nearest observed value for numeric nodes
  (repair) or rejected; categorical immutables are covered by ``category``. The registry's
  generators hold immutables fixed themselves (synthesis copies them from a real row, see
  ``augmentation.synthesis.classification.hold_immutables``), so this is the safety net for others.
- ``forbidden``: a row meeting a forbidden combination of the map -> rejected in both modes
  (no single change is the right repair).

``mode="repair"`` changes the smallest thing that makes the row valid; ``mode="reject"``
drops every row that violates anything. The result carries counts per constraint.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from augmentation.causal.map import CausalMap
from augmentation.errors import ConfigError

MODES = ("repair", "reject", "off")


@dataclass
class ConstraintReport:
    method: str
    mode: str
    n_rows_in: int
    n_rows_out: int
    n_rows_repaired: int
    n_rows_rejected: int
    repaired: dict[str, int] = field(default_factory=dict)  # constraint -> rows repaired for it
    rejected: dict[str, int] = field(default_factory=dict)  # constraint -> rows rejected for it

    def to_dict(self) -> dict:
        return asdict(self)


def apply_constraints(synthetic: pd.DataFrame, causal_map: CausalMap, *, real: pd.DataFrame, mode: str = "repair",
                      method: str = "") -> tuple[pd.DataFrame, ConstraintReport]:
    """Return the rows that satisfy the map (repaired where ``mode`` allows) and what was done.

    ``causal_map`` must be completed against the data (CausalMap.complete) so every node has a
    type and categories; ``real`` are the real training rows (the observed values of immutables).
    """
    if mode not in MODES:
        raise ConfigError(f"constraints mode {mode!r} is unknown", f"use one of {list(MODES)}")
    out = synthetic.reset_index(drop=True).copy()
    if mode == "off":
        return out, ConstraintReport(method, mode, len(out), len(out), 0, 0)
    repair = mode == "repair"
    n = len(out)
    reject = np.zeros(n, bool)
    repaired_rows = np.zeros(n, bool)
    repaired: dict[str, int] = {}
    rejected: dict[str, int] = {}

    def count(book: dict[str, int], name: str, hit: np.ndarray) -> None:
        if hit.any():
            book[name] = book.get(name, 0) + int(hit.sum())

    nodes = [v for v in causal_map.nodes if v in out.columns and v != causal_map.label]
    missing = out[nodes].isna().any(axis=1).to_numpy()
    count(rejected, "missing", missing)
    reject |= missing
    for node in nodes:
        var = causal_map.variable(node)
        values = out[node]
        if var.discrete:
            allowed = {str(c) for c in (var.categories or real[node].unique())}
            bad = ~values.astype(str).isin(allowed).to_numpy() & ~missing
            count(rejected, "category", bad & ~reject)
            reject |= bad
            continue
        x = values.to_numpy(dtype=float)
        fixed = x.copy()
        if var.type == "integer":
            bad = (np.abs(x - np.round(x)) > 1e-9) & ~missing
            if repair:
                fixed = np.where(bad, np.round(fixed), fixed)
                count(repaired, "integer", bad)
                repaired_rows |= bad
            else:
                count(rejected, "integer", bad & ~reject)
                reject |= bad
        if var.bounds is not None:
            low, high = var.bounds
            bad = ((fixed < low) | (fixed > high)) & ~missing
            if repair:
                fixed = np.clip(fixed, low, high)
                count(repaired, "bounds", bad)
                repaired_rows |= bad
            else:
                count(rejected, "bounds", bad & ~reject)
                reject |= bad
        if var.immutable:
            observed = np.unique(real[node].to_numpy(dtype=float))
            bad = ~np.isin(fixed, observed) & ~missing
            if repair and bad.any():
                index = np.clip(np.searchsorted(observed, fixed[bad]), 1, len(observed) - 1)
                left, right = observed[index - 1], observed[index]
                fixed[bad] = np.where(np.abs(fixed[bad] - left) <= np.abs(right - fixed[bad]), left, right)
                count(repaired, "immutable", bad)
                repaired_rows |= bad
            elif bad.any():
                count(rejected, "immutable", bad & ~reject)
                reject |= bad
        if repair:
            out[node] = fixed.astype(values.dtype) if pd.api.types.is_integer_dtype(values.dtype) else fixed
    for _, mask in causal_map.forbidden_rows(out):
        hit = mask & ~reject
        count(rejected, "forbidden", hit)
        reject |= hit
    kept = out[~reject].reset_index(drop=True)
    report = ConstraintReport(method=method, mode=mode, n_rows_in=n, n_rows_out=len(kept),
                              n_rows_repaired=int((repaired_rows & ~reject).sum()), n_rows_rejected=int(reject.sum()),
                              repaired=repaired, rejected=rejected)
    return kept, report
