"""Privacy: keyed pseudonyms for comment authors, retention purge, erasure of one author."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawlers.records import DocumentRecord, FetchOutcome
from resonanz.cli import main
from resonanz.config import ConfigError, parse_config
from warehouse.db import read_connection, write_connection
from warehouse.ingest import SourceSpec, ingest_outcome, sync_sources
from warehouse.privacy import pseudonym, purge_author, purge_expired
from warehouse.runs import start_run

KEY = b"0123456789abcdef-test-key"
NOW = datetime(2026, 6, 1, tzinfo=UTC)
LONG = " ".join(["Die E-Rechnung kommt und wir müssen die Prozesse in der Buchhaltung anpassen."] * 4)


def _post(i: int, days_old: int, author: str = "Redaktion", text: str | None = None) -> DocumentRecord:
    url = f"http://127.0.0.1:9/p/{i}/"
    return DocumentRecord(
        kind="post",
        source_id="blog",
        url=url,
        canonical_url=url,
        title=f"Post {i}",
        text=text or f"Beitrag {i} über Cloud-ERP",
        author=author,
        published_at=NOW - timedelta(days=days_old),
    )


def _comment(i: int, post: int, author: str, text: str | None = None) -> DocumentRecord:
    parent = f"http://127.0.0.1:9/p/{post}/"
    return DocumentRecord(
        kind="comment",
        source_id="blog",
        url=f"{parent}#comment-{i}",
        canonical_url=f"{parent}#comment-{i}",
        text=text or f"Kommentar {i}",
        author=author,
        parent_url=parent,
        published_at=NOW - timedelta(days=1),
    )


def _ingest(db: Path, docs: list[DocumentRecord], key: bytes | None = None) -> None:
    sync_sources(db, [SourceSpec("blog", "Blog", "feed", "http://127.0.0.1:9/feed")])
    ingest_outcome(db, FetchOutcome("blog", "u", "ok", documents=docs), start_run(db), pseudonym_key=key)


def _authors(db: Path) -> dict[str, str]:
    with read_connection(db) as con:
        return dict(con.execute("SELECT url, author FROM documents").fetchall())


def test_pseudonym_is_keyed_stable_and_short():
    alias = pseudonym("Anna Müller", KEY)
    assert alias.startswith("author-") and len(alias) == len("author-") + 12
    assert pseudonym("  anna   MÜLLER ", KEY) == alias
    assert pseudonym("Anna Müller", b"another-key-0123456") != alias
    assert pseudonym("Anna Miller", KEY) != alias


def test_comment_authors_are_pseudonymised_at_ingest(tmp_db: Path):
    _ingest(tmp_db, [_post(1, 1), _comment(1, 1, "Anna Müller"), _comment(2, 1, "Bob")], key=KEY)
    authors = _authors(tmp_db)
    assert authors["http://127.0.0.1:9/p/1/"] == "Redaktion"  # post authors are public bylines
    assert authors["http://127.0.0.1:9/p/1/#comment-1"] == pseudonym("Anna Müller", KEY)
    assert authors["http://127.0.0.1:9/p/1/#comment-2"] == pseudonym("Bob", KEY)
    with read_connection(tmp_db) as con:
        stored = json.dumps(con.execute("SELECT * FROM documents").df().astype(str).to_dict("records"))
    assert "Anna" not in stored


def test_privacy_config_requires_the_key_when_enabled(monkeypatch: pytest.MonkeyPatch):
    cfg = parse_config(
        '[privacy]\npseudonymize_authors = true\nkey_env = "MY_KEY"\nretention_days = 30\n', "p.toml"
    )
    monkeypatch.delenv("MY_KEY", raising=False)
    with pytest.raises(ConfigError, match="MY_KEY is not set"):
        cfg.privacy.pseudonym_key()
    monkeypatch.setenv("MY_KEY", "short")
    with pytest.raises(ConfigError, match="shorter than 16"):
        cfg.privacy.pseudonym_key()
    monkeypatch.setenv("MY_KEY", "a-long-enough-secret")
    assert cfg.privacy.pseudonym_key() == b"a-long-enough-secret"
    assert parse_config("", "d.toml").privacy.pseudonym_key() is None
    with pytest.raises(ConfigError, match=r"privacy\.retention_days"):
        parse_config("[privacy]\nretention_days = -1\n", "p.toml")


def test_retention_empties_old_text_and_keeps_rows_and_enrichment(tmp_db: Path):
    _ingest(tmp_db, [_post(1, 400), _post(2, 10), _comment(1, 1, "Anna")])
    _ingest(tmp_db, [_post(1, 400, text="Korrigierter Beitrag 1")])  # an edit: version 1 kept
    with write_connection(tmp_db) as con:  # stands in for an enrichment table of the nlp stage
        con.execute("CREATE TABLE test_enrichment AS SELECT doc_id, 0.5 AS score FROM documents")
    result = purge_expired(tmp_db, 365, now=NOW)
    assert (result.documents, result.versions) == (1, 1)
    with read_connection(tmp_db) as con:
        rows = con.execute(
            "SELECT url, text, title, purged_at IS NOT NULL, content_hash IS NOT NULL FROM documents "
            "ORDER BY url"
        ).fetchall()
        version = con.execute("SELECT text, title, purged_at IS NOT NULL FROM document_versions").fetchone()
        enriched = con.execute("SELECT count(*) FROM test_enrichment").fetchone()[0]
    assert rows == [
        ("http://127.0.0.1:9/p/1/", "", None, True, True),
        ("http://127.0.0.1:9/p/1/#comment-1", "Kommentar 1", None, False, True),  # comment from yesterday
        ("http://127.0.0.1:9/p/2/", "Beitrag 2 über Cloud-ERP", "Post 2", False, True),
    ]
    assert version == (None, None, True)
    assert enriched == 3
    assert purge_expired(tmp_db, 365, now=NOW).documents == 0  # idempotent


def test_purge_author_by_name_or_pseudonym_everywhere(tmp_db: Path):
    docs = [
        _post(1, 3, text=LONG),
        _comment(1, 1, "Anna Müller", LONG),
        _comment(2, 1, "Bob"),
        _comment(3, 1, "anna müller"),
    ]
    _ingest(tmp_db, docs, key=KEY)
    _ingest(tmp_db, [_comment(1, 1, "Anna Müller", LONG + " (bearbeitet)")], key=KEY)
    with write_connection(tmp_db) as con:
        con.execute("CREATE TABLE test_topics AS SELECT doc_id, 'E-Rechnung' AS topic FROM documents")
    preview = purge_author(tmp_db, "Anna Müller", KEY, dry_run=True)
    assert preview.rows["documents"] == 2 and _authors(tmp_db)  # nothing deleted yet
    result = purge_author(tmp_db, pseudonym("Anna Müller", KEY), KEY)
    assert result.authors == [pseudonym("Anna Müller", KEY)]
    assert result.rows == {
        "doc_lsh_bands": 32,
        "doc_minhash": 1,
        "document_versions": 1,
        "test_topics": 2,
        "documents": 2,
    }
    assert sorted(_authors(tmp_db).values()) == sorted(["Redaktion", pseudonym("Bob", KEY)])
    _ingest(tmp_db, docs, key=KEY)  # the next run sees the comments again: the erasure list drops them
    assert len(_authors(tmp_db)) == 2


def test_purge_cli(tmp_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    _ingest(tmp_db, [_post(1, 400), _post(2, 2), _comment(1, 2, "Carla")])
    config = tmp_path / "resonanz.toml"
    config.write_text("[privacy]\nretention_days = 365\n", encoding="utf-8")
    assert main(["purge", "--retention", "--config", str(config), "--db", str(tmp_db)]) == 0
    assert (
        "emptied text and title of 1 document and 0 earlier versions published before"
        in capsys.readouterr().out
    )
    assert main(["purge", "--author", "carla", "--db", str(tmp_db), "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "deleted 1 document by 'carla' (stored as: Carla)" in out and "#comment-1" in out
    assert main(["purge", "--author", "Nobody", "--json", "--db", str(tmp_db), "--config", str(config)]) == 0
    assert json.loads(capsys.readouterr().out)["rows"] == {}
    assert main(["purge", "--retention", "--db", str(tmp_path / "none.duckdb"), "--days", "3"]) == 1
    assert "no Resonanz database" in capsys.readouterr().err
    assert not (tmp_path / "none.duckdb").exists()


def _tables(db: Path) -> dict[str, str]:
    """A hash of every table's rows (in a stable order)."""
    with read_connection(db) as con:
        names = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' ORDER BY 1"
            ).fetchall()
        ]
        return {
            name: hashlib.sha256(
                con.execute(f'SELECT * FROM "{name}" ORDER BY ALL').df().to_csv().encode()
            ).hexdigest()
            for name in names
        }


@pytest.mark.parametrize(
    ("argv", "preview"),
    [
        (["--retention", "--days", "300"], "would empty text and title of 1 document and 0 earlier versions"),
        (["--author", "Carla"], "would delete 1 document by 'Carla' (stored as: Carla)"),
    ],
)
def test_purge_dry_run_leaves_every_table_unchanged(tmp_db: Path, capsys, argv, preview):
    _ingest(tmp_db, [_post(1, 400), _post(2, 2), _comment(1, 2, "Carla")])
    tables, data = _tables(tmp_db), tmp_db.read_bytes()
    assert len(tables) > 10
    assert main(["purge", *argv, "--dry-run", "--db", str(tmp_db)]) == 0
    out = capsys.readouterr().out
    assert preview in out and out.rstrip().endswith("dry run: nothing changed")
    assert main(["purge", *argv, "--dry-run", "--json", "--db", str(tmp_db)]) == 0
    assert json.loads(capsys.readouterr().out)["dry_run"] is True
    assert _tables(tmp_db) == tables and tmp_db.read_bytes() == data


def test_purge_asks_on_a_terminal(tmp_db: Path, capsys, monkeypatch: pytest.MonkeyPatch):
    import resonanz.commands.common as common

    _ingest(tmp_db, [_post(1, 400), _post(2, 2)])
    tables = _tables(tmp_db)
    monkeypatch.setattr(common, "interactive", lambda: True)
    answers = iter(["n", "yes"])
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    argv = ["purge", "--retention", "--days", "300", "--db", str(tmp_db)]
    assert main(argv) == 1  # declined
    captured = capsys.readouterr()
    assert "would empty text and title of 1 document" in captured.out
    assert captured.err.strip() == "resonanz: not confirmed — nothing changed"
    assert _tables(tmp_db) == tables
    assert main(argv) == 0  # confirmed
    assert "emptied text and title of 1 document" in capsys.readouterr().out
    assert _tables(tmp_db) != tables
    assert main([*argv, "--yes"]) == 0  # nothing left to purge, and no question asked
    assert "nothing to purge" in capsys.readouterr().out


def test_the_collect_flow_passes_the_key_down_and_never_shows_it(
    tmp_db: Path, monkeypatch: pytest.MonkeyPatch
):
    from flows.collect import CollectSummary, _store, collect
    from flows.plan import collect_plan

    cfg = parse_config(
        '[[feeds]]\nid = "blog"\nurl = "http://127.0.0.1:9/feed"\n[privacy]\npseudonymize_authors = true\n',
        "c.toml",
    )
    monkeypatch.delenv("RESONANZ_PSEUDONYM_KEY", raising=False)
    with pytest.raises(ConfigError, match="RESONANZ_PSEUDONYM_KEY is not set"):
        collect_plan(cfg, tmp_db)
    monkeypatch.setenv("RESONANZ_PSEUDONYM_KEY", KEY.decode())
    plan = collect_plan(cfg, tmp_db)
    assert KEY.decode() not in repr(plan) and KEY.decode() not in json.dumps(
        collect.serialize_parameters({"plan": plan, "run_id": "r"}), default=str
    )
    sync_sources(tmp_db, plan.sources)
    summary = CollectSummary()
    _store(
        plan, FetchOutcome("blog", "u", "ok", documents=[_post(1, 1), _comment(1, 1, "Anna")]), "r", summary
    )
    assert _authors(tmp_db)["http://127.0.0.1:9/p/1/#comment-1"] == pseudonym("Anna", KEY)
    assert summary.sources[0].new == 2 and summary.sources[0].near_duplicates == 0
