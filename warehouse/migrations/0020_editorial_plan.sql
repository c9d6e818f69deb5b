-- The editorial plan: topics and reader questions adopted as planned posts (written by the app and CLI).
CREATE SEQUENCE editorial_plan_ids START 1;

CREATE TABLE editorial_plan (
    entry_id     INTEGER PRIMARY KEY DEFAULT nextval('editorial_plan_ids'),
    position     INTEGER NOT NULL,                -- order in the plan (1 = top)
    title        VARCHAR NOT NULL,
    angle        VARCHAR NOT NULL DEFAULT '',
    owner        VARCHAR NOT NULL DEFAULT '',
    channel      VARCHAR NOT NULL DEFAULT 'Blog',
    due_date     DATE,
    status       VARCHAR NOT NULL DEFAULT 'idea',  -- idea | planned | writing | review | published | dropped
    origin_kind  VARCHAR NOT NULL DEFAULT 'manual', -- topic | question | manual
    origin_id    VARCHAR,                         -- emerging topic id or question group id
    evidence     JSON,                            -- [{"title": ..., "url": ...}, ...]
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
