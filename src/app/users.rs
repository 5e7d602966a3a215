//! User administration and sign-in. Accounts are created, disabled, enabled, and their
//! credentials revoked or rotated, each act one transaction that also appends its event (who did
//! it to whom); nothing is edited or deleted. An API token and a page session are separate
//! credentials: a token is a bearer for `/api` and lives [`TOKEN_DAYS`]; a session is the
//! cookie of a person signed in on the pages with a token and lives [`SESSION_HOURS`]; either
//! ends earlier by revocation, rotation, sign-out or its user being disabled.

use super::{App, AppError};
use crate::domain::role::Role;
use crate::store::users::{self, CredentialKind, EndReason, User};
use chrono::{DateTime, Duration, Utc};

/// How long an API token works.
pub const TOKEN_DAYS: i64 = 180;
/// How long a page session works after signing in.
pub const SESSION_HOURS: i64 = 8;

#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Created {
    pub user: users::User,
    /// Shown once; only its SHA-256 is stored.
    pub token: String,
    pub token_expires_at: DateTime<Utc>,
}

/// A new token of a user, shown once.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Issued {
    pub user_id: i64,
    pub token: String,
    pub token_expires_at: DateTime<Utc>,
}

/// Who may administer users: the administrator on the pages and API, anyone with the command
/// line (`None`, recorded as such).
fn require_admin(actor: Option<&User>) -> Result<(), AppError> {
    match actor {
        None => Ok(()),
        Some(u) if u.role == Role::Admin => Ok(()),
        Some(_) => Err(AppError::Forbidden(
            "only an administrator administers users".into(),
        )),
    }
}

fn require_reader(actor: &User, roles: &[Role], what: &str) -> Result<(), AppError> {
    if roles.contains(&actor.role) {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "role {} may not read {what}",
            actor.role
        )))
    }
}

/// Adds a user from the command line (or the first start) with a token of [`TOKEN_DAYS`].
pub async fn add_user(
    app: &App,
    name: &str,
    role: Role,
    org: Option<&str>,
) -> Result<Created, AppError> {
    create_user(app, None, name, role, org, TOKEN_DAYS).await
}

/// Adds a user and issues its first token (valid `days`), recording who created whom. A
/// developer account of a company that has bid in a tender not yet opened is flagged to the
/// housing bureau and the supervisors: it could act for a bidder while bids are sealed.
pub async fn create_user(
    app: &App,
    actor: Option<&User>,
    name: &str,
    role: Role,
    org: Option<&str>,
    days: i64,
) -> Result<Created, AppError> {
    require_admin(actor)?;
    if name.trim().is_empty() {
        return Err(AppError::invalid("name", "a user needs a name"));
    }
    let org = org.map(str::trim).filter(|o| !o.is_empty());
    if role == Role::Developer && org.is_none() {
        return Err(AppError::invalid(
            "org",
            "a developer account needs its company (--org)",
        ));
    }
    let token = users::new_token();
    let now = app.now();
    let by = actor.map(|a| a.id);
    let mut tx = app.store.begin().await?;
    let user = users::insert(&mut tx, name.trim(), role, org, &token, now, by)
        .await
        .map_err(|e| {
            if crate::store::is_unique_violation(&e) {
                AppError::Conflict {
                    code: "duplicate",
                    message: format!("a user named {name:?} already exists"),
                }
            } else {
                e.into()
            }
        })?;
    let expires = issue_token(&mut tx, user.id, &token, now, days, by).await?;
    let flag = match (role, org) {
        (Role::Developer, Some(org)) => {
            let rounds = users::open_tenders_bid_by(&mut tx, org).await?;
            (!rounds.is_empty()).then(|| {
                format!(
                    "开标前为投标企业{org}新建账户（批次 {}）",
                    rounds
                        .iter()
                        .map(|r| r.to_string())
                        .collect::<Vec<_>>()
                        .join("、")
                )
            })
        }
        _ => None,
    };
    let detail = format!(
        "role {role}{}",
        org.map(|o| format!(", {o}")).unwrap_or_default()
    );
    users::record_event(
        &mut tx,
        now,
        user.id,
        by,
        "created",
        Some(&detail),
        flag.as_deref(),
    )
    .await?;
    tx.commit().await?;
    if let Some(f) = &flag {
        tracing::warn!(target: "anju::audit", user = user.id, by = ?by, flag = %f, "account flagged");
    }
    Ok(Created {
        user,
        token,
        token_expires_at: expires,
    })
}

/// Stores an API token of a user, working `days` (at least one) from `now`; its expiry.
async fn issue_token(
    tx: &mut crate::store::Tx,
    user_id: i64,
    token: &str,
    now: DateTime<Utc>,
    days: i64,
    by: Option<i64>,
) -> Result<DateTime<Utc>, AppError> {
    let expires = now + Duration::days(days.max(1));
    users::insert_credential(tx, user_id, CredentialKind::Token, token, now, expires, by).await?;
    Ok(expires)
}

async fn target(tx: &mut crate::store::Tx, user_id: i64) -> Result<User, AppError> {
    users::by_id(tx, user_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("user {user_id}")))
}

/// Disables a user: every credential ends now; `enable` lets it be issued a token again.
pub async fn disable(app: &App, actor: Option<&User>, user_id: i64) -> Result<(), AppError> {
    require_admin(actor)?;
    if actor.is_some_and(|a| a.id == user_id) {
        return Err(AppError::invalid(
            "user",
            "an administrator does not disable itself",
        ));
    }
    let (now, by) = (app.now(), actor.map(|a| a.id));
    let mut tx = app.store.begin().await?;
    target(&mut tx, user_id).await?;
    let n = users::end_credentials_of(&mut tx, user_id, None, now, by, EndReason::Disabled).await?;
    let detail = format!("{n} credential(s) ended");
    users::record_event(&mut tx, now, user_id, by, "disabled", Some(&detail), None).await?;
    tx.commit().await?;
    Ok(())
}

/// Enables a disabled user; it signs in again once given a token (`rotate`).
pub async fn enable(app: &App, actor: Option<&User>, user_id: i64) -> Result<(), AppError> {
    require_admin(actor)?;
    let (now, by) = (app.now(), actor.map(|a| a.id));
    let mut tx = app.store.begin().await?;
    target(&mut tx, user_id).await?;
    users::record_event(&mut tx, now, user_id, by, "enabled", None, None).await?;
    tx.commit().await?;
    Ok(())
}

/// Revokes every token and session of a user now.
pub async fn revoke(app: &App, actor: Option<&User>, user_id: i64) -> Result<u64, AppError> {
    require_admin(actor)?;
    let (now, by) = (app.now(), actor.map(|a| a.id));
    let mut tx = app.store.begin().await?;
    target(&mut tx, user_id).await?;
    let n = users::end_credentials_of(&mut tx, user_id, None, now, by, EndReason::Revoked).await?;
    let detail = format!("{n} credential(s) ended");
    users::record_event(
        &mut tx,
        now,
        user_id,
        by,
        "tokens_revoked",
        Some(&detail),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

/// Replaces a user's tokens with a new one (valid `days`), shown once; its sessions end too.
pub async fn rotate(
    app: &App,
    actor: Option<&User>,
    user_id: i64,
    days: i64,
) -> Result<Issued, AppError> {
    require_admin(actor)?;
    let (now, by) = (app.now(), actor.map(|a| a.id));
    let mut tx = app.store.begin().await?;
    target(&mut tx, user_id).await?;
    if disabled(&mut tx, user_id).await? {
        return Err(AppError::Conflict {
            code: "user_disabled",
            message: format!("user {user_id} is disabled; enable it first"),
        });
    }
    users::end_credentials_of(&mut tx, user_id, None, now, by, EndReason::Rotated).await?;
    let token = users::new_token();
    let expires = issue_token(&mut tx, user_id, &token, now, days, by).await?;
    users::record_event(&mut tx, now, user_id, by, "token_rotated", None, None).await?;
    tx.commit().await?;
    Ok(Issued {
        user_id,
        token,
        token_expires_at: expires,
    })
}

async fn disabled(tx: &mut crate::store::Tx, user_id: i64) -> Result<bool, AppError> {
    Ok(users::accounts(tx)
        .await?
        .into_iter()
        .any(|a| a.user.id == user_id && a.disabled))
}

/// A user's id by name (the command line names users).
pub async fn user_id_by_name(app: &App, name: &str) -> Result<i64, AppError> {
    let mut tx = app.store.read().await?;
    users::by_name(&mut tx, name)
        .await?
        .map(|u| u.id)
        .ok_or_else(|| AppError::NotFound(format!("user {name:?}")))
}

/// Every account, for the administrator and the supervisors.
pub async fn accounts(app: &App, actor: &User) -> Result<Vec<users::Account>, AppError> {
    require_reader(actor, &[Role::Admin, Role::Supervisor], "the accounts")?;
    let mut tx = app.store.read().await?;
    Ok(users::accounts(&mut tx).await?)
}

/// The record of user administration, newest first.
pub async fn events(app: &App, actor: &User) -> Result<Vec<users::UserEvent>, AppError> {
    require_reader(
        actor,
        &[Role::Admin, Role::Supervisor],
        "the record of user administration",
    )?;
    let mut tx = app.store.read().await?;
    Ok(users::events(&mut tx, false).await?)
}

/// Flagged account events, for the housing bureau and the supervisors.
pub async fn flags(app: &App, actor: &User) -> Result<Vec<users::UserEvent>, AppError> {
    require_reader(
        actor,
        &[Role::HousingBureau, Role::Supervisor],
        "flagged accounts",
    )?;
    let mut tx = app.store.read().await?;
    Ok(users::events(&mut tx, true).await?)
}

/// The newest failed sign-ins, for the administrator and the supervisors.
pub async fn sign_in_failures(
    app: &App,
    actor: &User,
) -> Result<Vec<users::SignInFailure>, AppError> {
    require_reader(actor, &[Role::Admin, Role::Supervisor], "failed sign-ins")?;
    let mut tx = app.store.read().await?;
    Ok(users::sign_in_failures(&mut tx, 500).await?)
}

/// Why a secret did not sign anyone in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Unknown,
    Expired,
    Ended,
    Disabled,
}

impl Refusal {
    pub fn key(self) -> &'static str {
        match self {
            Refusal::Unknown => "unknown",
            Refusal::Expired => "expired",
            Refusal::Ended => "ended",
            Refusal::Disabled => "disabled",
        }
    }
}

/// The user a secret of `kind` signs in, or why it does not (with the user it belonged to).
pub async fn authenticate(
    app: &App,
    secret: &str,
    kind: CredentialKind,
) -> Result<Result<(User, i64), (Refusal, Option<i64>)>, AppError> {
    let mut tx = app.store.read().await?;
    let Some(c) = users::credential(&mut tx, secret, kind).await? else {
        return Ok(Err((Refusal::Unknown, None)));
    };
    let who = Some(c.user.id);
    Ok(if c.user_disabled {
        Err((Refusal::Disabled, who))
    } else if c.ended {
        Err((Refusal::Ended, who))
    } else if app.now() >= c.expires_at {
        Err((Refusal::Expired, who))
    } else {
        Ok((c.user, c.id))
    })
}

/// Starts a page session for a user signed in with its token: a new secret for the cookie.
pub async fn start_session(app: &App, user: &User) -> Result<String, AppError> {
    let secret = users::new_secret("anjus_");
    let now = app.now();
    let mut tx = app.store.begin().await?;
    users::insert_credential(
        &mut tx,
        user.id,
        CredentialKind::Session,
        &secret,
        now,
        now + Duration::hours(SESSION_HOURS),
        Some(user.id),
    )
    .await?;
    tx.commit().await?;
    Ok(secret)
}

/// Ends a page session (signing out).
pub async fn end_session(app: &App, user: &User, credential_id: i64) -> Result<(), AppError> {
    let mut tx = app.store.begin().await?;
    users::end_credential(
        &mut tx,
        credential_id,
        app.now(),
        Some(user.id),
        EndReason::SignedOut,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Records a failed sign-in.
pub async fn record_failure(
    app: &App,
    via: &str,
    peer: Option<String>,
    refusal: Refusal,
    user_id: Option<i64>,
) -> Result<(), AppError> {
    let mut tx = app.store.begin().await?;
    users::record_sign_in_failure(
        &mut tx,
        &users::SignInFailure {
            at: app.now(),
            via: via.to_string(),
            peer,
            user_id,
            reason: refusal.key().to_string(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Whether the database has no user yet.
pub async fn needs_bootstrap(app: &App) -> Result<bool, AppError> {
    let mut tx = app.store.read().await?;
    Ok(users::count(&mut tx).await? == 0)
}

/// On an empty database, creates the administrator and returns its token.
pub async fn bootstrap_admin(app: &App) -> Result<Option<Created>, AppError> {
    let mut tx = app.store.read().await?;
    let n = users::count(&mut tx).await?;
    drop(tx);
    if n > 0 {
        return Ok(None);
    }
    add_user(app, "admin", Role::Admin, None).await.map(Some)
}
