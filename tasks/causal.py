"""Stage 6: do the conditional independences the causal graph implies still hold in the synthetic rows?"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from augmentation import io
from augmentation.causal_check import check_causal_structure
from augmentation.causal_map import CausalMap
from augmentation.errors import ConfigError
from augmentation.synthesis import PROVENANCE
from augmentation.seeding import derive_seed
from tasks import paths, stage
from tasks.params import Params


def load_map(path: str | Path) -> CausalMap:
    """The causal map file named in data.graph, checked (acyclic, known nodes, valid per-variable entries)."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"causal graph file {path} does not exist", "fix data.graph in params.yaml, or set it to null")
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}", "fix the YAML syntax at the line shown") from exc
    return CausalMap.from_dict(raw, source=str(path))


def write_map(causal_map: CausalMap, path: str | Path, *, header: str = "") -> None:
    """Write a map as YAML (atomically), with an optional comment header."""
    text = yaml.safe_dump(causal_map.to_dict(), sort_keys=False, default_flow_style=None)
    io.write_text("".join(f"# {line}\n" for line in header.splitlines()) + text, Path(path))


def load_graph(path: str | Path) -> tuple[list[str], list[tuple[str, str]], str]:
    """Nodes, edges and label of a map file."""
    causal_map = load_map(path)
    return list(causal_map.nodes), list(causal_map.edges), causal_map.label


def run(p: Params) -> list[str]:
    """Test the graph's implied independences on real and synthetic minority rows."""
    if p.data.graph is None:
        io.write_json({"skipped": "no causal graph named in data.graph"}, paths.CAUSAL)
        return [str(paths.CAUSAL)]
    nodes, edges, label = load_graph(p.data.graph)
    if label != p.data.target:
        raise ConfigError(f"the graph's label {label!r} is not the target {p.data.target!r}",
                          f"set label: {p.data.target} in {p.data.graph}")
    train = pd.read_parquet(paths.TRAIN)
    results = {}
    for method in p.generators.methods:
        synthetic = pd.read_parquet(paths.synthetic(method)).drop(columns=PROVENANCE)
        result = check_causal_structure(
            train, synthetic, nodes=nodes, edges=edges, label=p.data.target, categorical=p.data.categorical,
            alpha=p.causal_check.alpha, max_broken_share=p.causal_check.max_broken_share, method=method,
            seed=derive_seed(p.seed, "causal", method))
        results[method] = result.to_dict()
        stage.logger(__name__).info("%s: %d of %d implied independences broken (%s)", method, len(result.broken),
                                    result.n_hold_real, "pass" if result.passed else "FAIL")
    io.write_json(results, paths.CAUSAL)
    return [str(paths.CAUSAL)]


if __name__ == "__main__":
    raise SystemExit(stage.main(run))
