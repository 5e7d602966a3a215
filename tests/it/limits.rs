//! Issue 15 (engine and API): every free text and every body has a limit, and a refusal says
//! which field is wrong and how.

use crate::harness::*;
use crate::on_both;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Sends only the head of a request announcing a body of `length` bytes, and reads the answer:
/// a limit must answer before the body comes.
async fn announce(t: &TestApp, who: &str, path: &str, content_type: &str, length: usize) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut c = tokio::net::TcpStream::connect(t.base.trim_start_matches("http://"))
        .await
        .unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: anju\r\nAuthorization: Bearer {}\r\nContent-Type: {content_type}\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n",
        t.token(who)
    );
    c.write_all(head.as_bytes()).await.unwrap();
    let mut answer = String::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        c.read_to_string(&mut answer),
    )
    .await;
    assert!(read.is_ok(), "no answer before the body: {answer}");
    answer
}

on_both!(
    issue_15_a_body_over_its_routes_limit_is_413_and_changes_nothing,
    |t: TestApp| async move {
        let round = t.open_round().await;
        let before = t.history(round).await.len();
        let version = t.version("housing_bureau", round).await;
        let act = format!("/api/instances/{round}/actions/close_solicitation");
        // A 5 MB comment would be a permanent history row: refused before it is read.
        let answer = announce(&t, "housing_bureau", &act, "application/json", 5_000_000).await;
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        assert!(answer.contains("payload_too_large"), "{answer}");
        // Within the body limit, a comment still has its own: 2,000 characters.
        let (s, v) = t
            .post(
                "housing_bureau",
                &act,
                json!({ "expected_version": version, "comment": "评".repeat(2_001) }),
            )
            .await;
        assert_eq!(
            (s, v["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("comment")),
            "{v}"
        );
        assert_eq!(t.history(round).await.len(), before, "nothing was written");
        // Uploads keep their own, larger limit; beyond it the answer is problem+json too.
        let listing = t.listing_in_review(round).await;
        let (s, v) = t
            .upload(
                "developer",
                listing,
                "photos",
                "photos.bin",
                vec![7u8; 2 * 1024 * 1024],
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let answer = announce(
            &t,
            "acquirer",
            "/api/ledger/statements?account=x",
            "text/csv",
            26 * 1024 * 1024,
        )
        .await;
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        assert!(
            answer
                .to_lowercase()
                .contains("content-type: application/problem+json"),
            "{answer}"
        );
        assert!(answer.contains("payload_too_large"), "{answer}");
    }
);

on_both!(
    issue_15_a_json_type_error_names_the_field_and_the_type,
    |t: TestApp| async move {
        let round = t.open_round().await;
        let (s, v) = t
            .post(
                "developer",
                &format!("/api/rounds/{round}/listings"),
                json!({ "project_name": "迎驾花园", "address": "霍山县", "construction_state": 7,
                        "topped_out": true, "offer_scope": "whole_building", "decoration": "毛坯" }),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["field"], "construction_state", "{v}");
        let detail = v["detail"].as_str().unwrap();
        assert!(detail.contains("invalid type: integer `7`"), "{detail}");
        // Bad syntax is reported as such, with no field.
        let r = t
            .client
            .post(format!("{}/api/rounds/{round}/listings", t.base))
            .bearer_auth(t.token("developer"))
            .header("content-type", "application/json")
            .body("{\"project_name\": ")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let v: Value = r.json().await.unwrap();
        assert!(
            v["field"].is_null() && v["detail"].as_str().unwrap().contains("not valid JSON"),
            "{v}"
        );
    }
);
