//! Storage on SQLite (default, a file in the working directory) or PostgreSQL, with the native
//! driver of each (no `Any`). Every query is written once: the `$N` placeholders, `RETURNING`
//! and the column types used mean the same on both, and [`on_tx!`] compiles the same body
//! against each backend's connection.
//!
//! Architecture invariant: only `store/` writes SQL; every command runs in one [`Tx`].

pub mod allocation;
pub mod bids;
pub mod calendar;
pub mod instances;
pub mod ledger;
pub mod listings;
pub mod proposals;
pub mod recon;
pub mod rents;
pub mod users;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Postgres, Sqlite};
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, Clone)]
pub enum Store {
    /// SQLite admits one writer at a time, so write transactions share one connection (`write`)
    /// and queue for it in the pool, first come first served, instead of retrying inside
    /// SQLite's busy handler. The one writer also keeps its page cache from command to command:
    /// in WAL mode a connection that did not make the last commit drops its whole cache when
    /// its next transaction starts, and re-reads every page it touches. Pages and reports read
    /// on `read`, beside the writer (WAL readers do not block it).
    Sqlite {
        write: sqlx::SqlitePool,
        read: sqlx::SqlitePool,
    },
    Postgres(sqlx::PgPool),
}

/// A database transaction on either backend. Commands take `&mut Tx`; dropping it rolls back.
pub enum Tx {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    Postgres(sqlx::Transaction<'static, Postgres>),
    /// A PostgreSQL connection in autocommit: every statement is its own transaction. Only the
    /// workflow action's fast path uses it (see `App::act`): its reads, then its one write
    /// statement, which moves the instance and appends the history entry together. Under READ
    /// COMMITTED — the isolation of `Postgres` above — a read in a transaction sees what it
    /// would see outside one, so the command means the same, with two round trips fewer.
    PgAuto(sqlx::pool::PoolConnection<Postgres>),
}

/// Runs the same body against the backend's connection: `on_tx!(tx, c => query.fetch_one(&mut *c).await)`.
#[macro_export]
macro_rules! on_tx {
    ($tx:expr, $c:ident => $body:expr) => {
        match &mut *$tx {
            $crate::store::Tx::Sqlite(t) => {
                let $c: &mut sqlx::SqliteConnection = &mut *t;
                $body
            }
            other => {
                let $c: &mut sqlx::PgConnection = other.pg();
                $body
            }
        }
    };
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Default database: `anju.db` in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://anju.db";

impl Store {
    /// Opens (creating if missing) the database named by `url`: `sqlite://path`, a bare file path,
    /// or `postgres://…`. SQLite runs in WAL with synchronous=FULL: these are legal and money
    /// records, and a commit must survive a power cut.
    pub async fn connect(url: &str) -> Result<Store, sqlx::Error> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(10)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            return Ok(Store::Postgres(pool));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30));
        // No ping before handing out a connection: it tests that a network peer is still
        // there, and a SQLite connection is a file handle in this process (a dead worker
        // thread fails the next statement anyway). The writer is opened first: it creates the
        // file and puts it in WAL mode.
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(opts.clone())
            .await?;
        let read = SqlitePoolOptions::new()
            .max_connections(8)
            .test_before_acquire(false)
            .connect_with(opts)
            .await?;
        Ok(Store::Sqlite { write, read })
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Store::Sqlite { .. } => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        match self {
            Store::Sqlite { write, .. } => SQLITE_MIGRATIONS.run(write).await,
            Store::Postgres(p) => POSTGRES_MIGRATIONS.run(p).await,
        }
    }

    /// A write transaction. On SQLite it runs on the one writer connection and takes the write
    /// lock at once (`BEGIN IMMEDIATE`), so a command never fails to upgrade a read lock, also
    /// when another process (the CLI) writes to the same file.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Store::Sqlite { write, .. } => Tx::Sqlite(write.begin_with("BEGIN IMMEDIATE").await?),
            Store::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// An autocommit connection on PostgreSQL (`None` on SQLite, whose commands need
    /// `BEGIN IMMEDIATE` to take the write lock before they read).
    pub async fn autocommit(&self) -> Result<Option<Tx>, sqlx::Error> {
        Ok(match self {
            Store::Sqlite { .. } => None,
            Store::Postgres(p) => Some(Tx::PgAuto(p.acquire().await?)),
        })
    }

    /// A read transaction: one consistent snapshot for a page or a report.
    pub async fn read(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Store::Sqlite { read, .. } => Tx::Sqlite(read.begin().await?),
            Store::Postgres(p) => Tx::Postgres(
                p.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await?,
            ),
        })
    }

    pub async fn close(&self) {
        match self {
            Store::Sqlite { write, read } => {
                read.close().await;
                write.close().await;
            }
            Store::Postgres(p) => p.close().await,
        }
    }
}

impl Tx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(t) => t.commit().await,
            Tx::Postgres(t) => t.commit().await,
            // Each statement committed as it ran.
            Tx::PgAuto(_) => Ok(()),
        }
    }

    /// The PostgreSQL connection under a transaction or an autocommit connection.
    pub fn pg(&mut self) -> &mut sqlx::PgConnection {
        match self {
            Tx::Postgres(t) => t,
            Tx::PgAuto(c) => c,
            Tx::Sqlite(_) => unreachable!("on_tx! matches SQLite first"),
        }
    }

    pub fn is_autocommit(&self) -> bool {
        matches!(self, Tx::PgAuto(_))
    }
}

/// Whether an error is a unique-key violation (a conflict, never a 500).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}
