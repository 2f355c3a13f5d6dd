"""Operating over time: ``drift`` (Evidently on the minority rows) and ``versions`` (the registry of fitted
generator versions, with its lock)."""

__all__ = ["drift", "versions"]
