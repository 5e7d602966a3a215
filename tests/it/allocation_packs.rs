//! Nanchang's and Xingyi's sale paths end to end (ALLOCATION.md §2–§8): Nanchang's three
//! working days of publicity, scoring with drawn ties, both spouses on the title and the
//! proceeds in the project's ledger; Xingyi's seven calendar days, first-come sale when the
//! households do not outnumber the units, the notarised lottery when they do, the deposit that
//! locks a unit and the bans of XY-25.5 and XY-36.

use crate::allocation::id_no;
use crate::harness::*;
use crate::on_both;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A family of two (applicant and spouse), locally registered, insured, owning nothing.
fn household(group: &str, county: &str, seq: u32) -> Value {
    json!({
        "group": group,
        "county": county,
        "members": [
            { "name": format!("王{}", ["一", "二", "三", "四", "五", "六", "七", "八"][seq as usize % 8]), "id_number": id_no("19880808", seq, true), "relation": "applicant", "marital": "married",
              "hukou_local": true, "permanent_resident": true, "wage_earner": true, "annual_income": "60000", "social_security_months": 24, "insured_now": true },
            { "name": "赵丽", "id_number": id_no("19890909", seq, false), "relation": "spouse", "marital": "married",
              "hukou_local": true, "permanent_resident": true, "wage_earner": true, "annual_income": "50000", "social_security_months": 24, "insured_now": true }
        ],
        "housing": { "owned_area_m2": "0", "tenure": "租住" }
    })
}

async fn findings(t: &TestApp, id: i64, depts: &[(&str, &str)]) {
    for (who, dept) in depts {
        let (s, v) = t
            .post(who, &format!("/api/applications/{id}/findings"), json!({ "department": dept, "passed": true, "note": "联网核验无误", "document_ref": format!("{dept}-001") }))
            .await;
        assert_eq!(s, StatusCode::OK, "{who}: {v}");
    }
}

const NC_DEPTS: [(&str, &str); 4] = [
    ("verifier", "public_security"),
    ("verifier_civil_affairs", "civil_affairs"),
    ("natural_resources", "natural_resources"),
    ("verifier_human_resources", "human_resources"),
];

/// NC-26/NC-27: the district department accepts, reviews online with four departments and
/// publishes exactly three working days; returns the application once qualified.
async fn nc_qualified(t: &TestApp, seq: u32) -> i64 {
    let (s, v) = t
        .post("accepting_unit", "/api/applications", json!({ "pack": "nanchang", "household": household("urban_hukou", "东湖区", seq), "materials": ["application_form", "integrity_commitment"] }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["instance"]["id"].as_i64().unwrap();
    t.ok("accepting_unit", id, "start_review", None, Value::Null)
        .await;
    findings(t, id, &NC_DEPTS).await;
    let v = t
        .ok("accepting_unit", id, "publish", None, Value::Null)
        .await;
    let due: chrono::NaiveDate = v["deadline"]["due"].as_str().unwrap().parse().unwrap();
    let back = t.clock_today();
    t.set_today(due.succ_opt().unwrap());
    t.ok("accepting_unit", id, "qualify", None, Value::Null)
        .await;
    t.set_today(back);
    id
}

on_both!(
    nc_27_three_working_days_of_publicity_and_a_refusal_in_writing_with_one_rereview_nc_28,
    |t: TestApp| async move {
        t.set_today(date("2026-09-30"));
        let (_, v) = t
            .post("accepting_unit", "/api/applications", json!({ "pack": "nanchang", "household": household("urban_hukou", "东湖区", 1), "materials": ["application_form", "integrity_commitment"] }))
            .await;
        let id = v["instance"]["id"].as_i64().unwrap();
        t.ok("accepting_unit", id, "start_review", None, Value::Null)
            .await;
        findings(&t, id, &NC_DEPTS).await;
        // Published Wednesday 30 Sept; National Day 1–7 Oct off, 10 Oct (Saturday) a working
        // day (调休): 8, 9, 10 Oct → ends Saturday 10 Oct.
        let v = t
            .ok("accepting_unit", id, "publish", None, Value::Null)
            .await;
        assert_eq!(v["deadline"]["due"], "2026-10-10", "{v}");
        // NC-29: a change reported during publicity sends it back to review.
        let v = t
            .ok(
                "accepting_unit",
                id,
                "record_objection",
                Some("群众反映该户在外地有房"),
                Value::Null,
            )
            .await;
        assert_eq!(v["state"], "verification");
        // NC-27: a refusal gives its reasons in writing; NC-28: one re-review, no more.
        let (s, v) = t
            .act("accepting_unit", id, "refuse", None, Value::Null)
            .await;
        assert!(s.is_client_error(), "{v}");
        t.ok(
            "accepting_unit",
            id,
            "refuse",
            Some("经不动产登记部门核查，该户在本市有住房一套"),
            Value::Null,
        )
        .await;
        t.ok(
            "accepting_unit",
            id,
            "request_rereview",
            Some("申请人提供房屋已于2025年转让的证明"),
            Value::Null,
        )
        .await;
        t.ok(
            "accepting_unit",
            id,
            "refuse",
            Some("复核维持原结论"),
            Value::Null,
        )
        .await;
        let (_, v) = t
            .act(
                "accepting_unit",
                id,
                "request_rereview",
                Some("再次申请复核"),
                Value::Null,
            )
            .await;
        assert_eq!(v["rule"], "NC-28", "{v}");
    }
);

on_both!(
    nc_33_a_batch_sold_by_scoring_nc_35_both_spouses_on_the_title_and_the_proceeds_in_the_projects_ledger,
    |t: TestApp| async move {
        let round = t.open_round_in("nanchang").await;
        let listing = t.nanchang_listing_acquired(round).await;
        let a = nc_qualified(&t, 21).await;
        let b = nc_qualified(&t, 22).await;
        let c = nc_qualified(&t, 23).await;
        // NC-30: cost 3,800.00 + 5 % = 3,990.00/m², through the 专班办公室 and the government.
        let (s, p) = t
            .post("acquirer", &format!("/api/listings/{listing}/sale-price-proposals"), json!({ "cost_per_m2": "3800", "profit_rate": "0.05" }))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        let pid = p["id"].as_i64().unwrap();
        t.approve_proposal("leading_group", pid).await;
        t.approve_proposal("government", pid).await;
        let (s, v) = t
            .post("acquirer", "/api/sales", json!({ "pack": "nanchang", "name": "南昌第一批次配售", "listing_id": listing, "county": "东湖区" }))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let sale = v["instance"]["id"].as_i64().unwrap();
        let plan = json!({
            "location": "南昌市东湖区", "method": "scoring", "targets": "城镇户籍无房家庭优先（NC-22）",
            "procedure": "申购—评分—选房—签约", "lottery_rules": "同分者公开摇号", "schedule": "2026年12月",
            "buyback": "按第三十七条回购", "contract_days": 15,
            "scoring": [
                { "key": "houseless", "label": "本市无房", "points": 10 },
                { "key": "hukou_5y", "label": "本市户籍满5年", "points": 5 }
            ]
        });
        // NC-33: a scoring plan names its criteria.
        let mut bare = plan.clone();
        bare["scoring"] = json!([]);
        let (s, v) = t.post("acquirer", &format!("/api/sales/{sale}/plan"), bare).await;
        assert_eq!((s, v["rule"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("NC-33")), "{v}");
        let (s, v) = t.post("acquirer", &format!("/api/sales/{sale}/plan"), plan).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["plan"]["base_per_m2"], "3990.00");
        // NC-33: the 专班办公室 reviews, the city government approves.
        t.ok("acquirer", sale, "submit_plan", None, Value::Null).await;
        let (s, _) = t.act("government", sale, "review_plan", None, Value::Null).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        t.ok("leading_group", sale, "review_plan", None, Value::Null).await;
        t.ok("government", sale, "approve_plan", None, Value::Null).await;
        for id in [a, b, c] {
            let (s, v) = t.post("accepting_unit", &format!("/api/sales/{sale}/entrants"), json!({ "application_id": id })).await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
        }
        t.ok("acquirer", sale, "close_registration", None, Value::Null).await;
        let score = |id: i64, criteria: Value| json!({ "application_id": id, "criteria": criteria, "evidence": "不动产登记查询、户籍证明" });
        let sc = format!("/api/sales/{sale}/scores");
        // Not a criterion of the plan.
        let (s, v) = t.post("acquirer", &sc, score(a, json!(["mayor"]))).await;
        assert_eq!((s, v["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("criteria[0]")), "{v}");
        // a: 10 + 5 = 15; b and c: 10 each, a tie drawn by lot.
        for (id, crit) in [(a, json!(["houseless", "hukou_5y"])), (b, json!(["houseless"])), (c, json!(["houseless"]))] {
            let (s, v) = t.post("acquirer", &sc, score(id, crit)).await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
        }
        let (s, v) = t.post("acquirer", &format!("/api/sales/{sale}/lottery/fix"), Value::Null).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let list = v["lotteries"][0]["entrants_text"].as_str().unwrap().to_string();
        let entrants = anju::domain::allocation::lottery::parse_entrant_list(&list).unwrap();
        let rank_of = |id: i64| {
            let no = v["entrants"].as_array().unwrap().iter().find(|e| e["application_id"] == id).unwrap()["application_no"].clone();
            entrants.iter().find(|e| e.application_no == no.as_str().unwrap()).unwrap().tier
        };
        assert_eq!((rank_of(a), rank_of(b), rank_of(c)), (1, 2, 2));
        // Scores no longer change once the list is fixed.
        let (s, _) = t.post("acquirer", &sc, score(b, json!(["houseless", "hukou_5y"]))).await;
        assert_eq!(s, StatusCode::CONFLICT);
        let (s, v) = t
            .post("acquirer", &format!("/api/sales/{sale}/lottery/draw"), json!({ "seed": "南昌 2026-12-01 0427", "witnesses": "专班办公室、申请人代表" }))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let order: Vec<String> = v["order"].as_array().unwrap().iter().map(|x| x.as_str().unwrap().to_string()).collect();
        let replay: Vec<String> = anju::domain::allocation::lottery::draw(&entrants, "南昌 2026-12-01 0427").into_iter().map(|e| e.application_no).collect();
        assert_eq!(order, replay);
        let no_a = v["entrants"].as_array().unwrap().iter().find(|e| e["application_id"] == a).unwrap()["application_no"].clone();
        assert_eq!(order[0], no_a.as_str().unwrap(), "the highest score chooses first");
        t.ok("acquirer", sale, "start_selection", None, Value::Null).await;
        let unit = v["units"][0]["unit_id"].as_i64().unwrap();
        let price = v["units"][0]["price"].as_str().unwrap().to_string();
        let (s, v) = t
            .post("acquirer", &format!("/api/sales/{sale}/selections"), json!({ "application_id": a, "outcome": "chosen", "unit_id": unit }))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let today = t.clock_today().to_string();
        let (s, v) = t
            .post("acquirer", &format!("/api/sales/{sale}/contracts"), json!({ "application_id": a, "payment": "lump_sum", "down_payment": price, "signed_on": today }))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        // NC-35: the annotation verbatim, both spouses on the title; NC-36: archived.
        let h = t.history(sale).await;
        assert!(h.iter().any(|e| e["action"] == "sign_contract" && e["payload"].as_str().unwrap().contains("NC-35")));
        let (_, full) = t.get("acquirer", &format!("/api/sales/{sale}")).await;
        assert_eq!(full["contract_list"][0]["price"], price.as_str());
        // Proceeds: into the project's fund as sale income (NC-20), never above the price.
        for (name, kind, source, purpose) in [
            ("Assets:Fund:NC1:Other", "fund", Some("other"), Some("operation")),
            ("Income:NC1:Sale", "income", None, Some("sale")),
            ("Income:NC1:Rent", "income", None, Some("rent")),
        ] {
            let (s, v) = t.post("acquirer", "/api/ledger/accounts", json!({ "name": name, "kind": kind, "project": "NC1", "source": source, "purpose": purpose, "label": name })).await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
        }
        let rc = format!("/api/sales/{sale}/receipts");
        let receipt = |amount: &str, income: &str| json!({ "application_id": a, "amount": amount, "received_on": today, "debit_account": "Assets:Fund:NC1:Other", "income_account": income });
        let (s, v) = t.post("acquirer", &rc, receipt("100000.00", "Income:NC1:Rent")).await;
        assert_eq!((s, v["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("income_account")), "{v}");
        let (s, v) = t.post("acquirer", &rc, receipt("100000.00", "Income:NC1:Sale")).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["contract_list"][0]["received"], "100000.00");
        let p: rust_decimal::Decimal = price.parse().unwrap();
        let rest = (p - rust_decimal::Decimal::from(100_000)).to_string();
        let over = (p - rust_decimal::Decimal::from(99_999)).to_string();
        let (s, v) = t.post("acquirer", &rc, receipt(&over, "Income:NC1:Sale")).await;
        assert_eq!((s, v["code"].as_str(), v["rule"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("above_price"), Some("NC-30")), "{v}");
        let (s, v) = t.post("acquirer", &rc, receipt(&rest, "Income:NC1:Sale")).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let (_, tb) = t.get("finance_bureau", "/api/ledger/trial-balance").await;
        let line = tb.to_string();
        assert!(line.contains("Income:NC1:Sale"), "{tb}");
        let _ = (b, c);
    }
);

const XY_DEPTS: [(&str, &str); 4] = [
    ("natural_resources", "natural_resources"),
    ("verifier", "public_security"),
    ("verifier_civil_affairs", "civil_affairs"),
    ("verifier_human_resources", "human_resources"),
];
const XY_MATERIALS: [&str; 7] = [
    "application_form",
    "hukou_and_identity",
    "employment",
    "no_home_certificate",
    "marriage",
    "talent_recognition",
    "other",
];

/// XY-18/XY-19: accepted, reviewed, verified, published seven calendar days, qualified.
async fn xy_qualified(t: &TestApp, seq: u32) -> i64 {
    let (s, v) = t
        .post("accepting_unit", "/api/applications", json!({ "pack": "xingyi", "household": household("wage_earner", "兴义市", seq), "materials": XY_MATERIALS }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["instance"]["id"].as_i64().unwrap();
    t.ok("accepting_unit", id, "start_review", None, Value::Null)
        .await;
    findings(t, id, &XY_DEPTS).await;
    let v = t
        .ok("housing_bureau", id, "publish", None, Value::Null)
        .await;
    let due: chrono::NaiveDate = v["deadline"]["due"].as_str().unwrap().parse().unwrap();
    let back = t.clock_today();
    t.set_today(due.succ_opt().unwrap());
    t.ok("housing_bureau", id, "qualify", None, Value::Null)
        .await;
    t.set_today(back);
    id
}

/// XY-13/XY-14: the price at 6,200.00 + 2 % = 6,324.00/m², approved by the city government;
/// the plan with its deposit, approved by the government.
async fn xy_sale(t: &TestApp, listing: i64) -> i64 {
    let (s, p) = t
        .post(
            "acquirer",
            &format!("/api/listings/{listing}/sale-price-proposals"),
            json!({ "cost_per_m2": "6200", "profit_rate": "0.02" }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    t.approve_proposal("government", p["id"].as_i64().unwrap())
        .await;
    let (s, v) = t
        .post("acquirer", "/api/sales", json!({ "pack": "xingyi", "name": "兴义安居配售", "listing_id": listing, "county": "兴义市" }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let sale = v["instance"]["id"].as_i64().unwrap();
    let mut plan = json!({
        "location": "兴义市桔山街道", "method": "lottery", "targets": "轮候库家庭",
        "procedure": "公告—申购—审核—摇号—选房—签约", "lottery_rules": "公证机关现场公证", "schedule": "2026年12月",
        "buyback": "按第三十至三十二条回购", "contract_days": 10
    });
    // XY-25.4: the plan sets the deposit (the text sets no amount).
    let (s, v) = t
        .post("acquirer", &format!("/api/sales/{sale}/plan"), plan.clone())
        .await;
    assert_eq!(
        (s, v["rule"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("XY-25.4")),
        "{v}"
    );
    plan["deposit"] = json!("20000");
    let (s, v) = t
        .post("acquirer", &format!("/api/sales/{sale}/plan"), plan)
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    t.ok("acquirer", sale, "submit_plan", None, Value::Null)
        .await;
    t.ok("government", sale, "approve_plan", None, Value::Null)
        .await;
    sale
}

on_both!(
    xy_25_3_first_come_when_units_suffice_xy_25_4_deposit_locks_xy_25_5_and_xy_36_bans,
    |t: TestApp| async move {
        t.set_today(date("2026-11-02"));
        let listing = t.xingyi_listing_acquired("92.00").await;
        let a = xy_qualified(&t, 31).await;
        let b = xy_qualified(&t, 32).await;
        let c = xy_qualified(&t, 33).await;
        let sale = xy_sale(&t, listing).await;
        let (_, v) = t.get("acquirer", &format!("/api/sales/{sale}")).await;
        // 6,324.00 × 92.00 = 581,808.00.
        assert_eq!(v["plan"]["base_per_m2"], "6324.00", "{v}");
        assert_eq!(v["units"][0]["price"], "581808.00");
        for id in [a, b, c] {
            let (s, v) = t
                .post(
                    "accepting_unit",
                    &format!("/api/sales/{sale}/entrants"),
                    json!({ "application_id": id }),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
        }
        t.ok("acquirer", sale, "close_registration", None, Value::Null)
            .await;
        // Three households for five units: no lottery, first come first served (XY-25.3).
        let v = t
            .ok("acquirer", sale, "start_selection", None, Value::Null)
            .await;
        assert_eq!(v["state"], "selecting");
        let (_, v) = t.get("acquirer", &format!("/api/sales/{sale}")).await;
        assert!(v["lotteries"].as_array().unwrap().is_empty());
        let units: Vec<i64> = v["units"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["unit_id"].as_i64().unwrap())
            .collect();
        let sel = format!("/api/sales/{sale}/selections");
        // XY-25.4: a unit is locked only with the plan's deposit.
        let (s, v) = t.post("acquirer", &sel, json!({ "application_id": a, "outcome": "chosen", "unit_id": units[0], "deposit": "10000" })).await;
        assert_eq!(
            (s, v["rule"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("XY-25.4")),
            "{v}"
        );
        let (s, v) = t.post("acquirer", &sel, json!({ "application_id": a, "outcome": "chosen", "unit_id": units[0], "deposit": "20000" })).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        // XY-25.5: giving up after the deposit → no purchase application for 2 years.
        let (s, v) = t
            .post(
                "acquirer",
                &sel,
                json!({ "application_id": a, "outcome": "abandoned", "note": "放弃购买" }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let (_, av) = t
            .get("housing_bureau", &format!("/api/applications/{a}"))
            .await;
        let ban = &av["bans"][0];
        assert_eq!(
            (
                ban["rule"].as_str(),
                ban["starts_on"].as_str(),
                ban["ends_on"].as_str()
            ),
            (Some("XY-25.5"), Some("2026-11-02"), Some("2028-11-02")),
            "{av}"
        );
        // The unit is free again.
        let (_, v) = t.get("acquirer", &format!("/api/sales/{sale}")).await;
        assert_eq!(v["units"][0]["status"], "for_sale", "{v}");
        // XY-36: absent from selection → qualification cancelled, 1 year.
        let (s, v) = t
            .post(
                "acquirer",
                &sel,
                json!({ "application_id": b, "outcome": "absent" }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let (_, bv) = t
            .get("housing_bureau", &format!("/api/applications/{b}"))
            .await;
        assert_eq!(
            (
                bv["bans"][0]["rule"].as_str(),
                bv["bans"][0]["ends_on"].as_str()
            ),
            (Some("XY-36"), Some("2027-11-02")),
            "{bv}"
        );
        assert_eq!(bv["instance"]["state"], "closed");
        // XY-28: the annotation verbatim on c's contract.
        let (s, v) = t.post("acquirer", &sel, json!({ "application_id": c, "outcome": "chosen", "unit_id": units[1], "deposit": "20000" })).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let (s, v) = t.post("acquirer", &format!("/api/sales/{sale}/contracts"), json!({ "application_id": c, "payment": "provident_fund", "down_payment": "174542.40", "signed_on": "2026-11-02" })).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let h = t.history(sale).await;
        assert!(
            h.iter().any(|e| e["action"] == "sign_contract"
                && e["payload"].as_str().unwrap().contains("XY-28"))
        );
        // A banned member cannot apply again.
        let (s, v) = t.post("accepting_unit", "/api/applications", json!({ "pack": "xingyi", "household": household("wage_earner", "兴义市", 31), "materials": XY_MATERIALS })).await;
        assert!(s.is_client_error() && v["code"] != "internal", "{v}");
    }
);

on_both!(
    xy_25_3_more_households_than_units_a_lottery_notarised_on_site,
    |t: TestApp| async move {
        t.set_today(date("2026-11-02"));
        let listing = t.xingyi_listing_acquired("92.00").await;
        let mut apps = Vec::new();
        for seq in 41..47 {
            apps.push(xy_qualified(&t, seq).await);
        }
        let sale = xy_sale(&t, listing).await;
        for id in &apps {
            let (s, v) = t
                .post(
                    "accepting_unit",
                    &format!("/api/sales/{sale}/entrants"),
                    json!({ "application_id": id }),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
        }
        t.ok("acquirer", sale, "close_registration", None, Value::Null)
            .await;
        // Six households, five units: selection waits for the draw.
        let (_, v) = t
            .act("acquirer", sale, "start_selection", None, Value::Null)
            .await;
        assert_eq!(v["rule"], "XY-25.3", "{v}");
        let (s, v) = t
            .post(
                "acquirer",
                &format!("/api/sales/{sale}/lottery/fix"),
                Value::Null,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let draw = json!({ "seed": "兴义公证处 2026-11-02 88317", "witnesses": "兴义市公证处公证员、申请人代表3名" });
        // XY-25.3: the notary draws on site, not the seller.
        let (s, _) = t
            .post(
                "acquirer",
                &format!("/api/sales/{sale}/lottery/draw"),
                draw.clone(),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, v) = t
            .post(
                "notary",
                &format!("/api/sales/{sale}/lottery/draw"),
                draw.clone(),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["lotteries"][0]["order"].as_array().unwrap().len(), 6);
        // Drawn once: a second draw is refused.
        let (s, _) = t
            .post("notary", &format!("/api/sales/{sale}/lottery/draw"), draw)
            .await;
        assert_eq!(s, StatusCode::CONFLICT);
        let v = t
            .ok("acquirer", sale, "start_selection", None, Value::Null)
            .await;
        assert_eq!(v["state"], "selecting");
    }
);
