//! Each jurisdiction by its own text (issue 12): each pack's own acquisition flow walked end to
//! end, who designates and who approves, with the rules each text sets and no other.

use crate::harness::*;
use crate::on_both;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn designate(name: &str, platform: bool) -> Value {
    json!({ "name": name, "financing_platform": platform, "decision_ref": "市政府常务会议纪要〔2026〕3号" })
}

on_both!(
    hs_a3_yq_7_nc_5_xy_41_the_government_designates_the_acquirers,
    |t: TestApp| async move {
        // HS-A3: 县政府选定1家国有企业. The leading group, which decided before, no longer may.
        let hp = "/api/packs/huoshan/acquirers";
        for who in ["leading_group", "housing_bureau", "admin"] {
            let (s, v) = t.post(who, hp, designate("霍山安居公司", false)).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{who}: {v}");
        }
        let (s, v) = t
            .post("government", hp, designate("霍山安居公司", false))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let (s, v) = t
            .post("government", hp, designate("霍山第二公司", false))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(
            (v["code"].as_str(), v["rule"].as_str()),
            (Some("acquirer_limit"), Some("HS-A3"))
        );
        // YQ-7: 由市政府选定不超过2家地方国有企业; YQ-7.1: 不得为政府融资平台 (outright, no exception).
        let yp = "/api/packs/yangquan/acquirers";
        let (s, v) = t
            .post("government", yp, designate("阳泉城投公司", true))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(
            (v["code"].as_str(), v["rule"].as_str()),
            (Some("financing_platform"), Some("YQ-7.1"))
        );
        let (s, a) = t
            .post("government", yp, designate("阳泉安居投资公司", false))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{a}");
        let (s, b) = t
            .post("government", yp, designate("阳泉国有住房公司", false))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        let (s, v) = t
            .post("government", yp, designate("阳泉第三公司", false))
            .await;
        assert_eq!(
            (s, v["code"].as_str(), v["rule"].as_str()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("acquirer_limit"),
                Some("YQ-7")
            )
        );
        // A revocation is a new record and frees the place; only the government revokes.
        let revoke = format!("/api/acquirers/{}/revoke", b["id"]);
        let (s, _) = t
            .post("leading_group", &revoke, json!({ "reason": "合并" }))
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, v) = t
            .post(
                "government",
                &revoke,
                json!({ "reason": "并入阳泉安居投资公司" }),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (s, _) = t
            .post("government", yp, designate("阳泉第三公司", false))
            .await;
        assert_eq!(s, StatusCode::CREATED);
        // NC-5 names one company, the 保障房公司.
        let np = "/api/packs/nanchang/acquirers";
        let (s, _) = t
            .post(
                "government",
                np,
                designate("南昌市保障性住房建设有限公司", false),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
        let (s, v) = t.post("government", np, designate("另一公司", false)).await;
        assert_eq!(
            (s, v["rule"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("NC-5"))
        );
        // XY-41 sets no number and no platform ban: none is invented.
        let xp = "/api/packs/xingyi/acquirers";
        for name in ["兴义市城投公司", "兴义市安居公司", "兴义市保障房公司"] {
            let (s, v) = t.post("government", xp, designate(name, true)).await;
            assert_eq!(s, StatusCode::CREATED, "{name}: {v}");
        }
    }
);

on_both!(
    yq_7_4_yangquan_acquirer_runs_the_tender_and_buys_the_picked_listing_under_the_ceiling,
    |t: TestApp| async move {
        t.set_today(date("2026-11-02"));
        // YQ-7: the counties' waiting-list demand (70_90: 100, 90_120: 50); the acquiring
        // company the city designated publishes the tender.
        let round = t.open_round_in("yangquan").await;
        let acq = t.acquirer_of("yangquan").await;
        let (_, r) = t.get("supervisor", &format!("/api/rounds/{round}")).await;
        assert_eq!(r["instance"]["state"], "tendering", "{r}");
        let h = t.history(round).await;
        let surveyed = h
            .iter()
            .find(|e| e["action"] == "record_survey_returns")
            .unwrap();
        assert!(
            surveyed["payload"].as_str().unwrap().contains("\"YQ-7\""),
            "{surveyed}"
        );
        // YQ-7.2: completed housing only — a project under construction is not short-listed.
        let units6 = units(&[dec("89.50"), dec("92.00")]);
        let id = t.listing_with(round, "developer", &units6).await;
        let (s, v) = t
            .post("developer", &format!("/api/rounds/{round}/listings"), json!({
                "project_name": "在建项目", "address": "阳泉市城区", "construction_state": "under_construction",
                "topped_out": true, "in_delivery_campaign": true, "delivery_date": "2027-06-30",
                "offer_scope": "whole_building", "decoration": "毛坯" }))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let unfinished = v["id"].as_i64().unwrap();
        for l in [id] {
            t.ok(
                "developer",
                l,
                "submit_for_qualification",
                None,
                Value::Null,
            )
            .await;
            t.ok(
                "natural_resources",
                l,
                "sign_off_title",
                Some("可以办理不动产权证书"),
                json!({ "clear": true }),
            )
            .await;
        }
        let (_, v) = t
            .act("acquirer", unfinished, "shortlist", None, Value::Null)
            .await;
        assert_eq!(v["code"], "wrong_state", "{v}");
        // The housing bureau does not run Yangquan's qualification: the acquirer does (YQ-7.4).
        let (s, _) = t
            .act("housing_bureau", id, "shortlist", None, Value::Null)
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        t.ok("acquirer", id, "shortlist", None, Value::Null).await;
        // The tender's terms are the acquirer's; the housing bureau may not set them.
        let tender = json!({ "acquirer": acq, "mode": "fixed_area_compete_price", "min_unit_m2": "70", "max_unit_m2": "120",
            "criteria": { "competition": "60", "location": "15", "transport": "10", "amenities": "5", "compliance": "10", "near_m": 500, "far_m": 3000 },
            "budget": "10000000", "deadline_at": "2026-11-10T00:00:00Z", "opening_at": "2026-11-11T00:00:00Z" });
        let tp = format!("/api/rounds/{round}/tender");
        let (s, v) = t.post("housing_bureau", &tp, tender.clone()).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
        assert!(v["detail"].as_str().unwrap().contains("YQ-7.4"), "{v}");
        let (s, v) = t.post("acquirer", &tp, tender).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let key = v["opening_key"].as_str().unwrap().to_string();
        let bids = format!("/api/rounds/{round}/bids");
        let (s, v) = t
            .post("developer", &bids, json!({ "units": ["89.50", "92.00"], "price_per_m2": "3900", "listing_id": id,
                "whole_building": true, "clear_title": true, "has_delivery_date": true,
                "transit_m": 400, "school_m": 400, "hospital_m": 400, "shops_m": 400, "amenities": 10 }))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        // The acquirer opens the bids at their time; the housing bureau reads the comparison.
        t.set_today(date("2026-11-11"));
        let (s, _) = t
            .post(
                "housing_bureau",
                &format!("{bids}/open"),
                json!({ "opening_key": key }),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, v) = t
            .post(
                "acquirer",
                &format!("{bids}/open"),
                json!({ "opening_key": key }),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (s, c) = t.get("housing_bureau", &format!("{bids}/comparison")).await;
        assert_eq!(s, StatusCode::OK, "{c}");
        t.ok("acquirer", round, "close_tender", None, Value::Null)
            .await;
        // YQ-7.3: the reference ceiling, (1,350 + 2,480) × 1.04 = 3,983.20/m².
        t.ok("acquirer", id, "commission_valuation", None, Value::Null)
            .await;
        let mut body = t.valuation_body(id).await;
        body["land_per_m2"] = json!("1350");
        body["construction_per_m2"] = json!("2480");
        body["profit_rate"] = json!("0.04");
        let (s, v) = t
            .post("appraiser", &format!("/api/listings/{id}/valuations"), body)
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["ceiling_per_m2"], "3983.20");
        assert_eq!(v["rules"], json!(["YQ-7.3"]));
        t.ok("acquirer", id, "start_inquiry", None, Value::Null)
            .await;
        // Only what the recorded plan picked is bought.
        let (_, v) = t
            .act(
                "acquirer",
                id,
                "pick",
                None,
                json!({ "price_per_m2": "3900.00" }),
            )
            .await;
        assert!(
            v["details"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["guard"] == "in_recorded_plan" && d["rule"] == "YQ-7.4"),
            "{v}"
        );
        let (s, v) = t
            .post(
                "acquirer",
                &format!("/api/rounds/{round}/plan"),
                Value::Null,
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        // Above the reference ceiling is refused citing YQ-7.3; at 3,900.00 it is bought.
        let (_, v) = t
            .act(
                "acquirer",
                id,
                "pick",
                None,
                json!({ "price_per_m2": "3983.21" }),
            )
            .await;
        assert!(
            v["details"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["guard"] == "price_within_ceiling" && d["rule"] == "YQ-7.3"),
            "{v}"
        );
        let v = t
            .ok(
                "acquirer",
                id,
                "pick",
                None,
                json!({ "price_per_m2": "3900.00" }),
            )
            .await;
        assert_eq!(v["state"], "picked");
        t.ok("acquirer", round, "decide_plan", None, Value::Null)
            .await;
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
        let v = t
            .ok("natural_resources", id, "register_title", None, Value::Null)
            .await;
        assert_eq!(v["state"], "registered");
        // The final price is recorded with the reference ceiling: ten units (five floors of
        // 89.50 and 92.00 m², Σ 907.50 m²) × 3,900.00 = 3,539,250.00.
        let (_, l) = t.get("supervisor", &format!("/api/listings/{id}")).await;
        let last = l["prices"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(
            (
                last["kind"].as_str(),
                last["total"].as_str(),
                last["ceiling_per_m2"].as_str()
            ),
            (Some("final"), Some("3539250.00"), Some("3983.20"))
        );
        // Yangquan's texts set no rent rules and no listing publicity.
        assert!(
            t.history(id)
                .await
                .iter()
                .all(|e| e["to_state"] != "publicity")
        );
    }
);

on_both!(
    yq_7_2_an_exception_to_yangquans_whole_building_rule_cites_yangquans_article,
    |t: TestApp| async move {
        // Scattered units fail 原则上以整栋或整单元收购 (YQ-7.2); the report and the exception cite
        // Yangquan's article; the acquirer asks, the city housing department approves (YQ-4).
        let round = t.open_round_in("yangquan").await;
        let id = t
            .listing_offering(
                round,
                "developer",
                &units(&[dec("89.37"), dec("92.15")]),
                "scattered",
            )
            .await;
        t.ok(
            "developer",
            id,
            "submit_for_qualification",
            None,
            Value::Null,
        )
        .await;
        t.ok(
            "natural_resources",
            id,
            "sign_off_title",
            None,
            json!({ "clear": true }),
        )
        .await;
        let (_, l) = t.get("acquirer", &format!("/api/listings/{id}")).await;
        let check = l["review"]["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == "whole_building")
            .cloned()
            .unwrap();
        assert_eq!(
            (check["passed"].as_bool(), check["rule"].as_str()),
            (Some(false), Some("YQ-7.2")),
            "{check}"
        );
        let (_, v) = t.act("acquirer", id, "shortlist", None, Value::Null).await;
        assert!(
            v["details"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["rule"] == "YQ-7.2"),
            "{v}"
        );
        let ex = format!("/api/listings/{id}/exceptions");
        let body =
            json!({ "check_id": "whole_building", "reason": "零散房源集中在同一单元，可封闭管理" });
        let (s, _) = t.post("housing_bureau", &ex, body.clone()).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "the approver does not ask");
        let (s, e) = t.post("acquirer", &ex, body).await;
        assert_eq!(s, StatusCode::CREATED, "{e}");
        assert_eq!(e["rule"], "YQ-7.2", "{e}");
        let decide = format!("/api/exceptions/{}/decision", e["id"]);
        let (s, _) = t
            .post(
                "leading_group",
                &decide,
                json!({ "approved": true, "comment": "同意" }),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "Yangquan has no leading group");
        let (s, v) = t
            .post(
                "housing_bureau",
                &decide,
                json!({ "approved": true, "comment": "同意" }),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(
            t.ok("acquirer", id, "shortlist", None, Value::Null).await["state"],
            "shortlisted"
        );
    }
);

on_both!(
    nc_20_nanchang_buys_at_cost_through_the_zhuanban_and_the_city_government,
    |t: TestApp| async move {
        let round = t.open_round_in("nanchang").await;
        let id = t.listing_in_review(round).await;
        // NC-16: ≤ 120 m² and 毛坯 in principle; no 90 m² rule, no stage rule.
        let (_, l) = t
            .get("housing_bureau", &format!("/api/listings/{id}"))
            .await;
        let ids: Vec<&str> = l["review"]["checks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        assert!(
            ids.contains(&"unfinished_handover")
                && !ids.contains(&"near_target_share")
                && !ids.contains(&"construction"),
            "{ids:?}"
        );
        let v = t
            .ok("housing_bureau", id, "pass_review", None, Value::Null)
            .await;
        let due: chrono::NaiveDate = v["deadline"]["due"].as_str().unwrap().parse().unwrap();
        t.set_today(due.succ_opt().unwrap());
        t.ok("housing_bureau", id, "end_publicity", None, Value::Null)
            .await;
        // NC-20: the cost needs its basis, and the basis its evidence; no profit is added.
        let vp = format!("/api/listings/{id}/valuations");
        let mut body = t.valuation_body(id).await;
        let (s, v) = t.post("appraiser", &vp, body.clone()).await;
        assert_eq!(
            (s, v["code"].as_str(), v["rule"].as_str()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("cost_basis_required"),
                Some("NC-20")
            ),
            "{v}"
        );
        body["cost_basis"] = json!("appraisal");
        let (s, v) = t.post("appraiser", &vp, body.clone()).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("cost_basis_missing")),
            "{v}"
        );
        t.upload(
            "acquirer",
            id,
            "risk_assessment",
            "风险评估.pdf",
            b"risk".to_vec(),
        )
        .await;
        let (s, v) = t.post("appraiser", &vp, body.clone()).await;
        assert_eq!(
            (s, v["code"].as_str(), v["rule"].as_str()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("profit_rate_above_cap"),
                Some("NC-20")
            ),
            "5 % profit: {v}"
        );
        body["profit_rate"] = json!("0");
        let (s, v) = t.post("appraiser", &vp, body).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(
            (v["ceiling_per_m2"].as_str(), v["cost_basis"].as_str()),
            (Some("3800.00"), Some("appraisal"))
        );
        t.ok("acquirer", id, "start_negotiation", None, Value::Null)
            .await;
        // At cost × 1.05 (3,990.00, what Huoshan's HS-P5 would allow) it is refused; at cost it passes.
        let (_, v) = t
            .act(
                "acquirer",
                id,
                "submit_result",
                None,
                json!({ "price_per_m2": "3990.00" }),
            )
            .await;
        assert!(
            v["details"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["guard"] == "price_within_ceiling" && d["rule"] == "NC-20"),
            "{v}"
        );
        t.ok(
            "acquirer",
            id,
            "submit_result",
            None,
            json!({ "price_per_m2": "3800.00" }),
        )
        .await;
        // NC-6: the 专班办公室 studies, the city government approves.
        let (s, _) = t
            .act("government", id, "zhuanban_pass", None, Value::Null)
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        t.ok(
            "leading_group",
            id,
            "zhuanban_pass",
            Some("专班办公室研究同意"),
            Value::Null,
        )
        .await;
        let (s, _) = t
            .act("leading_group", id, "approve", None, Value::Null)
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        t.ok("government", id, "approve", Some("市政府同意"), Value::Null)
            .await;
        t.upload("acquirer", id, "agreement", "协议.pdf", b"signed".to_vec())
            .await;
        assert_eq!(
            t.ok("acquirer", id, "sign", None, Value::Null).await["state"],
            "acquired"
        );
        // The Nanchang pack is a draft for comment: the listing says so.
        let (_, l) = t.get("supervisor", &format!("/api/listings/{id}")).await;
        assert!(
            l["instance"]["pack_warnings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|w| w.as_str().unwrap().contains("征求意见稿")),
            "{l}"
        );
    }
);

on_both!(
    xy_41_xingyi_buys_as_its_text_sets_no_ceiling_no_publicity_and_a_hard_80_m2_floor,
    |t: TestApp| async move {
        let round = t.open_round_in("xingyi").await;
        // XY-11: the 80 m² floor is hard; a 79.99 m² unit cannot pass, not even by exception.
        let small = t
            .listing_with(round, "developer_b", &units(&[dec("79.99"), dec("95")]))
            .await;
        t.ok("developer_b", small, "submit_for_review", None, Value::Null)
            .await;
        let (_, v) = t
            .act("acquirer", small, "pass_review", None, Value::Null)
            .await;
        assert!(
            v["details"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["rule"] == "XY-11"),
            "{v}"
        );
        let (s, v) = t
            .post(
                "acquirer",
                &format!("/api/listings/{small}/exceptions"),
                json!({ "check_id": "unit_area_floor", "reason": "试一试" }),
            )
            .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("not_waivable")),
            "{v}"
        );
        // A listing within 80–120 m² goes review → agreed price → signed, with no valuation,
        // no ceiling and no publicity (none in the text).
        let id = t
            .listing_with(round, "developer", &units(&[dec("89.37"), dec("92.15")]))
            .await;
        t.ok("developer", id, "submit_for_review", None, Value::Null)
            .await;
        let (s, _) = t
            .act("housing_bureau", id, "pass_review", None, Value::Null)
            .await;
        assert_eq!(
            s,
            StatusCode::FORBIDDEN,
            "the 开发建设单位 reviews (XY-4, XY-41)"
        );
        t.ok("acquirer", id, "pass_review", None, Value::Null).await;
        let (s, v) = t
            .upload(
                "appraiser",
                id,
                "valuation_report",
                "评估报告.pdf",
                b"x".to_vec(),
            )
            .await;
        assert!(
            s.is_client_error(),
            "no valuation step in Xingyi's flow: {v}"
        );
        t.ok(
            "acquirer",
            id,
            "agree",
            None,
            json!({ "price_per_m2": "6200.00" }),
        )
        .await;
        t.upload("acquirer", id, "agreement", "协议.pdf", b"signed".to_vec())
            .await;
        assert_eq!(
            t.ok("acquirer", id, "sign", None, Value::Null).await["state"],
            "acquired"
        );
        let (_, l) = t.get("supervisor", &format!("/api/listings/{id}")).await;
        let p = &l["prices"][0];
        // Ten units (five floors of 89.37 and 92.15 m², Σ 907.60 m²) × 6,200.00 = 5,627,120.00;
        // no ceiling recorded.
        assert_eq!(
            (p["kind"].as_str(), p["total"].as_str()),
            (Some("final"), Some("5627120.00"))
        );
        assert!(p["ceiling_per_m2"].is_null(), "{p}");
        assert!(
            t.history(id)
                .await
                .iter()
                .all(|e| e["to_state"] != "publicity")
        );
    }
);

on_both!(
    hs_p12_yq_15_nc_30_xy_13_sale_prices_are_proposed_and_approved_by_the_body_each_text_names,
    |t: TestApp| async move {
        // Huoshan: the operator proposes, the leading group decides (HS-P12); HS-P11 names no
        // profit cap, so 8 % is proposed: 3,850.00 × 1.08 = 4,158.00.
        let round = t.open_round().await;
        let id = t.listing_filed(round).await;
        let sp = format!("/api/listings/{id}/sale-price-proposals");
        let body = |rate: &str| json!({ "cost_per_m2": "3850", "profit_rate": rate });
        let (s, _) = t.post("housing_bureau", &sp, body("0.08")).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "the operator proposes");
        let (s, p) = t.post("acquirer", &sp, body("0.08")).await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        assert_eq!(
            (p["payload"]["base_per_m2"].as_str(), p["rule"].as_str()),
            (Some("4158.00"), Some("HS-P11"))
        );
        let pid = p["id"].as_i64().unwrap();
        let (s, _) = t
            .post(
                "government",
                &format!("/api/price-proposals/{pid}/decisions"),
                json!({ "approved": true, "decision_ref": "x" }),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let v = t.approve_proposal("leading_group", pid).await;
        assert_eq!(
            (
                v["status"]["status"].as_str(),
                v["steps"][0]["rule"].as_str()
            ),
            (Some("approved"), Some("HS-P12"))
        );
        // Nanchang: NC-30 caps the profit at 5 %, the 专班办公室 studies, the city government
        // approves — in that order.
        let round = t.open_round_in("nanchang").await;
        let id = t.listing_filed(round).await;
        let sp = format!("/api/listings/{id}/sale-price-proposals");
        let (s, v) = t.post("acquirer", &sp, body("0.0501")).await;
        assert_eq!(
            (s, v["rule"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("NC-30")),
            "{v}"
        );
        let (s, p) = t.post("acquirer", &sp, body("0.05")).await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        assert_eq!(p["payload"]["base_per_m2"], "4042.50");
        let pid = p["id"].as_i64().unwrap();
        let (s, _) = t
            .post(
                "government",
                &format!("/api/price-proposals/{pid}/decisions"),
                json!({ "approved": true, "decision_ref": "x" }),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "the 专班办公室 first");
        let v = t.approve_proposal("leading_group", pid).await;
        assert_eq!(v["status"], json!({ "status": "pending", "step": 2 }));
        let v = t.approve_proposal("government", pid).await;
        assert_eq!(v["status"]["status"], "approved");
        assert_eq!(v["steps"][1]["label"], "市政府批准");
        // A refusal closes a proposal for good.
        let (_, p) = t.post("acquirer", &sp, body("0.04")).await;
        let pid = p["id"].as_i64().unwrap();
        let (s, v) = t
            .post(
                "leading_group",
                &format!("/api/price-proposals/{pid}/decisions"),
                json!({ "approved": false, "decision_ref": "专班纪要〔2026〕9号" }),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["status"], json!({ "status": "rejected", "step": 1 }));
        let (s, _) = t
            .post(
                "government",
                &format!("/api/price-proposals/{pid}/decisions"),
                json!({ "approved": true, "decision_ref": "x" }),
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT);
    }
);
