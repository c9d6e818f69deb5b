"""`resonanz warehouse copy`: the DuckDB file into a DuckLake and back, every table verified, no loss."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from fixtures.insight_db import shared_insight_db

from resonanz.cli import main
from warehouse.db import forget_lakes, init_db, query
from warehouse.transfer import SRC, _session, copied_tables


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _all_rows(db: object) -> dict[str, list[tuple]]:
    """Every copied table's rows, sorted (the same on both backends, floats included: Parquet keeps them)."""
    from warehouse.target import as_warehouse

    with _session(as_warehouse(db), None, write=False) as con:
        return {
            t: sorted(con.execute(f'SELECT * FROM {SRC}.main."{t}"').fetchall(), key=repr)
            for t in copied_tables(con, SRC)
        }


def test_copy_into_a_ducklake_and_back_loses_nothing(
    catalog: tuple[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    source, _ = shared_insight_db()
    lake, files = catalog
    code, out, _ = _cli(capsys, "warehouse", "copy", "--db", str(source), "--to", lake, "--dry-run")
    assert code == 0 and "would copy" in out and "initialising" in out
    assert _cli(capsys, "warehouse", "migrate", "--db", lake)[0] == 1  # the dry run created nothing

    code, out, err = _cli(
        capsys, "warehouse", "copy", "--db", str(source), "--to", lake, "--data-path", str(files)
    )
    assert code == 0, err
    assert "row counts and content hashes verified" in out
    original = _all_rows(source)
    assert sum(map(len, original.values())) > 1000 and len(original) > 20
    forget_lakes()
    assert _all_rows(lake) == original

    back = tmp_path / "back.duckdb"
    code, out, err = _cli(capsys, "warehouse", "copy", "--db", lake, "--to", str(back), "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["verified"] and result["rows"] == sum(map(len, original.values()))
    assert set(result["tables"]) == set(original)
    assert _all_rows(back) == original
    # what the app reads is the same on the copy
    sql = "SELECT source_id, count(*) AS n FROM documents GROUP BY ALL ORDER BY ALL"
    assert query(lake, sql).equals(query(source, sql))


def test_a_non_empty_target_is_refused_unless_forced(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    source, _ = shared_insight_db()
    lake = f"ducklake:sqlite:{tmp_path / 'c.sqlite'}"
    assert _cli(capsys, "warehouse", "copy", "--db", str(source), "--to", lake)[0] == 0
    rows = query(lake, "SELECT count(*) AS n FROM documents")["n"][0]

    code, _, err = _cli(capsys, "warehouse", "copy", "--db", str(source), "--to", lake)
    assert code == 1 and "is not empty" in err and "--force" in err and "Traceback" not in err
    code, out, _ = _cli(
        capsys, "warehouse", "copy", "--db", str(source), "--to", lake, "--force", "--dry-run"
    )
    assert code == 0 and "would delete" in out and "dry run: nothing changed" in out
    code, out, _ = _cli(capsys, "warehouse", "copy", "--db", str(source), "--to", lake, "--force", "--yes")
    assert code == 0 and "replaced" in out
    forget_lakes()
    assert query(lake, "SELECT count(*) AS n FROM documents")["n"][0] == rows  # replaced, not doubled


def test_copy_refuses_a_source_with_pending_migrations_and_itself(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    old = tmp_path / "old.duckdb"
    init_db(old)
    with duckdb.connect(str(old)) as con:
        con.execute(
            "DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)"
        )
    code, _, err = _cli(
        capsys, "warehouse", "copy", "--db", str(old), "--to", f"ducklake:sqlite:{tmp_path / 'c.sqlite'}"
    )
    assert code == 1 and "resonanz warehouse migrate --db" in err
    assert not (tmp_path / "c.sqlite").exists()
    code, _, err = _cli(capsys, "warehouse", "copy", "--db", str(old), "--to", str(old))
    assert code == 1 and "the same warehouse" in err
