"""Generator versions on disk: one immutable folder per version and one ``registry.json`` naming the active one.

A version folder holds everything that reproduces its generators (their JSON records, the exact
training rows they were fitted on, the data window) and the metrics that justified it. Every file's
sha256 is in the registry, so a version can be checked and restored byte for byte.

Writes are ordered so that a process killed at any moment leaves the registry readable and the
active version intact: a new version is copied into a hidden temporary folder, renamed into place
(atomic on one file system), and only then named in ``registry.json`` (written atomically). A folder
that is not named in ``registry.json`` is an unfinished attempt and is never used.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from augmentation.data import io
from augmentation.errors import ConfigError, DataError

INDEX = "registry.json"
FORMAT = 1
# How long a writer waits for another one (a registration pushes a version with DVC: minutes at most).
LOCK_TIMEOUT_S = 300.0


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def manifest(directory: Path) -> dict[str, str]:
    """``{relative path: sha256}`` of every file under ``directory``."""
    return {p.relative_to(directory).as_posix(): sha256_file(p)
            for p in sorted(directory.rglob("*")) if p.is_file()}


class Registry:
    """The generator registry rooted at ``root`` (e.g. ``models/registry``)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    # -- reading -------------------------------------------------------------------------------
    def index(self) -> dict[str, Any]:
        path = self.root / INDEX
        if not path.exists():
            return {"format": FORMAT, "active": None, "versions": []}
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise DataError(f"{path} is not valid JSON ({exc})",
                            "restore it with `dvc checkout` (it is DVC-tracked) "
                            "or from the remote with `dvc pull`") from exc
        if data.get("format") != FORMAT:
            raise DataError(f"{path} has format {data.get('format')}, this version reads {FORMAT}",
                            "use the version of this package that wrote it")
        return data

    def versions(self) -> list[dict[str, Any]]:
        return self.index()["versions"]

    def active_id(self) -> str | None:
        return self.index()["active"]

    def get(self, version_id: str) -> dict[str, Any]:
        for record in self.versions():
            if record["id"] == version_id:
                return record
        known = [r["id"] for r in self.versions()]
        raise ConfigError(f"no generator version {version_id!r} in {self.root / INDEX}",
                          f"use one of {known}" if known else "run the retraining flow first (oversample run)")

    def active(self) -> dict[str, Any]:
        """The active version's record; an error that says how to get one when there is none."""
        active = self.active_id()
        if active is None:
            raise DataError(f"there is no active generator version in {self.root}",
                            "run the retraining flow first (oversample run) so a version is registered")
        return self.get(active)

    def path(self, version_id: str) -> Path:
        return self.root / version_id

    def verify(self, version_id: str) -> list[str]:
        """The files of a version that are missing or differ from the recorded bytes (empty: intact)."""
        record, folder = self.get(version_id), self.path(version_id)
        bad = [rel for rel, digest in record["files"].items()
               if not (folder / rel).is_file() or sha256_file(folder / rel) != digest]
        if folder.is_dir():
            bad += sorted(set(manifest(folder)) - set(record["files"]))
        return bad

    # -- writing -------------------------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self, timeout: float = LOCK_TIMEOUT_S):
        """One writer at a time (a scheduled retrain, a recalibration, a rollback); the others wait up to ``timeout`` s.

        The lock is an OS file lock (``flock``) on ``.lock``: the kernel drops it when its owner exits, however it
        dies, so a lock is never judged stale from a PID and never removed while its owner runs. The owner's PID
        is written next to it (``.lock.owner``) only to name it in the error a waiting writer gets.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        path, owner = self.root / ".lock", self.root / ".lock.owner"
        held = FileLock(path, timeout=timeout)
        try:
            held.acquire()
        except Timeout:
            try:
                pid = owner.read_text().strip()
            except FileNotFoundError:  # the owner is just starting or finishing
                pid = ""
            who = f"process {pid}" if pid else "another process"
            raise DataError(f"{who} is writing the generator registry {self.root}: the lock {path} was not free "
                            f"within {timeout:g} s",
                            f"wait for {who} to finish, then run again (the lock frees itself when that process "
                            "exits; do not delete the lock file)") from None
        try:
            io.write_text(str(os.getpid()), owner)
            yield self
        finally:
            owner.unlink(missing_ok=True)  # while still holding the lock: nobody else writes it
            held.release()

    def next_id(self) -> str:
        taken = {r["id"] for r in self.versions()} | {p.name for p in self.root.glob("v*") if p.is_dir()}
        n = len(self.versions()) + 1
        while f"v{n}" in taken:
            n += 1
        return f"v{n}"

    def add(self, files: dict[str, Path], **record: Any) -> dict[str, Any]:
        """Copy ``files`` ({path in the version: source}) into a new version folder and return its record.

        The version is not registered yet: call :meth:`commit` with the record (after, e.g., pushing it).
        """
        version_id = self.next_id()
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f".{version_id}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        for rel, source in files.items():
            (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, tmp / rel)
        tmp.rename(self.root / version_id)
        return {"id": version_id, "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                **record, "files": manifest(self.root / version_id)}

    def commit(self, record: dict[str, Any], *, activate: bool) -> None:
        """Name ``record`` in the index (one atomic write), and make it the active version if asked."""
        index = self.index()
        index["versions"] = [r for r in index["versions"] if r["id"] != record["id"]] + [record]
        if activate:
            index["active"] = record["id"]
        io.write_json(index, self.root / INDEX)

    def activate(self, version_id: str) -> dict[str, Any]:
        """Make an existing, intact version the active one."""
        record = self.get(version_id)
        bad = self.verify(version_id)
        if bad:
            raise DataError(f"version {version_id} in {self.path(version_id)} differs from its record: {bad[:5]}",
                            "restore it from the DVC remote (`dvc pull` of its .dvc file) before activating it")
        index = self.index()
        index["active"] = version_id
        io.write_json(index, self.root / INDEX)
        return record

    def clean_unfinished(self) -> list[str]:
        """Remove folders left by killed runs (temporary copies, versions never named in the index)."""
        known = {r["id"] for r in self.versions()}
        removed = []
        for folder in self.root.glob("*"):
            if folder.is_dir() and (folder.name.endswith(".tmp") or folder.name not in known):
                shutil.rmtree(folder)
                removed.append(folder.name)
        return removed

