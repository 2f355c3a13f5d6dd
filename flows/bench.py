"""The benchmark flow: load a suite, run every cell (locally with a progress bar, or on Dask), report."""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path
from typing import Optional

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from augmentation.bench import method_names, plan_cells, split_list
from augmentation.bench.cells import LEARNERS, PROTOCOLS, Cell, cached_cell, code_version, run_cells
from augmentation.bench.datasets import dataset_label, load_dataset, suite_names
from augmentation.bench.report import results_frame, write_report
from augmentation.errors import ConfigError
from flows.runners import dask_runner

RUNNERS = ("local", "dask")


def machine() -> str:
    return (f"{platform.machine()}, {os.cpu_count()} CPU cores, "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}")


@task(name="bench-cell", cache_policy=NO_CACHE)
def bench_cell(cell: dict, data_path: str, cache_dir: str, code: str, retry_errors: bool) -> dict:
    return cached_cell(Cell(**cell), data_path, cache_dir, code=code, retry_errors=retry_errors)


@flow(name="bench-cells-dask")
def dask_cells(cells: list[dict], data_paths: dict[str, str], cache_dir: str, code: str,
               retry_errors: bool) -> list[dict]:
    """The cells as Prefect tasks on the flow's task runner (set to Dask by ``bench``)."""
    futures = [bench_cell.submit(c, data_paths[c["dataset"]], cache_dir, code, retry_errors) for c in cells]
    return [f.result() for f in futures]


@flow(name="bench", log_prints=True)
def bench(suite: str = "dev", methods: str = "all", learners: str = "cart,logreg,hgb", protocol: str = "paper",
          seeds: int = 1, seed: int = 0, copies: int = 3, runner: str = "local", address: Optional[str] = None,
          workers: int = 2, processes: bool = True, out: str = "reports/bench", params: Optional[dict] = None,
          retry_errors: bool = False, progress: bool = True, command: str = "") -> dict:
    """Run methods × datasets × learners × seeds × protocols; write results.parquet, summary.md and plots."""
    log = get_run_logger()
    if runner not in RUNNERS:
        raise ConfigError(f"unknown runner {runner!r}", f"use one of {list(RUNNERS)}")
    start = time.perf_counter()
    cache = Path(out) / "cache"
    names = suite_names(suite)
    labels = [dataset_label(n) for n in names]
    if len(set(labels)) < len(labels):
        raise ConfigError(f"--suite names the same dataset twice: {labels}", "give each file a distinct name")
    data_paths = {label: str(load_dataset(name, cache)) for label, name in zip(labels, names, strict=True)}
    cells = plan_cells(list(data_paths), method_names(methods), split_list(learners, LEARNERS, "--learners"),
                       split_list(protocol, PROTOCOLS, "--protocol"), seeds, copies=copies, params=params, seed=seed)
    code = code_version()
    log.info("%d datasets, %d cells, runner %s, cache %s", len(data_paths), len(cells), runner, cache / "cells")
    if runner == "local":
        records = _local(cells, data_paths, cache, retry_errors, progress)
    else:
        from dataclasses import asdict

        records = dask_cells.with_options(task_runner=dask_runner(address, workers, processes))(
            [asdict(c) for c in cells], data_paths, str(cache), code, retry_errors)
    wall = time.perf_counter() - start
    results = results_frame(records)
    summary = write_report(results, out, title=f"Benchmark: suite {suite}",
                           command=command or f"bench(suite={suite!r})", wall_seconds=wall, machine=machine())
    create_markdown_artifact(key="bench-summary", markdown=summary.read_text()[:100_000],
                             description="Oversampling benchmark: ranks, tests, per-dataset AUC")
    computed = sum(not r["cached"] for r in records)
    failed = int((results.status != "ok").sum())
    log.info("%d cells (%d computed, %d from cache, %d failed) in %.0f s", len(records), computed,
             len(records) - computed, failed, wall)
    return {"cells": len(records), "computed": computed, "failed": failed, "wall_seconds": wall,
            "results": str(Path(out) / "results.parquet"), "summary": str(summary)}


def _local(cells: list[Cell], data_paths: dict[str, str], cache: Path, retry_errors: bool,
           progress: bool) -> list[dict]:
    if not progress:
        return run_cells(cells, data_paths, cache, retry_errors=retry_errors)
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("ETA"), TimeRemainingColumn()]
    with Progress(*columns) as bar:
        job = bar.add_task("bench cells", total=len(cells))

        def advance(record: dict) -> None:
            bar.update(job, advance=1, description=f"{record['dataset']} {record['method']} {record['learner']}")

        return run_cells(cells, data_paths, cache, progress=advance, retry_errors=retry_errors)
