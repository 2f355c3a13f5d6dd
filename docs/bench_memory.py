"""Benchmark: each generator's peak memory as the data grows, the numbers behind the size refusal.

Run:  OMP_NUM_THREADS=1 .venv/bin/python docs/bench_memory.py --rows 100000,200000,400000,1000000 [--methods smote,scm]
      [--out augmentation/generators/memory.json]

For each generator and size, a fresh process simulates the built-in cohort with params.yaml's data settings,
keeps the first (1 - split.test_size) of it as the training rows, and fits and draws as the synthesize stage
does (the causal map included, params.yaml's generator parameters and sampling strategy). It reports the peak
resident memory beyond what the process held just before (the interpreter, the libraries and the rows).
``augmentation/generators/sizing.py`` reads the points (cells = (training rows + new rows) × feature columns,
extra MB) to refuse a size the machine cannot hold. Sizes already measured are kept in ``--out`` (delete it to
measure again).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flows.bench import machine  # noqa: E402

CHILD = """
import json, resource, sys
from augmentation.data.simulate import simulate_trauma
from augmentation.data.table import check_table
from augmentation.generators import make_generator
from augmentation.synthesis.classification import fit_generator, synthesize
from tasks.maps import causal_map
from tasks.params import load_params

rows, method, folder = int(sys.argv[1]), sys.argv[2], sys.argv[3]
p = load_params()
spec = p.data.spec()
frame = check_table(simulate_trauma(rows, seed=p.seed), spec)
train = frame.iloc[: int(rows * (1 - p.split.test_size))].reset_index(drop=True)
the_map = causal_map(p, train)
params = p.generators.params.get(method, {})


def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024


before = rss_mb()
settings = dict(method=method, sampling_strategy=p.generators.sampling_strategy, random_state=1,
                causal_map=the_map)
settable = make_generator(method, random_state=0, **params).get_params()
if "save_to" in settable:  # as the pipeline runs it: the fit stage fits and saves, synthesis reads that fit
    fit_generator(train, spec, params={**params, "save_to": folder}, **settings)
    params = {**params, "pretrained": folder, **({"fit_random_state": 1} if "fit_random_state" in settable else {})}
new = synthesize(train, spec, params=params, **settings)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"rows": len(train), "columns": len(spec.features(train)), "new_rows": len(new),
                  "before_mb": round(before, 1), "peak_mb": round(peak, 1), "extra_mb": round(peak - before, 1)}))
"""


def measure(rows: int, method: str, scratch: Path) -> dict:
    folder = scratch / f"{method}-{rows}"
    folder.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    child = subprocess.run([sys.executable, "-c", CHILD, str(rows), method, str(folder)], cwd=ROOT, env=env,
                           text=True, capture_output=True)
    if child.returncode != 0:
        raise SystemExit(f"{method} at {rows:,} rows failed:\n{child.stderr[-3000:]}")
    return json.loads(child.stdout.strip().splitlines()[-1])


def main() -> None:
    import tempfile

    import yaml

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="100000,200000,400000,1000000", help="comma-separated sizes (simulated rows)")
    parser.add_argument("--methods", default="", help="generators (default: params.yaml's)")
    parser.add_argument("--out", type=Path, default=ROOT / "augmentation/generators/memory.json")
    args = parser.parse_args()
    methods = [m for m in args.methods.split(",") if m] or yaml.safe_load(
        (ROOT / "params.yaml").read_text())["generators"]["methods"]
    report = json.loads(args.out.read_text()) if args.out.is_file() else {}
    report.setdefault("generators", {})
    with tempfile.TemporaryDirectory(prefix="memory-") as scratch:
        for method in methods:
            entry = report["generators"].setdefault(method, {"points": []})
            for rows in [int(s) for s in args.rows.split(",") if s]:
                if any(r["simulated_rows"] == rows for r in entry["points"]):
                    continue
                point = {"simulated_rows": rows, **measure(rows, method, Path(scratch))}
                entry["points"].append(point)
                print(f"{method:<12} {rows:>9,} rows  {point['new_rows']:>9,} new  {point['extra_mb']:8.0f} MB "
                      f"beyond {point['before_mb']:.0f} MB", flush=True)
            entry["points"].sort(key=lambda r: r["rows"])
            report.update(command="python docs/bench_memory.py " + " ".join(sys.argv[1:]), machine=machine())
            tmp = args.out.with_suffix(".tmp")
            tmp.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
            os.replace(tmp, args.out)


if __name__ == "__main__":
    main()
