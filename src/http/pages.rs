//! Server-rendered pages for people: sign in with a token, an inbox, round and listing pages
//! with timelines and the actions the reader may take. Plain HTML forms; no JavaScript needed.
//! Every form posts to the same `app/` commands as the API, with the session's form token
//! ([`Posted`]); a page redirects only to a path of this site ([`local_path`]).

use super::auth::{SESSION_COOKIE, SIGN_IN_COOKIE, csrf_of, same_secret, session_of};
use super::{State, api};
use crate::app::AppError;
use crate::app::flow::{ActionRequest, ExceptionDecision, ExceptionRequest, ValuationInput};
use crate::app::negotiation::OfferInput;
use crate::store::users::User;
use axum::Router;
use axum::extract::{Form, FromRequest, Multipart, Path, State as AxState};
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
            "<!doctype html><meta charset=utf-8><title>出错了</title><h1>{} {}</h1><p>{}</p><p><code>{}</code></p>{}<p><a href=\"/inbox\">返回待办</a></p>",
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
pub(super) fn v<T: serde::Serialize>(x: &T) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(x))
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The signed-in person (session cookie) and the session's form token, or a redirect to sign in.
pub struct Person(pub User, pub String);

impl axum::extract::FromRequestParts<State> for Person {
    type Rejection = PageError;
    async fn from_request_parts(parts: &mut Parts, state: &State) -> Result<Self, Self::Rejection> {
        let s = session_of(state, parts).await?;
        Ok(Person(s.user, s.csrf))
    }
}

/// A posted form of a signed-in person, accepted only with the session's form token in its
/// `csrf` field: another site can make a browser post, but cannot know the token.
pub struct Posted<T> {
    pub user: User,
    pub session: i64,
    pub form: T,
}

/// The largest form a page posts (files go as multipart, not here).
const FORM_LIMIT_BYTES: usize = 1024 * 1024;

/// `application/x-www-form-urlencoded` of `pairs`.
fn form_encode<'a>(pairs: impl Iterator<Item = &'a (String, String)>) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                    (b as char).to_string()
                }
                b' ' => "+".to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    pairs
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

impl<T: serde::de::DeserializeOwned + Send> axum::extract::FromRequest<State> for Posted<T> {
    type Rejection = PageError;
    async fn from_request(
        req: axum::extract::Request,
        state: &State,
    ) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let session = session_of(state, &mut parts).await?;
        let bytes = axum::body::to_bytes(body, FORM_LIMIT_BYTES)
            .await
            .map_err(|e| AppError::TooLarge(format!("the form is too large: {e}")))?;
        let bad_form = |e: axum::extract::rejection::FormRejection| {
            PageError(AppError::invalid("form", e.body_text()))
        };
        let again = |parts: &Parts, bytes: &axum::body::Bytes| {
            let mut r = axum::http::Request::new(axum::body::Body::from(bytes.clone()));
            *r.method_mut() = parts.method.clone();
            *r.uri_mut() = parts.uri.clone();
            *r.headers_mut() = parts.headers.clone();
            r
        };
        let Form(pairs) = Form::<Vec<(String, String)>>::from_request(again(&parts, &bytes), state)
            .await
            .map_err(bad_form)?;
        let token = pairs.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v);
        if !token.is_some_and(|c| same_secret(c, &session.csrf)) {
            return Err(PageError(AppError::Forbidden(
                "the form's csrf token is missing or stale; reload the page".into(),
            )));
        }
        // The form without its token, for commands that refuse unknown fields.
        let rest = axum::body::Bytes::from(form_encode(pairs.iter().filter(|(k, _)| k != "csrf")));
        let Form(form) = Form::<T>::from_request(again(&parts, &rest), state)
            .await
            .map_err(bad_form)?;
        Ok(Posted {
            user: session.user,
            session: session.id,
            form,
        })
    }
}

/// A form with no field of its own (a button).
#[derive(Deserialize)]
pub struct Button {}

/// `back` as a redirect target: a path of this site (one `/`, then no `/` or `\\`, and only
/// characters a header may carry), else `None`. Checked before the command runs, so a refused
/// target never follows a committed decision.
pub fn local_path(back: &str) -> Option<&str> {
    let ok = back.starts_with('/')
        && !back.starts_with("//")
        && !back.starts_with("/\\")
        && back.len() <= 512
        && back.bytes().all(|b| b.is_ascii_graphic());
    ok.then_some(back)
}

fn back_or(back: Option<&str>, default: String) -> Result<String, PageError> {
    match back.filter(|b| !b.is_empty()) {
        None => Ok(default),
        Some(b) => local_path(b).map(str::to_string).ok_or_else(|| {
            PageError(AppError::invalid(
                "back",
                "back must be a path of this site, such as /listings/1",
            ))
        }),
    }
}

pub(super) fn render(
    state: &State,
    name: &str,
    ctx: minijinja::Value,
) -> Result<Html<String>, PageError> {
    let t = state
        .templates
        .get_template(name)
        .map_err(|e| AppError::Internal(format!("template {name}: {e}")))?;
    t.render(ctx)
        .map(Html)
        .map_err(|e| AppError::Internal(format!("template {name}: {e:#}")).into())
}

/// The sign-in page, with a fresh cookie whose hash the form carries back.
async fn sign_in_page(AxState(state): AxState<State>) -> Result<Response, PageError> {
    let secret = crate::store::users::new_secret("anjui_");
    let page = render(
        &state,
        "login.html",
        minijinja::context! { csrf => csrf_of(&secret) },
    )?;
    let cookie = format!(
        "{SIGN_IN_COOKIE}={secret}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=3600"
    );
    Ok(([(header::SET_COOKIE, cookie)], page).into_response())
}

#[derive(Deserialize)]
struct LoginForm {
    token: String,
    csrf: Option<String>,
}

/// Signs a person in with an API token: a new session, its own secret in the cookie.
async fn sign_in(
    AxState(state): AxState<State>,
    req: axum::extract::Request,
) -> Result<Response, PageError> {
    let (parts, body) = req.into_parts();
    let form_cookie = super::auth::cookie(&parts, SIGN_IN_COOKIE);
    let bytes = axum::body::to_bytes(body, FORM_LIMIT_BYTES)
        .await
        .map_err(|e| AppError::TooLarge(format!("the form is too large: {e}")))?;
    let f: LoginForm = Form::<LoginForm>::from_request(
        axum::http::Request::from_parts(parts.clone(), axum::body::Body::from(bytes)),
        &state,
    )
    .await
    .map_err(|e| AppError::invalid("form", e.body_text()))?
    .0;
    let fresh = form_cookie
        .zip(f.csrf)
        .is_some_and(|(c, t)| same_secret(&csrf_of(&c), &t));
    if !fresh {
        return Err(PageError(AppError::Forbidden(
            "the sign-in form is stale; reload the page".into(),
        )));
    }
    let (user, _) = super::auth::sign_in(
        &state,
        &parts,
        f.token.trim(),
        crate::store::users::CredentialKind::Token,
        "page",
    )
    .await?;
    let secret = crate::app::users::start_session(&state, &user).await?;
    tracing::info!(target: "anju::audit", user = user.id, "signed in on the pages");
    let session = format!(
        "{SESSION_COOKIE}={secret}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age={}",
        crate::app::users::SESSION_HOURS * 3600
    );
    let clear = format!("{SIGN_IN_COOKIE}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict");
    let mut r = Redirect::to("/inbox").into_response();
    for c in [session, clear] {
        r.headers_mut().append(
            header::SET_COOKIE,
            c.parse().expect("a cookie of visible ASCII"),
        );
    }
    Ok(r)
}

/// Signs out: the session ends on the server, not only in the browser.
async fn sign_out(
    AxState(state): AxState<State>,
    p: Posted<Button>,
) -> Result<Response, PageError> {
    crate::app::users::end_session(&state, &p.user, p.session).await?;
    Ok((
        [(
            header::SET_COOKIE,
            format!("{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict"),
        )],
        Redirect::to("/"),
    )
        .into_response())
}

async fn inbox(
    AxState(state): AxState<State>,
    Person(u, csrf): Person,
) -> Result<Html<String>, PageError> {
    let items = state.inbox(&u).await?;
    let rounds = state.rounds(&u).await?;
    let listings = state.listings(&u, None).await?;
    let flags = match u.role {
        crate::domain::role::Role::HousingBureau | crate::domain::role::Role::Supervisor => {
            crate::app::users::flags(&state, &u).await?
        }
        _ => Vec::new(),
    };
    render(
        &state,
        "inbox.html",
        minijinja::context! { csrf => csrf.as_str(), user => v(&u), role_label => v(&u.role.label_zh()), items => v(&items), rounds => v(&rounds), listings => v(&listings), flags => v(&flags), today => v(&state.today()) },
    )
}

async fn round_page(
    AxState(state): AxState<State>,
    Person(u, csrf): Person,
    Path(id): Path<i64>,
) -> Result<Html<String>, PageError> {
    let r = state.round_view(&u, id).await?;
    render(
        &state,
        "round.html",
        minijinja::context! { csrf => csrf.as_str(), user => v(&u), role_label => v(&u.role.label_zh()), r => v(&r), today => v(&state.today()) },
    )
}

async fn listing_page(
    AxState(state): AxState<State>,
    Person(u, csrf): Person,
    Path(id): Path<i64>,
) -> Result<Html<String>, PageError> {
    let l = state.listing_view(&u, id).await?;
    let n = state.negotiation_view(&u, id).await?;
    render(
        &state,
        "listing.html",
        minijinja::context! { csrf => csrf.as_str(), user => v(&u), role_label => v(&u.role.label_zh()), l => v(&l), n => v(&n), today => v(&state.today()) },
    )
}

async fn valuation(
    AxState(state): AxState<State>,
    Path(id): Path<i64>,
    p: Posted<ValuationInput>,
) -> Result<Response, PageError> {
    state.record_valuation(&p.user, None, id, p.form).await?;
    Ok(Redirect::to(&format!("/listings/{id}")).into_response())
}

async fn offer(
    AxState(state): AxState<State>,
    Path(id): Path<i64>,
    p: Posted<OfferInput>,
) -> Result<Response, PageError> {
    let mut f = p.form;
    f.note = f.note.filter(|n| !n.trim().is_empty());
    state.make_offer(&p.user, None, id, f).await?;
    Ok(Redirect::to(&format!("/listings/{id}")).into_response())
}

/// The printable negotiation record (洽谈记录): every ask and offer against the ceiling, the
/// agreed and final prices, amounts also in capitals (大写).
async fn negotiation_record(
    AxState(state): AxState<State>,
    Person(u, csrf): Person,
    Path(id): Path<i64>,
) -> Result<Html<String>, PageError> {
    let n = state.negotiation_view(&u, id).await?;
    let l = state.listing_view(&u, id).await?;
    render(
        &state,
        "negotiation_record.html",
        minijinja::context! { csrf => csrf.as_str(), user => v(&u), role_label => v(&u.role.label_zh()), n => v(&n), l => v(&l), today => v(&state.today()) },
    )
}

/// The printable exceptions report of a round: every "in principle" limit passed, who asked,
/// why, and the leading group's decision.
async fn exceptions_report(
    AxState(state): AxState<State>,
    Person(u, csrf): Person,
    Path(id): Path<i64>,
) -> Result<Html<String>, PageError> {
    let r = state.round_view(&u, id).await?;
    let exceptions = state.exceptions_report(&u, Some(id)).await?;
    render(
        &state,
        "exceptions_report.html",
        minijinja::context! { csrf => csrf.as_str(), user => v(&u), role_label => v(&u.role.label_zh()), r => v(&r), exceptions => v(&exceptions), today => v(&state.today()) },
    )
}

#[derive(Deserialize)]
struct ActionForm {
    expected_version: i64,
    comment: Option<String>,
    price_per_m2: Option<String>,
    clear: Option<String>,
    /// HS-A4.2 / HS-A4.1: the reviewer's findings, as checkboxes.
    no_luxury: Option<String>,
    little_work_left: Option<String>,
    back: Option<String>,
}

async fn act(
    AxState(state): AxState<State>,
    Path((id, action)): Path<(i64, String)>,
    p: Posted<ActionForm>,
) -> Result<Response, PageError> {
    let f = p.form;
    let back = back_or(f.back.as_deref(), format!("/listings/{id}"))?;
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
    if f.no_luxury.is_some() || f.little_work_left.is_some() {
        payload.insert(
            "findings".into(),
            serde_json::json!({
                "no_luxury": f.no_luxury.as_deref() == Some("true"),
                "little_work_left": f.little_work_left.as_deref() == Some("true"),
            }),
        );
    }
    let req = ActionRequest {
        expected_version: f.expected_version,
        comment: f.comment.filter(|c| !c.trim().is_empty()),
        payload: serde_json::Value::Object(payload),
    };
    state.act(&p.user, None, id, &action, req).await?;
    Ok(Redirect::to(&back).into_response())
}

async fn upload(
    AxState(state): AxState<State>,
    Person(u, csrf): Person,
    Path(id): Path<i64>,
    mp: Multipart,
) -> Result<Response, PageError> {
    let up = api::read_upload(mp, &state, &u, id, Some(&csrf)).await?;
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
    Path(id): Path<i64>,
    p: Posted<ExceptionRequest>,
) -> Result<Response, PageError> {
    state.request_exception(&p.user, None, id, p.form).await?;
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
    Path(id): Path<i64>,
    p: Posted<DecisionForm>,
) -> Result<Response, PageError> {
    let f = p.form;
    let back = back_or(Some(&f.back), "/inbox".into())?;
    state
        .decide_exception(
            &p.user,
            None,
            id,
            ExceptionDecision {
                approved: f.approved == "true",
                comment: f.comment,
            },
        )
        .await?;
    Ok(Redirect::to(&back).into_response())
}

async fn rents_page(
    AxState(state): AxState<State>,
    Person(u, csrf): Person,
    Path(id): Path<i64>,
) -> Result<Html<String>, PageError> {
    let r = state.rent_register(&u, id).await?;
    render(
        &state,
        "rents.html",
        minijinja::context! { csrf => csrf.as_str(), user => v(&u), role_label => v(&u.role.label_zh()), r => v(&r) },
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
    Path(id): Path<i64>,
    p: Posted<RentForm>,
) -> Result<Response, PageError> {
    let f = p.form;
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
    state.set_rents(&p.user, None, id, setting).await?;
    Ok(Redirect::to(&format!("/listings/{id}/rents")).into_response())
}

#[derive(Deserialize)]
struct ProposalDecisionForm {
    approved: String,
    decision_ref: String,
    comment: Option<String>,
    listing_id: i64,
}

/// One step of a price proposal's chain, from the rent register page.
async fn proposal_decide(
    AxState(state): AxState<State>,
    Path(id): Path<i64>,
    p: Posted<ProposalDecisionForm>,
) -> Result<Response, PageError> {
    let (u, f) = (p.user, p.form);
    let d = crate::app::proposals::ProposalDecision {
        approved: f.approved == "true",
        decision_ref: f.decision_ref,
        comment: f.comment.filter(|c| !c.trim().is_empty()),
    };
    validator::Validate::validate(&d)
        .map_err(|e| AppError::invalid("decision_ref", e.to_string().replace('\n', "; ")))?;
    state.decide_proposal(&u, None, id, d).await?;
    Ok(Redirect::to(&format!("/listings/{}/rents", f.listing_id)).into_response())
}

/// HS-A6: the use form of the rent register page: `use_kind`, an optional `note`, and one
/// `unit_ids` field per ticked unit (none ticked: every unit). Repeated fields, so read as pairs.
async fn uses_set(
    AxState(state): AxState<State>,
    Path(id): Path<i64>,
    p: Posted<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let mut use_kind = None;
    let mut note = None;
    let mut unit_ids = Vec::new();
    for (k, v) in p.form {
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
            "csrf" => {}
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
    state.set_unit_uses(&p.user, None, id, setting).await?;
    Ok(Redirect::to(&format!("/listings/{id}/rents")).into_response())
}

async fn schedule_form(
    AxState(state): AxState<State>,
    Person(u, csrf): Person,
) -> Result<Html<String>, PageError> {
    let policies: Vec<&String> = state.registry.packs.keys().collect();
    render(
        &state,
        "schedule.html",
        minijinja::context! { csrf => csrf.as_str(), user => v(&u), role_label => v(&u.role.label_zh()), policies => v(&policies) },
    )
}

/// HS-P12: the 一房一价 schedule from an uploaded unit sheet, as a printable page or xlsx.
async fn schedule_make(
    AxState(state): AxState<State>,
    Person(u, csrf): Person,
    mut mp: Multipart,
) -> Result<Response, PageError> {
    let mut fields = std::collections::BTreeMap::new();
    let mut units = None;
    let mut first = true;
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|e| AppError::invalid("form", e.body_text()))?
    {
        let name = field.name().unwrap_or_default().to_string();
        // The form token comes first, before the sheet is read.
        if std::mem::take(&mut first) {
            let token = if name == "csrf" {
                field.text().await.unwrap_or_default()
            } else {
                String::new()
            };
            if !same_secret(&token, &csrf) {
                api::drain_multipart(&mut mp).await;
                return Err(PageError(AppError::Forbidden(
                    "the form's csrf token is missing or stale; reload the page".into(),
                )));
            }
            continue;
        }
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
        minijinja::context! { csrf => csrf.as_str(), user => v(&u), role_label => v(&u.role.label_zh()), a => v(&a), s => v(&s), title => title },
    )?
    .into_response())
}

/// Entries the ledger page shows (the newest).
const LEDGER_PAGE_ENTRIES: i64 = 200;

/// The finance bureau's ledger page: chain check, trial balance, exceptions, entries.
async fn ledger_page(
    AxState(state): AxState<State>,
    Person(u, csrf): Person,
) -> Result<Html<String>, PageError> {
    let tb = state.trial_balance(&u).await?;
    let ex = state.ledger_exceptions(&u).await?;
    // Bounded whatever the ledger's size: the newest entries, and the chain checked from its
    // last full verification on.
    let entries = state.latest_entries(&u, LEDGER_PAGE_ENTRIES).await?;
    let verify = state.verify_recent().await?;
    render(
        &state,
        "ledger.html",
        minijinja::context! { csrf => csrf.as_str(), user => v(&u), role_label => v(&u.role.label_zh()), tb => v(&tb), ex => v(&ex), entries => v(&entries), verify => v(&verify), today => v(&state.today()) },
    )
}

#[derive(Deserialize)]
struct ReconPageQuery {
    account: String,
    upto: chrono::NaiveDate,
}

async fn reconciliation_page(
    AxState(state): AxState<State>,
    Person(u, csrf): Person,
    axum::extract::Query(q): axum::extract::Query<ReconPageQuery>,
) -> Result<Html<String>, PageError> {
    let r = state.reconciliation(&u, &q.account, q.upto).await?;
    render(
        &state,
        "reconciliation.html",
        minijinja::context! { csrf => csrf.as_str(), user => v(&u), role_label => v(&u.role.label_zh()), r => v(&r) },
    )
}

/// A project's fund report as a page (the workbook's sheets, for reading and printing).
async fn project_report_page(
    AxState(state): AxState<State>,
    Person(u, csrf): Person,
    Path(project): Path<String>,
) -> Result<Html<String>, PageError> {
    let r = state.project_report(&u, &project).await?;
    render(
        &state,
        "project_report.html",
        minijinja::context! { csrf => csrf.as_str(), user => v(&u), role_label => v(&u.role.label_zh()), r => v(&r) },
    )
}

#[derive(Deserialize)]
struct SortQuery {
    sort: Option<String>,
}

/// The housing bureau's comparison of an opened round, sortable, with the printable plan.
async fn bids_page(
    AxState(state): AxState<State>,
    Person(u, csrf): Person,
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
            .find(|b| b.number == id)
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
        minijinja::context! { csrf => csrf.as_str(), user => v(&u), role_label => v(&u.role.label_zh()), c => v(&c), rows => v(&rows),
        recorded => v(&recorded), can_record => u.role == crate::domain::role::Role::HousingBureau },
    )
}

/// The printable result announcement of an opened round (officials and the bidders).
async fn bid_result_page(
    AxState(state): AxState<State>,
    Person(u, csrf): Person,
    Path(id): Path<i64>,
) -> Result<Html<String>, PageError> {
    let r = state.bid_result(&u, id).await?;
    render(
        &state,
        "bid_result.html",
        minijinja::context! { csrf => csrf.as_str(), user => v(&u), role_label => v(&u.role.label_zh()), r => v(&r) },
    )
}

/// HS-A7.4: the housing bureau records the comparison's plan for the planning step.
async fn record_plan(
    AxState(state): AxState<State>,
    Path(id): Path<i64>,
    p: Posted<Button>,
) -> Result<Response, PageError> {
    state.record_plan(&p.user, id).await?;
    Ok(Redirect::to(&format!("/rounds/{id}/bids")).into_response())
}

// ---- downloads a page links to (the API takes only bearer tokens, never this cookie) ----

async fn document_download(
    AxState(state): AxState<State>,
    Person(u, _): Person,
    Path((id, doc)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    let (meta, bytes) = state.document(&u, id, doc).await?;
    Ok(api::document_response(&meta, bytes))
}

async fn template_download(
    Person(_, _): Person,
    Path(name): Path<String>,
) -> Result<Response, PageError> {
    let bytes = match name.as_str() {
        "unit-list.xlsx" => crate::excel::unit_list::unit_list_template(),
        "sale-units.xlsx" => crate::excel::schedule::sale_units_template(),
        "bid.xlsx" => crate::excel::bid::bid_template(),
        "bank-statement.xlsx" => crate::excel::statement::statement_template(),
        _ => return Err(AppError::NotFound(format!("template {name}")).into()),
    };
    Ok(api::xlsx(&name, bytes))
}

async fn comparison_download(
    AxState(state): AxState<State>,
    Person(u, _): Person,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    Ok(super::bids_api::comparison_xlsx_response(&state, &u, id).await?)
}

#[derive(Deserialize)]
struct FormatQuery {
    format: String,
}

async fn ledger_export(
    AxState(state): AxState<State>,
    Person(u, _): Person,
    axum::extract::Query(q): axum::extract::Query<FormatQuery>,
) -> Result<Response, PageError> {
    Ok(super::ledger_api::export_response(&state, &u, &q.format).await?)
}

async fn project_report_download(
    AxState(state): AxState<State>,
    Person(u, _): Person,
    Path(project): Path<String>,
) -> Result<Response, PageError> {
    Ok(super::ledger_api::project_report_response(&state, &u, &project).await?)
}

// ---- user administration (the administrator acts; supervisors read) ----

async fn users_page(
    AxState(state): AxState<State>,
    Person(u, csrf): Person,
) -> Result<Html<String>, PageError> {
    let accounts = crate::app::users::accounts(&state, &u).await?;
    let events = crate::app::users::events(&state, &u).await?;
    let failures = crate::app::users::sign_in_failures(&state, &u).await?;
    let roles: Vec<(&str, &str)> = crate::domain::role::Role::ALL
        .iter()
        .map(|r| (r.key(), r.label_zh()))
        .collect();
    render(
        &state,
        "users.html",
        minijinja::context! { csrf => csrf.as_str(), user => v(&u), role_label => v(&u.role.label_zh()),
        accounts => v(&accounts), events => v(&events), failures => v(&failures), roles => v(&roles),
        can_act => u.role == crate::domain::role::Role::Admin },
    )
}

#[derive(Deserialize)]
struct NewUserForm {
    name: String,
    role: String,
    org: Option<String>,
}

/// A new account; its token is shown once, on the answer page.
async fn users_create(
    AxState(state): AxState<State>,
    p: Posted<NewUserForm>,
) -> Result<Html<String>, PageError> {
    let role = p
        .form
        .role
        .parse()
        .map_err(|e: String| AppError::invalid("role", e))?;
    let created = crate::app::users::create_user(
        &state,
        Some(&p.user),
        &p.form.name,
        role,
        p.form.org.as_deref(),
        crate::app::users::TOKEN_DAYS,
    )
    .await?;
    render(
        &state,
        "token.html",
        minijinja::context! { user => v(&p.user), role_label => v(&p.user.role.label_zh()),
        name => created.user.name, token => created.token, expires => v(&created.token_expires_at) },
    )
}

/// Disables, enables, revokes or rotates an account; a rotated token is shown once.
async fn users_act(
    AxState(state): AxState<State>,
    Path((id, act)): Path<(i64, String)>,
    p: Posted<Button>,
) -> Result<Response, PageError> {
    use crate::app::users as au;
    let me = Some(&p.user);
    match act.as_str() {
        "disable" => au::disable(&state, me, id).await?,
        "enable" => au::enable(&state, me, id).await?,
        "revoke" => {
            au::revoke(&state, me, id).await?;
        }
        "rotate" => {
            let issued = au::rotate(&state, me, id, au::TOKEN_DAYS).await?;
            return Ok(render(
                &state,
                "token.html",
                minijinja::context! { user => v(&p.user), role_label => v(&p.user.role.label_zh()),
                name => format!("#{id}"), token => issued.token, expires => v(&issued.token_expires_at) },
            )?
            .into_response());
        }
        _ => return Err(AppError::NotFound(format!("action {act}")).into()),
    }
    Ok(Redirect::to("/admin/users").into_response())
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
        .route("/price-proposals/{id}/decide", post(proposal_decide))
        .route("/listings/{id}/uses", post(uses_set))
        .route("/price/schedule", get(schedule_form).post(schedule_make))
        .route("/ledger", get(ledger_page))
        .route("/rounds/{id}/bids", get(bids_page))
        .route("/rounds/{id}/bids/result", get(bid_result_page))
        .route("/rounds/{id}/plan", post(record_plan))
        .route("/ledger/reconciliation", get(reconciliation_page))
        .route("/ledger/projects/{project}", get(project_report_page))
        .route("/listings/{id}/documents/{doc}", get(document_download))
        .route("/templates/{name}", get(template_download))
        .route(
            "/rounds/{id}/bids/comparison.xlsx",
            get(comparison_download),
        )
        .route("/ledger/export", get(ledger_export))
        .route(
            "/ledger/projects/{project}/report.xlsx",
            get(project_report_download),
        )
        .route("/admin/users", get(users_page).post(users_create))
        .route("/admin/users/{id}/{act}", post(users_act))
}
