//! Who is calling. The API takes only `Authorization: Bearer <token>` (an API token, see
//! `app::users`); the pages take only the session cookie set by signing in there. A cookie never
//! authenticates `/api`, so a request another site makes a browser send does nothing there; the
//! pages' forms carry a token derived from the session's secret ([`csrf_of`]), checked on every
//! post ([`Posted`]), because office browsers in IE mode ignore `SameSite`.
//!
//! Failed sign-ins (a wrong, expired or ended token, on the API or the sign-in form) are logged
//! (target `anju::audit`) and recorded, and a peer with [`MAX_FAILURES`] of them within
//! [`FAILURE_WINDOW`] is answered 429 until the window ends. The throttle keeps time with the
//! monotonic clock, not `app::Clock`: it measures attempts, not business time.

use super::{ApiError, State};
use crate::app::AppError;
use crate::app::users::{self, Refusal};
use crate::store::users::{CredentialKind, User};
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The page session's cookie.
pub const SESSION_COOKIE: &str = "anju_session";
/// The sign-in form's own cookie, against signing a person in as someone else (login CSRF).
pub const SIGN_IN_COOKIE: &str = "anju_signin";
/// Failed sign-ins a peer may make within [`FAILURE_WINDOW`].
pub const MAX_FAILURES: u32 = 10;
pub const FAILURE_WINDOW: Duration = Duration::from_secs(60);

/// Failed sign-ins per peer address, in fixed windows.
#[derive(Default)]
pub struct Throttle {
    peers: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl Throttle {
    /// Refuses a peer that failed too often in its current window.
    pub fn check(&self, peer: Option<IpAddr>) -> Result<(), AppError> {
        let Some(ip) = peer else { return Ok(()) };
        let peers = self.peers.lock().expect("throttle lock");
        match peers.get(&ip) {
            Some((start, n)) if *n >= MAX_FAILURES && start.elapsed() < FAILURE_WINDOW => {
                Err(AppError::TooManyAttempts(format!(
                    "too many failed sign-ins from this address; try again in {} s",
                    (FAILURE_WINDOW - start.elapsed()).as_secs() + 1
                )))
            }
            _ => Ok(()),
        }
    }

    /// Counts a failure of a peer.
    pub fn fail(&self, peer: Option<IpAddr>) {
        let Some(ip) = peer else { return };
        let mut peers = self.peers.lock().expect("throttle lock");
        if peers.len() > 10_000 {
            peers.retain(|_, (start, _)| start.elapsed() < FAILURE_WINDOW);
        }
        let e = peers.entry(ip).or_insert((Instant::now(), 0));
        if e.0.elapsed() >= FAILURE_WINDOW {
            *e = (Instant::now(), 0);
        }
        e.1 += 1;
    }
}

fn peer(parts: &Parts) -> Option<IpAddr> {
    super::serve::peer_of(parts).map(|a| a.ip())
}

fn bearer(parts: &Parts) -> Option<String> {
    let h = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())?;
    h.strip_prefix("Bearer ").map(|t| t.trim().to_string())
}

/// The value of a cookie of the request.
pub fn cookie(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The form token of a session: a hash of its secret, which only the browser holds (the cookie
/// is `HttpOnly`), so another site can neither read nor make it.
pub fn csrf_of(secret: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"anju-csrf\0");
    h.update(secret.as_bytes());
    hex::encode(h.finalize())
}

/// Whether two secrets are equal, in time that depends only on their lengths.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Signs in with a secret of `kind`, recording and counting a failure.
pub async fn sign_in(
    state: &State,
    parts: &Parts,
    secret: &str,
    kind: CredentialKind,
    via: &str,
) -> Result<(User, i64), AppError> {
    let ip = peer(parts);
    state.throttle.check(ip)?;
    match users::authenticate(state, secret, kind).await? {
        Ok(found) => Ok(found),
        Err((refusal, user_id)) => {
            state.throttle.fail(ip);
            tracing::warn!(target: "anju::audit", via, peer = ?ip, reason = refusal.key(), user = ?user_id, "sign-in failed");
            users::record_failure(state, via, ip.map(|i| i.to_string()), refusal, user_id).await?;
            Err(AppError::Unauthorized)
        }
    }
}

/// The API's caller, by its bearer token. Extracting it refuses with 401 problem+json.
pub struct Caller(pub User);

impl FromRequestParts<State> for Caller {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &State) -> Result<Self, Self::Rejection> {
        let token = bearer(parts).ok_or(ApiError(AppError::Unauthorized))?;
        let (user, _) = sign_in(state, parts, &token, CredentialKind::Token, "api").await?;
        Who::set(parts, &user);
        Ok(Caller(user))
    }
}

/// The signed-in person of the pages, by the session cookie, with the session's form token.
pub struct Session {
    pub user: User,
    /// The credential of the session (to end it on signing out).
    pub id: i64,
    pub csrf: String,
}

/// A session cookie that does not (or no longer) sign anyone in is not a failed sign-in: it is
/// how every session ends.
pub async fn session_of(state: &State, parts: &mut Parts) -> Result<Session, AppError> {
    let secret = cookie(parts, SESSION_COOKIE).ok_or(AppError::Unauthorized)?;
    match users::authenticate(state, &secret, CredentialKind::Session).await? {
        Ok((user, id)) => {
            Who::set(parts, &user);
            Ok(Session {
                user,
                id,
                csrf: csrf_of(&secret),
            })
        }
        Err((r, _)) => {
            if r != Refusal::Expired && r != Refusal::Ended {
                tracing::info!(target: "anju::audit", reason = r.key(), "stale session cookie");
            }
            Err(AppError::Unauthorized)
        }
    }
}

/// Where the access log learns who made a request: it puts an empty one in the request, and
/// signing in fills it.
#[derive(Debug, Clone, Default)]
pub struct Who(std::sync::Arc<std::sync::OnceLock<i64>>);

impl Who {
    pub fn get(&self) -> Option<i64> {
        self.0.get().copied()
    }

    fn set(parts: &Parts, user: &User) {
        if let Some(w) = parts.extensions.get::<Who>() {
            let _ = w.0.set(user.id);
        }
    }
}
