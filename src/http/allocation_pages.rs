//! Pages of the household half (issue 13): each role's step of an application and a sale, the
//! printable publicity list and one-time notice, the waiting list, the sale announcement, the
//! per-unit register, the log of full reads, and the public status lookup. Plain forms posting
//! to the same `app/` commands as the API; names and ID numbers masked unless a full read is
//! asked for, with its purpose, by a role that may.

use super::State;
use super::api::xlsx;
use super::pages::{Button, PageError, Person, Posted, render, v};
use crate::app::AppError;
use crate::app::allocation::{FindingInput, MaterialsInput, NewApplication};
use crate::app::sales::{
    ContractInput, DrawInput, EntrantInput, ReceiptInput, SalePlanInput, ScoreInput, SelectionInput,
};
use crate::domain::allocation::household::HouseholdInput;
use axum::Router;
use axum::extract::{Path, Query, State as AxState};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;

/// Rows of household members a page form offers.
const FORM_MEMBERS: usize = 6;

/// What every signed-in page shows: the person, their role's name, today and the form token.
fn ctx_user(
    state: &State,
    u: &crate::store::users::User,
    csrf: &str,
) -> (
    minijinja::Value,
    minijinja::Value,
    minijinja::Value,
    minijinja::Value,
) {
    (v(u), v(&u.role.label_zh()), v(&state.today()), v(&csrf))
}

#[derive(Deserialize)]
struct ListQuery {
    pack: Option<String>,
    state: Option<String>,
    tier: Option<u8>,
}

async fn applications_page(
    AxState(state): AxState<State>,
    Person(u, csrf): Person,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, PageError> {
    let packs = state.allocation_packs();
    let pack = q
        .pack
        .clone()
        .or_else(|| packs.iter().find(|p| p.sale_path).map(|p| p.key.clone()))
        .unwrap_or_default();
    let info = packs.iter().find(|p| p.key == pack).cloned();
    let rows = if info.as_ref().is_some_and(|p| p.sale_path) {
        state
            .applications(
                &u,
                &pack,
                q.state.as_deref().filter(|s| !s.is_empty()),
                q.tier,
            )
            .await?
    } else {
        Vec::new()
    };
    let (user, role_label, today, csrf) = ctx_user(&state, &u, &csrf);
    render(
        &state,
        "applications.html",
        minijinja::context! { user, role_label, today, csrf, packs => v(&packs), pack => v(&pack), info => v(&info),
        rows => v(&rows), state_filter => v(&q.state), tier => v(&q.tier) },
    )
}

#[derive(Deserialize)]
struct PackQuery {
    pack: String,
}

async fn new_application_page(
    AxState(state): AxState<State>,
    Person(u, csrf): Person,
    Query(q): Query<PackQuery>,
) -> Result<Html<String>, PageError> {
    let info = state
        .allocation_packs()
        .into_iter()
        .find(|p| p.key == q.pack && p.sale_path)
        .ok_or_else(|| AppError::invalid("pack", "a pack with a sale path"))?;
    let (user, role_label, today, csrf) = ctx_user(&state, &u, &csrf);
    render(
        &state,
        "application_new.html",
        minijinja::context! { user, role_label, today, csrf, info => v(&info), rows => v(&(0..FORM_MEMBERS).collect::<Vec<_>>()) },
    )
}

fn checked(f: &BTreeMap<String, String>, k: &str) -> bool {
    f.get(k).is_some_and(|x| x == "true" || x == "on")
}

fn text(f: &BTreeMap<String, String>, k: &str) -> String {
    f.get(k).map(|x| x.trim().to_string()).unwrap_or_default()
}

/// The household as the page form sends it: `m{i}_…` per member row (rows without a name are
/// blank), `h_…` for the history, `mat_{key}` for each material handed in.
fn household_from_form(f: &BTreeMap<String, String>) -> Result<HouseholdInput, AppError> {
    let mut members = Vec::new();
    for i in 0..FORM_MEMBERS {
        let p = |k: &str| format!("m{i}_{k}");
        if text(f, &p("name")).is_empty() {
            continue;
        }
        members.push(json!({
            "name": text(f, &p("name")),
            "id_number": text(f, &p("id_number")),
            "relation": text(f, &p("relation")),
            "marital": text(f, &p("marital")),
            "hukou_local": checked(f, &p("hukou_local")),
            "permanent_resident": checked(f, &p("permanent_resident")),
            "wage_earner": checked(f, &p("wage_earner")),
            "full_civil_capacity": !checked(f, &p("limited_capacity")),
            "annual_income": if text(f, &p("annual_income")).is_empty() { "0".to_string() } else { text(f, &p("annual_income")) },
            "social_security_months": text(f, &p("social_security_months")).parse::<u32>().unwrap_or(0),
            "insured_now": checked(f, &p("insured_now")),
        }));
    }
    let date = |k: &str| Some(text(f, k)).filter(|x| !x.is_empty());
    let history = json!({
        "reform_housing": checked(f, "h_reform_housing"),
        "reform_housing_transferred": checked(f, "h_reform_housing_transferred"),
        "fundraised_housing": checked(f, "h_fundraised_housing"),
        "affordable_housing": checked(f, "h_affordable_housing"),
        "affordable_housing_sold": checked(f, "h_affordable_housing_sold"),
        "expropriation_compensation_on": date("h_expropriation_compensation_on"),
        "title_transfer_on": date("h_title_transfer_on"),
        "public_housing": checked(f, "h_public_housing"),
        "public_rental": checked(f, "h_public_rental"),
        "talent_apartment": checked(f, "h_talent_apartment"),
        "other_programme": checked(f, "h_other_programme"),
    });
    let owned = text(f, "owned_area_m2");
    let h = json!({
        "group": text(f, "group"),
        "county": text(f, "county"),
        "members": members,
        "housing": { "owned_area_m2": if owned.is_empty() { "0".into() } else { owned }, "home_at_workplace": checked(f, "home_at_workplace"), "tenure": text(f, "tenure") },
        "history": history,
    });
    serde_json::from_value(h).map_err(|e| AppError::invalid("household", e.to_string()))
}

async fn create_application(
    AxState(state): AxState<State>,
    posted: Posted<BTreeMap<String, String>>,
) -> Result<Response, PageError> {
    let (u, f) = (posted.user, posted.form);
    let pack = text(&f, "pack");
    let materials = f
        .keys()
        .filter_map(|k| k.strip_prefix("mat_"))
        .filter(|k| checked(&f, &format!("mat_{k}")))
        .map(str::to_string)
        .collect();
    let household = household_from_form(&f)?;
    let (_, view) = state
        .create_application(
            &u,
            None,
            NewApplication {
                pack,
                household,
                materials,
            },
        )
        .await?;
    Ok(Redirect::to(&format!("/applications/{}", view.instance.id)).into_response())
}

#[derive(Deserialize)]
struct PurposeQuery {
    purpose: Option<String>,
}

async fn application_page(
    AxState(state): AxState<State>,
    Person(u, csrf): Person,
    Path(id): Path<i64>,
    Query(q): Query<PurposeQuery>,
) -> Result<Html<String>, PageError> {
    let purpose = q.purpose.filter(|p| !p.trim().is_empty());
    let a = state.application_view(&u, id, purpose.as_deref()).await?;
    let history = state.history(&u, id).await?;
    let info = state
        .allocation_packs()
        .into_iter()
        .find(|p| p.key == a.pack);
    let (user, role_label, today, csrf) = ctx_user(&state, &u, &csrf);
    render(
        &state,
        "application.html",
        minijinja::context! { user, role_label, today, csrf, a => v(&a), info => v(&info), history => v(&history),
        full_reader => v(&crate::app::allocation::FULL_READERS.contains(&u.role)) },
    )
}

async fn materials_form(
    AxState(state): AxState<State>,
    Path(id): Path<i64>,
    posted: Posted<BTreeMap<String, String>>,
) -> Result<Response, PageError> {
    let (u, f) = (posted.user, posted.form);
    let mut present = Vec::new();
    let mut missing = Vec::new();
    for (k, val) in &f {
        if let Some(key) = k.strip_prefix("mat_") {
            match val.as_str() {
                "present" => present.push(key.to_string()),
                "missing" => missing.push(key.to_string()),
                _ => {}
            }
        }
    }
    let note = Some(text(&f, "note")).filter(|n| !n.is_empty());
    state
        .record_materials(
            &u,
            None,
            id,
            MaterialsInput {
                present,
                missing,
                note,
            },
        )
        .await?;
    Ok(Redirect::to(&format!("/applications/{id}")).into_response())
}

#[derive(Deserialize)]
struct FindingForm {
    department: String,
    passed: String,
    note: String,
    document_ref: String,
}

async fn finding_form(
    AxState(state): AxState<State>,
    Path(id): Path<i64>,
    posted: Posted<FindingForm>,
) -> Result<Response, PageError> {
    let (u, f) = (posted.user, posted.form);
    let input = FindingInput {
        department: f.department,
        passed: f.passed == "true",
        note: f.note,
        document_ref: f.document_ref,
    };
    state.record_finding(&u, None, id, input).await?;
    Ok(Redirect::to(&format!("/applications/{id}")).into_response())
}

/// XY-18: the one-time notice (一次性告知) of every material missing, printable.
async fn notice_page(
    AxState(state): AxState<State>,
    Person(u, csrf): Person,
    Path(id): Path<i64>,
) -> Result<Html<String>, PageError> {
    let a = state.application_view(&u, id, None).await?;
    let info = state
        .allocation_packs()
        .into_iter()
        .find(|p| p.key == a.pack);
    let (user, role_label, today, csrf) = ctx_user(&state, &u, &csrf);
    render(
        &state,
        "notice_missing.html",
        minijinja::context! { user, role_label, today, csrf, a => v(&a), info => v(&info) },
    )
}

/// The publicity list (公示名单) of a pack: households in publicity, masked, printable.
async fn publicity_page(
    AxState(state): AxState<State>,
    Person(u, csrf): Person,
    Path(pack): Path<String>,
) -> Result<Html<String>, PageError> {
    let rows = state
        .applications(&u, &pack, Some("publicity"), None)
        .await?;
    let info = state.allocation_packs().into_iter().find(|p| p.key == pack);
    let (user, role_label, today, csrf) = ctx_user(&state, &u, &csrf);
    render(
        &state,
        "publicity_list.html",
        minijinja::context! { user, role_label, today, csrf, rows => v(&rows), info => v(&info), pack => v(&pack) },
    )
}

async fn publicity_xlsx(
    AxState(state): AxState<State>,
    Person(u, _): Person,
    Path(pack): Path<String>,
) -> Result<Response, PageError> {
    let rows = state
        .applications(&u, &pack, Some("publicity"), None)
        .await?;
    let name = state.pack(&pack)?.name.clone();
    let bytes = crate::excel::households::application_list_workbook(
        &format!(
            "{name}配售型保障性住房申请家庭公示名单（{}）",
            state.today()
        ),
        &rows,
    );
    Ok(xlsx(&format!("publicity-{pack}.xlsx"), bytes))
}

async fn waiting_list_xlsx(
    AxState(state): AxState<State>,
    Person(u, _): Person,
    Path(pack): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let rows = state
        .applications(&u, &pack, Some("qualified"), q.tier)
        .await?;
    let name = state.pack(&pack)?.name.clone();
    let bytes = crate::excel::households::application_list_workbook(
        &format!("{name}配售型保障性住房轮候库（{}）", state.today()),
        &rows,
    );
    Ok(xlsx(&format!("waiting-list-{pack}.xlsx"), bytes))
}

async fn sales_page(
    AxState(state): AxState<State>,
    Person(u, csrf): Person,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, PageError> {
    let sales = state.sales_list(&u, q.pack.as_deref()).await?;
    let packs = state.allocation_packs();
    let (user, role_label, today, csrf) = ctx_user(&state, &u, &csrf);
    render(
        &state,
        "sales.html",
        minijinja::context! { user, role_label, today, csrf, sales => v(&sales), packs => v(&packs) },
    )
}

#[derive(Deserialize)]
struct NewSaleForm {
    pack: String,
    name: String,
    listing_id: i64,
    county: String,
}

async fn create_sale(
    AxState(state): AxState<State>,
    posted: Posted<NewSaleForm>,
) -> Result<Response, PageError> {
    let (u, f) = (posted.user, posted.form);
    let input = crate::app::sales::NewSale {
        pack: f.pack,
        name: f.name,
        listing_id: f.listing_id,
        county: f.county,
    };
    let (_, s) = state.create_sale(&u, None, input).await?;
    Ok(Redirect::to(&format!("/sales/{}", s.instance.id)).into_response())
}

async fn sale_page(
    AxState(state): AxState<State>,
    Person(u, csrf): Person,
    Path(id): Path<i64>,
) -> Result<Html<String>, PageError> {
    let s = state.sale_view(&u, id).await?;
    let qualified = if s.instance.allows.iter().any(|a| a == "registrations") {
        state
            .applications(&u, &s.sale.pack, Some("qualified"), None)
            .await
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let rules = state.pack(&s.sale.pack)?.allocation().sale.clone();
    let (user, role_label, today, csrf) = ctx_user(&state, &u, &csrf);
    render(
        &state,
        "sale.html",
        minijinja::context! { user, role_label, today, csrf, s => v(&s), qualified => v(&qualified), rules => v(&rules) },
    )
}

/// The sale announcement (YQ-15, NC-33, XY-25.1): the plan with every unit's price in figures
/// and in capitals, printable.
async fn announcement_page(
    AxState(state): AxState<State>,
    Person(u, csrf): Person,
    Path(id): Path<i64>,
) -> Result<Html<String>, PageError> {
    let s = state.sale_view(&u, id).await?;
    let (user, role_label, today, csrf) = ctx_user(&state, &u, &csrf);
    render(
        &state,
        "sale_announcement.html",
        minijinja::context! { user, role_label, today, csrf, s => v(&s) },
    )
}

fn back(id: i64) -> Response {
    Redirect::to(&format!("/sales/{id}")).into_response()
}

async fn plan_form(
    AxState(state): AxState<State>,
    Path(id): Path<i64>,
    posted: Posted<BTreeMap<String, String>>,
) -> Result<Response, PageError> {
    let (u, f) = (posted.user, posted.form);
    let opt = |k: &str| Some(text(&f, k)).filter(|x| !x.is_empty());
    let num = |k: &str| -> Result<Option<u32>, AppError> {
        opt(k)
            .map(|x| {
                x.parse::<u32>()
                    .map_err(|_| AppError::invalid(k, "a whole number of days"))
            })
            .transpose()
    };
    let mut scoring = Vec::new();
    for i in 0..10 {
        let key = text(&f, &format!("c{i}_key"));
        if key.is_empty() {
            continue;
        }
        scoring.push(
            json!({ "key": key, "label": text(&f, &format!("c{i}_label")),
            "points": text(&f, &format!("c{i}_points")).parse::<u32>().unwrap_or(0) }),
        );
    }
    let input: SalePlanInput = serde_json::from_value(json!({
        "location": text(&f, "location"), "method": text(&f, "method"), "targets": text(&f, "targets"),
        "procedure": text(&f, "procedure"), "lottery_rules": text(&f, "lottery_rules"), "schedule": text(&f, "schedule"),
        "buyback": text(&f, "buyback"), "tier_period_days": num("tier_period_days")?, "deposit": opt("deposit"),
        "contract_days": num("contract_days")?.unwrap_or(0), "scoring": scoring,
    }))
    .map_err(|e| AppError::invalid("plan", e.to_string()))?;
    state.record_sale_plan(&u, None, id, input).await?;
    Ok(back(id))
}

async fn entrant_form(
    AxState(state): AxState<State>,
    Path(id): Path<i64>,
    posted: Posted<EntrantInput>,
) -> Result<Response, PageError> {
    let (u, f) = (posted.user, posted.form);
    state.register_entrant(&u, None, id, f).await?;
    Ok(back(id))
}

async fn next_tier_form(
    AxState(state): AxState<State>,
    Path(id): Path<i64>,
    posted: Posted<Button>,
) -> Result<Response, PageError> {
    let u = posted.user;
    state.open_next_tier(&u, id).await?;
    Ok(back(id))
}

async fn fix_form(
    AxState(state): AxState<State>,
    Path(id): Path<i64>,
    posted: Posted<Button>,
) -> Result<Response, PageError> {
    let u = posted.user;
    state.fix_lottery(&u, id).await?;
    Ok(back(id))
}

async fn draw_form(
    AxState(state): AxState<State>,
    Path(id): Path<i64>,
    posted: Posted<DrawInput>,
) -> Result<Response, PageError> {
    let (u, f) = (posted.user, posted.form);
    state.draw_lottery(&u, id, f).await?;
    Ok(back(id))
}

async fn score_form(
    AxState(state): AxState<State>,
    Path(id): Path<i64>,
    posted: Posted<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let (u, pairs) = (posted.user, posted.form);
    let mut application_id = None;
    let mut criteria = Vec::new();
    let mut evidence = String::new();
    for (k, val) in pairs {
        match k.as_str() {
            "application_id" => {
                application_id = Some(
                    val.parse::<i64>()
                        .map_err(|_| AppError::invalid("application_id", "a number"))?,
                )
            }
            "criteria" => criteria.push(val),
            "evidence" => evidence = val,
            _ => {}
        }
    }
    let application_id =
        application_id.ok_or_else(|| AppError::invalid("application_id", "required"))?;
    state
        .record_score(
            &u,
            None,
            id,
            ScoreInput {
                application_id,
                criteria,
                evidence,
            },
        )
        .await?;
    Ok(back(id))
}

#[derive(Deserialize)]
struct SelectionForm {
    application_id: i64,
    outcome: String,
    unit_id: Option<String>,
    deposit: Option<String>,
    note: Option<String>,
}

async fn selection_form(
    AxState(state): AxState<State>,
    Path(id): Path<i64>,
    posted: Posted<SelectionForm>,
) -> Result<Response, PageError> {
    let (u, f) = (posted.user, posted.form);
    let some = |o: Option<String>| o.map(|x| x.trim().to_string()).filter(|x| !x.is_empty());
    let input: SelectionInput = serde_json::from_value(json!({
        "application_id": f.application_id, "outcome": f.outcome,
        "unit_id": some(f.unit_id).map(|x| x.parse::<i64>()).transpose().map_err(|_| AppError::invalid("unit_id", "a unit"))?,
        "deposit": some(f.deposit), "note": some(f.note),
    }))
    .map_err(|e| AppError::invalid("outcome", e.to_string()))?;
    state.record_selection(&u, None, id, input).await?;
    Ok(back(id))
}

async fn contract_form(
    AxState(state): AxState<State>,
    Path(id): Path<i64>,
    posted: Posted<BTreeMap<String, String>>,
) -> Result<Response, PageError> {
    let (u, f) = (posted.user, posted.form);
    let input: ContractInput = serde_json::from_value(json!({
        "application_id": text(&f, "application_id").parse::<i64>().unwrap_or(0),
        "payment": text(&f, "payment"), "down_payment": text(&f, "down_payment"), "signed_on": text(&f, "signed_on"),
    }))
    .map_err(|e| AppError::invalid("contract", e.to_string()))?;
    state.sign_sale_contract(&u, None, id, input).await?;
    Ok(back(id))
}

async fn receipt_form(
    AxState(state): AxState<State>,
    Path(id): Path<i64>,
    posted: Posted<BTreeMap<String, String>>,
) -> Result<Response, PageError> {
    let (u, f) = (posted.user, posted.form);
    let input: ReceiptInput = serde_json::from_value(json!({
        "application_id": text(&f, "application_id").parse::<i64>().unwrap_or(0),
        "amount": text(&f, "amount"), "received_on": text(&f, "received_on"),
        "debit_account": text(&f, "debit_account"), "income_account": text(&f, "income_account"),
    }))
    .map_err(|e| AppError::invalid("receipt", e.to_string()))?;
    state.record_receipt(&u, None, id, input).await?;
    Ok(back(id))
}

async fn register_page(
    AxState(state): AxState<State>,
    Person(u, csrf): Person,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, PageError> {
    let rows = state.unit_register(&u, q.pack.as_deref()).await?;
    let (user, role_label, today, csrf) = ctx_user(&state, &u, &csrf);
    render(
        &state,
        "unit_register.html",
        minijinja::context! { user, role_label, today, csrf, rows => v(&rows), pack => v(&q.pack) },
    )
}

async fn register_xlsx(
    AxState(state): AxState<State>,
    Person(u, _): Person,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let rows = state.unit_register(&u, q.pack.as_deref()).await?;
    Ok(xlsx(
        "unit-register.xlsx",
        crate::excel::households::register_workbook(&rows),
    ))
}

async fn pii_reads_page(
    AxState(state): AxState<State>,
    Person(u, csrf): Person,
) -> Result<Html<String>, PageError> {
    let rows = state.pii_reads(&u).await?;
    let (user, role_label, today, csrf) = ctx_user(&state, &u, &csrf);
    render(
        &state,
        "pii_reads.html",
        minijinja::context! { user, role_label, today, csrf, rows => v(&rows) },
    )
}

#[derive(Deserialize)]
struct StatusQuery {
    no: Option<String>,
    id_number: Option<String>,
}

/// The public lookup: no sign-in; an application number and a member's ID number show the
/// application's standing and nothing else.
async fn status_page(
    AxState(state): AxState<State>,
    Query(q): Query<StatusQuery>,
) -> Result<Html<String>, PageError> {
    let asked = q.no.as_deref().is_some_and(|x| !x.trim().is_empty());
    let result = if asked {
        match state
            .public_status(
                q.no.as_deref().unwrap_or_default().trim(),
                q.id_number.as_deref().unwrap_or_default().trim(),
            )
            .await
        {
            Ok(s) => Some(Ok(s)),
            Err(AppError::NotFound(_)) | Err(AppError::Invalid { .. }) => Some(Err(())),
            Err(e) => return Err(e.into()),
        }
    } else {
        None
    };
    let found = result.as_ref().and_then(|r| r.as_ref().ok()).cloned();
    render(
        &state,
        "public_status.html",
        minijinja::context! { user => minijinja::Value::from(()), found => v(&found), asked => v(&asked), no => v(&q.no) },
    )
}

pub fn routes() -> Router<State> {
    Router::new()
        .route(
            "/applications",
            get(applications_page).post(create_application),
        )
        .route("/applications/new", get(new_application_page))
        .route("/applications/{id}", get(application_page))
        .route("/applications/{id}/materials", post(materials_form))
        .route("/applications/{id}/findings", post(finding_form))
        .route("/applications/{id}/notice", get(notice_page))
        .route("/packs/{pack}/publicity", get(publicity_page))
        .route("/packs/{pack}/publicity.xlsx", get(publicity_xlsx))
        .route("/packs/{pack}/waiting-list.xlsx", get(waiting_list_xlsx))
        .route("/sales", get(sales_page).post(create_sale))
        .route("/sales/{id}", get(sale_page))
        .route("/sales/{id}/announcement", get(announcement_page))
        .route("/sales/{id}/plan", post(plan_form))
        .route("/sales/{id}/entrants", post(entrant_form))
        .route("/sales/{id}/tiers/next", post(next_tier_form))
        .route("/sales/{id}/lottery/fix", post(fix_form))
        .route("/sales/{id}/lottery/draw", post(draw_form))
        .route("/sales/{id}/scores", post(score_form))
        .route("/sales/{id}/selections", post(selection_form))
        .route("/sales/{id}/contracts", post(contract_form))
        .route("/sales/{id}/receipts", post(receipt_form))
        .route("/units", get(register_page))
        .route("/units.xlsx", get(register_xlsx))
        .route("/pii-reads", get(pii_reads_page))
        .route("/status", get(status_page))
}
