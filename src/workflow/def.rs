//! Workflow definitions: TOML read into plain serde structs (raw), then checked once into a
//! [`WorkflowDef`] (known roles, guards and parameters; every state reachable from the start;
//! every state can reach an end; no action out of an end state; deadlines with units).
//!
//! A definition's version is the SHA-256 of its workflow text and its policy pack text together:
//! an instance remembers the version it started on and keeps running on it after a file changes.

use super::guards::{GuardKind, GuardUse, ParamType, ParamValue};
use super::pack::Pack;
use crate::domain::calendar::DeadlineUnit;
use crate::domain::role::Role;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use toml::Spanned;

/// A problem in a workflow or policy file: which file, where, why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}", line = line.map(|l| l.to_string()).unwrap_or_else(|| "-".into()))]
pub struct DefError {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

/// 1-based line of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())]
        .bytes()
        .filter(|b| *b == b'\n')
        .count()
        + 1
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    workflow: RawHeader,
    #[serde(default)]
    state: Vec<RawState>,
    #[serde(default)]
    action: Vec<RawAction>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeader {
    name: String,
    title: String,
    start: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawState {
    name: Spanned<String>,
    label: String,
    #[serde(default)]
    end: bool,
    /// Listings in this state count against the surveyed demand (HS-A2).
    #[serde(default)]
    commits: bool,
    /// Records that may be added in this state besides actions: `documents` (the developer may
    /// upload or replace documents and the unit list), `valuation` (the appraiser may record a
    /// report), `exceptions` (a policy exception may be requested), `survey_returns` (demand
    /// survey returns may be entered), `listings` (developers may submit listings to a round),
    /// `offers` (asking prices and offers of the negotiation, HS-A7.5).
    #[serde(default)]
    allows: Vec<Spanned<String>>,
    deadline: Option<Spanned<RawDeadline>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDeadline {
    name: String,
    amount: toml::Value,
    unit: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAction {
    name: Spanned<String>,
    label: String,
    from: Vec<Spanned<String>>,
    to: Spanned<String>,
    roles: Vec<Spanned<String>>,
    #[serde(default)]
    guards: Vec<Spanned<RawGuard>>,
    rule: Option<String>,
    effect: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawGuard {
    Name(String),
    Full {
        guard: String,
        #[serde(default)]
        params: BTreeMap<String, toml::Value>,
        /// The rule the refusal cites, where the guard's own (or the action's) is not the one
        /// the pack's text sets.
        #[serde(default)]
        rule: Option<String>,
    },
}

/// A deadline attached to a state: computed from the day the instance enters it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeadlineDef {
    pub name: String,
    pub amount: u32,
    pub unit: DeadlineUnit,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StateDef {
    pub name: String,
    pub label: String,
    pub end: bool,
    pub commits: bool,
    pub allows: Vec<Capability>,
    pub deadline: Option<DeadlineDef>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionDef {
    pub name: String,
    pub label: String,
    pub from: Vec<String>,
    /// The state entered; [`STAY`] keeps the instance where it is (an action that records in
    /// several states, e.g. a withdrawal request under HS-A9).
    pub to: String,
    pub roles: Vec<Role>,
    pub guards: Vec<GuardUse>,
    pub rule: Option<String>,
    /// What the action records besides the transition (a title sign-off, an objection, …).
    pub effect: Option<Effect>,
}

/// Records that a state lets people add without moving the instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    Documents,
    Valuation,
    Exceptions,
    SurveyReturns,
    Listings,
    Offers,
    /// Exceptions to "in principle" pricing limits of the bought units (HS-P8, HS-P9, HS-P13, XY-29).
    PriceExceptions,
    /// HS-F4: acquisition money may be paid into the listing's escrow account (after signing).
    Payments,
    /// An application's household data may be corrected (NC-29, XY-19).
    Household,
    /// An application's materials checklist may be ticked (YQ-13, NC-26, XY-22).
    Materials,
    /// The departments record their findings (YQ-4, NC-27, XY-4).
    Verifications,
    /// A sale's plan may be written (YQ-15, NC-33, XY-13).
    SalePlan,
    /// Qualified households register for a sale (YQ-15, XY-25.2).
    Registrations,
    /// The entrant list is fixed and the lottery drawn (YQ-15, NC-33, XY-25.3).
    Lottery,
    /// Households choose units in order (XY-25.4).
    Selections,
    /// Sale contracts are signed (YQ-18, NC-34, XY-25.5).
    Contracts,
}

impl Capability {
    pub const ALL: [Capability; 16] = [
        Capability::Documents,
        Capability::Valuation,
        Capability::Exceptions,
        Capability::SurveyReturns,
        Capability::Listings,
        Capability::Offers,
        Capability::PriceExceptions,
        Capability::Payments,
        Capability::Household,
        Capability::Materials,
        Capability::Verifications,
        Capability::SalePlan,
        Capability::Registrations,
        Capability::Lottery,
        Capability::Selections,
        Capability::Contracts,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Capability::Documents => "documents",
            Capability::Valuation => "valuation",
            Capability::Exceptions => "exceptions",
            Capability::SurveyReturns => "survey_returns",
            Capability::Listings => "listings",
            Capability::Offers => "offers",
            Capability::PriceExceptions => "price_exceptions",
            Capability::Payments => "payments",
            Capability::Household => "household",
            Capability::Materials => "materials",
            Capability::Verifications => "verifications",
            Capability::SalePlan => "sale_plan",
            Capability::Registrations => "registrations",
            Capability::Lottery => "lottery",
            Capability::Selections => "selections",
            Capability::Contracts => "contracts",
        }
    }
}

impl StateDef {
    pub fn allows(&self, c: Capability) -> bool {
        self.allows.contains(&c)
    }
}

/// Records an action writes beside its history entry. The service implements each; a workflow
/// file naming any other is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// HS-A7.3: the natural-resources bureau's finding on title (`clear`: bool).
    TitleSignoff,
    /// HS-A7.3: an objection received during publicity (`comment` is its content).
    Objection,
    /// HS-A7.3: the housing bureau's handling of every open objection.
    ResolveObjections,
    /// HS-A7.5: the price agreed in negotiation (`price_per_m2`).
    AgreedPrice,
    /// HS-A7.6 / HS-P6: the leading group's final price (`price_per_m2`, default the agreed one).
    FinalPrice,
}

impl Effect {
    pub const ALL: [Effect; 5] = [
        Effect::TitleSignoff,
        Effect::Objection,
        Effect::ResolveObjections,
        Effect::AgreedPrice,
        Effect::FinalPrice,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Effect::TitleSignoff => "title_signoff",
            Effect::Objection => "objection",
            Effect::ResolveObjections => "resolve_objections",
            Effect::AgreedPrice => "agreed_price",
            Effect::FinalPrice => "final_price",
        }
    }
}

/// `to = "."`: the action records without moving the instance.
pub const STAY: &str = ".";

/// A checked workflow. Construct only through [`WorkflowDef::parse`].
#[derive(Debug, Clone)]
pub struct WorkflowDef {
    /// `<pack>/<name>`, e.g. `huoshan/listing`.
    pub key: String,
    pub name: String,
    pub title: String,
    pub start: String,
    pub states: Vec<StateDef>,
    pub actions: Vec<ActionDef>,
    /// Content version: hex SHA-256 of the workflow text, a NUL byte, and the policy text.
    pub hash: String,
    /// The workflow file's text as read (stored with the hash).
    pub source_text: String,
    /// Policy parameters this workflow reads (guards' defaults and `@` references).
    pub used_params: BTreeSet<String>,
    pub pack: Pack,
}

impl WorkflowDef {
    pub fn state(&self, name: &str) -> Option<&StateDef> {
        self.states.iter().find(|s| s.name == name)
    }
    pub fn action(&self, name: &str) -> Option<&ActionDef> {
        self.actions.iter().find(|a| a.name == name)
    }
    pub fn is_end(&self, state: &str) -> bool {
        self.state(state).is_some_and(|s| s.end)
    }

    /// Content hash of a definition's two source texts.
    pub fn content_hash(workflow_text: &str, policy_text: &str) -> String {
        let mut h = Sha256::new();
        h.update(workflow_text.as_bytes());
        h.update([0u8]);
        h.update(policy_text.as_bytes());
        hex::encode(h.finalize())
    }

    /// Reads and checks a workflow file against its policy pack.
    pub fn parse(file: &str, text: &str, pack: &Pack) -> Result<WorkflowDef, Vec<DefError>> {
        let err = |line: Option<usize>, message: String| DefError {
            file: file.to_string(),
            line,
            message,
        };
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            vec![err(
                e.span().map(|s| line_of(text, s.start)),
                e.message().to_string(),
            )]
        })?;
        let mut errors = Vec::new();
        let mut used = BTreeSet::new();
        let at = |s: &std::ops::Range<usize>| Some(line_of(text, s.start));

        // States.
        let mut states = Vec::new();
        let mut state_names = BTreeSet::new();
        for s in &raw.state {
            let name = s.name.get_ref().clone();
            if !state_names.insert(name.clone()) {
                errors.push(err(
                    at(&s.name.span()),
                    format!("state {name:?} is defined twice"),
                ));
            }
            let deadline = match &s.deadline {
                None => None,
                Some(d) => match check_deadline(d.get_ref(), pack, &mut used) {
                    Ok(d) => Some(d),
                    Err(m) => {
                        errors.push(err(
                            at(&d.span()),
                            format!("deadline of state {name:?}: {m}"),
                        ));
                        None
                    }
                },
            };
            let mut allows = Vec::new();
            for a in &s.allows {
                match Capability::ALL
                    .into_iter()
                    .find(|c| c.name() == a.get_ref())
                {
                    Some(c) => allows.push(c),
                    None => errors.push(err(
                        at(&a.span()),
                        format!(
                            "state {name:?}: unknown capability {:?}; known: {}",
                            a.get_ref(),
                            Capability::ALL.map(|c| c.name()).join(", ")
                        ),
                    )),
                }
            }
            states.push(StateDef {
                name,
                label: s.label.clone(),
                end: s.end,
                commits: s.commits,
                allows,
                deadline,
            });
        }
        if !state_names.contains(raw.workflow.start.get_ref()) {
            errors.push(err(
                at(&raw.workflow.start.span()),
                format!(
                    "start state {:?} is not defined",
                    raw.workflow.start.get_ref()
                ),
            ));
        }
        if !states.iter().any(|s| s.end) {
            errors.push(err(
                None,
                "no end state: mark at least one state with end = true".into(),
            ));
        }

        // Actions.
        let mut actions = Vec::new();
        let mut action_names = BTreeSet::new();
        for a in &raw.action {
            let name = a.name.get_ref().clone();
            if !action_names.insert(name.clone()) {
                errors.push(err(
                    at(&a.name.span()),
                    format!("action {name:?} is defined twice"),
                ));
            }
            for f in &a.from {
                match states.iter().find(|s| &s.name == f.get_ref()) {
                    None => errors.push(err(
                        at(&f.span()),
                        format!("action {name:?}: unknown state {:?} in from", f.get_ref()),
                    )),
                    Some(s) if s.end => errors.push(err(
                        at(&f.span()),
                        format!(
                            "action {name:?} leaves end state {:?}: an end state has no actions",
                            s.name
                        ),
                    )),
                    Some(_) => {}
                }
            }
            if a.to.get_ref() != STAY && !state_names.contains(a.to.get_ref()) {
                errors.push(err(
                    at(&a.to.span()),
                    format!("action {name:?}: unknown state {:?} in to", a.to.get_ref()),
                ));
            }
            let mut roles = Vec::new();
            for r in &a.roles {
                match r.get_ref().parse::<Role>() {
                    Ok(Role::Admin) | Ok(Role::Supervisor) => errors.push(err(
                        at(&r.span()),
                        format!(
                            "action {name:?}: role {:?} takes no workflow actions",
                            r.get_ref()
                        ),
                    )),
                    Ok(role) => roles.push(role),
                    Err(m) => errors.push(err(at(&r.span()), format!("action {name:?}: {m}"))),
                }
            }
            if a.roles.is_empty() {
                errors.push(err(
                    at(&a.name.span()),
                    format!("action {name:?} names no role"),
                ));
            }
            let mut guards = Vec::new();
            for g in &a.guards {
                match check_guard(g.get_ref(), a.rule.as_deref(), pack, &mut used) {
                    Ok(u) => guards.push(u),
                    Err(m) => errors.push(err(at(&g.span()), format!("action {name:?}: {m}"))),
                }
            }
            let effect = match &a.effect {
                None => None,
                Some(e) => match Effect::ALL.into_iter().find(|x| x.name() == e.get_ref()) {
                    Some(x) => Some(x),
                    None => {
                        errors.push(err(
                            at(&e.span()),
                            format!(
                                "action {name:?}: unknown effect {:?}; known effects: {}",
                                e.get_ref(),
                                Effect::ALL.map(|x| x.name()).join(", ")
                            ),
                        ));
                        None
                    }
                },
            };
            actions.push(ActionDef {
                name,
                label: a.label.clone(),
                from: a.from.iter().map(|f| f.get_ref().clone()).collect(),
                to: a.to.get_ref().clone(),
                roles,
                guards,
                rule: a.rule.clone(),
                effect,
            });
        }

        if errors.is_empty() {
            errors.extend(
                check_graph(&raw.workflow.start.get_ref().clone(), &states, &actions)
                    .into_iter()
                    .map(|m| err(None, m)),
            );
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(WorkflowDef {
            key: format!("{}/{}", pack.key, raw.workflow.name),
            name: raw.workflow.name,
            title: raw.workflow.title,
            start: raw.workflow.start.into_inner(),
            states,
            actions,
            hash: WorkflowDef::content_hash(text, &pack.source_text),
            used_params: used,
            source_text: text.to_string(),
            pack: pack.clone(),
        })
    }
}

fn check_deadline(
    d: &RawDeadline,
    pack: &Pack,
    used: &mut BTreeSet<String>,
) -> Result<DeadlineDef, String> {
    let unit = match d.unit.as_deref() {
        None => {
            return Err("a deadline needs a unit (working_days, calendar_days or months)".into());
        }
        Some("working_days") => DeadlineUnit::WorkingDays,
        Some("calendar_days") => DeadlineUnit::CalendarDays,
        Some("months") => DeadlineUnit::Months,
        Some(u) => {
            return Err(format!(
                "unknown deadline unit {u:?}; use working_days, calendar_days or months"
            ));
        }
    };
    let value = resolve(&d.amount, pack, used)?;
    let amount = value
        .as_integer()
        .filter(|n| (1..=3650).contains(n))
        .ok_or_else(|| format!("amount must be a whole number from 1 to 3650, got {value}"))?;
    Ok(DeadlineDef {
        name: d.name.clone(),
        amount: amount as u32,
        unit,
    })
}

/// A value or a `"@param"` reference to the pack's parameters.
fn resolve(
    v: &toml::Value,
    pack: &Pack,
    used: &mut BTreeSet<String>,
) -> Result<toml::Value, String> {
    match v.as_str().and_then(|s| s.strip_prefix('@')) {
        Some(name) => {
            used.insert(name.to_string());
            pack.params.get(name).cloned().ok_or_else(|| {
                format!(
                    "unknown parameter @{name} (not in the policy pack): where the text sets no number the pack must set it, citing its source"
                )
            })
        }
        None => Ok(v.clone()),
    }
}

fn check_guard(
    g: &RawGuard,
    action_rule: Option<&str>,
    pack: &Pack,
    used: &mut BTreeSet<String>,
) -> Result<GuardUse, String> {
    let (name, inline, rule) = match g {
        RawGuard::Name(n) => (n.as_str(), BTreeMap::new(), None),
        RawGuard::Full {
            guard,
            params,
            rule,
        } => (guard.as_str(), params.clone(), rule.clone()),
    };
    let kind = GuardKind::from_name(name).ok_or_else(|| {
        format!(
            "unknown guard {name:?}; known guards: {}",
            GuardKind::ALL.map(|g| g.name()).join(", ")
        )
    })?;

    for key in inline.keys() {
        if !kind.params().iter().any(|p| p.name == key) {
            return Err(format!("guard {name:?} has no parameter {key:?}"));
        }
    }
    let mut params = BTreeMap::new();
    for spec in kind.params() {
        let raw = match inline.get(spec.name) {
            Some(v) => resolve(v, pack, used)?,
            None => {
                used.insert(spec.name.to_string());
                pack.params.get(spec.name).cloned().ok_or_else(|| {
                    format!(
                        "guard {name:?} needs parameter {:?}, which no built-in default supplies: the pack must set it (in [params], citing its source) or the workflow inline",
                        spec.name
                    )
                })?
            }
        };
        let value = match spec.ty {
            ParamType::Str => raw.as_str().map(|s| ParamValue::Str(s.to_string())),
            ParamType::Count => raw
                .as_integer()
                .filter(|n| (1..=3650).contains(n))
                .map(|n| ParamValue::Count(n as u32)),
            ParamType::StrList => raw.as_array().and_then(|a| {
                a.iter()
                    .map(|x| x.as_str().map(str::to_string))
                    .collect::<Option<Vec<_>>>()
                    .map(ParamValue::StrList)
            }),
        }
        .ok_or_else(|| {
            format!(
                "guard {name:?}: parameter {:?} has the wrong type",
                spec.name
            )
        })?;
        if let (GuardKind::DocumentPresent, ParamValue::Str(k)) = (kind, &value)
            && !pack.documents.contains_key(k)
        {
            return Err(format!(
                "guard {name:?}: document kind {k:?} is not in the pack's [documents]"
            ));
        }
        params.insert(spec.name.to_string(), value);
    }
    // The rule a refusal cites: the use's own, else the guard's, else the action's.
    let rule = rule
        .or_else(|| kind.own_rule().map(str::to_string))
        .or_else(|| action_rule.map(str::to_string))
        .ok_or_else(|| {
            format!(
                "guard {name:?} cites no rule of its own: give the action a rule or the guard `rule = \"…\"`"
            )
        })?;
    Ok(GuardUse { kind, params, rule })
}

/// Every state reachable from the start; every state can reach an end.
fn check_graph(start: &str, states: &[StateDef], actions: &[ActionDef]) -> Vec<String> {
    let mut errors = Vec::new();
    let edges: Vec<(&str, &str)> = actions
        .iter()
        .filter(|a| a.to != STAY)
        .flat_map(|a| a.from.iter().map(move |f| (f.as_str(), a.to.as_str())))
        .collect();
    let reach = |seeds: Vec<&str>, forward: bool| -> BTreeSet<String> {
        let mut seen: BTreeSet<String> = seeds.iter().map(|s| s.to_string()).collect();
        let mut queue: VecDeque<String> = seen.iter().cloned().collect();
        while let Some(s) = queue.pop_front() {
            for (a, b) in &edges {
                let (here, next) = if forward { (a, b) } else { (b, a) };
                if *here == s && seen.insert(next.to_string()) {
                    queue.push_back(next.to_string());
                }
            }
        }
        seen
    };
    let from_start = reach(vec![start], true);
    let to_end = reach(
        states
            .iter()
            .filter(|s| s.end)
            .map(|s| s.name.as_str())
            .collect(),
        false,
    );
    for s in states {
        if !from_start.contains(&s.name) {
            errors.push(format!(
                "state {:?} is unreachable from the start state {start:?}",
                s.name
            ));
        }
        if !to_end.contains(&s.name) {
            errors.push(format!("state {:?} cannot reach an end state", s.name));
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = include_str!("../../workflows/huoshan/policy.toml");
    const LISTING: &str = include_str!("../../workflows/huoshan/listing.toml");

    fn pack() -> Pack {
        Pack::parse("policy.toml", "huoshan", POLICY).unwrap()
    }

    fn errors(text: &str) -> Vec<DefError> {
        WorkflowDef::parse("wf.toml", text, &pack()).expect_err("should be refused")
    }

    const MINI: &str = r#"
[workflow]
name = "mini"
title = "t"
start = "a"

[[state]]
name = "a"
label = "A"

[[state]]
name = "b"
label = "B"
end = true

[[action]]
name = "go"
label = "Go"
from = ["a"]
to = "b"
roles = ["housing_bureau"]
"#;

    #[test]
    fn shipped_listing_workflow_is_valid_and_hashed_by_content() {
        let d = WorkflowDef::parse("listing.toml", LISTING, &pack()).unwrap();
        assert_eq!(d.key, "huoshan/listing");
        assert_eq!(d.hash, WorkflowDef::content_hash(LISTING, POLICY));
        let changed = WorkflowDef::parse(
            "listing.toml",
            &LISTING.replace("已提交申请", "已提交"),
            &pack(),
        )
        .unwrap();
        assert_ne!(changed.hash, d.hash);
        assert_eq!(
            d.state("publicity")
                .unwrap()
                .deadline
                .as_ref()
                .unwrap()
                .amount,
            5
        );
    }

    #[test]
    fn unknown_role_is_refused_with_its_line() {
        let e = errors(&MINI.replace(r#"roles = ["housing_bureau"]"#, r#"roles = ["mayor"]"#));
        assert_eq!(e[0].line, Some(21), "{e:?}");
        assert!(e[0].message.contains("unknown role \"mayor\""), "{e:?}");
        assert!(e[0].to_string().starts_with("wf.toml:21: "));
    }

    #[test]
    fn supervisor_takes_no_action() {
        let e = errors(&MINI.replace(r#"roles = ["housing_bureau"]"#, r#"roles = ["supervisor"]"#));
        assert!(e[0].message.contains("takes no workflow actions"), "{e:?}");
    }

    #[test]
    fn unknown_guard_is_refused() {
        let e = errors(&MINI.replace(
            "roles = [\"housing_bureau\"]",
            "roles = [\"housing_bureau\"]\nguards = [\"mayor_agrees\"]",
        ));
        assert!(
            e[0].message.contains("unknown guard \"mayor_agrees\""),
            "{e:?}"
        );
        assert_eq!(e[0].line, Some(22));
    }

    #[test]
    fn unknown_guard_parameter_and_unknown_policy_reference_are_refused() {
        let e = errors(&MINI.replace(
            "roles = [\"housing_bureau\"]",
            "roles = [\"housing_bureau\"]\nguards = [{ guard = \"document_present\", params = { kind = \"agreement\", colour = \"red\" } }]",
        ));
        assert!(
            e[0].message.contains("has no parameter \"colour\""),
            "{e:?}"
        );
        let e = errors(&MINI.replace(
            "roles = [\"housing_bureau\"]",
            "roles = [\"housing_bureau\"]\nguards = [{ guard = \"documents_complete\", params = { required_documents = \"@no_such_list\" } }]",
        ));
        assert!(
            e[0].message.contains("unknown parameter @no_such_list"),
            "{e:?}"
        );
        let e = errors(&MINI.replace(
            "roles = [\"housing_bureau\"]",
            "roles = [\"housing_bureau\"]\nguards = [{ guard = \"document_present\", params = { kind = \"passport\" } }]",
        ));
        assert!(e[0].message.contains("document kind \"passport\""), "{e:?}");
    }

    #[test]
    fn unreachable_state_is_refused() {
        let e = errors(&format!(
            "{MINI}\n[[state]]\nname = \"island\"\nlabel = \"I\"\nend = true\n"
        ));
        assert!(
            e.iter()
                .any(|x| x.message.contains("\"island\" is unreachable")),
            "{e:?}"
        );
    }

    #[test]
    fn state_that_cannot_reach_an_end_is_refused() {
        let text = format!(
            "{MINI}\n[[state]]\nname = \"trap\"\nlabel = \"T\"\n\n[[action]]\nname = \"fall\"\nlabel = \"F\"\nfrom = [\"a\"]\nto = \"trap\"\nroles = [\"housing_bureau\"]\n"
        );
        let e = errors(&text);
        assert!(
            e.iter()
                .any(|x| x.message.contains("\"trap\" cannot reach an end state")),
            "{e:?}"
        );
    }

    #[test]
    fn action_out_of_an_end_state_is_refused() {
        let text = format!(
            "{MINI}\n[[action]]\nname = \"undo\"\nlabel = \"U\"\nfrom = [\"b\"]\nto = \"a\"\nroles = [\"housing_bureau\"]\n"
        );
        let e = errors(&text);
        assert!(
            e.iter()
                .any(|x| x.message.contains("leaves end state \"b\"")),
            "{e:?}"
        );
    }

    #[test]
    fn deadline_without_a_unit_is_refused() {
        let text = MINI.replace(
            "label = \"A\"\n",
            "label = \"A\"\ndeadline = { name = \"x\", amount = 5 }\n",
        );
        let e = errors(&text);
        assert!(e[0].message.contains("a deadline needs a unit"), "{e:?}");
        assert_eq!(e[0].line, Some(10));
        let text = MINI.replace(
            "label = \"A\"\n",
            "label = \"A\"\ndeadline = { name = \"x\", amount = 5, unit = \"fortnights\" }\n",
        );
        assert!(errors(&text)[0].message.contains("unknown deadline unit"));
    }

    #[test]
    fn malformed_toml_names_the_line() {
        let e = errors("[workflow]\nname = \"x\"\ntitle = \n");
        assert_eq!(e[0].line, Some(3), "{e:?}");
    }

    #[test]
    fn unknown_effect_and_capability_are_refused() {
        let e = errors(&MINI.replace(
            "roles = [\"housing_bureau\"]",
            "roles = [\"housing_bureau\"]\neffect = \"teleport\"",
        ));
        assert!(
            e[0].message.contains("unknown effect \"teleport\""),
            "{e:?}"
        );
        let e = errors(&MINI.replace(
            "label = \"A\"\n",
            "label = \"A\"\nallows = [\"anything\"]\n",
        ));
        assert!(
            e[0].message.contains("unknown capability \"anything\""),
            "{e:?}"
        );
    }
}
