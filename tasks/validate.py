"""Stage 2: the raw data against the data contract (Great Expectations); a failure stops the run."""

from __future__ import annotations

import pandas as pd

from augmentation.data import io
from tasks import paths, stage
from tasks.params import Params


def validate(frame: pd.DataFrame, p: Params, *, name: str) -> dict:
    """The contract's result for ``frame`` as a dict; a failure raises, naming column, expectation and values."""
    from augmentation.contract.suite import load_suite, validate_frame

    result = validate_frame(frame, load_suite(p.data.contract), name=name)
    if not result.passed:
        raise result.error()
    return result.to_dict()


def run(p: Params) -> list[str]:
    """Validate the raw data."""
    io.write_json(validate(pd.read_parquet(paths.RAW), p, name="the raw data"), paths.RAW_VALIDATION)
    stage.logger(__name__).info("raw data meets the contract %s", p.data.contract)
    return [str(paths.RAW_VALIDATION)]


if __name__ == "__main__":
    raise SystemExit(stage.main(run))
