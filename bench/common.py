"""Shared helpers of the bench scripts: output folder, percentiles, result files, child processes."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
QUIET_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_UI_ENABLED": "false",
    "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
}


def out_dir(*parts: str) -> Path:
    """A folder under bench/out (created)."""
    path = OUT.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def quiet_environment() -> None:
    """Offline models, quiet Prefect: set before importing flows or models."""
    for key, value in QUIET_ENV.items():
        os.environ.setdefault(key, value)


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=float), q)) if len(values) else float("nan")


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    try:
        import psutil

        memory = f"{psutil.virtual_memory().total / 2**30:.0f} GiB"
    except ImportError:  # pragma: no cover - psutil is a dependency
        memory = "?"
    return {
        "cpus": os.cpu_count(),
        "memory": memory,
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
    }


def _spin(seconds: float, results: Any) -> None:
    started, cpu = time.perf_counter(), time.process_time()
    while time.perf_counter() - started < seconds:
        pass
    results.put(time.process_time() - cpu)


def available_cores(seconds: float = 1.0) -> float:
    """CPU-seconds per second that as many busy processes as cores actually get (other tenants take the rest).

    Ratios of parallel work (the crawl) to serial work (extraction alone) only mean something when
    this is close to the core count; the benches report it beside their figures.
    """
    import multiprocessing

    cores = os.cpu_count() or 1
    results = multiprocessing.get_context("fork").SimpleQueue()
    workers = [
        multiprocessing.get_context("fork").Process(target=_spin, args=(seconds, results))
        for _ in range(cores)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return round(sum(results.get() for _ in workers) / seconds, 2)


def verdict(value: float, target: float, at_most: bool) -> str:
    """'target ≤ 3: met' (or ≥, NOT met): the end of every figure line, read by bench.run."""
    met = value <= target if at_most else value >= target
    return f"target {'≤' if at_most else '≥'} {target:g}: {'met' if met else 'NOT met'}"


def save_result(name: str, result: dict[str, Any]) -> Path:
    """bench/out/<name>.json, read back by bench.run."""
    path = out_dir() / f"{name}.json"
    payload = {**result, "measured_at": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": machine()}
    path.write_text(json.dumps(payload, indent=1, default=str), encoding="utf-8")
    return path


def run_child(
    args: list[str], timeout: float, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """`python <args>` from the repository root with the bench environment; output captured."""
    environment = {**os.environ, **QUIET_ENV, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
