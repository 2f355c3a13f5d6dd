"""A user error (OversamplingError) ends a Prefect task or flow run as Failed with its message, no traceback.

Prefect logs a traceback for every exception that leaves a task or a flow, once per run it passes
through. A user error is not a crash: the task or flow returns ``Failed(message=..., data=err)``
instead (Prefect 3: a returned state becomes the run's final state), so the UI shows the run Failed with
the message, and the caller of the flow still gets the error itself raised, once.
"""

from __future__ import annotations

import functools
import logging
from typing import Any, Callable

from prefect.states import Failed

from augmentation.errors import OversamplingError


def fails_cleanly(fn: Callable) -> Callable:
    """``fn`` returning a Failed state for an OversamplingError instead of raising it (wrap before @task/@flow)."""
    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except OversamplingError as err:
            return Failed(message=str(err), data=err)
    return run


def run_task(task: Any, *args: Any, **kwargs: Any) -> Any:
    """Call a task made with :func:`fails_cleanly`: its return value, or its user error raised here."""
    return task(*args, return_state=True, **kwargs).result()


def is_an_outcome(error: BaseException | None) -> bool:
    """A user error or a run's named outcome (a refused recalibration, a quarantined batch): not a crash."""
    return isinstance(error, OversamplingError) or getattr(error, "outcome_not_a_crash", False)


class _NoTracebackForOutcomes(logging.Filter):
    # Prefect logs a task's returned Failed state with exc_info=True outside any exception, which prints
    # "NoneType: None" under the message; and a deployment's run (python -m prefect.engine) re-raises its
    # Failed state's error, logging "Engine execution exited with unexpected exception" with the traceback.
    # For a user error or an outcome the record keeps its message, without the traceback.
    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and (record.exc_info[0] is None or is_an_outcome(record.exc_info[1])):
            if record.exc_info[1] is not None:
                record.msg, record.args = f"the run ended Failed: {record.exc_info[1]}", ()
            record.exc_info = None
        return True


for _name in ("prefect.task_runs", "prefect.flow_runs"):
    logging.getLogger(_name).addFilter(_NoTracebackForOutcomes())
