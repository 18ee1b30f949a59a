-- PostgreSQL version of ../0008_operation_digest.sql: the same tables, columns and meaning. Differences:
-- BIGINT for SQLite's 64-bit INTEGER (identity columns for INTEGER PRIMARY KEY), PL/pgSQL triggers,
-- COLLATE NOCASE from the case-insensitive ICU collation made in 0001.
-- Security hardening (issue 10, finding 13): an operation id is bound to what it asked for.
-- `digest` is the SHA-256 of kind, hub and payload as applied; the same id sent again with a
-- different digest is refused (`id_conflict`) instead of silently returning the first outcome.
-- Rows from before this migration have no digest and are not compared.
ALTER TABLE operations ADD COLUMN digest TEXT;
