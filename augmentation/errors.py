"""One error family for the whole library: every message names the problem and the fix."""

from __future__ import annotations


class OversamplingError(Exception):
    """A problem a user can fix; ``str(err)`` is the one message to show them."""

    def __init__(self, problem: str, fix: str) -> None:
        self.problem = problem
        self.fix = fix
        super().__init__(f"{problem}\n  fix: {fix}")


class DataError(OversamplingError, ValueError):
    """The input data cannot be used as it is."""


class ConfigError(OversamplingError, ValueError):
    """A parameter or a configuration file is wrong."""
