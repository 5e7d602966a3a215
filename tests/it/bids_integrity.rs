//! Issue 15 (bids and tenders under mistakes and misuse) and issue 19 (bids sealed against
//! every account and a copy of the database; references that reveal no count).

use crate::harness::*;
use crate::on_both;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn criteria() -> Value {
    json!({ "competition": "60", "location": "15", "transport": "10", "amenities": "5", "compliance": "10", "near_m": 500, "far_m": 3000 })
}

fn bid(price: &str, units: &[&str]) -> Value {
    json!({ "units": units, "price_per_m2": price, "whole_building": true, "clear_title": true, "has_delivery_date": true,
            "transit_m": 400, "school_m": 400, "hospital_m": 400, "shops_m": 400, "amenities": 10 })
}

fn terms(acq: &str) -> Value {
    json!({ "acquirer": acq, "mode": "fixed_area_compete_price", "min_unit_m2": "70", "max_unit_m2": "120",
        "criteria": criteria(), "budget": "1000000",
        "deadline_at": "2026-12-01T00:00:00Z", "opening_at": "2026-12-02T00:00:00Z" })
}

/// A Yangquan round open for listings on 2026-11-25 with its tender set; the opening key.
async fn tendered(t: &TestApp) -> (i64, String) {
    t.set_today(date("2026-11-25"));
    let round = t.open_round_in("huoshan").await;
    let acq = t.acquirer_of("huoshan").await;
    let (s, v) = t
        .post(
            "housing_bureau",
            &format!("/api/rounds/{round}/tender"),
            terms(&acq),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    (round, v["opening_key"].as_str().unwrap().to_string())
}

on_both!(
    yq_7_4_tender_terms_are_checked_and_corrected_only_before_the_first_bid,
    |t: TestApp| async move {
        t.set_today(date("2026-11-25"));
        let round = t.open_round_in("huoshan").await;
        let acq = t.acquirer_of("huoshan").await;
        let path = format!("/api/rounds/{round}/tender");
        for (field, value) in [
            ("budget", json!("-1000000")),
            ("price_cap_per_m2", json!("-1")),
            ("price_cap_per_m2", json!("3900.123")),
            ("min_unit_m2", json!("130")),
            ("deadline_at", json!("2026-11-01T00:00:00Z")),
        ] {
            let mut body = terms(&acq);
            body[field] = value.clone();
            let (s, v) = t.post("housing_bureau", &path, body).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{field} {value}: {v}");
            assert_eq!(v["field"], field, "{v}");
        }
        let (s, v) = t.post("housing_bureau", &path, terms(&acq)).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["opening_key"].as_str().unwrap().len(), 39, "{v}");
        // A typo is corrected, with a reason, before anyone bids; the history keeps both.
        let mut fixed = terms(&acq);
        fixed["budget"] = json!("2000000");
        let (s, v) = t.post("housing_bureau", &path, fixed.clone()).await;
        assert_eq!(
            (s, v["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("reason")),
            "{v}"
        );
        fixed["reason"] = json!("预算录入错误");
        let (s, v) = t.post("housing_bureau", &path, fixed.clone()).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(
            (v["corrected"].as_bool(), v["opening_key"].is_null()),
            (Some(true), true)
        );
        let h = t.history(round).await;
        let c = h
            .iter()
            .find(|e| e["action"] == "correct_tender")
            .expect("in the history");
        assert_eq!(c["comment"], "预算录入错误");
        let (s, v) = t
            .post(
                "developer",
                &format!("/api/rounds/{round}/bids"),
                bid("3900", &["90"]),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let (s, v) = t.post("housing_bureau", &path, fixed).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::CONFLICT, Some("tender_set")),
            "{v}"
        );
    }
);

on_both!(
    yq_7_4_every_tender_bid_and_opening_checks_the_rounds_state,
    |t: TestApp| async move {
        t.set_today(date("2026-11-25"));
        let acq = t.acquirer_of("huoshan").await;
        // Still in its demand survey: no tender.
        let (s, r) = t
            .post(
                "housing_bureau",
                "/api/rounds",
                json!({ "pack": "huoshan", "name": "需求调查中" }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        let (s, v) = t
            .post(
                "housing_bureau",
                &format!("/api/rounds/{}/tender", r["id"]),
                terms(&acq),
            )
            .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::CONFLICT, Some("wrong_state")),
            "{v}"
        );
        // Cancelled (an end state): no bid and no opening.
        let (round, key) = tendered(&t).await;
        t.ok(
            "housing_bureau",
            round,
            "cancel",
            Some("需求变化，终止本批次"),
            Value::Null,
        )
        .await;
        let (s, v) = t
            .post(
                "developer",
                &format!("/api/rounds/{round}/bids"),
                bid("3900", &["90"]),
            )
            .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::CONFLICT, Some("wrong_state")),
            "{v}"
        );
        t.set_today(date("2026-12-02"));
        let (s, v) = t
            .post(
                "housing_bureau",
                &format!("/api/rounds/{round}/bids/open"),
                json!({ "opening_key": key }),
            )
            .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::CONFLICT, Some("wrong_state")),
            "{v}"
        );
    }
);

on_both!(
    yq_7_1_a_revoked_acquirer_takes_no_more_bids,
    |t: TestApp| async move {
        let (round, _) = tendered(&t).await;
        let path = format!("/api/rounds/{round}/bids");
        let (s, _) = t.post("developer", &path, bid("3900", &["90"])).await;
        assert_eq!(s, StatusCode::CREATED);
        let (_, all) = t.get("supervisor", "/api/packs/huoshan/acquirers").await;
        let (s, v) = t
            .post(
                "government",
                &format!("/api/acquirers/{}/revoke", all[0]["id"]),
                json!({ "reason": "撤销指定" }),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (s, v) = t.post("developer_b", &path, bid("3800", &["90"])).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::CONFLICT, Some("acquirer_revoked")),
            "{v}"
        );
    }
);

on_both!(
    issue_15_bids_have_two_decimal_prices_limits_and_beijing_times,
    |t: TestApp| async move {
        let (round, _) = tendered(&t).await;
        let path = format!("/api/rounds/{round}/bids");
        let (s, v) = t.post("developer", &path, bid("3900.123", &["90"])).await;
        assert_eq!(
            (s, v["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("price_per_m2")),
            "{v}"
        );
        let mut by_unit = bid("1", &["90"]);
        by_unit.as_object_mut().unwrap().remove("price_per_m2");
        by_unit["unit_prices"] = json!(["351000.001"]);
        let (s, v) = t.post("developer", &path, by_unit).await;
        assert_eq!(
            (s, v["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("unit_prices[0]")),
            "{v}"
        );
        // At most 5,000 units a bid, and 20 bids a company in a round.
        let many: Vec<&str> = vec!["90"; 5001];
        let (s, v) = t.post("developer", &path, bid("3900", &many)).await;
        assert_eq!(
            (s, v["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("units")),
            "{v}"
        );
        for i in 0..20 {
            let (s, v) = t.post("developer", &path, bid("3900", &["90"])).await;
            assert_eq!(s, StatusCode::CREATED, "bid {i}: {v}");
        }
        let (s, v) = t.post("developer", &path, bid("3900", &["90"])).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::CONFLICT, Some("too_many_bids")),
            "{v}"
        );
        // What a person reads is Beijing time: 2026-12-01T00:00Z is 08:00 there.
        t.set_today(date("2026-12-01"));
        let (s, v) = t.post("developer_b", &path, bid("3800", &["90"])).await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        let detail = v["detail"].as_str().unwrap();
        assert!(
            detail.contains("2026-12-01 08:00（北京时间）") && !detail.contains("UTC"),
            "{detail}"
        );
    }
);

/// Every bid row's stored text, as a copy of the database shows it.
async fn stored_bids(t: &TestApp) -> String {
    let sql = "SELECT payload || COALESCE(sealed, '') || COALESCE(commitment, '') FROM bids";
    let rows: Vec<String> = match t.backend {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&t.url).await.unwrap();
            sqlx::query_scalar(sql).fetch_all(&pool).await.unwrap()
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&t.url).await.unwrap();
            sqlx::query_scalar(sql).fetch_all(&pool).await.unwrap()
        }
    };
    rows.join("\n")
}

on_both!(
    issue_19_sealed_bids_resist_every_account_and_a_copy_of_the_database,
    |t: TestApp| async move {
        let (round, key) = tendered(&t).await;
        let path = format!("/api/rounds/{round}/bids");
        let (s, mine) = t.post("developer", &path, bid("3871.11", &["93.17"])).await;
        assert_eq!(s, StatusCode::CREATED, "{mine}");
        // The bidder's receipt: its content, a random reference, the commitment and its salt.
        assert_eq!(mine["bid"]["price_per_m2"], "3871.11");
        let r = mine["ref"].as_str().unwrap();
        assert!(
            r.len() == 32 && r.chars().all(|c| c.is_ascii_hexdigit()),
            "{mine}"
        );
        assert!(
            mine.get("id").is_none(),
            "the database key stays inside: {mine}"
        );
        let (s, other) = t
            .post("developer_b", &path, bid("3905.55", &["88.21"]))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{other}");
        assert_ne!(other["ref"], mine["ref"]);
        // The administrator makes an account in the bidding company: it reads a receipt only.
        let (s, made) = t
            .post(
                "admin",
                "/api/users",
                json!({ "name": "临时账号", "role": "developer", "org": "乙公司" }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{made}");
        let r = t
            .client
            .get(format!("{}{path}", t.base))
            .bearer_auth(made["token"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        let text = r.text().await.unwrap();
        assert!(
            !text.contains("3905.55") && !text.contains("88.21"),
            "{text}"
        );
        let (s, _) = t.get("admin", &path).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // A copy of the database holds neither price nor area.
        let copy = stored_bids(&t).await;
        for secret in ["3871.11", "3905.55", "93.17", "88.21"] {
            assert!(!copy.contains(secret), "{secret} in {copy}");
        }
        // The opening needs the key; the wrong one opens nothing.
        t.set_today(date("2026-12-02"));
        let open = format!("{path}/open");
        let wrong: String = key.chars().rev().collect();
        for k in [json!(null), json!(wrong)] {
            let (s, v) = t
                .post("housing_bureau", &open, json!({ "opening_key": k }))
                .await;
            assert_eq!(
                (s, v["field"].as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, Some("opening_key")),
                "{v}"
            );
        }
        let (s, _) = t.get("housing_bureau", &path).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "still sealed");
        let (s, v) = t
            .post(
                "housing_bureau",
                &open,
                json!({ "opening_key": key.to_lowercase() }),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (_, all) = t.get("housing_bureau", &path).await;
        let prices: Vec<&str> = all
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["bid"]["price_per_m2"].as_str().unwrap())
            .collect();
        assert_eq!(prices, vec!["3871.11", "3905.55"]);
        let numbers: Vec<i64> = all
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["number"].as_i64().unwrap())
            .collect();
        assert_eq!(numbers, vec![1, 2]);
        assert_eq!(all[0]["commitment"], mine["commitment"]);
        let h = t.history(round).await;
        let o = h.iter().find(|e| e["action"] == "open_bids").unwrap();
        assert!(
            o["payload"]
                .as_str()
                .unwrap()
                .contains(mine["commitment"].as_str().unwrap())
        );
    }
);

on_both!(
    yq_7_4_bidders_read_the_published_result_after_the_opening,
    |t: TestApp| async move {
        let (round, key) = tendered(&t).await;
        let path = format!("/api/rounds/{round}/bids");
        let (s, _) = t.post("developer", &path, bid("3800", &["90", "95"])).await;
        assert_eq!(s, StatusCode::CREATED);
        let (s, _) = t
            .post("developer_b", &path, bid("4000", &["90", "95"]))
            .await;
        assert_eq!(s, StatusCode::CREATED);
        let result = format!("{path}/result");
        let (s, _) = t.get("developer", &result).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "sealed until the opening");
        t.set_today(date("2026-12-02"));
        let (s, v) = t
            .post(
                "housing_bureau",
                &format!("{path}/open"),
                json!({ "opening_key": key }),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (s, r) = t.get("developer_b", &result).await;
        assert_eq!(s, StatusCode::OK, "{r}");
        let rows: Vec<(&str, &str, &str, bool)> = r["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                (
                    x["developer_org"].as_str().unwrap(),
                    x["price_per_m2"].as_str().unwrap(),
                    x["competition_score"].as_str().unwrap(),
                    x["mine"].as_bool().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            vec![
                ("甲公司", "3800", "60.00", false),
                ("乙公司", "4000", "57.00", true)
            ]
        );
        let (s, page) = t
            .page("developer", &format!("/rounds/{round}/bids/result"))
            .await;
        assert_eq!(s, StatusCode::OK, "{page}");
        assert!(
            page.contains("乙公司") && page.contains("（本企业）") && page.contains("57.00"),
            "{page}"
        );
    }
);
