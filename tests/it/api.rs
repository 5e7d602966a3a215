//! The API's promises: optimistic versions, idempotent replays, one winner under concurrency,
//! problem+json for every bad input, the OpenAPI document and the pages.

use crate::harness::*;
use crate::on_both;
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both!(
    a_stale_version_gets_409_and_changes_nothing,
    |t: TestApp| async move {
        let round = t.open_round().await;
        let id = t.listing_in_review(round).await;
        let v = t.version("housing_bureau", id).await;
        let (s, p) = t
            .post(
                "housing_bureau",
                &format!("/api/instances/{id}/actions/pass_review"),
                json!({ "expected_version": v - 1, "payload": findings() }),
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT);
        assert_eq!(p["code"], "stale_version");
        assert_eq!(t.version("housing_bureau", id).await, v);
    }
);

on_both!(
    an_idempotent_replay_returns_the_first_answer_and_writes_nothing,
    |t: TestApp| async move {
        let round = t.open_round().await;
        let id = t.listing_in_review(round).await;
        let v = t.version("housing_bureau", id).await;
        let body = json!({ "expected_version": v, "payload": findings() });
        let path = format!("/api/instances/{id}/actions/pass_review");
        let (s1, a) = t
            .post_idem("housing_bureau", &path, "k-1", body.clone())
            .await;
        assert_eq!(s1, StatusCode::OK, "{a}");
        let n = t.history(id).await.len();
        let (s2, b) = t
            .post_idem("housing_bureau", &path, "k-1", body.clone())
            .await;
        assert_eq!(s2, StatusCode::OK);
        assert_eq!(a, b);
        assert_eq!(t.history(id).await.len(), n);
        // The same key with another request is refused.
        let (s3, c) = t
            .post_idem(
                "housing_bureau",
                &path,
                "k-1",
                json!({ "expected_version": v + 1 }),
            )
            .await;
        assert_eq!(s3, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(c["code"], "idempotency_key_reused");
        // Creation too: a replayed round creation creates one round.
        let (s, r1) = t
            .post_idem(
                "housing_bureau",
                "/api/rounds",
                "new-round",
                json!({ "pack": "huoshan", "name": "x" }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
        let (s, r2) = t
            .post_idem(
                "housing_bureau",
                "/api/rounds",
                "new-round",
                json!({ "pack": "huoshan", "name": "x" }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
        assert_eq!(r1["id"], r2["id"]);
        let (_, all) = t.get("housing_bureau", "/api/rounds").await;
        assert_eq!(all.as_array().unwrap().len(), 2);
    }
);

on_both!(
    two_concurrent_actions_on_one_listing_exactly_one_wins,
    |t: TestApp| async move {
        let round = t.open_round().await;
        let id = t.listing_in_review(round).await;
        let v = t.version("housing_bureau", id).await;
        let path = format!("/api/instances/{id}/actions/pass_review");
        let reject = format!("/api/instances/{id}/actions/reject");
        let (a, b) = tokio::join!(
            t.post(
                "housing_bureau",
                &path,
                json!({ "expected_version": v, "payload": findings() })
            ),
            t.post(
                "housing_bureau",
                &reject,
                json!({ "expected_version": v, "comment": "不符合条件" })
            ),
        );
        let mut statuses = [a.0, b.0];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::CONFLICT],
            "{a:?} {b:?}"
        );
        let h = t.history(id).await;
        assert_eq!(h.iter().filter(|e| e["version"] == v + 1).count(), 1);
    }
);

on_both!(
    bad_input_gets_problem_json_never_a_500,
    |t: TestApp| async move {
        let round = t.open_round().await;
        let cases: Vec<(&str, String, Value)> = vec![
            (
                "housing_bureau",
                "/api/rounds".into(),
                json!({ "pack": "beijing", "name": "x" }),
            ),
            (
                "housing_bureau",
                "/api/rounds".into(),
                json!({ "pack": "huoshan", "name": "" }),
            ),
            (
                "housing_bureau",
                "/api/rounds".into(),
                json!({ "pack": "huoshan", "name": "x", "extra": 1 }),
            ),
            (
                "housing_bureau",
                "/api/rounds".into(),
                json!("not an object"),
            ),
            (
                "housing_bureau",
                format!("/api/rounds/{round}/survey-returns"),
                json!({ "returns": [{ "respondent": "x", "respondent_kind": "township", "household_type": "", "band": "nope", "units": 3, "location": "" }] }),
            ),
            (
                "housing_bureau",
                format!("/api/rounds/{round}/survey-returns"),
                json!({ "returns": [{ "respondent": "x", "respondent_kind": "township", "household_type": "", "band": "60_90", "units": -3, "location": "" }] }),
            ),
            (
                "housing_bureau",
                "/api/instances/abc/actions/x".into(),
                json!({ "expected_version": 1 }),
            ),
            (
                "housing_bureau",
                "/api/instances/999999/actions/x".into(),
                json!({ "expected_version": 1 }),
            ),
            (
                "housing_bureau",
                format!("/api/instances/{round}/actions/no_such_action"),
                json!({ "expected_version": 1 }),
            ),
            (
                "housing_bureau",
                format!("/api/instances/{round}/actions/close_solicitation"),
                json!({ "expected_version": "one" }),
            ),
            (
                "developer",
                format!("/api/rounds/{round}/listings"),
                json!({ "project_name": "x", "address": "y", "construction_state": "ruined", "offer_scope": "scattered", "decoration": "毛坯" }),
            ),
        ];
        for (who, path, body) in cases {
            let (s, v) = t.post(who, &path, body.clone()).await;
            assert!(s.is_client_error(), "{path} {body}: {s} {v}");
            assert!(v["code"].is_string() && v["detail"].is_string(), "{v}");
        }
        // Malformed JSON bytes.
        let r = t
            .client
            .post(format!("{}/api/rounds", t.base))
            .bearer_auth(t.token("housing_bureau"))
            .header("content-type", "application/json")
            .body("{ nope")
            .send()
            .await
            .unwrap();
        assert!(r.status().is_client_error());
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let (s, _) = t.get("housing_bureau", "/api/nowhere").await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (_, r) = t
            .get("housing_bureau", &format!("/api/rounds/{round}"))
            .await;
        assert_eq!(
            r["survey_returns"].as_array().unwrap().len(),
            2,
            "refused returns saved nothing"
        );
    }
);

on_both!(
    openapi_document_and_swagger_ui_are_served,
    |t: TestApp| async move {
        let r = t
            .client
            .get(format!("{}/api/openapi.json", t.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let doc: Value = r.json().await.unwrap();
        assert!(doc["paths"]["/api/instances/{id}/actions/{action}"]["post"].is_object());
        assert!(doc["components"]["schemas"]["Problem"].is_object());
        let r = t
            .client
            .get(format!("{}/api/docs/", t.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
);

on_both!(
    pages_sign_in_inbox_and_listing_work_without_javascript,
    |t: TestApp| async move {
        let round = t.open_round().await;
        let id = t.listing_in_review(round).await;
        let (cookie, csrf) = sign_in(&t.client, &t.base, t.token("housing_bureau")).await;
        let page = t
            .client
            .get(format!("{}/inbox", t.base))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("待办事项") && page.contains("审查通过，予以公示"),
            "{page}"
        );
        let page = t
            .client
            .get(format!("{}/listings/{id}", t.base))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("自动审查报告")
                && page.contains("HS-A4.2")
                && page.contains("办理时间线"),
            "{page}"
        );
        // A form post takes the action and redirects back.
        let v = t.version("housing_bureau", id).await.to_string();
        let r = t
            .client
            .post(format!("{}/instances/{id}/act/pass_review", t.base))
            .header("cookie", &cookie)
            .form(&[
                ("expected_version", v.as_str()),
                ("no_luxury", "true"),
                ("csrf", &csrf),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, i) = t
            .get("housing_bureau", &format!("/api/instances/{id}"))
            .await;
        assert_eq!(i["state"], "publicity");
        // Without a cookie, a page sends you to sign in.
        let r = t
            .client
            .get(format!("{}/inbox", t.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
);

/// A listing in review, a store of our own on the test database, a write transaction on it,
/// and the listing's instance row read in that transaction.
async fn a_listing_in_review_under_a_write_transaction(
    t: &TestApp,
) -> (
    anju::store::Store,
    anju::store::Tx,
    i64,
    anju::store::instances::InstanceRow,
) {
    let round = t.open_round().await;
    let id = t.listing_in_review(round).await;
    let store = anju::store::Store::connect(&t.url).await.unwrap();
    let mut tx = store.begin().await.unwrap();
    let (inst, _, _) = anju::store::instances::get_with_org(&mut tx, id)
        .await
        .unwrap()
        .unwrap();
    (store, tx, id, inst)
}

/// A housing-bureau rejection of a listing in review, as the store receives it.
fn rejection<'a>(
    id: i64,
    version: i64,
    payload: &'a Value,
    def_hash: &'a str,
) -> anju::store::instances::NewHistory<'a> {
    anju::store::instances::NewHistory {
        instance_id: id,
        version,
        at: chrono::Utc::now(),
        actor_id: 1,
        actor_name: "测试",
        role: "housing_bureau",
        action: "reject",
        from_state: Some("in_review"),
        to_state: "rejected",
        comment: None,
        payload,
        def_hash,
    }
}

on_both!(
    the_store_moves_nothing_and_writes_no_history_on_a_stale_version,
    |t: TestApp| async move {
        // The last line of defence under the engine's own check: the one statement (SQLite) or
        // CTE (PostgreSQL) that moves an instance appends its history entry only if it moved.
        use anju::store::instances;
        let (store, mut tx, id, inst) = a_listing_in_review_under_a_write_transaction(&t).await;
        let before = instances::history(&mut tx, id).await.unwrap().len();
        let payload = json!({});
        let h = |version: i64| rejection(id, version, &payload, &inst.def_hash);
        let stale = instances::advance_with_history(
            &mut tx,
            inst.version - 1,
            chrono::Utc::now(),
            None,
            &h(inst.version),
        )
        .await
        .unwrap();
        assert_eq!(stale, None);
        assert_eq!(instances::history(&mut tx, id).await.unwrap().len(), before);
        let moved = instances::advance_with_history(
            &mut tx,
            inst.version,
            chrono::Utc::now(),
            None,
            &h(inst.version + 1),
        )
        .await
        .unwrap();
        assert!(moved.is_some());
        let after = instances::history(&mut tx, id).await.unwrap();
        assert_eq!(after.len(), before + 1);
        assert_eq!(after.last().unwrap().to_state, "rejected");
        drop(tx);
        store.close().await;
    }
);

on_both!(
    a_read_proceeds_while_a_command_holds_the_writer_and_sees_only_what_committed,
    |t: TestApp| async move {
        // SQLite's write transactions share one connection; pages and reports must not queue
        // behind a long command (an import, a batch of postings) for it.
        use anju::store::instances;
        use std::time::Duration;
        let (store, mut tx, id, inst) = a_listing_in_review_under_a_write_transaction(&t).await;
        let payload = json!({});
        let h = rejection(id, inst.version + 1, &payload, &inst.def_hash);
        instances::advance_with_history(&mut tx, inst.version, chrono::Utc::now(), None, &h)
            .await
            .unwrap()
            .unwrap();
        let read_state = || async {
            let mut r = store.read().await.unwrap();
            instances::get(&mut r, id).await.unwrap().unwrap().state
        };
        let during = tokio::time::timeout(Duration::from_secs(5), read_state())
            .await
            .expect("a read must not wait for the writer");
        assert_eq!(during, "in_review", "the uncommitted move is not visible");
        tx.commit().await.unwrap();
        assert_eq!(read_state().await, "rejected");
        store.close().await;
    }
);
