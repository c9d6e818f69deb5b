"""Helpers of the reliability suite (tests/test_reliability_*.py): feeds, configs, fetch_log, `resonanz run` processes."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Callable, Iterable
from pathlib import Path
from xml.sax.saxutils import escape

import pandas as pd
import tomli_w

from warehouse.db import query

ROOT = Path(__file__).resolve().parents[1]
FAST_CRAWL = {
    "autothrottle": False,
    "download_delay": 0.0,
    "retries": 0,
    "timeout_s": 5,
    "concurrency_per_domain": 4,
}


def rss(
    base: str, items: Iterable[tuple[str, str, str]], title: str = "Feed", encoding: str = "utf-8"
) -> bytes:
    """An RSS 2.0 feed of (path, title, text) items on `base`, encoded as declared."""
    entries = "".join(
        f"<item><title>{escape(t)}</title><link>{base}{path}</link><guid>{base}{path}</guid>"
        f"<description>{escape(text)}</description></item>"
        for path, t, text in items
    )
    xml = (
        f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel><title>{escape(title)}</title>'
        f"<link>{base}/</link>{entries}</channel></rss>"
    )
    return xml.encode(encoding)


def write_config(folder: Path, **sections: object) -> Path:
    """A config with database and work files in `folder` and fast crawl settings, plus the given sections."""
    data: dict[str, object] = {
        "resonanz": {
            "database": str(folder / "resonanz.duckdb"),
            "data_dir": str(folder / "work"),
            "user_agent": "ResonanzTest/1.0 (+https://example.org/bot; contact: ops@example.org)",
        },
        "crawl": dict(FAST_CRAWL),
    }
    for name, values in sections.items():
        if isinstance(values, dict) and isinstance(data.get(name), dict):
            data[name] = {**data[name], **values}  # type: ignore[dict-item]
        else:
            data[name] = values
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "resonanz.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


DEMO_FEEDS = ("mittelstand-digital", "ki-im-buero", "finance-ops-weekly")
DEMO_SITES = ("mittelstand-digital-web", "datenschutz-praxis")


def demo_subset_config(web, folder: Path, tiny: str) -> Path:
    """The own blog, three feeds and two crawled sites of the demo web; tiny local models."""
    from conftest import write_demo_config

    from resonanz.commands.demo_run import demo_config_text

    base = tomllib.loads(demo_config_text(web.sites))
    folder.mkdir(parents=True, exist_ok=True)
    return write_demo_config(
        web,
        folder,
        feeds=[f for f in base["feeds"] if f["id"] in DEMO_FEEDS],
        sites=[s for s in base["sites"] if s["id"] in DEMO_SITES],
        models={"embedding": tiny, "sentiment": tiny, "device": "cpu", "max_length": 16},
    )


def fetch_log(db: Path, run_id: str) -> pd.DataFrame:
    """The fetch_log rows of one run, indexed by source_id."""
    return query(db, "SELECT * FROM fetch_log WHERE run_id = ? ORDER BY source_id", [run_id]).set_index(
        "source_id"
    )


def prefect_env(folder: Path) -> dict[str, str]:
    """Environment for `resonanz` subprocesses: the test session's Prefect server, a private PREFECT_HOME."""
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PREFECT_HOME": str(folder / "prefect-home"), "PYTHONUNBUFFERED": "1"}
    if PREFECT_API_URL.value():
        env["PREFECT_API_URL"] = PREFECT_API_URL.value()
    return env


def wait_until(check: Callable[[], object], timeout: float, what: str, step: float = 0.05) -> object:
    """Poll `check` until it returns something truthy; fail after `timeout` seconds naming `what`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


class ResonanzProcess:
    """A `resonanz` command in a subprocess with its own process group; its output is collected line by line."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "resonanz.cli", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def __enter__(self) -> ResonanzProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, pattern: str, timeout: float) -> str:
        """The first output line matching `pattern`; fails if the process ends or time runs out first."""
        regex = re.compile(pattern)

        def found() -> str | None:
            hit = next((line for line in list(self.lines) if regex.search(line)), None)
            if hit is None and self.proc.poll() is not None:
                raise AssertionError(
                    f"process ended ({self.proc.returncode}) before {pattern!r}:\n{self.output}"
                )
            return hit

        return str(wait_until(found, timeout, f"{pattern!r} in the output of {self.proc.args}"))

    def kill(self) -> None:
        """SIGKILL the `resonanz` process itself (not its children), as `kill -9 PID` does."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def finish(self, timeout: float) -> int:
        """Wait for the process to exit; its exit status."""
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.close()
            raise AssertionError(f"still running after {timeout:g} s:\n{self.output}") from None
        self._reader.join(timeout=5)
        return code

    def close(self) -> None:
        """Kill whatever is left of the process group this process started."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)


def write_loop(
    db: str, stop_file: str, pause_s: float = 0.0, batch: int = 200, limit_s: float = 120.0
) -> None:
    """Write like pipeline runs, round after round, until `stop_file` exists: a run, documents, the aggregates.

    Meant for a subprocess (`python -c`); prints one line per round. `pause_s` between rounds stands
    for the fetching a real run does between its writes.
    """
    from crawlers.records import DocumentRecord, FetchOutcome
    from warehouse.aggregates import refresh_aggregates
    from warehouse.ingest import SourceSpec, ingest_outcome, sync_sources
    from warehouse.runs import finish_run, start_run

    sync_sources(db, [SourceSpec("writer", "Writer", "feed", "http://127.0.0.1:9/writer/")])
    deadline = time.monotonic() + limit_s
    round_ = 0
    while not Path(stop_file).exists() and time.monotonic() < deadline:
        run_id = start_run(db)
        docs = [
            DocumentRecord("comment", "writer", url, url, f"Kommentar {round_}-{i}: Preise, Datenschutz, KI.")
            for i in range(batch)
            for url in [f"http://127.0.0.1:9/writer/{round_}/#comment-{i}"]
        ]
        ingest_outcome(
            db, FetchOutcome("writer", "http://127.0.0.1:9/writer/", "ok", 200, documents=docs), run_id
        )
        refresh_aggregates(db)
        finish_run(db, run_id, "ok")
        round_ += 1
        print(f"round {round_}", flush=True)
        time.sleep(pause_s)
