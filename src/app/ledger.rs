//! The fund ledger's commands and reports (issue 5, first part): accounts, posting with the
//! ring-fence and the hash chain, replays by idempotency key, verification against the chain and
//! a checkpoint, the trial balance and exports for hledger and beancount.
//!
//! Who: the acquiring company keeps the books (opens accounts, posts); only the leading group
//! posts a reallocation between projects or fund sources (HS-F3); the finance bureau, the
//! supervisors, the housing bureau and the leading group read everything; developers nothing.

use super::flow::require_role;
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
    Role::Admin,
];

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
        _ => "invalid_entry",
    };
    let rule = match &e {
        LedgerError::CrossesFence { .. }
        | LedgerError::ReallocationWithoutApproval
        | LedgerError::Overdrawn { .. } => "HS-F3",
        LedgerError::WrongEscrow { .. } => "HS-F4",
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
        require_role(
            actor,
            &[Role::Acquirer, Role::Admin],
            "open a ledger account",
        )?;
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
            // HS-F8: a refusal under a money rule is kept, although nothing was posted.
            Err(AppError::Rule {
                code,
                rule,
                message,
            }) => {
                let mut tx = self.store.begin().await?;
                db::insert_refusal(
                    &mut tx,
                    &db::RefusalRow {
                        id: 0,
                        at: self.now(),
                        actor_id: actor.id,
                        entry_key: entries
                            .iter()
                            .map(|e| e.key.as_str())
                            .collect::<Vec<_>>()
                            .join(","),
                        rule: rule.clone(),
                        code: code.into(),
                        message: message.clone(),
                        entry: serde_json::to_string(&entries).unwrap_or_default(),
                    },
                )
                .await?;
                tx.commit().await?;
                Err(AppError::Rule {
                    code,
                    rule,
                    message,
                })
            }
            other => other,
        }
    }

    async fn post_entries_inner(
        &self,
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
        let batch = entries.len() > 1;
        let at = |i: usize, f: &str| {
            if batch {
                format!("entries[{i}].{f}")
            } else {
                f.to_string()
            }
        };
        let mut drafts = Vec::with_capacity(entries.len());
        for (i, e) in entries.iter().enumerate() {
            if e.kind == EntryKind::Reallocation && actor.role != Role::LeadingGroup {
                return Err(AppError::Forbidden(
                    "HS-F3: only the leading group posts a reallocation between projects or fund sources".into(),
                ));
            }
            if e.kind != EntryKind::Reallocation && actor.role == Role::LeadingGroup {
                return Err(AppError::Forbidden(
                    "the leading group posts reallocations only; the acquiring company keeps the books".into(),
                ));
            }
            let mut lines = Vec::with_capacity(e.lines.len());
            for (j, l) in e.lines.iter().enumerate() {
                let field = at(i, &format!("lines[{j}].amount"));
                let fen = parse_decimal("amount", &l.amount.0)
                    .and_then(|d| Yuan::parse_fen_exact("amount", &d.to_string()))
                    .and_then(|y| y.to_fen())
                    .map_err(|x| AppError::invalid(&field, x.to_string()))?;
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
            };
            let request_hash = hex::encode(Sha256::digest(
                serde_json::to_string(&draft)
                    .expect("draft serialises")
                    .as_bytes(),
            ));
            drafts.push((draft, request_hash));
        }
        let mut tx = self.store.begin().await?;
        db::lock_for_posting(&mut tx).await?;
        let accounts = db::accounts(&mut tx).await?;
        let (mut seq, mut prev) = match db::head(&mut tx).await? {
            Some((s, h)) => (s, h),
            None => (0, GENESIS.to_string()),
        };
        // Stored to the microsecond on both backends, so the hash is recomputable.
        let posted_at = self.now().trunc_subsecs(6);
        let mut balances: BTreeMap<String, i64> = BTreeMap::new();
        let mut keys = BTreeSet::new();
        let all_keys: Vec<String> = drafts.iter().map(|(d, _)| d.key.clone()).collect();
        let existing = db::by_keys(&mut tx, &all_keys).await?;
        let mut ready: Vec<db::Ready> = Vec::with_capacity(drafts.len());
        let mut out = Vec::with_capacity(drafts.len());
        let mut posted = false;
        for (i, (draft, request_hash)) in drafts.into_iter().enumerate() {
            let refuse = |e: LedgerError| {
                let mut err = ledger_error(e);
                if batch && let AppError::Rule { message, .. } = &mut err {
                    *message = format!("entry {i} ({}): {message}", draft.key);
                }
                err
            };
            if !keys.insert(draft.key.clone()) {
                return Err(AppError::invalid(
                    &at(i, "key"),
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
                let e = db::entry(&mut tx, first)
                    .await?
                    .ok_or_else(|| AppError::Internal(format!("entry {first} vanished")))?;
                out.push(EntryView::from(&e));
                continue;
            }
            ledger::check_entry(&draft, &accounts).map_err(refuse)?;
            let paid = ledger::check_escrow_payment(&draft, &accounts).map_err(refuse)?;
            if paid != 0 {
                let listing = draft.listing_id.expect("checked with the escrow accounts");
                let escrow: Vec<&str> = accounts
                    .values()
                    .filter(|a| a.kind == AccountKind::Escrow && a.listing_id == Some(listing))
                    .map(|a| a.name.as_str())
                    .filter(|a| !balances.contains_key(*a))
                    .collect();
                if !escrow.is_empty() {
                    balances.extend(db::balances(&mut tx, &escrow).await?);
                }
                let before: i64 = accounts
                    .values()
                    .filter(|a| a.kind == AccountKind::Escrow && a.listing_id == Some(listing))
                    .map(|a| balances.get(&a.name).copied().unwrap_or(0))
                    .sum();
                self.check_payment(
                    &mut tx,
                    listing,
                    draft.date,
                    draft.consents.as_ref(),
                    before,
                    before + paid,
                )
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
            }
            let missing: Vec<&str> = draft
                .lines
                .iter()
                .map(|l| l.account.as_str())
                .filter(|a| !balances.contains_key(*a))
                .collect();
            if !missing.is_empty() {
                balances.extend(db::balances(&mut tx, &missing).await?);
            }
            ledger::check_balances(&draft, &accounts, &balances).map_err(refuse)?;
            let mut after = Vec::with_capacity(draft.lines.len());
            for l in &draft.lines {
                let b = balances.get_mut(&l.account).expect("loaded above");
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
            };
            stored.hash = stored.canonical().hash();
            prev = stored.hash.clone();
            out.push(EntryView::from(&stored));
            ready.push((stored, request_hash, after));
            posted = true;
        }
        db::insert_entries(&mut tx, &ready).await?;
        tx.commit().await?;
        Ok((if posted { 201 } else { 200 }, out))
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
            },
        )
        .await?;
        self.record(
            &mut tx,
            &inst,
            actor,
            "payment_schedule",
            None,
            serde_json::json!({ "rule": "HS-F4", "installments": installments }),
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

    /// YQM-16: how much of a developer's escrow may be released at five-party acceptance.
    pub fn escrow_release_check(&self, r: &ReleaseCheck) -> Result<serde_json::Value, AppError> {
        let calc = self.calc();
        let (policy, p) = calc.pricing_pack(Some(&r.policy))?;
        let retention = if r.grade_a_or_b {
            p.funds.escrow_retention_grade_ab
        } else {
            p.funds.escrow_retention
        }
        .ok_or_else(|| {
            AppError::invalid(
                "policy",
                format!(
                    "{policy} sets no escrow retention at acceptance (YQM-16 is Yangquan's rule)"
                ),
            )
        })?;
        let fen = non_negative_fen;
        let key = fen("key_supervised_amount", &r.key_supervised_amount)?;
        let before = fen("released_before", &r.released_before)?;
        let rel = ledger::escrow_release_limit(key, before, retention);
        Ok(serde_json::json!({
            "policy": policy,
            "rules": ["YQM-16"],
            "params": { "escrow_retention": p.funds.escrow_retention, "escrow_retention_grade_ab": p.funds.escrow_retention_grade_ab },
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
        let refusals = db::refusals(&mut tx).await?;
        let mut reallocations = Vec::new();
        for seq in db::seqs_of_kind(&mut tx, EntryKind::Reallocation).await? {
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
        })
    }

    pub async fn ledger_entries(&self, actor: &User) -> Result<Vec<EntryView>, AppError> {
        require_role(actor, READERS, "read the ledgers")?;
        let mut tx = self.store.read().await?;
        Ok(db::entries(&mut tx, 1)
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
        if let Some(c) = checkpoint {
            match entries.iter().find(|e| e.seq == c.seq) {
                None => {
                    report.ok = false;
                    report.broken_at = Some(c.seq);
                    report.reason = Some(format!(
                        "the checkpoint of {} names entry {}, which is no longer in the ledger (truncated)",
                        c.at, c.seq
                    ));
                }
                Some(e) if e.hash != c.hash => {
                    report.ok = false;
                    report.broken_at = Some(c.seq);
                    report.reason = Some(format!(
                        "entry {} no longer has the hash the checkpoint of {} recorded (rewritten)",
                        c.seq, c.at
                    ));
                }
                Some(_) => {}
            }
        }
        Ok(report)
    }

    /// A correction: a new entry with every line of entry `seq` negated (kind `reversal`), posted
    /// under its own key so a replay posts nothing; the original stays as it was.
    pub async fn reverse_entry(
        &self,
        actor: &User,
        seq: i64,
        input: ReversalInput,
    ) -> Result<(u16, EntryView), AppError> {
        if input.reason.trim().is_empty() {
            return Err(AppError::invalid("reason", "say why the entry is reversed"));
        }
        let original = {
            let mut tx = self.store.read().await?;
            db::entry(&mut tx, seq)
                .await?
                .ok_or_else(|| AppError::NotFound(format!("entry {seq}")))?
        };
        if original.kind == EntryKind::Reallocation && actor.role != Role::LeadingGroup {
            return Err(AppError::Forbidden(
                "only the leading group reverses a reallocation".into(),
            ));
        }
        let entry = NewEntry {
            key: format!("reverse-{seq}"),
            date: input.date,
            kind: if original.kind == EntryKind::Reallocation {
                EntryKind::Reallocation
            } else {
                EntryKind::Reversal
            },
            memo: format!("冲销第{seq}笔：{}", input.reason.trim()),
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
        let mut out = String::new();
        let first_date = entries
            .first()
            .map(|e| e.date)
            .unwrap_or_else(|| self.today());
        match format {
            ExportFormat::Hledger => {
                out.push_str("; anju fund ledger — exported for hledger\n");
                for a in accounts.values() {
                    out.push_str(&format!("account {}  ; {}\n", a.name, a.label));
                }
                out.push('\n');
            }
            ExportFormat::Beancount => {
                out.push_str("; anju fund ledger — exported for beancount\noption \"operating_currency\" \"CNY\"\n\n");
                for a in accounts.values() {
                    out.push_str(&format!("{first_date} open {} CNY\n", a.name));
                }
                out.push('\n');
            }
        }
        for e in &entries {
            let memo = e.memo.replace('"', "'");
            match format {
                ExportFormat::Hledger => out.push_str(&format!(
                    "{} ({}) {}  ; seq:{}, hash:{}\n",
                    e.date, e.key, memo, e.seq, e.hash
                )),
                ExportFormat::Beancount => out.push_str(&format!(
                    "{} * \"{}\"\n  seq: \"{}\"\n  hash: \"{}\"\n",
                    e.date, memo, e.seq, e.hash
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
        Ok(out)
    }
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
    #[schema(value_type = String, example = "0")]
    pub released_before: super::flow::DecimalText,
    /// Developer of credit grade A or B.
    #[serde(default)]
    pub grade_a_or_b: bool,
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
