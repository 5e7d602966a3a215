//! The engine: given a definition, an instance's state, a command and the facts its guards need,
//! decide the transition. Synchronous and pure; the store saves what it decides.

use super::def::WorkflowDef;
use super::guards::{self, Facts, GuardFailure, Need};
use crate::domain::calendar::{CalendarError, WorkCalendar, due_date};
use crate::domain::role::Role;
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeSet;

/// What the engine needs to know of an instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceState {
    pub state: String,
    pub version: i64,
    pub deadline_due: Option<NaiveDate>,
}

#[derive(Debug, Clone)]
pub struct Command<'a> {
    pub action: &'a str,
    pub role: Role,
    pub expected_version: i64,
    pub today: NaiveDate,
}

/// A decided transition: what the store writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub action: String,
    pub from: String,
    pub to: String,
    /// The deadline of the state entered, if it has one: (name, due date inclusive).
    pub deadline: Option<(String, NaiveDate)>,
    pub rule: Option<String>,
    /// Names of the guards that passed, recorded in history.
    pub guards_passed: Vec<&'static str>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EngineError {
    #[error("workflow {workflow} has no action {action:?}")]
    UnknownAction { workflow: String, action: String },
    #[error("role {role} may not take action {action:?} (allowed: {allowed})")]
    RoleNotAllowed {
        action: String,
        role: Role,
        allowed: String,
    },
    #[error("stale version: expected {expected}, the instance is at {actual}")]
    StaleVersion { expected: i64, actual: i64 },
    #[error("action {action:?} cannot be taken in state {state:?} (only from {from})")]
    WrongState {
        action: String,
        state: String,
        from: String,
        /// The action's rule: what says where it may be taken (e.g. HS-A9 for a withdrawal).
        rule: Option<String>,
    },
    #[error("{}", .0.iter().map(|f| format!("{}: {}", f.rule, f.message)).collect::<Vec<_>>().join("; "))]
    Guards(Vec<GuardFailure>),
    #[error(transparent)]
    Calendar(#[from] CalendarError),
}

/// The facts an action's guards read.
pub fn needs(def: &WorkflowDef, action: &str) -> BTreeSet<Need> {
    def.action(action)
        .map(|a| {
            a.guards
                .iter()
                .flat_map(|g| g.kind.needs().iter().copied())
                .collect()
        })
        .unwrap_or_default()
}

/// Deadline due when entering `state` on `today`.
pub fn deadline_on_entry(
    def: &WorkflowDef,
    state: &str,
    today: NaiveDate,
    cal: &WorkCalendar,
) -> Result<Option<(String, NaiveDate)>, CalendarError> {
    match def.state(state).and_then(|s| s.deadline.as_ref()) {
        None => Ok(None),
        Some(d) => Ok(Some((
            d.name.clone(),
            due_date(cal, today, d.amount, d.unit)?,
        ))),
    }
}

/// Decides one command. Checks, in order: the action exists, the role may take it, the version
/// is current, the state allows it, every guard passes; then computes the deadline of the state
/// entered (refused when the calendar lacks the year).
pub fn decide(
    def: &WorkflowDef,
    inst: &InstanceState,
    cmd: &Command<'_>,
    facts: &Facts,
    cal: &WorkCalendar,
) -> Result<Decision, EngineError> {
    let action = def
        .action(cmd.action)
        .ok_or_else(|| EngineError::UnknownAction {
            workflow: def.key.clone(),
            action: cmd.action.to_string(),
        })?;
    if !action.roles.contains(&cmd.role) {
        return Err(EngineError::RoleNotAllowed {
            action: action.name.clone(),
            role: cmd.role,
            allowed: action
                .roles
                .iter()
                .map(|r| r.key())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    if cmd.expected_version != inst.version {
        return Err(EngineError::StaleVersion {
            expected: cmd.expected_version,
            actual: inst.version,
        });
    }
    if !action.from.contains(&inst.state) {
        return Err(EngineError::WrongState {
            action: action.name.clone(),
            state: inst.state.clone(),
            from: action.from.join(", "),
            rule: action.rule.clone(),
        });
    }
    let failures: Vec<GuardFailure> = action
        .guards
        .iter()
        .filter_map(|g| guards::check(g, facts).err())
        .collect();
    if !failures.is_empty() {
        return Err(EngineError::Guards(failures));
    }
    let to = if action.to == super::def::STAY {
        inst.state.clone()
    } else {
        action.to.clone()
    };
    let deadline = if to == inst.state {
        None
    } else {
        deadline_on_entry(def, &to, cmd.today, cal)?
    };
    Ok(Decision {
        action: action.name.clone(),
        from: inst.state.clone(),
        to,
        deadline,
        rule: action.rule.clone(),
        guards_passed: action.guards.iter().map(|g| g.kind.name()).collect(),
    })
}

/// An action the caller could take from the current state, and what blocks it now.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AvailableAction {
    pub name: String,
    pub label: String,
    pub to: String,
    pub rule: Option<String>,
    pub enabled: bool,
    /// Guard refusals that would stop it now.
    #[schema(value_type = Vec<Object>)]
    pub blocked_by: Vec<GuardFailure>,
    /// What the person must give with the action: `price_per_m2`, `clear` (a title finding),
    /// `no_luxury` and `little_work_left` (the reviewer's findings, HS-A4.1/HS-A4.2).
    pub inputs: Vec<&'static str>,
    /// A comment giving the reason is required.
    pub comment_required: bool,
}

/// The inputs an action asks of the person taking it.
fn inputs_of(def: &WorkflowDef, a: &super::def::ActionDef) -> Vec<&'static str> {
    use super::def::Effect;
    use crate::domain::review::ConstructionRule;
    let mut out = Vec::new();
    match a.effect {
        Some(Effect::AgreedPrice | Effect::FinalPrice) => out.push("price_per_m2"),
        Some(Effect::TitleSignoff) => out.push("clear"),
        _ => {}
    }
    if a.guards
        .iter()
        .any(|g| g.kind == guards::GuardKind::ReviewPassed)
    {
        if def.pack.review.no_luxury {
            out.push("no_luxury");
        }
        if def.pack.review.construction == ConstructionRule::HsA41 {
            out.push("little_work_left");
        }
    }
    out
}

/// The actions `role` may take from the instance's state, with their guards evaluated on
/// `facts` (facts not loaded count as absent, so pass the union of all needs).
pub fn available_actions(
    def: &WorkflowDef,
    inst: &InstanceState,
    role: Role,
    facts: &Facts,
) -> Vec<AvailableAction> {
    def.actions
        .iter()
        .filter(|a| a.roles.contains(&role) && a.from.contains(&inst.state))
        .map(|a| {
            let blocked_by: Vec<GuardFailure> = a
                .guards
                .iter()
                // Payload guards depend on what the caller will send, not on the instance.
                .filter(|g| {
                    !matches!(
                        g.kind,
                        guards::GuardKind::CommentRequired | guards::GuardKind::PriceWithinCeiling
                    )
                })
                .filter_map(|g| guards::check(g, facts).err())
                .collect();
            AvailableAction {
                inputs: inputs_of(def, a),
                comment_required: a
                    .guards
                    .iter()
                    .any(|g| g.kind == guards::GuardKind::CommentRequired),
                name: a.name.clone(),
                label: a.label.clone(),
                to: if a.to == super::def::STAY {
                    inst.state.clone()
                } else {
                    a.to.clone()
                },
                rule: a.rule.clone(),
                enabled: blocked_by.is_empty(),
                blocked_by,
            }
        })
        .collect()
}
