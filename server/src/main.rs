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
    let config = server::config::Config::from_env()?;
    let leptos = leptos::config::get_configuration(None).map_err(|e| e.to_string())?;
    let options = leptos.leptos_options;
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
