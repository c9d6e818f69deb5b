"""Writes a planned synthetic corpus into a warehouse: frames registered in DuckDB, joined, inserted set-based."""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pandas as pd

from warehouse.enrichment import to_blob

from .synth_plan import Corpus, SynthSpec

MODEL_VERSION = "synthetic"
MODELS = {  # task → model name recorded as provenance (version: MODEL_VERSION)
    "language": "builtin:lingua",
    "sentiment": "builtin:sentiment-head",
    "topics": "builtin:prototypes",
    "questions": "builtin:question-rules",
    "embedding": "builtin:use",
}

_KEYS = """
CREATE OR REPLACE TEMP TABLE syn_keys AS
SELECT d.i, left(sha256(u.url), 32) AS doc_id, u.url,
       CASE WHEN d.is_comment THEN left(sha256(u.post_url), 32) END AS parent_id
FROM syn_docs d JOIN (
    SELECT d.i, 'https://' || s.host || '/p/' || d.post_i || '/' AS post_url,
           'https://' || s.host || '/p/' || d.post_i || '/' || CASE WHEN d.is_comment THEN '#comment-' || d.i ELSE '' END
               AS url
    FROM syn_docs d JOIN syn_sources s ON s.idx = d.source_idx
) u USING (i)
"""

_SOURCES = """
INSERT INTO sources (source_id, name, kind, url, own, active, consecutive_failures, last_status, last_error,
                     last_fetched_at)
SELECT source_id, name, kind, 'https://' || host || '/', own, TRUE, failures,
       CASE WHEN failures > 0 THEN 'error' ELSE 'ok' END,
       CASE WHEN failures > 0 THEN 'https://' || host || '/feed/: HTTP 503' END, $end
FROM syn_sources
"""

_DOCUMENTS = """
INSERT INTO documents (doc_id, kind, own, parent_id, source_id, url, canonical_url, title, text, author,
                       published_at, fetched_at, updated_at, lang, content_hash, via, version)
SELECT k.doc_id, CASE WHEN d.is_comment THEN 'comment' ELSE 'post' END, s.own, k.parent_id, s.source_id, k.url,
       k.url, ti.title, t.text, p.name, d.published_at, least(d.published_at + INTERVAL 1 HOUR, $end),
       least(d.published_at + INTERVAL 1 HOUR, $end), ['de', 'en'][d.lang + 1], md5(t.text),
       CASE WHEN d.is_comment THEN 'comment-page' ELSE 'feed' END, 1
FROM syn_docs d JOIN syn_keys k USING (i) JOIN syn_sources s ON s.idx = d.source_idx
JOIN syn_texts t ON t.idx = d.text_idx LEFT JOIN syn_titles ti ON ti.idx = d.title_idx
LEFT JOIN syn_people p ON p.idx = d.author_idx
"""

_NLP = [
    """INSERT INTO doc_language SELECT k.doc_id, CASE WHEN hash(d.i) % 100 = 0 THEN 'other'
           ELSE ['de', 'en'][d.lang + 1] END, 0.9, $m_language, $v, $at
       FROM syn_docs d JOIN syn_keys k USING (i)""",
    """INSERT INTO doc_sentiment SELECT k.doc_id, ['negative', 'neutral', 'positive'][d.sentiment + 1], d.confidence,
           CASE WHEN d.sentiment = 0 THEN d.confidence ELSE (1 - d.confidence) / 2 END,
           CASE WHEN d.sentiment = 1 THEN d.confidence ELSE (1 - d.confidence) / 2 END,
           CASE WHEN d.sentiment = 2 THEN d.confidence ELSE (1 - d.confidence) / 2 END, $m_sentiment, $v, $at
       FROM syn_docs d JOIN syn_keys k USING (i)""",
    """INSERT INTO doc_topics SELECT k.doc_id, t.name,
           CASE WHEN t.k = d.topic1 THEN 0.5 + d.confidence * 0.45
                WHEN t.k = d.topic2 THEN 0.3 + (hash(d.i, t.k) % 1000) / 5000.0
                ELSE (hash(d.i, t.k) % 1000) / 10000.0 END,
           t.k = d.topic1 OR t.k = d.topic2, $m_topics, $v, $at
       FROM syn_docs d JOIN syn_keys k USING (i) CROSS JOIN syn_taxonomy t""",
    """CREATE OR REPLACE TEMP TABLE syn_q AS
       SELECT k.doc_id, q.question, q.group_idx, k.url, d.published_at
       FROM syn_docs d JOIN syn_keys k USING (i) JOIN syn_questions q ON q.text_idx = d.text_idx
       WHERE d.is_comment""",
    "INSERT INTO doc_questions SELECT doc_id, 0, question, $v, $at FROM syn_q",
    """INSERT INTO nlp_status SELECT k.doc_id, m.task, m.model, $v, x.content_hash, $at, NULL
       FROM syn_keys k JOIN documents x USING (doc_id) CROSS JOIN syn_models m""",
    "INSERT INTO nlp_models (task, model, model_version) SELECT task, model, $v FROM syn_models",
]

_GROUPS = [
    """INSERT INTO question_groups (group_id, label, keywords, centroid, n_questions, n_documents, examples)
       SELECT 'qg-synth' || lpad(group_idx::VARCHAR, 4, '0'), arg_min(question, length(question)), '[]', $centroid,
              count(*), count(DISTINCT doc_id),
              to_json(list({'question': question, 'url': url, 'doc_id': doc_id} ORDER BY published_at DESC)[:5])
       FROM syn_q GROUP BY group_idx""",
    """INSERT INTO question_group_members
       SELECT doc_id, 0, 'qg-synth' || lpad(group_idx::VARCHAR, 4, '0') FROM syn_q""",
    """INSERT INTO emerging_topic_docs SELECT k.doc_id, e.topic_id, 0.6 + d.confidence / 3, $end
       FROM syn_docs d JOIN syn_keys k USING (i) JOIN syn_emerging e ON e.k = d.emerging""",
    """INSERT INTO emerging_topics (topic_id, label, keywords, centroid, size, recent_share, first_seen, last_seen)
       SELECT e.topic_id, any_value(e.label), any_value(e.keywords), $centroid, count(d.i),
              coalesce(avg((d.published_at > $end - INTERVAL 14 DAY)::INT), 0),
              min(d.published_at)::DATE, max(d.published_at)::DATE
       FROM syn_emerging e LEFT JOIN syn_docs d ON d.emerging = e.k GROUP BY e.topic_id""",
    """INSERT INTO emerging_runs SELECT $end, 'synthetic', count(*) FILTER (WHERE NOT is_comment AND source_idx > 0
           AND published_at > $end - INTERVAL 56 DAY), (SELECT count(*) FROM syn_emerging),
           (SELECT count(*) FROM syn_emerging), 0.4, $v FROM syn_docs""",
]

_OPERATIONS = [
    """INSERT INTO runs SELECT 'run-' || lpad(r::VARCHAR, 6, '0'), 'pipeline', $end - to_hours(r * $every),
           $end - to_hours(r * $every) + to_seconds(40 + hash(r) % 200),
           CASE WHEN hash(r) % 19 = 0 THEN 'partial' ELSE 'ok' END, NULL, NULL, 'bench', 1
       FROM range($runs) t(r)""",
    """INSERT INTO fetch_log (run_id, source_id, url, started_at, elapsed_ms, status, http_status, error, pages, new,
                              updated, unchanged, near_duplicates)
       SELECT r.run_id, s.source_id, 'https://' || s.host || '/', r.started_at, 50 + hash(r.run_id, s.idx) % 3000,
              x.status, CASE x.status WHEN 'error' THEN 503 WHEN 'not_modified' THEN 304 ELSE 200 END,
              CASE WHEN x.status = 'error' THEN 'https://' || s.host || '/feed/: HTTP 503' END,
              1 + hash(s.idx, r.run_id) % 5, CASE WHEN x.status = 'ok' THEN hash(r.run_id, s.idx) % 4 ELSE 0 END,
              0, CASE WHEN x.status = 'ok' THEN 20 ELSE 0 END, 0
       FROM (SELECT *, row_number() OVER (ORDER BY started_at DESC) AS nth FROM runs) r CROSS JOIN syn_sources s,
       LATERAL (SELECT CASE WHEN r.nth <= s.failures THEN 'error' WHEN hash(r.run_id, s.idx) % 10 < 7
                            THEN 'not_modified' ELSE 'ok' END AS status) x""",
    """INSERT INTO editorial_plan (position, title, angle, owner, due_date, status, origin_kind, origin_id)
       SELECT row_number() OVER (ORDER BY topic_id), 'Our take on ' || label, 'synthetic', 'Editor',
              $end::DATE + 14, 'planned', 'topic', topic_id
       FROM (SELECT * FROM emerging_topics ORDER BY size DESC, topic_id LIMIT 12)""",
]


def register(con: duckdb.DuckDBPyConnection, corpus: Corpus) -> None:
    """Make the plan's frames visible to SQL as syn_* tables (zero-copy for the numeric ones)."""
    pool = corpus.pool
    emerging = corpus.emerging.assign(keywords=corpus.emerging["keywords"].map(json.dumps))
    frames = {
        "syn_docs": corpus.docs,
        "syn_sources": corpus.sources,
        "syn_emerging": emerging,
        "syn_texts": pool.texts,
        "syn_titles": pool.titles,
        "syn_people": pool.people,
        "syn_questions": pool.questions,
        "syn_taxonomy": pd.DataFrame(
            {"k": np.arange(len(corpus.topics), dtype=np.int16), "name": corpus.topics}
        ),
        "syn_models": pd.DataFrame({"task": list(MODELS), "model": list(MODELS.values())}),
    }
    for name, frame in frames.items():
        con.register(name, frame)


def _run(con: duckdb.DuckDBPyConnection, statements: list[str], params: dict) -> None:
    for sql in statements:
        con.execute(sql, {k: v for k, v in params.items() if f"${k}" in sql})


def write_corpus(con: duckdb.DuckDBPyConnection, corpus: Corpus, spec: SynthSpec) -> None:
    """Sources and documents; with `spec.with_enrichment` the nlp tables, groups and topics too; then runs."""
    end = spec.end.to_pydatetime()
    params = {
        "end": end,
        "at": end,
        "v": MODEL_VERSION,
        "centroid": to_blob(np.zeros(512, dtype=np.float32)),
        "every": spec.run_every_hours,
        "runs": spec.span_days * 24 // spec.run_every_hours,
        **{f"m_{task}": model for task, model in MODELS.items()},
    }
    register(con, corpus)
    _run(con, [_KEYS, _SOURCES, _DOCUMENTS], params)
    if spec.with_enrichment:
        _run(con, _NLP + _GROUPS, params)
    _run(con, _OPERATIONS, params)
