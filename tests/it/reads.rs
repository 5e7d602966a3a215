//! One per-role filter on every read path (issue 19: a developer read a round's survey totals,
//! budget and officials through `GET /api/instances/{round}/history`, which the round's own view
//! hides). Every GET path of the API (from the OpenAPI document, so a new one is covered the day
//! it is added) and every page, read as every role: no 5xx, no error outside problem+json, a
//! history equal to the history of the role's view, and nothing of a round's government data —
//! nor of another company's listing — in anything a developer reads.

use crate::harness::*;
use crate::on_both;
use anju::domain::role::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::io::Read;

/// What only officials may read: an official's name, a survey respondent, a tender's budget.
const GOVERNMENT_SECRETS: [&str; 3] = ["王秘书长", "保密乡", "7654321"];
/// Developer 甲公司's project, which 乙公司 must not see.
const COMPANY_SECRET: &str = "甲方秘密花园";
const ACCOUNT: &str = "Assets:Fund:R1:SpecialBond:Acquisition";

/// Every GET path of the API document, with its placeholders filled for `ids`, plus the query a
/// path requires. A placeholder this table does not know fails the test.
fn api_paths(openapi: &Value, round: i64, listing: i64, doc: i64) -> Vec<String> {
    let paths = openapi["paths"].as_object().unwrap();
    let mut out = Vec::new();
    for (path, ops) in paths {
        if ops.get("get").is_none() {
            continue;
        }
        let instances: Vec<i64> = if path.starts_with("/api/instances/") {
            vec![round, listing]
        } else if path.starts_with("/api/listings/") {
            vec![listing]
        } else {
            vec![round]
        };
        for id in instances {
            let p = path
                .replace("{id}", &id.to_string())
                .replace("{doc}", &doc.to_string())
                .replace("{project}", "R1")
                .replace("{name}", "listing")
                .replace(
                    "{pack}",
                    if path.starts_with("/api/workflows") {
                        "huoshan"
                    } else {
                        "yangquan"
                    },
                );
            assert!(!p.contains('{'), "fill the placeholders of {path}");
            let query = match path.as_str() {
                "/api/ledger/export" => "?format=hledger".to_string(),
                "/api/ledger/reconciliation" => format!("?account={ACCOUNT}&upto=2026-12-31"),
                "/api/ledger/matches" => format!("?account={ACCOUNT}"),
                "/api/price/daxie" => "?amount=1.00".to_string(),
                _ => String::new(),
            };
            out.push(format!("{p}{query}"));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The pages a person reads (GET routes of `http::pages`).
fn page_paths(round: i64, listing: i64, doc: i64) -> Vec<String> {
    vec![
        "/inbox".into(),
        format!("/rounds/{round}"),
        format!("/listings/{listing}"),
        format!("/listings/{listing}/negotiation-record"),
        format!("/rounds/{round}/exceptions"),
        format!("/listings/{listing}/rents"),
        "/price/schedule".into(),
        "/ledger".into(),
        format!("/rounds/{round}/bids"),
        format!("/ledger/reconciliation?account={ACCOUNT}&upto=2026-12-31"),
        "/ledger/projects/R1".into(),
        "/admin/users".into(),
        format!("/listings/{listing}/documents/{doc}"),
        "/ledger/export?format=hledger".into(),
        format!("/rounds/{round}/bids/comparison.xlsx"),
        "/templates/unit-list.xlsx".into(),
    ]
}

/// A response's text; for a workbook, the text of every part (a secret inside is zipped).
async fn text_of(r: reqwest::Response) -> (StatusCode, String, String) {
    let status = r.status();
    let ct = content_type(&r);
    let bytes = r.bytes().await.unwrap().to_vec();
    if bytes.starts_with(b"PK") {
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut all = String::new();
        for i in 0..z.len() {
            let _ = z.by_index(i).unwrap().read_to_string(&mut all);
        }
        return (status, ct, all);
    }
    (status, ct, String::from_utf8_lossy(&bytes).to_string())
}

/// A round of an official with a distinctive name: a survey return of 保密乡, a tender with a
/// budget of 7,654,321, and 甲公司's listing with one document.
async fn planted(t: &TestApp) -> (String, i64, i64, i64) {
    let (s, v) = t
        .post(
            "admin",
            "/api/users",
            json!({ "name": "王秘书长", "role": "housing_bureau" }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let official = v["token"].as_str().unwrap().to_string();
    let post = |path: String, body: Value| {
        let req = t
            .client
            .post(format!("{}{path}", t.base))
            .bearer_auth(&official)
            .json(&body);
        async move {
            let r = req.send().await.unwrap();
            let s = r.status();
            (s, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (s, v) = post(
        "/api/rounds".into(),
        json!({ "pack": "yangquan", "name": "阳泉批次" }),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let round = v["id"].as_i64().unwrap();
    let (s, v) = post(
        format!("/api/rounds/{round}/survey-returns"),
        json!({ "returns": [{ "respondent": "保密乡", "respondent_kind": "township", "household_type": "新市民", "band": "70_90", "units": 77, "location": "城区" }] }),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    // YQ-7.4: the acquirer runs Yangquan's tender.
    let acq = t.acquirer_of("yangquan").await;
    t.ok("acquirer", round, "publish_tender", None, Value::Null)
        .await;
    let (s, v) = t
        .post(
            "acquirer",
            &format!("/api/rounds/{round}/tender"),
            tender_terms(
                &acq,
                "7654321",
                "2026-12-01T00:00:00Z",
                "2026-12-02T00:00:00Z",
            ),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = t
        .post(
            "developer",
            &format!("/api/rounds/{round}/listings"),
            listing_facts(COMPANY_SECRET),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let listing = v["id"].as_i64().unwrap();
    let (s, v) = t
        .upload(
            "developer",
            listing,
            "unit_list",
            "楼盘表.xlsx",
            anju::excel::unit_list::write_unit_list(&units(&[dec("89.37")])).unwrap(),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let doc = v["document"]["id"].as_i64().unwrap();
    let (s, v) = t
        .post(
            "acquirer",
            "/api/ledger/accounts",
            json!({ "name": ACCOUNT, "kind": "fund", "project": "R1", "source": "special_bond", "label": "专项债" }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    (official, round, listing, doc)
}

on_both!(
    every_get_path_as_every_role_shows_no_more_than_the_roles_view,
    |t: TestApp| async move {
        let (_official, round, listing, doc) = planted(&t).await;
        let openapi: Value = t
            .client
            .get(format!("{}/api/openapi.json", t.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let api = api_paths(&openapi, round, listing, doc);
        assert!(api.len() > 40, "{} GET paths", api.len());
        let pages = page_paths(round, listing, doc);
        let mut who: Vec<&str> = Role::ALL.iter().map(|r| r.key()).collect();
        who.push("developer_b");
        for w in &who {
            let mut reads = Vec::new();
            for p in &api {
                let r = t
                    .client
                    .get(format!("{}{p}", t.base))
                    .bearer_auth(t.token(w))
                    .send()
                    .await
                    .unwrap();
                reads.push((p.clone(), text_of(r).await));
            }
            let cookie = t.cookie(w).await;
            for p in &pages {
                let r = t
                    .client
                    .get(format!("{}{p}", t.base))
                    .header("cookie", &cookie)
                    .send()
                    .await
                    .unwrap();
                reads.push((p.clone(), text_of(r).await));
            }
            for (p, (status, ct, body)) in &reads {
                assert!(!status.is_server_error(), "{w} GET {p}: {status} {body}");
                if status.is_client_error() && p.starts_with("/api/") {
                    assert_eq!(ct, "application/problem+json", "{w} GET {p}: {body}");
                }
                if w.starts_with("developer") {
                    for secret in GOVERNMENT_SECRETS {
                        assert!(!body.contains(secret), "{w} read {secret} at {p}: {body}");
                    }
                }
                if *w == "developer_b" {
                    assert!(
                        !body.contains(COMPANY_SECRET),
                        "{w} read {COMPANY_SECRET} at {p}"
                    );
                }
            }
            // The history endpoint shows what the role's view of the instance shows.
            for (id, view) in [
                (round, format!("/api/rounds/{round}")),
                (listing, format!("/api/listings/{listing}")),
            ] {
                let (vs, v) = t.get(w, &view).await;
                let (hs, h) = t.get(w, &format!("/api/instances/{id}/history")).await;
                assert_eq!(vs, hs, "{w}: {view} and its history");
                if vs == StatusCode::OK {
                    assert_eq!(h, v["history"], "{w}: the history of {view}");
                }
            }
        }
        // The filter hides from developers only; officials read the round's history whole.
        let (_, h) = t
            .get("supervisor", &format!("/api/instances/{round}/history"))
            .await;
        assert!(h.to_string().contains("王秘书长"), "{h}");
    }
);
