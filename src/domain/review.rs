//! The automatic review report of HS-A4 (Huoshan measures art. 4): what the housing bureau and
//! the natural-resources bureau check before a listing is published.
//!
//! Art. 4 text and how each clause is checked:
//! 1. 已建成的存量商品房，或主体已经封顶、剩余工程量不大的在建未售商品房…要明确项目具体竣工交付日期
//!    → `construction`: completed, or under construction AND topped out AND a delivery date.
//!    Not "in principle": it cannot be waived.
//! 2. 以90平方米左右的房源为主，最大建筑面积原则上不得超过120平方米 → `unit_area_cap` (in principle:
//!    waivable by exception) and `near_target_share` (mostly ≈ 90 m²: "为主" read as at least
//!    `min_near_share` of units within ±`near_tolerance_m2`; a judgement, so waivable). A pack may
//!    also set a floor (`min_unit_area_m2`: Yangquan 70 YQ-7.2, Xingyi 80 XY-11).
//! 3. 应优先选择整栋或整单元 → `whole_building`: "preferably", so a scattered offer fails the check
//!    only when the pack requires it (`require_whole_building_or_stair_unit`), and is waivable.
//! 5. 产权清晰、无抵押查封 → `mortgage_or_seizure`: never waivable.
//!
//! A pack may add: NC-16 (Nanchang draft art. 16) 配售型保障性住房原则上毛坯交付 →
//! `unfinished_handover` (`require_unfinished`): a listing offered decorated fails it, waivably.
//!
//! Pure: the caller passes the units, the listing facts, the pack's parameters and the checks
//! waived by approved exceptions.

use super::unit_list::UnitRow;
use chrono::NaiveDate;
use rust_decimal::Decimal;
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListingFacts {
    pub construction_state: ConstructionState,
    pub topped_out: bool,
    pub delivery_date: Option<NaiveDate>,
    pub offer_scope: OfferScope,
    /// 装修 as declared by the developer (毛坯, 简装, 精装, …).
    pub decoration: String,
}

/// A pack's review parameters (the `[review]` section of `policy.toml`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewParams {
    pub max_unit_area_m2: Decimal,
    #[serde(default)]
    pub min_unit_area_m2: Option<Decimal>,
    pub near_target_m2: Decimal,
    pub near_tolerance_m2: Decimal,
    /// Share of units that must be near the target (0–1).
    pub min_near_share: Decimal,
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

/// Every check the review report may contain.
pub const CHECK_IDS: [&str; 8] = [
    "unit_list",
    "construction",
    "unit_area_cap",
    "unit_area_floor",
    "near_target_share",
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

/// Builds the HS-A4 report.
pub fn review(
    units: &[UnitRow],
    facts: &ListingFacts,
    p: &ReviewParams,
    waived: &BTreeSet<String>,
) -> ReviewReport {
    let mut checks = Vec::new();
    let mut push =
        |id: &str, rule: &str, label: &str, passed: bool, detail: String, rooms: Vec<String>| {
            let in_principle = waivable(id);
            checks.push(ReviewCheck {
                id: id.into(),
                rule: p.rules.get(id).map_or(rule, String::as_str).into(),
                label_zh: label.into(),
                passed,
                in_principle,
                // Only an in-principle check can be waived; a waiver of any other is ignored.
                waived: !passed && in_principle && waived.contains(id),
                detail,
                offending_rooms: rooms,
            });
        };

    push(
        "unit_list",
        "HS-A8",
        "房源楼盘表",
        !units.is_empty(),
        if units.is_empty() {
            "尚未导入楼盘表".into()
        } else {
            format!("共 {} 套", units.len())
        },
        vec![],
    );

    let constr_ok = match facts.construction_state {
        ConstructionState::Completed => true,
        ConstructionState::UnderConstruction => facts.topped_out && facts.delivery_date.is_some(),
    };
    push(
        "construction",
        "HS-A4.1",
        "已建成，或主体封顶且明确交付日期",
        constr_ok,
        match facts.construction_state {
            ConstructionState::Completed => "已建成".into(),
            ConstructionState::UnderConstruction => format!(
                "在建，主体{}封顶，交付日期：{}",
                if facts.topped_out { "已" } else { "未" },
                facts
                    .delivery_date
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "未明确".into())
            ),
        },
        vec![],
    );

    let over: Vec<String> = units
        .iter()
        .filter(|u| u.gross_area_m2.value() > p.max_unit_area_m2)
        .map(room)
        .collect();
    push(
        "unit_area_cap",
        "HS-A4.2",
        "单套建筑面积原则上不超过上限",
        over.is_empty(),
        format!("{} 套超过 {} ㎡", over.len(), p.max_unit_area_m2),
        over,
    );

    if let Some(min) = p.min_unit_area_m2 {
        let under: Vec<String> = units
            .iter()
            .filter(|u| u.gross_area_m2.value() < min)
            .map(room)
            .collect();
        push(
            "unit_area_floor",
            "HS-A4.2",
            "单套建筑面积不低于下限",
            under.is_empty(),
            format!("{} 套低于 {min} ㎡", under.len()),
            under,
        );
    }

    let near = units
        .iter()
        .filter(|u| (u.gross_area_m2.value() - p.near_target_m2).abs() <= p.near_tolerance_m2)
        .count();
    let share = if units.is_empty() {
        Decimal::ZERO
    } else {
        Decimal::from(near) / Decimal::from(units.len())
    };
    push(
        "near_target_share",
        "HS-A4.2",
        "以90平方米左右的房源为主",
        !units.is_empty() && share >= p.min_near_share,
        format!(
            "{} 套中 {near} 套在 {}±{} ㎡ 之间（占比 {}，要求不低于 {}）",
            units.len(),
            p.near_target_m2,
            p.near_tolerance_m2,
            share.round_dp(4),
            p.min_near_share
        ),
        vec![],
    );

    let whole = facts.offer_scope != OfferScope::Scattered;
    push(
        "whole_building",
        "HS-A4.3",
        "优先整栋或整单元、可封闭管理",
        whole || !p.require_whole_building_or_stair_unit,
        format!(
            "供应范围：{}{}",
            match facts.offer_scope {
                OfferScope::WholeBuilding => "整栋",
                OfferScope::WholeStairUnit => "整单元",
                OfferScope::Scattered => "零散房源",
            },
            if p.require_whole_building_or_stair_unit {
                ""
            } else {
                "（优先条件，本政策包不作硬性要求）"
            }
        ),
        vec![],
    );

    if p.require_unfinished {
        let decoration = facts.decoration.trim();
        push(
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
            vec![],
        );
    }

    let encumbered: Vec<String> = units
        .iter()
        .filter(|u| u.mortgaged || u.seized)
        .map(room)
        .collect();
    push(
        "mortgage_or_seizure",
        "HS-A4.5",
        "产权清晰、无抵押查封",
        encumbered.is_empty(),
        format!("{} 套存在抵押或查封", encumbered.len()),
        encumbered,
    );

    let passed = checks.iter().all(|c| c.passed || c.waived);
    ReviewReport { checks, passed }
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
            max_unit_area_m2: dec!(120),
            min_unit_area_m2: None,
            near_target_m2: dec!(90),
            near_tolerance_m2: dec!(10),
            min_near_share: dec!(0.5),
            require_whole_building_or_stair_unit: false,
            require_unfinished: false,
            rules: Default::default(),
        }
    }
    fn completed() -> ListingFacts {
        ListingFacts {
            construction_state: ConstructionState::Completed,
            topped_out: true,
            delivery_date: None,
            offer_scope: OfferScope::WholeBuilding,
            decoration: "毛坯".into(),
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
    fn hs_a4_under_construction_needs_topping_out_and_delivery_date() {
        let units = vec![unit("101", dec!(90))];
        let mut f = ListingFacts {
            construction_state: ConstructionState::UnderConstruction,
            topped_out: true,
            delivery_date: None,
            offer_scope: OfferScope::WholeStairUnit,
            decoration: "毛坯".into(),
        };
        assert!(
            !check(
                &review(&units, &f, &huoshan(), &BTreeSet::new()),
                "construction"
            )
            .passed
        );
        f.delivery_date = NaiveDate::from_ymd_opt(2027, 6, 30);
        assert!(review(&units, &f, &huoshan(), &BTreeSet::new()).passed);
        f.topped_out = false;
        assert!(!review(&units, &f, &huoshan(), &BTreeSet::new()).passed);
    }

    #[test]
    fn xy_11_units_below_80_fail_the_floor() {
        let p = ReviewParams {
            min_unit_area_m2: Some(dec!(80)),
            ..huoshan()
        };
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
