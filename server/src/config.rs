//! Typed configuration from the environment, with defaults that run on a laptop.
//! (The listening address comes from Leptos' own settings: `LEPTOS_SITE_ADDR`.)
use std::env;

#[derive(Clone, Debug)]
pub struct Config {
    /// `DATABASE_URL`; default `sqlite://drims.db` in the working directory.
    pub database_url: String,
    /// `DRIMS_DB_POOL_SIZE`: connections this process keeps open (default 8 on SQLite, 16 on
    /// PostgreSQL).
    pub db_pool_size: Option<u32>,
    /// `DRIMS_DEMO=1` seeds demo data into an empty database.
    pub demo: bool,
    /// `DRIMS_SESSION_TTL_MINUTES`, default 720 (12 hours).
    pub session_ttl_minutes: i64,
    /// `DRIMS_SECURE_COOKIE=1`: served over HTTPS, so cookies are `Secure` and `__Host-`
    /// prefixed, and responses carry HSTS.
    pub secure_cookie: bool,
    /// `DRIMS_LOGIN_MAX_FAILURES_PER_ACCOUNT`, default 5: failures for one account from one
    /// address within the window before that pair waits (growing delays).
    pub max_failures_per_account: i64,
    /// `DRIMS_LOGIN_MAX_FAILURES_PER_ADDRESS`, default 20 within the window.
    pub max_failures_per_address: i64,
    /// `DRIMS_LOGIN_WINDOW_MINUTES`, default 15.
    pub login_window_minutes: i64,
    /// `DRIMS_LOGIN_MAX_CONCURRENT`, default 4: password checks (argon2, ~19 MiB each) running
    /// at once; sign-ins beyond that wait up to a second, then get 429.
    pub max_concurrent_sign_ins: usize,
    /// `DRIMS_LOGIN_QUEUE_MS`, default 1000: how long a sign-in waits for a free check.
    pub sign_in_wait_ms: u64,
    /// `DRIMS_TRUSTED_PROXIES`: comma-separated addresses or CIDR ranges of reverse proxies
    /// whose `X-Forwarded-For` is believed. Empty (default): the peer address is the client.
    pub trusted_proxies: Vec<crate::auth::client_address::IpRange>,
    /// `DRIMS_ADMIN_USERNAME` + `DRIMS_ADMIN_PASSWORD`: the first ADMIN, created at start when
    /// the database has none (both or neither must be set). Never logged.
    pub first_admin: Option<(String, String)>,
    /// `DRIMS_DEVICE_CHECK_SECONDS`, default 60 (5 to 300): how often an open client asks
    /// whether its device was revoked and its session still holds (a revoked device is wiped,
    /// a deactivated user signed out, within 5 minutes at the most).
    pub device_check_seconds: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: "sqlite://drims.db".into(),
            db_pool_size: None,
            demo: false,
            session_ttl_minutes: 720,
            secure_cookie: false,
            max_failures_per_account: 5,
            max_failures_per_address: 20,
            login_window_minutes: 15,
            max_concurrent_sign_ins: 4,
            sign_in_wait_ms: 1000,
            trusted_proxies: Vec::new(),
            first_admin: None,
            device_check_seconds: 60,
        }
    }
}

impl Config {
    pub fn from_env() -> Result<Self, String> {
        let d = Config::default();
        Ok(Self {
            database_url: env::var("DATABASE_URL").unwrap_or(d.database_url),
            db_pool_size: match env::var("DRIMS_DB_POOL_SIZE") {
                Err(_) => None,
                Ok(v) => Some(
                    v.trim()
                        .parse()
                        .ok()
                        .filter(|n| (1..=1000).contains(n))
                        .ok_or(format!(
                            "DRIMS_DB_POOL_SIZE must be a whole number from 1 to 1000, not '{v}'"
                        ))?,
                ),
            },
            demo: flag("DRIMS_DEMO") || env::args().any(|a| a == "--demo"),
            session_ttl_minutes: number("DRIMS_SESSION_TTL_MINUTES", d.session_ttl_minutes)?,
            secure_cookie: flag("DRIMS_SECURE_COOKIE"),
            max_failures_per_account: number(
                "DRIMS_LOGIN_MAX_FAILURES_PER_ACCOUNT",
                d.max_failures_per_account,
            )?,
            max_failures_per_address: number(
                "DRIMS_LOGIN_MAX_FAILURES_PER_ADDRESS",
                d.max_failures_per_address,
            )?,
            login_window_minutes: number("DRIMS_LOGIN_WINDOW_MINUTES", d.login_window_minutes)?,
            max_concurrent_sign_ins: number(
                "DRIMS_LOGIN_MAX_CONCURRENT",
                d.max_concurrent_sign_ins as i64,
            )? as usize,
            sign_in_wait_ms: match env::var("DRIMS_LOGIN_QUEUE_MS") {
                Err(_) => d.sign_in_wait_ms,
                Ok(v) => v.trim().parse().map_err(|_| {
                    format!("DRIMS_LOGIN_QUEUE_MS must be a whole number, not '{v}'")
                })?,
            },
            trusted_proxies: match env::var("DRIMS_TRUSTED_PROXIES") {
                Err(_) => d.trusted_proxies,
                Ok(v) => crate::auth::client_address::parse_ranges(&v)
                    .map_err(|e| format!("DRIMS_TRUSTED_PROXIES: {e}"))?,
            },
            first_admin: first_admin(
                env::var("DRIMS_ADMIN_USERNAME").ok(),
                env::var("DRIMS_ADMIN_PASSWORD").ok(),
            )?,
            device_check_seconds: match env::var("DRIMS_DEVICE_CHECK_SECONDS") {
                Err(_) => d.device_check_seconds,
                Ok(v) => v
                    .trim()
                    .parse()
                    .ok()
                    .filter(|n| (5..=300).contains(n))
                    .ok_or(format!(
                        "DRIMS_DEVICE_CHECK_SECONDS must be a whole number from 5 to 300, not '{v}'"
                    ))?,
            },
        })
    }
}

/// Both set (non-empty): the first admin; neither: none; only one: an error saying which.
pub fn first_admin(
    username: Option<String>,
    password: Option<String>,
) -> Result<Option<(String, String)>, String> {
    let username = username.filter(|u| !u.trim().is_empty());
    let password = password.filter(|p| !p.is_empty());
    match (username, password) {
        (Some(u), Some(p)) => Ok(Some((u, p))),
        (None, None) => Ok(None),
        (Some(_), None) => Err(
            "DRIMS_ADMIN_USERNAME is set but DRIMS_ADMIN_PASSWORD is not: set both to create the first administrator, or neither".into(),
        ),
        (None, Some(_)) => Err(
            "DRIMS_ADMIN_PASSWORD is set but DRIMS_ADMIN_USERNAME is not: set both to create the first administrator, or neither".into(),
        ),
    }
}

fn flag(name: &str) -> bool {
    matches!(
        env::var(name).as_deref(),
        Ok("1") | Ok("true") | Ok("yes") | Ok("on")
    )
}

fn number(name: &str, default: i64) -> Result<i64, String> {
    match env::var(name) {
        Err(_) => Ok(default),
        Ok(v) => v
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("{name} must be a positive whole number, not '{v}'")),
    }
}

#[cfg(test)]
mod tests {
    use super::first_admin;

    #[test]
    fn first_admin_needs_both_variables() {
        let s = |v: &str| Some(v.to_string());
        assert_eq!(
            first_admin(s("root"), s("long enough pw")).unwrap(),
            Some(("root".into(), "long enough pw".into()))
        );
        assert_eq!(first_admin(None, None).unwrap(), None);
        assert_eq!(first_admin(s(" "), None).unwrap(), None);
        assert!(first_admin(s("root"), None)
            .unwrap_err()
            .contains("DRIMS_ADMIN_PASSWORD is not"));
        assert!(first_admin(None, s("pw"))
            .unwrap_err()
            .contains("DRIMS_ADMIN_USERNAME is not"));
    }
}
