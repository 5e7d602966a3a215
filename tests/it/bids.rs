//! Sealed bids (issue 4, first part): sealing on every read path, the deadline, the opening, the
//! scored comparison and the plan.

use crate::harness::*;
use crate::on_both;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The weights every tender here uses: price or area 60, location 15, transport 10, amenities
/// 5, compliance 10; distances score full within 500 m and nothing beyond 3,000 m.
fn criteria() -> Value {
    json!({ "competition": "60", "location": "15", "transport": "10", "amenities": "5", "compliance": "10", "near_m": 500, "far_m": 3000 })
}

fn bid(price: &str, units: &[&str]) -> Value {
    json!({ "units": units, "price_per_m2": price, "whole_building": true, "clear_title": true, "has_delivery_date": true,
            "transit_m": 400, "school_m": 400, "hospital_m": 400, "shops_m": 400, "amenities": 10 })
}

on_both!(
    yq_7_4_bids_are_sealed_until_the_opening_and_fixed_after_the_deadline,
    |t: TestApp| async move {
        t.set_today(date("2026-11-25"));
        let round = t.open_round_in("huoshan").await;
        let acq = t.acquirer_of("huoshan").await;
        let tender = json!({ "acquirer": acq,
            "mode": "fixed_area_compete_price", "min_unit_m2": "70", "max_unit_m2": "120",
            "criteria": criteria(),
            "budget": "1000000", "deadline_at": "2026-12-01T00:00:00Z", "opening_at": "2026-12-02T00:00:00Z"
        });
        let (s, v) = t
            .post(
                "developer",
                &format!("/api/rounds/{round}/tender"),
                tender.clone(),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
        let (s, v) = t
            .post(
                "housing_bureau",
                &format!("/api/rounds/{round}/tender"),
                tender,
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let opening = json!({ "opening_key": v["opening_key"] });
        let path = format!("/api/rounds/{round}/bids");
        let (s, v) = t.post("developer", &path, bid("3900", &["90", "95"])).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        // A later bid of the same company supersedes the first before the deadline.
        let (s, _) = t.post("developer", &path, bid("3800", &["90", "95"])).await;
        assert_eq!(s, StatusCode::CREATED);
        let (s, _) = t
            .post("developer_b", &path, bid("4000", &["90", "95"]))
            .await;
        assert_eq!(s, StatusCode::CREATED);
        // Sealed: each company reads only its own latest bid; officials read none; no comparison.
        let (_, mine) = t.get("developer", &path).await;
        assert_eq!(mine.as_array().unwrap().len(), 1);
        // Sealed: a receipt (reference and commitment), never the content, even to its bidder.
        assert!(mine[0]["bid"].is_null(), "{mine}");
        assert_eq!(mine[0]["commitment"].as_str().unwrap().len(), 64);
        assert_eq!(mine[0]["sealed"], true);
        let (_, theirs) = t.get("developer_b", &path).await;
        assert_eq!(theirs.as_array().unwrap().len(), 1);
        assert_eq!(theirs[0]["developer_org"], "乙公司");
        for who in ["housing_bureau", "supervisor", "leading_group", "acquirer"] {
            let (s, v) = t.get(who, &path).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{who}: {v}");
            let (s, _) = t.get(who, &format!("{path}/comparison")).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{who}");
        }
        let (s, _) = t.get("developer", &format!("{path}/comparison")).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // After the deadline nobody changes a bid; the opening waits for its time.
        t.set_today(date("2026-12-01"));
        let (s, v) = t
            .post("developer_b", &path, bid("3700", &["90", "95"]))
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        assert_eq!(v["code"], "bidding_closed");
        let (s, v) = t
            .post("housing_bureau", &format!("{path}/open"), opening.clone())
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        assert_eq!(v["code"], "not_yet");
        t.set_today(date("2026-12-02"));
        let (s, v) = t
            .post("developer", &format!("{path}/open"), opening.clone())
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
        let (s, v) = t
            .post("housing_bureau", &format!("{path}/open"), opening.clone())
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let h = t.history(round).await;
        assert!(
            h.iter().any(|e| e["action"] == "open_bids"),
            "the opening is in the round's history"
        );
        // Open: officials read every bid; a developer still only its own.
        let (_, all) = t.get("housing_bureau", &path).await;
        assert_eq!(all.as_array().unwrap().len(), 2);
        let (_, mine) = t.get("developer_b", &path).await;
        assert_eq!(mine.as_array().unwrap().len(), 1);
        // 87号令 art. 55: 3,800 is the lowest valid price; 4,000 scores 3,800 ÷ 4,000 × 60 = 57.00.
        let (s, c) = t.get("housing_bureau", &format!("{path}/comparison")).await;
        assert_eq!(s, StatusCode::OK, "{c}");
        assert_eq!(c["ranking"][0]["competition_score"], "60.00");
        assert_eq!(c["ranking"][1]["competition_score"], "57.00");
        // The plan: 甲公司's 90 m² (342,000.00) and 95 m² (361,000.00) fit the budget of
        // 1,000,000.00; 乙公司's units would pass it.
        assert_eq!(c["plan"]["spent"], "703000.00");
        assert_eq!(c["plan"]["units"].as_array().unwrap().len(), 2);
        // The same as a workbook: read back, the numbers are the comparison's.
        let r = reqwest::Client::new()
            .get(format!("{}{path}/comparison.xlsx", t.base))
            .bearer_auth(t.token("housing_bureau"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        use calamine::{Data, Reader};
        let mut wb =
            calamine::Xlsx::new(std::io::Cursor::new(r.bytes().await.unwrap().to_vec())).unwrap();
        assert_eq!(
            wb.sheet_names().len(),
            7,
            "overview, five criteria, the plan"
        );
        let sheet = wb.worksheet_range("比选总表").unwrap();
        assert_eq!(
            sheet.get_value((1, 1)),
            Some(&Data::String("甲公司".into()))
        );
        assert_eq!(sheet.get_value((2, 13)), Some(&Data::Float(57.0)));
        let plan = wb.worksheet_range("收购方案").unwrap();
        assert_eq!(plan.get_value((3, 4)), Some(&Data::Float(703000.0)));
        // And as a page, sortable, with the plan in capitals.
        let (s, page) = t
            .page(
                "housing_bureau",
                &format!("/rounds/{round}/bids?sort=price"),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{page}");
        assert!(
            page.contains("甲公司") && page.contains("柒拾万叁仟元整"),
            "{page}"
        );
        let (s, _) = t.page("developer", &format!("/rounds/{round}/bids")).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // `anju bids compare --round <id> -o comparison.xlsx` writes the same workbook.
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("comparison.xlsx");
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_anju"))
            .args([
                "--workflows",
                manifest().join("workflows").to_str().unwrap(),
                "--database-url",
                &t.url,
            ])
            .args([
                "bids",
                "compare",
                "--round",
                &round.to_string(),
                "-o",
                out.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&out).unwrap();
        let plan = wb.worksheet_range("收购方案").unwrap();
        assert_eq!(plan.get_value((3, 4)), Some(&Data::Float(703000.0)));
    }
);

/// A bid workbook; `unit_prices` non-empty adds the 分户报价 sheet, pricing the 楼盘表's units
/// in their order (a shorter list leaves the last units unpriced).
fn bid_book(price: &str, with_facts: bool, mortgaged_first: bool, unit_prices: &[&str]) -> Vec<u8> {
    let mut us = units(&[dec("89.37"), dec("95.12")]);
    us[0].mortgaged = mortgaged_first;
    let bytes = anju::excel::unit_list::write_unit_list(&us).unwrap();
    // Re-open and add the 报价 sheet: write a fresh workbook with both sheets.
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet().set_name("楼盘表").unwrap();
    use calamine::Reader;
    let mut src = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let r = src.worksheet_range("楼盘表").unwrap();
    for (i, row) in r.rows().enumerate() {
        for (j, c) in row.iter().enumerate() {
            match c {
                calamine::Data::Float(f) => ws.write(i as u32, j as u16, *f).unwrap(),
                other => ws.write(i as u32, j as u16, other.to_string()).unwrap(),
            };
        }
    }
    let facts = wb.add_worksheet().set_name("报价").unwrap();
    let rows: Vec<(&str, &str)> = vec![
        ("报价(元/m²)", price),
        ("整栋或整单元(是/否)", "是"),
        ("产权清晰(是/否)", "是"),
        ("有交付日期(是/否)", "是"),
        ("距公交站(米)", "400"),
        ("距学校(米)", "800"),
        ("距医院(米)", "1200"),
        ("距商业(米)", "300"),
    ];
    for (i, (k, v)) in rows.iter().enumerate() {
        facts.write(i as u32, 0, *k).unwrap();
        facts.write(i as u32, 1, *v).unwrap();
    }
    if with_facts {
        facts.write(8, 0, "配套设施(项)").unwrap();
        facts.write(8, 1, 6).unwrap();
        // The optional facts: a real date cell, the state, the decoration.
        facts.write(9, 0, "交付日期(年-月-日)").unwrap();
        let d = rust_xlsxwriter::ExcelDateTime::from_ymd(2027, 6, 30).unwrap();
        facts
            .write_datetime_with_format(
                9,
                1,
                &d,
                &rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd"),
            )
            .unwrap();
        facts.write(10, 0, "建设状态(已建成/在建)").unwrap();
        facts.write(10, 1, "已建成").unwrap();
        facts.write(11, 0, "装修").unwrap();
        facts.write(11, 1, "精装").unwrap();
    }
    if !unit_prices.is_empty() {
        let ws = wb.add_worksheet().set_name("分户报价").unwrap();
        for (j, h) in ["楼栋", "单元", "房号", "总价(元)"].iter().enumerate() {
            ws.write(0, j as u16, *h).unwrap();
        }
        for (k, p) in unit_prices.iter().enumerate() {
            let row = k as u32 + 1;
            for (j, col) in [0u32, 1, 3].iter().enumerate() {
                let v = r.get_value((row, *col)).unwrap().to_string();
                ws.write(row, j as u16, v).unwrap();
            }
            match p.parse::<f64>() {
                Ok(f) => ws.write(row, 3, f).unwrap(),
                Err(_) => ws.write(row, 3, *p).unwrap(),
            };
        }
    }
    wb.save_to_buffer().unwrap()
}

on_both!(
    yq_7_4_bids_arrive_as_workbooks_checked_cell_by_cell,
    |t: TestApp| async move {
        t.set_today(date("2026-11-25"));
        let round = t.open_round_in("huoshan").await;
        let acq = t.acquirer_of("huoshan").await;
        let (s, v) = t
            .post("housing_bureau", &format!("/api/rounds/{round}/tender"), json!({
                "acquirer": acq, "mode": "negotiated", "max_unit_m2": "120",
                "criteria": criteria(),
                "budget": "1000000", "deadline_at": "2026-12-01T00:00:00Z", "opening_at": "2026-12-02T00:00:00Z" }))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let send = |bytes: Vec<u8>| {
            let t = &t;
            async move {
                let r = reqwest::Client::new()
                    .post(format!("{}/api/rounds/{round}/bids.xlsx", t.base))
                    .bearer_auth(t.token("developer"))
                    .body(bytes)
                    .send()
                    .await
                    .unwrap();
                let s = r.status();
                (s, r.json::<Value>().await.unwrap())
            }
        };
        // Text in the price and a missing fact: refused, each with its place; nothing stored.
        let (s, v) = send(bid_book("三千八", false, false, &[])).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        let codes: Vec<&str> = v["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["code"].as_str().unwrap())
            .collect();
        assert!(
            codes.contains(&"missing_fact") && codes.contains(&"not_a_number"),
            "{v}"
        );
        let (_, mine) = t
            .get("developer", &format!("/api/rounds/{round}/bids"))
            .await;
        assert_eq!(mine.as_array().unwrap().len(), 0);
        // A clean workbook; a mortgaged unit makes the title unclear whatever the sheet says.
        let (s, v) = send(bid_book("3850", true, true, &[])).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(
            v["bid"]["units"].as_array().unwrap().len(),
            10,
            "two areas on five floors"
        );
        assert_eq!(v["bid"]["clear_title"], false);
        assert_eq!(v["bid"]["amenities"], 6);
        assert_eq!(v["facts"]["delivery_date"], "2027-06-30", "{v}");
        assert_eq!(v["facts"]["construction_state"], "completed");
        assert_eq!(v["facts"]["decoration"], "精装");
        // The template names the sheets and facts.
        let r = reqwest::Client::new()
            .get(format!("{}/api/templates/bid.xlsx", t.base))
            .bearer_auth(t.token("developer"))
            .send()
            .await
            .unwrap();
        use calamine::Reader;
        let mut wb =
            calamine::Xlsx::new(std::io::Cursor::new(r.bytes().await.unwrap().to_vec())).unwrap();
        assert_eq!(wb.sheet_names(), vec!["楼盘表", "报价", "分户报价"]);
        assert_eq!(wb.worksheet_range("报价").unwrap().height(), 12);

        // 一房一价: the 分户报价 sheet prices each unit; 报价(元/m²) is then left empty.
        let by_unit: Vec<&str> = (0..10)
            .map(|k| if k % 2 == 0 { "350000" } else { "370000" })
            .collect();
        let (s, v) = send(bid_book("3850", true, false, &by_unit)).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["errors"][0]["code"], "priced_twice", "{v}");
        // An unpriced unit and a price in words: each named with its place; nothing stored.
        let mut bad = by_unit[..9].to_vec();
        bad[1] = "三十七万";
        let (s, v) = send(bid_book("", true, false, &bad)).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        let errors = v["errors"].as_array().unwrap();
        let word = errors
            .iter()
            .find(|e| e["code"] == "not_a_price")
            .expect("not_a_price");
        assert_eq!(
            (
                word["sheet"].as_str(),
                word["row"].as_i64(),
                word["column"].as_str()
            ),
            (Some("分户报价"), Some(3), Some("D")),
            "{v}"
        );
        let missing: Vec<&str> = errors
            .iter()
            .filter(|e| e["code"] == "missing_price")
            .map(|e| e["message"].as_str().unwrap())
            .collect();
        assert_eq!(missing.len(), 2, "302 (the word) and 602 (no row): {v}");
        assert!(missing.iter().any(|m| m.contains("602")), "{v}");
        let (_, mine) = t
            .get("developer", &format!("/api/rounds/{round}/bids"))
            .await;
        assert_eq!(
            mine.as_array().unwrap().len(),
            1,
            "only the earlier clean bid"
        );
        // Five units at 350,000 and five at 370,000 = 3,600,000 yuan over 5 × 89.37 + 5 × 95.12
        // = 922.45 m²: 3,902.6505… → 3,902.65 per m².
        let (s, v) = send(bid_book("", true, false, &by_unit)).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["bid"]["price_per_m2"], "3902.65", "{v}");
        assert_eq!(v["facts"]["unit_prices"][0], "350000", "{v}");
        assert_eq!(v["facts"]["unit_prices"][1], "370000", "{v}");
    }
);

on_both!(
    hs_a7_5_a_bid_on_a_valued_listing_is_shown_against_its_ceiling,
    |t: TestApp| async move {
        t.set_today(date("2026-11-25"));
        let round = t.open_round().await;
        // 甲公司's listing is valued: ceiling 3,990.00 per m².
        let listing = t.listing_in_negotiation(round).await;
        let acq = t.acquirer_of("huoshan").await;
        let (s, v) = t
            .post("housing_bureau", &format!("/api/rounds/{round}/tender"), json!({
                "acquirer": acq, "mode": "negotiated", "max_unit_m2": "120",
                "criteria": criteria(),
                "budget": "100000000", "deadline_at": "2027-06-01T00:00:00Z", "opening_at": "2027-06-02T00:00:00Z" }))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let opening = json!({ "opening_key": v["opening_key"] });
        let path = format!("/api/rounds/{round}/bids");
        let mut b = bid("4000", &["90", "95"]);
        b["listing_id"] = json!(listing);
        // Another company cannot bid with 甲公司's listing.
        let (s, v) = t.post("developer_b", &path, b.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        let (s, v) = t.post("developer", &path, b).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let (s, _) = t
            .post("developer_b", &path, bid("3950", &["90", "95"]))
            .await;
        assert_eq!(s, StatusCode::CREATED);
        t.set_today(date("2027-06-02"));
        let (s, _) = t
            .post("housing_bureau", &format!("{path}/open"), opening.clone())
            .await;
        assert_eq!(s, StatusCode::OK);
        let (_, c) = t.get("housing_bureau", &format!("{path}/comparison")).await;
        let mine = c["bids"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["developer_org"] == "甲公司")
            .unwrap();
        assert_eq!(mine["bid"]["ceiling_per_m2"], "3990.00");
        assert_eq!(mine["gap_to_ceiling_per_m2"], "-10.00");
        let ranked = c["ranking"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == mine["number"])
            .unwrap();
        assert_eq!(ranked["flags"]["above_ceiling"], true);
        assert_eq!(ranked["flags"]["valid"], false);
        let (s, page) = t
            .page("housing_bureau", &format!("/rounds/{round}/bids"))
            .await;
        assert_eq!(s, StatusCode::OK, "{page}");
        assert!(
            page.contains("3,990.00") && page.contains("-10.00"),
            "{page}"
        );
    }
);

on_both!(
    hs_a7_4_the_leading_group_approves_the_plan_recorded_from_the_bids,
    |t: TestApp| async move {
        t.set_today(date("2026-11-25"));
        let round = t.open_round_in("huoshan").await;
        let acq = t.acquirer_of("huoshan").await;
        let (s, v) = t
            .post("housing_bureau", &format!("/api/rounds/{round}/tender"), json!({
                "acquirer": acq, "mode": "fixed_area_compete_price", "min_unit_m2": "70", "max_unit_m2": "120",
                "criteria": criteria(),
                "budget": "1000000", "deadline_at": "2026-12-01T00:00:00Z", "opening_at": "2026-12-02T00:00:00Z" }))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let opening = json!({ "opening_key": v["opening_key"] });
        let path = format!("/api/rounds/{round}/bids");
        let (s, _) = t.post("developer", &path, bid("3800", &["90", "95"])).await;
        assert_eq!(s, StatusCode::CREATED);
        let (s, _) = t
            .post("developer_b", &path, bid("4000", &["90", "95"]))
            .await;
        assert_eq!(s, StatusCode::CREATED);
        t.ok(
            "housing_bureau",
            round,
            "close_solicitation",
            None,
            Value::Null,
        )
        .await;
        t.ok("housing_bureau", round, "start_planning", None, Value::Null)
            .await;
        let plan_path = format!("/api/rounds/{round}/plan");
        // Sealed bids give no plan yet, and without one the leading group cannot approve.
        let (s, v) = t.post("housing_bureau", &plan_path, Value::Null).await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        assert_eq!(v["code"], "not_opened");
        let (s, v) = t
            .act("leading_group", round, "approve_plan", None, Value::Null)
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert!(v.to_string().contains("plan_recorded"), "{v}");
        t.set_today(date("2026-12-02"));
        let (s, _) = t
            .post("housing_bureau", &format!("{path}/open"), opening.clone())
            .await;
        assert_eq!(s, StatusCode::OK);
        // Only the housing bureau writes the plan.
        let (s, _) = t.post("leading_group", &plan_path, Value::Null).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let bids_page = format!("/rounds/{round}/bids");
        let (s, page) = t.page("housing_bureau", &bids_page).await;
        assert_eq!(s, StatusCode::OK, "{page}");
        assert!(
            page.contains("尚未记录收购方案") && page.contains("收购主体：huoshan安居公司"),
            "{page}"
        );
        let (s, p) = t.post("housing_bureau", &plan_path, Value::Null).await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        // 甲公司 (3,800/m², best) fills two units: 90 × 3,800 + 95 × 3,800 = 703,000.00 within
        // the 1,000,000 budget; 乙公司's 90 m² at 4,000 (360,000.00) would pass it.
        assert_eq!(p["plan"]["spent"], "703000.00");
        assert_eq!(p["plan"]["by_band"]["60_90"], 1);
        assert_eq!(p["plan"]["by_band"]["90_120"], 1);
        let sha = p["sha256"].as_str().unwrap().to_string();
        assert_eq!(sha.len(), 64);
        let (_, page) = t.page("supervisor", &bids_page).await;
        assert!(
            page.contains("已记录为本批次的收购方案")
                && !page.contains("当前比选结果与已记录的方案不同"),
            "{page}"
        );
        let (_, again) = t.get("supervisor", &plan_path).await;
        assert_eq!(again["sha256"], sha.as_str());
        let v = t
            .ok("leading_group", round, "approve_plan", None, Value::Null)
            .await;
        assert_eq!(v["state"], "done");
        let h = t.history(round).await;
        let payload = |action: &str| -> Value {
            let e = h.iter().find(|e| e["action"] == action).unwrap();
            serde_json::from_str(e["payload"].as_str().unwrap()).unwrap()
        };
        assert_eq!(payload("approve_plan")["plan"]["sha256"], sha.as_str());
        assert_eq!(payload("record_plan")["sha256"], sha.as_str());
        // The plan is recorded in the planning step only.
        let (s, v) = t.post("housing_bureau", &plan_path, Value::Null).await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        assert_eq!(v["code"], "wrong_state");
    }
);

on_both!(
    yq_7_4_a_bid_priced_by_the_unit_competes_at_its_average_per_m2,
    |t: TestApp| async move {
        t.set_today(date("2026-11-25"));
        let round = t.open_round_in("huoshan").await;
        let acq = t.acquirer_of("huoshan").await;
        let (s, v) = t
            .post("housing_bureau", &format!("/api/rounds/{round}/tender"), json!({
                "acquirer": acq, "mode": "fixed_area_compete_price", "min_unit_m2": "70", "max_unit_m2": "120",
                "criteria": criteria(), "budget": "1000000",
                "deadline_at": "2026-12-01T00:00:00Z", "opening_at": "2026-12-02T00:00:00Z" }))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let opening = json!({ "opening_key": v["opening_key"] });
        let path = format!("/api/rounds/{round}/bids");
        let by_unit = |prices: Value| {
            let mut b = bid("0", &["90", "95"]);
            b.as_object_mut().unwrap().remove("price_per_m2");
            b["unit_prices"] = prices;
            b["delivery_date"] = json!("2027-06-30");
            b["construction_state"] = json!("under_construction");
            b["decoration"] = json!("简装");
            b
        };
        // One price per unit; not both ways at once; not neither.
        let (s, v) = t.post("developer", &path, by_unit(json!(["342000"]))).await;
        assert_eq!(
            (s, v["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("unit_prices")),
            "{v}"
        );
        let mut both = by_unit(json!(["342000", "361950"]));
        both["price_per_m2"] = json!("3800");
        let (s, v) = t.post("developer", &path, both).await;
        assert_eq!(
            (s, v["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("price_per_m2")),
            "{v}"
        );
        let mut neither = bid("0", &["90", "95"]);
        neither.as_object_mut().unwrap().remove("price_per_m2");
        let (s, _) = t.post("developer", &path, neither).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        // 342,000 + 361,950 = 703,950 yuan over 90 + 95 = 185 m²: 3,805.135… → 3,805.14 per m².
        let (s, v) = t
            .post("developer", &path, by_unit(json!(["342000", "361950"])))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["bid"]["price_per_m2"], "3805.14");
        assert_eq!(v["facts"]["unit_prices"], json!(["342000", "361950"]));
        assert_eq!(v["facts"]["delivery_date"], "2027-06-30");
        assert_eq!(v["bid"]["has_delivery_date"], true);
        let (s, _) = t
            .post("developer_b", &path, bid("3900", &["90", "95"]))
            .await;
        assert_eq!(s, StatusCode::CREATED);
        t.set_today(date("2026-12-02"));
        let (s, _) = t
            .post("housing_bureau", &format!("{path}/open"), opening.clone())
            .await;
        assert_eq!(s, StatusCode::OK);
        // Lowest valid price 3,805.14 scores the full 60; 3,900 scores 3,805.14 ÷ 3,900 × 60 = 58.54.
        let (_, c) = t.get("housing_bureau", &format!("{path}/comparison")).await;
        assert_eq!(c["ranking"][0]["competition_score"], "60.00", "{c}");
        assert_eq!(c["ranking"][1]["competition_score"], "58.54", "{c}");
        let (s, page) = t
            .page("housing_bureau", &format!("/rounds/{round}/bids"))
            .await;
        assert_eq!(s, StatusCode::OK, "{page}");
        assert!(
            page.contains("2027-06-30 · 在建 · 简装") && page.contains("按套报价均价"),
            "{page}"
        );
        // The workbook carries the same facts: the delivery date, the state, the decoration.
        let r = reqwest::Client::new()
            .get(format!("{}{path}/comparison.xlsx", t.base))
            .bearer_auth(t.token("housing_bureau"))
            .send()
            .await
            .unwrap();
        use calamine::{Data, Reader};
        let mut wb =
            calamine::Xlsx::new(std::io::Cursor::new(r.bytes().await.unwrap().to_vec())).unwrap();
        let sheet = wb.worksheet_range("比选总表").unwrap();
        assert_eq!(
            sheet.get_value((1, 9)),
            Some(&Data::String("2027-06-30".into()))
        );
        assert_eq!(sheet.get_value((1, 21)), Some(&Data::String("在建".into())));
        assert_eq!(sheet.get_value((1, 22)), Some(&Data::String("简装".into())));
        assert_eq!(sheet.get_value((1, 2)), Some(&Data::Float(3805.14)));
    }
);
