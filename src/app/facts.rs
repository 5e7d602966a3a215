//! Loads the facts an action's guards need, and nothing more (see `guards::Need`).

use super::AppError;
use crate::domain::review::ListingFacts;
use crate::domain::survey::{aggregate_by_band, band_of};
use crate::domain::unit_list::UnitRow;
use crate::domain::units::YuanPerM2;
use crate::store::{Tx, instances::InstanceRow, listings as db};
use crate::workflow::def::WorkflowDef;
use crate::workflow::guards::{Facts, Need, TitleSignoff};
use crate::workflow::pack::Pack;
use std::collections::{BTreeMap, BTreeSet};

/// The listing facts of the HS-A4 review, from the stored listing.
pub fn listing_facts(l: &db::ListingRow) -> Result<ListingFacts, AppError> {
    let bad = |e: String| AppError::Internal(format!("stored listing {}: {e}", l.instance_id));
    Ok(ListingFacts {
        construction_state: crate::util::parse_enum_key(&l.construction_state).map_err(bad)?,
        topped_out: l.topped_out,
        in_delivery_campaign: l.in_delivery_campaign,
        delivery_date: l.delivery_date,
        offer_scope: crate::util::parse_enum_key(&l.offer_scope).map_err(bad)?,
        decoration: l.decoration.clone(),
        findings: None,
    })
}

/// Units per demand band; units in no band are counted under `"(none)"` so they can never fit.
pub fn units_by_band(pack: &Pack, units: &[UnitRow]) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for u in units {
        let key = band_of(&pack.demand_bands, u.gross_area_m2)
            .map(|b| b.key.clone())
            .unwrap_or_else(|| "(none)".into());
        *out.entry(key).or_default() += 1;
    }
    out
}

/// Approved exceptions waiving review checks of a listing.
pub async fn waived_checks(tx: &mut Tx, listing_id: i64) -> Result<BTreeSet<String>, AppError> {
    Ok(db::exceptions(tx, None, Some(listing_id))
        .await?
        .into_iter()
        .filter(|e| e.approved == Some(true))
        .map(|e| e.check_id)
        .collect())
}

/// Loads the facts of `needs` for an instance.
pub async fn load(
    app: &super::App,
    tx: &mut Tx,
    def: &WorkflowDef,
    inst: &InstanceRow,
    needs: &BTreeSet<Need>,
) -> Result<Facts, AppError> {
    let mut f = Facts {
        state_deadline: inst.deadline_due,
        ..Facts::default()
    };
    let is_listing = inst.kind == "listing";
    for need in needs {
        match need {
            Need::Documents if is_listing => {
                f.documents_present = db::documents(tx, inst.id)
                    .await?
                    .into_iter()
                    .map(|d| d.kind)
                    .collect();
            }
            Need::Review if is_listing => {
                let l = db::listing(tx, inst.id)
                    .await?
                    .ok_or_else(|| AppError::NotFound(format!("listing {}", inst.id)))?;
                f.listing = Some(listing_facts(&l)?);
                f.units = db::current_units(tx, inst.id).await?;
                f.review_params = Some(def.pack.review.clone());
                f.waived_checks = waived_checks(tx, inst.id).await?;
            }
            Need::TitleSignoff if is_listing => {
                f.title_signoff = db::latest_title_signoff(tx, inst.id)
                    .await?
                    .map(|(s, by)| TitleSignoff { clear: s.clear, by });
            }
            Need::Objections if inst.kind == "application" => {
                f.open_objections =
                    crate::store::allocation::open_objections(tx, inst.id).await? as u32;
            }
            Need::Materials | Need::Verifications | Need::Eligibility | Need::Rereview
                if inst.kind == "application" =>
            {
                application_facts(app, tx, inst, *need, &mut f).await?;
            }
            Need::Sale if inst.kind == "sale" => {
                f.sale_plan = crate::store::allocation::latest_plan(tx, inst.id)
                    .await?
                    .is_some();
                f.lottery_settled = app.sale_order_settled(tx, inst.id).await?;
            }
            Need::Objections if is_listing => {
                f.open_objections = db::objections(tx, inst.id)
                    .await?
                    .iter()
                    .filter(|o| o.resolution.is_none())
                    .count() as u32;
            }
            Need::Valuation if is_listing => {
                f.ceiling_per_m2 = db::latest_valuation(tx, inst.id)
                    .await?
                    .map(|v| YuanPerM2::from_fen(v.ceiling_per_m2_fen));
            }
            Need::Demand => {
                let round_id = if is_listing {
                    db::listing(tx, inst.id)
                        .await?
                        .ok_or_else(|| AppError::NotFound(format!("listing {}", inst.id)))?
                        .round_id
                } else {
                    inst.id
                };
                f.demand = aggregate_by_band(&db::survey_returns(tx, round_id).await?);
                for other in db::listings(tx, Some(round_id), None).await? {
                    if other.instance_id == inst.id {
                        continue;
                    }
                    let oi = crate::store::instances::get(tx, other.instance_id)
                        .await?
                        .ok_or_else(|| AppError::Internal("listing without instance".into()))?;
                    // Each listing's own definition says whether its state counts against demand.
                    let odef = app.def_by_hash(tx, &oi.def_hash).await?;
                    if odef.state(&oi.state).is_some_and(|s| s.commits) {
                        for (band, n) in units_by_band(
                            &def.pack,
                            &db::current_units(tx, other.instance_id).await?,
                        ) {
                            *f.committed.entry(band).or_default() += n;
                        }
                    }
                }
                if is_listing {
                    f.this_listing =
                        units_by_band(&def.pack, &db::current_units(tx, inst.id).await?);
                }
            }
            Need::Plan if !is_listing => {
                f.tendered = crate::store::bids::tender(tx, inst.id).await?.is_some();
                if let Some(row) = crate::store::bids::latest_plan(tx, inst.id).await? {
                    let plan: crate::domain::bids::Plan = serde_json::from_str(&row.plan)
                        .map_err(|e| AppError::Internal(format!("stored plan {}: {e}", row.id)))?;
                    f.plan = Some(crate::workflow::guards::PlanFact {
                        id: row.id,
                        sha256: row.sha256,
                        by_band: plan.by_band,
                    });
                }
            }
            // HS-A9: the open withdrawal request is the newest request not cancelled since.
            Need::Withdrawal if is_listing => {
                let last = crate::store::instances::last_of_actions(
                    tx,
                    inst.id,
                    &["request_withdrawal", "cancel_withdrawal"],
                )
                .await?;
                if let Some(("request_withdrawal", at)) =
                    last.as_ref().map(|(a, t)| (a.as_str(), *t))
                {
                    let months = def
                        .pack
                        .params
                        .get("withdrawal_notice_months")
                        .and_then(toml::Value::as_integer)
                        .and_then(|n| u32::try_from(n).ok())
                        .ok_or_else(|| {
                            AppError::Internal(format!(
                                "pack {} sets no withdrawal_notice_months",
                                def.pack.key
                            ))
                        })?;
                    let requested_on = super::china_today(at);
                    let notice_ends = crate::domain::calendar::due_date(
                        &app.calendar(),
                        requested_on,
                        months,
                        crate::domain::calendar::DeadlineUnit::Months,
                    )?;
                    f.withdrawal = Some(crate::workflow::guards::WithdrawalFact {
                        requested_on,
                        notice_ends,
                    });
                }
            }
            // YQ-7.4: whether the round's recorded plan picked this listing.
            Need::RoundPlan if is_listing => {
                let round_id = db::listing(tx, inst.id)
                    .await?
                    .ok_or_else(|| AppError::NotFound(format!("listing {}", inst.id)))?
                    .round_id;
                f.in_round_plan = app
                    .planned_listings(tx, round_id)
                    .await?
                    .map(|ids| ids.contains(&inst.id));
            }
            _ => {}
        }
    }
    Ok(f)
}

/// The facts of an application's guards (ALLOCATION.md §1–§4).
async fn application_facts(
    app: &super::App,
    tx: &mut Tx,
    inst: &InstanceRow,
    need: Need,
    f: &mut Facts,
) -> Result<(), AppError> {
    use crate::store::allocation as adb;
    let row = adb::application(tx, inst.id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("application {}", inst.id)))?;
    let rules = app.sale_rules(&row.pack)?;
    match need {
        Need::Materials => {
            let present = super::allocation::current_materials(&adb::materials(tx, inst.id).await?);
            f.materials_missing = rules
                .materials
                .iter()
                .filter(|(k, _)| !present.get(*k).copied().unwrap_or(false))
                .map(|(_, label)| label.clone())
                .collect();
        }
        Need::Verifications => {
            // Findings count from the application's entry into verification (a re-review or an
            // objection sends it back, and the departments verify again).
            let found = adb::findings(tx, inst.id).await?;
            for d in &rules.departments {
                match found
                    .iter()
                    .rev()
                    .find(|x| x.department == d.key && x.recorded_at >= inst.entered_at)
                {
                    None => f.verifications_missing.push(d.label.clone()),
                    Some(x) if !x.passed => f
                        .verifications_failed
                        .push(format!("{}：{}", d.label, x.note)),
                    Some(_) => {}
                }
            }
        }
        Need::Eligibility => {
            let (_, e) = app.household_of(tx, &row).await?;
            f.eligibility = Some(e);
        }
        Need::Rereview => {
            let history = crate::store::instances::history(tx, inst.id).await?;
            let done = history
                .iter()
                .filter(|h| h.action == "request_rereview")
                .count() as u32;
            if let Some(max) = rules.rereviews_allowed
                && done >= max
            {
                f.rereview_refusal = Some(format!("the re-review allowed ({max}) has been used"));
            }
            // XY-20: asked within the period from the day the refusal was notified.
            if let Some(p) = &rules.rereview_request {
                let refused_on = super::china_today(inst.entered_at);
                let due = crate::domain::calendar::due_date(
                    &app.calendar(),
                    refused_on,
                    p.amount,
                    p.unit,
                )?;
                if app.today() > due {
                    f.rereview_refusal = Some(format!(
                        "a re-review is asked within {} {} of the refusal ({refused_on}); the period ended {due}",
                        p.amount,
                        match p.unit {
                            crate::domain::calendar::DeadlineUnit::WorkingDays => "working days",
                            crate::domain::calendar::DeadlineUnit::CalendarDays => "days",
                            crate::domain::calendar::DeadlineUnit::Months => "months",
                        }
                    ));
                }
            }
        }
        _ => {}
    }
    Ok(())
}
