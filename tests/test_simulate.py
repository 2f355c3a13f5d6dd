"""The built-in trauma simulator: what users and the pipeline rely on."""

from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import yaml

from augmentation.data.simulate import TRAUMA_EDGES, TRAUMA_NODES, simulate_trauma
from augmentation.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return simulate_trauma()


def _digest(df: pd.DataFrame) -> int:
    return int(pd.util.hash_pandas_object(df, index=True).sum())


def test_same_seed_same_bytes_other_seed_differs():
    a, b = simulate_trauma(2_000, seed=3), simulate_trauma(2_000, seed=3)
    assert _digest(a) == _digest(b)
    pd.testing.assert_frame_equal(a, b)
    assert _digest(simulate_trauma(2_000, seed=4)) != _digest(a)


def test_columns_and_dtypes(cohort):
    assert tuple(cohort.columns) == TRAUMA_NODES
    assert len(cohort) == 20_000
    for column in ("age", "iss", "resp_rate", "gcs", "mortality"):
        assert cohort[column].dtype == np.int64, column
    for column in ("bmi", "sbp", "pulse", "spo2"):
        assert cohort[column].dtype == np.float64, column
    assert set(cohort["sex"]) == {"F", "M"}
    assert all(isinstance(v, str) for v in cohort["sex"].head(50))
    assert not cohort.isna().any().any()


def test_clinical_domains(cohort):
    assert cohort["gcs"].between(3, 15).all()
    assert cohort["spo2"].le(100).all() and cohort["spo2"].ge(50).all()
    assert cohort["sbp"].gt(0).all()
    assert cohort["age"].between(16, 95).all()
    assert cohort["iss"].between(1, 75).all()
    # ISS is skewed: most injuries are minor
    assert cohort["iss"].median() < cohort["iss"].mean() < 15
    assert 0.63 < (cohort["sex"] == "M").mean() < 0.73
    assert set(cohort["mortality"]) == {0, 1}


@pytest.mark.parametrize("seed", range(5))
def test_prevalence_near_six_percent(seed):
    prevalence = simulate_trauma(seed=seed)["mortality"].mean()
    assert 0.05 <= prevalence <= 0.07


def test_mechanisms_are_nonlinear_in_the_expected_direction(cohort):
    severe = cohort["iss"] >= 40
    minor = cohort["iss"] <= 9
    assert cohort.loc[severe, "sbp"].mean() < cohort.loc[minor, "sbp"].mean() - 30
    assert cohort.loc[severe, "pulse"].mean() > cohort.loc[minor, "pulse"].mean() + 25
    assert cohort.loc[severe, "gcs"].mean() < cohort.loc[minor, "gcs"].mean() - 5
    # sigmoid, not a line: SBP barely moves across the minor range
    low = cohort[cohort["iss"] <= 3]["sbp"].mean()
    mid = cohort[cohort["iss"].between(8, 10)]["sbp"].mean()
    assert abs(low - mid) < 5


def test_drift_shifts_the_minority():
    reference = simulate_trauma(seed=1)
    drifted = simulate_trauma(seed=1, drift=1.0)
    ref_min = reference[reference["mortality"] == 1]
    new_min = drifted[drifted["mortality"] == 1]
    assert new_min["iss"].mean() > ref_min["iss"].mean() + 0.5 * ref_min["iss"].std()
    assert new_min["age"].mean() < ref_min["age"].mean() - 0.5 * ref_min["age"].std()
    assert new_min["sbp"].mean() < ref_min["sbp"].mean() - 10


def test_drift_zero_is_the_reference():
    reference = simulate_trauma(1_000, seed=2)
    pd.testing.assert_frame_equal(simulate_trauma(1_000, seed=2, drift=0.0), reference)
    # Any positive drift moves the same patients (same seed, same schema) away from the reference.
    for drift in (0.1, 0.5):
        moved = simulate_trauma(1_000, seed=2, drift=drift)
        assert moved.dtypes.to_dict() == reference.dtypes.to_dict() and len(moved) == len(reference)
        assert _digest(moved) != _digest(reference)
        assert moved["iss"].mean() > reference["iss"].mean()  # drift pushes toward more severe injuries


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [({"rows": 99}, "rows"), ({"rows": 10.5}, "rows"), ({"drift": -0.1}, "drift")],
)
def test_bad_arguments_name_the_parameter(kwargs, parameter):
    with pytest.raises(ConfigError, match=parameter) as info:
        simulate_trauma(**kwargs)
    assert "fix:" in str(info.value)


def test_yaml_graph_matches_the_simulator():
    graph = yaml.safe_load((ROOT / "configs" / "trauma_graph.yaml").read_text())
    assert graph["label"] == "mortality"
    assert tuple(graph["nodes"]) == TRAUMA_NODES
    assert [tuple(e) for e in graph["edges"]] == list(TRAUMA_EDGES)
    dag = nx.DiGraph(list(TRAUMA_EDGES))
    assert set(dag.nodes) == set(TRAUMA_NODES)
    assert nx.is_directed_acyclic_graph(dag)
    assert not dag.has_edge("sex", "mortality")
    # sex still matters, but only through mediators
    assert nx.has_path(dag, "sex", "mortality")
    assert len(set(TRAUMA_EDGES)) == len(TRAUMA_EDGES)
