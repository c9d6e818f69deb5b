"""One pipeline run per database at a time: an advisory file lock beside the DuckDB file."""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class RunLocked(RuntimeError):
    """Another run holds the database's run lock."""


def lock_path(db: Path) -> Path:
    return db.with_name(db.name + ".run.lock")


@contextmanager
def run_lock(db: str | Path) -> Iterator[Path]:
    """Hold the run lock of DB for the duration; raises RunLocked naming the holder.

    The lock is released by the kernel when the holder dies, so a killed run never blocks the next.
    """
    path = lock_path(Path(db))
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise RunLocked(
                f"another Resonanz run is in progress on {db} (holder: {holder}); "
                "wait for it to finish or stop it, then try again"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": time.strftime("%Y-%m-%dT%H:%M:%S")}))
        handle.flush()
        yield path
    finally:
        handle.close()
