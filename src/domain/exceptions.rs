//! The "in principle" (原则上) limits an exception may pass, across the whole product.
//!
//! DOMAIN.md §3: such limits may be exceeded only by a recorded exception — who asked, why,
//! approved by the leading group — visible in every audit report. Hard limits (mortgage or
//! seizure HS-A4(5), the replacement-price ceiling HS-A7.5/HS-P6, the 5 % profit cap HS-P5,
//! Xingyi's 80 m² floor XY-11, the luxury ban HS-A4.2) are not listed here and so can never be
//! waived. HS-P13 and YQ-21 set no cap on a buy-back price, so there is nothing to waive.

use serde::Serialize;

/// Where in the process an exception is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Before acquisition: the HS-A4 review of a listing.
    Review,
    /// After acquisition: prices of the bought units (rent, sale, buy-back).
    Pricing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Waivable {
    pub check_id: &'static str,
    pub rule: &'static str,
    pub stage: Stage,
    pub label_zh: &'static str,
}

/// Every limit the policies phrase as "in principle", with the article it comes from.
pub const WAIVABLE: &[Waivable] = &[
    Waivable {
        check_id: "unit_area_cap",
        rule: "HS-A4.2",
        stage: Stage::Review,
        label_zh: "单套建筑面积原则上不超过上限",
    },
    Waivable {
        check_id: "near_target_share",
        rule: "HS-A4.2",
        stage: Stage::Review,
        label_zh: "以90平方米左右的房源为主",
    },
    Waivable {
        check_id: "whole_building",
        rule: "HS-A4.3",
        stage: Stage::Review,
        label_zh: "原则上整栋或整单元收购",
    },
    // NC-16 (Nanchang draft art. 16): 配售型保障性住房原则上毛坯交付.
    Waivable {
        check_id: "unfinished_handover",
        rule: "NC-16",
        stage: Stage::Review,
        label_zh: "原则上毛坯交付",
    },
    // HS-P8 (Huoshan pricing art. 8): 初次定价原则上不高于市场租金的90%.
    Waivable {
        check_id: "initial_rent_ratio",
        rule: "HS-P8",
        stage: Stage::Pricing,
        label_zh: "初次租金原则上不高于市场租金的90%",
    },
    // HS-P9 (art. 9): 年度涨跌幅度原则上不高于5%.
    Waivable {
        check_id: "rent_change",
        rule: "HS-P9",
        stage: Stage::Pricing,
        label_zh: "租金年度涨跌幅原则上不高于5%",
    },
    // XY-29 (Xingyi art. 29): 不动产权证未满5年的，原则上不得申请回购.
    Waivable {
        check_id: "buyback_within_five_years",
        rule: "XY-29",
        stage: Stage::Pricing,
        label_zh: "取得不动产权证未满5年申请回购",
    },
];

/// The waivable limit with this id, if it is one.
pub fn waivable(check_id: &str) -> Option<&'static Waivable> {
    WAIVABLE.iter().find(|w| w.check_id == check_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hs_a4_5_mortgage_or_seizure_is_not_waivable() {
        assert!(waivable("mortgage_or_seizure").is_none());
        assert!(waivable("unit_area_cap").is_some());
    }

    #[test]
    fn xy_11_the_80_m2_floor_is_hard_and_hs_p13_has_no_cap_to_waive() {
        assert!(waivable("unit_area_floor").is_none());
        assert!(waivable("no_luxury").is_none());
        assert!(waivable("buyback_above_original").is_none());
    }

    #[test]
    fn hs_p6_the_ceiling_and_the_profit_cap_are_not_waivable() {
        for hard in ["price_within_ceiling", "profit_rate", "ceiling"] {
            assert!(waivable(hard).is_none(), "{hard}");
        }
    }

    #[test]
    fn every_waivable_limit_names_a_rule_and_is_listed_once() {
        let mut seen = std::collections::BTreeSet::new();
        for w in WAIVABLE {
            assert!(seen.insert(w.check_id), "{} listed twice", w.check_id);
            assert!(w.rule.contains('-'), "{} has no rule id", w.check_id);
        }
    }
}
