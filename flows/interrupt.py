"""Stop a run on SIGINT/SIGTERM within seconds: the run is recorded as interrupted and nothing is lost.

The handler raises KeyboardInterrupt in the main thread: a DuckDB batch in progress rolls back,
Prefect marks the flow run crashed, `run_pipeline` records the run as interrupted. Worker threads
(a feed in its timeout or retry wait, the crawl's child) are not waited for: a watchdog records the
run and ends the process after `GRACE_S` if the main thread has not finished by then. What was
stored stays stored; the next run continues from there (known documents are skipped, enrichment
resumes, an interrupted crawl is extracted again).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

log = logging.getLogger(__name__)

MESSAGE = "resonanz: interrupted — nothing lost; rerun to continue"
EXIT_CODE = 130
GRACE_S = 3.0
STOP = threading.Event()  # set by the first SIGINT/SIGTERM: no new retries, no new work
_DONE = threading.Event()
_active: dict[str, tuple[Any, str]] = {}  # run_id → (db, run_id) of runs not yet finished
_cleanups: list[Callable[[], None]] = []
_signal: list[int | None] = [None]  # the signal that stopped the run
_raised = threading.Event()  # our handler raised KeyboardInterrupt once
_arm_lock = threading.Lock()


def interrupted_error(signum: int | None = None) -> str:
    name = signal.Signals(signum).name if signum else "an interrupt"
    return f"interrupted by {name}"


def interrupted_reason(exc: BaseException) -> str:
    """What stopped a run: the signal received, else the exception's message."""
    signum = _signal[0] or getattr(exc, "signal", None)
    if signum:
        return interrupted_error(signum)
    return str(exc) or "interrupted"


@contextlib.contextmanager
def active_run(db: Any, run_id: str) -> Iterator[None]:
    """Mark a started run, so the watchdog can record it as interrupted if the main thread cannot."""
    _active[run_id] = (db, run_id)
    try:
        yield
    finally:
        _active.pop(run_id, None)


def on_interrupt(cleanup: Callable[[], None]) -> None:
    """Call `cleanup` (quick, e.g. stop a temporary server) when an interrupt ends the process."""
    _cleanups.append(cleanup)


def _record_unfinished() -> None:
    from warehouse.runs import finish_run

    for db, run_id in list(_active.values()):
        try:
            finish_run(db, run_id, "interrupted", {"run_id": run_id}, interrupted_error(_signal[0]))
        except Exception:  # the main thread may be recording it right now: one of them succeeds
            log.debug("recording run %s as interrupted failed", run_id, exc_info=True)


def _watchdog() -> None:
    if not _DONE.wait(GRACE_S):
        _record_unfinished()
        exit_interrupted()


def exit_interrupted() -> None:
    """Print the message, run the cleanups and end the process now (worker threads are not waited for)."""
    _DONE.set()
    for cleanup in _cleanups:
        with contextlib.suppress(Exception):
            cleanup()
    print(MESSAGE, file=sys.stderr)
    with contextlib.suppress(Exception):
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(EXIT_CODE)


def _arm(signum: int) -> None:
    """The first SIGINT/SIGTERM: stop retries and new work, and start the watchdog."""
    with _arm_lock:
        if STOP.is_set():
            return
        _signal[0] = signum
        STOP.set()
    threading.Thread(target=_watchdog, name="resonanz-interrupt", daemon=True).start()


def _handler(signum: int, frame: object) -> None:
    _arm(signum)
    if _raised.is_set():  # a second Ctrl-C while stopping: the watchdog ends it in a moment
        return
    _raised.set()
    raise KeyboardInterrupt(interrupted_error(signum))


def _listen(fd: int) -> None:
    """Arm at the moment a signal arrives, whoever handles it (Prefect's SIGTERM handler replaces ours in flows)."""
    try:
        while data := os.read(fd, 64):
            for signum in data:
                if signum in (signal.SIGINT, signal.SIGTERM):
                    _arm(signum)
    finally:
        os.close(fd)


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM interrupt the run (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, _handler)
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    old_fd = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    threading.Thread(target=_listen, args=(read_fd,), name="resonanz-signals", daemon=True).start()
    try:
        yield
    finally:
        signal.set_wakeup_fd(old_fd)
        os.close(write_fd)  # the listener reads EOF and ends
        for sig, old in previous.items():
            signal.signal(sig, old)


def stopping() -> bool:
    """Whether an interrupt asked the run to stop (checked before retries and new work)."""
    return STOP.is_set()
