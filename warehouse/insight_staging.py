"""Staging for the app's aggregates: the enrichment results in the few shapes the aggregates need.

This is the one place that knows the enrichment tables. Sentiment and taxonomy topics are read through
the views `effective_sentiment` / `effective_topics` (migration 0040): an editor's correction wins over
the model. Each staging table is built from them
when they exist and is empty (documents: sentiment 'unknown') when the enrichment stage has not
written anything yet, so the app works on collected-only databases too.

    stg_docs(doc_id, kind, own, source_id, parent_id, author, title, url, published_at, day, lang, sentiment)
    stg_topics(doc_id, topic, score)                          taxonomy topics assigned to a document
    stg_emerging(topic_id, label, keywords, first_seen, subtitle) emerging (clustered) topics
    stg_emerging_docs(doc_id, topic_id)                       their documents
    stg_questions(doc_id, question, group_id)                 reader questions and their group
    stg_groups(group_id, label)                               question groups
"""

from __future__ import annotations

import duckdb

STAGING_TABLES = (
    "stg_docs",
    "stg_topics",
    "stg_emerging",
    "stg_emerging_docs",
    "stg_questions",
    "stg_groups",
)

_EMPTY = {
    "stg_topics": "SELECT NULL::VARCHAR AS doc_id, NULL::VARCHAR AS topic, NULL::DOUBLE AS score WHERE false",
    "stg_emerging": (
        "SELECT NULL::VARCHAR AS topic_id, NULL::VARCHAR AS label, NULL::VARCHAR[] AS keywords,"
        " NULL::TIMESTAMPTZ AS first_seen, NULL::VARCHAR AS subtitle WHERE false"
    ),
    "stg_emerging_docs": "SELECT NULL::VARCHAR AS doc_id, NULL::VARCHAR AS topic_id WHERE false",
    "stg_questions": (
        "SELECT NULL::VARCHAR AS doc_id, NULL::VARCHAR AS question, NULL::VARCHAR AS group_id WHERE false"
    ),
    "stg_groups": "SELECT NULL::VARCHAR AS group_id, NULL::VARCHAR AS label WHERE false",
}

# The enrichment tables (migration 0010_nlp.sql) each staging table needs, and the SQL that reads them.
_FROM_ENRICHMENT: dict[str, tuple[tuple[str, ...], str]] = {
    "stg_topics": (("effective_topics",), "SELECT doc_id, topic, score FROM effective_topics"),
    "stg_emerging": (
        ("emerging_topics",),
        "SELECT topic_id, label, from_json(keywords, '[\"VARCHAR\"]') AS keywords,"
        " CAST(first_seen AS TIMESTAMPTZ) AS first_seen, subtitle FROM emerging_topics WHERE active",
    ),
    "stg_emerging_docs": (
        ("emerging_topics", "emerging_topic_docs"),
        "SELECT l.doc_id, l.topic_id FROM emerging_topic_docs l JOIN emerging_topics t USING (topic_id)"
        " WHERE t.active",
    ),
    "stg_questions": (
        ("doc_questions", "question_group_members"),
        "SELECT q.doc_id, q.question, m.group_id FROM doc_questions q"
        " LEFT JOIN question_group_members m USING (doc_id, idx)",
    ),
    "stg_groups": (("question_groups",), "SELECT group_id, label FROM question_groups"),
}

_DOCS = """
CREATE OR REPLACE TEMP TABLE stg_docs AS
SELECT d.doc_id, d.kind, d.own, d.source_id, d.parent_id, d.author, d.title, d.url, d.published_at,
       CAST(timezone('UTC', coalesce(d.published_at, d.fetched_at)) AS DATE) AS day,
       {lang} AS lang, {sentiment} AS sentiment
FROM {documents} d {joins}
"""


def existing_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Names of the tables and views in the main schema."""
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
    ).fetchall()
    return {row[0] for row in rows}


def stage(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Build the staging tables inside the caller's transaction; returns their row counts."""
    tables = existing_tables(con)
    documents = "documents_distinct" if "documents_distinct" in tables else "documents"
    lang, sentiment, joins = "coalesce(d.lang, 'other')", "'unknown'", ""
    if "doc_language" in tables:
        lang, joins = "coalesce(l.lang, d.lang, 'other')", joins + " LEFT JOIN doc_language l USING (doc_id)"
    if "effective_sentiment" in tables:
        sentiment = "coalesce(s.label, 'unknown')"
        joins += " LEFT JOIN effective_sentiment s USING (doc_id)"
    con.execute(_DOCS.format(lang=lang, sentiment=sentiment, documents=documents, joins=joins))
    for name, empty in _EMPTY.items():
        needs, sql = _FROM_ENRICHMENT.get(name, ((), ""))
        source = sql if sql and set(needs) <= tables else empty
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {source}")
    return {name: con.execute(f"SELECT count(*) FROM {name}").fetchone()[0] for name in STAGING_TABLES}
