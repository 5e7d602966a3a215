//! The registers of bought units: each unit's use (HS-A6: rental 配租, sale 配售 or
//! resettlement 安置) and the rent register (HS-P8, HS-P9): initial rents from the latest
//! valuation's market rent, adjustments checked against the yearly limit, and the list of rents
//! overdue for review. Append-only: every decision is a new record; a unit's use and rent are its
//! newest records. Only a unit operated as rental gets a rent (HS-A6).
//!
//! Uses are set once a listing is acquired (the workflow file's `price_exceptions` states) by the
//! acquiring company, which operates the units. A rent is a proposal until the pack's chain
//! approves it (HS-P8: the housing department sets it, the county government approves; HS-P9:
//! the operator proposes, the leading group decides — see `app::proposals`); only then does it
//! bind. An "in principle" excess needs an approved exception of the same listing for that limit.
//! Packs whose texts set no rent rule (Yangquan, Nanchang, Xingyi) refuse rents.

use super::flow::{DecimalText, ensure_listing_scope, require_role};
use super::pricing::{per_m2, pricing_error, rent_change_refused};
use super::proposals::{self, ProposalKind, ProposalView};
use super::{App, AppError, Idem, boxed};
use crate::domain::pricing::ProposalStatus;
use crate::domain::pricing::rent;
use crate::domain::role::Role;
use crate::domain::units::{AreaM2, Yuan, YuanPerM2, parse_decimal};
use crate::store::Tx;
use crate::store::listings as db;
use crate::store::rents::{self, RentRecord, UseRecord};
use crate::store::users::User;
use crate::util::{enum_key, parse_enum_key};
use crate::workflow::def::Capability;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RentKind {
    /// HS-P8: the first rent of a unit.
    Initial,
    /// HS-P9: a change of an existing rent.
    Adjustment,
}

/// HS-A6: the three ways a bought unit is operated (霍山县收购存量商品房管理办法 第六条).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UseKind {
    /// 配租: let at a regulated rent (HS-P8, HS-P9).
    Rental,
    /// 配售: sold at the regulated price.
    Sale,
    /// 安置: resettlement housing (HS-P14's price).
    Resettlement,
}

/// HS-A6: the use of some or all units of an acquired listing.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema, validator::Validate)]
#[serde(deny_unknown_fields)]
pub struct UseSetting {
    pub use_kind: UseKind,
    /// Units to set (ids from the unit list); default every unit of the listing.
    #[serde(default)]
    pub unit_ids: Vec<i64>,
    /// What for, e.g. 人才房, 青年公寓, 城中村改造安置房.
    #[validate(length(max = 2000))]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UseRecordView {
    pub id: i64,
    pub unit_id: i64,
    pub use_kind: UseKind,
    pub note: Option<String>,
    pub decided_by: String,
    pub decided_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema, validator::Validate)]
#[serde(deny_unknown_fields)]
pub struct RentSetting {
    pub kind: RentKind,
    pub effective_date: NaiveDate,
    /// Initial: share of the appraised market rent; default the pack's cap (0.9).
    #[schema(value_type = Option<String>, example = "0.9")]
    pub ratio: Option<DecimalText>,
    /// Adjustment: the new rent, yuan per m² per month.
    #[schema(value_type = Option<String>, example = "23.60")]
    pub rent_per_m2: Option<DecimalText>,
    /// Units to set (ids from the unit list); default every unit of the listing operated as
    /// rental (HS-A6).
    #[serde(default)]
    pub unit_ids: Vec<i64>,
    /// An approved exception of this listing (initial_rent_ratio or rent_change).
    pub exception_id: Option<i64>,
    #[validate(length(max = 2000))]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UnitRent {
    pub unit_id: i64,
    pub building: String,
    pub stair_unit: String,
    pub room: String,
    pub area_m2: AreaM2,
    /// HS-A6: how the unit is operated; none until the acquiring company decides.
    pub use_kind: Option<UseKind>,
    pub rent_per_m2: Option<YuanPerM2>,
    pub monthly_rent: Option<Yuan>,
    pub effective_date: Option<NaiveDate>,
    /// HS-P9: the rent must be reviewed by this date.
    pub review_due: Option<NaiveDate>,
    pub overdue: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RentRecordView {
    pub id: i64,
    pub unit_id: i64,
    pub kind: String,
    pub rent_per_m2: YuanPerM2,
    pub monthly_rent: Yuan,
    pub market_rent_per_m2: YuanPerM2,
    pub effective_date: NaiveDate,
    pub exception_id: Option<i64>,
    pub rules: String,
    pub note: Option<String>,
    pub recorded_by: String,
    pub recorded_at: chrono::DateTime<chrono::Utc>,
    /// The proposal that carried it; `None` for records made before rents were proposed.
    pub proposal_id: Option<i64>,
    /// `binding` (approved, or recorded before approvals), `pending` or `rejected`.
    pub status: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RentRegister {
    pub listing_id: i64,
    pub project_name: String,
    /// The pack's rent rules (HS-P8, HS-P9); `None` where its text sets none.
    #[schema(value_type = Option<Object>)]
    pub rent_rules: Option<crate::domain::pricing::RentParams>,
    pub units: Vec<UnitRent>,
    /// Every price proposal of the listing with its approvals.
    pub proposals: Vec<super::proposals::ProposalView>,
    /// Every rent record, oldest first.
    pub records: Vec<RentRecordView>,
    /// Every use decision (HS-A6), oldest first.
    pub uses: Vec<UseRecordView>,
    /// Σ current monthly rents.
    pub monthly_total: Yuan,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OverdueRent {
    pub listing_id: i64,
    pub project_name: String,
    pub unit_id: i64,
    pub room: String,
    pub rent_per_m2: YuanPerM2,
    pub effective_date: NaiveDate,
    pub review_due: NaiveDate,
    pub days_overdue: i64,
}

impl App {
    async fn rent_register_in(
        &self,
        tx: &mut Tx,
        listing_id: i64,
    ) -> Result<RentRegister, AppError> {
        let l = db::listing(tx, listing_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("listing {listing_id}")))?;
        let round = db::round(tx, l.round_id)
            .await?
            .ok_or_else(|| AppError::Internal("round vanished".into()))?;
        let p = self.pack(&round.pack)?.pricing().clone();
        let units = rents::current_unit_refs(tx, listing_id).await?;
        let records = rents::of_listing(tx, listing_id).await?;
        let proposals = self.proposal_views(tx, listing_id).await?;
        let status = record_status(&records, &proposals);
        let latest = binding_latest(&records, &status);
        let use_records = rents::uses_of_listing(tx, listing_id).await?;
        let current_use = current_uses_of(&use_records);
        let today = self.today();
        let mut total = Yuan::ZERO;
        let units = units
            .iter()
            .map(|u| {
                let use_kind = current_use.get(&u.id).copied();
                // HS-A6: a rent is current while the unit is let; a unit turned to sale or
                // resettlement keeps its rent records, but no rent is due or to review.
                let r = latest
                    .get(&u.id)
                    .filter(|_| use_kind == Some(UseKind::Rental));
                let due = r
                    .zip(p.rent.as_ref())
                    .map(|(r, rp)| rent::review_due(r.effective_date, rp.review_cycle_years));
                if let Some(r) = r {
                    total = total
                        .checked_add(Yuan::from_fen(r.monthly_rent_fen))
                        .expect("bounded");
                }
                UnitRent {
                    unit_id: u.id,
                    building: u.building.clone(),
                    stair_unit: u.stair_unit.clone(),
                    room: u.room.clone(),
                    area_m2: AreaM2::from_centi(u.gross_area_centi),
                    use_kind,
                    rent_per_m2: r.map(|r| YuanPerM2::from_fen(r.rent_per_m2_fen)),
                    monthly_rent: r.map(|r| Yuan::from_fen(r.monthly_rent_fen)),
                    effective_date: r.map(|r| r.effective_date),
                    review_due: due,
                    overdue: due.is_some_and(|d| today >= d),
                }
            })
            .collect();
        let mut names = Names::default();
        let mut views = Vec::with_capacity(records.len());
        for r in &records {
            views.push(RentRecordView {
                id: r.id,
                unit_id: r.unit_id,
                kind: r.kind.clone(),
                rent_per_m2: YuanPerM2::from_fen(r.rent_per_m2_fen),
                monthly_rent: Yuan::from_fen(r.monthly_rent_fen),
                market_rent_per_m2: YuanPerM2::from_fen(r.market_rent_per_m2_fen),
                effective_date: r.effective_date,
                exception_id: r.exception_id,
                rules: r.rules.clone(),
                note: r.note.clone(),
                recorded_by: names.of(tx, r.recorded_by).await?,
                recorded_at: r.recorded_at,
                proposal_id: r.proposal_id,
                status: status[&r.id].into(),
            });
        }
        let mut uses = Vec::with_capacity(use_records.len());
        for r in &use_records {
            uses.push(UseRecordView {
                id: r.id,
                unit_id: r.unit_id,
                use_kind: parse_enum_key(&r.use_kind).map_err(AppError::Internal)?,
                note: r.note.clone(),
                decided_by: names.of(tx, r.decided_by).await?,
                decided_at: r.decided_at,
            });
        }
        Ok(RentRegister {
            listing_id,
            project_name: l.project_name,
            rent_rules: p.rent.clone(),
            units,
            proposals,
            records: views,
            uses,
            monthly_total: total,
        })
    }

    /// The rent register of a listing (a developer sees only its own).
    pub async fn rent_register(
        &self,
        actor: &User,
        listing_id: i64,
    ) -> Result<RentRegister, AppError> {
        let mut tx = self.store.read().await?;
        let l = db::listing(&mut tx, listing_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("listing {listing_id}")))?;
        ensure_listing_scope(actor, &l)?;
        self.rent_register_in(&mut tx, listing_id).await
    }

    /// HS-P8 / HS-P9: proposes the rents of some or all units of an acquired listing, in one
    /// transaction; any unit refused refuses them all. The proposer is the one the pack's chain
    /// names (HS-P8: the housing department; HS-P9: the operator); the rents bind once the chain
    /// approved them (`App::decide_proposal`).
    pub async fn set_rents(
        &self,
        actor: &User,
        idem: Option<&Idem>,
        listing_id: i64,
        s: RentSetting,
    ) -> Result<(u16, RentRegister), AppError> {
        let actor2 = actor.clone();
        self.command(actor, idem, 201, move |app, tx| {
            boxed(async move {
                let inst = app.instance_of(tx, listing_id, "listing").await?;
                let def = app
                    .require_capability(tx, &inst, Capability::PriceExceptions)
                    .await?;
                let pricing = app.pack(&def.pack.key)?.pricing().clone();
                let kind = match s.kind {
                    RentKind::Initial => ProposalKind::InitialRent,
                    RentKind::Adjustment => ProposalKind::RentChange,
                };
                let c = proposals::chain(&def.pack.key, &pricing, kind)?;
                require_role(&actor2, &[c.proposer], match s.kind {
                    RentKind::Initial => "propose initial rents (HS-P8)",
                    RentKind::Adjustment => "propose rent changes (HS-P9)",
                })?;
                let p = pricing.rent.clone().expect("the chain exists only with rent rules");
                let all = rents::current_unit_refs(tx, listing_id).await?;
                // HS-A6: only a unit operated as rental gets a rent.
                let uses = current_uses_of(&rents::uses_of_listing(tx, listing_id).await?);
                let chosen: Vec<_> = if s.unit_ids.is_empty() {
                    let out: Vec<_> = all
                        .iter()
                        .filter(|u| uses.get(&u.id) == Some(&UseKind::Rental))
                        .cloned()
                        .collect();
                    if out.is_empty() && !all.is_empty() {
                        return Err(AppError::Rule {
                            code: "no_rental_units",
                            rule: "HS-A6".into(),
                            message: format!(
                                "no unit of listing {listing_id} is operated as rental (配租): record the units' use first"
                            ),
                        });
                    }
                    out
                } else {
                    let named = named_units(&all, &s.unit_ids, listing_id)?;
                    if let Some(u) = named
                        .iter()
                        .find(|u| uses.get(&u.id) != Some(&UseKind::Rental))
                    {
                        return Err(AppError::Rule {
                            code: "not_a_rental_unit",
                            rule: "HS-A6".into(),
                            message: format!(
                                "unit {} is {}: only a unit operated as rental (配租) gets a rent",
                                u.room,
                                match uses.get(&u.id) {
                                    Some(k) => format!("operated as {}", enum_key(k)),
                                    None => "not yet assigned a use".to_string(),
                                }
                            ),
                        });
                    }
                    named
                };
                let records = rents::of_listing(tx, listing_id).await?;
                let views = app.proposal_views(tx, listing_id).await?;
                let status = record_status(&records, &views);
                let latest: BTreeMap<i64, RentRecord> = binding_latest(&records, &status)
                    .into_iter()
                    .map(|(k, r)| (k, r.clone()))
                    .collect();
                // A unit with a rent proposal still open waits for its decision.
                if let Some(r) = records.iter().find(|r| {
                    status[&r.id] == "pending" && chosen.iter().any(|u| u.id == r.unit_id)
                }) {
                    return Err(AppError::Conflict {
                        code: "proposal_pending",
                        message: format!(
                            "unit {} has rent proposal {} awaiting approval; decide it first",
                            r.unit_id,
                            r.proposal_id.unwrap_or_default()
                        ),
                    });
                }
                // The exception must be approved, of this listing, and for the limit in play.
                let needed = match s.kind {
                    RentKind::Initial => "initial_rent_ratio",
                    RentKind::Adjustment => "rent_change",
                };
                let waived = match s.exception_id {
                    None => false,
                    Some(eid) => {
                        let e = db::exception(tx, eid).await?.ok_or_else(|| {
                            AppError::invalid("exception_id", format!("no exception {eid}"))
                        })?;
                        if e.approved != Some(true)
                            || e.listing_id != Some(listing_id)
                            || e.check_id != needed
                        {
                            return Err(AppError::invalid(
                                "exception_id",
                                format!(
                                    "exception {eid} is not an approved {needed:?} exception of listing {listing_id}"
                                ),
                            ));
                        }
                        true
                    }
                };
                let valuation = db::latest_valuation(tx, listing_id).await?;
                let now = app.now();
                let mut used_exception = false;
                if chosen.is_empty() {
                    return Err(AppError::invalid("unit_ids", "the listing has no units to rent"));
                }
                let rule = if s.kind == RentKind::Initial { "HS-P8" } else { "HS-P9" };
                let proposal_id = app
                    .insert_proposal(
                        tx,
                        &actor2,
                        listing_id,
                        kind,
                        rule,
                        serde_json::json!({
                            "units": chosen.len(),
                            "effective_date": s.effective_date,
                            "ratio": s.ratio.as_ref().map(|r| r.0.clone()),
                            "rent_per_m2": s.rent_per_m2.as_ref().map(|r| r.0.clone()),
                            "exception_id": s.exception_id,
                        }),
                        s.note.as_deref(),
                    )
                    .await?;
                for u in &chosen {
                    let area = AreaM2::from_centi(u.gross_area_centi);
                    let prev = latest.get(&u.id);
                    let (rule, rent_per_m2, monthly, market) = match s.kind {
                        RentKind::Initial => {
                            if prev.is_some() {
                                return Err(AppError::Conflict {
                                    code: "rent_already_set",
                                    message: format!(
                                        "unit {} already has a rent; change it with an adjustment (HS-P9)",
                                        u.room
                                    ),
                                });
                            }
                            let v = valuation.as_ref().ok_or_else(|| AppError::Conflict {
                                code: "no_valuation",
                                message: "no valuation on this listing: the market rent (HS-P8) is unknown".into(),
                            })?;
                            let market = YuanPerM2::from_fen(v.market_rent_per_m2_fen);
                            let ratio = match &s.ratio {
                                Some(t) => parse_decimal("ratio", &t.0)
                                    .map_err(|e| AppError::invalid("ratio", e.to_string()))?,
                                None => p.initial_max_ratio,
                            };
                            let q = rent::initial_rent(market, area, ratio, p.initial_max_ratio, waived)
                                .map_err(pricing_error)?;
                            used_exception |= q.above_cap;
                            ("HS-P8", q.rent_per_m2, q.monthly_rent, market)
                        }
                        RentKind::Adjustment => {
                            let prev = prev.ok_or_else(|| AppError::Conflict {
                                code: "no_rent_yet",
                                message: format!("unit {} has no rent yet; set its initial rent first (HS-P8)", u.room),
                            })?;
                            let new = per_m2(
                                "rent_per_m2",
                                s.rent_per_m2.as_ref().ok_or_else(|| {
                                    AppError::invalid("rent_per_m2", "an adjustment needs the new rent_per_m2")
                                })?,
                            )?
                            .round_fen();
                            let c = rent::rent_change(
                                YuanPerM2::from_fen(prev.rent_per_m2_fen),
                                new,
                                prev.effective_date,
                                s.effective_date,
                                p.change_max_per_year,
                            )
                            .map_err(pricing_error)?;
                            if !c.within_limit && !waived {
                                return Err(rent_change_refused(&c, p.change_max_per_year, Some(&u.room)));
                            }
                            used_exception |= !c.within_limit;
                            ("HS-P9", new, new.times_area(area).round_fen(), YuanPerM2::from_fen(prev.market_rent_per_m2_fen))
                        }
                    };
                    let fen = |y: Yuan| y.to_fen().map_err(|e| AppError::Internal(e.to_string()));
                    rents::insert(
                        tx,
                        &RentRecord {
                            id: 0,
                            listing_id,
                            unit_id: u.id,
                            kind: match s.kind {
                                RentKind::Initial => "initial".into(),
                                RentKind::Adjustment => "adjustment".into(),
                            },
                            rent_per_m2_fen: rent_per_m2.to_fen().map_err(|e| AppError::Internal(e.to_string()))?,
                            monthly_rent_fen: fen(monthly)?,
                            market_rent_per_m2_fen: market.to_fen().map_err(|e| AppError::Internal(e.to_string()))?,
                            effective_date: s.effective_date,
                            exception_id: if used_exception { s.exception_id } else { None },
                            rules: rule.into(),
                            note: s.note.clone(),
                            recorded_by: actor2.id,
                            recorded_at: now,
                            proposal_id: Some(proposal_id),
                        },
                    )
                    .await?;
                }
                app.rent_register_in(tx, listing_id).await
            })
        })
        .await
    }

    /// HS-A6: records how some or all units of an acquired listing are operated — rental,
    /// sale or resettlement — in one transaction. A change of use is a new record; the rent
    /// records of a unit turned away from rental stay, no longer current.
    pub async fn set_unit_uses(
        &self,
        actor: &User,
        idem: Option<&Idem>,
        listing_id: i64,
        s: UseSetting,
    ) -> Result<(u16, RentRegister), AppError> {
        require_role(actor, &[Role::Acquirer], "decide the use of bought units")?;
        let actor2 = actor.clone();
        self.command(actor, idem, 201, move |app, tx| {
            boxed(async move {
                let inst = app.instance_of(tx, listing_id, "listing").await?;
                app.require_capability(tx, &inst, Capability::PriceExceptions)
                    .await?;
                let all = rents::current_unit_refs(tx, listing_id).await?;
                let chosen: Vec<i64> = if s.unit_ids.is_empty() {
                    all.iter().map(|u| u.id).collect()
                } else {
                    named_units(&all, &s.unit_ids, listing_id)?
                        .iter()
                        .map(|u| u.id)
                        .collect()
                };
                if chosen.is_empty() {
                    return Err(AppError::invalid("unit_ids", "the listing has no units"));
                }
                let now = app.now();
                for unit_id in &chosen {
                    rents::insert_use(
                        tx,
                        &UseRecord {
                            id: 0,
                            listing_id,
                            unit_id: *unit_id,
                            use_kind: enum_key(&s.use_kind),
                            note: s.note.clone(),
                            decided_by: actor2.id,
                            decided_at: now,
                        },
                    )
                    .await?;
                }
                app.record(
                    tx,
                    &inst,
                    &actor2,
                    "set_unit_uses",
                    s.note.as_deref(),
                    serde_json::json!({
                        "rule": "HS-A6",
                        "use": s.use_kind,
                        "units": chosen,
                    }),
                )
                .await?;
                app.rent_register_in(tx, listing_id).await
            })
        })
        .await
    }

    /// HS-P9: every unit whose rent has not been reviewed within the pack's cycle, most overdue
    /// first (a developer sees only its own listings).
    pub async fn overdue_rents(&self, actor: &User) -> Result<Vec<OverdueRent>, AppError> {
        let mut tx = self.store.read().await?;
        let today = self.today();
        let mut out = Vec::new();
        let mut listings: BTreeMap<i64, Option<(String, u32)>> = BTreeMap::new();
        // HS-A6: only units still operated as rental have a rent to review.
        let rental: std::collections::BTreeSet<i64> = rents::current_uses(&mut tx)
            .await?
            .into_iter()
            .filter(|(_, k)| parse_enum_key::<UseKind>(k) == Ok(UseKind::Rental))
            .map(|(unit, _)| unit)
            .collect();
        let records = rents::all(&mut tx).await?;
        // Only a binding rent (approved, or recorded before approvals) is reviewed.
        let pending_or_rejected: std::collections::BTreeSet<i64> = {
            let mut ids = std::collections::BTreeSet::new();
            let lids: std::collections::BTreeSet<i64> =
                records.iter().map(|r| r.listing_id).collect();
            for lid in lids {
                for v in self.proposal_views(&mut tx, lid).await? {
                    if v.status != ProposalStatus::Approved {
                        ids.insert(v.id);
                    }
                }
            }
            ids
        };
        let mut newest: BTreeMap<i64, RentRecord> = BTreeMap::new();
        for r in records {
            if r.proposal_id
                .is_none_or(|p| !pending_or_rejected.contains(&p))
            {
                newest.insert(r.unit_id, r);
            }
        }
        let latest: Vec<RentRecord> = newest
            .into_values()
            .filter(|r| rental.contains(&r.unit_id))
            .collect();
        let rooms: BTreeMap<i64, String> = {
            let mut m = BTreeMap::new();
            for lid in latest
                .iter()
                .map(|r| r.listing_id)
                .collect::<std::collections::BTreeSet<_>>()
            {
                for u in rents::current_unit_refs(&mut tx, lid).await? {
                    m.insert(u.id, format!("{}-{}-{}", u.building, u.stair_unit, u.room));
                }
            }
            m
        };
        for r in latest {
            if let std::collections::btree_map::Entry::Vacant(e) = listings.entry(r.listing_id) {
                let l = db::listing(&mut tx, r.listing_id).await?;
                let entry = match l {
                    Some(l) if ensure_listing_scope(actor, &l).is_ok() => {
                        let round = db::round(&mut tx, l.round_id)
                            .await?
                            .ok_or_else(|| AppError::Internal("round vanished".into()))?;
                        self.pack(&round.pack)?
                            .pricing()
                            .rent
                            .as_ref()
                            .map(|r| (l.project_name, r.review_cycle_years))
                    }
                    _ => None,
                };
                e.insert(entry);
            }
            let Some(Some((name, cycle))) = listings.get(&r.listing_id) else {
                continue;
            };
            let due = rent::review_due(r.effective_date, *cycle);
            if today >= due {
                out.push(OverdueRent {
                    listing_id: r.listing_id,
                    project_name: name.clone(),
                    unit_id: r.unit_id,
                    room: rooms.get(&r.unit_id).cloned().unwrap_or_default(),
                    rent_per_m2: YuanPerM2::from_fen(r.rent_per_m2_fen),
                    effective_date: r.effective_date,
                    review_due: due,
                    days_overdue: (today - due).num_days(),
                });
            }
        }
        out.sort_by(|a, b| {
            b.days_overdue
                .cmp(&a.days_overdue)
                .then(a.unit_id.cmp(&b.unit_id))
        });
        Ok(out)
    }
}

/// Each rent record's standing: `binding` (its proposal approved, or recorded before proposals),
/// `pending` or `rejected`.
fn record_status(
    records: &[RentRecord],
    proposals: &[ProposalView],
) -> BTreeMap<i64, &'static str> {
    records
        .iter()
        .map(|r| {
            let s = match r
                .proposal_id
                .and_then(|p| proposals.iter().find(|v| v.id == p))
            {
                None => "binding",
                Some(v) => match v.status {
                    ProposalStatus::Approved => "binding",
                    ProposalStatus::Pending { .. } => "pending",
                    ProposalStatus::Rejected { .. } => "rejected",
                },
            };
            (r.id, s)
        })
        .collect()
}

/// Each unit's newest binding rent record.
fn binding_latest<'a>(
    records: &'a [RentRecord],
    status: &BTreeMap<i64, &'static str>,
) -> BTreeMap<i64, &'a RentRecord> {
    let mut out = BTreeMap::new();
    for r in records.iter().filter(|r| status[&r.id] == "binding") {
        out.insert(r.unit_id, r);
    }
    out
}

/// Each unit's newest use decision (HS-A6), from a listing's decisions oldest first.
fn current_uses_of(records: &[UseRecord]) -> BTreeMap<i64, UseKind> {
    records
        .iter()
        .filter_map(|r| parse_enum_key(&r.use_kind).ok().map(|k| (r.unit_id, k)))
        .collect()
}

/// The units `ids` names, in that order and each once; an id not on the listing's current unit
/// list refuses the whole request.
fn named_units(
    all: &[rents::UnitRef],
    ids: &[i64],
    listing_id: i64,
) -> Result<Vec<rents::UnitRef>, AppError> {
    let mut out: Vec<rents::UnitRef> = Vec::with_capacity(ids.len());
    for id in ids {
        let u = all.iter().find(|u| u.id == *id).ok_or_else(|| {
            AppError::invalid(
                "unit_ids",
                format!("unit {id} is not on listing {listing_id}'s unit list"),
            )
        })?;
        if !out.iter().any(|o| o.id == *id) {
            out.push(u.clone());
        }
    }
    Ok(out)
}

/// Users' names for a register's records, each read once.
#[derive(Default)]
struct Names(BTreeMap<i64, String>);

impl Names {
    async fn of(&mut self, tx: &mut Tx, id: i64) -> Result<String, AppError> {
        if let Some(n) = self.0.get(&id) {
            return Ok(n.clone());
        }
        let n = crate::store::users::name_of(tx, id).await?;
        self.0.insert(id, n.clone());
        Ok(n)
    }
}
