//! The fund ledger's tables (migrations 0004): accounts, entries chained by hash, lines.
//! Append-only; entries are numbered 1, 2, 3, … under the write lock.

use super::Tx;
use crate::domain::ledger::{Account, EntryKind, Line, Stored};
use crate::on_tx;
use crate::util::{enum_key, parse_enum_key};
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::BTreeMap;

/// Serialises posting: SQLite's `BEGIN IMMEDIATE` already holds the write lock; PostgreSQL takes
/// a transaction-scoped advisory lock, so two posts never compute the same `seq`.
pub async fn lock_for_posting(tx: &mut Tx) -> Result<(), sqlx::Error> {
    match tx {
        Tx::Sqlite(_) => Ok(()),
        Tx::Postgres(c) => {
            sqlx::query("SELECT pg_advisory_xact_lock(7226)")
                .execute(&mut **c)
                .await?;
            Ok(())
        }
        Tx::PgAuto(_) => Err(sqlx::Error::Protocol(
            "posting needs a transaction, not an autocommit connection".into(),
        )),
    }
}

pub async fn insert_account(
    tx: &mut Tx,
    a: &Account,
    by: i64,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let kind = enum_key(&a.kind);
    let source = a.source.map(|s| s.key());
    on_tx!(tx, c => { sqlx::query("INSERT INTO ledger_accounts (name, kind, project, source, label, listing_id, purpose, opened_by, opened_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
        .bind(&a.name).bind(&kind).bind(&a.project).bind(source).bind(&a.label).bind(a.listing_id).bind(&a.purpose).bind(by).bind(now).execute(&mut *c).await?; });
    Ok(())
}

#[derive(sqlx::FromRow)]
struct AccountRow {
    name: String,
    kind: String,
    project: Option<String>,
    source: Option<String>,
    label: String,
    listing_id: Option<i64>,
    purpose: Option<String>,
}

#[derive(sqlx::FromRow)]
struct SeqText {
    seq: i64,
    text: String,
}

#[derive(sqlx::FromRow)]
struct Sum {
    account: String,
    b: i64,
}

#[derive(sqlx::FromRow)]
struct EntryRow {
    seq: i64,
    idem_key: String,
    entry_date: NaiveDate,
    kind: String,
    memo: String,
    approval: Option<String>,
    listing_id: Option<i64>,
    consents: Option<String>,
    posted_by: i64,
    posted_at: DateTime<Utc>,
    prev_hash: String,
    hash: String,
    reverses: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct LineRow {
    seq: i64,
    account: String,
    amount_fen: i64,
    balance_after_fen: i64,
}

/// A line whose stored running balance disagrees with the sum of the lines before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadBalance {
    pub seq: i64,
    pub account: String,
    pub stored_fen: i64,
    pub recomputed_fen: i64,
}

fn decode(e: String) -> sqlx::Error {
    sqlx::Error::Decode(e.into())
}

pub async fn accounts(tx: &mut Tx) -> Result<BTreeMap<String, Account>, sqlx::Error> {
    let rows = on_tx!(tx, c => sqlx::query_as::<_, AccountRow>("SELECT name, kind, project, source, label, listing_id, purpose FROM ledger_accounts ORDER BY name").fetch_all(&mut *c).await)?;
    let mut out = BTreeMap::new();
    for r in rows {
        let a = Account {
            kind: parse_enum_key(&r.kind).map_err(decode)?,
            source: r
                .source
                .as_deref()
                .map(parse_enum_key)
                .transpose()
                .map_err(decode)?,
            name: r.name,
            project: r.project,
            label: r.label,
            listing_id: r.listing_id,
            purpose: r.purpose,
        };
        out.insert(a.name.clone(), a);
    }
    Ok(out)
}

/// The last entry's (seq, hash).
pub async fn head(tx: &mut Tx) -> Result<Option<(i64, String)>, sqlx::Error> {
    let r = on_tx!(tx, c => sqlx::query_as::<_, SeqText>("SELECT seq, hash AS text FROM ledger_entries ORDER BY seq DESC LIMIT 1").fetch_optional(&mut *c).await)?;
    Ok(r.map(|r| (r.seq, r.text)))
}

/// Current balances (fen) of some accounts (the newest line's running balance); absent means zero.
pub async fn balances(
    tx: &mut Tx,
    accounts: &[&str],
) -> Result<BTreeMap<String, i64>, sqlx::Error> {
    let mut out = BTreeMap::new();
    for a in accounts {
        let r = on_tx!(tx, c => sqlx::query_as::<_, Sum>("SELECT account, balance_after_fen AS b FROM ledger_lines WHERE account = $1 ORDER BY seq DESC, line_no DESC LIMIT 1").bind(*a).fetch_optional(&mut *c).await)?;
        out.insert(a.to_string(), r.map(|r| r.b).unwrap_or(0));
    }
    Ok(out)
}

/// Entries in chain order, from `from_seq` on (all when 1).
pub async fn entries(tx: &mut Tx, from_seq: i64) -> Result<Vec<Stored>, sqlx::Error> {
    entries_between(tx, from_seq, i64::MAX).await
}

/// The whole chain, and the first line whose stored running balance disagrees with the sum of
/// the lines before it — both from one read of the lines (`anju ledger verify`).
pub async fn chain_and_first_bad_balance(
    tx: &mut Tx,
) -> Result<(Vec<Stored>, Option<BadBalance>), sqlx::Error> {
    read_chain(tx, 1, i64::MAX, true).await
}

/// One entry, by its place in the chain.
pub async fn entry(tx: &mut Tx, seq: i64) -> Result<Option<Stored>, sqlx::Error> {
    Ok(entries_between(tx, seq, seq).await?.pop())
}

/// The newest `limit` entries of one kind, oldest first (e.g. reallocations for HS-F8).
pub async fn seqs_of_kind(
    tx: &mut Tx,
    kind: EntryKind,
    limit: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    let kind = enum_key(&kind);
    let rows = on_tx!(tx, c => sqlx::query_as::<_, (i64,)>("SELECT seq FROM ledger_entries WHERE kind = $1 ORDER BY seq DESC LIMIT $2").bind(&kind).bind(limit).fetch_all(&mut *c).await)?;
    Ok(rows.into_iter().rev().map(|r| r.0).collect())
}

/// Entries `from_seq..=to_seq` in chain order.
async fn entries_between(
    tx: &mut Tx,
    from_seq: i64,
    to_seq: i64,
) -> Result<Vec<Stored>, sqlx::Error> {
    Ok(read_chain(tx, from_seq, to_seq, false).await?.0)
}

/// Entries `from_seq..=to_seq` in chain order and, when asked (`check_balances`, from the first
/// entry only), the first line whose running balance is wrong.
async fn read_chain(
    tx: &mut Tx,
    from_seq: i64,
    to_seq: i64,
    check_balances: bool,
) -> Result<(Vec<Stored>, Option<BadBalance>), sqlx::Error> {
    let heads = on_tx!(tx, c => sqlx::query_as::<_, EntryRow>("SELECT seq, idem_key, entry_date, kind, memo, approval, listing_id, consents, posted_by, posted_at, prev_hash, hash, reverses FROM ledger_entries WHERE seq >= $1 AND seq <= $2 ORDER BY seq").bind(from_seq).bind(to_seq).fetch_all(&mut *c).await)?;
    let lines = on_tx!(tx, c => sqlx::query_as::<_, LineRow>("SELECT seq, account, amount_fen, balance_after_fen FROM ledger_lines WHERE seq >= $1 AND seq <= $2 ORDER BY seq, line_no").bind(from_seq).bind(to_seq).fetch_all(&mut *c).await)?;
    let mut by_seq: BTreeMap<i64, Vec<Line>> = BTreeMap::new();
    let mut running: BTreeMap<String, i64> = BTreeMap::new();
    let mut bad = None;
    for r in lines {
        if check_balances && from_seq <= 1 && bad.is_none() {
            let b = match running.get_mut(&r.account) {
                Some(b) => b,
                None => running.entry(r.account.clone()).or_insert(0),
            };
            *b += r.amount_fen;
            if *b != r.balance_after_fen {
                bad = Some(BadBalance {
                    seq: r.seq,
                    account: r.account.clone(),
                    stored_fen: r.balance_after_fen,
                    recomputed_fen: *b,
                });
            }
        }
        by_seq.entry(r.seq).or_default().push(Line {
            account: r.account,
            amount_fen: r.amount_fen,
        });
    }
    let mut out = Vec::with_capacity(heads.len());
    for r in heads {
        out.push(Stored {
            seq: r.seq,
            prev_hash: r.prev_hash,
            hash: r.hash,
            key: r.idem_key,
            date: r.entry_date,
            kind: parse_enum_key::<EntryKind>(&r.kind).map_err(decode)?,
            memo: r.memo,
            approval: r.approval,
            listing_id: r.listing_id,
            consents: r
                .consents
                .as_deref()
                .map(serde_json::from_str)
                .transpose()
                .map_err(|e| decode(e.to_string()))?,
            lines: by_seq.remove(&r.seq).unwrap_or_default(),
            posted_by: r.posted_by,
            posted_at: r.posted_at,
            reverses: r.reverses,
        });
    }
    Ok((out, bad))
}

/// Balance of every account with lines, by name: each account's latest running balance (one
/// index seek per account, whatever the ledger's size). `chain_and_first_bad_balance` is the
/// check that these equal the sum of the lines.
pub async fn trial_balance(tx: &mut Tx) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let names = on_tx!(tx, c => sqlx::query_as::<_, (String,)>("SELECT name FROM ledger_accounts ORDER BY name").fetch_all(&mut *c).await)?;
    let mut out = Vec::with_capacity(names.len());
    for (name,) in names {
        let r = on_tx!(tx, c => sqlx::query_as::<_, Sum>("SELECT account, balance_after_fen AS b FROM ledger_lines WHERE account = $1 ORDER BY seq DESC, line_no DESC LIMIT 1").bind(&name).fetch_optional(&mut *c).await)?;
        if let Some(r) = r {
            out.push((r.account, r.b));
        }
    }
    Ok(out)
}
/// HS-F4: a listing's payment schedule as stored (installments as JSON).
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ScheduleRow {
    pub id: i64,
    pub listing_id: i64,
    pub installments: String,
    pub total_fen: i64,
    pub recorded_by: i64,
    pub recorded_at: DateTime<Utc>,
    /// A schedule replacing an earlier one: the leading group's decision and the reason.
    pub decision_id: Option<i64>,
    pub reason: Option<String>,
}

pub async fn insert_schedule(tx: &mut Tx, r: &ScheduleRow) -> Result<(), sqlx::Error> {
    on_tx!(tx, c => { sqlx::query("INSERT INTO payment_schedules (listing_id, installments, total_fen, recorded_by, recorded_at, decision_id, reason) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(r.listing_id).bind(&r.installments).bind(r.total_fen).bind(r.recorded_by).bind(r.recorded_at).bind(r.decision_id).bind(&r.reason).execute(&mut *c).await?; });
    Ok(())
}

/// The newest schedule of a listing.
pub async fn schedule(tx: &mut Tx, listing_id: i64) -> Result<Option<ScheduleRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, ScheduleRow>("SELECT id, listing_id, installments, total_fen, recorded_by, recorded_at, decision_id, reason FROM payment_schedules WHERE listing_id = $1 ORDER BY id DESC LIMIT 1").bind(listing_id).fetch_optional(&mut *c).await)
}

/// HS-F8: a refused posting.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct RefusalRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_id: i64,
    pub entry_key: String,
    pub rule: String,
    pub code: String,
    pub message: String,
    /// The refused entry as it was sent (JSON).
    pub entry: String,
}

pub async fn insert_refusal(tx: &mut Tx, r: &RefusalRow) -> Result<(), sqlx::Error> {
    on_tx!(tx, c => { sqlx::query("INSERT INTO ledger_refusals (at, actor_id, entry_key, rule, code, message, entry) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(r.at).bind(r.actor_id).bind(&r.entry_key).bind(&r.rule).bind(&r.code).bind(&r.message).bind(&r.entry).execute(&mut *c).await?; });
    Ok(())
}

/// The newest `limit` refusals, oldest first.
pub async fn refusals(tx: &mut Tx, limit: i64) -> Result<Vec<RefusalRow>, sqlx::Error> {
    let mut rows = on_tx!(tx, c => sqlx::query_as::<_, RefusalRow>("SELECT * FROM ledger_refusals ORDER BY id DESC LIMIT $1").bind(limit).fetch_all(&mut *c).await)?;
    rows.reverse();
    Ok(rows)
}

#[derive(sqlx::FromRow)]
struct KeyRow {
    seq: i64,
    request_hash: String,
    idem_key: String,
}

/// Entries already posted under any of `keys`: key → (seq, request hash). One query per 500 keys.
pub async fn by_keys(
    tx: &mut Tx,
    keys: &[String],
) -> Result<BTreeMap<String, (i64, String)>, sqlx::Error> {
    let mut out = BTreeMap::new();
    macro_rules! lookup {
        ($c:expr, $db:ty) => {{
            for chunk in keys.chunks(500) {
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "SELECT seq, request_hash, idem_key FROM ledger_entries WHERE idem_key IN (",
                );
                let mut sep = qb.separated(", ");
                for k in chunk {
                    sep.push_bind(k.clone());
                }
                qb.push(")");
                for r in qb.build_query_as::<KeyRow>().fetch_all(&mut **$c).await? {
                    out.insert(r.idem_key, (r.seq, r.request_hash));
                }
            }
        }};
    }
    match tx {
        Tx::Sqlite(c) => lookup!(c, sqlx::Sqlite),
        Tx::Postgres(c) => lookup!(c, sqlx::Postgres),
        Tx::PgAuto(c) => lookup!(c, sqlx::Postgres),
    }
    Ok(out)
}

/// An entry ready to store: the entry, its request hash, each line's running balance, and how
/// many days before its posting day it is dated (0 unless back-dated).
pub type Ready = (Stored, String, Vec<i64>, i64);

/// Stores many entries in a few multi-row statements (500 entries, 1,000 lines each).
pub async fn insert_entries(tx: &mut Tx, items: &[Ready]) -> Result<(), sqlx::Error> {
    let lines: Vec<(i64, i64, String, i64, i64)> = items
        .iter()
        .flat_map(|(e, _, after, _)| {
            e.lines
                .iter()
                .zip(after)
                .enumerate()
                .map(|(i, (l, a))| (e.seq, i as i64 + 1, l.account.clone(), l.amount_fen, *a))
        })
        .collect();
    macro_rules! bulk {
        ($c:expr, $db:ty) => {{
            for chunk in items.chunks(500) {
                let mut qb = sqlx::QueryBuilder::<$db>::new("INSERT INTO ledger_entries (seq, idem_key, request_hash, entry_date, kind, memo, approval, listing_id, consents, posted_by, posted_at, prev_hash, hash, reverses, backdated_days) ");
                qb.push_values(chunk, |mut b, (e, h, _, late)| {
                    b.push_bind(e.seq)
                        .push_bind(e.key.clone())
                        .push_bind(h.clone())
                        .push_bind(e.date)
                        .push_bind(enum_key(&e.kind))
                        .push_bind(e.memo.clone())
                        .push_bind(e.approval.clone())
                        .push_bind(e.listing_id)
                        .push_bind(e.consents.as_ref().map(|c| serde_json::to_string(c).expect("consents serialise")))
                        .push_bind(e.posted_by)
                        .push_bind(e.posted_at)
                        .push_bind(e.prev_hash.clone())
                        .push_bind(e.hash.clone())
                        .push_bind(e.reverses)
                        .push_bind(*late);
                });
                qb.build().execute(&mut **$c).await?;
            }
            for chunk in lines.chunks(1000) {
                let mut qb = sqlx::QueryBuilder::<$db>::new("INSERT INTO ledger_lines (seq, line_no, account, amount_fen, balance_after_fen) ");
                qb.push_values(chunk, |mut b, (seq, n, a, f, after)| {
                    b.push_bind(*seq)
                        .push_bind(*n)
                        .push_bind(a.clone())
                        .push_bind(*f)
                        .push_bind(*after);
                });
                qb.build().execute(&mut **$c).await?;
            }
        }};
    }
    match tx {
        Tx::Sqlite(c) => bulk!(c, sqlx::Sqlite),
        Tx::Postgres(c) => bulk!(c, sqlx::Postgres),
        Tx::PgAuto(_) => {
            return Err(sqlx::Error::Protocol(
                "posting needs a transaction, not an autocommit connection".into(),
            ));
        }
    }
    Ok(())
}

/// HS-F4: a developer's report of its uses of the proceeds, as stored.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ProceedsRow {
    pub id: i64,
    pub listing_id: i64,
    pub period_end: NaiveDate,
    /// JSON of `domain::ledger::ProceedsReport`.
    pub report: String,
    /// JSON of the `PriorityFlag`s raised.
    pub flags: String,
    pub reported_by: i64,
    pub reported_at: DateTime<Utc>,
}

pub async fn insert_proceeds(tx: &mut Tx, r: &ProceedsRow) -> Result<i64, sqlx::Error> {
    let row = on_tx!(tx, c => sqlx::query_as::<_, (i64,)>("INSERT INTO proceeds_reports (listing_id, period_end, report, flags, reported_by, reported_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
        .bind(r.listing_id).bind(r.period_end).bind(&r.report).bind(&r.flags).bind(r.reported_by).bind(r.reported_at).fetch_one(&mut *c).await)?;
    Ok(row.0)
}

pub async fn proceeds_reports(tx: &mut Tx) -> Result<Vec<ProceedsRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, ProceedsRow>("SELECT * FROM proceeds_reports ORDER BY id").fetch_all(&mut *c).await)
}

/// Σ of every account's lines (the journal's own totals, a full scan): the control side of 账账相符.
pub async fn journal_totals(tx: &mut Tx) -> Result<BTreeMap<String, i64>, sqlx::Error> {
    let rows = on_tx!(tx, c => sqlx::query_as::<_, Sum>("SELECT account, CAST(SUM(amount_fen) AS BIGINT) AS b FROM ledger_lines GROUP BY account").fetch_all(&mut *c).await)?;
    Ok(rows.into_iter().map(|r| (r.account, r.b)).collect())
}

/// Entries after `after_seq`, at most `limit` of them, in chain order (one page).
pub async fn entries_page(
    tx: &mut Tx,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<Stored>, sqlx::Error> {
    entries_between(
        tx,
        after_seq.saturating_add(1),
        after_seq.saturating_add(limit),
    )
    .await
}

/// The newest entries, at most `limit`, in chain order.
pub async fn last_entries(tx: &mut Tx, limit: i64) -> Result<Vec<Stored>, sqlx::Error> {
    let head = head(tx).await?.map_or(0, |(s, _)| s);
    entries_between(tx, (head - limit + 1).max(1), head).await
}

/// HS-F4: every line on a listing's escrow accounts with its entry's kind (what was paid in).
pub async fn escrow_lines(
    tx: &mut Tx,
    listing_id: i64,
) -> Result<Vec<(EntryKind, i64)>, sqlx::Error> {
    let rows = on_tx!(tx, c => sqlx::query_as::<_, (String, i64)>("SELECT e.kind, l.amount_fen FROM ledger_accounts a JOIN ledger_lines l ON l.account = a.name JOIN ledger_entries e ON e.seq = l.seq WHERE a.kind = 'escrow' AND a.listing_id = $1 ORDER BY l.seq, l.line_no").bind(listing_id).fetch_all(&mut *c).await)?;
    rows.into_iter()
        .map(|(k, f)| Ok((parse_enum_key::<EntryKind>(&k).map_err(decode)?, f)))
        .collect()
}

/// HS-F8: a late booking — an entry dated before the day it was posted.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct LateBooking {
    pub seq: i64,
    pub entry_key: String,
    pub entry_date: NaiveDate,
    pub posted_at: DateTime<Utc>,
    pub backdated_days: i64,
}

/// The newest late bookings, at most `limit`.
pub async fn late_bookings(tx: &mut Tx, limit: i64) -> Result<Vec<LateBooking>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, LateBooking>("SELECT seq, idem_key AS entry_key, entry_date, posted_at, backdated_days FROM ledger_entries WHERE backdated_days > 0 ORDER BY seq DESC LIMIT $1").bind(limit).fetch_all(&mut *c).await)
}

/// The entry reversing `seq`, if one was posted.
pub async fn reversal_of(tx: &mut Tx, seq: i64) -> Result<Option<i64>, sqlx::Error> {
    let r = on_tx!(tx, c => sqlx::query_as::<_, (i64,)>("SELECT seq FROM ledger_entries WHERE reverses = $1").bind(seq).fetch_optional(&mut *c).await)?;
    Ok(r.map(|r| r.0))
}

/// A recorded decision of the leading group (会议纪要、批复).
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct DecisionRow {
    pub id: i64,
    /// Its document number (文号), as cited.
    pub number: String,
    pub decided_on: NaiveDate,
    pub subject: String,
    pub recorded_by: i64,
    pub recorded_at: DateTime<Utc>,
}

pub async fn insert_decision(tx: &mut Tx, d: &DecisionRow) -> Result<i64, sqlx::Error> {
    let r = on_tx!(tx, c => sqlx::query_as::<_, (i64,)>("INSERT INTO lg_decisions (number, decided_on, subject, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
        .bind(&d.number).bind(d.decided_on).bind(&d.subject).bind(d.recorded_by).bind(d.recorded_at).fetch_one(&mut *c).await)?;
    Ok(r.0)
}

pub async fn decision_by_number(
    tx: &mut Tx,
    number: &str,
) -> Result<Option<DecisionRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, DecisionRow>("SELECT id, number, decided_on, subject, recorded_by, recorded_at FROM lg_decisions WHERE number = $1").bind(number).fetch_optional(&mut *c).await)
}

/// The newest decisions, at most `limit`.
pub async fn decisions(tx: &mut Tx, limit: i64) -> Result<Vec<DecisionRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, DecisionRow>("SELECT id, number, decided_on, subject, recorded_by, recorded_at FROM lg_decisions ORDER BY id DESC LIMIT $1").bind(limit).fetch_all(&mut *c).await)
}

/// The newest passed full verification: (seq, hash).
pub async fn last_verification(tx: &mut Tx) -> Result<Option<(i64, String)>, sqlx::Error> {
    let r = on_tx!(tx, c => sqlx::query_as::<_, SeqText>("SELECT seq, hash AS text FROM ledger_verifications ORDER BY id DESC LIMIT 1").fetch_optional(&mut *c).await)?;
    Ok(r.map(|r| (r.seq, r.text)))
}

pub async fn insert_verification(
    tx: &mut Tx,
    seq: i64,
    hash: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    on_tx!(tx, c => { sqlx::query("INSERT INTO ledger_verifications (seq, hash, verified_at) VALUES ($1, $2, $3)").bind(seq).bind(hash).bind(at).execute(&mut *c).await?; });
    Ok(())
}

/// Each account's balance after entry `seq` (its newest line at or before it): where an
/// incremental verification starts.
pub async fn balances_at(tx: &mut Tx, seq: i64) -> Result<BTreeMap<String, i64>, sqlx::Error> {
    let names = on_tx!(tx, c => sqlx::query_as::<_, (String,)>("SELECT name FROM ledger_accounts ORDER BY name").fetch_all(&mut *c).await)?;
    let mut out = BTreeMap::new();
    for (name,) in names {
        let r = on_tx!(tx, c => sqlx::query_as::<_, Sum>("SELECT account, balance_after_fen AS b FROM ledger_lines WHERE account = $1 AND seq <= $2 ORDER BY seq DESC, line_no DESC LIMIT 1").bind(&name).bind(seq).fetch_optional(&mut *c).await)?;
        if let Some(r) = r {
            out.insert(r.account, r.b);
        }
    }
    Ok(out)
}

/// Entries `from_seq..` in chain order and the first line after `from_seq - 1` whose stored
/// running balance disagrees with `start` plus the lines since (an incremental verification).
pub async fn chain_since(
    tx: &mut Tx,
    from_seq: i64,
    start: BTreeMap<String, i64>,
) -> Result<(Vec<Stored>, Option<BadBalance>), sqlx::Error> {
    let (entries, _) = read_chain(tx, from_seq, i64::MAX, false).await?;
    let lines = on_tx!(tx, c => sqlx::query_as::<_, LineRow>("SELECT seq, account, amount_fen, balance_after_fen FROM ledger_lines WHERE seq >= $1 ORDER BY seq, line_no").bind(from_seq).fetch_all(&mut *c).await)?;
    let mut running = start;
    for r in lines {
        let b = running.entry(r.account.clone()).or_insert(0);
        *b += r.amount_fen;
        if *b != r.balance_after_fen {
            return Ok((
                entries,
                Some(BadBalance {
                    seq: r.seq,
                    account: r.account,
                    stored_fen: r.balance_after_fen,
                    recomputed_fen: *b,
                }),
            ));
        }
    }
    Ok((entries, None))
}

/// HS-F8: schedules that replaced an earlier one, newest first, at most `limit`.
pub async fn schedule_changes(tx: &mut Tx, limit: i64) -> Result<Vec<ScheduleRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, ScheduleRow>("SELECT id, listing_id, installments, total_fen, recorded_by, recorded_at, decision_id, reason FROM payment_schedules s WHERE EXISTS (SELECT 1 FROM payment_schedules p WHERE p.listing_id = s.listing_id AND p.id < s.id) ORDER BY id DESC LIMIT $1").bind(limit).fetch_all(&mut *c).await)
}
