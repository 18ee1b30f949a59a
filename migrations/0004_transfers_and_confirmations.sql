-- Transfers between hubs, and operations that arrived through sync but take effect only when
-- a person confirms them online (anything touching more than one hub, and approvals).

CREATE TABLE transfers (
    id            INTEGER PRIMARY KEY,
    from_hub_id   INTEGER NOT NULL REFERENCES hubs (id),
    to_hub_id     INTEGER NOT NULL REFERENCES hubs (id),
    item_id       INTEGER NOT NULL REFERENCES items (id),
    quantity      INTEGER NOT NULL CHECK (quantity > 0),
    status        TEXT NOT NULL CHECK (status IN ('PENDING', 'APPROVED', 'REJECTED')),
    notes         TEXT,
    requested_by  INTEGER NOT NULL REFERENCES users (id),
    requested_at  TEXT NOT NULL,
    reviewed_by   INTEGER REFERENCES users (id),
    reviewed_at   TEXT,
    review_reason TEXT,
    -- The OUT and IN movements written on approval carry this in stock_movements.link_id.
    link_id       TEXT,
    operation_id  TEXT NOT NULL,
    CHECK (from_hub_id <> to_hub_id)
);
CREATE INDEX transfers_status ON transfers (status, id);

CREATE TABLE pending_confirmations (
    id            INTEGER PRIMARY KEY,
    operation_id  TEXT NOT NULL UNIQUE,
    user_id       INTEGER NOT NULL REFERENCES users (id),
    device_id     TEXT,
    kind          TEXT NOT NULL,
    hub_id        INTEGER NOT NULL,
    operation     TEXT NOT NULL,          -- the operation as received (JSON)
    received_at   TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'confirmed', 'discarded')),
    decided_by    INTEGER REFERENCES users (id),
    decided_at    TEXT,
    result        TEXT                    -- what confirming it did
);
CREATE INDEX pending_confirmations_status ON pending_confirmations (status, id);
