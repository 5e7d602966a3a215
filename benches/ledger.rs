//! Fund-ledger throughput (issue 5): postings per second, one entry per transaction and in
//! batches of 500 entries, and the trial balance over 1,000,000 postings, on SQLite and
//! PostgreSQL. A posting is one line; every entry here has two.
//!
//! Run: `cargo bench --bench ledger`. Figures go in BENCHMARKS.md. Without PostgreSQL the PG
//! group is skipped with a message, except under CI=true, where that is a failure.

mod common;

use anju::app::flow::DecimalText;
use anju::app::ledger::{LineInput, NewAccount, NewEntry};
use anju::app::{App, FixedClock};
use anju::domain::ledger::{AccountKind, EntryKind, FundSource};
use anju::domain::role::Role;
use anju::store::Store;
use anju::store::users::User;
use anju::workflow::registry::Registry;
use chrono::{TimeZone, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const FUND: &str = "Assets:Fund:R1:SpecialBond:Acquisition";
const SOURCE: &str = "Liabilities:Source:R1:SpecialBond";
const BATCH: usize = 500;
const MILLION: usize = 1_000_000;

struct Fx {
    app: App,
    acq: User,
    auditor: User,
    next: AtomicU64,
}

async fn fixture(url: &str) -> Fx {
    let store = Store::connect(url).await.unwrap();
    store.migrate().await.unwrap();
    let registry =
        Registry::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("workflows")).unwrap();
    let clock = Arc::new(FixedClock::new(
        Utc.with_ymd_and_hms(2026, 11, 2, 1, 0, 0).unwrap(),
    ));
    let app = App::new(store, registry, clock).await.unwrap();
    let acq = anju::app::users::add_user(&app, "城投", Role::Acquirer, None)
        .await
        .unwrap()
        .user;
    let auditor = anju::app::users::add_user(&app, "财政局", Role::FinanceBureau, None)
        .await
        .unwrap()
        .user;
    for (name, kind) in [(FUND, AccountKind::Fund), (SOURCE, AccountKind::Source)] {
        app.open_account(
            &acq,
            NewAccount {
                name: name.into(),
                kind,
                project: Some("R1".into()),
                source: Some(FundSource::SpecialBond),
                label: name.into(),
                listing_id: None,
                purpose: None,
            },
        )
        .await
        .unwrap();
    }
    Fx {
        app,
        acq,
        auditor,
        next: AtomicU64::new(0),
    }
}

impl Fx {
    fn entry(&self) -> NewEntry {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let amount = format!("{}.{:02}", 1 + n % 9_999, n % 100);
        NewEntry {
            key: format!("e{n}"),
            // HS-F6: an entry is dated on or before the posting day.
            date: self.app.today(),
            kind: EntryKind::Receipt,
            memo: "专项债券资金到账".into(),
            approval: None,
            listing_id: None,
            consents: None,
            lines: vec![
                LineInput {
                    account: FUND.into(),
                    amount: DecimalText(amount.clone()),
                },
                LineInput {
                    account: SOURCE.into(),
                    amount: DecimalText(format!("-{amount}")),
                },
            ],
            reverses: None,
        }
    }
    fn batch(&self) -> Vec<NewEntry> {
        (0..BATCH).map(|_| self.entry()).collect()
    }
}

fn run_backend(c: &mut Criterion, rt: &tokio::runtime::Runtime, name: &str, url: &str) {
    let fx = rt.block_on(fixture(url));
    let mut g = c.benchmark_group(format!("ledger/{name}"));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(10));
    g.throughput(Throughput::Elements(2));
    g.bench_function("single_entry_postings", |b| {
        b.to_async(rt).iter_custom(|iters| {
            let fx = &fx;
            async move {
                let t = Instant::now();
                for _ in 0..iters {
                    fx.app.post_entry(&fx.acq, fx.entry()).await.unwrap();
                }
                t.elapsed()
            }
        })
    });
    g.throughput(Throughput::Elements(2 * BATCH as u64));
    g.bench_function("batched_postings_500_entries", |b| {
        b.to_async(rt).iter_custom(|iters| {
            let fx = &fx;
            async move {
                let mut spent = Duration::ZERO;
                for _ in 0..iters {
                    let batch = fx.batch();
                    let t = Instant::now();
                    fx.app.post_entries(&fx.acq, batch).await.unwrap();
                    spent += t.elapsed();
                }
                spent
            }
        })
    });
    // Fill to 1,000,000 postings (lines), then time the trial balance over them.
    let posted =
        || rt.block_on(async { fx.app.ledger_checkpoint().await.unwrap().seq as usize * 2 });
    let mut have = posted();
    let fill = Instant::now();
    while have < MILLION {
        rt.block_on(fx.app.post_entries(&fx.acq, fx.batch()))
            .unwrap();
        have += 2 * BATCH;
    }
    eprintln!(
        "ledger/{name}: filled to {have} postings in {:.1?}",
        fill.elapsed()
    );
    g.throughput(Throughput::Elements(have as u64));
    g.sample_size(10);
    g.bench_function("trial_balance_1m_postings", |b| {
        b.to_async(rt)
            .iter(|| async { fx.app.trial_balance(&fx.auditor).await.unwrap() })
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}", dir.path().join("ledger-bench.db").display());
    run_backend(c, &rt, "sqlite", &sqlite);

    common::with_postgres(&rt, "anju_ledger_bench", |url| {
        run_backend(c, &rt, "postgres", url)
    });
}

criterion_group!(group, benches);
criterion_main!(group);
