import json

import numpy as np
import pandas as pd
import pytest

from augmentation.causal_check import check_causal_structure, implied_independences
from augmentation.errors import ConfigError, DataError

# Chain x -> y -> z, plus a collider x -> target <- w (w is a categorical str column).
NODES = ["x", "y", "z", "w", "target"]
EDGES = [("x", "y"), ("y", "z"), ("x", "target"), ("w", "target")]


def minority(seed: int, n: int, x_to_z: float = 0.0) -> pd.DataFrame:
    """Rows of the linear-Gaussian SCM, kept where target == 1 (selection on the label)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = 0.8 * x + rng.normal(size=n)
    z = 0.8 * y + x_to_z * x + rng.normal(size=n)
    w = rng.integers(0, 2, size=n)
    target = (x + w + rng.normal(size=n) > 1.0).astype(int)
    frame = pd.DataFrame({"x": x, "y": y, "z": z, "w": np.where(w == 1, "m", "f"), "target": target})
    return frame[frame.target == 1].reset_index(drop=True)


def check(real, synthetic, **kw):
    return check_causal_structure(
        real, synthetic, nodes=NODES, edges=EDGES, label="target", categorical=["w"], alpha=0.001, method="m", **kw
    )


def test_implied_independences_of_chain_and_collider():
    # x, w are d-connected through the conditioned collider target, so that pair is absent.
    assert implied_independences(NODES, EDGES, "target") == [
        ("x", "z", ("y",)),
        ("y", "w", ("x",)),
        ("z", "w", ("y",)),
    ]


def test_cyclic_graph_rejected():
    with pytest.raises(ConfigError, match="cyclic"):
        implied_independences(["a", "b", "t"], [("a", "b"), ("b", "a")], "t")


def test_unknown_node_and_label_rejected():
    with pytest.raises(ConfigError, match="a -> q"):
        implied_independences(["a", "t"], [("a", "q")], "t")
    with pytest.raises(ConfigError, match="label 'nope'"):
        implied_independences(["a", "t"], [("a", "t")], "nope")


def test_same_scm_passes_with_equal_sizes():
    real, synthetic = minority(1, 3000), minority(2, 12000)
    result = check(real, synthetic)
    assert result.passed, result.reason
    assert result.n_implied == 3 and result.n_hold_real == 3 and not result.broken
    # The larger synthetic set is sampled down to the real minority count.
    assert result.n_rows == len(real) == result.n_rows_synthetic
    assert len(synthetic) > len(real)
    json.dumps(result.to_dict())


def test_direct_edge_breaks_independence_and_fails():
    result = check(minority(1, 3000), minority(2, 12000, x_to_z=0.8))
    assert not result.passed
    # x -> z also opens z - x - target - w inside the minority, so z ⟂ w | y breaks too.
    assert [(t.x, t.y, t.given) for t in result.broken] == [("x", "z", ("y",)), ("z", "w", ("y",))]
    d = result.to_dict()
    assert d["passed"] is False
    assert d["reason"] == "2 of 3 independences broken: x ⟂ z | {y}, z ⟂ w | {y}"
    json.dumps(d)


def test_sampling_is_seeded():
    real, synthetic = minority(1, 3000), minority(2, 12000)
    a, b = check(real, synthetic, seed=5), check(real, synthetic, seed=5)
    assert [t.p_synthetic for t in a.tests] == [t.p_synthetic for t in b.tests]


def test_constant_column_is_skipped_not_crashing():
    real, synthetic = minority(1, 3000), minority(2, 12000)
    synthetic["y"] = 1.0
    result = check(real, synthetic)
    assert len(result.skipped) == 3 and result.n_hold_real == 0 and result.passed
    d = result.to_dict()
    assert d["n_skipped"] == 3 and d["tests"][0]["p_synthetic"] is None
    json.dumps(d)


def test_missing_node_column_is_data_error():
    real = minority(1, 2000)
    with pytest.raises(DataError, match="'z'"):
        check(real.drop(columns="z"), real)
