//! Sealed developer bids of a round (issue 4, first part): the tender's terms, bids sealed until
//! the opening — and after the deadline nobody changes one — the opening as an action in the
//! round's history, and the scored comparison with the demand-matched plan.
//!
//! Sealed at rest (issue 19, `domain::seal`): a bid is encrypted to its round's key, whose
//! secret half only the opening key the housing bureau keeps unwraps. Before the opening no
//! account reads a bid's content — not officials, not the administrator, not a new account
//! made in a bidding company, not the bidder's own colleagues: a bidder gets its content back
//! with its receipt (reference, commitment, salt) when it submits, and reads the receipt after.
//! People see a bid's random reference and, once open, its number in the round; the database's
//! key stays inside, so nobody learns how many bids others filed.
//!
//! Limits (issue 15): a bid offers at most [`MAX_BID_UNITS`] units; a company files at most
//! [`MAX_BIDS_PER_COMPANY`] bids in a round; prices have at most two decimals; the tender's
//! terms are checked (positive budget and cap, a band whose minimum is not above its maximum,
//! a deadline still ahead) and may be corrected, with a reason, until the first bid. Every
//! write checks the round's state: after its demand survey and before it ends.

use super::beijing;
use super::flow::{DecimalText, require_role};
use super::{App, AppError};
use crate::domain::bids::{self, Bid, Criteria, Plan, Scored, TenderMode, Terms};
use crate::domain::review::ConstructionState;
use crate::domain::role::Role;
use crate::domain::seal;
use crate::domain::units::{AreaM2, Yuan};
use crate::store::Tx;
use crate::store::bids as db;
use crate::store::listings as ldb;
use crate::store::users::User;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Who reads opened bids: the officials deciding, and the supervisors (not the administrator,
/// who takes no part in any workflow).
const OFFICIALS: &[Role] = &[
    Role::HousingBureau,
    Role::LeadingGroup,
    Role::Acquirer,
    Role::FinanceBureau,
    Role::Supervisor,
];

/// The most units one bid offers.
pub const MAX_BID_UNITS: usize = 5_000;
/// The most bids (a later one supersedes an earlier) one company files in a round.
pub const MAX_BIDS_PER_COMPANY: i64 = 20;

fn random<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).expect("the system's random source");
    b
}

/// A money amount typed by a person: above zero, at most two decimals (whole fen).
fn money(field: &'static str, t: &DecimalText) -> Result<Decimal, AppError> {
    let v = Yuan::parse_fen_exact(field, &t.0)
        .map_err(|e| AppError::invalid(field, e.to_string()))?
        .value();
    if v <= Decimal::ZERO {
        return Err(AppError::invalid(field, "must be above zero"));
    }
    Ok(v)
}

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
    /// A correction of terms already set (before the first bid): why.
    #[serde(default)]
    pub reason: Option<String>,
}

/// The answer to setting a tender: the opening key, shown this once.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TenderSet {
    pub round_id: i64,
    /// The key that opens the bids (first setting only): 32 characters in groups of four.
    /// anju keeps no copy: print it, seal it, and hand it to the supervisor until the opening;
    /// without it the bids cannot be opened.
    pub opening_key: Option<String>,
    /// Whether this corrected terms set before.
    pub corrected: bool,
}

/// The opening: the key that unseals the bids.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpeningInput {
    #[serde(default)]
    pub opening_key: Option<String>,
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
    /// The bid's random public reference.
    #[serde(rename = "ref")]
    pub public_ref: String,
    /// Its number in the opened round (1, 2, …, in order of sealing); 0 until the opening.
    pub number: i64,
    pub developer_org: String,
    pub submitted_at: DateTime<Utc>,
    #[schema(value_type = Object)]
    pub bid: Bid,
    pub listing_id: Option<i64>,
    pub facts: BidFacts,
    /// Ceiling per m² minus the bid's price, once the listing is valued (negative: above it).
    #[schema(value_type = Option<String>)]
    pub gap_to_ceiling_per_m2: Option<Decimal>,
    /// The receipt: SHA-256 of `salt` and the bid's content as sealed.
    pub commitment: Option<String>,
    /// Given only to the bidder when it submits (with the commitment, its proof of content).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub salt: Option<String>,
    /// The exact content committed to (JSON), given with the salt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
}

/// A sealed bid as anyone may see it before the opening: its bidder's own receipt.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BidReceipt {
    #[serde(rename = "ref")]
    pub public_ref: String,
    pub developer_org: String,
    pub submitted_at: DateTime<Utc>,
    pub commitment: Option<String>,
    pub sealed: bool,
}

/// A round's bids as the caller may see them.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum RoundBids {
    /// Before the opening: the caller's company's receipts.
    Sealed(Vec<BidReceipt>),
    Open(Vec<BidView>),
}

/// What the sealed ciphertext holds: the salt and the exact content committed to.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SealedContent {
    salt: String,
    content: String,
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
    /// Who runs a round's tender is the pack's: the housing bureau by default (it solicits the
    /// listings, HS-A7.2), the acquiring company where the text says so (YQ-7.4).
    async fn require_tender_runner(
        &self,
        actor: &User,
        round_id: i64,
        what: &str,
    ) -> Result<(), AppError> {
        let pack = {
            let mut tx = self.store.read().await?;
            ldb::round(&mut tx, round_id)
                .await?
                .ok_or_else(|| AppError::NotFound(format!("round {round_id}")))?
                .pack
        };
        let (role, rule) = self.pack(&pack)?.tender_runner();
        if actor.role == role {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "in {pack} the {} runs the tender ({rule}): role {} may not {what}",
                role.label_zh(),
                actor.role
            )))
        }
    }

    /// Tenders, bids and openings belong to a round past its demand survey (HS-A7.1) and not
    /// ended (approved or cancelled): the workflow's start and end states say which.
    async fn round_open_for_bids(&self, tx: &mut Tx, round_id: i64) -> Result<(), AppError> {
        let inst = self.instance_of(tx, round_id, "round").await?;
        let def = self.def_by_hash(tx, &inst.def_hash).await?;
        let ended = def.state(&inst.state).is_some_and(|s| s.end);
        if ended || inst.state == def.start {
            return Err(AppError::Conflict {
                code: "wrong_state",
                message: format!(
                    "round {round_id} is in {}: tenders, bids and openings belong to a round after its demand survey and before it ends",
                    inst.state
                ),
            });
        }
        Ok(())
    }

    /// The tender's terms, checked: a known mode, a band within itself, positive money with
    /// two decimals, weights that sum to 100, a deadline still ahead and an opening after it.
    fn checked_terms(&self, t: &TenderInput) -> Result<(Terms, Decimal), AppError> {
        t.criteria
            .check()
            .map_err(|m| AppError::invalid("criteria", m))?;
        let area = |f: &'static str, d: &DecimalText| {
            AreaM2::parse(f, &d.0)
                .map_err(|e| AppError::invalid(f, e.to_string()))
                .and_then(|a| {
                    if a.value() > Decimal::ZERO {
                        Ok(a.value())
                    } else {
                        Err(AppError::invalid(f, "must be above zero"))
                    }
                })
        };
        let terms = Terms {
            mode: t.mode,
            min_unit_m2: t
                .min_unit_m2
                .as_ref()
                .map(|d| area("min_unit_m2", d))
                .transpose()?,
            max_unit_m2: area("max_unit_m2", &t.max_unit_m2)?,
            price_cap_per_m2: t
                .price_cap_per_m2
                .as_ref()
                .map(|d| money("price_cap_per_m2", d))
                .transpose()?,
            near_target: None,
        };
        if terms.min_unit_m2.is_some_and(|m| m > terms.max_unit_m2) {
            return Err(AppError::invalid(
                "min_unit_m2",
                "the band's minimum is above its maximum",
            ));
        }
        if terms.mode == TenderMode::FixedPriceCompeteArea && terms.price_cap_per_m2.is_none() {
            return Err(AppError::invalid(
                "price_cap_per_m2",
                "a fixed-price tender (限房价、竞面积) needs its price cap",
            ));
        }
        let budget = money("budget", &t.budget)?;
        if t.deadline_at <= self.now() {
            return Err(AppError::invalid(
                "deadline_at",
                format!(
                    "the deadline {} has passed (now {})",
                    beijing(t.deadline_at),
                    beijing(self.now())
                ),
            ));
        }
        if t.opening_at < t.deadline_at {
            return Err(AppError::invalid(
                "opening_at",
                "the opening comes after the deadline",
            ));
        }
        if let Some(a) = &t.acquirer {
            super::flow::one_line("acquirer", a, crate::domain::text::NAME_MAX)?;
        }
        Ok((terms, budget))
    }

    /// The housing bureau sets a round's tender: mode, limits, weights, budget, deadline and
    /// opening time; the answer carries the opening key, once. Set again before the first bid
    /// (with a reason), it corrects the terms; the correction is a new record in the history.
    pub async fn set_tender(
        &self,
        actor: &User,
        round_id: i64,
        t: TenderInput,
    ) -> Result<TenderSet, AppError> {
        self.require_tender_runner(actor, round_id, "set a round's tender")
            .await?;
        let (terms, budget) = self.checked_terms(&t)?;
        let mut tx = self.store.begin().await?;
        let inst = self.instance_of(&mut tx, round_id, "round").await?;
        self.round_open_for_bids(&mut tx, round_id).await?;
        let round = ldb::round(&mut tx, round_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("round {round_id}")))?;
        self.check_tender_acquirer(&mut tx, &round.pack, t.acquirer.as_deref())
            .await?;
        let stored = StoredTerms {
            terms,
            criteria: t.criteria.clone(),
            budget,
            acquirer: t.acquirer.as_deref().map(|a| a.trim().to_string()),
        };
        let mut row = db::TenderRow {
            round_id,
            terms: serde_json::to_string(&stored).expect("serialises"),
            deadline_at: t.deadline_at,
            opening_at: t.opening_at,
            seal_public: None,
            seal_wrapped: None,
            corrections: 0,
        };
        let now = self.now();
        let history = serde_json::json!({ "rule": "YQ-7.4", "terms": stored, "deadline_at": t.deadline_at, "opening_at": t.opening_at });
        if let Some(before) = db::tender(&mut tx, round_id).await? {
            // A typo is corrected before anyone bids on it; after the first bid the terms hold.
            let reason = t.reason.as_deref().unwrap_or_default();
            super::flow::many_lines("reason", reason, crate::domain::text::NOTE_MAX).map_err(
                |_| AppError::invalid("reason", "say why the tender's terms are corrected"),
            )?;
            if db::bid_count(&mut tx, round_id, None).await? > 0 {
                return Err(AppError::Conflict {
                    code: "tender_set",
                    message: format!(
                        "round {round_id}'s tender has bids; its terms are no longer corrected"
                    ),
                });
            }
            db::insert_correction(&mut tx, &row, reason, actor.id, now).await?;
            let mut h = history;
            h["before"] = serde_json::from_str(&before.terms).unwrap_or_default();
            self.record(&mut tx, &inst, actor, "correct_tender", Some(reason), h)
                .await?;
            tx.commit().await?;
            return Ok(TenderSet {
                round_id,
                opening_key: None,
                corrected: true,
            });
        }
        // The round's sealing key; its secret half leaves only wrapped under the opening key.
        let (public, secret) = seal::round_keys(random());
        let opening_key: [u8; 20] = random();
        row.seal_public = Some(hex::encode(public));
        row.seal_wrapped = Some(seal::wrap_secret(&secret, &opening_key, round_id, random()));
        db::insert_tender(&mut tx, &row, actor.id, now).await?;
        self.record(&mut tx, &inst, actor, "set_tender", None, history)
            .await?;
        tx.commit().await?;
        Ok(TenderSet {
            round_id,
            opening_key: Some(seal::opening_key_text(&opening_key)),
            corrected: false,
        })
    }

    /// A bid's content as the developer sent it, checked: units, prices, facts.
    fn checked_bid(b: &BidInput) -> Result<(Bid, BidFacts), AppError> {
        if b.units.len() > MAX_BID_UNITS {
            return Err(AppError::invalid(
                "units",
                format!("a bid offers at most {MAX_BID_UNITS} units"),
            ));
        }
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
                    out.push(money("unit price", p).map_err(|e| match e {
                        AppError::Invalid { message, .. } => {
                            AppError::invalid(&format!("unit_prices[{i}]"), message)
                        }
                        other => other,
                    })?);
                }
                Some(out)
            }
        };
        let price = match (&b.price_per_m2, &unit_prices) {
            (Some(p), None) => money("price_per_m2", p)?,
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
        let decoration = b
            .decoration
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty());
        if let Some(d) = decoration {
            super::flow::one_line("decoration", d, crate::domain::text::NAME_MAX)?;
        }
        let facts = BidFacts {
            delivery_date: b.delivery_date,
            construction_state: b.construction_state,
            decoration: decoration.map(str::to_string),
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
        Ok((bid, facts))
    }

    /// A developer seals its bid; a new bid supersedes its earlier one until the deadline.
    /// The answer is the bidder's receipt: its content, reference, commitment and salt.
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
        let (bid, facts) = Self::checked_bid(&b)?;
        let mut tx = self.store.begin().await?;
        let now = self.now();
        let tender = self
            .bidding_open(&mut tx, round_id, &org, b.listing_id, now)
            .await?;
        // YQ-7.1: a revocation reaches a tender already naming the company.
        let st: StoredTerms =
            serde_json::from_str(&tender.terms).map_err(|e| AppError::Internal(e.to_string()))?;
        let round = ldb::round(&mut tx, round_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("round {round_id}")))?;
        self.check_tender_acquirer(&mut tx, &round.pack, st.acquirer.as_deref())
            .await
            .map_err(|e| match e {
                AppError::Rule { message, .. } => AppError::Conflict {
                    code: "acquirer_revoked",
                    message: format!(
                        "the tender's acquiring company is no longer designated: {message}"
                    ),
                },
                other => other,
            })?;
        if db::bid_count(&mut tx, round_id, Some(&org)).await? >= MAX_BIDS_PER_COMPANY {
            return Err(AppError::Conflict {
                code: "too_many_bids",
                message: format!(
                    "{org} has filed {MAX_BIDS_PER_COMPANY} bids in round {round_id}, the most a company files"
                ),
            });
        }
        let public: [u8; 32] = tender
            .seal_public
            .as_deref()
            .and_then(|h| hex::decode(h).ok())
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| AppError::Conflict {
                code: "tender_unsealed",
                message: format!(
                    "round {round_id}'s tender was set before bids were sealed at rest; cancel the round and tender anew"
                ),
            })?;
        let content = serde_json::to_string(&StoredBid {
            bid: bid.clone(),
            listing_id: b.listing_id,
            facts: facts.clone(),
        })
        .expect("serialises");
        let salt = hex::encode(random::<16>());
        let commitment = seal::commitment(salt.as_bytes(), content.as_bytes());
        let public_ref = hex::encode(random::<16>());
        let plain = serde_json::to_vec(&SealedContent {
            salt: salt.clone(),
            content: content.clone(),
        })
        .expect("serialises");
        let sealed = seal::seal(
            &public,
            &plain,
            &seal::bid_aad(round_id, &org, &public_ref),
            random(),
            random(),
        );
        db::insert_bid(
            &mut tx,
            &db::NewBid {
                round_id,
                org: &org,
                public_ref: &public_ref,
                sealed: &serde_json::to_string(&sealed).expect("serialises"),
                commitment: &commitment,
                by: actor.id,
                at: now,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(BidView {
            public_ref,
            number: 0,
            developer_org: org,
            submitted_at: now,
            bid,
            listing_id: b.listing_id,
            facts,
            gap_to_ceiling_per_m2: None,
            commitment: Some(commitment),
            salt: Some(salt),
            content: Some(content),
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
        self.bidding_open(&mut tx, round_id, &org, listing_id, self.now())
            .await
            .map(|_| ())
    }

    /// Whether `org` may bid in the round at `now`: the round past its survey and not ended,
    /// the listing it names, if any, its own in this round, a tender whose deadline is ahead.
    /// Returns the tender.
    async fn bidding_open(
        &self,
        tx: &mut crate::store::Tx,
        round_id: i64,
        org: &str,
        listing_id: Option<i64>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<db::TenderRow, AppError> {
        self.round_open_for_bids(tx, round_id).await?;
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
                    "投标已于 {} 截止，密封的投标不能更改 (bids closed; a sealed bid cannot change)",
                    beijing(tender.deadline_at)
                ),
            });
        }
        Ok(tender)
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

    /// The content of one stored bid: decrypted with the round's released secret and checked
    /// against its commitment (a bid stored before sealing holds it in plain).
    fn unseal(
        round_id: i64,
        secret: Option<&[u8; 32]>,
        r: &db::BidRow,
    ) -> Result<StoredBid, AppError> {
        let broken = |why: &str| AppError::Conflict {
            code: "seal_broken",
            message: format!(
                "bid {} of round {round_id} {why}; the supervisors are to examine it",
                r.public_ref.as_deref().unwrap_or("(unsealed)")
            ),
        };
        let text = match (&r.sealed, secret) {
            (None, _) => r.payload.clone(),
            (Some(_), None) => {
                return Err(broken("is sealed and its round's key was not released"));
            }
            (Some(s), Some(key)) => {
                let sealed: seal::Sealed =
                    serde_json::from_str(s).map_err(|_| broken("is not a sealed bid"))?;
                let aad = seal::bid_aad(
                    round_id,
                    &r.developer_org,
                    r.public_ref.as_deref().unwrap_or_default(),
                );
                let plain = seal::open(key, &sealed, &aad)
                    .map_err(|_| broken("does not open with the round's key"))?;
                let c: SealedContent =
                    serde_json::from_slice(&plain).map_err(|_| broken("holds no bid"))?;
                if Some(seal::commitment(c.salt.as_bytes(), c.content.as_bytes())) != r.commitment {
                    return Err(broken("does not match its commitment"));
                }
                c.content
            }
        };
        serde_json::from_str(&text).map_err(|e| AppError::Internal(e.to_string()))
    }

    /// The opened round's bids, numbered in order of sealing, each with its listing's
    /// replacement ceiling once that listing is valued.
    async fn views(
        tx: &mut crate::store::Tx,
        round_id: i64,
        rows: Vec<db::BidRow>,
        numbers: &[i64],
    ) -> Result<Vec<BidView>, AppError> {
        let secret: Option<[u8; 32]> = db::opening_secret(tx, round_id)
            .await?
            .and_then(|h| hex::decode(h).ok())
            .and_then(|b| b.try_into().ok());
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let st = Self::unseal(round_id, secret.as_ref(), &r)?;
            let number = numbers
                .iter()
                .position(|id| *id == r.id)
                .map_or(0, |p| p as i64 + 1);
            let ceiling = match st.listing_id {
                Some(l) => ldb::latest_valuation(tx, l)
                    .await?
                    .map(|v| Yuan::from_fen(v.ceiling_per_m2_fen).value()),
                None => None,
            };
            out.push(BidView {
                public_ref: r.public_ref.clone().unwrap_or_else(|| format!("n{number}")),
                number,
                developer_org: r.developer_org,
                submitted_at: r.submitted_at,
                gap_to_ceiling_per_m2: ceiling.map(|c| c - st.bid.price_per_m2),
                bid: Bid {
                    id: number,
                    submitted_seq: number,
                    ceiling_per_m2: ceiling,
                    ..st.bid
                },
                listing_id: st.listing_id,
                facts: st.facts,
                commitment: r.commitment,
                salt: None,
                content: None,
            });
        }
        Ok(out)
    }

    /// The opened round's latest bids (of one company when `org` is given), numbered among all.
    async fn open_views(
        tx: &mut Tx,
        round_id: i64,
        org: Option<&str>,
    ) -> Result<Vec<BidView>, AppError> {
        let all = db::latest_bids(tx, round_id, None).await?;
        let numbers: Vec<i64> = all.iter().map(|r| r.id).collect();
        let rows = all
            .into_iter()
            .filter(|r| org.is_none_or(|o| r.developer_org == o))
            .collect();
        Self::views(tx, round_id, rows, &numbers).await
    }

    /// Bids of a round as the caller may see them: before the opening a developer reads its
    /// company's receipts and nobody reads content; after it officials read every bid and a
    /// developer its own (the others' as the result publishes them: [`App::bid_result`]).
    pub async fn round_bids(&self, actor: &User, round_id: i64) -> Result<RoundBids, AppError> {
        let mut tx = self.store.read().await?;
        self.instance_of(&mut tx, round_id, "round").await?;
        let opened = db::opening(&mut tx, round_id).await?;
        if actor.role == Role::Developer {
            let org = actor.org.clone().unwrap_or_default();
            if opened.is_some() {
                return Ok(RoundBids::Open(
                    Self::open_views(&mut tx, round_id, Some(&org)).await?,
                ));
            }
            let rows = db::latest_bids(&mut tx, round_id, Some(&org)).await?;
            return Ok(RoundBids::Sealed(
                rows.into_iter()
                    .map(|r| BidReceipt {
                        public_ref: r.public_ref.unwrap_or_default(),
                        developer_org: r.developer_org,
                        submitted_at: r.submitted_at,
                        sealed: r.sealed.is_some(),
                        commitment: r.commitment,
                    })
                    .collect(),
            ));
        }
        if !OFFICIALS.contains(&actor.role) {
            return Err(AppError::Forbidden("bids are not for this role".into()));
        }
        if opened.is_none() {
            return Err(AppError::Forbidden(
                "the bids are sealed until the opening".into(),
            ));
        }
        Ok(RoundBids::Open(
            Self::open_views(&mut tx, round_id, None).await?,
        ))
    }

    /// The opening: the housing bureau, at or after the opening time, once, with the opening
    /// key. Every bid is unsealed and checked against its commitment before the round's secret
    /// is released; a bid that does not open stops the opening.
    pub async fn open_bids(
        &self,
        actor: &User,
        round_id: i64,
        input: OpeningInput,
    ) -> Result<DateTime<Utc>, AppError> {
        self.require_tender_runner(actor, round_id, "open the bids")
            .await?;
        let mut tx = self.store.begin().await?;
        let inst = self.instance_of(&mut tx, round_id, "round").await?;
        self.round_open_for_bids(&mut tx, round_id).await?;
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
                message: format!(
                    "开标时间为 {} (the bids open then)",
                    beijing(tender.opening_at)
                ),
            });
        }
        if db::opening(&mut tx, round_id).await?.is_some() {
            return Err(AppError::Conflict {
                code: "already_open",
                message: "the bids are already open".into(),
            });
        }
        let secret = match &tender.seal_wrapped {
            None => None,
            Some(w) => {
                let text = input.opening_key.as_deref().unwrap_or_default();
                let key = seal::parse_opening_key(text)
                    .map_err(|e| AppError::invalid("opening_key", e.to_string()))?;
                Some(
                    seal::unwrap_secret(w, &key, round_id)
                        .map_err(|e| AppError::invalid("opening_key", e.to_string()))?,
                )
            }
        };
        let rows = db::latest_bids(&mut tx, round_id, None).await?;
        let mut commitments = Vec::with_capacity(rows.len());
        for r in &rows {
            Self::unseal(round_id, secret.as_ref(), r)?;
            commitments
                .push(serde_json::json!({ "ref": r.public_ref, "commitment": r.commitment }));
        }
        let released = secret.map(hex::encode);
        db::insert_opening(&mut tx, round_id, actor.id, now, released.as_deref()).await?;
        self.record(
            &mut tx,
            &inst,
            actor,
            "open_bids",
            None,
            serde_json::json!({ "rule": "YQ-7.4", "bids": rows.len(), "opened_at": now, "commitments": commitments }),
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
        let mut st: StoredTerms =
            serde_json::from_str(&tender.terms).map_err(|e| AppError::Internal(e.to_string()))?;
        // HS-A4.2's "about 90 m²" scores only where the round's pack sets it.
        st.terms.near_target = self.pack(&round.pack)?.review.near_target.clone();
        let views = Self::open_views(tx, round_id, None).await?;
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

    /// The result as it is published after the opening (财政部令第87号 art. 40: each bidder's
    /// name and price are announced at the opening): the ranking with every bid's company,
    /// price, compliant area and scores. Officials and every company that bid in the round read
    /// it; a bidder's own row is marked. Its units, listing and stated facts stay with the
    /// officials.
    pub async fn bid_result(&self, actor: &User, round_id: i64) -> Result<BidResult, AppError> {
        let mut tx = self.store.read().await?;
        self.instance_of(&mut tx, round_id, "round").await?;
        let org = match actor.role {
            Role::Developer => {
                let org = actor.org.clone().unwrap_or_default();
                if db::bid_count(&mut tx, round_id, Some(&org)).await? == 0 {
                    return Err(AppError::Forbidden(
                        "the result is published to the companies that bid in the round".into(),
                    ));
                }
                Some(org)
            }
            r if OFFICIALS.contains(&r) => None,
            _ => return Err(AppError::Forbidden("bids are not for this role".into())),
        };
        let c = self.comparison_in(&mut tx, round_id).await?;
        let approved = crate::store::instances::get(&mut tx, round_id)
            .await?
            .is_some_and(|i| i.state == "done");
        let rows = c
            .ranking
            .iter()
            .filter_map(|s| {
                let b = c.bids.iter().find(|b| b.number == s.id)?;
                Some(ResultRow {
                    rank: s.rank,
                    number: b.number,
                    developer_org: b.developer_org.clone(),
                    mine: org.as_deref() == Some(b.developer_org.as_str()),
                    price_per_m2: b.bid.price_per_m2,
                    units: b.bid.units.len(),
                    compliant_area_m2: s.compliant_area_m2,
                    valid: s.flags.valid,
                    competition_score: s.competition_score,
                    location_score: s.location_score,
                    transport_score: s.transport_score,
                    amenities_score: s.amenities_score,
                    compliance_score: s.compliance_score,
                    total: s.total,
                })
            })
            .collect();
        Ok(BidResult {
            round_id,
            round_name: ldb::round(&mut tx, round_id)
                .await?
                .map(|r| r.name)
                .unwrap_or_default(),
            opened_at: c.opened_at,
            acquirer: c.acquirer,
            rules: c.rules,
            plan_approved: approved,
            rows,
        })
    }

    /// The housing bureau records the opened comparison's plan (收购方案) as the input of the
    /// round's planning step (HS-A7.4): stored with its SHA-256, named in the round's history,
    /// and approved by the leading group's `approve_plan` (guard `plan_recorded`). A newer
    /// recording supersedes the older one until the approval.
    pub async fn record_plan(&self, actor: &User, round_id: i64) -> Result<RecordedPlan, AppError> {
        self.require_tender_runner(actor, round_id, "record the acquisition plan")
            .await?;
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

    /// The listings the round's latest recorded plan picked (through the bids naming them);
    /// `None` without a recorded plan (YQ-7.4: the units picked are the listings bought).
    pub(crate) async fn planned_listings(
        &self,
        tx: &mut Tx,
        round_id: i64,
    ) -> Result<Option<std::collections::BTreeSet<i64>>, AppError> {
        let Some(row) = db::latest_plan(tx, round_id).await? else {
            return Ok(None);
        };
        let plan: Plan =
            serde_json::from_str(&row.plan).map_err(|e| AppError::Internal(e.to_string()))?;
        let picked: std::collections::BTreeSet<i64> = plan.units.iter().map(|u| u.bid_id).collect();
        let mut out = std::collections::BTreeSet::new();
        for v in Self::open_views(tx, round_id, None).await? {
            if picked.contains(&v.bid.id) {
                out.extend(v.listing_id);
            }
        }
        Ok(Some(out))
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

/// The published result of an opened round (officials and bidders).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BidResult {
    pub round_id: i64,
    pub round_name: String,
    pub opened_at: DateTime<Utc>,
    pub acquirer: Option<String>,
    pub rules: Vec<String>,
    /// The leading group approved the round's plan.
    pub plan_approved: bool,
    pub rows: Vec<ResultRow>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ResultRow {
    pub rank: usize,
    pub number: i64,
    pub developer_org: String,
    /// The caller's own company's bid.
    pub mine: bool,
    #[schema(value_type = String)]
    pub price_per_m2: Decimal,
    pub units: usize,
    #[schema(value_type = String)]
    pub compliant_area_m2: Decimal,
    pub valid: bool,
    #[schema(value_type = String)]
    pub competition_score: Decimal,
    #[schema(value_type = String)]
    pub location_score: Decimal,
    #[schema(value_type = String)]
    pub transport_score: Decimal,
    #[schema(value_type = String)]
    pub amenities_score: Decimal,
    #[schema(value_type = String)]
    pub compliance_score: Decimal,
    #[schema(value_type = String)]
    pub total: Decimal,
}
