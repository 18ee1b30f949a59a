-- PostgreSQL version of ../0010_sync_issue_resolution.sql: the same tables, columns and meaning. Differences:
-- BIGINT for SQLite's 64-bit INTEGER (identity columns for INTEGER PRIMARY KEY), PL/pgSQL triggers,
-- COLLATE NOCASE from the case-insensitive ICU collation made in 0001.
-- Sync issues both ways (issue 13): a refused operation stays open for review until the person
-- who recorded it discards it on their device (reported to the server) or an LM/ADMIN marks it
-- resolved with a note, which the device learns at its next sync. Only rows with status
-- 'rejected' carry a resolution; a new attempt with the same id clears it (see apply/record.rs).
ALTER TABLE operations ADD COLUMN resolution TEXT NULL
    CHECK (resolution IN ('discarded', 'resolved'));
-- resolution_note: the LM/ADMIN's note (NULL for a discard).
ALTER TABLE operations ADD COLUMN resolution_note TEXT;
ALTER TABLE operations ADD COLUMN resolved_by BIGINT REFERENCES users (id);
-- RFC 3339 UTC with milliseconds, like every stored time (text order is time order).
ALTER TABLE operations ADD COLUMN resolved_at TEXT;
-- The review's "Resolved or discarded" table: newest first.
CREATE INDEX operations_resolved ON operations (resolved_at) WHERE resolution IS NOT NULL;
