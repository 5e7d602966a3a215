//! Tender terms, sealed bids and openings (migration 0006).

use super::Tx;
use crate::on_tx;
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TenderRow {
    pub round_id: i64,
    pub terms: String,
    pub deadline_at: DateTime<Utc>,
    pub opening_at: DateTime<Utc>,
}

pub async fn insert_tender(
    tx: &mut Tx,
    t: &TenderRow,
    by: i64,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    on_tx!(tx, c => { sqlx::query("INSERT INTO tenders (round_id, terms, deadline_at, opening_at, set_by, set_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(t.round_id).bind(&t.terms).bind(t.deadline_at).bind(t.opening_at).bind(by).bind(at).execute(&mut *c).await?; });
    Ok(())
}

pub async fn tender(tx: &mut Tx, round_id: i64) -> Result<Option<TenderRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, TenderRow>("SELECT round_id, terms, deadline_at, opening_at FROM tenders WHERE round_id = $1").bind(round_id).fetch_optional(&mut *c).await)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BidRow {
    pub id: i64,
    pub round_id: i64,
    pub developer_org: String,
    pub payload: String,
    pub submitted_at: DateTime<Utc>,
}

pub async fn insert_bid(
    tx: &mut Tx,
    round_id: i64,
    org: &str,
    payload: &str,
    by: i64,
    at: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    let r = on_tx!(tx, c => sqlx::query_as::<_, (i64,)>("INSERT INTO bids (round_id, developer_org, payload, submitted_by, submitted_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
        .bind(round_id).bind(org).bind(payload).bind(by).bind(at).fetch_one(&mut *c).await)?;
    Ok(r.0)
}

/// The latest bid of every company in a round (of one company when `org` is given).
pub async fn latest_bids(
    tx: &mut Tx,
    round_id: i64,
    org: Option<&str>,
) -> Result<Vec<BidRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, BidRow>("SELECT b.id, b.round_id, b.developer_org, b.payload, b.submitted_at FROM bids b WHERE b.round_id = $1 AND ($2 IS NULL OR b.developer_org = $2) AND b.id = (SELECT MAX(x.id) FROM bids x WHERE x.round_id = b.round_id AND x.developer_org = b.developer_org) ORDER BY b.id")
        .bind(round_id).bind(org).fetch_all(&mut *c).await)
}

pub async fn opening(tx: &mut Tx, round_id: i64) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    let r = on_tx!(tx, c => sqlx::query_as::<_, (DateTime<Utc>,)>("SELECT opened_at FROM bid_openings WHERE round_id = $1").bind(round_id).fetch_optional(&mut *c).await)?;
    Ok(r.map(|r| r.0))
}

pub async fn insert_opening(
    tx: &mut Tx,
    round_id: i64,
    by: i64,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    on_tx!(tx, c => { sqlx::query("INSERT INTO bid_openings (round_id, opened_by, opened_at) VALUES ($1, $2, $3)").bind(round_id).bind(by).bind(at).execute(&mut *c).await?; });
    Ok(())
}
