//! The command line (clap): serve, migrate, demo, workflows check|graph, users add, calendar import.

pub mod demo;

use crate::app::{App, AppError, Clock, SystemClock};
use crate::domain::role::Role;
use crate::store::users::User;
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
        /// Seconds a client has to send a request's headers (and a kept-alive connection may
        /// stay idle).
        #[arg(long, env = "ANJU_HEADER_TIMEOUT_SECS", default_value_t = 10)]
        header_timeout_secs: u64,
        /// Seconds a request may take, its body and answer included (then 408).
        #[arg(long, env = "ANJU_REQUEST_TIMEOUT_SECS", default_value_t = 120)]
        request_timeout_secs: u64,
        /// Most connections open at once; more wait until one closes.
        #[arg(long, env = "ANJU_MAX_CONNECTIONS", default_value_t = 512)]
        max_connections: usize,
        /// On an empty database, where the first administrator's token is written (a new file,
        /// readable by this user only); it is never printed or logged.
        #[arg(long, default_value = "anju-admin-token")]
        admin_token_file: PathBuf,
        /// An origin (`https://anju.example.gov.cn`) whose form posts are accepted besides the
        /// request's own host, for a reverse proxy that rewrites `Host`; repeatable.
        #[arg(long, env = "ANJU_TRUSTED_ORIGIN")]
        trusted_origin: Vec<String>,
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
    /// The ring-fenced fund ledgers: verify the chain, checkpoint it, trial balance, exports.
    Ledger {
        #[command(subcommand)]
        command: LedgerCmd,
    },
    /// Developer bids: the comparison workbook of an opened round.
    Bids {
        #[command(subcommand)]
        command: BidsCmd,
    },
    /// Price calculations of DOMAIN.md §3: JSON on stdout naming the rules and pack parameters
    /// used; exit 1 with the reason on bad input.
    Price {
        #[command(subcommand)]
        command: PriceCmd,
    },
    /// The sale lottery (YQ-15, NC-33, XY-25.3): re-run a draw from what was published.
    Lottery {
        #[command(subcommand)]
        command: LotteryCmd,
    },
}

#[derive(Debug, Subcommand)]
pub enum LotteryCmd {
    /// Re-run a draw: the published entrant list (`application_no<TAB>group` per line) and the
    /// seed entered at the draw give the selection order, one application number per line,
    /// after a first line `# entrants sha256 <hex>` to compare with the published digest.
    Replay {
        #[arg(long)]
        entrants: PathBuf,
        #[arg(long)]
        seed: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum BidsCmd {
    /// Write the comparison (a row per bid, a sheet per criterion, the plan) of an opened round.
    Compare {
        #[arg(long)]
        round: i64,
        #[arg(short = 'o', long)]
        output: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum LedgerCmd {
    /// Recompute the hash chain; exit 1 naming the first broken entry. With --checkpoint, also
    /// prove the entries up to that checkpoint are unchanged.
    Verify {
        #[arg(long)]
        checkpoint: Option<PathBuf>,
    },
    /// Print (or write) the chain's head with its time, to keep outside the database.
    Checkpoint {
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
    },
    /// Balance of every account (columns: account, kind, project, source, balance).
    TrialBalance {
        #[arg(long, value_enum, default_value = "csv")]
        format: TableFormat,
    },
    /// A project's workbook: a sheet per fund source, trial balance, flow trace, exceptions,
    /// asset register.
    Report {
        #[arg(long)]
        project: String,
        #[arg(short = 'o', long)]
        output: PathBuf,
    },
    /// The journal for hledger or beancount.
    Export {
        #[arg(long, value_enum)]
        format: crate::app::ledger::ExportFormat,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum TableFormat {
    Csv,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum PriceCmd {
    /// HS-P5 / YQ-7.3: replacement-price ceiling per m², and for one unit with --area-m2.
    #[command(allow_negative_numbers = true)]
    Ceiling {
        #[arg(long, default_value = "huoshan")]
        policy: String,
        #[arg(long)]
        land_per_m2: String,
        #[arg(long)]
        construction_per_m2: String,
        #[arg(long)]
        profit_rate: String,
        #[arg(long)]
        area_m2: Option<String>,
    },
    /// HS-P8: initial monthly rent.
    #[command(allow_negative_numbers = true)]
    Rent {
        #[arg(long, default_value = "huoshan")]
        policy: String,
        #[arg(long)]
        market_rent_per_m2: String,
        #[arg(long)]
        area_m2: String,
        /// Share of the market rent (default the pack's cap, 0.9).
        #[arg(long)]
        ratio: Option<String>,
        /// An approved exception (initial_rent_ratio) to go above the cap; reads the database.
        #[arg(long)]
        exception_id: Option<i64>,
    },
    /// HS-P9: check a rent change against the yearly limit.
    #[command(allow_negative_numbers = true)]
    RentChange {
        #[arg(long, default_value = "huoshan")]
        policy: String,
        #[arg(long)]
        old_rent_per_m2: String,
        #[arg(long)]
        new_rent_per_m2: String,
        #[arg(long)]
        last_adjusted: chrono::NaiveDate,
        #[arg(long)]
        effective_date: chrono::NaiveDate,
        #[arg(long)]
        exception_id: Option<i64>,
    },
    /// Buy-back price under the pack's rule (HS-P13, YQ-21, NC-37, XY-32 with XY-29).
    #[command(allow_negative_numbers = true)]
    Buyback {
        #[arg(long)]
        policy: String,
        #[arg(long)]
        original_price: String,
        #[arg(long)]
        delivered: chrono::NaiveDate,
        #[arg(long)]
        title_date: chrono::NaiveDate,
        #[arg(long)]
        agreement_date: chrono::NaiveDate,
        /// XY-32 yearly depreciation rate (default the cap, 0.02).
        #[arg(long)]
        rate: Option<String>,
        /// XY-29 listed case, e.g. relocation, serious_illness.
        #[arg(long)]
        case: Option<String>,
        /// HS-P13 / YQ-21 appraised price.
        #[arg(long)]
        appraised_price: Option<String>,
        /// XY-32 unused maintenance fund to refund.
        #[arg(long)]
        unused_maintenance_fund: Option<String>,
        #[arg(long)]
        exception_id: Option<i64>,
    },
    /// HS-P14: resettlement price.
    #[command(allow_negative_numbers = true)]
    Resettlement {
        #[arg(long, default_value = "huoshan")]
        policy: String,
        #[arg(long)]
        acquisition_price: String,
        #[arg(long)]
        taxes: String,
        #[arg(long)]
        rate: String,
        #[arg(long)]
        from: chrono::NaiveDate,
        #[arg(long)]
        to: chrono::NaiveDate,
        /// act360 (default) or act365.
        #[arg(long)]
        day_count: Option<String>,
    },
    /// HS-P11 / NC-30 / XY-13: sale base price per m².
    #[command(allow_negative_numbers = true)]
    SaleBase {
        #[arg(long, default_value = "huoshan")]
        policy: String,
        #[arg(long)]
        cost_per_m2: String,
        #[arg(long)]
        profit_rate: String,
    },
    /// HS-P12: the 一房一价 schedule from a unit sheet and a factors file, written as xlsx.
    #[command(allow_negative_numbers = true)]
    Units {
        #[arg(long, default_value = "huoshan")]
        policy: String,
        #[arg(long)]
        base_per_m2: String,
        /// Unit sheet: 房号, 楼栋, 楼层, 朝向, 户型, 建筑面积(m²).
        #[arg(long)]
        units: PathBuf,
        /// TOML with [building], [floor], [orientation], [layout] tables ("3" = "1.02", default = "1").
        #[arg(long)]
        factors: PathBuf,
        #[arg(short = 'o', long)]
        output: PathBuf,
        /// Title printed on the schedule.
        #[arg(long, default_value = "一房一价表")]
        title: String,
    },
    /// An amount in capitals (大写), e.g. 123456.78.
    #[command(allow_negative_numbers = true)]
    Daxie { amount: String },
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
    /// Add a user and print its token once (on this terminal; nothing is logged).
    Add {
        name: String,
        #[arg(long)]
        role: String,
        /// Company (required for developers).
        #[arg(long)]
        org: Option<String>,
        /// Days the token works.
        #[arg(long, default_value_t = crate::app::users::TOKEN_DAYS)]
        days: i64,
    },
    /// List the accounts: role, company, who created each, disabled or not, working tokens.
    List,
    /// Disable a user: every token and session ends now.
    Disable { name: String },
    /// Enable a disabled user (then `rotate` gives it a token).
    Enable { name: String },
    /// End every token and page session of a user now.
    Revoke { name: String },
    /// Replace a user's tokens with a new one, printed once; its sessions end too.
    Rotate {
        name: String,
        #[arg(long, default_value_t = crate::app::users::TOKEN_DAYS)]
        days: i64,
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
            AppError::Invalid {
                field: Some(f),
                message,
            } => format!("error [{}] {f}: {message}", e.code()),
            AppError::Rule { rule, message, .. } => {
                format!("error [{}] {rule}: {message}", e.code())
            }
            AppError::Workbook(cells) => format!(
                "error [{}]: {e}\n{}",
                e.code(),
                cells
                    .iter()
                    .map(|c| format!(
                        "  {}{}{}: {}",
                        c.sheet
                            .as_deref()
                            .map(|s| format!("{s}!"))
                            .unwrap_or_default(),
                        c.column.as_deref().unwrap_or(""),
                        c.row.map(|r| r.to_string()).unwrap_or_default(),
                        c.message
                    ))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
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
            // DOMAIN.md §7: a draft, or a text past its validity, is said on every check.
            let today = crate::app::china_today(chrono::Utc::now());
            for (k, p) in &r.packs {
                for w in p.warnings(today) {
                    println!("warning  {k}  {w}");
                }
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
        Command::Users { command } => {
            let app = open_app(&url, &cli.workflows, Arc::new(SystemClock)).await?;
            users(&app, command).await
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
        Command::Price { command } => price(&cli.workflows, &url, command).await,
        Command::Lottery {
            command: LotteryCmd::Replay { entrants, seed },
        } => {
            use crate::domain::allocation::lottery;
            let text = std::fs::read_to_string(&entrants)
                .map_err(|e| Failure(format!("{}: {e}", entrants.display())))?;
            let list = lottery::parse_entrant_list(&text)
                .map_err(|e| Failure(format!("{}: {e}", entrants.display())))?;
            println!("# entrants sha256 {}", lottery::entrants_sha256(&list));
            for e in lottery::draw(&list, seed.trim()) {
                println!("{}", e.application_no);
            }
            Ok(())
        }
        Command::Bids {
            command: BidsCmd::Compare { round, output },
        } => {
            let app = open_app(&url, &cli.workflows, Arc::new(SystemClock)).await?;
            // The console acts as the housing bureau reading an opened round.
            let reader = crate::store::users::User {
                id: 0,
                name: "cli".into(),
                role: Role::HousingBureau,
                org: None,
            };
            let c = app.comparison(&reader, round).await?;
            std::fs::write(&output, crate::excel::comparison::comparison_workbook(&c))
                .map_err(|e| Failure(format!("error: {}: {e}", output.display())))?;
            println!("wrote {} ({} bids)", output.display(), c.bids.len());
            Ok(())
        }
        Command::Ledger { command } => {
            let app = open_app(&url, &cli.workflows, Arc::new(SystemClock)).await?;
            ledger(&app, command).await
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
            header_timeout_secs,
            request_timeout_secs,
            max_connections,
            admin_token_file,
            trusted_origin,
        } => {
            let limits = crate::http::serve::Limits {
                header_read: std::time::Duration::from_secs(header_timeout_secs.max(1)),
                request: std::time::Duration::from_secs(request_timeout_secs.max(1)),
                max_connections: max_connections.max(1),
            };
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
            bootstrap(&app, &admin_token_file).await?;
            for (name, role, token) in &tokens {
                println!("  {role:<18} {name:<12} {token}");
            }
            let listener = tokio::net::TcpListener::bind(&bind)
                .await
                .map_err(|e| Failure(format!("cannot listen on {bind}: {e}")))?;
            let addr = listener
                .local_addr()
                .map_err(|e| Failure(format!("cannot listen on {bind}: {e}")))?;
            println!(
                "anju serving {} on http://{addr}/ (API docs: http://{addr}/api/docs)",
                app.store.backend()
            );
            let mut web = crate::http::Web::new(app, templates);
            web.trusted_origins = trusted_origin;
            let web = Arc::new(web);
            crate::http::serve::serve(listener, crate::http::router(web), limits, async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await;
            Ok(())
        }
    }
}

/// On an empty database, creates the administrator and writes its token to a new file only its
/// owner may read: a token printed to the terminal of a service ends up in its journal, where
/// it stays. The file is created before the account, so a token is never made and lost.
async fn bootstrap(app: &App, path: &std::path::Path) -> Result<(), Failure> {
    use std::io::Write;
    if !crate::app::users::needs_bootstrap(app).await? {
        return Ok(());
    }
    let mut open = std::fs::OpenOptions::new();
    open.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
    let mut f = open.open(path).map_err(|e| {
        Failure(format!(
            "empty database, but the administrator's token file {} cannot be created ({e}); remove it or pass --admin-token-file, or create the administrator with `anju users add admin --role admin`",
            path.display()
        ))
    })?;
    let admin = crate::app::users::bootstrap_admin(app)
        .await?
        .ok_or_else(|| Failure("another process created the first user meanwhile".into()))?;
    writeln!(f, "{}", admin.token)
        .and_then(|()| f.sync_all())
        .map_err(|e| Failure(format!("{}: {e}", path.display())))?;
    println!(
        "empty database: created the administrator \"admin\"; its token is in {} (readable by you only). Sign in with it, then delete the file.",
        path.display()
    );
    Ok(())
}

async fn users(app: &App, cmd: UsersCmd) -> Result<(), Failure> {
    use crate::app::users as au;
    let id = |name: String| async move { au::user_id_by_name(app, &name).await };
    match cmd {
        UsersCmd::Add {
            name,
            role,
            org,
            days,
        } => {
            let role: Role = role.parse().map_err(Failure)?;
            let c = au::create_user(app, None, &name, role, org.as_deref(), days).await?;
            println!(
                "user {} ({}) created; token (shown once, valid until {}):\n{}",
                c.user.name, c.user.role, c.token_expires_at, c.token
            );
        }
        UsersCmd::List => {
            let admin = User {
                id: 0,
                name: "cli".into(),
                role: Role::Admin,
                org: None,
            };
            for a in au::accounts(app, &admin).await? {
                println!(
                    "{:>4}  {:<16} {:<18} {:<20} created {} by {:<10} {}  tokens {} sessions {}",
                    a.user.id,
                    a.user.name,
                    a.user.role.key(),
                    a.user.org.as_deref().unwrap_or("-"),
                    a.created_at.format("%Y-%m-%d"),
                    a.created_by.as_deref().unwrap_or("cli"),
                    if a.disabled { "DISABLED" } else { "active" },
                    a.working_tokens,
                    a.open_sessions
                );
            }
        }
        UsersCmd::Disable { name } => {
            au::disable(app, None, id(name.clone()).await?).await?;
            println!("{name} disabled; every token and session ended");
        }
        UsersCmd::Enable { name } => {
            au::enable(app, None, id(name.clone()).await?).await?;
            println!("{name} enabled; give it a token with `anju users rotate {name}`");
        }
        UsersCmd::Revoke { name } => {
            let n = au::revoke(app, None, id(name.clone()).await?).await?;
            println!("{name}: {n} token(s) and session(s) ended");
        }
        UsersCmd::Rotate { name, days } => {
            let i = au::rotate(app, None, id(name.clone()).await?, days).await?;
            println!(
                "{name}: old tokens and sessions ended; new token (shown once, valid until {}):\n{}",
                i.token_expires_at, i.token
            );
        }
    }
    Ok(())
}

fn print_json<T: serde::Serialize>(v: &T) -> Result<(), Failure> {
    println!(
        "{}",
        serde_json::to_string_pretty(v).map_err(|e| Failure(format!("error: {e}")))?
    );
    Ok(())
}

/// Resolves `--exception-id` against the database (only when one is given).
async fn cli_waiver(
    workflows: &std::path::Path,
    url: &str,
    id: Option<i64>,
) -> Result<Option<crate::app::pricing::Waiver>, Failure> {
    match id {
        None => Ok(None),
        Some(_) => {
            let app = open_app(url, workflows, Arc::new(SystemClock)).await?;
            Ok(app.waiver(id).await?)
        }
    }
}

async fn price(workflows: &std::path::Path, url: &str, cmd: PriceCmd) -> Result<(), Failure> {
    use crate::app::flow::DecimalText as D;
    use crate::app::pricing::{self as p, PriceCalc};
    let registry = load_registry(workflows)?;
    let calc = PriceCalc(&registry);
    let d = |s: String| D(s);
    let answer = match cmd {
        PriceCmd::Ceiling {
            policy,
            land_per_m2,
            construction_per_m2,
            profit_rate,
            area_m2,
        } => calc.price_ceiling(&p::CeilingRequest {
            policy: Some(policy),
            land_per_m2: d(land_per_m2),
            construction_per_m2: d(construction_per_m2),
            profit_rate: d(profit_rate),
            area_m2: area_m2.map(d),
        })?,
        PriceCmd::Rent {
            policy,
            market_rent_per_m2,
            area_m2,
            ratio,
            exception_id,
        } => {
            let w = cli_waiver(workflows, url, exception_id).await?;
            calc.price_rent(
                &p::RentRequest {
                    policy: Some(policy),
                    market_rent_per_m2: d(market_rent_per_m2),
                    area_m2: d(area_m2),
                    ratio: ratio.map(d),
                    exception_id,
                },
                w.as_ref(),
            )?
        }
        PriceCmd::RentChange {
            policy,
            old_rent_per_m2,
            new_rent_per_m2,
            last_adjusted,
            effective_date,
            exception_id,
        } => {
            let w = cli_waiver(workflows, url, exception_id).await?;
            calc.price_rent_change(
                &p::RentChangeRequest {
                    policy: Some(policy),
                    old_rent_per_m2: d(old_rent_per_m2),
                    new_rent_per_m2: d(new_rent_per_m2),
                    last_adjusted,
                    effective_date,
                    exception_id,
                },
                w.as_ref(),
            )?
        }
        PriceCmd::Buyback {
            policy,
            original_price,
            delivered,
            title_date,
            agreement_date,
            rate,
            case,
            appraised_price,
            unused_maintenance_fund,
            exception_id,
        } => {
            let w = cli_waiver(workflows, url, exception_id).await?;
            calc.price_buyback(
                &p::BuybackRequest {
                    policy,
                    original_price: d(original_price),
                    delivered,
                    title_date,
                    agreement_date,
                    rate: rate.map(d),
                    case,
                    appraised_price: appraised_price.map(d),
                    unused_maintenance_fund: unused_maintenance_fund.map(d),
                    exception_id,
                },
                w.as_ref(),
            )?
        }
        PriceCmd::Resettlement {
            policy,
            acquisition_price,
            taxes,
            rate,
            from,
            to,
            day_count,
        } => calc.price_resettlement(&p::ResettlementRequest {
            policy: Some(policy),
            acquisition_price: d(acquisition_price),
            taxes: d(taxes),
            rate: d(rate),
            from,
            to,
            day_count,
        })?,
        PriceCmd::SaleBase {
            policy,
            cost_per_m2,
            profit_rate,
        } => calc.price_sale_base(&p::SaleBaseRequest {
            policy: Some(policy),
            cost_per_m2: d(cost_per_m2),
            profit_rate: d(profit_rate),
        })?,
        PriceCmd::Units {
            policy,
            base_per_m2,
            units,
            factors,
            output,
            title,
        } => {
            let bytes = std::fs::read(&units)
                .map_err(|e| Failure(format!("error: {}: {e}", units.display())))?;
            let list = crate::excel::schedule::parse_sale_units(&bytes)
                .map_err(|cells| Failure::from(AppError::Workbook(cells)))?;
            let text = std::fs::read_to_string(&factors)
                .map_err(|e| Failure(format!("error: {}: {e}", factors.display())))?;
            let req = p::UnitsRequest {
                policy: Some(policy),
                base_per_m2: d(base_per_m2),
                units: list
                    .into_iter()
                    .map(|u| p::UnitInput {
                        room: u.room,
                        building: u.building,
                        floor: u.floor,
                        orientation: u.orientation,
                        layout: u.layout,
                        area_m2: D(u.area_m2.to_string()),
                    })
                    .collect(),
                factors: p::FactorsInput::from_toml(&text)?,
            };
            let (answer, schedule) = calc.price_units(&req)?;
            let xlsx = crate::excel::schedule::schedule_xlsx(&title, &answer.rules, &schedule);
            std::fs::write(&output, xlsx)
                .map_err(|e| Failure(format!("error: {}: {e}", output.display())))?;
            answer
        }
        PriceCmd::Daxie { amount } => p::price_daxie(&amount)?,
    };
    print_json(&answer)
}

async fn ledger(app: &App, cmd: LedgerCmd) -> Result<(), Failure> {
    use crate::app::ledger::Checkpoint;
    // The CLI runs with the database's own authority (an auditor at the server's console).
    let auditor = crate::store::users::User {
        id: 0,
        name: "cli".into(),
        role: Role::FinanceBureau,
        org: None,
    };
    match cmd {
        LedgerCmd::Verify { checkpoint } => {
            let cp: Option<Checkpoint> = match checkpoint {
                None => None,
                Some(p) => {
                    let text = std::fs::read_to_string(&p)
                        .map_err(|e| Failure(format!("error: {}: {e}", p.display())))?;
                    Some(serde_json::from_str(&text).map_err(|e| {
                        Failure(format!("error: {} is not a checkpoint: {e}", p.display()))
                    })?)
                }
            };
            let r = app.verify_ledger(cp.as_ref()).await?;
            print_json(&r)?;
            if r.ok {
                Ok(())
            } else {
                Err(Failure(format!(
                    "ledger verification failed at entry {}: {}",
                    r.broken_at.unwrap_or_default(),
                    r.reason.unwrap_or_default()
                )))
            }
        }
        LedgerCmd::Checkpoint { output } => {
            let c = app.ledger_checkpoint().await?;
            let text = serde_json::to_string_pretty(&c).expect("checkpoint serialises");
            match output {
                Some(p) => std::fs::write(&p, &text)
                    .map_err(|e| Failure(format!("error: {}: {e}", p.display())))?,
                None => println!("{text}"),
            }
            Ok(())
        }
        LedgerCmd::TrialBalance { format } => {
            let rows = app.trial_balance(&auditor).await?;
            match format {
                TableFormat::Json => print_json(&rows),
                TableFormat::Csv => {
                    let mut w = csv::Writer::from_writer(std::io::stdout());
                    w.write_record(["account", "kind", "project", "source", "balance"])
                        .map_err(|e| Failure(format!("error: {e}")))?;
                    for r in rows {
                        w.write_record([
                            r.account.as_str(),
                            &crate::util::enum_key(&r.kind),
                            r.project.as_deref().unwrap_or(""),
                            r.source.map(|s| s.key()).unwrap_or(""),
                            &r.balance.to_string(),
                        ])
                        .map_err(|e| Failure(format!("error: {e}")))?;
                    }
                    w.flush().map_err(|e| Failure(format!("error: {e}")))
                }
            }
        }
        LedgerCmd::Report { project, output } => {
            let r = app.project_report(&auditor, &project).await?;
            std::fs::write(&output, crate::excel::ledger_report::project_workbook(&r))
                .map_err(|e| Failure(format!("error: {}: {e}", output.display())))?;
            println!("wrote {}", output.display());
            Ok(())
        }
        LedgerCmd::Export { format } => {
            print!("{}", app.ledger_export(format).await?);
            Ok(())
        }
    }
}
