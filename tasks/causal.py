"""Stage 6: do the conditional independences the causal graph implies still hold in the synthetic rows?"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from augmentation import io
from augmentation.causal_check import check_causal_structure
from augmentation.errors import ConfigError
from augmentation.synthesis import PROVENANCE
from augmentation.seeding import derive_seed
from tasks import paths, stage
from tasks.params import Params


def load_graph(path: str | Path) -> tuple[list[str], list[tuple[str, str]], str]:
    """Nodes, edges and label of a graph file (``nodes``, ``edges: [[parent, child], ...]``, ``label``)."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"causal graph file {path} does not exist", "fix data.graph in params.yaml, or set it to null")
    raw = yaml.safe_load(path.read_text()) or {}
    unknown = sorted(set(raw) - {"nodes", "edges", "label"})
    if unknown:
        raise ConfigError(f"unknown key {unknown[0]!r} in {path}", "use only nodes, edges and label")
    edges = [tuple(e) for e in raw.get("edges", [])]
    if any(len(e) != 2 for e in edges):
        raise ConfigError(f"an edge in {path} is not a [parent, child] pair", "write each edge as [parent, child]")
    return list(raw.get("nodes", [])), edges, raw.get("label")


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
