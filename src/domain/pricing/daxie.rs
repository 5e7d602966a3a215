//! 大写金额: an amount in capital Chinese numerals, as the rules for filling in bills and
//! settlement vouchers require (中国人民银行《支付结算办法》附件一《正确填写票据和结算凭证的基本规定》).
//!
//! The choices this module makes where the rules allow two forms, so every printed amount in the
//! product reads the same:
//! - 10–19 yuan are written with 壹: ￥16.00 → 壹拾陆元整 (the rules: "壹拾…").
//! - An amount that ends at 元 ends in 整; one that ends at 角 also ends in 整 (the rules allow
//!   either; we write it, so no digit can be added after printing); one that ends at 分 does not.
//! - Zeros are read as in standard Chinese numerals: zeros at the end of a four-digit section
//!   (万, 亿) are not written; any other run of zeros, including a whole zero section, is one 零:
//!   ￥100001000 → 壹亿零壹仟元整.
//! - A run of zeros inside the integer part is written as one 零: ￥6007.14 → 陆仟零柒元壹角肆分;
//!   ￥100050 → 壹拾万零伍拾元整. A zero 万 digit before a non-zero 千 digit writes no 零:
//!   ￥107000.53 → 壹拾万柒仟元零伍角叁分 (the first form of the rules' example).
//! - When the 元 digit is 0 and 角 is not, 零 is written after 元: ￥1680.32 → 壹仟陆佰捌拾元零叁角贰分
//!   (the first of the two forms the rules give); when 角 is 0 and 分 is not, 零 is always written:
//!   ￥325.04 → 叁佰贰拾伍元零肆分.
//! - Amounts below one yuan start at their first non-zero digit: ￥0.05 → 伍分; zero is 零元整.
//!
//! Range: 0.00 to 999,999,999,999.99 yuan, at most two decimal places; negative amounts are
//! refused (a bill carries no sign).

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

const DIGITS: [char; 10] = ['零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖'];
/// Units inside a four-digit section, from the ones place up.
const SECTION_UNITS: [&str; 4] = ["", "拾", "佰", "仟"];
/// Units of whole sections, from the ones section up.
const SECTION_NAMES: [&str; 3] = ["", "万", "亿"];

/// The largest amount written: 999,999,999,999.99 yuan.
pub fn max_amount() -> Decimal {
    Decimal::new(99_999_999_999_999, 2)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DaxieError {
    #[error("an amount in capitals cannot be negative: {0}")]
    Negative(Decimal),
    #[error("an amount in capitals has at most two decimal places (fen): {0}")]
    TooPrecise(Decimal),
    #[error("an amount in capitals is at most 999,999,999,999.99 yuan: {0}")]
    TooLarge(Decimal),
}

/// The amount in capitals, e.g. 123456.78 → 壹拾贰万叁仟肆佰伍拾陆元柒角捌分.
pub fn daxie(amount: Decimal) -> Result<String, DaxieError> {
    if amount.is_sign_negative() && !amount.is_zero() {
        return Err(DaxieError::Negative(amount));
    }
    if amount.normalize().scale() > 2 {
        return Err(DaxieError::TooPrecise(amount));
    }
    if amount > max_amount() {
        return Err(DaxieError::TooLarge(amount));
    }
    let fen_total = (amount * Decimal::ONE_HUNDRED)
        .trunc()
        .to_u64()
        .expect("checked range fits u64");
    let yuan = fen_total / 100;
    let jiao = ((fen_total / 10) % 10) as usize;
    let fen = (fen_total % 10) as usize;

    let mut out = integer_part(yuan);
    if yuan == 0 && jiao == 0 && fen == 0 {
        return Ok("零元整".to_string());
    }
    if yuan > 0 {
        out.push('元');
    }
    match (jiao, fen) {
        (0, 0) => out.push('整'),
        (j, 0) => {
            if yuan > 0 && yuan.is_multiple_of(10) {
                out.push('零');
            }
            out.push(DIGITS[j]);
            out.push_str("角整");
        }
        (0, f) => {
            if yuan > 0 {
                out.push('零');
            }
            out.push(DIGITS[f]);
            out.push('分');
        }
        (j, f) => {
            if yuan > 0 && yuan.is_multiple_of(10) {
                out.push('零');
            }
            out.push(DIGITS[j]);
            out.push('角');
            out.push(DIGITS[f]);
            out.push('分');
        }
    }
    Ok(out)
}

/// The whole-yuan part, section by section (亿, 万, ones), one 零 for any run of zeros.
fn integer_part(yuan: u64) -> String {
    if yuan == 0 {
        return String::new();
    }
    let sections = [
        (yuan / 100_000_000) as u32,
        ((yuan / 10_000) % 10_000) as u32,
        (yuan % 10_000) as u32,
    ];
    let mut out = String::new();
    // A whole section of zeros was skipped since the last section written.
    let mut skipped_section = false;
    for (i, &section) in sections.iter().enumerate() {
        if section == 0 {
            skipped_section |= !out.is_empty();
            continue;
        }
        // Zeros bridging into this section: a skipped section, or leading zeros of this one.
        if !out.is_empty() && (skipped_section || section < 1000) {
            out.push('零');
        }
        skipped_section = false;
        // Zeros inside the section: one 零 before the next non-zero digit; trailing ones unwritten.
        let mut zero_run = false;
        let mut started = false;
        for place in (0..4).rev() {
            let d = (section / 10u32.pow(place)) % 10;
            if d == 0 {
                zero_run |= started;
                continue;
            }
            if zero_run {
                out.push('零');
                zero_run = false;
            }
            started = true;
            out.push(DIGITS[d as usize]);
            out.push_str(SECTION_UNITS[place as usize]);
        }
        out.push_str(SECTION_NAMES[2 - i]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn dx(d: Decimal) -> String {
        daxie(d).unwrap()
    }

    /// The worked examples of 《正确填写票据和结算凭证的基本规定》, in the forms this module chose.
    #[test]
    fn daxie_follows_the_bill_rules_worked_examples() {
        assert_eq!(dx(dec!(123456.78)), "壹拾贰万叁仟肆佰伍拾陆元柒角捌分");
        assert_eq!(dx(dec!(1409.50)), "壹仟肆佰零玖元伍角整");
        assert_eq!(dx(dec!(6007.14)), "陆仟零柒元壹角肆分");
        assert_eq!(dx(dec!(1680.32)), "壹仟陆佰捌拾元零叁角贰分");
        assert_eq!(dx(dec!(107000.53)), "壹拾万柒仟元零伍角叁分");
        assert_eq!(dx(dec!(16409.02)), "壹万陆仟肆佰零玖元零贰分");
        assert_eq!(dx(dec!(325.04)), "叁佰贰拾伍元零肆分");
        assert_eq!(dx(dec!(16)), "壹拾陆元整");
        assert_eq!(dx(dec!(0)), "零元整");
        assert_eq!(dx(dec!(0.05)), "伍分");
        assert_eq!(dx(dec!(0.5)), "伍角整");
        assert_eq!(dx(dec!(100050)), "壹拾万零伍拾元整");
        assert_eq!(dx(dec!(100000000)), "壹亿元整");
        assert_eq!(dx(dec!(1000000050)), "壹拾亿零伍拾元整");
        assert_eq!(dx(dec!(100010000)), "壹亿零壹万元整");
        assert_eq!(dx(dec!(100001000)), "壹亿零壹仟元整");
        assert_eq!(dx(dec!(356586.30)), "叁拾伍万陆仟伍佰捌拾陆元叁角整");
        assert_eq!(
            dx(max_amount()),
            "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"
        );
    }

    #[test]
    fn daxie_refuses_what_a_bill_cannot_carry() {
        assert_eq!(daxie(dec!(-1)), Err(DaxieError::Negative(dec!(-1))));
        assert_eq!(daxie(dec!(1.005)), Err(DaxieError::TooPrecise(dec!(1.005))));
        assert!(matches!(
            daxie(dec!(1000000000000)),
            Err(DaxieError::TooLarge(_))
        ));
        // Trailing zeros beyond the fen are not extra precision.
        assert_eq!(dx(dec!(1.500)), "壹元伍角整");
    }

    /// An independent implementation, written the other way round: spell every digit with its
    /// place (零仟, 零佰 …), then reduce by textual rules, as bank clerks' spreadsheets do.
    fn reference(fen_total: u64) -> String {
        let yuan = fen_total / 100;
        let jiao = (fen_total / 10 % 10) as usize;
        let fen = (fen_total % 10) as usize;
        let places = [
            "", "拾", "佰", "仟", "万", "拾", "佰", "仟", "亿", "拾", "佰", "仟",
        ];
        let digits: Vec<usize> = yuan
            .to_string()
            .chars()
            .map(|c| c.to_digit(10).unwrap() as usize)
            .collect();
        let mut s = String::new();
        if yuan > 0 {
            for (i, d) in digits.iter().enumerate() {
                let place = digits.len() - 1 - i;
                s.push(DIGITS[*d]);
                s.push_str(places[place]);
            }
            let mut prev = String::new();
            while prev != s {
                prev = s.clone();
                s = s
                    .replace("零拾", "零")
                    .replace("零佰", "零")
                    .replace("零仟", "零")
                    .replace("零零", "零")
                    .replace("零亿", "亿")
                    .replace("亿零万", "亿零")
                    .replace("零万", "万")
                    .replace("亿万", "亿");
            }
            while s.ends_with('零') {
                s.pop();
            }
            s.push('元');
        }
        let zero_after_yuan = yuan > 0 && yuan.is_multiple_of(10);
        match (jiao, fen) {
            (0, 0) if yuan == 0 => "零元整".to_string(),
            (0, 0) => s + "整",
            (j, 0) => format!(
                "{s}{}{}角整",
                if zero_after_yuan { "零" } else { "" },
                DIGITS[j]
            ),
            (0, f) => format!("{s}{}{}分", if yuan > 0 { "零" } else { "" }, DIGITS[f]),
            (j, f) => format!(
                "{s}{}{}角{}分",
                if zero_after_yuan { "零" } else { "" },
                DIGITS[j],
                DIGITS[f]
            ),
        }
    }

    #[test]
    fn daxie_reference_agrees_on_the_worked_examples() {
        assert_eq!(reference(12345678), "壹拾贰万叁仟肆佰伍拾陆元柒角捌分");
        assert_eq!(reference(100005000), "壹佰万零伍拾元整");
        assert_eq!(reference(100000005000), "壹拾亿零伍拾元整");
        assert_eq!(reference(10000100000), "壹亿零壹仟元整");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]
        /// Every amount from 0.01 to 999,999,999,999.99, drawn across all magnitudes and with
        /// runs of zeros, agrees with the independent implementation.
        #[test]
        fn daxie_matches_an_independent_implementation(
            digits in proptest::collection::vec(prop_oneof![3 => Just(0u64), 7 => 0u64..10], 1..=14)
        ) {
            let fen = digits.iter().fold(0u64, |acc, d| acc * 10 + d).max(1);
            let amount = Decimal::new(fen as i64, 2);
            prop_assert_eq!(daxie(amount).unwrap(), reference(fen));
        }
    }
}
