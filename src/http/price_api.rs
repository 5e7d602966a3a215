//! `/api/price/…`: the calculators of issue 3 over HTTP, the same code as `anju price …`
//! (`app::pricing`). Any signed-in user may calculate; calculators store nothing. A limit that
//! is only "in principle" passes with `exception_id`, the id of an approved exception.

use super::api::ApiJson;
use super::auth::Caller;
use super::{ApiError, State};
use crate::app::pricing::{
    BuybackRequest, CeilingRequest, PriceAnswer, RentChangeRequest, RentRequest,
    ResettlementRequest, SaleBaseRequest, UnitsRequest,
};
use axum::Json;
use axum::Router;
use axum::extract::Query;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

type Answer = Result<Json<PriceAnswer>, ApiError>;

#[utoipa::path(post, path = "/api/price/ceiling", request_body = CeilingRequest, tag = "price",
    responses((status = 200, body = PriceAnswer), (status = 422, body = crate::app::error::Problem)))]
pub async fn price_ceiling(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(_caller): Caller,
    ApiJson(r): ApiJson<CeilingRequest>,
) -> Answer {
    Ok(Json(app.calc().price_ceiling(&r)?))
}

#[utoipa::path(post, path = "/api/price/rent", request_body = RentRequest, tag = "price",
    responses((status = 200, body = PriceAnswer), (status = 422, body = crate::app::error::Problem)))]
pub async fn price_rent(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(_caller): Caller,
    ApiJson(r): ApiJson<RentRequest>,
) -> Answer {
    let w = app.waiver(r.exception_id).await?;
    Ok(Json(app.calc().price_rent(&r, w.as_ref())?))
}

#[utoipa::path(post, path = "/api/price/rent-change", request_body = RentChangeRequest, tag = "price",
    responses((status = 200, body = PriceAnswer), (status = 422, body = crate::app::error::Problem)))]
pub async fn price_rent_change(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(_caller): Caller,
    ApiJson(r): ApiJson<RentChangeRequest>,
) -> Answer {
    let w = app.waiver(r.exception_id).await?;
    Ok(Json(app.calc().price_rent_change(&r, w.as_ref())?))
}

#[utoipa::path(post, path = "/api/price/buyback", request_body = BuybackRequest, tag = "price",
    responses((status = 200, body = PriceAnswer), (status = 422, body = crate::app::error::Problem)))]
pub async fn price_buyback(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(_caller): Caller,
    ApiJson(r): ApiJson<BuybackRequest>,
) -> Answer {
    let w = app.waiver(r.exception_id).await?;
    Ok(Json(app.calc().price_buyback(&r, w.as_ref())?))
}

#[utoipa::path(post, path = "/api/price/resettlement", request_body = ResettlementRequest, tag = "price",
    responses((status = 200, body = PriceAnswer), (status = 422, body = crate::app::error::Problem)))]
pub async fn price_resettlement(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(_caller): Caller,
    ApiJson(r): ApiJson<ResettlementRequest>,
) -> Answer {
    Ok(Json(app.calc().price_resettlement(&r)?))
}

#[utoipa::path(post, path = "/api/price/sale-base", request_body = SaleBaseRequest, tag = "price",
    responses((status = 200, body = PriceAnswer), (status = 422, body = crate::app::error::Problem)))]
pub async fn price_sale_base(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(_caller): Caller,
    ApiJson(r): ApiJson<SaleBaseRequest>,
) -> Answer {
    Ok(Json(app.calc().price_sale_base(&r)?))
}

#[utoipa::path(post, path = "/api/price/units", request_body = UnitsRequest, tag = "price",
    responses((status = 200, body = PriceAnswer), (status = 422, body = crate::app::error::Problem)))]
pub async fn price_units(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(_caller): Caller,
    ApiJson(r): ApiJson<UnitsRequest>,
) -> Answer {
    Ok(Json(app.calc().price_units(&r)?.0))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct TitleQuery {
    /// Title printed on the schedule.
    pub title: Option<String>,
}

/// The 一房一价 schedule as a workbook for printing.
#[utoipa::path(post, path = "/api/price/units.xlsx", request_body = UnitsRequest, tag = "price", params(TitleQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 422, body = crate::app::error::Problem)))]
pub async fn price_units_xlsx(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(_caller): Caller,
    Query(q): Query<TitleQuery>,
    ApiJson(r): ApiJson<UnitsRequest>,
) -> Result<Response, ApiError> {
    let (answer, schedule) = app.calc().price_units(&r)?;
    let title = q.title.unwrap_or_else(|| "一房一价表".into());
    let bytes = crate::excel::schedule::schedule_xlsx(&title, &answer.rules, &schedule);
    Ok((
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
        bytes,
    )
        .into_response())
}

/// The unit sheet to fill in for a schedule.
#[utoipa::path(get, path = "/api/templates/sale-units.xlsx", tag = "price",
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
pub async fn sale_units_template(Caller(_caller): Caller) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"sale-units.xlsx\"",
            ),
        ],
        crate::excel::schedule::sale_units_template(),
    )
        .into_response()
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AmountQuery {
    /// Yuan, at most two decimals, e.g. 123456.78.
    pub amount: String,
}

#[utoipa::path(get, path = "/api/price/daxie", tag = "price", params(AmountQuery),
    responses((status = 200, body = PriceAnswer), (status = 422, body = crate::app::error::Problem)))]
pub async fn price_daxie(Caller(_caller): Caller, Query(q): Query<AmountQuery>) -> Answer {
    Ok(Json(crate::app::pricing::price_daxie(&q.amount)?))
}

pub fn routes() -> Router<State> {
    Router::new()
        .route("/api/price/ceiling", post(price_ceiling))
        .route("/api/price/rent", post(price_rent))
        .route("/api/price/rent-change", post(price_rent_change))
        .route("/api/price/buyback", post(price_buyback))
        .route("/api/price/resettlement", post(price_resettlement))
        .route("/api/price/sale-base", post(price_sale_base))
        .route("/api/price/units", post(price_units))
        .route("/api/price/units.xlsx", post(price_units_xlsx))
        .route("/api/price/daxie", get(price_daxie))
        .route("/api/templates/sale-units.xlsx", get(sale_units_template))
}
