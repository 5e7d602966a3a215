//! Commands of the acquisition flow: rounds, survey returns, listings, documents and unit lists,
//! workflow actions and their effects, valuations, policy exceptions.

use super::facts;
use super::views::InstanceView;
use super::{App, AppError, Idem, boxed};
use crate::domain::review::{ConstructionState, OfferScope};
use crate::domain::role::Role;
use crate::domain::survey::SurveyReturn;
use crate::domain::units::{AreaM2, Rate, Yuan, YuanPerM2, parse_decimal};
use crate::store::instances::{self, InstanceRow, NewHistory};
use crate::store::listings::{self as db, DocumentMeta, ExceptionRow, ListingRow};
use crate::store::{Tx, users::User};
use crate::workflow::def::{Capability, Effect, WorkflowDef};
use crate::workflow::engine::{self, Command, InstanceState};
use chrono::NaiveDate;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A decimal sent as a JSON string ("2600.50") or number; kept as text until parsed with its field name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(value_type = String, example = "2600.00")]
pub struct DecimalText(pub String);

impl<'de> Deserialize<'de> for DecimalText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(s) => Ok(DecimalText(s)),
            serde_json::Value::Number(n) => Ok(DecimalText(n.to_string())),
            other => Err(serde::de::Error::custom(format!(
                "expected a decimal number, got {other}"
            ))),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema, validator::Validate)]
#[serde(deny_unknown_fields)]
pub struct NewRound {
    /// Policy pack (jurisdiction): huoshan, yangquan, nanchang, xingyi.
    pub pack: String,
    #[validate(length(min = 1, max = 200))]
    pub name: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema, validator::Validate)]
#[serde(deny_unknown_fields)]
pub struct NewListing {
    #[validate(length(min = 1, max = 200))]
    pub project_name: String,
    #[validate(length(min = 1, max = 500))]
    pub address: String,
    pub construction_state: ConstructionState,
    #[serde(default)]
    pub topped_out: bool,
    /// HS-A4.1: the unfinished project is in the 保交房攻坚战 (campaign to deliver presold homes).
    #[serde(default)]
    pub in_delivery_campaign: bool,
    pub delivery_date: Option<NaiveDate>,
    pub offer_scope: OfferScope,
    /// 装修情况, e.g. 毛坯 / 简装 / 精装.
    #[validate(length(min = 1, max = 200))]
    pub decoration: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    /// The instance version the caller saw; a stale one is refused with 409.
    pub expected_version: i64,
    pub comment: Option<String>,
    /// Action data: `price_per_m2` (submit_result, approve), `clear` (sign_off_title).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema, validator::Validate)]
#[serde(deny_unknown_fields)]
pub struct ValuationInput {
    /// 划拨土地成本, yuan per m² of gross floor area.
    pub land_per_m2: DecimalText,
    /// 建安成本, yuan per m².
    pub construction_per_m2: DecimalText,
    /// Profit rate on those costs, at most the pack's cap (5 %): "0.05".
    pub profit_rate: DecimalText,
    /// Appraised market price, yuan per m².
    pub market_price_per_m2: DecimalText,
    /// Appraised market rent, yuan per m² per month.
    pub market_rent_per_m2: DecimalText,
    #[validate(length(min = 1, max = 200))]
    pub appraiser_org: String,
    pub report_date: NaiveDate,
    /// The uploaded report file: a document of kind `valuation_report` on this listing.
    pub report_document_id: i64,
    /// NC-20: how the construction cost was fixed — `final_accounts` (工程决算, new build) or
    /// `appraisal` (after a project risk assessment, uploaded as `risk_assessment`). Required
    /// where the pack buys at cost.
    #[serde(default)]
    pub cost_basis: Option<CostBasis>,
}

/// NC-20: the basis of a house's construction cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CostBasis {
    /// 新建项目依据工程决算价格.
    FinalAccounts,
    /// 非新建项目做好项目风险评估，第三方专业机构评估.
    Appraisal,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ValuationView {
    pub id: i64,
    pub listing_id: i64,
    pub land_per_m2: Yuan,
    pub construction_per_m2: Yuan,
    pub profit_rate: String,
    /// HS-P5: replacement price per m², rounded half-up to the fen.
    pub ceiling_per_m2: Yuan,
    /// HS-P5: Σ over units of (printed rate × gross area, rounded to the fen).
    pub ceiling_total: Yuan,
    pub market_price_per_m2: Yuan,
    pub market_rent_per_m2: Yuan,
    pub appraiser_org: String,
    pub report_date: NaiveDate,
    /// The report file (document id on this listing), if one is linked.
    pub report_document_id: Option<i64>,
    pub report_file_name: Option<String>,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
    /// Superseded by a later report (nothing is overwritten; the newest one counts).
    pub superseded: bool,
    pub rules: Vec<String>,
    /// NC-20: `final_accounts` or `appraisal`.
    pub cost_basis: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema, validator::Validate)]
#[serde(deny_unknown_fields)]
pub struct ExceptionRequest {
    /// The review check to waive (e.g. `unit_area_cap`); only "in principle" (原则上) checks.
    #[validate(length(min = 1, max = 100))]
    pub check_id: String,
    #[validate(length(min = 1, max = 2000))]
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema, validator::Validate)]
#[serde(deny_unknown_fields)]
pub struct ExceptionDecision {
    pub approved: bool,
    #[validate(length(min = 1, max = 2000))]
    pub comment: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UploadResult {
    pub document: DocumentMeta,
    /// For a unit list: how many units were imported.
    pub units: Option<usize>,
}

/// The most demand-survey returns one command enters.
pub const MAX_SURVEY_RETURNS: usize = 10_000;

/// The most an action's `payload` (kept in the history) may hold, as JSON.
pub const ACTION_PAYLOAD_MAX_BYTES: usize = 4096;

/// A one-line free-text field under the character policy of `domain::text` (issue 15).
pub(crate) fn one_line(field: &str, s: &str, max: usize) -> Result<(), AppError> {
    crate::domain::text::one_line(s, max).map_err(|m| AppError::invalid(field, m))
}

/// A many-line free-text field (comment, reason, note) under the character policy.
pub(crate) fn many_lines(field: &str, s: &str, max: usize) -> Result<(), AppError> {
    crate::domain::text::many_lines(s, max).map_err(|m| AppError::invalid(field, m))
}

pub(crate) fn require_role(actor: &User, roles: &[Role], what: &str) -> Result<(), AppError> {
    if roles.contains(&actor.role) {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "role {} may not {what} (allowed: {})",
            actor.role,
            roles.iter().map(|r| r.key()).collect::<Vec<_>>().join(", ")
        )))
    }
}

/// A developer acts only on its own company's listings; officials on all.
pub fn ensure_listing_scope(actor: &User, l: &ListingRow) -> Result<(), AppError> {
    if actor.role.sees_all_listings() || actor.org.as_deref() == Some(l.developer_org.as_str()) {
        Ok(())
    } else {
        // Not 403: another company's listing must not even be confirmed to exist.
        Err(AppError::NotFound(format!("listing {}", l.instance_id)))
    }
}

fn parse_price(field: &'static str, v: &serde_json::Value) -> Result<YuanPerM2, AppError> {
    let raw = match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        _ => {
            return Err(AppError::invalid(
                field,
                format!("{field} must be a decimal number of yuan per m²"),
            ));
        }
    };
    let d = parse_decimal(field, &raw).map_err(|e| AppError::invalid(field, e.to_string()))?;
    if d.normalize().scale() > 2 {
        return Err(AppError::invalid(
            field,
            format!("{field} has more than 2 decimal places: {raw}"),
        ));
    }
    YuanPerM2::positive(field, d).map_err(|e| AppError::invalid(field, e.to_string()))
}

fn money(field: &'static str, t: &DecimalText) -> Result<YuanPerM2, AppError> {
    parse_price(field, &serde_json::Value::String(t.0.clone()))
}

impl App {
    /// Appends a history entry for a record that does not move the instance (a document, a
    /// valuation, …) and bumps the version, so a concurrent action on stale facts gets 409.
    pub(crate) async fn record(
        &self,
        tx: &mut Tx,
        inst: &InstanceRow,
        actor: &User,
        action: &str,
        comment: Option<&str>,
        payload: serde_json::Value,
    ) -> Result<i64, AppError> {
        let now = self.now();
        if !instances::advance(tx, inst.id, inst.version, &inst.state, false, None, now).await? {
            return Err(AppError::Conflict {
                code: "stale_version",
                message: "the instance changed meanwhile; reload and retry".into(),
            });
        }
        let h = NewHistory {
            instance_id: inst.id,
            version: inst.version + 1,
            at: now,
            actor_id: actor.id,
            actor_name: &actor.name,
            role: actor.role.key(),
            action,
            from_state: Some(&inst.state),
            to_state: &inst.state,
            comment,
            payload: &payload,
            def_hash: &inst.def_hash,
        };
        Ok(instances::append_history(tx, &h).await?)
    }

    pub(crate) async fn start_instance(
        &self,
        tx: &mut Tx,
        kind: &str,
        def: &WorkflowDef,
        actor: &User,
        payload: serde_json::Value,
    ) -> Result<i64, AppError> {
        let now = self.now();
        let deadline = engine::deadline_on_entry(def, &def.start, self.today(), &self.calendar())?;
        let id = instances::create(
            tx,
            kind,
            &def.key,
            &def.hash,
            &def.start,
            deadline.as_ref(),
            now,
        )
        .await?;
        let h = NewHistory {
            instance_id: id,
            version: 1,
            at: now,
            actor_id: actor.id,
            actor_name: &actor.name,
            role: actor.role.key(),
            action: "create",
            from_state: None,
            to_state: &def.start,
            comment: None,
            payload: &payload,
            def_hash: &def.hash,
        };
        instances::append_history(tx, &h).await?;
        Ok(id)
    }

    pub(crate) async fn instance_of(
        &self,
        tx: &mut Tx,
        id: i64,
        kind: &str,
    ) -> Result<InstanceRow, AppError> {
        match instances::get(tx, id).await? {
            Some(i) if i.kind == kind => Ok(i),
            _ => Err(AppError::NotFound(format!("{kind} {id}"))),
        }
    }

    pub(crate) async fn require_capability(
        &self,
        tx: &mut Tx,
        inst: &InstanceRow,
        cap: Capability,
    ) -> Result<Arc<WorkflowDef>, AppError> {
        let def = self.def_by_hash(tx, &inst.def_hash).await?;
        let st = def
            .state(&inst.state)
            .ok_or_else(|| AppError::Internal(format!("state {} not in definition", inst.state)))?;
        if !st.allows(cap) {
            return Err(AppError::Conflict {
                code: "wrong_state",
                message: format!(
                    "{} cannot be added while the {} is in state {:?} ({})",
                    cap.name(),
                    inst.kind,
                    st.name,
                    st.label
                ),
            });
        }
        Ok(def)
    }

    // ---------------- rounds ----------------

    pub async fn create_round(
        &self,
        actor: &User,
        idem: Option<&Idem>,
        input: NewRound,
    ) -> Result<(u16, InstanceView), AppError> {
        require_role(actor, &[Role::HousingBureau], "open an acquisition round")?;
        let pack = self.pack(&input.pack)?;
        let def = self.current_def(&format!("{}/round", pack.key))?;
        let actor2 = actor.clone();
        self.command(actor, idem, 201, move |app, tx| {
            boxed(async move {
                let id = app
                    .start_instance(
                        tx,
                        "round",
                        &def,
                        &actor2,
                        serde_json::to_value(&input).unwrap_or_default(),
                    )
                    .await?;
                db::insert_round(tx, id, &input.pack, &input.name, actor2.id).await?;
                app.instance_view_tx(tx, &actor2, id).await
            })
        })
        .await
    }

    /// HS-A7.1: survey returns from townships, the development zone and county units.
    pub async fn add_survey_returns(
        &self,
        actor: &User,
        idem: Option<&Idem>,
        round_id: i64,
        rows: Vec<SurveyReturn>,
    ) -> Result<(u16, InstanceView), AppError> {
        require_role(actor, &[Role::HousingBureau], "enter demand survey returns")?;
        if rows.is_empty() {
            return Err(AppError::invalid("returns", "no survey returns given"));
        }
        if rows.len() > MAX_SURVEY_RETURNS {
            return Err(AppError::invalid(
                "returns",
                format!("at most {MAX_SURVEY_RETURNS} returns at once"),
            ));
        }
        // Issue 15: every text kept in the round's record is bounded and one line.
        use crate::domain::text::NAME_MAX;
        for (i, r) in rows.iter().enumerate() {
            one_line(&format!("returns[{i}].respondent"), &r.respondent, NAME_MAX)?;
            one_line(
                &format!("returns[{i}].household_type"),
                &r.household_type,
                NAME_MAX,
            )?;
            if !r.location.is_empty() {
                one_line(&format!("returns[{i}].location"), &r.location, NAME_MAX)?;
            }
        }
        let actor2 = actor.clone();
        self.command(actor, idem, 201, move |app, tx| {
            boxed(async move {
                let inst = app.instance_of(tx, round_id, "round").await?;
                let def = app
                    .require_capability(tx, &inst, Capability::SurveyReturns)
                    .await?;
                for (i, r) in rows.iter().enumerate() {
                    if !def.pack.demand_bands.iter().any(|b| b.key == r.band) {
                        return Err(AppError::invalid(
                            &format!("returns[{i}].band"),
                            format!(
                                "unknown band {:?}; bands of {}: {}",
                                r.band,
                                def.pack.name,
                                def.pack
                                    .demand_bands
                                    .iter()
                                    .map(|b| b.key.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        ));
                    }
                    if r.units == 0 {
                        return Err(AppError::invalid(
                            &format!("returns[{i}].units"),
                            "units must be at least 1",
                        ));
                    }
                    if r.respondent.trim().is_empty() {
                        return Err(AppError::invalid(
                            &format!("returns[{i}].respondent"),
                            "respondent is required",
                        ));
                    }
                }
                db::insert_survey_returns(tx, round_id, &rows, actor2.id, app.now()).await?;
                let total: u64 = rows.iter().map(|r| u64::from(r.units)).sum();
                app.record(
                    tx,
                    &inst,
                    &actor2,
                    "record_survey_returns",
                    None,
                    serde_json::json!({ "rule": def.pack.demand_rule.as_deref().unwrap_or("HS-A7.1"), "returns": rows.len(), "units": total }),
                )
                .await?;
                app.instance_view_tx(tx, &actor2, round_id).await
            })
        })
        .await
    }

    /// Whether `actor` may send survey returns to this round now: checked before a byte of an
    /// uploaded sheet is read.
    pub async fn admit_survey_returns(&self, actor: &User, round_id: i64) -> Result<(), AppError> {
        require_role(actor, &[Role::HousingBureau], "enter demand survey returns")?;
        let mut tx = self.store.read().await?;
        let inst = self.instance_of(&mut tx, round_id, "round").await?;
        self.require_capability(&mut tx, &inst, Capability::SurveyReturns)
            .await?;
        Ok(())
    }

    /// HS-A7.1 by upload: the same as [`App::add_survey_returns`], from an xlsx file, parsed
    /// only once the caller and the round are admitted.
    pub async fn import_survey_returns(
        &self,
        actor: &User,
        idem: Option<&Idem>,
        round_id: i64,
        bytes: Vec<u8>,
    ) -> Result<(u16, InstanceView), AppError> {
        self.admit_survey_returns(actor, round_id).await?;
        let pack_key = {
            let mut tx = self.store.read().await?;
            db::round(&mut tx, round_id)
                .await?
                .ok_or_else(|| AppError::NotFound(format!("round {round_id}")))?
                .pack
        };
        let bands = self.pack(&pack_key)?.demand_bands.clone();
        let rows = self
            .parse(move || crate::excel::survey::parse_survey_returns(&bytes, &bands))
            .await?
            .map_err(AppError::Workbook)?;
        self.add_survey_returns(actor, idem, round_id, rows).await
    }

    // ---------------- listings ----------------

    /// HS-A7.2: a developer answers the round's public call with a listing.
    pub async fn create_listing(
        &self,
        actor: &User,
        idem: Option<&Idem>,
        round_id: i64,
        input: NewListing,
    ) -> Result<(u16, InstanceView), AppError> {
        require_role(actor, &[Role::Developer], "submit a listing")?;
        let org = actor.org.clone().ok_or_else(|| {
            AppError::Forbidden("a developer account must belong to a company (org)".into())
        })?;
        if input.construction_state == ConstructionState::UnderConstruction
            && input.delivery_date.is_none()
        {
            // HS-A4(1) asks for a fixed delivery date; the review reports it, but say so early.
            tracing::debug!("listing under construction without delivery date");
        }
        let actor2 = actor.clone();
        self.command(actor, idem, 201, move |app, tx| {
            boxed(async move {
                let round = app.instance_of(tx, round_id, "round").await?;
                app.require_capability(tx, &round, Capability::Listings)
                    .await?;
                let pack = db::round(tx, round_id)
                    .await?
                    .ok_or_else(|| AppError::NotFound(format!("round {round_id}")))?
                    .pack;
                let def = app.current_def(&format!("{pack}/listing"))?;
                let id = app
                    .start_instance(
                        tx,
                        "listing",
                        &def,
                        &actor2,
                        serde_json::to_value(&input).unwrap_or_default(),
                    )
                    .await?;
                let row = ListingRow {
                    instance_id: id,
                    round_id,
                    developer_org: org.clone(),
                    created_by: actor2.id,
                    project_name: input.project_name.clone(),
                    address: input.address.clone(),
                    construction_state: crate::util::enum_key(&input.construction_state),
                    topped_out: input.topped_out,
                    delivery_date: input.delivery_date,
                    offer_scope: crate::util::enum_key(&input.offer_scope),
                    decoration: input.decoration.clone(),
                    in_delivery_campaign: input.in_delivery_campaign,
                };
                db::insert_listing(tx, &row).await?;
                app.instance_view_tx(tx, &actor2, id).await
            })
        })
        .await
    }

    /// Whether `actor` may upload to this listing now: the listing exists and is the caller's to
    /// see, and the caller's role uploads some kind of document; given the kind, also that the
    /// kind's roles include the caller's, that a developer's materials change only while the
    /// state allows documents, and that a closed listing takes nothing. Checked before a byte of
    /// the file is read, and again in the command's transaction.
    pub async fn admit_upload(
        &self,
        actor: &User,
        listing_id: i64,
        kind: Option<&str>,
    ) -> Result<(), AppError> {
        let mut tx = self.store.read().await?;
        self.check_upload(&mut tx, actor, listing_id, kind).await?;
        Ok(())
    }

    async fn check_upload(
        &self,
        tx: &mut Tx,
        actor: &User,
        listing_id: i64,
        kind: Option<&str>,
    ) -> Result<InstanceRow, AppError> {
        let inst = self.instance_of(tx, listing_id, "listing").await?;
        let listing = db::listing(tx, listing_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("listing {listing_id}")))?;
        ensure_listing_scope(actor, &listing)?;
        let def = self.def_by_hash(tx, &inst.def_hash).await?;
        if let Some(kind) = kind {
            let dk = def.pack.documents.get(kind).ok_or_else(|| {
                AppError::invalid(
                    "kind",
                    format!(
                        "unknown document kind {kind:?}; known: {}",
                        def.pack
                            .documents
                            .keys()
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })?;
            require_role(
                actor,
                &dk.roles,
                &format!("upload a document of kind {kind:?}"),
            )?;
        } else if !def
            .pack
            .documents
            .values()
            .any(|d| d.roles.contains(&actor.role))
        {
            return Err(AppError::Forbidden(format!(
                "role {} uploads no documents",
                actor.role
            )));
        } else {
            // The state checks follow the kind's, as the command orders them.
            return Ok(inst);
        }
        // The developer's own materials change only while the listing is open for them.
        if actor.role == Role::Developer {
            self.require_capability(tx, &inst, Capability::Documents)
                .await?;
        }
        if def.is_end(&inst.state) {
            return Err(AppError::Conflict {
                code: "wrong_state",
                message: format!("listing {listing_id} is closed ({})", inst.state),
            });
        }
        Ok(inst)
    }

    /// HS-A8: a document of a listing, stored with its size and SHA-256. A unit list (楼盘表) is
    /// parsed (after the caller is admitted) and imported in the same transaction; a workbook
    /// with any problem saves nothing.
    #[allow(clippy::too_many_arguments)]
    pub async fn upload_document(
        &self,
        actor: &User,
        idem: Option<&Idem>,
        listing_id: i64,
        kind: &str,
        file_name: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> Result<(u16, UploadResult), AppError> {
        if bytes.is_empty() {
            return Err(AppError::invalid("file", "the file is empty"));
        }
        self.admit_upload(actor, listing_id, Some(kind)).await?;
        let (units, bytes) = if kind == "unit_list" {
            let (units, bytes) = self
                .parse(move || (crate::excel::unit_list::parse_unit_list(&bytes), bytes))
                .await?;
            (Some(units.map_err(AppError::Workbook)?), bytes)
        } else {
            (None, bytes)
        };
        let actor2 = actor.clone();
        let (kind, file_name, content_type) = (
            kind.to_string(),
            file_name.to_string(),
            content_type.to_string(),
        );
        self.command(actor, idem, 201, move |app, tx| boxed(async move {
                let inst = app.check_upload(tx, &actor2, listing_id, Some(&kind)).await?;
                let doc = db::insert_document(tx, listing_id, &kind, &file_name, &content_type, &bytes, actor2.id, app.now()).await?;
                let count = match &units {
                    Some(u) => {
                        db::insert_unit_list(tx, listing_id, doc.id, u, actor2.id, app.now()).await?;
                        Some(u.len())
                    }
                    None => None,
                };
                app.record(
                    tx,
                    &inst,
                    &actor2,
                    "upload_document",
                    None,
                    serde_json::json!({ "rule": "HS-A8", "document_id": doc.id, "kind": kind, "file_name": file_name, "size_bytes": doc.size_bytes, "sha256": doc.sha256, "units": count }),
                )
                .await?;
                Ok(UploadResult { document: doc, units: count })
        }))
        .await
    }

    // ---------------- actions ----------------

    /// Takes a workflow action: checks role, version, state and guards in the engine, then
    /// writes the new state, the history entry and the action's effect, in one transaction.
    ///
    /// On PostgreSQL, without an `Idempotency-Key`, an action whose only write is the state move
    /// with its history entry runs on an autocommit connection: its reads, then that one
    /// statement (one transaction by itself, with the same optimistic version check). Two round
    /// trips fewer than `BEGIN … COMMIT`; under READ COMMITTED the reads see the same data. An
    /// action with an effect (more rows to write) goes the transactional way.
    pub async fn act(
        &self,
        actor: &User,
        idem: Option<&Idem>,
        instance_id: i64,
        action: &str,
        req: ActionRequest,
    ) -> Result<(u16, InstanceView), AppError> {
        // Issue 15: what an action writes into the append-only history is bounded.
        if let Some(c) = req.comment.as_deref().filter(|c| !c.trim().is_empty()) {
            many_lines("comment", c, crate::domain::text::NOTE_MAX)?;
        }
        let payload_bytes = serde_json::to_string(&req.payload).map_or(0, |s| s.len());
        if payload_bytes > ACTION_PAYLOAD_MAX_BYTES {
            return Err(AppError::invalid(
                "payload",
                format!(
                    "at most {ACTION_PAYLOAD_MAX_BYTES} bytes of action data, got {payload_bytes}"
                ),
            ));
        }
        if idem.is_none()
            && let Some(mut tx) = self.store.autocommit().await?
            && let Some(view) = self
                .act_in(&mut tx, actor, instance_id, action, &req)
                .await?
        {
            return Ok((200, view));
        }
        let actor2 = actor.clone();
        let action = action.to_string();
        self.command(actor, idem, 200, move |app, tx| {
            boxed(async move {
                let view = app.act_in(tx, &actor2, instance_id, &action, &req).await?;
                view.ok_or_else(|| {
                    AppError::Internal("an action in a transaction always completes".into())
                })
            })
        })
        .await
    }

    /// The action itself, on `tx`. `None`: `tx` is an autocommit connection and the action
    /// writes more than one statement, so it must be retried in a transaction (nothing written).
    pub(crate) async fn act_in(
        &self,
        tx: &mut Tx,
        actor: &User,
        instance_id: i64,
        action: &str,
        req: &ActionRequest,
    ) -> Result<Option<InstanceView>, AppError> {
        let app = self;

        let (inst, org, documents_present) = instances::get_with_org(tx, instance_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("instance {instance_id}")))?;
        // A developer acts only on its company's listings (404, as if absent, otherwise).
        if inst.kind == "listing"
            && !actor.role.sees_all_listings()
            && (actor.org.is_none() || actor.org != org)
        {
            return Err(AppError::NotFound(format!("listing {instance_id}")));
        }
        let def = app.def_by_hash(tx, &inst.def_hash).await?;
        let effect = def.action(action).and_then(|a| a.effect);
        // A sale's actions write beside the move (a tier opened on announcement): never the
        // one-statement fast path.
        if (effect.is_some() || inst.kind == "sale") && tx.is_autocommit() {
            return Ok(None);
        }
        // The full listing row is read only for an effect that writes a listing record.
        let listing = if inst.kind == "listing" && effect.is_some() {
            Some(
                db::listing(tx, instance_id)
                    .await?
                    .ok_or_else(|| AppError::NotFound(format!("listing {instance_id}")))?,
            )
        } else {
            None
        };
        let mut needs = engine::needs(&def, action);
        // The listing's document kinds came with the instance.
        needs.remove(&crate::workflow::guards::Need::Documents);
        let mut facts = facts::load(app, tx, &def, &inst, &needs).await?;
        facts.documents_present = documents_present;
        // HS-A4.1 / HS-A4.2: the reviewer's findings come with the action that decides the review.
        if let Some(l) = facts.listing.as_mut() {
            l.findings = Some(match req.payload.get("findings") {
                None | Some(serde_json::Value::Null) => Default::default(),
                Some(v) => serde_json::from_value(v.clone())
                    .map_err(|e| AppError::invalid("payload.findings", format!("findings: {e}")))?,
            });
        }
        let today = app.today();
        facts.today = Some(today);
        facts.comment = req.comment.clone();
        facts.agreed_price_per_m2 = match req.payload.get("price_per_m2") {
            Some(v) => Some(parse_price("payload.price_per_m2", v)?),
            // HS-P6: the leading group decides on the agreed price unless it names another.
            None if effect == Some(Effect::FinalPrice) => db::prices(tx, instance_id)
                .await?
                .into_iter()
                .rev()
                .find(|p| p.kind == "agreed")
                .map(|p| YuanPerM2::from_fen(p.price_per_m2_fen)),
            None => None,
        };
        let state = InstanceState {
            state: inst.state.clone(),
            version: inst.version,
            deadline_due: inst.deadline_due,
        };
        let cmd = Command {
            action,
            role: actor.role,
            expected_version: req.expected_version,
            today,
        };
        let decision = engine::decide(&def, &state, &cmd, &facts, &app.calendar())?;
        let entered = decision.to != decision.from;
        let now = app.now();
        let deadline = if entered {
            decision.deadline.clone()
        } else {
            inst.deadline_name.clone().zip(inst.deadline_due)
        };
        let mut payload = serde_json::json!({
            "request": req.payload,
            "rule": decision.rule,
            "guards_passed": decision.guards_passed,
            "deadline": decision.deadline.as_ref().map(|(n, d)| serde_json::json!({ "name": n, "due": d })),
            "price_per_m2": facts.agreed_price_per_m2,
        });
        // The approval names the plan it approves (HS-A7.4), by id and content hash.
        if let Some(p) = &facts.plan {
            payload["plan"] =
                serde_json::json!({ "id": p.id, "sha256": p.sha256, "by_band": p.by_band });
        }
        let h = NewHistory {
            instance_id,
            version: req.expected_version + 1,
            at: now,
            actor_id: actor.id,
            actor_name: &actor.name,
            role: actor.role.key(),
            action: &decision.action,
            from_state: Some(&decision.from),
            to_state: &decision.to,
            comment: req.comment.as_deref(),
            payload: &payload,
            def_hash: &inst.def_hash,
        };
        // The new row is known: answer from it rather than reading it back.
        let after = InstanceRow {
            state: decision.to.clone(),
            version: req.expected_version + 1,
            entered_at: if entered { now } else { inst.entered_at },
            deadline_name: deadline.as_ref().map(|d| d.0.clone()),
            deadline_due: deadline.as_ref().map(|d| d.1),
            ..inst.clone()
        };
        // On PostgreSQL's autocommit path the write below commits at once, so the answer is
        // built first: a read failing here must leave the action undone, not done and
        // unanswered. (Its reads cannot see the write: it has no effect, and the move itself
        // is in `after`.) In a transaction an effect may change what comes next, so the answer
        // is built after it.
        let early_view = if tx.is_autocommit() {
            Some(app.view_for(tx, actor, &after, &def).await?)
        } else {
            None
        };
        let Some(history_id) = instances::advance_with_history(
            tx,
            req.expected_version,
            if entered { now } else { inst.entered_at },
            deadline.as_ref(),
            &h,
        )
        .await?
        else {
            return Err(AppError::Conflict {
                code: "stale_version",
                message: format!("instance {instance_id} changed meanwhile; reload and retry"),
            });
        };
        match (effect, listing.as_ref()) {
            (Some(effect), Some(listing)) => {
                app.apply_effect(
                    tx,
                    effect,
                    listing,
                    actor,
                    req,
                    facts.agreed_price_per_m2,
                    history_id,
                )
                .await?
            }
            (Some(effect), None) if inst.kind == "application" => {
                app.apply_application_effect(tx, effect, instance_id, actor, req)
                    .await?
            }
            (Some(effect), None) => {
                return Err(AppError::Internal(format!(
                    "effect {} on a {}",
                    effect.name(),
                    inst.kind
                )));
            }
            (None, _) => {}
        }
        // YQ-16: a sale whose plan is approved opens its first tier for registration.
        if inst.kind == "sale"
            && def
                .state(&decision.to)
                .is_some_and(|s| s.allows(Capability::Registrations))
        {
            app.on_sale_announced(tx, instance_id, actor).await?;
        }
        match early_view {
            Some(view) => Ok(Some(view)),
            None => app.view_for(tx, actor, &after, &def).await.map(Some),
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn apply_effect(
        &self,
        tx: &mut Tx,
        effect: Effect,
        listing: &ListingRow,
        actor: &User,
        req: &ActionRequest,
        price: Option<YuanPerM2>,
        history_id: i64,
    ) -> Result<(), AppError> {
        let now = self.now();
        let id = listing.instance_id;
        match effect {
            Effect::TitleSignoff => {
                let clear = req
                    .payload
                    .get("clear")
                    .and_then(|v| v.as_bool())
                    .ok_or_else(|| {
                        AppError::invalid(
                            "payload.clear",
                            "say whether the title is clear: true or false",
                        )
                    })?;
                db::insert_title_signoff(tx, id, clear, req.comment.as_deref(), actor.id, now)
                    .await?;
            }
            Effect::Objection => {
                db::insert_objection(
                    tx,
                    id,
                    req.comment.as_deref().unwrap_or_default(),
                    actor.id,
                    now,
                )
                .await?;
            }
            Effect::ResolveObjections => {
                let n = db::resolve_open_objections(
                    tx,
                    id,
                    req.comment.as_deref().unwrap_or_default(),
                    actor.id,
                    now,
                )
                .await?;
                if n == 0 {
                    return Err(AppError::Conflict {
                        code: "nothing_to_resolve",
                        message: "there is no open objection".into(),
                    });
                }
            }
            Effect::AgreedPrice | Effect::FinalPrice => {
                let price = price.ok_or_else(|| {
                    AppError::invalid("payload.price_per_m2", "price_per_m2 is required")
                })?;
                // The ceiling in force, where the pack's text sets one (Xingyi's sets none).
                let v = db::latest_valuation(tx, id).await?;
                let area = db::current_gross_area_centi(tx, id).await?;
                if area <= 0 {
                    return Err(AppError::Rule {
                        code: "no_units",
                        rule: "HS-A8".into(),
                        message: "the listing has no unit list".into(),
                    });
                }
                // Total = agreed rate × Σ gross area, rounded half-up to the fen once (final amount).
                let total = price.times_area(AreaM2::from_centi(area)).round_fen();
                db::insert_price(
                    tx,
                    &db::PriceRow {
                        id: 0,
                        listing_id: id,
                        kind: if effect == Effect::AgreedPrice {
                            "agreed".into()
                        } else {
                            "final".into()
                        },
                        price_per_m2_fen: price.to_fen().map_err(|e| {
                            AppError::invalid("payload.price_per_m2", e.to_string())
                        })?,
                        total_fen: total
                            .to_fen()
                            .map_err(|e| AppError::Internal(e.to_string()))?,
                        ceiling_per_m2_fen: v.as_ref().map(|v| v.ceiling_per_m2_fen),
                        valuation_id: v.as_ref().map(|v| v.id),
                        history_id,
                        recorded_by: actor.id,
                        recorded_at: now,
                    },
                )
                .await?;
            }
        }
        Ok(())
    }

    /// An application's effects: an objection during publicity, their resolution.
    async fn apply_application_effect(
        &self,
        tx: &mut Tx,
        effect: Effect,
        id: i64,
        actor: &User,
        req: &ActionRequest,
    ) -> Result<(), AppError> {
        let comment = req.comment.as_deref().unwrap_or_default();
        match effect {
            Effect::Objection => {
                crate::store::allocation::insert_objection(tx, id, comment, actor.id, self.now())
                    .await?
            }
            Effect::ResolveObjections => {
                let n = crate::store::allocation::resolve_objections(
                    tx,
                    id,
                    comment,
                    actor.id,
                    self.now(),
                )
                .await?;
                if n == 0 {
                    return Err(AppError::Conflict {
                        code: "nothing_to_resolve",
                        message: "there is no open objection".into(),
                    });
                }
            }
            other => {
                return Err(AppError::Internal(format!(
                    "effect {} on an application",
                    other.name()
                )));
            }
        }
        Ok(())
    }

    // ---------------- valuation ----------------

    /// HS-A7.4 / HS-P5: an appraiser's valuation report; the ceiling is computed and stored with it.
    pub async fn record_valuation(
        &self,
        actor: &User,
        idem: Option<&Idem>,
        listing_id: i64,
        input: ValuationInput,
    ) -> Result<(u16, ValuationView), AppError> {
        require_role(actor, &[Role::Appraiser], "record a valuation")?;
        let land = money("land_per_m2", &input.land_per_m2)?;
        let construction = money("construction_per_m2", &input.construction_per_m2)?;
        let market_price = money("market_price_per_m2", &input.market_price_per_m2)?;
        let market_rent = money("market_rent_per_m2", &input.market_rent_per_m2)?;
        let rate_d = parse_decimal("profit_rate", &input.profit_rate.0)
            .map_err(|e| AppError::invalid("profit_rate", e.to_string()))?;
        let rate = Rate::new("profit_rate", rate_d)
            .map_err(|e| AppError::invalid("profit_rate", e.to_string()))?;
        let actor2 = actor.clone();
        self.command(actor, idem, 201, move |app, tx| {
            boxed(async move {
                let inst = app.instance_of(tx, listing_id, "listing").await?;
                let def = app
                    .require_capability(tx, &inst, Capability::Valuation)
                    .await?;
                // The report file must already be on the listing, uploaded as a valuation report.
                let doc = db::documents(tx, listing_id)
                    .await?
                    .into_iter()
                    .find(|d| d.id == input.report_document_id)
                    .ok_or_else(|| {
                        AppError::invalid(
                            "report_document_id",
                            format!(
                                "document {} is not on listing {listing_id}",
                                input.report_document_id
                            ),
                        )
                    })?;
                if doc.kind != "valuation_report" {
                    return Err(AppError::invalid(
                        "report_document_id",
                        format!(
                            "document {} is a {:?}, not a valuation report",
                            doc.id, doc.kind
                        ),
                    ));
                }
                // HS-P5 / YQ-7.3 / NC-20: the ceiling rule is the pack's current one.
                let cp = app
                    .pack(&def.pack.key)?
                    .pricing()
                    .ceiling
                    .clone()
                    .ok_or_else(|| super::pricing::not_in_pack(&def.pack.key, "HS-P5", "an acquisition ceiling"))?;
                let cap = Rate::new("profit_rate_cap", cp.profit_rate_cap)
                    .map_err(|e| AppError::Internal(e.to_string()))?;
                // NC-20: the cost comes from the final accounts of a new build, otherwise from an
                // appraisal after a project risk assessment; the evidence is on the listing.
                if cp.cost_basis_required {
                    let (basis, kind) = match input.cost_basis {
                        Some(CostBasis::FinalAccounts) => ("final_accounts", "final_accounts"),
                        Some(CostBasis::Appraisal) => ("appraisal", "risk_assessment"),
                        None => {
                            return Err(AppError::Rule {
                                code: "cost_basis_required",
                                rule: cp.rule.clone(),
                                message: "say how the construction cost was fixed: final_accounts (工程决算) or appraisal (after a risk assessment)".into(),
                            });
                        }
                    };
                    if !db::documents(tx, listing_id).await?.iter().any(|d| d.kind == kind) {
                        return Err(AppError::Rule {
                            code: "cost_basis_missing",
                            rule: cp.rule.clone(),
                            message: format!(
                                "a cost fixed by {basis} needs the {} on the listing",
                                def.pack.document_label(kind)
                            ),
                        });
                    }
                }
                let ceiling = crate::domain::pricing::replacement_price(
                    &crate::domain::pricing::CeilingInput {
                        land_per_m2: land,
                        construction_per_m2: construction,
                        profit_rate: rate,
                    },
                    cap,
                )
                .map_err(|e| AppError::Rule {
                    code: "profit_rate_above_cap",
                    rule: cp.rule.clone(),
                    message: e.to_string(),
                })?;
                let row = db::ValuationRow {
                    id: 0,
                    listing_id,
                    land_per_m2_fen: land
                        .to_fen()
                        .map_err(|e| AppError::invalid("land_per_m2", e.to_string()))?,
                    construction_per_m2_fen: construction
                        .to_fen()
                        .map_err(|e| AppError::invalid("construction_per_m2", e.to_string()))?,
                    profit_rate: rate.value().normalize().to_string(),
                    ceiling_per_m2_fen: ceiling
                        .ceiling_per_m2
                        .to_fen()
                        .map_err(|e| AppError::Internal(e.to_string()))?,
                    market_price_per_m2_fen: market_price
                        .to_fen()
                        .map_err(|e| AppError::invalid("market_price_per_m2", e.to_string()))?,
                    market_rent_per_m2_fen: market_rent
                        .to_fen()
                        .map_err(|e| AppError::invalid("market_rent_per_m2", e.to_string()))?,
                    appraiser_org: input.appraiser_org.clone(),
                    report_date: input.report_date,
                    document_id: Some(doc.id),
                    recorded_by: actor2.id,
                    recorded_at: app.now(),
                    ceiling_rule: Some(cp.rule.clone()),
                    cost_basis: input.cost_basis.map(|b| crate::util::enum_key(&b)),
                };
                let id = db::insert_valuation(tx, &row).await?;
                let view = app
                    .valuation_view(tx, &db::ValuationRow { id, ..row })
                    .await?;
                app.record(
                    tx,
                    &inst,
                    &actor2,
                    "record_valuation",
                    None,
                    serde_json::json!({ "rule": cp.rule, "valuation": view }),
                )
                .await?;
                Ok(view)
            })
        })
        .await
    }

    pub(crate) async fn valuation_view(
        &self,
        tx: &mut Tx,
        v: &db::ValuationRow,
    ) -> Result<ValuationView, AppError> {
        let units = db::current_units(tx, v.listing_id).await?;
        let rate = YuanPerM2::from_fen(v.ceiling_per_m2_fen);
        let mut total = Yuan::ZERO;
        for u in &units {
            let unit = crate::domain::pricing::unit_ceiling(rate, u.gross_area_m2);
            total = total
                .checked_add(unit)
                .ok_or_else(|| AppError::Internal("ceiling total overflow".into()))?;
        }
        let report_file_name = match v.document_id {
            Some(d) => db::documents(tx, v.listing_id)
                .await?
                .into_iter()
                .find(|x| x.id == d)
                .map(|x| x.file_name),
            None => None,
        };
        let latest = db::latest_valuation(tx, v.listing_id).await?.map(|l| l.id);
        Ok(ValuationView {
            report_document_id: v.document_id,
            report_file_name,
            recorded_by: crate::store::users::name_of(tx, v.recorded_by).await?,
            recorded_at: v.recorded_at,
            superseded: latest.is_some_and(|l| l > v.id),
            id: v.id,
            listing_id: v.listing_id,
            land_per_m2: Yuan::from_fen(v.land_per_m2_fen),
            construction_per_m2: Yuan::from_fen(v.construction_per_m2_fen),
            profit_rate: v.profit_rate.clone(),
            ceiling_per_m2: Yuan::from_fen(v.ceiling_per_m2_fen),
            ceiling_total: total,
            market_price_per_m2: Yuan::from_fen(v.market_price_per_m2_fen),
            market_rent_per_m2: Yuan::from_fen(v.market_rent_per_m2_fen),
            appraiser_org: v.appraiser_org.clone(),
            report_date: v.report_date,
            rules: vec![v.ceiling_rule.clone().unwrap_or_else(|| "HS-P5".into())],
            cost_basis: v.cost_basis.clone(),
        })
    }

    // ---------------- exceptions ----------------

    /// An "in principle" (原则上) limit may be passed only by a recorded exception: who asked,
    /// why, and the leading group's approval. Mortgage/seizure can never be waived (HS-A4(5)).
    pub async fn request_exception(
        &self,
        actor: &User,
        idem: Option<&Idem>,
        listing_id: i64,
        req: ExceptionRequest,
    ) -> Result<(u16, ExceptionRow), AppError> {
        let Some(w) = crate::domain::exceptions::waivable(&req.check_id) else {
            return Err(AppError::Rule {
                code: "not_waivable",
                rule: "HS-A4".into(),
                message: format!(
                    "{:?} is not an \"in principle\" limit and cannot be passed by exception; waivable: {}",
                    req.check_id,
                    crate::domain::exceptions::WAIVABLE
                        .iter()
                        .map(|w| w.check_id)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        };
        // Review limits are waived while the listing is reviewed; pricing limits concern the
        // bought units, so they are asked for once the listing is acquired (the workflow file
        // says which states allow which).
        let capability = match w.stage {
            crate::domain::exceptions::Stage::Review => Capability::Exceptions,
            crate::domain::exceptions::Stage::Pricing => Capability::PriceExceptions,
        };
        let actor2 = actor.clone();
        self.command(actor, idem, 201, move |app, tx| boxed(async move {
                let inst = app.instance_of(tx, listing_id, "listing").await?;
                let def = app.require_capability(tx, &inst, capability).await?;
                require_role(&actor2, &def.pack.exceptions.requested_by, "request a policy exception")?;
                // A review limit the pack's own policy sets cites that policy (e.g. YQ-7.2).
                let rule = match w.stage {
                    crate::domain::exceptions::Stage::Review => def.pack.review.rules.get(&req.check_id).map_or(w.rule, String::as_str),
                    crate::domain::exceptions::Stage::Pricing => w.rule,
                };
                let l = db::listing(tx, listing_id).await?.ok_or_else(|| AppError::NotFound(format!("listing {listing_id}")))?;
                let id = db::insert_exception(tx, l.round_id, Some(listing_id), rule, &req.check_id, &req.reason, actor2.id, app.now()).await?;
                app.record(tx, &inst, &actor2, "request_exception", Some(&req.reason), serde_json::json!({ "rule": rule, "exception_id": id, "check_id": req.check_id })).await?;
                db::exception(tx, id).await?.ok_or_else(|| AppError::Internal("exception vanished".into()))
        }))
        .await
    }

    pub async fn decide_exception(
        &self,
        actor: &User,
        idem: Option<&Idem>,
        exception_id: i64,
        d: ExceptionDecision,
    ) -> Result<(u16, ExceptionRow), AppError> {
        let actor2 = actor.clone();
        self.command(actor, idem, 200, move |app, tx| boxed(async move {
                let e = db::exception(tx, exception_id).await?.ok_or_else(|| AppError::NotFound(format!("exception {exception_id}")))?;
                // The pack of the exception's round names its approver (HS: the leading group).
                let pack = db::round(tx, e.round_id).await?.ok_or_else(|| AppError::Internal("round vanished".into()))?.pack;
                let rules = &app.pack(&pack)?.exceptions;
                require_role(&actor2, &[rules.approved_by], "decide a policy exception")?;
                if e.approved.is_some() {
                    return Err(AppError::Conflict { code: "already_decided", message: format!("exception {exception_id} was already decided") });
                }
                db::decide_exception(tx, exception_id, d.approved, &d.comment, actor2.id, app.now()).await?;
                if let Some(lid) = e.listing_id {
                    let inst = app.instance_of(tx, lid, "listing").await?;
                    app.record(tx, &inst, &actor2, "decide_exception", Some(&d.comment), serde_json::json!({ "rule": e.rule, "exception_id": exception_id, "approved": d.approved })).await?;
                }
                db::exception(tx, exception_id).await?.ok_or_else(|| AppError::Internal("exception vanished".into()))
        }))
        .await
    }
}
