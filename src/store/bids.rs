//! Tender terms, sealed bids and openings (migration 0006); corrections of the terms, the
//! round's sealing key and bids sealed at rest (migration 0010; 0009 is left to the packs' own texts on main).

use super::Tx;
use crate::on_tx;
use chrono::{DateTime, Utc};

/// A round's tender as in force: the newest correction's terms and times, the original's key.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TenderRow {
    pub round_id: i64,
    pub terms: String,
    pub deadline_at: DateTime<Utc>,
    pub opening_at: DateTime<Utc>,
    /// The round's sealing key: public half (hex), secret half wrapped under the opening key.
    pub seal_public: Option<String>,
    pub seal_wrapped: Option<String>,
    /// How many corrections were made.
    pub corrections: i64,
}

pub async fn insert_tender(
    tx: &mut Tx,
    t: &TenderRow,
    by: i64,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    on_tx!(tx, c => { sqlx::query("INSERT INTO tenders (round_id, terms, deadline_at, opening_at, set_by, set_at, seal_public, seal_wrapped) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(t.round_id).bind(&t.terms).bind(t.deadline_at).bind(t.opening_at).bind(by).bind(at).bind(&t.seal_public).bind(&t.seal_wrapped).execute(&mut *c).await?; });
    Ok(())
}

/// A correction of the terms (before the first bid): a new row, the original stays.
pub async fn insert_correction(
    tx: &mut Tx,
    t: &TenderRow,
    reason: &str,
    by: i64,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    on_tx!(tx, c => { sqlx::query("INSERT INTO tender_corrections (round_id, terms, deadline_at, opening_at, reason, set_by, set_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(t.round_id).bind(&t.terms).bind(t.deadline_at).bind(t.opening_at).bind(reason).bind(by).bind(at).execute(&mut *c).await?; });
    Ok(())
}

pub async fn tender(tx: &mut Tx, round_id: i64) -> Result<Option<TenderRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, TenderRow>("SELECT t.round_id, COALESCE(c.terms, t.terms) AS terms, COALESCE(c.deadline_at, t.deadline_at) AS deadline_at, COALESCE(c.opening_at, t.opening_at) AS opening_at, t.seal_public, t.seal_wrapped, (SELECT CAST(COUNT(*) AS BIGINT) FROM tender_corrections x WHERE x.round_id = t.round_id) AS corrections FROM tenders t LEFT JOIN tender_corrections c ON c.id = (SELECT MAX(y.id) FROM tender_corrections y WHERE y.round_id = t.round_id) WHERE t.round_id = $1").bind(round_id).fetch_optional(&mut *c).await)
}

/// How many bids a round has, all companies and versions (the first one fixes the terms).
pub async fn bid_count(tx: &mut Tx, round_id: i64, org: Option<&str>) -> Result<i64, sqlx::Error> {
    let r = on_tx!(tx, c => sqlx::query_as::<_, (i64,)>("SELECT CAST(COUNT(*) AS BIGINT) FROM bids WHERE round_id = $1 AND ($2 IS NULL OR developer_org = $2)").bind(round_id).bind(org).fetch_one(&mut *c).await)?;
    Ok(r.0)
}

/// A bid row. `id` is the database's key and stays inside; people see `public_ref`. A sealed
/// bid keeps its content only in `sealed` (`payload` is empty); a bid stored before sealing
/// (no `sealed`) keeps it in `payload`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BidRow {
    pub id: i64,
    pub round_id: i64,
    pub developer_org: String,
    pub payload: String,
    pub submitted_at: DateTime<Utc>,
    pub public_ref: Option<String>,
    pub sealed: Option<String>,
    pub commitment: Option<String>,
}

pub struct NewBid<'a> {
    pub round_id: i64,
    pub org: &'a str,
    pub public_ref: &'a str,
    pub sealed: &'a str,
    pub commitment: &'a str,
    pub by: i64,
    pub at: DateTime<Utc>,
}

pub async fn insert_bid(tx: &mut Tx, b: &NewBid<'_>) -> Result<i64, sqlx::Error> {
    let r = on_tx!(tx, c => sqlx::query_as::<_, (i64,)>("INSERT INTO bids (round_id, developer_org, payload, submitted_by, submitted_at, public_ref, sealed, commitment) VALUES ($1, $2, '', $3, $4, $5, $6, $7) RETURNING id")
        .bind(b.round_id).bind(b.org).bind(b.by).bind(b.at).bind(b.public_ref).bind(b.sealed).bind(b.commitment).fetch_one(&mut *c).await)?;
    Ok(r.0)
}

/// The latest bid of every company in a round (of one company when `org` is given).
pub async fn latest_bids(
    tx: &mut Tx,
    round_id: i64,
    org: Option<&str>,
) -> Result<Vec<BidRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, BidRow>("SELECT b.id, b.round_id, b.developer_org, b.payload, b.submitted_at, b.public_ref, b.sealed, b.commitment FROM bids b WHERE b.round_id = $1 AND ($2 IS NULL OR b.developer_org = $2) AND b.id = (SELECT MAX(x.id) FROM bids x WHERE x.round_id = b.round_id AND x.developer_org = b.developer_org) ORDER BY b.id")
        .bind(round_id).bind(org).fetch_all(&mut *c).await)
}

pub async fn opening(tx: &mut Tx, round_id: i64) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    let r = on_tx!(tx, c => sqlx::query_as::<_, (DateTime<Utc>,)>("SELECT opened_at FROM bid_openings WHERE round_id = $1").bind(round_id).fetch_optional(&mut *c).await)?;
    Ok(r.map(|r| r.0))
}

/// The opening: when, and the round's secret it released (hex; none for a round opened
/// before bids were sealed).
pub async fn insert_opening(
    tx: &mut Tx,
    round_id: i64,
    by: i64,
    at: DateTime<Utc>,
    secret: Option<&str>,
) -> Result<(), sqlx::Error> {
    on_tx!(tx, c => { sqlx::query("INSERT INTO bid_openings (round_id, opened_by, opened_at, seal_secret) VALUES ($1, $2, $3, $4)").bind(round_id).bind(by).bind(at).bind(secret).execute(&mut *c).await?; });
    Ok(())
}

/// The secret the opening released.
pub async fn opening_secret(tx: &mut Tx, round_id: i64) -> Result<Option<String>, sqlx::Error> {
    let r = on_tx!(tx, c => sqlx::query_as::<_, (Option<String>,)>("SELECT seal_secret FROM bid_openings WHERE round_id = $1").bind(round_id).fetch_optional(&mut *c).await)?;
    Ok(r.and_then(|r| r.0))
}

/// A designated acquiring company (migration 0007), with its revocation if any.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct AcquirerRow {
    pub id: i64,
    pub pack: String,
    pub seq: i64,
    pub name: String,
    pub financing_platform: bool,
    pub decision_ref: String,
    pub designated_by: i64,
    pub designated_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_reason: Option<String>,
}

const ACQUIRER_COLS: &str = "a.id, a.pack, a.seq, a.name, a.financing_platform, a.decision_ref, a.designated_by, a.designated_at, r.revoked_at, r.reason AS revoked_reason FROM acquirers a LEFT JOIN acquirer_revocations r ON r.acquirer_id = a.id";

/// Every designation of a pack, oldest first, revoked ones included.
pub async fn acquirers(tx: &mut Tx, pack: &str) -> Result<Vec<AcquirerRow>, sqlx::Error> {
    let sql = format!("SELECT {ACQUIRER_COLS} WHERE a.pack = $1 ORDER BY a.seq");
    on_tx!(tx, c => sqlx::query_as::<_, AcquirerRow>(sqlx::AssertSqlSafe(sql)).bind(pack).fetch_all(&mut *c).await)
}

pub async fn acquirer(tx: &mut Tx, id: i64) -> Result<Option<AcquirerRow>, sqlx::Error> {
    let sql = format!("SELECT {ACQUIRER_COLS} WHERE a.id = $1");
    on_tx!(tx, c => sqlx::query_as::<_, AcquirerRow>(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&mut *c).await)
}

pub struct NewAcquirer<'a> {
    pub pack: &'a str,
    pub seq: i64,
    pub name: &'a str,
    pub financing_platform: bool,
    pub decision_ref: &'a str,
    pub by: i64,
    pub at: DateTime<Utc>,
}

/// Inserts a designation; `None` when another designation took the same slot meanwhile.
pub async fn insert_acquirer(tx: &mut Tx, a: &NewAcquirer<'_>) -> Result<Option<i64>, sqlx::Error> {
    let r = on_tx!(tx, c => sqlx::query_as::<_, (i64,)>("INSERT INTO acquirers (pack, seq, name, financing_platform, decision_ref, designated_by, designated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (pack, seq) DO NOTHING RETURNING id")
        .bind(a.pack).bind(a.seq).bind(a.name).bind(a.financing_platform).bind(a.decision_ref).bind(a.by).bind(a.at).fetch_optional(&mut *c).await)?;
    Ok(r.map(|r| r.0))
}

/// Records a revocation; `false` when the designation was already revoked.
pub async fn revoke_acquirer(
    tx: &mut Tx,
    id: i64,
    reason: &str,
    by: i64,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let r = on_tx!(tx, c => sqlx::query_as::<_, (i64,)>("INSERT INTO acquirer_revocations (acquirer_id, reason, revoked_by, revoked_at) VALUES ($1, $2, $3, $4) ON CONFLICT (acquirer_id) DO NOTHING RETURNING acquirer_id")
        .bind(id).bind(reason).bind(by).bind(at).fetch_optional(&mut *c).await)?;
    Ok(r.is_some())
}

/// A recorded acquisition plan (收购方案) of a round.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PlanRow {
    pub id: i64,
    pub round_id: i64,
    pub plan: String,
    pub sha256: String,
    pub recorded_by: i64,
    pub recorded_at: DateTime<Utc>,
}

pub async fn insert_plan(
    tx: &mut Tx,
    round_id: i64,
    plan: &str,
    sha256: &str,
    by: i64,
    at: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    let r = on_tx!(tx, c => sqlx::query_as::<_, (i64,)>("INSERT INTO round_plans (round_id, plan, sha256, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
        .bind(round_id).bind(plan).bind(sha256).bind(by).bind(at).fetch_one(&mut *c).await)?;
    Ok(r.0)
}

/// The round's latest recorded plan: the one its planning step approves.
pub async fn latest_plan(tx: &mut Tx, round_id: i64) -> Result<Option<PlanRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, PlanRow>("SELECT id, round_id, plan, sha256, recorded_by, recorded_at FROM round_plans WHERE round_id = $1 ORDER BY id DESC LIMIT 1").bind(round_id).fetch_optional(&mut *c).await)
}
