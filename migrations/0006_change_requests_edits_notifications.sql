-- Fulfilment change requests from source hubs, fulfilment versions (before/after, reason),
-- the per-field log of edits after completion, and in-app notifications.

CREATE TABLE fulfilment_change_requests (
    id             INTEGER PRIMARY KEY,
    needs_list_id  INTEGER NOT NULL REFERENCES needs_lists (id) ON DELETE CASCADE,
    source_hub_id  INTEGER NOT NULL REFERENCES hubs (id),
    requested_by   INTEGER NOT NULL REFERENCES users (id),
    requested_at   TEXT NOT NULL,
    reason         TEXT NOT NULL,
    proposed       TEXT NOT NULL,         -- the proposed allocations (JSON)
    status         TEXT NOT NULL CHECK (status IN ('PENDING', 'APPROVED', 'REJECTED', 'CLARIFICATION_REQUESTED')),
    decided_by     INTEGER REFERENCES users (id),
    decided_at     TEXT,
    decision_note  TEXT,
    operation_id   TEXT NOT NULL
);
CREATE INDEX fulfilment_change_requests_list ON fulfilment_change_requests (needs_list_id, status);

CREATE TABLE fulfilment_versions (
    id                 INTEGER PRIMARY KEY,
    needs_list_id      INTEGER NOT NULL REFERENCES needs_lists (id) ON DELETE CASCADE,
    before             TEXT NOT NULL,     -- allocations before (JSON)
    after              TEXT NOT NULL,     -- allocations after (JSON)
    reason             TEXT NOT NULL,
    change_request_id  INTEGER REFERENCES fulfilment_change_requests (id),
    created_by         INTEGER NOT NULL REFERENCES users (id),
    created_at         TEXT NOT NULL,
    operation_id       TEXT NOT NULL
);
CREATE INDEX fulfilment_versions_list ON fulfilment_versions (needs_list_id, id);

CREATE TABLE fulfilment_edit_log (
    id             INTEGER PRIMARY KEY,
    needs_list_id  INTEGER NOT NULL REFERENCES needs_lists (id) ON DELETE CASCADE,
    field          TEXT NOT NULL,
    before         TEXT,
    after          TEXT,
    reason         TEXT NOT NULL,
    user_id        INTEGER NOT NULL REFERENCES users (id),
    at             TEXT NOT NULL,
    operation_id   TEXT NOT NULL
);
CREATE INDEX fulfilment_edit_log_list ON fulfilment_edit_log (needs_list_id, id);

CREATE TABLE notifications (
    id             INTEGER PRIMARY KEY,
    user_id        INTEGER NOT NULL REFERENCES users (id),
    message        TEXT NOT NULL,
    link           TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    read_at        TEXT
);
CREATE INDEX notifications_user ON notifications (user_id, read_at, id);
