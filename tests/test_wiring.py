"""Every entry point a user or a runner calls exists and agrees: dvc.yaml, prefect.yaml, the CLI, params.yaml."""

from __future__ import annotations

import importlib
import subprocess
import sys

import yaml
from typer.testing import CliRunner

from tests.code_graph import imports_in, modules
from tests.conftest import ROOT


def test_dvc_stages_and_flow_tasks_are_the_same_functions():
    from flows.retrain import STAGES

    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    commands = [spec["cmd"].split()[-1] for spec in stages.values()]
    assert commands == [stage.__name__ for stage in STAGES]
    for spec in stages.values():
        for dep in spec["deps"]:
            produced = any(dep == out or dep.startswith(out.rstrip("/") + "/")
                           for other in stages.values() for item in other.get("outs", []) + other.get("metrics", [])
                           for out in ([item] if isinstance(item, str) else list(item)))
            assert produced or (ROOT / dep).exists(), f"dvc.yaml dep {dep} does not exist"


def test_prefect_deployment_entrypoints_import():
    config = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    for deployment in config["deployments"]:
        path, name = deployment["entrypoint"].split(":")
        module = path.removesuffix(".py").replace("/", ".")
        assert hasattr(importlib.import_module(module), name)
        assert deployment.get("triggers") or deployment["schedules"][0]["cron"]


def test_shipped_params_files_parse():
    from tasks.params import load_params

    for path in [ROOT / "params.yaml", *sorted((ROOT / "configs").glob("*.params.yaml"))]:
        load_params(path)


# The library's rooms and their ranks: a module may import its own room and rooms of a lower rank, nothing else.
RANKS = {"core": 0, "data": 1, "contract": 2, "causal": 2, "generators": 3, "synthesis": 4, "evaluation": 5,
         "monitoring": 6, "reporting": 6, "bench": 7}
CORE = {"kernels", "errors", "seeding", "learners"}


def room(module: str) -> str | None:
    """The room of a module of the library (None: not the library)."""
    parts = module.split(".")
    if parts[0] != "augmentation":
        return None
    if len(parts) == 1 or parts[1] in CORE:
        return "core"
    return parts[1]


def test_the_walk_finds_every_room_and_lazy_imports(tmp_path):
    library = modules("augmentation")
    assert {room(m) for m in library} == set(RANKS)
    assert len(library) > 40 and "augmentation.monitoring.versions" in library
    # what the checks below rely on: imports inside functions, relative ones, and import_module are all seen
    source = tmp_path / "drift.py"
    source.write_text("import numpy as np\n"
                      "def late():\n    from augmentation.bench import stats\n    from . import versions\n"
                      "    from ..data.io import write_json\n    importlib.import_module('flows.cli')\n")
    found = imports_in("augmentation.monitoring.drift", source)
    assert sorted(found) == [(1, "numpy"), (3, "augmentation.bench.stats"),
                             (4, "augmentation.monitoring.versions"), (5, "augmentation.data.io"), (6, "flows.cli")]


def test_library_never_imports_the_runners():
    library = modules("augmentation")
    offending = [f"{path.relative_to(ROOT)}:{line} imports {target}"
                 for name, path in library.items() for line, target in imports_in(name, path)
                 if target.split(".")[0] in {"prefect", "dvc", "yaml"}]
    assert offending == [], "\n".join(offending)
    # nor through another package: importing every module loads none of them
    code = ("import importlib, sys\n"
            f"for name in {sorted(library)!r}:\n    importlib.import_module(name)\n"
            "print(sorted(m for m in ('prefect', 'dvc', 'yaml') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_the_library_is_layered():
    library = modules("augmentation")
    offending = []
    for name, path in library.items():
        here = room(name)
        for line, target in imports_in(name, path):
            where = f"{path.relative_to(ROOT)}:{line} ({here}, rank {RANKS[here]}) imports {target}"
            if target.split(".")[0] in {"tasks", "flows"}:
                offending.append(f"{where}: the library never imports the pipeline")
            there = room(target)
            if there is None or there == here:
                continue
            if RANKS[there] > RANKS[here]:
                offending.append(f"{where} ({there}, rank {RANKS[there]}): a higher room")
            elif RANKS[there] == RANKS[here]:
                offending.append(f"{where} ({there}, rank {RANKS[there]}): a different room of the same rank")
    assert offending == [], "\n".join(offending)


def test_cli_simulate_resample_evaluate(tmp_path):
    from flows.cli import app

    runner = CliRunner()
    data = tmp_path / "cohort.parquet"
    assert runner.invoke(app, ["simulate", "--rows", "1500", "--seed", "2", "--out", str(data)]).exit_code == 0
    out = tmp_path / "augmented.csv"
    result = runner.invoke(app, ["resample", "--data", str(data), "--target", "mortality", "--method", "smote",
                                 "--param", "k_neighbors=3", "--seed", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    import pandas as pd
    augmented = pd.read_csv(out)
    assert set(augmented["provenance"]) == {"real", "smote"}
    assert (augmented["mortality"] == 1).sum() == (augmented["mortality"] == 0).sum()
    metrics = tmp_path / "metrics.json"
    result = runner.invoke(app, ["evaluate", "--data", str(data), "--target", "mortality", "--methods", "smote",
                                 "--repeats", "2", "--out", str(metrics)])
    assert result.exit_code == 0, result.output
    import json
    results = json.loads(metrics.read_text())["results"]
    assert set(results) == {"none", "class_weight", "threshold", "smote"}
    assert 0.5 < results["smote"]["logreg"]["roc_auc"]["mean"] <= 1


def test_cli_contract_drafts_a_suite_that_guards_the_data(tmp_path):
    import json

    import pandas as pd

    from augmentation.contract.suite import load_suite, validate_frame
    from flows.cli import app

    data = tmp_path / "cohort.csv"
    CliRunner().invoke(app, ["simulate", "--rows", "500", "--out", str(data)])
    out = tmp_path / "suite.json"
    result = CliRunner().invoke(app, ["contract", "--data", str(data), "--out", str(out)])
    assert result.exit_code == 0, result.output
    suite = load_suite(out)
    frame = pd.read_csv(data)
    assert validate_frame(frame, suite, name="data").passed
    bad = frame.assign(sex=frame["sex"].where(frame.index > 0, "X"))
    failed = validate_frame(bad, suite, name="bad")
    assert not failed.passed and "'sex'" in failed.message() and "'X'" in failed.message()
    assert json.loads(out.read_text())["name"] == "cohort"
