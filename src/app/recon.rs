//! HS-F7 reconciliation: bank statements imported all-or-nothing, matched to the book
//! automatically (each match with its rule and score) or by hand, unmatched with a reason, and
//! the 账实相符 report per account and date. Nothing is matched twice: every command re-reads the
//! unmatched items under the ledger's posting lock.
//!
//! Who does and who checks (HS-F7: the operating unit reconciles, the finance bureau checks):
//! the acquiring company imports statements, matches and undoes its matches; the finance bureau
//! reads every statement, match and reconciliation, undoes a match it finds wrong (with its
//! reason) and records its check of an account's reconciliation on a date; neither does the
//! other's part, and the administrator does neither.

use super::flow::require_role;
use super::{App, AppError};
use crate::domain::ledger::AccountKind;
use crate::domain::recon::{self, BankItem, BookItem};
use crate::domain::role::Role;
use crate::domain::units::Yuan;
use crate::store::ledger as ledger_db;
use crate::store::recon as db;
use crate::store::recon::MatchRow;
use crate::store::users::User;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Days a statement line and a book line may lie apart and still match automatically.
pub const WINDOW_DAYS: i64 = 3;

/// The most lines one statement imports (issue 15: one import holds the ledger's writer).
pub const MAX_STATEMENT_LINES: usize = 20_000;

/// The operating unit does the reconciliation (HS-F7).
const DOERS: &[Role] = &[Role::Acquirer];
/// The finance bureau checks it.
const CHECKERS: &[Role] = &[Role::FinanceBureau];

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StatementImported {
    pub statement_id: i64,
    pub account: String,
    pub lines: usize,
    pub net: Yuan,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BookRefInput {
    pub seq: i64,
    pub line_no: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ManualMatch {
    pub statement_line_ids: Vec<i64>,
    pub book: Vec<BookRefInput>,
    pub note: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Unmatch {
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BankItemView {
    pub id: i64,
    pub date: NaiveDate,
    pub amount: Yuan,
    pub reference: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BookItemView {
    pub seq: i64,
    pub line_no: i64,
    pub date: NaiveDate,
    pub amount: Yuan,
    pub key: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReconReport {
    pub account: String,
    pub upto: NaiveDate,
    pub book_balance: Yuan,
    pub bank_balance: Yuan,
    /// In the book, not yet on the statement.
    pub unmatched_book: Vec<BookItemView>,
    /// On the statement, not yet in the book.
    pub unmatched_bank: Vec<BankItemView>,
    /// Book − unmatched book items, and bank − unmatched bank items: equal when 账实相符.
    pub adjusted_book: Yuan,
    pub adjusted_bank: Yuan,
    /// The adjusted balances agree (the reconciliation ties out).
    pub agrees: bool,
    /// Book equals bank with nothing left unmatched on either side (账实相符).
    pub fully_reconciled: bool,
}

fn bank_view(b: &BankItem) -> BankItemView {
    BankItemView {
        id: b.id,
        date: b.date,
        amount: Yuan::from_fen(b.amount_fen),
        reference: b.reference.clone(),
    }
}
fn book_view(b: &BookItem) -> BookItemView {
    BookItemView {
        seq: b.id.0,
        line_no: b.id.1,
        date: b.date,
        amount: Yuan::from_fen(b.amount_fen),
        key: b.key.clone(),
    }
}

impl App {
    async fn recon_account(
        &self,
        tx: &mut crate::store::Tx,
        account: &str,
    ) -> Result<(), AppError> {
        let accounts = ledger_db::accounts(tx).await?;
        match accounts.get(account) {
            Some(a) if matches!(a.kind, AccountKind::Bank | AccountKind::Fund) => Ok(()),
            Some(a) => Err(AppError::invalid(
                "account",
                format!(
                    "{account} is a {:?} account; statements belong to bank and fund accounts",
                    a.kind
                ),
            )),
            None => Err(AppError::invalid(
                "account",
                format!("unknown account {account:?}"),
            )),
        }
    }

    /// Whether `actor` may import a statement for `account`: checked before a byte of the file
    /// is read, and again in the import's transaction.
    pub async fn admit_statement(&self, actor: &User, account: &str) -> Result<(), AppError> {
        require_role(actor, DOERS, "import a bank statement")?;
        let mut tx = self.store.read().await?;
        self.recon_account(&mut tx, account).await
    }

    /// Imports a statement (xlsx or csv) for an account: every row checked, nothing kept unless
    /// all are right. A statement is known by its content — account, and each line's date,
    /// amount and reference in order — so the same statement twice is refused whatever its
    /// file's bytes (line endings, xlsx or csv), and so is one whose period overlaps a
    /// statement already imported for the account (its lines would count twice).
    pub async fn import_statement(
        &self,
        actor: &User,
        account: &str,
        bytes: Vec<u8>,
    ) -> Result<StatementImported, AppError> {
        self.admit_statement(actor, account).await?;
        let (rows, bytes) = self
            .parse(move || (crate::excel::statement::parse_statement(&bytes), bytes))
            .await?;
        let rows = rows.map_err(AppError::Workbook)?;
        if rows.len() > MAX_STATEMENT_LINES {
            return Err(AppError::invalid(
                "statement",
                format!(
                    "at most {MAX_STATEMENT_LINES} lines per statement, got {}; split it by period",
                    rows.len()
                ),
            ));
        }
        let sha = hex::encode(Sha256::digest(&bytes));
        let mut content = Sha256::new();
        content.update(account.as_bytes());
        for r in &rows {
            content.update(format!("\n{}\t{}\t{}", r.date, r.amount_fen, r.reference).as_bytes());
        }
        let content = hex::encode(content.finalize());
        let mut tx = self.store.begin().await?;
        ledger_db::lock_for_posting(&mut tx).await?;
        self.recon_account(&mut tx, account).await?;
        if db::statement_exists(&mut tx, account, &sha, &content).await? {
            return Err(AppError::Conflict {
                code: "duplicate_statement",
                message: format!("this statement was already imported for {account}"),
            });
        }
        if let (Some(first), Some(last)) = (
            rows.iter().map(|r| r.date).min(),
            rows.iter().map(|r| r.date).max(),
        ) && let Some(d) = db::line_between(&mut tx, account, first, last).await?
        {
            return Err(AppError::Conflict {
                code: "overlapping_statement",
                message: format!(
                    "{account} already has a statement line dated {d}, inside this statement's period {first} to {last}; import only the days not yet imported"
                ),
            });
        }
        let id =
            db::insert_statement(&mut tx, account, &sha, &content, actor.id, self.now()).await?;
        let mut net = 0i64;
        for r in &rows {
            db::insert_statement_line(
                &mut tx,
                id,
                i64::from(r.row),
                r.date,
                r.amount_fen,
                &r.reference,
                &r.memo,
            )
            .await?;
            net += r.amount_fen;
        }
        tx.commit().await?;
        Ok(StatementImported {
            statement_id: id,
            account: account.to_string(),
            lines: rows.len(),
            net: Yuan::from_fen(net),
        })
    }

    /// Matches what the rules can match; returns the new matches.
    pub async fn auto_reconcile(
        &self,
        actor: &User,
        account: &str,
    ) -> Result<Vec<MatchRow>, AppError> {
        require_role(actor, DOERS, "reconcile")?;
        let mut tx = self.store.begin().await?;
        ledger_db::lock_for_posting(&mut tx).await?;
        self.recon_account(&mut tx, account).await?;
        let bank = db::unmatched_bank(&mut tx, account, None).await?;
        let book = db::unmatched_book(&mut tx, account, None).await?;
        let now = self.now();
        let mut ids = Vec::new();
        for p in recon::auto_match(&bank, &book, WINDOW_DAYS) {
            let id =
                db::insert_match(&mut tx, account, p.rule, p.score, None, actor.id, now).await?;
            for b in &p.bank {
                db::insert_match_bank(&mut tx, id, *b).await?;
            }
            for (seq, line) in &p.book {
                db::insert_match_book(&mut tx, id, *seq, *line).await?;
            }
            ids.push(id);
        }
        let all = db::matches(&mut tx, account).await?;
        tx.commit().await?;
        Ok(all.into_iter().filter(|m| ids.contains(&m.id)).collect())
    }

    /// A person's match: the items must be unmatched, of this account, and sum alike.
    pub async fn manual_match(
        &self,
        actor: &User,
        account: &str,
        m: ManualMatch,
    ) -> Result<MatchRow, AppError> {
        require_role(actor, DOERS, "reconcile")?;
        if m.statement_line_ids.len() > MAX_STATEMENT_LINES || m.book.len() > MAX_STATEMENT_LINES {
            return Err(AppError::invalid(
                "book",
                format!("a match joins at most {MAX_STATEMENT_LINES} lines on each side"),
            ));
        }
        super::flow::many_lines("note", &m.note, crate::domain::text::NOTE_MAX)?;
        if m.statement_line_ids.is_empty() || m.book.is_empty() {
            return Err(AppError::invalid(
                "book",
                "a match joins at least one statement line and one book line",
            ));
        }
        if m.note.trim().is_empty() {
            return Err(AppError::invalid("note", "say why these belong together"));
        }
        let mut tx = self.store.begin().await?;
        ledger_db::lock_for_posting(&mut tx).await?;
        self.recon_account(&mut tx, account).await?;
        let bank = db::unmatched_bank(&mut tx, account, None).await?;
        let book = db::unmatched_book(&mut tx, account, None).await?;
        let mut bank_sum = 0i64;
        for id in &m.statement_line_ids {
            let b = bank
                .iter()
                .find(|b| b.id == *id)
                .ok_or_else(|| AppError::Conflict {
                    code: "already_matched",
                    message: format!("statement line {id} is not an unmatched line of {account}"),
                })?;
            bank_sum += b.amount_fen;
        }
        let mut book_sum = 0i64;
        for r in &m.book {
            let k = book
                .iter()
                .find(|k| k.id == (r.seq, r.line_no))
                .ok_or_else(|| AppError::Conflict {
                    code: "already_matched",
                    message: format!(
                        "book line {}/{} is not an unmatched line of {account}",
                        r.seq, r.line_no
                    ),
                })?;
            book_sum += k.amount_fen;
        }
        if bank_sum != book_sum {
            return Err(AppError::invalid(
                "book",
                format!(
                    "the statement lines sum to {} yuan and the book lines to {}",
                    Yuan::from_fen(bank_sum),
                    Yuan::from_fen(book_sum)
                ),
            ));
        }
        let id = db::insert_match(
            &mut tx,
            account,
            "manual",
            100,
            Some(&m.note),
            actor.id,
            self.now(),
        )
        .await?;
        for b in &m.statement_line_ids {
            db::insert_match_bank(&mut tx, id, *b).await?;
        }
        for r in &m.book {
            db::insert_match_book(&mut tx, id, r.seq, r.line_no).await?;
        }
        let row = db::match_by_id(&mut tx, id)
            .await?
            .ok_or_else(|| AppError::Internal("match vanished".into()))?;
        tx.commit().await?;
        Ok(row)
    }

    pub async fn unmatch(
        &self,
        actor: &User,
        match_id: i64,
        u: Unmatch,
    ) -> Result<MatchRow, AppError> {
        // The doer undoes its own mistake; the checker undoes a match it finds wrong.
        require_role(
            actor,
            &[DOERS, CHECKERS].concat(),
            "undo a reconciliation match",
        )?;
        if u.reason.trim().is_empty() {
            return Err(AppError::invalid("reason", "say why the match is undone"));
        }
        super::flow::many_lines("reason", &u.reason, crate::domain::text::NOTE_MAX)?;
        let mut tx = self.store.begin().await?;
        ledger_db::lock_for_posting(&mut tx).await?;
        let m = db::match_by_id(&mut tx, match_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("match {match_id}")))?;
        if m.unmatched_at.is_some() {
            return Err(AppError::Conflict {
                code: "already_unmatched",
                message: format!("match {match_id} was already undone"),
            });
        }
        db::unmatch(&mut tx, match_id, &u.reason, actor.id, self.now()).await?;
        let row = db::match_by_id(&mut tx, match_id)
            .await?
            .ok_or_else(|| AppError::Internal("match vanished".into()))?;
        tx.commit().await?;
        Ok(row)
    }

    pub async fn recon_matches(
        &self,
        actor: &User,
        account: &str,
    ) -> Result<Vec<MatchRow>, AppError> {
        require_role(actor, super::ledger::READERS, "read the ledgers")?;
        let mut tx = self.store.read().await?;
        Ok(db::matches(&mut tx, account).await?)
    }

    /// 账实相符 for one account on a date.
    pub async fn reconciliation(
        &self,
        actor: &User,
        account: &str,
        upto: NaiveDate,
    ) -> Result<ReconReport, AppError> {
        require_role(actor, super::ledger::READERS, "read the ledgers")?;
        let mut tx = self.store.read().await?;
        self.recon_account(&mut tx, account).await?;
        let book_balance = db::book_balance(&mut tx, account, upto).await?;
        let bank_balance = db::bank_balance(&mut tx, account, upto).await?;
        let ub = db::unmatched_book(&mut tx, account, Some(upto)).await?;
        let uk = db::unmatched_bank(&mut tx, account, Some(upto)).await?;
        let adjusted_book = book_balance - ub.iter().map(|b| b.amount_fen).sum::<i64>();
        let adjusted_bank = bank_balance - uk.iter().map(|b| b.amount_fen).sum::<i64>();
        Ok(ReconReport {
            account: account.to_string(),
            upto,
            book_balance: Yuan::from_fen(book_balance),
            bank_balance: Yuan::from_fen(bank_balance),
            unmatched_book: ub.iter().map(book_view).collect(),
            unmatched_bank: uk.iter().map(bank_view).collect(),
            adjusted_book: Yuan::from_fen(adjusted_book),
            adjusted_bank: Yuan::from_fen(adjusted_bank),
            agrees: adjusted_book == adjusted_bank,
            fully_reconciled: adjusted_book == adjusted_bank
                && book_balance == bank_balance
                && ub.is_empty()
                && uk.is_empty(),
        })
    }

    /// The statements imported for an account, newest first (readers of the ledgers: the
    /// finance bureau checks them).
    pub async fn statements(
        &self,
        actor: &User,
        account: &str,
    ) -> Result<Vec<db::StatementRow>, AppError> {
        require_role(actor, super::ledger::READERS, "read the ledgers")?;
        let mut tx = self.store.read().await?;
        self.recon_account(&mut tx, account).await?;
        Ok(db::statements(&mut tx, account, super::ledger::MAX_PAGE).await?)
    }

    /// One statement's lines, in their order.
    pub async fn statement_lines(
        &self,
        actor: &User,
        id: i64,
    ) -> Result<Vec<db::StatementLineRow>, AppError> {
        require_role(actor, super::ledger::READERS, "read the ledgers")?;
        let mut tx = self.store.read().await?;
        let lines = db::statement_lines(&mut tx, id).await?;
        if lines.is_empty() {
            return Err(AppError::NotFound(format!("statement {id}")));
        }
        Ok(lines)
    }

    /// HS-F7: the finance bureau records its check of an account's reconciliation on a date,
    /// with the figures it saw (book, bank, whether they agree) and its note.
    pub async fn check_reconciliation(
        &self,
        actor: &User,
        c: ReconCheckInput,
    ) -> Result<db::ReconCheckRow, AppError> {
        require_role(actor, CHECKERS, "check a reconciliation")?;
        super::flow::many_lines("note", &c.note, crate::domain::text::NOTE_MAX)?;
        let r = self.reconciliation(actor, &c.account, c.upto).await?;
        let mut row = db::ReconCheckRow {
            id: 0,
            account: c.account,
            upto: c.upto,
            book_fen: r
                .book_balance
                .to_fen()
                .map_err(|e| AppError::Internal(e.to_string()))?,
            bank_fen: r
                .bank_balance
                .to_fen()
                .map_err(|e| AppError::Internal(e.to_string()))?,
            agrees: r.fully_reconciled,
            note: c.note,
            checked_by: actor.id,
            checked_at: self.now(),
        };
        let mut tx = self.store.begin().await?;
        row.id = db::insert_check(&mut tx, &row).await?;
        tx.commit().await?;
        Ok(row)
    }

    /// The finance bureau's checks of an account, newest first.
    pub async fn reconciliation_checks(
        &self,
        actor: &User,
        account: &str,
    ) -> Result<Vec<db::ReconCheckRow>, AppError> {
        require_role(actor, super::ledger::READERS, "read the ledgers")?;
        let mut tx = self.store.read().await?;
        Ok(db::checks(&mut tx, account, super::ledger::MAX_PAGE).await?)
    }
}

/// The finance bureau's check of a reconciliation (HS-F7).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReconCheckInput {
    pub account: String,
    pub upto: NaiveDate,
    /// What the check found (many lines allowed).
    pub note: String,
}
