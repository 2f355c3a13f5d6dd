"""Benchmark: the drift monitor on a 100,000-row batch, and one recalibration, on the default params.yaml.

    .venv/bin/python docs/bench_drift.py            # ~3-4 minutes on 2 cores; prints JSON, writes nothing in the repo

Steps, in a throw-away copy of the project (a temp folder):
1. baseline: the pipeline's stage functions (ingest .. report, no Prefect) on the default 20,000 rows,
   registered as version v1;
2. monitor: a fresh Python process takes one 100,000-row drifted batch from the incoming folder
   (read, contract check, copy to accepted) and tests its minority rows against v1's with Evidently;
   its wall time includes every import (Great Expectations, Evidently). The peer, in the same run:
   scipy's two-sample KS / chi-square tests on the same minority rows (what Evidently wraps);
3. recalibration: the Prefect `recalibrate` flow in a fresh process (temporary API server started
   before the clock starts), refit on the 20,000-row window, all gates, registry write and DVC push.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "DVC_NO_ANALYTICS": "1", "DO_NOT_TRACK": "1",
       "GX_ANALYTICS_ENABLED": "false", "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
       "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120", "PYTHONPATH": ""}

MONITOR = """
import json, time
t0 = time.perf_counter()
from tasks.params import load_params
from tasks import batches, monitor
p = load_params()
t1 = time.perf_counter()
taken = batches.from_files(p)
t2 = time.perf_counter()
result = monitor.check_drift(p, taken[0].path)
t3 = time.perf_counter()
print(json.dumps({"rows": taken[0].rows, "minority_rows": result["current_rows"], "drifted": result["drifted"],
                  "drift_share": result["drift_share"], "seconds_imports_and_params": round(t1 - t0, 2),
                  "seconds_read_and_contract": round(t2 - t1, 2),
                  "seconds_evidently_drift_and_html": round(t3 - t2, 2)}))
"""

PEER = """
import json, time
t0 = time.perf_counter()
import pandas as pd
from scipy import stats
from augmentation.data.table import check_table
from tasks.params import load_params
p = load_params(); spec = p.data.spec()
ref = pd.read_parquet("models/registry/v1/data/train.parquet")
cur = check_table(pd.read_parquet(sorted(__import__("pathlib").Path("data/batches").glob("*.parquet"))[0]),
                  spec, source="b")
ref, cur = ref[ref[spec.target] == 1], cur[cur[spec.target] == 1]
p_values = {}
for c in ref.columns.drop(spec.target):
    if c in spec.categorical:
        table = pd.crosstab(pd.concat([ref[c], cur[c]]), [0] * len(ref) + [1] * len(cur))
        p_values[c] = stats.chi2_contingency(table)[1]
    else:
        p_values[c] = stats.ks_2samp(ref[c], cur[c]).pvalue
print(json.dumps({"seconds": round(time.perf_counter() - t0, 2),
                  "drifted": int(sum(v < 0.05 for v in p_values.values()))}))
"""

RECALIBRATE = """
import json, time
from prefect import flow
@flow
def warm_up():
    return 1
warm_up()  # starts the temporary API server before the clock
from flows.drift import recalibrate
t0 = time.perf_counter()
verdict = recalibrate()
print(json.dumps({"seconds": round(time.perf_counter() - t0, 2), "promoted": verdict["promoted"],
                  "version": verdict.get("version"), "gates": [[g["gate"], g["passed"]] for g in verdict["gates"]]}))
"""


def run_python(code: str, cwd: Path) -> tuple[dict, float]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=ENV, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1]), round(wall, 2)


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-drift-"))
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        if not name.startswith(("tests/", "models/")) and name != "dvc.lock":
            (work / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, work / name)
    subprocess.run(["git", "init", "-q"], cwd=work, check=True)
    os.environ.update(ENV)
    os.chdir(work)
    sys.path.insert(0, str(work))
    from tasks import causal, evaluate, fairness, fit, ingest, report, split, synthesize, validate, versions
    from tasks.params import load_params

    p = load_params()
    start = time.perf_counter()
    for stage in (ingest, validate, split, fit, synthesize, causal, fairness, evaluate, report):
        stage.run(p)
    baseline_seconds = round(time.perf_counter() - start, 2)
    summary = json.loads(Path("metrics/summary.json").read_text())
    versions.register(p, root=Path("."), summary=summary, trigger={"kind": "manual"}, batches=[], activate=True)

    from augmentation.data import io
    from augmentation.data.simulate import simulate_trauma
    io.write_parquet(simulate_trauma(rows=100_000, seed=7, drift=1.0), Path("data/incoming/batch-100k.parquet"))
    monitor, monitor_wall = run_python(MONITOR, work)
    peer, peer_wall = run_python(PEER, work)
    recalibration, recalibration_wall = run_python(RECALIBRATE, work)
    print(json.dumps({"cpu_count": os.cpu_count(), "baseline_pipeline_seconds_no_prefect": baseline_seconds,
                      "monitor": {**monitor, "process_wall_seconds": monitor_wall},
                      "peer_scipy_tests": {**peer, "process_wall_seconds": peer_wall},
                      "monitor_over_peer": round(monitor_wall / peer_wall, 1),
                      "recalibration": {**recalibration, "process_wall_seconds_incl_server_start": recalibration_wall},
                      "recalibration_over_baseline": round(recalibration["seconds"] / baseline_seconds, 2)}, indent=2))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
