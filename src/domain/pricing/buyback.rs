//! Buy-back prices of sold units, one rule per policy pack (DOMAIN.md §3, §5):
//!
//! - HS-P13 (Huoshan) and YQ-21 (Yangquan): the appraisal decides, weighing the original price,
//!   years of use and the market (HS-P13: the leading group decides). Neither text caps it at the
//!   original price: a price above it is shown (`above_original`) and recorded, not refused.
//! - NC-37 (Nanchang): the original purchase price; decoration, taxes and the maintenance fund
//!   are not refunded.
//! - XY-32 (Xingyi): original × (1 − years × rate), rate ≤ 2 % a year, years from delivery to the
//!   buy-back agreement with a started year counted whole (不满一年按一年计算); the unused
//!   maintenance fund is refunded beside the price. XY-29: within five years of the title date
//!   only for one of the listed cases.
//!
//! The buy-back price is final: rounded half-up to the fen, never below zero.

use super::PricingError;
use super::rent::completed_years;
use crate::domain::units::Yuan;
use chrono::{Months, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// How a pack prices a buy-back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BuybackMethod {
    /// HS-P13, YQ-21.
    Appraisal,
    /// NC-37.
    OriginalPrice,
    /// XY-32.
    Depreciation,
}

/// A listed case in which a buy-back is allowed inside the title lock (XY-29).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListedCase {
    pub key: String,
    pub label: String,
}

/// The buy-back part of a pack's pricing parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuybackParams {
    pub method: BuybackMethod,
    /// The rule ID the method comes from (HS-P13, YQ-21, NC-37, XY-32).
    pub rule: String,
    /// XY-32: the highest yearly depreciation rate.
    #[serde(default)]
    pub max_annual_rate: Option<Decimal>,
    /// XY-29: years after the title date before a buy-back is allowed without a listed case.
    #[serde(default)]
    pub lock_years_from_title: Option<u32>,
    /// XY-29: the listed cases.
    #[serde(default)]
    pub listed_cases: Vec<ListedCase>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuybackInput {
    pub original_price: Yuan,
    pub delivered: NaiveDate,
    pub title_date: NaiveDate,
    pub agreement_date: NaiveDate,
    /// XY-32: the yearly depreciation rate used (defaults to the cap).
    pub rate: Option<Decimal>,
    /// XY-29: the listed case invoked, when within the lock.
    pub case: Option<String>,
    /// HS-P13 / YQ-21: the third-party appraisal.
    pub appraised_price: Option<Yuan>,
    /// XY-32: the unused maintenance fund to refund.
    pub unused_maintenance_fund: Option<Yuan>,
    /// An approved exception covers XY-29's "in principle" bar (within the lock without a
    /// listed case).
    pub waived: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuybackQuote {
    pub method: BuybackMethod,
    pub original_price: Yuan,
    /// XY-32: started years from delivery to the agreement.
    pub years_counted: Option<u32>,
    pub rate: Option<Decimal>,
    /// XY-32: original × years × rate.
    pub depreciation: Option<Yuan>,
    pub appraised_price: Option<Yuan>,
    /// The buy-back price, final to the fen.
    pub price: Yuan,
    /// XY-32: unused maintenance fund refunded beside the price.
    pub maintenance_fund_refund: Option<Yuan>,
    /// Price plus refund: what the owner receives.
    pub total_paid: Yuan,
    /// XY-29: the title lock ends on this date.
    pub lock_ends: Option<NaiveDate>,
    pub within_lock: bool,
    pub case: Option<ListedCase>,
    pub above_original: bool,
    /// What is not refunded (NC-37, YQ-21).
    pub not_refunded: Vec<&'static str>,
}

/// Started years from `from` to `to`: completed years, plus one for a year begun.
pub fn started_years(from: NaiveDate, to: NaiveDate) -> u32 {
    let full = completed_years(from, to);
    match from.checked_add_months(Months::new(12 * full)) {
        Some(d) if d < to => full + 1,
        _ => full,
    }
}

pub fn buyback(p: &BuybackParams, i: &BuybackInput) -> Result<BuybackQuote, PricingError> {
    if i.original_price.value() <= Decimal::ZERO {
        return Err(PricingError::NotPositive {
            field: "original_price",
        });
    }
    if i.agreement_date <= i.delivered {
        return Err(PricingError::DatesOutOfOrder {
            field: "agreement_date",
            message: format!(
                "the buy-back agreement ({}) must come after delivery ({})",
                i.agreement_date, i.delivered
            ),
        });
    }
    if i.agreement_date < i.title_date {
        return Err(PricingError::DatesOutOfOrder {
            field: "agreement_date",
            message: format!(
                "the buy-back agreement ({}) cannot come before the title date ({})",
                i.agreement_date, i.title_date
            ),
        });
    }
    // XY-29: the title lock.
    let lock_ends = p
        .lock_years_from_title
        .and_then(|y| i.title_date.checked_add_months(Months::new(12 * y)));
    let within_lock = lock_ends.is_some_and(|end| i.agreement_date < end);
    let case = match &i.case {
        Some(k) => Some(
            p.listed_cases
                .iter()
                .find(|c| &c.key == k)
                .cloned()
                .ok_or_else(|| PricingError::OutOfRange {
                    field: "case",
                    message: format!(
                        "unknown listed case {k:?}; the pack lists: {}",
                        p.listed_cases
                            .iter()
                            .map(|c| c.key.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                })?,
        ),
        None => None,
    };
    if within_lock && case.is_none() && !i.waived {
        return Err(PricingError::LimitExceeded {
            rule: "XY-29",
            message: format!(
                "no buy-back within {} years of the title date ({}; the lock ends {}) except in a listed case",
                p.lock_years_from_title.unwrap_or_default(),
                i.title_date,
                lock_ends.expect("within the lock")
            ),
        });
    }
    let original = i.original_price;
    let (price, years, rate, depreciation, not_refunded) = match p.method {
        BuybackMethod::OriginalPrice => (
            original.round_fen(),
            None,
            None,
            None,
            vec!["装修费用", "税费", "专项维修资金"],
        ),
        BuybackMethod::Appraisal => {
            let appraised = i.appraised_price.ok_or(PricingError::Missing {
                field: "appraised_price",
                message: format!(
                    "{} prices a buy-back by a third-party appraisal: give the appraised price",
                    p.rule
                ),
            })?;
            if appraised.value() <= Decimal::ZERO {
                return Err(PricingError::NotPositive {
                    field: "appraised_price",
                });
            }
            // HS-P13 / YQ-21: no cap at the original price is stated; a price above it is shown
            // (`above_original`) and recorded with the decision, not refused.
            (
                appraised.round_fen(),
                None,
                None,
                None,
                vec!["购房人自行装修"],
            )
        }
        BuybackMethod::Depreciation => {
            let cap = p.max_annual_rate.unwrap_or(Decimal::new(2, 2));
            let rate = i.rate.unwrap_or(cap);
            if rate < Decimal::ZERO || rate > cap {
                return Err(PricingError::OutOfRange {
                    field: "rate",
                    message: format!(
                        "the yearly depreciation rate must be between 0 and {cap} ({}), got {rate}",
                        p.rule
                    ),
                });
            }
            let years = started_years(i.delivered, i.agreement_date);
            let dep = original.times(Decimal::from(years) * rate);
            let price = original
                .checked_sub(dep)
                .filter(|p| !p.is_negative())
                .unwrap_or(Yuan::ZERO)
                .round_fen();
            (
                price,
                Some(years),
                Some(rate),
                Some(dep.round_fen()),
                vec!["购房家庭自行装修及添附"],
            )
        }
    };
    let refund = match (p.method, i.unused_maintenance_fund) {
        (BuybackMethod::Depreciation, Some(f)) if f.is_negative() => {
            return Err(PricingError::NotPositive {
                field: "unused_maintenance_fund",
            });
        }
        (BuybackMethod::Depreciation, Some(f)) => Some(f.round_fen()),
        _ => None,
    };
    let total = price
        .checked_add(refund.unwrap_or(Yuan::ZERO))
        .expect("bounded amounts");
    Ok(BuybackQuote {
        method: p.method,
        original_price: original,
        years_counted: years,
        rate,
        depreciation,
        appraised_price: i.appraised_price,
        above_original: price > original,
        price,
        maintenance_fund_refund: refund,
        total_paid: total,
        lock_ends,
        within_lock,
        case,
        not_refunded,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }
    fn y(v: Decimal) -> Yuan {
        Yuan::new(v).unwrap()
    }
    pub(crate) fn xingyi() -> BuybackParams {
        BuybackParams {
            method: BuybackMethod::Depreciation,
            rule: "XY-32".into(),
            max_annual_rate: Some(dec!(0.02)),
            lock_years_from_title: Some(5),
            listed_cases: vec![ListedCase {
                key: "relocation".into(),
                label: "工作调动全体家庭成员户籍迁往外地".into(),
            }],
        }
    }
    fn input(agreement: &str) -> BuybackInput {
        BuybackInput {
            original_price: y(dec!(520000)),
            delivered: d("2026-03-01"),
            title_date: d("2026-06-01"),
            agreement_date: d(agreement),
            rate: Some(dec!(0.02)),
            case: None,
            appraised_price: None,
            unused_maintenance_fund: None,
            waived: false,
        }
    }

    #[test]
    fn xy_32_started_year_counts_whole() {
        // 2026-03-01 → 2031-06-02: 5 years and 3 months → 6 years; 520,000 × (1 − 6 × 2 %) = 457,600.00.
        let q = buyback(&xingyi(), &input("2031-06-02")).unwrap();
        assert_eq!(q.years_counted, Some(6));
        assert_eq!(q.depreciation.unwrap().value(), dec!(62400.00));
        assert_eq!(q.price.value(), dec!(457600.00));
        // Exactly 6 years on the day: still 6; one day more: 7.
        assert_eq!(started_years(d("2026-03-01"), d("2032-03-01")), 6);
        assert_eq!(started_years(d("2026-03-01"), d("2032-03-02")), 7);
        // 1.5 % chosen, unused maintenance fund 3,456.78 refunded beside the price:
        // 520,000 × (1 − 6 × 1.5 %) = 473,200.00; paid 476,656.78.
        let mut i = input("2031-06-02");
        i.rate = Some(dec!(0.015));
        i.unused_maintenance_fund = Some(y(dec!(3456.78)));
        let q = buyback(&xingyi(), &i).unwrap();
        assert_eq!(q.price.value(), dec!(473200.00));
        assert_eq!(q.total_paid.value(), dec!(476656.78));
        // Above the 2 % cap: refused.
        i.rate = Some(dec!(0.021));
        assert!(matches!(
            buyback(&xingyi(), &i),
            Err(PricingError::OutOfRange { field: "rate", .. })
        ));
    }

    #[test]
    fn xy_29_no_buyback_within_five_years_of_title_except_listed_cases() {
        // Title 2026-06-01: the lock ends 2031-06-01; an agreement on 2031-05-31 is inside it.
        let e = buyback(&xingyi(), &input("2031-05-31")).unwrap_err();
        assert!(matches!(
            e,
            PricingError::LimitExceeded { rule: "XY-29", .. }
        ));
        let mut i = input("2031-05-31");
        i.case = Some("relocation".into());
        let q = buyback(&xingyi(), &i).unwrap();
        assert!(q.within_lock);
        assert_eq!(q.price.value(), dec!(457600.00));
        i.case = Some("boredom".into());
        assert!(matches!(
            buyback(&xingyi(), &i),
            Err(PricingError::OutOfRange { field: "case", .. })
        ));
        // On the day the lock ends no case is needed.
        assert!(
            !buyback(&xingyi(), &input("2031-06-01"))
                .unwrap()
                .within_lock
        );
    }

    #[test]
    fn nc_37_buyback_at_the_original_price() {
        let p = BuybackParams {
            method: BuybackMethod::OriginalPrice,
            rule: "NC-37".into(),
            max_annual_rate: None,
            lock_years_from_title: None,
            listed_cases: vec![],
        };
        let mut i = input("2028-01-01");
        i.unused_maintenance_fund = Some(y(dec!(5000)));
        let q = buyback(&p, &i).unwrap();
        assert_eq!(q.price.value(), dec!(520000));
        // The maintenance fund is not refunded under NC-37.
        assert_eq!(q.maintenance_fund_refund, None);
        assert_eq!(q.total_paid.value(), dec!(520000));
        assert!(q.not_refunded.contains(&"专项维修资金"));
    }

    #[test]
    fn hs_p13_buyback_by_appraisal_may_come_out_above_the_original_price() {
        let p = BuybackParams {
            method: BuybackMethod::Appraisal,
            rule: "HS-P13".into(),
            max_annual_rate: None,
            lock_years_from_title: None,
            listed_cases: vec![],
        };
        let mut i = input("2029-01-01");
        assert!(matches!(
            buyback(&p, &i),
            Err(PricingError::Missing {
                field: "appraised_price",
                ..
            })
        ));
        i.appraised_price = Some(y(dec!(498765.43)));
        assert_eq!(buyback(&p, &i).unwrap().price.value(), dec!(498765.43));
        // 0.01 above the original 520,000.00: shown and recorded, not refused (no cap in HS-P13).
        i.appraised_price = Some(y(dec!(520000.01)));
        let q = buyback(&p, &i).unwrap();
        assert!(q.above_original);
        assert_eq!(q.price.value(), dec!(520000.01));
    }

    #[test]
    fn yq_21_buyback_by_appraisal() {
        let p = BuybackParams {
            method: BuybackMethod::Appraisal,
            rule: "YQ-21".into(),
            max_annual_rate: None,
            lock_years_from_title: None,
            listed_cases: vec![],
        };
        let mut i = input("2029-01-01");
        i.appraised_price = Some(y(dec!(430000)));
        let q = buyback(&p, &i).unwrap();
        assert_eq!(q.price.value(), dec!(430000));
        assert!(q.not_refunded.contains(&"购房人自行装修"));
        // YQ-21 sets no cap either: an appraisal of 560,000 on 520,000 stands.
        i.appraised_price = Some(y(dec!(560000)));
        let q = buyback(&p, &i).unwrap();
        assert!(q.above_original && q.price.value() == dec!(560000));
    }

    proptest! {
        /// The formula buy-backs (NC-37, XY-32) never pay more than the original price; an
        /// appraisal (HS-P13, YQ-21) pays what it appraised, flagged when above.
        #[test]
        fn nc_37_xy_32_formula_buyback_never_above_the_original_price(
            original in 1i64..100_000_000_00, appraised in 1i64..100_000_000_00,
            days in 1i64..20_000, rate in 0i64..=200, method in 0usize..3,
        ) {
            let mut p = xingyi();
            p.lock_years_from_title = None;
            p.method = [BuybackMethod::Appraisal, BuybackMethod::OriginalPrice, BuybackMethod::Depreciation][method];
            let delivered = d("2020-01-01");
            let i = BuybackInput {
                original_price: Yuan::from_fen(original),
                delivered,
                title_date: delivered,
                agreement_date: delivered + chrono::Duration::days(days),
                rate: Some(Decimal::new(rate, 4)),
                case: None,
                appraised_price: Some(Yuan::from_fen(appraised)),
                unused_maintenance_fund: None,
                waived: false,
            };
            let q = buyback(&p, &i).unwrap();
            prop_assert!(!q.price.is_negative());
            if p.method == BuybackMethod::Appraisal {
                prop_assert_eq!(q.price, Yuan::from_fen(appraised));
                prop_assert_eq!(q.above_original, appraised > original);
            } else {
                prop_assert!(q.price <= q.original_price);
            }
        }
    }
}
