//! From a bought unit to a household (issue 13, ALLOCATION.md §1–§8): applications, eligibility,
//! verification, publicity, the waiting list, the sale plan, the lottery, selection with its
//! bans, and the contract — per pack, with the texts' numbers.

use crate::harness::*;
use crate::on_both;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A valid resident ID number (GB 11643): area 140302 (阳泉市城区), the birth date, a sequence,
/// the check character computed.
pub fn id_no(birth: &str, seq: u32, male: bool) -> String {
    let order = seq * 2 + u32::from(male);
    let first17 = format!("140302{birth}{:03}", order % 1000);
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const C: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
    let sum: u32 = first17
        .chars()
        .zip(W)
        .map(|(c, w)| c.to_digit(10).unwrap() * w)
        .sum();
    format!("{first17}{}", C[(sum % 11) as usize])
}

/// A Yangquan tier-A family of two: the applicant and a spouse, last year's income per person
/// `income`, owning `area` m² in the city.
pub fn family(seq: u32, income: &str, area: &str) -> Value {
    json!({
        "group": "tier_a",
        "county": "城区",
        "members": [
            { "name": format!("张{}明", ["小", "大", "晓", "立", "国", "建", "文", "志"][seq as usize % 8]), "id_number": id_no("19900515", seq, true), "relation": "applicant", "marital": "married",
              "hukou_local": true, "permanent_resident": true, "wage_earner": true, "annual_income": income, "social_security_months": 36, "insured_now": true },
            { "name": "李芳", "id_number": id_no("19920310", seq, false), "relation": "spouse", "marital": "married",
              "hukou_local": true, "permanent_resident": true, "wage_earner": true, "annual_income": income }
        ],
        "housing": { "owned_area_m2": area, "tenure": "租住" }
    })
}

pub const YQ_MATERIALS: [&str; 8] = [
    "application_form",
    "identity",
    "hukou_or_residence",
    "marriage",
    "income",
    "social_security",
    "property_search",
    "commitment",
];

/// YQ-10.1.3's figure: the city's 2025 urban per-capita disposable income (a value entered for
/// the test, with its source named as such).
pub async fn yq_figure(t: &TestApp) {
    let (s, v) = t
        .post(
            "housing_bureau",
            "/api/packs/yangquan/figures",
            json!({ "name": "urban_per_capita_disposable_income", "year": 2025, "value": "38215", "source": "测试数据：阳泉市2025年统计公报" }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
}

pub async fn yq_apply(t: &TestApp, household: Value) -> i64 {
    let (s, v) = t
        .post(
            "accepting_unit",
            "/api/applications",
            json!({ "pack": "yangquan", "household": household, "materials": YQ_MATERIALS }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["instance"]["id"].as_i64().unwrap()
}

/// Walks a Yangquan application to its sale qualification: first review, the five departments'
/// findings, publicity of five working days (YQ-14).
pub async fn yq_qualified(t: &TestApp, household: Value) -> i64 {
    let id = yq_apply(t, household).await;
    t.ok(
        "accepting_unit",
        id,
        "submit_first_review",
        None,
        Value::Null,
    )
    .await;
    t.ok("accepting_unit", id, "pass_first_review", None, Value::Null)
        .await;
    for (who, dept) in [
        ("natural_resources", "natural_resources"),
        ("verifier", "public_security"),
        ("verifier_civil_affairs", "civil_affairs"),
        ("verifier_human_resources", "human_resources"),
        ("verifier_provident_fund", "provident_fund"),
    ] {
        let (s, v) = t
            .post(who, &format!("/api/applications/{id}/findings"), json!({ "department": dept, "passed": true, "note": "核验无误", "document_ref": format!("{dept}-2026-001") }))
            .await;
        assert_eq!(s, StatusCode::OK, "{who}: {v}");
    }
    let v = t
        .ok("housing_bureau", id, "publish", None, Value::Null)
        .await;
    let due: chrono::NaiveDate = v["deadline"]["due"].as_str().unwrap().parse().unwrap();
    let before = t.clock_today();
    t.set_today(due.succ_opt().unwrap());
    let v = t
        .ok("housing_bureau", id, "qualify", None, Value::Null)
        .await;
    assert_eq!(v["state"], "qualified");
    t.set_today(before);
    id
}

on_both!(
    yq_14_a_family_is_qualified_after_first_review_verification_and_five_working_days_of_publicity,
    |t: TestApp| async move {
        yq_figure(&t).await;
        // Two members at 30,000 each: 30,000 per person < 38,215 (YQ-10.1.3); no home.
        let id = yq_apply(&t, family(1, "30000", "0")).await;
        let (_, v) = t
            .get("housing_bureau", &format!("/api/applications/{id}"))
            .await;
        assert_eq!(v["eligibility"]["eligible"], true, "{v}");
        assert_eq!(
            v["eligibility"]["tier"], 1,
            "houseless tier-A family: YQ-16's first tier"
        );
        // Masked without a purpose: 张*明, 1403**********…
        let name = v["members"][0]["name"].as_str().unwrap();
        assert!(
            name.contains('*')
                && v["members"][0]["id_number"]
                    .as_str()
                    .unwrap()
                    .contains("**********"),
            "{v}"
        );
        assert!(v["members"][0]["annual_income"].is_null());
        t.ok(
            "accepting_unit",
            id,
            "submit_first_review",
            None,
            Value::Null,
        )
        .await;
        t.ok("accepting_unit", id, "pass_first_review", None, Value::Null)
            .await;
        // YQ-4 / YQ-14: no publicity until every department has verified.
        let (_, v) = t
            .act("housing_bureau", id, "publish", None, Value::Null)
            .await;
        assert!(
            v["details"][0]["message"]
                .as_str()
                .unwrap()
                .contains("市公安部门"),
            "{v}"
        );
        assert_eq!(v["rule"], "YQ-14");
        // A department records only its own finding.
        let (s, _) = t
            .post("verifier", &format!("/api/applications/{id}/findings"), json!({ "department": "civil_affairs", "passed": true, "note": "x", "document_ref": "y" }))
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        for (who, dept) in [
            ("natural_resources", "natural_resources"),
            ("verifier", "public_security"),
            ("verifier_civil_affairs", "civil_affairs"),
            ("verifier_human_resources", "human_resources"),
            ("verifier_provident_fund", "provident_fund"),
        ] {
            let (s, v) = t
                .post(who, &format!("/api/applications/{id}/findings"), json!({ "department": dept, "passed": true, "note": "核验无误", "document_ref": "查询单001" }))
                .await;
            assert_eq!(s, StatusCode::OK, "{v}");
        }
        // Published Monday 2026-09-21; five working days from the next day, with 中秋节
        // (25–27 Sept) off: 22, 23, 24, 28, 29 → the publicity ends Tuesday 2026-09-29.
        let v = t
            .ok("housing_bureau", id, "publish", None, Value::Null)
            .await;
        assert_eq!(v["deadline"]["due"], "2026-09-29");
        t.set_today(date("2026-09-29"));
        let (_, v) = t
            .act("housing_bureau", id, "qualify", None, Value::Null)
            .await;
        assert_eq!(v["rule"], "YQ-14", "{v}");
        t.set_today(date("2026-09-30"));
        let v = t
            .ok("housing_bureau", id, "qualify", None, Value::Null)
            .await;
        assert_eq!(v["state"], "qualified");
        // The waiting list (轮候库) lists it, masked, with its tier.
        let (_, list) = t
            .get(
                "supervisor",
                "/api/applications?pack=yangquan&state=qualified",
            )
            .await;
        assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
        assert_eq!(list[0]["tier"], 1);
        assert!(list[0]["applicant"].as_str().unwrap().contains('*'));
        // A full read says why and is logged for the supervisors.
        let (s, v) = t
            .get(
                "housing_bureau",
                &format!("/api/applications/{id}?purpose=核对配售资格"),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["full"], true);
        assert!(!v["members"][0]["id_number"].as_str().unwrap().contains('*'));
        let (s, _) = t
            .get("acquirer", &format!("/api/applications/{id}?purpose=好奇"))
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (_, log) = t.get("supervisor", "/api/pii-reads").await;
        assert!(
            log.as_array()
                .unwrap()
                .iter()
                .any(|r| r["purpose"] == "核对配售资格" && r["application_id"] == id),
            "{log}"
        );
        // The public lookup needs the number and a member's ID number, and shows only the state.
        let no = v["application_no"].as_str().unwrap().to_string();
        let idn = v["members"][1]["id_number"].as_str().unwrap().to_string();
        let r = reqwest::Client::new()
            .get(format!(
                "{}/api/public/status?no={no}&id_number={idn}",
                t.base
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["state_label"], "已取得配售资格（轮候）");
        assert!(body.get("members").is_none());
        let r = reqwest::Client::new()
            .get(format!(
                "{}/api/public/status?no={no}&id_number={}",
                t.base,
                id_no("19800101", 77, true)
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
    }
);

on_both!(
    yq_10_1_3_income_below_last_years_figure_and_yq_10_1_2_twenty_m2_per_person_inclusive,
    |t: TestApp| async move {
        // Without the figure the income test waits: no qualification on an unknown number.
        let id = yq_apply(&t, family(2, "38215", "40")).await;
        let (_, v) = t
            .get("housing_bureau", &format!("/api/applications/{id}"))
            .await;
        let income = v["eligibility"]["tests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["rule"] == "YQ-10.1.3")
            .unwrap()
            .clone();
        assert_eq!(income["outcome"], "pending", "{income}");
        yq_figure(&t).await;
        // 38,215 per person is not below 38,215 (低于, strict): fails; 40 m² for 2 = 20 (含): passes.
        let (_, v) = t
            .get("housing_bureau", &format!("/api/applications/{id}"))
            .await;
        let tests = v["eligibility"]["tests"].as_array().unwrap();
        let by = |r: &str| {
            tests
                .iter()
                .find(|x| x["rule"] == r && x["outcome"] != "not_applicable")
                .unwrap()
                .clone()
        };
        assert_eq!(by("YQ-10.1.3")["outcome"], "failed");
        assert!(
            by("YQ-10.1.3")["detail"]
                .as_str()
                .unwrap()
                .contains("38215"),
            "{tests:?}"
        );
        assert_eq!(by("YQ-10.1.2")["outcome"], "passed");
        assert_eq!(v["eligibility"]["eligible"], false);
        // 40.02 m² for two is 20.01 per person: over 20.
        let mut h = family(2, "38214.99", "40.02");
        let (s, v) = t
            .post(
                "accepting_unit",
                &format!("/api/applications/{id}/household"),
                h.clone(),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let tests = v["eligibility"]["tests"].as_array().unwrap();
        assert_eq!(
            tests.iter().find(|x| x["rule"] == "YQ-10.1.3").unwrap()["outcome"],
            "passed"
        );
        assert_eq!(
            tests.iter().find(|x| x["rule"] == "YQ-10.1.2").unwrap()["outcome"],
            "failed"
        );
        // The first review refuses an ineligible family, citing the rule.
        t.ok(
            "accepting_unit",
            id,
            "submit_first_review",
            None,
            Value::Null,
        )
        .await;
        let (_, v) = t
            .act("accepting_unit", id, "pass_first_review", None, Value::Null)
            .await;
        assert!(
            v["details"][0]["message"]
                .as_str()
                .unwrap()
                .contains("YQ-10.1.2"),
            "{v}"
        );
        // YQ-10.1.4: an expropriation compensation within five years (2021-09-21 → 2026-09-21
        // inclusive) fails; one on 2021-09-20 is past.
        h["housing"]["owned_area_m2"] = json!("0");
        h["history"] = json!({ "expropriation_compensation_on": "2021-09-21" });
        let (_, v) = t
            .post(
                "accepting_unit",
                &format!("/api/applications/{id}/household"),
                h.clone(),
            )
            .await;
        let t4 = v["eligibility"]["tests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["test"] == "not_within_years")
            .unwrap()
            .clone();
        assert_eq!(t4["outcome"], "failed", "{t4}");
        h["history"] = json!({ "expropriation_compensation_on": "2021-09-20" });
        let (_, v) = t
            .post(
                "accepting_unit",
                &format!("/api/applications/{id}/household"),
                h.clone(),
            )
            .await;
        assert_eq!(v["eligibility"]["eligible"], true, "{v}");
        // YQ-10.1.5: public rental now is a condition (vacate within 90 days), not a refusal.
        h["history"] = json!({ "public_rental": true });
        let (_, v) = t
            .post(
                "accepting_unit",
                &format!("/api/applications/{id}/household"),
                h,
            )
            .await;
        let t5 = v["eligibility"]["tests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["rule"] == "YQ-10.1.5")
            .unwrap()
            .clone();
        assert_eq!(
            (
                t5["outcome"].as_str(),
                v["eligibility"]["eligible"].as_bool()
            ),
            (Some("condition"), Some(true)),
            "{t5}"
        );
        assert!(t5["detail"].as_str().unwrap().contains("90"));
    }
);

on_both!(
    issue_13_bad_household_input_is_refused_and_nothing_is_stored,
    |t: TestApp| async move {
        let before = t
            .get("supervisor", "/api/applications?pack=yangquan")
            .await
            .1
            .as_array()
            .unwrap()
            .len();
        let mut bad_id = family(3, "30000", "0");
        bad_id["members"][0]["id_number"] = json!("140302199005150011");
        let mut negative = family(3, "30000", "0");
        negative["members"][1]["annual_income"] = json!("-1");
        let mut future = family(3, "30000", "0");
        future["history"] = json!({ "title_transfer_on": "2027-01-01" });
        let mut group = family(3, "30000", "0");
        group["group"] = json!("mayors");
        let mut twice = family(3, "30000", "0");
        twice["members"][1]["id_number"] = twice["members"][0]["id_number"].clone();
        for (h, field) in [
            (bad_id, "household.members[0].id_number"),
            (negative, "household.members[1].annual_income"),
            (future, "household.history.title_transfer_on"),
            (group, "household.group"),
            (twice, "household.members[1].id_number"),
        ] {
            let (s, v) = t
                .post(
                    "accepting_unit",
                    "/api/applications",
                    json!({ "pack": "yangquan", "household": h }),
                )
                .await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
            assert_eq!(v["field"], field, "{v}");
        }
        // Only the accepting unit accepts; Huoshan has no sale path (its text is Lu'an's).
        let (s, _) = t
            .post(
                "housing_bureau",
                "/api/applications",
                json!({ "pack": "yangquan", "household": family(4, "1", "0") }),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, v) = t
            .post(
                "accepting_unit",
                "/api/applications",
                json!({ "pack": "huoshan", "household": family(4, "1", "0") }),
            )
            .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("not_in_pack")),
            "{v}"
        );
        // One family, one application: a member already named elsewhere is refused.
        yq_apply(&t, family(5, "30000", "0")).await;
        let (s, v) = t
            .post(
                "accepting_unit",
                "/api/applications",
                json!({ "pack": "yangquan", "household": family(5, "30000", "0") }),
            )
            .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::CONFLICT, Some("duplicate_application")),
            "{v}"
        );
        let after = t
            .get("supervisor", "/api/applications?pack=yangquan")
            .await
            .1
            .as_array()
            .unwrap()
            .len();
        assert_eq!(after, before + 1);
    }
);

/// Opens a Yangquan sale of a registered listing at an approved base of 4,100.00/m² (YQ-15:
/// the acquirer writes the plan, the city housing bureau approves it).
pub async fn yq_sale(t: &TestApp) -> i64 {
    let listing = t.yangquan_listing_registered().await;
    let (s, p) = t
        .post(
            "acquirer",
            &format!("/api/listings/{listing}/sale-price-proposals"),
            json!({ "cost_per_m2": "3900", "profit_rate": "0.05128205" }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    t.approve_proposal("housing_bureau", p["id"].as_i64().unwrap())
        .await;
    let (s, v) = t
        .post("acquirer", "/api/sales", json!({ "pack": "yangquan", "name": "阳泉安居苑配售", "listing_id": listing, "county": "城区" }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let sale = v["instance"]["id"].as_i64().unwrap();
    let (s, v) = t
        .post("acquirer", &format!("/api/sales/{sale}/plan"), json!({
            "location": "阳泉市城区迎宾路8号", "method": "lottery", "targets": "已取得配售资格的家庭，按YQ-16梯次",
            "procedure": "登记—摇号—选房—签约", "lottery_rules": "公开摇号，现场输入种子", "schedule": "2026年12月",
            "buyback": "按第十九至二十一条回购", "tier_period_days": 30, "contract_days": 15 }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    t.ok("acquirer", sale, "submit_plan", None, Value::Null)
        .await;
    t.ok("housing_bureau", sale, "approve_plan", None, Value::Null)
        .await;
    sale
}

on_both!(
    yq_15_yq_16_yq_14_yq_18_a_project_sale_from_plan_to_contract_with_an_abandonment_and_its_ban,
    |t: TestApp| async move {
        yq_figure(&t).await;
        let a = yq_qualified(&t, family(11, "30000", "0")).await;
        let b = yq_qualified(&t, family(12, "28000", "0")).await;
        let c = yq_qualified(&t, family(13, "25000", "0")).await;
        // A family owning 30 m² for two (15 per person): tier 2.
        let d = yq_qualified(&t, family(14, "25000", "30")).await;
        let sale = yq_sale(&t).await;
        let (_, v) = t.get("housing_bureau", &format!("/api/sales/{sale}")).await;
        // 4,100.00 × 89.50 = 366,950.00 (the approved base × area, to the fen).
        assert_eq!(v["plan"]["base_per_m2"], "4100.00", "{v}");
        assert!(
            v["plan"]["units"]
                .as_array()
                .unwrap()
                .iter()
                .any(|u| u["price"] == "366950.00")
        );
        assert_eq!(v["tiers_open"], json!([1]));
        let reg = format!("/api/sales/{sale}/entrants");
        for id in [a, b, c] {
            let (s, v) = t
                .post("accepting_unit", &reg, json!({ "application_id": id }))
                .await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
        }
        // YQ-16: the second tier waits for the plan's period.
        let (s, v) = t
            .post("accepting_unit", &reg, json!({ "application_id": d }))
            .await;
        assert_eq!(
            (s, v["code"].as_str(), v["rule"].as_str()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("tier_not_open"),
                Some("YQ-16")
            ),
            "{v}"
        );
        let (s, v) = t
            .post(
                "acquirer",
                &format!("/api/sales/{sale}/tiers/next"),
                Value::Null,
            )
            .await;
        assert_eq!(
            (s, v["rule"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("YQ-16")),
            "{v}"
        );
        t.ok("acquirer", sale, "close_registration", None, Value::Null)
            .await;
        let (s, v) = t
            .post(
                "acquirer",
                &format!("/api/sales/{sale}/lottery/fix"),
                Value::Null,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let list = v["lotteries"][0]["entrants_text"]
            .as_str()
            .unwrap()
            .to_string();
        let sha = v["lotteries"][0]["entrants_sha256"]
            .as_str()
            .unwrap()
            .to_string();
        let (s, v) = t
            .post(
                "acquirer",
                &format!("/api/sales/{sale}/lottery/draw"),
                json!({ "seed": "2026-11-11 城区公证处 739415", "witnesses": "申请家庭代表两名" }),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let order: Vec<String> = v["order"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap().to_string())
            .collect();
        assert_eq!(order.len(), 3);
        // Anyone can re-run the draw from the published list and seed.
        let entrants = anju::domain::allocation::lottery::parse_entrant_list(&list).unwrap();
        assert_eq!(
            anju::domain::allocation::lottery::entrants_sha256(&entrants),
            sha
        );
        let replay: Vec<String> =
            anju::domain::allocation::lottery::draw(&entrants, "2026-11-11 城区公证处 739415")
                .into_iter()
                .map(|e| e.application_no)
                .collect();
        assert_eq!(replay, order);
        t.ok("acquirer", sale, "start_selection", None, Value::Null)
            .await;
        let app_of = |no: &str, v: &Value| {
            v["entrants"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["application_no"] == no)
                .unwrap()["application_id"]
                .as_i64()
                .unwrap()
        };
        let (_, v) = t.get("acquirer", &format!("/api/sales/{sale}")).await;
        let first = app_of(&order[0], &v);
        let second = app_of(&order[1], &v);
        let units: Vec<i64> = v["units"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["unit_id"].as_i64().unwrap())
            .collect();
        let sel = format!("/api/sales/{sale}/selections");
        // Only the next in order chooses (XY-25.4's 递补 order; YQ-15's lottery).
        let (s, v) = t
            .post(
                "acquirer",
                &sel,
                json!({ "application_id": second, "outcome": "chosen", "unit_id": units[1] }),
            )
            .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("not_their_turn")),
            "{v}"
        );
        let (s, v) = t
            .post(
                "acquirer",
                &sel,
                json!({ "application_id": first, "outcome": "chosen", "unit_id": units[0] }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let (s, v) = t
            .post(
                "acquirer",
                &sel,
                json!({ "application_id": second, "outcome": "chosen", "unit_id": units[0] }),
            )
            .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::CONFLICT, Some("unit_taken")),
            "{v}"
        );
        let (s, _) = t
            .post(
                "acquirer",
                &sel,
                json!({ "application_id": second, "outcome": "chosen", "unit_id": units[1] }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
        // YQ-14: giving up after a first selection bars purchase applications for 2 years.
        let (s, v) = t
            .post(
                "acquirer",
                &sel,
                json!({ "application_id": second, "outcome": "abandoned", "note": "家庭原因放弃" }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let (_, sv) = t
            .get("housing_bureau", &format!("/api/applications/{second}"))
            .await;
        let ban = sv["bans"].as_array().unwrap().first().cloned().unwrap();
        assert_eq!(
            (ban["rule"].as_str(), ban["ends_on"].as_str()),
            (Some("YQ-14"), Some("2028-11-11")),
            "{ban}"
        );
        assert_eq!(
            sv["bans"].as_array().unwrap().len(),
            2,
            "every member is barred"
        );
        // The ban is checked at the next application of any member.
        let second_family = family(12, "28000", "0");
        let (s, v) = t
            .post(
                "accepting_unit",
                "/api/applications",
                json!({ "pack": "yangquan", "household": second_family }),
            )
            .await;
        assert!(
            s == StatusCode::UNPROCESSABLE_ENTITY || s == StatusCode::CONFLICT,
            "{v}"
        );
        // YQ-18: the contract at the approved price with the annotation verbatim.
        let (s, v) = t.post("acquirer", &format!("/api/sales/{sale}/contracts"), json!({ "application_id": first, "payment": "provident_fund", "down_payment": "73390.00", "signed_on": "2026-11-11" })).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["contracts"], 1);
        let sold = v["units"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["unit_id"] == units[0])
            .unwrap()
            .clone();
        assert_eq!(sold["status"], "sold");
        let (_, fv) = t
            .get("housing_bureau", &format!("/api/applications/{first}"))
            .await;
        assert_eq!(fv["instance"]["state"], "purchased");
        let h = t.history(sale).await;
        let signed = h.iter().find(|e| e["action"] == "sign_contract").unwrap();
        assert!(signed["payload"].as_str().unwrap().contains("YQ-18"));
        // One unit per family: the buyer's family cannot apply again.
        let (s, v) = t
            .post(
                "accepting_unit",
                "/api/applications",
                json!({ "pack": "yangquan", "household": family(11, "30000", "0") }),
            )
            .await;
        assert!(s.is_client_error() && v["code"] != "internal", "{v}");
        let _ = c;
    }
);
