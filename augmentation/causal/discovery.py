"""PC (causal-learn) as an adapter: a proposed causal map from data, and graph distances.

Graphs are compared as equivalence classes (CPDAGs): each unordered pair of nodes is one of
none, a -> b, b -> a, or undirected (a - b: PC could not orient it). The structural Hamming
distance (SHD) counts the pairs in which two graphs differ (a reversed edge counts once).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from augmentation.causal.map import CausalMap, Variable
from augmentation.data.table import category_codes

log = logging.getLogger(__name__)

# (a, b) with a before b in node order -> "->", "<-" or "--"
Pattern = dict[tuple[str, str], str]


def encode(frame: pd.DataFrame, columns: Sequence[str], categorical: Sequence[str] = ()) -> np.ndarray:
    """A float matrix for Fisher-z tests; categorical columns as integer codes (an approximation)."""
    out = np.empty((len(frame), len(columns)))
    for j, col in enumerate(columns):
        values = frame[col]
        if col in categorical or not pd.api.types.is_numeric_dtype(values):
            out[:, j] = category_codes(values)
        else:
            out[:, j] = values.to_numpy(dtype=float)
    return out


def pc_pattern(data: np.ndarray, names: Sequence[str], *, alpha: float = 0.01,
               tiers: Mapping[str, int] | None = None, forbidden: Sequence[tuple[str, str]] = (),
               required: Sequence[tuple[str, str]] = ()) -> Pattern:
    """Run PC with Fisher-z and background knowledge; return its CPDAG as a pattern."""
    from causallearn.graph.GraphNode import GraphNode
    from causallearn.search.ConstraintBased.PC import pc
    from causallearn.utils.PCUtils.BackgroundKnowledge import BackgroundKnowledge

    knowledge = None
    if tiers or forbidden or required:
        knowledge = BackgroundKnowledge()
        for name, tier in (tiers or {}).items():
            knowledge.add_node_to_tier(GraphNode(name), int(tier))
        for a, b in forbidden:
            knowledge.add_forbidden_by_node(GraphNode(a), GraphNode(b))
        for a, b in required:
            knowledge.add_required_by_node(GraphNode(a), GraphNode(b))
    keep = np.ptp(data, axis=0) > 0  # PC's Fisher-z is undefined on a constant column: it has no edges
    used = [n for n, k in zip(names, keep, strict=True) if k]  # names: one per data column
    pattern: Pattern = {}
    if len(used) < 2:
        return pattern
    graph = pc(data[:, keep], alpha=alpha, indep_test="fisherz", show_progress=False, node_names=used,
               background_knowledge=knowledge).G.graph
    for i, a in enumerate(used):
        for j in range(i + 1, len(used)):
            b = used[j]
            mark_ij, mark_ji = graph[i, j], graph[j, i]
            if mark_ij == 0 and mark_ji == 0:
                continue
            if mark_ij == -1 and mark_ji == 1:
                pattern[_key(a, b, names)] = "->" if _key(a, b, names) == (a, b) else "<-"
            elif mark_ij == 1 and mark_ji == -1:
                pattern[_key(a, b, names)] = "<-" if _key(a, b, names) == (a, b) else "->"
            else:
                pattern[_key(a, b, names)] = "--"
    return pattern


def cpdag_pattern(causal_map: CausalMap) -> Pattern:
    """The equivalence class of the map's DAG (what PC can at best recover)."""
    from causallearn.graph.Dag import Dag
    from causallearn.graph.GraphNode import GraphNode
    from causallearn.utils.DAG2CPDAG import dag2cpdag

    nodes = {n: GraphNode(n) for n in causal_map.nodes}
    dag = Dag(list(nodes.values()))
    for a, b in causal_map.edges:
        dag.add_directed_edge(nodes[a], nodes[b])
    graph = dag2cpdag(dag).graph
    names = list(causal_map.nodes)
    pattern: Pattern = {}
    for i, a in enumerate(names):
        for j in range(i + 1, len(names)):
            b = names[j]
            if graph[i, j] == -1 and graph[j, i] == 1:
                pattern[(a, b)] = "->"
            elif graph[i, j] == 1 and graph[j, i] == -1:
                pattern[(a, b)] = "<-"
            elif graph[i, j] != 0 or graph[j, i] != 0:
                pattern[(a, b)] = "--"
    return pattern


def shd(first: Pattern, second: Pattern) -> int:
    """Pairs whose state (none, ->, <-, --) differs between two patterns over the same node order."""
    return sum(first.get(k) != second.get(k) for k in set(first) | set(second))


def discover_map(frame: pd.DataFrame, *, label: str, categorical: Sequence[str] = (), alpha: float = 0.01,
                 tiers: Mapping[str, int] | None = None, forbidden: Sequence[tuple[str, str]] = (),
                 required: Sequence[tuple[str, str]] = ()) -> tuple[CausalMap, list[tuple[str, str]]]:
    """A PROPOSED map from PC with background knowledge, and the edges PC left unoriented.

    Unoriented edges are given the direction of the column order (earlier -> later) so the
    proposal is a DAG; they are returned so the person reviewing the map knows which to check.
    """
    names = [c for c in frame.columns]
    if label not in names:
        raise ValueError(f"label {label!r} is not a column")
    pattern = pc_pattern(encode(frame, names, categorical), names, alpha=alpha, tiers=tiers, forbidden=forbidden,
                         required=required)
    edges, guessed = [], []
    for (a, b), state in sorted(pattern.items(), key=lambda kv: (names.index(kv[0][0]), names.index(kv[0][1]))):
        if state == "<-":
            edges.append((b, a))
        else:
            edges.append((a, b))
            if state == "--":
                guessed.append((a, b))
    variables = {n: Variable(n, tier=int(t)) for n, t in (tiers or {}).items() if n in names}
    return CausalMap(nodes=tuple(names), edges=tuple(edges), label=label, variables=variables), guessed


def _key(a: str, b: str, names: Sequence[str]) -> tuple[str, str]:
    return (a, b) if list(names).index(a) < list(names).index(b) else (b, a)
