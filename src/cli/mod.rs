//! The command line (clap): serve, migrate, demo, workflows check|graph, users add, calendar import.

pub mod demo;

use crate::app::{App, AppError, Clock, SystemClock};
use crate::domain::role::Role;
use crate::store::{DEFAULT_DATABASE_URL, Store};
use crate::workflow::graph::GraphFormat;
use crate::workflow::registry::Registry;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Parser)]
#[command(
    name = "anju",
    version,
    about = "安居: buying unsold commercial housing for affordable housing"
)]
pub struct Cli {
    /// Database: a SQLite file (`sqlite://anju.db`, the default) or `postgres://…`.
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Folder of policy packs and workflow files.
    #[arg(
        long,
        env = "ANJU_WORKFLOWS",
        default_value = "workflows",
        global = true
    )]
    pub workflows: PathBuf,
    /// Folder of page templates.
    #[arg(
        long,
        env = "ANJU_TEMPLATES",
        default_value = "templates",
        global = true
    )]
    pub templates: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (API under /api, pages under /).
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: String,
        /// Serve the demo database (`anju-demo.db` unless --database-url), building it if absent,
        /// and print the demo users' tokens.
        #[arg(long)]
        demo: bool,
    },
    /// Apply the database migrations.
    Migrate,
    /// Build a demo database from fixtures/ and walk a sample round.
    Demo {
        #[arg(long, env = "ANJU_FIXTURES", default_value = "fixtures")]
        fixtures: PathBuf,
    },
    /// Check or draw workflow definitions.
    Workflows {
        #[command(subcommand)]
        command: WorkflowsCmd,
    },
    /// Manage users.
    Users {
        #[command(subcommand)]
        command: UsersCmd,
    },
    /// Manage the working-day calendar.
    Calendar {
        #[command(subcommand)]
        command: CalendarCmd,
    },
}

#[derive(Debug, Subcommand)]
pub enum WorkflowsCmd {
    /// Check every policy pack and workflow file; exit 1 naming file, line and reason.
    Check,
    /// Draw a workflow, e.g. `huoshan/listing`.
    Graph {
        key: String,
        #[arg(long, value_enum, default_value = "mermaid")]
        format: GraphFormat,
    },
}

#[derive(Debug, Subcommand)]
pub enum UsersCmd {
    /// Add a user and print its token once.
    Add {
        name: String,
        #[arg(long)]
        role: String,
        /// Company (required for developers).
        #[arg(long)]
        org: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum CalendarCmd {
    /// Import a year's holiday notice (holiday-cn JSON format).
    Import { file: PathBuf },
}

/// What the CLI prints on failure, and the exit code.
pub struct Failure(pub String);

impl From<AppError> for Failure {
    fn from(e: AppError) -> Self {
        Failure(match &e {
            AppError::Internal(cause) => format!("error: {cause}"),
            _ => format!("error [{}]: {e}", e.code()),
        })
    }
}
impl From<sqlx::Error> for Failure {
    fn from(e: sqlx::Error) -> Self {
        Failure(format!("database error: {e}"))
    }
}

pub fn load_registry(dir: &std::path::Path) -> Result<Registry, Failure> {
    Registry::load(dir).map_err(|errs| {
        Failure(format!(
            "workflow definitions are invalid:\n{}",
            errs.iter()
                .map(|e| format!("  {e}"))
                .collect::<Vec<_>>()
                .join("\n")
        ))
    })
}

pub async fn open_app(
    url: &str,
    workflows: &std::path::Path,
    clock: Arc<dyn Clock>,
) -> Result<App, Failure> {
    let registry = load_registry(workflows)?;
    let store = Store::connect(url)
        .await
        .map_err(|e| Failure(format!("cannot open database {url}: {e}")))?;
    store
        .migrate()
        .await
        .map_err(|e| Failure(format!("migration failed: {e}")))?;
    Ok(App::new(store, registry, clock).await?)
}

pub async fn run(cli: Cli) -> Result<(), Failure> {
    let url = cli
        .database_url
        .clone()
        .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string());
    match cli.command {
        Command::Workflows {
            command: WorkflowsCmd::Check,
        } => {
            let r = load_registry(&cli.workflows)?;
            for (k, d) in &r.defs {
                println!(
                    "ok  {k}  {} states, {} actions, version {}",
                    d.states.len(),
                    d.actions.len(),
                    &d.hash[..12]
                );
            }
            Ok(())
        }
        Command::Workflows {
            command: WorkflowsCmd::Graph { key, format },
        } => {
            let r = load_registry(&cli.workflows)?;
            let d = r.get(&key).ok_or_else(|| {
                Failure(format!(
                    "no workflow {key:?}; known: {}",
                    r.defs.keys().cloned().collect::<Vec<_>>().join(", ")
                ))
            })?;
            print!("{}", crate::workflow::graph::render(d, format));
            Ok(())
        }
        Command::Migrate => {
            let store = Store::connect(&url).await?;
            store
                .migrate()
                .await
                .map_err(|e| Failure(format!("migration failed: {e}")))?;
            println!("migrated {}", store.backend());
            Ok(())
        }
        Command::Users {
            command: UsersCmd::Add { name, role, org },
        } => {
            let role: Role = role.parse().map_err(Failure)?;
            let app = open_app(&url, &cli.workflows, Arc::new(SystemClock)).await?;
            let c = crate::app::users::add_user(&app, &name, role, org.as_deref()).await?;
            println!(
                "user {} ({}) created; token (shown once):\n{}",
                c.user.name, c.user.role, c.token
            );
            Ok(())
        }
        Command::Calendar {
            command: CalendarCmd::Import { file },
        } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| Failure(format!("{}: {e}", file.display())))?;
            let app = open_app(&url, &cli.workflows, Arc::new(SystemClock)).await?;
            let year = app.import_calendar(&text, "cli").await?;
            println!("imported the working-day calendar for {year}");
            Ok(())
        }
        Command::Demo { fixtures } => {
            let url = cli
                .database_url
                .clone()
                .unwrap_or_else(|| demo::DEMO_DATABASE_URL.to_string());
            demo::build(&url, &cli.workflows, &fixtures, true).await?;
            Ok(())
        }
        Command::Serve {
            bind,
            demo: with_demo,
        } => {
            let templates = crate::http::load_templates(&cli.templates)
                .map_err(|e| Failure(format!("templates: {e}")))?;
            let (url, tokens) = if with_demo {
                let url = cli
                    .database_url
                    .clone()
                    .unwrap_or_else(|| demo::DEMO_DATABASE_URL.to_string());
                let tokens =
                    demo::ensure(&url, &cli.workflows, std::path::Path::new("fixtures")).await?;
                (url, tokens)
            } else {
                (url, Vec::new())
            };
            let app = open_app(&url, &cli.workflows, Arc::new(SystemClock)).await?;
            if let Some(admin) = crate::app::users::bootstrap_admin(&app).await? {
                println!(
                    "empty database: created administrator; token (shown once):\n{}",
                    admin.token
                );
            }
            for (name, role, token) in &tokens {
                println!("  {role:<18} {name:<12} {token}");
            }
            let listener = tokio::net::TcpListener::bind(&bind)
                .await
                .map_err(|e| Failure(format!("cannot listen on {bind}: {e}")))?;
            println!(
                "anju serving {} on http://{bind}/ (API docs: http://{bind}/api/docs)",
                app.store.backend()
            );
            let web = Arc::new(crate::http::Web { app, templates });
            axum::serve(listener, crate::http::router(web))
                .with_graceful_shutdown(async {
                    let _ = tokio::signal::ctrl_c().await;
                })
                .await
                .map_err(|e| Failure(format!("server error: {e}")))
        }
    }
}
