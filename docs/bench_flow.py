"""Benchmark: the whole retraining flow (`oversample run`) at a size, per runner: wall time, CPU use, peak memory.

Run:  OMP_NUM_THREADS=1 .venv/bin/python docs/bench_flow.py --rows 200000 [--runner processes,threads]
      [--workers N] [--methods smote,scm] [--out docs/scale_flow.json]

``--runner threads --workers 1`` runs the tasks one at a time: the paired baseline for the fan-out.

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


def phase_seconds(log: str) -> dict[str, float]:
    """Seconds of the run's phases, from the timestamps of Prefect's log lines: up to the ``generators`` subflow
    (server start, ingest, validate, split), its per-generator tasks (fit … evaluate), its decision tasks
    (recommend's option groups, one per outer fold) and combine, and the rest (report, DVC, the version)."""
    import re
    from datetime import datetime

    def at(pattern: str, last: bool = False) -> float | None:
        found = re.findall(r"^(\d\d:\d\d:\d\d\.\d+) \|.*" + pattern, log, flags=re.M)
        return datetime.strptime(found[-1 if last else 0], "%H:%M:%S.%f").timestamp() if found else None

    marks = [at(r"Beginning flow run"), at(r"Beginning subflow run"),
             at(r"generators \d+/\d+ done: (?:fit|synthesize|causal|fairness|evaluate) ", last=True),
             at(r"Flow run '[^']*' - Finished in state", last=False), at(r"Finished in state", last=True)]
    if None in marks:
        return {}
    names = ("before the subflow", "per-generator tasks", "decision", "report and DVC")
    spans = [(b - a) % 86400 for a, b in zip(marks, marks[1:], strict=False)]  # % a day: past midnight
    return {name: round(span, 1) for name, span in zip(names, spans, strict=True)}


def measure(rows: int, runner: str, methods: list[str] | None, workers: int | None = None) -> dict:
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
        log = Path(scratch) / "run.log"  # a file, not a pipe: a full pipe would stop the run
        with log.open("w") as out:
            command = [str(Path(sys.executable).parent / "oversample"), "run", "--runner", runner]
            child = psutil.Popen(command + (["--workers", str(workers)] if workers else []),
                                 cwd=project, env=env, stdout=out, stderr=subprocess.STDOUT)
            while child.poll() is None:
                peak = max(peak, tree_rss(child))
                time.sleep(0.5)
        wall = time.monotonic() - start
        if child.returncode != 0:
            raise SystemExit(f"oversample run --runner {runner} failed:\n{log.read_text()[-3000:]}")
        phases = phase_seconds(log.read_text())
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    code = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True,
                          text=True).stdout.strip()
    result = {"code": code, "rows": rows, "runner": runner, "workers": workers,
              "methods": params["generators"]["methods"],
              "wall_seconds": round(wall, 1), "cpu_seconds": round(cpu, 1), "cpu_percent": round(100 * cpu / wall),
              "peak_mb": round(peak / 2**20), "phases": phases}
    print(json.dumps(result), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="20000", help="comma-separated sizes")
    parser.add_argument("--runner", default="processes", help="comma-separated runners (flows/runners.py)")
    parser.add_argument("--methods", default="", help="generators (default: params.yaml's)")
    parser.add_argument("--workers", type=int, default=None, help="the runner's workers (default: the cores, max 4)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs/scale_flow.json")
    args = parser.parse_args()
    methods = [m for m in args.methods.split(",") if m] or None
    report = json.loads(args.out.read_text()) if args.out.exists() else {"results": []}
    report.update(machine=machine(), command="python docs/bench_flow.py " + " ".join(sys.argv[1:]))
    for rows in [int(r) for r in args.rows.split(",")]:
        for runner in args.runner.split(","):
            report["results"].append(measure(rows, runner, methods, args.workers))
            args.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
