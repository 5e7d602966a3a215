//! Roles are enforced on the server: every role × every action of the listing workflow.

use crate::harness::*;
use crate::on_both;
use anju::domain::role::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both!(
    every_role_is_refused_every_listing_action_it_does_not_hold,
    |t: TestApp| async move {
        let round = t.open_round().await;
        let id = t.listing_in_review(round).await;
        let def = t.app.registry.get("huoshan/listing").unwrap().clone();
        let version = t.version("housing_bureau", id).await;
        let mut checked = 0;
        for action in &def.actions {
            for role in Role::ALL {
                if action.roles.contains(&role) {
                    continue;
                }
                let who = role.key();
                let (s, v) = t
                    .post(
                        who,
                        &format!("/api/instances/{id}/actions/{}", action.name),
                        json!({ "expected_version": version, "comment": "x", "payload": {} }),
                    )
                    .await;
                assert_eq!(s, StatusCode::FORBIDDEN, "{who} on {}: {v}", action.name);
                assert_eq!(v["code"], "role_not_allowed");
                checked += 1;
            }
        }
        // 20 actions × 9 roles, minus the role grants in the file.
        let grants: usize = def.actions.iter().map(|a| a.roles.len()).sum();
        assert_eq!(checked, def.actions.len() * Role::ALL.len() - grants);
        assert_eq!(
            t.version("housing_bureau", id).await,
            version,
            "no refusal wrote anything"
        );
    }
);

on_both!(
    a_developer_cannot_see_or_touch_another_companys_listing,
    |t: TestApp| async move {
        let round = t.open_round().await;
        let id = t.listing_in_review(round).await;
        for path in [
            format!("/api/listings/{id}"),
            format!("/api/instances/{id}"),
            format!("/api/instances/{id}/history"),
            format!("/api/listings/{id}/units"),
        ] {
            let (s, v) = t.get("developer_b", &path).await;
            assert_eq!(s, StatusCode::NOT_FOUND, "{path}: {v}");
        }
        let (s, _) = t
            .upload("developer_b", id, "photos", "p.jpg", b"x".to_vec())
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (_, l) = t.get("developer_b", "/api/listings").await;
        assert_eq!(l, json!([]));
        let (_, r) = t.get("developer_b", &format!("/api/rounds/{round}")).await;
        assert_eq!(r["listings"], json!([]));
        assert_eq!(r["survey_returns"], json!([]));
        // The supervisor reads everything and changes nothing.
        let (s, _) = t.get("supervisor", &format!("/api/listings/{id}")).await;
        assert_eq!(s, StatusCode::OK);
        let (s, _) = t
            .post(
                "supervisor",
                "/api/rounds",
                json!({ "pack": "huoshan", "name": "x" }),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
);

on_both!(
    requests_without_a_valid_token_are_refused,
    |t: TestApp| async move {
        let r = t
            .client
            .get(format!("{}/api/listings", t.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let r = t
            .client
            .get(format!("{}/api/listings", t.base))
            .bearer_auth("anju_forged")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let _ = Value::Null;
    }
);
