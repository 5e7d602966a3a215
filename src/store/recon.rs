//! HS-F7 reconciliation tables (migration 0005): statements, their lines, matches and unmatches.

use super::Tx;
use crate::domain::recon::{BankItem, BookItem};
use crate::on_tx;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row;

/// Whether the account already has this statement: the same file, or the same content.
pub async fn statement_exists(
    tx: &mut Tx,
    account: &str,
    sha: &str,
    content: &str,
) -> Result<bool, sqlx::Error> {
    let n: i64 = on_tx!(tx, c => sqlx::query("SELECT COUNT(*) AS n FROM bank_statements WHERE account = $1 AND (file_sha256 = $2 OR content_sha256 = $3)").bind(account).bind(sha).bind(content).fetch_one(&mut *c).await?.try_get("n"))?;
    Ok(n > 0)
}

/// The date of a statement line of the account within `first..=last`, if any.
pub async fn line_between(
    tx: &mut Tx,
    account: &str,
    first: NaiveDate,
    last: NaiveDate,
) -> Result<Option<NaiveDate>, sqlx::Error> {
    let r = on_tx!(tx, c => sqlx::query_as::<_, (NaiveDate,)>("SELECT l.line_date FROM statement_lines l JOIN bank_statements s ON s.id = l.statement_id WHERE s.account = $1 AND l.line_date >= $2 AND l.line_date <= $3 ORDER BY l.line_date LIMIT 1").bind(account).bind(first).bind(last).fetch_optional(&mut *c).await)?;
    Ok(r.map(|r| r.0))
}

pub async fn insert_statement(
    tx: &mut Tx,
    account: &str,
    sha: &str,
    content: &str,
    by: i64,
    at: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    on_tx!(tx, c => sqlx::query("INSERT INTO bank_statements (account, file_sha256, content_sha256, imported_by, imported_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
        .bind(account).bind(sha).bind(content).bind(by).bind(at).fetch_one(&mut *c).await?.try_get("id"))
}

/// An imported statement, summed up.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct StatementRow {
    pub id: i64,
    pub account: String,
    pub imported_by: i64,
    pub imported_at: DateTime<Utc>,
    pub lines: i64,
    pub first_date: Option<NaiveDate>,
    pub last_date: Option<NaiveDate>,
    /// Σ of its lines, fen.
    pub net_fen: i64,
}

/// The account's statements, newest first, at most `limit`.
pub async fn statements(
    tx: &mut Tx,
    account: &str,
    limit: i64,
) -> Result<Vec<StatementRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, StatementRow>("SELECT s.id, s.account, s.imported_by, s.imported_at, CAST(COUNT(l.id) AS BIGINT) AS lines, MIN(l.line_date) AS first_date, MAX(l.line_date) AS last_date, CAST(COALESCE(SUM(l.amount_fen), 0) AS BIGINT) AS net_fen FROM bank_statements s LEFT JOIN statement_lines l ON l.statement_id = s.id WHERE s.account = $1 GROUP BY s.id, s.account, s.imported_by, s.imported_at ORDER BY s.id DESC LIMIT $2").bind(account).bind(limit).fetch_all(&mut *c).await)
}

/// A statement line as imported.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct StatementLineRow {
    pub id: i64,
    pub statement_id: i64,
    pub row_no: i64,
    pub line_date: NaiveDate,
    pub amount_fen: i64,
    pub reference: String,
    pub memo: String,
}

pub async fn statement_lines(
    tx: &mut Tx,
    statement_id: i64,
) -> Result<Vec<StatementLineRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, StatementLineRow>("SELECT id, statement_id, row_no, line_date, amount_fen, reference, memo FROM statement_lines WHERE statement_id = $1 ORDER BY row_no").bind(statement_id).fetch_all(&mut *c).await)
}

/// The finance bureau's check of a reconciliation (HS-F7).
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ReconCheckRow {
    pub id: i64,
    pub account: String,
    pub upto: NaiveDate,
    pub book_fen: i64,
    pub bank_fen: i64,
    /// Book equals bank with nothing unmatched when it was checked.
    pub agrees: bool,
    pub note: String,
    pub checked_by: i64,
    pub checked_at: DateTime<Utc>,
}

pub async fn insert_check(tx: &mut Tx, r: &ReconCheckRow) -> Result<i64, sqlx::Error> {
    on_tx!(tx, c => sqlx::query("INSERT INTO recon_checks (account, upto, book_fen, bank_fen, agrees, note, checked_by, checked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
        .bind(&r.account).bind(r.upto).bind(r.book_fen).bind(r.bank_fen).bind(r.agrees).bind(&r.note).bind(r.checked_by).bind(r.checked_at).fetch_one(&mut *c).await?.try_get("id"))
}

/// An account's checks, newest first, at most `limit`.
pub async fn checks(
    tx: &mut Tx,
    account: &str,
    limit: i64,
) -> Result<Vec<ReconCheckRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, ReconCheckRow>("SELECT id, account, upto, book_fen, bank_fen, agrees, note, checked_by, checked_at FROM recon_checks WHERE account = $1 ORDER BY id DESC LIMIT $2").bind(account).bind(limit).fetch_all(&mut *c).await)
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_statement_line(
    tx: &mut Tx,
    statement_id: i64,
    row_no: i64,
    date: NaiveDate,
    amount_fen: i64,
    reference: &str,
    memo: &str,
) -> Result<(), sqlx::Error> {
    on_tx!(tx, c => { sqlx::query("INSERT INTO statement_lines (statement_id, row_no, line_date, amount_fen, reference, memo) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(statement_id).bind(row_no).bind(date).bind(amount_fen).bind(reference).bind(memo).execute(&mut *c).await?; });
    Ok(())
}

#[derive(sqlx::FromRow)]
struct BankRow {
    id: i64,
    line_date: NaiveDate,
    amount_fen: i64,
    reference: String,
}

#[derive(sqlx::FromRow)]
struct BookRow {
    seq: i64,
    line_no: i64,
    entry_date: NaiveDate,
    amount_fen: i64,
    idem_key: String,
}

const ACTIVE: &str = "SELECT i.statement_line_id, i.ledger_seq, i.ledger_line_no FROM recon_match_items i JOIN recon_matches m ON m.id = i.match_id WHERE m.account = $1 AND NOT EXISTS (SELECT 1 FROM recon_unmatches u WHERE u.match_id = m.id)";

/// Statement lines of the account not in an active match (`upto`: on or before that date).
pub async fn unmatched_bank(
    tx: &mut Tx,
    account: &str,
    upto: Option<NaiveDate>,
) -> Result<Vec<BankItem>, sqlx::Error> {
    let sql = format!(
        "SELECT l.id, l.line_date, l.amount_fen, l.reference FROM statement_lines l JOIN bank_statements s ON s.id = l.statement_id WHERE s.account = $1 AND ($2 IS NULL OR l.line_date <= $2) AND l.id NOT IN (SELECT a.statement_line_id FROM ({ACTIVE}) a WHERE a.statement_line_id IS NOT NULL) ORDER BY l.line_date, l.id"
    );
    let rows = on_tx!(tx, c => sqlx::query_as::<_, BankRow>(sqlx::AssertSqlSafe(sql)).bind(account).bind(upto).fetch_all(&mut *c).await)?;
    Ok(rows
        .into_iter()
        .map(|r| BankItem {
            id: r.id,
            date: r.line_date,
            amount_fen: r.amount_fen,
            reference: r.reference,
        })
        .collect())
}

/// Book lines of the account not in an active match (`upto`: entries dated on or before).
pub async fn unmatched_book(
    tx: &mut Tx,
    account: &str,
    upto: Option<NaiveDate>,
) -> Result<Vec<BookItem>, sqlx::Error> {
    let sql = format!(
        "SELECT l.seq, l.line_no, e.entry_date, l.amount_fen, e.idem_key FROM ledger_lines l JOIN ledger_entries e ON e.seq = l.seq WHERE l.account = $1 AND ($2 IS NULL OR e.entry_date <= $2) AND NOT EXISTS (SELECT 1 FROM ({ACTIVE}) a WHERE a.ledger_seq = l.seq AND a.ledger_line_no = l.line_no) ORDER BY e.entry_date, l.seq, l.line_no"
    );
    let rows = on_tx!(tx, c => sqlx::query_as::<_, BookRow>(sqlx::AssertSqlSafe(sql)).bind(account).bind(upto).fetch_all(&mut *c).await)?;
    Ok(rows
        .into_iter()
        .map(|r| BookItem {
            id: (r.seq, r.line_no),
            date: r.entry_date,
            amount_fen: r.amount_fen,
            key: r.idem_key,
        })
        .collect())
}

/// Σ of the account's statement lines dated on or before `upto`.
pub async fn bank_balance(tx: &mut Tx, account: &str, upto: NaiveDate) -> Result<i64, sqlx::Error> {
    on_tx!(tx, c => sqlx::query("SELECT CAST(COALESCE(SUM(l.amount_fen), 0) AS BIGINT) AS b FROM statement_lines l JOIN bank_statements s ON s.id = l.statement_id WHERE s.account = $1 AND l.line_date <= $2")
        .bind(account).bind(upto).fetch_one(&mut *c).await?.try_get("b"))
}

/// Σ of the account's book lines in entries dated on or before `upto`.
pub async fn book_balance(tx: &mut Tx, account: &str, upto: NaiveDate) -> Result<i64, sqlx::Error> {
    on_tx!(tx, c => sqlx::query("SELECT CAST(COALESCE(SUM(l.amount_fen), 0) AS BIGINT) AS b FROM ledger_lines l JOIN ledger_entries e ON e.seq = l.seq WHERE l.account = $1 AND e.entry_date <= $2")
        .bind(account).bind(upto).fetch_one(&mut *c).await?.try_get("b"))
}

pub async fn insert_match(
    tx: &mut Tx,
    account: &str,
    rule: &str,
    score: i64,
    note: Option<&str>,
    by: i64,
    at: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    on_tx!(tx, c => sqlx::query("INSERT INTO recon_matches (account, rule, score, note, matched_by, matched_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
        .bind(account).bind(rule).bind(score).bind(note).bind(by).bind(at).fetch_one(&mut *c).await?.try_get("id"))
}

pub async fn insert_match_bank(tx: &mut Tx, match_id: i64, line: i64) -> Result<(), sqlx::Error> {
    on_tx!(tx, c => { sqlx::query("INSERT INTO recon_match_items (match_id, statement_line_id) VALUES ($1, $2)").bind(match_id).bind(line).execute(&mut *c).await?; });
    Ok(())
}

pub async fn insert_match_book(
    tx: &mut Tx,
    match_id: i64,
    seq: i64,
    line_no: i64,
) -> Result<(), sqlx::Error> {
    on_tx!(tx, c => { sqlx::query("INSERT INTO recon_match_items (match_id, ledger_seq, ledger_line_no) VALUES ($1, $2, $3)").bind(match_id).bind(seq).bind(line_no).execute(&mut *c).await?; });
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct MatchRow {
    pub id: i64,
    pub account: String,
    pub rule: String,
    pub score: i64,
    pub note: Option<String>,
    pub matched_by: i64,
    pub matched_at: DateTime<Utc>,
    pub unmatched_reason: Option<String>,
    pub unmatched_at: Option<DateTime<Utc>>,
}

/// Every match of an account, with its unmatch if any (the history).
pub async fn matches(tx: &mut Tx, account: &str) -> Result<Vec<MatchRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, MatchRow>("SELECT m.id, m.account, m.rule, m.score, m.note, m.matched_by, m.matched_at, u.reason AS unmatched_reason, u.unmatched_at FROM recon_matches m LEFT JOIN recon_unmatches u ON u.match_id = m.id WHERE m.account = $1 ORDER BY m.id")
        .bind(account).fetch_all(&mut *c).await)
}

pub async fn match_by_id(tx: &mut Tx, id: i64) -> Result<Option<MatchRow>, sqlx::Error> {
    on_tx!(tx, c => sqlx::query_as::<_, MatchRow>("SELECT m.id, m.account, m.rule, m.score, m.note, m.matched_by, m.matched_at, u.reason AS unmatched_reason, u.unmatched_at FROM recon_matches m LEFT JOIN recon_unmatches u ON u.match_id = m.id WHERE m.id = $1")
        .bind(id).fetch_optional(&mut *c).await)
}

pub async fn unmatch(
    tx: &mut Tx,
    id: i64,
    reason: &str,
    by: i64,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    on_tx!(tx, c => { sqlx::query("INSERT INTO recon_unmatches (match_id, reason, unmatched_by, unmatched_at) VALUES ($1, $2, $3, $4)").bind(id).bind(reason).bind(by).bind(at).execute(&mut *c).await?; });
    Ok(())
}

/// The newest statement line's date of every account that has statements.
pub async fn last_statement_dates(
    tx: &mut Tx,
) -> Result<std::collections::BTreeMap<String, NaiveDate>, sqlx::Error> {
    let rows = on_tx!(tx, c => sqlx::query_as::<_, (String, NaiveDate)>("SELECT s.account, MAX(l.line_date) FROM statement_lines l JOIN bank_statements s ON s.id = l.statement_id GROUP BY s.account").fetch_all(&mut *c).await)?;
    Ok(rows.into_iter().collect())
}
