"""The causal map a user supplies: a DAG over the columns plus what each variable may be.

A map is read from a mapping (the YAML file is parsed in ``tasks``, this module never
imports yaml)::

    label: mortality
    nodes: [age, sex, ..., mortality]
    edges: [[age, bmi], ...]               # [parent, child]
    variables:                             # optional, per node
      age: {type: integer, bounds: [16, 95], immutable: true, tier: 0}
      sex: {type: categorical, categories: [F, M], immutable: true, tier: 0}
    monotone:                              # optional: known directions of total effects
      - [spo2, mortality, decreasing]
    forbidden:                             # optional: row conditions no real row may meet (see expressions.py)
      - "gcs < 3"
    exposure: iss                          # optional: the exposure whose effect on the label is scored

Old map files (nodes, edges, label only) stay valid: a variable without a declared
type takes it from the data contract (data.categorical / data.integer / dtype).

A map written by discovery carries ``discovered: {reviewed: false}``; it is refused
until a person has read it and set ``reviewed: true`` -- a discovered graph is a
proposal, never silently trusted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from augmentation.causal.expressions import parse
from augmentation.causal.graph import build_dag
from augmentation.data.table import TableSpec
from augmentation.errors import ConfigError, DataError

TYPES = ("continuous", "integer", "binary", "categorical")
DIRECTIONS = ("increasing", "decreasing")
KEYS = ("label", "nodes", "edges", "variables", "monotone", "forbidden", "exposure", "discovered")
VARIABLE_KEYS = ("type", "bounds", "immutable", "tier", "categories")


@dataclass(frozen=True)
class Variable:
    """What one node may be: its type, its bounds and categories, whether a generator may change it, its tier."""

    name: str
    type: str | None = None
    bounds: tuple[float, float] | None = None  # (low, high); either may be -inf / inf
    immutable: bool = False
    tier: int | None = None  # temporal tier: a node may only depend on nodes of the same or an earlier tier
    categories: tuple[Any, ...] | None = None

    @property
    def discrete(self) -> bool:
        return self.type in ("binary", "categorical")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.type:
            out["type"] = self.type
        if self.bounds is not None:
            out["bounds"] = [None if math.isinf(b) else b for b in self.bounds]
        if self.immutable:
            out["immutable"] = True
        if self.tier is not None:
            out["tier"] = self.tier
        if self.categories is not None:
            out["categories"] = list(self.categories)
        return out


@dataclass(frozen=True)
class MonotoneEffect:
    cause: str
    effect: str
    direction: str  # increasing | decreasing

    @property
    def sign(self) -> int:
        return 1 if self.direction == "increasing" else -1


@dataclass(frozen=True)
class CausalMap:
    nodes: tuple[str, ...]
    edges: tuple[tuple[str, str], ...]
    label: str
    variables: Mapping[str, Variable] = field(default_factory=dict)
    monotone: tuple[MonotoneEffect, ...] = ()
    forbidden: tuple[str, ...] = ()
    exposure: str | None = None

    # -- graph -------------------------------------------------------------------------------
    @property
    def dag(self) -> nx.DiGraph:
        return build_dag(self.nodes, self.edges, self.label)

    def parents(self, node: str) -> list[str]:
        """Parents in ``nodes`` order (a stable feature order for the mechanisms)."""
        return [a for a in self.nodes if (a, node) in set(self.edges)]

    def order(self) -> list[str]:
        """A topological order, ties broken by the order of ``nodes``."""
        return list(nx.lexicographical_topological_sort(self.dag, key=self.nodes.index))

    def roots(self) -> list[str]:
        return [n for n in self.nodes if not self.parents(n)]

    def variable(self, node: str) -> Variable:
        return self.variables.get(node) or Variable(node)

    def mutable_roots(self) -> list[str]:
        """The causes a counterfactual may change: mutable nodes (not the label) whose parents are all immutable."""
        return [v for v in self.order() if v != self.label and not self.variable(v).immutable
                and all(self.variable(p).immutable for p in self.parents(v))]

    def immutables(self) -> list[str]:
        return [n for n in self.nodes if self.variable(n).immutable]

    # -- (de)serialisation ---------------------------------------------------------------------
    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], *, source: str = "the causal map") -> "CausalMap":
        """Build and check a map; every problem is one ConfigError naming the node or edge."""
        if not isinstance(raw, Mapping):
            raise ConfigError(f"{source} must be a mapping with nodes, edges and label",
                              "see configs/trauma_graph.yaml")
        unknown = sorted(set(raw) - set(KEYS))
        if unknown:
            raise ConfigError(f"unknown key {unknown[0]!r} in {source}", f"use only {list(KEYS)}")
        discovered = raw.get("discovered")
        if isinstance(discovered, Mapping) and not discovered.get("reviewed", False):
            raise ConfigError(f"{source} was written by causal discovery and has not been reviewed",
                              "read every edge, fix what is wrong, then set discovered.reviewed: true")
        nodes = tuple(raw.get("nodes") or ())
        label = raw.get("label")
        if not nodes:
            raise ConfigError(f"{source} has no nodes", "list the variables under nodes:")
        edges = []
        for edge in raw.get("edges") or ():
            if not isinstance(edge, (list, tuple)) or len(edge) != 2:
                raise ConfigError(f"edge {edge!r} in {source} is not a [parent, child] pair",
                                  "write each edge as [parent, child]")
            edges.append((str(edge[0]), str(edge[1])))
        dag = build_dag(nodes, edges, label)  # duplicates, unknown nodes, label, cycles
        variables = {}
        for name, spec in (raw.get("variables") or {}).items():
            variables[name] = _variable(name, spec, nodes, source)
        if label in variables and variables[label].type not in (None, "binary"):
            raise ConfigError(f"the label {label!r} is declared {variables[label].type!r} in {source}",
                              f"declare {label} as type: binary (or leave its type out)")
        for a, b in edges:
            ta, tb = variables.get(a, Variable(a)).tier, variables.get(b, Variable(b)).tier
            if ta is not None and tb is not None and ta > tb:
                raise ConfigError(f"edge {a} -> {b} in {source} goes back in time (tier {ta} -> tier {tb})",
                                  f"reverse or remove the edge, or fix the tiers of {a} and {b}")
            if variables.get(b, Variable(b)).immutable and not variables.get(a, Variable(a)).immutable:
                raise ConfigError(f"edge {a} -> {b} in {source} makes the immutable {b!r} depend on the mutable {a!r}",
                                  f"mark {a} immutable too, or {b} mutable, or remove the edge")
        monotone = []
        for item in raw.get("monotone") or ():
            if not isinstance(item, (list, tuple)) or len(item) != 3 or item[2] not in DIRECTIONS:
                raise ConfigError(f"monotone effect {item!r} in {source} is not [cause, effect, increasing|decreasing]",
                                  "write e.g. [spo2, mortality, decreasing]")
            cause, effect, direction = str(item[0]), str(item[1]), item[2]
            if cause not in nodes or effect not in nodes:
                raise ConfigError(f"monotone effect {cause} -> {effect} in {source} names a node not in the map",
                                  f"use nodes from {list(nodes)}")
            if not nx.has_path(dag, cause, effect) or cause == effect:
                raise ConfigError(f"monotone effect {cause} -> {effect} in {source} has no directed path in the graph",
                                  f"add the edges from {cause} to {effect}, or remove the effect")
            monotone.append(MonotoneEffect(cause, effect, direction))
        forbidden = tuple(str(f) for f in raw.get("forbidden") or ())
        for expr in forbidden:  # parsed by our own grammar at load, never handed to pandas eval (code execution)
            parse(expr, nodes, where=source)
        exposure = raw.get("exposure")
        if exposure is not None and (exposure not in nodes or exposure == label
                                     or not nx.has_path(dag, exposure, label)):
            raise ConfigError(f"exposure {exposure!r} in {source} is not a node with a directed path to {label!r}",
                              "name a cause of the label as exposure, or leave exposure out")
        return cls(nodes=nodes, edges=tuple(edges), label=label, variables=variables, monotone=tuple(monotone),
                   forbidden=forbidden, exposure=exposure)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"label": self.label, "nodes": list(self.nodes), "edges": [list(e) for e in self.edges]}
        variables = {n: v.to_dict() for n, v in self.variables.items() if v.to_dict()}
        if variables:
            out["variables"] = variables
        if self.monotone:
            out["monotone"] = [[m.cause, m.effect, m.direction] for m in self.monotone]
        if self.forbidden:
            out["forbidden"] = list(self.forbidden)
        if self.exposure:
            out["exposure"] = self.exposure
        return out

    # -- against the data ----------------------------------------------------------------------
    def forbidden_rows(self, frame: pd.DataFrame) -> list[tuple[str, np.ndarray]]:
        """Each forbidden combination with its boolean mask over the rows of ``frame``."""
        return [(expr, parse(expr, self.nodes).mask(frame)) for expr in self.forbidden]

    def complete(self, frame: pd.DataFrame, spec: TableSpec) -> "CausalMap":
        """Check the map against the data and its contract; fill undeclared types and categories from it.

        Raises a DataError naming the node when a node is not a column, a declared type contradicts
        data.categorical / data.integer or the values, or real rows lie outside declared bounds.
        """
        if self.label != spec.target:
            raise ConfigError(f"the causal map's label {self.label!r} is not the target {spec.target!r}",
                              f"set label: {spec.target} in the map file")
        missing = [n for n in self.nodes if n not in frame.columns]
        if missing:
            raise DataError(f"causal map node(s) {missing} are not columns of the data "
                            f"(columns: {list(frame.columns)})",
                            "rename the nodes to match the columns, or remove them from the map")
        variables = {}
        for node in self.nodes:
            var = self.variable(node)
            values = frame[node]
            in_categorical = node in spec.categorical
            inferred = ("binary" if node == self.label else "categorical" if in_categorical else
                        "integer" if node in spec.integer or pd.api.types.is_integer_dtype(values) else "continuous")
            kind = var.type or inferred
            if kind in ("continuous", "integer") and in_categorical:
                raise DataError(f"causal map node {node!r} is declared {kind} but data.categorical lists it",
                                f"declare {node} as categorical or binary in the map, or fix data.categorical")
            if kind in ("continuous", "integer") and not pd.api.types.is_numeric_dtype(values):
                raise DataError(f"causal map node {node!r} is declared {kind} but the column holds {values.dtype}",
                                f"declare {node} as categorical in the map and list it under data.categorical")
            if kind == "integer" and not np.allclose(values.to_numpy(dtype=float) % 1, 0):
                raise DataError(f"causal map node {node!r} is declared integer but the data has fractional values",
                                f"declare {node} as continuous, or round the column")
            levels = sorted(values.unique().tolist(), key=str)
            if kind == "binary" and len(levels) > 2:
                raise DataError(f"causal map node {node!r} is declared binary but takes {len(levels)} values",
                                f"declare {node} as categorical")
            if kind in ("binary", "categorical") and not in_categorical and node != self.label:
                raise DataError(f"causal map node {node!r} is declared {kind} but data.categorical does not list it",
                                f"add {node} to data.categorical, or declare it continuous/integer in the map")
            categories = var.categories
            if kind in ("binary", "categorical"):
                if categories is None:
                    categories = tuple(levels)
                else:
                    extra = [v for v in levels if str(v) not in {str(c) for c in categories}]
                    if extra:
                        raise DataError(f"causal map node {node!r} lists categories {list(categories)} but the data "
                                        f"also holds {extra[:5]}", f"add them to variables.{node}.categories")
            if var.bounds is not None and kind in ("continuous", "integer"):
                low, high = var.bounds
                outside = int(((values < low) | (values > high)).sum())
                if outside:
                    raise DataError(f"{outside} real row(s) have {node} outside the map's bounds [{low}, {high}]",
                                    f"widen variables.{node}.bounds in the map, or clean the data")
            variables[node] = replace(var, type=kind, categories=categories)
        for expr, mask in self.forbidden_rows(frame):
            hit = int(mask.sum())
            if hit:
                raise DataError(f"{hit} real row(s) meet the forbidden combination {expr!r}",
                                "fix the condition in the map (it must describe impossible rows), or clean the data")
        return replace(self, variables=variables)


def _variable(name: str, spec: Any, nodes: Sequence[str], source: str) -> Variable:
    if name not in nodes:
        raise ConfigError(f"variables.{name} in {source} is not a node of the map", f"add {name} to nodes or remove it")
    if not isinstance(spec, Mapping):
        raise ConfigError(f"variables.{name} in {source} must be a mapping",
                          "write e.g. {type: integer, bounds: [0, 10]}")
    unknown = sorted(set(spec) - set(VARIABLE_KEYS))
    if unknown:
        raise ConfigError(f"unknown key {unknown[0]!r} in variables.{name} of {source}",
                          f"use only {list(VARIABLE_KEYS)}")
    kind = spec.get("type")
    if kind is not None and kind not in TYPES:
        raise ConfigError(f"variables.{name}.type is {kind!r} in {source}", f"use one of {list(TYPES)}")
    bounds = spec.get("bounds")
    if bounds is not None:
        if not isinstance(bounds, (list, tuple)) or len(bounds) != 2:
            raise ConfigError(f"variables.{name}.bounds in {source} is not [low, high]", "write e.g. bounds: [0, 100]")
        low = -math.inf if bounds[0] is None else float(bounds[0])
        high = math.inf if bounds[1] is None else float(bounds[1])
        if low > high:
            raise ConfigError(f"variables.{name}.bounds [{low}, {high}] in {source} has low > high", "swap them")
        bounds = (low, high)
    tier = spec.get("tier")
    if tier is not None and (isinstance(tier, bool) or not isinstance(tier, int)):
        raise ConfigError(f"variables.{name}.tier is {tier!r} in {source}", "use a whole number (0 = earliest)")
    categories = spec.get("categories")
    return Variable(name=name, type=kind, bounds=bounds, immutable=bool(spec.get("immutable", False)), tier=tier,
                    categories=tuple(categories) if categories is not None else None)
