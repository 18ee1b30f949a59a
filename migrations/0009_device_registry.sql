-- Device registry and opt-in offline policy (issue 12): one row per client device id (the
-- browser profile's random UUID; nothing is fingerprinted), its activity log, and the device
-- side of the offline policy. The offline window of a grant stays offline_policy's
-- offline_window_days (the API calls it offline_grace_days): one source of truth.

-- user_id: the user who last signed in on the device. offline_enabled is counted against
-- offline_policy.max_offline_devices by one conditional UPDATE (see services/devices).
CREATE TABLE devices (
    id                    TEXT PRIMARY KEY,
    name                  TEXT,
    user_agent            TEXT,
    app_version           TEXT,
    user_id               INTEGER REFERENCES users (id),
    registered_at         TEXT NOT NULL,
    registered_by         INTEGER REFERENCES users (id),
    last_sign_in_at       TEXT,
    last_seen_at          TEXT,
    last_sync_at          TEXT,
    last_sync_count       INTEGER NOT NULL DEFAULT 0,
    offline_enabled       INTEGER NOT NULL DEFAULT 0 CHECK (offline_enabled IN (0, 1)),
    offline_enabled_by    INTEGER REFERENCES users (id),
    offline_enabled_at    TEXT,
    revoked_at            TEXT,
    revoked_by            INTEGER REFERENCES users (id),
    revoke_reason         TEXT,
    wipe_requested_at     TEXT,
    wipe_acknowledged_at  TEXT
);
CREATE INDEX devices_offline ON devices (offline_enabled);

-- The activity of a device: sign_in, sign_out, sync (count), mode_change, deprovision,
-- revoke, wipe_acknowledged, refused (a sign-in, sync or call from a revoked device).
CREATE TABLE device_events (
    id         INTEGER PRIMARY KEY,
    device_id  TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    at         TEXT NOT NULL,
    kind       TEXT NOT NULL,
    user_id    INTEGER REFERENCES users (id),
    count      INTEGER,
    details    TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX device_events_device ON device_events (device_id, id);

-- default_mode: 'ask-user' (the sign-in checkbox decides; the behaviour before this issue),
-- 'online-only' (no device is kept for offline use) or 'offline-enabled' (an enabled device is
-- kept at every sign-in). max_offline_devices: NULL = no limit. allow_user_request: under
-- ask-user, whether the checkbox may enable a device the ADMIN has not enabled.
ALTER TABLE offline_policy ADD COLUMN default_mode TEXT NOT NULL DEFAULT 'ask-user'
    CHECK (default_mode IN ('online-only', 'offline-enabled', 'ask-user'));
ALTER TABLE offline_policy ADD COLUMN max_offline_devices INTEGER
    CHECK (max_offline_devices IS NULL OR max_offline_devices >= 0);
ALTER TABLE offline_policy ADD COLUMN allow_user_request INTEGER NOT NULL DEFAULT 1
    CHECK (allow_user_request IN (0, 1));
