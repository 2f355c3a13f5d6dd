"""Data contracts as Great Expectations suites: ``suite`` (load and validate), ``draft`` (a first suite from data)."""

__all__ = ["suite", "draft"]
