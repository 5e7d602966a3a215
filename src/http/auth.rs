//! Who is calling: a bearer token (API) or the `anju_token` cookie set by the sign-in page.
//! Tokens are looked up by their SHA-256; the token itself is never stored.

use super::{ApiError, State};
use crate::app::AppError;
use crate::store::users::{self, User};
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

pub const COOKIE: &str = "anju_token";

/// The authenticated caller. Extracting it refuses with 401 problem+json.
pub struct Caller(pub User);

pub fn token_from(parts: &Parts) -> Option<String> {
    if let Some(h) = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        && let Some(t) = h.strip_prefix("Bearer ")
    {
        return Some(t.trim().to_string());
    }
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_string())
}

pub async fn user_from(app: &crate::app::App, parts: &Parts) -> Result<User, AppError> {
    let token = token_from(parts).ok_or(AppError::Unauthorized)?;
    let mut tx = app.store.read().await?;
    users::by_token(&mut tx, &token)
        .await?
        .ok_or(AppError::Unauthorized)
}

impl FromRequestParts<State> for Caller {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &State) -> Result<Self, Self::Rejection> {
        Ok(Caller(user_from(state, parts).await?))
    }
}

/// Whether two secrets are equal, in time that depends only on their lengths.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
