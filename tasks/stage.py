"""What every stage module shares: its command-line entry for dvc.yaml and its logger."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Callable

from augmentation.errors import OversamplingError
from tasks.params import DEFAULT_PARAMS, Params, load_params


def logger(name: str) -> logging.Logger:
    """Prefect's run logger inside a flow run, the module logger elsewhere (e.g. under `dvc repro`)."""
    if "prefect" in sys.modules:  # never imported under `dvc repro`, so no import cost there
        from prefect.context import FlowRunContext, TaskRunContext
        if TaskRunContext.get() or FlowRunContext.get():
            from prefect import get_run_logger
            return get_run_logger()  # type: ignore[return-value]
    return logging.getLogger(name)


def main(run: Callable[[Params], object], argv: list[str] | None = None) -> int:
    """``python -m tasks.<stage> [--params FILE]``: run one stage; a user error exits 2 with one message."""
    parser = argparse.ArgumentParser(description=run.__doc__)
    parser.add_argument("--params", default=str(DEFAULT_PARAMS))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        run(load_params(args.params))
    except OversamplingError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0
