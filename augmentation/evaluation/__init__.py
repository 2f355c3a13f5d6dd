"""Proof on real rows: ``metrics`` (scores and their summaries), ``protocol`` (the classification hold-out
protocol), ``regression_protocol``, ``fairness`` (group metrics, fairlearn)."""

__all__ = ["metrics", "protocol", "regression_protocol", "fairness"]
