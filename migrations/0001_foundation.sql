-- Foundation: hubs, users and sessions, sign-in failures (rate limit), catalogue tables,
-- and the audit log. Times are UTC RFC 3339 text (lexically ordered); ids are integers.

CREATE TABLE hubs (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE COLLATE NOCASE,
    hub_type      TEXT NOT NULL CHECK (hub_type IN ('MAIN', 'SUB', 'AGENCY')),
    status        TEXT NOT NULL DEFAULT 'Active' CHECK (status IN ('Active', 'Inactive')),
    activated_at  TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    username       TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name   TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('ADMIN', 'LOGISTICS_MANAGER', 'LOGISTICS_OFFICER',
                       'MAIN_HUB_USER', 'SUB_HUB_USER', 'AGENCY_HUB_USER', 'INVENTORY_CLERK', 'AUDITOR')),
    hub_id         INTEGER REFERENCES hubs (id),
    active         INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);

-- The cookie carries a random token; only its SHA-256 is stored.
CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    address     TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);

-- One row per failed sign-in, keyed 'user:<name>' and 'addr:<ip>'; counted over a window.
CREATE TABLE login_failures (
    id        INTEGER PRIMARY KEY,
    key       TEXT NOT NULL,
    failed_at TEXT NOT NULL
);
CREATE INDEX login_failures_key_time ON login_failures (key, failed_at);

CREATE TABLE items (
    id           INTEGER PRIMARY KEY,
    sku          TEXT NOT NULL UNIQUE,
    barcode      TEXT UNIQUE,
    name         TEXT NOT NULL,
    category     TEXT NOT NULL,
    unit         TEXT NOT NULL,
    min_qty      INTEGER NOT NULL DEFAULT 0 CHECK (min_qty >= 0),
    description  TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX items_category ON items (category);

CREATE TABLE disaster_events (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    event_type  TEXT NOT NULL,
    start_date  TEXT NOT NULL,
    end_date    TEXT,
    status      TEXT NOT NULL DEFAULT 'Active' CHECK (status IN ('Active', 'Closed')),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE donors (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    contact     TEXT,
    created_at  TEXT NOT NULL
);

CREATE TABLE beneficiaries (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    contact     TEXT,
    parish      TEXT,
    created_at  TEXT NOT NULL
);
CREATE INDEX beneficiaries_name ON beneficiaries (name COLLATE NOCASE);

-- Every state change: who, when, from which device, under which operation id.
CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY,
    at            TEXT NOT NULL,
    user_id       INTEGER REFERENCES users (id),
    device_id     TEXT,
    operation_id  TEXT,
    action        TEXT NOT NULL,
    entity        TEXT NOT NULL,
    entity_id     TEXT,
    details       TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);
CREATE INDEX audit_log_at ON audit_log (at);
