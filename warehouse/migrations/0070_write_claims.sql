-- Write claims (warehouse/db.py): a writer that must not insert a key twice (DuckLake has no unique
-- keys) updates its group's one-row table inside its transaction. DuckLake aborts one of two concurrent
-- transactions that update the same table, so two claimants never both commit from the same snapshot.
CREATE TABLE claim_documents (n BIGINT NOT NULL);
INSERT INTO claim_documents VALUES (0);
CREATE TABLE claim_enrichment (n BIGINT NOT NULL);
INSERT INTO claim_enrichment VALUES (0);
CREATE TABLE claim_aggregates (n BIGINT NOT NULL);
INSERT INTO claim_aggregates VALUES (0);
CREATE TABLE claim_plan (n BIGINT NOT NULL);
INSERT INTO claim_plan VALUES (0);
