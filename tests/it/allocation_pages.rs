//! The household half through the pages (issue 13): each role's step as a page, the printable
//! publicity list and one-time notice, the waiting list and register exports, the sale
//! announcement with prices in capitals, the read log and the public lookup — Chinese, masked
//! where the reader has no need, never a 5xx.

use crate::allocation::{family, id_no, yq_apply, yq_figure, yq_qualified, yq_sale};
use crate::harness::*;
use crate::on_both;
use reqwest::StatusCode;
use serde_json::Value;

/// A form post as a person (signed in, with the session's form token), following the redirect
/// to the page it leads to.
async fn submit(
    t: &TestApp,
    who: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String) {
    let (cookie, csrf) = sign_in(&t.client, &t.base, t.token(who)).await;
    let mut fields = fields.to_vec();
    fields.push(("csrf", &csrf));
    let r = t
        .client
        .post(format!("{}{path}", t.base))
        .header("cookie", &cookie)
        .form(&fields)
        .send()
        .await
        .unwrap();
    if r.status() == StatusCode::SEE_OTHER {
        let to = r.headers()["location"].to_str().unwrap().to_string();
        let r = t
            .client
            .get(format!("{}{to}", t.base))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        return (r.status(), r.text().await.unwrap());
    }
    (r.status(), r.text().await.unwrap())
}

fn ok_page(s: StatusCode, body: &str, path: &str) {
    assert_eq!(s, StatusCode::OK, "{path}: {body}");
    assert!(body.contains("<html lang=\"zh-CN\">"), "{path}: not a page");
}

on_both!(
    issue_13_every_household_page_renders_masked_and_in_chinese,
    |t: TestApp| async move {
        yq_figure(&t).await;
        let q = yq_qualified(&t, family(51, "30000", "0")).await;
        let full_id = id_no("19900515", 51, true);
        // One application in publicity.
        let p = yq_apply(&t, family(52, "30000", "0")).await;
        t.ok(
            "accepting_unit",
            p,
            "submit_first_review",
            None,
            Value::Null,
        )
        .await;
        t.ok("accepting_unit", p, "pass_first_review", None, Value::Null)
            .await;
        // The verifier's inbox names its task before the finding is recorded.
        let (s, body) = t.page("verifier", "/inbox").await;
        ok_page(s, &body, "/inbox");
        assert!(body.contains("市公安部门核验"), "{body}");
        let (s, body) = submit(
            &t,
            "verifier",
            &format!("/applications/{p}/findings"),
            &[
                ("department", "public_security"),
                ("passed", "true"),
                ("note", "户籍核验无误"),
                ("document_ref", "公安查询单-17"),
            ],
        )
        .await;
        ok_page(s, &body, "finding form");
        assert!(body.contains("公安查询单-17"));
        for (who, dept) in [
            ("natural_resources", "natural_resources"),
            ("verifier_civil_affairs", "civil_affairs"),
            ("verifier_human_resources", "human_resources"),
            ("verifier_provident_fund", "provident_fund"),
        ] {
            let (s, v) = t
                .post(who, &format!("/api/applications/{p}/findings"), serde_json::json!({ "department": dept, "passed": true, "note": "核验无误", "document_ref": "x-1" }))
                .await;
            assert_eq!(s, StatusCode::OK, "{v}");
        }
        t.ok("housing_bureau", p, "publish", None, Value::Null)
            .await;

        let (s, body) = t
            .page("accepting_unit", "/applications?pack=yangquan")
            .await;
        ok_page(s, &body, "/applications");
        assert!(
            body.contains("张*明") && !body.contains(&full_id),
            "masked list"
        );
        let (s, body) = t.page("housing_bureau", "/packs/yangquan/publicity").await;
        ok_page(s, &body, "publicity");
        assert!(
            body.contains("公示名单") && body.contains("1403**********"),
            "{body}"
        );
        let r = t
            .client
            .get(format!("{}/packs/yangquan/publicity.xlsx", t.base))
            .header("cookie", t.cookie("housing_bureau").await)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let bytes = r.bytes().await.unwrap();
        assert!(bytes.starts_with(b"PK"), "an xlsx");
        let r = t
            .client
            .get(format!(
                "{}/packs/yangquan/waiting-list.xlsx?tier=1",
                t.base
            ))
            .header("cookie", t.cookie("supervisor").await)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);

        // The application page: masked, then a full read with its purpose, logged.
        let (s, body) = t
            .page("housing_bureau", &format!("/applications/{q}"))
            .await;
        ok_page(s, &body, "application");
        assert!(
            body.contains("资格审查") && body.contains("YQ-10.1.3") && !body.contains(&full_id)
        );
        let (s, body) = t
            .page(
                "housing_bureau",
                &format!("/applications/{q}?purpose=%E6%A0%B8%E5%AF%B9"),
            )
            .await;
        ok_page(s, &body, "application full");
        assert!(body.contains(&full_id) && body.contains("已留痕"));
        let (s, body) = t.page("supervisor", "/pii-reads").await;
        ok_page(s, &body, "/pii-reads");
        assert!(body.contains("核对"));
        let (s, body) = t
            .page("accepting_unit", &format!("/applications/{q}/notice"))
            .await;
        ok_page(s, &body, "notice");
        assert!(body.contains("一次性告知书"));

        // A new application through the page form.
        let (s, body) = t
            .page("accepting_unit", "/applications/new?pack=yangquan")
            .await;
        ok_page(s, &body, "new");
        let applicant = id_no("19910101", 53, true);
        let spouse = id_no("19920202", 53, false);
        let (s, body) = submit(
            &t,
            "accepting_unit",
            "/applications",
            &[
                ("pack", "yangquan"),
                ("group", "tier_a"),
                ("county", "城区"),
                ("owned_area_m2", "0"),
                ("tenure", "租住"),
                ("m0_name", "刘晓东"),
                ("m0_id_number", &applicant),
                ("m0_relation", "applicant"),
                ("m0_marital", "married"),
                ("m0_hukou_local", "true"),
                ("m0_permanent_resident", "true"),
                ("m0_wage_earner", "true"),
                ("m0_annual_income", "30000"),
                ("m0_social_security_months", "24"),
                ("m0_insured_now", "true"),
                ("m1_name", "陈红"),
                ("m1_id_number", &spouse),
                ("m1_relation", "spouse"),
                ("m1_marital", "married"),
                ("m1_hukou_local", "true"),
                ("m1_annual_income", "20000"),
                ("mat_application_form", "true"),
                ("mat_identity", "true"),
            ],
        )
        .await;
        ok_page(s, &body, "created");
        assert!(body.contains("刘*东") && body.contains("YQ2026-"), "{body}");
        // A bad ID number on the form: a Chinese error page, nothing stored.
        let (s, body) = submit(
            &t,
            "accepting_unit",
            "/applications",
            &[
                ("pack", "yangquan"),
                ("group", "tier_a"),
                ("county", "城区"),
                ("m0_name", "王五"),
                ("m0_id_number", "140302199001010011"),
                ("m0_relation", "applicant"),
                ("m0_marital", "single"),
                ("m0_annual_income", "1"),
            ],
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

        // The sale: page, announcement with capitals, register.
        let sale = yq_sale(&t).await;
        for who in ["acquirer", "accepting_unit", "notary", "supervisor"] {
            let (s, body) = t.page(who, &format!("/sales/{sale}")).await;
            ok_page(s, &body, "sale");
            assert!(body.contains("配售方案"), "{who}");
        }
        let (s, body) = submit(
            &t,
            "accepting_unit",
            &format!("/sales/{sale}/entrants"),
            &[("application_id", &q.to_string())],
        )
        .await;
        ok_page(s, &body, "register entrant");
        assert!(body.contains("张*明"));
        let (s, body) = t
            .page("supervisor", &format!("/sales/{sale}/announcement"))
            .await;
        ok_page(s, &body, "announcement");
        // 4,100.00 × 89.50 = 366,950.00.
        assert!(
            body.contains("366,950.00") && body.contains("叁拾陆万陆仟玖佰伍拾元整"),
            "{body}"
        );
        let (s, body) = t.page("acquirer", "/sales").await;
        ok_page(s, &body, "/sales");
        let (s, body) = t.page("acquirer", "/units?pack=yangquan").await;
        ok_page(s, &body, "/units");
        assert!(
            body.contains("3号楼-1单元-201") && body.contains("89.50"),
            "{body}"
        );
        let r = t
            .client
            .get(format!("{}/units.xlsx", t.base))
            .header("cookie", t.cookie("finance_bureau").await)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);

        // The public lookup: no sign-in, the standing and nothing else.
        let (_, v) = t
            .get("housing_bureau", &format!("/api/applications/{q}"))
            .await;
        let no = v["application_no"].as_str().unwrap().to_string();
        let r = reqwest::Client::new()
            .get(format!("{}/status?no={no}&id_number={full_id}", t.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let body = r.text().await.unwrap();
        assert!(
            body.contains("已取得配售资格") && !body.contains("张"),
            "{body}"
        );
        let r = reqwest::Client::new()
            .get(format!(
                "{}/status?no={no}&id_number={}",
                t.base,
                id_no("19800101", 9, true)
            ))
            .send()
            .await
            .unwrap();
        assert!(r.text().await.unwrap().contains("未查到"));
        // A developer reads no household page.
        let (s, _) = t.page("developer", &format!("/applications/{q}")).await;
        assert!(s.is_client_error());
    }
);
