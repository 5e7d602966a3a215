//! The registers of bought units: each unit's use (HS-A6) and its rent (HS-P8, HS-P9).
//! Append-only: a unit's use and rent are its newest records; a change is a new row, never an
//! update.

use super::Tx;
use crate::on_tx;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row;

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct RentRecord {
    pub id: i64,
    pub listing_id: i64,
    pub unit_id: i64,
    pub kind: String,
    pub rent_per_m2_fen: i64,
    pub monthly_rent_fen: i64,
    pub market_rent_per_m2_fen: i64,
    pub effective_date: NaiveDate,
    pub exception_id: Option<i64>,
    /// Rule IDs applied, comma-separated.
    pub rules: String,
    pub note: Option<String>,
    pub recorded_by: i64,
    pub recorded_at: DateTime<Utc>,
    /// The proposal that carried it (HS-P8/HS-P9); `None` for rows recorded before proposals.
    pub proposal_id: Option<i64>,
}

/// A unit of a listing's current unit list, with its database id.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct UnitRef {
    pub id: i64,
    pub building: String,
    pub stair_unit: String,
    pub room: String,
    pub gross_area_centi: i64,
}

pub async fn current_unit_refs(tx: &mut Tx, listing_id: i64) -> Result<Vec<UnitRef>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, UnitRef>("SELECT id, building, stair_unit, room, gross_area_centi FROM units WHERE unit_list_id = (SELECT MAX(id) FROM unit_lists WHERE listing_id = $1) ORDER BY id")
        .bind(listing_id).fetch_all(&mut *c).await)
}

pub async fn insert(tx: &mut Tx, r: &RentRecord) -> Result<i64, sqlx::Error> {
    on_tx!(tx, c => sqlx::query("INSERT INTO rent_records (listing_id, unit_id, kind, rent_per_m2_fen, monthly_rent_fen, market_rent_per_m2_fen, effective_date, exception_id, rules, note, recorded_by, recorded_at, proposal_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id")
        .bind(r.listing_id).bind(r.unit_id).bind(&r.kind).bind(r.rent_per_m2_fen).bind(r.monthly_rent_fen).bind(r.market_rent_per_m2_fen)
        .bind(r.effective_date).bind(r.exception_id).bind(&r.rules).bind(&r.note).bind(r.recorded_by).bind(r.recorded_at).bind(r.proposal_id)
        .fetch_one(&mut *c).await?.try_get("id"))
}

/// Every rent record of a listing, oldest first.
pub async fn of_listing(tx: &mut Tx, listing_id: i64) -> Result<Vec<RentRecord>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, RentRecord>("SELECT * FROM rent_records WHERE listing_id = $1 ORDER BY id").bind(listing_id).fetch_all(&mut *c).await)
}

/// Every rent record of every listing, oldest first (the overdue list picks the binding ones).
pub async fn all(tx: &mut Tx) -> Result<Vec<RentRecord>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, RentRecord>("SELECT * FROM rent_records ORDER BY id").fetch_all(&mut *c).await)
}

/// HS-A6: one decision on a unit's use (`rental`, `sale` or `resettlement`).
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct UseRecord {
    pub id: i64,
    pub listing_id: i64,
    pub unit_id: i64,
    pub use_kind: String,
    pub note: Option<String>,
    pub decided_by: i64,
    pub decided_at: DateTime<Utc>,
}

pub async fn insert_use(tx: &mut Tx, r: &UseRecord) -> Result<i64, sqlx::Error> {
    on_tx!(tx, c => sqlx::query("INSERT INTO unit_uses (listing_id, unit_id, use_kind, note, decided_by, decided_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
        .bind(r.listing_id).bind(r.unit_id).bind(&r.use_kind).bind(&r.note).bind(r.decided_by).bind(r.decided_at)
        .fetch_one(&mut *c).await?.try_get("id"))
}

/// Every use decision of a listing, oldest first.
pub async fn uses_of_listing(tx: &mut Tx, listing_id: i64) -> Result<Vec<UseRecord>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, UseRecord>("SELECT * FROM unit_uses WHERE listing_id = $1 ORDER BY id").bind(listing_id).fetch_all(&mut *c).await)
}

/// The current use of every unit that has one (all listings): unit id → use.
pub async fn current_uses(tx: &mut Tx) -> Result<Vec<(i64, String)>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, (i64, String)>("SELECT u.unit_id, u.use_kind FROM unit_uses u WHERE u.id = (SELECT MAX(x.id) FROM unit_uses x WHERE x.unit_id = u.unit_id)").fetch_all(&mut *c).await)
}
