//! Server-rendered pages for people: sign in with a token, an inbox, round and listing pages
//! with timelines and the actions the reader may take. Plain HTML forms; no JavaScript needed.
//! Every form posts to the same `app/` commands as the API.

use super::auth::{COOKIE, user_from};
use super::{State, api};
use crate::app::AppError;
use crate::app::flow::{ActionRequest, ExceptionDecision, ExceptionRequest, ValuationInput};
use crate::app::negotiation::OfferInput;
use crate::store::users::User;
use axum::Router;
use axum::extract::{Form, Multipart, Path, State as AxState};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

/// A page-level failure: shown as an HTML page with the problem's message and code.
pub struct PageError(AppError);

impl From<sqlx::Error> for PageError {
    fn from(e: sqlx::Error) -> Self {
        PageError(e.into())
    }
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        PageError(e)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if matches!(self.0, AppError::Unauthorized) {
            return Redirect::to("/").into_response();
        }
        let p = self.0.problem();
        let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = format!(
            "<!doctype html><meta charset=utf-8><title>出错了</title><h1>{} {}</h1><p>{}</p><p><code>{}</code></p>{}<p><a href=\"javascript:history.back()\">返回</a> · <a href=\"/inbox\">待办</a></p>",
            p.status,
            html_escape(&p.title),
            html_escape(&p.detail),
            html_escape(&p.code),
            p.errors
                .iter()
                .map(|e| format!(
                    "<li>{} {} {}: {}</li>",
                    e.row.map(|r| format!("第{r}行")).unwrap_or_default(),
                    e.column.clone().unwrap_or_default(),
                    e.header.clone().unwrap_or_default(),
                    html_escape(&e.message)
                ))
                .collect::<String>()
        );
        (status, Html(body)).into_response()
    }
}

/// A serde value for a template.
fn v<T: serde::Serialize>(x: &T) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(x))
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The signed-in person (cookie), or a redirect to sign in.
pub struct Person(pub User);

impl axum::extract::FromRequestParts<State> for Person {
    type Rejection = PageError;
    async fn from_request_parts(parts: &mut Parts, state: &State) -> Result<Self, Self::Rejection> {
        Ok(Person(user_from(state, parts).await?))
    }
}

fn render(state: &State, name: &str, ctx: minijinja::Value) -> Result<Html<String>, PageError> {
    let t = state
        .templates
        .get_template(name)
        .map_err(|e| AppError::Internal(format!("template {name}: {e}")))?;
    t.render(ctx)
        .map(Html)
        .map_err(|e| AppError::Internal(format!("template {name}: {e:#}")).into())
}

async fn sign_in_page(AxState(state): AxState<State>) -> Result<Html<String>, PageError> {
    render(&state, "login.html", minijinja::context! {})
}

#[derive(Deserialize)]
struct LoginForm {
    token: String,
}

async fn sign_in(
    AxState(state): AxState<State>,
    Form(f): Form<LoginForm>,
) -> Result<Response, PageError> {
    let token = f.token.trim().to_string();
    let mut tx = state.store.read().await?;
    if crate::store::users::by_token(&mut tx, &token)
        .await?
        .is_none()
    {
        return Err(AppError::Unauthorized.into());
    }
    let cookie = format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict");
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/inbox")).into_response())
}

async fn sign_out() -> Response {
    (
        [(
            header::SET_COOKIE,
            format!("{COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"),
        )],
        Redirect::to("/"),
    )
        .into_response()
}

async fn inbox(
    AxState(state): AxState<State>,
    Person(u): Person,
) -> Result<Html<String>, PageError> {
    let items = state.inbox(&u).await?;
    let rounds = state.rounds(&u).await?;
    let listings = state.listings(&u, None).await?;
    render(
        &state,
        "inbox.html",
        minijinja::context! { user => v(&u), role_label => v(&u.role.label_zh()), items => v(&items), rounds => v(&rounds), listings => v(&listings), today => v(&state.today()) },
    )
}

async fn round_page(
    AxState(state): AxState<State>,
    Person(u): Person,
    Path(id): Path<i64>,
) -> Result<Html<String>, PageError> {
    let r = state.round_view(&u, id).await?;
    render(
        &state,
        "round.html",
        minijinja::context! { user => v(&u), role_label => v(&u.role.label_zh()), r => v(&r), today => v(&state.today()) },
    )
}

async fn listing_page(
    AxState(state): AxState<State>,
    Person(u): Person,
    Path(id): Path<i64>,
) -> Result<Html<String>, PageError> {
    let l = state.listing_view(&u, id).await?;
    let n = state.negotiation_view(&u, id).await?;
    render(
        &state,
        "listing.html",
        minijinja::context! { user => v(&u), role_label => v(&u.role.label_zh()), l => v(&l), n => v(&n), today => v(&state.today()) },
    )
}

async fn valuation(
    AxState(state): AxState<State>,
    Person(u): Person,
    Path(id): Path<i64>,
    Form(f): Form<ValuationInput>,
) -> Result<Response, PageError> {
    state.record_valuation(&u, None, id, f).await?;
    Ok(Redirect::to(&format!("/listings/{id}")).into_response())
}

async fn offer(
    AxState(state): AxState<State>,
    Person(u): Person,
    Path(id): Path<i64>,
    Form(mut f): Form<OfferInput>,
) -> Result<Response, PageError> {
    f.note = f.note.filter(|n| !n.trim().is_empty());
    state.make_offer(&u, None, id, f).await?;
    Ok(Redirect::to(&format!("/listings/{id}")).into_response())
}

/// The printable negotiation record (洽谈记录): every ask and offer against the ceiling, the
/// agreed and final prices, amounts also in capitals (大写).
async fn negotiation_record(
    AxState(state): AxState<State>,
    Person(u): Person,
    Path(id): Path<i64>,
) -> Result<Html<String>, PageError> {
    let n = state.negotiation_view(&u, id).await?;
    let l = state.listing_view(&u, id).await?;
    render(
        &state,
        "negotiation_record.html",
        minijinja::context! { user => v(&u), role_label => v(&u.role.label_zh()), n => v(&n), l => v(&l), today => v(&state.today()) },
    )
}

/// The printable exceptions report of a round: every "in principle" limit passed, who asked,
/// why, and the leading group's decision.
async fn exceptions_report(
    AxState(state): AxState<State>,
    Person(u): Person,
    Path(id): Path<i64>,
) -> Result<Html<String>, PageError> {
    let r = state.round_view(&u, id).await?;
    let exceptions = state.exceptions_report(&u, Some(id)).await?;
    render(
        &state,
        "exceptions_report.html",
        minijinja::context! { user => v(&u), role_label => v(&u.role.label_zh()), r => v(&r), exceptions => v(&exceptions), today => v(&state.today()) },
    )
}

#[derive(Deserialize)]
struct ActionForm {
    expected_version: i64,
    comment: Option<String>,
    price_per_m2: Option<String>,
    clear: Option<String>,
    back: Option<String>,
}

async fn act(
    AxState(state): AxState<State>,
    Person(u): Person,
    Path((id, action)): Path<(i64, String)>,
    Form(f): Form<ActionForm>,
) -> Result<Response, PageError> {
    let mut payload = serde_json::Map::new();
    if let Some(p) = f.price_per_m2.filter(|p| !p.trim().is_empty()) {
        payload.insert(
            "price_per_m2".into(),
            serde_json::Value::String(p.trim().to_string()),
        );
    }
    if let Some(c) = f.clear {
        payload.insert("clear".into(), serde_json::Value::Bool(c == "true"));
    }
    let req = ActionRequest {
        expected_version: f.expected_version,
        comment: f.comment.filter(|c| !c.trim().is_empty()),
        payload: serde_json::Value::Object(payload),
    };
    state.act(&u, None, id, &action, req).await?;
    Ok(Redirect::to(&f.back.unwrap_or_else(|| format!("/listings/{id}"))).into_response())
}

async fn upload(
    AxState(state): AxState<State>,
    Person(u): Person,
    Path(id): Path<i64>,
    mp: Multipart,
) -> Result<Response, PageError> {
    let up = api::read_upload(mp, &state, &u, id, None).await?;
    state
        .upload_document(
            &u,
            None,
            id,
            &up.kind,
            &up.file_name,
            &up.content_type,
            up.bytes,
        )
        .await?;
    Ok(Redirect::to(&format!("/listings/{id}")).into_response())
}

async fn exception_request(
    AxState(state): AxState<State>,
    Person(u): Person,
    Path(id): Path<i64>,
    Form(f): Form<ExceptionRequest>,
) -> Result<Response, PageError> {
    state.request_exception(&u, None, id, f).await?;
    Ok(Redirect::to(&format!("/listings/{id}")).into_response())
}

#[derive(Deserialize)]
struct DecisionForm {
    approved: String,
    comment: String,
    back: String,
}

async fn exception_decision(
    AxState(state): AxState<State>,
    Person(u): Person,
    Path(id): Path<i64>,
    Form(f): Form<DecisionForm>,
) -> Result<Response, PageError> {
    state
        .decide_exception(
            &u,
            None,
            id,
            ExceptionDecision {
                approved: f.approved == "true",
                comment: f.comment,
            },
        )
        .await?;
    Ok(Redirect::to(&f.back).into_response())
}

async fn rents_page(
    AxState(state): AxState<State>,
    Person(u): Person,
    Path(id): Path<i64>,
) -> Result<Html<String>, PageError> {
    let r = state.rent_register(&u, id).await?;
    render(
        &state,
        "rents.html",
        minijinja::context! { user => v(&u), role_label => v(&u.role.label_zh()), r => v(&r) },
    )
}

#[derive(Deserialize)]
struct RentForm {
    kind: crate::app::rents::RentKind,
    effective_date: chrono::NaiveDate,
    ratio: Option<String>,
    rent_per_m2: Option<String>,
    exception_id: Option<String>,
}

async fn rents_set(
    AxState(state): AxState<State>,
    Person(u): Person,
    Path(id): Path<i64>,
    Form(f): Form<RentForm>,
) -> Result<Response, PageError> {
    let some = |o: Option<String>| o.map(|x| x.trim().to_string()).filter(|x| !x.is_empty());
    let exception_id = match some(f.exception_id) {
        None => None,
        Some(x) => Some(
            x.parse::<i64>()
                .map_err(|_| AppError::invalid("exception_id", format!("not an id: {x:?}")))?,
        ),
    };
    let setting = crate::app::rents::RentSetting {
        kind: f.kind,
        effective_date: f.effective_date,
        ratio: some(f.ratio).map(crate::app::flow::DecimalText),
        rent_per_m2: some(f.rent_per_m2).map(crate::app::flow::DecimalText),
        unit_ids: Vec::new(),
        exception_id,
        note: None,
    };
    state.set_rents(&u, None, id, setting).await?;
    Ok(Redirect::to(&format!("/listings/{id}/rents")).into_response())
}

/// HS-A6: the use form of the rent register page: `use_kind`, an optional `note`, and one
/// `unit_ids` field per ticked unit (none ticked: every unit). Repeated fields, so read as pairs.
async fn uses_set(
    AxState(state): AxState<State>,
    Person(u): Person,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let mut use_kind = None;
    let mut note = None;
    let mut unit_ids = Vec::new();
    for (k, v) in pairs {
        match k.as_str() {
            "use_kind" => {
                use_kind = Some(
                    crate::util::parse_enum_key::<crate::app::rents::UseKind>(&v).map_err(
                        |_| {
                            AppError::invalid(
                                "use_kind",
                                format!("not a use: {v:?} (rental, sale or resettlement)"),
                            )
                        },
                    )?,
                )
            }
            "note" if !v.trim().is_empty() => note = Some(v.trim().to_string()),
            "unit_ids" => unit_ids.push(
                v.parse::<i64>()
                    .map_err(|_| AppError::invalid("unit_ids", format!("not a unit id: {v:?}")))?,
            ),
            _ => {}
        }
    }
    let setting = crate::app::rents::UseSetting {
        use_kind: use_kind.ok_or_else(|| AppError::invalid("use_kind", "choose a use"))?,
        unit_ids,
        note,
    };
    validator::Validate::validate(&setting)
        .map_err(|e| AppError::invalid("note", e.to_string().replace('\n', "; ")))?;
    state.set_unit_uses(&u, None, id, setting).await?;
    Ok(Redirect::to(&format!("/listings/{id}/rents")).into_response())
}

async fn schedule_form(
    AxState(state): AxState<State>,
    Person(u): Person,
) -> Result<Html<String>, PageError> {
    let policies: Vec<&String> = state.registry.packs.keys().collect();
    render(
        &state,
        "schedule.html",
        minijinja::context! { user => v(&u), role_label => v(&u.role.label_zh()), policies => v(&policies) },
    )
}

/// HS-P12: the 一房一价 schedule from an uploaded unit sheet, as a printable page or xlsx.
async fn schedule_make(
    AxState(state): AxState<State>,
    Person(u): Person,
    mut mp: Multipart,
) -> Result<Response, PageError> {
    let mut fields = std::collections::BTreeMap::new();
    let mut units = None;
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|e| AppError::invalid("form", e.body_text()))?
    {
        let name = field.name().unwrap_or_default().to_string();
        let bytes = field
            .bytes()
            .await
            .map_err(|e| AppError::invalid(&name, e.body_text()))?;
        if name == "units" {
            units = Some(bytes.to_vec());
        } else {
            fields.insert(name, String::from_utf8_lossy(&bytes).to_string());
        }
    }
    let units = units.ok_or_else(|| AppError::invalid("units", "upload the unit sheet"))?;
    let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
    // The form's own fields first: a wrong policy or factors table is refused unparsed.
    let policy = Some(get("policy")).filter(|p| !p.is_empty());
    if let Some(p) = &policy {
        state.pack(p)?;
    }
    let factors = crate::app::pricing::FactorsInput::from_toml(&get("factors"))?;
    let list = state
        .parse(move || crate::excel::schedule::parse_sale_units(&units))
        .await?
        .map_err(AppError::Workbook)?;
    let req = crate::app::pricing::UnitsRequest {
        policy,
        base_per_m2: crate::app::flow::DecimalText(get("base_per_m2")),
        units: list
            .into_iter()
            .map(|x| crate::app::pricing::UnitInput {
                room: x.room,
                building: x.building,
                floor: x.floor,
                orientation: x.orientation,
                layout: x.layout,
                area_m2: crate::app::flow::DecimalText(x.area_m2.to_string()),
            })
            .collect(),
        factors,
    };
    let (a, s) = state.calc().price_units(&req)?;
    let title = Some(get("title"))
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| "一房一价表".into());
    if get("format") == "xlsx" {
        return Ok((
            [
                (
                    header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                ),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"schedule.xlsx\"",
                ),
            ],
            crate::excel::schedule::schedule_xlsx(&title, &a.rules, &s),
        )
            .into_response());
    }
    Ok(render(
        &state,
        "schedule.html",
        minijinja::context! { user => v(&u), role_label => v(&u.role.label_zh()), a => v(&a), s => v(&s), title => title },
    )?
    .into_response())
}

/// The finance bureau's ledger page: chain check, trial balance, exceptions, entries.
async fn ledger_page(
    AxState(state): AxState<State>,
    Person(u): Person,
) -> Result<Html<String>, PageError> {
    let tb = state.trial_balance(&u).await?;
    let ex = state.ledger_exceptions(&u).await?;
    let entries = state.ledger_entries(&u).await?;
    let verify = state.verify_ledger(None).await?;
    render(
        &state,
        "ledger.html",
        minijinja::context! { user => v(&u), role_label => v(&u.role.label_zh()), tb => v(&tb), ex => v(&ex), entries => v(&entries), verify => v(&verify), today => v(&state.today()) },
    )
}

#[derive(Deserialize)]
struct ReconPageQuery {
    account: String,
    upto: chrono::NaiveDate,
}

async fn reconciliation_page(
    AxState(state): AxState<State>,
    Person(u): Person,
    axum::extract::Query(q): axum::extract::Query<ReconPageQuery>,
) -> Result<Html<String>, PageError> {
    let r = state.reconciliation(&u, &q.account, q.upto).await?;
    render(
        &state,
        "reconciliation.html",
        minijinja::context! { user => v(&u), role_label => v(&u.role.label_zh()), r => v(&r) },
    )
}

/// A project's fund report as a page (the workbook's sheets, for reading and printing).
async fn project_report_page(
    AxState(state): AxState<State>,
    Person(u): Person,
    Path(project): Path<String>,
) -> Result<Html<String>, PageError> {
    let r = state.project_report(&u, &project).await?;
    render(
        &state,
        "project_report.html",
        minijinja::context! { user => v(&u), role_label => v(&u.role.label_zh()), r => v(&r) },
    )
}

#[derive(Deserialize)]
struct SortQuery {
    sort: Option<String>,
}

/// The housing bureau's comparison of an opened round, sortable, with the printable plan.
async fn bids_page(
    AxState(state): AxState<State>,
    Person(u): Person,
    Path(id): Path<i64>,
    axum::extract::Query(q): axum::extract::Query<SortQuery>,
) -> Result<Html<String>, PageError> {
    let c = state.comparison(&u, id).await?;
    let recorded = match state.recorded_plan(&u, id).await {
        Ok(p) => Some(p),
        Err(crate::app::AppError::NotFound(_)) => None,
        Err(e) => return Err(e.into()),
    };
    let mut rows = c.ranking.clone();
    let price = |id: i64| {
        c.bids
            .iter()
            .find(|b| b.id == id)
            .map(|b| b.bid.price_per_m2)
            .unwrap_or_default()
    };
    match q.sort.as_deref() {
        Some("price") => rows.sort_by_key(|s| price(s.id)),
        Some("area") => rows.sort_by_key(|s| std::cmp::Reverse(s.compliant_area_m2)),
        Some("total") => rows.sort_by_key(|s| std::cmp::Reverse(s.total)),
        _ => {}
    }
    render(
        &state,
        "bids.html",
        minijinja::context! { user => v(&u), role_label => v(&u.role.label_zh()), c => v(&c), rows => v(&rows),
        recorded => v(&recorded), can_record => u.role == crate::domain::role::Role::HousingBureau },
    )
}

/// HS-A7.4: the housing bureau records the comparison's plan for the planning step.
async fn record_plan(
    AxState(state): AxState<State>,
    Person(u): Person,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    state.record_plan(&u, id).await?;
    Ok(Redirect::to(&format!("/rounds/{id}/bids")).into_response())
}

pub fn routes() -> Router<State> {
    Router::new()
        .route("/", get(sign_in_page))
        .route("/login", post(sign_in))
        .route("/logout", post(sign_out))
        .route("/inbox", get(inbox))
        .route("/rounds/{id}", get(round_page))
        .route("/listings/{id}", get(listing_page))
        .route("/instances/{id}/act/{action}", post(act))
        .route("/listings/{id}/upload", post(upload))
        .route("/listings/{id}/exceptions", post(exception_request))
        .route("/listings/{id}/valuations", post(valuation))
        .route("/listings/{id}/offers", post(offer))
        .route("/listings/{id}/negotiation-record", get(negotiation_record))
        .route("/rounds/{id}/exceptions", get(exceptions_report))
        .route("/exceptions/{id}/decision", post(exception_decision))
        .route("/listings/{id}/rents", get(rents_page).post(rents_set))
        .route("/listings/{id}/uses", post(uses_set))
        .route("/price/schedule", get(schedule_form).post(schedule_make))
        .route("/ledger", get(ledger_page))
        .route("/rounds/{id}/bids", get(bids_page))
        .route("/rounds/{id}/plan", post(record_plan))
        .route("/ledger/reconciliation", get(reconciliation_page))
        .route("/ledger/projects/{project}", get(project_report_page))
}
