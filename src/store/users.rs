//! Users, their credentials (API tokens and page sessions) and the record of user
//! administration and failed sign-ins. Only the SHA-256 of a secret is stored; every table here
//! is append-only (a credential ends by an end row, a user is disabled by an event).

use super::Tx;
use crate::domain::role::Role;
use crate::on_tx;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::Row;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub role: Role,
    /// The company a developer (or appraiser) belongs to; listings are scoped by it.
    pub org: Option<String>,
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new random secret: `prefix` and 32 random bytes in hex (`anju_` for API tokens, `anjus_`
/// for page sessions).
pub fn new_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system has a random source");
    format!("{prefix}{}", hex::encode(bytes))
}

/// A new API token.
pub fn new_token() -> String {
    new_secret("anju_")
}

fn user_of(id: i64, name: String, role: String, org: Option<String>) -> Result<User, sqlx::Error> {
    let role = role
        .parse::<Role>()
        .map_err(|e| sqlx::Error::Decode(e.into()))?;
    Ok(User {
        id,
        name,
        role,
        org,
    })
}

/// A new user, with the hash of its first token (the column predates `credentials`; sign-in
/// reads only `credentials`).
pub async fn insert(
    tx: &mut Tx,
    name: &str,
    role: Role,
    org: Option<&str>,
    token: &str,
    now: DateTime<Utc>,
    created_by: Option<i64>,
) -> Result<User, sqlx::Error> {
    let hash = hash_token(token);
    let id: i64 = on_tx!(tx, c => sqlx::query("INSERT INTO users (name, role, org, token_hash, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
        .bind(name).bind(role.key()).bind(org).bind(&hash).bind(now).bind(created_by)
        .fetch_one(&mut *c).await?.try_get("id")?);
    Ok(User {
        id,
        name: name.to_string(),
        role,
        org: org.map(str::to_string),
    })
}

/// What a credential is for: a bearer on the API, or the cookie of a page session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    Token,
    Session,
}

impl CredentialKind {
    fn key(self) -> &'static str {
        match self {
            CredentialKind::Token => "token",
            CredentialKind::Session => "session",
        }
    }
}

/// A credential as found by its secret, with whether it still works.
#[derive(Debug, Clone)]
pub struct Credential {
    pub id: i64,
    pub user: User,
    pub kind: CredentialKind,
    pub expires_at: DateTime<Utc>,
    /// Revoked, rotated, signed out, or its user disabled.
    pub ended: bool,
    /// The user's newest disabled/enabled event is `disabled`.
    pub user_disabled: bool,
}

pub async fn insert_credential(
    tx: &mut Tx,
    user_id: i64,
    kind: CredentialKind,
    secret: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    created_by: Option<i64>,
) -> Result<i64, sqlx::Error> {
    on_tx!(tx, c => sqlx::query("INSERT INTO credentials (user_id, kind, secret_hash, created_at, expires_at, created_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
        .bind(user_id).bind(kind.key()).bind(hash_token(secret)).bind(now).bind(expires_at).bind(created_by)
        .fetch_one(&mut *c).await?.try_get("id"))
}

const DISABLED: &str = "COALESCE((SELECT e.action FROM user_events e WHERE e.user_id = u.id AND e.action IN ('disabled', 'enabled') ORDER BY e.id DESC LIMIT 1), '') = 'disabled'";

/// The credential whose secret this is, of `kind`, if any.
pub async fn credential(
    tx: &mut Tx,
    secret: &str,
    kind: CredentialKind,
) -> Result<Option<Credential>, sqlx::Error> {
    let sql = format!(
        "SELECT c.id, c.expires_at, u.id AS user_id, u.name, u.role, u.org, \
         EXISTS (SELECT 1 FROM credential_ends x WHERE x.credential_id = c.id) AS ended, \
         {DISABLED} AS disabled \
         FROM credentials c JOIN users u ON u.id = c.user_id WHERE c.secret_hash = $1 AND c.kind = $2"
    );
    type Found = (
        i64,
        DateTime<Utc>,
        i64,
        String,
        String,
        Option<String>,
        bool,
        bool,
    );
    let row: Option<Found> = on_tx!(tx, c => {
        let r = sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).bind(hash_token(secret)).bind(kind.key()).fetch_optional(&mut *c).await?;
        match r {
            Some(r) => Some((r.try_get("id")?, r.try_get("expires_at")?, r.try_get("user_id")?, r.try_get("name")?, r.try_get("role")?, r.try_get("org")?, r.try_get("ended")?, r.try_get("disabled")?)),
            None => None,
        }
    });
    row.map(
        |(id, expires_at, user_id, name, role, org, ended, user_disabled)| {
            Ok(Credential {
                id,
                user: user_of(user_id, name, role, org)?,
                kind,
                expires_at,
                ended,
                user_disabled,
            })
        },
    )
    .transpose()
}

/// Why a credential ended.
#[derive(Debug, Clone, Copy)]
pub enum EndReason {
    Revoked,
    Rotated,
    SignedOut,
    Disabled,
}

impl EndReason {
    fn key(self) -> &'static str {
        match self {
            EndReason::Revoked => "revoked",
            EndReason::Rotated => "rotated",
            EndReason::SignedOut => "signed_out",
            EndReason::Disabled => "disabled",
        }
    }
}

/// Ends one credential (a no-op if it already ended).
pub async fn end_credential(
    tx: &mut Tx,
    id: i64,
    now: DateTime<Utc>,
    by: Option<i64>,
    reason: EndReason,
) -> Result<(), sqlx::Error> {
    on_tx!(tx, c => {
        sqlx::query("INSERT INTO credential_ends (credential_id, ended_at, ended_by, reason) SELECT $1, $2, $3, $4 WHERE NOT EXISTS (SELECT 1 FROM credential_ends WHERE credential_id = $1)")
            .bind(id).bind(now).bind(by).bind(reason.key()).execute(&mut *c).await?;
    });
    Ok(())
}

/// Ends every working credential of a user, of `kind` or of both kinds; how many ended.
pub async fn end_credentials_of(
    tx: &mut Tx,
    user_id: i64,
    kind: Option<CredentialKind>,
    now: DateTime<Utc>,
    by: Option<i64>,
    reason: EndReason,
) -> Result<u64, sqlx::Error> {
    let kinds: &[&str] = match kind {
        Some(CredentialKind::Token) => &["token"],
        Some(CredentialKind::Session) => &["session"],
        None => &["token", "session"],
    };
    let mut n = 0;
    for k in kinds {
        n += on_tx!(tx, c => sqlx::query("INSERT INTO credential_ends (credential_id, ended_at, ended_by, reason) SELECT c.id, $2, $3, $4 FROM credentials c WHERE c.user_id = $1 AND c.kind = $5 AND NOT EXISTS (SELECT 1 FROM credential_ends x WHERE x.credential_id = c.id)")
            .bind(user_id).bind(now).bind(by).bind(reason.key()).bind(*k).execute(&mut *c).await?.rows_affected());
    }
    Ok(n)
}

/// One act of user administration.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct UserEvent {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub user_id: i64,
    pub user_name: String,
    /// Who acted; `None`: the command line.
    pub actor_id: Option<i64>,
    pub actor_name: Option<String>,
    /// `created`, `disabled`, `enabled`, `tokens_revoked` or `token_rotated`.
    pub action: String,
    pub detail: Option<String>,
    /// Why the housing bureau and the supervisors are shown this event, when they are.
    pub flag: Option<String>,
}

#[allow(clippy::too_many_arguments)]
pub async fn record_event(
    tx: &mut Tx,
    at: DateTime<Utc>,
    user_id: i64,
    actor_id: Option<i64>,
    action: &str,
    detail: Option<&str>,
    flag: Option<&str>,
) -> Result<i64, sqlx::Error> {
    on_tx!(tx, c => sqlx::query("INSERT INTO user_events (at, user_id, actor_id, action, detail, flag) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
        .bind(at).bind(user_id).bind(actor_id).bind(action).bind(detail).bind(flag)
        .fetch_one(&mut *c).await?.try_get("id"))
}

/// The record of user administration, newest first; only flagged events with `flagged_only`.
pub async fn events(tx: &mut Tx, flagged_only: bool) -> Result<Vec<UserEvent>, sqlx::Error> {
    let sql = format!(
        "SELECT e.id, e.at, e.user_id, u.name AS user_name, e.actor_id, a.name AS actor_name, e.action, e.detail, e.flag \
         FROM user_events e JOIN users u ON u.id = e.user_id LEFT JOIN users a ON a.id = e.actor_id {} ORDER BY e.id DESC",
        if flagged_only {
            "WHERE e.flag IS NOT NULL"
        } else {
            ""
        }
    );
    on_tx!(tx, c => {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).fetch_all(&mut *c).await?;
        rows.iter().map(|r| Ok(UserEvent {
            id: r.try_get("id")?, at: r.try_get("at")?, user_id: r.try_get("user_id")?, user_name: r.try_get("user_name")?,
            actor_id: r.try_get("actor_id")?, actor_name: r.try_get("actor_name")?, action: r.try_get("action")?,
            detail: r.try_get("detail")?, flag: r.try_get("flag")?,
        })).collect::<Result<Vec<_>, sqlx::Error>>()
    })
}

/// A user as the administrator lists them.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Account {
    #[serde(flatten)]
    pub user: User,
    pub created_at: DateTime<Utc>,
    /// Who created the account; `None`: the command line or the first start.
    pub created_by: Option<String>,
    pub disabled: bool,
    /// API tokens that still work (not ended; expiry is shown per token elsewhere).
    pub working_tokens: i64,
    /// Page sessions that have not ended.
    pub open_sessions: i64,
}

pub async fn accounts(tx: &mut Tx) -> Result<Vec<Account>, sqlx::Error> {
    let sql = format!(
        "SELECT u.id, u.name, u.role, u.org, u.created_at, a.name AS created_by, {DISABLED} AS disabled, \
         (SELECT COUNT(*) FROM credentials c WHERE c.user_id = u.id AND c.kind = 'token' AND NOT EXISTS (SELECT 1 FROM credential_ends x WHERE x.credential_id = c.id)) AS tokens, \
         (SELECT COUNT(*) FROM credentials c WHERE c.user_id = u.id AND c.kind = 'session' AND NOT EXISTS (SELECT 1 FROM credential_ends x WHERE x.credential_id = c.id)) AS sessions \
         FROM users u LEFT JOIN users a ON a.id = u.created_by ORDER BY u.id"
    );
    type Found = (
        i64,
        String,
        String,
        Option<String>,
        DateTime<Utc>,
        Option<String>,
        bool,
        i64,
        i64,
    );
    let rows: Vec<Found> = on_tx!(tx, c => {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).fetch_all(&mut *c).await?;
        rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("name")?, r.try_get("role")?, r.try_get("org")?, r.try_get("created_at")?,
            r.try_get("created_by")?, r.try_get("disabled")?, r.try_get("tokens")?, r.try_get("sessions")?))).collect::<Result<Vec<_>, sqlx::Error>>()?
    });
    rows.into_iter()
        .map(
            |(id, name, role, org, created_at, created_by, disabled, tokens, sessions)| {
                Ok(Account {
                    user: user_of(id, name, role, org)?,
                    created_at,
                    created_by,
                    disabled,
                    working_tokens: tokens,
                    open_sessions: sessions,
                })
            },
        )
        .collect()
}

/// A failed sign-in: when, through the pages or the API, from where, and whose credential it
/// was when one was found (expired or ended).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct SignInFailure {
    pub at: DateTime<Utc>,
    pub via: String,
    pub peer: Option<String>,
    pub user_id: Option<i64>,
    pub reason: String,
}

pub async fn record_sign_in_failure(tx: &mut Tx, f: &SignInFailure) -> Result<(), sqlx::Error> {
    on_tx!(tx, c => {
        sqlx::query("INSERT INTO sign_in_failures (at, via, peer, user_id, reason) VALUES ($1, $2, $3, $4, $5)")
            .bind(f.at).bind(&f.via).bind(&f.peer).bind(f.user_id).bind(&f.reason).execute(&mut *c).await?;
    });
    Ok(())
}

/// The newest failed sign-ins, at most `limit`.
pub async fn sign_in_failures(tx: &mut Tx, limit: i64) -> Result<Vec<SignInFailure>, sqlx::Error> {
    on_tx!(tx, c => {
        let rows = sqlx::query("SELECT at, via, peer, user_id, reason FROM sign_in_failures ORDER BY id DESC LIMIT $1").bind(limit).fetch_all(&mut *c).await?;
        rows.iter().map(|r| Ok(SignInFailure { at: r.try_get("at")?, via: r.try_get("via")?, peer: r.try_get("peer")?, user_id: r.try_get("user_id")?, reason: r.try_get("reason")? })).collect::<Result<Vec<_>, sqlx::Error>>()
    })
}

pub async fn by_id(tx: &mut Tx, id: i64) -> Result<Option<User>, sqlx::Error> {
    let row: Option<(i64, String, String, Option<String>)> = on_tx!(tx, c => {
        let r = sqlx::query("SELECT id, name, role, org FROM users WHERE id = $1").bind(id).fetch_optional(&mut *c).await?;
        match r { Some(r) => Some((r.try_get("id")?, r.try_get("name")?, r.try_get("role")?, r.try_get("org")?)), None => None }
    });
    row.map(|(id, name, role, org)| user_of(id, name, role, org))
        .transpose()
}

pub async fn by_name(tx: &mut Tx, name: &str) -> Result<Option<User>, sqlx::Error> {
    let id: Option<i64> = on_tx!(tx, c => sqlx::query("SELECT id FROM users WHERE name = $1").bind(name).fetch_optional(&mut *c).await?.map(|r| r.try_get("id")).transpose()?);
    match id {
        Some(id) => by_id(tx, id).await,
        None => Ok(None),
    }
}

pub async fn count(tx: &mut Tx) -> Result<i64, sqlx::Error> {
    on_tx!(tx, c => sqlx::query("SELECT COUNT(*) AS n FROM users").fetch_one(&mut *c).await?.try_get("n"))
}

pub async fn list(tx: &mut Tx) -> Result<Vec<User>, sqlx::Error> {
    let rows: Vec<(i64, String, String, Option<String>)> = on_tx!(tx, c => {
        let rows = sqlx::query("SELECT id, name, role, org FROM users ORDER BY id").fetch_all(&mut *c).await?;
        rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("name")?, r.try_get("role")?, r.try_get("org")?))).collect::<Result<Vec<_>, sqlx::Error>>()?
    });
    rows.into_iter()
        .map(|(id, name, role, org)| user_of(id, name, role, org))
        .collect()
}

/// A user's display name, for records that keep only the id.
pub async fn name_of(tx: &mut Tx, id: i64) -> Result<String, sqlx::Error> {
    on_tx!(tx, c => sqlx::query("SELECT name FROM users WHERE id = $1").bind(id).fetch_one(&mut *c).await?.try_get("name"))
}

/// Rounds whose tender is not yet opened and where `org` has bid: a new account of that company
/// now could read or change what only the opening may show.
pub async fn open_tenders_bid_by(tx: &mut Tx, org: &str) -> Result<Vec<i64>, sqlx::Error> {
    on_tx!(tx, c => {
        let rows = sqlx::query("SELECT DISTINCT t.round_id FROM tenders t JOIN bids b ON b.round_id = t.round_id WHERE b.developer_org = $1 AND NOT EXISTS (SELECT 1 FROM bid_openings o WHERE o.round_id = t.round_id) ORDER BY t.round_id")
            .bind(org).fetch_all(&mut *c).await?;
        rows.iter().map(|r| r.try_get("round_id")).collect::<Result<Vec<i64>, sqlx::Error>>()
    })
}
