//! Issue 13 at a city's scale: eligibility of 100,000 households under Yangquan's tests (the
//! pack file as shipped, with the local income figure recorded), and a 100,000-entrant lottery in
//! three tiers with its replay from the published list. Run: `cargo bench --bench allocation`.
//! Figures go in BENCHMARKS.md.

use anju::domain::allocation::eligibility::{self, Context, Figure};
use anju::domain::allocation::household::{Household, HouseholdInput};
use anju::domain::allocation::lottery::{self, Entrant};
use chrono::NaiveDate;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

const N: usize = 100_000;
const RELATIONS: [&str; 4] = ["applicant", "spouse", "child", "child"];
const GROUPS: [&str; 4] = ["tier_a", "talent", "all_wage_earners", "township_staff"];

fn id_no(birth: &str, seq: usize, male: bool) -> String {
    let order = (seq % 500) * 2 + usize::from(male);
    let area = 140_000 + (seq / 500) % 999;
    let first17 = format!("{area}{birth}{order:03}");
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const C: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
    let sum: u32 = first17
        .chars()
        .zip(W)
        .map(|(c, w)| c.to_digit(10).unwrap() * w)
        .sum();
    format!("{first17}{}", C[(sum % 11) as usize])
}

/// Households of one to four members: incomes, areas and histories spread so that every test
/// passes for some and fails for others.
fn inputs() -> Vec<HouseholdInput> {
    (0..N)
        .map(|i| {
            let members = 1 + i % 4;
            let m: Vec<serde_json::Value> = (0..members)
                .map(|k| {
                    serde_json::json!({
                        "name": "张小明",
                        "id_number": id_no(if k < 2 { "19880515" } else { "20150101" }, i * 4 + k, k % 2 == 0),
                        "relation": RELATIONS[k],
                        "marital": if members == 1 { "single" } else if k < 2 { "married" } else { "single" },
                        "hukou_local": i % 7 != 0,
                        "permanent_resident": true,
                        "wage_earner": k < 2,
                        "annual_income": format!("{}", 20_000 + (i * 37 + k * 11) % 40_000),
                        "social_security_months": (i % 60) as u32,
                        "insured_now": i % 5 != 0,
                    })
                })
                .collect();
            serde_json::from_value(serde_json::json!({
                "group": GROUPS[i % 4],
                "county": "城区",
                "members": m,
                "housing": { "owned_area_m2": format!("{}", (i % 9) * 10), "tenure": "租住" },
                "history": { "public_rental": i % 13 == 0, "reform_housing": i % 17 == 0 }
            }))
            .unwrap()
        })
        .collect()
}

fn eligibility(c: &mut Criterion) {
    let reg = anju::workflow::registry::Registry::load(Path::new("workflows")).expect("packs");
    let rules = reg.packs["yangquan"]
        .allocation()
        .eligibility
        .clone()
        .expect("Yangquan's eligibility");
    let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    let mut figures = BTreeMap::new();
    figures.insert(
        ("urban_per_capita_disposable_income".to_string(), 2025),
        Figure {
            value: "38215".parse().unwrap(),
            year: 2025,
            source: "bench".into(),
        },
    );
    let ctx = Context {
        figures,
        holds_unit: false,
        bans: Vec::new(),
    };
    let inputs = inputs();
    let households: Vec<Household> = inputs
        .iter()
        .map(|h| Household::parse(h, today).expect("valid"))
        .collect();
    let eligible = households
        .iter()
        .filter(|h| eligibility::evaluate(&rules, h, today, &ctx).eligible)
        .count();
    println!("{eligible} of {N} households eligible");
    let mut g = c.benchmark_group("allocation");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(20))
        .throughput(Throughput::Elements(N as u64));
    g.bench_function("eligibility of 100,000 households (evaluate)", |b| {
        b.iter(|| {
            households
                .iter()
                .filter(|h| eligibility::evaluate(&rules, h, today, &ctx).eligible)
                .count()
        })
    });
    g.bench_function(
        "eligibility of 100,000 households (check input + evaluate)",
        |b| {
            b.iter(|| {
                inputs
                    .iter()
                    .map(|h| Household::parse(h, today).expect("valid"))
                    .filter(|h| eligibility::evaluate(&rules, h, today, &ctx).eligible)
                    .count()
            })
        },
    );
    g.finish();
}

fn lottery_draw(c: &mut Criterion) {
    let entrants: Vec<Entrant> = (0..N)
        .map(|i| Entrant {
            application_no: format!("YQ2026-{i:06}"),
            tier: [1, 2, 3][i % 3],
        })
        .collect();
    let text = lottery::entrant_list_text(&entrants);
    let mut g = c.benchmark_group("allocation");
    g.sample_size(20)
        .measurement_time(Duration::from_secs(10))
        .throughput(Throughput::Elements(N as u64));
    g.bench_function(
        "lottery of 100,000 entrants (fix list + SHA-256 + draw)",
        |b| {
            b.iter(|| {
                let sha = lottery::entrants_sha256(&entrants);
                (
                    sha,
                    lottery::draw(&entrants, "2026-12-01 城区公证处 739415"),
                )
            })
        },
    );
    g.bench_function(
        "replay of 100,000 entrants (parse published list + draw)",
        |b| {
            b.iter(|| {
                let list = lottery::parse_entrant_list(&text).unwrap();
                lottery::draw(&list, "2026-12-01 城区公证处 739415")
            })
        },
    );
    g.finish();
}

criterion_group!(benches, eligibility, lottery_draw);
criterion_main!(benches);
