//! Official holiday calendars as imported, one file a year.

use super::Tx;
use crate::on_tx;
use chrono::{DateTime, Utc};
use sqlx::Row;

pub async fn years(tx: &mut Tx) -> Result<Vec<(i32, String)>, sqlx::Error> {
    on_tx!(tx, c => {
        let rows = sqlx::query("SELECT year, source FROM calendar_years ORDER BY year").fetch_all(&mut *c).await?;
        rows.iter().map(|r| Ok((i32::try_from(r.try_get::<i64, _>("year")?).map_err(|e| sqlx::Error::Decode(e.into()))?, r.try_get("source")?))).collect()
    })
}

/// Inserts or replaces a year's file (a corrected notice replaces the year's days; the import
/// itself is logged by the caller).
pub async fn put_year(
    tx: &mut Tx,
    year: i32,
    source: &str,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    on_tx!(tx, c => { sqlx::query("INSERT INTO calendar_years (year, source, imported_by, imported_at) VALUES ($1, $2, $3, $4) ON CONFLICT (year) DO UPDATE SET source = excluded.source, imported_by = excluded.imported_by, imported_at = excluded.imported_at")
        .bind(i64::from(year)).bind(source).bind(by).bind(now).execute(&mut *c).await?; });
    Ok(())
}
