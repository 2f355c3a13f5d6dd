import json

import numpy as np
import pandas as pd
import pytest

from augmentation.causal.independence import check_causal_structure, holm, implied_independences
from augmentation.errors import ConfigError, DataError

# Chain x -> y -> z, plus a collider x -> target <- w (w is a categorical str column).
NODES = ["x", "y", "z", "w", "target"]
EDGES = [("x", "y"), ("y", "z"), ("x", "target"), ("w", "target")]


def rows(seed: int, n: int, x_to_z: float = 0.0) -> pd.DataFrame:
    """Rows of the linear-Gaussian SCM (both classes)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = 0.8 * x + rng.normal(size=n)
    z = 0.8 * y + x_to_z * x + rng.normal(size=n)
    w = rng.integers(0, 2, size=n)
    target = (x + w + rng.normal(size=n) > 1.0).astype(int)
    frame = pd.DataFrame({"x": x, "y": y, "z": z, "w": np.where(w == 1, "m", "f"), "target": target})
    return frame


def minority(seed: int, n: int, x_to_z: float = 0.0) -> pd.DataFrame:
    frame = rows(seed, n, x_to_z)
    return frame[frame.target == 1].reset_index(drop=True)


def check(real, synthetic, **kw):
    return check_causal_structure(
        real, synthetic, nodes=NODES, edges=EDGES, label="target", categorical=["w"], alpha=0.001, method="m", **kw
    )


def test_implied_independences_are_the_local_markov_basis():
    # Each node against its non-descendants given its parents; x, w are marginally independent
    # (target is a collider and is not conditioned on); each pair once.
    assert implied_independences(NODES, EDGES, "target") == [
        ("x", "w", ()),
        ("y", "w", ("x",)),
        ("y", "target", ("x",)),
        ("z", "x", ("y",)),
        ("z", "w", ("y",)),
        ("z", "target", ("y",)),
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
    real, synthetic = rows(1, 6000), minority(2, 30000)
    result = check(real, synthetic)
    assert result.passed, result.reason
    assert result.n_implied == 6 and result.n_hold_real == 6 and not result.broken
    # The larger synthetic set is sampled down to the real minority count.
    assert result.n_rows == len(real)
    assert result.n_rows_synthetic == int((real.target == 1).sum()) < len(synthetic)
    json.dumps(result.to_dict(), allow_nan=False)


def test_direct_edge_breaks_independence_and_fails():
    result = check(rows(1, 6000), minority(2, 30000, x_to_z=0.8))
    assert not result.passed
    broken = [(t.x, t.y, t.given) for t in result.broken]
    assert ("z", "x", ("y",)) in broken
    d = result.to_dict()
    assert d["passed"] is False
    assert d["reason"].startswith(f"{len(broken)} of 6 independences broken:") and "z ⟂ x | {y}" in d["reason"]
    json.dumps(d, allow_nan=False)


def test_plain_duplication_passes():
    """Random oversampling adds no structure: the selection effect of oversampling is not mistaken for a break."""
    real = rows(1, 6000)
    duplicated = real[real.target == 1].sample(n=20000, replace=True, random_state=0)
    assert check(real, duplicated).passed


def test_sampling_is_seeded():
    real, synthetic = rows(1, 6000), minority(2, 30000)
    a, b = check(real, synthetic, seed=5), check(real, synthetic, seed=5)
    assert [t.p_synthetic for t in a.tests] == [t.p_synthetic for t in b.tests]


def test_constant_column_is_skipped_not_crashing():
    real, synthetic = rows(1, 6000), minority(2, 30000)
    real["y"] = 1.0
    synthetic["y"] = 1.0
    result = check(real, synthetic)
    skipped = {(t.x, t.y) for t in result.skipped}
    # Every test on y or given y is undefined; x ⟂ w is still tested.
    assert skipped == {("y", "w"), ("y", "target"), ("z", "x"), ("z", "w"), ("z", "target")} and result.passed
    d = result.to_dict()
    assert d["n_skipped"] == 5 and d["tests"][1]["p_synthetic"] is None
    json.dumps(d, allow_nan=False)


def test_missing_node_column_is_data_error():
    real = rows(1, 2000)
    with pytest.raises(DataError, match="'z'"):
        check(real.drop(columns="z"), real[real.target == 1])


def test_a_perfect_generator_breaks_nothing_in_19_of_20_seeds():
    """Holm over the independences that hold: fresh rows from the true model rarely 'break' one by chance."""
    real = rows(1, 6000)
    clean = 0
    for seed in range(20):
        result = check_causal_structure(real, minority(100 + seed, 6000), nodes=NODES, edges=EDGES, label="target",
                                        categorical=["w"], alpha=0.05, method="oracle", seed=seed)
        clean += not result.broken
        tested = [t for t in result.tests if t.holds_real]
        assert all(t.p_synthetic_holm >= t.p_synthetic for t in tested)
        assert all(t.holds_synthetic == (t.p_synthetic_holm > 0.05 or t.p_difference_holm > 0.05) for t in tested)
    assert clean >= 19, f"a perfect generator broke an independence in {20 - clean} of 20 seeds"


def test_holm_gives_statsmodels_adjusted_p_values():
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(0)
    for n in (1, 2, 7, 40):
        p = rng.uniform(0, 0.2, n) ** 2
        p[: n // 3] = p[0]  # ties
        np.testing.assert_allclose(holm(p), multipletests(p, method="holm")[1], rtol=0, atol=1e-15)
