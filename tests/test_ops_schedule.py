"""Schedules: cron validation in the config, deployments built offline, `resonanz serve` with a real server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from resonanz.cli import main
from resonanz.config import ConfigError, check_cron, load_config, parse_config

CONFIG = """
[[feeds]]
id = "nowhere"
url = "http://127.0.0.1:9/feed.xml"

[schedule]
collect = "{collect}"
digest = "{digest}"
"""

VALID = [
    "0 */2 * * *",
    "*/15 8-18 * * mon-fri",
    "0 7 * * 1",
    "0 7 1,15 jan,jul *",
    "@hourly",
    "@weekly",
    "1-5/2 * * * *",
    "0 0 * * 7",
]
INVALID = [
    "60 * * * *",
    "0 24 * * *",
    "0 7 * * 8",
    "* * * *",
    "*/0 * * * *",
    "0 7 0 * *",
    "H * * * *",
    "1- * * * *",
    "0 7 * foo *",
    "*/5 * * * * *",
]


def _config(tmp_path: Path, collect: str = "0 */2 * * *", digest: str = "0 7 * * 1") -> Path:
    path = tmp_path / "resonanz.toml"
    path.write_text(CONFIG.format(collect=collect, digest=digest), encoding="utf-8")
    return path


@pytest.mark.parametrize("cron", VALID)
def test_valid_crons_are_accepted_here_and_by_prefect(cron: str):
    from prefect._internal.schemas.validators import validate_cron_string

    assert check_cron(cron) == cron
    validate_cron_string(cron)


@pytest.mark.parametrize("cron", INVALID)
def test_invalid_crons_name_the_key_and_the_field(cron: str):
    with pytest.raises(ConfigError) as err:
        parse_config(f'[schedule]\ncollect = "{cron}"\n', "/etc/resonanz.toml")
    message = str(err.value)
    assert "/etc/resonanz.toml" in message and f"schedule.collect: cron {cron!r}" in message


def test_cron_messages_say_what_is_wrong():
    with pytest.raises(ValueError, match="hour: '24' is not a number in 0-23"):
        check_cron("0 24 * * *")
    with pytest.raises(ValueError, match="needs 5 fields"):
        check_cron("* * * *")
    assert check_cron("") == ""  # an empty string disables the schedule


def test_deployments_are_built_offline(tmp_path: Path):
    from prefect.client.schemas.objects import ConcurrencyLimitStrategy

    from flows.deploy import build_deployments

    cfg = load_config(_config(tmp_path))
    db = tmp_path / "r.duckdb"
    deployments = {d.name: d for d in build_deployments(cfg, db)}
    assert sorted(deployments) == ["resonanz-collect", "resonanz-digest"]
    collect, digest = deployments["resonanz-collect"], deployments["resonanz-digest"]
    assert (collect.flow_name, collect.entrypoint) == ("pipeline", "flows.pipeline.pipeline")
    assert (digest.flow_name, digest.entrypoint) == ("digest", "flows.digest.digest_flow")
    expected = {"config_path": str(tmp_path / "resonanz.toml"), "db": str(db)}
    assert collect.parameters == expected and digest.parameters == expected
    for deployment, cron in ((collect, "0 */2 * * *"), (digest, "0 7 * * 1")):
        (schedule,) = deployment.schedules
        assert (schedule.schedule.cron, schedule.schedule.timezone, schedule.active) == (
            cron,
            "Europe/Berlin",
            True,
        )
        assert deployment.concurrency_limit == 1
        assert deployment.concurrency_options.collision_strategy == ConcurrencyLimitStrategy.CANCEL_NEW
        assert deployment.tags == ["resonanz"]


def test_empty_cron_or_missing_digest_leaves_a_deployment_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import flows.deploy as deploy

    cfg = load_config(_config(tmp_path, digest=""))
    assert [d.name for d in deploy.build_deployments(cfg, tmp_path / "r.duckdb")] == ["resonanz-collect"]
    monkeypatch.setattr(deploy, "digest_flow", lambda: None)
    cfg = load_config(_config(tmp_path))
    assert [s.full_name for s in deploy.scheduled_flows(cfg, "r.duckdb")] == ["pipeline/resonanz-collect"]


def test_serve_without_a_server_explains_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    import flows.prefect_server

    monkeypatch.setattr(flows.prefect_server, "configured_api_url", lambda: None)
    config = _config(tmp_path)
    assert main(["serve", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "PREFECT_API_URL is not set" in err and "prefect server start --host 127.0.0.1" in err
    assert f"resonanz serve --start-server --config {config}" in err
    assert main(["serve", "--dry-run", "--config", str(config), "--db", str(tmp_path / "r.duckdb")]) == 0
    out = capsys.readouterr().out
    assert "2 deployment(s), cron times in Europe/Berlin" in out
    assert "pipeline/resonanz-collect" in out and "'0 */2 * * *'" in out and "digest/resonanz-digest" in out


def test_serve_checks_the_server_and_registers_with_a_work_pool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    import flows.deploy
    import flows.prefect_server

    config = str(_config(tmp_path))
    assert main(["serve", "--start-server", "--work-pool", "pool", "--config", config]) == 1
    assert "--work-pool needs a Prefect server" in capsys.readouterr().err
    dead = f"http://127.0.0.1:{_free_port()}/api"
    monkeypatch.setattr(flows.prefect_server, "configured_api_url", lambda: dead)
    assert main(["serve", "--config", config]) == 1
    assert f"no Prefect server answers at PREFECT_API_URL={dead}" in capsys.readouterr().err
    registered = {}
    monkeypatch.setattr(flows.prefect_server, "is_healthy", lambda url, timeout=2.0: True)
    monkeypatch.setattr(
        flows.deploy,
        "register_with_pool",
        lambda deployments, pool: registered.update({pool: [d.name for d in deployments]}),
    )
    assert main(["serve", "--work-pool", "resonanz", "--config", config]) == 0
    assert registered == {"resonanz": ["resonanz-collect", "resonanz-digest"]}
    assert "prefect worker start --pool resonanz" in capsys.readouterr().out


YEARLY = "0 0 1 1 *"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.slow
def test_serve_registers_schedules_and_runs_on_a_real_server(tmp_path: Path):
    """`resonanz serve --start-server`: deployments with cron schedules on the server, a run executes."""
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    db = tmp_path / "r.duckdb"
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_RUNNER_POLL_FREQUENCY": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    env.pop("PREFECT_API_URL", None)
    command = [
        sys.executable,
        "-m",
        "resonanz.cli",
        "serve",
        "--start-server",
        "--port",
        str(port),
        "--config",
        str(_config(tmp_path, collect=YEARLY)),  # never fires during the test: one run only
        "--db",
        str(db),
    ]
    serve = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:

        def deployments():
            try:
                found = httpx.post(f"{api}/deployments/filter", json={}, timeout=5).json()
            except httpx.HTTPError:
                return None
            return found if len(found) == 2 else None

        found = {d["name"]: d for d in _wait(deployments, 45, "two deployments")}
        collect = found["resonanz-collect"]
        assert [s["schedule"]["cron"] for s in collect["schedules"]] == [YEARLY]
        assert collect["parameters"] == {"config_path": str(tmp_path / "resonanz.toml"), "db": str(db)}

        def create_run():
            # the server's SQLite can answer 503/500 while the scheduler writes at a minute boundary: retry
            answer = httpx.post(
                f"{api}/deployments/{collect['id']}/create_flow_run",
                json={"parameters": {"enrich": False}},
                timeout=5,
            )
            return answer.json() if answer.status_code == 201 else None

        run = _wait(create_run, 20, "a created flow run")

        def finished():
            state = httpx.get(f"{api}/flow_runs/{run['id']}", timeout=5).json()["state"]["type"]
            return state if state in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED") else None

        assert _wait(finished, 40, "the flow run") == "COMPLETED"
        scheduled = httpx.post(
            f"{api}/flow_runs/filter",
            json={"flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}}},
            timeout=5,
        ).json()
        assert any(r["deployment_id"] == collect["id"] for r in scheduled)
    finally:
        serve.send_signal(signal.SIGINT)
        output = serve.communicate(timeout=30)[0]
    assert serve.returncode in (0, 130), output
    from flows.prefect_server import is_healthy
    from warehouse.health import failing_sources, runs_history

    assert not is_healthy(api, timeout=1)  # the server we started is gone
    history = runs_history(db)
    assert history["status"].tolist() == ["partial"]  # the feed at 127.0.0.1:9 is unreachable: recorded
    assert failing_sources(db, threshold=1)["source_id"].tolist() == ["nowhere"]
