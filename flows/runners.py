"""Where a flow's per-generator tasks run: threads or processes on this machine, or a Dask cluster.

Every runner gives the same bytes: each task's work is seeded by the run's seed and its own method, never by
where or in which order it runs (tests/test_pipeline.py runs the pipeline on a process pool and on a 2-worker
Dask cluster).
"""

from __future__ import annotations

import os
from typing import Optional

from augmentation.errors import ConfigError

RUNNERS = ("processes", "threads", "dask")
DEFAULT_RUNNER = os.environ.get("OVERSAMPLE_RUNNER", "processes")


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 4))


def check(runner: str, workers: Optional[int] = None, address: Optional[str] = None) -> None:
    """One message for a runner option that cannot work (cheap: builds nothing)."""
    if runner not in RUNNERS:
        raise ConfigError(f"unknown runner {runner!r}", f"use one of {list(RUNNERS)}")
    if address and runner != "dask":
        raise ConfigError(f"--address {address} is for the dask runner, not {runner!r}", "add --runner dask")
    if workers is not None and workers < 1:
        raise ConfigError(f"--workers {workers} must be at least 1", "give a positive number of workers")


def task_runner(runner: str = DEFAULT_RUNNER, workers: Optional[int] = None, address: Optional[str] = None):
    """The Prefect task runner of that name: ``processes`` (a process pool here, the default: every core busy),
    ``threads`` (a thread pool here), or ``dask`` (Prefect's DaskTaskRunner: the cluster at ``address``, else a
    local cluster of ``workers`` worker processes). ``workers`` defaults to the cores, at most 4."""
    check(runner, workers, address)
    workers = workers or default_workers()
    if runner == "threads":
        from prefect.task_runners import ThreadPoolTaskRunner
        return ThreadPoolTaskRunner(max_workers=workers)
    if runner == "processes":
        from prefect.task_runners import ProcessPoolTaskRunner
        return ProcessPoolTaskRunner(max_workers=workers)
    return dask_runner(address, workers)


def dask_runner(address: Optional[str], workers: int, processes: bool = True):
    """Prefect's DaskTaskRunner: the cluster at ``address``, else a local one of ``workers`` single-threaded workers
    (worker processes, or threads of this process with ``processes=False``)."""
    from prefect_dask import DaskTaskRunner

    if address:
        return DaskTaskRunner(address=address)
    return DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": processes,
                                          "dashboard_address": None})
