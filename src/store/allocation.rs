//! The household half's records (ALLOCATION.md §1–§8): applications and their household
//! snapshots, materials, departmental findings, objections, local figures, bans, sales with
//! their plans, tiers, entrants, lotteries, selections and contracts, the per-unit register and
//! the log of personal-data reads. Append-only like every record table: a correction is a new
//! row, "current" means newest.

use super::Tx;
use crate::on_tx;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row;

// ---------- applications ----------

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct ApplicationRow {
    pub instance_id: i64,
    pub pack: String,
    pub application_no: String,
    pub accepting_org: String,
    pub created_by: i64,
    pub created_at: DateTime<Utc>,
}

pub async fn insert_application(tx: &mut Tx, a: &ApplicationRow) -> Result<(), sqlx::Error> {
    on_tx!(tx, c => { sqlx::query("INSERT INTO applications (instance_id, pack, application_no, accepting_org, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(a.instance_id).bind(&a.pack).bind(&a.application_no).bind(&a.accepting_org).bind(a.created_by).bind(a.created_at)
        .execute(&mut *c).await?; });
    Ok(())
}

pub async fn application(tx: &mut Tx, id: i64) -> Result<Option<ApplicationRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, ApplicationRow>("SELECT * FROM applications WHERE instance_id = $1").bind(id).fetch_optional(&mut *c).await)
}

pub async fn application_by_no(
    tx: &mut Tx,
    no: &str,
) -> Result<Option<ApplicationRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, ApplicationRow>("SELECT * FROM applications WHERE application_no = $1").bind(no).fetch_optional(&mut *c).await)
}

/// How many applications a pack has (for the next application number).
pub async fn count_applications(tx: &mut Tx, pack: &str) -> Result<i64, sqlx::Error> {
    on_tx!(tx, c => sqlx::query("SELECT COUNT(*) AS n FROM applications WHERE pack = $1").bind(pack).fetch_one(&mut *c).await?.try_get::<i64, _>("n"))
}

/// Applications of a pack with their instance's state, newest first, at most `limit`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApplicationListRow {
    pub instance_id: i64,
    pub application_no: String,
    pub accepting_org: String,
    pub state: String,
    pub version: i64,
    pub entered_at: DateTime<Utc>,
    pub deadline_due: Option<NaiveDate>,
    pub data: String,
    pub group_key: String,
    pub member_count: i32,
}

pub async fn applications(
    tx: &mut Tx,
    pack: Option<&str>,
    state: Option<&str>,
    limit: i64,
) -> Result<Vec<ApplicationListRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, ApplicationListRow>("SELECT a.instance_id, a.application_no, a.accepting_org, i.state, i.version, i.entered_at, i.deadline_due, s.data, s.group_key, s.member_count FROM applications a JOIN instances i ON i.id = a.instance_id JOIN household_snapshots s ON s.id = (SELECT MAX(x.id) FROM household_snapshots x WHERE x.application_id = a.instance_id) WHERE ($1 IS NULL OR a.pack = $1) AND ($2 IS NULL OR i.state = $2) ORDER BY a.instance_id DESC LIMIT $3")
        .bind(pack).bind(state).bind(limit).fetch_all(&mut *c).await)
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct SnapshotRow {
    pub id: i64,
    pub application_id: i64,
    pub data: String,
    pub group_key: String,
    pub member_count: i32,
    pub recorded_by: i64,
    pub recorded_at: DateTime<Utc>,
}

/// Stores a household snapshot and its members' ID numbers.
pub async fn insert_snapshot(
    tx: &mut Tx,
    s: &SnapshotRow,
    id_numbers: &[&str],
) -> Result<i64, sqlx::Error> {
    let id: i64 = on_tx!(tx, c => sqlx::query("INSERT INTO household_snapshots (application_id, data, group_key, member_count, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
        .bind(s.application_id).bind(&s.data).bind(&s.group_key).bind(s.member_count).bind(s.recorded_by).bind(s.recorded_at)
        .fetch_one(&mut *c).await?.try_get("id"))?;
    for n in id_numbers {
        on_tx!(tx, c => { sqlx::query("INSERT INTO household_members (snapshot_id, application_id, id_number) VALUES ($1, $2, $3)")
            .bind(id).bind(s.application_id).bind(*n).execute(&mut *c).await?; });
    }
    Ok(id)
}

pub async fn latest_snapshot(
    tx: &mut Tx,
    application_id: i64,
) -> Result<Option<SnapshotRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, SnapshotRow>("SELECT * FROM household_snapshots WHERE application_id = $1 ORDER BY id DESC LIMIT 1").bind(application_id).fetch_optional(&mut *c).await)
}

/// Other applications (of any pack) whose current household names one of these ID numbers,
/// with their state: (application id, state).
pub async fn applications_naming(
    tx: &mut Tx,
    id_numbers: &[String],
    except: Option<i64>,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    let mut out = Vec::new();
    for n in id_numbers {
        let rows = on_tx!(tx, c => sqlx::query_as::<_, (i64, String)>("SELECT DISTINCT m.application_id, i.state FROM household_members m JOIN instances i ON i.id = m.application_id WHERE m.id_number = $1 AND m.snapshot_id = (SELECT MAX(x.id) FROM household_snapshots x WHERE x.application_id = m.application_id) AND ($2 IS NULL OR m.application_id <> $2)")
            .bind(n).bind(except).fetch_all(&mut *c).await)?;
        for r in rows {
            if !out.contains(&r) {
                out.push(r);
            }
        }
    }
    Ok(out)
}

/// Whether any of these ID numbers belongs to a household holding a sale contract.
pub async fn holds_contract(tx: &mut Tx, id_numbers: &[String]) -> Result<bool, sqlx::Error> {
    for n in id_numbers {
        let hit = on_tx!(tx, c => sqlx::query("SELECT 1 AS x FROM sale_contracts k JOIN household_members m ON m.application_id = k.application_id WHERE m.id_number = $1 LIMIT 1")
            .bind(n).fetch_optional(&mut *c).await.map(|r| r.is_some()))?;
        if hit {
            return Ok(true);
        }
    }
    Ok(false)
}

// ---------- materials, findings, objections ----------

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct MaterialRow {
    pub id: i64,
    pub application_id: i64,
    pub material: String,
    pub present: bool,
    pub note: Option<String>,
    pub recorded_by: i64,
    pub recorded_at: DateTime<Utc>,
}

pub async fn insert_material(tx: &mut Tx, m: &MaterialRow) -> Result<(), sqlx::Error> {
    on_tx!(tx, c => { sqlx::query("INSERT INTO application_materials (application_id, material, present, note, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(m.application_id).bind(&m.material).bind(m.present).bind(&m.note).bind(m.recorded_by).bind(m.recorded_at)
        .execute(&mut *c).await?; });
    Ok(())
}

pub async fn materials(tx: &mut Tx, application_id: i64) -> Result<Vec<MaterialRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, MaterialRow>("SELECT * FROM application_materials WHERE application_id = $1 ORDER BY id").bind(application_id).fetch_all(&mut *c).await)
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct FindingRow {
    pub id: i64,
    pub application_id: i64,
    pub department: String,
    pub passed: bool,
    pub note: String,
    pub document_ref: String,
    pub recorded_by: i64,
    pub recorded_at: DateTime<Utc>,
}

pub async fn insert_finding(tx: &mut Tx, f: &FindingRow) -> Result<i64, sqlx::Error> {
    on_tx!(tx, c => sqlx::query("INSERT INTO verification_findings (application_id, department, passed, note, document_ref, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
        .bind(f.application_id).bind(&f.department).bind(f.passed).bind(&f.note).bind(&f.document_ref).bind(f.recorded_by).bind(f.recorded_at)
        .fetch_one(&mut *c).await?.try_get("id"))
}

pub async fn findings(tx: &mut Tx, application_id: i64) -> Result<Vec<FindingRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, FindingRow>("SELECT * FROM verification_findings WHERE application_id = $1 ORDER BY id").bind(application_id).fetch_all(&mut *c).await)
}

pub async fn insert_objection(
    tx: &mut Tx,
    application_id: i64,
    content: &str,
    by: i64,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    on_tx!(tx, c => { sqlx::query("INSERT INTO application_objections (application_id, content, recorded_by, recorded_at) VALUES ($1, $2, $3, $4)")
        .bind(application_id).bind(content).bind(by).bind(at).execute(&mut *c).await?; });
    Ok(())
}

pub async fn open_objections(tx: &mut Tx, application_id: i64) -> Result<i64, sqlx::Error> {
    on_tx!(tx, c => sqlx::query("SELECT COUNT(*) AS n FROM application_objections o WHERE o.application_id = $1 AND NOT EXISTS (SELECT 1 FROM application_objection_resolutions r WHERE r.objection_id = o.id)")
        .bind(application_id).fetch_one(&mut *c).await?.try_get::<i64, _>("n"))
}

pub async fn resolve_objections(
    tx: &mut Tx,
    application_id: i64,
    resolution: &str,
    by: i64,
    at: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    on_tx!(tx, c => Ok(sqlx::query("INSERT INTO application_objection_resolutions (objection_id, resolution, resolved_by, resolved_at) SELECT o.id, $1, $2, $3 FROM application_objections o WHERE o.application_id = $4 AND NOT EXISTS (SELECT 1 FROM application_objection_resolutions r WHERE r.objection_id = o.id)")
        .bind(resolution).bind(by).bind(at).bind(application_id).execute(&mut *c).await?.rows_affected()))
}

// ---------- local figures ----------

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct FigureRow {
    pub id: i64,
    pub pack: String,
    pub name: String,
    pub year: i32,
    pub value_text: String,
    pub source: String,
    pub recorded_by: i64,
    pub recorded_at: DateTime<Utc>,
}

pub async fn insert_figure(tx: &mut Tx, f: &FigureRow) -> Result<i64, sqlx::Error> {
    on_tx!(tx, c => sqlx::query("INSERT INTO local_figures (pack, name, year, value_text, source, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
        .bind(&f.pack).bind(&f.name).bind(f.year).bind(&f.value_text).bind(&f.source).bind(f.recorded_by).bind(f.recorded_at)
        .fetch_one(&mut *c).await?.try_get("id"))
}

/// A pack's figures, oldest first (a later record of the same name and year supersedes).
pub async fn figures(tx: &mut Tx, pack: &str) -> Result<Vec<FigureRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, FigureRow>("SELECT * FROM local_figures WHERE pack = $1 ORDER BY id").bind(pack).fetch_all(&mut *c).await)
}

// ---------- bans ----------

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct BanRow {
    pub id: i64,
    pub pack: String,
    pub id_number: String,
    pub case_key: String,
    pub rule: String,
    pub scope: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub reason: String,
    pub application_id: Option<i64>,
    pub sale_id: Option<i64>,
    pub recorded_by: i64,
    pub recorded_at: DateTime<Utc>,
}

pub async fn insert_ban(tx: &mut Tx, b: &BanRow) -> Result<i64, sqlx::Error> {
    on_tx!(tx, c => sqlx::query("INSERT INTO bans (pack, id_number, case_key, rule, scope, starts_on, ends_on, reason, application_id, sale_id, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id")
        .bind(&b.pack).bind(&b.id_number).bind(&b.case_key).bind(&b.rule).bind(&b.scope).bind(b.starts_on).bind(b.ends_on).bind(&b.reason)
        .bind(b.application_id).bind(b.sale_id).bind(b.recorded_by).bind(b.recorded_at)
        .fetch_one(&mut *c).await?.try_get("id"))
}

/// Every ban ever recorded on these ID numbers (in force or ended), oldest first.
pub async fn bans_of(tx: &mut Tx, id_numbers: &[String]) -> Result<Vec<BanRow>, sqlx::Error> {
    let mut out = Vec::new();
    for n in id_numbers {
        out.extend(on_tx!(tx, c => sqlx::query_as::<_, BanRow>("SELECT * FROM bans WHERE id_number = $1 ORDER BY id").bind(n).fetch_all(&mut *c).await)?);
    }
    out.sort_by_key(|b| b.id);
    out.dedup_by_key(|b| b.id);
    Ok(out)
}

/// All bans, newest first, at most `limit` (the register page).
pub async fn bans(tx: &mut Tx, limit: i64) -> Result<Vec<BanRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, BanRow>("SELECT * FROM bans ORDER BY id DESC LIMIT $1").bind(limit).fetch_all(&mut *c).await)
}

// ---------- sales ----------

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct SaleRow {
    pub instance_id: i64,
    pub pack: String,
    pub name: String,
    pub listing_id: i64,
    pub county: String,
    pub created_by: i64,
    pub created_at: DateTime<Utc>,
}

pub async fn insert_sale(tx: &mut Tx, s: &SaleRow) -> Result<(), sqlx::Error> {
    on_tx!(tx, c => { sqlx::query("INSERT INTO sales (instance_id, pack, name, listing_id, county, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(s.instance_id).bind(&s.pack).bind(&s.name).bind(s.listing_id).bind(&s.county).bind(s.created_by).bind(s.created_at)
        .execute(&mut *c).await?; });
    Ok(())
}

pub async fn sale(tx: &mut Tx, id: i64) -> Result<Option<SaleRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, SaleRow>("SELECT * FROM sales WHERE instance_id = $1").bind(id).fetch_optional(&mut *c).await)
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct PlanRow {
    pub id: i64,
    pub sale_id: i64,
    pub content: String,
    pub sha256: String,
    pub recorded_by: i64,
    pub recorded_at: DateTime<Utc>,
}

pub async fn insert_plan(tx: &mut Tx, p: &PlanRow) -> Result<i64, sqlx::Error> {
    on_tx!(tx, c => sqlx::query("INSERT INTO sale_plans (sale_id, content, sha256, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
        .bind(p.sale_id).bind(&p.content).bind(&p.sha256).bind(p.recorded_by).bind(p.recorded_at)
        .fetch_one(&mut *c).await?.try_get("id"))
}

pub async fn latest_plan(tx: &mut Tx, sale_id: i64) -> Result<Option<PlanRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, PlanRow>("SELECT * FROM sale_plans WHERE sale_id = $1 ORDER BY id DESC LIMIT 1").bind(sale_id).fetch_optional(&mut *c).await)
}

/// The tiers opened for a sale, in order.
pub async fn tiers(tx: &mut Tx, sale_id: i64) -> Result<Vec<i32>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, (i32,)>("SELECT tier FROM sale_tiers WHERE sale_id = $1 ORDER BY tier").bind(sale_id).fetch_all(&mut *c).await)
        .map(|v| v.into_iter().map(|t| t.0).collect())
}

/// When a tier of a sale opened (YQ-16 counts its period from it).
pub async fn tier_opened_at(
    tx: &mut Tx,
    sale_id: i64,
    tier: i32,
) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, (DateTime<Utc>,)>("SELECT opened_at FROM sale_tiers WHERE sale_id = $1 AND tier = $2").bind(sale_id).bind(tier).fetch_optional(&mut *c).await)
        .map(|r| r.map(|t| t.0))
}

pub async fn open_tier(
    tx: &mut Tx,
    sale_id: i64,
    tier: i32,
    by: i64,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let r = on_tx!(tx, c => sqlx::query("INSERT INTO sale_tiers (sale_id, tier, opened_by, opened_at) VALUES ($1, $2, $3, $4)")
        .bind(sale_id).bind(tier).bind(by).bind(at).execute(&mut *c).await.map(|_| ()));
    match r {
        Ok(()) => Ok(true),
        Err(e) if super::is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct EntrantRow {
    pub id: i64,
    pub sale_id: i64,
    pub application_id: i64,
    pub tier: i32,
    pub recorded_by: i64,
    pub recorded_at: DateTime<Utc>,
}

/// Registers an entrant; `false` when the application is already registered for the sale.
pub async fn insert_entrant(tx: &mut Tx, e: &EntrantRow) -> Result<bool, sqlx::Error> {
    let r = on_tx!(tx, c => sqlx::query("INSERT INTO sale_entrants (sale_id, application_id, tier, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(e.sale_id).bind(e.application_id).bind(e.tier).bind(e.recorded_by).bind(e.recorded_at).execute(&mut *c).await.map(|_| ()));
    match r {
        Ok(()) => Ok(true),
        Err(e) if super::is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

pub async fn entrants(tx: &mut Tx, sale_id: i64) -> Result<Vec<EntrantRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, EntrantRow>("SELECT * FROM sale_entrants WHERE sale_id = $1 ORDER BY id").bind(sale_id).fetch_all(&mut *c).await)
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct LotteryRow {
    pub id: i64,
    pub sale_id: i64,
    pub round: i32,
    pub entrants_text: String,
    pub entrants_sha256: String,
    pub fixed_by: i64,
    pub fixed_at: DateTime<Utc>,
}

/// Fixes a round's entrant list; `None` when that round was fixed meanwhile.
pub async fn insert_lottery(tx: &mut Tx, l: &LotteryRow) -> Result<Option<i64>, sqlx::Error> {
    let r = on_tx!(tx, c => sqlx::query("INSERT INTO lotteries (sale_id, round, entrants_text, entrants_sha256, fixed_by, fixed_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
        .bind(l.sale_id).bind(l.round).bind(&l.entrants_text).bind(&l.entrants_sha256).bind(l.fixed_by).bind(l.fixed_at).fetch_one(&mut *c).await
        .and_then(|row| row.try_get::<i64, _>("id")));
    match r {
        Ok(id) => Ok(Some(id)),
        Err(e) if super::is_unique_violation(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

pub async fn lotteries(tx: &mut Tx, sale_id: i64) -> Result<Vec<LotteryRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, LotteryRow>("SELECT * FROM lotteries WHERE sale_id = $1 ORDER BY round").bind(sale_id).fetch_all(&mut *c).await)
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct DrawRow {
    pub lottery_id: i64,
    pub seed: String,
    pub algorithm: String,
    pub witnesses: String,
    pub order_text: String,
    pub drawn_by: i64,
    pub drawn_at: DateTime<Utc>,
}

/// Records a draw; `false` when the lottery was drawn meanwhile.
pub async fn insert_draw(tx: &mut Tx, d: &DrawRow) -> Result<bool, sqlx::Error> {
    let r = on_tx!(tx, c => sqlx::query("INSERT INTO lottery_draws (lottery_id, seed, algorithm, witnesses, order_text, drawn_by, drawn_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(d.lottery_id).bind(&d.seed).bind(&d.algorithm).bind(&d.witnesses).bind(&d.order_text).bind(d.drawn_by).bind(d.drawn_at).execute(&mut *c).await.map(|_| ()));
    match r {
        Ok(()) => Ok(true),
        Err(e) if super::is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

pub async fn draws(tx: &mut Tx, sale_id: i64) -> Result<Vec<DrawRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, DrawRow>("SELECT d.* FROM lottery_draws d JOIN lotteries l ON l.id = d.lottery_id WHERE l.sale_id = $1 ORDER BY l.round").bind(sale_id).fetch_all(&mut *c).await)
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct SelectionRow {
    pub id: i64,
    pub sale_id: i64,
    pub application_id: i64,
    pub outcome: String,
    pub unit_id: Option<i64>,
    pub deposit_fen: Option<i64>,
    pub note: Option<String>,
    pub recorded_by: i64,
    pub recorded_at: DateTime<Utc>,
}

pub async fn insert_selection(tx: &mut Tx, s: &SelectionRow) -> Result<i64, sqlx::Error> {
    on_tx!(tx, c => sqlx::query("INSERT INTO selections (sale_id, application_id, outcome, unit_id, deposit_fen, note, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
        .bind(s.sale_id).bind(s.application_id).bind(&s.outcome).bind(s.unit_id).bind(s.deposit_fen).bind(&s.note).bind(s.recorded_by).bind(s.recorded_at)
        .fetch_one(&mut *c).await?.try_get("id"))
}

pub async fn selections(tx: &mut Tx, sale_id: i64) -> Result<Vec<SelectionRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, SelectionRow>("SELECT * FROM selections WHERE sale_id = $1 ORDER BY id").bind(sale_id).fetch_all(&mut *c).await)
}

/// How many times these ID numbers chose a unit in any sale and then gave it up (YQ-14 counts
/// selections: the first abandonment bars 2 years, the second 5).
pub async fn abandonments_of(tx: &mut Tx, id_numbers: &[String]) -> Result<i64, sqlx::Error> {
    let mut apps = std::collections::BTreeSet::new();
    for n in id_numbers {
        for (a,) in on_tx!(tx, c => sqlx::query_as::<_, (i64,)>("SELECT DISTINCT application_id FROM household_members WHERE id_number = $1").bind(n).fetch_all(&mut *c).await)?
        {
            apps.insert(a);
        }
    }
    let mut n = 0;
    for a in apps {
        n += on_tx!(tx, c => sqlx::query("SELECT COUNT(*) AS n FROM selections WHERE application_id = $1 AND outcome = 'abandoned'").bind(a).fetch_one(&mut *c).await?.try_get::<i64, _>("n"))?;
    }
    Ok(n)
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct ContractRow {
    pub id: i64,
    pub sale_id: i64,
    pub application_id: i64,
    pub unit_id: i64,
    pub price_fen: i64,
    pub payment: String,
    pub content: String,
    pub signed_on: NaiveDate,
    pub recorded_by: i64,
    pub recorded_at: DateTime<Utc>,
}

/// Records a contract; `false` when the unit or the household already has one.
pub async fn insert_contract(tx: &mut Tx, k: &ContractRow) -> Result<Option<i64>, sqlx::Error> {
    let r = on_tx!(tx, c => sqlx::query("INSERT INTO sale_contracts (sale_id, application_id, unit_id, price_fen, payment, content, signed_on, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
        .bind(k.sale_id).bind(k.application_id).bind(k.unit_id).bind(k.price_fen).bind(&k.payment).bind(&k.content).bind(k.signed_on).bind(k.recorded_by).bind(k.recorded_at)
        .fetch_one(&mut *c).await.and_then(|row| row.try_get::<i64, _>("id")));
    match r {
        Ok(id) => Ok(Some(id)),
        Err(e) if super::is_unique_violation(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

pub async fn contracts(tx: &mut Tx, sale_id: i64) -> Result<Vec<ContractRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, ContractRow>("SELECT * FROM sale_contracts WHERE sale_id = $1 ORDER BY id").bind(sale_id).fetch_all(&mut *c).await)
}

// ---------- scores (NC-33) and receipts (HS-F2, NC-20, XY-4) ----------

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct ScoreRow {
    pub id: i64,
    pub sale_id: i64,
    pub application_id: i64,
    /// The plan's criteria met, keys joined by commas.
    pub criteria: String,
    pub points: i32,
    pub evidence: String,
    pub recorded_by: i64,
    pub recorded_at: DateTime<Utc>,
}

pub async fn insert_score(tx: &mut Tx, r: &ScoreRow) -> Result<(), sqlx::Error> {
    on_tx!(tx, c => sqlx::query("INSERT INTO sale_scores (sale_id, application_id, criteria, points, evidence, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(r.sale_id).bind(r.application_id).bind(&r.criteria).bind(r.points).bind(&r.evidence).bind(r.recorded_by).bind(r.recorded_at)
        .execute(&mut *c).await.map(|_| ()))
}

/// Every score of a sale, oldest first (the newest per household counts).
pub async fn scores(tx: &mut Tx, sale_id: i64) -> Result<Vec<ScoreRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, ScoreRow>("SELECT * FROM sale_scores WHERE sale_id = $1 ORDER BY id").bind(sale_id).fetch_all(&mut *c).await)
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct ReceiptRow {
    pub id: i64,
    pub sale_id: i64,
    pub contract_id: i64,
    pub amount_fen: i64,
    pub received_on: NaiveDate,
    pub entry_seq: i64,
    pub recorded_by: i64,
    pub recorded_at: DateTime<Utc>,
}

pub async fn insert_receipt(tx: &mut Tx, r: &ReceiptRow) -> Result<(), sqlx::Error> {
    on_tx!(tx, c => sqlx::query("INSERT INTO sale_receipts (sale_id, contract_id, amount_fen, received_on, entry_seq, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(r.sale_id).bind(r.contract_id).bind(r.amount_fen).bind(r.received_on).bind(r.entry_seq).bind(r.recorded_by).bind(r.recorded_at)
        .execute(&mut *c).await.map(|_| ()))
}

pub async fn receipts(tx: &mut Tx, sale_id: i64) -> Result<Vec<ReceiptRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, ReceiptRow>("SELECT * FROM sale_receipts WHERE sale_id = $1 ORDER BY id").bind(sale_id).fetch_all(&mut *c).await)
}

// ---------- the per-unit register ----------

/// A bought unit with its current status (ALLOCATION.md §9; issue 13's asset register).
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct RegisterRow {
    pub unit_id: i64,
    pub listing_id: i64,
    pub pack: String,
    pub project_name: String,
    pub building: String,
    pub stair_unit: String,
    pub room: String,
    pub gross_area_centi: i64,
    /// The newest unit event's status; `None`: in stock since the purchase.
    pub status: Option<String>,
    pub status_at: Option<DateTime<Utc>>,
    /// The use decided for it (HS-A6), if any.
    pub use_kind: Option<String>,
}

/// Every unit of every bought listing (its signing recorded), in listing and unit order.
pub async fn unit_register(
    tx: &mut Tx,
    pack: Option<&str>,
    limit: i64,
) -> Result<Vec<RegisterRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, RegisterRow>(
        "SELECT u.id AS unit_id, l.instance_id AS listing_id, r.pack, l.project_name, u.building, u.stair_unit, u.room, u.gross_area_centi,
                (SELECT e.status FROM unit_events e WHERE e.unit_id = u.id ORDER BY e.id DESC LIMIT 1) AS status,
                (SELECT e.recorded_at FROM unit_events e WHERE e.unit_id = u.id ORDER BY e.id DESC LIMIT 1) AS status_at,
                (SELECT x.use_kind FROM unit_uses x WHERE x.unit_id = u.id ORDER BY x.id DESC LIMIT 1) AS use_kind
         FROM units u
         JOIN unit_lists ul ON ul.id = u.unit_list_id
         JOIN listings l ON l.instance_id = ul.listing_id
         JOIN rounds r ON r.instance_id = l.round_id
         WHERE ul.id = (SELECT MAX(id) FROM unit_lists WHERE listing_id = l.instance_id)
           AND EXISTS (SELECT 1 FROM history h WHERE h.instance_id = l.instance_id AND h.action = 'sign')
           AND ($1 IS NULL OR r.pack = $1)
         ORDER BY l.instance_id, u.id LIMIT $2")
        .bind(pack).bind(limit).fetch_all(&mut *c).await)
}

/// Every sale, newest first (at most `limit`).
pub async fn sales_of(
    tx: &mut Tx,
    pack: Option<&str>,
    limit: i64,
) -> Result<Vec<SaleRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, SaleRow>("SELECT * FROM sales WHERE ($1 IS NULL OR pack = $1) ORDER BY instance_id DESC LIMIT $2")
        .bind(pack).bind(limit).fetch_all(&mut *c).await)
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct UnitEventRow {
    pub id: i64,
    pub unit_id: i64,
    pub status: String,
    pub ref_kind: Option<String>,
    pub ref_id: Option<i64>,
    pub note: Option<String>,
    pub recorded_by: i64,
    pub recorded_at: DateTime<Utc>,
}

pub async fn insert_unit_event(tx: &mut Tx, e: &UnitEventRow) -> Result<(), sqlx::Error> {
    on_tx!(tx, c => { sqlx::query("INSERT INTO unit_events (unit_id, status, ref_kind, ref_id, note, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(e.unit_id).bind(&e.status).bind(&e.ref_kind).bind(e.ref_id).bind(&e.note).bind(e.recorded_by).bind(e.recorded_at)
        .execute(&mut *c).await?; });
    Ok(())
}

/// Each unit's newest event: unit id → status.
pub async fn unit_statuses(
    tx: &mut Tx,
    unit_ids: &[i64],
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    let mut out = Vec::with_capacity(unit_ids.len());
    for u in unit_ids {
        if let Some(r) = on_tx!(tx, c => sqlx::query_as::<_, (i64, String)>("SELECT unit_id, status FROM unit_events WHERE unit_id = $1 ORDER BY id DESC LIMIT 1").bind(u).fetch_optional(&mut *c).await)?
        {
            out.push(r);
        }
    }
    Ok(out)
}

// ---------- personal-data reads ----------

pub async fn insert_pii_read(
    tx: &mut Tx,
    application_id: i64,
    reader: i64,
    purpose: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    on_tx!(tx, c => { sqlx::query("INSERT INTO pii_reads (application_id, reader_id, purpose, read_at) VALUES ($1, $2, $3, $4)")
        .bind(application_id).bind(reader).bind(purpose).bind(at).execute(&mut *c).await?; });
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PiiReadRow {
    pub id: i64,
    pub application_id: i64,
    pub reader: String,
    pub role: String,
    pub purpose: String,
    pub read_at: DateTime<Utc>,
}

pub async fn pii_reads(tx: &mut Tx, limit: i64) -> Result<Vec<PiiReadRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, PiiReadRow>("SELECT p.id, p.application_id, u.name AS reader, u.role, p.purpose, p.read_at FROM pii_reads p JOIN users u ON u.id = p.reader_id ORDER BY p.id DESC LIMIT $1").bind(limit).fetch_all(&mut *c).await)
}
