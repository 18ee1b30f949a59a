-- The needs-list lifecycle: the editing lock, who prepared it, the fulfilment allocations,
-- the dispatch link, and a timeline row per transition (who, when, from, to, note).

ALTER TABLE needs_lists ADD COLUMN locked_by INTEGER REFERENCES users (id);
ALTER TABLE needs_lists ADD COLUMN locked_at TEXT;
ALTER TABLE needs_lists ADD COLUMN prepared_by INTEGER REFERENCES users (id);
-- The OUT and IN movements of its dispatch carry this in stock_movements.link_id.
ALTER TABLE needs_lists ADD COLUMN dispatch_link TEXT;

CREATE TABLE needs_list_allocations (
    id             INTEGER PRIMARY KEY,
    needs_list_id  INTEGER NOT NULL REFERENCES needs_lists (id) ON DELETE CASCADE,
    item_id        INTEGER NOT NULL REFERENCES items (id),
    source_hub_id  INTEGER NOT NULL REFERENCES hubs (id),
    quantity       INTEGER NOT NULL CHECK (quantity > 0),
    UNIQUE (needs_list_id, item_id, source_hub_id)
);
CREATE INDEX needs_list_allocations_source ON needs_list_allocations (source_hub_id);

CREATE TABLE needs_list_events (
    id             INTEGER PRIMARY KEY,
    needs_list_id  INTEGER NOT NULL REFERENCES needs_lists (id) ON DELETE CASCADE,
    action         TEXT NOT NULL,
    from_status    TEXT,
    to_status      TEXT NOT NULL,
    user_id        INTEGER NOT NULL REFERENCES users (id),
    at             TEXT NOT NULL,
    note           TEXT,
    operation_id   TEXT
);
CREATE INDEX needs_list_events_list ON needs_list_events (needs_list_id, id);

-- Lists created before this migration get their creation on the timeline.
INSERT INTO needs_list_events (needs_list_id, action, from_status, to_status, user_id, at, operation_id)
SELECT id, 'created', NULL, status, created_by, created_at, operation_id FROM needs_lists;
