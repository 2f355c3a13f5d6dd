"""What a person reads: ``audit`` (the self-contained audit page)."""

__all__ = ["audit"]
