//! The automatic review report of a listing: what the housing bureau and the natural-resources
//! bureau check before a listing is published (Huoshan: HS-A4, art. 4), each pack by its own
//! text (DOMAIN.md §5, "at a glance").
//!
//! How each clause is checked:
//! - Stage. HS-A4.1: 已建成的存量商品房，或纳入保交房攻坚战且主体已经封顶、剩余工程量不大的在建未售
//!   商品房，要明确项目具体竣工交付日期 → `construction` under [`ConstructionRule::HsA41`]:
//!   completed; or under construction AND in the delivery campaign AND topped out AND a fixed
//!   delivery date AND the reviewer's finding that little work is left (the text sets no
//!   measure, so a person judges it and the finding is recorded). YQ-7.2: 已建成 only
//!   ([`ConstructionRule::CompletedOnly`]). Nanchang and Xingyi set no stage ([`ConstructionRule::Any`]).
//!   Never "in principle": not waivable.
//! - Size. HS-A4.2: 以90平方米左右的房源为主 (`near_target_share`, Huoshan's alone: "为主" read as at
//!   least `min_share` of units within ±`tolerance_m2`, a judgement, waivable) and 最大建筑面积原则上
//!   不得超过120平方米 (`unit_area_cap`, waivable); 不得收购豪宅和大户型房屋 (`no_luxury`, a hard ban
//!   whose measure the text does not give: the reviewer's finding). YQ-7.2: 户型面积以70-120平方米为主
//!   — a share to report (`main_band_share`, informational), not a per-unit bound. NC-16: ≤ 120
//!   in principle. XY-11: 单套建筑面积在80-120平方米内 (`unit_area_floor`, hard), 原则上不超过120
//!   (`unit_area_cap`, waivable); a design standard applied to purchases by the pack's choice.
//! - Whole buildings. HS-A4.3 应优先选择整栋或整单元 — preferred, so it fails only where the pack
//!   requires it (YQ-7.2 原则上以整栋或整单元收购, waivable).
//! - NC-16 原则上毛坯交付 → `unfinished_handover` (waivable).
//! - HS-A4.5 产权清晰、无抵押查封 → `mortgage_or_seizure`: never waivable.
//!
//! Pure: the caller passes the units, the listing facts (with the reviewer's findings when the
//! review is decided), the pack's parameters and the checks waived by approved exceptions.

use super::unit_list::UnitRow;
use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConstructionState {
    /// 已建成.
    Completed,
    /// 在建.
    UnderConstruction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OfferScope {
    /// 整栋.
    WholeBuilding,
    /// 整单元.
    WholeStairUnit,
    /// 零散房源.
    Scattered,
}

/// The reviewer's findings on what the texts leave to judgement. `None`: not given yet (the
/// report is a preview); the review is decided only with each needed finding `Some(true)`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Findings {
    /// HS-A4.1: 剩余工程量不大 (needed only for a listing under construction).
    #[serde(default)]
    pub little_work_left: Option<bool>,
    /// HS-A4.2: neither a luxury house (豪宅) nor large units (大户型).
    #[serde(default)]
    pub no_luxury: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListingFacts {
    pub construction_state: ConstructionState,
    pub topped_out: bool,
    /// HS-A4.1: 纳入保交房攻坚战, as declared by the developer.
    pub in_delivery_campaign: bool,
    pub delivery_date: Option<NaiveDate>,
    pub offer_scope: OfferScope,
    /// 装修 as declared by the developer (毛坯, 简装, 精装, …).
    pub decoration: String,
    /// The reviewer's findings; `None` while the report is only previewed.
    pub findings: Option<Findings>,
}

/// Which construction stages a pack's text admits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConstructionRule {
    /// HS-A4.1: completed, or under construction on its conditions.
    #[serde(rename = "hs_a4_1")]
    HsA41,
    /// YQ-7.2: completed housing only (已建成).
    CompletedOnly,
    /// The text sets no stage (NC-17, NC-20; Xingyi).
    Any,
}

/// HS-A4.2's "mostly about 90 m²", read as a share of units near a target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NearTarget {
    pub target_m2: Decimal,
    pub tolerance_m2: Decimal,
    /// Share of units that must be near the target (0–1).
    pub min_share: Decimal,
}

/// YQ-7.2's "mainly 70–120 m²": the band whose share the report states.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MainBand {
    pub min_m2: Decimal,
    pub max_m2: Decimal,
}

/// A pack's review parameters (the `[review]` section of `policy.toml`). Every check is absent
/// unless the pack's text sets it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewParams {
    pub construction: ConstructionRule,
    /// The largest unit, in principle (HS-A4.2, NC-16, XY-11).
    #[serde(default)]
    pub max_unit_area_m2: Option<Decimal>,
    /// The smallest unit, a hard floor (XY-11).
    #[serde(default)]
    pub min_unit_area_m2: Option<Decimal>,
    #[serde(default)]
    pub near_target: Option<NearTarget>,
    #[serde(default)]
    pub main_band: Option<MainBand>,
    /// HS-A4.2: no luxury houses or large units, judged by the reviewer.
    #[serde(default)]
    pub no_luxury: bool,
    #[serde(default)]
    pub require_whole_building_or_stair_unit: bool,
    /// NC-16: units are handed over unfinished (毛坯) in principle.
    #[serde(default)]
    pub require_unfinished: bool,
    /// The pack's own rule ID for a check, where its policy states the limit itself (YQ-7.2,
    /// NC-16, XY-11); otherwise the check cites Huoshan's article (HS-A4.x). Keys are check ids.
    #[serde(default)]
    pub rules: std::collections::BTreeMap<String, String>,
}

impl ReviewParams {
    /// Refusals of a pack file: shares outside 0–1, an inverted band.
    pub fn check(&self) -> Result<(), String> {
        if let Some(n) = &self.near_target
            && (n.min_share < Decimal::ZERO || n.min_share > Decimal::ONE)
        {
            return Err("[review.near_target] min_share must be between 0 and 1".into());
        }
        if let Some(b) = &self.main_band
            && b.min_m2 >= b.max_m2
        {
            return Err("[review.main_band] min_m2 must be below max_m2".into());
        }
        if let (Some(lo), Some(hi)) = (self.min_unit_area_m2, self.max_unit_area_m2)
            && lo >= hi
        {
            return Err("[review] min_unit_area_m2 must be below max_unit_area_m2".into());
        }
        Ok(())
    }
}

/// Every check the review report may contain.
pub const CHECK_IDS: [&str; 10] = [
    "unit_list",
    "construction",
    "unit_area_cap",
    "unit_area_floor",
    "near_target_share",
    "main_band_share",
    "no_luxury",
    "whole_building",
    "unfinished_handover",
    "mortgage_or_seizure",
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReviewCheck {
    pub id: String,
    pub rule: String,
    pub label_zh: String,
    pub passed: bool,
    /// 原则上: may be waived by an approved exception.
    pub in_principle: bool,
    pub waived: bool,
    /// Reported, never failing (YQ-7.2's share of units in its main band).
    #[serde(default)]
    pub informational: bool,
    /// Waits for the reviewer's finding (a preview counts it as passed).
    #[serde(default)]
    pub pending: bool,
    pub detail: String,
    pub offending_rooms: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReviewReport {
    pub checks: Vec<ReviewCheck>,
    pub passed: bool,
}

/// Whether an exception may waive this review check: only the "in principle" ones (see
/// `domain::exceptions::WAIVABLE`).
pub fn waivable(check_id: &str) -> bool {
    super::exceptions::waivable(check_id)
        .is_some_and(|w| w.stage == super::exceptions::Stage::Review)
}

fn room(u: &UnitRow) -> String {
    format!("{}-{}-{}", u.building, u.stair_unit, u.room)
}

/// The outcome of a check that waits for a finding: passed, failed, or pending (preview).
fn finding(f: Option<Findings>, get: fn(&Findings) -> Option<bool>) -> (bool, bool) {
    match f {
        None => (true, true),
        Some(f) => (get(&f) == Some(true), false),
    }
}

struct Report<'a> {
    p: &'a ReviewParams,
    waived: &'a BTreeSet<String>,
    checks: Vec<ReviewCheck>,
}

impl Report<'_> {
    fn push(&mut self, id: &str, rule: &str, label: &str, passed: bool, detail: String) {
        self.push_full(id, rule, label, passed, false, detail, vec![]);
    }
    #[allow(clippy::too_many_arguments)]
    fn push_full(
        &mut self,
        id: &str,
        rule: &str,
        label: &str,
        passed: bool,
        pending: bool,
        detail: String,
        rooms: Vec<String>,
    ) {
        let in_principle = waivable(id);
        self.checks.push(ReviewCheck {
            id: id.into(),
            rule: self.p.rules.get(id).map_or(rule, String::as_str).into(),
            label_zh: label.into(),
            passed,
            in_principle,
            // Only an in-principle check can be waived; a waiver of any other is ignored.
            waived: !passed && in_principle && self.waived.contains(id),
            informational: false,
            pending,
            detail,
            offending_rooms: rooms,
        });
    }
}

/// Builds the review report.
pub fn review(
    units: &[UnitRow],
    facts: &ListingFacts,
    p: &ReviewParams,
    waived: &BTreeSet<String>,
) -> ReviewReport {
    let mut r = Report {
        p,
        waived,
        checks: Vec::new(),
    };
    r.push(
        "unit_list",
        "HS-A8",
        "房源楼盘表",
        !units.is_empty(),
        if units.is_empty() {
            "尚未导入楼盘表".into()
        } else {
            format!("共 {} 套", units.len())
        },
    );
    construction(&mut r, facts);
    sizes(&mut r, units, facts);
    // HS-A4.3 only prefers whole buildings; YQ-7.2 requires them in principle.
    whole_building(&mut r, facts);
    if p.require_unfinished {
        let decoration = facts.decoration.trim();
        r.push(
            "unfinished_handover",
            "NC-16",
            "原则上毛坯交付",
            decoration == "毛坯",
            format!(
                "装修：{}",
                if decoration.is_empty() {
                    "未填写"
                } else {
                    decoration
                }
            ),
        );
    }
    let encumbered: Vec<String> = units
        .iter()
        .filter(|u| u.mortgaged || u.seized)
        .map(room)
        .collect();
    r.push_full(
        "mortgage_or_seizure",
        "HS-A4.5",
        "产权清晰、无抵押查封",
        encumbered.is_empty(),
        false,
        format!("{} 套存在抵押或查封", encumbered.len()),
        encumbered,
    );
    let passed = r
        .checks
        .iter()
        .all(|c| c.passed || c.waived || c.informational);
    ReviewReport {
        checks: r.checks,
        passed,
    }
}

fn construction(r: &mut Report<'_>, facts: &ListingFacts) {
    match r.p.construction {
        ConstructionRule::Any => {}
        ConstructionRule::CompletedOnly => r.push(
            "construction",
            "YQ-7.2",
            "已建成的存量商品房",
            facts.construction_state == ConstructionState::Completed,
            match facts.construction_state {
                ConstructionState::Completed => "已建成".into(),
                ConstructionState::UnderConstruction => "在建：本地政策只收购已建成房源".into(),
            },
        ),
        ConstructionRule::HsA41 => {
            let (little_left, pending) = finding(facts.findings, |f| f.little_work_left);
            let (passed, pending, detail) = match facts.construction_state {
                ConstructionState::Completed => (true, false, "已建成".to_string()),
                ConstructionState::UnderConstruction => (
                    facts.in_delivery_campaign
                        && facts.topped_out
                        && facts.delivery_date.is_some()
                        && little_left,
                    pending,
                    format!(
                        "在建：{}纳入保交房攻坚战，主体{}封顶，剩余工程量{}，竣工交付日期：{}",
                        if facts.in_delivery_campaign {
                            "已"
                        } else {
                            "未"
                        },
                        if facts.topped_out { "已" } else { "未" },
                        match facts.findings.and_then(|f| f.little_work_left) {
                            None => "待审查人员认定",
                            Some(true) => "经认定不大",
                            Some(false) => "经认定较大",
                        },
                        facts
                            .delivery_date
                            .map(|d| d.to_string())
                            .unwrap_or_else(|| "未明确".into())
                    ),
                ),
            };
            r.push_full(
                "construction",
                "HS-A4.1",
                "已建成，或纳入保交房攻坚战、主体封顶、剩余工程量不大且明确交付日期",
                passed,
                pending,
                detail,
                vec![],
            );
        }
    }
}

fn share(n: usize, of: usize) -> Decimal {
    if of == 0 {
        Decimal::ZERO
    } else {
        (Decimal::from(n) / Decimal::from(of))
            .round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero)
    }
}

fn sizes(r: &mut Report<'_>, units: &[UnitRow], facts: &ListingFacts) {
    let p = r.p;
    if let Some(max) = p.max_unit_area_m2 {
        let over: Vec<String> = units
            .iter()
            .filter(|u| u.gross_area_m2.value() > max)
            .map(room)
            .collect();
        r.push_full(
            "unit_area_cap",
            "HS-A4.2",
            "单套建筑面积原则上不超过上限",
            over.is_empty(),
            false,
            format!("{} 套超过 {max} ㎡", over.len()),
            over,
        );
    }
    if let Some(min) = p.min_unit_area_m2 {
        let under: Vec<String> = units
            .iter()
            .filter(|u| u.gross_area_m2.value() < min)
            .map(room)
            .collect();
        r.push_full(
            "unit_area_floor",
            "XY-11",
            "单套建筑面积不低于下限",
            under.is_empty(),
            false,
            format!("{} 套低于 {min} ㎡", under.len()),
            under,
        );
    }
    if let Some(n) = &p.near_target {
        let near = units
            .iter()
            .filter(|u| (u.gross_area_m2.value() - n.target_m2).abs() <= n.tolerance_m2)
            .count();
        let s = share(near, units.len());
        r.push(
            "near_target_share",
            "HS-A4.2",
            "以90平方米左右的房源为主",
            !units.is_empty() && s >= n.min_share,
            format!(
                "{} 套中 {near} 套在 {}±{} ㎡ 之间（占比 {s}，要求不低于 {}）",
                units.len(),
                n.target_m2,
                n.tolerance_m2,
                n.min_share
            ),
        );
    }
    if let Some(b) = &p.main_band {
        let inside = units
            .iter()
            .filter(|u| u.gross_area_m2.value() >= b.min_m2 && u.gross_area_m2.value() <= b.max_m2)
            .count();
        r.push(
            "main_band_share",
            "YQ-7.2",
            "户型面积以主力面积段为主（报告占比）",
            true,
            format!(
                "{} 套中 {inside} 套在 {}–{} ㎡ 之间，占比 {}",
                units.len(),
                b.min_m2,
                b.max_m2,
                share(inside, units.len())
            ),
        );
        if let Some(c) = r.checks.last_mut() {
            c.informational = true;
        }
    }
    if p.no_luxury {
        let (passed, pending) = finding(facts.findings, |f| f.no_luxury);
        r.push_full(
            "no_luxury",
            "HS-A4.2",
            "不得收购豪宅和大户型房屋",
            passed,
            pending,
            match facts.findings.and_then(|f| f.no_luxury) {
                None => "待审查人员认定（政策未规定量化标准）".into(),
                Some(true) => "经审查认定非豪宅、非大户型".into(),
                Some(false) => "经审查认定属豪宅或大户型".into(),
            },
            vec![],
        );
    }
}

fn whole_building(r: &mut Report<'_>, facts: &ListingFacts) {
    let required = r.p.require_whole_building_or_stair_unit;
    let whole = facts.offer_scope != OfferScope::Scattered;
    r.push(
        "whole_building",
        "HS-A4.3",
        "优先整栋或整单元、可封闭管理",
        whole || !required,
        format!(
            "供应范围：{}{}",
            match facts.offer_scope {
                OfferScope::WholeBuilding => "整栋",
                OfferScope::WholeStairUnit => "整单元",
                OfferScope::Scattered => "零散房源",
            },
            if required {
                ""
            } else {
                "（优先条件，本政策包不作硬性要求）"
            }
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::units::AreaM2;
    use rust_decimal_macros::dec;

    fn unit(room: &str, area: Decimal) -> UnitRow {
        UnitRow {
            building: "1号楼".into(),
            stair_unit: "1单元".into(),
            floor: 3,
            room: room.into(),
            layout: "三室两厅".into(),
            gross_area_m2: AreaM2::new("a", area).unwrap(),
            usable_area_m2: AreaM2::new("a", (area * dec!(0.8)).round_dp(2)).unwrap(),
            orientation: "南北".into(),
            mortgaged: false,
            seized: false,
        }
    }
    fn huoshan() -> ReviewParams {
        ReviewParams {
            construction: ConstructionRule::HsA41,
            max_unit_area_m2: Some(dec!(120)),
            min_unit_area_m2: None,
            near_target: Some(NearTarget {
                target_m2: dec!(90),
                tolerance_m2: dec!(10),
                min_share: dec!(0.5),
            }),
            main_band: None,
            no_luxury: true,
            require_whole_building_or_stair_unit: false,
            require_unfinished: false,
            rules: Default::default(),
        }
    }
    fn decided() -> Option<Findings> {
        Some(Findings {
            little_work_left: Some(true),
            no_luxury: Some(true),
        })
    }
    fn completed() -> ListingFacts {
        ListingFacts {
            construction_state: ConstructionState::Completed,
            topped_out: true,
            in_delivery_campaign: false,
            delivery_date: None,
            offer_scope: OfferScope::WholeBuilding,
            decoration: "毛坯".into(),
            findings: decided(),
        }
    }
    fn check<'a>(r: &'a ReviewReport, id: &str) -> &'a ReviewCheck {
        r.checks.iter().find(|c| c.id == id).unwrap()
    }

    #[test]
    fn hs_a4_unit_above_120_blocks_unless_exception() {
        // 3 units: 89.5, 92.0, 120.01 m². 120.01 > 120 → fails "in principle" cap.
        let units = vec![
            unit("101", dec!(89.5)),
            unit("102", dec!(92.0)),
            unit("103", dec!(120.01)),
        ];
        let r = review(&units, &completed(), &huoshan(), &BTreeSet::new());
        assert!(!r.passed);
        assert_eq!(
            check(&r, "unit_area_cap").offending_rooms,
            vec!["1号楼-1单元-103"]
        );
        // Exactly 120.00 is within the cap.
        let at_cap = review(
            &[unit("101", dec!(90)), unit("102", dec!(120.00))],
            &completed(),
            &huoshan(),
            &BTreeSet::new(),
        );
        assert!(check(&at_cap, "unit_area_cap").passed);
        let waived: BTreeSet<String> = ["unit_area_cap".to_string()].into();
        let r = review(&units, &completed(), &huoshan(), &waived);
        assert!(r.passed, "{r:?}");
        assert!(check(&r, "unit_area_cap").waived);
    }

    #[test]
    fn hs_a4_mortgage_or_seizure_cannot_be_waived() {
        let mut u = unit("101", dec!(90));
        u.seized = true;
        let waived: BTreeSet<String> = ["mortgage_or_seizure".to_string()].into();
        let r = review(
            &[u, unit("102", dec!(88))],
            &completed(),
            &huoshan(),
            &waived,
        );
        assert!(!r.passed);
        assert!(!check(&r, "mortgage_or_seizure").waived);
        assert!(!waivable("mortgage_or_seizure"));
        assert!(!waivable("construction"));
    }

    #[test]
    fn hs_a4_share_near_90_below_threshold_fails() {
        // 1 of 3 units within 90±10 (95); 60 and 110.5 are outside: share 0.3333 < 0.5.
        let units = vec![
            unit("101", dec!(60)),
            unit("102", dec!(95)),
            unit("103", dec!(110.5)),
        ];
        let r = review(&units, &completed(), &huoshan(), &BTreeSet::new());
        assert!(!check(&r, "near_target_share").passed);
        // 2 of 3 (80 and 100 are on the edges, inclusive): share 0.6667 ≥ 0.5.
        let units = vec![
            unit("101", dec!(80)),
            unit("102", dec!(100)),
            unit("103", dec!(110.5)),
        ];
        assert!(
            check(
                &review(&units, &completed(), &huoshan(), &BTreeSet::new()),
                "near_target_share"
            )
            .passed
        );
    }

    #[test]
    fn hs_a4_1_under_construction_needs_the_campaign_topping_out_little_work_left_and_a_date() {
        let units = vec![unit("101", dec!(90))];
        let mut f = ListingFacts {
            construction_state: ConstructionState::UnderConstruction,
            topped_out: true,
            in_delivery_campaign: true,
            delivery_date: None,
            offer_scope: OfferScope::WholeStairUnit,
            decoration: "毛坯".into(),
            findings: decided(),
        };
        let passes = |f: &ListingFacts| review(&units, f, &huoshan(), &BTreeSet::new()).passed;
        assert!(!passes(&f), "no delivery date");
        f.delivery_date = NaiveDate::from_ymd_opt(2027, 6, 30);
        assert!(passes(&f));
        // Each condition of HS-A4.1 on its own fails the check, and no exception passes it.
        f.topped_out = false;
        assert!(!passes(&f), "not topped out");
        f.topped_out = true;
        f.in_delivery_campaign = false;
        assert!(!passes(&f), "not in the 保交房攻坚战");
        f.in_delivery_campaign = true;
        f.findings = Some(Findings {
            little_work_left: Some(false),
            no_luxury: Some(true),
        });
        assert!(!passes(&f), "the reviewer found much work left");
        let waived: BTreeSet<String> = ["construction".to_string()].into();
        assert!(!review(&units, &f, &huoshan(), &waived).passed);
        // While the reviewer has not judged, the report is a preview: pending, not failed.
        f.findings = None;
        let preview = review(&units, &f, &huoshan(), &BTreeSet::new());
        assert!(preview.passed && check(&preview, "construction").pending);
        // Decided without the finding: refused.
        f.findings = Some(Findings::default());
        assert!(!passes(&f));
    }

    #[test]
    fn hs_a4_2_luxury_and_large_units_are_banned_by_the_reviewers_finding() {
        let units = vec![unit("101", dec!(90))];
        let mut f = completed();
        f.findings = Some(Findings {
            little_work_left: None,
            no_luxury: Some(false),
        });
        let waived: BTreeSet<String> = ["no_luxury".to_string()].into();
        let r = review(&units, &f, &huoshan(), &waived);
        assert!(!r.passed, "a hard ban: no exception passes it");
        assert_eq!(check(&r, "no_luxury").rule, "HS-A4.2");
        assert!(!waivable("no_luxury"));
    }

    #[test]
    fn yq_7_2_yangquan_buys_completed_housing_only_and_reports_its_70_to_120_share() {
        let p = ReviewParams {
            construction: ConstructionRule::CompletedOnly,
            near_target: None,
            no_luxury: false,
            main_band: Some(MainBand {
                min_m2: dec!(70),
                max_m2: dec!(120),
            }),
            ..huoshan()
        };
        let mut f = completed();
        f.construction_state = ConstructionState::UnderConstruction;
        f.in_delivery_campaign = true;
        f.delivery_date = NaiveDate::from_ymd_opt(2027, 6, 30);
        let units = [
            unit("101", dec!(60)),
            unit("102", dec!(90)),
            unit("103", dec!(130)),
        ];
        let r = review(&units, &f, &p, &BTreeSet::new());
        assert!(!check(&r, "construction").passed);
        assert_eq!(check(&r, "construction").rule, "YQ-7.2");
        // 1 of 3 units inside 70–120: reported (0.3333), never failing.
        let band = check(&r, "main_band_share");
        assert!(band.informational && band.passed, "{band:?}");
        assert!(band.detail.contains("0.3333"), "{}", band.detail);
        assert!(r.checks.iter().all(|c| c.id != "near_target_share"));
    }

    #[test]
    fn xy_11_units_below_80_fail_the_floor_which_no_exception_passes() {
        let p = ReviewParams {
            min_unit_area_m2: Some(dec!(80)),
            ..huoshan()
        };
        assert!(!waivable("unit_area_floor"));
        let r = review(
            &[unit("101", dec!(79.99)), unit("102", dec!(90))],
            &completed(),
            &p,
            &BTreeSet::new(),
        );
        assert_eq!(
            check(&r, "unit_area_floor").offending_rooms,
            vec!["1号楼-1单元-101"]
        );
    }

    #[test]
    fn hs_a4_scattered_units_are_only_preferred_against() {
        let f = ListingFacts {
            offer_scope: OfferScope::Scattered,
            ..completed()
        };
        let units = vec![unit("101", dec!(90))];
        assert!(review(&units, &f, &huoshan(), &BTreeSet::new()).passed);
        let strict = ReviewParams {
            require_whole_building_or_stair_unit: true,
            ..huoshan()
        };
        assert!(!review(&units, &f, &strict, &BTreeSet::new()).passed);
    }
}
