-- Pre-aggregated read models of the app and the digests, rebuilt by warehouse.aggregates.refresh_aggregates()
-- after every pipeline run, so that no page query scans the documents table.

CREATE TABLE agg_meta (
    key    VARCHAR PRIMARY KEY,
    value  VARCHAR
);

-- Documents per day and dimension. topic = '' holds every document once; other rows are per taxonomy topic.
CREATE TABLE agg_daily (
    day        DATE NOT NULL,
    source_id  VARCHAR NOT NULL,
    kind       VARCHAR NOT NULL,
    own        BOOLEAN NOT NULL,
    lang       VARCHAR NOT NULL,
    sentiment  VARCHAR NOT NULL,     -- negative | neutral | positive | unknown
    topic      VARCHAR NOT NULL,
    n          INTEGER NOT NULL
);

-- Emerging (clustered) topics: documents per day.
CREATE TABLE agg_emerging_daily (
    topic_id   VARCHAR NOT NULL,
    day        DATE NOT NULL,
    posts      INTEGER NOT NULL,
    comments   INTEGER NOT NULL,
    negative   INTEGER NOT NULL
);

-- Crowdsourced topics: emerging topics started outside, with every score component.
CREATE TABLE agg_crowd_topics (
    topic_id        VARCHAR PRIMARY KEY,
    label           VARCHAR NOT NULL,
    keywords        VARCHAR[] NOT NULL,
    first_seen      TIMESTAMPTZ,
    last_seen       TIMESTAMPTZ,
    posts           INTEGER NOT NULL,
    recent          INTEGER NOT NULL,   -- documents in the recent window
    baseline        DOUBLE NOT NULL,    -- expected documents in a window of that length, from the trailing baseline
    momentum        DOUBLE NOT NULL,
    blogs           INTEGER NOT NULL,
    authors         INTEGER NOT NULL,
    breadth         DOUBLE NOT NULL,
    comments        INTEGER NOT NULL,
    engagement      DOUBLE NOT NULL,
    taxonomy_share  DOUBLE NOT NULL,
    brand_share     DOUBLE NOT NULL,
    relevance       DOUBLE NOT NULL,
    coverage        DOUBLE NOT NULL,    -- best match of the topic's keywords in one own post, 0..1
    covered_by      VARCHAR,            -- that own post's title
    coverage_gap    DOUBLE NOT NULL,
    score           DOUBLE NOT NULL,
    rank            INTEGER NOT NULL,
    taxonomy        VARCHAR[] NOT NULL, -- taxonomy topics of its documents, most frequent first
    negative        INTEGER NOT NULL,
    neutral         INTEGER NOT NULL,
    positive        INTEGER NOT NULL
);

-- Evidence: the most engaging posts per topic (kind 'emerging': all time; 'taxonomy': per ISO week).
CREATE TABLE agg_evidence (
    topic_kind    VARCHAR NOT NULL,
    topic         VARCHAR NOT NULL,
    week          DATE,
    rank          INTEGER NOT NULL,
    doc_id        VARCHAR NOT NULL,
    title         VARCHAR,
    url           VARCHAR NOT NULL,
    source_id     VARCHAR NOT NULL,
    source        VARCHAR,
    author        VARCHAR,
    own           BOOLEAN NOT NULL,
    published_at  TIMESTAMPTZ,
    comments      INTEGER NOT NULL,
    sentiment     VARCHAR NOT NULL,
    excerpt       VARCHAR
);

-- The bloggers who carry each emerging topic.
CREATE TABLE agg_topic_bloggers (
    topic_id     VARCHAR NOT NULL,
    source_id    VARCHAR NOT NULL,
    source       VARCHAR,
    author       VARCHAR,
    posts        INTEGER NOT NULL,
    comments     INTEGER NOT NULL,
    first_post   TIMESTAMPTZ,
    first_mover  BOOLEAN NOT NULL
);

-- Own posts and the reactions to them.
CREATE TABLE agg_own_posts (
    doc_id          VARCHAR PRIMARY KEY,
    title           VARCHAR,
    url             VARCHAR NOT NULL,
    published_at    TIMESTAMPTZ,
    comments        INTEGER NOT NULL,
    negative        INTEGER NOT NULL,
    neutral         INTEGER NOT NULL,
    positive        INTEGER NOT NULL,
    questions       INTEGER NOT NULL,
    negative_share  DOUBLE,
    baseline_share  DOUBLE,             -- negative share of the own blog's other comments
    swing           DOUBLE              -- negative_share - baseline_share
);

-- Statements of own posts that comments pick up most.
CREATE TABLE agg_own_statements (
    doc_id     VARCHAR NOT NULL,
    rank       INTEGER NOT NULL,
    statement  VARCHAR NOT NULL,
    reactions  INTEGER NOT NULL,
    negative   INTEGER NOT NULL
);

-- Reader questions, grouped.
CREATE TABLE agg_question_groups (
    group_id    VARCHAR PRIMARY KEY,
    label       VARCHAR NOT NULL,
    questions   INTEGER NOT NULL,
    documents   INTEGER NOT NULL,
    own_share   DOUBLE NOT NULL,
    first_seen  TIMESTAMPTZ,
    last_seen   TIMESTAMPTZ,
    topics      VARCHAR[] NOT NULL,
    examples    JSON NOT NULL           -- [{"text", "url", "source", "author", "published_at"}, ...]
);

-- Sources and bloggers: output, engagement, first moves.
CREATE TABLE agg_bloggers (
    source_id          VARCHAR NOT NULL,
    source             VARCHAR,
    author             VARCHAR,         -- NULL: the source as a whole
    own                BOOLEAN NOT NULL,
    posts              INTEGER NOT NULL,
    comments_received  INTEGER NOT NULL,
    topics_started     INTEGER NOT NULL, -- emerging topics whose first post is theirs
    topics_picked_up   INTEGER NOT NULL, -- ... that at least one other blog then carried
    last_post          TIMESTAMPTZ
);

-- The newest posts of every source (for the source drill-down), with their comment counts.
CREATE TABLE agg_source_posts (
    source_id     VARCHAR NOT NULL,
    rank          INTEGER NOT NULL,
    doc_id        VARCHAR NOT NULL,
    title         VARCHAR,
    url           VARCHAR NOT NULL,
    author        VARCHAR,
    published_at  TIMESTAMPTZ,
    comments      INTEGER NOT NULL,
    negative      INTEGER NOT NULL,
    sentiment     VARCHAR NOT NULL
);
