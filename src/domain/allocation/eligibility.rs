//! Who may buy (ALLOCATION.md §1): each pack lists its tests as data (`allocation.toml`
//! `[[eligibility]]`), each naming its rule ID and the numbers its text sets; a figure the text
//! leaves to the locality (last year's per-capita disposable income, YQ-10.1.3) is a local
//! figure the housing bureau records with its year and source — never a built-in default. The
//! answer lists every test, passed or failed, with the rule and the numbers used.
//!
//! Pure: the caller passes the household, the day, the recorded figures, whether a member
//! already holds a sale-type unit, and the bans in force.

use super::household::{Household, Relation};
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A kind of policy housing or transaction in a family's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HistoryKind {
    ReformHousing,
    ReformHousingTransferred,
    FundraisedHousing,
    AffordableHousing,
    AffordableHousingSold,
    ExpropriationCompensation,
    TitleTransfer,
    PublicHousing,
    PublicRental,
    TalentApartment,
    OtherProgramme,
}

impl HistoryKind {
    fn label(self) -> &'static str {
        match self {
            HistoryKind::ReformHousing => "房改房",
            HistoryKind::ReformHousingTransferred => "已转移登记的房改房",
            HistoryKind::FundraisedHousing => "集资建房",
            HistoryKind::AffordableHousing => "经济适用住房",
            HistoryKind::AffordableHousingSold => "已上市的经济适用住房",
            HistoryKind::ExpropriationCompensation => "征收安置补偿",
            HistoryKind::TitleTransfer => "住房产权转移",
            HistoryKind::PublicHousing => "公有住房",
            HistoryKind::PublicRental => "公共租赁住房（含租赁补贴）",
            HistoryKind::TalentApartment => "人才公寓（含人才租房补贴）",
            HistoryKind::OtherProgramme => "本州其他住房保障政策",
        }
    }
    fn had(self, h: &super::household::History) -> bool {
        match self {
            HistoryKind::ReformHousing => h.reform_housing,
            HistoryKind::ReformHousingTransferred => h.reform_housing_transferred,
            HistoryKind::FundraisedHousing => h.fundraised_housing,
            HistoryKind::AffordableHousing => h.affordable_housing,
            HistoryKind::AffordableHousingSold => h.affordable_housing_sold,
            HistoryKind::ExpropriationCompensation => h.expropriation_compensation_on.is_some(),
            HistoryKind::TitleTransfer => h.title_transfer_on.is_some(),
            HistoryKind::PublicHousing => h.public_housing,
            HistoryKind::PublicRental => h.public_rental,
            HistoryKind::TalentApartment => h.talent_apartment,
            HistoryKind::OtherProgramme => h.other_programme,
        }
    }
    fn date(self, h: &super::household::History) -> Option<NaiveDate> {
        match self {
            HistoryKind::ExpropriationCompensation => h.expropriation_compensation_on,
            HistoryKind::TitleTransfer => h.title_transfer_on,
            _ => None,
        }
    }
}

/// Whether a one-person household may be a single adult child applying alone, and from when.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AloneFrom {
    /// 达到法定结婚年龄 (Civil Code art. 1047: men 22, women 20) — YQ-10, XY-16.2.
    MarriageableAge,
    /// Any adult (18) — NC-23 sets no age condition beyond adulthood.
    Adult,
}

/// One test of a pack, as its `allocation.toml` states it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "test", rename_all = "snake_case", deny_unknown_fields)]
pub enum TestSpec {
    /// The main applicant has full civil capacity (YQ-10, NC-23, XY-16.1).
    FullCapacity {
        rule: String,
        #[serde(default)]
        groups: Vec<String>,
    },
    /// Members: spouse, minor children, adult unmarried children; a single adult alone.
    FamilyComposition {
        rule: String,
        alone_from: AloneFrom,
        #[serde(default)]
        groups: Vec<String>,
    },
    /// YQ-10.1.1: the main applicant is a permanent resident living on wages.
    PermanentResidentWageEarner {
        rule: String,
        #[serde(default)]
        groups: Vec<String>,
    },
    /// XY-16.3: at least one member with local hukou.
    LocalHukouMember {
        rule: String,
        #[serde(default)]
        groups: Vec<String>,
    },
    /// XY-16.3: social insurance paid in the city for at least `min_months` and active now.
    SocialInsurance {
        rule: String,
        min_months: u32,
        #[serde(default)]
        groups: Vec<String>,
    },
    /// YQ-10.1.2 (≤ 20 m² 含) / YQ-11 (< 20, 低于): owned area per person; no home passes.
    AreaPerPerson {
        rule: String,
        max_m2: Decimal,
        /// `true`: strictly below (低于, YQ-11); `false`: at most (不超…含, YQ-10.1.2).
        strict: bool,
        #[serde(default)]
        groups: Vec<String>,
    },
    /// XY-16.4: no owned home at the place of work.
    NoHomeAtWorkplace {
        rule: String,
        #[serde(default)]
        groups: Vec<String>,
    },
    /// YQ-10.1.3: per-person disposable income below the local figure of the year before.
    IncomeBelowFigure {
        rule: String,
        /// The local figure's name (the housing bureau records it per year, with its source).
        figure: String,
        #[serde(default)]
        groups: Vec<String>,
    },
    /// Never had one of these (YQ-10.1.4, NC-24.2, NC-24.3).
    NeverHad {
        rule: String,
        kinds: Vec<HistoryKind>,
        #[serde(default)]
        groups: Vec<String>,
    },
    /// None of these within the last `years` (YQ-10.1.4: 5 years; the look-back ends on its
    /// calendar date, DOMAIN.md §6).
    NotWithinYears {
        rule: String,
        kinds: Vec<HistoryKind>,
        years: u32,
        #[serde(default)]
        groups: Vec<String>,
    },
    /// Excluded while in one of these (NC-24.1, XY-16.5).
    NotInProgramme {
        rule: String,
        kinds: Vec<HistoryKind>,
        #[serde(default)]
        groups: Vec<String>,
    },
    /// YQ-10.1.5 / YQ-10.2.4: not a refusal but a condition — vacate within `days` of
    /// qualifying, the subsidy stops.
    VacateWithinDays {
        rule: String,
        kinds: Vec<HistoryKind>,
        days: u32,
        #[serde(default)]
        groups: Vec<String>,
    },
    /// One unit per family (YQ-10, NC-23, XY-23): no member holds a sale-type unit.
    OneUnit {
        rule: String,
        #[serde(default)]
        groups: Vec<String>,
    },
    /// No ban in force on any member (ALLOCATION.md §11).
    NoBan {
        rule: String,
        #[serde(default)]
        groups: Vec<String>,
    },
}

impl TestSpec {
    pub fn rule(&self) -> &str {
        match self {
            TestSpec::FullCapacity { rule, .. }
            | TestSpec::FamilyComposition { rule, .. }
            | TestSpec::PermanentResidentWageEarner { rule, .. }
            | TestSpec::LocalHukouMember { rule, .. }
            | TestSpec::SocialInsurance { rule, .. }
            | TestSpec::AreaPerPerson { rule, .. }
            | TestSpec::NoHomeAtWorkplace { rule, .. }
            | TestSpec::IncomeBelowFigure { rule, .. }
            | TestSpec::NeverHad { rule, .. }
            | TestSpec::NotWithinYears { rule, .. }
            | TestSpec::NotInProgramme { rule, .. }
            | TestSpec::VacateWithinDays { rule, .. }
            | TestSpec::OneUnit { rule, .. }
            | TestSpec::NoBan { rule, .. } => rule,
        }
    }
    fn groups(&self) -> &[String] {
        match self {
            TestSpec::FullCapacity { groups, .. }
            | TestSpec::FamilyComposition { groups, .. }
            | TestSpec::PermanentResidentWageEarner { groups, .. }
            | TestSpec::LocalHukouMember { groups, .. }
            | TestSpec::SocialInsurance { groups, .. }
            | TestSpec::AreaPerPerson { groups, .. }
            | TestSpec::NoHomeAtWorkplace { groups, .. }
            | TestSpec::IncomeBelowFigure { groups, .. }
            | TestSpec::NeverHad { groups, .. }
            | TestSpec::NotWithinYears { groups, .. }
            | TestSpec::NotInProgramme { groups, .. }
            | TestSpec::VacateWithinDays { groups, .. }
            | TestSpec::OneUnit { groups, .. }
            | TestSpec::NoBan { groups, .. } => groups,
        }
    }
    /// The local figures a test reads.
    pub fn figure(&self) -> Option<&str> {
        match self {
            TestSpec::IncomeBelowFigure { figure, .. } => Some(figure),
            _ => None,
        }
    }
}

/// A local figure the housing bureau recorded: its value for a year, and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figure {
    pub value: Decimal,
    pub year: i32,
    pub source: String,
}

/// A ban in force on a member (ALLOCATION.md §11), as the register holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BanFact {
    pub id: i64,
    pub rule: String,
    pub ends_on: NaiveDate,
    pub reason: String,
}

/// The facts beyond the household that the tests read.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Recorded local figures by (name, year).
    pub figures: BTreeMap<(String, i32), Figure>,
    /// Some member already holds (or has contracted) a sale-type unit.
    pub holds_unit: bool,
    /// Bans in force today on any member.
    pub bans: Vec<BanFact>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Passed,
    Failed,
    /// Passes on a condition to be met after qualifying (YQ-10.1.5).
    Condition,
    /// Cannot be decided yet: a local figure is not recorded.
    Pending,
    /// Not a test of this household's group.
    NotApplicable,
}

/// One test's answer with the numbers it used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TestResult {
    pub rule: String,
    pub test: String,
    pub outcome: Outcome,
    /// What was compared, in Chinese, with the numbers.
    pub detail: String,
}

/// The answer for a household.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Eligibility {
    pub tests: Vec<TestResult>,
    /// Every applicable test passed (or passed on a condition).
    pub eligible: bool,
    /// Some test waits for a local figure.
    pub pending: bool,
    /// YQ-16: the household's tier, where the pack has tiers.
    pub tier: Option<u8>,
}

/// A pack's eligibility rules (`allocation.toml`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EligibilityRules {
    /// The target groups of the text, key → label (YQ-9/YQ-10, NC-22, XY-15).
    pub groups: BTreeMap<String, String>,
    pub tests: Vec<TestSpec>,
    /// YQ-16's tiers, where the text has them.
    #[serde(default)]
    pub tiers: Option<TierRule>,
}

/// How a pack orders its sale (YQ-16).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TierRule {
    /// YQ-16: 1 houseless tier-A families and talents; 2 tier-A families with ≤ 20 m² per
    /// person; 3 all wage earners.
    Yq16,
}

impl EligibilityRules {
    /// Refusals of a pack file: a test naming a group the pack does not have.
    pub fn check(&self) -> Result<(), String> {
        if self.groups.is_empty() {
            return Err("[eligibility] names no target group".into());
        }
        for t in &self.tests {
            for g in t.groups() {
                if !self.groups.contains_key(g) {
                    return Err(format!(
                        "test {} ({}) names group {g:?}, which is not among the groups",
                        test_name(t),
                        t.rule()
                    ));
                }
            }
        }
        Ok(())
    }
}

fn test_name(t: &TestSpec) -> &'static str {
    match t {
        TestSpec::FullCapacity { .. } => "full_capacity",
        TestSpec::FamilyComposition { .. } => "family_composition",
        TestSpec::PermanentResidentWageEarner { .. } => "permanent_resident_wage_earner",
        TestSpec::LocalHukouMember { .. } => "local_hukou_member",
        TestSpec::SocialInsurance { .. } => "social_insurance",
        TestSpec::AreaPerPerson { .. } => "area_per_person",
        TestSpec::NoHomeAtWorkplace { .. } => "no_home_at_workplace",
        TestSpec::IncomeBelowFigure { .. } => "income_below_figure",
        TestSpec::NeverHad { .. } => "never_had",
        TestSpec::NotWithinYears { .. } => "not_within_years",
        TestSpec::NotInProgramme { .. } => "not_in_programme",
        TestSpec::VacateWithinDays { .. } => "vacate_within_days",
        TestSpec::OneUnit { .. } => "one_unit",
        TestSpec::NoBan { .. } => "no_ban",
    }
}

/// Civil Code art. 1047: men may marry at 22, women at 20. The ID number's 17th digit is odd
/// for men.
fn marriageable(m: &super::household::Member, today: NaiveDate) -> bool {
    let male = m.id_number.as_str().as_bytes()[16] % 2 == 1;
    m.id_number.age_on(today) >= if male { 22 } else { 20 }
}

fn area(d: Decimal) -> String {
    d.round_dp(2).normalize().to_string()
}

/// Runs every test of the pack on the household.
pub fn evaluate(
    rules: &EligibilityRules,
    h: &Household,
    today: NaiveDate,
    ctx: &Context,
) -> Eligibility {
    let mut tests = Vec::with_capacity(rules.tests.len());
    if !rules.groups.contains_key(&h.group) {
        tests.push(TestResult {
            rule: rules
                .tests
                .first()
                .map(|t| t.rule().to_string())
                .unwrap_or_default(),
            test: "group".into(),
            outcome: Outcome::Failed,
            detail: format!(
                "申请类别 {:?} 不在本政策的保障对象之列（{}）",
                h.group,
                rules
                    .groups
                    .values()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("、")
            ),
        });
    }
    for t in &rules.tests {
        let applies = t.groups().is_empty() || t.groups().iter().any(|g| g == &h.group);
        let (outcome, detail) = if applies {
            run(t, h, today, ctx)
        } else {
            (Outcome::NotApplicable, "不适用于本类别".to_string())
        };
        tests.push(TestResult {
            rule: t.rule().to_string(),
            test: test_name(t).to_string(),
            outcome,
            detail,
        });
    }
    let eligible = tests.iter().all(|t| {
        matches!(
            t.outcome,
            Outcome::Passed | Outcome::Condition | Outcome::NotApplicable
        )
    });
    let pending = tests.iter().any(|t| t.outcome == Outcome::Pending);
    let tier = match rules.tiers {
        Some(TierRule::Yq16) if eligible => yq_16_tier(h, rules),
        _ => None,
    };
    Eligibility {
        tests,
        eligible,
        pending,
        tier,
    }
}

/// YQ-16: 首先向在我市无房且收入不高的工薪家庭、引进的各类人才配售；…可扩大至家庭人均住房建筑面积不超
/// 20平方米（含）且收入不高的工薪家庭；…可面向整个工薪收入群体销售.
fn yq_16_tier(h: &Household, rules: &EligibilityRules) -> Option<u8> {
    let houseless = h.owned_area.value().is_zero();
    let cap = rules.tests.iter().find_map(|t| match t {
        TestSpec::AreaPerPerson {
            max_m2,
            strict: false,
            ..
        } => Some(*max_m2),
        _ => None,
    });
    match h.group.as_str() {
        "talent" => Some(1),
        "tier_a" | "township_staff" if houseless => Some(1),
        "tier_a" | "township_staff" if cap.is_none_or(|c| h.area_per_person() <= c) => Some(2),
        _ => Some(3),
    }
}

fn run(t: &TestSpec, h: &Household, today: NaiveDate, ctx: &Context) -> (Outcome, String) {
    let pass =
        |ok: bool, detail: String| (if ok { Outcome::Passed } else { Outcome::Failed }, detail);
    match t {
        TestSpec::FullCapacity { .. } => pass(
            h.applicant().full_civil_capacity,
            format!(
                "主申请人{}具有完全民事行为能力",
                if h.applicant().full_civil_capacity {
                    ""
                } else {
                    "不"
                }
            ),
        ),
        TestSpec::FamilyComposition { alone_from, .. } => family(h, *alone_from, today),
        TestSpec::PermanentResidentWageEarner { .. } => {
            let a = h.applicant();
            pass(
                a.permanent_resident && a.wage_earner,
                format!(
                    "主申请人{}为本市常住人口，{}依靠务工获得薪金收入",
                    if a.permanent_resident { "" } else { "不" },
                    if a.wage_earner { "" } else { "不" }
                ),
            )
        }
        TestSpec::LocalHukouMember { .. } => {
            let n = h.members.iter().filter(|m| m.hukou_local).count();
            pass(n >= 1, format!("本市户籍成员 {n} 人（至少1人）"))
        }
        TestSpec::SocialInsurance { min_months, .. } => {
            let best = h
                .members
                .iter()
                .filter(|m| m.insured_now)
                .map(|m| m.social_security_months)
                .max();
            pass(
                best.is_some_and(|n| n >= *min_months),
                match best {
                    Some(n) => {
                        format!("在本市缴纳社会保险 {n} 个月且在保（要求 {min_months} 个月以上）")
                    }
                    None => format!("无在保成员（要求缴纳 {min_months} 个月以上且在保）"),
                },
            )
        }
        TestSpec::AreaPerPerson { max_m2, strict, .. } => {
            let per = h.area_per_person();
            let ok = h.owned_area.value().is_zero()
                || if *strict {
                    per < *max_m2
                } else {
                    per <= *max_m2
                };
            pass(
                ok,
                if h.owned_area.value().is_zero() {
                    "在本市无房".into()
                } else {
                    format!(
                        "自有住房 {} ㎡ ÷ {} 人 = 人均 {} ㎡（要求{} {} ㎡）",
                        area(h.owned_area.value()),
                        h.members.len(),
                        area(per),
                        if *strict { "低于" } else { "不超过" },
                        max_m2
                    )
                },
            )
        }
        TestSpec::NoHomeAtWorkplace { .. } => pass(
            !h.home_at_workplace,
            format!(
                "在工作所在地{}自有住房",
                if h.home_at_workplace { "有" } else { "无" }
            ),
        ),
        TestSpec::IncomeBelowFigure { figure, .. } => {
            let year = today.year() - 1;
            match ctx.figures.get(&(figure.clone(), year)) {
                None => (
                    Outcome::Pending,
                    format!(
                        "{year} 年度的 {figure} 尚未录入（政策未规定具体数额，由住房保障部门按公布数据录入）"
                    ),
                ),
                Some(f) => {
                    let per = h.income_per_person();
                    pass(
                        per < f.value,
                        format!(
                            "家庭人均可支配收入 {} 元（{} 人）应低于 {year} 年度 {} 元（{}）",
                            per.round_dp(2),
                            h.members.len(),
                            f.value,
                            f.source
                        ),
                    )
                }
            }
        }
        TestSpec::NeverHad { kinds, .. } => {
            let had: Vec<&str> = kinds
                .iter()
                .filter(|k| k.had(&h.history))
                .map(|k| k.label())
                .collect();
            pass(
                had.is_empty(),
                if had.is_empty() {
                    format!(
                        "未享受过{}",
                        kinds
                            .iter()
                            .map(|k| k.label())
                            .collect::<Vec<_>>()
                            .join("、")
                    )
                } else {
                    format!("已享受过{}", had.join("、"))
                },
            )
        }
        TestSpec::NotWithinYears { kinds, years, .. } => {
            // The look-back ends on its calendar date: within 5 years of 2021-06-01 means until
            // 2026-06-01 inclusive.
            let recent: Vec<String> = kinds
                .iter()
                .filter_map(|k| k.date(&h.history).map(|d| (k, d)))
                .filter(|(_, d)| {
                    crate::domain::calendar::add_years_clamped(*d, *years)
                        .is_some_and(|end| today <= end)
                })
                .map(|(k, d)| format!("{}（{d}）", k.label()))
                .collect();
            pass(
                recent.is_empty(),
                if recent.is_empty() {
                    format!(
                        "{years} 年内无{}",
                        kinds
                            .iter()
                            .map(|k| k.label())
                            .collect::<Vec<_>>()
                            .join("、")
                    )
                } else {
                    format!("{years} 年内有{}", recent.join("、"))
                },
            )
        }
        TestSpec::NotInProgramme { kinds, .. } => {
            let now: Vec<&str> = kinds
                .iter()
                .filter(|k| k.had(&h.history))
                .map(|k| k.label())
                .collect();
            pass(
                now.is_empty(),
                if now.is_empty() {
                    "未在享受其他住房保障政策".into()
                } else {
                    format!("正在享受{}", now.join("、"))
                },
            )
        }
        TestSpec::VacateWithinDays { kinds, days, .. } => {
            let now: Vec<&str> = kinds
                .iter()
                .filter(|k| k.had(&h.history))
                .map(|k| k.label())
                .collect();
            if now.is_empty() {
                (Outcome::Passed, "未享受公有住房、公共租赁住房等政策".into())
            } else {
                (
                    Outcome::Condition,
                    format!(
                        "正在享受{}：应在取得配售资格后 {days} 日内腾退，停止发放补贴",
                        now.join("、")
                    ),
                )
            }
        }
        TestSpec::OneUnit { .. } => pass(
            !ctx.holds_unit,
            if ctx.holds_unit {
                "家庭成员已购买（或已签约）一套配售型保障性住房".into()
            } else {
                "家庭未持有配售型保障性住房".into()
            },
        ),
        TestSpec::NoBan { .. } => pass(
            ctx.bans.is_empty(),
            if ctx.bans.is_empty() {
                "无在限制期内的记录".into()
            } else {
                ctx.bans
                    .iter()
                    .map(|b| format!("{}：{}，限制至 {}", b.rule, b.reason, b.ends_on))
                    .collect::<Vec<_>>()
                    .join("；")
            },
        ),
    }
}

fn family(h: &Household, alone_from: AloneFrom, today: NaiveDate) -> (Outcome, String) {
    let a = h.applicant();
    let mut problems = Vec::new();
    let spouses = h
        .members
        .iter()
        .filter(|m| m.relation == Relation::Spouse)
        .count();
    if spouses > 1 {
        problems.push("配偶多于一人".to_string());
    }
    for m in &h.members[1..] {
        match m.relation {
            Relation::Spouse => {}
            Relation::Child => {
                let adult = m.id_number.age_on(today) >= 18;
                if adult && m.marital != super::household::Marital::Single {
                    problems.push(format!(
                        "{}：已婚成年子女不属于申请家庭成员",
                        super::household::mask_name(&m.name)
                    ));
                }
            }
            Relation::Applicant | Relation::Other => {
                problems.push(format!(
                    "{}：申请家庭成员仅限配偶、未成年子女和未婚成年子女",
                    super::household::mask_name(&m.name)
                ));
            }
        }
    }
    if h.members.len() == 1 && a.marital == super::household::Marital::Single {
        let ok = match alone_from {
            AloneFrom::MarriageableAge => marriageable(a, today),
            AloneFrom::Adult => a.id_number.age_on(today) >= 18,
        };
        if !ok {
            problems.push(match alone_from {
                AloneFrom::MarriageableAge => "单身子女单独申请须达到法定结婚年龄".to_string(),
                AloneFrom::Adult => "单身子女单独申请须已成年".to_string(),
            });
        }
    }
    if problems.is_empty() {
        (
            Outcome::Passed,
            format!("申请家庭 {} 人，成员构成符合规定", h.members.len()),
        )
    } else {
        (Outcome::Failed, problems.join("；"))
    }
}
