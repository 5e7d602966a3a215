//! Workflow instances, their append-only history, the definitions they run on, and the
//! idempotency records of commands.

use super::Tx;
use crate::on_tx;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row;
use std::collections::BTreeSet;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InstanceRow {
    pub id: i64,
    pub kind: String,
    pub workflow_key: String,
    pub def_hash: String,
    pub state: String,
    pub version: i64,
    pub entered_at: DateTime<Utc>,
    pub deadline_name: Option<String>,
    pub deadline_due: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct HistoryRow {
    pub id: i64,
    pub instance_id: i64,
    pub version: i64,
    pub at: DateTime<Utc>,
    pub actor_id: i64,
    pub actor_name: String,
    pub role: String,
    pub action: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub comment: Option<String>,
    /// JSON: the action's payload and the guards that passed.
    pub payload: String,
    pub def_hash: String,
}

/// Records a definition's source the first time its content hash is seen.
pub async fn remember_def(
    tx: &mut Tx,
    hash: &str,
    key: &str,
    workflow_source: &str,
    policy_source: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    on_tx!(tx, c => { sqlx::query("INSERT INTO workflow_defs (hash, key, workflow_source, policy_source, first_seen_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (hash) DO NOTHING")
        .bind(hash).bind(key).bind(workflow_source).bind(policy_source).bind(now).execute(&mut *c).await?; });
    Ok(())
}

/// The sources of a definition by hash: (key, workflow text, policy text).
pub async fn def_sources(
    tx: &mut Tx,
    hash: &str,
) -> Result<Option<(String, String, String)>, sqlx::Error> {
    on_tx!(tx, c => {
        match sqlx::query("SELECT key, workflow_source, policy_source FROM workflow_defs WHERE hash = $1").bind(hash).fetch_optional(&mut *c).await? {
            Some(r) => Ok(Some((r.try_get("key")?, r.try_get("workflow_source")?, r.try_get("policy_source")?))),
            None => Ok(None),
        }
    })
}

#[allow(clippy::too_many_arguments)]
pub async fn create(
    tx: &mut Tx,
    kind: &str,
    workflow_key: &str,
    def_hash: &str,
    state: &str,
    deadline: Option<&(String, NaiveDate)>,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    let (dn, dd) = (deadline.map(|d| d.0.clone()), deadline.map(|d| d.1));
    on_tx!(tx, c => sqlx::query("INSERT INTO instances (kind, workflow_key, def_hash, state, version, entered_at, deadline_name, deadline_due, created_at) VALUES ($1, $2, $3, $4, 1, $5, $6, $7, $5) RETURNING id")
        .bind(kind).bind(workflow_key).bind(def_hash).bind(state).bind(now).bind(dn).bind(dd)
        .fetch_one(&mut *c).await?.try_get("id"))
}

pub async fn get(tx: &mut Tx, id: i64) -> Result<Option<InstanceRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, InstanceRow>("SELECT * FROM instances WHERE id = $1").bind(id).fetch_optional(&mut *c).await)
}

/// Moves an instance to a new state if it is still at `expected_version`. Returns false when
/// another command got there first (the caller answers 409).
pub async fn advance(
    tx: &mut Tx,
    id: i64,
    expected_version: i64,
    to: &str,
    entered: bool,
    deadline: Option<&(String, NaiveDate)>,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let (dn, dd) = (deadline.map(|d| d.0.clone()), deadline.map(|d| d.1));
    // A self-loop (same state) keeps its entry time and deadline.
    let r = if entered {
        on_tx!(tx, c => sqlx::query("UPDATE instances SET state = $1, version = version + 1, entered_at = $2, deadline_name = $3, deadline_due = $4 WHERE id = $5 AND version = $6")
            .bind(to).bind(now).bind(dn).bind(dd).bind(id).bind(expected_version).execute(&mut *c).await?.rows_affected())
    } else {
        on_tx!(tx, c => sqlx::query("UPDATE instances SET version = version + 1 WHERE id = $1 AND version = $2")
            .bind(id).bind(expected_version).execute(&mut *c).await?.rows_affected())
    };
    Ok(r == 1)
}

pub struct NewHistory<'a> {
    pub instance_id: i64,
    pub version: i64,
    pub at: DateTime<Utc>,
    pub actor_id: i64,
    pub actor_name: &'a str,
    pub role: &'a str,
    pub action: &'a str,
    pub from_state: Option<&'a str>,
    pub to_state: &'a str,
    pub comment: Option<&'a str>,
    pub payload: &'a serde_json::Value,
    pub def_hash: &'a str,
}

pub async fn append_history(tx: &mut Tx, h: &NewHistory<'_>) -> Result<i64, sqlx::Error> {
    let payload = h.payload.to_string();
    on_tx!(tx, c => sqlx::query("INSERT INTO history (instance_id, version, at, actor_id, actor_name, role, action, from_state, to_state, comment, payload, def_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id")
        .bind(h.instance_id).bind(h.version).bind(h.at).bind(h.actor_id).bind(h.actor_name).bind(h.role).bind(h.action)
        .bind(h.from_state).bind(h.to_state).bind(h.comment).bind(&payload).bind(h.def_hash)
        .fetch_one(&mut *c).await?.try_get("id"))
}

/// An instance and, for a listing, its developer's company (for the scope check), in one query.
pub async fn get_with_org(
    tx: &mut Tx,
    id: i64,
) -> Result<Option<(InstanceRow, Option<String>, BTreeSet<String>)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Joined {
        #[sqlx(flatten)]
        inst: InstanceRow,
        developer_org: Option<String>,
        doc_kinds: Option<String>,
    }
    // The kinds of document the listing holds come in the same round trip: HS-A8's guard reads
    // them on every submission. Kinds are keys of the pack (letters and underscores).
    // Fixed text per backend, built at compile time: this runs on every action.
    macro_rules! q {
        ($agg:literal) => {
            concat!("SELECT i.*, l.developer_org, (SELECT ", $agg, " FROM documents d WHERE d.listing_id = i.id) AS doc_kinds FROM instances i LEFT JOIN listings l ON l.instance_id = i.id WHERE i.id = $1")
        };
    }
    let row = match tx {
        Tx::Sqlite(c) => {
            sqlx::query_as::<_, Joined>(q!("group_concat(DISTINCT d.kind)"))
                .bind(id)
                .fetch_optional(&mut **c)
                .await?
        }
        tx => {
            sqlx::query_as::<_, Joined>(q!("string_agg(DISTINCT d.kind, ',')"))
                .bind(id)
                .fetch_optional(tx.pg())
                .await?
        }
    };
    Ok(row.map(|j| {
        let docs = j
            .doc_kinds
            .as_deref()
            .unwrap_or_default()
            .split(',')
            .filter(|k| !k.is_empty())
            .map(str::to_string)
            .collect();
        (j.inst, j.developer_org, docs)
    }))
}

/// Moves an instance (optimistic version check) and appends its history entry in one round
/// trip: on PostgreSQL a data-modifying CTE, on SQLite two statements sent as one (the entry is
/// inserted only `WHERE changes() = 1`, i.e. when the move matched). No row moved, no entry
/// written. The caller passes the row's new state, entry time and deadline (unchanged ones for a
/// self-loop). `None` when the version was stale.
pub async fn advance_with_history(
    tx: &mut Tx,
    expected_version: i64,
    entered_at: DateTime<Utc>,
    deadline: Option<&(String, NaiveDate)>,
    h: &NewHistory<'_>,
) -> Result<Option<i64>, sqlx::Error> {
    // Fixed text built at compile time (this runs on every action).
    macro_rules! move_sql {
        () => {
            "UPDATE instances SET state = $13, version = version + 1, entered_at = $14, deadline_name = $15, deadline_due = $16 WHERE id = $1 AND version = $17"
        };
    }
    macro_rules! cols {
        () => {
            "INSERT INTO history (instance_id, version, at, actor_id, actor_name, role, action, from_state, to_state, comment, payload, def_hash)"
        };
    }
    let (dn, dd) = (deadline.map(|d| d.0.clone()), deadline.map(|d| d.1));
    let payload = h.payload.to_string();
    macro_rules! run {
        ($sql:expr, $c:expr) => {
            sqlx::query($sql)
                .bind(h.instance_id)
                .bind(h.version)
                .bind(h.at)
                .bind(h.actor_id)
                .bind(h.actor_name)
                .bind(h.role)
                .bind(h.action)
                .bind(h.from_state)
                .bind(h.to_state)
                .bind(h.comment)
                .bind(&payload)
                .bind(h.def_hash)
                .bind(h.to_state)
                .bind(entered_at)
                .bind(&dn)
                .bind(dd)
                .bind(expected_version)
                .fetch_optional($c)
                .await?
                .map(|r| r.try_get::<i64, _>("id"))
                .transpose()?
        };
    }
    let row = match tx {
        Tx::Sqlite(c) => run!(
            concat!(
                move_sql!(),
                "; ",
                cols!(),
                " SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 WHERE changes() = 1 RETURNING id"
            ),
            &mut **c
        ),
        tx => run!(
            concat!(
                "WITH moved AS (",
                move_sql!(),
                " RETURNING id) ",
                cols!(),
                " SELECT moved.id, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 FROM moved RETURNING id"
            ),
            tx.pg()
        ),
    };
    Ok(row)
}

pub async fn history(tx: &mut Tx, instance_id: i64) -> Result<Vec<HistoryRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, HistoryRow>("SELECT * FROM history WHERE instance_id = $1 ORDER BY version").bind(instance_id).fetch_all(&mut *c).await)
}

/// The newest history entry of an instance among the named actions: (action, at).
pub async fn last_of_actions(
    tx: &mut Tx,
    instance_id: i64,
    actions: &[&str],
) -> Result<Option<(String, DateTime<Utc>)>, sqlx::Error> {
    let names: Vec<String> = actions.iter().map(|a| a.to_string()).collect();
    let rows = on_tx!(tx, c => sqlx::query_as::<_, (String, DateTime<Utc>)>("SELECT action, at FROM history WHERE instance_id = $1 ORDER BY version DESC").bind(instance_id).fetch_all(&mut *c).await)?;
    Ok(rows.into_iter().find(|(a, _)| names.contains(a)))
}

/// Instances of a kind in any of `states` (for inboxes).
pub async fn in_states(tx: &mut Tx, kind: &str) -> Result<Vec<InstanceRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, InstanceRow>("SELECT * FROM instances WHERE kind = $1 ORDER BY id").bind(kind).fetch_all(&mut *c).await)
}

/// Instances of a kind, the nearest deadline first (an inbox reads at most `limit`).
pub async fn by_deadline(
    tx: &mut Tx,
    kind: &str,
    limit: i64,
) -> Result<Vec<InstanceRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, InstanceRow>("SELECT * FROM instances WHERE kind = $1 ORDER BY deadline_due IS NULL, deadline_due, id LIMIT $2").bind(kind).bind(limit).fetch_all(&mut *c).await)
}

/// A stored answer to a command sent with an `Idempotency-Key`.
pub struct IdemRecord {
    pub request_hash: String,
    pub status: i64,
    pub body: String,
}

pub async fn idem_get(
    tx: &mut Tx,
    user_id: i64,
    key: &str,
) -> Result<Option<IdemRecord>, sqlx::Error> {
    on_tx!(tx, c => {
        match sqlx::query("SELECT request_hash, status, body FROM idempotency WHERE user_id = $1 AND key = $2").bind(user_id).bind(key).fetch_optional(&mut *c).await? {
            Some(r) => Ok(Some(IdemRecord { request_hash: r.try_get("request_hash")?, status: r.try_get("status")?, body: r.try_get("body")? })),
            None => Ok(None),
        }
    })
}

pub async fn idem_put(
    tx: &mut Tx,
    user_id: i64,
    key: &str,
    rec: &IdemRecord,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    on_tx!(tx, c => { sqlx::query("INSERT INTO idempotency (user_id, key, request_hash, status, body, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(user_id).bind(key).bind(&rec.request_hash).bind(rec.status).bind(&rec.body).bind(now).execute(&mut *c).await?; });
    Ok(())
}
