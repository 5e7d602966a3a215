//! Users and their bearer tokens. Only the SHA-256 of a token is stored.

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

/// A new random token: `anju_` and 32 random bytes in hex.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system has a random source");
    format!("anju_{}", hex::encode(bytes))
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

pub async fn insert(
    tx: &mut Tx,
    name: &str,
    role: Role,
    org: Option<&str>,
    token: &str,
    now: DateTime<Utc>,
) -> Result<User, sqlx::Error> {
    let hash = hash_token(token);
    let id: i64 = on_tx!(tx, c => sqlx::query("INSERT INTO users (name, role, org, token_hash, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
        .bind(name).bind(role.key()).bind(org).bind(&hash).bind(now)
        .fetch_one(&mut *c).await?.try_get("id")?);
    Ok(User {
        id,
        name: name.to_string(),
        role,
        org: org.map(str::to_string),
    })
}

pub async fn by_token(tx: &mut Tx, token: &str) -> Result<Option<User>, sqlx::Error> {
    let hash = hash_token(token);
    let row = on_tx!(tx, c => {
        let r = sqlx::query("SELECT id, name, role, org FROM users WHERE token_hash = $1").bind(&hash).fetch_optional(&mut *c).await?;
        match r { Some(r) => Some((r.try_get("id")?, r.try_get("name")?, r.try_get("role")?, r.try_get("org")?)), None => None }
    });
    row.map(|(id, name, role, org)| user_of(id, name, role, org))
        .transpose()
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
