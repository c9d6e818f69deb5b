-- Core tables: sources, documents (+ versions), runs, fetch_log.
CREATE TABLE sources (
    source_id            VARCHAR PRIMARY KEY,
    name                 VARCHAR NOT NULL,
    kind                 VARCHAR NOT NULL,      -- feed | site | own_feed | own_site | own_comments
    url                  VARCHAR NOT NULL,
    own                  BOOLEAN NOT NULL DEFAULT FALSE,
    active               BOOLEAN NOT NULL DEFAULT TRUE,
    etag                 VARCHAR,
    last_modified        VARCHAR,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    last_status          VARCHAR,
    last_error           VARCHAR,
    last_fetched_at      TIMESTAMPTZ,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at           TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE documents (
    doc_id         VARCHAR PRIMARY KEY,          -- sha256(canonical_url)[:32]
    kind           VARCHAR NOT NULL,             -- post | comment
    own            BOOLEAN NOT NULL,
    parent_id      VARCHAR,                      -- post of a comment
    source_id      VARCHAR NOT NULL,             -- the source that first delivered it (owns updates)
    url            VARCHAR NOT NULL,
    canonical_url  VARCHAR NOT NULL,
    guid           VARCHAR,
    title          VARCHAR,
    text           VARCHAR NOT NULL,
    author         VARCHAR,
    published_at   TIMESTAMPTZ,
    fetched_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    lang           VARCHAR,
    content_hash   VARCHAR NOT NULL,
    via            VARCHAR NOT NULL,
    version        INTEGER NOT NULL DEFAULT 1,
    first_run_id   VARCHAR,
    last_run_id    VARCHAR,
    meta           JSON
);
CREATE INDEX documents_source ON documents (source_id);
CREATE INDEX documents_parent ON documents (parent_id);

-- Earlier contents of edited documents (one row per replaced version).
CREATE TABLE document_versions (
    doc_id        VARCHAR NOT NULL,
    version       INTEGER NOT NULL,
    title         VARCHAR,
    text          VARCHAR,
    author        VARCHAR,
    content_hash  VARCHAR NOT NULL,
    replaced_at   TIMESTAMPTZ NOT NULL,
    run_id        VARCHAR,
    PRIMARY KEY (doc_id, version)
);

CREATE TABLE runs (
    run_id       VARCHAR PRIMARY KEY,
    flow         VARCHAR NOT NULL,
    started_at   TIMESTAMPTZ NOT NULL,
    finished_at  TIMESTAMPTZ,
    status       VARCHAR NOT NULL,              -- running | ok | partial | failed
    summary      JSON,
    error        VARCHAR,
    host         VARCHAR,
    pid          INTEGER
);

CREATE TABLE fetch_log (
    run_id       VARCHAR NOT NULL,
    source_id    VARCHAR NOT NULL,
    url          VARCHAR NOT NULL,
    started_at   TIMESTAMPTZ NOT NULL,
    elapsed_ms   INTEGER,
    status       VARCHAR NOT NULL,              -- ok | not_modified | partial | error
    http_status  INTEGER,
    error        VARCHAR,
    pages        INTEGER NOT NULL DEFAULT 0,
    new          INTEGER NOT NULL DEFAULT 0,
    updated      INTEGER NOT NULL DEFAULT 0,
    unchanged    INTEGER NOT NULL DEFAULT 0,
    meta         JSON
);
CREATE INDEX fetch_log_run ON fetch_log (run_id);
