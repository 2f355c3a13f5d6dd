"""dvc.yaml's code deps are exactly each stage's import closure, so editing any code a stage runs re-runs it.

Listing whole packages (`augmentation/`) instead would re-run every stage on any library edit: changing the
audit page would re-run ingest, fit and the slow evaluation. The exact closure re-runs only the stages that
can see the change; this test keeps the hand-kept list honest in both directions.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.code_graph import closure, module_file
from tests.conftest import ROOT


def _stages() -> dict[str, dict]:
    return yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]


def _code_files(module: str) -> set[str]:
    return {str(module_file(m).relative_to(ROOT)) for m in closure(module)}


def _covered(path: str, deps: list[str]) -> bool:
    return any(path == dep or path.startswith(dep.rstrip("/") + "/") for dep in deps)


def test_every_stage_lists_the_code_it_runs():
    problems = []
    for name, spec in _stages().items():
        module = spec["cmd"].split()[-1]
        missing = sorted(f for f in _code_files(module) if not _covered(f, spec["deps"]))
        if missing:
            problems.append(f"{name}: add {missing}")
    assert not problems, "dvc.yaml deps miss code the stage imports:\n" + "\n".join(problems)


def test_no_stage_lists_code_it_does_not_run():
    problems = []
    for name, spec in _stages().items():
        needed = _code_files(spec["cmd"].split()[-1])
        for dep in spec["deps"]:
            code = [str(p.relative_to(ROOT)) for p in (ROOT / dep).rglob("*.py")] if (ROOT / dep).is_dir() \
                else [dep] if dep.endswith(".py") else []
            if code and not any(c in needed for c in code):
                problems.append(f"{name}: {dep}")
    assert not problems, ("dvc.yaml deps list code the stage never imports (a re-run for nothing):\n"
                          + "\n".join(problems))


def test_the_check_sees_a_missing_dep(tmp_path):
    # The closure reaches lazy imports inside functions: tasks/report.py imports the audit page only in a function.
    assert "augmentation/reporting/audit.py" in _code_files("tasks.report")
    spec = _stages()["report"]
    spec["deps"] = [d for d in spec["deps"] if d != "augmentation/reporting/audit.py"]
    assert not _covered("augmentation/reporting/audit.py", spec["deps"])
    assert Path(ROOT / "augmentation/reporting/audit.py").is_file()
