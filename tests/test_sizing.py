"""The size refusal: a generator's memory need, estimated from the measured line, refused when the machine (or the
user's budget) cannot hold it, with the knobs that shrink it."""

import json

import pytest

from augmentation import generators
from augmentation.errors import ConfigError, DataError
from augmentation.generators import sizing
from tasks.params import load_params
from tests.conftest import ROOT


def test_every_default_generator_is_measured_to_a_million_rows_and_the_estimate_follows_the_points():
    measured = json.loads(sizing.MEASURED.read_text())
    assert "docs/bench_memory.py" in measured["command"] and measured["machine"]
    methods = load_params(ROOT / "params.yaml").generators.methods
    assert set(methods) <= set(measured["generators"]) <= set(generators.available())
    for method in methods:
        points = sorted(measured["generators"][method]["points"], key=lambda r: r["rows"])
        assert len(points) >= 3 and points[-1]["simulated_rows"] >= 1_000_000, method
        for point in points:  # at a measured size: what was measured
            assert sizing.needed_mb(method, point["rows"], point["new_rows"], point["columns"]) == pytest.approx(
                point["extra_mb"]), (method, point)
        last, before = points[-1], points[-2]
        beyond = [sizing.needed_mb(method, k * last["rows"], k * last["new_rows"], last["columns"]) for k in (2, 4)]
        assert last["extra_mb"] <= beyond[0] <= beyond[1], method  # beyond: along the last segment, never less
        if last["extra_mb"] > before["extra_mb"]:
            assert beyond[1] - beyond[0] == pytest.approx(2 * (beyond[0] - last["extra_mb"])), method


def test_a_need_above_the_available_share_is_refused_with_the_knobs_and_fewer_new_rows_need_less():
    need = sizing.needed_mb("scm", 3_750_000, 3_400_000, 9)
    assert need > sizing.needed_mb("scm", 3_750_000, 1_000_000, 9) > 0  # a lower sampling_strategy needs less
    sizing.check_memory("scm", 3_750_000, 3_400_000, 9, available=need / sizing.SHARE + 1)  # fits: no error
    with pytest.raises(DataError) as refused:
        sizing.check_memory("scm", 3_750_000, 3_400_000, 9, available=need)
    message = str(refused.value)
    assert "generator 'scm' would need about" in message and "3,750,000 training rows" in message
    for knob in ("generators.sampling_strategy", "generators.methods", sizing.BUDGET):
        assert knob in message, message
    assert sizing.needed_mb("a generator nobody measured", 10**9, 10**9, 100) is None
    sizing.check_memory("a generator nobody measured", 10**9, 10**9, 100, available=1)  # unknown: not refused


def test_a_budget_of_ones_own_caps_the_available_memory(monkeypatch):
    monkeypatch.setenv(sizing.BUDGET, "512")
    assert sizing.available_mb() <= 512
    monkeypatch.setenv(sizing.BUDGET, "lots")
    with pytest.raises(ConfigError, match="not a number of megabytes"):
        sizing.available_mb()
