//! The Huoshan flow end to end (HS-A7.1 → HS-A7.6), every step recorded.

use crate::harness::*;
use crate::on_both;
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both!(
    hs_a7_listing_travels_from_submission_to_filing_with_every_step_recorded,
    |t: TestApp| async move {
        let round = t.open_round().await;
        let id = t.listing_in_negotiation(round).await;
        let v = t
            .ok(
                "acquirer",
                id,
                "submit_result",
                Some("协商一致"),
                json!({ "price_per_m2": "3850.00" }),
            )
            .await;
        assert_eq!(v["state"], "leading_group_decision");
        let v = t
            .ok("leading_group", id, "approve", Some("同意"), Value::Null)
            .await;
        assert_eq!(v["state"], "approved");
        let (s, _) = t
            .upload("acquirer", id, "agreement", "协议.pdf", b"signed".to_vec())
            .await;
        assert_eq!(s, StatusCode::CREATED);
        t.ok("acquirer", id, "sign", None, Value::Null).await;
        let (s, _) = t
            .upload(
                "acquirer",
                id,
                "legal_formalities",
                "登记.pdf",
                b"done".to_vec(),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
        let v = t.ok("acquirer", id, "file", None, Value::Null).await;
        assert_eq!(v["state"], "filed");
        assert_eq!(v["end"], true);

        // The timeline: who, role, when, action, from, to — in version order, nothing missing.
        let h = t.history(id).await;
        let moves: Vec<(String, String)> = h
            .iter()
            .filter(|e| e["from_state"] != e["to_state"])
            .map(|e| {
                (
                    e["action"].as_str().unwrap().to_string(),
                    e["role"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let expected = [
            ("create", "developer"),
            ("submit_for_review", "developer"),
            ("pass_review", "housing_bureau"),
            ("enter_pool", "housing_bureau"),
            ("commission_valuation", "housing_bureau"),
            ("start_negotiation", "housing_bureau"),
            ("submit_result", "acquirer"),
            ("approve", "leading_group"),
            ("sign", "acquirer"),
            ("file", "acquirer"),
        ];
        assert_eq!(
            moves,
            expected
                .iter()
                .map(|(a, r)| (a.to_string(), r.to_string()))
                .collect::<Vec<_>>()
        );
        let versions: Vec<i64> = h.iter().map(|e| e["version"].as_i64().unwrap()).collect();
        assert_eq!(
            versions,
            (1..=versions.len() as i64).collect::<Vec<_>>(),
            "one history entry per version"
        );
        let approve = h.iter().find(|e| e["action"] == "approve").unwrap();
        let payload: Value = serde_json::from_str(approve["payload"].as_str().unwrap()).unwrap();
        assert_eq!(payload["rule"], "HS-P6");
        assert_eq!(payload["price_per_m2"], "3850.00");

        // HS-P6: the final price is recorded with the ceiling; 15 units, Σ area = 5 × (89.37 + 92.15 + 75.60)
        // = 1285.60 m²; total = 3850.00 × 1285.60 = 4,949,560.00 yuan.
        let (_, l) = t.get("supervisor", &format!("/api/listings/{id}")).await;
        let prices = l["prices"].as_array().unwrap();
        assert_eq!(prices.len(), 2);
        assert_eq!(prices[1]["kind"], "final");
        assert_eq!(prices[1]["total"], "4949560.00");
        assert_eq!(prices[1]["ceiling_per_m2"], "3990.00");
        // HS-P5: ceiling total = Σ round(3990.00 × area): 5 × (356586.30 + 367678.50 + 301644.00) = 5,129,544.00.
        assert_eq!(l["valuations"][0]["ceiling_total"], "5129544.00");
    }
);

on_both!(
    hs_a7_1_round_moves_from_survey_to_plan_approval_within_demand,
    |t: TestApp| async move {
        let round = t.open_round().await;
        let (_, r) = t
            .get("housing_bureau", &format!("/api/rounds/{round}"))
            .await;
        let demand: Vec<(String, u64)> = r["demand"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| {
                (
                    b["band"].as_str().unwrap().to_string(),
                    b["demand"].as_u64().unwrap(),
                )
            })
            .collect();
        assert!(
            demand.contains(&("60_90".into(), 100)) && demand.contains(&("90_120".into(), 50)),
            "{demand:?}"
        );
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
        let v = t
            .ok("leading_group", round, "approve_plan", None, Value::Null)
            .await;
        assert_eq!(v["state"], "done");
    }
);
