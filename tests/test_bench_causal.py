"""The causal benchmark: the CHILD network, the oracle's rows from the true model, one cache file per cell."""

import importlib.util
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from augmentation.causal.map import CausalMap
from augmentation.causal.scorecard import mechanism_fidelity, numeric_frame, real_reference
from augmentation.data.table import check_table

ROOT = Path(__file__).resolve().parents[1]


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_causal", ROOT / "docs" / "bench_causal.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_causal"] = module  # its dataclasses (and worker processes) look the module up by name
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


def _collider(bench, rows=800, seed=0):
    model = bench.load("collider", rows, seed)
    return model, check_table(model.train, model.spec), check_table(model.test, model.spec)


def test_the_oracle_draws_new_minority_rows_from_the_true_model():
    bench = load_bench()
    model, train, test = _collider(bench)
    the_map = CausalMap.from_dict(model.graph).complete(train, model.spec)
    rows = bench.oracle_rows(model, train, seed=0)
    assert len(rows) == int((train["y"] == 0).sum()) - int((train["y"] == 1).sum())  # what a generator makes
    assert list(rows.columns) == list(train.columns) and (rows["y"] == 1).all()
    assert rows.merge(train, how="inner").empty  # fresh rows, not copies of training rows
    pd.testing.assert_frame_equal(rows, bench.oracle_rows(model, train, seed=0))
    # Its residuals under the mechanisms fitted on the training rows look like another fresh real draw's
    # (the hold-out's minority, out of sample like the oracle's): every node within the KS noise floor.
    reference = real_reference(train, the_map, seed=0)
    held = numeric_frame(test[test["y"] == 1], the_map).reset_index(drop=True)
    held_out = replace(reference, held_minority=held, held_folds=np.zeros(len(held), dtype=int))
    fidelity = mechanism_fidelity(train, rows, the_map, reference=held_out)
    assert fidelity["passed"], fidelity["failed"]
    # ... and a sample of the same marginals without the mechanisms (each column shuffled apart) does not.
    rng = np.random.default_rng(0)
    scrambled = rows.apply(lambda col: rng.permutation(col.to_numpy()))
    assert not mechanism_fidelity(train, scrambled, the_map, reference=held_out)["passed"]


def test_cells_are_cached_one_by_one_and_a_removed_cell_is_computed_again(tmp_path):
    bench = load_bench()
    first = bench.run_group("collider", 0, ["none", "oracle"], 800, str(tmp_path), "code-a")
    assert [(r["method"], r["cached"]) for r in first] == [("none", False), ("oracle", False)]
    oracle = first[1]
    assert set(oracle["gates"]) == {"independence", "structure", "mechanisms", "effect", "counterfactual", "causal"}
    assert oracle["gates"]["causal"] == all(g is not False for k, g in oracle["gates"].items() if k != "causal")
    again = bench.run_group("collider", 0, ["none", "oracle"], 800, str(tmp_path), "code-a")
    assert [r["cached"] for r in again] == [True, True]
    assert [{**r, "cached": 0} for r in again] == [{**r, "cached": 0} for r in first]
    bench.cell_path(tmp_path, "collider", "oracle", 0, 800, "code-a").unlink()  # a run killed before this cell
    resumed = bench.run_group("collider", 0, ["none", "oracle"], 800, str(tmp_path), "code-a")
    assert [(r["method"], r["cached"]) for r in resumed] == [("none", True), ("oracle", False)]
    timings = {"cell_seconds": 0, "seconds": 0, "cached": 0}  # wall times differ from run to run; the rest may not
    assert {**resumed[1], **timings} == {**oracle, **timings}
    assert bench.cell_path(tmp_path, "collider", "oracle", 0, 800, "code-b") != \
        bench.cell_path(tmp_path, "collider", "oracle", 0, 800, "code-a")  # changed code: recomputed
    assert bench.run_group("sachs", 0, ["oracle"], 800, str(tmp_path), "code-a") == []  # no known truth, no oracle
