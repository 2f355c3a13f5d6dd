"""The generator registry's writer lock, with real processes: concurrent writers lose nothing, a live lock is kept."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from augmentation.errors import DataError
from augmentation.monitoring.versions import Registry

ROOT = Path(__file__).resolve().parents[1]

# A writer: waits for ``go`` so that all writers start together, then registers ``rounds`` versions the way
# tasks.versions.register does (lock, add, commit).
WRITER = """
import sys, time
from pathlib import Path
from augmentation.monitoring.versions import Registry
root, go, name, rounds, source = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4]), Path(sys.argv[5])
reg = Registry(root)
while not go.exists():
    time.sleep(0.001)
for k in range(rounds):
    with reg.lock(timeout=120):
        record = reg.add({"generators/note.txt": source}, writer=name, round=k)
        time.sleep(0.05)  # register pushes the version with DVC here: the window another writer would race in
        reg.commit(record, activate=True)
    print(record["id"], flush=True)
"""

# A writer that takes the lock, says so, and keeps it until ``release`` appears.
HOLDER = """
import sys, time
from pathlib import Path
from augmentation.monitoring.versions import Registry
root, held, release = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
with Registry(root).lock():
    held.write_text("held")
    while not release.exists():
        time.sleep(0.01)
"""


def start(script: str, *args: Path | str | int) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, "-c", script, *map(str, args)], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_for(path: Path, child: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while not path.exists():
        assert child.poll() is None, child.communicate()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.01)


def test_two_writers_at_once_lose_no_version(tmp_path):
    root, go, rounds = tmp_path / "registry", tmp_path / "go", 5
    source = tmp_path / "note.txt"
    source.write_text("generator\n" * 1000)
    writers = {name: start(WRITER, root, go, name, rounds, source) for name in ("retrain", "recalibrate")}
    go.write_text("go")
    printed = {}
    for name, child in writers.items():
        out, err = child.communicate(timeout=300)
        assert child.returncode == 0, err
        printed[name] = out.split()

    reg = Registry(root)
    versions = reg.versions()
    ids = [r["id"] for r in versions]
    assert len(ids) == 2 * rounds and len(set(ids)) == 2 * rounds, ids  # every version is in the index, once
    for name, child_ids in printed.items():
        assert sorted(r["id"] for r in versions if r["writer"] == name) == sorted(child_ids)
        assert sorted(r["round"] for r in versions if r["writer"] == name) == list(range(rounds))
    assert all(reg.verify(i) == [] for i in ids)  # each folder holds exactly what its record says
    assert reg.active_id() in ids
    assert sorted(p.name for p in root.iterdir() if p.is_dir()) == sorted(ids)  # no unfinished copies left


def test_a_lock_held_by_a_live_process_is_never_taken(tmp_path):
    root, held, release = tmp_path / "registry", tmp_path / "held", tmp_path / "release"
    holder = start(HOLDER, root, held, release)
    try:
        wait_for(held, holder)
        lock = root / ".lock"
        inode = lock.stat().st_ino
        with pytest.raises(DataError, match=rf"process {holder.pid} is writing .*{re.escape(str(lock))}") as err:
            with Registry(root).lock(timeout=0.2):
                pytest.fail("took a lock a live process holds")
        assert "do not delete the lock file" in str(err.value)
        # What fooled the old PID-file lock: an owner file still empty, or naming a process long gone.
        dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
        for owner in ("", dead.stdout.strip()):
            (root / ".lock.owner").write_text(owner)
            with pytest.raises(DataError, match=f"is writing the generator registry {re.escape(str(root))}"):
                with Registry(root).lock(timeout=0.2):
                    pytest.fail("took a lock a live process holds")
        assert holder.poll() is None and lock.stat().st_ino == inode  # the owner runs on, its lock file untouched
    finally:
        release.write_text("done")
        holder.communicate(timeout=60)
    assert holder.returncode == 0
    with Registry(root).lock(timeout=0):  # free again once the owner let go
        assert (root / ".lock.owner").read_text() == str(os.getpid())
    assert not (root / ".lock.owner").exists()


def test_a_killed_writers_lock_is_free_at_once(tmp_path):
    root, held = tmp_path / "registry", tmp_path / "held"
    holder = start(HOLDER, root, held, tmp_path / "never")
    wait_for(held, holder)
    holder.send_signal(signal.SIGKILL)
    holder.communicate(timeout=60)
    assert (root / ".lock.owner").read_text() == str(holder.pid)  # a killed writer cleans nothing up
    with Registry(root).lock(timeout=0):
        assert (root / ".lock.owner").read_text() == str(os.getpid())


def test_one_writer_at_a_time_within_a_process(tmp_path):
    reg = Registry(tmp_path / "registry")
    with reg.lock():
        with pytest.raises(DataError, match=f"process {os.getpid()} is writing"):
            with reg.lock(timeout=0):
                pass
    with reg.lock(timeout=0):  # released on leaving the block, also after an error inside it
        pass
    with pytest.raises(RuntimeError):
        with reg.lock():
            raise RuntimeError("a failed registration")
    with reg.lock(timeout=0):
        pass
