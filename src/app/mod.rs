//! Commands and queries: the one place that opens a transaction, loads what the domain needs,
//! asks the pure core to decide, and writes the decision. HTTP, pages and the CLI all call here.
//!
//! Architecture invariant: a command is one transaction, begun and committed here; `app/` knows
//! no JSON shapes of the HTTP API beyond the serde types it returns, and reads the clock only
//! through [`Clock`].

pub mod acquirers;
pub mod allocation;
pub mod bids;
pub mod error;
pub mod facts;
pub mod flow;
pub mod ledger;
pub mod ledger_report;
pub mod negotiation;
pub mod pricing;
pub mod proposals;
pub mod recon;
pub mod rents;
pub mod sales;
pub mod users;
pub mod views;

pub use error::AppError;

use crate::domain::calendar::{BUILTIN_YEARS, HolidayFile, WorkCalendar};
use crate::store::{Store, Tx, instances, users::User};
use crate::workflow::def::WorkflowDef;
use crate::workflow::pack::Pack;
use crate::workflow::registry::Registry;
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, RwLock};

/// Where the time comes from. The server uses the system clock; tests move a fixed one.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;
impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until moved (tests, demo).
pub struct FixedClock(Mutex<DateTime<Utc>>);
impl FixedClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        FixedClock(Mutex::new(at))
    }
    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().expect("clock lock") = at;
    }
}
impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock lock")
    }
}

/// China Standard Time: the day on which periods are counted.
pub fn china_today(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&FixedOffset::east_opt(8 * 3600).expect("valid offset"))
        .date_naive()
}

/// An instant as people here read it: Beijing time, `2026-12-01 08:00（北京时间）`. Every time a
/// person reads — in a page or an error — is written so; the database keeps UTC.
pub fn beijing(t: DateTime<Utc>) -> String {
    format!(
        "{}（北京时间）",
        t.with_timezone(&FixedOffset::east_opt(8 * 3600).expect("valid offset"))
            .format("%Y-%m-%d %H:%M")
    )
}

pub type BoxFut<'a, T> = Pin<Box<dyn Future<Output = Result<T, AppError>> + Send + 'a>>;

/// Boxes a command body so [`App::command`] can run it inside its transaction.
pub fn boxed<'a, T>(f: impl Future<Output = Result<T, AppError>> + Send + 'a) -> BoxFut<'a, T> {
    Box::pin(f)
}

/// An `Idempotency-Key` with the hash of the request it came with.
pub struct Idem {
    pub key: String,
    pub request_hash: String,
}

/// How many uploaded workbooks are parsed at once, each on a blocking thread: with the caps of
/// `excel::guard`, this bounds what uploads can take of memory and CPU, and parsing never runs on
/// the async workers that answer everyone else.
pub const PARSE_SLOTS: usize = 2;

pub struct App {
    pub store: Store,
    pub registry: Registry,
    /// Every definition met so far by content hash, including ones no file holds any more.
    defs: RwLock<HashMap<String, Arc<WorkflowDef>>>,
    calendar: RwLock<Arc<WorkCalendar>>,
    pub clock: Arc<dyn Clock>,
    parse_slots: Arc<tokio::sync::Semaphore>,
}

impl App {
    /// Builds the app: records the current definitions' sources (so instances can keep running
    /// on them later) and seeds the shipped holiday calendars into an empty calendar table.
    pub async fn new(
        store: Store,
        registry: Registry,
        clock: Arc<dyn Clock>,
    ) -> Result<App, AppError> {
        let now = clock.now();
        let mut tx = store.begin().await?;
        let mut defs = HashMap::new();
        for def in registry.defs.values() {
            let wf_source = def_source_text(def);
            instances::remember_def(
                &mut tx,
                &def.hash,
                &def.key,
                &wf_source,
                &def.pack.source_text,
                now,
            )
            .await?;
            defs.insert(def.hash.clone(), def.clone());
        }
        let have = crate::store::calendar::years(&mut tx).await?;
        if have.is_empty() {
            for (year, text) in BUILTIN_YEARS {
                crate::store::calendar::put_year(
                    &mut tx,
                    *year,
                    text,
                    "anju (shipped holiday-cn data)",
                    now,
                )
                .await?;
            }
        }
        let years = crate::store::calendar::years(&mut tx).await?;
        tx.commit().await?;
        let calendar = build_calendar(&years)?;
        Ok(App {
            store,
            registry,
            defs: RwLock::new(defs),
            calendar: RwLock::new(Arc::new(calendar)),
            clock,
            parse_slots: Arc::new(tokio::sync::Semaphore::new(PARSE_SLOTS)),
        })
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Parses an upload on the blocking pool, at most [`PARSE_SLOTS`] at once (a caller waits
    /// for a slot). The slot is held by the parse itself, so a request given up while parsing
    /// still counts until its parse ends.
    pub async fn parse<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let slot = self
            .parse_slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| AppError::Internal(format!("parse slots closed: {e}")))?;
        tokio::task::spawn_blocking(move || {
            let out = f();
            drop(slot);
            out
        })
        .await
        .map_err(|e| AppError::Internal(format!("the parse failed: {e}")))
    }
    pub fn today(&self) -> NaiveDate {
        china_today(self.now())
    }

    pub fn calendar(&self) -> Arc<WorkCalendar> {
        self.calendar.read().expect("calendar lock").clone()
    }

    /// Reloads the calendar from the database (after an import).
    pub async fn reload_calendar(&self) -> Result<(), AppError> {
        let mut tx = self.store.read().await?;
        let years = crate::store::calendar::years(&mut tx).await?;
        drop(tx);
        *self.calendar.write().expect("calendar lock") = Arc::new(build_calendar(&years)?);
        Ok(())
    }

    pub fn pack(&self, key: &str) -> Result<&Pack, AppError> {
        self.registry.packs.get(key).ok_or_else(|| {
            AppError::invalid(
                "pack",
                format!(
                    "unknown policy pack {key:?}; known: {}",
                    self.registry
                        .packs
                        .keys()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })
    }

    /// The definition an instance runs on, by the content hash it started with.
    pub async fn def_by_hash(&self, tx: &mut Tx, hash: &str) -> Result<Arc<WorkflowDef>, AppError> {
        if let Some(d) = self.defs.read().expect("defs lock").get(hash) {
            return Ok(d.clone());
        }
        let (key, wf, policy) = instances::def_sources(tx, hash)
            .await?
            .ok_or_else(|| AppError::Internal(format!("definition {hash} is not stored")))?;
        let (pack_key, _) = key.split_once('/').unwrap_or((&key, ""));
        let pack = Pack::parse(&format!("stored:{key}:policy"), pack_key, &policy)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let def = WorkflowDef::parse(&format!("stored:{key}"), &wf, &pack).map_err(|e| {
            AppError::Internal(
                e.iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        })?;
        let def = Arc::new(def);
        self.defs
            .write()
            .expect("defs lock")
            .insert(hash.to_string(), def.clone());
        Ok(def)
    }

    /// The current definition of `key` (for new instances).
    pub fn current_def(&self, key: &str) -> Result<Arc<WorkflowDef>, AppError> {
        self.registry
            .get(key)
            .cloned()
            .ok_or_else(|| AppError::Internal(format!("no workflow {key}")))
    }

    /// Runs one command in one transaction. With an idempotency key, a replay of the same request
    /// returns the first answer and writes nothing; the same key with another request is refused.
    /// The answer is stored in the same transaction as the command's writes.
    pub async fn command<T, F>(
        &self,
        actor: &User,
        idem: Option<&Idem>,
        status: u16,
        f: F,
    ) -> Result<(u16, T), AppError>
    where
        T: Serialize + DeserializeOwned + Send,
        F: for<'a> FnOnce(&'a App, &'a mut Tx) -> BoxFut<'a, T> + Send,
    {
        let mut tx = self.store.begin().await?;
        if let Some(idem) = idem
            && let Some(rec) = instances::idem_get(&mut tx, actor.id, &idem.key).await?
        {
            return replay(rec, idem);
        }
        let out = f(self, &mut tx).await?;
        if let Some(idem) = idem {
            let body =
                serde_json::to_string(&out).map_err(|e| AppError::Internal(e.to_string()))?;
            let rec = instances::IdemRecord {
                request_hash: idem.request_hash.clone(),
                status: i64::from(status),
                body,
            };
            if let Err(e) =
                instances::idem_put(&mut tx, actor.id, &idem.key, &rec, self.now()).await
            {
                if crate::store::is_unique_violation(&e) {
                    // The same key committed concurrently: answer as a replay of that one.
                    drop(tx);
                    let mut tx = self.store.read().await?;
                    if let Some(rec) = instances::idem_get(&mut tx, actor.id, &idem.key).await? {
                        return replay(rec, idem);
                    }
                }
                return Err(e.into());
            }
        }
        tx.commit().await?;
        Ok((status, out))
    }
}

fn replay<T: DeserializeOwned>(
    rec: instances::IdemRecord,
    idem: &Idem,
) -> Result<(u16, T), AppError> {
    if rec.request_hash != idem.request_hash {
        return Err(AppError::Rule {
            code: "idempotency_key_reused",
            rule: "HTTP-IDEMPOTENCY".into(),
            message: format!(
                "idempotency key {:?} was already used for a different request",
                idem.key
            ),
        });
    }
    let body = serde_json::from_str(&rec.body).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok((u16::try_from(rec.status).unwrap_or(200), body))
}

fn build_calendar(years: &[(i32, String)]) -> Result<WorkCalendar, AppError> {
    let mut cal = WorkCalendar::default();
    for (year, text) in years {
        let file = HolidayFile::parse(text)
            .map_err(|e| AppError::Internal(format!("stored calendar {year}: {e}")))?;
        cal.add(file)
            .map_err(|e| AppError::Internal(format!("stored calendar {year}: {e}")))?;
    }
    Ok(cal)
}

/// The workflow text of a definition as loaded (kept for content versioning).
fn def_source_text(def: &WorkflowDef) -> String {
    def.source_text.clone()
}

impl App {
    /// Imports (or replaces) a year's official holiday notice; deadlines in that year become
    /// computable.
    pub async fn import_calendar(&self, text: &str, by: &str) -> Result<i32, AppError> {
        let file = HolidayFile::parse(text)?;
        let year = file.year();
        // Check it merges with the years already loaded (other than the one it replaces).
        let mut tx = self.store.begin().await?;
        let others: Vec<(i32, String)> = crate::store::calendar::years(&mut tx)
            .await?
            .into_iter()
            .filter(|(y, _)| *y != year)
            .collect();
        let mut cal = build_calendar(&others)?;
        cal.add(file)?;
        crate::store::calendar::put_year(&mut tx, year, text, by, self.now()).await?;
        tx.commit().await?;
        self.reload_calendar().await?;
        Ok(year)
    }
}
