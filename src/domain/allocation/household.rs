//! A household applying for sale-type housing (申请家庭, ALLOCATION.md §1–§2): the members with
//! their identity, hukou, marriage, income and insurance, the family's housing and its history
//! of policy housing. Parsed once from its input (`TryFrom`), so every later rule reads checked
//! data: an ID number with a wrong check digit, a negative income or dates out of order never
//! get in.
//!
//! Personal data is masked wherever a person does not need it, as Chinese public notices do:
//! names `张*明`, ID numbers `1401**********1234` ([`mask_name`], [`IdNumber::masked`]).

use crate::domain::units::{AreaM2, Yuan};
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A resident identity card number (GB 11643-1999): 17 digits and a check character, with a
/// real birth date in positions 7–14.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IdNumber(String);

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

impl IdNumber {
    pub fn parse(raw: &str) -> Result<IdNumber, String> {
        let s = raw.trim().to_ascii_uppercase();
        let chars: Vec<char> = s.chars().collect();
        if chars.len() != 18 {
            return Err(format!(
                "an ID number has 18 characters, this one {}",
                chars.len()
            ));
        }
        let mut sum = 0u32;
        for (i, c) in chars[..17].iter().enumerate() {
            let d = c
                .to_digit(10)
                .ok_or_else(|| format!("character {} of the ID number is not a digit", i + 1))?;
            sum += d * WEIGHTS[i];
        }
        let expected = CHECK[(sum % 11) as usize];
        if chars[17] != expected {
            return Err("the ID number's check digit is wrong (GB 11643)".to_string());
        }
        let birth = &s[6..14];
        if NaiveDate::parse_from_str(birth, "%Y%m%d").is_err() {
            return Err(format!("the ID number's birth date {birth} is not a date"));
        }
        Ok(IdNumber(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The birth date the number carries.
    pub fn birth_date(&self) -> NaiveDate {
        NaiveDate::parse_from_str(&self.0[6..14], "%Y%m%d").expect("checked at parse")
    }

    /// Completed years of age on `day`.
    pub fn age_on(&self, day: NaiveDate) -> u32 {
        let b = self.birth_date();
        let mut age = day.year() - b.year();
        if (day.month(), day.day()) < (b.month(), b.day()) {
            age -= 1;
        }
        age.max(0) as u32
    }

    /// `1401**********1234`: the first four and last four characters.
    pub fn masked(&self) -> String {
        format!("{}**********{}", &self.0[..4], &self.0[14..])
    }
}

impl TryFrom<String> for IdNumber {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        IdNumber::parse(&s)
    }
}

impl From<IdNumber> for String {
    fn from(i: IdNumber) -> String {
        i.0
    }
}

/// `张*明`: a name as public notices print it — first and last character, the middle starred;
/// a two-character name keeps its first (`李*`).
pub fn mask_name(name: &str) -> String {
    let chars: Vec<char> = name.trim().chars().collect();
    match chars.len() {
        0 => String::new(),
        1 => "*".into(),
        2 => format!("{}*", chars[0]),
        n => format!("{}{}{}", chars[0], "*".repeat(n - 2), chars[n - 1]),
    }
}

/// A member's relation to the main applicant (YQ-10, NC-23, XY-16.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// 主申请人.
    Applicant,
    /// 配偶.
    Spouse,
    /// 子女.
    Child,
    /// Anyone else (parents, siblings): not a member of an applying family in any text.
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Marital {
    Single,
    Married,
    Divorced,
    Widowed,
}

/// One member as entered or imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberInput {
    pub name: String,
    pub id_number: String,
    pub relation: Relation,
    pub marital: Marital,
    /// Hukou in the city of the pack (本市户籍).
    pub hukou_local: bool,
    /// 常住人口 of the city (YQ-9, YQ-10.1.1).
    #[serde(default)]
    pub permanent_resident: bool,
    /// Lives on wages (依靠务工获得薪金收入, YQ-10.1.1; 工薪收入群体, NC-4).
    #[serde(default)]
    pub wage_earner: bool,
    #[serde(default = "yes")]
    pub full_civil_capacity: bool,
    /// Last year's disposable income, yuan.
    #[schema(value_type = String, example = "36000")]
    pub annual_income: String,
    /// Months of social insurance paid in the city (XY-16.3).
    #[serde(default)]
    pub social_security_months: u32,
    /// Insured now (在保, XY-16.3).
    #[serde(default)]
    pub insured_now: bool,
}

fn yes() -> bool {
    true
}

/// A member, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub name: String,
    pub id_number: IdNumber,
    pub relation: Relation,
    pub marital: Marital,
    pub hukou_local: bool,
    pub permanent_resident: bool,
    pub wage_earner: bool,
    pub full_civil_capacity: bool,
    pub annual_income: Yuan,
    pub social_security_months: u32,
    pub insured_now: bool,
}

/// The family's housing now (ALLOCATION.md §1).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HousingInput {
    /// Gross floor area the family owns in the city (0: none), m².
    #[schema(value_type = String, example = "0")]
    #[serde(default = "zero")]
    pub owned_area_m2: String,
    /// Owns a home at the place of work (XY-16.4).
    #[serde(default)]
    pub home_at_workplace: bool,
    /// 住房性质 now: 租住, 借住, 公租房, …
    #[serde(default)]
    pub tenure: String,
}

fn zero() -> String {
    "0".into()
}

/// The family's history of policy housing and housing transactions (YQ-10.1.4/.5, NC-24, NC-25,
/// XY-16.5). Dates where a look-back counts from them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct History {
    /// Ever had a 房改房.
    #[serde(default)]
    pub reform_housing: bool,
    /// NC-24.2: had a 房改房 whose title was transferred.
    #[serde(default)]
    pub reform_housing_transferred: bool,
    /// Ever had a 集资建房.
    #[serde(default)]
    pub fundraised_housing: bool,
    /// Ever had an in-kind 经济适用住房.
    #[serde(default)]
    pub affordable_housing: bool,
    /// NC-24.3: sold its 经济适用住房 on the market.
    #[serde(default)]
    pub affordable_housing_sold: bool,
    /// Last expropriation compensation (征收安置补偿), if any.
    #[serde(default)]
    pub expropriation_compensation_on: Option<NaiveDate>,
    /// Last housing title transfer (住房产权转移), if any.
    #[serde(default)]
    pub title_transfer_on: Option<NaiveDate>,
    /// In public housing (公有住房) now.
    #[serde(default)]
    pub public_housing: bool,
    /// In public rental housing (公共租赁住房) or receiving its rent subsidy now.
    #[serde(default)]
    pub public_rental: bool,
    /// In a talent apartment (人才公寓, incl. its subsidy) now.
    #[serde(default)]
    pub talent_apartment: bool,
    /// XY-16.5: in any other housing-security programme of the prefecture (本州) now.
    #[serde(default)]
    pub other_programme: bool,
}

/// A household as entered or imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HouseholdInput {
    /// The pack's target group (YQ: `tier_a`, `talent`, `all_wage_earners`, `township_staff`;
    /// NC: `urban_hukou`, `urban_resident`, `public_staff`, `enterprise_talent`; XY:
    /// `wage_earner`, `poverty_relocation`, `talent`).
    pub group: String,
    pub members: Vec<MemberInput>,
    #[serde(default)]
    pub housing: HousingInput,
    #[serde(default)]
    pub history: History,
    /// The county (or district) the family applies in.
    #[serde(default)]
    pub county: String,
}

/// `Household::owned_area` stored and read back: zero allowed (无房).
mod owned_area {
    use crate::domain::units::AreaM2;
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(a: &AreaM2, s: S) -> Result<S::Ok, S::Error> {
        Serialize::serialize(&a.value(), s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<AreaM2, D::Error> {
        let v = <Decimal as Deserialize>::deserialize(d)?;
        AreaM2::owned("owned_area", v).map_err(serde::de::Error::custom)
    }
}

/// A household, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Household {
    pub group: String,
    pub members: Vec<Member>,
    /// What the family owns; 0 (无房) is a valid value here, unlike a unit's area.
    #[serde(with = "owned_area")]
    pub owned_area: AreaM2,
    pub home_at_workplace: bool,
    pub tenure: String,
    pub history: History,
    pub county: String,
}

/// Why an input was refused: the field (`members[1].id_number`) and the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputError {
    pub field: String,
    pub message: String,
}

/// The most members one application may name.
pub const MAX_MEMBERS: usize = 20;

impl Household {
    /// Checks an input against `today`: exactly one main applicant, first; valid ID numbers,
    /// each once; incomes non-negative to the fen; history dates not in the future.
    pub fn parse(input: &HouseholdInput, today: NaiveDate) -> Result<Household, Vec<InputError>> {
        let mut errors = Vec::new();
        let mut err = |field: String, message: String| errors.push(InputError { field, message });
        if input.group.trim().is_empty() {
            err("group".into(), "the target group is required".into());
        }
        if input.members.is_empty() || input.members.len() > MAX_MEMBERS {
            err(
                "members".into(),
                format!("a household has 1 to {MAX_MEMBERS} members"),
            );
        }
        let mut members = Vec::with_capacity(input.members.len());
        for (i, m) in input.members.iter().enumerate() {
            let f = |x: &str| format!("members[{i}].{x}");
            if m.name.trim().is_empty() || m.name.chars().count() > 50 {
                err(f("name"), "a name of 1 to 50 characters is required".into());
            }
            if (i == 0) != (m.relation == Relation::Applicant) {
                err(
                    f("relation"),
                    "the first member, and only the first, is the main applicant".into(),
                );
            }
            let id = match IdNumber::parse(&m.id_number) {
                Ok(id) => Some(id),
                Err(e) => {
                    err(f("id_number"), e);
                    None
                }
            };
            if let Some(id) = &id {
                if id.birth_date() > today {
                    err(f("id_number"), "the birth date is in the future".into());
                }
                if members.iter().any(|x: &Member| &x.id_number == id) {
                    err(f("id_number"), "this ID number is already a member".into());
                }
            }
            let income = m
                .annual_income
                .parse::<Decimal>()
                .map_err(|_| "not a number".to_string())
                .and_then(|d| Yuan::non_negative("annual_income", d).map_err(|e| e.to_string()))
                .and_then(|y| {
                    y.to_fen()
                        .map(|_| y)
                        .map_err(|_| "at most two decimals".to_string())
                });
            let income = match income {
                Ok(y) => Some(y),
                Err(e) => {
                    err(f("annual_income"), format!("annual income: {e}"));
                    None
                }
            };
            if let (Some(id), Some(income)) = (id, income) {
                members.push(Member {
                    name: m.name.trim().to_string(),
                    id_number: id,
                    relation: m.relation,
                    marital: m.marital,
                    hukou_local: m.hukou_local,
                    permanent_resident: m.permanent_resident,
                    wage_earner: m.wage_earner,
                    full_civil_capacity: m.full_civil_capacity,
                    annual_income: income,
                    social_security_months: m.social_security_months,
                    insured_now: m.insured_now,
                });
            }
        }
        let owned_area = input
            .housing
            .owned_area_m2
            .parse::<Decimal>()
            .map_err(|_| "not a number".to_string())
            .and_then(|d| AreaM2::owned("owned_area_m2", d).map_err(|e| e.to_string()));
        let owned_area = match owned_area {
            Ok(a) => Some(a),
            Err(e) => {
                err("housing.owned_area_m2".into(), format!("owned area: {e}"));
                None
            }
        };
        for (field, d) in [
            (
                "history.expropriation_compensation_on",
                input.history.expropriation_compensation_on,
            ),
            ("history.title_transfer_on", input.history.title_transfer_on),
        ] {
            if d.is_some_and(|d| d > today) {
                err(field.into(), "the date is in the future".into());
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Household {
            group: input.group.trim().to_string(),
            members,
            owned_area: owned_area.expect("checked"),
            home_at_workplace: input.housing.home_at_workplace,
            tenure: input.housing.tenure.trim().to_string(),
            history: input.history.clone(),
            county: input.county.trim().to_string(),
        })
    }

    pub fn applicant(&self) -> &Member {
        &self.members[0]
    }

    /// Owned gross floor area per member, exact (YQ-10.1.2).
    pub fn area_per_person(&self) -> Decimal {
        self.owned_area.value() / Decimal::from(self.members.len() as u64)
    }

    /// Per-person disposable income, exact (YQ-10.1.3).
    pub fn income_per_person(&self) -> Decimal {
        let total: Decimal = self.members.iter().map(|m| m.annual_income.value()).sum();
        total / Decimal::from(self.members.len() as u64)
    }

    /// Every member's ID number (bans and "one unit per family" are checked on each).
    pub fn id_numbers(&self) -> impl Iterator<Item = &IdNumber> {
        self.members.iter().map(|m| &m.id_number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A valid number built from 17 digits (the check character computed).
    pub fn id(first17: &str) -> String {
        let sum: u32 = first17
            .chars()
            .zip(WEIGHTS)
            .map(|(c, w)| c.to_digit(10).unwrap() * w)
            .sum();
        format!("{first17}{}", CHECK[(sum % 11) as usize])
    }

    #[test]
    fn gb_11643_check_digit_and_birth_date() {
        // The standard's worked example: 11010519491231002 → check X.
        assert_eq!(id("11010519491231002"), "11010519491231002X");
        assert!(IdNumber::parse("11010519491231002X").is_ok());
        assert!(
            IdNumber::parse("110105194912310021").is_err(),
            "wrong check digit"
        );
        assert!(
            IdNumber::parse("11010519491231002x").is_ok(),
            "lower-case x"
        );
        assert!(
            IdNumber::parse(&id("14030219900231001")).is_err(),
            "31 February"
        );
        assert!(IdNumber::parse("1401").is_err());
        let n = IdNumber::parse(&id("14030219900515123")).unwrap();
        assert_eq!(n.masked(), format!("1403**********{}", &n.as_str()[14..]));
        assert_eq!(n.age_on(NaiveDate::from_ymd_opt(2026, 5, 14).unwrap()), 35);
        assert_eq!(n.age_on(NaiveDate::from_ymd_opt(2026, 5, 15).unwrap()), 36);
    }

    #[test]
    fn names_are_masked_as_public_notices_print_them() {
        assert_eq!(mask_name("张小明"), "张*明");
        assert_eq!(mask_name("欧阳春晓"), "欧**晓");
        assert_eq!(mask_name("李四"), "李*");
        assert_eq!(mask_name("王"), "*");
    }
}
