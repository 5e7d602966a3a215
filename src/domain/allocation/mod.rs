//! From a bought unit to a household (ALLOCATION.md §1–§8): who may buy, the materials, the
//! verifying departments, publicity, the waiting list, the sale plan, tiers, the lottery,
//! selection with its bans, and the contract with the title annotation. Each pack's
//! `allocation.toml` is [`AllocationRules`], checked at load like the workflow files.
//!
//! Pure, like the rest of `domain/`: no clock, no database, no files.

pub mod eligibility;
pub mod household;
pub mod lottery;

use crate::domain::calendar::DeadlineUnit;
use crate::domain::role::Role;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A verifying department (ALLOCATION.md §3): its key, its name, what it checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Department {
    pub key: String,
    pub label: String,
    /// What it verifies (YQ-4: 公安 permanent residence, 民政 marriage and low-income status, …).
    pub checks: String,
    pub rule: String,
}

/// A period a text sets, with its unit and whether it is a minimum ("不少于") or exact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Period {
    pub amount: u32,
    pub unit: DeadlineUnit,
    pub rule: String,
}

/// A ban a text sets for a case (ALLOCATION.md §11).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BanRule {
    pub case: BanCase,
    /// For YQ-14's abandonments: which selection this is (1st → 2 years, 2nd → 5 years).
    #[serde(default)]
    pub nth: Option<u32>,
    pub years: u32,
    pub rule: String,
    /// What the ban covers.
    pub scope: BanScope,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum BanCase {
    /// On the selection list but absent (XY-36).
    AbsentFromSelection,
    /// Abandoning after selecting (YQ-14; NC-38.1.1 counts it as a voluntary exit).
    AbandonAfterSelection,
    /// Abandoning after paying the deposit (XY-25.5).
    AbandonAfterDeposit,
    /// Selected but no contract in time (XY-36; NC-38.1.1).
    NoContractInTime,
    /// Voluntary exit after buying (NC-38).
    VoluntaryExit,
    /// Passive exit (NC-38) or fraud found after buying (XY-37).
    PassiveExit,
    /// Fraud found before buying (XY-37).
    FraudBeforePurchase,
}

impl BanCase {
    pub fn label_zh(self) -> &'static str {
        match self {
            BanCase::AbsentFromSelection => "入围选房名单但不参加选房",
            BanCase::AbandonAfterSelection => "选房后弃购",
            BanCase::AbandonAfterDeposit => "缴纳定金后放弃购买",
            BanCase::NoContractInTime => "选房后未在规定时间内签订购房合同",
            BanCase::VoluntaryExit => "主动退出",
            BanCase::PassiveExit => "被动退出（含骗购查实后回购）",
            BanCase::FraudBeforePurchase => "弄虚作假取得资格（未购房）",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BanScope {
    /// Applications to buy sale-type (or, YQ-14, any affordable) housing.
    Sale,
    /// Buying or renting any policy housing (XY-37).
    AnyPolicyHousing,
    /// Rental applications (HS-R12).
    Rental,
}

/// How a sale orders its buyers (YQ-15, NC-33, XY-25.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SaleMethod {
    /// 摇号 / 抽签.
    Lottery,
    /// NC-33: 评分.
    Scoring,
    /// XY-25.3: 先到先购、随到随购, when applicants do not outnumber units.
    FirstCome,
}

/// A pack's sale rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SaleRules {
    /// The methods the text allows (NC-33: lottery, drawing lots, scoring).
    pub methods: Vec<SaleMethod>,
    /// XY-25.3: a lottery when applicants outnumber units, otherwise first come.
    #[serde(default)]
    pub first_come_when_not_oversubscribed: bool,
    /// XY-25.3: the draw is notarised on site.
    #[serde(default)]
    pub notarised: bool,
    /// XY-25.4: a deposit paid on site locks the unit.
    #[serde(default)]
    pub deposit_locks: bool,
    /// The title annotation, verbatim (YQ-18, NC-35, XY-28).
    pub annotation: String,
    pub annotation_rule: String,
    /// NC-35: the owner column names both spouses.
    #[serde(default)]
    pub both_spouses_on_title: bool,
    /// NC-36: the results go to the archives of the housing departments named.
    #[serde(default)]
    pub archive_to: Vec<String>,
    /// Who writes the sale plan and who approves it (YQ-15: the acquirer, the city housing
    /// bureau; NC-33: the 保障房公司, the 专班办公室 then the city government; XY-13: the
    /// 开发建设单位, the city government).
    pub plan_approval: crate::domain::pricing::ApprovalChain,
}

/// A pack's allocation rules (`allocation.toml`). The periods of the application flow (the
/// publicity, XY-18's review and completion periods) are deadlines of the pack's
/// `application.toml`, set by its `policy.toml` parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllocationRules {
    /// Whether the pack's texts describe a sale path at all (Huoshan's sale rules are Lu'an
    /// city's, not among the sources: no sale flow until that text is added).
    pub sale_path: bool,
    /// Why not, when not.
    #[serde(default)]
    pub note: Option<String>,
    /// Who accepts applications (YQ-12: 社区（村）; NC-26: 区住房保障部门; XY-18: 受理单位).
    #[serde(default)]
    pub accepting_unit: String,
    /// The roles that accept and first-review applications.
    #[serde(default)]
    pub accepted_by: Vec<Role>,
    /// The materials an application carries (YQ-13, NC-26, XY-22), key → label.
    #[serde(default)]
    pub materials: BTreeMap<String, String>,
    #[serde(default)]
    pub materials_rule: String,
    /// The departments that verify (YQ-4, NC-27, XY-4).
    #[serde(default)]
    pub departments: Vec<Department>,
    /// Re-review: how long a refused family has to ask (XY-20: 15 days) and how long the answer
    /// may take (15 working days); `None` where the text sets no deadline.
    #[serde(default)]
    pub rereview_request: Option<Period>,
    #[serde(default)]
    pub rereview_answer: Option<Period>,
    /// NC-28: 复核一次 — how many re-reviews a refusal allows (`None`: the text sets no limit).
    #[serde(default)]
    pub rereviews_allowed: Option<u32>,
    #[serde(default)]
    pub eligibility: Option<eligibility::EligibilityRules>,
    #[serde(default)]
    pub bans: Vec<BanRule>,
    #[serde(default)]
    pub sale: Option<SaleRules>,
}

impl AllocationRules {
    /// Refusals of a pack file.
    pub fn check(&self) -> Result<(), String> {
        if !self.sale_path {
            if self.note.as_deref().unwrap_or("").trim().is_empty() {
                return Err("a pack without a sale path says why (note)".into());
            }
            return Ok(());
        }
        let e = self
            .eligibility
            .as_ref()
            .ok_or("a sale path needs [eligibility]")?;
        e.check()?;
        if self.sale.is_none() {
            return Err("a sale path needs [sale]".into());
        }
        if self.accepted_by.is_empty() {
            return Err("name the roles that accept applications (accepted_by)".into());
        }
        if self.departments.is_empty() {
            return Err("name the verifying departments".into());
        }
        let mut keys = std::collections::BTreeSet::new();
        for d in &self.departments {
            if !keys.insert(&d.key) {
                return Err(format!("department {:?} is listed twice", d.key));
            }
        }
        Ok(())
    }

    /// The ban a case carries in this pack, for the `nth` occurrence where the text counts.
    pub fn ban_for(&self, case: BanCase, nth: u32) -> Option<&BanRule> {
        let mut fitting: Vec<&BanRule> = self.bans.iter().filter(|b| b.case == case).collect();
        fitting.sort_by_key(|b| b.nth.unwrap_or(0));
        fitting
            .iter()
            .rev()
            .find(|b| b.nth.is_none_or(|n| n <= nth))
            .copied()
    }
}

/// When a ban ends: the same month-day `years` later (DOMAIN.md §6: a ban ends on its calendar
/// date, 29 February → 28 February).
pub fn ban_ends(start: NaiveDate, years: u32) -> NaiveDate {
    crate::domain::calendar::add_years_clamped(start, years).expect("a date within range")
}

/// The next entrant to choose (递补, XY-25.4): the first in lottery order with no outcome yet.
pub fn next_to_choose<'a>(
    order: &'a [String],
    decided: &std::collections::BTreeSet<String>,
) -> Option<&'a String> {
    order.iter().find(|a| !decided.contains(*a))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(bans: Vec<BanRule>) -> AllocationRules {
        AllocationRules {
            sale_path: true,
            note: None,
            accepting_unit: String::new(),
            accepted_by: vec![],
            materials: Default::default(),
            materials_rule: String::new(),
            departments: vec![],
            rereview_request: None,
            rereview_answer: None,
            rereviews_allowed: None,
            eligibility: None,
            bans,
            sale: None,
        }
    }

    #[test]
    fn yq_14_abandoning_bars_two_years_after_a_first_selection_and_five_after_a_second() {
        let r = rules(vec![
            BanRule {
                case: BanCase::AbandonAfterSelection,
                nth: Some(1),
                years: 2,
                rule: "YQ-14".into(),
                scope: BanScope::Sale,
            },
            BanRule {
                case: BanCase::AbandonAfterSelection,
                nth: Some(2),
                years: 5,
                rule: "YQ-14".into(),
                scope: BanScope::Sale,
            },
        ]);
        assert_eq!(
            r.ban_for(BanCase::AbandonAfterSelection, 1).unwrap().years,
            2
        );
        assert_eq!(
            r.ban_for(BanCase::AbandonAfterSelection, 2).unwrap().years,
            5
        );
        assert_eq!(
            r.ban_for(BanCase::AbandonAfterSelection, 3).unwrap().years,
            5
        );
        assert!(
            r.ban_for(BanCase::AbsentFromSelection, 1).is_none(),
            "no such case in YQ"
        );
        // A ban ends on its calendar date: 2 years from 2026-12-03 → 2028-12-03; 29 Feb → 28 Feb.
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(ban_ends(d("2026-12-03"), 2), d("2028-12-03"));
        assert_eq!(ban_ends(d("2028-02-29"), 5), d("2033-02-28"));
    }

    #[test]
    fn xy_25_4_the_next_in_lottery_order_moves_up() {
        let order: Vec<String> = ["A", "B", "C"].iter().map(|s| s.to_string()).collect();
        let mut decided = std::collections::BTreeSet::new();
        assert_eq!(next_to_choose(&order, &decided).unwrap(), "A");
        decided.insert("A".to_string());
        assert_eq!(next_to_choose(&order, &decided).unwrap(), "B");
        decided.insert("B".to_string());
        decided.insert("C".to_string());
        assert!(next_to_choose(&order, &decided).is_none());
    }
}
