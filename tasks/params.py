"""params.yaml, parsed once into typed objects that reject unknown keys by name."""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from augmentation import generators
from augmentation.errors import ConfigError
from augmentation.data.table import TableSpec

DEFAULT_PARAMS = Path("params.yaml")


@dataclass(frozen=True)
class Data:
    source: str = "simulator"  # simulator | file | sql | german_credit
    path: str | None = None
    sql_url: str = "sqlite:///data/source.db"
    sql_query: str | None = None
    target: str = "mortality"
    positive_label: int | str = 1
    categorical: list[str] = field(default_factory=list)
    integer: list[str] = field(default_factory=list)
    sensitive: str | None = None
    contract: str = "expectations/trauma.json"
    graph: str | None = "configs/trauma_graph.yaml"

    def spec(self) -> TableSpec:
        return TableSpec(target=self.target, positive_label=self.positive_label,
                         categorical=tuple(self.categorical), integer=tuple(self.integer),
                         sensitive=(self.sensitive,) if self.sensitive else ())


@dataclass(frozen=True)
class Simulate:
    rows: int = 20_000
    drift: float = 0.0


@dataclass(frozen=True)
class Split:
    test_size: float = 0.25


@dataclass(frozen=True)
class Generators:
    methods: list[str] = field(default_factory=lambda: ["random", "smote"])
    sampling_strategy: float = 1.0
    params: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class CausalCheck:
    alpha: float = 0.01
    max_broken_share: float = 0.2
    scorecard: bool = True  # structure recovery, mechanism fidelity, effect consistency, counterfactual sanity
    max_shd_increase: int = 2
    max_mechanism_ks: float = 0.1
    max_effect_z: float = 2.0
    max_monotone_violation: float = 0.05
    max_rows: int = 5000


@dataclass(frozen=True)
class Constraints:
    mode: str = "repair"  # repair | reject | off: the causal map's constraints on every generator's rows


@dataclass(frozen=True)
class Fairness:
    learner: str = "logreg"
    max_demographic_parity_difference: float = 0.1
    max_equalized_odds_difference: float = 0.1


@dataclass(frozen=True)
class Evaluate:
    repeats: int = 3
    threshold: float = 0.5
    learners: dict[str, dict[str, Any]] = field(default_factory=lambda: {"cart": {}, "logreg": {}})


@dataclass(frozen=True)
class Monitor:
    incoming: str = "data/incoming"          # drop CSV/Parquet batches here
    quarantine: str = "data/quarantine"      # bad batches land here, each with a .reason.json
    accepted: str = "data/batches"           # accepted batches, in arrival order (the recalibration window)
    sql_url: str | None = None               # read new rows from a SQL table too (any SQLAlchemy URL)
    sql_table: str | None = None
    watermark_column: str | None = None      # rows with a larger value than the last one read are new
    min_minority_rows: int = 30              # fewer minority rows in a batch: too few to test drift
    stattest_threshold: float = 0.01         # per-column p-value below which a column counts as drifted
    max_drift_share: float = 0.3             # recalibrate when at least this share of columns drifted
    max_minority_rate_change: float = 0.5    # ... or the minority rate moved by this fraction of the reference


@dataclass(frozen=True)
class Recalibrate:
    window_rows: int = 20_000                # the most recent rows (reference data, then batches) to refit on
    tolerance: float = 0.01                  # the new generator may lose at most this much mean AUC on the hold-out
    registry: str = "models/registry"


@dataclass(frozen=True)
class Params:
    seed: int = 0
    data: Data = field(default_factory=Data)
    simulate: Simulate = field(default_factory=Simulate)
    split: Split = field(default_factory=Split)
    generators: Generators = field(default_factory=Generators)
    causal_check: CausalCheck = field(default_factory=CausalCheck)
    constraints: Constraints = field(default_factory=Constraints)
    fairness: Fairness = field(default_factory=Fairness)
    evaluate: Evaluate = field(default_factory=Evaluate)
    monitor: Monitor = field(default_factory=Monitor)
    recalibrate: Recalibrate = field(default_factory=Recalibrate)


def read_yaml(path: Path, *, what: str, fix: str) -> dict:
    """A YAML file's mapping; a missing file or bad YAML is a ConfigError naming ``what`` and the fix."""
    if not path.exists():
        raise ConfigError(f"{what} {path} does not exist", fix)
    try:
        return yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}", "fix the YAML syntax at the line shown") from exc


def load_params(path: str | Path = DEFAULT_PARAMS) -> Params:
    """Read and check a params file; every problem names the key and the fix."""
    path = Path(path)
    raw = read_yaml(path, what="params file", fix="run from the project folder, or pass --params FILE")
    params = _build(Params, raw, where=str(path))
    _check(params, path)
    return params


def _build(cls: type, raw: Any, where: str) -> Any:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} must be a mapping, got {type(raw).__name__}", f"write {where} as 'key: value' lines")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - names)
    if unknown:
        raise ConfigError(f"unknown key {unknown[0]!r} in {where}", f"use only these keys there: {sorted(names)}")
    values = {}
    for key, value in raw.items():
        kind = hints[key]
        if dataclasses.is_dataclass(kind):
            values[key] = _build(kind, value or {}, f"{where}:{key}")
        else:
            values[key] = _coerce(value, kind, f"{where}:{key}")
    return cls(**values)


def _coerce(value: Any, kind: Any, where: str) -> Any:
    origin = typing.get_origin(kind)
    allowed = typing.get_args(kind) if origin in (typing.Union, types.UnionType) else (kind,)
    for option in allowed:
        base = typing.get_origin(option) or option
        if option is type(None) and value is None:
            return None
        if base is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if base in (int, str) and isinstance(value, base) and not isinstance(value, bool):
            return value
        if base is bool and isinstance(value, bool):
            return value
        if base in (list, dict) and isinstance(value, base):
            return value
    names = " or ".join(getattr(a, "__name__", str(a)) for a in allowed)
    raise ConfigError(f"{where} is {value!r}, expected {names}", f"fix {where.split(':', 1)[1]} in the params file")


def _check(p: Params, path: Path) -> None:
    sources = ("simulator", "file", "sql", "german_credit")
    if p.data.source not in sources:
        raise ConfigError(f"unknown data.source {p.data.source!r} in {path}", f"use one of {list(sources)}")
    if p.data.source == "file" and not p.data.path:
        raise ConfigError("data.source is 'file' but data.path is empty", "set data.path to a CSV or Parquet file")
    if p.data.source == "sql" and not p.data.sql_query:
        raise ConfigError("data.source is 'sql' but data.sql_query is empty", "set data.sql_query, e.g. SELECT * FROM cohort")
    for name in p.generators.methods:
        if name not in generators.REGISTRY:
            raise ConfigError(f"unknown generator {name!r} in generators.methods of {path}",
                              f"use names from {generators.available()}")
    for name in p.generators.params:
        if name not in p.generators.methods:
            raise ConfigError(f"generators.params names {name!r}, which is not in generators.methods",
                              "add it to generators.methods or remove its params")
    if p.constraints.mode not in ("repair", "reject", "off"):
        raise ConfigError(f"unknown constraints.mode {p.constraints.mode!r} in {path}", "use repair, reject or off")
    if not 0 < p.split.test_size < 1:
        raise ConfigError(f"split.test_size must be between 0 and 1, got {p.split.test_size}", "use e.g. 0.25")
    if p.monitor.sql_table and not (p.monitor.sql_url and p.monitor.watermark_column):
        raise ConfigError("monitor.sql_table is set but monitor.sql_url or monitor.watermark_column is empty",
                          "set both, e.g. sql_url: sqlite:///data/source.db and watermark_column: admitted_at")
    if not 0 < p.monitor.max_drift_share <= 1:
        raise ConfigError(f"monitor.max_drift_share must be in (0, 1], got {p.monitor.max_drift_share}", "use e.g. 0.3")
    if p.recalibrate.window_rows < 100:
        raise ConfigError(f"recalibrate.window_rows must be at least 100, got {p.recalibrate.window_rows}",
                          "use e.g. 20000")
    if p.evaluate.repeats < 1:
        raise ConfigError(f"evaluate.repeats must be at least 1, got {p.evaluate.repeats}", "use e.g. 3")
