"""One pipeline run per database at a time on this host: an advisory file lock beside the DuckDB file.

A DuckLake's lock file sits beside its SQLite catalog, or in the temp dir for a PostgreSQL catalog.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from warehouse.target import Target, as_warehouse


class RunLocked(RuntimeError):
    """Another run holds the database's run lock."""


def lock_path(db: Target) -> Path:
    return as_warehouse(db).run_lock_path()


def _locked(handle: IO[str], db: Target, wait_s: float = 1.0) -> RunLocked:
    deadline = time.monotonic() + wait_s
    while True:  # the holder writes who it is just after taking the lock: give it a moment
        handle.seek(0)
        holder = handle.read().strip()
        if holder or time.monotonic() >= deadline:
            break
        time.sleep(0.02)
    holder = holder or "unknown"
    return RunLocked(
        f"another Resonanz run is in progress on {db} (holder: {holder}); "
        "wait for it to finish or stop it, then try again"
    )


def _open(db: Target) -> IO[str]:
    path = lock_path(db)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.open("a+")


def check_run_lock(db: Target) -> None:
    """Raise RunLocked now if another run holds the lock (a quick check before starting Prefect)."""
    with _open(db) as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _locked(handle, db) from None


@contextmanager
def run_lock(db: Target) -> Iterator[Path]:
    """Hold the run lock of DB for the duration; raises RunLocked naming the holder.

    The lock is released by the kernel when the holder dies, so a killed run never blocks the next.
    """
    handle = _open(db)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _locked(handle, db) from None
        handle.seek(0)
        handle.truncate()
        handle.write(
            json.dumps(
                {
                    "pid": os.getpid(),
                    "host": socket.gethostname(),
                    "since": time.strftime("%Y-%m-%dT%H:%M:%S"),
                }
            )
        )
        handle.flush()
        try:
            yield lock_path(db)
        finally:  # no stale holder for the next one to read while it takes the lock
            handle.seek(0)
            handle.truncate()
    finally:
        handle.close()
