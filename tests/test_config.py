"""Config loading: validation messages name the file and the key; env overrides paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from resonanz.commands.collect import example_config
from resonanz.config import ConfigError, load_config, parse_config

MINIMAL = """
[[feeds]]
url = "http://127.0.0.1:9/feed.xml"
name = "Example"
"""


def test_example_config_is_valid():
    cfg = parse_config(example_config(), "example-config.toml")
    assert cfg.feeds and cfg.topics and cfg.stakeholders and cfg.own_blog is not None


def test_defaults_and_derived_ids():
    cfg = parse_config(MINIMAL, "x.toml")
    assert cfg.feeds[0].id == "example"
    assert cfg.crawl.obey_robots is True
    assert cfg.models.batch_size == 32


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[[feeds]]\nurl = "ftp://example.com/feed"\n', "feeds[0].url"),
        ('[[feeds]]\nurl = "http://a.example/feed"\nfull_txt = "auto"\n', "feeds[0].full_txt: unknown key"),
        ("[crawl]\nconcurrency_per_domain = 0\n", "crawl.concurrency_per_domain"),
        ('[[stakeholders]]\nname = "A"\nemail = "not-an-email"\n', "stakeholders[0].email"),
        (
            '[[topics]]\nname = "X"\n[[stakeholders]]\nname = "A"\nemail = "a@b.c"\ntopics = ["Y"]\n',
            "stakeholders[0].topics: unknown topic",
        ),
        (
            '[[feeds]]\nid = "a"\nurl = "http://a.example/f"\n[[feeds]]\nid = "a"\nurl = "http://b.example/f"\n',
            "source ids must be unique",
        ),
        ('[own_blog]\nname = "Blog"\n', "own_blog"),
    ],
)
def test_errors_name_file_and_key(text: str, expected: str):
    with pytest.raises(ConfigError) as err:
        parse_config(text, "/etc/resonanz/bad.toml")
    message = str(err.value)
    assert "/etc/resonanz/bad.toml" in message
    assert expected in message


def test_toml_syntax_error_names_file():
    with pytest.raises(ConfigError, match=r"invalid TOML in broken\.toml"):
        parse_config("[feeds\nurl=", "broken.toml")


def test_missing_file_says_how_to_create(tmp_path: Path):
    with pytest.raises(ConfigError, match="resonanz init"):
        load_config(tmp_path / "nope.toml")


def test_env_overrides_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "conf" / "resonanz.toml"
    path.parent.mkdir()
    path.write_text(MINIMAL + '\n[resonanz]\ndatabase = "data/x.duckdb"\n', encoding="utf-8")
    cfg = load_config(path)
    assert cfg.db_path == (path.parent / "data" / "x.duckdb").resolve()
    monkeypatch.setenv("RESONANZ_DB", str(tmp_path / "other.duckdb"))
    monkeypatch.setenv("RESONANZ_DATA_DIR", str(tmp_path / "work"))
    assert cfg.db_path == tmp_path / "other.duckdb"
    assert cfg.data_dir == tmp_path / "work"
