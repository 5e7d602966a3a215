//! Unit lists (楼盘表) over HTTP: every bad workbook is refused with row and column, and nothing
//! is saved unless the whole file is clean.

use crate::harness::*;
use crate::on_both;
use anju::excel::unit_list::UNIT_LIST_HEADERS;
use reqwest::StatusCode;
use serde_json::json;

fn book(rows: &[Vec<&str>]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            match v.parse::<f64>() {
                Ok(n) => ws.write(r as u32, c as u16, n).map(|_| ()).unwrap(),
                Err(_) if !v.is_empty() => ws.write(r as u32, c as u16, *v).map(|_| ()).unwrap(),
                Err(_) => {}
            }
        }
    }
    wb.save_to_buffer().unwrap()
}

const GOOD: [&str; 10] = [
    "1号楼", "1单元", "5", "501", "三室", "89.37", "70", "南", "否", "否",
];

fn with(col: usize, value: &'static str) -> Vec<&'static str> {
    let mut r = GOOD.to_vec();
    r[col] = value;
    r
}

on_both!(
    bad_unit_list_workbooks_are_refused_with_row_and_column_and_save_nothing,
    |t: TestApp| async move {
        let round = t.open_round().await;
        let (_, v) = t
        .post("developer", &format!("/api/rounds/{round}/listings"), json!({ "project_name": "x", "address": "y", "construction_state": "completed", "offer_scope": "whole_building", "decoration": "毛坯" }))
        .await;
        let id = v["id"].as_i64().unwrap();
        let h = UNIT_LIST_HEADERS.to_vec();
        let mut wrong_header = h.clone();
        wrong_header[5] = "面积";
        let mut dup = vec![h.clone(), GOOD.to_vec()];
        dup.push(GOOD.to_vec());
        let cases: Vec<(&str, Vec<u8>, &str, Option<u32>, Option<&str>)> = vec![
            (
                "not xlsx",
                b"PK\x03\x04 this is not a workbook".to_vec(),
                "not_xlsx",
                None,
                None,
            ),
            (
                "csv",
                b"building,room\n1,101\n".to_vec(),
                "not_xlsx",
                None,
                None,
            ),
            ("empty sheet", book(&[h.clone()]), "empty_sheet", None, None),
            (
                "wrong header",
                book(&[wrong_header, GOOD.to_vec()]),
                "wrong_header",
                Some(1),
                Some("F"),
            ),
            (
                "text in number",
                book(&[h.clone(), with(5, "八十九")]),
                "not_a_number",
                Some(2),
                Some("F"),
            ),
            (
                "zero area",
                book(&[h.clone(), with(5, "0")]),
                "area_not_positive",
                Some(2),
                Some("F"),
            ),
            (
                "negative area",
                book(&[h.clone(), with(6, "-5")]),
                "area_not_positive",
                Some(2),
                Some("G"),
            ),
            (
                "duplicate room",
                book(&dup),
                "duplicate_room",
                Some(3),
                Some("D"),
            ),
        ];
        for (what, bytes, code, row, col) in cases {
            let (s, v) = t
                .upload("developer", id, "unit_list", "楼盘表.xlsx", bytes)
                .await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {v}");
            assert_eq!(v["code"], "invalid_workbook", "{what}");
            let e = &v["errors"][0];
            assert_eq!(e["code"], code, "{what}: {v}");
            assert_eq!(e["row"].as_u64().map(|r| r as u32), row, "{what}");
            assert_eq!(e["column"].as_str(), col, "{what}");
        }
        let (_, l) = t.get("developer", &format!("/api/listings/{id}")).await;
        assert_eq!(l["unit_count"], 0);
        assert!(
            l["documents"]
                .as_array()
                .unwrap()
                .iter()
                .all(|d| d["documents"].as_array().unwrap().is_empty()),
            "no document was stored"
        );
        assert_eq!(t.history(id).await.len(), 1, "only the creation");
        // A clean file goes in whole; the template downloads.
        let (s, v) = t
            .upload(
                "developer",
                id,
                "unit_list",
                "楼盘表.xlsx",
                book(&[h, GOOD.to_vec(), with(3, "502")]),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["units"], 2);
        let (_, u) = t
            .get("developer", &format!("/api/listings/{id}/units"))
            .await;
        assert_eq!(u[0]["gross_area_m2"], "89.37");
        let r = t
            .client
            .get(format!("{}/api/templates/unit-list.xlsx", t.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let bytes = r.bytes().await.unwrap();
        let e = anju::excel::unit_list::parse_unit_list(&bytes).unwrap_err();
        assert_eq!(
            e[0].code, "empty_sheet",
            "the template has the right headers and no rows"
        );
    }
);

on_both!(
    hs_a7_1_survey_returns_upload_as_xlsx_all_or_nothing,
    |t: TestApp| async move {
        let (_, v) = t
            .post(
                "housing_bureau",
                "/api/rounds",
                json!({ "pack": "huoshan", "name": "x" }),
            )
            .await;
        let round = v["id"].as_i64().unwrap();
        let post = |bytes: Vec<u8>| {
            let req = t
                .client
                .post(format!("{}/api/rounds/{round}/survey-returns.xlsx", t.base))
                .bearer_auth(t.token("housing_bureau"))
                .body(bytes);
            async move {
                let r = req.send().await.unwrap();
                (r.status(), r.json::<serde_json::Value>().await.unwrap())
            }
        };
        let h = anju::excel::survey::SURVEY_HEADERS.to_vec();
        let (s, v) = post(book(&[
            h.clone(),
            vec!["衡山镇", "乡镇", "新市民", "60–90㎡", "12", "城区"],
            vec!["县教育局", "县直单位", "教师", "90_120", "两套", "城区"],
        ]))
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["errors"][0]["row"], 3);
        assert_eq!(v["errors"][0]["column"], "E");
        let (_, r) = t
            .get("housing_bureau", &format!("/api/rounds/{round}"))
            .await;
        assert_eq!(r["survey_returns"], json!([]));
        let (s, v) = post(book(&[
            h,
            vec!["衡山镇", "乡镇", "新市民", "60–90㎡", "12", "城区"],
            vec!["县教育局", "县直单位", "教师", "90_120", "8", "城区"],
        ]))
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let (_, r) = t
            .get("housing_bureau", &format!("/api/rounds/{round}"))
            .await;
        let d: Vec<u64> = r["demand"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["demand"].as_u64().unwrap())
            .collect();
        assert_eq!(d, vec![0, 12, 8, 0]);
    }
);
