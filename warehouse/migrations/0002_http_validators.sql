-- Conditional-GET state per fetched URL (feeds, comment feeds, articles).
CREATE TABLE http_validators (
    url            VARCHAR PRIMARY KEY,
    source_id      VARCHAR NOT NULL,
    etag           VARCHAR,
    last_modified  VARCHAR,
    checked_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
