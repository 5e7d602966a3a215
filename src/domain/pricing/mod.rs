//! Prices (DOMAIN.md §3): the replacement-price ceiling of HS-P5 / YQ-7.3.
//!
//! Ceiling per m² = (land + construction) × (1 + profit rate), profit rate ≤ the pack's cap
//! (5 % in all four packs). The per-m² figure is rounded half-up to the fen first; a unit's
//! ceiling is that printed rate × its gross floor area, rounded to the fen — so anyone with a
//! calculator reproduces a printed schedule.

use super::units::{AreaM2, Rate, Yuan, YuanPerM2};
use rust_decimal::Decimal;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PricingError {
    #[error("profit rate {rate} is above the cap {cap}")]
    ProfitRateAboveCap { rate: Decimal, cap: Decimal },
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
