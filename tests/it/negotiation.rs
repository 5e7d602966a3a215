//! HS-A7.5 negotiation rounds against the HS-P5 ceiling.

use crate::harness::*;
use crate::on_both;
use reqwest::StatusCode;
use serde_json::json;

on_both!(
    hs_a7_5_asks_and_offers_are_recorded_against_the_ceiling_and_offers_above_it_refused,
    |t: TestApp| async move {
        let round = t.open_round().await;
        let id = t.listing_in_negotiation(round).await;
        let path = format!("/api/listings/{id}/offers");
        // Ceiling 3990.00/m²; market 5200.00/m²; Σ gross area 1285.60 m².
        let (s, a) = t
            .post(
                "developer",
                &path,
                json!({ "basis": "per_m2", "amount": "4200", "note": "首轮报价" }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{a}");
        assert_eq!(a["side"], "ask");
        assert_eq!(a["above_ceiling"], true);
        assert_eq!(a["gap_to_ceiling_per_m2"], "-210.00");
        assert_eq!(a["total"], "5399520.00", "4200 × 1285.60");
        assert_eq!(a["vs_market_per_m2"], "-1000.00");
        let (s, o) = t
            .post(
                "acquirer",
                &path,
                json!({ "basis": "per_m2", "amount": "3990.01" }),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(o["code"], "above_ceiling");
        assert_eq!(o["rule"], "HS-A7.5");
        // A whole-listing offer: 5,000,000.00 / 1285.60 = 3889.2346… → 3889.23 per m².
        let (s, o) = t
            .post(
                "acquirer",
                &path,
                json!({ "basis": "total", "amount": "5000000.00" }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{o}");
        assert_eq!(o["per_m2"], "3889.23");
        assert_eq!(o["total"], "5000000.00");
        assert_eq!(o["above_ceiling"], false);
        let (s, _) = t
            .post(
                "developer_b",
                &path,
                json!({ "basis": "per_m2", "amount": "3000" }),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = t
            .post(
                "housing_bureau",
                &path,
                json!({ "basis": "per_m2", "amount": "3000" }),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, v) = t
            .post(
                "acquirer",
                &path,
                json!({ "basis": "per_m2", "amount": "3000.001" }),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["field"], "amount");
        let (_, n) = t
            .get("supervisor", &format!("/api/listings/{id}/negotiation"))
            .await;
        assert_eq!(n["offers"].as_array().unwrap().len(), 2);
        assert_eq!(n["ceiling_total"], "5129544.00");
        assert_eq!(n["gross_area_m2"], "1285.60");
    }
);

on_both!(
    records_are_append_only_in_the_database_itself,
    |t: TestApp| async move {
        let round = t.open_round().await;
        let id = t.listing_in_negotiation(round).await;
        let (s, _) = t
            .post(
                "developer",
                &format!("/api/listings/{id}/offers"),
                json!({ "basis": "per_m2", "amount": "3900" }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
        // Even a hand-written statement cannot rewrite or remove a record: the triggers refuse it.
        for sql in [
            "UPDATE valuations SET ceiling_per_m2_fen = ceiling_per_m2_fen + 1",
            "DELETE FROM valuations",
            "UPDATE negotiation_offers SET per_m2_fen = 1",
            "DELETE FROM negotiation_offers",
            "UPDATE units SET gross_area_centi = 1",
            "DELETE FROM history",
        ] {
            assert!(t.raw_sql_is_refused(sql).await, "{sql} was allowed");
        }
    }
);

on_both!(
    hs_p5_a_later_valuation_supersedes_an_earlier_one_and_nothing_is_overwritten,
    |t: TestApp| async move {
        let round = t.open_round().await;
        let id = t.listing_in_negotiation(round).await;
        // A corrected report: construction 2700 → (1200 + 2700) × 1.05 = 4095.00 per m².
        let mut body = t.valuation_body(id).await;
        body["construction_per_m2"] = json!("2700");
        let (s, v) = t
            .post("appraiser", &format!("/api/listings/{id}/valuations"), body)
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["ceiling_per_m2"], "4095.00");
        let (_, l) = t.get("supervisor", &format!("/api/listings/{id}")).await;
        let vals = l["valuations"].as_array().unwrap();
        assert_eq!(vals.len(), 2);
        assert_eq!(vals[0]["ceiling_per_m2"], "3990.00");
        assert_eq!(vals[0]["superseded"], true);
        assert_eq!(vals[1]["superseded"], false);
        assert_eq!(vals[1]["report_file_name"], "评估报告.pdf");
        // The acquirer's offer is now checked against the newer ceiling.
        let (s, o) = t
            .post(
                "acquirer",
                &format!("/api/listings/{id}/offers"),
                json!({ "basis": "per_m2", "amount": "4000" }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{o}");
        assert_eq!(o["ceiling_per_m2"], "4095.00");
    }
);

on_both!(
    pages_let_the_appraiser_value_and_the_negotiators_bid_with_plain_forms,
    |t: TestApp| async move {
        let round = t.open_round().await;
        let id = t.listing_in_pool(round).await;
        t.ok(
            "housing_bureau",
            id,
            "commission_valuation",
            None,
            serde_json::Value::Null,
        )
        .await;
        let (_, page) = t.page("appraiser", &format!("/listings/{id}")).await;
        assert!(
            page.contains("请先在上方"),
            "no report uploaded yet: the form asks for the file first"
        );
        let doc = t.valuation_report(id).await.to_string();
        let (_, page) = t.page("appraiser", &format!("/listings/{id}")).await;
        assert!(page.contains("保存评估报告"), "{page}");
        let fields = [
            ("land_per_m2", "1200"),
            ("construction_per_m2", "2600"),
            ("profit_rate", "0.05"),
            ("market_price_per_m2", "5200"),
            ("market_rent_per_m2", "14.5"),
            ("appraiser_org", "评估所"),
            ("report_date", "2026-10-01"),
            ("report_document_id", doc.as_str()),
        ];
        let (s, _) = t
            .form("appraiser", &format!("/listings/{id}/valuations"), &fields)
            .await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        // A profit rate above the cap comes back as a readable page, and nothing is stored.
        let mut bad = fields;
        bad[2] = ("profit_rate", "0.06");
        let (s, body) = t
            .form("appraiser", &format!("/listings/{id}/valuations"), &bad)
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body.contains("profit"), "{body}");
        let (_, l) = t.get("supervisor", &format!("/api/listings/{id}")).await;
        assert_eq!(l["valuations"].as_array().unwrap().len(), 1);
        t.ok(
            "housing_bureau",
            id,
            "start_negotiation",
            None,
            serde_json::Value::Null,
        )
        .await;
        // The developer does not see the offer form's ceiling note; the acquirer does.
        let (_, page) = t.page("acquirer", &format!("/listings/{id}")).await;
        assert!(
            page.contains("出价不得高于重置价上限") && page.contains("3990.00"),
            "{page}"
        );
        let (s, _) = t
            .form(
                "developer",
                &format!("/listings/{id}/offers"),
                &[("basis", "per_m2"), ("amount", "4100"), ("note", "")],
            )
            .await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        let (s, _) = t
            .form(
                "acquirer",
                &format!("/listings/{id}/offers"),
                &[("basis", "per_m2"), ("amount", "3950"), ("note", "第二轮")],
            )
            .await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        let (s, _) = t
            .form(
                "acquirer",
                &format!("/listings/{id}/offers"),
                &[("basis", "per_m2"), ("amount", "4000"), ("note", "")],
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        let (_, n) = t
            .get("supervisor", &format!("/api/listings/{id}/negotiation"))
            .await;
        let offers = n["offers"].as_array().unwrap();
        assert_eq!(offers.len(), 2);
        assert_eq!(offers[0]["gap_to_ceiling_per_m2"], "-110.00");
        assert_eq!(
            offers[0]["note"],
            serde_json::Value::Null,
            "an empty note is no note"
        );
        assert_eq!(offers[1]["total"], "5078120.00", "3950 × 1285.60");
    }
);

on_both!(
    hs_p8_pricing_exceptions_are_asked_for_bought_units_and_review_ones_only_in_review,
    |t: TestApp| async move {
        let round = t.open_round().await;
        let review = t.listing_in_review(round).await;
        let filed = t.listing_filed(round).await;
        let ask = |id: i64, check: &'static str| {
            let t = &t;
            async move {
                t.post(
                    "acquirer",
                    &format!("/api/listings/{id}/exceptions"),
                    json!({ "check_id": check, "reason": "片区租金水平偏低" }),
                )
                .await
            }
        };
        // A pricing limit (HS-P8) is not waived while the listing is still in review…
        let (s, v) = ask(review, "initial_rent_ratio").await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        // …but is, once the units are bought; the record names the rule it passes.
        let (s, e) = ask(filed, "initial_rent_ratio").await;
        assert_eq!(s, StatusCode::CREATED, "{e}");
        assert_eq!(e["rule"], "HS-P8");
        // A review limit is no longer waivable on a filed listing; a hard limit never is.
        let (s, _) = ask(filed, "unit_area_cap").await;
        assert_eq!(s, StatusCode::CONFLICT);
        let (s, v) = ask(filed, "price_within_ceiling").await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["code"], "not_waivable");
        // The round's exceptions report lists it, with who asked; the printable page too.
        let (_, r) = t
            .get("supervisor", &format!("/api/rounds/{round}/exceptions"))
            .await;
        let rules: Vec<&str> = r
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["rule"].as_str().unwrap())
            .collect();
        assert!(rules.contains(&"HS-P8"), "{r}");
        let (s, page) = t
            .page("supervisor", &format!("/rounds/{round}/exceptions"))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            page.contains("HS-P8")
                && page.contains("initial_rent_ratio")
                && page.contains("待决定"),
            "{page}"
        );
    }
);
