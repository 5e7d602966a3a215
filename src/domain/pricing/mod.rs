//! Prices (DOMAIN.md §3 and the pricing rows of §5), exact to the fen: the replacement-price
//! ceiling of HS-P5 / YQ-7.3 here; rents (HS-P8, HS-P9) in [`rent`], sale prices (HS-P11, HS-P12,
//! NC-30, XY-13) in [`sale`], buy-backs (HS-P13, YQ-21, NC-37, XY-32, XY-29) in [`buyback`],
//! resettlement (HS-P14) in [`resettlement`], amounts in capitals in [`daxie`]. Each pack's
//! parameters are [`PricingParams`], read from its `policy.toml`.
//!
//! Ceiling per m² = (land + construction) × (1 + profit rate), profit rate ≤ the pack's cap
//! (5 % in all four packs). The per-m² figure is rounded half-up to the fen first; a unit's
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

/// A pack's pricing and fund parameters (its `pricing.toml`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PricingParams {
    /// HS-P5 / YQ-7.3: the highest profit rate in the replacement price.
    pub profit_rate_cap: Decimal,
    /// HS-P8: initial rent ≤ this share of the market rent.
    pub initial_rent_max_ratio: Decimal,
    /// HS-P9: yearly rent change limit, up or down.
    pub rent_change_max_per_year: Decimal,
    /// HS-P9: rents are reviewed at least this often.
    pub rent_review_cycle_years: u32,
    /// The sale-price rule of the pack (HS-P11, NC-30, XY-13).
    pub sale_rule: String,
    /// Its profit cap.
    pub sale_profit_rate_cap: Decimal,
    /// HS-P14: day count of the holding interest.
    #[serde(default)]
    pub resettlement_day_count: resettlement::DayCount,
    pub buyback: buyback::BuybackParams,
    /// Fund rules particular to the pack (NC-20, YQM-16).
    #[serde(default)]
    pub funds: crate::domain::ledger::FundParams,
}

impl PricingParams {
    /// Refusals of a pack file: rates outside 0–1, a depreciation rule without its cap.
    pub fn check(&self) -> Result<(), String> {
        for (name, v) in [
            ("profit_rate_cap", self.profit_rate_cap),
            ("initial_rent_max_ratio", self.initial_rent_max_ratio),
            ("rent_change_max_per_year", self.rent_change_max_per_year),
            ("sale_profit_rate_cap", self.sale_profit_rate_cap),
        ] {
            if v < Decimal::ZERO || v > Decimal::ONE {
                return Err(format!("[pricing] {name} must be between 0 and 1, got {v}"));
            }
        }
        if self.rent_review_cycle_years == 0 {
            return Err("[pricing] rent_review_cycle_years must be at least 1".into());
        }
        if self.buyback.method == buyback::BuybackMethod::Depreciation
            && self.buyback.max_annual_rate.is_none()
        {
            return Err("[pricing.buyback] a depreciation rule needs max_annual_rate".into());
        }
        if self.buyback.lock_years_from_title.is_some() && self.buyback.listed_cases.is_empty() {
            return Err("[pricing.buyback] a title lock needs its listed_cases".into());
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

/// HS-P5 / YQ-7.3: the replacement price per m².
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

/// The profit-rate cap of HS-P5 (Huoshan), YQ-7.3 (Yangquan), NC-30 (Nanchang); Xingyi's
/// 保本微利 (XY-13) is read as the same 5 %.
pub fn profit_cap() -> Rate {
    Rate::new("profit cap", Decimal::new(5, 2)).expect("5 % is a rate")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

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
