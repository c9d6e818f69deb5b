"""Terminal output of the CLI: log lines without tracebacks (unless --debug), quiet mode, plurals, local times."""

from __future__ import annotations

import copy
import logging
import sys
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PROGRESS_LOGGERS = ("flows", "crawlers", "nlp", "warehouse", "resonanz")
# Task runs whose failures the flow records itself (one line per source): Prefect's own report is noise.
HANDLED_TASKS = frozenset({"fetch-feed", "crawl-sites"})
PLURALS = {"entry": "entries", "plan entry": "plan entries", "copy": "copies"}


class ConsoleFormatter(logging.Formatter):
    """One line per record: the traceback is left out unless `debug` (then it follows as usual)."""

    def __init__(self, fmt: str, datefmt: str | None = None, debug: bool = False) -> None:
        super().__init__(fmt, datefmt)
        self.debug = debug

    def format(self, record: logging.LogRecord) -> str:
        if self.debug or not (record.exc_info or record.exc_text or record.stack_info):
            return super().format(record)
        short = copy.copy(record)  # other handlers (Prefect's API log) still get the traceback
        exc = record.exc_info[1] if record.exc_info else None
        short.exc_info = short.exc_text = short.stack_info = None
        text = super().format(short)
        if exc is not None and type(exc).__name__ not in text:
            text += f" ({type(exc).__name__}: {first_line(str(exc))})"
        return text


class ConsoleFilter(logging.Filter):
    """Drops Prefect's report of task failures the flow records itself, and everything from Prefect when quiet."""

    def __init__(self, quiet: bool = False) -> None:
        super().__init__()
        self.quiet = quiet

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith("prefect"):
            return True
        if self.quiet:
            return False
        if "Crash detected" in str(record.msg) or _stopping():  # an interrupt: the CLI says so in one line
            return False
        return getattr(record, "task_name", None) not in HANDLED_TASKS


class StderrHandler(logging.StreamHandler):
    """A handler writing to whatever `sys.stderr` is now (main() may run many times in one process)."""

    @property  # type: ignore[override]
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:  # the base class sets it; the property wins
        pass


def _stopping() -> bool:
    interrupt = sys.modules.get("flows.interrupt")
    return bool(interrupt and interrupt.stopping())


def first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def setup_logging(verbose: int = 0, debug: bool = False) -> None:
    """Log records on stderr, one line each; -v/-vv raise the level, --debug adds tracebacks."""
    level = logging.DEBUG if debug else [logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)]
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "resonanz", False)), None)
    if handler is None:
        handler = StderrHandler()
        handler.resonanz = True  # type: ignore[attr-defined]
        handler.addFilter(ConsoleFilter())
        root.addHandler(handler)
    handler.setLevel(logging.NOTSET)
    for flt in handler.filters:
        if isinstance(flt, ConsoleFilter):
            flt.quiet = False
    handler.setFormatter(ConsoleFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", debug=debug))
    root.setLevel(level)


def show_progress(quiet: bool = False, debug: bool = False) -> None:
    """Progress lines of long commands on stderr (our loggers at INFO); quiet: errors only, nothing from Prefect."""
    for handler in logging.getLogger().handlers:
        for flt in handler.filters:
            if isinstance(flt, ConsoleFilter):
                flt.quiet = quiet
        if quiet and getattr(handler, "resonanz", False):
            handler.setLevel(logging.ERROR)
    if quiet:
        return
    handler = StderrHandler()
    handler.setFormatter(ConsoleFormatter("%(asctime)s %(name)s: %(message)s", "%H:%M:%S", debug=debug))
    handler.addFilter(ConsoleFilter())
    for name in PROGRESS_LOGGERS:
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() > logging.INFO:
            logger.setLevel(logging.INFO)
        logger.handlers = [h for h in logger.handlers if not getattr(h, "resonanz_progress", False)]
        handler.resonanz_progress = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
        logger.propagate = False


def plural(n: int, noun: str) -> str:
    """`1 document`, `2 documents`, `0 entries`."""
    if n == 1:
        return f"{n} {noun}"
    word = PLURALS.get(noun) or (
        noun[:-1] + "ies" if noun.endswith("y") and noun[-2:-1] not in "aeiou" else noun + "s"
    )
    return f"{n} {word}"


def local_time(value: datetime | str | None, timezone: str = "Europe/Berlin") -> str:
    """A stored (UTC) time as `2026-12-02 19:44 CET` in the configured time zone; naive values count as UTC."""
    if value is None or value == "":
        return "-"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
