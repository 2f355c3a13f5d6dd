"""The causal benchmark's bundled Bayesian network: a valid map, a rare label, the same rows for the same seed."""

import importlib.util
from pathlib import Path

import pandas as pd

from augmentation.causal.map import CausalMap
from augmentation.data.table import check_table

ROOT = Path(__file__).resolve().parents[1]


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_causal", ROOT / "docs" / "bench_causal.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_child_network_is_a_rare_label_with_its_dag_as_a_valid_map():
    name, raw_train, raw_test, spec, graph = load_bench().child_network(3000, 0)
    assert name == "child"
    train, test = check_table(raw_train, spec), check_table(raw_test, spec)
    for frame in (train, test):
        assert 0.05 < frame[spec.target].mean() < 0.15  # HypDistrib = Unequal is the rare state (~10%)
    the_map = CausalMap.from_dict(graph).complete(train, spec)
    assert len(the_map.nodes) == 20 and len(the_map.edges) == 25  # CHILD: 20 nodes, 25 arcs
    assert set(the_map.parents("HypDistrib")) == {"DuctFlow", "CardiacMixing"}
    assert the_map.variable("Disease").type == "categorical"
    assert set(train["DuctFlow"].unique()) <= {0, 1, 2}  # the exposure is an ordinal integer code
    assert not train.equals(test)  # hold-out drawn with another seed


def test_child_network_same_seed_same_rows():
    bench = load_bench()
    first, second = bench.child_network(500, 7), bench.child_network(500, 7)
    pd.testing.assert_frame_equal(first[1], second[1])
    assert not first[1].equals(bench.child_network(500, 8)[1])
