//! Each guard's refusal, named after the rule it enforces, with numbers from the policy text.

use crate::harness::*;
use crate::on_both;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn refused(v: &Value, rule: &str, guard: &str) {
    assert_eq!(v["code"], "guard_failed", "{v}");
    assert!(
        v["details"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["rule"] == rule && d["guard"] == guard),
        "expected {rule}/{guard}: {v}"
    );
}

on_both!(
    hs_a7_1_solicitation_cannot_open_without_survey_returns,
    |t: TestApp| async move {
        let (_, v) = t
            .post(
                "housing_bureau",
                "/api/rounds",
                json!({ "pack": "huoshan", "name": "空批次" }),
            )
            .await;
        let id = v["id"].as_i64().unwrap();
        let (s, v) = t
            .act("housing_bureau", id, "open_solicitation", None, Value::Null)
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        refused(&v, "HS-A7.1", "survey_has_returns");
    }
);

on_both!(
    hs_a7_2_listing_only_while_solicitation_is_open,
    |t: TestApp| async move {
        let (_, v) = t
            .post(
                "housing_bureau",
                "/api/rounds",
                json!({ "pack": "huoshan", "name": "未开放" }),
            )
            .await;
        let id = v["id"].as_i64().unwrap();
        let (s, v) = t
        .post("developer", &format!("/api/rounds/{id}/listings"), json!({ "project_name": "x", "address": "y", "construction_state": "completed", "offer_scope": "scattered", "decoration": "毛坯" }))
        .await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        assert_eq!(v["code"], "wrong_state");
    }
);

on_both!(
    hs_a8_listing_cannot_enter_review_until_every_document_is_present,
    |t: TestApp| async move {
        let round = t.open_round().await;
        let (_, v) = t
        .post("developer", &format!("/api/rounds/{round}/listings"), json!({ "project_name": "x", "address": "y", "construction_state": "completed", "offer_scope": "whole_building", "decoration": "毛坯" }))
        .await;
        let id = v["id"].as_i64().unwrap();
        t.upload("developer", id, "application", "申请书.pdf", b"a".to_vec())
            .await;
        let (s, v) = t
            .act("developer", id, "submit_for_review", None, Value::Null)
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        refused(&v, "HS-A8", "documents_complete");
        let missing = v["details"][0]["detail"]["missing"].as_array().unwrap();
        assert_eq!(missing.len(), 9, "10 required, 1 uploaded: {missing:?}");
        assert!(!missing.contains(&json!("application")));
        // The listing page says what is missing, with sizes and hashes of what is there.
        let (_, l) = t.get("developer", &format!("/api/listings/{id}")).await;
        assert_eq!(l["missing_documents"].as_array().unwrap().len(), 9);
        let app_doc = l["documents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["kind"] == "application")
            .unwrap();
        assert_eq!(app_doc["documents"][0]["size_bytes"], 1);
        // SHA-256 of "a".
        assert_eq!(
            app_doc["documents"][0]["sha256"],
            "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"
        );
    }
);

on_both!(
    hs_a4_unit_above_120_blocks_review_until_leading_group_approves_exception,
    |t: TestApp| async move {
        let round = t.open_round().await;
        let id = t
            .listing_with(round, "developer", &units(&[dec("89.37"), dec("120.01")]))
            .await;
        t.ok("developer", id, "submit_for_review", None, Value::Null)
            .await;
        t.ok(
            "natural_resources",
            id,
            "sign_off_title",
            None,
            json!({ "clear": true }),
        )
        .await;
        let (s, v) = t
            .act("housing_bureau", id, "pass_review", None, findings())
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        refused(&v, "HS-A4", "review_passed");
        // Who asked, why; then the leading group approves: the limit is "in principle" (原则上).
        let (s, e) = t.post("housing_bureau", &format!("/api/listings/{id}/exceptions"), json!({ "check_id": "unit_area_cap", "reason": "顶层复式5套，整栋收购便于封闭管理" })).await;
        assert_eq!(s, StatusCode::CREATED, "{e}");
        let (s, _) = t
            .act("housing_bureau", id, "pass_review", None, findings())
            .await;
        assert_eq!(
            s,
            StatusCode::UNPROCESSABLE_ENTITY,
            "a requested but undecided exception waives nothing"
        );
        let eid = e["id"].as_i64().unwrap();
        let (s, v) = t
            .post(
                "housing_bureau",
                &format!("/api/exceptions/{eid}/decision"),
                json!({ "approved": true, "comment": "同意" }),
            )
            .await;
        assert_eq!(
            s,
            StatusCode::FORBIDDEN,
            "only the leading group approves: {v}"
        );
        let (s, v) = t
            .post(
                "leading_group",
                &format!("/api/exceptions/{eid}/decision"),
                json!({ "approved": true, "comment": "同意例外" }),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        t.ok("housing_bureau", id, "pass_review", None, findings())
            .await;
        // The exception shows in the round's audit report.
        let (_, r) = t
            .get("supervisor", &format!("/api/rounds/{round}/exceptions"))
            .await;
        assert_eq!(r[0]["check_id"], "unit_area_cap");
        assert_eq!(r[0]["approved"], true);
        assert_eq!(r[0]["requested_by_name"], "housing_bureau");
        assert_eq!(r[0]["decided_by_name"], "leading_group");
    }
);

on_both!(
    hs_a4_mortgage_or_seizure_can_never_be_waived,
    |t: TestApp| async move {
        let round = t.open_round().await;
        let mut u = units(&[dec("89.37")]);
        u[0].mortgaged = true;
        let id = t.listing_with(round, "developer", &u).await;
        t.ok("developer", id, "submit_for_review", None, Value::Null)
            .await;
        t.ok(
            "natural_resources",
            id,
            "sign_off_title",
            None,
            json!({ "clear": true }),
        )
        .await;
        let (s, v) = t
            .post(
                "housing_bureau",
                &format!("/api/listings/{id}/exceptions"),
                json!({ "check_id": "mortgage_or_seizure", "reason": "开发商承诺解押" }),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["code"], "not_waivable");
        let (s, v) = t
            .act("housing_bureau", id, "pass_review", None, findings())
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        refused(&v, "HS-A4", "review_passed");
    }
);

on_both!(
    hs_a7_3_review_needs_the_natural_resources_title_sign_off,
    |t: TestApp| async move {
        let round = t.open_round().await;
        let id = t
            .listing_with(round, "developer", &units(&[dec("89.37")]))
            .await;
        t.ok("developer", id, "submit_for_review", None, Value::Null)
            .await;
        let (_, v) = t
            .act("housing_bureau", id, "pass_review", None, findings())
            .await;
        refused(&v, "HS-A7.3", "title_signed_off");
        t.ok(
            "natural_resources",
            id,
            "sign_off_title",
            Some("存在查封"),
            json!({ "clear": false }),
        )
        .await;
        let (_, v) = t
            .act("housing_bureau", id, "pass_review", None, findings())
            .await;
        refused(&v, "HS-A7.3", "title_signed_off");
    }
);

on_both!(
    hs_a7_3_nothing_enters_the_pool_before_publicity_ends_and_an_objection_sends_it_back,
    |t: TestApp| async move {
        let round = t.open_round().await;
        let id = t.listing_in_review(round).await;
        let v = t
            .ok("housing_bureau", id, "pass_review", None, findings())
            .await;
        // Published Mon 2026-09-21: 22, 23, 24, (25 中秋 holiday), 28, 29 → last day 2026-09-29.
        assert_eq!(v["deadline"]["due"], "2026-09-29");
        t.set_today(date("2026-09-29"));
        let (s, v) = t
            .act("housing_bureau", id, "enter_pool", None, Value::Null)
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        refused(&v, "HS-A7.3", "deadline_elapsed");
        // An objection on the last day sends it back to review; it cannot pass again while open.
        t.ok(
            "housing_bureau",
            id,
            "record_objection",
            Some("业主反映该楼存在质量问题"),
            Value::Null,
        )
        .await;
        let (_, v) = t
            .act("housing_bureau", id, "pass_review", None, findings())
            .await;
        refused(&v, "HS-A7.3", "no_open_objection");
        t.ok(
            "housing_bureau",
            id,
            "resolve_objections",
            Some("经核查质量合格"),
            Value::Null,
        )
        .await;
        let v = t
            .ok("housing_bureau", id, "pass_review", None, findings())
            .await;
        // Republished Tue 09-29: 30, (10-01…10-07 国庆), 10-08, 10-09, (10-10 Sat 调休 working day), 10-12 → 10-12.
        assert_eq!(v["deadline"]["due"], "2026-10-12");
        t.set_today(date("2026-10-12"));
        let (s, _) = t
            .act("housing_bureau", id, "enter_pool", None, Value::Null)
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        t.set_today(date("2026-10-13"));
        t.ok("housing_bureau", id, "enter_pool", None, Value::Null)
            .await;
    }
);

on_both!(
    hs_a7_3_a_deadline_in_a_year_without_calendar_is_refused,
    |t: TestApp| async move {
        let round = t.open_round().await;
        let id = t.listing_in_review(round).await;
        t.set_today(date("2027-03-01"));
        let (s, v) = t
            .act("housing_bureau", id, "pass_review", None, findings())
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["code"], "no_calendar_for_year", "{v}");
        assert_eq!(
            t.history(id).await.last().unwrap()["action"],
            "sign_off_title",
            "nothing was written"
        );
        // `anju calendar import` adds a year (here a notice listing only New Year's Day).
        t.app.import_calendar(r#"{"year": 2027, "papers": [], "days": [{"name": "元旦", "date": "2027-01-01", "isOffDay": true}]}"#, "test").await.unwrap();
        let v = t
            .ok("housing_bureau", id, "pass_review", None, findings())
            .await;
        // Mon 2027-03-01 + 5 working days → Mon 2027-03-08.
        assert_eq!(v["deadline"]["due"], "2027-03-08");
    }
);

on_both!(
    hs_a9_the_lock_in_starts_when_the_project_is_listed_as_a_candidate,
    |t: TestApp| async move {
        // HS-A9: 被列入收购备选房源的商品房，开发企业一律不得对外销售 … 应提前一个月向县住房保障部门提出
        // 申请，经书面同意后方可销售. A listing in review is already a candidate: it may not just
        // leave, and the refusal cites HS-A9 (today's code let it withdraw freely until the pool).
        let round = t.open_round().await;
        let id = t.listing_in_review(round).await; // 2026-09-21
        let (s, v) = t
            .act("developer", id, "withdraw", Some("不想卖了"), Value::Null)
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        assert_eq!(
            (v["code"].as_str(), v["rule"].as_str()),
            (Some("wrong_state"), Some("HS-A9"))
        );
        let v = t
            .ok(
                "developer",
                id,
                "request_withdrawal",
                Some("资金安排调整"),
                Value::Null,
            )
            .await;
        assert_eq!(v["state"], "in_review", "a request moves nothing");
        t.upload(
            "housing_bureau",
            id,
            "withdrawal_consent",
            "同意函.pdf",
            b"ok".to_vec(),
        )
        .await;
        // One month from 2026-09-21 → 2026-10-21 (Civil Code art. 202), a Wednesday: consent
        // only from the day after.
        t.set_today(date("2026-10-21"));
        let (_, v) = t
            .act(
                "housing_bureau",
                id,
                "consent_withdrawal",
                None,
                Value::Null,
            )
            .await;
        refused(&v, "HS-A9", "withdrawal_notice_elapsed");
        assert!(v.to_string().contains("2026-10-21"), "{v}");
        t.set_today(date("2026-10-22"));
        let v = t
            .ok(
                "housing_bureau",
                id,
                "consent_withdrawal",
                None,
                Value::Null,
            )
            .await;
        assert_eq!(v["state"], "withdrawn");
        // Before it is a candidate (an application still being completed), it leaves freely.
        let round = t.open_round().await;
        let other = t
            .listing_with(round, "developer", &units(&[dec("89.37")]))
            .await;
        let v = t
            .ok(
                "developer",
                other,
                "withdraw",
                Some("材料不全，放弃"),
                Value::Null,
            )
            .await;
        assert_eq!(v["state"], "withdrawn");
    }
);

on_both!(
    hs_a9_withdrawal_from_the_pool_needs_a_month_and_written_consent,
    |t: TestApp| async move {
        let round = t.open_round().await;
        let id = t.listing_in_pool(round).await; // today 2026-09-30
        let (s, _) = t
            .act("developer", id, "withdraw", Some("不想卖了"), Value::Null)
            .await;
        assert_eq!(
            s,
            StatusCode::CONFLICT,
            "a pooled listing cannot simply be withdrawn"
        );
        // Consent without a request is refused: the month runs from the request.
        let (_, v) = t
            .act(
                "housing_bureau",
                id,
                "consent_withdrawal",
                None,
                Value::Null,
            )
            .await;
        refused(&v, "HS-A9", "withdrawal_notice_elapsed");
        t.ok(
            "developer",
            id,
            "request_withdrawal",
            Some("资金安排调整"),
            Value::Null,
        )
        .await;
        // A cancelled request no longer counts; a new one starts the month again.
        t.ok("developer", id, "cancel_withdrawal", None, Value::Null)
            .await;
        let (_, v) = t
            .act("developer", id, "cancel_withdrawal", None, Value::Null)
            .await;
        refused(&v, "HS-A9", "withdrawal_pending");
        t.set_today(date("2026-10-08"));
        t.ok(
            "developer",
            id,
            "request_withdrawal",
            Some("资金安排调整"),
            Value::Null,
        )
        .await;
        t.upload(
            "housing_bureau",
            id,
            "withdrawal_consent",
            "同意函.pdf",
            b"ok".to_vec(),
        )
        .await;
        // One month from 2026-10-08 → 2026-11-08, a Sunday: art. 203 moves the end to Monday
        // 2026-11-09; consent from 2026-11-10.
        t.set_today(date("2026-11-09"));
        let (_, v) = t
            .act(
                "housing_bureau",
                id,
                "consent_withdrawal",
                None,
                Value::Null,
            )
            .await;
        refused(&v, "HS-A9", "withdrawal_notice_elapsed");
        assert!(v.to_string().contains("2026-11-09"), "{v}");
        t.set_today(date("2026-11-10"));
        let v = t
            .ok(
                "housing_bureau",
                id,
                "consent_withdrawal",
                None,
                Value::Null,
            )
            .await;
        assert_eq!(v["state"], "withdrawn");
    }
);

on_both!(
    hs_a9_consent_must_be_the_housing_bureaus_written_document,
    |t: TestApp| async move {
        let round = t.open_round().await;
        let id = t.listing_in_pool(round).await;
        t.ok(
            "developer",
            id,
            "request_withdrawal",
            Some("资金安排调整"),
            Value::Null,
        )
        .await;
        // The developer cannot upload the bureau's consent for itself.
        let (s, v) = t
            .upload(
                "developer",
                id,
                "withdrawal_consent",
                "fake.pdf",
                b"x".to_vec(),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
        t.set_today(date("2026-11-30"));
        let (_, v) = t
            .act(
                "housing_bureau",
                id,
                "consent_withdrawal",
                None,
                Value::Null,
            )
            .await;
        refused(&v, "HS-A9", "document_present");
    }
);

on_both!(
    hs_a7_4_no_negotiation_before_a_valuation_is_recorded,
    |t: TestApp| async move {
        let round = t.open_round().await;
        let id = t.listing_in_pool(round).await;
        t.ok(
            "housing_bureau",
            id,
            "commission_valuation",
            None,
            Value::Null,
        )
        .await;
        let (_, v) = t
            .act("housing_bureau", id, "start_negotiation", None, Value::Null)
            .await;
        refused(&v, "HS-A7.4", "valuation_recorded");
    }
);

on_both!(
    hs_a7_5_agreed_price_above_the_replacement_ceiling_is_refused,
    |t: TestApp| async move {
        let round = t.open_round().await;
        let id = t.listing_in_negotiation(round).await;
        // Ceiling (1200 + 2600) × 1.05 = 3990.00 yuan/m²: 3990.01 is above, 3990.00 is allowed.
        let (s, v) = t
            .act(
                "acquirer",
                id,
                "submit_result",
                None,
                json!({ "price_per_m2": "3990.01" }),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        refused(&v, "HS-A7.5", "price_within_ceiling");
        let (s, v) = t
            .act(
                "acquirer",
                id,
                "submit_result",
                None,
                json!({ "price_per_m2": "3990.001" }),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["field"], "payload.price_per_m2");
        t.ok(
            "acquirer",
            id,
            "submit_result",
            None,
            json!({ "price_per_m2": "3990.00" }),
        )
        .await;
        // The leading group may not decide above the ceiling either (HS-P6).
        let (_, v) = t
            .act(
                "leading_group",
                id,
                "approve",
                None,
                json!({ "price_per_m2": "4000" }),
            )
            .await;
        refused(&v, "HS-P6", "price_within_ceiling");
    }
);

on_both!(
    hs_a2_purchases_never_exceed_surveyed_demand,
    |t: TestApp| async move {
        // Demand 90_120: 50 units. A listing of 5 floors × 11 rooms of 95 m² = 55 units exceeds it.
        let round = t.open_round().await;
        let areas: Vec<_> = (0..11).map(|_| dec("95")).collect();
        let id = t.listing_with(round, "developer", &units(&areas)).await;
        t.ok("developer", id, "submit_for_review", None, Value::Null)
            .await;
        t.ok(
            "natural_resources",
            id,
            "sign_off_title",
            None,
            json!({ "clear": true }),
        )
        .await;
        t.ok("housing_bureau", id, "pass_review", None, findings())
            .await;
        t.set_today(date("2026-09-30"));
        t.ok("housing_bureau", id, "enter_pool", None, Value::Null)
            .await;
        t.ok(
            "housing_bureau",
            id,
            "commission_valuation",
            None,
            Value::Null,
        )
        .await;
        let body = t.valuation_body(id).await;
        let (s, _) = t
            .post("appraiser", &format!("/api/listings/{id}/valuations"), body)
            .await;
        assert_eq!(s, StatusCode::CREATED);
        t.ok("housing_bureau", id, "start_negotiation", None, Value::Null)
            .await;
        let (s, v) = t
            .act(
                "acquirer",
                id,
                "submit_result",
                None,
                json!({ "price_per_m2": "3800" }),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        refused(&v, "HS-A2", "within_demand");
        assert_eq!(v["details"][0]["detail"][0]["planned"], 55);
        assert_eq!(v["details"][0]["detail"][0]["demand"], 50);
    }
);

on_both!(
    hs_p5_valuation_profit_rate_above_cap_is_refused_and_nothing_stored,
    |t: TestApp| async move {
        let round = t.open_round().await;
        let id = t.listing_in_pool(round).await;
        t.ok(
            "housing_bureau",
            id,
            "commission_valuation",
            None,
            Value::Null,
        )
        .await;
        let doc = t.valuation_report(id).await;
        let (s, other) = t
            .upload(
                "housing_bureau",
                id,
                "other",
                "说明.pdf",
                b"not a report".to_vec(),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{other}");
        let other_doc = other["document"]["id"].as_i64().unwrap();
        let before = t.history(id).await.len();
        for (field, mut body) in [
            (
                "profit_rate",
                json!({ "land_per_m2": "1200", "construction_per_m2": "2600", "profit_rate": "0.06", "market_price_per_m2": "5200", "market_rent_per_m2": "14.5", "appraiser_org": "评估所", "report_date": "2026-10-01" }),
            ),
            (
                "land_per_m2",
                json!({ "land_per_m2": "-1", "construction_per_m2": "2600", "profit_rate": "0.05", "market_price_per_m2": "5200", "market_rent_per_m2": "14.5", "appraiser_org": "评估所", "report_date": "2026-10-01" }),
            ),
            (
                "construction_per_m2",
                json!({ "land_per_m2": "1200", "construction_per_m2": "abc", "profit_rate": "0.05", "market_price_per_m2": "5200", "market_rent_per_m2": "14.5", "appraiser_org": "评估所", "report_date": "2026-10-01" }),
            ),
            (
                "report_document_id",
                json!({ "land_per_m2": "1200", "construction_per_m2": "2600", "profit_rate": "0.05", "market_price_per_m2": "5200", "market_rent_per_m2": "14.5", "appraiser_org": "评估所", "report_date": "2026-10-01", "report_document_id": other_doc }),
            ),
            (
                "report_document_id",
                json!({ "land_per_m2": "1200", "construction_per_m2": "2600", "profit_rate": "0.05", "market_price_per_m2": "5200", "market_rent_per_m2": "14.5", "appraiser_org": "评估所", "report_date": "2026-10-01", "report_document_id": 999999 }),
            ),
        ] {
            if body.get("report_document_id").is_none() {
                body["report_document_id"] = json!(doc);
            }
            let (s, v) = t
                .post("appraiser", &format!("/api/listings/{id}/valuations"), body)
                .await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
            if field == "profit_rate" {
                // The cap is the pack's ceiling rule: HS-P5's 不超过5%.
                assert_eq!(
                    (v["code"].as_str(), v["rule"].as_str()),
                    (Some("profit_rate_above_cap"), Some("HS-P5")),
                    "{v}"
                );
            } else {
                assert_eq!(v["field"], field, "{v}");
            }
        }
        assert_eq!(t.history(id).await.len(), before);
    }
);

on_both!(
    hs_a7_6_the_leading_group_decides_before_signing_and_filing_follows_signing,
    |t: TestApp| async move {
        // HS-A7.6: the result goes to the leading group; after its decision the acquirer signs;
        // after signing and the legal formalities it files. The documents are all present, so
        // only the order can refuse.
        let round = t.open_round().await;
        let id = t.listing_in_negotiation(round).await;
        for (kind, name) in [("agreement", "协议.pdf"), ("legal_formalities", "登记.pdf")] {
            let (s, _) = t.upload("acquirer", id, kind, name, b"x".to_vec()).await;
            assert_eq!(s, StatusCode::CREATED);
        }
        let order_refused = |s: StatusCode, v: &Value| {
            assert_eq!(s, StatusCode::CONFLICT, "{v}");
            assert_eq!(v["code"], "wrong_state", "{v}");
        };
        // Before the leading group's decision: no signing, no filing.
        for action in ["sign", "file"] {
            let (s, v) = t.act("acquirer", id, action, None, Value::Null).await;
            order_refused(s, &v);
        }
        t.ok(
            "acquirer",
            id,
            "submit_result",
            None,
            json!({ "price_per_m2": "3850.00" }),
        )
        .await;
        for action in ["sign", "file"] {
            let (s, v) = t.act("acquirer", id, action, None, Value::Null).await;
            order_refused(s, &v);
        }
        t.ok("leading_group", id, "approve", Some("同意"), Value::Null)
            .await;
        // Approved: filing still waits for the signature.
        let (s, v) = t.act("acquirer", id, "file", None, Value::Null).await;
        order_refused(s, &v);
        assert_eq!(
            t.ok("acquirer", id, "sign", None, Value::Null).await["state"],
            "signed"
        );
        assert_eq!(
            t.ok("acquirer", id, "file", None, Value::Null).await["state"],
            "filed"
        );
        let steps: Vec<String> = t
            .history(id)
            .await
            .iter()
            .map(|e| e["action"].as_str().unwrap().to_string())
            .filter(|a| ["submit_result", "approve", "sign", "file"].contains(&a.as_str()))
            .collect();
        assert_eq!(steps, ["submit_result", "approve", "sign", "file"]);
    }
);

on_both!(
    hs_a10_signing_needs_the_agreement_and_filing_the_legal_formalities,
    |t: TestApp| async move {
        // HS-A10 (Huoshan measures art. 10): handover, delivery, payment, settlement and
        // liabilities are agreed in the acquisition agreement; HS-A7.6: filing comes after the
        // legal formalities. Neither step passes without its document.
        let round = t.open_round().await;
        let id = t.listing_in_negotiation(round).await;
        t.ok(
            "acquirer",
            id,
            "submit_result",
            None,
            json!({ "price_per_m2": "3850.00" }),
        )
        .await;
        t.ok("leading_group", id, "approve", Some("同意"), Value::Null)
            .await;
        let (s, v) = t.act("acquirer", id, "sign", None, Value::Null).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        refused(&v, "HS-A7.6", "document_present");
        assert!(v.to_string().contains("agreement"), "{v}");
        let (s, _) = t
            .upload("acquirer", id, "agreement", "协议.pdf", b"signed".to_vec())
            .await;
        assert_eq!(s, StatusCode::CREATED);
        let v = t.ok("acquirer", id, "sign", None, Value::Null).await;
        assert_eq!(v["state"], "signed");
        let (s, v) = t.act("acquirer", id, "file", None, Value::Null).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        refused(&v, "HS-A7.6", "document_present");
        assert!(v.to_string().contains("legal_formalities"), "{v}");
        // A developer cannot supply the acquirer's formalities.
        let (s, _) = t
            .upload(
                "developer",
                id,
                "legal_formalities",
                "登记.pdf",
                b"x".to_vec(),
            )
            .await;
        assert!(s.is_client_error(), "{s}");
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
    }
);
