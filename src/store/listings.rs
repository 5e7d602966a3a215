//! Rounds, survey returns, listings and everything recorded on them: documents, unit lists,
//! title sign-offs, objections, policy exceptions, valuations and agreed prices.
//! Every table here is append-only; "current" means the newest row.

use super::Tx;
use crate::domain::survey::SurveyReturn;
use crate::domain::unit_list::UnitRow;
use crate::domain::units::AreaM2;
use crate::on_tx;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row;

// ---------- rounds and survey ----------

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct RoundRow {
    pub instance_id: i64,
    pub pack: String,
    pub name: String,
    pub created_by: i64,
}

pub async fn insert_round(
    tx: &mut Tx,
    instance_id: i64,
    pack: &str,
    name: &str,
    by: i64,
) -> Result<(), sqlx::Error> {
    on_tx!(tx, c => { sqlx::query("INSERT INTO rounds (instance_id, pack, name, created_by) VALUES ($1, $2, $3, $4)")
        .bind(instance_id).bind(pack).bind(name).bind(by).execute(&mut *c).await?; });
    Ok(())
}

pub async fn round(tx: &mut Tx, id: i64) -> Result<Option<RoundRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, RoundRow>("SELECT * FROM rounds WHERE instance_id = $1").bind(id).fetch_optional(&mut *c).await)
}

pub async fn rounds(tx: &mut Tx) -> Result<Vec<RoundRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, RoundRow>("SELECT * FROM rounds ORDER BY instance_id").fetch_all(&mut *c).await)
}

pub async fn insert_survey_returns(
    tx: &mut Tx,
    round_id: i64,
    rows: &[SurveyReturn],
    by: i64,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    for r in rows {
        let kind = crate::util::enum_key(&r.respondent_kind);
        on_tx!(tx, c => { sqlx::query("INSERT INTO survey_returns (round_id, respondent, respondent_kind, household_type, band, units, location, entered_by, entered_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(round_id).bind(&r.respondent).bind(&kind).bind(&r.household_type).bind(&r.band).bind(i64::from(r.units)).bind(&r.location).bind(by).bind(now)
            .execute(&mut *c).await?; });
    }
    Ok(())
}

pub async fn survey_returns(tx: &mut Tx, round_id: i64) -> Result<Vec<SurveyReturn>, sqlx::Error> {
    let rows: Vec<(String, String, String, String, i64, String)> = on_tx!(tx, c => {
        let rows = sqlx::query("SELECT respondent, respondent_kind, household_type, band, units, location FROM survey_returns WHERE round_id = $1 ORDER BY id")
            .bind(round_id).fetch_all(&mut *c).await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?, r.try_get(4)?, r.try_get(5)?))).collect::<Result<Vec<_>, sqlx::Error>>()?
    });
    rows.into_iter()
        .map(
            |(respondent, kind, household_type, band, units, location)| {
                Ok(SurveyReturn {
                    respondent,
                    respondent_kind: crate::util::parse_enum_key(&kind)
                        .map_err(|e| sqlx::Error::Decode(e.into()))?,
                    household_type,
                    band,
                    units: u32::try_from(units).map_err(|e| sqlx::Error::Decode(e.into()))?,
                    location,
                })
            },
        )
        .collect()
}

// ---------- listings ----------

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ListingRow {
    pub instance_id: i64,
    pub round_id: i64,
    pub developer_org: String,
    pub created_by: i64,
    pub project_name: String,
    pub address: String,
    pub construction_state: String,
    pub topped_out: bool,
    pub delivery_date: Option<NaiveDate>,
    pub offer_scope: String,
    pub decoration: String,
    /// HS-A4.1: declared in the 保交房攻坚战 (for a project under construction).
    pub in_delivery_campaign: bool,
}

pub async fn insert_listing(tx: &mut Tx, l: &ListingRow) -> Result<(), sqlx::Error> {
    on_tx!(tx, c => { sqlx::query("INSERT INTO listings (instance_id, round_id, developer_org, created_by, project_name, address, construction_state, topped_out, delivery_date, offer_scope, decoration, in_delivery_campaign) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)")
        .bind(l.instance_id).bind(l.round_id).bind(&l.developer_org).bind(l.created_by).bind(&l.project_name).bind(&l.address)
        .bind(&l.construction_state).bind(l.topped_out).bind(l.delivery_date).bind(&l.offer_scope).bind(&l.decoration).bind(l.in_delivery_campaign)
        .execute(&mut *c).await?; });
    Ok(())
}

pub async fn listing(tx: &mut Tx, id: i64) -> Result<Option<ListingRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, ListingRow>("SELECT * FROM listings WHERE instance_id = $1").bind(id).fetch_optional(&mut *c).await)
}

/// Listings of a round, or all listings; optionally only one developer company's.
pub async fn listings(
    tx: &mut Tx,
    round_id: Option<i64>,
    org: Option<&str>,
) -> Result<Vec<ListingRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, ListingRow>("SELECT * FROM listings WHERE ($1 IS NULL OR round_id = $1) AND ($2 IS NULL OR developer_org = $2) ORDER BY instance_id")
        .bind(round_id).bind(org).fetch_all(&mut *c).await)
}

// ---------- documents ----------

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct DocumentMeta {
    pub id: i64,
    pub listing_id: i64,
    pub kind: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub uploaded_by: i64,
    pub uploaded_at: DateTime<Utc>,
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_document(
    tx: &mut Tx,
    listing_id: i64,
    kind: &str,
    file_name: &str,
    content_type: &str,
    content: &[u8],
    by: i64,
    now: DateTime<Utc>,
) -> Result<DocumentMeta, sqlx::Error> {
    use sha2::Digest;
    let sha = hex::encode(sha2::Sha256::digest(content));
    let size = content.len() as i64;
    let id: i64 = on_tx!(tx, c => sqlx::query("INSERT INTO documents (listing_id, kind, file_name, content_type, size_bytes, sha256, content, uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
        .bind(listing_id).bind(kind).bind(file_name).bind(content_type).bind(size).bind(&sha).bind(content).bind(by).bind(now)
        .fetch_one(&mut *c).await?.try_get("id")?);
    Ok(DocumentMeta {
        id,
        listing_id,
        kind: kind.into(),
        file_name: file_name.into(),
        content_type: content_type.into(),
        size_bytes: size,
        sha256: sha,
        uploaded_by: by,
        uploaded_at: now,
    })
}

pub async fn documents(tx: &mut Tx, listing_id: i64) -> Result<Vec<DocumentMeta>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, DocumentMeta>("SELECT id, listing_id, kind, file_name, content_type, size_bytes, sha256, uploaded_by, uploaded_at FROM documents WHERE listing_id = $1 ORDER BY id")
        .bind(listing_id).fetch_all(&mut *c).await)
}

pub async fn document_content(
    tx: &mut Tx,
    listing_id: i64,
    doc_id: i64,
) -> Result<Option<(DocumentMeta, Vec<u8>)>, sqlx::Error> {
    let meta = on_tx!(tx, c => sqlx::query_as::<_, DocumentMeta>("SELECT id, listing_id, kind, file_name, content_type, size_bytes, sha256, uploaded_by, uploaded_at FROM documents WHERE listing_id = $1 AND id = $2")
        .bind(listing_id).bind(doc_id).fetch_optional(&mut *c).await?);
    let Some(meta) = meta else { return Ok(None) };
    let bytes: Vec<u8> = on_tx!(tx, c => sqlx::query("SELECT content FROM documents WHERE id = $1").bind(doc_id).fetch_one(&mut *c).await?.try_get("content")?);
    Ok(Some((meta, bytes)))
}

// ---------- unit lists ----------

pub async fn insert_unit_list(
    tx: &mut Tx,
    listing_id: i64,
    document_id: i64,
    units: &[UnitRow],
    by: i64,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    let total: i64 = units.iter().map(|u| u.gross_area_m2.to_centi()).sum();
    let list_id: i64 = on_tx!(tx, c => sqlx::query("INSERT INTO unit_lists (listing_id, document_id, unit_count, gross_area_centi, uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
        .bind(listing_id).bind(document_id).bind(units.len() as i64).bind(total).bind(by).bind(now).fetch_one(&mut *c).await?.try_get("id")?);
    // Multi-row inserts, 500 rows (6,000 parameters) at a time: under both backends' limits.
    for chunk in units.chunks(500) {
        on_tx!(tx, c => {
            let mut qb = sqlx::QueryBuilder::new("INSERT INTO units (unit_list_id, building, stair_unit, floor, room, layout, gross_area_centi, usable_area_centi, orientation, mortgaged, seized) ");
            qb.push_values(chunk, |mut b, u| {
                b.push_bind(list_id).push_bind(&u.building).push_bind(&u.stair_unit).push_bind(i64::from(u.floor)).push_bind(&u.room).push_bind(&u.layout)
                    .push_bind(u.gross_area_m2.to_centi()).push_bind(u.usable_area_m2.to_centi()).push_bind(&u.orientation).push_bind(u.mortgaged).push_bind(u.seized);
            });
            qb.build().execute(&mut *c).await?;
        });
    }
    Ok(list_id)
}

#[derive(sqlx::FromRow)]
struct UnitDb {
    building: String,
    stair_unit: String,
    floor: i64,
    room: String,
    layout: String,
    gross_area_centi: i64,
    usable_area_centi: i64,
    orientation: String,
    mortgaged: bool,
    seized: bool,
}

/// The units of the listing's newest unit list.
pub async fn current_units(tx: &mut Tx, listing_id: i64) -> Result<Vec<UnitRow>, sqlx::Error> {
    let rows = on_tx!(tx, c => sqlx::query_as::<_, UnitDb>("SELECT building, stair_unit, floor, room, layout, gross_area_centi, usable_area_centi, orientation, mortgaged, seized FROM units WHERE unit_list_id = (SELECT MAX(id) FROM unit_lists WHERE listing_id = $1) ORDER BY id")
        .bind(listing_id).fetch_all(&mut *c).await?);
    rows.into_iter()
        .map(|u| {
            Ok(UnitRow {
                building: u.building,
                stair_unit: u.stair_unit,
                floor: i32::try_from(u.floor).map_err(|e| sqlx::Error::Decode(e.into()))?,
                room: u.room,
                layout: u.layout,
                gross_area_m2: AreaM2::from_centi(u.gross_area_centi),
                usable_area_m2: AreaM2::from_centi(u.usable_area_centi),
                orientation: u.orientation,
                mortgaged: u.mortgaged,
                seized: u.seized,
            })
        })
        .collect()
}

/// Sum of gross floor area of the current unit list, in hundredths of a m², summed by the database.
pub async fn current_gross_area_centi(tx: &mut Tx, listing_id: i64) -> Result<i64, sqlx::Error> {
    on_tx!(tx, c => sqlx::query("SELECT CAST(COALESCE(SUM(gross_area_centi), 0) AS BIGINT) AS s FROM units WHERE unit_list_id = (SELECT MAX(id) FROM unit_lists WHERE listing_id = $1)")
        .bind(listing_id).fetch_one(&mut *c).await?.try_get::<i64, _>("s"))
}

// ---------- joint review: title, objections, exceptions ----------

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct TitleSignoffRow {
    pub id: i64,
    pub listing_id: i64,
    pub clear: bool,
    pub comment: Option<String>,
    pub signed_by: i64,
    pub signed_at: DateTime<Utc>,
}

pub async fn insert_title_signoff(
    tx: &mut Tx,
    listing_id: i64,
    clear: bool,
    comment: Option<&str>,
    by: i64,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    on_tx!(tx, c => { sqlx::query("INSERT INTO title_signoffs (listing_id, clear, comment, signed_by, signed_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(listing_id).bind(clear).bind(comment).bind(by).bind(now).execute(&mut *c).await?; });
    Ok(())
}

pub async fn latest_title_signoff(
    tx: &mut Tx,
    listing_id: i64,
) -> Result<Option<(TitleSignoffRow, String)>, sqlx::Error> {
    let row = on_tx!(tx, c => sqlx::query_as::<_, TitleSignoffRow>("SELECT * FROM title_signoffs WHERE listing_id = $1 ORDER BY id DESC LIMIT 1").bind(listing_id).fetch_optional(&mut *c).await?);
    match row {
        None => Ok(None),
        Some(r) => {
            let name: String = on_tx!(tx, c => sqlx::query("SELECT name FROM users WHERE id = $1").bind(r.signed_by).fetch_one(&mut *c).await?.try_get("name")?);
            Ok(Some((r, name)))
        }
    }
}

pub async fn insert_objection(
    tx: &mut Tx,
    listing_id: i64,
    content: &str,
    by: i64,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    on_tx!(tx, c => { sqlx::query("INSERT INTO objections (listing_id, content, recorded_by, recorded_at) VALUES ($1, $2, $3, $4)")
        .bind(listing_id).bind(content).bind(by).bind(now).execute(&mut *c).await?; });
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ObjectionRow {
    pub id: i64,
    pub content: String,
    pub recorded_at: DateTime<Utc>,
    pub resolution: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
}

pub async fn objections(tx: &mut Tx, listing_id: i64) -> Result<Vec<ObjectionRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, ObjectionRow>("SELECT o.id, o.content, o.recorded_at, r.resolution, r.resolved_at FROM objections o LEFT JOIN objection_resolutions r ON r.objection_id = o.id WHERE o.listing_id = $1 ORDER BY o.id")
        .bind(listing_id).fetch_all(&mut *c).await)
}

pub async fn resolve_open_objections(
    tx: &mut Tx,
    listing_id: i64,
    resolution: &str,
    by: i64,
    now: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    on_tx!(tx, c => Ok(sqlx::query("INSERT INTO objection_resolutions (objection_id, resolution, resolved_by, resolved_at) SELECT o.id, $1, $2, $3 FROM objections o WHERE o.listing_id = $4 AND NOT EXISTS (SELECT 1 FROM objection_resolutions r WHERE r.objection_id = o.id)")
        .bind(resolution).bind(by).bind(now).bind(listing_id).execute(&mut *c).await?.rows_affected()))
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ExceptionRow {
    pub id: i64,
    pub round_id: i64,
    pub listing_id: Option<i64>,
    pub rule: String,
    pub check_id: String,
    pub reason: String,
    pub requested_by: i64,
    pub requested_by_name: String,
    pub requested_at: DateTime<Utc>,
    pub approved: Option<bool>,
    pub decision_comment: Option<String>,
    pub decided_by_name: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_exception(
    tx: &mut Tx,
    round_id: i64,
    listing_id: Option<i64>,
    rule: &str,
    check_id: &str,
    reason: &str,
    by: i64,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    on_tx!(tx, c => sqlx::query("INSERT INTO policy_exceptions (round_id, listing_id, rule, check_id, reason, requested_by, requested_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
        .bind(round_id).bind(listing_id).bind(rule).bind(check_id).bind(reason).bind(by).bind(now).fetch_one(&mut *c).await?.try_get("id"))
}

pub async fn decide_exception(
    tx: &mut Tx,
    id: i64,
    approved: bool,
    comment: &str,
    by: i64,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    on_tx!(tx, c => { sqlx::query("INSERT INTO exception_decisions (exception_id, approved, comment, decided_by, decided_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(id).bind(approved).bind(comment).bind(by).bind(now).execute(&mut *c).await?; });
    Ok(())
}

const EXCEPTION_SELECT: &str = "SELECT e.id, e.round_id, e.listing_id, e.rule, e.check_id, e.reason, e.requested_by, ru.name AS requested_by_name, e.requested_at, d.approved, d.comment AS decision_comment, du.name AS decided_by_name, d.decided_at FROM policy_exceptions e JOIN users ru ON ru.id = e.requested_by LEFT JOIN exception_decisions d ON d.exception_id = e.id LEFT JOIN users du ON du.id = d.decided_by";

/// Exceptions of a round (`listing_id` None) or of one listing.
pub async fn exceptions(
    tx: &mut Tx,
    round_id: Option<i64>,
    listing_id: Option<i64>,
) -> Result<Vec<ExceptionRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, ExceptionRow>(sqlx::AssertSqlSafe(format!("{EXCEPTION_SELECT} WHERE ($1 IS NULL OR e.round_id = $1) AND ($2 IS NULL OR e.listing_id = $2) ORDER BY e.id")))
        .bind(round_id).bind(listing_id).fetch_all(&mut *c).await)
}

pub async fn exception(tx: &mut Tx, id: i64) -> Result<Option<ExceptionRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, ExceptionRow>(sqlx::AssertSqlSafe(format!("{EXCEPTION_SELECT} WHERE e.id = $1"))).bind(id).fetch_optional(&mut *c).await)
}

// ---------- valuation and prices ----------

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct ValuationRow {
    pub id: i64,
    pub listing_id: i64,
    pub land_per_m2_fen: i64,
    pub construction_per_m2_fen: i64,
    pub profit_rate: String,
    pub ceiling_per_m2_fen: i64,
    pub market_price_per_m2_fen: i64,
    pub market_rent_per_m2_fen: i64,
    pub appraiser_org: String,
    pub report_date: NaiveDate,
    pub document_id: Option<i64>,
    pub recorded_by: i64,
    pub recorded_at: DateTime<Utc>,
    /// The ceiling's rule (HS-P5, YQ-7.3, NC-20); `None` on rows recorded before packs named it.
    pub ceiling_rule: Option<String>,
    /// NC-20: `final_accounts` or `appraisal`.
    pub cost_basis: Option<String>,
}

pub async fn insert_valuation(tx: &mut Tx, v: &ValuationRow) -> Result<i64, sqlx::Error> {
    on_tx!(tx, c => sqlx::query("INSERT INTO valuations (listing_id, land_per_m2_fen, construction_per_m2_fen, profit_rate, ceiling_per_m2_fen, market_price_per_m2_fen, market_rent_per_m2_fen, appraiser_org, report_date, document_id, recorded_by, recorded_at, ceiling_rule, cost_basis) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id")
        .bind(v.listing_id).bind(v.land_per_m2_fen).bind(v.construction_per_m2_fen).bind(&v.profit_rate).bind(v.ceiling_per_m2_fen)
        .bind(v.market_price_per_m2_fen).bind(v.market_rent_per_m2_fen).bind(&v.appraiser_org).bind(v.report_date).bind(v.document_id)
        .bind(v.recorded_by).bind(v.recorded_at).bind(&v.ceiling_rule).bind(&v.cost_basis).fetch_one(&mut *c).await?.try_get("id"))
}

pub async fn valuations(tx: &mut Tx, listing_id: i64) -> Result<Vec<ValuationRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, ValuationRow>("SELECT * FROM valuations WHERE listing_id = $1 ORDER BY id").bind(listing_id).fetch_all(&mut *c).await)
}

pub async fn latest_valuation(
    tx: &mut Tx,
    listing_id: i64,
) -> Result<Option<ValuationRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, ValuationRow>("SELECT * FROM valuations WHERE listing_id = $1 ORDER BY id DESC LIMIT 1").bind(listing_id).fetch_optional(&mut *c).await)
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct PriceRow {
    pub id: i64,
    pub listing_id: i64,
    pub kind: String,
    pub price_per_m2_fen: i64,
    pub total_fen: i64,
    /// The ceiling in force; `None` where the pack's text sets none (Xingyi).
    pub ceiling_per_m2_fen: Option<i64>,
    pub valuation_id: Option<i64>,
    pub history_id: i64,
    pub recorded_by: i64,
    pub recorded_at: DateTime<Utc>,
}

pub async fn insert_price(tx: &mut Tx, p: &PriceRow) -> Result<(), sqlx::Error> {
    on_tx!(tx, c => { sqlx::query("INSERT INTO price_records (listing_id, kind, price_per_m2_fen, total_fen, ceiling_per_m2_fen, valuation_id, history_id, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
        .bind(p.listing_id).bind(&p.kind).bind(p.price_per_m2_fen).bind(p.total_fen).bind(p.ceiling_per_m2_fen).bind(p.valuation_id)
        .bind(p.history_id).bind(p.recorded_by).bind(p.recorded_at).execute(&mut *c).await?; });
    Ok(())
}

pub async fn prices(tx: &mut Tx, listing_id: i64) -> Result<Vec<PriceRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, PriceRow>("SELECT * FROM price_records WHERE listing_id = $1 ORDER BY id").bind(listing_id).fetch_all(&mut *c).await)
}

// ---------- negotiation ----------

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct OfferRow {
    pub id: i64,
    pub listing_id: i64,
    pub side: String,
    pub basis: String,
    pub per_m2_fen: i64,
    pub total_fen: i64,
    pub gross_area_centi: i64,
    pub ceiling_per_m2_fen: i64,
    pub market_price_per_m2_fen: i64,
    pub valuation_id: i64,
    pub note: Option<String>,
    pub made_by: i64,
    pub made_at: DateTime<Utc>,
}

pub async fn insert_offer(tx: &mut Tx, o: &OfferRow) -> Result<i64, sqlx::Error> {
    on_tx!(tx, c => sqlx::query("INSERT INTO negotiation_offers (listing_id, side, basis, per_m2_fen, total_fen, gross_area_centi, ceiling_per_m2_fen, market_price_per_m2_fen, valuation_id, note, made_by, made_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id")
        .bind(o.listing_id).bind(&o.side).bind(&o.basis).bind(o.per_m2_fen).bind(o.total_fen).bind(o.gross_area_centi).bind(o.ceiling_per_m2_fen)
        .bind(o.market_price_per_m2_fen).bind(o.valuation_id).bind(&o.note).bind(o.made_by).bind(o.made_at)
        .fetch_one(&mut *c).await?.try_get("id"))
}

pub async fn offers(tx: &mut Tx, listing_id: i64) -> Result<Vec<OfferRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, OfferRow>("SELECT * FROM negotiation_offers WHERE listing_id = $1 ORDER BY id").bind(listing_id).fetch_all(&mut *c).await)
}
