"""CLI: init, stats --json, import-opml, the run lock."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from flows.lock import RunLocked, run_lock
from resonanz.cli import main
from resonanz.config import load_config
from warehouse.db import init_db

OPML = """<?xml version="1.0"?>
<opml version="2.0"><head><title>subs</title></head><body>
  <outline text="Tech">
    <outline text="Blog A" title="Blog A" type="rss" xmlUrl="http://127.0.0.1:9/a/feed.xml"/>
    <outline text="Blog &quot;B&quot;" type="rss" xmlUrl="http://127.0.0.1:9/b/atom.xml"/>
    <outline text="no feed here" htmlUrl="http://127.0.0.1:9/c/"/>
  </outline>
  <outline text="Blog A again" type="rss" xmlUrl="http://127.0.0.1:9/a/feed.xml"/>
</body></opml>
"""


def test_init_writes_valid_commented_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    target = tmp_path / "resonanz.toml"
    assert main(["init", str(target)]) == 0
    text = target.read_text(encoding="utf-8")
    assert text.count("\n#") > 20  # commented
    assert load_config(target).topics
    assert main(["init", str(target)]) == 1  # refuses to overwrite
    assert "exists" in capsys.readouterr().err


def test_import_opml_adds_only_new_feeds(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    config = tmp_path / "resonanz.toml"
    config.write_text(
        '[[feeds]]\nid = "blog-a"\nurl = "http://127.0.0.1:9/a/feed.xml"\n# keep me\n', encoding="utf-8"
    )
    opml = tmp_path / "subs.opml"
    opml.write_text(OPML, encoding="utf-8")
    assert main(["import-opml", str(opml), "--config", str(config)]) == 0
    cfg = load_config(config)
    assert [f.url for f in cfg.feeds] == ["http://127.0.0.1:9/a/feed.xml", "http://127.0.0.1:9/b/atom.xml"]
    assert cfg.feeds[1].name == 'Blog "B"'
    assert "# keep me" in config.read_text(encoding="utf-8")
    assert main(["import-opml", str(opml), "--config", str(config)]) == 0
    assert "no new feeds" in capsys.readouterr().out
    assert len(load_config(config).feeds) == 2


def test_stats_json_on_empty_database(tmp_db: Path, capsys: pytest.CaptureFixture[str]):
    init_db(tmp_db)
    assert main(["stats", "--json", "--db", str(tmp_db)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data == {
        "sources": 0,
        "documents": {"post_external": 0, "post_own": 0, "comment_external": 0, "comment_own": 0, "total": 0},
        "runs": 0,
        "last_run": None,
    }


def test_stats_without_database_is_a_clear_error(tmp_path: Path):
    result = subprocess.run(
        [sys.executable, "-m", "resonanz.cli", "stats", "--db", str(tmp_path / "none.duckdb")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "no Resonanz database" in result.stderr


def test_run_lock_is_exclusive_and_released(tmp_db: Path):
    with run_lock(tmp_db):
        with pytest.raises(RunLocked, match="another Resonanz run is in progress"), run_lock(tmp_db):
            pass
    with run_lock(tmp_db):  # released after the first holder left
        pass
