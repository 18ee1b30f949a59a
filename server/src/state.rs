//! Shared server state handed to every handler.
use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use leptos_axum::AxumRouteListing;

use crate::apply::Writer;
use crate::auth::grant::GrantKey;
use crate::config::Config;
use crate::db::Db;
use crate::shell::AppShell;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub routes: Arc<Vec<AxumRouteListing>>,
    pub db: Db,
    /// The single write path's entry: one batch writes at a time.
    pub writer: Writer,
    pub config: Arc<Config>,
    /// Bounds the password checks running at once (`DRIMS_LOGIN_MAX_CONCURRENT`).
    pub sign_in_gate: Arc<tokio::sync::Semaphore>,
    /// Signs offline grants (shared by every server on the database).
    pub grant_key: Arc<GrantKey>,
    /// The installable app shell of the client build beside the server (`None` without one).
    pub shell: Option<Arc<AppShell>>,
    /// Refusals of revoked devices' calls without a session not logged yet (one a minute is).
    pub unlogged_refusals: crate::services::devices::UnloggedRefusals,
}
