-- Offline sign-in (issue 9): the ADMIN's offline policy, the per-(user, device) secret that lets
-- a device re-open its data key online, the key that signs offline grants, the device a session
-- comes from, and the record of each import of exported unsynced work.

-- One row (id = 1). offline_window_days: how long a grant lasts, 0 = offline sign-in off.
-- The allowed ranges are checked once, by OfflinePolicy::validate (app/src/offline/access.rs).
CREATE TABLE offline_policy (
    id                   INTEGER PRIMARY KEY CHECK (id = 1),
    offline_window_days  INTEGER NOT NULL DEFAULT 7,
    idle_lock_minutes    INTEGER NOT NULL DEFAULT 15,
    updated_by           INTEGER REFERENCES users (id),
    updated_at           TEXT
);
INSERT INTO offline_policy (id) VALUES (1);

-- The device secret (32 random bytes, base64url) of a device kept for offline use. It survives
-- further sign-ins and password changes (that is how the device re-wraps its data key without
-- the old password); it is deleted at sign-out or a sign-in without "keep offline".
CREATE TABLE device_keys (
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device_id       TEXT NOT NULL,
    secret          TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    last_issued_at  TEXT NOT NULL,
    PRIMARY KEY (user_id, device_id)
);

-- Server secrets by name ('grant_hmac': the HMAC-SHA256 key of offline grants). Created once
-- with INSERT OR IGNORE, so servers sharing a database share the key.
CREATE TABLE server_keys (
    name        TEXT PRIMARY KEY,
    secret      TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

-- The device a session was opened from (the client's random id), when it said.
ALTER TABLE sessions ADD COLUMN device_id TEXT;

-- One row per import of an export file: who imported it, where it came from, whether the
-- file's grant carried our signature for that user and device, and the per-operation results.
CREATE TABLE offline_imports (
    id               INTEGER PRIMARY KEY,
    imported_by      INTEGER NOT NULL REFERENCES users (id),
    imported_at      TEXT NOT NULL,
    source_device    TEXT NOT NULL,
    source_user_id   INTEGER,
    source_username  TEXT NOT NULL,
    grant_verified   INTEGER NOT NULL CHECK (grant_verified IN (0, 1)),
    results_json     TEXT NOT NULL
);
CREATE INDEX offline_imports_time ON offline_imports (imported_at);
