//! Workflow definitions: versioned by content, an instance keeps running on the version it
//! started with after the file changes.

use crate::harness::*;
use crate::on_both;

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &p);
        } else {
            std::fs::copy(e.path(), p).unwrap();
        }
    }
}

on_both!(
    an_instance_keeps_running_on_the_definition_it_started_with,
    |t: TestApp| async move {
        let round = t.open_round().await;
        let old = t.listing_in_review(round).await;
        let (_, v) = t
            .get("housing_bureau", &format!("/api/instances/{old}"))
            .await;
        let old_version = v["definition_version"].as_str().unwrap().to_string();

        // The county lengthens publicity to 10 working days; the server restarts on the new files.
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&manifest().join("workflows"), dir.path());
        let policy = dir.path().join("huoshan/policy.toml");
        let text = std::fs::read_to_string(&policy)
            .unwrap()
            .replace("publicity_working_days = 5", "publicity_working_days = 10");
        std::fs::write(&policy, text).unwrap();
        let t2 = TestApp::spawn_on_existing(t.backend, &t.url, dir.path(), &t).await;

        let (_, v) = t2
            .get("housing_bureau", &format!("/api/instances/{old}"))
            .await;
        assert_eq!(v["definition_version"], old_version.as_str());
        let v = t2
            .ok("housing_bureau", old, "pass_review", None, findings())
            .await;
        assert_eq!(
            v["deadline"]["due"], "2026-09-29",
            "old instance: 5 working days"
        );
        let new = t2.listing_in_review(round).await;
        let (_, nv) = t2
            .get("housing_bureau", &format!("/api/instances/{new}"))
            .await;
        assert_ne!(nv["definition_version"], old_version.as_str());
        let v = t2
            .ok("housing_bureau", new, "pass_review", None, findings())
            .await;
        // 10 working days from Mon 2026-09-21, skipping 中秋 (09-25) and 国庆 (10-01…10-07):
        // 22 23 24 28 29 30 | 10-08 10-09 10-10(调休 Sat) 10-12 → 2026-10-12.
        assert_eq!(v["deadline"]["due"], "2026-10-12");
    }
);
