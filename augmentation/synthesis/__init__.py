"""From a table to synthetic rows: ``classification`` (minority rows, provenance, augmented sets) and
``regression`` (rare-target rows)."""

__all__ = ["classification", "regression"]
