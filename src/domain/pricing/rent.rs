//! Rents of bought units (霍山县保障性住房定价实施细则 arts. 8–9).
//!
//! - HS-P8: the initial rent is at most 90 % (the pack's `initial_rent_max_ratio`) of the
//!   appraised market rent of comparable housing nearby. The rent per m² is that ratio × the
//!   market rent, rounded half-up to the fen (the printed rate); a unit's monthly rent is the
//!   printed rate × its gross floor area, rounded to the fen.
//! - HS-P9: rents are reviewed at least every 2 years (`rent_review_cycle_years`), and change by
//!   at most 5 % a year (`rent_change_max_per_year`), up or down.
//!
//! Compounding chosen for HS-P9: the limit compounds over the **completed** years since the
//! last adjustment, with at least one year: after n completed years (n ≥ 1) a new rent must lie
//! within old × (1 − r)ⁿ … old × (1 + r)ⁿ. An adjustment after 2 years and 3 months may thus move
//! the rent by up to 1.05² − 1 = 10.25 % up or 1 − 0.95² = 9.75 % down; one after 11 months by
//! 5 %. Counting completed rather than started years is the stricter reading; anything beyond it
//! is an "in principle" (原则上) excess that needs a recorded exception.

use super::PricingError;
use crate::domain::units::{AreaM2, Yuan, YuanPerM2};
use chrono::{Months, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RentQuote {
    pub market_rent_per_m2: YuanPerM2,
    pub ratio: Decimal,
    /// Ratio × market rent, rounded half-up to the fen: the printed rate (元/㎡·月).
    pub rent_per_m2: YuanPerM2,
    pub area_m2: AreaM2,
    /// Printed rate × area, rounded half-up to the fen (元/月).
    pub monthly_rent: Yuan,
    /// Whether the ratio passed the pack's cap (allowed only under a recorded exception).
    pub above_cap: bool,
}

/// HS-P8: the initial monthly rent. `waived` is true when an approved exception covers a ratio
/// above the cap.
pub fn initial_rent(
    market_rent_per_m2: YuanPerM2,
    area: AreaM2,
    ratio: Decimal,
    max_ratio: Decimal,
    waived: bool,
) -> Result<RentQuote, PricingError> {
    if ratio <= Decimal::ZERO || ratio > Decimal::ONE {
        return Err(PricingError::OutOfRange {
            field: "ratio",
            message: format!("the rent ratio must be above 0 and at most 1, got {ratio}"),
        });
    }
    if market_rent_per_m2.value() <= Decimal::ZERO {
        return Err(PricingError::NotPositive {
            field: "market_rent_per_m2",
        });
    }
    let above_cap = ratio > max_ratio;
    if above_cap && !waived {
        return Err(PricingError::LimitExceeded {
            rule: "HS-P8",
            message: format!(
                "the initial rent may be at most {} of the market rent; {ratio} needs an approved exception",
                max_ratio
            ),
        });
    }
    let rent_per_m2 = market_rent_per_m2.times(ratio).round_fen();
    Ok(RentQuote {
        market_rent_per_m2,
        ratio,
        rent_per_m2,
        area_m2: area,
        monthly_rent: rent_per_m2.times_area(area).round_fen(),
        above_cap,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RentChange {
    pub old_per_m2: YuanPerM2,
    pub new_per_m2: YuanPerM2,
    /// Completed years since the last adjustment, at least 1.
    pub years_counted: u32,
    /// old × (1 − r)ⁿ, rounded up to the fen (the lowest rent allowed without an exception).
    pub lowest_allowed_per_m2: Decimal,
    /// old × (1 + r)ⁿ, rounded down to the fen (the highest rent allowed without an exception).
    pub highest_allowed_per_m2: Decimal,
    /// new ÷ old − 1, to four decimals.
    pub change: Decimal,
    pub within_limit: bool,
}

/// Completed years from `from` to `to` (both dates), calendar-aware (a year from 29 Feb ends on
/// 28 Feb).
pub fn completed_years(from: NaiveDate, to: NaiveDate) -> u32 {
    let mut n = 0u32;
    while from
        .checked_add_months(Months::new(12 * (n + 1)))
        .is_some_and(|d| d <= to)
    {
        n += 1;
    }
    n
}

/// HS-P9: checks a rent change against the compounded yearly limit.
pub fn rent_change(
    old: YuanPerM2,
    new: YuanPerM2,
    last_adjusted: NaiveDate,
    effective: NaiveDate,
    max_per_year: Decimal,
) -> Result<RentChange, PricingError> {
    if effective <= last_adjusted {
        return Err(PricingError::DatesOutOfOrder {
            field: "effective_date",
            message: format!(
                "the new rent takes effect on {effective}, not after the last adjustment on {last_adjusted}"
            ),
        });
    }
    if old.value() <= Decimal::ZERO || new.value() <= Decimal::ZERO {
        return Err(PricingError::NotPositive {
            field: "rent_per_m2",
        });
    }
    let n = completed_years(last_adjusted, effective).max(1);
    let mut up = Decimal::ONE;
    let mut down = Decimal::ONE;
    for _ in 0..n {
        up *= Decimal::ONE + max_per_year;
        down *= Decimal::ONE - max_per_year;
    }
    let hi = old.value() * up;
    let lo = old.value() * down;
    let within = new.value() <= hi && new.value() >= lo;
    Ok(RentChange {
        old_per_m2: old,
        new_per_m2: new,
        years_counted: n,
        lowest_allowed_per_m2: lo
            .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::ToPositiveInfinity),
        highest_allowed_per_m2: hi
            .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::ToNegativeInfinity),
        change: (new.value() / old.value() - Decimal::ONE)
            .round_dp_with_strategy(4, rust_decimal::RoundingStrategy::MidpointAwayFromZero),
        within_limit: within,
    })
}

/// HS-P9: the date by which a rent set on `last_adjusted` must be reviewed.
pub fn review_due(last_adjusted: NaiveDate, cycle_years: u32) -> NaiveDate {
    last_adjusted
        .checked_add_months(Months::new(12 * cycle_years))
        .unwrap_or(NaiveDate::MAX)
}

/// HS-P9: a rent is overdue for review on and after its due date.
pub fn is_overdue(last_adjusted: NaiveDate, cycle_years: u32, today: NaiveDate) -> bool {
    today >= review_due(last_adjusted, cycle_years)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn per_m2(d: Decimal) -> YuanPerM2 {
        YuanPerM2::positive("r", d).unwrap()
    }
    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn hs_p8_initial_rent_is_at_most_ninety_percent_of_market_rent() {
        // 25.00 元/㎡·月 × 0.9 = 22.50; × 80 ㎡ = 1,800.00 元/月.
        let q = initial_rent(
            per_m2(dec!(25)),
            AreaM2::new("a", dec!(80)).unwrap(),
            dec!(0.9),
            dec!(0.9),
            false,
        )
        .unwrap();
        assert_eq!(q.rent_per_m2.value(), dec!(22.50));
        assert_eq!(q.monthly_rent.value(), dec!(1800.00));
        // 23.45 × 0.85 = 19.9325 → printed 19.93; × 89.37 = 1,781.1441 → 1,781.14.
        let q = initial_rent(
            per_m2(dec!(23.45)),
            AreaM2::new("a", dec!(89.37)).unwrap(),
            dec!(0.85),
            dec!(0.9),
            false,
        )
        .unwrap();
        assert_eq!(q.rent_per_m2.value(), dec!(19.93));
        assert_eq!(q.monthly_rent.value(), dec!(1781.14));
        // 91 % is refused unless an exception covers it.
        let area = AreaM2::new("a", dec!(80)).unwrap();
        assert!(matches!(
            initial_rent(per_m2(dec!(25)), area, dec!(0.91), dec!(0.9), false),
            Err(PricingError::LimitExceeded { rule: "HS-P8", .. })
        ));
        let q = initial_rent(per_m2(dec!(25)), area, dec!(0.91), dec!(0.9), true).unwrap();
        assert!(q.above_cap);
        assert_eq!(q.monthly_rent.value(), dec!(1820.00));
    }

    #[test]
    fn hs_p9_rent_change_compounds_over_completed_years() {
        // 2 years and 3 months: n = 2, highest 20 × 1.05² = 22.05, lowest 20 × 0.95² = 18.05.
        let c = rent_change(
            per_m2(dec!(20)),
            per_m2(dec!(22.05)),
            date("2024-01-01"),
            date("2026-04-01"),
            dec!(0.05),
        )
        .unwrap();
        assert_eq!(c.years_counted, 2);
        assert_eq!(c.highest_allowed_per_m2, dec!(22.05));
        assert_eq!(c.lowest_allowed_per_m2, dec!(18.05));
        assert!(c.within_limit);
        assert_eq!(c.change, dec!(0.1025));
        let c = rent_change(
            per_m2(dec!(20)),
            per_m2(dec!(22.06)),
            date("2024-01-01"),
            date("2026-04-01"),
            dec!(0.05),
        )
        .unwrap();
        assert!(!c.within_limit);
        // 11 months: still one year's 5 %: 21.00 allowed, 21.01 not.
        let ok = rent_change(
            per_m2(dec!(20)),
            per_m2(dec!(21)),
            date("2025-01-01"),
            date("2025-12-01"),
            dec!(0.05),
        )
        .unwrap();
        assert_eq!(ok.years_counted, 1);
        assert!(ok.within_limit);
        assert!(
            !rent_change(
                per_m2(dec!(20)),
                per_m2(dec!(21.01)),
                date("2025-01-01"),
                date("2025-12-01"),
                dec!(0.05)
            )
            .unwrap()
            .within_limit
        );
        // Down by 5.01 % in a year: outside.
        assert!(
            !rent_change(
                per_m2(dec!(100)),
                per_m2(dec!(94.99)),
                date("2025-01-01"),
                date("2026-01-01"),
                dec!(0.05)
            )
            .unwrap()
            .within_limit
        );
        // Dates out of order are refused.
        assert!(matches!(
            rent_change(
                per_m2(dec!(20)),
                per_m2(dec!(21)),
                date("2025-01-01"),
                date("2025-01-01"),
                dec!(0.05)
            ),
            Err(PricingError::DatesOutOfOrder { .. })
        ));
    }

    #[test]
    fn hs_p9_rents_not_reviewed_for_two_years_are_overdue() {
        assert_eq!(review_due(date("2024-02-29"), 2), date("2026-02-28"));
        assert!(!is_overdue(date("2024-11-23"), 2, date("2026-11-22")));
        assert!(is_overdue(date("2024-11-23"), 2, date("2026-11-23")));
        assert_eq!(completed_years(date("2024-02-29"), date("2025-02-28")), 1);
        assert_eq!(completed_years(date("2024-03-01"), date("2025-02-28")), 0);
    }
}
