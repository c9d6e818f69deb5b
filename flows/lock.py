"""One pipeline run per database at a time: an advisory file lock on this host, and in Redis across hosts.

A DuckLake's lock file sits beside its SQLite catalog, or in the temp dir for a PostgreSQL catalog.
With `[scale] redis_url` the lock is also taken in Redis (`SET NX` with a TTL the holder renews), so
runs started at once on several hosts do not both write; a killed holder's lock expires after
REDIS_LOCK_TTL_S. `scope` names a smaller unit (one collection shard) with a lock of its own.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO

from warehouse.target import Target, as_warehouse

log = logging.getLogger(__name__)
REDIS_LOCK_TTL_S = 30  # a killed holder blocks the next run at most this long; renewed every third of it
_RENEW = (
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('EXPIRE', KEYS[1], ARGV[2]) end return 0"
)
_RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"


class RunLocked(RuntimeError):
    """Another run holds the database's run lock."""


class LockUnavailable(RuntimeError):
    """The Redis of `[scale] redis_url` cannot be reached to take or check the run lock."""


def _unreachable(url: str, exc: Exception) -> LockUnavailable:
    return LockUnavailable(
        f"cannot reach Redis at {url} ([scale] redis_url) for the run lock: {str(exc).rstrip('.')}; "
        "start it, or remove redis_url to run on this host alone"
    )


def lock_path(db: Target, scope: str = "run") -> Path:
    path = as_warehouse(db).run_lock_path()
    return path if scope == "run" else path.with_name(f"{path.name}.{scope}")


def _holder() -> str:
    return json.dumps(
        {"pid": os.getpid(), "host": socket.gethostname(), "since": time.strftime("%Y-%m-%dT%H:%M:%S")}
    )


def _message(db: Target, holder: str) -> RunLocked:
    return RunLocked(
        f"another Resonanz run is in progress on {db} (holder: {holder}); "
        "wait for it to finish or stop it, then try again"
    )


def redis_lock_key(db: Target, scope: str = "run") -> str:
    """The Redis key of a database's run lock (the same on every host with the same warehouse config)."""
    digest = hashlib.sha1(str(as_warehouse(db)).encode()).hexdigest()[:16]
    return f"resonanz:lock:{digest}:{scope}"


@contextmanager
def redis_run_lock(db: Target, url: str, scope: str = "run") -> Iterator[str]:
    """Hold the run lock of DB in Redis (SET NX + TTL, renewed by a thread); raises RunLocked naming the holder."""
    import redis

    server = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=10)
    key, token = redis_lock_key(db, scope), f"{uuid.uuid4().hex} {_holder()}"
    try:
        taken = server.set(key, token, nx=True, ex=REDIS_LOCK_TTL_S)
        held = b"" if taken else (server.get(key) or b"")
    except redis.RedisError as exc:
        raise _unreachable(url, exc) from None
    if not taken:
        raise _message(db, held.decode("utf-8", "replace").partition(" ")[2] or "unknown")
    stop = threading.Event()
    renew, release = server.register_script(_RENEW), server.register_script(_RELEASE)

    def keep() -> None:
        while not stop.wait(REDIS_LOCK_TTL_S / 3):
            try:
                if not renew(keys=[key], args=[token, REDIS_LOCK_TTL_S]):
                    log.error("the run lock %s was lost (expired while Redis was unreachable?)", key)
                    return
            except redis.RedisError as exc:
                log.warning("could not renew the run lock %s: %s", key, exc)

    thread = threading.Thread(target=keep, name="resonanz-run-lock", daemon=True)
    thread.start()
    try:
        yield key
    finally:
        stop.set()
        thread.join(timeout=5)
        try:
            release(keys=[key], args=[token])
        except redis.RedisError as exc:  # it expires by itself
            log.warning("could not release the run lock %s: %s", key, exc)


def _locked(handle: IO[str], db: Target, wait_s: float = 1.0) -> RunLocked:
    deadline = time.monotonic() + wait_s
    while True:  # the holder writes who it is just after taking the lock: give it a moment
        handle.seek(0)
        holder = handle.read().strip()
        if holder or time.monotonic() >= deadline:
            break
        time.sleep(0.02)
    return _message(db, holder or "unknown")


def _open(db: Target, scope: str = "run") -> IO[str]:
    path = lock_path(db, scope)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.open("a+")


def check_run_lock(db: Target, redis_url: str | None = None) -> None:
    """Raise RunLocked now if another run holds the lock (a quick check before starting Prefect)."""
    with _open(db) as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _locked(handle, db) from None
    if redis_url:
        import redis

        try:
            held = redis.Redis.from_url(redis_url, socket_timeout=10).get(redis_lock_key(db))
        except redis.RedisError as exc:
            raise _unreachable(redis_url, exc) from None
        if held:
            raise _message(db, held.decode("utf-8", "replace").partition(" ")[2] or "unknown")


@contextmanager
def _file_lock(db: Target, scope: str) -> Iterator[Path]:
    handle = _open(db, scope)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _locked(handle, db) from None
        handle.seek(0)
        handle.truncate()
        handle.write(_holder())
        handle.flush()
        try:
            yield lock_path(db, scope)
        finally:  # no stale holder for the next one to read while it takes the lock
            handle.seek(0)
            handle.truncate()
    finally:
        handle.close()


@contextmanager
def run_lock(db: Target, redis_url: str | None = None, scope: str = "run") -> Iterator[Path]:
    """Hold the run lock of DB for the duration (this host; all hosts with `redis_url`); raises RunLocked.

    The file lock is released by the kernel when the holder dies, so a killed run never blocks the next;
    the Redis lock expires REDIS_LOCK_TTL_S after its holder stopped renewing it.
    """
    with ExitStack() as stack:
        path = stack.enter_context(_file_lock(db, scope))
        if redis_url:
            stack.enter_context(redis_run_lock(db, redis_url, scope))
        yield path
