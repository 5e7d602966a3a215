//! Sign-in and user administration (issue 19): tokens that expire and end, page sessions apart
//! from API tokens, sign-out that ends the session, CSRF (form tokens, the Origin check, no
//! cookie on `/api`, local redirects only), throttled and recorded failures, a first start that
//! prints no secret, and user administration as an append-only record with new accounts of a
//! bidding company flagged.

use crate::harness::*;
use crate::on_both;
use anju::domain::role::Role;
use anju::store::users::User;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn me(t: &TestApp, token: &str) -> StatusCode {
    t.client
        .get(format!("{}/api/me", t.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}

async fn new_user(t: &TestApp, name: &str, role: &str, org: Option<&str>) -> (i64, String) {
    let (s, v) = t
        .post(
            "admin",
            "/api/users",
            json!({ "name": name, "role": role, "org": org }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    (
        v["user"]["id"].as_i64().unwrap(),
        v["token"].as_str().unwrap().to_string(),
    )
}

on_both!(
    tokens_expire_and_end_by_revocation_rotation_and_disabling_each_recorded,
    |t: TestApp| async move {
        let (id, token) = new_user(&t, "赵科员", "housing_bureau", None).await;
        assert_eq!(me(&t, &token).await, StatusCode::OK);
        // A token works for 180 days.
        t.set_today(date("2027-03-21"));
        assert_eq!(me(&t, &token).await, StatusCode::UNAUTHORIZED);
        t.set_today(date("2026-09-21"));
        assert_eq!(me(&t, &token).await, StatusCode::OK);
        // Rotation: the old token ends, the new one works; only the administrator rotates.
        let (s, _) = t
            .post(
                "housing_bureau",
                &format!("/api/users/{id}/rotate"),
                json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, v) = t
            .post("admin", &format!("/api/users/{id}/rotate"), json!({}))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let rotated = v["token"].as_str().unwrap().to_string();
        assert_eq!(me(&t, &token).await, StatusCode::UNAUTHORIZED);
        assert_eq!(me(&t, &rotated).await, StatusCode::OK);
        // Revocation ends it now.
        let (s, v) = t
            .post("admin", &format!("/api/users/{id}/revoke"), json!({}))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(me(&t, &rotated).await, StatusCode::UNAUTHORIZED);
        // Disabled, no token is given; enabled, the next rotation signs it in again.
        let (s, _) = t
            .post("admin", &format!("/api/users/{id}/disable"), json!({}))
            .await;
        assert_eq!(s, StatusCode::OK);
        let (s, v) = t
            .post("admin", &format!("/api/users/{id}/rotate"), json!({}))
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        let (s, _) = t
            .post("admin", &format!("/api/users/{id}/enable"), json!({}))
            .await;
        assert_eq!(s, StatusCode::OK);
        let (_, v) = t
            .post("admin", &format!("/api/users/{id}/rotate"), json!({}))
            .await;
        assert_eq!(me(&t, v["token"].as_str().unwrap()).await, StatusCode::OK);
        // Every act is on the record, with who did it; the supervisors read it too.
        let (s, events) = t.get("supervisor", "/api/users/events").await;
        assert_eq!(s, StatusCode::OK, "{events}");
        let mine: Vec<(String, String)> = events
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["user_id"] == id)
            .map(|e| {
                (
                    e["action"].as_str().unwrap().to_string(),
                    e["actor_name"].as_str().unwrap_or("cli").to_string(),
                )
            })
            .rev()
            .collect();
        let acts: Vec<&str> = mine.iter().map(|(a, _)| a.as_str()).collect();
        assert_eq!(
            acts,
            [
                "created",
                "token_rotated",
                "tokens_revoked",
                "disabled",
                "enabled",
                "token_rotated"
            ]
        );
        assert!(mine.iter().all(|(_, by)| by == "admin"), "{mine:?}");
        let (s, _) = t.get("developer", "/api/users/events").await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (_, users) = t.get("admin", "/api/users").await;
        let row = users
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["id"] == id)
            .unwrap()
            .clone();
        assert_eq!(row["created_by"], "admin");
        assert_eq!(row["working_tokens"], 1);
        // The record cannot be edited, even by hand.
        for sql in [
            "UPDATE users SET role = 'admin'",
            "DELETE FROM user_events",
            "DELETE FROM credential_ends",
            "UPDATE credentials SET expires_at = created_at",
            "DELETE FROM sign_in_failures",
        ] {
            assert!(t.raw_sql_is_refused(sql).await, "{sql} was allowed");
        }
    }
);

on_both!(
    a_page_session_is_not_an_api_token_and_signing_out_ends_it,
    |t: TestApp| async move {
        let r = t.client.get(format!("{}/", t.base)).send().await.unwrap();
        let signin = set_cookie(&r, "anju_signin").unwrap();
        let raw: Vec<String> = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect();
        assert!(
            raw[0].contains("HttpOnly") && raw[0].contains("Secure"),
            "{raw:?}"
        );
        let csrf = anju::http::auth::csrf_of(&signin);
        let r = t
            .client
            .post(format!("{}/login", t.base))
            .header("cookie", format!("anju_signin={signin}"))
            .form(&[("token", t.token("housing_bureau")), ("csrf", &csrf)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let set: Vec<String> = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect();
        let session_header = set.iter().find(|c| c.starts_with("anju_session=")).unwrap();
        for attr in ["HttpOnly", "Secure", "SameSite=Strict", "Max-Age=28800"] {
            assert!(session_header.contains(attr), "{session_header}");
        }
        let session = set_cookie(&r, "anju_session").unwrap();
        assert!(
            !session.contains(t.token("housing_bureau")),
            "the cookie is its own secret, not the API token"
        );
        let cookie = format!("anju_session={session}");
        let page = |cookie: String| {
            let req = t
                .client
                .get(format!("{}/inbox", t.base))
                .header("cookie", cookie);
            async move { req.send().await.unwrap().status() }
        };
        assert_eq!(page(cookie.clone()).await, StatusCode::OK);
        // The API takes no cookie, and a session secret is no bearer token.
        let r = t
            .client
            .get(format!("{}/api/me", t.base))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(me(&t, &session).await, StatusCode::UNAUTHORIZED);
        // Nor is an API token a session.
        assert_eq!(
            page(format!("anju_session={}", t.token("housing_bureau"))).await,
            StatusCode::SEE_OTHER
        );
        // Signing out ends the session on the server: the old cookie no longer works.
        let r = t
            .client
            .post(format!("{}/logout", t.base))
            .header("cookie", &cookie)
            .form(&[("csrf", anju::http::auth::csrf_of(&session))])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(page(cookie).await, StatusCode::SEE_OTHER);
        // A session lasts eight hours.
        let (cookie, _) = sign_in(&t.client, &t.base, t.token("housing_bureau")).await;
        assert_eq!(page(cookie.clone()).await, StatusCode::OK);
        t.clock
            .set(anju::app::Clock::now(&*t.clock) + chrono::Duration::hours(8));
        assert_eq!(page(cookie).await, StatusCode::SEE_OTHER);
        // The API token itself still works: it is a separate credential.
        assert_eq!(me(&t, t.token("housing_bureau")).await, StatusCode::OK);
    }
);

on_both!(
    cross_site_posts_forged_forms_and_foreign_redirects_change_nothing,
    |t: TestApp| async move {
        let round = t.open_round().await;
        let id = t.listing_in_review(round).await;
        let version = t.version("housing_bureau", id).await.to_string();
        let (cookie, csrf) = sign_in(&t.client, &t.base, t.token("housing_bureau")).await;
        let post = |fields: Vec<(&'static str, String)>, origin: Option<&'static str>| {
            let mut req = t
                .client
                .post(format!("{}/instances/{id}/act/pass_review", t.base))
                .header("cookie", &cookie)
                .form(&fields);
            if let Some(o) = origin {
                req = req.header("origin", o);
            }
            async move {
                let r = req.send().await.unwrap();
                (r.status(), r.text().await.unwrap())
            }
        };
        let good = |back: &str| {
            vec![
                ("expected_version", version.clone()),
                ("csrf", csrf.clone()),
                ("back", back.to_string()),
                // HS-A4.2: the reviewer's finding that the units are no luxury housing.
                ("no_luxury", "true".to_string()),
            ]
        };
        // Another site's post, with the form token even: refused by the Origin check.
        let (s, _) = post(good("/inbox"), Some("https://evil.example")).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // A browser that sends no Origin (IE mode): the form token is what it cannot forge.
        let (s, _) = post(vec![("expected_version", version.clone())], None).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = post(
            vec![
                ("expected_version", version.clone()),
                ("csrf", "0".repeat(64)),
            ],
            None,
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // A redirect off the site, or one a header cannot carry, is refused before the act.
        for back in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "/listings/1\u{1}",
        ] {
            let (s, body) = post(good(back), None).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{back:?}: {body}");
        }
        assert_eq!(
            t.version("housing_bureau", id).await.to_string(),
            version,
            "nothing was decided"
        );
        let r = t
            .client
            .post(format!("{}/instances/{id}/act/pass_review", t.base))
            .header("cookie", &cookie)
            .header("origin", &t.base)
            .form(&good(&format!("/listings/{id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(r.headers()["location"], format!("/listings/{id}"));
        // The API ignores the page cookie, whatever the content type: a statement posted
        // cross-site with the cookie alone imports nothing.
        let r = t
            .client
            .post(format!(
                "{}/api/ledger/statements?account=Assets:Fund:R1:SpecialBond:Acquisition",
                t.base
            ))
            .header("cookie", &cookie)
            .header("content-type", "text/plain")
            .body("交易日期,金额,参考号,摘要\n2026-11-02,1.00,x,y\n")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        // Signing in needs the sign-in page's own cookie and token (no login CSRF).
        let r = t
            .client
            .post(format!("{}/login", t.base))
            .form(&[("token", t.token("developer"))])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert!(set_cookie(&r, "anju_session").is_none());
    }
);

on_both!(
    failed_sign_ins_are_recorded_and_throttled,
    |t: TestApp| async move {
        let wrong = "anju_0000000000000000000000000000000000000000000000000000000000000000";
        for _ in 0..anju::http::auth::MAX_FAILURES {
            assert_eq!(me(&t, wrong).await, StatusCode::UNAUTHORIZED);
        }
        // Past the limit, this address is answered 429, a right token included, for a minute.
        let r = t
            .client
            .get(format!("{}/api/me", t.base))
            .bearer_auth(t.token("housing_bureau"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let supervisor = User {
            id: 0,
            name: "audit".into(),
            role: Role::Supervisor,
            org: None,
        };
        let failures = anju::app::users::sign_in_failures(&t.app, &supervisor)
            .await
            .unwrap();
        assert_eq!(failures.len(), anju::http::auth::MAX_FAILURES as usize);
        assert!(failures.iter().all(|f| f.reason == "unknown"
            && f.via == "api"
            && f.peer.as_deref() == Some("127.0.0.1")));
        let text = serde_json::to_string(&failures).unwrap();
        assert!(!text.contains(wrong), "the presented token is not kept");
    }
);

on_both!(
    a_new_account_of_a_company_bidding_in_an_open_tender_is_flagged,
    |t: TestApp| async move {
        let (round, opening_key) = t
            .tender_round_keyed("1000000", "2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z")
            .await;
        let (s, v) = t
            .post(
                "developer",
                &format!("/api/rounds/{round}/bids"),
                json!({ "units": ["90"], "price_per_m2": "3900", "whole_building": true, "clear_title": true, "has_delivery_date": true,
                        "transit_m": 400, "school_m": 400, "hospital_m": 400, "shops_m": 400, "amenities": 10 }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        // A company with no bid: nothing to flag.
        new_user(&t, "丙公司-刘", "developer", Some("丙公司")).await;
        let (s, flags) = t.get("housing_bureau", "/api/users/flags").await;
        assert_eq!(s, StatusCode::OK, "{flags}");
        assert_eq!(flags, json!([]));
        // 甲公司 has bid and the opening is ahead: its new account is flagged, naming the round.
        new_user(&t, "甲公司-新", "developer", Some("甲公司")).await;
        for who in ["housing_bureau", "supervisor"] {
            let (s, flags) = t.get(who, "/api/users/flags").await;
            assert_eq!(s, StatusCode::OK, "{flags}");
            let f = flags.as_array().unwrap();
            assert_eq!(f.len(), 1, "{flags}");
            assert_eq!(f[0]["user_name"], "甲公司-新");
            assert_eq!(f[0]["actor_name"], "admin");
            assert!(
                f[0]["flag"].as_str().unwrap().contains(&round.to_string()),
                "{flags}"
            );
        }
        for who in ["developer", "admin", "acquirer"] {
            let (s, _) = t.get(who, "/api/users/flags").await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{who}");
        }
        let (_, inbox) = t.page("housing_bureau", "/inbox").await;
        assert!(
            inbox.contains("账户提示") && inbox.contains("甲公司-新"),
            "{inbox}"
        );
        // After the opening, a new account is no longer flagged.
        t.set_today(date("2026-12-03"));
        let (s, v) = t
            .post(
                "acquirer",
                &format!("/api/rounds/{round}/bids/open"),
                json!({ "opening_key": opening_key }),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        new_user(&t, "甲公司-又", "developer", Some("甲公司")).await;
        let (_, flags) = t.get("supervisor", "/api/users/flags").await;
        assert_eq!(flags.as_array().unwrap().len(), 1, "{flags}");
    }
);

on_both!(
    the_administrator_manages_accounts_on_pages_and_no_one_else_does,
    |t: TestApp| async move {
        let (s, page) = t.page("admin", "/admin/users").await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            page.contains("用户管理") && page.contains("developer_b"),
            "{page}"
        );
        let (s, page) = t
            .form(
                "admin",
                "/admin/users",
                &[("name", "孙科员"), ("role", "finance_bureau"), ("org", "")],
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{page}");
        let token = page
            .split("<code>")
            .nth(1)
            .and_then(|x| x.split("</code>").next())
            .unwrap()
            .to_string();
        assert_eq!(me(&t, &token).await, StatusCode::OK);
        let (_, users) = t.get("admin", "/api/users").await;
        let id = users
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["name"] == "孙科员")
            .unwrap()["id"]
            .as_i64()
            .unwrap();
        let (s, _) = t
            .form("admin", &format!("/admin/users/{id}/revoke"), &[])
            .await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        assert_eq!(me(&t, &token).await, StatusCode::UNAUTHORIZED);
        let (s, _) = t.page("supervisor", "/admin/users").await;
        assert_eq!(s, StatusCode::OK, "supervisors read the record");
        for who in ["housing_bureau", "developer"] {
            let (s, _) = t.page(who, "/admin/users").await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{who}");
        }
        let (s, _) = t
            .form("supervisor", &format!("/admin/users/{id}/rotate"), &[])
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_start_leaves_the_administrators_token_in_a_private_file_not_in_the_output() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("first.db").display());
    let file = dir.path().join("admin-token");
    let path = file.display().to_string();
    let srv = Server::start_on(&db, &["--admin-token-file", &path], None, "debug");
    let token = std::fs::read_to_string(&file).unwrap().trim().to_string();
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "only its owner reads the file");
    let r = reqwest::Client::new()
        .get(format!("{}/api/me", srv.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let who: Value = r.json().await.unwrap();
    assert_eq!(who["role"], "admin");
    let out = srv.output.lock().unwrap().join("\n");
    assert!(out.contains(&path), "{out}");
    assert!(!out.contains(&token), "the token was printed: {out}");
}

on_both!(
    every_answer_forbids_framing_sniffing_and_foreign_scripts,
    |t: TestApp| async move {
        let round = t.open_round().await;
        let requests = [
            t.client.get(format!("{}/", t.base)),
            t.client.get(format!("{}/api/health", t.base)),
            t.client.get(format!("{}/no-such-page", t.base)),
            t.client
                .post(format!(
                    "{}/instances/{round}/act/close_solicitation",
                    t.base
                ))
                .header("origin", "https://evil.example"),
        ];
        for req in requests {
            let r = req.send().await.unwrap();
            let h = r.headers();
            let csp = h["content-security-policy"].to_str().unwrap();
            assert!(
                csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"),
                "{csp}"
            );
            assert_eq!(h["x-frame-options"], "DENY");
            assert_eq!(h["x-content-type-options"], "nosniff");
        }
    }
);

on_both!(
    an_uploaded_html_document_downloads_as_an_attachment_no_browser_runs,
    |t: TestApp| async move {
        let round = t.open_round().await;
        let (s, v) = t
            .post(
                "developer",
                &format!("/api/rounds/{round}/listings"),
                listing_facts("x"),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let id = v["id"].as_i64().unwrap();
        let html = b"<html><script>fetch('/api/me')</script></html>".to_vec();
        let form = reqwest::multipart::Form::new()
            .text("kind", "application")
            .part(
                "file",
                reqwest::multipart::Part::bytes(html.clone())
                    .file_name("申请书.html")
                    .mime_str("text/html")
                    .unwrap(),
            );
        let r = t
            .client
            .post(format!("{}/api/listings/{id}/documents", t.base))
            .bearer_auth(t.token("developer"))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let doc: Value = r.json().await.unwrap();
        let doc = doc["document"]["id"].as_i64().unwrap();
        let (cookie, _) = sign_in(&t.client, &t.base, t.token("housing_bureau")).await;
        for req in [
            t.client
                .get(format!("{}/api/listings/{id}/documents/{doc}", t.base))
                .bearer_auth(t.token("housing_bureau")),
            t.client
                .get(format!("{}/listings/{id}/documents/{doc}", t.base))
                .header("cookie", &cookie),
        ] {
            let r = req.send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK);
            let h = r.headers();
            assert_eq!(h["content-type"], "application/octet-stream");
            assert!(
                h["content-disposition"]
                    .to_str()
                    .unwrap()
                    .starts_with("attachment;")
            );
            assert_eq!(h["x-content-type-options"], "nosniff");
            assert_eq!(
                r.bytes().await.unwrap().to_vec(),
                html,
                "the file itself, unchanged"
            );
        }
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_access_log_says_who_read_what_and_the_audit_log_who_failed_to_sign_in() {
    let t = TestApp::spawn(Backend::Sqlite).await;
    let srv = Server::start(&t, &[], None);
    let c = reqwest::Client::new();
    let (_, me) = t.get("supervisor", "/api/me").await;
    let r = c
        .get(format!("{}/api/instances/1/history?secret=1", srv.base))
        .bearer_auth(t.token("supervisor"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = c
        .get(format!("{}/api/me", srv.base))
        .bearer_auth("anju_wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // The log is written as the answers go; give the drain a moment (a bound, not a claim).
    let mut log = String::new();
    for _ in 0..100 {
        log = srv.output.lock().unwrap().join("\n");
        if log.contains("sign-in failed") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let read = log
        .lines()
        .find(|l| l.contains("anju::access") && l.contains("/api/instances/1/history"))
        .unwrap_or_else(|| panic!("{log}"));
    assert!(read.contains(&format!("user=Some({})", me["id"])), "{read}");
    assert!(
        read.contains("status=404") && read.contains("127.0.0.1"),
        "{read}"
    );
    assert!(!read.contains("secret=1"), "no query in the log: {read}");
    let failed = log
        .lines()
        .find(|l| l.contains("anju::audit") && l.contains("sign-in failed"))
        .unwrap_or_else(|| panic!("{log}"));
    assert!(
        failed.contains("reason=\"unknown\"") || failed.contains("reason=unknown"),
        "{failed}"
    );
    assert!(!log.contains("anju_wrong"), "no token in the log");
}
