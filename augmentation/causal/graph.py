"""Graph utilities shared by the causal map and the checks."""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx

from augmentation.errors import ConfigError


def build_dag(nodes: Sequence[str], edges: Sequence[tuple[str, str]], label: str) -> nx.DiGraph:
    """The validated DAG: each node once, the label a node, edges between known nodes, no cycle."""
    nodes = list(nodes)
    dupes = sorted({n for n in nodes if nodes.count(n) > 1})
    if dupes:
        raise ConfigError(f"causal graph lists node(s) {dupes} more than once", "list each node once")
    if label not in nodes:
        raise ConfigError(
            f"label {label!r} is not a node of the causal graph (nodes: {nodes})",
            "add the label to the graph's nodes or pass the right label name",
        )
    graph = nx.DiGraph()
    graph.add_nodes_from(nodes)
    known = set(nodes)
    for edge in edges:
        if len(edge) != 2:
            raise ConfigError(f"causal graph edge {edge!r} is not a (cause, effect) pair",
                              "write edges as [cause, effect]")
        a, b = edge
        unknown = [n for n in (a, b) if n not in known]
        if unknown:
            raise ConfigError(
                f"causal graph edge {a} -> {b} names unknown node(s) {unknown}",
                f"add them to the nodes or fix the edge; nodes are {nodes}",
            )
        graph.add_edge(a, b)
    if not nx.is_directed_acyclic_graph(graph):
        cycle = " -> ".join(u for u, _ in nx.find_cycle(graph))
        raise ConfigError(f"causal graph is cyclic ({cycle} -> ...)", "remove an edge so the graph is a DAG")
    return graph
