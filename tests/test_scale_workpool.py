"""SLOW, BOUNDED (issue 14): `resonanz serve --work-pool` + 2 Prefect workers run the sharded collection.

Starts `prefect server start` (≈25 s to healthy, more on a loaded machine), a `process` work pool and
two `prefect worker start --pool` processes, a redis-server and a DuckLake catalog in PostgreSQL; runs
the pipeline deployment once without enrichment, which fans the sources out over 2 `collect-shard` runs.
The same sources collected by one plain `resonanz run` into a DuckDB file are the reference. Every wait
has a deadline (the whole test: well under its 900 s timeout); everything started is stopped, workers
(SIGINT) before the server.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
from reliability import ROOT, ResonanzProcess, write_config

from warehouse.db import query

POOL = "resonanz-test-pool"
DEMO_FEEDS = ("mittelstand-digital", "ki-im-buero", "finance-ops-weekly")
DEMO_SITES = ("mittelstand-digital-web", "datenschutz-praxis")
FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def _env(folder: Path, url: str | None = None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "PREFECT_API_URL"}
    env.update(
        PREFECT_HOME=str(folder / "prefect-home"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_SERVER_UI_ENABLED="false",
        PREFECT_WORKER_QUERY_SECONDS="2",
        PREFECT_LOGGING_LEVEL="INFO",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        PYTHONUNBUFFERED="1",
    )
    if url:
        env["PREFECT_API_URL"] = url
    return env


def _stop(proc: subprocess.Popen, sig: int = signal.SIGINT, timeout: float = 30) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _posts(db) -> tuple[set[tuple[str, str]], int, int]:
    rows = query(db, "SELECT canonical_url, content_hash FROM documents WHERE kind = 'post'")
    every = query(db, "SELECT count(*) n, count(DISTINCT doc_id) d FROM documents")
    return set(zip(rows.canonical_url, rows.content_hash, strict=True)), every["n"][0], every["d"][0]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_serve_work_pool_and_two_workers_run_the_sharded_collection(
    tmp_path: Path, demo_web, lake, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.prefect_server import PrefectServerError, start_server
    from resonanz.commands.demo_run import demo_config_text

    base = tomllib.loads(demo_config_text(demo_web.sites))
    sources = {
        "feeds": [f for f in base["feeds"] if f["id"] in DEMO_FEEDS],
        "sites": [s for s in base["sites"] if s["id"] in DEMO_SITES],
    }
    reference = write_config(tmp_path / "reference", **sources)
    with ResonanzProcess(["run", "--no-enrich", "--config", str(reference)], _env(tmp_path)) as run:
        assert run.finish(300) == 0, run.output
    expected, _, _ = _posts(tmp_path / "reference" / "resonanz.duckdb")

    lake_sections = {
        "warehouse": {"backend": "ducklake", "catalog": lake.location},
        "scale": {"redis_url": redis_url, "collect_shards": 2},
    }
    config = write_config(tmp_path / "pool", **sources, **lake_sections)
    for key, value in _env(tmp_path).items():
        monkeypatch.setenv(key, value)
    try:
        server = start_server(tmp_path / "prefect-server.log", port=_free_port(), timeout=240, ui=False)
    except PrefectServerError as exc:
        pytest.fail(f"the Prefect server did not start: {exc}")
    env = _env(tmp_path, server.url)
    workers: list[subprocess.Popen] = []
    try:
        python = [sys.executable, "-m", "prefect"]
        created = subprocess.run(
            [*python, "work-pool", "create", POOL, "--type", "process"],
            env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert created.returncode == 0, created.stdout + created.stderr
        with ResonanzProcess(["serve", "--work-pool", POOL, "--config", str(config)], env) as serve:
            assert serve.finish(180) == 0, serve.output
        assert f"registered with work pool {POOL!r}" in serve.output
        logs = [tmp_path / f"worker-{k}.log" for k in range(2)]
        for k, log in enumerate(logs):
            with log.open("wb") as out:
                workers.append(
                    subprocess.Popen(
                        [*python, "worker", "start", "--pool", POOL, "--limit", "2", "--name", f"w{k}"],
                        cwd=ROOT,
                        env=env,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
        pipeline_run = _run_pipeline(server.url)
        runs = _flow_runs(server.url)
    finally:
        for worker in workers:  # workers first (SIGINT), then the server
            _stop(worker)
        server.stop()
    assert pipeline_run["state"] == "COMPLETED", (pipeline_run, [log.read_text()[-3000:] for log in logs])
    shard_runs = [r for r in runs if r["flow"] == "collect-shard"]
    assert sorted(r["state"] for r in shard_runs) == ["COMPLETED", "COMPLETED"], runs
    texts = [log.read_text(errors="replace") for log in logs]
    ran = [[r["id"] for r in runs if r["id"] in text] for text in texts]
    assert all(ran), f"each worker runs flow runs: {ran}"  # --limit 2: one worker cannot take all three
    history = query(lake, "SELECT run_id, flow, status FROM runs ORDER BY run_id")
    assert sorted(history["flow"]) == ["collect-shard", "collect-shard", "pipeline"], history
    assert set(history["status"]) == {"ok"}, history
    (round_id,) = history.loc[history["flow"] == "pipeline", "run_id"]
    assert sorted(history.loc[history["flow"] == "collect-shard", "run_id"]) == [
        f"{round_id}-s0of2",
        f"{round_id}-s1of2",
    ]
    stored, rows, distinct = _posts(lake)
    assert stored == expected  # the same documents as the single-node run
    assert rows == distinct  # none twice


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run_pipeline(url: str, timeout: float = 480) -> dict:
    """Start one run of the pipeline deployment (no enrichment) and wait for its final state."""
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: url}):
        run = run_deployment("pipeline/resonanz-collect", parameters={"enrich": False}, timeout=0)
        deadline = time.monotonic() + timeout
        with get_client(sync_client=True) as client:
            while time.monotonic() < deadline:
                state = client.read_flow_run(run.id).state
                if state is not None and state.type.value in FINAL:
                    return {"id": str(run.id), "state": state.type.value, "message": state.message}
                time.sleep(2)
    return {"id": str(run.id), "state": "TIMED OUT"}


def _flow_runs(url: str) -> list[dict]:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: url}), get_client(sync_client=True) as client:
        flows = {f.id: f.name for f in client.read_flows()}
        return [
            {"id": str(r.id), "flow": flows.get(r.flow_id), "state": r.state.type.value if r.state else None}
            for r in client.read_flow_runs()
        ]
