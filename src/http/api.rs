//! The JSON API. Every command accepts an `Idempotency-Key` header; every refusal is
//! problem+json with a stable code.

use super::auth::Caller;
use super::{ApiError, State};
use crate::app::flow::{
    ActionRequest, ExceptionDecision, ExceptionRequest, NewListing, NewRound, UploadResult,
    ValuationInput,
};
use crate::app::views::{InboxItem, InstanceView, ListingSummary, ListingView, RoundView};
use crate::app::{AppError, Idem};
use crate::domain::role::Role;
use crate::domain::survey::SurveyReturn;
use crate::domain::unit_list::UnitRow;
use crate::store::instances::HistoryRow;
use crate::store::listings::ExceptionRow;
use crate::store::users::User;
use axum::extract::{FromRequest, FromRequestParts, Multipart, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

/// The largest JSON body a route reads (uploads have their own limit, `BODY_LIMIT_BYTES`): a
/// batch of 1,000 ledger entries or a bid of 5,000 units fits several times over.
pub const JSON_BODY_LIMIT_BYTES: usize = 1024 * 1024;

/// A JSON body whose rejections are problem+json: a body over [`JSON_BODY_LIMIT_BYTES`] is 413;
/// bad syntax, a wrong type or an unknown field is 422 naming the field and what it expected.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| {
                let m = m.trim();
                m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
            });
        if !json {
            return Err(ApiError(AppError::Invalid {
                field: None,
                message: "Expected request with `Content-Type: application/json`".into(),
            }));
        }
        // Announced too large: refused before a byte of the body is read.
        let announced = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if announced.is_some_and(|n| n > JSON_BODY_LIMIT_BYTES as u64) {
            return Err(ApiError(AppError::TooLarge(format!(
                "the request body is larger than this route's limit of {JSON_BODY_LIMIT_BYTES} bytes"
            ))));
        }
        let bytes = axum::body::to_bytes(req.into_body(), JSON_BODY_LIMIT_BYTES)
            .await
            .map_err(|_| {
                ApiError(AppError::TooLarge(format!(
                    "the request body is larger than this route's limit of {JSON_BODY_LIMIT_BYTES} bytes"
                )))
            })?;
        // Syntax first; then the shape, from the parsed value, so that a wrong type is named
        // as one (serde_json reports an enum given a number as a syntax error otherwise).
        let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
            ApiError(AppError::Invalid {
                field: None,
                message: format!("the body is not valid JSON: {e}"),
            })
        })?;
        match serde_path_to_error::deserialize::<_, T>(value) {
            Ok(v) => Ok(ApiJson(v)),
            Err(e) => {
                let path = e.path().to_string();
                let field = (path != ".").then_some(path);
                let message = match &field {
                    Some(f) => format!("{f}: {}", e.inner()),
                    None => e.inner().to_string(),
                };
                Err(ApiError(AppError::Invalid { field, message }))
            }
        }
    }
}

/// Query parameters whose rejections (a missing or malformed parameter) are problem+json 422.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(v)) => Ok(ApiQuery(v)),
            Err(e) => Err(ApiError(AppError::Invalid {
                field: None,
                message: e.body_text(),
            })),
        }
    }
}

/// Path parameters whose rejections are problem+json 400/404.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(v)) => Ok(ApiPath(v)),
            Err(e) => Err(ApiError(AppError::NotFound(format!(
                "resource ({})",
                e.body_text()
            )))),
        }
    }
}

pub(super) fn validate<T: validator::Validate>(v: &T) -> Result<(), AppError> {
    v.validate().map_err(|e| {
        let field = e.field_errors().keys().next().map(|k| k.to_string());
        AppError::Invalid {
            field,
            message: format!("invalid input: {e}").replace('\n', "; "),
        }
    })
}

/// The `Idempotency-Key` of a command, bound to a hash of what was asked.
fn idem(headers: &HeaderMap, what: &str, body: &[u8]) -> Result<Option<Idem>, AppError> {
    let Some(v) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = v
        .to_str()
        .map_err(|_| AppError::invalid("Idempotency-Key", "the key must be visible ASCII"))?
        .trim()
        .to_string();
    if key.is_empty() || key.len() > 200 {
        return Err(AppError::invalid(
            "Idempotency-Key",
            "the key must have 1 to 200 characters",
        ));
    }
    let mut h = Sha256::new();
    h.update(what.as_bytes());
    h.update([0]);
    h.update(body);
    Ok(Some(Idem {
        key,
        request_hash: hex::encode(h.finalize()),
    }))
}

pub(super) fn json_idem<T: Serialize>(
    headers: &HeaderMap,
    what: &str,
    body: &T,
) -> Result<Option<Idem>, AppError> {
    idem(headers, what, &serde_json::to_vec(body).unwrap_or_default())
}

pub(super) fn reply<T: Serialize>((status, body): (u16, T)) -> Response {
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
        Json(body),
    )
        .into_response()
}

pub(super) type ApiResult = Result<Response, ApiError>;

#[utoipa::path(get, path = "/api/health", responses((status = 200, description = "the service is up")))]
async fn health(axum::extract::State(app): axum::extract::State<State>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok", "backend": app.store.backend() }))
}

#[utoipa::path(get, path = "/api/me", responses((status = 200, body = User), (status = 401, body = crate::app::error::Problem)))]
async fn me(Caller(u): Caller) -> Json<User> {
    Json(u)
}

#[utoipa::path(get, path = "/api/inbox", responses((status = 200, body = Vec<InboxItem>)))]
async fn inbox(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
) -> Result<Json<Vec<InboxItem>>, ApiError> {
    Ok(Json(app.inbox(&u).await?))
}

#[utoipa::path(get, path = "/api/rounds", responses((status = 200, body = Vec<InstanceView>)))]
async fn list_rounds(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
) -> Result<Json<Vec<InstanceView>>, ApiError> {
    Ok(Json(app.rounds(&u).await?))
}

#[utoipa::path(post, path = "/api/rounds", request_body = NewRound, responses((status = 201, body = InstanceView), (status = 403, body = crate::app::error::Problem), (status = 422, body = crate::app::error::Problem)))]
async fn create_round(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    headers: HeaderMap,
    ApiJson(input): ApiJson<NewRound>,
) -> ApiResult {
    validate(&input)?;
    let idem = json_idem(&headers, "POST /api/rounds", &input)?;
    Ok(reply(app.create_round(&u, idem.as_ref(), input).await?))
}

#[utoipa::path(get, path = "/api/rounds/{id}", params(("id" = i64, Path)), responses((status = 200, body = RoundView), (status = 404, body = crate::app::error::Problem)))]
async fn get_round(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<RoundView>, ApiError> {
    Ok(Json(app.round_view(&u, id).await?))
}

#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct SurveyReturnsBody {
    returns: Vec<SurveyReturn>,
}

#[utoipa::path(post, path = "/api/rounds/{id}/survey-returns", params(("id" = i64, Path)), request_body = SurveyReturnsBody, responses((status = 201, body = InstanceView), (status = 422, body = crate::app::error::Problem)))]
async fn add_survey_returns(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<SurveyReturnsBody>,
) -> ApiResult {
    let idem = json_idem(
        &headers,
        &format!("POST /api/rounds/{id}/survey-returns"),
        &body,
    )?;
    Ok(reply(
        app.add_survey_returns(&u, idem.as_ref(), id, body.returns)
            .await?,
    ))
}

#[utoipa::path(post, path = "/api/rounds/{id}/survey-returns.xlsx", params(("id" = i64, Path)), request_body(content = Vec<u8>, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), responses((status = 201, body = InstanceView), (status = 422, body = crate::app::error::Problem)))]
async fn import_survey_returns(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> ApiResult {
    let body = admitted(app.admit_survey_returns(&u, id).await, body).await?;
    let idem = idem(
        &headers,
        &format!("POST /api/rounds/{id}/survey-returns.xlsx"),
        &body,
    )?;
    Ok(reply(
        app.import_survey_returns(&u, idem.as_ref(), id, body)
            .await?,
    ))
}

/// The uploaded body once the caller and the target are admitted (`admission`); a refused
/// request's body is drained unkept, so its client reads the refusal instead of a reset
/// connection.
pub async fn admitted(
    admission: Result<(), AppError>,
    body: axum::body::Body,
) -> Result<Vec<u8>, AppError> {
    match admission {
        Ok(()) => read_body(body).await,
        Err(e) => {
            drain(body).await;
            Err(e)
        }
    }
}

/// Reads a request body and forgets it, frame by frame.
pub async fn drain(mut body: axum::body::Body) {
    use axum::body::HttpBody;
    while let Some(Ok(_)) =
        std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await
    {}
}

async fn read_body(body: axum::body::Body) -> Result<Vec<u8>, AppError> {
    axum::body::to_bytes(body, super::BODY_LIMIT_BYTES)
        .await
        .map(|b| b.to_vec())
        .map_err(|e| {
            AppError::TooLarge(format!(
                "the upload could not be read (at most {} MiB are accepted): {e}",
                super::BODY_LIMIT_BYTES / 1024 / 1024
            ))
        })
}

#[utoipa::path(get, path = "/api/rounds/{id}/survey-template.xlsx", params(("id" = i64, Path)), responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
async fn survey_template(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult {
    let r = app.round_view(&u, id).await?;
    let pack = app.pack(&r.round.pack)?;
    Ok(xlsx(
        "demand-survey-template.xlsx",
        crate::excel::survey::survey_template(&pack.demand_bands),
    ))
}

#[utoipa::path(get, path = "/api/rounds/{id}/listings", params(("id" = i64, Path)), responses((status = 200, body = Vec<ListingSummary>)))]
async fn round_listings(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<ListingSummary>>, ApiError> {
    Ok(Json(app.listings(&u, Some(id)).await?))
}

#[utoipa::path(post, path = "/api/rounds/{id}/listings", params(("id" = i64, Path)), request_body = NewListing, responses((status = 201, body = InstanceView), (status = 403, body = crate::app::error::Problem), (status = 409, body = crate::app::error::Problem)))]
async fn create_listing(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<NewListing>,
) -> ApiResult {
    validate(&input)?;
    let idem = json_idem(&headers, &format!("POST /api/rounds/{id}/listings"), &input)?;
    Ok(reply(
        app.create_listing(&u, idem.as_ref(), id, input).await?,
    ))
}

#[utoipa::path(get, path = "/api/rounds/{id}/exceptions", params(("id" = i64, Path)), responses((status = 200, body = Vec<ExceptionRow>)))]
async fn round_exceptions(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<ExceptionRow>>, ApiError> {
    Ok(Json(app.exceptions_report(&u, Some(id)).await?))
}

#[utoipa::path(get, path = "/api/instances/{id}", params(("id" = i64, Path)), responses((status = 200, body = InstanceView), (status = 404, body = crate::app::error::Problem)))]
async fn get_instance(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<InstanceView>, ApiError> {
    Ok(Json(app.instance_view(&u, id).await?))
}

#[utoipa::path(get, path = "/api/instances/{id}/history", params(("id" = i64, Path)), responses((status = 200, body = Vec<HistoryRow>)))]
async fn get_history(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<HistoryRow>>, ApiError> {
    Ok(Json(app.history(&u, id).await?))
}

#[utoipa::path(post, path = "/api/instances/{id}/actions/{action}", params(("id" = i64, Path), ("action" = String, Path)), request_body = ActionRequest,
    responses((status = 200, body = InstanceView), (status = 403, body = crate::app::error::Problem), (status = 409, body = crate::app::error::Problem), (status = 422, body = crate::app::error::Problem)))]
async fn take_action(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath((id, action)): ApiPath<(i64, String)>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<ActionRequest>,
) -> ApiResult {
    let idem = json_idem(
        &headers,
        &format!("POST /api/instances/{id}/actions/{action}"),
        &req,
    )?;
    Ok(reply(app.act(&u, idem.as_ref(), id, &action, req).await?))
}

#[utoipa::path(get, path = "/api/listings", responses((status = 200, body = Vec<ListingSummary>)))]
async fn all_listings(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
) -> Result<Json<Vec<ListingSummary>>, ApiError> {
    Ok(Json(app.listings(&u, None).await?))
}

#[utoipa::path(get, path = "/api/listings/{id}", params(("id" = i64, Path)), responses((status = 200, body = ListingView), (status = 404, body = crate::app::error::Problem)))]
async fn get_listing(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ListingView>, ApiError> {
    Ok(Json(app.listing_view(&u, id).await?))
}

#[utoipa::path(get, path = "/api/listings/{id}/units", params(("id" = i64, Path)), responses((status = 200, body = Vec<Object>)))]
async fn get_units(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<UnitRow>>, ApiError> {
    Ok(Json(app.units(&u, id).await?))
}

/// Upload as `multipart/form-data` with fields `kind` and then `file`.
#[utoipa::path(post, path = "/api/listings/{id}/documents", params(("id" = i64, Path)), request_body(content_type = "multipart/form-data", content = Object),
    responses((status = 201, body = UploadResult), (status = 422, body = crate::app::error::Problem)))]
async fn upload_document(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    multipart: Multipart,
) -> ApiResult {
    let up = read_upload(multipart, &app, &u, id, None).await?;
    let mut what = format!(
        "POST /api/listings/{id}/documents {} {}",
        up.kind, up.file_name
    )
    .into_bytes();
    what.extend_from_slice(&up.bytes);
    let idem = idem(&headers, "upload", &what)?;
    Ok(reply(
        app.upload_document(
            &u,
            idem.as_ref(),
            id,
            &up.kind,
            &up.file_name,
            &up.content_type,
            up.bytes,
        )
        .await?,
    ))
}

pub struct Upload {
    pub kind: String,
    pub file_name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// Reads a document upload field by field, admitting the caller before any field (the listing
/// and its state) and again on the `kind` field, before the file: a refused upload is not read.
/// With `csrf` (a page form), the first field must be `csrf` carrying that token.
pub async fn read_upload(
    mut mp: Multipart,
    app: &crate::app::App,
    who: &User,
    listing_id: i64,
    csrf: Option<&str>,
) -> Result<Upload, AppError> {
    let read = read_fields(&mut mp, app, who, listing_id, csrf).await;
    if read.is_err() {
        drain_multipart(&mut mp).await;
    }
    read
}

/// Forgets the rest of a refused multipart body unkept, so the client reads the refusal.
pub async fn drain_multipart(mp: &mut Multipart) {
    while let Ok(Some(mut f)) = mp.next_field().await {
        while let Ok(Some(_)) = f.chunk().await {}
    }
}

async fn read_fields(
    mp: &mut Multipart,
    app: &crate::app::App,
    who: &User,
    listing_id: i64,
    csrf: Option<&str>,
) -> Result<Upload, AppError> {
    app.admit_upload(who, listing_id, None).await?;
    let bad = |m: String| AppError::invalid("file", m);
    let (mut kind, mut file) = (None::<String>, None);
    let mut first = true;
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|e| bad(format!("malformed multipart body: {e}")))?
    {
        if std::mem::take(&mut first)
            && let Some(expected) = csrf
        {
            let ok = field.name() == Some("csrf")
                && super::auth::same_secret(
                    &field.text().await.map_err(|e| bad(e.to_string()))?,
                    expected,
                );
            if !ok {
                return Err(AppError::Forbidden(
                    "the form's csrf token is missing or stale; reload the page".into(),
                ));
            }
            continue;
        }
        match field.name() {
            Some("kind") => {
                let k = field.text().await.map_err(|e| bad(e.to_string()))?;
                let k = k.trim().to_string();
                app.admit_upload(who, listing_id, Some(&k)).await?;
                kind = Some(k);
            }
            Some("file") => {
                if kind.as_deref().is_none_or(str::is_empty) {
                    return Err(AppError::invalid(
                        "kind",
                        "the document kind is required, before the file",
                    ));
                }
                let name = field.file_name().unwrap_or("upload").to_string();
                let ct = field
                    .content_type()
                    .unwrap_or("application/octet-stream")
                    .to_string();
                let data = field
                    .bytes()
                    .await
                    .map_err(|e| bad(format!("could not read the file: {e}")))?;
                file = Some((name, ct, data.to_vec()));
            }
            _ => {}
        }
    }
    let kind = kind
        .filter(|k| !k.is_empty())
        .ok_or_else(|| AppError::invalid("kind", "the document kind is required"))?;
    let (file_name, content_type, bytes) =
        file.ok_or_else(|| AppError::invalid("file", "a file is required"))?;
    Ok(Upload {
        kind,
        file_name,
        content_type,
        bytes,
    })
}

#[utoipa::path(get, path = "/api/listings/{id}/documents/{doc}", params(("id" = i64, Path), ("doc" = i64, Path)), responses((status = 200, description = "the file")))]
async fn download_document(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath((id, doc)): ApiPath<(i64, i64)>,
) -> ApiResult {
    let (meta, bytes) = app.document(&u, id, doc).await?;
    Ok(document_response(&meta, bytes))
}

/// An uploaded document as a download: always an attachment, always
/// `application/octet-stream` with `nosniff`, whatever type its uploader declared (a developer's
/// `text/html` must not run as a page of this site). The declared type stays in its metadata.
pub fn document_response(meta: &crate::store::listings::DocumentMeta, bytes: Vec<u8>) -> Response {
    let disposition = format!(
        "attachment; filename=\"document-{}\"; filename*=UTF-8''{}",
        meta.id,
        urlencode(&meta.file_name)
    );
    (
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        bytes,
    )
        .into_response()
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[utoipa::path(post, path = "/api/listings/{id}/valuations", params(("id" = i64, Path)), request_body = ValuationInput, responses((status = 201, body = crate::app::flow::ValuationView), (status = 422, body = crate::app::error::Problem)))]
async fn record_valuation(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<ValuationInput>,
) -> ApiResult {
    validate(&input)?;
    let idem = json_idem(
        &headers,
        &format!("POST /api/listings/{id}/valuations"),
        &input,
    )?;
    Ok(reply(
        app.record_valuation(&u, idem.as_ref(), id, input).await?,
    ))
}

#[utoipa::path(post, path = "/api/listings/{id}/exceptions", params(("id" = i64, Path)), request_body = ExceptionRequest, responses((status = 201, body = ExceptionRow), (status = 422, body = crate::app::error::Problem)))]
async fn request_exception(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<ExceptionRequest>,
) -> ApiResult {
    validate(&input)?;
    let idem = json_idem(
        &headers,
        &format!("POST /api/listings/{id}/exceptions"),
        &input,
    )?;
    Ok(reply(
        app.request_exception(&u, idem.as_ref(), id, input).await?,
    ))
}

#[utoipa::path(post, path = "/api/exceptions/{id}/decision", params(("id" = i64, Path)), request_body = ExceptionDecision, responses((status = 200, body = ExceptionRow), (status = 409, body = crate::app::error::Problem)))]
async fn decide_exception(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<ExceptionDecision>,
) -> ApiResult {
    validate(&input)?;
    let idem = json_idem(
        &headers,
        &format!("POST /api/exceptions/{id}/decision"),
        &input,
    )?;
    Ok(reply(
        app.decide_exception(&u, idem.as_ref(), id, input).await?,
    ))
}

#[utoipa::path(post, path = "/api/listings/{id}/offers", params(("id" = i64, Path)), request_body = crate::app::negotiation::OfferInput,
    responses((status = 201, body = crate::app::negotiation::OfferView), (status = 422, body = crate::app::error::Problem)))]
async fn make_offer(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<crate::app::negotiation::OfferInput>,
) -> ApiResult {
    validate(&input)?;
    let idem = json_idem(&headers, &format!("POST /api/listings/{id}/offers"), &input)?;
    Ok(reply(app.make_offer(&u, idem.as_ref(), id, input).await?))
}

#[utoipa::path(get, path = "/api/listings/{id}/negotiation", params(("id" = i64, Path)), responses((status = 200, body = crate::app::negotiation::NegotiationView)))]
async fn negotiation(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<crate::app::negotiation::NegotiationView>, ApiError> {
    Ok(Json(app.negotiation_view(&u, id).await?))
}

#[utoipa::path(get, path = "/api/templates/unit-list.xlsx", responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
async fn unit_list_template() -> Response {
    xlsx(
        "unit-list-template.xlsx",
        crate::excel::unit_list::unit_list_template(),
    )
}

pub fn xlsx(name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct GraphQuery {
    /// mermaid (default) or dot.
    format: Option<String>,
}

#[utoipa::path(get, path = "/api/workflows/{pack}/{name}", params(("pack" = String, Path), ("name" = String, Path), GraphQuery), responses((status = 200, description = "the workflow drawn as Mermaid or dot")))]
async fn workflow_graph(
    axum::extract::State(app): axum::extract::State<State>,
    ApiPath((pack, name)): ApiPath<(String, String)>,
    Query(q): Query<GraphQuery>,
) -> ApiResult {
    let def = app
        .registry
        .get(&format!("{pack}/{name}"))
        .ok_or_else(|| AppError::NotFound(format!("workflow {pack}/{name}")))?;
    let format = match q.format.as_deref() {
        None | Some("mermaid") => crate::workflow::graph::GraphFormat::Mermaid,
        Some("dot") => crate::workflow::graph::GraphFormat::Dot,
        Some(f) => {
            return Err(AppError::invalid(
                "format",
                format!("unknown format {f:?}; use mermaid or dot"),
            )
            .into());
        }
    };
    Ok((
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        crate::workflow::graph::render(def, format),
    )
        .into_response())
}

#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema, validator::Validate)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    #[validate(length(min = 1, max = 100))]
    name: String,
    role: Role,
    /// Company, required for developers.
    org: Option<String>,
}

#[utoipa::path(post, path = "/api/users", request_body = NewUser, tag = "users", responses((status = 201, body = crate::app::users::Created), (status = 403, body = crate::app::error::Problem)))]
async fn add_user(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiJson(input): ApiJson<NewUser>,
) -> ApiResult {
    validate(&input)?;
    let created = crate::app::users::create_user(
        &app,
        Some(&u),
        &input.name,
        input.role,
        input.org.as_deref(),
        crate::app::users::TOKEN_DAYS,
    )
    .await?;
    Ok(reply((201, created)))
}

/// Every account: who created it, whether it is disabled, its working tokens and sessions
/// (the administrator and the supervisors).
#[utoipa::path(get, path = "/api/users", tag = "users", responses((status = 200, body = Vec<crate::store::users::Account>), (status = 403, body = crate::app::error::Problem)))]
async fn list_users(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
) -> Result<Json<Vec<crate::store::users::Account>>, ApiError> {
    Ok(Json(crate::app::users::accounts(&app, &u).await?))
}

/// The append-only record of user administration, newest first (the administrator and the
/// supervisors).
#[utoipa::path(get, path = "/api/users/events", tag = "users", responses((status = 200, body = Vec<crate::store::users::UserEvent>), (status = 403, body = crate::app::error::Problem)))]
async fn user_events(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
) -> Result<Json<Vec<crate::store::users::UserEvent>>, ApiError> {
    Ok(Json(crate::app::users::events(&app, &u).await?))
}

/// Flagged account events — a new account of a company bidding in a tender not yet opened —
/// for the housing bureau and the supervisors.
#[utoipa::path(get, path = "/api/users/flags", tag = "users", responses((status = 200, body = Vec<crate::store::users::UserEvent>), (status = 403, body = crate::app::error::Problem)))]
async fn user_flags(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
) -> Result<Json<Vec<crate::store::users::UserEvent>>, ApiError> {
    Ok(Json(crate::app::users::flags(&app, &u).await?))
}

/// The newest failed sign-ins (the administrator and the supervisors).
#[utoipa::path(get, path = "/api/users/sign-in-failures", tag = "users", responses((status = 200, body = Vec<crate::store::users::SignInFailure>), (status = 403, body = crate::app::error::Problem)))]
async fn sign_in_failures(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
) -> Result<Json<Vec<crate::store::users::SignInFailure>>, ApiError> {
    Ok(Json(crate::app::users::sign_in_failures(&app, &u).await?))
}

/// `disable` (every credential ends), `enable`, `revoke` (every token and session ends) or
/// `rotate` (a new token, shown once, replaces the old ones) — the administrator only.
#[utoipa::path(post, path = "/api/users/{id}/{action}", tag = "users", params(("id" = i64, Path), ("action" = String, Path)),
    responses((status = 200, body = Object), (status = 403, body = crate::app::error::Problem), (status = 404, body = crate::app::error::Problem)))]
async fn administer_user(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath((id, action)): ApiPath<(i64, String)>,
) -> ApiResult {
    use crate::app::users as au;
    let me = Some(&u);
    let done = serde_json::json!({ "user_id": id, "action": action });
    Ok(match action.as_str() {
        "disable" => {
            au::disable(&app, me, id).await?;
            reply((200, done))
        }
        "enable" => {
            au::enable(&app, me, id).await?;
            reply((200, done))
        }
        "revoke" => {
            let ended = au::revoke(&app, me, id).await?;
            reply((
                200,
                serde_json::json!({ "user_id": id, "action": action, "ended": ended }),
            ))
        }
        "rotate" => reply((200, au::rotate(&app, me, id, au::TOKEN_DAYS).await?)),
        other => {
            return Err(AppError::NotFound(format!(
                "user action {other:?} (disable, enable, revoke or rotate)"
            ))
            .into());
        }
    })
}

#[utoipa::path(get, path = "/api/listings/{id}/rents", params(("id" = i64, Path)), tag = "rents",
    responses((status = 200, body = crate::app::rents::RentRegister), (status = 404, body = crate::app::error::Problem)))]
async fn rent_register(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<crate::app::rents::RentRegister>, ApiError> {
    Ok(Json(app.rent_register(&u, id).await?))
}

/// HS-P8 / HS-P9: set initial rents or adjust them, for some or all units, in one transaction.
#[utoipa::path(post, path = "/api/listings/{id}/rents", params(("id" = i64, Path)), request_body = crate::app::rents::RentSetting, tag = "rents",
    responses((status = 201, body = crate::app::rents::RentRegister), (status = 409, body = crate::app::error::Problem), (status = 422, body = crate::app::error::Problem)))]
async fn set_rents(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<crate::app::rents::RentSetting>,
) -> ApiResult {
    validate(&input)?;
    let idem = json_idem(&headers, &format!("POST /api/listings/{id}/rents"), &input)?;
    Ok(reply(app.set_rents(&u, idem.as_ref(), id, input).await?))
}

/// HS-A6: record how some or all units of an acquired listing are operated (rental, sale or
/// resettlement), in one transaction. Only rental units get rents.
#[utoipa::path(post, path = "/api/listings/{id}/uses", params(("id" = i64, Path)), request_body = crate::app::rents::UseSetting, tag = "rents",
    responses((status = 201, body = crate::app::rents::RentRegister), (status = 403, body = crate::app::error::Problem), (status = 409, body = crate::app::error::Problem), (status = 422, body = crate::app::error::Problem)))]
async fn set_unit_uses(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<crate::app::rents::UseSetting>,
) -> ApiResult {
    validate(&input)?;
    let idem = json_idem(&headers, &format!("POST /api/listings/{id}/uses"), &input)?;
    Ok(reply(
        app.set_unit_uses(&u, idem.as_ref(), id, input).await?,
    ))
}

/// Every price proposal of a listing (initial rents, rent changes, sale prices) with the steps of
/// its approval chain (HS-P8, HS-P9, HS-P12, YQ-15, NC-30, XY-13).
#[utoipa::path(get, path = "/api/listings/{id}/price-proposals", params(("id" = i64, Path)), tag = "rents",
    responses((status = 200, body = Vec<crate::app::proposals::ProposalView>), (status = 404, body = crate::app::error::Problem)))]
async fn price_proposals(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<crate::app::proposals::ProposalView>>, ApiError> {
    Ok(Json(app.price_proposals(&u, id).await?))
}

/// HS-P11/HS-P12, YQ-17, NC-30, XY-13: the operator proposes the sale base of an acquired
/// listing's units; it binds once the pack's approval chain approved it.
#[utoipa::path(post, path = "/api/listings/{id}/sale-price-proposals", params(("id" = i64, Path)), request_body = crate::app::proposals::SalePriceInput, tag = "rents",
    responses((status = 201, body = crate::app::proposals::ProposalView), (status = 403, body = crate::app::error::Problem), (status = 422, body = crate::app::error::Problem)))]
async fn propose_sale_price(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<crate::app::proposals::SalePriceInput>,
) -> ApiResult {
    validate(&input)?;
    let idem = json_idem(
        &headers,
        &format!("POST /api/listings/{id}/sale-price-proposals"),
        &input,
    )?;
    Ok(reply(
        app.propose_sale_price(&u, idem.as_ref(), id, input).await?,
    ))
}

/// One step of a price proposal's approval chain, by the role the step names.
#[utoipa::path(post, path = "/api/price-proposals/{id}/decisions", params(("id" = i64, Path)), request_body = crate::app::proposals::ProposalDecision, tag = "rents",
    responses((status = 200, body = crate::app::proposals::ProposalView), (status = 403, body = crate::app::error::Problem), (status = 409, body = crate::app::error::Problem)))]
async fn decide_proposal(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<crate::app::proposals::ProposalDecision>,
) -> ApiResult {
    validate(&input)?;
    let idem = json_idem(
        &headers,
        &format!("POST /api/price-proposals/{id}/decisions"),
        &input,
    )?;
    Ok(reply(
        app.decide_proposal(&u, idem.as_ref(), id, input).await?,
    ))
}

/// HS-P9: rents not reviewed within the pack's cycle (2 years), most overdue first.
#[utoipa::path(get, path = "/api/rents/overdue", tag = "rents",
    responses((status = 200, body = Vec<crate::app::rents::OverdueRent>)))]
async fn overdue_rents(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
) -> Result<Json<Vec<crate::app::rents::OverdueRent>>, ApiError> {
    Ok(Json(app.overdue_rents(&u).await?))
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "anju",
        description = "Acquisition of unsold commercial housing for affordable housing: workflow, documents, review, valuation, negotiation."
    ),
    paths(
        health,
        me,
        inbox,
        list_rounds,
        create_round,
        get_round,
        add_survey_returns,
        import_survey_returns,
        survey_template,
        round_listings,
        create_listing,
        round_exceptions,
        get_instance,
        get_history,
        take_action,
        all_listings,
        get_listing,
        get_units,
        upload_document,
        download_document,
        record_valuation,
        request_exception,
        decide_exception,
        unit_list_template,
        workflow_graph,
        add_user,
        list_users,
        user_events,
        user_flags,
        sign_in_failures,
        administer_user,
        make_offer,
        negotiation,
        rent_register,
        set_rents,
        price_proposals,
        propose_sale_price,
        decide_proposal,
        set_unit_uses,
        overdue_rents,
        super::price_api::price_ceiling,
        super::price_api::price_rent,
        super::price_api::price_rent_change,
        super::price_api::price_buyback,
        super::price_api::price_resettlement,
        super::price_api::price_sale_base,
        super::price_api::price_units,
        super::price_api::price_units_xlsx,
        super::price_api::sale_units_template,
        super::price_api::price_daxie,
        super::ledger_api::open_account,
        super::ledger_api::accounts,
        super::ledger_api::post_entry,
        super::ledger_api::entries,
        super::ledger_api::record_decision,
        super::ledger_api::decisions,
        super::ledger_api::post_batch,
        super::ledger_api::trial_balance,
        super::ledger_api::verify,
        super::ledger_api::checkpoint,
        super::ledger_api::export,
        super::ledger_api::exceptions,
        super::ledger_api::payment_schedule,
        super::ledger_api::import_statement,
        super::ledger_api::list_statements,
        super::ledger_api::statement_lines,
        super::ledger_api::check_reconciliation,
        super::ledger_api::reconciliation_checks,
        super::ledger_api::statement_template,
        super::ledger_api::auto_reconcile,
        super::ledger_api::manual_match,
        super::ledger_api::list_matches,
        super::ledger_api::unmatch,
        super::ledger_api::reconciliation,
        super::ledger_api::project_report,
        super::ledger_api::escrow_release_check,
        super::ledger_api::proceeds_uses,
        super::ledger_api::subledgers,
        super::ledger_api::reverse,
        super::bids_api::set_tender,
        super::bids_api::submit_bid,
        super::bids_api::list_bids,
        super::bids_api::open_bids,
        super::bids_api::bid_result,
        super::bids_api::comparison,
        super::bids_api::comparison_xlsx,
        super::bids_api::submit_bid_xlsx,
        super::bids_api::bid_template,
        super::bids_api::designate_acquirer,
        super::bids_api::list_acquirers,
        super::bids_api::revoke_acquirer,
        super::bids_api::record_plan,
        super::bids_api::recorded_plan,
        super::allocation_api::create_application,
        super::allocation_api::list_applications,
        super::allocation_api::get_application,
        super::allocation_api::correct_household,
        super::allocation_api::record_materials,
        super::allocation_api::record_finding,
        super::allocation_api::record_figure,
        super::allocation_api::public_status,
        super::allocation_api::pii_reads,
        super::allocation_api::create_sale,
        super::allocation_api::get_sale,
        super::allocation_api::record_sale_plan,
        super::allocation_api::register_entrant,
        super::allocation_api::open_next_tier,
        super::allocation_api::fix_lottery,
        super::allocation_api::draw_lottery,
        super::allocation_api::record_selection,
        super::allocation_api::sign_contract,
        super::allocation_api::record_score,
        super::allocation_api::record_receipt
    ),
    components(schemas(
        crate::app::error::Problem,
        SurveyReturnsBody,
        NewUser,
        crate::app::users::Created,
        crate::app::users::Issued
    ))
)]
pub struct ApiDoc;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/api/health", get(health))
        .route("/api/me", get(me))
        .route("/api/inbox", get(inbox))
        .route("/api/rounds", get(list_rounds).post(create_round))
        .route("/api/rounds/{id}", get(get_round))
        .route("/api/rounds/{id}/survey-returns", post(add_survey_returns))
        .route(
            "/api/rounds/{id}/survey-returns.xlsx",
            post(import_survey_returns),
        )
        .route(
            "/api/rounds/{id}/survey-template.xlsx",
            get(survey_template),
        )
        .route(
            "/api/rounds/{id}/listings",
            get(round_listings).post(create_listing),
        )
        .route("/api/rounds/{id}/exceptions", get(round_exceptions))
        .route("/api/instances/{id}", get(get_instance))
        .route("/api/instances/{id}/history", get(get_history))
        .route("/api/instances/{id}/actions/{action}", post(take_action))
        .route("/api/listings", get(all_listings))
        .route("/api/listings/{id}", get(get_listing))
        .route("/api/listings/{id}/units", get(get_units))
        .route("/api/listings/{id}/documents", post(upload_document))
        .route("/api/listings/{id}/documents/{doc}", get(download_document))
        .route("/api/listings/{id}/valuations", post(record_valuation))
        .route("/api/listings/{id}/exceptions", post(request_exception))
        .route("/api/listings/{id}/offers", post(make_offer))
        .route("/api/listings/{id}/negotiation", get(negotiation))
        .route(
            "/api/listings/{id}/rents",
            get(rent_register).post(set_rents),
        )
        .route("/api/listings/{id}/uses", post(set_unit_uses))
        .route("/api/listings/{id}/price-proposals", get(price_proposals))
        .route(
            "/api/listings/{id}/sale-price-proposals",
            post(propose_sale_price),
        )
        .route("/api/price-proposals/{id}/decisions", post(decide_proposal))
        .route("/api/rents/overdue", get(overdue_rents))
        .route("/api/exceptions/{id}/decision", post(decide_exception))
        .route("/api/templates/unit-list.xlsx", get(unit_list_template))
        .route("/api/workflows/{pack}/{name}", get(workflow_graph))
        .route("/api/users", get(list_users).post(add_user))
        .route("/api/users/events", get(user_events))
        .route("/api/users/flags", get(user_flags))
        .route("/api/users/sign-in-failures", get(sign_in_failures))
        .route("/api/users/{id}/{action}", post(administer_user))
        .merge(super::price_api::routes())
        .merge(super::ledger_api::routes())
        .merge(super::bids_api::routes())
        .merge(super::allocation_api::routes())
        .merge(SwaggerUi::new("/api/docs").url("/api/openapi.json", ApiDoc::openapi()))
}
