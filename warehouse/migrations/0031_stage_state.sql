-- What a pipeline stage last completed on: a fingerprint of its inputs (flows/gates.py), so a run
-- with nothing new can skip the stage (no model loading, no regrouping, no aggregate rebuild).
CREATE TABLE stage_state (
    stage        VARCHAR PRIMARY KEY,
    fingerprint  VARCHAR NOT NULL,
    detail       JSON,
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
