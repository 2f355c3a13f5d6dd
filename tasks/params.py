"""params.yaml, parsed once into frozen pydantic models; every problem in the file is reported at once.

The models' defaults are the shipped params.yaml (tests/test_params.py holds them equal), so a key left out of
a params file means what it means in the shipped one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PlainValidator, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from augmentation import generators
from augmentation.data.table import TableSpec
from augmentation.errors import ConfigError
from augmentation.evaluation.decision import METRICS as DECISION_METRICS
from augmentation.evaluation.decision import Objective
from augmentation.learners import LEARNERS

DEFAULT_PARAMS = Path("params.yaml")

Learner = Literal[LEARNERS]  # the names make_model knows, from their one home


def _label(value: Any) -> int | str:
    # One error for the int | str union instead of one per member; YAML's true/false are not labels.
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise PydanticCustomError("label_type", "Input should be an integer or a string")
    return value


class Section(BaseModel):
    # strict: YAML already gives numbers and booleans their types, so "3" for an int or 1 for a string is a typo.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Data(Section):
    source: Literal["simulator", "file", "sql", "german_credit"] = "simulator"
    path: str | None = None                  # for source: file (CSV or Parquet)
    sql_url: str = "sqlite:///data/source.db"
    sql_query: str | None = None             # for source: sql
    target: str = "mortality"
    positive_label: Annotated[int | str, PlainValidator(_label)] = 1
    categorical: list[str] = Field(default_factory=lambda: ["sex"])
    integer: list[str] = Field(default_factory=lambda: ["age", "iss", "resp_rate", "gcs"])
    sensitive: str | None = "sex"
    contract: str = "expectations/trauma.json"
    graph: str | None = "configs/trauma_graph.yaml"

    @model_validator(mode="after")
    def _source_has_its_input(self) -> Data:
        if self.source == "file" and not self.path:
            raise ConfigError("data.source is 'file' but data.path is empty", "set data.path to a CSV or Parquet file")
        if self.source == "sql" and not self.sql_query:
            raise ConfigError("data.source is 'sql' but data.sql_query is empty",
                              "set data.sql_query, e.g. SELECT * FROM cohort")
        return self

    def spec(self) -> TableSpec:
        return TableSpec(target=self.target, positive_label=self.positive_label,
                         categorical=tuple(self.categorical), integer=tuple(self.integer),
                         sensitive=(self.sensitive,) if self.sensitive else ())


class Simulate(Section):
    rows: int = Field(20_000, ge=100)        # simulate_trauma's own minimum
    drift: float = Field(0.0, ge=0)


class Split(Section):
    test_size: float = Field(0.25, gt=0, lt=1)


class Generators(Section):
    methods: list[str] = Field(default_factory=lambda: ["random", "smote", "borderline1", "borderline2", "adasyn",
                                                        "smotenc", "o2", "david", "scm"])
    sampling_strategy: float = Field(1.0, gt=0, le=1)  # minority/majority ratio after oversampling
    params: dict[str, dict[str, Any]] = Field(default_factory=lambda: {"smote": {"k_neighbors": 5}})

    @field_validator("methods")
    @classmethod
    def _known_methods(cls, methods: list[str]) -> list[str]:
        unknown = [name for name in methods if name not in generators.REGISTRY]
        if unknown:
            names = ", ".join(map(repr, unknown))
            raise ConfigError(f"unknown generator{'s' if len(unknown) > 1 else ''} {names}",
                              f"use names from {generators.available()}")
        return methods

    @model_validator(mode="after")
    def _params_name_methods(self) -> Generators:
        stray = [name for name in self.params if name not in self.methods]
        if stray:
            raise ConfigError(f"generators.params names {', '.join(map(repr, stray))}, not in generators.methods",
                              "add it to generators.methods or remove its params")
        return self


class CausalCheck(Section):
    alpha: float = Field(0.01, gt=0, lt=1)
    max_broken_share: float = Field(0.2, ge=0, le=1)
    scorecard: bool = True  # structure recovery, mechanism fidelity, effect consistency, counterfactual sanity
    max_shd_increase: int = Field(3, ge=0)
    max_mechanism_ks: float = Field(0.1, ge=0, le=1)
    max_effect_z: float = Field(2.5, ge=0)
    max_monotone_violation: float = Field(0.05, ge=0, le=1)
    max_rows: int = Field(5000, ge=1)


class Constraints(Section):
    mode: Literal["repair", "reject", "off"] = "repair"  # the causal map's constraints on every generator's rows


class Fairness(Section):
    learner: Learner = "logreg"
    max_demographic_parity_difference: float = Field(0.1, ge=0, le=1)
    max_equalized_odds_difference: float = Field(0.1, ge=0, le=1)


class Evaluate(Section):
    repeats: int = Field(3, ge=1)
    threshold: float = Field(0.5, gt=0, lt=1)
    min_minority_test_rows: int = Field(10, ge=1)  # fewer minority rows in the hold-out: its scores get a warning
    max_rows: int | None = Field(None, ge=100)  # large data: each learner trains on a stratified sample this large
    # Parameter names are checked by make_model, which knows each estimator's; here only the learner names.
    learners: dict[Learner, dict[str, Any]] = Field(
        default_factory=lambda: {"cart": {"max_depth": 6, "min_samples_leaf": 20}, "logreg": {"C": 1.0}},
        min_length=1)


class Cost(Section):
    false_positive: float = Field(1.0, ge=0)  # what one false alarm costs, in any unit
    false_negative: float = Field(1.0, ge=0)  # what one missed minority case costs, in the same unit


class Recommend(Section):
    # The decision's metric: f1 | balanced_accuracy | recall_at_precision | cost (each at the option's own tuned
    # threshold), or roc_auc | pr_auc | log_loss (probability users).
    metric: Literal[DECISION_METRICS] = "f1"
    min_precision: float = Field(0.5, gt=0, le=1)  # recall_at_precision: recall counts only at this precision
    cost: Cost = Field(default_factory=Cost)       # cost: expected cost per row of the two errors
    folds: int = Field(3, ge=2)                    # validation folds on the training part (thresholds: 3 inner)
    bootstrap: int = Field(400, ge=100)            # paired bootstrap resamples for the intervals

    def objective(self) -> Objective:
        return Objective(metric=self.metric, min_precision=self.min_precision,
                         cost_false_positive=self.cost.false_positive, cost_false_negative=self.cost.false_negative)

    @model_validator(mode="after")
    def _cost_is_a_trade_off(self) -> Recommend:
        self.objective()  # both costs zero is no trade-off: one message naming the keys
        return self


class Monitor(Section):
    incoming: str = "data/incoming"          # drop CSV/Parquet batches here
    quarantine: str = "data/quarantine"      # bad batches land here, each with a .reason.json
    accepted: str = "data/batches"           # accepted batches, in arrival order (the recalibration window)
    sql_url: str | None = None               # read new rows from a SQL table too (any SQLAlchemy URL)
    sql_table: str | None = None
    watermark_column: str | None = None      # rows with a larger value than the last one read are new
    min_minority_rows: int = Field(30, ge=1)  # fewer minority rows in a batch: too few to test drift
    stattest_threshold: float = Field(0.01, gt=0, lt=1)  # per-column p-value below which a column drifted
    max_drift_share: float = Field(0.3, gt=0, le=1)  # recalibrate when at least this share of columns drifted
    max_minority_rate_change: float = Field(0.5, gt=0)  # ... or the minority rate moved by this fraction

    @model_validator(mode="after")
    def _sql_table_has_its_source(self) -> Monitor:
        if self.sql_table and not (self.sql_url and self.watermark_column):
            raise ConfigError("monitor.sql_table is set but monitor.sql_url or monitor.watermark_column is empty",
                              "set both, e.g. sql_url: sqlite:///data/source.db and watermark_column: admitted_at")
        return self


class Recalibrate(Section):
    window_rows: int = Field(20_000, ge=100)  # the most recent rows (reference data, then batches) to refit on
    tolerance: float = Field(0.01, ge=0)      # the new generator may lose at most this much of recommend.metric
    registry: str = "models/registry"


class Params(Section):
    seed: int = Field(42, ge=0)
    workspace: str | None = None  # another params file's folder under workspaces/ (tasks/workspace.py)
    data: Data = Field(default_factory=Data)
    simulate: Simulate = Field(default_factory=Simulate)
    split: Split = Field(default_factory=Split)
    generators: Generators = Field(default_factory=Generators)
    causal_check: CausalCheck = Field(default_factory=CausalCheck)
    constraints: Constraints = Field(default_factory=Constraints)
    fairness: Fairness = Field(default_factory=Fairness)
    evaluate: Evaluate = Field(default_factory=Evaluate)
    recommend: Recommend = Field(default_factory=Recommend)
    monitor: Monitor = Field(default_factory=Monitor)
    recalibrate: Recalibrate = Field(default_factory=Recalibrate)

    @model_validator(mode="before")
    @classmethod
    def _empty_sections(cls, raw: Any) -> Any:
        # A section with only comments under it reads as null: it means "all defaults", as an absent one does.
        if isinstance(raw, dict):
            return {key: {} if value is None and key in _SECTIONS else value for key, value in raw.items()}
        return raw


_SECTIONS = [name for name in Params.model_fields if name not in ("seed", "workspace")]


def read_yaml(path: Path, *, what: str, fix: str) -> dict:
    """A YAML file's mapping; a missing file or bad YAML is a ConfigError naming ``what`` and the fix."""
    if not path.exists():
        raise ConfigError(f"{what} {path} does not exist", fix)
    try:
        return yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}", "fix the YAML syntax at the line shown") from exc


def load_params(path: str | Path = DEFAULT_PARAMS) -> Params:
    """Read and check a params file; one ConfigError lists every problem, each with its key and its fix."""
    path = Path(path)
    raw = read_yaml(path, what="params file", fix="run from the project folder, or pass --params FILE")
    if not isinstance(raw, dict):
        raise ConfigError(f"{path} must be a mapping of sections, got {type(raw).__name__}",
                          "write it as 'section:' lines with 'key: value' lines under them, as params.yaml does")
    try:
        return Params.model_validate(raw)
    except ValidationError as exc:
        raise _config_error(exc, where=str(path)) from None


def _config_error(exc: ValidationError, *, where: str) -> ConfigError:
    """One ConfigError from all of pydantic's errors: each names its key, says what is wrong and how to fix it."""
    problems = [_problem(error, where) for error in exc.errors()]
    if len(problems) == 1:
        (loc, problem, fix), = problems
        return ConfigError(f"{where}: {_at(loc)}{problem}", fix)
    lines = "\n".join(f"  {_at(loc)}{problem}\n    fix: {fix}" for loc, problem, fix in problems)
    return ConfigError(f"{where} has {len(problems)} problems:\n{lines}", f"correct each key listed above in {where}")


def _at(loc: str) -> str:
    return f"{loc}: " if loc else ""


def _problem(error: dict, where: str) -> tuple[str, str, str]:
    loc = error["loc"]
    shown = ".".join(map(str, loc)).replace(".[key]", " (key)")
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, ConfigError):  # a validator's own check, already in problem-and-fix form
        return ("" if shown in cause.problem else shown), cause.problem, cause.fix
    if error["type"] == "extra_forbidden":
        _, section = _walk(loc[:-1])
        allowed = sorted(type(section).model_fields)
        parent = ".".join(map(str, loc[:-1])) or "the top level"
        return shown, f"unknown key {loc[-1]!r}", f"use only these keys in {parent}: {allowed}"
    key, default = _walk(loc)
    got = repr(error["input"])
    problem = f"{error['msg']} (got {got if len(got) <= 80 else got[:77] + '...'})"
    name = ".".join(key)
    if isinstance(default, BaseModel):  # a whole section (or the file) is not a mapping
        keys = sorted(type(default).model_fields)
        return shown, problem, f"write {name or where} as 'key: value' lines, keys from {keys}"
    example = "" if default is None else f", e.g. {name}: {_flow(default)}"
    return shown, problem, f"correct {name} in {where}{example}"


def _flow(value: Any) -> str:
    """``value`` as it would be written in params.yaml: [sex], {C: 1.0}, repair."""
    return yaml.safe_dump(value, default_flow_style=True, width=10**6).removesuffix("\n...\n").strip()


def _walk(loc: tuple) -> tuple[list[str], Any]:
    """Follow ``loc`` through the default Params while it names fields: (the field path, its default)."""
    node: Any = Params()
    key: list[str] = []
    for part in loc:
        if not (isinstance(node, BaseModel) and part in type(node).model_fields):
            break
        node = getattr(node, part)
        key.append(part)
    return key, node
