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
//! - `bare`: one transaction of one UPDATE and one INSERT on the same pool, same durability.
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
/// 50 engine actions and 50 bare transactions, alternating, 21 pairs — and prints each pair's
/// rate ratio and their median: the figure BENCHMARKS.md quotes beside criterion's means.
fn paired(rt: &tokio::runtime::Runtime, fx: &Fixture, name: &str) {
    let mut ratios = Vec::new();
    rt.block_on(async {
        for _ in 0..21 {
            let t = Instant::now();
            for _ in 0..50 {
                bare(&fx.app.store).await;
            }
            let bare_t = t.elapsed();
            let t = Instant::now();
            for _ in 0..50 {
                fx.act_once().await;
            }
            let engine_t = t.elapsed();
            ratios.push(bare_t.as_secs_f64() / engine_t.as_secs_f64());
            println!(
                "paired {name}: bare {:.1} µs, engine {:.1} µs per action, engine rate = {:.1} % of bare",
                bare_t.as_secs_f64() * 1e6 / 50.0,
                engine_t.as_secs_f64() * 1e6 / 50.0,
                100.0 * ratios.last().unwrap()
            );
        }
    });
    ratios.sort_by(f64::total_cmp);
    println!(
        "paired {name} median: engine rate = {:.1} % of the bare transaction's (min {:.1} %, max {:.1} %)",
        100.0 * ratios[ratios.len() / 2],
        100.0 * ratios[0],
        100.0 * ratios[ratios.len() - 1]
    );
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}", dir.path().join("bench.db").display());
    run_backend(c, &rt, "sqlite", &sqlite);

    common::with_postgres(&rt, "anju_bench", |url| {
        run_backend(c, &rt, "postgres", url)
    });
}

criterion_group!(group, benches);
criterion_main!(group);
