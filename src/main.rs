use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        // Colours only on a terminal: a service's log goes to a journal or a file.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "anju=info,tower_http=info".into()),
        )
        .init();
    match anju::cli::run(anju::cli::Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(anju::cli::Failure(m)) => {
            eprintln!("{m}");
            std::process::ExitCode::FAILURE
        }
    }
}
