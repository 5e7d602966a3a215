//! `/api/applications…`, `/api/sales…`, `/api/public/status`: households' applications and the
//! sale of bought units to them (ALLOCATION.md §1–§8). Workflow actions on applications and
//! sales go through `/api/instances/{id}/actions/{action}` like every instance's.

use super::api::{ApiJson, ApiPath, ApiQuery, ApiResult, json_idem, reply};
use super::auth::Caller;
use super::{ApiError, State};
use crate::app::allocation::{
    ApplicationSummary, ApplicationView, FigureInput, FindingInput, MaterialsInput, NewApplication,
    PublicStatus,
};
use crate::app::sales::{
    ContractInput, DrawInput, EntrantInput, NewSale, ReceiptInput, SalePlanInput, SaleView,
    ScoreInput, SelectionInput,
};
use crate::domain::allocation::household::HouseholdInput;

use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

/// The accepting unit enters a household's application (ALLOCATION.md §2).
#[utoipa::path(post, path = "/api/applications", tag = "allocation", request_body = NewApplication,
    responses((status = 201, body = ApplicationView), (status = 409, body = crate::app::error::Problem), (status = 422, body = crate::app::error::Problem)))]
pub async fn create_application(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    headers: HeaderMap,
    ApiJson(input): ApiJson<NewApplication>,
) -> ApiResult {
    let idem = json_idem(&headers, "POST /api/applications", &input)?;
    Ok(reply(
        app.create_application(&u, idem.as_ref(), input).await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    pub pack: String,
    /// `qualified`: the waiting list (轮候库).
    pub state: Option<String>,
    /// YQ-16's tier.
    pub tier: Option<u8>,
}

/// Applications of a pack, masked; `state=qualified` is the waiting list.
#[utoipa::path(get, path = "/api/applications", tag = "allocation", params(ListQuery),
    responses((status = 200, body = Vec<ApplicationSummary>)))]
pub async fn list_applications(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Vec<ApplicationSummary>>, ApiError> {
    Ok(Json(
        app.applications(&u, &q.pack, q.state.as_deref(), q.tier)
            .await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ReadQuery {
    /// Why the full record is read (logged); without it names and ID numbers are masked.
    pub purpose: Option<String>,
}

/// An application: masked, or in full with a logged `purpose`.
#[utoipa::path(get, path = "/api/applications/{id}", tag = "allocation", params(("id" = i64, Path), ReadQuery),
    responses((status = 200, body = ApplicationView), (status = 404, body = crate::app::error::Problem)))]
pub async fn get_application(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<ReadQuery>,
) -> Result<Json<ApplicationView>, ApiError> {
    Ok(Json(
        app.application_view(&u, id, q.purpose.as_deref()).await?,
    ))
}

/// NC-29, XY-19: corrected or changed household data (a new snapshot).
#[utoipa::path(post, path = "/api/applications/{id}/household", tag = "allocation", params(("id" = i64, Path)), request_body = HouseholdInput,
    responses((status = 200, body = ApplicationView), (status = 422, body = crate::app::error::Problem)))]
pub async fn correct_household(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<HouseholdInput>,
) -> ApiResult {
    let idem = json_idem(
        &headers,
        &format!("POST /api/applications/{id}/household"),
        &input,
    )?;
    Ok(reply(
        app.correct_household(&u, idem.as_ref(), id, input).await?,
    ))
}

/// The materials checklist (YQ-13, NC-26, XY-22).
#[utoipa::path(post, path = "/api/applications/{id}/materials", tag = "allocation", params(("id" = i64, Path)), request_body = MaterialsInput,
    responses((status = 200, body = ApplicationView)))]
pub async fn record_materials(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<MaterialsInput>,
) -> ApiResult {
    let idem = json_idem(
        &headers,
        &format!("POST /api/applications/{id}/materials"),
        &input,
    )?;
    Ok(reply(
        app.record_materials(&u, idem.as_ref(), id, input).await?,
    ))
}

/// A verifying department's finding (YQ-4, NC-27, XY-4).
#[utoipa::path(post, path = "/api/applications/{id}/findings", tag = "allocation", params(("id" = i64, Path)), request_body = FindingInput,
    responses((status = 200, body = ApplicationView), (status = 403, body = crate::app::error::Problem)))]
pub async fn record_finding(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<FindingInput>,
) -> ApiResult {
    let idem = json_idem(
        &headers,
        &format!("POST /api/applications/{id}/findings"),
        &input,
    )?;
    Ok(reply(
        app.record_finding(&u, idem.as_ref(), id, input).await?,
    ))
}

/// A local figure the text leaves to the locality (YQ-10.1.3), with year and source.
#[utoipa::path(post, path = "/api/packs/{pack}/figures", tag = "allocation", params(("pack" = String, Path)), request_body = FigureInput,
    responses((status = 201, description = "recorded")))]
pub async fn record_figure(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(pack): ApiPath<String>,
    ApiJson(input): ApiJson<FigureInput>,
) -> ApiResult {
    Ok(reply((201, app.record_figure(&u, &pack, input).await?)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct StatusQuery {
    pub no: String,
    pub id_number: String,
}

/// The public lookup (no sign-in): a household's standing by its application number and a
/// member's ID number, and nothing else.
#[utoipa::path(get, path = "/api/public/status", tag = "allocation", params(StatusQuery),
    responses((status = 200, body = PublicStatus), (status = 404, body = crate::app::error::Problem)))]
pub async fn public_status(
    axum::extract::State(app): axum::extract::State<State>,
    ApiQuery(q): ApiQuery<StatusQuery>,
) -> Result<Json<PublicStatus>, ApiError> {
    Ok(Json(app.public_status(&q.no, &q.id_number).await?))
}

/// Every full read of a household's record: who, when, why (supervisors).
#[utoipa::path(get, path = "/api/pii-reads", tag = "allocation",
    responses((status = 200, body = Vec<crate::store::allocation::PiiReadRow>)))]
pub async fn pii_reads(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
) -> Result<Json<Vec<crate::store::allocation::PiiReadRow>>, ApiError> {
    Ok(Json(app.pii_reads(&u).await?))
}

/// The acquirer opens a sale of an acquired listing's units.
#[utoipa::path(post, path = "/api/sales", tag = "allocation", request_body = NewSale,
    responses((status = 201, body = SaleView)))]
pub async fn create_sale(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    headers: HeaderMap,
    ApiJson(input): ApiJson<NewSale>,
) -> ApiResult {
    let idem = json_idem(&headers, "POST /api/sales", &input)?;
    Ok(reply(app.create_sale(&u, idem.as_ref(), input).await?))
}

#[utoipa::path(get, path = "/api/sales/{id}", tag = "allocation", params(("id" = i64, Path)),
    responses((status = 200, body = SaleView)))]
pub async fn get_sale(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<SaleView>, ApiError> {
    Ok(Json(app.sale_view(&u, id).await?))
}

/// The sale plan (YQ-15, NC-33, XY-13).
#[utoipa::path(post, path = "/api/sales/{id}/plan", tag = "allocation", params(("id" = i64, Path)), request_body = SalePlanInput,
    responses((status = 201, body = SaleView)))]
pub async fn record_sale_plan(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<SalePlanInput>,
) -> ApiResult {
    let idem = json_idem(&headers, &format!("POST /api/sales/{id}/plan"), &input)?;
    Ok(reply(
        app.record_sale_plan(&u, idem.as_ref(), id, input).await?,
    ))
}

/// A qualified household registers (YQ-15, XY-25.2).
#[utoipa::path(post, path = "/api/sales/{id}/entrants", tag = "allocation", params(("id" = i64, Path)), request_body = EntrantInput,
    responses((status = 201, body = SaleView)))]
pub async fn register_entrant(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<EntrantInput>,
) -> ApiResult {
    let idem = json_idem(&headers, &format!("POST /api/sales/{id}/entrants"), &input)?;
    Ok(reply(
        app.register_entrant(&u, idem.as_ref(), id, input).await?,
    ))
}

/// YQ-16: the next tier opens once the plan's period has passed.
#[utoipa::path(post, path = "/api/sales/{id}/tiers/next", tag = "allocation", params(("id" = i64, Path)),
    responses((status = 200, body = SaleView)))]
pub async fn open_next_tier(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<SaleView>, ApiError> {
    Ok(Json(app.open_next_tier(&u, id).await?))
}

/// Fixes the entrant list of the next draw and publishes its SHA-256.
#[utoipa::path(post, path = "/api/sales/{id}/lottery/fix", tag = "allocation", params(("id" = i64, Path)),
    responses((status = 200, body = SaleView)))]
pub async fn fix_lottery(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<SaleView>, ApiError> {
    Ok(Json(app.fix_lottery(&u, id).await?))
}

/// The draw with the seed entered at it (XY-25.3: by the notary).
#[utoipa::path(post, path = "/api/sales/{id}/lottery/draw", tag = "allocation", params(("id" = i64, Path)), request_body = DrawInput,
    responses((status = 200, body = SaleView)))]
pub async fn draw_lottery(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<DrawInput>,
) -> Result<Json<SaleView>, ApiError> {
    Ok(Json(app.draw_lottery(&u, id, input).await?))
}

/// A household's turn or a later give-up (XY-25.4, YQ-14, XY-36).
#[utoipa::path(post, path = "/api/sales/{id}/selections", tag = "allocation", params(("id" = i64, Path)), request_body = SelectionInput,
    responses((status = 201, body = SaleView)))]
pub async fn record_selection(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<SelectionInput>,
) -> ApiResult {
    let idem = json_idem(
        &headers,
        &format!("POST /api/sales/{id}/selections"),
        &input,
    )?;
    Ok(reply(
        app.record_selection(&u, idem.as_ref(), id, input).await?,
    ))
}

/// The sale contract (YQ-18, NC-35, XY-28).
#[utoipa::path(post, path = "/api/sales/{id}/contracts", tag = "allocation", params(("id" = i64, Path)), request_body = ContractInput,
    responses((status = 201, body = SaleView)))]
pub async fn sign_contract(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<ContractInput>,
) -> ApiResult {
    let idem = json_idem(&headers, &format!("POST /api/sales/{id}/contracts"), &input)?;
    Ok(reply(
        app.sign_sale_contract(&u, idem.as_ref(), id, input).await?,
    ))
}

/// NC-33: a registered household's score under the plan's criteria (a sale by scoring).
#[utoipa::path(post, path = "/api/sales/{id}/scores", tag = "allocation", params(("id" = i64, Path)), request_body = ScoreInput,
    responses((status = 201, body = SaleView), (status = 409, body = crate::app::error::Problem), (status = 422, body = crate::app::error::Problem)))]
pub async fn record_score(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<ScoreInput>,
) -> ApiResult {
    let idem = json_idem(&headers, &format!("POST /api/sales/{id}/scores"), &input)?;
    Ok(reply(app.record_score(&u, idem.as_ref(), id, input).await?))
}

/// Money received on a contract, posted as sale income to the project's ledger (HS-F2, NC-20,
/// XY-4); never more than the contract price in all.
#[utoipa::path(post, path = "/api/sales/{id}/receipts", tag = "allocation", params(("id" = i64, Path)), request_body = ReceiptInput,
    responses((status = 201, body = SaleView), (status = 422, body = crate::app::error::Problem)))]
pub async fn record_receipt(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<ReceiptInput>,
) -> ApiResult {
    let idem = json_idem(&headers, &format!("POST /api/sales/{id}/receipts"), &input)?;
    Ok(reply(
        app.record_receipt(&u, idem.as_ref(), id, input).await?,
    ))
}

pub fn routes() -> Router<State> {
    Router::new()
        .route(
            "/api/applications",
            get(list_applications).post(create_application),
        )
        .route("/api/applications/{id}", get(get_application))
        .route("/api/applications/{id}/household", post(correct_household))
        .route("/api/applications/{id}/materials", post(record_materials))
        .route("/api/applications/{id}/findings", post(record_finding))
        .route("/api/packs/{pack}/figures", post(record_figure))
        .route("/api/public/status", get(public_status))
        .route("/api/pii-reads", get(pii_reads))
        .route("/api/sales", post(create_sale))
        .route("/api/sales/{id}", get(get_sale))
        .route("/api/sales/{id}/plan", post(record_sale_plan))
        .route("/api/sales/{id}/entrants", post(register_entrant))
        .route("/api/sales/{id}/tiers/next", post(open_next_tier))
        .route("/api/sales/{id}/lottery/fix", post(fix_lottery))
        .route("/api/sales/{id}/lottery/draw", post(draw_lottery))
        .route("/api/sales/{id}/selections", post(record_selection))
        .route("/api/sales/{id}/contracts", post(sign_contract))
        .route("/api/sales/{id}/scores", post(record_score))
        .route("/api/sales/{id}/receipts", post(record_receipt))
}
