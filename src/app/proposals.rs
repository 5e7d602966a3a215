//! Prices of bought units are proposed, then approved by the body the text names, step by step
//! (DOMAIN.md §1, §3, §5): an initial rent is set by the housing department and approved by the
//! county government (HS-P8); a rent change is proposed by the operator and decided by the
//! leading group (HS-P9); sale prices are proposed by the operator and approved by the leading
//! group (HS-P12), the city housing bureau through the sale plan (YQ-15), the 专班办公室 and then
//! the city government (NC-30), or the government (XY-13). The chain is the pack's data
//! (`pricing.toml`); a price binds only when every step approved it, and nothing is edited: a
//! refused proposal stays, refused.

use super::flow::{DecimalText, ensure_listing_scope, require_role};
use super::pricing::{dec, not_in_pack, per_m2};
use super::{App, AppError, Idem, boxed};
use crate::domain::pricing::{ApprovalChain, PricingError, PricingParams, ProposalStatus, sale};
use crate::domain::role::Role;
use crate::store::Tx;
use crate::store::listings as db;
use crate::store::proposals::{self as pdb, ApprovalRow, ProposalRow};
use crate::store::users::User;
use crate::workflow::def::Capability;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a proposal prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProposalKind {
    /// HS-P8.
    InitialRent,
    /// HS-P9.
    RentChange,
    /// HS-P11/HS-P12, YQ-17, NC-30, XY-13.
    SalePrice,
}

impl ProposalKind {
    pub fn key(self) -> &'static str {
        match self {
            ProposalKind::InitialRent => "initial_rent",
            ProposalKind::RentChange => "rent_change",
            ProposalKind::SalePrice => "sale_price",
        }
    }
    pub fn from_key(k: &str) -> Option<ProposalKind> {
        [
            ProposalKind::InitialRent,
            ProposalKind::RentChange,
            ProposalKind::SalePrice,
        ]
        .into_iter()
        .find(|x| x.key() == k)
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            ProposalKind::InitialRent => "初次租金",
            ProposalKind::RentChange => "租金调整",
            ProposalKind::SalePrice => "配售价格",
        }
    }
}

/// The pack's chain for a kind of proposal; `Err` where the pack's text sets no such price.
pub(crate) fn chain<'a>(
    pack: &str,
    p: &'a PricingParams,
    kind: ProposalKind,
) -> Result<&'a ApprovalChain, AppError> {
    match kind {
        ProposalKind::InitialRent => p
            .rent
            .as_ref()
            .map(|r| &r.initial_approval)
            .ok_or_else(|| not_in_pack(pack, "HS-P8", "rent rules")),
        ProposalKind::RentChange => p
            .rent
            .as_ref()
            .map(|r| &r.change_approval)
            .ok_or_else(|| not_in_pack(pack, "HS-P9", "rent rules")),
        ProposalKind::SalePrice => Ok(&p.sale.approval),
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema, validator::Validate)]
#[serde(deny_unknown_fields)]
pub struct ProposalDecision {
    pub approved: bool,
    /// The decision's reference: a 文号, the minutes of the meeting.
    #[validate(length(min = 1, max = 200))]
    pub decision_ref: String,
    #[validate(length(max = 2000))]
    pub comment: Option<String>,
}

/// HS-P11/HS-P12, YQ-17, NC-30, XY-13: the operator's proposed sale base of a listing's units.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema, validator::Validate)]
#[serde(deny_unknown_fields)]
pub struct SalePriceInput {
    /// The acquisition cost per m² the base starts from.
    #[schema(value_type = String, example = "3850")]
    pub cost_per_m2: DecimalText,
    /// The profit rate proposed (NC-30 caps it at 5 %; the other texts name no number).
    #[schema(value_type = String, example = "0.03")]
    pub profit_rate: DecimalText,
    #[validate(length(max = 2000))]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StepView {
    pub step: usize,
    pub role: Role,
    pub rule: String,
    pub label: String,
    pub decided: Option<DecisionView>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DecisionView {
    pub approved: bool,
    pub decision_ref: String,
    pub comment: Option<String>,
    pub decided_by: String,
    pub decided_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProposalView {
    pub id: i64,
    pub listing_id: i64,
    pub kind: ProposalKind,
    pub kind_zh: String,
    pub rule: String,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    pub note: Option<String>,
    pub proposed_by: String,
    pub proposed_role: String,
    pub proposed_at: DateTime<Utc>,
    pub status: ProposalStatus,
    pub steps: Vec<StepView>,
}

/// The status of each proposal of `rows` under the pack's chains.
pub(crate) fn statuses(
    pack: &str,
    p: &PricingParams,
    rows: &[ProposalRow],
    approvals: &[ApprovalRow],
) -> Result<BTreeMap<i64, ProposalStatus>, AppError> {
    let mut out = BTreeMap::new();
    for r in rows {
        let kind = ProposalKind::from_key(&r.kind)
            .ok_or_else(|| AppError::Internal(format!("proposal kind {}", r.kind)))?;
        let decisions: Vec<(usize, bool)> = approvals
            .iter()
            .filter(|a| a.proposal_id == r.id)
            .map(|a| (a.step as usize, a.approved))
            .collect();
        out.insert(r.id, chain(pack, p, kind)?.status(&decisions));
    }
    Ok(out)
}

impl App {
    /// The pack key and pricing parameters a listing runs under.
    pub(crate) async fn listing_pricing(
        &self,
        tx: &mut Tx,
        listing_id: i64,
    ) -> Result<(String, PricingParams), AppError> {
        let l = db::listing(tx, listing_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("listing {listing_id}")))?;
        let round = db::round(tx, l.round_id)
            .await?
            .ok_or_else(|| AppError::Internal("round vanished".into()))?;
        let p = self.pack(&round.pack)?.pricing().clone();
        Ok((round.pack, p))
    }

    pub(crate) async fn proposal_views(
        &self,
        tx: &mut Tx,
        listing_id: i64,
    ) -> Result<Vec<ProposalView>, AppError> {
        let (pack, p) = self.listing_pricing(tx, listing_id).await?;
        let rows = pdb::of_listing(tx, Some(listing_id)).await?;
        let approvals = pdb::approvals(tx, Some(listing_id)).await?;
        let status = statuses(&pack, &p, &rows, &approvals)?;
        let mut names: BTreeMap<i64, String> = BTreeMap::new();
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let kind = ProposalKind::from_key(&r.kind)
                .ok_or_else(|| AppError::Internal(format!("proposal kind {}", r.kind)))?;
            let c = chain(&pack, &p, kind)?;
            let mut steps = Vec::with_capacity(c.steps.len());
            for (i, s) in c.steps.iter().enumerate() {
                let decided = match approvals
                    .iter()
                    .find(|a| a.proposal_id == r.id && a.step as usize == i + 1)
                {
                    Some(a) => Some(DecisionView {
                        approved: a.approved,
                        decision_ref: a.decision_ref.clone(),
                        comment: a.comment.clone(),
                        decided_by: name(tx, &mut names, a.decided_by).await?,
                        decided_at: a.decided_at,
                    }),
                    None => None,
                };
                steps.push(StepView {
                    step: i + 1,
                    role: s.role,
                    rule: s.rule.clone(),
                    label: s.label.clone(),
                    decided,
                });
            }
            out.push(ProposalView {
                id: r.id,
                listing_id: r.listing_id,
                kind,
                kind_zh: kind.label_zh().into(),
                rule: r.rule.clone(),
                payload: serde_json::from_str(&r.payload).unwrap_or_default(),
                note: r.note.clone(),
                proposed_by: name(tx, &mut names, r.proposed_by).await?,
                proposed_role: r.role.clone(),
                proposed_at: r.proposed_at,
                status: status[&r.id],
                steps,
            });
        }
        Ok(out)
    }

    /// Every price proposal of a listing with its approvals (a developer sees only its own).
    pub async fn price_proposals(
        &self,
        actor: &User,
        listing_id: i64,
    ) -> Result<Vec<ProposalView>, AppError> {
        let mut tx = self.store.read().await?;
        let l = db::listing(&mut tx, listing_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("listing {listing_id}")))?;
        ensure_listing_scope(actor, &l)?;
        self.proposal_views(&mut tx, listing_id).await
    }

    /// Stores a proposal of the proposer the pack's chain names, and notes it in the listing's
    /// history. The caller checked the figures.
    pub(crate) async fn insert_proposal(
        &self,
        tx: &mut Tx,
        actor: &User,
        listing_id: i64,
        kind: ProposalKind,
        rule: &str,
        payload: serde_json::Value,
        note: Option<&str>,
    ) -> Result<i64, AppError> {
        let inst = self.instance_of(tx, listing_id, "listing").await?;
        let id = pdb::insert(
            tx,
            &ProposalRow {
                id: 0,
                listing_id,
                kind: kind.key().into(),
                rule: rule.into(),
                payload: payload.to_string(),
                note: note.map(str::to_string),
                proposed_by: actor.id,
                role: actor.role.key().into(),
                proposed_at: self.now(),
            },
        )
        .await?;
        self.record(
            tx,
            &inst,
            actor,
            "propose_price",
            note,
            serde_json::json!({ "rule": rule, "proposal_id": id, "kind": kind.key(), "figures": payload }),
        )
        .await?;
        Ok(id)
    }

    /// One step of a proposal's chain: the role the step names approves or refuses it, citing
    /// its decision. Steps go in order; a refused proposal is closed.
    pub async fn decide_proposal(
        &self,
        actor: &User,
        idem: Option<&Idem>,
        proposal_id: i64,
        d: ProposalDecision,
    ) -> Result<(u16, ProposalView), AppError> {
        let decision_ref = d.decision_ref.trim().to_string();
        if decision_ref.is_empty() {
            return Err(AppError::invalid(
                "decision_ref",
                "the decision's reference (文号 or minutes) is required",
            ));
        }
        let actor2 = actor.clone();
        self.command(actor, idem, 200, move |app, tx| {
            boxed(async move {
                let r = pdb::get(tx, proposal_id)
                    .await?
                    .ok_or_else(|| AppError::NotFound(format!("proposal {proposal_id}")))?;
                let (pack, p) = app.listing_pricing(tx, r.listing_id).await?;
                let kind = ProposalKind::from_key(&r.kind)
                    .ok_or_else(|| AppError::Internal(format!("proposal kind {}", r.kind)))?;
                let c = chain(&pack, &p, kind)?;
                let approvals = pdb::approvals(tx, Some(r.listing_id)).await?;
                let status = statuses(&pack, &p, std::slice::from_ref(&r), &approvals)?[&r.id];
                let step = match status {
                    ProposalStatus::Pending { step } => step,
                    _ => {
                        return Err(AppError::Conflict {
                            code: "already_decided",
                            message: format!("proposal {proposal_id} is already decided"),
                        });
                    }
                };
                let s = &c.steps[step - 1];
                if actor2.role != s.role {
                    return Err(AppError::Forbidden(format!(
                        "step {step} of proposal {proposal_id} ({}, {}) is for role {}, not {}",
                        s.label, s.rule, s.role, actor2.role
                    )));
                }
                let ok = pdb::insert_approval(
                    tx,
                    &ApprovalRow {
                        id: 0,
                        proposal_id,
                        step: step as i32,
                        role: s.role.key().into(),
                        rule: s.rule.clone(),
                        approved: d.approved,
                        decision_ref: decision_ref.clone(),
                        comment: d.comment.clone(),
                        decided_by: actor2.id,
                        decided_at: app.now(),
                    },
                )
                .await?;
                if !ok {
                    return Err(AppError::Conflict {
                        code: "stale_version",
                        message: format!("step {step} of proposal {proposal_id} was decided meanwhile; reload"),
                    });
                }
                let inst = app.instance_of(tx, r.listing_id, "listing").await?;
                app.record(
                    tx,
                    &inst,
                    &actor2,
                    "decide_price",
                    d.comment.as_deref(),
                    serde_json::json!({
                        "rule": s.rule, "proposal_id": proposal_id, "kind": kind.key(), "step": step,
                        "approved": d.approved, "decision_ref": decision_ref,
                    }),
                )
                .await?;
                app.proposal_views(tx, r.listing_id)
                    .await?
                    .into_iter()
                    .find(|v| v.id == proposal_id)
                    .ok_or_else(|| AppError::Internal("proposal vanished".into()))
            })
        })
        .await
    }

    /// HS-P11/HS-P12, YQ-17, NC-30, XY-13: the operator proposes a listing's sale base (cost ×
    /// (1 + profit)); NC-30 refuses a profit above 5 %, the other texts name no number. It binds
    /// once the pack's chain approved it.
    pub async fn propose_sale_price(
        &self,
        actor: &User,
        idem: Option<&Idem>,
        listing_id: i64,
        input: SalePriceInput,
    ) -> Result<(u16, ProposalView), AppError> {
        let cost = per_m2("cost_per_m2", &input.cost_per_m2)?;
        let rate = dec("profit_rate", &input.profit_rate)?;
        let actor2 = actor.clone();
        self.command(actor, idem, 201, move |app, tx| {
            boxed(async move {
                let inst = app.instance_of(tx, listing_id, "listing").await?;
                app.require_capability(tx, &inst, Capability::PriceExceptions)
                    .await?;
                let (pack, p) = app.listing_pricing(tx, listing_id).await?;
                let c = chain(&pack, &p, ProposalKind::SalePrice)?;
                require_role(&actor2, &[c.proposer], "propose sale prices")?;
                let b =
                    sale::sale_base(cost, rate, p.sale.profit_rate_cap).map_err(|e| match e {
                        PricingError::ProfitRateAboveCap { .. } => AppError::Rule {
                            code: "profit_rate_above_cap",
                            rule: p.sale.rule.clone(),
                            message: e.to_string(),
                        },
                        other => super::pricing::pricing_error(other),
                    })?;
                let payload = serde_json::json!({
                    "cost_per_m2": b.cost_per_m2,
                    "profit_rate": b.profit_rate.normalize().to_string(),
                    "base_per_m2": b.base_per_m2,
                    "profit_rate_cap": p.sale.profit_rate_cap.map(|c| c.normalize().to_string()),
                });
                let id = app
                    .insert_proposal(
                        tx,
                        &actor2,
                        listing_id,
                        ProposalKind::SalePrice,
                        &p.sale.rule,
                        payload,
                        input.note.as_deref(),
                    )
                    .await?;
                app.proposal_views(tx, listing_id)
                    .await?
                    .into_iter()
                    .find(|v| v.id == id)
                    .ok_or_else(|| AppError::Internal("proposal vanished".into()))
            })
        })
        .await
    }
}

async fn name(tx: &mut Tx, cache: &mut BTreeMap<i64, String>, id: i64) -> Result<String, AppError> {
    if let Some(n) = cache.get(&id) {
        return Ok(n.clone());
    }
    let n = crate::store::users::name_of(tx, id).await?;
    cache.insert(id, n.clone());
    Ok(n)
}
