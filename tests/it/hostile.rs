//! Hostile workbooks (issue 19): files built here to cost a reader gigabytes — one cell at
//! XFD1048576 or ZZ300000, a gigabyte of zipped whitespace, a 1,000,000-row sheet — go to every
//! endpoint that takes a workbook, against the real `anju` binary on the test's database. Each
//! must be refused with a 4xx within a second, and the server's peak memory stays bounded.

use crate::harness::*;
use crate::on_both;
use anju::excel::unit_list::UNIT_LIST_HEADERS;
use reqwest::StatusCode;
use rust_xlsxwriter::Workbook;
use serde_json::{Value, json};
use std::io::{Cursor, Read, Write};
use std::time::{Duration, Instant};

/// Peak resident memory the server may reach while refusing every file below. Before the fix a
/// single one of them took from 0.9 GB to 549 GB (the process aborted).
const PEAK_RSS_BOUND_BYTES: u64 = 256 * 1024 * 1024;

/// The unit-list headers and one more cell at (`row`, `col`), 0-based.
fn template_with_cell(row: u32, col: u16) -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("楼盘表").unwrap();
    for (i, h) in UNIT_LIST_HEADERS.iter().enumerate() {
        ws.write(0, i as u16, *h).unwrap();
    }
    ws.write(row, col, "x").unwrap();
    wb.save_to_buffer().unwrap()
}

/// The unit-list template with its sheet's XML rewritten by `write` (given the XML up to and
/// including `<sheetData>`'s header row, and the rest).
fn rewrite_sheet(write: impl Fn(&str, &str, &mut dyn Write)) -> Vec<u8> {
    let template = anju::excel::unit_list::unit_list_template();
    let mut src = zip::ZipArchive::new(Cursor::new(&template[..])).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    for i in 0..src.len() {
        let name = src.by_index_raw(i).unwrap().name().unwrap().to_string();
        if name != "xl/worksheets/sheet1.xml" {
            out.raw_copy_file(src.by_index_raw(i).unwrap()).unwrap();
            continue;
        }
        let mut xml = String::new();
        src.by_index(i).unwrap().read_to_string(&mut xml).unwrap();
        let cut = xml.find("</row>").unwrap() + "</row>".len();
        out.start_file(name, opts).unwrap();
        write(&xml[..cut], &xml[cut..], &mut out);
    }
    out.finish().unwrap().into_inner()
}

/// The unit-list headers over a million rows.
fn million_rows() -> Vec<u8> {
    rewrite_sheet(|head, tail, out| {
        let head = head.replace(
            r#"<dimension ref="A1:J1"/>"#,
            r#"<dimension ref="A1:J1000001"/>"#,
        );
        assert!(head.contains("A1:J1000001"), "{head}");
        out.write_all(head.as_bytes()).unwrap();
        let mut rows = String::new();
        for r in 2..=1_000_001u32 {
            rows.push_str(&format!(r#"<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>"#));
            if rows.len() > 1 << 20 {
                out.write_all(rows.as_bytes()).unwrap();
                rows.clear();
            }
        }
        out.write_all(rows.as_bytes()).unwrap();
        out.write_all(tail.as_bytes()).unwrap();
    })
}

/// The unit-list template with a gigabyte of spaces inside its sheet, zipped to about a megabyte.
fn zipped_whitespace() -> Vec<u8> {
    rewrite_sheet(|head, tail, out| {
        out.write_all(head.as_bytes()).unwrap();
        let spaces = vec![b' '; 1024 * 1024];
        for _ in 0..1024 {
            out.write_all(&spaces).unwrap();
        }
        out.write_all(tail.as_bytes()).unwrap();
    })
}

/// What the uploads go to: a listing of `developer`, a round taking survey returns, a round with
/// an open tender, a fund account.
struct Targets {
    listing: i64,
    survey_round: i64,
    tender_round: i64,
    account: &'static str,
}

async fn targets(t: &TestApp) -> Targets {
    let round = t.open_round().await;
    let (s, v) = t
        .post(
            "developer",
            &format!("/api/rounds/{round}/listings"),
            listing_facts("迎驾花园"),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let listing = v["id"].as_i64().unwrap();
    let (s, v) = t
        .post(
            "housing_bureau",
            "/api/rounds",
            json!({ "pack": "huoshan", "name": "摸底" }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let survey_round = v["id"].as_i64().unwrap();
    let tender_round = t
        .tender_round("1000000", "2099-12-01T00:00:00Z", "2099-12-02T00:00:00Z")
        .await;
    let account = "Assets:Fund:R1:SpecialBond:Acquisition";
    let (s, v) = t
        .post(
            "acquirer",
            "/api/ledger/accounts",
            json!({ "name": account, "kind": "fund", "project": "R1", "source": "special_bond", "label": "专项债" }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    Targets {
        listing,
        survey_round,
        tender_round,
        account,
    }
}

/// Sends `bytes` to every endpoint that takes a workbook; each answer's endpoint, status, body
/// and time.
async fn upload_everywhere(
    t: &TestApp,
    srv: &Server,
    to: &Targets,
    bytes: &[u8],
) -> Vec<(String, StatusCode, String, Duration)> {
    let b = srv.base.as_str();
    let bearer = |who: &str| format!("Bearer {}", t.token(who));
    let doc = multipart(
        &[("kind", "unit_list")],
        ("file", "楼盘表.xlsx", bytes),
        &[],
    );
    let (cookie, csrf) = sign_in(&t.client, b, t.token("housing_bureau")).await;
    let schedule = multipart(
        &[
            ("csrf", &csrf),
            ("policy", "huoshan"),
            ("base_per_m2", "4000"),
        ],
        ("units", "房源.xlsx", bytes),
        &[("factors", "")],
    );
    let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    let requests: Vec<(&str, String, Vec<(&str, String)>, Vec<u8>)> = vec![
        (
            "unit list, supervisor, no such listing",
            "/api/listings/999999/documents".into(),
            vec![
                ("authorization", bearer("supervisor")),
                ("content-type", doc.0.clone()),
            ],
            doc.1.clone(),
        ),
        (
            "unit list, the developer's own listing",
            format!("/api/listings/{}/documents", to.listing),
            vec![
                ("authorization", bearer("developer")),
                ("content-type", doc.0.clone()),
            ],
            doc.1.clone(),
        ),
        (
            "bid workbook",
            format!("/api/rounds/{}/bids.xlsx", to.tender_round),
            vec![("authorization", bearer("developer"))],
            bytes.to_vec(),
        ),
        (
            "survey returns",
            format!("/api/rounds/{}/survey-returns.xlsx", to.survey_round),
            vec![("authorization", bearer("housing_bureau"))],
            bytes.to_vec(),
        ),
        (
            "bank statement",
            format!("/api/ledger/statements?account={}", to.account),
            vec![("authorization", bearer("acquirer"))],
            bytes.to_vec(),
        ),
        (
            "price schedule page",
            "/price/schedule".into(),
            vec![
                ("cookie", cookie.clone()),
                ("content-type", schedule.0.clone()),
            ],
            schedule.1.clone(),
        ),
        (
            "/api/price/units.xlsx",
            "/api/price/units.xlsx".into(),
            vec![
                ("authorization", bearer("housing_bureau")),
                ("content-type", xlsx.into()),
            ],
            bytes.to_vec(),
        ),
    ];
    let mut out = Vec::new();
    for (what, path, headers, body) in requests {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let start = Instant::now();
        let (status, answer) = raw_request(b, "POST", &path, &headers, body).await;
        out.push((what.to_string(), status, answer, start.elapsed()));
    }
    out
}

on_both!(
    hostile_workbooks_are_refused_quickly_on_every_upload_path_with_bounded_memory,
    |t: TestApp| async move {
        let to = targets(&t).await;
        let srv = Server::start(&t, &[], None);
        let files = [
            (
                "one cell at XFD1048576",
                template_with_cell(1_048_575, 16_383),
            ),
            ("one cell at ZZ300000", template_with_cell(299_999, 701)),
            ("a gigabyte of zipped whitespace", zipped_whitespace()),
            ("a 1,000,000-row sheet", million_rows()),
        ];
        for (name, bytes) in &files {
            for (endpoint, status, body, took) in upload_everywhere(&t, &srv, &to, bytes).await {
                // Refused before reading for a caller who may not upload there; refused by the
                // reader, naming the problem, for one who may; not JSON where JSON is expected.
                let expected = match endpoint.as_str() {
                    "unit list, supervisor, no such listing" => (404, "not_found"),
                    "/api/price/units.xlsx" => (422, "invalid_input"),
                    _ => (422, "invalid_workbook"),
                };
                assert_eq!(status.as_u16(), expected.0, "{name} to {endpoint}: {body}");
                assert!(body.contains(expected.1), "{name} to {endpoint}: {body}");
                assert!(
                    took < Duration::from_secs(1),
                    "{name} to {endpoint} took {took:?}"
                );
            }
        }
        let (s, v) = t
            .get("developer", &format!("/api/listings/{}", to.listing))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert!(
            v["documents"]
                .as_array()
                .unwrap()
                .iter()
                .all(|d| d["documents"] == json!([])),
            "nothing was stored: {v}"
        );
        let peak = srv.peak_rss_bytes();
        assert!(
            peak < PEAK_RSS_BOUND_BYTES,
            "the server peaked at {} MiB",
            peak / 1024 / 1024
        );
        let health = t
            .client
            .get(format!("{}/api/health", srv.base))
            .send()
            .await
            .unwrap();
        assert_eq!(health.status(), StatusCode::OK, "the server still answers");
        let _: Value = health.json().await.unwrap();
    }
);
