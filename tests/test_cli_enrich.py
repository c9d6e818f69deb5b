"""`resonanz enrich`: a readable summary, --json, and --force only after a preview (--dry-run) or a confirmation."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import tomli_w

from crawlers.records import DocumentRecord
from nlp.tiny import build_tiny_bert
from resonanz.cli import main
from warehouse.db import query, write_connection
from warehouse.ingest import upsert_documents

TEXTS = [
    "Die E-Rechnung kommt: XRechnung und ZUGFeRD werden Pflicht.",
    "Pricing changes again: per-user prices rise by 12 percent.",
    "Wann kommt die DATEV-Schnittstelle?",
]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(
        build_tiny_bert(tmp_path_factory.mktemp("tiny-cli") / "m", ["negative", "neutral", "positive"])
    )


@pytest.fixture
def project(tmp_path: Path, tiny: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RESONANZ_DB", raising=False)
    config = {
        "models": {"embedding": tiny, "sentiment": tiny, "device": "cpu", "max_length": 16},
        "topics": [{"name": "E-Rechnung", "keywords": ["XRechnung"]}, {"name": "Preise"}],
    }
    (tmp_path / "resonanz.toml").write_text(tomli_w.dumps(config), encoding="utf-8")
    docs = [
        DocumentRecord("comment", "blog", f"http://127.0.0.1/{i}", f"http://127.0.0.1/{i}", text)
        for i, text in enumerate(TEXTS)
    ]
    with write_connection(tmp_path / "resonanz.duckdb") as con:
        upsert_documents(con, docs, "run-1")
    return tmp_path


def _digest(db: Path) -> str:
    return hashlib.sha256(db.read_bytes()).hexdigest()


def test_enrich_prints_a_summary_then_has_nothing_pending(project: Path, capsys) -> None:
    assert main(["enrich", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(
        "would enrich (3 documents): language 3, sentiment 3, questions 3, embedding 3, topics 3"
    )
    assert "dry run: nothing changed" in out
    assert main(["enrich", "-q"]) == 0
    out = capsys.readouterr().out
    assert "enrichment in" in out and "language 3, sentiment 3" in out and "{" not in out
    assert "models:" not in out  # quiet
    assert main(["enrich", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["enriched"] == dict.fromkeys(
        ("language", "sentiment", "questions", "embedding", "topics"), 0
    )


def test_enrich_force_previews_and_asks(project: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    import resonanz.commands.common as common

    assert main(["enrich", "-q"]) == 0
    capsys.readouterr()
    db = project / "resonanz.duckdb"
    before = _digest(db)
    assert main(["enrich", "--force", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("would re-enrich (3 documents)") and "builtin:lingua" in out
    assert _digest(db) == before
    monkeypatch.setattr(common, "interactive", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    assert main(["enrich", "--force"]) == 1
    assert capsys.readouterr().err.strip() == "resonanz: not confirmed — nothing changed"
    assert _digest(db) == before
    assert main(["enrich", "--force", "--yes", "-q"]) == 0
    assert "language 3" in capsys.readouterr().out
    assert query(db, "SELECT count(*) n FROM doc_sentiment")["n"][0] == 3
