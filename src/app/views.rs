//! Read models: what a person sees of an instance, a listing, a round, an inbox. Each is read in
//! one snapshot and filtered by the reader's role (a developer sees only its own listings).

use super::facts;
use super::flow::{ValuationView, ensure_listing_scope};
use super::{App, AppError};
use crate::domain::review::ReviewReport;
use crate::domain::role::Role;
use crate::domain::survey::{SurveyReturn, aggregate_by_band};
use crate::domain::unit_list::UnitRow;
use crate::domain::units::Yuan;
use crate::store::instances::{self, HistoryRow, InstanceRow};
use crate::store::listings::{
    self as db, DocumentMeta, ExceptionRow, ListingRow, ObjectionRow, RoundRow,
};
use crate::store::{Tx, users::User};
use crate::workflow::def::WorkflowDef;
use crate::workflow::engine::{self, AvailableAction, InstanceState};
use crate::workflow::guards::{self, Need};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Deadline {
    pub name: String,
    /// Last day of the period (inclusive); actions waiting for it are possible from the next day.
    pub due: NaiveDate,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InstanceView {
    pub id: i64,
    pub kind: String,
    pub workflow: String,
    pub workflow_title: String,
    /// Content hash of the definition this instance runs on.
    pub definition_version: String,
    pub state: String,
    pub state_label: String,
    pub end: bool,
    /// What the current state lets people do besides actions (`documents`, `valuation`,
    /// `offers`, …), from the workflow file; the server still checks roles on each command.
    pub allows: Vec<String>,
    /// Chinese labels of this workflow's states and of every action its history can hold.
    pub labels: Labels,
    pub version: i64,
    pub entered_at: DateTime<Utc>,
    pub deadline: Option<Deadline>,
    /// Actions the caller may take from this state, with what blocks each now.
    #[schema(value_type = Vec<Object>)]
    pub actions: Vec<serde_json::Value>,
    /// The policy pack this instance runs under (its texts' dates and status are the pack's).
    #[serde(default)]
    pub pack: String,
    #[serde(default)]
    pub pack_name: String,
    /// Warnings about the pack's texts today: a draft for comment, a text past its validity.
    #[serde(default)]
    pub pack_warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DocumentStatus {
    pub kind: String,
    pub label: String,
    pub required: bool,
    pub present: bool,
    /// Roles that may upload this kind (the policy pack's `[documents.*] roles`).
    pub roles: Vec<String>,
    pub documents: Vec<DocumentMeta>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PriceView {
    pub kind: String,
    pub price_per_m2: Yuan,
    pub total: Yuan,
    /// The ceiling in force; `None` where the pack's text sets none (Xingyi).
    pub ceiling_per_m2: Option<Yuan>,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ListingView {
    pub instance: InstanceView,
    pub listing: ListingRow,
    pub round_name: String,
    pub pack: String,
    pub documents: Vec<DocumentStatus>,
    pub missing_documents: Vec<String>,
    pub unit_count: usize,
    pub gross_area_m2: String,
    pub units_by_band: BTreeMap<String, u64>,
    #[schema(value_type = Object)]
    pub review: Option<ReviewReport>,
    #[schema(value_type = Object)]
    pub title_signoff: Option<serde_json::Value>,
    pub objections: Vec<ObjectionRow>,
    pub exceptions: Vec<ExceptionRow>,
    #[schema(value_type = Vec<Object>)]
    pub valuations: Vec<ValuationView>,
    pub prices: Vec<PriceView>,
    pub history: Vec<HistoryRow>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BandDemand {
    pub band: String,
    pub label: String,
    pub demand: u64,
    /// Units of listings in states that count against demand (HS-A2).
    pub committed: u64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RoundView {
    pub instance: InstanceView,
    pub round: RoundRow,
    pub pack_name: String,
    pub demand: Vec<BandDemand>,
    pub survey_returns: Vec<SurveyReturn>,
    pub listings: Vec<ListingSummary>,
    pub exceptions: Vec<ExceptionRow>,
    pub history: Vec<HistoryRow>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ListingSummary {
    pub id: i64,
    pub round_id: i64,
    pub project_name: String,
    pub developer_org: String,
    pub state: String,
    pub state_label: String,
    pub version: i64,
    pub deadline: Option<Deadline>,
}

/// How many applications (and sales) an inbox reads, the nearest deadline first.
pub const INBOX_SCAN: i64 = 300;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InboxItem {
    pub id: i64,
    pub kind: String,
    pub title: String,
    pub state_label: String,
    pub deadline: Option<Deadline>,
    pub actions: Vec<String>,
}

impl App {
    pub async fn instance_view(&self, actor: &User, id: i64) -> Result<InstanceView, AppError> {
        let mut tx = self.store.read().await?;
        self.instance_view_tx(&mut tx, actor, id).await
    }

    /// The instance as `actor` sees it, with the actions it may take now and their blockers.
    pub(crate) async fn instance_view_tx(
        &self,
        tx: &mut Tx,
        actor: &User,
        id: i64,
    ) -> Result<InstanceView, AppError> {
        let inst = instances::get(tx, id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("instance {id}")))?;
        if inst.kind == "listing" {
            let l = db::listing(tx, id)
                .await?
                .ok_or_else(|| AppError::NotFound(format!("listing {id}")))?;
            ensure_listing_scope(actor, &l)?;
        }
        // Households' applications and sales are not a developer's business.
        if matches!(inst.kind.as_str(), "application" | "sale") && actor.role == Role::Developer {
            return Err(AppError::NotFound(format!("instance {id}")));
        }
        let def = self.def_by_hash(tx, &inst.def_hash).await?;
        self.view_for(tx, actor, &inst, &def).await
    }

    /// The view of an instance already read (and scope-checked) in this transaction: its
    /// deadlines and the actions `actor` may take now.
    pub(crate) async fn view_for(
        &self,
        tx: &mut Tx,
        actor: &User,
        inst: &InstanceRow,
        def: &WorkflowDef,
    ) -> Result<InstanceView, AppError> {
        let needs: BTreeSet<Need> = def
            .actions
            .iter()
            .filter(|a| a.roles.contains(&actor.role) && a.from.contains(&inst.state))
            .flat_map(|a| a.guards.iter().flat_map(|g| g.kind.needs().iter().copied()))
            .collect();
        let mut f = facts::load(self, tx, def, inst, &needs).await?;
        f.today = Some(self.today());
        let st = InstanceState {
            state: inst.state.clone(),
            version: inst.version,
            deadline_due: inst.deadline_due,
        };
        let actions: Vec<AvailableAction> = engine::available_actions(def, &st, actor.role, &f);
        let mut v = view_of(inst, def, actions);
        // DOMAIN.md §7: a draft text, or one past its validity, is said wherever it is applied.
        v.pack_warnings = def.pack.warnings(self.today());
        Ok(v)
    }

    /// An instance's history as `actor` may read it ([`history_for`]): the same rows its round
    /// or listing view shows.
    pub async fn history(&self, actor: &User, id: i64) -> Result<Vec<HistoryRow>, AppError> {
        let mut tx = self.store.read().await?;
        let v = self.instance_view_tx(&mut tx, actor, id).await?; // scope check
        let rows = instances::history(&mut tx, id).await?;
        Ok(history_for(actor, &v.kind, rows))
    }

    pub async fn listing_view(&self, actor: &User, id: i64) -> Result<ListingView, AppError> {
        let mut tx = self.store.read().await?;
        let instance = self.instance_view_tx(&mut tx, actor, id).await?;
        if instance.kind != "listing" {
            return Err(AppError::NotFound(format!("listing {id}")));
        }
        let tx = &mut tx;
        let listing = db::listing(tx, id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("listing {id}")))?;
        let round = db::round(tx, listing.round_id)
            .await?
            .ok_or_else(|| AppError::Internal("listing without round".into()))?;
        let inst = instances::get(tx, id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("listing {id}")))?;
        let def = self.def_by_hash(tx, &inst.def_hash).await?;
        let docs = db::documents(tx, id).await?;
        let required = def.pack.required_documents();
        let documents: Vec<DocumentStatus> = def
            .pack
            .documents
            .iter()
            .map(|(k, d)| {
                let mine: Vec<DocumentMeta> =
                    docs.iter().filter(|x| &x.kind == k).cloned().collect();
                DocumentStatus {
                    kind: k.clone(),
                    label: d.label.clone(),
                    required: required.contains(k),
                    present: !mine.is_empty(),
                    roles: d.roles.iter().map(|r| r.to_string()).collect(),
                    documents: mine,
                }
            })
            .collect();
        let missing_documents = documents
            .iter()
            .filter(|d| d.required && !d.present)
            .map(|d| d.kind.clone())
            .collect();
        let all: BTreeSet<Need> = [Need::Review].into_iter().collect();
        let f = facts::load(self, tx, &def, &inst, &all).await?;
        let review = guards::review_report(&f);
        let units: &[UnitRow] = &f.units;
        let gross_centi: i64 = units.iter().map(|u| u.gross_area_m2.to_centi()).sum();
        let title_signoff = db::latest_title_signoff(tx, id).await?.map(|(s, by)| {
            let by = if actor.role == Role::Developer {
                Role::NaturalResources.label_zh().to_string()
            } else {
                by
            };
            serde_json::json!({ "clear": s.clear, "comment": s.comment, "by": by, "at": s.signed_at })
        });
        let mut valuations = Vec::new();
        for v in db::valuations(tx, id).await? {
            valuations.push(self.valuation_view(tx, &v).await?);
        }
        let prices = db::prices(tx, id)
            .await?
            .into_iter()
            .map(|p| PriceView {
                kind: p.kind,
                price_per_m2: Yuan::from_fen(p.price_per_m2_fen),
                total: Yuan::from_fen(p.total_fen),
                ceiling_per_m2: p.ceiling_per_m2_fen.map(Yuan::from_fen),
                recorded_at: p.recorded_at,
            })
            .collect();
        Ok(ListingView {
            instance,
            round_name: round.name,
            pack: round.pack,
            documents,
            missing_documents,
            unit_count: units.len(),
            gross_area_m2: Yuan::from_fen(gross_centi).to_string(),
            units_by_band: facts::units_by_band(&def.pack, units),
            review,
            title_signoff,
            objections: db::objections(tx, id).await?,
            exceptions: db::exceptions(tx, None, Some(id)).await?,
            valuations,
            prices,
            history: history_for(actor, "listing", instances::history(tx, id).await?),
            listing,
        })
    }

    pub async fn units(&self, actor: &User, id: i64) -> Result<Vec<UnitRow>, AppError> {
        let mut tx = self.store.read().await?;
        let l = db::listing(&mut tx, id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("listing {id}")))?;
        ensure_listing_scope(actor, &l)?;
        Ok(db::current_units(&mut tx, id).await?)
    }

    pub async fn document(
        &self,
        actor: &User,
        listing_id: i64,
        doc_id: i64,
    ) -> Result<(DocumentMeta, Vec<u8>), AppError> {
        let mut tx = self.store.read().await?;
        let l = db::listing(&mut tx, listing_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("listing {listing_id}")))?;
        ensure_listing_scope(actor, &l)?;
        db::document_content(&mut tx, listing_id, doc_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("document {doc_id}")))
    }

    async fn summaries(
        &self,
        tx: &mut Tx,
        actor: &User,
        round_id: Option<i64>,
    ) -> Result<Vec<ListingSummary>, AppError> {
        let org = if actor.role.sees_all_listings() {
            None
        } else {
            Some(actor.org.clone().unwrap_or_default())
        };
        let mut out = Vec::new();
        for l in db::listings(tx, round_id, org.as_deref()).await? {
            let inst = instances::get(tx, l.instance_id)
                .await?
                .ok_or_else(|| AppError::Internal("listing without instance".into()))?;
            let def = self.def_by_hash(tx, &inst.def_hash).await?;
            out.push(ListingSummary {
                id: l.instance_id,
                round_id: l.round_id,
                project_name: l.project_name,
                developer_org: l.developer_org,
                state_label: def
                    .state(&inst.state)
                    .map(|s| s.label.clone())
                    .unwrap_or_default(),
                state: inst.state,
                version: inst.version,
                deadline: inst
                    .deadline_name
                    .zip(inst.deadline_due)
                    .map(|(name, due)| Deadline { name, due }),
            });
        }
        Ok(out)
    }

    pub async fn listings(
        &self,
        actor: &User,
        round_id: Option<i64>,
    ) -> Result<Vec<ListingSummary>, AppError> {
        let mut tx = self.store.read().await?;
        self.summaries(&mut tx, actor, round_id).await
    }

    pub async fn rounds(&self, actor: &User) -> Result<Vec<InstanceView>, AppError> {
        let mut tx = self.store.read().await?;
        let mut out = Vec::new();
        for r in db::rounds(&mut tx).await? {
            out.push(self.instance_view_tx(&mut tx, actor, r.instance_id).await?);
        }
        Ok(out)
    }

    pub async fn round_view(&self, actor: &User, id: i64) -> Result<RoundView, AppError> {
        let mut tx = self.store.read().await?;
        let instance = self.instance_view_tx(&mut tx, actor, id).await?;
        if instance.kind != "round" {
            return Err(AppError::NotFound(format!("round {id}")));
        }
        let tx = &mut tx;
        let round = db::round(tx, id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("round {id}")))?;
        let pack = self.pack(&round.pack)?.clone();
        let returns = db::survey_returns(tx, id).await?;
        let demand_by = aggregate_by_band(&returns);
        let inst = instances::get(tx, id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("round {id}")))?;
        let def = self.def_by_hash(tx, &inst.def_hash).await?;
        let all: BTreeSet<Need> = [Need::Demand].into_iter().collect();
        let f = facts::load(self, tx, &def, &inst, &all).await?;
        let demand = pack
            .demand_bands
            .iter()
            .map(|b| BandDemand {
                band: b.key.clone(),
                label: b.label.clone(),
                demand: demand_by.get(&b.key).copied().unwrap_or(0),
                committed: f.committed.get(&b.key).copied().unwrap_or(0),
            })
            .collect();
        let listings = self.summaries(tx, actor, Some(id)).await?;
        let officials = actor.role.sees_all_listings();
        Ok(RoundView {
            instance,
            pack_name: pack.name.clone(),
            demand,
            survey_returns: if officials { returns } else { Vec::new() },
            listings,
            exceptions: if officials {
                db::exceptions(tx, Some(id), None).await?
            } else {
                Vec::new()
            },
            history: history_for(actor, "round", instances::history(tx, id).await?),
            round,
        })
    }

    /// What waits for the caller: every open instance it can see where its role has an action.
    pub async fn inbox(&self, actor: &User) -> Result<Vec<InboxItem>, AppError> {
        let mut tx = self.store.read().await?;
        let mut out = Vec::new();
        if actor.role == Role::Supervisor || actor.role == Role::Admin {
            return Ok(out);
        }
        let rounds = db::rounds(&mut tx).await?;
        let ids: Vec<(i64, String)> = rounds
            .iter()
            .map(|r| (r.instance_id, r.name.clone()))
            .chain(
                self.summaries(&mut tx, actor, None)
                    .await?
                    .into_iter()
                    .map(|l| (l.id, l.project_name)),
            )
            .collect();
        for (id, title) in ids {
            let v = self.instance_view_tx(&mut tx, actor, id).await?;
            if v.end || v.actions.is_empty() {
                continue;
            }
            out.push(InboxItem {
                id,
                kind: v.kind.clone(),
                title,
                state_label: v.state_label.clone(),
                deadline: v.deadline.clone(),
                actions: v
                    .actions
                    .iter()
                    .filter_map(|a| a.get("label").and_then(|l| l.as_str()).map(str::to_string))
                    .collect(),
            });
        }
        self.household_inbox(&mut tx, actor, &mut out).await?;
        out.sort_by_key(|i| (i.deadline.is_none(), i.deadline.as_ref().map(|d| d.due)));
        Ok(out)
    }

    /// Applications and sales waiting for the reader (at most [`INBOX_SCAN`] of each kind, the
    /// nearest deadline first), and a verifying department's findings still to record.
    async fn household_inbox(
        &self,
        tx: &mut Tx,
        actor: &User,
        out: &mut Vec<InboxItem>,
    ) -> Result<(), AppError> {
        use Role::*;
        if !matches!(
            actor.role,
            AcceptingUnit
                | Verifier
                | NaturalResources
                | HousingBureau
                | Acquirer
                | Notary
                | Government
                | LeadingGroup
        ) {
            return Ok(());
        }
        for kind in ["application", "sale"] {
            for inst in instances::by_deadline(tx, kind, INBOX_SCAN).await? {
                let v = self.instance_view_tx(tx, actor, inst.id).await?;
                let task = if kind == "application" {
                    self.verification_task(tx, actor, &inst).await?
                } else {
                    None
                };
                if v.end || (v.actions.is_empty() && task.is_none()) {
                    continue;
                }
                let title = match kind {
                    "application" => crate::store::allocation::application(tx, inst.id)
                        .await?
                        .map(|a| format!("配售申请 {}", a.application_no)),
                    _ => crate::store::allocation::sale(tx, inst.id)
                        .await?
                        .map(|s| s.name),
                }
                .unwrap_or_default();
                let mut actions: Vec<String> = v
                    .actions
                    .iter()
                    .filter_map(|a| a.get("label").and_then(|l| l.as_str()).map(str::to_string))
                    .collect();
                actions.extend(task);
                out.push(InboxItem {
                    id: inst.id,
                    kind: kind.into(),
                    title,
                    state_label: v.state_label.clone(),
                    deadline: v.deadline.clone(),
                    actions,
                });
            }
        }
        Ok(())
    }

    /// All exceptions of a round (or of every round) for audit reports.
    pub async fn exceptions_report(
        &self,
        actor: &User,
        round_id: Option<i64>,
    ) -> Result<Vec<ExceptionRow>, AppError> {
        if !actor.role.sees_all_listings() {
            return Err(AppError::Forbidden(
                "developers do not read the exceptions report".into(),
            ));
        }
        let mut tx = self.store.read().await?;
        Ok(db::exceptions(&mut tx, round_id, None).await?)
    }
}

/// The one filter of history for every read path (the history endpoint, the round and listing
/// views and pages). A developer reads nothing of a round's history (its survey totals, budget,
/// plan and officials are the government's), and of its own listing's history every step, with
/// an official named by the office (住房保障部门), not the person: personal data it does not need.
pub fn history_for(actor: &User, kind: &str, rows: Vec<HistoryRow>) -> Vec<HistoryRow> {
    if actor.role != Role::Developer {
        return rows;
    }
    if kind != "listing" {
        return Vec::new();
    }
    rows.into_iter()
        .map(|mut h| {
            if h.role != Role::Developer.key() {
                h.actor_name = h
                    .role
                    .parse::<Role>()
                    .map(|r| r.label_zh().to_string())
                    .unwrap_or_default();
            }
            h
        })
        .collect()
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Labels {
    pub states: BTreeMap<String, String>,
    pub actions: BTreeMap<String, String>,
}

/// Records written beside workflow actions (they change no state, but appear in history).
const RECORD_LABELS: &[(&str, &str)] = &[
    ("create", "创建"),
    ("upload_document", "上传材料"),
    ("record_survey_returns", "填报需求摸底"),
    ("record_valuation", "录入评估报告"),
    ("ask_price", "开发企业报价"),
    ("offer_price", "收购方出价"),
    ("request_exception", "申请政策例外"),
    ("decide_exception", "领导组决定政策例外"),
];

fn labels_of(def: &crate::workflow::def::WorkflowDef) -> Labels {
    let mut actions: BTreeMap<String, String> = RECORD_LABELS
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    for a in &def.actions {
        actions.insert(a.name.clone(), a.label.clone());
    }
    Labels {
        states: def
            .states
            .iter()
            .map(|s| (s.name.clone(), s.label.clone()))
            .collect(),
        actions,
    }
}

fn view_of(
    inst: &InstanceRow,
    def: &crate::workflow::def::WorkflowDef,
    actions: Vec<AvailableAction>,
) -> InstanceView {
    let st = def.state(&inst.state);
    InstanceView {
        id: inst.id,
        kind: inst.kind.clone(),
        workflow: def.key.clone(),
        workflow_title: def.title.clone(),
        definition_version: inst.def_hash.clone(),
        state: inst.state.clone(),
        state_label: st.map(|s| s.label.clone()).unwrap_or_default(),
        end: st.is_some_and(|s| s.end),
        allows: st
            .map(|s| s.allows.iter().map(|c| c.name().to_string()).collect())
            .unwrap_or_default(),
        labels: labels_of(def),
        version: inst.version,
        entered_at: inst.entered_at,
        deadline: inst
            .deadline_name
            .clone()
            .zip(inst.deadline_due)
            .map(|(name, due)| Deadline { name, due }),
        actions: actions
            .into_iter()
            .map(|a| serde_json::to_value(a).unwrap_or_default())
            .collect(),
        pack: def.pack.key.clone(),
        pack_name: def.pack.name.clone(),
        pack_warnings: Vec::new(),
    }
}
