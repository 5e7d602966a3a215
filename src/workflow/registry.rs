//! Loads every policy pack and workflow file under `workflows/` and checks them together. This
//! is the only place in `workflow/` that reads files; a bad file stops start-up with the file,
//! the line and the reason.

use super::def::{DefError, WorkflowDef};
use super::pack::Pack;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

/// The workflows in force now, by key (`huoshan/listing`), and the packs.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    pub defs: BTreeMap<String, Arc<WorkflowDef>>,
    pub packs: BTreeMap<String, Pack>,
}

/// Files in a pack folder that are not workflow definitions.
const NOT_WORKFLOWS: [&str; 3] = ["policy.toml", "pricing.toml", "allocation.toml"];

impl Registry {
    pub fn load(dir: &Path) -> Result<Registry, Vec<DefError>> {
        let io = |p: &Path, e: std::io::Error| {
            vec![DefError {
                file: p.display().to_string(),
                line: None,
                message: e.to_string(),
            }]
        };
        let mut folders: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| io(dir, e))?
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .collect();
        folders.sort();
        let mut packs = BTreeMap::new();
        let mut errors = Vec::new();
        for folder in folders.iter().filter(|p| p.join("policy.toml").is_file()) {
            let file = folder.join("policy.toml");
            let text = std::fs::read_to_string(&file).map_err(|e| io(&file, e))?;
            let name = folder
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string();
            let pricing_file = folder.join("pricing.toml");
            let pricing = match std::fs::read_to_string(&pricing_file) {
                Ok(t) => Pack::parse_pricing(&pricing_file.display().to_string(), &t),
                Err(e) => Err(DefError {
                    file: pricing_file.display().to_string(),
                    line: None,
                    message: format!("every pack needs its pricing parameters: {e}"),
                }),
            };
            let allocation_file = folder.join("allocation.toml");
            let allocation = match std::fs::read_to_string(&allocation_file) {
                Ok(t) => Pack::parse_allocation(&allocation_file.display().to_string(), &t),
                Err(e) => Err(DefError {
                    file: allocation_file.display().to_string(),
                    line: None,
                    message: format!(
                        "every pack says whether and how it sells to households (allocation.toml): {e}"
                    ),
                }),
            };
            match (
                Pack::parse(&file.display().to_string(), &name, &text),
                pricing,
                allocation,
            ) {
                (Ok(mut p), Ok(pricing), Ok(allocation)) => {
                    p.pricing = Some(pricing);
                    p.allocation = Some(allocation);
                    packs.insert(name, p);
                }
                (p, pricing, allocation) => {
                    errors.extend(p.err());
                    errors.extend(pricing.err());
                    errors.extend(allocation.err());
                }
            }
        }
        if packs.is_empty() && errors.is_empty() {
            errors.push(DefError {
                file: dir.display().to_string(),
                line: None,
                message: "no policy pack (folder with policy.toml) found".into(),
            });
        }
        let mut defs = BTreeMap::new();
        for pack in packs.values() {
            let flow_dir = dir.join(&pack.flow);
            let mut files: Vec<_> = match std::fs::read_dir(&flow_dir) {
                Ok(rd) => rd.filter_map(|e| e.ok()).map(|e| e.path()).collect(),
                Err(e) => {
                    errors.push(DefError {
                        file: pack.file.clone(),
                        line: None,
                        message: format!("flow folder {:?}: {e}", pack.flow),
                    });
                    continue;
                }
            };
            files.sort();
            let mut used = BTreeSet::new();
            let errors_before = errors.len();
            for f in files {
                let fname = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                if !fname.ends_with(".toml") || NOT_WORKFLOWS.contains(&fname) {
                    continue;
                }
                let text = std::fs::read_to_string(&f).map_err(|e| io(&f, e))?;
                match WorkflowDef::parse(&f.display().to_string(), &text, pack) {
                    Ok(d) => {
                        used.extend(d.used_params.iter().cloned());
                        defs.insert(d.key.clone(), Arc::new(d));
                    }
                    Err(e) => errors.extend(e),
                }
            }
            // Unused parameters are only meaningful when every workflow of the flow was read.
            let flow_ok = errors.len() == errors_before;
            for p in pack.params.keys().filter(|p| {
                flow_ok && !used.contains(*p) && !super::pack::PACK_PARAMS.contains(&p.as_str())
            }) {
                errors.push(DefError {
                    file: pack.file.clone(),
                    line: None,
                    message: format!(
                        "unknown parameter {p:?}: no guard or deadline of flow {:?} reads it",
                        pack.flow
                    ),
                });
            }
        }
        if errors.is_empty() {
            Ok(Registry { defs, packs })
        } else {
            Err(errors)
        }
    }

    pub fn get(&self, key: &str) -> Option<&Arc<WorkflowDef>> {
        self.defs.get(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::role::Role;

    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                copy(&e.path(), &to.join(e.file_name()));
            } else {
                std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
            }
        }
    }

    fn shipped() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("workflows")
    }

    #[test]
    fn shipped_packs_load_each_with_its_own_flow() {
        let r = Registry::load(&shipped()).unwrap();
        for k in ["huoshan", "yangquan", "nanchang", "xingyi"] {
            assert_eq!(r.packs[k].flow, k, "{k} runs its own workflow files");
            assert!(r.get(&format!("{k}/listing")).is_some(), "{k}");
            assert!(r.get(&format!("{k}/round")).is_some(), "{k}");
        }
        // Yangquan's tender is run by the acquiring company (YQ-7.4); Huoshan's by the bureau.
        let yq = r.get("yangquan/round").unwrap();
        assert!(yq.action("publish_tender").unwrap().roles == vec![Role::Acquirer]);
        assert!(
            r.get("huoshan/round")
                .unwrap()
                .action("publish_tender")
                .is_none()
        );
    }

    /// Every guard refusal of every shipped workflow, with the rule DOMAIN.md gives for it:
    /// (workflow, action, guard, rule). Where a pack uses Huoshan's procedure by its own choice
    /// (the documents list, the listing publicity) the refusal cites Huoshan's rule.
    const CITATIONS: &[(&str, &str, &str, &str)] = &[
        (
            "huoshan/listing",
            "submit_for_review",
            "documents_complete",
            "HS-A8",
        ),
        ("huoshan/listing", "withdraw", "comment_required", "HS-A9"),
        (
            "huoshan/listing",
            "return_to_developer",
            "comment_required",
            "HS-A8",
        ),
        (
            "huoshan/listing",
            "resolve_objections",
            "comment_required",
            "HS-A7.3",
        ),
        ("huoshan/listing", "pass_review", "review_passed", "HS-A4"),
        (
            "huoshan/listing",
            "pass_review",
            "title_signed_off",
            "HS-A7.3",
        ),
        (
            "huoshan/listing",
            "pass_review",
            "no_open_objection",
            "HS-A7.3",
        ),
        ("huoshan/listing", "reject", "comment_required", "HS-A4"),
        (
            "huoshan/listing",
            "record_objection",
            "comment_required",
            "HS-A7.3",
        ),
        (
            "huoshan/listing",
            "enter_pool",
            "deadline_elapsed",
            "HS-A7.3",
        ),
        (
            "huoshan/listing",
            "enter_pool",
            "no_open_objection",
            "HS-A7.3",
        ),
        (
            "huoshan/listing",
            "start_negotiation",
            "valuation_recorded",
            "HS-A7.4",
        ),
        (
            "huoshan/listing",
            "submit_result",
            "price_within_ceiling",
            "HS-A7.5",
        ),
        ("huoshan/listing", "submit_result", "within_demand", "HS-A2"),
        (
            "huoshan/listing",
            "approve",
            "price_within_ceiling",
            "HS-P6",
        ),
        ("huoshan/listing", "approve", "within_demand", "HS-A2"),
        (
            "huoshan/listing",
            "return_to_negotiation",
            "comment_required",
            "HS-A7.6",
        ),
        ("huoshan/listing", "decline", "comment_required", "HS-A7.6"),
        ("huoshan/listing", "sign", "document_present", "HS-A7.6"),
        ("huoshan/listing", "file", "document_present", "HS-A7.6"),
        (
            "huoshan/listing",
            "request_withdrawal",
            "comment_required",
            "HS-A9",
        ),
        (
            "huoshan/listing",
            "cancel_withdrawal",
            "withdrawal_pending",
            "HS-A9",
        ),
        (
            "huoshan/listing",
            "consent_withdrawal",
            "withdrawal_notice_elapsed",
            "HS-A9",
        ),
        (
            "huoshan/listing",
            "consent_withdrawal",
            "document_present",
            "HS-A9",
        ),
        (
            "huoshan/round",
            "open_solicitation",
            "survey_has_returns",
            "HS-A7.1",
        ),
        (
            "huoshan/round",
            "approve_plan",
            "plan_within_demand",
            "HS-A2",
        ),
        ("huoshan/round", "approve_plan", "plan_recorded", "HS-A7.4"),
        ("huoshan/round", "cancel", "comment_required", "HS-A2"),
        (
            "yangquan/listing",
            "submit_for_qualification",
            "documents_complete",
            "HS-A8",
        ),
        ("yangquan/listing", "withdraw", "comment_required", "YQ-7.4"),
        (
            "yangquan/listing",
            "return_to_developer",
            "comment_required",
            "YQ-7.2",
        ),
        ("yangquan/listing", "shortlist", "review_passed", "YQ-7.2"),
        (
            "yangquan/listing",
            "shortlist",
            "title_signed_off",
            "YQ-7.2",
        ),
        (
            "yangquan/listing",
            "not_shortlist",
            "comment_required",
            "YQ-7.4",
        ),
        (
            "yangquan/listing",
            "start_inquiry",
            "valuation_recorded",
            "YQ-7.3",
        ),
        ("yangquan/listing", "pick", "in_recorded_plan", "YQ-7.4"),
        ("yangquan/listing", "pick", "price_within_ceiling", "YQ-7.3"),
        ("yangquan/listing", "pick", "within_demand", "YQ-7"),
        ("yangquan/listing", "not_pick", "comment_required", "YQ-7.4"),
        ("yangquan/listing", "sign", "document_present", "YQ-7"),
        (
            "yangquan/listing",
            "register_title",
            "document_present",
            "YQ-4",
        ),
        (
            "yangquan/round",
            "publish_tender",
            "survey_has_returns",
            "YQ-7",
        ),
        (
            "yangquan/round",
            "decide_plan",
            "plan_within_demand",
            "YQ-7",
        ),
        ("yangquan/round", "decide_plan", "plan_recorded", "YQ-7.4"),
        ("yangquan/round", "cancel", "comment_required", "YQ-7.4"),
        (
            "nanchang/listing",
            "submit_for_review",
            "documents_complete",
            "HS-A8",
        ),
        ("nanchang/listing", "withdraw", "comment_required", "NC-17"),
        (
            "nanchang/listing",
            "return_to_developer",
            "comment_required",
            "NC-6",
        ),
        (
            "nanchang/listing",
            "resolve_objections",
            "comment_required",
            "HS-A7.3",
        ),
        ("nanchang/listing", "pass_review", "review_passed", "NC-16"),
        (
            "nanchang/listing",
            "pass_review",
            "title_signed_off",
            "NC-6",
        ),
        (
            "nanchang/listing",
            "pass_review",
            "no_open_objection",
            "HS-A7.3",
        ),
        ("nanchang/listing", "reject", "comment_required", "NC-16"),
        (
            "nanchang/listing",
            "record_objection",
            "comment_required",
            "HS-A7.3",
        ),
        (
            "nanchang/listing",
            "end_publicity",
            "deadline_elapsed",
            "HS-A7.3",
        ),
        (
            "nanchang/listing",
            "end_publicity",
            "no_open_objection",
            "HS-A7.3",
        ),
        (
            "nanchang/listing",
            "start_negotiation",
            "valuation_recorded",
            "NC-20",
        ),
        (
            "nanchang/listing",
            "submit_result",
            "price_within_ceiling",
            "NC-20",
        ),
        ("nanchang/listing", "submit_result", "within_demand", "NC-4"),
        (
            "nanchang/listing",
            "return_to_negotiation",
            "comment_required",
            "NC-6",
        ),
        (
            "nanchang/listing",
            "approve",
            "price_within_ceiling",
            "NC-20",
        ),
        ("nanchang/listing", "approve", "within_demand", "NC-4"),
        ("nanchang/listing", "decline", "comment_required", "NC-6"),
        ("nanchang/listing", "sign", "document_present", "NC-17"),
        (
            "nanchang/round",
            "open_solicitation",
            "survey_has_returns",
            "NC-4",
        ),
        (
            "nanchang/round",
            "approve_plan",
            "plan_within_demand",
            "NC-4",
        ),
        ("nanchang/round", "approve_plan", "plan_recorded", "NC-6"),
        ("nanchang/round", "cancel", "comment_required", "NC-6"),
        (
            "xingyi/listing",
            "submit_for_review",
            "documents_complete",
            "HS-A8",
        ),
        ("xingyi/listing", "withdraw", "comment_required", "XY-4"),
        (
            "xingyi/listing",
            "return_to_developer",
            "comment_required",
            "XY-4",
        ),
        ("xingyi/listing", "pass_review", "review_passed", "XY-11"),
        ("xingyi/listing", "reject", "comment_required", "XY-4"),
        ("xingyi/listing", "sign", "document_present", "XY-4"),
        ("xingyi/round", "cancel", "comment_required", "XY-4"),
        (
            "nanchang/application",
            "start_review",
            "materials_complete",
            "NC-26",
        ),
        ("nanchang/application", "start_review", "eligible", "NC-23"),
        (
            "nanchang/application",
            "refuse",
            "comment_required",
            "NC-27",
        ),
        (
            "nanchang/application",
            "publish",
            "verifications_complete",
            "NC-27",
        ),
        ("nanchang/application", "publish", "eligible", "NC-23"),
        (
            "nanchang/application",
            "record_objection",
            "comment_required",
            "NC-29",
        ),
        (
            "nanchang/application",
            "resolve_objections",
            "comment_required",
            "NC-29",
        ),
        (
            "nanchang/application",
            "qualify",
            "deadline_elapsed",
            "NC-27",
        ),
        (
            "nanchang/application",
            "qualify",
            "no_open_objection",
            "NC-27",
        ),
        ("nanchang/application", "qualify", "eligible", "NC-23"),
        (
            "nanchang/application",
            "request_rereview",
            "comment_required",
            "NC-28",
        ),
        (
            "nanchang/application",
            "request_rereview",
            "rereview_allowed",
            "NC-28",
        ),
        (
            "nanchang/application",
            "report_change",
            "comment_required",
            "NC-29",
        ),
        ("nanchang/application", "close", "comment_required", "NC-43"),
        (
            "nanchang/sale",
            "submit_plan",
            "sale_plan_recorded",
            "NC-33",
        ),
        ("nanchang/sale", "return_plan", "comment_required", "NC-33"),
        ("nanchang/sale", "start_selection", "lottery_drawn", "NC-33"),
        (
            "nanchang/sale",
            "reopen_registration",
            "comment_required",
            "NC-22",
        ),
        ("nanchang/sale", "cancel", "comment_required", "NC-33"),
        (
            "xingyi/application",
            "materials_completed",
            "materials_complete",
            "XY-18",
        ),
        (
            "xingyi/application",
            "abandon_incomplete",
            "deadline_elapsed",
            "XY-18",
        ),
        (
            "xingyi/application",
            "start_review",
            "materials_complete",
            "XY-18",
        ),
        ("xingyi/application", "start_review", "eligible", "XY-16"),
        ("xingyi/application", "refuse", "comment_required", "XY-20"),
        (
            "xingyi/application",
            "publish",
            "verifications_complete",
            "XY-19",
        ),
        ("xingyi/application", "publish", "eligible", "XY-16"),
        (
            "xingyi/application",
            "record_objection",
            "comment_required",
            "XY-19",
        ),
        (
            "xingyi/application",
            "resolve_objections",
            "comment_required",
            "XY-19",
        ),
        ("xingyi/application", "qualify", "deadline_elapsed", "XY-19"),
        (
            "xingyi/application",
            "qualify",
            "no_open_objection",
            "XY-19",
        ),
        ("xingyi/application", "qualify", "eligible", "XY-16"),
        (
            "xingyi/application",
            "request_rereview",
            "comment_required",
            "XY-20",
        ),
        (
            "xingyi/application",
            "request_rereview",
            "rereview_allowed",
            "XY-20",
        ),
        (
            "xingyi/application",
            "report_change",
            "comment_required",
            "XY-19",
        ),
        ("xingyi/application", "close", "comment_required", "XY-37"),
        ("xingyi/sale", "submit_plan", "sale_plan_recorded", "XY-13"),
        ("xingyi/sale", "return_plan", "comment_required", "XY-13"),
        ("xingyi/sale", "start_selection", "lottery_drawn", "XY-25.3"),
        (
            "xingyi/sale",
            "reopen_registration",
            "comment_required",
            "XY-25.3",
        ),
        ("xingyi/sale", "cancel", "comment_required", "XY-25"),
        (
            "yangquan/application",
            "submit_first_review",
            "materials_complete",
            "YQ-13",
        ),
        (
            "yangquan/application",
            "pass_first_review",
            "eligible",
            "YQ-10",
        ),
        (
            "yangquan/application",
            "refuse",
            "comment_required",
            "YQ-14",
        ),
        (
            "yangquan/application",
            "publish",
            "verifications_complete",
            "YQ-14",
        ),
        ("yangquan/application", "publish", "eligible", "YQ-10"),
        (
            "yangquan/application",
            "record_objection",
            "comment_required",
            "YQ-14",
        ),
        (
            "yangquan/application",
            "resolve_objections",
            "comment_required",
            "YQ-14",
        ),
        (
            "yangquan/application",
            "qualify",
            "deadline_elapsed",
            "YQ-14",
        ),
        (
            "yangquan/application",
            "qualify",
            "no_open_objection",
            "YQ-14",
        ),
        ("yangquan/application", "qualify", "eligible", "YQ-10"),
        (
            "yangquan/application",
            "request_rereview",
            "comment_required",
            "YQ-14",
        ),
        (
            "yangquan/application",
            "request_rereview",
            "rereview_allowed",
            "YQ-14",
        ),
        (
            "yangquan/application",
            "report_change",
            "comment_required",
            "YQ-14",
        ),
        ("yangquan/application", "close", "comment_required", "YQ-14"),
        (
            "yangquan/sale",
            "submit_plan",
            "sale_plan_recorded",
            "YQ-15",
        ),
        ("yangquan/sale", "return_plan", "comment_required", "YQ-15"),
        ("yangquan/sale", "start_selection", "lottery_drawn", "YQ-15"),
        (
            "yangquan/sale",
            "reopen_registration",
            "comment_required",
            "YQ-16",
        ),
        ("yangquan/sale", "cancel", "comment_required", "YQ-15"),
    ];

    #[test]
    fn every_guard_refusal_cites_the_rule_domain_md_gives() {
        use crate::workflow::guards::{Facts, check};
        let r = Registry::load(&shipped()).unwrap();
        // Facts under which every guard refuses: nothing present, an open objection, a listing
        // of one unit in a band nobody asked for, a round that took bids without a plan.
        let facts = Facts {
            open_objections: 1,
            this_listing: [("x".to_string(), 1)].into(),
            committed: [("x".to_string(), 1)].into(),
            tendered: true,
            in_round_plan: Some(false),
            materials_missing: vec!["申请表".into()],
            verifications_missing: vec!["公安".into()],
            rereview_refusal: Some("复核期限已过".into()),
            ..Facts::default()
        };
        let mut seen = Vec::new();
        for (key, def) in &r.defs {
            for a in &def.actions {
                for g in &a.guards {
                    let f = check(g, &facts).expect_err(&format!(
                        "{key} {} {} refuses",
                        a.name,
                        g.kind.name()
                    ));
                    seen.push((key.clone(), a.name.clone(), g.kind.name(), f.rule));
                }
            }
        }
        for (key, action, guard, rule) in &seen {
            let expected = CITATIONS
                .iter()
                .find(|c| c.0 == key && c.1 == action && c.2 == *guard)
                .unwrap_or_else(|| panic!("{key} {action} {guard} is not in the table"));
            assert_eq!(rule, expected.3, "{key} {action} {guard}");
        }
        assert_eq!(
            seen.len(),
            CITATIONS.len(),
            "every listed guard is in a workflow"
        );
    }

    #[test]
    fn dom_7_packs_carry_their_texts_dates_and_status() {
        use chrono::NaiveDate;
        let r = Registry::load(&shipped()).unwrap();
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        // YQ-24: 有效期2年 from 6 January 2026 — valid through 6 January 2028.
        let yq = r.packs["yangquan"]
            .texts
            .iter()
            .find(|t| t.prefix == "YQ")
            .unwrap();
        assert_eq!(yq.valid_until(), Some(day("2028-01-06")));
        assert!(
            r.packs["yangquan"]
                .warnings(day("2028-01-06"))
                .iter()
                .all(|w| !w.contains("阳政办发〔2026〕2号"))
        );
        assert!(
            r.packs["yangquan"]
                .warnings(day("2028-01-07"))
                .iter()
                .any(|w| w.contains("阳政办发〔2026〕2号") && w.contains("已过有效期"))
        );
        // YQM: 3 years from 17 October 2024.
        let yqm = r.packs["yangquan"]
            .texts
            .iter()
            .find(|t| t.prefix == "YQM")
            .unwrap();
        assert_eq!(yqm.valid_until(), Some(day("2027-10-17")));
        // Nanchang and Xingyi are drafts for comment: warned on any day.
        for k in ["nanchang", "xingyi"] {
            assert!(r.packs[k].is_draft(), "{k}");
            assert!(
                r.packs[k]
                    .warnings(day("2026-12-03"))
                    .iter()
                    .any(|w| w.contains("征求意见稿")),
                "{k}"
            );
        }
        // Huoshan's measures state no validity: no warning today.
        assert!(r.packs["huoshan"].warnings(day("2026-12-03")).is_empty());
    }

    #[test]
    fn unknown_policy_parameter_stops_loading_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        copy(&shipped(), dir.path());
        let p = dir.path().join("huoshan/policy.toml");
        let text = std::fs::read_to_string(&p).unwrap().replace(
            "withdrawal_notice_months = 1",
            "withdrawal_notice_months = 1\npublicty_days = 3",
        );
        std::fs::write(&p, text).unwrap();
        let e = Registry::load(dir.path()).unwrap_err();
        assert!(
            e.iter().any(|x| x.file.ends_with("huoshan/policy.toml")
                && x.message.contains("unknown parameter \"publicty_days\"")),
            "{e:?}"
        );
    }

    #[test]
    fn a_number_the_text_does_not_set_has_no_default_and_check_names_it() {
        // HS-A7.3 sets no publicity length and HS-A9's notice is the pack's parameter too: a
        // pack without them does not load, and the refusal says which and that the pack sets it.
        let dir = tempfile::tempdir().unwrap();
        copy(&shipped(), dir.path());
        let p = dir.path().join("huoshan/policy.toml");
        let text = std::fs::read_to_string(&p)
            .unwrap()
            .replace("publicity_working_days = 5\n", "")
            .replace("withdrawal_notice_months = 1\n", "");
        std::fs::write(&p, text).unwrap();
        let e = Registry::load(dir.path()).unwrap_err();
        let says = |m: &str| {
            e.iter()
                .any(|x| x.message.contains(m) && x.message.contains("the pack must set it"))
        };
        assert!(says("@publicity_working_days"), "{e:?}");
        assert!(says("\"withdrawal_notice_months\""), "{e:?}");
    }

    #[test]
    fn unknown_key_in_policy_names_the_line() {
        let dir = tempfile::tempdir().unwrap();
        copy(&shipped(), dir.path());
        let p = dir.path().join("nanchang/policy.toml");
        let text = std::fs::read_to_string(&p)
            .unwrap()
            .replace("[review]\n", "[review]\nmax_floors = 3\n");
        std::fs::write(&p, text).unwrap();
        let e = Registry::load(dir.path()).unwrap_err();
        assert!(
            e[0].file.ends_with("nanchang/policy.toml")
                && e[0].line.is_some()
                && e[0].message.contains("max_floors"),
            "{e:?}"
        );
    }

    #[test]
    fn a_review_rule_citation_must_name_a_review_check() {
        let dir = tempfile::tempdir().unwrap();
        copy(&shipped(), dir.path());
        let p = dir.path().join("yangquan/policy.toml");
        let text = std::fs::read_to_string(&p).unwrap().replace(
            "whole_building = \"YQ-7.2\"",
            "whole_buildings = \"YQ-7.2\"",
        );
        std::fs::write(&p, text).unwrap();
        let e = Registry::load(dir.path()).unwrap_err();
        assert!(
            e.iter().any(|x| x.file.ends_with("yangquan/policy.toml")
                && x.message
                    .contains("\"whole_buildings\", which is not a review check")),
            "{e:?}"
        );
    }

    #[test]
    fn pricing_files_are_required_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        copy(&shipped(), dir.path());
        std::fs::remove_file(dir.path().join("nanchang/pricing.toml")).unwrap();
        let p = dir.path().join("xingyi/pricing.toml");
        let text = std::fs::read_to_string(&p)
            .unwrap()
            .replace("max_annual_rate = \"0.02\"\n", "");
        std::fs::write(&p, text).unwrap();
        let p = dir.path().join("huoshan/pricing.toml");
        let text = std::fs::read_to_string(&p)
            .unwrap()
            .replace("initial_max_ratio = \"0.9\"", "initial_max_ratio = \"1.9\"");
        std::fs::write(&p, text).unwrap();
        let e = Registry::load(dir.path()).unwrap_err();
        let about = |f: &str, m: &str| {
            e.iter()
                .any(|x| x.file.ends_with(f) && x.message.contains(m))
        };
        assert!(
            about("nanchang/pricing.toml", "pricing parameters"),
            "{e:?}"
        );
        assert!(about("xingyi/pricing.toml", "max_annual_rate"), "{e:?}");
        assert!(about("huoshan/pricing.toml", "initial_max_ratio"), "{e:?}");
    }

    fn unit(room: &str, area: &str) -> crate::domain::unit_list::UnitRow {
        let a: rust_decimal::Decimal = area.parse().unwrap();
        crate::domain::unit_list::UnitRow {
            building: "1号楼".into(),
            stair_unit: "1单元".into(),
            floor: 3,
            room: room.into(),
            layout: "三室两厅".into(),
            gross_area_m2: crate::domain::units::AreaM2::new("a", a).unwrap(),
            usable_area_m2: crate::domain::units::AreaM2::new(
                "a",
                (a / rust_decimal::Decimal::TWO).round_dp(2),
            )
            .unwrap(),
            orientation: "南北".into(),
            mortgaged: false,
            seized: false,
        }
    }

    #[test]
    fn nc_16_nanchang_units_are_in_principle_at_most_120_m2() {
        use crate::domain::review::{ConstructionState, ListingFacts, OfferScope, review};
        let r = Registry::load(&shipped()).unwrap();
        let p = &r.packs["nanchang"].review;
        let facts = ListingFacts {
            construction_state: ConstructionState::Completed,
            topped_out: true,
            in_delivery_campaign: false,
            delivery_date: None,
            offer_scope: OfferScope::WholeBuilding,
            decoration: "毛坯".into(),
            findings: None,
        };
        let cap = |units: &[crate::domain::unit_list::UnitRow]| {
            review(units, &facts, p, &Default::default())
                .checks
                .into_iter()
                .find(|c| c.id == "unit_area_cap")
                .unwrap()
        };
        // 120.00 m² is within Nanchang's cap; 120.01 m² is not, and is an "in principle" limit.
        assert!(cap(&[unit("101", "90"), unit("102", "120.00")]).passed);
        let over = cap(&[unit("101", "90"), unit("102", "120.01")]);
        assert!(!over.passed && over.in_principle);
        assert_eq!(over.rule, "NC-16");
    }

    #[test]
    fn nc_16_nanchang_units_are_handed_over_unfinished_in_principle() {
        use crate::domain::review::{ConstructionState, ListingFacts, OfferScope, review};
        let r = Registry::load(&shipped()).unwrap();
        let units = [unit("101", "90"), unit("102", "95")];
        let check = |pack: &str, decoration: &str| {
            let facts = ListingFacts {
                construction_state: ConstructionState::Completed,
                topped_out: true,
                in_delivery_campaign: false,
                delivery_date: None,
                offer_scope: OfferScope::WholeBuilding,
                decoration: decoration.into(),
                findings: None,
            };
            review(&units, &facts, &r.packs[pack].review, &Default::default())
                .checks
                .into_iter()
                .find(|c| c.id == "unfinished_handover")
        };
        // 原则上毛坯交付: 毛坯 passes; 精装 fails, and only "in principle".
        assert!(check("nanchang", "毛坯").unwrap().passed);
        let decorated = check("nanchang", "精装").unwrap();
        assert!(!decorated.passed && decorated.in_principle, "{decorated:?}");
        assert_eq!(decorated.rule, "NC-16");
        // An approved exception passes it.
        let waived: std::collections::BTreeSet<String> = ["unfinished_handover".to_string()].into();
        let facts = ListingFacts {
            construction_state: ConstructionState::Completed,
            topped_out: true,
            in_delivery_campaign: false,
            delivery_date: None,
            offer_scope: OfferScope::WholeBuilding,
            decoration: "精装".into(),
            findings: None,
        };
        assert!(review(&units, &facts, &r.packs["nanchang"].review, &waived).passed);
        // Huoshan's measures say nothing of it: no such check there.
        assert!(check("huoshan", "精装").is_none());
    }

    fn facts(
        state: crate::domain::review::ConstructionState,
        scope: crate::domain::review::OfferScope,
    ) -> crate::domain::review::ListingFacts {
        crate::domain::review::ListingFacts {
            construction_state: state,
            topped_out: true,
            in_delivery_campaign: true,
            delivery_date: chrono::NaiveDate::from_ymd_opt(2027, 6, 30),
            offer_scope: scope,
            decoration: "毛坯".into(),
            findings: Some(crate::domain::review::Findings {
                little_work_left: Some(true),
                no_luxury: Some(true),
            }),
        }
    }

    #[test]
    fn yq_7_2_yangquan_buys_completed_housing_mainly_70_to_120_m2_in_whole_buildings_in_principle()
    {
        use crate::domain::review::{ConstructionState, OfferScope, review};
        let r = Registry::load(&shipped()).unwrap();
        let p = &r.packs["yangquan"].review;
        let check = |units: &[crate::domain::unit_list::UnitRow], f, id: &str| {
            review(units, &f, p, &Default::default())
                .checks
                .into_iter()
                .find(|c| c.id == id)
        };
        let completed = facts(ConstructionState::Completed, OfferScope::WholeBuilding);
        // "为主" is a share to report, not a per-unit bound: 69.99 and 120.01 m² fail nothing.
        let units = [
            unit("101", "69.99"),
            unit("102", "90"),
            unit("103", "120.01"),
        ];
        assert!(review(&units, &completed, p, &Default::default()).passed);
        assert!(check(&units, completed.clone(), "unit_area_floor").is_none());
        assert!(check(&units, completed.clone(), "unit_area_cap").is_none());
        assert!(
            check(&units, completed.clone(), "near_target_share").is_none(),
            "90 m² is Huoshan's"
        );
        let band = check(&units, completed.clone(), "main_band_share").unwrap();
        assert!(
            band.informational && band.detail.contains("0.3333"),
            "{band:?}"
        );
        // 已建成 only: a project under construction fails, whatever HS-A4.1 would say.
        let building = facts(
            ConstructionState::UnderConstruction,
            OfferScope::WholeBuilding,
        );
        let c = check(&units, building, "construction").unwrap();
        assert!(!c.passed && !c.in_principle && c.rule == "YQ-7.2", "{c:?}");
        // 原则上以整栋或整单元收购: a whole stair-unit passes, scattered units fail, waivably.
        let units = [unit("101", "90"), unit("102", "95")];
        assert!(
            check(
                &units,
                facts(ConstructionState::Completed, OfferScope::WholeStairUnit),
                "whole_building"
            )
            .unwrap()
            .passed
        );
        let scattered = check(
            &units,
            facts(ConstructionState::Completed, OfferScope::Scattered),
            "whole_building",
        )
        .unwrap();
        assert!(!scattered.passed && scattered.in_principle, "{scattered:?}");
        assert_eq!(scattered.rule, "YQ-7.2");
    }

    #[test]
    fn xy_11_xingyi_floor_80_is_hard_and_cap_120_in_principle_on_the_shipped_pack() {
        use crate::domain::review::{ConstructionState, OfferScope, review};
        let r = Registry::load(&shipped()).unwrap();
        let p = &r.packs["xingyi"].review;
        let f = facts(ConstructionState::UnderConstruction, OfferScope::Scattered);
        let rep = review(
            &[unit("101", "79.99"), unit("102", "120.01")],
            &f,
            p,
            &Default::default(),
        );
        let floor = rep
            .checks
            .iter()
            .find(|c| c.id == "unit_area_floor")
            .unwrap();
        let cap = rep.checks.iter().find(|c| c.id == "unit_area_cap").unwrap();
        assert!(
            !floor.passed && !floor.in_principle && floor.rule == "XY-11",
            "{floor:?}"
        );
        assert!(
            !cap.passed && cap.in_principle && cap.rule == "XY-11",
            "{cap:?}"
        );
        // The text restricts no stage and prefers no whole buildings.
        assert!(rep.checks.iter().all(|c| c.id != "construction"));
        assert!(
            rep.checks
                .iter()
                .find(|c| c.id == "whole_building")
                .unwrap()
                .passed
        );
        // An exception passes the cap, never the floor.
        let waived: std::collections::BTreeSet<String> =
            ["unit_area_cap".to_string(), "unit_area_floor".to_string()].into();
        let rep = review(
            &[unit("101", "79.99"), unit("102", "120.01")],
            &f,
            p,
            &waived,
        );
        assert!(!rep.passed);
        assert!(review(&[unit("101", "80"), unit("102", "120.01")], &f, p, &waived).passed);
    }

    #[test]
    fn hs_a4_2_about_90_m2_is_huoshans_alone() {
        let r = Registry::load(&shipped()).unwrap();
        for k in ["yangquan", "nanchang", "xingyi"] {
            assert!(r.packs[k].review.near_target.is_none(), "{k}");
        }
        assert!(r.packs["huoshan"].review.near_target.is_some());
    }

    #[test]
    fn hs_a7_3_listing_publicity_is_huoshans_and_a_pack_choice_elsewhere() {
        let r = Registry::load(&shipped()).unwrap();
        // Yangquan and Xingyi state no listing publicity: their flows have none.
        for k in ["yangquan", "xingyi"] {
            let d = r.get(&format!("{k}/listing")).unwrap();
            assert!(d.states.iter().all(|s| s.deadline.is_none()), "{k}");
            assert!(
                !r.packs[k].params.contains_key("publicity_working_days"),
                "{k}"
            );
        }
        // Nanchang takes Huoshan's by its own choice, citing HS-A7.3, not YQ-14.
        let nc = r.get("nanchang/listing").unwrap();
        let g = &nc.action("end_publicity").unwrap().guards[0];
        assert_eq!(g.rule, "HS-A7.3");
    }
}
