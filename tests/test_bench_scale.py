"""The cost-curve benchmark (docs/bench_scale.py): one real stage measured in its own process, and the growth
exponent and table it publishes from the measurements."""

import importlib.util
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_scale", ROOT / "docs" / "bench_scale.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_stage_runs_as_dvc_runs_it_and_reports_its_work_apart_from_its_imports(tmp_path):
    bench = load_bench()
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["simulate"]["rows"] = 500
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    measured = bench.run_stage(bench.stages()["ingest"], tmp_path)
    assert (tmp_path / "data/raw/data.parquet").is_file()  # the stage really ran, in that folder
    assert measured["wall_seconds"] >= measured["seconds"] + measured["import_seconds"] - 0.2
    assert measured["peak_mb"] > 50  # numpy and pandas alone take more


def test_the_growth_exponent_is_the_log_log_slope_and_every_stage_is_in_the_table():
    bench = load_bench()
    results = [{"rows": n, "methods": ["smote"], "total_seconds": 2e-6 * n ** 1.5, "wall_seconds": 1.0,
                "peak_mb": n / 1000, "stages": {"fit": {"seconds": 1e-3 * n, "peak_mb": 1.0, "import_seconds": 2.0},
                                                "evaluate": {"seconds": 2e-6 * n ** 1.5, "peak_mb": 2.0,
                                                             "import_seconds": 3.0}}}
               for n in (20_000, 200_000, 1_000_000)]
    k = bench.exponents(results)
    assert k["fit"] == pytest.approx(1.0) and k["evaluate"] == pytest.approx(1.5) and k["total"] == pytest.approx(1.5)
    table = bench.markdown({"command": "c", "machine": "m", "code": "x", "results": results, "exponents": k})
    assert "| fit |" in table and "| evaluate |" in table and "1,000,000 rows" in table
    assert bench.exponents(results[:1]) == {}  # one size: no slope
