//! The fund ledger's commands and reports (issue 5, first part): accounts, posting with the
//! ring-fence and the hash chain, replays by idempotency key, verification against the chain and
//! a checkpoint, the trial balance and exports for hledger and beancount.
//!
//! Who: the acquiring company keeps the books (opens accounts, posts, reverses its entries);
//! only the leading group posts — and reverses — a reallocation between projects or fund
//! sources (HS-F3), citing a decision it recorded; the finance bureau, the supervisors, the
//! housing bureau and the leading group read everything; developers and the administrator
//! nothing (the administrator manages accounts of people, not of money).
//!
//! Limits (issue 15): a batch posts at most [`MAX_BATCH_ENTRIES`] entries of at most
//! [`MAX_LINES_PER_ENTRY`] lines; an entry is dated no later than the posting day (Beijing
//! time) and at most [`BACKDATE_LIMIT_DAYS`] before it (a late booking is listed for HS-F8);
//! memos are one line of at most 500 characters; reads come in pages of at most
//! [`MAX_PAGE`] entries.

use super::flow::{one_line, require_role};
use super::{App, AppError};
use crate::domain::ledger::{
    self, Account, AccountKind, Draft, EntryKind, FundSource, GENESIS, LedgerError, Line, Stored,
};
use crate::domain::role::Role;
use crate::domain::units::{Yuan, parse_decimal};
use crate::store::ledger as db;
use crate::store::users::User;
use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

pub(crate) const READERS: &[Role] = &[
    Role::Acquirer,
    Role::FinanceBureau,
    Role::Supervisor,
    Role::HousingBureau,
    Role::LeadingGroup,
];

/// The most entries one batch posts: one transaction holds the ledger's writer.
pub const MAX_BATCH_ENTRIES: usize = 1_000;
/// The most lines one entry has.
pub const MAX_LINES_PER_ENTRY: usize = 100;
/// HS-F6: how many days before its posting day an entry may be dated (a late booking).
pub const BACKDATE_LIMIT_DAYS: i64 = 31;
/// A reversal's reason (it becomes part of the reversal's one-line memo).
pub const REVERSAL_REASON_MAX: usize = 400;
/// The most entries (or list rows) one read returns.
pub const MAX_PAGE: i64 = 1_000;
/// Rows of each list on the exceptions report (the newest).
pub const EXCEPTIONS_LIST_MAX: i64 = 500;

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema, validator::Validate)]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    /// e.g. `Assets:Fund:R1:SpecialBond:Acquisition`.
    #[validate(length(min = 3, max = 200))]
    pub name: String,
    pub kind: AccountKind,
    /// The project (for fund, source and income accounts), e.g. `R1`.
    pub project: Option<String>,
    pub source: Option<FundSource>,
    #[validate(length(min = 1, max = 200))]
    pub label: String,
    /// HS-F4: for an escrow account, the listing it is registered for.
    #[serde(default)]
    pub listing_id: Option<i64>,
    /// A fund's `acquisition` or `operation`; an expense's HS-F5 use; an income's category.
    #[serde(default)]
    pub purpose: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineInput {
    pub account: String,
    /// Yuan, at most two decimals; positive = debit, negative = credit.
    #[schema(value_type = String, example = "50000000.00")]
    pub amount: super::flow::DecimalText,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema, validator::Validate)]
#[serde(deny_unknown_fields)]
pub struct NewEntry {
    /// Idempotency key: a replay with the same key and content returns the first entry and
    /// posts nothing; the same key with other content is refused.
    #[validate(length(min = 1, max = 200))]
    pub key: String,
    pub date: NaiveDate,
    pub kind: EntryKind,
    #[validate(length(min = 1, max = 500))]
    pub memo: String,
    /// Reallocation: the leading group's decision (e.g. its minutes' number).
    pub approval: Option<String>,
    /// HS-F4: the listing an acquisition payment into escrow is for.
    #[serde(default)]
    pub listing_id: Option<i64>,
    /// NC-20 (Nanchang): the housing department's and the lender's consents to a disbursement.
    #[serde(default)]
    pub consents: Option<crate::domain::ledger::Consents>,
    pub lines: Vec<LineInput>,
    /// Set only by `reverse_entry`: the entry a reversal negates.
    #[serde(skip)]
    pub reverses: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EntryView {
    pub seq: i64,
    pub key: String,
    pub date: NaiveDate,
    pub kind: EntryKind,
    pub memo: String,
    pub approval: Option<String>,
    pub listing_id: Option<i64>,
    pub consents: Option<crate::domain::ledger::Consents>,
    pub lines: Vec<LineView>,
    pub posted_by: i64,
    pub posted_at: DateTime<Utc>,
    pub prev_hash: String,
    pub hash: String,
    /// A reversal: the entry it negates.
    pub reverses: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LineView {
    pub account: String,
    pub amount: Yuan,
}

impl From<&Stored> for EntryView {
    fn from(e: &Stored) -> Self {
        EntryView {
            seq: e.seq,
            key: e.key.clone(),
            date: e.date,
            kind: e.kind,
            memo: e.memo.clone(),
            approval: e.approval.clone(),
            listing_id: e.listing_id,
            consents: e.consents.clone(),
            lines: e
                .lines
                .iter()
                .map(|l| LineView {
                    account: l.account.clone(),
                    amount: Yuan::from_fen(l.amount_fen),
                })
                .collect(),
            posted_by: e.posted_by,
            posted_at: e.posted_at,
            prev_hash: e.prev_hash.clone(),
            hash: e.hash.clone(),
            reverses: e.reverses,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TrialBalanceRow {
    pub account: String,
    pub kind: AccountKind,
    pub project: Option<String>,
    pub source: Option<FundSource>,
    /// Debit-positive balance in yuan.
    pub balance: Yuan,
}

/// The chain's head at a moment, to keep outside the database.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema, PartialEq, Eq)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VerifyReport {
    pub ok: bool,
    pub entries: i64,
    pub head: Option<String>,
    /// The first broken link.
    pub broken_at: Option<i64>,
    pub reason: Option<String>,
}

/// An amount typed by a person: yuan, at most two decimals, not negative; in fen.
fn non_negative_fen(field: &str, t: &super::flow::DecimalText) -> Result<i64, AppError> {
    let f = parse_decimal("amount", &t.0)
        .and_then(|d| Yuan::parse_fen_exact("amount", &d.to_string()))
        .and_then(|y| y.to_fen())
        .map_err(|e| AppError::invalid(field, e.to_string()))?;
    if f < 0 {
        return Err(AppError::invalid(field, "must not be negative"));
    }
    Ok(f)
}

fn ledger_error(e: LedgerError) -> AppError {
    let code = match &e {
        LedgerError::Unbalanced { .. } => "unbalanced",
        LedgerError::UnknownAccount { .. } => "unknown_account",
        LedgerError::CrossesFence { .. } | LedgerError::ReallocationWithoutApproval => "ring_fence",
        LedgerError::Overdrawn { .. } => "overdrawn",
        LedgerError::WrongEscrow { .. } => "wrong_escrow_account",
        LedgerError::WrongUse { .. } => "wrong_use",
        LedgerError::PaymentWithoutListing => {
            return AppError::invalid("listing_id", e.to_string());
        }
        LedgerError::EscrowWithoutProject { .. } => "wrong_escrow_account",
        LedgerError::ReversalWithoutOriginal => "not_a_reversal",
        _ => "invalid_entry",
    };
    let rule = match &e {
        LedgerError::CrossesFence { .. }
        | LedgerError::ReallocationWithoutApproval
        | LedgerError::Overdrawn { .. } => "HS-F3",
        LedgerError::WrongEscrow { .. } | LedgerError::EscrowWithoutProject { .. } => "HS-F4",
        LedgerError::WrongUse { rule, .. } => *rule,
        _ => "HS-F6",
    };
    AppError::Rule {
        code,
        rule: rule.to_string(),
        message: e.to_string(),
    }
}

impl App {
    pub async fn open_account(&self, actor: &User, a: NewAccount) -> Result<Account, AppError> {
        // The operating unit keeps the books; the administrator takes no part in any of them.
        require_role(actor, &[Role::Acquirer], "open a ledger account")?;
        one_line("label", &a.label, crate::domain::text::NAME_MAX)?;
        if let Some(p) = &a.project {
            crate::domain::text::key(p).map_err(|m| AppError::invalid("project", m))?;
        }
        if let Some(p) = &a.purpose {
            crate::domain::text::key(p).map_err(|m| AppError::invalid("purpose", m))?;
        }
        let acct = Account {
            name: a.name,
            kind: a.kind,
            project: a.project,
            source: a.source,
            label: a.label,
            listing_id: a.listing_id,
            purpose: a.purpose,
        };
        acct.check().map_err(|m| AppError::invalid("name", m))?;
        let mut tx = self.store.begin().await?;
        if let Some(l) = acct.listing_id {
            crate::store::listings::listing(&mut tx, l)
                .await?
                .ok_or_else(|| AppError::invalid("listing_id", format!("no listing {l}")))?;
            // HS-F3: a listing's escrow accounts all belong to one project.
            let others = db::accounts(&mut tx).await?;
            if let Some(o) = others.values().find(|o| {
                o.kind == AccountKind::Escrow
                    && o.listing_id == Some(l)
                    && o.project.is_some()
                    && o.project != acct.project
            }) {
                return Err(AppError::Rule {
                    code: "ring_fence",
                    rule: "HS-F3".into(),
                    message: format!(
                        "listing {l}'s escrow account {} belongs to project {}; its escrow accounts belong to one project",
                        o.name,
                        o.project.as_deref().unwrap_or_default()
                    ),
                });
            }
        }
        db::insert_account(&mut tx, &acct, actor.id, self.now()).await?;
        tx.commit().await?;
        Ok(acct)
    }

    pub async fn ledger_accounts(&self, actor: &User) -> Result<Vec<Account>, AppError> {
        require_role(actor, READERS, "read the ledgers")?;
        let mut tx = self.store.read().await?;
        Ok(db::accounts(&mut tx).await?.into_values().collect())
    }

    /// Posts one entry in one transaction: checks, chains, stores. A replay of the same key and
    /// content answers the first entry (status 200) and posts nothing.
    pub async fn post_entry(
        &self,
        actor: &User,
        e: NewEntry,
    ) -> Result<(u16, EntryView), AppError> {
        let (status, mut views) = self.post_entries(actor, vec![e]).await?;
        Ok((status, views.remove(0)))
    }

    /// Posts a batch of entries in one transaction, all or nothing; each is checked against the
    /// balances left by the ones before it. Entries whose key was already posted with the same
    /// content are answered from the ledger and not posted again. Status 201 when anything was
    /// posted, 200 when all were replays.
    pub async fn post_entries(
        &self,
        actor: &User,
        entries: Vec<NewEntry>,
    ) -> Result<(u16, Vec<EntryView>), AppError> {
        match self.post_entries_inner(actor, &entries).await {
            // HS-F8: every refused attempt to move money is kept, although nothing was posted —
            // a refusal under a money rule, and one by a role that may not post it.
            Err(AppError::Rule {
                code,
                rule,
                message,
            }) => {
                self.keep_refusal(actor, &entries, code, &rule, &message)
                    .await?;
                Err(AppError::Rule {
                    code,
                    rule,
                    message,
                })
            }
            Err(AppError::Forbidden(message)) => {
                let rule = if entries.iter().any(|e| e.kind == EntryKind::Reallocation) {
                    "HS-F3"
                } else {
                    "HS-F8"
                };
                self.keep_refusal(actor, &entries, "forbidden", rule, &message)
                    .await?;
                Err(AppError::Forbidden(message))
            }
            other => other,
        }
    }

    /// HS-F8: keeps a refused posting (the entries as sent, at most a batch's worth).
    async fn keep_refusal(
        &self,
        actor: &User,
        entries: &[NewEntry],
        code: &str,
        rule: &str,
        message: &str,
    ) -> Result<(), AppError> {
        let kept = &entries[..entries.len().min(MAX_BATCH_ENTRIES)];
        let mut tx = self.store.begin().await?;
        db::insert_refusal(
            &mut tx,
            &db::RefusalRow {
                id: 0,
                at: self.now(),
                actor_id: actor.id,
                entry_key: kept
                    .iter()
                    .map(|e| e.key.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
                rule: rule.into(),
                code: code.into(),
                message: message.into(),
                entry: serde_json::to_string(kept).unwrap_or_default(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// An entry as sent, checked for its poster's role, its text and its amounts, as a draft
    /// with the hash of its request (for replays).
    fn draft_of(
        actor: &User,
        field: &dyn Fn(&str) -> String,
        e: &NewEntry,
    ) -> Result<(Draft, String), AppError> {
        let leading_group = actor.role == Role::LeadingGroup;
        if e.kind == EntryKind::Reallocation && !leading_group {
            return Err(AppError::Forbidden(
                "HS-F3: only the leading group posts a reallocation between projects or fund sources".into(),
            ));
        }
        // The leading group posts reallocations and reverses them (checked against the
        // original when posting); the acquiring company keeps every other book.
        if leading_group && !(e.kind == EntryKind::Reallocation || e.reverses.is_some()) {
            return Err(AppError::Forbidden(
                "the leading group posts reallocations only; the acquiring company keeps the books"
                    .into(),
            ));
        }
        crate::domain::text::key(&e.key).map_err(|m| AppError::invalid(&field("key"), m))?;
        one_line(&field("memo"), &e.memo, crate::domain::text::MEMO_MAX)?;
        if let Some(a) = e.approval.as_deref().filter(|a| !a.trim().is_empty()) {
            one_line(&field("approval"), a, crate::domain::text::REF_MAX)?;
        }
        if let Some(c) = &e.consents {
            for (f, v) in [
                ("housing_department", &c.housing_department),
                ("lender", &c.lender),
                ("progress", &c.progress),
            ] {
                if !v.trim().is_empty() {
                    one_line(
                        &field(&format!("consents.{f}")),
                        v,
                        crate::domain::text::REF_MAX,
                    )?;
                }
            }
        }
        if e.lines.len() > MAX_LINES_PER_ENTRY {
            return Err(AppError::invalid(
                &field("lines"),
                format!("at most {MAX_LINES_PER_ENTRY} lines per entry"),
            ));
        }
        let mut lines = Vec::with_capacity(e.lines.len());
        for (j, l) in e.lines.iter().enumerate() {
            let fen = parse_decimal("amount", &l.amount.0)
                .and_then(|d| Yuan::parse_fen_exact("amount", &d.to_string()))
                .and_then(|y| y.to_fen())
                .map_err(|x| {
                    AppError::invalid(&field(&format!("lines[{j}].amount")), x.to_string())
                })?;
            lines.push(Line {
                account: l.account.clone(),
                amount_fen: fen,
            });
        }
        let draft = Draft {
            key: e.key.clone(),
            date: e.date,
            kind: e.kind,
            memo: e.memo.clone(),
            approval: e.approval.clone().filter(|a| !a.trim().is_empty()),
            listing_id: e.listing_id,
            consents: e.consents.clone(),
            lines,
            reverses: e.reverses,
        };
        let request_hash = hex::encode(Sha256::digest(
            serde_json::to_string(&draft)
                .expect("draft serialises")
                .as_bytes(),
        ));
        Ok((draft, request_hash))
    }

    async fn post_entries_inner(
        &self,
        actor: &User,
        entries: &[NewEntry],
    ) -> Result<(u16, Vec<EntryView>), AppError> {
        let mut tx = self.store.begin().await?;
        let out = self.post_in(&mut tx, actor, entries).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Posts entries inside a command's transaction (a sale's receipt posts with its record):
    /// the same checks, chain and idempotency as `post_entries`.
    pub(crate) async fn post_in(
        &self,
        tx: &mut crate::store::Tx,
        actor: &User,
        entries: &[NewEntry],
    ) -> Result<(u16, Vec<EntryView>), AppError> {
        require_role(
            actor,
            &[Role::Acquirer, Role::LeadingGroup],
            "post to the ledgers",
        )?;
        if entries.is_empty() {
            return Err(AppError::invalid("entries", "nothing to post"));
        }
        if entries.len() > MAX_BATCH_ENTRIES {
            return Err(AppError::invalid(
                "entries",
                format!(
                    "at most {MAX_BATCH_ENTRIES} entries per batch, got {}",
                    entries.len()
                ),
            ));
        }
        let batch = entries.len() > 1;
        let mut drafts = Vec::with_capacity(entries.len());
        for (i, e) in entries.iter().enumerate() {
            let field = |f: &str| {
                if batch {
                    format!("entries[{i}].{f}")
                } else {
                    f.to_string()
                }
            };
            drafts.push(Self::draft_of(actor, &field, e)?);
        }
        db::lock_for_posting(tx).await?;
        let accounts = db::accounts(tx).await?;
        let (mut seq, mut prev) = match db::head(tx).await? {
            Some((s, h)) => (s, h),
            None => (0, GENESIS.to_string()),
        };
        // Stored to the microsecond on both backends, so the hash is recomputable.
        let posted_at = self.now().trunc_subsecs(6);
        let mut run = Running {
            today: super::china_today(posted_at),
            balances: BTreeMap::new(),
            paid: BTreeMap::new(),
        };
        let mut keys = BTreeSet::new();
        let all_keys: Vec<String> = drafts.iter().map(|(d, _)| d.key.clone()).collect();
        let existing = db::by_keys(tx, &all_keys).await?;
        let mut ready: Vec<db::Ready> = Vec::with_capacity(drafts.len());
        let mut out = Vec::with_capacity(drafts.len());
        let mut posted = false;
        for (i, (draft, request_hash)) in drafts.into_iter().enumerate() {
            if !keys.insert(draft.key.clone()) {
                return Err(AppError::invalid(
                    &if batch {
                        format!("entries[{i}].key")
                    } else {
                        "key".into()
                    },
                    format!("key {:?} appears twice in the batch", draft.key),
                ));
            }
            if let Some((first, h)) = existing.get(&draft.key).cloned() {
                if h != request_hash {
                    return Err(AppError::Conflict {
                        code: "idempotency_mismatch",
                        message: format!(
                            "key {:?} was already used for entry {first} with other content",
                            draft.key
                        ),
                    });
                }
                let e = db::entry(tx, first)
                    .await?
                    .ok_or_else(|| AppError::Internal(format!("entry {first} vanished")))?;
                out.push(EntryView::from(&e));
                continue;
            }
            let late = self
                .check_draft(tx, actor, &accounts, &mut run, &draft)
                .await
                .map_err(|e| match e {
                    AppError::Rule {
                        code,
                        rule,
                        message,
                    } if batch => AppError::Rule {
                        code,
                        rule,
                        message: format!("entry {i} ({}): {message}", draft.key),
                    },
                    other => other,
                })?;
            let mut after = Vec::with_capacity(draft.lines.len());
            for l in &draft.lines {
                let b = run.balances.get_mut(&l.account).expect("loaded above");
                *b += l.amount_fen;
                after.push(*b);
            }
            seq += 1;
            let mut stored = Stored {
                seq,
                prev_hash: prev,
                hash: String::new(),
                key: draft.key,
                date: draft.date,
                kind: draft.kind,
                memo: draft.memo,
                approval: draft.approval,
                listing_id: draft.listing_id,
                consents: draft.consents,
                lines: draft.lines,
                posted_by: actor.id,
                posted_at,
                reverses: draft.reverses,
            };
            stored.hash = stored.canonical().hash();
            prev = stored.hash.clone();
            out.push(EntryView::from(&stored));
            ready.push((stored, request_hash, after, late));
            posted = true;
        }
        db::insert_entries(tx, &ready).await?;
        Ok((if posted { 201 } else { 200 }, out))
    }

    /// Every rule one entry meets before it is posted, against the ledger as the batch has
    /// left it so far: its date (HS-F6), the cited decision of a reallocation (HS-F3), what a
    /// reversal negates, the ring-fence and purposes (HS-F3–F5), escrow payments (HS-F4) and
    /// the balances. Returns how many days before the posting day it is dated.
    async fn check_draft(
        &self,
        tx: &mut crate::store::Tx,
        actor: &User,
        accounts: &BTreeMap<String, Account>,
        run: &mut Running,
        draft: &Draft,
    ) -> Result<i64, AppError> {
        // HS-F6: an entry records what happened on its value date: never a day the server has
        // not reached (a payment dated ahead would pass a schedule check it has not earned),
        // and not further back than a late booking may be.
        let today = run.today;
        if draft.date > today {
            return Err(AppError::Rule {
                code: "future_date",
                rule: "HS-F6".into(),
                message: format!(
                    "the entry is dated {}, after today ({today}, Beijing time); it is posted on or after its value date",
                    draft.date
                ),
            });
        }
        let late = (today - draft.date).num_days();
        if late > BACKDATE_LIMIT_DAYS {
            return Err(AppError::Rule {
                code: "backdated",
                rule: "HS-F6".into(),
                message: format!(
                    "the entry is dated {}, {late} days before today ({today}); a late booking reaches back at most {BACKDATE_LIMIT_DAYS} days",
                    draft.date
                ),
            });
        }
        if let Some(orig) = draft.reverses {
            self.check_reversal(tx, actor, orig, draft).await?;
        }
        ledger::check_entry(draft, accounts).map_err(ledger_error)?;
        if draft.kind == EntryKind::Reallocation {
            // HS-F3: the decision a reallocation rests on is one the leading group recorded.
            let number = draft.approval.as_deref().unwrap_or_default();
            if db::decision_by_number(tx, number).await?.is_none() {
                return Err(AppError::Rule {
                    code: "unknown_decision",
                    rule: "HS-F3".into(),
                    message: format!(
                        "no recorded leading-group decision {number:?}: record it (POST /api/ledger/decisions) before citing it"
                    ),
                });
            }
        }
        ledger::check_escrow_payment(draft, accounts).map_err(ledger_error)?;
        let escrow: Vec<&Line> = draft
            .lines
            .iter()
            .filter(|l| accounts[&l.account].kind == AccountKind::Escrow)
            .collect();
        if let (Some(listing), false) = (draft.listing_id, escrow.is_empty()) {
            let added: i64 = escrow
                .iter()
                .map(|l| ledger::paid_by_line(draft.kind, l.amount_fen))
                .sum();
            if let std::collections::btree_map::Entry::Vacant(v) = run.paid.entry(listing) {
                let lines = db::escrow_lines(tx, listing).await?;
                v.insert(
                    lines
                        .iter()
                        .map(|(k, f)| ledger::paid_by_line(*k, *f))
                        .sum(),
                );
            }
            let before = run.paid[&listing];
            // A reversal only gives back what it negates; the payment rules judged the original.
            if draft.kind != EntryKind::Reversal {
                self.check_payment(
                    tx,
                    listing,
                    draft.date,
                    draft.consents.as_ref(),
                    before,
                    before + added,
                )
                .await?;
            }
            *run.paid.get_mut(&listing).expect("loaded above") += added;
        }
        let missing: Vec<&str> = draft
            .lines
            .iter()
            .map(|l| l.account.as_str())
            .filter(|a| !run.balances.contains_key(*a))
            .collect();
        if !missing.is_empty() {
            run.balances.extend(db::balances(tx, &missing).await?);
        }
        ledger::check_balances(draft, accounts, &run.balances).map_err(ledger_error)?;
        Ok(late)
    }

    /// A reversal negates one entry exactly, once, is not itself reversed, is dated on or after
    /// it, and is posted by whoever may post the original (the leading group for a
    /// reallocation, the acquiring company otherwise).
    async fn check_reversal(
        &self,
        tx: &mut crate::store::Tx,
        actor: &User,
        orig: i64,
        draft: &Draft,
    ) -> Result<(), AppError> {
        let original = db::entry(tx, orig)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("entry {orig}")))?;
        if original.kind == EntryKind::Reversal {
            return Err(AppError::Conflict {
                code: "reversal_of_reversal",
                message: format!(
                    "entry {orig} is itself a reversal; post the corrected entry anew instead"
                ),
            });
        }
        let needs_lg = original.kind == EntryKind::Reallocation;
        if needs_lg != (actor.role == Role::LeadingGroup) {
            return Err(AppError::Forbidden(if needs_lg {
                "HS-F3: only the leading group reverses a reallocation".into()
            } else {
                "the acquiring company reverses the entries it keeps".into()
            }));
        }
        if let Some(r) = db::reversal_of(tx, orig).await? {
            return Err(AppError::Conflict {
                code: "already_reversed",
                message: format!("entry {orig} was already reversed by entry {r}"),
            });
        }
        if draft.kind != EntryKind::Reversal || !ledger::negates(&original.lines, &draft.lines) {
            return Err(ledger_error(LedgerError::ReversalWithoutOriginal));
        }
        if draft.date < original.date {
            return Err(AppError::invalid(
                "date",
                format!(
                    "a reversal is dated on or after the entry it reverses ({})",
                    original.date
                ),
            ));
        }
        Ok(())
    }

    /// HS-F4: a payment into a listing's escrow account only after signing, within the final
    /// price, and no further ahead than the agreement's schedule allows on the entry's date.
    async fn check_payment(
        &self,
        tx: &mut crate::store::Tx,
        listing: i64,
        date: NaiveDate,
        consents: Option<&crate::domain::ledger::Consents>,
        paid_before: i64,
        paid_after: i64,
    ) -> Result<(), AppError> {
        let rule = |code: &'static str, message: String| AppError::Rule {
            code,
            rule: "HS-F4".into(),
            message,
        };
        let inst = self.instance_of(tx, listing, "listing").await?;
        let def = self.def_by_hash(tx, &inst.def_hash).await?;
        let allowed = def
            .state(&inst.state)
            .is_some_and(|s| s.allows(crate::workflow::def::Capability::Payments));
        if !allowed {
            return Err(rule(
                "not_signed",
                format!(
                    "listing {listing} is {:?}: acquisition money is paid only after the agreement is signed",
                    inst.state
                ),
            ));
        }
        // NC-20: where the pack says so, a disbursement carries both consents and the progress.
        let round_id = crate::store::listings::listing(tx, listing)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("listing {listing}")))?
            .round_id;
        let pack = crate::store::listings::round(tx, round_id)
            .await?
            .ok_or_else(|| AppError::Internal("round vanished".into()))?
            .pack;
        if self.pack(&pack)?.pricing().funds.disbursement_consents
            && !consents.is_some_and(|c| c.complete())
        {
            return Err(AppError::Rule {
                code: "consents_missing",
                rule: "NC-20".into(),
                message: format!(
                    "a disbursement to listing {listing} needs the housing department's and the lender's consent and the reported construction progress"
                ),
            });
        }
        if paid_after <= paid_before {
            return Ok(());
        }
        let final_fen = crate::store::listings::prices(tx, listing)
            .await?
            .into_iter()
            .rev()
            .find(|p| p.kind == "final")
            .map(|p| p.total_fen)
            .ok_or_else(|| {
                rule(
                    "no_final_price",
                    format!("listing {listing} has no final price"),
                )
            })?;
        if paid_after > final_fen {
            return Err(rule(
                "over_payment",
                format!(
                    "payments to listing {listing} would reach {} yuan, beyond the agreed price {} yuan",
                    Yuan::from_fen(paid_after),
                    Yuan::from_fen(final_fen)
                ),
            ));
        }
        let sched = db::schedule(tx, listing).await?.ok_or_else(|| {
            rule(
                "no_schedule",
                format!("listing {listing} has no payment schedule from its agreement"),
            )
        })?;
        let installments: Vec<Installment> = serde_json::from_str(&sched.installments)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let due: i64 = installments
            .iter()
            .filter(|i| i.due_date <= date)
            .map(|i| i.amount_fen)
            .sum();
        if paid_after > due {
            return Err(rule(
                "ahead_of_schedule",
                format!(
                    "by {date} the schedule allows {} yuan to listing {listing}; this payment would make {}",
                    Yuan::from_fen(due),
                    Yuan::from_fen(paid_after)
                ),
            ));
        }
        Ok(())
    }

    /// HS-F4: records the agreement's payment schedule of a signed listing (a newer one
    /// supersedes an older one).
    pub async fn set_payment_schedule(
        &self,
        actor: &User,
        listing_id: i64,
        input: ScheduleInput,
    ) -> Result<PaymentSchedule, AppError> {
        require_role(actor, &[Role::Acquirer], "record a payment schedule")?;
        if input.installments.len() > MAX_INSTALLMENTS {
            return Err(AppError::invalid(
                "installments",
                format!("at most {MAX_INSTALLMENTS} installments"),
            ));
        }
        if let Some(r) = &input.reason {
            super::flow::many_lines("reason", r, crate::domain::text::NOTE_MAX)?;
        }
        let mut shares = Vec::with_capacity(input.installments.len());
        for (i, x) in input.installments.iter().enumerate() {
            shares.push(parse_decimal("share", &x.share.0).map_err(|e| {
                AppError::invalid(&format!("installments[{i}].share"), e.to_string())
            })?);
        }
        let mut tx = self.store.begin().await?;
        let inst = self.instance_of(&mut tx, listing_id, "listing").await?;
        self.require_capability(&mut tx, &inst, crate::workflow::def::Capability::Payments)
            .await?;
        let final_fen = crate::store::listings::prices(&mut tx, listing_id)
            .await?
            .into_iter()
            .rev()
            .find(|p| p.kind == "final")
            .map(|p| p.total_fen)
            .ok_or_else(|| AppError::Conflict {
                code: "no_final_price",
                message: format!("listing {listing_id} has no final price"),
            })?;
        let amounts = ledger::schedule_amounts(final_fen, &shares)
            .map_err(|m| AppError::invalid("installments", m))?;
        if !input
            .installments
            .windows(2)
            .all(|w| w[0].due_date <= w[1].due_date)
        {
            return Err(AppError::invalid(
                "installments",
                "installments must be in date order",
            ));
        }
        let installments: Vec<Installment> = input
            .installments
            .iter()
            .zip(&amounts)
            .map(|(i, a)| Installment {
                due_date: i.due_date,
                amount_fen: *a,
            })
            .collect();
        // HS-F4: the schedule is the agreement's. Recording it again — a change of when money
        // is due — cites the leading group's recorded decision and a reason, and shows on the
        // HS-F8 exceptions report.
        let decision_id = if db::schedule(&mut tx, listing_id).await?.is_some() {
            let number = input.decision.as_deref().unwrap_or_default();
            if input.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
                return Err(AppError::invalid(
                    "reason",
                    "say why the agreed schedule changes",
                ));
            }
            let d = db::decision_by_number(&mut tx, number)
                .await?
                .ok_or_else(|| AppError::Rule {
                    code: "schedule_change_unapproved",
                    rule: "HS-F4".into(),
                    message: format!(
                        "listing {listing_id} already has its agreed schedule; a change cites a recorded leading-group decision (decision), {number:?} is none"
                    ),
                })?;
            Some(d.id)
        } else {
            None
        };
        let now = self.now();
        db::insert_schedule(
            &mut tx,
            &db::ScheduleRow {
                id: 0,
                listing_id,
                installments: serde_json::to_string(&installments).expect("serialises"),
                total_fen: final_fen,
                recorded_by: actor.id,
                recorded_at: now,
                decision_id,
                reason: input.reason.clone().filter(|_| decision_id.is_some()),
            },
        )
        .await?;
        self.record(
            &mut tx,
            &inst,
            actor,
            "payment_schedule",
            input.reason.as_deref().filter(|_| decision_id.is_some()),
            serde_json::json!({ "rule": "HS-F4", "installments": installments, "decision": input.decision.as_deref().filter(|_| decision_id.is_some()) }),
        )
        .await?;
        tx.commit().await?;
        Ok(PaymentSchedule {
            listing_id,
            total: Yuan::from_fen(final_fen),
            installments: installments
                .iter()
                .map(|i| ScheduledPayment {
                    due_date: i.due_date,
                    amount: Yuan::from_fen(i.amount_fen),
                })
                .collect(),
        })
    }

    /// YQM-16: how much of a developer's escrow may be released at five-party acceptance: the
    /// escrow account's retained balance must stay at least the retention share of the key
    /// supervised funds. A lower retention for a developer rated A or B cites a recorded
    /// decision and is never below the pack's floor.
    pub async fn escrow_release_check(
        &self,
        r: &ReleaseCheck,
    ) -> Result<serde_json::Value, AppError> {
        let calc = self.calc();
        let (policy, p) = calc.pricing_pack(Some(&r.policy))?;
        let lowered =
            match (&r.lowered_retention, &r.decision) {
                (None, None) => None,
                (Some(x), Some(d)) => {
                    let mut tx = self.store.read().await?;
                    if db::decision_by_number(&mut tx, d.trim()).await?.is_none() {
                        return Err(AppError::Rule {
                            code: "no_such_decision",
                            rule: "YQM-16".into(),
                            message: format!(
                                "no recorded decision {d:?}: a lowered retention cites one"
                            ),
                        });
                    }
                    Some(x.0.trim().parse::<rust_decimal::Decimal>().map_err(|_| {
                        AppError::invalid("lowered_retention", "a rate such as 0.12")
                    })?)
                }
                _ => {
                    return Err(AppError::Rule {
                    code: "decision_required",
                    rule: "YQM-16".into(),
                    message:
                        "a lowered retention and the recorded decision that lowers it go together"
                            .into(),
                });
                }
            };
        let retention =
            ledger::escrow_retention(&p.funds, r.grade_a_or_b, lowered).map_err(|m| {
                AppError::Rule {
                    code: "retention",
                    rule: "YQM-16".into(),
                    message: format!("{policy}: {m}"),
                }
            })?;
        let fen = non_negative_fen;
        let key = fen("key_supervised_amount", &r.key_supervised_amount)?;
        let balance = fen("escrow_balance", &r.escrow_balance)?;
        let rel = ledger::escrow_release_limit(key, balance, retention);
        Ok(serde_json::json!({
            "policy": policy,
            "rules": ["YQM-16"],
            "params": { "escrow_retention": p.funds.escrow_retention, "escrow_retention_grade_ab": p.funds.escrow_retention_grade_ab },
            "decision": r.decision.as_deref().filter(|_| lowered.is_some()),
            "result": {
                "retention": rel.retention,
                "retained_min": Yuan::from_fen(rel.retained_min_fen),
                "max_release_now": Yuan::from_fen(rel.max_release_now_fen),
            }
        }))
    }

    /// HS-F4: a developer's report of its uses of the proceeds of a bought listing; a lower use
    /// paid while a higher one is outstanding is flagged (and shows on the exceptions report).
    pub async fn report_proceeds(
        &self,
        actor: &User,
        listing_id: i64,
        input: ProceedsInput,
    ) -> Result<ProceedsAnswer, AppError> {
        require_role(
            actor,
            &[Role::Developer, Role::Acquirer],
            "report uses of acquisition proceeds",
        )?;
        let fen = non_negative_fen;
        let mut uses = Vec::with_capacity(input.uses.len());
        for (i, u) in input.uses.iter().enumerate() {
            uses.push((u.category, fen(&format!("uses[{i}].amount"), &u.amount)?));
        }
        let report = ledger::ProceedsReport {
            outstanding_project_debt_fen: fen(
                "outstanding_project_debt",
                &input.outstanding_project_debt,
            )?,
            outstanding_diverted_presale_fen: fen(
                "outstanding_diverted_presale",
                &input.outstanding_diverted_presale,
            )?,
            uses,
        };
        let flags = ledger::priority_flags(&report);
        let mut tx = self.store.begin().await?;
        let l = crate::store::listings::listing(&mut tx, listing_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("listing {listing_id}")))?;
        super::flow::ensure_listing_scope(actor, &l)?;
        let inst = self.instance_of(&mut tx, listing_id, "listing").await?;
        self.require_capability(&mut tx, &inst, crate::workflow::def::Capability::Payments)
            .await?;
        let id = db::insert_proceeds(
            &mut tx,
            &db::ProceedsRow {
                id: 0,
                listing_id,
                period_end: input.period_end,
                report: serde_json::to_string(&report).expect("serialises"),
                flags: serde_json::to_string(&flags).expect("serialises"),
                reported_by: actor.id,
                reported_at: self.now(),
            },
        )
        .await?;
        self.record(
            &mut tx,
            &inst,
            actor,
            "report_proceeds",
            None,
            serde_json::json!({ "rule": "HS-F4", "report_id": id, "flags": flags }),
        )
        .await?;
        tx.commit().await?;
        Ok(ProceedsAnswer { id, flags })
    }

    /// The leading group records one of its decisions (会议纪要、批复) so that a reallocation
    /// (HS-F3) or a changed payment schedule (HS-F4) can cite it; numbers are unique.
    pub async fn record_decision(
        &self,
        actor: &User,
        d: DecisionInput,
    ) -> Result<db::DecisionRow, AppError> {
        require_role(
            actor,
            &[Role::LeadingGroup],
            "record a leading-group decision",
        )?;
        one_line("number", &d.number, crate::domain::text::REF_MAX)?;
        one_line("subject", &d.subject, crate::domain::text::NAME_MAX)?;
        if d.decided_on > self.today() {
            return Err(AppError::invalid(
                "decided_on",
                "a decision is recorded after it is taken",
            ));
        }
        let mut row = db::DecisionRow {
            id: 0,
            number: d.number,
            decided_on: d.decided_on,
            subject: d.subject,
            recorded_by: actor.id,
            recorded_at: self.now(),
        };
        let mut tx = self.store.begin().await?;
        if db::decision_by_number(&mut tx, &row.number)
            .await?
            .is_some()
        {
            return Err(AppError::Conflict {
                code: "decision_exists",
                message: format!("decision {:?} is already recorded", row.number),
            });
        }
        row.id = db::insert_decision(&mut tx, &row).await?;
        tx.commit().await?;
        Ok(row)
    }

    /// The newest recorded decisions (readers of the ledgers).
    pub async fn decisions(&self, actor: &User) -> Result<Vec<db::DecisionRow>, AppError> {
        require_role(actor, READERS, "read the ledgers")?;
        let mut tx = self.store.read().await?;
        Ok(db::decisions(&mut tx, MAX_PAGE).await?)
    }

    /// HS-F7 账账相符: per project and fund source, the fund sub-ledgers (each fund account's
    /// running balance) against the control total the journal's lines on them give.
    pub async fn subledgers_agree(&self, actor: &User) -> Result<Vec<SubledgerCheck>, AppError> {
        require_role(actor, READERS, "read the ledgers")?;
        let mut tx = self.store.read().await?;
        let accounts = db::accounts(&mut tx).await?;
        let running: BTreeMap<String, i64> =
            db::trial_balance(&mut tx).await?.into_iter().collect();
        let journal = db::journal_totals(&mut tx).await?;
        let mut groups: BTreeMap<(String, Option<FundSource>), (Vec<String>, i64, i64)> =
            BTreeMap::new();
        // The sub-ledgers are the fund accounts of a project and source; the control is what the
        // journal's lines on them add up to.
        for a in accounts.values().filter(|a| a.kind == AccountKind::Fund) {
            let Some(p) = a.project.clone() else { continue };
            let g = groups.entry((p, a.source)).or_default();
            g.0.push(a.name.clone());
            g.1 += running.get(&a.name).copied().unwrap_or(0);
            g.2 += journal.get(&a.name).copied().unwrap_or(0);
        }
        Ok(groups
            .into_iter()
            .map(
                |((project, source), (accounts, sub, control))| SubledgerCheck {
                    project,
                    source,
                    accounts,
                    subledger_total: Yuan::from_fen(sub),
                    control_total: Yuan::from_fen(control),
                    agrees: sub == control,
                },
            )
            .collect())
    }

    /// HS-F8: refused postings and approved reallocations.
    pub async fn ledger_exceptions(&self, actor: &User) -> Result<LedgerExceptions, AppError> {
        require_role(actor, READERS, "read the ledgers")?;
        let mut tx = self.store.read().await?;
        let refusals = db::refusals(&mut tx, EXCEPTIONS_LIST_MAX).await?;
        let late_bookings = db::late_bookings(&mut tx, EXCEPTIONS_LIST_MAX).await?;
        let schedule_changes = db::schedule_changes(&mut tx, EXCEPTIONS_LIST_MAX).await?;
        let mut reallocations = Vec::new();
        for seq in db::seqs_of_kind(&mut tx, EntryKind::Reallocation, EXCEPTIONS_LIST_MAX).await? {
            if let Some(e) = db::entry(&mut tx, seq).await? {
                reallocations.push(EntryView::from(&e));
            }
        }
        let mut priority_flags = Vec::new();
        for r in db::proceeds_reports(&mut tx).await? {
            let flags: Vec<ledger::PriorityFlag> =
                serde_json::from_str(&r.flags).map_err(|e| AppError::Internal(e.to_string()))?;
            for flag in flags {
                priority_flags.push(FlagRow {
                    listing_id: r.listing_id,
                    period_end: r.period_end,
                    flag,
                });
            }
        }
        // HS-F7 is periodic: a bank or fund account with book lines and no statement line in the
        // last 31 days (or none at all) is overdue for reconciliation.
        let today = self.today();
        let last = crate::store::recon::last_statement_dates(&mut tx).await?;
        let accounts = db::accounts(&mut tx).await?;
        let mut overdue_reconciliations = Vec::new();
        for (name, _) in db::trial_balance(&mut tx).await? {
            let Some(a) = accounts.get(&name) else {
                continue;
            };
            if !matches!(a.kind, AccountKind::Bank | AccountKind::Fund) {
                continue;
            }
            let latest = last.get(&name).copied();
            if latest.is_none_or(|d| (today - d).num_days() > RECONCILE_EVERY_DAYS) {
                overdue_reconciliations.push(OverdueReconciliation {
                    account: name,
                    last_statement_date: latest,
                });
            }
        }
        Ok(LedgerExceptions {
            refusals,
            reallocations,
            priority_flags,
            overdue_reconciliations,
            late_bookings,
            schedule_changes,
        })
    }

    /// One page of entries in chain order: those after `after` (0: from the first), at most
    /// `limit` (default 100, at most [`MAX_PAGE`]).
    pub async fn ledger_entries(
        &self,
        actor: &User,
        after: Option<i64>,
        limit: Option<i64>,
    ) -> Result<Vec<EntryView>, AppError> {
        require_role(actor, READERS, "read the ledgers")?;
        let limit = page_limit(limit)?;
        let mut tx = self.store.read().await?;
        Ok(db::entries_page(&mut tx, after.unwrap_or(0).max(0), limit)
            .await?
            .iter()
            .map(EntryView::from)
            .collect())
    }

    /// The newest `limit` entries, in chain order (the ledger page).
    pub async fn latest_entries(
        &self,
        actor: &User,
        limit: i64,
    ) -> Result<Vec<EntryView>, AppError> {
        require_role(actor, READERS, "read the ledgers")?;
        let mut tx = self.store.read().await?;
        Ok(db::last_entries(&mut tx, limit.clamp(1, MAX_PAGE))
            .await?
            .iter()
            .map(EntryView::from)
            .collect())
    }

    pub async fn trial_balance(&self, actor: &User) -> Result<Vec<TrialBalanceRow>, AppError> {
        require_role(actor, READERS, "read the ledgers")?;
        let mut tx = self.store.read().await?;
        let accounts = db::accounts(&mut tx).await?;
        Ok(db::trial_balance(&mut tx)
            .await?
            .into_iter()
            .map(|(name, fen)| {
                let a = &accounts[&name];
                TrialBalanceRow {
                    kind: a.kind,
                    project: a.project.clone(),
                    source: a.source,
                    account: name,
                    balance: Yuan::from_fen(fen),
                }
            })
            .collect())
    }

    /// Recomputes the chain; with a checkpoint, also proves the entries up to it are still there
    /// unchanged (a truncation or a rewrite of the whole tail is caught against it).
    pub async fn verify_ledger(
        &self,
        checkpoint: Option<&Checkpoint>,
    ) -> Result<VerifyReport, AppError> {
        let mut tx = self.store.read().await?;
        // One read of the lines serves both checks.
        let (entries, bad_balance) = db::chain_and_first_bad_balance(&mut tx).await?;
        let head = entries.last().map(|e| e.hash.clone());
        let mut report = VerifyReport {
            ok: true,
            entries: entries.len() as i64,
            head,
            broken_at: None,
            reason: None,
        };
        if let Some(b) = ledger::verify(&entries) {
            report.ok = false;
            report.broken_at = Some(b.seq);
            report.reason = Some(b.reason);
            return Ok(report);
        }
        if let Some(b) = bad_balance {
            report.ok = false;
            report.broken_at = Some(b.seq);
            report.reason = Some(format!(
                "the running balance of {} stored with entry {} is {} fen, the lines sum to {}",
                b.account, b.seq, b.stored_fen, b.recomputed_fen
            ));
            return Ok(report);
        }
        if checkpoint.is_none()
            && let Some(last) = entries.last()
        {
            // Remembered, so the ledger page verifies only what is posted after it.
            let mut tx = self.store.begin().await?;
            db::insert_verification(&mut tx, last.seq, &last.hash, self.now()).await?;
            tx.commit().await?;
        }
        if let Some(c) = checkpoint {
            match entries.iter().find(|e| e.seq == c.seq) {
                None => {
                    report.ok = false;
                    report.broken_at = Some(c.seq);
                    report.reason = Some(format!(
                        "the checkpoint of {} names entry {}, which is no longer in the ledger (truncated)",
                        super::beijing(c.at),
                        c.seq
                    ));
                }
                Some(e) if e.hash != c.hash => {
                    report.ok = false;
                    report.broken_at = Some(c.seq);
                    report.reason = Some(format!(
                        "entry {} no longer has the hash the checkpoint of {} recorded (rewritten)",
                        c.seq,
                        super::beijing(c.at)
                    ));
                }
                Some(_) => {}
            }
        }
        Ok(report)
    }

    /// The chain since the newest full verification that passed: the remembered entry still
    /// has its hash, and the entries after it chain on from it with running balances that
    /// agree. What it says is bounded by what was posted since; `anju ledger verify` (or
    /// `GET /api/ledger/verify`) recomputes the whole chain and moves the starting point.
    pub async fn verify_recent(&self) -> Result<VerifyReport, AppError> {
        let mut tx = self.store.read().await?;
        let (from, prev) = match db::last_verification(&mut tx).await? {
            Some((seq, hash)) => {
                let e = db::entry(&mut tx, seq).await?;
                match e {
                    Some(e) if e.hash == hash && e.canonical().hash() == hash => (seq + 1, hash),
                    _ => {
                        return Ok(VerifyReport {
                            ok: false,
                            entries: seq,
                            head: None,
                            broken_at: Some(seq),
                            reason: Some(format!(
                                "entry {seq} no longer matches the hash its last full verification recorded"
                            )),
                        });
                    }
                }
            }
            None => (1, GENESIS.to_string()),
        };
        let start = db::balances_at(&mut tx, from - 1).await?;
        let (entries, bad) = db::chain_since(&mut tx, from, start).await?;
        let head = db::head(&mut tx).await?;
        let mut report = VerifyReport {
            ok: true,
            entries: head.as_ref().map_or(0, |h| h.0),
            head: head.map(|h| h.1),
            broken_at: None,
            reason: None,
        };
        if let Some(b) = ledger::verify_from(from, &prev, &entries) {
            report.ok = false;
            report.broken_at = Some(b.seq);
            report.reason = Some(b.reason);
        } else if let Some(b) = bad {
            report.ok = false;
            report.broken_at = Some(b.seq);
            report.reason = Some(format!(
                "the running balance of {} stored with entry {} is {} fen, the lines sum to {}",
                b.account, b.seq, b.stored_fen, b.recomputed_fen
            ));
        }
        Ok(report)
    }

    /// A correction: a new entry with every line of entry `seq` negated (kind `reversal`,
    /// naming `seq`), posted under its own key so a replay posts nothing; the original stays as
    /// it was. It keeps the balance checks and is exempt from the purpose rules, which the
    /// original passed (issue 15: an erroneous receipt into a fund can be reversed).
    pub async fn reverse_entry(
        &self,
        actor: &User,
        seq: i64,
        input: ReversalInput,
    ) -> Result<(u16, EntryView), AppError> {
        one_line("reason", &input.reason, REVERSAL_REASON_MAX)?;
        let original = {
            let mut tx = self.store.read().await?;
            db::entry(&mut tx, seq)
                .await?
                .ok_or_else(|| AppError::NotFound(format!("entry {seq}")))?
        };
        let entry = NewEntry {
            key: format!("reverse-{seq}"),
            date: input.date,
            kind: EntryKind::Reversal,
            memo: format!("冲销第{seq}笔：{}", input.reason),
            approval: original.approval.clone(),
            listing_id: original.listing_id,
            consents: original.consents.clone(),
            lines: original
                .lines
                .iter()
                .map(|l| LineInput {
                    account: l.account.clone(),
                    amount: super::flow::DecimalText(Yuan::from_fen(-l.amount_fen).to_string()),
                })
                .collect(),
            reverses: Some(seq),
        };
        self.post_entry(actor, entry).await
    }

    pub async fn ledger_checkpoint(&self) -> Result<Checkpoint, AppError> {
        let mut tx = self.store.read().await?;
        let (seq, hash) = db::head(&mut tx).await?.unwrap_or((0, GENESIS.to_string()));
        Ok(Checkpoint {
            seq,
            hash,
            at: self.now(),
        })
    }

    /// The journal as an hledger or beancount file; account names are the ledger's own.
    pub async fn ledger_export(&self, format: ExportFormat) -> Result<String, AppError> {
        let mut tx = self.store.read().await?;
        let accounts = db::accounts(&mut tx).await?;
        let entries = db::entries(&mut tx, 1).await?;
        Ok(export_journal(format, &accounts, &entries, self.today()))
    }
}

/// Writes the journal for hledger or beancount. Every memo that passed the text policy comes
/// out byte for byte and on one line (issue 15: a memo can never plant a transaction):
/// - hledger: the memo is the transaction's description; as hledger starts a comment at `;`, a
///   memo holding one is also written whole on a `; memo:` comment line under it.
/// - beancount: the memo is the narration string, with `\` and `"` escaped as beancount reads
///   them back; each account opens on the date of the earliest entry that touches it (a late
///   booking dated before the others included).
///
/// A character the policy refuses (only text stored before it can hold one) is written as
/// `\u{XXXX}`, so the export stays one line per memo whatever the database holds.
pub fn export_journal(
    format: ExportFormat,
    accounts: &BTreeMap<String, Account>,
    entries: &[Stored],
    today: NaiveDate,
) -> String {
    use crate::domain::text::escape_controls;
    let quoted = |s: &str| {
        let s = escape_controls(s);
        format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
    };
    let mut out = String::new();
    match format {
        ExportFormat::Hledger => {
            out.push_str("; anju fund ledger — exported for hledger\n");
            for a in accounts.values() {
                out.push_str(&format!(
                    "account {}  ; {}\n",
                    a.name,
                    escape_controls(&a.label)
                ));
            }
        }
        ExportFormat::Beancount => {
            out.push_str("; anju fund ledger — exported for beancount\noption \"operating_currency\" \"CNY\"\n\n");
            let mut opened: BTreeMap<&str, NaiveDate> = BTreeMap::new();
            for e in entries {
                for l in &e.lines {
                    let d = opened.entry(l.account.as_str()).or_insert(e.date);
                    *d = (*d).min(e.date);
                }
            }
            let first = opened.values().min().copied().unwrap_or(today);
            for a in accounts.values() {
                let on = opened.get(a.name.as_str()).copied().unwrap_or(first);
                out.push_str(&format!("{on} open {} CNY\n", a.name));
            }
        }
    }
    out.push('\n');
    for e in entries {
        match format {
            ExportFormat::Hledger => {
                let memo = escape_controls(&e.memo);
                out.push_str(&format!(
                    "{} ({}) {}  ; seq:{}, hash:{}\n",
                    e.date,
                    escape_controls(&e.key),
                    memo,
                    e.seq,
                    e.hash
                ));
                if memo.contains(';') {
                    out.push_str(&format!("    ; memo:{memo}\n"));
                }
            }
            ExportFormat::Beancount => out.push_str(&format!(
                "{} * {}\n  key: {}\n  seq: \"{}\"\n  hash: \"{}\"\n",
                e.date,
                quoted(&e.memo),
                quoted(&e.key),
                e.seq,
                e.hash
            )),
        }
        for l in &e.lines {
            out.push_str(&format!(
                "  {}  {} CNY\n",
                l.account,
                Yuan::from_fen(l.amount_fen)
            ));
        }
        out.push('\n');
    }
    out
}

/// A page size asked for: 1 to [`MAX_PAGE`], 100 when not given.
fn page_limit(limit: Option<i64>) -> Result<i64, AppError> {
    match limit {
        None => Ok(100),
        Some(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
        Some(n) => Err(AppError::invalid(
            "limit",
            format!("1 to {MAX_PAGE} entries per page, got {n}"),
        )),
    }
}

/// What a batch has done so far: the posting day, balances and payments into each listing's
/// escrow (HS-F4) as its earlier entries left them.
struct Running {
    today: NaiveDate,
    balances: BTreeMap<String, i64>,
    paid: BTreeMap<i64, i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Hledger,
    Beancount,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Installment {
    due_date: NaiveDate,
    amount_fen: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstallmentInput {
    pub due_date: NaiveDate,
    /// Share of the final price, e.g. "0.3"; the shares sum to 1.
    #[schema(value_type = String, example = "0.3")]
    pub share: super::flow::DecimalText,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleInput {
    pub installments: Vec<InstallmentInput>,
    /// A schedule replacing the agreed one: the number of the leading group's recorded
    /// decision allowing the change (HS-F4), and why.
    #[serde(default)]
    pub decision: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
}

/// The most installments a schedule has.
pub const MAX_INSTALLMENTS: usize = 120;

/// A leading-group decision to record (会议纪要、批复), cited later by its number.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    /// Its document number (文号), e.g. 领导组会议纪要〔2026〕7号.
    pub number: String,
    pub decided_on: NaiveDate,
    /// What it decides, in a line.
    pub subject: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ScheduledPayment {
    pub due_date: NaiveDate,
    pub amount: Yuan,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PaymentSchedule {
    pub listing_id: i64,
    pub total: Yuan,
    pub installments: Vec<ScheduledPayment>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LedgerExceptions {
    pub refusals: Vec<db::RefusalRow>,
    pub reallocations: Vec<EntryView>,
    /// HS-F4: lower uses of proceeds paid while a higher one was outstanding.
    pub priority_flags: Vec<FlagRow>,
    /// HS-F7: accounts not reconciled against a bank statement in the last month.
    pub overdue_reconciliations: Vec<OverdueReconciliation>,
    /// HS-F6: entries dated before the day they were posted (late bookings).
    pub late_bookings: Vec<db::LateBooking>,
    /// HS-F4: payment schedules that replaced an agreed one, with the decision they cite.
    pub schedule_changes: Vec<db::ScheduleRow>,
}

/// HS-F7: how often an account is reconciled against its bank statement, in days.
pub const RECONCILE_EVERY_DAYS: i64 = 31;

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OverdueReconciliation {
    pub account: String,
    pub last_statement_date: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReversalInput {
    pub date: NaiveDate,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FlagRow {
    pub listing_id: i64,
    pub period_end: NaiveDate,
    pub flag: ledger::PriorityFlag,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProceedsUseInput {
    pub category: ledger::ProceedsUse,
    #[schema(value_type = String, example = "1500000.00")]
    pub amount: super::flow::DecimalText,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProceedsInput {
    pub period_end: NaiveDate,
    /// This project's debts outstanding when the period began.
    #[schema(value_type = String, example = "2000000.00")]
    pub outstanding_project_debt: super::flow::DecimalText,
    /// Presale money diverted to other projects, outstanding when the period began.
    #[schema(value_type = String, example = "0")]
    pub outstanding_diverted_presale: super::flow::DecimalText,
    pub uses: Vec<ProceedsUseInput>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProceedsAnswer {
    pub id: i64,
    pub flags: Vec<ledger::PriorityFlag>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseCheck {
    pub policy: String,
    #[schema(value_type = String, example = "10000000.00")]
    pub key_supervised_amount: super::flow::DecimalText,
    /// The escrow account's retained balance now (留存余额).
    #[schema(value_type = String, example = "8000000.00")]
    pub escrow_balance: super::flow::DecimalText,
    /// Developer of credit grade A or B.
    #[serde(default)]
    pub grade_a_or_b: bool,
    /// YQM-16: a lower retention for a grade A or B developer (≥ the pack's floor), with the
    /// number of the recorded decision that lowers it.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "0.12")]
    pub lowered_retention: Option<super::flow::DecimalText>,
    #[serde(default)]
    pub decision: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SubledgerCheck {
    pub project: String,
    pub source: Option<FundSource>,
    pub accounts: Vec<String>,
    /// Σ of the accounts' running balances (the sub-ledgers).
    pub subledger_total: Yuan,
    /// Σ of the journal's lines on those accounts (the control).
    pub control_total: Yuan,
    pub agrees: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A memo stored before the text policy (or written into the database by hand) with a
    /// newline still comes out on one line: it cannot plant a transaction in either export.
    #[test]
    fn hs_f6_a_stored_memo_with_a_newline_stays_on_one_line_in_both_exports() {
        let acct = |name: &str| Account {
            name: name.into(),
            kind: AccountKind::Expense,
            project: None,
            source: None,
            label: "x".into(),
            listing_id: None,
            purpose: None,
        };
        let accounts: BTreeMap<String, Account> = ["Expenses:A", "Expenses:B"]
            .iter()
            .map(|n| (n.to_string(), acct(n)))
            .collect();
        let e = Stored {
            seq: 1,
            prev_hash: GENESIS.into(),
            hash: "h".into(),
            key: "k".into(),
            date: "2026-11-02".parse().unwrap(),
            kind: EntryKind::Payment,
            memo: "a\n2026-11-02 * \"fake\"\n  Expenses:A  1000 CNY".into(),
            approval: None,
            listing_id: None,
            consents: None,
            lines: vec![
                Line {
                    account: "Expenses:A".into(),
                    amount_fen: 100,
                },
                Line {
                    account: "Expenses:B".into(),
                    amount_fen: -100,
                },
            ],
            posted_by: 1,
            posted_at: "2026-11-02T01:00:00Z".parse().unwrap(),
            reverses: None,
        };
        let today = "2026-11-30".parse().unwrap();
        for f in [ExportFormat::Hledger, ExportFormat::Beancount] {
            let text = export_journal(f, &accounts, std::slice::from_ref(&e), today);
            assert_eq!(
                text.lines()
                    .filter(|l| l.starts_with("2026-11-02 "))
                    .count(),
                if f == ExportFormat::Hledger { 1 } else { 3 },
                "{text}"
            );
            assert!(text.contains("u{000A}2026-11-02"), "{text}");
            assert_eq!(text.matches("\n  Expenses:").count(), 2, "{text}");
        }
    }
}
