-- How the comments of each post were read, per source (issue 13): the method that served them
-- (wp-rest | wp-feed | blogger-feed | html) and, where the thread is shown by a script or an iframe
-- the crawler cannot read (Disqus, Facebook comments, Commento, Hyvor...), that system: "comments not
-- reachable: <system>" instead of a silent zero. One row per (source, post), replaced by MERGE.
CREATE TABLE comment_reach (
    source_id    VARCHAR NOT NULL,
    post_id      VARCHAR NOT NULL,      -- documents.doc_id of the post
    post_url     VARCHAR NOT NULL,      -- canonical URL of the post
    method       VARCHAR NOT NULL,
    comments     INTEGER NOT NULL DEFAULT 0,
    unreachable  VARCHAR,               -- the comment system the crawler cannot read, if any
    complete     BOOLEAN NOT NULL DEFAULT TRUE,
    checked_at   TIMESTAMPTZ NOT NULL,
    run_id       VARCHAR,
    PRIMARY KEY (source_id, post_id)
);
