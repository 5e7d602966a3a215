//! Prices (DOMAIN.md §3 and the pricing rows of §5), exact to the fen: the replacement-price
//! ceiling of HS-P5 / YQ-7.3 here; rents (HS-P8, HS-P9) in [`rent`], sale prices (HS-P11, HS-P12,
//! NC-30, XY-13) in [`sale`], buy-backs (HS-P13, YQ-21, NC-37, XY-32, XY-29) in [`buyback`],
//! resettlement (HS-P14) in [`resettlement`], amounts in capitals in [`daxie`]. Each pack's
//! parameters are [`PricingParams`], read from its `policy.toml`.
//!
//! Ceiling per m² = (land + construction) × (1 + profit rate), profit rate ≤ the pack's cap
//! (5 % in HS-P5 and YQ-7.3; 0 in NC-20, which buys at cost; Xingyi states no ceiling). The per-m² figure is rounded half-up to the fen first; a unit's
//! ceiling is that printed rate × its gross floor area, rounded to the fen — so anyone with a
//! calculator reproduces a printed schedule.

pub mod buyback;
pub mod daxie;
pub mod rent;
pub mod resettlement;
pub mod sale;

use super::units::{AreaM2, Rate, Yuan, YuanPerM2};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PricingError {
    #[error("profit rate {rate} is above the cap {cap}")]
    ProfitRateAboveCap { rate: Decimal, cap: Decimal },
    #[error("{field} must be greater than zero")]
    NotPositive { field: &'static str },
    #[error("{message}")]
    OutOfRange {
        field: &'static str,
        message: String,
    },
    #[error("{message}")]
    DatesOutOfOrder {
        field: &'static str,
        message: String,
    },
    #[error("{message}")]
    Missing {
        field: &'static str,
        message: String,
    },
    /// An "in principle" (原则上) limit was passed without an approved exception.
    #[error("{message}")]
    LimitExceeded { rule: &'static str, message: String },
}

impl PricingError {
    /// The input field the refusal is about.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            PricingError::ProfitRateAboveCap { .. } => Some("profit_rate"),
            PricingError::NotPositive { field }
            | PricingError::OutOfRange { field, .. }
            | PricingError::DatesOutOfOrder { field, .. }
            | PricingError::Missing { field, .. } => Some(field),
            PricingError::LimitExceeded { .. } => None,
        }
    }
}

/// A pack's pricing and fund parameters (its `pricing.toml`). A section is absent where the
/// pack's text sets no such rule: then anju refuses the calculation rather than borrow another
/// jurisdiction's figures (DOMAIN.md §5: "where a text sets no number, the pack sets it").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PricingParams {
    /// The acquisition ceiling (HS-P5, YQ-7.3, NC-20); absent where the text states none
    /// (Xingyi).
    #[serde(default)]
    pub ceiling: Option<CeilingParams>,
    /// Rents of let units (HS-P8, HS-P9); absent where the text sets no rent rule.
    #[serde(default)]
    pub rent: Option<RentParams>,
    /// The sale price rule (HS-P11, YQ-17, NC-30, XY-13).
    pub sale: SaleParams,
    /// HS-P14: resettlement prices; absent where the text has no resettlement.
    #[serde(default)]
    pub resettlement: Option<ResettlementParams>,
    pub buyback: buyback::BuybackParams,
    /// Fund rules particular to the pack (NC-20, YQM-16).
    #[serde(default)]
    pub funds: crate::domain::ledger::FundParams,
}

/// The acquisition ceiling of a pack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CeilingParams {
    /// HS-P5, YQ-7.3 or NC-20.
    pub rule: String,
    /// The highest profit rate on land and construction cost: 5 % (HS-P5, YQ-7.3); 0 where the
    /// house is bought at cost (NC-20).
    pub profit_rate_cap: Decimal,
    /// NC-20: the cost is fixed from the final accounts (工程决算) of a new build, otherwise by a
    /// third-party appraisal after a project risk assessment; the valuation names its basis.
    #[serde(default)]
    pub cost_basis_required: bool,
}

/// HS-P8 and HS-P9: the rent rules of let units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RentParams {
    /// HS-P8: initial rent ≤ this share of the market rent, in principle.
    pub initial_max_ratio: Decimal,
    /// HS-P9: yearly change limit, up or down, in principle.
    pub change_max_per_year: Decimal,
    /// HS-P9: the adjustment cycle is generally at most this many years.
    pub review_cycle_years: u32,
    /// HS-P8: who sets the initial rent and who approves it (the county government).
    pub initial_approval: ApprovalChain,
    /// HS-P9: who proposes a change (the operator) and who decides (the leading group).
    pub change_approval: ApprovalChain,
}

/// Who proposes a price and who approves it, step by step, as the text names them. A price binds
/// only once every step approved it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalChain {
    pub proposer: crate::domain::role::Role,
    pub steps: Vec<ApprovalStep>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalStep {
    pub role: crate::domain::role::Role,
    /// The rule that names this approver.
    pub rule: String,
    /// What the step is called in the text (县人民政府批准, 专班办公室研究, …).
    pub label: String,
}

/// Where a proposal stands on its chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum ProposalStatus {
    /// Waiting for step `step` (1-based).
    Pending { step: usize },
    /// Every step approved: the price binds.
    Approved,
    /// A step refused it: it never binds.
    Rejected { step: usize },
}

impl ApprovalChain {
    /// The status after these decisions (step, approved), in step order.
    pub fn status(&self, decisions: &[(usize, bool)]) -> ProposalStatus {
        for n in 1..=self.steps.len() {
            match decisions.iter().find(|(s, _)| *s == n) {
                None => return ProposalStatus::Pending { step: n },
                Some((_, false)) => return ProposalStatus::Rejected { step: n },
                Some((_, true)) => {}
            }
        }
        ProposalStatus::Approved
    }

    fn check(&self, name: &str) -> Result<(), String> {
        if self.steps.is_empty() {
            return Err(format!("{name}: an approval chain needs at least one step"));
        }
        if self.steps.iter().any(|s| s.role == self.proposer) {
            return Err(format!(
                "{name}: the proposer may not approve its own proposal"
            ));
        }
        Ok(())
    }
}

/// The sale price rule of a pack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SaleParams {
    /// HS-P11, YQ-17, NC-30 or XY-13.
    pub rule: String,
    /// The profit cap, only where the text names one (NC-30: 5 %). HS-P11 (综合利润), YQ-17
    /// (保本微利) and XY-13 (保本微利, 适度合理利润) name none: the price is proposed and approved.
    #[serde(default)]
    pub profit_rate_cap: Option<Decimal>,
    /// Who proposes the sale prices and who approves them (HS-P12, YQ-15, NC-30, XY-13).
    pub approval: ApprovalChain,
}

/// HS-P14: resettlement prices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResettlementParams {
    /// The day count of the holding interest (the text says "interest incurred"; the pack says
    /// how it is counted).
    pub day_count: resettlement::DayCount,
}

impl PricingParams {
    /// Refusals of a pack file: rates outside 0–1, a depreciation rule without its cap.
    pub fn check(&self) -> Result<(), String> {
        let mut rates = vec![];
        if let Some(c) = &self.ceiling {
            rates.push(("[ceiling] profit_rate_cap", c.profit_rate_cap));
        }
        if let Some(r) = &self.rent {
            rates.push(("[rent] initial_max_ratio", r.initial_max_ratio));
            rates.push(("[rent] change_max_per_year", r.change_max_per_year));
            if r.review_cycle_years == 0 {
                return Err("[rent] review_cycle_years must be at least 1".into());
            }
            r.initial_approval.check("[rent.initial_approval]")?;
            r.change_approval.check("[rent.change_approval]")?;
        }
        self.sale.approval.check("[sale.approval]")?;
        if let Some(c) = self.sale.profit_rate_cap {
            rates.push(("[sale] profit_rate_cap", c));
        }
        for (name, v) in rates {
            if v < Decimal::ZERO || v > Decimal::ONE {
                return Err(format!("{name} must be between 0 and 1, got {v}"));
            }
        }
        if self.buyback.method == buyback::BuybackMethod::Depreciation
            && self.buyback.max_annual_rate.is_none()
        {
            return Err("[buyback] a depreciation rule needs max_annual_rate".into());
        }
        if self.buyback.lock_years_from_title.is_some() && self.buyback.listed_cases.is_empty() {
            return Err("[buyback] a title lock needs its listed_cases".into());
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CeilingInput {
    pub land_per_m2: YuanPerM2,
    pub construction_per_m2: YuanPerM2,
    pub profit_rate: Rate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Ceiling {
    /// Land + construction, unrounded.
    pub cost_per_m2: YuanPerM2,
    /// Cost × profit rate, unrounded.
    pub profit_per_m2: YuanPerM2,
    /// Cost + profit, rounded half-up to the fen: the printed rate.
    pub ceiling_per_m2: YuanPerM2,
}

/// HS-P5 / YQ-7.3: the replacement price per m²; NC-20 (cap 0): the cost.
pub fn replacement_price(input: &CeilingInput, profit_cap: Rate) -> Result<Ceiling, PricingError> {
    if input.profit_rate > profit_cap {
        return Err(PricingError::ProfitRateAboveCap {
            rate: input.profit_rate.value(),
            cap: profit_cap.value(),
        });
    }
    let cost = input.land_per_m2.value() + input.construction_per_m2.value();
    let profit = cost * input.profit_rate.value();
    let ceiling = YuanPerM2::non_negative("ceiling", cost + profit)
        .expect("sum of non-negative rates")
        .round_fen();
    Ok(Ceiling {
        cost_per_m2: YuanPerM2::non_negative("cost", cost).expect("sum of non-negative rates"),
        profit_per_m2: YuanPerM2::non_negative("profit", profit).expect("non-negative"),
        ceiling_per_m2: ceiling,
    })
}

/// HS-P5: a unit's ceiling = printed rate × gross floor area, rounded half-up to the fen.
pub fn unit_ceiling(ceiling_per_m2: YuanPerM2, area: AreaM2) -> Yuan {
    ceiling_per_m2.times_area(area).round_fen()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn profit_cap() -> Rate {
        Rate::new("profit cap", dec!(0.05)).unwrap()
    }

    fn input(land: Decimal, constr: Decimal, rate: Decimal) -> CeilingInput {
        CeilingInput {
            land_per_m2: YuanPerM2::positive("land", land).unwrap(),
            construction_per_m2: YuanPerM2::positive("c", constr).unwrap(),
            profit_rate: Rate::new("r", rate).unwrap(),
        }
    }

    #[test]
    fn hs_p5_ceiling_per_unit_is_printed_rate_times_area() {
        // (1200 + 2600) × 1.05 = 3990.00 yuan/m²; 89.37 m² × 3990.00 = 356,586.30 yuan.
        let c =
            replacement_price(&input(dec!(1200), dec!(2600), dec!(0.05)), profit_cap()).unwrap();
        assert_eq!(c.ceiling_per_m2.value(), dec!(3990.00));
        assert_eq!(
            unit_ceiling(c.ceiling_per_m2, AreaM2::new("a", dec!(89.37)).unwrap()).value(),
            dec!(356586.30)
        );
        // (1234.56 + 2345.67) × 1.03 = 3687.6369 → printed 3687.64; × 95.55 m² = 350,325.80 + 2,028.202 = 352,354.002 → 352,354.00.
        let c = replacement_price(
            &input(dec!(1234.56), dec!(2345.67), dec!(0.03)),
            profit_cap(),
        )
        .unwrap();
        assert_eq!(c.ceiling_per_m2.value(), dec!(3687.64));
        assert_eq!(
            unit_ceiling(c.ceiling_per_m2, AreaM2::new("a", dec!(95.55)).unwrap()).value(),
            dec!(352354.00)
        );
    }

    #[test]
    fn hs_p5_profit_rate_above_cap_is_refused() {
        assert_eq!(
            replacement_price(&input(dec!(1200), dec!(2600), dec!(0.0501)), profit_cap()),
            Err(PricingError::ProfitRateAboveCap {
                rate: dec!(0.0501),
                cap: dec!(0.05)
            })
        );
    }

    proptest! {
        #[test]
        fn hs_p5_ceiling_never_falls_when_a_cost_rises(land in 1i64..1_000_000, constr in 1i64..1_000_000, bump in 0i64..100_000, rate in 0i64..=500) {
            let r = Decimal::new(rate, 4);
            let a = replacement_price(&input(Decimal::new(land, 2), Decimal::new(constr, 2), r), profit_cap()).unwrap();
            let b = replacement_price(&input(Decimal::new(land + bump, 2), Decimal::new(constr, 2), r), profit_cap()).unwrap();
            let c = replacement_price(&input(Decimal::new(land, 2), Decimal::new(constr + bump, 2), r), profit_cap()).unwrap();
            prop_assert!(b.ceiling_per_m2 >= a.ceiling_per_m2);
            prop_assert!(c.ceiling_per_m2 >= a.ceiling_per_m2);
        }
    }
}
