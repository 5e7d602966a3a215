//! Issue 4: scoring and ranking 1,000 bids of 200 units each (with the plan), and importing a
//! 100,000-row 楼盘表 beside calamine merely reading the same file, in the same run.
//! Run: `cargo bench --bench bids`. Figures go in BENCHMARKS.md.

use anju::domain::bids::{Bid, Criteria, TenderMode, Terms, plan, score};
use anju::domain::survey::DemandBand;
use anju::domain::unit_list::UnitRow;
use anju::domain::units::AreaM2;
use calamine::{Reader, Xlsx};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::io::Cursor;
use std::time::Duration;

fn bids() -> Vec<Bid> {
    let mut x: u64 = 7;
    let mut next = move || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        x >> 33
    };
    (0..1000)
        .map(|i| Bid {
            id: i,
            units: (0..200)
                .map(|_| AreaM2::new("a", Decimal::new(6000 + (next() % 6500) as i64, 2)).unwrap())
                .collect(),
            price_per_m2: Decimal::new(300_000 + (next() % 200_000) as i64, 2),
            whole_building: next() % 2 == 0,
            clear_title: next() % 10 != 0,
            has_delivery_date: true,
            transit_m: (next() % 4000) as u32,
            school_m: (next() % 4000) as u32,
            hospital_m: (next() % 4000) as u32,
            shops_m: (next() % 4000) as u32,
            amenities: (next() % 11) as u32,
            ceiling_per_m2: Some(Decimal::new(450_000, 2)),
            submitted_seq: i,
        })
        .collect()
}

fn units(n: usize) -> Vec<UnitRow> {
    (0..n)
        .map(|i| {
            let a = Decimal::new(6000 + (i as i64 * 37) % 6500, 2);
            UnitRow {
                building: format!("{}号楼", i / 10_000 + 1),
                stair_unit: format!("{}单元", (i / 100) % 100 + 1),
                floor: (i % 30) as i32 + 1,
                room: format!("{}", i),
                layout: "两室两厅".into(),
                gross_area_m2: AreaM2::new("a", a).unwrap(),
                usable_area_m2: AreaM2::new("a", (a * Decimal::new(8, 1)).round_dp(2)).unwrap(),
                orientation: "南北".into(),
                mortgaged: false,
                seized: false,
            }
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    let terms = Terms {
        mode: TenderMode::FixedAreaCompetePrice,
        min_unit_m2: Some(Decimal::from(70)),
        max_unit_m2: Decimal::from(120),
        price_cap_per_m2: None,
        near_target: Some(anju::domain::review::NearTarget {
            target_m2: Decimal::from(90),
            tolerance_m2: Decimal::TEN,
            min_share: Decimal::new(5, 1),
        }),
    };
    let criteria = Criteria {
        competition: Decimal::from(60),
        location: Decimal::from(15),
        transport: Decimal::from(10),
        amenities: Decimal::from(5),
        compliance: Decimal::from(10),
        near_m: 500,
        far_m: 3000,
    };
    let bands: Vec<DemandBand> = vec![
        DemandBand {
            key: "60_90".into(),
            label: "60–90".into(),
            min_m2: Some(Decimal::from(60)),
            max_m2: Some(Decimal::from(90)),
        },
        DemandBand {
            key: "90_120".into(),
            label: "90–120".into(),
            min_m2: Some(Decimal::from(90)),
            max_m2: Some(Decimal::from(120)),
        },
    ];
    let demand = BTreeMap::from([
        ("60_90".to_string(), 5_000u64),
        ("90_120".to_string(), 5_000u64),
    ]);
    let all = bids();
    let mut g = c.benchmark_group("bids");
    g.sample_size(20);
    g.measurement_time(Duration::from_secs(10));
    g.throughput(Throughput::Elements(all.len() as u64));
    g.bench_function("score_rank_and_plan_1000_bids_x_200_units", |b| {
        b.iter(|| {
            let s = score(&terms, &criteria, &all);
            plan(
                &s,
                &all,
                &terms,
                &bands,
                &demand,
                Decimal::from(500_000_000),
            )
        })
    });
    let book = anju::excel::unit_list::write_unit_list(&units(100_000)).unwrap();
    g.throughput(Throughput::Elements(100_000));
    g.bench_function("import_100k_row_unit_list", |b| {
        b.iter(|| {
            anju::excel::unit_list::parse_unit_list(&book)
                .unwrap()
                .len()
        })
    });
    g.bench_function("calamine_bare_read_100k_rows", |b| {
        b.iter(|| {
            let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(&book[..])).unwrap();
            let r = wb.worksheet_range("楼盘表").unwrap();
            r.rows().map(|row| row.len()).sum::<usize>()
        })
    });
    g.finish();
    paired(&book);
}

/// The two import figures above are taken minutes apart, and this VM's speed drifts by ±20 %
/// over minutes. This measures them paired — bare read then import, alternating, 31 pairs —
/// and prints each pair's ratio and their median: the figure BENCHMARKS.md quotes beside
/// criterion's.
fn paired(book: &[u8]) {
    let mut ratios = Vec::new();
    for _ in 0..31 {
        let t = std::time::Instant::now();
        let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(book)).unwrap();
        let r = wb.worksheet_range("楼盘表").unwrap();
        std::hint::black_box(r.rows().map(|row| row.len()).sum::<usize>());
        drop(r);
        let bare = t.elapsed();
        let t = std::time::Instant::now();
        std::hint::black_box(anju::excel::unit_list::parse_unit_list(book).unwrap().len());
        let import = t.elapsed();
        ratios.push(bare.as_secs_f64() / import.as_secs_f64());
        println!(
            "paired: bare {:.1} ms, import {:.1} ms, import speed = {:.1} % of bare",
            bare.as_secs_f64() * 1e3,
            import.as_secs_f64() * 1e3,
            100.0 * ratios.last().unwrap()
        );
    }
    ratios.sort_by(f64::total_cmp);
    println!(
        "paired median: import speed = {:.1} % of the bare read (min {:.1} %, max {:.1} %)",
        100.0 * ratios[ratios.len() / 2],
        100.0 * ratios[0],
        100.0 * ratios[ratios.len() - 1]
    );
}

criterion_group!(group, benches);
criterion_main!(group);
