//! Exact quantities of the domain: yuan, yuan per m², m², rates.
//!
//! Every quantity is a newtype over `rust_decimal::Decimal` with a private field, built only
//! through constructors that refuse nonsense (negative money where none is allowed, zero or
//! negative area, a rate outside 0–1). Nothing here reads a clock or touches IO.
//!
//! Rounding is always explicit at the call: [`Yuan::round_fen`] rounds half-up (四舍五入, away
//! from zero at the midpoint) to 0.01 yuan and is called only where a rule says an amount is
//! final. Storage form: money as whole fen (`i64`) and area as hundredths of a m² (`i64`), which
//! both SQLite and PostgreSQL sum exactly.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Why a quantity was refused. Messages are lowercase, without a final period.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    #[error("{what} is not a number: {raw:?}")]
    NotANumber { what: &'static str, raw: String },
    #[error("{what} must be greater than zero, got {value}")]
    NotPositive { what: &'static str, value: Decimal },
    #[error("{what} must not be negative, got {value}")]
    Negative { what: &'static str, value: Decimal },
    #[error("{what} has more than {max_dp} decimal places: {value}")]
    TooPrecise {
        what: &'static str,
        value: Decimal,
        max_dp: u32,
    },
    #[error("{what} must be between {min} and {max}, got {value}")]
    OutOfRange {
        what: &'static str,
        value: Decimal,
        min: Decimal,
        max: Decimal,
    },
    #[error("{what} is too large: {value}")]
    TooLarge { what: &'static str, value: Decimal },
}

/// Parses a decimal written by a person: plain digits, optional sign and point; thousands
/// separators (`,`) are accepted because Excel users type them. No exponents, no `NaN`.
pub fn parse_decimal(what: &'static str, raw: &str) -> Result<Decimal, QuantityError> {
    let trimmed = raw.trim();
    // Most numbers carry no separators: read them in place, without a copy.
    let cleaned: std::borrow::Cow<str> = if trimmed.contains([',', '，']) {
        trimmed
            .chars()
            .filter(|c| *c != ',' && *c != '，')
            .collect::<String>()
            .into()
    } else {
        trimmed.into()
    };
    let ok = !cleaned.is_empty()
        && cleaned
            .char_indices()
            .all(|(i, c)| c.is_ascii_digit() || c == '.' || (i == 0 && (c == '-' || c == '+')));
    if !ok {
        return Err(QuantityError::NotANumber {
            what,
            raw: raw.to_string(),
        });
    }
    Decimal::from_str(&cleaned).map_err(|_| QuantityError::NotANumber {
        what,
        raw: raw.to_string(),
    })
}

fn check_dp(what: &'static str, value: Decimal, max_dp: u32) -> Result<Decimal, QuantityError> {
    let v = value.normalize();
    if v.scale() > max_dp {
        return Err(QuantityError::TooPrecise {
            what,
            value,
            max_dp,
        });
    }
    Ok(v)
}

/// Largest amount of money the product stores: 10^13 yuan keeps fen inside `i64` with room
/// for sums of many entries.
const MAX_YUAN: Decimal = Decimal::from_parts(1316134912, 2328, 0, false, 0); // 10_000_000_000_000

/// Half-up to the fen, written with exactly two decimals.
fn fen_scale(v: Decimal) -> Decimal {
    let mut r = v.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    r.rescale(2);
    r
}

/// An exact amount of money in yuan (元). May carry more than two decimals while it is an
/// intermediate result; [`Yuan::round_fen`] makes it final.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    Default,
    utoipa::ToSchema,
)]
#[serde(transparent)]
#[schema(value_type = String, example = "3990.00")]
pub struct Yuan(Decimal);

impl Yuan {
    pub const ZERO: Yuan = Yuan(Decimal::ZERO);

    /// Any finite amount, negative allowed (reversals, differences).
    pub fn new(value: Decimal) -> Result<Self, QuantityError> {
        if value.abs() > MAX_YUAN {
            return Err(QuantityError::TooLarge {
                what: "amount",
                value,
            });
        }
        Ok(Yuan(value))
    }
    /// An amount that must be ≥ 0 (a price, a payment).
    pub fn non_negative(what: &'static str, value: Decimal) -> Result<Self, QuantityError> {
        if value.is_sign_negative() && !value.is_zero() {
            return Err(QuantityError::Negative { what, value });
        }
        Yuan::new(value).map_err(|_| QuantityError::TooLarge { what, value })
    }
    /// An amount that must be > 0.
    pub fn positive(what: &'static str, value: Decimal) -> Result<Self, QuantityError> {
        if value <= Decimal::ZERO {
            return Err(QuantityError::NotPositive { what, value });
        }
        Yuan::new(value).map_err(|_| QuantityError::TooLarge { what, value })
    }
    /// A stored or typed amount in whole fen precision: at most two decimals.
    pub fn parse_fen_exact(what: &'static str, raw: &str) -> Result<Self, QuantityError> {
        let d = parse_decimal(what, raw)?;
        Yuan::new(check_dp(what, d, 2)?)
    }
    pub fn from_fen(fen: i64) -> Self {
        Yuan(Decimal::new(fen, 2))
    }
    pub fn value(self) -> Decimal {
        self.0
    }
    /// Round half-up (四舍五入) to 0.01 yuan. Call only where a rule makes the amount final.
    /// The result always carries two decimals, so a final amount prints as `22.50`, not `22.5`.
    pub fn round_fen(self) -> Yuan {
        Yuan(fen_scale(self.0))
    }
    /// Whole fen for storage. Refuses an amount that still has sub-fen digits, so an unrounded
    /// intermediate can never be stored silently.
    pub fn to_fen(self) -> Result<i64, QuantityError> {
        let v = check_dp("amount", self.0, 2)?;
        let fen = v * Decimal::ONE_HUNDRED;
        i64::try_from(fen).map_err(|_| QuantityError::TooLarge {
            what: "amount",
            value: self.0,
        })
    }
    pub fn checked_add(self, other: Yuan) -> Option<Yuan> {
        self.0.checked_add(other.0).map(Yuan)
    }
    pub fn checked_sub(self, other: Yuan) -> Option<Yuan> {
        self.0.checked_sub(other.0).map(Yuan)
    }
    /// Multiply by a plain factor (a rate, a count); the result is not rounded.
    pub fn times(self, factor: Decimal) -> Yuan {
        Yuan(self.0 * factor)
    }
    pub fn is_negative(self) -> bool {
        self.0.is_sign_negative() && !self.0.is_zero()
    }
}

impl fmt::Display for Yuan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A price or cost per m² of gross floor area (元/m²).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    Default,
    utoipa::ToSchema,
)]
#[serde(transparent)]
#[schema(value_type = String, example = "3990.00")]
pub struct YuanPerM2(Decimal);

impl YuanPerM2 {
    /// A rate that must be > 0 (a cost or price per m²).
    pub fn positive(what: &'static str, value: Decimal) -> Result<Self, QuantityError> {
        if value <= Decimal::ZERO {
            return Err(QuantityError::NotPositive { what, value });
        }
        if value > MAX_YUAN {
            return Err(QuantityError::TooLarge { what, value });
        }
        Ok(YuanPerM2(value))
    }
    pub fn non_negative(what: &'static str, value: Decimal) -> Result<Self, QuantityError> {
        if value.is_sign_negative() && !value.is_zero() {
            return Err(QuantityError::Negative { what, value });
        }
        if value > MAX_YUAN {
            return Err(QuantityError::TooLarge { what, value });
        }
        Ok(YuanPerM2(value))
    }
    pub fn from_fen(fen: i64) -> Self {
        YuanPerM2(Decimal::new(fen, 2))
    }
    pub fn value(self) -> Decimal {
        self.0
    }
    /// Round half-up to 0.01 yuan per m² (the printed rate of a schedule).
    pub fn round_fen(self) -> YuanPerM2 {
        YuanPerM2(fen_scale(self.0))
    }
    pub fn to_fen(self) -> Result<i64, QuantityError> {
        Yuan(self.0).to_fen()
    }
    /// Rate × area, unrounded.
    pub fn times_area(self, area: AreaM2) -> Yuan {
        Yuan(self.0 * area.0)
    }
    pub fn times(self, factor: Decimal) -> YuanPerM2 {
        YuanPerM2(self.0 * factor)
    }
}

impl fmt::Display for YuanPerM2 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A floor area in m² (gross floor area 建筑面积 or usable area 套内面积): always > 0 and at most
/// two decimals, the precision of a surveyor's 测绘 report.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(try_from = "Decimal", into = "Decimal")]
#[schema(value_type = String, example = "89.37")]
pub struct AreaM2(Decimal);

impl AreaM2 {
    pub fn new(what: &'static str, value: Decimal) -> Result<Self, QuantityError> {
        if value <= Decimal::ZERO {
            return Err(QuantityError::NotPositive { what, value });
        }
        if value > Decimal::from(1_000_000) {
            return Err(QuantityError::TooLarge { what, value });
        }
        Ok(AreaM2(check_dp(what, value, 2)?))
    }
    pub fn parse(what: &'static str, raw: &str) -> Result<Self, QuantityError> {
        AreaM2::new(what, parse_decimal(what, raw)?)
    }
    /// An area that may be none at all: what a family owns (0 = 无房).
    pub fn owned(what: &'static str, value: Decimal) -> Result<Self, QuantityError> {
        if value == Decimal::ZERO {
            return Ok(AreaM2(Decimal::ZERO));
        }
        AreaM2::new(what, value)
    }
    /// From storage: hundredths of a m².
    pub fn from_centi(centi: i64) -> Self {
        AreaM2(Decimal::new(centi, 2))
    }
    pub fn to_centi(self) -> i64 {
        i64::try_from(self.0 * Decimal::ONE_HUNDRED).expect("area is bounded at construction")
    }
    pub fn value(self) -> Decimal {
        self.0
    }
}

impl TryFrom<Decimal> for AreaM2 {
    type Error = QuantityError;
    fn try_from(value: Decimal) -> Result<Self, Self::Error> {
        AreaM2::new("area", value)
    }
}
impl From<AreaM2> for Decimal {
    fn from(a: AreaM2) -> Decimal {
        a.0
    }
}
impl fmt::Display for AreaM2 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A fraction between 0 and 1 inclusive (a profit rate, a ratio, an interest rate per year).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "Decimal", into = "Decimal")]
pub struct Rate(Decimal);

impl Rate {
    pub fn new(what: &'static str, value: Decimal) -> Result<Self, QuantityError> {
        if value < Decimal::ZERO || value > Decimal::ONE {
            return Err(QuantityError::OutOfRange {
                what,
                value,
                min: Decimal::ZERO,
                max: Decimal::ONE,
            });
        }
        Ok(Rate(value))
    }
    /// A rate that may not exceed `cap` (for example a profit rate capped by a policy pack).
    pub fn capped(what: &'static str, value: Decimal, cap: Rate) -> Result<Self, QuantityError> {
        if value < Decimal::ZERO || value > cap.0 {
            return Err(QuantityError::OutOfRange {
                what,
                value,
                min: Decimal::ZERO,
                max: cap.0,
            });
        }
        Ok(Rate(value))
    }
    pub fn value(self) -> Decimal {
        self.0
    }
}

impl TryFrom<Decimal> for Rate {
    type Error = QuantityError;
    fn try_from(value: Decimal) -> Result<Self, Self::Error> {
        Rate::new("rate", value)
    }
}
impl From<Rate> for Decimal {
    fn from(r: Rate) -> Decimal {
        r.0
    }
}
impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn round_fen_is_half_up() {
        assert_eq!(
            Yuan::new(dec!(0.005)).unwrap().round_fen().value(),
            dec!(0.01)
        );
        assert_eq!(
            Yuan::new(dec!(0.0049)).unwrap().round_fen().value(),
            dec!(0.00)
        );
        assert_eq!(
            Yuan::new(dec!(2.675)).unwrap().round_fen().value(),
            dec!(2.68)
        );
        assert_eq!(
            Yuan::new(dec!(-2.675)).unwrap().round_fen().value(),
            dec!(-2.68)
        );
    }

    #[test]
    fn to_fen_refuses_unrounded_amounts() {
        assert_eq!(Yuan::new(dec!(12.34)).unwrap().to_fen(), Ok(1234));
        assert!(Yuan::new(dec!(12.345)).unwrap().to_fen().is_err());
        assert_eq!(Yuan::from_fen(-1234).value(), dec!(-12.34));
    }

    #[test]
    fn area_refuses_zero_negative_and_sub_centi() {
        assert!(AreaM2::new("area", dec!(0)).is_err());
        assert!(AreaM2::new("area", dec!(-3)).is_err());
        assert!(AreaM2::new("area", dec!(89.375)).is_err());
        assert_eq!(AreaM2::new("area", dec!(89.370)).unwrap().to_centi(), 8937);
    }

    #[test]
    fn parse_decimal_accepts_separators_and_refuses_words() {
        assert_eq!(parse_decimal("x", "1,234.50").unwrap(), dec!(1234.50));
        assert!(parse_decimal("x", "1e5").is_err());
        assert!(parse_decimal("x", "abc").is_err());
        assert!(parse_decimal("x", "").is_err());
        assert!(parse_decimal("x", "NaN").is_err());
    }

    #[test]
    fn rate_is_bounded() {
        assert!(Rate::new("r", dec!(1.01)).is_err());
        assert!(
            Rate::capped(
                "profit rate",
                dec!(0.051),
                Rate::new("cap", dec!(0.05)).unwrap()
            )
            .is_err()
        );
        assert!(
            Rate::capped(
                "profit rate",
                dec!(0.05),
                Rate::new("cap", dec!(0.05)).unwrap()
            )
            .is_ok()
        );
    }

    #[test]
    fn max_yuan_constant_is_ten_trillion() {
        assert_eq!(MAX_YUAN, dec!(10000000000000));
    }
}
