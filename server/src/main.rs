//! Entry point: read configuration, build the app, serve.
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("drims: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let leptos = leptos::config::get_configuration(None).map_err(|e| e.to_string())?;
    let mut options = leptos.leptos_options;
    // `cargo leptos build` writes the content hashes of the client's files beside the binary;
    // a server started by hand (not by cargo-leptos, which says so itself) finds them there.
    if std::env::var_os("LEPTOS_HASH_FILES").is_none()
        && server::shell::hash_file_beside_binary(&options).is_some_and(|p| p.exists())
    {
        options.hash_files = true;
    }
    // `server check-shell`: the build step that fails when the app shell is incomplete.
    if std::env::args().nth(1).as_deref() == Some("check-shell") {
        return check_shell(&options);
    }
    let config = server::config::Config::from_env()?;
    if std::env::args().nth(1).as_deref() == Some("create-admin") {
        println!("{}", server::create_admin(&config).await?);
        return Ok(());
    }
    let addr = options.site_addr;
    let (router, _) = server::build(config, options).await?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    println!("DRIMS is running at http://{addr}");
    server::serve(listener, router)
        .await
        .map_err(|e| e.to_string())
}

/// Lists the app shell of the build (each file, raw and compressed) or says what it lacks.
fn check_shell(options: &leptos::config::LeptosOptions) -> Result<(), String> {
    let hash_file = server::shell::hash_file_beside_binary(options);
    match server::shell::AppShell::load(options, hash_file.as_deref())? {
        Some(shell) => {
            print!("{}", shell.report());
            Ok(())
        }
        None => Err(format!(
            "no client build under {}: run `cargo leptos build`",
            options.site_root
        )),
    }
}
