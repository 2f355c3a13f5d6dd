"""How much memory a generator needs for a table of a given size, and a refusal, before it starts, when the machine
has less.

The need is measured, not guessed: ``docs/bench_memory.py`` runs each generator alone at several sizes and writes
its peak memory beyond the rows themselves, against the cells (training rows + new rows) × feature columns, to
``memory.json`` beside this module. The estimate follows those points: interpolated between two measured sizes,
extended along the last segment beyond the largest (no model of growth the measurements do not show; SMOTE-NC's
memory, for one, jumps fourfold from 100,000 to 200,000 rows and then hardly grows). A generator that would need
more than the memory available now is refused with the knobs that shrink the need, instead of being killed by the
kernel an hour into the run.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path

import numpy as np

from augmentation.errors import ConfigError, DataError

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
    points = sorted(((p["rows"] + p["new_rows"]) * p["columns"], p["extra_mb"]) for p in measured["points"])
    cells, mb = np.array([c for c, _ in points], dtype=float), np.array([m for _, m in points], dtype=float)
    wanted = (rows + new_rows) * columns
    if wanted <= cells[-1] or len(cells) < 2:
        return float(np.interp(wanted, cells, mb))
    slope = max((mb[-1] - mb[-2]) / (cells[-1] - cells[-2]), 0.0)
    return float(mb[-1] + slope * (wanted - cells[-1]))


BUDGET = "OVERSAMPLE_MEMORY_MB"  # a budget of one's own (a shared machine, a container the kernel does not report)


def available_mb() -> float:
    """The memory a run can take now (MB): what the machine can give without swapping, within the container's
    limit (cgroup v2 ``memory.max``) and within ``$OVERSAMPLE_MEMORY_MB`` when set."""
    import psutil

    free = [psutil.virtual_memory().available / 2**20]
    cgroup = Path("/sys/fs/cgroup")
    try:
        limit, used = (cgroup / "memory.max").read_text().strip(), (cgroup / "memory.current").read_text().strip()
        if limit != "max":
            free.append((int(limit) - int(used)) / 2**20)
    except (OSError, ValueError):
        pass
    if os.environ.get(BUDGET):
        try:
            free.append(float(os.environ[BUDGET]))
        except ValueError:
            raise ConfigError(f"{BUDGET}={os.environ[BUDGET]!r} is not a number of megabytes",
                              "set it to e.g. 8000, or unset it") from None
    return min(free)


def check_memory(method: str, rows: int, new_rows: int, columns: int, *, available: float | None = None) -> None:
    """Raise a DataError naming the knobs when ``method`` would need more than ``SHARE`` of the available memory."""
    need = needed_mb(method, rows, new_rows, columns)
    if need is None:
        return
    available = available_mb() if available is None else available
    if need <= SHARE * available:
        return
    raise DataError(
        f"generator {method!r} would need about {_size(need)} of memory to fit on {rows:,} training rows of "
        f"{columns} columns and draw {new_rows:,} new ones (measured: docs/scale.md, 'Memory per generator'), and "
        f"{_size(available)} are available",
        "train on fewer rows (a smaller sample of the source), lower generators.sampling_strategy, remove "
        f"{method!r} from generators.methods, or run on a machine with more memory ({BUDGET} sets a budget of "
        "your own)")


def _size(mb: float) -> str:
    return f"{mb / 1024:.1f} GB" if mb >= 1024 else f"{mb:.0f} MB"
