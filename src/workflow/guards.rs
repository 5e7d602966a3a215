//! The named guards a workflow file may attach to an action, with the parameters each takes and
//! the facts each needs. A guard is a pure function of [`Facts`]: the store loads only the facts
//! the action's guards declare, then the engine decides.

use crate::domain::calendar::has_elapsed;
use crate::domain::review::{self, ListingFacts, ReviewReport};
use crate::domain::survey::{BandExcess, check_within_demand};
use crate::domain::unit_list::UnitRow;
use crate::domain::units::YuanPerM2;
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Every guard the engine knows. A workflow file naming anything else is refused at start-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GuardKind {
    DocumentsComplete,
    DocumentPresent,
    ReviewPassed,
    TitleSignedOff,
    NoOpenObjection,
    DeadlineElapsed,
    ValuationRecorded,
    PriceWithinCeiling,
    WithinDemand,
    SurveyHasReturns,
    PlanWithinDemand,
    PlanRecorded,
    CommentRequired,
    /// HS-A9: the developer's withdrawal request was made at least the notice period ago.
    WithdrawalNoticeElapsed,
    /// HS-A9: a withdrawal request is open.
    WithdrawalPending,
    /// YQ-7.4: the listing is among the units the round's recorded plan picked.
    InRecordedPlan,
    /// YQ-13, NC-26, XY-22: every material of the pack's checklist is present.
    MaterialsComplete,
    /// YQ-4, NC-27, XY-4: every department has verified, none refused.
    VerificationsComplete,
    /// ALLOCATION.md §1: the household passes every eligibility test of its pack.
    Eligible,
    /// YQ-14, NC-28, XY-20: a re-review may still be asked.
    RereviewAllowed,
    /// YQ-15, NC-33, XY-13: the sale plan is recorded.
    SalePlanRecorded,
    /// YQ-15, NC-33, XY-25.3: the draw is done (or, XY-25.3, not needed).
    LotteryDrawn,
}

/// The type of a guard parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    StrList,
    Str,
    /// A whole number ≥ 1 (a period).
    Count,
}

pub struct ParamSpec {
    pub name: &'static str,
    pub ty: ParamType,
}

/// What a guard reads; the store loads the union of these for an action and nothing more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Need {
    Documents,
    Review,
    TitleSignoff,
    Objections,
    Valuation,
    Demand,
    Plan,
    /// The open withdrawal request (HS-A9) and its notice due date.
    Withdrawal,
    /// The recorded plan of the listing's round (YQ-7.4).
    RoundPlan,
    /// An application's materials checklist.
    Materials,
    /// An application's departmental findings since it entered verification.
    Verifications,
    /// An application's eligibility under its pack.
    Eligibility,
    /// An application's refusals and re-reviews.
    Rereview,
    /// A sale's plan and draw.
    Sale,
}

impl GuardKind {
    pub const ALL: [GuardKind; 22] = [
        GuardKind::DocumentsComplete,
        GuardKind::DocumentPresent,
        GuardKind::ReviewPassed,
        GuardKind::TitleSignedOff,
        GuardKind::NoOpenObjection,
        GuardKind::DeadlineElapsed,
        GuardKind::ValuationRecorded,
        GuardKind::PriceWithinCeiling,
        GuardKind::WithinDemand,
        GuardKind::SurveyHasReturns,
        GuardKind::PlanWithinDemand,
        GuardKind::PlanRecorded,
        GuardKind::CommentRequired,
        GuardKind::WithdrawalNoticeElapsed,
        GuardKind::WithdrawalPending,
        GuardKind::InRecordedPlan,
        GuardKind::MaterialsComplete,
        GuardKind::VerificationsComplete,
        GuardKind::Eligible,
        GuardKind::RereviewAllowed,
        GuardKind::SalePlanRecorded,
        GuardKind::LotteryDrawn,
    ];

    pub fn name(self) -> &'static str {
        match self {
            GuardKind::DocumentsComplete => "documents_complete",
            GuardKind::DocumentPresent => "document_present",
            GuardKind::ReviewPassed => "review_passed",
            GuardKind::TitleSignedOff => "title_signed_off",
            GuardKind::NoOpenObjection => "no_open_objection",
            GuardKind::DeadlineElapsed => "deadline_elapsed",
            GuardKind::ValuationRecorded => "valuation_recorded",
            GuardKind::PriceWithinCeiling => "price_within_ceiling",
            GuardKind::WithinDemand => "within_demand",
            GuardKind::SurveyHasReturns => "survey_has_returns",
            GuardKind::PlanWithinDemand => "plan_within_demand",
            GuardKind::PlanRecorded => "plan_recorded",
            GuardKind::CommentRequired => "comment_required",
            GuardKind::WithdrawalNoticeElapsed => "withdrawal_notice_elapsed",
            GuardKind::WithdrawalPending => "withdrawal_pending",
            GuardKind::InRecordedPlan => "in_recorded_plan",
            GuardKind::MaterialsComplete => "materials_complete",
            GuardKind::VerificationsComplete => "verifications_complete",
            GuardKind::Eligible => "eligible",
            GuardKind::RereviewAllowed => "rereview_allowed",
            GuardKind::SalePlanRecorded => "sale_plan_recorded",
            GuardKind::LotteryDrawn => "lottery_drawn",
        }
    }

    pub fn from_name(name: &str) -> Option<GuardKind> {
        GuardKind::ALL.into_iter().find(|g| g.name() == name)
    }

    /// The rule a guard enforces wherever it is used, if it has one of its own. A guard whose
    /// rule depends on where it stands (a document, a deadline, the ceiling, a comment) has none:
    /// its use in a workflow file names the rule (`rule = "HS-A9"`), or it cites the action's.
    /// A pack whose own text sets the rule names it on the use (`rule = "YQ-7.2"`).
    pub fn own_rule(self) -> Option<&'static str> {
        match self {
            GuardKind::DocumentsComplete => Some("HS-A8"),
            GuardKind::ReviewPassed => Some("HS-A4"),
            GuardKind::TitleSignedOff | GuardKind::NoOpenObjection => Some("HS-A7.3"),
            GuardKind::ValuationRecorded => Some("HS-A7.4"),
            GuardKind::WithinDemand | GuardKind::PlanWithinDemand => Some("HS-A2"),
            GuardKind::SurveyHasReturns => Some("HS-A7.1"),
            GuardKind::PlanRecorded => Some("HS-A7.4"),
            GuardKind::WithdrawalNoticeElapsed | GuardKind::WithdrawalPending => Some("HS-A9"),
            GuardKind::InRecordedPlan => Some("YQ-7.4"),
            GuardKind::DocumentPresent
            | GuardKind::DeadlineElapsed
            | GuardKind::PriceWithinCeiling
            | GuardKind::CommentRequired
            | GuardKind::MaterialsComplete
            | GuardKind::VerificationsComplete
            | GuardKind::Eligible
            | GuardKind::RereviewAllowed
            | GuardKind::SalePlanRecorded
            | GuardKind::LotteryDrawn => None,
        }
    }

    /// Parameters the guard takes. Each is given inline in the workflow file
    /// (`{ guard = "...", params = { kind = "agreement" } }`), as a reference to a policy
    /// parameter (`"@required_documents"`), or, when omitted, from the policy parameter of the
    /// same name.
    pub fn params(self) -> &'static [ParamSpec] {
        match self {
            GuardKind::DocumentsComplete => &[ParamSpec {
                name: "required_documents",
                ty: ParamType::StrList,
            }],
            GuardKind::DocumentPresent => &[ParamSpec {
                name: "kind",
                ty: ParamType::Str,
            }],
            // HS-A9: 提前一个月.
            GuardKind::WithdrawalNoticeElapsed => &[ParamSpec {
                name: "withdrawal_notice_months",
                ty: ParamType::Count,
            }],
            _ => &[],
        }
    }

    pub fn needs(self) -> &'static [Need] {
        match self {
            GuardKind::DocumentsComplete | GuardKind::DocumentPresent => &[Need::Documents],
            GuardKind::ReviewPassed => &[Need::Review],
            GuardKind::TitleSignedOff => &[Need::TitleSignoff],
            GuardKind::NoOpenObjection => &[Need::Objections],
            GuardKind::ValuationRecorded | GuardKind::PriceWithinCeiling => &[Need::Valuation],
            GuardKind::WithinDemand | GuardKind::SurveyHasReturns | GuardKind::PlanWithinDemand => {
                &[Need::Demand]
            }
            GuardKind::PlanRecorded => &[Need::Plan, Need::Demand],
            GuardKind::WithdrawalNoticeElapsed | GuardKind::WithdrawalPending => {
                &[Need::Withdrawal]
            }
            GuardKind::InRecordedPlan => &[Need::RoundPlan],
            GuardKind::MaterialsComplete => &[Need::Materials],
            GuardKind::VerificationsComplete => &[Need::Verifications],
            GuardKind::Eligible => &[Need::Eligibility],
            GuardKind::RereviewAllowed => &[Need::Rereview],
            GuardKind::SalePlanRecorded | GuardKind::LotteryDrawn => &[Need::Sale],
            GuardKind::DeadlineElapsed | GuardKind::CommentRequired => &[],
        }
    }
}

/// A resolved guard parameter value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ParamValue {
    Str(String),
    StrList(Vec<String>),
    Count(u32),
}

/// A guard attached to an action, with its parameters resolved against the policy pack and the
/// rule its refusal cites.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardUse {
    pub kind: GuardKind,
    pub params: BTreeMap<String, ParamValue>,
    pub rule: String,
}

impl GuardUse {
    fn str_param(&self, name: &str) -> &str {
        match self.params.get(name) {
            Some(ParamValue::Str(s)) => s,
            _ => unreachable!(
                "checked when the workflow was loaded: {} takes {name}",
                self.kind.name()
            ),
        }
    }
    fn list_param(&self, name: &str) -> &[String] {
        match self.params.get(name) {
            Some(ParamValue::StrList(s)) => s,
            _ => unreachable!(
                "checked when the workflow was loaded: {} takes {name}",
                self.kind.name()
            ),
        }
    }
}

/// The latest title sign-off of the natural-resources bureau.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TitleSignoff {
    pub clear: bool,
    pub by: String,
}

/// The facts guards read. Fields the action's guards do not need stay empty.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub documents_present: BTreeSet<String>,
    pub units: Vec<UnitRow>,
    pub listing: Option<ListingFacts>,
    pub review_params: Option<review::ReviewParams>,
    pub waived_checks: BTreeSet<String>,
    pub title_signoff: Option<TitleSignoff>,
    pub open_objections: u32,
    /// Due date of the current state's deadline, if the state has one.
    pub state_deadline: Option<NaiveDate>,
    /// Ceiling per m² from the latest valuation record (HS-P5), if any.
    pub ceiling_per_m2: Option<YuanPerM2>,
    /// Surveyed demand per band (HS-A7.1).
    pub demand: BTreeMap<String, u64>,
    /// Units already committed per band by other listings of the round (approved and later).
    pub committed: BTreeMap<String, u64>,
    /// Units this instance would add per band (a listing's units; empty for a round).
    pub this_listing: BTreeMap<String, u64>,
    /// The action's payload: agreed price, comment.
    pub agreed_price_per_m2: Option<YuanPerM2>,
    /// Whether the round took developers' bids (a tender exists), and its latest recorded
    /// acquisition plan (收购方案), if any.
    pub tendered: bool,
    pub plan: Option<PlanFact>,
    /// HS-A9: when the open withdrawal request was made, and the day its notice ends.
    pub withdrawal: Option<WithdrawalFact>,
    /// YQ-7.4: whether the listing's round has a recorded plan, and whether it picked the listing.
    pub in_round_plan: Option<bool>,
    /// An application's missing materials (labels).
    pub materials_missing: Vec<String>,
    /// Departments that have not verified since the application entered verification, and
    /// those that found against it (with their notes).
    pub verifications_missing: Vec<String>,
    pub verifications_failed: Vec<String>,
    /// The household's eligibility (ALLOCATION.md §1).
    pub eligibility: Option<crate::domain::allocation::eligibility::Eligibility>,
    /// Why a re-review may not be asked, if it may not (the deadline passed, the one allowed
    /// is used).
    pub rereview_refusal: Option<String>,
    /// A sale's recorded plan, and whether its draw is done or not needed.
    pub sale_plan: bool,
    pub lottery_settled: bool,
    pub comment: Option<String>,
    pub today: Option<NaiveDate>,
}

/// An open withdrawal request (HS-A9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WithdrawalFact {
    pub requested_on: NaiveDate,
    /// The last day of the notice period (one month, Civil Code arts. 201–203).
    pub notice_ends: NaiveDate,
}

/// A recorded acquisition plan as the round's approval reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanFact {
    pub id: i64,
    pub sha256: String,
    /// Units the plan takes per demand band.
    pub by_band: BTreeMap<String, u64>,
}

/// Why a guard refused, with the data a person needs to fix it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GuardFailure {
    pub guard: &'static str,
    pub rule: String,
    pub message: String,
    #[serde(skip_serializing_if = "serde_json::Value::is_null")]
    pub detail: serde_json::Value,
}

fn fail(g: &GuardUse, message: String, detail: serde_json::Value) -> Result<(), GuardFailure> {
    Err(GuardFailure {
        guard: g.kind.name(),
        rule: g.rule.clone(),
        message,
        detail,
    })
}

/// Runs the automatic review report of HS-A4 from the facts.
pub fn review_report(facts: &Facts) -> Option<ReviewReport> {
    let listing = facts.listing.as_ref()?;
    let params = facts.review_params.as_ref()?;
    Some(review::review(
        &facts.units,
        listing,
        params,
        &facts.waived_checks,
    ))
}

/// Evaluates one guard. Pure: everything it reads is in `facts`.
pub fn check(g: &GuardUse, facts: &Facts) -> Result<(), GuardFailure> {
    let kind = g;
    match g.kind {
        // HS-A8: a listing is incomplete until every required document kind is present.
        GuardKind::DocumentsComplete => {
            let missing: Vec<&String> = g
                .list_param("required_documents")
                .iter()
                .filter(|k| !facts.documents_present.contains(*k))
                .collect();
            if missing.is_empty() {
                Ok(())
            } else {
                fail(
                    kind,
                    format!("required documents are missing: {}", join(&missing)),
                    serde_json::json!({ "missing": missing }),
                )
            }
        }
        GuardKind::DocumentPresent => {
            let k = g.str_param("kind");
            if facts.documents_present.contains(k) {
                Ok(())
            } else {
                fail(
                    kind,
                    format!("document of kind {k:?} has not been uploaded"),
                    serde_json::json!({ "missing": [k] }),
                )
            }
        }
        // HS-A4: the automatic review report must pass (failures in principle may be waived).
        GuardKind::ReviewPassed => match review_report(facts) {
            None => fail(
                kind,
                "no review report: listing facts or review parameters are missing".into(),
                serde_json::Value::Null,
            ),
            Some(r) if r.passed => Ok(()),
            Some(r) => {
                let failing: Vec<_> = r.checks.iter().filter(|c| !c.passed && !c.waived).collect();
                let ids: Vec<&str> = failing.iter().map(|c| c.id.as_str()).collect();
                fail(
                    kind,
                    format!("review checks fail: {}", ids.join(", ")),
                    serde_json::to_value(&failing).unwrap_or_default(),
                )
            }
        },
        // HS-A7.3: the natural-resources bureau reviews title jointly with the housing bureau.
        GuardKind::TitleSignedOff => match &facts.title_signoff {
            Some(s) if s.clear => Ok(()),
            Some(s) => fail(
                kind,
                format!(
                    "the natural-resources bureau ({}) found the title not clear",
                    s.by
                ),
                serde_json::Value::Null,
            ),
            None => fail(
                kind,
                "the natural-resources bureau has not signed off the title".into(),
                serde_json::Value::Null,
            ),
        },
        // HS-A7.3: an open objection keeps the listing out of the pool.
        GuardKind::NoOpenObjection => {
            if facts.open_objections == 0 {
                Ok(())
            } else {
                fail(
                    kind,
                    format!("{} objection(s) are still open", facts.open_objections),
                    serde_json::Value::Null,
                )
            }
        }
        // HS-A7.3 publicity and HS-A9 withdrawal notice: nothing moves before the period ends.
        GuardKind::DeadlineElapsed => match (facts.state_deadline, facts.today) {
            (Some(due), Some(today)) if has_elapsed(due, today) => Ok(()),
            (Some(due), _) => fail(
                kind,
                format!("the period runs until {due} (inclusive)"),
                serde_json::json!({ "due": due }),
            ),
            (None, _) => fail(
                kind,
                "the current state has no deadline to wait for".into(),
                serde_json::Value::Null,
            ),
        },
        // HS-A7.4: a valuation must be recorded before negotiation.
        GuardKind::ValuationRecorded => match facts.ceiling_per_m2 {
            Some(_) => Ok(()),
            None => fail(
                kind,
                "no valuation has been recorded for this listing".into(),
                serde_json::Value::Null,
            ),
        },
        // HS-A7.5 / HS-P6: the agreed price may not exceed the replacement-price ceiling.
        GuardKind::PriceWithinCeiling => match (facts.ceiling_per_m2, facts.agreed_price_per_m2) {
            (None, _) => fail(
                kind,
                "no valuation has been recorded for this listing".into(),
                serde_json::Value::Null,
            ),
            (Some(_), None) => fail(
                kind,
                "the agreed price per m² (agreed_price_per_m2) is required".into(),
                serde_json::Value::Null,
            ),
            (Some(ceiling), Some(agreed)) if agreed.value() > ceiling.value() => fail(
                kind,
                format!(
                    "agreed price {agreed} yuan/m² is above the replacement-price ceiling {ceiling} yuan/m²"
                ),
                serde_json::json!({ "agreed_price_per_m2": agreed, "ceiling_per_m2": ceiling }),
            ),
            (Some(_), Some(_)) => Ok(()),
        },
        // HS-A2: 以需定购 — what is bought never exceeds the surveyed demand, per band.
        GuardKind::WithinDemand | GuardKind::PlanWithinDemand => {
            let mut planned = facts.committed.clone();
            for (band, n) in &facts.this_listing {
                *planned.entry(band.clone()).or_default() += n;
            }
            match check_within_demand(&facts.demand, &planned) {
                Ok(()) => Ok(()),
                Err(excess) => fail(
                    kind,
                    excess_message(&excess),
                    serde_json::to_value(&excess).unwrap_or_default(),
                ),
            }
        }
        // HS-A7.1: the survey must have returns before listings are solicited.
        GuardKind::SurveyHasReturns => {
            if facts.demand.values().any(|n| *n > 0) {
                Ok(())
            } else {
                fail(
                    kind,
                    "the demand survey has no returns yet".into(),
                    serde_json::Value::Null,
                )
            }
        }
        // HS-A7.4 / YQ-7.4: a round that took bids approves a recorded plan (收购方案) drawn
        // from their comparison, and that plan stays within the surveyed demand (HS-A2).
        GuardKind::PlanRecorded => match &facts.plan {
            None if facts.tendered => fail(
                kind,
                "the round took bids but no acquisition plan (收购方案) has been recorded from their comparison".into(),
                serde_json::Value::Null,
            ),
            None => Ok(()),
            Some(p) => match check_within_demand(&facts.demand, &p.by_band) {
                Ok(()) => Ok(()),
                Err(excess) => fail(
                    kind,
                    excess_message(&excess),
                    serde_json::to_value(&excess).unwrap_or_default(),
                ),
            },
        },
        GuardKind::CommentRequired => match facts.comment.as_deref().map(str::trim) {
            Some(c) if !c.is_empty() => Ok(()),
            _ => fail(
                kind,
                "a comment giving the reason is required".into(),
                serde_json::Value::Null,
            ),
        },
        // HS-A9: 应提前一个月向县住房保障部门提出申请，经书面同意后方可销售.
        GuardKind::WithdrawalNoticeElapsed => match (facts.withdrawal, facts.today) {
            (Some(w), Some(today)) if has_elapsed(w.notice_ends, today) => Ok(()),
            (Some(w), _) => fail(
                kind,
                format!(
                    "the withdrawal was requested on {} and its one-month notice runs until {} (inclusive)",
                    w.requested_on, w.notice_ends
                ),
                serde_json::json!({ "requested_on": w.requested_on, "notice_ends": w.notice_ends }),
            ),
            (None, _) => fail(
                kind,
                "the developer has not applied to withdraw (request_withdrawal, one month ahead)"
                    .into(),
                serde_json::Value::Null,
            ),
        },
        GuardKind::WithdrawalPending => match facts.withdrawal {
            Some(_) => Ok(()),
            None => fail(
                kind,
                "there is no open withdrawal request".into(),
                serde_json::Value::Null,
            ),
        },
        GuardKind::MaterialsComplete => {
            if facts.materials_missing.is_empty() {
                Ok(())
            } else {
                fail(
                    kind,
                    format!("materials are missing: {}", facts.materials_missing.join("、")),
                    serde_json::json!({ "missing": facts.materials_missing }),
                )
            }
        }
        GuardKind::VerificationsComplete => {
            if !facts.verifications_failed.is_empty() {
                fail(
                    kind,
                    format!("departments found against the household: {}", facts.verifications_failed.join("；")),
                    serde_json::json!({ "failed": facts.verifications_failed }),
                )
            } else if !facts.verifications_missing.is_empty() {
                fail(
                    kind,
                    format!("departments have not verified yet: {}", facts.verifications_missing.join("、")),
                    serde_json::json!({ "missing": facts.verifications_missing }),
                )
            } else {
                Ok(())
            }
        }
        GuardKind::Eligible => match &facts.eligibility {
            Some(e) if e.eligible => Ok(()),
            Some(e) => {
                let failing: Vec<_> = e
                    .tests
                    .iter()
                    .filter(|t| {
                        !matches!(
                            t.outcome,
                            crate::domain::allocation::eligibility::Outcome::Passed
                                | crate::domain::allocation::eligibility::Outcome::Condition
                                | crate::domain::allocation::eligibility::Outcome::NotApplicable
                        )
                    })
                    .collect();
                fail(
                    kind,
                    format!(
                        "the household does not meet: {}",
                        failing
                            .iter()
                            .map(|t| format!("{} {}", t.rule, t.detail))
                            .collect::<Vec<_>>()
                            .join("；")
                    ),
                    serde_json::to_value(&failing).unwrap_or_default(),
                )
            }
            None => fail(kind, "no household data recorded".into(), serde_json::Value::Null),
        },
        GuardKind::RereviewAllowed => match &facts.rereview_refusal {
            None => Ok(()),
            Some(why) => fail(kind, why.clone(), serde_json::Value::Null),
        },
        GuardKind::SalePlanRecorded => {
            if facts.sale_plan {
                Ok(())
            } else {
                fail(kind, "no sale plan (配售方案) has been recorded".into(), serde_json::Value::Null)
            }
        }
        GuardKind::LotteryDrawn => {
            if facts.lottery_settled {
                Ok(())
            } else {
                fail(
                    kind,
                    "the selection order has not been drawn (摇号)".into(),
                    serde_json::Value::Null,
                )
            }
        }
        // YQ-7.4: 最终确定收购房源 — only what the recorded plan picked is bought.
        GuardKind::InRecordedPlan => match facts.in_round_plan {
            Some(true) => Ok(()),
            Some(false) => fail(
                kind,
                "the round's recorded acquisition plan did not pick this listing".into(),
                serde_json::Value::Null,
            ),
            None => fail(
                kind,
                "the round has no recorded acquisition plan (收购方案) yet".into(),
                serde_json::Value::Null,
            ),
        },
    }
}

fn excess_message(excess: &[BandExcess]) -> String {
    let parts: Vec<String> = excess
        .iter()
        .map(|e| {
            format!(
                "band {}: planned {} > surveyed demand {}",
                e.band, e.planned, e.demand
            )
        })
        .collect();
    format!(
        "purchase would exceed surveyed demand ({})",
        parts.join("; ")
    )
}

fn join(items: &[&String]) -> String {
    items
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
