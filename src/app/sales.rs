//! A project's or batch's sale to qualified households (ALLOCATION.md §6–§8): the sale plan
//! with the approved prices (YQ-15, NC-33, XY-13), the tiers (YQ-16), registration of
//! qualified households, the lottery that anyone can re-run (YQ-15, NC-33, XY-25.3), selection
//! in order with 递补 and the bans each text sets (YQ-14, XY-25.5, XY-36, NC-38.1.1), the
//! contract with the title annotation verbatim (YQ-18, NC-35, XY-28), the per-unit register.

use super::flow::{ActionRequest, require_role};
use super::proposals::ProposalKind;
use super::{App, AppError, Idem, boxed};
use crate::domain::allocation::household::mask_name;
use crate::domain::allocation::lottery::{self, Entrant};
use crate::domain::allocation::{AllocationRules, BanCase, SaleMethod, ban_ends};
use crate::domain::pricing::ProposalStatus;
use crate::domain::role::Role;
use crate::domain::units::{AreaM2, Yuan, YuanPerM2};
use crate::store::Tx;
use crate::store::allocation::{self as db, SaleRow};
use crate::store::users::User;
use crate::workflow::def::Capability;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSale {
    pub pack: String,
    pub name: String,
    /// The acquired listing whose units are sold.
    pub listing_id: i64,
    /// The county (or district) of the project (YQ-11: township staff buy in their county town).
    pub county: String,
}

/// The sale plan's contents (YQ-15: 项目名称、坐落、配售价格、配售方式、摇号规则、配售活动安排、回购事宜;
/// NC-33 adds the process, targets and waiting rules; XY-13 the procedure). What a text leaves
/// open — the tier period (YQ-16), the deposit (XY-25.4), the contract deadline (XY-25.5,
/// NC-38.1.1) — the plan sets.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SalePlanInput {
    pub location: String,
    pub method: SaleMethod,
    pub targets: String,
    pub procedure: String,
    pub lottery_rules: String,
    pub schedule: String,
    pub buyback: String,
    /// YQ-16: how long a tier is sold before the next may register (the text sets no length).
    #[serde(default)]
    pub tier_period_days: Option<u32>,
    /// XY-25.4: the deposit that locks a unit, yuan (the text sets no amount).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub deposit: Option<String>,
    /// Days after selecting within which the contract is signed (XY-25.5, NC-38.1.1: the texts
    /// set no number).
    pub contract_days: u32,
    /// NC-33: a sale by scoring names its criteria and their points (the text sets none);
    /// empty for any other method.
    #[serde(default)]
    pub scoring: Vec<ScoreCriterion>,
}

/// One scoring criterion of a plan (NC-33): met or not, worth its points.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreCriterion {
    pub key: String,
    pub label: String,
    pub points: u32,
}

/// NC-33: the criteria a registered household meets, with the evidence relied on.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreInput {
    pub application_id: i64,
    pub criteria: Vec<String>,
    pub evidence: String,
}

/// Money received for a contracted unit (HS-F2, NC-20, XY-4): posted as sale income to the
/// project's ring-fenced ledger, never more than the contract price in all (NC-31, XY-14).
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptInput {
    pub application_id: i64,
    /// Yuan, two decimals at most.
    #[schema(value_type = String)]
    pub amount: String,
    pub received_on: NaiveDate,
    /// The project's account the money went into (a fund or bank account).
    pub debit_account: String,
    /// The project's sale income account (purpose `sale`).
    pub income_account: String,
}

/// A contract with what has been received on it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ContractView {
    pub contract_id: i64,
    pub application_no: String,
    pub room: String,
    pub price: Yuan,
    pub payment: String,
    pub signed_on: NaiveDate,
    pub received: Yuan,
}

/// A unit on sale with its approved price.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct PlanUnit {
    pub unit_id: i64,
    pub room: String,
    pub area_m2: AreaM2,
    /// The approved base per m² × the area, rounded half-up to the fen: the unit's price.
    pub price: Yuan,
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct SalePlan {
    #[serde(flatten)]
    pub input: SalePlanInput,
    pub project: String,
    /// The approved sale price proposal the prices come from.
    pub price_proposal_id: i64,
    pub price_rule: String,
    pub base_per_m2: YuanPerM2,
    pub units: Vec<PlanUnit>,
    pub annotation: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntrantInput {
    pub application_id: i64,
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DrawInput {
    /// Entered at the draw, in front of the notary and the applicants' representatives.
    pub seed: String,
    /// Who witnessed it (XY-25.3: the notary and applicants' representatives).
    pub witnesses: String,
}

/// What happened at a household's turn (XY-25.4) or after.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SelectionOutcome {
    /// Chose a unit (and paid the deposit where it locks the unit).
    Chosen,
    /// On the list but absent (XY-36).
    Absent,
    /// Present but chose no unit (XY-25.4: treated as abandoning).
    Declined,
    /// Gave up a chosen unit (YQ-14, XY-25.5, NC-38.1.1).
    Abandoned,
    /// Chose, but signed no contract in time (XY-36, NC-38.1.1).
    NoContract,
}

impl SelectionOutcome {
    fn key(self) -> &'static str {
        match self {
            SelectionOutcome::Chosen => "chosen",
            SelectionOutcome::Absent => "absent",
            SelectionOutcome::Declined => "declined",
            SelectionOutcome::Abandoned => "abandoned",
            SelectionOutcome::NoContract => "no_contract",
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SelectionInput {
    pub application_id: i64,
    pub outcome: SelectionOutcome,
    #[serde(default)]
    pub unit_id: Option<i64>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub deposit: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// How the price is paid (NC-34, XY-25.5; YQM-2's provident-fund figures for Yangquan).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    LumpSum,
    ProvidentFund,
    Commercial,
    Combined,
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractInput {
    pub application_id: i64,
    pub payment: PaymentMethod,
    /// The down payment, yuan (all of the price for a lump sum).
    #[schema(value_type = String)]
    pub down_payment: String,
    pub signed_on: NaiveDate,
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct ContractContent {
    pub buyer: String,
    /// NC-35: both spouses on the title.
    pub owners: Vec<String>,
    pub room: String,
    pub area_m2: AreaM2,
    pub price: Yuan,
    pub price_capitals: String,
    pub payment: PaymentMethod,
    pub down_payment: Yuan,
    pub loan: Yuan,
    pub annotation: String,
    pub annotation_rule: String,
    /// NC-36: the archives the results go to.
    pub archive_to: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EntrantView {
    pub application_id: i64,
    pub application_no: String,
    pub applicant: String,
    pub tier: i32,
    /// NC-33: the household's points under the plan's criteria (a sale by scoring).
    pub points: Option<i32>,
    pub outcome: Option<String>,
    pub unit: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LotteryView {
    pub round: i32,
    pub entrants_sha256: String,
    pub entrants_text: String,
    pub seed: Option<String>,
    pub algorithm: Option<String>,
    pub witnesses: Option<String>,
    pub order: Vec<String>,
    pub drawn_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UnitStatusView {
    pub unit_id: i64,
    pub room: String,
    pub area_m2: AreaM2,
    pub price: Option<Yuan>,
    pub status: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SaleView {
    pub instance: super::views::InstanceView,
    #[schema(value_type = Object)]
    pub sale: SaleRow,
    pub pack_name: String,
    pub plan: Option<SalePlan>,
    pub plan_sha256: Option<String>,
    pub tiers_open: Vec<i32>,
    pub entrants: Vec<EntrantView>,
    pub lotteries: Vec<LotteryView>,
    /// The selection order so far (application numbers), and who is next.
    pub order: Vec<String>,
    pub next: Option<String>,
    pub units: Vec<UnitStatusView>,
    pub contracts: usize,
    pub contract_list: Vec<ContractView>,
}

/// A sale in a list.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SaleSummary {
    pub id: i64,
    pub pack: String,
    pub name: String,
    pub county: String,
    pub listing_id: i64,
    pub state: String,
    pub state_label: String,
}

/// A bought unit in the per-unit register (资产台账).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RegisterEntry {
    pub unit_id: i64,
    pub listing_id: i64,
    pub pack: String,
    pub project_name: String,
    pub room: String,
    pub area_m2: AreaM2,
    /// `in_stock`, `for_sale`, `selected`, `sold`, …
    pub status: String,
    pub status_label: String,
    pub since: Option<DateTime<Utc>>,
    pub use_kind: Option<String>,
}

/// Chinese names of a unit's statuses.
pub fn unit_status_zh(s: &str) -> &'static str {
    match s {
        "in_stock" => "在库",
        "let" => "已出租",
        "for_sale" => "待售",
        "selected" => "已选定",
        "contracted" => "已签约",
        "sold" => "已售",
        "bought_back" => "已回购",
        _ => "其他",
    }
}

/// Most rows a register read returns (an export says when it was cut).
pub const REGISTER_MAX: i64 = 100_000;

/// The algorithm's name as recorded with each draw.
pub const ALGORITHM: &str = "SHA-256(seed) → ChaCha20 (RFC 8439, nonce 0) → Fisher–Yates by rejection, tier by tier (anju lottery replay)";

impl App {
    /// The sales of a pack (or all), newest first.
    pub async fn sales_list(
        &self,
        actor: &User,
        pack: Option<&str>,
    ) -> Result<Vec<SaleSummary>, AppError> {
        if actor.role == Role::Developer {
            return Err(AppError::Forbidden("developers do not read sales".into()));
        }
        let mut tx = self.store.read().await?;
        let mut out = Vec::new();
        for s in db::sales_of(&mut tx, pack, 1000).await? {
            let inst = self.instance_of(&mut tx, s.instance_id, "sale").await?;
            let def = self.def_by_hash(&mut tx, &inst.def_hash).await?;
            out.push(SaleSummary {
                id: s.instance_id,
                state_label: def
                    .state(&inst.state)
                    .map(|x| x.label.clone())
                    .unwrap_or_default(),
                state: inst.state,
                pack: s.pack,
                name: s.name,
                county: s.county,
                listing_id: s.listing_id,
            });
        }
        Ok(out)
    }

    /// The per-unit register (资产台账): every bought unit with its status and since when.
    pub async fn unit_register(
        &self,
        actor: &User,
        pack: Option<&str>,
    ) -> Result<Vec<RegisterEntry>, AppError> {
        if actor.role == Role::Developer {
            return Err(AppError::Forbidden(
                "developers do not read the asset register".into(),
            ));
        }
        let mut tx = self.store.read().await?;
        Ok(db::unit_register(&mut tx, pack, REGISTER_MAX)
            .await?
            .into_iter()
            .map(|r| {
                let status = r.status.unwrap_or_else(|| "in_stock".into());
                RegisterEntry {
                    unit_id: r.unit_id,
                    listing_id: r.listing_id,
                    pack: r.pack,
                    project_name: r.project_name,
                    room: format!("{}-{}-{}", r.building, r.stair_unit, r.room),
                    area_m2: AreaM2::from_centi(r.gross_area_centi),
                    status_label: unit_status_zh(&status).into(),
                    status,
                    since: r.status_at,
                    use_kind: r.use_kind,
                }
            })
            .collect())
    }

    async fn sale_row(
        &self,
        tx: &mut Tx,
        id: i64,
    ) -> Result<(crate::store::instances::InstanceRow, SaleRow), AppError> {
        let inst = self.instance_of(tx, id, "sale").await?;
        let row = db::sale(tx, id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("sale {id}")))?;
        Ok((inst, row))
    }

    /// The acquirer opens a sale of an acquired listing's units (YQ-15: one plan per project).
    pub async fn create_sale(
        &self,
        actor: &User,
        idem: Option<&Idem>,
        input: NewSale,
    ) -> Result<(u16, SaleView), AppError> {
        self.sale_rules(&input.pack)?;
        require_role(actor, &[Role::Acquirer], "open a sale")?;
        super::flow::one_line("name", &input.name, crate::domain::text::NAME_MAX)?;
        super::flow::one_line("county", &input.county, crate::domain::text::NAME_MAX)?;
        if input.name.trim().is_empty() || input.county.trim().is_empty() {
            return Err(AppError::invalid("name", "a sale has a name and a county"));
        }
        let actor2 = actor.clone();
        self.command(actor, idem, 201, move |app, tx| {
            boxed(async move {
                let linst = app.instance_of(tx, input.listing_id, "listing").await?;
                let ldef = app.def_by_hash(tx, &linst.def_hash).await?;
                if ldef.pack.key != input.pack
                    || !ldef.is_end(&linst.state)
                    || !ldef
                        .state(&linst.state)
                        .is_some_and(|s| s.allows(Capability::PriceExceptions))
                {
                    return Err(AppError::Conflict {
                        code: "not_acquired",
                        message: format!(
                            "listing {} is not an acquired listing of {}",
                            input.listing_id, input.pack
                        ),
                    });
                }
                let def = app.current_def(&format!("{}/sale", input.pack))?;
                let id = app
                    .start_instance(
                        tx,
                        "sale",
                        &def,
                        &actor2,
                        serde_json::to_value(&input).unwrap_or_default(),
                    )
                    .await?;
                db::insert_sale(
                    tx,
                    &SaleRow {
                        instance_id: id,
                        pack: input.pack.clone(),
                        name: input.name.trim().into(),
                        listing_id: input.listing_id,
                        county: input.county.trim().into(),
                        created_by: actor2.id,
                        created_at: app.now(),
                    },
                )
                .await?;
                for u in crate::store::rents::current_unit_refs(tx, input.listing_id).await? {
                    unit_event(app, tx, u.id, "for_sale", "sale", id, &actor2).await?;
                }
                app.sale_view_tx(tx, &actor2, id).await
            })
        })
        .await
    }

    /// The plan (YQ-15, NC-33, XY-13), with every unit's price from the listing's approved sale
    /// price (HS-P12/YQ-17/NC-30/XY-13: a price only binds once approved).
    pub async fn record_sale_plan(
        &self,
        actor: &User,
        idem: Option<&Idem>,
        id: i64,
        input: SalePlanInput,
    ) -> Result<(u16, SaleView), AppError> {
        for (f, v) in [
            ("location", &input.location),
            ("targets", &input.targets),
            ("procedure", &input.procedure),
            ("lottery_rules", &input.lottery_rules),
            ("schedule", &input.schedule),
            ("buyback", &input.buyback),
        ] {
            super::flow::many_lines(f, v, crate::domain::text::NOTE_MAX)?;
            if v.trim().is_empty() {
                return Err(AppError::invalid(f, format!("the plan states its {f}")));
            }
        }
        if input.contract_days == 0 || input.contract_days > 365 {
            return Err(AppError::invalid("contract_days", "1 to 365 days"));
        }
        let deposit = input
            .deposit
            .as_deref()
            .map(|d| yuan("deposit", d))
            .transpose()?;
        check_scoring(&input)?;
        let actor = actor.clone();
        let who = actor.clone();
        self.command(&who, idem, 201, move |app, tx| {
            boxed(async move { app.plan_in(tx, &actor, id, input, deposit).await })
        })
        .await
    }

    async fn plan_in(
        &self,
        tx: &mut Tx,
        actor: &User,
        id: i64,
        input: SalePlanInput,
        deposit: Option<Yuan>,
    ) -> Result<SaleView, AppError> {
        let (inst, sale) = self.sale_row(tx, id).await?;
        let rules = self.sale_rules(&sale.pack)?.clone();
        let sr = rules.sale.clone().expect("a sale path has sale rules");
        require_role(actor, &[sr.plan_approval.proposer], "write the sale plan")?;
        self.require_capability(tx, &inst, Capability::SalePlan)
            .await?;
        if !sr.methods.contains(&input.method) {
            let allowed: Vec<String> = sr.methods.iter().map(crate::util::enum_key).collect();
            return Err(AppError::invalid(
                "method",
                format!(
                    "{} is not a method this text allows ({})",
                    crate::util::enum_key(&input.method),
                    allowed.join(", ")
                ),
            ));
        }
        if sr.deposit_locks && deposit.is_none() {
            return Err(AppError::Rule {
                code: "deposit_required",
                rule: "XY-25.4".into(),
                message: "the plan sets the deposit that locks a unit (the text sets no amount)"
                    .into(),
            });
        }
        let tiered = rules
            .eligibility
            .as_ref()
            .is_some_and(|e| e.tiers.is_some());
        if tiered && input.tier_period_days.is_none() {
            return Err(AppError::Rule {
                code: "tier_period_required",
                rule: "YQ-16".into(),
                message:
                    "the plan sets how long each tier is sold (规定期限: the text sets no length)"
                        .into(),
            });
        }
        let (approved_id, approved_rule, base) = self.approved_sale_price(tx, &sale).await?;
        let listing = crate::store::listings::listing(tx, sale.listing_id)
            .await?
            .ok_or_else(|| AppError::NotFound("listing".into()))?;
        let units = crate::store::rents::current_unit_refs(tx, sale.listing_id)
            .await?
            .into_iter()
            .map(|u| {
                let area = AreaM2::from_centi(u.gross_area_centi);
                PlanUnit {
                    unit_id: u.id,
                    room: format!("{}-{}-{}", u.building, u.stair_unit, u.room),
                    area_m2: area,
                    price: base.times_area(area).round_fen(),
                }
            })
            .collect();
        let method = input.method;
        let plan = SalePlan {
            input: SalePlanInput {
                deposit: deposit.map(|d| d.to_string()),
                ..input
            },
            project: listing.project_name,
            price_proposal_id: approved_id,
            price_rule: approved_rule,
            base_per_m2: base,
            units,
            annotation: sr.annotation.clone(),
        };
        let text = serde_json::to_string(&plan).map_err(|e| AppError::Internal(e.to_string()))?;
        let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(text.as_bytes()));
        let row = db::PlanRow {
            id: 0,
            sale_id: id,
            content: text,
            sha256: sha.clone(),
            recorded_by: actor.id,
            recorded_at: self.now(),
        };
        db::insert_plan(tx, &row).await?;
        let payload = serde_json::json!({
            "rule": sr.plan_approval.steps.first().map(|s| s.rule.clone()),
            "sha256": sha,
            "base_per_m2": base,
            "method": method,
        });
        self.record(tx, &inst, actor, "record_sale_plan", None, payload)
            .await?;
        self.sale_view_tx(tx, actor, id).await
    }

    /// The listing's approved sale price (YQ-17, NC-30, XY-14): its proposal, rule and base.
    async fn approved_sale_price(
        &self,
        tx: &mut Tx,
        sale: &SaleRow,
    ) -> Result<(i64, String, YuanPerM2), AppError> {
        let approved = self
            .proposal_views(tx, sale.listing_id)
            .await?
            .into_iter()
            .rev()
            .find(|p| p.kind == ProposalKind::SalePrice && p.status == ProposalStatus::Approved)
            .ok_or_else(|| AppError::Rule {
                code: "no_approved_price",
                rule: self
                    .pack(&sale.pack)
                    .map(|p| p.pricing().sale.rule.clone())
                    .unwrap_or_default(),
                message:
                    "the listing has no approved sale price: propose one and have it approved first"
                        .into(),
            })?;
        let base: YuanPerM2 = serde_json::from_value(approved.payload["base_per_m2"].clone())
            .map_err(|e| AppError::Internal(format!("stored proposal: {e}")))?;
        Ok((approved.id, approved.rule.clone(), base))
    }

    /// NC-33: a registered household's points under the plan's criteria, with the evidence,
    /// recorded before the list is fixed; a later record replaces an earlier one.
    pub async fn record_score(
        &self,
        actor: &User,
        idem: Option<&Idem>,
        id: i64,
        input: ScoreInput,
    ) -> Result<(u16, SaleView), AppError> {
        super::flow::many_lines("evidence", &input.evidence, crate::domain::text::NOTE_MAX)?;
        if input.evidence.trim().is_empty() {
            return Err(AppError::invalid("evidence", "name the evidence relied on"));
        }
        if input.criteria.len() > 50 {
            return Err(AppError::invalid("criteria", "at most 50 criteria"));
        }
        let actor = actor.clone();
        let who = actor.clone();
        self.command(&who, idem, 201, move |app, tx| {
            boxed(async move { app.score_in(tx, &actor, id, &input).await })
        })
        .await
    }

    async fn score_in(
        &self,
        tx: &mut Tx,
        actor: &User,
        id: i64,
        input: &ScoreInput,
    ) -> Result<SaleView, AppError> {
        let (inst, _) = self.sale_row(tx, id).await?;
        require_role(actor, &[Role::Acquirer], "score a household")?;
        self.require_capability(tx, &inst, Capability::Lottery)
            .await?;
        let plan = plan_of(tx, id).await?.ok_or_else(no_plan)?;
        if plan.input.method != SaleMethod::Scoring {
            return Err(AppError::Conflict {
                code: "not_scoring",
                message: "this sale's plan orders buyers by lottery, not by scoring".into(),
            });
        }
        if !db::entrants(tx, id)
            .await?
            .iter()
            .any(|e| e.application_id == input.application_id)
        {
            return Err(AppError::invalid(
                "application_id",
                "this household is not registered for the sale",
            ));
        }
        if !db::lotteries(tx, id).await?.is_empty() {
            return Err(AppError::Conflict {
                code: "list_fixed",
                message: "the list is fixed: scores no longer change".into(),
            });
        }
        let mut points = 0u32;
        let mut seen = BTreeSet::new();
        for (i, k) in input.criteria.iter().enumerate() {
            let c = plan
                .input
                .scoring
                .iter()
                .find(|c| &c.key == k)
                .ok_or_else(|| {
                    AppError::invalid(
                        &format!("criteria[{i}]"),
                        format!("{k:?} is not a criterion of this plan"),
                    )
                })?;
            if !seen.insert(k.clone()) {
                return Err(AppError::invalid(&format!("criteria[{i}]"), "named twice"));
            }
            points += c.points;
        }
        let row = db::ScoreRow {
            id: 0,
            sale_id: id,
            application_id: input.application_id,
            criteria: input.criteria.join(","),
            points: i32::try_from(points)
                .map_err(|_| AppError::invalid("criteria", "too many points"))?,
            evidence: input.evidence.trim().to_string(),
            recorded_by: actor.id,
            recorded_at: self.now(),
        };
        db::insert_score(tx, &row).await?;
        let payload = serde_json::json!({
            "rule": "NC-33",
            "application_id": input.application_id,
            "criteria": input.criteria,
            "points": points,
        });
        self.record(
            tx,
            &inst,
            actor,
            "record_score",
            Some(input.evidence.trim()),
            payload,
        )
        .await?;
        self.sale_view_tx(tx, actor, id).await
    }

    /// Money received for a contracted unit, posted as sale income to the project's
    /// ring-fenced ledger in the same transaction (HS-F2, NC-20, XY-4); in all never more
    /// than the contract price (NC-31, XY-14: no extra charges).
    pub async fn record_receipt(
        &self,
        actor: &User,
        idem: Option<&Idem>,
        id: i64,
        input: ReceiptInput,
    ) -> Result<(u16, SaleView), AppError> {
        let amount = yuan("amount", &input.amount)?;
        if amount <= Yuan::ZERO {
            return Err(AppError::invalid("amount", "a receipt is more than zero"));
        }
        super::flow::one_line("debit_account", &input.debit_account, 200)?;
        super::flow::one_line("income_account", &input.income_account, 200)?;
        let actor = actor.clone();
        let who = actor.clone();
        self.command(&who, idem, 201, move |app, tx| {
            boxed(async move { app.receipt_in(tx, &actor, id, &input, amount).await })
        })
        .await
    }

    async fn receipt_in(
        &self,
        tx: &mut Tx,
        actor: &User,
        id: i64,
        input: &ReceiptInput,
        amount: Yuan,
    ) -> Result<SaleView, AppError> {
        let (inst, sale) = self.sale_row(tx, id).await?;
        require_role(actor, &[Role::Acquirer], "record a sale receipt")?;
        if input.received_on > self.today() {
            return Err(AppError::invalid(
                "received_on",
                "money is not received in the future",
            ));
        }
        let plan = plan_of(tx, id).await?.ok_or_else(no_plan)?;
        let k = db::contracts(tx, id)
            .await?
            .into_iter()
            .find(|k| k.application_id == input.application_id)
            .ok_or_else(|| {
                AppError::invalid(
                    "application_id",
                    "no contract of this household in this sale",
                )
            })?;
        if input.received_on < k.signed_on {
            return Err(AppError::invalid(
                "received_on",
                "before the contract was signed",
            ));
        }
        let received: i64 = db::receipts(tx, id)
            .await?
            .iter()
            .filter(|r| r.contract_id == k.id)
            .map(|r| r.amount_fen)
            .sum();
        let fen = amount
            .to_fen()
            .map_err(|e| AppError::invalid("amount", e.to_string()))?;
        if received + fen > k.price_fen {
            return Err(AppError::Rule {
                code: "above_price",
                rule: plan.price_rule.clone(),
                message: format!(
                    "{} yuan received so far and {amount} now would pass the contract price {} (no extra charges)",
                    Yuan::from_fen(received),
                    Yuan::from_fen(k.price_fen)
                ),
            });
        }
        self.check_income_account(tx, &sale, &input.income_account)
            .await?;
        let (_, arow) = self.application_row(tx, input.application_id).await?;
        let n = db::receipts(tx, id)
            .await?
            .iter()
            .filter(|r| r.contract_id == k.id)
            .count()
            + 1;
        let entry = super::ledger::NewEntry {
            key: format!("sale-{id}-contract-{}-receipt-{n}", k.id),
            date: input.received_on,
            kind: crate::domain::ledger::EntryKind::Income,
            memo: format!("配售房款（{}，合同{}）", arow.application_no, k.id),
            approval: None,
            listing_id: None,
            consents: None,
            lines: vec![
                super::ledger::LineInput {
                    account: input.debit_account.clone(),
                    amount: super::flow::DecimalText(amount.to_string()),
                },
                super::ledger::LineInput {
                    account: input.income_account.clone(),
                    amount: super::flow::DecimalText(format!("-{amount}")),
                },
            ],
            reverses: None,
        };
        let (_, views) = self
            .post_in(tx, actor, std::slice::from_ref(&entry))
            .await?;
        let seq = views
            .first()
            .map(|v| v.seq)
            .ok_or_else(|| AppError::Internal("no entry".into()))?;
        let row = db::ReceiptRow {
            id: 0,
            sale_id: id,
            contract_id: k.id,
            amount_fen: fen,
            received_on: input.received_on,
            entry_seq: seq,
            recorded_by: actor.id,
            recorded_at: self.now(),
        };
        db::insert_receipt(tx, &row).await?;
        let payload = serde_json::json!({
            "rule": "HS-F2",
            "contract_id": k.id,
            "amount": amount,
            "entry_seq": seq,
        });
        self.record(tx, &inst, actor, "record_receipt", None, payload)
            .await?;
        self.sale_view_tx(tx, actor, id).await
    }

    /// The income account a sale's money goes to: a sale income account, of the project the
    /// listing's escrow accounts belong to where it has any (HS-F3: one project's money).
    async fn check_income_account(
        &self,
        tx: &mut Tx,
        sale: &SaleRow,
        name: &str,
    ) -> Result<(), AppError> {
        use crate::domain::ledger::AccountKind;
        let accounts = crate::store::ledger::accounts(tx).await?;
        let acct = accounts
            .get(name)
            .ok_or_else(|| AppError::invalid("income_account", format!("no account {name}")))?;
        if acct.kind != AccountKind::Income || acct.purpose.as_deref() != Some("sale") {
            return Err(AppError::invalid(
                "income_account",
                format!("{name} is not a sale income account"),
            ));
        }
        let listing_project = accounts
            .values()
            .find(|a| a.listing_id == Some(sale.listing_id))
            .and_then(|a| a.project.clone());
        if let Some(p) = listing_project
            && acct.project.as_deref() != Some(p.as_str())
        {
            return Err(AppError::Rule {
                code: "other_project",
                rule: "HS-F3".into(),
                message: format!(
                    "the listing was bought for project {p}; {name} belongs to another"
                ),
            });
        }
        Ok(())
    }

    async fn contract_views(
        &self,
        tx: &mut Tx,
        id: i64,
        rooms: &BTreeMap<i64, (String, AreaM2)>,
    ) -> Result<Vec<ContractView>, AppError> {
        let receipts = db::receipts(tx, id).await?;
        let mut out = Vec::new();
        for k in db::contracts(tx, id).await? {
            let a = db::application(tx, k.application_id)
                .await?
                .ok_or_else(|| AppError::Internal("contract without application".into()))?;
            let received = receipts
                .iter()
                .filter(|r| r.contract_id == k.id)
                .map(|r| r.amount_fen)
                .sum();
            out.push(ContractView {
                contract_id: k.id,
                application_no: a.application_no,
                room: rooms
                    .get(&k.unit_id)
                    .map(|r| r.0.clone())
                    .unwrap_or_default(),
                price: Yuan::from_fen(k.price_fen),
                payment: k.payment,
                signed_on: k.signed_on,
                received: Yuan::from_fen(received),
            });
        }
        Ok(out)
    }

    /// YQ-15 / XY-25.2: a qualified household registers for the sale. Refused: an unqualified
    /// or other pack's application, a member under a ban or holding a unit, a tier not yet open
    /// (YQ-16), a township applicant outside its county town (YQ-11).
    pub async fn register_entrant(
        &self,
        actor: &User,
        idem: Option<&Idem>,
        id: i64,
        input: EntrantInput,
    ) -> Result<(u16, SaleView), AppError> {
        let actor2 = actor.clone();
        self.command(actor, idem, 201, move |app, tx| {
            boxed(async move {
                let (inst, sale) = app.sale_row(tx, id).await?;
                let rules = app.sale_rules(&sale.pack)?.clone();
                let mut who = rules.accepted_by.clone();
                who.push(Role::Acquirer);
                require_role(&actor2, &who, "register a household for a sale")?;
                app.require_capability(tx, &inst, Capability::Registrations).await?;
                let (ainst, arow) = app.application_row(tx, input.application_id).await?;
                if arow.pack != sale.pack || ainst.state != "qualified" {
                    return Err(AppError::Rule { code: "not_qualified", rule: "YQ-15".into(), message: format!("application {} holds no qualification of this sale's pack (状态 {})", arow.application_no, ainst.state) });
                }
                let (h, e) = app.household_of(tx, &arow).await?;
                if !e.eligible {
                    let t = e.tests.iter().find(|t| t.outcome != crate::domain::allocation::eligibility::Outcome::Passed && t.outcome != crate::domain::allocation::eligibility::Outcome::NotApplicable && t.outcome != crate::domain::allocation::eligibility::Outcome::Condition);
                    return Err(AppError::Rule { code: "not_eligible", rule: t.map(|t| t.rule.clone()).unwrap_or_default(), message: t.map(|t| t.detail.clone()).unwrap_or_default() });
                }
                if h.group == "township_staff" && h.county != sale.county {
                    return Err(AppError::Rule { code: "outside_county", rule: "YQ-11".into(), message: format!("township staff buy only in their county town ({}), not {}", h.county, sale.county) });
                }
                let tier = e.tier.map(i32::from).unwrap_or(1);
                let open = db::tiers(tx, id).await?;
                if e.tier.is_some() && !open.contains(&tier) {
                    return Err(AppError::Rule { code: "tier_not_open", rule: "YQ-16".into(), message: format!("tier {tier} is not open for this sale yet (open: {open:?})") });
                }
                if !db::insert_entrant(tx, &db::EntrantRow { id: 0, sale_id: id, application_id: input.application_id, tier, recorded_by: actor2.id, recorded_at: app.now() }).await? {
                    return Err(AppError::Conflict { code: "duplicate", message: format!("application {} is already registered for this sale", arow.application_no) });
                }
                app.record(tx, &inst, &actor2, "register_entrant", None, serde_json::json!({ "rule": "YQ-15", "application_no": arow.application_no, "tier": tier })).await?;
                app.sale_view_tx(tx, &actor2, id).await
            })
        })
        .await
    }

    /// YQ-16: the next tier may register once the plan's period for the open ones has passed.
    pub async fn open_next_tier(&self, actor: &User, id: i64) -> Result<SaleView, AppError> {
        require_role(actor, &[Role::Acquirer], "open the next tier")?;
        let mut tx = self.store.begin().await?;
        let (inst, sale) = self.sale_row(&mut tx, id).await?;
        self.require_capability(&mut tx, &inst, Capability::Registrations)
            .await?;
        let plan = plan_of(&mut tx, id)
            .await?
            .ok_or_else(|| AppError::Conflict {
                code: "no_plan",
                message: "no sale plan".into(),
            })?;
        let open = db::tiers(&mut tx, id).await?;
        let last = open.last().copied().unwrap_or(0);
        if last >= 3 {
            return Err(AppError::Conflict {
                code: "all_tiers_open",
                message: "all three tiers are open (YQ-16)".into(),
            });
        }
        let days = plan.input.tier_period_days.unwrap_or(0);
        let opened_at = db::tier_opened_at(&mut tx, id, last).await?;
        if let Some(at) = opened_at {
            let since = super::china_today(at);
            let due = since + chrono::Duration::days(i64::from(days));
            if self.today() <= due {
                return Err(AppError::Rule {
                    code: "tier_period",
                    rule: "YQ-16".into(),
                    message: format!(
                        "tier {last} is sold until {due} (the plan's {days} days); the next tier opens after it"
                    ),
                });
            }
        }
        db::open_tier(&mut tx, id, last + 1, actor.id, self.now()).await?;
        self.record(
            &mut tx,
            &inst,
            actor,
            "open_tier",
            None,
            serde_json::json!({ "rule": "YQ-16", "tier": last + 1, "sale": sale.name }),
        )
        .await?;
        let v = self.sale_view_tx(&mut tx, actor, id).await?;
        tx.commit().await?;
        Ok(v)
    }

    /// Fixes the entrant list of the next draw and publishes its SHA-256 (YQ-15, XY-25.3).
    pub async fn fix_lottery(&self, actor: &User, id: i64) -> Result<SaleView, AppError> {
        require_role(actor, &[Role::Acquirer], "fix the entrant list")?;
        let mut tx = self.store.begin().await?;
        let (inst, sale) = self.sale_row(&mut tx, id).await?;
        self.require_capability(&mut tx, &inst, Capability::Lottery)
            .await?;
        let earlier: BTreeSet<String> = db::lotteries(&mut tx, id)
            .await?
            .iter()
            .flat_map(|l| lottery::parse_entrant_list(&l.entrants_text).unwrap_or_default())
            .map(|e| e.application_no)
            .collect();
        let plan = plan_of(&mut tx, id).await?.ok_or_else(no_plan)?;
        // NC-33 scoring: the higher score goes first; equal scores are drawn (the list's
        // group column is the rank of the score, 1 = highest).
        let ranks = if plan.input.method == SaleMethod::Scoring {
            Some(score_ranks(&latest_points(&mut tx, id).await?)?)
        } else {
            None
        };
        let mut list = Vec::new();
        for e in db::entrants(&mut tx, id).await? {
            let a = db::application(&mut tx, e.application_id)
                .await?
                .ok_or_else(|| AppError::Internal("entrant without application".into()))?;
            if earlier.contains(&a.application_no) {
                continue;
            }
            let tier = match &ranks {
                Some(r) => *r.get(&e.application_id).ok_or_else(|| AppError::Rule {
                    code: "unscored",
                    rule: "NC-33".into(),
                    message: format!("{} has no score yet", a.application_no),
                })?,
                None => e.tier as u8,
            };
            list.push(Entrant {
                application_no: a.application_no,
                tier,
            });
        }
        if list.is_empty() {
            return Err(AppError::Conflict {
                code: "no_entrants",
                message: "no new registered household to draw".into(),
            });
        }
        let text = lottery::entrant_list_text(&list);
        let sha = lottery::entrants_sha256(&list);
        let round = db::lotteries(&mut tx, id).await?.len() as i32 + 1;
        db::insert_lottery(
            &mut tx,
            &db::LotteryRow {
                id: 0,
                sale_id: id,
                round,
                entrants_text: text,
                entrants_sha256: sha.clone(),
                fixed_by: actor.id,
                fixed_at: self.now(),
            },
        )
        .await?
        .ok_or_else(|| AppError::Conflict {
            code: "stale_version",
            message: "the list was fixed meanwhile".into(),
        })?;
        self.record(&mut tx, &inst, actor, "fix_entrants", None, serde_json::json!({ "rule": "YQ-15", "round": round, "entrants": list.len(), "sha256": sha, "pack": sale.pack })).await?;
        let v = self.sale_view_tx(&mut tx, actor, id).await?;
        tx.commit().await?;
        Ok(v)
    }

    /// The draw: the seed entered at it, the order computed and recorded (XY-25.3: notarised
    /// on site — by the notary where the text requires it).
    pub async fn draw_lottery(
        &self,
        actor: &User,
        id: i64,
        input: DrawInput,
    ) -> Result<SaleView, AppError> {
        super::flow::one_line("seed", &input.seed, crate::domain::text::REF_MAX)?;
        super::flow::one_line("witnesses", &input.witnesses, crate::domain::text::NOTE_MAX)?;
        if input.seed.trim().len() < 8 || input.witnesses.trim().is_empty() {
            return Err(AppError::invalid(
                "seed",
                "a seed of at least 8 characters and the witnesses are required",
            ));
        }
        let mut tx = self.store.begin().await?;
        let (inst, sale) = self.sale_row(&mut tx, id).await?;
        let rules = self.sale_rules(&sale.pack)?.clone();
        let sr = rules.sale.as_ref().expect("sale path");
        let (drawer, rule) = if sr.notarised {
            (Role::Notary, "XY-25.3")
        } else {
            (Role::Acquirer, "YQ-15")
        };
        require_role(actor, &[drawer], "draw the lottery")?;
        self.require_capability(&mut tx, &inst, Capability::Lottery)
            .await?;
        let lot = db::lotteries(&mut tx, id)
            .await?
            .into_iter()
            .last()
            .ok_or_else(|| AppError::Conflict {
                code: "not_fixed",
                message: "fix the entrant list first".into(),
            })?;
        let list = lottery::parse_entrant_list(&lot.entrants_text).map_err(AppError::Internal)?;
        let order = lottery::draw(&list, input.seed.trim());
        let order_text = order
            .iter()
            .map(|e| e.application_no.clone())
            .collect::<Vec<_>>()
            .join("\n");
        if !db::insert_draw(
            &mut tx,
            &db::DrawRow {
                lottery_id: lot.id,
                seed: input.seed.trim().into(),
                algorithm: ALGORITHM.into(),
                witnesses: input.witnesses.trim().into(),
                order_text,
                drawn_by: actor.id,
                drawn_at: self.now(),
            },
        )
        .await?
        {
            return Err(AppError::Conflict {
                code: "already_drawn",
                message: format!("round {} was drawn already", lot.round),
            });
        }
        self.record(&mut tx, &inst, actor, "draw_lottery", None, serde_json::json!({ "rule": rule, "round": lot.round, "entrants_sha256": lot.entrants_sha256, "seed": input.seed.trim(), "order": order.iter().map(|e| e.application_no.clone()).collect::<Vec<_>>() })).await?;
        let v = self.sale_view_tx(&mut tx, actor, id).await?;
        tx.commit().await?;
        Ok(v)
    }

    /// Whether the sale's order is settled: every fixed list drawn — or, XY-25.3, no draw
    /// needed because the households do not outnumber the units (first come, first served).
    pub(crate) async fn sale_order_settled(&self, tx: &mut Tx, id: i64) -> Result<bool, AppError> {
        let lots = db::lotteries(tx, id).await?;
        let draws = db::draws(tx, id).await?;
        if !lots.is_empty() {
            return Ok(draws.len() == lots.len());
        }
        let sale = db::sale(tx, id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("sale {id}")))?;
        let sr = self
            .sale_rules(&sale.pack)?
            .sale
            .clone()
            .expect("sale path");
        let entrants = db::entrants(tx, id).await?.len();
        let units = crate::store::rents::current_unit_refs(tx, sale.listing_id)
            .await?
            .len();
        Ok(sr.first_come_when_not_oversubscribed && entrants <= units && entrants > 0)
    }

    /// The selection order: the draws' orders round by round, then (first come) registration
    /// order for anyone not drawn.
    async fn sale_order(&self, tx: &mut Tx, id: i64) -> Result<Vec<(String, i64)>, AppError> {
        let mut by_no = BTreeMap::new();
        let entrants = db::entrants(tx, id).await?;
        for e in &entrants {
            let a = db::application(tx, e.application_id)
                .await?
                .ok_or_else(|| AppError::Internal("entrant".into()))?;
            by_no.insert(a.application_no, e.application_id);
        }
        let mut order = Vec::new();
        for d in db::draws(tx, id).await? {
            for no in d.order_text.lines() {
                if let Some(a) = by_no.get(no) {
                    order.push((no.to_string(), *a));
                }
            }
        }
        if db::lotteries(tx, id).await?.is_empty() {
            for e in &entrants {
                let no = by_no
                    .iter()
                    .find(|(_, a)| **a == e.application_id)
                    .map(|(n, _)| n.clone())
                    .unwrap_or_default();
                order.push((no, e.application_id));
            }
        }
        Ok(order)
    }

    /// XY-25.4: a household's turn, in lottery order — a chosen unit (locked by the deposit
    /// where the text says so), or absence or declining (the next moves up, 递补); later, giving
    /// up a chosen unit or no contract in time. Each carries the ban its text sets.
    pub async fn record_selection(
        &self,
        actor: &User,
        idem: Option<&Idem>,
        id: i64,
        input: SelectionInput,
    ) -> Result<(u16, SaleView), AppError> {
        if let Some(n) = &input.note {
            super::flow::many_lines("note", n, crate::domain::text::NOTE_MAX)?;
        }
        let deposit = input
            .deposit
            .as_deref()
            .map(|d| yuan("deposit", d))
            .transpose()?;
        let actor = actor.clone();
        let who = actor.clone();
        self.command(&who, idem, 201, move |app, tx| {
            boxed(async move { app.selection_in(tx, &actor, id, &input, deposit).await })
        })
        .await
    }

    async fn selection_in(
        &self,
        tx: &mut Tx,
        actor: &User,
        id: i64,
        input: &SelectionInput,
        deposit: Option<Yuan>,
    ) -> Result<SaleView, AppError> {
        let (inst, sale) = self.sale_row(tx, id).await?;
        require_role(actor, &[Role::Acquirer], "record a selection")?;
        self.require_capability(tx, &inst, Capability::Selections)
            .await?;
        let rules = self.sale_rules(&sale.pack)?.clone();
        let sr = rules.sale.clone().expect("sale path");
        let plan = plan_of(tx, id).await?.ok_or_else(no_plan)?;
        let order = self.sale_order(tx, id).await?;
        let sels = db::selections(tx, id).await?;
        let last: BTreeMap<i64, &db::SelectionRow> =
            sels.iter().map(|s| (s.application_id, s)).collect();
        let no = order
            .iter()
            .find(|(_, a)| *a == input.application_id)
            .map(|(n, _)| n.clone())
            .ok_or_else(|| {
                AppError::invalid(
                    "application_id",
                    "this household is not in the sale's order",
                )
            })?;
        let held = last.get(&input.application_id).copied();
        check_turn(input.outcome, &order, &last, &no, held)?;
        let mut unit_id = None;
        if input.outcome == SelectionOutcome::Chosen {
            let u = self
                .choose_unit(
                    tx,
                    id,
                    &plan,
                    &sels,
                    &last,
                    input,
                    deposit,
                    sr.deposit_locks,
                )
                .await?;
            unit_event(self, tx, u, "selected", "sale", id, actor).await?;
            unit_id = Some(u);
        }
        if let (SelectionOutcome::Abandoned | SelectionOutcome::NoContract, Some(u)) =
            (input.outcome, held.and_then(|s| s.unit_id))
        {
            unit_event(self, tx, u, "for_sale", "sale", id, actor).await?;
        }
        let deposit_fen = deposit
            .map(|d| d.to_fen())
            .transpose()
            .map_err(|e| AppError::invalid("deposit", e.to_string()))?;
        db::insert_selection(
            tx,
            &db::SelectionRow {
                id: 0,
                sale_id: id,
                application_id: input.application_id,
                outcome: input.outcome.key().into(),
                unit_id,
                deposit_fen,
                note: input.note.clone(),
                recorded_by: actor.id,
                recorded_at: self.now(),
            },
        )
        .await?;
        let paid_deposit = held.and_then(|s| s.deposit_fen).is_some_and(|d| d > 0);
        let ban_rule = match ban_case(input.outcome, paid_deposit) {
            Some(case) => {
                self.ban_after_selection(tx, actor, &sale, &rules, case, input)
                    .await?
            }
            None => None,
        };
        let payload = serde_json::json!({
            "rule": ban_rule.unwrap_or_else(|| "XY-25.4".into()),
            "application_no": no,
            "outcome": input.outcome,
            "unit_id": unit_id,
        });
        self.record(
            tx,
            &inst,
            actor,
            "record_selection",
            input.note.as_deref(),
            payload,
        )
        .await?;
        self.sale_view_tx(tx, actor, id).await
    }

    /// The unit a household chooses: on sale here, not held by another, and locked by the
    /// deposit where the pack says so (XY-25.4).
    #[allow(clippy::too_many_arguments)]
    async fn choose_unit(
        &self,
        tx: &mut Tx,
        id: i64,
        plan: &SalePlan,
        sels: &[db::SelectionRow],
        last: &BTreeMap<i64, &db::SelectionRow>,
        input: &SelectionInput,
        deposit: Option<Yuan>,
        deposit_locks: bool,
    ) -> Result<i64, AppError> {
        let u = input
            .unit_id
            .ok_or_else(|| AppError::invalid("unit_id", "the unit chosen"))?;
        let pu =
            plan.units.iter().find(|x| x.unit_id == u).ok_or_else(|| {
                AppError::invalid("unit_id", format!("unit {u} is not on sale here"))
            })?;
        let held_by_other = sels.iter().any(|s| {
            s.unit_id == Some(u)
                && last.get(&s.application_id).map(|x| x.outcome.as_str()) == Some("chosen")
        });
        let contracted = db::contracts(tx, id).await?.iter().any(|k| k.unit_id == u);
        if held_by_other || contracted {
            return Err(AppError::Conflict {
                code: "unit_taken",
                message: format!("unit {} is already chosen", pu.room),
            });
        }
        if deposit_locks {
            let need = plan
                .input
                .deposit
                .as_deref()
                .map(|d| yuan("deposit", d))
                .transpose()?
                .unwrap_or(Yuan::ZERO);
            if deposit.is_none_or(|d| d < need) {
                return Err(AppError::Rule {
                    code: "deposit_required",
                    rule: "XY-25.4".into(),
                    message: format!("a deposit of {need} yuan locks the unit"),
                });
            }
        }
        Ok(u)
    }

    /// The ban a selection outcome earns under the pack (YQ-14, NC-33, XY-25.4, XY-36) on
    /// every member's ID number; absence or no contract in time also closes the application
    /// where XY-36 says the qualification is cancelled. Returns the rule cited.
    async fn ban_after_selection(
        &self,
        tx: &mut Tx,
        actor: &User,
        sale: &SaleRow,
        rules: &AllocationRules,
        case: BanCase,
        input: &SelectionInput,
    ) -> Result<Option<String>, AppError> {
        let (arow_inst, arow) = self.application_row(tx, input.application_id).await?;
        let (h, _) = self.household_of(tx, &arow).await?;
        let ids: Vec<String> = h.id_numbers().map(|i| i.as_str().to_string()).collect();
        // YQ-14 counts the household's abandonments so far, this one included.
        let nth = if case == BanCase::AbandonAfterSelection {
            db::abandonments_of(tx, &ids).await? as u32
                + u32::from(input.outcome == SelectionOutcome::Declined)
        } else {
            1
        }
        .max(1);
        let ban = rules.ban_for(case, nth).or_else(|| {
            (case == BanCase::AbandonAfterDeposit)
                .then(|| rules.ban_for(BanCase::AbandonAfterSelection, nth))
                .flatten()
        });
        let Some(b) = ban else { return Ok(None) };
        let today = self.today();
        for n in &ids {
            let row = db::BanRow {
                id: 0,
                pack: sale.pack.clone(),
                id_number: n.clone(),
                case_key: crate::util::enum_key(&case),
                rule: b.rule.clone(),
                scope: super::allocation::scope_key(b.scope).into(),
                starts_on: today,
                ends_on: ban_ends(today, b.years),
                reason: format!(
                    "{}：{}（{}）",
                    case.label_zh(),
                    sale.name,
                    arow.application_no
                ),
                application_id: Some(arow.instance_id),
                sale_id: Some(sale.instance_id),
                recorded_by: actor.id,
                recorded_at: self.now(),
            };
            db::insert_ban(tx, &row).await?;
        }
        // XY-36: absence or no contract cancels the qualification.
        let cancels = matches!(
            case,
            BanCase::AbsentFromSelection | BanCase::NoContractInTime
        ) && arow_inst.state == "qualified"
            && b.rule.starts_with("XY");
        if cancels {
            let req = ActionRequest {
                expected_version: arow_inst.version,
                comment: Some(format!("{}（{}）", case.label_zh(), b.rule)),
                payload: serde_json::Value::Null,
            };
            let bureau = User {
                role: Role::HousingBureau,
                ..actor.clone()
            };
            self.act_in(tx, &bureau, arow.instance_id, "close", &req)
                .await?;
        }
        Ok(Some(b.rule.clone()))
    }

    /// The sale contract (YQ-18, NC-31, NC-35, XY-25.5, XY-28): the chosen unit at its
    /// approved price (never more, NC-31, XY-14), the annotation verbatim, both spouses where
    /// NC-35 says so; the application becomes a purchase and the unit is sold.
    pub async fn sign_sale_contract(
        &self,
        actor: &User,
        idem: Option<&Idem>,
        id: i64,
        input: ContractInput,
    ) -> Result<(u16, SaleView), AppError> {
        let down = yuan("down_payment", &input.down_payment)?;
        let actor = actor.clone();
        let who = actor.clone();
        self.command(&who, idem, 201, move |app, tx| {
            boxed(async move { app.contract_in(tx, &actor, id, &input, down).await })
        })
        .await
    }

    async fn contract_in(
        &self,
        tx: &mut Tx,
        actor: &User,
        id: i64,
        input: &ContractInput,
        down: Yuan,
    ) -> Result<SaleView, AppError> {
        let (inst, sale) = self.sale_row(tx, id).await?;
        require_role(actor, &[Role::Acquirer], "sign a sale contract")?;
        self.require_capability(tx, &inst, Capability::Contracts)
            .await?;
        let rules = self.sale_rules(&sale.pack)?.clone();
        let sr = rules.sale.clone().expect("sale path");
        let plan = plan_of(tx, id).await?.ok_or_else(no_plan)?;
        let sel = db::selections(tx, id)
            .await?
            .into_iter()
            .rev()
            .find(|s| s.application_id == input.application_id);
        let unit = match sel {
            Some(s) if s.outcome == "chosen" => {
                s.unit_id.expect("a chosen selection names its unit")
            }
            _ => {
                return Err(AppError::Conflict {
                    code: "nothing_chosen",
                    message: "the household has no chosen unit in this sale".into(),
                });
            }
        };
        let pu = plan
            .units
            .iter()
            .find(|u| u.unit_id == unit)
            .ok_or_else(|| AppError::Internal("chosen unit not in plan".into()))?;
        check_contract_terms(input, down, pu.price, self.today())?;
        let (ainst, arow) = self.application_row(tx, input.application_id).await?;
        let (h, _) = self.household_of(tx, &arow).await?;
        let content = contract_content(&h, pu, input.payment, down, &sr)?;
        let row = db::ContractRow {
            id: 0,
            sale_id: id,
            application_id: input.application_id,
            unit_id: unit,
            price_fen: pu
                .price
                .to_fen()
                .map_err(|e| AppError::Internal(e.to_string()))?,
            payment: crate::util::enum_key(&input.payment),
            content: serde_json::to_string(&content)
                .map_err(|e| AppError::Internal(e.to_string()))?,
            signed_on: input.signed_on,
            recorded_by: actor.id,
            recorded_at: self.now(),
        };
        let cid = db::insert_contract(tx, &row)
            .await?
            .ok_or_else(|| AppError::Conflict {
                code: "duplicate",
                message: "the unit or the household already has a contract".into(),
            })?;
        unit_event(self, tx, unit, "sold", "contract", cid, actor).await?;
        let req = ActionRequest {
            expected_version: ainst.version,
            comment: Some(format!("签订购房合同（{}）", pu.room)),
            payload: serde_json::Value::Null,
        };
        self.act_in(tx, actor, arow.instance_id, "record_purchase", &req)
            .await?;
        let payload = serde_json::json!({
            "rule": sr.annotation_rule,
            "application_no": arow.application_no,
            "room": pu.room,
            "price": pu.price,
            "contract_id": cid,
        });
        self.record(tx, &inst, actor, "sign_contract", None, payload)
            .await?;
        self.sale_view_tx(tx, actor, id).await
    }

    pub(crate) async fn sale_view_tx(
        &self,
        tx: &mut Tx,
        actor: &User,
        id: i64,
    ) -> Result<SaleView, AppError> {
        if actor.role == Role::Developer {
            return Err(AppError::NotFound(format!("sale {id}")));
        }
        let (inst, sale) = self.sale_row(tx, id).await?;
        let def = self.def_by_hash(tx, &inst.def_hash).await?;
        let instance = self.view_for(tx, actor, &inst, &def).await?;
        let plan_row = db::latest_plan(tx, id).await?;
        let plan: Option<SalePlan> = plan_row
            .as_ref()
            .map(|p| serde_json::from_str(&p.content))
            .transpose()
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let order = self.sale_order(tx, id).await?;
        let sels = db::selections(tx, id).await?;
        let last: BTreeMap<i64, &db::SelectionRow> =
            sels.iter().map(|s| (s.application_id, s)).collect();
        let rooms: BTreeMap<i64, (String, AreaM2)> =
            crate::store::rents::current_unit_refs(tx, sale.listing_id)
                .await?
                .into_iter()
                .map(|u| {
                    (
                        u.id,
                        (
                            format!("{}-{}-{}", u.building, u.stair_unit, u.room),
                            AreaM2::from_centi(u.gross_area_centi),
                        ),
                    )
                })
                .collect();
        let points = latest_points(tx, id).await?;
        let mut entrants = Vec::new();
        for e in db::entrants(tx, id).await? {
            let a = db::application(tx, e.application_id)
                .await?
                .ok_or_else(|| AppError::Internal("entrant".into()))?;
            let snap = db::latest_snapshot(tx, e.application_id)
                .await?
                .ok_or_else(|| AppError::Internal("household".into()))?;
            let h: crate::domain::allocation::household::Household =
                serde_json::from_str(&snap.data).map_err(|e| AppError::Internal(e.to_string()))?;
            let s = last.get(&e.application_id);
            entrants.push(EntrantView {
                application_id: e.application_id,
                application_no: a.application_no,
                applicant: mask_name(&h.applicant().name),
                tier: e.tier,
                points: points.get(&e.application_id).copied(),
                outcome: s.map(|s| s.outcome.clone()),
                unit: s
                    .and_then(|s| s.unit_id)
                    .and_then(|u| rooms.get(&u))
                    .map(|r| r.0.clone()),
            });
        }
        let draws = db::draws(tx, id).await?;
        let lotteries = db::lotteries(tx, id)
            .await?
            .into_iter()
            .map(|l| {
                let d = draws.iter().find(|d| d.lottery_id == l.id);
                LotteryView {
                    round: l.round,
                    entrants_sha256: l.entrants_sha256,
                    entrants_text: l.entrants_text,
                    seed: d.map(|d| d.seed.clone()),
                    algorithm: d.map(|d| d.algorithm.clone()),
                    witnesses: d.map(|d| d.witnesses.clone()),
                    order: d
                        .map(|d| d.order_text.lines().map(str::to_string).collect())
                        .unwrap_or_default(),
                    drawn_at: d.map(|d| d.drawn_at),
                }
            })
            .collect();
        let unit_ids: Vec<i64> = rooms.keys().copied().collect();
        let statuses: BTreeMap<i64, String> = db::unit_statuses(tx, &unit_ids)
            .await?
            .into_iter()
            .collect();
        let units = rooms
            .iter()
            .map(|(uid, (room, area))| UnitStatusView {
                unit_id: *uid,
                room: room.clone(),
                area_m2: *area,
                price: plan
                    .as_ref()
                    .and_then(|p| p.units.iter().find(|u| u.unit_id == *uid))
                    .map(|u| u.price),
                status: statuses
                    .get(uid)
                    .cloned()
                    .unwrap_or_else(|| "in_stock".into()),
            })
            .collect();
        let decided: BTreeSet<String> = order
            .iter()
            .filter(|(_, a)| last.contains_key(a))
            .map(|(n, _)| n.clone())
            .collect();
        let names: Vec<String> = order.iter().map(|(n, _)| n.clone()).collect();
        Ok(SaleView {
            instance,
            pack_name: self.pack(&sale.pack)?.name.clone(),
            plan,
            plan_sha256: plan_row.map(|p| p.sha256),
            tiers_open: db::tiers(tx, id).await?,
            entrants,
            lotteries,
            next: crate::domain::allocation::next_to_choose(&names, &decided).cloned(),
            order: names,
            units,
            contracts: db::contracts(tx, id).await?.len(),
            contract_list: self.contract_views(tx, id, &rooms).await?,
            sale,
        })
    }

    pub async fn sale_view(&self, actor: &User, id: i64) -> Result<SaleView, AppError> {
        let mut tx = self.store.read().await?;
        self.sale_view_tx(&mut tx, actor, id).await
    }

    /// The sale's plan approved (its last workflow step): its first tier opens (YQ-16).
    pub(crate) async fn on_sale_announced(
        &self,
        tx: &mut Tx,
        id: i64,
        actor: &User,
    ) -> Result<(), AppError> {
        if db::tiers(tx, id).await?.is_empty() {
            db::open_tier(tx, id, 1, actor.id, self.now()).await?;
        }
        Ok(())
    }
}

async fn plan_of(tx: &mut Tx, id: i64) -> Result<Option<SalePlan>, AppError> {
    db::latest_plan(tx, id)
        .await?
        .map(|p| serde_json::from_str(&p.content))
        .transpose()
        .map_err(|e| AppError::Internal(e.to_string()))
}

async fn unit_event(
    app: &App,
    tx: &mut Tx,
    unit: i64,
    status: &str,
    ref_kind: &str,
    ref_id: i64,
    actor: &User,
) -> Result<(), AppError> {
    db::insert_unit_event(
        tx,
        &db::UnitEventRow {
            id: 0,
            unit_id: unit,
            status: status.into(),
            ref_kind: Some(ref_kind.into()),
            ref_id: Some(ref_id),
            note: None,
            recorded_by: actor.id,
            recorded_at: app.now(),
        },
    )
    .await?;
    Ok(())
}

fn yuan(field: &'static str, raw: &str) -> Result<Yuan, AppError> {
    let y =
        Yuan::parse_fen_exact(field, raw).map_err(|e| AppError::invalid(field, e.to_string()))?;
    if y.is_negative() {
        return Err(AppError::invalid(
            field,
            format!("{field} may not be negative"),
        ));
    }
    Ok(y)
}

fn no_plan() -> AppError {
    AppError::Conflict {
        code: "no_plan",
        message: "no sale plan".into(),
    }
}

/// Whose turn it is (XY-25.4): choosing, being absent or declining is for the next in lottery
/// order without an outcome (递补); abandoning or missing the contract needs a chosen unit.
fn check_turn(
    outcome: SelectionOutcome,
    order: &[(String, i64)],
    last: &BTreeMap<i64, &db::SelectionRow>,
    no: &str,
    held: Option<&db::SelectionRow>,
) -> Result<(), AppError> {
    match outcome {
        SelectionOutcome::Chosen | SelectionOutcome::Absent | SelectionOutcome::Declined => {
            let decided: BTreeSet<String> = order
                .iter()
                .filter(|(_, a)| last.contains_key(a))
                .map(|(n, _)| n.clone())
                .collect();
            let names: Vec<String> = order.iter().map(|(n, _)| n.clone()).collect();
            let next = crate::domain::allocation::next_to_choose(&names, &decided);
            if next.map(String::as_str) != Some(no) {
                return Err(AppError::Rule {
                    code: "not_their_turn",
                    rule: "XY-25.4".into(),
                    message: format!(
                        "it is {}'s turn, in lottery order",
                        next.cloned().unwrap_or_else(|| "nobody".into())
                    ),
                });
            }
        }
        SelectionOutcome::Abandoned | SelectionOutcome::NoContract => {
            if held.map(|s| s.outcome.as_str()) != Some("chosen") {
                return Err(AppError::Conflict {
                    code: "nothing_chosen",
                    message: "the household holds no chosen unit".into(),
                });
            }
        }
    }
    Ok(())
}

/// The ban case an outcome is (YQ-14, NC-33, XY-25.4): declining is abandoning; abandoning
/// after a deposit is its own case where the pack has one.
fn ban_case(outcome: SelectionOutcome, paid_deposit: bool) -> Option<BanCase> {
    match outcome {
        SelectionOutcome::Chosen => None,
        SelectionOutcome::Absent => Some(BanCase::AbsentFromSelection),
        SelectionOutcome::Declined => Some(BanCase::AbandonAfterSelection),
        SelectionOutcome::Abandoned if paid_deposit => Some(BanCase::AbandonAfterDeposit),
        SelectionOutcome::Abandoned => Some(BanCase::AbandonAfterSelection),
        SelectionOutcome::NoContract => Some(BanCase::NoContractInTime),
    }
}

/// A contract's own figures: signed by today, the down payment within the price (all of it
/// for a lump sum).
fn check_contract_terms(
    input: &ContractInput,
    down: Yuan,
    price: Yuan,
    today: NaiveDate,
) -> Result<(), AppError> {
    if input.signed_on > today {
        return Err(AppError::invalid(
            "signed_on",
            "a contract is not signed in the future",
        ));
    }
    if down > price {
        return Err(AppError::invalid(
            "down_payment",
            format!("the down payment is above the price {price}"),
        ));
    }
    if input.payment == PaymentMethod::LumpSum && down != price {
        return Err(AppError::invalid(
            "down_payment",
            "a lump sum pays the whole price",
        ));
    }
    Ok(())
}

/// What the contract says: buyer and owners (NC-35: both spouses), the unit at its approved
/// price in figures and capitals, the annotation verbatim and where the file is archived.
fn contract_content(
    h: &crate::domain::allocation::household::Household,
    pu: &PlanUnit,
    payment: PaymentMethod,
    down: Yuan,
    sr: &crate::domain::allocation::SaleRules,
) -> Result<ContractContent, AppError> {
    use crate::domain::allocation::household::Relation;
    let owners: Vec<String> = if sr.both_spouses_on_title {
        h.members
            .iter()
            .filter(|m| matches!(m.relation, Relation::Applicant | Relation::Spouse))
            .map(|m| m.name.clone())
            .collect()
    } else {
        vec![h.applicant().name.clone()]
    };
    Ok(ContractContent {
        buyer: h.applicant().name.clone(),
        owners,
        room: pu.room.clone(),
        area_m2: pu.area_m2,
        price: pu.price,
        price_capitals: crate::domain::pricing::daxie::daxie(pu.price.value())
            .map_err(|e| AppError::Internal(e.to_string()))?,
        payment,
        down_payment: down,
        loan: pu.price.checked_sub(down).unwrap_or(Yuan::ZERO),
        annotation: sr.annotation.clone(),
        annotation_rule: sr.annotation_rule.clone(),
        archive_to: sr.archive_to.clone(),
    })
}

/// NC-33: a plan by scoring names its criteria (unique keys, 1–1,000 points each, at most 50);
/// a plan by any other method names none.
fn check_scoring(input: &SalePlanInput) -> Result<(), AppError> {
    let scoring = input.method == SaleMethod::Scoring;
    if scoring && input.scoring.is_empty() {
        return Err(AppError::Rule {
            code: "scoring_required",
            rule: "NC-33".into(),
            message: "a sale by scoring names its criteria and points (the text sets none)".into(),
        });
    }
    if !scoring && !input.scoring.is_empty() {
        return Err(AppError::invalid(
            "scoring",
            "only a sale by scoring has criteria",
        ));
    }
    if input.scoring.len() > 50 {
        return Err(AppError::invalid("scoring", "at most 50 criteria"));
    }
    let mut keys = BTreeSet::new();
    for (i, c) in input.scoring.iter().enumerate() {
        super::flow::one_line(&format!("scoring[{i}].key"), &c.key, 64)?;
        super::flow::one_line(&format!("scoring[{i}].label"), &c.label, 200)?;
        if c.key.trim().is_empty() || !keys.insert(c.key.clone()) {
            return Err(AppError::invalid(
                &format!("scoring[{i}].key"),
                "a unique key",
            ));
        }
        if !(1..=1000).contains(&c.points) {
            return Err(AppError::invalid(
                &format!("scoring[{i}].points"),
                "1 to 1,000 points",
            ));
        }
    }
    Ok(())
}

/// The newest score of each household in a sale.
async fn latest_points(tx: &mut Tx, id: i64) -> Result<BTreeMap<i64, i32>, AppError> {
    Ok(db::scores(tx, id)
        .await?
        .into_iter()
        .map(|s| (s.application_id, s.points))
        .collect())
}

/// The rank of each household's score, 1 = the highest; equal scores share a rank.
fn score_ranks(points: &BTreeMap<i64, i32>) -> Result<BTreeMap<i64, u8>, AppError> {
    let mut levels: Vec<i32> = points.values().copied().collect();
    levels.sort_unstable_by(|a, b| b.cmp(a));
    levels.dedup();
    if levels.len() > usize::from(u8::MAX) {
        return Err(AppError::invalid(
            "scoring",
            "at most 255 distinct scores in one draw",
        ));
    }
    Ok(points
        .iter()
        .map(|(a, p)| {
            let rank = levels.iter().position(|l| l == p).expect("listed") + 1;
            (*a, rank as u8)
        })
        .collect())
}
