"""flows/enrich.py on a temporary warehouse: incrementality, provenance, model switches, force."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawlers.records import DocumentRecord
from flows.enrich import run_enrichment
from nlp.models import ModelSpec
from nlp.records import Taxonomy
from nlp.tiny import build_tiny_bert
from warehouse.db import query, write_connection
from warehouse.ingest import upsert_documents

TAXONOMY = Taxonomy.from_dicts(
    [{"name": "E-Rechnung", "description": "XRechnung, ZUGFeRD"}, {"name": "Preise"}]
)
TEXTS = [
    ("post", "Die E-Rechnung kommt: XRechnung und ZUGFeRD werden Pflicht für alle Unternehmen."),
    ("post", "Pricing changes again: per-user prices rise by 12 percent next year."),
    ("comment", "Wann kommt bei Kontor die DATEV-Schnittstelle? Wir warten seit Monaten."),
    ("comment", "Great article, thanks!"),
]


def _docs(texts=TEXTS) -> list[DocumentRecord]:
    now = datetime(2026, 11, 20, tzinfo=UTC)
    return [
        DocumentRecord(
            kind=kind,
            source_id="blog",
            url=f"http://127.0.0.1/{i}",
            canonical_url=f"http://127.0.0.1/{i}",
            text=text,
            title=None,
            published_at=now - timedelta(days=i),
        )
        for i, (kind, text) in enumerate(texts)
    ]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("tiny-flow")
    return {
        "a": str(build_tiny_bert(root / "a", ["negative", "neutral", "positive"])),
        "b": str(build_tiny_bert(root / "b", ["negative", "neutral", "positive"], seed=5, hidden=48)),
    }


def _ingest(db: Path, docs: list[DocumentRecord]) -> None:
    with write_connection(db) as con:
        upsert_documents(con, docs, "run-1")


def test_incremental_enrichment(tmp_db: Path, tiny):
    _ingest(tmp_db, _docs())
    spec = ModelSpec(embedding=tiny["a"], sentiment=tiny["a"], device="cpu", max_length=64)
    first = run_enrichment(tmp_db, spec, TAXONOMY, company_terms=["Kontor"])
    assert first.enriched == dict.fromkeys(("language", "sentiment", "questions", "embedding", "topics"), 4)
    counts = query(
        tmp_db,
        "SELECT (SELECT count(*) FROM doc_sentiment) s, (SELECT count(*) FROM doc_topics) t,"
        " (SELECT count(*) FROM doc_language) l, (SELECT count(*) FROM doc_embeddings) e",
    )
    assert counts.iloc[0].tolist() == [4, 8, 4, 4]
    questions = query(tmp_db, "SELECT question FROM doc_questions")["question"].tolist()
    assert questions == ["Wann kommt bei Kontor die DATEV-Schnittstelle?"]
    assert first.questions == 1 and first.question_groups == 1

    second = run_enrichment(tmp_db, spec, TAXONOMY, company_terms=["Kontor"])
    assert sum(second.enriched.values()) == 0

    switched = run_enrichment(
        tmp_db,
        ModelSpec(embedding=tiny["a"], sentiment=tiny["b"], device="cpu", max_length=64),
        TAXONOMY,
        company_terms=["Kontor"],
    )
    assert switched.enriched == {"language": 0, "sentiment": 4, "questions": 0, "embedding": 0, "topics": 0}
    provenance = query(tmp_db, "SELECT DISTINCT model FROM doc_sentiment")["model"].tolist()
    assert provenance == [tiny["b"]]
    assert len(query(tmp_db, "SELECT * FROM nlp_models WHERE task = 'sentiment'")) == 2

    retaxed = run_enrichment(
        tmp_db,
        ModelSpec(embedding=tiny["a"], sentiment=tiny["b"], device="cpu", max_length=64),
        Taxonomy.from_dicts([{"name": "Preise", "description": "pricing"}]),
        ["Kontor"],
    )
    assert retaxed.enriched["topics"] == 4 and retaxed.enriched["sentiment"] == 0
    assert query(tmp_db, "SELECT count(*) n FROM doc_topics")["n"][0] == 4

    forced = run_enrichment(
        tmp_db,
        ModelSpec(embedding=tiny["a"], sentiment=tiny["b"], device="cpu", max_length=64),
        Taxonomy.from_dicts([{"name": "Preise", "description": "pricing"}]),
        ["Kontor"],
        force=True,
    )
    assert set(forced.enriched.values()) == {4}


def test_edited_document_is_re_enriched(tmp_db: Path, tiny):
    spec = ModelSpec(embedding=tiny["a"], sentiment=tiny["a"], device="cpu", max_length=64)
    _ingest(tmp_db, _docs())
    run_enrichment(tmp_db, spec, TAXONOMY)
    edited = [*TEXTS[:3], ("comment", "Actually, it is terrible now.")]
    _ingest(tmp_db, _docs(edited))
    again = run_enrichment(tmp_db, spec, TAXONOMY)
    assert again.enriched["sentiment"] == 1 and again.enriched["topics"] == 1
