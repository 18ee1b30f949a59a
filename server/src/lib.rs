//! DRIMS server: configuration, database, authentication, services and the HTTP router.
//! `main.rs` only reads the configuration and calls `build` and `serve`.
pub mod apply;
pub mod auth;
pub mod backend;
pub mod config;
pub mod db;
pub mod demo;
pub mod error;
pub mod routes;
pub mod security;
pub mod services;
pub mod shell;
pub mod state;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use leptos::config::LeptosOptions;

use crate::config::Config;
use crate::state::AppState;

/// Opens (and migrates) the database, seeds demo data when asked, and builds the router.
pub async fn build(
    config: Config,
    leptos_options: LeptosOptions,
) -> Result<(Router, AppState), String> {
    let db = db::open(&config).await.map_err(|e| {
        format!(
            "cannot open database {}: {e}",
            db::redacted(&config.database_url)
        )
    })?;
    if config.demo {
        match demo::seed_if_empty(&db).await.map_err(|e| e.to_string())? {
            Some(seeded) => {
                tracing::warn!(
                    "DEMO DATA seeded. Demo credentials (do NOT use in production): users {} with password '{}'",
                    seeded.usernames.join(", "),
                    demo::PASSWORD
                );
                println!(
                    "WARNING: demo credentials, for trying DRIMS only: usernames {} / password '{}'",
                    seeded.usernames.join(" "),
                    demo::PASSWORD
                );
            }
            None => println!("Demo mode: the database already has data, so nothing was seeded."),
        }
    }
    if let Some((username, password)) = &config.first_admin {
        if services::first_admin::ensure(&db, username, password).await? {
            tracing::info!(%username, "created the first administrator from DRIMS_ADMIN_USERNAME");
        }
    }
    let grant_key = auth::grant::GrantKey::load_or_create(&db)
        .await
        .map_err(|e| format!("cannot load the grant-signing key: {e}"))?;
    let hash_file = shell::hash_file_beside_binary(&leptos_options);
    let shell = shell::AppShell::load(&leptos_options, hash_file.as_deref())?;
    match &shell {
        Some(shell) => tracing::info!(
            "app shell of build {}: {} files, {} bytes ({} with brotli)",
            shell.version,
            shell.precache.len(),
            shell.sizes().0,
            shell.sizes().1
        ),
        None => tracing::warn!(
            "no client build under {}: pages are served without the installable app shell",
            leptos_options.site_root
        ),
    }
    let routes = leptos_axum::generate_route_list(app::App);
    let state = AppState {
        leptos_options,
        routes: Arc::new(routes),
        writer: apply::Writer::new(db.clone()),
        db,
        sign_in_gate: Arc::new(tokio::sync::Semaphore::new(
            config.max_concurrent_sign_ins.max(1),
        )),
        config: Arc::new(config),
        grant_key: Arc::new(grant_key),
        shell: shell.map(Arc::new),
        unlogged_refusals: Default::default(),
    };
    Ok((routes::router(state.clone()), state))
}

/// `server create-admin`: creates the first ADMIN from `DRIMS_ADMIN_USERNAME` and
/// `DRIMS_ADMIN_PASSWORD` (only while the database has none) and says what it did.
pub async fn create_admin(config: &Config) -> Result<String, String> {
    let (username, password) = config.first_admin.as_ref().ok_or(
        "set DRIMS_ADMIN_USERNAME and DRIMS_ADMIN_PASSWORD to create the first administrator",
    )?;
    let db = db::open(config).await.map_err(|e| {
        format!(
            "cannot open database {}: {e}",
            db::redacted(&config.database_url)
        )
    })?;
    Ok(
        if services::first_admin::ensure(&db, username, password).await? {
            format!("Created the administrator '{}'.", username.trim())
        } else {
            "The database already has an administrator; nobody was created.".to_string()
        },
    )
}

/// Serves until the process ends, with peer addresses available for rate limiting.
pub async fn serve(listener: tokio::net::TcpListener, router: Router) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
}
