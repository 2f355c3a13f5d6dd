"""Benchmark: the whole retraining flow (`oversample run`) at a size, per runner: wall time, CPU use, peak memory.

Run:  OMP_NUM_THREADS=1 .venv/bin/python docs/bench_flow.py --rows 200000 [--runner processes,threads]
      [--methods smote,scm] [--out docs/scale_flow.json]

Each run is `oversample run --runner R` in a scratch copy of the project (its own git and DVC repo, a temporary
Prefect server), with ``simulate.rows`` set. Wall time and CPU time (the run and every process it started) are
the command's; CPU use is CPU time / wall time (200 % = both of 2 cores busy the whole run). Peak memory is the
largest sum of resident memory over the run's process tree, sampled twice a second (the workers of a process
pool or Dask cluster count). Results are appended to ``--out`` as they are measured.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flows.bench import machine  # noqa: E402
from tests.conftest import copy_project  # noqa: E402


def tree_rss(process: psutil.Process) -> int:
    total = 0
    for p in [process, *process.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:  # ended between the listing and the reading
            pass
    return total


def measure(rows: int, runner: str, methods: list[str] | None) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"flow-{rows}-") as scratch:
        project = copy_project(Path(scratch) / "project")
        params = yaml.safe_load((project / "params.yaml").read_text())
        params["simulate"]["rows"] = rows
        if methods:
            params["generators"]["methods"] = methods
        (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
        env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"),
               "DVC_SITE_CACHE_DIR": str(Path(scratch) / "dvc-site-cache")}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start, peak = time.monotonic(), 0
        child = psutil.Popen([str(Path(sys.executable).parent / "oversample"), "run", "--runner", runner],
                             cwd=project, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        while child.poll() is None:
            peak = max(peak, tree_rss(child))
            time.sleep(0.5)
        wall = time.monotonic() - start
        if child.returncode != 0:
            raise SystemExit(f"oversample run --runner {runner} failed:\n{child.stderr.read().decode()[-3000:]}")
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result = {"rows": rows, "runner": runner, "methods": params["generators"]["methods"],
              "wall_seconds": round(wall, 1), "cpu_seconds": round(cpu, 1), "cpu_percent": round(100 * cpu / wall),
              "peak_mb": round(peak / 2**20)}
    print(json.dumps(result), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="20000", help="comma-separated sizes")
    parser.add_argument("--runner", default="processes", help="comma-separated runners (flows/runners.py)")
    parser.add_argument("--methods", default="", help="generators (default: params.yaml's)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs/scale_flow.json")
    args = parser.parse_args()
    methods = [m for m in args.methods.split(",") if m] or None
    report = json.loads(args.out.read_text()) if args.out.exists() else {"results": []}
    report.update(machine=machine(), command="python docs/bench_flow.py " + " ".join(sys.argv[1:]))
    for rows in [int(r) for r in args.rows.split(",")]:
        for runner in args.runner.split(","):
            report["results"].append(measure(rows, runner, methods))
            args.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
