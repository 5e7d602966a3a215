//! Ring-fenced fund ledgers (DOMAIN.md §4): double entry over exact fen, the ring-fence of
//! HS-F3 / HS-F6 / YQ-7.5, and the tamper-evident chain of entries.
//!
//! - An entry has at least two lines, no zero line, and balances to the fen (Σ = 0; a positive
//!   amount is a debit, a negative one a credit).
//! - Accounts are registered before use. A `fund` account is ring-fenced: it belongs to one
//!   project and one fund source (HS-A5: special bond, project loan, fiscal subsidy, other) and
//!   one purpose, and its balance may never fall below zero. `source` accounts record where a
//!   project's money came from (same project and source); `income` accounts a project's receipts
//!   (rent, sale, resettlement); an `escrow` account (a developer's presale escrow account)
//!   belongs to its listing's project; `bank` and `expense` accounts carry no project.
//! - Ring-fence: every line of an entry that names a project names the same project, and every
//!   line that names a fund source the same source — money never moves between projects or
//!   between sources, except in a `reallocation` entry, which only the leading group posts,
//!   citing its decision.
//! - Chain: each entry's hash is SHA-256 over its canonical form (a JSON object with fixed field
//!   order: seq, prev, key, date, kind, memo, approval, listing, consents, lines as [account,
//!   fen], posted_by, posted_at, and — only for a reversal — reverses) including the previous
//!   entry's hash; the first entry's `prev` is 64 zeros.
//! - Corrections: a `reversal` negates every line of one earlier entry (`reverses`), once. It
//!   keeps the balance checks (no fund below zero) and is exempt from the ring-fence and the
//!   purpose rules, which the entry it undoes already passed.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    Fund,
    Source,
    Income,
    Bank,
    Escrow,
    Expense,
}

/// HS-A5: where a project's money comes from.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum FundSource {
    SpecialBond,
    ProjectLoan,
    FiscalSubsidy,
    Other,
}

impl FundSource {
    pub fn key(self) -> &'static str {
        match self {
            FundSource::SpecialBond => "special_bond",
            FundSource::ProjectLoan => "project_loan",
            FundSource::FiscalSubsidy => "fiscal_subsidy",
            FundSource::Other => "other",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Account {
    /// The account's name, the same in every output (trial balance, hledger, beancount):
    /// colon-separated ASCII segments, e.g. `assets:fund:r1:special_bond:acquisition`.
    pub name: String,
    pub kind: AccountKind,
    pub project: Option<String>,
    pub source: Option<FundSource>,
    pub label: String,
    /// HS-F4: the listing an escrow account is registered for.
    #[serde(default)]
    pub listing_id: Option<i64>,
    /// What the account is for: a fund's `acquisition` or `operation` (HS-F4, HS-F5); an
    /// expense's use (HS-F5: `loan_repayment`, `maintenance`, `property_management`,
    /// `rent_subsidy`); an income's category (`rent`, `sale`, `resettlement`). Funds with a
    /// purpose are held to it.
    #[serde(default)]
    pub purpose: Option<String>,
}

/// Fund rules particular to a pack (`[funds]` in its `pricing.toml`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FundParams {
    /// NC-20: every disbursement needs the housing department's and the lender's consent, tied
    /// to reported construction progress.
    #[serde(default)]
    pub disbursement_consents: bool,
    /// YQM-16: the share of the key supervised amount an escrow release at five-party
    /// acceptance must keep (0.15), and for developers of credit grade A or B (0.10).
    #[serde(default)]
    pub escrow_retention: Option<rust_decimal::Decimal>,
    #[serde(default)]
    pub escrow_retention_grade_ab: Option<rust_decimal::Decimal>,
}

/// NC-20: the consents a Nanchang disbursement carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Consents {
    /// The housing department's consent (document number).
    pub housing_department: String,
    /// The lending bank's consent (document number).
    pub lender: String,
    /// The construction progress reported with the request.
    pub progress: String,
}

impl Consents {
    pub fn complete(&self) -> bool {
        !self.housing_department.trim().is_empty()
            && !self.lender.trim().is_empty()
            && !self.progress.trim().is_empty()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Release {
    /// The least that must stay supervised (rounded up to the fen: "at least").
    pub retained_min_fen: i64,
    /// The most that may be released now, given what was released before.
    pub max_release_now_fen: i64,
    pub retention: rust_decimal::Decimal,
}

/// YQM-16: an escrow release at "five-party acceptance, ready to deliver" is allowed as long as
/// the escrow account's retained balance (留存余额) stays at least the retention share of the
/// total key supervised funds (重点监管资金总额).
pub fn escrow_release_limit(
    key_supervised_fen: i64,
    escrow_balance_fen: i64,
    retention: rust_decimal::Decimal,
) -> Release {
    use rust_decimal::Decimal;
    use rust_decimal::prelude::ToPrimitive;
    let retained = (Decimal::from(key_supervised_fen) * retention)
        .ceil()
        .to_i64()
        .unwrap_or(i64::MAX);
    Release {
        retained_min_fen: retained,
        max_release_now_fen: (escrow_balance_fen - retained).max(0),
        retention,
    }
}

/// YQM-16: the retention that applies — the pack's (15 %), unless a developer rated A or B has
/// it lowered by a recorded decision, never below the pack's floor (10 %). Lowering is a
/// discretion ("可适当降低"), not a right: without a decision the full retention applies.
pub fn escrow_retention(
    params: &FundParams,
    grade_a_or_b: bool,
    lowered_by_decision: Option<rust_decimal::Decimal>,
) -> Result<rust_decimal::Decimal, String> {
    let full = params
        .escrow_retention
        .ok_or("the pack sets no escrow retention at acceptance (YQM-16 is Yangquan's rule)")?;
    let Some(lowered) = lowered_by_decision else {
        return Ok(full);
    };
    let floor = params
        .escrow_retention_grade_ab
        .ok_or("the pack sets no floor for a lowered retention")?;
    if !grade_a_or_b {
        return Err("YQM-16: only a developer rated A or B may have its retention lowered".into());
    }
    if lowered < floor || lowered > full {
        return Err(format!(
            "YQM-16: a lowered retention lies between {floor} and {full}, not {lowered}"
        ));
    }
    Ok(lowered)
}

/// HS-F4: the legal uses of acquisition proceeds, highest priority first.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ProceedsUse {
    /// (1) This project's debts.
    ProjectDebt,
    /// (2) Repaying presale money diverted to the developer's other unfinished projects in the county.
    DivertedPresale,
    /// (3) Continuing construction of its unfinished projects in the county.
    ContinuedConstruction,
}

/// A developer's report of how it used acquisition proceeds: what was outstanding in the two
/// higher-priority uses when the report period began, and what it spent on each use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProceedsReport {
    pub outstanding_project_debt_fen: i64,
    pub outstanding_diverted_presale_fen: i64,
    pub uses: Vec<(ProceedsUse, i64)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PriorityFlag {
    /// The lower use that was paid.
    pub paid: ProceedsUse,
    pub paid_fen: i64,
    /// The higher use still outstanding after what was paid to it.
    pub outstanding: ProceedsUse,
    pub outstanding_fen: i64,
}

/// HS-F4 priority: a lower use paid while a higher one is still outstanding is flagged.
pub fn priority_flags(r: &ProceedsReport) -> Vec<PriorityFlag> {
    let spent = |u: ProceedsUse| {
        r.uses
            .iter()
            .filter(|(x, _)| *x == u)
            .map(|(_, f)| *f)
            .sum::<i64>()
    };
    let left = [
        (
            ProceedsUse::ProjectDebt,
            (r.outstanding_project_debt_fen - spent(ProceedsUse::ProjectDebt)).max(0),
        ),
        (
            ProceedsUse::DivertedPresale,
            (r.outstanding_diverted_presale_fen - spent(ProceedsUse::DivertedPresale)).max(0),
        ),
    ];
    let mut out = Vec::new();
    for lower in [
        ProceedsUse::DivertedPresale,
        ProceedsUse::ContinuedConstruction,
    ] {
        let paid = spent(lower);
        if paid == 0 {
            continue;
        }
        for (higher, outstanding) in left {
            if higher < lower && outstanding > 0 {
                out.push(PriorityFlag {
                    paid: lower,
                    paid_fen: paid,
                    outstanding: higher,
                    outstanding_fen: outstanding,
                });
            }
        }
    }
    out
}

/// HS-F5: what operating money may be spent on.
pub const OPERATING_USES: [&str; 4] = [
    "loan_repayment",
    "maintenance",
    "property_management",
    "rent_subsidy",
];
/// HS-F5: the income categories.
pub const INCOME_CATEGORIES: [&str; 3] = ["rent", "sale", "resettlement"];

impl Account {
    pub fn ring_fenced(&self) -> bool {
        self.kind == AccountKind::Fund
    }

    /// Checks the name and that the kind has what it needs. Names are written so that hledger
    /// and beancount read them unchanged: a top level of Assets, Liabilities, Equity, Income or
    /// Expenses, then segments of ASCII letters, digits and '-' starting with a capital or a digit.
    pub fn check(&self) -> Result<(), String> {
        let mut parts = self.name.split(':');
        let top = parts.next().unwrap_or_default();
        let expected_top: &[&str] = match self.kind {
            AccountKind::Fund | AccountKind::Bank | AccountKind::Escrow => &["Assets"],
            AccountKind::Source => &["Liabilities", "Equity"],
            AccountKind::Income => &["Income"],
            AccountKind::Expense => &["Expenses"],
        };
        if !expected_top.contains(&top) {
            return Err(format!(
                "a {:?} account's name starts with {}, got {:?}",
                self.kind,
                expected_top.join(" or "),
                self.name
            ));
        }
        let segs: Vec<&str> = parts.collect();
        if segs.is_empty() {
            return Err(format!("{:?} needs at least two segments", self.name));
        }
        for seg in segs {
            let ok = seg
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                && seg.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            if !ok {
                return Err(format!(
                    "segment {seg:?} of {:?}: use ASCII letters, digits and '-', starting with a capital or a digit",
                    self.name
                ));
            }
        }
        match self.kind {
            AccountKind::Fund | AccountKind::Source
                if self.project.is_none() || self.source.is_none() =>
            {
                Err(format!(
                    "a {:?} account belongs to one project and one fund source",
                    self.kind
                ))
            }
            AccountKind::Income if self.project.is_none() => {
                Err("an income account belongs to one project".into())
            }
            AccountKind::Bank | AccountKind::Expense
                if self.project.is_some() || self.source.is_some() =>
            {
                Err(format!(
                    "a {:?} account carries no project or fund source",
                    self.kind
                ))
            }
            // HS-F3 / HS-F4: an escrow account belongs to its listing's project, so the
            // ring-fence sees a payment into it from another project's fund.
            AccountKind::Escrow if self.project.is_none() || self.source.is_some() => Err(
                "HS-F4: an escrow account belongs to its listing's project (project) and carries no fund source"
                    .into(),
            ),
            AccountKind::Fund
                if self
                    .purpose
                    .as_deref()
                    .is_some_and(|p| !["acquisition", "operation"].contains(&p)) =>
            {
                Err("a fund's purpose is acquisition or operation".into())
            }
            AccountKind::Expense
                if self
                    .purpose
                    .as_deref()
                    .is_some_and(|p| !OPERATING_USES.contains(&p)) =>
            {
                Err(format!(
                    "HS-F5: an expense's use is one of {}",
                    OPERATING_USES.join(", ")
                ))
            }
            AccountKind::Income
                if !self
                    .purpose
                    .as_deref()
                    .is_some_and(|p| INCOME_CATEGORIES.contains(&p)) =>
            {
                Err(format!(
                    "HS-F5: an income account's category is one of {}",
                    INCOME_CATEGORIES.join(", ")
                ))
            }
            AccountKind::Source | AccountKind::Bank | AccountKind::Escrow
                if self.purpose.is_some() =>
            {
                Err(format!("a {:?} account has no purpose", self.kind))
            }
            AccountKind::Escrow if self.listing_id.is_none() => {
                Err("HS-F4: an escrow account is registered for one listing (listing_id)".into())
            }
            k if k != AccountKind::Escrow && self.listing_id.is_some() => {
                Err("only an escrow account is registered for a listing".into())
            }
            _ => Ok(()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// Money received into a project's fund (bond proceeds, loan drawdown, subsidy).
    Receipt,
    /// Money paid out of a fund (to escrow, for operating uses).
    Payment,
    /// Rent, sale or resettlement income.
    Income,
    /// Moves between projects or sources that the leading group approved (HS-F3 exception).
    Reallocation,
    /// Reverses an earlier entry (corrections are new entries).
    Reversal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Line {
    pub account: String,
    /// Fen; positive = debit, negative = credit.
    pub amount_fen: i64,
}

/// An entry as posted (before it has a place in the chain).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub key: String,
    pub date: NaiveDate,
    pub kind: EntryKind,
    pub memo: String,
    /// Reallocation: the leading group's decision it rests on.
    pub approval: Option<String>,
    /// HS-F4: the listing an acquisition payment is for.
    pub listing_id: Option<i64>,
    /// NC-20: the consents of a disbursement.
    pub consents: Option<Consents>,
    pub lines: Vec<Line>,
    /// A reversal: the entry it negates.
    #[serde(default)]
    pub reverses: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("an entry needs at least two lines")]
    TooFewLines,
    #[error("line {line}: an amount of zero records nothing")]
    ZeroLine { line: usize },
    #[error("the entry does not balance: debits minus credits = {diff_fen} fen")]
    Unbalanced { diff_fen: i64 },
    #[error("line {line}: unknown account {account:?}")]
    UnknownAccount { line: usize, account: String },
    #[error(
        "HS-F3: the entry moves money between {what} ({found}); only a reallocation the leading group approved may"
    )]
    CrossesFence { what: &'static str, found: String },
    #[error("HS-F3: a reallocation must cite the leading group's approval")]
    ReallocationWithoutApproval,
    #[error("HS-F3: fund account {account} would go below zero ({balance_fen} fen)")]
    Overdrawn { account: String, balance_fen: i64 },
    #[error("amounts too large")]
    Overflow,
    #[error("HS-F4: a payment into an escrow account names the listing it pays for (listing_id)")]
    PaymentWithoutListing,
    #[error("HS-F4: {account} is not the escrow account registered for listing {listing}")]
    WrongEscrow { account: String, listing: i64 },
    #[error("{rule}: {message}")]
    WrongUse { rule: &'static str, message: String },
    #[error(
        "HS-F4: escrow account {account} names no project; open the listing's escrow account with its project"
    )]
    EscrowWithoutProject { account: String },
    #[error(
        "a reversal negates one earlier entry: post it through /api/ledger/entries/{{seq}}/reverse"
    )]
    ReversalWithoutOriginal,
}

/// HS-F4: the escrow accounts an entry pays into (debit lines on escrow accounts), checked to be
/// the ones registered for the entry's listing. Returns the amount paid (fen).
pub fn check_escrow_payment(
    d: &Draft,
    accounts: &BTreeMap<String, Account>,
) -> Result<i64, LedgerError> {
    let mut paid = 0i64;
    for l in &d.lines {
        let a = &accounts[&l.account];
        if a.kind != AccountKind::Escrow {
            continue;
        }
        let Some(listing) = d.listing_id else {
            return Err(LedgerError::PaymentWithoutListing);
        };
        if a.project.is_none() {
            return Err(LedgerError::EscrowWithoutProject {
                account: a.name.clone(),
            });
        }
        if a.listing_id != Some(listing) {
            return Err(LedgerError::WrongEscrow {
                account: a.name.clone(),
                listing,
            });
        }
        paid = paid
            .checked_add(l.amount_fen)
            .ok_or(LedgerError::Overflow)?;
    }
    Ok(paid)
}

/// HS-F4: an agreement's payment schedule — installments due by a date, each a share of the
/// final price. The amounts are the shares of the price floored to the fen, the last
/// installment taking the remainder, so they sum to the price exactly.
pub fn schedule_amounts(
    total_fen: i64,
    shares: &[rust_decimal::Decimal],
) -> Result<Vec<i64>, String> {
    use rust_decimal::Decimal;
    use rust_decimal::prelude::ToPrimitive;
    if shares.is_empty() {
        return Err("a schedule has at least one installment".into());
    }
    if shares.iter().any(|s| *s <= Decimal::ZERO) {
        return Err("every installment's share must be above 0".into());
    }
    let sum: Decimal = shares.iter().sum();
    if sum != Decimal::ONE {
        return Err(format!("the shares must sum to 1, they sum to {sum}"));
    }
    let mut out = Vec::with_capacity(shares.len());
    let mut used = 0i64;
    for (i, s) in shares.iter().enumerate() {
        let amt = if i + 1 == shares.len() {
            total_fen - used
        } else {
            (Decimal::from(total_fen) * s)
                .floor()
                .to_i64()
                .ok_or("amount too large")?
        };
        used += amt;
        out.push(amt);
    }
    Ok(out)
}

/// Checks an entry against the accounts and the ring-fence (not the balances: see
/// [`check_balances`]).
pub fn check_entry(d: &Draft, accounts: &BTreeMap<String, Account>) -> Result<(), LedgerError> {
    if d.lines.len() < 2 {
        return Err(LedgerError::TooFewLines);
    }
    let mut sum: i64 = 0;
    for (i, l) in d.lines.iter().enumerate() {
        if l.amount_fen == 0 {
            return Err(LedgerError::ZeroLine { line: i + 1 });
        }
        sum = sum.checked_add(l.amount_fen).ok_or(LedgerError::Overflow)?;
        if !accounts.contains_key(&l.account) {
            return Err(LedgerError::UnknownAccount {
                line: i + 1,
                account: l.account.clone(),
            });
        }
    }
    if sum != 0 {
        return Err(LedgerError::Unbalanced { diff_fen: sum });
    }
    if (d.kind == EntryKind::Reversal) != d.reverses.is_some() {
        return Err(LedgerError::ReversalWithoutOriginal);
    }
    if d.kind == EntryKind::Reversal {
        // The caller checked it negates its original exactly; only the balances remain.
        return Ok(());
    }
    // HS-F4 / HS-F5 hold for a reallocation too: it moves money between projects or fund
    // sources, never out of its purpose.
    check_uses(d, accounts)?;
    if d.kind == EntryKind::Reallocation {
        if d.approval.as_deref().is_none_or(|a| a.trim().is_empty()) {
            return Err(LedgerError::ReallocationWithoutApproval);
        }
        return Ok(());
    }
    let projects: BTreeSet<&str> = d
        .lines
        .iter()
        .filter_map(|l| accounts[&l.account].project.as_deref())
        .collect();
    if projects.len() > 1 {
        return Err(LedgerError::CrossesFence {
            what: "projects",
            found: projects.into_iter().collect::<Vec<_>>().join(", "),
        });
    }
    let sources: BTreeSet<&str> = d
        .lines
        .iter()
        .filter_map(|l| accounts[&l.account].source.map(FundSource::key))
        .collect();
    if sources.len() > 1 {
        return Err(LedgerError::CrossesFence {
            what: "fund sources",
            found: sources.into_iter().collect::<Vec<_>>().join(", "),
        });
    }
    Ok(())
}

/// HS-F4 / HS-F5: money leaving a fund with a purpose goes only where that purpose allows —
/// acquisition money into escrow accounts, operating money to the HS-F5 uses.
fn check_uses(d: &Draft, accounts: &BTreeMap<String, Account>) -> Result<(), LedgerError> {
    for out in d.lines.iter().filter(|l| l.amount_fen < 0) {
        let from = &accounts[&out.account];
        if from.kind != AccountKind::Fund {
            continue;
        }
        for to in d.lines.iter().filter(|l| l.amount_fen > 0) {
            let dest = &accounts[&to.account];
            // A reallocation moves money to a fund of the same purpose (HS-F3 exception).
            if d.kind == EntryKind::Reallocation
                && dest.kind == AccountKind::Fund
                && dest.purpose == from.purpose
            {
                continue;
            }
            match from.purpose.as_deref() {
                Some("acquisition") if dest.kind != AccountKind::Escrow => {
                    return Err(LedgerError::WrongUse {
                        rule: "HS-F4",
                        message: format!(
                            "acquisition money in {} goes only into a presale escrow account, not {}",
                            from.name, dest.name
                        ),
                    });
                }
                Some("operation")
                    if !(dest.kind == AccountKind::Expense
                        && dest
                            .purpose
                            .as_deref()
                            .is_some_and(|p| OPERATING_USES.contains(&p))) =>
                {
                    return Err(LedgerError::WrongUse {
                        rule: "HS-F5",
                        message: format!(
                            "operating money in {} is spent only on {}, not on {}",
                            from.name,
                            OPERATING_USES.join(", "),
                            dest.name
                        ),
                    });
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// HS-F3: no ring-fenced account below zero after the entry; `before` holds the current
/// balances of the entry's accounts.
pub fn check_balances(
    d: &Draft,
    accounts: &BTreeMap<String, Account>,
    before: &BTreeMap<String, i64>,
) -> Result<(), LedgerError> {
    let mut after: BTreeMap<&str, i64> = BTreeMap::new();
    for l in &d.lines {
        let b = after
            .entry(l.account.as_str())
            .or_insert_with(|| before.get(&l.account).copied().unwrap_or(0));
        *b = b.checked_add(l.amount_fen).ok_or(LedgerError::Overflow)?;
    }
    for (name, bal) in after {
        if accounts[name].ring_fenced() && bal < 0 {
            return Err(LedgerError::Overdrawn {
                account: name.to_string(),
                balance_fen: bal,
            });
        }
    }
    Ok(())
}

/// What the chain hashes: the entry with its place and author.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Canonical<'a> {
    pub seq: i64,
    pub prev: &'a str,
    pub key: &'a str,
    pub date: NaiveDate,
    pub kind: EntryKind,
    pub memo: &'a str,
    pub approval: Option<&'a str>,
    pub listing: Option<i64>,
    pub consents: Option<&'a Consents>,
    pub lines: Vec<(&'a str, i64)>,
    pub posted_by: i64,
    pub posted_at: DateTime<Utc>,
    /// Only a reversal has it, so the entries before it hash as they always did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reverses: Option<i64>,
}

impl Canonical<'_> {
    pub fn text(&self) -> String {
        serde_json::to_string(self).expect("canonical form serialises")
    }
    pub fn hash(&self) -> String {
        hex::encode(Sha256::digest(self.text().as_bytes()))
    }
}

/// A stored entry as the verifier reads it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub seq: i64,
    pub prev_hash: String,
    pub hash: String,
    pub key: String,
    pub date: NaiveDate,
    pub kind: EntryKind,
    pub memo: String,
    pub approval: Option<String>,
    pub listing_id: Option<i64>,
    pub consents: Option<Consents>,
    pub lines: Vec<Line>,
    pub posted_by: i64,
    pub posted_at: DateTime<Utc>,
    pub reverses: Option<i64>,
}

impl Stored {
    pub fn canonical(&self) -> Canonical<'_> {
        Canonical {
            seq: self.seq,
            prev: &self.prev_hash,
            key: &self.key,
            date: self.date,
            kind: self.kind,
            memo: &self.memo,
            approval: self.approval.as_deref(),
            listing: self.listing_id,
            consents: self.consents.as_ref(),
            lines: self
                .lines
                .iter()
                .map(|l| (l.account.as_str(), l.amount_fen))
                .collect(),
            posted_by: self.posted_by,
            posted_at: self.posted_at,
            reverses: self.reverses,
        }
    }
}

/// HS-F4: what one line on a listing's escrow account adds to the payments made to it. Money
/// paid in counts; money taken out again does not reduce it (so paying the full price, taking
/// 0.01 out and paying 0.01 in again is 0.01 too much); only a reversal of a payment gives back
/// what it negates.
pub fn paid_by_line(kind: EntryKind, amount_fen: i64) -> i64 {
    match kind {
        EntryKind::Reversal => amount_fen.min(0),
        _ => amount_fen.max(0),
    }
}

/// Whether `reversal` negates every line of `original`, in order.
pub fn negates(original: &[Line], reversal: &[Line]) -> bool {
    original.len() == reversal.len()
        && original.iter().zip(reversal).all(|(o, r)| {
            o.account == r.account && r.amount_fen.checked_neg() == Some(o.amount_fen)
        })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Broken {
    pub seq: i64,
    pub reason: String,
}

/// Walks the chain in order; the first broken link, if any.
pub fn verify<'a>(entries: impl IntoIterator<Item = &'a Stored>) -> Option<Broken> {
    verify_from(1, GENESIS, entries)
}

/// Walks the chain from entry `first`, whose previous hash is `prev` (an incremental check
/// from a verified entry); the first broken link, if any.
pub fn verify_from<'a>(
    first: i64,
    prev: &str,
    entries: impl IntoIterator<Item = &'a Stored>,
) -> Option<Broken> {
    let mut prev = prev.to_string();
    for (expect_seq, e) in (first..).zip(entries) {
        if e.seq != expect_seq {
            return Some(Broken {
                seq: e.seq,
                reason: format!("entry {expect_seq} is missing (found {} next)", e.seq),
            });
        }
        if e.prev_hash != prev {
            return Some(Broken {
                seq: e.seq,
                reason: "its previous-hash does not match the entry before it".into(),
            });
        }
        let sum: i64 = e.lines.iter().map(|l| l.amount_fen).sum();
        if sum != 0 {
            return Some(Broken {
                seq: e.seq,
                reason: format!("its lines no longer balance ({sum} fen)"),
            });
        }
        if e.canonical().hash() != e.hash {
            return Some(Broken {
                seq: e.seq,
                reason: "its content does not match its hash".into(),
            });
        }
        prev = e.hash.clone();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn acct(
        name: &str,
        kind: AccountKind,
        project: Option<&str>,
        source: Option<FundSource>,
    ) -> Account {
        Account {
            name: name.into(),
            kind,
            project: project.map(str::to_string),
            source,
            label: name.into(),
            listing_id: None,
            purpose: None,
        }
    }
    pub(crate) fn book() -> BTreeMap<String, Account> {
        use AccountKind::*;
        use FundSource::*;
        [
            acct(
                "assets:fund:r1:special_bond:acquisition",
                Fund,
                Some("r1"),
                Some(SpecialBond),
            ),
            acct(
                "assets:fund:r1:project_loan:acquisition",
                Fund,
                Some("r1"),
                Some(ProjectLoan),
            ),
            acct(
                "assets:fund:r2:special_bond:acquisition",
                Fund,
                Some("r2"),
                Some(SpecialBond),
            ),
            acct(
                "liabilities:source:r1:special_bond",
                Source,
                Some("r1"),
                Some(SpecialBond),
            ),
            acct(
                "liabilities:source:r1:project_loan",
                Source,
                Some("r1"),
                Some(ProjectLoan),
            ),
            acct(
                "liabilities:source:r2:special_bond",
                Source,
                Some("r2"),
                Some(SpecialBond),
            ),
            Account {
                listing_id: Some(2),
                ..acct("assets:escrow:dev1:l2", Escrow, Some("r1"), None)
            },
            Account {
                listing_id: Some(3),
                ..acct("assets:escrow:dev2:l3", Escrow, Some("r2"), None)
            },
        ]
        .into_iter()
        .map(|a| (a.name.clone(), a))
        .collect()
    }
    fn draft(kind: EntryKind, lines: &[(&str, i64)]) -> Draft {
        Draft {
            key: "k".into(),
            date: "2026-11-01".parse().unwrap(),
            kind,
            memo: "m".into(),
            approval: None,
            listing_id: None,
            consents: None,
            reverses: None,
            lines: lines
                .iter()
                .map(|(a, f)| Line {
                    account: a.to_string(),
                    amount_fen: *f,
                })
                .collect(),
        }
    }

    #[test]
    fn hs_f3_entries_balance_and_stay_inside_one_project_and_source() {
        let b = book();
        // Bond proceeds of 50,000,000.00 yuan into r1's fund.
        let ok = draft(
            EntryKind::Receipt,
            &[
                ("assets:fund:r1:special_bond:acquisition", 5_000_000_000),
                ("liabilities:source:r1:special_bond", -5_000_000_000),
            ],
        );
        assert_eq!(check_entry(&ok, &b), Ok(()));
        let unbalanced = draft(
            EntryKind::Receipt,
            &[
                ("assets:fund:r1:special_bond:acquisition", 100),
                ("liabilities:source:r1:special_bond", -99),
            ],
        );
        assert_eq!(
            check_entry(&unbalanced, &b),
            Err(LedgerError::Unbalanced { diff_fen: 1 })
        );
        // Paying r2's developer out of r1's bond money: refused.
        let across = draft(
            EntryKind::Payment,
            &[
                ("assets:fund:r2:special_bond:acquisition", 100),
                ("assets:fund:r1:special_bond:acquisition", -100),
            ],
        );
        assert!(matches!(
            check_entry(&across, &b),
            Err(LedgerError::CrossesFence {
                what: "projects",
                ..
            })
        ));
        // Loan money used as bond money: refused.
        let sources = draft(
            EntryKind::Payment,
            &[
                ("assets:fund:r1:special_bond:acquisition", 100),
                ("assets:fund:r1:project_loan:acquisition", -100),
            ],
        );
        assert!(matches!(
            check_entry(&sources, &b),
            Err(LedgerError::CrossesFence {
                what: "fund sources",
                ..
            })
        ));
        // …unless the leading group approved it as a reallocation.
        let mut re = sources.clone();
        re.kind = EntryKind::Reallocation;
        assert_eq!(
            check_entry(&re, &b),
            Err(LedgerError::ReallocationWithoutApproval)
        );
        re.approval = Some("领导组会议纪要〔2026〕7号".into());
        assert_eq!(check_entry(&re, &b), Ok(()));
        // Unknown account, zero line, one line.
        assert!(matches!(
            check_entry(
                &draft(
                    EntryKind::Payment,
                    &[("nope", 1), ("assets:escrow:dev1:l2", -1)]
                ),
                &b
            ),
            Err(LedgerError::UnknownAccount { line: 1, .. })
        ));
        assert_eq!(
            check_entry(
                &draft(
                    EntryKind::Payment,
                    &[("assets:escrow:dev1:l2", 0), ("assets:escrow:dev1:l2", 0)]
                ),
                &b
            ),
            Err(LedgerError::ZeroLine { line: 1 })
        );
        assert_eq!(
            check_entry(
                &draft(EntryKind::Payment, &[("assets:escrow:dev1:l2", 1)]),
                &b
            ),
            Err(LedgerError::TooFewLines)
        );
    }

    #[test]
    fn hs_f4_payments_go_only_to_the_listings_registered_escrow_account() {
        let b = book();
        let mut pay = draft(
            EntryKind::Payment,
            &[
                ("assets:escrow:dev1:l2", 300),
                ("assets:fund:r1:special_bond:acquisition", -300),
            ],
        );
        assert_eq!(
            check_escrow_payment(&pay, &b),
            Err(LedgerError::PaymentWithoutListing)
        );
        pay.listing_id = Some(3);
        assert!(matches!(
            check_escrow_payment(&pay, &b),
            Err(LedgerError::WrongEscrow { listing: 3, .. })
        ));
        pay.listing_id = Some(2);
        assert_eq!(check_escrow_payment(&pay, &b), Ok(300));
    }

    #[test]
    fn hs_f5_operating_money_only_for_its_uses_and_acquisition_money_only_into_escrow() {
        use AccountKind::*;
        let mut b = book();
        let acq = Account {
            purpose: Some("acquisition".into()),
            ..acct(
                "Assets:Fund:R1:SpecialBond:Acquisition",
                Fund,
                Some("r1"),
                Some(FundSource::SpecialBond),
            )
        };
        let ops = Account {
            purpose: Some("operation".into()),
            ..acct(
                "Assets:Fund:R1:Other:Operation",
                Fund,
                Some("r1"),
                Some(FundSource::Other),
            )
        };
        let maint = Account {
            purpose: Some("maintenance".into()),
            ..acct("Expenses:Maintenance", Expense, None, None)
        };
        let party = acct("Expenses:Banquet", Expense, None, None);
        for a in [&acq, &ops, &maint, &party] {
            b.insert(a.name.clone(), a.clone());
        }
        let pay = |from: &str, to: &str| draft(EntryKind::Payment, &[(to, 100), (from, -100)]);
        assert_eq!(check_entry(&pay(&ops.name, &maint.name), &b), Ok(()));
        assert!(matches!(
            check_entry(&pay(&ops.name, &party.name), &b),
            Err(LedgerError::WrongUse { rule: "HS-F5", .. })
        ));
        assert!(matches!(
            check_entry(&pay(&acq.name, &maint.name), &b),
            Err(LedgerError::WrongUse { rule: "HS-F4", .. })
        ));
        assert_eq!(
            check_entry(&pay(&acq.name, "assets:escrow:dev1:l2"), &b),
            Ok(())
        );
        // Accounts are opened with purposes of their kind only.
        assert!(
            Account {
                purpose: Some("banquet".into()),
                ..maint.clone()
            }
            .check()
            .is_err()
        );
        assert!(
            Account {
                purpose: Some("rent".into()),
                ..acct("Income:R1:Rent", Income, Some("r1"), None)
            }
            .check()
            .is_ok()
        );
        assert!(
            acct("Income:R1:Gift", Income, Some("r1"), None)
                .check()
                .is_err()
        );
    }

    #[test]
    fn yqm_16_escrow_release_keeps_fifteen_percent_of_key_funds_in_the_retained_balance() {
        use rust_decimal_macros::dec;
        // Key supervised 10,000,000.00, 8,000,000.00 still in escrow: keep 1,500,000.00 → release
        // up to 6,500,000.00 now. Lowered to 10 % by decision: keep 1,000,000.00 → 7,000,000.00.
        let r = escrow_release_limit(1_000_000_000, 800_000_000, dec!(0.15));
        assert_eq!(r.retained_min_fen, 150_000_000);
        assert_eq!(r.max_release_now_fen, 650_000_000);
        assert_eq!(
            escrow_release_limit(1_000_000_000, 800_000_000, dec!(0.10)).max_release_now_fen,
            700_000_000
        );
        // 333.33 × 15 % = 49.9995 → at least 50.00 stays.
        assert_eq!(
            escrow_release_limit(33_333, 33_333, dec!(0.15)).retained_min_fen,
            5_000
        );
        // Nothing more once the balance is at the retained minimum.
        assert_eq!(
            escrow_release_limit(1_000_000_000, 150_000_000, dec!(0.15)).max_release_now_fen,
            0
        );
    }

    #[test]
    fn yqm_16_a_lower_retention_only_for_grade_a_or_b_by_decision_never_below_ten_percent() {
        use rust_decimal_macros::dec;
        let p = FundParams {
            escrow_retention: Some(dec!(0.15)),
            escrow_retention_grade_ab: Some(dec!(0.10)),
            ..FundParams::default()
        };
        // Not automatic: grade A without a decision keeps 15 %.
        assert_eq!(escrow_retention(&p, true, None), Ok(dec!(0.15)));
        assert_eq!(escrow_retention(&p, true, Some(dec!(0.12))), Ok(dec!(0.12)));
        assert_eq!(escrow_retention(&p, true, Some(dec!(0.10))), Ok(dec!(0.10)));
        assert!(escrow_retention(&p, true, Some(dec!(0.0999))).is_err());
        assert!(escrow_retention(&p, false, Some(dec!(0.12))).is_err());
        assert!(escrow_retention(&FundParams::default(), false, None).is_err());
    }

    #[test]
    fn hs_f4_uses_of_proceeds_follow_the_priority() {
        use ProceedsUse::*;
        // Debts of 2,000,000.00 outstanding; 1,500,000.00 repaid and 300,000.00 spent on
        // construction: flagged, 500,000.00 of this project's debts still outstanding.
        let r = ProceedsReport {
            outstanding_project_debt_fen: 200_000_000,
            outstanding_diverted_presale_fen: 0,
            uses: vec![
                (ProjectDebt, 150_000_000),
                (ContinuedConstruction, 30_000_000),
            ],
        };
        assert_eq!(
            priority_flags(&r),
            vec![PriorityFlag {
                paid: ContinuedConstruction,
                paid_fen: 30_000_000,
                outstanding: ProjectDebt,
                outstanding_fen: 50_000_000
            }]
        );
        // Debts cleared, diverted presale money repaid in part, construction paid: flagged against (2).
        let r = ProceedsReport {
            outstanding_project_debt_fen: 100,
            outstanding_diverted_presale_fen: 1_000,
            uses: vec![
                (ProjectDebt, 100),
                (DivertedPresale, 400),
                (ContinuedConstruction, 50),
            ],
        };
        let f = priority_flags(&r);
        assert_eq!(f.len(), 1);
        assert_eq!(
            (f[0].outstanding, f[0].outstanding_fen),
            (DivertedPresale, 600)
        );
        // In order: nothing flagged.
        let r = ProceedsReport {
            outstanding_project_debt_fen: 100,
            outstanding_diverted_presale_fen: 100,
            uses: vec![
                (ProjectDebt, 100),
                (DivertedPresale, 100),
                (ContinuedConstruction, 5_000),
            ],
        };
        assert!(priority_flags(&r).is_empty());
    }

    #[test]
    fn hs_f4_schedule_amounts_sum_to_the_price() {
        use rust_decimal_macros::dec;
        // 3,850,000.01 yuan in 30 % / 60 % / 10 %: 1,155,000.00, 2,310,000.00, 385,000.01.
        assert_eq!(
            schedule_amounts(385_000_001, &[dec!(0.3), dec!(0.6), dec!(0.1)]),
            Ok(vec![115_500_000, 231_000_000, 38_500_001])
        );
        assert!(schedule_amounts(100, &[dec!(0.5), dec!(0.4)]).is_err());
        assert!(schedule_amounts(100, &[dec!(1.1), dec!(-0.1)]).is_err());
    }

    #[test]
    fn hs_f3_an_escrow_account_belongs_to_its_listings_project() {
        let b = book();
        // Listing 3's escrow account is project r2's: r1's bond money cannot pay it.
        let mut pay = draft(
            EntryKind::Payment,
            &[
                ("assets:escrow:dev2:l3", 100),
                ("assets:fund:r1:special_bond:acquisition", -100),
            ],
        );
        pay.listing_id = Some(3);
        assert!(matches!(
            check_entry(&pay, &b),
            Err(LedgerError::CrossesFence {
                what: "projects",
                ..
            })
        ));
        // An escrow account is opened with its project, never without.
        let mut a = b["assets:escrow:dev1:l2"].clone();
        a.name = "Assets:Escrow:Dev1:L2".into();
        assert_eq!(a.check(), Ok(()));
        a.project = None;
        assert!(a.check().is_err());
        // One opened before the rule carries none: payments into it are refused.
        let mut legacy = b.clone();
        legacy.get_mut("assets:escrow:dev1:l2").unwrap().project = None;
        let mut pay = draft(
            EntryKind::Payment,
            &[
                ("assets:escrow:dev1:l2", 100),
                ("assets:fund:r1:special_bond:acquisition", -100),
            ],
        );
        pay.listing_id = Some(2);
        assert!(matches!(
            check_escrow_payment(&pay, &legacy),
            Err(LedgerError::EscrowWithoutProject { .. })
        ));
    }

    #[test]
    fn hs_f4_money_taken_out_of_escrow_does_not_make_room_for_more_payments() {
        // Full price 1,000.00 paid; 0.01 taken out; 0.01 paid in again: 1,000.01 paid.
        let paid: i64 = [
            (EntryKind::Payment, 100_000),
            (EntryKind::Payment, -1),
            (EntryKind::Payment, 1),
        ]
        .iter()
        .map(|(k, f)| paid_by_line(*k, *f))
        .sum();
        assert_eq!(paid, 100_001);
        // A reversal of a payment gives back what it negates; a reversal of a withdrawal adds nothing.
        assert_eq!(paid_by_line(EntryKind::Reversal, -100_000), -100_000);
        assert_eq!(paid_by_line(EntryKind::Reversal, 1), 0);
    }

    #[test]
    fn hs_f6_an_exact_reversal_keeps_the_balance_checks_and_skips_the_purpose_rules() {
        use AccountKind::*;
        let mut b = book();
        let acq = Account {
            purpose: Some("acquisition".into()),
            ..acct(
                "Assets:Fund:R1:SpecialBond:Acquisition",
                Fund,
                Some("r1"),
                Some(FundSource::SpecialBond),
            )
        };
        b.insert(acq.name.clone(), acq.clone());
        let receipt = draft(
            EntryKind::Receipt,
            &[
                (&acq.name, 700),
                ("liabilities:source:r1:special_bond", -700),
            ],
        );
        assert_eq!(check_entry(&receipt, &b), Ok(()));
        // Negated as a payment it would be acquisition money leaving for a source account.
        let mut back = draft(
            EntryKind::Payment,
            &[
                (&acq.name, -700),
                ("liabilities:source:r1:special_bond", 700),
            ],
        );
        assert!(matches!(
            check_entry(&back, &b),
            Err(LedgerError::WrongUse { rule: "HS-F4", .. })
        ));
        back.kind = EntryKind::Reversal;
        assert_eq!(
            check_entry(&back, &b),
            Err(LedgerError::ReversalWithoutOriginal),
            "a reversal names what it reverses"
        );
        back.reverses = Some(1);
        assert_eq!(check_entry(&back, &b), Ok(()));
        assert!(negates(&receipt.lines, &back.lines));
        assert!(!negates(&receipt.lines, &receipt.lines));
        // …but not the balances: with 699 left it would overdraw the fund.
        let before = BTreeMap::from([(acq.name.clone(), 699)]);
        assert!(matches!(
            check_balances(&back, &b, &before),
            Err(LedgerError::Overdrawn { .. })
        ));
    }

    #[test]
    fn hs_f3_a_reallocation_keeps_money_to_its_purpose() {
        use AccountKind::*;
        let mut b = book();
        let mk = |name: &str, project: &str, purpose: &str| Account {
            purpose: Some(purpose.into()),
            ..acct(name, Fund, Some(project), Some(FundSource::SpecialBond))
        };
        for a in [
            mk("Assets:Fund:R1:Acq", "r1", "acquisition"),
            mk("Assets:Fund:R2:Acq", "r2", "acquisition"),
            mk("Assets:Fund:R2:Ops", "r2", "operation"),
            acct("Expenses:Banquet", Expense, None, None),
        ] {
            b.insert(a.name.clone(), a);
        }
        let re = |to: &str| {
            let mut d = draft(
                EntryKind::Reallocation,
                &[(to, 100), ("Assets:Fund:R1:Acq", -100)],
            );
            d.approval = Some("领导组会议纪要〔2026〕7号".into());
            d
        };
        assert_eq!(check_entry(&re("Assets:Fund:R2:Acq"), &b), Ok(()));
        for to in ["Assets:Fund:R2:Ops", "Expenses:Banquet"] {
            assert!(
                matches!(
                    check_entry(&re(to), &b),
                    Err(LedgerError::WrongUse { rule: "HS-F4", .. })
                ),
                "{to}"
            );
        }
    }

    #[test]
    fn account_names_are_readable_by_hledger_and_beancount() {
        let mut a = acct(
            "Assets:Fund:R1:SpecialBond:Acquisition",
            AccountKind::Fund,
            Some("r1"),
            Some(FundSource::SpecialBond),
        );
        assert_eq!(a.check(), Ok(()));
        a.name = "assets:fund:r1".into();
        assert!(a.check().is_err());
        a.name = "Assets:Fund:R1:专项债".into();
        assert!(a.check().is_err());
        a.name = "Liabilities:Source:R1".into();
        assert!(a.check().is_err(), "a fund account lives under Assets");
        a.name = "Assets:Fund:R1".into();
        a.source = None;
        assert!(a.check().is_err(), "a fund account names its source");
    }

    #[test]
    fn yq_7_5_loan_money_stays_on_its_own_accounts() {
        // Yangquan: loan money on its own accounts — a 2,000,000.00 drawdown books to the loan
        // fund; booking it against the bond's source is refused as crossing fund sources.
        let b = book();
        let drawdown = draft(
            EntryKind::Receipt,
            &[
                ("assets:fund:r1:project_loan:acquisition", 200_000_000),
                ("liabilities:source:r1:project_loan", -200_000_000),
            ],
        );
        assert_eq!(check_entry(&drawdown, &b), Ok(()));
        let mix = draft(
            EntryKind::Receipt,
            &[
                ("assets:fund:r1:project_loan:acquisition", 200_000_000),
                ("liabilities:source:r1:special_bond", -200_000_000),
            ],
        );
        assert!(matches!(
            check_entry(&mix, &b),
            Err(LedgerError::CrossesFence {
                what: "fund sources",
                ..
            })
        ));
    }

    #[test]
    fn hs_f3_no_ring_fenced_account_goes_below_zero() {
        let b = book();
        let pay = draft(
            EntryKind::Payment,
            &[
                ("assets:escrow:dev1:l2", 100_001),
                ("assets:fund:r1:special_bond:acquisition", -100_001),
            ],
        );
        let before = BTreeMap::from([(
            "assets:fund:r1:special_bond:acquisition".to_string(),
            100_000,
        )]);
        assert_eq!(
            check_balances(&pay, &b, &before),
            Err(LedgerError::Overdrawn {
                account: "assets:fund:r1:special_bond:acquisition".into(),
                balance_fen: -1
            })
        );
        let before = BTreeMap::from([(
            "assets:fund:r1:special_bond:acquisition".to_string(),
            100_001,
        )]);
        assert_eq!(check_balances(&pay, &b, &before), Ok(()));
    }

    fn chain(n: usize) -> Vec<Stored> {
        let mut out: Vec<Stored> = Vec::new();
        for i in 0..n {
            let prev = out
                .last()
                .map(|e| e.hash.clone())
                .unwrap_or_else(|| GENESIS.into());
            let mut e = Stored {
                seq: i as i64 + 1,
                prev_hash: prev,
                hash: String::new(),
                key: format!("k{i}"),
                date: "2026-11-01".parse().unwrap(),
                kind: EntryKind::Receipt,
                memo: format!("第{i}笔"),
                approval: None,
                listing_id: None,
                consents: None,
                lines: vec![
                    Line {
                        account: "a".into(),
                        amount_fen: 100 + i as i64,
                    },
                    Line {
                        account: "b".into(),
                        amount_fen: -(100 + i as i64),
                    },
                ],
                posted_by: 1,
                posted_at: "2026-11-01T01:00:00Z".parse().unwrap(),
                reverses: None,
            };
            e.hash = e.canonical().hash();
            out.push(e);
        }
        out
    }

    #[test]
    fn verify_finds_the_first_broken_link() {
        let c = chain(5);
        assert_eq!(verify(&c), None);
        let mut t = c.clone();
        t[2].memo.push('x');
        assert_eq!(verify(&t).unwrap().seq, 3);
        let mut t = c.clone();
        t.remove(1);
        assert_eq!(verify(&t).unwrap().seq, 3);
    }

    proptest! {
        /// Any single changed byte in any stored field makes verification fail at that entry.
        #[test]
        fn any_changed_byte_breaks_the_chain(at in 0usize..6, field in 0usize..5, delta in 1i64..1000) {
            let mut c = chain(6);
            match field {
                0 => c[at].lines[0].amount_fen += delta,
                1 => c[at].memo.push('改'),
                2 => c[at].key.push('x'),
                3 => c[at].lines[1].account.push('x'),
                _ => c[at].posted_by += delta,
            }
            let b = verify(&c).expect("tampering is caught");
            prop_assert_eq!(b.seq, at as i64 + 1);
        }

        /// Random postings: every accepted entry balances and no fund account ever goes below zero.
        #[test]
        fn random_postings_keep_entries_balanced_and_funds_non_negative(
            moves in proptest::collection::vec((0usize..4, 1i64..1_000_000), 1..80)
        ) {
            let b = book();
            let mut bal: BTreeMap<String, i64> = BTreeMap::new();
            let fund = "assets:fund:r1:special_bond:acquisition";
            for (op, amt) in moves {
                let d = match op {
                    0 => draft(EntryKind::Receipt, &[(fund, amt), ("liabilities:source:r1:special_bond", -amt)]),
                    1 => draft(EntryKind::Payment, &[("assets:escrow:dev1:l2", amt), (fund, -amt)]),
                    2 => draft(EntryKind::Payment, &[("assets:fund:r2:special_bond:acquisition", amt), (fund, -amt)]),
                    _ => draft(EntryKind::Receipt, &[(fund, amt), ("liabilities:source:r1:special_bond", -amt + 1)]),
                };
                if check_entry(&d, &b).is_ok() && check_balances(&d, &b, &bal).is_ok() {
                    prop_assert_eq!(d.lines.iter().map(|l| l.amount_fen).sum::<i64>(), 0);
                    for l in &d.lines {
                        *bal.entry(l.account.clone()).or_insert(0) += l.amount_fen;
                    }
                }
                for (name, v) in &bal {
                    if b[name].ring_fenced() {
                        prop_assert!(*v >= 0, "{} at {}", name, v);
                    }
                }
            }
        }
    }
}
