-- Editors' corrections of sentiment and taxonomy topics (issue 11). An append-only log written only by
-- warehouse/corrections.py: a correction is never updated except to mark it undone, so enrichment
-- (`resonanz enrich --force`) never touches it. The newest correction of a document and task that is
-- not undone overrides the model in every aggregate, insight, digest and export (the views below).
CREATE TABLE corrections (
    correction_id  VARCHAR PRIMARY KEY,           -- a random id (DuckLake has no sequences)
    doc_id         VARCHAR NOT NULL,
    task           VARCHAR NOT NULL,              -- sentiment | topic
    labels         VARCHAR[] NOT NULL,            -- sentiment: one label; topic: the document's topics
    previous       VARCHAR[],                     -- what the document showed before (model or earlier correction)
    author         VARCHAR NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    undone         BOOLEAN NOT NULL DEFAULT FALSE,
    undone_at      TIMESTAMPTZ,
    undone_by      VARCHAR
);

-- When the sentiment head was last refitted on corrections (nlp/adapt.py) and how many it learned from.
CREATE TABLE correction_refits (
    refit_at       TIMESTAMPTZ NOT NULL,
    model_version  VARCHAR NOT NULL,
    corrections    INTEGER NOT NULL
);

CREATE VIEW current_corrections AS
SELECT doc_id, task, labels, previous, author, created_at, correction_id
FROM corrections WHERE NOT undone
QUALIFY row_number() OVER (PARTITION BY doc_id, task ORDER BY created_at DESC, correction_id DESC) = 1;

-- The sentiment every reader uses: an editor's correction, else the model's label.
CREATE VIEW effective_sentiment AS
SELECT coalesce(c.doc_id, s.doc_id) AS doc_id, coalesce(c.labels[1], s.label) AS label,
       s.label AS model_label, c.doc_id IS NOT NULL AS corrected
FROM doc_sentiment s
FULL OUTER JOIN (SELECT doc_id, labels FROM current_corrections WHERE task = 'sentiment') c USING (doc_id);

-- The taxonomy topics every reader uses: an editor's set replaces the model's assigned topics.
CREATE VIEW effective_topics AS
SELECT t.doc_id, t.topic, t.score, FALSE AS corrected
FROM doc_topics t ANTI JOIN (SELECT doc_id FROM current_corrections WHERE task = 'topic') c USING (doc_id)
WHERE t.assigned
UNION ALL
SELECT doc_id, unnest(labels) AS topic, 1.0::DOUBLE AS score, TRUE AS corrected
FROM current_corrections WHERE task = 'topic';
