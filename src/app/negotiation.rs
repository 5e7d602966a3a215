//! HS-A7.5 negotiation: rounds of asking prices (developer) and offers (acquirer), per m² or for
//! the whole listing, each shown against the replacement-price ceiling (HS-P5) and the appraised
//! market price; and the printable negotiation record.

use super::flow::{DecimalText, ensure_listing_scope};
use super::{App, AppError, Idem, boxed};
use crate::domain::role::Role;
use crate::domain::units::{AreaM2, Yuan, parse_decimal};
use crate::store::listings::{self as db, OfferRow};
use crate::store::users::User;
use crate::workflow::def::Capability;
use chrono::{DateTime, Utc};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// Yuan per m² of gross floor area.
    PerM2,
    /// Yuan for the whole listing.
    Total,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema, validator::Validate)]
#[serde(deny_unknown_fields)]
pub struct OfferInput {
    pub basis: Basis,
    /// The amount in yuan (per m² or total, by `basis`), at most two decimals.
    pub amount: DecimalText,
    #[validate(length(max = 2000))]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OfferView {
    pub id: i64,
    /// `ask` (developer) or `offer` (acquirer).
    pub side: String,
    pub basis: String,
    pub per_m2: Yuan,
    pub total: Yuan,
    pub ceiling_per_m2: Yuan,
    /// Ceiling minus this price per m²; negative when above the ceiling.
    pub gap_to_ceiling_per_m2: Yuan,
    pub above_ceiling: bool,
    pub market_price_per_m2: Yuan,
    /// This price per m² minus the appraised market price.
    pub vs_market_per_m2: Yuan,
    pub note: Option<String>,
    pub made_by: String,
    pub made_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NegotiationView {
    pub listing_id: i64,
    pub project_name: String,
    pub developer_org: String,
    pub round_name: String,
    pub gross_area_m2: Option<AreaM2>,
    pub unit_count: usize,
    pub ceiling_per_m2: Option<Yuan>,
    pub ceiling_total: Option<Yuan>,
    pub market_price_per_m2: Option<Yuan>,
    pub offers: Vec<OfferView>,
    /// Agreed (negotiation) and final (leading group) prices.
    pub prices: Vec<super::views::PriceView>,
    pub rules: Vec<String>,
}

fn offer_view(o: &OfferRow, by: String) -> OfferView {
    let per = Yuan::from_fen(o.per_m2_fen);
    let ceiling = Yuan::from_fen(o.ceiling_per_m2_fen);
    let market = Yuan::from_fen(o.market_price_per_m2_fen);
    OfferView {
        id: o.id,
        side: o.side.clone(),
        basis: o.basis.clone(),
        per_m2: per,
        total: Yuan::from_fen(o.total_fen),
        ceiling_per_m2: ceiling,
        gap_to_ceiling_per_m2: Yuan::from_fen(o.ceiling_per_m2_fen - o.per_m2_fen),
        above_ceiling: o.per_m2_fen > o.ceiling_per_m2_fen,
        market_price_per_m2: market,
        vs_market_per_m2: Yuan::from_fen(o.per_m2_fen - o.market_price_per_m2_fen),
        note: o.note.clone(),
        made_by: by,
        made_at: o.made_at,
    }
}

impl App {
    /// Records an asking price (developer, own listing) or an offer (acquirer). An offer above the
    /// ceiling is refused (HS-A7.5); an asking price above it is recorded and flagged.
    pub async fn make_offer(
        &self,
        actor: &User,
        idem: Option<&Idem>,
        listing_id: i64,
        input: OfferInput,
    ) -> Result<(u16, OfferView), AppError> {
        let side = match actor.role {
            Role::Developer => "ask",
            Role::Acquirer => "offer",
            r => {
                return Err(AppError::Forbidden(format!(
                    "role {r} neither asks nor offers in a negotiation (developer, acquirer)"
                )));
            }
        };
        let amount = parse_decimal("amount", &input.amount.0)
            .map_err(|e| AppError::invalid("amount", e.to_string()))?;
        if amount <= Decimal::ZERO || amount.normalize().scale() > 2 {
            return Err(AppError::invalid(
                "amount",
                format!(
                    "amount must be a positive number of yuan with at most two decimals, got {}",
                    input.amount.0
                ),
            ));
        }
        let actor2 = actor.clone();
        self.command(actor, idem, 201, move |app, tx| {
            boxed(async move {
                let inst = app.instance_of(tx, listing_id, "listing").await?;
                let listing = db::listing(tx, listing_id)
                    .await?
                    .ok_or_else(|| AppError::NotFound(format!("listing {listing_id}")))?;
                ensure_listing_scope(&actor2, &listing)?;
                app.require_capability(tx, &inst, Capability::Offers)
                    .await?;
                let v =
                    db::latest_valuation(tx, listing_id)
                        .await?
                        .ok_or_else(|| AppError::Rule {
                            code: "no_valuation",
                            rule: "HS-A7.4".into(),
                            message: "no valuation has been recorded for this listing".into(),
                        })?;
                let area_centi = db::current_gross_area_centi(tx, listing_id).await?;
                if area_centi <= 0 {
                    return Err(AppError::Rule {
                        code: "no_units",
                        rule: "HS-A8".into(),
                        message: "the listing has no unit list".into(),
                    });
                }
                let area = AreaM2::from_centi(area_centi);
                // The other figure is derived and rounded half-up to the fen for display; the
                // amount as given is kept exactly.
                let (per_m2, total) = match input.basis {
                    Basis::PerM2 => (
                        amount,
                        (amount * area.value())
                            .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero),
                    ),
                    Basis::Total => (
                        (amount / area.value())
                            .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero),
                        amount,
                    ),
                };
                let per_m2_fen = Yuan::new(per_m2)
                    .and_then(|y| y.to_fen())
                    .map_err(|e| AppError::invalid("amount", e.to_string()))?;
                let total_fen = Yuan::new(total)
                    .and_then(|y| y.to_fen())
                    .map_err(|e| AppError::invalid("amount", e.to_string()))?;
                // HS-A7.5: the acquirer may not offer above the replacement-price ceiling.
                if side == "offer" && per_m2_fen > v.ceiling_per_m2_fen {
                    return Err(AppError::Rule {
                        code: "above_ceiling",
                        rule: "HS-A7.5".into(),
                        message: format!(
                            "offer {} yuan/m² is above the replacement-price ceiling {} yuan/m²",
                            Yuan::from_fen(per_m2_fen),
                            Yuan::from_fen(v.ceiling_per_m2_fen)
                        ),
                    });
                }
                let row = OfferRow {
                    id: 0,
                    listing_id,
                    side: side.into(),
                    basis: crate::util::enum_key(&input.basis),
                    per_m2_fen,
                    total_fen,
                    gross_area_centi: area_centi,
                    ceiling_per_m2_fen: v.ceiling_per_m2_fen,
                    market_price_per_m2_fen: v.market_price_per_m2_fen,
                    valuation_id: v.id,
                    note: input.note.clone(),
                    made_by: actor2.id,
                    made_at: app.now(),
                };
                let id = db::insert_offer(tx, &row).await?;
                let view = offer_view(&OfferRow { id, ..row }, actor2.name.clone());
                app.record(
                    tx,
                    &inst,
                    &actor2,
                    if side == "ask" {
                        "ask_price"
                    } else {
                        "offer_price"
                    },
                    input.note.as_deref(),
                    serde_json::json!({ "rule": "HS-A7.5", "offer": view }),
                )
                .await?;
                Ok(view)
            })
        })
        .await
    }

    pub async fn negotiation_view(
        &self,
        actor: &User,
        listing_id: i64,
    ) -> Result<NegotiationView, AppError> {
        let mut tx = self.store.read().await?;
        let tx = &mut tx;
        let listing = db::listing(tx, listing_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("listing {listing_id}")))?;
        ensure_listing_scope(actor, &listing)?;
        let round = db::round(tx, listing.round_id)
            .await?
            .ok_or_else(|| AppError::Internal("listing without round".into()))?;
        let units = db::current_units(tx, listing_id).await?;
        let area_centi: i64 = units.iter().map(|u| u.gross_area_m2.to_centi()).sum();
        let v = db::latest_valuation(tx, listing_id).await?;
        let ceiling_total = match &v {
            Some(v) => Some(self.valuation_view(tx, v).await?.ceiling_total),
            None => None,
        };
        let users: std::collections::HashMap<i64, String> = crate::store::users::list(tx)
            .await?
            .into_iter()
            .map(|u| (u.id, u.name))
            .collect();
        let offers = db::offers(tx, listing_id)
            .await?
            .iter()
            .map(|o| offer_view(o, users.get(&o.made_by).cloned().unwrap_or_default()))
            .collect();
        let prices = db::prices(tx, listing_id)
            .await?
            .into_iter()
            .map(|p| super::views::PriceView {
                kind: p.kind,
                price_per_m2: Yuan::from_fen(p.price_per_m2_fen),
                total: Yuan::from_fen(p.total_fen),
                ceiling_per_m2: p.ceiling_per_m2_fen.map(Yuan::from_fen),
                recorded_at: p.recorded_at,
            })
            .collect();
        Ok(NegotiationView {
            listing_id,
            project_name: listing.project_name,
            developer_org: listing.developer_org,
            round_name: round.name,
            gross_area_m2: (area_centi > 0).then(|| AreaM2::from_centi(area_centi)),
            unit_count: units.len(),
            ceiling_per_m2: v.as_ref().map(|v| Yuan::from_fen(v.ceiling_per_m2_fen)),
            ceiling_total,
            market_price_per_m2: v
                .as_ref()
                .map(|v| Yuan::from_fen(v.market_price_per_m2_fen)),
            offers,
            prices,
            rules: vec!["HS-A7.5".into(), "HS-P5".into(), "HS-P6".into()],
        })
    }
}
