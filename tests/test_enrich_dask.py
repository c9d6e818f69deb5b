"""Enrichment on a Dask cluster (`[scale] dask`, flows/enrich_dask.py): the same results as in-process."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.insight_db import copy_db, demo_corpus, ingest_corpus

from flows.enrich import dask_options, run_enrichment
from flows.enrich_dask import DaskOptions, DaskSetupError, check_workers
from nlp.models import ModelSpec
from nlp.records import Taxonomy
from nlp.tiny import build_tiny_bert
from resonanz.config import ConfigError, parse_config
from warehouse.db import query

TAXONOMY = Taxonomy.from_dicts(
    [
        {"name": "E-Rechnung", "description": "XRechnung, ZUGFeRD, E-Rechnungspflicht"},
        {"name": "Preise & Lizenzen", "description": "Preise, Lizenzen, Abo, pricing"},
        {"name": "Datenschutz & Compliance", "description": "DSGVO, Datenschutz, GDPR"},
    ]
)
TERMS = ("Kontor", "KontorOne")
LABELS = {  # what the app shows, per task; scores may differ in the last float bits between processes
    "doc_language": "doc_id, lang",
    "doc_sentiment": "doc_id, label",
    "doc_topics": "doc_id, topic, assigned",
    "doc_questions": "doc_id, idx, question",
    "nlp_status": "doc_id, task, model, model_version, content_hash",
}


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> ModelSpec:
    tiny = build_tiny_bert(tmp_path_factory.mktemp("tiny-dask") / "m", ["negative", "neutral", "positive"])
    return ModelSpec(embedding=str(tiny), sentiment=str(tiny), device="cpu", max_length=32)


@pytest.fixture(scope="module")
def demo_subset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four blogs of the demo blogosphere (posts and comments), ingested as the crawler delivers them."""
    corpus = demo_corpus()
    keep = [b.slug for b in corpus.blogs][:4]
    corpus.blogs = [b for b in corpus.blogs if b.slug in keep]
    corpus.records = {slug: docs for slug, docs in corpus.records.items() if slug in keep}
    db = tmp_path_factory.mktemp("dask-demo") / "demo.duckdb"
    ingest_corpus(db, corpus)
    return db


def labels(db: object) -> dict[str, list[tuple]]:
    return {
        t: [tuple(r) for r in query(db, f"SELECT {c} FROM {t} ORDER BY ALL").itertuples(index=False)]
        for t, c in LABELS.items()
    }


def test_dask_enrichment_gives_the_same_labels_as_in_process(
    demo_subset: Path, spec: ModelSpec, tmp_path: Path, prefect_harness: None
):
    local, dask = (
        copy_db(demo_subset, tmp_path / "local.duckdb"),
        copy_db(demo_subset, tmp_path / "dask.duckdb"),
    )
    expected = run_enrichment(local, spec, TAXONOMY, TERMS)
    got = run_enrichment(dask, spec, TAXONOMY, TERMS, dask=DaskOptions(workers=2, batch=60))
    n = query(local, "SELECT count(*) AS n FROM documents")["n"][0]
    assert n > 200 and expected.enriched == dict.fromkeys(expected.enriched, n)
    assert got.enriched == expected.enriched and got.models == expected.models
    assert labels(dask) == labels(local)
    scores = "SELECT l.doc_id, abs(l.score - d.score) AS diff FROM local.doc_sentiment l JOIN dask.doc_sentiment d USING (doc_id)"
    import duckdb

    with duckdb.connect() as con:
        con.execute(f"ATTACH '{local}' AS local (READ_ONLY)")
        con.execute(f"ATTACH '{dask}' AS dask (READ_ONLY)")
        assert con.execute(f"SELECT max(diff) FROM ({scores})").fetchone()[0] < 1e-4
    assert (got.emerging_topics, got.question_groups) == (expected.emerging_topics, expected.question_groups)
    again = run_enrichment(dask, spec, TAXONOMY, TERMS, dask=DaskOptions(workers=1))
    assert again.enriched == dict.fromkeys(expected.enriched, 0)  # nothing pending: incremental as in-process


class _Client:
    def __init__(self, urls: dict[str, str | None]) -> None:
        self.urls = urls

    def run(self, function):
        return self.urls


def test_a_worker_without_prefect_api_url_is_named():
    check_workers(_Client({"tcp://a:1": "http://p:4200/api"}))
    with pytest.raises(DaskSetupError, match=r"tcp://b:2 have no PREFECT_API_URL"):
        check_workers(_Client({"tcp://a:1": "http://p:4200/api", "tcp://b:2": None}))


def test_scale_config_selects_the_dask_stage():
    assert dask_options(parse_config("")) is None  # the default: in-process, unchanged
    config = parse_config('[scale]\ndask = true\ndask_address = "tcp://10.0.0.5:8786"\ndask_batch = 100\n')
    assert dask_options(config) == DaskOptions("tcp://10.0.0.5:8786", 2, 0, 100)
    with pytest.raises(ConfigError, match="tcp://host:8786"):
        parse_config('[scale]\ndask_address = "10.0.0.5"\n')
