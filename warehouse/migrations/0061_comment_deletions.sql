-- Comments deleted on their blog (issue 13): marked, never dropped. A re-crawl that read a post's
-- whole thread (comment_reach.complete) and no longer finds a stored comment sets deleted_at; a
-- comment that shows up again is cleared. Edits keep their old text in document_versions as for posts.
ALTER TABLE documents ADD COLUMN deleted_at TIMESTAMPTZ;
-- the view lists its columns when created: recreate it so it has the new one on both backends
CREATE OR REPLACE VIEW documents_distinct AS SELECT * FROM documents WHERE near_duplicate_of IS NULL;
