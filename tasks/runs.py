"""Atomic retraining runs: one run at a time per workspace, staged in a run folder, switched in together.

A flow run writes every output (``paths.OUTPUTS``) inside ``.runs/<run-id>/`` with the stage functions
unchanged (they write paths relative to the working directory; the flow runs them from inside the run
folder). Only when every stage has finished are the outputs moved into the workspace, one
``os.replace`` each, after a journal naming them has been written. A run that fails or is killed before
the journal leaves the workspace as the previous complete run left it; a run killed during the switch
is completed by the next run's :func:`recover`. ``dvc repro`` writes the same paths directly.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from filelock import FileLock, Timeout

# Light imports only: the CLI takes the lock before it imports anything heavy.
from augmentation.errors import DataError, OversamplingError
from tasks import paths

if TYPE_CHECKING:
    from tasks.params import Params

RUNS = Path(".runs")          # git- and dvc-ignored
LOCK = RUNS / "run.lock"      # an OS-level lock: it frees itself when its process ends, however it ends
OWNER = RUNS / "run.owner"    # the pid of the process holding the lock (the lock file itself is truncated by
                              # every process that tries it)
JOURNAL = "switch.json"       # in a run folder: the outputs being switched into place
PREVIOUS = "previous"         # in a run folder: the outputs it replaced, removed once the switch is done


class RunInProgress(OversamplingError):
    """Another retraining run holds this workspace."""


_held: list[FileLock] = []  # the lock this process holds (re-entered by the CLI and the flow it starts)


def acquire() -> None:
    """Take the workspace's run lock now, or fail at once naming the process that holds it.

    Re-entrant within a process; the lock is released by :func:`release` or when the process ends.
    """
    if _held:
        _held.append(_held[-1])
        return
    RUNS.mkdir(exist_ok=True)
    lock = FileLock(LOCK, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        owner = OWNER.read_text().strip() if OWNER.is_file() else ""
        who = f"process {owner}" if owner else "another process"
        raise RunInProgress(f"another retraining run is in progress in {Path.cwd()} ({who} holds {LOCK})",
                            f"wait for it to finish, or stop it (kill {owner or '<pid>'}) and run again; "
                            "the lock frees itself when that process ends") from None
    OWNER.write_text(f"{os.getpid()}\n")
    _held.append(lock)


def release() -> None:
    lock = _held.pop()
    if not _held:
        OWNER.unlink(missing_ok=True)  # names no one now; the lock file itself stays (removing it would race)
        lock.release()


@contextlib.contextmanager
def exclusive() -> Iterator[None]:
    """Hold the workspace's run lock for the block."""
    acquire()
    try:
        yield
    finally:
        release()


@contextlib.contextmanager
def inside(folder: Path) -> Iterator[None]:
    """Run the stage functions (they use paths relative to the project) against ``folder``."""
    before = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def input_files(p: Params) -> list[str]:
    """The files the stages read through params: contract, causal map, data file, SQLite database."""
    d = p.data
    files = [d.contract, d.graph, d.path if d.source == "file" else None]
    if d.source == "sql" and d.sql_url.startswith("sqlite"):
        from sqlalchemy.engine import make_url
        files.append(make_url(d.sql_url).database)
    return [f for f in files if f and f != ":memory:"]


def start(p: Params) -> tuple[Path, Params]:
    """A fresh run folder, and params that work from inside it.

    Inputs given relative to the workspace are linked into the folder at the same relative path, so the
    params (and what the stages write about them, e.g. data/raw/meta.json's source) stay as written.
    Inputs outside the workspace are given to the stages as absolute paths.
    """
    folder = (RUNS / datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")).resolve()
    folder.mkdir(parents=True)
    workspace = Path.cwd().resolve()
    outside: dict[str, str] = {}
    for name in input_files(p):
        path = Path(name)
        if path.is_absolute() or not path.exists():
            continue  # absolute paths work from anywhere; a missing file fails in its stage, as it would here
        real = path.resolve()
        if not real.is_relative_to(workspace) or ".." in path.parts:
            outside[name] = str(real)
            continue
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).symlink_to(real)
    if not outside:
        return folder, p
    data = p.data
    moved = {key: outside.get(getattr(data, key), getattr(data, key)) for key in ("contract", "graph", "path")}
    if data.source == "sql" and data.sql_url.startswith("sqlite"):
        from sqlalchemy.engine import make_url
        url = make_url(data.sql_url)
        moved["sql_url"] = url.set(database=outside.get(url.database, url.database)).render_as_string(False)
    return folder, p.model_copy(update={"data": data.model_copy(update=moved)})


def switch(folder: Path) -> list[str]:
    """Move every output of the finished run in ``folder`` into the workspace; returns their paths."""
    missing = [str(rel) for rel in paths.OUTPUTS if not (folder / rel).exists()]
    if missing:
        raise DataError(f"the run in {folder} did not write {missing}", "run it again; report this if it repeats")
    from augmentation.data import io
    io.write_json({"outputs": [str(rel) for rel in paths.OUTPUTS]}, folder / JOURNAL)  # from here on, roll forward
    return _complete(folder)


def _complete(folder: Path) -> list[str]:
    """Finish a journalled switch; each step is one rename, so re-running after a kill picks up where it stopped."""
    outputs = json.loads((folder / JOURNAL).read_text())["outputs"]
    for rel in outputs:
        staged, target, previous = folder / rel, Path(rel), folder / PREVIOUS / rel
        if not staged.exists():
            continue  # already in place
        if target.exists():  # the previous run's: set aside (renamed, not copied), removed below
            previous.parent.mkdir(parents=True, exist_ok=True)
            os.replace(target, previous)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged, target)
    shutil.rmtree(folder)
    return outputs


def recover() -> list[str]:
    """Tidy run folders left by killed runs: finish a journalled switch, remove an unfinished run.

    Call it holding the run lock (no other run is using a folder then). Returns what it did, in words.
    """
    done = []
    for folder in sorted(RUNS.iterdir()) if RUNS.is_dir() else []:
        if not folder.is_dir():
            continue
        if (folder / JOURNAL).is_file():
            _complete(folder)
            done.append(f"completed the switch of the killed run {folder.name}")
        else:
            shutil.rmtree(folder)
            done.append(f"removed the unfinished run {folder.name} (the outputs in place are the previous run's)")
    return done


def discard(folder: Path) -> None:
    """Remove a failed run's folder (its outputs never reached the workspace)."""
    if not (folder / JOURNAL).exists():
        shutil.rmtree(folder, ignore_errors=True)
