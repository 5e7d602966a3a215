//! Price proposals of bought units and their approvals (HS-P8, HS-P9, HS-P12, YQ-15, NC-30,
//! XY-13). Append-only: a proposal is never edited; each approval step is a new row, at most one
//! per step.

use super::Tx;
use crate::on_tx;
use chrono::{DateTime, Utc};
use sqlx::Row;

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct ProposalRow {
    pub id: i64,
    pub listing_id: i64,
    /// `initial_rent`, `rent_change` or `sale_price`.
    pub kind: String,
    pub rule: String,
    /// The proposal's figures as JSON text.
    pub payload: String,
    pub note: Option<String>,
    pub proposed_by: i64,
    pub role: String,
    pub proposed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct ApprovalRow {
    pub id: i64,
    pub proposal_id: i64,
    pub step: i32,
    pub role: String,
    pub rule: String,
    pub approved: bool,
    pub decision_ref: String,
    pub comment: Option<String>,
    pub decided_by: i64,
    pub decided_at: DateTime<Utc>,
}

pub async fn insert(tx: &mut Tx, p: &ProposalRow) -> Result<i64, sqlx::Error> {
    on_tx!(tx, c => sqlx::query("INSERT INTO price_proposals (listing_id, kind, rule, payload, note, proposed_by, role, proposed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
        .bind(p.listing_id).bind(&p.kind).bind(&p.rule).bind(&p.payload).bind(&p.note).bind(p.proposed_by).bind(&p.role).bind(p.proposed_at)
        .fetch_one(&mut *c).await?.try_get("id"))
}

pub async fn get(tx: &mut Tx, id: i64) -> Result<Option<ProposalRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, ProposalRow>("SELECT * FROM price_proposals WHERE id = $1").bind(id).fetch_optional(&mut *c).await)
}

/// A listing's proposals, oldest first; `None`: every listing's.
pub async fn of_listing(
    tx: &mut Tx,
    listing_id: Option<i64>,
) -> Result<Vec<ProposalRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, ProposalRow>("SELECT * FROM price_proposals WHERE ($1 IS NULL OR listing_id = $1) ORDER BY id").bind(listing_id).fetch_all(&mut *c).await)
}

/// The approvals of a listing's proposals (`None`: all), in proposal and step order.
pub async fn approvals(
    tx: &mut Tx,
    listing_id: Option<i64>,
) -> Result<Vec<ApprovalRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, ApprovalRow>("SELECT a.* FROM price_approvals a JOIN price_proposals p ON p.id = a.proposal_id WHERE ($1 IS NULL OR p.listing_id = $1) ORDER BY a.proposal_id, a.step").bind(listing_id).fetch_all(&mut *c).await)
}

/// Records one step's decision; `false` when that step was decided meanwhile (unique key).
pub async fn insert_approval(tx: &mut Tx, a: &ApprovalRow) -> Result<bool, sqlx::Error> {
    let r = on_tx!(tx, c => sqlx::query("INSERT INTO price_approvals (proposal_id, step, role, rule, approved, decision_ref, comment, decided_by, decided_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
        .bind(a.proposal_id).bind(a.step).bind(&a.role).bind(&a.rule).bind(a.approved).bind(&a.decision_ref).bind(&a.comment).bind(a.decided_by).bind(a.decided_at)
        .execute(&mut *c).await.map(|_| ()));
    match r {
        Ok(_) => Ok(true),
        Err(e) if super::is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e),
    }
}
