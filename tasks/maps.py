"""The causal map file named in data.graph: read, checked, completed on the training rows, and written."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from augmentation.causal.map import CausalMap
from augmentation.data import io
from tasks.params import Params, read_yaml


def load_map(path: str | Path) -> CausalMap:
    """The causal map file named in data.graph, checked (acyclic, known nodes, valid per-variable entries)."""
    path = Path(path)
    raw = read_yaml(path, what="causal graph file", fix="fix data.graph in params.yaml, or set it to null")
    return CausalMap.from_dict(raw, source=str(path))


def causal_map(p: Params, train: pd.DataFrame) -> CausalMap | None:
    """The map named in data.graph, checked against the training rows (None when there is none)."""
    if p.data.graph is None:
        return None
    return load_map(p.data.graph).complete(train, p.data.spec())


def write_map(causal_map: CausalMap, path: str | Path, *, header: str = "", extra: dict | None = None) -> None:
    """Write a map as YAML (atomically), with an optional comment header and extra top-level keys."""
    text = yaml.safe_dump({**causal_map.to_dict(), **(extra or {})}, sort_keys=False, default_flow_style=None)
    io.write_text("".join(f"# {line}\n" for line in header.splitlines()) + text, Path(path))
