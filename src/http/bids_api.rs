//! `/api/rounds/{id}/tender|bids|bids/open|bids/comparison`: sealed bids (issue 4, first part).

use super::api::{ApiJson, ApiPath};
use super::auth::Caller;
use super::{ApiError, State};
use crate::app::acquirers::{AcquirerInput, RevokeInput};
use crate::app::bids::{
    BidInput, BidResult, BidView, Comparison, OpeningInput, RecordedPlan, RoundBids, TenderInput,
    TenderSet,
};
use crate::store::bids::AcquirerRow;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

#[utoipa::path(post, path = "/api/rounds/{id}/tender", tag = "bids", params(("id" = i64, Path)), request_body = TenderInput,
    responses((status = 201, body = TenderSet), (status = 409, body = crate::app::error::Problem), (status = 422, body = crate::app::error::Problem)))]
pub async fn set_tender(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(t): ApiJson<TenderInput>,
) -> Result<Response, ApiError> {
    let set = app.set_tender(&u, id, t).await?;
    Ok((StatusCode::CREATED, Json(set)).into_response())
}

/// A developer seals its bid (a later one replaces it until the deadline).
#[utoipa::path(post, path = "/api/rounds/{id}/bids", tag = "bids", params(("id" = i64, Path)), request_body = BidInput,
    responses((status = 201, body = BidView), (status = 409, body = crate::app::error::Problem), (status = 422, body = crate::app::error::Problem)))]
pub async fn submit_bid(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<BidInput>,
) -> Result<Response, ApiError> {
    let v = app.submit_bid(&u, id, b).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// Before the opening: a developer's receipts of its company's bid, no content; officials are
/// refused. After it: officials every bid, a developer its own.
#[utoipa::path(get, path = "/api/rounds/{id}/bids", tag = "bids", params(("id" = i64, Path)),
    responses((status = 200, body = RoundBids), (status = 403, body = crate::app::error::Problem)))]
pub async fn list_bids(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<RoundBids>, ApiError> {
    Ok(Json(app.round_bids(&u, id).await?))
}

/// The published result after the opening: the ranking, every bidder's price and scores
/// (officials, and the companies that bid).
#[utoipa::path(get, path = "/api/rounds/{id}/bids/result", tag = "bids", params(("id" = i64, Path)),
    responses((status = 200, body = BidResult), (status = 403, body = crate::app::error::Problem)))]
pub async fn bid_result(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<BidResult>, ApiError> {
    Ok(Json(app.bid_result(&u, id).await?))
}

/// The opening, with the opening key the tender's answer gave.
#[utoipa::path(post, path = "/api/rounds/{id}/bids/open", tag = "bids", params(("id" = i64, Path)), request_body = OpeningInput,
    responses((status = 200), (status = 409, body = crate::app::error::Problem), (status = 422, body = crate::app::error::Problem)))]
pub async fn open_bids(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<Option<OpeningInput>>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let at = app.open_bids(&u, id, input.unwrap_or_default()).await?;
    Ok(Json(serde_json::json!({ "opened_at": at })))
}

#[utoipa::path(get, path = "/api/rounds/{id}/bids/comparison", tag = "bids", params(("id" = i64, Path)),
    responses((status = 200, body = Comparison), (status = 403, body = crate::app::error::Problem)))]
pub async fn comparison(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Comparison>, ApiError> {
    Ok(Json(app.comparison(&u, id).await?))
}

/// The comparison as a workbook: a row per bid, a sheet per criterion, the plan.
#[utoipa::path(get, path = "/api/rounds/{id}/bids/comparison.xlsx", tag = "bids", params(("id" = i64, Path)),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 403, body = crate::app::error::Problem)))]
pub async fn comparison_xlsx(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, ApiError> {
    Ok(comparison_xlsx_response(&app, &u, id).await?)
}

/// The comparison workbook (the API's and the comparison page's download).
pub async fn comparison_xlsx_response(
    app: &crate::app::App,
    u: &crate::store::users::User,
    id: i64,
) -> Result<Response, crate::app::AppError> {
    let c = app.comparison(u, id).await?;
    Ok(super::api::xlsx(
        "comparison.xlsx",
        crate::excel::comparison::comparison_workbook(&c),
    ))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct ListingQuery {
    /// The company's listing in this round the bid offers (its valuation gives the ceiling).
    pub listing_id: Option<i64>,
}

/// A bid as a workbook (request body: the xlsx with sheets 楼盘表 and 报价).
#[utoipa::path(post, path = "/api/rounds/{id}/bids.xlsx", tag = "bids", params(("id" = i64, Path), ListingQuery),
    request_body(content = Vec<u8>, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    responses((status = 201, body = BidView), (status = 422, body = crate::app::error::Problem)))]
pub async fn submit_bid_xlsx(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(id): ApiPath<i64>,
    axum::extract::Query(q): axum::extract::Query<ListingQuery>,
    body: axum::body::Body,
) -> Result<Response, ApiError> {
    let admission = app.admit_bid_workbook(&u, id, q.listing_id).await;
    let body = super::api::admitted(admission, body).await?;
    let v = app.submit_bid_xlsx(&u, id, body, q.listing_id).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// The bid workbook to fill in.
#[utoipa::path(get, path = "/api/templates/bid.xlsx", tag = "bids",
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
pub async fn bid_template(Caller(_caller): Caller) -> Response {
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                "attachment; filename=\"bid.xlsx\"",
            ),
        ],
        crate::excel::bid::bid_template(),
    )
        .into_response()
}

/// YQ-7.1: the leading group designates an acquiring company (收购主体) of a pack; a third in
/// Yangquan, or a government financing platform, is refused (422).
#[utoipa::path(post, path = "/api/packs/{pack}/acquirers", tag = "bids", params(("pack" = String, Path)), request_body = AcquirerInput,
    responses((status = 201, body = AcquirerRow), (status = 409, body = crate::app::error::Problem), (status = 422, body = crate::app::error::Problem)))]
pub async fn designate_acquirer(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(pack): ApiPath<String>,
    ApiJson(a): ApiJson<AcquirerInput>,
) -> Result<Response, ApiError> {
    let v = app.designate_acquirer(&u, &pack, a).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// Every designation of a pack, revoked ones included.
#[utoipa::path(get, path = "/api/packs/{pack}/acquirers", tag = "bids", params(("pack" = String, Path)),
    responses((status = 200, body = Vec<AcquirerRow>), (status = 422, body = crate::app::error::Problem)))]
pub async fn list_acquirers(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(_u): Caller,
    ApiPath(pack): ApiPath<String>,
) -> Result<Json<Vec<AcquirerRow>>, ApiError> {
    Ok(Json(app.acquirers(&pack).await?))
}

#[utoipa::path(post, path = "/api/acquirers/{id}/revoke", tag = "bids", params(("id" = i64, Path)), request_body = RevokeInput,
    responses((status = 200, body = AcquirerRow), (status = 409, body = crate::app::error::Problem)))]
pub async fn revoke_acquirer(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(r): ApiJson<RevokeInput>,
) -> Result<Json<AcquirerRow>, ApiError> {
    Ok(Json(app.revoke_acquirer(&u, id, r).await?))
}

/// HS-A7.4: the housing bureau records the opened comparison's plan as the planning step's input.
#[utoipa::path(post, path = "/api/rounds/{id}/plan", tag = "bids", params(("id" = i64, Path)),
    responses((status = 201, body = RecordedPlan), (status = 409, body = crate::app::error::Problem)))]
pub async fn record_plan(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, ApiError> {
    let v = app.record_plan(&u, id).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

#[utoipa::path(get, path = "/api/rounds/{id}/plan", tag = "bids", params(("id" = i64, Path)),
    responses((status = 200, body = RecordedPlan), (status = 404, body = crate::app::error::Problem)))]
pub async fn recorded_plan(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<RecordedPlan>, ApiError> {
    Ok(Json(app.recorded_plan(&u, id).await?))
}

pub fn routes() -> Router<State> {
    Router::new()
        .route(
            "/api/packs/{pack}/acquirers",
            get(list_acquirers).post(designate_acquirer),
        )
        .route("/api/acquirers/{id}/revoke", post(revoke_acquirer))
        .route(
            "/api/rounds/{id}/plan",
            get(recorded_plan).post(record_plan),
        )
        .route("/api/rounds/{id}/tender", post(set_tender))
        .route("/api/rounds/{id}/bids", get(list_bids).post(submit_bid))
        .route("/api/rounds/{id}/bids/open", post(open_bids))
        .route("/api/rounds/{id}/bids/result", get(bid_result))
        .route("/api/rounds/{id}/bids.xlsx", post(submit_bid_xlsx))
        .route("/api/templates/bid.xlsx", get(bid_template))
        .route("/api/rounds/{id}/bids/comparison", get(comparison))
        .route(
            "/api/rounds/{id}/bids/comparison.xlsx",
            get(comparison_xlsx),
        )
}
