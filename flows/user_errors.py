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


class _NoEmptyTraceback(logging.Filter):
    # Prefect logs a task's returned Failed state with exc_info=True outside any exception, which prints
    # "NoneType: None" under the message; drop that empty traceback, keep the record.
    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[0] is None:
            record.exc_info = None
        return True


for _name in ("prefect.task_runs", "prefect.flow_runs"):
    logging.getLogger(_name).addFilter(_NoEmptyTraceback())
