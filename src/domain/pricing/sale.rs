//! Sale prices of bought units: the base (HS-P11, NC-30, XY-13) and the 一房一价 schedule of
//! unit prices (HS-P12).
//!
//! - Base price per m² = acquisition cost per m² × (1 + profit rate), rounded half-up to the fen:
//!   the project average (项目均价) the operator proposes. Only NC-30 caps the rate (≤ 5 %);
//!   HS-P11 (综合利润), YQ-17 (保本微利) and XY-13 (保本微利, 适度合理利润) name no number, so the
//!   body the text names approves the proposal (DOMAIN.md §5).
//! - Unit prices: each unit's factor is the product of its building, floor, orientation and
//!   layout factors. The factors are normalised so that the area-weighted average of the unit
//!   prices equals the base: the project total T = base × Σ area, rounded to the fen, is shared
//!   among the units in proportion to factor × area.
//! - Rounding remainder: each unit's exact share is floored to the fen; the fen left over
//!   (fewer than the number of units) go one each to the units whose dropped fractions are the
//!   largest, ties to the earlier row (the largest-remainder method). So Σ unit totals = T
//!   exactly, every unit is within one fen of its exact share, and the area-weighted average of
//!   the schedule rounds to the base. A unit's total is the binding figure; its price per m² is
//!   that total ÷ its area, rounded to the fen, for reading.

use super::PricingError;
use crate::domain::units::{AreaM2, Yuan, YuanPerM2};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SaleBase {
    pub cost_per_m2: YuanPerM2,
    pub profit_rate: Decimal,
    /// Cost × (1 + rate), rounded half-up to the fen.
    pub base_per_m2: YuanPerM2,
}

/// HS-P11 / NC-30 / XY-13: the sale base price per m².
pub fn sale_base(
    cost_per_m2: YuanPerM2,
    profit_rate: Decimal,
    cap: Option<Decimal>,
) -> Result<SaleBase, PricingError> {
    if cost_per_m2.value() <= Decimal::ZERO {
        return Err(PricingError::NotPositive {
            field: "cost_per_m2",
        });
    }
    // 保本: never below cost. A cap only where the text names one (NC-30).
    if profit_rate < Decimal::ZERO {
        return Err(PricingError::OutOfRange {
            field: "profit_rate",
            message: format!(
                "profit rate {profit_rate} is below zero: the price must cover the cost (保本)"
            ),
        });
    }
    if let Some(cap) = cap
        && profit_rate > cap
    {
        return Err(PricingError::ProfitRateAboveCap {
            rate: profit_rate,
            cap,
        });
    }
    Ok(SaleBase {
        cost_per_m2,
        profit_rate,
        base_per_m2: cost_per_m2.times(Decimal::ONE + profit_rate).round_fen(),
    })
}

/// One of the four factor tables: a factor per value (e.g. floor "3" → 1.02), and an optional
/// default for values not listed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FactorTable {
    pub default: Option<Decimal>,
    pub values: BTreeMap<String, Decimal>,
}

impl FactorTable {
    fn get(&self, key: &str) -> Option<Decimal> {
        self.values.get(key).copied().or(self.default)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Factors {
    pub building: FactorTable,
    pub floor: FactorTable,
    pub orientation: FactorTable,
    pub layout: FactorTable,
}

/// A unit to price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SaleUnit {
    pub room: String,
    pub building: String,
    pub floor: String,
    pub orientation: String,
    pub layout: String,
    pub area_m2: AreaM2,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScheduleRow {
    pub room: String,
    pub building: String,
    pub floor: String,
    pub orientation: String,
    pub layout: String,
    pub area_m2: AreaM2,
    /// Product of the four factors.
    pub factor: Decimal,
    /// The unit's total price (binding).
    pub total: Yuan,
    /// Total ÷ area, rounded to the fen (for reading).
    pub price_per_m2: YuanPerM2,
    /// Whether this unit received one of the leftover fen.
    pub got_remainder_fen: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Schedule {
    pub base_per_m2: YuanPerM2,
    pub total_area_m2: Decimal,
    /// base × Σ area, rounded to the fen; Σ of the rows' totals.
    pub total: Yuan,
    /// Σ total ÷ Σ area, rounded to the fen: equals the base.
    pub weighted_mean_per_m2: YuanPerM2,
    /// Leftover fen placed by the largest-remainder method.
    pub remainder_fen: i64,
    pub rows: Vec<ScheduleRow>,
}

/// Why a unit could not be priced; `row` is the unit's index in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactorProblem {
    pub row: usize,
    pub column: &'static str,
    pub message: String,
}

/// HS-P12: the 一房一价 schedule.
pub fn unit_prices(
    base_per_m2: YuanPerM2,
    units: &[SaleUnit],
    factors: &Factors,
) -> Result<Schedule, Vec<FactorProblem>> {
    if units.is_empty() {
        return Err(vec![FactorProblem {
            row: 0,
            column: "units",
            message: "no units to price".into(),
        }]);
    }
    let mut problems = Vec::new();
    let mut raw = Vec::with_capacity(units.len());
    for (i, u) in units.iter().enumerate() {
        let mut f = Decimal::ONE;
        for (column, table, key) in [
            ("building", &factors.building, &u.building),
            ("floor", &factors.floor, &u.floor),
            ("orientation", &factors.orientation, &u.orientation),
            ("layout", &factors.layout, &u.layout),
        ] {
            match table.get(key) {
                Some(v) if v > Decimal::ZERO => f *= v,
                Some(v) => problems.push(FactorProblem {
                    row: i,
                    column,
                    message: format!("the {column} factor for {key:?} must be above 0, got {v}"),
                }),
                None => problems.push(FactorProblem {
                    row: i,
                    column,
                    message: format!(
                        "no {column} factor for {key:?} and no default in the [{column}] table"
                    ),
                }),
            }
        }
        raw.push(f);
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let total_area: Decimal = units.iter().map(|u| u.area_m2.value()).sum();
    let target = base_per_m2.value() * total_area;
    let target_fen = (target * Decimal::ONE_HUNDRED)
        .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
    let weights: Vec<Decimal> = units
        .iter()
        .zip(&raw)
        .map(|(u, f)| *f * u.area_m2.value())
        .collect();
    let weight_sum: Decimal = weights.iter().sum();
    // Exact shares in fen, floored; fractions kept for the remainder.
    let mut fen: Vec<Decimal> = Vec::with_capacity(units.len());
    let mut frac: Vec<(Decimal, usize)> = Vec::with_capacity(units.len());
    for (i, w) in weights.iter().enumerate() {
        let share = target_fen * *w / weight_sum;
        let floor = share.floor();
        fen.push(floor);
        frac.push((share - floor, i));
    }
    let floored: Decimal = fen.iter().sum();
    let remainder = target_fen - floored;
    let remainder_n = i64::try_from(remainder).unwrap_or(0);
    // Largest fraction first; ties to the earlier row.
    frac.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut got = vec![false; units.len()];
    if remainder_n >= 0 {
        for &(_, i) in frac.iter().take(remainder_n as usize) {
            fen[i] += Decimal::ONE;
            got[i] = true;
        }
    } else {
        // Only reachable through division rounding at the 28th digit; taken from the smallest.
        for &(_, i) in frac.iter().rev().take(remainder_n.unsigned_abs() as usize) {
            fen[i] -= Decimal::ONE;
            got[i] = true;
        }
    }
    let rows: Vec<ScheduleRow> = units
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let total = Yuan::new(fen[i] / Decimal::ONE_HUNDRED)
                .expect("bounded")
                .round_fen();
            ScheduleRow {
                room: u.room.clone(),
                building: u.building.clone(),
                floor: u.floor.clone(),
                orientation: u.orientation.clone(),
                layout: u.layout.clone(),
                area_m2: u.area_m2,
                factor: raw[i],
                price_per_m2: YuanPerM2::non_negative("price", total.value() / u.area_m2.value())
                    .expect("non-negative")
                    .round_fen(),
                total,
                got_remainder_fen: got[i],
            }
        })
        .collect();
    let total = Yuan::new(target_fen / Decimal::ONE_HUNDRED)
        .expect("bounded")
        .round_fen();
    Ok(Schedule {
        base_per_m2,
        total_area_m2: total_area,
        weighted_mean_per_m2: YuanPerM2::non_negative("mean", total.value() / total_area)
            .expect("non-negative")
            .round_fen(),
        total,
        remainder_fen: remainder_n,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn unit(room: &str, floor: &str, orientation: &str, area: Decimal) -> SaleUnit {
        SaleUnit {
            room: room.into(),
            building: "1".into(),
            floor: floor.into(),
            orientation: orientation.into(),
            layout: "三室".into(),
            area_m2: AreaM2::new("a", area).unwrap(),
        }
    }
    fn table(default: Option<Decimal>, pairs: &[(&str, Decimal)]) -> FactorTable {
        FactorTable {
            default,
            values: pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        }
    }

    #[test]
    fn hs_p11_sale_base_is_cost_plus_profit_with_no_cap_of_its_own() {
        // 3,850.00 × 1.03 = 3,965.50; 3,333.33 × 1.05 = 3,499.9965 → 3,500.00.
        let b = sale_base(
            YuanPerM2::positive("c", dec!(3850)).unwrap(),
            dec!(0.03),
            None,
        )
        .unwrap();
        assert_eq!(b.base_per_m2.value(), dec!(3965.50));
        let b = sale_base(
            YuanPerM2::positive("c", dec!(3333.33)).unwrap(),
            dec!(0.05),
            None,
        )
        .unwrap();
        assert_eq!(b.base_per_m2.value(), dec!(3500.00));
        // HS-P11 names no cap: 8 % passes (3,850 × 1.08 = 4,158.00); below cost (保本) does not.
        let b = sale_base(
            YuanPerM2::positive("c", dec!(3850)).unwrap(),
            dec!(0.08),
            None,
        )
        .unwrap();
        assert_eq!(b.base_per_m2.value(), dec!(4158.00));
        assert!(
            sale_base(
                YuanPerM2::positive("c", dec!(3850)).unwrap(),
                dec!(-0.01),
                None
            )
            .is_err()
        );
        // NC-30: above its 5 % cap is refused.
        assert!(matches!(
            sale_base(
                YuanPerM2::positive("c", dec!(3850)).unwrap(),
                dec!(0.051),
                Some(dec!(0.05))
            ),
            Err(PricingError::ProfitRateAboveCap { .. })
        ));
    }

    #[test]
    fn hs_p12_unit_prices_average_to_the_base_with_the_remainder_placed() {
        // Base 4,000.00; three units of 90, 100 and 110 ㎡ (Σ 300 ㎡, T = 1,200,000.00);
        // floor factors 0.98, 1.00, 1.03, south 1.02, north 0.97 for the third:
        // raw factors 0.9996, 1.02, 0.9991; weights 89.964, 102, 109.901 (Σ 301.865).
        let f = Factors {
            building: table(Some(dec!(1)), &[]),
            floor: table(
                None,
                &[("2", dec!(0.98)), ("5", dec!(1.00)), ("9", dec!(1.03))],
            ),
            orientation: table(None, &[("南", dec!(1.02)), ("北", dec!(0.97))]),
            layout: table(Some(dec!(1)), &[]),
        };
        let units = [
            unit("201", "2", "南", dec!(90)),
            unit("501", "5", "南", dec!(100)),
            unit("901", "9", "北", dec!(110)),
        ];
        let s = unit_prices(YuanPerM2::positive("b", dec!(4000)).unwrap(), &units, &f).unwrap();
        // Shares: 120,000,000 fen × 89.964/301.865 = 35,763,271.66…, × 102/301.865 = 40,547,927.05…,
        // × 109.901/301.865 = 43,688,801.29…; floors sum to 119,999,999, and the one fen left
        // goes to 201, whose dropped fraction (0.66) is the largest.
        assert_eq!(s.total.value(), dec!(1200000.00));
        assert_eq!(s.remainder_fen, 1);
        let totals: Vec<Decimal> = s.rows.iter().map(|r| r.total.value()).collect();
        assert_eq!(
            totals,
            vec![dec!(357632.72), dec!(405479.27), dec!(436888.01)]
        );
        assert!(s.rows[0].got_remainder_fen);
        assert_eq!(s.rows[0].price_per_m2.value(), dec!(3973.70));
        assert_eq!(s.weighted_mean_per_m2.value(), dec!(4000.00));
        // A floor without a factor and no default: refused, naming the row and column.
        let bad = [unit("1101", "11", "南", dec!(90))];
        let e = unit_prices(YuanPerM2::positive("b", dec!(4000)).unwrap(), &bad, &f).unwrap_err();
        assert_eq!(e[0].row, 0);
        assert_eq!(e[0].column, "floor");
    }

    proptest! {
        /// HS-P12: for any units and factors, the rows sum to base × Σ area (to the fen), every
        /// row is within a fen of its exact share, and the area-weighted mean equals the base.
        #[test]
        fn hs_p12_weighted_mean_of_unit_prices_equals_the_base(
            base in 100_00i64..50_000_00,
            units in proptest::collection::vec((1_00i64..300_00, 80i64..=120, 90i64..=110), 1..60),
        ) {
            let base = YuanPerM2::positive("b", Decimal::new(base, 2)).unwrap();
            let mut f = Factors::default();
            let mut list = Vec::new();
            for (i, (area, floor_f, orient_f)) in units.iter().enumerate() {
                f.floor.values.insert(i.to_string(), Decimal::new(*floor_f, 2));
                f.orientation.values.insert(i.to_string(), Decimal::new(*orient_f, 2));
                list.push(SaleUnit {
                    room: i.to_string(), building: "b".into(), floor: i.to_string(),
                    orientation: i.to_string(), layout: "l".into(),
                    area_m2: AreaM2::new("a", Decimal::new(*area, 2)).unwrap(),
                });
            }
            f.building.default = Some(Decimal::ONE);
            f.layout.default = Some(Decimal::ONE);
            let s = unit_prices(base, &list, &f).unwrap();
            let area: Decimal = list.iter().map(|u| u.area_m2.value()).sum();
            let sum: Decimal = s.rows.iter().map(|r| r.total.value()).sum();
            prop_assert_eq!(sum, (base.value() * area).round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero));
            let mean = (sum / area).round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
            prop_assert_eq!(mean, base.value());
            let w: Decimal = s.rows.iter().map(|r| r.factor * r.area_m2.value()).sum();
            for r in &s.rows {
                let exact = sum * r.factor * r.area_m2.value() / w;
                prop_assert!((r.total.value() - exact).abs() < dec!(0.01));
                prop_assert!(r.total.value().scale() <= 2);
            }
        }
    }
}
