"""The causal map: its format, its validation (errors name the node or edge), and PC discovery for review."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from augmentation.causal.discovery import discover_map
from augmentation.causal.map import CausalMap
from augmentation.data.simulate import simulate_trauma
from augmentation.data.table import TableSpec
from augmentation.errors import ConfigError, DataError
from tasks.maps import load_map

BASE = {"label": "y", "nodes": ["a", "b", "y"], "edges": [["a", "b"], ["b", "y"]]}
SPEC = TableSpec(target="y", categorical=("a",))


def with_(**changes):
    return {**BASE, **changes}


def frame(n=200, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 2, n)
    b = a + rng.normal(size=n)
    return pd.DataFrame({"a": np.where(a == 1, "m", "f"), "b": b, "y": (b + rng.normal(size=n) > 1).astype(int)})


@pytest.mark.parametrize("raw, message", [
    (with_(edges=[["a", "b"], ["b", "a"]]), "cyclic"),
    (with_(edges=[["a", "q"]]), "a -> q"),
    (with_(label="z"), "label 'z'"),
    (with_(edges=[["a", "b", "y"]]), "not a \\[parent, child\\] pair"),
    (with_(colour="red"), "unknown key 'colour'"),
    (with_(variables={"q": {"type": "integer"}}), "variables.q"),
    (with_(variables={"b": {"type": "real"}}), "variables.b.type"),
    (with_(variables={"b": {"bounds": [3, 1]}}), "low > high"),
    (with_(variables={"a": {"tier": 1}, "b": {"tier": 0}}), "edge a -> b .* goes back in time"),
    (with_(variables={"b": {"immutable": True}}), "edge a -> b .* immutable 'b'"),
    (with_(monotone=[["y", "a", "increasing"]]), "monotone effect y -> a"),
    (with_(monotone=[["a", "y", "up"]]), "increasing\\|decreasing"),
    (with_(exposure="y"), "exposure 'y'"),
    (with_(discovered={"reviewed": False}), "not been reviewed"),
])
def test_invalid_maps_name_the_problem(raw, message):
    with pytest.raises(ConfigError, match=message):
        CausalMap.from_dict(raw)


@pytest.mark.parametrize("raw, data, message", [
    (with_(nodes=["a", "b", "c", "y"]), None, "\\['c'\\] are not columns"),
    (with_(variables={"a": {"type": "continuous"}}), None, "node 'a' is declared continuous but data.categorical"),
    (with_(variables={"b": {"type": "integer"}}), None, "node 'b' is declared integer .* fractional"),
    (with_(variables={"b": {"bounds": [-1, 1]}}), None, "outside the map's bounds"),
    (with_(variables={"a": {"categories": ["f"]}}), None, "node 'a' lists categories"),
    (with_(forbidden=["b > -100"]), None, "forbidden combination"),
    (with_(forbidden=["nonsense(("]), None, "cannot be evaluated"),
])
def test_map_checked_against_the_data(raw, data, message):
    with pytest.raises((DataError, ConfigError), match=message):
        CausalMap.from_dict(raw).complete(frame() if data is None else data, SPEC)


def test_types_come_from_the_contract_when_not_declared():
    done = CausalMap.from_dict(BASE).complete(frame(), SPEC)
    assert done.variable("a").type == "categorical" and done.variable("a").categories == ("f", "m")
    assert done.variable("b").type == "continuous" and done.variable("y").type == "binary"
    assert done.order() == ["a", "b", "y"] and done.parents("y") == ["b"]


def test_shipped_maps_load_and_match_the_simulator():
    trauma = load_map(Path(__file__).resolve().parents[1] / "configs" / "trauma_graph.yaml")
    spec = TableSpec(target="mortality", categorical=("sex",), integer=("age", "iss", "resp_rate", "gcs"))
    done = trauma.complete(simulate_trauma(2000, seed=3), spec)
    assert done.exposure == "iss" and done.immutables() == ["age", "sex"]
    assert {m.cause for m in done.monotone} == {"iss", "gcs", "spo2"}
    assert load_map(Path(__file__).resolve().parents[1] / "configs" / "german_graph.yaml").label == "bad_credit"
    # Round trip: what to_dict writes, from_dict reads back to the same map.
    assert CausalMap.from_dict(trauma.to_dict()) == trauma


def test_discovery_proposes_a_map_that_must_be_reviewed(tmp_path):
    rng = np.random.default_rng(0)
    n = 3000
    x = rng.normal(size=n)
    z = rng.normal(size=n)
    m = x + z + rng.normal(size=n)  # collider: PC orients x -> m <- z
    y = (m + rng.normal(size=n) > 1).astype(int)
    data = pd.DataFrame({"x": x, "z": z, "m": m, "y": y})
    proposal, guessed = discover_map(data, label="y", alpha=0.001, tiers={"x": 0, "z": 0, "m": 1, "y": 2})
    assert {("x", "m"), ("z", "m"), ("m", "y")} <= set(proposal.edges)
    assert ("x", "z") not in proposal.edges and not guessed
    raw = proposal.to_dict() | {"discovered": {"reviewed": False}}
    path = tmp_path / "proposal.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError, match="not been reviewed"):
        load_map(path)
    raw["discovered"]["reviewed"] = True
    path.write_text(yaml.safe_dump(raw))
    assert load_map(path).edges == proposal.edges


def test_cli_discover_then_resample_with_the_reviewed_map(tmp_path):
    from typer.testing import CliRunner

    from flows.cli import app

    runner = CliRunner()
    data = tmp_path / "cohort.csv"
    simulate_trauma(1500, seed=2).to_csv(data, index=False)
    knowledge = tmp_path / "bk.yaml"
    knowledge.write_text("tiers: {age: 0, sex: 0, bmi: 0, iss: 1, sbp: 2, pulse: 2, resp_rate: 2, spo2: 2, "
                         "gcs: 2, mortality: 3}\n")
    proposed = tmp_path / "proposed.yaml"
    done = runner.invoke(app, ["causal", "discover", "--data", str(data), "--target", "mortality", "--categorical",
                               "sex", "--knowledge", str(knowledge), "--out", str(proposed)])
    assert done.exit_code == 0, done.output
    raw = yaml.safe_load(proposed.read_text())
    assert raw["discovered"]["reviewed"] is False and ["iss", "gcs"] in raw["edges"]
    out = tmp_path / "augmented.csv"
    args = ["resample", "--data", str(data), "--target", "mortality", "--categorical", "sex", "--method", "scm",
            "--param", "max_iter=10", "--graph", str(proposed), "--out", str(out)]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2 and "not been reviewed" in refused.output and not out.exists()
    raw["discovered"]["reviewed"] = True
    proposed.write_text(yaml.safe_dump(raw))
    done = runner.invoke(app, args)
    assert done.exit_code == 0, done.output
    augmented = pd.read_csv(out)
    assert set(augmented.provenance) == {"real", "scm"} and "constraints:" in done.output
