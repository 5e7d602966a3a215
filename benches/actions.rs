//! Persisted workflow actions per second, beside the disk's limit (issue 2).
//!
//! For each backend (a SQLite file with the product's own settings — WAL, synchronous=FULL,
//! BEGIN IMMEDIATE — and a fresh PostgreSQL database with its defaults, synchronous_commit=on)
//! this measures in the same run:
//! - `engine`: one workflow action through `App::act`, the production path: role check, the
//!   action's guards (HS-A8 documents_complete reads the listing's documents; the comment guard),
//!   the definition by content hash, the optimistic version check, `UPDATE instances`, the history
//!   INSERT and the commit. The listing alternates `return_to_developer` (housing bureau) and
//!   `submit_for_review` (developer), a cycle the Huoshan flow allows forever.
//! - `bare`: one transaction of one UPDATE and one INSERT on the same pool (on SQLite the
//!   store's writer connection), same durability.
//! - `paired`: the two interleaved in blocks (see [`paired`]), and on SQLite `contended`: eight
//!   tasks committing at once, on the store's one writer connection and on a shared pool of eight.
//!
//! Run: `cargo bench --bench actions`. Figures go in BENCHMARKS.md. Without PostgreSQL the PG
//! group is skipped with a message, except under CI=true, where that is a failure.

mod common;

use anju::app::flow::{ActionRequest, NewListing, NewRound};
use anju::app::{App, FixedClock};
use anju::domain::review::{ConstructionState, OfferScope};
use anju::domain::role::Role;
use anju::domain::survey::{RespondentKind, SurveyReturn};
use anju::domain::unit_list::UnitRow;
use anju::domain::units::AreaM2;
use anju::store::Store;
use anju::store::users::User;
use anju::workflow::registry::Registry;
use chrono::{TimeZone, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rust_decimal::Decimal;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

struct Fixture {
    app: App,
    hb: User,
    dev: User,
    listing: i64,
    version: AtomicI64,
    start: i64,
}

fn units() -> Vec<UnitRow> {
    let mut out = Vec::new();
    for floor in 2..=11 {
        for (i, a) in ["89.37", "91.20", "118.50"].iter().enumerate() {
            let a: Decimal = a.parse().unwrap();
            out.push(UnitRow {
                building: "3号楼".into(),
                stair_unit: "1单元".into(),
                floor,
                room: format!("{floor}{:02}", i + 1),
                layout: "两室两厅".into(),
                gross_area_m2: AreaM2::new("a", a).unwrap(),
                usable_area_m2: AreaM2::new("a", (a * Decimal::new(8, 1)).round_dp(2)).unwrap(),
                orientation: "南北".into(),
                mortgaged: false,
                seized: false,
            });
        }
    }
    out
}

async fn fixture(url: &str) -> Fixture {
    let store = Store::connect(url).await.unwrap();
    store.migrate().await.unwrap();
    let workflows = Path::new(env!("CARGO_MANIFEST_DIR")).join("workflows");
    let registry = Registry::load(&workflows).unwrap();
    let clock = Arc::new(FixedClock::new(
        Utc.with_ymd_and_hms(2026, 9, 21, 1, 0, 0).unwrap(),
    ));
    let app = App::new(store, registry, clock).await.unwrap();
    let hb = anju::app::users::add_user(&app, "住建局", Role::HousingBureau, None)
        .await
        .unwrap()
        .user;
    let dev = anju::app::users::add_user(&app, "开发商", Role::Developer, Some("甲公司"))
        .await
        .unwrap()
        .user;
    let (_, round) = app
        .create_round(
            &hb,
            None,
            NewRound {
                pack: "huoshan".into(),
                name: "基准测试批次".into(),
            },
        )
        .await
        .unwrap();
    let survey = vec![SurveyReturn {
        respondent: "衡山镇".into(),
        respondent_kind: RespondentKind::Township,
        household_type: "新市民".into(),
        band: "60_90".into(),
        units: 100,
        location: "城区".into(),
    }];
    let (_, round) = app
        .add_survey_returns(&hb, None, round.id, survey)
        .await
        .unwrap();
    let req = |v: i64| ActionRequest {
        expected_version: v,
        comment: None,
        payload: serde_json::Value::Null,
    };
    app.act(&hb, None, round.id, "open_solicitation", req(round.version))
        .await
        .unwrap();
    let (_, l) = app
        .create_listing(
            &dev,
            None,
            round.id,
            NewListing {
                project_name: "迎驾花园".into(),
                address: "霍山县".into(),
                construction_state: ConstructionState::Completed,
                topped_out: true,
                in_delivery_campaign: false,
                delivery_date: None,
                offer_scope: OfferScope::WholeBuilding,
                decoration: "毛坯".into(),
            },
        )
        .await
        .unwrap();
    for kind in app.pack("huoshan").unwrap().required_documents() {
        let bytes = if kind == "unit_list" {
            anju::excel::unit_list::write_unit_list(&units()).unwrap()
        } else {
            format!("{kind} scan").into_bytes()
        };
        app.upload_document(
            &dev,
            None,
            l.id,
            &kind,
            &format!("{kind}.bin"),
            "application/octet-stream",
            bytes,
        )
        .await
        .unwrap();
    }
    let v = app.instance_view(&dev, l.id).await.unwrap();
    Fixture {
        app,
        hb,
        dev,
        listing: l.id,
        version: AtomicI64::new(v.version),
        start: v.version,
    }
}

impl Fixture {
    /// One persisted action. From the set-up version (state `submitted`) the listing goes to
    /// review at odd steps and back at even ones, so the version says which action is next.
    async fn act_once(&self) {
        let v = self.version.load(Ordering::SeqCst);
        let (who, action, comment) = if (v - self.start) % 2 == 0 {
            (&self.dev, "submit_for_review", None)
        } else {
            (
                &self.hb,
                "return_to_developer",
                Some("请补正材料".to_string()),
            )
        };
        let (_, view) = self
            .app
            .act(
                who,
                None,
                self.listing,
                action,
                ActionRequest {
                    expected_version: v,
                    comment,
                    payload: serde_json::Value::Null,
                },
            )
            .await
            .unwrap_or_else(|e| panic!("{action} at version {v}: {e:?}"));
        self.version.store(view.version, Ordering::SeqCst);
    }
}

async fn bare_setup(store: &Store) {
    match store {
        Store::Sqlite { write: p, .. } => {
            sqlx::query("CREATE TABLE IF NOT EXISTS bench_rows (id INTEGER PRIMARY KEY, version INTEGER NOT NULL, state TEXT NOT NULL)").execute(p).await.unwrap();
            sqlx::query("CREATE TABLE IF NOT EXISTS bench_log (id INTEGER PRIMARY KEY, row_id INTEGER NOT NULL, version INTEGER NOT NULL, at TEXT NOT NULL, payload TEXT NOT NULL)").execute(p).await.unwrap();
            sqlx::query("INSERT INTO bench_rows (id, version, state) VALUES (1, 0, 'a') ON CONFLICT DO NOTHING").execute(p).await.unwrap();
        }
        Store::Postgres(p) => {
            sqlx::query("CREATE TABLE IF NOT EXISTS bench_rows (id BIGINT PRIMARY KEY, version BIGINT NOT NULL, state TEXT NOT NULL)").execute(p).await.unwrap();
            sqlx::query("CREATE TABLE IF NOT EXISTS bench_log (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, row_id BIGINT NOT NULL, version BIGINT NOT NULL, at TIMESTAMPTZ NOT NULL, payload TEXT NOT NULL)").execute(p).await.unwrap();
            sqlx::query("INSERT INTO bench_rows (id, version, state) VALUES (1, 0, 'a') ON CONFLICT DO NOTHING").execute(p).await.unwrap();
        }
    }
}

/// One transaction: one UPDATE and one INSERT, committed with the store's durability.
async fn bare(store: &Store) {
    let now = Utc::now();
    match store {
        Store::Sqlite { write: p, .. } => {
            let mut tx = p.begin_with("BEGIN IMMEDIATE").await.unwrap();
            sqlx::query("UPDATE bench_rows SET version = version + 1, state = CASE state WHEN 'a' THEN 'b' ELSE 'a' END WHERE id = 1").execute(&mut *tx).await.unwrap();
            sqlx::query(
                "INSERT INTO bench_log (row_id, version, at, payload) VALUES (1, 0, $1, '{}')",
            )
            .bind(now)
            .execute(&mut *tx)
            .await
            .unwrap();
            tx.commit().await.unwrap();
        }
        Store::Postgres(p) => {
            let mut tx = p.begin().await.unwrap();
            sqlx::query("UPDATE bench_rows SET version = version + 1, state = CASE state WHEN 'a' THEN 'b' ELSE 'a' END WHERE id = 1").execute(&mut *tx).await.unwrap();
            sqlx::query(
                "INSERT INTO bench_log (row_id, version, at, payload) VALUES (1, 0, $1, '{}')",
            )
            .bind(now)
            .execute(&mut *tx)
            .await
            .unwrap();
            tx.commit().await.unwrap();
        }
    }
}

/// For reference only (SQLite): the same transaction sent as one call to sqlx's SQLite worker
/// thread (`BEGIN IMMEDIATE; UPDATE …; INSERT …; COMMIT`) on the same writer connection, so
/// what remains is the pool, SQLite's own work and the WAL's fsync. The target is set against
/// `bare`, the transaction as an application writes it with sqlx (one call per statement); this
/// shows how much of `bare` those calls are.
async fn one_call(store: &Store) {
    let Store::Sqlite { write, .. } = store else {
        return;
    };
    let mut c = write.acquire().await.unwrap();
    sqlx::query("BEGIN IMMEDIATE; UPDATE bench_rows SET version = version + 1, state = CASE state WHEN 'a' THEN 'b' ELSE 'a' END WHERE id = 1; INSERT INTO bench_log (row_id, version, at, payload) VALUES (1, 0, $1, '{}'); COMMIT")
        .bind(Utc::now())
        .execute(&mut *c)
        .await
        .unwrap();
}

fn run_backend(c: &mut Criterion, rt: &tokio::runtime::Runtime, name: &str, url: &str) {
    let fx = rt.block_on(fixture(url));
    rt.block_on(bare_setup(&fx.app.store));
    // Warm both paths once (statement caches, first pages).
    rt.block_on(async {
        fx.act_once().await;
        bare(&fx.app.store).await;
    });
    let mut g = c.benchmark_group(format!("actions/{name}"));
    g.throughput(Throughput::Elements(1));
    g.sample_size(30);
    g.measurement_time(Duration::from_secs(8));
    g.bench_function("engine", |b| {
        b.to_async(rt).iter_custom(|iters| {
            let fx = &fx;
            async move {
                let t = Instant::now();
                for _ in 0..iters {
                    fx.act_once().await;
                }
                t.elapsed()
            }
        })
    });
    g.bench_function("bare", |b| {
        b.to_async(rt).iter_custom(|iters| {
            let store = &fx.app.store;
            async move {
                let t = Instant::now();
                for _ in 0..iters {
                    bare(store).await;
                }
                t.elapsed()
            }
        })
    });
    g.finish();
    paired(rt, &fx, name);
}

/// Criterion times the engine and the bare transaction a minute apart, and this VM's disk
/// latency drifts by tens of percent over minutes. This measures them interleaved — blocks of
/// 50 engine actions and 50 bare transactions, 41 pairs, which side goes first alternating from
/// pair to pair — and prints each pair's rate ratio, their median and quartiles: the figures
/// BENCHMARKS.md quotes beside criterion's means. On SQLite each pair also times 50 one-call
/// transactions (`one_call`), for reference.
fn paired(rt: &tokio::runtime::Runtime, fx: &Fixture, name: &str) {
    let sqlite = matches!(fx.app.store, Store::Sqlite { .. });
    let mut ratios = Vec::new();
    let mut to_one_call = Vec::new();
    rt.block_on(async {
        for pair in 0..41 {
            let block = |side: u8| async move {
                let t = Instant::now();
                for _ in 0..50 {
                    match side {
                        0 => bare(&fx.app.store).await,
                        1 => fx.act_once().await,
                        _ => one_call(&fx.app.store).await,
                    }
                }
                t.elapsed().as_secs_f64()
            };
            let (bare_t, engine_t) = if pair % 2 == 0 {
                let b = block(0).await;
                (b, block(1).await)
            } else {
                let e = block(1).await;
                (block(0).await, e)
            };
            ratios.push(bare_t / engine_t);
            if sqlite {
                to_one_call.push(block(2).await / engine_t);
            }
            println!(
                "paired {name}: bare {:.1} µs, engine {:.1} µs per action, engine rate = {:.1} % of bare",
                bare_t * 1e6 / 50.0,
                engine_t * 1e6 / 50.0,
                100.0 * ratios.last().unwrap()
            );
        }
    });
    let spread = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        let at = |q: f64| 100.0 * v[((v.len() - 1) as f64 * q) as usize];
        format!(
            "{:.1} % (quartiles {:.1}–{:.1} %, min {:.1} %, max {:.1} %)",
            at(0.5),
            at(0.25),
            at(0.75),
            at(0.0),
            at(1.0)
        )
    };
    println!(
        "paired {name} median: engine rate = {} of the bare transaction's",
        spread(&mut ratios)
    );
    if sqlite {
        println!(
            "paired {name} median, for reference: engine rate = {} of a one-call transaction's",
            spread(&mut to_one_call)
        );
    }
}

/// Why SQLite's store has one writer connection: eight tasks each commit 50 bare transactions
/// at once, on the store as `Store::connect` opens it (write transactions queue for one
/// connection in the pool) and on one pool of eight connections shared by reads and writes (the
/// store before 2026-12-01), where waiting writers sleep in SQLite's busy handler. Three rounds,
/// alternating; prints throughput and the latency of one transaction (p50, p99, max).
fn contended(rt: &tokio::runtime::Runtime, dir: &Path) {
    use sqlx::sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
    };
    let one_writer = rt.block_on(async {
        let url = format!("sqlite://{}", dir.join("one_writer.db").display());
        let s = Store::connect(&url).await.unwrap();
        bare_setup(&s).await;
        s
    });
    let shared_pool = rt.block_on(async {
        let opts = SqliteConnectOptions::new()
            .filename(dir.join("shared_pool.db"))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30));
        let p = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(opts)
            .await
            .unwrap();
        let s = Store::Sqlite {
            write: p.clone(),
            read: p,
        };
        bare_setup(&s).await;
        s
    });
    for round in 0..6 {
        let (name, store) = if round % 2 == 0 {
            ("one writer connection", &one_writer)
        } else {
            ("one shared pool of 8", &shared_pool)
        };
        let t = Instant::now();
        let mut ms: Vec<f64> = rt.block_on(async {
            let tasks: Vec<_> = (0..8)
                .map(|_| {
                    let store = store.clone();
                    tokio::spawn(async move {
                        let mut out = Vec::with_capacity(50);
                        for _ in 0..50 {
                            let t = Instant::now();
                            bare(&store).await;
                            out.push(t.elapsed().as_secs_f64() * 1e3);
                        }
                        out
                    })
                })
                .collect();
            let mut all = Vec::new();
            for t in tasks {
                all.extend(t.await.unwrap());
            }
            all
        });
        let secs = t.elapsed().as_secs_f64();
        ms.sort_by(f64::total_cmp);
        let at = |q: f64| ms[((ms.len() - 1) as f64 * q) as usize];
        println!(
            "contended sqlite, {name}: 8 tasks x 50 transactions, {:.0} tx/s; latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            ms.len() as f64 / secs,
            at(0.5),
            at(0.99),
            at(1.0)
        );
    }
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}", dir.path().join("bench.db").display());
    run_backend(c, &rt, "sqlite", &sqlite);
    contended(&rt, dir.path());

    common::with_postgres(&rt, "anju_bench", |url| {
        run_backend(c, &rt, "postgres", url)
    });
}

criterion_group!(group, benches);
criterion_main!(group);
