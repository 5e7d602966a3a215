//! Sealed developer bids of a round (issue 4, first part): the tender's terms, bids sealed until
//! the opening — before it nobody but the bidding company reads a bid, and after the deadline
//! nobody changes one — the opening as an action in the round's history, and the scored
//! comparison with the demand-matched plan.

use super::flow::{DecimalText, require_role};
use super::pricing::dec;
use super::{App, AppError};
use crate::domain::bids::{self, Bid, Criteria, Plan, Scored, TenderMode, Terms};
use crate::domain::review::ConstructionState;
use crate::domain::role::Role;
use crate::domain::units::{AreaM2, Yuan};
use crate::store::Tx;
use crate::store::bids as db;
use crate::store::listings as ldb;
use crate::store::users::User;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Who reads opened bids: the officials deciding, and the supervisors.
const OFFICIALS: &[Role] = &[
    Role::HousingBureau,
    Role::LeadingGroup,
    Role::Acquirer,
    Role::FinanceBureau,
    Role::Supervisor,
    Role::Admin,
];

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenderInput {
    #[schema(value_type = String, example = "fixed_area_compete_price")]
    pub mode: TenderMode,
    #[schema(value_type = Option<String>, example = "70")]
    pub min_unit_m2: Option<DecimalText>,
    #[schema(value_type = String, example = "120")]
    pub max_unit_m2: DecimalText,
    #[schema(value_type = Option<String>)]
    pub price_cap_per_m2: Option<DecimalText>,
    /// Weights (sum 100) and the distances that score full and none.
    #[schema(value_type = Object)]
    pub criteria: Criteria,
    /// The round's acquisition budget, yuan.
    #[schema(value_type = String, example = "50000000")]
    pub budget: DecimalText,
    pub deadline_at: DateTime<Utc>,
    pub opening_at: DateTime<Utc>,
    /// The acquiring company (收购主体) tendering: a current designation of the round's pack
    /// where the pack limits its acquirers (YQ-7.1).
    #[serde(default)]
    pub acquirer: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredTerms {
    terms: Terms,
    criteria: Criteria,
    budget: Decimal,
    #[serde(default)]
    acquirer: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BidInput {
    /// Gross floor area of each unit offered (the 楼盘表's 建筑面积).
    #[schema(value_type = Vec<String>)]
    pub units: Vec<DecimalText>,
    /// The asking price per m² of gross floor area — or leave it out and give `unit_prices`.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "3850")]
    pub price_per_m2: Option<DecimalText>,
    /// The asking price of each unit, yuan, in the order of `units`, for a developer pricing
    /// by the unit; the bid then competes at Σ prices ÷ Σ areas, half-up to the fen.
    #[serde(default)]
    #[schema(value_type = Option<Vec<String>>)]
    pub unit_prices: Option<Vec<DecimalText>>,
    /// Delivery date (交付时间), completion state and decoration (装修) as offered.
    #[serde(default)]
    pub delivery_date: Option<chrono::NaiveDate>,
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "completed")]
    pub construction_state: Option<ConstructionState>,
    #[serde(default)]
    pub decoration: Option<String>,
    pub whole_building: bool,
    pub clear_title: bool,
    pub has_delivery_date: bool,
    pub transit_m: u32,
    pub school_m: u32,
    pub hospital_m: u32,
    pub shops_m: u32,
    pub amenities: u32,
    /// The listing this bid offers, when it is in the round: its valuation's replacement
    /// price becomes the bid's ceiling (HS-A7.5), shown beside the price with the gap to it.
    #[serde(default)]
    pub listing_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BidView {
    pub id: i64,
    pub developer_org: String,
    pub submitted_at: DateTime<Utc>,
    #[schema(value_type = Object)]
    pub bid: Bid,
    pub listing_id: Option<i64>,
    pub facts: BidFacts,
    /// Ceiling per m² minus the bid's price, once the listing is valued (negative: above it).
    #[schema(value_type = Option<String>)]
    pub gap_to_ceiling_per_m2: Option<Decimal>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredBid {
    bid: Bid,
    listing_id: Option<i64>,
    #[serde(default)]
    facts: BidFacts,
}

/// What a bid states beside the scored facts, shown in the comparison.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BidFacts {
    pub delivery_date: Option<chrono::NaiveDate>,
    #[schema(value_type = Option<String>)]
    pub construction_state: Option<ConstructionState>,
    pub decoration: Option<String>,
    /// Each unit's asking price, yuan, when the bid prices by the unit.
    #[schema(value_type = Option<Vec<String>>)]
    pub unit_prices: Option<Vec<Decimal>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Comparison {
    pub round_id: i64,
    pub opened_at: DateTime<Utc>,
    pub rules: Vec<String>,
    #[schema(value_type = Object)]
    pub terms: Terms,
    #[schema(value_type = Object)]
    pub criteria: Criteria,
    pub bids: Vec<BidView>,
    /// Ranked, with flags and scores.
    #[schema(value_type = Vec<Object>)]
    pub ranking: Vec<Scored>,
    #[schema(value_type = Object)]
    pub plan: Plan,
    /// The acquiring company that tendered (YQ-7.1), when the tender names one.
    pub acquirer: Option<String>,
}

impl App {
    /// The housing bureau sets a round's tender once: mode, limits, weights, budget, deadline
    /// and opening time.
    pub async fn set_tender(
        &self,
        actor: &User,
        round_id: i64,
        t: TenderInput,
    ) -> Result<(), AppError> {
        require_role(actor, &[Role::HousingBureau], "set a round's tender")?;
        t.criteria
            .check()
            .map_err(|m| AppError::invalid("criteria", m))?;
        if t.opening_at < t.deadline_at {
            return Err(AppError::invalid(
                "opening_at",
                "the opening comes after the deadline",
            ));
        }
        let terms = Terms {
            mode: t.mode,
            min_unit_m2: t
                .min_unit_m2
                .as_ref()
                .map(|d| dec("min_unit_m2", d))
                .transpose()?,
            max_unit_m2: dec("max_unit_m2", &t.max_unit_m2)?,
            price_cap_per_m2: t
                .price_cap_per_m2
                .as_ref()
                .map(|d| dec("price_cap_per_m2", d))
                .transpose()?,
        };
        if terms.mode == TenderMode::FixedPriceCompeteArea && terms.price_cap_per_m2.is_none() {
            return Err(AppError::invalid(
                "price_cap_per_m2",
                "a fixed-price tender (限房价、竞面积) needs its price cap",
            ));
        }
        let budget = Yuan::parse_fen_exact("budget", &t.budget.0)
            .map_err(|e| AppError::invalid("budget", e.to_string()))?
            .value();
        let mut tx = self.store.begin().await?;
        let inst = self.instance_of(&mut tx, round_id, "round").await?;
        let round = ldb::round(&mut tx, round_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("round {round_id}")))?;
        self.check_tender_acquirer(&mut tx, &round.pack, t.acquirer.as_deref())
            .await?;
        if db::tender(&mut tx, round_id).await?.is_some() {
            return Err(AppError::Conflict {
                code: "tender_set",
                message: format!("round {round_id} already has its tender"),
            });
        }
        let stored = StoredTerms {
            terms,
            criteria: t.criteria.clone(),
            budget,
            acquirer: t.acquirer.as_deref().map(|a| a.trim().to_string()),
        };
        db::insert_tender(
            &mut tx,
            &db::TenderRow {
                round_id,
                terms: serde_json::to_string(&stored).expect("serialises"),
                deadline_at: t.deadline_at,
                opening_at: t.opening_at,
            },
            actor.id,
            self.now(),
        )
        .await?;
        self.record(&mut tx, &inst, actor, "set_tender", None, serde_json::json!({ "rule": "YQ-7.4", "terms": stored, "deadline_at": t.deadline_at, "opening_at": t.opening_at })).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A developer seals its bid; a new bid supersedes its earlier one until the deadline.
    pub async fn submit_bid(
        &self,
        actor: &User,
        round_id: i64,
        b: BidInput,
    ) -> Result<BidView, AppError> {
        require_role(actor, &[Role::Developer], "submit a bid")?;
        let org = actor
            .org
            .clone()
            .ok_or_else(|| AppError::Forbidden("a developer belongs to a company".into()))?;
        let mut units = Vec::with_capacity(b.units.len());
        for (i, u) in b.units.iter().enumerate() {
            units.push(
                AreaM2::parse("area", &u.0)
                    .map_err(|e| AppError::invalid(&format!("units[{i}]"), e.to_string()))?,
            );
        }
        if units.is_empty() {
            return Err(AppError::invalid("units", "a bid offers at least one unit"));
        }
        let unit_prices = match &b.unit_prices {
            None => None,
            Some(ps) => {
                if ps.len() != units.len() {
                    return Err(AppError::invalid(
                        "unit_prices",
                        format!(
                            "one price per unit: {} units, {} prices",
                            units.len(),
                            ps.len()
                        ),
                    ));
                }
                let mut out = Vec::with_capacity(ps.len());
                for (i, p) in ps.iter().enumerate() {
                    let v = Yuan::parse_fen_exact("unit price", &p.0)
                        .map_err(|e| {
                            AppError::invalid(&format!("unit_prices[{i}]"), e.to_string())
                        })?
                        .value();
                    if v <= Decimal::ZERO {
                        return Err(AppError::invalid(
                            &format!("unit_prices[{i}]"),
                            "the price must be above zero",
                        ));
                    }
                    out.push(v);
                }
                Some(out)
            }
        };
        let price = match (&b.price_per_m2, &unit_prices) {
            (Some(p), None) => dec("price_per_m2", p)?,
            (None, Some(ps)) => {
                let area: Decimal = units.iter().map(|a| a.value()).sum();
                (ps.iter().sum::<Decimal>() / area)
                    .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
            }
            (Some(_), Some(_)) => {
                return Err(AppError::invalid(
                    "price_per_m2",
                    "give the price per m² or the price of each unit, not both",
                ));
            }
            (None, None) => {
                return Err(AppError::invalid(
                    "price_per_m2",
                    "the asking price is required: price_per_m2, or unit_prices",
                ));
            }
        };
        if price <= Decimal::ZERO {
            return Err(AppError::invalid(
                "price_per_m2",
                "the price must be above zero",
            ));
        }
        let mut tx = self.store.begin().await?;
        let now = self.now();
        Self::bidding_open(&mut tx, round_id, &org, b.listing_id, now).await?;
        let facts = BidFacts {
            delivery_date: b.delivery_date,
            construction_state: b.construction_state,
            decoration: b
                .decoration
                .as_deref()
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .map(str::to_string),
            unit_prices,
        };
        let bid = Bid {
            id: 0,
            units,
            price_per_m2: price,
            whole_building: b.whole_building,
            clear_title: b.clear_title,
            has_delivery_date: b.has_delivery_date || b.delivery_date.is_some(),
            transit_m: b.transit_m,
            school_m: b.school_m,
            hospital_m: b.hospital_m,
            shops_m: b.shops_m,
            amenities: b.amenities,
            ceiling_per_m2: None,
            submitted_seq: 0,
        };
        let id = db::insert_bid(
            &mut tx,
            round_id,
            &org,
            &serde_json::to_string(&StoredBid {
                bid: bid.clone(),
                listing_id: b.listing_id,
                facts: facts.clone(),
            })
            .expect("serialises"),
            actor.id,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(BidView {
            id,
            developer_org: org,
            submitted_at: now,
            bid: Bid {
                id,
                submitted_seq: id,
                ..bid
            },
            listing_id: b.listing_id,
            facts,
            gap_to_ceiling_per_m2: None,
        })
    }

    /// Whether `actor` may send a bid workbook to this round now (a developer of a company, the
    /// listing its own in this round, a tender open for bids): checked before a byte of the
    /// workbook is read; `submit_bid` checks again in its transaction.
    pub async fn admit_bid_workbook(
        &self,
        actor: &User,
        round_id: i64,
        listing_id: Option<i64>,
    ) -> Result<(), AppError> {
        require_role(actor, &[Role::Developer], "submit a bid")?;
        let org = actor
            .org
            .clone()
            .ok_or_else(|| AppError::Forbidden("a developer belongs to a company".into()))?;
        let mut tx = self.store.read().await?;
        Self::bidding_open(&mut tx, round_id, &org, listing_id, self.now()).await
    }

    /// Whether `org` may bid in the round at `now`: the listing it names, if any, is its own in
    /// this round; the round has a tender; the tender's deadline is ahead.
    async fn bidding_open(
        tx: &mut crate::store::Tx,
        round_id: i64,
        org: &str,
        listing_id: Option<i64>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), AppError> {
        if let Some(l) = listing_id {
            ldb::listing(tx, l)
                .await?
                .filter(|x| x.round_id == round_id && x.developer_org == org)
                .ok_or_else(|| {
                    AppError::invalid(
                        "listing_id",
                        format!("listing {l} is not your company's listing in round {round_id}"),
                    )
                })?;
        }
        let tender = db::tender(tx, round_id)
            .await?
            .ok_or_else(|| AppError::Conflict {
                code: "no_tender",
                message: format!("round {round_id} has no tender"),
            })?;
        if now >= tender.deadline_at {
            return Err(AppError::Conflict {
                code: "bidding_closed",
                message: format!(
                    "bids closed at {}; a sealed bid cannot change",
                    tender.deadline_at
                ),
            });
        }
        Ok(())
    }

    /// A bid as a workbook (楼盘表 + 报价), checked cell by cell and all or nothing, once the
    /// caller is admitted. A mortgaged or seized unit makes the title unclear whatever the sheet
    /// says.
    pub async fn submit_bid_xlsx(
        &self,
        actor: &User,
        round_id: i64,
        bytes: Vec<u8>,
        listing_id: Option<i64>,
    ) -> Result<BidView, AppError> {
        self.admit_bid_workbook(actor, round_id, listing_id).await?;
        let (units, f) = self
            .parse(move || crate::excel::bid::parse_bid(&bytes))
            .await?
            .map_err(AppError::Workbook)?;
        let encumbered = units.iter().any(|u| u.mortgaged || u.seized);
        let input = BidInput {
            units: units
                .iter()
                .map(|u| DecimalText(u.gross_area_m2.to_string()))
                .collect(),
            price_per_m2: f.price_per_m2.map(DecimalText),
            unit_prices: f
                .unit_prices
                .map(|ps| ps.into_iter().map(DecimalText).collect()),
            delivery_date: f.delivery_date,
            construction_state: f.construction_state,
            decoration: f.decoration,
            whole_building: f.whole_building,
            clear_title: f.clear_title && !encumbered,
            has_delivery_date: f.has_delivery_date,
            transit_m: f.numbers[0],
            school_m: f.numbers[1],
            hospital_m: f.numbers[2],
            shops_m: f.numbers[3],
            amenities: f.numbers[4],
            listing_id,
        };
        self.submit_bid(actor, round_id, input).await
    }

    /// Bids as stored, each with its listing's replacement ceiling once that listing is valued.
    async fn views(
        tx: &mut crate::store::Tx,
        rows: Vec<db::BidRow>,
    ) -> Result<Vec<BidView>, AppError> {
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let st: StoredBid =
                serde_json::from_str(&r.payload).map_err(|e| AppError::Internal(e.to_string()))?;
            let ceiling = match st.listing_id {
                Some(l) => ldb::latest_valuation(tx, l)
                    .await?
                    .map(|v| Yuan::from_fen(v.ceiling_per_m2_fen).value()),
                None => None,
            };
            out.push(BidView {
                id: r.id,
                developer_org: r.developer_org,
                submitted_at: r.submitted_at,
                gap_to_ceiling_per_m2: ceiling.map(|c| c - st.bid.price_per_m2),
                bid: Bid {
                    id: r.id,
                    submitted_seq: r.id,
                    ceiling_per_m2: ceiling,
                    ..st.bid
                },
                listing_id: st.listing_id,
                facts: st.facts,
            });
        }
        Ok(out)
    }

    /// Bids of a round as the caller may see them: before the opening only the caller's own
    /// company's bid, to developers only; after it, officials see all, developers still only
    /// their own.
    pub async fn round_bids(&self, actor: &User, round_id: i64) -> Result<Vec<BidView>, AppError> {
        let mut tx = self.store.read().await?;
        self.instance_of(&mut tx, round_id, "round").await?;
        let opened = db::opening(&mut tx, round_id).await?;
        if actor.role == Role::Developer {
            let org = actor.org.clone().unwrap_or_default();
            return {
                let rows = db::latest_bids(&mut tx, round_id, Some(&org)).await?;
                Self::views(&mut tx, rows).await
            };
        }
        if !OFFICIALS.contains(&actor.role) {
            return Err(AppError::Forbidden("bids are not for this role".into()));
        }
        if opened.is_none() {
            return Err(AppError::Forbidden(
                "the bids are sealed until the opening".into(),
            ));
        }
        {
            let rows = db::latest_bids(&mut tx, round_id, None).await?;
            Self::views(&mut tx, rows).await
        }
    }

    /// The opening: the housing bureau, at or after the opening time, once.
    pub async fn open_bids(&self, actor: &User, round_id: i64) -> Result<DateTime<Utc>, AppError> {
        require_role(actor, &[Role::HousingBureau], "open the bids")?;
        let mut tx = self.store.begin().await?;
        let inst = self.instance_of(&mut tx, round_id, "round").await?;
        let tender = db::tender(&mut tx, round_id)
            .await?
            .ok_or_else(|| AppError::Conflict {
                code: "no_tender",
                message: format!("round {round_id} has no tender"),
            })?;
        let now = self.now();
        if now < tender.opening_at {
            return Err(AppError::Conflict {
                code: "not_yet",
                message: format!("the bids open at {}", tender.opening_at),
            });
        }
        if db::opening(&mut tx, round_id).await?.is_some() {
            return Err(AppError::Conflict {
                code: "already_open",
                message: "the bids are already open".into(),
            });
        }
        db::insert_opening(&mut tx, round_id, actor.id, now).await?;
        let n = db::latest_bids(&mut tx, round_id, None).await?.len();
        self.record(
            &mut tx,
            &inst,
            actor,
            "open_bids",
            None,
            serde_json::json!({ "rule": "YQ-7.4", "bids": n, "opened_at": now }),
        )
        .await?;
        tx.commit().await?;
        Ok(now)
    }

    /// The comparison the housing bureau decides on: every bid's flags and scores, the ranking
    /// and the plan filling the surveyed demand within the budget (officials, after the opening).
    pub async fn comparison(&self, actor: &User, round_id: i64) -> Result<Comparison, AppError> {
        require_role(actor, OFFICIALS, "read the bid comparison")?;
        let mut tx = self.store.read().await?;
        self.comparison_in(&mut tx, round_id).await
    }

    async fn comparison_in(&self, tx: &mut Tx, round_id: i64) -> Result<Comparison, AppError> {
        let round = ldb::round(tx, round_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("round {round_id}")))?;
        let opened_at = db::opening(tx, round_id)
            .await?
            .ok_or_else(|| AppError::Forbidden("the bids are sealed until the opening".into()))?;
        let tender = db::tender(tx, round_id)
            .await?
            .ok_or_else(|| AppError::Internal("opened without a tender".into()))?;
        let st: StoredTerms =
            serde_json::from_str(&tender.terms).map_err(|e| AppError::Internal(e.to_string()))?;
        let views = {
            let rows = db::latest_bids(tx, round_id, None).await?;
            Self::views(tx, rows).await
        }?;
        let list: Vec<Bid> = views.iter().map(|v| v.bid.clone()).collect();
        let ranking = bids::score(&st.terms, &st.criteria, &list);
        let demand =
            crate::domain::survey::aggregate_by_band(&ldb::survey_returns(tx, round_id).await?);
        let pack = self.pack(&round.pack)?;
        let plan = bids::plan(
            &ranking,
            &list,
            &st.terms,
            &pack.demand_bands,
            &demand,
            st.budget,
        );
        Ok(Comparison {
            round_id,
            opened_at,
            rules: vec![
                "YQ-7.4".into(),
                "财政部令第87号第55条".into(),
                "HS-A2".into(),
            ],
            terms: st.terms,
            criteria: st.criteria,
            bids: views,
            ranking,
            plan,
            acquirer: st.acquirer,
        })
    }

    /// The housing bureau records the opened comparison's plan (收购方案) as the input of the
    /// round's planning step (HS-A7.4): stored with its SHA-256, named in the round's history,
    /// and approved by the leading group's `approve_plan` (guard `plan_recorded`). A newer
    /// recording supersedes the older one until the approval.
    pub async fn record_plan(&self, actor: &User, round_id: i64) -> Result<RecordedPlan, AppError> {
        require_role(actor, &[Role::HousingBureau], "record the acquisition plan")?;
        let mut tx = self.store.begin().await?;
        let inst = self.instance_of(&mut tx, round_id, "round").await?;
        if inst.state != "planning" {
            return Err(AppError::Conflict {
                code: "wrong_state",
                message: format!(
                    "the plan is recorded in the round's planning step; round {round_id} is in {}",
                    inst.state
                ),
            });
        }
        if db::opening(&mut tx, round_id).await?.is_none() {
            return Err(AppError::Conflict {
                code: "not_opened",
                message: "the bids have not been opened; the plan comes from their comparison"
                    .into(),
            });
        }
        let c = self.comparison_in(&mut tx, round_id).await?;
        let text = serde_json::to_string(&c.plan).expect("serialises");
        let sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(text.as_bytes()));
        let now = self.now();
        let id = db::insert_plan(&mut tx, round_id, &text, &sha256, actor.id, now).await?;
        self.record(
            &mut tx,
            &inst,
            actor,
            "record_plan",
            None,
            serde_json::json!({ "rule": "HS-A7.4", "plan_id": id, "sha256": sha256, "by_band": c.plan.by_band, "spent": c.plan.spent, "budget": c.plan.budget, "units": c.plan.units.len() }),
        )
        .await?;
        tx.commit().await?;
        Ok(RecordedPlan {
            id,
            round_id,
            sha256,
            recorded_by: actor.id,
            recorded_at: now,
            plan: c.plan,
        })
    }

    /// The round's latest recorded plan (officials).
    pub async fn recorded_plan(
        &self,
        actor: &User,
        round_id: i64,
    ) -> Result<RecordedPlan, AppError> {
        require_role(actor, OFFICIALS, "read the acquisition plan")?;
        let mut tx = self.store.read().await?;
        self.instance_of(&mut tx, round_id, "round").await?;
        let row = db::latest_plan(&mut tx, round_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("a recorded plan of round {round_id}")))?;
        let plan: Plan =
            serde_json::from_str(&row.plan).map_err(|e| AppError::Internal(e.to_string()))?;
        Ok(RecordedPlan {
            id: row.id,
            round_id,
            sha256: row.sha256,
            recorded_by: row.recorded_by,
            recorded_at: row.recorded_at,
            plan,
        })
    }
}

/// A plan as recorded for the planning step.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecordedPlan {
    pub id: i64,
    pub round_id: i64,
    /// SHA-256 of the stored plan text; the approval's history entry names it.
    pub sha256: String,
    pub recorded_by: i64,
    pub recorded_at: DateTime<Utc>,
    #[schema(value_type = Object)]
    pub plan: Plan,
}
