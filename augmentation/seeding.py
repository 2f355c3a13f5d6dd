"""One seed reaches every random choice: child seeds are derived from it by name."""

from __future__ import annotations

import hashlib


def derive_seed(seed: int, *names: object) -> int:
    """A stable 32-bit seed for the random choice called ``names`` (same inputs, same seed, any platform)."""
    text = "/".join([str(seed), *map(str, names)])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")
