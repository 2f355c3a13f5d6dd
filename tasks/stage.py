"""What every stage module shares: its command-line entry for dvc.yaml and its logger."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from typing import Callable, Iterable, Iterator, TypeVar

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


T = TypeVar("T")


class Progress:
    """Progress of a stage's loop in its log (the terminal, and the Prefect UI's run logs, where bars do not
    render): which item of how many, the time so far and the time left at the pace of the items done."""

    def __init__(self, what: str, total: int, log: logging.Logger | None = None) -> None:
        self.what, self.total, self.done, self.log = what, total, 0, log or logger(what)
        self.start = time.monotonic()

    def _left(self) -> str:
        elapsed = time.monotonic() - self.start
        left = f", about {elapsed / self.done * (self.total - self.done):.0f} s left" if self.done else ""
        return f"{elapsed:.0f} s so far{left}"

    def starting(self, name: str) -> None:
        self.log.info("%s %d/%d: %s (%s)", self.what, self.done + 1, self.total, name, self._left())

    def finished(self, name: str) -> None:
        self.done += 1
        self.log.info("%s %d/%d done: %s (%s)", self.what, self.done, self.total, name, self._left())


def progress(items: Iterable[T], what: str, *, total: int, name: Callable[[T], str] = str) -> Iterator[T]:
    """Yield ``items``, logging each one's start with its position and the time left (see :class:`Progress`)."""
    tracker = Progress(what, total)
    for item in items:
        tracker.starting(name(item))
        yield item
        tracker.done += 1


def each_method(p: Params, methods: Iterable[str], run_one: Callable[[Params, str], T], what: str) -> dict[str, T]:
    """``{method: run_one(p, method)}``, one after another, with progress: a stage's ``run`` under ``dvc repro``
    (the flow runs the same ``run_one`` side by side on its task runner, then the same ``combine``)."""
    methods = list(methods)
    return {method: run_one(p, method) for method in progress(methods, what, total=len(methods))}


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
