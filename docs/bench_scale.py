"""Benchmark: the retraining pipeline's cost curve — wall time and peak memory per stage as the data grows.

Run:  OMP_NUM_THREADS=1 .venv/bin/python docs/bench_scale.py --rows 20000,200000 [--methods smote,scm]
      [--out docs/scale.json] [--markdown docs/scale.md]

For each size, the project's params.yaml with ``simulate.rows`` set (and ``generators.methods`` when
``--methods`` is given) runs in a scratch folder, stage by stage, with the commands of dvc.yaml — the same
functions the flow runs — each stage in its own process, so its wall time and its peak resident memory
(``ru_maxrss`` of that process) are its own; its imports (a few seconds, the same at every size) are timed
apart from its work. Per stage, the growth exponent k of time ∝ rows^k is the slope
of a least-squares line through log(time) against log(rows) over the sizes run. Sizes already measured
with the same settings and code are read from ``--out`` (delete it to measure again).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flows.bench import machine  # noqa: E402


def stages() -> dict[str, str]:
    return {name: stage["cmd"] for name, stage in yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"].items()}


def code_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted([*ROOT.glob("augmentation/**/*.py"), *ROOT.glob("tasks/*.py"), ROOT / "params.yaml"]):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


# One stage in its own process, as `dvc repro` runs it, timing its imports apart from its work (the work is what
# grows with the rows; the imports cost the same few seconds at every size).
STAGE = """
import json, resource, sys, time
start = time.monotonic()
import importlib
stage = importlib.import_module(sys.argv[1])
from tasks.params import load_params
p = load_params()
ready = time.monotonic()
stage.run(p)
print(json.dumps({"import_s": ready - start, "work_s": time.monotonic() - ready,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))  # Linux: KiB
"""


def run_stage(command: str, cwd: Path) -> dict:
    """The stage's import and work seconds, its process's wall seconds and peak resident MB."""
    module = shlex.split(command)[-1]  # dvc.yaml: python -m tasks.<stage>
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    start = time.monotonic()
    child = subprocess.Popen([sys.executable, "-c", STAGE, module], cwd=cwd, env=env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = child.communicate()
    wall = time.monotonic() - start
    if child.returncode != 0:
        raise SystemExit(f"`{command}` failed in {cwd}:\n{err[-3000:]}")
    timing = json.loads(out.strip().splitlines()[-1])
    return {"seconds": round(timing["work_s"], 1), "import_seconds": round(timing["import_s"], 1),
            "wall_seconds": round(wall, 1), "peak_mb": round(timing["peak_mb"], 1)}


def measure(rows: int, methods: list[str] | None) -> dict:
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["simulate"]["rows"] = rows
    if methods:
        params["generators"]["methods"] = methods
    with tempfile.TemporaryDirectory(prefix=f"scale-{rows}-") as scratch:
        folder = Path(scratch)
        for name in ("expectations", "configs"):
            (folder / name).symlink_to(ROOT / name)
        (folder / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
        per_stage = {}
        for name, command in stages().items():
            per_stage[name] = measured = run_stage(command, folder)
            print(f"{rows:>9,} rows  {name:<13} {measured['seconds']:8.1f} s work  "
                  f"{measured['import_seconds']:5.1f} s imports  {measured['peak_mb']:8.0f} MB peak", flush=True)
    return {"rows": rows, "methods": params["generators"]["methods"], "stages": per_stage,
            "total_seconds": round(sum(s["seconds"] for s in per_stage.values()), 1),
            "wall_seconds": round(sum(s["wall_seconds"] for s in per_stage.values()), 1),
            "peak_mb": max(s["peak_mb"] for s in per_stage.values())}


def exponents(results: list[dict]) -> dict[str, float | None]:
    """Per stage, k in time ∝ rows^k (least squares on the log-log points); None with fewer than two sizes."""
    if len({r["rows"] for r in results}) < 2:
        return {}
    rows = np.log([r["rows"] for r in results])
    names = [*results[0]["stages"], "total"]
    seconds = {name: [r["stages"][name]["seconds"] if name != "total" else r["total_seconds"] for r in results]
               for name in names}
    return {name: round(float(np.polyfit(rows, np.log(np.maximum(values, 0.1)), 1)[0]), 2)
            for name, values in seconds.items()}


def markdown(report: dict) -> str:
    results = sorted(report["results"], key=lambda r: r["rows"])
    sizes = [f"{r['rows']:,}" for r in results]
    lines = [f"Command: `{report['command']}`  ", f"Machine: {report['machine']}; code {report['code']}.  ",
             f"Methods: {', '.join(results[0]['methods'])}.", "",
             "| stage | " + " | ".join(f"{s} rows: s / MB" for s in sizes) + " | k (time ∝ rows^k) |",
             "|---|" + "---|" * (len(sizes) + 1)]
    k = report["exponents"]
    for name in results[0]["stages"]:
        cells = [f"{r['stages'][name]['seconds']:.1f} / {r['stages'][name]['peak_mb']:.0f}" for r in results]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {k.get(name, '')} |")
    lines.append("| **total** | " + " | ".join(f"**{r['total_seconds']:.1f}** / {r['peak_mb']:.0f} peak"
                                                for r in results) + f" | {k.get('total', '')} |")
    imports = [s["import_seconds"] for r in results for s in r["stages"].values()]
    lines += ["", f"Seconds are each stage's work; its process also spent {min(imports):.1f}–{max(imports):.1f} s on "
              "imports. Wall time of the whole pipeline, imports included: "
              + ", ".join(f"{r['wall_seconds']:.0f} s at {r['rows']:,} rows" for r in results) + "."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="20000,200000", help="comma-separated sizes")
    parser.add_argument("--methods", default="", help="generators (default: params.yaml's)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs/scale.json")
    parser.add_argument("--markdown", type=Path, default=None, help="also write the table here")
    args = parser.parse_args()
    methods = [m for m in args.methods.split(",") if m] or None
    key = {"code": code_hash(), "methods": methods}
    done = json.loads(args.out.read_text()) if args.out.is_file() else {}
    kept = [r for r in done.get("results", []) if done.get("key") == key]
    for rows in [int(s) for s in args.rows.split(",") if s]:
        if not any(r["rows"] == rows for r in kept):
            kept.append(measure(rows, methods))
            write_json({"key": key, "results": kept}, args.out)  # each size is kept as soon as it is measured
    report = {"key": key, "command": " ".join(["python docs/bench_scale.py", *map(shlex.quote, sys.argv[1:])]),
              "machine": machine(), "code": key["code"], "results": sorted(kept, key=lambda r: r["rows"])}
    report["exponents"] = exponents(report["results"])
    write_json(report, args.out)
    table = markdown(report)
    print(table)
    if args.markdown:
        args.markdown.write_text(table)


def write_json(data: dict, path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(tmp, path)


if __name__ == "__main__":
    main()
