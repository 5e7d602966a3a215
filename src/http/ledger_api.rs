//! `/api/ledger/…`: the ring-fenced fund ledgers (issue 5, first part).

use super::api::{ApiJson, ApiQuery};
use super::auth::Caller;
use super::{ApiError, State};
use crate::app::AppError;
use crate::app::ledger::{
    Checkpoint, EntryView, ExportFormat, NewAccount, NewEntry, TrialBalanceRow, VerifyReport,
};
use crate::domain::ledger::Account;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

fn validate<T: validator::Validate>(v: &T) -> Result<(), AppError> {
    v.validate().map_err(|e| AppError::Invalid {
        field: e.field_errors().keys().next().map(|k| k.to_string()),
        message: format!("invalid input: {e}").replace('\n', "; "),
    })
}

/// The ledgers are read by the roles `app::ledger::READERS` names, never by developers.
fn require_reader(u: &crate::store::users::User) -> Result<(), AppError> {
    if crate::app::ledger::READERS.contains(&u.role) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "read the ledgers: not for this role".into(),
        ))
    }
}

#[utoipa::path(post, path = "/api/ledger/accounts", request_body = NewAccount, tag = "ledger",
    responses((status = 201, body = Account), (status = 422, body = crate::app::error::Problem)))]
pub async fn open_account(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiJson(a): ApiJson<NewAccount>,
) -> Result<Response, ApiError> {
    validate(&a)?;
    let acct = app.open_account(&u, a).await?;
    Ok((StatusCode::CREATED, Json(acct)).into_response())
}

#[utoipa::path(get, path = "/api/ledger/accounts", tag = "ledger", responses((status = 200, body = Vec<Account>)))]
pub async fn accounts(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
) -> Result<Json<Vec<Account>>, ApiError> {
    Ok(Json(app.ledger_accounts(&u).await?))
}

/// Posts one balanced entry (HS-F3 ring-fence, no fund below zero, hash-chained). A replay of
/// the same `key` and content answers 200 with the first entry and posts nothing.
#[utoipa::path(post, path = "/api/ledger/entries", request_body = NewEntry, tag = "ledger",
    responses((status = 201, body = EntryView), (status = 200, body = EntryView), (status = 409, body = crate::app::error::Problem), (status = 422, body = crate::app::error::Problem)))]
pub async fn post_entry(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiJson(e): ApiJson<NewEntry>,
) -> Result<Response, ApiError> {
    validate(&e)?;
    let (status, view) = app.post_entry(&u, e).await?;
    Ok((
        StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
        Json(view),
    )
        .into_response())
}

#[derive(Debug, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Batch {
    pub entries: Vec<NewEntry>,
}

/// Posts many entries in one transaction, all or nothing, each checked against the balances the
/// ones before it leave.
#[utoipa::path(post, path = "/api/ledger/batches", request_body = Batch, tag = "ledger",
    responses((status = 201, body = Vec<EntryView>), (status = 422, body = crate::app::error::Problem)))]
pub async fn post_batch(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiJson(b): ApiJson<Batch>,
) -> Result<Response, ApiError> {
    for e in b.entries.iter().take(crate::app::ledger::MAX_BATCH_ENTRIES) {
        validate(e)?;
    }
    let (status, views) = app.post_entries(&u, b.entries).await?;
    Ok((
        StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
        Json(views),
    )
        .into_response())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PageQuery {
    /// The entries after this seq (0 or absent: from the first).
    pub after: Option<i64>,
    /// How many: 1 to 1,000, 100 when absent.
    pub limit: Option<i64>,
}

/// One page of entries in chain order; the next page starts after the last seq returned.
#[utoipa::path(get, path = "/api/ledger/entries", tag = "ledger", params(PageQuery), responses((status = 200, body = Vec<EntryView>), (status = 422, body = crate::app::error::Problem)))]
pub async fn entries(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<Vec<EntryView>>, ApiError> {
    Ok(Json(app.ledger_entries(&u, q.after, q.limit).await?))
}

/// HS-F3 / HS-F4: the leading group records a decision that a reallocation or a changed
/// payment schedule cites by its number.
#[utoipa::path(post, path = "/api/ledger/decisions", tag = "ledger", request_body = crate::app::ledger::DecisionInput,
    responses((status = 201, body = crate::store::ledger::DecisionRow), (status = 409, body = crate::app::error::Problem), (status = 422, body = crate::app::error::Problem)))]
pub async fn record_decision(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiJson(d): ApiJson<crate::app::ledger::DecisionInput>,
) -> Result<Response, ApiError> {
    let r = app.record_decision(&u, d).await?;
    Ok((StatusCode::CREATED, Json(r)).into_response())
}

#[utoipa::path(get, path = "/api/ledger/decisions", tag = "ledger", responses((status = 200, body = Vec<crate::store::ledger::DecisionRow>)))]
pub async fn decisions(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
) -> Result<Json<Vec<crate::store::ledger::DecisionRow>>, ApiError> {
    Ok(Json(app.decisions(&u).await?))
}

#[utoipa::path(get, path = "/api/ledger/trial-balance", tag = "ledger", responses((status = 200, body = Vec<TrialBalanceRow>)))]
pub async fn trial_balance(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
) -> Result<Json<Vec<TrialBalanceRow>>, ApiError> {
    Ok(Json(app.trial_balance(&u).await?))
}

#[utoipa::path(get, path = "/api/ledger/verify", tag = "ledger", responses((status = 200, body = VerifyReport)))]
pub async fn verify(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
) -> Result<Json<VerifyReport>, ApiError> {
    require_reader(&u)?;
    Ok(Json(app.verify_ledger(None).await?))
}

#[utoipa::path(get, path = "/api/ledger/checkpoint", tag = "ledger", responses((status = 200, body = Checkpoint)))]
pub async fn checkpoint(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
) -> Result<Json<Checkpoint>, ApiError> {
    require_reader(&u)?;
    Ok(Json(app.ledger_checkpoint().await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ExportQuery {
    /// hledger or beancount.
    pub format: String,
}

#[utoipa::path(get, path = "/api/ledger/export", tag = "ledger", params(ExportQuery),
    responses((status = 200, content_type = "text/plain"), (status = 422, body = crate::app::error::Problem)))]
pub async fn export(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    Ok(export_response(&app, &u, &q.format).await?)
}

/// The journal as text for hledger or beancount (the API's and the ledger page's download).
pub async fn export_response(
    app: &crate::app::App,
    u: &crate::store::users::User,
    format: &str,
) -> Result<Response, AppError> {
    require_reader(u)?;
    let format = match format {
        "hledger" => ExportFormat::Hledger,
        "beancount" => ExportFormat::Beancount,
        other => {
            return Err(AppError::invalid(
                "format",
                format!("unknown format {other:?}: use hledger or beancount"),
            ));
        }
    };
    Ok((
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        app.ledger_export(format).await?,
    )
        .into_response())
}

/// HS-F4: the agreement's payment schedule of a signed listing, as shares of the final price.
#[utoipa::path(post, path = "/api/listings/{id}/payment-schedule", params(("id" = i64, Path)), request_body = crate::app::ledger::ScheduleInput, tag = "ledger",
    responses((status = 201, body = crate::app::ledger::PaymentSchedule), (status = 409, body = crate::app::error::Problem), (status = 422, body = crate::app::error::Problem)))]
pub async fn payment_schedule(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    super::api::ApiPath(id): super::api::ApiPath<i64>,
    ApiJson(input): ApiJson<crate::app::ledger::ScheduleInput>,
) -> Result<Response, ApiError> {
    let s = app.set_payment_schedule(&u, id, input).await?;
    Ok((StatusCode::CREATED, Json(s)).into_response())
}

/// HS-F8: refused postings (diversion attempts, over-payments, overdrafts) and approved
/// reallocations.
#[utoipa::path(get, path = "/api/ledger/exceptions", tag = "ledger", responses((status = 200, body = crate::app::ledger::LedgerExceptions)))]
pub async fn exceptions(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
) -> Result<Json<crate::app::ledger::LedgerExceptions>, ApiError> {
    Ok(Json(app.ledger_exceptions(&u).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AccountQuery {
    /// The bank or fund account, e.g. `Assets:Fund:R1:SpecialBond:Acquisition`.
    pub account: String,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ReconQuery {
    pub account: String,
    /// The date to reconcile at (inclusive).
    pub upto: chrono::NaiveDate,
}

/// HS-F7: a bank statement for an account, as the request body (xlsx, or UTF-8 csv with the
/// header 交易日期,金额,参考号,摘要). All or nothing; problems come back with row and column.
#[utoipa::path(post, path = "/api/ledger/statements", tag = "ledger", params(AccountQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = crate::app::recon::StatementImported), (status = 422, body = crate::app::error::Problem)))]
pub async fn import_statement(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiQuery(q): ApiQuery<AccountQuery>,
    body: axum::body::Body,
) -> Result<Response, ApiError> {
    let body = super::api::admitted(app.admit_statement(&u, &q.account).await, body).await?;
    let r = app.import_statement(&u, &q.account, body).await?;
    Ok((StatusCode::CREATED, Json(r)).into_response())
}

/// HS-F7: the statements imported for an account, newest first (the finance bureau checks them).
#[utoipa::path(get, path = "/api/ledger/statements", tag = "ledger", params(AccountQuery),
    responses((status = 200, body = Vec<crate::store::recon::StatementRow>)))]
pub async fn list_statements(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiQuery(q): ApiQuery<AccountQuery>,
) -> Result<Json<Vec<crate::store::recon::StatementRow>>, ApiError> {
    Ok(Json(app.statements(&u, &q.account).await?))
}

/// One imported statement's lines, in their order.
#[utoipa::path(get, path = "/api/ledger/statements/{id}", tag = "ledger", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<crate::store::recon::StatementLineRow>), (status = 404, body = crate::app::error::Problem)))]
pub async fn statement_lines(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    super::api::ApiPath(id): super::api::ApiPath<i64>,
) -> Result<Json<Vec<crate::store::recon::StatementLineRow>>, ApiError> {
    Ok(Json(app.statement_lines(&u, id).await?))
}

/// HS-F7: the finance bureau records its check of an account's reconciliation on a date.
#[utoipa::path(post, path = "/api/ledger/reconciliation/checks", tag = "ledger", request_body = crate::app::recon::ReconCheckInput,
    responses((status = 201, body = crate::store::recon::ReconCheckRow), (status = 403, body = crate::app::error::Problem)))]
pub async fn check_reconciliation(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiJson(c): ApiJson<crate::app::recon::ReconCheckInput>,
) -> Result<Response, ApiError> {
    let r = app.check_reconciliation(&u, c).await?;
    Ok((StatusCode::CREATED, Json(r)).into_response())
}

#[utoipa::path(get, path = "/api/ledger/reconciliation/checks", tag = "ledger", params(AccountQuery),
    responses((status = 200, body = Vec<crate::store::recon::ReconCheckRow>)))]
pub async fn reconciliation_checks(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiQuery(q): ApiQuery<AccountQuery>,
) -> Result<Json<Vec<crate::store::recon::ReconCheckRow>>, ApiError> {
    Ok(Json(app.reconciliation_checks(&u, &q.account).await?))
}

/// The statement template (xlsx).
#[utoipa::path(get, path = "/api/templates/bank-statement.xlsx", tag = "ledger",
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
pub async fn statement_template(Caller(_caller): Caller) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"bank-statement.xlsx\"",
            ),
        ],
        crate::excel::statement::statement_template(),
    )
        .into_response()
}

/// HS-F7: match what the rules can (reference, amount and date, many-to-one).
#[utoipa::path(post, path = "/api/ledger/reconcile", tag = "ledger", params(AccountQuery),
    responses((status = 200, body = Vec<crate::store::recon::MatchRow>)))]
pub async fn auto_reconcile(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiQuery(q): ApiQuery<AccountQuery>,
) -> Result<Json<Vec<crate::store::recon::MatchRow>>, ApiError> {
    Ok(Json(app.auto_reconcile(&u, &q.account).await?))
}

#[utoipa::path(post, path = "/api/ledger/matches", tag = "ledger", params(AccountQuery), request_body = crate::app::recon::ManualMatch,
    responses((status = 201, body = crate::store::recon::MatchRow), (status = 409, body = crate::app::error::Problem), (status = 422, body = crate::app::error::Problem)))]
pub async fn manual_match(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiQuery(q): ApiQuery<AccountQuery>,
    ApiJson(m): ApiJson<crate::app::recon::ManualMatch>,
) -> Result<Response, ApiError> {
    let r = app.manual_match(&u, &q.account, m).await?;
    Ok((StatusCode::CREATED, Json(r)).into_response())
}

#[utoipa::path(get, path = "/api/ledger/matches", tag = "ledger", params(AccountQuery),
    responses((status = 200, body = Vec<crate::store::recon::MatchRow>)))]
pub async fn list_matches(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiQuery(q): ApiQuery<AccountQuery>,
) -> Result<Json<Vec<crate::store::recon::MatchRow>>, ApiError> {
    Ok(Json(app.recon_matches(&u, &q.account).await?))
}

#[utoipa::path(post, path = "/api/ledger/matches/{id}/unmatch", tag = "ledger", params(("id" = i64, Path)), request_body = crate::app::recon::Unmatch,
    responses((status = 200, body = crate::store::recon::MatchRow), (status = 409, body = crate::app::error::Problem)))]
pub async fn unmatch(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    super::api::ApiPath(id): super::api::ApiPath<i64>,
    ApiJson(b): ApiJson<crate::app::recon::Unmatch>,
) -> Result<Json<crate::store::recon::MatchRow>, ApiError> {
    Ok(Json(app.unmatch(&u, id, b).await?))
}

/// HS-F7 账实相符: book and bank balances on a date with the unmatched items on each side.
#[utoipa::path(get, path = "/api/ledger/reconciliation", tag = "ledger", params(ReconQuery),
    responses((status = 200, body = crate::app::recon::ReconReport)))]
pub async fn reconciliation(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    ApiQuery(q): ApiQuery<ReconQuery>,
) -> Result<Json<crate::app::recon::ReconReport>, ApiError> {
    Ok(Json(app.reconciliation(&u, &q.account, q.upto).await?))
}

/// HS-F6 / HS-F8: the project's workbook — a sheet per fund source, trial balance, flow trace,
/// exceptions, asset register.
#[utoipa::path(get, path = "/api/ledger/projects/{project}/report.xlsx", tag = "ledger", params(("project" = String, Path)),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 404, body = crate::app::error::Problem)))]
pub async fn project_report(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    super::api::ApiPath(project): super::api::ApiPath<String>,
) -> Result<Response, ApiError> {
    Ok(project_report_response(&app, &u, &project).await?)
}

/// A project's fund workbook (the API's and the report page's download).
pub async fn project_report_response(
    app: &crate::app::App,
    u: &crate::store::users::User,
    project: &str,
) -> Result<Response, AppError> {
    let r = app.project_report(u, project).await?;
    Ok(super::api::xlsx(
        "project-report.xlsx",
        crate::excel::ledger_report::project_workbook(&r),
    ))
}

/// YQM-16: the most of a developer's escrow that may be released at five-party acceptance.
#[utoipa::path(post, path = "/api/ledger/escrow-release-check", tag = "ledger", request_body = crate::app::ledger::ReleaseCheck,
    responses((status = 200, body = Object), (status = 422, body = crate::app::error::Problem)))]
pub async fn escrow_release_check(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(_caller): Caller,
    ApiJson(r): ApiJson<crate::app::ledger::ReleaseCheck>,
) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(app.escrow_release_check(&r).await?))
}

/// HS-F4: the developer reports its uses of a bought listing's proceeds; a lower use paid while
/// a higher one is outstanding is flagged.
#[utoipa::path(post, path = "/api/listings/{id}/proceeds-uses", tag = "ledger", params(("id" = i64, Path)), request_body = crate::app::ledger::ProceedsInput,
    responses((status = 201, body = crate::app::ledger::ProceedsAnswer), (status = 404, body = crate::app::error::Problem), (status = 422, body = crate::app::error::Problem)))]
pub async fn proceeds_uses(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    super::api::ApiPath(id): super::api::ApiPath<i64>,
    ApiJson(input): ApiJson<crate::app::ledger::ProceedsInput>,
) -> Result<Response, ApiError> {
    let a = app.report_proceeds(&u, id, input).await?;
    Ok((StatusCode::CREATED, Json(a)).into_response())
}

/// HS-F7 账账相符: per project and fund source, sub-ledgers against the journal's control totals.
#[utoipa::path(get, path = "/api/ledger/subledgers", tag = "ledger", responses((status = 200, body = Vec<crate::app::ledger::SubledgerCheck>)))]
pub async fn subledgers(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
) -> Result<Json<Vec<crate::app::ledger::SubledgerCheck>>, ApiError> {
    Ok(Json(app.subledgers_agree(&u).await?))
}

/// A correction: posts entry `seq` again with every line negated (the original stays).
#[utoipa::path(post, path = "/api/ledger/entries/{seq}/reverse", tag = "ledger", params(("seq" = i64, Path)), request_body = crate::app::ledger::ReversalInput,
    responses((status = 201, body = EntryView), (status = 404, body = crate::app::error::Problem), (status = 422, body = crate::app::error::Problem)))]
pub async fn reverse(
    axum::extract::State(app): axum::extract::State<State>,
    Caller(u): Caller,
    super::api::ApiPath(seq): super::api::ApiPath<i64>,
    ApiJson(r): ApiJson<crate::app::ledger::ReversalInput>,
) -> Result<Response, ApiError> {
    let (status, view) = app.reverse_entry(&u, seq, r).await?;
    Ok((
        StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
        Json(view),
    )
        .into_response())
}

pub fn routes() -> Router<State> {
    Router::new()
        .route("/api/ledger/accounts", get(accounts).post(open_account))
        .route("/api/ledger/entries", get(entries).post(post_entry))
        .route(
            "/api/ledger/decisions",
            get(decisions).post(record_decision),
        )
        .route("/api/ledger/batches", axum::routing::post(post_batch))
        .route("/api/ledger/trial-balance", get(trial_balance))
        .route("/api/ledger/verify", get(verify))
        .route("/api/ledger/checkpoint", get(checkpoint))
        .route("/api/ledger/export", get(export))
        .route("/api/ledger/exceptions", get(exceptions))
        .route(
            "/api/ledger/statements",
            get(list_statements).post(import_statement),
        )
        .route("/api/ledger/statements/{id}", get(statement_lines))
        .route(
            "/api/ledger/reconciliation/checks",
            get(reconciliation_checks).post(check_reconciliation),
        )
        .route(
            "/api/templates/bank-statement.xlsx",
            get(statement_template),
        )
        .route("/api/ledger/reconcile", axum::routing::post(auto_reconcile))
        .route("/api/ledger/matches", get(list_matches).post(manual_match))
        .route(
            "/api/ledger/matches/{id}/unmatch",
            axum::routing::post(unmatch),
        )
        .route("/api/ledger/reconciliation", get(reconciliation))
        .route("/api/ledger/subledgers", get(subledgers))
        .route(
            "/api/ledger/entries/{seq}/reverse",
            axum::routing::post(reverse),
        )
        .route(
            "/api/listings/{id}/proceeds-uses",
            axum::routing::post(proceeds_uses),
        )
        .route(
            "/api/ledger/escrow-release-check",
            axum::routing::post(escrow_release_check),
        )
        .route(
            "/api/ledger/projects/{project}/report.xlsx",
            get(project_report),
        )
        .route(
            "/api/listings/{id}/payment-schedule",
            axum::routing::post(payment_schedule),
        )
}
