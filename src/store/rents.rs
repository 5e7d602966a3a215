//! The rent register of bought units (HS-P8, HS-P9). Append-only: a unit's rent is its newest
//! record; an adjustment is a new row, never an update.

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
    on_tx!(tx, c => sqlx::query("INSERT INTO rent_records (listing_id, unit_id, kind, rent_per_m2_fen, monthly_rent_fen, market_rent_per_m2_fen, effective_date, exception_id, rules, note, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id")
        .bind(r.listing_id).bind(r.unit_id).bind(&r.kind).bind(r.rent_per_m2_fen).bind(r.monthly_rent_fen).bind(r.market_rent_per_m2_fen)
        .bind(r.effective_date).bind(r.exception_id).bind(&r.rules).bind(&r.note).bind(r.recorded_by).bind(r.recorded_at)
        .fetch_one(&mut *c).await?.try_get("id"))
}

/// Every rent record of a listing, oldest first.
pub async fn of_listing(tx: &mut Tx, listing_id: i64) -> Result<Vec<RentRecord>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, RentRecord>("SELECT * FROM rent_records WHERE listing_id = $1 ORDER BY id").bind(listing_id).fetch_all(&mut *c).await)
}

/// The newest rent record of every unit that has one (all listings).
pub async fn latest_per_unit(tx: &mut Tx) -> Result<Vec<RentRecord>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, RentRecord>("SELECT r.* FROM rent_records r WHERE r.id = (SELECT MAX(x.id) FROM rent_records x WHERE x.unit_id = r.unit_id) ORDER BY r.listing_id, r.unit_id").fetch_all(&mut *c).await)
}
