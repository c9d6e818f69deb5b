-- Enrichment results (nlp/): one status row per document and task, results with model provenance.
CREATE TABLE nlp_status (
    doc_id         VARCHAR NOT NULL,
    task           VARCHAR NOT NULL,             -- language | sentiment | topics | questions | embedding
    model          VARCHAR NOT NULL,
    model_version  VARCHAR NOT NULL,
    content_hash   VARCHAR NOT NULL,             -- documents.content_hash when enriched (an edit re-enriches)
    enriched_at    TIMESTAMPTZ NOT NULL,
    run_id         VARCHAR,
    PRIMARY KEY (doc_id, task)
);

CREATE TABLE nlp_models (
    task           VARCHAR NOT NULL,
    model          VARCHAR NOT NULL,
    model_version  VARCHAR NOT NULL,
    first_used_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (task, model, model_version)
);

CREATE TABLE doc_language (
    doc_id VARCHAR PRIMARY KEY, lang VARCHAR NOT NULL, score DOUBLE,
    model VARCHAR NOT NULL, model_version VARCHAR NOT NULL, enriched_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE doc_sentiment (
    doc_id VARCHAR PRIMARY KEY, label VARCHAR NOT NULL, score DOUBLE,
    p_negative DOUBLE, p_neutral DOUBLE, p_positive DOUBLE,
    model VARCHAR NOT NULL, model_version VARCHAR NOT NULL, enriched_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE doc_topics (
    doc_id VARCHAR NOT NULL, topic VARCHAR NOT NULL, score DOUBLE NOT NULL, assigned BOOLEAN NOT NULL,
    model VARCHAR NOT NULL, model_version VARCHAR NOT NULL, enriched_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (doc_id, topic)
);

CREATE TABLE doc_questions (
    doc_id VARCHAR NOT NULL, idx INTEGER NOT NULL, question VARCHAR NOT NULL,
    model_version VARCHAR NOT NULL, enriched_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (doc_id, idx)
);

-- L2-normalised document embeddings as float16 bytes (for topics calibration and clustering).
CREATE TABLE doc_embeddings (
    doc_id VARCHAR PRIMARY KEY, dim INTEGER NOT NULL, vec BLOB NOT NULL,
    model VARCHAR NOT NULL, model_version VARCHAR NOT NULL, enriched_at TIMESTAMPTZ NOT NULL
);

-- Emerging topics: clusters of recent external documents with stable ids across runs.
CREATE TABLE emerging_topics (
    topic_id       VARCHAR PRIMARY KEY,
    label          VARCHAR NOT NULL,
    keywords       JSON NOT NULL,
    centroid       BLOB NOT NULL,
    size           INTEGER NOT NULL,
    recent_share   DOUBLE,                       -- share of its documents in the last 14 days
    first_seen     DATE,
    last_seen      DATE,
    active         BOOLEAN NOT NULL DEFAULT TRUE,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE emerging_topic_docs (
    doc_id VARCHAR PRIMARY KEY, topic_id VARCHAR NOT NULL, similarity DOUBLE, assigned_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE emerging_runs (
    run_at TIMESTAMPTZ NOT NULL, run_id VARCHAR, n_docs INTEGER NOT NULL, n_topics INTEGER NOT NULL,
    n_new INTEGER NOT NULL, outlier_share DOUBLE NOT NULL, model_version VARCHAR
);

-- Reader questions grouped by meaning ("what the target group asks most").
CREATE TABLE question_groups (
    group_id       VARCHAR PRIMARY KEY,
    label          VARCHAR NOT NULL,             -- the most typical question
    keywords       JSON NOT NULL,
    centroid       BLOB NOT NULL,
    n_questions    INTEGER NOT NULL,
    n_documents    INTEGER NOT NULL,
    examples       JSON NOT NULL,                -- [{question, url, doc_id}]
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE question_group_members (
    doc_id VARCHAR NOT NULL, idx INTEGER NOT NULL, group_id VARCHAR NOT NULL,
    PRIMARY KEY (doc_id, idx)
);

-- Per-topic daily volume (documents per day) of the emerging topics.
CREATE VIEW emerging_topic_volume AS
SELECT l.topic_id, CAST(d.published_at AS DATE) AS day, count(*) AS n
FROM emerging_topic_docs l JOIN documents d USING (doc_id)
WHERE d.published_at IS NOT NULL
GROUP BY ALL;
