-- One write path: the operations table (idempotency key and stored outcome of every client
-- operation), the append-only stock ledger with its per-(hub, item) balance, and needs lists.

CREATE TABLE operations (
    id                 TEXT PRIMARY KEY,           -- client-generated UUID
    kind               TEXT NOT NULL,
    hub_id             INTEGER,
    user_id            INTEGER NOT NULL REFERENCES users (id),
    device_id          TEXT NOT NULL,
    client_created_at  TEXT,
    received_at        TEXT NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('applied', 'rejected', 'pending_confirmation')),
    reason             TEXT,
    message            TEXT NOT NULL,
    reference          TEXT,
    payload            TEXT NOT NULL,
    attempts           INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX operations_status_time ON operations (status, received_at);
CREATE INDEX operations_user ON operations (user_id, received_at);

CREATE TABLE stock_movements (
    id              INTEGER PRIMARY KEY,
    item_id         INTEGER NOT NULL REFERENCES items (id),
    hub_id          INTEGER NOT NULL REFERENCES hubs (id),
    direction       TEXT NOT NULL CHECK (direction IN ('IN', 'OUT')),
    quantity        INTEGER NOT NULL CHECK (quantity > 0),
    event_id        INTEGER REFERENCES disaster_events (id),
    donor_id        INTEGER REFERENCES donors (id),
    beneficiary_id  INTEGER REFERENCES beneficiaries (id),
    expiry_date     TEXT,
    notes           TEXT,
    created_by      INTEGER NOT NULL REFERENCES users (id),
    created_at      TEXT NOT NULL,
    operation_id    TEXT,
    link_id         TEXT                           -- pairs the OUT and IN of a transfer/dispatch
);
CREATE INDEX stock_movements_hub_time ON stock_movements (hub_id, created_at);
CREATE INDEX stock_movements_item_hub ON stock_movements (item_id, hub_id);
CREATE INDEX stock_movements_operation ON stock_movements (operation_id);

CREATE TRIGGER stock_movements_append_only_update BEFORE UPDATE ON stock_movements
BEGIN SELECT RAISE(ABORT, 'stock_movements is append-only'); END;
CREATE TRIGGER stock_movements_append_only_delete BEFORE DELETE ON stock_movements
BEGIN SELECT RAISE(ABORT, 'stock_movements is append-only'); END;

-- Stock per (hub, item) = IN - OUT, kept in the same transaction as each movement.
CREATE TABLE stock_balances (
    hub_id            INTEGER NOT NULL REFERENCES hubs (id),
    item_id           INTEGER NOT NULL REFERENCES items (id),
    quantity          INTEGER NOT NULL CHECK (quantity >= 0),
    last_movement_at  TEXT NOT NULL,
    PRIMARY KEY (hub_id, item_id)
) WITHOUT ROWID;

-- Named counters taken inside write transactions (collision-free numbers).
CREATE TABLE sequences (
    name   TEXT PRIMARY KEY,
    value  INTEGER NOT NULL
);
INSERT INTO sequences (name, value) VALUES ('needs_list', 0);

CREATE TABLE needs_lists (
    id            INTEGER PRIMARY KEY,
    number        TEXT NOT NULL UNIQUE,
    hub_id        INTEGER NOT NULL REFERENCES hubs (id),
    event_id      INTEGER NOT NULL REFERENCES disaster_events (id),
    priority      TEXT NOT NULL CHECK (priority IN ('Low', 'Medium', 'High', 'Urgent')),
    status        TEXT NOT NULL,
    notes         TEXT,
    created_by    INTEGER NOT NULL REFERENCES users (id),
    created_at    TEXT NOT NULL,
    submitted_by  INTEGER REFERENCES users (id),
    submitted_at  TEXT,
    updated_at    TEXT NOT NULL,
    operation_id  TEXT
);
CREATE INDEX needs_lists_hub_status ON needs_lists (hub_id, status);
CREATE INDEX needs_lists_status ON needs_lists (status, updated_at);

CREATE TABLE needs_list_lines (
    id             INTEGER PRIMARY KEY,
    needs_list_id  INTEGER NOT NULL REFERENCES needs_lists (id) ON DELETE CASCADE,
    item_id        INTEGER NOT NULL REFERENCES items (id),
    quantity       INTEGER NOT NULL CHECK (quantity > 0),
    justification  TEXT,
    UNIQUE (needs_list_id, item_id)
);
