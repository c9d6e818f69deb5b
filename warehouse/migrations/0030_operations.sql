-- Operations: retention marker, near-duplicate index (MinHash + LSH bands), near-duplicate counts.
ALTER TABLE documents ADD COLUMN purged_at TIMESTAMPTZ;          -- raw text/title removed by retention
ALTER TABLE documents ADD COLUMN near_duplicate_of VARCHAR;      -- doc_id of the earlier copy, if any
ALTER TABLE document_versions ADD COLUMN purged_at TIMESTAMPTZ;
ALTER TABLE fetch_log ADD COLUMN near_duplicates INTEGER DEFAULT 0;

-- MinHash signature of each document long enough to compare (warehouse/neardup.py).
CREATE TABLE doc_minhash (
    doc_id  VARCHAR PRIMARY KEY,
    sig     UINTEGER[] NOT NULL
);

-- LSH index: one row per (band, bucket) of a signature (buckets differ per kind, so posts are only
-- compared with posts and comments with comments); a batch joins its buckets against it.
CREATE TABLE doc_lsh_bands (
    band    SMALLINT NOT NULL,
    bucket  BIGINT NOT NULL,
    doc_id  VARCHAR NOT NULL
);

-- Documents without their near duplicates: what counts and charts should usually read.
CREATE VIEW documents_distinct AS SELECT * FROM documents WHERE near_duplicate_of IS NULL;

-- Erasure list of `resonanz purge --author`: a hash of the name (never the name); ingest drops
-- documents of these authors so a later run does not collect them again.
CREATE TABLE erased_authors (
    name_hash  VARCHAR PRIMARY KEY,
    erased_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
