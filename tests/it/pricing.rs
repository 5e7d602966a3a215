//! Issue 3 calculators from the command line (the flags the issue names) and over HTTP, with
//! worked numbers; bad input gets a reason and a non-zero exit or a 4xx; exceptions pass only
//! "in principle" limits, by the id of an approved exception.

use crate::harness::*;
use crate::on_both;
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::process::Command;

fn anju(args: &[&str]) -> (i32, Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_anju"))
        .args([
            "--workflows",
            manifest().join("workflows").to_str().unwrap(),
        ])
        .args(args)
        .output()
        .expect("anju runs");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let v = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), v, stderr)
}

#[test]
fn hs_p5_cli_ceiling_per_m2_and_per_unit() {
    let (code, v, err) = anju(&[
        "price",
        "ceiling",
        "--land-per-m2",
        "1200",
        "--construction-per-m2",
        "2600",
        "--profit-rate",
        "0.05",
        "--area-m2",
        "89.37",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["result"]["ceiling_per_m2"], "3990.00");
    assert_eq!(v["result"]["unit_ceiling"], "356586.30");
    assert_eq!(v["rules"], json!(["HS-P5"]));
    assert_eq!(v["params"]["ceiling"]["profit_rate_cap"], "0.05");
    assert_eq!(
        v["capitals"]["unit_ceiling"],
        "叁拾伍万陆仟伍佰捌拾陆元叁角整"
    );
    // Yangquan states the same ceiling as YQ-7.3.
    let (_, v, _) = anju(&[
        "price",
        "ceiling",
        "--policy",
        "yangquan",
        "--land-per-m2",
        "1200",
        "--construction-per-m2",
        "2600",
        "--profit-rate",
        "0.05",
    ]);
    assert_eq!(v["rules"], json!(["YQ-7.3"]));
}

#[test]
fn nc_20_nanchang_buys_at_construction_cost_without_profit() {
    // NC-20: 按房屋建设成本收购 — (1,200 + 2,600) at cost is 3,800.00/m²; the 5 % that HS-P5 and
    // YQ-7.3 allow is refused (today's pack let Nanchang buy at cost × 1.05 = 3,990.00).
    let args = |rate: &'static str| {
        vec![
            "price",
            "ceiling",
            "--policy",
            "nanchang",
            "--land-per-m2",
            "1200",
            "--construction-per-m2",
            "2600",
            "--profit-rate",
            rate,
            "--area-m2",
            "89.37",
        ]
    };
    let (code, v, err) = anju(&args("0"));
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["rules"], json!(["NC-20"]));
    assert_eq!(v["result"]["ceiling_per_m2"], "3800.00");
    // 3,800.00 × 89.37 = 339,606.00.
    assert_eq!(v["result"]["unit_ceiling"], "339606.00");
    let (code, _, err) = anju(&args("0.05"));
    assert_eq!(code, 1);
    assert!(err.contains("NC-20") && err.contains("profit"), "{err}");
    // Xingyi's text states no acquisition ceiling: refused, not borrowed from Huoshan.
    let (code, _, err) = anju(&[
        "price",
        "ceiling",
        "--policy",
        "xingyi",
        "--land-per-m2",
        "1200",
        "--construction-per-m2",
        "2600",
        "--profit-rate",
        "0.05",
    ]);
    assert_eq!(code, 1);
    assert!(
        err.contains("not_in_pack") || err.contains("set no"),
        "{err}"
    );
}

#[test]
fn hs_p8_cli_rent_defaults_to_the_cap() {
    let (code, v, err) = anju(&[
        "price",
        "rent",
        "--market-rent-per-m2",
        "25",
        "--area-m2",
        "80",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["result"]["rent_per_m2"], "22.50");
    assert_eq!(v["result"]["monthly_rent"], "1800.00");
    assert_eq!(v["params"]["rent"]["initial_max_ratio"], "0.9");
    let (code, _, err) = anju(&[
        "price",
        "rent",
        "--market-rent-per-m2",
        "25",
        "--area-m2",
        "80",
        "--ratio",
        "0.95",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("HS-P8") && err.contains("exception"), "{err}");
}

#[test]
fn xy_32_cli_buyback_with_the_issues_example() {
    let (code, v, err) = anju(&[
        "price",
        "buyback",
        "--policy",
        "xingyi",
        "--original-price",
        "520000",
        "--delivered",
        "2026-03-01",
        "--title-date",
        "2026-06-01",
        "--agreement-date",
        "2031-06-02",
        "--rate",
        "0.02",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["result"]["years_counted"], 6);
    assert_eq!(v["result"]["price"], "457600.00");
    assert_eq!(v["rules"], json!(["XY-32", "XY-29"]));
    assert_eq!(v["capitals"]["price"], "肆拾伍万柒仟陆佰元整");
    // XY-29: a day inside the five-year lock needs a listed case.
    let (code, _, err) = anju(&[
        "price",
        "buyback",
        "--policy",
        "xingyi",
        "--original-price",
        "520000",
        "--delivered",
        "2026-03-01",
        "--title-date",
        "2026-06-01",
        "--agreement-date",
        "2031-05-31",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("XY-29"), "{err}");
    let (code, v, err) = anju(&[
        "price",
        "buyback",
        "--policy",
        "xingyi",
        "--original-price",
        "520000",
        "--delivered",
        "2026-03-01",
        "--title-date",
        "2026-06-01",
        "--agreement-date",
        "2031-05-31",
        "--case",
        "serious_illness",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["result"]["case"]["key"], "serious_illness");
    // NC-37: the original price, whatever the dates.
    let (_, v, _) = anju(&[
        "price",
        "buyback",
        "--policy",
        "nanchang",
        "--original-price",
        "520000",
        "--delivered",
        "2026-03-01",
        "--title-date",
        "2026-06-01",
        "--agreement-date",
        "2031-06-02",
    ]);
    assert_eq!(v["result"]["price"], "520000.00");
    assert_eq!(v["rules"], json!(["NC-37"]));
    // HS-P13 needs the appraisal.
    let (code, _, err) = anju(&[
        "price",
        "buyback",
        "--policy",
        "huoshan",
        "--original-price",
        "520000",
        "--delivered",
        "2026-03-01",
        "--title-date",
        "2026-06-01",
        "--agreement-date",
        "2031-06-02",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("appraised_price"), "{err}");
}

#[test]
fn hs_p14_cli_resettlement_with_the_issues_example() {
    let (code, v, err) = anju(&[
        "price",
        "resettlement",
        "--acquisition-price",
        "400000",
        "--taxes",
        "12000",
        "--rate",
        "0.0285",
        "--from",
        "2026-01-10",
        "--to",
        "2026-07-10",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["result"]["days"], 181);
    assert_eq!(v["result"]["interest"], "5731.67");
    assert_eq!(v["result"]["price"], "417731.67");
    assert_eq!(v["params"]["resettlement"]["day_count"], "act360");
    let (_, v, _) = anju(&[
        "price",
        "resettlement",
        "--acquisition-price",
        "400000",
        "--taxes",
        "12000",
        "--rate",
        "0.0285",
        "--from",
        "2026-01-10",
        "--to",
        "2026-07-10",
        "--day-count",
        "act365",
    ]);
    assert_eq!(v["result"]["price"], "417653.15");
}

#[test]
fn daxie_cli_prints_the_issues_example() {
    let (code, v, _) = anju(&["price", "daxie", "123456.78"]);
    assert_eq!(code, 0);
    assert_eq!(v["result"]["daxie"], "壹拾贰万叁仟肆佰伍拾陆元柒角捌分");
    let (code, _, err) = anju(&["price", "daxie", "12.345"]);
    assert_eq!(code, 1);
    assert!(err.contains("two decimal"), "{err}");
}

#[test]
fn cli_bad_input_exits_non_zero_with_the_reason() {
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "price",
                "ceiling",
                "--land-per-m2",
                "0",
                "--construction-per-m2",
                "2600",
                "--profit-rate",
                "0.05",
            ],
            "land_per_m2",
        ),
        (
            &[
                "price",
                "ceiling",
                "--land-per-m2",
                "-1200",
                "--construction-per-m2",
                "2600",
                "--profit-rate",
                "0.05",
            ],
            "land_per_m2",
        ),
        (
            &[
                "price",
                "ceiling",
                "--land-per-m2",
                "1200",
                "--construction-per-m2",
                "2600",
                "--profit-rate",
                "0.051",
            ],
            "HS-P5",
        ),
        (
            &[
                "price",
                "ceiling",
                "--land-per-m2",
                "1,2OO",
                "--construction-per-m2",
                "2600",
                "--profit-rate",
                "0.05",
            ],
            "not a number",
        ),
        (
            &[
                "price",
                "rent",
                "--market-rent-per-m2",
                "25",
                "--area-m2",
                "0",
            ],
            "area_m2",
        ),
        (
            &[
                "price",
                "resettlement",
                "--acquisition-price",
                "400000",
                "--taxes",
                "0",
                "--rate",
                "0.0285",
                "--from",
                "2026-07-10",
                "--to",
                "2026-01-10",
            ],
            "before it starts",
        ),
        (
            &[
                "price",
                "buyback",
                "--policy",
                "shenzhen",
                "--original-price",
                "1",
                "--delivered",
                "2026-03-01",
                "--title-date",
                "2026-06-01",
                "--agreement-date",
                "2031-06-02",
            ],
            "unknown policy",
        ),
        (
            &[
                "price",
                "buyback",
                "--policy",
                "xingyi",
                "--original-price",
                "520000",
                "--delivered",
                "2031-03-01",
                "--title-date",
                "2026-06-01",
                "--agreement-date",
                "2030-06-02",
            ],
            "after delivery",
        ),
    ];
    for (args, reason) in cases {
        let (code, v, err) = anju(args);
        assert_ne!(code, 0, "{args:?} → {v}");
        assert!(err.contains(reason), "{args:?}: {err}");
    }
}

#[test]
fn hs_p12_cli_units_writes_a_schedule_that_averages_to_the_base() {
    use calamine::{Data, Reader, Xlsx};
    let dir = tempfile::tempdir().unwrap();
    let units = dir.path().join("units.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet().set_name("房源").unwrap();
    let rows = [
        ["房号", "楼栋", "楼层", "朝向", "户型", "建筑面积(m²)"],
        ["201", "1", "2", "南", "三室", "90"],
        ["501", "1", "5", "南", "三室", "100"],
        ["901", "1", "9", "北", "三室", "110"],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if r > 0 && c == 5 {
                ws.write(r as u32, c as u16, v.parse::<f64>().unwrap())
                    .unwrap();
            } else {
                ws.write(r as u32, c as u16, *v).unwrap();
            }
        }
    }
    wb.save(&units).unwrap();
    let factors = dir.path().join("factors.toml");
    std::fs::write(
        &factors,
        "[building]\ndefault = \"1\"\n[floor]\n\"2\" = \"0.98\"\n\"5\" = \"1.00\"\n\"9\" = \"1.03\"\n[orientation]\n\"南\" = \"1.02\"\n\"北\" = \"0.97\"\n[layout]\ndefault = \"1\"\n",
    )
    .unwrap();
    let out = dir.path().join("schedule.xlsx");
    let (code, v, err) = anju(&[
        "price",
        "units",
        "--base-per-m2",
        "4000",
        "--units",
        units.to_str().unwrap(),
        "--factors",
        factors.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["result"]["total"], "1200000.00");
    assert_eq!(v["result"]["weighted_mean_per_m2"], "4000.00");
    assert_eq!(v["rules"], json!(["HS-P12", "HS-P11"]));
    let mut wb: Xlsx<_> = calamine::open_workbook(&out).unwrap();
    let r = wb.worksheet_range("一房一价").unwrap();
    let sum: f64 = (2..5)
        .map(|row| match r.get_value((row, 8)) {
            Some(Data::Float(f)) => (f * 100.0).round(),
            other => panic!("{other:?}"),
        })
        .sum();
    assert_eq!(sum, 120_000_000.0, "rows sum to the total in fen");
    // A floor without a factor: refused naming the unit.
    std::fs::write(&factors, "[floor]\n\"2\" = \"0.98\"\n").unwrap();
    let (code, _, err) = anju(&[
        "price",
        "units",
        "--base-per-m2",
        "4000",
        "--units",
        units.to_str().unwrap(),
        "--factors",
        factors.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert!(
        err.contains("units[0].building") || err.contains("units[1]"),
        "{err}"
    );
}

on_both!(
    hs_p8_api_rent_above_the_cap_passes_only_with_an_approved_exception,
    |t: TestApp| async move {
        let body = json!({ "market_rent_per_m2": "25", "area_m2": "80", "ratio": "0.95" });
        let (s, v) = t.post("acquirer", "/api/price/rent", body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["code"], "limit_exceeded");
        assert_eq!(v["rule"], "HS-P8");
        // The acquirer asks for the exception on the bought listing; the leading group approves.
        let round = t.open_round().await;
        let filed = t.listing_filed(round).await;
        let (s, e) = t
            .post(
                "acquirer",
                &format!("/api/listings/{filed}/exceptions"),
                json!({ "check_id": "initial_rent_ratio", "reason": "片区租金评估偏低" }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{e}");
        let eid = e["id"].as_i64().unwrap();
        let mut with = body.clone();
        with["exception_id"] = json!(eid);
        let (s, v) = t.post("acquirer", "/api/price/rent", with.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "not yet approved: {v}");
        let (s, v) = t
            .post(
                "leading_group",
                &format!("/api/exceptions/{eid}/decision"),
                json!({ "approved": true, "comment": "同意按95%定价" }),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (s, v) = t.post("acquirer", "/api/price/rent", with).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        // 25 × 0.95 = 23.75; × 80 = 1,900.00.
        assert_eq!(v["result"]["monthly_rent"], "1900.00");
        assert_eq!(v["exception"]["id"], eid);
        assert_eq!(v["exception"]["rule"], "HS-P8");
        // The same exception does not pass another limit.
        let (s, v) = t
            .post(
                "acquirer",
                "/api/price/rent-change",
                json!({ "old_rent_per_m2": "20", "new_rent_per_m2": "25",
                        "last_adjusted": "2025-01-01", "effective_date": "2026-01-01",
                        "exception_id": eid }),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["field"], "exception_id");
    }
);

on_both!(
    hs_p9_api_rent_change_within_and_beyond_the_yearly_limit,
    |t: TestApp| async move {
        let (s, v) = t
            .post(
                "acquirer",
                "/api/price/rent-change",
                json!({ "old_rent_per_m2": "20", "new_rent_per_m2": "22.05",
                        "last_adjusted": "2024-01-01", "effective_date": "2026-04-01" }),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["result"]["years_counted"], 2);
        assert_eq!(v["result"]["highest_allowed_per_m2"], "22.05");
        let (s, v) = t
            .post(
                "acquirer",
                "/api/price/rent-change",
                json!({ "old_rent_per_m2": "20", "new_rent_per_m2": "22.06",
                        "last_adjusted": "2024-01-01", "effective_date": "2026-04-01" }),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["rule"], "HS-P9");
    }
);

on_both!(
    price_api_refuses_bad_input_with_problem_json_and_needs_a_caller,
    |t: TestApp| async move {
        for (path, body, field) in [
            (
                "/api/price/ceiling",
                json!({ "land_per_m2": "0", "construction_per_m2": "2600", "profit_rate": "0.05" }),
                "land_per_m2",
            ),
            (
                "/api/price/ceiling",
                json!({ "land_per_m2": "abc", "construction_per_m2": "2600", "profit_rate": "0.05" }),
                "land_per_m2",
            ),
            (
                "/api/price/ceiling",
                json!({ "land_per_m2": "1200", "construction_per_m2": "2600", "profit_rate": "0.05", "area_m2": "-3" }),
                "area_m2",
            ),
            (
                "/api/price/resettlement",
                json!({ "acquisition_price": "400000", "taxes": "0", "rate": "0.0285", "from": "2026-07-10", "to": "2026-01-10" }),
                "to",
            ),
            (
                "/api/price/sale-base",
                json!({ "policy": "atlantis", "cost_per_m2": "3850", "profit_rate": "0.03" }),
                "policy",
            ),
            (
                "/api/price/units",
                json!({ "base_per_m2": "4000", "units": [{ "room": "1", "area_m2": "90" }], "factors": {} }),
                "units[0].building",
            ),
        ] {
            let (s, v) = t.post("acquirer", path, body).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {v}");
            assert_eq!(v["field"], field, "{path}: {v}");
        }
        let (s, v) = t
            .post("acquirer", "/api/price/ceiling", json!({ "land_per_m2": "1200", "construction_per_m2": "2600", "profit_rate": "0.06" }))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["code"], "profit_rate_above_cap");
        let r = reqwest::Client::new()
            .post(format!("{}/api/price/ceiling", t.base))
            .json(&json!({ "land_per_m2": "1200", "construction_per_m2": "2600", "profit_rate": "0.05" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        // Every calculator is in the OpenAPI document.
        let (_, doc) = t.get("acquirer", "/api/openapi.json").await;
        for p in [
            "ceiling",
            "rent",
            "rent-change",
            "buyback",
            "resettlement",
            "sale-base",
            "units",
            "units.xlsx",
            "daxie",
        ] {
            assert!(doc["paths"][format!("/api/price/{p}")].is_object(), "{p}");
        }
    }
);

on_both!(
    hs_p12_api_schedule_xlsx_and_the_printable_negotiation_record,
    |t: TestApp| async move {
        let body = json!({
            "base_per_m2": "4000",
            "units": [
                { "room": "201", "floor": "2", "orientation": "南", "area_m2": "90" },
                { "room": "501", "floor": "5", "orientation": "南", "area_m2": "100" },
                { "room": "901", "floor": "9", "orientation": "北", "area_m2": "110" }
            ],
            "factors": {
                "building": { "default": "1" }, "layout": { "default": "1" },
                "floor": { "values": { "2": "0.98", "5": "1.00", "9": "1.03" } },
                "orientation": { "values": { "南": "1.02", "北": "0.97" } }
            }
        });
        let (s, v) = t.post("acquirer", "/api/price/units", body.clone()).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let totals: Vec<&str> = v["result"]["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["total"].as_str().unwrap())
            .collect();
        assert_eq!(totals, vec!["357632.72", "405479.27", "436888.01"]);
        assert_eq!(v["capitals"]["total"], "壹佰贰拾万元整");
        let r = reqwest::Client::new()
            .post(format!("{}/api/price/units.xlsx", t.base))
            .bearer_auth(t.token("acquirer"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let bytes = r.bytes().await.unwrap();
        use calamine::Reader;
        let mut wb = calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
        assert!(wb.worksheet_range("一房一价").is_ok());

        // The printable negotiation record of a filed listing carries amounts in capitals.
        let round = t.open_round().await;
        let id = t.listing_filed(round).await;
        let (_, n) = t
            .get("supervisor", &format!("/api/listings/{id}/negotiation"))
            .await;
        let price_total = n["prices"].as_array().unwrap().last().unwrap()["total"]
            .as_str()
            .unwrap()
            .to_string();
        let (s, page) = t
            .page("supervisor", &format!("/listings/{id}/negotiation-record"))
            .await;
        assert_eq!(s, StatusCode::OK, "{page}");
        let capital = anju::domain::pricing::daxie::daxie(price_total.parse().unwrap()).unwrap();
        assert!(page.contains(&capital), "{capital} missing from the record");
    }
);

on_both!(
    hs_p8_hs_p9_rent_register_sets_adjusts_and_lists_overdue_rents,
    |t: TestApp| async move {
        use rust_decimal::RoundingStrategy::MidpointAwayFromZero;
        let round = t.open_round().await;
        let early = t.listing_in_negotiation(round).await;
        let id = t.listing_filed(round).await;
        let path = format!("/api/listings/{id}/rents");
        let initial = json!({ "kind": "initial", "effective_date": "2026-12-01" });
        // HS-P8: the housing department sets the initial rent (with price and finance), the
        // county government approves; the acquirer alone sets none.
        for who in ["developer", "acquirer", "government"] {
            let (s, v) = t.post(who, &path, initial.clone()).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{who}: {v}");
        }
        let (s, v) = t
            .post(
                "housing_bureau",
                &format!("/api/listings/{early}/rents"),
                initial.clone(),
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        // HS-A6: every unit is let (the use register has its own test).
        let (s, v) = t
            .post(
                "acquirer",
                &format!("/api/listings/{id}/uses"),
                json!({ "use_kind": "rental" }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        // HS-P8: market rent 14.50 × 0.9 = 13.05 per m² a month; each unit's rent = 13.05 × area
        // — proposed, not yet binding.
        let (s, r) = t.post("housing_bureau", &path, initial.clone()).await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        let units = r["units"].as_array().unwrap().clone();
        assert!(!units.is_empty());
        assert!(units.iter().all(|u| u["rent_per_m2"].is_null()), "{r}");
        assert!(
            r["records"]
                .as_array()
                .unwrap()
                .iter()
                .all(|x| x["status"] == "pending")
        );
        let p8 = t.last_proposal(id).await;
        // A second proposal for the same units waits for the first one's decision.
        let (s, v) = t.post("housing_bureau", &path, initial.clone()).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::CONFLICT, Some("proposal_pending"))
        );
        // Only the county government approves it: not the leading group, not the proposer.
        for who in ["leading_group", "housing_bureau", "acquirer"] {
            let (s, v) = t
                .post(
                    who,
                    &format!("/api/price-proposals/{p8}/decisions"),
                    json!({ "approved": true, "decision_ref": "x" }),
                )
                .await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{who}: {v}");
        }
        let p = t.approve_proposal("government", p8).await;
        assert_eq!(p["status"]["status"], "approved", "{p}");
        assert_eq!(p["steps"][0]["rule"], "HS-P8");
        let (_, r) = t.get("supervisor", &path).await;
        let mut total = Decimal::ZERO;
        for u in r["units"].as_array().unwrap() {
            assert_eq!(u["rent_per_m2"], "13.05");
            let area = dec(u["area_m2"].as_str().unwrap());
            let expect = (dec("13.05") * area).round_dp_with_strategy(2, MidpointAwayFromZero);
            assert_eq!(dec(u["monthly_rent"].as_str().unwrap()), expect);
            assert_eq!(u["review_due"], "2028-12-01");
            total += expect;
        }
        assert_eq!(dec(r["monthly_total"].as_str().unwrap()), total);
        let (s, v) = t.post("housing_bureau", &path, initial).await;
        assert_eq!(s, StatusCode::CONFLICT);
        assert_eq!(v["code"], "rent_already_set");
        // HS-P9: the operator proposes a change, the leading group decides. A year later,
        // 13.05 × 1.05 = 13.7025: 13.71 is refused and nothing is stored…
        let change = |rent: &str| json!({ "kind": "adjustment", "effective_date": "2027-12-01", "rent_per_m2": rent });
        let (s, _) = t.post("housing_bureau", &path, change("13.70")).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, v) = t.post("acquirer", &path, change("13.71")).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["rule"], "HS-P9");
        let (_, reg) = t.get("supervisor", &path).await;
        assert_eq!(reg["records"].as_array().unwrap().len(), units.len());
        // …13.70 is proposed for every unit, and binds only once the leading group decides.
        let (s, r) = t.post("acquirer", &path, change("13.70")).await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        assert_eq!(r["records"].as_array().unwrap().len(), 2 * units.len());
        assert!(
            r["units"]
                .as_array()
                .unwrap()
                .iter()
                .all(|u| u["rent_per_m2"] == "13.05")
        );
        let p9 = t.last_proposal(id).await;
        let (s, _) = t
            .post(
                "government",
                &format!("/api/price-proposals/{p9}/decisions"),
                json!({ "approved": true, "decision_ref": "x" }),
            )
            .await;
        assert_eq!(
            s,
            StatusCode::FORBIDDEN,
            "HS-P9 is the leading group's decision"
        );
        t.approve_proposal("leading_group", p9).await;
        let (_, r) = t.get("supervisor", &path).await;
        assert!(
            r["units"]
                .as_array()
                .unwrap()
                .iter()
                .all(|u| u["rent_per_m2"] == "13.70")
        );
        // A decided proposal is not decided again.
        let (s, v) = t
            .post(
                "leading_group",
                &format!("/api/price-proposals/{p9}/decisions"),
                json!({ "approved": false, "decision_ref": "x" }),
            )
            .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::CONFLICT, Some("already_decided"))
        );
        // Overdue once two years pass without review.
        t.set_today(date("2029-11-30"));
        let (_, o) = t.get("acquirer", "/api/rents/overdue").await;
        assert_eq!(o.as_array().unwrap().len(), 0, "{o}");
        t.set_today(date("2029-12-01"));
        let (_, o) = t.get("acquirer", "/api/rents/overdue").await;
        assert_eq!(o.as_array().unwrap().len(), units.len(), "{o}");
        assert_eq!(o[0]["review_due"], "2029-12-01");
        // Another developer cannot see the register or the overdue list of this listing.
        let (s, _) = t.get("developer_b", &path).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (_, o) = t.get("developer_b", "/api/rents/overdue").await;
        assert_eq!(o.as_array().unwrap().len(), 0);
        // The history of the listing records each proposal and each decision with its rule.
        let h = t.history(id).await;
        let steps: Vec<(String, String)> = h
            .iter()
            .filter(|e| e["action"] == "propose_price" || e["action"] == "decide_price")
            .map(|e| {
                let p: Value = serde_json::from_str(e["payload"].as_str().unwrap()).unwrap();
                (
                    e["action"].as_str().unwrap().to_string(),
                    p["rule"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let expect: Vec<(String, String)> = [
            ("propose_price", "HS-P8"),
            ("decide_price", "HS-P8"),
            ("propose_price", "HS-P9"),
            ("decide_price", "HS-P9"),
        ]
        .iter()
        .map(|(a, r)| (a.to_string(), r.to_string()))
        .collect();
        assert_eq!(steps, expect);
        // Yangquan, Nanchang and Xingyi set no rent rules: their calculators refuse.
        for policy in ["yangquan", "nanchang", "xingyi"] {
            let (s, v) = t
                .post(
                    "acquirer",
                    "/api/price/rent",
                    json!({ "policy": policy, "market_rent_per_m2": "25", "area_m2": "80" }),
                )
                .await;
            assert_eq!(
                (s, v["code"].as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, Some("not_in_pack")),
                "{policy}"
            );
        }
    }
);

on_both!(
    hs_a6_each_bought_unit_is_let_sold_or_resettled_and_only_let_units_pay_rent,
    |t: TestApp| async move {
        use rust_decimal::RoundingStrategy::MidpointAwayFromZero;
        let round = t.open_round().await;
        let early = t.listing_in_negotiation(round).await;
        let id = t.listing_filed(round).await;
        let uses = format!("/api/listings/{id}/uses");
        let rents = format!("/api/listings/{id}/rents");
        let initial = json!({ "kind": "initial", "effective_date": "2026-12-01" });
        // The acquiring company decides (第六条: 收购主体…统一运营管理), on a bought listing only.
        for who in ["developer", "housing_bureau", "finance_bureau"] {
            let (s, _) = t.post(who, &uses, json!({ "use_kind": "rental" })).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{who}");
        }
        let (s, _) = t
            .post(
                "acquirer",
                &format!("/api/listings/{early}/uses"),
                json!({ "use_kind": "rental" }),
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT);
        // No use decided: no rent.
        let (s, v) = t.post("housing_bureau", &rents, initial.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["code"], "no_rental_units");
        assert_eq!(v["rule"], "HS-A6");
        // Every unit let; then one turned to sale (配售) and one to resettlement (安置).
        let (s, r) = t
            .post(
                "acquirer",
                &uses,
                json!({ "use_kind": "rental", "note": "保障性租赁住房" }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        let units: Vec<i64> = r["units"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["unit_id"].as_i64().unwrap())
            .collect();
        assert!(units.len() >= 3, "{r}");
        assert!(
            r["units"]
                .as_array()
                .unwrap()
                .iter()
                .all(|u| u["use_kind"] == "rental")
        );
        let (s, _) = t
            .post(
                "acquirer",
                &uses,
                json!({ "use_kind": "sale", "unit_ids": [units[0]] }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
        let (s, r) = t
            .post(
                "acquirer",
                &uses,
                json!({ "use_kind": "resettlement", "unit_ids": [units[1]], "note": "城中村改造安置房" }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
        let kinds: Vec<&str> = r["units"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["use_kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds[..3], ["sale", "resettlement", "rental"]);
        // Append-only: the first decisions stay beside the changes.
        assert_eq!(r["uses"].as_array().unwrap().len(), units.len() + 2);
        // A use that is not one of the three, or a unit of no listing of ours, changes nothing.
        let (s, _) = t
            .post("acquirer", &uses, json!({ "use_kind": "gift" }))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        let (s, v) = t
            .post(
                "acquirer",
                &uses,
                json!({ "use_kind": "sale", "unit_ids": [units[2], 999999] }),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["field"], "unit_ids");
        let (_, reg) = t.get("supervisor", &rents).await;
        assert_eq!(reg["uses"].as_array().unwrap().len(), units.len() + 2);
        assert_eq!(reg["units"][2]["use_kind"], "rental");
        // A rent for the unit on sale is refused; by default only the let units are rented.
        let (s, v) = t
            .post(
                "housing_bureau",
                &rents,
                json!({ "kind": "initial", "effective_date": "2026-12-01", "unit_ids": [units[0]] }),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["code"], "not_a_rental_unit");
        assert_eq!(v["rule"], "HS-A6");
        let (s, r) = t.post("housing_bureau", &rents, initial).await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        t.approve_proposal("government", t.last_proposal(id).await)
            .await;
        let (_, r) = t.get("supervisor", &rents).await;
        assert_eq!(r["records"].as_array().unwrap().len(), units.len() - 2);
        let rent_of = |u: &Value| {
            let area = dec(u["area_m2"].as_str().unwrap());
            (dec("13.05") * area).round_dp_with_strategy(2, MidpointAwayFromZero)
        };
        let listed = r["units"].as_array().unwrap();
        assert!(listed[0]["rent_per_m2"].is_null() && listed[1]["rent_per_m2"].is_null());
        assert_eq!(listed[2]["rent_per_m2"], "13.05");
        let total: Decimal = listed[2..].iter().map(rent_of).sum();
        assert_eq!(dec(r["monthly_total"].as_str().unwrap()), total);
        // A let unit later put on sale leaves the rent roll and the review list; its rent
        // record stays.
        let (s, r) = t
            .post(
                "acquirer",
                &uses,
                json!({ "use_kind": "sale", "unit_ids": [units[2]] }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
        assert!(r["units"][2]["rent_per_m2"].is_null());
        assert_eq!(r["records"].as_array().unwrap().len(), units.len() - 2);
        assert_eq!(
            dec(r["monthly_total"].as_str().unwrap()),
            total - rent_of(&listed[2])
        );
        t.set_today(date("2028-12-01"));
        let (_, o) = t.get("acquirer", "/api/rents/overdue").await;
        assert_eq!(o.as_array().unwrap().len(), units.len() - 3, "{o}");
        assert!(
            o.as_array()
                .unwrap()
                .iter()
                .all(|e| e["unit_id"] != units[2])
        );
        // The listing's history names the rule for each decision.
        let h = t.history(id).await;
        let decided: Vec<(String, String)> = h
            .iter()
            .filter(|e| e["action"] == "set_unit_uses")
            .map(|e| {
                let p: Value = serde_json::from_str(e["payload"].as_str().unwrap()).unwrap();
                (
                    p["rule"].as_str().unwrap().into(),
                    p["use"].as_str().unwrap().into(),
                )
            })
            .collect();
        let expect: Vec<(String, String)> = ["rental", "sale", "resettlement", "sale"]
            .iter()
            .map(|u| ("HS-A6".to_string(), u.to_string()))
            .collect();
        assert_eq!(decided, expect);
        // The API documents the register.
        let (_, doc) = t.get("acquirer", "/api/openapi.json").await;
        assert!(doc["paths"]["/api/listings/{id}/uses"]["post"].is_object());
        assert!(doc["components"]["schemas"]["UseSetting"].is_object());
        // Even hand-written SQL cannot rewrite a decision.
        for sql in [
            "UPDATE unit_uses SET use_kind = 'rental'",
            "DELETE FROM unit_uses",
        ] {
            assert!(t.raw_sql_is_refused(sql).await, "{sql} was allowed");
        }
    }
);

on_both!(
    pages_let_the_acquirer_keep_the_rent_register_and_print_a_schedule,
    |t: TestApp| async move {
        let round = t.open_round().await;
        let id = t.listing_filed(round).await;
        let (s, page) = t.page("acquirer", &format!("/listings/{id}")).await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            page.contains(&format!("/listings/{id}/rents")),
            "link to the rent register"
        );
        // HS-A6: the page's use form, no unit ticked: every unit is let.
        let (s, body) = t
            .form(
                "acquirer",
                &format!("/listings/{id}/uses"),
                &[("use_kind", "rental"), ("note", "保障性租赁住房")],
            )
            .await;
        assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
        // HS-P8: the housing bureau proposes on the page, the county government approves there.
        let (s, body) = t
            .form(
                "housing_bureau",
                &format!("/listings/{id}/rents"),
                &[
                    ("kind", "initial"),
                    ("effective_date", "2026-12-01"),
                    ("ratio", "0.9"),
                    ("exception_id", ""),
                ],
            )
            .await;
        assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
        let (_, page) = t.page("government", &format!("/listings/{id}/rents")).await;
        let p = t.last_proposal(id).await;
        assert!(
            page.contains(&format!("/price-proposals/{p}/decide"))
                && page.contains("待第 1 步审批"),
            "{page}"
        );
        let pid = p.to_string();
        let lid = id.to_string();
        let (s, body) = t
            .form(
                "government",
                &format!("/price-proposals/{p}/decide"),
                &[
                    ("approved", "true"),
                    ("decision_ref", "霍政〔2026〕88号"),
                    ("listing_id", lid.as_str()),
                ],
            )
            .await;
        assert_eq!(s, StatusCode::SEE_OTHER, "{body} {pid}");
        let (s, page) = t.page("supervisor", &format!("/listings/{id}/rents")).await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            page.contains("13.05") && page.contains("2028-12-01"),
            "{page}"
        );
        assert!(
            page.contains("配租") && page.contains("保障性租赁住房"),
            "{page}"
        );
        let (s, page) = t.page("acquirer", &format!("/listings/{id}/rents")).await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            page.contains("name=\"unit_ids\"") && page.contains("/uses"),
            "the acquirer's page has the use form: {page}"
        );
        // A bad form value is an HTML error page with the problem, not a 500.
        let (s, body) = t
            .form(
                "acquirer",
                &format!("/listings/{id}/rents"),
                &[
                    ("kind", "adjustment"),
                    ("effective_date", "2027-12-01"),
                    ("rent_per_m2", "13,7O"),
                ],
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

        // The schedule page: upload a unit sheet, get the printable table with capitals.
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet().set_name("房源").unwrap();
        for (c, h) in ["房号", "楼栋", "楼层", "朝向", "户型", "建筑面积(m²)"]
            .iter()
            .enumerate()
        {
            ws.write(0, c as u16, *h).unwrap();
        }
        for (r, (room, area)) in [("201", 90.0), ("301", 110.0)].iter().enumerate() {
            ws.write(r as u32 + 1, 0, *room).unwrap();
            ws.write(r as u32 + 1, 5, *area).unwrap();
        }
        let bytes = wb.save_to_buffer().unwrap();
        let (cookie, csrf) = sign_in(&t.client, &t.base, t.token("acquirer")).await;
        let form = reqwest::multipart::Form::new()
            .text("csrf", csrf)
            .text("title", "迎驾花园一房一价表")
            .text("policy", "huoshan")
            .text("base_per_m2", "4000")
            .text("factors", "[building]\ndefault = \"1\"\n[floor]\ndefault = \"1\"\n[orientation]\ndefault = \"1\"\n[layout]\ndefault = \"1\"\n")
            .text("format", "html")
            .part("units", reqwest::multipart::Part::bytes(bytes).file_name("units.xlsx"));
        let r = reqwest::Client::new()
            .post(format!("{}/price/schedule", t.base))
            .header("cookie", cookie)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let page = r.text().await.unwrap();
        // 4,000 × 200 ㎡ = 800,000.00; with equal factors each unit pays 4,000 × its area.
        assert!(page.contains("迎驾花园一房一价表"), "{page}");
        assert!(
            page.contains("360000.00") && page.contains("440000.00"),
            "{page}"
        );
        assert!(page.contains("捌拾万元整"), "{page}");
    }
);
