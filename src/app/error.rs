//! The one error type of commands and queries, and its problem+json form (RFC 9457).
//! Every refusal has a stable `code`; internal causes are logged, never shown.

use crate::domain::calendar::CalendarError;
use crate::excel::CellError;
use crate::workflow::engine::EngineError;
use axum::http::StatusCode;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("authentication required: send Authorization: Bearer <token>")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{message}")]
    Invalid {
        field: Option<String>,
        message: String,
    },
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("the workbook has {} problem(s); nothing was saved", .0.len())]
    Workbook(Vec<CellError>),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Calendar(#[from] CalendarError),
    #[error("{message}")]
    Rule {
        code: &'static str,
        rule: String,
        message: String,
    },
    #[error("{0}")]
    TooLarge(String),
    #[error("the request took longer than the server allows")]
    RequestTimeout,
    #[error("{0}")]
    TooManyAttempts(String),
    #[error("internal error")]
    Internal(String),
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        if crate::store::is_unique_violation(&e) {
            return AppError::Conflict {
                code: "duplicate",
                message: "a record with the same key already exists".into(),
            };
        }
        AppError::Internal(e.to_string())
    }
}

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid {
            field: Some(field.to_string()),
            message: message.into(),
        }
    }
}

/// The problem+json body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    /// Stable machine-readable code, e.g. `stale_version`, `guard_failed`, `invalid_workbook`.
    pub code: String,
    /// Human-readable explanation.
    pub detail: String,
    /// The request field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The rule ID that refused, when a rule did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Per-cell problems of a workbook.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<CellError>,
    /// Guard refusals and other structured detail.
    #[serde(skip_serializing_if = "serde_json::Value::is_null")]
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Invalid { .. }
            | AppError::Workbook(_)
            | AppError::Calendar(_)
            | AppError::Rule { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            AppError::TooManyAttempts(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Engine(e) => match e {
                EngineError::UnknownAction { .. } => StatusCode::NOT_FOUND,
                EngineError::RoleNotAllowed { .. } => StatusCode::FORBIDDEN,
                EngineError::StaleVersion { .. } | EngineError::WrongState { .. } => {
                    StatusCode::CONFLICT
                }
                EngineError::Guards(_) | EngineError::Calendar(_) => {
                    StatusCode::UNPROCESSABLE_ENTITY
                }
            },
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthorized => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound(_) => "not_found",
            AppError::Invalid { .. } => "invalid_input",
            AppError::Conflict { code, .. } => code,
            AppError::Workbook(_) => "invalid_workbook",
            AppError::TooLarge(_) => "payload_too_large",
            AppError::RequestTimeout => "request_timeout",
            AppError::TooManyAttempts(_) => "too_many_attempts",
            AppError::Calendar(CalendarError::NoCalendarForYear { .. }) => "no_calendar_for_year",
            AppError::Calendar(_) => "calendar_error",
            AppError::Rule { code, .. } => code,
            AppError::Engine(e) => match e {
                EngineError::UnknownAction { .. } => "unknown_action",
                EngineError::RoleNotAllowed { .. } => "role_not_allowed",
                EngineError::StaleVersion { .. } => "stale_version",
                EngineError::WrongState { .. } => "wrong_state",
                EngineError::Guards(_) => "guard_failed",
                EngineError::Calendar(CalendarError::NoCalendarForYear { .. }) => {
                    "no_calendar_for_year"
                }
                EngineError::Calendar(_) => "calendar_error",
            },
            AppError::Internal(_) => "internal",
        }
    }

    pub fn problem(&self) -> Problem {
        let status = self.status();
        let (field, rule, errors, details) = match self {
            AppError::Invalid { field, .. } => {
                (field.clone(), None, vec![], serde_json::Value::Null)
            }
            AppError::Workbook(e) => (None, None, e.clone(), serde_json::Value::Null),
            AppError::Rule { rule, .. } => (
                None,
                Some(rule.to_string()),
                vec![],
                serde_json::Value::Null,
            ),
            AppError::Engine(EngineError::WrongState { rule, .. }) => {
                (None, rule.clone(), vec![], serde_json::Value::Null)
            }
            AppError::Engine(EngineError::Guards(g)) => (
                None,
                g.first().map(|f| f.rule.to_string()),
                vec![],
                serde_json::to_value(g).unwrap_or_default(),
            ),
            _ => (None, None, vec![], serde_json::Value::Null),
        };
        if let AppError::Internal(cause) = self {
            tracing::error!(%cause, "internal error");
        }
        Problem {
            type_: format!("https://anju.invalid/problems/{}", self.code()),
            title: status.canonical_reason().unwrap_or("error").to_string(),
            status: status.as_u16(),
            code: self.code().to_string(),
            detail: self.to_string(),
            field,
            rule,
            errors,
            details,
        }
    }
}
