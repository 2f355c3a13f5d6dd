"""Causal structure: ``graph`` (DAG checks), ``map`` (the causal map file), ``mechanisms`` (one fitted
mechanism per node), ``constraints`` (types, bounds, immutables, forbidden rows), ``independence`` (implied
independences, real vs synthetic), ``scorecard`` (structure, mechanisms, effects, counterfactuals),
``discovery`` (PC with background knowledge)."""

__all__ = ["graph", "map", "mechanisms", "constraints", "independence", "scorecard", "discovery"]
