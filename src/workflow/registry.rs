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
const NOT_WORKFLOWS: [&str; 2] = ["policy.toml", "pricing.toml"];

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
            match (
                Pack::parse(&file.display().to_string(), &name, &text),
                pricing,
            ) {
                (Ok(mut p), Ok(pricing)) => {
                    p.pricing = Some(pricing);
                    packs.insert(name, p);
                }
                (p, pricing) => {
                    errors.extend(p.err());
                    errors.extend(pricing.err());
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
    fn shipped_packs_load_and_share_huoshans_flow() {
        let r = Registry::load(&shipped()).unwrap();
        for k in ["huoshan", "yangquan", "nanchang", "xingyi"] {
            assert!(r.get(&format!("{k}/listing")).is_some(), "{k}");
            assert!(r.get(&format!("{k}/round")).is_some(), "{k}");
        }
        // Same flow, own parameters: different content versions.
        assert_ne!(
            r.get("huoshan/listing").unwrap().hash,
            r.get("xingyi/listing").unwrap().hash
        );
    }

    #[test]
    fn unknown_policy_parameter_stops_loading_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        copy(&shipped(), dir.path());
        let p = dir.path().join("xingyi/policy.toml");
        let text = std::fs::read_to_string(&p).unwrap().replace(
            "withdrawal_notice_months = 1",
            "withdrawal_notice_months = 1\npublicty_days = 3",
        );
        std::fs::write(&p, text).unwrap();
        let e = Registry::load(dir.path()).unwrap_err();
        assert!(
            e.iter().any(|x| x.file.ends_with("xingyi/policy.toml")
                && x.message.contains("unknown parameter \"publicty_days\"")),
            "{e:?}"
        );
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
        let text = std::fs::read_to_string(&p).unwrap().replace(
            "initial_rent_max_ratio = \"0.9\"",
            "initial_rent_max_ratio = \"1.9\"",
        );
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
        assert!(
            about("huoshan/pricing.toml", "initial_rent_max_ratio"),
            "{e:?}"
        );
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
            delivery_date: None,
            offer_scope: OfferScope::WholeBuilding,
            decoration: "毛坯".into(),
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
                delivery_date: None,
                offer_scope: OfferScope::WholeBuilding,
                decoration: decoration.into(),
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
            delivery_date: None,
            offer_scope: OfferScope::WholeBuilding,
            decoration: "精装".into(),
        };
        assert!(review(&units, &facts, &r.packs["nanchang"].review, &waived).passed);
        // Huoshan's measures say nothing of it: no such check there.
        assert!(check("huoshan", "精装").is_none());
    }

    #[test]
    fn yq_7_2_yangquan_buys_units_of_70_to_120_m2_in_whole_buildings_in_principle() {
        use crate::domain::review::{ConstructionState, ListingFacts, OfferScope, review};
        let r = Registry::load(&shipped()).unwrap();
        let p = &r.packs["yangquan"].review;
        let facts = |offer_scope| ListingFacts {
            construction_state: ConstructionState::Completed,
            topped_out: true,
            delivery_date: None,
            offer_scope,
            decoration: "毛坯".into(),
        };
        let check = |units: &[crate::domain::unit_list::UnitRow], scope, id: &str| {
            review(units, &facts(scope), p, &Default::default())
                .checks
                .into_iter()
                .find(|c| c.id == id)
                .unwrap()
        };
        // 70.00 and 120.00 m² are within 70–120; 69.99 and 120.01 are not, each "in principle".
        let edges = [unit("101", "70.00"), unit("102", "120.00")];
        assert!(check(&edges, OfferScope::WholeBuilding, "unit_area_floor").passed);
        assert!(check(&edges, OfferScope::WholeBuilding, "unit_area_cap").passed);
        let low = check(
            &[unit("101", "69.99"), unit("102", "90")],
            OfferScope::WholeBuilding,
            "unit_area_floor",
        );
        assert!(!low.passed && low.in_principle, "{low:?}");
        let high = check(
            &[unit("101", "90"), unit("102", "120.01")],
            OfferScope::WholeBuilding,
            "unit_area_cap",
        );
        assert!(!high.passed && high.in_principle, "{high:?}");
        // 原则上以整栋或整单元收购: a whole stair-unit passes, scattered units fail, waivably.
        let units = [unit("101", "90"), unit("102", "95")];
        assert!(check(&units, OfferScope::WholeStairUnit, "whole_building").passed);
        let scattered = check(&units, OfferScope::Scattered, "whole_building");
        assert!(!scattered.passed && scattered.in_principle, "{scattered:?}");
        // Each check cites Yangquan's article, not Huoshan's.
        for c in [&low, &high, &scattered] {
            assert_eq!(c.rule, "YQ-7.2", "{c:?}");
        }
    }

    #[test]
    fn yq_14_yangquan_publicity_lasts_at_least_five_working_days() {
        let r = Registry::load(&shipped()).unwrap();
        let days = r.packs["yangquan"].params["publicity_working_days"]
            .as_integer()
            .unwrap();
        assert!(
            days >= 5,
            "YQ-14 sets at least 5 working days, the pack says {days}"
        );
        // The listing workflow reads the parameter for its publicity deadline.
        assert!(
            r.get("yangquan/listing")
                .unwrap()
                .used_params
                .contains("publicity_working_days")
        );
    }
}
