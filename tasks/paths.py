"""Where each stage writes; dvc.yaml names the same paths."""

from pathlib import Path

RAW = Path("data/raw/data.parquet")
RAW_META = Path("data/raw/meta.json")
RAW_VALIDATION = Path("reports/validation/raw.json")
TRAIN = Path("data/split/train.parquet")
TEST = Path("data/split/test.parquet")
GENERATORS = Path("models/generators")
SYNTHETIC = Path("data/synthetic")
AUGMENTED = Path("data/augmented")
SYNTHETIC_VALIDATION = Path("reports/validation/synthetic.json")
GENERATOR_DIAGNOSTICS = Path("metrics/generator_diagnostics.json")
CONSTRAINTS = Path("metrics/constraints.json")
CAUSAL = Path("metrics/causal.json")
FAIRNESS = Path("metrics/fairness.json")
EVALUATION = Path("metrics/evaluation.json")
DECISION = Path("metrics/decision.json")
SUMMARY = Path("metrics/summary.json")  # the headline `dvc metrics show` prints
RUN_SUMMARY = Path("reports/summary.json")  # every row of the run's table, for the flows, the CLI and the page
REPORT = Path("reports/summary.md")
AUDIT = Path("reports/audit.html")


def synthetic(method: str) -> Path:
    return SYNTHETIC / f"{method}.parquet"


def augmented(method: str) -> Path:
    return AUGMENTED / f"{method}.parquet"


def generator_dir(method: str) -> Path:
    return GENERATORS / method


# Every path a retraining run writes, in stage order (dvc.yaml's outs and metrics; a test holds them equal).
# A flow run stages them in a run folder and switches them into place together (tasks/runs.py).
OUTPUTS = (RAW, RAW_META, RAW_VALIDATION, TRAIN, TEST, GENERATORS, SYNTHETIC, AUGMENTED, SYNTHETIC_VALIDATION,
           GENERATOR_DIAGNOSTICS, CONSTRAINTS, CAUSAL, FAIRNESS, EVALUATION, DECISION, SUMMARY, RUN_SUMMARY, REPORT,
           AUDIT)
