"""`resonanz warehouse init|migrate|compact` on a SQLite-catalog DuckLake (fast) and a PostgreSQL one."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from resonanz.cli import main
from warehouse import db as wdb
from warehouse.db import forget_lakes, migrations, query
from warehouse.target import Warehouse

ROOT = Path(__file__).resolve().parents[1]


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_init_creates_the_catalog_once_and_migrate_finds_nothing_pending(
    catalog: tuple[str, Path], capsys: pytest.CaptureFixture[str]
):
    lake, files = catalog
    code, _, err = _cli(capsys, "warehouse", "migrate", "--db", lake)
    assert code == 1 and "resonanz warehouse init" in err  # never created by accident

    code, out, _ = _cli(capsys, "warehouse", "init", "--db", lake, "--data-path", str(files))
    last = migrations()[-1][1][:4]
    assert code == 0
    assert f"{len(migrations())} migrations applied (schema {last}); data files under {files}" in out
    applied = query(lake, "SELECT version FROM schema_migrations ORDER BY version")["version"].tolist()
    assert applied == [m[0] for m in migrations()]

    code, _, err = _cli(capsys, "warehouse", "init", "--db", lake, "--data-path", str(files))
    assert code == 1 and f"already initialised (schema {last})" in err and "Traceback" not in err
    code, out, _ = _cli(capsys, "warehouse", "migrate", "--db", lake, "--dry-run")
    assert code == 0 and "up to date" in out


def test_a_new_postgres_catalog_needs_a_data_path(postgres: object, capsys: pytest.CaptureFixture[str]):
    name = f"nodata_{uuid.uuid4().hex[:10]}"
    lake = "ducklake:" + postgres.create_database(name)
    try:
        code, _, err = _cli(capsys, "warehouse", "init", "--db", lake)
        assert code == 1 and "data path" in err
        code, _, err = _cli(capsys, "warehouse", "init", "--db", lake, "--data-path", "/tmp/x")
        assert code == 0, err  # the failed attempt left nothing behind that blocks a second one
    finally:
        forget_lakes()
        postgres.sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_two_inits_at_once_one_initialises_the_other_says_so(catalog: tuple[str, Path]):
    """The first ATTACH of an empty catalog races; `init` guards it: one wins, one gets a clear error."""
    lake, files = catalog
    argv = [
        sys.executable,
        "-m",
        "resonanz.cli",
        "warehouse",
        "init",
        "--db",
        lake,
        "--data-path",
        str(files),
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for _ in range(2)
    ]
    results = [(p.wait(timeout=180), *p.communicate()) for p in procs]
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 1], results
    loser = next(err for code, _, err in results if code == 1)
    assert loser.startswith("resonanz: ") and ("already initialised" in loser or "being initialised" in loser)
    assert "Traceback" not in loser
    applied = query(lake, "SELECT version FROM schema_migrations ORDER BY version")["version"].tolist()
    assert applied == [m[0] for m in migrations()]  # each migration once


def test_migrate_lists_then_applies_a_new_migration(
    catalog: tuple[str, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    lake, files = catalog
    assert _cli(capsys, "warehouse", "init", "--db", lake, "--data-path", str(files))[0] == 0
    extra = (*migrations(), (9999, "9999_extra.sql", "CREATE TABLE extra_table (x INTEGER PRIMARY KEY);"))
    monkeypatch.setattr(wdb, "migrations", lambda: extra)

    code, out, _ = _cli(capsys, "warehouse", "migrate", "--db", lake, "--dry-run")
    assert code == 0 and out.splitlines()[-2:] == [out.splitlines()[-2], "  9999_extra.sql"]
    assert "would apply 1 migration:" in out
    assert query(lake, "SELECT max(version) AS v FROM schema_migrations")["v"][0] < 9999

    code, out, _ = _cli(capsys, "warehouse", "migrate", "--db", lake)
    assert code == 0 and "applied 1 migration:" in out
    forget_lakes()
    assert query(lake, "SELECT count(*) AS n FROM extra_table")["n"][0] == 0
    assert _cli(capsys, "warehouse", "migrate", "--db", lake)[1].endswith("no pending migrations\n")


def test_init_and_migrate_on_a_duckdb_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    file = str(tmp_path / "resonanz.duckdb")
    code, out, _ = _cli(capsys, "warehouse", "init", "--db", file)
    assert code == 0 and f"{len(migrations())} migrations applied" in out
    code, _, err = _cli(capsys, "warehouse", "init", "--db", file)
    assert code == 1 and "already exists" in err
    assert "up to date" in _cli(capsys, "warehouse", "migrate", "--db", file)[1]
    code, out, _ = _cli(capsys, "warehouse", "compact", "--db", file)
    assert code == 0 and "nothing to compact" in out


def _write_batches(lake: str, batches: int) -> None:
    from crawlers.records import DocumentRecord, FetchOutcome
    from warehouse.ingest import SourceSpec, ingest_outcome, sync_sources
    from warehouse.runs import start_run

    sync_sources(lake, [SourceSpec("blog", "Blog", "feed", "http://127.0.0.1:9/feed")])
    run = start_run(lake, "compact-test")
    for b in range(batches):
        docs = [
            DocumentRecord(
                kind="post",
                source_id="blog",
                url=f"http://127.0.0.1:9/p/{b}-{i}",
                canonical_url=f"http://127.0.0.1:9/p/{b}-{i}",
                title=f"Post {b}-{i}",
                text=f"Text {b} {i} " * 40,
                published_at=datetime(2026, 1, 1, tzinfo=UTC),
            )
            for i in range(30)
        ]
        ingest_outcome(lake, FetchOutcome("blog", "u", "ok", 200, documents=docs), run)


def test_compact_merges_expires_and_keeps_every_row(
    catalog: tuple[str, Path], capsys: pytest.CaptureFixture[str]
):
    lake, files = catalog
    assert _cli(capsys, "warehouse", "init", "--db", lake, "--data-path", str(files))[0] == 0
    _write_batches(lake, 6)
    before = query(lake, "SELECT doc_id, content_hash FROM documents ORDER BY ALL")
    snapshots = query(lake, "SELECT count(*) AS n FROM ducklake_snapshots('lake')")["n"][0]

    code, out, _ = _cli(capsys, "warehouse", "compact", "--db", lake, "--keep-days", "0", "--dry-run")
    assert code == 0 and "would expire" in out and "dry run: nothing changed" in out
    assert query(lake, "SELECT count(*) AS n FROM ducklake_snapshots('lake')")["n"][0] == snapshots

    code, out, _ = _cli(capsys, "warehouse", "compact", "--db", lake, "--keep-days", "0", "--json")
    assert code == 0
    import json

    result = json.loads(out)
    assert len(result["expired_snapshots"]) >= snapshots - 1  # all but the current one
    assert result["flushed_rows"] or result["merged"] or result["data_files"] > 0
    forget_lakes()
    assert query(lake, "SELECT count(*) AS n FROM ducklake_snapshots('lake')")["n"][0] <= 2
    after = query(lake, "SELECT doc_id, content_hash FROM documents ORDER BY ALL")
    assert len(before) == 180 and after.equals(before)


def test_init_uses_the_config_warehouse_section(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    config = tmp_path / "resonanz.toml"
    config.write_text(
        '[warehouse]\nbackend = "ducklake"\ncatalog = "sqlite:lake.sqlite"\ndata_path = "lake-files"\n',
        encoding="utf-8",
    )
    code, out, _ = _cli(capsys, "warehouse", "init", "--config", str(config))
    assert code == 0 and f"data files under {tmp_path / 'lake-files'}" in out
    assert Warehouse.lake(f"sqlite:{tmp_path / 'lake.sqlite'}").exists()


def test_serve_schedules_compaction_only_for_a_ducklake(tmp_path: Path):
    from flows import deploy
    from flows.maintenance import compact_flow
    from resonanz.config import load_config

    config = tmp_path / "resonanz.toml"
    config.write_text('[warehouse]\ncompact = "15 4 * * *"\nkeep_snapshots_days = 0\n', encoding="utf-8")
    cfg = load_config(config)
    lake = f"ducklake:sqlite:{tmp_path / 'c.sqlite'}"
    names = {s.deployment: s for s in deploy.scheduled_flows(cfg, lake)}
    assert names[deploy.COMPACT_DEPLOYMENT].cron == "15 4 * * *"
    assert names[deploy.COMPACT_DEPLOYMENT].parameters == {"config_path": str(config), "db": lake}
    assert deploy.COMPACT_DEPLOYMENT not in {s.deployment for s in deploy.scheduled_flows(cfg, "r.duckdb")}

    _write_batches(lake, 2)  # a one-host SQLite catalog initialises itself on first write
    result = compact_flow.fn(str(config), lake)
    assert result["keep_days"] == 0 and result["expired_snapshots"] and result["data_files"] >= 1
    assert compact_flow.fn(str(config), str(tmp_path / "f.duckdb")) == {}


def test_an_unreachable_catalog_is_one_line(capsys: pytest.CaptureFixture[str]):
    from bench.services import free_port

    lake = f"ducklake:postgres:dbname=nowhere host=127.0.0.1 port={free_port()} user=resonanz"
    for argv in (["init", "--data-path", "/tmp/x"], ["migrate"]):
        code, _, err = _cli(capsys, "warehouse", *argv, "--db", lake)
        assert code == 2 and err.startswith(
            "resonanz: cannot reach the DuckLake catalog DuckLake nowhere@127.0.0.1"
        )
        assert "(Connection refused)" in err and len(err.strip().splitlines()) == 1


COMPACT_WRITER = """
import sys
from datetime import UTC, datetime
from crawlers.records import DocumentRecord, FetchOutcome
from warehouse.ingest import SourceSpec, ingest_outcome, sync_sources
from warehouse.runs import start_run

target, batches = sys.argv[1], int(sys.argv[2])
sync_sources(target, [SourceSpec("w", "W", "feed", "http://127.0.0.1:9/w")])
run = start_run(target, "writer")
print("writing", flush=True)
for b in range(batches):
    docs = [DocumentRecord(kind="post", source_id="w", url=f"http://127.0.0.1:9/w/{b}-{i}",
                           canonical_url=f"http://127.0.0.1:9/w/{b}-{i}", text=f"Text {b} {i} " * 30,
                           published_at=datetime(2026, 1, 1, tzinfo=UTC)) for i in range(20)]
    ingest_outcome(target, FetchOutcome("w", "u", "ok", 200, documents=docs), run)
print("done", flush=True)
"""


def test_compaction_while_another_process_writes_loses_nothing(lake: Warehouse):
    """Compaction commits like any writer: a conflict with a concurrent batch is retried, no row is lost."""
    from warehouse.admin import compact

    _write_batches(str(lake), 3)
    writer = subprocess.Popen(
        [sys.executable, "-c", COMPACT_WRITER, str(lake), "15"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert writer.stdout.readline().strip() == "writing"
    rounds = []
    while writer.poll() is None:
        rounds.append(compact(lake, keep_days=0, grace_minutes=0))
    out, err = writer.communicate(timeout=240)
    assert writer.returncode == 0 and out.strip().endswith("done"), err[-2000:]
    rounds.append(compact(lake, keep_days=0, grace_minutes=0))
    assert len(rounds) >= 2 and any(r.expired_snapshots for r in rounds)
    forget_lakes()
    n, distinct = query(lake, "SELECT count(*) AS n, count(DISTINCT doc_id) AS d FROM documents").iloc[0]
    assert (n, distinct) == (90 + 15 * 20, 90 + 15 * 20)
