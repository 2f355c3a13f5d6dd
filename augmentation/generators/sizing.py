"""How much memory a generator needs for a table of a given size, and a refusal, before it starts, when the machine
has less.

The need is measured, not guessed: ``docs/bench_memory.py`` runs each generator alone at two sizes and fits its
peak memory beyond the rows themselves as ``intercept + slope × cells`` (cells = (training rows + new rows) ×
feature columns), into ``memory.json`` beside this module. A generator that would need more than the memory
available now is refused with the knobs that shrink the need, instead of being killed by the kernel an hour into
the run.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from augmentation.errors import DataError

MEASURED = Path(__file__).with_name("memory.json")
# Head-room for what the estimate leaves out: the process pool's other worker, the stage's own frames.
SHARE = 0.8


@cache
def _measured() -> dict[str, dict]:
    return json.loads(MEASURED.read_text())["generators"] if MEASURED.is_file() else {}


def needed_mb(method: str, rows: int, new_rows: int, columns: int) -> float | None:
    """The memory (MB) ``method`` needs beyond the training rows to fit on ``rows`` rows of ``columns`` features and
    draw ``new_rows``; None for a generator not measured."""
    measured = _measured().get(method)
    if measured is None:
        return None
    return measured["intercept_mb"] + measured["mb_per_million_cells"] * (rows + new_rows) * columns / 1e6


def available_mb() -> float:
    """The memory this machine can give now without swapping (MB)."""
    import psutil

    return psutil.virtual_memory().available / 2**20


def check_memory(method: str, rows: int, new_rows: int, columns: int, *, available: float | None = None) -> None:
    """Raise a DataError naming the knobs when ``method`` would need more than ``SHARE`` of the available memory."""
    need = needed_mb(method, rows, new_rows, columns)
    if need is None:
        return
    available = available_mb() if available is None else available
    if need <= SHARE * available:
        return
    raise DataError(
        f"generator {method!r} would need about {need / 1024:.1f} GB of memory to fit on {rows:,} training rows of "
        f"{columns} columns and draw {new_rows:,} new ones (measured: docs/scale.md, 'Memory per generator'), and "
        f"{available / 1024:.1f} GB are available",
        "train on fewer rows (a smaller sample of the source), lower generators.sampling_strategy, remove "
        f"{method!r} from generators.methods, or run on a machine with more memory")
