//! HS-P14 resettlement price (霍山县保障性住房定价实施细则 art. 14; 安置型保障性住房管理办法 art. 7):
//! final acquisition price + the taxes of buying and holding + interest on the acquisition price
//! over the holding period.
//!
//! Interest = price × yearly rate × days ÷ basis, where days are the actual calendar days from
//! the payment date to the resettlement date (the first day counted, the last not) and the basis
//! is a pack parameter: 360 (actual/360, as Chinese bank loans count) by default, or 365. The
//! interest is rounded half-up to the fen as a printed line; the price is the exact sum of the
//! printed lines.

use super::PricingError;
use crate::domain::units::Yuan;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum DayCount {
    #[default]
    Act360,
    Act365,
}

impl DayCount {
    pub fn basis(self) -> i64 {
        match self {
            DayCount::Act360 => 360,
            DayCount::Act365 => 365,
        }
    }
}

impl std::str::FromStr for DayCount {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "act360" => Ok(DayCount::Act360),
            "act365" => Ok(DayCount::Act365),
            other => Err(format!("unknown day count {other:?}: use act360 or act365")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResettlementQuote {
    pub acquisition_price: Yuan,
    pub taxes: Yuan,
    pub rate: Decimal,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub days: i64,
    pub day_count: DayCount,
    /// price × rate × days ÷ basis, rounded half-up to the fen.
    pub interest: Yuan,
    /// acquisition price + taxes + interest.
    pub price: Yuan,
}

pub fn resettlement(
    acquisition_price: Yuan,
    taxes: Yuan,
    rate: Decimal,
    from: NaiveDate,
    to: NaiveDate,
    day_count: DayCount,
) -> Result<ResettlementQuote, PricingError> {
    if acquisition_price.value() <= Decimal::ZERO {
        return Err(PricingError::NotPositive {
            field: "acquisition_price",
        });
    }
    if taxes.is_negative() {
        return Err(PricingError::OutOfRange {
            field: "taxes",
            message: format!("taxes cannot be negative, got {taxes}"),
        });
    }
    if rate < Decimal::ZERO || rate > Decimal::ONE {
        return Err(PricingError::OutOfRange {
            field: "rate",
            message: format!("the yearly interest rate must be between 0 and 1, got {rate}"),
        });
    }
    if to < from {
        return Err(PricingError::DatesOutOfOrder {
            field: "to",
            message: format!("the holding period ends ({to}) before it starts ({from})"),
        });
    }
    let days = (to - from).num_days();
    let interest = acquisition_price
        .times(rate * Decimal::from(days) / Decimal::from(day_count.basis()))
        .round_fen();
    let price = acquisition_price
        .round_fen()
        .checked_add(taxes.round_fen())
        .and_then(|p| p.checked_add(interest))
        .expect("bounded amounts");
    Ok(ResettlementQuote {
        acquisition_price,
        taxes,
        rate,
        from,
        to,
        days,
        day_count,
        interest,
        price,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn hs_p14_resettlement_price_adds_taxes_and_interest() {
        // 2026-01-10 → 2026-07-10 = 181 days. 400,000 × 2.85 % × 181 ÷ 360 = 5,731.666… → 5,731.67;
        // 400,000 + 12,000 + 5,731.67 = 417,731.67.
        let q = resettlement(
            Yuan::new(dec!(400000)).unwrap(),
            Yuan::new(dec!(12000)).unwrap(),
            dec!(0.0285),
            "2026-01-10".parse().unwrap(),
            "2026-07-10".parse().unwrap(),
            DayCount::Act360,
        )
        .unwrap();
        assert_eq!(q.days, 181);
        assert_eq!(q.interest.value(), dec!(5731.67));
        assert_eq!(q.price.value(), dec!(417731.67));
        // actual/365: 400,000 × 2.85 % × 181 ÷ 365 = 5,653.150… → 5,653.15; total 417,653.15.
        let q = resettlement(
            Yuan::new(dec!(400000)).unwrap(),
            Yuan::new(dec!(12000)).unwrap(),
            dec!(0.0285),
            "2026-01-10".parse().unwrap(),
            "2026-07-10".parse().unwrap(),
            DayCount::Act365,
        )
        .unwrap();
        assert_eq!(q.interest.value(), dec!(5653.15));
        assert_eq!(q.price.value(), dec!(417653.15));
    }

    #[test]
    fn hs_p14_refuses_a_holding_period_that_ends_before_it_starts() {
        let e = resettlement(
            Yuan::new(dec!(400000)).unwrap(),
            Yuan::ZERO,
            dec!(0.0285),
            "2026-07-10".parse().unwrap(),
            "2026-01-10".parse().unwrap(),
            DayCount::Act360,
        )
        .unwrap_err();
        assert!(matches!(
            e,
            PricingError::DatesOutOfOrder { field: "to", .. }
        ));
    }
}
