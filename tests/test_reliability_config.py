"""Invalid or missing config values stop `resonanz run` with a message naming the file and the key.

Errors found when the config is loaded end the command before anything is written (exit 2); errors
found during a run (a missing secret, an unknown model) fail that run, recorded with the key.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from reliability import write_config

from resonanz.cli import main
from warehouse.db import query

CASES = {
    "missing-url": ('[[feeds]]\nid = "a"\n', "feeds[0].url: Field required"),
    "bad-url": ('[[feeds]]\nurl = "file:///etc/passwd"\n', "feeds[0].url: must be an http(s) URL"),
    "no-start-urls": ('[[sites]]\nid = "s"\n', "sites[0].start_urls: Field required"),
    "zero-timeout": ("[crawl]\ntimeout_s = 0\n", "crawl.timeout_s: Input should be greater than 0"),
    "wrong-type": (
        '[[sites]]\nstart_urls = ["http://127.0.0.1:9/"]\nmax_pages = "many"\n',
        "sites[0].max_pages",
    ),
    "typo": ("[crawl]\nretrys = 3\n", "crawl.retrys: unknown key (typo?)"),
    "bad-cron": ('[schedule]\ncollect = "0 25 * * *"\n', "schedule.collect: cron '0 25 * * *', hour"),
    "bad-toml": ('[[feeds]\nurl = "x"\n', "invalid TOML in"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_config_is_refused_naming_file_and_key(case: str, tmp_path: Path, capsys) -> None:
    text, expected = CASES[case]
    config = tmp_path / "resonanz.toml"
    config.write_text(f'[resonanz]\ndatabase = "{tmp_path / "r.duckdb"}"\n' + text, encoding="utf-8")
    assert main(["run", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert str(config) in err and expected in err, err
    assert not (tmp_path / "r.duckdb").exists()  # nothing written


def test_missing_config_file_says_how_to_create_one(tmp_path: Path, capsys) -> None:
    assert main(["run", "--config", str(tmp_path / "nope.toml")]) == 2
    assert f"config file not found: {tmp_path / 'nope.toml'}" in capsys.readouterr().err


def test_missing_secret_fails_the_run_naming_key_and_variable(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("RESONANZ_TEST_KEY", raising=False)
    config = write_config(tmp_path, privacy={"pseudonymize_authors": True, "key_env": "RESONANZ_TEST_KEY"})
    from flows.pipeline import run_pipeline

    summary = run_pipeline(str(config))
    assert summary.status == "failed"
    assert "privacy.pseudonymize_authors" in summary.error and "RESONANZ_TEST_KEY is not set" in summary.error
    run = query(tmp_path / "resonanz.duckdb", "SELECT status, error FROM runs").iloc[0]
    assert (run["status"], run["error"]) == ("failed", summary.error)


def test_unknown_model_fails_the_run_naming_the_key(tmp_path: Path, prefect_harness) -> None:
    config = write_config(tmp_path, models={"topics": "builtin:nope"}, topics=[{"name": "Preise"}])
    from flows.pipeline import run_pipeline

    summary = run_pipeline(str(config))
    assert summary.status == "failed" and "models.topics: unknown builtin 'builtin:nope'" in summary.error
    assert query(tmp_path / "resonanz.duckdb", "SELECT status FROM runs")["status"].tolist() == ["failed"]
